//! Rule and target model: PutRule / PutTargets validation.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use eventbus::delivery::RetryPolicy;
use eventbus::input::TargetInput;
use eventbus::model::{
    DeadLetterConfig, EventBus, PutRuleRequest, Rule, RuleState, Target, bus_name_of, put_rule,
    put_targets, rule_arn, validate_bus_name, validate_rule_name, validate_target,
};
use serde_json::json;

fn req(name: &str, pattern: Option<&str>) -> PutRuleRequest {
    PutRuleRequest {
        name: name.into(),
        event_pattern: pattern.map(Into::into),
        ..Default::default()
    }
}

fn target(id: &str) -> Target {
    Target {
        id: id.into(),
        arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
        ..Default::default()
    }
}

fn rule() -> Rule {
    put_rule(&req("r", Some(r#"{"source": ["a"]}"#))).unwrap().0
}

#[test]
fn rule_name_charset() {
    assert!(validate_rule_name("My.Rule-1_x").is_ok());
    let e = validate_rule_name("bad name").unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "1 validation error detected: Value 'bad name' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
    );
}

#[test]
fn rule_name_length() {
    assert!(validate_rule_name(&"a".repeat(64)).is_ok());
    let e = validate_rule_name(&"a".repeat(65)).unwrap_err();
    assert!(
        e.message
            .ends_with("Member must have length less than or equal to 64")
    );
    let e = validate_rule_name("").unwrap_err();
    assert!(
        e.message
            .ends_with("Member must have length greater than or equal to 1")
    );
}

#[test]
fn bus_name_rules() {
    assert!(validate_bus_name("CentralEventBus").is_ok());
    assert!(validate_bus_name("partner/x.y").is_ok());
    assert!(validate_bus_name("bad bus").is_err());
    assert!(validate_bus_name(&"b".repeat(257)).is_err());
}

#[test]
fn bus_name_from_parameter() {
    assert_eq!(bus_name_of(None), "default");
    assert_eq!(bus_name_of(Some("")), "default");
    assert_eq!(bus_name_of(Some("CentralEventBus")), "CentralEventBus");
    assert_eq!(
        bus_name_of(Some(
            "arn:aws:events:us-east-1:123456789012:event-bus/CentralEventBus"
        )),
        "CentralEventBus"
    );
}

#[test]
fn arns() {
    assert_eq!(
        rule_arn("us-east-1", "1", "default", "r"),
        "arn:aws:events:us-east-1:1:rule/r"
    );
    assert_eq!(
        rule_arn("us-east-1", "1", "bus", "r"),
        "arn:aws:events:us-east-1:1:rule/bus/r"
    );
    assert_eq!(
        EventBus::new("bus", "us-east-1", "1").arn,
        "arn:aws:events:us-east-1:1:event-bus/bus"
    );
}

#[test]
fn put_rule_needs_pattern_or_schedule() {
    let e = put_rule(&req("r", None)).unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "ValidationException",
            "Parameter(s) EventPattern or ScheduleExpression must be specified."
        )
    );
}

#[test]
fn put_rule_rejects_invalid_pattern_with_aws_error() {
    let e = put_rule(&req("r", Some("{}"))).unwrap_err();
    assert_eq!(e.code, "InvalidEventPatternException");
    assert!(
        e.message
            .starts_with("Event pattern is not valid. Reason: Empty objects are not allowed")
    );
}

