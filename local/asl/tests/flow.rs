//! Wait, Parallel, Map, Succeed, execution timeout, stop, callbacks and persistence.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use asl::driver::TaskOutcome;
use asl::{Command, Execution, ExecutionState, ExecutionStatus};
use chrono::Duration;
use common::*;
use serde_json::json;

#[test]
fn wait_seconds() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}});
    let o = run(d, json!({"a": 1}));
    assert_eq!(o.ok(), json!({"a": 1}));
    assert_eq!((o.end_time - t0()).num_seconds(), 10);
}

#[test]
fn wait_zero_seconds() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 0, "End": true}}});
    let o = run(d, json!({}));
    assert_eq!(o.ok(), json!({}));
    assert_eq!(o.end_time, t0());
}

#[test]
fn wait_timestamp() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Timestamp": "2024-01-01T01:00:00Z", "End": true}}});
    let o = run(d, json!({}));
    assert_eq!((o.end_time - t0()).num_seconds(), 3600);
}

#[test]
fn wait_timestamp_in_the_past_continues_at_once() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Timestamp": "2000-01-01T00:00:00Z", "End": true}}});
    let o = run(d, json!({}));
    assert_eq!(o.status, ExecutionStatus::Succeeded);
    assert_eq!(o.end_time, t0());
}

#[test]
fn wait_seconds_path() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}});
    let o = run(d, json!({"s": 30}));
    assert_eq!((o.end_time - t0()).num_seconds(), 30);
}

#[test]
fn wait_timestamp_path() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.t", "End": true}}});
    let o = run(d, json!({"t": "2024-01-01T00:00:05Z"}));
    assert_eq!((o.end_time - t0()).num_seconds(), 5);
}

#[test]
fn wait_seconds_path_not_a_number_fails() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}});
    let (e, c) = run(d, json!({"s": "ten"})).failed();
    assert_eq!(e, "States.Runtime");
    assert!(c.contains("SecondsPath"), "{c}");
}

#[test]
fn wait_timestamp_path_invalid_fails() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.t", "End": true}}});
    assert_eq!(run(d, json!({"t": "noon"})).failed().0, "States.Runtime");
}

#[test]
fn wait_output_path() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "OutputPath": "$.k", "End": true}}});
    assert_eq!(run(d, json!({"k": [1]})).ok(), json!([1]));
}

#[test]
fn succeed_with_paths() {
    let d = json!({"StartAt": "S", "States": {"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}});
    assert_eq!(run(d, json!({"a": {"b": 2}})).ok(), json!(2));
}

#[test]
fn pass_chain() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Pass", "Result": 2, "ResultPath": "$.b", "Next": "C"},
        "C": {"Type": "Pass", "End": true}}});
    assert_eq!(run(d, json!({})).ok(), json!({"a": 1, "b": 2}));
}

fn parallel_def() -> serde_json::Value {
    json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"branch": "a", "in.$": "$.x"}, "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 5, "Next": "B2"},
                                    "B2": {"Type": "Pass", "Result": "b", "End": true}}}
    ]}}})
}

#[test]
fn parallel_results_in_branch_order() {
    let o = run(parallel_def(), json!({"x": 1}));
    assert_eq!(o.ok(), json!([{"branch": "a", "in": 1}, "b"]));
    assert_eq!((o.end_time - t0()).num_seconds(), 5);
}

#[test]
fn parallel_events() {
    let o = run(parallel_def(), json!({"x": 1}));
    let t = o.types();
    assert_eq!(t.first().unwrap(), "ExecutionStarted");
    assert_eq!(t[1], "ParallelStateEntered");
    assert_eq!(t[2], "ParallelStateStarted");
    assert_eq!(
        &t[t.len() - 3..],
        &[
            "ParallelStateSucceeded",
            "ParallelStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert!(t.contains(&"WaitStateEntered".to_string()));
    assert!(t.contains(&"WaitStateExited".to_string()));
}

#[test]
fn parallel_parameters_and_result_selector() {
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
    "Parameters": {"v.$": "$.v"},
    "ResultSelector": {"first.$": "$[0].v", "second.$": "$[1].v"},
    "ResultPath": "$.out",
    "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}
    ]}}});
    assert_eq!(
        run(d, json!({"v": 3})).ok(),
        json!({"v": 3, "out": {"first": 3, "second": 3}})
    );
}

