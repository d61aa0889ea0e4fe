//! `kyc-local bench`: N KYC workflows through the whole local stack (real Lambda processes), at most C
//! in flight, each measured from just before its PutEvents call to the moment its terminal event
//! (New account approved / New account declined / KYC processing failed) is visible in the accounts
//! log group through the CloudWatch Logs API. Reports throughput, latency percentiles and memory, and
//! checks on the way that every accepted application yields exactly one terminal event.
//!
//! Like [`crate::demo`] this is only the client side: it talks to the stack over HTTP with
//! [`AwsJsonClient`]; `main.rs` starts the stack.
//!
//! Watching the log group costs what the run produces, not what it has produced so far:
//! FilterLogEvents is called with a `startTime` that only moves forward (the oldest in-flight
//! request's send time, floored to the second because EventBridge's `time` — the log event's
//! timestamp — has second precision; the stack runs on this machine's clock, so a terminal event is
//! never stamped before its request was sent), and events already seen are dropped by `eventId` and
//! forgotten once the window has moved past their timestamp.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::demo::{self, AwsJsonClient, DemoError, DemoTargets, Expected, Reviewer};

/// The terminal detail-types of the KYC workflow (the accounts team's log group receives them all).
pub const TERMINAL: [&str; 3] = [
    "New account approved",
    "New account declined",
    "KYC processing failed",
];

/// FilterLogEvents pattern that keeps only the terminal events (`?` = any of the quoted phrases).
pub const TERMINAL_FILTER: &str =
    "?\"New account approved\" ?\"New account declined\" ?\"KYC processing failed\"";

/// Margin below the oldest in-flight send time, on top of the flooring to the second. The stack
/// stamps events with the clock of this machine, after the request was sent: none is needed.
const WINDOW_MARGIN_MS: i64 = 0;
/// Time left for late (duplicate) terminal events before the final count.
const SETTLE: Duration = Duration::from_millis(1_000);
/// How many unexpected outcomes the report quotes.
const WRONG_EXAMPLES: usize = 5;
/// Personal data values shorter than this are not searched for in the logs: they occur by chance
/// (the invalid application's document number `123` is in timestamps and ids).
const MIN_PERSONAL_DATA_LEN: usize = 6;
/// Memory sampling period.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Number of workflows.
    pub workflows: usize,
    /// At most this many in flight.
    pub concurrency: usize,
    /// The whole run stops here and reports what finished.
    pub timeout: Duration,
    /// Part of every applicationId (`bench-<run_id>-<n>`), unique per run.
    pub run_id: String,
    /// Pause between two FilterLogEvents polls (latency resolution against the cost of watching).
    pub poll_pause: Duration,
    /// The applications, sent in turn: workflow `n` is `mix[n % mix.len()]` ([`approval_mix`] or
    /// [`kyc_mix`]).
    pub mix: Vec<MixScenario>,
    /// FunctionNames whose `platform.report` records are summarised after the run.
    pub functions: Vec<String>,
    /// Send the hostile traffic of [`crate::hostile`] beside the applications.
    pub hostile: bool,
    /// Fail the run when kyc-local's peak RSS passes this (KiB).
    pub memory_budget_kib: Option<u64>,
}

/// One kind of application in a run, and what must come of it.
#[derive(Debug, Clone, PartialEq)]
pub struct MixScenario {
    /// Where it comes from (`approved.json`, ...), for the report.
    pub label: String,
    /// The New account requested detail; `applicationId` is set per workflow.
    pub detail: Value,
    /// The terminal event it must reach.
    pub expected: Expected,
    /// What the bench's reviewer decides when it asks for a manual review (`APPROVE` /
    /// `DECLINE`); `None`: it must not ask for one.
    pub review_decision: Option<&'static str>,
}

/// The default run: one applicant with a name and an address only (like `events/put_events.json`),
/// which the workflow approves automatically.
pub fn approval_mix() -> Vec<MixScenario> {
    vec![MixScenario {
        label: "name and address only".to_string(),
        detail: json!({
            "customerName": "Bench Applicant",
            "customerAddress": "1 Bench Street, Testville, USA",
        }),
        expected: Expected::ApprovedAutomatically,
        review_decision: None,
    }]
}

/// `--mix kyc`: every application of the demo's scenario files in `events_dir` (the original sample,
/// approved, declined by identity, declined by risk, manual review, each invalid application), the
/// manual review once approved and once declined by the reviewer. The demo's review left to time
/// out is not included: at the template's review timeout (hours) it would never end in a run.
pub fn kyc_mix(events_dir: &std::path::Path) -> Result<Vec<MixScenario>, DemoError> {
    let (apps, _mixed) = demo::scenarios(events_dir)?;
    let mut mix = Vec::new();
    for app in apps.into_iter().filter(|a| a.reviewer == Reviewer::Approve) {
        let detail = app.entry["Detail"]
            .as_str()
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
            .filter(Value::is_object)
            .ok_or_else(|| DemoError::EventFile {
                path: events_dir.join(&app.file),
                message: "an entry's Detail is not a JSON object".to_string(),
            })?;
        if app.expected == Expected::ApprovedAfterReview {
            mix.push(MixScenario {
                label: format!("{} (reviewer declines)", app.file),
                detail: detail.clone(),
                expected: Expected::DeclinedAfterReview,
                review_decision: Some("DECLINE"),
            });
            mix.push(MixScenario {
                label: format!("{} (reviewer approves)", app.file),
                detail,
                expected: Expected::ApprovedAfterReview,
                review_decision: Some("APPROVE"),
            });
        } else {
            mix.push(MixScenario {
                label: app.file.clone(),
                detail,
                expected: app.expected,
                review_decision: None,
            });
        }
    }
    // Several entries of one file (the sample's two applicants, the invalid applications): number
    // them so that every label names one application.
    let mut totals: HashMap<String, usize> = HashMap::new();
    for scenario in &mix {
        *totals.entry(scenario.label.clone()).or_default() += 1;
    }
    let mut numbered: HashMap<String, usize> = HashMap::new();
    for scenario in &mut mix {
        if totals.get(&scenario.label).copied().unwrap_or(0) > 1 {
            let n = numbered.entry(scenario.label.clone()).or_default();
            *n += 1;
            scenario.label = format!("{} #{n}", scenario.label);
        }
    }
    Ok(mix)
}

/// Personal data of the mix's applicants that must never appear in a log group: full names, dates
/// of birth, document numbers (DESIGN.md). Values shorter than [`MIN_PERSONAL_DATA_LEN`] are left out.
pub fn personal_data(mix: &[MixScenario]) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for s in mix {
        for (kind, value) in [
            ("full name", &s.detail["customerName"]),
            ("date of birth", &s.detail["dateOfBirth"]),
            ("document number", &s.detail["document"]["number"]),
        ] {
            if let Some(v) = value
                .as_str()
                .map(str::trim)
                .filter(|v| v.chars().count() >= MIN_PERSONAL_DATA_LEN)
                && !out.iter().any(|(_, seen)| seen == v)
            {
                out.push((kind, v.to_string()));
            }
        }
    }
    out
}

/// The application id of workflow `n` of run `run_id`.
pub fn application_id(run_id: &str, n: usize) -> String {
    format!("bench-{run_id}-{n}")
}

/// The PutEvents entry of workflow `n` of the default run ([`approval_mix`]).
pub fn entry(run_id: &str, n: usize, event_bus_name: &str) -> Value {
    scenario_entry(&approval_mix()[0], run_id, n, event_bus_name)
}

/// The PutEvents entry of workflow `n` as `scenario`: its detail with `applicationId`
/// `bench-<run_id>-<n>`.
pub fn scenario_entry(
    scenario: &MixScenario,
    run_id: &str,
    n: usize,
    event_bus_name: &str,
) -> Value {
    let mut detail = scenario.detail.clone();
    detail["applicationId"] = json!(application_id(run_id, n));
    json!({
        "Source": "com.aws.accounts",
        "DetailType": "New account requested",
        "Detail": detail.to_string(),
        "EventBusName": event_bus_name,
    })
}

/// Nearest-rank percentile (`p` in 0..=100) of ascending `sorted` values; `None` when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted.get(index).copied()
}

/// The incremental view of a log group: a `startTime` that only moves forward and the `eventId`s
/// already seen inside the window (older ones are forgotten: FilterLogEvents no longer returns them).
#[derive(Debug, Default)]
pub struct IncrementalPoll {
    start_ms: i64,
    seen: HashMap<String, i64>,
}

