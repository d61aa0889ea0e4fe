//! prefix, suffix, equals-ignore-case (and the ignore-case forms of prefix and
//! suffix) and wildcard ("Comparison operators for use in event patterns").

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

match_cases! {
    prefix_match: r#"{"time": [{"prefix": "2017-10-02"}]}"#, r#"{"time": "2017-10-02T18:43:48Z"}"# => true;
    prefix_no_match: r#"{"time": [{"prefix": "2017-10-02"}]}"#, r#"{"time": "2017-10-03T18:43:48Z"}"# => false;
    prefix_whole_value: r#"{"r": [{"prefix": "us-"}]}"#, r#"{"r": "us-"}"# => true;
    prefix_case_sensitive: r#"{"r": [{"prefix": "us-"}]}"#, r#"{"r": "US-east-1"}"# => false;
    prefix_longer_than_value: r#"{"r": [{"prefix": "us-east-1a"}]}"#, r#"{"r": "us-east-1"}"# => false;
    prefix_not_on_numbers: r#"{"n": [{"prefix": "1"}]}"#, r#"{"n": 123}"# => false;
    prefix_not_on_bool: r#"{"n": [{"prefix": "t"}]}"#, r#"{"n": true}"# => false;
    prefix_not_on_null: r#"{"n": [{"prefix": "n"}]}"#, r#"{"n": null}"# => false;
    prefix_empty_matches_any_string: r#"{"n": [{"prefix": ""}]}"#, r#"{"n": "anything"}"# => true;
    prefix_empty_matches_empty_string: r#"{"n": [{"prefix": ""}]}"#, r#"{"n": ""}"# => true;
    prefix_empty_not_number: r#"{"n": [{"prefix": ""}]}"#, r#"{"n": 1}"# => false;
    prefix_in_event_array: r#"{"r": [{"prefix": "arn:aws:s3"}]}"#, r#"{"r": ["arn:aws:ec2:x", "arn:aws:s3:::b"]}"# => true;
    prefix_missing_field: r#"{"r": [{"prefix": "a"}]}"#, r#"{"q": "a"}"# => false;
    prefix_or_exact: r#"{"r": [{"prefix": "a"}, "zzz"]}"#, r#"{"r": "zzz"}"# => true;
    prefix_multibyte: r#"{"r": [{"prefix": "é"}]}"#, r#"{"r": "été"}"# => true;
    prefix_ignore_case_doc: r#"{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}"#, r#"{"detail": {"service": "eventbridge"}}"# => true;
    prefix_ignore_case_upper: r#"{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}"#, r#"{"detail": {"service": "EVENTBRIDGE"}}"# => true;
    prefix_ignore_case_no_match: r#"{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}"#, r#"{"detail": {"service": "Events"}}"# => false;
    prefix_ignore_case_non_ascii: r#"{"s": [{"prefix": {"equals-ignore-case": "ÉT"}}]}"#, r#"{"s": "été"}"# => true;
    suffix_match: r#"{"FileName": [{"suffix": ".png"}]}"#, r#"{"FileName": "image.png"}"# => true;
    suffix_no_match: r#"{"FileName": [{"suffix": ".png"}]}"#, r#"{"FileName": "image.jpg"}"# => false;
    suffix_case_sensitive: r#"{"FileName": [{"suffix": ".png"}]}"#, r#"{"FileName": "image.PNG"}"# => false;
    suffix_whole_value: r#"{"FileName": [{"suffix": ".png"}]}"#, r#"{"FileName": ".png"}"# => true;
    suffix_not_on_number: r#"{"n": [{"suffix": "3"}]}"#, r#"{"n": 123}"# => false;
    suffix_empty_matches_any_string: r#"{"n": [{"suffix": ""}]}"#, r#"{"n": "x"}"# => true;
    suffix_ignore_case_doc: r#"{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}"#, r#"{"detail": {"FileName": "photo.PNG"}}"# => true;
    suffix_ignore_case_mixed: r#"{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}"#, r#"{"detail": {"FileName": "photo.pNg"}}"# => true;
    suffix_ignore_case_no_match: r#"{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}"#, r#"{"detail": {"FileName": "photo.png.gz"}}"# => false;
    suffix_ignore_case_tbridge: r#"{"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]}"#, r#"{"service": "EventBRIDGE"}"# => true;
    equals_ignore_case_doc: r#"{"Name": [{"equals-ignore-case": "alice"}]}"#, r#"{"Name": "Alice"}"# => true;
    equals_ignore_case_upper: r#"{"Name": [{"equals-ignore-case": "alice"}]}"#, r#"{"Name": "ALICE"}"# => true;
    equals_ignore_case_no_match: r#"{"Name": [{"equals-ignore-case": "alice"}]}"#, r#"{"Name": "alicia"}"# => false;
    equals_ignore_case_not_prefix: r#"{"Name": [{"equals-ignore-case": "alice"}]}"#, r#"{"Name": "Alice "}"# => false;
    equals_ignore_case_not_number: r#"{"Name": [{"equals-ignore-case": "1"}]}"#, r#"{"Name": 1}"# => false;
    equals_ignore_case_non_ascii: r#"{"Name": [{"equals-ignore-case": "ÉCOLE"}]}"#, r#"{"Name": "école"}"# => true;
    equals_ignore_case_empty: r#"{"Name": [{"equals-ignore-case": ""}]}"#, r#"{"Name": ""}"# => true;
    equals_ignore_case_in_array: r#"{"tags": [{"equals-ignore-case": "prod"}]}"#, r#"{"tags": ["dev", "PROD"]}"# => true;
    wildcard_doc_file: r#"{"FileName": [{"wildcard": "dir/*.png"}]}"#, r#"{"FileName": "dir/a.png"}"# => true;
    wildcard_star_spans_slashes: r#"{"FileName": [{"wildcard": "dir/*.png"}]}"#, r#"{"FileName": "dir/sub/a.png"}"# => true;
    wildcard_no_match_suffix: r#"{"FileName": [{"wildcard": "dir/*.png"}]}"#, r#"{"FileName": "dir/a.jpg"}"# => false;
    wildcard_no_match_prefix: r#"{"FileName": [{"wildcard": "dir/*.png"}]}"#, r#"{"FileName": "other/a.png"}"# => false;
    wildcard_star_matches_empty: r#"{"FileName": [{"wildcard": "dir/*.png"}]}"#, r#"{"FileName": "dir/.png"}"# => true;
    wildcard_doc_arn: r#"{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}"#, r#"{"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default"}"# => true;
    wildcard_doc_arn_region: r#"{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}"#, r#"{"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/default"}"# => false;
    wildcard_only_star: r#"{"x": [{"wildcard": "*"}]}"#, r#"{"x": ""}"# => true;
    wildcard_only_star_any: r#"{"x": [{"wildcard": "*"}]}"#, r#"{"x": "abc"}"# => true;
    wildcard_only_star_not_number: r#"{"x": [{"wildcard": "*"}]}"#, r#"{"x": 5}"# => false;
    wildcard_without_star_is_exact: r#"{"x": [{"wildcard": "abc"}]}"#, r#"{"x": "abc"}"# => true;
    wildcard_without_star_not_prefix: r#"{"x": [{"wildcard": "abc"}]}"#, r#"{"x": "abcd"}"# => false;
    wildcard_leading_star: r#"{"x": [{"wildcard": "*.jar"}]}"#, r#"{"x": "/bin/app.jar"}"# => true;
    wildcard_trailing_star: r#"{"x": [{"wildcard": "/bin/*"}]}"#, r#"{"x": "/bin/app.jar"}"# => true;
    wildcard_multiple_stars: r#"{"x": [{"wildcard": "a*b*c"}]}"#, r#"{"x": "a-b-c"}"# => true;
    wildcard_multiple_stars_order: r#"{"x": [{"wildcard": "a*b*c"}]}"#, r#"{"x": "a-c-b"}"# => false;
    wildcard_overlap: r#"{"x": [{"wildcard": "ab*ba"}]}"#, r#"{"x": "aba"}"# => false;
    wildcard_overlap_ok: r#"{"x": [{"wildcard": "ab*ba"}]}"#, r#"{"x": "abba"}"# => true;
    wildcard_escaped_star_literal: r#"{"x": [{"wildcard": "a\\*b"}]}"#, r#"{"x": "a*b"}"# => true;
    wildcard_escaped_star_not_wild: r#"{"x": [{"wildcard": "a\\*b"}]}"#, r#"{"x": "axb"}"# => false;
    wildcard_escaped_backslash: r#"{"x": [{"wildcard": "a\\\\b"}]}"#, r#"{"x": "a\\b"}"# => true;
    wildcard_escaped_backslash_then_star: r#"{"x": [{"wildcard": "a\\\\*"}]}"#, r#"{"x": "a\\xyz"}"# => true;
    wildcard_escaped_star_then_star: r#"{"x": [{"wildcard": "\\**"}]}"#, r#"{"x": "*anything"}"# => true;
    wildcard_escaped_star_then_star_needs_star: r#"{"x": [{"wildcard": "\\**"}]}"#, r#"{"x": "anything"}"# => false;
    wildcard_case_sensitive: r#"{"x": [{"wildcard": "A*"}]}"#, r#"{"x": "abc"}"# => false;
    wildcard_in_event_array: r#"{"x": [{"wildcard": "*.png"}]}"#, r#"{"x": ["a.jpg", "b.png"]}"# => true;
    wildcard_multibyte: r#"{"x": [{"wildcard": "é*é"}]}"#, r#"{"x": "éxxé"}"# => true;
    operators_or_together: r#"{"x": [{"prefix": "a"}, {"suffix": "z"}]}"#, r#"{"x": "bz"}"# => true;
    operators_or_none: r#"{"x": [{"prefix": "a"}, {"suffix": "z"}]}"#, r#"{"x": "by"}"# => false;
}