#[test]
fn parallel_branch_failure_fails_the_state_with_the_branch_error() {
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 100, "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Fail", "Error": "BranchBoom", "Cause": "b"}}}
    ]}}});
    let o = run(d, json!({}));
    assert_eq!(o.failed(), ("BranchBoom".into(), "b".into()));
    assert!(o.types().contains(&"WaitStateAborted".to_string()));
    assert!(o.types().contains(&"ParallelStateFailed".to_string()));
    assert_eq!(
        o.end_time,
        t0(),
        "the waiting branch was aborted, not awaited"
    );
}

#[test]
fn parallel_failure_caught() {
    let d = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done", "Branches": [
            {"StartAt": "B", "States": {"B": {"Type": "Fail", "Error": "E", "Cause": "C"}}}
        ], "Catch": [{"ErrorEquals": ["E"], "ResultPath": "$.err", "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": true}}});
    assert_eq!(
        run(d, json!({"k": 1})).ok(),
        json!({"k": 1, "err": {"Error": "E", "Cause": "C"}})
    );
}

#[test]
fn parallel_retry_reruns_all_branches() {
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
    "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 1}],
    "Branches": [
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}
    ]}}});
    let o = run_with(d, json!({}), |_, n| {
        if n == 0 {
            fail("Boom", "")
        } else {
            ok(json!("fine"))
        }
    });
    assert_eq!(o.ok(), json!(["fine"]));
    assert_eq!(o.tasks.len(), 2);
}

fn map_def(extra: serde_json::Value) -> serde_json::Value {
    let mut m = json!({"Type": "Map", "End": true, "ItemsPath": "$.items",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "I",
            "States": {"I": {"Type": "Pass", "Parameters": {"v.$": "$"}, "End": true}}}});
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    json!({"StartAt": "M", "States": {"M": m}})
}

#[test]
fn map_over_items() {
    assert_eq!(
        run(map_def(json!({})), json!({"items": [1, 2, 3]})).ok(),
        json!([{"v": 1}, {"v": 2}, {"v": 3}])
    );
}

