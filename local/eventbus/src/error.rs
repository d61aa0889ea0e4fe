//! The error every EventBridge operation answers with: an AWS error code and its message.

/// An API error: code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn constraint(value: &str, at: &str, constraint: &str) -> ApiError {
        ApiError::new(
            "ValidationException",
            format!(
                "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: {constraint}"
            ),
        )
    }
}
