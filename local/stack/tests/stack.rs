//! The stack as a whole: template resources, state across restarts, the binary's lifecycle.

mod common;

use std::time::Duration;

use common::*;
use emulator::server::StateLocation;
use serde_json::json;

fn temp_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("kyc-local-{name}-{}", uuid::Uuid::new_v4()))
}

#[tokio::test]
async fn template_resources_exist_at_start() {
    let server = start(StateLocation::InMemory, Some(fixture("template.yaml"))).await;
    let addr = server.local_addr;
    let model = server.stack.template.clone().expect("template loaded");
    let res = call(
        addr,
        "Logs_20140328.DescribeLogGroups",
        JSON_11,
        r#"{"logGroupNamePrefix": "/aws/vendedlogs/states/"}"#,
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json()["logGroups"][0]["logGroupName"],
        "/aws/vendedlogs/states/demo"
    );
    assert_eq!(res.json()["logGroups"][0]["retentionInDays"], 7);

    let res = call(addr, "AmazonSQS.ListQueues", JSON_10, "{}").await;
    let urls = res.json()["QueueUrls"].as_array().unwrap().clone();
    assert_eq!(urls.len(), model.queues.len());
    let dlq = model.queues.iter().find(|q| q.logical_id == "Dlq").unwrap();
    assert!(
        dlq.url.starts_with(server.endpoint()),
        "queue URLs carry the real port: {}",
        dlq.url
    );
    let res = call(
        addr,
        "AmazonSQS.GetQueueAttributes",
        JSON_10,
        &json!({"QueueUrl": dlq.url, "AttributeNames": ["VisibilityTimeout", "MessageRetentionPeriod"]}).to_string(),
    )
    .await;
    assert_eq!(
        res.json(),
        json!({"Attributes": {"VisibilityTimeout": "45", "MessageRetentionPeriod": "1209600"}})
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn background_loops_see_the_shutdown() {
    let server = start_in_memory().await;
    let mut signal = server.stack.shutdown_signal();
    assert!(!*signal.borrow());
    let stack = std::sync::Arc::clone(&server.stack);
    let watcher = tokio::spawn(async move { signal.wait_for(|stop| *stop).await.is_ok() });
    server.shutdown().await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_secs(5), watcher)
            .await
            .unwrap()
            .unwrap()
    );
    assert!(stack.is_shutting_down());
}

#[tokio::test]
async fn acknowledged_writes_survive_a_restart() {
    let dir = temp_dir("restart");
    let server = start(
        StateLocation::Directory(dir.clone()),
        Some(fixture("template.yaml")),
    )
    .await;
    let addr = server.local_addr;
    let dlq_url = server
        .stack
        .template
        .as_ref()
        .unwrap()
        .queues
        .iter()
        .find(|q| q.logical_id == "Dlq")
        .unwrap()
        .url
        .clone();
    assert_eq!(
        call(
            addr,
            "Logs_20140328.CreateLogGroup",
            JSON_11,
            r#"{"logGroupName": "/kept"}"#
        )
        .await
        .status,
        200
    );
    assert_eq!(
        call(
            addr,
            "Logs_20140328.CreateLogStream",
            JSON_11,
            r#"{"logGroupName": "/kept", "logStreamName": "s"}"#
        )
        .await
        .status,
        200
    );
    let now = chrono::Utc::now().timestamp_millis();
    let put = json!({"logGroupName": "/kept", "logStreamName": "s", "logEvents": [{"timestamp": now, "message": "before restart"}]});
    assert_eq!(
        call(
            addr,
            "Logs_20140328.PutLogEvents",
            JSON_11,
            &put.to_string()
        )
        .await
        .status,
        200
    );
    let send = json!({"QueueUrl": dlq_url, "MessageBody": "dead letter"});
    assert_eq!(
        call(addr, "AmazonSQS.SendMessage", JSON_10, &send.to_string())
            .await
            .status,
        200
    );
    server.shutdown().await.unwrap();

    // A new process on another port: the same state, queue URLs on the new port.
    let server = start(
        StateLocation::Directory(dir.clone()),
        Some(fixture("template.yaml")),
    )
    .await;
    let addr = server.local_addr;
    let res = call(
        addr,
        "Logs_20140328.GetLogEvents",
        JSON_11,
        r#"{"logGroupName": "/kept", "logStreamName": "s", "startFromHead": true}"#,
    )
    .await;
    assert_eq!(res.json()["events"][0]["message"], "before restart");
    let new_url = server
        .stack
        .template
        .as_ref()
        .unwrap()
        .queues
        .iter()
        .find(|q| q.logical_id == "Dlq")
        .unwrap()
        .url
        .clone();
    let res = call(
        addr,
        "AmazonSQS.ReceiveMessage",
        JSON_10,
        &json!({"QueueUrl": new_url}).to_string(),
    )
    .await;
    assert_eq!(res.json()["Messages"][0]["Body"], "dead letter");
    server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_template_the_stack_cannot_honour_is_refused_at_start() {
    let dir = temp_dir("refused");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("template.yaml");
    std::fs::write(&path, "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n").unwrap();
    let config = emulator::server::ServerConfig {
        port: 0,
        ..Default::default()
    };
    let source = emulator::server::TemplateSource {
        path,
        options: Default::default(),
    };
    let err = emulator::server::start(
        config,
        std::sync::Arc::new(emulator::clock::SystemClock),
        Some(source),
        |_| emulator::server::Extensions::default(),
    )
    .await
    .err()
    .expect("refused");
    assert_eq!(
        err.to_string(),
        "resource Topic, property Type: AWS::SNS::Topic is not supported by the local stack"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
