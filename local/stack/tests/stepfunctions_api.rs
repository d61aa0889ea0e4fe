//! Every Step Functions operation and its errors, and the task integrations, in-process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod stepfunctions_support;

use std::collections::BTreeMap;
use std::sync::Arc;

use emulator::lambda::LambdaError;
use emulator::protocol::JsonService;
use emulator::services::bridge::ExecutionStarter;
use serde_json::{Value, json};
use stepfunctions_support::{FakeLambda, FakeReply, Harness, START_MS};

const ROLE: &str = "arn:aws:iam::000000000000:role/test";
const SM_PREFIX: &str = "arn:aws:states:us-east-1:000000000000:stateMachine:";

fn wait_machine() -> String {
    json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 10, "Next": "P"},
        "P": {"Type": "Pass", "End": true}
    }})
    .to_string()
}

async fn create(h: &Harness, name: &str, definition: &str) -> String {
    h.ok(
        "CreateStateMachine",
        json!({"name": name, "definition": definition, "roleArn": ROLE}),
    )
    .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn start(h: &Harness, sm: &str, name: &str, input: &str) -> String {
    h.ok(
        "StartExecution",
        json!({"stateMachineArn": sm, "name": name, "input": input}),
    )
    .await["executionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn state_machine_lifecycle() {
    let h = Harness::kyc(&[]).await;
    let def = wait_machine();
    let created = h
        .ok(
            "CreateStateMachine",
            json!({"name": "waiter", "definition": def, "roleArn": ROLE}),
        )
        .await;
    let arn = format!("{SM_PREFIX}waiter");
    assert_eq!(
        created,
        json!({"stateMachineArn": arn, "creationDate": START_MS as f64 / 1000.0})
    );
    // Same definition and role: idempotent. Different definition: StateMachineAlreadyExists.
    let again = h
        .ok(
            "CreateStateMachine",
            json!({"name": "waiter", "definition": def, "roleArn": ROLE}),
        )
        .await;
    assert_eq!(again, created);
    let other = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string();
    let exists = h
        .err(
            "CreateStateMachine",
            json!({"name": "waiter", "definition": other, "roleArn": ROLE}),
        )
        .await;
    assert_eq!(exists.code, "StateMachineAlreadyExists");
    assert_eq!(
        exists.message.as_deref(),
        Some(format!("State Machine Already Exists: '{arn}'").as_str())
    );

    let d = h
        .ok("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(d["name"], "waiter");
    assert_eq!(d["status"], "ACTIVE");
    assert_eq!(d["type"], "STANDARD");
    assert_eq!(d["definition"], def);
    assert_eq!(d["roleArn"], ROLE);
    assert_eq!(
        d["loggingConfiguration"],
        json!({"level": "OFF", "includeExecutionData": false})
    );
    assert_eq!(d["tracingConfiguration"], json!({"enabled": false}));

    let list = h.ok("ListStateMachines", json!({})).await;
    let names: Vec<&str> = list["stateMachines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kyc-onboarding", "waiter"]);
    let page = h.ok("ListStateMachines", json!({"maxResults": 1})).await;
    assert_eq!(page["stateMachines"].as_array().unwrap().len(), 1);
    let token = page["nextToken"].as_str().unwrap();
    let rest = h
        .ok(
            "ListStateMachines",
            json!({"maxResults": 1, "nextToken": token}),
        )
        .await;
    assert_eq!(rest["stateMachines"][0]["name"], "waiter");
    assert!(rest.get("nextToken").is_none());
    let bad_token = h
        .err("ListStateMachines", json!({"nextToken": "nonsense"}))
        .await;
    assert_eq!(bad_token.code, "InvalidToken");

    let updated = h
        .ok(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "definition": other}),
        )
        .await;
    assert_eq!(updated["updateDate"], json!(START_MS as f64 / 1000.0));
    assert!(updated["revisionId"].is_string());
    let d = h
        .ok("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(d["definition"], other);
    assert_eq!(d["revisionId"], updated["revisionId"]);
    let nothing = h
        .err("UpdateStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(nothing.code, "MissingRequiredParameter");

    assert_eq!(
        h.ok("DeleteStateMachine", json!({"stateMachineArn": arn}))
            .await,
        json!({})
    );
    let gone = h
        .err("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(gone.code, "StateMachineDoesNotExist");
    assert_eq!(
        gone.message.as_deref(),
        Some(format!("State Machine Does Not Exist: '{arn}'").as_str())
    );
}

#[tokio::test]
async fn state_machine_validation_errors() {
    let h = Harness::kyc(&[]).await;
    let bad_name = h
        .err(
            "CreateStateMachine",
            json!({"name": "has space", "definition": wait_machine(), "roleArn": ROLE}),
        )
        .await;
    assert_eq!(bad_name.code, "InvalidName");
    assert_eq!(
        bad_name.message.as_deref(),
        Some("Invalid Name: 'has space'")
    );
    let missing = h
        .err("CreateStateMachine", json!({"name": "x", "roleArn": ROLE}))
        .await;
    assert_eq!(missing.code, "ValidationException");
    assert_eq!(
        missing.message.as_deref(),
        Some(
            "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null"
        )
    );
    let invalid = h
        .err(
            "CreateStateMachine",
            json!({"name": "x", "roleArn": ROLE,
                   "definition": json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}).to_string()}),
        )
        .await;
    assert_eq!(invalid.code, "InvalidDefinition");
    let message = invalid.message.unwrap();
    assert!(
        message.starts_with("Invalid State Machine Definition: '")
            && message
                .contains("MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next"),
        "{message}"
    );
    let logging = h
        .err(
            "CreateStateMachine",
            json!({"name": "x", "roleArn": ROLE, "definition": wait_machine(),
                   "loggingConfiguration": {"level": "ALL"}}),
        )
        .await;
    assert_eq!(logging.code, "InvalidLoggingConfiguration");
    let kind = h
        .err(
            "CreateStateMachine",
            json!({"name": "x", "roleArn": ROLE, "definition": wait_machine(), "type": "FAST"}),
        )
        .await;
    assert_eq!(kind.code, "ValidationException");

    let wrong_type = h
        .err(
            "DescribeStateMachine",
            json!({"stateMachineArn": "arn:aws:states:us-east-1:000000000000:execution:a:b"}),
        )
        .await;
    assert_eq!(wrong_type.code, "InvalidArn");
    assert_eq!(
        wrong_type.message.as_deref(),
        Some("Invalid Arn: 'Resource type not valid in this context: execution'")
    );
    let garbage = h
        .err("DescribeStateMachine", json!({"stateMachineArn": "nope"}))
        .await;
    assert_eq!(garbage.code, "InvalidArn");
    assert_eq!(
        garbage.message.as_deref(),
        Some("Invalid Arn: 'Invalid ARN prefix: nope'")
    );
}

#[tokio::test]
async fn validate_state_machine_definition_reports_diagnostics() {
    let h = Harness::kyc(&[]).await;
    assert_eq!(
        h.ok(
            "ValidateStateMachineDefinition",
            json!({"definition": wait_machine()})
        )
        .await,
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );
    let out = h
        .ok(
            "ValidateStateMachineDefinition",
            json!({"definition": json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}).to_string()}),
        )
        .await;
    assert_eq!(out["result"], "FAIL");
    assert_eq!(
        out["diagnostics"][0],
        json!({"severity": "ERROR", "code": "MISSING_TRANSITION_TARGET",
               "message": "Missing 'Next' target: B", "location": "/States/A/Next"})
    );
}

