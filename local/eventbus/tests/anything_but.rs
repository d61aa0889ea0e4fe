//! anything-but in all its forms: single value, lists of strings or numbers,
//! prefix, suffix, equals-ignore-case and wildcard.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

match_cases! {
    single_string_other_value: r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#, r#"{"detail": {"state": "running"}}"# => true;
    single_string_same_value: r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#, r#"{"detail": {"state": "initializing"}}"# => false;
    single_string_missing_field: r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#, r#"{"detail": {}}"# => false;
    single_string_case_sensitive: r#"{"state": [{"anything-but": "init"}]}"#, r#"{"state": "INIT"}"# => true;
    single_string_number_value: r#"{"state": [{"anything-but": "init"}]}"#, r#"{"state": 5}"# => true;
    single_string_empty_string_value: r#"{"state": [{"anything-but": "init"}]}"#, r#"{"state": ""}"# => true;
    single_empty_string_excludes_empty: r#"{"state": [{"anything-but": ""}]}"#, r#"{"state": ""}"# => false;
    single_empty_string_other: r#"{"state": [{"anything-but": ""}]}"#, r#"{"state": "a"}"# => true;
    single_number_other: r#"{"detail": {"x-limit": [{"anything-but": 123}]}}"#, r#"{"detail": {"x-limit": 124}}"# => true;
    single_number_same: r#"{"detail": {"x-limit": [{"anything-but": 123}]}}"#, r#"{"detail": {"x-limit": 123}}"# => false;
    single_number_same_value_other_spelling: r#"{"x": [{"anything-but": 123}]}"#, r#"{"x": 123.0}"# => false;
    single_number_string_value: r#"{"x": [{"anything-but": 123}]}"#, r#"{"x": "123"}"# => true;
    string_list_other: r#"{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}"#, r#"{"detail": {"state": "running"}}"# => true;
    string_list_first: r#"{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}"#, r#"{"detail": {"state": "stopped"}}"# => false;
    string_list_second: r#"{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}"#, r#"{"detail": {"state": "overloaded"}}"# => false;
    number_list_other: r#"{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}"#, r#"{"detail": {"x-limit": 150}}"# => true;
    number_list_member: r#"{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}"#, r#"{"detail": {"x-limit": 200}}"# => false;
    number_list_decimal_member: r#"{"x": [{"anything-but": [1.5, 2.5]}]}"#, r#"{"x": 2.5}"# => false;
    event_array_one_other_value_matches: r#"{"state": [{"anything-but": "a"}]}"#, r#"{"state": ["a", "b"]}"# => true;
    event_array_all_excluded: r#"{"state": [{"anything-but": ["a", "b"]}]}"#, r#"{"state": ["a", "b"]}"# => false;
    null_value_is_anything_but_string: r#"{"state": [{"anything-but": "a"}]}"#, r#"{"state": null}"# => true;
    bool_value_is_anything_but_string: r#"{"state": [{"anything-but": "a"}]}"#, r#"{"state": false}"# => true;
    object_value_has_no_leaf: r#"{"state": [{"anything-but": "a"}]}"#, r#"{"state": {"x": "b"}}"# => false;
    prefix_other: r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#, r#"{"detail": {"state": "running"}}"# => true;
    prefix_excluded: r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#, r#"{"detail": {"state": "initializing"}}"# => false;
    prefix_exact_excluded: r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#, r#"{"detail": {"state": "init"}}"# => false;
    prefix_doc_region: r#"{"Region": [{"anything-but": {"prefix": "us-"}}]}"#, r#"{"Region": "eu-west-1"}"# => true;
    prefix_doc_region_excluded: r#"{"Region": [{"anything-but": {"prefix": "us-"}}]}"#, r#"{"Region": "us-east-1"}"# => false;
    prefix_list: r#"{"Region": [{"anything-but": {"prefix": ["us-", "eu-"]}}]}"#, r#"{"Region": "eu-west-1"}"# => false;
    prefix_list_other: r#"{"Region": [{"anything-but": {"prefix": ["us-", "eu-"]}}]}"#, r#"{"Region": "ap-south-1"}"# => true;
    prefix_number_value_matches: r#"{"Region": [{"anything-but": {"prefix": "1"}}]}"#, r#"{"Region": 123}"# => true;
    suffix_other: r#"{"FileName": [{"anything-but": {"suffix": ".png"}}]}"#, r#"{"FileName": "a.jpg"}"# => true;
    suffix_excluded: r#"{"FileName": [{"anything-but": {"suffix": ".png"}}]}"#, r#"{"FileName": "a.png"}"# => false;
    suffix_case_sensitive: r#"{"FileName": [{"anything-but": {"suffix": ".png"}}]}"#, r#"{"FileName": "a.PNG"}"# => true;
    suffix_list: r#"{"FileName": [{"anything-but": {"suffix": [".png", ".jpg"]}}]}"#, r#"{"FileName": "a.jpg"}"# => false;
    ignore_case_other: r#"{"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}"#, r#"{"state": "running"}"# => true;
    ignore_case_excluded_upper: r#"{"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}"#, r#"{"state": "INITIALIZING"}"# => false;
    ignore_case_excluded_mixed: r#"{"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}"#, r#"{"state": "Initializing"}"# => false;
    ignore_case_list: r#"{"state": [{"anything-but": {"equals-ignore-case": ["a", "B"]}}]}"#, r#"{"state": "b"}"# => false;
    ignore_case_list_other: r#"{"state": [{"anything-but": {"equals-ignore-case": ["a", "B"]}}]}"#, r#"{"state": "c"}"# => true;
    wildcard_other: r#"{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}"#, r#"{"FilePath": "/usr/bin/x"}"# => true;
    wildcard_excluded: r#"{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}"#, r#"{"FilePath": "/usr/lib/x"}"# => false;
    wildcard_list: r#"{"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*.tmp"]}}]}"#, r#"{"FilePath": "/a/b.tmp"}"# => false;
    wildcard_list_other: r#"{"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*.tmp"]}}]}"#, r#"{"FilePath": "/a/b.txt"}"# => true;
    empty_prefix_list_matches_anything: r#"{"x": [{"anything-but": {"prefix": []}}]}"#, r#"{"x": "abc"}"# => true;
    with_other_value_in_list: r#"{"x": [{"anything-but": "a"}, "a"]}"#, r#"{"x": "a"}"# => true;
    combined_doc_example: r#"{"time": [{"prefix": "2017-10-02"}], "detail": {"state": [{"anything-but": "initializing"}], "c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"anything-but": [100, 200, 300]}]}}"#,
        r#"{"time": "2017-10-02T16:24:49Z", "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33", "state": "running"}}"# => true;
    combined_doc_example_excluded_limit: r#"{"time": [{"prefix": "2017-10-02"}], "detail": {"state": [{"anything-but": "initializing"}], "x-limit": [{"anything-but": [100, 200, 300]}]}}"#,
        r#"{"time": "2017-10-02T16:24:49Z", "detail": {"x-limit": 300, "state": "running"}}"# => false;
}
