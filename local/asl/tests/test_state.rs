#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `asl::test_state`: one state run on its own, as the TestState API runs it.

use asl::StateError;
use asl::test_state::{Mock, TestRun, TestStateError, TestStateInput, TestStatus};
use chrono::{TimeZone, Utc};
use serde_json::{Map, Value, json};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn run(req: TestStateInput) -> asl::test_state::TestStateOutcome {
    let mut r = TestRun::start(req, now()).expect("valid request");
    assert!(
        r.pending_task().is_none(),
        "no task should wait for the host"
    );
    r.outcome().expect("finished")
}

fn err(e: &str, c: &str) -> Mock {
    Mock::Error(StateError::new(e, c))
}

const LAMBDA_TASK: &str = r#"{
  "Type": "Task",
  "Resource": "arn:aws:states:::lambda:invoke",
  "InputPath": "$.application",
  "Parameters": {"FunctionName": "check", "Payload.$": "$"},
  "ResultSelector": {"verified.$": "$.Payload.ok"},
  "ResultPath": "$.identity",
  "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3}],
  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
  "Next": "Done"
}"#;

#[test]
fn pass_records_every_jsonpath_step() {
    let out = run(TestStateInput::new(
        r#"{"Type": "Pass", "InputPath": "$.a", "Parameters": {"x.$": "$.b"}, "ResultPath": "$.r", "OutputPath": "$.r", "Next": "B"}"#,
    )
    .with_input(json!({"a": {"b": 7}})));
    assert_eq!(out.status, TestStatus::Succeeded);
    assert_eq!(out.output, Some(json!({"x": 7})));
    assert_eq!(out.next_state.as_deref(), Some("B"));
    assert_eq!(out.error, None);
    let i = &out.inspection;
    assert_eq!(i.input, Some(json!({"a": {"b": 7}})));
    assert_eq!(i.after_input_path, Some(json!({"b": 7})));
    assert_eq!(i.after_parameters, Some(json!({"x": 7})));
    assert_eq!(i.result, Some(json!({"x": 7})));
    assert_eq!(
        i.after_result_path,
        Some(json!({"a": {"b": 7}, "r": {"x": 7}}))
    );
    assert_eq!(i.after_result_selector, None);
}

#[test]
fn end_state_has_no_next_state() {
    let out = run(TestStateInput::new(
        r#"{"Type": "Pass", "Result": 1, "End": true}"#,
    ));
    assert_eq!(out.status, TestStatus::Succeeded);
    assert_eq!(out.output, Some(json!(1)));
    assert_eq!(out.next_state, None);
}

#[test]
fn choice_gives_the_next_state_and_default() {
    let def = r#"{"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Yes"}], "Default": "No"}"#;
    let yes = run(TestStateInput::new(def).with_input(json!({"ok": true})));
    assert_eq!(yes.status, TestStatus::Succeeded);
    assert_eq!(yes.next_state.as_deref(), Some("Yes"));
    assert_eq!(yes.output, Some(json!({"ok": true})));
    let no = run(TestStateInput::new(def).with_input(json!({"ok": false})));
    assert_eq!(no.next_state.as_deref(), Some("No"));
}

#[test]
fn choice_without_match_fails() {
    let out = run(TestStateInput::new(
        r#"{"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Yes"}]}"#,
    )
    .with_input(json!({"ok": false})));
    assert_eq!(out.status, TestStatus::Failed);
    assert_eq!(out.error.as_deref(), Some("States.NoChoiceMatched"));
    assert_eq!(out.output, None);
    assert_eq!(out.next_state, None);
}

