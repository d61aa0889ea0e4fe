//! Definition validation: the problems CreateStateMachine refuses, all reported at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use asl::{Definition, DiagnosticCode};
use common::*;
use serde_json::{Value, json};

fn codes(v: Value) -> Vec<(DiagnosticCode, Option<String>)> {
    match Definition::from_value(v) {
        Ok(_) => panic!("should be invalid"),
        Err(e) => e
            .diagnostics
            .into_iter()
            .map(|d| (d.code, d.location))
            .collect(),
    }
}

fn one_state(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state}})
}

#[test]
fn minimal_valid_definition() {
    assert!(Definition::parse(r#"{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#).is_ok());
}

#[test]
fn missing_next_target_and_unreachable_state_aws_example() {
    // The exact message AWS gives for this definition.
    let msg = invalid(json!({
        "StartAt": "pass1",
        "States": {
            "pass1": {"Type": "Pass", "Next": "pass3"},
            "pass2": {"Type": "Pass", "End": true}
        }
    }));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State \"pass2\" is not reachable. at /States/pass2'"
    );
}

#[test]
fn missing_start_at_target() {
    let msg = invalid(json!({"StartAt": "Nope", "States": {"A": {"Type": "Succeed"}}}));
    assert!(msg.starts_with("Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /StartAt"), "{msg}");
}

#[test]
fn no_terminal_state() {
    let msg = invalid(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Next": "A"}}}));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state'"
    );
}

#[test]
fn invalid_json() {
    let e = Definition::parse("{not json").unwrap_err();
    assert_eq!(
        e.diagnostics[0].code,
        DiagnosticCode::InvalidJsonDescription
    );
    assert!(
        e.to_string()
            .starts_with("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: ")
    );
}

#[test]
fn empty_definition() {
    let e = Definition::parse("  ").unwrap_err();
    assert_eq!(e.diagnostics[0].code, DiagnosticCode::MissingDescription);
}

#[test]
fn missing_type() {
    let msg = invalid(one_state(json!({"End": true})));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [Type] at /States/S'"
    );
}

#[test]
fn unknown_type() {
    let c = codes(one_state(json!({"Type": "Sleep", "End": true})));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Type".into())
        )]
    );
}

#[test]
fn unknown_top_level_field() {
    let msg =
        invalid(json!({"StartAt": "A", "Coment": "typo", "States": {"A": {"Type": "Succeed"}}}));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Field 'Coment' is not supported at /'"
    );
}

#[test]
fn missing_start_at_and_states() {
    let msg = invalid(json!({"Comment": "x"}));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt, States] at /'"
    );
}

#[test]
fn unsupported_field_per_state_type() {
    let cases = [
        json!({"Type": "Wait", "Seconds": 1, "ResultPath": "$.x", "End": true}),
        json!({"Type": "Pass", "TimeoutSeconds": 5, "End": true}),
        json!({"Type": "Pass", "Catch": [], "End": true}),
        json!({"Type": "Pass", "Retry": [], "End": true}),
        json!({"Type": "Succeed", "Next": "S"}),
        json!({"Type": "Fail", "InputPath": "$"}),
        json!({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "S"}], "ResultPath": "$"}),
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Result": {}, "End": true}),
        json!({"Type": "Pass", "Output": {}, "End": true}),
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {}, "End": true}),
    ];
    for c in cases {
        let ty = c["Type"].as_str().unwrap().to_string();
        let d = json!({"StartAt": "S", "States": {"S": c, "X": {"Type": "Succeed"}}});
        let r = Definition::from_value(d);
        let e = r.expect_err(&ty);
        assert!(
            e.diagnostics
                .iter()
                .any(|d| d.code == DiagnosticCode::SchemaValidationFailed
                    && d.message.starts_with("Field '")
                    && d.message.contains("' is not supported")
                    && d.location.as_deref() == Some("/States/S")),
            "{ty}: {e}"
        );
    }
}

#[test]
fn next_and_end_both() {
    let c = codes(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B", "End": true}, "B": {"Type": "Succeed"}}}),
    );
    assert!(c.contains(&(
        DiagnosticCode::SchemaValidationFailed,
        Some("/States/A".into())
    )));
}

