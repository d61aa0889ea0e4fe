//! Intrinsic functions, with the developer guide's examples.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use asl::intrinsic::Intrinsic;
use common::*;
use serde_json::{Value, json};

/// Evaluates `expr` as the value of `"r.$"` in a Pass state's Parameters.
fn call(expr: &str, input: Value) -> Result<Value, (String, String)> {
    pass(json!({"Parameters": {"r.$": expr}}), input).map(|v| v["r"].clone())
}

fn ok(expr: &str, input: Value) -> Value {
    call(expr, input).unwrap()
}

fn err(expr: &str, input: Value) -> (String, String) {
    call(expr, input).unwrap_err()
}

#[test]
fn format_guide_example() {
    assert_eq!(
        ok(
            "States.Format('Hello, my name is {}.', $.name)",
            json!({"name": "Arnav"})
        ),
        json!("Hello, my name is Arnav.")
    );
}

#[test]
fn format_several_placeholders_and_types() {
    assert_eq!(
        ok(
            "States.Format('{} {} {} {}', $.s, $.n, $.b, $.z)",
            json!({"s": "x", "n": 1.5, "b": true, "z": null})
        ),
        json!("x 1.5 true null")
    );
}

#[test]
fn format_escaped_braces_are_literal() {
    assert_eq!(
        ok("States.Format('\\{\\} {}', 'v')", json!({})),
        json!("{} v")
    );
}

#[test]
fn format_escaped_quote() {
    assert_eq!(
        ok("States.Format('it\\'s {}', 'me')", json!({})),
        json!("it's me")
    );
}

