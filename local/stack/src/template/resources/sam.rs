//! The SAM transform: `Globals`, and the resources SAM generates from a function's or a state
//! machine's `Events` (rules, their targets and permissions).

use serde_json::{Map, Value, json};

use super::*;

/// SAM Globals: maps merge (the resource wins), lists add, scalars are replaced.
pub(super) fn merge_globals(
    globals: &Map<String, Value>,
    local: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = globals.clone();
    for (k, v) in local {
        let merged = match (out.get(k), v) {
            (Some(Value::Object(g)), Value::Object(l)) => Value::Object(merge_globals(g, l)),
            (Some(Value::Array(g)), Value::Array(l)) => {
                Value::Array(g.iter().chain(l.iter()).cloned().collect())
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), merged);
    }
    out
}

pub(super) const SAM_RULE_EVENT_KEYS: &[&str] = &[
    "Pattern",
    "EventBusName",
    "Input",
    "InputPath",
    "InputTransformer",
    "RetryPolicy",
    "DeadLetterConfig",
    "Target",
    "RuleName",
    "State",
    "Enabled",
];

pub(super) const SAM_SCHEDULE_EVENT_KEYS: &[&str] = &[
    "Schedule",
    "Name",
    "Description",
    "Input",
    "Enabled",
    "State",
    "RetryPolicy",
    "DeadLetterConfig",
    "Target",
];

/// What SAM generates: execution roles, the rules behind `Events`, and the
/// dead-letter queues asked for with `DeadLetterConfig.Type: SQS`.
pub(super) fn expand_sam(
    decl: &Decl,
    all: &[Decl],
    out: &mut Vec<Decl>,
) -> Result<(), TemplateError> {
    let (target_suffix, target_arn) = match decl.kind.as_str() {
        "AWS::Serverless::Function" => ("LambdaTarget", json!({"Fn::GetAtt": [decl.id, "Arn"]})),
        "AWS::Serverless::StateMachine" => ("StepFunctionsTarget", json!({"Ref": decl.id})),
        _ => return Ok(()),
    };
    fn exists(all: &[Decl], out: &[Decl], id: &str) -> bool {
        all.iter().chain(out.iter()).any(|d| d.id == id)
    }
    if !decl.properties.contains_key("Role") {
        let role_id = format!("{}Role", decl.id);
        if !exists(all, out, &role_id) {
            out.push(Decl {
                id: role_id,
                kind: "AWS::IAM::Role".into(),
                properties: Map::new(),
                metadata: Map::new(),
                origin: RuleOrigin::Resource,
            });
        }
    }
    let events = match decl.properties.get("Events") {
        None => return Ok(()),
        Some(Value::Object(events)) => events.clone(),
        Some(_) => {
            return Err(TemplateError::resource(
                &decl.id,
                "Events",
                "must be a mapping",
            ));
        }
    };
    for (event, spec) in &events {
        let path = format!("Events.{event}");
        let Value::Object(spec) = spec else {
            return Err(TemplateError::resource(
                &decl.id,
                &path,
                "must be a mapping",
            ));
        };
        let kind = spec.get("Type").and_then(Value::as_str).unwrap_or("");
        let props = obj(spec.get("Properties"));
        let allowed = match kind {
            "EventBridgeRule" | "CloudWatchEvent" => SAM_RULE_EVENT_KEYS,
            "Schedule" => SAM_SCHEDULE_EVENT_KEYS,
            other => {
                return Err(TemplateError::resource(
                    &decl.id,
                    &format!("{path}.Type"),
                    format!(
                        "event source type '{other}' is not supported by the local stack (EventBridgeRule, CloudWatchEvent and Schedule are)"
                    ),
                ));
            }
        };
        for key in props.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(TemplateError::resource(
                    &decl.id,
                    &format!("{path}.Properties.{key}"),
                    "is not supported by the local stack",
                ));
            }
        }
        let rule_id = format!("{}{event}", decl.id);
        let target_id = props
            .get("Target")
            .and_then(|t| t.get("Id"))
            .cloned()
            .unwrap_or_else(|| json!(format!("{rule_id}{target_suffix}")));
        let mut target = Map::new();
        target.insert("Id".into(), target_id);
        target.insert("Arn".into(), target_arn.clone());
        for key in ["Input", "InputPath", "InputTransformer", "RetryPolicy"] {
            if let Some(v) = props.get(key) {
                target.insert(key.into(), v.clone());
            }
        }
        if let Some(Value::Object(dlq)) = props.get("DeadLetterConfig") {
            let arn = if let Some(arn) = dlq.get("Arn") {
                arn.clone()
            } else if dlq.get("Type").and_then(Value::as_str) == Some("SQS") {
                let queue_id = dlq
                    .get("QueueLogicalId")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("{rule_id}Queue"), str::to_owned);
                if !exists(all, out, &queue_id) {
                    out.push(Decl {
                        id: queue_id.clone(),
                        kind: "AWS::SQS::Queue".into(),
                        properties: Map::new(),
                        metadata: Map::new(),
                        origin: RuleOrigin::Resource,
                    });
                }
                json!({"Fn::GetAtt": [queue_id, "Arn"]})
            } else {
                return Err(TemplateError::resource(
                    &decl.id,
                    &format!("{path}.Properties.DeadLetterConfig"),
                    "needs Arn, or Type: SQS",
                ));
            };
            target.insert("DeadLetterConfig".into(), json!({ "Arn": arn }));
        }
        let mut rule = Map::new();
        if let Some(name) = props.get("RuleName").or_else(|| props.get("Name")) {
            rule.insert("Name".into(), name.clone());
        }
        if let Some(bus) = props.get("EventBusName") {
            rule.insert("EventBusName".into(), bus.clone());
        }
        if let Some(pattern) = props.get("Pattern") {
            rule.insert("EventPattern".into(), pattern.clone());
        }
        if let Some(schedule) = props.get("Schedule") {
            rule.insert("ScheduleExpression".into(), schedule.clone());
        }
        if let Some(description) = props.get("Description") {
            rule.insert("Description".into(), description.clone());
        }
        let state = match (props.get("State"), props.get("Enabled")) {
            (Some(state), _) => state.clone(),
            (None, Some(Value::Bool(false))) => json!("DISABLED"),
            _ => json!("ENABLED"),
        };
        rule.insert("State".into(), state);
        rule.insert("Targets".into(), Value::Array(vec![Value::Object(target)]));
        let origin = if decl.kind == "AWS::Serverless::Function" {
            RuleOrigin::FunctionEvent {
                function: decl.id.clone(),
                event: event.clone(),
            }
        } else {
            RuleOrigin::StateMachineEvent {
                state_machine: decl.id.clone(),
                event: event.clone(),
            }
        };
        out.push(Decl {
            id: rule_id,
            kind: "AWS::Events::Rule".into(),
            properties: rule,
            metadata: Map::new(),
            origin,
        });
    }
    Ok(())
}
