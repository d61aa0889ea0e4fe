//! `AWS::Serverless::StateMachine` / `AWS::StepFunctions::StateMachine` into a
//! [`StateMachineModel`], with `DefinitionSubstitutions`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

/// Replaces `${Name}` with `substitutions[Name]`; returns the names not found.
pub(super) fn substitute(
    text: &str,
    substitutions: &BTreeMap<String, String>,
) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut missing = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match substitutions.get(name) {
                    Some(v) => out.push_str(v),
                    None => {
                        missing.push(name.to_owned());
                        out.push_str("${");
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, missing)
}

pub(super) fn substitute_value(
    value: &Value,
    subs: &BTreeMap<String, String>,
    missing: &mut Vec<String>,
) -> Value {
    match value {
        Value::String(s) => {
            let (text, mut m) = substitute(s, subs);
            missing.append(&mut m);
            Value::String(text)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_value(v, subs, missing))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute_value(v, subs, missing)))
                .collect(),
        ),
        other => other.clone(),
    }
}

pub(super) fn state_machine(
    r: &Resolver<'_>,
    decl: &Decl,
    base_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<StateMachineModel, TemplateError> {
    let id = decl.id.as_str();
    let sam = decl.kind == "AWS::Serverless::StateMachine";
    // An inline definition is ASL, whose `${...}` belong to DefinitionSubstitutions,
    // not to CloudFormation: keep it out of intrinsic evaluation except its own intrinsics.
    let p = Props::new(id, "", eval_props(r, decl, &["Events"])?);
    if sam {
        p.only(
            &[
                "Name",
                "Definition",
                "DefinitionUri",
                "DefinitionSubstitutions",
                "Events",
                "Logging",
                "Policies",
                "Role",
                "Type",
            ],
            &[
                "Tags",
                "Tracing",
                "PermissionsBoundary",
                "RolePath",
                "AutoPublishAlias",
                "DeploymentPreference",
                "PropagateTags",
                "UseAliasAsEventTarget",
            ],
        )?;
    } else {
        p.only(
            &[
                "StateMachineName",
                "Definition",
                "DefinitionString",
                "DefinitionS3Location",
                "DefinitionSubstitutions",
                "LoggingConfiguration",
                "RoleArn",
                "StateMachineType",
            ],
            &["Tags", "TracingConfiguration", "EncryptionConfiguration"],
        )?;
        if p.get("DefinitionS3Location").is_some() {
            return Err(p.err(
                "DefinitionS3Location",
                "S3 is not served locally; use Definition or DefinitionString",
            ));
        }
    }
    let substitutions = p.string_map("DefinitionSubstitutions")?;
    let mut missing = Vec::new();
    let (definition, source) = if let Some(uri) = p.get("DefinitionUri").filter(|_| sam) {
        let Value::String(relative) = uri else {
            return Err(p.err(
                "DefinitionUri",
                "an S3 location is not served locally; use a file path",
            ));
        };
        let path = base_dir.join(relative);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            p.err(
                "DefinitionUri",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let (text, m) = substitute(&text, &substitutions);
        missing = m;
        let parsed = crate::template::yaml::parse(&text).map_err(|e| {
            p.err(
                "DefinitionUri",
                format!("{} is not JSON or YAML: {e}", path.display()),
            )
        })?;
        (parsed, relative.clone())
    } else if let Some(definition) = p.get("Definition") {
        (
            substitute_value(definition, &substitutions, &mut missing),
            "inline".to_owned(),
        )
    } else if let Some(text) = p.string("DefinitionString")? {
        let (text, m) = substitute(&text, &substitutions);
        missing = m;
        let parsed: Value = serde_json::from_str(&text)
            .map_err(|e| p.err("DefinitionString", format!("is not JSON: {e}")))?;
        (parsed, "inline".to_owned())
    } else {
        return Err(p.err(
            if sam { "DefinitionUri" } else { "Definition" },
            "a state machine needs a definition",
        ));
    };
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        warnings.push(format!(
            "state machine {id}: no DefinitionSubstitutions for {}; left as written",
            missing
                .iter()
                .map(|m| format!("${{{m}}}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !definition.is_object() {
        return Err(p.err(
            if sam { "DefinitionUri" } else { "Definition" },
            "the definition must be a JSON object",
        ));
    }
    let kind = p
        .string(if sam { "Type" } else { "StateMachineType" })?
        .unwrap_or_else(|| "STANDARD".into());
    if kind != "STANDARD" && kind != "EXPRESS" {
        return Err(p.err(
            if sam { "Type" } else { "StateMachineType" },
            "must be STANDARD or EXPRESS",
        ));
    }
    let logging = match p.object(if sam {
        "Logging"
    } else {
        "LoggingConfiguration"
    })? {
        Some(l) => {
            l.only(&["Level", "IncludeExecutionData", "Destinations"], &[])?;
            let level = l.string("Level")?.unwrap_or_else(|| "OFF".into());
            if !["ALL", "ERROR", "FATAL", "OFF"].contains(&level.as_str()) {
                return Err(l.err("Level", "must be ALL, ERROR, FATAL or OFF"));
            }
            let mut groups = Vec::new();
            if let Some(Value::Array(destinations)) = l.get("Destinations") {
                for (i, d) in destinations.iter().enumerate() {
                    let arn = d
                        .get("CloudWatchLogsLogGroup")
                        .and_then(|g| g.get("LogGroupArn"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            l.err(
                                &format!("Destinations[{i}]"),
                                "needs CloudWatchLogsLogGroup.LogGroupArn",
                            )
                        })?;
                    let name = arn
                        .split_once(":log-group:")
                        .map_or(arn, |(_, n)| n)
                        .trim_end_matches(":*");
                    groups.push(name.to_owned());
                }
            }
            Some(LoggingModel {
                level,
                include_execution_data: l.boolean("IncludeExecutionData")?.unwrap_or(false),
                log_groups: groups,
            })
        }
        None => None,
    };
    let role_arn = match p.string(if sam { "Role" } else { "RoleArn" })? {
        Some(role) => role,
        None => attribute(r, &format!("{id}Role"), "Arn"),
    };
    Ok(StateMachineModel {
        logical_id: id.to_owned(),
        name: physical(r, id),
        arn: attribute(r, id, "Arn"),
        definition,
        definition_source: source,
        state_machine_type: kind,
        role_arn,
        logging,
        policies: p.get("Policies").cloned(),
    })
}