#[test]
fn neither_next_nor_end() {
    let c =
        codes(json!({"StartAt": "A", "States": {"A": {"Type": "Pass"}, "B": {"Type": "Succeed"}}}));
    assert!(c.contains(&(
        DiagnosticCode::SchemaValidationFailed,
        Some("/States/A".into())
    )));
}

#[test]
fn all_problems_are_listed() {
    let e = Definition::from_value(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "Missing1", "Bogus": 1},
        "B": {"Type": "Task", "Resource": "not-an-arn", "End": true},
        "C": {"Type": "Wait", "End": true}
    }}))
    .unwrap_err();
    let locs: Vec<(String, Option<String>)> = e
        .diagnostics
        .iter()
        .map(|d| (d.code.to_string(), d.location.clone()))
        .collect();
    assert!(
        locs.contains(&("SCHEMA_VALIDATION_FAILED".into(), Some("/States/A".into()))),
        "{e}"
    );
    assert!(
        locs.contains(&(
            "MISSING_TRANSITION_TARGET".into(),
            Some("/States/A/Next".into())
        )),
        "{e}"
    );
    assert!(
        locs.contains(&(
            "SCHEMA_VALIDATION_FAILED".into(),
            Some("/States/B/Resource".into())
        )),
        "{e}"
    );
    assert!(
        locs.contains(&("SCHEMA_VALIDATION_FAILED".into(), Some("/States/C".into()))),
        "{e}"
    );
}

#[test]
fn invalid_resource_arn() {
    let msg = invalid(one_state(
        json!({"Type": "Task", "Resource": "my-function", "End": true}),
    ));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/S/Resource'"
    );
}

#[test]
fn task_requires_resource() {
    let msg = invalid(one_state(json!({"Type": "Task", "End": true})));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [Resource] at /States/S'"
    );
}

#[test]
fn invalid_input_path() {
    let msg = invalid(one_state(
        json!({"Type": "Pass", "InputPath": "foo", "End": true}),
    ));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the field 'InputPath' must be a valid JSONPath at /States/S/InputPath'"
    );
}

#[test]
fn result_path_must_be_reference_path() {
    let msg = invalid(one_state(
        json!({"Type": "Pass", "ResultPath": "$.a[*]", "End": true}),
    ));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the field 'ResultPath' must be a valid ReferencePath at /States/S/ResultPath'"
    );
}

#[test]
fn dynamic_parameter_must_be_a_path() {
    let msg = invalid(one_state(
        json!({"Type": "Pass", "Parameters": {"a.$": "not a path"}, "End": true}),
    ));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call at /States/S/Parameters/a.$'"
    );
}

#[test]
fn dynamic_parameter_must_be_a_string() {
    let c = codes(one_state(
        json!({"Type": "Pass", "Parameters": {"a.$": 5}, "End": true}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Parameters/a.$".into())
        )]
    );
}

#[test]
fn nested_dynamic_parameter_location() {
    let c = codes(one_state(
        json!({"Type": "Pass", "Parameters": {"o": {"b.$": "x"}}, "End": true}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Parameters/o/b.$".into())
        )]
    );
}

#[test]
fn timeout_seconds_must_be_positive() {
    let c = codes(one_state(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 0, "End": true}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/TimeoutSeconds".into())
        )]
    );
}

#[test]
fn heartbeat_must_be_below_timeout() {
    let c = codes(one_state(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "TimeoutSeconds": 10, "HeartbeatSeconds": 10, "End": true}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/HeartbeatSeconds".into())
        )]
    );
}

#[test]
fn timeout_and_timeout_path_exclusive() {
    let c = codes(one_state(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "TimeoutSeconds": 10, "TimeoutSecondsPath": "$.t", "End": true}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S".into())
        )]
    );
}

#[test]
fn wait_needs_exactly_one_duration() {
    assert_eq!(
        codes(one_state(json!({"Type": "Wait", "End": true}))).len(),
        1
    );
    assert_eq!(
        codes(one_state(
            json!({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true})
        ))
        .len(),
        1
    );
}

#[test]
fn wait_timestamp_must_be_valid() {
    let c = codes(one_state(
        json!({"Type": "Wait", "Timestamp": "tomorrow", "End": true}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Timestamp".into())
        )]
    );
}

