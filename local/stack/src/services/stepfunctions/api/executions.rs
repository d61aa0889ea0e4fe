//! Executions: StartExecution, DescribeExecution, ListExecutions, GetExecutionHistory,
//! StopExecution, DescribeStateMachineForExecution.

use std::sync::Arc;

use asl::{Execution, ExecutionContext};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;

use super::versions::{self, Resolved};
use super::{
    ERRORS, MAX_PAYLOAD, StepFunctionsService, aliases, check_name, listing, load_execution,
    seconds, store_error, validation,
};
use crate::protocol::error::AwsError;
use crate::protocol::operation::{Check, Operation, Paginator, Validate};
use crate::services::stepfunctions::model::{
    self, ExecutionMeta, RunnerMessage, strip_execution_data,
};
use crate::services::stepfunctions::{mocks, runtime};
use crate::store::StoreError;
use crate::store::stepfunctions::{self as records, ExecutionRecord, StateMachineRecord};
use crate::store::stepfunctions_versions::{self as version_records, ExecutionMachineRecord};

// ----- StartExecution -----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartExecutionInput {
    state_machine_arn: String,
    name: Option<String>,
    input: Option<String>,
    trace_header: Option<String>,
}

impl Validate for StartExecutionInput {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartExecutionOutput {
    execution_arn: String,
    start_date: f64,
}

pub struct StartExecution;

impl Operation<StepFunctionsService> for StartExecution {
    const NAME: &'static str = "StartExecution";
    type Input = StartExecutionInput;
    type Output = StartExecutionOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: StartExecutionInput,
    ) -> Result<StartExecutionOutput, AwsError> {
        let (arn, start_ms) = start_execution_parts(
            &svc,
            &input.state_machine_arn,
            input.name,
            input.input,
            input.trace_header,
        )
        .await?;
        Ok(StartExecutionOutput {
            execution_arn: arn,
            start_date: seconds(start_ms),
        })
    }
}

/// `StateMachineTypeNotSupported` for an operation Express state machines do not have (wording not
/// documented).
pub(super) fn express_not_supported() -> AwsError {
    AwsError::client(
        "StateMachineTypeNotSupported",
        "This operation is not supported by EXPRESS state machines",
    )
}

/// StartExecution on an Express state machine: the execution runs in the background and is not
/// kept (no history API); its events go to the logging configuration's log group.
fn start_express(
    svc: &StepFunctionsService,
    sm: StateMachineRecord,
    name: String,
    input_text: String,
    input_value: Value,
) -> Result<(String, i64), AwsError> {
    let execution_arn = format!(
        "arn:aws:states:{}:{}:express:{}:{}:{}",
        svc.stack.region,
        svc.stack.account_id,
        sm.name,
        name,
        uuid::Uuid::new_v4()
    );
    let svc = svc
        .arc()
        .ok_or_else(|| AwsError::internal("the service is shutting down"))?;
    let start = svc.stack.clock.now();
    let arn = execution_arn.clone();
    tokio::spawn(async move {
        let run = super::sync_executions::run_express(
            &svc,
            &sm,
            &name,
            &arn,
            &input_text,
            input_value,
            start,
        )
        .await;
        if let Err(e) = run {
            tracing::warn!(execution = %arn, error = %e, "express execution failed to run");
        }
    });
    Ok((execution_arn, start.timestamp_millis()))
}

