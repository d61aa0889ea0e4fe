//! The project's own state machine (`statemachine/kyc.asl.yaml`, loaded through
//! `template.yaml` with its DefinitionSubstitutions) on every path, on a manual clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod stepfunctions_support;

use emulator::clock::ManualClock;
use emulator::protocol::JsonService;
use emulator::server::StateLocation;
use serde_json::{Value, json};
use stepfunctions_support::{FakeLambda, FakeReply, Harness, KYC_ARN, START_MS, temp_state_dir};

const BUS: &str = "CentralEventBus";

fn detail(app: &str, scenario: &str) -> Value {
    json!({"applicationId": app, "customerName": "Test Customer", "customerAddress": "1 Road", "scenario": scenario})
}

#[tokio::test]
async fn approve_path_publishes_identity_and_approval_and_succeeds() {
    let h = Harness::kyc(&[]).await;
    let arn = h.start_kyc("app-approve", detail("app-1", "approve")).await;
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:000000000000:execution:kyc-onboarding:app-approve"
    );
    let d = h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(
        h.events.detail_types(),
        ["Identity check completed", "New account approved"]
    );
    let entry = &h.events.entries()[1];
    assert_eq!(entry["EventBusName"], BUS);
    assert_eq!(entry["Source"], "com.aws.kyc");
    assert_eq!(entry["Resources"], json!([arn, KYC_ARN]));
    assert_eq!(
        h.events.details("New account approved")[0],
        json!({"applicationId": "app-1", "decision": "APPROVED", "decidedBy": "AUTOMATIC",
               "reasons": ["score 10"], "riskLevel": "LOW", "riskScore": 10, "reviewer": null})
    );
    // The Lambda payloads the definition builds, with the substituted function ARNs.
    let calls = h.lambda.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].0,
        "arn:aws:lambda:us-east-1:000000000000:function:kyc-identity-check"
    );
    assert_eq!(calls[0].1["applicationId"], "app-1");
    assert_eq!(calls[1].1["identity"]["identityVerified"], true);
    let output: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
    assert_eq!(output["risk"]["decision"], "APPROVE");
    assert_eq!(d["startDate"], json!(START_MS as f64 / 1000.0));
    assert_eq!(d["stopDate"], json!(START_MS as f64 / 1000.0));
    let types = h.history_types(&arn).await;
    assert_eq!(types.first().map(String::as_str), Some("ExecutionStarted"));
    assert_eq!(types.last().map(String::as_str), Some("ExecutionSucceeded"));
    assert!(!types.contains(&"TaskSubmitted".to_owned()), "{types:?}");
}

#[tokio::test]
async fn identity_decline_ends_declined() {
    let h = Harness::kyc(&[]).await;
    let arn = h
        .start_kyc("app-id-decline", detail("app-2", "identity-decline"))
        .await;
    h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(
        h.events.detail_types(),
        ["Identity check completed", "New account declined"]
    );
    assert_eq!(
        h.events.details("New account declined")[0],
        json!({"applicationId": "app-2", "decision": "DECLINED", "decidedBy": "AUTOMATIC",
               "reasons": ["DocumentExpired"], "riskLevel": null, "riskScore": null, "reviewer": null})
    );
    assert_eq!(h.lambda.calls().len(), 1, "risk is not assessed");
}

#[tokio::test]
async fn risk_decline_ends_declined() {
    let h = Harness::kyc(&[]).await;
    let arn = h
        .start_kyc("app-risk", detail("app-3", "risk-decline"))
        .await;
    h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(
        h.events.details("New account declined")[0],
        json!({"applicationId": "app-3", "decision": "DECLINED", "decidedBy": "AUTOMATIC",
               "reasons": ["score 90"], "riskLevel": "HIGH", "riskScore": 90, "reviewer": null})
    );
}

#[tokio::test]
async fn invalid_application_is_declined_with_the_function_error_as_cause() {
    let h = Harness::kyc(&[]).await;
    let arn = h.start_kyc("app-invalid", detail("app-4", "invalid")).await;
    h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(h.events.detail_types(), ["New account declined"]);
    let declined = &h.events.details("New account declined")[0];
    assert_eq!(declined["reasons"], json!(["InvalidApplication"]));
    let cause: Value = serde_json::from_str(declined["cause"].as_str().unwrap()).unwrap();
    assert_eq!(
        cause,
        json!({"errorType": "InvalidApplication", "errorMessage": "customerName is missing"})
    );
    let history = h.history(&arn).await;
    let failed = history
        .iter()
        .find(|e| e["type"] == "TaskFailed")
        .expect("a TaskFailed event");
    assert_eq!(
        failed["taskFailedEventDetails"]["error"],
        "InvalidApplication"
    );
    assert_eq!(failed["taskFailedEventDetails"]["resourceType"], "lambda");
    assert_eq!(failed["taskFailedEventDetails"]["resource"], "invoke");
}

