//! The wire protocol as raw HTTP sees it.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn unknown_operation_and_unknown_service() {
    let server = start_in_memory().await;
    let addr = server.local_addr;
    let res = call(addr, "Logs_20140328.DescribeNothing", JSON_11, "{}").await;
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json(),
        json!({"__type": "com.amazon.coral.service#UnknownOperationException"})
    );
    assert_eq!(res.header("content-type"), Some(JSON_11));
    assert!(
        res.header("x-amzn-requestid")
            .is_some_and(|id| id.len() == 36)
    );

    let res = call(addr, "NoSuchService_2020.Op", JSON_11, "{}").await;
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json()["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );

    // A service not plugged in answers in the client's JSON flavour.
    let res = call(addr, "AWSStepFunctions.ListStateMachines", JSON_10, "{}").await;
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json()["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    assert_eq!(res.header("content-type"), Some(JSON_10));

    let res = raw(addr, "POST", "/", &[], b"{}").await;
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json()["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn malformed_json_is_a_serialization_exception() {
    let server = start_in_memory().await;
    let addr = server.local_addr;
    for body in ["{not json", "[1,2]", "\"text\"", "{\"logGroupName\": 5}"] {
        let res = call(addr, "Logs_20140328.CreateLogGroup", JSON_11, body).await;
        assert_eq!(res.status, 400, "{body}");
        assert_eq!(
            res.json()["__type"],
            "com.amazon.coral.service#SerializationException",
            "{body}"
        );
    }
    let res = call(addr, "AmazonSQS.ListQueues", JSON_10, "{oops").await;
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json()["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    assert_eq!(
        res.header("x-amzn-query-error"),
        Some("Serialization;Sender")
    );
    assert_eq!(res.header("content-type"), Some(JSON_10));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn errors_and_results_are_aws_shaped() {
    let server = start_in_memory().await;
    let addr = server.local_addr;
    let res = call(
        addr,
        "Logs_20140328.CreateLogGroup",
        JSON_11,
        r#"{"logGroupName": "/kyc/x"}"#,
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json(), json!({}));
    let res = call(
        addr,
        "Logs_20140328.CreateLogGroup",
        JSON_11,
        r#"{"logGroupName": "/kyc/x"}"#,
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json(),
        json!({"__type": "ResourceAlreadyExistsException", "message": "The specified log group already exists"})
    );
    let url = format!("{}/000000000000/missing", server.endpoint());
    let res = call(
        addr,
        "AmazonSQS.SendMessage",
        JSON_10,
        &json!({"QueueUrl": url, "MessageBody": "x"}).to_string(),
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json(),
        json!({"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."})
    );
    assert_eq!(
        res.header("x-amzn-query-error"),
        Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn oversized_requests_are_refused_before_parsing() {
    let server = start_in_memory().await;
    let addr = server.local_addr;
    let big = vec![b' '; 4 * 1_048_576 + 1];
    let res = call(
        addr,
        "Logs_20140328.PutLogEvents",
        JSON_11,
        std::str::from_utf8(&big).unwrap(),
    )
    .await;
    assert_eq!(res.status, 413);
    assert_eq!(res.json()["__type"], "RequestEntityTooLargeException");
    // The server is still healthy afterwards.
    let res = raw(addr, "GET", "/_local/health", &[], b"").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body, b"ok");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn garbage_never_takes_the_server_down() {
    let server = start_in_memory().await;
    let addr = server.local_addr;
    let bodies: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, 0x00, 0x01],
        b"{\"QueueUrl\": null}".to_vec(),
        b"{\"QueueUrl\": {\"a\": [1, {\"b\": null}]}, \"MessageBody\": []}".to_vec(),
        b"{\"logEvents\": [{\"timestamp\": \"x\"}]}".to_vec(),
        "{\"logGroupName\": \"\u{1F600}\u{0}\"}".as_bytes().to_vec(),
        b"{\"limit\": -99999999999999999999}".to_vec(),
    ];
    let targets = [
        "AmazonSQS.SendMessage",
        "AmazonSQS.ReceiveMessage",
        "AmazonSQS.DeleteMessage",
        "Logs_20140328.PutLogEvents",
        "Logs_20140328.FilterLogEvents",
        "Logs_20140328.DescribeLogGroups",
        "Logs_20140328.GetLogEvents",
    ];
    for target in targets {
        for body in &bodies {
            let res = raw(addr, "POST", "/", &[("X-Amz-Target", target)], body).await;
            let what = format!("{target} {:?}", String::from_utf8_lossy(body));
            // Unknown members are ignored, as AWS ignores them; anything else is a client error.
            assert!(
                res.status == 200 || res.status == 400,
                "{what}: {}",
                res.status
            );
            if res.status == 400 {
                assert!(res.json()["__type"].is_string(), "{what}");
            }
        }
    }
    let res = raw(addr, "GET", "/_local/health", &[], b"").await;
    assert_eq!(res.status, 200);
    server.shutdown().await.unwrap();
}
