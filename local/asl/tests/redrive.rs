//! RedriveExecution in the engine (API reference "RedriveExecution"): "it continues the failed
//! execution from the unsuccessful step and uses the same input. Step Functions preserves the
//! results and execution history of the successful steps, and doesn't rerun these steps".

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::cell::RefCell;

use asl::driver::{Driver, ManualClock, TaskOutcome};
use asl::{Execution, ExecutionStatus, RedriveError};
use chrono::Duration;
use common::*;
use serde_json::{Value, json};

type Answer = Box<dyn Fn(&asl::TaskRequest, usize) -> TaskOutcome>;

fn driver(
    definition: Value,
    input: Value,
    answer: Answer,
) -> Driver<Scripted<Answer>, ManualClock> {
    let ex = Execution::start(def(definition), input, ctx(), t0());
    Driver::new(
        ex,
        Scripted {
            f: answer,
            calls: RefCell::new(Vec::new()),
        },
        ManualClock::new(t0()),
    )
}

fn types(d: &mut Driver<Scripted<Answer>, ManualClock>) -> Vec<String> {
    d.execution
        .take_events()
        .iter()
        .map(|e| {
            serde_json::to_value(e.event_type)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Prepare (Pass, assigns a variable) → Charge (Task) → Done.
fn machine() -> Value {
    json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Assign": {"attempted.$": "$.order"}, "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"order.$": "$.order", "remembered.$": "$attempted", "redrives.$": "$$.Execution.RedriveCount"},
                   "End": true}}})
}

#[test]
fn a_failed_execution_continues_from_the_failed_state() {
    let mut d = driver(
        machine(),
        json!({"order": "o-1"}),
        Box::new(|_, n| {
            if n == 0 {
                fail("PaymentDown", "the bank is closed")
            } else {
                ok(json!({"charged": true}))
            }
        }),
    );
    assert_eq!(block_on(d.run()), ExecutionStatus::Failed);
    let before = types(&mut d);
    assert_eq!(before.last().unwrap(), "ExecutionFailed");
    let last_id = before.len() as u64;

    d.clock.advance(Duration::seconds(60));
    d.execution
        .redrive(asl::driver::Clock::now(&d.clock))
        .unwrap();
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(d.execution.output(), Some(&json!({"charged": true})));
    let after: Vec<Value> = d
        .execution
        .take_events()
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    // The history goes on: ExecutionRedriven follows ExecutionFailed, then the failed state runs
    // again; "Prepare" does not.
    assert_eq!(after[0]["type"], "ExecutionRedriven");
    assert_eq!(after[0]["id"], json!(last_id + 1));
    assert_eq!(after[0]["previousEventId"], json!(last_id));
    assert_eq!(
        after[0]["executionRedrivenEventDetails"],
        json!({"redriveCount": 1})
    );
    assert_eq!(after[1]["type"], "TaskStateEntered");
    assert_eq!(after[1]["stateEnteredEventDetails"]["name"], "Charge");
    assert!(!after.iter().any(|e| e["type"] == "PassStateEntered"));
    assert_eq!(after.last().unwrap()["type"], "ExecutionSucceeded");
    // The same input, the variables of the time, and the redrive count in the context object.
    let calls = d.runner.calls.borrow();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[1].parameters,
        json!({"order": "o-1", "remembered": "o-1", "redrives": 1})
    );
    assert_eq!(calls[0].parameters["redrives"], 0);
}

#[test]
fn only_unsuccessful_executions_are_redriven() {
    let mut d = driver(
        machine(),
        json!({"order": "o-2"}),
        Box::new(|_, _| ok(json!(1))),
    );
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(
        d.execution.redrive(t0()),
        Err(RedriveError::Status("SUCCEEDED"))
    );
    assert_eq!(
        RedriveError::Status("SUCCEEDED").to_string(),
        "Execution is SUCCEEDED and cannot be redriven"
    );

    let mut d = driver(
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}}),
        json!({}),
        Box::new(|_, _| ok(json!(1))),
    );
    assert_eq!(block_on(d.run_until_idle()), ExecutionStatus::Running);
    assert_eq!(
        d.execution.redrive(t0()),
        Err(RedriveError::Status("RUNNING"))
    );
}

