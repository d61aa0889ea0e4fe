//! Messages: their wire shapes, the documented MD5s, body and attribute checks, receipt handles,
//! and sending, receiving (long polling, redrive to a dead-letter queue), deleting, changing
//! visibility and purging.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use super::SqsService;
use super::attributes::stored;
use super::error::SqsError;
use crate::store::sqs::{self as records, MessageRecord, NewMessage};

/// Most user attributes on one message.
const MAX_ATTRIBUTES: usize = 10;
/// PurgeQueue: "Only one PurgeQueue operation on a queue is allowed every 60 seconds."
const PURGE_INTERVAL_MS: i64 = 60_000;

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

/// Checks user attributes; their size in bytes (names, types and values).
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

/// What a receipt handle stands for: one receive of one message.
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

/// The handle's message, when the handle is one of `queue`'s.
fn receipt_of(queue: &str, handle: &str) -> Result<ReceiptHandle, SqsError> {
    decode_receipt(handle)
        .filter(|h| h.queue == queue)
        .ok_or_else(|| SqsError::ReceiptHandleIsInvalid(handle.to_owned()))
}

/// A ReceiveMessage, its values checked.
pub(super) struct Receive {
    /// The queue's name.
    pub(super) queue: String,
    /// 1..=10.
    pub(super) max: i64,
    /// Overrides the queue's visibility timeout.
    pub(super) visibility_timeout: Option<i64>,
    /// Overrides the queue's `ReceiveMessageWaitTimeSeconds`.
    pub(super) wait_time_seconds: Option<i64>,
    /// System attributes to return.
    pub(super) system_names: Vec<String>,
    /// User attributes to return (`All`, `.*`, names, `prefix.*`).
    pub(super) attribute_names: Vec<String>,
}

impl SqsService {
    /// Sends a message to the queue named `queue`.
    pub(super) async fn send(
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
            .map_err(|e| SqsError::corrupt(&e))?;
        let system_json = (!system_attributes.is_empty())
            .then(|| serde_json::to_string(&system_attributes))
            .transpose()
            .map_err(|e| SqsError::corrupt(&e))?;
        let queue_for_store = queue.clone();
        self.store
            .write(move |tx| {
                let (settings, _) = stored(records::get_queue(tx, &queue_for_store)?)?;
                if size > settings.maximum_message_size {
                    return Err(SqsError::InvalidParameterValue(format!(
                        "One or more parameters are invalid. Reason: Message must be shorter than {} bytes.",
                        settings.maximum_message_size
                    )));
                }
                let delay = delay_seconds.unwrap_or(settings.delay_seconds);
                records::insert_message(
                    tx,
                    &NewMessage {
                        queue_name: queue_for_store,
                        message_id,
                        body,
                        md5_body,
                        message_attributes: attrs_json,
                        md5_attributes: md5_attrs,
                        system_attributes: system_json,
                        sent_ms: now,
                        visible_at_ms: now + delay * 1000,
                        expires_at_ms: now + settings.message_retention_period * 1000,
                    },
                )?;
                Ok(())
            })
            .await?;
        self.arrivals(&queue).notify_waiters();
        Ok(response)
    }

