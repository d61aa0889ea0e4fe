//! The project's template.yaml seeded into EventBridge, and the project's
//! `events/` files routed to the targets its rules name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod events_support;

use std::sync::Arc;

use emulator::services::bridge::EventPublisher;
use events_support::{Harness, attribute, project_events, start};
use serde_json::{Value, json};

const STATE_MACHINE: &str = "arn:aws:states:us-east-1:000000000000:stateMachine:kyc-onboarding";
const INTAKE: &str = "arn:aws:lambda:us-east-1:000000000000:function:kyc-application-intake";
const APPLICATIONS_DLQ: &str = "kyc-applications-dlq";

/// New account requested events delivered to the application intake since the last call. This
/// harness runs no function process, so each delivery to the intake fails at once
/// (ResourceNotFoundException is not retried) and EventBridge sends the event to the rule's DLQ,
/// naming the rule and the target: what the rule delivered, and to whom, is there.
async fn intake_deliveries(h: &Harness) -> Vec<Value> {
    h.receive(APPLICATIONS_DLQ)
        .await
        .into_iter()
        .filter(|m| attribute(m, "TARGET_ARN").as_deref() == Some(INTAKE))
        .map(|m| {
            assert_eq!(
                attribute(&m, "RULE_ARN").unwrap(),
                rule_arn(h, "ApplicationIntakeFunctionNewAccountRequested")
            );
            serde_json::from_str(m["Body"].as_str().unwrap()).unwrap()
        })
        .collect()
}
const ACCOUNTS: &str = "/aws/events/kyc/accounts";
const CUSTOMER_SERVICE: &str = "/aws/events/kyc/customer-service";
const DLQ: &str = "kyc-rule-target-dlq";

fn rule_arn(h: &Harness, logical_id: &str) -> String {
    let model = h.server.stack.template.as_ref().unwrap();
    model
        .rules
        .iter()
        .find(|r| r.logical_id == logical_id)
        .unwrap()
        .arn
        .clone()
}

fn kyc_entry(detail_type: &str, detail: Value) -> Value {
    json!({"Source": "com.aws.kyc", "DetailType": detail_type, "Detail": detail.to_string(), "EventBusName": "CentralEventBus"})
}

