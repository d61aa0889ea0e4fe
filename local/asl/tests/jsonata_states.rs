//! JSONata states: each state type, `$states`, variables shared with JSONPath states, Catch and
//! Retry, and the definition rules of both query languages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use asl::{Definition, ExecutionStatus};
use common::*;
use serde_json::{Value, json};

fn jsonata(states: Value, start: &str) -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": start, "States": states})
}

fn diags(v: Value) -> Vec<(String, Option<String>)> {
    match Definition::from_value(v) {
        Ok(_) => panic!("should be invalid"),
        Err(e) => e
            .diagnostics
            .into_iter()
            .map(|d| (d.message, d.location))
            .collect(),
    }
}

// ----- the developer guide's examples --------------------------------------------------------

#[test]
fn doc_conversion_example_arguments() {
    // "Transforming data with JSONata": the converted Task's Arguments, input {"title": "Doctor"},
    // $customerName = "María".
    let d = jsonata(
        json!({
            "A": {"Type": "Pass", "Assign": {"customerName": "María"}, "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {
                "static": "Hello", "title": "{% $states.input.title %}", "name": "{% $customerName %}",
                "not-evaluated": "$customerName"}, "End": true}}),
        "A",
    );
    let o = run(d, json!({"title": "Doctor"}));
    assert_eq!(
        o.ok(),
        json!({"static": "Hello", "title": "Doctor", "name": "María", "not-evaluated": "$customerName"})
    );
}

#[test]
fn doc_partition_in_assign() {
    let d = jsonata(
        json!({"A": {"Type": "Pass", "Assign": {"arrayPartition": "{% $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) %}"}, "Next": "B"},
               "B": {"Type": "Pass", "Output": "{% $arrayPartition %}", "End": true}}),
        "A",
    );
    assert_eq!(
        run(d, json!({})).ok(),
        json!([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    );
}

// ----- Pass ------------------------------------------------------------------------------------

#[test]
fn pass_without_output_passes_input() {
    let d = jsonata(json!({"P": {"Type": "Pass", "End": true}}), "P");
    assert_eq!(run(d, json!({"a": 1})).ok(), json!({"a": 1}));
}

#[test]
fn pass_output_object_with_expressions() {
    let o = pass(
        json!({"QueryLanguage": "JSONata", "Output": {"x": "{% $states.input.a * 10 %}", "lit": [1, "two"]}}),
        json!({"a": 2}),
    );
    assert_eq!(o.unwrap(), json!({"x": 20, "lit": [1, "two"]}));
}

#[test]
fn pass_output_scalar_literal() {
    let o = pass(json!({"QueryLanguage": "JSONata", "Output": 42}), json!({}));
    assert_eq!(o.unwrap(), json!(42));
}

#[test]
fn pass_state_opts_in_inside_jsonpath_machine() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "Next": "B"},
        "B": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.v + 1 %}", "End": true}}});
    assert_eq!(run(d, json!({"v": 1})).ok(), json!(2));
}

#[test]
fn context_in_jsonata() {
    let o = pass(
        json!({"QueryLanguage": "JSONata", "Output": {"name": "{% $states.context.State.Name %}", "exec": "{% $states.context.Execution.Name %}", "input": "{% $states.context.Execution.Input %}"}}),
        json!({"a": 1}),
    );
    assert_eq!(
        o.unwrap(),
        json!({"name": "P", "exec": "exec-1", "input": {"a": 1}})
    );
}

#[test]
fn result_is_absent_in_pass() {
    let (e, _) = pass(
        json!({"QueryLanguage": "JSONata", "Output": "{% $states.result %}"}),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(e, "States.QueryEvaluationError");
}

#[test]
fn error_output_is_absent_outside_catch() {
    let (e, _) = pass(
        json!({"QueryLanguage": "JSONata", "Output": "{% $states.errorOutput %}"}),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(e, "States.QueryEvaluationError");
}

#[test]
fn input_is_not_the_expression_context() {
    // `$states.input` is the way to the input; a bare field name reads nothing.
    let (e, _) = pass(
        json!({"QueryLanguage": "JSONata", "Output": "{% a %}"}),
        json!({"a": 1}),
    )
    .unwrap_err();
    assert_eq!(e, "States.QueryEvaluationError");
}

// ----- Assign and variables --------------------------------------------------------------------

#[test]
fn assign_reads_values_from_before_the_state() {
    let d = jsonata(
        json!({"A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
               "B": {"Type": "Pass", "Assign": {"x": 2, "y": "{% $x %}"}, "Output": "{% [$x] %}", "Next": "C"},
               "C": {"Type": "Pass", "Output": {"x": "{% $x %}", "y": "{% $y %}"}, "End": true}}),
        "A",
    );
    assert_eq!(run(d, json!({})).ok(), json!({"x": 2, "y": 1}));
}

#[test]
fn output_does_not_see_same_state_assign() {
    let d = jsonata(
        json!({"A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
               "B": {"Type": "Pass", "Assign": {"x": 5}, "Output": "{% $x %}", "End": true}}),
        "A",
    );
    assert_eq!(run(d, json!({})).ok(), json!(1));
}

#[test]
fn assign_nested_expressions() {
    let d = jsonata(
        json!({"A": {"Type": "Pass", "Assign": {"v": {"a": ["{% 1 + 1 %}", {"b": "{% 'x' %}"}]}}, "Next": "B"},
               "B": {"Type": "Pass", "Output": "{% $v %}", "End": true}}),
        "A",
    );
    assert_eq!(run(d, json!({})).ok(), json!({"a": [2, {"b": "x"}]}));
}

#[test]
fn variables_shared_jsonpath_to_jsonata() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"n.$": "$.n"}, "Next": "B"},
        "B": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $n * 2 %}", "End": true}}});
    assert_eq!(run(d, json!({"n": 4})).ok(), json!(8));
}

