//! Hostile definitions and inputs: each runs under a deadline on a thread
//! with the default 2 MiB stack, so a runaway evaluation fails the test on
//! time and a deep recursion fails it by aborting, not only a panic.
//!
//! The deadlines are far above the expected time (these cases take
//! milliseconds); they catch unbounded work, they do not measure speed.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::mpsc;
use std::time::Duration;

use asl::limits::MAX_VALUE_DEPTH;
use asl::path::Path;
use asl::{Definition, ExecutionStatus};
use common::*;
use serde_json::{Value, json};

fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("did not finish within {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the case panicked (see above)"),
    }
}

const DEADLINE: Duration = Duration::from_secs(30);

fn nested(levels: usize) -> Value {
    let mut v = json!(1);
    for _ in 0..levels {
        v = json!({ "a": v });
    }
    v
}

/// The hardening issue's case: a Pass state whose ResultPath has 100,000
/// segments (a 200 KB definition, under the 1 MB limit) aborted kyc-local
/// with a stack overflow. The definition is accepted (it is valid States
/// Language); the execution fails with States.DataLimitExceeded before the
/// value is built.
#[test]
fn a_result_path_of_100000_segments_fails_the_execution_not_the_process() {
    let path = format!("${}", ".a".repeat(100_000));
    let text = json!({
        "StartAt": "Deep",
        "States": {"Deep": {"Type": "Pass", "ResultPath": path, "End": true}}
    })
    .to_string();
    assert!(text.len() > 200_000 && text.len() < 1_048_576);
    let outcome = within(DEADLINE, move || {
        assert!(Definition::parse(&text).is_ok());
        let definition: Value = serde_json::from_str(&text).unwrap();
        let o = run_with(definition, json!({"x": 1}), |_, _| ok(json!({})));
        (o.status, o.error)
    });
    assert_eq!(outcome.0, ExecutionStatus::Failed);
    let (error, cause) = outcome.1.unwrap();
    assert_eq!(error, "States.DataLimitExceeded");
    assert!(
        cause.contains("nested deeper than the maximum of 128 levels"),
        "{cause}"
    );
}

/// A loop that wraps its input one level per turn stops at the depth limit
/// instead of growing until serialising it overflows the stack.
#[test]
fn a_loop_that_wraps_its_input_stops_at_the_depth_limit() {
    let outcome = within(DEADLINE, || {
        let o = run(
            json!({
                "StartAt": "Wrap",
                "States": {
                    "Wrap": {"Type": "Pass", "Parameters": {"a.$": "$"}, "Next": "Again?"},
                    "Again?": {"Type": "Choice",
                        "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "Wrap"}],
                        "Default": "Done"},
                    "Done": {"Type": "Succeed"}
                }
            }),
            json!({}),
        );
        (o.status, o.error, o.events.len())
    });
    assert_eq!(outcome.0, ExecutionStatus::Failed);
    assert_eq!(outcome.1.unwrap().0, "States.DataLimitExceeded");
    // One Wrap and one Choice per level, two events each, plus start and end.
    assert!(
        outcome.2 >= 4 * (MAX_VALUE_DEPTH - 1),
        "{} events",
        outcome.2
    );
}

/// An input as deep as serde_json parses runs (and is placed deeper by a
/// short ResultPath up to the limit).
#[test]
fn deep_inputs_within_the_limit_run() {
    let input = nested(120);
    let o = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "ResultPath": "$.b.c.d", "End": true}}}),
        input,
    );
    assert_eq!(o.status, ExecutionStatus::Succeeded);
    // 3 segments + the 121 levels of the input (120 wrappers and the root).
    let o = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "ResultPath": "$.b.c.d.e.f.g.h.i", "End": true}}}),
        nested(125),
    );
    assert_eq!(o.status, ExecutionStatus::Failed);
    assert_eq!(o.failed().0, "States.DataLimitExceeded");
}

