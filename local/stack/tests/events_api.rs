//! EventBridge API operations and their errors (in-process, no template).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod events_support;

use events_support::start;
use serde_json::json;

const ACCOUNT: &str = "000000000000";

#[tokio::test]
async fn the_default_bus_always_exists_and_custom_buses_come_and_go() {
    let h = start(false).await;
    let buses = h.ok("ListEventBuses", json!({})).await;
    assert_eq!(buses["EventBuses"].as_array().unwrap().len(), 1);
    assert_eq!(buses["EventBuses"][0]["Name"], "default");
    assert_eq!(
        buses["EventBuses"][0]["Arn"],
        format!("arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default")
    );

    let created = h
        .ok(
            "CreateEventBus",
            json!({"Name": "orders", "Description": "d"}),
        )
        .await;
    assert_eq!(
        created,
        json!({"EventBusArn": format!("arn:aws:events:us-east-1:{ACCOUNT}:event-bus/orders"), "Description": "d"})
    );
    assert_eq!(
        h.err("CreateEventBus", json!({"Name": "orders"})).await,
        (
            "ResourceAlreadyExistsException".into(),
            "Event bus orders already exists.".into()
        )
    );
    let described = h.ok("DescribeEventBus", json!({"Name": "orders"})).await;
    assert_eq!(described["Name"], "orders");
    assert_eq!(described["Description"], "d");
    assert_eq!(
        described["CreationTime"].as_f64().unwrap(),
        events_support::T0 as f64 / 1000.0
    );
    // No name: the default bus.
    assert_eq!(h.ok("DescribeEventBus", json!({})).await["Name"], "default");
    let by_prefix = h.ok("ListEventBuses", json!({"NamePrefix": "ord"})).await;
    assert_eq!(by_prefix["EventBuses"].as_array().unwrap().len(), 1);

    assert_eq!(
        h.err("DeleteEventBus", json!({"Name": "default"})).await,
        (
            "ValidationException".into(),
            "Cannot delete event bus default.".into()
        )
    );
    h.ok("DeleteEventBus", json!({"Name": "orders"})).await;
    // Deleting again is not an error.
    h.ok("DeleteEventBus", json!({"Name": "orders"})).await;
    assert_eq!(
        h.err("DescribeEventBus", json!({"Name": "orders"})).await,
        (
            "ResourceNotFoundException".into(),
            "Event bus orders does not exist.".into()
        )
    );
    let (code, message) = h.err("CreateEventBus", json!({"Name": "bad name"})).await;
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value 'bad name' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+"
    );
    assert_eq!(
        h.err("CreateEventBus", json!({})).await,
        (
            "ValidationException".into(),
            "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null".into()
        )
    );
}