#[test]
fn wait_does_not_sleep() {
    let started = std::time::Instant::now();
    let out = run(
        TestStateInput::new(r#"{"Type": "Wait", "Seconds": 86400, "Next": "After"}"#)
            .with_input(json!({"k": 1})),
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(out.status, TestStatus::Succeeded);
    assert_eq!(out.next_state.as_deref(), Some("After"));
    assert_eq!(out.output, Some(json!({"k": 1})));
}

#[test]
fn succeed_and_fail_states() {
    let ok = run(
        TestStateInput::new(r#"{"Type": "Succeed", "OutputPath": "$.a"}"#)
            .with_input(json!({"a": 2})),
    );
    assert_eq!(ok.status, TestStatus::Succeeded);
    assert_eq!(ok.output, Some(json!(2)));
    assert_eq!(ok.next_state, None);
    let failed = run(TestStateInput::new(
        r#"{"Type": "Fail", "Error": "Declined", "CausePath": "$.why"}"#,
    )
    .with_input(json!({"why": "too risky"})));
    assert_eq!(failed.status, TestStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("Declined"));
    assert_eq!(failed.cause.as_deref(), Some("too risky"));
    assert_eq!(failed.output, None);
}

#[test]
fn task_with_mocked_result_runs_result_processing() {
    let out = run(TestStateInput::new(LAMBDA_TASK)
        .with_input(json!({"application": {"name": "Ann"}}))
        .with_mock(Mock::Result(
            json!({"Payload": {"ok": true}, "StatusCode": 200}),
        )));
    assert_eq!(out.status, TestStatus::Succeeded);
    assert_eq!(out.next_state.as_deref(), Some("Done"));
    // ResultPath places the result into the raw state input (not InputPath's selection).
    assert_eq!(
        out.output,
        Some(json!({"application": {"name": "Ann"}, "identity": {"verified": true}}))
    );
    let i = &out.inspection;
    assert_eq!(i.after_input_path, Some(json!({"name": "Ann"})));
    assert_eq!(
        i.after_parameters,
        Some(json!({"FunctionName": "check", "Payload": {"name": "Ann"}}))
    );
    assert_eq!(
        i.result,
        Some(json!({"Payload": {"ok": true}, "StatusCode": 200}))
    );
    assert_eq!(i.after_result_selector, Some(json!({"verified": true})));
    assert_eq!(
        i.after_result_path,
        Some(json!({"application": {"name": "Ann"}, "identity": {"verified": true}}))
    );
    assert_eq!(i.error_details, None);
}

#[test]
fn mocked_error_matching_a_retrier_is_retriable() {
    let out = run(TestStateInput::new(LAMBDA_TASK)
        .with_input(json!({"application": {}}))
        .with_mock(err("Lambda.ServiceException", "busy")));
    assert_eq!(out.status, TestStatus::Retriable);
    assert_eq!(out.error.as_deref(), Some("Lambda.ServiceException"));
    assert_eq!(out.cause.as_deref(), Some("busy"));
    assert_eq!(out.output, None);
    assert_eq!(out.next_state, None);
    let d = out.inspection.error_details.unwrap();
    assert_eq!(d.retry_index, Some(0));
    assert_eq!(d.retry_backoff_interval_seconds, Some(2));
    assert_eq!(d.catch_index, None);
}

#[test]
fn retrier_retry_count_grows_the_backoff_then_falls_to_catch() {
    let second = run(TestStateInput::new(LAMBDA_TASK)
        .with_input(json!({"application": {}}))
        .with_mock(err("Lambda.ServiceException", "busy"))
        .with_retrier_retry_count(2));
    assert_eq!(second.status, TestStatus::Retriable);
    // 2 s × 3² = 18 s before the third retry.
    assert_eq!(
        second
            .inspection
            .error_details
            .unwrap()
            .retry_backoff_interval_seconds,
        Some(18)
    );
    let exhausted = run(TestStateInput::new(LAMBDA_TASK)
        .with_input(json!({"application": {}}))
        .with_mock(err("Lambda.ServiceException", "busy"))
        .with_retrier_retry_count(3));
    assert_eq!(exhausted.status, TestStatus::CaughtError);
    assert_eq!(exhausted.next_state.as_deref(), Some("Failed"));
}

#[test]
fn mocked_error_caught_gives_caught_error() {
    let out = run(TestStateInput::new(LAMBDA_TASK)
        .with_input(json!({"application": {"a": 1}}))
        .with_mock(err("Lambda.Unknown", "boom")));
    assert_eq!(out.status, TestStatus::CaughtError);
    assert_eq!(out.next_state.as_deref(), Some("Failed"));
    assert_eq!(out.error.as_deref(), Some("Lambda.Unknown"));
    assert_eq!(out.cause.as_deref(), Some("boom"));
    assert_eq!(
        out.output,
        Some(
            json!({"application": {"a": 1}, "error": {"Error": "Lambda.Unknown", "Cause": "boom"}})
        )
    );
    // The catcher's ResultPath is the last step of the data flow.
    assert_eq!(out.inspection.after_result_path, out.output);
    let d = out.inspection.error_details.unwrap();
    assert_eq!(d.catch_index, Some(0));
    assert_eq!(d.retry_index, None);
}

#[test]
fn unhandled_error_fails() {
    let out = run(TestStateInput::new(
        r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": true}"#,
    )
    .with_mock(err("Oops", "it broke")));
    assert_eq!(out.status, TestStatus::Failed);
    assert_eq!(out.error.as_deref(), Some("Oops"));
    assert_eq!(out.cause.as_deref(), Some("it broke"));
}

#[test]
fn task_without_mock_waits_for_the_host() {
    let mut r = TestRun::start(
        TestStateInput::new(LAMBDA_TASK).with_input(json!({"application": {"n": 1}})),
        now(),
    )
    .unwrap();
    let task = r.pending_task().expect("the host runs the task").clone();
    assert_eq!(task.resource, "arn:aws:states:::lambda:invoke");
    assert_eq!(
        task.parameters,
        json!({"FunctionName": "check", "Payload": {"n": 1}})
    );
    assert!(r.outcome().is_none());
    r.task_succeeded(json!({"Payload": {"ok": false}}));
    let out = r.outcome().unwrap();
    assert_eq!(out.status, TestStatus::Succeeded);
    assert_eq!(
        out.output,
        Some(json!({"application": {"n": 1}, "identity": {"verified": false}}))
    );

    let mut r = TestRun::start(
        TestStateInput::new(LAMBDA_TASK).with_input(json!({"application": {}})),
        now(),
    )
    .unwrap();
    r.task_failed("Lambda.ServiceException", "down");
    assert_eq!(r.outcome().unwrap().status, TestStatus::Retriable);
}

#[test]
fn state_name_picks_a_state_of_a_whole_machine() {
    let machine = json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "Result": {"b": true}, "ResultPath": "$.fromB", "Next": "C"},
            "C": {"Type": "Succeed"}
        }
    })
    .to_string();
    let out = run(TestStateInput::new(&machine).with_state_name("B"));
    assert_eq!(out.status, TestStatus::Succeeded);
    assert_eq!(out.next_state.as_deref(), Some("C"));
    assert_eq!(out.output, Some(json!({"fromB": {"b": true}})));
    let missing = TestRun::start(TestStateInput::new(&machine).with_state_name("Z"), now());
    assert_eq!(
        missing.unwrap_err(),
        TestStateError::StateNotFound("Z".into())
    );
}

