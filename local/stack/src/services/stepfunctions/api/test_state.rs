//! TestState (API reference "TestState", developer guide "Using TestState API to test a state"):
//! one state run on its own by `asl::test_state`, its task (when not mocked) run by the same
//! integrations as an execution's, with the given role checked by the permission plane.

use std::sync::Arc;
use std::time::Duration;

use asl::StateError;
use asl::test_state::{Mock, TestRun, TestStateError, TestStateInput as EngineInput, TestStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{MAX_PAYLOAD, StepFunctionsService, validation};
use crate::protocol::error::AwsError;
use crate::protocol::operation::{Check, Operation, Validate};
use crate::services::stepfunctions::integrations::{self, Outcome};
use crate::services::stepfunctions::model::TaskResult;

const INSPECTION_LEVELS: &[&str] = &["INFO", "DEBUG", "TRACE"];
const FIELD_VALIDATION_MODES: &[&str] = &["STRICT", "PRESENT", "NONE"];
/// "The TestState API can run for up to five minutes. If the execution of a state exceeds this
/// duration, it fails with the States.Timeout error."
const TEST_STATE_TIMEOUT: Duration = Duration::from_secs(300);
/// Tasks one test may run: the state under test runs once (a retry is reported, not made).
const MAX_TASKS: usize = 4;
/// `Definition`'s length constraint (API reference).
const MAX_DEFINITION: usize = 1_048_576;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MockErrorOutput {
    error: Option<String>,
    cause: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MockInput {
    result: Option<String>,
    error_output: Option<MockErrorOutput>,
    field_validation_mode: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestStateConfiguration {
    retrier_retry_count: Option<i64>,
    error_caused_by_state: Option<String>,
    map_iteration_failure_count: Option<i64>,
    map_item_reader_data: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestStateInput {
    definition: String,
    role_arn: Option<String>,
    input: Option<String>,
    inspection_level: Option<String>,
    /// Accepted and without effect: kyc-local runs no HTTP Task, so there are no connection
    /// secrets to hide or reveal.
    #[serde(rename = "revealSecrets")]
    _reveal_secrets: Option<bool>,
    variables: Option<String>,
    state_name: Option<String>,
    mock: Option<MockInput>,
    context: Option<String>,
    state_configuration: Option<TestStateConfiguration>,
}

impl Validate for TestStateInput {
    fn validate(&self, check: &mut Check) {
        check.secret_length("definition", Some(&self.definition), 1, MAX_DEFINITION);
        check.length("roleArn", self.role_arn.as_deref(), 1, 256);
        check.secret_length("input", self.input.as_deref(), 0, MAX_PAYLOAD);
        check.one_of(
            "inspectionLevel",
            self.inspection_level.as_deref(),
            INSPECTION_LEVELS,
        );
        check.secret_length("variables", self.variables.as_deref(), 0, MAX_PAYLOAD);
        check.length("stateName", self.state_name.as_deref(), 1, 80);
        check.secret_length("context", self.context.as_deref(), 0, MAX_PAYLOAD);
        if let Some(m) = &self.mock {
            check.secret_length("mock.result", m.result.as_deref(), 0, MAX_PAYLOAD);
            check.one_of(
                "mock.fieldValidationMode",
                m.field_validation_mode.as_deref(),
                FIELD_VALIDATION_MODES,
            );
            if let Some(e) = &m.error_output {
                check.secret_length("mock.errorOutput.error", e.error.as_deref(), 0, 256);
                check.secret_length("mock.errorOutput.cause", e.cause.as_deref(), 0, 32768);
            }
        }
        if let Some(c) = &self.state_configuration {
            check.range(
                "stateConfiguration.retrierRetryCount",
                c.retrier_retry_count,
                0,
                i64::from(i32::MAX),
            );
            check.range(
                "stateConfiguration.mapIterationFailureCount",
                c.map_iteration_failure_count,
                0,
                i64::from(i32::MAX),
            );
            check.length(
                "stateConfiguration.errorCausedByState",
                c.error_caused_by_state.as_deref(),
                1,
                80,
            );
            check.secret_length(
                "stateConfiguration.mapItemReaderData",
                c.map_item_reader_data.as_deref(),
                0,
                MAX_PAYLOAD,
            );
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestStateOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inspection_data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_state: Option<String>,
    status: TestStatus,
}

pub struct TestState;

impl Operation<StepFunctionsService> for TestState {
    const NAME: &'static str = "TestState";
    type Input = TestStateInput;
    type Output = TestStateOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: TestStateInput,
    ) -> Result<TestStateOutput, AwsError> {
        let level = input
            .inspection_level
            .clone()
            .unwrap_or_else(|| "INFO".into());
        let role = input.role_arn.clone();
        if let Some(r) = &role {
            check_role(r)?;
        }
        let request = engine_input(&svc, input)?;
        let mocked = request.mock.is_some();
        let execution_arn = format!(
            "arn:aws:states:{}:{}:execution:{}:{}",
            svc.stack.region,
            svc.stack.account_id,
            asl::test_state::SINGLE_STATE_NAME,
            request.execution_name
        );
        let state_machine_arn = request.state_machine_arn.clone();
        let now = svc.stack.clock.now();
        let mut run = svc
            .stack
            .engines
            .run(move || TestRun::start(request, now))
            .await
            .ok_or_else(|| AwsError::internal("the engine failed on this test"))?
            .map_err(refusal)?;
        for _ in 0..MAX_TASKS {
            let Some(task) = run.pending_task().cloned() else {
                break;
            };
            // Undocumented wording: AWS names no message for a state that needs a role.
            let Some(role) = role.as_deref() else {
                return Err(validation(
                    "roleArn is required to test a state that calls an integration without a mock.",
                ));
            };
            debug_assert!(!mocked);
            let outcome = tokio::time::timeout(
                TEST_STATE_TIMEOUT,
                integrations::run_as(&svc, &task, &execution_arn, &state_machine_arn, Some(role)),
            )
            .await;
            let result = match outcome {
                Ok(Outcome::Done(r)) => r,
                Ok(Outcome::Submitted(_) | Outcome::Queued) => TaskResult::Failed {
                    error: "States.Runtime".into(),
                    cause: "TestState waits for no task token.".into(),
                },
                Err(_) => TaskResult::Failed {
                    error: "States.Timeout".into(),
                    cause: "The TestState API ran for more than five minutes.".into(),
                },
            };
            run = svc
                .stack
                .engines
                .run(move || {
                    match result {
                        TaskResult::Succeeded(v) => run.task_succeeded(v),
                        TaskResult::Failed { error, cause } => run.task_failed(error, cause),
                    }
                    run
                })
                .await
                .ok_or_else(|| AwsError::internal("the engine failed on this test"))?;
        }
        let outcome = run
            .outcome()
            .ok_or_else(|| AwsError::internal("the tested state did not finish"))?;
        let inspection_data = (level != "INFO").then(|| inspection_json(&outcome.inspection));
        Ok(TestStateOutput {
            output: outcome.output.map(|v| v.to_string()),
            error: outcome.error,
            cause: outcome.cause,
            inspection_data,
            next_state: outcome.next_state,
            status: outcome.status,
        })
    }
}

fn check_role(role: &str) -> Result<(), AwsError> {
    let parts: Vec<&str> = role.split(':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return Err(AwsError::client(
            "InvalidArn",
            format!("Invalid Arn: 'Invalid ARN prefix: {role}'"),
        ));
    }
    Ok(())
}

/// The request as the engine takes it: JSON members parsed, the mock checked.
fn engine_input(
    svc: &StepFunctionsService,
    input: TestStateInput,
) -> Result<EngineInput, AwsError> {
    let state_input: Value = match input.input.as_deref() {
        None => Value::Object(Map::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            AwsError::client(
                "InvalidExecutionInput",
                format!("Invalid State Machine Execution Input: '{e}'"),
            )
        })?,
    };
    // Undocumented wording for the JSON members below; the members and their meaning are the
    // API reference's.
    let variables = match input.variables.as_deref() {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(validation("variables must be a JSON object literal.")),
            Err(e) => return Err(validation(format!("variables is not valid JSON: {e}"))),
        },
    };
    let context = match input.context.as_deref() {
        None => None,
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Object(_)) => Some(v),
            Ok(_) => return Err(validation("context must be a JSON object.")),
            Err(e) => return Err(validation(format!("context is not valid JSON: {e}"))),
        },
    };
    let mock = match input.mock {
        None => None,
        Some(m) => Some(mock(m, &input.definition, input.state_name.as_deref())?),
    };
    let mut config_retries = 0;
    if let Some(c) = &input.state_configuration {
        if c.error_caused_by_state.is_some()
            || c.map_iteration_failure_count.is_some()
            || c.map_item_reader_data.is_some()
        {
            return Err(validation(
                "kyc-local does not support stateConfiguration.errorCausedByState, mapIterationFailureCount or mapItemReaderData.",
            ));
        }
        config_retries = c.retrier_retry_count.unwrap_or(0).max(0).unsigned_abs();
    }
    let mut req = EngineInput::new(input.definition);
    req.state_name = input.state_name;
    req.input = state_input;
    req.variables = variables;
    req.context = context;
    req.mock = mock;
    req.retrier_retry_count = config_retries;
    req.role_arn = input.role_arn.unwrap_or_default();
    req.state_machine_arn = format!(
        "arn:aws:states:{}:{}:stateMachine:{}",
        svc.stack.region,
        svc.stack.account_id,
        asl::test_state::SINGLE_STATE_NAME
    );
    req.execution_name = uuid::Uuid::new_v4().to_string();
    Ok(req)
}

