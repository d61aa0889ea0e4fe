//! Structured logging for the Lambdas: a small `tracing` subscriber that
//! writes one JSON object per line, as Lambda's advanced logging controls
//! expect from a custom runtime.
//!
//! Why not `tracing-subscriber`: its env-filter brings a regex engine and
//! its Unicode tables, about a third of a function's `bootstrap` (measured
//! in `functions/README.md`). The functions need a level, not directives.
//!
//! What it writes (Lambda user guide, "Log-level filtering" and "Configuring
//! JSON and plain text log formats"): with `AWS_LAMBDA_LOG_FORMAT=JSON` every
//! event is a JSON object on one line with `timestamp` (RFC 3339, UTC,
//! milliseconds), `level` (`TRACE` … `ERROR`), `target` (the Rust module),
//! `message`, the `requestId` of the invocation being handled (the
//! `Lambda runtime invoke` span of `lambda_runtime`), then the event's own
//! fields at the top level, so CloudWatch Logs filter patterns and Logs
//! Insights read them as `$.application_id`:
//!
//! ```text
//! {"timestamp":"2026-11-21T13:21:47.123Z","level":"INFO","target":"identity_check","message":"identity_checked","requestId":"8f5…","application_id":"app-1","identity_verified":true}
//! ```
//!
//! Lambda drops application log lines below the function's
//! `ApplicationLogLevel` by their `level` key; the subscriber filters at the
//! same level (`AWS_LAMBDA_LOG_LEVEL`) so filtered events cost nothing.
//! Otherwise (the TEXT format, or no logging config) a line is
//! `LEVEL target: message key=value …`.
//!
//! Level: `AWS_LAMBDA_LOG_LEVEL` (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`,
//! `FATAL`), else `RUST_LOG` when it is, or ends with, a bare level
//! (`debug`, `identity_check=trace,warn`; per-target directives are not
//! supported), else `INFO`.
//!
//! The subscriber writes what it is given: callers keep personal data out
//! of fields (see [`crate::mask`]).
//!
//! Entry points: [`init`] (from the environment, to stdout, in `main`),
//! [`LogConfig`], [`LambdaLogger`] (any [`LineSink`], an injectable clock).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

/// Name of the span `lambda_runtime` opens around each invocation; its
/// `requestId` field is copied into every line written inside it.
pub const INVOKE_SPAN: &str = "Lambda runtime invoke";

/// Keys the subscriber writes itself; an event field with one of these
/// names is written as `field.<name>` so no key appears twice.
const RESERVED_KEYS: [&str; 5] = ["timestamp", "level", "target", "message", "requestId"];

/// Output format, from `AWS_LAMBDA_LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (`AWS_LAMBDA_LOG_FORMAT=JSON`).
    Json,
    /// `LEVEL target: message key=value …` (any other value, or unset).
    Text,
}

/// Format and level of the function's logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogConfig {
    /// Output format.
    pub format: LogFormat,
    /// Most verbose level written.
    pub level: LevelFilter,
}

impl LogConfig {
    /// From the process environment (`AWS_LAMBDA_LOG_FORMAT`,
    /// `AWS_LAMBDA_LOG_LEVEL`, `RUST_LOG`).
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok();
        Self::from_vars(
            var("AWS_LAMBDA_LOG_FORMAT").as_deref(),
            var("AWS_LAMBDA_LOG_LEVEL").as_deref(),
            var("RUST_LOG").as_deref(),
        )
    }

    /// From the values of `AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`
    /// and `RUST_LOG` (`None` when unset). An unusable level falls through
    /// to the next source, and finally to `INFO`: a typo in a variable must
    /// not silence the function.
    pub fn from_vars(
        format: Option<&str>,
        lambda_level: Option<&str>,
        rust_log: Option<&str>,
    ) -> Self {
        let format = match format {
            Some(f) if f.trim().eq_ignore_ascii_case("json") => LogFormat::Json,
            _ => LogFormat::Text,
        };
        let level = lambda_level
            .and_then(parse_level)
            .or_else(|| rust_log.and_then(rust_log_level))
            .unwrap_or(LevelFilter::INFO);
        LogConfig { format, level }
    }
}

