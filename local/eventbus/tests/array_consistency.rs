//! Fields inside JSON objects in different elements of one array never
//! combine ("JSON Array Matching").

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

const EMPLOYEES: &str = r#"{"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}, {"firstName": "Peter", "lastName": "Jones"}]}"#;

match_cases! {
    same_element_matches: r#"{"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}"#, EMPLOYEES => true;
    different_elements_do_not_combine: r#"{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}"#, EMPLOYEES => false;
    one_field_only: r#"{"employees": {"lastName": ["Jones"]}}"#, EMPLOYEES => true;
    value_alternatives_pick_consistent_element: r#"{"employees": {"firstName": ["Anna", "Peter"], "lastName": ["Jones"]}}"#, EMPLOYEES => true;
    multi_level_arrays_same_inner: r#"{"employees": {"firstName": ["John"], "lastName": ["Doe"]}}"#,
        r#"{"employees": [[{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}], [{"firstName": "Peter", "lastName": "Jones"}]]}"# => true;
    multi_level_arrays_different_inner: r#"{"employees": {"firstName": ["John"], "lastName": ["Smith"]}}"#,
        r#"{"employees": [[{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}], [{"firstName": "Peter", "lastName": "Jones"}]]}"# => false;
    field_outside_array_combines: r#"{"team": ["a"], "employees": {"firstName": ["Anna"]}}"#, r#"{"team": "a", "employees": [{"firstName": "Anna"}]}"# => true;
    scalar_array_and_object_array: r#"{"tags": ["x"], "employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}"#, r#"{"tags": ["y", "x"], "employees": [{"firstName": "Anna", "lastName": "Smith"}]}"# => true;
    nested_object_inside_element: r#"{"items": {"info": {"a": ["1"]}, "b": ["2"]}}"#, r#"{"items": [{"info": {"a": "1"}, "b": "3"}, {"info": {"a": "0"}, "b": "2"}]}"# => false;
    nested_object_inside_element_same: r#"{"items": {"info": {"a": ["1"]}, "b": ["2"]}}"#, r#"{"items": [{"info": {"a": "1"}, "b": "2"}]}"# => true;
    operators_respect_elements: r#"{"items": {"n": [{"numeric": [">", 5]}], "s": [{"prefix": "ok"}]}}"#, r#"{"items": [{"n": 10, "s": "bad"}, {"n": 1, "s": "ok"}]}"# => false;
    backtracking_finds_the_shared_element: r#"{"items": {"a": ["1"], "b": ["2"]}}"#, r#"{"items": [{"a": "1"}, {"a": "1", "b": "2"}, {"b": "2"}]}"# => true;
    no_shared_element_after_backtracking: r#"{"items": {"a": ["1"], "b": ["2"]}}"#, r#"{"items": [{"a": "1"}, {"a": "1", "b": "3"}, {"b": "2"}]}"# => false;
    three_fields_one_element: r#"{"items": {"a": ["1"], "b": ["2"], "c": ["3"]}}"#, r#"{"items": [{"a": "1", "b": "2"}, {"a": "1", "b": "2", "c": "3"}]}"# => true;
    operators_same_element: r#"{"items": {"n": [{"numeric": [">", 5]}], "s": [{"prefix": "ok"}]}}"#, r#"{"items": [{"n": 10, "s": "bad"}, {"n": 7, "s": "okay"}]}"# => true;
}
