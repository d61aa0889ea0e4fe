//! JSONPath and reference paths, as the States Language spec and the developer guide describe.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use asl::path::{Path, PathEvalError, PathRoot};
use common::*;
use serde_json::{Value, json};

fn sel(path: &str, doc: Value) -> Result<Value, PathEvalError> {
    Path::parse(path).unwrap().select(&doc)
}

fn spec_doc() -> Value {
    // The spec's example input for paths.
    json!({"foo": 123, "bar": ["a", "b", "c"], "car": {"cdr": true}})
}

#[test]
fn spec_example_foo() {
    assert_eq!(sel("$.foo", spec_doc()).unwrap(), json!(123));
}

#[test]
fn spec_example_bar() {
    assert_eq!(sel("$.bar", spec_doc()).unwrap(), json!(["a", "b", "c"]));
}

#[test]
fn spec_example_car_cdr() {
    assert_eq!(sel("$.car.cdr", spec_doc()).unwrap(), json!(true));
}

#[test]
fn root_selects_everything() {
    assert_eq!(sel("$", spec_doc()).unwrap(), spec_doc());
}

#[test]
fn array_index() {
    assert_eq!(sel("$.bar[0]", spec_doc()).unwrap(), json!("a"));
    assert_eq!(sel("$.bar[2]", spec_doc()).unwrap(), json!("c"));
}

#[test]
fn negative_index_counts_from_end() {
    assert_eq!(sel("$.bar[-1]", spec_doc()).unwrap(), json!("c"));
}

#[test]
fn bracket_notation_with_quotes() {
    assert_eq!(sel("$['car']['cdr']", spec_doc()).unwrap(), json!(true));
    assert_eq!(sel("$[\"foo\"]", spec_doc()).unwrap(), json!(123));
}

