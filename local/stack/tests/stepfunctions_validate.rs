#![allow(clippy::unwrap_used, clippy::expect_used)]
//! ValidateStateMachineDefinition against the API reference, member by member: `definition`,
//! `type`, `severity`, `maxResults`; `result`, `diagnostics` (severity, code, message, location)
//! and `truncated`; over the wire and with the real AWS CLI.

mod common;
mod stepfunctions_support;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use stepfunctions_support::Harness;

async fn wire(h: &Harness, op: &str, input: Value) -> (u16, Value) {
    let response = common::call(
        h.server.as_ref().unwrap().local_addr,
        &format!("AWSStepFunctions.{op}"),
        common::JSON_10,
        &input.to_string(),
    )
    .await;
    (response.status, response.json())
}

async fn validate(h: &Harness, input: Value) -> Value {
    let (status, body) = wire(h, "ValidateStateMachineDefinition", input).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn refused(h: &Harness, input: Value) -> Value {
    let (status, body) = wire(h, "ValidateStateMachineDefinition", input).await;
    assert_eq!(status, 400, "{body}");
    body
}

fn valid() -> String {
    json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}).to_string()
}

/// A Pass state whose Parameters hold a path without `.$` (NO_DOLLAR), and a missing target.
fn warning_and_error() -> String {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"x": "$.y"}, "Next": "Nowhere"}
    }})
    .to_string()
}

/// `n` states, each going to a state that does not exist.
fn many_errors(n: usize) -> String {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        states.insert(
            format!("S{i}"),
            json!({"Type": "Pass", "Next": format!("Missing{i}")}),
        );
    }
    json!({"StartAt": "S0", "States": states}).to_string()
}

#[tokio::test]
async fn a_valid_definition_is_ok() {
    let h = Harness::kyc(&[]).await;
    let out = validate(&h, json!({"definition": valid()})).await;
    assert_eq!(
        out,
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );
    // The project's own state machine, as kyc-local deployed it.
    let d = h
        .ok(
            "DescribeStateMachine",
            json!({"stateMachineArn": stepfunctions_support::KYC_ARN}),
        )
        .await;
    let out = validate(
        &h,
        json!({"definition": d["definition"], "severity": "WARNING"}),
    )
    .await;
    assert_eq!(out["result"], "OK", "{out}");
}

#[tokio::test]
async fn each_diagnostic_has_severity_code_message_and_location() {
    let h = Harness::kyc(&[]).await;
    let out = validate(&h, json!({"definition": warning_and_error()})).await;
    assert_eq!(out["result"], "FAIL");
    assert_eq!(out["truncated"], false);
    let diagnostics = out["diagnostics"].as_array().unwrap();
    // severity ERROR (the default): errors only.
    assert_eq!(diagnostics.len(), 2, "{out}");
    let d = &diagnostics[0];
    assert_eq!(d["severity"], "ERROR");
    assert_eq!(d["code"], "MISSING_TRANSITION_TARGET");
    assert_eq!(d["message"], "Missing 'Next' target: Nowhere");
    assert_eq!(d["location"], "/States/A/Next");
    // Whole-definition problems have no location.
    assert_eq!(diagnostics[1]["code"], "MISSING_END_STATE");
    assert_eq!(diagnostics[1]["message"], "Workflow has no terminal state");
    assert!(diagnostics[1].get("location").is_none(), "{out}");

    let out = validate(&h, json!({"definition": "{not json"})).await;
    assert_eq!(out["result"], "FAIL");
    assert_eq!(out["diagnostics"][0]["code"], "INVALID_JSON_DESCRIPTION");
    assert!(out["diagnostics"][0].get("location").is_none(), "{out}");
}

#[tokio::test]
async fn severity_warning_adds_the_warnings() {
    let h = Harness::kyc(&[]).await;
    let out = validate(
        &h,
        json!({"definition": warning_and_error(), "severity": "WARNING"}),
    )
    .await;
    assert_eq!(out["result"], "FAIL");
    let codes: Vec<(&str, &str)> = out["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["severity"].as_str().unwrap(), d["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("ERROR", "MISSING_TRANSITION_TARGET"),
            ("ERROR", "MISSING_END_STATE"),
            ("WARNING", "NO_DOLLAR")
        ]
    );
    assert_eq!(out["diagnostics"][2]["location"], "/States/A/Parameters/x");

    // Warnings alone leave the result OK.
    let only_warning = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"x.$": "$.y"}, "End": true}
    }})
    .to_string();
    let out = validate(
        &h,
        json!({"definition": only_warning, "severity": "WARNING"}),
    )
    .await;
    assert_eq!(out["result"], "OK");
    assert_eq!(out["diagnostics"][0]["severity"], "WARNING");
    assert_eq!(out["diagnostics"][0]["code"], "PASS_RESULT_IS_STATIC");
    let out = validate(&h, json!({"definition": only_warning, "severity": "ERROR"})).await;
    assert_eq!(
        out,
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );
}

