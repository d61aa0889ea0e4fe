//! Every reason EventBridge gives for an invalid pattern
//! (`InvalidEventPatternException`, "Event pattern is not valid. Reason: ...").

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{col_after, error};
use eventbus::EventPattern;

error_cases! {
    not_an_object_array: "[]" => "Filter is not an object";
    not_an_object_string: r#""x""# => "Filter is not an object";
    not_an_object_number: "42" => "Filter is not an object";
    not_an_object_null: "null" => "Filter is not an object";
    not_an_object_empty_text: "" => "Filter is not an object";
    not_an_object_whitespace: "   " => "Filter is not an object";
    field_string_value: r#"{"source": "aws.ec2"}"# => "\"source\" must be an object or an array";
    field_number_value: r#"{"detail": {"n": 5}}"# => "\"n\" must be an object or an array";
    field_bool_value: r#"{"x": true}"# => "\"x\" must be an object or an array";
    field_null_value: r#"{"x": null}"# => "\"x\" must be an object or an array";
    empty_pattern: "{}" => "Empty objects are not allowed";
    empty_nested_object: r#"{"source": ["aws.health"], "detail": {}}"# => "Empty objects are not allowed";
    empty_array: r#"{"source": []}"# => "Empty arrays are not allowed";
    nested_array_value: r#"{"source": [["a"]]}"# => "Match value must be String, number, true, false, or null";
    empty_match_expression: r#"{"source": [{}]}"# => "Match expression name not found";
    unknown_operator: r#"{"source": [{"foo": "x"}]}"# => "Unrecognized match type foo";
    contains_is_not_an_operator: r#"{"source": [{"contains": "x"}]}"# => "Unrecognized match type contains";
    operator_name_is_case_sensitive: r#"{"source": [{"Prefix": "x"}]}"# => "Unrecognized match type Prefix";
    exactly_not_string: r#"{"source": [{"exactly": 1}]}"# => "exact match pattern must be a string";
    exactly_two_keys: r#"{"source": [{"exactly": "a", "prefix": "b"}]}"# => "Only one key allowed in match expression";
    prefix_not_string: r#"{"source": [{"prefix": 1}]}"# => "prefix match pattern must be a string";
    prefix_null: r#"{"source": [{"prefix": null}]}"# => "prefix match pattern must be a string";
    prefix_array: r#"{"source": [{"prefix": ["a"]}]}"# => "prefix match pattern must be a string";
    prefix_two_keys: r#"{"source": [{"prefix": "a", "suffix": "b"}]}"# => "Only one key allowed in match expression";
    prefix_object_empty: r#"{"source": [{"prefix": {}}]}"# => "Prefix expression name not found";
    prefix_object_unknown: r#"{"source": [{"prefix": {"wildcard": "a"}}]}"# => "Unsupported prefix pattern: wildcard";
    prefix_ignore_case_not_string: r#"{"source": [{"prefix": {"equals-ignore-case": 1}}]}"# => "equals-ignore-case match pattern must be a string";
    prefix_ignore_case_two_keys: r#"{"source": [{"prefix": {"equals-ignore-case": "a", "x": "b"}}]}"# => "Only one key allowed in match expression";
    prefix_ignore_case_outer_two_keys: r#"{"source": [{"prefix": {"equals-ignore-case": "a"}, "x": "b"}]}"# => "Only one key allowed in match expression";
    suffix_not_string: r#"{"source": [{"suffix": true}]}"# => "suffix match pattern must be a string";
    suffix_object_empty: r#"{"source": [{"suffix": {}}]}"# => "Suffix expression name not found";
    suffix_object_unknown: r#"{"source": [{"suffix": {"prefix": "a"}}]}"# => "Unsupported suffix pattern: prefix";
    suffix_ignore_case_not_string: r#"{"source": [{"suffix": {"equals-ignore-case": null}}]}"# => "equals-ignore-case match pattern must be a string";
    equals_ignore_case_not_string: r#"{"source": [{"equals-ignore-case": 1}]}"# => "equals-ignore-case match pattern must be a string";
    equals_ignore_case_two_keys: r#"{"source": [{"equals-ignore-case": "a", "b": 1}]}"# => "Only one key allowed in match expression";
    wildcard_not_string: r#"{"source": [{"wildcard": 1}]}"# => "wildcard match pattern must be a string";
    wildcard_consecutive: r#"{"key": [{"wildcard": "abc**def"}]}"# => "Consecutive wildcard characters at pos 4";
    wildcard_consecutive_at_start: r#"{"key": [{"wildcard": "**"}]}"# => "Consecutive wildcard characters at pos 1";
    wildcard_bad_escape: r#"{"key": [{"wildcard": "a*c\\def"}]}"# => "Invalid escape character at pos 4";
    wildcard_trailing_backslash: r#"{"key": [{"wildcard": "ab\\"}]}"# => "Invalid escape character at pos 3";
    wildcard_position_counts_utf8_bytes: r#"{"key": [{"wildcard": "é**"}]}"# => "Consecutive wildcard characters at pos 3";
    wildcard_two_keys: r#"{"key": [{"wildcard": "a*", "x": 1}]}"# => "Only one key allowed in match expression";
    exists_string: r#"{"a": [{"exists": "true"}]}"# => "exists match pattern must be either true or false.";
    exists_number: r#"{"a": [{"exists": 1}]}"# => "exists match pattern must be either true or false.";
    exists_two_keys: r#"{"a": [{"exists": true, "prefix": "x"}]}"# => "Only one key allowed in match expression";
    cidr_not_string: r#"{"ip": [{"cidr": 10}]}"# => "prefix match pattern must be a string";
    cidr_two_keys: r#"{"ip": [{"cidr": "10.0.0.0/8", "x": 1}]}"# => "Only one key allowed in match expression";
    cidr_no_slash: r#"{"ip": [{"cidr": "10.0.0.0"}]}"# => "Malformed CIDR, one '/' required";
    cidr_trailing_slash: r#"{"ip": [{"cidr": "10.0.0.0/"}]}"# => "Malformed CIDR, one '/' required";
    cidr_two_slashes: r#"{"ip": [{"cidr": "10.0.0.0/8/8"}]}"# => "Malformed CIDR, one '/' required";
    cidr_mask_not_integer: r#"{"ip": [{"cidr": "10.0.0.0/x"}]}"# => "Malformed CIDR, mask bits must be an integer";
    cidr_mask_negative: r#"{"ip": [{"cidr": "10.0.0.0/-1"}]}"# => "Malformed CIDR, mask bits must not be negative";
    cidr_hostname: r#"{"ip": [{"cidr": "example.com/8"}]}"# => "Nonstandard IP address: example.com";
    cidr_missing_address: r#"{"ip": [{"cidr": "/8"}]}"# => "Nonstandard IP address: ";
    cidr_invalid_v4: r#"{"ip": [{"cidr": "300.0.0.0/8"}]}"# => "Invalid IP address: 300.0.0.0";
    cidr_invalid_v6: r#"{"ip": [{"cidr": "1:2:3/64"}]}"# => "Invalid IP address: 1:2:3";
    cidr_v4_mask_32: r#"{"ip": [{"cidr": "10.0.0.1/32"}]}"# => "IPv4 mask bits must be < 32";
    cidr_v6_mask_128: r#"{"ip": [{"cidr": "::1/128"}]}"# => "IPv6 mask bits must be < 128";
    numeric_not_array: r#"{"n": [{"numeric": 5}]}"# => "Value of numeric must be an array.";
    numeric_starts_with_number: r#"{"n": [{"numeric": [5]}]}"# => "Invalid member in numeric match: 5";
    numeric_empty: r#"{"n": [{"numeric": []}]}"# => "Invalid member in numeric match: ]";
    numeric_unknown_operator: r#"{"n": [{"numeric": ["!=", 5]}]}"# => "Unrecognized numeric range operator: !=";
    numeric_equals_string: r#"{"n": [{"numeric": ["=", "5"]}]}"# => "Value of equals must be numeric";
    numeric_equals_missing_value: r#"{"n": [{"numeric": ["="]}]}"# => "Value of equals must be numeric";
    numeric_gt_string: r#"{"n": [{"numeric": [">", "5"]}]}"# => "Value of > must be numeric";
    numeric_ge_null: r#"{"n": [{"numeric": [">=", null]}]}"# => "Value of >= must be numeric";
    numeric_lt_bool: r#"{"n": [{"numeric": ["<", true]}]}"# => "Value of < must be numeric";
    numeric_le_missing: r#"{"n": [{"numeric": ["<="]}]}"# => "Value of <= must be numeric";
    numeric_equals_extra: r#"{"n": [{"numeric": ["=", 5, 6]}]}"# => "Too many elements in numeric expression";
    numeric_lt_then_more: r#"{"n": [{"numeric": ["<", 5, ">", 1]}]}"# => "Too many elements in numeric expression";
    numeric_extra_key: r#"{"n": [{"numeric": [">", 1], "x": 1}]}"# => "Too many elements in numeric expression";
    numeric_bad_second_value: r#"{"n": [{"numeric": [">", 0, 5]}]}"# => "Bad value in numeric range: 5";
    numeric_bad_second_operator: r#"{"n": [{"numeric": [">", 0, ">", 5]}]}"# => "Bad numeric range operator: >";
    numeric_second_equals: r#"{"n": [{"numeric": [">=", 0, "=", 5]}]}"# => "Bad numeric range operator: =";
    numeric_top_not_number: r#"{"n": [{"numeric": [">", 0, "<=", "5"]}]}"# => "Value of <= must be numeric";
    numeric_top_missing: r#"{"n": [{"numeric": [">", 0, "<"]}]}"# => "Value of < must be numeric";
    numeric_too_many_terms: r#"{"n": [{"numeric": [">", 0, "<", 5, 6]}]}"# => "Too many terms in numeric range expression";
    numeric_empty_range: r#"{"n": [{"numeric": [">", 5, "<", 5]}]}"# => "Bottom must be less than top";
    numeric_inverted_range: r#"{"n": [{"numeric": [">=", 10, "<=", 5]}]}"# => "Bottom must be less than top";
    numeric_closed_point_range: r#"{"n": [{"numeric": [">=", 5, "<=", 5]}]}"# => "Bottom must be less than top";
    numeric_above_range: r#"{"n": [{"numeric": [">", 5e10]}]}"# => "Value must be between -5.0E9 and 5.0E9, inclusive";
    numeric_below_range: r#"{"n": [{"numeric": ["=", -5000000001]}]}"# => "Value must be between -5.0E9 and 5.0E9, inclusive";
    numeric_top_above_range: r#"{"n": [{"numeric": [">", 0, "<", 6e9]}]}"# => "Value must be between -5.0E9 and 5.0E9, inclusive";
    anything_but_single_number_out_of_range: r#"{"n": [{"anything-but": 6e9}]}"# => "Value must be between -5.0E9 and 5.0E9, inclusive";
    anything_but_bool: r#"{"s": [{"anything-but": true}]}"# => "Value of anything-but must be an array or single string/number value.";
    anything_but_null: r#"{"s": [{"anything-but": null}]}"# => "Value of anything-but must be an array or single string/number value.";
    anything_but_empty_object: r#"{"s": [{"anything-but": {}}]}"# => "Anything-But expression name not found";
    anything_but_unknown_form: r#"{"s": [{"anything-but": {"numeric": [">", 1]}}]}"# => "Unsupported anything-but pattern: numeric";
    anything_but_exists: r#"{"s": [{"anything-but": {"exists": true}}]}"# => "Unsupported anything-but pattern: exists";
    anything_but_prefix_object: r#"{"s": [{"anything-but": {"prefix": {"equals-ignore-case": "a"}}}]}"# => "Value of anything-but must be an array or single string/number value.";
    anything_but_mixed_list: r#"{"s": [{"anything-but": ["a", 1]}]}"# => "Inside anything but list, either all values are number or string, mixed type is not supported";
    anything_but_empty_list: r#"{"s": [{"anything-but": []}]}"# => "Inside anything but list, either all values are number or string, mixed type is not supported";
    anything_but_extra_key: r#"{"s": [{"anything-but": "a", "x": 1}]}"# => "Too many elements in numeric expression";
    anything_but_prefix_extra_key: r#"{"s": [{"anything-but": {"prefix": "a", "x": 1}}]}"# => "Too many elements in numeric expression";
    anything_but_prefix_number: r#"{"s": [{"anything-but": {"prefix": 1}}]}"# => "prefix/suffix match pattern must be a string";
    anything_but_suffix_number: r#"{"s": [{"anything-but": {"suffix": 1}}]}"# => "prefix/suffix match pattern must be a string";
    anything_but_prefix_empty: r#"{"s": [{"anything-but": {"prefix": ""}}]}"# => "Null prefix/suffix not allowed";
    anything_but_suffix_empty: r#"{"s": [{"anything-but": {"suffix": ""}}]}"# => "Null prefix/suffix not allowed";
    anything_but_ignore_case_number: r#"{"s": [{"anything-but": {"equals-ignore-case": 1}}]}"# => "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.";
    anything_but_wildcard_number: r#"{"s": [{"anything-but": {"wildcard": 1}}]}"# => "wildcard match pattern must be a string";
    anything_but_wildcard_invalid: r#"{"s": [{"anything-but": {"wildcard": "a**"}}]}"# => "Consecutive wildcard characters at pos 2";
    anything_but_wildcard_list_invalid: r#"{"s": [{"anything-but": {"wildcard": ["ok*", "x\\y"]}}]}"# => "Invalid escape character at pos 2";
    or_not_array: r#"{"$or": {"a": ["x"]}}"# => "It must be an Array followed with $or.";
    or_string_members: r#"{"$or": ["a", "b"]}"# => "Only JSON object is allowed in array of $or relationship.";
    or_one_member: r#"{"$or": [{"a": ["x"]}]}"# => "There must have at least 2 Objects in $or relationship.";
    or_no_member: r#"{"$or": []}"# => "There must have at least 2 Objects in $or relationship.";
    or_reserved_numeric: r#"{"$or": [{"numeric": ["x"]}, {"b": ["y"]}]}"# => "numeric is Ruler reserved fieldName which cannot be used inside $or.";
    or_reserved_prefix_nested: r#"{"$or": [{"a": {"prefix": ["x"]}}, {"b": ["y"]}]}"# => "prefix is Ruler reserved fieldName which cannot be used inside $or.";
    or_reserved_comparison: r#"{"$or": [{"a": ["x"]}, {">=": ["y"]}]}"# => ">= is Ruler reserved fieldName which cannot be used inside $or.";
    or_member_empty_object: r#"{"$or": [{}, {"a": ["x"]}]}"# => "Empty objects are not allowed";
    or_member_bad_value: r#"{"$or": [{"a": "x"}, {"b": ["y"]}]}"# => "\"a\" must be an object or an array";
}