#[tokio::test]
async fn executions_start_describe_list_and_finish_on_the_clock() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "waiter", &wait_machine()).await;
    let arn = start(&h, &sm, "e1", "{\"a\":1}").await;
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:000000000000:execution:waiter:e1"
    );
    // Standard: the same name and input while RUNNING is idempotent...
    let again = h
        .ok(
            "StartExecution",
            json!({"stateMachineArn": sm, "name": "e1", "input": "{\"a\":1}"}),
        )
        .await;
    assert_eq!(
        again,
        json!({"executionArn": arn, "startDate": START_MS as f64 / 1000.0})
    );
    // ... a different input is not.
    let exists = h
        .err(
            "StartExecution",
            json!({"stateMachineArn": sm, "name": "e1", "input": "{\"a\":2}"}),
        )
        .await;
    assert_eq!(exists.code, "ExecutionAlreadyExists");
    assert_eq!(
        exists.message.as_deref(),
        Some(format!("Execution Already Exists: '{arn}'").as_str())
    );
    let bad_input = h
        .err(
            "StartExecution",
            json!({"stateMachineArn": sm, "name": "e9", "input": "{"}),
        )
        .await;
    assert_eq!(bad_input.code, "InvalidExecutionInput");
    let bad_name = h
        .err(
            "StartExecution",
            json!({"stateMachineArn": sm, "name": "a/b"}),
        )
        .await;
    assert_eq!(bad_name.code, "InvalidName");
    let no_machine = h
        .err(
            "StartExecution",
            json!({"stateMachineArn": format!("{SM_PREFIX}missing")}),
        )
        .await;
    assert_eq!(no_machine.code, "StateMachineDoesNotExist");

    let d = h.describe(&arn).await;
    assert_eq!(
        d,
        json!({
            "executionArn": arn, "stateMachineArn": sm, "name": "e1", "status": "RUNNING",
            "startDate": START_MS as f64 / 1000.0, "input": "{\"a\":1}",
            "inputDetails": {"included": true}, "redriveCount": 0,
            "redriveStatus": "NOT_REDRIVABLE",
            "redriveStatusReason": "Execution is RUNNING and cannot be redriven"
        })
    );
    h.advance(9).await;
    assert_eq!(h.describe(&arn).await["status"], "RUNNING");
    h.advance(1).await;
    let d = h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(d["output"], "{\"a\":1}");
    assert_eq!(d["outputDetails"], json!({"included": true}));
    assert_eq!(d["stopDate"], json!((START_MS + 10_000) as f64 / 1000.0));

    // Executions without a name get a UUID.
    let unnamed = h.ok("StartExecution", json!({"stateMachineArn": sm})).await;
    let name = unnamed["executionArn"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    assert!(uuid::Uuid::parse_str(&name).is_ok(), "{name}");

    let all = h.ok("ListExecutions", json!({"stateMachineArn": sm})).await;
    assert_eq!(all["executions"].as_array().unwrap().len(), 2);
    let done = h
        .ok(
            "ListExecutions",
            json!({"stateMachineArn": sm, "statusFilter": "SUCCEEDED"}),
        )
        .await;
    assert_eq!(
        done["executions"],
        json!([{"executionArn": arn, "stateMachineArn": sm, "name": "e1", "status": "SUCCEEDED",
                "startDate": START_MS as f64 / 1000.0, "stopDate": (START_MS + 10_000) as f64 / 1000.0,
                "redriveCount": 0}])
    );
    let page = h
        .ok(
            "ListExecutions",
            json!({"stateMachineArn": sm, "maxResults": 1}),
        )
        .await;
    assert_eq!(page["executions"].as_array().unwrap().len(), 1);
    let next = h
        .ok(
            "ListExecutions",
            json!({"stateMachineArn": sm, "maxResults": 1, "nextToken": page["nextToken"]}),
        )
        .await;
    assert_eq!(next["executions"].as_array().unwrap().len(), 1);
    assert_ne!(page["executions"][0], next["executions"][0]);
    let bad_filter = h
        .err(
            "ListExecutions",
            json!({"stateMachineArn": sm, "statusFilter": "DONE"}),
        )
        .await;
    assert_eq!(bad_filter.code, "ValidationException");
    let none = h.err("ListExecutions", json!({})).await;
    assert_eq!(none.code, "ValidationException");

    let missing = h
        .err(
            "DescribeExecution",
            json!({"executionArn": "arn:aws:states:us-east-1:000000000000:execution:waiter:nope"}),
        )
        .await;
    assert_eq!(missing.code, "ExecutionDoesNotExist");
    assert_eq!(
        missing.message.as_deref(),
        Some(
            "Execution Does Not Exist: 'arn:aws:states:us-east-1:000000000000:execution:waiter:nope'"
        )
    );
    let for_execution = h
        .ok(
            "DescribeStateMachineForExecution",
            json!({"executionArn": arn}),
        )
        .await;
    assert_eq!(for_execution["stateMachineArn"], sm);
    assert_eq!(for_execution["definition"], wait_machine());
    assert_eq!(for_execution["name"], "waiter");
}

