//! The permission plane, statically: `emulator::permissions::check` and `kyc-local
//! check-permissions` on the project's template, and on templates mutated the ways a wiring goes
//! wrong (a policy removed, narrowed to the wrong ARN, a condition added, a deny added), each
//! reported denied at the integration AWS would fail, with AWS's AccessDenied message.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod permissions_support;

use emulator::permissions::{Report, Verdict, check};
use emulator::template::{StackModel, TemplateOptions};
use permissions_support::{
    COMPLETER_ROLE_WITHOUT_POLICIES, INTAKE_TARGET_WITHOUT_PERMISSION, NO_RISK_INVOKE,
    OLD_LOG_POLICY, PUT_EVENTS_ON_ANOTHER_BUS, mutated_template, repo_root,
};
use pretty_assertions::assert_eq;

fn options() -> TemplateOptions {
    TemplateOptions {
        stack_name: "kyc-onboarding".into(),
        ..TemplateOptions::default()
    }
}

/// The project's template with `replace` applied, loaded.
fn mutated(replace: &[(&str, &str)]) -> StackModel {
    let path = mutated_template(replace);
    let model = emulator::template::load(&path, &options()).unwrap();
    if let Some(dir) = path.parent() {
        std::fs::remove_dir_all(dir).ok();
    }
    model
}

fn project() -> Report {
    check(&emulator::template::load(&repo_root().join("template.yaml"), &options()).unwrap())
}

fn find<'a>(report: &'a Report, integration: &str, action: &str) -> &'a Verdict {
    report
        .verdicts
        .iter()
        .find(|v| v.integration.contains(integration) && v.request.action == action)
        .unwrap_or_else(|| {
            let all: Vec<String> = report
                .verdicts
                .iter()
                .map(|v| format!("{} {}", v.integration, v.request.action))
                .collect();
            panic!("no integration {integration} / {action} in {all:#?}")
        })
}

fn denied_only(report: &Report) -> Vec<(String, String)> {
    report
        .verdicts
        .iter()
        .filter(|v| !v.allowed())
        .map(|v| (v.integration.clone(), v.request.action.clone()))
        .collect()
}

#[test]
fn every_integration_of_the_project_is_allowed() {
    let report = project();
    assert_eq!(denied_only(&report), Vec::<(String, String)>::new());
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    // Every kind of integration the template wires is there.
    for (integration, action) in [
        (
            "rule kyc-kyc-events-to-accounts → log group /aws/events/kyc/accounts (create stream)",
            "logs:CreateLogStream",
        ),
        (
            "rule kyc-kyc-events-to-accounts → log group /aws/events/kyc/accounts",
            "logs:PutLogEvents",
        ),
        (
            "rule kyc-review-events-to-customer-service → log group",
            "logs:PutLogEvents",
        ),
        ("→ function kyc-application-intake", "lambda:InvokeFunction"),
        ("→ function kyc-callback-completer", "lambda:InvokeFunction"),
        (
            "→ function kyc-status-change-logger",
            "lambda:InvokeFunction",
        ),
        (
            "→ dead-letter queue kyc-applications-dlq",
            "sqs:SendMessage",
        ),
        ("→ dead-letter queue kyc-rule-target-dlq", "sqs:SendMessage"),
        (
            "state machine kyc-onboarding → kyc-identity-check",
            "lambda:InvokeFunction",
        ),
        (
            "state machine kyc-onboarding → kyc-risk-profile",
            "lambda:InvokeFunction",
        ),
        (
            "state machine kyc-onboarding → CentralEventBus",
            "events:PutEvents",
        ),
        (
            "state machine kyc-onboarding → its execution log",
            "logs:CreateLogDelivery",
        ),
        (
            "function kyc-callback-completer → its dead-letter queue",
            "sqs:SendMessage",
        ),
        (
            "function kyc-application-intake → its dead-letter queue",
            "sqs:SendMessage",
        ),
        (
            "function kyc-identity-check → its log group",
            "logs:PutLogEvents",
        ),
    ] {
        let v = find(&report, integration, action);
        assert!(v.allowed(), "{}", v.explanation());
    }
    let v = find(&report, "(create stream)", "logs:CreateLogStream");
    assert_eq!(
        v.explanation(),
        "allowed by EventsToLogGroupsPolicy statement EventBridgeCreatesStreams"
    );
}