#[test]
fn variables_shared_jsonata_to_jsonpath() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"n": "{% $states.input.n + 1 %}"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"n.$": "$n"}, "End": true}}});
    assert_eq!(run(d, json!({"n": 4})).ok(), json!({"n": 5}));
}

#[test]
fn assign_undefined_fails_with_field_name() {
    let (e, c) = pass(
        json!({"QueryLanguage": "JSONata", "Assign": {"x": "{% $states.input.nope %}"}}),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(e, "States.QueryEvaluationError");
    assert!(
        c.ends_with("specified for the field 'Assign/x' returned nothing (undefined)."),
        "{c}"
    );
}

// ----- Task ------------------------------------------------------------------------------------

fn jtask(fields: Value, result: Value) -> Result<Value, (String, String)> {
    let mut f = fields;
    f["QueryLanguage"] = json!("JSONata");
    task(f, json!({"in": 1}), result)
}

#[test]
fn task_default_output_is_result() {
    assert_eq!(jtask(json!({}), json!({"r": 1})).unwrap(), json!({"r": 1}));
}

#[test]
fn task_output_reads_result_and_input() {
    let o = jtask(
        json!({"Output": {"r": "{% $states.result.r %}", "i": "{% $states.input.in %}"}}),
        json!({"r": 2}),
    );
    assert_eq!(o.unwrap(), json!({"r": 2, "i": 1}));
}

#[test]
fn task_assign_reads_result() {
    let d = jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Assign": {"p": "{% $states.result.Payload %}"}, "Output": "{% $states.input %}", "Next": "B"},
               "B": {"Type": "Pass", "Output": "{% $p %}", "End": true}}),
        "T",
    );
    let o = run_with(d, json!({"x": 1}), |_, _| ok(json!({"Payload": 9})));
    assert_eq!(o.ok(), json!(9));
}

#[test]
fn task_arguments_sent_to_host() {
    let d = jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"}, "End": true}}),
        "T",
    );
    let o = run(d, json!({"a": 1}));
    assert_eq!(
        o.tasks[0].parameters,
        json!({"FunctionName": "f", "Payload": {"a": 1}})
    );
}

#[test]
fn task_arguments_see_task_token() {
    let d = jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "Arguments": {"token": "{% $states.context.Task.Token %}"}, "End": true}}),
        "T",
    );
    let o = run(d, json!({}));
    assert_eq!(
        Some(o.tasks[0].parameters["token"].as_str().unwrap().to_string()),
        o.tasks[0].task_token
    );
}

#[test]
fn task_timeout_expression() {
    let d = jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": "{% $states.input.t %}", "HeartbeatSeconds": "{% 5 %}", "End": true}}),
        "T",
    );
    let o = run(d, json!({"t": 30}));
    assert_eq!(o.tasks[0].timeout_seconds, Some(30));
    assert_eq!(o.tasks[0].heartbeat_seconds, Some(5));
}

#[test]
fn task_timeout_expression_must_be_positive_integer() {
    let (e, c) = jtask(json!({"TimeoutSeconds": "{% 'ten' %}"}), json!({})).unwrap_err();
    assert_eq!(e, "States.QueryEvaluationError");
    assert!(c.contains("'TimeoutSeconds'"), "{c}");
}

#[test]
fn task_arguments_undefined_is_catchable() {
    let d = jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"x": "{% $states.input.nope %}"},
                     "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Output": "{% $states.errorOutput.Error %}", "Next": "H"}], "End": true},
               "H": {"Type": "Succeed"}}),
        "T",
    );
    assert_eq!(run(d, json!({})).ok(), json!("States.QueryEvaluationError"));
}

// ----- Catch and Retry -------------------------------------------------------------------------