#[test]
fn wait_seconds_negative_rejected() {
    let c = codes(one_state(
        json!({"Type": "Wait", "Seconds": -1, "End": true}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Seconds".into())
        )]
    );
}

#[test]
fn fail_error_and_error_path_exclusive() {
    let c = codes(one_state(
        json!({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S".into())
        )]
    );
}

#[test]
fn states_all_must_be_alone() {
    let c = codes(one_state(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["States.ALL", "Custom"]}]}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Retry[0]/ErrorEquals".into())
        )]
    );
}

#[test]
fn states_all_must_be_last_retrier() {
    let c = codes(one_state(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Custom"]}]}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Retry[0]/ErrorEquals".into())
        )]
    );
}

#[test]
fn states_all_must_be_last_catcher() {
    let c = codes(json!({"StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "X"}, {"ErrorEquals": ["Custom"], "Next": "X"}]},
        "X": {"Type": "Succeed"}}}));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Catch[0]/ErrorEquals".into())
        )]
    );
}

#[test]
fn retrier_field_ranges() {
    let c = codes(one_state(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 0, "MaxAttempts": -1, "BackoffRate": 0.5,
                   "MaxDelaySeconds": 0, "JitterStrategy": "SOME"}]}),
    ));
    let locs: Vec<String> = c.into_iter().filter_map(|(_, l)| l).collect();
    assert_eq!(
        locs,
        vec![
            "/States/S/Retry[0]/IntervalSeconds",
            "/States/S/Retry[0]/MaxAttempts",
            "/States/S/Retry[0]/BackoffRate",
            "/States/S/Retry[0]/MaxDelaySeconds",
            "/States/S/Retry[0]/JitterStrategy",
        ]
    );
}

#[test]
fn retrier_requires_error_equals() {
    let c = codes(one_state(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"MaxAttempts": 1}]}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Retry[0]".into())
        )]
    );
}

#[test]
fn catcher_missing_target() {
    let msg = invalid(one_state(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Nowhere"}]}),
    ));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/S/Catch[0]/Next'"
    );
}

#[test]
fn choice_default_missing_target() {
    let msg = invalid(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "E"}], "Default": "Gone"},
        "E": {"Type": "Succeed"}}}));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: Gone at /States/C/Default'"
    );
}

#[test]
fn catch_target_counts_as_reachable() {
    assert!(
        Definition::from_value(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
        "H": {"Type": "Fail"}}}))
        .is_ok()
    );
}

#[test]
fn parallel_branch_errors_are_located_inside_branch() {
    let msg = invalid(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Z"}}}
        ]}}}),
    );
    assert!(msg.contains("MISSING_TRANSITION_TARGET: Missing 'Next' target: Z at /States/P/Branches[0]/States/A/Next"), "{msg}");
}

#[test]
fn branch_cannot_transition_to_outer_state() {
    let c = codes(json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Out", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Out"}, "B": {"Type": "Succeed"}}}
        ]},
        "Out": {"Type": "Succeed"}}}));
    assert!(c.contains(&(
        DiagnosticCode::MissingTransitionTarget,
        Some("/States/P/Branches[0]/States/A/Next".into())
    )));
}

#[test]
fn duplicate_state_names_across_branches() {
    let c = codes(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}},
            {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}
        ]}}}),
    );
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::DuplicateStateName,
            Some("/States/P/Branches[1]/States/A".into())
        )]
    );
}

#[test]
fn state_name_too_long() {
    let name = "n".repeat(81);
    let c = codes(json!({"StartAt": name.clone(), "States": {name: {"Type": "Succeed"}}}));
    assert_eq!(c[0].0, DiagnosticCode::InvalidStateName);
}

#[test]
fn parallel_requires_branches() {
    let msg = invalid(one_state(json!({"Type": "Parallel", "End": true})));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [Branches] at /States/S'"
    );
}

#[test]
fn map_requires_processor() {
    let msg = invalid(one_state(json!({"Type": "Map", "End": true})));
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [ItemProcessor] at /States/S'"
    );
}

