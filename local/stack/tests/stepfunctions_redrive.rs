//! RedriveExecution (API reference "RedriveExecution", DescribeExecution's redrive members,
//! ListExecutions' `redriveFilter`), through the service and with the real AWS CLI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod stepfunctions_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use emulator::clock::ManualClock;
use emulator::server::StateLocation;
use serde_json::{Value, json};
use stepfunctions_support::{FakeLambda, FakeReply, Harness, START_MS};

const ROLE: &str = "arn:aws:iam::000000000000:role/test";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:000000000000:function:kyc-identity-check";

/// A Lambda that fails its first `failures` calls, then answers.
fn flaky(failures: usize) -> Arc<FakeLambda> {
    let n = AtomicUsize::new(0);
    FakeLambda::new(move |_, payload| {
        if n.fetch_add(1, Ordering::SeqCst) < failures {
            FakeReply::FunctionError(json!({"errorType": "BankDown", "errorMessage": "closed"}))
        } else {
            FakeReply::Ok(json!({"charged": payload["order"]}))
        }
    })
}

async fn harness(lambda: Arc<FakeLambda>) -> Harness {
    Harness::start(
        StateLocation::InMemory,
        ManualClock::new(START_MS),
        &[],
        lambda,
    )
    .await
}

/// Prepare (Pass) → Charge (Lambda, no retry) → Done.
async fn machine(h: &Harness, name: &str) -> String {
    let definition = json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"order.$": "$.order", "prepared": true}, "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"FunctionName": FUNCTION, "Payload.$": "$"}, "OutputPath": "$.Payload", "End": true}}});
    h.ok(
        "CreateStateMachine",
        json!({"name": name, "roleArn": ROLE, "definition": definition.to_string()}),
    )
    .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn start(h: &Harness, sm: &str, name: &str) -> String {
    h.ok(
        "StartExecution",
        json!({"stateMachineArn": sm, "name": name, "input": "{\"order\": \"o-1\"}"}),
    )
    .await["executionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_failed_execution_is_redriven_from_the_failed_state() {
    let h = harness(flaky(1)).await;
    let sm = machine(&h, "redrive-ok").await;
    let arn = start(&h, &sm, "run-1").await;
    let failed = h.wait_status(&arn, "FAILED").await;
    assert_eq!(failed["error"], "BankDown");
    assert_eq!(failed["redriveStatus"], "REDRIVABLE");
    assert_eq!(failed["redriveCount"], 0);
    assert!(failed.get("redriveDate").is_none());
    let before = h.history_types(&arn).await;

    h.clock.advance(Duration::from_secs(3600));
    let out = h
        .ok(
            "RedriveExecution",
            json!({"executionArn": arn, "clientToken": "t-1"}),
        )
        .await;
    let redrive_date = (START_MS + 3_600_000) as f64 / 1000.0;
    assert_eq!(out, json!({"redriveDate": redrive_date}));
    let done = h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(done["redriveCount"], 1);
    assert_eq!(done["redriveDate"], json!(redrive_date));
    assert_eq!(done["redriveStatus"], "NOT_REDRIVABLE");
    assert_eq!(
        done["redriveStatusReason"],
        "Execution is SUCCEEDED and cannot be redriven"
    );
    assert_eq!(
        serde_json::from_str::<Value>(done["output"].as_str().unwrap()).unwrap(),
        json!({"charged": "o-1"})
    );
    // Same ARN, same start; the history goes on from the failure, and "Prepare" is not run again.
    assert_eq!(done["startDate"], failed["startDate"]);
    let after = h.history_types(&arn).await;
    assert_eq!(after[..before.len()], before[..]);
    let new = &after[before.len()..];
    assert_eq!(new[0], "ExecutionRedriven");
    assert_eq!(new[1], "TaskStateEntered");
    assert!(!new.iter().any(|t| t == "PassStateEntered"), "{new:?}");
    assert_eq!(new.last().unwrap(), "ExecutionSucceeded");
    let history = h.history(&arn).await;
    let redriven = history
        .iter()
        .find(|e| e["type"] == "ExecutionRedriven")
        .unwrap();
    assert_eq!(
        redriven["executionRedrivenEventDetails"],
        json!({"redriveCount": 1})
    );
    // The Lambda got the same input the second time.
    let calls = h.lambda.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].1, calls[1].1);

    // redriveFilter.
    let second = start(&h, &sm, "run-2").await;
    h.wait_status(&second, "SUCCEEDED").await;
    let names = |v: Value| -> Vec<String> {
        v["executions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let redriven = h
        .ok(
            "ListExecutions",
            json!({"stateMachineArn": sm, "redriveFilter": "REDRIVEN"}),
        )
        .await;
    assert_eq!(names(redriven), ["run-1"]);
    let not = h
        .ok(
            "ListExecutions",
            json!({"stateMachineArn": sm, "redriveFilter": "NOT_REDRIVEN"}),
        )
        .await;
    assert_eq!(names(not), ["run-2"]);
}

#[tokio::test]
async fn a_stopped_execution_is_redriven() {
    let h = harness(flaky(0)).await;
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 60, "Next": "P"},
        "P": {"Type": "Pass", "Result": "done", "End": true}}});
    let sm = h
        .ok(
            "CreateStateMachine",
            json!({"name": "redrive-stop", "roleArn": ROLE, "definition": definition.to_string()}),
        )
        .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let arn = start(&h, &sm, "stop-1").await;
    h.ok("StopExecution", json!({"executionArn": arn})).await;
    h.wait_status(&arn, "ABORTED").await;
    h.ok("RedriveExecution", json!({"executionArn": arn})).await;
    let running = h.wait_status(&arn, "RUNNING").await;
    assert_eq!(running["redriveCount"], 1);
    // The Wait is entered again (its 60 seconds count from then) before the clock moves.
    for _ in 0..500 {
        let waits = h
            .history_types(&arn)
            .await
            .iter()
            .filter(|t| *t == "WaitStateEntered")
            .count();
        if waits == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.clock.advance(Duration::from_secs(60));
    let done = h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(done["output"], "\"done\"");
}