#[test]
fn map_empty_items() {
    let o = run(map_def(json!({})), json!({"items": []}));
    assert_eq!(o.ok(), json!([]));
    assert_eq!(
        o.types(),
        vec![
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn map_item_selector_with_context_item() {
    let o = run(
        map_def(
            json!({"ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "k.$": "$.k"}}),
        ),
        json!({"items": ["a", "b"], "k": 9}),
    );
    assert_eq!(
        o.ok(),
        json!([{"v": {"index": 0, "value": "a", "k": 9}}, {"v": {"index": 1, "value": "b", "k": 9}}])
    );
}

#[test]
fn map_legacy_parameters_act_as_item_selector() {
    let mut d = map_def(json!({"Parameters": {"x.$": "$$.Map.Item.Value"}}));
    d["States"]["M"]["Iterator"] = d["States"]["M"]["ItemProcessor"].clone();
    d["States"]["M"]
        .as_object_mut()
        .unwrap()
        .remove("ItemProcessor");
    assert_eq!(run(d, json!({"items": [5]})).ok(), json!([{"v": {"x": 5}}]));
}

#[test]
fn map_items_path_not_array_fails() {
    let (e, _) = run(map_def(json!({})), json!({"items": {"a": 1}})).failed();
    assert_eq!(e, "States.Runtime");
}

#[test]
fn map_items_path_missing_fails() {
    let (e, c) = run(map_def(json!({})), json!({})).failed();
    assert_eq!(e, "States.Runtime");
    assert!(
        c.ends_with("Invalid path '$.items' : No results for path: $['items']"),
        "{c}"
    );
}

#[test]
fn map_without_items_path_iterates_input() {
    let mut d = map_def(json!({}));
    d["States"]["M"]
        .as_object_mut()
        .unwrap()
        .remove("ItemsPath");
    assert_eq!(run(d, json!([1, 2])).ok(), json!([{"v": 1}, {"v": 2}]));
}

#[test]
fn map_result_path() {
    let o = run(
        map_def(json!({"ResultPath": "$.results"})),
        json!({"items": [1]}),
    );
    assert_eq!(o.ok(), json!({"items": [1], "results": [{"v": 1}]}));
}

#[test]
fn map_iteration_events() {
    let o = run(map_def(json!({})), json!({"items": [1, 2]}));
    let t = o.types();
    assert_eq!(t.iter().filter(|x| *x == "MapIterationStarted").count(), 2);
    assert_eq!(
        t.iter().filter(|x| *x == "MapIterationSucceeded").count(),
        2
    );
    let started = o
        .events
        .iter()
        .find(|e| e.event_type == asl::EventType::MapStateStarted)
        .unwrap();
    assert_eq!(
        serde_json::to_value(started).unwrap()["mapStateStartedEventDetails"],
        json!({"length": 2})
    );
    let it = o
        .events
        .iter()
        .find(|e| e.event_type == asl::EventType::MapIterationStarted)
        .unwrap();
    assert_eq!(
        serde_json::to_value(it).unwrap()["mapIterationStartedEventDetails"],
        json!({"name": "M", "index": 0})
    );
}

#[test]
fn map_max_concurrency_one_runs_items_in_sequence() {
    let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "MaxConcurrency": 1,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$", "End": true}}}}}});
    let o = run(d, json!([3, 4, 5]));
    assert_eq!(o.ok(), json!([3, 4, 5]));
    assert_eq!((o.end_time - t0()).num_seconds(), 12);
}

#[test]
fn map_unbounded_concurrency_runs_items_together() {
    let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$", "End": true}}}}}});
    let o = run(d, json!([3, 4, 5]));
    assert_eq!((o.end_time - t0()).num_seconds(), 5);
}

#[test]
fn map_max_concurrency_two() {
    let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "MaxConcurrencyPath": "$.c",
        "ItemsPath": "$.w",
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$", "End": true}}}}}});
    let o = run(d, json!({"c": 2, "w": [4, 4, 4]}));
    assert_eq!((o.end_time - t0()).num_seconds(), 8);
}

#[test]
fn map_iteration_failure_fails_the_state() {
    let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}], "Default": "OK"},
            "F": {"Type": "Fail", "Error": "Two", "Cause": "item two"},
            "OK": {"Type": "Pass", "End": true}}}}}});
    let o = run(d, json!([1, 2, 3]));
    assert_eq!(o.failed(), ("Two".into(), "item two".into()));
    assert!(o.types().contains(&"MapIterationFailed".to_string()));
    assert!(o.types().contains(&"MapStateFailed".to_string()));
}

#[test]
fn map_tasks_receive_items() {
    let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"Payload.$": "$"}, "End": true}}}}}});
    let o = run_with(d, json!(["x", "y"]), |t, _| {
        ok(json!({"got": t.parameters["Payload"]}))
    });
    assert_eq!(o.ok(), json!([{"got": "x"}, {"got": "y"}]));
}

#[test]
fn nested_map_inside_parallel() {
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}},
        {"StartAt": "X", "States": {"X": {"Type": "Pass", "Result": "x", "End": true}}}
    ]}}});
    assert_eq!(run(d, json!([1, 2])).ok(), json!([[1, 2], "x"]));
}

#[test]
fn execution_timeout() {
    let d = json!({"TimeoutSeconds": 5, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}});
    let o = run(d, json!({}));
    assert_eq!(o.status, ExecutionStatus::TimedOut);
    assert_eq!((o.end_time - t0()).num_seconds(), 5);
    assert_eq!(o.types().last().unwrap(), "ExecutionTimedOut");
    assert_eq!(o.error.unwrap().0, "States.Timeout");
}

// ----- direct use of the sans-IO core ----------------------------------------------------

fn callback_def() -> serde_json::Value {
    json!({"StartAt": "Review", "States": {
        "Review": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken",
            "HeartbeatSeconds": 60, "TimeoutSeconds": 3600,
            "Parameters": {"Entries": [{"Detail": {"token.$": "$$.Task.Token"}, "DetailType": "Manual review requested", "Source": "com.aws.kyc"}]},
            "ResultPath": "$.review", "End": true}}})
}

