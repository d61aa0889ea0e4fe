//! Amazon SQS (`AmazonSQS`, awsJson1_0 with query-compatible errors).
//!
//! Operations: CreateQueue, DeleteQueue, GetQueueUrl, ListQueues,
//! GetQueueAttributes, SetQueueAttributes, SendMessage, ReceiveMessage,
//! DeleteMessage, ChangeMessageVisibility, PurgeQueue, SendMessageBatch,
//! DeleteMessageBatch. Standard queues only
//! (the stack's queues are dead-letter queues); FIFO queues are refused.
//! Other services send through [`SqsService::send_message_to`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::clock::SharedClock;
use crate::protocol::{AwsError, JsonService, Protocol, ServiceFuture, decode, encode};
use crate::store::{Store, StoreError};

/// `X-Amz-Target` prefix.
pub const TARGET_PREFIX: &str = "AmazonSQS";
const TYPE_PREFIX: &str = "com.amazonaws.sqs#";

/// "The maximum size is 1 MiB or 1,048,576 bytes" (MaximumMessageSize default and ceiling).
pub const MAX_MESSAGE_BYTES: i64 = 1_048_576;
const MAX_ATTRIBUTES: usize = 10;
/// ReceiveMessage: "WaitTimeSeconds ... 0 to 20".
const MAX_WAIT_SECONDS: i64 = 20;
/// PurgeQueue: "Only one PurgeQueue operation on a queue is allowed every 60 seconds."
const PURGE_INTERVAL_MS: i64 = 60_000;

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

impl From<rusqlite::Error> for SqsError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(StoreError::Sqlite(e))
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

/// A message attribute (`MessageAttributes` member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageAttributeValue {
    /// `String`, `Number` or `Binary`, optionally with a `.custom` suffix.
    pub data_type: String,
    /// Value for String / Number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    /// Base64 value for Binary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<String>,
}

/// SendMessage input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageRequest {
    /// Queue URL.
    pub queue_url: String,
    /// Body.
    pub message_body: String,
    /// Per-message delay.
    pub delay_seconds: Option<i64>,
    /// User attributes.
    #[serde(default)]
    pub message_attributes: BTreeMap<String, MessageAttributeValue>,
    /// System attributes (`AWSTraceHeader`).
    #[serde(default)]
    pub message_system_attributes: BTreeMap<String, MessageAttributeValue>,
    /// FIFO only.
    pub message_group_id: Option<String>,
    /// FIFO only.
    pub message_deduplication_id: Option<String>,
}

/// SendMessage output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendMessageResponse {
    /// MD5 of the body, hex.
    #[serde(rename = "MD5OfMessageBody")]
    pub md5_of_message_body: String,
    /// MD5 of the attributes, when any.
    #[serde(
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_attributes: Option<String>,
    /// MD5 of the system attributes, when any.
    #[serde(
        rename = "MD5OfMessageSystemAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_system_attributes: Option<String>,
    /// Message id.
    #[serde(rename = "MessageId")]
    pub message_id: String,
}

/// ReceiveMessage input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiveMessageRequest {
    /// Queue URL.
    pub queue_url: String,
    /// 1..=10.
    pub max_number_of_messages: Option<i64>,
    /// Overrides the queue's visibility timeout.
    pub visibility_timeout: Option<i64>,
    /// Long polling, 0..=20.
    pub wait_time_seconds: Option<i64>,
    /// Deprecated name of `MessageSystemAttributeNames`.
    #[serde(default)]
    pub attribute_names: Vec<String>,
    /// System attributes to return.
    #[serde(default)]
    pub message_system_attribute_names: Vec<String>,
    /// User attributes to return (`All`, `.*`, names, `prefix.*`).
    #[serde(default)]
    pub message_attribute_names: Vec<String>,
    /// FIFO only.
    pub receive_request_attempt_id: Option<String>,
}

