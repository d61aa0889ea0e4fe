//! Distributed Map: the fields only it has (`Label`, `ItemBatcher`, `ToleratedFailure*`), the Map
//! Run it starts, batching, and tolerated failures, in both query languages. Written from the
//! developer guide ("Using Map state in Distributed mode", "ItemBatcher (Map)", "Tolerated failure
//! threshold for Distributed Map state") and the API reference (HistoryEvent, MapRunStartedEventDetails).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

/// A Distributed Map state with `extra` fields whose iterations run `processor` states.
fn dmap(extra: Value, processor: Value) -> Value {
    let mut map = json!({
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Work",
            "States": processor,
        },
        "End": true
    });
    for (k, v) in extra.as_object().unwrap() {
        map[k] = v.clone();
    }
    json!({"StartAt": "Map", "States": {"Map": map}})
}

fn echo() -> Value {
    json!({"Work": {"Type": "Pass", "End": true}})
}

/// Fails the iteration whose input is negative.
fn fail_negative() -> Value {
    json!({
        "Work": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "Bad"}], "Default": "Good"},
        "Bad": {"Type": "Fail", "Error": "Negative", "Cause": "below zero"},
        "Good": {"Type": "Succeed"}
    })
}

fn map_run_events(o: &Outcome) -> Vec<Value> {
    o.events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .filter(|e| e["type"].as_str().unwrap().starts_with("MapRun"))
        .collect()
}

// ----- the Map Run ---------------------------------------------------------------------------

#[test]
fn map_run_over_items_without_child_events() {
    let o = run(dmap(json!({}), echo()), json!([1, 2, 3]));
    assert_eq!(o.ok(), json!([1, 2, 3]));
    // The children are executions of their own: the parent records the run only.
    assert_eq!(
        o.types(),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
    let started = &map_run_events(&o)[0];
    let arn = started["mapRunStartedEventDetails"]["mapRunArn"]
        .as_str()
        .unwrap();
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:"),
        "{arn}"
    );
    // The events stay one chain.
    let all: Vec<Value> = o
        .events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    for pair in all.windows(2) {
        assert_eq!(pair[1]["previousEventId"], pair[0]["id"], "{all:?}");
    }
}

#[test]
fn label_names_the_map_run() {
    let o = run(dmap(json!({"Label": "nightly"}), echo()), json!([1]));
    let arn = map_run_events(&o)[0]["mapRunStartedEventDetails"]["mapRunArn"]
        .as_str()
        .unwrap()
        .to_string();
    let tail = arn.split(":mapRun:").nth(1).unwrap();
    assert!(tail.contains("/nightly:"), "{arn}");
}

#[test]
fn empty_items_succeed_with_empty_array() {
    let o = run(dmap(json!({}), echo()), json!([]));
    assert_eq!(o.ok(), json!([]));
    assert!(o.types().contains(&"MapRunSucceeded".to_string()));
}

#[test]
fn children_run_tasks_through_the_host() {
    let processor = json!({"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"n.$": "$"}, "ResultSelector": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": true}});
    let o = run(dmap(json!({}), processor), json!([1, 2, 3, 4]));
    assert_eq!(
        o.ok(),
        json!([{"doubled": 2}, {"doubled": 4}, {"doubled": 6}, {"doubled": 8}])
    );
    assert_eq!(o.tasks.len(), 4);
    assert!(
        !o.types().iter().any(|t| t.starts_with("Task")),
        "{:?}",
        o.types()
    );
}

#[test]
fn item_selector_and_items_path_apply_before_the_run() {
    let o = run(
        dmap(
            json!({"ItemsPath": "$.orders", "ItemSelector": {"id.$": "$$.Map.Item.Value.id", "at.$": "$$.Map.Item.Index"}}),
            echo(),
        ),
        json!({"orders": [{"id": "a"}, {"id": "b"}]}),
    );
    assert_eq!(o.ok(), json!([{"id": "a", "at": 0}, {"id": "b", "at": 1}]));
}

// ----- ItemBatcher ---------------------------------------------------------------------------

#[test]
fn batcher_groups_items_by_count() {
    let o = run(
        dmap(json!({"ItemBatcher": {"MaxItemsPerBatch": 2}}), echo()),
        json!([1, 2, 3, 4, 5]),
    );
    assert_eq!(
        o.ok(),
        json!([{"Items": [1, 2]}, {"Items": [3, 4]}, {"Items": [5]}])
    );
}

