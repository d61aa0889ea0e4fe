//! Lambda faults: the entries in force ([`LambdaFaults`], the [`FaultPlan`] the Lambda service
//! consults on every attempt), and how a requested one becomes a [`Fault`] on a resolved function.

use std::sync::Mutex;

use serde_json::{Value, json};

use super::error::{ControlError, invalid};
use super::plan::LambdaFaultSpec;
use crate::lambda::{Fault, FaultPlan, FunctionRef, LambdaService, Trigger};
use crate::services::context::Context;

#[derive(Debug, Clone)]
pub(super) struct LambdaEntry {
    pub(super) id: u64,
    pub(super) function: String,
    pub(super) fault: Fault,
    pub(super) trigger: Trigger,
    /// Attempts this entry was consulted on.
    pub(super) attempts: u64,
    /// Attempts it failed.
    pub(super) fired: u64,
}

impl LambdaEntry {
    fn exhausted(&self) -> bool {
        matches!(self.trigger, Trigger::Next(n) if self.fired >= u64::from(n))
    }

    pub(super) fn view(&self) -> Value {
        let mut v = json!({"id": self.id, "function": self.function});
        match &self.fault {
            Fault::Error {
                error_type,
                error_message,
            } => {
                v["fault"] = json!("error");
                v["errorType"] = json!(error_type);
                v["errorMessage"] = json!(error_message);
            }
            Fault::Crash => v["fault"] = json!("crash"),
            Fault::Timeout => v["fault"] = json!("timeout"),
            Fault::Throttle => v["fault"] = json!("throttle"),
        }
        match self.trigger {
            Trigger::Next(n) => {
                v["count"] = json!(n);
                v["remaining"] = json!(u64::from(n).saturating_sub(self.fired));
            }
            Trigger::Rate(r) => v["rate"] = json!(r),
        }
        v["attempts"] = json!(self.attempts);
        v["fired"] = json!(self.fired);
        v
    }
}

/// The [`FaultPlan`] the Lambda service consults on every invocation attempt: the faults of that
/// function in the order they were added; the first that fires wins and the later ones do not see
/// the attempt. A `count` fault fires on the next `count` attempts it sees, then stays listed
/// (`remaining: 0`) until cleared.
#[derive(Debug, Default)]
pub struct LambdaFaults {
    entries: Mutex<Vec<LambdaEntry>>,
}

impl LambdaFaults {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LambdaEntry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl FaultPlan for LambdaFaults {
    fn fault_for(&self, function_name: &str) -> Option<Fault> {
        let mut entries = self.lock();
        for entry in entries
            .iter_mut()
            .filter(|e| e.function == function_name && !e.exhausted())
        {
            entry.attempts += 1;
            let fires = match entry.trigger {
                Trigger::Next(_) => true,
                rate @ Trigger::Rate(_) => rate.fires_on(entry.attempts),
            };
            if fires {
                entry.fired += 1;
                return Some(entry.fault.clone());
            }
        }
        None
    }
}

/// The [`Fault`] a spec asks for (`error`, `crash`, `timeout` or `throttle`), checked.
pub(super) fn fault_of(at: &str, spec: &LambdaFaultSpec) -> Result<Fault, ControlError> {
    match spec.fault.as_str() {
        "error" => {
            let error_type = spec
                .error_type
                .clone()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| {
                    invalid(format!(
                        "{at}: fault \"error\" needs an errorType (e.g. \"Retryable\")"
                    ))
                })?;
            Ok(Fault::Error {
                error_type,
                error_message: spec
                    .error_message
                    .clone()
                    .unwrap_or_else(|| "Injected fault".to_owned()),
            })
        }
        other @ ("crash" | "timeout" | "throttle") => {
            if spec.error_type.is_some() || spec.error_message.is_some() {
                return Err(invalid(format!(
                    "{at}: errorType and errorMessage go with fault \"error\", not \"{other}\""
                )));
            }
            Ok(match other {
                "crash" => Fault::Crash,
                "timeout" => Fault::Timeout,
                _ => Fault::Throttle,
            })
        }
        other => Err(invalid(format!(
            "{at}: unknown fault \"{other}\" (expected error, crash, timeout or throttle)"
        ))),
    }
}

/// A function by `FunctionName`, template logical id or ARN → the name the Lambda service runs.
pub(super) fn resolve_function(
    stack: &Context,
    lambda: &LambdaService,
    at: &str,
    given: &str,
) -> Result<String, ControlError> {
    if given.trim().is_empty() {
        return Err(invalid(format!("{at}: function must not be empty")));
    }
    if let Some(model) = stack.template.as_deref()
        && let Some(f) = model
            .functions
            .iter()
            .find(|f| f.logical_id == given || f.name == given || f.arn == given)
    {
        return Ok(f.name.clone());
    }
    if let Ok(reference) = FunctionRef::parse(given)
        && lambda.function_arn(&reference.name).is_some()
    {
        return Ok(reference.name);
    }
    let mut known: Vec<String> = lambda
        .list_functions()
        .into_iter()
        .map(|f| f.function_name)
        .chain(
            stack
                .template
                .iter()
                .flat_map(|m| m.functions.iter().map(|f| f.name.clone())),
        )
        .collect();
    known.sort();
    known.dedup();
    Err(ControlError::UnknownFunction(format!(
        "{at}: no function \"{given}\" (functions: {})",
        if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_faults_fire_in_order_and_count_down() {
        let plan = LambdaFaults::default();
        plan.lock().push(LambdaEntry {
            id: 1,
            function: "f".into(),
            fault: Fault::Crash,
            trigger: Trigger::Next(2),
            attempts: 0,
            fired: 0,
        });
        plan.lock().push(LambdaEntry {
            id: 2,
            function: "f".into(),
            fault: Fault::Timeout,
            trigger: Trigger::Rate(0.5),
            attempts: 0,
            fired: 0,
        });
        let seen: Vec<Option<Fault>> = (0..6).map(|_| plan.fault_for("f")).collect();
        assert_eq!(
            seen,
            [
                Some(Fault::Crash),
                Some(Fault::Crash),
                None,
                Some(Fault::Timeout),
                None,
                Some(Fault::Timeout)
            ]
        );
        assert_eq!(plan.fault_for("g"), None);
        let views: Vec<Value> = plan.lock().iter().map(LambdaEntry::view).collect();
        assert_eq!(
            views[0],
            json!({"id": 1, "function": "f", "fault": "crash", "count": 2, "remaining": 0, "attempts": 2, "fired": 2})
        );
        assert_eq!(
            views[1],
            json!({"id": 2, "function": "f", "fault": "timeout", "rate": 0.5, "attempts": 4, "fired": 2})
        );
    }
}
