//! Structured logging for the Lambdas: `tracing-subscriber`'s `fmt` layer,
//! configured from Lambda's advanced logging controls.
//!
//! `tracing-subscriber` is built without `env-filter` (a regex engine and
//! its Unicode tables, about a third of a function's `bootstrap`; measured
//! in `functions/README.md`): the functions need a level, not directives.
//!
//! What it writes (Lambda user guide, "Log-level filtering" and "Configuring
//! JSON and plain text log formats"): with `AWS_LAMBDA_LOG_FORMAT=JSON` every
//! event is a JSON object on one line (`fmt::layer().json()`, event flattened)
//! with `timestamp` (RFC 3339, UTC, milliseconds), `level` (`TRACE` …
//! `ERROR`), the event's own fields at the top level (`message` among them),
//! `target` (the Rust module) and, inside an invocation, `span`: the fields of
//! `lambda_runtime`'s `Lambda runtime invoke` span, `requestId` first (and
//! `xrayTraceId` when Lambda sends one). CloudWatch Logs filter patterns and
//! Logs Insights read them as `$.application_id` and `$.span.requestId`:
//!
//! ```text
//! {"timestamp":"2026-11-21T13:21:47.123Z","level":"INFO","application_id":"app-1","identity_verified":true,"message":"identity_checked","target":"identity_check","span":{"requestId":"8f5…","name":"Lambda runtime invoke"}}
//! ```
//!
//! The formatter writes the keys it owns (`timestamp`, `level`, `target`,
//! `span`) next to the event's fields: an event field with one of those names
//! would repeat the key, so the functions use none of them.
//!
//! Lambda drops application log lines below the function's
//! `ApplicationLogLevel` by their `level` key; the subscriber filters at the
//! same level (`AWS_LAMBDA_LOG_LEVEL`) so filtered events cost nothing. Only
//! the invocation span is recorded (whatever the level), so `span` is always
//! that invocation, never a span of a library (the AWS SDK opens its own).
//! Otherwise (the TEXT format, or no logging config) a line is
//! `tracing-subscriber`'s default format without a time:
//! ` INFO Lambda runtime invoke{requestId="8f5…"}: target: message key=value …`.
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
//! [`LogConfig`], [`subscriber`] (any `MakeWriter`, an injectable clock).

use std::fmt;

use chrono::{DateTime, SecondsFormat};
use tracing::Subscriber;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{FilterFn, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::{Layer, Registry};

/// Name of the span `lambda_runtime` opens around each invocation; its
/// fields (`requestId`) are the `span` of every line written inside it.
pub const INVOKE_SPAN: &str = "Lambda runtime invoke";

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

/// Installs the subscriber configured from the environment, writing to
/// stdout, as the global default. Call it once, first thing in `main`; a
/// second call leaves the first subscriber in place.
pub fn init() {
    let _ = tracing::subscriber::set_global_default(subscriber(
        LogConfig::from_env(),
        std::io::stdout,
        UtcMillis::system(),
    ));
}

/// The functions' subscriber: `tracing-subscriber`'s registry with one `fmt`
/// layer (JSON or text, per `config.format`) writing to `writer`, filtered at
/// `config.level`; only the invocation span is recorded.
pub fn subscriber<W>(
    config: LogConfig,
    writer: W,
    clock: UtcMillis,
) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let layer: Box<dyn Layer<Registry> + Send + Sync> = match config.format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_timer(clock)
            .with_writer(writer)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .without_time()
            // Off even when another crate of a workspace build enables the `ansi` feature.
            .with_ansi(false)
            .with_writer(writer)
            .boxed(),
    };
    tracing_subscriber::registry().with(layer.with_filter(level_filter(config.level)))
}

/// Events at `level` or more severe; of the spans, only the invocation span
/// (INFO, enabled even when the level is WARN so that WARN lines still carry
/// the request id).
fn level_filter(level: LevelFilter) -> FilterFn<impl Fn(&tracing::Metadata<'_>) -> bool> {
    filter_fn(move |meta| {
        if meta.is_span() {
            meta.name() == INVOKE_SPAN
        } else {
            *meta.level() <= level
        }
    })
    .with_max_level_hint(level.max(LevelFilter::INFO))
}

