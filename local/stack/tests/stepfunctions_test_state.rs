#![allow(clippy::unwrap_used, clippy::expect_used)]
//! TestState over the wire (awsJson1_0 through the server), with the real AWS CLI (host prefix
//! `sync-` turned off, as the README says) and with the Rust SDK, on the project's own state
//! machine: every status, every inspection level, mocks, real integrations through the
//! permission plane, and the request errors.

mod common;
mod permissions_support;
mod stepfunctions_support;

use std::path::Path;

use common::WireError;
use emulator::permissions::IamMode;
use permissions_support::{NO_RISK_INVOKE, mutated_template};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use stepfunctions_support::{Harness, KYC_ARN, sdk_client};

async fn wire(h: &Harness, input: Value) -> Result<Value, WireError> {
    common::sfn_call(h.server.as_ref().unwrap().local_addr, "TestState", &input).await
}

async fn ok(h: &Harness, input: Value) -> Value {
    wire(h, input)
        .await
        .unwrap_or_else(|e| panic!("TestState failed: {e:?}"))
}

async fn err(h: &Harness, input: Value) -> WireError {
    match wire(h, input).await {
        Ok(v) => panic!("TestState succeeded: {v}"),
        Err(e) => {
            assert_eq!(e.status, 400, "{e:?}");
            e
        }
    }
}

/// A JSON-text member of the answer, parsed.
fn parsed(v: &Value) -> Value {
    serde_json::from_str(v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))).unwrap()
}

/// The KYC state machine as kyc-local deployed it (substitutions applied) and its role.
async fn kyc_definition(h: &Harness) -> (String, String) {
    let d = h
        .ok("DescribeStateMachine", json!({"stateMachineArn": KYC_ARN}))
        .await;
    (
        d["definition"].as_str().unwrap().to_owned(),
        d["roleArn"].as_str().unwrap().to_owned(),
    )
}

/// The workflow variables of the KYC definition (JSONata) once the identity is checked: what
/// "Route application" and "Check identity" assign.
fn application() -> Value {
    json!({
        "applicationId": "app-1",
        "application": {"customerName": "Ann", "customerAddress": "1 Road", "scenario": "approve"},
        "identity": {"identityVerified": true, "checks": {}, "reasons": []},
        "risk": null,
        "review": null,
        "reviews": {"invalid": 0, "lastProblem": null}
    })
}

fn identity_payload(verified: bool) -> Value {
    json!({
        "StatusCode": 200,
        "Payload": {"applicationId": "app-1", "identityVerified": verified, "checks": {"document": "VALID"}, "reasons": []}
    })
}

// ----- statuses and inspection levels ------------------------------------------------------------