/// Recorded against Step Functions: bracket notation with escaped quotes inside the key selects
/// that key (a backslash escapes the next character; quotes of the other kind need no escape).
#[test]
fn bracket_notation_with_escaped_quotes_in_the_key() {
    // The path text `$['Test\""Name"']` names the key `Test\""Name"` with its escapes removed.
    let doc = json!({"Test\"\"Name\"": 1, "Test\\\"\"Name\"": 2});
    assert_eq!(sel(r#"$['Test\""Name"']"#, doc.clone()).unwrap(), json!(1));
    assert_eq!(sel(r#"$['Test\\""Name"']"#, doc.clone()).unwrap(), json!(2));
    assert_eq!(sel(r#"$["it's"]"#, json!({"it's": 3})).unwrap(), json!(3));
    assert_eq!(sel(r#"$['it\'s']"#, json!({"it's": 4})).unwrap(), json!(4));
}

#[test]
fn bracket_notation_allows_spaces_and_dots_in_names() {
    let doc = json!({"a b": {"c.d": 1}});
    assert_eq!(sel("$['a b']['c.d']", doc).unwrap(), json!(1));
}

#[test]
fn dot_names_may_contain_dashes() {
    let doc = json!({"detail-type": "x"});
    assert_eq!(sel("$.detail-type", doc).unwrap(), json!("x"));
}

#[test]
fn missing_definite_path_is_an_error_with_jayway_message() {
    let e = sel("$.car.nope", spec_doc()).unwrap_err();
    assert_eq!(e.to_string(), "No results for path: $['car']['nope']");
}

#[test]
fn index_out_of_range_is_an_error() {
    let e = sel("$.bar[5]", spec_doc()).unwrap_err();
    assert_eq!(e.to_string(), "No results for path: $['bar'][5]");
}

#[test]
fn field_of_non_object_is_an_error() {
    assert!(sel("$.foo.x", spec_doc()).is_err());
}

#[test]
fn wildcard_on_array_gives_list() {
    assert_eq!(sel("$.bar[*]", spec_doc()).unwrap(), json!(["a", "b", "c"]));
}

#[test]
fn wildcard_on_object_gives_values() {
    let doc = json!({"a": {"x": 1, "y": 2}});
    assert_eq!(sel("$.a.*", doc).unwrap(), json!([1, 2]));
}

#[test]
fn wildcard_then_field() {
    let doc = json!({"items": [{"id": 1}, {"id": 2}, {"other": 3}]});
    assert_eq!(sel("$.items[*].id", doc).unwrap(), json!([1, 2]));
}

#[test]
fn indefinite_path_matching_nothing_is_empty_list() {
    let doc = json!({"items": [{"a": 1}]});
    assert_eq!(sel("$.items[*].id", doc).unwrap(), json!([]));
}

#[test]
fn deep_scan() {
    let doc = json!({"a": {"price": 1, "b": {"price": 2}}, "c": [{"price": 3}]});
    assert_eq!(sel("$..price", doc).unwrap(), json!([1, 2, 3]));
}

#[test]
fn slice_first_two() {
    let doc = json!({"a": [1, 2, 3, 4]});
    assert_eq!(sel("$.a[0:2]", doc).unwrap(), json!([1, 2]));
}

#[test]
fn slice_open_end() {
    let doc = json!({"a": [1, 2, 3, 4]});
    assert_eq!(sel("$.a[2:]", doc).unwrap(), json!([3, 4]));
}

#[test]
fn slice_last_two() {
    let doc = json!({"a": [1, 2, 3, 4]});
    assert_eq!(sel("$.a[-2:]", doc).unwrap(), json!([3, 4]));
}

#[test]
fn index_union() {
    let doc = json!({"a": [10, 20, 30]});
    assert_eq!(sel("$.a[0,2]", doc).unwrap(), json!([10, 30]));
}

#[test]
fn name_union() {
    let doc = json!({"a": 1, "b": 2, "c": 3});
    assert_eq!(sel("$['a','c']", doc).unwrap(), json!([1, 3]));
}

#[test]
fn filter_less_than() {
    let doc = json!({"books": [{"t": "a", "price": 5}, {"t": "b", "price": 15}]});
    assert_eq!(
        sel("$.books[?(@.price < 10)].t", doc).unwrap(),
        json!(["a"])
    );
}

#[test]
fn filter_string_equality() {
    let doc = json!({"books": [{"cat": "fiction", "t": "a"}, {"cat": "ref", "t": "b"}]});
    assert_eq!(
        sel("$.books[?(@.cat == 'fiction')].t", doc).unwrap(),
        json!(["a"])
    );
}

#[test]
fn filter_existence() {
    let doc = json!({"books": [{"isbn": "1", "t": "a"}, {"t": "b"}]});
    assert_eq!(sel("$.books[?(@.isbn)].t", doc).unwrap(), json!(["a"]));
}

#[test]
fn filter_and_or() {
    let doc = json!({"n": [{"v": 1}, {"v": 5}, {"v": 9}]});
    assert_eq!(
        sel("$.n[?(@.v > 2 && @.v < 8)].v", doc.clone()).unwrap(),
        json!([5])
    );
    assert_eq!(
        sel("$.n[?(@.v < 2 || @.v > 8)].v", doc).unwrap(),
        json!([1, 9])
    );
}

#[test]
fn definite_and_indefinite() {
    assert!(Path::parse("$.a.b[0]").unwrap().is_definite());
    assert!(!Path::parse("$.a[*]").unwrap().is_definite());
    assert!(!Path::parse("$..a").unwrap().is_definite());
    assert!(!Path::parse("$.a[0:1]").unwrap().is_definite());
    assert!(!Path::parse("$.a[?(@.x)]").unwrap().is_definite());
}

#[test]
fn roots() {
    assert_eq!(*Path::parse("$.a").unwrap().root(), PathRoot::Data);
    assert_eq!(
        *Path::parse("$$.Execution.Id").unwrap().root(),
        PathRoot::Context
    );
    assert_eq!(
        *Path::parse("$myVar.a").unwrap().root(),
        PathRoot::Variable("myVar".into())
    );
    assert_eq!(
        *Path::parse("$_x").unwrap().root(),
        PathRoot::Variable("_x".into())
    );
}

#[test]
fn syntax_errors() {
    for bad in [
        "",
        "a.b",
        "$.",
        "$[",
        "$.a[",
        "$.a[?(@.x <)]",
        "$['a'",
        "$.a]",
    ] {
        assert!(Path::parse(bad).is_err(), "{bad} should be rejected");
    }
}

#[test]
fn reference_path_must_be_definite() {
    assert!(Path::parse_reference("$.a.b").is_ok());
    assert!(Path::parse_reference("$.a[0]").is_ok());
    assert!(Path::parse_reference("$.a[*]").is_err());
    assert!(Path::parse_reference("$..a").is_err());
    assert!(Path::parse_reference("$$.Execution").is_err());
}

fn assign(path: &str, mut doc: Value, v: Value) -> Result<Value, asl::path::ResultPathMismatch> {
    Path::parse_reference(path).unwrap().assign(&mut doc, v)?;
    Ok(doc)
}

#[test]
fn spec_result_path_replaces_existing_field() {
    // Spec: ResultPath "$.master.detail" with result "Hello".
    let out = assign(
        "$.master.detail",
        json!({"master": {"detail": [1, 2, 3]}}),
        json!("Hello"),
    )
    .unwrap();
    assert_eq!(out, json!({"master": {"detail": "Hello"}}));
}

#[test]
fn spec_result_path_creates_missing_objects() {
    // Spec: ResultPath "$.master.result.sum" with result 6.
    let out = assign(
        "$.master.result.sum",
        json!({"master": {"detail": [1, 2, 3]}}),
        json!(6),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"master": {"detail": [1, 2, 3], "result": {"sum": 6}}})
    );
}

#[test]
fn result_path_through_a_string_fails() {
    assert!(assign("$.a.b", json!({"a": "text"}), json!(1)).is_err());
}

#[test]
fn result_path_into_array_element() {
    let out = assign("$.a[1]", json!({"a": [1, 2, 3]}), json!("x")).unwrap();
    assert_eq!(out, json!({"a": [1, "x", 3]}));
}

#[test]
fn result_path_array_out_of_range_fails() {
    assert!(assign("$.a[5]", json!({"a": [1]}), json!("x")).is_err());
}

#[test]
fn result_path_on_non_object_input_fails() {
    assert!(assign("$.a", json!([1, 2]), json!("x")).is_err());
}

#[test]
fn normalized_forms() {
    assert_eq!(
        Path::parse("$.a[0].b").unwrap().normalized(),
        "$['a'][0]['b']"
    );
    assert_eq!(
        Path::parse("$$.Execution.Id").unwrap().normalized(),
        "$$['Execution']['Id']"
    );
}

// ----- through a Pass state -----------------------------------------------------------------

#[test]
fn input_path_selects_part_of_input() {
    // Developer guide, InputPath example.
    let input = json!({
        "comment": "Example for InputPath.",
        "dataset1": {"val1": 1, "val2": 2, "val3": 3},
        "dataset2": {"val1": "a", "val2": "b", "val3": "c"}
    });
    assert_eq!(
        pass(json!({"InputPath": "$.dataset2"}), input).unwrap(),
        json!({"val1": "a", "val2": "b", "val3": "c"})
    );
}

#[test]
fn input_path_null_gives_empty_object() {
    assert_eq!(
        pass(json!({"InputPath": null}), json!({"a": 1})).unwrap(),
        json!({})
    );
}

#[test]
fn output_path_null_gives_empty_object() {
    assert_eq!(
        pass(json!({"OutputPath": null}), json!({"a": 1})).unwrap(),
        json!({})
    );
}

#[test]
fn input_path_missing_fails_with_runtime_error() {
    let (e, c) = pass(json!({"InputPath": "$.missing"}), json!({"a": 1})).unwrap_err();
    assert_eq!(e, "States.Runtime");
    assert_eq!(
        c,
        "An error occurred while executing the state 'P' (entered at the event id #2). Invalid path '$.missing' : No results for path: $['missing']"
    );
}

#[test]
fn output_path_missing_fails_with_runtime_error() {
    let (e, c) = pass(json!({"OutputPath": "$.nope"}), json!({"a": 1})).unwrap_err();
    assert_eq!(e, "States.Runtime");
    assert_eq!(
        c,
        "An error occurred while executing the state 'P' (entered at the event id #2). Invalid path '$.nope' : No results for path: $['nope']"
    );
}

#[test]
fn indefinite_input_path_gives_list() {
    let out = pass(
        json!({"InputPath": "$.a[*].b"}),
        json!({"a": [{"b": 1}, {"b": 2}]}),
    )
    .unwrap();
    assert_eq!(out, json!([1, 2]));
}

#[test]
fn output_path_selects_after_result_path() {
    let out = pass(
        json!({"Result": {"x": 1}, "ResultPath": "$.r", "OutputPath": "$.r"}),
        json!({"a": 1}),
    )
    .unwrap();
    assert_eq!(out, json!({"x": 1}));
}

#[test]
fn context_object_path_in_parameters() {
    let out = pass(
        json!({"Parameters": {"name.$": "$$.Execution.Name", "sm.$": "$$.StateMachine.Name", "state.$": "$$.State.Name"}}),
        json!({}),
    )
    .unwrap();
    assert_eq!(out, json!({"name": "exec-1", "sm": "Test", "state": "P"}));
}

#[test]
fn context_object_execution_fields() {
    let out = pass(
        json!({"Parameters": {
            "id.$": "$$.Execution.Id",
            "input.$": "$$.Execution.Input",
            "role.$": "$$.Execution.RoleArn",
            "start.$": "$$.Execution.StartTime",
            "redrive.$": "$$.Execution.RedriveCount",
            "smid.$": "$$.StateMachine.Id",
            "entered.$": "$$.State.EnteredTime"
        }}),
        json!({"k": "v"}),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({
            "id": "arn:aws:states:us-east-1:123456789012:execution:Test:exec-1",
            "input": {"k": "v"},
            "role": "arn:aws:iam::123456789012:role/StepFunctionsRole",
            "start": "2024-01-01T00:00:00.000Z",
            "redrive": 0,
            "smid": "arn:aws:states:us-east-1:123456789012:stateMachine:Test",
            "entered": "2024-01-01T00:00:00.000Z"
        })
    );
}

/// Recorded against Step Functions: a Pass state's context object has exactly `Execution`,
/// `StateMachine` and `State {Name, EnteredTime}` (no `RetryCount`: a Pass state cannot retry).
#[test]
fn a_pass_state_s_context_object_has_exactly_these_members() {
    let out = pass(json!({"Parameters": {"c.$": "$$"}}), json!({"k": "v"})).unwrap();
    let ctx = out["c"].as_object().unwrap();
    assert_eq!(
        ctx.keys().collect::<Vec<_>>(),
        ["Execution", "State", "StateMachine"]
    );
    assert_eq!(
        out["c"]["State"],
        json!({"EnteredTime": "2024-01-01T00:00:00.000Z", "Name": "P"})
    );
}

#[test]
fn whole_context_object() {
    let out = pass(json!({"Parameters": {"c.$": "$$"}}), json!({})).unwrap();
    assert_eq!(out["c"]["Execution"]["Name"], json!("exec-1"));
    assert_eq!(out["c"]["State"]["Name"], json!("P"));
    assert!(out["c"].get("Task").is_none());
}

#[test]
fn length_function() {
    assert_eq!(sel("$.bar.length()", spec_doc()).unwrap(), json!(3));
}

#[test]
fn length_of_indefinite_result() {
    let doc = json!({"items": [{"id": 1}, {"id": 2}, {"x": 0}]});
    assert_eq!(sel("$.items[*].id.length()", doc).unwrap(), json!(2));
}

#[test]
fn numeric_functions() {
    let doc = json!({"n": [1, 2, 3, 4]});
    assert_eq!(sel("$.n.min()", doc.clone()).unwrap(), json!(1.0));
    assert_eq!(sel("$.n.max()", doc.clone()).unwrap(), json!(4.0));
    assert_eq!(sel("$.n.sum()", doc.clone()).unwrap(), json!(10.0));
    assert_eq!(sel("$.n.avg()", doc).unwrap(), json!(2.5));
}

#[test]
fn first_last_keys_functions() {
    let doc = json!({"a": [5, 6, 7], "o": {"x": 1, "y": 2}});
    assert_eq!(sel("$.a.first()", doc.clone()).unwrap(), json!(5));
    assert_eq!(sel("$.a.last()", doc.clone()).unwrap(), json!(7));
    assert_eq!(sel("$.o.keys()", doc).unwrap(), json!(["x", "y"]));
}

#[test]
fn function_on_wrong_type_fails() {
    assert!(sel("$.foo.length()", spec_doc()).is_err());
    assert!(sel("$.bar.sum()", spec_doc()).is_err());
}

#[test]
fn unknown_function_is_a_syntax_error() {
    assert!(Path::parse("$.a.nope()").is_err());
}

#[test]
fn function_paths_are_not_reference_paths() {
    assert!(Path::parse_reference("$.a.length()").is_err());
}

#[test]
fn length_in_parameters() {
    let out = pass(
        json!({"Parameters": {"count.$": "$.items.length()"}}),
        json!({"items": [1, 2, 3]}),
    )
    .unwrap();
    assert_eq!(out, json!({"count": 3}));
}

#[test]
fn fuzz_regression_non_ascii_after_union_comma() {
    // Found by cargo fuzz: a non-quote, non-ASCII character where a quoted name was expected.
    assert!(Path::parse("$.az:[\"{$\",..\u{77e}}").is_err());
    assert!(Path::parse("$['a',\u{e9}]").is_err());
}

#[test]
fn dot_before_bracket_is_tolerated() {
    assert_eq!(sel("$.[0]", json!([7, 8])).unwrap(), json!(7));
    assert_eq!(sel("$.['foo']", spec_doc()).unwrap(), json!(123));
}

#[test]
fn slices_with_extreme_steps_do_not_overflow() {
    let doc = json!({"a": [1, 2, 3, 4, 5, 6]});
    assert_eq!(
        sel("$.a[5:10:9223372036854775807]", doc.clone()).unwrap(),
        json!([6])
    );
    assert_eq!(
        sel("$.a[1::9223372036854775807]", doc.clone()).unwrap(),
        json!([2])
    );
    assert_eq!(
        sel("$.a[-1::-9223372036854775807]", doc.clone()).unwrap(),
        json!([6])
    );
    assert_eq!(sel("$.a[::-2]", doc).unwrap(), json!([6, 4, 2]));
}

#[test]
fn failed_reference_assignment_leaves_target_untouched() {
    for (path, doc) in [
        ("$.a[0]", json!({"b": 1})),
        ("$.a.b[2]", json!({"a": {"b": [1]}})),
        ("$.s.x", json!({"s": "text"})),
        ("$.n.m.o", json!({"n": {"m": 5}})),
    ] {
        let mut target = doc.clone();
        assert!(
            Path::parse_reference(path)
                .unwrap()
                .assign(&mut target, json!(1))
                .is_err(),
            "{path}"
        );
        assert_eq!(target, doc, "{path}");
    }
}
