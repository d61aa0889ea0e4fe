//! Callbacks: SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;

use super::ensure_runner;
use super::{MAX_PAYLOAD, StepFunctionsService, store_error};
use crate::protocol::error::AwsError;
use crate::protocol::operation::{Check, Operation, Validate};
use crate::services::stepfunctions::model::{CallbackAction, RunnerMessage};
use crate::store::stepfunctions as records;

/// Tokens are 1..=2048 characters (API reference); AWS does not repeat them in the message.
fn check_token(check: &mut Check, token: &str) {
    check.secret_length("taskToken", Some(token), 1, 2048);
}

/// Tokens this stack issues: `AQ` + 56 hex digits (see asl). Anything else cannot be one of
/// ours, which AWS answers with `InvalidToken`.
fn well_formed(token: &str) -> bool {
    token.len() == 58
        && token.starts_with("AQ")
        && token[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn task_timed_out() -> AwsError {
    AwsError::client(
        "TaskTimedOut",
        "Task Timed Out: 'Provided task does not exist anymore'",
    )
}

#[derive(Debug, Serialize)]
pub struct Empty {}

async fn callback(
    svc: &StepFunctionsService,
    token: String,
    action: CallbackAction,
) -> Result<Empty, AwsError> {
    if !well_formed(&token) {
        // AWS decodes the token first; a string of the wrong size fails with "Invalid Length".
        let message = if token.len() == 58 {
            "Invalid Token"
        } else {
            "Invalid Length"
        };
        return Err(AwsError::client("InvalidToken", message));
    }
    let key = token.clone();
    let record = svc
        .stack
        .store
        .call(move |c| records::get_task_token(c, &key))
        .await
        .map_err(store_error)?;
    let Some(record) = record else {
        return Err(AwsError::client(
            "TaskDoesNotExist",
            "Task does not exist: the token was not issued by this stack",
        ));
    };
    if record.status != "WAITING" {
        return Err(task_timed_out());
    }
    ensure_runner(svc, &record.execution_arn).await?;
    let (reply, rx) = oneshot::channel();
    let sent = svc.send_to_runner(
        &record.execution_arn,
        RunnerMessage::Callback {
            token,
            action,
            reply,
        },
    );
    if !sent {
        return Err(task_timed_out());
    }
    rx.await.map_err(|_| task_timed_out())??;
    Ok(Empty {})
}

// ----- SendTaskSuccess ----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSuccessInput {
    task_token: String,
    output: String,
}

impl Validate for TaskSuccessInput {
    fn validate(&self, check: &mut Check) {
        check_token(check, &self.task_token);
    }
}

pub struct SendTaskSuccess;

impl Operation<StepFunctionsService> for SendTaskSuccess {
    const NAME: &'static str = "SendTaskSuccess";
    type Input = TaskSuccessInput;
    type Output = Empty;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: TaskSuccessInput,
    ) -> Result<Empty, AwsError> {
        if input.output.len() > MAX_PAYLOAD {
            return Err(AwsError::client(
                "InvalidOutput",
                format!(
                    "Invalid Output: 'The output is larger than the maximum size of {MAX_PAYLOAD} bytes'"
                ),
            ));
        }
        let output: Value = serde_json::from_str(&input.output)
            .map_err(|e| AwsError::client("InvalidOutput", format!("Invalid Output: '{e}'")))?;
        callback(&svc, input.task_token, CallbackAction::Success(output)).await
    }
}

// ----- SendTaskFailure ----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskFailureInput {
    task_token: String,
    error: Option<String>,
    cause: Option<String>,
}

impl Validate for TaskFailureInput {
    fn validate(&self, check: &mut Check) {
        check_token(check, &self.task_token);
        check.secret_length("error", self.error.as_deref(), 0, 256);
        check.secret_length("cause", self.cause.as_deref(), 0, 32768);
    }
}

pub struct SendTaskFailure;

impl Operation<StepFunctionsService> for SendTaskFailure {
    const NAME: &'static str = "SendTaskFailure";
    type Input = TaskFailureInput;
    type Output = Empty;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: TaskFailureInput,
    ) -> Result<Empty, AwsError> {
        callback(
            &svc,
            input.task_token,
            CallbackAction::Failure {
                error: input.error,
                cause: input.cause,
            },
        )
        .await
    }
}

// ----- SendTaskHeartbeat --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskHeartbeatInput {
    task_token: String,
}

impl Validate for TaskHeartbeatInput {
    fn validate(&self, check: &mut Check) {
        check_token(check, &self.task_token);
    }
}

pub struct SendTaskHeartbeat;

impl Operation<StepFunctionsService> for SendTaskHeartbeat {
    const NAME: &'static str = "SendTaskHeartbeat";
    type Input = TaskHeartbeatInput;
    type Output = Empty;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: TaskHeartbeatInput,
    ) -> Result<Empty, AwsError> {
        callback(&svc, input.task_token, CallbackAction::Heartbeat).await
    }
}
