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

use crate::demo::{AwsJsonClient, DemoError, DemoTargets};

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
}

/// The application id of workflow `n` of run `run_id`.
pub fn application_id(run_id: &str, n: usize) -> String {
    format!("bench-{run_id}-{n}")
}

/// The PutEvents entry of workflow `n`: an applicant with a name and an address only (like
/// `events/put_events.json`), which the workflow approves automatically.
pub fn entry(run_id: &str, n: usize, event_bus_name: &str) -> Value {
    let detail = json!({
        "applicationId": application_id(run_id, n),
        "customerName": "Bench Applicant",
        "customerAddress": "1 Bench Street, Testville, USA",
    });
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
    let terminal = match value["detail-type"].as_str()? {
        "New account approved" => Terminal::Approved,
        "New account declined" => Terminal::Declined,
        "KYC processing failed" => Terminal::ProcessingFailed,
        _ => return None,
    };
    let id = value["detail"]["applicationId"].as_str()?;
    Some((id.to_string(), terminal))
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
    /// Reached New account approved in time.
    pub finished: usize,
    /// Declined, processing failed, or refused by PutEvents.
    pub failed: usize,
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

    /// Every workflow approved, exactly one terminal event each.
    pub fn passed(&self) -> bool {
        self.finished == self.workflows
            && self.failed == 0
            && self.unfinished == 0
            && self.missing_terminal == 0
            && self.duplicate_terminal == 0
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
            ("finished (approved)".into(), self.finished.to_string()),
            (
                "failed".into(),
                format!(
                    "{} ({} refused by PutEvents)",
                    self.failed, self.put_failures
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
    done: oneshot::Sender<(Instant, Terminal)>,
}

#[derive(Default)]
struct Shared {
    pending: HashMap<String, Pending>,
    /// Resolved workflows: latency and how they ended (None = refused by PutEvents).
    resolved: Vec<(Option<Duration>, Option<Terminal>)>,
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
        let body = json!({ "Entries": [entry(&options.run_id, n, &bus)] });
        let accepted = match client.call("AWSEvents.PutEvents", &body).await {
            Ok(answer) => answer["FailedEntryCount"].as_u64() == Some(0),
            Err(_) => false,
        };
        if !accepted {
            let mut s = lock(&shared);
            s.pending.remove(&id);
            s.resolved.push((None, None));
            continue;
        }
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok((seen, terminal))) => {
                let mut s = lock(&shared);
                s.resolved
                    .push((Some(seen.saturating_duration_since(sent)), Some(terminal)));
                s.last_resolved = Some(s.last_resolved.map_or(seen, |l| l.max(seen)));
            }
            // Timed out (still pending: unfinished) or the poller is gone.
            _ => return,
        }
    }
}