fn run_task_of(cmds: &[Command]) -> asl::TaskRequest {
    cmds.iter()
        .find_map(|c| match c {
            Command::RunTask(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap()
}

#[test]
fn callback_token_success() {
    let mut ex = Execution::start(def(callback_def()), json!({"id": 1}), ctx(), t0());
    let cmds = ex.advance(t0());
    let t = run_task_of(&cmds);
    let token = t.task_token.clone().unwrap();
    assert_eq!(t.parameters["Entries"][0]["Detail"]["token"], json!(token));
    assert_eq!(t.timeout_at, Some(t0() + Duration::seconds(3600)));
    assert_eq!(t.heartbeat_at, Some(t0() + Duration::seconds(60)));
    assert_eq!(
        (t.timeout_seconds, t.heartbeat_seconds),
        (Some(3600), Some(60))
    );
    assert_eq!(t.state_name, "Review");
    assert!(cmds.contains(&Command::WakeAt(t0() + Duration::seconds(60))));
    let id = ex.task_for_token(&token).unwrap();
    ex.task_succeeded(
        id,
        json!({"decision": "APPROVE"}),
        t0() + Duration::seconds(30),
    )
    .unwrap();
    ex.advance(t0() + Duration::seconds(30));
    assert_eq!(ex.status(), ExecutionStatus::Succeeded);
    assert_eq!(
        ex.output().unwrap(),
        &json!({"id": 1, "review": {"decision": "APPROVE"}})
    );
    assert!(ex.task_for_token(&token).is_none());
}

#[test]
fn callback_heartbeat_extends_deadline() {
    let mut ex = Execution::start(def(callback_def()), json!({}), ctx(), t0());
    let t = run_task_of(&ex.advance(t0()));
    ex.heartbeat(t.task_id, t0() + Duration::seconds(50))
        .unwrap();
    let cmds = ex.advance(t0() + Duration::seconds(61));
    assert_eq!(ex.status(), ExecutionStatus::Running);
    assert!(cmds.contains(&Command::WakeAt(t0() + Duration::seconds(110))));
    let cmds = ex.advance(t0() + Duration::seconds(110));
    assert_eq!(ex.status(), ExecutionStatus::Failed);
    assert_eq!(ex.error().unwrap().0, "States.HeartbeatTimeout");
    assert!(cmds.iter().any(|c| matches!(c, Command::CancelTask { .. })));
}

#[test]
fn callback_failure() {
    let mut ex = Execution::start(def(callback_def()), json!({}), ctx(), t0());
    let t = run_task_of(&ex.advance(t0()));
    ex.task_failed(
        t.task_id,
        Some("Review.Rejected".into()),
        Some("no".into()),
        t0(),
    )
    .unwrap();
    ex.advance(t0());
    assert_eq!(ex.error(), Some(("Review.Rejected", "no")));
}

#[test]
fn late_result_after_timeout_is_refused() {
    let mut ex = Execution::start(def(callback_def()), json!({}), ctx(), t0());
    let t = run_task_of(&ex.advance(t0()));
    ex.advance(t0() + Duration::seconds(61));
    assert!(
        ex.task_succeeded(t.task_id, json!({}), t0() + Duration::seconds(62))
            .is_err()
    );
}

#[test]
fn persist_and_resume_while_waiting_for_token() {
    let mut ex = Execution::start(def(callback_def()), json!({"id": 7}), ctx(), t0());
    let t = run_task_of(&ex.advance(t0()));
    let saved = serde_json::to_string(ex.state()).unwrap();
    drop(ex);
    let state: ExecutionState = serde_json::from_str(&saved).unwrap();
    let mut ex = Execution::restore(def(callback_def()), state);
    let token = t.task_token.unwrap();
    let id = ex.task_for_token(&token).unwrap();
    ex.task_succeeded(id, json!("ok"), t0() + Duration::seconds(5))
        .unwrap();
    ex.advance(t0() + Duration::seconds(5));
    assert_eq!(ex.output().unwrap(), &json!({"id": 7, "review": "ok"}));
}

#[test]
fn persist_and_resume_inside_parallel_and_map() {
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "MaxConcurrency": 1,
            "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}}}},
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}}
    ]}}});
    let definition = def(d);
    let mut ex = Execution::start(Arc::clone(&definition), json!(["a", "b"]), ctx(), t0());
    let mut now = t0();
    let mut cmds = ex.advance(now);
    for _ in 0..10 {
        // Persist and restore at every step.
        let saved = serde_json::to_value(ex.state()).unwrap();
        ex = Execution::restore(
            Arc::clone(&definition),
            serde_json::from_value(saved).unwrap(),
        );
        let mut wake = None;
        for c in &cmds {
            match c {
                Command::RunTask(t) => {
                    ex.task_succeeded(t.task_id, json!(format!("done-{}", t.parameters)), now)
                        .unwrap();
                }
                Command::WakeAt(w) => wake = Some(*w),
                Command::CancelTask { .. } => {}
            }
        }
        if ex.status() != ExecutionStatus::Running {
            break;
        }
        if cmds.iter().all(|c| matches!(c, Command::WakeAt(_))) {
            now = wake.unwrap();
        }
        cmds = ex.advance(now);
    }
    assert_eq!(ex.status(), ExecutionStatus::Succeeded);
    assert_eq!(
        ex.output().unwrap(),
        &json!([["done-\"a\"", "done-\"b\""], ["a", "b"]])
    );
}

