//! Step Functions over the wire: awsJson1_0 requests through the server, and the real AWS CLI
//! completing a manual review of the project's state machine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod stepfunctions_support;

use serde_json::json;
use stepfunctions_support::{Harness, KYC_ARN};

#[tokio::test]
async fn aws_json_1_0_requests_and_errors() {
    let h = Harness::kyc(&[]).await;
    let addr = h.server.as_ref().unwrap().local_addr;
    let ok = common::call(
        addr,
        "AWSStepFunctions.ListStateMachines",
        common::JSON_10,
        "{}",
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("content-type"), Some(common::JSON_10));
    assert_eq!(ok.json()["stateMachines"][0]["stateMachineArn"], KYC_ARN);
    let missing = common::call(
        addr,
        "AWSStepFunctions.DescribeExecution",
        common::JSON_10,
        r#"{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:kyc-onboarding:nope"}"#,
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.json(),
        json!({"__type": "ExecutionDoesNotExist",
               "message": "Execution Does Not Exist: 'arn:aws:states:us-east-1:000000000000:execution:kyc-onboarding:nope'"})
    );
    let wrong_type = common::call(
        addr,
        "AWSStepFunctions.StartExecution",
        common::JSON_10,
        r#"{"stateMachineArn": 5}"#,
    )
    .await;
    assert_eq!(wrong_type.status, 400);
    assert_eq!(
        wrong_type.json()["__type"],
        "com.amazon.coral.service#SerializationException"
    );
}

#[tokio::test]
async fn the_aws_cli_completes_a_manual_review() {
    let cli = common::aws_cli();
    let h = Harness::kyc(&[]).await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let input = json!({"detail": {"applicationId": "cli-1", "customerName": "C", "customerAddress": "A", "scenario": "review"}}).to_string();
    let started = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "start-execution",
            "--state-machine-arn",
            KYC_ARN,
            "--name",
            "cli-review",
            "--input",
            &input,
        ],
    )
    .await;
    assert!(started.success, "{}", started.stderr);
    let arn = started.json()["executionArn"].as_str().unwrap().to_owned();
    let token = h.wait_event("Manual review requested", 1).await[0]["taskToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let heartbeat = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "send-task-heartbeat",
            "--task-token",
            &token,
        ],
    )
    .await;
    assert!(heartbeat.success, "{}", heartbeat.stderr);
    let success = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "send-task-success",
            "--task-token",
            &token,
            "--task-output",
            r#"{"decision":"APPROVE","reviewer":"cli"}"#,
        ],
    )
    .await;
    assert!(success.success, "{}", success.stderr);
    h.wait_status(&arn, "SUCCEEDED").await;
    let described = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "describe-execution",
            "--execution-arn",
            &arn,
        ],
    )
    .await;
    assert!(described.success, "{}", described.stderr);
    assert_eq!(described.json()["status"], "SUCCEEDED");
    let again = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "send-task-success",
            "--task-token",
            &token,
            "--task-output",
            "{}",
        ],
    )
    .await;
    assert!(!again.success);
    assert!(
        again.stderr.contains("An error occurred (TaskTimedOut) when calling the SendTaskSuccess operation: Task Timed Out: 'Provided task does not exist anymore'"),
        "{}",
        again.stderr
    );
    let history = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "get-execution-history",
            "--execution-arn",
            &arn,
            "--reverse-order",
            "--max-items",
            "1",
        ],
    )
    .await;
    assert!(history.success, "{}", history.stderr);
    assert_eq!(history.json()["events"][0]["type"], "ExecutionSucceeded");
}