/// The `timestamp` of a JSON line: RFC 3339, UTC, milliseconds
/// (`2026-11-21T13:21:47.123Z`, the form of Lambda's own JSON log lines).
#[derive(Debug, Clone, Copy)]
pub struct UtcMillis {
    now_ms: fn() -> i64,
}

impl UtcMillis {
    /// The system clock.
    pub fn system() -> Self {
        Self::with_clock(|| chrono::Utc::now().timestamp_millis())
    }

    /// Any clock (milliseconds since the Unix epoch), for tests.
    pub fn with_clock(now_ms: fn() -> i64) -> Self {
        UtcMillis { now_ms }
    }
}

impl FormatTime for UtcMillis {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        match DateTime::from_timestamp_millis((self.now_ms)()) {
            Some(t) => w.write_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::{Value, json};
    use std::io;
    use std::sync::{Arc, Mutex};

    const NOW: i64 = 1_763_719_202_123; // 2025-11-21T10:00:02.123Z

    /// A `MakeWriter` that keeps everything written in memory.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Buffer {
        type Writer = Buffer;

        fn make_writer(&'w self) -> Buffer {
            self.clone()
        }
    }

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn logger(format: LogFormat, level: LevelFilter) -> (impl Subscriber + Send + Sync, Buffer) {
        let buffer = Buffer::default();
        let subscriber = subscriber(
            LogConfig { format, level },
            buffer.clone(),
            UtcMillis::with_clock(|| NOW),
        );
        (subscriber, buffer)
    }

    fn capture(format: LogFormat, level: LevelFilter, body: impl FnOnce()) -> String {
        let (logger, buffer) = logger(format, level);
        tracing::subscriber::with_default(logger, body);
        buffer.text()
    }

    fn parse_lines(out: &str) -> Vec<Value> {
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn json_line_has_timestamp_level_fields_message_and_target() {
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
            "{\"timestamp\":\"2025-11-21T10:00:02.123Z\",\"level\":\"INFO\",\"message\":\"identity_checked\",\
             \"application_id\":\"app-1\",\"identity_verified\":true,\"score\":15,\"delta\":-3,\"ratio\":0.5,\
             \"reasons\":\"NO_DOCUMENT,NO_DATE_OF_BIRTH\",\"target\":\"kyc_shared::logging::tests\"}\n"
        );
    }

    #[test]
    fn levels_below_the_configured_one_are_dropped() {
        let out = capture(LogFormat::Json, LevelFilter::WARN, || {
            tracing::debug!("d");
            tracing::info!("i");
            tracing::warn!("w");
            tracing::error!("e");
        });
        let levels: Vec<Value> = parse_lines(&out)
            .iter()
            .map(|l| l["level"].clone())
            .collect();
        assert_eq!(levels, ["WARN", "ERROR"]);
    }

    #[test]
    fn trace_level_writes_everything() {
        let out = capture(LogFormat::Json, LevelFilter::TRACE, || {
            tracing::trace!("t");
            tracing::debug!("d");
        });
        assert_eq!(out.lines().count(), 2, "{out}");
    }

    #[test]
    fn off_writes_nothing() {
        let out = capture(LogFormat::Json, LevelFilter::OFF, || {
            let span = tracing::info_span!("Lambda runtime invoke", requestId = "req-0");
            let _guard = span.enter();
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
            let span = tracing::info_span!("Lambda runtime invoke", requestId = "req-1");
            let _guard = span.enter();
            tracing::info!(count = 3u64, "inside");
        });
        assert_eq!(
            out,
            " WARN kyc_shared::logging::tests: review_event_ignored detail_type=\"Manual review started\" count=2\n\
             \x20INFO Lambda runtime invoke{requestId=\"req-1\"}: kyc_shared::logging::tests: inside count=3\n"
        );
    }

    #[test]
    fn strings_are_escaped_and_lines_stay_single() {
        let out = capture(LogFormat::Json, LevelFilter::INFO, || {
            tracing::error!(cause = "a \"quoted\"\nline\twith \\ and \u{1}", "x");
        });
        assert_eq!(out.lines().count(), 1);
        assert!(out.contains("\\u0001"), "{out}");
        let parsed = &parse_lines(&out)[0];
        assert_eq!(parsed["cause"], "a \"quoted\"\nline\twith \\ and \u{1}");
    }

