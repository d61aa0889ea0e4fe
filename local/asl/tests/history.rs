//! History events: types, ids, previousEventId and details as GetExecutionHistory shows them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use asl::HistoryEvent;
use common::*;
use serde_json::json;

#[test]
fn pass_execution_history_json() {
    let d = json!({"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": "World", "End": true}}});
    let o = run(d, json!({"a": 1}));
    let v = serde_json::to_value(&o.events).unwrap();
    assert_eq!(
        v,
        json!([
            {"timestamp": 1704067200.0, "type": "ExecutionStarted", "id": 1, "previousEventId": 0,
             "executionStartedEventDetails": {"input": "{\"a\":1}", "inputDetails": {"truncated": false},
                "roleArn": "arn:aws:iam::123456789012:role/StepFunctionsRole"}},
            {"timestamp": 1704067200.0, "type": "PassStateEntered", "id": 2, "previousEventId": 1,
             "stateEnteredEventDetails": {"name": "Hello", "input": "{\"a\":1}", "inputDetails": {"truncated": false}}},
            {"timestamp": 1704067200.0, "type": "PassStateExited", "id": 3, "previousEventId": 2,
             "stateExitedEventDetails": {"name": "Hello", "output": "\"World\"", "outputDetails": {"truncated": false}}},
            {"timestamp": 1704067200.0, "type": "ExecutionSucceeded", "id": 4, "previousEventId": 3,
             "executionSucceededEventDetails": {"output": "\"World\"", "outputDetails": {"truncated": false}}}
        ])
    );
}

#[test]
fn task_execution_history_json() {
    let d = json!({"StartAt": "Invoke", "States": {"Invoke": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "fn", "Payload.$": "$"},
        "TimeoutSeconds": 30, "HeartbeatSeconds": 10, "End": true}}});
    let o = run_with(d, json!({"x": 1}), |_, _| ok(json!({"StatusCode": 200})));
    let v = serde_json::to_value(&o.events).unwrap();
    assert_eq!(
        o.types(),
        vec![
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        v[2],
        json!({"timestamp": 1704067200.0, "type": "TaskScheduled", "id": 3, "previousEventId": 2,
               "taskScheduledEventDetails": {"resourceType": "lambda", "resource": "invoke", "region": "us-east-1",
                  "parameters": "{\"FunctionName\":\"fn\",\"Payload\":{\"x\":1}}",
                  "timeoutInSeconds": 30, "heartbeatInSeconds": 10}})
    );
    assert_eq!(
        v[3],
        json!({"timestamp": 1704067200.0, "type": "TaskStarted", "id": 4, "previousEventId": 3,
               "taskStartedEventDetails": {"resourceType": "lambda", "resource": "invoke"}})
    );
    assert_eq!(
        v[4],
        json!({"timestamp": 1704067200.0, "type": "TaskSucceeded", "id": 5, "previousEventId": 4,
               "taskSucceededEventDetails": {"resourceType": "lambda", "resource": "invoke",
                  "output": "{\"StatusCode\":200}", "outputDetails": {"truncated": false}}})
    );
    assert_eq!(v[5]["previousEventId"], json!(5));
}

#[test]
fn wait_for_task_token_resource_names() {
    let d = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken",
        "Parameters": {"Entries": []}, "End": true}}});
    let o = run_with(d, json!({}), |_, _| ok(json!({})));
    let v = serde_json::to_value(&o.events[2]).unwrap();
    assert_eq!(
        v["taskScheduledEventDetails"]["resourceType"],
        json!("events")
    );
    assert_eq!(
        v["taskScheduledEventDetails"]["resource"],
        json!("putEvents.waitForTaskToken")
    );
}

#[test]
fn aws_sdk_resource_names() {
    assert_eq!(
        asl::execution::resource_names("arn:aws:states:::aws-sdk:s3:getObject"),
        ("aws-sdk:s3".to_string(), "getObject".to_string())
    );
    assert_eq!(
        asl::execution::resource_names("arn:aws:states:::states:startExecution.sync:2"),
        ("states".to_string(), "startExecution.sync:2".to_string())
    );
}

#[test]
fn integration_patterns() {
    use asl::{Integration, IntegrationPattern};
    let p = |r: &str| match Integration::of(r) {
        Integration::Service { pattern, .. } => Some(pattern),
        _ => None,
    };
    assert_eq!(
        p("arn:aws:states:::lambda:invoke"),
        Some(IntegrationPattern::RequestResponse)
    );
    assert_eq!(
        p("arn:aws:states:::lambda:invoke.waitForTaskToken"),
        Some(IntegrationPattern::WaitForTaskToken)
    );
    assert_eq!(
        p("arn:aws:states:::ecs:runTask.sync"),
        Some(IntegrationPattern::Sync)
    );
    assert_eq!(
        p("arn:aws:states:::states:startExecution.sync:2"),
        Some(IntegrationPattern::Sync)
    );
    assert_eq!(
        Integration::of("arn:aws:lambda:us-east-1:123456789012:function:f"),
        Integration::LambdaFunction
    );
    assert_eq!(
        Integration::of("arn:aws:states:us-east-1:123456789012:activity:a"),
        Integration::Activity
    );
}

