//! TestEventPattern: pattern validation, event validation, result.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use eventbus::test_event_pattern;

const EVENT: &str = r#"{"id": "1", "account": "123456789012", "source": "com.aws.kyc", "time": "2026-11-21T10:00:00Z", "region": "eu-west-1", "resources": [], "detail-type": "New account approved", "detail": {"riskLevel": "LOW"}}"#;

#[test]
fn matching_event() {
    assert_eq!(
        test_event_pattern(r#"{"source": ["com.aws.kyc"]}"#, EVENT),
        Ok(true)
    );
}

#[test]
fn non_matching_event() {
    assert_eq!(
        test_event_pattern(r#"{"detail": {"riskLevel": ["HIGH"]}}"#, EVENT),
        Ok(false)
    );
}

#[test]
fn invalid_pattern_is_invalid_event_pattern_exception() {
    let e = test_event_pattern(r#"{"source": "com.aws.kyc"}"#, EVENT).unwrap_err();
    assert_eq!(e.code, "InvalidEventPatternException");
    assert!(e.message.starts_with("Event pattern is not valid. Reason: \"source\" must be an object or an array\n at [Source: (String)"));
}

#[test]
fn pattern_longer_than_4096_characters() {
    let p = format!(r#"{{"source": ["{}"]}}"#, "a".repeat(4096));
    let e = test_event_pattern(&p, EVENT).unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert!(
        e.message
            .ends_with("Member must have length less than or equal to 4096")
    );
}

#[test]
fn event_not_json() {
    let e = test_event_pattern(r#"{"source": ["a"]}"#, "{oops").unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("ValidationException", "Parameter Event is not valid.")
    );
}

#[test]
fn event_not_object() {
    let e = test_event_pattern(r#"{"source": ["a"]}"#, "[1]").unwrap_err();
    assert_eq!(e.message, "Parameter Event is not valid.");
}

#[test]
fn event_missing_each_mandatory_field() {
    let full: serde_json::Value = serde_json::from_str(EVENT).unwrap();
    for field in ["id", "account", "source", "time", "region", "detail-type"] {
        let mut ev = full.clone();
        ev.as_object_mut().unwrap().remove(field);
        let e = test_event_pattern(r#"{"source": ["com.aws.kyc"]}"#, &ev.to_string()).unwrap_err();
        assert_eq!(
            e.message, "Parameter Event is not valid.",
            "without {field}"
        );
    }
}

/// Recorded against EventBridge: the API reference lists `resources` as required, but the service
/// matches an event without it (and without `detail`).
#[test]
fn resources_and_detail_are_not_mandatory() {
    let mut ev: serde_json::Value = serde_json::from_str(EVENT).unwrap();
    ev.as_object_mut().unwrap().remove("resources");
    assert_eq!(
        test_event_pattern(r#"{"source": ["com.aws.kyc"]}"#, &ev.to_string()),
        Ok(true)
    );
    ev.as_object_mut().unwrap().remove("detail");
    assert_eq!(
        test_event_pattern(
            r#"{"detail-type": ["New account approved"]}"#,
            &ev.to_string()
        ),
        Ok(true)
    );
    assert_eq!(
        test_event_pattern(r#"{"resources": ["arn:x"]}"#, &ev.to_string()),
        Ok(false)
    );
}

#[test]
fn detail_is_not_mandatory() {
    let mut ev: serde_json::Value = serde_json::from_str(EVENT).unwrap();
    ev.as_object_mut().unwrap().remove("detail");
    assert_eq!(
        test_event_pattern(r#"{"source": ["com.aws.kyc"]}"#, &ev.to_string()),
        Ok(true)
    );
}
