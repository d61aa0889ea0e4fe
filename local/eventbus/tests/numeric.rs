//! Numeric matching: one and two sided ranges, equality, precision and range.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

match_cases! {
    gt_above: r#"{"n": [{"numeric": [">", 0]}]}"#, r#"{"n": 1}"# => true;
    gt_equal: r#"{"n": [{"numeric": [">", 0]}]}"#, r#"{"n": 0}"# => false;
    gt_below: r#"{"n": [{"numeric": [">", 0]}]}"#, r#"{"n": -1}"# => false;
    ge_equal: r#"{"n": [{"numeric": [">=", 0]}]}"#, r#"{"n": 0}"# => true;
    ge_below: r#"{"n": [{"numeric": [">=", 0]}]}"#, r#"{"n": -0.000001}"# => false;
    lt_below: r#"{"n": [{"numeric": ["<", 10]}]}"#, r#"{"n": 9.999999}"# => true;
    lt_equal: r#"{"n": [{"numeric": ["<", 10]}]}"#, r#"{"n": 10}"# => false;
    le_equal: r#"{"n": [{"numeric": ["<=", 10]}]}"#, r#"{"n": 10}"# => true;
    le_above: r#"{"n": [{"numeric": ["<=", 10]}]}"#, r#"{"n": 10.000001}"# => false;
    eq_equal: r#"{"n": [{"numeric": ["=", 3.018e2]}]}"#, r#"{"n": 301.8}"# => true;
    eq_other: r#"{"n": [{"numeric": ["=", 3.018e2]}]}"#, r#"{"n": 301.9}"# => false;
    eq_integer_and_decimal: r#"{"n": [{"numeric": ["=", 5]}]}"#, r#"{"n": 5.0}"# => true;
    range_inside: r#"{"c": [{"numeric": [">", 0, "<=", 5]}]}"#, r#"{"c": 5}"# => true;
    range_low_edge_open: r#"{"c": [{"numeric": [">", 0, "<=", 5]}]}"#, r#"{"c": 0}"# => false;
    range_high_edge_closed: r#"{"c": [{"numeric": [">", 0, "<=", 5]}]}"#, r#"{"c": 5.000001}"# => false;
    range_closed_both: r#"{"c": [{"numeric": [">=", 0, "<=", 5]}]}"#, r#"{"c": 0}"# => true;
    range_open_both: r#"{"c": [{"numeric": [">", 0, "<", 5]}]}"#, r#"{"c": 5}"# => false;
    range_open_both_inside: r#"{"c": [{"numeric": [">", 0, "<", 5]}]}"#, r#"{"c": 4.5}"# => true;
    range_negative: r#"{"c": [{"numeric": [">=", -10, "<", -5]}]}"#, r#"{"c": -7}"# => true;
    not_on_strings: r#"{"n": [{"numeric": [">", 0]}]}"#, r#"{"n": "5"}"# => false;
    not_on_bool: r#"{"n": [{"numeric": [">", 0]}]}"#, r#"{"n": true}"# => false;
    not_on_null: r#"{"n": [{"numeric": ["<", 0]}]}"#, r#"{"n": null}"# => false;
    missing_field: r#"{"n": [{"numeric": [">", 0]}]}"#, r#"{"m": 5}"# => false;
    event_array_any_element: r#"{"n": [{"numeric": [">", 10]}]}"#, r#"{"n": [1, 2, 20]}"# => true;
    event_array_no_element: r#"{"n": [{"numeric": [">", 10]}]}"#, r#"{"n": [1, 2, 3]}"# => false;
    upper_limit_inclusive: r#"{"n": [{"numeric": ["<=", 5e9]}]}"#, r#"{"n": 5000000000}"# => true;
    lower_limit_inclusive: r#"{"n": [{"numeric": [">=", -5e9]}]}"#, r#"{"n": -5000000000}"# => true;
    event_value_beyond_range_never_matches: r#"{"n": [{"numeric": [">", 0]}]}"#, r#"{"n": 5000000001}"# => false;
    event_value_beyond_negative_range: r#"{"n": [{"numeric": ["<", 0]}]}"#, r#"{"n": -5000000001}"# => false;
    six_decimal_precision_equal: r#"{"n": [{"numeric": ["=", 0.1234564]}]}"#, r#"{"n": 0.123456}"# => true;
    six_decimal_precision_distinct: r#"{"n": [{"numeric": ["=", 0.123457]}]}"#, r#"{"n": 0.123456}"# => false;
    tiny_positive_above_zero: r#"{"n": [{"numeric": [">", 0]}]}"#, r#"{"n": 0.000001}"# => true;
    below_precision_is_zero: r#"{"n": [{"numeric": [">", 0]}]}"#, r#"{"n": 0.0000001}"# => false;
    several_ranges_ored: r#"{"n": [{"numeric": ["<", 0]}, {"numeric": [">", 100]}]}"#, r#"{"n": 150}"# => true;
    several_ranges_none: r#"{"n": [{"numeric": ["<", 0]}, {"numeric": [">", 100]}]}"#, r#"{"n": 50}"# => false;
    doc_three_fields: r#"{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"numeric": ["=", 3.018e2]}]}}"#,
        r#"{"detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8}}"# => true;
    doc_three_fields_one_fails: r#"{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"numeric": ["=", 3.018e2]}]}}"#,
        r#"{"detail": {"c-count": 5, "d-count": 10, "x-limit": 301.8}}"# => false;
    exponent_event_value: r#"{"n": [{"numeric": [">", 100]}]}"#, r#"{"n": 1.5e3}"# => true;
    negative_exponent_event_value: r#"{"n": [{"numeric": ["<", 0.01]}]}"#, r#"{"n": 5e-3}"# => true;
}