fn catching(catcher: Value) -> Value {
    let mut c = catcher;
    c["ErrorEquals"] = json!(["States.ALL"]);
    c["Next"] = json!("H");
    jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Catch": [c], "End": true},
               "H": {"Type": "Pass", "Output": {"out": "{% $states.input %}", "v": "{% $exists($v) ? $v : 'none' %}"}, "End": true}}),
        "T",
    )
}

#[test]
fn catch_without_output_passes_error_output() {
    let o = run_with(catching(json!({})), json!({}), |_, _| fail("E", "C"));
    assert_eq!(
        o.ok(),
        json!({"out": {"Error": "E", "Cause": "C"}, "v": "none"})
    );
}

#[test]
fn catch_output_and_assign_read_error_output() {
    let o = run_with(
        catching(
            json!({"Output": {"e": "{% $states.errorOutput.Error %}", "in": "{% $states.input.a %}"}, "Assign": {"v": "{% $states.errorOutput.Cause %}"}}),
        ),
        json!({"a": 1}),
        |_, _| fail("E", "C"),
    );
    assert_eq!(o.ok(), json!({"out": {"e": "E", "in": 1}, "v": "C"}));
}

#[test]
fn retry_then_succeed_in_jsonata_state() {
    let d = jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 1}], "Output": "{% $states.result %}", "End": true}}),
        "T",
    );
    let o = run_with(d, json!({}), |_, n| {
        if n == 0 {
            fail("E", "")
        } else {
            ok(json!("done"))
        }
    });
    assert_eq!(o.ok(), json!("done"));
}

#[test]
fn query_error_is_retried() {
    let d = jsonata(
        json!({"P": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Output": "{% $states.result.missing %}",
                     "Retry": [{"ErrorEquals": ["States.QueryEvaluationError"], "MaxAttempts": 2, "IntervalSeconds": 1}], "End": true}}),
        "P",
    );
    let o = run_with(d, json!({}), |_, _| ok(json!({})));
    assert_eq!(o.failed().0, "States.QueryEvaluationError");
    assert_eq!(o.tasks.len(), 3);
}

// ----- Choice ----------------------------------------------------------------------------------

fn choice_machine() -> Value {
    jsonata(
        json!({"C": {"Type": "Choice", "Choices": [
                    {"Condition": "{% $states.input.n > 10 %}", "Next": "Big", "Assign": {"kind": "big"}, "Output": {"n": "{% $states.input.n %}", "rule": 0}},
                    {"Condition": "{% $states.input.n > 5 %}", "Next": "Mid"}],
                "Default": "Small", "Output": {"default": true}},
               "Big": {"Type": "Pass", "Output": {"in": "{% $states.input %}", "kind": "{% $kind %}"}, "End": true},
               "Mid": {"Type": "Succeed"},
               "Small": {"Type": "Succeed"}}),
        "C",
    )
}

#[test]
fn choice_rule_output_and_assign() {
    assert_eq!(
        run(choice_machine(), json!({"n": 11})).ok(),
        json!({"in": {"n": 11, "rule": 0}, "kind": "big"})
    );
}

#[test]
fn choice_rule_without_output_uses_state_output() {
    assert_eq!(
        run(choice_machine(), json!({"n": 6})).ok(),
        json!({"default": true})
    );
}

#[test]
fn choice_default() {
    assert_eq!(
        run(choice_machine(), json!({"n": 1})).ok(),
        json!({"default": true})
    );
}

#[test]
fn choice_no_match() {
    let d = jsonata(
        json!({"C": {"Type": "Choice", "Choices": [{"Condition": "{% false %}", "Next": "S"}]}, "S": {"Type": "Succeed"}}),
        "C",
    );
    assert_eq!(run(d, json!({})).failed().0, "States.NoChoiceMatched");
}

#[test]
fn choice_literal_true_condition() {
    let d = jsonata(
        json!({"C": {"Type": "Choice", "Choices": [{"Condition": true, "Next": "S"}]}, "S": {"Type": "Succeed"}}),
        "C",
    );
    assert_eq!(run(d, json!({"a": 1})).ok(), json!({"a": 1}));
}

#[test]
fn choice_condition_must_be_boolean() {
    let d = jsonata(
        json!({"C": {"Type": "Choice", "Choices": [{"Condition": "{% 1 %}", "Next": "S"}]}, "S": {"Type": "Succeed"}}),
        "C",
    );
    let (e, c) = run(d, json!({})).failed();
    assert_eq!(e, "States.QueryEvaluationError");
    assert!(c.contains("Choices[0]/Condition"), "{c}");
}

#[test]
fn choice_condition_undefined_names_rule() {
    let d = jsonata(
        json!({"C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.x %}", "Next": "S"}]}, "S": {"Type": "Succeed"}}),
        "C",
    );
    let (_, c) = run(d, json!({})).failed();
    assert!(
        c.contains("field 'Choices[0]/Condition' returned nothing (undefined)"),
        "{c}"
    );
}

