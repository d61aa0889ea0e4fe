//! callback-completer Lambda: turns reviewers' events into Step Functions
//! callbacks for the task waiting on `events:putEvents.waitForTaskToken`.
//!
//! Invoked asynchronously by a rule on source `com.aws.review`:
//!
//! | event | action |
//! |---|---|
//! | **Manual review completed**, valid | `SendTaskSuccess` with `{"decision", "reviewer", "comment"}` |
//! | **Manual review completed**, invalid (with a token) | `SendTaskFailure`, error `ReviewInvalid`, cause says why |
//! | **Manual review started** | `SendTaskHeartbeat` |
//! | no `taskToken` | warning logged, acknowledged (nothing to complete) |
//! | another detail-type | warning logged, acknowledged |
//!
//! Results of the call: `TaskTimedOut`, `TaskDoesNotExist`, `InvalidToken`
//! are logged and acknowledged (retrying cannot help); throttling, 5xx and
//! network failures are returned as `Retryable` errors so Lambda's async
//! retries and then the DLQ keep the event; any other rejection is a
//! `CallbackRejected` error (also retried by Lambda, then the DLQ).
//!
//! Entry point: [`handle`], generic over [`sfn::TaskCallbacks`]
//! (implemented for `aws_sdk_sfn::Client`).

// The lean build of the SDK (see the workspace Cargo.toml), under its usual name.
extern crate aws_sdk_sfn_lean as aws_sdk_sfn;

pub mod sfn;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use kyc_shared::mask::mask_name;
use kyc_shared::{
    DetailType, ErrorType, ManualReviewCompleted, ManualReviewStarted, ReviewEventError,
};
use lambda_runtime_lean::Diagnostic;
use serde::Serialize;
use serde_json::Value;

use sfn::{SfnCallError, TaskCallbacks, TaskGone};

/// The Step Functions call made (if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CallbackAction {
    SendTaskSuccess,
    SendTaskFailure,
    SendTaskHeartbeat,
}

impl CallbackAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            CallbackAction::SendTaskSuccess => "SendTaskSuccess",
            CallbackAction::SendTaskFailure => "SendTaskFailure",
            CallbackAction::SendTaskHeartbeat => "SendTaskHeartbeat",
        }
    }
}

/// How an event was acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallbackResult {
    /// The call succeeded.
    Sent,
    TaskTimedOut,
    TaskDoesNotExist,
    InvalidToken,
    /// No task token: nothing to complete.
    NoTaskToken,
    /// Not a review event this function handles.
    Ignored,
}

/// The handler's response (visible in `cargo lambda invoke` and tests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackOutcome {
    pub action: Option<CallbackAction>,
    pub result: CallbackResult,
}

