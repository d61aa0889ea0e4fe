//! The three Step Functions callback calls, behind a small trait, and the
//! classification of their errors.
//!
//! Classification follows the Step Functions API reference for
//! `SendTaskSuccess` / `SendTaskFailure` / `SendTaskHeartbeat`:
//! `TaskTimedOut` (the token expired or the task is already closed),
//! `TaskDoesNotExist` and `InvalidToken` mean the task cannot be completed
//! by anyone, so retrying is pointless ([`SfnCallError::TaskGone`]).
//! Throttling, HTTP 429 / 5xx and transport failures are transient
//! ([`SfnCallError::Retryable`]); anything else (access denied, invalid
//! output, KMS key disabled) is [`SfnCallError::Rejected`].

use std::future::Future;

use aws_sdk_sfn::Client;
use aws_sdk_sfn::config::http::HttpResponse;
use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::operation::send_task_failure::SendTaskFailureError;
use aws_sdk_sfn::operation::send_task_heartbeat::SendTaskHeartbeatError;
use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError;
use kyc_shared::sfn::Classified;

/// Why the task cannot be completed any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskGone {
    TaskTimedOut,
    TaskDoesNotExist,
    InvalidToken,
}

impl TaskGone {
    /// The AWS error name.
    pub const fn as_str(self) -> &'static str {
        match self {
            TaskGone::TaskTimedOut => "TaskTimedOut",
            TaskGone::TaskDoesNotExist => "TaskDoesNotExist",
            TaskGone::InvalidToken => "InvalidToken",
        }
    }
}

/// A failed callback call, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SfnCallError {
    /// The task is closed, unknown or the token is invalid: acknowledge.
    TaskGone(TaskGone),
    /// Transient: throttling, 429 / 5xx, timeout, connection failure.
    Retryable { code: String },
    /// Permanent for this request: access denied, invalid output, ...
    Rejected { code: String },
}

/// The Step Functions calls the completer makes.
pub trait TaskCallbacks {
    fn send_task_success(
        &self,
        task_token: &str,
        output: &str,
    ) -> impl Future<Output = Result<(), SfnCallError>> + Send;

    fn send_task_failure(
        &self,
        task_token: &str,
        error: &str,
        cause: &str,
    ) -> impl Future<Output = Result<(), SfnCallError>> + Send;

    fn send_task_heartbeat(
        &self,
        task_token: &str,
    ) -> impl Future<Output = Result<(), SfnCallError>> + Send;
}

impl TaskCallbacks for Client {
    async fn send_task_success(&self, task_token: &str, output: &str) -> Result<(), SfnCallError> {
        self.send_task_success()
            .task_token(task_token)
            .output(output)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                classify(e, |e| match e {
                    SendTaskSuccessError::TaskTimedOut(_) => Some(TaskGone::TaskTimedOut),
                    SendTaskSuccessError::TaskDoesNotExist(_) => Some(TaskGone::TaskDoesNotExist),
                    SendTaskSuccessError::InvalidToken(_) => Some(TaskGone::InvalidToken),
                    _ => None,
                })
            })
    }

    async fn send_task_failure(
        &self,
        task_token: &str,
        error: &str,
        cause: &str,
    ) -> Result<(), SfnCallError> {
        self.send_task_failure()
            .task_token(task_token)
            .error(error)
            .cause(cause)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                classify(e, |e| match e {
                    SendTaskFailureError::TaskTimedOut(_) => Some(TaskGone::TaskTimedOut),
                    SendTaskFailureError::TaskDoesNotExist(_) => Some(TaskGone::TaskDoesNotExist),
                    SendTaskFailureError::InvalidToken(_) => Some(TaskGone::InvalidToken),
                    _ => None,
                })
            })
    }

    async fn send_task_heartbeat(&self, task_token: &str) -> Result<(), SfnCallError> {
        self.send_task_heartbeat()
            .task_token(task_token)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                classify(e, |e| match e {
                    SendTaskHeartbeatError::TaskTimedOut(_) => Some(TaskGone::TaskTimedOut),
                    SendTaskHeartbeatError::TaskDoesNotExist(_) => Some(TaskGone::TaskDoesNotExist),
                    SendTaskHeartbeatError::InvalidToken(_) => Some(TaskGone::InvalidToken),
                    _ => None,
                })
            })
    }
}

/// Classifies an SDK error (see the module docs).
pub fn classify<E: ProvideErrorMetadata>(
    err: SdkError<E, HttpResponse>,
    gone: impl Fn(&E) -> Option<TaskGone>,
) -> SfnCallError {
    match kyc_shared::sfn::classify(err, gone) {
        Classified::Known(g) => SfnCallError::TaskGone(g),
        Classified::Retryable { code } => SfnCallError::Retryable { code },
        Classified::Rejected { code } => SfnCallError::Rejected { code },
    }
}