#[tokio::test]
async fn a_pass_state_at_each_inspection_level() {
    let h = Harness::kyc(&[]).await;
    let def = r#"{"Type": "Pass", "InputPath": "$.a", "Parameters": {"x.$": "$.b"}, "ResultPath": "$.r", "Next": "Next one"}"#;
    let info = ok(
        &h,
        json!({"definition": def, "input": r#"{"a": {"b": 1}}"#}),
    )
    .await;
    assert_eq!(info["status"], "SUCCEEDED");
    assert_eq!(
        parsed(&info["output"]),
        json!({"a": {"b": 1}, "r": {"x": 1}})
    );
    assert_eq!(info["nextState"], "Next one");
    assert!(info.get("inspectionData").is_none(), "{info}");
    assert!(info.get("error").is_none());

    for level in ["DEBUG", "TRACE"] {
        let out = ok(
            &h,
            json!({"definition": def, "input": r#"{"a": {"b": 1}}"#, "inspectionLevel": level}),
        )
        .await;
        let i = &out["inspectionData"];
        assert_eq!(parsed(&i["input"]), json!({"a": {"b": 1}}), "{level}");
        assert_eq!(parsed(&i["afterInputPath"]), json!({"b": 1}));
        assert_eq!(parsed(&i["afterParameters"]), json!({"x": 1}));
        assert_eq!(parsed(&i["result"]), json!({"x": 1}));
        assert_eq!(
            parsed(&i["afterResultPath"]),
            json!({"a": {"b": 1}, "r": {"x": 1}})
        );
        // No HTTP Task: no request / response even at TRACE.
        assert!(i.get("request").is_none() && i.get("response").is_none());
    }
}

#[tokio::test]
async fn the_kyc_choice_state_names_the_next_state() {
    let h = Harness::kyc(&[]).await;
    let (definition, _) = kyc_definition(&h).await;
    // The Choice reads the workflow variable $identity (TestState's `variables`); a Choice passes
    // its input on.
    let mut variables = application();
    let input = json!({"Entries": [{"EventId": "e-1"}], "FailedEntryCount": 0});
    let verified = ok(
        &h,
        json!({"definition": definition, "stateName": "Identity verified?", "input": input.to_string(),
               "variables": variables.to_string()}),
    )
    .await;
    assert_eq!(verified["status"], "SUCCEEDED");
    assert_eq!(verified["nextState"], "Assess risk");
    assert_eq!(parsed(&verified["output"]), input);
    variables["identity"]["identityVerified"] = json!(false);
    let declined = ok(
        &h,
        json!({"definition": definition, "stateName": "Identity verified?", "input": input.to_string(),
               "variables": variables.to_string()}),
    )
    .await;
    assert_eq!(declined["nextState"], "Publish declined by identity");
}

#[tokio::test]
async fn check_identity_with_mocks_every_status() {
    let h = Harness::kyc(&[]).await;
    let (definition, _) = kyc_definition(&h).await;
    // What "Route application" assigned before.
    let variables = json!({"applicationId": "app-1", "application": {"customerName": "Ann"},
        "identity": null, "risk": null, "review": null, "reviews": {"invalid": 0, "lastProblem": null}});
    let base = json!({"definition": definition, "stateName": "Check identity", "input": "{}",
        "variables": variables.to_string(), "inspectionLevel": "DEBUG"});
    let with = |mock: Value| {
        let mut r = base.clone();
        r["mock"] = mock;
        r
    };

    // SUCCEEDED: the mocked Lambda response is the state's output, and Assign takes $identity
    // from it.
    let out = ok(
        &h,
        with(json!({"result": identity_payload(true).to_string()})),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED");
    assert_eq!(out["nextState"], "Publish identity check completed");
    assert_eq!(parsed(&out["output"]), identity_payload(true));
    let i = &out["inspectionData"];
    assert_eq!(
        parsed(&i["afterArguments"])["Payload"],
        json!({"applicationId": "app-1", "application": {"customerName": "Ann"}})
    );
    assert_eq!(parsed(&i["result"]), identity_payload(true));
    assert_eq!(
        parsed(&i["variables"])["identity"],
        json!({"applicationId": "app-1", "identityVerified": true, "checks": {"document": "VALID"}, "reasons": []})
    );
    // No Lambda was called.
    assert!(h.lambda.calls().is_empty());

    // CAUGHT_ERROR: InvalidApplication is caught by the first catcher.
    let out = ok(
        &h,
        with(json!({"errorOutput": {"error": "InvalidApplication", "cause": "customerName is missing"}})),
    )
    .await;
    assert_eq!(out["status"], "CAUGHT_ERROR");
    assert_eq!(out["nextState"], "Publish declined invalid application");
    assert_eq!(out["error"], "InvalidApplication");
    assert_eq!(out["cause"], "customerName is missing");
    // A JSONata catcher without Output passes the error output on; its Assign keeps it in $error.
    let error = json!({"Error": "InvalidApplication", "Cause": "customerName is missing"});
    assert_eq!(parsed(&out["output"]), error);
    assert_eq!(parsed(&out["inspectionData"]["variables"])["error"], error);
    assert_eq!(
        out["inspectionData"]["errorDetails"],
        json!({"catchIndex": 0})
    );

    // RETRIABLE: Lambda.ServiceException matches the second retrier (1 s, FULL jitter).
    let out = ok(
        &h,
        with(json!({"errorOutput": {"error": "Lambda.ServiceException", "cause": "busy"}})),
    )
    .await;
    assert_eq!(out["status"], "RETRIABLE");
    assert_eq!(out["error"], "Lambda.ServiceException");
    assert!(out.get("output").is_none() && out.get("nextState").is_none());
    let d = &out["inspectionData"]["errorDetails"];
    assert_eq!(d["retryIndex"], 1);
    assert!(
        d["retryBackoffIntervalSeconds"].as_u64().unwrap() <= 1,
        "{d}"
    );

    // Its three attempts made: the error falls through to States.ALL.
    let mut r = with(json!({"errorOutput": {"error": "Lambda.ServiceException", "cause": "busy"}}));
    r["stateConfiguration"] = json!({"retrierRetryCount": 3});
    let out = ok(&h, r).await;
    assert_eq!(out["status"], "CAUGHT_ERROR");
    assert_eq!(out["nextState"], "Publish processing failed");
    assert_eq!(
        out["inspectionData"]["errorDetails"],
        json!({"catchIndex": 1})
    );
}

#[tokio::test]
async fn failed_states() {
    let h = Harness::kyc(&[]).await;
    let fail = ok(
        &h,
        json!({"definition": r#"{"Type": "Fail", "Error": "Declined", "Cause": "no"}"#}),
    )
    .await;
    assert_eq!(fail["status"], "FAILED");
    assert_eq!(fail["error"], "Declined");
    assert_eq!(fail["cause"], "no");
    assert!(fail.get("output").is_none() && fail.get("nextState").is_none());

    let unhandled = ok(
        &h,
        json!({
            "definition": r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": true}"#,
            "mock": {"errorOutput": {"error": "Oops"}}
        }),
    )
    .await;
    assert_eq!(unhandled["status"], "FAILED");
    assert_eq!(unhandled["error"], "Oops");

    let runtime = ok(
        &h,
        json!({"definition": r#"{"Type": "Pass", "InputPath": "$.missing", "End": true}"#, "input": "{}"}),
    )
    .await;
    assert_eq!(runtime["status"], "FAILED");
    assert_eq!(runtime["error"], "States.Runtime");
}

#[tokio::test]
async fn wait_succeed_jsonata_and_variables() {
    let h = Harness::kyc(&[]).await;
    let wait = ok(
        &h,
        json!({"definition": r#"{"Type": "Wait", "Seconds": 3600, "Next": "Later"}"#, "input": r#"{"k": 1}"#}),
    )
    .await;
    assert_eq!(wait["status"], "SUCCEEDED");
    assert_eq!(wait["nextState"], "Later");
    let succeed = ok(
        &h,
        json!({"definition": r#"{"Type": "Succeed"}"#, "input": "[1]"}),
    )
    .await;
    assert_eq!(parsed(&succeed["output"]), json!([1]));
    assert!(succeed.get("nextState").is_none());

    let jsonata = ok(
        &h,
        json!({
            "definition": r#"{"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.n + $base %}", "Assign": {"last": "{% $states.input.n %}"}, "End": true}"#,
            "input": r#"{"n": 2}"#,
            "variables": r#"{"base": 40}"#,
            "inspectionLevel": "DEBUG"
        }),
    )
    .await;
    assert_eq!(jsonata["status"], "SUCCEEDED");
    assert_eq!(parsed(&jsonata["output"]), json!(42));
    let i = &jsonata["inspectionData"];
    assert_eq!(parsed(&i["variables"]), json!({"base": 40, "last": 2}));
    assert!(i.get("afterInputPath").is_none(), "{i}");

    let args = ok(
        &h,
        json!({
            "definition": r#"{"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"}, "Output": "{% $states.result.Payload %}", "End": true}"#,
            "input": r#"{"q": 1}"#,
            "mock": {"result": r#"{"Payload": {"ok": true}}"#},
            "inspectionLevel": "DEBUG"
        }),
    )
    .await;
    assert_eq!(parsed(&args["output"]), json!({"ok": true}));
    assert_eq!(
        parsed(&args["inspectionData"]["afterArguments"]),
        json!({"FunctionName": "f", "Payload": {"q": 1}})
    );
}

#[tokio::test]
async fn map_and_parallel_with_mocks() {
    let h = Harness::kyc(&[]).await;
    let map = r#"{"Type": "Map", "ItemsPath": "$.xs", "ItemSelector": {"v.$": "$$.Map.Item.Value"}, "MaxConcurrency": 3,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}"#;
    let out = ok(
        &h,
        json!({"definition": map, "input": r#"{"xs": [1, 2]}"#, "mock": {"result": "[10, 20]"}, "inspectionLevel": "DEBUG"}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED");
    assert_eq!(parsed(&out["output"]), json!([10, 20]));
    let i = &out["inspectionData"];
    assert_eq!(parsed(&i["afterItemsPath"]), json!([1, 2]));
    assert_eq!(parsed(&i["afterItemSelector"]), json!([{"v": 1}, {"v": 2}]));
    assert_eq!(i["maxConcurrency"], 3);
    let e = err(&h, json!({"definition": map, "input": r#"{"xs": []}"#})).await;
    assert_eq!(e.code, "ValidationException");
    assert!(e.message().contains("Map states"), "{e:?}");

    let parallel = r#"{"Type": "Parallel", "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}], "Next": "After"}"#;
    let out = ok(
        &h,
        json!({"definition": parallel, "mock": {"result": r#"[{"b": 1}]"#}}),
    )
    .await;
    assert_eq!(out["nextState"], "After");
    assert_eq!(parsed(&out["output"]), json!([{"b": 1}]));
}

#[tokio::test]
async fn context_and_reveal_secrets() {
    let h = Harness::kyc(&[]).await;
    let out = ok(
        &h,
        json!({
            "definition": r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload": {"execution.$": "$$.Execution.Name", "entered.$": "$$.State.EnteredTime"}}, "End": true}"#,
            "context": r#"{"Execution": {"Name": "given-name"}, "State": {"EnteredTime": "2026-01-01T00:00:00Z"}}"#,
            "mock": {"result": "{}"},
            "revealSecrets": true,
            "inspectionLevel": "DEBUG"
        }),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED");
    assert_eq!(
        parsed(&out["inspectionData"]["afterParameters"])["Payload"],
        json!({"execution": "given-name", "entered": "2026-01-01T00:00:00Z"})
    );
}

// ----- real integrations ------------------------------------------------------------------------

#[tokio::test]
async fn without_a_mock_the_task_really_runs() {
    let h = Harness::kyc(&[]).await;
    let (definition, role) = kyc_definition(&h).await;
    let mut variables = application();
    variables["applicationId"] = json!("app-9");
    let out = ok(
        &h,
        json!({"definition": definition, "stateName": "Check identity", "roleArn": role, "input": "{}",
               "variables": variables.to_string()}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(parsed(&out["output"])["Payload"]["identityVerified"], true);
    let calls = h.lambda.calls();
    assert_eq!(calls.len(), 1);
    assert!(calls[0].0.ends_with(":kyc-identity-check"));
    assert_eq!(calls[0].1["applicationId"], "app-9");

    // A function error is caught like in an execution.
    let mut invalid = application();
    invalid["applicationId"] = json!("app-10");
    invalid["application"] = json!({"scenario": "invalid"});
    let out = ok(
        &h,
        json!({"definition": definition, "stateName": "Check identity", "roleArn": role, "input": "{}",
               "variables": invalid.to_string()}),
    )
    .await;
    assert_eq!(out["status"], "CAUGHT_ERROR");
    assert_eq!(out["error"], "InvalidApplication");
    assert_eq!(out["nextState"], "Publish declined invalid application");

    // events:putEvents publishes for real.
    let mut identity = application();
    identity["applicationId"] = json!("app-11");
    let out = ok(
        &h,
        json!({"definition": definition, "stateName": "Publish identity check completed", "roleArn": role, "input": "{}",
               "variables": identity.to_string()}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["nextState"], "Identity verified?");
    let published = h.events.details("Identity check completed");
    assert_eq!(published.last().unwrap()["applicationId"], "app-11");

    // Without a mock a task needs the role it runs with.
    let e = err(
        &h,
        json!({"definition": definition, "stateName": "Check identity", "input": "{}",
               "variables": variables.to_string()}),
    )
    .await;
    assert_eq!(e.code, "ValidationException");
    assert!(e.message().contains("roleArn"), "{e:?}");
}

#[tokio::test]
async fn the_permission_plane_checks_the_role() {
    let h = Harness::kyc_from(mutated_template(&[NO_RISK_INVOKE]), IamMode::Enforce).await;
    let (definition, role) = kyc_definition(&h).await;
    let out = ok(
        &h,
        json!({"definition": definition, "stateName": "Assess risk", "roleArn": role, "input": "{}",
               "variables": application().to_string()}),
    )
    .await;
    // Denied as Lambda reports it; that error is in the state's second retrier.
    assert_eq!(out["status"], "RETRIABLE", "{out}");
    assert_eq!(out["error"], "Lambda.AWSLambdaException");
    assert!(
        out["cause"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException")
    );
    assert!(h.lambda.calls().is_empty());
    // The identity check is allowed.
    let out = ok(
        &h,
        json!({"definition": definition, "stateName": "Check identity", "roleArn": role, "input": "{}",
               "variables": application().to_string()}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
}

// ----- refused requests -------------------------------------------------------------------------

#[tokio::test]
async fn refused_requests() {
    let h = Harness::kyc(&[]).await;
    let pass = r#"{"Type": "Pass", "End": true}"#;
    let task = r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": true}"#;
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({}), "ValidationException", "definition"),
        (
            json!({"definition": r#"{"Type": "Bogus"}"#}),
            "InvalidDefinition",
            "Invalid State Machine Definition",
        ),
        (
            json!({"definition": "{"}),
            "InvalidDefinition",
            "INVALID_JSON_DESCRIPTION",
        ),
        (
            json!({"definition": json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}).to_string(), "stateName": "B"}),
            "ValidationException",
            "State 'B' does not exist",
        ),
        (
            json!({"definition": pass, "mock": {"result": "1"}}),
            "ValidationException",
            "not for a Pass state",
        ),
        (
            json!({"definition": pass, "context": "{}"}),
            "ValidationException",
            "context",
        ),
        (
            json!({"definition": task, "mock": {}}),
            "ValidationException",
            "result or an errorOutput",
        ),
        (
            json!({"definition": task, "mock": {"result": "1", "errorOutput": {"error": "E"}}}),
            "ValidationException",
            "not both",
        ),
        (
            json!({"definition": task, "mock": {"errorOutput": {"cause": "c"}}}),
            "ValidationException",
            "mock.errorOutput.error",
        ),
        (
            json!({"definition": task, "mock": {"result": "{nope"}}),
            "ValidationException",
            "mock.result is not valid JSON",
        ),
        (
            json!({"definition": task, "mock": {"result": r#"{"StatusCode": "200"}"#}}),
            "ValidationException",
            "'StatusCode' must be a integer",
        ),
        (
            json!({"definition": task, "mock": {"result": "1", "fieldValidationMode": "LOOSE"}}),
            "ValidationException",
            "fieldValidationMode",
        ),
        (
            json!({"definition": pass, "input": "{nope"}),
            "InvalidExecutionInput",
            "Invalid State Machine Execution Input",
        ),
        (
            json!({"definition": pass, "input": format!("\"{}\"", "x".repeat(262_145))}),
            "ValidationException",
            "Member must have length less than or equal to 262144",
        ),
        (
            json!({"definition": pass, "inspectionLevel": "ALL"}),
            "ValidationException",
            "inspectionLevel",
        ),
        (
            json!({"definition": pass, "roleArn": "not-an-arn"}),
            "InvalidArn",
            "not-an-arn",
        ),
        (
            json!({"definition": pass, "variables": "[1]"}),
            "ValidationException",
            "variables",
        ),
        (
            json!({"definition": task, "mock": {"result": format!("\"{}\"", "x".repeat(262_145))}}),
            "ValidationException",
            "mock.result",
        ),
        (
            json!({"definition": pass, "variables": format!("{{\"v\": \"{}\"}}", "x".repeat(262_145))}),
            "ValidationException",
            "variables",
        ),
        (
            json!({"definition": pass, "stateName": "x".repeat(81)}),
            "ValidationException",
            "stateName",
        ),
        (
            json!({"definition": task, "mock": {"result": "{}"}, "stateConfiguration": {"mapIterationFailureCount": 1}}),
            "ValidationException",
            "mapIterationFailureCount",
        ),
        (
            json!({"definition": pass, "stateConfiguration": {"retrierRetryCount": -1}}),
            "ValidationException",
            "retrierRetryCount",
        ),
        (
            json!({"definition": r#"{"Type": "Task", "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken", "End": true}"#}),
            "ValidationException",
            ".waitForTaskToken",
        ),
    ];
    for (input, code, text) in cases {
        let e = err(&h, input.clone()).await;
        assert_eq!(e.code, code, "{input}: {e:?}");
        assert!(e.message().contains(text), "{input}: {e:?}");
    }
    // fieldValidationMode NONE takes the same result as it is.
    let out = ok(
        &h,
        json!({"definition": task, "mock": {"result": r#"{"StatusCode": "200"}"#, "fieldValidationMode": "NONE"}}),
    )
    .await;
    assert_eq!(parsed(&out["output"]), json!({"StatusCode": "200"}));
}

// ----- the AWS CLI ------------------------------------------------------------------------------

/// `aws <args>` against `endpoint`, with extra environment.
async fn aws_env(endpoint: &str, env: &[(&str, &str)], args: &[&str]) -> common::CliOutput {
    let mut command = tokio::process::Command::new(common::aws_cli());
    command
        .arg("--endpoint-url")
        .arg(endpoint)
        .args(["--output", "json"])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_DISABLE_HOST_PREFIX_INJECTION");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().await.expect("aws runs");
    common::CliOutput {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test]
async fn the_aws_cli_needs_the_host_prefix_turned_off() {
    let h = Harness::kyc(&[]).await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let args = [
        "stepfunctions",
        "test-state",
        "--definition",
        r#"{"Type": "Pass", "End": true}"#,
        "--cli-connect-timeout",
        "5",
    ];
    // As shipped, the CLI sends TestState to sync-127.0.0.1, a name that does not resolve.
    let prefixed = aws_env(&endpoint, &[], &args).await;
    assert!(!prefixed.success);
    assert!(
        prefixed.stderr.contains("sync-127.0.0.1"),
        "{}",
        prefixed.stderr
    );
    let plain = aws_env(
        &endpoint,
        &[("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")],
        &args,
    )
    .await;
    assert!(plain.success, "{}", plain.stderr);
    assert_eq!(plain.json()["status"], "SUCCEEDED");
}

#[tokio::test]
async fn a_sync_prefixed_host_is_served_like_the_host_it_prefixes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = Harness::kyc(&[]).await;
    let addr = h.server.as_ref().unwrap().local_addr;
    let body = json!({"definition": r#"{"Type": "Pass", "End": true}"#}).to_string();
    for (host, served) in [
        (format!("sync-localhost:{}", addr.port()), true),
        (format!("sync-127.0.0.1:{}", addr.port()), true),
        (format!("sync-evil.example:{}", addr.port()), false),
    ] {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nX-Amz-Target: AWSStepFunctions.TestState\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n{body}",
            common::JSON_10,
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        let status_line = answer.lines().next().unwrap_or_default().to_owned();
        if served {
            assert!(status_line.contains(" 200 "), "{host}: {answer}");
            assert!(answer.contains("SUCCEEDED"), "{host}: {answer}");
        } else {
            assert!(status_line.contains(" 403 "), "{host}: {answer}");
        }
    }
}

/// The shell commands of README "Unit-testing a state with TestState", run as written (by `sh`,
/// in a temporary directory, with the README's endpoint replaced by this server's).
fn readme_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let section = readme
        .split("## Unit-testing a state with TestState")
        .nth(1)
        .expect("the README section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("its sh block");
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        let line = line.trim_end();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                commands.push(std::mem::take(&mut current));
            }
        }
    }
    commands
}

#[tokio::test]
async fn the_readme_test_state_commands() {
    let h = Harness::kyc(&[]).await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let cli = common::aws_cli();
    let dir = stepfunctions_support::temp_state_dir();
    let commands = readme_commands();
    assert_eq!(commands.len(), 5, "{commands:#?}");
    assert_eq!(commands[0], "export AWS_DISABLE_HOST_PREFIX_INJECTION=true");
    let mut outputs = Vec::new();
    for command in &commands[1..] {
        let script = format!(
            "{}; {}",
            commands[0],
            command.replace("http://127.0.0.1:4566", &endpoint)
        );
        let output = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(&dir)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    cli.parent().unwrap().display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_PAGER", "")
            .output()
            .await
            .unwrap();
        assert!(
            output.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        outputs.push(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    // 1. The deployed definition, as JSON, in kyc.json.
    let definition: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("kyc.json")).unwrap()).unwrap();
    assert!(definition["States"]["Check identity"].is_object());
    let json = |i: usize| -> Value { serde_json::from_str(&outputs[i]).unwrap() };
    // 2. The Choice.
    assert_eq!(json(1)["status"], "SUCCEEDED");
    assert_eq!(json(1)["nextState"], "Publish declined by identity");
    // 3. The mocked Lambda result.
    let out = json(2);
    assert_eq!(out["status"], "SUCCEEDED");
    assert_eq!(out["nextState"], "Publish identity check completed");
    assert_eq!(
        parsed(&out["inspectionData"]["afterArguments"])["Payload"],
        json!({"applicationId": "app-1", "application": {"customerName": "Ann"}})
    );
    assert_eq!(
        parsed(&out["inspectionData"]["variables"])["identity"],
        json!({"applicationId": "app-1", "identityVerified": true, "checks": {}, "reasons": []})
    );
    // 4. The mocked error, caught.
    let out = json(3);
    assert_eq!(out["status"], "CAUGHT_ERROR");
    assert_eq!(out["nextState"], "Publish declined invalid application");
    assert_eq!(out["error"], "InvalidApplication");
    assert_eq!(
        parsed(&out["output"]),
        json!({"Error": "InvalidApplication", "Cause": "customerName is missing"})
    );
    // Mocks call nothing.
    assert!(h.lambda.calls().is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

// ----- the Rust SDK -----------------------------------------------------------------------------

#[tokio::test]
async fn the_rust_sdk_tests_a_state() {
    use aws_sdk_sfn::types::{InspectionLevel, MockErrorOutput, MockInput, TestExecutionStatus};
    let h = Harness::kyc(&[]).await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let (definition, _) = kyc_definition(&h).await;

    // Without the interceptor the request goes to sync-127.0.0.1 and cannot connect.
    let prefixed = sdk_client(&endpoint, false)
        .test_state()
        .definition(r#"{"Type": "Pass", "End": true}"#)
        .send()
        .await;
    assert!(prefixed.is_err());

    let client = sdk_client(&endpoint, true);
    let out = client
        .test_state()
        .definition(&definition)
        .state_name("Check identity")
        .input("{}")
        .variables(application().to_string())
        .mock(
            MockInput::builder()
                .error_output(
                    MockErrorOutput::builder()
                        .error("InvalidApplication")
                        .cause("bad")
                        .build(),
                )
                .build(),
        )
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), Some(&TestExecutionStatus::CaughtError));
    assert_eq!(
        out.next_state(),
        Some("Publish declined invalid application")
    );
    assert_eq!(out.error(), Some("InvalidApplication"));
    let details = out.inspection_data().unwrap().error_details().unwrap();
    assert_eq!(details.catch_index(), Some(0));

    let out = client
        .test_state()
        .definition(&definition)
        .state_name("Identity verified?")
        .input("{}")
        .variables(application().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), Some(&TestExecutionStatus::Succeeded));
    assert_eq!(out.next_state(), Some("Assess risk"));
    assert!(out.inspection_data().is_none());
}
