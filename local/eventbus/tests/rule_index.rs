//! Many rules: the index returns exactly the rules whose patterns match.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use eventbus::{EventPattern, RuleIndex};
use serde_json::{Value, json};

fn p(s: &str) -> EventPattern {
    EventPattern::parse(s).unwrap()
}

fn ids(index: &RuleIndex<String>, event: &Value) -> Vec<String> {
    let mut v: Vec<String> = index.matching_rules(event).cloned().collect();
    v.sort();
    v
}

#[test]
fn matches_like_individual_patterns() {
    let patterns = [
        ("by-source", r#"{"source": ["com.aws.accounts"]}"#),
        (
            "by-source-and-type",
            r#"{"source": ["com.aws.accounts"], "detail-type": ["New account requested"]}"#,
        ),
        (
            "by-type-only",
            r#"{"detail-type": ["New account approved", "New account declined"]}"#,
        ),
        ("prefix-source", r#"{"source": [{"prefix": "com.aws."}]}"#),
        ("detail-only", r#"{"detail": {"riskLevel": ["HIGH"]}}"#),
        (
            "or-sources",
            r#"{"$or": [{"source": ["com.aws.kyc"]}, {"source": ["com.aws.review"]}]}"#,
        ),
        (
            "or-mixed",
            r#"{"$or": [{"source": ["com.aws.kyc"]}, {"detail-type": ["X"]}]}"#,
        ),
        ("exists-false-source", r#"{"source": [{"exists": false}]}"#),
    ];
    let mut index = RuleIndex::new();
    for (id, text) in patterns {
        index.insert(id.to_string(), p(text));
    }
    let events = [
        json!({"source": "com.aws.accounts", "detail-type": "New account requested", "detail": {}}),
        json!({"source": "com.aws.kyc", "detail-type": "New account approved", "detail": {"riskLevel": "HIGH"}}),
        json!({"source": "com.aws.review", "detail-type": "X", "detail": {}}),
        json!({"source": "other", "detail-type": "X", "detail": {"riskLevel": "LOW"}}),
        json!({"detail-type": "X"}),
        json!({"source": ["com.aws.kyc", "com.aws.accounts"], "detail-type": "Y"}),
    ];
    for ev in &events {
        let mut expected: Vec<String> = patterns
            .iter()
            .filter(|(_, text)| p(text).matches(ev))
            .map(|(id, _)| id.to_string())
            .collect();
        expected.sort();
        assert_eq!(ids(&index, ev), expected, "event {ev}");
    }
}

#[test]
fn insert_replaces_and_remove_forgets() {
    let mut index = RuleIndex::new();
    index.insert("r".to_string(), p(r#"{"source": ["a"]}"#));
    assert_eq!(ids(&index, &json!({"source": "a"})), vec!["r"]);
    index.insert("r".to_string(), p(r#"{"source": ["b"]}"#));
    assert_eq!(index.len(), 1);
    assert!(ids(&index, &json!({"source": "a"})).is_empty());
    assert_eq!(ids(&index, &json!({"source": "b"})), vec!["r"]);
    assert!(index.remove(&"r".to_string()).is_some());
    assert!(index.is_empty());
    assert!(ids(&index, &json!({"source": "b"})).is_empty());
}

#[test]
fn a_rule_is_reported_once() {
    let mut index = RuleIndex::new();
    index.insert("r".to_string(), p(r#"{"source": ["a", "b"]}"#));
    assert_eq!(ids(&index, &json!({"source": ["a", "b"]})), vec!["r"]);
}

#[test]
fn many_rules_by_source() {
    let mut index = RuleIndex::new();
    for i in 0..1000 {
        index.insert(
            i,
            p(&format!(
                r#"{{"source": ["src.{i}"], "detail": {{"n": [{{"numeric": [">", {i}]}}]}}}}"#
            )),
        );
    }
    let hits: Vec<i32> = index
        .matching_rules(&json!({"source": "src.500", "detail": {"n": 501}}))
        .copied()
        .collect();
    assert_eq!(hits, vec![500]);
    let none: Vec<i32> = index
        .matching_rules(&json!({"source": "src.500", "detail": {"n": 500}}))
        .copied()
        .collect();
    assert!(none.is_empty());
    assert_eq!(index.get(&7).map(|pat| pat.field_paths().len()), Some(2));
}

#[test]
fn pairs_of_source_and_detail_type() {
    let mut index = RuleIndex::new();
    for i in 0..50 {
        index.insert(
            i,
            p(&format!(
                r#"{{"source": ["com.aws.kyc"], "detail-type": ["t{i}"]}}"#
            )),
        );
    }
    index.insert(
        100,
        p(r#"{"source": ["com.aws.kyc", "com.aws.review"], "detail-type": ["t7", "x"]}"#),
    );
    index.insert(101, p(r#"{"$or": [{"source": ["a"], "detail-type": ["t7"]}, {"source": ["com.aws.kyc"], "detail-type": ["y"]}]}"#));
    let mut hits: Vec<i32> = index
        .matching_rules(&json!({"source": "com.aws.kyc", "detail-type": "t7"}))
        .copied()
        .collect();
    hits.sort_unstable();
    assert_eq!(hits, vec![7, 100]);
    let mut hits: Vec<i32> = index
        .matching_rules(&json!({"source": "com.aws.kyc", "detail-type": "y"}))
        .copied()
        .collect();
    hits.sort_unstable();
    assert_eq!(hits, vec![101]);
    let hits: Vec<i32> = index
        .matching_rules(&json!({"source": "a", "detail-type": "y"}))
        .copied()
        .collect();
    assert!(hits.is_empty());
    let mut hits: Vec<i32> = index
        .matching_rules(&json!({"source": ["a", "com.aws.review"], "detail-type": ["t7", "x"]}))
        .copied()
        .collect();
    hits.sort_unstable();
    assert_eq!(hits, vec![100, 101]);
    assert!(index.remove(&100).is_some());
    let hits: Vec<i32> = index
        .matching_rules(&json!({"source": "com.aws.review", "detail-type": "x"}))
        .copied()
        .collect();
    assert!(hits.is_empty());
}

#[test]
fn compiled_forms_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<EventPattern>();
    assert_send_sync::<RuleIndex<String>>();
    assert_send_sync::<eventbus::input::TargetInput>();
    assert_send_sync::<eventbus::PatternError>();
}