/// The log-group policy as the project had it: the rule condition on CreateLogStream too. AWS
/// creates the stream without the rule as source (aws-samples/serverless-patterns pull request 618),
/// so every KYC event would end in the DLQ; check-permissions says so, at CreateLogStream.
#[test]
fn the_log_policy_with_the_condition_on_create_log_stream_is_denied() {
    let model = mutated(&[OLD_LOG_POLICY]);
    let report = check(&model);
    assert_eq!(
        denied_only(&report),
        vec![
            ("rule kyc-kyc-events-to-accounts → log group /aws/events/kyc/accounts (create stream)".to_owned(), "logs:CreateLogStream".to_owned()),
            ("rule kyc-review-events-to-customer-service → log group /aws/events/kyc/customer-service (create stream)".to_owned(), "logs:CreateLogStream".to_owned()),
        ]
    );
    let v = find(
        &report,
        "kyc-kyc-events-to-accounts → log group /aws/events/kyc/accounts (create stream)",
        "logs:CreateLogStream",
    );
    assert_eq!(
        v.explanation(),
        "denied: User: events.amazonaws.com is not authorized to perform: logs:CreateLogStream on resource: arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/kyc/accounts:log-stream:{stream} because no resource-based policy allows the logs:CreateLogStream action"
    );
    // PutLogEvents, with the rule as source, still passes the old policy.
    assert!(
        find(
            &report,
            "kyc-kyc-events-to-accounts → log group /aws/events/kyc/accounts",
            "logs:PutLogEvents"
        )
        .allowed()
    );
}

#[test]
fn a_lambda_invoke_policy_removed_denies_that_task() {
    let model = mutated(&[NO_RISK_INVOKE]);
    let report = check(&model);
    assert_eq!(
        denied_only(&report),
        vec![(
            "state machine kyc-onboarding → kyc-risk-profile (state \"Assess risk\")".to_owned(),
            "lambda:InvokeFunction".to_owned()
        )]
    );
    let v = find(&report, "kyc-risk-profile (state", "lambda:InvokeFunction");
    let role = match &v.request.caller {
        iam::Caller::Role { role_arn, .. } => role_arn.rsplit('/').next().unwrap().to_owned(),
        other => panic!("{other:?}"),
    };
    assert!(
        role.starts_with("kyc-onboarding-KycStateMachineRole-"),
        "{role}"
    );
    assert_eq!(
        v.explanation(),
        format!(
            "denied: User: arn:aws:sts::000000000000:assumed-role/{role}/states is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:kyc-risk-profile because no identity-based policy allows the lambda:InvokeFunction action"
        )
    );
}

#[test]
fn a_put_events_policy_for_another_bus_denies_every_publish() {
    let model = mutated(&[PUT_EVENTS_ON_ANOTHER_BUS]);
    let report = check(&model);
    assert_eq!(
        denied_only(&report),
        vec![(
            "state machine kyc-onboarding → CentralEventBus (state \"Publish identity check completed\")".to_owned(),
            "events:PutEvents".to_owned()
        )]
    );
}

#[test]
fn a_dead_letter_queue_policy_naming_another_rule_denies_that_rules_dead_letters() {
    let model = mutated(&[(
        "                  - !GetAtt ApplicationIntakeFunctionNewAccountRequested.Arn\n",
        "",
    )]);
    let report = check(&model);
    let denied = denied_only(&report);
    assert_eq!(denied.len(), 1, "{denied:#?}");
    let (integration, action) = &denied[0];
    assert!(
        integration.starts_with("rule kyc-onboarding-ApplicationIntakeFunctionNewAccountR-"),
        "{integration}"
    );
    assert!(
        integration.ends_with("→ dead-letter queue kyc-applications-dlq"),
        "{integration}"
    );
    assert_eq!(action, "sqs:SendMessage");
}

