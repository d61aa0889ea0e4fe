//! Queues: creating (idempotent when the attributes given agree), bringing a template queue to its
//! attributes, setting attributes, deleting, looking up and listing.

use std::collections::BTreeMap;

use super::attributes::{self, QueueSettings, stored};
use super::error::SqsError;
use super::policies::check_policy;
use super::{SqsService, valid_queue_name};
use crate::store::sqs::{self as records, QueueRecord};

impl SqsService {
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
        check_policy(&attributes)?;
        let policy = attributes.get("Policy").cloned();
        let now = self.clock.now_millis();
        let name_owned = name.to_owned();
        self.store
            .write(move |tx| {
                if let Some(existing) = records::get_queue(tx, &name_owned)? {
                    let current = QueueSettings::parse(&existing.attributes)?;
                    // Only the attributes given must agree, as on AWS.
                    let mut probe = current.clone();
                    probe.apply(&attributes)?;
                    if probe != current {
                        let differing = attributes.keys().next().cloned().unwrap_or_default();
                        return Err(SqsError::QueueNameExists(differing));
                    }
                    return Ok(());
                }
                let queue = QueueRecord {
                    name: name_owned,
                    created_ms: now,
                    modified_ms: now,
                    attributes: settings.to_json()?,
                    tags: serde_json::to_string(&tags).map_err(|e| SqsError::corrupt(&e))?,
                };
                records::insert_queue(tx, &queue)?;
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
                self.set_queue_attributes(name.to_owned(), attributes)
                    .await?;
                Ok(self.queue_url(name))
            }
            other => other,
        }
    }

    /// SetQueueAttributes of the queue named `name`.
    pub(super) async fn set_queue_attributes(
        &self,
        name: String,
        attributes: BTreeMap<String, String>,
    ) -> Result<(), SqsError> {
        check_policy(&attributes)?;
        let policy = attributes.get("Policy").cloned();
        let queue = name.clone();
        let now = self.clock.now_millis();
        self.store
            .write(move |tx| {
                let (mut settings, _) = stored(records::get_queue(tx, &name)?)?;
                settings.apply(&attributes)?;
                records::set_queue_attributes(tx, &name, &settings.to_json()?, now)?;
                Ok::<_, SqsError>(())
            })
            .await?;
        if policy.is_some() {
            self.register_policy(&queue, policy.as_deref())?;
        }
        Ok(())
    }

    /// DeleteQueue, with its messages and its policy.
    pub(super) async fn delete_queue(&self, name: String) -> Result<(), SqsError> {
        let queue = name.clone();
        self.store
            .write(move |tx| {
                if !records::delete_queue(tx, &name)? {
                    return Err(SqsError::QueueDoesNotExist);
                }
                Ok(())
            })
            .await?;
        self.register_policy(&queue, None)
    }

    /// Whether the queue named `name` exists.
    pub(super) async fn queue_exists(&self, name: &str) -> Result<bool, SqsError> {
        let name = name.to_owned();
        self.store
            .call(move |c| records::queue_exists(c, &name).map_err(SqsError::from))
            .await
    }

    /// Up to `limit` queue names starting with `prefix`, in order, after `after`.
    pub(super) async fn queue_names(
        &self,
        prefix: String,
        after: String,
        limit: i64,
    ) -> Result<Vec<String>, SqsError> {
        self.store
            .call(move |c| records::queue_names(c, &prefix, &after, limit).map_err(SqsError::from))
            .await
    }

    /// GetQueueAttributes of the queue named `name` (`wanted` checked).
    pub(super) async fn queue_attributes(
        &self,
        name: String,
        wanted: Vec<String>,
    ) -> Result<BTreeMap<String, String>, SqsError> {
        let now = self.clock.now_millis();
        let arn = self.queue_arn(&name);
        self.store
            .call(move |tx| {
                let (settings, queue) = stored(records::get_queue(tx, &name)?)?;
                let counts = records::count_messages(tx, &name, now)?;
                Ok::<_, SqsError>(attributes::queue_attributes(
                    settings, &queue, counts, arn, &wanted,
                ))
            })
            .await
    }
}
