//! Property tests: no input (definition text, path, intrinsic, execution input) makes the
//! engine panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use asl::intrinsic::Intrinsic;
use asl::path::Path;
use asl::{Command, Definition, Execution, ExecutionStatus};
use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1.0e6f64..1.0e6).prop_map(|f| json!(f)),
        "[a-z$.\\[\\]*0-9 ]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,3}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const PATH_CHARS: &str = "[$a-c.\\[\\]0-9*?@()<>=!&|' ,:\"-]{0,24}";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn path_parse_and_select_never_panic(text in PATH_CHARS, doc in arb_json()) {
        if let Ok(p) = Path::parse(&text) {
            let _ = p.select(&doc);
            let _ = p.exists(&doc);
            let _ = p.normalized();
            if let Ok(r) = Path::parse_reference(&text) {
                let mut d = doc.clone();
                let _ = r.assign(&mut d, json!(1));
            }
        }
    }

    #[test]
    fn dollar_prefixed_paths_never_panic(rest in PATH_CHARS, doc in arb_json()) {
        let text = format!("${rest}");
        if let Ok(p) = Path::parse(&text) {
            let _ = p.select(&doc);
        }
    }

    #[test]
    fn intrinsic_parse_never_panics(args in "[$a-c.'0-9, ()\\\\{}-]{0,30}", name in prop::sample::select(vec![
        "States.Format", "States.StringToJson", "States.JsonToString", "States.Array", "States.ArrayPartition",
        "States.ArrayContains", "States.ArrayRange", "States.ArrayGetItem", "States.ArrayLength", "States.ArrayUnique",
        "States.Base64Encode", "States.Base64Decode", "States.Hash", "States.JsonMerge", "States.MathRandom",
        "States.MathAdd", "States.StringSplit", "States.UUID"])) {
        let _ = Intrinsic::parse(&format!("{name}({args})"));
    }

    #[test]
    fn intrinsics_evaluate_without_panic(
        name in prop::sample::select(vec![
            "States.Format", "States.StringToJson", "States.JsonToString", "States.Array", "States.ArrayPartition",
            "States.ArrayContains", "States.ArrayRange", "States.ArrayGetItem", "States.ArrayLength", "States.ArrayUnique",
            "States.Base64Encode", "States.Base64Decode", "States.Hash", "States.JsonMerge", "States.MathRandom",
            "States.MathAdd", "States.StringSplit"]),
        args in prop::collection::vec(prop::sample::select(vec!["$.a", "$.b", "$.c", "1", "-3", "0", "'x'", "'SHA-256'", "true", "false", "null", "2.5"]), 0..4),
        input in arb_json(),
    ) {
        let expr = format!("{name}({})", args.join(", "));
        if Intrinsic::parse(&expr).is_ok() {
            let mut doc = json!({"a": input, "b": [1, 2, 3], "c": "t,e,x,t"});
            if doc.is_null() { doc = json!({}); }
            let _ = pass(json!({"Parameters": {"r.$": expr}}), doc);
        }
    }

    #[test]
    fn definition_text_never_panics(text in "[{}\\[\\]\":,a-zA-Z$. 0-9]{0,80}") {
        let _ = Definition::parse(&text);
    }

    #[test]
    fn definition_json_never_panics(v in arb_json()) {
        let _ = Definition::from_value(v.clone());
        let _ = Definition::from_value(json!({"StartAt": "A", "States": {"A": v}}));
    }

    #[test]
    fn mutated_states_never_panic(
        ty in prop::sample::select(vec!["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"]),
        field in prop::sample::select(vec!["InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
            "Seconds", "SecondsPath", "Timestamp", "Choices", "Default", "Branches", "ItemProcessor", "ItemsPath",
            "Retry", "Catch", "Error", "CausePath", "Resource", "TimeoutSeconds", "HeartbeatSecondsPath", "Assign", "Next", "End"]),
        v in arb_json(),
    ) {
        let mut s = json!({"Type": ty, "End": true});
        s[field] = v;
        let _ = Definition::from_value(json!({"StartAt": "A", "States": {"A": s}}));
    }

    #[test]
    fn kitchen_sink_definition_runs_on_any_input(input in arb_json()) {
        let d = kitchen_sink();
        let mut ex = Execution::start(Arc::clone(&d), input, ctx(), t0());
        let mut now = t0();
        for _ in 0..50 {
            let cmds = ex.advance(now);
            if ex.status() != ExecutionStatus::Running { break; }
            for c in cmds {
                match c {
                    Command::RunTask(t) => { let _ = ex.task_succeeded(t.task_id, t.parameters.clone(), now); }
                    Command::WakeAt(w) => now = now.max(w),
                    Command::CancelTask { .. } => {}
                }
            }
        }
        prop_assert_ne!(ex.status(), ExecutionStatus::Running);
    }
}