async fn review_token(h: &Harness, count: usize) -> String {
    let requested = h.wait_event("Manual review requested", count).await;
    let last = &requested[count - 1];
    assert_eq!(last["riskLevel"], "MEDIUM");
    last["taskToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn review_approved_through_send_task_success() {
    let h = Harness::kyc(&[]).await;
    let arn = h.start_kyc("app-review", detail("app-5", "review")).await;
    let token = review_token(&h, 1).await;
    assert_eq!(h.describe(&arn).await["status"], "RUNNING");
    assert_eq!(
        h.ok("SendTaskHeartbeat", json!({"taskToken": token})).await,
        json!({})
    );
    assert_eq!(
        h.ok(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{\"decision\":\"APPROVE\",\"reviewer\":\"reviewer-7\"}"})
        )
        .await,
        json!({})
    );
    h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(
        h.events.details("New account approved")[0],
        json!({"applicationId": "app-5", "decision": "APPROVED", "decidedBy": "MANUAL_REVIEW",
               "reasons": ["ReviewApproved"], "riskLevel": "MEDIUM", "riskScore": 50, "reviewer": "reviewer-7"})
    );
    // The token is spent: AWS answers TaskTimedOut for a task that no longer exists.
    let again = h
        .err(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{}"}),
        )
        .await;
    assert_eq!(again.code, "TaskTimedOut");
    let types = h.history_types(&arn).await;
    assert!(types.contains(&"TaskSubmitted".to_owned()), "{types:?}");
}

#[tokio::test]
async fn review_declined_through_send_task_failure_goes_to_processing_failed() {
    let h = Harness::kyc(&[]).await;
    let arn = h
        .start_kyc("app-review-fail", detail("app-6", "review"))
        .await;
    let token = review_token(&h, 1).await;
    h.ok(
        "SendTaskFailure",
        json!({"taskToken": token, "error": "ReviewerUnavailable", "cause": "no reviewer"}),
    )
    .await;
    let d = h.wait_status(&arn, "FAILED").await;
    assert_eq!(d["error"], "ReviewerUnavailable");
    assert_eq!(d["cause"], "no reviewer");
    assert_eq!(
        h.events.details("KYC processing failed")[0],
        json!({"applicationId": "app-6", "error": "ReviewerUnavailable", "cause": "no reviewer"})
    );
}

/// `SendTaskFailure` with `ReviewInvalid`, as the callback completer sends it for a bad review.
async fn fail_review(h: &Harness, token: &str, cause: &str) {
    h.ok(
        "SendTaskFailure",
        json!({"taskToken": token, "error": "ReviewInvalid", "cause": cause}),
    )
    .await;
}

#[tokio::test]
async fn an_invalid_review_asks_for_the_review_again_and_a_valid_one_decides() {
    let h = Harness::kyc(&[]).await;
    let arn = h
        .start_kyc("app-invalid-review", detail("app-20", "review"))
        .await;
    let first = h.wait_event("Manual review requested", 1).await[0].clone();
    assert_eq!(first["invalidReviews"], 0);
    assert_eq!(first["previousReview"], Value::Null);
    let token = first["taskToken"].as_str().unwrap().to_owned();
    fail_review(&h, &token, "decision must be APPROVE or DECLINE").await;
    // Asked again, with a new token and what was wrong; the old token is spent.
    let second = h.wait_event("Manual review requested", 2).await[1].clone();
    assert_eq!(second["invalidReviews"], 1);
    assert_eq!(
        second["previousReview"],
        json!({"Error": "ReviewInvalid", "Cause": "decision must be APPROVE or DECLINE"})
    );
    let token2 = second["taskToken"].as_str().unwrap().to_owned();
    assert_ne!(token, token2);
    assert_eq!(h.describe(&arn).await["status"], "RUNNING");
    assert_eq!(
        h.err("SendTaskHeartbeat", json!({"taskToken": token}))
            .await
            .code,
        "TaskTimedOut"
    );
    h.ok(
        "SendTaskSuccess",
        json!({"taskToken": token2, "output": "{\"decision\":\"APPROVE\",\"reviewer\":\"reviewer-7\"}"}),
    )
    .await;
    h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(
        h.events.details("New account approved")[0],
        json!({"applicationId": "app-20", "decision": "APPROVED", "decidedBy": "MANUAL_REVIEW",
               "reasons": ["ReviewApproved"], "riskLevel": "MEDIUM", "riskScore": 50, "reviewer": "reviewer-7"})
    );
    assert!(h.events.details("KYC processing failed").is_empty());
}

