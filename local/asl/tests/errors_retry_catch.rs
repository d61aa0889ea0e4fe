//! Retry and Catch, with the error-name matching rules of the developer guide.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use asl::driver::TaskOutcome;
use asl::{EventType, HistoryEvent};
use chrono::Duration;
use common::*;
use serde_json::{Value, json};

fn task_with(fields: Value) -> Value {
    let mut t = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true});
    for (k, v) in fields.as_object().unwrap() {
        t[k] = v.clone();
    }
    let text = t.to_string();
    let mut states = json!({"T": t});
    if text.contains("\"Handler\"") {
        states["Handler"] = json!({"Type": "Pass", "End": true});
    }
    if text.contains("\"Other\"") {
        states["Other"] = json!({"Type": "Pass", "Result": "other", "End": true});
    }
    json!({"StartAt": "T", "States": states})
}

fn scheduled_times(events: &[HistoryEvent]) -> Vec<i64> {
    events
        .iter()
        .filter(|e| e.event_type == EventType::TaskScheduled)
        .map(|e| (e.timestamp - t0()).num_milliseconds())
        .collect()
}

#[test]
fn retry_then_succeed() {
    let d = task_with(
        json!({"Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 3}]}),
    );
    let o = run_with(d, json!({}), |_, n| {
        if n < 2 {
            fail("Boom", "x")
        } else {
            ok(json!("done"))
        }
    });
    assert_eq!(o.ok(), json!("done"));
    assert_eq!(o.tasks.len(), 3);
}

#[test]
fn retry_backoff_timings_default_rate_2() {
    let d = task_with(
        json!({"Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 3}]}),
    );
    let o = run_with(d, json!({}), |_, _| fail("Boom", "x"));
    assert_eq!(o.failed(), ("Boom".into(), "x".into()));
    // 1 s, then 2 s, then 4 s.
    assert_eq!(scheduled_times(&o.events), vec![0, 1000, 3000, 7000]);
}

#[test]
fn retry_default_policy_is_three_attempts_interval_one_rate_two() {
    let d = task_with(json!({"Retry": [{"ErrorEquals": ["States.ALL"]}]}));
    let o = run_with(d, json!({}), |_, _| fail("Any", ""));
    assert_eq!(scheduled_times(&o.events), vec![0, 1000, 3000, 7000]);
}

#[test]
fn retry_backoff_rate_one_and_interval() {
    let d = task_with(
        json!({"Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 1.0}]}),
    );
    let o = run_with(d, json!({}), |_, _| fail("Boom", ""));
    assert_eq!(scheduled_times(&o.events), vec![0, 3000, 6000]);
}

#[test]
fn retry_fractional_backoff_rate() {
    let d = task_with(
        json!({"Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 1.5}]}),
    );
    let o = run_with(d, json!({}), |_, _| fail("Boom", ""));
    // 2, 3, 4.5 seconds.
    assert_eq!(scheduled_times(&o.events), vec![0, 2000, 5000, 9500]);
}

#[test]
fn retry_max_delay_caps_backoff() {
    let d = task_with(
        json!({"Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "MaxAttempts": 4,
        "BackoffRate": 3, "MaxDelaySeconds": 10}]}),
    );
    let o = run_with(d, json!({}), |_, _| fail("Boom", ""));
    // 2, 6, min(18,10), min(54,10).
    assert_eq!(
        scheduled_times(&o.events),
        vec![0, 2000, 8000, 18000, 28000]
    );
}

#[test]
fn retry_full_jitter_stays_within_the_computed_delay() {
    let d = task_with(
        json!({"Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 4, "MaxAttempts": 3,
        "BackoffRate": 2, "JitterStrategy": "FULL"}]}),
    );
    let o = run_with(d, json!({}), |_, _| fail("Boom", ""));
    let t = scheduled_times(&o.events);
    assert_eq!(t.len(), 4);
    let gaps: Vec<i64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    for (g, max) in gaps.iter().zip([4000, 8000, 16000]) {
        assert!(*g >= 0 && *g <= max, "gap {g} over {max}");
    }
}

#[test]
fn max_attempts_zero_never_retries() {
    let d = task_with(json!({"Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 0}]}));
    let o = run_with(d, json!({}), |_, _| fail("Boom", "c"));
    assert_eq!(o.tasks.len(), 1);
    assert_eq!(o.failed(), ("Boom".into(), "c".into()));
}

#[test]
fn first_matching_retrier_decides_even_when_exhausted() {
    let d = task_with(json!({"Retry": [
        {"ErrorEquals": ["Boom"], "MaxAttempts": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}
    ]}));
    let o = run_with(d, json!({}), |_, _| fail("Boom", ""));
    assert_eq!(o.tasks.len(), 2);
}

#[test]
fn separate_counters_per_retrier() {
    let d = task_with(json!({"Retry": [
        {"ErrorEquals": ["A"], "MaxAttempts": 1, "IntervalSeconds": 1},
        {"ErrorEquals": ["B"], "MaxAttempts": 1, "IntervalSeconds": 1}
    ]}));
    let o = run_with(d, json!({}), |_, n| match n {
        0 => fail("A", ""),
        1 => fail("B", ""),
        2 => fail("A", ""),
        _ => ok(json!(1)),
    });
    assert_eq!(o.tasks.len(), 3);
    assert_eq!(o.failed().0, "A");
}

#[test]
fn unmatched_error_is_not_retried() {
    let d = task_with(json!({"Retry": [{"ErrorEquals": ["Different"], "MaxAttempts": 3}]}));
    let o = run_with(d, json!({}), |_, _| fail("Boom", ""));
    assert_eq!(o.tasks.len(), 1);
}

#[test]
fn retry_count_in_context_object() {
    let d = task_with(json!({"Parameters": {"n.$": "$$.State.RetryCount"},
        "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2}]}));
    let o = run_with(d, json!({}), |t, n| {
        if n < 2 {
            fail("Boom", "")
        } else {
            ok(t.parameters.clone())
        }
    });
    let counts: Vec<Value> = o.tasks.iter().map(|t| t.parameters["n"].clone()).collect();
    assert_eq!(counts, vec![json!(0), json!(1), json!(2)]);
}

#[test]
fn catch_with_result_path_keeps_input() {
    let d = task_with(
        json!({"Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.error", "Next": "Handler"}]}),
    );
    let o = run_with(d, json!({"orig": 1}), |_, _| fail("Boom", "went wrong"));
    assert_eq!(
        o.ok(),
        json!({"orig": 1, "error": {"Error": "Boom", "Cause": "went wrong"}})
    );
}

#[test]
fn catch_without_result_path_replaces_input_with_error_output() {
    let d = task_with(json!({"Catch": [{"ErrorEquals": ["Boom"], "Next": "Handler"}]}));
    let o = run_with(d, json!({"orig": 1}), |_, _| fail("Boom", "why"));
    assert_eq!(o.ok(), json!({"Error": "Boom", "Cause": "why"}));
}

#[test]
fn catch_result_path_null_keeps_input_only() {
    let d = task_with(
        json!({"Catch": [{"ErrorEquals": ["Boom"], "ResultPath": null, "Next": "Handler"}]}),
    );
    let o = run_with(d, json!({"orig": 1}), |_, _| fail("Boom", "why"));
    assert_eq!(o.ok(), json!({"orig": 1}));
}

#[test]
fn catchers_are_tried_in_order() {
    let d = task_with(json!({"Catch": [
        {"ErrorEquals": ["Nope"], "Next": "Handler"},
        {"ErrorEquals": ["Boom"], "Next": "Other"}
    ]}));
    let o = run_with(d, json!({}), |_, _| fail("Boom", ""));
    assert_eq!(o.ok(), json!("other"));
}

#[test]
fn retry_exhausted_then_catch() {
    let d = task_with(json!({
        "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.e", "Next": "Handler"}]
    }));
    let o = run_with(d, json!({}), |_, _| fail("Boom", "c"));
    assert_eq!(o.tasks.len(), 3);
    assert_eq!(o.ok(), json!({"e": {"Error": "Boom", "Cause": "c"}}));
}

#[test]
fn states_all_catches_custom_errors() {
    let d = task_with(json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Other"}]}));
    assert_eq!(
        run_with(d, json!({}), |_, _| fail("Whatever", "")).ok(),
        json!("other")
    );
}

#[test]
fn states_task_failed_catches_task_errors() {
    let d = task_with(json!({"Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Other"}]}));
    assert_eq!(
        run_with(d, json!({}), |_, _| fail("Lambda.Unknown", "")).ok(),
        json!("other")
    );
}

#[test]
fn states_task_failed_does_not_catch_timeout() {
    let d = task_with(
        json!({"TimeoutSeconds": 5, "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Other"}]}),
    );
    let o = run_with(d, json!({}), |_, _| TaskOutcome::Pending);
    assert_eq!(o.failed().0, "States.Timeout");
}

#[test]
fn states_timeout_caught_by_name() {
    let d = task_with(
        json!({"TimeoutSeconds": 5, "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Other"}]}),
    );
    let o = run_with(d, json!({}), |_, _| TaskOutcome::Pending);
    assert_eq!(o.ok(), json!("other"));
    assert_eq!((o.end_time - t0()).num_seconds(), 5);
}

#[test]
fn states_all_catches_timeout() {
    let d = task_with(
        json!({"TimeoutSeconds": 5, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Other"}]}),
    );
    assert_eq!(
        run_with(d, json!({}), |_, _| TaskOutcome::Pending).ok(),
        json!("other")
    );
}

#[test]
fn states_all_does_not_catch_runtime_errors() {
    let d = task_with(
        json!({"InputPath": "$.missing", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Other"}]}),
    );
    let o = run(d, json!({}));
    assert_eq!(o.failed().0, "States.Runtime");
}

#[test]
fn states_runtime_cannot_be_caught_even_by_name() {
    let d = task_with(json!({"Parameters": {"x.$": "$.missing"},
        "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "Other"}]}));
    assert_eq!(run(d, json!({})).failed().0, "States.Runtime");
}

#[test]
fn intrinsic_failure_is_catchable() {
    let d = task_with(json!({"Parameters": {"x.$": "States.StringToJson($.s)"},
        "Catch": [{"ErrorEquals": ["States.IntrinsicFailure"], "ResultPath": "$.err", "Next": "Handler"}]}));
    let o = run(d, json!({"s": "{bad"}));
    assert_eq!(o.ok()["err"]["Error"], json!("States.IntrinsicFailure"));
}

#[test]
fn timeout_retry_then_success() {
    let d = task_with(json!({"TimeoutSeconds": 10,
        "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}]}));
    let o = run_with(d, json!({}), |_, n| {
        if n == 0 {
            TaskOutcome::Pending
        } else {
            ok(json!("late"))
        }
    });
    assert_eq!(o.ok(), json!("late"));
    assert_eq!(scheduled_times(&o.events), vec![0, 11000]);
}

#[test]
fn heartbeat_timeout() {
    let d = task_with(json!({"TimeoutSeconds": 100, "HeartbeatSeconds": 10}));
    let o = run_with(d, json!({}), |_, _| TaskOutcome::Pending);
    assert_eq!(o.failed().0, "States.HeartbeatTimeout");
    assert_eq!((o.end_time - t0()).num_seconds(), 10);
}

#[test]
fn heartbeat_timeout_matched_by_task_failed() {
    let d = task_with(
        json!({"HeartbeatSeconds": 10, "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Other"}]}),
    );
    assert_eq!(
        run_with(d, json!({}), |_, _| TaskOutcome::Pending).ok(),
        json!("other")
    );
}

#[test]
fn timeout_seconds_path() {
    let d = task_with(json!({"TimeoutSecondsPath": "$.t"}));
    let o = run_with(d, json!({"t": 42}), |_, _| TaskOutcome::Pending);
    assert_eq!(o.failed().0, "States.Timeout");
    assert_eq!((o.end_time - t0()).num_seconds(), 42);
    assert_eq!(o.tasks[0].timeout_seconds, Some(42));
}

#[test]
fn heartbeat_seconds_path() {
    let d = task_with(json!({"HeartbeatSecondsPath": "$.h"}));
    let o = run_with(d, json!({"h": 7}), |_, _| TaskOutcome::Pending);
    assert_eq!(o.failed().0, "States.HeartbeatTimeout");
    assert_eq!((o.end_time - t0()).num_seconds(), 7);
}

#[test]
fn timeout_seconds_path_invalid_value() {
    let d = task_with(json!({"TimeoutSecondsPath": "$.t"}));
    let o = run_with(d, json!({"t": "soon"}), |_, _| TaskOutcome::Pending);
    assert_eq!(o.failed().0, "States.Runtime");
}

#[test]
fn error_output_of_timeout_has_empty_cause() {
    let d = task_with(
        json!({"TimeoutSeconds": 1, "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.e", "Next": "Handler"}]}),
    );
    let o = run_with(d, json!({}), |_, _| TaskOutcome::Pending);
    assert_eq!(
        o.ok(),
        json!({"e": {"Error": "States.Timeout", "Cause": ""}})
    );
}

#[test]
fn task_timed_out_event() {
    let d = task_with(json!({"TimeoutSeconds": 3}));
    let o = run_with(d, json!({}), |_, _| TaskOutcome::Pending);
    let ev = o
        .events
        .iter()
        .find(|e| e.event_type == EventType::TaskTimedOut)
        .unwrap();
    assert_eq!(ev.timestamp, t0() + Duration::seconds(3));
    let v = serde_json::to_value(ev).unwrap();
    assert_eq!(
        v["taskTimedOutEventDetails"],
        json!({"resourceType": "lambda", "resource": "invoke", "error": "States.Timeout"})
    );
}

#[test]
fn fail_state_error_and_cause() {
    let d = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}}});
    assert_eq!(
        run(d, json!({})).failed(),
        ("ErrorA".into(), "Kaiju attack".into())
    );
}

#[test]
fn fail_state_error_path_and_cause_path() {
    let d = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}}});
    assert_eq!(
        run(d, json!({"e": "E1", "c": "C1"})).failed(),
        ("E1".into(), "C1".into())
    );
}