/// StartExecution: returns once the execution (its first history event and engine snapshot) is
/// committed, and its runner is started.
pub(in crate::services::stepfunctions) async fn start_execution_parts(
    svc: &StepFunctionsService,
    state_machine_arn: &str,
    name: Option<String>,
    input: Option<String>,
    trace_header: Option<String>,
) -> Result<(String, i64), AwsError> {
    // `ARN#TestCase` runs a test case of the mock configuration (when one is loaded).
    let mock_config = svc.mocks.get().map(AsRef::as_ref);
    let (state_machine_arn, test_case) = mocks::test_case_of(mock_config, state_machine_arn);
    // A version ARN runs that version; an alias ARN runs one of its versions, chosen by weight.
    let (sm, qualified) = started_machine(svc, state_machine_arn).await?;
    if let Some(case) = test_case {
        mocks::check_test_case(mock_config, &sm.name, case)?;
    }
    let test_case = test_case.map(str::to_owned);
    let name = name.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    check_name(&name)?;
    let input_text = input.unwrap_or_else(|| "{}".to_owned());
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
    if sm.kind == "EXPRESS" {
        return start_express(svc, sm, name, input_text, input_value);
    }
    let def = svc.definition(&sm.definition)?;
    let mut ctx = ExecutionContext::new(&sm.arn, &name, &sm.role_arn);
    ctx.seed = model::random_seed();
    let execution_arn = ctx.execution_arn.clone();
    let now = svc.stack.clock.now();
    let start_ms = now.timestamp_millis();
    // The first step runs now, at the start time, so a Wait or timeout counts from the start;
    // on an engine thread, like every turn.
    let (mut ex, commands) = svc
        .stack
        .engines
        .run(move || {
            let mut ex = Execution::start(def, input_value, ctx, now);
            let commands = ex.advance(now);
            (ex, commands)
        })
        .await
        .ok_or_else(|| AwsError::internal("the engine failed to start the execution"))?;
    let mut events = ex.take_events();
    if let Some((version_arn, alias_arn)) = &qualified {
        // ExecutionStarted names the version and alias it was started on.
        for event in &mut events {
            if let Some(asl::EventDetails::ExecutionStarted(d)) = &mut event.details {
                d.state_machine_version_arn = Some(version_arn.clone());
                d.state_machine_alias_arn = alias_arn.clone();
            }
        }
    }
    let state = ex.state();
    let snapshot = serde_json::to_string(state)
        .map_err(|e| AwsError::internal(format!("cannot snapshot the execution: {e}")))?;
    let record = ExecutionRecord {
        arn: execution_arn.clone(),
        state_machine_arn: sm.arn.clone(),
        name: name.clone(),
        status: model::status_name(state.status).into(),
        input: Some(input_text.clone()),
        output: state.output.as_ref().map(ToString::to_string),
        error: state.error.clone(),
        cause: state.cause.clone(),
        trace_header,
        start_ms,
        stop_ms: state.stop_time.map(|t| t.timestamp_millis()),
        engine_state: Some(snapshot),
        redrive_count: 0,
    };
    let history = model::history_records(&execution_arn, &events);
    let map_runs = model::map_run_records(&execution_arn, &ex);
    let started_on = qualified.map(|(version_arn, alias_arn)| ExecutionMachineRecord {
        execution_arn: execution_arn.clone(),
        state_machine_arn: sm.arn.clone(),
        version_arn,
        alias_arn,
        machine: sm.clone(),
    });
    let outcome = svc
        .stack
        .store
        .write(move |c| {
            if let Some(existing) = records::get_execution(c, &record.arn)? {
                return Ok::<_, StoreError>(Err(existing));
            }
            records::insert_execution(c, &record)?;
            records::append_history(c, &history)?;
            records::put_map_runs(c, &map_runs)?;
            if let Some(started_on) = &started_on {
                version_records::put_execution_machine(c, started_on)?;
            }
            if let Some(case) = &test_case {
                crate::store::stepfunctions_mocks::put_test_case(c, &record.arn, case)?;
            }
            Ok(Ok(()))
        })
        .await
        .map_err(store_error)?;
    if let Err(existing) = outcome {
        // Standard workflows: the same name and input as a RUNNING execution is idempotent;
        // anything else is ExecutionAlreadyExists (API reference, StartExecution).
        if sm.kind == "STANDARD"
            && existing.status == "RUNNING"
            && existing.input.as_deref() == Some(input_text.as_str())
        {
            return Ok((existing.arn, existing.start_ms));
        }
        return Err(AwsError::client(
            "ExecutionAlreadyExists",
            format!("Execution Already Exists: '{execution_arn}'"),
        ));
    }
    let meta = ExecutionMeta::new(&sm, &execution_arn, &name, &input_text, start_ms, 0);
    runtime::launch(svc, ex, meta, Some((events, commands)), Vec::new());
    Ok((execution_arn, start_ms))
}