#[tokio::test]
async fn a_hand_made_success_without_a_valid_decision_is_an_invalid_review() {
    let h = Harness::kyc(&[]).await;
    let arn = h
        .start_kyc("app-odd-decision", detail("app-21", "review"))
        .await;
    let token = review_token(&h, 1).await;
    h.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"decision\":\"MAYBE\"}"}),
    )
    .await;
    let second = h.wait_event("Manual review requested", 2).await[1].clone();
    assert_eq!(
        second["previousReview"],
        json!({"Error": "ReviewInvalid", "Cause": "The review output has no decision APPROVE or DECLINE"})
    );
    let token2 = second["taskToken"].as_str().unwrap().to_owned();
    h.ok(
        "SendTaskSuccess",
        json!({"taskToken": token2, "output": "{\"decision\":\"DECLINE\",\"reviewer\":\"r\"}"}),
    )
    .await;
    h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(
        h.events.details("New account declined")[0]["reasons"],
        json!(["ReviewDeclined"])
    );
}

#[tokio::test]
async fn max_invalid_reviews_decline_the_application() {
    let h = Harness::kyc(&[("MaxInvalidReviews", "2")]).await;
    let arn = h
        .start_kyc("app-two-invalid", detail("app-22", "review"))
        .await;
    let token = review_token(&h, 1).await;
    fail_review(&h, &token, "reviewer is missing").await;
    let token = review_token(&h, 2).await;
    // A SendTaskFailure without a cause still counts, and still declines with what is known.
    h.ok(
        "SendTaskFailure",
        json!({"taskToken": token, "error": "ReviewInvalid"}),
    )
    .await;
    h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(h.events.details("Manual review requested").len(), 2);
    let declined = &h.events.details("New account declined")[0];
    assert_eq!(declined["decidedBy"], "MANUAL_REVIEW");
    assert_eq!(declined["reasons"], json!(["ReviewInvalid"]));
    assert_eq!(declined["lastInvalidReview"]["Error"], "ReviewInvalid");
    assert!(h.events.details("KYC processing failed").is_empty());
}

#[tokio::test]
async fn a_heartbeat_not_below_the_timeout_deploys_and_is_lowered() {
    // HeartbeatSeconds >= TimeoutSeconds is invalid in the States Language; the parameters reach the
    // definition by path, so CreateStateMachine accepts the pair and the workflow uses timeout - 1.
    let h = Harness::kyc(&[
        ("ReviewTimeoutSeconds", "60"),
        ("ReviewHeartbeatSeconds", "600"),
    ])
    .await;
    let arn = h.start_kyc("app-lowered", detail("app-23", "review")).await;
    review_token(&h, 1).await;
    h.advance(58).await;
    assert_eq!(h.describe(&arn).await["status"], "RUNNING");
    // 59 s without a heartbeat: the lowered heartbeat fires before the timeout (60 s).
    h.advance(1).await;
    h.wait_status(&arn, "SUCCEEDED").await;
    let history = h.history(&arn).await;
    let timed_out = history
        .iter()
        .find(|e| e["type"] == "TaskTimedOut")
        .expect("TaskTimedOut");
    assert_eq!(
        timed_out["taskTimedOutEventDetails"]["error"],
        "States.HeartbeatTimeout"
    );
    let scheduled = history
        .iter()
        .map(|e| &e["taskScheduledEventDetails"])
        .find(|d| d["resource"] == "putEvents.waitForTaskToken")
        .cloned()
        .expect("the review's TaskScheduled");
    assert_eq!(scheduled["heartbeatInSeconds"], 59);
    assert_eq!(scheduled["timeoutInSeconds"], 60);
}

