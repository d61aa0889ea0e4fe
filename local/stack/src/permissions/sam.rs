//! The policies SAM attaches to the roles it generates ("AWS SAM policy templates",
//! `AWS::Serverless::Function` `Policies`, `DeadLetterQueue`, `EventInvokeConfig`, `Tracing`;
//! `AWS::Serverless::StateMachine` `Policies`).
//!
//! `Policies` is a managed policy (name or ARN), an inline document, a policy template
//! (`{"LambdaInvokePolicy": {"FunctionName": ...}}`), or a list of them. Policy templates expand as
//! SAM defines them: `sam_policy_templates.json` is SAM's own definition file, copied unchanged
//! from aws-sam-translator 1.110.0 (`samtranslator/policy_templates_data/policy_templates.json`,
//! Apache License 2.0), so every template SAM knows expands the same way here.
//!
//! AWS managed policies are documents AWS owns; the ones SAM attaches to generated roles are
//! written out below from their published versions. A template naming any other managed policy is
//! reported: its permissions cannot be evaluated locally.

use std::sync::OnceLock;

use serde_json::{Map, Value, json};

/// A policy document with the name a report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedDocument {
    pub name: String,
    pub document: Value,
}

/// Pseudo parameters for `${AWS::Partition}` and friends.
#[derive(Debug, Clone)]
pub struct Pseudo {
    pub partition: String,
    pub region: String,
    pub account_id: String,
}

static TEMPLATES: OnceLock<Map<String, Value>> = OnceLock::new();

fn templates() -> &'static Map<String, Value> {
    TEMPLATES.get_or_init(|| {
        serde_json::from_str::<Value>(include_str!("sam_policy_templates.json"))
            .ok()
            .and_then(|v| v.get("Templates").and_then(Value::as_object).cloned())
            .unwrap_or_default()
    })
}

/// AWS managed policies SAM attaches (AWSLambdaBasicExecutionRole to every generated function
/// role; AWSXrayWriteOnlyAccess with `Tracing: Active`), and the Lambda ones templates commonly name.
fn managed(name: &str) -> Option<Value> {
    let statement = |actions: &[&str]| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    Some(match name {
        "AWSLambdaBasicExecutionRole" => statement(&[
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ]),
        "AWSXrayWriteOnlyAccess" | "AWSXRayDaemonWriteAccess" => statement(&[
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
            "xray:GetSamplingStatisticSummaries",
        ]),
        "AWSLambdaRole" => statement(&["lambda:InvokeFunction"]),
        _ => return None,
    })
}

/// The name of a managed policy from its name or ARN (`arn:aws:iam::aws:policy/service-role/X`).
pub fn managed_name(name_or_arn: &str) -> &str {
    name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
}

/// The document of an AWS managed policy, if the stack knows it.
pub fn managed_document(name_or_arn: &str) -> Option<Value> {
    if name_or_arn.starts_with("arn:") && !name_or_arn.contains(":iam::aws:policy/") {
        return None;
    }
    managed(managed_name(name_or_arn))
}

/// Expands a resource's `Policies` into documents; `owner` names them (`AppStateMachineRole`).
/// Problems (an unknown template, a managed policy the stack does not know) are returned beside the
/// documents: what they would grant is not evaluated.
pub fn expand_policies(
    owner: &str,
    policies: Option<&Value>,
    pseudo: &Pseudo,
) -> (Vec<NamedDocument>, Vec<String>) {
    let entries: Vec<&Value> = match policies {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
    };
    let mut documents = Vec::new();
    let mut problems = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let name = format!("{owner} Policies[{i}]");
        match entry {
            Value::String(managed_policy) => match managed_document(managed_policy) {
                Some(document) => documents.push(NamedDocument {
                    name: format!("{name} {}", managed_name(managed_policy)),
                    document,
                }),
                None => problems.push(format!(
                    "{name}: managed policy {managed_policy} is not known to the local stack; its permissions are not evaluated"
                )),
            },
            Value::Object(map) if map.contains_key("Statement") => documents.push(NamedDocument {
                name,
                document: entry.clone(),
            }),
            Value::Object(map) if map.len() == 1 => {
                let Some((template, args)) = map.iter().next() else {
                    continue;
                };
                match expand_template(template, args, pseudo) {
                    Ok(document) => documents.push(NamedDocument {
                        name: format!("{name} {template}"),
                        document,
                    }),
                    Err(problem) => problems.push(format!("{name}: {problem}")),
                }
            }
            _ => problems.push(format!("{name}: not a policy, a policy template or a managed policy")),
        }
    }
    (documents, problems)
}

/// One policy template with its arguments, as SAM expands it.
pub fn expand_template(template: &str, args: &Value, pseudo: &Pseudo) -> Result<Value, String> {
    let Some(definition) = templates().get(template) else {
        return Err(format!("{template} is not a SAM policy template"));
    };
    let parameters: Vec<&String> = definition
        .get("Parameters")
        .and_then(Value::as_object)
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    let args = match args {
        Value::Object(a) => a.clone(),
        // Templates without parameters take `{}`; SAM also accepts an empty string there.
        _ => Map::new(),
    };
    for p in &parameters {
        if !args.contains_key(p.as_str()) {
            return Err(format!("{template} needs the parameter {p}"));
        }
    }
    let body = definition
        .get("Definition")
        .cloned()
        .ok_or_else(|| format!("{template} has no definition"))?;
    let mut document = resolve(&body, &args, pseudo)?;
    if let Value::Object(d) = &mut document {
        d.entry("Version").or_insert(json!("2012-10-17"));
    }
    Ok(document)
}

