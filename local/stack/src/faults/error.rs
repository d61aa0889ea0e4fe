//! Why a control request is refused: [`ControlError`], its JSON code, HTTP status and body.

use serde_json::{Value, json};

/// Why a control request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ControlError {
    /// The request is not a valid fault plan (shape, types, values).
    #[error("{0}")]
    Validation(String),
    /// No function of that name, logical id or ARN.
    #[error("{0}")]
    UnknownFunction(String),
    /// No such rule, or no such target on it.
    #[error("{0}")]
    UnknownRuleTarget(String),
    /// No fault with that id.
    #[error("no fault with id {0}")]
    NotFound(u64),
    /// The state store failed while resolving a rule.
    #[error("{0}")]
    Internal(String),
}

impl ControlError {
    /// The `code` of the JSON error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "ValidationError",
            Self::UnknownFunction(_) => "UnknownFunction",
            Self::UnknownRuleTarget(_) => "UnknownRuleTarget",
            Self::NotFound(_) => "FaultNotFound",
            Self::Internal(_) => "InternalError",
        }
    }

    /// HTTP status: 400 for a bad request, 404 for an unknown id, 500 for the store.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound(_) => 404,
            Self::Internal(_) => 500,
            _ => 400,
        }
    }

    /// `{"code": ..., "message": ...}`.
    pub fn body(&self) -> Value {
        json!({"code": self.code(), "message": self.to_string()})
    }
}

pub(super) fn invalid(message: impl Into<String>) -> ControlError {
    ControlError::Validation(message.into())
}
