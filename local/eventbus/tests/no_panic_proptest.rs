//! Property tests: parsing and matching never panic, whatever the input, and
//! the rule index agrees with matching patterns one by one.
//!
//! Case counts can be raised for a longer run: `PROPTEST_CASES=200000 cargo test --release --test no_panic_proptest`.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use eventbus::{EventPattern, RuleIndex};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Arbitrary JSON values with small keys, so patterns and events overlap.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec!["a", "b", "c", "source", "detail", "$or", "x.y", ""]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1_000_000i64..1_000_000).prop_map(Value::from),
        (-1e10f64..1e10).prop_map(Value::from),
        prop::sample::select(vec!["", "a", "ab", "A", "10.0.0.1", "::1", "x*y", "é"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..5).prop_map(|kv| Value::Object(
                kv.into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

/// Operator objects, valid or not, to exercise every compiler branch.
fn operator() -> impl Strategy<Value = Value> {
    let name = prop::sample::select(vec![
        "prefix",
        "suffix",
        "anything-but",
        "numeric",
        "exists",
        "cidr",
        "equals-ignore-case",
        "wildcard",
        "exactly",
        "bogus",
    ]);
    let arg = prop_oneof![
        json_value(),
        prop::sample::select(vec![
            ">",
            ">=",
            "<",
            "<=",
            "=",
            "10.0.0.0/8",
            "::/64",
            "a**",
            "a\\b",
            "*x*"
        ])
        .prop_map(Value::from),
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(vec![">", "<=", "=", "<"]).prop_map(Value::from),
                (-10i64..10).prop_map(Value::from),
            ],
            0..5
        )
        .prop_map(Value::Array),
    ];
    (name, arg).prop_map(|(n, a)| {
        let mut m = Map::new();
        m.insert(n.to_string(), a);
        Value::Object(m)
    })
}

fn pattern_value() -> impl Strategy<Value = Value> {
    let field_values =
        prop::collection::vec(prop_oneof![json_value(), operator()], 0..4).prop_map(Value::Array);
    let key = prop::sample::select(vec!["a", "b", "source", "detail", "$or", "c"]);
    field_values.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec((key.clone(), inner.clone()), 0..4).prop_map(|kv| Value::Object(
                kv.into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Map<_, _>>()
            )),
            prop::collection::vec(inner, 0..3).prop_map(Value::Array),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(2000)
    ))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = EventPattern::parse(&text);
    }

    #[test]
    fn json_like_text_never_panics(text in r#"[\{\}\[\]",:0-9a-z\-\.\\ e\$]{0,120}"#) {
        if let Ok(p) = EventPattern::parse(&text) {
            let _ = p.matches(&Value::Null);
        }
    }

    #[test]
    fn structured_patterns_never_panic(pattern in pattern_value(), event in json_value()) {
        let text = pattern.to_string();
        match EventPattern::parse(&text) {
            Ok(p) => {
                let _ = p.matches(&event);
            }
            Err(e) => {
                prop_assert!(e.to_string().starts_with("Event pattern is not valid. Reason: "));
            }
        }
    }

    #[test]
    fn index_agrees_with_single_patterns(
        patterns in prop::collection::vec(pattern_value(), 1..8),
        event in json_value(),
    ) {
        let mut index = RuleIndex::new();
        let mut compiled = Vec::new();
        for (i, pv) in patterns.iter().enumerate() {
            if let Ok(p) = EventPattern::parse(&pv.to_string()) {
                index.insert(i, p.clone());
                compiled.push((i, p));
            }
        }
        let mut got: Vec<usize> = index.matching_rules(&event).copied().collect();
        got.sort_unstable();
        let want: Vec<usize> = compiled.iter().filter(|(_, p)| p.matches(&event)).map(|(i, _)| *i).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn deep_nesting_never_panics(depth in 0usize..1500, open in prop::sample::select(vec![r#"{"a":"#, r#"{"$or":[{"a":"#, "[", r#"{"a":["#])) {
        let text = format!("{}{}", open.repeat(depth), "]}".repeat(depth));
        let _ = EventPattern::parse(&text);
    }

    #[test]
    fn exact_string_pattern_matches_its_value(s in ".{0,30}") {
        let pattern = serde_json::json!({"f": [s.clone()]}).to_string();
        let p = EventPattern::parse(&pattern).unwrap();
        let event = serde_json::json!({"f": s});
        prop_assert!(p.matches(&event));
    }

    #[test]
    fn prefix_matches_every_extension(s in "[a-z]{0,8}", rest in "[a-z]{0,8}") {
        let pattern = serde_json::json!({"f": [{"prefix": s.clone()}]}).to_string();
        let p = EventPattern::parse(&pattern).unwrap();
        let event = serde_json::json!({"f": format!("{s}{rest}")});
        prop_assert!(p.matches(&event));
    }

    #[test]
    fn numeric_range_agrees_with_comparison(lo in -1000i64..1000, width in 1i64..100, v in -2000i64..2000) {
        let hi = lo + width;
        let pattern = format!(r#"{{"n": [{{"numeric": [">=", {lo}, "<", {hi}]}}]}}"#);
        let p = EventPattern::parse(&pattern).unwrap();
        prop_assert_eq!(p.matches(&serde_json::json!({"n": v})), v >= lo && v < hi);
    }

    #[test]
    fn wildcard_star_suffix_agrees_with_starts_with(prefix in "[a-c]{0,4}", value in "[a-c]{0,6}") {
        let pattern = serde_json::json!({"f": [{"wildcard": format!("{prefix}*")}]}).to_string();
        let p = EventPattern::parse(&pattern).unwrap();
        prop_assert_eq!(p.matches(&serde_json::json!({"f": value.clone()})), value.starts_with(&prefix));
    }
}
