//! The project's own state machine (statemachine/kyc.asl.yaml) through the engine, with fake
//! Lambdas and EventBridge: every application ends in exactly one terminal event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::cell::RefCell;
use std::sync::Arc;

use asl::driver::{Driver, ManualClock, TaskOutcome, TaskRunner};
use asl::{Definition, Execution, ExecutionContext, ExecutionStatus, TaskRequest};
use chrono::Duration;
use common::*;
use serde_json::{Value, json};

const IDENTITY_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:identity-check";
const RISK_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:risk-profile";

fn project_definition() -> Arc<Definition> {
    project_definition_with(600, 86400)
}

/// The definition with the review's heartbeat and timeout substituted.
fn project_definition_with(heartbeat: u64, timeout: u64) -> Arc<Definition> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/kyc.asl.yaml"
    );
    let text = std::fs::read_to_string(path).expect("statemachine/kyc.asl.yaml");
    // DefinitionSubstitutions, as template.yaml would give them.
    let text = text
        .replace("${EventBusName}", "CentralEventBus")
        .replace("${IdentityCheckFunctionArn}", IDENTITY_ARN)
        .replace("${RiskProfileFunctionArn}", RISK_ARN)
        .replace("${ReviewHeartbeatSeconds}", &heartbeat.to_string())
        .replace("${ReviewTimeoutSeconds}", &timeout.to_string())
        .replace("${MaxInvalidReviews}", "3");
    let yaml: Value = serde_yaml::from_str(&text).expect("valid YAML");
    match Definition::from_value(yaml) {
        Ok(d) => Arc::new(d),
        Err(e) => panic!("project definition refused: {e}"),
    }
}

/// Fake integrations: the two Lambdas answer from the scenario, putEvents records the event.
struct Kyc {
    identity: Box<dyn Fn(usize) -> TaskOutcome>,
    risk: Box<dyn Fn(usize) -> TaskOutcome>,
    published: RefCell<Vec<(String, Value)>>,
    identity_calls: RefCell<usize>,
    risk_calls: RefCell<usize>,
    review_tokens: RefCell<Vec<String>>,
}

impl TaskRunner for Kyc {
    async fn run(&self, t: &TaskRequest) -> TaskOutcome {
        match t.resource.as_str() {
            "arn:aws:states:::lambda:invoke" => {
                let f = t.parameters["FunctionName"].as_str().unwrap_or("");
                if f == IDENTITY_ARN {
                    let n = *self.identity_calls.borrow();
                    *self.identity_calls.borrow_mut() += 1;
                    (self.identity)(n)
                } else {
                    let n = *self.risk_calls.borrow();
                    *self.risk_calls.borrow_mut() += 1;
                    (self.risk)(n)
                }
            }
            "arn:aws:states:::events:putEvents"
            | "arn:aws:states:::events:putEvents.waitForTaskToken" => {
                let e = &t.parameters["Entries"][0];
                self.published.borrow_mut().push((
                    e["DetailType"].as_str().unwrap().to_string(),
                    e["Detail"].clone(),
                ));
                if let Some(tok) = &t.task_token {
                    self.review_tokens.borrow_mut().push(tok.clone());
                    return TaskOutcome::Pending;
                }
                TaskOutcome::Succeeded(
                    json!({"Entries": [{"EventId": "e-1"}], "FailedEntryCount": 0}),
                )
            }
            other => panic!("unexpected resource {other}"),
        }
    }
}

fn lambda_ok(payload: Value) -> TaskOutcome {
    TaskOutcome::Succeeded(
        json!({"ExecutedVersion": "$LATEST", "Payload": payload, "StatusCode": 200}),
    )
}

fn verified() -> TaskOutcome {
    lambda_ok(
        json!({"applicationId": "app-1", "identityVerified": true, "checks": {"document": "PASSED"}, "reasons": []}),
    )
}

fn risk(decision: &str) -> TaskOutcome {
    lambda_ok(
        json!({"riskScore": 42, "riskLevel": "MEDIUM", "decision": decision, "reasons": ["r"]}),
    )
}