#[test]
fn lambda_function_arn_uses_lambda_events() {
    let d = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}}});
    let o = run_with(d, json!({"a": 1}), |_, _| ok(json!(2)));
    assert_eq!(
        o.types(),
        vec![
            "ExecutionStarted",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    let v = serde_json::to_value(&o.events[2]).unwrap();
    assert_eq!(
        v["lambdaFunctionScheduledEventDetails"],
        json!({"resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "input": "{\"a\":1}", "inputDetails": {"truncated": false}})
    );
}

#[test]
fn activity_gets_a_token() {
    let d = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:us-east-1:123456789012:activity:a", "End": true}}});
    let o = run_with(d, json!({}), |t, _| ok(json!(t.task_token.is_some())));
    assert_eq!(o.ok(), json!(true));
    assert!(o.types().contains(&"ActivityScheduled".to_string()));
}

#[test]
fn choice_and_wait_event_types() {
    let d = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "W"}]},
        "W": {"Type": "Wait", "Seconds": 1, "Next": "S"},
        "S": {"Type": "Succeed"}}});
    let o = run(d, json!({"a": 1}));
    assert_eq!(
        o.types(),
        vec![
            "ExecutionStarted",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "WaitStateEntered",
            "WaitStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(o.events[4].timestamp, t0() + chrono::Duration::seconds(1));
}

#[test]
fn fail_event_types() {
    let d = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}});
    let o = run(d, json!({}));
    assert_eq!(
        o.types(),
        vec!["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    );
}

#[test]
fn retry_history_shows_each_attempt() {
    let d = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 1}], "End": true}}});
    let o = run_with(d, json!({}), |_, n| {
        if n == 0 { fail("E", "") } else { ok(json!(1)) }
    });
    assert_eq!(
        o.types(),
        vec![
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn event_ids_are_sequential() {
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]}}});
    let o = run(d, json!({}));
    for (i, e) in o.events.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1);
        assert!(e.previous_event_id < e.id);
    }
}

#[test]
fn events_deserialize_back() {
    let d = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}});
    let o = run_with(d, json!({}), |_, _| ok(json!(1)));
    let text = serde_json::to_string(&o.events).unwrap();
    let back: Vec<HistoryEvent> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, o.events);
}

#[test]
fn parallel_branch_events_link_to_parallel_started() {
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]}}});
    let o = run(d, json!({}));
    let started = o
        .events
        .iter()
        .find(|e| e.event_type == asl::EventType::ParallelStateStarted)
        .unwrap()
        .id;
    let entered: Vec<u64> = o
        .events
        .iter()
        .filter(|e| e.event_type == asl::EventType::PassStateEntered)
        .map(|e| e.previous_event_id)
        .collect();
    assert_eq!(entered, vec![started, started]);
}

#[test]
fn map_iteration_events_link_in_order() {
    let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}});
    let o = run(d, json!([10]));
    assert_eq!(
        o.types(),
        vec![
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapIterationStarted",
            "PassStateEntered",
            "PassStateExited",
            "MapIterationSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
    let prev: Vec<u64> = o.events.iter().map(|e| e.previous_event_id).collect();
    assert_eq!(prev, vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

#[test]
fn wait_timestamps_follow_the_clock() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 90, "End": true}}});
    let o = run(d, json!({}));
    let v = serde_json::to_value(&o.events).unwrap();
    assert_eq!(v[1]["timestamp"], json!(1704067200.0));
    assert_eq!(v[2]["timestamp"], json!(1704067290.0));
    assert_eq!(v[3]["timestamp"], json!(1704067290.0));
}

#[test]
fn caught_error_exits_the_task_state() {
    let d = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "H"}]},
        "H": {"Type": "Pass", "End": true}}});
    let o = run_with(d, json!({}), |_, _| fail("Boom", "c"));
    assert_eq!(
        o.types(),
        vec![
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let exited = serde_json::to_value(&o.events[5]).unwrap();
    assert_eq!(
        exited["stateExitedEventDetails"]["output"],
        json!("{\"e\":{\"Error\":\"Boom\",\"Cause\":\"c\"}}")
    );
}

#[test]
fn execution_timed_out_event_details() {
    let d = json!({"TimeoutSeconds": 1, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": true}}});
    let o = run(d, json!({}));
    let last = serde_json::to_value(o.events.last().unwrap()).unwrap();
    assert_eq!(last["type"], json!("ExecutionTimedOut"));
    assert_eq!(last["timestamp"], json!(1704067201.0));
    assert_eq!(
        last["executionTimedOutEventDetails"]["error"],
        json!("States.Timeout")
    );
    assert_eq!(o.types()[o.types().len() - 2], "WaitStateAborted");
}
