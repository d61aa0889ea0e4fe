//! Delivery to targets: retry policy, backoff, dead-letter messages.
//!
//! From "Event retry policy and using dead-letter queues": a target is retried
//! on retryable errors with exponential backoff and jitter, by default up to
//! 185 times within 24 hours; a target's `RetryPolicy` lowers either bound.
//! Errors that retrying cannot fix (missing permissions, a deleted target) go
//! to the dead-letter queue at once. When retries are exhausted, the event is
//! dropped, or sent to the target's dead-letter queue with the attributes
//! `RULE_ARN`, `TARGET_ARN`, `ERROR_CODE`, `ERROR_MESSAGE`,
//! `EXHAUSTED_RETRY_CONDITION` and `RETRY_ATTEMPTS`.
//!
//! Nothing here sleeps or reads a clock: [`deliver`] makes one attempt and
//! says what to do next ([`NextStep::RetryAt`] carries the time to come back).

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

pub use crate::retry::{
    MAX_EVENT_AGE_SECONDS, MAX_RETRY_ATTEMPTS, MIN_EVENT_AGE_SECONDS, RetryPolicy,
};

/// First backoff ceiling. AWS does not publish its constants; a 1 s base
/// doubling to a 15 minute cap spreads 185 full-jitter retries over roughly
/// the documented 24 hours.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// Largest backoff ceiling.
pub const BACKOFF_CAP: Duration = Duration::from_secs(900);

/// The ceiling of the backoff before retry number `retry` (1-based):
/// `min(cap, base * 2^(retry-1))`.
pub fn backoff_ceiling(retry: u32) -> Duration {
    let exp = retry.saturating_sub(1).min(30);
    let ceiling = BACKOFF_BASE.saturating_mul(1u32 << exp);
    ceiling.min(BACKOFF_CAP)
}

/// The delay before retry number `retry` (1-based): exponential backoff with
/// full jitter, uniform in `[0, ceiling]`. Deterministic for a seeded `rng`.
pub fn backoff_delay(retry: u32, rng: &mut impl Rng) -> Duration {
    let ceiling = backoff_ceiling(retry).as_millis() as u64;
    Duration::from_millis(rng.random_range(0..=ceiling))
}

/// The whole schedule of delays for `policy`'s retries (attempt count bound only).
pub fn backoff_schedule(policy: &RetryPolicy, rng: &mut impl Rng) -> Vec<Duration> {
    (1..=policy.maximum_retry_attempts)
        .map(|r| backoff_delay(r, rng))
        .collect()
}

/// The outcome of one delivery attempt, as the host reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    Delivered,
    /// Throttling, timeouts, 5xx: worth retrying.
    Retryable {
        code: String,
        message: String,
    },
    /// Missing permissions, target gone, bad input: retrying cannot help.
    NonRetryable {
        code: String,
        message: String,
    },
}

/// The host's side of delivery: invoke the target with the rendered input.
pub trait TargetDelivery {
    fn deliver(&mut self, target_arn: &str, input: &str) -> DeliveryResult;
}

/// Which retry bound ran out (`EXHAUSTED_RETRY_CONDITION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExhaustedCondition {
    MaximumRetryAttempts,
    MaximumEventAgeInSeconds,
}

impl ExhaustedCondition {
    pub fn as_str(self) -> &'static str {
        match self {
            ExhaustedCondition::MaximumRetryAttempts => "MaximumRetryAttempts",
            ExhaustedCondition::MaximumEventAgeInSeconds => "MaximumEventAgeInSeconds",
        }
    }
}

/// A message for the target's dead-letter queue: the event as body, and
/// String message attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterMessage {
    pub queue_arn: String,
    pub body: String,
    pub attributes: Vec<(String, String)>,
}

impl DeadLetterMessage {
    /// The value of one attribute.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The state of one event's delivery to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryJob {
    pub rule_arn: String,
    pub target_arn: String,
    /// The rendered target input.
    pub input: String,
    /// The event as JSON text (the dead-letter message body).
    pub event: String,
    pub policy: RetryPolicy,
    pub dead_letter_arn: Option<String>,
    /// When EventBridge received the event; the event age counts from here.
    pub ingestion_time: DateTime<Utc>,
    /// Attempts made so far (the first delivery counts as one).
    pub attempts: u32,
    /// Code and message of the last failed attempt.
    pub last_error: Option<(String, String)>,
}

/// What to do after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    /// Call [`deliver`] again at this time.
    RetryAt(DateTime<Utc>),
    /// Send this message to the dead-letter queue.
    DeadLetter(DeadLetterMessage),
    /// No dead-letter queue: the event is dropped (and so reported).
    Dropped {
        code: String,
        message: String,
        exhausted: Option<ExhaustedCondition>,
    },
}

