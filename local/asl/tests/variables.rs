//! Workflow variables: Assign and `$name` references.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use asl::EventType;
use common::*;
use serde_json::json;

#[test]
fn assign_static_then_reference() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"productName": "product1", "count": 42, "available": true}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"p.$": "$productName", "c.$": "$count", "a.$": "$available"}, "End": true}}});
    assert_eq!(
        run(d, json!({})).ok(),
        json!({"p": "product1", "c": 42, "a": true})
    );
}

#[test]
fn assign_from_task_result() {
    let d = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Assign": {"price.$": "$.Payload.price"}, "ResultPath": null, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"price.$": "$price"}, "End": true}}});
    let o = run_with(d, json!({}), |_, _| ok(json!({"Payload": {"price": 9.5}})));
    assert_eq!(o.ok(), json!({"price": 9.5}));
}

#[test]
fn assign_sees_result_after_result_selector() {
    let d = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "ResultSelector": {"p.$": "$.Payload"}, "Assign": {"v.$": "$.p"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"v.$": "$v"}, "End": true}}});
    let o = run_with(d, json!({}), |_, _| ok(json!({"Payload": 3})));
    assert_eq!(o.ok(), json!({"v": 3}));
}

#[test]
fn assign_reads_previous_values() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"x": 2, "y.$": "$x"}, "Next": "C"},
        "C": {"Type": "Pass", "Parameters": {"x.$": "$x", "y.$": "$y"}, "End": true}}});
    assert_eq!(run(d, json!({})).ok(), json!({"x": 2, "y": 1}));
}

#[test]
fn variable_path_into_object() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"obj": {"a": {"b": [10, 20]}}}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"v.$": "$obj.a.b[1]"}, "End": true}}});
    assert_eq!(run(d, json!({})).ok(), json!({"v": 20}));
}

#[test]
fn variable_in_choice_rule() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"risk": "HIGH"}, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$risk", "StringEquals": "HIGH", "Next": "H"}], "Default": "L"},
        "H": {"Type": "Pass", "Result": "high", "End": true},
        "L": {"Type": "Pass", "Result": "low", "End": true}}});
    assert_eq!(run(d, json!({})).ok(), json!("high"));
}

#[test]
fn choice_rule_assign() {
    let d = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Assign": {"big": true}, "Next": "E"}],
              "Default": "E", "Assign": {"big": false}},
        "E": {"Type": "Pass", "Parameters": {"big.$": "$big"}, "End": true}}});
    assert_eq!(run(d.clone(), json!({"n": 5})).ok(), json!({"big": true}));
    assert_eq!(run(d, json!({"n": 0})).ok(), json!({"big": false}));
}

#[test]
fn choice_state_assign_applies_whichever_rule_matches() {
    let d = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Assign": {"seen": true},
              "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Assign": {"path": "rule"}, "Next": "E"}],
              "Default": "E"},
        "E": {"Type": "Pass", "Parameters": {"seen.$": "$seen", "all.$": "$"}, "End": true}}});
    assert_eq!(
        run(d.clone(), json!({"n": 5})).ok(),
        json!({"seen": true, "all": {"n": 5}})
    );
    let d2 = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Assign": {"seen": true},
              "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Assign": {"path": "rule"}, "Next": "E"}],
              "Default": "E"},
        "E": {"Type": "Pass", "Parameters": {"p.$": "$path", "seen.$": "$seen"}, "End": true}}});
    assert_eq!(
        run(d2, json!({"n": 5})).ok(),
        json!({"p": "rule", "seen": true})
    );
}

#[test]
fn undefined_variable_is_runtime_error() {
    let (e, _) = pass(json!({"Parameters": {"v.$": "$nope"}}), json!({})).unwrap_err();
    assert_eq!(e, "States.Runtime");
}

#[test]
fn variable_with_intrinsic() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"name": "Ana"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"g.$": "States.Format('Hi {}', $name)"}, "End": true}}});
    assert_eq!(run(d, json!({})).ok(), json!({"g": "Hi Ana"}));
}

#[test]
fn inner_scope_reads_outer_variables() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "M"},
        "M": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "I", "States": {
            "I": {"Type": "Pass", "Parameters": {"item.$": "$", "factor.$": "$factor"}, "End": true}}}}}});
    assert_eq!(
        run(d, json!([1, 2])).ok(),
        json!([{"item": 1, "factor": 10}, {"item": 2, "factor": 10}])
    );
}

#[test]
fn inner_assignments_are_not_visible_outside() {
    let d = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "After", "Branches": [
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"inner": 1}, "End": true}}}
        ]},
        "After": {"Type": "Pass", "Parameters": {"v.$": "$inner"}, "End": true}}});
    assert_eq!(run(d, json!({})).failed().0, "States.Runtime");
}

#[test]
fn parallel_assign_uses_branch_results() {
    let d = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "After", "Assign": {"first.$": "$[0]"}, "Branches": [
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "one", "End": true}}}
        ]},
        "After": {"Type": "Pass", "Parameters": {"v.$": "$first"}, "End": true}}});
    assert_eq!(run(d, json!({})).ok(), json!({"v": "one"}));
}

#[test]
fn assigned_variables_in_exited_event() {
    let d = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"x": 1, "s": "t"}, "End": true}}});
    let o = run(d, json!({}));
    let ev = o
        .events
        .iter()
        .find(|e| e.event_type == EventType::PassStateExited)
        .unwrap();
    let v = serde_json::to_value(ev).unwrap();
    assert_eq!(
        v["stateExitedEventDetails"],
        json!({"name": "A", "output": "{}", "outputDetails": {"truncated": false},
               "assignedVariables": {"x": "1", "s": "\"t\""}, "assignedVariablesDetails": {"truncated": false}})
    );
}

#[test]
fn wait_assign() {
    let d = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Assign": {"waited.$": "$.k"}, "Next": "E"},
        "E": {"Type": "Pass", "Parameters": {"w.$": "$waited"}, "End": true}}});
    assert_eq!(run(d, json!({"k": "yes"})).ok(), json!({"w": "yes"}));
}

#[test]
fn map_item_selector_reads_variables() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"tag": "T"}, "Next": "M"},
        "M": {"Type": "Map", "End": true, "ItemSelector": {"t.$": "$tag", "v.$": "$$.Map.Item.Value"},
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}});
    assert_eq!(run(d, json!([1])).ok(), json!([{"t": "T", "v": 1}]));
}

#[test]
fn assign_over_256_kib_exceeds_data_limit() {
    let big = "v".repeat(262_145);
    let (e, _) = pass(json!({"Assign": {"big": big}}), json!({})).unwrap_err();
    assert_eq!(e, "States.DataLimitExceeded");
}