#[test]
fn choice_loop_with_variables() {
    let d = jsonata(
        json!({"Init": {"Type": "Pass", "Assign": {"n": "{% $states.input.n %}"}, "Next": "Check"},
               "Check": {"Type": "Choice", "Choices": [{"Condition": "{% $n > 0 %}", "Next": "Dec"}], "Default": "Done"},
               "Dec": {"Type": "Pass", "Assign": {"n": "{% $n - 1 %}"}, "Next": "Check"},
               "Done": {"Type": "Pass", "Output": "{% $n %}", "End": true}}),
        "Init",
    );
    assert_eq!(run(d, json!({"n": 5})).ok(), json!(0));
}

// ----- Wait, Succeed, Fail --------------------------------------------------------------------

#[test]
fn wait_seconds_expression() {
    let d = jsonata(
        json!({"W": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "End": true}}),
        "W",
    );
    let o = run(d, json!({"s": 30}));
    assert_eq!(o.ok(), json!({"s": 30}));
    assert_eq!((o.end_time - t0()).num_seconds(), 30);
}

#[test]
fn wait_seconds_literal_and_output() {
    let d = jsonata(
        json!({"W": {"Type": "Wait", "Seconds": 2, "Output": "{% 'waited' %}", "End": true}}),
        "W",
    );
    let o = run(d, json!({}));
    assert_eq!(o.ok(), json!("waited"));
    assert_eq!((o.end_time - t0()).num_seconds(), 2);
}

#[test]
fn wait_timestamp_expression() {
    let d = jsonata(
        json!({"W": {"Type": "Wait", "Timestamp": "{% $states.input.t %}", "End": true}}),
        "W",
    );
    let o = run(d, json!({"t": "2024-01-01T00:01:00Z"}));
    assert_eq!((o.end_time - t0()).num_seconds(), 60);
}

#[test]
fn wait_seconds_negative_fails() {
    let d = jsonata(
        json!({"W": {"Type": "Wait", "Seconds": "{% -1 %}", "End": true}}),
        "W",
    );
    assert_eq!(run(d, json!({})).failed().0, "States.QueryEvaluationError");
}

#[test]
fn wait_timestamp_invalid_fails() {
    let d = jsonata(
        json!({"W": {"Type": "Wait", "Timestamp": "{% 'soon' %}", "End": true}}),
        "W",
    );
    assert_eq!(run(d, json!({})).failed().0, "States.QueryEvaluationError");
}

#[test]
fn succeed_output() {
    let d = jsonata(
        json!({"S": {"Type": "Succeed", "Output": {"done": "{% $states.input.a %}"}}}),
        "S",
    );
    assert_eq!(run(d, json!({"a": 1})).ok(), json!({"done": 1}));
}

#[test]
fn fail_error_and_cause_expressions() {
    let d = jsonata(
        json!({"F": {"Type": "Fail", "Error": "{% $states.input.e %}", "Cause": "{% 'because ' & $states.input.c %}"}}),
        "F",
    );
    assert_eq!(
        run(d, json!({"e": "MyError", "c": "x"})).failed(),
        ("MyError".to_string(), "because x".to_string())
    );
}

#[test]
fn fail_literal_error() {
    let d = jsonata(
        json!({"F": {"Type": "Fail", "Error": "Plain", "Cause": "Text"}}),
        "F",
    );
    assert_eq!(
        run(d, json!({})).failed(),
        ("Plain".to_string(), "Text".to_string())
    );
}

#[test]
fn fail_error_must_be_string() {
    let d = jsonata(json!({"F": {"Type": "Fail", "Error": "{% 1 %}"}}), "F");
    assert_eq!(run(d, json!({})).failed().0, "States.QueryEvaluationError");
}

// ----- Parallel and Map ------------------------------------------------------------------------

#[test]
fn parallel_arguments_and_result() {
    let d = jsonata(
        json!({"P": {"Type": "Parallel", "Arguments": {"v": "{% $states.input.v %}"}, "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% $states.input.v + 1 %}", "End": true}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "Output": "{% $states.input.v * 10 %}", "End": true}}}],
                "Output": {"sum": "{% $sum($states.result) %}"}, "End": true}}),
        "P",
    );
    assert_eq!(run(d, json!({"v": 2})).ok(), json!({"sum": 23}));
}

#[test]
fn map_items_selector_and_output() {
    let d = jsonata(
        json!({"M": {"Type": "Map", "Items": "{% $states.input.xs %}",
                "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}", "i": "{% $states.context.Map.Item.Index %}", "k": "{% $states.input.k %}"},
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Output": "{% $states.input.v * $states.input.k + $states.input.i %}", "End": true}}},
                "Output": "{% $states.result %}", "End": true}}),
        "M",
    );
    assert_eq!(
        run(d, json!({"xs": [1, 2, 3], "k": 10})).ok(),
        json!([10, 21, 32])
    );
}