/// Errors returned to Lambda (async invocation: retried, then the DLQ).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// Throttling, 5xx or a network failure (`Retryable`).
    #[error("{action} failed with {code}; retrying may succeed")]
    Retryable { action: &'static str, code: String },
    /// Step Functions refused the call for another reason (`CallbackRejected`).
    #[error("{action} was rejected with {code}")]
    Rejected { action: &'static str, code: String },
}

impl CallbackError {
    /// The Lambda `errorType`.
    pub fn error_type(&self) -> ErrorType {
        match self {
            CallbackError::Retryable { .. } => ErrorType::Retryable,
            CallbackError::Rejected { .. } => ErrorType::CallbackRejected,
        }
    }
}

impl From<CallbackError> for Diagnostic {
    fn from(e: CallbackError) -> Self {
        Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}

/// The Lambda handler.
pub async fn handle<C: TaskCallbacks>(
    event: &EventBridgeEvent<Value>,
    sfn: &C,
) -> Result<CallbackOutcome, CallbackError> {
    match event.detail_type.parse::<DetailType>() {
        Ok(DetailType::ManualReviewCompleted) => completed(&event.detail, sfn).await,
        Ok(DetailType::ManualReviewStarted) => started(&event.detail, sfn).await,
        _ => {
            tracing::warn!(
                detail_type = %event.detail_type,
                source = %event.source,
                "review_event_ignored"
            );
            Ok(CallbackOutcome {
                action: None,
                result: CallbackResult::Ignored,
            })
        }
    }
}

async fn completed<C: TaskCallbacks>(
    detail: &Value,
    sfn: &C,
) -> Result<CallbackOutcome, CallbackError> {
    match ManualReviewCompleted::from_detail(detail) {
        Ok(review) => {
            // Serializing a struct of strings and enums cannot fail; the
            // fallback keeps the function total anyway.
            let output = serde_json::to_string(&review.outcome())
                .unwrap_or_else(|_| format!("{{\"decision\":\"{}\"}}", review.decision));
            tracing::info!(
                decision = review.decision.as_str(),
                reviewer = %mask_name(&review.reviewer),
                "review_completed"
            );
            let call = sfn.send_task_success(&review.task_token, &output).await;
            conclude(CallbackAction::SendTaskSuccess, call)
        }
        Err(ReviewEventError::MissingTaskToken) => Ok(no_token(DetailType::ManualReviewCompleted)),
        Err(ReviewEventError::Invalid {
            task_token,
            problem,
        }) => {
            tracing::warn!(problem, "review_invalid");
            let call = sfn
                .send_task_failure(&task_token, ErrorType::ReviewInvalid.as_str(), problem)
                .await;
            conclude(CallbackAction::SendTaskFailure, call)
        }
    }
}

async fn started<C: TaskCallbacks>(
    detail: &Value,
    sfn: &C,
) -> Result<CallbackOutcome, CallbackError> {
    match ManualReviewStarted::from_detail(detail) {
        Ok(start) => {
            tracing::info!(
                reviewer = %start.reviewer.as_deref().map(mask_name).unwrap_or_default(),
                "review_started"
            );
            let call = sfn.send_task_heartbeat(&start.task_token).await;
            conclude(CallbackAction::SendTaskHeartbeat, call)
        }
        Err(_) => Ok(no_token(DetailType::ManualReviewStarted)),
    }
}

fn no_token(detail_type: DetailType) -> CallbackOutcome {
    tracing::warn!(
        detail_type = detail_type.as_str(),
        "review_event_without_task_token"
    );
    CallbackOutcome {
        action: None,
        result: CallbackResult::NoTaskToken,
    }
}

fn conclude(
    action: CallbackAction,
    call: Result<(), SfnCallError>,
) -> Result<CallbackOutcome, CallbackError> {
    let result = match call {
        Ok(()) => CallbackResult::Sent,
        Err(SfnCallError::TaskGone(gone)) => {
            // The task timed out, was closed or never existed: nothing can
            // complete it now, so the event is acknowledged, not retried.
            tracing::warn!(
                action = action.as_str(),
                error = gone.as_str(),
                "task_already_closed"
            );
            match gone {
                TaskGone::TaskTimedOut => CallbackResult::TaskTimedOut,
                TaskGone::TaskDoesNotExist => CallbackResult::TaskDoesNotExist,
                TaskGone::InvalidToken => CallbackResult::InvalidToken,
            }
        }
        Err(SfnCallError::Retryable { code }) => {
            tracing::error!(action = action.as_str(), code = %code, "callback_retryable");
            return Err(CallbackError::Retryable {
                action: action.as_str(),
                code,
            });
        }
        Err(SfnCallError::Rejected { code }) => {
            tracing::error!(action = action.as_str(), code = %code, "callback_rejected");
            return Err(CallbackError::Rejected {
                action: action.as_str(),
                code,
            });
        }
    };
    if result == CallbackResult::Sent {
        tracing::info!(action = action.as_str(), "callback_sent");
    }
    Ok(CallbackOutcome {
        action: Some(action),
        result,
    })
}

#[cfg(test)]
mod tests;