#[tokio::test]
async fn execution_history_pages_reverses_and_hides_data() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "waiter", &wait_machine()).await;
    let arn = start(&h, &sm, "e1", "{\"secret\":1}").await;
    h.advance(10).await;
    h.wait_status(&arn, "SUCCEEDED").await;
    let types = h.history_types(&arn).await;
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let first = h
        .ok(
            "GetExecutionHistory",
            json!({"executionArn": arn, "maxResults": 4}),
        )
        .await;
    assert_eq!(first["events"].as_array().unwrap().len(), 4);
    assert_eq!(
        first["events"][0],
        json!({"timestamp": START_MS as f64 / 1000.0, "type": "ExecutionStarted", "id": 1,
               "previousEventId": 0,
               "executionStartedEventDetails": {"input": "{\"secret\":1}", "inputDetails": {"truncated": false}, "roleArn": ROLE}})
    );
    let second = h
        .ok(
            "GetExecutionHistory",
            json!({"executionArn": arn, "maxResults": 4, "nextToken": first["nextToken"]}),
        )
        .await;
    let ids: Vec<i64> = second["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [5, 6]);
    assert!(second.get("nextToken").is_none());
    let reversed = h
        .ok(
            "GetExecutionHistory",
            json!({"executionArn": arn, "reverseOrder": true, "maxResults": 2}),
        )
        .await;
    let ids: Vec<i64> = reversed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [6, 5]);
    let hidden = h
        .ok(
            "GetExecutionHistory",
            json!({"executionArn": arn, "includeExecutionData": false}),
        )
        .await;
    assert_eq!(
        hidden["events"][0]["executionStartedEventDetails"],
        json!({"roleArn": ROLE})
    );
    assert!(
        hidden["events"][5]["executionSucceededEventDetails"]
            .get("output")
            .is_none()
    );
}