#[test]
fn a_stopped_execution_is_redriven_from_where_it_stopped() {
    let mut d = driver(
        json!({"StartAt": "First", "States": {
            "First": {"Type": "Pass", "Result": {"step": 1}, "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 60, "Next": "Last"},
            "Last": {"Type": "Pass", "End": true}}}),
        json!({}),
        Box::new(|_, _| ok(json!(1))),
    );
    assert_eq!(block_on(d.run_until_idle()), ExecutionStatus::Running);
    d.execution.stop(Some("Paused".into()), None, t0()).unwrap();
    assert_eq!(d.execution.status(), ExecutionStatus::Aborted);
    types(&mut d);
    d.execution.redrive(t0()).unwrap();
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(d.execution.output(), Some(&json!({"step": 1})));
    let after = types(&mut d);
    assert_eq!(
        after,
        [
            "ExecutionRedriven",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn a_fail_state_fails_again_and_counts_each_redrive() {
    let mut d = driver(
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Always"}}}),
        json!({}),
        Box::new(|_, _| ok(json!(1))),
    );
    for n in 1..=3u32 {
        assert_eq!(block_on(d.run()), ExecutionStatus::Failed);
        types(&mut d);
        d.execution.redrive(t0()).unwrap();
        let redriven = d.execution.take_events();
        assert_eq!(
            serde_json::to_value(&redriven[0]).unwrap()["executionRedrivenEventDetails"]["redriveCount"],
            n
        );
    }
    assert_eq!(block_on(d.run()), ExecutionStatus::Failed);
    assert_eq!(d.execution.error().unwrap().0, "Always");
}

#[test]
fn the_restart_point_survives_a_snapshot() {
    let mut d = driver(
        machine(),
        json!({"order": "o-3"}),
        Box::new(|_, n| {
            if n == 0 {
                fail("Down", "")
            } else {
                ok(json!("paid"))
            }
        }),
    );
    assert_eq!(block_on(d.run()), ExecutionStatus::Failed);
    let saved = serde_json::to_string(d.execution.state()).unwrap();
    let state: asl::ExecutionState = serde_json::from_str(&saved).unwrap();
    let mut restored = Execution::restore(def(machine()), state);
    restored.redrive(t0()).unwrap();
    d.execution = restored;
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(d.execution.output(), Some(&json!("paid")));
}

#[test]
fn a_history_quota_failure_has_no_restart_point() {
    let mut c = ctx();
    c.history_limit = Some(10);
    let loop_def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "End"}], "Default": "A"},
        "End": {"Type": "Succeed"}}});
    let mut ex = Execution::start(def(loop_def), json!({}), c, t0());
    ex.advance(t0());
    assert_eq!(ex.status(), ExecutionStatus::Failed);
    assert_eq!(ex.redrive(t0()), Err(RedriveError::NoRestartPoint));
    assert_eq!(
        RedriveError::NoRestartPoint.to_string(),
        "Execution history event limit exceeded"
    );
}

// ----- Parallel and inline Map: only what failed runs again -------------------------------------
// "For workflows that include an Inline Map or Parallel state, RedriveExecution API action
// reschedules and redrives only the iterations and branches that failed or aborted."

fn branch(name: &str) -> Value {
    json!({"StartAt": name, "States": {name: {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"branch": name}, "End": true}}})
}

/// Fails the first call whose parameters name `failing`; answers the rest with their parameters.
fn fail_once(failing: &'static str) -> Answer {
    let failed = std::cell::Cell::new(false);
    Box::new(move |t, _| {
        let name = t.parameters["branch"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
            + &t.parameters["item"].to_string();
        if name.contains(failing) && !failed.get() {
            failed.set(true);
            fail("Flaky", "once")
        } else {
            ok(t.parameters.clone())
        }
    })
}

#[test]
fn a_parallel_state_reruns_only_its_failed_branch() {
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Branches": [branch("A"), branch("B"), branch("C")]}}});
    let mut dr = driver(d, json!({}), fail_once("B"));
    assert_eq!(block_on(dr.run()), ExecutionStatus::Failed);
    let first = dr.runner.calls.borrow().len();
    assert!(first >= 2, "{first}");
    types(&mut dr);
    dr.execution.redrive(t0()).unwrap();
    assert_eq!(block_on(dr.run()), ExecutionStatus::Succeeded);
    assert_eq!(
        dr.execution.output(),
        Some(&json!([{"branch": "A"}, {"branch": "B"}, {"branch": "C"}]))
    );
    // After the redrive only B (and any branch the failure aborted) ran.
    let again: Vec<String> = dr.runner.calls.borrow()[first..]
        .iter()
        .map(|t| t.parameters["branch"].as_str().unwrap().to_owned())
        .collect();
    assert!(again.contains(&"B".to_owned()), "{again:?}");
    assert!(!again.contains(&"A".to_owned()), "{again:?}");
}

#[test]
fn an_inline_map_reruns_only_its_failed_iteration() {
    let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "MaxConcurrency": 1,
        "ItemSelector": {"item.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}}}});
    // Items run one at a time: 1 and 2 succeed, 3 fails; 4 never starts.
    let mut dr = driver(d, json!([1, 2, 3, 4]), fail_once("3"));
    assert_eq!(block_on(dr.run()), ExecutionStatus::Failed);
    assert_eq!(dr.runner.calls.borrow().len(), 3);
    types(&mut dr);
    dr.execution.redrive(t0()).unwrap();
    assert_eq!(block_on(dr.run()), ExecutionStatus::Succeeded);
    assert_eq!(
        dr.execution.output(),
        Some(&json!([{"item": 1}, {"item": 2}, {"item": 3}, {"item": 4}]))
    );
    let again: Vec<Value> = dr.runner.calls.borrow()[3..]
        .iter()
        .map(|t| t.parameters["item"].clone())
        .collect();
    assert_eq!(again, [json!(3), json!(4)]);
    let started: Vec<Value> = dr
        .execution
        .take_events()
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .filter(|e| e["type"] == "MapIterationStarted")
        .map(|e| e["mapIterationStartedEventDetails"]["index"].clone())
        .collect();
    assert_eq!(started, [json!(2), json!(3)]);
}

#[test]
fn a_retried_parallel_state_runs_every_branch_again() {
    // A retry is not a redrive: the whole state runs again.
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 1, "IntervalSeconds": 1}],
        "Branches": [branch("A"), branch("B")]}}});
    let mut dr = driver(d, json!({}), fail_once("B"));
    assert_eq!(block_on(dr.run()), ExecutionStatus::Succeeded);
    let a_runs = dr
        .runner
        .calls
        .borrow()
        .iter()
        .filter(|t| t.parameters["branch"] == "A")
        .count();
    assert_eq!(a_runs, 2);
}
