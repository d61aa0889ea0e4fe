//! StartSyncExecution on Express state machines (API reference "StartSyncExecution"; developer
//! guide "Standard and Express workflow types"), over the wire and with the real AWS CLI (which
//! sends the operation to a `sync-` prefixed host: the README's setting turns that off).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod stepfunctions_support;

use std::time::Duration;

use common::WireError;
use emulator::protocol::JsonService;
use serde_json::{Value, json};
use stepfunctions_support::{Harness, KYC_ARN, START_MS};

const ROLE: &str = "arn:aws:iam::000000000000:role/test";
const IDENTITY: &str = "arn:aws:lambda:us-east-1:000000000000:function:kyc-identity-check";

async fn wire(h: &Harness, op: &str, input: Value) -> Result<Value, WireError> {
    common::sfn_call(h.server.as_ref().unwrap().local_addr, op, &input).await
}

async fn ok(h: &Harness, op: &str, input: Value) -> Value {
    wire(h, op, input)
        .await
        .unwrap_or_else(|e| panic!("{op} failed: {e:?}"))
}

async fn express(h: &Harness, name: &str, definition: Value, extra: Value) -> String {
    let mut input = json!({"name": name, "type": "EXPRESS", "roleArn": ROLE, "definition": definition.to_string()});
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    ok(h, "CreateStateMachine", input).await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_express_workflow_runs_to_its_end_within_the_call() {
    let h = Harness::kyc(&[]).await;
    let definition = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": IDENTITY, "Payload": {"applicationId.$": "$.id", "application": {}}},
                  "ResultSelector": {"verified.$": "$.Payload.identityVerified"}, "Next": "Done?"},
        "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.verified", "BooleanEquals": true, "Next": "Ok"}], "Default": "No"},
        "Ok": {"Type": "Pass", "Parameters": {"result": "verified"}, "End": true},
        "No": {"Type": "Fail", "Error": "NotVerified"}}});
    let arn = express(&h, "sync-ok", definition, json!({})).await;
    let out = ok(
        &h,
        "StartSyncExecution",
        json!({"stateMachineArn": arn, "name": "run-1", "input": "{\"id\": \"app-1\"}", "traceHeader": "Root=1-abc"}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(
        serde_json::from_str::<Value>(out["output"].as_str().unwrap()).unwrap(),
        json!({"result": "verified"})
    );
    assert_eq!(out["input"], "{\"id\": \"app-1\"}");
    assert_eq!(out["inputDetails"], json!({"included": true}));
    assert_eq!(out["outputDetails"], json!({"included": true}));
    assert_eq!(out["name"], "run-1");
    assert_eq!(out["stateMachineArn"], arn);
    assert_eq!(out["traceHeader"], "Root=1-abc");
    let execution_arn = out["executionArn"].as_str().unwrap();
    assert!(
        execution_arn.starts_with("arn:aws:states:us-east-1:000000000000:express:sync-ok:run-1:"),
        "{execution_arn}"
    );
    assert_eq!(out["startDate"], json!(START_MS as f64 / 1000.0));
    assert_eq!(out["stopDate"], json!(START_MS as f64 / 1000.0));
    assert!(
        out["billingDetails"]["billedDurationInMilliseconds"]
            .as_i64()
            .unwrap()
            >= 100
    );
    assert_eq!(out["billingDetails"]["billedMemoryUsedInMB"], 64);
    // The task really ran.
    assert_eq!(h.lambda.calls().len(), 1);
    assert_eq!(h.lambda.calls()[0].1["applicationId"], "app-1");
    // No execution API for Express executions (API reference, ListExecutions: "This API action is
    // not supported by EXPRESS state machines"; DescribeExecution and GetExecutionHistory take
    // Standard execution ARNs only).
    let e = wire(&h, "ListExecutions", json!({"stateMachineArn": arn}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "StateMachineTypeNotSupported");
    for op in ["DescribeExecution", "GetExecutionHistory"] {
        let e = wire(&h, op, json!({"executionArn": execution_arn}))
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidArn", "{op}");
    }
}

#[tokio::test]
async fn start_execution_runs_an_express_workflow_in_the_background() {
    let h = Harness::kyc(&[]).await;
    let group = "/aws/vendedlogs/states/kyc-onboarding";
    let group_arn = format!("arn:aws:logs:us-east-1:000000000000:log-group:{group}:*");
    let arn = express(
        &h,
        "async-express",
        json!({"StartAt": "Check", "States": {"Check": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
               "Parameters": {"FunctionName": IDENTITY, "Payload": {"applicationId": "app-7", "application": {}}}, "End": true}}}),
        json!({"loggingConfiguration": {"level": "ALL", "includeExecutionData": false,
               "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}]}}),
    )
    .await;
    let out = ok(
        &h,
        "StartExecution",
        json!({"stateMachineArn": arn, "name": "bg-1"}),
    )
    .await;
    let execution_arn = out["executionArn"].as_str().unwrap().to_owned();
    assert!(
        execution_arn
            .starts_with("arn:aws:states:us-east-1:000000000000:express:async-express:bg-1:"),
        "{execution_arn}"
    );
    assert_eq!(out["startDate"], json!(START_MS as f64 / 1000.0));
    // It ran: the function was called and the log group has its events, up to its end.
    let mut types = Vec::new();
    for _ in 0..1000 {
        let logged = h
            .stack()
            .logs
            .clone()
            .call(
                "FilterLogEvents".into(),
                json!({"logGroupName": group, "logStreamNamePrefix": "states/async-express"}),
            )
            .await
            .unwrap();
        types = logged["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| serde_json::from_str::<Value>(e["message"].as_str().unwrap()).unwrap())
            .map(|r| r["type"].as_str().unwrap().to_owned())
            .collect();
        if types.last().map(String::as_str) == Some("ExecutionSucceeded") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(types.first().map(String::as_str), Some("ExecutionStarted"));
    assert_eq!(types.last().map(String::as_str), Some("ExecutionSucceeded"));
    assert_eq!(h.lambda.calls().len(), 1);
}

#[tokio::test]
async fn a_failing_express_workflow_answers_failed() {
    let h = Harness::kyc(&[]).await;
    let arn = express(
        &h,
        "sync-fail",
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Declined", "Cause": "by rule"}}}),
        json!({}),
    )
    .await;
    let out = ok(&h, "StartSyncExecution", json!({"stateMachineArn": arn})).await;
    assert_eq!(out["status"], "FAILED");
    assert_eq!(out["error"], "Declined");
    assert_eq!(out["cause"], "by rule");
    assert!(out.get("output").is_none());
    assert_eq!(out["input"], "{}");
}

#[tokio::test]
async fn metadata_only_leaves_out_input_and_output() {
    let h = Harness::kyc(&[]).await;
    let arn = express(
        &h,
        "sync-meta",
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
        json!({}),
    )
    .await;
    let out = ok(
        &h,
        "StartSyncExecution",
        json!({"stateMachineArn": arn, "input": "{\"secret\": 1}", "includedData": "METADATA_ONLY"}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED");
    assert!(
        out.get("input").is_none() && out.get("output").is_none(),
        "{out}"
    );
    assert_eq!(out["inputDetails"], json!({"included": false}));
    let e = wire(
        &h,
        "StartSyncExecution",
        json!({"stateMachineArn": arn, "includedData": "SOME"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "ValidationException");
}

/// StartSyncExecution in the background (the test moves the clock while it runs); its answer.
fn spawn_sync(h: &Harness, arn: &str) -> tokio::task::JoinHandle<Value> {
    let addr = h.server.as_ref().unwrap().local_addr;
    let input = json!({"stateMachineArn": arn});
    tokio::spawn(async move {
        match common::sfn_call(addr, "StartSyncExecution", &input).await {
            Ok(v) => v,
            Err(e) => e.body,
        }
    })
}

#[tokio::test]
async fn a_wait_waits_on_the_stack_clock_and_five_minutes_time_out() {
    let h = Harness::kyc(&[]).await;
    let arn = express(
        &h,
        "sync-wait",
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "Next": "P"}, "P": {"Type": "Pass", "Result": "after", "End": true}}}),
        json!({}),
    )
    .await;
    let call = spawn_sync(&h, &arn);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!call.is_finished(), "returned before the wait was over");
    // The clock moves a second at a time until the call answers (the engine may enter the Wait
    // a little after the call starts, on a busy machine).
    for _ in 0..100 {
        if call.is_finished() {
            break;
        }
        h.clock.advance(Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out = call.await.unwrap();
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["output"], "\"after\"");
    assert!(
        out["stopDate"].as_f64().unwrap() - out["startDate"].as_f64().unwrap() >= 10.0,
        "{out}"
    );

    // A wait past five minutes: the execution times out at five minutes.
    let long = express(
        &h,
        "sync-long",
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": true}}}),
        json!({}),
    )
    .await;
    let call = spawn_sync(&h, &long);
    for _ in 0..100 {
        if call.is_finished() {
            break;
        }
        h.clock.advance(Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out = call.await.unwrap();
    assert_eq!(out["status"], "TIMED_OUT", "{out}");
    let took = out["stopDate"].as_f64().unwrap() - out["startDate"].as_f64().unwrap();
    assert_eq!(took, 300.0, "{out}");
    assert_eq!(out["error"], "States.Timeout");
}

#[tokio::test]
async fn refusals() {
    let h = Harness::kyc(&[]).await;
    // A Standard state machine.
    let e = wire(
        &h,
        "StartSyncExecution",
        json!({"stateMachineArn": KYC_ARN}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "StateMachineTypeNotSupported", "{:?}", e.body);
    let e = wire(
        &h,
        "StartSyncExecution",
        json!({"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:nope"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "StateMachineDoesNotExist");
    let e = wire(&h, "StartSyncExecution", json!({"stateMachineArn": "nope"}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "InvalidArn");
    let e = wire(&h, "StartSyncExecution", json!({})).await.unwrap_err();
    assert_eq!(e.code, "ValidationException");
    let arn = express(
        &h,
        "sync-refusals",
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
        json!({}),
    )
    .await;
    for (input, code) in [
        (
            json!({"stateMachineArn": arn, "input": "{not json"}),
            "InvalidExecutionInput",
        ),
        (
            json!({"stateMachineArn": arn, "input": format!("\"{}\"", "x".repeat(262_145))}),
            "InvalidExecutionInput",
        ),
        (
            json!({"stateMachineArn": arn, "name": "a b"}),
            "InvalidName",
        ),
    ] {
        let e = wire(&h, "StartSyncExecution", input).await.unwrap_err();
        assert_eq!(e.code, code, "{:?}", e.body);
    }
}

#[tokio::test]
async fn express_events_go_to_the_log_group_of_the_logging_configuration() {
    let h = Harness::kyc(&[]).await;
    let group = "/aws/vendedlogs/states/kyc-onboarding";
    let group_arn = format!("arn:aws:logs:us-east-1:000000000000:log-group:{group}:*");
    let arn = express(
        &h,
        "sync-logged",
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
        json!({"loggingConfiguration": {"level": "ALL", "includeExecutionData": true,
               "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}]}}),
    )
    .await;
    let out = ok(
        &h,
        "StartSyncExecution",
        json!({"stateMachineArn": arn, "name": "logged-1"}),
    )
    .await;
    let execution_arn = out["executionArn"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let logged = h
        .stack()
        .logs
        .clone()
        .call(
            "FilterLogEvents".into(),
            json!({"logGroupName": group, "logStreamNamePrefix": "states/sync-logged"}),
        )
        .await
        .unwrap();
    let types: Vec<String> = logged["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str::<Value>(e["message"].as_str().unwrap()).unwrap())
        .filter(|r| r["execution_arn"] == execution_arn.as_str())
        .map(|r| r["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test]
async fn the_aws_cli_runs_an_express_workflow() {
    let h = Harness::kyc(&[]).await;
    let arn = express(
        &h,
        "sync-cli",
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": true}}}),
        json!({}),
    )
    .await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let out = tokio::process::Command::new(common::aws_cli())
        .args([
            "--endpoint-url",
            &endpoint,
            "stepfunctions",
            "start-sync-execution",
            "--state-machine-arn",
            &arn,
            "--input",
            "{\"n\": 21}",
        ])
        .env("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["status"], "SUCCEEDED");
    assert_eq!(answer["output"], "{\"doubled\":42}");
}
