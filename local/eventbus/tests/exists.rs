//! exists: true / false, leaf nodes only.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

match_cases! {
    true_present: r#"{"detail": {"c-count": [{"exists": true}]}}"#, r#"{"detail": {"c-count": 5}}"# => true;
    true_present_string: r#"{"detail": {"c-count": [{"exists": true}]}}"#, r#"{"detail": {"c-count": "x"}}"# => true;
    true_present_null: r#"{"detail": {"c-count": [{"exists": true}]}}"#, r#"{"detail": {"c-count": null}}"# => true;
    true_present_empty_string: r#"{"detail": {"c-count": [{"exists": true}]}}"#, r#"{"detail": {"c-count": ""}}"# => true;
    true_absent: r#"{"detail": {"c-count": [{"exists": true}]}}"#, r#"{"detail": {"d-count": 5}}"# => false;
    true_not_on_intermediate_node: r#"{"detail": {"c-count": [{"exists": true}]}}"#, r#"{"detail": {"c-count": {"c1": 100}}}"# => false;
    true_empty_array_has_no_leaf: r#"{"detail": {"c-count": [{"exists": true}]}}"#, r#"{"detail": {"c-count": []}}"# => false;
    true_array_with_values: r#"{"detail": {"c-count": [{"exists": true}]}}"#, r#"{"detail": {"c-count": [1]}}"# => true;
    false_absent: r#"{"detail": {"c-count": [{"exists": false}]}}"#, r#"{"detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["initializing", "running"]}}"# => true;
    false_intermediate_node_is_not_a_leaf: r#"{"detail": {"c-count": [{"exists": false}]}}"#, r#"{"detail": {"state": ["initializing", "running"], "c-count": {"c1": 100}}}"# => true;
    false_present: r#"{"detail": {"c-count": [{"exists": false}]}}"#, r#"{"detail": {"c-count": 1}}"# => false;
    false_present_null: r#"{"detail": {"c-count": [{"exists": false}]}}"#, r#"{"detail": {"c-count": null}}"# => false;
    false_parent_missing: r#"{"detail": {"c-count": [{"exists": false}]}}"#, r#"{"source": "x"}"# => true;
    false_empty_array: r#"{"detail": {"c-count": [{"exists": false}]}}"#, r#"{"detail": {"c-count": []}}"# => true;
    false_with_other_field: r#"{"source": ["a"], "detail": {"c-count": [{"exists": false}]}}"#, r#"{"source": "a", "detail": {}}"# => true;
    false_with_other_field_failing: r#"{"source": ["a"], "detail": {"c-count": [{"exists": false}]}}"#, r#"{"source": "b", "detail": {}}"# => false;
    false_or_value_absent: r#"{"x": [{"exists": false}, "a"]}"#, r#"{"y": 1}"# => true;
    false_or_value_present_value: r#"{"x": [{"exists": false}, "a"]}"#, r#"{"x": "a"}"# => true;
    false_or_value_present_other: r#"{"x": [{"exists": false}, "a"]}"#, r#"{"x": "b"}"# => false;
    true_or_value_is_presence: r#"{"x": [{"exists": true}, "a"]}"#, r#"{"x": "b"}"# => true;
    top_level_exists_true: r#"{"source": [{"exists": true}]}"#, r#"{"source": "a"}"# => true;
    top_level_exists_false: r#"{"source": [{"exists": false}]}"#, r#"{"detail": {}}"# => true;
}