/// `mock`: exactly one of `result` (JSON) and `errorOutput` (with its `error`).
fn mock(m: MockInput, definition: &str, state_name: Option<&str>) -> Result<Mock, AwsError> {
    // Undocumented wordings; the rules are the API reference's ("A JSON object that contains a
    // mocked result or errorOutput"; error "is required if mock.errorOutput is specified").
    match (m.result, m.error_output) {
        (Some(_), Some(_)) => Err(validation(
            "A mock must contain either a result or an errorOutput, not both.",
        )),
        (None, None) => Err(validation(
            "A mock must contain a result or an errorOutput.",
        )),
        (None, Some(e)) => match e.error {
            Some(error) => Ok(Mock::Error(StateError::new(
                error,
                e.cause.unwrap_or_default(),
            ))),
            None => Err(validation(
                "mock.errorOutput.error is required when mock.errorOutput is specified.",
            )),
        },
        (Some(text), None) => {
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| validation(format!("mock.result is not valid JSON: {e}")))?;
            let mode = m.field_validation_mode.as_deref().unwrap_or("STRICT");
            if mode != "NONE"
                && let Some(resource) = tested_resource(definition, state_name)
            {
                check_mocked_fields(&resource, &value)?;
            }
            Ok(Mock::Result(value))
        }
    }
}