fn kitchen_sink() -> Arc<Definition> {
    def(json!({"StartAt": "Start", "States": {
        "Start": {"Type": "Pass", "Parameters": {"in.$": "$", "name.$": "$$.Execution.Name"}, "Next": "Choose"},
        "Choose": {"Type": "Choice", "Choices": [
            {"Variable": "$.in.a", "IsPresent": true, "Next": "Task"},
            {"And": [{"Variable": "$.in", "IsNumeric": true}, {"Variable": "$.in", "NumericGreaterThan": 0}], "Next": "Wait"}
        ], "Default": "Map"},
        "Task": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"p.$": "$.in.a", "f.$": "States.JsonToString($.in)"},
                 "ResultSelector": {"r.$": "$"}, "ResultPath": "$.t", "TimeoutSecondsPath": "$.in.timeout",
                 "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "Map"}],
                 "Next": "Map"},
        "Wait": {"Type": "Wait", "SecondsPath": "$.in", "Next": "Map"},
        "Map": {"Type": "Map", "ItemsPath": "$.in.items", "MaxConcurrency": 2,
                "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Par"}], "ResultPath": "$.m", "Next": "Par"},
        "Par": {"Type": "Parallel", "Branches": [
            {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "OutputPath": "$.in", "End": true}}},
            {"StartAt": "B2", "States": {"B2": {"Type": "Fail", "ErrorPath": "$.in.err", "Cause": "c"}}}
        ], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}], "Next": "Done"},
        "Done": {"Type": "Succeed"}
    }}))
}

#[test]
fn deeply_nested_filters_are_refused_not_overflowing() {
    let text = format!("$[?({}@.a{})]", "(".repeat(100_000), ")".repeat(100_000));
    assert!(Path::parse(&text).is_err());
    let text = format!("$[?({}@.a)]", "!".repeat(100_000));
    assert!(Path::parse(&text).is_err());
}

#[test]
fn deeply_nested_intrinsics_are_refused_not_overflowing() {
    let text = format!("{}1{}", "States.Array(".repeat(50_000), ")".repeat(50_000));
    assert!(Intrinsic::parse(&text).is_err());
    let ok = format!("{}1{}", "States.Array(".repeat(10), ")".repeat(10));
    assert!(Intrinsic::parse(&ok).is_ok());
}

#[test]
fn deeply_nested_choice_rules_are_bounded_by_json_depth() {
    let mut rule = json!({"Variable": "$.a", "IsNull": true});
    for _ in 0..200 {
        rule = json!({"Not": rule});
    }
    let text = json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "E",
        "Choices": [{"Not": rule, "Next": "E"}]}, "E": {"Type": "Succeed"}}})
    .to_string();
    // serde_json refuses nesting beyond 128 levels: a definition error, not a crash.
    assert!(Definition::parse(&text).is_err());
}

/// Reference wildcard matcher (dynamic programming) for `StringMatches` without escapes.
fn reference_match(v: &[char], p: &[char]) -> bool {
    let mut dp = vec![vec![false; p.len() + 1]; v.len() + 1];
    dp[0][0] = true;
    for j in 1..=p.len() {
        dp[0][j] = dp[0][j - 1] && p[j - 1] == '*';
    }
    for i in 1..=v.len() {
        for j in 1..=p.len() {
            dp[i][j] = if p[j - 1] == '*' {
                dp[i - 1][j] || dp[i][j - 1]
            } else {
                dp[i - 1][j - 1] && p[j - 1] == v[i - 1]
            };
        }
    }
    dp[v.len()][p.len()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn string_matches_agrees_with_reference(value in "[ab]{0,8}", pattern in "[ab*]{0,6}") {
        let v: Vec<char> = value.chars().collect();
        let p: Vec<char> = pattern.chars().collect();
        prop_assert_eq!(asl::choice::string_matches(&value, &pattern), reference_match(&v, &p));
    }

    #[test]
    fn numeric_comparisons_agree_with_f64(a in -1.0e6f64..1.0e6, b in -1.0e6f64..1.0e6) {
        use asl::choice::{Op, compare};
        let (x, y) = (json!(a), json!(b));
        prop_assert_eq!(compare(Op::NumericLessThan, &x, &y), a < b);
        prop_assert_eq!(compare(Op::NumericLessThanEquals, &x, &y), a <= b);
        prop_assert_eq!(compare(Op::NumericGreaterThan, &x, &y), a > b);
        prop_assert_eq!(compare(Op::NumericGreaterThanEquals, &x, &y), a >= b);
        prop_assert_eq!(compare(Op::NumericEquals, &x, &y), a == b);
    }

    #[test]
    fn integer_comparisons_are_exact(a in any::<i64>(), b in any::<i64>()) {
        use asl::choice::{Op, compare};
        prop_assert_eq!(compare(Op::NumericLessThan, &json!(a), &json!(b)), a < b);
        prop_assert_eq!(compare(Op::NumericEquals, &json!(a), &json!(b)), a == b);
    }

    #[test]
    fn string_comparisons_agree_with_utf16_order(a in "\\PC{0,6}", b in "\\PC{0,6}") {
        use asl::choice::{Op, compare};
        let expected = a.encode_utf16().cmp(b.encode_utf16());
        prop_assert_eq!(compare(Op::StringLessThan, &json!(a), &json!(b)), expected.is_lt());
        prop_assert_eq!(compare(Op::StringEquals, &json!(a), &json!(b)), a == b);
    }

    #[test]
    fn result_path_then_select_round_trips(keys in prop::collection::vec("[a-z]{1,4}", 1..4), v in arb_json()) {
        let path = format!("$.{}", keys.join("."));
        let p = Path::parse_reference(&path).unwrap();
        let mut doc = json!({});
        p.assign(&mut doc, v.clone()).unwrap();
        prop_assert_eq!(Path::parse(&path).unwrap().select(&doc).unwrap(), v);
    }
}