/// One FilterLogEvents sweep of `group` from `start_ms`, every page; `(eventId, timestamp, message)`.
async fn filter_terminal(
    client: &AwsJsonClient,
    group: &str,
    start_ms: i64,
) -> Result<Vec<(String, i64, String)>, DemoError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = json!({
            "logGroupName": group,
            "startTime": start_ms,
            "filterPattern": TERMINAL_FILTER,
        });
        if let Some(t) = &token {
            request["nextToken"] = json!(t);
        }
        let page = client
            .call("Logs_20140328.FilterLogEvents", &request)
            .await?;
        for event in page["events"].as_array().into_iter().flatten() {
            if let (Some(id), Some(ts), Some(message)) = (
                event["eventId"].as_str(),
                event["timestamp"].as_i64(),
                event["message"].as_str(),
            ) {
                out.push((id.to_string(), ts, message.to_string()));
            }
        }
        match page["nextToken"].as_str() {
            Some(t) if Some(t) != token.as_deref() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Runs the bench against the stack at `client`; `progress` gets a line about once a second.
pub async fn run(
    client: &AwsJsonClient,
    targets: &DemoTargets,
    options: BenchOptions,
    mut progress: impl FnMut(&str),
) -> Result<BenchReport, DemoError> {
    let options = Arc::new(options);
    let shared = Arc::new(Mutex::new(Shared::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let bus = Arc::new(targets.event_bus_name.clone());
    let run_start_ms = now_ms();
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + options.timeout;
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
    let mut poll = IncrementalPoll::new(run_start_ms.div_euclid(1000) * 1000 - WINDOW_MARGIN_MS);
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
        poll.advance(oldest.unwrap_or_else(now_ms));
        let poll_started = Instant::now();
        let events = filter_terminal(client, &targets.accounts_log_group, poll.start_ms()).await?;
        let seen_at = Instant::now();
        report.polls += 1;
        report.polled_events += events.len() as u64;
        report.poll_time += seen_at - poll_started;
        for (event_id, timestamp, message) in events {
            if !poll.accept(&event_id, timestamp) {
                continue;
            }
            let Some((id, terminal)) = terminal_of(&message) else {
                continue;
            };
            if !id.starts_with(&prefix) {
                continue;
            }
            let waiting = lock(&shared).pending.remove(&id);
            if let Some(p) = waiting {
                let _ = p.done.send((seen_at, terminal));
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
                "{:>6.1} s  resolved {resolved}/{}  in flight {in_flight}  window {} ids",
                started.elapsed().as_secs_f64(),
                options.workflows,
                poll.remembered()
            ));
        }
        tokio::time::sleep(options.poll_pause).await;
    }
    workers.abort_all();
    while workers.join_next().await.is_some() {}
    // The loop ends as soon as the last workflow resolves: take the milestones it did not sample.
    let resolved_count = lock(&shared).resolved.len();
    while milestone < 4 && resolved_count * 4 >= options.workflows * (milestone + 1) {
        report.memory_at[milestone] = Some(sample_memory());
        milestone += 1;
    }

    let (resolved, last_resolved, still_pending) = {
        let mut s = lock(&shared);
        let pending: Vec<String> = s.pending.drain().map(|(id, _)| id).collect();
        (std::mem::take(&mut s.resolved), s.last_resolved, pending)
    };
    report.wall = match (report.timed_out, last_resolved) {
        (false, Some(last)) => last.saturating_duration_since(started),
        _ => started.elapsed(),
    };
    let mut latencies = Vec::with_capacity(resolved.len());
    for (latency, terminal) in &resolved {
        match terminal {
            Some(Terminal::Approved) => report.finished += 1,
            Some(_) => report.failed += 1,
            None => {
                report.failed += 1;
                report.put_failures += 1;
            }
        }
        if let Some(l) = latency {
            latencies.push(*l);
        }
    }
    latencies.sort();
    report.latencies = latencies;
    report.unfinished = options
        .workflows
        .saturating_sub(report.finished + report.failed);

    // The invariant, over the whole run: exactly one terminal event per accepted application.
    tokio::time::sleep(SETTLE).await;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let sweep_start = run_start_ms.div_euclid(1000) * 1000 - WINDOW_MARGIN_MS;
    for (_, _, message) in filter_terminal(client, &targets.accounts_log_group, sweep_start).await?
    {
        if let Some((id, _)) = terminal_of(&message)
            && id.starts_with(&prefix)
        {
            *counts.entry(id).or_default() += 1;
        }
    }
    let accepted = report.finished + report.failed - report.put_failures + still_pending.len();
    report.duplicate_terminal = counts.values().filter(|c| **c > 1).count();
    report.missing_terminal = accepted.saturating_sub(counts.len());
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
            "watching the log     9 FilterLogEvents calls, 30 events returned, 0.25 s in calls"
        );
        assert_eq!(lines[0], "workflows            4 at concurrency 2 (run r1)");
        assert_eq!(lines[2], "failed               1 (1 refused by PutEvents)");
        assert_eq!(lines[6], "throughput           1.5 workflows/s");
        assert_eq!(lines[7], "latency p50          20.0 ms");
        assert_eq!(lines[10], "latency max          30.0 ms");
        assert_eq!(lines[11], "kyc-local peak RSS   12.0 MiB");
        assert_eq!(
            lines[13],
            "RSS at 25 %          kyc-local 10.0 MiB, functions 20.0 MiB (4 processes)"
        );
        assert_eq!(lines[14], "RSS at 50 %          -");
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
}
