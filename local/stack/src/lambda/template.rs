//! `FunctionConfig` from the properties of an `AWS::Serverless::Function` or
//! `AWS::Lambda::Function` resource, once the template loader has resolved
//! their intrinsic functions. The loader knows where the executable is
//! (CodeUri → built binary); this module knows what Lambda does with the rest.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::config::{FunctionConfig, LogFormat};
use super::error::LambdaError;

fn invalid(property: &str, expected: &str) -> LambdaError {
    LambdaError::InvalidParameterValue(format!("{property}: {expected}"))
}

fn string(v: &Value, property: &str) -> Result<String, LambdaError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        _ => Err(invalid(property, "must be a string")),
    }
}

/// Integers may arrive as strings (`!Ref` of a Number parameter is a string).
fn integer(v: &Value, property: &str) -> Result<u64, LambdaError> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| invalid(property, "must be a non-negative integer"))
}

fn string_map(
    v: &Value,
    property: &str,
) -> Result<std::collections::BTreeMap<String, String>, LambdaError> {
    let Value::Object(map) = v else {
        return Err(invalid(property, "must be a map of strings"));
    };
    map.iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(invalid(&format!("{property}.{k}"), "must be a string")),
            };
            Ok((k.clone(), value))
        })
        .collect()
}

fn destination(v: &Value, property: &str) -> Result<Option<String>, LambdaError> {
    match v.get("Destination") {
        None | Some(Value::Null) => Ok(None),
        Some(d) => string(d, &format!("{property}.Destination")).map(Some),
    }
}

