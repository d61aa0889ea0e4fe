//! Choice state rules, from the States Language spec and the developer guide.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use asl::choice::string_matches;
use common::*;
use serde_json::{Value, json};

/// Runs a Choice with one rule (→ "yes") and Default (→ "no").
fn choose(rule: Value, input: Value) -> Result<String, (String, String)> {
    let mut r = rule;
    r["Next"] = json!("Yes");
    let d = json!({
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [r], "Default": "No"},
            "Yes": {"Type": "Pass", "Result": "yes", "End": true},
            "No": {"Type": "Pass", "Result": "no", "End": true}
        }
    });
    let o = run(d, input);
    match o.status {
        asl::ExecutionStatus::Succeeded => Ok(o.output.unwrap().as_str().unwrap().to_string()),
        _ => Err(o.error.unwrap()),
    }
}

fn yes(rule: Value, input: Value) {
    assert_eq!(
        choose(rule.clone(), input.clone()).unwrap(),
        "yes",
        "rule {rule} on {input}"
    );
}

fn no(rule: Value, input: Value) {
    assert_eq!(
        choose(rule.clone(), input.clone()).unwrap(),
        "no",
        "rule {rule} on {input}"
    );
}

#[test]
fn string_equals() {
    yes(
        json!({"Variable": "$.s", "StringEquals": "abc"}),
        json!({"s": "abc"}),
    );
    no(
        json!({"Variable": "$.s", "StringEquals": "abc"}),
        json!({"s": "abd"}),
    );
}

#[test]
fn string_equals_type_mismatch_is_false() {
    no(
        json!({"Variable": "$.s", "StringEquals": "1"}),
        json!({"s": 1}),
    );
}

#[test]
fn string_ordering() {
    yes(
        json!({"Variable": "$.s", "StringLessThan": "b"}),
        json!({"s": "a"}),
    );
    no(
        json!({"Variable": "$.s", "StringLessThan": "a"}),
        json!({"s": "a"}),
    );
    yes(
        json!({"Variable": "$.s", "StringLessThanEquals": "a"}),
        json!({"s": "a"}),
    );
    yes(
        json!({"Variable": "$.s", "StringGreaterThan": "a"}),
        json!({"s": "b"}),
    );
    yes(
        json!({"Variable": "$.s", "StringGreaterThanEquals": "b"}),
        json!({"s": "b"}),
    );
    no(
        json!({"Variable": "$.s", "StringGreaterThanEquals": "c"}),
        json!({"s": "b"}),
    );
}

#[test]
fn string_ordering_is_case_sensitive_codepoint_order() {
    yes(
        json!({"Variable": "$.s", "StringLessThan": "a"}),
        json!({"s": "Z"}),
    );
}

#[test]
fn numeric_equals_int_and_float() {
    yes(
        json!({"Variable": "$.n", "NumericEquals": 1}),
        json!({"n": 1.0}),
    );
    no(
        json!({"Variable": "$.n", "NumericEquals": 1}),
        json!({"n": 2}),
    );
}

#[test]
fn numeric_ordering() {
    yes(
        json!({"Variable": "$.n", "NumericLessThan": 10}),
        json!({"n": 9.5}),
    );
    no(
        json!({"Variable": "$.n", "NumericLessThan": 10}),
        json!({"n": 10}),
    );
    yes(
        json!({"Variable": "$.n", "NumericLessThanEquals": 10}),
        json!({"n": 10}),
    );
    yes(
        json!({"Variable": "$.n", "NumericGreaterThan": -1}),
        json!({"n": 0}),
    );
    yes(
        json!({"Variable": "$.n", "NumericGreaterThanEquals": 0}),
        json!({"n": 0}),
    );
}

#[test]
fn numeric_against_string_is_false() {
    no(
        json!({"Variable": "$.n", "NumericEquals": 1}),
        json!({"n": "1"}),
    );
}

#[test]
fn boolean_equals() {
    yes(
        json!({"Variable": "$.b", "BooleanEquals": true}),
        json!({"b": true}),
    );
    no(
        json!({"Variable": "$.b", "BooleanEquals": true}),
        json!({"b": false}),
    );
    no(
        json!({"Variable": "$.b", "BooleanEquals": true}),
        json!({"b": "true"}),
    );
}

#[test]
fn timestamps() {
    yes(
        json!({"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z"}),
        json!({"t": "2016-03-14T01:59:00Z"}),
    );
    yes(
        json!({"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z"}),
        json!({"t": "2016-03-14T02:59:00+01:00"}),
    );
    yes(
        json!({"Variable": "$.t", "TimestampLessThan": "2016-03-14T01:59:00Z"}),
        json!({"t": "2016-03-14T01:58:59.999Z"}),
    );
    yes(
        json!({"Variable": "$.t", "TimestampGreaterThan": "2016-03-14T01:59:00Z"}),
        json!({"t": "2017-01-01T00:00:00Z"}),
    );
    yes(
        json!({"Variable": "$.t", "TimestampLessThanEquals": "2016-03-14T01:59:00Z"}),
        json!({"t": "2016-03-14T01:59:00Z"}),
    );
    yes(
        json!({"Variable": "$.t", "TimestampGreaterThanEquals": "2016-03-14T01:59:00Z"}),
        json!({"t": "2016-03-14T01:59:00Z"}),
    );
}