/// The machine an execution of `arn` runs, and (for a version or an alias ARN) the version
/// ARN and alias ARN it records. The machine of a version keeps the unqualified ARN: executions
/// belong to their state machine whatever they were started on.
async fn started_machine(
    svc: &StepFunctionsService,
    arn: &str,
) -> Result<(StateMachineRecord, Option<(String, Option<String>)>), AwsError> {
    match versions::resolve(svc, arn).await? {
        Resolved::Machine(sm) => Ok((sm, None)),
        Resolved::Version(v) => Ok((v.machine, Some((v.arn, None)))),
        Resolved::Alias(_, alias) => {
            let route = aliases::choose_route(&alias, model::random_seed())
                .ok_or_else(|| AwsError::internal("the alias has no routing configuration"))?;
            let key = route.state_machine_version_arn.clone();
            let version = svc
                .stack
                .store
                .call(move |c| version_records::get_version(c, &key))
                .await
                .map_err(store_error)?
                .ok_or_else(|| {
                    AwsError::client(
                        "StateMachineDoesNotExist",
                        format!(
                            "State Machine Does Not Exist: '{}'",
                            route.state_machine_version_arn
                        ),
                    )
                })?;
            Ok((version.machine, Some((version.arn, Some(alias.arn)))))
        }
    }
}

// ----- DescribeExecution --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionArnInput {
    execution_arn: String,
}

impl Validate for ExecutionArnInput {}

#[derive(Debug, Serialize)]
pub struct Included {
    included: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeExecutionOutput {
    execution_arn: String,
    state_machine_arn: String,
    name: String,
    status: String,
    start_date: f64,
    input: String,
    input_details: Included,
    redrive_count: i64,
    redrive_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    redrive_status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redrive_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_details: Option<Included>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_header: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_version_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_alias_arn: Option<String>,
}

/// The version and alias an execution was started on (none for an unqualified start).
async fn started_on(
    svc: &StepFunctionsService,
    execution_arn: &str,
) -> Result<Option<ExecutionMachineRecord>, AwsError> {
    let key = execution_arn.to_owned();
    svc.stack
        .store
        .call(move |c| version_records::get_execution_machine(c, &key))
        .await
        .map_err(store_error)
}

pub struct DescribeExecution;

impl Operation<StepFunctionsService> for DescribeExecution {
    const NAME: &'static str = "DescribeExecution";
    type Input = ExecutionArnInput;
    type Output = DescribeExecutionOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: ExecutionArnInput,
    ) -> Result<DescribeExecutionOutput, AwsError> {
        let e = load_execution(&svc, &input.execution_arn).await?;
        let (redrive_status, redrive_status_reason) =
            super::redrive::redrive_status(&e, svc.stack.clock.now_millis());
        let on = started_on(&svc, &e.arn).await?;
        let redrive_date = if e.redrive_count > 0 {
            let key = e.arn.clone();
            svc.stack
                .store
                .call(move |c| records::last_redrive_ms(c, &key))
                .await
                .map_err(store_error)?
                .map(seconds)
        } else {
            None
        };
        Ok(DescribeExecutionOutput {
            state_machine_version_arn: on.as_ref().map(|m| m.version_arn.clone()),
            state_machine_alias_arn: on.and_then(|m| m.alias_arn),
            start_date: seconds(e.start_ms),
            stop_date: e.stop_ms.map(seconds),
            input: e.input.unwrap_or_else(|| "{}".into()),
            input_details: Included { included: true },
            output_details: e.output.as_ref().map(|_| Included { included: true }),
            output: e.output,
            redrive_count: e.redrive_count,
            redrive_status,
            redrive_status_reason,
            redrive_date,
            execution_arn: e.arn,
            state_machine_arn: e.state_machine_arn,
            name: e.name,
            status: e.status,
            error: e.error,
            cause: e.cause,
            trace_header: e.trace_header,
        })
    }
}