#[tokio::test]
async fn stop_execution_aborts_and_emits_status_events() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "waiter", &wait_machine()).await;
    let arn = start(&h, &sm, "e1", "{}").await;
    h.advance(3).await;
    let stopped = h
        .ok(
            "StopExecution",
            json!({"executionArn": arn, "error": "Operator", "cause": "stopped by a test"}),
        )
        .await;
    assert_eq!(
        stopped,
        json!({"stopDate": (START_MS + 3_000) as f64 / 1000.0})
    );
    let d = h.describe(&arn).await;
    assert_eq!(d["status"], "ABORTED");
    assert_eq!(d["error"], "Operator");
    assert_eq!(d["cause"], "stopped by a test");
    assert_eq!(d["redriveStatus"], "REDRIVABLE");
    let types = h.history_types(&arn).await;
    assert_eq!(types.last().map(String::as_str), Some("ExecutionAborted"));
    // Stopping again answers with the same stop date.
    assert_eq!(
        h.ok("StopExecution", json!({"executionArn": arn})).await,
        stopped
    );
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let events = h.events.service_events();
    let statuses: Vec<&str> = events
        .iter()
        .map(|e| e["detail"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["RUNNING", "ABORTED"]);
    let aborted = &events[1]["detail"];
    assert_eq!(aborted["error"], "Operator");
    assert_eq!(aborted["cause"], "stopped by a test");
    assert_eq!(aborted["stopDate"], json!(START_MS + 3_000));
    assert_eq!(aborted["redriveStatus"], "REDRIVABLE");
    assert_eq!(aborted["redriveStatusReason"], Value::Null);
}

