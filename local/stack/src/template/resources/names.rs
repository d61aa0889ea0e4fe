//! Physical names and attributes: the names CloudFormation generates for resources without one,
//! `Ref` and `Fn::GetAtt` values.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

/// A stable CloudFormation-style random suffix: same stack and logical id,
/// same name, so a state directory stays valid across restarts.
pub(super) fn suffix(stack: &str, logical_id: &str, upper_only: bool) -> String {
    const MIXED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let alphabet = if upper_only { UPPER } else { MIXED };
    let digest = Md5::digest(format!("{stack}/{logical_id}").as_bytes());
    digest
        .iter()
        .take(12)
        .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
        .collect()
}

pub(super) fn generated_name(
    stack: &str,
    logical_id: &str,
    max: usize,
    with_stack: bool,
    upper: bool,
) -> String {
    let tail = suffix(stack, logical_id, upper);
    let head = if with_stack {
        format!("{stack}-{logical_id}")
    } else {
        logical_id.to_owned()
    };
    let room = max.saturating_sub(tail.len() + 1);
    let head: String = head.chars().take(room).collect();
    format!("{head}-{tail}")
}

/// The name property of each type and how CloudFormation names it otherwise:
/// (property, max length, stack name in front, upper-case suffix).
pub(super) fn naming(kind: &str) -> (Option<&'static str>, usize, bool, bool) {
    match kind {
        "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
            (Some("FunctionName"), 64, true, false)
        }
        "AWS::Serverless::StateMachine" => (Some("Name"), 80, false, false),
        "AWS::StepFunctions::StateMachine" => (Some("StateMachineName"), 80, false, false),
        "AWS::Events::EventBus" => (Some("Name"), 256, true, true),
        "AWS::Events::Rule" => (Some("Name"), 64, true, true),
        "AWS::Logs::LogGroup" => (Some("LogGroupName"), 512, true, true),
        "AWS::SQS::Queue" => (Some("QueueName"), 80, true, true),
        "AWS::IAM::Role" => (Some("RoleName"), 64, true, true),
        _ => (None, 128, true, true),
    }
}

pub(super) fn bus_name(value: &str) -> String {
    value
        .rsplit_once(":event-bus/")
        .map_or(value, |(_, name)| name)
        .to_owned()
}

/// Gives every resource its physical name, `Ref` and attributes, retrying
/// those whose names depend on resources not named yet.
pub(super) fn assign_names(r: &mut Resolver<'_>, decls: &[Decl]) -> Result<(), TemplateError> {
    let mut pending: Vec<&Decl> = decls.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut still = Vec::new();
        for decl in pending {
            match name_one(r, decl) {
                Ok(values) => {
                    r.values.insert(decl.id.clone(), values);
                }
                Err(EvalError::Pending(_)) => still.push(decl),
                Err(EvalError::Invalid(message)) => {
                    let (property, _, _, _) = naming(&decl.kind);
                    return Err(TemplateError::resource(
                        &decl.id,
                        property.unwrap_or("Properties"),
                        message,
                    ));
                }
            }
        }
        if still.len() == before {
            let ids: Vec<&str> = still.iter().map(|d| d.id.as_str()).collect();
            return Err(TemplateError::resource(
                &ids.join(", "),
                "name",
                "the resources' names refer to each other in a cycle",
            ));
        }
        pending = still;
    }
    Ok(())
}

pub(super) fn name_one(r: &Resolver<'_>, decl: &Decl) -> Result<ResourceValues, EvalError> {
    let ctx = r.ctx();
    let (property, max, with_stack, upper) = naming(&decl.kind);
    let explicit = match property.and_then(|p| decl.properties.get(p)) {
        Some(v) => Some(ctx.eval_text(v, property.unwrap_or("name"))?),
        None => None,
    };
    let stack = &r.options.stack_name;
    let name = match explicit {
        Some(name) => name,
        None if decl.kind == "AWS::Events::EventBus" => {
            return Err(EvalError::Invalid("Name is required".into()));
        }
        None => generated_name(stack, &decl.id, max, with_stack, upper),
    };
    let mut attributes = BTreeMap::new();
    let reference = match decl.kind.as_str() {
        "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
            attributes.insert(
                "Arn".into(),
                json!(r.arn("lambda", &format!("function:{name}"))),
            );
            json!(name)
        }
        "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => {
            let arn = r.arn("states", &format!("stateMachine:{name}"));
            attributes.insert("Arn".into(), json!(arn));
            attributes.insert("Name".into(), json!(name));
            json!(arn)
        }
        "AWS::Events::EventBus" => {
            attributes.insert(
                "Arn".into(),
                json!(r.arn("events", &format!("event-bus/{name}"))),
            );
            attributes.insert("Name".into(), json!(name));
            json!(name)
        }
        "AWS::Events::Rule" => {
            let bus = match decl.properties.get("EventBusName") {
                Some(v) => bus_name(&ctx.eval_text(v, "EventBusName")?),
                None => "default".to_owned(),
            };
            let (arn, reference) = if bus == "default" {
                (r.arn("events", &format!("rule/{name}")), name.clone())
            } else {
                // "If the rule is on a custom event bus, Ref returns EventBusName|RuleName".
                (
                    r.arn("events", &format!("rule/{bus}/{name}")),
                    format!("{bus}|{name}"),
                )
            };
            attributes.insert("Arn".into(), json!(arn));
            json!(reference)
        }
        "AWS::Logs::LogGroup" => {
            attributes.insert(
                "Arn".into(),
                json!(r.arn("logs", &format!("log-group:{name}:*"))),
            );
            json!(name)
        }
        "AWS::SQS::Queue" => {
            let url = format!(
                "{}/{}/{name}",
                r.options.endpoint.trim_end_matches('/'),
                r.options.account_id
            );
            attributes.insert("Arn".into(), json!(r.arn("sqs", &name)));
            attributes.insert("QueueName".into(), json!(name));
            attributes.insert("QueueUrl".into(), json!(url));
            json!(url)
        }
        "AWS::IAM::Role" => {
            attributes.insert(
                "Arn".into(),
                json!(format!("arn:aws:iam::{}:role/{name}", r.options.account_id)),
            );
            attributes.insert(
                "RoleId".into(),
                json!(format!("AROA{}", suffix(stack, &decl.id, true))),
            );
            json!(name)
        }
        _ => json!(name),
    };
    Ok(ResourceValues {
        reference,
        attributes,
    })
}

pub(super) fn physical(r: &Resolver<'_>, id: &str) -> String {
    r.values
        .get(id)
        .and_then(|v| v.attributes.get("Name").or(Some(&v.reference)))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

pub(super) fn attribute(r: &Resolver<'_>, id: &str, attribute: &str) -> String {
    r.values
        .get(id)
        .and_then(|v| v.attributes.get(attribute))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}
