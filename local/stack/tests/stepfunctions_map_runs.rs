//! Map Runs of Distributed Map states (API reference "DescribeMapRun", "ListMapRuns",
//! "UpdateMapRun"), through the service and with the real AWS CLI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod stepfunctions_support;

use std::time::Duration;

use serde_json::{Value, json};
use stepfunctions_support::{Harness, START_MS};

const ROLE: &str = "arn:aws:iam::000000000000:role/test";

async fn machine(h: &Harness, name: &str, processor: Value, extra: Value) -> String {
    let mut map = json!({"Type": "Map", "End": true, "Label": "batch", "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Work", "States": processor}});
    for (k, v) in extra.as_object().unwrap() {
        map[k] = v.clone();
    }
    let definition = json!({"StartAt": "Map", "States": {"Map": map}});
    h.ok(
        "CreateStateMachine",
        json!({"name": name, "roleArn": ROLE, "definition": definition.to_string()}),
    )
    .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn start(h: &Harness, sm: &str, input: Value) -> String {
    h.ok(
        "StartExecution",
        json!({"stateMachineArn": sm, "name": "run", "input": input.to_string()}),
    )
    .await["executionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn the_map_run(h: &Harness, execution: &str) -> Value {
    let listed = h
        .ok("ListMapRuns", json!({"executionArn": execution}))
        .await;
    let runs = listed["mapRuns"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{listed}");
    runs[0].clone()
}

#[tokio::test]
async fn a_finished_map_run_is_described() {
    let h = Harness::kyc(&[]).await;
    let processor = json!({"Work": {"Type": "Choice",
        "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "Bad"}], "Default": "Good"},
        "Bad": {"Type": "Fail", "Error": "Negative"}, "Good": {"Type": "Succeed"}});
    let sm = machine(
        &h,
        "maps-done",
        processor,
        json!({"ToleratedFailurePercentage": 50}),
    )
    .await;
    let execution = start(&h, &sm, json!([1, -2, 3, 4])).await;
    h.wait_status(&execution, "SUCCEEDED").await;
    let item = the_map_run(&h, &execution).await;
    assert_eq!(item["executionArn"], execution);
    assert_eq!(item["stateMachineArn"], sm);
    assert_eq!(item["startDate"], json!(START_MS as f64 / 1000.0));
    let arn = item["mapRunArn"].as_str().unwrap().to_owned();
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:000000000000:mapRun:maps-done/batch:"),
        "{arn}"
    );
    let d = h.ok("DescribeMapRun", json!({"mapRunArn": arn})).await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["executionArn"], execution);
    assert_eq!(d["toleratedFailurePercentage"], 50.0);
    assert_eq!(d["toleratedFailureCount"], 0);
    assert_eq!(d["maxConcurrency"], 40);
    assert_eq!(d["redriveCount"], 0);
    assert_eq!(
        d["itemCounts"],
        json!({"pending": 0, "running": 0, "succeeded": 3, "failed": 1, "timedOut": 0, "aborted": 0,
               "total": 4, "resultsWritten": 3, "failuresNotRedrivable": 0, "pendingRedrive": 0})
    );
    assert_eq!(d["executionCounts"]["total"], 4);
    assert!(d["stopDate"].is_number());
    // The history names the run.
    let history = h.history(&execution).await;
    let started = history
        .iter()
        .find(|e| e["type"] == "MapRunStarted")
        .unwrap();
    assert_eq!(started["mapRunStartedEventDetails"]["mapRunArn"], arn);
    // Its children ran inside the execution: ListExecutions on the run lists none.
    let children = h.ok("ListExecutions", json!({"mapRunArn": arn})).await;
    assert_eq!(children["executions"], json!([]));
    // A finished run is not updated.
    let e = h
        .err(
            "UpdateMapRun",
            json!({"mapRunArn": arn, "maxConcurrency": 2}),
        )
        .await;
    assert_eq!(e.code, "ValidationException");
}

#[tokio::test]
async fn update_map_run_raises_the_concurrency_of_a_running_run() {
    let h = Harness::kyc(&[]).await;
    let processor = json!({"Work": {"Type": "Wait", "Seconds": 60, "End": true}});
    let sm = machine(&h, "maps-running", processor, json!({"MaxConcurrency": 1})).await;
    let execution = start(&h, &sm, json!([1, 2, 3])).await;
    let mut arn = String::new();
    for _ in 0..200 {
        let listed = h
            .ok("ListMapRuns", json!({"executionArn": execution}))
            .await;
        if let Some(a) = listed["mapRuns"][0]["mapRunArn"].as_str() {
            arn = a.to_owned();
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let d = h.ok("DescribeMapRun", json!({"mapRunArn": arn})).await;
    assert_eq!(d["status"], "RUNNING");
    assert!(d.get("stopDate").is_none());
    assert_eq!(d["executionCounts"]["running"], 1);
    assert_eq!(d["executionCounts"]["pending"], 2);
    let out = h
        .ok(
            "UpdateMapRun",
            json!({"mapRunArn": arn, "maxConcurrency": 3, "toleratedFailureCount": 1}),
        )
        .await;
    assert_eq!(out, json!({}));
    let d = h.ok("DescribeMapRun", json!({"mapRunArn": arn})).await;
    assert_eq!(d["maxConcurrency"], 3);
    assert_eq!(d["toleratedFailureCount"], 1);
    assert_eq!(d["executionCounts"]["running"], 3);
    assert_eq!(d["executionCounts"]["pending"], 0);
    h.clock.advance(Duration::from_secs(60));
    h.wait_status(&execution, "SUCCEEDED").await;
    let d = h.ok("DescribeMapRun", json!({"mapRunArn": arn})).await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["executionCounts"]["succeeded"], 3);
}

#[tokio::test]
async fn refusals() {
    let h = Harness::kyc(&[]).await;
    let unknown = "arn:aws:states:us-east-1:000000000000:mapRun:none/batch:00000000-0000-0000-0000-000000000000";
    for op in ["DescribeMapRun", "UpdateMapRun"] {
        let mut input = json!({"mapRunArn": unknown});
        if op == "UpdateMapRun" {
            input["maxConcurrency"] = json!(1);
        }
        let e = h.err(op, input).await;
        assert_eq!(e.code, "ResourceNotFound", "{op}");
        let e = h
            .err(op, json!({"mapRunArn": "not-an-arn", "maxConcurrency": 1}))
            .await;
        assert_eq!(e.code, "InvalidArn", "{op}");
    }
    for input in [
        json!({"mapRunArn": unknown}),
        json!({"mapRunArn": unknown, "maxConcurrency": -1}),
        json!({"mapRunArn": unknown, "toleratedFailureCount": -1}),
        json!({"mapRunArn": unknown, "toleratedFailurePercentage": 100.5}),
    ] {
        let e = h.err("UpdateMapRun", input.clone()).await;
        assert_eq!(e.code, "ValidationException", "{input}");
    }
    let e = h
        .err(
            "ListMapRuns",
            json!({"executionArn": "arn:aws:states:us-east-1:000000000000:execution:none:none"}),
        )
        .await;
    assert_eq!(e.code, "ExecutionDoesNotExist");
}

#[tokio::test]
async fn the_aws_cli_lists_and_describes_map_runs() {
    let h = Harness::kyc(&[]).await;
    let sm = machine(
        &h,
        "maps-cli",
        json!({"Work": {"Type": "Pass", "End": true}}),
        json!({}),
    )
    .await;
    let execution = start(&h, &sm, json!([1, 2])).await;
    h.wait_status(&execution, "SUCCEEDED").await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let cli = |args: Vec<String>| {
        let endpoint = endpoint.clone();
        async move {
            let out = tokio::process::Command::new(common::aws_cli())
                .arg("--endpoint-url")
                .arg(&endpoint)
                .args(&args)
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
            serde_json::from_slice::<Value>(&out.stdout).unwrap()
        }
    };
    let listed = cli(vec![
        "stepfunctions".into(),
        "list-map-runs".into(),
        "--execution-arn".into(),
        execution.clone(),
    ])
    .await;
    let arn = listed["mapRuns"][0]["mapRunArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let described = cli(vec![
        "stepfunctions".into(),
        "describe-map-run".into(),
        "--map-run-arn".into(),
        arn,
    ])
    .await;
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(described["itemCounts"]["succeeded"], 2);
}
