//! A Lambda function as a rule target: EventBridge invokes it asynchronously
//! with the rendered input (the fixture function in `examples/`, a real process).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod events_support;
mod lambda_support;

use std::time::Duration;

use emulator::clock::ManualClock;
use emulator::server::StateLocation;
use events_support::{T0, start_with_lambda};
use serde_json::json;

#[tokio::test]
async fn a_lambda_target_is_invoked_asynchronously_with_the_transformed_input() {
    let lambda = lambda_support::harness();
    lambda
        .service
        .register(lambda_support::function("printer"))
        .unwrap();
    let h = start_with_lambda(
        StateLocation::InMemory,
        None,
        ManualClock::new(T0),
        lambda.service.clone(),
    )
    .await;
    h.events.resume().await.unwrap();
    h.ok(
        "PutRule",
        json!({"Name": "to-printer", "EventPattern": "{\"source\":[\"app\"]}"}),
    )
    .await;
    h.ok(
        "PutTargets",
        json!({"Rule": "to-printer", "Targets": [{
            "Id": "printer",
            "Arn": "arn:aws:lambda:us-east-1:000000000000:function:printer",
            "InputTransformer": {
                "InputPathsMap": {"app": "$.detail.applicationId"},
                "InputTemplate": "{\"action\": \"print\", \"lines\": [<app>, \"rule <aws.events.rule-name>\"]}"
            }
        }]}),
    )
    .await;
    h.ok(
        "PutEvents",
        json!({"Entries": [{"Source": "app", "DetailType": "t", "Detail": "{\"applicationId\":\"app-7\"}"}]}),
    )
    .await;
    h.settle().await;
    assert_eq!(h.events.pending_deliveries(), 0);
    tokio::time::timeout(Duration::from_secs(60), lambda.service.wait_async_idle())
        .await
        .expect("the async invocation finishes");
    let printed: Vec<String> = lambda
        .logs
        .messages("/aws/lambda/printer")
        .into_iter()
        .filter(|m| {
            !m.starts_with("START")
                && !m.starts_with("END")
                && !m.starts_with("REPORT")
                && !m.starts_with("INIT")
        })
        .collect();
    assert_eq!(printed, ["app-7\n", "rule to-printer\n"]);
    lambda.service.shutdown().await;
}
