//! Exact matching of every JSON type, nesting, and arrays on either side
//! ("Event patterns", "Matching null values and empty strings", "Arrays in event patterns").

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

match_cases! {
    string_equal: r#"{"source": ["aws.ec2"]}"#, r#"{"source": "aws.ec2"}"# => true;
    string_differs: r#"{"source": ["aws.ec2"]}"#, r#"{"source": "aws.ec3"}"# => false;
    string_case_sensitive: r#"{"source": ["aws.ec2"]}"#, r#"{"source": "AWS.EC2"}"# => false;
    string_no_normalisation_trailing_space: r#"{"source": ["a"]}"#, r#"{"source": "a "}"# => false;
    any_of_listed_values: r#"{"source": ["aws.ec2", "aws.fargate"]}"#, r#"{"source": "aws.fargate"}"# => true;
    none_of_listed_values: r#"{"source": ["aws.ec2", "aws.fargate"]}"#, r#"{"source": "aws.s3"}"# => false;
    missing_field_does_not_match: r#"{"source": ["aws.ec2"]}"#, r#"{"detail-type": "x"}"# => false;
    other_fields_ignored: r#"{"source": ["a"]}"#, r#"{"source": "a", "other": 1, "detail": {"x": 2}}"# => true;
    all_fields_required: r#"{"source": ["a"], "detail-type": ["b"]}"#, r#"{"source": "a"}"# => false;
    all_fields_present: r#"{"source": ["a"], "detail-type": ["b"]}"#, r#"{"source": "a", "detail-type": "b"}"# => true;
    one_field_wrong: r#"{"source": ["a"], "detail-type": ["b"]}"#, r#"{"source": "a", "detail-type": "c"}"# => false;
    nested_match: r#"{"detail": {"state": ["terminated"]}}"#, r#"{"detail": {"state": "terminated"}}"# => true;
    nested_mismatch: r#"{"detail": {"state": ["terminated"]}}"#, r#"{"detail": {"state": "running"}}"# => false;
    nested_needs_same_nesting: r#"{"detail": {"state": ["terminated"]}}"#, r#"{"state": "terminated"}"# => false;
    deeply_nested: r#"{"detail": {"a": {"b": {"c": ["x"]}}}}"#, r#"{"detail": {"a": {"b": {"c": "x"}}}}"# => true;
    deeply_nested_wrong_level: r#"{"detail": {"a": {"b": {"c": ["x"]}}}}"#, r#"{"detail": {"a": {"c": "x"}}}"# => false;
    dotted_key_equals_nesting: r#"{"detail": {"a.b": ["x"]}}"#, r#"{"detail": {"a": {"b": "x"}}}"# => true;
    nesting_equals_dotted_event_key: r#"{"detail": {"a": {"b": ["x"]}}}"#, r#"{"detail": {"a.b": "x"}}"# => true;
    doc_ec2_example: r#"{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["terminated"]}}"#,
        r#"{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"111122223333","time":"2017-12-22T18:43:48Z","region":"us-west-1","resources":["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],"detail":{"instance-id":"i-1234567890abcdef0","state":"terminated"}}"# => true;
    number_equal: r#"{"detail": {"risk-score": [80]}}"#, r#"{"detail": {"risk-score": 80}}"# => true;
    number_differs: r#"{"detail": {"risk-score": [80]}}"#, r#"{"detail": {"risk-score": 81}}"# => false;
    number_does_not_match_string: r#"{"detail": {"n": [80]}}"#, r#"{"detail": {"n": "80"}}"# => false;
    string_does_not_match_number: r#"{"detail": {"n": ["80"]}}"#, r#"{"detail": {"n": 80}}"# => false;
    number_same_value_other_spelling: r#"{"detail": {"n": [300]}}"#, r#"{"detail": {"n": 300.0}}"# => true;
    number_exponent_spelling: r#"{"detail": {"n": [3.0e2]}}"#, r#"{"detail": {"n": 300}}"# => true;
    number_negative: r#"{"detail": {"n": [-5]}}"#, r#"{"detail": {"n": -5}}"# => true;
    number_decimal: r#"{"detail": {"n": [0.5]}}"#, r#"{"detail": {"n": 0.5}}"# => true;
    number_decimal_differs: r#"{"detail": {"n": [0.5]}}"#, r#"{"detail": {"n": 0.6}}"# => false;
    large_number_beyond_numeric_range_by_spelling: r#"{"account": [123456789012]}"#, r#"{"account": 123456789012}"# => true;
    large_number_beyond_range_differs: r#"{"account": [123456789012]}"#, r#"{"account": 123456789013}"# => false;
    numbers_within_six_decimals_are_equal: r#"{"n": [1.0000001]}"#, r#"{"n": 1.0}"# => true;
    numbers_differing_at_sixth_decimal: r#"{"n": [1.000001]}"#, r#"{"n": 1.0}"# => false;
    bool_true: r#"{"detail": {"ok": [true]}}"#, r#"{"detail": {"ok": true}}"# => true;
    bool_true_vs_false: r#"{"detail": {"ok": [true]}}"#, r#"{"detail": {"ok": false}}"# => false;
    bool_false: r#"{"detail": {"ok": [false]}}"#, r#"{"detail": {"ok": false}}"# => true;
    bool_not_string: r#"{"detail": {"ok": [true]}}"#, r#"{"detail": {"ok": "true"}}"# => false;
    string_true_not_bool: r#"{"detail": {"ok": ["true"]}}"#, r#"{"detail": {"ok": true}}"# => false;
    null_matches_null: r#"{"detail": {"responseElements": [null]}}"#, r#"{"detail": {"eventVersion": "", "responseElements": null}}"# => true;
    null_does_not_match_missing: r#"{"detail": {"responseElements": [null]}}"#, r#"{"detail": {"eventVersion": ""}}"# => false;
    null_does_not_match_empty_string: r#"{"detail": {"x": [null]}}"#, r#"{"detail": {"x": ""}}"# => false;
    empty_string_matches_empty_string: r#"{"detail": {"eventVersion": [""]}}"#, r#"{"detail": {"eventVersion": "", "responseElements": null}}"# => true;
    empty_string_does_not_match_null: r#"{"detail": {"x": [""]}}"#, r#"{"detail": {"x": null}}"# => false;
    empty_string_does_not_match_missing: r#"{"detail": {"x": [""]}}"#, r#"{"detail": {}}"# => false;
    null_string_is_not_null: r#"{"detail": {"x": ["null"]}}"#, r#"{"detail": {"x": null}}"# => false;
    mixed_type_list_matches_number: r#"{"x": ["a", 1, true, null]}"#, r#"{"x": 1}"# => true;
    mixed_type_list_matches_null: r#"{"x": ["a", 1, true, null]}"#, r#"{"x": null}"# => true;
    mixed_type_list_matches_bool: r#"{"x": ["a", 1, true, null]}"#, r#"{"x": true}"# => true;
    mixed_type_list_rejects_false: r#"{"x": ["a", 1, true, null]}"#, r#"{"x": false}"# => false;
    leaf_value_does_not_match_object: r#"{"detail": ["x"]}"#, r#"{"detail": {"a": "x"}}"# => false;
    event_array_intersection: r#"{"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}"#,
        r#"{"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x", "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}"# => true;
    event_array_no_intersection: r#"{"resources": ["a", "b"]}"#, r#"{"resources": ["c", "d"]}"# => false;
    doc_arrays_example: r#"{"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f", "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f", "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}"#,
        r#"{"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate", "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}"# => true;
    empty_event_array_no_match: r#"{"resources": ["a"]}"#, r#"{"resources": []}"# => false;
    nested_event_arrays_flattened: r#"{"x": ["b"]}"#, r#"{"x": [["a"], ["b", "c"]]}"# => true;
    array_of_objects_crushed: r#"{"employees": {"firstName": ["Anna"]}}"#, r#"{"employees": [{"firstName": "John"}, {"firstName": "Anna"}]}"# => true;
    array_of_objects_no_match: r#"{"employees": {"firstName": ["Zoe"]}}"#, r#"{"employees": [{"firstName": "John"}, {"firstName": "Anna"}]}"# => false;
    unicode_string: r#"{"name": ["Zoë"]}"#, r#"{"name": "Zoë"}"# => true;
    escaped_pattern_string: r#"{"name": ["a\"b"]}"#, r#"{"name": "a\"b"}"# => true;
    unicode_escape_in_pattern: r#"{"name": ["\u00e9"]}"#, r#"{"name": "é"}"# => true;
    top_level_event_not_object: r#"{"a": ["x"]}"#, r#"["x"]"# => false;
    ip_literal_matches_other_spelling: r#"{"ip": ["::1"]}"#, r#"{"ip": "0:0:0:0:0:0:0:1"}"# => true;
    ip_literal_matches_itself: r#"{"ip": ["10.0.0.1"]}"#, r#"{"ip": "10.0.0.1"}"# => true;
    ip_literal_other_address: r#"{"ip": ["10.0.0.1"]}"#, r#"{"ip": "10.0.0.2"}"# => false;
    exactly_operator: r#"{"source": [{"exactly": "aws.ec2"}]}"#, r#"{"source": "aws.ec2"}"# => true;
    exactly_operator_no_match: r#"{"source": [{"exactly": "aws.ec2"}]}"#, r#"{"source": "aws.ec"}"# => false;
    repeated_field_last_wins: r#"{"source": ["a"], "source": ["b"]}"#, r#"{"source": "b"}"# => true;
    repeated_field_first_replaced: r#"{"source": ["a"], "source": ["b"]}"#, r#"{"source": "a"}"# => false;
    trailing_text_after_pattern_ignored: r#"{"source": ["a"]} trailing"#, r#"{"source": "a"}"# => true;
    empty_field_name: r#"{"": ["x"]}"#, r#"{"": "x"}"# => true;
}

match_cases! {
    surrogate_pair_escape_in_pattern: r#"{"s": ["\ud83d\ude00"]}"#, r#"{"s": "😀"}"# => true;
    escaped_slash_in_pattern: r#"{"s": ["a\/b"]}"#, r#"{"s": "a/b"}"# => true;
    whitespace_around_tokens: "{ \"s\" :\n\t[ \"x\" ] }", r#"{"s": "x"}"# => true;
    negative_zero_equals_zero: r#"{"n": [-0]}"#, r#"{"n": 0}"# => true;
    exponent_with_sign: r#"{"n": [1E+2]}"#, r#"{"n": 100}"# => true;
}