#[test]
fn map_with_legacy_iterator_is_valid() {
    assert!(
        Definition::from_value(one_state(json!({"Type": "Map", "End": true,
        "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}})))
        .is_ok()
    );
}

#[test]
fn map_item_selector_and_parameters_exclusive() {
    let c = codes(one_state(
        json!({"Type": "Map", "End": true, "ItemSelector": {}, "Parameters": {},
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S".into())
        )]
    );
}

#[test]
fn map_processor_errors_are_located_inside() {
    let c = codes(one_state(json!({"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass"}}}})));
    assert!(c.contains(&(
        DiagnosticCode::SchemaValidationFailed,
        Some("/States/S/ItemProcessor/States/I".into())
    )));
}

#[test]
fn jsonata_is_accepted() {
    assert!(
        Definition::from_value(
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
        )
        .is_ok()
    );
}

#[test]
fn jsonata_state_is_accepted() {
    assert!(
        Definition::from_value(one_state(
            json!({"Type": "Pass", "QueryLanguage": "JSONata", "End": true})
        ))
        .is_ok()
    );
}

#[test]
fn jsonpath_query_language_is_accepted() {
    assert!(Definition::from_value(json!({"QueryLanguage": "JSONPath", "StartAt": "A", "States": {"A": {"Type": "Succeed", "QueryLanguage": "JSONPath"}}})).is_ok());
}

#[test]
fn version_must_be_1_0() {
    let c = codes(json!({"Version": "2.0", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/Version".into())
        )]
    );
}

#[test]
fn invalid_variable_name_in_assign() {
    let c = codes(one_state(
        json!({"Type": "Pass", "Assign": {"1bad": 1}, "End": true}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Assign/1bad".into())
        )]
    );
}

#[test]
fn distributed_map_item_reader_is_refused_clearly() {
    let c = codes(one_state(
        json!({"Type": "Map", "End": true, "ItemReader": {"Resource": "arn:aws:states:::s3:getObject"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/ItemReader".into())
        )]
    );
}

#[test]
fn diagnostics_serialize_like_the_api() {
    let e = Definition::from_value(json!({"StartAt": "X", "States": {"A": {"Type": "Succeed"}}}))
        .unwrap_err();
    let v = serde_json::to_value(&e.diagnostics[0]).unwrap();
    assert_eq!(
        v,
        json!({"code": "MISSING_TRANSITION_TARGET", "message": "Missing 'Next' target: X", "location": "/StartAt", "severity": "ERROR"})
    );
}

#[test]
fn definition_round_trips_through_serde() {
    let src = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}});
    let d = Definition::from_value(src.clone()).unwrap();
    let s = serde_json::to_string(&d).unwrap();
    let back: Definition = serde_json::from_str(&s).unwrap();
    assert_eq!(back.source(), &src);
}

#[test]
fn non_object_definition() {
    let c = codes(json!([1, 2]));
    assert_eq!(
        c,
        vec![(DiagnosticCode::SchemaValidationFailed, Some("/".into()))]
    );
}

#[test]
fn all_state_types_parse() {
    let d = json!({
        "Comment": "every state type",
        "StartAt": "Pass",
        "TimeoutSeconds": 300,
        "Version": "1.0",
        "States": {
            "Pass": {"Type": "Pass", "Comment": "c", "Result": {"a": 1}, "ResultPath": "$.r", "Next": "Task"},
            "Task": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                     "ResultSelector": {"p.$": "$.Payload"}, "ResultPath": "$.t", "OutputPath": "$",
                     "TimeoutSeconds": 30, "HeartbeatSeconds": 10,
                     "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "MaxAttempts": 6,
                                "BackoffRate": 2, "MaxDelaySeconds": 60, "JitterStrategy": "FULL"}],
                     "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Fail"}],
                     "Next": "Choice"},
            "Choice": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "Wait"}], "Default": "Parallel"},
            "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Parallel"},
            "Parallel": {"Type": "Parallel", "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": true}}}
            ], "Next": "Map"},
            "Map": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
                    "ItemSelector": {"v.$": "$$.Map.Item.Value"},
                    "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "M1", "States": {"M1": {"Type": "Pass", "End": true}}},
                    "Next": "Succeed"},
            "Succeed": {"Type": "Succeed"},
            "Fail": {"Type": "Fail", "Error": "E", "Cause": "C"}
        }
    });
    assert!(Definition::from_value(d).is_ok());
}