impl IncrementalPoll {
    /// A window starting at `start_ms`.
    pub fn new(start_ms: i64) -> Self {
        Self {
            start_ms,
            seen: HashMap::new(),
        }
    }

    /// The `startTime` of the next call.
    pub fn start_ms(&self) -> i64 {
        self.start_ms
    }

    /// Moves the window to cover an event sent at `oldest_sent_ms` (epoch ms): log timestamps
    /// are EventBridge's `time`, whole seconds, so floor to the second and keep a margin. The window
    /// never moves back; ids seen before the new start are forgotten.
    pub fn advance(&mut self, oldest_sent_ms: i64) {
        let start = oldest_sent_ms.div_euclid(1000) * 1000 - WINDOW_MARGIN_MS;
        if start > self.start_ms {
            self.start_ms = start;
            let keep_from = start;
            self.seen.retain(|_, ts| *ts >= keep_from);
        }
    }

    /// True the first time `event_id` is offered.
    pub fn accept(&mut self, event_id: &str, timestamp_ms: i64) -> bool {
        if self.seen.contains_key(event_id) {
            return false;
        }
        self.seen.insert(event_id.to_string(), timestamp_ms);
        true
    }

    /// Event ids remembered now (bounded by the window, not by the run).
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }
}

/// How a workflow ended, read from its terminal event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    /// New account approved.
    Approved,
    /// New account declined.
    Declined,
    /// KYC processing failed.
    ProcessingFailed,
}

/// `(applicationId, terminal)` of a log message that is one of the workflow's terminal events.
pub fn terminal_of(message: &str) -> Option<(String, Terminal)> {
    let value: Value = serde_json::from_str(message).ok()?;
    terminal_of_value(&value)
}

/// A terminal event read from the accounts log group.
#[derive(Debug, Clone, PartialEq)]
pub struct TerminalEvent {
    /// `detail.applicationId`.
    pub application_id: String,
    /// Which of the three.
    pub terminal: Terminal,
    /// The event's `detail-type`.
    pub detail_type: String,
    /// The event's `detail`.
    pub detail: Value,
}

/// The whole terminal event of a log message, or `None` for any other message.
pub fn terminal_event(message: &str) -> Option<TerminalEvent> {
    let mut value: Value = serde_json::from_str(message).ok()?;
    let (application_id, terminal) = terminal_of_value(&value)?;
    Some(TerminalEvent {
        application_id,
        terminal,
        detail_type: value["detail-type"].as_str()?.to_string(),
        detail: value["detail"].take(),
    })
}

fn terminal_of_value(value: &Value) -> Option<(String, Terminal)> {
    let terminal = match value["detail-type"].as_str()? {
        "New account approved" => Terminal::Approved,
        "New account declined" => Terminal::Declined,
        "KYC processing failed" => Terminal::ProcessingFailed,
        _ => return None,
    };
    let id = value["detail"]["applicationId"].as_str()?;
    Some((id.to_string(), terminal))
}

/// `(applicationId, taskToken)` of a log message that is a Manual review requested event.
pub fn review_request_of(message: &str) -> Option<(String, String)> {
    let value: Value = serde_json::from_str(message).ok()?;
    if value["detail-type"] != "Manual review requested" {
        return None;
    }
    Some((
        value["detail"]["applicationId"].as_str()?.to_string(),
        value["detail"]["taskToken"].as_str()?.to_string(),
    ))
}

/// The workflow number of a bench applicationId (`bench-<run>-<n>`) of this run's `prefix`.
fn workflow_of(application_id: &str, prefix: &str) -> Option<usize> {
    application_id.strip_prefix(prefix)?.parse().ok()
}

/// The figures of one function's invocations in a run, from its `platform.report` records (or
/// `REPORT` lines, for a text log format).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionReport {
    /// FunctionName.
    pub name: String,
    /// Reports read.
    pub invocations: usize,
    /// Init durations (cold starts), ascending, ms.
    pub init_ms: Vec<f64>,
    /// Durations of the invocations without an init phase (warm), ascending, ms.
    pub warm_ms: Vec<f64>,
    /// Highest Max Memory Used, MB.
    pub max_memory_used_mb: u64,
    /// Memory Size, MB.
    pub memory_size_mb: u64,
}

/// `(duration ms, init ms, max memory used MB, memory size MB)` of a report record or line.
pub fn report_figures(message: &str) -> Option<(f64, Option<f64>, u64, u64)> {
    if let Ok(value) = serde_json::from_str::<Value>(message) {
        if value["type"] != "platform.report" {
            return None;
        }
        let m = &value["record"]["metrics"];
        return Some((
            m["durationMs"].as_f64()?,
            m["initDurationMs"].as_f64(),
            m["maxMemoryUsedMB"].as_u64()?,
            m["memorySizeMB"].as_u64().unwrap_or(0),
        ));
    }
    let rest = message.strip_prefix("REPORT RequestId: ")?;
    let field = |name: &str| -> Option<&str> {
        rest.split('\t')
            .find_map(|f| f.trim().strip_prefix(name)?.strip_prefix(": "))
    };
    let number = |name: &str, unit: &str| -> Option<f64> {
        field(name)?.strip_suffix(unit)?.trim().parse().ok()
    };
    Some((
        number("Duration", " ms")?,
        number("Init Duration", " ms"),
        number("Max Memory Used", " MB")? as u64,
        number("Memory Size", " MB").unwrap_or(0.0) as u64,
    ))
}

/// Nearest-rank percentile of ascending `sorted` milliseconds.
fn percentile_ms(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// One scenario's share of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioReport {
    /// [`MixScenario::label`].
    pub label: String,
    /// [`Expected::label`] of its outcome.
    pub expected: String,
    /// Workflows sent as this scenario.
    pub sent: usize,
    /// Those that reached the expected terminal event.
    pub as_expected: usize,
    /// Latencies of those that reached a terminal event, ascending.
    pub latencies: Vec<Duration>,
}

/// RSS figures in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemorySample {
    /// VmRSS of this process.
    pub own_kib: u64,
    /// Summed VmRSS of the child processes (the function instances).
    pub children_kib: u64,
    /// How many child processes.
    pub children: usize,
}

/// A `Vm*:` field of `/proc/<pid>/status`, in KiB.
pub fn status_field_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// The parent pid of a `/proc/<pid>/stat` line (the command name may hold spaces and parentheses).
pub fn ppid_of_stat(stat: &str) -> Option<u32> {
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    fields.next()?; // state
    fields.next()?.parse().ok()
}

/// Reads this process's and its children's RSS from /proc (Linux); zeros elsewhere.
pub fn sample_memory() -> MemorySample {
    let own = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let me = std::process::id();
    let mut sample = MemorySample {
        own_kib: status_field_kib(&own, "VmRSS").unwrap_or(0),
        ..MemorySample::default()
    };
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return sample;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if ppid_of_stat(&stat) != Some(me) {
            continue;
        }
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            sample.children_kib += status_field_kib(&status, "VmRSS").unwrap_or(0);
            sample.children += 1;
        }
    }
    sample
}

/// VmHWM (peak RSS) of this process, in KiB.
pub fn own_peak_kib() -> Option<u64> {
    let own = std::fs::read_to_string("/proc/self/status").ok()?;
    status_field_kib(&own, "VmHWM")
}