// ----- ListExecutions -----------------------------------------------------------------------

const STATUSES: &[&str] = &[
    "SUCCEEDED",
    "TIMED_OUT",
    "PENDING_REDRIVE",
    "ABORTED",
    "FAILED",
    "RUNNING",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListExecutionsInput {
    state_machine_arn: Option<String>,
    map_run_arn: Option<String>,
    status_filter: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
    redrive_filter: Option<String>,
}

impl Validate for ListExecutionsInput {
    fn validate(&self, check: &mut Check) {
        check.length("stateMachineArn", self.state_machine_arn.as_deref(), 1, 256);
        check.one_of("statusFilter", self.status_filter.as_deref(), STATUSES);
        check.length("nextToken", self.next_token.as_deref(), 1, 3096);
        check.length("mapRunArn", self.map_run_arn.as_deref(), 1, 2000);
        check.one_of(
            "redriveFilter",
            self.redrive_filter.as_deref(),
            &["REDRIVEN", "NOT_REDRIVEN"],
        );
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionListItem {
    execution_arn: String,
    state_machine_arn: String,
    name: String,
    status: String,
    start_date: f64,
    redrive_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_version_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_alias_arn: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListExecutionsOutput {
    executions: Vec<ExecutionListItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

const EXECUTIONS: Paginator = listing("states:ListExecutions");

pub struct ListExecutions;

impl Operation<StepFunctionsService> for ListExecutions {
    const NAME: &'static str = "ListExecutions";
    type Input = ListExecutionsInput;
    type Output = ListExecutionsOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: ListExecutionsInput,
    ) -> Result<ListExecutionsOutput, AwsError> {
        // "You can specify either a mapRunArn or a stateMachineArn, but not both" (API
        // reference); the messages are not documented word for word.
        let sm_arn = match (input.state_machine_arn, input.map_run_arn) {
            (Some(_), Some(_)) => {
                return Err(validation(
                    "Must provide either a StateMachine ARN or a MapRun ARN, but not both",
                ));
            }
            (None, None) => {
                return Err(validation("Must provide a StateMachine ARN or MapRun ARN"));
            }
            (None, Some(map_run)) => {
                // The children of a Map Run run inside their parent execution here: an existing
                // Map Run lists none; an unknown one is not found.
                super::map_runs::load_map_run(&svc, &map_run).await?;
                return Ok(ListExecutionsOutput {
                    executions: Vec::new(),
                    next_token: None,
                });
            }
            (Some(sm_arn), None) => sm_arn,
        };
        if input.status_filter.as_deref() == Some("PENDING_REDRIVE") {
            // API reference: "If you provide a stateMachineArn and a PENDING_REDRIVE
            // statusFilter, the API returns a validation exception."
            return Err(validation(
                "PENDING_REDRIVE status filter is only supported with a MapRun ARN",
            ));
        }
        // A token names the listing it came from: the machine (or version, or alias) and the
        // filters.
        let within = format!(
            "{sm_arn}:{}:{}",
            input.status_filter.as_deref().unwrap_or(""),
            input.redrive_filter.as_deref().unwrap_or("")
        );
        let request = EXECUTIONS.request(
            &within,
            input.max_results,
            input.next_token.as_deref(),
            &ERRORS,
        )?;
        // A version ARN lists the executions that ran that version (started on it or routed to
        // it by an alias); an alias ARN the executions started on the alias.
        let (machine, only): (String, Option<(bool, String)>) =
            match versions::resolve(&svc, &sm_arn).await? {
                // "This API action is not supported by EXPRESS state machines." (API reference)
                Resolved::Machine(sm) if sm.kind == "EXPRESS" => {
                    return Err(express_not_supported());
                }
                Resolved::Machine(sm) => (sm.arn, None),
                Resolved::Version(v) => (v.state_machine_arn, Some((false, v.arn))),
                Resolved::Alias(sm, a) => (sm.arn, Some((true, a.arn))),
            };
        let status = input.status_filter;
        let (all, qualifiers) = svc
            .stack
            .store
            .call(move |c| {
                Ok::<_, StoreError>((
                    records::list_executions(c, &machine, status.as_deref())?,
                    version_records::execution_qualifiers(c, &machine)?,
                ))
            })
            .await
            .map_err(store_error)?;
        let redriven = input.redrive_filter.map(|f| f == "REDRIVEN");
        let items: Vec<ExecutionListItem> = all
            .into_iter()
            .filter(|e| redriven.is_none_or(|r| (e.redrive_count > 0) == r))
            .filter_map(|e| {
                let (version, alias) = match qualifiers.get(&e.arn) {
                    Some((v, a)) => (Some(v.clone()), a.clone()),
                    None => (None, None),
                };
                let keep = match &only {
                    None => true,
                    Some((false, v)) => version.as_deref() == Some(v.as_str()),
                    Some((true, a)) => alias.as_deref() == Some(a.as_str()),
                };
                keep.then(|| ExecutionListItem {
                    start_date: seconds(e.start_ms),
                    stop_date: e.stop_ms.map(seconds),
                    execution_arn: e.arn,
                    state_machine_arn: e.state_machine_arn,
                    name: e.name,
                    status: e.status,
                    redrive_count: e.redrive_count,
                    state_machine_version_arn: version,
                    state_machine_alias_arn: alias,
                })
            })
            .collect();
        let page = request.page(items)?;
        Ok(ListExecutionsOutput {
            executions: page.items,
            next_token: page.next_token,
        })
    }
}

// ----- GetExecutionHistory ------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryInput {
    execution_arn: String,
    max_results: Option<i64>,
    reverse_order: Option<bool>,
    next_token: Option<String>,
    include_execution_data: Option<bool>,
}

impl Validate for HistoryInput {
    fn validate(&self, check: &mut Check) {
        check.length("nextToken", self.next_token.as_deref(), 1, 1024);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryOutput {
    events: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// History pages are read from the store a page at a time; the position is the last event id
/// (a keyset, not an offset), so an execution that grows while it is listed pages correctly.
const HISTORY: Paginator = listing("states:GetExecutionHistory");

/// GetExecutionHistory without execution data leaves out the details of the data it leaves out
/// (`inputDetails`, `outputDetails`) too; execution logs keep them (`observe.rs`).
fn omit_data_details(event: &mut Value) {
    if let Some(obj) = event.as_object_mut() {
        for (key, details) in obj.iter_mut() {
            if key.ends_with("EventDetails")
                && let Some(d) = details.as_object_mut()
            {
                d.remove("inputDetails");
                d.remove("outputDetails");
            }
        }
    }
}

pub struct GetExecutionHistory;

impl Operation<StepFunctionsService> for GetExecutionHistory {
    const NAME: &'static str = "GetExecutionHistory";
    type Input = HistoryInput;
    type Output = HistoryOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: HistoryInput,
    ) -> Result<HistoryOutput, AwsError> {
        let arn = input.execution_arn;
        let reverse = input.reverse_order.unwrap_or(false);
        // A token pages the order it was issued for: the position is a keyset in that order.
        let request = HISTORY.request(
            &format!("{arn}:{}", if reverse { "reverse" } else { "forward" }),
            input.max_results,
            input.next_token.as_deref(),
            &ERRORS,
        )?;
        let after = request.position_as::<i64>()?;
        let size = request.size as i64;
        load_execution(&svc, &arn).await?;
        let key = arn.clone();
        let page = svc
            .stack
            .store
            .call(move |c| records::history_page(c, &key, after, size + 1, reverse))
            .await
            .map_err(store_error)?;
        let more = page.len() as i64 > size;
        let include = input.include_execution_data.unwrap_or(true);
        let mut events = Vec::new();
        let mut last = None;
        for record in page.into_iter().take(size as usize) {
            last = Some(record.id);
            let mut event: Value = serde_json::from_str(&record.details)
                .map_err(|e| AwsError::internal(format!("corrupt history event: {e}")))?;
            if !include {
                strip_execution_data(&mut event);
                omit_data_details(&mut event);
            }
            events.push(event);
        }
        let next_token = match (more, last) {
            (true, Some(last)) => Some(request.next_token(&last.to_string())),
            _ => None,
        };
        Ok(HistoryOutput { events, next_token })
    }
}

// ----- StopExecution ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopInput {
    execution_arn: String,
    error: Option<String>,
    cause: Option<String>,
}

impl Validate for StopInput {
    fn validate(&self, check: &mut Check) {
        check.secret_length("error", self.error.as_deref(), 0, 256);
        check.secret_length("cause", self.cause.as_deref(), 0, 32768);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopOutput {
    stop_date: f64,
}

pub struct StopExecution;

impl Operation<StepFunctionsService> for StopExecution {
    const NAME: &'static str = "StopExecution";
    type Input = StopInput;
    type Output = StopOutput;

    async fn run(svc: Arc<StepFunctionsService>, input: StopInput) -> Result<StopOutput, AwsError> {
        let e = load_execution(&svc, &input.execution_arn).await?;
        if e.status != "RUNNING" {
            return Ok(StopOutput {
                stop_date: seconds(e.stop_ms.unwrap_or(e.start_ms)),
            });
        }
        super::ensure_runner(&svc, &e.arn).await?;
        let (reply, rx) = oneshot::channel();
        let sent = svc.send_to_runner(
            &e.arn,
            RunnerMessage::Stop {
                error: input.error,
                cause: input.cause,
                reply,
            },
        );
        if !sent {
            return Err(AwsError::internal(
                "the execution is not running in this process",
            ));
        }
        let stop_ms = rx
            .await
            .map_err(|_| AwsError::internal("the execution runner stopped"))??;
        Ok(StopOutput {
            stop_date: seconds(stop_ms),
        })
    }
}

// ----- DescribeStateMachineForExecution -----------------------------------------------------

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeStateMachineForExecutionOutput {
    state_machine_arn: String,
    name: String,
    definition: String,
    role_arn: String,
    update_date: f64,
    logging_configuration: Value,
    tracing_configuration: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision_id: Option<String>,
}

pub struct DescribeStateMachineForExecution;

impl Operation<StepFunctionsService> for DescribeStateMachineForExecution {
    const NAME: &'static str = "DescribeStateMachineForExecution";
    type Input = ExecutionArnInput;
    type Output = DescribeStateMachineForExecutionOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: ExecutionArnInput,
    ) -> Result<DescribeStateMachineForExecutionOutput, AwsError> {
        let e = load_execution(&svc, &input.execution_arn).await?;
        let key = e.state_machine_arn.clone();
        // An execution started on a version (or an alias) ran that version's machine.
        let sm = match started_on(&svc, &e.arn).await? {
            Some(on) => on.machine,
            None => svc
                .stack
                .store
                .call(move |c| records::get_state_machine(c, &key))
                .await
                .map_err(store_error)?
                .ok_or_else(|| {
                    AwsError::client(
                        "StateMachineDoesNotExist",
                        format!("State Machine Does Not Exist: '{}'", e.state_machine_arn),
                    )
                })?,
        };
        let (logging_configuration, tracing_configuration) =
            super::state_machines::configurations(&sm);
        Ok(DescribeStateMachineForExecutionOutput {
            update_date: seconds(sm.updated_ms.unwrap_or(sm.created_ms)),
            logging_configuration,
            tracing_configuration,
            state_machine_arn: sm.arn,
            name: sm.name,
            definition: sm.definition,
            role_arn: sm.role_arn,
            revision_id: sm.revision_id,
        })
    }
}