#[tokio::test]
async fn review_times_out_with_short_timeouts_from_parameter_overrides() {
    let h = Harness::kyc(&[
        ("ReviewTimeoutSeconds", "60"),
        ("ReviewHeartbeatSeconds", "30"),
    ])
    .await;
    let arn = h.start_kyc("app-timeout", detail("app-7", "review")).await;
    let token = review_token(&h, 1).await;
    h.advance(20).await;
    h.ok("SendTaskHeartbeat", json!({"taskToken": token})).await;
    // 40 s after the request: the heartbeat at 20 s moved the heartbeat deadline to 50 s.
    h.advance(20).await;
    assert_eq!(h.describe(&arn).await["status"], "RUNNING");
    h.advance(9).await;
    h.ok("SendTaskHeartbeat", json!({"taskToken": token})).await;
    // 61 s: TimeoutSeconds (60) has passed.
    h.advance(12).await;
    h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(
        h.events.details("New account declined")[0]["reasons"],
        json!(["ReviewTimedOut"])
    );
    let history = h.history(&arn).await;
    let timed_out = history
        .iter()
        .find(|e| e["type"] == "TaskTimedOut")
        .expect("TaskTimedOut");
    assert_eq!(
        timed_out["taskTimedOutEventDetails"]["error"],
        "States.Timeout"
    );
    let late = h
        .err(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{}"}),
        )
        .await;
    assert_eq!(late.code, "TaskTimedOut");
    let late_hb = h
        .err("SendTaskHeartbeat", json!({"taskToken": token}))
        .await;
    assert_eq!(late_hb.code, "TaskTimedOut");
}

#[tokio::test]
async fn missed_heartbeat_times_the_review_out() {
    let h = Harness::kyc(&[
        ("ReviewTimeoutSeconds", "600"),
        ("ReviewHeartbeatSeconds", "30"),
    ])
    .await;
    let arn = h
        .start_kyc("app-heartbeat", detail("app-8", "review"))
        .await;
    review_token(&h, 1).await;
    h.advance(29).await;
    assert_eq!(h.describe(&arn).await["status"], "RUNNING");
    h.advance(2).await;
    h.wait_status(&arn, "SUCCEEDED").await;
    let history = h.history(&arn).await;
    let timed_out = history
        .iter()
        .find(|e| e["type"] == "TaskTimedOut")
        .expect("TaskTimedOut");
    assert_eq!(
        timed_out["taskTimedOutEventDetails"]["error"],
        "States.HeartbeatTimeout"
    );
    assert_eq!(
        h.events.details("New account declined")[0]["reasons"],
        json!(["ReviewTimedOut"])
    );
}