#[test]
fn timestamp_with_lowercase_t_is_not_a_timestamp() {
    no(
        json!({"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z"}),
        json!({"t": "2016-03-14t01:59:00Z"}),
    );
}

#[test]
fn string_matches_wildcards() {
    yes(
        json!({"Variable": "$.f", "StringMatches": "log-*.txt"}),
        json!({"f": "log-2024.txt"}),
    );
    no(
        json!({"Variable": "$.f", "StringMatches": "log-*.txt"}),
        json!({"f": "log-2024.csv"}),
    );
    yes(
        json!({"Variable": "$.f", "StringMatches": "*"}),
        json!({"f": ""}),
    );
}

#[test]
fn string_matches_escapes() {
    assert!(string_matches("a*b", "a\\*b"));
    assert!(!string_matches("axb", "a\\*b"));
    assert!(string_matches("a\\b", "a\\\\b"));
    assert!(string_matches("abcabc", "*abc"));
    assert!(string_matches("abc", "a*b*c"));
    assert!(!string_matches("ab", "a*b*c"));
}

#[test]
fn is_null() {
    yes(
        json!({"Variable": "$.x", "IsNull": true}),
        json!({"x": null}),
    );
    no(json!({"Variable": "$.x", "IsNull": true}), json!({"x": 1}));
    yes(json!({"Variable": "$.x", "IsNull": false}), json!({"x": 1}));
}

#[test]
fn is_present() {
    yes(
        json!({"Variable": "$.x", "IsPresent": true}),
        json!({"x": null}),
    );
    no(json!({"Variable": "$.x", "IsPresent": true}), json!({}));
    yes(json!({"Variable": "$.x", "IsPresent": false}), json!({}));
    yes(
        json!({"Variable": "$.a.b.c", "IsPresent": false}),
        json!({"a": 1}),
    );
}

#[test]
fn type_tests() {
    yes(
        json!({"Variable": "$.x", "IsNumeric": true}),
        json!({"x": 1.5}),
    );
    no(
        json!({"Variable": "$.x", "IsNumeric": true}),
        json!({"x": "1.5"}),
    );
    yes(
        json!({"Variable": "$.x", "IsString": true}),
        json!({"x": "s"}),
    );
    yes(
        json!({"Variable": "$.x", "IsBoolean": true}),
        json!({"x": false}),
    );
    yes(
        json!({"Variable": "$.x", "IsTimestamp": true}),
        json!({"x": "2016-03-14T01:59:00Z"}),
    );
    no(
        json!({"Variable": "$.x", "IsTimestamp": true}),
        json!({"x": "yesterday"}),
    );
    yes(
        json!({"Variable": "$.x", "IsString": false}),
        json!({"x": 3}),
    );
}

#[test]
fn path_forms() {
    yes(
        json!({"Variable": "$.a", "StringEqualsPath": "$.b"}),
        json!({"a": "x", "b": "x"}),
    );
    yes(
        json!({"Variable": "$.a", "NumericLessThanPath": "$.b"}),
        json!({"a": 1, "b": 2}),
    );
    yes(
        json!({"Variable": "$.a", "BooleanEqualsPath": "$.b"}),
        json!({"a": true, "b": true}),
    );
    yes(
        json!({"Variable": "$.a", "TimestampGreaterThanPath": "$.b"}),
        json!({"a": "2020-01-02T00:00:00Z", "b": "2020-01-01T00:00:00Z"}),
    );
    no(
        json!({"Variable": "$.a", "NumericGreaterThanEqualsPath": "$.b"}),
        json!({"a": 1, "b": 2}),
    );
}

#[test]
fn and_or_not() {
    let rule = json!({"And": [
        {"Variable": "$.n", "NumericGreaterThanEquals": 20},
        {"Variable": "$.n", "NumericLessThan": 30}
    ]});
    yes(rule.clone(), json!({"n": 25}));
    no(rule, json!({"n": 30}));
    let rule = json!({"Or": [
        {"Variable": "$.s", "StringEquals": "a"},
        {"Variable": "$.s", "StringEquals": "b"}
    ]});
    yes(rule.clone(), json!({"s": "b"}));
    no(rule, json!({"s": "c"}));
    let rule = json!({"Not": {"Variable": "$.type", "StringEquals": "Private"}});
    yes(rule.clone(), json!({"type": "Public"}));
    no(rule, json!({"type": "Private"}));
}

#[test]
fn nested_and_inside_or() {
    let rule = json!({"Or": [
        {"And": [{"Variable": "$.a", "IsPresent": true}, {"Variable": "$.a", "NumericEquals": 1}]},
        {"Variable": "$.b", "BooleanEquals": true}
    ]});
    yes(rule.clone(), json!({"a": 1}));
    yes(rule.clone(), json!({"b": true}));
    no(rule, json!({"a": 2, "b": false}));
}

