//! Why a policy document was refused.

/// Why a document was refused (IAM answers `MalformedPolicyDocument` with such a message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    pub message: String,
}

pub(crate) fn error(message: impl Into<String>) -> PolicyError {
    PolicyError {
        message: message.into(),
    }
}