/// A received message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Id.
    #[serde(rename = "MessageId")]
    pub message_id: String,
    /// Handle for DeleteMessage.
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
    /// MD5 of the body.
    #[serde(rename = "MD5OfBody")]
    pub md5_of_body: String,
    /// Body.
    #[serde(rename = "Body")]
    pub body: String,
    /// Requested system attributes.
    #[serde(rename = "Attributes", skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// MD5 of the returned user attributes.
    #[serde(
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_attributes: Option<String>,
    /// Requested user attributes.
    #[serde(
        rename = "MessageAttributes",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub message_attributes: BTreeMap<String, MessageAttributeValue>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateQueueRequest {
    queue_name: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueueUrlRequest {
    queue_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetQueueUrlRequest {
    queue_name: String,
    #[serde(rename = "QueueOwnerAWSAccountId")]
    queue_owner_aws_account_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListQueuesRequest {
    queue_name_prefix: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetQueueAttributesRequest {
    queue_url: String,
    #[serde(default)]
    attribute_names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SetQueueAttributesRequest {
    queue_url: String,
    attributes: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteMessageRequest {
    queue_url: String,
    receipt_handle: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendMessageBatchEntry {
    id: String,
    message_body: String,
    delay_seconds: Option<i64>,
    #[serde(default)]
    message_attributes: BTreeMap<String, MessageAttributeValue>,
    #[serde(default)]
    message_system_attributes: BTreeMap<String, MessageAttributeValue>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendMessageBatchRequest {
    queue_url: String,
    entries: Vec<SendMessageBatchEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteMessageBatchEntry {
    id: String,
    receipt_handle: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteMessageBatchRequest {
    queue_url: String,
    entries: Vec<DeleteMessageBatchEntry>,
}

/// Batch entry ids: "alphanumeric characters, hyphens and underscores, up to 80",
/// distinct within the request; 1 to 10 entries.
fn check_batch_ids<'a>(
    ids: impl ExactSizeIterator<Item = &'a str>,
    entry: &'static str,
) -> Result<(), SqsError> {
    let count = ids.len();
    if count == 0 {
        return Err(SqsError::EmptyBatchRequest(entry));
    }
    if count > 10 {
        return Err(SqsError::TooManyEntriesInBatchRequest(count));
    }
    let mut seen = std::collections::BTreeSet::new();
    for id in ids {
        if id.is_empty()
            || id.len() > 80
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(SqsError::InvalidBatchEntryId);
        }
        if !seen.insert(id) {
            return Err(SqsError::BatchEntryIdsNotDistinct(id.to_owned()));
        }
    }
    Ok(())
}

/// How a failed entry is reported in `Failed`.
fn batch_failure(id: &str, error: SqsError) -> Value {
    let aws: AwsError = error.into();
    json!({
        "Id": id,
        "SenderFault": !aws.status.is_server_error(),
        "Code": aws.code,
        "Message": aws.message.unwrap_or_default(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChangeMessageVisibilityRequest {
    queue_url: String,
    receipt_handle: String,
    visibility_timeout: i64,
}

/// Queue settings as stored (`sqs_queues.attributes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueueSettings {
    delay_seconds: i64,
    maximum_message_size: i64,
    message_retention_period: i64,
    receive_message_wait_time_seconds: i64,
    visibility_timeout: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redrive_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redrive_allow_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kms_master_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kms_data_key_reuse_period_seconds: Option<i64>,
    #[serde(default = "yes")]
    sqs_managed_sse_enabled: bool,
}

fn yes() -> bool {
    true
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            delay_seconds: 0,
            maximum_message_size: MAX_MESSAGE_BYTES,
            message_retention_period: 345_600,
            receive_message_wait_time_seconds: 0,
            visibility_timeout: 30,
            redrive_policy: None,
            redrive_allow_policy: None,
            policy: None,
            kms_master_key_id: None,
            kms_data_key_reuse_period_seconds: None,
            sqs_managed_sse_enabled: true,
        }
    }
}

fn int_attr(name: &str, value: &str, min: i64, max: i64) -> Result<i64, SqsError> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| SqsError::InvalidAttributeValue(name.to_owned()))
}

impl QueueSettings {
    /// Applies CreateQueue / SetQueueAttributes attributes, validating them.
    fn apply(&mut self, attributes: &BTreeMap<String, String>) -> Result<(), SqsError> {
        for (name, value) in attributes {
            match name.as_str() {
                "DelaySeconds" => self.delay_seconds = int_attr(name, value, 0, 900)?,
                "MaximumMessageSize" => {
                    self.maximum_message_size = int_attr(name, value, 1024, MAX_MESSAGE_BYTES)?;
                }
                "MessageRetentionPeriod" => {
                    self.message_retention_period = int_attr(name, value, 60, 1_209_600)?;
                }
                "ReceiveMessageWaitTimeSeconds" => {
                    self.receive_message_wait_time_seconds = int_attr(name, value, 0, 20)?;
                }
                "VisibilityTimeout" => self.visibility_timeout = int_attr(name, value, 0, 43_200)?,
                "RedrivePolicy" => {
                    let parsed: Value = serde_json::from_str(value)
                        .map_err(|_| SqsError::InvalidAttributeValue(name.clone()))?;
                    let valid = parsed
                        .get("deadLetterTargetArn")
                        .is_some_and(Value::is_string)
                        && parsed.get("maxReceiveCount").is_some_and(|c| {
                            c.as_i64()
                                .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
                                .is_some_and(|n| (1..=1000).contains(&n))
                        });
                    if !valid {
                        return Err(SqsError::InvalidAttributeValue(name.clone()));
                    }
                    self.redrive_policy = Some(value.clone());
                }
                "RedriveAllowPolicy" => self.redrive_allow_policy = Some(value.clone()),
                "Policy" => self.policy = Some(value.clone()),
                "KmsMasterKeyId" => self.kms_master_key_id = Some(value.clone()),
                "KmsDataKeyReusePeriodSeconds" => {
                    self.kms_data_key_reuse_period_seconds =
                        Some(int_attr(name, value, 60, 86_400)?);
                }
                "SqsManagedSseEnabled" => {
                    self.sqs_managed_sse_enabled = match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(SqsError::InvalidAttributeValue(name.clone())),
                    };
                }
                "FifoQueue"
                | "ContentBasedDeduplication"
                | "DeduplicationScope"
                | "FifoThroughputLimit" => {
                    if name == "FifoQueue" && value == "false" {
                        continue;
                    }
                    return Err(SqsError::UnsupportedOperation(
                        "FIFO queues are not supported by the local stack.".into(),
                    ));
                }
                _ => return Err(SqsError::InvalidAttributeName(name.clone())),
            }
        }
        Ok(())
    }

    /// Where messages go after `maxReceiveCount` receives.
    fn dead_letter_target(&self) -> Option<(String, i64)> {
        let policy: Value = serde_json::from_str(self.redrive_policy.as_deref()?).ok()?;
        let arn = policy.get("deadLetterTargetArn")?.as_str()?.to_owned();
        let max = policy.get("maxReceiveCount").and_then(|c| {
            c.as_i64()
                .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
        })?;
        Some((arn, max))
    }
}

/// The documented MD5 of message attributes: for each attribute, sorted by
/// name: length-prefixed name, length-prefixed data type, one transport byte
/// (1 = string, 2 = binary), length-prefixed value; lengths are 4-byte big-endian.
pub fn md5_of_attributes(attributes: &BTreeMap<String, MessageAttributeValue>) -> Option<String> {
    if attributes.is_empty() {
        return None;
    }
    fn put(buf: &mut Vec<u8>, bytes: &[u8]) {
        buf.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
        buf.extend_from_slice(bytes);
    }
    let mut buf = Vec::new();
    for (name, value) in attributes {
        put(&mut buf, name.as_bytes());
        put(&mut buf, value.data_type.as_bytes());
        if value.data_type.starts_with("Binary") {
            let bytes = value
                .binary_value
                .as_deref()
                .and_then(|b| B64.decode(b).ok())
                .unwrap_or_default();
            buf.push(2);
            put(&mut buf, &bytes);
        } else {
            buf.push(1);
            put(
                &mut buf,
                value.string_value.as_deref().unwrap_or("").as_bytes(),
            );
        }
    }
    Some(hex(&Md5::digest(&buf)))
}

/// MD5 of a body, hex.
pub fn md5_hex(text: &str) -> String {
    hex(&Md5::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn valid_body_chars(body: &str) -> bool {
    body.chars().all(|c| {
        matches!(c, '\u{9}' | '\u{A}' | '\u{D}')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}'
    })
}

fn validate_attributes(
    attributes: &BTreeMap<String, MessageAttributeValue>,
) -> Result<usize, SqsError> {
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(SqsError::InvalidParameterValue(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            attributes.len()
        )));
    }
    let mut size = 0;
    for (name, value) in attributes {
        let name_ok = !name.is_empty()
            && name.len() <= 256
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !name.starts_with('.')
            && !name.ends_with('.')
            && !name.contains("..");
        let lower = name.to_ascii_lowercase();
        if !name_ok || lower.starts_with("aws.") || lower.starts_with("amazon.") {
            return Err(SqsError::InvalidParameterValue(format!(
                "Message (user) attribute '{name}' is invalid. The attribute name can contain only alphanumeric characters, hyphens, underscores and periods, and must not start with 'AWS.' or 'Amazon.'."
            )));
        }
        let base = value.data_type.split('.').next().unwrap_or("");
        match base {
            "String" | "Number" => {
                let Some(text) = value.string_value.as_deref().filter(|s| !s.is_empty()) else {
                    return Err(SqsError::InvalidParameterValue(format!(
                        "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{}'.",
                        value.data_type
                    )));
                };
                if base == "Number" && text.trim().parse::<f64>().is_err() {
                    return Err(SqsError::InvalidParameterValue(format!(
                        "Can't cast the value of message (user) attribute '{name}' to a number."
                    )));
                }
                if base == "String" && !valid_body_chars(text) {
                    return Err(SqsError::InvalidMessageContents);
                }
                size += text.len();
            }
            "Binary" => {
                let decoded = value
                    .binary_value
                    .as_deref()
                    .and_then(|b| B64.decode(b).ok())
                    .filter(|b| !b.is_empty());
                let Some(bytes) = decoded else {
                    return Err(SqsError::InvalidParameterValue(format!(
                        "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{}'.",
                        value.data_type
                    )));
                };
                size += bytes.len();
            }
            _ => {
                return Err(SqsError::InvalidParameterValue(format!(
                    "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
                )));
            }
        }
        size += name.len() + value.data_type.len();
    }
    Ok(size)
}

fn valid_queue_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// Which user attributes a ReceiveMessage asked for.
fn wanted_attribute(names: &[String], name: &str) -> bool {
    names.iter().any(|n| {
        n == "All"
            || n == ".*"
            || n == name
            || n.strip_suffix(".*")
                .is_some_and(|p| name.starts_with(&format!("{p}.")))
    })
}

#[derive(Debug)]
struct ReceiptHandle {
    queue: String,
    seq: i64,
}

fn encode_receipt(queue: &str, seq: i64) -> String {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    B64.encode(format!("{queue}\n{seq}\n{nonce}"))
}

fn decode_receipt(handle: &str) -> Option<ReceiptHandle> {
    let raw = String::from_utf8(B64.decode(handle).ok()?).ok()?;
    let mut parts = raw.split('\n');
    let queue = parts.next()?.to_owned();
    let seq = parts.next()?.parse().ok()?;
    parts.next()?;
    Some(ReceiptHandle { queue, seq })
}

/// The SQS service.
pub struct SqsService {
    store: Store,
    clock: SharedClock,
    endpoint: String,
    region: String,
    account_id: String,
    arrivals: Mutex<HashMap<String, Arc<Notify>>>,
    last_purge: Mutex<HashMap<String, i64>>,
    /// The permission plane, told of every queue policy (the `Policy` attribute).
    permissions: std::sync::OnceLock<Arc<crate::permissions::PermissionPlane>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AddPermissionRequest {
    queue_url: String,
    label: String,
    #[serde(rename = "AWSAccountIds")]
    aws_account_ids: Vec<String>,
    actions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RemovePermissionRequest {
    queue_url: String,
    label: String,
}

impl SqsService {
    /// A service whose queue URLs start with `endpoint` (e.g. `http://127.0.0.1:4566`).
    pub fn new(
        store: Store,
        clock: SharedClock,
        endpoint: &str,
        region: &str,
        account_id: &str,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            clock,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            region: region.to_owned(),
            account_id: account_id.to_owned(),
            arrivals: Mutex::new(HashMap::new()),
            last_purge: Mutex::new(HashMap::new()),
            permissions: std::sync::OnceLock::new(),
        })
    }

    /// Tells `plane` of every queue policy from now on, and of the ones already stored.
    pub async fn set_permissions(
        &self,
        plane: Arc<crate::permissions::PermissionPlane>,
    ) -> Result<(), SqsError> {
        let _ = self.permissions.set(plane);
        let stored: Vec<(String, String)> = self
            .store
            .call(|c| {
                let mut stmt = c.prepare("SELECT name, attributes FROM sqs_queues")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<Result<Vec<(String, String)>, _>>()
                    .map_err(|e| SqsError::from(StoreError::from(e)))
            })
            .await?;
        for (name, attributes) in stored {
            if let Ok(settings) = serde_json::from_str::<QueueSettings>(&attributes)
                && let Some(policy) = settings.policy
            {
                self.register_policy(&name, Some(policy.as_str()))?;
            }
        }
        Ok(())
    }

    /// A `Policy` attribute: parsed as IAM would (an invalid one is `InvalidAttributeValue`),
    /// then given to the permission plane; an empty one removes the queue's policy.
    fn register_policy(&self, queue: &str, policy: Option<&str>) -> Result<(), SqsError> {
        let key = format!("sqs:{}", self.queue_arn(queue));
        let Some(plane) = self.permissions.get() else {
            return Ok(());
        };
        match policy.filter(|p| !p.trim().is_empty()) {
            None => plane.remove_resource_policy(&key),
            Some(text) => {
                let attached = crate::permissions::model::Attached::parse(
                    "sqs",
                    &format!("queue policy of {queue}"),
                    vec![self.queue_arn(queue)],
                    text,
                )
                .map_err(|_| SqsError::InvalidAttributeValue("Policy".into()))?;
                plane.set_resource_policy(&key, attached);
            }
        }
        Ok(())
    }

    /// Checks a `Policy` attribute before it is stored.
    fn check_policy(&self, attributes: &BTreeMap<String, String>) -> Result<(), SqsError> {
        if let Some(text) = attributes.get("Policy").filter(|p| !p.trim().is_empty()) {
            iam::PolicyDocument::parse_str(text, iam::PolicyKind::Resource)
                .map_err(|_| SqsError::InvalidAttributeValue("Policy".into()))?;
        }
        Ok(())
    }

    /// `http://127.0.0.1:<port>/<account>/<name>`.
    pub fn queue_url(&self, name: &str) -> String {
        format!("{}/{}/{name}", self.endpoint, self.account_id)
    }

    /// `arn:aws:sqs:<region>:<account>:<name>`.
    pub fn queue_arn(&self, name: &str) -> String {
        format!("arn:aws:sqs:{}:{}:{name}", self.region, self.account_id)
    }

    /// The queue name in an SQS ARN of this account and region.
    pub fn queue_name_from_arn(&self, arn: &str) -> Option<String> {
        let prefix = format!("arn:aws:sqs:{}:{}:", self.region, self.account_id);
        arn.strip_prefix(&prefix)
            .filter(|name| valid_queue_name(name))
            .map(str::to_owned)
    }

    fn queue_name_from_url(&self, url: &str) -> Result<String, SqsError> {
        let path = url
            .split_once("://")
            .map_or(url, |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p));
        let mut segments = path.trim_matches('/').split('/');
        match (segments.next(), segments.next(), segments.next()) {
            (Some(account), Some(name), None) if !name.is_empty() => {
                if account == self.account_id && valid_queue_name(name) {
                    Ok(name.to_owned())
                } else {
                    Err(SqsError::QueueDoesNotExist)
                }
            }
            _ => Err(SqsError::InvalidAddress(url.to_owned())),
        }
    }

    fn arrivals(&self, queue: &str) -> Arc<Notify> {
        let mut map = self.arrivals.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(map.entry(queue.to_owned()).or_default())
    }

    // ---- internal API ---------------------------------------------------

    /// Creates a queue (template queues, dead-letter queues) or returns the
    /// existing one's URL when its attributes agree.
    pub async fn create_queue(
        &self,
        name: &str,
        attributes: BTreeMap<String, String>,
        tags: BTreeMap<String, String>,
    ) -> Result<String, SqsError> {
        if name.ends_with(".fifo") {
            return Err(SqsError::UnsupportedOperation(
                "FIFO queues are not supported by the local stack.".into(),
            ));
        }
        if !valid_queue_name(name) {
            return Err(SqsError::InvalidParameterValue(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
                    .into(),
            ));
        }
        let mut settings = QueueSettings::default();
        settings.apply(&attributes)?;
        self.check_policy(&attributes)?;
        let policy = attributes.get("Policy").cloned();
        let now = self.clock.now_millis();
        let name_owned = name.to_owned();
        self.store
            .write(move |tx| {
                let existing: Option<String> = tx
                    .query_row(
                        "SELECT attributes FROM sqs_queues WHERE name = ?1",
                        [&name_owned],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(existing) = existing {
                    let current: QueueSettings = serde_json::from_str(&existing)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    // Only the attributes given must agree, as on AWS.
                    let mut probe = current.clone();
                    probe.apply(&attributes)?;
                    if probe != current {
                        let differing = attributes.keys().next().cloned().unwrap_or_default();
                        return Err(SqsError::QueueNameExists(differing));
                    }
                    return Ok(());
                }
                let json = serde_json::to_string(&settings)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let tags = serde_json::to_string(&tags)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                tx.execute(
                    "INSERT INTO sqs_queues (name, created_ms, modified_ms, attributes, tags) VALUES (?1, ?2, ?2, ?3, ?4)",
                    params![name_owned, now, json, tags],
                )?;
                Ok(())
            })
            .await?;
        if policy.is_some() {
            self.register_policy(name, policy.as_deref())?;
        }
        Ok(self.queue_url(name))
    }

    /// Creates the queue, or brings an existing one's attributes to `attributes`
    /// (template queues: the template is the source of truth at start).
    pub async fn ensure_queue(
        &self,
        name: &str,
        attributes: BTreeMap<String, String>,
    ) -> Result<String, SqsError> {
        match self
            .create_queue(name, attributes.clone(), BTreeMap::new())
            .await
        {
            Err(SqsError::QueueNameExists(_)) => {
                let url = self.queue_url(name);
                self.op_set_queue_attributes(SetQueueAttributesRequest {
                    queue_url: url.clone(),
                    attributes,
                })
                .await?;
                Ok(url)
            }
            other => other,
        }
    }

    /// Sends a message to the queue named `queue` (rule targets, dead-letter
    /// queues, `sqs:sendMessage` tasks).
    pub async fn send_message_to(
        &self,
        queue: &str,
        body: String,
        attributes: BTreeMap<String, MessageAttributeValue>,
    ) -> Result<SendMessageResponse, SqsError> {
        self.send(queue.to_owned(), body, None, attributes, BTreeMap::new())
            .await
    }

    async fn send(
        &self,
        queue: String,
        body: String,
        delay_seconds: Option<i64>,
        attributes: BTreeMap<String, MessageAttributeValue>,
        system_attributes: BTreeMap<String, MessageAttributeValue>,
    ) -> Result<SendMessageResponse, SqsError> {
        if body.is_empty() {
            return Err(SqsError::InvalidParameterValue(
                "The request must contain the parameter MessageBody.".into(),
            ));
        }
        if !valid_body_chars(&body) {
            return Err(SqsError::InvalidMessageContents);
        }
        if let Some(delay) = delay_seconds
            && !(0..=900).contains(&delay)
        {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
            )));
        }
        let attributes_size = validate_attributes(&attributes)?;
        let size = i64::try_from(body.len() + attributes_size).unwrap_or(i64::MAX);
        let md5_body = md5_hex(&body);
        let md5_attrs = md5_of_attributes(&attributes);
        let md5_system = md5_of_attributes(&system_attributes);
        let message_id = uuid::Uuid::new_v4().to_string();
        let now = self.clock.now_millis();
        let response = SendMessageResponse {
            md5_of_message_body: md5_body.clone(),
            md5_of_message_attributes: md5_attrs.clone(),
            md5_of_message_system_attributes: md5_system,
            message_id: message_id.clone(),
        };
        let attrs_json = (!attributes.is_empty())
            .then(|| serde_json::to_string(&attributes))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let system_json = (!system_attributes.is_empty())
            .then(|| serde_json::to_string(&system_attributes))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let queue_for_store = queue.clone();
        self.store
            .write(move |tx| {
                let settings = load_settings(tx, &queue_for_store)?;
                if size > settings.maximum_message_size {
                    return Err(SqsError::InvalidParameterValue(format!(
                        "One or more parameters are invalid. Reason: Message must be shorter than {} bytes.",
                        settings.maximum_message_size
                    )));
                }
                let delay = delay_seconds.unwrap_or(settings.delay_seconds);
                tx.execute(
                    "INSERT INTO sqs_messages (queue_name, message_id, body, md5_body, message_attributes, \
                       md5_attributes, system_attributes, sent_ms, visible_at_ms, expires_at_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        queue_for_store,
                        message_id,
                        body,
                        md5_body,
                        attrs_json,
                        md5_attrs,
                        system_json,
                        now,
                        now + delay * 1000,
                        now + settings.message_retention_period * 1000
                    ],
                )?;
                Ok(())
            })
            .await?;
        self.arrivals(&queue).notify_waiters();
        Ok(response)
    }

    // ---- API operations -------------------------------------------------

    async fn op_create_queue(&self, req: CreateQueueRequest) -> Result<Value, SqsError> {
        let url = self
            .create_queue(&req.queue_name, req.attributes, req.tags)
            .await?;
        Ok(json!({ "QueueUrl": url }))
    }

    async fn op_delete_queue(&self, req: QueueUrlRequest) -> Result<Value, SqsError> {
        let name = self.queue_name_from_url(&req.queue_url)?;
        let queue = name.clone();
        self.store
            .write(move |tx| {
                tx.execute("DELETE FROM sqs_messages WHERE queue_name = ?1", [&name])?;
                if tx.execute("DELETE FROM sqs_queues WHERE name = ?1", [&name])? == 0 {
                    return Err(SqsError::QueueDoesNotExist);
                }
                Ok(())
            })
            .await?;
        self.register_policy(&queue, None)?;
        Ok(json!({}))
    }

    /// AddPermission: a statement `Sid = Label` granting the accounts `SQS:<Action>` on the queue,
    /// added to its policy (the SQS developer guide's "AddPermission" policy shape).
    async fn op_add_permission(&self, req: AddPermissionRequest) -> Result<Value, SqsError> {
        let name = self.queue_name_from_url(&req.queue_url)?;
        let label_ok = !req.label.is_empty()
            && req.label.len() <= 80
            && req
                .label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !label_ok {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {} for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.",
                req.label
            )));
        }
        if req.aws_account_ids.is_empty() {
            return Err(SqsError::MissingParameter("AWSAccountIds".into()));
        }
        if req.actions.is_empty() {
            return Err(SqsError::MissingParameter("Actions".into()));
        }
        let arn = self.queue_arn(&name);
        let mut policy = self.current_policy(&name).await?.unwrap_or_else(|| {
            json!({"Version": "2012-10-17", "Id": format!("{arn}/SQSDefaultPolicy"), "Statement": []})
        });
        let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
        if statements.iter().any(|s| s["Sid"] == req.label.as_str()) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {} for parameter Label is invalid. Reason: Already exists.",
                req.label
            )));
        }
        let principals: Vec<String> = req
            .aws_account_ids
            .iter()
            .map(|a| format!("arn:aws:iam::{a}:root"))
            .collect();
        let actions: Vec<String> = req.actions.iter().map(|a| format!("SQS:{a}")).collect();
        let mut statements = statements;
        statements.push(json!({"Sid": req.label, "Effect": "Allow",
            "Principal": {"AWS": principals}, "Action": actions, "Resource": arn}));
        policy["Statement"] = Value::Array(statements);
        self.op_set_queue_attributes(SetQueueAttributesRequest {
            queue_url: req.queue_url,
            attributes: BTreeMap::from([("Policy".to_owned(), policy.to_string())]),
        })
        .await
    }

    /// RemovePermission: drops the statement with `Sid = Label`.
    async fn op_remove_permission(&self, req: RemovePermissionRequest) -> Result<Value, SqsError> {
        let name = self.queue_name_from_url(&req.queue_url)?;
        let Some(mut policy) = self.current_policy(&name).await? else {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {} for parameter Label is invalid. Reason: can't find label.",
                req.label
            )));
        };
        let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
        let kept: Vec<Value> = statements
            .iter()
            .filter(|s| s["Sid"] != req.label.as_str())
            .cloned()
            .collect();
        if kept.len() == statements.len() {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {} for parameter Label is invalid. Reason: can't find label.",
                req.label
            )));
        }
        let text = if kept.is_empty() {
            String::new()
        } else {
            policy["Statement"] = Value::Array(kept);
            policy.to_string()
        };
        self.op_set_queue_attributes(SetQueueAttributesRequest {
            queue_url: req.queue_url,
            attributes: BTreeMap::from([("Policy".to_owned(), text)]),
        })
        .await
    }

    async fn current_policy(&self, name: &str) -> Result<Option<Value>, SqsError> {
        let name = name.to_owned();
        let settings = self.store.call(move |c| load_settings(c, &name)).await?;
        Ok(settings
            .policy
            .filter(|p| !p.trim().is_empty())
            .and_then(|p| serde_json::from_str::<Value>(&p).ok()))
    }

    async fn op_get_queue_url(&self, req: GetQueueUrlRequest) -> Result<Value, SqsError> {
        if req
            .queue_owner_aws_account_id
            .as_deref()
            .is_some_and(|a| a != self.account_id)
        {
            return Err(SqsError::QueueDoesNotExist);
        }
        let name = req.queue_name;
        let lookup = name.clone();
        let exists: bool = self
            .store
            .call(move |c| {
                Ok::<_, SqsError>(
                    c.query_row(
                        "SELECT 1 FROM sqs_queues WHERE name = ?1",
                        [&lookup],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some(),
                )
            })
            .await?;
        if !exists {
            return Err(SqsError::QueueDoesNotExist);
        }
        Ok(json!({ "QueueUrl": self.queue_url(&name) }))
    }

    async fn op_list_queues(&self, req: ListQueuesRequest) -> Result<Value, SqsError> {
        if let Some(max) = req.max_results
            && !(1..=1000).contains(&max)
        {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {max} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000."
            )));
        }
        if req.next_token.is_some() && req.max_results.is_none() {
            return Err(SqsError::InvalidParameterValue(
                "MaxResults is a mandatory parameter when you provide a value for NextToken."
                    .into(),
            ));
        }
        let after = match req.next_token.as_deref() {
            Some(token) => Some(
                crate::protocol::tokens::open("sqs:ListQueues", token).ok_or_else(|| {
                    SqsError::InvalidParameterValue("Invalid NextToken value.".into())
                })?,
            ),
            None => None,
        };
        let prefix = req.queue_name_prefix.unwrap_or_default();
        let limit = req.max_results.unwrap_or(1000);
        let names: Vec<String> = self
            .store
            .call(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT name FROM sqs_queues WHERE substr(name, 1, length(?1)) = ?1 AND name > ?2 ORDER BY name LIMIT ?3",
                )?;
                let rows = stmt
                    .query_map(params![prefix, after.unwrap_or_default(), limit + 1], |r| r.get(0))?
                    .collect::<Result<Vec<String>, _>>()?;
                Ok::<_, SqsError>(rows)
            })
            .await?;
        let limit = usize::try_from(limit).unwrap_or(1000);
        let more = names.len() > limit;
        let page: Vec<String> = names.into_iter().take(limit).collect();
        let mut out = json!({});
        if !page.is_empty() {
            out["QueueUrls"] = json!(page.iter().map(|n| self.queue_url(n)).collect::<Vec<_>>());
        }
        if more
            && req.max_results.is_some()
            && let Some(last) = page.last()
        {
            out["NextToken"] = json!(crate::protocol::tokens::seal("sqs:ListQueues", last));
        }
        Ok(out)
    }

    async fn op_get_queue_attributes(
        &self,
        req: GetQueueAttributesRequest,
    ) -> Result<Value, SqsError> {
        let name = self.queue_name_from_url(&req.queue_url)?;
        const KNOWN: &[&str] = &[
            "All",
            "Policy",
            "VisibilityTimeout",
            "MaximumMessageSize",
            "MessageRetentionPeriod",
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "CreatedTimestamp",
            "LastModifiedTimestamp",
            "QueueArn",
            "ApproximateNumberOfMessagesDelayed",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
            "RedrivePolicy",
            "FifoQueue",
            "ContentBasedDeduplication",
            "KmsMasterKeyId",
            "KmsDataKeyReusePeriodSeconds",
            "DeduplicationScope",
            "FifoThroughputLimit",
            "RedriveAllowPolicy",
            "SqsManagedSseEnabled",
        ];
        if let Some(unknown) = req
            .attribute_names
            .iter()
            .find(|n| !KNOWN.contains(&n.as_str()))
        {
            return Err(SqsError::InvalidAttributeName(unknown.clone()));
        }
        let now = self.clock.now_millis();
        let arn = self.queue_arn(&name);
        let wanted = req.attribute_names;
        let attributes = self
            .store
            .call(move |tx| {
                let (settings, created, modified) = load_queue(tx, &name)?;
                let count = |sql: &str| -> Result<i64, SqsError> {
                    Ok(tx.query_row(sql, params![name, now], |r| r.get(0))?)
                };
                let visible = count(
                    "SELECT count(*) FROM sqs_messages WHERE queue_name = ?1 AND visible_at_ms <= ?2 AND expires_at_ms > ?2",
                )?;
                let in_flight = count(
                    "SELECT count(*) FROM sqs_messages WHERE queue_name = ?1 AND visible_at_ms > ?2 AND receive_count > 0 AND expires_at_ms > ?2",
                )?;
                let delayed = count(
                    "SELECT count(*) FROM sqs_messages WHERE queue_name = ?1 AND visible_at_ms > ?2 AND receive_count = 0 AND expires_at_ms > ?2",
                )?;
                let mut all: BTreeMap<&str, String> = BTreeMap::new();
                all.insert("QueueArn", arn);
                all.insert("ApproximateNumberOfMessages", visible.to_string());
                all.insert("ApproximateNumberOfMessagesNotVisible", in_flight.to_string());
                all.insert("ApproximateNumberOfMessagesDelayed", delayed.to_string());
                all.insert("CreatedTimestamp", (created / 1000).to_string());
                all.insert("LastModifiedTimestamp", (modified / 1000).to_string());
                all.insert("VisibilityTimeout", settings.visibility_timeout.to_string());
                all.insert("MaximumMessageSize", settings.maximum_message_size.to_string());
                all.insert("MessageRetentionPeriod", settings.message_retention_period.to_string());
                all.insert("DelaySeconds", settings.delay_seconds.to_string());
                all.insert(
                    "ReceiveMessageWaitTimeSeconds",
                    settings.receive_message_wait_time_seconds.to_string(),
                );
                all.insert("SqsManagedSseEnabled", settings.sqs_managed_sse_enabled.to_string());
                if let Some(v) = settings.redrive_policy {
                    all.insert("RedrivePolicy", v);
                }
                if let Some(v) = settings.redrive_allow_policy {
                    all.insert("RedriveAllowPolicy", v);
                }
                if let Some(v) = settings.policy {
                    all.insert("Policy", v);
                }
                if let Some(v) = settings.kms_master_key_id {
                    all.insert("KmsMasterKeyId", v);
                }
                if let Some(v) = settings.kms_data_key_reuse_period_seconds {
                    all.insert("KmsDataKeyReusePeriodSeconds", v.to_string());
                }
                let everything = wanted.iter().any(|w| w == "All");
                let picked: BTreeMap<String, String> = all
                    .into_iter()
                    .filter(|(k, _)| everything || wanted.iter().any(|w| w == k))
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect();
                Ok::<_, SqsError>(picked)
            })
            .await?;
        if attributes.is_empty() {
            return Ok(json!({}));
        }
        Ok(json!({ "Attributes": attributes }))
    }

    async fn op_set_queue_attributes(
        &self,
        req: SetQueueAttributesRequest,
    ) -> Result<Value, SqsError> {
        let name = self.queue_name_from_url(&req.queue_url)?;
        self.check_policy(&req.attributes)?;
        let policy = req.attributes.get("Policy").cloned();
        let queue = name.clone();
        let now = self.clock.now_millis();
        self.store
            .write(move |tx| {
                let mut settings = load_settings(tx, &name)?;
                settings.apply(&req.attributes)?;
                let json = serde_json::to_string(&settings)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                tx.execute(
                    "UPDATE sqs_queues SET attributes = ?2, modified_ms = ?3 WHERE name = ?1",
                    params![name, json, now],
                )?;
                Ok::<_, SqsError>(())
            })
            .await?;
        if policy.is_some() {
            self.register_policy(&queue, policy.as_deref())?;
        }
        Ok(json!({}))
    }

    async fn op_send_message(
        &self,
        req: SendMessageRequest,
    ) -> Result<SendMessageResponse, SqsError> {
        let queue = self.queue_name_from_url(&req.queue_url)?;
        if req.message_group_id.is_some() || req.message_deduplication_id.is_some() {
            return Err(SqsError::InvalidParameterValue(
                "The request include parameter that is not valid for this queue type".into(),
            ));
        }
        self.send(
            queue,
            req.message_body,
            req.delay_seconds,
            req.message_attributes,
            req.message_system_attributes,
        )
        .await
    }

    /// ReceiveMessage, long polling up to `WaitTimeSeconds`.
    pub async fn receive_message(
        &self,
        req: ReceiveMessageRequest,
    ) -> Result<Vec<Message>, SqsError> {
        let queue = self.queue_name_from_url(&req.queue_url)?;
        let max = req.max_number_of_messages.unwrap_or(1);
        if !(1..=10).contains(&max) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
            )));
        }
        if let Some(wait) = req.wait_time_seconds
            && !(0..=MAX_WAIT_SECONDS).contains(&wait)
        {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."
            )));
        }
        if let Some(vis) = req.visibility_timeout
            && !(0..=43_200).contains(&vis)
        {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {vis} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided."
            )));
        }
        let mut system_names = req.attribute_names.clone();
        system_names.extend(req.message_system_attribute_names.iter().cloned());
        let notify = self.arrivals(&queue);
        let mut waited_for: Option<i64> = None;
        let started = self.clock.now_millis();
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (messages, wait_default) = self
                .receive_once(
                    &queue,
                    max,
                    req.visibility_timeout,
                    &system_names,
                    &req.message_attribute_names,
                )
                .await?;
            let wait = *waited_for.get_or_insert(req.wait_time_seconds.unwrap_or(wait_default));
            let deadline = started + wait * 1000;
            let now = self.clock.now_millis();
            if !messages.is_empty() || now >= deadline {
                return Ok(messages);
            }
            // Wake on a new message, or re-check at least every second so
            // messages whose visibility timeout ran out are seen.
            let nap = u64::try_from((deadline - now).min(1000)).unwrap_or(1000);
            tokio::select! {
                () = &mut notified => {}
                () = self.clock.sleep(Duration::from_millis(nap)) => {}
            }
        }
    }

    async fn receive_once(
        &self,
        queue: &str,
        max: i64,
        visibility: Option<i64>,
        system_names: &[String],
        attribute_names: &[String],
    ) -> Result<(Vec<Message>, i64), SqsError> {
        let now = self.clock.now_millis();
        let queue = queue.to_owned();
        let system_names = system_names.to_vec();
        let attribute_names = attribute_names.to_vec();
        let dlq = {
            let prefix = format!("arn:aws:sqs:{}:{}:", self.region, self.account_id);
            move |arn: &str| arn.strip_prefix(&prefix).map(str::to_owned)
        };
        let (messages, moved, wait) = self
            .store
            .write(move |tx| {
                let settings = load_settings(tx, &queue)?;
                tx.execute(
                    "DELETE FROM sqs_messages WHERE queue_name = ?1 AND expires_at_ms <= ?2",
                    params![queue, now],
                )?;
                let visibility = visibility.unwrap_or(settings.visibility_timeout);
                let redrive = settings.dead_letter_target();
                let mut stmt = tx.prepare_cached(
                    "SELECT seq, message_id, body, md5_body, message_attributes, system_attributes, sent_ms, \
                       receive_count, first_receive_ms \
                     FROM sqs_messages WHERE queue_name = ?1 AND visible_at_ms <= ?2 ORDER BY seq LIMIT ?3",
                )?;
                type Row = (i64, String, String, String, Option<String>, Option<String>, i64, i64, Option<i64>);
                let rows: Vec<Row> = stmt
                    .query_map(params![queue, now, max * 4], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
                    })?
                    .collect::<Result<_, _>>()?;
                let mut out = Vec::new();
                let mut moved = Vec::new();
                for (seq, message_id, body, md5_body, attrs, system, sent, count, first) in rows {
                    if out.len() >= usize::try_from(max).unwrap_or(1) {
                        break;
                    }
                    // Redrive: a message received maxReceiveCount times moves to the DLQ.
                    if let Some((arn, max_receives)) = &redrive
                        && count >= *max_receives
                        && let Some(target) = dlq(arn)
                    {
                        let target_exists = tx
                            .query_row("SELECT 1 FROM sqs_queues WHERE name = ?1", [&target], |_| Ok(()))
                            .optional()?
                            .is_some();
                        if target_exists {
                            tx.execute(
                                "UPDATE sqs_messages SET queue_name = ?2, visible_at_ms = ?3, receipt_handle = NULL \
                                 WHERE seq = ?1",
                                params![seq, target, now],
                            )?;
                            moved.push(target);
                            continue;
                        }
                    }
                    let handle = encode_receipt(&queue, seq);
                    let first_receive = first.unwrap_or(now);
                    tx.execute(
                        "UPDATE sqs_messages SET receive_count = receive_count + 1, visible_at_ms = ?2, \
                           first_receive_ms = ?3, receipt_handle = ?4 WHERE seq = ?1",
                        params![seq, now + visibility * 1000, first_receive, handle],
                    )?;
                    let mut attributes = BTreeMap::new();
                    let all = system_names.iter().any(|n| n == "All");
                    let want = |n: &str| all || system_names.iter().any(|s| s == n);
                    if want("ApproximateReceiveCount") {
                        attributes.insert("ApproximateReceiveCount".to_owned(), (count + 1).to_string());
                    }
                    if want("SentTimestamp") {
                        attributes.insert("SentTimestamp".to_owned(), sent.to_string());
                    }
                    if want("ApproximateFirstReceiveTimestamp") {
                        attributes.insert("ApproximateFirstReceiveTimestamp".to_owned(), first_receive.to_string());
                    }
                    if want("SenderId") {
                        attributes.insert("SenderId".to_owned(), "000000000000".to_owned());
                    }
                    if let Some(system) = system.as_deref() {
                        let parsed: BTreeMap<String, MessageAttributeValue> =
                            serde_json::from_str(system).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                        if let Some(trace) = parsed.get("AWSTraceHeader").and_then(|v| v.string_value.clone())
                            && want("AWSTraceHeader")
                        {
                            attributes.insert("AWSTraceHeader".to_owned(), trace);
                        }
                    }
                    let stored: BTreeMap<String, MessageAttributeValue> = match attrs.as_deref() {
                        Some(text) => serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        None => BTreeMap::new(),
                    };
                    let returned: BTreeMap<String, MessageAttributeValue> = stored
                        .into_iter()
                        .filter(|(name, _)| wanted_attribute(&attribute_names, name))
                        .collect();
                    out.push(Message {
                        message_id,
                        receipt_handle: handle,
                        md5_of_body: md5_body,
                        body,
                        attributes,
                        md5_of_message_attributes: md5_of_attributes(&returned),
                        message_attributes: returned,
                    });
                }
                Ok::<_, SqsError>((out, moved, settings.receive_message_wait_time_seconds))
            })
            .await?;
        for target in moved {
            self.arrivals(&target).notify_waiters();
        }
        Ok((messages, wait))
    }

    async fn op_send_message_batch(&self, req: SendMessageBatchRequest) -> Result<Value, SqsError> {
        let queue = self.queue_name_from_url(&req.queue_url)?;
        check_batch_ids(
            req.entries.iter().map(|e| e.id.as_str()),
            "SendMessageBatchRequestEntry",
        )?;
        let total: usize = req.entries.iter().map(|e| e.message_body.len()).sum();
        if i64::try_from(total).unwrap_or(i64::MAX) > MAX_MESSAGE_BYTES {
            return Err(SqsError::BatchRequestTooLong(total));
        }
        let mut successful = Vec::new();
        let mut failed = Vec::new();
        for entry in req.entries {
            match self
                .send(
                    queue.clone(),
                    entry.message_body,
                    entry.delay_seconds,
                    entry.message_attributes,
                    entry.message_system_attributes,
                )
                .await
            {
                Ok(sent) => {
                    let mut ok = json!({
                        "Id": entry.id,
                        "MessageId": sent.message_id,
                        "MD5OfMessageBody": sent.md5_of_message_body,
                    });
                    if let Some(md5) = sent.md5_of_message_attributes {
                        ok["MD5OfMessageAttributes"] = json!(md5);
                    }
                    if let Some(md5) = sent.md5_of_message_system_attributes {
                        ok["MD5OfMessageSystemAttributes"] = json!(md5);
                    }
                    successful.push(ok);
                }
                // A missing queue fails the whole request, as AWS does.
                Err(SqsError::QueueDoesNotExist) => return Err(SqsError::QueueDoesNotExist),
                Err(e) => failed.push(batch_failure(&entry.id, e)),
            }
        }
        Ok(json!({ "Successful": successful, "Failed": failed }))
    }

    async fn op_delete_message_batch(
        &self,
        req: DeleteMessageBatchRequest,
    ) -> Result<Value, SqsError> {
        check_batch_ids(
            req.entries.iter().map(|e| e.id.as_str()),
            "DeleteMessageBatchRequestEntry",
        )?;
        let mut successful = Vec::new();
        let mut failed = Vec::new();
        for entry in req.entries {
            let single = DeleteMessageRequest {
                queue_url: req.queue_url.clone(),
                receipt_handle: entry.receipt_handle,
            };
            match self.op_delete_message(single).await {
                Ok(_) => successful.push(json!({ "Id": entry.id })),
                Err(SqsError::QueueDoesNotExist) => return Err(SqsError::QueueDoesNotExist),
                Err(e) => failed.push(batch_failure(&entry.id, e)),
            }
        }
        Ok(json!({ "Successful": successful, "Failed": failed }))
    }

    async fn op_delete_message(&self, req: DeleteMessageRequest) -> Result<Value, SqsError> {
        let queue = self.queue_name_from_url(&req.queue_url)?;
        let handle = decode_receipt(&req.receipt_handle)
            .filter(|h| h.queue == queue)
            .ok_or_else(|| SqsError::ReceiptHandleIsInvalid(req.receipt_handle.clone()))?;
        let receipt = req.receipt_handle;
        self.store
            .write(move |tx| {
                load_settings(tx, &queue)?;
                // "If you receive a message more than once ... the request
                // succeeds, but the message will not be deleted" for an older handle.
                tx.execute(
                    "DELETE FROM sqs_messages WHERE seq = ?1 AND queue_name = ?2 AND receipt_handle = ?3",
                    params![handle.seq, queue, receipt],
                )?;
                Ok::<_, SqsError>(())
            })
            .await?;
        Ok(json!({}))
    }

    async fn op_change_message_visibility(
        &self,
        req: ChangeMessageVisibilityRequest,
    ) -> Result<Value, SqsError> {
        let queue = self.queue_name_from_url(&req.queue_url)?;
        if !(0..=43_200).contains(&req.visibility_timeout) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.",
                req.visibility_timeout
            )));
        }
        let handle = decode_receipt(&req.receipt_handle)
            .filter(|h| h.queue == queue)
            .ok_or_else(|| SqsError::ReceiptHandleIsInvalid(req.receipt_handle.clone()))?;
        let now = self.clock.now_millis();
        let receipt = req.receipt_handle;
        let timeout = req.visibility_timeout;
        self.store
            .write(move |tx| {
                load_settings(tx, &queue)?;
                let changed = tx.execute(
                    "UPDATE sqs_messages SET visible_at_ms = ?4 \
                     WHERE seq = ?1 AND queue_name = ?2 AND receipt_handle = ?3 AND visible_at_ms > ?5",
                    params![handle.seq, queue, receipt, now + timeout * 1000, now],
                )?;
                if changed == 0 {
                    return Err(SqsError::MessageNotInflight);
                }
                Ok(())
            })
            .await?;
        if timeout == 0 {
            self.arrivals(&self.queue_name_from_url(&self.queue_url(&handle.queue))?)
                .notify_waiters();
        }
        Ok(json!({}))
    }

    async fn op_purge_queue(&self, req: QueueUrlRequest) -> Result<Value, SqsError> {
        let queue = self.queue_name_from_url(&req.queue_url)?;
        let now = self.clock.now_millis();
        let lookup = queue.clone();
        self.store
            .call(move |tx| {
                load_settings(tx, &lookup)?;
                Ok::<_, SqsError>(())
            })
            .await?;
        {
            let mut purges = self.last_purge.lock().unwrap_or_else(|e| e.into_inner());
            if purges
                .get(&queue)
                .is_some_and(|last| now - last < PURGE_INTERVAL_MS)
            {
                return Err(SqsError::PurgeQueueInProgress(self.queue_arn(&queue)));
            }
            purges.insert(queue.clone(), now);
        }
        self.store
            .write(move |tx| {
                tx.execute("DELETE FROM sqs_messages WHERE queue_name = ?1", [&queue])?;
                Ok::<_, SqsError>(())
            })
            .await?;
        Ok(json!({}))
    }
}

