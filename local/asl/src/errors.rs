//! Predefined error names and the rules by which Retry / Catch match them.

use serde::{Deserialize, Serialize};

pub const ALL: &str = "States.ALL";
pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
pub const TIMEOUT: &str = "States.Timeout";
pub const TASK_FAILED: &str = "States.TaskFailed";
pub const RUNTIME: &str = "States.Runtime";
pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
pub const BRANCH_FAILED: &str = "States.BranchFailed";
pub const PERMISSIONS: &str = "States.Permissions";
/// A JSONata state failed to evaluate an expression (error-handling chapter: "Query evaluation
/// failed in a JSONata state, such as a JSONata type error, an incorrectly typed result, or an
/// undefined result").
pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";

/// An error raised inside a state: what Retry / Catch see and Catch hands on as
/// `{"Error": ..., "Cause": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateError {
    pub error: String,
    pub cause: String,
}

impl StateError {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        StateError {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// The error output a catcher passes on.
    pub fn to_output(&self) -> serde_json::Value {
        serde_json::json!({ "Error": self.error, "Cause": self.cause })
    }
}

/// True when a Retry / Catch `ErrorEquals` list matches `error`.
///
/// From the error-handling chapter of the developer guide:
/// - `States.ALL` matches any error name, except `States.DataLimitExceeded` (a terminal error)
///   and `States.Runtime`.
/// - `States.TaskFailed` matches any error name except `States.Timeout` (and the two terminal
///   ones above).
/// - `States.Runtime` can never be retried or caught.
pub fn matches(error_equals: &[String], error: &str) -> bool {
    if error == RUNTIME {
        return false;
    }
    error_equals.iter().any(|e| {
        e == error
            || (e == ALL && error != DATA_LIMIT_EXCEEDED)
            || (e == TASK_FAILED && error != TIMEOUT && error != DATA_LIMIT_EXCEEDED)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn task_failed_does_not_match_timeout() {
        assert!(!matches(&v(&[TASK_FAILED]), TIMEOUT));
        assert!(matches(&v(&[TASK_FAILED]), HEARTBEAT_TIMEOUT));
        assert!(matches(&v(&[TASK_FAILED]), "Lambda.Unknown"));
    }
}