#[test]
fn stop_aborts_execution() {
    let mut ex = Execution::start(def(callback_def()), json!({}), ctx(), t0());
    let t = run_task_of(&ex.advance(t0()));
    ex.stop(
        Some("Manual".into()),
        Some("operator".into()),
        t0() + Duration::seconds(1),
    )
    .unwrap();
    assert_eq!(ex.status(), ExecutionStatus::Aborted);
    assert_eq!(ex.error(), Some(("Manual", "operator")));
    let cmds = ex.advance(t0() + Duration::seconds(2));
    assert!(cmds.contains(&Command::CancelTask {
        task_id: t.task_id,
        task_token: t.task_token.clone()
    }));
    let events = ex.take_events();
    let types: Vec<String> = events
        .iter()
        .map(|e| {
            serde_json::to_value(e.event_type)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        &types[types.len() - 2..],
        &["TaskStateAborted", "ExecutionAborted"]
    );
    let last = serde_json::to_value(events.last().unwrap()).unwrap();
    assert_eq!(
        last["executionAbortedEventDetails"],
        json!({"error": "Manual", "cause": "operator"})
    );
    assert!(ex.stop(None, None, t0()).is_err());
}

#[test]
fn nothing_runs_before_advance() {
    let mut ex = Execution::start(def(callback_def()), json!({}), ctx(), t0());
    let ev = ex.take_events();
    assert_eq!(ev.len(), 1);
    assert_eq!(ex.status(), ExecutionStatus::Running);
}

#[test]
fn pass_choice_loop_counts_down() {
    let d = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": 5, "ResultPath": "$.n", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Dec"}], "Default": "Done"},
        "Dec": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, -1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    let o = run(d, json!({}));
    assert_eq!(o.ok(), json!({"n": 0}));
}

#[test]
fn history_limit_fails_runaway_loops() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "E"}], "Default": "A"},
        "E": {"Type": "Succeed"}}});
    let mut c = ctx();
    c.history_limit = Some(100);
    let mut ex = Execution::start(def(d), json!({}), c, t0());
    ex.advance(t0());
    assert_eq!(ex.status(), ExecutionStatus::Failed);
    assert_eq!(ex.error().unwrap().0, "States.Runtime");
}

#[test]
fn tasks_pending_are_not_polled_again() {
    let d = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}});
    let o = run_with(d, json!({}), |_, _| TaskOutcome::Pending);
    assert_eq!(o.status, ExecutionStatus::Running);
    assert_eq!(o.tasks.len(), 1);
}

#[test]
fn stop_inside_map_aborts_iterations() {
    let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}}}}});
    let mut ex = Execution::start(def(d), json!([1, 2]), ctx(), t0());
    ex.advance(t0());
    ex.stop(None, None, t0() + Duration::seconds(1)).unwrap();
    let types: Vec<String> = ex
        .take_events()
        .iter()
        .map(|e| {
            serde_json::to_value(e.event_type)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        &types[types.len() - 6..],
        &[
            "WaitStateAborted",
            "MapIterationAborted",
            "WaitStateAborted",
            "MapIterationAborted",
            "MapStateAborted",
            "ExecutionAborted"
        ]
    );
}

