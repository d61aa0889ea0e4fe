//! StartSyncExecution (API reference "StartSyncExecution"): an Express workflow run to its end
//! within the call. The execution is not stored: Express workflows have no execution history API
//! (DescribeExecution, GetExecutionHistory and ListExecutions do not know them); what they did is in
//! the answer and, per the state machine's logging configuration, in CloudWatch Logs.
//!
//! The engine runs on the engine threads, tasks through the same integrations as a Standard
//! execution's (with the state machine's role checked by the permission plane), waits on the
//! stack's clock. An Express execution lasts at most five minutes (quotas: "Maximum execution
//! duration: 5 minutes"); past that it ends `TIMED_OUT` with `States.Timeout`.

use std::sync::Arc;

use asl::{Command, Execution, ExecutionContext, ExecutionStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{MAX_PAYLOAD, StepFunctionsService, check_name, load_state_machine, seconds};
use crate::protocol::error::AwsError;
use crate::protocol::operation::{Operation, Validate};
use crate::services::stepfunctions::integrations::{self, Outcome};
use crate::services::stepfunctions::model::{ExecutionMeta, TaskResult};
use crate::services::stepfunctions::observe;
use crate::store::stepfunctions::StateMachineRecord;

/// An Express workflow's longest run.
const EXPRESS_MAX_MS: i64 = 5 * 60 * 1000;
/// Engine turns one synchronous execution may take (each runs up to the engine's step budget).
const MAX_TURNS: usize = 100_000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartSyncExecutionInput {
    state_machine_arn: String,
    name: Option<String>,
    input: Option<String>,
    trace_header: Option<String>,
    /// `ALL_DATA` (default) or `METADATA_ONLY` (no input or output in the answer).
    included_data: Option<String>,
}

impl Validate for StartSyncExecutionInput {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingDetails {
    #[serde(rename = "billedMemoryUsedInMB")]
    billed_memory_used_in_mb: i64,
    billed_duration_in_milliseconds: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartSyncExecutionOutput {
    execution_arn: String,
    state_machine_arn: String,
    name: String,
    start_date: f64,
    stop_date: f64,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<String>,
    input_details: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    output_details: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_header: Option<String>,
    billing_details: BillingDetails,
}

pub struct StartSyncExecution;

impl Operation<StepFunctionsService> for StartSyncExecution {
    const NAME: &'static str = "StartSyncExecution";
    type Input = StartSyncExecutionInput;
    type Output = StartSyncExecutionOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: StartSyncExecutionInput,
    ) -> Result<StartSyncExecutionOutput, AwsError> {
        let sm = load_state_machine(&svc, &input.state_machine_arn).await?;
        if sm.kind != "EXPRESS" {
            // Wording not documented; the error code is the reference's.
            return Err(AwsError::client(
                "StateMachineTypeNotSupported",
                "This operation is only supported by EXPRESS state machines",
            ));
        }
        let metadata_only = match input.included_data.as_deref() {
            None | Some("ALL_DATA") => false,
            Some("METADATA_ONLY") => true,
            Some(other) => {
                return Err(super::validation(format!(
                    "1 validation error detected: Value '{other}' at 'includedData' failed to satisfy constraint: Member must satisfy enum value set: [ALL_DATA, METADATA_ONLY]"
                )));
            }
        };
        let name = input
            .name
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        check_name(&name)?;
        let input_text = input.input.clone().unwrap_or_else(|| "{}".to_owned());
        if input_text.len() > MAX_PAYLOAD {
            return Err(AwsError::client(
                "InvalidExecutionInput",
                format!(
                    "Invalid State Machine Execution Input: 'The input is larger than the maximum size of {MAX_PAYLOAD} bytes'"
                ),
            ));
        }
        let input_value: Value = serde_json::from_str(&input_text).map_err(|e| {
            AwsError::client(
                "InvalidExecutionInput",
                format!("Invalid State Machine Execution Input: '{e}'"),
            )
        })?;
        let execution_arn = format!(
            "arn:aws:states:{}:{}:express:{}:{}:{}",
            svc.stack.region,
            svc.stack.account_id,
            sm.name,
            name,
            uuid::Uuid::new_v4()
        );
        let start = svc.stack.clock.now();
        let start_ms = start.timestamp_millis();
        let execution = run_express(
            &svc,
            &sm,
            &name,
            &execution_arn,
            &input_text,
            input_value,
            start,
        )
        .await?;
        let stop = execution
            .state()
            .stop_time
            .unwrap_or_else(|| svc.stack.clock.now());
        let (status, error, cause, output) = match execution.status() {
            ExecutionStatus::Succeeded => (
                "SUCCEEDED",
                None,
                None,
                execution.output().map(Value::to_string),
            ),
            ExecutionStatus::Failed => {
                let (e, c) = execution.error().unwrap_or(("", ""));
                ("FAILED", Some(e.to_owned()), Some(c.to_owned()), None)
            }
            _ => (
                "TIMED_OUT",
                Some("States.Timeout".to_owned()),
                Some(
                    "The execution ran for more than five minutes (the Express workflow limit)"
                        .to_owned(),
                ),
                None,
            ),
        };
        let stop_ms = stop.timestamp_millis().max(start_ms);
        let included = json!({"included": !metadata_only});
        Ok(StartSyncExecutionOutput {
            execution_arn,
            state_machine_arn: sm.arn.clone(),
            name,
            start_date: seconds(start_ms),
            stop_date: seconds(stop_ms),
            status,
            error,
            cause,
            input: (!metadata_only).then_some(input_text),
            input_details: included.clone(),
            output: output.filter(|_| !metadata_only),
            output_details: included,
            trace_header: input.trace_header,
            // Express workflows bill 64 MB blocks and 100 ms units (pricing page).
            billing_details: BillingDetails {
                billed_memory_used_in_mb: 64,
                billed_duration_in_milliseconds: ((stop_ms - start_ms).max(1) + 99) / 100 * 100,
            },
        })
    }
}

/// Runs an Express execution to its end (at most five minutes, then it is stopped with
/// `States.Timeout`), logging its events per the state machine's logging configuration; gives
/// the ended execution. StartSyncExecution awaits it; StartExecution on an Express state machine
/// runs it in the background.
pub(in crate::services::stepfunctions) async fn run_express(
    svc: &StepFunctionsService,
    sm: &StateMachineRecord,
    name: &str,
    execution_arn: &str,
    input_text: &str,
    input_value: Value,
    start: chrono::DateTime<chrono::Utc>,
) -> Result<Execution, AwsError> {
    let definition = svc.definition(&sm.definition)?;
    let start_ms = start.timestamp_millis();
    let mut context = ExecutionContext::new(&sm.arn, name, &sm.role_arn);
    context.execution_arn = execution_arn.to_owned();
    // No history quota: an Express workflow's history is not kept.
    context.history_limit = None;
    let meta = ExecutionMeta::new(sm, execution_arn, name, input_text, start_ms, 0);
    let mut execution = svc
        .stack
        .engines
        .run(move || Execution::start(definition, input_value, context, start))
        .await
        .ok_or_else(|| AwsError::internal("the engine failed on this execution"))?;
    let deadline = start_ms.saturating_add(EXPRESS_MAX_MS);
    let mut timed_out = false;
    for _ in 0..MAX_TURNS {
        let now = svc.stack.clock.now();
        let (ex, commands) = svc
            .stack
            .engines
            .run(move || {
                let commands = execution.advance(now);
                (execution, commands)
            })
            .await
            .ok_or_else(|| AwsError::internal("the engine failed on this execution"))?;
        execution = ex;
        observe::log_events(svc, &meta, &execution.take_events()).await;
        if execution.status() != ExecutionStatus::Running {
            break;
        }
        let mut wake = None;
        let mut results = Vec::new();
        for command in commands {
            match command {
                Command::RunTask(task) => {
                    let outcome = integrations::run(svc, &task, execution_arn, &sm.arn).await;
                    let result = match outcome {
                        Outcome::Done(r) => r,
                        // Express workflows run request-response tasks only (developer guide,
                        // "Standard and Express workflow types"); CreateStateMachine refuses
                        // the others, so this is a definition changed under us.
                        Outcome::Submitted(_) | Outcome::Queued => TaskResult::Failed {
                            error: "States.Runtime".into(),
                            cause: "An Express workflow does not wait for a task token.".into(),
                        },
                    };
                    results.push((task.task_id, result));
                }
                Command::CancelTask { .. } => {}
                Command::WakeAt(t) => wake = Some(t),
            }
        }
        let now = svc.stack.clock.now();
        if results.is_empty() {
            let until = wake.map_or(deadline, |t| t.timestamp_millis().min(deadline));
            let wait = until.saturating_sub(now.timestamp_millis()).max(0);
            if wait > 0 {
                svc.stack
                    .clock
                    .sleep(std::time::Duration::from_millis(wait as u64))
                    .await;
            }
        }
        let now = svc.stack.clock.now();
        if now.timestamp_millis() >= deadline {
            timed_out = true;
            break;
        }
        execution = svc
            .stack
            .engines
            .run(move || {
                for (id, result) in results {
                    // A task the engine stopped waiting for is ignored, as AWS does.
                    let _ = match result {
                        TaskResult::Succeeded(v) => execution.task_succeeded(id, v, now),
                        TaskResult::Failed { error, cause } => {
                            execution.task_failed(id, Some(error), Some(cause), now)
                        }
                    };
                }
                execution
            })
            .await
            .ok_or_else(|| AwsError::internal("the engine failed on this execution"))?;
    }
    // Out of time: the execution ends at its five minutes, whenever this noticed.
    let stop = svc
        .stack
        .clock
        .now()
        .min(start + chrono::Duration::milliseconds(EXPRESS_MAX_MS));
    if timed_out || execution.status() == ExecutionStatus::Running {
        let _ = execution.stop(
            Some("States.Timeout".into()),
            Some(
                "The execution ran for more than five minutes (the Express workflow limit)".into(),
            ),
            stop,
        );
        observe::log_events(svc, &meta, &execution.take_events()).await;
    }
    Ok(execution)
}
