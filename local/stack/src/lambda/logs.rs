//! Function logs: the sink they go to, the platform lines Lambda writes
//! around each invocation (text and JSON formats), and the pump that copies
//! an instance's stdout / stderr into its log stream in order.
//!
//! Ordering: the function's stdout and stderr share one pipe, and the pump
//! holds a write end of that same pipe. Platform lines (`START`, `END`,
//! `REPORT`, ...) are not written to the sink directly: a marker line is
//! written into the pipe and the reader thread emits the platform lines when
//! it reaches the marker. Everything the function printed before it posted its
//! response is in the pipe before the marker, so `END` never overtakes the
//! function's last line, as on AWS.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, PipeReader, PipeWriter, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::oneshot;

use super::config::LogFormat;

/// One CloudWatch Logs event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub message: String,
}

/// Where function logs go (the stack's CloudWatch Logs store).
///
/// Called from a dedicated thread per function instance, events of one
/// stream in order. Lambda creates the group and the stream on first write,
/// so the sink must too. It may block briefly (a SQLite write) but must not
/// wait on the async runtime: while it runs, that instance's output pipe is
/// not drained.
pub trait LogSink: Send + Sync + 'static {
    fn put_log_events(&self, log_group: &str, log_stream: &str, events: Vec<LogEvent>);
}

/// A sink that keeps everything in memory (tests, or a stack without logs).
#[derive(Debug, Default)]
pub struct MemoryLogSink {
    events: Mutex<Vec<(String, String, LogEvent)>>,
}

impl MemoryLogSink {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event written so far, as `(group, stream, event)`.
    pub fn events(&self) -> Vec<(String, String, LogEvent)> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// The messages of one log group, in write order.
    pub fn messages(&self, log_group: &str) -> Vec<String> {
        self.events()
            .into_iter()
            .filter(|(g, _, _)| g == log_group)
            .map(|(_, _, e)| e.message)
            .collect()
    }
}

impl LogSink for MemoryLogSink {
    fn put_log_events(&self, log_group: &str, log_stream: &str, events: Vec<LogEvent>) {
        if let Ok(mut all) = self.events.lock() {
            all.extend(
                events
                    .into_iter()
                    .map(|e| (log_group.to_owned(), log_stream.to_owned(), e)),
            );
        }
    }
}

/// A log stream name as Lambda names them: `YYYY/MM/DD/[$LATEST]<32 hex>`.
pub fn log_stream_name(now: DateTime<Utc>) -> String {
    format!(
        "{}/[$LATEST]{}",
        now.format("%Y/%m/%d"),
        uuid::Uuid::new_v4().simple()
    )
}

/// The figures of a `REPORT` line / `platform.report` record.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportMetrics {
    pub duration: Duration,
    pub billed_duration_ms: u64,
    pub memory_size_mb: u32,
    pub max_memory_used_mb: u64,
    /// Present on the invocation that cold-started its instance.
    pub init_duration: Option<Duration>,
}

impl ReportMetrics {
    /// Billed Duration: the duration rounded up to the next millisecond; on a
    /// cold start the init phase is billed too (always so for OS-only runtimes,
    /// and for every runtime since August 2025).
    pub fn billed_ms(duration: Duration, init: Option<Duration>) -> u64 {
        let total = duration + init.unwrap_or_default();
        let micros = total.as_micros();
        u64::try_from(micros.div_ceil(1000))
            .unwrap_or(u64::MAX)
            .max(1)
    }
}

/// How an invocation ended, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportStatus {
    Success,
    /// The runtime reported an error through `/error` (the report says nothing more on AWS).
    FunctionError,
    /// Timed out (`Status: timeout`).
    Timeout,
    /// The environment failed (`Status: error`, `Error Type: ...`), e.g. `Runtime.ExitError`.
    Error(String),
}

