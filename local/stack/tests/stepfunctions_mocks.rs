//! Mocked service integrations (Step Functions Local's mock configuration file): StartExecution on
//! `ARN#TestCase` with the project's `statemachine/kyc.mock.json`, over the wire (awsJson1_0
//! through the server) and with the real AWS CLI. Mocked Task states call nothing (the fake Lambda
//! records every call), the others run for real (the putEvents states publish to the recording
//! bus); retries take the mocked response of their invocation number; a restart keeps the test case
//! and the invocation numbers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod stepfunctions_support;

use std::path::PathBuf;

use emulator::clock::ManualClock;
use emulator::server::StateLocation;
use emulator::services::stepfunctions::mocks::MockConfig;
use serde_json::{Value, json};
use stepfunctions_support::{FakeLambda, Harness, KYC_ARN, START_MS, temp_state_dir};

fn mock_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../statemachine/kyc.mock.json")
}

fn kyc_mocks() -> MockConfig {
    MockConfig::load(&mock_file()).unwrap()
}

/// The mocked response `name`'s `Return` for invocation `key`, from the file itself.
fn mocked_return(name: &str, key: &str) -> Value {
    let file: Value = serde_json::from_str(&std::fs::read_to_string(mock_file()).unwrap()).unwrap();
    file["MockedResponses"][name][key]["Return"].clone()
}

async fn mocked_harness() -> Harness {
    let h = Harness::kyc(&[]).await;
    assert!(h.svc.set_mock_config(kyc_mocks()));
    h
}

fn application(id: &str) -> String {
    json!({"detail": {"applicationId": id, "customerName": "Saanvi Sarkar",
                      "customerAddress": "456 Main Street, Anytown, USA"}})
    .to_string()
}

/// StartExecution over the wire; the body of the answer, or the error's (status, __type, message).
async fn wire(h: &Harness, op: &str, input: Value) -> Result<Value, (u16, String, String)> {
    let response = common::call(
        h.server.as_ref().unwrap().local_addr,
        &format!("AWSStepFunctions.{op}"),
        common::JSON_10,
        &input.to_string(),
    )
    .await;
    let body = response.json();
    if response.status == 200 {
        Ok(body)
    } else {
        Err((
            response.status,
            body["__type"].as_str().unwrap_or("").to_owned(),
            body["message"].as_str().unwrap_or("").to_owned(),
        ))
    }
}

async fn start_case(h: &Harness, case: &str, name: &str) -> String {
    let out = wire(
        h,
        "StartExecution",
        json!({"stateMachineArn": format!("{KYC_ARN}#{case}"), "name": name, "input": application(name)}),
    )
    .await
    .unwrap_or_else(|e| panic!("StartExecution {case}: {e:?}"));
    out["executionArn"].as_str().unwrap().to_owned()
}

fn output(described: &Value) -> Value {
    serde_json::from_str(described["output"].as_str().unwrap()).unwrap()
}

/// The history events of `kind` (e.g. TaskFailed) that follow the entry into `state`, up to the
/// next state entered.
fn events_in_state<'a>(history: &'a [Value], state: &str, kind: &str) -> Vec<&'a Value> {
    let mut inside = false;
    let mut found = Vec::new();
    for event in history {
        let t = event["type"].as_str().unwrap();
        if t.ends_with("StateEntered") {
            inside = event["stateEnteredEventDetails"]["name"] == state;
        } else if inside && t == kind {
            found.push(event);
        }
    }
    found
}