impl DeliveryJob {
    /// A job for delivering `event` (its JSON text) to `target` of the rule
    /// `rule_arn`, with the target's retry policy and dead-letter queue.
    pub fn for_target(
        rule_arn: &str,
        target: &crate::model::Target,
        input: String,
        event: String,
        ingestion_time: DateTime<Utc>,
    ) -> DeliveryJob {
        DeliveryJob {
            rule_arn: rule_arn.to_owned(),
            target_arn: target.arn.clone(),
            input,
            event,
            policy: target.effective_retry_policy(),
            dead_letter_arn: target.dead_letter_arn().map(str::to_owned),
            ingestion_time,
            attempts: 0,
            last_error: None,
        }
    }

    fn age_limit(&self) -> DateTime<Utc> {
        self.ingestion_time
            + chrono::Duration::seconds(i64::from(self.policy.maximum_event_age_seconds))
    }

    fn fail(&self, code: &str, message: &str, exhausted: Option<ExhaustedCondition>) -> NextStep {
        match &self.dead_letter_arn {
            Some(queue) => {
                let mut attributes = vec![
                    ("RULE_ARN".to_owned(), self.rule_arn.clone()),
                    ("TARGET_ARN".to_owned(), self.target_arn.clone()),
                    ("ERROR_CODE".to_owned(), code.to_owned()),
                    ("ERROR_MESSAGE".to_owned(), message.to_owned()),
                ];
                if let Some(c) = exhausted {
                    attributes.push((
                        "EXHAUSTED_RETRY_CONDITION".to_owned(),
                        c.as_str().to_owned(),
                    ));
                }
                attributes.push((
                    "RETRY_ATTEMPTS".to_owned(),
                    self.attempts.saturating_sub(1).to_string(),
                ));
                NextStep::DeadLetter(DeadLetterMessage {
                    queue_arn: queue.clone(),
                    body: self.event.clone(),
                    attributes,
                })
            }
            None => NextStep::Dropped {
                code: code.to_owned(),
                message: message.to_owned(),
                exhausted,
            },
        }
    }
}

/// Why a target of a matched rule gets no delivery job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    pub target_id: String,
    /// `INVALID_PARAMETER`-like code for the dead-letter queue / logs.
    pub code: String,
    pub message: String,
}

/// The delivery jobs for one event that matched `rule` (whose ARN is
/// `rule_arn`): one per target, with the target's input rendered. A target
/// whose input cannot be produced for this event yields a [`JobError`].
pub fn jobs_for_rule(
    rule: &crate::model::Rule,
    rule_arn: &str,
    event: &serde_json::Value,
    ingestion_time: DateTime<Utc>,
) -> Vec<Result<DeliveryJob, JobError>> {
    let ctx = crate::input::RuleContext {
        name: &rule.name,
        arn: rule_arn,
        ingestion_time,
    };
    let event_text = event.to_string();
    rule.targets
        .iter()
        .map(|target| {
            let input = target.target_input().map_err(|e| JobError {
                target_id: target.id.clone(),
                code: "INVALID_PARAMETER".into(),
                message: e.message,
            })?;
            let rendered = input.render(event, &ctx).map_err(|e| JobError {
                target_id: target.id.clone(),
                code: "INVALID_PARAMETER".into(),
                message: e.to_string(),
            })?;
            Ok(DeliveryJob::for_target(
                rule_arn,
                target,
                rendered,
                event_text.clone(),
                ingestion_time,
            ))
        })
        .collect()
}

/// Makes one attempt of `job` at `now` and decides the next step.
pub fn deliver<T: TargetDelivery + ?Sized>(
    host: &mut T,
    job: &mut DeliveryJob,
    now: DateTime<Utc>,
    rng: &mut impl Rng,
) -> NextStep {
    if job.attempts > 0 && now > job.age_limit() {
        // Called back after the age limit: report the last failure, as the
        // retry that would have followed it is not made.
        let (code, message) = job.last_error.clone().unwrap_or_else(|| {
            (
                "TIMEOUT".to_owned(),
                "The event exceeded MaximumEventAgeInSeconds before it could be delivered."
                    .to_owned(),
            )
        });
        return job.fail(
            &code,
            &message,
            Some(ExhaustedCondition::MaximumEventAgeInSeconds),
        );
    }
    job.attempts += 1;
    match host.deliver(&job.target_arn, &job.input) {
        DeliveryResult::Delivered => NextStep::Delivered,
        DeliveryResult::NonRetryable { code, message } => {
            job.last_error = Some((code.clone(), message.clone()));
            job.fail(&code, &message, None)
        }
        DeliveryResult::Retryable { code, message } => {
            job.last_error = Some((code.clone(), message.clone()));
            let retries_done = job.attempts - 1;
            if retries_done >= job.policy.maximum_retry_attempts {
                return job.fail(
                    &code,
                    &message,
                    Some(ExhaustedCondition::MaximumRetryAttempts),
                );
            }
            let delay = backoff_delay(retries_done + 1, rng);
            let at = now
                + chrono::Duration::from_std(delay).unwrap_or_else(|_| chrono::Duration::zero());
            if at > job.age_limit() {
                return job.fail(
                    &code,
                    &message,
                    Some(ExhaustedCondition::MaximumEventAgeInSeconds),
                );
            }
            NextStep::RetryAt(at)
        }
    }
}