#[test]
fn jsonata_states() {
    let out = run(TestStateInput::new(
        r#"{"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.n * 2 %}", "Assign": {"seen": "{% $states.input.n %}"}, "Next": "X"}"#,
    )
    .with_input(json!({"n": 21})));
    assert_eq!(out.status, TestStatus::Succeeded);
    assert_eq!(out.output, Some(json!(42)));
    assert_eq!(out.inspection.variables, Some(json!({"seen": 21})));
    assert_eq!(out.inspection.after_input_path, None);

    let task = run(TestStateInput::new(
        r#"{"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
            "Output": "{% $states.result.Payload %}", "End": true}"#,
    )
    .with_input(json!({"q": 1}))
    .with_mock(Mock::Result(json!({"Payload": {"a": 1}}))));
    assert_eq!(task.status, TestStatus::Succeeded);
    assert_eq!(task.output, Some(json!({"a": 1})));
    assert_eq!(
        task.inspection.after_arguments,
        Some(json!({"FunctionName": "f", "Payload": {"q": 1}}))
    );
    assert_eq!(task.inspection.result, Some(json!({"Payload": {"a": 1}})));
    assert_eq!(task.inspection.after_parameters, None);

    let choice = run(TestStateInput::new(
        r#"{"Type": "Choice", "QueryLanguage": "JSONata", "Choices": [{"Condition": "{% $states.input.score > 50 %}", "Next": "High"}], "Default": "Low"}"#,
    )
    .with_input(json!({"score": 80})));
    assert_eq!(choice.next_state.as_deref(), Some("High"));

    let caught = run(TestStateInput::new(
        r#"{"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": "f"},
            "Catch": [{"ErrorEquals": ["Bad"], "Output": "{% $states.errorOutput.Error %}", "Next": "Handle"}], "End": true}"#,
    )
    .with_mock(err("Bad", "x")));
    assert_eq!(caught.status, TestStatus::CaughtError);
    assert_eq!(caught.output, Some(json!("Bad")));
    assert_eq!(caught.next_state.as_deref(), Some("Handle"));
}