#[test]
fn unknown_field_in_retrier_and_catcher() {
    let c = codes(json!({"StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Retry": [{"ErrorEquals": ["E"], "Bogus": 1}],
              "Catch": [{"ErrorEquals": ["E"], "Next": "X", "Other": 2}]},
        "X": {"Type": "Succeed"}}}));
    assert_eq!(
        c,
        vec![
            (
                DiagnosticCode::SchemaValidationFailed,
                Some("/States/S/Retry[0]".into())
            ),
            (
                DiagnosticCode::SchemaValidationFailed,
                Some("/States/S/Catch[0]".into())
            ),
        ]
    );
}

#[test]
fn empty_error_equals() {
    let c = codes(one_state(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Retry": [{"ErrorEquals": []}]}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Retry[0]/ErrorEquals".into())
        )]
    );
}

#[test]
fn end_false_without_next() {
    let c = codes(one_state(json!({"Type": "Pass", "End": false})));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S".into())
        )]
    );
}

#[test]
fn end_must_be_boolean() {
    let c = codes(one_state(json!({"Type": "Pass", "End": "yes"})));
    assert!(c.contains(&(
        DiagnosticCode::SchemaValidationFailed,
        Some("/States/S/End".into())
    )));
}

#[test]
fn next_must_be_string() {
    let c = codes(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": 5}, "B": {"Type": "Succeed"}}}),
    );
    assert!(c.contains(&(
        DiagnosticCode::SchemaValidationFailed,
        Some("/States/A/Next".into())
    )));
}

#[test]
fn map_max_concurrency_negative() {
    let c = codes(one_state(
        json!({"Type": "Map", "End": true, "MaxConcurrency": -1,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/MaxConcurrency".into())
        )]
    );
}

#[test]
fn branch_without_start_at() {
    let c = codes(one_state(
        json!({"Type": "Parallel", "End": true, "Branches": [{"States": {"A": {"Type": "Succeed"}}}]}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/Branches[0]".into())
        )]
    );
}

#[test]
fn branch_without_terminal_state() {
    let c = codes(one_state(
        json!({"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}]}),
    ));
    assert_eq!(c, vec![(DiagnosticCode::MissingEndState, None)]);
}

#[test]
fn processor_config_mode_invalid() {
    let c = codes(one_state(json!({"Type": "Map", "End": true,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "SOMETIMES"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}})));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/ItemProcessor/ProcessorConfig/Mode".into())
        )]
    );
}

#[test]
fn item_selector_must_be_object() {
    let c = codes(one_state(
        json!({"Type": "Map", "End": true, "ItemSelector": "x",
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/ItemSelector".into())
        )]
    );
}

#[test]
fn result_selector_must_be_object() {
    let c = codes(one_state(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultSelector": [1], "End": true}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/ResultSelector".into())
        )]
    );
}

#[test]
fn timeout_seconds_path_must_be_reference_path() {
    let c = codes(one_state(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSecondsPath": "$.a[*]", "End": true}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/TimeoutSecondsPath".into())
        )]
    );
}

#[test]
fn choice_variable_must_be_path() {
    let c = codes(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "x", "IsNull": true, "Next": "E"}]},
        "E": {"Type": "Succeed"}}}));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/C/Choices[0]/Variable".into())
        )]
    );
}

#[test]
fn choice_rule_with_two_operators() {
    let c = codes(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": true, "IsString": true, "Next": "E"}]},
        "E": {"Type": "Succeed"}}}));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/C/Choices[0]".into())
        )]
    );
}

#[test]
fn choice_rule_missing_variable() {
    let c = codes(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"StringEquals": "a", "Next": "E"}]},
        "E": {"Type": "Succeed"}}}));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/C/Choices[0]".into())
        )]
    );
}

#[test]
fn string_matches_has_no_path_form() {
    let c = codes(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringMatchesPath": "$.y", "Next": "E"}]},
        "E": {"Type": "Succeed"}}}));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/C/Choices[0]".into())
        )]
    );
}

#[test]
fn choice_timestamp_operand_must_be_timestamp() {
    let c = codes(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "TimestampEquals": "not a time", "Next": "E"}]},
        "E": {"Type": "Succeed"}}}));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/C/Choices[0]/TimestampEquals".into())
        )]
    );
}

