//! Rule-target faults: the entries in force (what was asked; EventBridge's
//! [`TargetFaults`](crate::services::events::TargetFaults) holds the live countdown),
//! how a requested one is checked and its rule resolved, and how one is listed.

use serde_json::{Value, json};

use super::error::{ControlError, invalid};
use super::plan::{TargetFaultSpec, trigger};
use crate::services::context::Context;
use crate::services::events::{InjectedError, TargetFault};
use crate::store::eventbridge;

/// A rule-target fault in force, as asked (the live countdown is in
/// [`TargetFaults`](crate::services::events::TargetFaults)).
#[derive(Debug, Clone)]
pub(super) struct TargetEntry {
    pub(super) id: u64,
    pub(super) bus: String,
    pub(super) rule: String,
    pub(super) target_id: String,
    count: Option<u32>,
    rate: Option<f64>,
    /// `fault: duplicate` (else attempts fail with `error`).
    duplicate: bool,
    error: InjectedError,
}

impl TargetEntry {
    /// The fault EventBridge applies for this entry.
    pub(super) fn fault(&self) -> TargetFault {
        match (self.count, self.rate) {
            (Some(n), _) if self.duplicate => TargetFault::DuplicateNext { remaining: n },
            (None, rate) if self.duplicate => TargetFault::DuplicateRate {
                rate: rate.unwrap_or(1.0),
            },
            (Some(n), _) => TargetFault::FailNext {
                remaining: n,
                error: self.error.clone(),
            },
            (None, rate) => TargetFault::FailRate {
                rate: rate.unwrap_or(1.0),
                error: self.error.clone(),
            },
        }
    }

    /// The entry as the control API lists it; `live` is what
    /// [`TargetFaults`](crate::services::events::TargetFaults) holds now (the `remaining` count).
    pub(super) fn view(&self, live: &[(String, String, TargetFault)]) -> Value {
        let mut v = json!({
            "id": self.id,
            "bus": self.bus,
            "rule": self.rule,
            "targetId": self.target_id,
            "fault": if self.duplicate { "duplicate" } else { "fail" },
        });
        if !self.duplicate {
            v["errorCode"] = json!(self.error.code);
            v["errorMessage"] = json!(self.error.message);
            v["retryable"] = json!(self.error.retryable);
        }
        let current = live
            .iter()
            .find(|(r, t, _)| *r == self.rule && *t == self.target_id)
            .map(|(_, _, f)| f);
        match (self.count, self.rate) {
            (Some(n), _) => {
                v["count"] = json!(n);
                v["remaining"] = json!(match current {
                    Some(TargetFault::FailNext { remaining, .. })
                    | Some(TargetFault::DuplicateNext { remaining }) => *remaining,
                    _ => 0,
                });
            }
            (None, rate) => v["rate"] = json!(rate.unwrap_or(1.0)),
        }
        v
    }
}

/// A requested rule-target fault, checked and its rule resolved (the id is set when it is added).
pub(super) async fn resolve_target(
    stack: &Context,
    at: &str,
    spec: &TargetFaultSpec,
) -> Result<TargetEntry, ControlError> {
    trigger(at, spec.count, spec.rate)?;
    let duplicate = match spec.fault.as_deref() {
        None | Some("fail") => false,
        Some("duplicate") => {
            if spec.error_code.is_some() || spec.error_message.is_some() || spec.retryable.is_some()
            {
                return Err(invalid(format!(
                    "{at}: errorCode, errorMessage and retryable go with fault \"fail\", not \"duplicate\""
                )));
            }
            true
        }
        Some(other) => {
            return Err(invalid(format!(
                "{at}: unknown fault \"{other}\" (expected fail or duplicate)"
            )));
        }
    };
    if spec
        .error_code
        .as_deref()
        .is_some_and(|c| c.trim().is_empty())
    {
        return Err(invalid(format!("{at}: errorCode must not be empty")));
    }
    let (bus, rule) = resolve_rule_target(stack, at, spec).await?;
    let defaults = InjectedError::throttled();
    Ok(TargetEntry {
        id: 0,
        bus,
        rule,
        target_id: spec.target_id.clone(),
        count: spec.count,
        rate: spec.rate,
        duplicate,
        error: InjectedError {
            retryable: spec.retryable.unwrap_or(true),
            code: spec.error_code.clone().unwrap_or(defaults.code),
            message: spec.error_message.clone().unwrap_or(defaults.message),
        },
    })
}

/// A rule (name or template logical id, on `bus` if given) that has the target → (bus, rule name).
async fn resolve_rule_target(
    stack: &Context,
    at: &str,
    spec: &TargetFaultSpec,
) -> Result<(String, String), ControlError> {
    if spec.rule.trim().is_empty() || spec.target_id.trim().is_empty() {
        return Err(invalid(format!(
            "{at}: rule and targetId must not be empty"
        )));
    }
    // A template logical id names the rule it generated.
    let mut name = spec.rule.clone();
    let mut bus = spec.bus.clone();
    if let Some(model) = stack.template.as_deref()
        && let Some(rule) = model.rules.iter().find(|r| r.logical_id == spec.rule)
    {
        name = rule.name.clone();
        bus = bus.or_else(|| Some(rule.event_bus_name.clone()));
    }
    let bus = bus.map(|b| b.rsplit('/').next().unwrap_or(&b).to_owned());
    let lookup = name.clone();
    let found = stack
        .store
        .call(move |c| {
            let mut found = Vec::new();
            for rule in eventbridge::list_all_rules(c)? {
                if rule.name == lookup {
                    let targets = eventbridge::list_targets(c, &rule.bus_name, &rule.name)?;
                    found.push((
                        rule.bus_name,
                        targets.into_iter().map(|t| t.id).collect::<Vec<_>>(),
                    ));
                }
            }
            Ok::<_, crate::store::StoreError>(found)
        })
        .await
        .map_err(|e| ControlError::Internal(format!("reading the rules: {e}")))?;
    let candidates: Vec<&(String, Vec<String>)> = found
        .iter()
        .filter(|(b, _)| bus.as_ref().is_none_or(|want| want == b))
        .collect();
    let (rule_bus, target_ids) = match candidates.as_slice() {
        [] => {
            return Err(ControlError::UnknownRuleTarget(match &bus {
                Some(bus) => format!("{at}: no rule \"{name}\" on event bus \"{bus}\""),
                None => format!("{at}: no rule \"{name}\""),
            }));
        }
        [one] => (&one.0, &one.1),
        several => {
            let buses: Vec<&str> = several.iter().map(|(b, _)| b.as_str()).collect();
            return Err(invalid(format!(
                "{at}: rule \"{name}\" exists on event buses {}; give bus",
                buses.join(", ")
            )));
        }
    };
    if !target_ids.contains(&spec.target_id) {
        return Err(ControlError::UnknownRuleTarget(format!(
            "{at}: rule \"{name}\" has no target \"{}\" (targets: {})",
            spec.target_id,
            target_ids.join(", ")
        )));
    }
    Ok((rule_bus.clone(), name))
}
