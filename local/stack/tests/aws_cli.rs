//! The real AWS CLI (v1, from the test tools venv) against kyc-local.
//! Needs `aws` on PATH (scripts/test-all installs it in .venv); the tests fail, not skip, without it.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn logs_round_trip_with_the_cli() {
    let cli = aws_cli();
    let server = start_in_memory().await;
    let ep = server.endpoint().to_owned();
    let out = aws(
        &cli,
        &ep,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "/kyc/accounts",
        ],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    let out = aws(
        &cli,
        &ep,
        &[
            "logs",
            "create-log-stream",
            "--log-group-name",
            "/kyc/accounts",
            "--log-stream-name",
            "events",
        ],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    let now = chrono::Utc::now().timestamp_millis();
    let events = json!([
        {"timestamp": now, "message": r#"{"detail-type":"New account approved","detail":{"applicationId":"app-1","riskLevel":"LOW"}}"#},
        {"timestamp": now + 1, "message": r#"{"detail-type":"New account declined","detail":{"applicationId":"app-2","riskLevel":"HIGH"}}"#},
        {"timestamp": now + 2, "message": "plain text line"}
    ])
    .to_string();
    let out = aws(
        &cli,
        &ep,
        &[
            "logs",
            "put-log-events",
            "--log-group-name",
            "/kyc/accounts",
            "--log-stream-name",
            "events",
            "--log-events",
            &events,
        ],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    assert!(out.json()["nextSequenceToken"].is_string());

    let out = aws(
        &cli,
        &ep,
        &[
            "logs",
            "get-log-events",
            "--log-group-name",
            "/kyc/accounts",
            "--log-stream-name",
            "events",
            "--start-from-head",
        ],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    let got = out.json();
    assert_eq!(got["events"].as_array().unwrap().len(), 3);
    assert_eq!(got["events"][2]["message"], "plain text line");

    let out = aws(
        &cli,
        &ep,
        &[
            "logs",
            "filter-log-events",
            "--log-group-name",
            "/kyc/accounts",
            "--filter-pattern",
            r#"{ $.detail.riskLevel = "HIGH" }"#,
        ],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    let hits = out.json();
    assert_eq!(hits["events"].as_array().unwrap().len(), 1);
    assert_eq!(hits["events"][0]["logStreamName"], "events");
    assert!(
        hits["events"][0]["message"]
            .as_str()
            .unwrap()
            .contains("app-2")
    );

    let out = aws(
        &cli,
        &ep,
        &[
            "logs",
            "filter-log-events",
            "--log-group-name",
            "/kyc/accounts",
            "--filter-pattern",
            "\"plain text\"",
        ],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    assert_eq!(out.json()["events"][0]["message"], "plain text line");

    let out = aws(
        &cli,
        &ep,
        &[
            "logs",
            "describe-log-streams",
            "--log-group-name",
            "/kyc/accounts",
        ],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    assert_eq!(out.json()["logStreams"][0]["logStreamName"], "events");

    // Errors reach the CLI as the named exception.
    let out = aws(
        &cli,
        &ep,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "/kyc/accounts",
        ],
    )
    .await;
    assert!(!out.success);
    assert!(
        out.stderr.contains("(ResourceAlreadyExistsException)")
            && out
                .stderr
                .contains("The specified log group already exists"),
        "{}",
        out.stderr
    );
    let out = aws(
        &cli,
        &ep,
        &[
            "logs",
            "get-log-events",
            "--log-group-name",
            "/nope",
            "--log-stream-name",
            "x",
        ],
    )
    .await;
    assert!(!out.success);
    assert!(
        out.stderr.contains("(ResourceNotFoundException)"),
        "{}",
        out.stderr
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn sqs_round_trip_with_the_cli() {
    let cli = aws_cli();
    let server = start_in_memory().await;
    let ep = server.endpoint().to_owned();
    let out = aws(
        &cli,
        &ep,
        &["sqs", "create-queue", "--queue-name", "kyc-dlq"],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    let url = out.json()["QueueUrl"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("{ep}/000000000000/kyc-dlq"));

    let out = aws(
        &cli,
        &ep,
        &["sqs", "get-queue-url", "--queue-name", "kyc-dlq"],
    )
    .await;
    assert_eq!(out.json(), json!({"QueueUrl": url}));

    let out = aws(
        &cli,
        &ep,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            "hello world",
            "--message-attributes",
            r#"{"attempt":{"DataType":"Number","StringValue":"3"}}"#,
        ],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    assert_eq!(
        out.json()["MD5OfMessageBody"],
        "5eb63bbbe01eeed093cb22bb8f5acdc3"
    );

    let out = aws(
        &cli,
        &ep,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &url,
            "--attribute-names",
            "All",
            "--message-attribute-names",
            "All",
            "--wait-time-seconds",
            "1",
        ],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    let message = out.json()["Messages"][0].clone();
    assert_eq!(message["Body"], "hello world");
    assert_eq!(message["Attributes"]["ApproximateReceiveCount"], "1");
    assert_eq!(message["MessageAttributes"]["attempt"]["StringValue"], "3");
    let handle = message["ReceiptHandle"].as_str().unwrap().to_owned();

    let out = aws(
        &cli,
        &ep,
        &[
            "sqs",
            "delete-message",
            "--queue-url",
            &url,
            "--receipt-handle",
            &handle,
        ],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    let out = aws(
        &cli,
        &ep,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
        ],
    )
    .await;
    assert_eq!(
        out.json(),
        json!({"Attributes": {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}})
    );
    let out = aws(&cli, &ep, &["sqs", "purge-queue", "--queue-url", &url]).await;
    assert!(out.success, "{}", out.stderr);

    // Query-compatible error codes reach the CLI.
    let out = aws(
        &cli,
        &ep,
        &["sqs", "get-queue-url", "--queue-name", "missing"],
    )
    .await;
    assert!(!out.success);
    assert!(
        out.stderr.contains("QueueDoesNotExist") || out.stderr.contains("NonExistentQueue"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("The specified queue does not exist."),
        "{}",
        out.stderr
    );
    let out = aws(
        &cli,
        &ep,
        &[
            "sqs",
            "delete-message",
            "--queue-url",
            &url,
            "--receipt-handle",
            "bogus",
        ],
    )
    .await;
    assert!(!out.success);
    assert!(
        out.stderr.contains("ReceiptHandleIsInvalid"),
        "{}",
        out.stderr
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_api_reaches_the_cli_as_unknown_operation() {
    let cli = aws_cli();
    let server = start_in_memory().await;
    let ep = server.endpoint().to_owned();
    // CloudWatch Logs is served, but not this operation.
    let out = aws(&cli, &ep, &["logs", "describe-metric-filters"]).await;
    assert!(!out.success);
    assert!(
        out.stderr.contains("UnknownOperationException"),
        "{}",
        out.stderr
    );
    server.shutdown().await.unwrap();
}
