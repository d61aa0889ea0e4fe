//! The plan document, the JSON a client sends: [`FaultPlanDocument`] and its entries (the body of
//! `POST /_local/faults` and the file of `serve --faults`), parsed entry by entry so an error names
//! where it is; and the `count` xor `rate` check every fault shares.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ControlError, invalid};
use crate::lambda::Trigger;

/// A set of faults to add: the body of `POST /_local/faults` and the file of `serve --faults`.
///
/// ```json
/// {"lambda":  [{"function": "IdentityCheckFunction", "fault": "error",
///               "errorType": "Retryable", "errorMessage": "downstream 503", "count": 2}],
///  "targets": [{"rule": "app-app-events-to-accounts", "targetId": "accounts-log-group", "rate": 1.0}],
///  "delays":  [{"service": "stepfunctions", "ms": 200, "jitterMs": 50}]}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FaultPlanDocument {
    /// Function faults.
    pub lambda: Vec<LambdaFaultSpec>,
    /// Rule-target faults.
    pub targets: Vec<TargetFaultSpec>,
    /// Service delays.
    pub delays: Vec<DelaySpec>,
}

/// One function fault as requested.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LambdaFaultSpec {
    /// Function name (`FunctionName`), template logical id, or ARN.
    pub function: String,
    /// `error`, `crash`, `timeout` or `throttle`.
    pub fault: String,
    /// With `error`: the `errorType` the caller sees (e.g. `Retryable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// With `error`: the `errorMessage` (default `Injected fault`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Fail the next `count` attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Fail this share of attempts (0 < rate <= 1), deterministically: attempt k fails when
    /// `floor(k * rate)` grows (0.5 fails every second attempt, 1 every attempt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

/// One rule-target fault as requested.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetFaultSpec {
    /// Event bus of the rule (name); needed only when two buses have a rule of that name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
    /// Rule name or template logical id.
    pub rule: String,
    /// Target `Id`.
    pub target_id: String,
    /// `fail` (the default): delivery attempts fail. `duplicate`: deliveries succeed and the target
    /// gets the event a second time, as EventBridge's at-least-once delivery allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// Fail the next `count` delivery attempts (with `duplicate`: duplicate the next `count` deliveries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Fail each attempt with this probability (0 < rate <= 1; seeded, so runs repeat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// `ERROR_CODE` of the dead-letter message (default `ThrottlingException`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `ERROR_MESSAGE` of the dead-letter message (default `Rate exceeded (injected fault)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Whether the retry policy applies (default `true`); `false` sends the event to the
    /// dead-letter queue at the first failure, as a permissions error does on AWS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
}

/// One service delay as requested.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DelaySpec {
    /// `stepfunctions`, `events`, `logs`, `lambda` or `sqs` (or the `X-Amz-Target` prefix).
    pub service: String,
    /// Added latency in milliseconds.
    pub ms: u64,
    /// Up to this many more milliseconds, uniformly drawn per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<u64>,
}

impl FaultPlanDocument {
    /// Parses a request body. Each entry is read on its own, so an error names where it is
    /// (`lambda[1]: unknown field ...`).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ControlError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| invalid(format!("the body is not valid JSON: {e}")))?;
        Self::from_json(&value)
    }

    /// Parses a JSON value (an object with `lambda`, `targets`, `delays`, each an array; all optional).
    pub fn from_json(value: &Value) -> Result<Self, ControlError> {
        let Value::Object(map) = value else {
            return Err(invalid(
                "a fault plan is a JSON object with \"lambda\", \"targets\" and \"delays\" arrays",
            ));
        };
        if let Some(key) = map
            .keys()
            .find(|k| !matches!(k.as_str(), "lambda" | "targets" | "delays"))
        {
            return Err(invalid(format!(
                "unknown key \"{key}\" (expected \"lambda\", \"targets\" or \"delays\")"
            )));
        }
        fn entries<T: serde::de::DeserializeOwned>(
            map: &serde_json::Map<String, Value>,
            key: &str,
        ) -> Result<Vec<T>, ControlError> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        T::deserialize(item).map_err(|e| invalid(format!("{key}[{i}]: {e}")))
                    })
                    .collect(),
                Some(_) => Err(invalid(format!("\"{key}\" must be an array"))),
            }
        }
        let document = Self {
            lambda: entries(map, "lambda")?,
            targets: entries(map, "targets")?,
            delays: entries(map, "delays")?,
        };
        if document.lambda.is_empty() && document.targets.is_empty() && document.delays.is_empty() {
            return Err(invalid(
                "the plan has no fault: give at least one of \"lambda\", \"targets\", \"delays\"",
            ));
        }
        Ok(document)
    }
}

