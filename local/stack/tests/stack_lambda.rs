//! The template's functions running on the stack: invoked through the Lambda
//! API, their output in CloudWatch Logs, their async failures in the SQS DLQ.

#![allow(clippy::unwrap_used)] // test helpers, not production code

mod common;
#[path = "lambda_support/mod.rs"]
mod lambda_support;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use emulator::clock::SystemClock;
use emulator::functions::{BinaryLocator, start_lambda};
use emulator::lambda::{LambdaConfig, LambdaService};
use emulator::server::{self, Extensions, ServerConfig, TemplateSource};
use emulator::template::TemplateOptions;
use serde_json::{Value, json};

async fn stack_with_functions() -> (server::RunningServer, LambdaService, std::path::PathBuf) {
    // The fixture template's Worker function runs the binary `worker`.
    let dir = std::env::temp_dir().join(format!("kyc-local-fns-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(lambda_support::fixture(), dir.join("worker")).unwrap();
    let locator = BinaryLocator::new(&dir, std::slice::from_ref(&dir));
    let mut lambda = None;
    let config = LambdaConfig {
        async_retry_delays: [Duration::from_millis(10), Duration::from_millis(10)],
        ..LambdaConfig::default()
    };
    let running = server::start(
        ServerConfig {
            port: 0,
            ..ServerConfig::default()
        },
        Arc::new(SystemClock),
        Some(TemplateSource {
            path: fixture("template.yaml"),
            options: TemplateOptions {
                stack_name: "it".into(),
                ..TemplateOptions::default()
            },
        }),
        |stack| {
            let (service, _notes) = start_lambda(stack, &locator, config);
            let rest = emulator::lambda::router(service.clone());
            let front = emulator::lambda::LambdaFront::of(&service);
            lambda = Some(service);
            Extensions {
                services: Vec::new(),
                rest: Some(rest),
                rest_fronts: vec![(emulator::lambda::PATH_PREFIX, front)],
            }
        },
    )
    .await
    .unwrap();
    (running, lambda.unwrap(), dir)
}

async fn log_messages(addr: std::net::SocketAddr, group: &str) -> Vec<String> {
    let res = call(
        addr,
        "Logs_20140328.FilterLogEvents",
        JSON_11,
        &json!({"logGroupName": group}).to_string(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    res.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_template_function_runs_and_logs_to_its_group() {
    let (server, lambda, dir) = stack_with_functions().await;
    let model = server.stack.template.clone().unwrap();
    let worker = model
        .functions
        .iter()
        .find(|f| f.logical_id == "Worker")
        .unwrap();
    let path = format!("/2015-03-31/functions/{}/invocations", worker.name);
    let res = raw(
        server.local_addr,
        "POST",
        &path,
        &[("Content-Type", "application/json")],
        br#"{"action":"echo","n":1}"#,
    )
    .await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let echoed: Value = res.json();
    assert_eq!(echoed["n"], 1, "{echoed}");

    // START / END / REPORT reach /aws/lambda/<name> through the stack's CloudWatch Logs.
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = log_messages(server.local_addr, &worker.log_group).await;
        if lines.iter().any(|l| l.starts_with("REPORT RequestId:")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        lines.iter().any(|l| l.starts_with("START RequestId:")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("END RequestId:")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("REPORT RequestId:") && l.contains("Memory Size: 256 MB")),
        "{lines:#?}"
    );

    let res = raw(
        server.local_addr,
        "GET",
        &format!("/2015-03-31/functions/{}", worker.name),
        &[],
        b"",
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json()["Configuration"]["FunctionArn"],
        worker.arn.as_str()
    );
    assert_eq!(res.json()["Configuration"]["Timeout"], 10);
    lambda.shutdown().await;
    server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_failed_async_invocation_lands_in_the_on_failure_queue() {
    let (server, lambda, dir) = stack_with_functions().await;
    let model = server.stack.template.clone().unwrap();
    let worker = model
        .functions
        .iter()
        .find(|f| f.logical_id == "Worker")
        .unwrap();
    // The fixture template sends Worker's failures to Dlq (EventInvokeConfig, one retry).
    let dlq = model.queues.iter().find(|q| q.logical_id == "Dlq").unwrap();
    let path = format!("/2015-03-31/functions/{}/invocations", worker.name);
    let res = raw(
        server.local_addr,
        "POST",
        &path,
        &[("X-Amz-Invocation-Type", "Event")],
        br#"{"action":"error"}"#,
    )
    .await;
    assert_eq!(res.status, 202, "{}", String::from_utf8_lossy(&res.body));
    let mut got = Value::Null;
    for _ in 0..100 {
        let res = call(
            server.local_addr,
            "AmazonSQS.ReceiveMessage",
            JSON_10,
            &json!({"QueueUrl": dlq.url}).to_string(),
        )
        .await;
        got = res.json();
        if got.get("Messages").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body: Value = serde_json::from_str(
        got["Messages"][0]["Body"]
            .as_str()
            .expect("a destination record"),
    )
    .unwrap();
    assert_eq!(body["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(body["requestContext"]["approximateInvokeCount"], 2);
    assert_eq!(body["requestPayload"], json!({"action": "error"}));
    lambda.shutdown().await;
    server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