fn request(detail: Value) -> Value {
    json!({"version": "0", "id": "6a7e8feb", "detail-type": "New account requested",
           "source": "com.aws.accounts", "account": "123456789012", "time": "2024-01-01T00:00:00Z",
           "region": "us-east-1", "resources": [], "detail": detail})
}

fn start(
    input: Value,
    identity: impl Fn(usize) -> TaskOutcome + 'static,
    risk: impl Fn(usize) -> TaskOutcome + 'static,
) -> Driver<Kyc, ManualClock> {
    start_with(project_definition(), input, identity, risk)
}

fn start_with(
    definition: Arc<Definition>,
    input: Value,
    identity: impl Fn(usize) -> TaskOutcome + 'static,
    risk: impl Fn(usize) -> TaskOutcome + 'static,
) -> Driver<Kyc, ManualClock> {
    let c = ExecutionContext::new(
        "arn:aws:states:us-east-1:123456789012:stateMachine:Kyc",
        "run-42",
        "arn:aws:iam::123456789012:role/R",
    );
    let ex = Execution::start(definition, input, c, t0());
    Driver::new(
        ex,
        Kyc {
            identity: Box::new(identity),
            risk: Box::new(risk),
            published: RefCell::new(Vec::new()),
            identity_calls: RefCell::new(0),
            risk_calls: RefCell::new(0),
            review_tokens: RefCell::new(Vec::new()),
        },
        ManualClock::new(t0()),
    )
}

fn terminal_events(d: &Driver<Kyc, ManualClock>) -> Vec<String> {
    d.runner
        .published
        .borrow()
        .iter()
        .map(|(t, _)| t.clone())
        .filter(|t| {
            [
                "New account approved",
                "New account declined",
                "KYC processing failed",
            ]
            .contains(&t.as_str())
        })
        .collect()
}

fn application() -> Value {
    json!({"customerName": "Test Customer", "customerAddress": "1 Main St", "applicationId": "app-1"})
}

#[test]
fn project_definition_is_valid() {
    let d = project_definition();
    assert!(d.machine.states.len() > 10);
}

#[test]
fn automatic_approval() {
    let mut d = start(request(application()), |_| verified(), |_| risk("APPROVE"));
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(terminal_events(&d), vec!["New account approved"]);
    let published = d.runner.published.borrow();
    assert_eq!(published[0].0, "Identity check completed");
    assert_eq!(published[0].1["applicationId"], json!("app-1"));
    let approved = &published.last().unwrap().1;
    assert_eq!(approved["applicationId"], json!("app-1"));
    assert_eq!(approved["riskLevel"], json!("MEDIUM"));
}

#[test]
fn application_id_defaults_to_execution_name() {
    let mut d = start(
        request(json!({"customerName": "A", "customerAddress": "B"})),
        |_| verified(),
        |_| risk("APPROVE"),
    );
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(
        d.runner.published.borrow()[0].1["applicationId"],
        json!("run-42")
    );
}

#[test]
fn declined_by_identity() {
    let mut d = start(
        request(application()),
        |_| {
            lambda_ok(
                json!({"applicationId": "app-1", "identityVerified": false, "checks": {}, "reasons": ["DOCUMENT_EXPIRED"]}),
            )
        },
        |_| risk("APPROVE"),
    );
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(terminal_events(&d), vec!["New account declined"]);
    assert_eq!(*d.runner.risk_calls.borrow(), 0);
}

#[test]
fn declined_by_risk() {
    let mut d = start(request(application()), |_| verified(), |_| risk("DECLINE"));
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(terminal_events(&d), vec!["New account declined"]);
}