/// Parses a bare level name, case-insensitively: Lambda's `TRACE`, `DEBUG`,
/// `INFO`, `WARN`, `ERROR`, `FATAL` (written as `ERROR`; tracing has no
/// FATAL), plus `WARNING` and `OFF`.
pub fn parse_level(s: &str) -> Option<LevelFilter> {
    let s = s.trim();
    let level = [
        ("trace", LevelFilter::TRACE),
        ("debug", LevelFilter::DEBUG),
        ("info", LevelFilter::INFO),
        ("warn", LevelFilter::WARN),
        ("warning", LevelFilter::WARN),
        ("error", LevelFilter::ERROR),
        ("fatal", LevelFilter::ERROR),
        ("off", LevelFilter::OFF),
    ]
    .into_iter()
    .find(|(name, _)| s.eq_ignore_ascii_case(name))?;
    Some(level.1)
}

/// The level of a `RUST_LOG` value: its last comma-separated directive that
/// is a bare level (`hyper=warn,debug` → DEBUG).
fn rust_log_level(s: &str) -> Option<LevelFilter> {
    s.split(',').rev().find_map(parse_level)
}

/// Where finished lines go. A line is written whole, newline included, so
/// concurrent writers never interleave within a line.
pub trait LineSink: Send + Sync + 'static {
    /// Writes one line. Failures are ignored: logging must never fail or
    /// stop the function.
    fn write_line(&self, line: &[u8]);
}

/// Standard output, where Lambda captures a function's logs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stdout;

impl LineSink for Stdout {
    fn write_line(&self, line: &[u8]) {
        let _ = std::io::stdout().lock().write_all(line);
    }
}

/// An in-memory buffer (tests, tools).
impl LineSink for Arc<Mutex<Vec<u8>>> {
    fn write_line(&self, line: &[u8]) {
        if let Ok(mut buffer) = self.lock() {
            buffer.extend_from_slice(line);
        }
    }
}

/// Installs a [`LambdaLogger`] configured from the environment, writing to
/// stdout, as the global default subscriber. Call it once, first thing in
/// `main`; a second call leaves the first subscriber in place.
pub fn init() {
    let _ =
        tracing::subscriber::set_global_default(LambdaLogger::new(LogConfig::from_env(), Stdout));
}

/// Span ids are unique in the process (not per subscriber) because the
/// stack of entered spans is per thread and shared by every subscriber.
static NEXT_SPAN_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Ids of the spans entered on this thread, innermost last.
    static ENTERED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// A live invocation span: its reference count (spans are cloned and
/// dropped by the futures that carry them) and its request id.
struct InvokeSpan {
    refs: usize,
    request_id: Option<String>,
}

/// The subscriber: filters by level, formats each event into one line and
/// hands it to its [`LineSink`].
pub struct LambdaLogger<S> {
    config: LogConfig,
    sink: S,
    now_ms: fn() -> i64,
    spans: Mutex<HashMap<u64, InvokeSpan>>,
}

impl<S: LineSink> LambdaLogger<S> {
    /// A logger with the given configuration and sink, stamping lines with
    /// the system clock.
    pub fn new(config: LogConfig, sink: S) -> Self {
        LambdaLogger {
            config,
            sink,
            now_ms: system_now_ms,
            spans: Mutex::new(HashMap::new()),
        }
    }

    /// Replaces the clock (milliseconds since the Unix epoch).
    pub fn with_clock(mut self, now_ms: fn() -> i64) -> Self {
        self.now_ms = now_ms;
        self
    }

    /// The request id of the innermost invocation span entered on this
    /// thread, if any.
    fn request_id(&self) -> Option<String> {
        let spans = self.spans.lock().ok()?;
        ENTERED.with(|entered| {
            entered
                .borrow()
                .iter()
                .rev()
                .find_map(|id| spans.get(id).and_then(|s| s.request_id.clone()))
        })
    }

