//! Function and service configuration: what the template loader hands the
//! Lambda service, and the service-wide settings of the local stack.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::error::LambdaError;

/// `LoggingConfig.LogFormat` of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Plain text: `START`, `END` and `REPORT` lines.
    #[default]
    Text,
    /// JSON: `platform.start` / `platform.report` records instead of the text lines,
    /// and `AWS_LAMBDA_LOG_FORMAT=JSON` in the function's environment.
    Json,
}

impl LogFormat {
    /// The name the Lambda API uses (`Text` / `JSON`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "Text",
            LogFormat::Json => "JSON",
        }
    }
}

/// Asynchronous invocation settings (`EventInvokeConfig` / `DeadLetterConfig`).
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncInvokeConfig {
    /// `MaximumRetryAttempts`, 0..=2; AWS's default is 2.
    pub maximum_retry_attempts: u32,
    /// `MaximumEventAgeInSeconds`, 60..=21600; AWS's default is 6 hours.
    pub maximum_event_age: Duration,
    /// `DeadLetterConfig.TargetArn` (an SQS queue or SNS topic ARN).
    pub dead_letter_target_arn: Option<String>,
    /// `DestinationConfig.OnFailure.Destination`.
    pub on_failure_destination: Option<String>,
    /// `DestinationConfig.OnSuccess.Destination`.
    pub on_success_destination: Option<String>,
}

impl Default for AsyncInvokeConfig {
    fn default() -> Self {
        Self {
            maximum_retry_attempts: 2,
            maximum_event_age: Duration::from_secs(21_600),
            dead_letter_target_arn: None,
            on_failure_destination: None,
            on_success_destination: None,
        }
    }
}

/// One function as the template declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionConfig {
    /// `FunctionName` (1–64 characters of `[a-zA-Z0-9-_]`).
    pub name: String,
    /// The executable started as the function's runtime (the `bootstrap`).
    pub executable: PathBuf,
    /// Arguments passed to the executable (empty for a Rust `bootstrap`).
    pub args: Vec<String>,
    /// `Environment.Variables` of the template.
    pub environment: BTreeMap<String, String>,
    /// `Timeout`, 1..=900 seconds (AWS's default is 3).
    pub timeout: Duration,
    /// `MemorySize` in MB, 128..=10240 (AWS's default is 128).
    pub memory_mb: u32,
    /// `Handler` (`bootstrap` for the `provided` runtimes).
    pub handler: String,
    /// `Runtime`, e.g. `provided.al2023`.
    pub runtime: String,
    /// `Description`.
    pub description: String,
    /// `Role` ARN, reported by GetFunction only.
    pub role: String,
    /// `Architectures`, e.g. `x86_64`.
    pub architecture: String,
    /// `ReservedConcurrentExecutions`; `None` uses the service's per-function limit.
    pub reserved_concurrency: Option<u32>,
    /// `LoggingConfig.LogFormat`.
    pub log_format: LogFormat,
    /// `LoggingConfig.LogGroup`; `None` means `/aws/lambda/<name>`.
    pub log_group: Option<String>,
    /// `LoggingConfig.ApplicationLogLevel` (JSON format only).
    pub application_log_level: Option<String>,
    /// `LoggingConfig.SystemLogLevel` (JSON format only).
    pub system_log_level: Option<String>,
    /// Asynchronous invocation settings.
    pub async_config: AsyncInvokeConfig,
    /// `Tags`.
    pub tags: BTreeMap<String, String>,
}

