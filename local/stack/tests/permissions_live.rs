//! The permission plane at run time: a template whose policies AWS would refuse fails the live
//! flow at the place AWS fails it, with AWS's error; `--iam warn` lets the same call through and
//! `--iam off` checks nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod permissions_support;
mod stepfunctions_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use emulator::assemble::{self, Stack};
use emulator::client::AwsJsonClient;
use emulator::clock::SystemClock;
use emulator::functions::BinaryLocator;
use emulator::lambda::LambdaConfig;
use emulator::permissions::IamMode;
use emulator::server::{ServerConfig, StateLocation, TemplateSource};
use emulator::template::TemplateOptions;
use permissions_support::{
    COMPLETER_ROLE_WITHOUT_POLICIES, INTAKE_TARGET_WITHOUT_PERMISSION, NO_RISK_INVOKE,
    NO_START_EXECUTION, OLD_LOG_POLICY, PUT_EVENTS_ON_ANOTHER_BUS, mutated_template, repo_root,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use stepfunctions_support::Harness;

fn detail(app: &str) -> Value {
    json!({"applicationId": app, "customerName": "Test Customer", "customerAddress": "1 Road", "scenario": "approve"})
}

// ------------------------------------------------------------------------------------------------
// A state machine task its role may not make
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_task_the_role_may_not_make_fails_as_lambda_reports_access_denied() {
    let h = Harness::kyc_from(mutated_template(&[NO_RISK_INVOKE]), IamMode::Enforce).await;
    let arn = h.start_kyc("app-denied", detail("app-denied")).await;
    // Lambda.AWSLambdaException is in the task's retrier (3 attempts, at most 8 s apart): let the
    // manual clock run through them.
    let d = h.advance_until_status(&arn, "FAILED", 10, 500).await;
    assert_eq!(d["error"], "Lambda.AWSLambdaException");
    // Only the identity check ran: the risk profile was never invoked.
    let invoked: Vec<String> = h.lambda.calls().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        invoked,
        ["arn:aws:lambda:us-east-1:000000000000:function:kyc-identity-check"]
    );
    let failed = &h.events.details("KYC processing failed")[0];
    assert_eq!(failed["error"], "Lambda.AWSLambdaException");
    let cause = failed["cause"].as_str().unwrap();
    assert!(
        cause.starts_with("User: arn:aws:sts::000000000000:assumed-role/kyc-KycStateMachineRole-"),
        "{cause}"
    );
    assert!(cause.contains("/states is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:kyc-risk-profile because no identity-based policy allows the lambda:InvokeFunction action (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: "), "{cause}");
    // The history shows the retries of the denied task, as AWS records them.
    let history = h.history(&arn).await;
    let denied = history
        .iter()
        .filter(|e| e["type"] == "TaskFailed")
        .filter(|e| e["taskFailedEventDetails"]["error"] == "Lambda.AWSLambdaException")
        .count();
    assert_eq!(denied, 4, "the first attempt and three retries");
    assert_eq!(
        h.server.as_ref().unwrap().stack.permissions.counts(),
        (4, 0)
    );
}

#[tokio::test]
async fn warn_mode_lets_the_same_task_through_and_counts_it() {
    let h = Harness::kyc_from(mutated_template(&[NO_RISK_INVOKE]), IamMode::Warn).await;
    let arn = h.start_kyc("app-warn", detail("app-warn")).await;
    h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(
        h.events.detail_types().last().unwrap(),
        "New account approved"
    );
    assert_eq!(
        h.server.as_ref().unwrap().stack.permissions.counts(),
        (0, 1)
    );
}

#[tokio::test]
async fn iam_off_checks_nothing() {
    let h = Harness::kyc_from(mutated_template(&[NO_RISK_INVOKE]), IamMode::Off).await;
    let arn = h.start_kyc("app-off", detail("app-off")).await;
    h.wait_status(&arn, "SUCCEEDED").await;
    assert_eq!(
        h.server.as_ref().unwrap().stack.permissions.counts(),
        (0, 0)
    );
}