    fn format_json(&self, event: &Event<'_>, request_id: Option<&str>) -> String {
        let meta = event.metadata();
        let mut fields = FieldCollector::default();
        event.record(&mut fields);
        let mut line = String::with_capacity(256);
        line.push_str("{\"timestamp\":\"");
        push_rfc3339_millis(&mut line, (self.now_ms)());
        line.push_str("\",\"level\":\"");
        line.push_str(meta.level().as_str());
        line.push_str("\",\"target\":");
        push_json_str(&mut line, meta.target());
        if let Some(message) = &fields.message {
            line.push_str(",\"message\":");
            push_json_str(&mut line, message);
        }
        if let Some(id) = request_id {
            line.push_str(",\"requestId\":");
            push_json_str(&mut line, id);
        }
        for (name, value) in &fields.fields {
            line.push(',');
            if RESERVED_KEYS.contains(name) {
                push_json_str(&mut line, &format!("field.{name}"));
            } else {
                push_json_str(&mut line, name);
            }
            line.push(':');
            value.push_json(&mut line);
        }
        line.push_str("}\n");
        line
    }

    fn format_text(&self, event: &Event<'_>, request_id: Option<&str>) -> String {
        let meta = event.metadata();
        let mut fields = FieldCollector::default();
        event.record(&mut fields);
        let mut line = String::with_capacity(128);
        line.push_str(meta.level().as_str());
        line.push(' ');
        line.push_str(meta.target());
        line.push(':');
        if let Some(message) = &fields.message {
            line.push(' ');
            line.push_str(message);
        }
        if let Some(id) = request_id {
            line.push_str(" requestId=");
            line.push_str(id);
        }
        for (name, value) in &fields.fields {
            line.push(' ');
            line.push_str(name);
            line.push('=');
            value.push_json(&mut line);
        }
        line.push('\n');
        line
    }
}

impl<S: LineSink> Subscriber for LambdaLogger<S> {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // `sometimes`, not `always` / `never`: callsite interest is cached
        // process-wide, and tests run several loggers with different levels.
        if metadata.is_span() && metadata.name() != INVOKE_SPAN {
            Interest::never()
        } else {
            Interest::sometimes()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        if metadata.is_span() {
            // The invocation span carries the request id of every line,
            // whatever the level; no other span is used.
            metadata.name() == INVOKE_SPAN
        } else {
            *metadata.level() <= self.config.level
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        // At least INFO so the (INFO) invocation span is never filtered out
        // by the static level check before `enabled` sees it.
        Some(self.config.level.max(LevelFilter::INFO))
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = NEXT_SPAN_ID.fetch_add(1, Ordering::Relaxed);
        let mut visitor = RequestIdVisitor(None);
        span.record(&mut visitor);
        if let Ok(mut spans) = self.spans.lock() {
            spans.insert(
                id,
                InvokeSpan {
                    refs: 1,
                    request_id: visitor.0,
                },
            );
        }
        Id::from_u64(id)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let request_id = self.request_id();
        let line = match self.config.format {
            LogFormat::Json => self.format_json(event, request_id.as_deref()),
            LogFormat::Text => self.format_text(event, request_id.as_deref()),
        };
        self.sink.write_line(line.as_bytes());
    }

    fn enter(&self, span: &Id) {
        ENTERED.with(|entered| entered.borrow_mut().push(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        let id = span.into_u64();
        ENTERED.with(|entered| {
            let mut entered = entered.borrow_mut();
            if let Some(at) = entered.iter().rposition(|&e| e == id) {
                entered.remove(at);
            }
        });
    }

    fn clone_span(&self, span: &Id) -> Id {
        if let Ok(mut spans) = self.spans.lock()
            && let Some(s) = spans.get_mut(&span.into_u64())
        {
            s.refs += 1;
        }
        span.clone()
    }

    fn try_close(&self, span: Id) -> bool {
        let Ok(mut spans) = self.spans.lock() else {
            return false;
        };
        let id = span.into_u64();
        match spans.get_mut(&id) {
            Some(s) if s.refs > 1 => {
                s.refs -= 1;
                false
            }
            Some(_) => {
                spans.remove(&id);
                true
            }
            None => false,
        }
    }
}

/// Reads the `requestId` field of the invocation span.
struct RequestIdVisitor(Option<String>);

impl Visit for RequestIdVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "requestId" {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "requestId" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// One field value, as it will be written.
enum FieldValue {
    Str(String),
    Bool(bool),
    /// An integer or a finite float, already in JSON number syntax.
    Number(String),
    /// A float that JSON cannot represent (NaN, infinities).
    Null,
}

impl FieldValue {
    fn push_json(&self, out: &mut String) {
        match self {
            FieldValue::Str(s) => push_json_str(out, s),
            FieldValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            FieldValue::Number(n) => out.push_str(n),
            FieldValue::Null => out.push_str("null"),
        }
    }
}

/// Collects an event's message and fields, in the order they were given.
#[derive(Default)]
struct FieldCollector {
    message: Option<String>,
    fields: Vec<(&'static str, FieldValue)>,
}

impl FieldCollector {
    fn push(&mut self, field: &Field, value: FieldValue) {
        match value {
            FieldValue::Str(s) if field.name() == "message" => self.message = Some(s),
            value => self.fields.push((field.name(), value)),
        }
    }
}

impl Visit for FieldCollector {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let v = if value.is_finite() {
            FieldValue::Number(value.to_string())
        } else {
            FieldValue::Null
        };
        self.push(field, v);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, FieldValue::Number(value.to_string()));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, FieldValue::Number(value.to_string()));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.push(field, FieldValue::Number(value.to_string()));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.push(field, FieldValue::Number(value.to_string()));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, FieldValue::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, FieldValue::Str(value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `message` arrives here as `format_args!`, `%x` fields as their
        // Display form, `?x` fields as their Debug form: all text.
        self.push(field, FieldValue::Str(format!("{value:?}")));
    }
}

/// Appends `s` as a JSON string literal (RFC 8259 escapes).
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn system_now_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Appends `unix_ms` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339, UTC).
fn push_rfc3339_millis(out: &mut String, unix_ms: i64) {
    let days = unix_ms.div_euclid(86_400_000);
    let ms_of_day = unix_ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    );
}

/// Proleptic Gregorian date of a count of days since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, exact for every `i64` day count in range).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::{Value, json};

