//! How a registered function reads in the API: [`FunctionConfiguration`] (ListFunctions,
//! GetFunctionConfiguration) and [`GetFunctionOutput`] (GetFunction).

use std::collections::BTreeMap;

use serde::Serialize;

use super::config::LogFormat;
use super::function::Function;

/// `FunctionConfiguration` of the Lambda API (ListFunctions, GetFunction).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionConfiguration {
    pub function_name: String,
    pub function_arn: String,
    pub runtime: String,
    pub role: String,
    pub handler: String,
    pub code_size: u64,
    pub description: String,
    pub timeout: u64,
    pub memory_size: u32,
    pub last_modified: String,
    pub code_sha256: String,
    pub version: String,
    pub environment: EnvironmentResponse,
    pub tracing_config: serde_json::Value,
    pub revision_id: String,
    pub state: String,
    pub last_update_status: String,
    pub package_type: String,
    pub architectures: Vec<String>,
    pub ephemeral_storage: serde_json::Value,
    pub snap_start: serde_json::Value,
    pub logging_config: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentResponse {
    pub variables: BTreeMap<String, String>,
}

/// GetFunction's output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetFunctionOutput {
    pub configuration: FunctionConfiguration,
    pub code: serde_json::Value,
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<serde_json::Value>,
}

impl Function {
    /// Its `FunctionConfiguration` (ListFunctions, GetFunction, GetFunctionConfiguration).
    pub(super) fn configuration(&self) -> FunctionConfiguration {
        let c = &self.config;
        let mut logging = serde_json::json!({
            "LogFormat": c.log_format.as_str(),
            "LogGroup": c.log_group_name(),
        });
        if c.log_format == LogFormat::Json {
            logging["ApplicationLogLevel"] = serde_json::json!(
                c.application_log_level
                    .clone()
                    .unwrap_or_else(|| "INFO".into())
            );
            logging["SystemLogLevel"] =
                serde_json::json!(c.system_log_level.clone().unwrap_or_else(|| "INFO".into()));
        }
        FunctionConfiguration {
            function_name: c.name.clone(),
            function_arn: self.arn.clone(),
            runtime: c.runtime.clone(),
            role: c.role.clone(),
            handler: c.handler.clone(),
            code_size: self.code_size,
            description: c.description.clone(),
            timeout: c.timeout.as_secs(),
            memory_size: c.memory_mb,
            last_modified: self.last_modified.clone(),
            code_sha256: self.code_sha256.clone(),
            version: "$LATEST".into(),
            environment: EnvironmentResponse {
                variables: c.environment.clone(),
            },
            tracing_config: serde_json::json!({"Mode": "PassThrough"}),
            revision_id: self.revision_id.clone(),
            state: "Active".into(),
            last_update_status: "Successful".into(),
            package_type: "Zip".into(),
            architectures: vec![c.architecture.clone()],
            ephemeral_storage: serde_json::json!({"Size": 512}),
            snap_start: serde_json::json!({"ApplyOn": "None", "OptimizationStatus": "Off"}),
            logging_config: logging,
            dead_letter_config: c
                .async_config
                .dead_letter_target_arn
                .as_ref()
                .map(|arn| serde_json::json!({"TargetArn": arn})),
        }
    }

    /// Its GetFunction output.
    pub(super) fn get_function_output(&self) -> GetFunctionOutput {
        GetFunctionOutput {
            configuration: self.configuration(),
            code: serde_json::json!({
                "RepositoryType": "S3",
                "Location": format!("file://{}", self.config.executable.display()),
            }),
            tags: self.config.tags.clone(),
            concurrency: self
                .config
                .reserved_concurrency
                .map(|n| serde_json::json!({"ReservedConcurrentExecutions": n})),
        }
    }
}
