//! Deliveries of matched events to rule targets.
//!
//! Every (event, target) pair becomes a row in `pending_deliveries` (kind
//! `rule-target`) in the same transaction that precedes the PutEvents answer,
//! so an acknowledged event is never lost. The worker keeps an in-memory
//! schedule of those rows (rebuilt from the store by `resume`), makes each
//! attempt, and follows the engine's decision ([`eventbus::delivery::deliver`]):
//! done (row deleted), retry later (row rescheduled with the backoff the
//! engine chose, timed by the stack's clock), dead-letter queue (SQS message
//! with AWS's attributes, then row deleted) or drop.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use chrono::{DateTime, TimeZone, Utc};
use eventbus::delivery::{DeliveryJob, DeliveryResult, RetryPolicy, TargetDelivery};
use serde::{Deserialize, Serialize};

use crate::store::eventbridge::PendingDelivery;

/// `pending_deliveries.kind` of rule target deliveries.
pub const KIND: &str = "rule-target";

/// Where a delivery goes (the `destination` column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    /// Bus the event was put on.
    pub bus: String,
    /// Rule name.
    pub rule: String,
    /// Rule ARN (`RULE_ARN`).
    pub rule_arn: String,
    /// Target id.
    pub target_id: String,
    /// Target ARN (`TARGET_ARN`).
    pub target_arn: String,
    /// The target's retry policy when the event matched.
    pub retry_policy: RetryPolicy,
    /// Dead-letter queue ARN.
    pub dead_letter_arn: Option<String>,
}

/// What is delivered (the `payload` column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    /// The rendered target input; `None` when it could not be produced.
    pub input: Option<String>,
    /// The event as JSON text (the dead-letter message body).
    pub event: String,
    /// When EventBridge received the event, ms.
    pub ingestion_ms: i64,
    /// Why the input could not be produced (`INVALID_PARAMETER`-like code, message).
    pub render_error: Option<(String, String)>,
}

/// A delivery the worker holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheduled {
    /// Row id.
    pub id: i64,
    /// Next attempt, ms.
    pub due_ms: i64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Code and message of the last failed attempt (reported if the event ages out before a retry).
    pub last_error: Option<(String, String)>,
    /// Where.
    pub destination: Destination,
    /// What.
    pub payload: Payload,
}

impl Scheduled {
    /// Decodes a stored row; `None` for a row this build cannot read (logged and left alone).
    pub fn from_row(row: &PendingDelivery) -> Option<Self> {
        let destination = serde_json::from_str(&row.destination).ok()?;
        let payload = serde_json::from_str(&row.payload).ok()?;
        Some(Self {
            id: row.id,
            due_ms: row.due_ms,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            // Stored as `CODE: message` by `reschedule_delivery`.
            last_error: row
                .last_error
                .as_deref()
                .and_then(|e| e.split_once(": "))
                .map(|(code, message)| (code.to_string(), message.to_string())),
            destination,
            payload,
        })
    }

    /// The engine's view of this delivery.
    pub fn job(&self) -> DeliveryJob {
        DeliveryJob {
            rule_arn: self.destination.rule_arn.clone(),
            target_arn: self.destination.target_arn.clone(),
            input: self.payload.input.clone().unwrap_or_default(),
            event: self.payload.event.clone(),
            policy: self.destination.retry_policy,
            dead_letter_arn: self.destination.dead_letter_arn.clone(),
            ingestion_time: millis_to_time(self.payload.ingestion_ms),
            attempts: self.attempts,
            last_error: self.last_error.clone(),
        }
    }

    /// Whether the event is past its maximum age: the engine then fails it
    /// without an attempt (and so must the host: no target call).
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        let limit = millis_to_time(self.payload.ingestion_ms)
            + chrono::Duration::seconds(i64::from(
                self.destination.retry_policy.maximum_event_age_seconds,
            ));
        self.attempts > 0 && now > limit
    }
}

/// Epoch milliseconds as a time.
pub fn millis_to_time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// The outcome of an attempt already made (asynchronously), handed to the engine's synchronous loop.
pub struct Attempted(pub Option<DeliveryResult>);

impl TargetDelivery for Attempted {
    fn deliver(&mut self, _target_arn: &str, _input: &str) -> DeliveryResult {
        self.0.take().unwrap_or(DeliveryResult::Retryable {
            code: "InternalFailure".into(),
            message: "no attempt was made".into(),
        })
    }
}

/// The worker's schedule: deliveries by due time.
#[derive(Default)]
pub struct Schedule {
    heap: BinaryHeap<Reverse<(i64, i64)>>,
    jobs: BTreeMap<i64, Scheduled>,
}

impl Schedule {
    /// Adds (or replaces) a delivery.
    pub fn push(&mut self, job: Scheduled) {
        self.heap.push(Reverse((job.due_ms, job.id)));
        self.jobs.insert(job.id, job);
    }

    /// Takes every delivery due at `now_ms`.
    pub fn take_due(&mut self, now_ms: i64) -> Vec<Scheduled> {
        let mut due = Vec::new();
        while let Some(Reverse((at, id))) = self.heap.peek().copied() {
            if at > now_ms {
                break;
            }
            self.heap.pop();
            if let Some(job) = self.jobs.get(&id)
                && job.due_ms == at
                && let Some(job) = self.jobs.remove(&id)
            {
                due.push(job);
            }
        }
        due
    }

    /// The earliest due time.
    pub fn next_due(&self) -> Option<i64> {
        self.jobs.values().map(|j| j.due_ms).min()
    }

    /// Deliveries waiting.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_hands_out_due_jobs_in_order_and_honours_reschedules() {
        let job = |id: i64, due_ms: i64| Scheduled {
            id,
            due_ms,
            attempts: 0,
            last_error: None,
            destination: Destination {
                bus: "b".into(),
                rule: "r".into(),
                rule_arn: "ra".into(),
                target_id: "t".into(),
                target_arn: "ta".into(),
                retry_policy: RetryPolicy::default(),
                dead_letter_arn: None,
            },
            payload: Payload {
                input: Some("{}".into()),
                event: "{}".into(),
                ingestion_ms: 0,
                render_error: None,
            },
        };
        let mut s = Schedule::default();
        s.push(job(1, 30));
        s.push(job(2, 10));
        s.push(job(3, 20));
        assert_eq!(s.next_due(), Some(10));
        let ids: Vec<i64> = s.take_due(20).iter().map(|j| j.id).collect();
        assert_eq!(ids, [2, 3]);
        s.push(job(1, 50));
        assert_eq!(s.take_due(40), []);
        assert_eq!(s.len(), 1);
        assert_eq!(s.take_due(50).len(), 1);
        assert!(s.is_empty());
    }
}
