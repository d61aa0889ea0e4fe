//! application-intake Lambda: starts the onboarding workflow **once per
//! application**.
//!
//! EventBridge delivers an event at least once, so the same **New account
//! requested** can arrive twice; an accounts system may also put the same
//! application again. A rule that targets the state machine directly starts
//! one execution per delivery (EventBridge names them itself), and two
//! executions make two decisions for one application. This function is the
//! rule's target instead: it calls `StartExecution` with a name derived from
//! the application, and Step Functions refuses a second execution of that
//! name (StartExecution API reference: names are unique per state machine
//! for 90 days; the same name and input as a running execution returns that
//! execution, a closed one or another input gives `ExecutionAlreadyExists`).
//!
//! | execution name | when |
//! |---|---|
//! | the `applicationId` | a string of 1–80 characters from `0-9 A-Z a-z - _` (the characters a state machine with CloudWatch logging accepts) |
//! | `app-` + SHA-256 of the `applicationId`, hex | any other string `applicationId` |
//! | the event `id` | no string `applicationId` (EventBridge keeps the id of an event across its deliveries) |
//! | none (Step Functions generates one) | neither: an event invoked by hand without an id; logged |
//!
//! The execution input is the event exactly as delivered, so the workflow sees
//! what a rule target would have given it.
//!
//! | answer | result |
//! |---|---|
//! | started, or the running execution of the same name and input | [`IntakeResult::Started`] |
//! | `ExecutionAlreadyExists` | [`IntakeResult::Duplicate`]: logged and acknowledged |
//! | throttling, 429 / 5xx, network | `Retryable` error: Lambda's asynchronous retries, then the DLQ |
//! | any other refusal | `StartRejected` error: retried by Lambda too, then the DLQ keeps the application |
//! | not a New account requested | [`IntakeResult::Ignored`], logged |
//!
//! Entry point: [`handle`], generic over [`WorkflowStarter`] (implemented
//! for `aws_sdk_sfn::Client`).

// The lean build of the SDK (see the workspace Cargo.toml), under its usual name.
extern crate aws_sdk_sfn_lean as aws_sdk_sfn;

use std::future::Future;

use aws_sdk_sfn::Client;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use kyc_shared::sfn::{Classified, classify};
use kyc_shared::{DetailType, ErrorType};
use lambda_runtime_lean::Diagnostic;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Longest execution name (StartExecution API reference).
pub const MAX_EXECUTION_NAME_CHARS: usize = 80;

/// Prefix of a name made from a hashed `applicationId`.
pub const HASHED_NAME_PREFIX: &str = "app-";

/// What the function needs besides the client, read once in `main`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeSettings {
    /// `STATE_MACHINE_ARN`: the workflow to start.
    pub state_machine_arn: String,
}

/// A required variable is missing; the message names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the environment variable {0} is not set")]
pub struct MissingVariable(pub &'static str);

impl IntakeSettings {
    /// From the process environment.
    pub fn from_env() -> Result<Self, MissingVariable> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any variable lookup (`None` when unset; empty counts as unset).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, MissingVariable> {
        let state_machine_arn = var("STATE_MACHINE_ARN")
            .filter(|v| !v.trim().is_empty())
            .ok_or(MissingVariable("STATE_MACHINE_ARN"))?;
        Ok(IntakeSettings { state_machine_arn })
    }
}

/// Where the execution name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameSource {
    ApplicationId,
    HashedApplicationId,
    EventId,
}

impl NameSource {
    pub const fn as_str(self) -> &'static str {
        match self {
            NameSource::ApplicationId => "applicationId",
            NameSource::HashedApplicationId => "hashedApplicationId",
            NameSource::EventId => "eventId",
        }
    }
}

/// The deterministic execution name of an event, if it has one (see the
/// crate docs for the rules).
pub fn execution_name(event: &Value) -> Option<(String, NameSource)> {
    if let Some(id) = event
        .get("detail")
        .and_then(|d| d.get("applicationId"))
        .and_then(Value::as_str)
    {
        return Some(if is_plain_name(id) {
            (id.to_owned(), NameSource::ApplicationId)
        } else {
            (hashed_name(id), NameSource::HashedApplicationId)
        });
    }
    event
        .get("id")
        .and_then(Value::as_str)
        .map(|id| {
            if is_plain_name(id) {
                id.to_owned()
            } else {
                hashed_name(id)
            }
        })
        .map(|name| (name, NameSource::EventId))
}

/// 1–80 characters of `0-9 A-Z a-z - _`.
fn is_plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_EXECUTION_NAME_CHARS
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `app-` and the SHA-256 of `id` in lower-case hex (68 characters).
fn hashed_name(id: &str) -> String {
    let digest = Sha256::digest(id.as_bytes());
    let mut name = String::with_capacity(HASHED_NAME_PREFIX.len() + 64);
    name.push_str(HASHED_NAME_PREFIX);
    for byte in digest {
        name.push_str(&format!("{byte:02x}"));
    }
    name
}

