//! `AWS::Events::Rule` into a [`RuleModel`] (targets, retry policies, dead-letter queues).

use serde_json::Value;

use super::names::bus_name;
use super::*;

pub(super) fn rule(r: &Resolver<'_>, decl: &Decl) -> Result<RuleModel, TemplateError> {
    let id = decl.id.as_str();
    let p = Props::new(id, "", eval_props(r, decl, &[])?);
    p.only(
        &[
            "Name",
            "EventBusName",
            "EventPattern",
            "ScheduleExpression",
            "State",
            "Description",
            "Targets",
            "RoleArn",
        ],
        &["Tags"],
    )?;
    let event_pattern = match p.get("EventPattern") {
        None => None,
        Some(Value::String(text)) => Some(
            serde_json::from_str::<Value>(text)
                .map_err(|e| p.err("EventPattern", format!("is not JSON: {e}")))?,
        ),
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err(p.err("EventPattern", "must be a JSON object")),
    };
    let schedule_expression = p.string("ScheduleExpression")?;
    if event_pattern.is_none() && schedule_expression.is_none() {
        return Err(p.err(
            "EventPattern",
            "a rule needs an EventPattern or a ScheduleExpression",
        ));
    }
    let state = p.string("State")?.unwrap_or_else(|| "ENABLED".into());
    if ![
        "ENABLED",
        "DISABLED",
        "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
    ]
    .contains(&state.as_str())
    {
        return Err(p.err("State", "must be ENABLED or DISABLED"));
    }
    let event_bus_name = p
        .string("EventBusName")?
        .map_or_else(|| "default".to_owned(), |b| bus_name(&b));
    let mut targets = Vec::new();
    if let Some(list) = p.get("Targets") {
        let Value::Array(list) = list else {
            return Err(p.err("Targets", "must be a list"));
        };
        if list.len() > 5 {
            return Err(p.err("Targets", "a rule has at most 5 targets"));
        }
        for (i, t) in list.iter().enumerate() {
            let Value::Object(t) = t else {
                return Err(p.err(&format!("Targets[{i}]"), "must be a mapping"));
            };
            let t = Props::new(id, &p.path(&format!("Targets[{i}]")), t.clone());
            t.only(
                &[
                    "Id",
                    "Arn",
                    "RoleArn",
                    "Input",
                    "InputPath",
                    "InputTransformer",
                    "RetryPolicy",
                    "DeadLetterConfig",
                ],
                &["SqsParameters"],
            )?;
            let input = match t.get("Input") {
                None => None,
                Some(Value::String(s)) => {
                    serde_json::from_str::<Value>(s)
                        .map_err(|e| t.err("Input", format!("must be valid JSON text: {e}")))?;
                    Some(s.clone())
                }
                // SAM accepts a mapping and writes it as JSON text.
                Some(v) => Some(v.to_string()),
            };
            let input_transformer = match t.object("InputTransformer")? {
                Some(x) => {
                    x.only(&["InputPathsMap", "InputTemplate"], &[])?;
                    Some(InputTransformerModel {
                        input_paths_map: x.string_map("InputPathsMap")?,
                        input_template: x
                            .string("InputTemplate")?
                            .ok_or_else(|| x.err("InputTemplate", "is required"))?,
                    })
                }
                None => None,
            };
            let set = [
                input.is_some(),
                t.get("InputPath").is_some(),
                input_transformer.is_some(),
            ];
            if set.iter().filter(|b| **b).count() > 1 {
                return Err(t.err(
                    "Input",
                    "Input, InputPath and InputTransformer are mutually exclusive",
                ));
            }
            let retry_policy = match t.object("RetryPolicy")? {
                Some(rp) => {
                    rp.only(&["MaximumRetryAttempts", "MaximumEventAgeInSeconds"], &[])?;
                    Some(RetryPolicyModel {
                        maximum_retry_attempts: rp.u32("MaximumRetryAttempts", 0, 185)?,
                        maximum_event_age_in_seconds: rp.u32(
                            "MaximumEventAgeInSeconds",
                            60,
                            86_400,
                        )?,
                    })
                }
                None => None,
            };
            let dead_letter_arn = match t.object("DeadLetterConfig")? {
                Some(d) => {
                    d.only(&["Arn"], &[])?;
                    d.string("Arn")?
                }
                None => None,
            };
            targets.push(TargetModel {
                id: t.string("Id")?.ok_or_else(|| t.err("Id", "is required"))?,
                arn: t
                    .string("Arn")?
                    .ok_or_else(|| t.err("Arn", "is required"))?,
                role_arn: t.string("RoleArn")?,
                input,
                input_path: t.string("InputPath")?,
                input_transformer,
                retry_policy,
                dead_letter_arn,
            });
        }
    }
    let name = r
        .values
        .get(id)
        .and_then(|v| v.reference.as_str())
        .map(|reference| {
            reference
                .rsplit_once('|')
                .map_or(reference, |(_, n)| n)
                .to_owned()
        })
        .unwrap_or_default();
    Ok(RuleModel {
        logical_id: id.to_owned(),
        name,
        arn: attribute(r, id, "Arn"),
        event_bus_name,
        event_pattern,
        schedule_expression,
        state,
        description: p.string("Description")?,
        targets,
        origin: decl.origin.clone(),
    })
}
