//! The stack as a whole: template resources, state across restarts, the binary's lifecycle.

mod common;

use std::time::Duration;

use common::*;
use kyc_local::server::StateLocation;
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
    let config = kyc_local::server::ServerConfig {
        port: 0,
        ..Default::default()
    };
    let source = kyc_local::server::TemplateSource {
        path,
        options: Default::default(),
    };
    let err = kyc_local::server::start(
        config,
        std::sync::Arc::new(kyc_local::clock::SystemClock),
        Some(source),
        |_| kyc_local::server::Extensions::default(),
    )
    .await
    .err()
    .expect("refused");
    assert_eq!(
        err.to_string(),
        "resource Topic, property Type: AWS::SNS::Topic is not supported by kyc-local"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The binary: prints its endpoint, serves, and exits 0 on SIGTERM.
#[tokio::test]
async fn binary_serves_and_stops_on_sigterm() {
    use tokio::io::AsyncBufReadExt;
    let dir = temp_dir("binary");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kyc-local"))
        .args(["serve", "--port", "0", "--in-memory", "--template"])
        .arg(fixture("template.yaml"))
        .args(["--parameter-overrides", "Prefix=bin Stage=dev"])
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn kyc-local");
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("ready in time")
        .unwrap()
        .expect("a line");
    let endpoint = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("endpoint="))
        .expect("endpoint printed")
        .to_owned();
    let mut banner = Vec::new();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_millis(300), lines.next_line()).await
    {
        banner.push(line);
    }
    assert!(
        banner
            .iter()
            .any(|l| l
                .contains("logs filter-log-events --log-group-name /aws/vendedlogs/states/bin")),
        "{banner:#?}"
    );
    assert!(
        banner.iter().any(|l| l.contains("AWS_ACCESS_KEY_ID=test")),
        "{banner:#?}"
    );
    let addr: std::net::SocketAddr = endpoint.trim_start_matches("http://").parse().unwrap();
    let res = raw(addr, "GET", "/_kyc-local/health", &[], b"").await;
    assert_eq!(res.status, 200);
    let pid = child.id().expect("pid").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stops")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn binary_refuses_a_bad_parameter_with_exit_code_2() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kyc-local"))
        .args(["serve", "--port", "0", "--in-memory", "--template"])
        .arg(fixture("template.yaml"))
        .args(["--parameter-overrides", "Stage=qa"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "error: parameter Stage: value 'qa' is not one of the AllowedValues [dev, prod]"
    );
}
