//! The operations: typed input, the store and the runtime, AWS-shaped output and errors.

use std::sync::Arc;

use asl::{Definition, Execution, ExecutionContext};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::StepFunctionsService;
use super::model::{
    self, CallbackAction, ExecutionMeta, RunnerMessage, epoch, strip_execution_data,
};
use super::runtime;
use crate::protocol::error::AwsError;
use crate::protocol::{decode, null_member_message, tokens};
use crate::store::StoreError;
use crate::store::stepfunctions::{self as records, ExecutionRecord, StateMachineRecord};

/// Largest execution input / task output, in bytes (Step Functions' 256 KiB payload quota).
const MAX_PAYLOAD: usize = 256 * 1024;

pub(super) async fn dispatch(
    svc: &Arc<StepFunctionsService>,
    operation: &str,
    input: Value,
) -> Result<Value, AwsError> {
    match operation {
        "CreateStateMachine" => create_state_machine(svc, decode(input, missing)?).await,
        "DescribeStateMachine" => describe_state_machine(svc, decode(input, missing)?).await,
        "ListStateMachines" => list_state_machines(svc, decode(input, missing)?).await,
        "UpdateStateMachine" => update_state_machine(svc, decode(input, missing)?).await,
        "DeleteStateMachine" => delete_state_machine(svc, decode(input, missing)?).await,
        "ValidateStateMachineDefinition" => validate_definition(decode(input, missing)?),
        "StartExecution" => start_execution(svc, decode(input, missing)?).await,
        "DescribeExecution" => describe_execution(svc, decode(input, missing)?).await,
        "ListExecutions" => list_executions(svc, decode(input, missing)?).await,
        "GetExecutionHistory" => get_execution_history(svc, decode(input, missing)?).await,
        "StopExecution" => stop_execution(svc, decode(input, missing)?).await,
        "SendTaskSuccess" => send_task_success(svc, decode(input, missing)?).await,
        "SendTaskFailure" => send_task_failure(svc, decode(input, missing)?).await,
        "SendTaskHeartbeat" => send_task_heartbeat(svc, decode(input, missing)?).await,
        "DescribeStateMachineForExecution" => {
            describe_state_machine_for_execution(svc, decode(input, missing)?).await
        }
        _ => Err(AwsError::unknown_operation()),
    }
}

fn missing(member: &str) -> AwsError {
    validation(null_member_message(member))
}

fn validation(message: impl Into<String>) -> AwsError {
    AwsError::client("ValidationException", message)
}

fn store_error(e: StoreError) -> AwsError {
    AwsError::internal(format!("storage failed: {e}"))
}

// ----- names and ARNs -----------------------------------------------------------------------

/// Names of state machines and executions: 1..=80 characters, none of the characters the API
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

// ----- pagination ---------------------------------------------------------------------------

fn page_size(max_results: Option<i64>) -> Result<usize, AwsError> {
    match max_results {
        None | Some(0) => Ok(100),
        Some(n) if (1..=1000).contains(&n) => Ok(n as usize),
        Some(n) => Err(validation(format!(
            "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"
        ))),
    }
}

/// Scope of Step Functions' offset tokens (one per operation would also do;
/// the offset means nothing outside the listing that issued it, so the scope
/// names the operation).
fn offset_token(scope: &str, token: Option<&str>) -> Result<usize, AwsError> {
    match token {
        None => Ok(0),
        Some(t) => tokens::open(scope, t)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| invalid_token(t)),
    }
}

fn invalid_token(t: &str) -> AwsError {
    AwsError::client("InvalidToken", format!("Invalid Token: '{t}'"))
}

fn paginate<T>(scope: &str, items: Vec<T>, offset: usize, size: usize) -> (Vec<T>, Option<String>) {
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(size).collect();
    let next = (offset + size < total).then(|| tokens::seal(scope, &(offset + size).to_string()));
    (page, next)
}

// ----- state machines -----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateStateMachineInput {
    name: String,
    definition: String,
    role_arn: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    logging_configuration: Option<Value>,
    tracing_configuration: Option<Value>,
    #[allow(dead_code)]
    tags: Option<Value>,
}

fn check_type(kind: Option<&str>) -> Result<String, AwsError> {
    match kind.unwrap_or("STANDARD") {
        k @ ("STANDARD" | "EXPRESS") => Ok(k.to_owned()),
        other => Err(validation(format!(
            "1 validation error detected: Value '{other}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
        ))),
    }
}

