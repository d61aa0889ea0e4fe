//! InputPath → Parameters → (task) → ResultSelector → ResultPath → OutputPath, with the
//! developer guide's examples.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;

fn guide_input() -> serde_json::Value {
    json!({
        "comment": "This is a test of the input and output of a Task state.",
        "details": "Default example",
        "who": "AWS Step Functions"
    })
}

#[test]
fn result_path_adds_result_to_input() {
    // Guide: "Use ResultPath to include the result with the input".
    let out = task(
        json!({"ResultPath": "$.taskresult"}),
        guide_input(),
        json!("Hello, AWS Step Functions!"),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({
            "comment": "This is a test of the input and output of a Task state.",
            "details": "Default example",
            "who": "AWS Step Functions",
            "taskresult": "Hello, AWS Step Functions!"
        })
    );
}

#[test]
fn result_path_dollar_replaces_input() {
    let out = task(
        json!({"ResultPath": "$"}),
        guide_input(),
        json!("Hello, AWS Step Functions!"),
    )
    .unwrap();
    assert_eq!(out, json!("Hello, AWS Step Functions!"));
}

#[test]
fn default_result_path_replaces_input() {
    let out = task(json!({}), guide_input(), json!({"r": 1})).unwrap();
    assert_eq!(out, json!({"r": 1}));
}

#[test]
fn result_path_null_discards_result() {
    let out = task(json!({"ResultPath": null}), guide_input(), json!("Hello")).unwrap();
    assert_eq!(out, guide_input());
}

#[test]
fn result_path_updates_existing_node() {
    // Guide: "Use ResultPath to update a node in the input with the result".
    let out = task(
        json!({"ResultPath": "$.strings.lambdaresult"}),
        json!({"strings": {"a": "x"}}),
        json!("y"),
    )
    .unwrap();
    assert_eq!(out, json!({"strings": {"a": "x", "lambdaresult": "y"}}));
}

#[test]
fn result_path_overwrites_input_field() {
    let out = task(
        json!({"ResultPath": "$.who"}),
        guide_input(),
        json!("Lambda"),
    )
    .unwrap();
    assert_eq!(out["who"], json!("Lambda"));
}

#[test]
fn result_path_into_string_fails_with_match_failure() {
    let (e, c) = task(
        json!({"ResultPath": "$.who.name"}),
        guide_input(),
        json!("x"),
    )
    .unwrap_err();
    assert_eq!(e, "States.ResultPathMatchFailure");
    assert_eq!(
        c,
        "Unable to apply ReferencePath $.who.name to input \"{\\\"comment\\\":\\\"This is a test of the input and output of a Task state.\\\",\\\"details\\\":\\\"Default example\\\",\\\"who\\\":\\\"AWS Step Functions\\\"}\""
    );
}

#[test]
fn result_path_match_failure_can_be_caught() {
    let d = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultPath": "$.a.b",
              "Catch": [{"ErrorEquals": ["States.ResultPathMatchFailure"], "ResultPath": "$.err", "Next": "E"}], "End": true},
        "E": {"Type": "Pass", "End": true}}});
    let o = run_with(d, json!({"a": 1}), |_, _| ok(json!("x")));
    assert_eq!(
        o.ok()["err"]["Error"],
        json!("States.ResultPathMatchFailure")
    );
}

#[test]
fn parameters_guide_example() {
    let input = json!({
        "comment": "Example for Parameters.",
        "product": {
            "details": {"color": "blue", "size": "small", "material": "cotton"},
            "availability": "in stock",
            "sku": "2317",
            "cost": "$23"
        }
    });
    let out = pass(
        json!({"Parameters": {
            "comment": "Selecting what I care about.",
            "MyDetails": {
                "size.$": "$.product.details.size",
                "exists.$": "$.product.availability",
                "StaticValue": "foo"
            }
        }}),
        input,
    )
    .unwrap();
    assert_eq!(
        out,
        json!({
            "comment": "Selecting what I care about.",
            "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"}
        })
    );
}

