//! Fault injection (issue 6): the control API and the CLI, then the whole KYC flow with the real
//! function binaries under injected faults: transient Lambda failures retried, a permanent one
//! ending in "KYC processing failed", a failing rule target's events in its dead-letter queue, and
//! kyc-local killed (SIGKILL) mid-batch and restarted losing nothing.
//!
//! The flows build the functions (`cargo build`, the dev profile the workspace's tests already
//! built) and start the stack from the repository's `template.yaml`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use emulator::assemble::{self, Stack};
use emulator::client::AwsJsonClient;
use emulator::clock::{ManualClock, SharedClock, SystemClock};
use emulator::faults::client::{ClientError, FaultClient};
use emulator::functions::BinaryLocator;
use emulator::lambda::LambdaConfig;
use emulator::server::{ServerConfig, StateLocation, TemplateSource};
use emulator::template::{StackModel, TemplateOptions, parse_parameter_overrides};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

// ------------------------------------------------------------------------------------------------
// Set-up
// ------------------------------------------------------------------------------------------------

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

fn template_path() -> PathBuf {
    repo_root().join("template.yaml")
}

fn template_options(overrides: &[&str]) -> TemplateOptions {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    TemplateOptions {
        stack_name: "kyc-faults".into(),
        parameter_overrides: parse_parameter_overrides(&overrides).expect("overrides"),
        ..TemplateOptions::default()
    }
}

/// Builds the template's functions (cargo only rebuilds what changed).
fn build_functions() {
    let model = emulator::template::load(&template_path(), &template_options(&[])).unwrap();
    assemble::build_functions_with_profile(&repo_root(), &model, "dev")
        .unwrap_or_else(|e| panic!("building the functions: {e}"));
}

async fn start_stack(clock: SharedClock, with_functions: bool) -> Stack {
    if with_functions {
        build_functions();
    }
    let config = ServerConfig {
        port: 0,
        state: StateLocation::InMemory,
        ..ServerConfig::default()
    };
    let template = TemplateSource {
        path: template_path(),
        options: template_options(&[]),
    };
    assemble::start(
        config,
        clock,
        Some(template),
        &BinaryLocator::new(&repo_root(), &[]),
        LambdaConfig::default(),
    )
    .await
    .expect("the stack starts")
}

fn output(model: &StackModel, key: &str) -> String {
    model.outputs[key].as_str().unwrap().to_string()
}