#[tokio::test]
async fn callback_errors_as_aws_raises_them() {
    let h = Harness::kyc(&[]).await;
    let empty = h
        .err("SendTaskSuccess", json!({"taskToken": "", "output": "{}"}))
        .await;
    assert_eq!(empty.code, "ValidationException");
    let garbage = h
        .err(
            "SendTaskSuccess",
            json!({"taskToken": "not-a-token", "output": "{}"}),
        )
        .await;
    assert_eq!(garbage.code, "InvalidToken");
    assert_eq!(garbage.message.as_deref(), Some("Invalid Length"));
    let unknown = format!("AQ{}", "0".repeat(56));
    let missing = h
        .err(
            "SendTaskFailure",
            json!({"taskToken": unknown, "error": "E"}),
        )
        .await;
    assert_eq!(missing.code, "TaskDoesNotExist");
    let heartbeat = h
        .err("SendTaskHeartbeat", json!({"taskToken": unknown}))
        .await;
    assert_eq!(heartbeat.code, "TaskDoesNotExist");
    let bad_output = h
        .err(
            "SendTaskSuccess",
            json!({"taskToken": unknown, "output": "{oops"}),
        )
        .await;
    assert_eq!(bad_output.code, "InvalidOutput");
    let no_output = h
        .err("SendTaskSuccess", json!({"taskToken": unknown}))
        .await;
    assert_eq!(no_output.code, "ValidationException");
    let unknown_op = h.err("DescribeCanaries", json!({})).await;
    assert_eq!(unknown_op.code, "UnknownOperationException");
}

#[tokio::test]
async fn execution_starter_starts_executions_for_eventbridge() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "waiter", &wait_machine()).await;
    let started = h
        .svc
        .start_execution(&sm, None, "{\"from\":\"rule\"}".into())
        .await
        .unwrap();
    assert!(
        started
            .execution_arn
            .starts_with("arn:aws:states:us-east-1:000000000000:execution:waiter:")
    );
    assert_eq!(started.start_date, START_MS as f64 / 1000.0);
    let d = h.describe(&started.execution_arn).await;
    assert_eq!(d["input"], "{\"from\":\"rule\"}");
    let bad = h
        .svc
        .start_execution(&format!("{SM_PREFIX}nope"), None, "{}".into())
        .await
        .unwrap_err();
    assert_eq!(bad.code, "StateMachineDoesNotExist");
}

fn task_machine(state: Value) -> String {
    json!({"StartAt": "T", "States": {"T": state}}).to_string()
}