#[test]
fn map_failure_aborts_other_iterations() {
    let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 1, "Next": "F"}], "Default": "W"},
            "W": {"Type": "Wait", "Seconds": 50, "End": true},
            "F": {"Type": "Fail", "Error": "One"}}}}}});
    let o = run(d, json!([0, 1]));
    assert_eq!(o.failed().0, "One");
    let t = o.types();
    assert!(t.contains(&"MapIterationAborted".to_string()), "{t:?}");
    assert_eq!(o.end_time, t0());
}

#[test]
fn task_submitted_event() {
    let d = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::ecs:runTask.sync", "End": true}}});
    let mut ex = Execution::start(def(d), json!({}), ctx(), t0());
    let t = run_task_of(&ex.advance(t0()));
    ex.task_submitted(t.task_id, json!({"Tasks": []}), t0())
        .unwrap();
    ex.task_succeeded(
        t.task_id,
        json!({"done": true}),
        t0() + Duration::seconds(9),
    )
    .unwrap();
    ex.advance(t0() + Duration::seconds(9));
    let ev = ex.take_events();
    let sub = ev
        .iter()
        .find(|e| e.event_type == asl::EventType::TaskSubmitted)
        .unwrap();
    assert_eq!(
        serde_json::to_value(sub).unwrap()["taskSubmittedEventDetails"],
        json!({"resourceType": "ecs", "resource": "runTask.sync", "output": "{\"Tasks\":[]}", "outputDetails": {"truncated": false}})
    );
    assert_eq!(ex.output().unwrap(), &json!({"done": true}));
}

#[test]
fn unknown_task_inputs_are_refused() {
    let mut ex = Execution::start(def(callback_def()), json!({}), ctx(), t0());
    ex.advance(t0());
    assert_eq!(
        ex.task_succeeded(999, json!({}), t0()),
        Err(asl::InputError::UnknownTask(999))
    );
    assert_eq!(
        ex.heartbeat(999, t0()),
        Err(asl::InputError::UnknownTask(999))
    );
    assert!(ex.task_for_token("nope").is_none());
}

#[test]
fn inputs_after_the_end_are_refused() {
    let d = json!({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}});
    let mut ex = Execution::start(def(d), json!({}), ctx(), t0());
    ex.advance(t0());
    assert_eq!(ex.status(), ExecutionStatus::Succeeded);
    assert_eq!(
        ex.task_succeeded(1, json!({}), t0()),
        Err(asl::InputError::NotRunning)
    );
    assert!(ex.advance(t0()).is_empty());
    assert_eq!(ex.next_wake(), None);
}

#[test]
fn execution_arn_is_derived_from_the_state_machine_arn() {
    let c = asl::ExecutionContext::new(
        "arn:aws:states:eu-west-1:111122223333:stateMachine:Kyc",
        "app-9",
        "arn:aws:iam::111122223333:role/R",
    );
    assert_eq!(
        c.execution_arn,
        "arn:aws:states:eu-west-1:111122223333:execution:Kyc:app-9"
    );
    assert_eq!(c.state_machine_name, "Kyc");
    assert_eq!(c.region, "eu-west-1");
}

#[test]
fn credentials_are_passed_to_the_runner() {
    let d = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Credentials": {"RoleArn": "arn:aws:iam::123456789012:role/Other"}, "End": true}}});
    let o = run_with(d, json!({}), |_, _| ok(json!(1)));
    assert_eq!(
        o.tasks[0].credentials,
        Some(json!({"RoleArn": "arn:aws:iam::123456789012:role/Other"}))
    );
}

#[test]
fn same_seed_same_tokens() {
    let a = Execution::start(def(callback_def()), json!({}), ctx(), t0()).advance(t0());
    let b = Execution::start(def(callback_def()), json!({}), ctx(), t0()).advance(t0());
    assert_eq!(run_task_of(&a).task_token, run_task_of(&b).task_token);
    let mut other = ctx();
    other.seed = 7;
    let c = Execution::start(def(callback_def()), json!({}), other, t0()).advance(t0());
    assert_ne!(run_task_of(&a).task_token, run_task_of(&c).task_token);
}

#[test]
fn outstanding_tasks_survive_a_restart() {
    let mut ex = Execution::start(def(callback_def()), json!({"id": 3}), ctx(), t0());
    let t = run_task_of(&ex.advance(t0()));
    let saved = serde_json::to_string(ex.state()).unwrap();
    let ex = Execution::restore(def(callback_def()), serde_json::from_str(&saved).unwrap());
    let pending = ex.outstanding_tasks();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0], &t);
}