impl FunctionConfig {
    /// Builds a function from its resolved template properties (`Timeout`,
    /// `MemorySize`, `Handler`, `Runtime`, `Environment.Variables`,
    /// `ReservedConcurrentExecutions`, `LoggingConfig`, `DeadLetterQueue` (SAM) /
    /// `DeadLetterConfig` (CloudFormation), `EventInvokeConfig` (SAM),
    /// `Description`, `Role`, `Architectures`, `Tags`), checked as
    /// CreateFunction checks them. The error names the property.
    pub fn from_template_properties(
        name: &str,
        properties: &Value,
        executable: impl Into<PathBuf>,
    ) -> Result<Self, LambdaError> {
        let mut f = FunctionConfig::new(name, executable);
        let empty = serde_json::Map::new();
        let props = match properties {
            Value::Object(m) => m,
            Value::Null => &empty,
            _ => return Err(invalid("Properties", "must be a map")),
        };
        if let Some(v) = props.get("Timeout") {
            f.timeout = Duration::from_secs(integer(v, "Timeout")?);
        }
        if let Some(v) = props.get("MemorySize") {
            f.memory_mb = u32::try_from(integer(v, "MemorySize")?)
                .map_err(|_| invalid("MemorySize", "is too large"))?;
        }
        if let Some(v) = props.get("Handler") {
            f.handler = string(v, "Handler")?;
        }
        if let Some(v) = props.get("Runtime") {
            f.runtime = string(v, "Runtime")?;
        }
        if let Some(v) = props.get("Description") {
            f.description = string(v, "Description")?;
        }
        if let Some(v) = props.get("Role") {
            // An unresolved role (e.g. a GetAtt of an IAM role the stack does not run)
            // is only reported by GetFunction: keep what can be shown.
            f.role = v.as_str().map(str::to_owned).unwrap_or_default();
        }
        if let Some(vars) = props.get("Environment").and_then(|v| v.get("Variables")) {
            f.environment = string_map(vars, "Environment.Variables")?;
        }
        if let Some(v) = props.get("ReservedConcurrentExecutions") {
            f.reserved_concurrency = Some(
                u32::try_from(integer(v, "ReservedConcurrentExecutions")?)
                    .map_err(|_| invalid("ReservedConcurrentExecutions", "is too large"))?,
            );
        }
        if let Some(first) = props
            .get("Architectures")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            f.architecture = string(first, "Architectures")?;
        }
        if let Some(v) = props.get("Tags") {
            f.tags = string_map(v, "Tags")?;
        }
        if let Some(v) = props.get("LoggingConfig") {
            if let Some(format) = v.get("LogFormat") {
                f.log_format = match string(format, "LoggingConfig.LogFormat")?.as_str() {
                    "Text" => LogFormat::Text,
                    "JSON" => LogFormat::Json,
                    _ => return Err(invalid("LoggingConfig.LogFormat", "must be Text or JSON")),
                };
            }
            if let Some(group) = v.get("LogGroup") {
                f.log_group = Some(string(group, "LoggingConfig.LogGroup")?);
            }
            if let Some(level) = v.get("ApplicationLogLevel") {
                f.application_log_level = Some(string(level, "LoggingConfig.ApplicationLogLevel")?);
            }
            if let Some(level) = v.get("SystemLogLevel") {
                f.system_log_level = Some(string(level, "LoggingConfig.SystemLogLevel")?);
            }
        }
        // SAM: DeadLetterQueue {Type: SQS|SNS, TargetArn}; CloudFormation: DeadLetterConfig {TargetArn}.
        for property in ["DeadLetterQueue", "DeadLetterConfig"] {
            if let Some(v) = props.get(property) {
                let arn = v
                    .get("TargetArn")
                    .ok_or_else(|| invalid(property, "needs a TargetArn"))?;
                f.async_config.dead_letter_target_arn =
                    Some(string(arn, &format!("{property}.TargetArn"))?);
            }
        }
        if let Some(v) = props.get("EventInvokeConfig") {
            if let Some(n) = v.get("MaximumRetryAttempts") {
                f.async_config.maximum_retry_attempts =
                    u32::try_from(integer(n, "EventInvokeConfig.MaximumRetryAttempts")?).map_err(
                        |_| invalid("EventInvokeConfig.MaximumRetryAttempts", "is too large"),
                    )?;
            }
            if let Some(n) = v.get("MaximumEventAgeInSeconds") {
                let secs = integer(n, "EventInvokeConfig.MaximumEventAgeInSeconds")?;
                if !(60..=21_600).contains(&secs) {
                    return Err(invalid(
                        "EventInvokeConfig.MaximumEventAgeInSeconds",
                        "must be between 60 and 21600",
                    ));
                }
                f.async_config.maximum_event_age = Duration::from_secs(secs);
            }
            if let Some(d) = v.get("DestinationConfig") {
                if let Some(on_failure) = d.get("OnFailure") {
                    f.async_config.on_failure_destination =
                        destination(on_failure, "EventInvokeConfig.DestinationConfig.OnFailure")?;
                }
                if let Some(on_success) = d.get("OnSuccess") {
                    f.async_config.on_success_destination =
                        destination(on_success, "EventInvokeConfig.DestinationConfig.OnSuccess")?;
                }
            }
        }
        f.validate()?;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sam_properties_map_to_the_function() {
        let f = FunctionConfig::from_template_properties(
            "identity-check",
            &json!({
                "Handler": "bootstrap",
                "Runtime": "provided.al2023",
                "Timeout": "10",
                "MemorySize": 256,
                "Architectures": ["arm64"],
                "Environment": {"Variables": {"EVENT_BUS_NAME": "CentralEventBus", "RETRIES": 3}},
                "ReservedConcurrentExecutions": 5,
                "LoggingConfig": {"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"},
                "DeadLetterQueue": {"Type": "SQS", "TargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"},
                "EventInvokeConfig": {
                    "MaximumRetryAttempts": 1,
                    "MaximumEventAgeInSeconds": 120,
                    "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": "arn:aws:sqs:us-east-1:000000000000:failed"}}
                },
                "Tags": {"app": "kyc"}
            }),
            "/bin/identity-check",
        )
        .unwrap();
        assert_eq!(f.timeout, Duration::from_secs(10));
        assert_eq!(f.memory_mb, 256);
        assert_eq!(f.architecture, "arm64");
        assert_eq!(f.environment["EVENT_BUS_NAME"], "CentralEventBus");
        assert_eq!(f.environment["RETRIES"], "3");
        assert_eq!(f.reserved_concurrency, Some(5));
        assert_eq!(f.log_format, LogFormat::Json);
        assert_eq!(f.application_log_level.as_deref(), Some("DEBUG"));
        assert_eq!(
            f.async_config.dead_letter_target_arn.as_deref(),
            Some("arn:aws:sqs:us-east-1:000000000000:dlq")
        );
        assert_eq!(f.async_config.maximum_retry_attempts, 1);
        assert_eq!(f.async_config.maximum_event_age, Duration::from_secs(120));
        assert_eq!(
            f.async_config.on_failure_destination.as_deref(),
            Some("arn:aws:sqs:us-east-1:000000000000:failed")
        );
        assert_eq!(f.tags["app"], "kyc");
        assert_eq!(f.log_group_name(), "/aws/lambda/identity-check");
    }

    #[test]
    fn defaults_are_lambdas() {
        let f = FunctionConfig::from_template_properties("f", &json!({}), "/bin/f").unwrap();
        assert_eq!(f.timeout, Duration::from_secs(3));
        assert_eq!(f.memory_mb, 128);
        assert_eq!(f.async_config.maximum_retry_attempts, 2);
        assert_eq!(
            f.async_config.maximum_event_age,
            Duration::from_secs(21_600)
        );
    }

    #[test]
    fn bad_properties_are_named() {
        let cases = [
            (
                json!({"Timeout": "soon"}),
                "Timeout: must be a non-negative integer",
            ),
            (
                json!({"LoggingConfig": {"LogFormat": "XML"}}),
                "LoggingConfig.LogFormat: must be Text or JSON",
            ),
            (
                json!({"Environment": {"Variables": {"A": {"x": 1}}}}),
                "Environment.Variables.A: must be a string",
            ),
            (
                json!({"EventInvokeConfig": {"MaximumEventAgeInSeconds": 5}}),
                "EventInvokeConfig.MaximumEventAgeInSeconds: must be between 60 and 21600",
            ),
        ];
        for (props, message) in cases {
            let err = FunctionConfig::from_template_properties("f", &props, "/bin/f").unwrap_err();
            assert_eq!(err.to_string(), message);
        }
        let err = FunctionConfig::from_template_properties("f", &json!({"Timeout": 901}), "/bin/f")
            .unwrap_err();
        assert_eq!(err.code(), "ValidationException");
        assert!(err.to_string().contains("at 'timeout'"));
    }
}