#[test]
fn states_field_must_be_object() {
    let c = codes(json!({"StartAt": "A", "States": []}));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States".into())
        )]
    );
}

#[test]
fn top_level_timeout_seconds_must_be_positive() {
    let c =
        codes(json!({"StartAt": "A", "TimeoutSeconds": 0, "States": {"A": {"Type": "Succeed"}}}));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/TimeoutSeconds".into())
        )]
    );
}

#[test]
fn fail_cause_path_may_be_intrinsic_but_not_wildcard() {
    assert!(
        Definition::from_value(one_state(
            json!({"Type": "Fail", "CausePath": "States.Format('x {}', $.a)"})
        ))
        .is_ok()
    );
    let c = codes(one_state(json!({"Type": "Fail", "CausePath": "$.a[*]"})));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::SchemaValidationFailed,
            Some("/States/S/CausePath".into())
        )]
    );
}

#[test]
fn unreachable_states_in_map_processor() {
    let c = codes(one_state(
        json!({"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "I", "States": {
        "I": {"Type": "Pass", "End": true}, "Lonely": {"Type": "Succeed"}}}}),
    ));
    assert_eq!(
        c,
        vec![(
            DiagnosticCode::MissingTransitionTarget,
            Some("/States/S/ItemProcessor/States/Lonely".into())
        )]
    );
}

#[test]
fn no_dollar_warning() {
    let d = Definition::from_value(one_state(json!({"Type": "Pass", "End": true,
        "Parameters": {"ok.$": "$.a", "nested": {"oops": "$.b"}, "call": "States.UUID()", "plain": "$ 5"}}))).unwrap();
    let w: Vec<(String, Option<String>, String)> = d
        .warnings
        .iter()
        .map(|w| {
            (
                w.code.to_string(),
                w.location.clone(),
                serde_json::to_value(w.severity)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        w,
        vec![
            (
                "NO_DOLLAR".to_string(),
                Some("/States/S/Parameters/nested/oops".to_string()),
                "WARNING".to_string()
            ),
            (
                "NO_DOLLAR".to_string(),
                Some("/States/S/Parameters/call".to_string()),
                "WARNING".to_string()
            ),
        ]
    );
}

#[test]
fn pass_result_is_static_warning() {
    let d = Definition::from_value(one_state(
        json!({"Type": "Pass", "End": true, "Result": {"x.$": "$.a"}}),
    ))
    .unwrap();
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(d.warnings[0].code, DiagnosticCode::PassResultIsStatic);
    assert_eq!(d.warnings[0].location.as_deref(), Some("/States/S/Result"));
}

#[test]
fn clean_definition_has_no_warnings() {
    let d = Definition::from_value(one_state(
        json!({"Type": "Pass", "End": true, "Parameters": {"a.$": "$.a", "b": "text"}}),
    ))
    .unwrap();
    assert!(d.warnings.is_empty());
}

#[test]
fn diagnose_reports_warnings_of_an_invalid_definition_after_its_errors() {
    let text = serde_json::json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"x": "$.y"}, "Next": "Nowhere"}
    }})
    .to_string();
    let all = asl::Definition::diagnose(&text);
    let codes: Vec<(&str, asl::Severity)> =
        all.iter().map(|d| (d.code.as_str(), d.severity)).collect();
    assert_eq!(
        codes,
        [
            ("MISSING_TRANSITION_TARGET", asl::Severity::Error),
            ("MISSING_END_STATE", asl::Severity::Error),
            ("NO_DOLLAR", asl::Severity::Warning),
        ]
    );
    // The same errors as parse, in the same order.
    let parsed = asl::Definition::parse(&text).unwrap_err().diagnostics;
    assert_eq!(parsed[..], all[..2]);
    assert_eq!(
        asl::Definition::diagnose("")[0].code.as_str(),
        "MISSING_DESCRIPTION"
    );
    assert_eq!(
        asl::Definition::diagnose("{")[0].code.as_str(),
        "INVALID_JSON_DESCRIPTION"
    );
    assert!(
        asl::Definition::diagnose(r#"{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}"#)
            .is_empty()
    );
}