// ------------------------------------------------------------------------------------------------
// The whole stack: EventBridge deliveries and the functions' own calls
// ------------------------------------------------------------------------------------------------

async fn start(template: &Path, iam: IamMode, functions: bool) -> Stack {
    if functions {
        let model = emulator::template::load(template, &TemplateOptions::default()).unwrap();
        assemble::build_functions_with_profile(&repo_root(), &model, "dev")
            .unwrap_or_else(|e| panic!("building the functions: {e}"));
    }
    let config = ServerConfig {
        port: 0,
        state: StateLocation::InMemory,
        iam,
        ..ServerConfig::default()
    };
    let source = TemplateSource {
        path: template.to_path_buf(),
        options: TemplateOptions {
            stack_name: "kyc-permissions".into(),
            ..TemplateOptions::default()
        },
    };
    // Lambda's asynchronous retries after 1 s instead of 1 and 2 minutes.
    let lambda = LambdaConfig {
        async_retry_delays: [Duration::from_secs(1), Duration::from_secs(1)],
        ..LambdaConfig::default()
    };
    assemble::start(
        config,
        Arc::new(SystemClock),
        Some(source),
        &BinaryLocator::new(&repo_root(), &[]),
        lambda,
    )
    .await
    .expect("the stack starts")
}

/// Polls `check` until it gives a value, for at most `limit`.
async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The first messages to arrive in a queue (waiting at most `limit`), with their attributes.
async fn messages_in(
    client: &AwsJsonClient,
    queue_url: &str,
    what: &str,
    limit: Duration,
) -> Vec<Value> {
    wait_for(what, limit, || async move {
        let got = receive(client, queue_url).await;
        (!got.is_empty()).then_some(got)
    })
    .await
}