#[tokio::test]
async fn max_results_and_truncated() {
    let h = Harness::kyc(&[]).await;
    let def = many_errors(5);
    let all = validate(&h, json!({"definition": def})).await;
    let n = all["diagnostics"].as_array().unwrap().len();
    assert!(n >= 5, "{all}");
    assert_eq!(all["truncated"], false);
    let two = validate(&h, json!({"definition": def, "maxResults": 2})).await;
    assert_eq!(two["diagnostics"].as_array().unwrap().len(), 2);
    assert_eq!(two["truncated"], true);
    assert_eq!(two["result"], "FAIL");
    assert_eq!(two["diagnostics"][0], all["diagnostics"][0]);
    let exact = validate(&h, json!({"definition": def, "maxResults": n})).await;
    assert_eq!(exact["truncated"], false);
    // 0 is the default, 100.
    let zero = validate(&h, json!({"definition": many_errors(150), "maxResults": 0})).await;
    assert_eq!(zero["diagnostics"].as_array().unwrap().len(), 100);
    assert_eq!(zero["truncated"], true);
    let default = validate(&h, json!({"definition": many_errors(150)})).await;
    assert_eq!(default["diagnostics"].as_array().unwrap().len(), 100);
    for bad in [101, -1] {
        let e = refused(&h, json!({"definition": def, "maxResults": bad})).await;
        assert_eq!(e["__type"], "ValidationException");
        assert!(e["message"].as_str().unwrap().contains("maxResults"), "{e}");
    }
}

#[tokio::test]
async fn type_express_refuses_callback_and_job_patterns() {
    let h = Harness::kyc(&[]).await;
    let callback = json!({"StartAt": "Wait for review", "States": {
        "Wait for review": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken",
            "Parameters": {"Entries": []}, "End": true}
    }})
    .to_string();
    let standard = validate(&h, json!({"definition": callback, "type": "STANDARD"})).await;
    assert_eq!(standard["result"], "OK");
    let default = validate(&h, json!({"definition": callback})).await;
    assert_eq!(default["result"], "OK");
    let express = validate(&h, json!({"definition": callback, "type": "EXPRESS"})).await;
    assert_eq!(express["result"], "FAIL");
    let d = &express["diagnostics"][0];
    assert_eq!(d["code"], "SCHEMA_VALIDATION_FAILED");
    assert_eq!(d["location"], "/States/Wait for review/Resource");
    assert!(d["message"].as_str().unwrap().contains(".waitForTaskToken"));

    let nested_sync = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "J", "States": {"J": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": true}}}
    ]}}})
    .to_string();
    let express = validate(&h, json!({"definition": nested_sync, "type": "EXPRESS"})).await;
    assert_eq!(
        express["diagnostics"][0]["location"],
        "/States/P/Branches[0]/States/J/Resource"
    );

    // CreateStateMachine refuses the same definition for an Express state machine.
    let (status, body) = wire(
        &h,
        "CreateStateMachine",
        json!({"name": "express-callback", "definition": callback, "type": "EXPRESS",
               "roleArn": "arn:aws:iam::000000000000:role/r"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "InvalidDefinition");
    let e = refused(&h, json!({"definition": callback, "type": "FAST"})).await;
    assert_eq!(e["__type"], "ValidationException");
}

#[tokio::test]
async fn refused_members() {
    let h = Harness::kyc(&[]).await;
    for (input, member) in [
        (json!({}), "definition"),
        (json!({"definition": ""}), "definition"),
        (
            json!({"definition": valid(), "severity": "INFO"}),
            "severity",
        ),
        (json!({"definition": valid(), "type": "express"}), "type"),
    ] {
        let e = refused(&h, input.clone()).await;
        assert_eq!(e["__type"], "ValidationException", "{input}");
        assert!(
            e["message"].as_str().unwrap().contains(member),
            "{input}: {e}"
        );
    }
}

#[tokio::test]
async fn the_aws_cli_validates() {
    let h = Harness::kyc(&[]).await;
    let cli = common::aws_cli();
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let def = warning_and_error();
    let out = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "validate-state-machine-definition",
            "--definition",
            &def,
            "--severity",
            "WARNING",
            "--max-results",
            "1",
        ],
    )
    .await;
    assert!(out.success, "{}", out.stderr);
    let v = out.json();
    assert_eq!(v["result"], "FAIL");
    assert_eq!(v["truncated"], true);
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 1);
    assert_eq!(v["diagnostics"][0]["code"], "MISSING_TRANSITION_TARGET");
}
