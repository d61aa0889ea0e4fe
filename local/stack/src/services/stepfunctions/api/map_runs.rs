//! Map Runs of Distributed Map states (API reference "DescribeMapRun", "ListMapRuns",
//! "UpdateMapRun"). The engine keeps each run's record (status, counts, settings); the runner
//! stores it with the execution's state; UpdateMapRun goes to the execution's runner like
//! StopExecution does. The children of a run are executions inside the parent here, so
//! ListExecutions on a Map Run lists none of them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;

use super::ensure_runner;
use super::{
    Empty, StepFunctionsService, listing, load_execution, seconds, store_error, validation,
};
use crate::protocol::error::AwsError;
use crate::protocol::operation::{Check, Operation, Paginator, Validate};
use crate::services::stepfunctions::model::RunnerMessage;
use crate::store::stepfunctions as records;

/// A Map Run ARN (`arn:...:mapRun:<machine>/<label>:<id>`), or `InvalidArn`.
pub(super) fn check_map_run_arn(arn: &str) -> Result<(), AwsError> {
    let parts: Vec<&str> = arn.split(':').collect();
    let well_formed = parts.len() == 8
        && parts[0] == "arn"
        && parts[2] == "states"
        && parts[5] == "mapRun"
        && parts[6]
            .split_once('/')
            .is_some_and(|(m, l)| !m.is_empty() && !l.is_empty())
        && parts[7..].iter().all(|p| !p.is_empty());
    if !well_formed {
        return Err(AwsError::client(
            "InvalidArn",
            format!("Invalid Arn: '{arn}'"),
        ));
    }
    Ok(())
}

fn not_found(arn: &str) -> AwsError {
    AwsError::client("ResourceNotFound", format!("Resource not found: '{arn}'"))
        .with_member("resourceName", arn.to_owned())
}

/// The stored record of a Map Run, or `InvalidArn` / `ResourceNotFound`.
pub(super) async fn load_map_run(
    svc: &StepFunctionsService,
    arn: &str,
) -> Result<(records::MapRunRecord, asl::MapRunInfo), AwsError> {
    check_map_run_arn(arn)?;
    let key = arn.to_owned();
    let record = svc
        .stack
        .store
        .call(move |c| records::get_map_run(c, &key))
        .await
        .map_err(store_error)?
        .ok_or_else(|| not_found(arn))?;
    let info: asl::MapRunInfo = serde_json::from_str(&record.info)
        .map_err(|e| AwsError::internal(format!("corrupt Map Run record: {e}")))?;
    Ok((record, info))
}

fn counts(c: &asl::MapRunCounts) -> Value {
    serde_json::to_value(c).unwrap_or_default()
}

// ----- DescribeMapRun -----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunArnInput {
    map_run_arn: String,
}