#[tokio::test]
async fn refusals() {
    let h = harness(flaky(100)).await;
    let sm = machine(&h, "redrive-refusals").await;
    // Succeeded and running executions.
    let ok_machine = h
        .ok(
            "CreateStateMachine",
            json!({"name": "redrive-pass", "roleArn": ROLE,
                   "definition": json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string()}),
        )
        .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = start(&h, &ok_machine, "done").await;
    h.wait_status(&done, "SUCCEEDED").await;
    let e = h
        .err("RedriveExecution", json!({"executionArn": done}))
        .await;
    assert_eq!(e.code, "ExecutionNotRedrivable");
    assert_eq!(
        e.message.as_deref(),
        Some("Execution is SUCCEEDED and cannot be redriven")
    );
    // Not found, not an ARN, a bad client token.
    let e = h
        .err(
            "RedriveExecution",
            json!({"executionArn": "arn:aws:states:us-east-1:000000000000:execution:redrive-refusals:nope"}),
        )
        .await;
    assert_eq!(e.code, "ExecutionDoesNotExist");
    let e = h
        .err("RedriveExecution", json!({"executionArn": "nope"}))
        .await;
    assert_eq!(e.code, "InvalidArn");
    let e = h
        .err(
            "RedriveExecution",
            json!({"executionArn": done, "clientToken": "x".repeat(65)}),
        )
        .await;
    assert_eq!(e.code, "ValidationException");
    // The 14-day window.
    let failed = start(&h, &sm, "old").await;
    h.wait_status(&failed, "FAILED").await;
    h.clock.advance(Duration::from_secs(15 * 24 * 3600));
    let d = h.describe(&failed).await;
    assert_eq!(d["redriveStatus"], "NOT_REDRIVABLE");
    assert_eq!(
        d["redriveStatusReason"],
        "Execution redrivable period exceeded"
    );
    let e = h
        .err("RedriveExecution", json!({"executionArn": failed}))
        .await;
    assert_eq!(e.code, "ExecutionNotRedrivable");
    assert_eq!(
        e.message.as_deref(),
        Some("Execution redrivable period exceeded")
    );
}

#[tokio::test]
async fn the_aws_cli_redrives_an_execution() {
    let h = harness(flaky(1)).await;
    let sm = machine(&h, "redrive-cli").await;
    let arn = start(&h, &sm, "cli-1").await;
    h.wait_status(&arn, "FAILED").await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let out = tokio::process::Command::new(common::aws_cli())
        .args([
            "--endpoint-url",
            &endpoint,
            "stepfunctions",
            "redrive-execution",
            "--execution-arn",
            &arn,
        ])
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
    assert!(answer["redriveDate"].is_string() || answer["redriveDate"].is_number());
    h.wait_status(&arn, "SUCCEEDED").await;
}