#[tokio::test]
async fn rules_are_created_described_listed_enabled_disabled_and_deleted() {
    let h = start(false).await;
    h.ok("CreateEventBus", json!({"Name": "kyc"})).await;
    let put = h
        .ok(
            "PutRule",
            json!({"Name": "to-logs", "EventBusName": "kyc", "EventPattern": "{\"source\":[\"com.aws.kyc\"]}", "Description": "logs"}),
        )
        .await;
    assert_eq!(
        put,
        json!({"RuleArn": format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/kyc/to-logs")})
    );
    let on_default = h
        .ok(
            "PutRule",
            json!({"Name": "d1", "EventPattern": "{\"source\":[\"x\"]}"}),
        )
        .await;
    assert_eq!(
        on_default["RuleArn"],
        format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/d1")
    );
    let described = h
        .ok(
            "DescribeRule",
            json!({"Name": "to-logs", "EventBusName": "kyc"}),
        )
        .await;
    assert_eq!(
        described,
        json!({
            "Name": "to-logs",
            "Arn": format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/kyc/to-logs"),
            "EventPattern": "{\"source\":[\"com.aws.kyc\"]}",
            "State": "ENABLED",
            "Description": "logs",
            "EventBusName": "kyc",
            "CreatedBy": ACCOUNT
        })
    );
    h.ok(
        "DisableRule",
        json!({"Name": "to-logs", "EventBusName": "kyc"}),
    )
    .await;
    assert_eq!(
        h.ok(
            "DescribeRule",
            json!({"Name": "to-logs", "EventBusName": format!("arn:aws:events:us-east-1:{ACCOUNT}:event-bus/kyc")}),
        )
        .await["State"],
        "DISABLED"
    );
    h.ok(
        "EnableRule",
        json!({"Name": "to-logs", "EventBusName": "kyc"}),
    )
    .await;
    assert_eq!(
        h.ok(
            "DescribeRule",
            json!({"Name": "to-logs", "EventBusName": "kyc"}),
        )
        .await["State"],
        "ENABLED"
    );
    for name in ["to-accounts", "to-reviews", "other"] {
        h.ok(
            "PutRule",
            json!({"Name": name, "EventBusName": "kyc", "EventPattern": "{\"source\":[\"x\"]}", "State": "DISABLED"}),
        )
        .await;
    }
    let all = h.ok("ListRules", json!({"EventBusName": "kyc"})).await;
    let names: Vec<&str> = all["Rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["other", "to-accounts", "to-logs", "to-reviews"]);
    assert!(all.get("NextToken").is_none());
    let first = h
        .ok(
            "ListRules",
            json!({"EventBusName": "kyc", "NamePrefix": "to-", "Limit": 2}),
        )
        .await;
    let page1: Vec<&str> = first["Rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap())
        .collect();
    assert_eq!(page1, ["to-accounts", "to-logs"]);
    let token = first["NextToken"].as_str().unwrap();
    let second = h
        .ok(
            "ListRules",
            json!({"EventBusName": "kyc", "NamePrefix": "to-", "Limit": 2, "NextToken": token}),
        )
        .await;
    assert_eq!(second["Rules"][0]["Name"], "to-reviews");
    assert_eq!(second["Rules"][0]["State"], "DISABLED");
    assert!(second.get("NextToken").is_none());
    // The default bus has only its own rule.
    let default_rules = h.ok("ListRules", json!({})).await;
    assert_eq!(default_rules["Rules"].as_array().unwrap().len(), 1);

    h.ok(
        "DeleteRule",
        json!({"Name": "other", "EventBusName": "kyc"}),
    )
    .await;
    h.ok(
        "DeleteRule",
        json!({"Name": "other", "EventBusName": "kyc"}),
    )
    .await;
    assert_eq!(
        h.err(
            "DescribeRule",
            json!({"Name": "other", "EventBusName": "kyc"})
        )
        .await,
        (
            "ResourceNotFoundException".into(),
            "Rule other does not exist on EventBus kyc.".into()
        )
    );
    assert_eq!(
        h.err("EnableRule", json!({"Name": "nope"})).await,
        (
            "ResourceNotFoundException".into(),
            "Rule nope does not exist on EventBus default.".into()
        )
    );
    assert_eq!(
        h.err("DisableRule", json!({"Name": "nope"})).await.0,
        "ResourceNotFoundException"
    );
    // A bus with rules is not deleted.
    assert_eq!(
        h.err("DeleteEventBus", json!({"Name": "kyc"})).await.0,
        "ValidationException"
    );
}

#[tokio::test]
async fn put_rule_errors() {
    let h = start(false).await;
    let (code, message) = h
        .err(
            "PutRule",
            json!({"Name": "r", "EventPattern": "{\"source\": \"x\"}"}),
        )
        .await;
    assert_eq!(code, "InvalidEventPatternException");
    assert!(
        message.starts_with("Event pattern is not valid. Reason: "),
        "{message}"
    );
    assert_eq!(
        h.err(
            "PutRule",
            json!({"Name": "r", "EventBusName": "missing", "EventPattern": "{\"source\":[\"x\"]}"})
        )
        .await,
        (
            "ResourceNotFoundException".into(),
            "Event bus missing does not exist.".into()
        )
    );
    assert_eq!(
        h.err("PutRule", json!({"Name": "r"})).await,
        (
            "ValidationException".into(),
            "Parameter(s) EventPattern or ScheduleExpression must be specified.".into()
        )
    );
    assert_eq!(
        h.err("PutRule", json!({"EventPattern": "{}"})).await,
        (
            "ValidationException".into(),
            "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null".into()
        )
    );
    let (code, message) = h
        .err(
            "PutRule",
            json!({"Name": "x".repeat(65), "EventPattern": "{\"source\":[\"x\"]}"}),
        )
        .await;
    assert_eq!(code, "ValidationException");
    assert!(
        message.ends_with("Member must have length less than or equal to 64"),
        "{message}"
    );
    assert_eq!(
        h.err("PutRule", json!({"Name": 5})).await.0,
        "SerializationException"
    );
    let (code, _) = h.err("ListRules", json!({"Limit": 0})).await;
    assert_eq!(code, "ValidationException");
    assert_eq!(
        h.err("ListRules", json!({"NextToken": "garbage"})).await,
        (
            "ValidationException".into(),
            "The NextToken provided is invalid.".into()
        )
    );
}

#[tokio::test]
async fn targets_are_put_listed_found_by_arn_and_removed() {
    let h = start(false).await;
    h.ok(
        "PutRule",
        json!({"Name": "r1", "EventPattern": "{\"source\":[\"x\"]}"}),
    )
    .await;
    h.ok(
        "PutRule",
        json!({"Name": "r2", "EventPattern": "{\"source\":[\"y\"]}"}),
    )
    .await;
    let sm = format!("arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:kyc");
    let put = h
        .ok(
            "PutTargets",
            json!({"Rule": "r1", "Targets": [
                {"Id": "sm", "Arn": sm, "InputPath": "$.detail",
                 "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 120},
                 "DeadLetterConfig": {"Arn": format!("arn:aws:sqs:us-east-1:{ACCOUNT}:dlq")}},
                {"Id": "bad-input", "Arn": sm, "Input": "{not json"}
            ]}),
        )
        .await;
    assert_eq!(
        put,
        json!({"FailedEntryCount": 1, "FailedEntries": [{
            "TargetId": "bad-input",
            "ErrorCode": "ValidationException",
            "ErrorMessage": "Input for target bad-input must be a valid JSON text."
        }]})
    );
    h.ok(
        "PutTargets",
        json!({"Rule": "r2", "Targets": [{"Id": "sm2", "Arn": sm}]}),
    )
    .await;
    let listed = h.ok("ListTargetsByRule", json!({"Rule": "r1"})).await;
    assert_eq!(
        listed,
        json!({"Targets": [{
            "Id": "sm", "Arn": sm, "InputPath": "$.detail",
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 120},
            "DeadLetterConfig": {"Arn": format!("arn:aws:sqs:us-east-1:{ACCOUNT}:dlq")}
        }]})
    );
    assert_eq!(
        h.ok("ListRuleNamesByTarget", json!({"TargetArn": sm}))
            .await,
        json!({"RuleNames": ["r1", "r2"]})
    );
    assert_eq!(
        h.err("DeleteRule", json!({"Name": "r1"})).await,
        (
            "ValidationException".into(),
            "Rule can't be deleted since it has targets.".into()
        )
    );
    // Six targets on one rule: over the limit of five.
    let six: Vec<_> = (0..6)
        .map(|i| json!({"Id": format!("t{i}"), "Arn": sm}))
        .collect();
    assert_eq!(
        h.err("PutTargets", json!({"Rule": "r2", "Targets": six}))
            .await
            .0,
        "LimitExceededException"
    );
    assert_eq!(
        h.err(
            "PutTargets",
            json!({"Rule": "nope", "Targets": [{"Id": "a", "Arn": sm}]})
        )
        .await,
        (
            "ResourceNotFoundException".into(),
            "Rule nope does not exist on EventBus default.".into()
        )
    );
    let (code, message) = h
        .err(
            "PutTargets",
            json!({"Rule": "r1", "Targets": [{"Id": "a", "Arn": sm, "RetryPolicy": {"MaximumRetryAttempts": 186}}]}),
        )
        .await;
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value '186' at 'targets.1.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185"
    );
    assert_eq!(
        h.ok(
            "RemoveTargets",
            json!({"Rule": "r1", "Ids": ["sm", "unknown"]})
        )
        .await,
        json!({"FailedEntryCount": 0, "FailedEntries": []})
    );
    assert_eq!(
        h.ok("ListTargetsByRule", json!({"Rule": "r1"})).await,
        json!({"Targets": []})
    );
    assert_eq!(
        h.ok("ListRuleNamesByTarget", json!({"TargetArn": sm}))
            .await,
        json!({"RuleNames": ["r2"]})
    );
    h.ok("DeleteRule", json!({"Name": "r1"})).await;
    assert_eq!(
        h.err("ListTargetsByRule", json!({"Rule": "r1"})).await.0,
        "ResourceNotFoundException"
    );
    assert_eq!(
        h.err("RemoveTargets", json!({"Rule": "r2", "Ids": []}))
            .await
            .0,
        "ValidationException"
    );
}

#[tokio::test]
async fn test_event_pattern_matches_rejects_bad_patterns_and_bad_events() {
    let h = start(false).await;
    let event = json!({
        "id": "1", "account": ACCOUNT, "source": "com.aws.kyc", "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1", "resources": [], "detail-type": "New account approved", "detail": {"riskLevel": "LOW"}
    })
    .to_string();
    assert_eq!(
        h.ok(
            "TestEventPattern",
            json!({"EventPattern": "{\"detail\":{\"riskLevel\":[\"LOW\"]}}", "Event": event})
        )
        .await,
        json!({"Result": true})
    );
    assert_eq!(
        h.ok(
            "TestEventPattern",
            json!({"EventPattern": "{\"source\":[{\"prefix\":\"aws.\"}]}", "Event": event})
        )
        .await,
        json!({"Result": false})
    );
    assert_eq!(
        h.err(
            "TestEventPattern",
            json!({"EventPattern": "{\"source\":[\"x\"]}", "Event": "{\"source\":\"x\"}"})
        )
        .await,
        (
            "ValidationException".into(),
            "Parameter Event is not valid.".into()
        )
    );
    assert_eq!(
        h.err(
            "TestEventPattern",
            json!({"EventPattern": "[1]", "Event": event})
        )
        .await
        .0,
        "InvalidEventPatternException"
    );
    assert_eq!(
        h.err("TestEventPattern", json!({"Event": event})).await.1,
        "1 validation error detected: Value null at 'eventPattern' failed to satisfy constraint: Member must not be null"
    );
}

#[tokio::test]
async fn put_events_request_and_entry_errors() {
    let h = start(false).await;
    assert_eq!(
        h.err("PutEvents", json!({"Entries": []})).await,
        (
            "ValidationException".into(),
            "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1".into()
        )
    );
    assert_eq!(
        h.err("PutEvents", json!({})).await.1,
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null"
    );
    let eleven: Vec<_> = (0..11)
        .map(|_| json!({"Source": "a", "DetailType": "b", "Detail": "{}"}))
        .collect();
    assert_eq!(
        h.err("PutEvents", json!({"Entries": eleven})).await.0,
        "ValidationException"
    );
    let out = h
        .ok(
            "PutEvents",
            json!({"Entries": [
                {"Source": "aws.states", "DetailType": "x", "Detail": "{}"},
                {"Source": "app", "DetailType": "x", "Detail": "{}", "EventBusName": "nobus"},
                {"Source": "app", "DetailType": "x", "Detail": "{}"}
            ]}),
        )
        .await;
    assert_eq!(out["FailedEntryCount"], 1);
    assert_eq!(
        out["Entries"][0],
        json!({"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."})
    );
    // A bus that does not exist: AWS accepts the entry (and routes it nowhere).
    assert!(uuid_shape(out["Entries"][1]["EventId"].as_str().unwrap()));
    let id = out["Entries"][2]["EventId"].as_str().unwrap();
    assert!(uuid_shape(id), "{id}");
}

fn uuid_shape(id: &str) -> bool {
    let parts: Vec<usize> = id.split('-').map(str::len).collect();
    parts == [8, 4, 4, 4, 12]
}

#[tokio::test]
async fn the_wire_speaks_awsjson_1_1_with_aws_shaped_errors() {
    let h = start(false).await;
    let addr = h.server.local_addr;
    let ok = common::call(
        addr,
        "AWSEvents.ListEventBuses",
        "application/x-amz-json-1.1",
        "{}",
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert_eq!(ok.json()["EventBuses"][0]["Name"], "default");
    let missing = common::call(
        addr,
        "AWSEvents.DescribeRule",
        "application/x-amz-json-1.1",
        "{\"Name\":\"nope\"}",
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.json(),
        json!({"__type": "ResourceNotFoundException", "message": "Rule nope does not exist on EventBus default."})
    );
    let unknown = common::call(
        addr,
        "AWSEvents.ListArchives",
        "application/x-amz-json-1.1",
        "{}",
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.json()["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
}