/// The `Resource` of the state under test, when it is a Task.
fn tested_resource(definition: &str, state_name: Option<&str>) -> Option<String> {
    let v: Value = serde_json::from_str(definition).ok()?;
    let state = match state_name {
        Some(name) => v.get("States")?.get(name)?,
        None => &v,
    };
    state
        .get("Resource")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// `fieldValidationMode` STRICT / PRESENT for the integrations kyc-local runs: each present
/// member of the response model has its type (Lambda `Invoke`, EventBridge `PutEvents`, SQS
/// `SendMessage` responses as the integrations answer them; none of their members is required,
/// so STRICT and PRESENT check the same). Other resources are not checked.
fn check_mocked_fields(resource: &str, result: &Value) -> Result<(), AwsError> {
    let base = resource.split('.').next().unwrap_or(resource);
    let fields: &[(&str, &str)] = match base {
        "arn:aws:states:::lambda:invoke" => &[
            ("StatusCode", "integer"),
            ("FunctionError", "string"),
            ("LogResult", "string"),
            ("ExecutedVersion", "string"),
        ],
        "arn:aws:states:::events:putEvents" => {
            &[("FailedEntryCount", "integer"), ("Entries", "list")]
        }
        "arn:aws:states:::sqs:sendMessage" => &[
            ("MessageId", "string"),
            ("MD5OfMessageBody", "string"),
            ("MD5OfMessageAttributes", "string"),
            ("MD5OfMessageSystemAttributes", "string"),
            ("SequenceNumber", "string"),
        ],
        _ => return Ok(()),
    };
    let Some(obj) = result.as_object() else {
        return Err(validation(format!(
            "mock.result does not match the response of {resource}: expected a JSON object."
        )));
    };
    for (name, ty) in fields {
        let Some(v) = obj.get(*name) else { continue };
        let ok = match *ty {
            "integer" => v.is_i64() || v.is_u64(),
            "string" => v.is_string(),
            _ => v.is_array(),
        };
        if !ok {
            return Err(validation(format!(
                "mock.result does not match the response of {resource}: the field '{name}' must be a {ty}."
            )));
        }
    }
    Ok(())
}

fn refusal(e: TestStateError) -> AwsError {
    match e {
        TestStateError::InvalidDefinition(d) => {
            AwsError::client("InvalidDefinition", d.to_string())
        }
        other => validation(other.to_string()),
    }
}

/// `inspectionData`: the data members as JSON text (`SensitiveData` strings), the rest as is.
fn inspection_json(i: &asl::execution::Inspection) -> Value {
    let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        for (k, val) in m.iter_mut() {
            if k != "errorDetails" && k != "maxConcurrency" {
                *val = Value::String(val.to_string());
            }
        }
    }
    v
}
