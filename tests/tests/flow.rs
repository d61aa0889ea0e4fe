//! The whole KYC flow through the real AWS SDK clients, on kyc-local (started by each test on an
//! ephemeral port) or on a deployed stack (the `*_on_deployed_stack` tests, ignored unless asked for;
//! see tests/README.md for the environment they need).
//!
//! Every scenario checks the terminal event in the accounts log group, the execution's status and the
//! states it visited, the status-change logger's records, and the invariants (exactly one terminal
//! event per accepted application, no personal data in any log group of the stack).

use std::time::{Duration, Instant};

use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError;
use aws_sdk_sfn::types::{HistoryEvent, HistoryEventType};
use kyc_tests::{Ledger, LocalOptions, ReviewTiming, Submitted, Target, WAIT, now_ms, unique_id};
use serde_json::{Value, json};

// -------------------------------------------------------------------------------------------------
// Paths through the state machine (the states each kind of application enters, in order)
// -------------------------------------------------------------------------------------------------

const TO_RISK: [&str; 6] = [
    "Route application",
    "Check identity",
    "Publish identity check completed",
    "Identity verified?",
    "Assess risk",
    "Risk decision?",
];

fn path(head: &[&str], tail: &[&str]) -> Vec<String> {
    head.iter().chain(tail).map(|s| (*s).to_owned()).collect()
}

fn approved_automatically() -> Vec<String> {
    path(&TO_RISK, &["Publish approved automatically", "Approved"])
}

fn declined_by_risk() -> Vec<String> {
    path(&TO_RISK, &["Publish declined by risk", "Declined"])
}

fn declined_by_identity() -> Vec<String> {
    path(&TO_RISK[..4], &["Publish declined by identity", "Declined"])
}

fn after_review(tail: &[&str]) -> Vec<String> {
    path(&TO_RISK, &[&["Request manual review"], tail].concat())
}

fn review_approved() -> Vec<String> {
    after_review(&[
        "Review decision?",
        "Publish approved after review",
        "Approved",
    ])
}

fn review_declined() -> Vec<String> {
    after_review(&[
        "Review decision?",
        "Publish declined after review",
        "Declined",
    ])
}

fn review_timed_out() -> Vec<String> {
    after_review(&["Publish declined review timed out", "Declined"])
}

fn invalid_application() -> Vec<String> {
    path(
        &["Route application", "Check identity"],
        &["Publish declined invalid application", "Declined"],
    )
}

// -------------------------------------------------------------------------------------------------
// Applications (made-up people, AWS documentation style)
// -------------------------------------------------------------------------------------------------

/// Complete, low risk: approved automatically with score 0.
fn complete_application(id: &str) -> Value {
    json!({"applicationId": id, "customerName": "Saanvi Sarkar",
           "customerAddress": "456 Main Street, Anytown, USA", "dateOfBirth": "1988-03-14",
           "email": "saanvi.sarkar@example.com", "nationality": "US",
           "document": {"type": "passport", "number": "P8812345", "expiry": "2032-06-30"}})
}

/// Disposable e-mail and a PO box: score 50, MEDIUM, manual review.
fn review_application(id: &str) -> Value {
    json!({"applicationId": id, "customerName": "Diego Ramirez",
           "customerAddress": "PO Box 4521, Springfield, USA", "dateOfBirth": "1992-07-19",
           "email": "diego.ramirez@mailinator.com", "nationality": "US",
           "document": {"type": "driving_licence", "number": "D123-4567-8901", "expiry": "2031-09-30"}})
}

const REVIEW_SCORE: i64 = 50;
const REVIEW_REASONS: [&str; 2] = ["DISPOSABLE_EMAIL", "PO_BOX_ADDRESS"];

fn decision(
    id: &str,
    decision: &str,
    decided_by: &str,
    reasons: &[&str],
    risk: Option<(&str, i64)>,
    reviewer: Option<&str>,
) -> Value {
    json!({"applicationId": id, "decision": decision, "decidedBy": decided_by, "reasons": reasons,
           "riskLevel": risk.map(|r| r.0), "riskScore": risk.map(|r| r.1), "reviewer": reviewer})
}

// -------------------------------------------------------------------------------------------------
// Helpers shared by the scenarios
// -------------------------------------------------------------------------------------------------

/// One application followed to its end: the terminal event, the execution, the visited states.
struct Followed {
    application_id: String,
    detail_type: String,
    detail: Value,
    execution: kyc_tests::Execution,
    states: Vec<String>,
}

async fn follow(target: &Target, ledger: &Ledger, submitted: &Submitted) -> Followed {
    let execution = target.execution_of(submitted).await;
    let application_id = match &submitted.application_id {
        Some(id) => id.clone(),
        None => {
            ledger.resolve(submitted, &execution.name);
            execution.name.clone()
        }
    };
    let (detail_type, detail) = target.terminal_event(&application_id).await;
    let states = target.visited_states(&execution.arn).await;
    Followed {
        application_id,
        detail_type,
        detail,
        execution,
        states,
    }
}

/// The usual checks of a business outcome: the terminal event, SUCCEEDED, the path, the logger.
async fn expect_outcome(
    target: &Target,
    run: &Followed,
    detail_type: &str,
    detail: &Value,
    states: &[String],
) {
    assert_eq!(
        run.detail_type, detail_type,
        "{}: {}",
        run.application_id, run.detail
    );
    assert_eq!(&run.detail, detail, "{}", run.application_id);
    assert_eq!(
        run.execution.status, "SUCCEEDED",
        "{}: {:?}",
        run.application_id, run.execution
    );
    assert_eq!(run.states, states, "{}", run.application_id);
    target
        .check_status_logger(&run.execution, &["RUNNING", "SUCCEEDED"])
        .await;
}

