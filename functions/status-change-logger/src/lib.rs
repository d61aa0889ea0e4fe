//! status-change-logger Lambda: one structured log line and one CloudWatch
//! Embedded Metric Format (EMF) record per *Step Functions Execution Status
//! Change* event of the KYC state machine.
//!
//! A rule on the default bus (source `aws.states`, this state machine's ARN)
//! invokes it. For every event it writes, to the injected writer (stdout in
//! Lambda, where each line becomes a CloudWatch Logs event):
//!
//! 1. `{"message":"execution_status_change","executionArn","name","status","durationMs","error","cause"}`:
//!    never `input` / `output`, which carry the application (personal data);
//!    `cause` is cut at [`MAX_CAUSE_CHARS`].
//! 2. An EMF record: namespace `KYC`, dimension `Status`, metric
//!    `ExecutionStatusChange` (Count, 1) and, when `stopDate` is known,
//!    `ExecutionDuration` (Milliseconds). CloudWatch extracts the metrics
//!    from the log line (see "Embedded metric format specification" in the
//!    CloudWatch user guide).
//!
//! Unknown statuses and missing or mistyped fields are tolerated: fields
//! become `null`, and a status that is absent or not an upper-case word is
//! counted under the dimension value `UNKNOWN` (it still appears, as given,
//! in the log line).
//!
//! Entry point: [`handle`].

use std::io::Write;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use kyc_shared::{ErrorType, ExecutionStatusChange};
use lambda_runtime_lean::Diagnostic;
use serde_json::{Value, json};

/// CloudWatch namespace of the metrics.
pub const METRIC_NAMESPACE: &str = "KYC";
/// Dimension value for an absent or unexpected status.
pub const UNKNOWN_STATUS: &str = "UNKNOWN";
/// Longest `cause` kept in the log line, in characters (a Lambda error
/// cause can be 32 KiB; the line stays readable and cheap).
pub const MAX_CAUSE_CHARS: usize = 2048;

/// Errors of the logger, with stable error types.
#[derive(Debug, thiserror::Error)]
pub enum LoggerError {
    /// Writing a record failed (`LogWriteFailed`).
    #[error("writing the log record failed: {0}")]
    Write(#[from] std::io::Error),
}

impl From<LoggerError> for Diagnostic {
    fn from(e: LoggerError) -> Self {
        Diagnostic {
            error_type: ErrorType::LogWriteFailed.to_string(),
            error_message: e.to_string(),
        }
    }
}

/// The two records of one status change.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChangeRecords {
    pub log_line: Value,
    pub emf: Value,
}

/// Builds the log line and the EMF record. `now_ms` is only used as the
/// metric timestamp when neither the event time nor the execution dates
/// are known.
pub fn records(event: &EventBridgeEvent<Value>, now_ms: i64) -> StatusChangeRecords {
    let detail = ExecutionStatusChange::from_value_lenient(&event.detail);
    let duration_ms = detail.duration_ms();
    let log_line = json!({
        "message": "execution_status_change",
        "executionArn": detail.execution_arn,
        "name": detail.name,
        "status": detail.status,
        "durationMs": duration_ms,
        "error": detail.error,
        "cause": detail.cause.as_deref().map(truncate_cause),
    });

    let dimension = detail
        .status
        .as_deref()
        .filter(|s| is_status_word(s))
        .unwrap_or(UNKNOWN_STATUS);
    let timestamp = event
        .time
        .map(|t| t.timestamp_millis())
        .or(detail.stop_date)
        .or(detail.start_date)
        .unwrap_or(now_ms);
    let mut metrics = vec![json!({"Name": "ExecutionStatusChange", "Unit": "Count"})];
    let mut emf = json!({
        "_aws": {
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{
                "Namespace": METRIC_NAMESPACE,
                "Dimensions": [["Status"]],
                "Metrics": []
            }]
        },
        "Status": dimension,
        "ExecutionStatusChange": 1,
        "executionArn": detail.execution_arn,
    });
    if let Some(d) = duration_ms {
        metrics.push(json!({"Name": "ExecutionDuration", "Unit": "Milliseconds"}));
        emf["ExecutionDuration"] = json!(d);
    }
    emf["_aws"]["CloudWatchMetrics"][0]["Metrics"] = Value::Array(metrics);
    StatusChangeRecords { log_line, emf }
}

/// The Lambda handler: writes the two records, one JSON object per line.
pub fn handle<W: Write>(
    event: &EventBridgeEvent<Value>,
    now_ms: i64,
    out: &mut W,
) -> Result<StatusChangeRecords, LoggerError> {
    let r = records(event, now_ms);
    writeln!(out, "{}", r.log_line)?;
    writeln!(out, "{}", r.emf)?;
    out.flush()?;
    Ok(r)
}

/// A status AWS could plausibly send: an upper-case word of at most 32
/// characters. Anything else would create an arbitrary metric dimension.
fn is_status_word(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
}