fn millis2(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

fn timestamp(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Lines Lambda writes when an environment starts (`INIT_START`).
pub fn init_start_lines(
    format: LogFormat,
    function_name: &str,
    runtime: &str,
    region: &str,
) -> Vec<String> {
    let version = format!("{}.local", runtime.replace('.', ":"));
    let version_arn = format!("arn:aws:lambda:{region}::runtime:local-stack");
    match format {
        LogFormat::Text => vec![format!(
            "INIT_START Runtime Version: {version}\tRuntime Version ARN: {version_arn}\n"
        )],
        LogFormat::Json => vec![
            json!({
                "time": timestamp(Utc::now()),
                "type": "platform.initStart",
                "record": {
                    "initializationType": "on-demand",
                    "phase": "init",
                    "runtimeVersion": version,
                    "runtimeVersionArn": version_arn,
                    "functionName": function_name,
                    "functionVersion": "$LATEST"
                }
            })
            .to_string(),
        ],
    }
}

/// `START RequestId: ... Version: $LATEST` / `platform.start`.
pub fn start_lines(format: LogFormat, request_id: &str) -> Vec<String> {
    match format {
        LogFormat::Text => vec![format!("START RequestId: {request_id} Version: $LATEST\n")],
        LogFormat::Json => vec![
            json!({
                "time": timestamp(Utc::now()),
                "type": "platform.start",
                "record": {"requestId": request_id, "version": "$LATEST"}
            })
            .to_string(),
        ],
    }
}

/// `Task timed out after N.NN seconds`, the line Lambda writes on a timeout.
pub fn timeout_line(request_id: &str, timeout: Duration) -> String {
    format!(
        "{} {request_id} Task timed out after {:.2} seconds\n",
        timestamp(Utc::now()),
        timeout.as_secs_f64()
    )
}

/// The two lines Lambda writes when the runtime process exits during an invocation.
pub fn exit_error_lines(error_message: &str, error_type: &str) -> Vec<String> {
    vec![format!("{error_message}\n"), format!("{error_type}\n")]
}

/// `END` and `REPORT` lines / the `platform.report` record.
pub fn end_lines(
    format: LogFormat,
    request_id: &str,
    metrics: &ReportMetrics,
    status: &ReportStatus,
) -> Vec<String> {
    match format {
        LogFormat::Text => {
            // Every field of the REPORT line is followed by a tab, as AWS writes it.
            let mut report = format!(
                "REPORT RequestId: {request_id}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
                millis2(metrics.duration),
                metrics.billed_duration_ms,
                metrics.memory_size_mb,
                metrics.max_memory_used_mb
            );
            if let Some(init) = metrics.init_duration {
                report.push_str(&format!("Init Duration: {:.2} ms\t", millis2(init)));
            }
            match status {
                ReportStatus::Success | ReportStatus::FunctionError => {}
                ReportStatus::Timeout => report.push_str("Status: timeout\t"),
                ReportStatus::Error(kind) => {
                    report.push_str(&format!("Status: error\tError Type: {kind}\t"));
                }
            }
            report.push('\n');
            vec![format!("END RequestId: {request_id}\n"), report]
        }
        LogFormat::Json => {
            let mut m = json!({
                "durationMs": millis2(metrics.duration),
                "billedDurationMs": metrics.billed_duration_ms,
                "memorySizeMB": metrics.memory_size_mb,
                "maxMemoryUsedMB": metrics.max_memory_used_mb,
            });
            if let Some(init) = metrics.init_duration {
                m["initDurationMs"] = json!(millis2(init));
            }
            let mut record = json!({"requestId": request_id, "metrics": m});
            match status {
                ReportStatus::Success => record["status"] = json!("success"),
                ReportStatus::FunctionError => {
                    record["status"] = json!("error");
                }
                ReportStatus::Timeout => record["status"] = json!("timeout"),
                ReportStatus::Error(kind) => {
                    record["status"] = json!("error");
                    record["errorType"] = json!(kind);
                }
            }
            vec![
                json!({"time": timestamp(Utc::now()), "type": "platform.report", "record": record})
                    .to_string(),
            ]
        }
    }
}

/// What the reader does when it reaches a marker.
struct MarkerAction {
    lines: Vec<String>,
    /// Start collecting this invocation's log (for `LogType: Tail`).
    begin_capture: bool,
    /// Stop collecting and hand the collected text back.
    finish: Option<oneshot::Sender<String>>,
}

const MARKER_PREFIX: &[u8] = b"\x1e\x1dlocal-stack-marker:";
/// Longer than any marker line (prefix, a u64 and the newline).
const MARKER_ROOM: usize = 64;
/// The longest log event the pump writes; longer lines are split (CloudWatch
/// Logs caps an event at 256 KB).
const MAX_LINE: usize = 256 * 1024 - 1024;
/// How much of an invocation's log is kept for `LogType: Tail` (4 KB is returned).
const TAIL_KEEP: usize = 16 * 1024;

/// Keeps the last `keep` bytes of `text` once it is twice that long.
fn trim_front(text: &mut String, keep: usize) {
    if text.len() > 2 * keep {
        let mut from = text.len() - keep;
        while !text.is_char_boundary(from) {
            from += 1;
        }
        text.drain(..from);
    }
}

/// Copies one instance's output pipe into its log stream.
pub(crate) struct LogPump {
    writer: Mutex<PipeWriter>,
    actions: Arc<Mutex<HashMap<u64, MarkerAction>>>,
    seq: AtomicU64,
}

impl LogPump {
    /// Starts the reader thread for `reader`; `writer` is the pump's own write end.
    pub(crate) fn start(
        reader: PipeReader,
        writer: PipeWriter,
        sink: Arc<dyn LogSink>,
        log_group: String,
        log_stream: String,
    ) -> std::io::Result<Arc<Self>> {
        let actions: Arc<Mutex<HashMap<u64, MarkerAction>>> = Arc::default();
        let thread_actions = Arc::clone(&actions);
        std::thread::Builder::new()
            .name("lambda-log-pump".to_owned())
            .spawn(move || read_loop(reader, &thread_actions, &*sink, &log_group, &log_stream))?;
        Ok(Arc::new(Self {
            writer: Mutex::new(writer),
            actions,
            seq: AtomicU64::new(0),
        }))
    }

    fn mark(&self, action: MarkerAction) {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut actions) = self.actions.lock() {
            actions.insert(seq, action);
        }
        let mut marker = MARKER_PREFIX.to_vec();
        marker.extend_from_slice(format!("{seq}\n").as_bytes());
        // A write of less than PIPE_BUF bytes is atomic, so the marker is never
        // interleaved with the function's own output.
        if let Ok(mut w) = self.writer.lock() {
            let _ = w.write_all(&marker);
        }
    }

    /// Writes platform lines in order with the function's output.
    pub(crate) fn emit(&self, lines: Vec<String>, begin_capture: bool) {
        self.mark(MarkerAction {
            lines,
            begin_capture,
            finish: None,
        });
    }

    /// Writes the closing platform lines and returns the invocation's captured
    /// log once everything before them has reached the sink.
    pub(crate) fn finish(&self, lines: Vec<String>) -> oneshot::Receiver<String> {
        let (tx, rx) = oneshot::channel();
        self.mark(MarkerAction {
            lines,
            begin_capture: false,
            finish: Some(tx),
        });
        rx
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn read_loop(
    reader: PipeReader,
    actions: &Mutex<HashMap<u64, MarkerAction>>,
    sink: &dyn LogSink,
    group: &str,
    stream: &str,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut line = Vec::new();
    let mut batch: Vec<LogEvent> = Vec::new();
    let mut capture: Option<String> = None;
    let flush = |batch: &mut Vec<LogEvent>| {
        if !batch.is_empty() {
            sink.put_log_events(group, stream, std::mem::take(batch));
        }
    };
    loop {
        // `line` may start with bytes carried over from a split line.
        let carried = line.len();
        match (&mut reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(0) if carried == 0 => break,
            Err(_) => break,
            Ok(_) => {}
        }
        let mut carry = Vec::new();
        if line.len() >= MAX_LINE && line.last() != Some(&b'\n') {
            // A line longer than a log event may be: it becomes several events.
            // The tail is carried over so a marker that starts in it is never cut.
            carry = line.split_off(line.len() - MARKER_ROOM);
        }
        let marker_at = line
            .windows(MARKER_PREFIX.len())
            .position(|w| w == MARKER_PREFIX);
        let (text, marker) = match marker_at {
            Some(at) => {
                let seq = std::str::from_utf8(&line[at + MARKER_PREFIX.len()..])
                    .ok()
                    .and_then(|s| s.trim_end().parse::<u64>().ok());
                (&line[..at], seq)
            }
            None => (&line[..], None),
        };
        if !text.is_empty() {
            let message = String::from_utf8_lossy(text).into_owned();
            if let Some(c) = capture.as_mut() {
                c.push_str(&message);
            }
            batch.push(LogEvent {
                timestamp: now_ms(),
                message,
            });
        }
        if let Some(seq) = marker {
            let action = actions.lock().ok().and_then(|mut a| a.remove(&seq));
            if let Some(action) = action {
                if action.begin_capture && capture.is_none() {
                    capture = Some(String::new());
                }
                let ts = now_ms();
                for message in action.lines {
                    if let Some(c) = capture.as_mut() {
                        c.push_str(&message);
                        if !message.ends_with('\n') {
                            c.push('\n');
                        }
                    }
                    batch.push(LogEvent {
                        timestamp: ts,
                        message,
                    });
                }
                if let Some(done) = action.finish {
                    flush(&mut batch);
                    let _ = done.send(capture.take().unwrap_or_default());
                }
            }
        }
        if let Some(c) = capture.as_mut() {
            trim_front(c, TAIL_KEEP);
        }
        if reader.buffer().is_empty() {
            flush(&mut batch);
        }
        line = carry;
    }
    flush(&mut batch);
    // Anyone still waiting for a marker learns that the stream is closed.
    if let Ok(mut a) = actions.lock() {
        a.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(init: Option<Duration>) -> ReportMetrics {
        ReportMetrics {
            duration: Duration::from_micros(12_345),
            billed_duration_ms: 13,
            memory_size_mb: 128,
            max_memory_used_mb: 18,
            init_duration: init,
        }
    }

    #[test]
    fn text_report_matches_aws_layout() {
        let lines = end_lines(
            LogFormat::Text,
            "rid",
            &metrics(None),
            &ReportStatus::Success,
        );
        assert_eq!(
            lines,
            vec![
                "END RequestId: rid\n".to_owned(),
                "REPORT RequestId: rid\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t\n".to_owned(),
            ]
        );
        let cold = end_lines(
            LogFormat::Text,
            "rid",
            &metrics(Some(Duration::from_micros(120_330))),
            &ReportStatus::Timeout,
        );
        assert_eq!(
            cold[1],
            "REPORT RequestId: rid\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\tInit Duration: 120.33 ms\tStatus: timeout\t\n"
        );
        let crashed = end_lines(
            LogFormat::Text,
            "rid",
            &metrics(None),
            &ReportStatus::Error("Runtime.ExitError".into()),
        );
        assert!(
            crashed[1].ends_with(
                "Max Memory Used: 18 MB\tStatus: error\tError Type: Runtime.ExitError\t\n"
            ),
            "{}",
            crashed[1]
        );
    }

    #[test]
    fn json_report_record_shape() {
        let lines = end_lines(
            LogFormat::Json,
            "rid",
            &metrics(Some(Duration::from_micros(5_000))),
            &ReportStatus::Success,
        );
        assert_eq!(lines.len(), 1);
        let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(v["type"], "platform.report");
        assert_eq!(
            v["record"],
            json!({
                "requestId": "rid",
                "metrics": {"durationMs": 12.35, "billedDurationMs": 13, "memorySizeMB": 128, "maxMemoryUsedMB": 18, "initDurationMs": 5.0},
                "status": "success"
            })
        );
        let start: serde_json::Value =
            serde_json::from_str(&start_lines(LogFormat::Json, "rid")[0]).unwrap();
        assert_eq!(start["type"], "platform.start");
        assert_eq!(
            start["record"],
            json!({"requestId": "rid", "version": "$LATEST"})
        );
    }

    #[test]
    fn billed_duration_rounds_up_and_adds_init() {
        assert_eq!(
            ReportMetrics::billed_ms(Duration::from_micros(1_001), None),
            2
        );
        assert_eq!(
            ReportMetrics::billed_ms(Duration::from_micros(3_000), None),
            3
        );
        assert_eq!(
            ReportMetrics::billed_ms(
                Duration::from_micros(1_500),
                Some(Duration::from_micros(10_200))
            ),
            12
        );
    }

    #[test]
    fn stream_name_shape() {
        let name = log_stream_name(Utc::now());
        let re = regex::Regex::new(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$").unwrap();
        assert!(re.is_match(&name), "{name}");
    }

    #[test]
    fn long_lines_are_split_without_losing_a_marker() {
        let (reader, writer) = std::io::pipe().unwrap();
        let mut function_side = writer.try_clone().unwrap();
        let sink = Arc::new(MemoryLogSink::new());
        let pump = LogPump::start(reader, writer, sink.clone(), "g".into(), "s".into()).unwrap();
        pump.emit(vec!["START\n".into()], true);
        // Longer than one event, with no newline, directly followed by a marker.
        let long = "y".repeat(MAX_LINE + 100);
        let writer_thread = std::thread::spawn(move || {
            function_side.write_all(long.as_bytes()).unwrap();
        });
        writer_thread.join().unwrap();
        let captured = pump.finish(vec!["END\n".into()]).blocking_recv().unwrap();
        let messages = sink.messages("g");
        assert_eq!(messages.first().map(String::as_str), Some("START\n"));
        assert_eq!(messages.last().map(String::as_str), Some("END\n"));
        let body: String = messages[1..messages.len() - 1].concat();
        assert_eq!(body.len(), MAX_LINE + 100);
        assert!(messages.iter().all(|m| m.len() <= MAX_LINE));
        assert!(captured.len() <= 2 * TAIL_KEEP && captured.ends_with("yEND\n"));
    }

    #[test]
    fn pump_keeps_markers_in_order_and_captures() {
        let (reader, writer) = std::io::pipe().unwrap();
        let mut function_side = writer.try_clone().unwrap();
        let sink = Arc::new(MemoryLogSink::new());
        let pump = LogPump::start(
            reader,
            writer,
            sink.clone(),
            "/aws/lambda/f".into(),
            "s".into(),
        )
        .unwrap();
        function_side.write_all(b"init line\n").unwrap();
        pump.emit(vec!["START x\n".into()], true);
        function_side.write_all(b"hello\npartial").unwrap();
        let rx = pump.finish(vec!["END x\n".into()]);
        let captured = rx.blocking_recv().unwrap();
        assert_eq!(captured, "START x\nhello\npartialEND x\n");
        assert_eq!(
            sink.messages("/aws/lambda/f"),
            vec!["init line\n", "START x\n", "hello\n", "partial", "END x\n"]
        );
    }
}