/// What a run measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BenchReport {
    /// Run id (the applicationIds are `bench-<run_id>-<n>`).
    pub run_id: String,
    /// Workflows asked for.
    pub workflows: usize,
    /// Concurrency limit.
    pub concurrency: usize,
    /// Reached the terminal event its scenario expects, in time.
    pub finished: usize,
    /// Reached another terminal event, or refused by PutEvents.
    pub failed: usize,
    /// Among `failed`: a terminal event other than the expected one.
    pub wrong_outcome: usize,
    /// The first few of those: `applicationId: detail-type {detail}`.
    pub wrong_examples: Vec<String>,
    /// The first few unfinished workflows: their execution's status and last history events.
    pub unfinished_examples: Vec<String>,
    /// No terminal event before the timeout (or never sent).
    pub unfinished: usize,
    /// PutEvents refusals (transport, API or per-entry errors) among `failed`.
    pub put_failures: usize,
    /// From the first PutEvents to the last terminal event seen (or the timeout).
    pub wall: Duration,
    /// Latencies of the workflows that reached a terminal event, ascending.
    pub latencies: Vec<Duration>,
    /// Accepted applications with no terminal event in the final count.
    pub missing_terminal: usize,
    /// Accepted applications with more than one terminal event in the final count.
    pub duplicate_terminal: usize,
    /// Memory at 25 / 50 / 75 / 100 % of the workflows resolved (None if never reached).
    pub memory_at: [Option<MemorySample>; 4],
    /// Highest own VmRSS sampled.
    pub peak_own_kib: u64,
    /// VmHWM of this process at the end.
    pub own_hwm_kib: Option<u64>,
    /// Highest summed RSS of the function processes sampled.
    pub peak_children_kib: u64,
    /// Most function processes seen at once.
    pub peak_children: usize,
    /// Whether the run stopped at its timeout.
    pub timed_out: bool,
    /// FilterLogEvents calls made while watching.
    pub polls: u64,
    /// Log events those calls returned (the cost of watching).
    pub polled_events: u64,
    /// Time spent in those calls.
    pub poll_time: Duration,
    /// Per scenario, in the order of the mix (one entry for the default run).
    pub scenarios: Vec<ScenarioReport>,
    /// Manual reviews the bench's reviewer completed (Manual review started + completed).
    pub reviews: usize,
    /// Review requests for workflows whose scenario must not ask for one, or whose events the
    /// reviewer could not put.
    pub review_errors: usize,
    /// Personal data values searched for in every log group (None: not checked).
    pub personal_data_checked: Option<usize>,
    /// `(log group, kind of data)` of every log event that held one of them.
    pub personal_data_found: Vec<(String, String)>,
    /// The functions' REPORT figures.
    pub functions: Vec<FunctionReport>,
    /// Bytes each log group gained during the run (`storedBytes`, DescribeLogGroups).
    pub log_bytes: Vec<(String, u64)>,
    /// What the hostile traffic saw (`--hostile`).
    pub hostile: Option<crate::hostile::HostileReport>,
    /// The peak RSS budget the run was held to, KiB (`--memory-budget-mib`).
    pub memory_budget_kib: Option<u64>,
}

impl BenchReport {
    /// Workflows per second: those that reached a terminal event, over the wall time.
    pub fn throughput(&self) -> f64 {
        let secs = self.wall.as_secs_f64();
        if secs > 0.0 {
            self.latencies.len() as f64 / secs
        } else {
            0.0
        }
    }

    /// Every workflow reached the terminal event its scenario expects, exactly one each; every review
    /// request was expected; no personal data in any log group.
    pub fn passed(&self) -> bool {
        self.finished == self.workflows
            && self.failed == 0
            && self.unfinished == 0
            && self.missing_terminal == 0
            && self.duplicate_terminal == 0
            && self.review_errors == 0
            && self.personal_data_found.is_empty()
            && self
                .hostile
                .as_ref()
                .is_none_or(crate::hostile::HostileReport::passed)
            && self.within_memory_budget()
    }

    /// kyc-local's peak RSS is within the budget (or none was set).
    pub fn within_memory_budget(&self) -> bool {
        self.memory_budget_kib
            .is_none_or(|b| self.own_hwm_kib.unwrap_or(self.peak_own_kib) <= b)
    }

    /// Log bytes stored per workflow sent (every log group), if any was logged.
    pub fn log_bytes_per_workflow(&self) -> Option<u64> {
        let total: u64 = self.log_bytes.iter().map(|(_, b)| b).sum();
        let sent = self.scenarios.iter().map(|s| s.sent).sum::<usize>();
        (total > 0 && sent > 0).then(|| total / sent as u64)
    }

