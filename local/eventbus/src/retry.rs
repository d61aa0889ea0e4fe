//! A target's `RetryPolicy` and its bounds ("Event retry policy and using dead-letter queues"; the
//! PutTargets API reference): part of the target model, used by delivery.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Default and maximum of `MaximumRetryAttempts`.
pub const MAX_RETRY_ATTEMPTS: u32 = 185;
/// Default and maximum of `MaximumEventAgeInSeconds` (24 hours).
pub const MAX_EVENT_AGE_SECONDS: u32 = 86_400;
/// Minimum of `MaximumEventAgeInSeconds`.
pub const MIN_EVENT_AGE_SECONDS: u32 = 60;

/// A target's `RetryPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RetryPolicy {
    #[serde(default = "default_attempts")]
    pub maximum_retry_attempts: u32,
    #[serde(rename = "MaximumEventAgeInSeconds", default = "default_age")]
    pub maximum_event_age_seconds: u32,
}

fn default_attempts() -> u32 {
    MAX_RETRY_ATTEMPTS
}

fn default_age() -> u32 {
    MAX_EVENT_AGE_SECONDS
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            maximum_retry_attempts: MAX_RETRY_ATTEMPTS,
            maximum_event_age_seconds: MAX_EVENT_AGE_SECONDS,
        }
    }
}

impl RetryPolicy {
    /// Builds a validated policy.
    pub fn new(
        maximum_retry_attempts: u32,
        maximum_event_age_seconds: u32,
    ) -> Result<Self, ApiError> {
        let p = RetryPolicy {
            maximum_retry_attempts,
            maximum_event_age_seconds,
        };
        p.validate(1)?;
        Ok(p)
    }

    /// Checks the bounds (0-185 attempts, 60-86400 seconds) as PutTargets does;
    /// `index` is the 1-based position of the target in the request.
    pub fn validate(&self, index: usize) -> Result<(), ApiError> {
        let msg = |value: u32, field: &str, c: &str| {
            ApiError::new(
                "ValidationException",
                format!(
                    "1 validation error detected: Value '{value}' at 'targets.{index}.member.retryPolicy.{field}' failed to satisfy constraint: {c}"
                ),
            )
        };
        if self.maximum_retry_attempts > MAX_RETRY_ATTEMPTS {
            return Err(msg(
                self.maximum_retry_attempts,
                "maximumRetryAttempts",
                "Member must have value less than or equal to 185",
            ));
        }
        if self.maximum_event_age_seconds < MIN_EVENT_AGE_SECONDS {
            return Err(msg(
                self.maximum_event_age_seconds,
                "maximumEventAgeInSeconds",
                "Member must have value greater than or equal to 60",
            ));
        }
        if self.maximum_event_age_seconds > MAX_EVENT_AGE_SECONDS {
            return Err(msg(
                self.maximum_event_age_seconds,
                "maximumEventAgeInSeconds",
                "Member must have value less than or equal to 86400",
            ));
        }
        Ok(())
    }
}