#[test]
fn a_condition_added_to_the_queue_policy_that_requests_do_not_meet_denies() {
    // aws:SourceAccount must be another account: EventBridge's requests carry this one's.
    let model = mutated(&[(
        "            Resource: !GetAtt RuleTargetDeadLetterQueue.Arn\n            Condition:\n",
        "            Resource: !GetAtt RuleTargetDeadLetterQueue.Arn\n            Condition:\n              StringEquals:\n                aws:SourceAccount: \"111111111111\"\n",
    )]);
    let report = check(&model);
    let denied = denied_only(&report);
    assert_eq!(denied.len(), 3, "{denied:#?}");
    assert!(denied.iter().all(
        |(i, a)| i.ends_with("→ dead-letter queue kyc-rule-target-dlq") && a == "sqs:SendMessage"
    ));
}

#[test]
fn an_explicit_deny_wins_and_names_its_statement() {
    let model = mutated(&[(
        "            - Sid: Tracing\n",
        "            - Sid: NoLambda\n              Effect: Deny\n              Action: lambda:InvokeFunction\n              Resource: \"*\"\n            - Sid: Tracing\n",
    )]);
    let report = check(&model);
    let v = find(
        &report,
        "kyc-identity-check (state",
        "lambda:InvokeFunction",
    );
    assert!(!v.allowed());
    assert!(v.explanation().starts_with("denied by KycStateMachineRole Policies[3] statement NoLambda: User: arn:aws:sts::000000000000:assumed-role/"), "{}", v.explanation());
    assert!(
        v.explanation()
            .ends_with("with an explicit deny in an identity-based policy")
    );
}

#[test]
fn a_function_without_its_dead_letter_permission_is_denied() {
    // A declared role instead of SAM's: it has the basic execution policy but not sqs:SendMessage.
    let model = mutated(&[
        (
            "      CodeUri: functions/callback-completer\n",
            "      CodeUri: functions/callback-completer\n      Role: !GetAtt CompleterRole.Arn\n",
        ),
        (
            "  StatusChangeLoggerFunction:\n    Type: AWS::Serverless::Function\n",
            "  CompleterRole:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Principal: {Service: lambda.amazonaws.com}\n            Action: sts:AssumeRole\n      ManagedPolicyArns:\n        - arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole\n\n  StatusChangeLoggerFunction:\n    Type: AWS::Serverless::Function\n",
        ),
    ]);
    let report = check(&model);
    let denied = denied_only(&report);
    assert_eq!(
        denied,
        vec![(
            "function kyc-callback-completer → its dead-letter queue kyc-function-async-dlq"
                .to_owned(),
            "sqs:SendMessage".to_owned()
        )]
    );
    assert!(
        find(
            &report,
            "function kyc-callback-completer → its log group",
            "logs:PutLogEvents"
        )
        .allowed()
    );
}

#[test]
fn a_rule_target_without_a_lambda_permission_is_denied() {
    let report = check(&mutated(&[INTAKE_TARGET_WITHOUT_PERMISSION]));
    assert_eq!(
        denied_only(&report),
        vec![(
            "rule kyc-kyc-events-to-accounts → function kyc-application-intake".to_owned(),
            "lambda:InvokeFunction".to_owned()
        )]
    );
    let v = find(
        &report,
        "rule kyc-kyc-events-to-accounts → function",
        "lambda:InvokeFunction",
    );
    assert_eq!(
        v.explanation(),
        "denied: User: events.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:kyc-application-intake because no resource-based policy allows the lambda:InvokeFunction action"
    );
}

#[test]
fn a_declared_role_without_policies_loses_the_functions_logs_and_dead_letters() {
    let report = check(&mutated(&COMPLETER_ROLE_WITHOUT_POLICIES));
    let mut denied = denied_only(&report);
    denied.sort();
    assert_eq!(
        denied,
        vec![
            ("function kyc-callback-completer → its dead-letter queue kyc-function-async-dlq".to_owned(), "sqs:SendMessage".to_owned()),
            ("function kyc-callback-completer → its log group /aws/lambda/kyc-callback-completer".to_owned(), "logs:CreateLogStream".to_owned()),
            ("function kyc-callback-completer → its log group /aws/lambda/kyc-callback-completer".to_owned(), "logs:PutLogEvents".to_owned()),
        ]
    );
}
