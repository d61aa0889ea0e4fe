#![allow(clippy::unwrap_used)]

use aws_sdk_sfn::Client;
use aws_sdk_sfn::config::retry::RetryConfig;
use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
use aws_sdk_sfn::types::error::{ExecutionAlreadyExists, StateMachineDoesNotExist};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::*;

const WITH_ID: &str = include_str!("../../../events/lambda/new-account-requested.json");
const WITHOUT_ID: &str =
    include_str!("../../../events/lambda/new-account-requested-without-id.json");
const ARN: &str = "arn:aws:states:us-east-1:111122223333:stateMachine:kyc-onboarding";

fn settings() -> IntakeSettings {
    IntakeSettings {
        state_machine_arn: ARN.into(),
    }
}

fn event(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap()
}

/// A client answering with `rules` only; SDK retries off, so one handler
/// call makes exactly one request.
fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_sfn, RuleMode::MatchAny, rules, |c| c
        .retry_config(RetryConfig::disabled()))
}

fn started(name: &'static str, input: String) -> Rule {
    mock!(Client::start_execution)
        .match_requests(move |r| {
            r.state_machine_arn() == Some(ARN)
                && r.name() == Some(name)
                && r.input() == Some(input.as_str())
        })
        .then_output(move || {
            StartExecutionOutput::builder()
                .execution_arn(format!(
                    "arn:aws:states:us-east-1:111122223333:execution:kyc-onboarding:{name}"
                ))
                .start_date(aws_sdk_sfn::primitives::DateTime::from_secs(0))
                .build()
                .unwrap()
        })
}

#[tokio::test]
async fn starts_under_the_application_id_with_the_event_as_input() {
    let raw = event(WITH_ID);
    // The input is the event's JSON text with its keys in the order delivered.
    let input = raw.to_string();
    assert!(
        input.starts_with(r#"{"version":"0","id":"6a7e8feb"#),
        "{input}"
    );
    let rule = started("app-1001", input);
    let outcome = handle(&raw, &settings(), &client(&[&rule])).await.unwrap();
    assert_eq!(
        outcome,
        IntakeOutcome {
            result: IntakeResult::Started,
            execution_name: Some("app-1001".into()),
            execution_arn: Some(
                "arn:aws:states:us-east-1:111122223333:execution:kyc-onboarding:app-1001".into()
            ),
        }
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn without_an_application_id_the_event_id_names_the_execution() {
    let raw = event(WITHOUT_ID);
    let rule = started("0d79f5b3-1c3e-4b22-a3c7-0fb8a5c2e9d1", raw.to_string());
    let outcome = handle(&raw, &settings(), &client(&[&rule])).await.unwrap();
    assert_eq!(outcome.result, IntakeResult::Started);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn a_second_delivery_is_a_duplicate_and_acknowledged() {
    let rule = mock!(Client::start_execution).then_error(|| {
        StartExecutionError::ExecutionAlreadyExists(
            ExecutionAlreadyExists::builder()
                .message("Execution Already Exists: 'arn:...:app-1001'")
                .build(),
        )
    });
    let outcome = handle(&event(WITH_ID), &settings(), &client(&[&rule]))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        IntakeOutcome {
            result: IntakeResult::Duplicate,
            execution_name: Some("app-1001".into()),
            execution_arn: None,
        }
    );
}

#[tokio::test]
async fn throttling_and_server_errors_are_retryable() {
    for status in [429, 500, 503] {
        let rule = mock!(Client::start_execution)
            .sequence()
            .http_status(status, None)
            .build();
        let e = handle(&event(WITH_ID), &settings(), &client(&[&rule]))
            .await
            .unwrap_err();
        assert_eq!(e.error_type(), ErrorType::Retryable, "{status}");
    }
    let rule = mock!(Client::start_execution)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.into()),
        )
        .build();
    let e = handle(&event(WITH_ID), &settings(), &client(&[&rule]))
        .await
        .unwrap_err();
    assert_eq!(
        Diagnostic::from(e),
        Diagnostic {
            error_type: "Retryable".into(),
            error_message: "StartExecution failed with ThrottlingException; retrying may succeed"
                .into(),
        }
    );
}

#[tokio::test]
async fn other_refusals_are_start_rejected() {
    let rule = mock!(Client::start_execution).then_error(|| {
        StartExecutionError::StateMachineDoesNotExist(StateMachineDoesNotExist::builder().build())
    });
    let e = handle(&event(WITH_ID), &settings(), &client(&[&rule]))
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), ErrorType::StartRejected);
    let rule = mock!(Client::start_execution)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"AccessDeniedException","message":"not authorized"}"#.into()),
        )
        .build();
    let e = handle(&event(WITH_ID), &settings(), &client(&[&rule]))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        IntakeError::Rejected {
            code: "AccessDeniedException".into()
        }
    );
}

