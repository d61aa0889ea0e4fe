//! The routing tables: per bus, the compiled patterns of its rules in a
//! [`RuleIndex`] and each rule's state and targets, rebuilt from the store at
//! start and kept in step with it by every API write.

use std::collections::HashMap;

use eventbus::RuleIndex;
use eventbus::model::{Rule, RuleState, Target};
use eventbus::{EventPattern, delivery::DeliveryJob, delivery::JobError};
use serde_json::Value;

use crate::store::eventbridge::{RuleRecord, TargetRecord};

/// A rule as routing needs it.
#[derive(Debug, Clone)]
pub struct RouteRule {
    /// Rule ARN.
    pub arn: String,
    /// The rule with its targets (engine model).
    pub rule: Rule,
}

/// One bus's rules.
#[derive(Default)]
pub struct BusRoutes {
    /// Compiled patterns by rule name (rules with a pattern only).
    pub index: RuleIndex<String>,
    /// Every rule by name.
    pub rules: HashMap<String, RouteRule>,
}

/// Every bus's rules, by bus name.
#[derive(Default)]
pub struct Routing {
    /// Buses that exist, with their rules.
    pub buses: HashMap<String, BusRoutes>,
}

/// Converts a stored target into the engine's model (its JSON columns are in the API shape).
pub fn target_from_record(t: &TargetRecord) -> Target {
    let parse = |text: &Option<String>| {
        text.as_deref()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
    };
    Target {
        id: t.id.clone(),
        arn: t.arn.clone(),
        role_arn: t.role_arn.clone(),
        input: t.input.clone(),
        input_path: t.input_path.clone(),
        input_transformer: parse(&t.input_transformer).and_then(|v| serde_json::from_value(v).ok()),
        retry_policy: parse(&t.retry_policy).and_then(|v| serde_json::from_value(v).ok()),
        dead_letter_config: parse(&t.dead_letter_config)
            .and_then(|v| serde_json::from_value(v).ok()),
    }
}

/// Converts an engine target into its store record.
pub fn target_to_record(bus: &str, rule: &str, t: &Target) -> TargetRecord {
    let text = |v: Option<Value>| v.map(|v| v.to_string());
    TargetRecord {
        bus_name: bus.to_owned(),
        rule_name: rule.to_owned(),
        id: t.id.clone(),
        arn: t.arn.clone(),
        role_arn: t.role_arn.clone(),
        input: t.input.clone(),
        input_path: t.input_path.clone(),
        input_transformer: text(
            t.input_transformer
                .as_ref()
                .and_then(|x| serde_json::to_value(x).ok()),
        ),
        retry_policy: text(
            t.retry_policy
                .as_ref()
                .and_then(|x| serde_json::to_value(x).ok()),
        ),
        dead_letter_config: text(
            t.dead_letter_config
                .as_ref()
                .and_then(|x| serde_json::to_value(x).ok()),
        ),
        extra: None,
    }
}

/// The engine rule of a stored rule and its targets.
pub fn rule_from_record(r: &RuleRecord, targets: &[TargetRecord]) -> Rule {
    Rule {
        name: r.name.clone(),
        event_bus_name: r.bus_name.clone(),
        event_pattern: r.event_pattern.clone(),
        schedule_expression: r.schedule_expression.clone(),
        state: parse_state(&r.state),
        description: r.description.clone(),
        role_arn: r.role_arn.clone(),
        targets: targets.iter().map(target_from_record).collect(),
    }
}

/// `ENABLED` / `DISABLED` / `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
pub fn parse_state(text: &str) -> RuleState {
    serde_json::from_value(Value::String(text.to_owned())).unwrap_or_default()
}

/// The wire name of a state.
pub fn state_name(state: RuleState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "ENABLED".to_owned())
}

impl Routing {
    /// Adds or replaces a rule (keeping its targets when `rule.targets` is to be kept by the caller).
    pub fn put_rule(&mut self, arn: String, rule: Rule) {
        let bus = self.buses.entry(rule.event_bus_name.clone()).or_default();
        let compiled = rule
            .event_pattern
            .as_deref()
            .and_then(|p| EventPattern::parse(p).ok());
        match compiled {
            Some(pattern) => bus.index.insert(rule.name.clone(), pattern),
            None => {
                bus.index.remove(&rule.name);
            }
        }
        bus.rules.insert(rule.name.clone(), RouteRule { arn, rule });
    }

    /// Removes a rule.
    pub fn remove_rule(&mut self, bus: &str, name: &str) {
        if let Some(b) = self.buses.get_mut(bus) {
            b.index.remove(&name.to_owned());
            b.rules.remove(name);
        }
    }

    /// A rule, mutable (state and targets change in place).
    pub fn rule_mut(&mut self, bus: &str, name: &str) -> Option<&mut RouteRule> {
        self.buses.get_mut(bus)?.rules.get_mut(name)
    }

    /// The delivery jobs `event` causes on `bus`: for every enabled rule whose
    /// pattern matches, one per target (or the reason its input cannot be made).
    pub fn jobs_for_event(
        &self,
        bus: &str,
        event: &Value,
        ingestion: chrono::DateTime<chrono::Utc>,
    ) -> Vec<(String, String, Result<DeliveryJob, JobError>)> {
        let Some(routes) = self.buses.get(bus) else {
            return Vec::new();
        };
        let mut names: Vec<&String> = routes.index.matching_rules(event).collect();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            let Some(route) = routes.rules.get(name) else {
                continue;
            };
            if !route.rule.state.is_enabled() {
                continue;
            }
            let jobs = eventbus::delivery::jobs_for_rule(&route.rule, &route.arn, event, ingestion);
            for (target, job) in route.rule.targets.iter().zip(jobs) {
                out.push((name.clone(), target.id.clone(), job));
            }
        }
        out
    }
}