#[test]
fn batcher_adds_batch_input() {
    let o = run(
        dmap(
            json!({"ItemBatcher": {"MaxItemsPerBatch": 3, "BatchInput": {"job.$": "$.job", "fixed": 1}}, "ItemsPath": "$.items"}),
            echo(),
        ),
        json!({"job": "j-1", "items": ["a", "b", "c", "d"]}),
    );
    assert_eq!(
        o.ok(),
        json!([
            {"BatchInput": {"job": "j-1", "fixed": 1}, "Items": ["a", "b", "c"]},
            {"BatchInput": {"job": "j-1", "fixed": 1}, "Items": ["d"]}
        ])
    );
}

#[test]
fn batcher_groups_items_by_bytes() {
    // {"Items":[]} is 12 bytes; each "xxxxxxxx" item is 10, plus a comma after the first.
    let items: Vec<Value> = (0..5).map(|_| json!("xxxxxxxx")).collect();
    let o = run(
        dmap(
            json!({"ItemBatcher": {"MaxInputBytesPerBatch": 33}}),
            echo(),
        ),
        Value::Array(items),
    );
    let out = o.ok();
    let sizes: Vec<usize> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["Items"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
    for b in out.as_array().unwrap() {
        assert!(b.to_string().len() <= 33, "{b}");
    }
}

#[test]
fn batcher_limits_by_path() {
    let o = run(
        dmap(
            json!({"ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatchPath": "$.size"}}),
            echo(),
        ),
        json!({"size": 4, "items": [1, 2, 3, 4, 5, 6]}),
    );
    assert_eq!(o.ok(), json!([{"Items": [1, 2, 3, 4]}, {"Items": [5, 6]}]));
}

#[test]
fn batcher_path_to_a_bad_value_fails() {
    let o = run(
        dmap(
            json!({"ItemsPath": "$.items", "ItemBatcher": {"MaxItemsPerBatchPath": "$.size"}}),
            echo(),
        ),
        json!({"size": 0, "items": [1]}),
    );
    let (error, cause) = o.failed();
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("MaxItemsPerBatchPath $.size"), "{cause}");
}

