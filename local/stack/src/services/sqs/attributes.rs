//! Queue attributes: the settings a queue keeps (`CreateQueue` / `SetQueueAttributes`, checked
//! against the API reference's ranges), the names `GetQueueAttributes` knows, and the attributes
//! it answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::MAX_MESSAGE_BYTES;
use super::error::SqsError;
use crate::store::sqs::{MessageCounts, QueueRecord};

/// The attribute names `GetQueueAttributes` accepts (`QueueAttributeName`).
pub(super) const ATTRIBUTE_NAMES: &[&str] = &[
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

/// Queue settings as stored (the queue record's `attributes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct QueueSettings {
    pub(super) delay_seconds: i64,
    pub(super) maximum_message_size: i64,
    pub(super) message_retention_period: i64,
    pub(super) receive_message_wait_time_seconds: i64,
    pub(super) visibility_timeout: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) redrive_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) redrive_allow_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) kms_master_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) kms_data_key_reuse_period_seconds: Option<i64>,
    #[serde(default = "yes")]
    pub(super) sqs_managed_sse_enabled: bool,
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

/// The settings of a stored queue, with its record; no record is `QueueDoesNotExist`.
pub(super) fn stored(
    record: Option<QueueRecord>,
) -> Result<(QueueSettings, QueueRecord), SqsError> {
    let record = record.ok_or(SqsError::QueueDoesNotExist)?;
    let settings = QueueSettings::parse(&record.attributes)?;
    Ok((settings, record))
}

impl QueueSettings {
    /// Settings from their stored JSON text.
    pub(super) fn parse(json: &str) -> Result<Self, SqsError> {
        serde_json::from_str(json).map_err(|e| SqsError::corrupt(&e))
    }

    /// The JSON text to store.
    pub(super) fn to_json(&self) -> Result<String, SqsError> {
        serde_json::to_string(self).map_err(|e| SqsError::corrupt(&e))
    }

    /// Applies CreateQueue / SetQueueAttributes attributes, validating them.
    pub(super) fn apply(&mut self, attributes: &BTreeMap<String, String>) -> Result<(), SqsError> {
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
    pub(super) fn dead_letter_target(&self) -> Option<(String, i64)> {
        let policy: Value = serde_json::from_str(self.redrive_policy.as_deref()?).ok()?;
        let arn = policy.get("deadLetterTargetArn")?.as_str()?.to_owned();
        let max = policy.get("maxReceiveCount").and_then(|c| {
            c.as_i64()
                .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
        })?;
        Some((arn, max))
    }
}

/// The attributes of `GetQueueAttributes` named in `wanted` (`All` for every one).
pub(super) fn queue_attributes(
    settings: QueueSettings,
    queue: &QueueRecord,
    counts: MessageCounts,
    arn: String,
    wanted: &[String],
) -> BTreeMap<String, String> {
    let mut all: BTreeMap<&str, String> = BTreeMap::new();
    all.insert("QueueArn", arn);
    all.insert("ApproximateNumberOfMessages", counts.visible.to_string());
    all.insert(
        "ApproximateNumberOfMessagesNotVisible",
        counts.in_flight.to_string(),
    );
    all.insert(
        "ApproximateNumberOfMessagesDelayed",
        counts.delayed.to_string(),
    );
    all.insert("CreatedTimestamp", (queue.created_ms / 1000).to_string());
    all.insert(
        "LastModifiedTimestamp",
        (queue.modified_ms / 1000).to_string(),
    );
    all.insert("VisibilityTimeout", settings.visibility_timeout.to_string());
    all.insert(
        "MaximumMessageSize",
        settings.maximum_message_size.to_string(),
    );
    all.insert(
        "MessageRetentionPeriod",
        settings.message_retention_period.to_string(),
    );
    all.insert("DelaySeconds", settings.delay_seconds.to_string());
    all.insert(
        "ReceiveMessageWaitTimeSeconds",
        settings.receive_message_wait_time_seconds.to_string(),
    );
    all.insert(
        "SqsManagedSseEnabled",
        settings.sqs_managed_sse_enabled.to_string(),
    );
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
    all.into_iter()
        .filter(|(k, _)| everything || wanted.iter().any(|w| w == k))
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}
