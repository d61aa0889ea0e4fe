//! The operations of Step Functions, one type each ([`crate::protocol::operation::Operation`]):
//! `state_machines.rs` (create, describe, list, update, delete, validate), `activities.rs`
//! (create, describe, list, delete, GetActivityTask), `tags.rs` (tag, untag, list tags of either),
//! `executions.rs` (start, describe, list, history, stop), `callbacks.rs` (SendTask*),
//! `test_state.rs` (TestState), `sync_executions.rs` (StartSyncExecution, Express), `redrive.rs` (RedriveExecution), `map_runs.rs` (Map Runs), `versions.rs` (publish, list, delete versions; qualified ARNs),
//! `aliases.rs` (aliases). This
//! module holds what they share: the service's error vocabulary, names and ARNs, loading records,
//! and the one registry from operation name to operation.

mod activities;
mod aliases;
mod callbacks;
mod executions;
mod map_runs;
mod redrive;
mod state_machines;
mod sync_executions;
mod tags;
mod test_state;
mod versions;

use std::sync::{Arc, LazyLock};

use serde_json::Value;

use super::StepFunctionsService;
use crate::protocol::error::AwsError;
use crate::protocol::operation::{ErrorVocabulary, Operations, Paginator};
use crate::protocol::{ServiceFuture, null_member_message};
use crate::store::StoreError;
use crate::store::stepfunctions::{self as records, ExecutionRecord, StateMachineRecord};

pub(super) use executions::start_execution_parts;

/// Largest execution input / task output, in bytes (Step Functions' 256 KiB payload quota).
const MAX_PAYLOAD: usize = 256 * 1024;

fn missing(member: &str) -> AwsError {
    AwsError::client("ValidationException", null_member_message(member))
}

/// Step Functions' front end: `ValidationException` for every constraint.
static ERRORS: ErrorVocabulary = ErrorVocabulary {
    validation: "ValidationException",
    missing,
};

static OPERATIONS: LazyLock<Operations<StepFunctionsService>> = LazyLock::new(|| {
    Operations::new(&ERRORS)
        .with::<state_machines::CreateStateMachine>()
        .with::<state_machines::DescribeStateMachine>()
        .with::<state_machines::ListStateMachines>()
        .with::<state_machines::UpdateStateMachine>()
        .with::<state_machines::DeleteStateMachine>()
        .with::<state_machines::ValidateStateMachineDefinition>()
        .with::<test_state::TestState>()
        .with::<tags::ListTagsForResource>()
        .with::<tags::TagResource>()
        .with::<tags::UntagResource>()
        .with::<activities::CreateActivity>()
        .with::<activities::DescribeActivity>()
        .with::<activities::ListActivities>()
        .with::<activities::DeleteActivity>()
        .with::<activities::GetActivityTask>()
        .with::<executions::StartExecution>()
        .with::<sync_executions::StartSyncExecution>()
        .with::<executions::DescribeExecution>()
        .with::<executions::ListExecutions>()
        .with::<executions::GetExecutionHistory>()
        .with::<executions::StopExecution>()
        .with::<redrive::RedriveExecution>()
        .with::<map_runs::DescribeMapRun>()
        .with::<map_runs::ListMapRuns>()
        .with::<map_runs::UpdateMapRun>()
        .with::<executions::DescribeStateMachineForExecution>()
        .with::<callbacks::SendTaskSuccess>()
        .with::<callbacks::SendTaskFailure>()
        .with::<callbacks::SendTaskHeartbeat>()
        .with::<versions::PublishStateMachineVersion>()
        .with::<versions::ListStateMachineVersions>()
        .with::<versions::DeleteStateMachineVersion>()
        .with::<aliases::CreateStateMachineAlias>()
        .with::<aliases::DescribeStateMachineAlias>()
        .with::<aliases::UpdateStateMachineAlias>()
        .with::<aliases::DeleteStateMachineAlias>()
        .with::<aliases::ListStateMachineAliases>()
});

/// Runs one operation by name.
pub(super) fn call(svc: Arc<StepFunctionsService>, operation: &str, input: Value) -> ServiceFuture {
    OPERATIONS.call(svc, operation, input)
}

/// The operations served, by name (tests, the README's operation count).
pub fn operation_names() -> Vec<&'static str> {
    OPERATIONS.names()
}

/// The output of operations that answer nothing (`{}`).
#[derive(Debug, serde::Serialize)]
pub struct Empty {}

