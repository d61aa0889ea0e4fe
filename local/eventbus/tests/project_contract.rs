//! The project's own event files and rule patterns (template.yaml), run
//! through PutEvents and the rules, as kyc-local will.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use eventbus::put_events::{PutEventsRequestEntry, put_events};
use eventbus::{EventPattern, RuleIndex};
use serde_json::json;

const PUT_EVENTS: &str = include_str!("../../../events/put_events.json");
const MIXED: &str = include_str!("../../../events/malformed/mixed-entries.json");

/// The rule patterns of template.yaml, as CloudFormation sends them.
fn rules() -> RuleIndex<&'static str> {
    let mut index = RuleIndex::new();
    let patterns = [
        (
            "start-onboarding",
            r#"{"source": ["com.aws.accounts"], "detail-type": ["New account requested"]}"#,
        ),
        (
            "review-events",
            r#"{"source": ["com.aws.review"], "detail-type": ["Manual review started", "Manual review completed"]}"#,
        ),
        ("to-accounts-log", r#"{"source": ["com.aws.kyc"]}"#),
        (
            "to-customer-service-log",
            r#"{"source": ["com.aws.kyc", "com.aws.review"], "detail-type": ["Manual review requested", "Manual review started", "Manual review completed", "New account approved", "New account declined", "KYC processing failed"]}"#,
        ),
    ];
    for (id, text) in patterns {
        index.insert(id, EventPattern::parse(text).unwrap());
    }
    index
}

fn entries(text: &str) -> Vec<PutEventsRequestEntry> {
    serde_json::from_str(text).unwrap()
}

#[test]
fn original_sample_is_accepted_and_starts_onboarding() {
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let mut n = 0;
    let out = put_events(
        &entries(PUT_EVENTS),
        "123456789012",
        "us-east-1",
        now,
        || {
            n += 1;
            format!("e{n}")
        },
    )
    .unwrap();
    assert_eq!(out.failed_entry_count, 0);
    assert_eq!(out.accepted.len(), 2);
    let index = rules();
    for accepted in &out.accepted {
        assert_eq!(accepted.event_bus_name.as_deref(), Some("CentralEventBus"));
        let hits: Vec<&&str> = index.matching_rules(&accepted.event).collect();
        assert_eq!(hits, vec![&"start-onboarding"]);
    }
}

#[test]
fn mixed_entries_fail_one_by_one() {
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let out = put_events(&entries(MIXED), "123456789012", "us-east-1", now, || {
        "id".to_string()
    })
    .unwrap();
    assert_eq!(out.failed_entry_count, 3);
    let codes: Vec<Option<&str>> = out
        .entries
        .iter()
        .map(|e| e.error_code.as_deref())
        .collect();
    assert_eq!(
        codes,
        vec![
            None,
            Some("MalformedDetail"),
            Some("InvalidArgument"),
            Some("MalformedDetail"),
            None
        ]
    );
    assert_eq!(
        out.entries[2].error_message.as_deref(),
        Some("Parameter DetailType is not valid. Reason: DetailType is a required argument.")
    );
    assert_eq!(
        out.accepted.iter().map(|a| a.index).collect::<Vec<_>>(),
        vec![0, 4]
    );
}

#[test]
fn kyc_outcomes_reach_both_log_rules() {
    let index = rules();
    let mut hits: Vec<&&str> = index
        .matching_rules(
            &json!({"source": "com.aws.kyc", "detail-type": "New account approved", "detail": {}}),
        )
        .collect();
    hits.sort();
    assert_eq!(hits, vec![&"to-accounts-log", &"to-customer-service-log"]);
}

#[test]
fn review_events_reach_callback_and_customer_service() {
    let index = rules();
    let mut hits: Vec<&&str> = index
        .matching_rules(&json!({"source": "com.aws.review", "detail-type": "Manual review completed", "detail": {}}))
        .collect();
    hits.sort();
    assert_eq!(hits, vec![&"review-events", &"to-customer-service-log"]);
}

#[test]
fn identity_check_completed_goes_to_accounts_only() {
    let index = rules();
    let hits: Vec<&&str> = index
        .matching_rules(&json!({"source": "com.aws.kyc", "detail-type": "Identity check completed", "detail": {}}))
        .collect();
    assert_eq!(hits, vec![&"to-accounts-log"]);
}