/// Resolves the `Fn::Sub` and `Ref` a template definition uses, with the template's arguments.
fn resolve(value: &Value, args: &Map<String, Value>, pseudo: &Pseudo) -> Result<Value, String> {
    Ok(match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("Ref") => {
            let name = map.get("Ref").and_then(Value::as_str).unwrap_or("");
            match args.get(name) {
                Some(Value::String(s)) => Value::String(s.clone()),
                Some(other) => Value::String(other.to_string()),
                None => {
                    return Err(format!(
                        "the template refers to {name}, which it was not given"
                    ));
                }
            }
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("Fn::Sub") => {
            let (text, vars) = match map.get("Fn::Sub") {
                Some(Value::String(t)) => (t.clone(), Map::new()),
                Some(Value::Array(parts)) if parts.len() == 2 => (
                    parts[0].as_str().unwrap_or_default().to_owned(),
                    parts[1].as_object().cloned().unwrap_or_default(),
                ),
                _ => return Err("malformed Fn::Sub in a SAM policy template".to_owned()),
            };
            let mut values: Map<String, Value> = Map::new();
            for (k, v) in &vars {
                values.insert(k.clone(), resolve(v, args, pseudo)?);
            }
            Value::String(sub(&text, &values, pseudo))
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), resolve(v, args, pseudo)?);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| resolve(i, args, pseudo))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

fn sub(text: &str, values: &Map<String, Value>, pseudo: &Pseudo) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        let value = match name {
            "AWS::Partition" => pseudo.partition.clone(),
            "AWS::Region" => pseudo.region.clone(),
            "AWS::AccountId" => pseudo.account_id.clone(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            _ => match values.get(name) {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => format!("${{{name}}}"),
            },
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo() -> Pseudo {
        Pseudo {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
        }
    }

    #[test]
    fn every_sam_template_is_loaded() {
        // aws-sam-translator 1.110.0 defines 81 templates.
        assert_eq!(templates().len(), 81);
    }

    #[test]
    fn the_templates_the_project_uses_expand_as_sam_defines_them() {
        assert_eq!(
            expand_template(
                "LambdaInvokePolicy",
                &json!({"FunctionName": "app-risk-profile"}),
                &pseudo()
            )
            .unwrap(),
            json!({"Version": "2012-10-17", "Statement": [{"Action": ["lambda:InvokeFunction"], "Effect": "Allow",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:app-risk-profile*"}]})
        );
        assert_eq!(
            expand_template(
                "EventBridgePutEventsPolicy",
                &json!({"EventBusName": "CentralEventBus"}),
                &pseudo()
            )
            .unwrap()["Statement"][0]["Resource"],
            "arn:aws:events:us-east-1:123456789012:event-bus/CentralEventBus"
        );
        assert_eq!(
            expand_template(
                "StepFunctionsExecutionPolicy",
                &json!({"StateMachineName": "app-onboarding"}),
                &pseudo()
            )
            .unwrap()["Statement"][0],
            json!({"Action": ["states:StartExecution"], "Effect": "Allow",
                   "Resource": "arn:aws:states:us-east-1:123456789012:stateMachine:app-onboarding"})
        );
    }

    #[test]
    fn policies_of_every_form() {
        let (docs, problems) = expand_policies(
            "FnRole",
            Some(&json!([
                "AWSLambdaBasicExecutionRole",
                "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
                {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]},
                {"SQSSendMessagePolicy": {"QueueName": "q"}},
                {"NoSuchPolicy": {}},
                {"LambdaInvokePolicy": {}},
                "arn:aws:iam::123456789012:policy/mine",
                42
            ])),
            &pseudo(),
        );
        let names: Vec<&str> = docs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "FnRole Policies[0] AWSLambdaBasicExecutionRole",
                "FnRole Policies[1] AWSXrayWriteOnlyAccess",
                "FnRole Policies[2]",
                "FnRole Policies[3] SQSSendMessagePolicy"
            ]
        );
        assert_eq!(
            problems,
            [
                "FnRole Policies[4]: NoSuchPolicy is not a SAM policy template",
                "FnRole Policies[5]: LambdaInvokePolicy needs the parameter FunctionName",
                "FnRole Policies[6]: managed policy arn:aws:iam::123456789012:policy/mine is not known to the local stack; its permissions are not evaluated",
                "FnRole Policies[7]: not a policy, a policy template or a managed policy"
            ]
        );
        // A single managed policy or document is a list of one.
        let (docs, _) = expand_policies("R", Some(&json!("AWSLambdaRole")), &pseudo());
        assert_eq!(docs.len(), 1);
    }
}