fn truncate_cause(cause: &str) -> String {
    if cause.chars().count() <= MAX_CAUSE_CHARS {
        cause.to_string()
    } else {
        let mut cut: String = cause.chars().take(MAX_CAUSE_CHARS).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const NOW: i64 = 1_800_000_000_000;

    fn event(raw: &str) -> EventBridgeEvent<Value> {
        serde_json::from_str(raw).unwrap()
    }

    fn lines(raw: &str) -> Vec<Value> {
        let mut out = Vec::new();
        handle(&event(raw), NOW, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn a_succeeded_execution_logs_duration_and_metrics() {
        let raw = include_str!("../../../events/lambda/execution-status-succeeded.json");
        let out = lines(raw);
        assert_eq!(
            out,
            vec![
                json!({"message": "execution_status_change",
                       "executionArn": "arn:aws:states:us-east-1:123456789012:execution:kyc-KycStateMachine:app-1001",
                       "name": "app-1001", "status": "SUCCEEDED", "durationMs": 2345,
                       "error": null, "cause": null}),
                json!({"_aws": {"Timestamp": 1763719202000i64, "CloudWatchMetrics": [{
                            "Namespace": "KYC", "Dimensions": [["Status"]],
                            "Metrics": [{"Name": "ExecutionStatusChange", "Unit": "Count"},
                                        {"Name": "ExecutionDuration", "Unit": "Milliseconds"}]}]},
                       "Status": "SUCCEEDED", "ExecutionStatusChange": 1, "ExecutionDuration": 2345,
                       "executionArn": "arn:aws:states:us-east-1:123456789012:execution:kyc-KycStateMachine:app-1001"}),
            ]
        );
        // input/output carry the application: never logged.
        assert!(raw.contains("Saanvi"));
        assert!(!out.iter().any(|l| l.to_string().contains("Saanvi")));
    }

    #[test]
    fn a_failed_execution_logs_error_and_cause() {
        let out = lines(include_str!(
            "../../../events/lambda/execution-status-failed.json"
        ));
        assert_eq!(
            out[0],
            json!({"message": "execution_status_change",
                   "executionArn": "arn:aws:states:us-east-1:123456789012:execution:kyc-KycStateMachine:app-5001",
                   "name": "app-5001", "status": "FAILED", "durationMs": 61000,
                   "error": "Lambda.ServiceException", "cause": "Rate exceeded"})
        );
        assert_eq!(out[1]["Status"], "FAILED");
        assert_eq!(out[1]["ExecutionDuration"], 61000);
    }

    #[test]
    fn a_running_execution_has_no_duration_metric() {
        let out = lines(include_str!(
            "../../../events/lambda/execution-status-running.json"
        ));
        assert_eq!(out[0]["durationMs"], Value::Null);
        assert_eq!(out[0]["status"], "RUNNING");
        assert_eq!(
            out[1]["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "ExecutionStatusChange", "Unit": "Count"}])
        );
        assert_eq!(out[1].get("ExecutionDuration"), None);
        assert_eq!(out[1]["Status"], "RUNNING");
    }

    #[test]
    fn unknown_statuses_and_missing_fields_are_tolerated() {
        let raw = r#"{"version":"0","id":"1","detail-type":"Step Functions Execution Status Change",
            "source":"aws.states","account":"123456789012","region":"us-east-1","resources":[],
            "detail":{"status":"HIBERNATING","startDate":"not a number"}}"#;
        let out = lines(raw);
        assert_eq!(
            out[0],
            json!({"message": "execution_status_change", "executionArn": null, "name": null,
                   "status": "HIBERNATING", "durationMs": null, "error": null, "cause": null})
        );
        assert_eq!(out[1]["Status"], "HIBERNATING");
        assert_eq!(out[1]["_aws"]["Timestamp"], NOW);

        let raw = r#"{"detail-type":"Step Functions Execution Status Change","source":"aws.states",
            "detail":{"status":"weird status!"}}"#;
        let out = lines(raw);
        assert_eq!(out[0]["status"], "weird status!");
        assert_eq!(out[1]["Status"], "UNKNOWN");

        let raw = r#"{"detail-type":"Step Functions Execution Status Change","source":"aws.states","detail":[1,2]}"#;
        let out = lines(raw);
        assert_eq!(out[0]["status"], Value::Null);
        assert_eq!(out[1]["Status"], "UNKNOWN");
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn long_causes_are_cut() {
        let raw = json!({"detail-type": "Step Functions Execution Status Change", "source": "aws.states",
                         "detail": {"status": "FAILED", "cause": "x".repeat(5000)}});
        let out = lines(&raw.to_string());
        let cause = out[0]["cause"].as_str().unwrap();
        assert_eq!(cause.chars().count(), MAX_CAUSE_CHARS + 1);
        assert!(cause.ends_with('…'));
    }

    struct FailingWriter;
    impl Write for FailingWriter {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_write_failure_is_a_log_write_failed_error() {
        let e = handle(
            &event(include_str!(
                "../../../events/lambda/execution-status-running.json"
            )),
            NOW,
            &mut FailingWriter,
        )
        .unwrap_err();
        let d: Diagnostic = e.into();
        assert_eq!(d.error_type, "LogWriteFailed");
        assert_eq!(d.error_message, "writing the log record failed: disk full");
    }
}
