//! The IAM user guide's evaluation logic, case by case ("Policy evaluation logic", "Determining
//! whether a request is allowed or denied within an account", "IAM JSON policy elements"
//! reference pages for Principal / NotPrincipal, Action / NotAction, Resource / NotResource and
//! Condition operators), plus the project's own log-group policy before and after its fix.

#![allow(clippy::unwrap_used)]

use iam::{
    Caller, Context, Decision, NamedPolicy, PolicyDocument, PolicyKind, Request, Side,
    access_denied_message, evaluate,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/kyc-onboarding-role";
const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:kyc-rule-target-dlq";
const RULE: &str = "arn:aws:events:us-east-1:123456789012:rule/CentralEventBus/kyc-to-accounts";

fn identity(doc: Value) -> PolicyDocument {
    PolicyDocument::parse(&doc, PolicyKind::Identity).unwrap()
}

fn resource_policy(doc: Value) -> PolicyDocument {
    PolicyDocument::parse(&doc, PolicyKind::Resource).unwrap()
}

fn role() -> Caller {
    Caller::Role {
        role_arn: ROLE.into(),
        session: "s1".into(),
    }
}

fn events() -> Caller {
    Caller::Service("events.amazonaws.com".into())
}

fn request(caller: Caller, action: &str, resource: &str, context: Context) -> Request {
    Request {
        caller,
        action: action.into(),
        resource: resource.into(),
        context,
    }
}

fn decide(req: &Request, identity: &[&PolicyDocument], resource: &[&PolicyDocument]) -> Decision {
    let id: Vec<NamedPolicy> = identity
        .iter()
        .enumerate()
        .map(|(i, d)| NamedPolicy {
            name: ["identity-0", "identity-1", "identity-2"][i],
            document: d,
        })
        .collect();
    let res: Vec<NamedPolicy> = resource
        .iter()
        .enumerate()
        .map(|(i, d)| NamedPolicy {
            name: ["resource-0", "resource-1", "resource-2"][i],
            document: d,
        })
        .collect();
    evaluate(req, &id, &res)
}

fn allow(action: &str, resource: &str) -> PolicyDocument {
    identity(json!({"Version": "2012-10-17",
        "Statement": [{"Sid": "A", "Effect": "Allow", "Action": action, "Resource": resource}]}))
}

fn send(caller: Caller) -> Request {
    request(caller, "sqs:SendMessage", QUEUE, Context::new())
}

// ----------------------------------------------------------------------------------------------
// The decision
// ----------------------------------------------------------------------------------------------

#[test]
fn without_any_policy_a_request_is_implicitly_denied() {
    assert_eq!(decide(&send(role()), &[], &[]), Decision::ImplicitDeny);
    assert_eq!(decide(&send(events()), &[], &[]), Decision::ImplicitDeny);
}

#[test]
fn an_identity_allow_allows_and_names_its_statement() {
    let p = allow("sqs:SendMessage", QUEUE);
    match decide(&send(role()), &[&p], &[]) {
        Decision::Allow(d) => {
            assert_eq!(d.side, Side::Identity);
            assert_eq!(d.policy, "identity-0");
            assert_eq!(d.sid.as_deref(), Some("A"));
            assert_eq!(d.to_string(), "identity-0 statement A");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_explicit_deny_anywhere_wins_over_any_allow() {
    let a = allow("sqs:*", "*");
    let d = identity(
        json!({"Statement": {"Effect": "Deny", "Action": "sqs:SendMessage", "Resource": QUEUE}}),
    );
    assert!(matches!(
        decide(&send(role()), &[&a, &d], &[]),
        Decision::ExplicitDeny(x) if x.side == Side::Identity && x.index == 0 && x.sid.is_none()
    ));
    // A deny in the resource policy beats an identity allow and a resource allow.
    let r = resource_policy(json!({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sqs:SendMessage", "Resource": QUEUE},
        {"Sid": "NoOne", "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": QUEUE}]}));
    assert!(matches!(
        decide(&send(role()), &[&a], &[&r]),
        Decision::ExplicitDeny(x) if x.side == Side::Resource && x.sid.as_deref() == Some("NoOne")
    ));
}

#[test]
fn a_resource_policy_that_names_the_role_allows_without_an_identity_policy() {
    let r = resource_policy(
        json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": ROLE},
        "Action": "sqs:SendMessage", "Resource": QUEUE}}),
    );
    assert!(
        matches!(decide(&send(role()), &[], &[&r]), Decision::Allow(d) if d.side == Side::Resource)
    );
    // The session ARN of the role is the same principal.
    let s = resource_policy(json!({"Statement": {"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:sts::123456789012:assumed-role/kyc-onboarding-role/s1"},
        "Action": "sqs:SendMessage", "Resource": QUEUE}}));
    assert!(decide(&send(role()), &[], &[&s]).is_allowed());
    // Another role is not.
    let other = resource_policy(json!({"Statement": {"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/other"},
        "Action": "sqs:SendMessage", "Resource": QUEUE}}));
    assert_eq!(
        decide(&send(role()), &[], &[&other]),
        Decision::ImplicitDeny
    );
}