#[test]
fn send_task_by_token() {
    let mut ex = Execution::start(def(callback_def()), json!({}), ctx(), t0());
    let t = run_task_of(&ex.advance(t0()));
    let token = t.task_token.unwrap();
    assert_eq!(ex.send_task_heartbeat(&token, t0()), Ok(()));
    assert_eq!(
        ex.send_task_success("not-a-token", json!({}), t0()),
        Err(asl::TokenError::InvalidToken)
    );
    assert_eq!(ex.send_task_success(&token, json!("yes"), t0()), Ok(()));
    // A second answer for the same token: the task no longer exists.
    assert_eq!(
        ex.send_task_success(&token, json!("again"), t0()),
        Err(asl::TokenError::TaskTimedOut)
    );
    ex.advance(t0());
    assert_eq!(ex.output().unwrap(), &json!({"review": "yes"}));
    assert_eq!(
        ex.send_task_failure(&token, None, None, t0()),
        Err(asl::TokenError::TaskTimedOut)
    );
}

#[test]
fn token_of_timed_out_task_is_task_timed_out() {
    let mut ex = Execution::start(def(callback_def()), json!({}), ctx(), t0());
    let t = run_task_of(&ex.advance(t0()));
    ex.advance(t0() + Duration::seconds(61));
    assert_eq!(
        ex.send_task_success(
            &t.task_token.unwrap(),
            json!({}),
            t0() + Duration::seconds(62)
        ),
        Err(asl::TokenError::TaskTimedOut)
    );
}

#[test]
fn token_of_stopped_execution_is_task_timed_out() {
    let mut ex = Execution::start(def(callback_def()), json!({}), ctx(), t0());
    let t = run_task_of(&ex.advance(t0()));
    ex.stop(None, None, t0()).unwrap();
    assert_eq!(
        ex.send_task_heartbeat(&t.task_token.unwrap(), t0()),
        Err(asl::TokenError::TaskTimedOut)
    );
}

#[test]
fn status_change_detail_for_success_and_failure() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "End": true}}});
    let mut ex = Execution::start(def(d), json!({"a": 1}), ctx(), t0());
    ex.advance(t0());
    assert_eq!(
        ex.status_change_detail(),
        json!({"executionArn": "arn:aws:states:us-east-1:123456789012:execution:Test:exec-1",
               "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Test",
               "name": "exec-1", "status": "RUNNING", "startDate": 1704067200000_i64, "stopDate": null,
               "input": "{\"a\":1}", "output": null, "inputDetails": {"included": true}, "outputDetails": null,
               "error": null, "cause": null, "redriveCount": 0})
    );
    ex.advance(t0() + Duration::seconds(2));
    let v = ex.status_change_detail();
    assert_eq!(v["status"], json!("SUCCEEDED"));
    assert_eq!(v["stopDate"], json!(1704067202000_i64));
    assert_eq!(v["output"], json!("{\"a\":1}"));
    assert_eq!(v["outputDetails"], json!({"included": true}));

    let f = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}});
    let mut ex = Execution::start(def(f), json!({}), ctx(), t0());
    ex.advance(t0());
    let v = ex.status_change_detail();
    assert_eq!(
        (v["status"].clone(), v["error"].clone(), v["cause"].clone()),
        (json!("FAILED"), json!("E"), json!("C"))
    );
}

#[test]
fn execution_arn_from_a_version_arn_uses_the_machine_name() {
    let c = asl::ExecutionContext::new(
        "arn:aws:states:us-east-1:123456789012:stateMachine:Kyc:7",
        "run",
        "arn:aws:iam::123456789012:role/R",
    );
    assert_eq!(
        c.execution_arn,
        "arn:aws:states:us-east-1:123456789012:execution:Kyc:run"
    );
    assert_eq!(c.state_machine_name, "Kyc");
}

#[test]
fn inline_map_runs_at_most_40_iterations_at_once() {
    let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}}}});
    let o = run(d, json!(vec![0; 41]));
    assert_eq!(o.ok().as_array().unwrap().len(), 41);
    assert_eq!(
        (o.end_time - t0()).num_seconds(),
        2,
        "40 in the first second, 1 in the next"
    );
    let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "MaxConcurrency": 100,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}}}});
    assert_eq!(
        (run(d, json!(vec![0; 80])).end_time - t0()).num_seconds(),
        2
    );
}