#[test]
fn map_literal_items_and_max_concurrency_expression() {
    let d = jsonata(
        json!({"M": {"Type": "Map", "Items": [1, 2], "MaxConcurrency": "{% 1 %}",
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}}),
        "M",
    );
    assert_eq!(run(d, json!({})).ok(), json!([1, 2]));
}

#[test]
fn map_without_items_uses_input() {
    let d = jsonata(
        json!({"M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}}),
        "M",
    );
    assert_eq!(run(d, json!([3, 4])).ok(), json!([3, 4]));
}

#[test]
fn map_items_must_be_array() {
    let d = jsonata(
        json!({"M": {"Type": "Map", "Items": "{% 'x' %}", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}}),
        "M",
    );
    assert_eq!(run(d, json!({})).failed().0, "States.QueryEvaluationError");
}

#[test]
fn map_inner_states_inherit_jsonata() {
    let d = jsonata(
        json!({"M": {"Type": "Map", "Items": "{% [1] %}", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Output": "{% $states.input + 1 %}", "End": true}}}, "End": true}}),
        "M",
    );
    assert_eq!(run(d, json!({})).ok(), json!([2]));
}

#[test]
fn map_variables_visible_in_iterations() {
    let d = jsonata(
        json!({"A": {"Type": "Pass", "Assign": {"k": 3}, "Next": "M"},
               "M": {"Type": "Map", "Items": [1, 2], "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Output": "{% $states.input * $k %}", "End": true}}}, "End": true}}),
        "A",
    );
    assert_eq!(run(d, json!({})).ok(), json!([3, 6]));
}

// ----- payload and depth limits ----------------------------------------------------------------

#[test]
fn output_over_payload_limit() {
    let (e, _) = pass(json!({"QueryLanguage": "JSONata", "Output": "{% $join($map([1..3000], function(){'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'})) %}"}), json!({})).unwrap_err();
    assert_eq!(e, "States.DataLimitExceeded");
}

#[test]
fn output_deeper_than_limit() {
    let (e, _) = pass(json!({"QueryLanguage": "JSONata", "Output": "{% $reduce([1..130], function($a, $x){{'a': $a}}, {}) %}"}), json!({})).unwrap_err();
    assert_eq!(e, "States.DataLimitExceeded");
}

#[test]
fn execution_is_reproducible() {
    let d = jsonata(
        json!({"P": {"Type": "Pass", "Output": ["{% $uuid() %}", "{% $random() %}"], "End": true}}),
        "P",
    );
    assert_eq!(run(d.clone(), json!({})).ok(), run(d, json!({})).ok());
}

// ----- definition rules ------------------------------------------------------------------------

macro_rules! refused_in_jsonata {
    ($($name:ident: $state:expr, $field:expr;)*) => {$(
        #[test]
        fn $name() {
            let d = json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": $state, "X": {"Type": "Succeed"}}});
            let ds = diags(d);
            assert!(
                ds.contains(&(format!("Field '{}' is not supported when the QueryLanguage is JSONata", $field), Some("/States/S".to_string()))),
                "{ds:?}"
            );
        }
    )*};
}

refused_in_jsonata! {
    jsonata_refuses_input_path: json!({"Type": "Pass", "InputPath": "$.a", "End": true}), "InputPath";
    jsonata_refuses_output_path: json!({"Type": "Pass", "OutputPath": "$.a", "End": true}), "OutputPath";
    jsonata_refuses_result_path: json!({"Type": "Pass", "ResultPath": "$.a", "End": true}), "ResultPath";
    jsonata_refuses_parameters: json!({"Type": "Pass", "Parameters": {}, "End": true}), "Parameters";
    jsonata_refuses_result: json!({"Type": "Pass", "Result": {}, "End": true}), "Result";
    jsonata_refuses_result_selector: json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultSelector": {}, "End": true}), "ResultSelector";
    jsonata_refuses_timeout_path: json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSecondsPath": "$.t", "End": true}), "TimeoutSecondsPath";
    jsonata_refuses_heartbeat_path: json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "HeartbeatSecondsPath": "$.t", "End": true}), "HeartbeatSecondsPath";
    jsonata_refuses_seconds_path: json!({"Type": "Wait", "SecondsPath": "$.s", "End": true}), "SecondsPath";
    jsonata_refuses_timestamp_path: json!({"Type": "Wait", "TimestampPath": "$.s", "End": true}), "TimestampPath";
    jsonata_refuses_items_path: json!({"Type": "Map", "ItemsPath": "$.a", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}), "ItemsPath";
    jsonata_refuses_max_concurrency_path: json!({"Type": "Map", "MaxConcurrencyPath": "$.a", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}), "MaxConcurrencyPath";
    jsonata_refuses_tolerated_count_path: json!({"Type": "Map", "ToleratedFailureCountPath": "$.a", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}), "ToleratedFailureCountPath";
    jsonata_refuses_tolerated_percentage_path: json!({"Type": "Map", "ToleratedFailurePercentagePath": "$.a", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}), "ToleratedFailurePercentagePath";
    jsonata_refuses_error_path: json!({"Type": "Fail", "ErrorPath": "$.e"}), "ErrorPath";
    jsonata_refuses_cause_path: json!({"Type": "Fail", "CausePath": "$.e"}), "CausePath";
}