#[test]
fn a_resource_policy_that_names_the_account_delegates_to_identity_policies() {
    for principal in [
        json!({"AWS": ACCOUNT}),
        json!({"AWS": "arn:aws:iam::123456789012:root"}),
    ] {
        let r = resource_policy(
            json!({"Statement": {"Effect": "Allow", "Principal": principal,
            "Action": "sqs:SendMessage", "Resource": QUEUE}}),
        );
        assert_eq!(
            decide(&send(role()), &[], &[&r]),
            Decision::ImplicitDeny,
            "{principal}"
        );
        let a = allow("sqs:SendMessage", QUEUE);
        assert!(
            matches!(decide(&send(role()), &[&a], &[&r]), Decision::Allow(d) if d.side == Side::Identity)
        );
        // A deny that names the account applies to its principals.
        let d = resource_policy(
            json!({"Statement": {"Effect": "Deny", "Principal": principal,
            "Action": "sqs:SendMessage", "Resource": QUEUE}}),
        );
        assert!(matches!(
            decide(&send(role()), &[&a], &[&d]),
            Decision::ExplicitDeny(_)
        ));
    }
}

#[test]
fn a_service_principal_is_allowed_by_resource_policies_only() {
    let r = resource_policy(json!({"Statement": {"Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": QUEUE}}));
    assert!(decide(&send(events()), &[], &[&r]).is_allowed());
    // Identity policies are a role's; they do not speak for a service.
    let a = allow("sqs:*", "*");
    assert_eq!(decide(&send(events()), &[&a], &[]), Decision::ImplicitDeny);
    let lambda = resource_policy(json!({"Statement": {"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": QUEUE}}));
    assert_eq!(
        decide(&send(events()), &[], &[&lambda]),
        Decision::ImplicitDeny
    );
    let anyone = resource_policy(json!({"Statement": {"Effect": "Allow", "Principal": "*",
        "Action": "sqs:SendMessage", "Resource": QUEUE}}));
    assert!(decide(&send(events()), &[], &[&anyone]).is_allowed());
}

#[test]
fn not_principal_applies_to_everyone_else() {
    let r = resource_policy(json!({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": QUEUE},
        {"Effect": "Deny", "NotPrincipal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": QUEUE}]}));
    assert!(decide(&send(events()), &[], &[&r]).is_allowed());
    assert!(matches!(
        decide(&send(role()), &[], &[&r]),
        Decision::ExplicitDeny(_)
    ));
}

// ----------------------------------------------------------------------------------------------
// Action and Resource
// ----------------------------------------------------------------------------------------------

#[test]
fn actions_match_case_insensitively_with_wildcards() {
    for pattern in [
        "sqs:SendMessage",
        "SQS:sendmessage",
        "sqs:Send*",
        "sqs:*",
        "*",
        "sqs:SendMessag?",
    ] {
        assert!(
            decide(&send(role()), &[&allow(pattern, QUEUE)], &[]).is_allowed(),
            "{pattern}"
        );
    }
    for pattern in ["sqs:Receive*", "sns:SendMessage", "sqs:SendMessage?"] {
        assert_eq!(
            decide(&send(role()), &[&allow(pattern, QUEUE)], &[]),
            Decision::ImplicitDeny,
            "{pattern}"
        );
    }
}