#[test]
fn variables_are_visible_and_reported() {
    let mut vars = Map::new();
    vars.insert("limit".into(), json!(10));
    let out = run(TestStateInput::new(
        r#"{"Type": "Pass", "Parameters": {"l.$": "$limit"}, "Assign": {"doubled.$": "States.MathAdd($limit, $limit)"}, "End": true}"#,
    )
    .with_variables(vars.clone()));
    assert_eq!(out.output, Some(json!({"l": 10})));
    assert_eq!(
        out.inspection.variables,
        Some(json!({"limit": 10, "doubled": 20}))
    );
    let failed = run(TestStateInput::new(r#"{"Type": "Fail", "Error": "E"}"#).with_variables(vars));
    assert_eq!(failed.inspection.variables, Some(json!({"limit": 10})));
}

#[test]
fn context_object_members_can_be_given() {
    let out = run(TestStateInput::new(
        r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload": {"name.$": "$$.Execution.Name", "sm.$": "$$.StateMachine.Id"}}, "End": true}"#,
    )
    .with_context(json!({"Execution": {"Name": "exec-42"}}))
    .with_mock(Mock::Result(json!({}))));
    let params = out.inspection.after_parameters.unwrap();
    assert_eq!(params["Payload"]["name"], json!("exec-42"));
    assert!(
        params["Payload"]["sm"]
            .as_str()
            .unwrap()
            .contains(":stateMachine:")
    );
}

#[test]
fn map_and_parallel_run_with_a_mock_only() {
    let map = r#"{"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"v.$": "$$.Map.Item.Value"}, "MaxConcurrency": 2,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
        "ResultPath": "$.results", "Next": "After"}"#;
    let out = run(TestStateInput::new(map)
        .with_input(json!({"items": [1, 2]}))
        .with_mock(Mock::Result(json!(["a", "b"]))));
    assert_eq!(out.status, TestStatus::Succeeded);
    assert_eq!(
        out.output,
        Some(json!({"items": [1, 2], "results": ["a", "b"]}))
    );
    assert_eq!(out.inspection.after_items_path, Some(json!([1, 2])));
    assert_eq!(
        out.inspection.after_item_selector,
        Some(json!([{"v": 1}, {"v": 2}]))
    );
    assert_eq!(out.inspection.max_concurrency, Some(2));
    assert_eq!(
        TestRun::start(TestStateInput::new(map), now()).unwrap_err(),
        TestStateError::MockRequired("Map states".into())
    );

    let parallel = r#"{"Type": "Parallel", "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}], "End": true}"#;
    let ok = run(TestStateInput::new(parallel).with_mock(Mock::Result(json!([{"x": 1}]))));
    assert_eq!(ok.output, Some(json!([{"x": 1}])));
    let caught = run(TestStateInput::new(parallel).with_mock(err("Branch.Failed", "c")));
    assert_eq!(caught.status, TestStatus::CaughtError);
    assert_eq!(caught.next_state.as_deref(), Some("Recover"));
    assert_eq!(
        TestRun::start(TestStateInput::new(parallel), now()).unwrap_err(),
        TestStateError::MockRequired("Parallel states".into())
    );
}

#[test]
fn refused_requests() {
    let invalid = TestRun::start(TestStateInput::new(r#"{"Type": "Nope"}"#), now()).unwrap_err();
    assert!(matches!(invalid, TestStateError::InvalidDefinition(_)));
    let not_json = TestRun::start(TestStateInput::new("{"), now()).unwrap_err();
    match not_json {
        TestStateError::InvalidDefinition(d) => {
            assert_eq!(d.diagnostics[0].code.as_str(), "INVALID_JSON_DESCRIPTION")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        TestRun::start(
            TestStateInput::new(r#"{"Type": "Pass", "End": true}"#)
                .with_mock(Mock::Result(json!(1))),
            now()
        )
        .unwrap_err(),
        TestStateError::MockNotAllowed("Pass")
    );
    assert_eq!(
        TestRun::start(
            TestStateInput::new(r#"{"Type": "Pass", "End": true}"#).with_context(json!({})),
            now()
        )
        .unwrap_err(),
        TestStateError::ContextWithoutMock
    );
    for (resource, what) in [
        (
            "arn:aws:states:::events:putEvents.waitForTaskToken",
            "the .waitForTaskToken integration pattern",
        ),
        (
            "arn:aws:states:::states:startExecution.sync:2",
            "the .sync integration pattern",
        ),
        (
            "arn:aws:states:us-east-1:123456789012:activity:a",
            "Activity tasks",
        ),
    ] {
        let def = json!({"Type": "Task", "Resource": resource, "End": true}).to_string();
        assert_eq!(
            TestRun::start(TestStateInput::new(&def), now()).unwrap_err(),
            TestStateError::MockRequired(what.into())
        );
        // With a mock they run.
        let out = run(TestStateInput::new(&def).with_mock(Mock::Result(json!({"ok": 1}))));
        assert_eq!(out.output, Some(json!({"ok": 1})));
    }
}

#[test]
fn input_path_failure_is_a_runtime_error_never_retried() {
    // States.Runtime is neither retried nor caught (States.ALL excludes it).
    let out = run(TestStateInput::new(LAMBDA_TASK).with_mock(Mock::Result(json!({}))));
    assert_eq!(out.status, TestStatus::Failed);
    assert_eq!(out.error.as_deref(), Some("States.Runtime"));
    assert!(out.cause.unwrap().contains("Invalid path '$.application'"));
}

#[test]
fn payload_limit_applies_to_mocked_results() {
    let big = Value::String("x".repeat(300 * 1024));
    let out = run(TestStateInput::new(
        r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": true}"#,
    )
    .with_mock(Mock::Result(big)));
    assert_eq!(out.status, TestStatus::Failed);
    assert_eq!(out.error.as_deref(), Some("States.DataLimitExceeded"));
}

#[test]
fn a_map_whose_item_selector_multiplies_the_input_stops_at_the_payload_quota() {
    // 20,000 items, each selecting the whole 200 KB input: 4 GB if built; TestState stops at
    // 256 KiB of iteration inputs (the size of the `afterItemSelector` text it answers).
    let input = json!({"xs": vec![0; 20_000], "pad": "x".repeat(200_000)});
    let started = std::time::Instant::now();
    let out = run(TestStateInput::new(
        r#"{"Type": "Map", "ItemsPath": "$.xs", "ItemSelector": {"all.$": "$"},
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}"#,
    )
    .with_input(input)
    .with_mock(Mock::Result(json!([]))));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(out.status, TestStatus::Failed);
    assert_eq!(out.error.as_deref(), Some("States.DataLimitExceeded"));
}