    fn ms(d: Option<Duration>) -> Option<f64> {
        d.map(|d| (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0)
    }

    /// One JSON object (for BENCHMARKS.md).
    pub fn to_json(&self) -> Value {
        let memory: Vec<Value> = [25, 50, 75, 100]
            .iter()
            .zip(&self.memory_at)
            .map(|(pct, m)| match m {
                Some(m) => json!({"percent": pct, "own_rss_kib": m.own_kib,
                                  "functions_rss_kib": m.children_kib, "function_processes": m.children}),
                None => json!({"percent": pct}),
            })
            .collect();
        json!({
            "run_id": self.run_id,
            "workflows": self.workflows,
            "concurrency": self.concurrency,
            "finished": self.finished,
            "failed": self.failed,
            "unfinished": self.unfinished,
            "put_failures": self.put_failures,
            "missing_terminal": self.missing_terminal,
            "duplicate_terminal": self.duplicate_terminal,
            "timed_out": self.timed_out,
            "hostile": self.hostile.as_ref().map(|h| json!({
                "sent": h.sent, "unexpected": h.unexpected, "examples": h.examples,
                "executions": h.executions, "executions_wrong": h.executions_wrong,
            })),
            "memory_budget_kib": self.memory_budget_kib,
            "wall_seconds": (self.wall.as_secs_f64() * 1000.0).round() / 1000.0,
            "throughput_per_second": (self.throughput() * 10.0).round() / 10.0,
            "latency_ms": {
                "p50": Self::ms(percentile(&self.latencies, 50.0)),
                "p90": Self::ms(percentile(&self.latencies, 90.0)),
                "p99": Self::ms(percentile(&self.latencies, 99.0)),
                "max": Self::ms(self.latencies.last().copied()),
            },
            "memory": {
                "own_peak_rss_kib": self.own_hwm_kib.unwrap_or(self.peak_own_kib),
                "own_peak_rss_sampled_kib": self.peak_own_kib,
                "functions_peak_rss_kib": self.peak_children_kib,
                "function_processes_peak": self.peak_children,
                "samples": memory,
            },
            "log_polls": self.polls,
            "log_polled_events": self.polled_events,
            "log_poll_seconds": (self.poll_time.as_secs_f64() * 1000.0).round() / 1000.0,
            "wrong_outcome": self.wrong_outcome,
            "wrong_examples": self.wrong_examples,
            "unfinished_examples": self.unfinished_examples,
            "reviews": self.reviews,
            "review_errors": self.review_errors,
            "scenarios": self.scenarios.iter().map(|s| json!({
                "scenario": s.label,
                "expected": s.expected,
                "sent": s.sent,
                "as_expected": s.as_expected,
                "latency_ms": {
                    "p50": Self::ms(percentile(&s.latencies, 50.0)),
                    "p99": Self::ms(percentile(&s.latencies, 99.0)),
                },
            })).collect::<Vec<_>>(),
            "personal_data": {
                "values_checked": self.personal_data_checked,
                "found": self.personal_data_found.iter()
                    .map(|(group, kind)| json!({"logGroup": group, "kind": kind}))
                    .collect::<Vec<_>>(),
            },
            "log_bytes": {
                "per_workflow": self.log_bytes_per_workflow(),
                "groups": self.log_bytes.iter()
                    .map(|(group, bytes)| json!({"logGroup": group, "bytes": bytes}))
                    .collect::<Vec<_>>(),
            },
            "functions": self.functions.iter().map(|f| json!({
                "function": f.name,
                "invocations": f.invocations,
                "cold_starts": f.init_ms.len(),
                "init_duration_ms": {
                    "p50": percentile_ms(&f.init_ms, 50.0),
                    "max": f.init_ms.last(),
                },
                "warm_duration_ms": {
                    "p50": percentile_ms(&f.warm_ms, 50.0),
                    "p99": percentile_ms(&f.warm_ms, 99.0),
                },
                "max_memory_used_mb": f.max_memory_used_mb,
                "memory_size_mb": f.memory_size_mb,
            })).collect::<Vec<_>>(),
            "passed": self.passed(),
        })
    }

    /// The human table.
    pub fn table(&self) -> String {
        let ms = |d: Option<Duration>| match Self::ms(d) {
            Some(v) => format!("{v:.1} ms"),
            None => "-".to_string(),
        };
        let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
        let mut rows: Vec<(String, String)> = vec![
            (
                "workflows".into(),
                format!(
                    "{} at concurrency {} (run {})",
                    self.workflows, self.concurrency, self.run_id
                ),
            ),
            ("finished as expected".into(), self.finished.to_string()),
            (
                "failed".into(),
                format!(
                    "{} ({} refused by PutEvents, {} another outcome)",
                    self.failed, self.put_failures, self.wrong_outcome
                ),
            ),
            (
                "unfinished".into(),
                format!(
                    "{}{}",
                    self.unfinished,
                    if self.timed_out { " (timed out)" } else { "" }
                ),
            ),
            (
                "terminal events".into(),
                format!(
                    "{} missing, {} duplicated",
                    self.missing_terminal, self.duplicate_terminal
                ),
            ),
            (
                "wall time".into(),
                format!("{:.2} s", self.wall.as_secs_f64()),
            ),
            (
                "throughput".into(),
                format!("{:.1} workflows/s", self.throughput()),
            ),
            ("latency p50".into(), ms(percentile(&self.latencies, 50.0))),
            ("latency p90".into(), ms(percentile(&self.latencies, 90.0))),
            ("latency p99".into(), ms(percentile(&self.latencies, 99.0))),
            ("latency max".into(), ms(self.latencies.last().copied())),
            (
                "kyc-local peak RSS".into(),
                mib(self.own_hwm_kib.unwrap_or(self.peak_own_kib)),
            ),
            (
                "functions peak RSS".into(),
                format!(
                    "{} (summed, up to {} processes)",
                    mib(self.peak_children_kib),
                    self.peak_children
                ),
            ),
        ];
        for (pct, m) in [25, 50, 75, 100].iter().zip(&self.memory_at) {
            rows.push((
                format!("RSS at {pct} %"),
                match m {
                    Some(m) => format!(
                        "kyc-local {}, functions {} ({} processes)",
                        mib(m.own_kib),
                        mib(m.children_kib),
                        m.children
                    ),
                    None => "-".to_string(),
                },
            ));
        }
        rows.push((
            "watching the log".into(),
            format!(
                "{} FilterLogEvents calls, {} events returned, {:.2} s in calls",
                self.polls,
                self.polled_events,
                self.poll_time.as_secs_f64()
            ),
        ));
        if self.scenarios.len() > 1 {
            for sc in &self.scenarios {
                rows.push((
                    format!("  {}", sc.label),
                    format!(
                        "{}/{} {} (p50 {}, p99 {})",
                        sc.as_expected,
                        sc.sent,
                        sc.expected,
                        ms(percentile(&sc.latencies, 50.0)),
                        ms(percentile(&sc.latencies, 99.0))
                    ),
                ));
            }
        }
        if let Some(h) = &self.hostile {
            rows.push((
                "hostile traffic".into(),
                format!(
                    "{} requests, {} answered otherwise than they must; {} hostile executions, {} ended otherwise",
                    h.sent, h.unexpected, h.executions, h.executions_wrong
                ),
            ));
            for example in &h.examples {
                rows.push(("  hostile".into(), example.clone()));
            }
        }
        if let Some(budget) = self.memory_budget_kib {
            rows.push((
                "memory budget".into(),
                format!(
                    "{} ({})",
                    mib(budget),
                    if self.within_memory_budget() {
                        "kept"
                    } else {
                        "EXCEEDED"
                    }
                ),
            ));
        }
        for example in &self.wrong_examples {
            rows.push(("unexpected outcome".into(), example.clone()));
        }
        for example in &self.unfinished_examples {
            rows.push(("unfinished".into(), example.clone()));
        }
        if self.reviews > 0 || self.review_errors > 0 {
            rows.push((
                "manual reviews".into(),
                format!(
                    "{} completed by the bench's reviewer, {} unexpected or not delivered",
                    self.reviews, self.review_errors
                ),
            ));
        }
        if let Some(values) = self.personal_data_checked {
            let found = if self.personal_data_found.is_empty() {
                "none found".to_string()
            } else {
                let mut places: Vec<String> = self
                    .personal_data_found
                    .iter()
                    .map(|(group, kind)| format!("{kind} in {group}"))
                    .collect();
                places.dedup();
                format!(
                    "FOUND {} times: {}",
                    self.personal_data_found.len(),
                    places.join(", ")
                )
            };
            rows.push((
                "personal data in logs".into(),
                format!("{values} names / dates of birth / document numbers searched in every log group: {found}"),
            ));
        }
        if let Some(per) = self.log_bytes_per_workflow() {
            let total: u64 = self.log_bytes.iter().map(|(_, b)| b).sum();
            rows.push((
                "log bytes".into(),
                format!(
                    "{per} per workflow ({total} in {} log groups)",
                    self.log_bytes.len()
                ),
            ));
        }
        let opt_ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2} ms"));
        let opt_ms_ref = |v: Option<&f64>| opt_ms(v.copied());
        for f in &self.functions {
            rows.push((
                format!("λ {}", f.name),
                format!(
                    "{} invocations, {} cold starts (init p50 {}, max {}), warm p50 {} p99 {}, max memory used {} MB of {} MB",
                    f.invocations,
                    f.init_ms.len(),
                    opt_ms(percentile_ms(&f.init_ms, 50.0)),
                    opt_ms_ref(f.init_ms.last()),
                    opt_ms(percentile_ms(&f.warm_ms, 50.0)),
                    opt_ms(percentile_ms(&f.warm_ms, 99.0)),
                    f.max_memory_used_mb,
                    f.memory_size_mb
                ),
            ));
        }
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (k, v) in rows {
            let _ = writeln!(out, "{k:<width$}  {v}");
        }
        out
    }
}

/// A request sent and not resolved yet.
struct Pending {
    sent_ms: i64,
    done: oneshot::Sender<(Instant, Terminal, bool)>,
}

/// A workflow that ended (or was refused).
struct Resolved {
    scenario: usize,
    latency: Option<Duration>,
    /// `None`: refused by PutEvents.
    terminal: Option<Terminal>,
    as_expected: bool,
}

#[derive(Default)]
struct Shared {
    pending: HashMap<String, Pending>,
    resolved: Vec<Resolved>,
    /// Send time of the last resolution seen.
    last_resolved: Option<Instant>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    // A worker that panicked while holding the lock leaves consistent data (single inserts/removes).
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

fn scenario_of(options: &BenchOptions, n: usize) -> usize {
    n % options.mix.len().max(1)
}

async fn worker(
    client: AwsJsonClient,
    shared: Arc<Mutex<Shared>>,
    next: Arc<AtomicUsize>,
    options: Arc<BenchOptions>,
    bus: Arc<String>,
    deadline: tokio::time::Instant,
) {
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= options.workflows || tokio::time::Instant::now() >= deadline {
            return;
        }
        let scenario = scenario_of(&options, n);
        let id = application_id(&options.run_id, n);
        let (tx, rx) = oneshot::channel();
        let sent = Instant::now();
        lock(&shared).pending.insert(
            id.clone(),
            Pending {
                sent_ms: now_ms(),
                done: tx,
            },
        );
        let entry = match options.mix.get(scenario) {
            Some(s) => scenario_entry(s, &options.run_id, n, &bus),
            None => entry(&options.run_id, n, &bus),
        };
        let body = json!({ "Entries": [entry] });
        let accepted = match client.call("AWSEvents.PutEvents", &body).await {
            Ok(answer) => answer["FailedEntryCount"].as_u64() == Some(0),
            Err(_) => false,
        };
        if !accepted {
            let mut s = lock(&shared);
            s.pending.remove(&id);
            s.resolved.push(Resolved {
                scenario,
                latency: None,
                terminal: None,
                as_expected: false,
            });
            continue;
        }
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok((seen, terminal, as_expected))) => {
                let mut s = lock(&shared);
                s.resolved.push(Resolved {
                    scenario,
                    latency: Some(seen.saturating_duration_since(sent)),
                    terminal: Some(terminal),
                    as_expected,
                });
                s.last_resolved = Some(s.last_resolved.map_or(seen, |l| l.max(seen)));
            }
            // Timed out (still pending: unfinished) or the poller is gone.
            _ => return,
        }
    }
}

/// One FilterLogEvents sweep of `group` from `start_ms` with `pattern`, every page;
/// `(eventId, timestamp, message)`.
async fn filter_log(
    client: &AwsJsonClient,
    group: &str,
    start_ms: i64,
    pattern: &str,
) -> Result<Vec<(String, i64, String)>, DemoError> {
    let events = client
        .call_all_pages(
            "Logs_20140328.FilterLogEvents",
            json!({"logGroupName": group, "startTime": start_ms, "filterPattern": pattern}),
            "events",
        )
        .await?;
    Ok(events
        .iter()
        .filter_map(|event| {
            Some((
                event["eventId"].as_str()?.to_string(),
                event["timestamp"].as_i64()?,
                event["message"].as_str()?.to_string(),
            ))
        })
        .collect())
}

