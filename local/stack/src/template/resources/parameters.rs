//! CloudFormation's inputs: pseudo parameters, `Parameters` (types, constraints, overrides) and
//! `Conditions`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::*;

pub(super) fn pseudo_parameters(options: &TemplateOptions) -> BTreeMap<String, Value> {
    let stack_id_suffix = {
        let digest = Md5::digest(options.stack_name.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    };
    let mut pseudo = BTreeMap::new();
    pseudo.insert("AWS::AccountId".into(), json!(options.account_id));
    pseudo.insert("AWS::Region".into(), json!(options.region));
    pseudo.insert("AWS::Partition".into(), json!("aws"));
    pseudo.insert("AWS::StackName".into(), json!(options.stack_name));
    pseudo.insert(
        "AWS::StackId".into(),
        json!(format!(
            "arn:aws:cloudformation:{}:{}:stack/{}/{stack_id_suffix}",
            options.region, options.account_id, options.stack_name
        )),
    );
    pseudo.insert("AWS::URLSuffix".into(), json!("amazonaws.com"));
    pseudo.insert("AWS::NotificationARNs".into(), json!([]));
    pseudo
}

pub(super) fn parameters(
    root: &Map<String, Value>,
    options: &TemplateOptions,
) -> Result<BTreeMap<String, Value>, TemplateError> {
    let declared = obj(root.get("Parameters"));
    for key in options.parameter_overrides.keys() {
        if !declared.contains_key(key) {
            return Err(TemplateError::Parameter {
                name: key.clone(),
                message: "is not declared in the template's Parameters".into(),
            });
        }
    }
    let mut out = BTreeMap::new();
    for (name, spec) in &declared {
        let perr = |message: String| TemplateError::Parameter {
            name: name.clone(),
            message,
        };
        let Value::Object(spec) = spec else {
            return Err(perr("must be a mapping".into()));
        };
        let kind = spec.get("Type").and_then(Value::as_str).unwrap_or("String");
        if kind.starts_with("AWS::SSM::Parameter") {
            return Err(perr(format!(
                "type {kind} reads SSM Parameter Store, which the local stack does not serve; give a value with --parameter-overrides and a String type"
            )));
        }
        let value = match options.parameter_overrides.get(name) {
            Some(v) => v.clone(),
            None => match spec.get("Default") {
                Some(d) => text_of(d)
                    .or_else(|| {
                        d.as_array().map(|items| {
                            items
                                .iter()
                                .filter_map(text_of)
                                .collect::<Vec<_>>()
                                .join(",")
                        })
                    })
                    .ok_or_else(|| perr("Default must be a string".into()))?,
                None => {
                    return Err(perr(
                        "has no Default; give it with --parameter-overrides".into(),
                    ));
                }
            },
        };
        if let Some(Value::Array(allowed)) = spec.get("AllowedValues") {
            let allowed: Vec<String> = allowed.iter().filter_map(text_of).collect();
            if !allowed.contains(&value) {
                return Err(perr(format!(
                    "value '{value}' is not one of the AllowedValues [{}]",
                    allowed.join(", ")
                )));
            }
        }
        if let Some(pattern) = spec.get("AllowedPattern").and_then(Value::as_str) {
            let re = regex::Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| perr(format!("AllowedPattern is not a valid pattern: {e}")))?;
            if !re.is_match(&value) {
                return Err(perr(format!(
                    "value '{value}' does not match the AllowedPattern {pattern}"
                )));
            }
        }
        let length = value.chars().count() as u64;
        if let Some(min) = spec
            .get("MinLength")
            .and_then(|v| text_of(v)?.parse::<u64>().ok())
            && length < min
        {
            return Err(perr(format!("value is shorter than MinLength {min}")));
        }
        if let Some(max) = spec
            .get("MaxLength")
            .and_then(|v| text_of(v)?.parse::<u64>().ok())
            && length > max
        {
            return Err(perr(format!("value is longer than MaxLength {max}")));
        }
        let resolved = match kind {
            "Number" => {
                let n: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| perr(format!("value '{value}' is not a Number")))?;
                if let Some(min) = spec
                    .get("MinValue")
                    .and_then(|v| text_of(v)?.parse::<f64>().ok())
                    && n < min
                {
                    return Err(perr(format!("value {value} is below MinValue {min}")));
                }
                if let Some(max) = spec
                    .get("MaxValue")
                    .and_then(|v| text_of(v)?.parse::<f64>().ok())
                    && n > max
                {
                    return Err(perr(format!("value {value} is above MaxValue {max}")));
                }
                // Ref to a Number parameter gives its text, as CloudFormation does.
                Value::String(value)
            }
            "CommaDelimitedList" | "List<Number>" | "List<String>" => Value::Array(
                value
                    .split(',')
                    .map(|s| Value::String(s.trim().to_owned()))
                    .collect(),
            ),
            _ => Value::String(value),
        };
        out.insert(name.clone(), resolved);
    }
    Ok(out)
}

pub(super) fn evaluate_conditions(
    r: &mut Resolver<'_>,
    conditions: &Map<String, Value>,
) -> Result<(), TemplateError> {
    let mut pending: Vec<(&String, &Value)> = conditions.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut still = Vec::new();
        for (name, expr) in pending {
            match r.ctx().condition(expr) {
                Ok(v) => {
                    r.conditions.insert(name.clone(), v);
                }
                Err(EvalError::Pending(_)) => still.push((name, expr)),
                Err(EvalError::Invalid(message)) => {
                    return Err(TemplateError::Condition {
                        name: name.clone(),
                        message,
                    });
                }
            }
        }
        if still.len() == before {
            let names: Vec<&str> = still.iter().map(|(n, _)| n.as_str()).collect();
            return Err(TemplateError::Condition {
                name: names.join(", "),
                message: "refers to a condition that does not exist, or conditions refer to each other in a cycle".into(),
            });
        }
        pending = still;
    }
    Ok(())
}