    const NOW: i64 = 1_763_719_202_123; // 2025-11-21T10:00:02.123Z

    type Buffer = Arc<Mutex<Vec<u8>>>;

    fn logger(format: LogFormat, level: LevelFilter) -> (LambdaLogger<Buffer>, Buffer) {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let logger =
            LambdaLogger::new(LogConfig { format, level }, buffer.clone()).with_clock(|| NOW);
        (logger, buffer)
    }

    fn output(buffer: &Buffer) -> String {
        String::from_utf8(buffer.lock().unwrap().clone()).unwrap()
    }

    fn capture(format: LogFormat, level: LevelFilter, body: impl FnOnce()) -> String {
        let (logger, buffer) = logger(format, level);
        tracing::subscriber::with_default(logger, body);
        output(&buffer)
    }

    #[test]
    fn json_line_has_timestamp_level_target_message_and_fields() {
        let out = capture(LogFormat::Json, LevelFilter::INFO, || {
            tracing::info!(
                application_id = %"app-1",
                identity_verified = true,
                score = 15u64,
                delta = -3i64,
                ratio = 0.5f64,
                reasons = "NO_DOCUMENT,NO_DATE_OF_BIRTH",
                "identity_checked"
            );
        });
        assert_eq!(
            out,
            "{\"timestamp\":\"2025-11-21T10:00:02.123Z\",\"level\":\"INFO\",\"target\":\"kyc_shared::logging::tests\",\
             \"message\":\"identity_checked\",\"application_id\":\"app-1\",\"identity_verified\":true,\"score\":15,\
             \"delta\":-3,\"ratio\":0.5,\"reasons\":\"NO_DOCUMENT,NO_DATE_OF_BIRTH\"}\n"
        );
        let parsed: Value = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(parsed["level"], "INFO");
    }