/// The terminal events of `group` from `start_ms`.
async fn filter_terminal(
    client: &AwsJsonClient,
    group: &str,
    start_ms: i64,
) -> Result<Vec<(String, i64, String)>, DemoError> {
    filter_log(client, group, start_ms, TERMINAL_FILTER).await
}

/// FilterLogEvents pattern for the review requests in the customer-service log group.
const REVIEW_FILTER: &str = "\"Manual review requested\"";

/// Puts Manual review started, then Manual review completed with `decision`, as a reviewer (or a
/// case tool) would; `true` when both were accepted.
async fn review(client: &AwsJsonClient, bus: &str, token: &str, decision: &str) -> bool {
    for (detail_type, detail) in [
        (
            "Manual review started",
            json!({"taskToken": token, "reviewer": "bench-reviewer"}),
        ),
        (
            "Manual review completed",
            json!({"taskToken": token, "decision": decision, "reviewer": "bench-reviewer",
                   "comment": "kyc-local bench"}),
        ),
    ] {
        let body = json!({"Entries": [{
            "Source": "com.aws.review",
            "DetailType": detail_type,
            "Detail": detail.to_string(),
            "EventBusName": bus,
        }]});
        match client.call("AWSEvents.PutEvents", &body).await {
            Ok(answer) if answer["FailedEntryCount"].as_u64() == Some(0) => {}
            _ => return false,
        }
    }
    true
}

/// Where the execution of `application_id` stands: its status and its last history events (for an
/// unfinished workflow). Describes the newest executions first, at most [`WHERE_IS_SCAN`].
async fn where_is(
    client: &AwsJsonClient,
    state_machine_arn: &str,
    application_id: &str,
) -> Result<String, DemoError> {
    let executions = demo::list_executions(client, state_machine_arn).await?;
    for execution in executions.iter().take(WHERE_IS_SCAN) {
        let Some(arn) = execution["executionArn"].as_str() else {
            continue;
        };
        let described = client
            .call(
                "AWSStepFunctions.DescribeExecution",
                &json!({"executionArn": arn}),
            )
            .await?;
        let input: Value = described["input"]
            .as_str()
            .and_then(|i| serde_json::from_str(i).ok())
            .unwrap_or(Value::Null);
        if input["detail"]["applicationId"] != application_id {
            continue;
        }
        let history = client
            .call(
                "AWSStepFunctions.GetExecutionHistory",
                &json!({"executionArn": arn, "reverseOrder": true, "maxResults": 6}),
            )
            .await?;
        let mut last: Vec<String> = history["events"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let state = e["stateEnteredEventDetails"]["name"]
                    .as_str()
                    .or_else(|| e["stateExitedEventDetails"]["name"].as_str())
                    .unwrap_or("");
                format!("{} {}", e["type"].as_str().unwrap_or("?"), state)
                    .trim_end()
                    .to_string()
            })
            .collect();
        last.reverse();
        return Ok(format!(
            "execution {} {}, last events: {}",
            execution["name"].as_str().unwrap_or("?"),
            described["status"].as_str().unwrap_or("?"),
            last.join(" > ")
        ));
    }
    Ok(format!(
        "no execution found among the newest {}",
        executions.len().min(WHERE_IS_SCAN)
    ))
}

/// Executions [`where_is`] describes at most.
const WHERE_IS_SCAN: usize = 20_000;

/// Every log group of the stack and its `storedBytes` (DescribeLogGroups, every page).
async fn log_groups(client: &AwsJsonClient) -> Result<BTreeMap<String, u64>, DemoError> {
    let groups = client
        .call_all_pages("Logs_20140328.DescribeLogGroups", json!({}), "logGroups")
        .await?;
    Ok(groups
        .iter()
        .filter_map(|g| {
            Some((
                g["logGroupName"].as_str()?.to_string(),
                g["storedBytes"].as_u64().unwrap_or(0),
            ))
        })
        .collect())
}

/// The REPORT figures of `function` since `start_ms`.
async fn function_report(
    client: &AwsJsonClient,
    function: &str,
    start_ms: i64,
) -> Result<FunctionReport, DemoError> {
    let group = format!("/aws/lambda/{function}");
    let mut report = FunctionReport {
        name: function.to_string(),
        ..FunctionReport::default()
    };
    // JSON log format (the template's) and text format: one of the two finds the reports.
    for pattern in ["{ $.type = \"platform.report\" }", "\"REPORT RequestId\""] {
        let events = match filter_log(client, &group, start_ms, pattern).await {
            Ok(events) => events,
            // No log group: the function never ran.
            Err(DemoError::Call(demo::CallError::Api { code, .. }))
                if code == "ResourceNotFoundException" =>
            {
                break;
            }
            Err(e) => return Err(e),
        };
        for (_, _, message) in events {
            let Some((duration, init, max_used, size)) = report_figures(&message) else {
                continue;
            };
            report.invocations += 1;
            match init {
                Some(init) => report.init_ms.push(init),
                None => report.warm_ms.push(duration),
            }
            report.max_memory_used_mb = report.max_memory_used_mb.max(max_used);
            report.memory_size_mb = report.memory_size_mb.max(size);
        }
    }
    report.init_ms.sort_by(f64::total_cmp);
    report.warm_ms.sort_by(f64::total_cmp);
    Ok(report)
}

