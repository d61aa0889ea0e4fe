//! AWS-shaped errors, encoded the way awsJson clients parse them.
//!
//! awsJson1_0 / awsJson1_1 clients (botocore, aws-sdk-rust) read the error code
//! from the body's `__type` (everything after a `#` when present) and the
//! message from `message` (or `Message`). SQS, which moved from the query
//! protocol to JSON, also sends `x-amzn-query-error: <QueryCode>;<Sender|Receiver>`
//! and clients generated with `awsQueryCompatible` prefer that code.

use axum::http::StatusCode;

/// An error returned to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// HTTP status (400 for client faults, 500 for server faults).
    pub status: StatusCode,
    /// The error code without namespace, e.g. `ResourceNotFoundException`.
    pub code: String,
    /// Optional namespace put in front of the code in `__type`, e.g. `com.amazonaws.sqs#`.
    pub type_prefix: Option<&'static str>,
    /// Human readable message; `None` sends no `message` member (as AWS does for some codes).
    pub message: Option<String>,
    /// `x-amzn-query-error` header value for query-compatible services (SQS).
    pub query_error: Option<String>,
    /// What some services' errors carry besides (Lambda's `Type`, `Reason`, `Retry-After`).
    pub extras: Option<Box<ErrorExtras>>,
}

/// Body members and headers beyond the code and message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorExtras {
    /// Body members (Lambda's `Type` and `Reason`).
    pub members: Vec<(&'static str, serde_json::Value)>,
    /// Response headers (Lambda's throttle sends `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
}

impl AwsError {
    /// A 400 client error.
    pub fn client(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: code.into(),
            type_prefix: None,
            message: Some(message.into()),
            query_error: None,
            extras: None,
        }
    }

    /// A 500 server error (`InternalFailure` unless a service says otherwise).
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "InternalFailure".to_owned(),
            type_prefix: None,
            message: Some(message.into()),
            query_error: None,
            extras: None,
        }
    }

    /// The operation named in `X-Amz-Target` is not one this endpoint serves.
    /// AWS's front end answers this with a bare `UnknownOperationException`.
    pub fn unknown_operation() -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "UnknownOperationException".to_owned(),
            type_prefix: Some("com.amazon.coral.service#"),
            message: None,
            query_error: None,
            extras: None,
        }
    }

    /// The body is not the JSON document the operation expects.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "SerializationException".to_owned(),
            type_prefix: Some("com.amazon.coral.service#"),
            message: Some(message.into()),
            query_error: None,
            extras: None,
        }
    }

    /// The body is larger than the API accepts.
    pub fn too_large(limit: usize) -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "RequestEntityTooLargeException".to_owned(),
            type_prefix: None,
            message: Some(format!("Request must be smaller than {limit} bytes")),
            query_error: None,
            extras: None,
        }
    }

    /// Sets a different HTTP status.
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Sets the `__type` namespace.
    #[must_use]
    pub fn with_prefix(mut self, prefix: &'static str) -> Self {
        self.type_prefix = Some(prefix);
        self
    }

    /// Sets the `x-amzn-query-error` header (`code;Sender` or `code;Receiver`).
    #[must_use]
    pub fn with_query_error(mut self, query_code: &str) -> Self {
        let fault = if self.status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        };
        self.query_error = Some(format!("{query_code};{fault}"));
        self
    }

    /// Adds a body member (`Type`, `Reason`).
    #[must_use]
    pub fn with_member(mut self, name: &'static str, value: impl Into<serde_json::Value>) -> Self {
        self.extras
            .get_or_insert_default()
            .members
            .push((name, value.into()));
        self
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extras
            .get_or_insert_default()
            .headers
            .push((name, value.into()));
        self
    }

    /// The extra body members.
    pub fn members(&self) -> &[(&'static str, serde_json::Value)] {
        self.extras.as_deref().map_or(&[], |e| e.members.as_slice())
    }

    /// The extra response headers.
    pub fn headers(&self) -> &[(&'static str, String)] {
        self.extras.as_deref().map_or(&[], |e| e.headers.as_slice())
    }

    /// The `__type` member as sent on the wire.
    pub fn wire_type(&self) -> String {
        match self.type_prefix {
            Some(prefix) => format!("{prefix}{}", self.code),
            None => self.code.clone(),
        }
    }

    /// The JSON body of a restJson1 service (Lambda): the code travels in `x-amzn-errortype`, the
    /// body carries the message and the service's members.
    pub fn rest_body(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        for (name, value) in self.members() {
            body.insert((*name).into(), value.clone());
        }
        if let Some(message) = &self.message {
            body.insert("message".into(), message.clone().into());
        }
        serde_json::Value::Object(body)
    }

    /// The JSON body as sent on the wire (awsJson).
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), self.wire_type().into());
        if let Some(message) = &self.message {
            body.insert("message".into(), message.clone().into());
        }
        for (name, value) in self.members() {
            body.insert((*name).into(), value.clone());
        }
        serde_json::Value::Object(body)
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Some(message) => write!(f, "{}: {message}", self.code),
            None => f.write_str(&self.code),
        }
    }
}

impl std::error::Error for AwsError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn body_carries_type_and_message() {
        let err = AwsError::client(
            "ResourceNotFoundException",
            "The specified log group does not exist.",
        );
        assert_eq!(
            err.body(),
            json!({"__type": "ResourceNotFoundException", "message": "The specified log group does not exist."})
        );
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn unknown_operation_has_coral_namespace_and_no_message() {
        let err = AwsError::unknown_operation();
        assert_eq!(
            err.body(),
            json!({"__type": "com.amazon.coral.service#UnknownOperationException"})
        );
    }

    #[test]
    fn query_error_names_the_fault_side() {
        let err = AwsError::client("QueueDoesNotExist", "The specified queue does not exist.")
            .with_prefix("com.amazonaws.sqs#")
            .with_query_error("AWS.SimpleQueueService.NonExistentQueue");
        assert_eq!(
            err.query_error.as_deref(),
            Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
        );
        assert_eq!(err.wire_type(), "com.amazonaws.sqs#QueueDoesNotExist");
        let internal = AwsError::internal("boom").with_query_error("InternalError");
        assert_eq!(
            internal.query_error.as_deref(),
            Some("InternalError;Receiver")
        );
    }
}