#[test]
fn format_too_few_arguments_fails() {
    assert_eq!(
        err("States.Format('{} {}', 'a')", json!({})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn format_too_many_arguments_fails() {
    assert_eq!(
        err("States.Format('{}', 'a', 'b')", json!({})).0,
        "States.IntrinsicFailure"
    );
}

/// Recorded against Step Functions: an object or array argument is written the way Java writes a
/// Map or a List, strings inside without quotes, members in their order.
#[test]
fn format_writes_objects_and_arrays_as_java_does() {
    assert_eq!(
        ok(
            "States.Format('{}', $.o)",
            json!({"o": {"Arg1": 1, "Arg2": []}})
        ),
        json!("{Arg1=1, Arg2=[]}")
    );
    assert_eq!(
        ok(
            "States.Format('list: {}', $.a)",
            json!({"a": [1, "two", true, null]})
        ),
        json!("list: [1, two, true, null]")
    );
    assert_eq!(
        ok(
            "States.Format('{} and {}', $.o, $.e)",
            json!({"o": {"z": {"y": [{"x": "w"}]}, "a": 2.5}, "e": {}})
        ),
        json!("{z={y=[{x=w}]}, a=2.5} and {}")
    );
}

#[test]
fn format_with_context_object() {
    assert_eq!(
        ok("States.Format('run-{}', $$.Execution.Name)", json!({})),
        json!("run-exec-1")
    );
}

#[test]
fn string_to_json_guide_example() {
    assert_eq!(
        ok(
            "States.StringToJson($.someString)",
            json!({"someString": "{\"number\": 20}"})
        ),
        json!({"number": 20})
    );
}

/// Recorded against Step Functions: the empty string is `null`.
#[test]
fn string_to_json_of_the_empty_string_is_null() {
    assert_eq!(
        ok("States.StringToJson($.s)", json!({"s": ""})),
        Value::Null
    );
    assert_eq!(ok("States.StringToJson('')", json!({})), Value::Null);
}

#[test]
fn string_to_json_invalid_fails() {
    assert_eq!(
        err("States.StringToJson($.s)", json!({"s": "{nope"})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn json_to_string_guide_example() {
    assert_eq!(
        ok(
            "States.JsonToString($.someJson)",
            json!({"someJson": {"name": "Foo", "year": 2020}})
        ),
        json!("{\"name\":\"Foo\",\"year\":2020}")
    );
}

#[test]
fn array_guide_example() {
    assert_eq!(
        ok(
            "States.Array('Foo', 2020, $.someJson, null)",
            json!({"someJson": {"random": "abcdefg"}})
        ),
        json!(["Foo", 2020, {"random": "abcdefg"}, null])
    );
}

#[test]
fn array_empty() {
    assert_eq!(ok("States.Array()", json!({})), json!([]));
}

#[test]
fn array_partition_guide_example() {
    assert_eq!(
        ok(
            "States.ArrayPartition($.inputArray, 4)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]})
        ),
        json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]])
    );
}

#[test]
fn array_partition_zero_size_fails() {
    assert_eq!(
        err("States.ArrayPartition($.a, 0)", json!({"a": [1]})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn array_contains_guide_example() {
    assert_eq!(
        ok(
            "States.ArrayContains($.inputArray, $.lookingFor)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "lookingFor": 5})
        ),
        json!(true)
    );
}

#[test]
fn array_contains_absent() {
    assert_eq!(
        ok("States.ArrayContains($.a, 'z')", json!({"a": ["x"]})),
        json!(false)
    );
}

#[test]
fn array_contains_objects() {
    assert_eq!(
        ok(
            "States.ArrayContains($.a, $.o)",
            json!({"a": [{"k": 1}], "o": {"k": 1}})
        ),
        json!(true)
    );
}

#[test]
fn array_range_guide_example() {
    assert_eq!(
        ok("States.ArrayRange(1, 9, 2)", json!({})),
        json!([1, 3, 5, 7, 9])
    );
}

#[test]
fn array_range_descending() {
    assert_eq!(
        ok("States.ArrayRange(5, 1, -2)", json!({})),
        json!([5, 3, 1])
    );
}

#[test]
fn array_range_step_zero_fails() {
    assert_eq!(
        err("States.ArrayRange(1, 5, 0)", json!({})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn array_range_over_1000_items_fails() {
    assert_eq!(
        err("States.ArrayRange(1, 2000, 1)", json!({})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn array_range_exactly_1000_items() {
    let v = ok("States.ArrayRange(1, 1000, 1)", json!({}));
    assert_eq!(v.as_array().unwrap().len(), 1000);
}

#[test]
fn array_get_item_guide_example() {
    assert_eq!(
        ok(
            "States.ArrayGetItem($.inputArray, $.index)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "index": 5})
        ),
        json!(6)
    );
}

#[test]
fn array_get_item_out_of_bounds_fails() {
    assert_eq!(
        err("States.ArrayGetItem($.a, 3)", json!({"a": [1]})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn array_length_guide_example() {
    assert_eq!(
        ok(
            "States.ArrayLength($.inputArray)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]})
        ),
        json!(9)
    );
}

#[test]
fn array_length_of_non_array_fails() {
    assert_eq!(
        err("States.ArrayLength($.a)", json!({"a": "x"})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn array_unique_guide_example() {
    assert_eq!(
        ok(
            "States.ArrayUnique($.inputArray)",
            json!({"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]})
        ),
        json!([1, 2, 3, 4])
    );
}

#[test]
fn base64_encode_guide_example() {
    assert_eq!(
        ok(
            "States.Base64Encode($.input)",
            json!({"input": "Data to encode"})
        ),
        json!("RGF0YSB0byBlbmNvZGU=")
    );
}

#[test]
fn base64_decode_guide_example() {
    assert_eq!(
        ok(
            "States.Base64Decode($.base64)",
            json!({"base64": "RGF0YSB0byBlbmNvZGU="})
        ),
        json!("Data to encode")
    );
}

#[test]
fn base64_decode_invalid_fails() {
    assert_eq!(
        err("States.Base64Decode('***')", json!({})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn base64_encode_over_10000_chars_fails() {
    let s = "a".repeat(10_001);
    assert_eq!(
        err("States.Base64Encode($.s)", json!({"s": s})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn hash_guide_example_sha1() {
    assert_eq!(
        ok(
            "States.Hash($.Data, $.Algorithm)",
            json!({"Data": "input data", "Algorithm": "SHA-1"})
        ),
        json!("aaff4a450a104cd177d28d18d74485e8cae074b7")
    );
}

#[test]
fn hash_md5() {
    assert_eq!(
        ok("States.Hash('abc', 'MD5')", json!({})),
        json!("900150983cd24fb0d6963f7d28e17f72")
    );
}

#[test]
fn hash_sha256() {
    assert_eq!(
        ok("States.Hash('abc', 'SHA-256')", json!({})),
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
}

#[test]
fn hash_sha384_and_sha512_lengths() {
    assert_eq!(
        ok("States.Hash('abc', 'SHA-384')", json!({}))
            .as_str()
            .unwrap()
            .len(),
        96
    );
    assert_eq!(
        ok("States.Hash('abc', 'SHA-512')", json!({}))
            .as_str()
            .unwrap()
            .len(),
        128
    );
}

#[test]
fn hash_unknown_algorithm_fails() {
    assert_eq!(
        err("States.Hash('abc', 'SHA-999')", json!({})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn json_merge_guide_example_shallow() {
    assert_eq!(
        ok(
            "States.JsonMerge($.json1, $.json2, false)",
            json!({"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}})
        ),
        json!({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3})
    );
}

#[test]
fn json_merge_non_object_fails() {
    assert_eq!(
        err(
            "States.JsonMerge($.a, $.b, false)",
            json!({"a": 1, "b": {}})
        )
        .0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn math_add_guide_example() {
    assert_eq!(
        ok(
            "States.MathAdd($.value1, $.step)",
            json!({"value1": 111, "step": -1})
        ),
        json!(110)
    );
}

/// Recorded against Step Functions: non-integer arguments are accepted, each rounded as Java's
/// `Math.round` rounds (half up: 1.5 -> 2, -1.5 -> -1) before the sum.
#[test]
fn math_add_rounds_non_integers_half_up() {
    for (a, b, sum) in [
        (json!(1.5), json!(1), 3),
        (json!(-1.5), json!(0), -1),
        (json!(2.5), json!(-2.5), 1),
        (json!(0.49), json!(0.5), 1),
        (json!(-0.5), json!(-0.51), -1),
        (json!(10.2), json!(-3.7), 6),
    ] {
        assert_eq!(
            ok("States.MathAdd($.a, $.b)", json!({"a": a, "b": b})),
            json!(sum),
            "{a} + {b}"
        );
    }
    assert_eq!(ok("States.MathAdd(1.5, 1)", json!({})), json!(3));
    assert_eq!(
        err("States.MathAdd($.a, 1)", json!({"a": "1"})).0,
        "States.IntrinsicFailure"
    );
}

/// Recorded against Step Functions: non-integer bounds are accepted.
#[test]
fn math_random_takes_non_integer_bounds() {
    let n = ok("States.MathRandom($.s, $.e)", json!({"s": 1.2, "e": 4.6}))
        .as_i64()
        .unwrap();
    assert!((1..5).contains(&n), "{n}");
}

#[test]
fn math_random_is_in_range_and_deterministic() {
    let a = ok(
        "States.MathRandom($.start, $.end)",
        json!({"start": 1, "end": 999}),
    );
    let b = ok(
        "States.MathRandom($.start, $.end)",
        json!({"start": 1, "end": 999}),
    );
    let n = a.as_i64().unwrap();
    assert!((1..999).contains(&n));
    assert_eq!(a, b, "same seed, same execution: same number");
}

#[test]
fn math_random_with_seed_is_reproducible() {
    let a = ok("States.MathRandom(0, 100, 42)", json!({}));
    let b = ok("States.MathRandom(0, 100, 42)", json!({}));
    assert_eq!(a, b);
}

#[test]
fn string_split_guide_example() {
    assert_eq!(
        ok(
            "States.StringSplit($.inputString, $.splitter)",
            json!({"inputString": "1,2,3,4,5", "splitter": ","})
        ),
        json!(["1", "2", "3", "4", "5"])
    );
}

#[test]
fn string_split_multiple_delimiters_guide_example() {
    assert_eq!(
        ok(
            "States.StringSplit($.inputString, $.splitter)",
            json!({"inputString": "This.is+a,test=string", "splitter": ".+,="})
        ),
        json!(["This", "is", "a", "test", "string"])
    );
}

#[test]
fn uuid_has_v4_shape() {
    let v = ok("States.UUID()", json!({}));
    let s = v.as_str().unwrap();
    assert_eq!(s.len(), 36);
    assert_eq!(&s[14..15], "4");
    assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"));
}

#[test]
fn nested_calls() {
    assert_eq!(
        ok(
            "States.ArrayLength(States.StringSplit($.s, ','))",
            json!({"s": "a,b,c"})
        ),
        json!(3)
    );
}

#[test]
fn format_with_nested_json_to_string() {
    assert_eq!(
        ok(
            "States.Format('v={}', States.JsonToString($.o))",
            json!({"o": {"a": 1}})
        ),
        json!("v={\"a\":1}")
    );
}

#[test]
fn path_argument_missing_is_runtime_error() {
    assert_eq!(
        err("States.ArrayLength($.nope)", json!({})).0,
        "States.Runtime"
    );
}

#[test]
fn parse_rejects_unknown_function() {
    assert!(Intrinsic::parse("States.Nope(1)").is_err());
}

#[test]
fn parse_rejects_wrong_arity() {
    assert!(Intrinsic::parse("States.ArrayLength()").is_err());
    assert!(Intrinsic::parse("States.UUID(1)").is_err());
    assert!(Intrinsic::parse("States.ArrayRange(1, 2)").is_err());
    assert!(Intrinsic::parse("States.MathRandom(1)").is_err());
}

#[test]
fn parse_rejects_trailing_text() {
    assert!(Intrinsic::parse("States.UUID() x").is_err());
    assert!(Intrinsic::parse("States.Array(1").is_err());
}

#[test]
fn invalid_intrinsic_is_a_definition_error() {
    let msg = invalid(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
        "Parameters": {"x.$": "States.Nope()"}}}}),
    );
    assert_eq!(
        msg,
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call at /States/P/Parameters/x.$'"
    );
}

#[test]
fn intrinsic_in_result_selector() {
    let out = task(
        json!({"ResultSelector": {"n.$": "States.ArrayLength($.items)"}}),
        json!({}),
        json!({"items": [1, 2]}),
    )
    .unwrap();
    assert_eq!(out, json!({"n": 2}));
}

#[test]
fn json_merge_deep_true_merges_nested_objects() {
    assert_eq!(
        ok(
            "States.JsonMerge($.a, $.b, true)",
            json!({"a": {"x": {"p": 1}, "k": 1}, "b": {"x": {"q": 2}}})
        ),
        json!({"x": {"p": 1, "q": 2}, "k": 1})
    );
}

#[test]
fn json_merge_third_argument_must_be_boolean() {
    assert_eq!(
        err("States.JsonMerge($.a, $.a, 'no')", json!({"a": {}})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn array_unique_keeps_first_occurrence_of_objects() {
    assert_eq!(
        ok(
            "States.ArrayUnique($.a)",
            json!({"a": [{"k": 1}, "x", {"k": 1}, "x", 1.0, 1]})
        ),
        json!([{"k": 1}, "x", 1.0])
    );
}

#[test]
fn string_split_with_empty_delimiter_keeps_the_string() {
    assert_eq!(
        ok("States.StringSplit('abc', '')", json!({})),
        json!(["abc"])
    );
}

#[test]
fn string_split_drops_empty_tokens() {
    assert_eq!(
        ok("States.StringSplit('a,,b,', ',')", json!({})),
        json!(["a", "b"])
    );
}

#[test]
fn math_add_overflow_fails() {
    assert_eq!(
        err("States.MathAdd(9223372036854775807, 1)", json!({})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn math_add_accepts_integral_floats() {
    assert_eq!(ok("States.MathAdd($.a, 1)", json!({"a": 2.0})), json!(3));
}

#[test]
fn math_random_end_must_exceed_start() {
    assert_eq!(
        err("States.MathRandom(5, 5)", json!({})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn base64_round_trip_utf8() {
    assert_eq!(
        ok(
            "States.Base64Decode(States.Base64Encode('héllo ✓'))",
            json!({})
        ),
        json!("héllo ✓")
    );
}

#[test]
fn base64_decode_to_invalid_utf8_fails() {
    // 0xff 0xfe is not UTF-8.
    assert_eq!(
        err("States.Base64Decode('//4=')", json!({})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn hash_of_a_number_hashes_its_json_text() {
    assert_eq!(
        ok("States.Hash($.n, 'MD5')", json!({"n": 1})),
        ok("States.Hash('1', 'MD5')", json!({}))
    );
}

#[test]
fn array_get_item_negative_index_fails() {
    assert_eq!(
        err("States.ArrayGetItem($.a, -1)", json!({"a": [1]})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn array_contains_first_argument_must_be_array() {
    assert_eq!(
        err("States.ArrayContains('x', 'x')", json!({})).0,
        "States.IntrinsicFailure"
    );
}

#[test]
fn format_reads_variables() {
    let d = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"who": "world"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"m.$": "States.Format('hello {}', $who)"}, "End": true}}});
    assert_eq!(run(d, json!({})).ok(), json!({"m": "hello world"}));
}

#[test]
fn intrinsic_failure_cause_names_state_and_function() {
    let (e, c) = err("States.ArrayGetItem($.a, 3)", json!({"a": [1]}));
    assert_eq!(e, "States.IntrinsicFailure");
    assert!(c.starts_with("An error occurred while executing the state 'P' (entered at the event id #2). The function 'States.ArrayGetItem($.a, 3)'"), "{c}");
}