fn validation(message: impl Into<String>) -> AwsError {
    ERRORS.validation(message)
}

fn store_error(e: StoreError) -> AwsError {
    AwsError::internal(format!("storage failed: {e}"))
}

fn invalid_token(t: &str) -> AwsError {
    AwsError::client("InvalidToken", format!("Invalid Token: '{t}'"))
}

/// Step Functions' listings: 100 by default, at most 1,000; `maxResults` 0 means the default
/// (API reference, ListStateMachines / ListExecutions / GetExecutionHistory).
const fn listing(scope: &'static str) -> Paginator {
    Paginator {
        scope,
        default_size: 100,
        max_size: 1000,
        zero_is_default: true,
        size_member: "maxResults",
        invalid_token,
    }
}

/// Epoch milliseconds as the JSON protocol's timestamp (epoch seconds, fractional).
fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

// ----- names and ARNs -----------------------------------------------------------------------

/// Names of state machines, activities and executions: 1..=80 characters, none of the characters the API
/// reference excludes (white space, brackets, wildcards, specials, control characters).
pub(super) fn check_name(name: &str) -> Result<(), AwsError> {
    let bad = |c: char| {
        c.is_whitespace()
            || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
            || ('\u{0}'..='\u{1f}').contains(&c)
            || ('\u{7f}'..='\u{9f}').contains(&c)
    };
    let len = name.chars().count();
    if len == 0 || len > 80 || name.chars().any(bad) {
        return Err(AwsError::client(
            "InvalidName",
            format!("Invalid Name: '{name}'"),
        ));
    }
    Ok(())
}

/// The resource type and the rest of a Step Functions ARN, or `InvalidArn` as AWS words it.
fn parse_arn<'a>(arn: &'a str, want: &str) -> Result<Vec<&'a str>, AwsError> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 7 || parts[0] != "arn" || parts[2] != "states" {
        return Err(AwsError::client(
            "InvalidArn",
            format!("Invalid Arn: 'Invalid ARN prefix: {arn}'"),
        ));
    }
    if parts[5] != want {
        return Err(AwsError::client(
            "InvalidArn",
            format!(
                "Invalid Arn: 'Resource type not valid in this context: {}'",
                parts[5]
            ),
        ));
    }
    let expected = if want == "execution" { 8 } else { 7 };
    if parts.len() != expected || parts[6..].iter().any(|p| p.is_empty()) {
        return Err(AwsError::client(
            "InvalidArn",
            format!("Invalid Arn: '{arn}'"),
        ));
    }
    Ok(parts)
}

fn state_machine_arn(svc: &StepFunctionsService, name: &str) -> String {
    format!(
        "arn:aws:states:{}:{}:stateMachine:{name}",
        svc.stack.region, svc.stack.account_id
    )
}

pub(super) async fn load_state_machine(
    svc: &StepFunctionsService,
    arn: &str,
) -> Result<StateMachineRecord, AwsError> {
    parse_arn(arn, "stateMachine")?;
    let key = arn.to_owned();
    svc.stack
        .store
        .call(move |c| records::get_state_machine(c, &key))
        .await
        .map_err(store_error)?
        .filter(|sm| sm.status == "ACTIVE")
        .ok_or_else(|| {
            AwsError::client(
                "StateMachineDoesNotExist",
                format!("State Machine Does Not Exist: '{arn}'"),
            )
        })
}

async fn load_execution(
    svc: &StepFunctionsService,
    arn: &str,
) -> Result<ExecutionRecord, AwsError> {
    parse_arn(arn, "execution")?;
    let key = arn.to_owned();
    svc.stack
        .store
        .call(move |c| records::get_execution(c, &key))
        .await
        .map_err(store_error)?
        .ok_or_else(|| {
            AwsError::client(
                "ExecutionDoesNotExist",
                format!("Execution Does Not Exist: '{arn}'"),
            )
        })
}

/// A RUNNING execution in the store that no runner drives here (the host did not call
/// `resume` yet) is resumed before a message is sent to it.
async fn ensure_runner(svc: &StepFunctionsService, execution_arn: &str) -> Result<(), AwsError> {
    let running = svc
        .runners
        .lock()
        .map(|r| r.contains_key(execution_arn))
        .unwrap_or(false);
    if !running {
        svc.resume().await?;
    }
    Ok(())
}
