//! What the template declares that runs locally, fully resolved.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// The resolved stack.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackModel {
    /// `AWS::StackName`.
    pub stack_name: String,
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account_id: String,
    /// Parameter values in effect (defaults and overrides).
    pub parameters: BTreeMap<String, Value>,
    /// Conditions and their values.
    pub conditions: BTreeMap<String, bool>,
    /// Custom event buses (the `default` bus always exists and is not listed).
    pub event_buses: Vec<EventBusModel>,
    /// Rules: explicit `AWS::Events::Rule`s and those SAM generates from `Events`.
    pub rules: Vec<RuleModel>,
    /// Lambda functions.
    pub functions: Vec<FunctionModel>,
    /// State machines.
    pub state_machines: Vec<StateMachineModel>,
    /// Log groups.
    pub log_groups: Vec<LogGroupModel>,
    /// SQS queues (explicit and SAM-generated dead-letter queues).
    pub queues: Vec<QueueModel>,
    /// Resources read but not executed locally (IAM, permissions, policies).
    pub not_run: Vec<NotRunResource>,
    /// IAM roles and policies, and resource policies, with their properties resolved: what the
    /// permission plane (`crate::permissions`) evaluates. SAM's generated roles appear with no
    /// properties; their policies come from the function's or state machine's `Policies`.
    pub policy_resources: Vec<PolicyResource>,
    /// Resolved outputs.
    pub outputs: BTreeMap<String, Value>,
    /// Things worth telling the user that do not stop the stack.
    pub warnings: Vec<String>,
}

/// A custom event bus.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventBusModel {
    /// Logical id.
    pub logical_id: String,
    /// Bus name.
    pub name: String,
    /// `arn:aws:events:<region>:<account>:event-bus/<name>`.
    pub arn: String,
    /// Description.
    pub description: Option<String>,
}

/// Where a rule came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RuleOrigin {
    /// An `AWS::Events::Rule` resource.
    Resource,
    /// An event source of a function (`Events.<name>`).
    FunctionEvent {
        /// Function logical id.
        function: String,
        /// Event name.
        event: String,
    },
    /// An event source of a state machine.
    StateMachineEvent {
        /// State machine logical id.
        state_machine: String,
        /// Event name.
        event: String,
    },
}

/// An EventBridge rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleModel {
    /// Logical id (SAM: `<Resource><EventName>`).
    pub logical_id: String,
    /// Rule name.
    pub name: String,
    /// Rule ARN.
    pub arn: String,
    /// Bus name (`default` unless set).
    pub event_bus_name: String,
    /// Event pattern, as JSON.
    pub event_pattern: Option<Value>,
    /// `rate(...)` / `cron(...)`.
    pub schedule_expression: Option<String>,
    /// `ENABLED` or `DISABLED`.
    pub state: String,
    /// Description.
    pub description: Option<String>,
    /// Targets.
    pub targets: Vec<TargetModel>,
    /// Where it was declared.
    pub origin: RuleOrigin,
}

/// A rule target.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetModel {
    /// Target id.
    pub id: String,
    /// Target ARN (function, state machine, log group, queue, bus).
    pub arn: String,
    /// Role EventBridge assumes (read, not enforced).
    pub role_arn: Option<String>,
    /// Constant input (JSON text).
    pub input: Option<String>,
    /// JSONPath of the event to send.
    pub input_path: Option<String>,
    /// Input transformer.
    pub input_transformer: Option<InputTransformerModel>,
    /// Retry policy.
    pub retry_policy: Option<RetryPolicyModel>,
    /// Dead-letter queue ARN.
    pub dead_letter_arn: Option<String>,
}

/// `InputTransformer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputTransformerModel {
    /// Variable name → JSONPath.
    pub input_paths_map: BTreeMap<String, String>,
    /// Template text.
    pub input_template: String,
}

/// `RetryPolicy` of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicyModel {
    /// 0..=185 (EventBridge default 185).
    pub maximum_retry_attempts: Option<u32>,
    /// 60..=86400 (default 86400).
    pub maximum_event_age_in_seconds: Option<u32>,
}