#[tokio::test]
async fn a_review_survives_a_restart_and_completes_afterwards() {
    let dir = temp_state_dir();
    let clock = ManualClock::new(START_MS);
    let first = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        FakeLambda::kyc(),
    )
    .await;
    let arn = first
        .start_kyc("app-restart", detail("app-9", "review"))
        .await;
    let token = review_token(&first, 1).await;
    // Stopped once the wait is persisted: the request goes out before `TaskSubmitted` is saved,
    // and a stop between the two would (rightly) send it again on restart.
    first.wait_history_event(&arn, "TaskSubmitted").await;
    first.stop().await;

    let second = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        FakeLambda::kyc(),
    )
    .await;
    assert_eq!(second.svc.running_count(), 1, "the review was resumed");
    assert_eq!(second.describe(&arn).await["status"], "RUNNING");
    second
        .ok(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{\"decision\":\"DECLINE\",\"reviewer\":\"r2\"}"}),
        )
        .await;
    second.wait_status(&arn, "SUCCEEDED").await;
    // The request was not published again: the token wait simply continued.
    assert_eq!(
        second.events.detail_types(),
        ["New account declined"],
        "only the decision after the restart"
    );
    assert_eq!(
        second.events.details("New account declined")[0]["reviewer"],
        "r2"
    );
    assert!(second.lambda.calls().is_empty(), "no task ran twice");
    second.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_lambda_task_in_flight_at_a_restart_is_dispatched_again() {
    let dir = temp_state_dir();
    let clock = ManualClock::new(START_MS);
    // The first process's identity check never answers (the process "dies" mid-call).
    let hanging = FakeLambda::new(|_, _| FakeReply::Hang);
    let first = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        hanging,
    )
    .await;
    let arn = first
        .start_kyc("app-resume", detail("app-10", "approve"))
        .await;
    for _ in 0..100 {
        if !first.lambda.calls().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(first.lambda.calls().len(), 1);
    first.stop().await;

    let second = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        FakeLambda::kyc(),
    )
    .await;
    second.wait_status(&arn, "SUCCEEDED").await;
    let functions: Vec<String> = second.lambda.calls().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        functions,
        [
            "arn:aws:lambda:us-east-1:000000000000:function:kyc-identity-check",
            "arn:aws:lambda:us-east-1:000000000000:function:kyc-risk-profile"
        ]
    );
    assert_eq!(
        second.events.detail_types(),
        ["Identity check completed", "New account approved"]
    );
    second.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_retry_timer_is_re_armed_after_a_restart() {
    let dir = temp_state_dir();
    let clock = ManualClock::new(START_MS);
    let throttled = FakeLambda::new(|_, _| {
        FakeReply::ApiError(emulator::lambda::LambdaError::TooManyRequests {
            reason: "Rate Exceeded.".into(),
        })
    });
    let first = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        throttled,
    )
    .await;
    let arn = first
        .start_kyc("app-retry", detail("app-13", "approve"))
        .await;
    for _ in 0..100 {
        if first
            .history_types(&arn)
            .await
            .contains(&"TaskFailed".to_owned())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    first.stop().await;
    let second = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        FakeLambda::kyc(),
    )
    .await;
    // The Retry (IntervalSeconds 1, FULL jitter) waits on the clock: nothing runs before it moves.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(second.lambda.calls().is_empty());
    second.advance(2).await;
    second.wait_status(&arn, "SUCCEEDED").await;
    let history = second.history(&arn).await;
    let failed = history
        .iter()
        .find(|e| e["type"] == "TaskFailed")
        .expect("TaskFailed");
    assert_eq!(
        failed["taskFailedEventDetails"]["error"],
        "Lambda.TooManyRequestsException"
    );
    let cause = failed["taskFailedEventDetails"]["cause"].as_str().unwrap();
    assert!(
        cause.starts_with("Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; Request ID: "),
        "{cause}"
    );
    second.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn status_change_events_for_running_and_succeeded() {
    let h = Harness::kyc(&[]).await;
    let arn = h.start_kyc("app-status", detail("app-11", "approve")).await;
    h.wait_status(&arn, "SUCCEEDED").await;
    for _ in 0..100 {
        if h.events.service_events().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let events = h.events.service_events();
    assert_eq!(events.len(), 2);
    let running = &events[0];
    assert_eq!(
        running["detail-type"],
        "Step Functions Execution Status Change"
    );
    assert_eq!(running["source"], "aws.states");
    assert_eq!(running["account"], "000000000000");
    assert_eq!(running["region"], "us-east-1");
    assert_eq!(running["time"], "2026-01-01T00:00:00Z");
    assert_eq!(running["resources"], json!([arn]));
    let input = json!({"detail": detail("app-11", "approve")}).to_string();
    assert_eq!(
        running["detail"],
        json!({
            "executionArn": arn, "stateMachineArn": KYC_ARN, "name": "app-status",
            "status": "RUNNING", "startDate": START_MS, "stopDate": null,
            "input": input, "output": null,
            "inputDetails": {"included": true}, "outputDetails": null,
            "error": null, "cause": null, "redriveCount": 0,
            "redriveStatus": "NOT_REDRIVABLE",
            "redriveStatusReason": "Execution is RUNNING and cannot be redriven"
        })
    );
    let done = &events[1]["detail"];
    assert_eq!(done["status"], "SUCCEEDED");
    assert_eq!(done["stopDate"], json!(START_MS));
    assert_eq!(done["outputDetails"], json!({"included": true}));
    let output: Value = serde_json::from_str(done["output"].as_str().unwrap()).unwrap();
    assert_eq!(output["applicationId"], "app-11");
}

#[tokio::test]
async fn execution_logs_follow_the_template_logging_configuration() {
    let h = Harness::kyc(&[]).await;
    let arn = h.start_kyc("app-logs", detail("app-12", "approve")).await;
    h.wait_status(&arn, "SUCCEEDED").await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let group = "/aws/vendedlogs/states/kyc-onboarding";
    let out = h
        .stack()
        .logs
        .clone()
        .call("FilterLogEvents".into(), json!({"logGroupName": group}))
        .await
        .unwrap();
    let records: Vec<Value> = out["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str(e["message"].as_str().unwrap()).unwrap())
        .collect();
    let history = h.history(&arn).await;
    // Level ALL: one record per history event.
    assert_eq!(records.len(), history.len());
    let first = &records[0];
    assert_eq!(first["id"], "1");
    assert_eq!(first["type"], "ExecutionStarted");
    assert_eq!(first["previous_event_id"], "0");
    assert_eq!(first["event_timestamp"], START_MS.to_string());
    assert_eq!(first["execution_arn"], arn);
    assert_eq!(first["redrive_count"], "0");
    // IncludeExecutionData: false in the template: no input or output in the log.
    assert!(first["details"].get("input").is_none(), "{first}");
    let machine = h
        .ok("DescribeStateMachine", json!({"stateMachineArn": KYC_ARN}))
        .await;
    assert_eq!(first["details"]["roleArn"], machine["roleArn"]);
    assert_eq!(
        first["details"]["inputDetails"],
        json!({"truncated": false})
    );
    let last = records.last().unwrap();
    assert_eq!(last["type"], "ExecutionSucceeded");
    assert!(last["details"].get("output").is_none());
    // Nor the workflow variables a state assigned (the JSONata definition assigns the application
    // in "Route application"): they are execution data too; the history keeps them.
    let assigning: Vec<&Value> = records
        .iter()
        .filter(|r| r["details"].get("assignedVariablesDetails").is_some())
        .collect();
    assert!(!assigning.is_empty());
    for r in &assigning {
        assert!(r["details"].get("assignedVariables").is_none(), "{r}");
    }
    assert!(
        history
            .iter()
            .any(|e| e.to_string().contains("\"assignedVariables\""))
    );
    let stream = out["events"][0]["logStreamName"].as_str().unwrap();
    assert!(
        stream.starts_with("states/kyc-onboarding/2026-01-01-00-00/"),
        "{stream}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_applications_each_end_in_exactly_one_terminal_event() {
    let h = std::sync::Arc::new(Harness::kyc(&[]).await);
    let scenarios = ["approve", "identity-decline", "risk-decline", "invalid"];
    let mut starts = Vec::new();
    for i in 0..200 {
        let h = std::sync::Arc::clone(&h);
        let scenario = scenarios[i % scenarios.len()];
        starts.push(tokio::spawn(async move {
            h.start_kyc(
                &format!("bulk-{i}"),
                detail(&format!("bulk-app-{i}"), scenario),
            )
            .await
        }));
    }
    let mut arns = Vec::new();
    for s in starts {
        arns.push(s.await.unwrap());
    }
    for arn in &arns {
        h.wait_status(arn, "SUCCEEDED").await;
    }
    let mut terminal: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for entry in h.events.entries() {
        let dt = entry["DetailType"].as_str().unwrap();
        if dt == "New account approved"
            || dt == "New account declined"
            || dt == "KYC processing failed"
        {
            let detail: Value = serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
            *terminal
                .entry(detail["applicationId"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    assert_eq!(terminal.len(), 200);
    assert!(terminal.values().all(|n| *n == 1), "{terminal:?}");
    assert_eq!(h.events.details("New account approved").len(), 50);
    assert_eq!(h.events.details("New account declined").len(), 150);
    assert_eq!(h.svc.running_count(), 0);
}

#[tokio::test]
async fn a_callback_after_a_restart_resumes_the_execution_even_without_resume() {
    let dir = temp_state_dir();
    let clock = ManualClock::new(START_MS);
    let first = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        FakeLambda::kyc(),
    )
    .await;
    let arn = first
        .start_kyc("app-lazy", detail("app-14", "review"))
        .await;
    let token = review_token(&first, 1).await;
    // Stopped once the wait is persisted: the request goes out before `TaskSubmitted` is saved,
    // and a stop between the two would (rightly) send it again on restart.
    first.wait_history_event(&arn, "TaskSubmitted").await;
    first.stop().await;
    let second = Harness::start_without_resume(
        StateLocation::Directory(dir.clone()),
        clock,
        FakeLambda::kyc(),
    )
    .await;
    assert_eq!(second.svc.running_count(), 0);
    // Two callbacks at once: only one runner drives the execution, only one wins.
    let a = second.call(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"decision\":\"APPROVE\",\"reviewer\":\"a\"}"}),
    );
    let b = second.call(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"decision\":\"APPROVE\",\"reviewer\":\"b\"}"}),
    );
    let (a, b) = tokio::join!(a, b);
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
    let loser = if a.is_ok() { b } else { a };
    assert_eq!(loser.unwrap_err().code, "TaskTimedOut");
    second.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(second.events.details("New account approved").len(), 1);
    second.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