/// A failed `StartExecution`, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    /// An execution of that name exists (closed, or running with other input).
    AlreadyExists,
    /// Transient: throttling, 429 / 5xx, timeout, connection failure.
    Retryable { code: String },
    /// Permanent for this request.
    Rejected { code: String },
}

/// The one Step Functions call the intake makes.
pub trait WorkflowStarter {
    /// Starts `state_machine_arn` with `input`, under `name` if given;
    /// answers the execution ARN.
    fn start_execution(
        &self,
        state_machine_arn: &str,
        name: Option<&str>,
        input: &str,
    ) -> impl Future<Output = Result<String, StartError>> + Send;
}

impl WorkflowStarter for Client {
    async fn start_execution(
        &self,
        state_machine_arn: &str,
        name: Option<&str>,
        input: &str,
    ) -> Result<String, StartError> {
        self.start_execution()
            .state_machine_arn(state_machine_arn)
            .set_name(name.map(str::to_owned))
            .input(input)
            .send()
            .await
            .map(|out| out.execution_arn().to_owned())
            .map_err(|e| {
                match classify(e, |e| {
                    matches!(e, StartExecutionError::ExecutionAlreadyExists(_)).then_some(())
                }) {
                    Classified::Known(()) => StartError::AlreadyExists,
                    Classified::Retryable { code } => StartError::Retryable { code },
                    Classified::Rejected { code } => StartError::Rejected { code },
                }
            })
    }
}

/// How an event was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeResult {
    /// The workflow runs for this application (started now, or the running
    /// execution of the same name and input).
    Started,
    /// The application already has an execution: acknowledged, nothing started.
    Duplicate,
    /// Not a New account requested event: acknowledged, nothing started.
    Ignored,
}

impl IntakeResult {
    pub const fn as_str(self) -> &'static str {
        match self {
            IntakeResult::Started => "STARTED",
            IntakeResult::Duplicate => "DUPLICATE",
            IntakeResult::Ignored => "IGNORED",
        }
    }
}

/// The handler's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeOutcome {
    pub result: IntakeResult,
    pub execution_name: Option<String>,
    pub execution_arn: Option<String>,
}

impl serde::Serialize for IntakeOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        json!({
            "result": self.result.as_str(),
            "executionName": self.execution_name,
            "executionArn": self.execution_arn,
        })
        .serialize(s)
    }
}

/// Errors returned to Lambda (asynchronous invocation: retried, then the DLQ).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// `Retryable`.
    #[error("StartExecution failed with {code}; retrying may succeed")]
    Retryable { code: String },
    /// `StartRejected`.
    #[error("StartExecution was rejected with {code}")]
    Rejected { code: String },
}

impl IntakeError {
    /// The Lambda `errorType`.
    pub fn error_type(&self) -> ErrorType {
        match self {
            IntakeError::Retryable { .. } => ErrorType::Retryable,
            IntakeError::Rejected { .. } => ErrorType::StartRejected,
        }
    }
}

impl From<IntakeError> for Diagnostic {
    fn from(e: IntakeError) -> Self {
        Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}

/// The Lambda handler.
pub async fn handle<C: WorkflowStarter>(
    event: &Value,
    settings: &IntakeSettings,
    sfn: &C,
) -> Result<IntakeOutcome, IntakeError> {
    let detail_type = event.get("detail-type").and_then(Value::as_str);
    if detail_type != Some(DetailType::NewAccountRequested.as_str()) {
        tracing::warn!(
            detail_type = detail_type.unwrap_or(""),
            "intake_event_ignored"
        );
        return Ok(IntakeOutcome {
            result: IntakeResult::Ignored,
            execution_name: None,
            execution_arn: None,
        });
    }
    let named = execution_name(event);
    if named.is_none() {
        tracing::warn!("intake_event_without_id");
    }
    let name = named.as_ref().map(|(n, _)| n.as_str());
    let source = named.as_ref().map(|(_, s)| s.as_str()).unwrap_or("none");
    // The event as delivered: serde_json keeps the object's key order (the
    // workspace enables preserve_order), so this is the same JSON text.
    let input = event.to_string();
    match sfn
        .start_execution(&settings.state_machine_arn, name, &input)
        .await
    {
        Ok(execution_arn) => {
            tracing::info!(
                execution_name = name.unwrap_or(""),
                name_source = source,
                "workflow_started"
            );
            Ok(IntakeOutcome {
                result: IntakeResult::Started,
                execution_name: name.map(str::to_owned),
                execution_arn: Some(execution_arn),
            })
        }
        Err(StartError::AlreadyExists) => {
            tracing::warn!(
                execution_name = name.unwrap_or(""),
                name_source = source,
                "duplicate_application"
            );
            Ok(IntakeOutcome {
                result: IntakeResult::Duplicate,
                execution_name: name.map(str::to_owned),
                execution_arn: None,
            })
        }
        Err(StartError::Retryable { code }) => {
            tracing::error!(code = %code, "start_retryable");
            Err(IntakeError::Retryable { code })
        }
        Err(StartError::Rejected { code }) => {
            tracing::error!(code = %code, "start_rejected");
            Err(IntakeError::Rejected { code })
        }
    }
}

#[cfg(test)]
mod tests;
