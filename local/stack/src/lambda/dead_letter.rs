//! What happens to an asynchronous invocation that failed every attempt (or
//! aged out): the record Lambda sends to the on-failure destination and the
//! message it sends to the dead-letter queue.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Why an asynchronous invocation was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsyncCondition {
    /// Success (the on-success destination).
    Success,
    /// Every attempt failed (`MaximumRetryAttempts` + 1 attempts).
    RetriesExhausted,
    /// The event stayed queued longer than `MaximumEventAgeInSeconds`.
    EventAgeExceeded,
}

impl AsyncCondition {
    pub fn as_str(self) -> &'static str {
        match self {
            AsyncCondition::Success => "Success",
            AsyncCondition::RetriesExhausted => "RetriesExhausted",
            AsyncCondition::EventAgeExceeded => "EventAgeExceeded",
        }
    }
}

/// One finished asynchronous invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncInvocationRecord {
    pub request_id: String,
    pub function_name: String,
    pub function_arn: String,
    pub timestamp: DateTime<Utc>,
    pub condition: AsyncCondition,
    pub approximate_invoke_count: u32,
    pub request_payload: Bytes,
    /// `Unhandled` when the last attempt was a function error.
    pub function_error: Option<String>,
    pub response_payload: Option<Bytes>,
    /// `DeadLetterConfig.TargetArn` of the function.
    pub dead_letter_target_arn: Option<String>,
    /// `DestinationConfig.OnFailure` / `OnSuccess` destination of the function.
    pub destination_arn: Option<String>,
}

fn as_json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

impl AsyncInvocationRecord {
    /// The invocation record Lambda sends to a destination (Lambda developer
    /// guide, "Capturing records of asynchronous invocations").
    pub fn destination_record(&self) -> Value {
        let mut record = json!({
            "version": "1.0",
            "timestamp": self.timestamp.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "requestContext": {
                "requestId": self.request_id,
                "functionArn": format!("{}:$LATEST", self.function_arn),
                "condition": self.condition.as_str(),
                "approximateInvokeCount": self.approximate_invoke_count,
            },
            "requestPayload": as_json(&self.request_payload),
        });
        if self.approximate_invoke_count > 0 {
            let mut context = json!({"statusCode": 200, "executedVersion": "$LATEST"});
            if let Some(error) = &self.function_error {
                context["functionError"] = json!(error);
            }
            record["responseContext"] = context;
            if let Some(payload) = &self.response_payload {
                record["responsePayload"] = as_json(payload);
            }
        }
        record
    }

    /// The dead-letter message body: the event itself.
    pub fn dead_letter_body(&self) -> String {
        String::from_utf8_lossy(&self.request_payload).into_owned()
    }

    /// The dead-letter message attributes: `RequestID`, `ErrorCode` (the HTTP
    /// status of the last attempt) and `ErrorMessage` (its first 1 KB).
    pub fn dead_letter_attributes(&self) -> BTreeMap<String, String> {
        let message = self
            .response_payload
            .as_deref()
            .and_then(|p| serde_json::from_slice::<Value>(p).ok())
            .and_then(|v| {
                v.get("errorMessage")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| match self.condition {
                AsyncCondition::EventAgeExceeded => "Event age exceeded".to_owned(),
                _ => String::new(),
            });
        let mut end = message.len().min(1024);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        BTreeMap::from([
            ("RequestID".to_owned(), self.request_id.clone()),
            ("ErrorCode".to_owned(), "200".to_owned()),
            ("ErrorMessage".to_owned(), message[..end].to_owned()),
        ])
    }
}

/// Receives asynchronous invocations that Lambda hands on: to the dead-letter
/// queue and/or the on-failure destination, or the on-success destination.
/// Called only when the function has such a target configured.
pub trait DeadLetterSink: Send + Sync + 'static {
    fn on_failure(&self, record: AsyncInvocationRecord);
    fn on_success(&self, _record: AsyncInvocationRecord) {}
}

/// A sink keeping records in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryDeadLetterSink {
    failures: Mutex<Vec<AsyncInvocationRecord>>,
    successes: Mutex<Vec<AsyncInvocationRecord>>,
}

impl MemoryDeadLetterSink {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn failures(&self) -> Vec<AsyncInvocationRecord> {
        self.failures.lock().map(|f| f.clone()).unwrap_or_default()
    }
    pub fn successes(&self) -> Vec<AsyncInvocationRecord> {
        self.successes.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

impl DeadLetterSink for MemoryDeadLetterSink {
    fn on_failure(&self, record: AsyncInvocationRecord) {
        if let Ok(mut f) = self.failures.lock() {
            f.push(record);
        }
    }
    fn on_success(&self, record: AsyncInvocationRecord) {
        if let Ok(mut s) = self.successes.lock() {
            s.push(record);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> AsyncInvocationRecord {
        AsyncInvocationRecord {
            request_id: "rid".into(),
            function_name: "f".into(),
            function_arn: "arn:aws:lambda:us-east-1:000000000000:function:f".into(),
            timestamp: DateTime::parse_from_rfc3339("2019-11-14T18:16:05.568Z")
                .unwrap()
                .with_timezone(&Utc),
            condition: AsyncCondition::RetriesExhausted,
            approximate_invoke_count: 3,
            request_payload: Bytes::from_static(b"{\"k\":1}"),
            function_error: Some("Unhandled".into()),
            response_payload: Some(Bytes::from_static(
                b"{\"errorMessage\":\"boom\",\"errorType\":\"Oops\"}",
            )),
            dead_letter_target_arn: Some("arn:aws:sqs:us-east-1:000000000000:dlq".into()),
            destination_arn: None,
        }
    }

    #[test]
    fn destination_record_shape() {
        assert_eq!(
            record().destination_record(),
            json!({
                "version": "1.0",
                "timestamp": "2019-11-14T18:16:05.568Z",
                "requestContext": {
                    "requestId": "rid",
                    "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST",
                    "condition": "RetriesExhausted",
                    "approximateInvokeCount": 3
                },
                "requestPayload": {"k": 1},
                "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
                "responsePayload": {"errorMessage": "boom", "errorType": "Oops"}
            })
        );
    }

    #[test]
    fn dead_letter_attributes() {
        let attrs = record().dead_letter_attributes();
        assert_eq!(attrs["RequestID"], "rid");
        assert_eq!(attrs["ErrorCode"], "200");
        assert_eq!(attrs["ErrorMessage"], "boom");
        assert_eq!(record().dead_letter_body(), "{\"k\":1}");
    }
}