/// A Lambda function.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionModel {
    /// Logical id.
    pub logical_id: String,
    /// Function name.
    pub name: String,
    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub arn: String,
    /// Handler (informational for custom runtimes).
    pub handler: Option<String>,
    /// Runtime (`provided.al2023`, ...).
    pub runtime: Option<String>,
    /// `CodeUri`, relative to the template.
    pub code_uri: Option<String>,
    /// `Metadata.BuildMethod` (`rust-cargolambda`).
    pub build_method: Option<String>,
    /// `Metadata.BuildProperties.Binary`: the cargo binary to run.
    pub binary: Option<String>,
    /// Environment variables from the template (Globals merged).
    pub environment: BTreeMap<String, String>,
    /// Seconds (default 3).
    pub timeout_seconds: u32,
    /// MB (default 128).
    pub memory_mb: u32,
    /// `x86_64` or `arm64`.
    pub architectures: Vec<String>,
    /// Where its output goes (`/aws/lambda/<name>` unless `LoggingConfig.LogGroup`).
    pub log_group: String,
    /// `Text` or `JSON`.
    pub log_format: String,
    /// `LoggingConfig.ApplicationLogLevel`.
    pub application_log_level: Option<String>,
    /// `LoggingConfig.SystemLogLevel`.
    pub system_log_level: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// Reserved concurrency, when set.
    pub reserved_concurrency: Option<u32>,
    /// Asynchronous invocation settings.
    pub event_invoke_config: Option<EventInvokeConfigModel>,
    /// `DeadLetterQueue` / `DeadLetterConfig` target ARN.
    pub dead_letter_arn: Option<String>,
    /// Execution role ARN.
    pub role_arn: String,
    /// Policies as written (reported, not enforced).
    pub policies: Option<Value>,
}

/// Asynchronous invocation configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventInvokeConfigModel {
    /// 0..=2 (Lambda default 2).
    pub maximum_retry_attempts: Option<u32>,
    /// 60..=21600 (default 21600).
    pub maximum_event_age_in_seconds: Option<u32>,
    /// Destination ARN on success.
    pub on_success: Option<String>,
    /// Destination ARN on failure.
    pub on_failure: Option<String>,
}

/// A state machine.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateMachineModel {
    /// Logical id.
    pub logical_id: String,
    /// Name.
    pub name: String,
    /// `arn:aws:states:<region>:<account>:stateMachine:<name>`.
    pub arn: String,
    /// The ASL definition with substitutions applied.
    pub definition: Value,
    /// Where it came from (`DefinitionUri` path, or `inline`).
    pub definition_source: String,
    /// `STANDARD` or `EXPRESS`.
    pub state_machine_type: String,
    /// Execution role ARN.
    pub role_arn: String,
    /// Logging configuration.
    pub logging: Option<LoggingModel>,
    /// Policies as written (reported, not enforced).
    pub policies: Option<Value>,
}

/// State machine logging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggingModel {
    /// `ALL`, `ERROR`, `FATAL` or `OFF`.
    pub level: String,
    /// Whether input/output go into the log.
    pub include_execution_data: bool,
    /// Log group names.
    pub log_groups: Vec<String>,
}

/// A log group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroupModel {
    /// Logical id.
    pub logical_id: String,
    /// Name.
    pub name: String,
    /// `arn:aws:logs:<region>:<account>:log-group:<name>:*`.
    pub arn: String,
    /// Retention.
    pub retention_in_days: Option<i64>,
}

/// An SQS queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueModel {
    /// Logical id.
    pub logical_id: String,
    /// Name.
    pub name: String,
    /// `arn:aws:sqs:<region>:<account>:<name>`.
    pub arn: String,
    /// Queue URL.
    pub url: String,
    /// CreateQueue attributes.
    pub attributes: BTreeMap<String, String>,
}

/// An IAM or resource-policy resource, its properties resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyResource {
    /// Logical id.
    pub logical_id: String,
    /// Type (`AWS::IAM::Role`, `AWS::Logs::ResourcePolicy`, ...).
    pub resource_type: String,
    /// Physical id (a role's name, a policy's name).
    pub physical_id: String,
    /// `Arn` attribute, when the type has one (roles).
    pub arn: Option<String>,
    /// Resolved properties.
    pub properties: serde_json::Map<String, Value>,
}

/// A resource that is read and reported but does nothing locally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotRunResource {
    /// Logical id.
    pub logical_id: String,
    /// Type.
    pub resource_type: String,
    /// Why.
    pub reason: String,
}