#[tokio::test]
async fn a_test_case_mocks_the_lambdas_and_publishes_for_real() {
    let h = mocked_harness().await;
    let arn = start_case(&h, "Approved", "app-approved").await;
    let done = h.wait_status(&arn, "SUCCEEDED").await;
    assert!(h.lambda.calls().is_empty(), "{:?}", h.lambda.calls());
    // The unmocked putEvents states published, with the mocked results in their details.
    let approved = h.wait_event("New account approved", 1).await;
    assert_eq!(approved[0]["applicationId"], "app-approved");
    assert_eq!(approved[0]["decidedBy"], "AUTOMATIC");
    assert_eq!(approved[0]["riskLevel"], "LOW");
    assert_eq!(
        h.events.details("Identity check completed")[0]["checks"]["watchlist"],
        "PASSED"
    );
    let out = output(&done);
    assert_eq!(out["identity"]["identityVerified"], true);
    assert_eq!(out["risk"]["decision"], "APPROVE");
    // History as for a real lambda:invoke task: scheduled, started, succeeded with the mocked
    // response as the task's raw result.
    let history = h.history(&arn).await;
    let scheduled = events_in_state(&history, "Check identity", "TaskScheduled");
    assert_eq!(scheduled.len(), 1);
    assert_eq!(
        scheduled[0]["taskScheduledEventDetails"]["resourceType"],
        "lambda"
    );
    assert_eq!(
        scheduled[0]["taskScheduledEventDetails"]["resource"],
        "invoke"
    );
    assert_eq!(
        events_in_state(&history, "Check identity", "TaskStarted").len(),
        1
    );
    let succeeded = events_in_state(&history, "Check identity", "TaskSucceeded");
    assert_eq!(succeeded.len(), 1);
    let result: Value = serde_json::from_str(
        succeeded[0]["taskSucceededEventDetails"]["output"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(result, mocked_return("IdentityVerified", "0"));
    assert_eq!(result["StatusCode"], 200);
    assert_eq!(result["ExecutedVersion"], "$LATEST");
    h.stop().await;
}

#[tokio::test]
async fn declines_by_identity_and_by_risk() {
    let h = mocked_harness().await;
    let by_identity = start_case(&h, "DeclinedByIdentity", "app-identity").await;
    let by_risk = start_case(&h, "DeclinedByRisk", "app-risk").await;
    h.wait_status(&by_identity, "SUCCEEDED").await;
    h.wait_status(&by_risk, "SUCCEEDED").await;
    let declined = h.wait_event("New account declined", 2).await;
    let of = |id: &str| {
        declined
            .iter()
            .find(|d| d["applicationId"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(of("app-identity")["reasons"], json!(["DOCUMENT_EXPIRED"]));
    assert_eq!(of("app-identity")["riskLevel"], Value::Null);
    assert_eq!(of("app-risk")["reasons"], json!(["HIGH_RISK_JURISDICTION"]));
    assert_eq!(of("app-risk")["riskLevel"], "HIGH");
    // DeclinedByIdentity never reaches Assess risk, which it does not mock.
    let history = h.history(&by_identity).await;
    assert!(events_in_state(&history, "Assess risk", "TaskScheduled").is_empty());
    assert!(h.lambda.calls().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn a_mocked_callback_task_returns_without_waiting() {
    let h = mocked_harness().await;
    let approved = start_case(&h, "ManualReviewApproved", "app-review-yes").await;
    let declined = start_case(&h, "ManualReviewDeclined", "app-review-no").await;
    let timed_out = start_case(&h, "ManualReviewTimedOut", "app-review-late").await;
    // No SendTaskSuccess, no clock change: the mocked .waitForTaskToken task answers at once.
    let done = h.wait_status(&approved, "SUCCEEDED").await;
    h.wait_status(&declined, "SUCCEEDED").await;
    h.wait_status(&timed_out, "SUCCEEDED").await;
    assert_eq!(
        output(&done)["review"],
        json!({"decision": "APPROVE", "reviewer": "Mary Major", "comment": "Documents checked by phone"})
    );
    // The mocked task published nothing: no Manual review requested.
    assert!(h.events.details("Manual review requested").is_empty());
    let approved_events = h.wait_event("New account approved", 1).await;
    assert_eq!(approved_events[0]["reviewer"], "Mary Major");
    assert_eq!(approved_events[0]["decidedBy"], "MANUAL_REVIEW");
    let declined_events = h.wait_event("New account declined", 2).await;
    let reasons: Vec<&Value> = declined_events.iter().map(|d| &d["reasons"]).collect();
    assert!(reasons.contains(&&json!(["ReviewDeclined"])), "{reasons:?}");
    assert!(reasons.contains(&&json!(["ReviewTimedOut"])), "{reasons:?}");
    // History: scheduled, started, then succeeded (no TaskSubmitted: no request was sent).
    let history = h.history(&approved).await;
    for kind in ["TaskScheduled", "TaskStarted", "TaskSucceeded"] {
        assert_eq!(
            events_in_state(&history, "Request manual review", kind).len(),
            1,
            "{kind}"
        );
    }
    assert!(events_in_state(&history, "Request manual review", "TaskSubmitted").is_empty());
    let failed = events_in_state(
        &h.history(&timed_out).await,
        "Request manual review",
        "TaskFailed",
    )
    .into_iter()
    .map(|e| e["taskFailedEventDetails"]["error"].clone())
    .collect::<Vec<_>>();
    assert_eq!(failed, vec![json!("States.Timeout")]);
    assert!(h.lambda.calls().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn retries_take_the_response_of_their_invocation_number() {
    let h = mocked_harness().await;
    let arn = start_case(&h, "IdentityThrottledThenApproved", "app-throttled").await;
    // Two throttles (invocations 0-1), then invocation 2 succeeds; the retrier waits on the clock.
    h.advance_until_status(&arn, "SUCCEEDED", 10, 40).await;
    let history = h.history(&arn).await;
    let failures: Vec<Value> = events_in_state(&history, "Check identity", "TaskFailed")
        .into_iter()
        .map(|e| e["taskFailedEventDetails"]["error"].clone())
        .collect();
    assert_eq!(
        failures,
        vec![
            json!("Lambda.TooManyRequestsException"),
            json!("Lambda.TooManyRequestsException")
        ]
    );
    assert_eq!(
        events_in_state(&history, "Check identity", "TaskScheduled").len(),
        3
    );
    assert_eq!(
        events_in_state(&history, "Check identity", "TaskSucceeded").len(),
        1
    );
    assert_eq!(
        h.wait_event("New account approved", 1).await[0]["applicationId"],
        "app-throttled"
    );
    assert!(h.lambda.calls().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn a_permanent_failure_fails_the_execution_after_its_retries() {
    let h = mocked_harness().await;
    let arn = start_case(&h, "RiskProfileFails", "app-failing").await;
    let done = h.advance_until_status(&arn, "FAILED", 10, 40).await;
    assert_eq!(done["error"], "Lambda.ServiceException");
    let failed = h.wait_event("KYC processing failed", 1).await;
    assert_eq!(failed[0]["applicationId"], "app-failing");
    assert_eq!(failed[0]["error"], "Lambda.ServiceException");
    // Invocation 0 and the three retries of the second retrier ("0-3").
    let history = h.history(&arn).await;
    assert_eq!(
        events_in_state(&history, "Assess risk", "TaskFailed").len(),
        4
    );
    assert!(h.lambda.calls().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn past_the_last_mocked_invocation_the_execution_fails() {
    let h = Harness::kyc(&[]).await;
    let config = MockConfig::parse(
        &json!({
            "StateMachines": {"kyc-onboarding": {"TestCases": {"ShortMock": {"Check identity": "ThrottledOnce"}}}},
            "MockedResponses": {"ThrottledOnce": {"0": {"Throw": {
                "Error": "Lambda.TooManyRequestsException", "Cause": "Rate Exceeded."}}}}
        })
        .to_string(),
    )
    .unwrap();
    assert!(h.svc.set_mock_config(config));
    let arn = start_case(&h, "ShortMock", "app-short").await;
    let done = h.advance_until_status(&arn, "FAILED", 10, 40).await;
    // The retry (invocation 1) has no mocked response: States.Runtime, which the state's Catch
    // on States.ALL does not handle, so no KYC processing failed event either.
    assert_eq!(done["error"], "States.Runtime");
    assert!(
        done["cause"]
            .as_str()
            .unwrap()
            .contains("no mocked response for invocation 1 of state 'Check identity'"),
        "{done}"
    );
    assert!(h.events.details("KYC processing failed").is_empty());
    assert!(h.lambda.calls().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn unknown_test_cases_are_refused_and_plain_arns_run_for_real() {
    let h = mocked_harness().await;
    let (status, code, message) = wire(
        &h,
        "StartExecution",
        json!({"stateMachineArn": format!("{KYC_ARN}#NoSuchCase"), "input": application("x")}),
    )
    .await
    .unwrap_err();
    assert_eq!((status, code.as_str()), (400, "ValidationException"));
    assert_eq!(
        message,
        "Test case 'NoSuchCase' is not defined for state machine 'kyc-onboarding' in the mock configuration"
    );
    // A state machine the configuration does not name.
    let created = wire(
        &h,
        "CreateStateMachine",
        json!({"name": "other", "roleArn": "arn:aws:iam::000000000000:role/test",
               "definition": json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string()}),
    )
    .await
    .unwrap();
    let other = created["stateMachineArn"].as_str().unwrap();
    let (_, code, message) = wire(
        &h,
        "StartExecution",
        json!({"stateMachineArn": format!("{other}#Approved")}),
    )
    .await
    .unwrap_err();
    assert_eq!(code, "ValidationException");
    assert!(message.contains("state machine 'other'"), "{message}");
    // The state machine's own ARN runs for real: the Lambda is called.
    let real = h.start_kyc("app-real", json!({"applicationId": "app-real", "customerName": "A B", "customerAddress": "1 Main St"})).await;
    h.wait_status(&real, "SUCCEEDED").await;
    assert_eq!(h.lambda.calls().len(), 2, "{:?}", h.lambda.calls());
    h.stop().await;

    // Without a mock configuration, `ARN#TestCase` names no state machine.
    let plain = Harness::kyc(&[]).await;
    let (_, code, _) = wire(
        &plain,
        "StartExecution",
        json!({"stateMachineArn": format!("{KYC_ARN}#Approved")}),
    )
    .await
    .unwrap_err();
    assert_eq!(code, "StateMachineDoesNotExist");
    plain.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_the_test_case_and_its_invocation_numbers() {
    let dir = temp_state_dir();
    let clock = ManualClock::new(START_MS);
    let first = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        FakeLambda::kyc(),
    )
    .await;
    assert!(first.svc.set_mock_config(kyc_mocks()));
    let arn = start_case(&first, "IdentityThrottledThenApproved", "app-restart").await;
    // Invocation 0 failed; the retry waits on the (manual) clock.
    let mut failed_once = false;
    for _ in 0..500 {
        let history = first.history(&arn).await;
        if !events_in_state(&history, "Check identity", "TaskFailed").is_empty() {
            failed_once = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(failed_once, "invocation 0 never failed");
    assert!(first.lambda.calls().is_empty());
    first.stop().await;

    // The configuration is set before the execution resumes (as the stack's assembly does).
    let second = Harness::start_without_resume(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        FakeLambda::kyc(),
    )
    .await;
    assert!(second.svc.set_mock_config(kyc_mocks()));
    assert_eq!(second.svc.resume().await.unwrap(), 1);
    second.advance_until_status(&arn, "SUCCEEDED", 10, 40).await;
    // Invocations 0 and 1 threw, 2 returned: two failures in all, not a fresh count after the
    // restart (which would throw twice more).
    let history = second.history(&arn).await;
    assert_eq!(
        events_in_state(&history, "Check identity", "TaskFailed").len(),
        2
    );
    assert_eq!(
        events_in_state(&history, "Check identity", "TaskSucceeded").len(),
        1
    );
    assert!(
        second.lambda.calls().is_empty(),
        "{:?}",
        second.lambda.calls()
    );
    second.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The README's commands: `aws stepfunctions start-execution --state-machine-arn ARN#TestCase`,
/// then describe-execution and get-execution-history.
#[tokio::test]
async fn the_aws_cli_runs_a_test_case() {
    let cli = common::aws_cli();
    let h = mocked_harness().await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let started = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "start-execution",
            "--state-machine-arn",
            &format!("{KYC_ARN}#ManualReviewApproved"),
            "--name",
            "cli-review",
            "--input",
            &application("cli-review"),
        ],
    )
    .await;
    assert!(started.success, "{}", started.stderr);
    let arn = started.json()["executionArn"].as_str().unwrap().to_owned();
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:000000000000:execution:kyc-onboarding:cli-review"
    );
    h.wait_status(&arn, "SUCCEEDED").await;
    let described = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "describe-execution",
            "--execution-arn",
            &arn,
        ],
    )
    .await;
    assert!(described.success, "{}", described.stderr);
    let described = described.json();
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(output(&described)["review"]["decision"], "APPROVE");
    let history = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "get-execution-history",
            "--execution-arn",
            &arn,
        ],
    )
    .await;
    assert!(history.success, "{}", history.stderr);
    let events = history.json()["events"].as_array().unwrap().clone();
    assert_eq!(
        events_in_state(&events, "Request manual review", "TaskSucceeded").len(),
        1
    );
    // An unknown test case: the CLI reports the ValidationException and exits non-zero.
    let refused = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "start-execution",
            "--state-machine-arn",
            &format!("{KYC_ARN}#NoSuchCase"),
        ],
    )
    .await;
    assert!(!refused.success);
    assert!(
        refused.stderr.contains("(ValidationException)")
            && refused
                .stderr
                .contains("Test case 'NoSuchCase' is not defined"),
        "{}",
        refused.stderr
    );
    assert!(h.lambda.calls().is_empty());
    h.stop().await;
}

/// Restarted with a mock configuration that no longer has the execution's test case, the test
/// case cannot go on: its next task fails with States.Runtime (no state runs for real instead).
#[tokio::test]
async fn a_test_case_missing_after_a_restart_fails_the_execution() {
    let dir = temp_state_dir();
    let clock = ManualClock::new(START_MS);
    let first = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        FakeLambda::kyc(),
    )
    .await;
    assert!(first.svc.set_mock_config(kyc_mocks()));
    let arn = start_case(&first, "IdentityThrottledThenApproved", "app-gone").await;
    first.wait_history_event(&arn, "TaskFailed").await;
    first.stop().await;

    let second = Harness::start_without_resume(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        FakeLambda::kyc(),
    )
    .await;
    let other = MockConfig::parse(
        &json!({"StateMachines": {"kyc-onboarding": {"TestCases": {"Approved": {}}}},
                "MockedResponses": {}})
        .to_string(),
    )
    .unwrap();
    assert!(second.svc.set_mock_config(other));
    second.svc.resume().await.unwrap();
    let done = second.advance_until_status(&arn, "FAILED", 10, 40).await;
    assert_eq!(done["error"], "States.Runtime");
    assert_eq!(
        done["cause"],
        "The execution runs test case 'IdentityThrottledThenApproved' of state machine 'kyc-onboarding', which the mock configuration no longer defines"
    );
    assert!(second.lambda.calls().is_empty());
    second.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
