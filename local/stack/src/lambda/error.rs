//! Errors of the Lambda API, named and shaped as the Lambda API reference
//! names them (restJson1: `x-amzn-errortype` header plus a JSON body).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::protocol::error::AwsError;
use crate::protocol::{Protocol, error_response};

/// An error the Lambda API returns to its caller (not a function error: those
/// are a successful Invoke with `X-Amz-Function-Error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LambdaError {
    /// 404: the function (or its qualifier) does not exist.
    #[error("Function not found: {arn}")]
    ResourceNotFound { arn: String },
    /// 413: the request payload is over the limit.
    #[error("{0}")]
    RequestTooLarge(String),
    /// 429: no concurrency left (`Reason` says which limit).
    #[error("Rate Exceeded.")]
    TooManyRequests { reason: String },
    /// 400: the payload is not JSON.
    #[error("{0}")]
    InvalidRequestContent(String),
    /// 400: a parameter fails its constraint.
    #[error("{0}")]
    Validation(String),
    /// 400: a parameter value is not accepted.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// 500: the local stack itself failed.
    #[error("{0}")]
    Service(String),
}

impl LambdaError {
    /// The error code clients match on (`x-amzn-errortype`).
    pub fn code(&self) -> &'static str {
        match self {
            LambdaError::ResourceNotFound { .. } => "ResourceNotFoundException",
            LambdaError::RequestTooLarge(_) => "RequestTooLargeException",
            LambdaError::TooManyRequests { .. } => "TooManyRequestsException",
            LambdaError::InvalidRequestContent(_) => "InvalidRequestContentException",
            LambdaError::Validation(_) => "ValidationException",
            LambdaError::InvalidParameterValue(_) => "InvalidParameterValueException",
            LambdaError::Service(_) => "ServiceException",
        }
    }

    /// The HTTP status the Lambda API answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            LambdaError::ResourceNotFound { .. } => StatusCode::NOT_FOUND,
            LambdaError::RequestTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            LambdaError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            LambdaError::InvalidRequestContent(_)
            | LambdaError::Validation(_)
            | LambdaError::InvalidParameterValue(_) => StatusCode::BAD_REQUEST,
            LambdaError::Service(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<LambdaError> for AwsError {
    /// Lambda's errors carry `Type` (`User` / `Service`) and `message` in the body, as the Lambda
    /// API model has them; a throttle adds its `Reason` and `Retry-After`.
    fn from(error: LambdaError) -> Self {
        let kind = match error {
            LambdaError::Service(_) => "Service",
            _ => "User",
        };
        let mut aws = AwsError::client(error.code(), error.to_string())
            .with_status(error.status())
            .with_member("Type", kind);
        if let LambdaError::TooManyRequests { reason } = &error {
            aws = aws
                .with_member("Reason", reason.clone())
                .with_header("Retry-After", "1");
        }
        aws
    }
}

impl IntoResponse for LambdaError {
    fn into_response(self) -> Response {
        // The request id is put on by the stack's layers (`protocol::middleware`).
        error_response(&AwsError::from(self), Protocol::RestJson1, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn not_found_message_names_the_arn() {
        let e = LambdaError::ResourceNotFound {
            arn: "arn:aws:lambda:us-east-1:000000000000:function:nope".into(),
        };
        assert_eq!(e.code(), "ResourceNotFoundException");
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            AwsError::from(e).rest_body(),
            json!({"Type": "User", "message": "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"})
        );
    }

    #[test]
    fn throttle_carries_its_reason() {
        let e = LambdaError::TooManyRequests {
            reason: "ReservedFunctionConcurrentInvocationLimitExceeded".into(),
        };
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            AwsError::from(e).rest_body(),
            json!({"Type": "User", "message": "Rate Exceeded.", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"})
        );
    }
}