/// A Catch whose ResultPath is too deep for the error output fails the
/// execution with the same error, not the process.
#[test]
fn a_catch_result_path_too_deep_fails_cleanly() {
    let path = format!("${}", ".e".repeat(5_000));
    let o = within(DEADLINE, move || {
        let caught = run_with(
            json!({
                "StartAt": "T",
                "States": {
                    "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                          "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": path, "Next": "Done"}],
                          "End": true},
                    "Done": {"Type": "Succeed"}
                }
            }),
            json!({}),
            |_, _| fail("E", "c"),
        );
        (caught.status, caught.error)
    });
    assert_eq!(o.0, ExecutionStatus::Failed);
    assert_eq!(o.1.unwrap().0, "States.DataLimitExceeded");
}

/// The hardening issue's JSONPath case: a chain of deep scans over a
/// 100-level input did not finish in 20 s. Evaluation now stops at its
/// budget with an error.
#[test]
fn chained_deep_scans_stop_at_the_budget() {
    let input = nested(100);
    let path = Path::parse("$..a..a..a..a..a..a..a..a").unwrap();
    let result = within(DEADLINE, move || path.select(&input).map(|_| ()));
    assert!(
        result
            .unwrap_err()
            .to_string()
            .contains("exceeded 131072 results or 2000000 visited values")
    );
}

#[test]
fn a_state_with_a_runaway_path_fails_with_states_runtime() {
    let o = within(DEADLINE, || {
        run(
            json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$..a..a..a..a..a..a", "End": true}}}),
            nested(100),
        )
        .error
    });
    let (error, cause) = o.unwrap();
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.contains("Invalid path '$..a..a..a..a..a..a'"),
        "{cause}"
    );
}

#[test]
fn a_modest_deep_scan_still_returns_every_match_in_order() {
    let input = json!({"a": {"a": {"a": 3}}, "b": [{"a": 4}]});
    let got = Path::parse("$..a").unwrap().select(&input).unwrap();
    assert_eq!(
        got,
        json!([{"a": {"a": 3}}, {"a": 3}, 3, 4]),
        "pre-order, as Jayway lists them"
    );
}

/// A path of 100,000 segments and a filter of 50,000 terms parse and
/// evaluate without recursion (a long `&&` chain was a 50,000-deep tree).
#[test]
fn long_paths_and_long_filters_are_iterative() {
    let (long_path, long_filter) = within(DEADLINE, || {
        let long_path = Path::parse(&format!("$..x{}", ".a".repeat(100_000)))
            .unwrap()
            .select(&json!({"x": {"a": 1}}))
            .unwrap();
        let terms = vec!["@.v == 1"; 50_000].join(" && ");
        let long_filter = Path::parse(&format!("$.items[?({terms})]"))
            .unwrap()
            .select(&json!({"items": [{"v": 1}, {"v": 2}]}))
            .unwrap();
        (long_path, long_filter)
    });
    assert_eq!(long_path, json!([]));
    assert_eq!(long_filter, json!([{"v": 1}]));
}

/// A loop of cheap states on a large input ends by the history limit
/// (25,000 events, as AWS), and the turn budget hands control back to the
/// host many times on the way instead of running it in one call.
#[test]
fn an_endless_loop_on_a_large_input_ends_at_the_history_limit() {
    // 20 KB keeps the debug-build test quick; `kyc-local bench --hostile`
    // measures the 200 KB case of the issue on the running stack.
    let big = "x".repeat(20_000);
    let o = within(Duration::from_secs(120), move || {
        run(
            json!({
                "StartAt": "Spin",
                "States": {
                    "Spin": {"Type": "Pass", "Next": "Again?"},
                    "Again?": {"Type": "Choice",
                        "Choices": [{"Variable": "$.big", "IsPresent": true, "Next": "Spin"}],
                        "Default": "Done"},
                    "Done": {"Type": "Succeed"}
                }
            }),
            json!({ "big": big }),
        )
    });
    assert_eq!(o.status, ExecutionStatus::Failed);
    let (error, cause) = o.failed();
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.contains("maximum number of history events (25000)"),
        "{cause}"
    );
    // The history holds exactly the limit, ExecutionFailed last.
    assert_eq!(o.events.len(), 25_000);
    assert_eq!(o.events.last().map(|e| e.id), Some(25_000));
    assert_eq!(
        o.types().last().map(String::as_str),
        Some("ExecutionFailed")
    );
}
