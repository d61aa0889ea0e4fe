//! Every test case of `statemachine/kyc.mock.json` through kyc-local started with the mock
//! configuration (as `kyc-local serve --mock-config statemachine/kyc.mock.json` starts it), with
//! the real AWS SDK clients: `StartExecution` on `<state machine ARN>#<TestCase>`.
//!
//! The test cases mock the Lambda tasks (Check identity, Assess risk) and the manual review's
//! `.waitForTaskToken` task; the putEvents states are left unmocked on purpose, so the milestone and
//! terminal events really go through the bus and its rules into the accounts log group, where each
//! path's terminal event is checked. No function binary is built for this test and none of the
//! functions the state machine (or a reviewer) would call starts: their instance and invocation
//! counters stay at 0. (The status-change logger is the default bus rule's target for every
//! execution status change, which Step Functions emits for test executions too; it is not a call
//! the state machine makes, so it is not counted here.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use emulator::services::stepfunctions::mocks::MockConfig;
use kyc_tests::{Ledger, LocalOptions, Target, repo_root, unique_id};
use serde_json::{Value, json};

fn mock_file() -> PathBuf {
    repo_root().join("statemachine/kyc.mock.json")
}

/// What a test case must end in.
struct Expected {
    status: &'static str,
    terminal: &'static str,
    /// Fields of the terminal event's detail.
    detail: Value,
    /// The states entered, in order.
    path: &'static [&'static str],
    /// `(state, error)` of every failed attempt of a Task state, in order.
    failures: &'static [(&'static str, &'static str)],
}

const TO_RISK: [&str; 6] = [
    "Route application",
    "Check identity",
    "Publish identity check completed",
    "Identity verified?",
    "Assess risk",
    "Risk decision?",
];

fn path_of(tail: &[&'static str], head: &[&'static str]) -> &'static [&'static str] {
    let all: Vec<&'static str> = head.iter().chain(tail).copied().collect();
    Box::leak(all.into_boxed_slice())
}

fn expectations() -> BTreeMap<&'static str, Expected> {
    let approved_automatically = path_of(&["Publish approved automatically", "Approved"], &TO_RISK);
    let review =
        |tail: &[&'static str]| path_of(&[&["Request manual review"], tail].concat(), &TO_RISK);
    BTreeMap::from([
        (
            "Approved",
            Expected {
                status: "SUCCEEDED",
                terminal: "New account approved",
                detail: json!({"decision": "APPROVED", "decidedBy": "AUTOMATIC", "riskLevel": "LOW", "riskScore": 0}),
                path: approved_automatically,
                failures: &[],
            },
        ),
        (
            "DeclinedByIdentity",
            Expected {
                status: "SUCCEEDED",
                terminal: "New account declined",
                detail: json!({"decision": "DECLINED", "decidedBy": "AUTOMATIC", "reasons": ["DOCUMENT_EXPIRED"], "riskLevel": null}),
                path: path_of(&["Publish declined by identity", "Declined"], &TO_RISK[..4]),
                failures: &[],
            },
        ),
        (
            "DeclinedByRisk",
            Expected {
                status: "SUCCEEDED",
                terminal: "New account declined",
                detail: json!({"decision": "DECLINED", "decidedBy": "AUTOMATIC", "reasons": ["HIGH_RISK_JURISDICTION"], "riskLevel": "HIGH", "riskScore": 70}),
                path: path_of(&["Publish declined by risk", "Declined"], &TO_RISK),
                failures: &[],
            },
        ),
        (
            "ManualReviewApproved",
            Expected {
                status: "SUCCEEDED",
                terminal: "New account approved",
                detail: json!({"decision": "APPROVED", "decidedBy": "MANUAL_REVIEW", "reasons": ["ReviewApproved"], "reviewer": "Mary Major", "riskLevel": "MEDIUM"}),
                path: review(&[
                    "Review decision?",
                    "Publish approved after review",
                    "Approved",
                ]),
                failures: &[],
            },
        ),
        (
            "ManualReviewDeclined",
            Expected {
                status: "SUCCEEDED",
                terminal: "New account declined",
                detail: json!({"decision": "DECLINED", "decidedBy": "MANUAL_REVIEW", "reasons": ["ReviewDeclined"], "reviewer": "Mary Major"}),
                path: review(&[
                    "Review decision?",
                    "Publish declined after review",
                    "Declined",
                ]),
                failures: &[],
            },
        ),
        (
            "ManualReviewTimedOut",
            Expected {
                status: "SUCCEEDED",
                terminal: "New account declined",
                detail: json!({"decision": "DECLINED", "decidedBy": "MANUAL_REVIEW", "reasons": ["ReviewTimedOut"], "reviewer": null}),
                path: review(&["Publish declined review timed out", "Declined"]),
                failures: &[("Request manual review", "States.Timeout")],
            },
        ),
        (
            "IdentityThrottledThenApproved",
            Expected {
                status: "SUCCEEDED",
                terminal: "New account approved",
                detail: json!({"decision": "APPROVED", "decidedBy": "AUTOMATIC"}),
                path: approved_automatically,
                failures: &[
                    ("Check identity", "Lambda.TooManyRequestsException"),
                    ("Check identity", "Lambda.TooManyRequestsException"),
                ],
            },
        ),
        (
            "RiskProfileFails",
            Expected {
                status: "FAILED",
                terminal: "KYC processing failed",
                detail: json!({"error": "Lambda.ServiceException"}),
                path: path_of(
                    &["Publish processing failed", "Processing failed"],
                    &TO_RISK[..5],
                ),
                failures: &[
                    ("Assess risk", "Lambda.ServiceException"),
                    ("Assess risk", "Lambda.ServiceException"),
                    ("Assess risk", "Lambda.ServiceException"),
                    ("Assess risk", "Lambda.ServiceException"),
                ],
            },
        ),
    ])
}