/// Doubled location: errors raised while reading an anything-but list are caught
/// and raised again by EventBridge's compiler, so the location appears twice.
fn doubled(pattern: &str, reason: &str, column: usize) -> String {
    let loc = format!("[Source: (String)\"{pattern}\"; line: 1, column: {column}]");
    format!("{reason}\n at {loc}\n at {loc}")
}

#[test]
fn anything_but_list_with_bool_reports_location_twice() {
    let p = r#"{"s": [{"anything-but": [true]}]}"#;
    let e = error(p);
    let col = col_after(p, "[true");
    assert_eq!(
        e.full_reason(),
        doubled(
            p,
            "Inside anything but list, start|null|boolean is not supported.",
            col
        )
    );
}

#[test]
fn anything_but_list_out_of_range_number_reports_location_twice() {
    let p = r#"{"s": [{"anything-but": [6e9]}]}"#;
    let col = col_after(p, "[6e9");
    assert_eq!(
        error(p).full_reason(),
        doubled(p, "Value must be between -5.0E9 and 5.0E9, inclusive", col)
    );
}

#[test]
fn anything_but_prefix_list_empty_reports_location_twice() {
    let p = r#"{"s": [{"anything-but": {"prefix": ["a", ""]}}]}"#;
    let col = col_after(p, r#""a", """#);
    assert_eq!(
        error(p).full_reason(),
        doubled(p, "Null prefix/suffix not allowed", col)
    );
}

#[test]
fn anything_but_ignore_case_list_number_reports_location_twice() {
    let p = r#"{"s": [{"anything-but": {"equals-ignore-case": ["a", 2]}}]}"#;
    let col = col_after(p, r#""a", 2"#);
    assert_eq!(
        error(p).full_reason(),
        doubled(
            p,
            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
            col
        )
    );
}

#[test]
fn cidr_errors_have_no_location() {
    let e = error(r#"{"ip": [{"cidr": "10.0.0.0"}]}"#);
    assert_eq!(e.location(), None);
    assert_eq!(
        e.to_string(),
        "Event pattern is not valid. Reason: Malformed CIDR, one '/' required"
    );
}

#[test]
fn single_anything_but_number_out_of_range_has_no_location() {
    let e = error(r#"{"n": [{"anything-but": 6e9}]}"#);
    assert_eq!(e.location(), None);
}

#[test]
fn message_for_field_with_string_value_is_awss() {
    // Recorded from PutRule: the column is just past the opening quote of the value.
    let p = r#"{"source":["test.event-pattern"],"detail":{"lenderId":"LenderA"}}"#;
    assert_eq!(
        error(p).to_string(),
        "Event pattern is not valid. Reason: \"lenderId\" must be an object or an array\n at [Source: (String)\"{\"source\":[\"test.event-pattern\"],\"detail\":{\"lenderId\":\"LenderA\"}}\"; line: 1, column: 56]"
    );
}

#[test]
fn message_for_empty_object_is_awss() {
    let p = r#"{"source": ["aws.health"], "detail": {}}"#;
    assert_eq!(
        error(p).to_string(),
        "Event pattern is not valid. Reason: Empty objects are not allowed\n at [Source: (String)\"{\"source\": [\"aws.health\"], \"detail\": {}}\"; line: 1, column: 40]"
    );
}

#[test]
fn wildcard_error_column_is_after_the_operand() {
    let p = r#"{"key": [{"wildcard": "abc**def"}]}"#;
    assert_eq!(
        error(p).full_reason(),
        "Consecutive wildcard characters at pos 4\n at [Source: (String)\"{\"key\": [{\"wildcard\": \"abc**def\"}]}\"; line: 1, column: 33]"
    );
}

#[test]
fn empty_array_column_is_after_the_bracket() {
    let p = r#"{"a": []}"#;
    assert_eq!(error(p).location().map(|l| l.column), Some(9));
}

#[test]
fn unknown_operator_column_is_after_the_value_quote() {
    let p = r#"{"a": [{"foo": "x"}]}"#;
    assert_eq!(
        error(p).location().map(|l| l.column),
        Some(col_after(p, r#""foo": ""#))
    );
}

#[test]
fn numeric_operator_error_column() {
    let p = r#"{"n": [{"numeric": ["!=", 5]}]}"#;
    assert_eq!(
        error(p).location().map(|l| l.column),
        Some(col_after(p, "\"!=\", 5"))
    );
}

#[test]
fn bottom_top_error_column_is_after_closing_bracket() {
    let p = r#"{"n": [{"numeric": [">", 5, "<", 5]}]}"#;
    assert_eq!(
        error(p).location().map(|l| l.column),
        Some(col_after(p, "5, \"<\", 5]"))
    );
}

#[test]
fn multi_line_location() {
    let p = "{\n  \"detail\": {\n    \"slug\": \"x\"\n  }\n}";
    let e = error(p);
    let loc = e.location().unwrap();
    assert_eq!((loc.line, loc.column), (3, 14));
    assert!(e.to_string().ends_with("; line: 3, column: 14]"));
}

#[test]
fn crlf_counts_as_one_line_break() {
    let p = "{\r\n\"a\": []}";
    let loc = error(p).location().unwrap();
    assert_eq!((loc.line, loc.column), (2, 8));
}

#[test]
fn long_pattern_source_is_truncated_to_500_characters() {
    let filler = "x".repeat(600);
    let p = format!(r#"{{"{filler}": []}}"#);
    let msg = error(&p).to_string();
    let shown: String = p.chars().take(500).collect();
    let expected_source = format!(
        "[Source: (String)\"{shown}\"[truncated {} chars]; line: 1, column: {}]",
        p.chars().count() - 500,
        p.chars().count()
    );
    assert!(msg.ends_with(&expected_source), "{msg}");
}

#[test]
fn error_code_is_invalid_event_pattern_exception() {
    assert_eq!(error("{}").error_code(), "InvalidEventPatternException");
}

#[test]
fn too_many_or_combinations_are_rejected() {
    let or = r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}]}"#;
    // Ten parallel $or groups expand to 2^10 = 1024 branches.
    let mut parts = Vec::new();
    for i in 0..10 {
        parts.push(format!(r#""f{i}": {or}"#));
    }
    let p = format!("{{{}}}", parts.join(","));
    let e = EventPattern::parse(&p).unwrap_err();
    assert!(e.detail().starts_with("Rule is too complex"), "{e}");
    let ok = format!("{{{}}}", parts[..9].join(","));
    assert_eq!(EventPattern::parse(&ok).unwrap().branch_count(), 512);
}
