//! Handler tests against the real `aws_sdk_sfn::Client`, its responses
//! mocked with aws-smithy-mocks (so the error classification is tested on
//! the SDK's own error types and wire decoding).

use aws_sdk_sfn::Client;
use aws_sdk_sfn::config::retry::RetryConfig;
use aws_sdk_sfn::operation::send_task_failure::{SendTaskFailureError, SendTaskFailureOutput};
use aws_sdk_sfn::operation::send_task_heartbeat::{
    SendTaskHeartbeatError, SendTaskHeartbeatOutput,
};
use aws_sdk_sfn::operation::send_task_success::{SendTaskSuccessError, SendTaskSuccessOutput};
use aws_sdk_sfn::types::error::{InvalidOutput, InvalidToken, TaskDoesNotExist, TaskTimedOut};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::*;

const TOKEN: &str = "AQCEAAAAKgAAAAMAAAAAAAAAAdMhYkFK5QAvBvw8r3hOz6O4Q5Rq3jqVyTZCxQ0uvZBLX1zwUMeLmBM0hbkU5nnK/kq+vEmgLZ8S0EXAMPLETOKEN==";

const COMPLETED: &str = include_str!("../../../events/lambda/manual-review-completed.json");
const COMPLETED_DECLINE: &str =
    include_str!("../../../events/lambda/manual-review-completed-decline.json");
const COMPLETED_INVALID: &str =
    include_str!("../../../events/lambda/manual-review-completed-invalid.json");
const COMPLETED_NO_TOKEN: &str =
    include_str!("../../../events/lambda/manual-review-completed-no-token.json");
const STARTED: &str = include_str!("../../../events/lambda/manual-review-started.json");

fn event(raw: &str) -> EventBridgeEvent<Value> {
    serde_json::from_str(raw).unwrap()
}

/// A client answering with `rules` only; SDK retries are off so each test
/// sees exactly one call per handler call (in production the SDK's
/// standard retries run first).
fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_sfn, RuleMode::MatchAny, rules, |c| c
        .retry_config(RetryConfig::disabled()))
}

fn sent(action: CallbackAction) -> CallbackOutcome {
    CallbackOutcome {
        action: Some(action),
        result: CallbackResult::Sent,
    }
}

fn success_rule(expected_output: Value) -> Rule {
    mock!(Client::send_task_success)
        .match_requests(move |r| {
            r.task_token() == Some(TOKEN)
                && r.output()
                    .and_then(|o| serde_json::from_str::<Value>(o).ok())
                    .as_ref()
                    == Some(&expected_output)
        })
        .then_output(|| SendTaskSuccessOutput::builder().build())
}

#[tokio::test]
async fn completed_sends_task_success_with_the_decision() {
    let rule = success_rule(json!({
        "decision": "APPROVE", "reviewer": "reviewer-42", "comment": "Address confirmed by phone"
    }));
    let sfn = client(&[&rule]);
    let outcome = handle(&event(COMPLETED), &sfn).await.unwrap();
    assert_eq!(outcome, sent(CallbackAction::SendTaskSuccess));
    assert_eq!(rule.num_calls(), 1);
    assert_eq!(
        serde_json::to_value(&outcome).unwrap(),
        json!({"action": "SendTaskSuccess", "result": "SENT"})
    );
}

