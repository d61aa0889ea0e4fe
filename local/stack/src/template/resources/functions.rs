//! `AWS::Serverless::Function` / `AWS::Lambda::Function` into a [`FunctionModel`].

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

pub(super) fn event_invoke_config(p: &Props<'_>) -> Result<EventInvokeConfigModel, TemplateError> {
    let destination = |which: &str| -> Result<Option<String>, TemplateError> {
        let Some(config) = p.object("DestinationConfig")? else {
            return Ok(None);
        };
        let Some(dest) = config.object(which)? else {
            return Ok(None);
        };
        dest.only(&["Destination", "Type"], &[])?;
        match dest.string("Destination")? {
            Some(arn) => Ok(Some(arn)),
            None => Err(dest.err(
                "Destination",
                "is required locally (the local stack does not generate destination resources)",
            )),
        }
    };
    Ok(EventInvokeConfigModel {
        maximum_retry_attempts: p.u32("MaximumRetryAttempts", 0, 2)?,
        maximum_event_age_in_seconds: p.u32("MaximumEventAgeInSeconds", 60, 21_600)?,
        on_success: destination("OnSuccess")?,
        on_failure: destination("OnFailure")?,
    })
}

pub(super) fn function(r: &Resolver<'_>, decl: &Decl) -> Result<FunctionModel, TemplateError> {
    let id = decl.id.as_str();
    let sam = decl.kind == "AWS::Serverless::Function";
    let p = Props::new(id, "", eval_props(r, decl, &["Events"])?);
    if sam {
        p.only(
            &[
                "FunctionName",
                "Handler",
                "Runtime",
                "CodeUri",
                "Environment",
                "Timeout",
                "MemorySize",
                "Architectures",
                "Events",
                "DeadLetterQueue",
                "EventInvokeConfig",
                "LoggingConfig",
                "Policies",
                "Role",
                "ReservedConcurrentExecutions",
                "PackageType",
            ],
            &[
                "Description",
                "Tags",
                "Tracing",
                "KmsKeyArn",
                "PermissionsBoundary",
                "VpcConfig",
                "RuntimeManagementConfig",
                "SnapStart",
                "EphemeralStorage",
                "AutoPublishAlias",
                "ProvisionedConcurrencyConfig",
                "RecursiveLoop",
                "PropagateTags",
                "DeploymentPreference",
                "AutoPublishCodeSha256",
                "VersionDescription",
                "AssumeRolePolicyDocument",
                "Layers",
            ],
        )?;
    } else {
        p.only(
            &[
                "FunctionName",
                "Handler",
                "Runtime",
                "Code",
                "Environment",
                "Timeout",
                "MemorySize",
                "Architectures",
                "DeadLetterConfig",
                "LoggingConfig",
                "Role",
                "ReservedConcurrentExecutions",
                "PackageType",
            ],
            &[
                "Description",
                "Tags",
                "TracingConfig",
                "KmsKeyArn",
                "VpcConfig",
                "RuntimeManagementConfig",
                "SnapStart",
                "EphemeralStorage",
                "RecursiveLoop",
                "Layers",
            ],
        )?;
    }
    if let Some(Value::Array(layers)) = p.get("Layers")
        && !layers.is_empty()
    {
        return Err(p.err("Layers", "layers are not supported by the local stack"));
    }
    if let Some(kind) = p.string("PackageType")?
        && kind != "Zip"
    {
        return Err(p.err("PackageType", "only Zip packages run locally (no Docker)"));
    }
    let environment = match p.object("Environment")? {
        Some(env) => {
            env.only(&["Variables"], &[])?;
            env.string_map("Variables")?
        }
        None => BTreeMap::new(),
    };
    let name = physical(r, id);
    let (log_group, log_format, application_log_level, system_log_level) =
        match p.object("LoggingConfig")? {
            Some(logging) => {
                logging.only(
                    &[
                        "LogGroup",
                        "LogFormat",
                        "ApplicationLogLevel",
                        "SystemLogLevel",
                    ],
                    &[],
                )?;
                let format = logging
                    .string("LogFormat")?
                    .unwrap_or_else(|| "Text".into());
                if format != "Text" && format != "JSON" {
                    return Err(logging.err("LogFormat", "must be Text or JSON"));
                }
                (
                    logging
                        .string("LogGroup")?
                        .unwrap_or_else(|| format!("/aws/lambda/{name}")),
                    format,
                    logging.string("ApplicationLogLevel")?,
                    logging.string("SystemLogLevel")?,
                )
            }
            None => (format!("/aws/lambda/{name}"), "Text".into(), None, None),
        };
    let dead_letter_arn = match p.object(if sam {
        "DeadLetterQueue"
    } else {
        "DeadLetterConfig"
    })? {
        Some(dlq) => {
            if sam {
                dlq.only(&["Type", "TargetArn"], &[])?;
                if dlq.string("Type")?.as_deref() == Some("SNS") {
                    return Err(dlq.err(
                        "Type",
                        "SNS dead-letter queues are not supported by the local stack",
                    ));
                }
            } else {
                dlq.only(&["TargetArn"], &[])?;
            }
            dlq.string("TargetArn")?
        }
        None => None,
    };
    let event_invoke_config = match p.object("EventInvokeConfig")? {
        Some(config) => {
            config.only(
                &[
                    "MaximumRetryAttempts",
                    "MaximumEventAgeInSeconds",
                    "DestinationConfig",
                ],
                &[],
            )?;
            Some(event_invoke_config(&config)?)
        }
        None => None,
    };
    let role_arn = match p.string("Role")? {
        Some(role) => role,
        None => attribute(r, &format!("{id}Role"), "Arn"),
    };
    let build_properties = obj(decl.metadata.get("BuildProperties"));
    let architectures = match p.get("Architectures") {
        Some(Value::Array(items)) => items.iter().filter_map(text_of).collect(),
        _ => vec!["x86_64".to_owned()],
    };
    Ok(FunctionModel {
        logical_id: id.to_owned(),
        arn: attribute(r, id, "Arn"),
        name,
        handler: p.string("Handler")?,
        runtime: p.string("Runtime")?,
        code_uri: if sam { p.string("CodeUri")? } else { None },
        build_method: decl.metadata.get("BuildMethod").and_then(text_of),
        binary: build_properties.get("Binary").and_then(text_of),
        environment,
        timeout_seconds: p.u32("Timeout", 1, 900)?.unwrap_or(3),
        memory_mb: p.u32("MemorySize", 128, 10_240)?.unwrap_or(128),
        architectures,
        log_group,
        log_format,
        application_log_level,
        system_log_level,
        description: p.string("Description")?,
        reserved_concurrency: p.u32("ReservedConcurrentExecutions", 0, 1000)?,
        event_invoke_config,
        dead_letter_arn,
        role_arn,
        policies: p.get("Policies").cloned(),
    })
}