macro_rules! refused_in_jsonpath {
    ($($name:ident: $state:expr, $field:expr;)*) => {$(
        #[test]
        fn $name() {
            let d = json!({"StartAt": "S", "States": {"S": $state, "X": {"Type": "Succeed"}}});
            let ds = diags(d);
            assert!(
                ds.contains(&(format!("Field '{}' is not supported when the QueryLanguage is JSONPath", $field), Some("/States/S".to_string()))),
                "{ds:?}"
            );
        }
    )*};
}

refused_in_jsonpath! {
    jsonpath_refuses_output: json!({"Type": "Pass", "Output": {}, "End": true}), "Output";
    jsonpath_refuses_arguments: json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {}, "End": true}), "Arguments";
    jsonpath_refuses_parallel_arguments: json!({"Type": "Parallel", "Arguments": {}, "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}], "End": true}), "Arguments";
    jsonpath_refuses_items: json!({"Type": "Map", "Items": [], "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}), "Items";
    jsonpath_refuses_succeed_output: json!({"Type": "Succeed", "Output": 1}), "Output";
    jsonpath_refuses_wait_output: json!({"Type": "Wait", "Seconds": 1, "Output": 1, "End": true}), "Output";
}

#[test]
fn jsonpath_refuses_condition() {
    let ds = diags(
        json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "S"}]}, "S": {"Type": "Succeed"}}}),
    );
    assert!(
        ds.contains(&(
            "Field 'Condition' is not supported when the QueryLanguage is JSONPath".to_string(),
            Some("/States/C/Choices[0]".to_string())
        )),
        "{ds:?}"
    );
}

#[test]
fn jsonpath_refuses_catcher_output() {
    let ds = diags(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Catch": [{"ErrorEquals": ["States.ALL"], "Output": 1, "Next": "S"}], "End": true}, "S": {"Type": "Succeed"}}}),
    );
    assert!(
        ds.contains(&(
            "Field 'Output' is not supported when the QueryLanguage is JSONPath".to_string(),
            Some("/States/T/Catch[0]".to_string())
        )),
        "{ds:?}"
    );
}

#[test]
fn jsonata_refuses_catcher_result_path() {
    let ds = diags(jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "S"}], "End": true}, "S": {"Type": "Succeed"}}),
        "T",
    ));
    assert!(
        ds.contains(&(
            "Field 'ResultPath' is not supported when the QueryLanguage is JSONata".to_string(),
            Some("/States/T/Catch[0]".to_string())
        )),
        "{ds:?}"
    );
}

macro_rules! jsonata_refuses_rule_field {
    ($($name:ident: $rule:expr, $field:expr;)*) => {$(
        #[test]
        fn $name() {
            let ds = diags(jsonata(json!({"C": {"Type": "Choice", "Choices": [$rule]}, "S": {"Type": "Succeed"}}), "C"));
            assert!(ds.contains(&(format!("Field '{}' is not supported when the QueryLanguage is JSONata", $field), Some("/States/C/Choices[0]".to_string()))), "{ds:?}");
        }
    )*};
}

jsonata_refuses_rule_field! {
    jsonata_refuses_variable: json!({"Variable": "$.a", "Condition": "{% true %}", "Next": "S"}), "Variable";
    jsonata_refuses_string_equals: json!({"StringEquals": "a", "Condition": "{% true %}", "Next": "S"}), "StringEquals";
    jsonata_refuses_numeric_equals_path: json!({"NumericEqualsPath": "$.a", "Condition": "{% true %}", "Next": "S"}), "NumericEqualsPath";
    jsonata_refuses_and: json!({"And": [], "Condition": "{% true %}", "Next": "S"}), "And";
    jsonata_refuses_or: json!({"Or": [], "Condition": "{% true %}", "Next": "S"}), "Or";
    jsonata_refuses_not: json!({"Not": {}, "Condition": "{% true %}", "Next": "S"}), "Not";
    jsonata_refuses_is_present: json!({"IsPresent": true, "Condition": "{% true %}", "Next": "S"}), "IsPresent";
}

#[test]
fn jsonata_rule_requires_condition() {
    let ds = diags(jsonata(
        json!({"C": {"Type": "Choice", "Choices": [{"Next": "S"}]}, "S": {"Type": "Succeed"}}),
        "C",
    ));
    assert!(
        ds.contains(&(
            "These fields are required: [Condition]".to_string(),
            Some("/States/C/Choices[0]".to_string())
        )),
        "{ds:?}"
    );
}

