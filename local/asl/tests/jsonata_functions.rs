//! JSONata: expressions in a Pass state's `Output`, the functions Step Functions adds, limits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

/// A JSONata Pass state whose Output is `expr`; output or (error, cause).
fn out(expr: &str, input: Value) -> Result<Value, (String, String)> {
    pass(json!({"QueryLanguage": "JSONata", "Output": expr}), input)
}

fn qerr(expr: &str) -> String {
    let (e, c) = out(expr, json!({})).expect_err(expr);
    assert_eq!(e, "States.QueryEvaluationError", "{expr}: {c}");
    c
}

macro_rules! ok_cases {
    ($($name:ident: $expr:expr, $input:expr => $want:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(out($expr, $input).unwrap(), $want);
        }
    )*};
}

macro_rules! err_cases {
    ($($name:ident: $expr:expr => $needle:expr;)*) => {$(
        #[test]
        fn $name() {
            let c = qerr($expr);
            assert!(c.contains($needle), "{}: {c}", $expr);
        }
    )*};
}

ok_cases! {
    arithmetic: "{% 1 + 2 * 3 %}", json!({}) => json!(7);
    input_field: "{% $states.input.a %}", json!({"a": 5}) => json!(5);
    input_nested: "{% $states.input.a.b[1] %}", json!({"a": {"b": [1, 2]}}) => json!(2);
    string_concat: "{% 'Hello ' & $states.input.name %}", json!({"name": "World"}) => json!("Hello World");
    object_constructor: "{% {'x': $states.input.a, 'y': [1,2]} %}", json!({"a": 1}) => json!({"x": 1, "y": [1, 2]});
    object_omits_undefined: "{% {'k': $states.input.missing} %}", json!({}) => json!({});
    sum_map: "{% $sum($states.input.items.price) %}", json!({"items": [{"price": 2}, {"price": 3}]}) => json!(5);
    filter: "{% $states.input.items[price > 2].name %}", json!({"items": [{"name": "a", "price": 1}, {"name": "b", "price": 3}]}) => json!("b");
    conditional: "{% $states.input.n > 1 ? 'big' : 'small' %}", json!({"n": 2}) => json!("big");
    block_binding: "{% ($x := 2; $y := 3; $x * $y) %}", json!({}) => json!(6);
    lambda: "{% ($f := function($n){$n * 2}; $map([1,2,3], $f)) %}", json!({}) => json!([2, 4, 6]);
    recursion_small: "{% ($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(100)) %}", json!({}) => json!(100);
    null_literal: "{% null %}", json!({}) => Value::Null;
    boolean_literal: "{% true and false %}", json!({}) => json!(false);
    string_functions: "{% $uppercase($substring('hello', 0, 3)) %}", json!({}) => json!("HEL");
    join_split: "{% $join($split('a,b,c', ','), '-') %}", json!({}) => json!("a-b-c");
    count: "{% $count([1,2,3]) %}", json!({}) => json!(3);
    keys: "{% $keys({'a':1,'b':2}) %}", json!({}) => json!(["a", "b"]);
    merge: "{% $merge([{'a':1},{'b':2}]) %}", json!({}) => json!({"a": 1, "b": 2});
    string_of_number: "{% $string(42) %}", json!({}) => json!("42");
    number_of_string: "{% $number('4.5') %}", json!({}) => json!(4.5);
    exists_true: "{% $exists($states.input.a) %}", json!({"a": null}) => json!(true);
    exists_false: "{% $exists($states.input.b) %}", json!({}) => json!(false);
    not_an_expression: "Hello {% world", json!({}) => json!("Hello {% world");
    plain_string: "$states.input.a", json!({"a": 1}) => json!("$states.input.a");
    trailing_percent_literal: "100%}", json!({}) => json!("100%}");
    whitespace_inside: "{%   1   %}", json!({}) => json!(1);
    sort: "{% $sort([3,1,2]) %}", json!({}) => json!([1, 2, 3]);
    reduce: "{% $reduce([1,2,3,4], function($a, $b){$a + $b}) %}", json!({}) => json!(10);
    now_is_entered_time: "{% $now() %}", json!({}) => json!("2024-01-01T00:00:00.000Z");
    millis_is_entered_time: "{% $millis() %}", json!({}) => json!(1_704_067_200_000i64);
    // Step Functions' functions (developer guide, "JSONata functions provided by Step Functions").
    partition_doc_example: "{% $partition([1,2,3,4,5,6,7,8,9], 3) %}", json!({}) => json!([[1,2,3],[4,5,6],[7,8,9]]);
    partition_short_last: "{% $partition([1,2,3,4,5], 2) %}", json!({}) => json!([[1,2],[3,4],[5]]);
    partition_bigger_than_array: "{% $partition([1,2], 5) %}", json!({}) => json!([[1,2]]);
    partition_empty: "{% $partition([], 2) %}", json!({}) => json!([]);
    range_doc_example: "{% $range(0, 10, 2) %}", json!({}) => json!([0,2,4,6,8,10]);
    range_negative_step: "{% $range(5, 1, -2) %}", json!({}) => json!([5,3,1]);
    range_single: "{% $range(3, 3, 1) %}", json!({}) => json!([3]);
    range_wrong_direction_empty: "{% $range(5, 1, 1) %}", json!({}) => json!([]);
    hash_md5: "{% $hash('input data', 'MD5') %}", json!({}) => json!("812f45842bc6d66ee14572ce20db8e86");
    hash_sha1: "{% $hash('input data', 'SHA-1') %}", json!({}) => json!("aaff4a450a104cd177d28d18d74485e8cae074b7");
    hash_sha256: "{% $hash('input data', 'SHA-256') %}", json!({}) => json!("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3");
    parse_object: "{% $parse('{\"a\": [1, 2]}') %}", json!({}) => json!({"a": [1, 2]});
    parse_from_input: "{% $parse($states.input.text).x %}", json!({"text": "{\"x\": 7}"}) => json!(7);
    random_seeded_is_stable: "{% $random(42) = $random(42) %}", json!({}) => json!(true);
    random_in_unit_interval: "{% ($r := $random(); $r >= 0 and $r < 1) %}", json!({}) => json!(true);
    random_seeds_differ: "{% $random(1) != $random(2) %}", json!({}) => json!(true);
    uuid_shape: "{% $contains($uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) %}", json!({}) => json!(true);
    uuid_differs: "{% $uuid() != $uuid() %}", json!({}) => json!(true);
    shuffle_keeps_items: "{% $sort($shuffle([1,2,3])) %}", json!({}) => json!([1, 2, 3]);
}