#[tokio::test]
async fn a_decline_without_comment_sends_a_null_comment() {
    let rule =
        success_rule(json!({"decision": "DECLINE", "reviewer": "reviewer-42", "comment": null}));
    let sfn = client(&[&rule]);
    assert_eq!(
        handle(&event(COMPLETED_DECLINE), &sfn).await.unwrap(),
        sent(CallbackAction::SendTaskSuccess)
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn started_sends_a_heartbeat() {
    let rule = mock!(Client::send_task_heartbeat)
        .match_requests(|r| r.task_token() == Some(TOKEN))
        .then_output(|| SendTaskHeartbeatOutput::builder().build());
    let sfn = client(&[&rule]);
    assert_eq!(
        handle(&event(STARTED), &sfn).await.unwrap(),
        sent(CallbackAction::SendTaskHeartbeat)
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn an_invalid_review_fails_the_task_with_review_invalid() {
    let rule = mock!(Client::send_task_failure)
        .match_requests(|r| {
            r.task_token() == Some(TOKEN)
                && r.error() == Some("ReviewInvalid")
                && r.cause() == Some("decision must be APPROVE or DECLINE")
        })
        .then_output(|| SendTaskFailureOutput::builder().build());
    let sfn = client(&[&rule]);
    assert_eq!(
        handle(&event(COMPLETED_INVALID), &sfn).await.unwrap(),
        sent(CallbackAction::SendTaskFailure)
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn a_review_without_reviewer_fails_the_task() {
    let rule = mock!(Client::send_task_failure)
        .match_requests(|r| {
            r.error() == Some("ReviewInvalid") && r.cause() == Some("reviewer is required")
        })
        .then_output(|| SendTaskFailureOutput::builder().build());
    let sfn = client(&[&rule]);
    let mut e = event(COMPLETED);
    e.detail.as_object_mut().unwrap().remove("reviewer");
    assert_eq!(
        handle(&e, &sfn).await.unwrap(),
        sent(CallbackAction::SendTaskFailure)
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn without_a_token_nothing_is_called_and_the_event_is_acknowledged() {
    // Any call would find no matching rule and fail the test.
    let sfn = client(&[]);
    let no_token = CallbackOutcome {
        action: None,
        result: CallbackResult::NoTaskToken,
    };
    assert_eq!(
        handle(&event(COMPLETED_NO_TOKEN), &sfn).await.unwrap(),
        no_token
    );
    let mut started = event(STARTED);
    started.detail = json!({"reviewer": "reviewer-42"});
    assert_eq!(handle(&started, &sfn).await.unwrap(), no_token);
    let mut not_object = event(COMPLETED);
    not_object.detail = json!("APPROVE");
    assert_eq!(handle(&not_object, &sfn).await.unwrap(), no_token);
}

#[tokio::test]
async fn other_detail_types_are_ignored() {
    let sfn = client(&[]);
    let mut e = event(COMPLETED);
    e.detail_type = "Manual review requested".into();
    assert_eq!(
        handle(&e, &sfn).await.unwrap(),
        CallbackOutcome {
            action: None,
            result: CallbackResult::Ignored
        }
    );
}

#[tokio::test]
async fn closed_tasks_are_acknowledged_for_every_call() {
    let cases: [(Rule, &str, CallbackAction, CallbackResult); 9] = [
        (
            mock!(Client::send_task_success).then_error(|| {
                SendTaskSuccessError::TaskTimedOut(
                    TaskTimedOut::builder().message("Task Timed Out").build(),
                )
            }),
            COMPLETED,
            CallbackAction::SendTaskSuccess,
            CallbackResult::TaskTimedOut,
        ),
        (
            mock!(Client::send_task_success).then_error(|| {
                SendTaskSuccessError::TaskDoesNotExist(TaskDoesNotExist::builder().build())
            }),
            COMPLETED,
            CallbackAction::SendTaskSuccess,
            CallbackResult::TaskDoesNotExist,
        ),
        (
            mock!(Client::send_task_success).then_error(|| {
                SendTaskSuccessError::InvalidToken(
                    InvalidToken::builder().message("Invalid token").build(),
                )
            }),
            COMPLETED,
            CallbackAction::SendTaskSuccess,
            CallbackResult::InvalidToken,
        ),
        (
            mock!(Client::send_task_failure)
                .then_error(|| SendTaskFailureError::TaskTimedOut(TaskTimedOut::builder().build())),
            COMPLETED_INVALID,
            CallbackAction::SendTaskFailure,
            CallbackResult::TaskTimedOut,
        ),
        (
            mock!(Client::send_task_failure).then_error(|| {
                SendTaskFailureError::TaskDoesNotExist(TaskDoesNotExist::builder().build())
            }),
            COMPLETED_INVALID,
            CallbackAction::SendTaskFailure,
            CallbackResult::TaskDoesNotExist,
        ),
        (
            mock!(Client::send_task_failure)
                .then_error(|| SendTaskFailureError::InvalidToken(InvalidToken::builder().build())),
            COMPLETED_INVALID,
            CallbackAction::SendTaskFailure,
            CallbackResult::InvalidToken,
        ),
        (
            mock!(Client::send_task_heartbeat).then_error(|| {
                SendTaskHeartbeatError::TaskTimedOut(TaskTimedOut::builder().build())
            }),
            STARTED,
            CallbackAction::SendTaskHeartbeat,
            CallbackResult::TaskTimedOut,
        ),
        (
            mock!(Client::send_task_heartbeat).then_error(|| {
                SendTaskHeartbeatError::TaskDoesNotExist(TaskDoesNotExist::builder().build())
            }),
            STARTED,
            CallbackAction::SendTaskHeartbeat,
            CallbackResult::TaskDoesNotExist,
        ),
        (
            mock!(Client::send_task_heartbeat).then_error(|| {
                SendTaskHeartbeatError::InvalidToken(InvalidToken::builder().build())
            }),
            STARTED,
            CallbackAction::SendTaskHeartbeat,
            CallbackResult::InvalidToken,
        ),
    ];
    for (rule, raw, action, result) in cases {
        let sfn = client(&[&rule]);
        assert_eq!(
            handle(&event(raw), &sfn).await.unwrap(),
            CallbackOutcome {
                action: Some(action),
                result
            }
        );
        assert_eq!(rule.num_calls(), 1);
    }
}

#[tokio::test]
async fn task_gone_errors_decoded_from_the_wire_are_acknowledged() {
    // The awsJson1_0 error body Step Functions sends, decoded by the SDK.
    let rule = mock!(Client::send_task_success)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"com.amazonaws.swf.service.v2.model#TaskTimedOut","message":"Task Timed Out: 'x'"}"#.into()),
        )
        .build();
    let sfn = client(&[&rule]);
    assert_eq!(
        handle(&event(COMPLETED), &sfn).await.unwrap().result,
        CallbackResult::TaskTimedOut
    );
}

async fn error_of(rule: Rule, raw: &str) -> Diagnostic {
    let sfn = client(&[&rule]);
    let e = handle(&event(raw), &sfn).await.unwrap_err();
    assert_eq!(rule.num_calls(), 1);
    e.into()
}

#[tokio::test]
async fn throttling_is_retryable() {
    let rule = mock!(Client::send_task_success)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.into()),
        )
        .build();
    let d = error_of(rule, COMPLETED).await;
    assert_eq!(d.error_type, "Retryable");
    assert_eq!(
        d.error_message,
        "SendTaskSuccess failed with ThrottlingException; retrying may succeed"
    );
}

#[tokio::test]
async fn server_errors_are_retryable_for_every_call() {
    let d = error_of(
        mock!(Client::send_task_success)
            .sequence()
            .http_status(500, None)
            .build(),
        COMPLETED,
    )
    .await;
    assert_eq!(d.error_type, "Retryable");
    let d = error_of(
        mock!(Client::send_task_heartbeat)
            .sequence()
            .http_status(
                503,
                Some(r#"{"__type":"ServiceUnavailable","message":"x"}"#.into()),
            )
            .build(),
        STARTED,
    )
    .await;
    assert_eq!(d.error_type, "Retryable");
    assert_eq!(
        d.error_message,
        "SendTaskHeartbeat failed with ServiceUnavailable; retrying may succeed"
    );
    let d = error_of(
        mock!(Client::send_task_failure)
            .sequence()
            .http_status(429, None)
            .build(),
        COMPLETED_INVALID,
    )
    .await;
    assert_eq!(d.error_type, "Retryable");
}

#[tokio::test]
async fn other_rejections_are_callback_rejected() {
    let d = error_of(
        mock!(Client::send_task_success)
            .then_error(|| SendTaskSuccessError::InvalidOutput(InvalidOutput::builder().build())),
        COMPLETED,
    )
    .await;
    assert_eq!(d.error_type, "CallbackRejected");
    assert_eq!(
        d.error_message,
        "SendTaskSuccess was rejected with UnknownError"
    );
    let d = error_of(
        mock!(Client::send_task_success)
            .sequence()
            .http_status(
                400,
                Some(r#"{"__type":"AccessDeniedException","message":"not authorized"}"#.into()),
            )
            .build(),
        COMPLETED,
    )
    .await;
    assert_eq!(d.error_type, "CallbackRejected");
    assert_eq!(
        d.error_message,
        "SendTaskSuccess was rejected with AccessDeniedException"
    );
}

#[test]
fn transport_failures_are_retryable() {
    use aws_sdk_sfn::error::SdkError;
    let e: SdkError<SendTaskSuccessError, aws_sdk_sfn::config::http::HttpResponse> =
        SdkError::timeout_error("read timed out");
    assert_eq!(
        sfn::classify(e, |_| None),
        SfnCallError::Retryable {
            code: "TimeoutError".into()
        }
    );
    let e: SdkError<SendTaskSuccessError, aws_sdk_sfn::config::http::HttpResponse> =
        SdkError::dispatch_failure(aws_sdk_sfn::error::ConnectorError::io(
            "connection refused".into(),
        ));
    assert_eq!(
        sfn::classify(e, |_| None),
        SfnCallError::Retryable {
            code: "DispatchFailure".into()
        }
    );
}
