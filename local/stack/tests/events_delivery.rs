//! Delivery: retries on the stack's clock, dead-letter messages with AWS's
//! attributes, drops, fault injection, and deliveries that survive a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod events_support;

use std::time::Duration;

use emulator::clock::ManualClock;
use emulator::protocol::error::AwsError;
use emulator::server::StateLocation;
use emulator::services::events::{InjectedError, TargetFault};
use events_support::{Harness, T0, attribute, start, start_with};
use serde_json::{Value, json};

const SM: &str = "arn:aws:states:us-east-1:000000000000:stateMachine:kyc";
const RULE_ARN: &str = "arn:aws:events:us-east-1:000000000000:rule/r";

/// Rule `r` on the default bus (source `app`) with target `sm` and the given retry policy and DLQ.
async fn rule_with_target(h: &Harness, policy: Value, dlq: Option<&str>, extra: Value) {
    h.ok(
        "PutRule",
        json!({"Name": "r", "EventPattern": "{\"source\":[\"app\"]}"}),
    )
    .await;
    let mut target = json!({"Id": "sm", "Arn": SM, "RetryPolicy": policy});
    if let Some(arn) = dlq {
        target["DeadLetterConfig"] = json!({ "Arn": arn });
    }
    if let Value::Object(more) = extra {
        for (k, v) in more {
            target[k] = v;
        }
    }
    let out = h
        .ok("PutTargets", json!({"Rule": "r", "Targets": [target]}))
        .await;
    assert_eq!(out["FailedEntryCount"], 0);
}

async fn put_app_event(h: &Harness, detail: Value) -> String {
    let out = h
        .ok(
            "PutEvents",
            json!({"Entries": [{"Source": "app", "DetailType": "t", "Detail": detail.to_string()}]}),
        )
        .await;
    assert_eq!(out["FailedEntryCount"], 0);
    out["Entries"][0]["EventId"].as_str().unwrap().to_owned()
}

fn throttle(n: u32) -> TargetFault {
    TargetFault::FailNext {
        remaining: n,
        error: InjectedError::throttled(),
    }
}

