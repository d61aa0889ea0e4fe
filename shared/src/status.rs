//! Detail of Step Functions' *Execution Status Change* event (source
//! `aws.states`, default bus). See the Step Functions developer guide,
//! "Automating Step Functions event delivery with EventBridge": fields are
//! `executionArn`, `stateMachineArn`, `name`, `status`, `startDate`,
//! `stopDate` (epoch milliseconds; `stopDate` null while running), `input`,
//! `output`, `error`, `cause` and more. Every field is optional here so an
//! unexpected shape is still logged.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Execution statuses. Unknown ones (a status AWS adds later) are kept as
/// [`ExecutionStatus::Other`] rather than rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
    PendingRedrive,
    Other(String),
}

impl ExecutionStatus {
    /// Parses a status; anything unknown is `Other`.
    pub fn parse(s: &str) -> Self {
        match s {
            "RUNNING" => ExecutionStatus::Running,
            "SUCCEEDED" => ExecutionStatus::Succeeded,
            "FAILED" => ExecutionStatus::Failed,
            "TIMED_OUT" => ExecutionStatus::TimedOut,
            "ABORTED" => ExecutionStatus::Aborted,
            "PENDING_REDRIVE" => ExecutionStatus::PendingRedrive,
            other => ExecutionStatus::Other(other.to_string()),
        }
    }

    /// The status as AWS spells it.
    pub fn as_str(&self) -> &str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
            ExecutionStatus::PendingRedrive => "PENDING_REDRIVE",
            ExecutionStatus::Other(s) => s,
        }
    }

    /// True for a status AWS documents.
    pub fn is_known(&self) -> bool {
        !matches!(self, ExecutionStatus::Other(_))
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Detail of *Step Functions Execution Status Change*.
///
/// `input` and `output` carry the application (personal data): `Debug`
/// prints only their length, and the status-change logger never logs them.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStatusChange {
    #[serde(default)]
    pub execution_arn: Option<String>,
    #[serde(default)]
    pub state_machine_arn: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub start_date: Option<i64>,
    #[serde(default)]
    pub stop_date: Option<i64>,
    #[serde(default)]
    pub input: Option<String>,
    #[serde(default)]
    pub output: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
}

impl ExecutionStatusChange {
    /// Reads a detail field by field, so one field of an unexpected type
    /// (or a detail that is not an object) loses only that field. Dates
    /// given as floating-point milliseconds are truncated.
    pub fn from_value_lenient(detail: &serde_json::Value) -> Self {
        let text = |k: &str| {
            detail
                .get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        let millis = |k: &str| {
            detail.get(k).and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            })
        };
        ExecutionStatusChange {
            execution_arn: text("executionArn"),
            state_machine_arn: text("stateMachineArn"),
            name: text("name"),
            status: text("status"),
            start_date: millis("startDate"),
            stop_date: millis("stopDate"),
            input: text("input"),
            output: text("output"),
            error: text("error"),
            cause: text("cause"),
        }
    }

    /// The parsed status, `None` when absent.
    pub fn execution_status(&self) -> Option<ExecutionStatus> {
        self.status.as_deref().map(ExecutionStatus::parse)
    }

    /// `stopDate - startDate` in milliseconds, when both are known and in order.
    pub fn duration_ms(&self) -> Option<i64> {
        match (self.start_date, self.stop_date) {
            (Some(start), Some(stop)) if stop >= start => Some(stop - start),
            _ => None,
        }
    }
}

impl fmt::Debug for ExecutionStatusChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = |s: &Option<String>| s.as_ref().map(|s| format!("<{} bytes>", s.len()));
        f.debug_struct("ExecutionStatusChange")
            .field("execution_arn", &self.execution_arn)
            .field("state_machine_arn", &self.state_machine_arn)
            .field("name", &self.name)
            .field("status", &self.status)
            .field("start_date", &self.start_date)
            .field("stop_date", &self.stop_date)
            .field("input", &len(&self.input))
            .field("output", &len(&self.output))
            .field("error", &self.error)
            .field("cause", &self.cause)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn parses_the_documented_detail_and_round_trips() {
        let v = json!({
            "executionArn": "arn:aws:states:us-east-1:123456789012:execution:kyc:app-1",
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:kyc",
            "name": "app-1", "status": "SUCCEEDED",
            "startDate": 1700000000000i64, "stopDate": 1700000001234i64,
            "input": "{\"customerName\":\"Nikki Wolf\"}", "output": "{}",
            "error": null, "cause": null
        });
        let d: ExecutionStatusChange = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(d.execution_status(), Some(ExecutionStatus::Succeeded));
        assert_eq!(d.duration_ms(), Some(1234));
        assert_eq!(serde_json::to_value(&d).unwrap(), v);
        let debug = format!("{d:?}");
        assert!(!debug.contains("Nikki"), "{debug}");
        assert!(debug.contains("<29 bytes>"), "{debug}");
    }

    #[test]
    fn lenient_reading_keeps_what_it_can() {
        let d = ExecutionStatusChange::from_value_lenient(&json!({
            "executionArn": "arn:x", "status": "FAILED", "startDate": "yesterday",
            "stopDate": 1700000001234.0, "error": 42, "cause": "boom"
        }));
        assert_eq!(
            d,
            ExecutionStatusChange {
                execution_arn: Some("arn:x".into()),
                status: Some("FAILED".into()),
                stop_date: Some(1700000001234),
                cause: Some("boom".into()),
                ..Default::default()
            }
        );
        assert_eq!(
            ExecutionStatusChange::from_value_lenient(&json!("not an object")),
            ExecutionStatusChange::default()
        );
    }

    #[test]
    fn tolerates_missing_fields_and_unknown_statuses() {
        let d: ExecutionStatusChange =
            serde_json::from_value(json!({"status": "HIBERNATING"})).unwrap();
        assert_eq!(
            d.execution_status(),
            Some(ExecutionStatus::Other("HIBERNATING".into()))
        );
        assert!(!ExecutionStatus::parse("HIBERNATING").is_known());
        assert_eq!(d.duration_ms(), None);
        let d: ExecutionStatusChange = serde_json::from_value(json!({})).unwrap();
        assert_eq!(d.execution_status(), None);
        let d: ExecutionStatusChange =
            serde_json::from_value(json!({"startDate": 10, "stopDate": 5})).unwrap();
        assert_eq!(d.duration_ms(), None);
        for s in [
            "RUNNING",
            "SUCCEEDED",
            "FAILED",
            "TIMED_OUT",
            "ABORTED",
            "PENDING_REDRIVE",
        ] {
            assert_eq!(ExecutionStatus::parse(s).as_str(), s);
            assert!(ExecutionStatus::parse(s).is_known());
        }
    }
}