fn check_logging(config: Option<&Value>) -> Result<(), AwsError> {
    let Some(config) = config else { return Ok(()) };
    let level = config.get("level").and_then(Value::as_str).unwrap_or("OFF");
    if !["ALL", "ERROR", "FATAL", "OFF"].contains(&level) {
        return Err(validation(format!(
            "1 validation error detected: Value '{level}' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]"
        )));
    }
    let destinations = config
        .get("destinations")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if level != "OFF" && destinations == 0 {
        return Err(AwsError::client(
            "InvalidLoggingConfiguration",
            "Invalid Logging Configuration: Must specify exactly one Log Destination if LogLevel is not OFF.",
        ));
    }
    if destinations > 1 {
        return Err(AwsError::client(
            "InvalidLoggingConfiguration",
            "Invalid Logging Configuration: Must specify exactly one Log Destination.",
        ));
    }
    Ok(())
}

fn check_role(role: &str) -> Result<(), AwsError> {
    if role.split(':').count() < 6 || !role.starts_with("arn:") {
        return Err(AwsError::client(
            "InvalidArn",
            format!("Invalid Arn: 'Invalid ARN prefix: {role}'"),
        ));
    }
    Ok(())
}

async fn create_state_machine(
    svc: &StepFunctionsService,
    input: CreateStateMachineInput,
) -> Result<Value, AwsError> {
    check_name(&input.name)?;
    let kind = check_type(input.kind.as_deref())?;
    check_role(&input.role_arn)?;
    check_logging(input.logging_configuration.as_ref())?;
    svc.definition(&input.definition)?;
    let arn = state_machine_arn(svc, &input.name);
    let now = svc.stack.clock.now_millis();
    let record = StateMachineRecord {
        arn: arn.clone(),
        name: input.name,
        kind,
        definition: input.definition,
        role_arn: input.role_arn,
        description: None,
        logging_configuration: input.logging_configuration.map(|v| v.to_string()),
        tracing_configuration: input.tracing_configuration.map(|v| v.to_string()),
        status: "ACTIVE".into(),
        revision_id: Some(uuid::Uuid::new_v4().to_string()),
        created_ms: now,
        updated_ms: None,
        origin: "api".into(),
    };
    let outcome = svc
        .stack
        .store
        .write(move |c| {
            if let Some(existing) = records::get_state_machine(c, &record.arn)? {
                // CreateStateMachine is idempotent for the same definition, role and type.
                let same = existing.definition == record.definition
                    && existing.role_arn == record.role_arn
                    && existing.kind == record.kind;
                return Ok::<_, StoreError>(if same {
                    Ok(existing.created_ms)
                } else {
                    Err(())
                });
            }
            records::upsert_state_machine(c, &record)?;
            Ok(Ok(record.created_ms))
        })
        .await
        .map_err(store_error)?;
    match outcome {
        Ok(created) => Ok(json!({ "stateMachineArn": arn, "creationDate": epoch(created) })),
        Err(()) => Err(AwsError::client(
            "StateMachineAlreadyExists",
            format!("State Machine Already Exists: '{arn}'"),
        )),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateMachineArnInput {
    state_machine_arn: String,
}

fn logging_json(sm: &StateMachineRecord) -> Value {
    sm.logging_configuration
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_else(|| json!({ "level": "OFF", "includeExecutionData": false }))
}

fn tracing_json(sm: &StateMachineRecord) -> Value {
    sm.tracing_configuration
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_else(|| json!({ "enabled": false }))
}

async fn describe_state_machine(
    svc: &StepFunctionsService,
    input: StateMachineArnInput,
) -> Result<Value, AwsError> {
    let sm = load_state_machine(svc, &input.state_machine_arn).await?;
    let mut out = json!({
        "stateMachineArn": sm.arn,
        "name": sm.name,
        "status": sm.status,
        "definition": sm.definition,
        "roleArn": sm.role_arn,
        "type": sm.kind,
        "creationDate": epoch(sm.created_ms),
        "loggingConfiguration": logging_json(&sm),
        "tracingConfiguration": tracing_json(&sm),
    });
    if let Some(rev) = &sm.revision_id {
        out["revisionId"] = json!(rev);
    }
    if let Some(d) = &sm.description {
        out["description"] = json!(d);
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    max_results: Option<i64>,
    next_token: Option<String>,
}

async fn list_state_machines(
    svc: &StepFunctionsService,
    input: ListInput,
) -> Result<Value, AwsError> {
    let size = page_size(input.max_results)?;
    let scope = "states:ListStateMachines";
    let offset = offset_token(scope, input.next_token.as_deref())?;
    let all = svc
        .stack
        .store
        .call(records::list_state_machines)
        .await
        .map_err(store_error)?;
    let items: Vec<Value> = all
        .into_iter()
        .filter(|sm| sm.status == "ACTIVE")
        .map(|sm| {
            json!({
                "stateMachineArn": sm.arn,
                "name": sm.name,
                "type": sm.kind,
                "creationDate": epoch(sm.created_ms),
            })
        })
        .collect();
    let (page, next) = paginate(scope, items, offset, size);
    let mut out = json!({ "stateMachines": page });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateStateMachineInput {
    state_machine_arn: String,
    definition: Option<String>,
    role_arn: Option<String>,
    logging_configuration: Option<Value>,
    tracing_configuration: Option<Value>,
}

async fn update_state_machine(
    svc: &StepFunctionsService,
    input: UpdateStateMachineInput,
) -> Result<Value, AwsError> {
    if input.definition.is_none()
        && input.role_arn.is_none()
        && input.logging_configuration.is_none()
        && input.tracing_configuration.is_none()
    {
        parse_arn(&input.state_machine_arn, "stateMachine")?;
        return Err(AwsError::client(
            "MissingRequiredParameter",
            "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
        ));
    }
    let mut sm = load_state_machine(svc, &input.state_machine_arn).await?;
    if let Some(def) = input.definition {
        svc.definition(&def)?;
        sm.definition = def;
    }
    if let Some(role) = input.role_arn {
        check_role(&role)?;
        sm.role_arn = role;
    }
    if let Some(logging) = input.logging_configuration {
        check_logging(Some(&logging))?;
        sm.logging_configuration = Some(logging.to_string());
    }
    if let Some(tracing) = input.tracing_configuration {
        sm.tracing_configuration = Some(tracing.to_string());
    }
    let now = svc.stack.clock.now_millis();
    let revision = uuid::Uuid::new_v4().to_string();
    sm.revision_id = Some(revision.clone());
    sm.updated_ms = Some(now);
    svc.stack
        .store
        .write(move |c| records::upsert_state_machine(c, &sm))
        .await
        .map_err(store_error)?;
    Ok(json!({ "updateDate": epoch(now), "revisionId": revision }))
}

async fn delete_state_machine(
    svc: &StepFunctionsService,
    input: StateMachineArnInput,
) -> Result<Value, AwsError> {
    parse_arn(&input.state_machine_arn, "stateMachine")?;
    // Running executions keep running to completion, as on AWS; only the machine goes away.
    let arn = input.state_machine_arn;
    svc.stack
        .store
        .write(move |c| records::delete_state_machine(c, &arn))
        .await
        .map_err(store_error)?;
    Ok(json!({}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValidateInput {
    definition: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn validate_definition(input: ValidateInput) -> Result<Value, AwsError> {
    check_type(input.kind.as_deref())?;
    match Definition::parse(&input.definition) {
        Ok(_) => Ok(json!({ "result": "OK", "diagnostics": [], "truncated": false })),
        Err(e) => {
            let diagnostics: Vec<Value> = e
                .diagnostics
                .iter()
                .map(|d| {
                    let mut v = json!({
                        "severity": "ERROR",
                        "code": d.code.as_str(),
                        "message": d.message,
                    });
                    if let Some(loc) = &d.location {
                        v["location"] = json!(loc);
                    }
                    v
                })
                .collect();
            Ok(json!({ "result": "FAIL", "diagnostics": diagnostics, "truncated": false }))
        }
    }
}

// ----- executions ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartExecutionInput {
    state_machine_arn: String,
    name: Option<String>,
    input: Option<String>,
    trace_header: Option<String>,
}

async fn start_execution(
    svc: &StepFunctionsService,
    input: StartExecutionInput,
) -> Result<Value, AwsError> {
    let (arn, start_ms) = start_execution_parts(
        svc,
        &input.state_machine_arn,
        input.name,
        input.input,
        input.trace_header,
    )
    .await?;
    Ok(json!({ "executionArn": arn, "startDate": epoch(start_ms) }))
}

/// StartExecution: returns once the execution (its first history event and engine snapshot) is
/// committed, and its runner is started.
pub(super) async fn start_execution_parts(
    svc: &StepFunctionsService,
    state_machine_arn: &str,
    name: Option<String>,
    input: Option<String>,
    trace_header: Option<String>,
) -> Result<(String, i64), AwsError> {
    let sm = load_state_machine(svc, state_machine_arn).await?;
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
    let events = ex.take_events();
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
    let outcome = svc
        .stack
        .store
        .write(move |c| {
            if let Some(existing) = records::get_execution(c, &record.arn)? {
                return Ok::<_, StoreError>(Err(existing));
            }
            records::insert_execution(c, &record)?;
            records::append_history(c, &history)?;
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionArnInput {
    execution_arn: String,
}

fn redrive_status(e: &ExecutionRecord) -> (&'static str, Option<String>) {
    match e.status.as_str() {
        "RUNNING" | "SUCCEEDED" => (
            "NOT_REDRIVABLE",
            Some(format!("Execution is {} and cannot be redriven", e.status)),
        ),
        _ => ("REDRIVABLE", None),
    }
}

async fn describe_execution(
    svc: &StepFunctionsService,
    input: ExecutionArnInput,
) -> Result<Value, AwsError> {
    let e = load_execution(svc, &input.execution_arn).await?;
    let mut out = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.state_machine_arn,
        "name": e.name,
        "status": e.status,
        "startDate": epoch(e.start_ms),
        "input": e.input.clone().unwrap_or_else(|| "{}".into()),
        "inputDetails": { "included": true },
        "redriveCount": e.redrive_count,
    });
    let (status, reason) = redrive_status(&e);
    out["redriveStatus"] = json!(status);
    if let Some(reason) = reason {
        out["redriveStatusReason"] = json!(reason);
    }
    if let Some(stop) = e.stop_ms {
        out["stopDate"] = epoch(stop);
    }
    if let Some(output) = &e.output {
        out["output"] = json!(output);
        out["outputDetails"] = json!({ "included": true });
    }
    if let Some(error) = &e.error {
        out["error"] = json!(error);
    }
    if let Some(cause) = &e.cause {
        out["cause"] = json!(cause);
    }
    if let Some(trace) = &e.trace_header {
        out["traceHeader"] = json!(trace);
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListExecutionsInput {
    state_machine_arn: Option<String>,
    map_run_arn: Option<String>,
    status_filter: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

async fn list_executions(
    svc: &StepFunctionsService,
    input: ListExecutionsInput,
) -> Result<Value, AwsError> {
    if input.map_run_arn.is_some() {
        return Err(validation("Map Runs are not supported by the local stack"));
    }
    let Some(sm_arn) = input.state_machine_arn else {
        return Err(validation("Must provide a StateMachine ARN or MapRun ARN"));
    };
    if let Some(status) = &input.status_filter
        && ![
            "RUNNING",
            "SUCCEEDED",
            "FAILED",
            "TIMED_OUT",
            "ABORTED",
            "PENDING_REDRIVE",
        ]
        .contains(&status.as_str())
    {
        return Err(validation(format!(
            "1 validation error detected: Value '{status}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]"
        )));
    }
    let size = page_size(input.max_results)?;
    let scope = format!(
        "states:ListExecutions:{sm_arn}:{}",
        input.status_filter.as_deref().unwrap_or("")
    );
    let scope = scope.as_str();
    let offset = offset_token(scope, input.next_token.as_deref())?;
    load_state_machine(svc, &sm_arn).await?;
    let status = input.status_filter;
    let all = svc
        .stack
        .store
        .call(move |c| records::list_executions(c, &sm_arn, status.as_deref()))
        .await
        .map_err(store_error)?;
    let items: Vec<Value> = all
        .iter()
        .map(|e| {
            let mut v = json!({
                "executionArn": e.arn,
                "stateMachineArn": e.state_machine_arn,
                "name": e.name,
                "status": e.status,
                "startDate": epoch(e.start_ms),
                "redriveCount": e.redrive_count,
            });
            if let Some(stop) = e.stop_ms {
                v["stopDate"] = epoch(stop);
            }
            v
        })
        .collect();
    let (page, next) = paginate(scope, items, offset, size);
    let mut out = json!({ "executions": page });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryInput {
    execution_arn: String,
    max_results: Option<i64>,
    reverse_order: Option<bool>,
    next_token: Option<String>,
    include_execution_data: Option<bool>,
}

async fn get_execution_history(
    svc: &StepFunctionsService,
    input: HistoryInput,
) -> Result<Value, AwsError> {
    let size = page_size(input.max_results)? as i64;
    let after = match input.next_token.as_deref() {
        None => None,
        Some(t) => Some(
            tokens::open(
                &format!("states:GetExecutionHistory:{}", input.execution_arn),
                t,
            )
            .and_then(|n| n.parse::<i64>().ok())
            .ok_or_else(|| invalid_token(t))?,
        ),
    };
    load_execution(svc, &input.execution_arn).await?;
    let reverse = input.reverse_order.unwrap_or(false);
    let arn = input.execution_arn;
    let scope = format!("states:GetExecutionHistory:{arn}");
    let page = svc
        .stack
        .store
        .call(move |c| records::history_page(c, &arn, after, size + 1, reverse))
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
        }
        events.push(event);
    }
    let mut out = json!({ "events": events });
    if more && let Some(last) = last {
        out["nextToken"] = json!(tokens::seal(&scope, &last.to_string()));
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopInput {
    execution_arn: String,
    error: Option<String>,
    cause: Option<String>,
}

async fn stop_execution(svc: &StepFunctionsService, input: StopInput) -> Result<Value, AwsError> {
    if input
        .error
        .as_ref()
        .is_some_and(|e| e.chars().count() > 256)
    {
        return Err(validation(
            "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256",
        ));
    }
    if input
        .cause
        .as_ref()
        .is_some_and(|c| c.chars().count() > 32768)
    {
        return Err(validation(
            "1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768",
        ));
    }
    let e = load_execution(svc, &input.execution_arn).await?;
    if e.status != "RUNNING" {
        return Ok(json!({ "stopDate": epoch(e.stop_ms.unwrap_or(e.start_ms)) }));
    }
    ensure_runner(svc, &e.arn).await?;
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
    Ok(json!({ "stopDate": epoch(stop_ms) }))
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

// ----- callbacks ----------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskSuccessInput {
    task_token: String,
    output: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskFailureInput {
    task_token: String,
    error: Option<String>,
    cause: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskHeartbeatInput {
    task_token: String,
}

fn check_token_length(token: &str) -> Result<(), AwsError> {
    let len = token.chars().count();
    if len == 0 || len > 2048 {
        return Err(validation(format!(
            "1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length {}",
            if len == 0 {
                "greater than or equal to 1"
            } else {
                "less than or equal to 2048"
            }
        )));
    }
    Ok(())
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

async fn callback(
    svc: &StepFunctionsService,
    token: String,
    action: CallbackAction,
) -> Result<Value, AwsError> {
    check_token_length(&token)?;
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
    Ok(json!({}))
}

async fn send_task_success(
    svc: &StepFunctionsService,
    input: TaskSuccessInput,
) -> Result<Value, AwsError> {
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
    callback(svc, input.task_token, CallbackAction::Success(output)).await
}

async fn send_task_failure(
    svc: &StepFunctionsService,
    input: TaskFailureInput,
) -> Result<Value, AwsError> {
    if input
        .error
        .as_ref()
        .is_some_and(|e| e.chars().count() > 256)
    {
        return Err(validation(
            "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256",
        ));
    }
    callback(
        svc,
        input.task_token,
        CallbackAction::Failure {
            error: input.error,
            cause: input.cause,
        },
    )
    .await
}

async fn send_task_heartbeat(
    svc: &StepFunctionsService,
    input: TaskHeartbeatInput,
) -> Result<Value, AwsError> {
    callback(svc, input.task_token, CallbackAction::Heartbeat).await
}

async fn describe_state_machine_for_execution(
    svc: &StepFunctionsService,
    input: ExecutionArnInput,
) -> Result<Value, AwsError> {
    let e = load_execution(svc, &input.execution_arn).await?;
    let key = e.state_machine_arn.clone();
    let sm = svc
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
        })?;
    let mut out = json!({
        "stateMachineArn": sm.arn,
        "name": sm.name,
        "definition": sm.definition,
        "roleArn": sm.role_arn,
        "updateDate": epoch(sm.updated_ms.unwrap_or(sm.created_ms)),
        "loggingConfiguration": logging_json(&sm),
        "tracingConfiguration": tracing_json(&sm),
    });
    if let Some(rev) = &sm.revision_id {
        out["revisionId"] = json!(rev);
    }
    Ok(out)
}
