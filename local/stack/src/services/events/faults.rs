//! Fault injection for rule targets: make a named target of a named rule fail
//! for its next N delivery attempts, or for a share of them, without touching
//! the target itself. The delivery worker consults [`TargetFaults`] before each
//! attempt; an injected failure goes through the same retry policy and
//! dead-letter handling as a real one.

use std::collections::HashMap;
use std::sync::Mutex;

use eventbus::delivery::DeliveryResult;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What an injected failure looks like to the delivery loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedError {
    /// Whether the retry policy applies (throttling, 5xx) or the event goes
    /// straight to the dead-letter queue (permissions, missing target).
    pub retryable: bool,
    /// `ERROR_CODE` of the dead-letter message.
    pub code: String,
    /// `ERROR_MESSAGE` of the dead-letter message.
    pub message: String,
}

impl InjectedError {
    /// A retryable failure (`ThrottlingException`, as a busy target answers).
    pub fn throttled() -> Self {
        Self {
            retryable: true,
            code: "ThrottlingException".into(),
            message: "Rate exceeded (injected fault)".into(),
        }
    }

    fn result(&self) -> DeliveryResult {
        if self.retryable {
            DeliveryResult::Retryable {
                code: self.code.clone(),
                message: self.message.clone(),
            }
        } else {
            DeliveryResult::NonRetryable {
                code: self.code.clone(),
                message: self.message.clone(),
            }
        }
    }
}

/// When a target fails.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetFault {
    /// The next `remaining` attempts fail, then the target works again.
    FailNext {
        /// Attempts still to fail.
        remaining: u32,
        /// How they fail.
        error: InjectedError,
    },
    /// Each attempt fails with probability `rate` (0.0 to 1.0).
    FailRate {
        /// Share of attempts that fail.
        rate: f64,
        /// How they fail.
        error: InjectedError,
    },
    /// The next `remaining` successful deliveries reach the target twice (EventBridge delivers
    /// at least once: "an event might be delivered to a target more than once").
    DuplicateNext {
        /// Deliveries still to duplicate.
        remaining: u32,
    },
    /// Each successful delivery reaches the target twice with probability `rate`.
    DuplicateRate {
        /// Share of deliveries duplicated.
        rate: f64,
    },
}

/// Faults by (rule name, target id), shared by the delivery worker and whoever injects them.
pub struct TargetFaults {
    faults: Mutex<HashMap<(String, String), TargetFault>>,
    rng: Mutex<StdRng>,
}

impl Default for TargetFaults {
    fn default() -> Self {
        Self::with_seed(0x6b79_632d_6c6f_6361)
    }
}

impl std::fmt::Debug for TargetFaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetFaults").finish_non_exhaustive()
    }
}