// --- Causes recorded against Step Functions (the documentation does not give them) -------------

fn wait_on(field: &str, input: serde_json::Value) -> (String, String) {
    let d =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", field: "$.path", "End": true}}});
    run(d, input).failed()
}

fn in_w(detail: &str) -> String {
    format!(
        "An error occurred while executing the state 'W' (entered at the event id #2). {detail}"
    )
}

#[test]
fn seconds_path_causes_as_recorded() {
    for (input, detail) in [
        (
            json!({"path": -1}),
            "The SecondsPath parameter references a negative value: $.path == -1",
        ),
        (
            json!({"path": 1.5}),
            "The SecondsPath parameter cannot be parsed as a long value: $.path == 1.5",
        ),
        (
            json!({"path": "soon"}),
            "The SecondsPath parameter cannot be parsed as a long value: $.path == soon",
        ),
        (
            json!({"other": 1}),
            "The SecondsPath parameter does not reference an input value: $.path",
        ),
    ] {
        let (error, cause) = wait_on("SecondsPath", input.clone());
        assert_eq!(error, "States.Runtime", "{input}");
        assert_eq!(cause, in_w(detail), "{input}");
    }
}

/// The value's text is read as a long, so a numeric string waits too.
#[test]
fn seconds_path_reads_the_value_s_text_as_a_long() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}});
    let o = run(d, json!({"s": "45"}));
    assert_eq!(o.status, ExecutionStatus::Succeeded);
    assert_eq!((o.end_time - t0()).num_seconds(), 45);
}

#[test]
fn timestamp_path_causes_as_recorded() {
    let (error, cause) = wait_on("TimestampPath", json!({"path": "noon"}));
    assert_eq!(error, "States.Runtime");
    assert_eq!(
        cause,
        in_w(
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.path == noon"
        )
    );
    let (error, cause) = wait_on("TimestampPath", json!({"path": 12}));
    assert_eq!(error, "States.Runtime");
    assert!(cause.ends_with("format string: $.path == 12"), "{cause}");
}

#[test]
fn a_wait_decades_ahead_is_too_long() {
    let (error, cause) = wait_on("TimestampPath", json!({"path": "2124-01-01T00:00:00Z"}));
    assert_eq!(error, "States.Runtime");
    assert_eq!(cause, in_w("Wait state delay is too long."));
    let (error, cause) = wait_on("SecondsPath", json!({"path": 3_000_000_000_u64}));
    assert_eq!(
        (error.as_str(), cause),
        ("States.Runtime", in_w("Wait state delay is too long."))
    );
    // Within reach: a year ahead waits.
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.t", "End": true}}});
    let o = run(d, json!({"t": "2025-01-01T00:00:00Z"}));
    assert_eq!(o.status, ExecutionStatus::Succeeded);
}

#[test]
fn max_concurrency_path_takes_numeric_strings_and_refuses_the_rest() {
    let d = |c: serde_json::Value| {
        (
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "MaxConcurrencyPath": "$.c",
                "ItemsPath": "$.w",
                "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$", "End": true}}}}}}),
            json!({"c": c, "w": [4, 4, 4]}),
        )
    };
    let (def, input) = d(json!("2"));
    let o = run(def, input);
    assert_eq!((o.end_time - t0()).num_seconds(), 8);
    for (value, shown) in [
        (json!("two"), "two"),
        (json!(1.5), "1.5"),
        (json!(true), "true"),
    ] {
        let (def, input) = d(value);
        let (error, cause) = run(def, input).failed();
        assert_eq!(error, "States.Runtime");
        assert_eq!(
            cause,
            format!(
                "An error occurred while executing the state 'M' (entered at the event id #2). The MaxConcurrencyPath field refers to value \"{shown}\" which is not a valid integer: $.c"
            )
        );
    }
}

#[test]
fn a_constant_timestamp_decades_ahead_is_too_long_too() {
    let d = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Timestamp": "2100-01-01T00:00:00Z", "End": true}}});
    let (error, cause) = run(d, json!({})).failed();
    assert_eq!(
        (error.as_str(), cause),
        ("States.Runtime", in_w("Wait state delay is too long."))
    );
}