#[test]
fn not_action_allows_everything_else() {
    let p = identity(
        json!({"Statement": {"Effect": "Allow", "NotAction": "sqs:DeleteQueue", "Resource": "*"}}),
    );
    assert!(decide(&send(role()), &[&p], &[]).is_allowed());
    let del = request(role(), "sqs:DeleteQueue", QUEUE, Context::new());
    assert_eq!(decide(&del, &[&p], &[]), Decision::ImplicitDeny);
}

#[test]
fn resources_match_case_sensitively_part_by_part() {
    assert!(
        decide(
            &send(role()),
            &[&allow(
                "sqs:SendMessage",
                "arn:aws:sqs:*:123456789012:kyc-*"
            )],
            &[]
        )
        .is_allowed()
    );
    assert!(
        decide(
            &send(role()),
            &[&allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:*:*")],
            &[]
        )
        .is_allowed()
    );
    for wrong in [
        "arn:aws:sqs:us-east-1:123456789012:KYC-rule-target-dlq",
        "arn:aws:sqs:us-east-1:123456789012:other",
        "arn:aws:sqs:eu-west-1:123456789012:kyc-rule-target-dlq",
        "arn:aws:sqs:us-east-1:210987654321:kyc-rule-target-dlq",
    ] {
        assert_eq!(
            decide(&send(role()), &[&allow("sqs:SendMessage", wrong)], &[]),
            Decision::ImplicitDeny,
            "{wrong}"
        );
    }
    let not = identity(json!({"Statement": {"Effect": "Allow", "Action": "sqs:*",
        "NotResource": "arn:aws:sqs:*:*:kyc-applications-dlq"}}));
    assert!(decide(&send(role()), &[&not], &[]).is_allowed());
    let apps = request(
        role(),
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:123456789012:kyc-applications-dlq",
        Context::new(),
    );
    assert_eq!(decide(&apps, &[&not], &[]), Decision::ImplicitDeny);
}

#[test]
fn log_group_arns_with_and_without_the_star() {
    let group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/kyc/accounts";
    let stream = format!("{group}:log-stream:abc");
    // GetAtt LogGroup.Arn ends in ":*": it covers the group's streams, not the bare group ARN.
    let with_star = allow("logs:PutLogEvents", &format!("{group}:*"));
    let put = request(role(), "logs:PutLogEvents", &stream, Context::new());
    assert!(decide(&put, &[&with_star], &[]).is_allowed());
    let bare = allow("logs:PutLogEvents", group);
    assert_eq!(decide(&put, &[&bare], &[]), Decision::ImplicitDeny);
}

// ----------------------------------------------------------------------------------------------
// Conditions
// ----------------------------------------------------------------------------------------------

fn conditional(condition: Value) -> PolicyDocument {
    identity(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sqs:SendMessage",
        "Resource": "*", "Condition": condition}}),
    )
}

fn holds(condition: Value, context: Context) -> bool {
    let p = conditional(condition);
    decide(
        &request(role(), "sqs:SendMessage", QUEUE, context),
        &[&p],
        &[],
    )
    .is_allowed()
}

#[test]
fn a_missing_key_fails_a_positive_operator_and_passes_a_negated_one() {
    let empty = Context::new;
    assert!(!holds(
        json!({"ArnEquals": {"aws:SourceArn": RULE}}),
        empty()
    ));
    assert!(!holds(
        json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
        empty()
    ));
    assert!(holds(
        json!({"StringNotEquals": {"aws:SourceAccount": ACCOUNT}}),
        empty()
    ));
    assert!(holds(
        json!({"ArnNotLike": {"aws:SourceArn": RULE}}),
        empty()
    ));
    assert!(holds(
        json!({"ArnEqualsIfExists": {"aws:SourceArn": RULE}}),
        empty()
    ));
    assert!(holds(json!({"Null": {"aws:SourceArn": "true"}}), empty()));
    assert!(!holds(json!({"Null": {"aws:SourceArn": "false"}}), empty()));
    assert!(holds(
        json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}),
        empty()
    ));
    assert!(!holds(
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}),
        empty()
    ));
}

