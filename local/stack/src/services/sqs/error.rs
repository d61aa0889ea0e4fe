//! SQS's errors, and how they go on the wire: `__type` `com.amazonaws.sqs#<Code>` plus the query
//! API's code in `x-amzn-query-error`, which query-compatible clients (the AWS CLI) surface.

use crate::protocol::AwsError;
use crate::store::StoreError;

/// The `__type` namespace of SQS's errors.
const TYPE_PREFIX: &str = "com.amazonaws.sqs#";

/// Errors of the SQS API.
#[derive(Debug, thiserror::Error)]
pub enum SqsError {
    /// `QueueDoesNotExist`.
    #[error("The specified queue does not exist.")]
    QueueDoesNotExist,
    /// `QueueNameExists`.
    #[error("A queue already exists with the same name and a different value for attribute {0}")]
    QueueNameExists(String),
    /// `InvalidParameterValue` (a common error, not modelled).
    #[error("{0}")]
    InvalidParameterValue(String),
    /// `MissingParameter`.
    #[error("The request must contain the parameter {0}.")]
    MissingParameter(String),
    /// `InvalidAttributeName`.
    #[error("Unknown Attribute {0}.")]
    InvalidAttributeName(String),
    /// `InvalidAttributeValue`.
    #[error("Invalid value for the parameter {0}.")]
    InvalidAttributeValue(String),
    /// `InvalidMessageContents`.
    #[error(
        "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
    )]
    InvalidMessageContents,
    /// `ReceiptHandleIsInvalid`.
    #[error("The input receipt handle \"{0}\" is not a valid receipt handle.")]
    ReceiptHandleIsInvalid(String),
    /// `MessageNotInflight`.
    #[error("Message does not exist or is not available for visibility timeout change.")]
    MessageNotInflight,
    /// `PurgeQueueInProgress`.
    #[error("Only one PurgeQueue operation on {0} is allowed every 60 seconds.")]
    PurgeQueueInProgress(String),
    /// `EmptyBatchRequest`.
    #[error("There should be at least one {0} in the request.")]
    EmptyBatchRequest(&'static str),
    /// `TooManyEntriesInBatchRequest`.
    #[error("Maximum number of entries per request are 10. You have sent {0}.")]
    TooManyEntriesInBatchRequest(usize),
    /// `BatchEntryIdsNotDistinct`.
    #[error("Id {0} repeated.")]
    BatchEntryIdsNotDistinct(String),
    /// `InvalidBatchEntryId`.
    #[error(
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."
    )]
    InvalidBatchEntryId,
    /// `BatchRequestTooLong`.
    #[error("Batch requests cannot be longer than 1048576 bytes. You have sent {0} bytes.")]
    BatchRequestTooLong(usize),
    /// `InvalidAddress`.
    #[error("The address {0} is not valid for this endpoint.")]
    InvalidAddress(String),
    /// `UnsupportedOperation`.
    #[error("{0}")]
    UnsupportedOperation(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SqsError {
    /// A value that cannot be stored as JSON text, or stored JSON text that cannot be read back.
    pub(super) fn corrupt(e: &serde_json::Error) -> Self {
        Self::Store(StoreError::Corrupt(e.to_string()))
    }
}

impl From<SqsError> for AwsError {
    fn from(e: SqsError) -> Self {
        let message = e.to_string();
        // (__type code, x-amzn-query-error code): the query codes are the ones the
        // SQS query API used, which query-compatible clients still surface.
        let (code, query) = match &e {
            SqsError::QueueDoesNotExist => (
                "QueueDoesNotExist",
                "AWS.SimpleQueueService.NonExistentQueue",
            ),
            SqsError::QueueNameExists(_) => ("QueueNameExists", "QueueAlreadyExists"),
            SqsError::InvalidParameterValue(_) => {
                ("InvalidParameterValue", "InvalidParameterValue")
            }
            SqsError::MissingParameter(_) => ("MissingParameter", "MissingParameter"),
            SqsError::InvalidAttributeName(_) => ("InvalidAttributeName", "InvalidAttributeName"),
            SqsError::InvalidAttributeValue(_) => {
                ("InvalidAttributeValue", "InvalidAttributeValue")
            }
            SqsError::InvalidMessageContents => {
                ("InvalidMessageContents", "InvalidMessageContents")
            }
            SqsError::ReceiptHandleIsInvalid(_) => {
                ("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid")
            }
            SqsError::MessageNotInflight => (
                "MessageNotInflight",
                "AWS.SimpleQueueService.MessageNotInflight",
            ),
            SqsError::PurgeQueueInProgress(_) => (
                "PurgeQueueInProgress",
                "AWS.SimpleQueueService.PurgeQueueInProgress",
            ),
            SqsError::EmptyBatchRequest(_) => (
                "EmptyBatchRequest",
                "AWS.SimpleQueueService.EmptyBatchRequest",
            ),
            SqsError::TooManyEntriesInBatchRequest(_) => (
                "TooManyEntriesInBatchRequest",
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            ),
            SqsError::BatchEntryIdsNotDistinct(_) => (
                "BatchEntryIdsNotDistinct",
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
            ),
            SqsError::InvalidBatchEntryId => (
                "InvalidBatchEntryId",
                "AWS.SimpleQueueService.InvalidBatchEntryId",
            ),
            SqsError::BatchRequestTooLong(_) => (
                "BatchRequestTooLong",
                "AWS.SimpleQueueService.BatchRequestTooLong",
            ),
            SqsError::InvalidAddress(_) => ("InvalidAddress", "InvalidAddress"),
            SqsError::UnsupportedOperation(_) => (
                "UnsupportedOperation",
                "AWS.SimpleQueueService.UnsupportedOperation",
            ),
            SqsError::Store(err) => {
                tracing::error!(error = %err, "sqs store failure");
                return AwsError::internal("Internal error")
                    .with_prefix(TYPE_PREFIX)
                    .with_query_error("InternalError");
            }
        };
        AwsError::client(code, message)
            .with_prefix(TYPE_PREFIX)
            .with_query_error(query)
    }
}

/// A required member missing, as SQS's front end answers it (`MissingParameter`).
pub(super) fn missing(member: &str) -> AwsError {
    SqsError::MissingParameter(member.to_owned()).into()
}