#[test]
fn jsonata_batcher_with_expressions() {
    let d = json!({"QueryLanguage": "JSONata", "StartAt": "Map", "States": {"Map": {
        "Type": "Map",
        "Items": "{% $states.input.items %}",
        "ItemBatcher": {"MaxItemsPerBatch": "{% $states.input.size %}", "BatchInput": {"total": "{% $count($states.input.items) %}"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let o = run(d, json!({"size": 2, "items": [1, 2, 3]}));
    assert_eq!(
        o.ok(),
        json!([
            {"BatchInput": {"total": 3}, "Items": [1, 2]},
            {"BatchInput": {"total": 3}, "Items": [3]}
        ])
    );
}

// ----- tolerated failures --------------------------------------------------------------------

#[test]
fn any_failure_fails_the_run_by_default() {
    let o = run(dmap(json!({}), fail_negative()), json!([1, -1, 2]));
    let (error, _) = o.failed();
    assert_eq!(error, "States.ExceedToleratedFailureThreshold");
    let types = o.types();
    assert!(types.contains(&"MapRunFailed".to_string()), "{types:?}");
    let failed = map_run_events(&o)
        .into_iter()
        .find(|e| e["type"] == "MapRunFailed")
        .unwrap();
    assert_eq!(
        failed["mapRunFailedEventDetails"]["error"],
        "States.ExceedToleratedFailureThreshold"
    );
}

#[test]
fn run_failure_is_catchable() {
    let mut d = dmap(json!({}), fail_negative());
    d["States"]["Map"]["Catch"] =
        json!([{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Handled"}]);
    d["States"]["Handled"] = json!({"Type": "Pass", "Result": "handled", "End": true});
    let o = run(d, json!([-1]));
    assert_eq!(o.ok(), json!("handled"));
}

#[test]
fn tolerated_count_lets_the_run_succeed() {
    let o = run(
        dmap(json!({"ToleratedFailureCount": 1}), fail_negative()),
        json!([1, -1, 2]),
    );
    // The failed child's place holds its error output.
    assert_eq!(
        o.ok(),
        json!([1, {"Error": "Negative", "Cause": "below zero"}, 2])
    );
}

#[test]
fn tolerated_count_exceeded() {
    let o = run(
        dmap(json!({"ToleratedFailureCount": 1}), fail_negative()),
        json!([1, -1, -2, 2]),
    );
    assert_eq!(o.failed().0, "States.ExceedToleratedFailureThreshold");
}

#[test]
fn tolerated_percentage_is_of_all_items() {
    // "the total number of failed or timed out items divided by the total number of items";
    // the run fails when the percentage is exceeded, not when it is reached.
    let at_limit = run(
        dmap(json!({"ToleratedFailurePercentage": 50}), fail_negative()),
        json!([1, -1, -2, 2]),
    );
    at_limit.ok();
    let over = run(
        dmap(json!({"ToleratedFailurePercentage": 50}), fail_negative()),
        json!([1, -1, -2, -3]),
    );
    assert_eq!(over.failed().0, "States.ExceedToleratedFailureThreshold");
    let all = run(
        dmap(json!({"ToleratedFailurePercentage": 100}), fail_negative()),
        json!([-1, -2]),
    );
    assert_eq!(all.ok().as_array().unwrap().len(), 2);
}

#[test]
fn either_threshold_fails_the_run() {
    // "If you specify both values, the workflow fails when it exceeds either value."
    let o = run(
        dmap(
            json!({"ToleratedFailurePercentage": 100, "ToleratedFailureCount": 0}),
            fail_negative(),
        ),
        json!([1, -1]),
    );
    assert_eq!(o.failed().0, "States.ExceedToleratedFailureThreshold");
}

#[test]
fn a_failed_batch_counts_its_items() {
    // One failed batch of 3 items out of 4: 75 % of the items.
    let processor = json!({"Work": {"Type": "Choice",
        "Choices": [{"Variable": "$.Items[0]", "NumericLessThan": 0, "Next": "Bad"}], "Default": "Good"},
        "Bad": {"Type": "Fail", "Error": "Negative"}, "Good": {"Type": "Succeed"}});
    let run_with_pct = |pct: u64| {
        run(
            dmap(
                json!({"ItemBatcher": {"MaxItemsPerBatch": 3}, "ToleratedFailurePercentage": pct}),
                processor.clone(),
            ),
            json!([-1, 2, 3, 4]),
        )
    };
    assert_eq!(
        run_with_pct(74).failed().0,
        "States.ExceedToleratedFailureThreshold"
    );
    run_with_pct(75).ok();
}

#[test]
fn tolerated_count_by_path() {
    let o = run(
        dmap(
            json!({"ItemsPath": "$.items", "ToleratedFailureCountPath": "$.tolerate"}),
            fail_negative(),
        ),
        json!({"tolerate": 2, "items": [-1, -2, 3]}),
    );
    assert_eq!(o.ok().as_array().unwrap().len(), 3);
    let bad = run(
        dmap(
            json!({"ItemsPath": "$.items", "ToleratedFailurePercentagePath": "$.tolerate"}),
            fail_negative(),
        ),
        json!({"tolerate": 101, "items": [1]}),
    );
    let (error, cause) = bad.failed();
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.contains("ToleratedFailurePercentagePath $.tolerate"),
        "{cause}"
    );
}

#[test]
fn jsonata_tolerated_failure_expression() {
    let d = json!({"QueryLanguage": "JSONata", "StartAt": "Map", "States": {"Map": {
        "Type": "Map",
        "ToleratedFailureCount": "{% $states.input.tolerate %}",
        "Items": "{% $states.input.items %}",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "Work", "States": {
            "Work": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input < 0 %}", "Next": "Bad"}], "Default": "Good"},
            "Bad": {"Type": "Fail", "Error": "Negative"}, "Good": {"Type": "Succeed"}}},
        "End": true}}});
    run(d.clone(), json!({"tolerate": 1, "items": [1, -1]})).ok();
    let o = run(d.clone(), json!({"tolerate": 0, "items": [1, -1]}));
    assert_eq!(o.failed().0, "States.ExceedToleratedFailureThreshold");
    let o = run(d, json!({"tolerate": "one", "items": [1]}));
    assert_eq!(o.failed().0, "States.QueryEvaluationError");
}

#[test]
fn a_map_run_has_many_children_but_runs_them_bounded() {
    // 500 items, each a child: the run completes and keeps every result in order.
    let items: Vec<Value> = (0..500).map(|i| json!(i)).collect();
    let o = run(
        dmap(json!({"MaxConcurrency": 1000}), echo()),
        Value::Array(items.clone()),
    );
    assert_eq!(o.ok(), Value::Array(items));
    assert_eq!(o.events.len(), 6);
}

// ----- the definition ------------------------------------------------------------------------

#[test]
fn distributed_only_fields_refused_on_an_inline_map() {
    for (field, value) in [
        ("Label", json!("x")),
        ("ItemBatcher", json!({"MaxItemsPerBatch": 2})),
        ("ToleratedFailureCount", json!(1)),
        ("ToleratedFailurePercentage", json!(10)),
        ("ToleratedFailureCountPath", json!("$.n")),
        ("ToleratedFailurePercentagePath", json!("$.n")),
    ] {
        let mut d = dmap(json!({}), echo());
        d["States"]["Map"]["ItemProcessor"]["ProcessorConfig"]["Mode"] = json!("INLINE");
        d["States"]["Map"][field] = value;
        let msg = invalid(d);
        assert!(
            msg.contains(&format!(
                "Field '{field}' is only supported by a Map state in DISTRIBUTED mode"
            )),
            "{field}: {msg}"
        );
    }
}

#[test]
fn s3_reader_and_writer_refused_with_the_reason() {
    for field in ["ItemReader", "ResultWriter"] {
        let mut d = dmap(json!({}), echo());
        d["States"]["Map"][field] =
            json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {}});
        let msg = invalid(d);
        assert!(
            msg.contains(&format!("Field '{field}' is not supported by kyc-local"))
                && msg.contains("Amazon S3"),
            "{msg}"
        );
    }
}

#[test]
fn item_batcher_rules() {
    let cases = [
        (json!({}), "must specify at least one of MaxItemsPerBatch"),
        (
            json!({"MaxItemsPerBatch": 0}),
            "'MaxItemsPerBatch' must be an integer",
        ),
        (
            json!({"MaxItemsPerBatch": 1.5}),
            "'MaxItemsPerBatch' must be an integer",
        ),
        (
            json!({"MaxInputBytesPerBatch": 262_145}),
            "'MaxInputBytesPerBatch' must be an integer between 1 and 262144",
        ),
        (
            json!({"MaxItemsPerBatch": 2, "MaxItemsPerBatchPath": "$.n"}),
            "'MaxItemsPerBatch' and 'MaxItemsPerBatchPath' are mutually exclusive",
        ),
        (
            json!({"MaxItemsPerBatchPath": "$.a[*]"}),
            "must be a valid ReferencePath",
        ),
        (json!({"MaxItemsPerBatch": 2, "Size": 1}), "Size"),
        (
            json!({"MaxItemsPerBatch": 2, "BatchInput": 5}),
            "'BatchInput' must be an OBJECT",
        ),
    ];
    for (batcher, expected) in cases {
        let msg = invalid(dmap(json!({"ItemBatcher": batcher.clone()}), echo()));
        assert!(msg.contains(expected), "{batcher}: {msg}");
    }
    let msg = invalid(dmap(json!({"ItemBatcher": [1]}), echo()));
    assert!(msg.contains("'ItemBatcher' must be an OBJECT"), "{msg}");
}

#[test]
fn tolerated_failure_rules() {
    let cases = [
        (
            json!({"ToleratedFailurePercentage": 101}),
            "between 0 and 100",
        ),
        (
            json!({"ToleratedFailurePercentage": -1}),
            "between 0 and 100",
        ),
        (
            json!({"ToleratedFailureCount": -1}),
            "'ToleratedFailureCount' must be an integer",
        ),
        (
            json!({"ToleratedFailureCount": 1.5}),
            "'ToleratedFailureCount' must be an integer",
        ),
        (
            json!({"ToleratedFailureCount": 1, "ToleratedFailureCountPath": "$.n"}),
            "mutually exclusive",
        ),
    ];
    for (fields, expected) in cases {
        let msg = invalid(dmap(fields.clone(), echo()));
        assert!(msg.contains(expected), "{fields}: {msg}");
    }
    // A percentage need not be whole.
    run(
        dmap(json!({"ToleratedFailurePercentage": 12.5}), echo()),
        json!([1]),
    )
    .ok();
}

#[test]
fn label_rules() {
    for label in [
        json!(""),
        json!("a b"),
        json!("x".repeat(41)),
        json!("a/b"),
        json!(7),
    ] {
        let msg = invalid(dmap(json!({"Label": label.clone()}), echo()));
        assert!(msg.contains("'Label'"), "{label}: {msg}");
    }
    run(dmap(json!({"Label": "x".repeat(40)}), echo()), json!([])).ok();
}

#[test]
fn jsonata_map_refuses_path_fields_of_the_batcher() {
    let d = json!({"QueryLanguage": "JSONata", "StartAt": "Map", "States": {"Map": {
        "Type": "Map", "ItemBatcher": {"MaxItemsPerBatchPath": "$.n"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "W", "States": {"W": {"Type": "Succeed"}}},
        "End": true}}});
    let msg = invalid(d);
    assert!(msg.contains("MaxItemsPerBatchPath"), "{msg}");
}

// ----- Map Run records (DescribeMapRun, ListMapRuns, UpdateMapRun) ----------------------------

#[test]
fn the_execution_keeps_its_map_runs() {
    let o_def = dmap(
        json!({"ItemBatcher": {"MaxItemsPerBatch": 2}, "ToleratedFailureCount": 2, "MaxConcurrency": 3}),
        json!({"Work": {"Type": "Choice",
            "Choices": [{"Variable": "$.Items[0]", "NumericLessThan": 0, "Next": "Bad"}], "Default": "Good"},
            "Bad": {"Type": "Fail", "Error": "Negative"}, "Good": {"Type": "Succeed"}}),
    );
    let mut ex = asl::Execution::start(def(o_def), json!([-1, 2, 3, 4, 5]), ctx(), t0());
    ex.advance(t0());
    assert_eq!(ex.status(), asl::ExecutionStatus::Succeeded);
    let runs = ex.map_runs();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.status, "SUCCEEDED");
    assert_eq!(run.state_name, "Map");
    assert_eq!(run.max_concurrency, 3);
    assert_eq!(run.tolerated_failure_count, 2);
    assert_eq!(run.stop_ms, Some(t0().timestamp_millis()));
    assert_eq!(
        (
            run.item_counts.total,
            run.item_counts.succeeded,
            run.item_counts.failed
        ),
        (5, 3, 2)
    );
    assert_eq!(
        (
            run.execution_counts.total,
            run.execution_counts.succeeded,
            run.execution_counts.failed,
            run.execution_counts.pending,
            run.execution_counts.running
        ),
        (3, 2, 1, 0, 0)
    );
}

#[test]
fn update_map_run_changes_a_running_run() {
    // Children that wait on a task: MaxConcurrency 1 runs one at a time until raised.
    let processor = json!({"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}});
    let mut ex = asl::Execution::start(
        def(dmap(json!({"MaxConcurrency": 1}), processor)),
        json!([1, 2, 3, 4]),
        ctx(),
        t0(),
    );
    let tasks = |cmds: Vec<asl::Command>| -> Vec<u64> {
        cmds.into_iter()
            .filter_map(|c| match c {
                asl::Command::RunTask(t) => Some(t.task_id),
                _ => None,
            })
            .collect()
    };
    let first = tasks(ex.advance(t0()));
    assert_eq!(first.len(), 1);
    let arn = ex.map_runs()[0].map_run_arn.clone();
    assert_eq!(ex.map_runs()[0].status, "RUNNING");
    assert_eq!(ex.map_runs()[0].execution_counts.running, 1);
    assert_eq!(ex.map_runs()[0].execution_counts.pending, 3);
    ex.update_map_run(&arn, Some(10), None, None, t0()).unwrap();
    let more = tasks(ex.advance(t0()));
    assert_eq!(
        more.len(),
        3,
        "raising MaxConcurrency starts the pending children"
    );
    assert_eq!(ex.map_runs()[0].max_concurrency, 10);
    for id in first.into_iter().chain(more) {
        ex.task_succeeded(id, json!("ok"), t0()).unwrap();
    }
    ex.advance(t0());
    assert_eq!(ex.status(), asl::ExecutionStatus::Succeeded);
    assert_eq!(ex.map_runs()[0].status, "SUCCEEDED");
    assert_eq!(
        ex.update_map_run(&arn, Some(1), None, None, t0()),
        Err(asl::MapRunUpdateError::NotRunning(arn.clone()))
    );
    assert_eq!(
        ex.update_map_run("nope", Some(1), None, None, t0()),
        Err(asl::MapRunUpdateError::NotFound("nope".into()))
    );
}

#[test]
fn lowering_the_threshold_under_the_failures_fails_the_run() {
    let processor = json!({"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}});
    let mut ex = asl::Execution::start(
        def(dmap(json!({"ToleratedFailureCount": 5}), processor)),
        json!([1, 2, 3]),
        ctx(),
        t0(),
    );
    let ids: Vec<u64> = ex
        .advance(t0())
        .into_iter()
        .filter_map(|c| match c {
            asl::Command::RunTask(t) => Some(t.task_id),
            _ => None,
        })
        .collect();
    ex.task_failed(ids[0], Some("E".into()), Some("".into()), t0())
        .unwrap();
    ex.advance(t0());
    assert_eq!(ex.status(), asl::ExecutionStatus::Running);
    let arn = ex.map_runs()[0].map_run_arn.clone();
    ex.update_map_run(&arn, None, Some(0), None, t0()).unwrap();
    ex.advance(t0());
    assert_eq!(ex.status(), asl::ExecutionStatus::Failed);
    assert_eq!(
        ex.error().unwrap().0,
        "States.ExceedToleratedFailureThreshold"
    );
    assert_eq!(ex.map_runs()[0].status, "FAILED");
    assert_eq!(ex.map_runs()[0].execution_counts.aborted, 2);
}
