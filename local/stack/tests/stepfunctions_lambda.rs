//! `lambda:invoke` against real function processes (the crate's `lambda_fixture` example) through
//! `LambdaService`: the output shape, a function error and a Lambda API error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod lambda_support;
mod stepfunctions_support;

use std::sync::Arc;

use emulator::clock::ManualClock;
use emulator::lambda::FunctionConfig;
use emulator::server::StateLocation;
use emulator::services::stepfunctions::FunctionInvoker;
use serde_json::{Value, json};
use stepfunctions_support::{FakeLambda, Harness, START_MS};

fn invoke_machine() -> String {
    json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName.$": "$.fn", "Payload.$": "$.payload"},
        "End": true
    }}})
    .to_string()
}

#[tokio::test]
async fn lambda_invoke_runs_real_function_processes() {
    let lambda = lambda_support::harness();
    lambda
        .service
        .register(FunctionConfig::new("fx", lambda_support::fixture()))
        .unwrap();
    let invoker: Arc<dyn FunctionInvoker> = Arc::new(lambda.service.clone());
    let h = Harness::start_with_invoker(
        StateLocation::InMemory,
        ManualClock::new(START_MS),
        &[],
        invoker,
        FakeLambda::kyc(),
    )
    .await;
    let sm = h
        .ok(
            "CreateStateMachine",
            json!({"name": "real", "definition": invoke_machine(),
                   "roleArn": "arn:aws:iam::000000000000:role/r"}),
        )
        .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let start = |name: &str, input: Value| {
        let sm = sm.clone();
        let name = name.to_owned();
        let h = &h;
        async move {
            h.ok(
                "StartExecution",
                json!({"stateMachineArn": sm, "name": name, "input": input.to_string()}),
            )
            .await["executionArn"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };

    let ok = start(
        "echo",
        json!({"fn": "fx", "payload": {"action": "echo", "v": 1}}),
    )
    .await;
    let d = h.wait_status(&ok, "SUCCEEDED").await;
    let out: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["Payload"], json!({"action": "echo", "v": 1}));
    assert_eq!(out["StatusCode"], 200);
    assert_eq!(out["ExecutedVersion"], "$LATEST");
    let request_id = out["SdkResponseMetadata"]["RequestId"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(request_id).map(|_| ()), Ok(()));

    let failing = start(
        "error",
        json!({"fn": "fx", "payload": {"action": "error", "type": "InvalidApplication", "message": "customerName is missing"}}),
    )
    .await;
    let d = h.wait_status(&failing, "FAILED").await;
    assert_eq!(d["error"], "InvalidApplication");
    let cause: Value = serde_json::from_str(d["cause"].as_str().unwrap()).unwrap();
    assert_eq!(
        cause,
        json!({"errorMessage": "customerName is missing", "errorType": "InvalidApplication",
               "stackTrace": ["at fixture::main"]})
    );

    let missing = start("missing", json!({"fn": "nope", "payload": {}})).await;
    let d = h.wait_status(&missing, "FAILED").await;
    assert_eq!(d["error"], "Lambda.ResourceNotFoundException");
    let cause = d["cause"].as_str().unwrap();
    assert!(
        cause.starts_with("Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "),
        "{cause}"
    );
    lambda.service.shutdown().await;
}