#[test]
fn keys_are_case_insensitive_and_values_or_while_keys_and() {
    let ctx = Context::new()
        .with("aws:SourceArn", RULE)
        .with("aws:SourceAccount", ACCOUNT);
    assert!(holds(
        json!({"ArnEquals": {"AWS:SOURCEARN": ["arn:aws:events:*:*:rule/x", RULE]}}),
        ctx.clone()
    ));
    assert!(holds(
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:events:*:123456789012:rule/CentralEventBus/*"},
                         "StringEquals": {"aws:SourceAccount": ACCOUNT}}),
        ctx.clone()
    ));
    assert!(!holds(
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:events:*:123456789012:rule/CentralEventBus/*"},
                          "StringEquals": {"aws:SourceAccount": "000000000000"}}),
        ctx.clone()
    ));
    assert!(!holds(
        json!({"StringEquals": {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": "other"}}),
        ctx.clone()
    ));
    // Negated with several values: none may match.
    assert!(!holds(
        json!({"StringNotEquals": {"aws:SourceAccount": ["1", ACCOUNT]}}),
        ctx.clone()
    ));
    assert!(holds(
        json!({"StringNotEquals": {"aws:SourceAccount": ["1", "2"]}}),
        ctx
    ));
}

#[test]
fn string_operators() {
    let ctx = || Context::new().with("k", "Hello-World");
    assert!(holds(json!({"StringEquals": {"k": "Hello-World"}}), ctx()));
    assert!(!holds(json!({"StringEquals": {"k": "hello-world"}}), ctx()));
    assert!(holds(
        json!({"StringEqualsIgnoreCase": {"k": "hello-world"}}),
        ctx()
    ));
    assert!(!holds(
        json!({"StringNotEqualsIgnoreCase": {"k": "HELLO-WORLD"}}),
        ctx()
    ));
    assert!(holds(json!({"StringLike": {"k": "Hello-*"}}), ctx()));
    assert!(!holds(json!({"StringLike": {"k": "hello-*"}}), ctx()));
    assert!(holds(json!({"StringNotLike": {"k": "Bye*"}}), ctx()));
    // StringEquals takes no wildcard: a star is a star.
    assert!(!holds(json!({"StringEquals": {"k": "Hello-*"}}), ctx()));
}

#[test]
fn numeric_date_bool_binary_and_ip_operators() {
    let n = || Context::new().with("n", "10");
    assert!(holds(json!({"NumericEquals": {"n": 10}}), n()));
    assert!(holds(json!({"NumericNotEquals": {"n": "11"}}), n()));
    assert!(holds(json!({"NumericLessThan": {"n": "10.5"}}), n()));
    assert!(!holds(json!({"NumericLessThan": {"n": "10"}}), n()));
    assert!(holds(json!({"NumericLessThanEquals": {"n": "10"}}), n()));
    assert!(holds(json!({"NumericGreaterThan": {"n": "9"}}), n()));
    assert!(holds(json!({"NumericGreaterThanEquals": {"n": "10"}}), n()));
    assert!(!holds(json!({"NumericEquals": {"n": "ten"}}), n()));

    let t = || Context::new().with("aws:CurrentTime", "2026-12-04T10:00:00Z");
    assert!(holds(
        json!({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}),
        t()
    ));
    assert!(holds(
        json!({"DateLessThan": {"aws:CurrentTime": "2027-01-01"}}),
        t()
    ));
    assert!(holds(
        json!({"DateEquals": {"aws:CurrentTime": "1796378400"}}),
        t()
    ));
    assert!(holds(
        json!({"DateNotEquals": {"aws:CurrentTime": "2026-12-04T10:00:01Z"}}),
        t()
    ));
    assert!(holds(
        json!({"DateLessThanEquals": {"aws:CurrentTime": "2026-12-04T11:00:00+01:00"}}),
        t()
    ));
    assert!(holds(
        json!({"DateGreaterThanEquals": {"aws:CurrentTime": "2026-12-04T10:00:00Z"}}),
        t()
    ));

    let b = || Context::new().with("aws:SecureTransport", "true");
    assert!(holds(json!({"Bool": {"aws:SecureTransport": true}}), b()));
    assert!(holds(json!({"Bool": {"aws:SecureTransport": "TRUE"}}), b()));
    assert!(!holds(
        json!({"Bool": {"aws:SecureTransport": "false"}}),
        b()
    ));
    assert!(holds(
        json!({"BoolIfExists": {"aws:SecureTransport": "false"}}),
        Context::new()
    ));

    assert!(holds(
        json!({"BinaryEquals": {"k": "QmluYXJ5"}}),
        Context::new().with("k", "QmluYXJ5")
    ));
    assert!(!holds(
        json!({"BinaryEquals": {"k": "QmluYXJ5"}}),
        Context::new().with("k", "QmluYXJ6")
    ));

    let ip = |v: &str| Context::new().with("aws:SourceIp", v);
    assert!(holds(
        json!({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
        ip("127.0.0.1")
    ));
    assert!(holds(
        json!({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}),
        ip("203.0.113.7")
    ));
    assert!(!holds(
        json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        ip("127.0.0.1")
    ));
    assert!(holds(
        json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        ip("127.0.0.1")
    ));
    assert!(holds(
        json!({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}),
        ip("2001:db8::1")
    ));
}

#[test]
fn set_operators_on_multivalued_keys() {
    let mut tags = Context::new();
    tags.insert("aws:TagKeys", vec!["env".into(), "team".into()]);
    assert!(holds(
        json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team", "cost"]}}),
        tags.clone()
    ));
    assert!(!holds(
        json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}),
        tags.clone()
    ));
    assert!(holds(
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}),
        tags.clone()
    ));
    assert!(!holds(
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["cost"]}}),
        tags.clone()
    ));
    assert!(holds(
        json!({"ForAnyValue:StringLike": {"aws:TagKeys": ["te*"]}}),
        tags.clone()
    ));
    // ForAllValues with a negated operator: every value must differ from every policy value.
    assert!(holds(
        json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["cost"]}}),
        tags.clone()
    ));
    assert!(!holds(
        json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["env"]}}),
        tags
    ));
}

#[test]
fn policy_variables_under_version_2012_10_17_only() {
    let ctx = || {
        Context::new()
            .with("aws:SourceAccount", ACCOUNT)
            .with("aws:PrincipalTag/team", "kyc")
    };
    let p = identity(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sqs:SendMessage",
        "Resource": "arn:aws:sqs:us-east-1:${aws:SourceAccount}:kyc-*"}}),
    );
    let req = request(role(), "sqs:SendMessage", QUEUE, ctx());
    assert!(decide(&req, &[&p], &[]).is_allowed());
    // Without Version 2012-10-17 the text is literal.
    let old = identity(
        json!({"Statement": {"Effect": "Allow", "Action": "sqs:SendMessage",
        "Resource": "arn:aws:sqs:us-east-1:${aws:SourceAccount}:kyc-*"}}),
    );
    assert_eq!(decide(&req, &[&old], &[]), Decision::ImplicitDeny);
    // In a condition, with a default for a missing key, and the literal `${*}`.
    assert!(holds(
        json!({"StringEquals": {"k": "${aws:PrincipalTag/team}"}}),
        ctx().with("k", "kyc")
    ));
    assert!(holds(
        json!({"StringEquals": {"k": "${aws:username, 'nobody'}"}}),
        Context::new().with("k", "nobody")
    ));
    assert!(!holds(
        json!({"StringEquals": {"k": "${aws:username}"}}),
        Context::new().with("k", "")
    ));
    assert!(holds(
        json!({"StringLike": {"k": "a${*}b"}}),
        Context::new().with("k", "a*b")
    ));
    assert!(!holds(
        json!({"StringLike": {"k": "a${*}b"}}),
        Context::new().with("k", "axb")
    ));
    // The role's own keys are set by the evaluator.
    assert!(holds(
        json!({"ArnEquals": {"aws:PrincipalArn": ROLE}, "StringEquals": {"aws:PrincipalAccount": ACCOUNT}}),
        Context::new()
    ));
}

#[test]
fn unknown_operators_are_malformed() {
    let e = PolicyDocument::parse(
        &json!({"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*",
            "Condition": {"StringSortOf": {"k": "v"}}}}),
        PolicyKind::Identity,
    )
    .unwrap_err();
    assert_eq!(e.message, "Invalid Condition type : StringSortOf.");
    for bad in ["NullIfExists", "ForAnyValue:Null"] {
        assert!(
            PolicyDocument::parse(
                &json!({"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*",
                "Condition": {bad: {"k": "true"}}}}),
                PolicyKind::Identity,
            )
            .is_err()
        );
    }
}

// ----------------------------------------------------------------------------------------------
// The project's log-group policy (issue: local green means AWS green)
// ----------------------------------------------------------------------------------------------

const GROUP_ARN: &str = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/kyc/accounts:*";
const STREAM: &str =
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/kyc/accounts:log-stream:6a7e8feb";

/// EventBridge creating the stream of a log-group target: no rule as aws:SourceArn (the
/// behaviour behind aws-samples/serverless-patterns pull request 618).
fn create_stream() -> Request {
    request(
        events(),
        "logs:CreateLogStream",
        STREAM,
        Context::new().with("aws:SourceAccount", ACCOUNT),
    )
}

fn put_log_events(rule: &str) -> Request {
    request(
        events(),
        "logs:PutLogEvents",
        STREAM,
        Context::new()
            .with("aws:SourceArn", rule)
            .with("aws:SourceAccount", ACCOUNT),
    )
}

#[test]
fn the_old_log_policy_denies_creating_streams_and_the_fixed_one_allows() {
    let old = resource_policy(json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "EventBridgeToKycLogGroups", "Effect": "Allow",
        "Principal": {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": [GROUP_ARN],
        "Condition": {"ArnEquals": {"aws:SourceArn": [RULE]}}}]}));
    let decision = decide(&create_stream(), &[], &[&old]);
    assert_eq!(decision, Decision::ImplicitDeny);
    assert_eq!(
        access_denied_message(&create_stream(), &decision),
        format!(
            "User: events.amazonaws.com is not authorized to perform: logs:CreateLogStream on resource: {STREAM} because no resource-based policy allows the logs:CreateLogStream action"
        )
    );

    let fixed = resource_policy(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "EventBridgeCreatesStreams", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": "logs:CreateLogStream", "Resource": [GROUP_ARN]},
        {"Sid": "KycRulesPutEvents", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": "logs:PutLogEvents", "Resource": [GROUP_ARN],
         "Condition": {"ArnEquals": {"aws:SourceArn": [RULE]}}}]}));
    assert!(matches!(decide(&create_stream(), &[], &[&fixed]),
        Decision::Allow(d) if d.sid.as_deref() == Some("EventBridgeCreatesStreams")));
    assert!(matches!(decide(&put_log_events(RULE), &[], &[&fixed]),
        Decision::Allow(d) if d.sid.as_deref() == Some("KycRulesPutEvents")));
    // Another rule of the account cannot write to these groups.
    assert_eq!(
        decide(
            &put_log_events("arn:aws:events:us-east-1:123456789012:rule/CentralEventBus/other"),
            &[],
            &[&fixed]
        ),
        Decision::ImplicitDeny
    );
}

#[test]
fn access_denied_messages_name_the_session_action_and_resource() {
    let req = request(
        role(),
        "states:StartExecution",
        "arn:aws:states:us-east-1:123456789012:stateMachine:kyc-onboarding",
        Context::new(),
    );
    assert_eq!(
        access_denied_message(&req, &Decision::ImplicitDeny),
        "User: arn:aws:sts::123456789012:assumed-role/kyc-onboarding-role/s1 is not authorized to perform: states:StartExecution on resource: arn:aws:states:us-east-1:123456789012:stateMachine:kyc-onboarding because no identity-based policy allows the states:StartExecution action"
    );
    let deny =
        identity(json!({"Statement": {"Effect": "Deny", "Action": "states:*", "Resource": "*"}}));
    let d = decide(&req, &[&deny], &[]);
    assert!(
        access_denied_message(&req, &d)
            .ends_with("with an explicit deny in an identity-based policy")
    );
    // A role with a path: the session ARN has the name only.
    let pathed = Caller::Role {
        role_arn: "arn:aws:iam::123456789012:role/service-role/x".into(),
        session: "y".into(),
    };
    assert_eq!(
        pathed.display_arn(),
        "arn:aws:sts::123456789012:assumed-role/x/y"
    );
}