#[tokio::test]
async fn lambda_invoke_output_shape_and_bare_arn() {
    let lambda = FakeLambda::new(|_, payload| FakeReply::Ok(json!({"echo": payload})));
    let h = Harness::start(
        emulator::server::StateLocation::InMemory,
        emulator::clock::ManualClock::new(START_MS),
        &[],
        lambda,
    )
    .await;
    let sm = create(
        &h,
        "invoke",
        &task_machine(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "fn", "Payload": {"x.$": "$.x"}}, "End": true}),
        ),
    )
    .await;
    let arn = start(&h, &sm, "e1", "{\"x\":5}").await;
    let d = h.wait_status(&arn, "SUCCEEDED").await;
    let out: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["Payload"], json!({"echo": {"x": 5}}));
    assert_eq!(out["ExecutedVersion"], "$LATEST");
    assert_eq!(out["StatusCode"], 200);
    assert_eq!(out["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert_eq!(out["SdkResponseMetadata"], json!({"RequestId": "req-1"}));
    assert_eq!(
        out["SdkHttpMetadata"]["HttpHeaders"]["X-Amz-Executed-Version"],
        "$LATEST"
    );
    assert_eq!(
        out["SdkHttpMetadata"]["AllHttpHeaders"]["x-amzn-RequestId"],
        json!(["req-1"])
    );

    let bare = create(
        &h,
        "bare",
        &task_machine(json!({"Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:000000000000:function:fn", "End": true})),
    )
    .await;
    let arn = start(&h, &bare, "e2", "{\"y\":1}").await;
    let d = h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(d["output"], "{\"echo\":{\"y\":1}}");
    let types = h.history_types(&arn).await;
    assert!(
        types.contains(&"LambdaFunctionSucceeded".to_owned()),
        "{types:?}"
    );
}

#[tokio::test]
async fn lambda_api_errors_become_lambda_prefixed_task_failures() {
    let lambda = FakeLambda::new(|_, _| FakeReply::ApiError(LambdaError::Service("boom".into())));
    let h = Harness::start(
        emulator::server::StateLocation::InMemory,
        emulator::clock::ManualClock::new(START_MS),
        &[],
        lambda,
    )
    .await;
    let sm = create(
        &h,
        "invoke",
        &task_machine(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "fn"}, "End": true}),
        ),
    )
    .await;
    let arn = start(&h, &sm, "e1", "{}").await;
    let d = h.wait_status(&arn, "FAILED").await;
    assert_eq!(d["error"], "Lambda.ServiceException");
    let cause = d["cause"].as_str().unwrap();
    assert!(
        cause.starts_with(
            "boom (Service: AWSLambda; Status Code: 500; Error Code: ServiceException; Request ID: "
        ),
        "{cause}"
    );
    // A function error without errorType still fails the task.
    let lambda = FakeLambda::new(|_, _| FakeReply::FunctionError(json!({"errorMessage": "x"})));
    let h = Harness::start(
        emulator::server::StateLocation::InMemory,
        emulator::clock::ManualClock::new(START_MS),
        &[],
        lambda,
    )
    .await;
    let sm = create(
        &h,
        "invoke",
        &task_machine(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "fn"}, "End": true}),
        ),
    )
    .await;
    let arn = start(&h, &sm, "e1", "{}").await;
    let d = h.wait_status(&arn, "FAILED").await;
    assert_eq!(d["error"], "Lambda.Unknown");
    assert_eq!(d["cause"], "{\"errorMessage\":\"x\"}");
}

#[tokio::test]
async fn put_events_failed_entry_fails_the_task() {
    let h = Harness::kyc(&[]).await;
    h.events.reject.lock().unwrap().push("Rejected".to_owned());
    let sm = create(
        &h,
        "publisher",
        &task_machine(json!({"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {"Entries": [{"Source": "s", "DetailType": "Rejected", "Detail": {"a": 1}}]},
            "End": true})),
    )
    .await;
    let arn = start(&h, &sm, "e1", "{}").await;
    let d = h.wait_status(&arn, "FAILED").await;
    assert_eq!(d["error"], "EventBridge.FailedEntry");
    assert!(
        d["cause"]
            .as_str()
            .unwrap()
            .contains("\"FailedEntryCount\":1")
    );

    let ok = create(
        &h,
        "publisher-ok",
        &task_machine(
            json!({"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {"Entries": [{"Source": "s", "DetailType": "Fine", "Detail": {"a": 1}}]},
            "End": true}),
        ),
    )
    .await;
    let arn = start(&h, &ok, "e2", "{}").await;
    let d = h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(
        d["output"],
        "{\"Entries\":[{\"EventId\":\"event-0-0\"}],\"FailedEntryCount\":0}"
    );
    assert_eq!(h.events.entries()[0]["Detail"], "{\"a\":1}");
}

