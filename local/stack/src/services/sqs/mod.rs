//! Amazon SQS (`AmazonSQS`, awsJson1_0 with query-compatible errors).
//!
//! Operations: CreateQueue, DeleteQueue, GetQueueUrl, ListQueues, GetQueueAttributes,
//! SetQueueAttributes, AddPermission, RemovePermission, SendMessage, ReceiveMessage,
//! DeleteMessage, ChangeMessageVisibility, PurgeQueue, SendMessageBatch, DeleteMessageBatch.
//! Standard queues only (the stack's queues are dead-letter queues); FIFO queues are refused.
//! Other services send through [`SqsService::send_message_to`].
//!
//! - `api.rs`: one [`crate::protocol::operation::Operation`] per operation (typed request and
//!   response, the API reference's constraints) and the registry;
//! - `queues.rs`: creating, setting attributes, deleting, looking up and listing queues;
//! - `attributes.rs`: the settings a queue keeps and the attributes it answers;
//! - `messages.rs`: sending, receiving (long polling, redrive), deleting, visibility, purging;
//!   the MD5s and receipt handles;
//! - `policies.rs`: queue policies and the permission plane;
//! - `error.rs`: SQS's errors and their query-compatible codes.
//!
//! The records and their SQL are in [`crate::store::sqs`].

mod api;
mod attributes;
mod error;
mod messages;
mod policies;
mod queues;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use tokio::sync::Notify;

use crate::clock::SharedClock;
use crate::permissions::PermissionPlane;
use crate::protocol::{AwsError, JsonService, Protocol, ServiceFuture};
use crate::store::Store;

pub use error::SqsError;
pub use messages::{
    Message, MessageAttributeValue, SendMessageResponse, md5_hex, md5_of_attributes,
};

/// `X-Amz-Target` prefix.
pub const TARGET_PREFIX: &str = "AmazonSQS";

/// "The maximum size is 1 MiB or 1,048,576 bytes" (MaximumMessageSize default and ceiling).
pub const MAX_MESSAGE_BYTES: i64 = 1_048_576;

/// The SQS service.
pub struct SqsService {
    store: Store,
    clock: SharedClock,
    endpoint: String,
    region: String,
    account_id: String,
    /// Woken when a message may have become receivable (long polls wait on it).
    arrivals: Mutex<HashMap<String, Arc<Notify>>>,
    /// The last PurgeQueue of each queue, ms.
    last_purge: Mutex<HashMap<String, i64>>,
    /// The permission plane, told of every queue policy (the `Policy` attribute).
    permissions: OnceLock<Arc<PermissionPlane>>,
}

fn valid_queue_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
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
            permissions: OnceLock::new(),
        })
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

    /// The queue name in a queue URL: `InvalidAddress` when it is not one, `QueueDoesNotExist`
    /// when it names another account.
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
}

/// The operations served, by name.
pub fn operation_names() -> Vec<&'static str> {
    api::operation_names()
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
        api::call(self, &operation, input)
    }
}

#[cfg(test)]
mod tests;