#[test]
fn fail_state_cause_path_intrinsic() {
    let d = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E",
        "CausePath": "States.Format('item {} failed', $.id)"}}});
    assert_eq!(
        run(d, json!({"id": 7})).failed(),
        ("E".into(), "item 7 failed".into())
    );
}

#[test]
fn fail_state_without_error_or_cause() {
    let d = json!({"StartAt": "F", "States": {"F": {"Type": "Fail"}}});
    let o = run(d, json!({}));
    assert_eq!(o.status, asl::ExecutionStatus::Failed);
    let last = serde_json::to_value(o.events.last().unwrap()).unwrap();
    assert_eq!(last["type"], json!("ExecutionFailed"));
    assert_eq!(last["executionFailedEventDetails"], json!({}));
}

#[test]
fn catch_assigns_variables_from_error_output() {
    let d = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"why.$": "$.Cause"}, "Next": "H"}]},
        "H": {"Type": "Pass", "Parameters": {"reason.$": "$why"}, "End": true}}});
    let o = run_with(d, json!({}), |_, _| fail("X", "because"));
    assert_eq!(o.ok(), json!({"reason": "because"}));
}

#[test]
fn failed_task_events() {
    let d = task_with(json!({}));
    let o = run_with(d, json!({}), |_, _| fail("Boom", "bad"));
    assert_eq!(
        o.types(),
        vec![
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "ExecutionFailed"
        ]
    );
    let v = serde_json::to_value(&o.events[4]).unwrap();
    assert_eq!(
        v["taskFailedEventDetails"],
        json!({"resourceType": "lambda", "resource": "invoke", "error": "Boom", "cause": "bad"})
    );
    let last = serde_json::to_value(&o.events[5]).unwrap();
    assert_eq!(
        last["executionFailedEventDetails"],
        json!({"error": "Boom", "cause": "bad"})
    );
}

/// Recorded against Step Functions: an ErrorPath or CausePath that matches nothing names the path,
/// the field and the state's input.
#[test]
fn fail_paths_that_match_nothing_name_the_field_and_the_input() {
    for (field, other) in [("ErrorPath", "Cause"), ("CausePath", "Error")] {
        let d =
            json!({"StartAt": "F", "States": {"F": {"Type": "Fail", field: "$.x", other: "text"}}});
        let (error, cause) = run(d, json!({"a": 1})).failed();
        assert_eq!(error, "States.Runtime", "{field}");
        assert_eq!(
            cause,
            format!(
                "An error occurred while executing the state 'F' (entered at the event id #2). The JSONPath '$.x' specified for the field '{field}' could not be found in the input '{{\"a\":1}}'"
            )
        );
    }
}