#[tokio::test]
async fn other_events_start_nothing() {
    let rule = mock!(Client::start_execution).then_output(|| unreachable!("no call expected"));
    let mut other = event(WITH_ID);
    other["detail-type"] = json!("Manual review started");
    let outcome = handle(&other, &settings(), &client(&[&rule]))
        .await
        .unwrap();
    assert_eq!(outcome.result, IntakeResult::Ignored);
    let outcome = handle(&json!([1, 2]), &settings(), &client(&[&rule]))
        .await
        .unwrap();
    assert_eq!(outcome.result, IntakeResult::Ignored);
    assert_eq!(rule.num_calls(), 0);
}

#[test]
fn names_follow_the_application_id_when_it_is_a_plain_name() {
    let with = |id: Value| execution_name(&json!({"id": "evt-1", "detail": {"applicationId": id}}));
    assert_eq!(
        with(json!("app-1001")),
        Some(("app-1001".into(), NameSource::ApplicationId))
    );
    assert_eq!(
        with(json!("A_b-9")),
        Some(("A_b-9".into(), NameSource::ApplicationId))
    );
    // Characters a logged state machine's execution names may not hold, too long, empty:
    // the SHA-256 of the id (same id, same name).
    for odd in [
        "app 1",
        "app/1",
        "app:1",
        "appé",
        "",
        &"x".repeat(MAX_EXECUTION_NAME_CHARS + 1),
    ] {
        let (name, source) = with(json!(odd)).unwrap();
        assert_eq!(source, NameSource::HashedApplicationId, "{odd:?}");
        assert_eq!(name.len(), 68);
        assert!(name.starts_with(HASHED_NAME_PREFIX));
        assert!(is_plain_name(&name), "{name}");
        assert_eq!(with(json!(odd)).unwrap().0, name);
    }
    // SHA-256("app 1"), computed with sha256sum.
    assert_eq!(
        with(json!("app 1")).unwrap().0,
        "app-91e5bd8497eb9b6a651581af2d8da5ca71de45f2f678e0c19791404cc2961318"
    );
    // A non-string applicationId: the state machine uses the execution name, so the event id.
    assert_eq!(with(json!(42)), Some(("evt-1".into(), NameSource::EventId)));
    assert_eq!(execution_name(&json!({"detail": {}})), None);
    assert_eq!(execution_name(&json!("text")), None);
}

#[test]
fn the_state_machine_arn_is_required_and_named() {
    assert_eq!(
        IntakeSettings::from_lookup(|_| None),
        Err(MissingVariable("STATE_MACHINE_ARN"))
    );
    assert_eq!(
        IntakeSettings::from_lookup(|_| Some(" ".into()))
            .unwrap_err()
            .to_string(),
        "the environment variable STATE_MACHINE_ARN is not set"
    );
    assert_eq!(
        IntakeSettings::from_lookup(|_| Some(ARN.into())),
        Ok(settings())
    );
}