#[test]
fn and_short_circuits_before_missing_path() {
    // IsPresent guards the comparison so the missing path is never read.
    let rule = json!({"And": [
        {"Variable": "$.a", "IsPresent": true},
        {"Variable": "$.a", "StringEquals": "x"}
    ]});
    no(rule, json!({}));
}

#[test]
fn missing_variable_is_a_runtime_error() {
    let (e, c) = choose(
        json!({"Variable": "$.missing", "StringEquals": "x"}),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(e, "States.Runtime");
    assert_eq!(
        c,
        "An error occurred while executing the state 'C' (entered at the event id #2). Invalid path '$.missing': The choice state's condition path references an invalid value."
    );
}

#[test]
fn no_match_without_default_fails() {
    let d = json!({
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "E"}]},
            "E": {"Type": "Succeed"}
        }
    });
    let o = run(d, json!({"x": 2}));
    assert_eq!(
        o.failed(),
        (
            "States.NoChoiceMatched".to_string(),
            "No Matches!".to_string()
        )
    );
}

#[test]
fn first_matching_rule_wins() {
    let d = json!({
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [
                {"Variable": "$.x", "NumericGreaterThan": 0, "Next": "A"},
                {"Variable": "$.x", "NumericGreaterThan": 1, "Next": "B"}
            ]},
            "A": {"Type": "Pass", "Result": "A", "End": true},
            "B": {"Type": "Pass", "Result": "B", "End": true}
        }
    });
    assert_eq!(run(d, json!({"x": 5})).ok(), json!("A"));
}

#[test]
fn choice_input_and_output_paths() {
    let d = json!({
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "InputPath": "$.in", "OutputPath": "$.v",
                  "Choices": [{"Variable": "$.v", "IsPresent": true, "Next": "E"}]},
            "E": {"Type": "Succeed"}
        }
    });
    assert_eq!(run(d, json!({"in": {"v": 7}})).ok(), json!(7));
}

#[test]
fn choice_on_context_object() {
    yes(
        json!({"Variable": "$$.Execution.Name", "StringEquals": "exec-1"}),
        json!({}),
    );
}

#[test]
fn spec_example_public_type() {
    // The spec's Choice example: "Not" of StringEquals "Private" plus a numeric range.
    let d = json!({
        "StartAt": "ChoiceStateX",
        "States": {
            "ChoiceStateX": {
                "Type": "Choice",
                "Choices": [
                    {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                    {"And": [
                        {"Variable": "$.value", "IsPresent": true},
                        {"Variable": "$.value", "IsNumeric": true},
                        {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                        {"Variable": "$.value", "NumericLessThan": 30}
                    ], "Next": "ValueInTwenties"}
                ],
                "Default": "DefaultState"
            },
            "Public": {"Type": "Pass", "Result": "Public", "End": true},
            "ValueInTwenties": {"Type": "Pass", "Result": "Twenties", "End": true},
            "DefaultState": {"Type": "Fail", "Error": "DefaultStateError", "Cause": "No Matches!"}
        }
    });
    assert_eq!(
        run(d.clone(), json!({"type": "Public"})).ok(),
        json!("Public")
    );
    assert_eq!(
        run(d.clone(), json!({"type": "Private", "value": 22})).ok(),
        json!("Twenties")
    );
    assert_eq!(
        run(d, json!({"type": "Private", "value": 35})).failed(),
        ("DefaultStateError".to_string(), "No Matches!".to_string())
    );
}

#[test]
fn invalid_operand_type_is_a_definition_error() {
    let msg = invalid(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": "1", "Next": "E"}]},
        "E": {"Type": "Succeed"}}}));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the field 'NumericEquals' must be a NUMBER at /States/C/Choices[0]/NumericEquals'"
    );
}

#[test]
fn rule_without_next_is_a_definition_error() {
    let msg = invalid(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": true}], "Default": "E"},
        "E": {"Type": "Succeed"}}}));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [Next] at /States/C/Choices[0]'"
    );
}

#[test]
fn unknown_operator_is_a_definition_error() {
    let msg = invalid(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringContains": "a", "Next": "E"}]},
        "E": {"Type": "Succeed"}}}));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Field 'StringContains' is not supported at /States/C/Choices[0]'"
    );
}

#[test]
fn empty_choices_is_a_definition_error() {
    let msg = invalid(
        json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [], "Default": "E"},
        "E": {"Type": "Succeed"}}}),
    );
    assert!(msg.contains("SCHEMA_VALIDATION_FAILED"), "{msg}");
    assert!(msg.contains("at /States/C/Choices"), "{msg}");
}

#[test]
fn next_inside_nested_rule_is_a_definition_error() {
    let msg = invalid(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.x", "IsNull": true, "Next": "E"}, "Next": "E"}]},
        "E": {"Type": "Succeed"}}}));
    assert!(
        msg.contains("Field 'Next' is not supported at /States/C/Choices[0]/Not"),
        "{msg}"
    );
}