#[test]
fn jsonata_refuses_dollar_keys() {
    let ds = diags(jsonata(
        json!({"P": {"Type": "Pass", "Output": {"a.$": "States.UUID()"}, "End": true}}),
        "P",
    ));
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert_eq!(ds[0].1.as_deref(), Some("/States/P/Output/a.$"));
}

#[test]
fn jsonpath_state_in_jsonata_machine_is_refused() {
    let ds = diags(jsonata(
        json!({"P": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}),
        "P",
    ));
    assert_eq!(
        ds,
        vec![("The QueryLanguage 'JSONPath' cannot be used inside a state machine whose QueryLanguage is 'JSONata'".to_string(), Some("/States/P/QueryLanguage".to_string()))]
    );
}

#[test]
fn jsonpath_branch_in_jsonata_machine_is_refused() {
    let ds = diags(jsonata(
        json!({"P": {"Type": "Parallel", "Branches": [{"QueryLanguage": "JSONPath", "StartAt": "B", "States": {"B": {"Type": "Succeed"}}}], "End": true}}),
        "P",
    ));
    assert_eq!(
        ds[0].1.as_deref(),
        Some("/States/P/Branches[0]/QueryLanguage")
    );
}

#[test]
fn unknown_query_language() {
    let ds = diags(
        json!({"QueryLanguage": "XPath", "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}),
    );
    assert_eq!(
        ds,
        vec![(
            "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]"
                .to_string(),
            Some("/QueryLanguage".to_string())
        )]
    );
}

#[test]
fn syntax_error_is_a_definition_error() {
    let ds = diags(jsonata(
        json!({"P": {"Type": "Pass", "Output": {"a": "{% $states.input. %}"}, "End": true}}),
        "P",
    ));
    assert_eq!(ds.len(), 1);
    assert!(
        ds[0]
            .0
            .starts_with("The value for the field 'a' must be a valid JSONata expression: S0"),
        "{ds:?}"
    );
    assert_eq!(ds[0].1.as_deref(), Some("/States/P/Output/a"));
}

#[test]
fn malformed_delimiters_are_refused() {
    for bad in [" {% 1 %}", "{% 1 %} ", "{% 1"] {
        let ds = diags(jsonata(
            json!({"P": {"Type": "Pass", "Output": bad, "End": true}}),
            "P",
        ));
        assert_eq!(
            ds[0].1.as_deref(),
            Some("/States/P/Output"),
            "{bad}: {ds:?}"
        );
    }
}

#[test]
fn assign_variable_name_checked() {
    let ds = diags(jsonata(
        json!({"P": {"Type": "Pass", "Assign": {"states": 1}, "End": true}}),
        "P",
    ));
    assert_eq!(ds[0].1.as_deref(), Some("/States/P/Assign/states"));
}

#[test]
fn literal_timeout_range_checked() {
    let ds = diags(jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 0, "End": true}}),
        "T",
    ));
    assert_eq!(ds[0].1.as_deref(), Some("/States/T/TimeoutSeconds"));
}

#[test]
fn literal_heartbeat_must_be_below_timeout() {
    let ds = diags(jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 5, "HeartbeatSeconds": 5, "End": true}}),
        "T",
    ));
    assert_eq!(ds[0].1.as_deref(), Some("/States/T/HeartbeatSeconds"));
}

#[test]
fn wait_needs_seconds_or_timestamp() {
    let ds = diags(jsonata(json!({"W": {"Type": "Wait", "End": true}}), "W"));
    assert_eq!(
        ds[0].0,
        "Exactly one of the fields 'Seconds' or 'Timestamp' is required"
    );
}

#[test]
fn wait_literal_timestamp_checked() {
    let ds = diags(jsonata(
        json!({"W": {"Type": "Wait", "Timestamp": "tomorrow", "End": true}}),
        "W",
    ));
    assert_eq!(ds[0].1.as_deref(), Some("/States/W/Timestamp"));
}