#[test]
fn parameters_path_not_found_message() {
    let (e, c) = pass(json!({"Parameters": {"x.$": "$.missing"}}), json!({"a": 1})).unwrap_err();
    assert_eq!(e, "States.Runtime");
    assert_eq!(
        c,
        "An error occurred while executing the state 'P' (entered at the event id #2). The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{\"a\":1}'"
    );
}

#[test]
fn parameters_applied_after_input_path() {
    let out = pass(
        json!({"InputPath": "$.in", "Parameters": {"v.$": "$.v"}}),
        json!({"in": {"v": 3}}),
    )
    .unwrap();
    assert_eq!(out, json!({"v": 3}));
}

#[test]
fn parameters_inside_arrays() {
    let out = pass(
        json!({"Parameters": {"list": [{"a.$": "$.x"}, 2, "s"]}}),
        json!({"x": 1}),
    )
    .unwrap();
    assert_eq!(out, json!({"list": [{"a": 1}, 2, "s"]}));
}

#[test]
fn parameters_dollar_key_value_not_a_path_when_key_lacks_suffix() {
    let out = pass(json!({"Parameters": {"a": "$.x"}}), json!({"x": 1})).unwrap();
    assert_eq!(out, json!({"a": "$.x"}));
}

#[test]
fn parameters_whole_input() {
    let out = pass(json!({"Parameters": {"all.$": "$"}}), json!({"x": 1})).unwrap();
    assert_eq!(out, json!({"all": {"x": 1}}));
}

#[test]
fn parameters_indefinite_path_gives_list() {
    let out = pass(
        json!({"Parameters": {"ids.$": "$.items[*].id"}}),
        json!({"items": [{"id": 1}, {"id": 2}]}),
    )
    .unwrap();
    assert_eq!(out, json!({"ids": [1, 2]}));
}

#[test]
fn pass_result_with_result_path() {
    // Spec's Pass example: Result placed at $.coords.
    let out = pass(
        json!({"Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355}, "ResultPath": "$.coords"}),
        json!({"georefOf": "Home"}),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}})
    );
}

#[test]
fn pass_without_result_passes_input() {
    assert_eq!(
        pass(json!({}), json!({"a": [1, 2]})).unwrap(),
        json!({"a": [1, 2]})
    );
}

#[test]
fn pass_result_is_not_interpolated() {
    let out = pass(json!({"Result": {"a.$": "$.x"}}), json!({"x": 1})).unwrap();
    assert_eq!(out, json!({"a.$": "$.x"}));
}

#[test]
fn result_selector_guide_example() {
    let result = json!({
        "resourceType": "elasticmapreduce",
        "resource": "createCluster.sync",
        "output": {
            "SdkHttpMetadata": {"HttpStatusCode": 200},
            "SdkResponseMetadata": {"RequestId": "1234"},
            "ClusterId": "AKIAIOSFODNN7EXAMPLE"
        }
    });
    let out = task(
        json!({
            "ResultSelector": {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"},
            "ResultPath": "$.EMROutput"
        }),
        json!({"a": 1}),
        result,
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"a": 1, "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"}})
    );
}

#[test]
fn lambda_payload_selection() {
    // The project's pattern: ResultSelector `$.Payload` + ResultPath.
    let result =
        json!({"ExecutedVersion": "$LATEST", "Payload": {"verified": true}, "StatusCode": 200});
    let out = task(
        json!({"ResultSelector": {"Payload.$": "$.Payload"}, "ResultPath": "$.identity"}),
        json!({"applicationId": "a-1"}),
        result,
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"applicationId": "a-1", "identity": {"Payload": {"verified": true}}})
    );
}

#[test]
fn output_path_after_result_path() {
    let out = task(
        json!({"ResultPath": "$.r", "OutputPath": "$.r.v"}),
        json!({"a": 1}),
        json!({"v": "only"}),
    )
    .unwrap();
    assert_eq!(out, json!("only"));
}

#[test]
fn result_path_merges_into_raw_input_not_effective_input() {
    let out = task(
        json!({"InputPath": "$.sub", "ResultPath": "$.r"}),
        json!({"sub": {"x": 1}, "top": true}),
        json!(5),
    )
    .unwrap();
    assert_eq!(out, json!({"sub": {"x": 1}, "top": true, "r": 5}));
}

