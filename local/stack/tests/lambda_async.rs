//! Event invocations: 202, retries after function errors, the dead-letter
//! hand-off and the on-success destination.
#![allow(clippy::unwrap_used)]

mod lambda_support;

use std::time::Duration;

use emulator::lambda::{AsyncCondition, InvocationType, LambdaConfig};
use lambda_support::{config, function, harness_with, json};
use serde_json::json;

fn fast_retries() -> LambdaConfig {
    // AWS waits one then two minutes; the tests shorten the waits, not the logic.
    LambdaConfig {
        async_retry_delays: [Duration::from_millis(100), Duration::from_millis(200)],
        ..config()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_event_is_tried_three_times_then_dead_lettered() {
    let h = harness_with(fast_retries());
    let mut f = function("async-fail");
    f.async_config.dead_letter_target_arn =
        Some("arn:aws:sqs:us-east-1:000000000000:async-fail-dlq".into());
    h.service.register(f).unwrap();
    let payload = r#"{"action":"error","type":"Retryable","message":"downstream unavailable"}"#;
    let out = h
        .service
        .invoke("async-fail", payload, InvocationType::Event)
        .await
        .unwrap();
    assert_eq!(out.status_code, 202);
    assert!(out.payload.is_empty());
    h.service.wait_async_idle().await;

    let failures = h.dead_letters.failures();
    assert_eq!(failures.len(), 1);
    let record = &failures[0];
    assert_eq!(record.request_id, out.request_id);
    assert_eq!(record.condition, AsyncCondition::RetriesExhausted);
    assert_eq!(record.approximate_invoke_count, 3);
    assert_eq!(
        record.dead_letter_target_arn.as_deref(),
        Some("arn:aws:sqs:us-east-1:000000000000:async-fail-dlq")
    );
    assert_eq!(record.dead_letter_body(), payload);
    assert_eq!(
        record.dead_letter_attributes()["ErrorMessage"],
        "downstream unavailable"
    );
    assert_eq!(record.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json(record.response_payload.as_ref().unwrap()),
        json!({"errorMessage": "downstream unavailable", "errorType": "Retryable", "stackTrace": ["at fixture::main"]})
    );
    // Every attempt keeps the request id, as Lambda's retries do.
    let starts: Vec<String> = h
        .logs
        .messages("/aws/lambda/async-fail")
        .into_iter()
        .filter(|m| m.starts_with("START"))
        .collect();
    assert_eq!(
        starts,
        vec![format!("START RequestId: {} Version: $LATEST\n", out.request_id); 3]
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_attempts_zero_means_one_attempt_and_the_destination_record() {
    let h = harness_with(fast_retries());
    let mut f = function("async-once");
    f.async_config.maximum_retry_attempts = 0;
    f.async_config.on_failure_destination =
        Some("arn:aws:sqs:us-east-1:000000000000:failures".into());
    h.service.register(f).unwrap();
    let out = h
        .service
        .invoke(
            "async-once",
            r#"{"action":"exit","code":3}"#,
            InvocationType::Event,
        )
        .await
        .unwrap();
    h.service.wait_async_idle().await;
    let failures = h.dead_letters.failures();
    assert_eq!(failures.len(), 1);
    let record = failures[0].destination_record();
    assert_eq!(
        record["requestContext"]["requestId"],
        out.request_id.as_str()
    );
    assert_eq!(record["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 1);
    assert_eq!(
        record["requestContext"]["functionArn"],
        "arn:aws:lambda:us-east-1:000000000000:function:async-once:$LATEST"
    );
    assert_eq!(
        record["requestPayload"],
        json!({"action": "exit", "code": 3})
    );
    assert_eq!(
        record["responseContext"],
        json!({"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"})
    );
    assert_eq!(record["responsePayload"]["errorType"], "Runtime.ExitError");
    assert_eq!(
        h.service.function_stats("async-once").unwrap().invocations,
        1
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_that_succeeds_goes_to_on_success() {
    let h = harness_with(fast_retries());
    let mut f = function("async-ok");
    f.async_config.on_success_destination = Some("arn:aws:sqs:us-east-1:000000000000:ok".into());
    f.async_config.dead_letter_target_arn = Some("arn:aws:sqs:us-east-1:000000000000:dlq".into());
    h.service.register(f).unwrap();
    let plan = std::sync::Arc::new(emulator::lambda::ScriptedFaults::new());
    plan.add(
        "async-ok",
        emulator::lambda::Fault::Crash,
        emulator::lambda::Trigger::Next(1),
    );
    h.service.set_fault_plan(plan);
    let out = h
        .service
        .invoke("async-ok", r#"{"n":7}"#, InvocationType::Event)
        .await
        .unwrap();
    h.service.wait_async_idle().await;
    assert!(h.dead_letters.failures().is_empty());
    let successes = h.dead_letters.successes();
    assert_eq!(successes.len(), 1);
    let record = successes[0].destination_record();
    assert_eq!(
        record["requestContext"]["requestId"],
        out.request_id.as_str()
    );
    assert_eq!(record["requestContext"]["condition"], "Success");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 2);
    assert_eq!(record["responsePayload"], json!({"n": 7}));
    assert_eq!(
        record["responseContext"],
        json!({"statusCode": 200, "executedVersion": "$LATEST"})
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_older_than_its_maximum_age_is_dropped_to_the_dlq() {
    let h = harness_with(LambdaConfig {
        async_retry_delays: [Duration::from_secs(30), Duration::from_secs(30)],
        ..config()
    });
    let mut f = function("async-age");
    f.async_config.maximum_event_age = Duration::from_secs(2);
    f.async_config.dead_letter_target_arn = Some("arn:aws:sqs:us-east-1:000000000000:dlq".into());
    h.service.register(f).unwrap();
    h.service
        .invoke("async-age", r#"{"action":"error"}"#, InvocationType::Event)
        .await
        .unwrap();
    h.service.wait_async_idle().await;
    let failures = h.dead_letters.failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].condition, AsyncCondition::EventAgeExceeded);
    assert_eq!(
        failures[0].approximate_invoke_count, 1,
        "the retry would come after the event expired"
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_dlq_or_destination_a_failed_event_is_discarded() {
    let h = harness_with(fast_retries());
    h.service.register(function("async-plain")).unwrap();
    h.service
        .invoke(
            "async-plain",
            r#"{"action":"error"}"#,
            InvocationType::Event,
        )
        .await
        .unwrap();
    h.service.wait_async_idle().await;
    assert!(h.dead_letters.failures().is_empty());
    assert_eq!(
        h.service.function_stats("async-plain").unwrap().invocations,
        3
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_event_survives_a_restart() {
    use std::sync::Arc;

    use emulator::lambda::{
        AsyncEventStore, Fault, MemoryAsyncEventStore, ScriptedFaults, Trigger,
    };

    let store = Arc::new(MemoryAsyncEventStore::new());
    let before = harness_with(LambdaConfig {
        async_retry_delays: [Duration::from_secs(600), Duration::from_secs(600)],
        ..config()
    });
    before.service.set_async_store(store.clone());
    let mut f = function("durable");
    f.async_config.on_success_destination = Some("arn:aws:sqs:us-east-1:000000000000:ok".into());
    before.service.register(f.clone()).unwrap();
    let plan = Arc::new(ScriptedFaults::new());
    plan.add(
        "durable",
        Fault::Error {
            error_type: "Transient".into(),
            error_message: "try later".into(),
        },
        Trigger::Next(100),
    );
    before.service.set_fault_plan(plan);
    let accepted = before
        .service
        .invoke("durable", r#"{"id":42}"#, InvocationType::Event)
        .await
        .unwrap();
    assert_eq!(store.load().len(), 1, "saved when accepted");

    // Wait for the first (failed) attempt, then stop the stack during the retry wait.
    let mut attempted = false;
    for _ in 0..400 {
        if store.load().first().is_some_and(|e| e.attempts == 1) {
            attempted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(attempted, "the first attempt is recorded");
    before.service.shutdown().await;
    drop(before);
    let saved = store.load();
    assert_eq!(saved.len(), 1, "still queued after the stop");
    assert_eq!(saved[0].request_id, accepted.request_id);
    assert_eq!(
        json(saved[0].last_error.as_ref().unwrap())["errorType"],
        "Transient"
    );

    let after = harness_with(fast_retries());
    after.service.set_async_store(store.clone());
    after.service.register(f).unwrap();
    assert_eq!(after.service.resume_async(), 1);
    after.service.wait_async_idle().await;
    assert!(store.load().is_empty(), "removed once done");
    let successes = after.dead_letters.successes();
    assert_eq!(successes.len(), 1);
    assert_eq!(successes[0].request_id, accepted.request_id);
    assert_eq!(successes[0].approximate_invoke_count, 2);
    assert_eq!(
        json(successes[0].response_payload.as_ref().unwrap()),
        json!({"id": 42})
    );
    after.service.shutdown().await;
}