impl TargetFaults {
    /// No faults; `FailRate` draws from a generator seeded with `seed` (reproducible runs).
    pub fn with_seed(seed: u64) -> Self {
        Self {
            faults: Mutex::new(HashMap::new()),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// Sets (or replaces) the fault of `target_id` of rule `rule`.
    pub fn set(&self, rule: &str, target_id: &str, fault: TargetFault) {
        self.lock()
            .insert((rule.to_owned(), target_id.to_owned()), fault);
    }

    /// Removes a target's fault.
    pub fn clear(&self, rule: &str, target_id: &str) {
        self.lock().remove(&(rule.to_owned(), target_id.to_owned()));
    }

    /// Removes every fault.
    pub fn clear_all(&self) {
        self.lock().clear();
    }

    /// Every fault set, by (rule, target id), in no particular order (the fault-injection API lists them).
    pub fn list(&self) -> Vec<(String, String, TargetFault)> {
        self.lock()
            .iter()
            .map(|((rule, target), fault)| (rule.clone(), target.clone(), fault.clone()))
            .collect()
    }

    /// Consulted before an attempt: `Some(result)` when this attempt must fail.
    pub fn check(&self, rule: &str, target_id: &str) -> Option<DeliveryResult> {
        let mut faults = self.lock();
        let key = (rule.to_owned(), target_id.to_owned());
        let fault = faults.get_mut(&key)?;
        match fault {
            TargetFault::FailNext { remaining, error } => {
                if *remaining == 0 {
                    faults.remove(&key);
                    return None;
                }
                *remaining -= 1;
                let result = error.result();
                if *remaining == 0 {
                    faults.remove(&key);
                }
                Some(result)
            }
            TargetFault::FailRate { rate, error } => {
                let draw: f64 = self.rng.lock().unwrap_or_else(|e| e.into_inner()).random();
                (draw < *rate).then(|| error.result())
            }
            TargetFault::DuplicateNext { .. } | TargetFault::DuplicateRate { .. } => None,
        }
    }

    /// Consulted after a successful delivery: whether the target gets the event once more.
    pub fn take_duplicate(&self, rule: &str, target_id: &str) -> bool {
        let mut faults = self.lock();
        let key = (rule.to_owned(), target_id.to_owned());
        match faults.get_mut(&key) {
            Some(TargetFault::DuplicateNext { remaining }) => {
                let fire = *remaining > 0;
                *remaining = remaining.saturating_sub(1);
                if *remaining == 0 {
                    faults.remove(&key);
                }
                fire
            }
            Some(TargetFault::DuplicateRate { rate }) => {
                let draw: f64 = self.rng.lock().unwrap_or_else(|e| e.into_inner()).random();
                draw < *rate
            }
            _ => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), TargetFault>> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_next_fails_exactly_n_attempts_of_that_target_only() {
        let faults = TargetFaults::default();
        faults.set(
            "r",
            "t",
            TargetFault::FailNext {
                remaining: 2,
                error: InjectedError::throttled(),
            },
        );
        let throttled = Some(DeliveryResult::Retryable {
            code: "ThrottlingException".into(),
            message: "Rate exceeded (injected fault)".into(),
        });
        assert_eq!(faults.check("r", "other"), None);
        assert_eq!(faults.check("other", "t"), None);
        assert_eq!(faults.check("r", "t"), throttled);
        assert_eq!(faults.check("r", "t"), throttled);
        assert_eq!(faults.check("r", "t"), None);
    }

    #[test]
    fn duplicates_count_down_and_never_fail_an_attempt() {
        let faults = TargetFaults::default();
        faults.set("r", "t", TargetFault::DuplicateNext { remaining: 2 });
        assert_eq!(faults.check("r", "t"), None);
        assert!(!faults.take_duplicate("r", "other"));
        assert!(faults.take_duplicate("r", "t"));
        assert!(faults.take_duplicate("r", "t"));
        assert!(!faults.take_duplicate("r", "t"));
        assert!(faults.list().is_empty());
        faults.set("r", "t", TargetFault::DuplicateRate { rate: 1.0 });
        assert!(faults.take_duplicate("r", "t"));
        assert!(faults.take_duplicate("r", "t"));
    }

    #[test]
    fn rates_zero_and_one_are_exact_and_a_half_is_roughly_half() {
        let faults = TargetFaults::with_seed(7);
        let error = InjectedError {
            retryable: false,
            code: "AccessDenied".into(),
            message: "no".into(),
        };
        faults.set(
            "r",
            "always",
            TargetFault::FailRate {
                rate: 1.0,
                error: error.clone(),
            },
        );
        faults.set(
            "r",
            "never",
            TargetFault::FailRate {
                rate: 0.0,
                error: error.clone(),
            },
        );
        faults.set("r", "half", TargetFault::FailRate { rate: 0.5, error });
        for _ in 0..100 {
            assert_eq!(
                faults.check("r", "always"),
                Some(DeliveryResult::NonRetryable {
                    code: "AccessDenied".into(),
                    message: "no".into()
                })
            );
            assert_eq!(faults.check("r", "never"), None);
        }
        let failed = (0..1000)
            .filter(|_| faults.check("r", "half").is_some())
            .count();
        assert!((400..600).contains(&failed), "{failed}");
        faults.clear("r", "always");
        assert_eq!(faults.check("r", "always"), None);
        faults.clear_all();
        assert_eq!(faults.check("r", "half"), None);
    }
}