#[tokio::test]
async fn the_template_seeds_the_bus_its_rules_and_their_targets() {
    let h = start(true).await;
    let buses = h.ok("ListEventBuses", json!({})).await;
    let names: Vec<&str> = buses["EventBuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["CentralEventBus", "default"]);
    let rules = h
        .ok("ListRules", json!({"EventBusName": "CentralEventBus"}))
        .await;
    let rules = rules["Rules"].as_array().unwrap();
    // Two AWS::Events::Rule resources plus the SAM rules of the intake and the callback completer.
    assert_eq!(rules.len(), 4, "{rules:?}");
    assert!(rules.iter().all(|r| r["State"] == "ENABLED"));
    let default_rules = h.ok("ListRules", json!({})).await;
    assert_eq!(default_rules["Rules"].as_array().unwrap().len(), 1);
    let intake_rule = rule_arn(&h, "ApplicationIntakeFunctionNewAccountRequested");
    let intake_rule_name = intake_rule.rsplit('/').next().unwrap();
    let targets = h
        .ok(
            "ListTargetsByRule",
            json!({"Rule": intake_rule_name, "EventBusName": "CentralEventBus"}),
        )
        .await;
    let target = &targets["Targets"][0];
    assert_eq!(target["Arn"], INTAKE);
    assert_eq!(
        target["RetryPolicy"],
        json!({"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400})
    );
    assert_eq!(
        target["DeadLetterConfig"]["Arn"],
        "arn:aws:sqs:us-east-1:000000000000:kyc-applications-dlq"
    );
    assert_eq!(
        h.ok(
            "ListRuleNamesByTarget",
            json!({"TargetArn": INTAKE, "EventBusName": "CentralEventBus"})
        )
        .await,
        json!({"RuleNames": [intake_rule_name]})
    );
}

#[tokio::test]
async fn the_original_sample_reaches_the_intake_once_per_application() {
    let h = start(true).await;
    let entries = project_events("put_events.json");
    let out = h.ok("PutEvents", json!({"Entries": entries})).await;
    assert_eq!(out["FailedEntryCount"], 0);
    h.settle().await;
    let delivered = intake_deliveries(&h).await;
    assert_eq!(delivered.len(), 2);
    assert!(
        h.starter.calls().is_empty(),
        "no rule starts the state machine itself"
    );
    let mut names = Vec::new();
    for (i, event) in delivered.iter().enumerate() {
        // The target has no input settings: the function gets the whole event.
        assert_eq!(event["source"], "com.aws.accounts");
        assert_eq!(event["detail-type"], "New account requested");
        assert_eq!(event["account"], "000000000000");
        assert_eq!(event["region"], "us-east-1");
        assert_eq!(event["time"], "2026-01-01T00:00:00Z");
        assert_eq!(event["resources"], json!([]));
        assert_eq!(event["version"], "0");
        let ids: Vec<&str> = out["Entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["EventId"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&event["id"].as_str().unwrap()), "{i}");
        names.push(event["detail"]["customerName"].as_str().unwrap().to_owned());
    }
    names.sort();
    assert_eq!(names, ["Nikki Wolf", "Paulo Santos"]);
    // com.aws.accounts goes to no log group.
    assert!(h.log_events(ACCOUNTS).await.is_empty());
    assert!(h.log_events(CUSTOMER_SERVICE).await.is_empty());
    assert_eq!(h.events.pending_deliveries(), 0);
}

#[tokio::test]
async fn mixed_entries_accept_two_and_reject_three_per_entry() {
    let h = start(true).await;
    let out = h
        .ok(
            "PutEvents",
            json!({"Entries": project_events("malformed/mixed-entries.json")}),
        )
        .await;
    assert_eq!(out["FailedEntryCount"], 3);
    let entries = out["Entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert!(entries[0]["EventId"].is_string());
    assert_eq!(
        entries[1],
        json!({"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."})
    );
    assert_eq!(
        entries[2],
        json!({"ErrorCode": "InvalidArgument", "ErrorMessage": "Parameter DetailType is not valid. Reason: DetailType is a required argument."})
    );
    assert_eq!(
        entries[3],
        json!({"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."})
    );
    assert!(entries[4]["EventId"].is_string());
    h.settle().await;
    let mut apps: Vec<String> = intake_deliveries(&h)
        .await
        .iter()
        .map(|e| e["detail"]["applicationId"].as_str().unwrap().to_owned())
        .collect();
    apps.sort();
    assert_eq!(apps, ["app-6001", "app-6002"]);
}

#[tokio::test]
async fn kyc_events_reach_the_log_groups_their_patterns_name() {
    let h = start(true).await;
    let out = h
        .ok(
            "PutEvents",
            json!({"Entries": [
                kyc_entry("Identity check completed", json!({"applicationId": "app-1", "identityVerified": true})),
                kyc_entry("New account approved", json!({"applicationId": "app-1", "decision": "APPROVE"})),
            ]}),
        )
        .await;
    assert_eq!(out["FailedEntryCount"], 0);
    let identity_id = out["Entries"][0]["EventId"].as_str().unwrap().to_owned();
    let approved_id = out["Entries"][1]["EventId"].as_str().unwrap().to_owned();
    h.settle().await;
    let accounts = h.log_events(ACCOUNTS).await;
    let mut streams: Vec<&str> = accounts.iter().map(|(s, _, _)| s.as_str()).collect();
    streams.sort();
    let mut expected = vec![identity_id.as_str(), approved_id.as_str()];
    expected.sort();
    // EventBridge writes each event to a log stream named after the event id.
    assert_eq!(streams, expected);
    let customer = h.log_events(CUSTOMER_SERVICE).await;
    assert_eq!(customer.len(), 1);
    let (stream, timestamp, message) = &customer[0];
    assert_eq!(stream, &approved_id);
    // The event time (the clock's start), and the whole event JSON as the message.
    assert_eq!(*timestamp, events_support::T0);
    let event: Value = serde_json::from_str(message).unwrap();
    assert_eq!(
        event,
        json!({
            "version": "0",
            "id": approved_id,
            "detail-type": "New account approved",
            "source": "com.aws.kyc",
            "account": "000000000000",
            "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {"applicationId": "app-1", "decision": "APPROVE"}
        })
    );
    // Nothing started an execution.
    assert!(h.starter.calls().is_empty());
}

#[tokio::test]
async fn manual_review_completed_goes_to_the_callback_completer_rule_and_customer_service() {
    let h = start(true).await;
    let dlq_url = h.queue(DLQ).await;
    assert!(dlq_url.ends_with(DLQ));
    let out = h
        .ok(
            "PutEvents",
            json!({"Entries": project_events("review-completed.json")}),
        )
        .await;
    assert_eq!(out["FailedEntryCount"], 0);
    h.settle().await;
    // Customer service sees the review event.
    let customer = h.log_events(CUSTOMER_SERVICE).await;
    assert_eq!(customer.len(), 1);
    assert!(customer[0].2.contains("Manual review completed"));
    assert!(h.log_events(ACCOUNTS).await.is_empty());
    // The callback completer function is not registered with this stack's
    // Lambda service, so its invocation fails for good (not retryable) and the
    // event lands in the rule's dead-letter queue: the rule that matched is
    // the completer's.
    let messages = h.receive(DLQ).await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(
        attribute(m, "RULE_ARN").unwrap(),
        rule_arn(&h, "CallbackCompleterFunctionReviewEvents")
    );
    assert_eq!(
        attribute(m, "TARGET_ARN").unwrap(),
        "arn:aws:lambda:us-east-1:000000000000:function:kyc-callback-completer"
    );
    assert_eq!(
        attribute(m, "ERROR_CODE").unwrap(),
        "ResourceNotFoundException"
    );
    assert_eq!(attribute(m, "RETRY_ATTEMPTS").unwrap(), "0");
    assert_eq!(attribute(m, "EXHAUSTED_RETRY_CONDITION"), None);
    let body: Value = serde_json::from_str(m["Body"].as_str().unwrap()).unwrap();
    assert_eq!(body["detail"]["decision"], "APPROVE");
    assert_eq!(body["id"], out["Entries"][0]["EventId"]);
}

#[tokio::test]
async fn service_events_reach_the_default_bus_and_put_events_goes_through_the_publisher() {
    let h = start(true).await;
    h.queue(DLQ).await;
    let publisher: Arc<dyn EventPublisher> = h.events.clone();
    let event = json!({
        "version": "0", "id": "status-1", "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states", "account": "000000000000", "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1", "resources": [format!("{STATE_MACHINE}:exec")],
        "detail": {"stateMachineArn": STATE_MACHINE, "status": "SUCCEEDED"}
    });
    publisher.put_service_event(event).await.unwrap();
    // Another state machine's status change matches nothing.
    publisher
        .put_service_event(json!({
            "version": "0", "id": "status-2", "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states", "account": "000000000000", "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1", "resources": [],
            "detail": {"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:other"}
        }))
        .await
        .unwrap();
    h.settle().await;
    // The status-change rule's DLQ is the applications one (its events carry the execution's input).
    let messages: Vec<Value> = h
        .receive(APPLICATIONS_DLQ)
        .await
        .into_iter()
        .filter(|m| {
            attribute(m, "RULE_ARN").as_deref()
                == Some(rule_arn(&h, "StatusChangeLoggerFunctionExecutionStatusChange").as_str())
        })
        .collect();
    assert_eq!(messages.len(), 1);
    let body: Value = serde_json::from_str(messages[0]["Body"].as_str().unwrap()).unwrap();
    assert_eq!(body["id"], "status-1");

    // The Step Functions putEvents integration: PutEvents semantics, entries as JSON.
    let outcome = publisher
        .put_events(vec![
            json!({"Source": "com.aws.accounts", "DetailType": "New account requested", "Detail": "{\"customerName\":\"A\",\"customerAddress\":\"B\"}", "EventBusName": "CentralEventBus"}),
            json!({"Source": "aws.states", "DetailType": "x", "Detail": "{}"}),
        ])
        .await
        .unwrap();
    assert_eq!(outcome.failed_entry_count, 1);
    assert_eq!(
        outcome.entries[1],
        json!({"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."})
    );
    h.settle().await;
    let delivered = intake_deliveries(&h).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["detail"]["customerName"], "A");
}

#[tokio::test]
async fn put_events_once_publishes_once_per_key_and_answers_the_same_again() {
    let h = start(true).await;
    let publisher: Arc<dyn EventPublisher> = h.events.clone();
    let entry = || {
        vec![
            json!({"Source": "com.aws.accounts", "DetailType": "New account requested", "Detail": "{\"customerName\":\"A\",\"customerAddress\":\"B\"}", "EventBusName": "CentralEventBus"}),
        ]
    };
    let scope = format!("{STATE_MACHINE}:exec-1");
    let first = publisher
        .put_events_once(scope.clone(), "7".into(), entry())
        .await
        .unwrap();
    assert_eq!(first.failed_entry_count, 0);
    // The same task sent again (after a crash): the first answer, nothing published.
    let again = publisher
        .put_events_once(scope.clone(), "7".into(), entry())
        .await
        .unwrap();
    assert_eq!(again, first);
    h.settle().await;
    assert_eq!(intake_deliveries(&h).await.len(), 1);
    // Another task of the same execution publishes.
    let other = publisher
        .put_events_once(scope, "8".into(), entry())
        .await
        .unwrap();
    assert_ne!(other.entries[0]["EventId"], first.entries[0]["EventId"]);
    h.settle().await;
    // One more since the first.
    assert_eq!(intake_deliveries(&h).await.len(), 1);
}

#[tokio::test]
async fn a_disabled_rule_routes_nothing_until_enabled_again() {
    let h = start(true).await;
    let name = rule_arn(&h, "ApplicationIntakeFunctionNewAccountRequested")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    h.ok(
        "DisableRule",
        json!({"Name": name, "EventBusName": "CentralEventBus"}),
    )
    .await;
    h.ok(
        "PutEvents",
        json!({"Entries": project_events("put_events.json")}),
    )
    .await;
    h.settle().await;
    assert!(intake_deliveries(&h).await.is_empty());
    h.ok(
        "EnableRule",
        json!({"Name": name, "EventBusName": "CentralEventBus"}),
    )
    .await;
    h.ok(
        "PutEvents",
        json!({"Entries": project_events("put_events.json")}),
    )
    .await;
    h.settle().await;
    assert_eq!(intake_deliveries(&h).await.len(), 2);
}

#[tokio::test]
async fn an_api_rule_with_an_input_transformer_feeds_a_queue_target() {
    let h = start(true).await;
    let queue_arn = h.queue("audit").await;
    h.ok(
        "PutRule",
        json!({"Name": "audit", "EventBusName": "CentralEventBus", "EventPattern": "{\"detail-type\":[\"New account approved\"]}"}),
    )
    .await;
    h.ok(
        "PutTargets",
        json!({"Rule": "audit", "EventBusName": "CentralEventBus", "Targets": [{
            "Id": "q", "Arn": queue_arn,
            "InputTransformer": {"InputPathsMap": {"app": "$.detail.applicationId"}, "InputTemplate": "{\"approved\": <app>, \"rule\": <aws.events.rule-name>}"}
        }]}),
    )
    .await;
    h.ok(
        "PutEvents",
        json!({"Entries": [kyc_entry("New account approved", json!({"applicationId": "app-9"}))]}),
    )
    .await;
    h.settle().await;
    let messages = h.receive("audit").await;
    assert_eq!(messages.len(), 1);
    let body: Value = serde_json::from_str(messages[0]["Body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"approved": "app-9", "rule": "audit"}));
}