#[test]
fn manual_review_approved_through_the_task_token() {
    let mut d = start(request(application()), |_| verified(), |_| risk("REVIEW"));
    assert_eq!(block_on(d.run_until_idle()), ExecutionStatus::Running);
    let token = d.runner.review_tokens.borrow()[0].clone();
    let requested = d.runner.published.borrow().last().unwrap().clone();
    assert_eq!(requested.0, "Manual review requested");
    assert_eq!(requested.1["taskToken"], json!(token));
    let id = d.execution.task_for_token(&token).unwrap();
    d.clock.advance(Duration::seconds(120));
    d.execution
        .task_succeeded(
            id,
            json!({"decision": "APPROVE", "reviewer": "rev-1"}),
            asl::driver::Clock::now(&d.clock),
        )
        .unwrap();
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(terminal_events(&d), vec!["New account approved"]);
    assert_eq!(
        d.runner.published.borrow().last().unwrap().1["reviewer"],
        json!("rev-1")
    );
}

#[test]
fn manual_review_declined() {
    let mut d = start(request(application()), |_| verified(), |_| risk("REVIEW"));
    assert_eq!(block_on(d.run_until_idle()), ExecutionStatus::Running);
    let token = d.runner.review_tokens.borrow()[0].clone();
    let id = d.execution.task_for_token(&token).unwrap();
    d.execution
        .task_succeeded(
            id,
            json!({"decision": "DECLINE", "reviewer": "rev-2"}),
            t0(),
        )
        .unwrap();
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(terminal_events(&d), vec!["New account declined"]);
}

#[test]
fn manual_review_without_heartbeat_times_out() {
    let mut d = start(request(application()), |_| verified(), |_| risk("REVIEW"));
    // The runner leaves the token pending; the driver sleeps to the heartbeat deadline.
    let status = block_on(d.run());
    assert_eq!(terminal_events(&d).len(), 1, "status {status:?}");
    assert_eq!(terminal_events(&d), vec!["New account declined"]);
    assert_eq!(
        (asl::driver::Clock::now(&d.clock) - t0()).num_seconds(),
        600
    );
}

#[test]
fn lambda_failing_after_retries_ends_in_processing_failed() {
    let mut d = start(
        request(application()),
        |_| TaskOutcome::Failed {
            error: "Lambda.Unknown".into(),
            cause: "boom".into(),
        },
        |_| risk("APPROVE"),
    );
    let status = block_on(d.run());
    // Retried (the exact MaxAttempts belongs to the definition, not to this engine test).
    assert!(*d.runner.identity_calls.borrow() >= 2);
    assert_eq!(terminal_events(&d), vec!["KYC processing failed"]);
    assert_eq!(status, ExecutionStatus::Failed);
}

#[test]
fn transient_lambda_error_is_retried() {
    let mut d = start(
        request(application()),
        |n| {
            if n == 0 {
                TaskOutcome::Failed {
                    error: "Lambda.ServiceException".into(),
                    cause: "".into(),
                }
            } else {
                verified()
            }
        },
        |_| risk("APPROVE"),
    );
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(*d.runner.identity_calls.borrow(), 2);
    assert_eq!(terminal_events(&d), vec!["New account approved"]);
}

#[test]
fn input_without_detail_ends_in_processing_failed() {
    let mut d = start(
        json!({"hello": "world"}),
        |_| verified(),
        |_| risk("APPROVE"),
    );
    let status = block_on(d.run());
    assert_eq!(terminal_events(&d), vec!["KYC processing failed"]);
    assert_eq!(status, ExecutionStatus::Failed);
}