#[test]
fn choice_rule_target_checked_and_reachable() {
    let ds = diags(jsonata(
        json!({"C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "Nope"}]}, "S": {"Type": "Succeed"}}),
        "C",
    ));
    assert!(
        ds.iter().any(|d| d.0 == "Missing 'Next' target: Nope"),
        "{ds:?}"
    );
    let ok = Definition::from_value(jsonata(
        json!({"C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "S"}]}, "S": {"Type": "Succeed"}}),
        "C",
    ));
    assert!(ok.is_ok());
}

#[test]
fn status_of_a_failed_query_is_failed() {
    let d = jsonata(
        json!({"P": {"Type": "Pass", "Output": "{% $x %}", "End": true}}),
        "P",
    );
    assert_eq!(run(d, json!({})).status, ExecutionStatus::Failed);
}

// ----- EvaluationFailed --------------------------------------------------------------------------
// API reference, EvaluationFailedEventDetails: "details about an evaluation failure that occurred
// while processing a state, for example, when a JSONata expression throws an error. This event will
// only be present in state machines that have QueryLanguage set to JSONata, or individual states
// set to JSONata." Members: state, error, cause, location.

fn evaluation_failed(o: &common::Outcome) -> Vec<Value> {
    o.events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .filter(|e| e["type"] == "EvaluationFailed")
        .collect()
}

#[test]
fn evaluation_failed_recorded_before_execution_failed() {
    let d = jsonata(
        json!({"P": {"Type": "Pass", "Output": "{% $states.input.a.b %}", "End": true}}),
        "P",
    );
    let o = run(d, json!({"a": 1}));
    let (error, cause) = o.failed();
    assert_eq!(error, "States.QueryEvaluationError");
    let types = o.types();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "EvaluationFailed",
            "ExecutionFailed"
        ]
    );
    let ev = &evaluation_failed(&o)[0];
    let details = &ev["evaluationFailedEventDetails"];
    assert_eq!(details["state"], "P");
    assert_eq!(details["error"], "States.QueryEvaluationError");
    assert_eq!(details["cause"], cause.as_str());
    assert_eq!(details["location"], "Output");
    // The events stay one chain: the failure follows the evaluation failure.
    let all: Vec<Value> = o
        .events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    assert_eq!(ev["previousEventId"], all[1]["id"]);
    assert_eq!(all[3]["previousEventId"], ev["id"]);
}

#[test]
fn evaluation_failed_names_each_field() {
    let cases = [
        (
            json!({"Type": "Pass", "Assign": {"x": "{% $nothing.y %}"}, "End": true}),
            "Assign",
        ),
        (
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": "{% $states.input.nope %}", "End": true}),
            "Arguments",
        ),
        (
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": "{% 'ten' %}", "End": true}),
            "TimeoutSeconds",
        ),
        (
            json!({"Type": "Wait", "Seconds": "{% -1 %}", "End": true}),
            "Seconds",
        ),
        (
            json!({"Type": "Fail", "Error": "{% $states.input.none %}", "Cause": "c"}),
            "Error",
        ),
        (
            json!({"Type": "Map", "Items": "{% 5 %}", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true}),
            "Items",
        ),
    ];
    for (state, field) in cases {
        let o = run_with(jsonata(json!({ "S": state }), "S"), json!({}), |_, _| {
            ok(json!({}))
        });
        assert_eq!(o.failed().0, "States.QueryEvaluationError", "{field}");
        let evs = evaluation_failed(&o);
        assert_eq!(evs.len(), 1, "{field}: {:?}", o.types());
        assert_eq!(evs[0]["evaluationFailedEventDetails"]["location"], field);
        assert_eq!(evs[0]["evaluationFailedEventDetails"]["state"], "S");
    }
}

#[test]
fn evaluation_failed_choice_condition() {
    let d = jsonata(
        json!({"C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.x > 1 %}", "Next": "D"}], "Default": "D"},
               "D": {"Type": "Succeed"}}),
        "C",
    );
    let o = run(d, json!({"x": "a string"}));
    assert_eq!(o.failed().0, "States.QueryEvaluationError");
    let evs = evaluation_failed(&o);
    assert_eq!(evs.len(), 1);
    assert_eq!(
        evs[0]["evaluationFailedEventDetails"]["location"],
        "Condition"
    );
}

#[test]
fn evaluation_failed_recorded_when_caught_and_on_each_retry() {
    // Caught: the evaluation failure is still in the history, before the state is left.
    let d = jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Output": "{% $states.result.a.b %}",
                     "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "H"}], "End": true},
               "H": {"Type": "Succeed"}}),
        "T",
    );
    let o = run_with(d, json!({}), |_, _| ok(json!({"a": 1})));
    o.ok();
    let types = o.types();
    let at = types.iter().position(|t| t == "EvaluationFailed").unwrap();
    assert_eq!(types[at + 1], "TaskStateExited", "{types:?}");
    assert_eq!(evaluation_failed(&o).len(), 1);

    // Retried twice, then failed: one event per failed evaluation.
    let d = jsonata(
        json!({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Output": "{% $states.result.a.b %}",
                     "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 1}], "End": true}}),
        "T",
    );
    let o = run_with(d, json!({}), |_, _| ok(json!({"a": 1})));
    assert_eq!(o.failed().0, "States.QueryEvaluationError");
    assert_eq!(evaluation_failed(&o).len(), 3);
}

#[test]
fn no_evaluation_failed_in_jsonpath_states() {
    // A JSONPath intrinsic failure is States.Runtime, with no EvaluationFailed event.
    let d = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"x.$": "States.StringToJson($.s)"}, "End": true}}});
    let o = run(d, json!({"s": "{not json"}));
    let _ = o.failed();
    assert!(evaluation_failed(&o).is_empty(), "{:?}", o.types());
}
