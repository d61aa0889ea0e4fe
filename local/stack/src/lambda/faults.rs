//! The fault-injection seam: a plan consulted once per invocation attempt that
//! can make a named function fail, crash, time out or be throttled.

use std::collections::HashMap;
use std::sync::Mutex;

/// A fault to inject into one invocation attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The function runs, then its result is replaced by this unhandled error.
    Error {
        error_type: String,
        error_message: String,
    },
    /// The runtime process is killed during the invocation (`Runtime.ExitError`,
    /// `signal: killed`).
    Crash,
    /// The invocation times out at once (`Sandbox.Timedout`; the process is killed).
    Timeout,
    /// Invoke is refused with `TooManyRequestsException` (async events are retried).
    Throttle,
}

/// Decides, per invocation attempt, whether a fault is injected.
pub trait FaultPlan: Send + Sync + 'static {
    fn fault_for(&self, function_name: &str) -> Option<Fault>;
}

/// The plan of a stack without fault injection.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoFaults;

impl FaultPlan for NoFaults {
    fn fault_for(&self, _function_name: &str) -> Option<Fault> {
        None
    }
}

/// When a scripted fault fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// The next `n` attempts.
    Next(u32),
    /// A deterministic share of attempts: attempt `k` (1-based) fails when
    /// `floor(k * rate)` grows, so 0.25 fails every fourth attempt. Deterministic
    /// so that tests and demos are reproducible.
    Rate(f64),
}

impl Trigger {
    /// Whether attempt number `attempt` (1-based, counted by the caller) fails.
    pub fn fires_on(self, attempt: u64) -> bool {
        match self {
            Trigger::Next(n) => attempt <= u64::from(n),
            Trigger::Rate(rate) => {
                let rate = rate.clamp(0.0, 1.0);
                #[allow(clippy::cast_precision_loss)]
                let (now, before) = (
                    attempt as f64 * rate,
                    attempt.saturating_sub(1) as f64 * rate,
                );
                now.floor() > before.floor()
            }
        }
    }
}

#[derive(Debug)]
struct Rule {
    fault: Fault,
    trigger: Trigger,
    seen: u64,
}

/// A plan set up by hand (tests, the demo, the fault-injection API).
#[derive(Debug, Default)]
pub struct ScriptedFaults {
    rules: Mutex<HashMap<String, Vec<Rule>>>,
}

impl ScriptedFaults {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rule for `function_name`; earlier rules are consulted first.
    pub fn add(&self, function_name: &str, fault: Fault, trigger: Trigger) {
        if let Ok(mut rules) = self.rules.lock() {
            rules
                .entry(function_name.to_owned())
                .or_default()
                .push(Rule {
                    fault,
                    trigger,
                    seen: 0,
                });
        }
    }

    /// Removes every rule of `function_name`.
    pub fn clear(&self, function_name: &str) {
        if let Ok(mut rules) = self.rules.lock() {
            rules.remove(function_name);
        }
    }
}

impl FaultPlan for ScriptedFaults {
    fn fault_for(&self, function_name: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().ok()?;
        let list = rules.get_mut(function_name)?;
        let mut fired = None;
        for rule in list.iter_mut() {
            rule.seen += 1;
            let fires = rule.trigger.fires_on(rule.seen);
            if fires && fired.is_none() {
                fired = Some(rule.fault.clone());
            }
        }
        list.retain(|r| !matches!(r.trigger, Trigger::Next(n) if r.seen >= u64::from(n)));
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_n_then_nothing() {
        let plan = ScriptedFaults::new();
        plan.add("f", Fault::Crash, Trigger::Next(2));
        assert_eq!(plan.fault_for("f"), Some(Fault::Crash));
        assert_eq!(plan.fault_for("f"), Some(Fault::Crash));
        assert_eq!(plan.fault_for("f"), None);
        assert_eq!(plan.fault_for("other"), None);
    }

    #[test]
    fn rate_is_deterministic() {
        let plan = ScriptedFaults::new();
        plan.add("f", Fault::Timeout, Trigger::Rate(0.25));
        let fired: Vec<bool> = (0..8).map(|_| plan.fault_for("f").is_some()).collect();
        assert_eq!(
            fired,
            [false, false, false, true, false, false, false, true]
        );
    }
}