impl Validate for MapRunArnInput {
    fn validate(&self, c: &mut Check) {
        c.length("mapRunArn", Some(&self.map_run_arn), 1, 2000);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeMapRunOutput {
    map_run_arn: String,
    execution_arn: String,
    status: String,
    start_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_date: Option<f64>,
    max_concurrency: u64,
    tolerated_failure_percentage: f64,
    tolerated_failure_count: u64,
    item_counts: Value,
    execution_counts: Value,
    redrive_count: u64,
}

pub struct DescribeMapRun;

impl Operation<StepFunctionsService> for DescribeMapRun {
    const NAME: &'static str = "DescribeMapRun";
    type Input = MapRunArnInput;
    type Output = DescribeMapRunOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: MapRunArnInput,
    ) -> Result<DescribeMapRunOutput, AwsError> {
        let (record, info) = load_map_run(&svc, &input.map_run_arn).await?;
        Ok(DescribeMapRunOutput {
            map_run_arn: info.map_run_arn,
            execution_arn: record.execution_arn,
            status: info.status,
            start_date: seconds(info.start_ms),
            stop_date: info.stop_ms.map(seconds),
            max_concurrency: info.max_concurrency,
            tolerated_failure_percentage: info.tolerated_failure_percentage,
            tolerated_failure_count: info.tolerated_failure_count,
            item_counts: counts(&info.item_counts),
            execution_counts: counts(&info.execution_counts),
            redrive_count: 0,
        })
    }
}

// ----- ListMapRuns --------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMapRunsInput {
    execution_arn: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

impl Validate for ListMapRunsInput {
    fn validate(&self, c: &mut Check) {
        c.length("executionArn", Some(&self.execution_arn), 1, 256);
        c.length("nextToken", self.next_token.as_deref(), 1, 1024);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunListItem {
    execution_arn: String,
    map_run_arn: String,
    state_machine_arn: String,
    start_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_date: Option<f64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMapRunsOutput {
    map_runs: Vec<MapRunListItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

const MAP_RUNS: Paginator = listing("states:ListMapRuns");

pub struct ListMapRuns;

impl Operation<StepFunctionsService> for ListMapRuns {
    const NAME: &'static str = "ListMapRuns";
    type Input = ListMapRunsInput;
    type Output = ListMapRunsOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: ListMapRunsInput,
    ) -> Result<ListMapRunsOutput, AwsError> {
        let execution = load_execution(&svc, &input.execution_arn).await?;
        let request = MAP_RUNS.request(
            &execution.arn,
            input.max_results,
            input.next_token.as_deref(),
            &super::ERRORS,
        )?;
        let key = execution.arn.clone();
        let all = svc
            .stack
            .store
            .call(move |c| records::list_map_runs(c, &key))
            .await
            .map_err(store_error)?;
        let page = request.page(all)?;
        let next_token = page.next_token;
        let map_runs = page
            .items
            .into_iter()
            .filter_map(|r| serde_json::from_str::<asl::MapRunInfo>(&r.info).ok())
            .map(|info| MapRunListItem {
                execution_arn: execution.arn.clone(),
                map_run_arn: info.map_run_arn,
                state_machine_arn: execution.state_machine_arn.clone(),
                start_date: seconds(info.start_ms),
                stop_date: info.stop_ms.map(seconds),
            })
            .collect();
        Ok(ListMapRunsOutput {
            map_runs,
            next_token,
        })
    }
}

// ----- UpdateMapRun -------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMapRunInput {
    map_run_arn: String,
    max_concurrency: Option<i64>,
    tolerated_failure_percentage: Option<f64>,
    tolerated_failure_count: Option<i64>,
}

impl Validate for UpdateMapRunInput {
    fn validate(&self, c: &mut Check) {
        c.length("mapRunArn", Some(&self.map_run_arn), 1, 2000);
    }
}

pub struct UpdateMapRun;

impl Operation<StepFunctionsService> for UpdateMapRun {
    const NAME: &'static str = "UpdateMapRun";
    type Input = UpdateMapRunInput;
    type Output = Empty;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: UpdateMapRunInput,
    ) -> Result<Empty, AwsError> {
        // Ranges of the reference: maxConcurrency >= 0, toleratedFailureCount >= 0,
        // toleratedFailurePercentage 0..=100; at least one of them (wording not documented).
        if input.max_concurrency.is_none()
            && input.tolerated_failure_count.is_none()
            && input.tolerated_failure_percentage.is_none()
        {
            return Err(validation(
                "At least one of maxConcurrency, toleratedFailureCount or toleratedFailurePercentage is required",
            ));
        }
        if input.max_concurrency.is_some_and(|m| m < 0) {
            return Err(validation(
                "1 validation error detected: Value at 'maxConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 0",
            ));
        }
        if input.tolerated_failure_count.is_some_and(|m| m < 0) {
            return Err(validation(
                "1 validation error detected: Value at 'toleratedFailureCount' failed to satisfy constraint: Member must have value greater than or equal to 0",
            ));
        }
        if input
            .tolerated_failure_percentage
            .is_some_and(|p| !(0.0..=100.0).contains(&p))
        {
            return Err(validation(
                "1 validation error detected: Value at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value between 0 and 100",
            ));
        }
        let (record, info) = load_map_run(&svc, &input.map_run_arn).await?;
        if info.status != "RUNNING" {
            // Only an in-progress Map Run can be updated ("Updates an in-progress Map Run's
            // configuration"); wording not documented.
            return Err(validation(format!(
                "Map Run {} is {} and cannot be updated",
                info.map_run_arn, info.status
            )));
        }
        ensure_runner(&svc, &record.execution_arn).await?;
        let (reply, rx) = oneshot::channel();
        let sent = svc.send_to_runner(
            &record.execution_arn,
            RunnerMessage::UpdateMapRun {
                arn: info.map_run_arn,
                max_concurrency: input.max_concurrency.map(|m| m as u64),
                tolerated_count: input.tolerated_failure_count.map(|m| m as u64),
                tolerated_percentage: input.tolerated_failure_percentage,
                reply,
            },
        );
        if !sent {
            return Err(AwsError::internal(
                "the execution is not running in this process",
            ));
        }
        rx.await
            .map_err(|_| AwsError::internal("the execution runner stopped"))??;
        Ok(Empty {})
    }
}