    #[test]
    fn levels_below_the_configured_one_are_dropped() {
        let out = capture(LogFormat::Json, LevelFilter::WARN, || {
            tracing::debug!("d");
            tracing::info!("i");
            tracing::warn!("w");
            tracing::error!("e");
        });
        let levels: Vec<String> = out
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["level"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(levels, ["WARN", "ERROR"]);
    }

    #[test]
    fn off_writes_nothing() {
        let out = capture(LogFormat::Json, LevelFilter::OFF, || {
            tracing::error!("e");
        });
        assert_eq!(out, "");
    }

    #[test]
    fn text_line() {
        let out = capture(LogFormat::Text, LevelFilter::INFO, || {
            tracing::warn!(
                detail_type = "Manual review started",
                count = 2u64,
                "review_event_ignored"
            );
        });
        assert_eq!(
            out,
            "WARN kyc_shared::logging::tests: review_event_ignored detail_type=\"Manual review started\" count=2\n"
        );
    }

    #[test]
    fn strings_are_escaped_and_lines_stay_single() {
        let out = capture(LogFormat::Json, LevelFilter::INFO, || {
            tracing::error!(cause = "a \"quoted\"\nline\twith \\ and \u{1}", "x");
        });
        assert_eq!(out.lines().count(), 1);
        let parsed: Value = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(parsed["cause"], "a \"quoted\"\nline\twith \\ and \u{1}");
        assert!(out.contains("\\u0001"));
    }

    #[test]
    fn display_debug_and_non_finite_values() {
        let out = capture(LogFormat::Json, LevelFilter::INFO, || {
            tracing::info!(code = ?Some(503u16), shown = %12, nan = f64::NAN, "m");
        });
        let parsed: Value = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(parsed["code"], "Some(503)");
        assert_eq!(parsed["shown"], "12");
        assert_eq!(parsed["nan"], Value::Null);
    }

    #[test]
    fn reserved_field_names_do_not_repeat_keys() {
        let out = capture(LogFormat::Json, LevelFilter::INFO, || {
            tracing::info!(level = "custom", timestamp = 1u64, "m");
        });
        let parsed: Value = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(parsed["level"], "INFO");
        assert_eq!(parsed["field.level"], "custom");
        assert_eq!(parsed["field.timestamp"], 1);
        assert_eq!(parsed["timestamp"], "2025-11-21T10:00:02.123Z");
    }

    #[test]
    fn event_without_message() {
        let out = capture(LogFormat::Json, LevelFilter::INFO, || {
            tracing::info!(a = 1u64);
        });
        let parsed: Value = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(parsed.get("message"), None);
        assert_eq!(parsed["a"], 1);
    }

    #[test]
    fn request_id_of_the_invocation_span_is_on_every_line_inside_it() {
        let out = capture(LogFormat::Json, LevelFilter::WARN, || {
            tracing::warn!("before");
            {
                // The span lambda_runtime opens per invocation (INFO level):
                // enabled even when the logger only writes WARN.
                let span = tracing::info_span!("Lambda runtime invoke", requestId = "req-1");
                let _guard = span.enter();
                tracing::warn!("inside");
                let other = tracing::info_span!("other", requestId = "ignored");
                let _inner = other.enter();
                tracing::error!("nested");
            }
            tracing::warn!("after");
        });
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let ids: Vec<(&str, Option<&str>)> = lines
            .iter()
            .map(|l| {
                (
                    l["message"].as_str().unwrap(),
                    l.get("requestId").and_then(Value::as_str),
                )
            })
            .collect();
        assert_eq!(
            ids,
            [
                ("before", None),
                ("inside", Some("req-1")),
                ("nested", Some("req-1")),
                ("after", None)
            ]
        );
    }

    #[test]
    fn request_id_follows_an_instrumented_future() {
        use tracing::Instrument;
        let (logger, buffer) = logger(LogFormat::Json, LevelFilter::INFO);
        let dispatch = tracing::Dispatch::new(logger);
        tracing::dispatcher::with_default(&dispatch, || {
            let span = tracing::info_span!("Lambda runtime invoke", requestId = "req-2");
            block_on(async { tracing::info!("handled") }.instrument(span));
        });
        let line: Value = serde_json::from_str(output(&buffer).trim_end()).unwrap();
        assert_eq!(line["requestId"], "req-2");
        assert_eq!(line["message"], "handled");
    }

    /// Polls a future that never waits to completion (no executor needed).
    fn block_on<F: std::future::Future>(fut: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut fut = std::pin::pin!(fut);
        let mut cx = Context::from_waker(Waker::noop());
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("the test future waited"),
        }
    }