/// `(state, error)` of every TaskFailed, with the state it happened in.
fn task_failures(history: &[aws_sdk_sfn::types::HistoryEvent]) -> Vec<(String, String)> {
    let mut state = String::new();
    let mut out = Vec::new();
    for event in history {
        if let Some(entered) = event.state_entered_event_details() {
            state = entered.name().to_owned();
        }
        if let Some(failed) = event.task_failed_event_details() {
            out.push((state.clone(), failed.error().unwrap_or_default().to_owned()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mocked_path_on_kyc_local() {
    let config = MockConfig::load(&mock_file()).unwrap();
    let expected = expectations();
    // The file and this test cover the same paths.
    let cases: BTreeSet<&str> = config.test_cases().map(|(_, case)| case).collect();
    assert_eq!(cases, expected.keys().copied().collect::<BTreeSet<_>>());

    let target = Target::local(LocalOptions::mocked(mock_file())).await;
    let machine = target.names().state_machine_arn.clone();
    let ledger = Ledger::new();
    let mut started = Vec::new();
    for case in expected.keys() {
        let id = unique_id(&case.to_lowercase());
        ledger.accepted_id(&id);
        ledger.personal("Nikhil Jayashankar");
        let input = json!({"detail": {"applicationId": id, "customerName": "Nikhil Jayashankar",
                                      "customerAddress": "12 Any Street, Anytown, USA"}});
        let out = target
            .sfn
            .start_execution()
            .state_machine_arn(format!("{machine}#{case}"))
            .name(&id)
            .input(input.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("StartExecution #{case}: {}", kyc_tests::sdk_error(&e)));
        started.push((*case, id, out.execution_arn().to_owned()));
    }
    for (case, id, arn) in &started {
        let want = &expected[case];
        let execution = target.finished_execution(arn).await;
        assert_eq!(execution.status, want.status, "{case}: {execution:?}");
        let (detail_type, detail) = target.terminal_event(id).await;
        assert_eq!(detail_type, want.terminal, "{case}: {detail}");
        assert_eq!(detail["applicationId"], id.as_str(), "{case}");
        for (field, value) in want.detail.as_object().unwrap() {
            assert_eq!(&detail[field], value, "{case}: {field} of {detail}");
        }
        assert_eq!(target.visited_states(arn).await, want.path, "{case}");
        let failures = task_failures(&target.history(arn).await);
        let want_failures: Vec<(String, String)> = want
            .failures
            .iter()
            .map(|(s, e)| ((*s).to_owned(), (*e).to_owned()))
            .collect();
        assert_eq!(failures, want_failures, "{case}");
        match want.status {
            "FAILED" => {
                assert_eq!(
                    execution.error.as_deref(),
                    Some("Lambda.ServiceException"),
                    "{case}"
                );
            }
            _ => {
                let output = execution.output.clone().unwrap();
                assert_eq!(output["applicationId"], id.as_str(), "{case}");
            }
        }
    }
    // No function the state machine calls, nor the reviewer's callback completer, started.
    let prefix = target.names().instance_prefix.clone();
    for function in [
        "identity-check",
        "risk-profile",
        "callback-completer",
        "application-intake",
    ] {
        let name = format!("{prefix}-{function}");
        let stats = target
            .local_function_stats(&name)
            .unwrap_or_else(|| panic!("kyc-local has no function {name}"));
        assert_eq!(
            (stats.instances_started, stats.invocations),
            (0, 0),
            "{name} ran"
        );
    }
    target.check_invariants(&ledger).await;
    target.stop().await;
}

/// The mock file is keyed on the template's state machine and on Task states of its definition
/// (statemachine/kyc.asl.yaml): a renamed state would silently run for real otherwise.
#[test]
fn the_mock_file_names_task_states_of_the_kyc_state_machine() {
    let file: Value = serde_json::from_str(&std::fs::read_to_string(mock_file()).unwrap()).unwrap();
    let asl: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo_root().join("statemachine/kyc.asl.yaml")).unwrap(),
    )
    .unwrap();
    let states = asl["States"].as_mapping().unwrap();
    let machines = file["StateMachines"].as_object().unwrap();
    assert_eq!(machines.keys().collect::<Vec<_>>(), ["kyc-onboarding"]);
    let template = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    assert!(
        template.contains("Name: !Sub ${InstancePrefix}-onboarding"),
        "the state machine's name in template.yaml changed: rename it in kyc.mock.json"
    );
    for (case, mocked) in machines["kyc-onboarding"]["TestCases"].as_object().unwrap() {
        for state in mocked.as_object().unwrap().keys() {
            let Some(definition) = states.get(serde_yaml::Value::String(state.clone())) else {
                panic!("{case}: no state '{state}' in kyc.asl.yaml");
            };
            assert_eq!(definition["Type"].as_str(), Some("Task"), "{case}: {state}");
        }
    }
}

/// A test case survives a restart of kyc-local like any execution: started, kyc-local restarted
/// on the same state while the identity check is being retried, and the retries go on with the
/// next invocation numbers (two throttles in all, then the mocked success), calling no function.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_case_survives_a_restart_of_kyc_local() {
    let mut target = Target::local(LocalOptions::mocked(mock_file())).await;
    let machine = target.names().state_machine_arn.clone();
    let id = unique_id("mocked-restart");
    let input = json!({"detail": {"applicationId": id, "customerName": "Nikhil Jayashankar",
                                  "customerAddress": "12 Any Street, Anytown, USA"}});
    let arn = target
        .sfn
        .start_execution()
        .state_machine_arn(format!("{machine}#IdentityThrottledThenApproved"))
        .name(&id)
        .input(input.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("StartExecution: {}", kyc_tests::sdk_error(&e)))
        .execution_arn()
        .to_owned();
    // Wait for the first throttle (the retrier then waits up to 2 s before invocation 1).
    target
        .wait_until("the first throttle", kyc_tests::WAIT, || async {
            let failures = task_failures(&target.history(&arn).await);
            if failures.is_empty() {
                Err("no TaskFailed yet".to_owned())
            } else {
                Ok(())
            }
        })
        .await;
    target.restart_local().await;
    let execution = target.finished_execution(&arn).await;
    assert_eq!(execution.status, "SUCCEEDED", "{execution:?}");
    assert_eq!(
        task_failures(&target.history(&arn).await),
        vec![
            (
                "Check identity".to_owned(),
                "Lambda.TooManyRequestsException".to_owned()
            ),
            (
                "Check identity".to_owned(),
                "Lambda.TooManyRequestsException".to_owned()
            ),
        ]
    );
    let (detail_type, _) = target.terminal_event(&id).await;
    assert_eq!(detail_type, "New account approved");
    let prefix = target.names().instance_prefix.clone();
    for function in ["identity-check", "risk-profile"] {
        let stats = target
            .local_function_stats(&format!("{prefix}-{function}"))
            .unwrap();
        assert_eq!(
            (stats.instances_started, stats.invocations),
            (0, 0),
            "{function}"
        );
    }
    target.stop().await;
}

/// Round trip through the function's own output type: the mocked payload is exactly what the
/// function would return (no field missing, none extra, same spelling of every enum value).
fn same_as_typed<T: serde::de::DeserializeOwned + serde::Serialize>(what: &str, value: &Value) {
    let typed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{what}: not a {}: {e}", std::any::type_name::<T>()));
    assert_eq!(&serde_json::to_value(typed).unwrap(), value, "{what}");
}

/// The mocked results are shaped like the real integrations' results: a `lambda:invoke` result
/// (ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode) whose Payload is
/// what the function returns (kyc-shared's types), and for the review task what the callback
/// completer sends with SendTaskSuccess (ReviewOutcome).
#[test]
fn mocked_results_are_shaped_like_the_real_ones() {
    let file: Value = serde_json::from_str(&std::fs::read_to_string(mock_file()).unwrap()).unwrap();
    let responses = file["MockedResponses"].as_object().unwrap();
    let mut checked = 0;
    for (case, mocked) in file["StateMachines"]["kyc-onboarding"]["TestCases"]
        .as_object()
        .unwrap()
    {
        for (state, response) in mocked.as_object().unwrap() {
            let response = response.as_str().unwrap();
            for (key, outcome) in responses[response].as_object().unwrap() {
                let what = format!("{case} / {state} / {response} / {key}");
                if let Some(thrown) = outcome.get("Throw") {
                    let error = thrown["Error"].as_str().unwrap();
                    assert!(
                        error.starts_with("Lambda.") || error.starts_with("States."),
                        "{what}: {error}"
                    );
                    continue;
                }
                let result = &outcome["Return"];
                checked += 1;
                if state == "Request manual review" {
                    same_as_typed::<kyc_shared::review::ReviewOutcome>(&what, result);
                    continue;
                }
                let keys: Vec<&str> = result
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                assert_eq!(
                    keys,
                    [
                        "ExecutedVersion",
                        "Payload",
                        "SdkHttpMetadata",
                        "SdkResponseMetadata",
                        "StatusCode"
                    ],
                    "{what}"
                );
                assert_eq!(result["StatusCode"], 200, "{what}");
                assert_eq!(result["SdkHttpMetadata"]["HttpStatusCode"], 200, "{what}");
                let headers = result["SdkHttpMetadata"]["HttpHeaders"]
                    .as_object()
                    .unwrap();
                let all = result["SdkHttpMetadata"]["AllHttpHeaders"]
                    .as_object()
                    .unwrap();
                assert_eq!(headers.len(), all.len(), "{what}");
                for (name, value) in headers {
                    assert_eq!(all[name], json!([value]), "{what}: {name}");
                }
                assert_eq!(
                    headers["x-amzn-RequestId"], result["SdkResponseMetadata"]["RequestId"],
                    "{what}"
                );
                assert_eq!(
                    headers["Content-Length"],
                    result["Payload"].to_string().len().to_string(),
                    "{what}"
                );
                match state.as_str() {
                    "Check identity" => {
                        same_as_typed::<kyc_shared::IdentityCheckResult>(&what, &result["Payload"])
                    }
                    "Assess risk" => {
                        same_as_typed::<kyc_shared::RiskProfileResult>(&what, &result["Payload"]);
                    }
                    other => panic!("{what}: no shape known for state {other}"),
                }
            }
        }
    }
    assert!(checked >= 8, "{checked}");
}