#[tokio::test]
async fn sqs_send_message_and_its_callback_pattern() {
    let h = Harness::kyc(&[]).await;
    h.stack()
        .sqs
        .ensure_queue("work", BTreeMap::new())
        .await
        .unwrap();
    let url = format!("{}/000000000000/work", h.stack().endpoint);
    let sm = create(
        &h,
        "sender",
        &task_machine(
            json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": url, "MessageBody": {"job.$": "$.job"}}, "End": true}),
        ),
    )
    .await;
    let arn = start(&h, &sm, "e1", "{\"job\":7}").await;
    let d = h.wait_status(&arn, "SUCCEEDED").await;
    let out: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
    let digest = <md5::Md5 as md5::Digest>::digest(b"{\"job\":7}");
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(out["MD5OfMessageBody"], hex);
    assert!(out["MessageId"].is_string());
    assert_eq!(out["SdkHttpMetadata"]["HttpStatusCode"], 200);

    let waiting = create(
        &h,
        "sender-wait",
        &task_machine(json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}}, "End": true})),
    )
    .await;
    let arn = start(&h, &waiting, "e2", "{}").await;
    let sqs = h.stack().sqs.clone();
    let mut token = None;
    for _ in 0..100 {
        let received = Arc::clone(&sqs)
            .call(
                "ReceiveMessage".into(),
                json!({"QueueUrl": url, "MaxNumberOfMessages": 10}),
            )
            .await
            .unwrap();
        if let Some(messages) = received["Messages"].as_array() {
            for m in messages {
                let body: Value = serde_json::from_str(m["Body"].as_str().unwrap()).unwrap();
                if let Some(t) = body["token"].as_str() {
                    token = Some(t.to_owned());
                }
            }
        }
        if token.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let token = token.expect("the message carries the token");
    h.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"done\":true}"}),
    )
    .await;
    let d = h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(d["output"], "{\"done\":true}");
}

#[tokio::test]
async fn unknown_integrations_fail_the_task_clearly() {
    let h = Harness::kyc(&[]).await;
    let sm = create(
        &h,
        "dynamo",
        &task_machine(
            json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": "t"}, "End": true}),
        ),
    )
    .await;
    let arn = start(&h, &sm, "e1", "{}").await;
    let d = h.wait_status(&arn, "FAILED").await;
    assert_eq!(d["error"], "States.TaskFailed");
    assert_eq!(
        d["cause"],
        "the local stack does not run the integration 'arn:aws:states:::dynamodb:putItem'"
    );
}

#[tokio::test]
async fn error_level_logging_writes_only_failures_with_data() {
    let h = Harness::kyc(&[]).await;
    h.stack()
        .logs
        .ensure_log_group("/sfn/errors", None)
        .await
        .unwrap();
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Next": "F"},
        "F": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}
    }})
    .to_string();
    let sm = h
        .ok(
            "CreateStateMachine",
            json!({"name": "failing", "definition": definition, "roleArn": ROLE,
                   "loggingConfiguration": {"level": "ERROR", "includeExecutionData": true,
                     "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:000000000000:log-group:/sfn/errors:*"}}]}}),
        )
        .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let arn = start(&h, &sm, "e1", "{\"k\":1}").await;
    h.wait_status(&arn, "FAILED").await;
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let out = Arc::clone(&h.stack().logs)
        .call(
            "FilterLogEvents".into(),
            json!({"logGroupName": "/sfn/errors"}),
        )
        .await
        .unwrap();
    let records: Vec<Value> = out["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str(e["message"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["type"], "ExecutionFailed");
    assert_eq!(
        records[0]["details"],
        json!({"error": "Broken", "cause": "on purpose"})
    );
}

