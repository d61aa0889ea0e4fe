use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::*;
use crate::clock::ManualClock;
use crate::protocol::{AwsError, JsonService};
use crate::store::Store;

const T0: i64 = 1_700_000_000_000;
const URL: &str = "http://127.0.0.1:4566/000000000000/app-dlq";

fn service() -> (Arc<SqsService>, Arc<ManualClock>) {
    let clock = ManualClock::new(T0);
    let store = Store::open_in_memory().unwrap();
    (
        SqsService::new(
            store,
            clock.clone(),
            "http://127.0.0.1:4566",
            "us-east-1",
            "000000000000",
        ),
        clock,
    )
}

async fn call(svc: &Arc<SqsService>, op: &str, input: Value) -> Result<Value, AwsError> {
    Arc::clone(svc).call(op.into(), input).await
}

async fn with_queue() -> (Arc<SqsService>, Arc<ManualClock>) {
    let (svc, clock) = service();
    let out = call(&svc, "CreateQueue", json!({"QueueName": "app-dlq"}))
        .await
        .unwrap();
    assert_eq!(out, json!({"QueueUrl": URL}));
    (svc, clock)
}

#[test]
fn md5_of_attributes_follows_the_documented_encoding() {
    let mut attrs = BTreeMap::new();
    attrs.insert(
        "attempt".to_owned(),
        MessageAttributeValue {
            data_type: "Number".into(),
            string_value: Some("3".into()),
            binary_value: None,
        },
    );
    attrs.insert(
        "applicationId".to_owned(),
        MessageAttributeValue {
            data_type: "String".into(),
            string_value: Some("app-1".into()),
            binary_value: None,
        },
    );
    attrs.insert(
        "blob".to_owned(),
        MessageAttributeValue {
            data_type: "Binary".into(),
            string_value: None,
            binary_value: Some(B64.encode("hi")),
        },
    );
    // Computed independently (Python hashlib) from the algorithm in the SQS developer guide.
    assert_eq!(
        md5_of_attributes(&attrs).as_deref(),
        Some("a1d5c6f4c17bd30a57b854f9228a71d5")
    );
    assert_eq!(md5_of_attributes(&BTreeMap::new()), None);
    assert_eq!(md5_hex("hello world"), "5eb63bbbe01eeed093cb22bb8f5acdc3");
}