async fn receive(client: &AwsJsonClient, queue_url: &str) -> Vec<Value> {
    client
        .call(
            "AmazonSQS.ReceiveMessage",
            &json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10,
                    "MessageAttributeNames": ["All"], "AttributeNames": ["All"]}),
        )
        .await
        .unwrap()["Messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn attributes(message: &Value) -> BTreeMap<String, String> {
    message["MessageAttributes"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v["StringValue"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn log_messages(client: &AwsJsonClient, group: &str) -> Vec<String> {
    match client
        .call(
            "Logs_20140328.FilterLogEvents",
            &json!({"logGroupName": group}),
        )
        .await
    {
        Ok(page) => page["events"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|e| e["message"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

fn approved_entry(app: &str) -> Value {
    json!({"Source": "com.aws.kyc", "DetailType": "New account approved", "EventBusName": "CentralEventBus",
           "Detail": json!({"applicationId": app, "decision": "APPROVED"}).to_string()})
}

/// The log-group policy with the rule condition on CreateLogStream: EventBridge cannot create the
/// stream, so the event goes to the rule's DLQ at once (a permissions error is not retried), with
/// NO_PERMISSIONS and the AccessDenied message; the log group stays empty. The fixed policy
/// delivers.
#[tokio::test]
async fn the_old_log_policy_sends_every_kyc_event_to_the_dlq() {
    let template = mutated_template(&[OLD_LOG_POLICY]);
    let stack = start(&template, IamMode::Enforce, false).await;
    let model = stack.template().unwrap().clone();
    let client = AwsJsonClient::new(stack.endpoint());
    client
        .call(
            "AWSEvents.PutEvents",
            &json!({"Entries": [approved_entry("app-log")]}),
        )
        .await
        .unwrap();
    let dlq = model.outputs["RuleTargetDeadLetterQueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let dead = messages_in(&client, &dlq, "two dead letters", Duration::from_secs(30)).await;
    let mut messages = dead;
    messages.extend(receive(&client, &dlq).await);
    // The accounts and customer-service rules both match New account approved.
    assert_eq!(messages.len(), 2, "{messages:#?}");
    for m in &messages {
        let a = attributes(m);
        assert_eq!(a["ERROR_CODE"], "NO_PERMISSIONS");
        assert!(a["ERROR_MESSAGE"].starts_with("User: events.amazonaws.com is not authorized to perform: logs:CreateLogStream on resource: arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/kyc/"), "{a:?}");
        assert!(
            a["ERROR_MESSAGE"].ends_with(
                "because no resource-based policy allows the logs:CreateLogStream action"
            )
        );
        assert_eq!(a["RETRY_ATTEMPTS"], "0");
        let body: Value = serde_json::from_str(m["Body"].as_str().unwrap()).unwrap();
        assert_eq!(body["detail"]["applicationId"], "app-log");
    }
    let accounts = model.outputs["AccountsLogGroupName"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(log_messages(&client, &accounts).await.is_empty());
    stack.shutdown().await.unwrap();
    std::fs::remove_dir_all(template.parent().unwrap()).ok();

    // The project's template: the same event reaches the log group.
    let stack = start(&repo_root().join("template.yaml"), IamMode::Enforce, false).await;
    let client = AwsJsonClient::new(stack.endpoint());
    client
        .call(
            "AWSEvents.PutEvents",
            &json!({"Entries": [approved_entry("app-log")]}),
        )
        .await
        .unwrap();
    let delivered = wait_for(
        "the event in the accounts log group",
        Duration::from_secs(30),
        || {
            let (client, accounts) = (&client, &accounts);
            async move {
                let got = log_messages(client, accounts).await;
                (!got.is_empty()).then_some(got)
            }
        },
    )
    .await;
    assert!(delivered[0].contains("app-log"));
    stack.shutdown().await.unwrap();
}

/// The intake without StepFunctionsExecutionPolicy: its StartExecution, signed with the
/// credentials kyc-local gave the function, is its role's, and is denied (AccessDeniedException);
/// the function fails with StartRejected, Lambda retries it, and the application ends in the
/// intake's DLQ. No execution starts.
#[tokio::test]
async fn a_function_whose_role_may_not_start_the_workflow_is_refused() {
    let template = mutated_template(&[NO_START_EXECUTION]);
    let stack = start(&template, IamMode::Enforce, true).await;
    let model = stack.template().unwrap().clone();
    let client = AwsJsonClient::new(stack.endpoint());
    let entry = json!({"Source": "com.aws.accounts", "DetailType": "New account requested",
        "EventBusName": "CentralEventBus",
        "Detail": json!({"applicationId": "app-nostart", "customerName": "Saanvi Sarkar",
                         "customerAddress": "456 Main Street, Anytown, USA"}).to_string()});
    client
        .call("AWSEvents.PutEvents", &json!({"Entries": [entry]}))
        .await
        .unwrap();
    let dlq = model.outputs["ApplicationsDeadLetterQueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let dead = messages_in(
        &client,
        &dlq,
        "the application in the intake's DLQ",
        Duration::from_secs(90),
    )
    .await;
    assert_eq!(dead.len(), 1);
    // Lambda's DLQ attributes: the last attempt's status and the function's error message.
    let a = attributes(&dead[0]);
    assert_eq!(
        a.get("ErrorMessage").map(String::as_str),
        Some("StartExecution was rejected with AccessDeniedException"),
        "{a:?}"
    );
    let body: Value = serde_json::from_str(dead[0]["Body"].as_str().unwrap()).unwrap();
    assert_eq!(body["detail"]["applicationId"], "app-nostart");
    let intake_log = format!(
        "/aws/lambda/{}",
        model.outputs["ApplicationIntakeFunctionName"]
            .as_str()
            .unwrap()
    );
    let lines = log_messages(&client, &intake_log).await;
    let rejected: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("start_rejected") && l.contains("AccessDeniedException"))
        .collect();
    assert_eq!(
        rejected.len(),
        3,
        "the first attempt and Lambda's two retries: {lines:#?}"
    );
    let executions = client
        .call(
            "AWSStepFunctions.ListExecutions",
            &json!({"stateMachineArn": model.outputs["StateMachineArn"]}),
        )
        .await
        .unwrap();
    assert_eq!(executions["executions"], json!([]));
    assert_eq!(stack.running.stack.permissions.counts().0, 3);
    stack.shutdown().await.unwrap();
    std::fs::remove_dir_all(template.parent().unwrap()).ok();
}

// ------------------------------------------------------------------------------------------------
// Resource policies changed at run time
// ------------------------------------------------------------------------------------------------

/// The `__type` and message of a refused call.
async fn refused(client: &AwsJsonClient, target: &str, body: Value) -> (String, String) {
    match client.call(target, &body).await {
        Err(emulator::client::CallError::Api { code, message, .. }) => (code, message),
        other => panic!("{target}: expected an AWS error, got {other:?}"),
    }
}

/// CloudWatch Logs PutResourcePolicy / DescribeResourcePolicies / DeleteResourcePolicy, and their
/// effect: the template's old log policy denies EventBridge; putting the fixed document under the
/// same name lets the next event through; deleting it denies again.
#[tokio::test]
async fn logs_resource_policies_change_what_eventbridge_may_write() {
    let template = mutated_template(&[OLD_LOG_POLICY]);
    let stack = start(&template, IamMode::Enforce, false).await;
    let model = stack.template().unwrap().clone();
    let client = AwsJsonClient::new(stack.endpoint());
    let described = client
        .call("Logs_20140328.DescribeResourcePolicies", &json!({}))
        .await
        .unwrap();
    let policies = described["resourcePolicies"].as_array().unwrap();
    assert_eq!(policies.len(), 1, "the template's, put at start");
    assert_eq!(policies[0]["policyName"], "kyc-events-to-kyc-log-groups");
    let accounts = model.outputs["AccountsLogGroupName"]
        .as_str()
        .unwrap()
        .to_owned();
    let group_arns = format!("\"arn:aws:logs:us-east-1:000000000000:log-group:{accounts}:*\"");
    let fixed = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "events.amazonaws.com"}},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": [{group_arns}]}}]}}"#
    );
    let put = client
        .call(
            "Logs_20140328.PutResourcePolicy",
            &json!({"policyName": "kyc-events-to-kyc-log-groups", "policyDocument": fixed}),
        )
        .await
        .unwrap();
    assert_eq!(
        put["resourcePolicy"]["policyName"],
        "kyc-events-to-kyc-log-groups"
    );
    client
        .call(
            "AWSEvents.PutEvents",
            &json!({"Entries": [approved_entry("app-fixed")]}),
        )
        .await
        .unwrap();
    let got = wait_for(
        "the event in the accounts log group",
        Duration::from_secs(30),
        || {
            let (client, accounts) = (&client, &accounts);
            async move {
                let got = log_messages(client, accounts).await;
                (!got.is_empty()).then_some(got)
            }
        },
    )
    .await;
    assert!(got[0].contains("app-fixed"));

    // Bad requests are refused and change nothing.
    assert_eq!(
        refused(
            &client,
            "Logs_20140328.PutResourcePolicy",
            json!({"policyName": "bad", "policyDocument": "{\"Statement\": {}}"})
        )
        .await
        .0,
        "InvalidParameterException"
    );
    assert_eq!(
        refused(
            &client,
            "Logs_20140328.PutResourcePolicy",
            json!({"policyName": "big", "policyDocument": "x".repeat(5121)})
        )
        .await
        .0,
        "InvalidParameterException"
    );
    for i in 0..9 {
        client
            .call(
                "Logs_20140328.PutResourcePolicy",
                &json!({"policyName": format!("p{i}"), "policyDocument": fixed}),
            )
            .await
            .unwrap();
    }
    assert_eq!(
        refused(
            &client,
            "Logs_20140328.PutResourcePolicy",
            json!({"policyName": "eleventh", "policyDocument": fixed})
        )
        .await,
        (
            "LimitExceededException".to_owned(),
            "Resource limit exceeded.".to_owned()
        )
    );
    let page = client
        .call(
            "Logs_20140328.DescribeResourcePolicies",
            &json!({"limit": 4}),
        )
        .await
        .unwrap();
    assert_eq!(page["resourcePolicies"].as_array().unwrap().len(), 4);
    let next = page["nextToken"].as_str().unwrap().to_owned();
    let rest = client
        .call(
            "Logs_20140328.DescribeResourcePolicies",
            &json!({"limit": 50, "nextToken": next}),
        )
        .await
        .unwrap();
    assert_eq!(rest["resourcePolicies"].as_array().unwrap().len(), 6);
    assert!(rest.get("nextToken").is_none());
    assert_eq!(
        refused(
            &client,
            "Logs_20140328.DescribeResourcePolicies",
            json!({"nextToken": "never-issued"})
        )
        .await
        .0,
        "InvalidParameterException"
    );
    // Deleting every policy that allows it: EventBridge may not write any more.
    for name in [
        "kyc-events-to-kyc-log-groups",
        "p0",
        "p1",
        "p2",
        "p3",
        "p4",
        "p5",
        "p6",
        "p7",
        "p8",
    ] {
        client
            .call(
                "Logs_20140328.DeleteResourcePolicy",
                &json!({"policyName": name}),
            )
            .await
            .unwrap();
    }
    assert_eq!(
        refused(
            &client,
            "Logs_20140328.DeleteResourcePolicy",
            json!({"policyName": "p0"})
        )
        .await,
        (
            "ResourceNotFoundException".to_owned(),
            "Policy with name [p0] does not exist".to_owned()
        )
    );
    let before = stack.running.stack.permissions.counts().0;
    client
        .call(
            "AWSEvents.PutEvents",
            &json!({"Entries": [approved_entry("app-after-delete")]}),
        )
        .await
        .unwrap();
    wait_for("a denial", Duration::from_secs(30), || {
        let stack = &stack;
        async move { (stack.running.stack.permissions.counts().0 > before).then_some(()) }
    })
    .await;
    stack.shutdown().await.unwrap();
    std::fs::remove_dir_all(template.parent().unwrap()).ok();
}

/// A queue's policy (the template's QueuePolicy, SetQueueAttributes Policy, AddPermission /
/// RemovePermission) decides whether EventBridge may dead-letter into it.
#[tokio::test]
async fn queue_policies_set_at_run_time_decide_dead_letters() {
    let stack = start(&repo_root().join("template.yaml"), IamMode::Enforce, false).await;
    let model = stack.template().unwrap().clone();
    let client = AwsJsonClient::new(stack.endpoint());
    let dlq = model.outputs["RuleTargetDeadLetterQueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    // The template's QueuePolicy is the queue's Policy attribute.
    let attrs = client
        .call(
            "AmazonSQS.GetQueueAttributes",
            &json!({"QueueUrl": dlq, "AttributeNames": ["Policy"]}),
        )
        .await
        .unwrap();
    let policy: Value =
        serde_json::from_str(attrs["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Sid"], "EventBridgeRulesDeadLetters");

    // The accounts rule's target fails at once (not retried): its events go to the DLQ.
    let rule = model
        .rules
        .iter()
        .find(|r| r.logical_id == "AccountsLogRule")
        .unwrap()
        .clone();
    stack
        .faults
        .apply(
            &emulator::faults::FaultPlanDocument::from_json(&json!({"targets": [
        {"rule": rule.name, "targetId": "accounts-log-group", "rate": 1, "retryable": false,
         "errorCode": "NO_RESOURCE", "errorMessage": "injected"}]}))
            .unwrap(),
        )
        .await
        .unwrap();
    let put = |app: &'static str| {
        let client = &client;
        async move {
            client
                .call(
                    "AWSEvents.PutEvents",
                    &json!({"Entries": [json!({"Source": "com.aws.kyc",
                    "DetailType": "Identity check completed", "EventBusName": "CentralEventBus",
                    "Detail": json!({"applicationId": app}).to_string()})]}),
                )
                .await
                .unwrap();
        }
    };
    put("app-dlq-1").await;
    let first = messages_in(&client, &dlq, "a dead letter", Duration::from_secs(30)).await;
    assert_eq!(attributes(&first[0])["ERROR_CODE"], "NO_RESOURCE");

    // A policy that names only another rule: the accounts rule's dead letters are dropped.
    let other_only = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": policy["Statement"][0]["Resource"],
        "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:000000000000:rule/CentralEventBus/other"}}}]});
    client
        .call(
            "AmazonSQS.SetQueueAttributes",
            &json!({"QueueUrl": dlq,
            "Attributes": {"Policy": other_only.to_string()}}),
        )
        .await
        .unwrap();
    let before = stack.running.stack.permissions.counts().0;
    put("app-dlq-2").await;
    wait_for("the dead letter's denial", Duration::from_secs(30), || {
        let stack = &stack;
        async move { (stack.running.stack.permissions.counts().0 > before).then_some(()) }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        receive(&client, &dlq).await.is_empty(),
        "the dead letter was dropped, as on AWS"
    );

    // AddPermission adds a statement in the shape SQS writes; RemovePermission takes it out again.
    client
        .call(
            "AmazonSQS.AddPermission",
            &json!({"QueueUrl": dlq, "Label": "acct",
            "AWSAccountIds": ["000000000000"], "Actions": ["SendMessage"]}),
        )
        .await
        .unwrap();
    let attrs = client
        .call(
            "AmazonSQS.GetQueueAttributes",
            &json!({"QueueUrl": dlq, "AttributeNames": ["Policy"]}),
        )
        .await
        .unwrap();
    let policy: Value =
        serde_json::from_str(attrs["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    let added = policy["Statement"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        added,
        json!({"Sid": "acct", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::000000000000:root"]},
               "Action": ["SQS:SendMessage"], "Resource": "arn:aws:sqs:us-east-1:000000000000:kyc-rule-target-dlq"})
    );
    assert_eq!(
        refused(
            &client,
            "AmazonSQS.AddPermission",
            json!({"QueueUrl": dlq, "Label": "acct",
            "AWSAccountIds": ["000000000000"], "Actions": ["SendMessage"]})
        )
        .await
        .0,
        "InvalidParameterValue"
    );
    client
        .call(
            "AmazonSQS.RemovePermission",
            &json!({"QueueUrl": dlq, "Label": "acct"}),
        )
        .await
        .unwrap();
    assert_eq!(
        refused(
            &client,
            "AmazonSQS.RemovePermission",
            json!({"QueueUrl": dlq, "Label": "acct"})
        )
        .await
        .0,
        "InvalidParameterValue"
    );
    // A policy IAM would refuse is refused, and the old one stays.
    assert_eq!(
        refused(
            &client,
            "AmazonSQS.SetQueueAttributes",
            json!({"QueueUrl": dlq,
            "Attributes": {"Policy": "{\"Statement\": [{\"Effect\": \"Allow\"}]}"}})
        )
        .await,
        (
            "InvalidAttributeValue".to_owned(),
            "Invalid value for the parameter Policy.".to_owned()
        )
    );
    // Back to the template's policy: dead letters arrive again.
    client
        .call(
            "AmazonSQS.SetQueueAttributes",
            &json!({"QueueUrl": dlq,
            "Attributes": {"Policy": attrs_policy_of_template(&model)}}),
        )
        .await
        .unwrap();
    put("app-dlq-3").await;
    let again = messages_in(
        &client,
        &dlq,
        "a dead letter again",
        Duration::from_secs(30),
    )
    .await;
    let body: Value = serde_json::from_str(again[0]["Body"].as_str().unwrap()).unwrap();
    assert_eq!(body["detail"]["applicationId"], "app-dlq-3");
    stack.shutdown().await.unwrap();
}

/// The template's RuleTargetDeadLetterQueuePolicy document, as text.
fn attrs_policy_of_template(model: &emulator::template::StackModel) -> String {
    model
        .policy_resources
        .iter()
        .find(|p| p.logical_id == "RuleTargetDeadLetterQueuePolicy")
        .and_then(|p| p.properties.get("PolicyDocument"))
        .unwrap()
        .to_string()
}

/// EventBridge PutPermission / RemovePermission: the bus policy DescribeEventBus shows.
#[tokio::test]
async fn event_bus_permissions() {
    let stack = start(&repo_root().join("template.yaml"), IamMode::Enforce, false).await;
    let client = AwsJsonClient::new(stack.endpoint());
    client
        .call(
            "AWSEvents.PutPermission",
            &json!({"EventBusName": "CentralEventBus",
            "Action": "events:PutEvents", "Principal": "111122223333", "StatementId": "partner"}),
        )
        .await
        .unwrap();
    let bus = client
        .call(
            "AWSEvents.DescribeEventBus",
            &json!({"Name": "CentralEventBus"}),
        )
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(bus["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(
        policy["Statement"],
        json!([{"Sid": "partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "events:PutEvents", "Resource": "arn:aws:events:us-east-1:000000000000:event-bus/CentralEventBus"}])
    );
    assert_eq!(
        refused(
            &client,
            "AWSEvents.PutPermission",
            json!({"EventBusName": "CentralEventBus",
            "Action": "events:PutEvents", "Principal": "bob", "StatementId": "x"})
        )
        .await
        .0,
        "ValidationException"
    );
    assert_eq!(
        refused(
            &client,
            "AWSEvents.RemovePermission",
            json!({"EventBusName": "CentralEventBus",
            "StatementId": "nobody"})
        )
        .await,
        (
            "ResourceNotFoundException".to_owned(),
            "Statement with the provided id does not exist.".to_owned()
        )
    );
    client
        .call(
            "AWSEvents.RemovePermission",
            &json!({"EventBusName": "CentralEventBus", "StatementId": "partner"}),
        )
        .await
        .unwrap();
    let bus = client
        .call(
            "AWSEvents.DescribeEventBus",
            &json!({"Name": "CentralEventBus"}),
        )
        .await
        .unwrap();
    assert!(bus.get("Policy").is_none(), "{bus}");
    stack.shutdown().await.unwrap();
}

// ------------------------------------------------------------------------------------------------
// The other integrations of the template, each failed where AWS fails it
// ------------------------------------------------------------------------------------------------

/// A task publishing to a bus its role may not: EventBridge.AmazonEventBridgeException, which no
/// retrier of the definition names; the catch publishes "KYC processing failed", which is denied
/// too, so the execution fails with no terminal event (the status-change logger still sees it).
#[tokio::test]
async fn a_put_events_task_on_a_bus_the_role_may_not_use_fails_the_execution() {
    let h = Harness::kyc_from(
        mutated_template(&[PUT_EVENTS_ON_ANOTHER_BUS]),
        IamMode::Enforce,
    )
    .await;
    let arn = h.start_kyc("app-bus", detail("app-bus")).await;
    let d = h.wait_status(&arn, "FAILED").await;
    assert_eq!(d["error"], "EventBridge.AmazonEventBridgeException");
    assert!(
        d["cause"]
            .as_str()
            .unwrap()
            .contains("is not authorized to perform: events:PutEvents on resource: arn:aws:events:us-east-1:000000000000:event-bus/CentralEventBus because no identity-based policy allows the events:PutEvents action (Service: AmazonEventBridge; Status Code: 400; Error Code: AccessDeniedException;"),
        "{d}"
    );
    assert!(h.events.detail_types().is_empty(), "nothing was published");
    assert_eq!(
        h.server.as_ref().unwrap().stack.permissions.counts(),
        (2, 0),
        "Publish identity check completed, then Publish processing failed"
    );
}

/// A rule targeting a function without a Lambda permission for that rule: the delivery goes to the
/// rule's DLQ at once, with NO_PERMISSIONS; the function is never invoked.
#[tokio::test]
async fn a_rule_target_without_a_lambda_permission_dead_letters_at_once() {
    let template = mutated_template(&[INTAKE_TARGET_WITHOUT_PERMISSION]);
    let stack = start(&template, IamMode::Enforce, false).await;
    let model = stack.template().unwrap().clone();
    let client = AwsJsonClient::new(stack.endpoint());
    client
        .call(
            "AWSEvents.PutEvents",
            &json!({"Entries": [approved_entry("app-noperm")]}),
        )
        .await
        .unwrap();
    let dlq = model.outputs["RuleTargetDeadLetterQueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let dead = messages_in(&client, &dlq, "the dead letter", Duration::from_secs(30)).await;
    assert_eq!(dead.len(), 1);
    let a = attributes(&dead[0]);
    assert_eq!(a["ERROR_CODE"], "NO_PERMISSIONS");
    assert_eq!(
        a["TARGET_ARN"],
        "arn:aws:lambda:us-east-1:000000000000:function:kyc-application-intake"
    );
    assert_eq!(a["RETRY_ATTEMPTS"], "0");
    assert_eq!(
        a["ERROR_MESSAGE"],
        "User: events.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:kyc-application-intake because no resource-based policy allows the lambda:InvokeFunction action"
    );
    // The log-group target of the same rule still got the event.
    let accounts = model.outputs["AccountsLogGroupName"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for(
        "the event in the accounts log group",
        Duration::from_secs(30),
        || {
            let (client, accounts) = (&client, &accounts);
            async move { (!log_messages(client, accounts).await.is_empty()).then_some(()) }
        },
    )
    .await;
    stack.shutdown().await.unwrap();
    std::fs::remove_dir_all(template.parent().unwrap()).ok();
}

/// The callback completer with a role that has no policy: Lambda cannot write its log lines, and
/// its failed asynchronous invocations cannot reach its DLQ; both are lost, as on AWS.
#[tokio::test]
async fn a_function_role_without_policies_loses_its_logs_and_dead_letters() {
    let template = mutated_template(&COMPLETER_ROLE_WITHOUT_POLICIES);
    let stack = start(&template, IamMode::Enforce, true).await;
    let model = stack.template().unwrap().clone();
    let client = AwsJsonClient::new(stack.endpoint());
    // Every attempt of the completer fails (an injected function error): after Lambda's two
    // retries the invocation goes to its DLQ, which its role may not write to.
    stack
        .faults
        .apply(
            &emulator::faults::FaultPlanDocument::from_json(&json!({"lambda": [
                {"function": "CallbackCompleterFunction", "fault": "error", "errorType": "Retryable",
                 "errorMessage": "injected", "count": 3}]}))
            .unwrap(),
        )
        .await
        .unwrap();
    client
        .call(
            "AWSEvents.PutEvents",
            &json!({"Entries": [{"Source": "com.aws.review",
            "DetailType": "Manual review started", "EventBusName": "CentralEventBus",
            "Detail": json!({"reviewer": "jdoe"}).to_string()}]}),
        )
        .await
        .unwrap();
    let before = stack.running.stack.permissions.counts().0;
    wait_for("the dead letter's denial", Duration::from_secs(60), || {
        let stack = &stack;
        async move { (stack.running.stack.permissions.counts().0 > before).then_some(()) }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dlq = model.outputs["FunctionDeadLetterQueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        receive(&client, &dlq).await.is_empty(),
        "the dead letter was dropped"
    );
    // A review event the function handles (no token: acknowledged, one warning line): nothing
    // reaches its log group.
    let ran = |stack: &Stack| {
        stack
            .lambda
            .function_stats("kyc-callback-completer")
            .map_or(0, |s| s.invocations)
    };
    let invoked_before = ran(&stack);
    client
        .call(
            "AWSEvents.PutEvents",
            &json!({"Entries": [{"Source": "com.aws.review",
            "DetailType": "Manual review started", "EventBusName": "CentralEventBus",
            "Detail": json!({"reviewer": "jdoe"}).to_string()}]}),
        )
        .await
        .unwrap();
    wait_for("the successful invocation", Duration::from_secs(60), || {
        let (stack, ran) = (&stack, &ran);
        async move { (ran(stack) > invoked_before).then_some(()) }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let group = "/aws/lambda/kyc-callback-completer";
    assert!(log_messages(&client, group).await.is_empty());
    stack.shutdown().await.unwrap();
    std::fs::remove_dir_all(template.parent().unwrap()).ok();
}