fn history_events_of(history: &[HistoryEvent], kind: HistoryEventType) -> Vec<&HistoryEvent> {
    history.iter().filter(|e| *e.r#type() == kind).collect()
}

fn history_millis(e: &HistoryEvent) -> i64 {
    e.timestamp().secs() * 1000 + i64::from(e.timestamp().subsec_nanos() / 1_000_000)
}

/// The review task's timeout error in the history (`States.Timeout` / `States.HeartbeatTimeout`).
async fn review_timeout_error(target: &Target, execution_arn: &str) -> Vec<String> {
    history_events_of(
        &target.history(execution_arn).await,
        HistoryEventType::TaskTimedOut,
    )
    .iter()
    .filter_map(|e| e.task_timed_out_event_details())
    .map(|d| d.error().unwrap_or_default().to_owned())
    .collect()
}

async fn put_started(target: &Target, token: &str) {
    target
        .put_review_event(
            "Manual review started",
            json!({"taskToken": token, "reviewer": "jdoe"}),
        )
        .await;
}

async fn put_completed(target: &Target, token: &str, decision: &str) {
    target
        .put_review_event(
            "Manual review completed",
            json!({"taskToken": token, "decision": decision, "reviewer": "jdoe",
                   "comment": "documents checked"}),
        )
        .await;
}

/// The manual-review request event carries the risk summary and a token.
fn assert_review_request(id: &str, detail: &Value) {
    let token = detail["taskToken"].as_str().unwrap_or_default();
    assert!(!token.is_empty(), "{detail}");
    assert_eq!(
        detail,
        &json!({"applicationId": id, "riskScore": REVIEW_SCORE, "riskLevel": "MEDIUM",
                "reasons": REVIEW_REASONS, "invalidReviews": 0, "previousReview": null,
                "taskToken": token})
    );
}

/// The callback-completer logged that a task was already closed with `code` (since `since_ms`).
async fn expect_completer_acknowledged(target: &Target, since_ms: i64, code: &str) {
    let Some(group) = target.names().callback_completer_log_group.clone() else {
        println!(
            "note: KYC_CALLBACK_COMPLETER_LOG_GROUP is not set; not checking that the callback-completer acknowledged {code}"
        );
        return;
    };
    target
        .wait_until(
            &format!("callback-completer's task_already_closed {code} line in {group}"),
            WAIT,
            || async {
                match target
                    .lines_containing(&group, since_ms, &["task_already_closed", code])
                    .await
                {
                    0 => Err("no such line".to_owned()),
                    _ => Ok(()),
                }
            },
        )
        .await;
}

fn timing_for(target: &Target, scenario: &str) -> ReviewTiming {
    match target.review_timing() {
        Some(t) if t.timeout_seconds <= 120 => t,
        other => panic!(
            "{scenario} needs a stack with short review timers (deploy with ReviewHeartbeatSeconds=20 \
             ReviewTimeoutSeconds=90 and set KYC_REVIEW_HEARTBEAT_SECONDS / KYC_REVIEW_TIMEOUT_SECONDS); \
             this one has {other:?}"
        ),
    }
}

// -------------------------------------------------------------------------------------------------
// Scenarios
// -------------------------------------------------------------------------------------------------

async fn approved(target: &Target) {
    let ledger = Ledger::new();
    let id = unique_id("approved");
    let sent = target.submit(&ledger, &[complete_application(&id)]).await;
    let run = follow(target, &ledger, &sent[0]).await;
    expect_outcome(
        target,
        &run,
        "New account approved",
        &decision(&id, "APPROVED", "AUTOMATIC", &[], Some(("LOW", 0)), None),
        &approved_automatically(),
    )
    .await;
    // The milestone event before the decision.
    let identity: Vec<Value> = target
        .events_of(&target.names().accounts_log_group, &id)
        .await
        .into_iter()
        .filter(|e| e["detail-type"] == "Identity check completed")
        .map(|e| e["detail"].clone())
        .collect();
    assert_eq!(
        identity,
        [json!({"applicationId": id, "identityVerified": true,
                "checks": {"name": "PASSED", "address": "PASSED", "document": "PASSED",
                           "age": "PASSED", "watchlist": "PASSED"},
                "reasons": []})]
    );
    target.check_invariants(&ledger).await;
}

async fn declined_by_identity_check(target: &Target) {
    let ledger = Ledger::new();
    let watchlisted = unique_id("watchlist");
    let minor = unique_id("minor");
    let sent = target
        .submit(
            &ledger,
            &[
                json!({"applicationId": watchlisted, "customerName": "Jose FANTASMA",
                       "customerAddress": "742 Evergreen Terrace, Springfield, USA",
                       "dateOfBirth": "1975-09-02", "email": "jose.fantasma@example.com", "nationality": "ES",
                       "document": {"type": "national_id", "number": "AB-987654-C", "expiry": "2030-01-15"}}),
                json!({"applicationId": minor, "customerName": "Mateo Jackson",
                       "customerAddress": "789 Oak Avenue, Anytown, USA", "dateOfBirth": "2010-05-05",
                       "document": {"type": "passport", "number": "X7654321", "expiry": "2024-01-31"}}),
            ],
        )
        .await;
    for (submitted, reasons) in sent.iter().zip([
        vec!["WATCHLIST_MATCH"],
        vec!["DOCUMENT_EXPIRED", "UNDERAGE"],
    ]) {
        let run = follow(target, &ledger, submitted).await;
        expect_outcome(
            target,
            &run,
            "New account declined",
            &decision(
                &run.application_id,
                "DECLINED",
                "AUTOMATIC",
                &reasons,
                None,
                None,
            ),
            &declined_by_identity(),
        )
        .await;
    }
    target.check_invariants(&ledger).await;
}

async fn declined_by_risk_profile(target: &Target) {
    let ledger = Ledger::new();
    let id = unique_id("risk");
    let sent = target
        .submit(
            &ledger,
            &[
                json!({"applicationId": id, "customerName": "Richard Roe",
                       "customerAddress": "12 Harbour Road, Anytown, USA", "dateOfBirth": "1981-11-02",
                       "email": "richard.roe@example.com", "nationality": "KP",
                       "document": {"type": "passport", "number": "K4455667", "expiry": "2033-02-28"}}),
            ],
        )
        .await;
    let run = follow(target, &ledger, &sent[0]).await;
    expect_outcome(
        target,
        &run,
        "New account declined",
        &decision(
            &id,
            "DECLINED",
            "AUTOMATIC",
            &["HIGH_RISK_JURISDICTION"],
            Some(("HIGH", 70)),
            None,
        ),
        &declined_by_risk(),
    )
    .await;
    target.check_invariants(&ledger).await;
}

/// How the reviewer answers.
#[derive(Clone, Copy)]
enum ReviewAnswer {
    /// Manual review started, then Manual review completed (callback-completer → SendTaskSuccess).
    Event(&'static str),
    /// SendTaskSuccess straight from the SDK, with the token read from the customer-service log.
    SendTaskSuccess(&'static str),
}

async fn manual_review(target: &Target, answer: ReviewAnswer) {
    let ledger = Ledger::new();
    let id = unique_id("review");
    let sent = target.submit(&ledger, &[review_application(&id)]).await;
    let (token, request) = target.review_request(&id).await;
    assert_review_request(&id, &request);
    let verdict = match answer {
        ReviewAnswer::Event(verdict) => {
            put_started(target, &token).await;
            put_completed(target, &token, verdict).await;
            verdict
        }
        ReviewAnswer::SendTaskSuccess(verdict) => {
            target
                .sfn
                .send_task_success()
                .task_token(&token)
                .output(
                    json!({"decision": verdict, "reviewer": "jdoe", "comment": "via the SDK"})
                        .to_string(),
                )
                .send()
                .await
                .unwrap_or_else(|e| panic!("SendTaskSuccess: {}", kyc_tests::sdk_error(&e)));
            verdict
        }
    };
    let run = follow(target, &ledger, &sent[0]).await;
    let risk = Some(("MEDIUM", REVIEW_SCORE));
    let (detail_type, expected, states) = if verdict == "APPROVE" {
        (
            "New account approved",
            decision(
                &id,
                "APPROVED",
                "MANUAL_REVIEW",
                &["ReviewApproved"],
                risk,
                Some("jdoe"),
            ),
            review_approved(),
        )
    } else {
        (
            "New account declined",
            decision(
                &id,
                "DECLINED",
                "MANUAL_REVIEW",
                &["ReviewDeclined"],
                risk,
                Some("jdoe"),
            ),
            review_declined(),
        )
    };
    expect_outcome(target, &run, detail_type, &expected, &states).await;
    target.check_invariants(&ledger).await;
}

/// The three ways a reviewer can get a **Manual review completed** wrong, each with the cause the
/// callback completer gives (`kyc_shared::review`).
fn bad_reviews(token: &str) -> [(Value, &'static str); 3] {
    [
        (
            json!({"taskToken": token, "decision": "MAYBE", "reviewer": "jdoe"}),
            "decision must be APPROVE or DECLINE",
        ),
        (
            json!({"taskToken": token, "decision": "APPROVE"}),
            "reviewer is required",
        ),
        (
            json!({"taskToken": token, "decision": "APPROVE", "reviewer": "jdoe",
                   "comment": "x".repeat(4097)}),
            "comment is too long (at most 4096 characters)",
        ),
    ]
}

/// A reviewer's mistake is not a technical failure: each bad review asks for the review again (a new
/// request, with what was wrong), and a valid review then decides.
async fn bad_reviews_then_a_valid_one(target: &Target) {
    let ledger = Ledger::new();
    let id = unique_id("bad-review");
    let sent = target.submit(&ledger, &[review_application(&id)]).await;
    let (mut token, _) = target.review_request(&id).await;
    for (n, (detail, _)) in bad_reviews(&token).into_iter().enumerate() {
        let mut detail = detail;
        detail["taskToken"] = json!(token);
        target
            .put_review_event("Manual review completed", detail)
            .await;
        let (next, request) = target.nth_review_request(&id, n + 2).await;
        assert_eq!(request["invalidReviews"], json!(n + 1), "{request}");
        assert_eq!(
            request["previousReview"]["Error"], "ReviewInvalid",
            "{request}"
        );
        assert_ne!(next, token);
        token = next;
        // Three invalid reviews would decline (MaxInvalidReviews 3): stop at two.
        if n == 1 {
            break;
        }
    }
    put_completed(target, &token, "APPROVE").await;
    let run = follow(target, &ledger, &sent[0]).await;
    assert_eq!(run.detail_type, "New account approved", "{}", run.detail);
    assert_eq!(run.execution.status, "SUCCEEDED");
    target.check_invariants(&ledger).await;
}

/// Every kind of bad review, `MaxInvalidReviews` (3) times: the application is declined with
/// `ReviewInvalid`, not failed; the causes the workflow recorded are the completer's.
async fn bad_reviews_exhausted(target: &Target) {
    let ledger = Ledger::new();
    let id = unique_id("bad-reviews");
    let sent = target.submit(&ledger, &[review_application(&id)]).await;
    let (mut token, _) = target.review_request(&id).await;
    let mut causes = Vec::new();
    for (n, (detail, cause)) in bad_reviews(&token).into_iter().enumerate() {
        let mut detail = detail;
        detail["taskToken"] = json!(token);
        target
            .put_review_event("Manual review completed", detail)
            .await;
        causes.push(cause);
        if n < 2 {
            let (next, request) = target.nth_review_request(&id, n + 2).await;
            assert_eq!(request["previousReview"]["Cause"], cause, "{request}");
            token = next;
        }
    }
    let run = follow(target, &ledger, &sent[0]).await;
    assert_eq!(run.detail_type, "New account declined", "{}", run.detail);
    assert_eq!(run.detail["reasons"], json!(["ReviewInvalid"]));
    assert_eq!(run.detail["decidedBy"], "MANUAL_REVIEW");
    assert_eq!(
        run.detail["lastInvalidReview"],
        json!({"Error": "ReviewInvalid", "Cause": causes[2]})
    );
    assert_eq!(run.execution.status, "SUCCEEDED");
    target.check_invariants(&ledger).await;
}

/// Nobody completes the review; heartbeats arrive, so it is `TimeoutSeconds` that ends it.
async fn review_timed_out_scenario(target: &Target) {
    let timing = timing_for(target, "the review timeout scenario");
    let ledger = Ledger::new();
    let id = unique_id("timeout");
    let sent = target.submit(&ledger, &[review_application(&id)]).await;
    let (token, _) = target.review_request(&id).await;
    // Keep the heartbeat satisfied until the execution ends, so the whole-task timeout fires.
    let every = Duration::from_millis(timing.heartbeat_seconds * 1000 / 4);
    let deadline = Instant::now() + Duration::from_secs(timing.timeout_seconds) + WAIT;
    let execution = target.execution_arn(&sent[0]).await;
    loop {
        let status = target.describe(&execution).await.status;
        if status != "RUNNING" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the review of {id} did not time out after {} s",
            timing.timeout_seconds
        );
        put_started(target, &token).await;
        tokio::time::sleep(every).await;
    }
    let run = follow(target, &ledger, &sent[0]).await;
    expect_outcome(
        target,
        &run,
        "New account declined",
        &decision(
            &id,
            "DECLINED",
            "MANUAL_REVIEW",
            &["ReviewTimedOut"],
            Some(("MEDIUM", REVIEW_SCORE)),
            None,
        ),
        &review_timed_out(),
    )
    .await;
    assert_eq!(
        review_timeout_error(target, &run.execution.arn).await,
        ["States.Timeout"]
    );
    target.check_invariants(&ledger).await;
}

/// Nobody starts the review: the heartbeat times out; completing it afterwards, by event or by
/// SendTaskSuccess, changes nothing (TaskTimedOut).
async fn review_completed_with_expired_token(target: &Target) {
    let _ = timing_for(target, "the expired token scenario");
    let ledger = Ledger::new();
    let id = unique_id("expired");
    let sent = target.submit(&ledger, &[review_application(&id)]).await;
    let (token, _) = target.review_request(&id).await;
    let run = follow(target, &ledger, &sent[0]).await;
    let declined = decision(
        &id,
        "DECLINED",
        "MANUAL_REVIEW",
        &["ReviewTimedOut"],
        Some(("MEDIUM", REVIEW_SCORE)),
        None,
    );
    expect_outcome(
        target,
        &run,
        "New account declined",
        &declined,
        &review_timed_out(),
    )
    .await;
    assert_eq!(
        review_timeout_error(target, &run.execution.arn).await,
        ["States.HeartbeatTimeout"]
    );
    // SendTaskSuccess with the expired token: the SDK's typed TaskTimedOut.
    let error = target
        .sfn
        .send_task_success()
        .task_token(&token)
        .output(json!({"decision": "APPROVE", "reviewer": "jdoe"}).to_string())
        .send()
        .await
        .expect_err("SendTaskSuccess with an expired token must fail")
        .into_service_error();
    assert!(
        matches!(error, SendTaskSuccessError::TaskTimedOut(_)),
        "{error:?}"
    );
    // The reviewer's late event: the callback-completer acknowledges it (TaskTimedOut).
    let since = now_ms() - 1000;
    put_completed(target, &token, "APPROVE").await;
    expect_completer_acknowledged(target, since, "TaskTimedOut").await;
    assert_eq!(
        target.describe(&run.execution.arn).await.status,
        "SUCCEEDED"
    );
    assert_eq!(
        target.terminal_event(&id).await,
        ("New account declined".to_owned(), declined)
    );
    target.check_invariants(&ledger).await;
}

/// The reviewer completes the review twice: the first decision stands, the second is acknowledged
/// (TaskTimedOut) and changes nothing; SendTaskSuccess afterwards gets the typed TaskTimedOut.
async fn review_completed_twice(target: &Target) {
    let ledger = Ledger::new();
    let id = unique_id("twice");
    let sent = target.submit(&ledger, &[review_application(&id)]).await;
    let (token, _) = target.review_request(&id).await;
    put_completed(target, &token, "APPROVE").await;
    let run = follow(target, &ledger, &sent[0]).await;
    let approved = decision(
        &id,
        "APPROVED",
        "MANUAL_REVIEW",
        &["ReviewApproved"],
        Some(("MEDIUM", REVIEW_SCORE)),
        Some("jdoe"),
    );
    expect_outcome(
        target,
        &run,
        "New account approved",
        &approved,
        &review_approved(),
    )
    .await;
    let since = now_ms() - 1000;
    put_completed(target, &token, "DECLINE").await;
    expect_completer_acknowledged(target, since, "TaskTimedOut").await;
    let error = target
        .sfn
        .send_task_success()
        .task_token(&token)
        .output(json!({"decision": "DECLINE", "reviewer": "jdoe"}).to_string())
        .send()
        .await
        .expect_err("a second SendTaskSuccess must fail")
        .into_service_error();
    assert!(
        matches!(error, SendTaskSuccessError::TaskTimedOut(_)),
        "{error:?}"
    );
    assert_eq!(
        target.describe(&run.execution.arn).await.status,
        "SUCCEEDED"
    );
    assert_eq!(
        target.terminal_event(&id).await,
        ("New account approved".to_owned(), approved)
    );
    target.check_invariants(&ledger).await;
}

/// A long review kept alive by Manual review started (→ SendTaskHeartbeat) past several heartbeat
/// intervals, then approved.
async fn review_kept_alive_by_heartbeats(target: &Target) {
    let timing = timing_for(target, "the heartbeat scenario");
    assert!(
        timing.timeout_seconds > timing.heartbeat_seconds * 3,
        "the heartbeat scenario needs ReviewTimeoutSeconds > 3 x ReviewHeartbeatSeconds: {timing:?}"
    );
    let ledger = Ledger::new();
    let id = unique_id("heartbeat");
    let sent = target.submit(&ledger, &[review_application(&id)]).await;
    let (token, _) = target.review_request(&id).await;
    let heartbeat = Duration::from_secs(timing.heartbeat_seconds);
    let keep_alive = heartbeat * 5 / 2;
    let started = Instant::now();
    while started.elapsed() < keep_alive {
        put_started(target, &token).await;
        tokio::time::sleep(heartbeat / 4).await;
    }
    put_completed(target, &token, "APPROVE").await;
    let run = follow(target, &ledger, &sent[0]).await;
    expect_outcome(
        target,
        &run,
        "New account approved",
        &decision(
            &id,
            "APPROVED",
            "MANUAL_REVIEW",
            &["ReviewApproved"],
            Some(("MEDIUM", REVIEW_SCORE)),
            Some("jdoe"),
        ),
        &review_approved(),
    )
    .await;
    // The premise: the review state lasted more than two heartbeat intervals and did not time out.
    let history = target.history(&run.execution.arn).await;
    let entered = history
        .iter()
        .find(|e| {
            e.state_entered_event_details()
                .is_some_and(|d| d.name() == "Request manual review")
        })
        .map(history_millis);
    let exited = history
        .iter()
        .find(|e| {
            e.state_exited_event_details()
                .is_some_and(|d| d.name() == "Request manual review")
        })
        .map(history_millis);
    let (Some(entered), Some(exited)) = (entered, exited) else {
        panic!("no Request manual review entered / exited events in the history");
    };
    assert!(
        exited - entered > heartbeat.as_millis() as i64 * 2,
        "the review state lasted {} ms, not more than two heartbeat intervals",
        exited - entered
    );
    assert!(history_events_of(&history, HistoryEventType::TaskTimedOut).is_empty());
    target.check_invariants(&ledger).await;
}

/// The original sample's `events/put_events.json`, byte for byte, as one PutEvents call.
async fn original_sample(target: &Target) {
    let ledger = Ledger::new();
    let text = std::fs::read_to_string(kyc_tests::repo_root().join("events/put_events.json"))
        .expect("events/put_events.json");
    let entries: Vec<Value> = serde_json::from_str(&text).expect("an array of entries");
    assert_eq!(
        entries[0]["EventBusName"],
        target.names().event_bus_name.as_str(),
        "the sample names the bus CentralEventBus; the stack must use that name"
    );
    for entry in &entries {
        let detail: Value = serde_json::from_str(entry["Detail"].as_str().unwrap_or("{}"))
            .expect("the sample's Detail is JSON");
        ledger.personal_data_of(&detail);
    }
    let sdk_entries = entries
        .iter()
        .map(|e| {
            aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .set_source(e["Source"].as_str().map(str::to_owned))
                .set_detail_type(e["DetailType"].as_str().map(str::to_owned))
                .set_detail(e["Detail"].as_str().map(str::to_owned))
                .set_event_bus_name(e["EventBusName"].as_str().map(str::to_owned))
                .build()
        })
        .collect();
    let sent_ms = now_ms();
    let out = target.put_events(sdk_entries).await;
    assert_eq!(out.failed_entry_count(), 0, "{:?}", out.entries());
    assert_eq!(out.entries().len(), 2);
    let sent: Vec<Submitted> = out
        .entries()
        .iter()
        .map(|r| Submitted {
            event_id: r.event_id().unwrap_or_default().to_owned(),
            application_id: None,
            sent_ms,
        })
        .collect();
    for submitted in &sent {
        let run = follow(target, &ledger, submitted).await;
        // No applicationId in the sample: the execution name stands in for it ("Route application"
        // assigns it), on the same path.
        let states = approved_automatically();
        expect_outcome(
            target,
            &run,
            "New account approved",
            &decision(
                &run.execution.name,
                "APPROVED",
                "AUTOMATIC",
                &["NO_DOCUMENT", "NO_DATE_OF_BIRTH"],
                Some(("LOW", 15)),
                None,
            ),
            &states,
        )
        .await;
        // Both log groups get the approval: on kyc-local the permission plane evaluates the log
        // groups' resource policy as AWS does (CreateLogStream without the rule as source).
        let cs = target.names().customer_service_log_group.clone();
        let approvals = target
            .wait_until(&format!("the approval in {cs}"), WAIT, || async {
                let n = target
                    .events_of(&cs, &run.application_id)
                    .await
                    .iter()
                    .filter(|e| e["detail-type"] == "New account approved")
                    .count();
                if n == 1 {
                    Ok(n)
                } else {
                    Err(format!("{n} approvals in {cs}"))
                }
            })
            .await;
        assert_eq!(approvals, 1);
    }
    target.check_invariants(&ledger).await;
}

/// `events/malformed/mixed-entries.json` in one call (application ids made unique): the good
/// entries go through, the bad ones are refused per entry.
async fn malformed_entries_mixed(target: &Target) {
    let ledger = Ledger::new();
    let text =
        std::fs::read_to_string(kyc_tests::repo_root().join("events/malformed/mixed-entries.json"))
            .expect("events/malformed/mixed-entries.json");
    let entries: Vec<Value> = serde_json::from_str(&text).expect("an array of entries");
    let mut ids = Vec::new();
    let sdk_entries = entries
        .iter()
        .map(|e| {
            let mut detail_text = e["Detail"].as_str().map(str::to_owned);
            if let Some(mut detail) = detail_text
                .as_deref()
                .and_then(|d| serde_json::from_str::<Value>(d).ok())
                .filter(Value::is_object)
            {
                ledger.personal_data_of(&detail);
                if detail.get("applicationId").is_some() {
                    let id = unique_id("mixed");
                    detail["applicationId"] = json!(id);
                    ids.push(id);
                    detail_text = Some(detail.to_string());
                }
            }
            aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .set_source(e["Source"].as_str().map(str::to_owned))
                .set_detail_type(e["DetailType"].as_str().map(str::to_owned))
                .set_detail(detail_text)
                .event_bus_name(&target.names().event_bus_name)
                .build()
        })
        .collect();
    let sent_ms = now_ms();
    let out = target.put_events(sdk_entries).await;
    assert_eq!(out.failed_entry_count(), 3, "{:?}", out.entries());
    let results: Vec<(bool, Option<&str>, Option<&str>)> = out
        .entries()
        .iter()
        .map(|r| (r.event_id().is_some(), r.error_code(), r.error_message()))
        .collect();
    assert_eq!(
        results,
        [
            (true, None, None),
            (false, Some("MalformedDetail"), Some("Detail is malformed.")),
            (
                false,
                Some("InvalidArgument"),
                Some(
                    "Parameter DetailType is not valid. Reason: DetailType is a required argument."
                )
            ),
            (false, Some("MalformedDetail"), Some("Detail is malformed.")),
            (true, None, None),
        ]
    );
    assert_eq!(ids.len(), 2);
    for (index, id) in [(0, &ids[0]), (4, &ids[1])] {
        let submitted = Submitted {
            event_id: out.entries()[index]
                .event_id()
                .unwrap_or_default()
                .to_owned(),
            application_id: Some(id.clone()),
            sent_ms,
        };
        ledger.accepted_id(id);
        let run = follow(target, &ledger, &submitted).await;
        expect_outcome(
            target,
            &run,
            "New account approved",
            &decision(
                id,
                "APPROVED",
                "AUTOMATIC",
                &["NO_DOCUMENT", "NO_DATE_OF_BIRTH"],
                Some(("LOW", 15)),
                None,
            ),
            &approved_automatically(),
        )
        .await;
    }
    target.check_invariants(&ledger).await;
}

/// The declined event of an invalid application: reason InvalidApplication and a cause naming the
/// field (the Lambda error: errorType and errorMessage).
fn expect_invalid(run: &Followed, message: &str) {
    assert_eq!(run.detail_type, "New account declined", "{}", run.detail);
    let mut detail = run.detail.clone();
    let cause = detail
        .as_object_mut()
        .and_then(|d| d.remove("cause"))
        .unwrap_or(Value::Null);
    assert_eq!(
        detail,
        decision(
            &run.application_id,
            "DECLINED",
            "AUTOMATIC",
            &["InvalidApplication"],
            None,
            None
        )
    );
    let cause: Value = serde_json::from_str(cause.as_str().unwrap_or_default())
        .unwrap_or_else(|_| panic!("the cause is the Lambda error as JSON: {cause}"));
    assert_eq!(cause["errorType"], "InvalidApplication", "{cause}");
    assert_eq!(cause["errorMessage"], message, "{cause}");
}

/// Malformed applications put on the bus: each declined with reason InvalidApplication.
async fn invalid_applications(target: &Target) {
    let ledger = Ledger::new();
    let base = |id: &str| {
        json!({"applicationId": id, "customerName": "Carlos Salazar",
               "customerAddress": "1 Any Street, Any Town, USA"})
    };
    let long_name = format!("{}Smith", "Ana Lopez ".repeat(20));
    let cases: Vec<(Value, String)> = vec![
        (
            {
                let mut d = base(&unique_id("invalid"));
                d.as_object_mut().map(|o| o.remove("customerName"));
                d
            },
            "customerName is required".to_owned(),
        ),
        (
            {
                let mut d = base(&unique_id("invalid"));
                d["customerName"] = json!("");
                d
            },
            "customerName must not be empty".to_owned(),
        ),
        (
            {
                let mut d = base(&unique_id("invalid"));
                d["customerName"] = json!(long_name);
                d
            },
            format!(
                "customerName is too long: {} characters, at most 128 allowed",
                long_name.chars().count()
            ),
        ),
        (
            {
                let mut d = base(&unique_id("invalid"));
                d["customerName"] = json!(42);
                d
            },
            "customerName must be a string".to_owned(),
        ),
        (
            {
                let mut d = base(&unique_id("invalid"));
                d.as_object_mut().map(|o| o.remove("customerAddress"));
                d
            },
            "customerAddress is required".to_owned(),
        ),
        (
            {
                let mut d = base(&unique_id("invalid"));
                d["document"] = json!({"type": "library_card", "number": "L1234567", "expiry": "2030-01-01"});
                d
            },
            "document.type is not a known document type (expected passport, national_id or driving_licence)"
                .to_owned(),
        ),
        (
            {
                let mut d = base(&unique_id("invalid"));
                d["dateOfBirth"] = json!("1990-13-45");
                d
            },
            "dateOfBirth is not a valid date (expected YYYY-MM-DD)".to_owned(),
        ),
        (
            {
                let mut d = base(&unique_id("invalid"));
                d["document"] = json!({"type": "passport", "number": "X1234567", "expiry": "2030-02-30"});
                d
            },
            "document.expiry is not a valid date (expected YYYY-MM-DD)".to_owned(),
        ),
    ];
    let details: Vec<Value> = cases.iter().map(|(d, _)| d.clone()).collect();
    let sent = target.submit(&ledger, &details).await;
    for (submitted, (_, message)) in sent.iter().zip(&cases) {
        let run = follow(target, &ledger, submitted).await;
        expect_invalid(&run, message);
        assert_eq!(run.execution.status, "SUCCEEDED", "{:?}", run.execution);
        assert_eq!(run.states, invalid_application());
        target
            .check_status_logger(&run.execution, &["RUNNING", "SUCCEEDED"])
            .await;
    }
    target.check_invariants(&ledger).await;
}

/// Executions started by hand with inputs the bus never delivers: a detail that is not an object
/// (declined, InvalidApplication), and no detail at all (KYC processing failed, the execution FAILS).
async fn invalid_execution_inputs(target: &Target) {
    let ledger = Ledger::new();
    ledger.personal("Nikki Wolf");
    let cases = [
        (
            json!({"detail": "Nikki Wolf, 123 Any Street, Any Town, USA"}),
            "application must be a JSON object, found a string",
        ),
        (
            json!({"detail": ["Nikki Wolf"]}),
            "application must be a JSON object, found an array",
        ),
    ];
    for (input, message) in cases {
        let name = unique_id("input");
        let arn = target.start_execution(&ledger, &name, &input).await;
        let execution = target.finished_execution(&arn).await;
        let (detail_type, detail) = target.terminal_event(&name).await;
        let run = Followed {
            application_id: name.clone(),
            detail_type,
            detail,
            states: target.visited_states(&arn).await,
            execution,
        };
        expect_invalid(&run, message);
        assert_eq!(run.execution.status, "SUCCEEDED", "{:?}", run.execution);
        assert_eq!(run.states, invalid_application());
        target
            .check_status_logger(&run.execution, &["RUNNING", "SUCCEEDED"])
            .await;
    }
    // No detail: a technical failure, not a business outcome.
    let name = unique_id("nodetail");
    let arn = target
        .start_execution(&ledger, &name, &json!({"source": "com.aws.accounts"}))
        .await;
    let execution = target.finished_execution(&arn).await;
    let cause = "The execution input has no detail object (expected a New account requested event)";
    assert_eq!(execution.status, "FAILED", "{execution:?}");
    assert_eq!(execution.error.as_deref(), Some("InvalidApplication"));
    assert_eq!(execution.cause.as_deref(), Some(cause));
    assert_eq!(
        target.terminal_event(&name).await,
        (
            "KYC processing failed".to_owned(),
            json!({"applicationId": name, "error": "InvalidApplication", "cause": cause})
        )
    );
    assert_eq!(
        target.visited_states(&arn).await,
        [
            "Route application",
            "Publish processing failed",
            "Processing failed"
        ]
    );
    target
        .check_status_logger(&execution, &["RUNNING", "FAILED"])
        .await;
    target.check_invariants(&ledger).await;
}

/// Tokens that were never issued: the SDK raises the typed error, the callback-completer
/// acknowledges the event.
async fn unknown_and_invalid_tokens(target: &Target) {
    let ledger = Ledger::new();
    let error = target
        .sfn
        .send_task_success()
        .task_token("not-a-task-token")
        .output("{}")
        .send()
        .await
        .expect_err("a made-up token must be refused")
        .into_service_error();
    assert!(
        matches!(error, SendTaskSuccessError::InvalidToken(_)),
        "{error:?}"
    );
    if target.is_local() {
        // A token of kyc-local's shape that it never issued.
        let unknown = format!("AQ{}", "0".repeat(56));
        let error = target
            .sfn
            .send_task_success()
            .task_token(&unknown)
            .output("{}")
            .send()
            .await
            .expect_err("an unknown token must be refused")
            .into_service_error();
        assert!(
            matches!(error, SendTaskSuccessError::TaskDoesNotExist(_)),
            "{error:?}"
        );
    }
    let since = now_ms() - 1000;
    put_completed(target, "not-a-task-token", "APPROVE").await;
    expect_completer_acknowledged(target, since, "InvalidToken").await;
    target.check_invariants(&ledger).await;
}

/// kyc-local stops while a review waits and starts again on a new port with the same state
/// directory; the review is completed afterwards and the execution succeeds.
async fn restart_mid_review(target: &mut Target) {
    let ledger = Ledger::new();
    let id = unique_id("restart");
    let sent = target.submit(&ledger, &[review_application(&id)]).await;
    let (token, _) = target.review_request(&id).await;
    let before = target.local_endpoint();
    target.restart_local().await;
    assert_ne!(
        target.local_endpoint(),
        before,
        "a new port after the restart"
    );
    put_started(target, &token).await;
    put_completed(target, &token, "APPROVE").await;
    let run = follow(target, &ledger, &sent[0]).await;
    expect_outcome(
        target,
        &run,
        "New account approved",
        &decision(
            &id,
            "APPROVED",
            "MANUAL_REVIEW",
            &["ReviewApproved"],
            Some(("MEDIUM", REVIEW_SCORE)),
            Some("jdoe"),
        ),
        &review_approved(),
    )
    .await;
    // The restart did not ask for a second review.
    let requests = target
        .events_of(&target.names().customer_service_log_group, &id)
        .await
        .into_iter()
        .filter(|e| e["detail-type"] == "Manual review requested")
        .count();
    assert_eq!(requests, 1);
    target.check_invariants(&ledger).await;
}

/// An operation kyc-local does not implement: the SDK surfaces UnknownOperationException.
async fn unknown_operation(target: &Target) {
    let error = target
        .logs
        .describe_metric_filters()
        .send()
        .await
        .expect_err("kyc-local does not implement DescribeMetricFilters");
    let status = error.raw_response().map(|r| r.status().as_u16());
    let error = error.into_service_error();
    assert_eq!(error.code(), Some("UnknownOperationException"), "{error:?}");
    assert_eq!(status, Some(400));
    let error = target
        .events
        .list_archives()
        .send()
        .await
        .expect_err("kyc-local does not implement ListArchives")
        .into_service_error();
    assert_eq!(error.code(), Some("UnknownOperationException"), "{error:?}");
}

// -------------------------------------------------------------------------------------------------
// The tests: each scenario on kyc-local, and on a deployed stack when asked for
// -------------------------------------------------------------------------------------------------

/// Review timers of the local timeout scenarios.
const TIMEOUT_TIMING: ReviewTiming = ReviewTiming {
    heartbeat_seconds: 2,
    timeout_seconds: 5,
};
const EXPIRED_TIMING: ReviewTiming = ReviewTiming {
    heartbeat_seconds: 1,
    timeout_seconds: 30,
};
const HEARTBEAT_TIMING: ReviewTiming = ReviewTiming {
    heartbeat_seconds: 2,
    timeout_seconds: 30,
};

macro_rules! on_both {
    ($local:ident, $deployed:ident, $options:expr, |$t:ident| $body:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $local() {
            let $t = Target::local($options).await;
            $body.await;
            $t.stop().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[ignore = "needs a deployed stack: set KYC_EVENT_BUS_NAME, KYC_STATE_MACHINE_ARN, KYC_ACCOUNTS_LOG_GROUP, KYC_CUSTOMER_SERVICE_LOG_GROUP, KYC_STATUS_LOGGER_LOG_GROUP (see tests/README.md)"]
        async fn $deployed() {
            let $t = Target::deployed_or_fail().await;
            $body.await;
        }
    };
}

on_both!(
    approved_on_kyc_local,
    approved_on_deployed_stack,
    LocalOptions::defaults(),
    |t| approved(&t)
);
on_both!(
    declined_by_identity_on_kyc_local,
    declined_by_identity_on_deployed_stack,
    LocalOptions::defaults(),
    |t| declined_by_identity_check(&t)
);
on_both!(
    declined_by_risk_on_kyc_local,
    declined_by_risk_on_deployed_stack,
    LocalOptions::defaults(),
    |t| declined_by_risk_profile(&t)
);
on_both!(
    review_approved_by_event_on_kyc_local,
    review_approved_by_event_on_deployed_stack,
    LocalOptions::defaults(),
    |t| manual_review(&t, ReviewAnswer::Event("APPROVE"))
);
on_both!(
    review_declined_by_event_on_kyc_local,
    review_declined_by_event_on_deployed_stack,
    LocalOptions::defaults(),
    |t| manual_review(&t, ReviewAnswer::Event("DECLINE"))
);
on_both!(
    review_approved_by_send_task_success_on_kyc_local,
    review_approved_by_send_task_success_on_deployed_stack,
    LocalOptions::defaults(),
    |t| manual_review(&t, ReviewAnswer::SendTaskSuccess("APPROVE"))
);
on_both!(
    review_declined_by_send_task_success_on_kyc_local,
    review_declined_by_send_task_success_on_deployed_stack,
    LocalOptions::defaults(),
    |t| manual_review(&t, ReviewAnswer::SendTaskSuccess("DECLINE"))
);
on_both!(
    bad_reviews_then_a_valid_one_on_kyc_local,
    bad_reviews_then_a_valid_one_on_deployed_stack,
    LocalOptions::defaults(),
    |t| bad_reviews_then_a_valid_one(&t)
);
on_both!(
    bad_reviews_exhausted_on_kyc_local,
    bad_reviews_exhausted_on_deployed_stack,
    LocalOptions::defaults(),
    |t| bad_reviews_exhausted(&t)
);
on_both!(
    review_timed_out_on_kyc_local,
    review_timed_out_on_deployed_stack,
    LocalOptions::review_timing(TIMEOUT_TIMING),
    |t| review_timed_out_scenario(&t)
);
on_both!(
    review_completed_with_expired_token_on_kyc_local,
    review_completed_with_expired_token_on_deployed_stack,
    LocalOptions::review_timing(EXPIRED_TIMING),
    |t| review_completed_with_expired_token(&t)
);
on_both!(
    review_completed_twice_on_kyc_local,
    review_completed_twice_on_deployed_stack,
    LocalOptions::defaults(),
    |t| review_completed_twice(&t)
);
on_both!(
    review_kept_alive_by_heartbeats_on_kyc_local,
    review_kept_alive_by_heartbeats_on_deployed_stack,
    LocalOptions::review_timing(HEARTBEAT_TIMING),
    |t| review_kept_alive_by_heartbeats(&t)
);
on_both!(
    original_sample_put_events_on_kyc_local,
    original_sample_put_events_on_deployed_stack,
    LocalOptions::defaults(),
    |t| original_sample(&t)
);
on_both!(
    malformed_entries_mixed_on_kyc_local,
    malformed_entries_mixed_on_deployed_stack,
    LocalOptions::defaults(),
    |t| malformed_entries_mixed(&t)
);
on_both!(
    invalid_applications_on_kyc_local,
    invalid_applications_on_deployed_stack,
    LocalOptions::defaults(),
    |t| invalid_applications(&t)
);
on_both!(
    invalid_execution_inputs_on_kyc_local,
    invalid_execution_inputs_on_deployed_stack,
    LocalOptions::defaults(),
    |t| invalid_execution_inputs(&t)
);
on_both!(
    unknown_and_invalid_tokens_on_kyc_local,
    unknown_and_invalid_tokens_on_deployed_stack,
    LocalOptions::defaults(),
    |t| unknown_and_invalid_tokens(&t)
);

// Only kyc-local can be restarted, and only it lacks operations AWS has.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_mid_review_on_kyc_local() {
    let mut t = Target::local(LocalOptions::defaults()).await;
    restart_mid_review(&mut t).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_operation_on_kyc_local() {
    let t = Target::local(LocalOptions::defaults()).await;
    unknown_operation(&t).await;
    t.stop().await;
}