/// Runs the bench against the stack at `client`; `progress` gets a line about once a second.
pub async fn run(
    client: &AwsJsonClient,
    targets: &DemoTargets,
    mut options: BenchOptions,
    mut progress: impl FnMut(&str),
) -> Result<BenchReport, DemoError> {
    if options.mix.is_empty() {
        options.mix = approval_mix();
    }
    let options = Arc::new(options);
    let shared = Arc::new(Mutex::new(Shared::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let bus = Arc::new(targets.event_bus_name.clone());
    let bytes_before = log_groups(client).await?;
    let run_start_ms = now_ms();
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + options.timeout;
    let (stop_hostile, hostile_stop) = tokio::sync::watch::channel(false);
    let hostile = match (
        options.hostile,
        client.endpoint().trim_start_matches("http://").parse(),
    ) {
        (true, Ok(addr)) => Some(tokio::spawn(crate::hostile::run(
            client.clone(),
            addr,
            hostile_stop,
        ))),
        _ => None,
    };
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..options.concurrency.max(1) {
        workers.spawn(worker(
            client.clone(),
            Arc::clone(&shared),
            Arc::clone(&next),
            Arc::clone(&options),
            Arc::clone(&bus),
            deadline,
        ));
    }

    let prefix = format!("bench-{}-", options.run_id);
    let window_start = run_start_ms.div_euclid(1000) * 1000 - WINDOW_MARGIN_MS;
    let mut poll = IncrementalPoll::new(window_start);
    // The reviewer: only when some scenario waits for a review.
    let reviewing = options.mix.iter().any(|s| s.review_decision.is_some());
    let mut review_poll = IncrementalPoll::new(window_start);
    let mut reviewed: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut reviewers: tokio::task::JoinSet<bool> = tokio::task::JoinSet::new();
    let mut report = BenchReport {
        run_id: options.run_id.clone(),
        workflows: options.workflows,
        concurrency: options.concurrency,
        ..BenchReport::default()
    };
    let mut last_sample = Instant::now() - SAMPLE_EVERY;
    let mut last_progress = Instant::now();
    let mut milestone = 0usize;
    loop {
        while workers.try_join_next().is_some() {}
        while let Some(done) = reviewers.try_join_next() {
            match done {
                Ok(true) => report.reviews += 1,
                _ => report.review_errors += 1,
            }
        }
        let workers_done = workers.is_empty();
        if tokio::time::Instant::now() >= deadline {
            report.timed_out = true;
            break;
        }
        // Where the window starts: the oldest request still waiting (or now, when none is).
        let oldest = {
            let s = lock(&shared);
            s.pending.values().map(|p| p.sent_ms).min()
        };
        if workers_done && oldest.is_none() {
            break;
        }
        let oldest = oldest.unwrap_or_else(now_ms);
        poll.advance(oldest);
        let poll_started = Instant::now();
        if reviewing {
            review_poll.advance(oldest);
            let requests = filter_log(
                client,
                &targets.customer_service_log_group,
                review_poll.start_ms(),
                REVIEW_FILTER,
            )
            .await?;
            report.polls += 1;
            report.polled_events += requests.len() as u64;
            for (event_id, timestamp, message) in requests {
                if !review_poll.accept(&event_id, timestamp) {
                    continue;
                }
                let Some((id, token)) = review_request_of(&message) else {
                    continue;
                };
                let Some(n) = workflow_of(&id, &prefix) else {
                    continue;
                };
                if !reviewed.insert(id) {
                    continue;
                }
                match options.mix[scenario_of(&options, n)].review_decision {
                    Some(decision) => {
                        let client = client.clone();
                        let bus = Arc::clone(&bus);
                        reviewers
                            .spawn(async move { review(&client, &bus, &token, decision).await });
                    }
                    // Its scenario must not ask for a review: count it, leave it waiting (it ends
                    // unfinished).
                    None => report.review_errors += 1,
                }
            }
        }
        let events = filter_terminal(client, &targets.accounts_log_group, poll.start_ms()).await?;
        let seen_at = Instant::now();
        report.polls += 1;
        report.polled_events += events.len() as u64;
        report.poll_time += seen_at - poll_started;
        for (event_id, timestamp, message) in events {
            if !poll.accept(&event_id, timestamp) {
                continue;
            }
            let Some(event) = terminal_event(&message) else {
                continue;
            };
            let Some(n) = workflow_of(&event.application_id, &prefix) else {
                continue;
            };
            let waiting = lock(&shared).pending.remove(&event.application_id);
            if let Some(p) = waiting {
                let expected = options.mix[scenario_of(&options, n)].expected;
                let as_expected =
                    demo::matches_expectation(expected, &event.detail_type, &event.detail);
                if !as_expected && report.wrong_examples.len() < WRONG_EXAMPLES {
                    report.wrong_examples.push(format!(
                        "{}: expected {}, got {} {}",
                        event.application_id,
                        expected.label(),
                        event.detail_type,
                        event.detail
                    ));
                }
                let _ = p.done.send((seen_at, event.terminal, as_expected));
            }
            // A second terminal event of an application already resolved is counted by the final
            // sweep below, which sees the whole run.
        }
        if last_sample.elapsed() >= SAMPLE_EVERY {
            last_sample = Instant::now();
            let m = sample_memory();
            report.peak_own_kib = report.peak_own_kib.max(m.own_kib);
            report.peak_children_kib = report.peak_children_kib.max(m.children_kib);
            report.peak_children = report.peak_children.max(m.children);
        }
        let resolved = lock(&shared).resolved.len();
        while milestone < 4 && resolved * 4 >= options.workflows * (milestone + 1) {
            let m = sample_memory();
            report.peak_own_kib = report.peak_own_kib.max(m.own_kib);
            report.peak_children_kib = report.peak_children_kib.max(m.children_kib);
            report.peak_children = report.peak_children.max(m.children);
            report.memory_at[milestone] = Some(m);
            milestone += 1;
        }
        if last_progress.elapsed() >= Duration::from_secs(1) {
            last_progress = Instant::now();
            let in_flight = lock(&shared).pending.len();
            progress(&format!(
                "{:>6.1} s  resolved {resolved}/{}  in flight {in_flight}  reviews {}  window {} ids",
                started.elapsed().as_secs_f64(),
                options.workflows,
                report.reviews,
                poll.remembered()
            ));
        }
        tokio::time::sleep(options.poll_pause).await;
    }
    workers.abort_all();
    while workers.join_next().await.is_some() {}
    while let Some(done) = reviewers.join_next().await {
        match done {
            Ok(true) => report.reviews += 1,
            _ => report.review_errors += 1,
        }
    }
    // The loop ends as soon as the last workflow resolves: take the milestones it did not sample.
    let resolved_count = lock(&shared).resolved.len();
    while milestone < 4 && resolved_count * 4 >= options.workflows * (milestone + 1) {
        report.memory_at[milestone] = Some(sample_memory());
        milestone += 1;
    }

    let _ = stop_hostile.send(true);
    if let Some(task) = hostile {
        report.hostile = Some(
            task.await
                .unwrap_or_else(|e| crate::hostile::HostileReport {
                    unexpected: 1,
                    examples: vec![format!("the hostile traffic task failed: {e}")],
                    ..Default::default()
                }),
        );
    }
    report.memory_budget_kib = options.memory_budget_kib;
    let (resolved, last_resolved, still_pending) = {
        let mut s = lock(&shared);
        let pending: Vec<String> = s.pending.drain().map(|(id, _)| id).collect();
        (std::mem::take(&mut s.resolved), s.last_resolved, pending)
    };
    report.wall = match (report.timed_out, last_resolved) {
        (false, Some(last)) => last.saturating_duration_since(started),
        _ => started.elapsed(),
    };
    report.scenarios = options
        .mix
        .iter()
        .map(|s| ScenarioReport {
            label: s.label.clone(),
            expected: s.expected.label().to_string(),
            ..ScenarioReport::default()
        })
        .collect();
    let sent = next.load(Ordering::Relaxed).min(options.workflows);
    for n in 0..sent {
        if let Some(s) = report.scenarios.get_mut(scenario_of(&options, n)) {
            s.sent += 1;
        }
    }
    let mut latencies = Vec::with_capacity(resolved.len());
    for r in &resolved {
        match (r.terminal, r.as_expected) {
            (Some(_), true) => report.finished += 1,
            (Some(_), false) => {
                report.failed += 1;
                report.wrong_outcome += 1;
            }
            (None, _) => {
                report.failed += 1;
                report.put_failures += 1;
            }
        }
        if let Some(s) = report.scenarios.get_mut(r.scenario) {
            if r.as_expected {
                s.as_expected += 1;
            }
            if let Some(l) = r.latency {
                s.latencies.push(l);
            }
        }
        if let Some(l) = r.latency {
            latencies.push(l);
        }
    }
    for s in &mut report.scenarios {
        s.latencies.sort();
    }
    latencies.sort();
    report.latencies = latencies;
    report.unfinished = options
        .workflows
        .saturating_sub(report.finished + report.failed);

    // The invariant, over the whole run: exactly one terminal event per accepted application.
    tokio::time::sleep(SETTLE).await;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, message) in
        filter_terminal(client, &targets.accounts_log_group, window_start).await?
    {
        if let Some((id, _)) = terminal_of(&message)
            && id.starts_with(&prefix)
        {
            *counts.entry(id).or_default() += 1;
        }
    }
    for id in still_pending.iter().take(WRONG_EXAMPLES) {
        let where_ = where_is(client, &targets.state_machine_arn, id).await?;
        // What the log groups hold for it, searched by applicationId over all time.
        let mut logged = Vec::new();
        for group in [
            &targets.accounts_log_group,
            &targets.customer_service_log_group,
        ] {
            let pattern = format!("{{ $.detail.applicationId = \"{id}\" }}");
            let events = filter_log(client, group, 0, &pattern).await?;
            let types: Vec<String> = events
                .iter()
                .filter_map(|(_, ts, m)| {
                    let v: Value = serde_json::from_str(m).ok()?;
                    Some(format!("{}@{ts}", v["detail-type"].as_str()?))
                })
                .collect();
            logged.push(format!("{group}: [{}]", types.join(", ")));
        }
        report
            .unfinished_examples
            .push(format!("{id}: {where_}; logged: {}", logged.join("; ")));
    }
    let accepted = report.finished + report.failed - report.put_failures + still_pending.len();
    report.duplicate_terminal = counts.values().filter(|c| **c > 1).count();
    report.missing_terminal = accepted.saturating_sub(counts.len());

    // No personal data of the applicants in any log group of the stack.
    let personal = personal_data(&options.mix);
    let groups = log_groups(client).await?;
    report.log_bytes = groups
        .iter()
        .map(|(group, bytes)| {
            let before = bytes_before.get(group).copied().unwrap_or(0);
            (group.clone(), bytes.saturating_sub(before))
        })
        .filter(|(_, bytes)| *bytes > 0)
        .collect();
    if !personal.is_empty() {
        for group in groups.keys() {
            for (kind, value) in &personal {
                let pattern = format!("\"{}\"", value.replace('"', ""));
                let hits = filter_log(client, group, window_start, &pattern).await?;
                for _ in hits {
                    report
                        .personal_data_found
                        .push((group.clone(), (*kind).to_string()));
                }
            }
        }
        report.personal_data_checked = Some(personal.len());
    }
    for function in &options.functions {
        report
            .functions
            .push(function_report(client, function, window_start).await?);
    }

    let m = sample_memory();
    report.peak_own_kib = report.peak_own_kib.max(m.own_kib);
    report.peak_children_kib = report.peak_children_kib.max(m.children_kib);
    report.peak_children = report.peak_children.max(m.children);
    report.own_hwm_kib = own_peak_kib();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(&values, 50.0), Some(ms(50)));
        assert_eq!(percentile(&values, 90.0), Some(ms(90)));
        assert_eq!(percentile(&values, 99.0), Some(ms(99)));
        assert_eq!(percentile(&values, 100.0), Some(ms(100)));
        assert_eq!(percentile(&values, 0.0), Some(ms(1)));
        let few = [ms(10), ms(20), ms(30)];
        assert_eq!(percentile(&few, 50.0), Some(ms(20)));
        assert_eq!(percentile(&few, 99.0), Some(ms(30)));
        assert_eq!(percentile(&[ms(7)], 50.0), Some(ms(7)));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn the_poll_window_floors_to_the_second_and_never_moves_back() {
        let mut poll = IncrementalPoll::new(0);
        poll.advance(1_700_000_012_345);
        assert_eq!(poll.start_ms(), 1_700_000_012_000);
        poll.advance(1_700_000_011_999);
        assert_eq!(poll.start_ms(), 1_700_000_012_000);
        poll.advance(1_700_000_013_001);
        assert_eq!(poll.start_ms(), 1_700_000_013_000);
    }

    #[test]
    fn the_poll_drops_seen_ids_and_forgets_those_behind_the_window() {
        let mut poll = IncrementalPoll::new(0);
        assert!(poll.accept("a", 10_000));
        assert!(poll.accept("b", 12_000));
        assert!(!poll.accept("a", 10_000));
        assert!(!poll.accept("b", 12_000));
        assert_eq!(poll.remembered(), 2);
        // Window moves to 11 000: "a" can no longer be returned, so it is forgotten.
        poll.advance(11_500);
        assert_eq!(poll.start_ms(), 11_000);
        assert_eq!(poll.remembered(), 1);
        assert!(!poll.accept("b", 12_000));
        assert!(poll.accept("c", 12_000));
        assert_eq!(poll.remembered(), 2);
    }

    #[test]
    fn terminal_events_are_read_from_the_log_message() {
        let approved = json!({"detail-type": "New account approved", "source": "com.aws.kyc",
                              "detail": {"applicationId": "bench-r-1", "decidedBy": "AUTOMATIC"}});
        assert_eq!(
            terminal_of(&approved.to_string()),
            Some(("bench-r-1".to_string(), Terminal::Approved))
        );
        let failed = json!({"detail-type": "KYC processing failed",
                            "detail": {"applicationId": "bench-r-2"}});
        assert_eq!(
            terminal_of(&failed.to_string()),
            Some(("bench-r-2".to_string(), Terminal::ProcessingFailed))
        );
        let declined = json!({"detail-type": "New account declined",
                              "detail": {"applicationId": "x"}});
        assert_eq!(
            terminal_of(&declined.to_string()),
            Some(("x".to_string(), Terminal::Declined))
        );
        let milestone = json!({"detail-type": "Identity check completed",
                               "detail": {"applicationId": "bench-r-1"}});
        assert_eq!(terminal_of(&milestone.to_string()), None);
        let no_id = json!({"detail-type": "New account approved", "detail": {}});
        assert_eq!(terminal_of(&no_id.to_string()), None);
        assert_eq!(terminal_of("not json"), None);
    }

    #[test]
    fn entries_carry_a_unique_application_and_only_name_and_address() {
        let e = entry("r1", 7, "CentralEventBus");
        assert_eq!(e["Source"], "com.aws.accounts");
        assert_eq!(e["DetailType"], "New account requested");
        assert_eq!(e["EventBusName"], "CentralEventBus");
        let detail: Value = serde_json::from_str(e["Detail"].as_str().unwrap()).unwrap();
        let mut keys: Vec<&str> = detail
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(keys, ["applicationId", "customerAddress", "customerName"]);
        assert_eq!(detail["applicationId"], "bench-r1-7");
    }

    #[test]
    fn proc_files_are_parsed() {
        let status =
            "Name:\tkyc-local\nVmPeak:\t  200 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!(status_field_kib(status, "VmHWM"), Some(51_234));
        assert_eq!(status_field_kib(status, "VmRSS"), Some(40_960));
        assert_eq!(status_field_kib(status, "VmSwap"), None);
        let stat = "4242 (identity (check) x) S 4100 4242 4100 0 -1 4194560";
        assert_eq!(ppid_of_stat(stat), Some(4100));
        assert_eq!(ppid_of_stat("garbage"), None);
    }

    fn sample_report() -> BenchReport {
        BenchReport {
            run_id: "r1".into(),
            workflows: 4,
            concurrency: 2,
            finished: 3,
            failed: 1,
            unfinished: 0,
            put_failures: 1,
            wall: Duration::from_secs(2),
            latencies: vec![ms(10), ms(20), ms(30)],
            missing_terminal: 0,
            duplicate_terminal: 0,
            memory_at: [
                Some(MemorySample {
                    own_kib: 10_240,
                    children_kib: 20_480,
                    children: 4,
                }),
                None,
                None,
                None,
            ],
            peak_own_kib: 10_240,
            own_hwm_kib: Some(12_288),
            peak_children_kib: 20_480,
            peak_children: 4,
            timed_out: false,
            polls: 9,
            polled_events: 30,
            poll_time: ms(250),
            ..BenchReport::default()
        }
    }

    #[test]
    fn the_report_renders_a_table_and_json() {
        let report = sample_report();
        assert!(!report.passed());
        assert_eq!(report.throughput(), 1.5);
        let table = report.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 18);
        assert_eq!(
            lines[17],
            "watching the log      9 FilterLogEvents calls, 30 events returned, 0.25 s in calls"
        );
        assert_eq!(
            lines[0],
            "workflows             4 at concurrency 2 (run r1)"
        );
        assert_eq!(
            lines[2],
            "failed                1 (1 refused by PutEvents, 0 another outcome)"
        );
        assert_eq!(lines[6], "throughput            1.5 workflows/s");
        assert_eq!(lines[7], "latency p50           20.0 ms");
        assert_eq!(lines[10], "latency max           30.0 ms");
        assert_eq!(lines[11], "kyc-local peak RSS    12.0 MiB");
        assert_eq!(
            lines[13],
            "RSS at 25 %           kyc-local 10.0 MiB, functions 20.0 MiB (4 processes)"
        );
        assert_eq!(lines[14], "RSS at 50 %           -");
        let v = report.to_json();
        assert_eq!(v["throughput_per_second"], 1.5);
        assert_eq!(v["latency_ms"]["p50"], 20.0);
        assert_eq!(v["latency_ms"]["p99"], 30.0);
        assert_eq!(v["latency_ms"]["max"], 30.0);
        assert_eq!(v["memory"]["own_peak_rss_kib"], 12_288);
        assert_eq!(v["memory"]["samples"][0]["functions_rss_kib"], 20_480);
        assert_eq!(v["memory"]["samples"][1], json!({"percent": 50}));
        assert_eq!(v["log_polled_events"], 30);
        assert_eq!(v["passed"], false);
    }

    #[test]
    fn a_clean_run_passes_and_any_duplicate_fails_it() {
        let mut report = sample_report();
        report.finished = 4;
        report.failed = 0;
        report.put_failures = 0;
        assert!(report.passed());
        report.duplicate_terminal = 1;
        assert!(!report.passed());
        report.duplicate_terminal = 0;
        report.missing_terminal = 1;
        assert!(!report.passed());
    }

    fn repo_events() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
    }

    #[test]
    fn the_kyc_mix_is_every_demo_application_with_both_review_decisions() {
        let mix = kyc_mix(&repo_events()).unwrap();
        let labels: Vec<&str> = mix.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "put_events.json #1",
                "put_events.json #2",
                "approved.json",
                "declined-identity.json #1",
                "declined-identity.json #2",
                "declined-risk.json",
                "manual-review.json (reviewer declines)",
                "manual-review.json (reviewer approves)",
                "invalid-application.json #1",
                "invalid-application.json #2",
                "invalid-application.json #3",
                "invalid-application.json #4",
            ]
        );
        let expected: Vec<Expected> = mix.iter().map(|s| s.expected).collect();
        assert_eq!(
            expected,
            [
                Expected::ApprovedAutomatically,
                Expected::ApprovedAutomatically,
                Expected::ApprovedAutomatically,
                Expected::DeclinedByIdentity,
                Expected::DeclinedByIdentity,
                Expected::DeclinedByRisk,
                Expected::DeclinedAfterReview,
                Expected::ApprovedAfterReview,
                Expected::DeclinedInvalid,
                Expected::DeclinedInvalid,
                Expected::DeclinedInvalid,
                Expected::DeclinedInvalid,
            ]
        );
        let decisions: Vec<Option<&str>> = mix.iter().map(|s| s.review_decision).collect();
        assert_eq!(decisions[6], Some("DECLINE"));
        assert_eq!(decisions[7], Some("APPROVE"));
        assert_eq!(decisions.iter().filter(|d| d.is_some()).count(), 2);
        // Workflow n of a run is scenario n % 12, under its own applicationId.
        let e = scenario_entry(&mix[7], "r2", 17, "CentralEventBus");
        let detail: Value = serde_json::from_str(e["Detail"].as_str().unwrap()).unwrap();
        assert_eq!(detail["applicationId"], "bench-r2-17");
        assert_eq!(detail["customerName"], mix[7].detail["customerName"]);
    }

    #[test]
    fn a_missing_events_directory_is_an_error() {
        let err = kyc_mix(std::path::Path::new("/nonexistent/events")).unwrap_err();
        assert!(err.to_string().contains("put_events.json"), "{err}");
    }

    #[test]
    fn personal_data_lists_names_birth_dates_and_document_numbers_once() {
        let mix = vec![
            MixScenario {
                label: "a".into(),
                detail: json!({"customerName": "Diego Ramirez", "dateOfBirth": "1992-07-19",
                               "document": {"type": "passport", "number": "P1234567"}}),
                expected: Expected::ApprovedAutomatically,
                review_decision: None,
            },
            MixScenario {
                label: "b".into(),
                detail: json!({"customerName": "Diego Ramirez", "customerAddress": "x"}),
                expected: Expected::ApprovedAutomatically,
                review_decision: None,
            },
            MixScenario {
                label: "c".into(),
                detail: json!({"customerName": "  ", "dateOfBirth": 19920719,
                               "document": {"type": "library_card", "number": "123"}}),
                expected: Expected::DeclinedInvalid,
                review_decision: None,
            },
        ];
        assert_eq!(
            personal_data(&mix),
            [
                ("full name", "Diego Ramirez".to_string()),
                ("date of birth", "1992-07-19".to_string()),
                ("document number", "P1234567".to_string()),
            ]
        );
    }

    #[test]
    fn review_requests_and_workflow_numbers_are_read() {
        let request = json!({"detail-type": "Manual review requested",
                             "detail": {"applicationId": "bench-r-5", "taskToken": "tok"}});
        assert_eq!(
            review_request_of(&request.to_string()),
            Some(("bench-r-5".to_string(), "tok".to_string()))
        );
        let other = json!({"detail-type": "New account approved",
                           "detail": {"applicationId": "bench-r-5", "taskToken": "tok"}});
        assert_eq!(review_request_of(&other.to_string()), None);
        let no_token = json!({"detail-type": "Manual review requested",
                              "detail": {"applicationId": "bench-r-5"}});
        assert_eq!(review_request_of(&no_token.to_string()), None);
        assert_eq!(workflow_of("bench-r-5", "bench-r-"), Some(5));
        assert_eq!(workflow_of("bench-s-5", "bench-r-"), None);
        assert_eq!(workflow_of("bench-r-x", "bench-r-"), None);
    }

    #[test]
    fn terminal_events_keep_their_detail() {
        let declined = json!({"detail-type": "New account declined",
                              "detail": {"applicationId": "bench-r-3", "decidedBy": "MANUAL_REVIEW"}});
        let event = terminal_event(&declined.to_string()).unwrap();
        assert_eq!(event.application_id, "bench-r-3");
        assert_eq!(event.terminal, Terminal::Declined);
        assert_eq!(event.detail_type, "New account declined");
        assert!(demo::matches_expectation(
            Expected::DeclinedAfterReview,
            &event.detail_type,
            &event.detail
        ));
        assert!(!demo::matches_expectation(
            Expected::ApprovedAfterReview,
            &event.detail_type,
            &event.detail
        ));
        assert_eq!(terminal_event("{}"), None);
    }

    #[test]
    fn report_records_and_lines_are_parsed() {
        let cold = json!({"time": "2026-12-02T16:00:00.000Z", "type": "platform.report",
            "record": {"requestId": "r", "status": "success", "metrics": {
                "durationMs": 1.25, "billedDurationMs": 20, "memorySizeMB": 128,
                "maxMemoryUsedMB": 14, "initDurationMs": 18.5}}});
        assert_eq!(
            report_figures(&cold.to_string()),
            Some((1.25, Some(18.5), 14, 128))
        );
        let start = json!({"type": "platform.start", "record": {"requestId": "r"}});
        assert_eq!(report_figures(&start.to_string()), None);
        assert_eq!(
            report_figures(
                "REPORT RequestId: rid\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t\n"
            ),
            Some((12.35, None, 18, 128))
        );
        assert_eq!(
            report_figures(
                "REPORT RequestId: rid\tDuration: 2.00 ms\tBilled Duration: 124 ms\tMemory Size: 256 MB\tMax Memory Used: 19 MB\tInit Duration: 120.33 ms\t\n"
            ),
            Some((2.0, Some(120.33), 19, 256))
        );
        assert_eq!(
            report_figures("START RequestId: rid Version: $LATEST"),
            None
        );
        assert_eq!(percentile_ms(&[1.0, 2.0, 3.0, 4.0], 50.0), Some(2.0));
        assert_eq!(percentile_ms(&[], 50.0), None);
    }

    #[test]
    fn a_mixed_report_shows_scenarios_reviews_personal_data_and_functions() {
        let mut report = sample_report();
        report.finished = 4;
        report.failed = 0;
        report.put_failures = 0;
        report.reviews = 2;
        report.scenarios = vec![
            ScenarioReport {
                label: "approved.json".into(),
                expected: "approved automatically".into(),
                sent: 2,
                as_expected: 2,
                latencies: vec![ms(10), ms(20)],
            },
            ScenarioReport {
                label: "manual-review.json (reviewer approves)".into(),
                expected: "approved after review".into(),
                sent: 2,
                as_expected: 2,
                latencies: vec![ms(30), ms(40)],
            },
        ];
        report.personal_data_checked = Some(3);
        report.functions = vec![FunctionReport {
            name: "kyc-identity-check".into(),
            invocations: 4,
            init_ms: vec![15.5],
            warm_ms: vec![0.5, 0.75, 1.0],
            max_memory_used_mb: 14,
            memory_size_mb: 128,
        }];
        report.log_bytes = vec![
            ("/aws/events/kyc/accounts".into(), 3_000),
            ("/aws/lambda/x".into(), 5_000),
        ];
        assert_eq!(report.log_bytes_per_workflow(), Some(2_000));
        assert!(report.passed());
        let table = report.table();
        assert!(
            table.contains("2000 per workflow (8000 in 2 log groups)"),
            "{table}"
        );
        assert!(
            table.contains("manual-review.json (reviewer approves)  2/2 approved after review (p50 30.0 ms, p99 40.0 ms)"),
            "{table}"
        );
        assert!(
            table.contains("2 completed by the bench's reviewer, 0 unexpected"),
            "{table}"
        );
        assert!(table.contains("3 names / dates of birth / document numbers searched in every log group: none found"), "{table}");
        assert!(
            table.contains("4 invocations, 1 cold starts (init p50 15.50 ms, max 15.50 ms), warm p50 0.75 ms p99 1.00 ms, max memory used 14 MB of 128 MB"),
            "{table}"
        );
        let v = report.to_json();
        assert_eq!(v["scenarios"][1]["as_expected"], 2);
        assert_eq!(v["scenarios"][1]["latency_ms"]["p50"], 30.0);
        assert_eq!(v["functions"][0]["cold_starts"], 1);
        assert_eq!(v["functions"][0]["warm_duration_ms"]["p99"], 1.0);
        assert_eq!(v["personal_data"]["values_checked"], 3);
        // Any leak, or any unexpected review, fails the run.
        report.personal_data_found.push((
            "/aws/lambda/kyc-identity-check".into(),
            "document number".into(),
        ));
        assert!(!report.passed());
        assert!(
            report
                .table()
                .contains("FOUND 1 times: document number in /aws/lambda/kyc-identity-check")
        );
        report.personal_data_found.clear();
        report.review_errors = 1;
        assert!(!report.passed());
    }
}
