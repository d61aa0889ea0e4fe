//! RedriveExecution (API reference "RedriveExecution"; developer guide "Redriving executions"):
//! a failed, aborted or timed-out Standard execution continues from the top-level state that did
//! not succeed, with the same ARN, input and definition; the engine keeps where from (`asl`'s
//! `Execution::redrive`), the runner kept its snapshot when it ended. Refused, with the reasons
//! DescribeExecution gives in `redriveStatusReason`, when the execution is running or succeeded,
//! ended more than 14 days ago, or has no state to restart.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{StepFunctionsService, load_execution, seconds, store_error};
use crate::protocol::error::AwsError;
use crate::protocol::operation::{Check, Operation, Validate};
use crate::services::stepfunctions::model::{self, status_name};
use crate::services::stepfunctions::runtime;
use crate::store::stepfunctions::{self as records, ExecutionRecord};

/// "Your workflow execution has not exceeded the redrivable period of 14 days."
pub(super) const REDRIVABLE_MS: i64 = 14 * 24 * 3600 * 1000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedriveExecutionInput {
    execution_arn: String,
    client_token: Option<String>,
}

impl Validate for RedriveExecutionInput {
    fn validate(&self, c: &mut Check) {
        c.length("executionArn", Some(&self.execution_arn), 1, 2048);
        c.length("clientToken", self.client_token.as_deref(), 1, 64);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedriveExecutionOutput {
    redrive_date: f64,
}

/// `redriveStatus` and `redriveStatusReason` (API reference, DescribeExecution: the reasons are
/// the reference's texts).
pub(super) fn redrive_status(e: &ExecutionRecord, now_ms: i64) -> (&'static str, Option<String>) {
    let not = |reason: String| ("NOT_REDRIVABLE", Some(reason));
    match e.status.as_str() {
        "RUNNING" | "SUCCEEDED" => not(format!("Execution is {} and cannot be redriven", e.status)),
        _ if e
            .stop_ms
            .is_some_and(|s| now_ms.saturating_sub(s) > REDRIVABLE_MS) =>
        {
            not("Execution redrivable period exceeded".into())
        }
        // The runner keeps the snapshot of an execution it can restart (a state to restart from).
        _ if e.engine_state.is_none() => {
            let history_limit = e.error.as_deref() == Some("States.Runtime")
                && e.cause
                    .as_deref()
                    .is_some_and(|c| c.contains("maximum number of history events"));
            if history_limit {
                not("Execution history event limit exceeded".into())
            } else {
                not("Execution was started before the launch of RedriveExecution".into())
            }
        }
        _ => ("REDRIVABLE", None),
    }
}

fn not_redrivable(reason: impl Into<String>) -> AwsError {
    AwsError::client("ExecutionNotRedrivable", reason)
}

pub struct RedriveExecution;

impl Operation<StepFunctionsService> for RedriveExecution {
    const NAME: &'static str = "RedriveExecution";
    type Input = RedriveExecutionInput;
    type Output = RedriveExecutionOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: RedriveExecutionInput,
    ) -> Result<RedriveExecutionOutput, AwsError> {
        // One at a time with resumes and other redrives: an execution gets one runner.
        let _one_at_a_time = svc.resuming.lock().await;
        let record = load_execution(&svc, &input.execution_arn).await?;
        let now = svc.stack.clock.now();
        if let (_, Some(reason)) = redrive_status(&record, now.timestamp_millis()) {
            return Err(not_redrivable(reason));
        }
        let (mut ex, mut meta, _) = runtime::restore(&svc, &record).await?;
        ex.redrive(now).map_err(|e| not_redrivable(e.to_string()))?;
        meta.redrive_count = record.redrive_count + 1;
        let events = ex.take_events();
        let history = model::history_records(&record.arn, &events);
        let snapshot = serde_json::to_string(ex.state())
            .map_err(|e| AwsError::internal(format!("engine snapshot: {e}")))?;
        let updated = ExecutionRecord {
            status: status_name(ex.status()).to_owned(),
            output: None,
            error: None,
            cause: None,
            stop_ms: None,
            engine_state: Some(snapshot),
            redrive_count: record.redrive_count + 1,
            ..record
        };
        svc.stack
            .store
            .write(move |c| {
                records::append_history(c, &history)?;
                records::update_execution(c, &updated)
            })
            .await
            .map_err(store_error)?;
        runtime::launch(&svc, ex, meta, None, Vec::new());
        Ok(RedriveExecutionOutput {
            redrive_date: seconds(now.timestamp_millis()),
        })
    }
}
