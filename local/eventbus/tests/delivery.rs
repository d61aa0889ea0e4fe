//! Delivery: backoff schedule, retries bounded by attempts and age, dead letters.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use eventbus::delivery::{
    DeliveryJob, DeliveryResult, ExhaustedCondition, NextStep, RetryPolicy, TargetDelivery,
    backoff_ceiling, backoff_delay, backoff_schedule, deliver,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

struct Scripted {
    results: Vec<DeliveryResult>,
    calls: Vec<(String, String)>,
}

impl TargetDelivery for Scripted {
    fn deliver(&mut self, target_arn: &str, input: &str) -> DeliveryResult {
        self.calls.push((target_arn.into(), input.into()));
        if self.results.is_empty() {
            DeliveryResult::Delivered
        } else {
            self.results.remove(0)
        }
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap()
}

fn job(policy: RetryPolicy, dlq: Option<&str>) -> DeliveryJob {
    DeliveryJob {
        rule_arn: "arn:aws:events:us-east-1:1:rule/bus/r".into(),
        target_arn: "arn:aws:lambda:us-east-1:1:function:f".into(),
        input: "{\"in\":1}".into(),
        event: "{\"id\":\"e1\"}".into(),
        policy,
        dead_letter_arn: dlq.map(Into::into),
        ingestion_time: t0(),
        attempts: 0,
        last_error: None,
    }
}

fn throttled() -> DeliveryResult {
    DeliveryResult::Retryable {
        code: "THROTTLING".into(),
        message: "Rate exceeded".into(),
    }
}

#[test]
fn ceiling_doubles_up_to_cap() {
    assert_eq!(backoff_ceiling(1), Duration::from_secs(1));
    assert_eq!(backoff_ceiling(2), Duration::from_secs(2));
    assert_eq!(backoff_ceiling(5), Duration::from_secs(16));
    assert_eq!(backoff_ceiling(11), Duration::from_secs(900));
    assert_eq!(backoff_ceiling(185), Duration::from_secs(900));
}

#[test]
fn jitter_stays_under_ceiling_and_is_seeded() {
    let mut a = StdRng::seed_from_u64(7);
    let mut b = StdRng::seed_from_u64(7);
    for retry in 1..=185 {
        let d = backoff_delay(retry, &mut a);
        assert!(d <= backoff_ceiling(retry));
        assert_eq!(d, backoff_delay(retry, &mut b));
    }
}

#[test]
fn default_schedule_spans_about_a_day() {
    let mut rng = StdRng::seed_from_u64(1);
    let schedule = backoff_schedule(&RetryPolicy::default(), &mut rng);
    assert_eq!(schedule.len(), 185);
    let total: Duration = schedule.iter().sum();
    // Full jitter averages half the 15-minute cap: roughly 20-26 hours.
    assert!(
        total > Duration::from_secs(16 * 3600) && total < Duration::from_secs(30 * 3600),
        "{total:?}"
    );
}

#[test]
fn delivered_first_time() {
    let mut host = Scripted {
        results: vec![],
        calls: vec![],
    };
    let mut j = job(RetryPolicy::default(), None);
    let mut rng = StdRng::seed_from_u64(1);
    assert_eq!(
        deliver(&mut host, &mut j, t0(), &mut rng),
        NextStep::Delivered
    );
    assert_eq!(
        host.calls,
        vec![(
            "arn:aws:lambda:us-east-1:1:function:f".into(),
            "{\"in\":1}".into()
        )]
    );
    assert_eq!(j.attempts, 1);
}

#[test]
fn retryable_error_schedules_retry() {
    let mut host = Scripted {
        results: vec![throttled()],
        calls: vec![],
    };
    let mut j = job(RetryPolicy::default(), None);
    let mut rng = StdRng::seed_from_u64(3);
    match deliver(&mut host, &mut j, t0(), &mut rng) {
        NextStep::RetryAt(at) => assert!(at >= t0() && at <= t0() + chrono::Duration::seconds(1)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn retries_then_delivers() {
    let mut host = Scripted {
        results: vec![throttled(), throttled()],
        calls: vec![],
    };
    let mut j = job(RetryPolicy::default(), None);
    let mut rng = StdRng::seed_from_u64(3);
    let mut now = t0();
    loop {
        match deliver(&mut host, &mut j, now, &mut rng) {
            NextStep::RetryAt(at) => now = at,
            NextStep::Delivered => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(j.attempts, 3);
}

#[test]
fn zero_retries_goes_to_dlq_after_first_failure() {
    let mut host = Scripted {
        results: vec![throttled()],
        calls: vec![],
    };
    let mut j = job(
        RetryPolicy::new(0, 60).unwrap(),
        Some("arn:aws:sqs:us-east-1:1:dlq"),
    );
    let mut rng = StdRng::seed_from_u64(3);
    match deliver(&mut host, &mut j, t0(), &mut rng) {
        NextStep::DeadLetter(m) => {
            assert_eq!(m.queue_arn, "arn:aws:sqs:us-east-1:1:dlq");
            assert_eq!(m.body, "{\"id\":\"e1\"}");
            assert_eq!(
                m.attributes,
                vec![
                    (
                        "RULE_ARN".into(),
                        "arn:aws:events:us-east-1:1:rule/bus/r".into()
                    ),
                    (
                        "TARGET_ARN".into(),
                        "arn:aws:lambda:us-east-1:1:function:f".into()
                    ),
                    ("ERROR_CODE".into(), "THROTTLING".into()),
                    ("ERROR_MESSAGE".into(), "Rate exceeded".into()),
                    (
                        "EXHAUSTED_RETRY_CONDITION".into(),
                        "MaximumRetryAttempts".into()
                    ),
                    ("RETRY_ATTEMPTS".into(), "0".into()),
                ]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn exhausting_retry_attempts_counts_retries() {
    let mut host = Scripted {
        results: vec![throttled(); 10],
        calls: vec![],
    };
    let mut j = job(
        RetryPolicy::new(2, 86_400).unwrap(),
        Some("arn:aws:sqs:us-east-1:1:dlq"),
    );
    let mut rng = StdRng::seed_from_u64(3);
    let mut now = t0();
    let msg = loop {
        match deliver(&mut host, &mut j, now, &mut rng) {
            NextStep::RetryAt(at) => now = at,
            NextStep::DeadLetter(m) => break m,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(host.calls.len(), 3);
    assert_eq!(msg.attribute("RETRY_ATTEMPTS"), Some("2"));
    assert_eq!(
        msg.attribute("EXHAUSTED_RETRY_CONDITION"),
        Some("MaximumRetryAttempts")
    );
}

#[test]
fn exhausting_event_age() {
    let mut host = Scripted {
        results: vec![throttled(); 100],
        calls: vec![],
    };
    let mut j = job(
        RetryPolicy::new(185, 60).unwrap(),
        Some("arn:aws:sqs:us-east-1:1:dlq"),
    );
    let mut rng = StdRng::seed_from_u64(11);
    let mut now = t0();
    let msg = loop {
        match deliver(&mut host, &mut j, now, &mut rng) {
            NextStep::RetryAt(at) => {
                assert!(at <= t0() + chrono::Duration::seconds(60));
                now = at;
            }
            NextStep::DeadLetter(m) => break m,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        msg.attribute("EXHAUSTED_RETRY_CONDITION"),
        Some("MaximumEventAgeInSeconds")
    );
}

#[test]
fn late_retry_call_past_age_limit_is_not_attempted() {
    let mut host = Scripted {
        results: vec![throttled()],
        calls: vec![],
    };
    let mut j = job(RetryPolicy::new(185, 60).unwrap(), None);
    let mut rng = StdRng::seed_from_u64(1);
    assert!(matches!(
        deliver(&mut host, &mut j, t0(), &mut rng),
        NextStep::RetryAt(_)
    ));
    let late = t0() + chrono::Duration::seconds(120);
    match deliver(&mut host, &mut j, late, &mut rng) {
        NextStep::Dropped {
            code,
            message,
            exhausted,
        } => {
            assert_eq!(
                exhausted,
                Some(ExhaustedCondition::MaximumEventAgeInSeconds)
            );
            assert_eq!(
                (code.as_str(), message.as_str()),
                ("THROTTLING", "Rate exceeded")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(host.calls.len(), 1);
}

#[test]
fn non_retryable_goes_straight_to_dlq() {
    let mut host = Scripted {
        results: vec![DeliveryResult::NonRetryable {
            code: "NO_PERMISSIONS".into(),
            message: "denied".into(),
        }],
        calls: vec![],
    };
    let mut j = job(RetryPolicy::default(), Some("arn:aws:sqs:us-east-1:1:dlq"));
    let mut rng = StdRng::seed_from_u64(1);
    match deliver(&mut host, &mut j, t0(), &mut rng) {
        NextStep::DeadLetter(m) => {
            assert_eq!(m.attribute("ERROR_CODE"), Some("NO_PERMISSIONS"));
            assert_eq!(m.attribute("EXHAUSTED_RETRY_CONDITION"), None);
            assert_eq!(m.attribute("RETRY_ATTEMPTS"), Some("0"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn without_dlq_event_is_dropped() {
    let mut host = Scripted {
        results: vec![DeliveryResult::NonRetryable {
            code: "NO_RESOURCE".into(),
            message: "gone".into(),
        }],
        calls: vec![],
    };
    let mut j = job(RetryPolicy::default(), None);
    let mut rng = StdRng::seed_from_u64(1);
    assert_eq!(
        deliver(&mut host, &mut j, t0(), &mut rng),
        NextStep::Dropped {
            code: "NO_RESOURCE".into(),
            message: "gone".into(),
            exhausted: None
        }
    );
}

#[test]
fn job_for_target_takes_policy_and_dlq() {
    let target = eventbus::model::Target {
        id: "t".into(),
        arn: "arn:aws:lambda:us-east-1:1:function:f".into(),
        retry_policy: Some(RetryPolicy {
            maximum_retry_attempts: 2,
            maximum_event_age_seconds: 120,
        }),
        dead_letter_config: Some(eventbus::model::DeadLetterConfig {
            arn: Some("arn:aws:sqs:us-east-1:1:dlq".into()),
        }),
        ..Default::default()
    };
    let j = DeliveryJob::for_target("arn:rule", &target, "in".into(), "ev".into(), t0());
    assert_eq!(j.policy.maximum_retry_attempts, 2);
    assert_eq!(
        j.dead_letter_arn.as_deref(),
        Some("arn:aws:sqs:us-east-1:1:dlq")
    );
    assert_eq!(j.target_arn, "arn:aws:lambda:us-east-1:1:function:f");
    assert_eq!(j.attempts, 0);
}

#[test]
fn jobs_for_rule_render_each_target() {
    use eventbus::delivery::jobs_for_rule;
    use eventbus::model::{PutRuleRequest, Target, put_rule, put_targets};
    let (mut rule, _) = put_rule(&PutRuleRequest {
        name: "to-logs".into(),
        event_pattern: Some(r#"{"source": ["com.aws.kyc"]}"#.into()),
        ..Default::default()
    })
    .unwrap();
    let whole = Target {
        id: "whole".into(),
        arn: "arn:aws:logs:us-east-1:1:log-group:/a".into(),
        ..Default::default()
    };
    let path = Target {
        id: "path".into(),
        arn: "arn:aws:lambda:us-east-1:1:function:f".into(),
        input_path: Some("$.detail.missing".into()),
        ..Default::default()
    };
    let transformed = Target {
        id: "named".into(),
        arn: "arn:aws:lambda:us-east-1:1:function:g".into(),
        input_transformer: Some(eventbus::input::InputTransformerSpec {
            input_paths_map: Some(std::collections::BTreeMap::from([(
                "s".to_string(),
                "$.source".to_string(),
            )])),
            input_template: r#"{"rule": <aws.events.rule-name>, "source": <s>}"#.into(),
        }),
        ..Default::default()
    };
    put_targets(&mut rule, &[whole, path, transformed]).unwrap();
    let event = serde_json::json!({"source": "com.aws.kyc", "detail": {}});
    let jobs = jobs_for_rule(
        &rule,
        "arn:aws:events:us-east-1:1:rule/to-logs",
        &event,
        t0(),
    );
    assert_eq!(jobs.len(), 3);
    let first = jobs[0].as_ref().unwrap();
    assert_eq!(first.input, event.to_string());
    assert_eq!(first.event, event.to_string());
    let second = jobs[1].as_ref().unwrap_err();
    assert_eq!(second.target_id, "path");
    let third = jobs[2].as_ref().unwrap();
    assert_eq!(third.input, r#"{"rule":"to-logs","source":"com.aws.kyc"}"#);
    assert_eq!(third.policy, RetryPolicy::default());
}