#[tokio::test]
async fn send_receive_delete() {
    let (svc, clock) = with_queue().await;
    let sent = call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": URL, "MessageBody": "hello world",
               "MessageAttributes": {"applicationId": {"DataType": "String", "StringValue": "app-1"}}}),
    )
    .await
    .unwrap();
    assert_eq!(sent["MD5OfMessageBody"], "5eb63bbbe01eeed093cb22bb8f5acdc3");
    assert!(sent["MD5OfMessageAttributes"].is_string());
    let id = sent["MessageId"].as_str().unwrap().to_owned();
    clock.advance(Duration::from_millis(5));
    let got = call(
        &svc,
        "ReceiveMessage",
        json!({"QueueUrl": URL, "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]}),
    )
    .await
    .unwrap();
    let msg = &got["Messages"][0];
    assert_eq!(msg["MessageId"], id.as_str());
    assert_eq!(msg["Body"], "hello world");
    assert_eq!(msg["MD5OfBody"], "5eb63bbbe01eeed093cb22bb8f5acdc3");
    assert_eq!(
        msg["MD5OfMessageAttributes"],
        sent["MD5OfMessageAttributes"]
    );
    assert_eq!(
        msg["MessageAttributes"],
        json!({"applicationId": {"DataType": "String", "StringValue": "app-1"}})
    );
    assert_eq!(
        msg["Attributes"],
        json!({"ApproximateReceiveCount": "1", "SentTimestamp": T0.to_string(),
               "ApproximateFirstReceiveTimestamp": (T0 + 5).to_string(), "SenderId": "000000000000"})
    );
    // In flight: not received again until the visibility timeout passes.
    let again = call(&svc, "ReceiveMessage", json!({"QueueUrl": URL}))
        .await
        .unwrap();
    assert_eq!(again, json!({}));
    clock.advance(Duration::from_secs(30));
    let again = call(
        &svc,
        "ReceiveMessage",
        json!({"QueueUrl": URL, "AttributeNames": ["ApproximateReceiveCount"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        again["Messages"][0]["Attributes"],
        json!({"ApproximateReceiveCount": "2"})
    );
    assert!(again["Messages"][0].get("MessageAttributes").is_none());
    // The first handle is stale: accepted, nothing deleted.
    let stale = msg["ReceiptHandle"].clone();
    call(
        &svc,
        "DeleteMessage",
        json!({"QueueUrl": URL, "ReceiptHandle": stale}),
    )
    .await
    .unwrap();
    let attrs = call(
        &svc,
        "GetQueueAttributes",
        json!({"QueueUrl": URL, "AttributeNames": ["ApproximateNumberOfMessagesNotVisible"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        attrs,
        json!({"Attributes": {"ApproximateNumberOfMessagesNotVisible": "1"}})
    );
    let current = again["Messages"][0]["ReceiptHandle"].clone();
    call(
        &svc,
        "DeleteMessage",
        json!({"QueueUrl": URL, "ReceiptHandle": current}),
    )
    .await
    .unwrap();
    clock.advance(Duration::from_secs(60));
    let empty = call(&svc, "ReceiveMessage", json!({"QueueUrl": URL}))
        .await
        .unwrap();
    assert_eq!(empty, json!({}));
    let err = call(
        &svc,
        "DeleteMessage",
        json!({"QueueUrl": URL, "ReceiptHandle": "garbage"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "ReceiptHandleIsInvalid");
    assert_eq!(
        err.query_error.as_deref(),
        Some("ReceiptHandleIsInvalid;Sender")
    );
}

#[tokio::test]
async fn missing_queue_is_query_compatible() {
    let (svc, _) = service();
    let err = call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": URL, "MessageBody": "x"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.wire_type(), "com.amazonaws.sqs#QueueDoesNotExist");
    assert_eq!(
        err.message.as_deref(),
        Some("The specified queue does not exist.")
    );
    assert_eq!(
        err.query_error.as_deref(),
        Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
    );
    let err = call(&svc, "GetQueueUrl", json!({"QueueName": "nope"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "QueueDoesNotExist");
    let err = call(&svc, "SendMessage", json!({"QueueUrl": URL}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "MissingParameter");
    assert_eq!(
        err.message.as_deref(),
        Some("The request must contain the parameter MessageBody.")
    );
}

#[tokio::test]
async fn create_queue_is_idempotent_for_same_attributes() {
    let (svc, _) = service();
    let attrs = json!({"VisibilityTimeout": "10"});
    call(
        &svc,
        "CreateQueue",
        json!({"QueueName": "q", "Attributes": attrs}),
    )
    .await
    .unwrap();
    call(
        &svc,
        "CreateQueue",
        json!({"QueueName": "q", "Attributes": attrs}),
    )
    .await
    .unwrap();
    let err = call(
        &svc,
        "CreateQueue",
        json!({"QueueName": "q", "Attributes": {"VisibilityTimeout": "11"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "QueueNameExists");
    assert_eq!(
        err.query_error.as_deref(),
        Some("QueueAlreadyExists;Sender")
    );
    let err = call(&svc, "CreateQueue", json!({"QueueName": "bad name"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    let err = call(
        &svc,
        "CreateQueue",
        json!({"QueueName": "q2", "Attributes": {"Colour": "red"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidAttributeName");
    assert_eq!(err.message.as_deref(), Some("Unknown Attribute Colour."));
    let err = call(
        &svc,
        "CreateQueue",
        json!({"QueueName": "q2", "Attributes": {"DelaySeconds": "901"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidAttributeValue");
}

#[tokio::test]
async fn list_queues_with_prefix_and_pages() {
    let (svc, _) = service();
    for name in ["app-a", "app-b", "other"] {
        call(&svc, "CreateQueue", json!({"QueueName": name}))
            .await
            .unwrap();
    }
    let out = call(&svc, "ListQueues", json!({"QueueNamePrefix": "app"}))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"QueueUrls": ["http://127.0.0.1:4566/000000000000/app-a", "http://127.0.0.1:4566/000000000000/app-b"]})
    );
    let page = call(&svc, "ListQueues", json!({"MaxResults": 2}))
        .await
        .unwrap();
    assert_eq!(page["QueueUrls"].as_array().unwrap().len(), 2);
    let next = call(
        &svc,
        "ListQueues",
        json!({"MaxResults": 2, "NextToken": page["NextToken"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        next,
        json!({"QueueUrls": ["http://127.0.0.1:4566/000000000000/other"]})
    );
    assert_eq!(
        call(&svc, "ListQueues", json!({"QueueNamePrefix": "zzz"}))
            .await
            .unwrap(),
        json!({})
    );
}

#[tokio::test]
async fn message_validation() {
    let (svc, _) = with_queue().await;
    let err = call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": URL, "MessageBody": "bad\u{1}char"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidMessageContents");
    let big = "x".repeat(1_048_577);
    let err = call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": URL, "MessageBody": big}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    assert_eq!(
        err.message.as_deref(),
        Some(
            "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
        )
    );
    let err = call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": URL, "MessageBody": "x", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "abc"}}}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some("Can't cast the value of message (user) attribute 'n' to a number.")
    );
    let err = call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": URL, "MessageBody": "x", "MessageAttributes": {"n": {"DataType": "Date", "StringValue": "abc"}}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    let err = call(
        &svc,
        "ReceiveMessage",
        json!({"QueueUrl": URL, "MaxNumberOfMessages": 11}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some(
            "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
        )
    );
    let err = call(
        &svc,
        "ReceiveMessage",
        json!({"QueueUrl": URL, "WaitTimeSeconds": 21}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    let err = call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": "http://127.0.0.1:4566/111111111111/app-dlq", "MessageBody": "x"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "QueueDoesNotExist");
    let err = call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": "not a url", "MessageBody": "x"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidAddress");
}

#[tokio::test]
async fn receive_returns_up_to_max_in_order_and_honours_delay() {
    let (svc, clock) = with_queue().await;
    for i in 0..5 {
        call(
            &svc,
            "SendMessage",
            json!({"QueueUrl": URL, "MessageBody": format!("m{i}")}),
        )
        .await
        .unwrap();
    }
    call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": URL, "MessageBody": "late", "DelaySeconds": 10}),
    )
    .await
    .unwrap();
    let got = call(
        &svc,
        "ReceiveMessage",
        json!({"QueueUrl": URL, "MaxNumberOfMessages": 10}),
    )
    .await
    .unwrap();
    let bodies: Vec<&str> = got["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["m0", "m1", "m2", "m3", "m4"]);
    let attrs = call(
        &svc,
        "GetQueueAttributes",
        json!({"QueueUrl": URL, "AttributeNames": ["All"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"],
        "1"
    );
    assert_eq!(
        attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"],
        "5"
    );
    assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessages"], "0");
    assert_eq!(
        attrs["Attributes"]["QueueArn"],
        "arn:aws:sqs:us-east-1:000000000000:app-dlq"
    );
    assert_eq!(attrs["Attributes"]["VisibilityTimeout"], "30");
    assert_eq!(attrs["Attributes"]["MaximumMessageSize"], "1048576");
    assert_eq!(attrs["Attributes"]["MessageRetentionPeriod"], "345600");
    clock.advance(Duration::from_secs(10));
    let got = call(&svc, "ReceiveMessage", json!({"QueueUrl": URL}))
        .await
        .unwrap();
    assert_eq!(got["Messages"][0]["Body"], "late");
    let err = call(
        &svc,
        "GetQueueAttributes",
        json!({"QueueUrl": URL, "AttributeNames": ["Colour"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidAttributeName");
}

#[tokio::test]
async fn long_poll_wakes_on_send() {
    let (svc, _) = with_queue().await;
    let poller = {
        let svc = Arc::clone(&svc);
        tokio::spawn(async move {
            call(
                &svc,
                "ReceiveMessage",
                json!({"QueueUrl": URL, "WaitTimeSeconds": 20}),
            )
            .await
        })
    };
    tokio::task::yield_now().await;
    svc.send_message_to("app-dlq", "wake up".into(), BTreeMap::new())
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), poller)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(got["Messages"][0]["Body"], "wake up");
}

#[tokio::test]
async fn long_poll_ends_at_the_wait_time() {
    let (svc, clock) = with_queue().await;
    let poller = {
        let svc = Arc::clone(&svc);
        tokio::spawn(async move {
            call(
                &svc,
                "ReceiveMessage",
                json!({"QueueUrl": URL, "WaitTimeSeconds": 2}),
            )
            .await
        })
    };
    for _ in 0..4 {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        clock.advance(Duration::from_secs(1));
    }
    let got = tokio::time::timeout(Duration::from_secs(5), poller)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(got, json!({}));
}

#[tokio::test]
async fn purge_once_a_minute_and_redrive_to_dead_letter_queue() {
    let (svc, clock) = with_queue().await;
    call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": URL, "MessageBody": "x"}),
    )
    .await
    .unwrap();
    call(&svc, "PurgeQueue", json!({"QueueUrl": URL}))
        .await
        .unwrap();
    let err = call(&svc, "PurgeQueue", json!({"QueueUrl": URL}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "PurgeQueueInProgress");
    assert_eq!(
        err.query_error.as_deref(),
        Some("AWS.SimpleQueueService.PurgeQueueInProgress;Sender")
    );
    clock.advance(Duration::from_secs(60));
    call(&svc, "PurgeQueue", json!({"QueueUrl": URL}))
        .await
        .unwrap();

    let redrive = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:app-dlq","maxReceiveCount":1}"#;
    let src = call(&svc, "CreateQueue", json!({"QueueName": "src", "Attributes": {"RedrivePolicy": redrive, "VisibilityTimeout": "1"}}))
        .await
        .unwrap();
    let src_url = src["QueueUrl"].as_str().unwrap().to_owned();
    call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": src_url, "MessageBody": "poison"}),
    )
    .await
    .unwrap();
    let first = call(&svc, "ReceiveMessage", json!({"QueueUrl": src_url}))
        .await
        .unwrap();
    assert_eq!(first["Messages"][0]["Body"], "poison");
    clock.advance(Duration::from_secs(2));
    let second = call(&svc, "ReceiveMessage", json!({"QueueUrl": src_url}))
        .await
        .unwrap();
    assert_eq!(second, json!({}));
    let dead = call(&svc, "ReceiveMessage", json!({"QueueUrl": URL}))
        .await
        .unwrap();
    assert_eq!(dead["Messages"][0]["Body"], "poison");
}

#[tokio::test]
async fn fifo_is_refused_and_unknown_operation() {
    let (svc, _) = service();
    let err = call(&svc, "CreateQueue", json!({"QueueName": "q.fifo"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "UnsupportedOperation");
    let err = call(&svc, "ChangeMessageVisibilityBatch", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "UnknownOperationException");
    let decorated = svc.decorate_error(err);
    assert_eq!(
        decorated.query_error.as_deref(),
        Some("UnknownOperation;Sender")
    );
}

#[tokio::test]
async fn batches_report_each_entry() {
    let (svc, _) = with_queue().await;
    let out = call(
        &svc,
        "SendMessageBatch",
        json!({"QueueUrl": URL, "Entries": [
            {"Id": "a", "MessageBody": "hello world"},
            {"Id": "b", "MessageBody": "bad\u{1}"},
            {"Id": "c", "MessageBody": "x", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}
        ]}),
    )
    .await
    .unwrap();
    assert_eq!(out["Successful"].as_array().unwrap().len(), 2);
    assert_eq!(out["Successful"][0]["Id"], "a");
    assert_eq!(
        out["Successful"][0]["MD5OfMessageBody"],
        "5eb63bbbe01eeed093cb22bb8f5acdc3"
    );
    assert!(out["Successful"][1]["MD5OfMessageAttributes"].is_string());
    assert_eq!(
        out["Failed"],
        json!([{"Id": "b", "SenderFault": true, "Code": "InvalidMessageContents",
                "Message": "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"}])
    );
    let got = call(
        &svc,
        "ReceiveMessage",
        json!({"QueueUrl": URL, "MaxNumberOfMessages": 10}),
    )
    .await
    .unwrap();
    let handles: Vec<Value> = got["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ReceiptHandle"].clone())
        .collect();
    assert_eq!(handles.len(), 2);
    let out = call(
        &svc,
        "DeleteMessageBatch",
        json!({"QueueUrl": URL, "Entries": [
            {"Id": "one", "ReceiptHandle": handles[0]},
            {"Id": "two", "ReceiptHandle": "garbage"}
        ]}),
    )
    .await
    .unwrap();
    assert_eq!(out["Successful"], json!([{"Id": "one"}]));
    assert_eq!(out["Failed"][0]["Code"], "ReceiptHandleIsInvalid");

    let err = call(
        &svc,
        "SendMessageBatch",
        json!({"QueueUrl": URL, "Entries": []}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "EmptyBatchRequest");
    assert_eq!(
        err.query_error.as_deref(),
        Some("AWS.SimpleQueueService.EmptyBatchRequest;Sender")
    );
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"Id": format!("m{i}"), "MessageBody": "x"}))
        .collect();
    let err = call(
        &svc,
        "SendMessageBatch",
        json!({"QueueUrl": URL, "Entries": eleven}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "TooManyEntriesInBatchRequest");
    let err = call(
        &svc,
        "SendMessageBatch",
        json!({"QueueUrl": URL, "Entries": [{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "BatchEntryIdsNotDistinct");
    let err = call(
        &svc,
        "SendMessageBatch",
        json!({"QueueUrl": URL, "Entries": [{"Id": "a b", "MessageBody": "x"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidBatchEntryId");
}

#[test]
fn every_operation_is_served() {
    assert_eq!(
        operation_names(),
        [
            "AddPermission",
            "ChangeMessageVisibility",
            "CreateQueue",
            "DeleteMessage",
            "DeleteMessageBatch",
            "DeleteQueue",
            "GetQueueAttributes",
            "GetQueueUrl",
            "ListQueues",
            "PurgeQueue",
            "ReceiveMessage",
            "RemovePermission",
            "SendMessage",
            "SendMessageBatch",
            "SetQueueAttributes",
        ]
    );
}

/// An error's (`__type`, message, `x-amzn-query-error`).
fn wire(err: &AwsError) -> (String, String, String) {
    (
        err.wire_type(),
        err.message.clone().unwrap_or_default(),
        err.query_error.clone().unwrap_or_default(),
    )
}

#[tokio::test]
async fn list_queues_checks_sizes_and_refuses_tokens_it_did_not_issue() {
    let (svc, _) = service();
    for name in ["app-a", "app-b", "app-c"] {
        call(&svc, "CreateQueue", json!({"QueueName": name}))
            .await
            .unwrap();
    }
    let err = call(&svc, "ListQueues", json!({"MaxResults": 0}))
        .await
        .unwrap_err();
    assert_eq!(
        wire(&err),
        (
            "com.amazonaws.sqs#InvalidParameterValue".into(),
            "Value 0 for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.".into(),
            "InvalidParameterValue;Sender".into()
        )
    );
    let page = call(&svc, "ListQueues", json!({"MaxResults": 1}))
        .await
        .unwrap();
    let token = page["NextToken"].as_str().unwrap().to_owned();
    assert_ne!(token, "app-a", "the position is sealed, not sent bare");
    let err = call(&svc, "ListQueues", json!({"NextToken": token}))
        .await
        .unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some("MaxResults is a mandatory parameter when you provide a value for NextToken.")
    );
    let foreign = crate::protocol::tokens::seal("events:ListRules", "app-a");
    for bad in [foreign.as_str(), "app-a", "garbage"] {
        let err = call(
            &svc,
            "ListQueues",
            json!({"MaxResults": 1, "NextToken": bad}),
        )
        .await
        .unwrap_err();
        assert_eq!(
            wire(&err),
            (
                "com.amazonaws.sqs#InvalidParameterValue".into(),
                "Invalid NextToken value.".into(),
                "InvalidParameterValue;Sender".into()
            )
        );
    }
    // Without MaxResults the listing is one page, with no token.
    let all = call(&svc, "ListQueues", json!({})).await.unwrap();
    assert_eq!(all["QueueUrls"].as_array().unwrap().len(), 3);
    assert!(all.get("NextToken").is_none());
    let last = call(
        &svc,
        "ListQueues",
        json!({"MaxResults": 2, "NextToken": token}),
    )
    .await
    .unwrap();
    assert_eq!(
        last,
        json!({"QueueUrls": ["http://127.0.0.1:4566/000000000000/app-b", "http://127.0.0.1:4566/000000000000/app-c"]})
    );
}

#[tokio::test]
async fn permissions_add_and_remove_policy_statements() {
    let (svc, _) = with_queue().await;
    let err = call(
        &svc,
        "AddPermission",
        json!({"QueueUrl": URL, "Label": "bad label", "AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some(
            "Value bad label for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length."
        )
    );
    let err = call(
        &svc,
        "AddPermission",
        json!({"QueueUrl": URL, "Label": "l", "AWSAccountIds": [], "Actions": ["SendMessage"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        wire(&err),
        (
            "com.amazonaws.sqs#MissingParameter".into(),
            "The request must contain the parameter AWSAccountIds.".into(),
            "MissingParameter;Sender".into()
        )
    );
    let err = call(
        &svc,
        "AddPermission",
        json!({"QueueUrl": URL, "Label": "l", "AWSAccountIds": ["111111111111"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some("The request must contain the parameter Actions.")
    );
    let grant = json!({"QueueUrl": URL, "Label": "send", "AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"]});
    assert_eq!(
        call(&svc, "AddPermission", grant.clone()).await.unwrap(),
        json!({})
    );
    let err = call(&svc, "AddPermission", grant).await.unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some("Value send for parameter Label is invalid. Reason: Already exists.")
    );
    let policy = call(
        &svc,
        "GetQueueAttributes",
        json!({"QueueUrl": URL, "AttributeNames": ["Policy"]}),
    )
    .await
    .unwrap();
    let policy: Value =
        serde_json::from_str(policy["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(
        policy,
        json!({"Version": "2012-10-17",
               "Id": "arn:aws:sqs:us-east-1:000000000000:app-dlq/SQSDefaultPolicy",
               "Statement": [{"Sid": "send", "Effect": "Allow",
                   "Principal": {"AWS": ["arn:aws:iam::111111111111:root"]},
                   "Action": ["SQS:SendMessage"],
                   "Resource": "arn:aws:sqs:us-east-1:000000000000:app-dlq"}]})
    );
    let err = call(
        &svc,
        "RemovePermission",
        json!({"QueueUrl": URL, "Label": "other"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some("Value other for parameter Label is invalid. Reason: can't find label.")
    );
    call(
        &svc,
        "RemovePermission",
        json!({"QueueUrl": URL, "Label": "send"}),
    )
    .await
    .unwrap();
    let err = call(
        &svc,
        "RemovePermission",
        json!({"QueueUrl": URL, "Label": "send"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
}

#[tokio::test]
async fn change_message_visibility_of_messages_in_flight() {
    let (svc, clock) = with_queue().await;
    call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": URL, "MessageBody": "x"}),
    )
    .await
    .unwrap();
    let got = call(&svc, "ReceiveMessage", json!({"QueueUrl": URL}))
        .await
        .unwrap();
    let handle = got["Messages"][0]["ReceiptHandle"].clone();
    let err = call(
        &svc,
        "ChangeMessageVisibility",
        json!({"QueueUrl": URL, "ReceiptHandle": handle, "VisibilityTimeout": 43_201}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        wire(&err),
        (
            "com.amazonaws.sqs#InvalidParameterValue".into(),
            "Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.".into(),
            "InvalidParameterValue;Sender".into()
        )
    );
    let err = call(
        &svc,
        "ChangeMessageVisibility",
        json!({"QueueUrl": URL, "ReceiptHandle": handle}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "MissingParameter");
    call(
        &svc,
        "ChangeMessageVisibility",
        json!({"QueueUrl": URL, "ReceiptHandle": handle, "VisibilityTimeout": 0}),
    )
    .await
    .unwrap();
    let again = call(&svc, "ReceiveMessage", json!({"QueueUrl": URL}))
        .await
        .unwrap();
    assert_eq!(again["Messages"][0]["Body"], "x");
    // The first handle is no longer the message's: not in flight under it.
    clock.advance(Duration::from_millis(1));
    let err = call(
        &svc,
        "ChangeMessageVisibility",
        json!({"QueueUrl": URL, "ReceiptHandle": handle, "VisibilityTimeout": 5}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        wire(&err),
        (
            "com.amazonaws.sqs#MessageNotInflight".into(),
            "Message does not exist or is not available for visibility timeout change.".into(),
            "AWS.SimpleQueueService.MessageNotInflight;Sender".into()
        )
    );
    let err = call(
        &svc,
        "GetQueueAttributes",
        json!({"QueueUrl": URL, "AttributeNames": ["Colour"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        wire(&err),
        (
            "com.amazonaws.sqs#InvalidAttributeName".into(),
            "Unknown Attribute Colour.".into(),
            "InvalidAttributeName;Sender".into()
        )
    );
}