fn load_queue(tx: &Connection, name: &str) -> Result<(QueueSettings, i64, i64), SqsError> {
    let row: Option<(String, i64, i64)> = tx
        .query_row(
            "SELECT attributes, created_ms, modified_ms FROM sqs_queues WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (json, created, modified) = row.ok_or(SqsError::QueueDoesNotExist)?;
    let settings = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((settings, created, modified))
}

fn load_settings(tx: &Connection, name: &str) -> Result<QueueSettings, SqsError> {
    load_queue(tx, name).map(|(settings, _, _)| settings)
}

fn missing(member: &str) -> AwsError {
    SqsError::MissingParameter(member.to_owned()).into()
}

impl JsonService for SqsService {
    fn target_prefix(&self) -> &'static str {
        TARGET_PREFIX
    }

    fn protocol(&self) -> Protocol {
        Protocol::AwsJson10
    }

    fn max_request_bytes(&self) -> usize {
        // A 1 MiB message plus its attributes, JSON-escaped (worst case six bytes per character).
        8 * 1_048_576
    }

    fn decorate_error(&self, error: AwsError) -> AwsError {
        if error.query_error.is_some() {
            return error;
        }
        // Front-end errors (unknown operation, bad JSON, too large) still carry a query code.
        let query = error.code.trim_end_matches("Exception").to_owned();
        error.with_query_error(&query)
    }

    fn call(self: Arc<Self>, operation: String, input: Value) -> ServiceFuture {
        Box::pin(async move {
            match operation.as_str() {
                "CreateQueue" => Ok(self.op_create_queue(decode(input, missing)?).await?),
                "DeleteQueue" => Ok(self.op_delete_queue(decode(input, missing)?).await?),
                "AddPermission" => Ok(self.op_add_permission(decode(input, missing)?).await?),
                "RemovePermission" => {
                    Ok(self.op_remove_permission(decode(input, missing)?).await?)
                }
                "GetQueueUrl" => Ok(self.op_get_queue_url(decode(input, missing)?).await?),
                "ListQueues" => Ok(self.op_list_queues(decode(input, missing)?).await?),
                "GetQueueAttributes" => Ok(self
                    .op_get_queue_attributes(decode(input, missing)?)
                    .await?),
                "SetQueueAttributes" => Ok(self
                    .op_set_queue_attributes(decode(input, missing)?)
                    .await?),
                "SendMessage" => encode(&self.op_send_message(decode(input, missing)?).await?),
                "ReceiveMessage" => {
                    let messages = self.receive_message(decode(input, missing)?).await?;
                    if messages.is_empty() {
                        Ok(json!({}))
                    } else {
                        Ok(json!({ "Messages": encode(&messages)? }))
                    }
                }
                "DeleteMessage" => Ok(self.op_delete_message(decode(input, missing)?).await?),
                "ChangeMessageVisibility" => Ok(self
                    .op_change_message_visibility(decode(input, missing)?)
                    .await?),
                "PurgeQueue" => Ok(self.op_purge_queue(decode(input, missing)?).await?),
                "SendMessageBatch" => {
                    Ok(self.op_send_message_batch(decode(input, missing)?).await?)
                }
                "DeleteMessageBatch" => Ok(self
                    .op_delete_message_batch(decode(input, missing)?)
                    .await?),
                _ => Err(AwsError::unknown_operation()),
            }
        })
    }
}

#[cfg(test)]
#[path = "sqs_tests.rs"]
mod tests;