#[tokio::test]
async fn execution_timeout_ends_timed_out() {
    let h = Harness::kyc(&[]).await;
    let definition = json!({"TimeoutSeconds": 5, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 10, "End": true}
    }})
    .to_string();
    let sm = create(&h, "slow", &definition).await;
    let arn = start(&h, &sm, "e1", "{}").await;
    h.advance(5).await;
    let d = h.wait_status(&arn, "TIMED_OUT").await;
    assert_eq!(d["error"], "States.Timeout");
    assert_eq!(d["stopDate"], json!((START_MS + 5_000) as f64 / 1000.0));
    let types = h.history_types(&arn).await;
    assert_eq!(types.last().map(String::as_str), Some("ExecutionTimedOut"));
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let statuses: Vec<String> = h
        .events
        .service_events()
        .iter()
        .map(|e| e["detail"]["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["RUNNING", "TIMED_OUT"]);
}

/// ListTagsForResource (API reference): the tags given at CreateStateMachine, by key; a state
/// machine without tags has an empty list; a deleted or unknown one is `ResourceNotFound`; an ARN
/// that is not a state machine's is `InvalidArn`; `resourceArn` is required and 1..=256 long.
#[tokio::test]
async fn list_tags_for_resource() {
    let h = Harness::kyc(&[]).await;
    let def = wait_machine();
    let tagged = h
        .ok(
            "CreateStateMachine",
            json!({"name": "tagged", "definition": def, "roleArn": ROLE,
                   "tags": [{"key": "team", "value": "kyc"}, {"key": "cost-center", "value": "42"}, {"key": "bare"}]}),
        )
        .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        h.ok("ListTagsForResource", json!({"resourceArn": tagged}))
            .await,
        json!({"tags": [
            {"key": "bare", "value": ""},
            {"key": "cost-center", "value": "42"},
            {"key": "team", "value": "kyc"}
        ]})
    );
    let plain = create(&h, "plain", &def).await;
    assert_eq!(
        h.ok("ListTagsForResource", json!({"resourceArn": plain}))
            .await,
        json!({"tags": []})
    );

    h.ok("DeleteStateMachine", json!({"stateMachineArn": tagged}))
        .await;
    let gone = h
        .call("ListTagsForResource", json!({"resourceArn": tagged}))
        .await
        .unwrap_err();
    assert_eq!(gone.code, "ResourceNotFound");
    // Re-created without tags: the old ones went with the machine.
    let again = create(&h, "tagged", &def).await;
    assert_eq!(
        h.ok("ListTagsForResource", json!({"resourceArn": again}))
            .await,
        json!({"tags": []})
    );

    let unknown = h
        .call(
            "ListTagsForResource",
            json!({"resourceArn": format!("{SM_PREFIX}never")}),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.code, "ResourceNotFound");
    let bad = h
        .call(
            "ListTagsForResource",
            json!({"resourceArn": "arn:aws:sqs:us-east-1:000000000000:q"}),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code, "InvalidArn");
    let missing = h.call("ListTagsForResource", json!({})).await.unwrap_err();
    assert_eq!(missing.code, "ValidationException");
    assert_eq!(
        missing.message.as_deref(),
        Some(
            "1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null"
        )
    );
    let long = h
        .call(
            "ListTagsForResource",
            json!({"resourceArn": format!("{SM_PREFIX}{}", "x".repeat(300))}),
        )
        .await
        .unwrap_err();
    assert_eq!(long.code, "ValidationException");
    assert!(
        long.message
            .as_deref()
            .is_some_and(|m| m.ends_with("Member must have length less than or equal to 256")),
        "{long:?}"
    );

    // Tag keys are 1..=128 characters at CreateStateMachine.
    let bad_tag = h
        .call(
            "CreateStateMachine",
            json!({"name": "badtag", "definition": def, "roleArn": ROLE, "tags": [{"key": ""}]}),
        )
        .await
        .unwrap_err();
    assert_eq!(bad_tag.code, "ValidationException");
    assert_eq!(
        bad_tag.message.as_deref(),
        Some(
            "1 validation error detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
    );
}
