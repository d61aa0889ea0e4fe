//! Errors of the Lambda API, named and shaped as the Lambda API reference
//! names them (restJson1: `x-amzn-errortype` header plus a JSON body).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

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

    /// The JSON body: Lambda's errors carry `Type` (`User` / `Service`) and `message`, as the Lambda API model has them.
    pub fn body(&self) -> serde_json::Value {
        let kind = match self {
            LambdaError::Service(_) => "Service",
            _ => "User",
        };
        let mut body = json!({ "Type": kind, "message": self.to_string() });
        if let LambdaError::TooManyRequests { reason } = self {
            body["Reason"] = json!(reason);
        }
        body
    }
}

impl IntoResponse for LambdaError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        response
            .headers_mut()
            .insert("x-amzn-errortype", HeaderValue::from_static(self.code()));
        if matches!(self, LambdaError::TooManyRequests { .. }) {
            response
                .headers_mut()
                .insert("Retry-After", HeaderValue::from_static("1"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_message_names_the_arn() {
        let e = LambdaError::ResourceNotFound {
            arn: "arn:aws:lambda:us-east-1:000000000000:function:nope".into(),
        };
        assert_eq!(e.code(), "ResourceNotFoundException");
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            e.body(),
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
            e.body(),
            json!({"Type": "User", "message": "Rate Exceeded.", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"})
        );
    }
}