err_cases! {
    undefined_output: "{% $states.input.missing %}" => "The JSONata expression '$states.input.missing' specified for the field 'Output' returned nothing (undefined).";
    undefined_variable: "{% $nope %}" => "returned nothing (undefined)";
    type_error_add: "{% 'a' + 1 %}" => "threw an error during evaluation. T2001:";
    signature_error: "{% $range('0', 4, 1) %}" => "T0410: Argument 1 of function \"range\" does not match function signature";
    partition_size_zero: "{% $partition([1,2], 0) %}" => "The size argument of $partition must be a positive integer";
    partition_size_fraction: "{% $partition([1,2], 1.5) %}" => "must be an integer";
    range_step_zero: "{% $range(0, 4, 0) %}" => "The step argument of $range must not be 0";
    range_fraction: "{% $range(0, 4.5, 1) %}" => "must be an integer";
    range_too_long: "{% $range(0, 100000000, 1) %}" => "would exceed";
    hash_bad_algorithm: "{% $hash('x', 'SHA-3') %}" => "The hash algorithm 'SHA-3' of $hash is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512";
    hash_null: "{% $hash(null, 'MD5') %}" => "must not be null";
    parse_invalid: "{% $parse('{') %}" => "The argument of $parse is not valid JSON";
    parse_too_deep: "{% $parse($join($map([1..200], function(){'['})) & $join($map([1..200], function(){']'}))) %}" => "nested deeper";
    eval_unavailable: "{% $eval('1 + 1') %}" => "$eval is not available";
    deep_recursion: "{% ($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(100000)) %}" => "D1011";
    infinite_loop_ends: "{% ($f := function($n){$f($n + 1)}; $f(0)) %}" => "threw an error during evaluation";
    step_budget: "{% $count($map([1..1000000], function($x){$x})) %}" => "threw an error during evaluation";
    huge_string: "{% $join($map([1..100000], function($x){'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'})) %}" => "threw an error during evaluation";
}

#[test]
fn hash_sha256_matches_intrinsic() {
    let a = out("{% $hash('input data', 'SHA-256') %}", json!({})).unwrap();
    let b = pass(
        json!({"Parameters": {"h.$": "States.Hash('input data', 'SHA-256')"}}),
        json!({}),
    )
    .unwrap();
    assert_eq!(a, b["h"]);
}

#[test]
fn hash_sha384_and_sha512_lengths() {
    let a = out("{% $length($hash('x', 'SHA-384')) %}", json!({})).unwrap();
    let b = out("{% $length($hash('x', 'SHA-512')) %}", json!({})).unwrap();
    assert_eq!((a, b), (json!(96), json!(128)));
}

#[test]
fn deep_result_is_refused_not_crashed() {
    let r = out(
        "{% $reduce([1..200], function($a, $x){{'a': $a}}, {}) %}",
        json!({}),
    );
    let (e, _) = r.unwrap_err();
    assert!(
        e == "States.DataLimitExceeded" || e == "States.QueryEvaluationError",
        "{e}"
    );
}

#[test]
fn random_and_uuid_are_reproducible_per_seed() {
    let a = out("{% [$random(), $uuid()] %}", json!({})).unwrap();
    let b = out("{% [$random(), $uuid()] %}", json!({})).unwrap();
    assert_eq!(a, b);
}

#[test]
fn coalescing_operator_is_a_syntax_error() {
    let msg = invalid(
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $a ?? 1 %}", "End": true}}}),
    );
    assert!(msg.contains("S0211"), "{msg}");
    assert!(msg.contains("at /States/P/Output"), "{msg}");
}

#[test]
fn elvis_operator_is_a_syntax_error() {
    let msg = invalid(
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": {"a": ["{% $a ?: 1 %}"]}, "End": true}}}),
    );
    assert!(msg.contains("S0211"), "{msg}");
    assert!(msg.contains("at /States/P/Output/a[0]"), "{msg}");
}

#[test]
fn undefined_nested_field_names_path() {
    let (e, c) = pass(
        json!({"QueryLanguage": "JSONata", "Output": {"a": [1, {"b": "{% $states.input.x %}"}]}}),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(e, "States.QueryEvaluationError");
    assert_eq!(
        c,
        "An error occurred while executing the state 'P' (entered at the event id #2). The JSONata expression '$states.input.x' specified for the field 'Output/a[1]/b' returned nothing (undefined)."
    );
}