/// Evaluates `check` (an expression that may `.await`) until it is `Some`, failing with `what`
/// after `limit`.
macro_rules! wait_for {
    ($what:expr, $limit:expr, $check:expr) => {{
        let limit: Duration = $limit;
        let deadline = Instant::now() + limit;
        loop {
            if let Some(value) = $check {
                break value;
            }
            assert!(
                Instant::now() < deadline,
                "gave up after {limit:?} waiting for {}",
                $what
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }};
}

fn application_entry(bus: &str, application_id: &str, approve: bool) -> Value {
    // Name and address only: approved automatically. A date of birth under 18: declined by the
    // identity check (UNDERAGE).
    let detail = if approve {
        json!({"applicationId": application_id, "customerName": "Saanvi Sarkar",
               "customerAddress": "456 Main Street, Anytown, USA"})
    } else {
        json!({"applicationId": application_id, "customerName": "Mateo Jackson",
               "customerAddress": "789 Oak Avenue, Anytown, USA", "dateOfBirth": "2015-05-05"})
    };
    json!({"Source": "com.aws.accounts", "DetailType": "New account requested",
           "Detail": detail.to_string(), "EventBusName": bus})
}

/// Puts entries; returns the application ids PutEvents accepted (no per-entry error).
async fn put_applications(client: &AwsJsonClient, entries: &[Value]) -> Vec<String> {
    let answer = client
        .call("AWSEvents.PutEvents", &json!({ "Entries": entries }))
        .await
        .unwrap();
    let results = answer["Entries"].as_array().unwrap();
    assert_eq!(results.len(), entries.len());
    entries
        .iter()
        .zip(results)
        .filter(|(_, r)| r["EventId"].is_string() && r.get("ErrorCode").is_none())
        .map(|(e, _)| {
            let detail: Value = serde_json::from_str(e["Detail"].as_str().unwrap()).unwrap();
            detail["applicationId"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Every event in a log group, parsed (the rule targets write the event JSON).
async fn log_group_events(client: &AwsJsonClient, group: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = json!({"logGroupName": group});
        if let Some(t) = &token {
            request["nextToken"] = json!(t);
        }
        let page = client
            .call("Logs_20140328.FilterLogEvents", &request)
            .await
            .unwrap();
        for e in page["events"].as_array().unwrap() {
            if let Ok(v) = serde_json::from_str::<Value>(e["message"].as_str().unwrap()) {
                events.push(v);
            }
        }
        match page["nextToken"].as_str() {
            Some(t) if token.as_deref() != Some(t) => token = Some(t.to_string()),
            _ => return events,
        }
    }
}

const TERMINAL: [&str; 3] = [
    "New account approved",
    "New account declined",
    "KYC processing failed",
];

/// Terminal events by application id.
async fn terminal_events(client: &AwsJsonClient, group: &str) -> BTreeMap<String, Vec<Value>> {
    let mut by_app: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for event in log_group_events(client, group).await {
        if TERMINAL.contains(&event["detail-type"].as_str().unwrap_or("")) {
            let app = event["detail"]["applicationId"]
                .as_str()
                .unwrap_or("")
                .to_string();
            by_app.entry(app).or_default().push(event);
        }
    }
    by_app
}

async fn executions(client: &AwsJsonClient, state_machine_arn: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = json!({"stateMachineArn": state_machine_arn, "maxResults": 1000});
        if let Some(t) = &token {
            request["nextToken"] = json!(t);
        }
        let page = client
            .call("AWSStepFunctions.ListExecutions", &request)
            .await
            .unwrap();
        all.extend(page["executions"].as_array().unwrap().iter().cloned());
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return all,
        }
    }
}

/// The one execution of a fresh stack, once it stopped.
async fn finished_execution(client: &AwsJsonClient, state_machine_arn: &str) -> Value {
    wait_for!("the execution to finish", Duration::from_secs(60), {
        let list = executions(client, state_machine_arn).await;
        match list.as_slice() {
            [one] if one["status"] != "RUNNING" => Some(one.clone()),
            _ => None,
        }
    })
}

async fn history(client: &AwsJsonClient, execution_arn: &str) -> Vec<Value> {
    client
        .call(
            "AWSStepFunctions.GetExecutionHistory",
            &json!({"executionArn": execution_arn, "maxResults": 1000}),
        )
        .await
        .unwrap()["events"]
        .as_array()
        .unwrap()
        .clone()
}

/// The task failures of the state `state` in a history, as (error, cause).
fn task_failures(history: &[Value], state: &str) -> Vec<(String, String)> {
    let mut current = String::new();
    let mut failures = Vec::new();
    for event in history {
        if event["type"] == "TaskStateEntered" {
            current = event["stateEnteredEventDetails"]["name"]
                .as_str()
                .unwrap()
                .to_string();
        }
        if event["type"] == "TaskFailed" && current == state {
            let details = &event["taskFailedEventDetails"];
            failures.push((
                details["error"].as_str().unwrap().to_string(),
                details["cause"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    failures
}

fn kyc_local_binary() -> &'static str {
    env!("CARGO_BIN_EXE_kyc-local")
}

/// Runs `kyc-local <args>`: (exit code, stdout, stderr).
async fn run_cli(args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(kyc_local_binary())
        .args(args)
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .await
        .expect("kyc-local runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn refused(result: Result<Value, ClientError>) -> (u16, String, String) {
    match result {
        Err(ClientError::Refused {
            status,
            code,
            message,
        }) => (status, code, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------------
// The control API
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_control_api_adds_lists_and_clears_faults() {
    let stack = start_stack(Arc::new(SystemClock), false).await;
    let faults = FaultClient::new(stack.endpoint());
    assert_eq!(
        faults.list().await.unwrap(),
        json!({"lambda": [], "targets": [], "delays": []})
    );

    // Names as the template gives them: a logical id or a FunctionName / rule name.
    let added = faults
        .add(&json!({
            "lambda": [
                {"function": "IdentityCheckFunction", "fault": "error", "errorType": "Retryable",
                 "errorMessage": "downstream 503", "count": 2},
                {"function": "kyc-risk-profile", "fault": "timeout", "rate": 0.25}
            ],
            "targets": [{"rule": "AccountsLogRule", "targetId": "accounts-log-group", "count": 5}],
            "delays": [{"service": "AWSStepFunctions", "ms": 200, "jitterMs": 50}]
        }))
        .await
        .unwrap();
    let expected_lambda = json!([
        {"id": 1, "function": "kyc-identity-check", "fault": "error", "errorType": "Retryable",
         "errorMessage": "downstream 503", "count": 2, "remaining": 2, "attempts": 0, "fired": 0},
        {"id": 2, "function": "kyc-risk-profile", "fault": "timeout", "rate": 0.25,
         "attempts": 0, "fired": 0}
    ]);
    let expected_target = json!({"id": 3, "bus": "CentralEventBus",
        "rule": "kyc-kyc-events-to-accounts", "targetId": "accounts-log-group", "fault": "fail", "count": 5,
        "remaining": 5, "errorCode": "ThrottlingException",
        "errorMessage": "Rate exceeded (injected fault)", "retryable": true});
    let expected_delay = json!({"id": 4, "service": "stepfunctions", "ms": 200, "jitterMs": 50});
    assert_eq!(
        added,
        json!({"lambda": expected_lambda, "targets": [expected_target], "delays": [expected_delay]})
    );
    assert_eq!(faults.list().await.unwrap(), added);

    // A target fault replaces the earlier one of the same target.
    let replaced = faults
        .add(
            &json!({"targets": [{"bus": "CentralEventBus", "rule": "kyc-kyc-events-to-accounts",
            "targetId": "accounts-log-group", "rate": 1, "errorCode": "AccessDeniedException",
            "errorMessage": "not allowed", "retryable": false}]}),
        )
        .await
        .unwrap();
    assert_eq!(
        replaced["targets"],
        json!([{"id": 5, "bus": "CentralEventBus", "rule": "kyc-kyc-events-to-accounts",
            "targetId": "accounts-log-group", "fault": "fail", "rate": 1.0, "errorCode": "AccessDeniedException",
            "errorMessage": "not allowed", "retryable": false}])
    );
    assert_eq!(faults.list().await.unwrap()["targets"], replaced["targets"]);

    // Clear one by id, an unknown id, then everything.
    assert_eq!(faults.clear(Some(2)).await.unwrap(), json!({"cleared": 2}));
    let ids: Vec<u64> = faults.list().await.unwrap()["lambda"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1]);
    assert_eq!(
        refused(faults.clear(Some(99)).await),
        (404, "FaultNotFound".into(), "no fault with id 99".into())
    );
    assert_eq!(faults.clear(Some(4)).await.unwrap(), json!({"cleared": 4}));
    assert_eq!(faults.list().await.unwrap()["delays"], json!([]));
    assert_eq!(faults.clear(None).await.unwrap(), json!({"cleared": "all"}));
    assert_eq!(
        faults.list().await.unwrap(),
        json!({"lambda": [], "targets": [], "delays": []})
    );
    stack.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_control_requests_get_a_json_400_and_change_nothing() {
    let stack = start_stack(Arc::new(SystemClock), false).await;
    let faults = FaultClient::new(stack.endpoint());
    let post = |body: &str| faults.send("POST", "/_local/faults".into(), Some(body.to_string()));

    let (status, code, message) = refused(post("{not json").await);
    assert_eq!((status, code.as_str()), (400, "ValidationError"));
    assert!(
        message.starts_with("the body is not valid JSON: "),
        "{message}"
    );
    let cases: Vec<(Value, &str, String)> = vec![
        (
            json!([]),
            "ValidationError",
            "a fault plan is a JSON object with \"lambda\", \"targets\" and \"delays\" arrays".into(),
        ),
        (
            json!({"lambda": [{"function": "IdentityCheckFunction", "fault": "crash", "count": 1, "rate": 0.5}]}),
            "ValidationError",
            "lambda[0]: give count or rate, not both".into(),
        ),
        (
            json!({"lambda": [{"function": "IdentityCheckFunction", "fault": "crash"}]}),
            "ValidationError",
            "lambda[0]: give count (the next N attempts) or rate (a share of attempts; 1 fails every attempt)".into(),
        ),
        (
            json!({"lambda": [{"function": "IdentityCheckFunction", "fault": "crash", "rate": 2}]}),
            "ValidationError",
            "lambda[0]: rate must be greater than 0 and at most 1 (got 2)".into(),
        ),
        (
            json!({"lambda": [{"function": "IdentityCheckFunction", "fault": "explode", "count": 1}]}),
            "ValidationError",
            "lambda[0]: unknown fault \"explode\" (expected error, crash, timeout or throttle)".into(),
        ),
        (
            json!({"lambda": [{"function": "IdentityCheckFunction", "fault": "error", "count": 1}]}),
            "ValidationError",
            "lambda[0]: fault \"error\" needs an errorType (e.g. \"Retryable\")".into(),
        ),
        (
            json!({"lambda": [{"function": "IdentityCheckFunction", "fault": "crash", "errorType": "X", "count": 1}]}),
            "ValidationError",
            "lambda[0]: errorType and errorMessage go with fault \"error\", not \"crash\"".into(),
        ),
        (
            json!({"lambda": [{"function": "IdentityCheckFunction", "fault": "crash", "count": "3"}]}),
            "ValidationError",
            "lambda[0]: invalid type: string \"3\", expected u32".into(),
        ),
        (
            json!({"lambda": [{"function": "no-such-function", "fault": "crash", "count": 1}]}),
            "UnknownFunction",
            "lambda[0]: no function \"no-such-function\" (functions: kyc-application-intake, kyc-callback-completer, kyc-identity-check, kyc-risk-profile, kyc-status-change-logger)".into(),
        ),
        (
            json!({"targets": [{"rule": "no-such-rule", "targetId": "t", "count": 1}]}),
            "UnknownRuleTarget",
            "targets[0]: no rule \"no-such-rule\"".into(),
        ),
        (
            json!({"targets": [{"rule": "kyc-kyc-events-to-accounts", "bus": "default", "targetId": "accounts-log-group", "count": 1}]}),
            "UnknownRuleTarget",
            "targets[0]: no rule \"kyc-kyc-events-to-accounts\" on event bus \"default\"".into(),
        ),
        (
            json!({"targets": [{"rule": "kyc-kyc-events-to-accounts", "targetId": "nope", "count": 1}]}),
            "UnknownRuleTarget",
            "targets[0]: rule \"kyc-kyc-events-to-accounts\" has no target \"nope\" (targets: accounts-log-group)".into(),
        ),
        (
            json!({"delays": [{"service": "s3", "ms": 10}]}),
            "ValidationError",
            "delays[0]: unknown service \"s3\" (expected stepfunctions, events, logs, lambda, sqs)".into(),
        ),
        (
            json!({"delays": [{"service": "sqs", "ms": 300000, "jitterMs": 1}]}),
            "ValidationError",
            "delays[0]: ms + jitterMs must be at most 300000".into(),
        ),
        (
            json!({"delays": [{"service": "sqs"}]}),
            "ValidationError",
            "delays[0]: missing field `ms`".into(),
        ),
        // All or nothing: a good entry next to a bad one is not added either.
        (
            json!({"delays": [{"service": "sqs", "ms": 1}],
                   "targets": [{"rule": "kyc-kyc-events-to-accounts", "targetId": "accounts-log-group", "count": 0}]}),
            "ValidationError",
            "targets[0]: count must be at least 1".into(),
        ),
    ];
    for (body, want_code, want_message) in cases {
        let (status, code, message) = refused(post(&body.to_string()).await);
        assert_eq!(
            (status, code.as_str(), message.as_str()),
            (400, want_code, want_message.as_str()),
            "for {body}"
        );
    }
    // Larger than the control API reads: still a JSON error.
    let (status, code, message) = refused(post(&" ".repeat(3 * 1024 * 1024)).await);
    assert_eq!((status, code.as_str()), (413, "ValidationError"));
    assert!(message.contains("length limit exceeded"), "{message}");
    let (status, code, message) = refused(
        faults
            .send("DELETE", "/_local/faults/abc".into(), None)
            .await,
    );
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (400, "ValidationError", "fault id \"abc\" is not a number")
    );
    let (status, code, _) = refused(faults.send("PUT", "/_local/faults".into(), None).await);
    assert_eq!((status, code.as_str()), (405, "MethodNotAllowed"));
    assert_eq!(
        faults.list().await.unwrap(),
        json!({"lambda": [], "targets": [], "delays": []})
    );
    stack.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_service_delay_holds_its_namespace_only() {
    // On a manual clock a delayed request waits until the clock moves: no timing involved.
    let clock = ManualClock::new(1_700_000_000_000);
    let stack = start_stack(clock.clone(), false).await;
    let faults = FaultClient::new(stack.endpoint());
    faults
        .add(&json!({"delays": [{"service": "sqs", "ms": 60000}, {"service": "lambda", "ms": 60000}]}))
        .await
        .unwrap();
    let client = Arc::new(AwsJsonClient::new(stack.endpoint()));
    let sqs = {
        let client = Arc::clone(&client);
        tokio::spawn(async move { client.call("AmazonSQS.ListQueues", &json!({})).await })
    };
    let lambda = {
        let faults = FaultClient::new(stack.endpoint());
        tokio::spawn(async move {
            faults
                .send("GET", "/2015-03-31/functions".into(), None)
                .await
        })
    };
    // Other namespaces answer at once.
    let groups = client
        .call("Logs_20140328.DescribeLogGroups", &json!({}))
        .await
        .unwrap();
    assert!(!groups["logGroups"].as_array().unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!sqs.is_finished(), "SQS answered before its delay elapsed");
    assert!(
        !lambda.is_finished(),
        "Lambda answered before its delay elapsed"
    );
    clock.advance(Duration::from_secs(60));
    let queues = tokio::time::timeout(Duration::from_secs(10), sqs)
        .await
        .expect("SQS answers once the delay elapsed")
        .unwrap()
        .unwrap();
    assert_eq!(queues["QueueUrls"].as_array().unwrap().len(), 3);
    let functions = tokio::time::timeout(Duration::from_secs(10), lambda)
        .await
        .expect("Lambda answers once the delay elapsed")
        .unwrap()
        .unwrap();
    assert!(functions["Functions"].is_array(), "{functions}");
    stack.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_cli_calls_the_control_api_and_reports_errors() {
    let stack = start_stack(Arc::new(SystemClock), false).await;
    let endpoint = stack.endpoint().to_string();

    let (code, stdout, stderr) = run_cli(&[
        "fault",
        "lambda",
        "RiskProfileFunction",
        "--error",
        "Retryable:downstream 503",
        "--rate",
        "0.5",
        "--endpoint-url",
        &endpoint,
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");
    let added: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        added["lambda"],
        json!([{"id": 1, "function": "kyc-risk-profile", "fault": "error", "errorType": "Retryable",
                "errorMessage": "downstream 503", "rate": 0.5, "attempts": 0, "fired": 0}])
    );
    let (code, stdout, _) = run_cli(&[
        "fault",
        "target",
        "kyc-review-events-to-customer-service",
        "customer-service-log-group",
        "--count",
        "3",
        "--endpoint-url",
        &endpoint,
    ])
    .await;
    assert_eq!(code, 0);
    let added: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(added["targets"][0]["remaining"], 3);
    let (code, _, _) = run_cli(&[
        "fault",
        "delay",
        "events",
        "--ms",
        "5",
        "--endpoint-url",
        &endpoint,
    ])
    .await;
    assert_eq!(code, 0);
    let (code, stdout, _) = run_cli(&["fault", "list", "--endpoint-url", &endpoint]).await;
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(listed, FaultClient::new(&endpoint).list().await.unwrap());
    assert_eq!(
        listed["delays"],
        json!([{"id": 3, "service": "events", "ms": 5, "jitterMs": 0}])
    );

    // Refused by the server: exit 2, the code and message on stderr.
    let (code, _, stderr) = run_cli(&[
        "fault",
        "lambda",
        "nope",
        "--crash",
        "--count",
        "1",
        "--endpoint-url",
        &endpoint,
    ])
    .await;
    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim(),
        "error: UnknownFunction: lambda[0]: no function \"nope\" (functions: kyc-application-intake, kyc-callback-completer, kyc-identity-check, kyc-risk-profile, kyc-status-change-logger) (HTTP 400)"
    );
    // Refused by the argument parser.
    let (code, _, stderr) = run_cli(&[
        "fault",
        "lambda",
        "f",
        "--crash",
        "--timeout",
        "--count",
        "1",
    ])
    .await;
    assert_eq!(code, 2);
    assert!(
        stderr.contains("the argument '--crash' cannot be used with '--timeout'"),
        "{stderr}"
    );
    let (code, stdout, _) = run_cli(&["fault", "clear", "--endpoint-url", &endpoint]).await;
    assert_eq!((code, stdout.trim()), (0, "{\n  \"cleared\": \"all\"\n}"));
    stack.shutdown().await.unwrap();

    // Nothing listening.
    let (code, _, stderr) = run_cli(&["fault", "list", "--endpoint-url", &endpoint]).await;
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with(&format!("error: cannot reach the stack at {endpoint}: ")),
        "{stderr}"
    );
}

#[tokio::test]
async fn serve_refuses_a_bad_fault_plan() {
    let dir = std::env::temp_dir().join(format!("kyc-faults-plan-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = template_path();
    let template = template.to_str().unwrap();

    let bad_json = dir.join("bad.json");
    std::fs::write(
        &bad_json,
        r#"{"lambda": [{"function": "f", "fault": "crash"}], "x": 1}"#,
    )
    .unwrap();
    let (code, _, stderr) = run_cli(&[
        "serve",
        "--port",
        "0",
        "--in-memory",
        "--template",
        template,
        "--faults",
        bad_json.to_str().unwrap(),
    ])
    .await;
    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim(),
        format!(
            "error: {}: unknown key \"x\" (expected \"lambda\", \"targets\" or \"delays\")",
            bad_json.display()
        )
    );

    let unknown = dir.join("unknown.json");
    std::fs::write(
        &unknown,
        r#"{"lambda": [{"function": "missing-function", "fault": "crash", "count": 1}]}"#,
    )
    .unwrap();
    let (code, stdout, stderr) = run_cli(&[
        "serve",
        "--port",
        "0",
        "--in-memory",
        "--template",
        template,
        "--faults",
        unknown.to_str().unwrap(),
    ])
    .await;
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stderr.contains("error: fault plan: lambda[0]: no function \"missing-function\""),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ------------------------------------------------------------------------------------------------
// The whole flow, real functions
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn transient_identity_check_failures_are_retried_and_the_application_is_approved() {
    let stack = start_stack(Arc::new(SystemClock), true).await;
    let model = stack.template().unwrap().clone();
    let client = AwsJsonClient::new(stack.endpoint());
    // Two failures, below the Retry budget of "Check identity" (MaxAttempts 3 on Retryable):
    // through the CLI, as a person would.
    let (code, _, stderr) = run_cli(&[
        "fault",
        "lambda",
        "IdentityCheckFunction",
        "--error",
        "Retryable:downstream 503",
        "--count",
        "2",
        "--endpoint-url",
        stack.endpoint(),
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");

    let bus = output(&model, "EventBusName");
    let accepted =
        put_applications(&client, &[application_entry(&bus, "fault-transient", true)]).await;
    assert_eq!(accepted, ["fault-transient"]);
    let execution = finished_execution(&client, &output(&model, "StateMachineArn")).await;
    assert_eq!(execution["status"], "SUCCEEDED");
    let history = history(&client, execution["executionArn"].as_str().unwrap()).await;
    let failures = task_failures(&history, "Check identity");
    assert_eq!(failures.len(), 2, "{failures:?}");
    for (error, cause) in &failures {
        assert_eq!(error, "Retryable");
        let cause: Value = serde_json::from_str(cause).unwrap();
        assert_eq!(cause["errorType"], "Retryable");
        assert_eq!(cause["errorMessage"], "downstream 503");
    }
    let group = output(&model, "AccountsLogGroupName");
    let terminal = wait_for!("the terminal event", Duration::from_secs(30), {
        let t = terminal_events(&client, &group).await;
        t.get("fault-transient").cloned()
    });
    assert_eq!(terminal.len(), 1);
    assert_eq!(terminal[0]["detail-type"], "New account approved");
    assert_eq!(terminal[0]["detail"]["decision"], "APPROVED");
    let listed = FaultClient::new(stack.endpoint()).list().await.unwrap();
    assert_eq!(listed["lambda"][0]["fired"], 2);
    assert_eq!(listed["lambda"][0]["remaining"], 0);
    stack.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_permanent_crash_ends_in_kyc_processing_failed_with_the_cause() {
    let stack = start_stack(Arc::new(SystemClock), true).await;
    let model = stack.template().unwrap().clone();
    let client = AwsJsonClient::new(stack.endpoint());
    FaultClient::new(stack.endpoint())
        .add(&json!({"lambda": [{"function": "kyc-identity-check", "fault": "crash", "rate": 1}]}))
        .await
        .unwrap();
    let bus = output(&model, "EventBusName");
    put_applications(&client, &[application_entry(&bus, "fault-permanent", true)]).await;
    let execution = finished_execution(&client, &output(&model, "StateMachineArn")).await;
    // The definition catches States.ALL, publishes "KYC processing failed", then fails the
    // execution with the error and cause (Processing failed: ErrorPath / CausePath).
    assert_eq!(execution["status"], "FAILED");
    let described = client
        .call(
            "AWSStepFunctions.DescribeExecution",
            &json!({"executionArn": execution["executionArn"]}),
        )
        .await
        .unwrap();
    assert_eq!(described["error"], "Runtime.ExitError");
    let history = history(&client, execution["executionArn"].as_str().unwrap()).await;
    let failures = task_failures(&history, "Check identity");
    // The first attempt and MaxAttempts (3) retries.
    assert_eq!(failures.len(), 4, "{failures:?}");
    assert!(failures.iter().all(|(e, _)| e == "Runtime.ExitError"));
    assert_eq!(described["cause"].as_str(), Some(failures[3].1.as_str()));
    let cause: Value = serde_json::from_str(&failures[3].1).unwrap();
    assert_eq!(cause["errorType"], "Runtime.ExitError");
    assert!(
        cause["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Runtime exited with error: signal: killed"),
        "{cause}"
    );

    let group = output(&model, "AccountsLogGroupName");
    let terminal = wait_for!(
        "the terminal event",
        Duration::from_secs(30),
        terminal_events(&client, &group)
            .await
            .get("fault-permanent")
            .cloned()
    );
    assert_eq!(terminal.len(), 1);
    assert_eq!(terminal[0]["detail-type"], "KYC processing failed");
    assert_eq!(
        terminal[0]["detail"],
        json!({"applicationId": "fault-permanent", "error": "Runtime.ExitError",
               "cause": failures[3].1})
    );
    stack.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_failing_rule_target_sends_its_events_to_the_dead_letter_queue() {
    let stack = start_stack(Arc::new(SystemClock), true).await;
    let model = stack.template().unwrap().clone();
    let client = AwsJsonClient::new(stack.endpoint());
    let rule = model
        .rules
        .iter()
        .find(|r| r.logical_id == "AccountsLogRule")
        .unwrap()
        .clone();
    // The template retries 185 times over a day; a short policy (PutTargets, as an operator
    // would) keeps the test short: 2 retries.
    let targets = client
        .call(
            "AWSEvents.ListTargetsByRule",
            &json!({"Rule": rule.name, "EventBusName": rule.event_bus_name}),
        )
        .await
        .unwrap()["Targets"]
        .clone();
    let mut target = targets[0].clone();
    assert_eq!(target["Id"], "accounts-log-group");
    target["RetryPolicy"] = json!({"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60});
    let put = client
        .call(
            "AWSEvents.PutTargets",
            &json!({"Rule": rule.name, "EventBusName": rule.event_bus_name, "Targets": [target.clone()]}),
        )
        .await
        .unwrap();
    assert_eq!(put["FailedEntryCount"], 0);
    let faults = FaultClient::new(stack.endpoint());
    faults
        .add(
            &json!({"targets": [{"rule": rule.name, "targetId": "accounts-log-group", "rate": 1,
                                   "errorCode": "ThrottlingException",
                                   "errorMessage": "Rate exceeded (injected)"}]}),
        )
        .await
        .unwrap();

    let bus = output(&model, "EventBusName");
    put_applications(&client, &[application_entry(&bus, "fault-target", true)]).await;
    let execution = finished_execution(&client, &output(&model, "StateMachineArn")).await;
    assert_eq!(execution["status"], "SUCCEEDED");

    // Both events the rule matched for this application (Identity check completed, New account
    // approved) land in the dead-letter queue once the retries are spent.
    let dlq = output(&model, "RuleTargetDeadLetterQueueUrl");
    let mut dead: Vec<Value> = Vec::new();
    wait_for!("two dead letters", Duration::from_secs(30), {
        let got = client
            .call(
                "AmazonSQS.ReceiveMessage",
                &json!({"QueueUrl": dlq, "MaxNumberOfMessages": 10,
                        "MessageAttributeNames": ["All"], "WaitTimeSeconds": 1}),
            )
            .await
            .unwrap();
        dead.extend(got["Messages"].as_array().cloned().unwrap_or_default());
        (dead.len() >= 2).then_some(())
    });
    assert_eq!(dead.len(), 2);
    let mut detail_types: Vec<String> = Vec::new();
    for message in &dead {
        let body: Value = serde_json::from_str(message["Body"].as_str().unwrap()).unwrap();
        assert_eq!(body["detail"]["applicationId"], "fault-target");
        detail_types.push(body["detail-type"].as_str().unwrap().to_string());
        let attributes: BTreeMap<String, String> = message["MessageAttributes"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                assert_eq!(v["DataType"], "String");
                (k.clone(), v["StringValue"].as_str().unwrap().to_string())
            })
            .collect();
        let expected: BTreeMap<String, String> = [
            ("RULE_ARN", rule.arn.as_str()),
            ("TARGET_ARN", target["Arn"].as_str().unwrap()),
            ("ERROR_CODE", "ThrottlingException"),
            ("ERROR_MESSAGE", "Rate exceeded (injected)"),
            ("EXHAUSTED_RETRY_CONDITION", "MaximumRetryAttempts"),
            ("RETRY_ATTEMPTS", "2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(attributes, expected);
    }
    detail_types.sort();
    assert_eq!(
        detail_types,
        ["Identity check completed", "New account approved"]
    );
    let group = output(&model, "AccountsLogGroupName");
    assert_eq!(log_group_events(&client, &group).await, Vec::<Value>::new());

    // Cleared, the target works again.
    faults.clear(None).await.unwrap();
    put_applications(
        &client,
        &[application_entry(&bus, "fault-target-after", true)],
    )
    .await;
    let terminal = wait_for!(
        "the terminal event after clearing",
        Duration::from_secs(30),
        terminal_events(&client, &group)
            .await
            .get("fault-target-after")
            .cloned()
    );
    assert_eq!(terminal[0]["detail-type"], "New account approved");
    stack.shutdown().await.unwrap();
}

/// The one target of a template rule, as ListTargetsByRule answers it.
async fn rule_target(
    client: &AwsJsonClient,
    model: &StackModel,
    logical_id: &str,
) -> (String, Value) {
    let rule = model
        .rules
        .iter()
        .find(|r| r.logical_id == logical_id)
        .unwrap_or_else(|| panic!("no rule {logical_id}"));
    let targets = client
        .call(
            "AWSEvents.ListTargetsByRule",
            &json!({"Rule": rule.name, "EventBusName": rule.event_bus_name}),
        )
        .await
        .unwrap()["Targets"]
        .clone();
    (rule.name.clone(), targets[0].clone())
}

/// EventBridge delivers at least once. A duplicated delivery of a New account requested reaches the
/// application intake twice, and the application still gets one execution and one decision: the
/// intake names the execution after the applicationId, and Step Functions answers the second
/// StartExecution with the running execution (same name and input) or ExecutionAlreadyExists.
#[tokio::test]
async fn a_duplicated_delivery_gives_one_decision() {
    let stack = start_stack(Arc::new(SystemClock), true).await;
    let model = stack.template().unwrap().clone();
    let client = AwsJsonClient::new(stack.endpoint());
    let (rule, target) = rule_target(
        &client,
        &model,
        "ApplicationIntakeFunctionNewAccountRequested",
    )
    .await;
    let faults = FaultClient::new(stack.endpoint());
    let added = faults
        .add(
            &json!({"targets": [{"rule": rule, "targetId": target["Id"], "count": 1,
                                   "fault": "duplicate"}]}),
        )
        .await
        .unwrap();
    assert_eq!(added["targets"][0]["fault"], "duplicate");
    assert_eq!(added["targets"][0]["remaining"], 1);

    let bus = output(&model, "EventBusName");
    put_applications(&client, &[application_entry(&bus, "dup-1", true)]).await;
    let intake_log = format!(
        "/aws/lambda/{}",
        output(&model, "ApplicationIntakeFunctionName")
    );
    // Both deliveries reached the function: two invocations, each logged its decision (the
    // template's SystemLogLevel WARN leaves out the platform START lines). The second finds the
    // first execution running (same name and input: StartExecution answers it again) or closed
    // (ExecutionAlreadyExists), whichever comes first.
    let handled = wait_for!("two intake invocations", Duration::from_secs(60), {
        let lines = raw_messages(&client, &intake_log).await;
        let handled: Vec<String> = lines
            .into_iter()
            .filter(|m| m.contains("workflow_started") || m.contains("duplicate_application"))
            .collect();
        (handled.len() >= 2).then_some(handled)
    });
    assert_eq!(handled.len(), 2, "{handled:?}");
    assert!(
        handled
            .iter()
            .all(|m| m.contains("\"execution_name\":\"dup-1\"")),
        "{handled:?}"
    );
    let execution = finished_execution(&client, &output(&model, "StateMachineArn")).await;
    assert_eq!(execution["name"], "dup-1");
    assert_eq!(execution["status"], "SUCCEEDED");
    // Let any second execution or event show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        executions(&client, &output(&model, "StateMachineArn"))
            .await
            .len(),
        1
    );
    let terminal = terminal_events(&client, &output(&model, "AccountsLogGroupName")).await;
    assert_eq!(terminal["dup-1"].len(), 1, "{terminal:?}");
    assert_eq!(terminal["dup-1"][0]["detail-type"], "New account approved");
    stack.shutdown().await.unwrap();
}

/// The defect the intake fixes, shown with the same fault: a rule that starts the state machine
/// itself starts one execution per delivery, so a duplicated delivery decides the application twice.
#[tokio::test]
async fn a_rule_that_starts_the_state_machine_directly_decides_a_duplicate_twice() {
    let stack = start_stack(Arc::new(SystemClock), true).await;
    let model = stack.template().unwrap().clone();
    let client = AwsJsonClient::new(stack.endpoint());
    let bus = output(&model, "EventBusName");
    let machine = output(&model, "StateMachineArn");
    client
        .call(
            "AWSEvents.PutRule",
            &json!({"Name": "direct-start", "EventBusName": bus,
                    "EventPattern": "{\"source\": [\"com.example.direct\"]}"}),
        )
        .await
        .unwrap();
    client
        .call(
            "AWSEvents.PutTargets",
            &json!({"Rule": "direct-start", "EventBusName": bus,
                    "Targets": [{"Id": "machine", "Arn": machine,
                                 "RoleArn": "arn:aws:iam::000000000000:role/direct-start"}]}),
        )
        .await
        .unwrap();
    FaultClient::new(stack.endpoint())
        .add(
            &json!({"targets": [{"rule": "direct-start", "targetId": "machine", "count": 1,
                                   "fault": "duplicate"}]}),
        )
        .await
        .unwrap();
    let mut entry = application_entry(&bus, "dup-direct", true);
    entry["Source"] = json!("com.example.direct");
    client
        .call("AWSEvents.PutEvents", &json!({ "Entries": [entry] }))
        .await
        .unwrap();
    let group = output(&model, "AccountsLogGroupName");
    let terminal = wait_for!("two decisions", Duration::from_secs(60), {
        let t = terminal_events(&client, &group).await;
        t.get("dup-direct").filter(|d| d.len() >= 2).cloned()
    });
    assert_eq!(terminal.len(), 2);
    assert_eq!(executions(&client, &machine).await.len(), 2);
    stack.shutdown().await.unwrap();
}

/// Every message of a log group, as text.
async fn raw_messages(client: &AwsJsonClient, group: &str) -> Vec<String> {
    let page = client
        .call(
            "Logs_20140328.FilterLogEvents",
            &json!({"logGroupName": group, "limit": 10000}),
        )
        .await;
    match page {
        Ok(page) => page["events"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .filter_map(|e| e["message"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        // The group appears with the function's first line.
        Err(_) => Vec::new(),
    }
}

/// A kyc-local process started from the binary, with its endpoint read from its first line.
struct Served {
    child: tokio::process::Child,
    endpoint: String,
    /// The `note:` lines of its banner (resumed work, ...).
    notes: Vec<String>,
}

async fn serve(state_dir: &Path, faults: Option<&Path>) -> Served {
    let mut command = tokio::process::Command::new(kyc_local_binary());
    command
        .args(["serve", "--port", "0", "--state-dir"])
        .arg(state_dir)
        .arg("--template")
        .arg(template_path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Some(plan) = faults {
        command.arg("--faults").arg(plan);
    }
    let mut child = command.spawn().expect("kyc-local starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("kyc-local printed its endpoint in time")
        .unwrap()
        .expect("a first line");
    let endpoint = first
        .strip_prefix("kyc-local ready endpoint=")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_string();
    // The banner up to its first empty line.
    let mut notes = Vec::new();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await
    {
        if line.is_empty() {
            break;
        }
        if let Some(note) = line.trim().strip_prefix("note: ") {
            notes.push(note.to_string());
        }
    }
    // Keep reading so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Served {
        child,
        endpoint,
        notes,
    }
}

#[tokio::test]
async fn sigkill_mid_batch_loses_no_accepted_event_and_finishes_every_execution() {
    build_functions();
    let model = emulator::template::load(&template_path(), &template_options(&[])).unwrap();
    let bus = output(&model, "EventBusName");
    let state_machine = output(&model, "StateMachineArn");
    let group = output(&model, "AccountsLogGroupName");
    let dir = std::env::temp_dir().join(format!("kyc-faults-kill-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    // Slow Lambda and StartExecution down (a fault plan given at start) so the kill lands while
    // executions run and rule deliveries are pending.
    let plan = dir.join("slow.json");
    std::fs::write(
        &plan,
        r#"{"delays": [{"service": "lambda", "ms": 300, "jitterMs": 700},
                       {"service": "stepfunctions", "ms": 100, "jitterMs": 1500}]}"#,
    )
    .unwrap();
    let state = dir.join("state");

    let mut first = serve(&state, Some(&plan)).await;
    let client = AwsJsonClient::new(&first.endpoint);
    let mut accepted = Vec::new();
    let mut expected: BTreeMap<String, &str> = BTreeMap::new();
    for batch in 0..10 {
        let entries: Vec<Value> = (0..10)
            .map(|i| {
                let n = batch * 10 + i;
                let id = format!("kill-{n:03}");
                let approve = n % 3 != 0;
                expected.insert(
                    id.clone(),
                    if approve {
                        "New account approved"
                    } else {
                        "New account declined"
                    },
                );
                application_entry(&bus, &id, approve)
            })
            .collect();
        accepted.extend(put_applications(&client, &entries).await);
    }
    assert_eq!(accepted.len(), 100, "every entry accepted");
    // Kill once some applications finished and others have not.
    let done_at_kill = wait_for!("the first terminal events", Duration::from_secs(60), {
        let done = terminal_events(&client, &group).await.len();
        (done > 0).then_some(done)
    });
    first.child.kill().await.unwrap(); // SIGKILL
    assert!(
        done_at_kill < 100,
        "every application finished before the kill ({done_at_kill}); nothing was in flight"
    );

    // Restart on the same state directory, without the fault plan (faults live in memory).
    let mut second = serve(&state, None).await;
    eprintln!(
        "killed with {done_at_kill}/100 applications finished; after the restart: {:?}",
        second.notes
    );
    assert!(
        second.notes.iter().any(|n| n.starts_with("resumed ")),
        "the restart found no unfinished work: {:?}",
        second.notes
    );
    let client = AwsJsonClient::new(&second.endpoint);
    assert_eq!(
        FaultClient::new(&second.endpoint).list().await.unwrap(),
        json!({"lambda": [], "targets": [], "delays": []})
    );
    let terminal = wait_for!(
        "a terminal event for every application",
        Duration::from_secs(120),
        {
            let t = terminal_events(&client, &group).await;
            accepted.iter().all(|id| t.contains_key(id)).then_some(t)
        }
    );
    let finished = wait_for!("every execution to stop", Duration::from_secs(60), {
        let list = executions(&client, &state_machine).await;
        list.iter()
            .all(|e| e["status"] != "RUNNING")
            .then_some(list)
    });
    // Settle: anything still being delivered would show up as a duplicate.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let terminal_after = terminal_events(&client, &group).await;
    assert_eq!(terminal_after.len(), terminal.len());
    assert_eq!(
        terminal_after.len(),
        100,
        "no terminal event for an unknown application"
    );
    assert_eq!(finished.len(), 100, "one execution per accepted event");
    assert!(finished.iter().all(|e| e["status"] == "SUCCEEDED"));
    for id in &accepted {
        let events = &terminal_after[id];
        // Exactly one: a putEvents task sent again after the restart (its PutEvents committed, its
        // answer not saved yet) gets the first call's answer back instead of publishing again.
        assert_eq!(events.len(), 1, "{id}: {events:?}");
        assert_eq!(events[0]["detail-type"], expected[id], "{id}");
    }
    second.child.kill().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