    #[test]
    fn closed_spans_are_forgotten() {
        let (logger, _buffer) = logger(LogFormat::Json, LevelFilter::INFO);
        let logger = Arc::new(logger);
        let dispatch = tracing::Dispatch::from(logger.clone());
        tracing::dispatcher::with_default(&dispatch, || {
            let span = tracing::info_span!("Lambda runtime invoke", requestId = "req-3");
            let copy = span.clone();
            drop(span);
            assert_eq!(logger.spans.lock().unwrap().len(), 1);
            drop(copy);
        });
        assert_eq!(logger.spans.lock().unwrap().len(), 0);
    }

    #[test]
    fn config_from_vars() {
        let c = |f, l, r| LogConfig::from_vars(f, l, r);
        assert_eq!(
            c(Some("JSON"), Some("DEBUG"), None),
            LogConfig {
                format: LogFormat::Json,
                level: LevelFilter::DEBUG
            }
        );
        assert_eq!(
            c(Some("json"), None, None),
            LogConfig {
                format: LogFormat::Json,
                level: LevelFilter::INFO
            }
        );
        assert_eq!(
            c(Some("Text"), None, Some("warn")),
            LogConfig {
                format: LogFormat::Text,
                level: LevelFilter::WARN
            }
        );
        assert_eq!(
            c(None, None, None),
            LogConfig {
                format: LogFormat::Text,
                level: LevelFilter::INFO
            }
        );
        // AWS_LAMBDA_LOG_LEVEL wins over RUST_LOG.
        assert_eq!(
            c(Some("JSON"), Some("ERROR"), Some("trace")).level,
            LevelFilter::ERROR
        );
        // Lambda's FATAL has no tracing level: ERROR.
        assert_eq!(
            c(Some("JSON"), Some("FATAL"), None).level,
            LevelFilter::ERROR
        );
        // An unusable AWS_LAMBDA_LOG_LEVEL falls through to RUST_LOG, then INFO.
        assert_eq!(
            c(None, Some("LOUD"), Some("debug")).level,
            LevelFilter::DEBUG
        );
        assert_eq!(c(None, Some("LOUD"), None).level, LevelFilter::INFO);
        // RUST_LOG: the last bare level among its directives; directives alone are ignored.
        assert_eq!(
            c(None, None, Some("hyper=warn,trace")).level,
            LevelFilter::TRACE
        );
        assert_eq!(
            c(None, None, Some("identity_check=debug")).level,
            LevelFilter::INFO
        );
        assert_eq!(c(None, None, Some(" Off ")).level, LevelFilter::OFF);
    }

    #[test]
    fn rfc3339_matches_chrono() {
        use chrono::{DateTime, SecondsFormat};
        for ms in [
            0,
            NOW,
            -1,
            951_782_400_000,     // 2000-02-29
            4_107_542_399_999,   // 2100-02-28T23:59:59.999
            253_402_300_799_999, // 9999-12-31T23:59:59.999
            -62_135_596_800_000, // 0001-01-01
        ] {
            let mut ours = String::new();
            push_rfc3339_millis(&mut ours, ms);
            let chrono = DateTime::from_timestamp_millis(ms)
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Millis, true);
            assert_eq!(ours, chrono, "{ms}");
        }
    }

    #[test]
    fn json_lines_parse_with_a_json_parser() {
        let out = capture(LogFormat::Json, LevelFilter::TRACE, || {
            tracing::trace!(x = "é ✓ \u{7f}", "t");
        });
        let parsed: Value = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(
            parsed,
            json!({"timestamp": "2025-11-21T10:00:02.123Z", "level": "TRACE",
            "target": "kyc_shared::logging::tests", "message": "t", "x": "é ✓ \u{7f}"})
        );
    }
}