#[test]
fn put_rule_pattern_length_limit() {
    let long = format!(r#"{{"source": ["{}"]}}"#, "x".repeat(4096));
    let e = put_rule(&req("r", Some(&long))).unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert!(
        e.message
            .ends_with("Member must have length less than or equal to 4096")
    );
}

#[test]
fn put_rule_defaults() {
    let (r, p) = put_rule(&req("r", Some(r#"{"source": ["a"]}"#))).unwrap();
    assert_eq!(r.state, RuleState::Enabled);
    assert_eq!(r.event_bus_name, "default");
    assert!(p.unwrap().matches(&json!({"source": "a"})));
}

#[test]
fn put_rule_on_bus_by_arn() {
    let mut q = req("r", Some(r#"{"source": ["a"]}"#));
    q.event_bus_name =
        Some("arn:aws:events:us-east-1:123456789012:event-bus/CentralEventBus".into());
    q.state = Some(RuleState::Disabled);
    let (r, _) = put_rule(&q).unwrap();
    assert_eq!(r.event_bus_name, "CentralEventBus");
    assert!(!r.state.is_enabled());
}

#[test]
fn schedule_only_on_default_bus() {
    let mut q = req("r", None);
    q.schedule_expression = Some("rate(5 minutes)".into());
    assert!(put_rule(&q).is_ok());
    q.event_bus_name = Some("CentralEventBus".into());
    let e = put_rule(&q).unwrap_err();
    assert_eq!(
        e.message,
        "ScheduleExpression is supported only on the default event bus."
    );
}

#[test]
fn description_limit() {
    let mut q = req("r", Some(r#"{"source": ["a"]}"#));
    q.description = Some("d".repeat(513));
    assert!(put_rule(&q).is_err());
    q.description = Some("d".repeat(512));
    assert!(put_rule(&q).is_ok());
}

#[test]
fn rule_state_wire_names() {
    assert_eq!(
        serde_json::to_value(RuleState::Enabled).unwrap(),
        json!("ENABLED")
    );
    assert_eq!(
        serde_json::to_value(RuleState::Disabled).unwrap(),
        json!("DISABLED")
    );
    let s: RuleState =
        serde_json::from_value(json!("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")).unwrap();
    assert!(s.is_enabled());
}

#[test]
fn target_id_rules() {
    assert!(validate_target(&target("Target-1.a_b"), 1).is_ok());
    let e = validate_target(&target("bad id"), 2).unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value 'bad id' at 'targets.2.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
    );
    assert!(validate_target(&target(&"t".repeat(65)), 1).is_err());
    assert!(validate_target(&target(""), 1).is_err());
}

#[test]
fn target_needs_arn() {
    let mut t = target("t");
    t.arn = String::new();
    assert!(validate_target(&t, 1).is_err());
}

#[test]
fn target_input_validated() {
    let mut t = target("t");
    t.input = Some("{".into());
    assert!(validate_target(&t, 1).is_err());
    t.input = Some("{\"a\":1}".into());
    assert_eq!(
        validate_target(&t, 1).unwrap(),
        TargetInput::Constant("{\"a\":1}".into())
    );
}

#[test]
fn retry_policy_bounds() {
    assert!(RetryPolicy::new(0, 60).is_ok());
    assert!(RetryPolicy::new(185, 86_400).is_ok());
    let e = RetryPolicy::new(186, 60).unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value '186' at 'targets.1.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185"
    );
    let e = RetryPolicy::new(1, 59).unwrap_err();
    assert!(
        e.message
            .ends_with("Member must have value greater than or equal to 60")
    );
    let e = RetryPolicy::new(1, 86_401).unwrap_err();
    assert!(
        e.message
            .ends_with("Member must have value less than or equal to 86400")
    );
}

#[test]
fn retry_policy_defaults() {
    let p = RetryPolicy::default();
    assert_eq!(
        (p.maximum_retry_attempts, p.maximum_event_age_seconds),
        (185, 86_400)
    );
    let p: RetryPolicy = serde_json::from_value(json!({"MaximumRetryAttempts": 3})).unwrap();
    assert_eq!(
        (p.maximum_retry_attempts, p.maximum_event_age_seconds),
        (3, 86_400)
    );
    let p: RetryPolicy = serde_json::from_value(json!({"MaximumEventAgeInSeconds": 120})).unwrap();
    assert_eq!(
        (p.maximum_retry_attempts, p.maximum_event_age_seconds),
        (185, 120)
    );
}

#[test]
fn target_with_invalid_retry_policy() {
    let mut t = target("t");
    t.retry_policy = Some(RetryPolicy {
        maximum_retry_attempts: 200,
        maximum_event_age_seconds: 60,
    });
    assert!(validate_target(&t, 1).is_err());
}

#[test]
fn dead_letter_must_be_standard_sqs_queue() {
    let mut t = target("t");
    t.dead_letter_config = Some(DeadLetterConfig {
        arn: Some("arn:aws:sqs:us-east-1:1:dlq".into()),
    });
    assert!(validate_target(&t, 1).is_ok());
    assert_eq!(t.dead_letter_arn(), Some("arn:aws:sqs:us-east-1:1:dlq"));
    t.dead_letter_config = Some(DeadLetterConfig {
        arn: Some("arn:aws:sqs:us-east-1:1:dlq.fifo".into()),
    });
    assert!(validate_target(&t, 1).is_err());
    t.dead_letter_config = Some(DeadLetterConfig {
        arn: Some("arn:aws:sns:us-east-1:1:topic".into()),
    });
    assert!(validate_target(&t, 1).is_err());
}

#[test]
fn target_deserializes_from_wire_shape() {
    let t: Target = serde_json::from_value(json!({
        "Id": "logger", "Arn": "arn:aws:logs:us-east-1:1:log-group:/kyc/accounts",
        "RetryPolicy": {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 400},
        "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:1:dlq"},
        "InputTransformer": {"InputPathsMap": {"s": "$.source"}, "InputTemplate": "\"<s>\""}
    }))
    .unwrap();
    assert_eq!(t.effective_retry_policy().maximum_retry_attempts, 4);
    assert!(matches!(
        validate_target(&t, 1).unwrap(),
        TargetInput::Transformer(_)
    ));
}

#[test]
fn put_targets_adds_and_replaces() {
    let mut r = rule();
    put_targets(&mut r, &[target("a"), target("b")]).unwrap();
    let mut b2 = target("b");
    b2.input = Some("{}".into());
    put_targets(&mut r, &[b2]).unwrap();
    assert_eq!(r.targets.len(), 2);
    assert_eq!(r.targets[1].input.as_deref(), Some("{}"));
}

#[test]
fn five_targets_per_rule() {
    let mut r = rule();
    let five: Vec<Target> = (0..5).map(|i| target(&format!("t{i}"))).collect();
    put_targets(&mut r, &five).unwrap();
    let e = put_targets(&mut r, &[target("t5")]).unwrap_err();
    assert_eq!(e.code, "LimitExceededException");
    assert_eq!(r.targets.len(), 5);
    // Replacing an existing target does not count against the limit.
    put_targets(&mut r, &[target("t0")]).unwrap();
}

#[test]
fn put_targets_request_size() {
    let mut r = rule();
    assert!(put_targets(&mut r, &[]).is_err());
    let eleven: Vec<Target> = (0..11).map(|i| target(&format!("t{i}"))).collect();
    assert!(put_targets(&mut r, &eleven).is_err());
}

#[test]
fn input_length_constraint_names_the_member() {
    let mut t = target("t");
    t.input = Some(format!("\"{}\"", "x".repeat(8191)));
    let e = validate_target(&t, 2).unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert!(
        e.message
            .starts_with("1 validation error detected: Value '\""),
        "{}",
        e.message
    );
    assert!(e.message.ends_with(
        "' at 'targets.2.member.input' failed to satisfy constraint: Member must have length less than or equal to 8192"
    ));
}

#[test]
fn input_path_length_constraint() {
    let mut t = target("t");
    t.input_path = Some(format!("$.{}", "a".repeat(255)));
    let e = validate_target(&t, 1).unwrap_err();
    assert!(e.message.ends_with(
        "at 'targets.1.member.inputPath' failed to satisfy constraint: Member must have length less than or equal to 256"
    ));
}

#[test]
fn empty_input_template_constraint() {
    let mut t = target("t");
    t.input_transformer = Some(eventbus::input::InputTransformerSpec {
        input_paths_map: None,
        input_template: String::new(),
    });
    let e = validate_target(&t, 1).unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value '' at 'targets.1.member.inputTransformer.inputTemplate' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn input_paths_map_key_constraint() {
    let mut t = target("t");
    let map = std::collections::BTreeMap::from([("bad key".to_string(), "$.a".to_string())]);
    t.input_transformer = Some(eventbus::input::InputTransformerSpec {
        input_paths_map: Some(map),
        input_template: "\"x\"".into(),
    });
    let e = validate_target(&t, 1).unwrap_err();
    assert!(e.message.starts_with(
        "1 validation error detected: Value '{bad key=$.a}' at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: Map keys must satisfy constraint"
    ), "{}", e.message);
}

#[test]
fn put_rule_bus_parameter_constraint() {
    let mut q = req("r", Some(r#"{"source": ["a"]}"#));
    q.event_bus_name = Some("bad bus".into());
    let e = put_rule(&q).unwrap_err();
    assert!(e.message.starts_with("1 validation error detected: Value 'bad bus' at 'eventBusName' failed to satisfy constraint: Member must satisfy regular expression pattern: "), "{}", e.message);
}