    /// ReceiveMessage, long polling up to `WaitTimeSeconds`.
    pub(super) async fn receive(&self, request: Receive) -> Result<Vec<Message>, SqsError> {
        let notify = self.arrivals(&request.queue);
        let mut waited_for: Option<i64> = None;
        let started = self.clock.now_millis();
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (messages, wait_default) = self.receive_once(&request).await?;
            let wait = *waited_for.get_or_insert(request.wait_time_seconds.unwrap_or(wait_default));
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

    /// One look at the queue: the messages received, and the queue's default wait time.
    async fn receive_once(&self, request: &Receive) -> Result<(Vec<Message>, i64), SqsError> {
        let now = self.clock.now_millis();
        let queue = request.queue.clone();
        let max = request.max;
        let visibility = request.visibility_timeout;
        let system_names = request.system_names.clone();
        let attribute_names = request.attribute_names.clone();
        let dlq = {
            let prefix = format!("arn:aws:sqs:{}:{}:", self.region, self.account_id);
            move |arn: &str| arn.strip_prefix(&prefix).map(str::to_owned)
        };
        let (messages, moved, wait) = self
            .store
            .write(move |tx| {
                let (settings, _) = stored(records::get_queue(tx, &queue)?)?;
                records::delete_expired(tx, &queue, now)?;
                let visibility = visibility.unwrap_or(settings.visibility_timeout);
                let redrive = settings.dead_letter_target();
                let rows = records::visible_messages(tx, &queue, now, max * 4)?;
                let mut out = Vec::new();
                let mut moved = Vec::new();
                for row in rows {
                    if out.len() >= usize::try_from(max).unwrap_or(1) {
                        break;
                    }
                    // Redrive: a message received maxReceiveCount times moves to the DLQ.
                    if let Some((arn, max_receives)) = &redrive
                        && row.receive_count >= *max_receives
                        && let Some(target) = dlq(arn)
                        && records::queue_exists(tx, &target)?
                    {
                        records::move_message(tx, row.seq, &target, now)?;
                        moved.push(target);
                        continue;
                    }
                    let handle = encode_receipt(&queue, row.seq);
                    let first_receive = row.first_receive_ms.unwrap_or(now);
                    records::mark_received(
                        tx,
                        row.seq,
                        now + visibility * 1000,
                        first_receive,
                        &handle,
                    )?;
                    out.push(received(
                        row,
                        handle,
                        first_receive,
                        &system_names,
                        &attribute_names,
                    )?);
                }
                Ok::<_, SqsError>((out, moved, settings.receive_message_wait_time_seconds))
            })
            .await?;
        for target in moved {
            self.arrivals(&target).notify_waiters();
        }
        Ok((messages, wait))
    }

    /// DeleteMessage: an older handle of the message is accepted and deletes nothing.
    pub(super) async fn delete_message(
        &self,
        queue: String,
        receipt_handle: String,
    ) -> Result<(), SqsError> {
        let handle = receipt_of(&queue, &receipt_handle)?;
        self.store
            .write(move |tx| {
                stored(records::get_queue(tx, &queue)?)?;
                // "If you receive a message more than once ... the request
                // succeeds, but the message will not be deleted" for an older handle.
                records::delete_message(tx, handle.seq, &queue, &receipt_handle)?;
                Ok::<_, SqsError>(())
            })
            .await
    }

    /// ChangeMessageVisibility of an in-flight message (`timeout` checked: 0..=43,200 s).
    pub(super) async fn change_visibility(
        &self,
        queue: String,
        receipt_handle: String,
        timeout: i64,
    ) -> Result<(), SqsError> {
        let handle = receipt_of(&queue, &receipt_handle)?;
        let now = self.clock.now_millis();
        let key = queue.clone();
        self.store
            .write(move |tx| {
                stored(records::get_queue(tx, &key)?)?;
                let changed = records::change_visibility(
                    tx,
                    handle.seq,
                    &key,
                    &receipt_handle,
                    now + timeout * 1000,
                    now,
                )?;
                if !changed {
                    return Err(SqsError::MessageNotInflight);
                }
                Ok(())
            })
            .await?;
        if timeout == 0 {
            self.arrivals(&queue).notify_waiters();
        }
        Ok(())
    }

    /// PurgeQueue, at most once a minute per queue.
    pub(super) async fn purge(&self, queue: String) -> Result<(), SqsError> {
        let now = self.clock.now_millis();
        let lookup = queue.clone();
        self.store
            .call(move |tx| {
                stored(records::get_queue(tx, &lookup)?)?;
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
                records::purge_messages(tx, &queue)?;
                Ok::<_, SqsError>(())
            })
            .await
    }
}

/// A message as received: the system attributes asked for (`All` or names) and the user
/// attributes asked for.
fn received(
    row: MessageRecord,
    receipt_handle: String,
    first_receive: i64,
    system_names: &[String],
    attribute_names: &[String],
) -> Result<Message, SqsError> {
    let mut attributes = BTreeMap::new();
    let all = system_names.iter().any(|n| n == "All");
    let want = |n: &str| all || system_names.iter().any(|s| s == n);
    if want("ApproximateReceiveCount") {
        attributes.insert(
            "ApproximateReceiveCount".to_owned(),
            (row.receive_count + 1).to_string(),
        );
    }
    if want("SentTimestamp") {
        attributes.insert("SentTimestamp".to_owned(), row.sent_ms.to_string());
    }
    if want("ApproximateFirstReceiveTimestamp") {
        attributes.insert(
            "ApproximateFirstReceiveTimestamp".to_owned(),
            first_receive.to_string(),
        );
    }
    if want("SenderId") {
        attributes.insert("SenderId".to_owned(), "000000000000".to_owned());
    }
    if let Some(system) = row.system_attributes.as_deref() {
        let parsed: BTreeMap<String, MessageAttributeValue> =
            serde_json::from_str(system).map_err(|e| SqsError::corrupt(&e))?;
        if let Some(trace) = parsed
            .get("AWSTraceHeader")
            .and_then(|v| v.string_value.clone())
            && want("AWSTraceHeader")
        {
            attributes.insert("AWSTraceHeader".to_owned(), trace);
        }
    }
    let stored: BTreeMap<String, MessageAttributeValue> = match row.message_attributes.as_deref() {
        Some(text) => serde_json::from_str(text).map_err(|e| SqsError::corrupt(&e))?,
        None => BTreeMap::new(),
    };
    let returned: BTreeMap<String, MessageAttributeValue> = stored
        .into_iter()
        .filter(|(name, _)| wanted_attribute(attribute_names, name))
        .collect();
    Ok(Message {
        message_id: row.message_id,
        receipt_handle,
        md5_of_body: row.md5_body,
        body: row.body,
        attributes,
        md5_of_message_attributes: md5_of_attributes(&returned),
        message_attributes: returned,
    })
}