/// The states an execution entered, in order (each is one state transition on the bill).
fn entered(d: &mut Driver<Kyc, ManualClock>) -> Vec<String> {
    d.execution
        .take_events()
        .iter()
        .filter_map(|e| match &e.details {
            Some(asl::EventDetails::StateEntered(s)) => Some(s.name.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn automatic_approval_takes_eight_transitions() {
    // The JSONata definition computes the application id in "Route application" (no Pass state
    // to move data): 8 states where the JSONPath version entered 9 (BENCHMARKS.md, cost per path).
    let mut d = start(request(application()), |_| verified(), |_| risk("APPROVE"));
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(
        entered(&mut d),
        [
            "Route application",
            "Check identity",
            "Publish identity check completed",
            "Identity verified?",
            "Assess risk",
            "Risk decision?",
            "Publish approved automatically",
            "Approved"
        ]
    );
}

#[test]
fn execution_output_is_the_outcome_without_the_application() {
    let mut d = start(request(application()), |_| verified(), |_| risk("DECLINE"));
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    let output = d.execution.output().unwrap().clone();
    assert_eq!(output["applicationId"], "app-1");
    assert_eq!(output["risk"]["decision"], "DECLINE");
    assert_eq!(output["identity"]["identityVerified"], true);
    assert_eq!(output["review"], Value::Null);
    assert_eq!(
        output["reviews"],
        json!({"invalid": 0, "lastProblem": null})
    );
    let text = output.to_string();
    assert!(
        !text.contains("Test Customer") && !text.contains("1 Main St"),
        "{text}"
    );
}

#[test]
fn review_heartbeat_not_below_the_timeout_is_lowered() {
    // HeartbeatSeconds must be below TimeoutSeconds; a template that sets them the other way round
    // gets timeout - 1 (the expression in "Request manual review").
    let mut d = start_with(
        project_definition_with(100, 50),
        request(application()),
        |_| verified(),
        |_| risk("REVIEW"),
    );
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(terminal_events(&d), vec!["New account declined"]);
    assert_eq!((asl::driver::Clock::now(&d.clock) - t0()).num_seconds(), 49);
    let scheduled: Vec<Value> = d
        .execution
        .take_events()
        .iter()
        .filter_map(|e| match &e.details {
            Some(asl::EventDetails::TaskScheduled(t)) => Some(json!({
                "timeout": t.timeout_in_seconds, "heartbeat": t.heartbeat_in_seconds})),
            _ => None,
        })
        .collect();
    assert!(
        scheduled.contains(&json!({"timeout": 50, "heartbeat": 49})),
        "{scheduled:?}"
    );
}

fn invalid_review(d: &mut Driver<Kyc, ManualClock>, n: usize, by_hand: bool) {
    assert_eq!(block_on(d.run_until_idle()), ExecutionStatus::Running);
    let token = d.runner.review_tokens.borrow()[n].clone();
    let request = d.runner.published.borrow().last().unwrap().1.clone();
    assert_eq!(request["invalidReviews"], json!(n));
    let id = d.execution.task_for_token(&token).unwrap();
    if by_hand {
        d.execution
            .task_succeeded(id, json!({"decision": "MAYBE"}), t0())
            .unwrap();
    } else {
        d.execution
            .task_failed(
                id,
                Some("ReviewInvalid".into()),
                Some("decision must be APPROVE or DECLINE".into()),
                t0(),
            )
            .unwrap();
    }
}

#[test]
fn invalid_reviews_are_counted_until_the_application_is_declined() {
    let mut d = start(request(application()), |_| verified(), |_| risk("REVIEW"));
    invalid_review(&mut d, 0, false);
    invalid_review(&mut d, 1, true);
    // The third request says what was wrong with the second review.
    assert_eq!(block_on(d.run_until_idle()), ExecutionStatus::Running);
    assert_eq!(
        d.runner.published.borrow().last().unwrap().1["previousReview"],
        json!({"Error": "ReviewInvalid", "Cause": "The review output has no decision APPROVE or DECLINE"})
    );
    invalid_review(&mut d, 2, false);
    assert_eq!(block_on(d.run()), ExecutionStatus::Succeeded);
    assert_eq!(terminal_events(&d), vec!["New account declined"]);
    let declined = d.runner.published.borrow().last().unwrap().1.clone();
    assert_eq!(declined["reasons"], json!(["ReviewInvalid"]));
    assert_eq!(
        declined["lastInvalidReview"],
        json!({"Error": "ReviewInvalid", "Cause": "decision must be APPROVE or DECLINE"})
    );
    assert_eq!(d.runner.review_tokens.borrow().len(), 3);
}