impl FunctionConfig {
    /// A function with AWS's defaults (3 s timeout, 128 MB, `provided.al2023`).
    pub fn new(name: impl Into<String>, executable: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            executable: executable.into(),
            args: Vec::new(),
            environment: BTreeMap::new(),
            timeout: Duration::from_secs(3),
            memory_mb: 128,
            handler: "bootstrap".to_owned(),
            runtime: "provided.al2023".to_owned(),
            description: String::new(),
            role: String::new(),
            architecture: "x86_64".to_owned(),
            reserved_concurrency: None,
            log_format: LogFormat::Text,
            log_group: None,
            application_log_level: None,
            system_log_level: None,
            async_config: AsyncInvokeConfig::default(),
            tags: BTreeMap::new(),
        }
    }

    /// The log group the function writes to.
    pub fn log_group_name(&self) -> String {
        self.log_group
            .clone()
            .unwrap_or_else(|| format!("/aws/lambda/{}", self.name))
    }

    /// Checks the limits CreateFunction enforces, with its error messages.
    pub fn validate(&self) -> Result<(), LambdaError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(LambdaError::Validation(format!(
                "1 validation error detected: Value '{}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+",
                self.name
            )));
        }
        let secs = self.timeout.as_secs();
        if !(1..=900).contains(&secs) || self.timeout.subsec_nanos() != 0 {
            return Err(LambdaError::Validation(format!(
                "1 validation error detected: Value '{}' at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900",
                self.timeout.as_secs_f64()
            )));
        }
        if !(128..=10_240).contains(&self.memory_mb) {
            return Err(LambdaError::Validation(format!(
                "1 validation error detected: Value '{}' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240",
                self.memory_mb
            )));
        }
        if self.async_config.maximum_retry_attempts > 2 {
            return Err(LambdaError::Validation(format!(
                "1 validation error detected: Value '{}' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2",
                self.async_config.maximum_retry_attempts
            )));
        }
        let reserved: Vec<&str> = self
            .environment
            .keys()
            .map(String::as_str)
            .filter(|k| RESERVED_ENVIRONMENT_KEYS.contains(k))
            .collect();
        if !reserved.is_empty() {
            // The message CreateFunction / UpdateFunctionConfiguration return.
            return Err(LambdaError::InvalidParameterValue(format!(
                "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: {}",
                reserved.join(", ")
            )));
        }
        Ok(())
    }
}

/// Keys Lambda reserves ("Defined runtime environment variables"); a function
/// cannot set them.
pub const RESERVED_ENVIRONMENT_KEYS: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// What a synchronous invocation does when every allowed instance is busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConcurrencyPolicy {
    /// Wait for a free instance. Not what AWS does, but what a local stack on
    /// a 2-core machine needs so a burst is slowed down instead of failed.
    #[default]
    Queue,
    /// Fail at once with `TooManyRequestsException` (429), as AWS does when
    /// the function's reserved concurrency is exhausted.
    Throttle,
}

/// Service-wide settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaConfig {
    /// `AWS_REGION` of the stack.
    pub region: String,
    /// Account id used in ARNs.
    pub account_id: String,
    /// `AWS_ENDPOINT_URL` handed to functions, pointing back at the stack.
    pub endpoint_url: String,
    /// Instances per function when it has no reserved concurrency.
    pub default_concurrency: u32,
    /// Behaviour beyond the concurrency limit for synchronous invocations.
    pub concurrency_policy: ConcurrencyPolicy,
    /// Waits before the first and the second asynchronous retry
    /// (AWS: one minute, then two minutes).
    pub async_retry_delays: [Duration; 2],
    /// Limit of the init phase (AWS: 10 seconds).
    pub init_timeout: Duration,
    /// Largest synchronous request and response payload (AWS: 6 MB).
    pub max_sync_payload: usize,
    /// Largest asynchronous request payload.
    pub max_async_payload: usize,
    /// Credentials handed to functions (dummies: nothing checks them locally).
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

impl Default for LambdaConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".to_owned(),
            account_id: "000000000000".to_owned(),
            endpoint_url: "http://127.0.0.1:4566".to_owned(),
            default_concurrency: 16,
            concurrency_policy: ConcurrencyPolicy::Queue,
            async_retry_delays: [Duration::from_secs(60), Duration::from_secs(120)],
            init_timeout: Duration::from_secs(10),
            max_sync_payload: SYNC_PAYLOAD_LIMIT,
            max_async_payload: ASYNC_PAYLOAD_LIMIT,
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
            session_token: "local-session-token".to_owned(),
        }
    }
}

/// 6 MB: Invoke's request and response limit for synchronous invocations.
pub const SYNC_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;
/// 1 MB: the asynchronous invocation request limit (Invoke API reference;
/// it was 256 KB before AWS raised it in 2025).
pub const ASYNC_PAYLOAD_LIMIT: usize = 1024 * 1024;