    #[test]
    fn display_debug_and_non_finite_values() {
        let out = capture(LogFormat::Json, LevelFilter::INFO, || {
            tracing::info!(code = ?Some(503u16), shown = %12, nan = f64::NAN, "m");
        });
        let parsed = &parse_lines(&out)[0];
        assert_eq!(parsed["code"], "Some(503)");
        assert_eq!(parsed["shown"], "12");
        assert_eq!(parsed["nan"], Value::Null);
    }

    #[test]
    fn event_without_message() {
        let out = capture(LogFormat::Json, LevelFilter::INFO, || {
            tracing::info!(a = 1u64);
        });
        let parsed = &parse_lines(&out)[0];
        assert_eq!(parsed.get("message"), None);
        assert_eq!(parsed["a"], 1);
    }

    /// The formatter's own keys are written next to the event's fields: a
    /// field named like one repeats the key (the functions use none).
    #[test]
    fn a_field_named_like_a_formatter_key_repeats_it() {
        let out = capture(LogFormat::Json, LevelFilter::INFO, || {
            tracing::info!(level = "custom", "m");
        });
        assert_eq!(
            out,
            "{\"timestamp\":\"2025-11-21T10:00:02.123Z\",\"level\":\"INFO\",\"message\":\"m\",\
             \"level\":\"custom\",\"target\":\"kyc_shared::logging::tests\"}\n"
        );
    }

    #[test]
    fn request_id_of_the_invocation_span_is_on_every_line_inside_it() {
        // WARN: the invocation span (INFO) is recorded even so; DEBUG spans of
        // libraries (the SDK's) never replace it as the line's `span`.
        for level in [LevelFilter::WARN, LevelFilter::TRACE] {
            let out = capture(LogFormat::Json, level, || {
                tracing::warn!("before");
                {
                    let span = tracing::info_span!("Lambda runtime invoke", requestId = "req-1");
                    let _guard = span.enter();
                    tracing::warn!("inside");
                    let other = tracing::debug_span!("try_attempt", attempt = 1u64);
                    let _inner = other.enter();
                    tracing::error!("nested");
                }
                tracing::warn!("after");
            });
            let spans: Vec<(Value, Option<Value>)> = parse_lines(&out)
                .into_iter()
                .map(|l| (l["message"].clone(), l.get("span").cloned()))
                .collect();
            let invoke = json!({"requestId": "req-1", "name": "Lambda runtime invoke"});
            assert_eq!(
                spans,
                [
                    (json!("before"), None),
                    (json!("inside"), Some(invoke.clone())),
                    (json!("nested"), Some(invoke)),
                    (json!("after"), None)
                ],
                "{level}"
            );
        }
    }

    #[test]
    fn request_id_follows_an_instrumented_future() {
        use tracing::Instrument;
        let (logger, buffer) = logger(LogFormat::Json, LevelFilter::INFO);
        tracing::subscriber::with_default(logger, || {
            let span = tracing::info_span!("Lambda runtime invoke", requestId = "req-2");
            block_on(async { tracing::info!("handled") }.instrument(span));
        });
        assert_eq!(
            parse_lines(&buffer.text()),
            [
                json!({"timestamp": "2025-11-21T10:00:02.123Z", "level": "INFO", "message": "handled",
                "target": "kyc_shared::logging::tests",
                "span": {"requestId": "req-2", "name": "Lambda runtime invoke"}})
            ]
        );
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
    fn timestamps_before_the_epoch_and_far_ahead() {
        type Clock = fn() -> i64;
        let cases: [(Clock, &str); 3] = [
            (|| -1, "1969-12-31T23:59:59.999Z"),
            (|| 951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (|| 253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        ];
        for (clock, shown) in cases {
            let mut out = String::new();
            UtcMillis::with_clock(clock)
                .format_time(&mut Writer::new(&mut out))
                .unwrap();
            assert_eq!(out, shown);
        }
    }

    #[test]
    fn json_lines_parse_with_a_json_parser() {
        let out = capture(LogFormat::Json, LevelFilter::TRACE, || {
            tracing::trace!(x = "é ✓ \u{7f}", "t");
        });
        assert_eq!(
            parse_lines(&out),
            [
                json!({"timestamp": "2025-11-21T10:00:02.123Z", "level": "TRACE",
            "target": "kyc_shared::logging::tests", "message": "t", "x": "é ✓ \u{7f}"})
            ]
        );
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
}