#[test]
fn task_parameters_are_sent_to_the_runner() {
    let d = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "fn", "Payload.$": "$"}, "End": true}}});
    let o = run_with(d, json!({"k": "v"}), |_, _| ok(json!({})));
    assert_eq!(
        o.tasks[0].parameters,
        json!({"FunctionName": "fn", "Payload": {"k": "v"}})
    );
    assert_eq!(o.tasks[0].resource, "arn:aws:states:::lambda:invoke");
    assert_eq!(o.tasks[0].task_token, None);
}

#[test]
fn task_without_parameters_sends_effective_input() {
    let d = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:fn", "InputPath": "$.p", "End": true}}});
    let o = run_with(d, json!({"p": {"z": 1}}), |_, _| ok(json!({})));
    assert_eq!(o.tasks[0].parameters, json!({"z": 1}));
}

#[test]
fn task_token_in_parameters() {
    let d = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken",
        "Parameters": {"Entries": [{"Detail": {"taskToken.$": "$$.Task.Token"}}]}, "End": true}}});
    let o = run_with(d, json!({}), |_, _| ok(json!({"ok": true})));
    let token = o.tasks[0].task_token.clone().unwrap();
    assert_eq!(
        o.tasks[0].parameters["Entries"][0]["Detail"]["taskToken"],
        json!(token)
    );
    assert_eq!(o.ok(), json!({"ok": true}));
}

#[test]
fn data_limit_on_state_output() {
    let big = "x".repeat(262_145);
    let (e, _) = pass(json!({"Result": big}), json!({})).unwrap_err();
    assert_eq!(e, "States.DataLimitExceeded");
}

#[test]
fn data_limit_on_task_result_is_not_caught_by_states_all() {
    let d = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "E"}], "End": true},
        "E": {"Type": "Succeed"}}});
    let big = "y".repeat(300_000);
    let o = run_with(d, json!({}), move |_, _| ok(json!(big)));
    assert_eq!(o.failed().0, "States.DataLimitExceeded");
}

#[test]
fn data_limit_can_be_caught_by_name() {
    let d = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "E"}], "End": true},
        "E": {"Type": "Succeed"}}});
    let big = "y".repeat(300_000);
    let o = run_with(d, json!({}), move |_, _| ok(json!(big)));
    assert_eq!(o.ok()["Error"], json!("States.DataLimitExceeded"));
}

#[test]
fn payload_just_under_limit_is_fine() {
    // 262,144 bytes including the two quotes.
    let s = "x".repeat(262_142);
    assert!(pass(json!({"Result": s}), json!({})).is_ok());
}

#[test]
fn catch_after_result_path_failure_sees_the_untouched_input() {
    let d = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultPath": "$.list[0]",
              "Catch": [{"ErrorEquals": ["States.ResultPathMatchFailure"], "ResultPath": "$.err", "Next": "E"}], "End": true},
        "E": {"Type": "Pass", "End": true}}});
    let o = run_with(d, json!({"keep": true}), |_, _| ok(json!("r")));
    let out = o.ok();
    assert_eq!(out["keep"], json!(true));
    assert!(out.get("list").is_none(), "{out}");
    assert_eq!(out["err"]["Error"], json!("States.ResultPathMatchFailure"));
}

#[test]
fn data_limit_after_result_path_retried_by_name_reruns_with_the_original_input() {
    let d = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultPath": "$.r",
              "Parameters": {"in.$": "$"},
              "Retry": [{"ErrorEquals": ["States.DataLimitExceeded"], "MaxAttempts": 1, "IntervalSeconds": 1}], "End": true}}});
    let big = "z".repeat(300_000);
    let o = run_with(d, json!({"k": 1}), move |_, n| {
        if n == 0 {
            ok(json!(big))
        } else {
            ok(json!("small"))
        }
    });
    assert_eq!(o.tasks[1].parameters, json!({"in": {"k": 1}}));
    assert_eq!(o.ok(), json!({"k": 1, "r": "small"}));
}