/// `count` xor `rate`, checked.
pub(super) fn trigger(
    where_: &str,
    count: Option<u32>,
    rate: Option<f64>,
) -> Result<Trigger, ControlError> {
    match (count, rate) {
        (Some(_), Some(_)) => Err(invalid(format!("{where_}: give count or rate, not both"))),
        (None, None) => Err(invalid(format!(
            "{where_}: give count (the next N attempts) or rate (a share of attempts; 1 fails every attempt)"
        ))),
        (Some(0), None) => Err(invalid(format!("{where_}: count must be at least 1"))),
        (Some(n), None) => Ok(Trigger::Next(n)),
        (None, Some(r)) if r.is_finite() && r > 0.0 && r <= 1.0 => Ok(Trigger::Rate(r)),
        (None, Some(r)) => Err(invalid(format!(
            "{where_}: rate must be greater than 0 and at most 1 (got {r})"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_parse_and_name_the_bad_entry() {
        let doc = FaultPlanDocument::from_slice(
            br#"{"lambda": [{"function": "f", "fault": "crash", "count": 2}],
                 "delays": [{"service": "sqs", "ms": 5}]}"#,
        )
        .unwrap();
        assert_eq!(doc.lambda[0].count, Some(2));
        assert_eq!(doc.delays[0].service, "sqs");
        assert!(doc.targets.is_empty());

        let err = FaultPlanDocument::from_slice(
            br#"{"lambda": [{"function": "f", "fault": "crash", "count": 1},
                            {"function": "f", "fault": "crash", "cont": 1}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), "ValidationError");
        assert!(
            err.to_string()
                .starts_with("lambda[1]: unknown field `cont`"),
            "{err}"
        );
        assert_eq!(
            FaultPlanDocument::from_slice(b"[1]").unwrap_err(),
            invalid(
                "a fault plan is a JSON object with \"lambda\", \"targets\" and \"delays\" arrays"
            )
        );
        assert_eq!(
            FaultPlanDocument::from_slice(br#"{"lambdas": []}"#).unwrap_err(),
            invalid("unknown key \"lambdas\" (expected \"lambda\", \"targets\" or \"delays\")")
        );
        assert_eq!(
            FaultPlanDocument::from_slice(br#"{"delays": {}}"#).unwrap_err(),
            invalid("\"delays\" must be an array")
        );
        assert_eq!(
            FaultPlanDocument::from_slice(br#"{}"#).unwrap_err(),
            invalid(
                "the plan has no fault: give at least one of \"lambda\", \"targets\", \"delays\""
            )
        );
        let err = FaultPlanDocument::from_slice(
            br#"{"lambda": [{"function": "f", "fault": "crash", "count": -1}]}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("lambda[0]: invalid value: integer `-1`"),
            "{err}"
        );
        assert!(
            FaultPlanDocument::from_slice(b"{nope")
                .unwrap_err()
                .to_string()
                .starts_with("the body is not valid JSON: ")
        );
    }

    #[test]
    fn triggers_need_exactly_one_of_count_and_rate() {
        assert_eq!(trigger("x", Some(3), None), Ok(Trigger::Next(3)));
        assert_eq!(trigger("x", None, Some(0.5)), Ok(Trigger::Rate(0.5)));
        assert_eq!(trigger("x", None, Some(1.0)), Ok(Trigger::Rate(1.0)));
        assert_eq!(
            trigger("x", Some(1), Some(0.5)),
            Err(invalid("x: give count or rate, not both"))
        );
        assert_eq!(
            trigger("x", Some(0), None),
            Err(invalid("x: count must be at least 1"))
        );
        assert_eq!(
            trigger("x", None, Some(1.5)),
            Err(invalid(
                "x: rate must be greater than 0 and at most 1 (got 1.5)"
            ))
        );
        assert_eq!(
            trigger("x", None, Some(0.0)),
            Err(invalid(
                "x: rate must be greater than 0 and at most 1 (got 0)"
            ))
        );
        assert!(trigger("x", None, None).is_err());
    }
}