#[tokio::test]
async fn retries_then_dead_letter_with_the_documented_attributes() {
    let h = start(false).await;
    h.events.set_backoff_seed(1);
    let dlq = h.queue("dlq").await;
    rule_with_target(
        &h,
        json!({"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}),
        Some(&dlq),
        json!({}),
    )
    .await;
    h.events.faults().set("r", "sm", throttle(100));
    let id = put_app_event(&h, json!({"n": 1})).await;
    h.settle().await;
    assert!(h.receive("dlq").await.is_empty());
    assert_eq!(h.events.pending_deliveries(), 1);
    // Backoff ceilings are 1 s then 2 s; a minute covers both retries.
    for _ in 0..6 {
        h.advance(Duration::from_secs(10)).await;
    }
    assert_eq!(h.events.pending_deliveries(), 0);
    let messages = h.receive("dlq").await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(attribute(m, "RULE_ARN").unwrap(), RULE_ARN);
    assert_eq!(attribute(m, "TARGET_ARN").unwrap(), SM);
    assert_eq!(attribute(m, "ERROR_CODE").unwrap(), "ThrottlingException");
    assert_eq!(
        attribute(m, "ERROR_MESSAGE").unwrap(),
        "Rate exceeded (injected fault)"
    );
    assert_eq!(
        attribute(m, "EXHAUSTED_RETRY_CONDITION").unwrap(),
        "MaximumRetryAttempts"
    );
    assert_eq!(attribute(m, "RETRY_ATTEMPTS").unwrap(), "2");
    assert_eq!(m["MessageAttributes"]["RULE_ARN"]["DataType"], "String");
    // The body is the event itself.
    let body: Value = serde_json::from_str(m["Body"].as_str().unwrap()).unwrap();
    assert_eq!(body["id"], id);
    assert_eq!(body["detail"], json!({"n": 1}));
    assert!(h.starter.calls().is_empty());
}

#[tokio::test]
async fn a_retry_that_succeeds_delivers_once() {
    let h = start(false).await;
    h.events.set_backoff_seed(2);
    let dlq = h.queue("dlq").await;
    rule_with_target(
        &h,
        json!({"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600}),
        Some(&dlq),
        json!({"InputPath": "$.detail"}),
    )
    .await;
    h.events.faults().set("r", "sm", throttle(1));
    put_app_event(&h, json!({"applicationId": "app-1"})).await;
    h.settle().await;
    assert!(h.starter.calls().is_empty());
    h.advance(Duration::from_secs(2)).await;
    let calls = h.starter.calls();
    assert_eq!(calls.len(), 1);
    // InputPath: the execution input is the event's detail.
    assert_eq!(calls[0].input, "{\"applicationId\":\"app-1\"}");
    assert_eq!(h.events.pending_deliveries(), 0);
    h.advance(Duration::from_secs(600)).await;
    assert_eq!(h.starter.calls().len(), 1);
    assert!(h.receive("dlq").await.is_empty());
}

#[tokio::test]
async fn the_event_age_limit_ends_retries() {
    let h = start(false).await;
    h.events.set_backoff_seed(3);
    let dlq = h.queue("dlq").await;
    rule_with_target(
        &h,
        json!({"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60}),
        Some(&dlq),
        json!({}),
    )
    .await;
    h.events.faults().set(
        "r",
        "sm",
        TargetFault::FailRate {
            rate: 1.0,
            error: InjectedError::throttled(),
        },
    );
    put_app_event(&h, json!({})).await;
    let mut waited = 0;
    while h.events.pending_deliveries() > 0 {
        h.advance(Duration::from_secs(5)).await;
        waited += 5;
        assert!(waited <= 120, "still retrying after {waited} s");
    }
    let messages = h.receive("dlq").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        attribute(&messages[0], "EXHAUSTED_RETRY_CONDITION").unwrap(),
        "MaximumEventAgeInSeconds"
    );
    let retries: u32 = attribute(&messages[0], "RETRY_ATTEMPTS")
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..185).contains(&retries), "{retries}");
}

#[tokio::test]
async fn errors_retrying_cannot_fix_go_to_the_dead_letter_queue_at_once() {
    let h = start(false).await;
    let dlq = h.queue("dlq").await;
    rule_with_target(
        &h,
        json!({"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}),
        Some(&dlq),
        json!({}),
    )
    .await;
    h.starter.fail_next(
        AwsError::client(
            "StateMachineDoesNotExist",
            format!("State Machine Does Not Exist: '{SM}'"),
        ),
        1,
    );
    put_app_event(&h, json!({})).await;
    h.settle().await;
    let messages = h.receive("dlq").await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(
        attribute(m, "ERROR_CODE").unwrap(),
        "StateMachineDoesNotExist"
    );
    assert_eq!(
        attribute(m, "ERROR_MESSAGE").unwrap(),
        format!("State Machine Does Not Exist: '{SM}'")
    );
    assert_eq!(attribute(m, "RETRY_ATTEMPTS").unwrap(), "0");
    assert_eq!(attribute(m, "EXHAUSTED_RETRY_CONDITION"), None);
    assert_eq!(h.events.pending_deliveries(), 0);
}

#[tokio::test]
async fn an_input_path_that_selects_nothing_is_a_failed_delivery() {
    let h = start(false).await;
    let dlq = h.queue("dlq").await;
    rule_with_target(
        &h,
        json!({"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600}),
        Some(&dlq),
        json!({"InputPath": "$.detail.missing"}),
    )
    .await;
    put_app_event(&h, json!({"present": 1})).await;
    h.settle().await;
    let messages = h.receive("dlq").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        attribute(&messages[0], "ERROR_CODE").unwrap(),
        "INVALID_PARAMETER"
    );
    assert!(h.starter.calls().is_empty());
}

#[tokio::test]
async fn without_a_dead_letter_queue_a_failed_event_is_dropped() {
    let h = start(false).await;
    rule_with_target(
        &h,
        json!({"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}),
        None,
        json!({}),
    )
    .await;
    h.events.faults().set("r", "sm", throttle(1));
    put_app_event(&h, json!({})).await;
    h.settle().await;
    assert_eq!(h.events.pending_deliveries(), 0);
    h.advance(Duration::from_secs(600)).await;
    assert!(h.starter.calls().is_empty());
    // The fault was used up by the one attempt: a new event is delivered.
    put_app_event(&h, json!({})).await;
    h.settle().await;
    assert_eq!(h.starter.calls().len(), 1);
}

#[tokio::test]
async fn a_fault_rate_fails_about_that_share_of_deliveries() {
    let h = start(false).await;
    rule_with_target(
        &h,
        json!({"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}),
        None,
        json!({}),
    )
    .await;
    h.events.faults().set(
        "r",
        "sm",
        TargetFault::FailRate {
            rate: 0.5,
            error: InjectedError::throttled(),
        },
    );
    for _ in 0..20 {
        let entries: Vec<Value> = (0..10)
            .map(|i| json!({"Source": "app", "DetailType": "t", "Detail": json!({"i": i}).to_string()}))
            .collect();
        h.ok("PutEvents", json!({"Entries": entries})).await;
    }
    h.settle().await;
    let delivered = h.starter.calls().len();
    assert!((60..140).contains(&delivered), "{delivered} of 200");
    h.events.faults().clear("r", "sm");
    put_app_event(&h, json!({})).await;
    h.settle().await;
    assert_eq!(h.starter.calls().len(), delivered + 1);
}

fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("kyc-events-{}", uuid::Uuid::new_v4()))
}

#[tokio::test]
async fn acknowledged_events_are_delivered_after_a_restart() {
    let dir = temp_dir();
    let clock = ManualClock::new(T0);
    // The first process acknowledges events but dies before delivering any
    // (its delivery worker never started).
    let first = start_with(StateLocation::Directory(dir.clone()), None, clock.clone()).await;
    rule_with_target(
        &first,
        json!({"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}),
        None,
        json!({}),
    )
    .await;
    put_app_event(&first, json!({"n": 1})).await;
    put_app_event(&first, json!({"n": 2})).await;
    assert!(first.starter.calls().is_empty());
    first.events.stop();
    let first_events = first.events;
    first.server.shutdown().await.unwrap();
    drop(first_events);

    let second = start_with(StateLocation::Directory(dir.clone()), None, clock.clone()).await;
    assert_eq!(second.events.resume().await.unwrap(), 2);
    second.settle().await;
    let mut inputs: Vec<i64> = second
        .starter
        .calls()
        .iter()
        .map(|c| {
            serde_json::from_str::<Value>(&c.input).unwrap()["detail"]["n"]
                .as_i64()
                .unwrap()
        })
        .collect();
    inputs.sort_unstable();
    assert_eq!(inputs, [1, 2]);
    let second_events = second.events;
    second.server.shutdown().await.unwrap();
    drop(second_events);

    // Delivered rows are gone: a third start has nothing to resume.
    let third = start_with(StateLocation::Directory(dir.clone()), None, clock).await;
    assert_eq!(third.events.resume().await.unwrap(), 0);
    third.server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_delivery_waiting_for_a_retry_keeps_its_attempts_across_a_restart() {
    let dir = temp_dir();
    let clock = ManualClock::new(T0);
    let first = start_with(StateLocation::Directory(dir.clone()), None, clock.clone()).await;
    first.events.resume().await.unwrap();
    first.events.set_backoff_seed(4);
    let dlq = first.queue("dlq").await;
    rule_with_target(
        &first,
        json!({"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 3600}),
        Some(&dlq),
        json!({}),
    )
    .await;
    first.events.faults().set("r", "sm", throttle(1));
    put_app_event(&first, json!({})).await;
    first.settle().await;
    assert_eq!(first.events.pending_deliveries(), 1);
    first.events.stop();
    let first_events = first.events;
    first.server.shutdown().await.unwrap();
    drop(first_events);

    let second = start_with(StateLocation::Directory(dir.clone()), None, clock.clone()).await;
    assert_eq!(second.events.resume().await.unwrap(), 1);
    // The one retry the policy allows fails too: the delivery made 2 attempts in all.
    second.events.faults().set("r", "sm", throttle(1));
    second.advance(Duration::from_secs(5)).await;
    let messages = second.receive("dlq").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(attribute(&messages[0], "RETRY_ATTEMPTS").unwrap(), "1");
    assert_eq!(
        attribute(&messages[0], "EXHAUSTED_RETRY_CONDITION").unwrap(),
        "MaximumRetryAttempts"
    );
    assert!(second.starter.calls().is_empty());
    second.server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_event_bus_target_forwards_the_event_itself_to_the_other_bus() {
    let h = start(false).await;
    h.ok("CreateEventBus", json!({"Name": "other"})).await;
    h.ok(
        "PutRule",
        json!({"Name": "on-other", "EventBusName": "other", "EventPattern": "{\"source\":[\"app\"]}"}),
    )
    .await;
    h.ok(
        "PutTargets",
        json!({"Rule": "on-other", "EventBusName": "other", "Targets": [{"Id": "sm", "Arn": SM}]}),
    )
    .await;
    h.ok(
        "PutRule",
        json!({"Name": "fwd", "EventPattern": "{\"source\":[\"app\"]}"}),
    )
    .await;
    h.ok(
        "PutTargets",
        json!({"Rule": "fwd", "Targets": [{"Id": "bus", "Arn": "arn:aws:events:us-east-1:000000000000:event-bus/other", "InputPath": "$.detail"}]}),
    )
    .await;
    let id = put_app_event(&h, json!({"k": "v"})).await;
    h.settle().await;
    let calls = h.starter.calls();
    assert_eq!(calls.len(), 1);
    let event: Value = serde_json::from_str(&calls[0].input).unwrap();
    assert_eq!(event["id"], id);
    assert_eq!(event["detail"], json!({"k": "v"}));
    assert_eq!(h.events.pending_deliveries(), 0);
}
