//! Hostile input for matching: worst cases that must stay polynomial, and a
//! property that the polynomial array-consistency search agrees with trying
//! every combination (on events small enough for that to be cheap).
//!
//! Each case runs under a deadline: it fails when matching runs away, not only
//! when it panics. The deadlines are orders of magnitude above the expected
//! time (see `cargo bench -p eventbus --bench matching -- hostile` for the
//! measured figures); they catch exponential blow-ups, not slowness.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::mpsc;
use std::time::Duration;

use eventbus::{EventPattern, test_event_pattern};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Runs `f` on its own thread and fails the test if it has not returned
/// within `limit`.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(_) => panic!("did not finish within {limit:?}"),
    }
}

/// The case from the hardening issue: six fields in arrays of fourteen
/// elements each, and two fields that only ever sit in different elements of
/// a seventh array. Trying combinations took 40 s on main before the fix and
/// about 14 times longer for each further array.
fn issue_case(arrays: usize) -> (String, String) {
    let (pattern, event) = eventbus::array_consistency_worst_case(arrays);
    (pattern.to_string(), event.to_string())
}

#[test]
fn seven_arrays_of_fourteen_elements_match_at_once() {
    let (pattern, event) = issue_case(6);
    let matched = within(Duration::from_secs(10), move || {
        test_event_pattern(&pattern, &event).unwrap()
    });
    assert!(!matched, "x and y never share an element of g");
}

#[test]
fn more_arrays_do_not_multiply_the_time() {
    // Twenty arrays: 14^20 combinations for a search that tries them.
    let (pattern, event) = issue_case(20);
    let matched = within(Duration::from_secs(10), move || {
        test_event_pattern(&pattern, &event).unwrap()
    });
    assert!(!matched);
}

#[test]
fn a_satisfiable_case_with_many_arrays_matches() {
    let (pattern, _) = issue_case(20);
    let mut event: Value = serde_json::from_str(&issue_case(20).1).unwrap();
    event["detail"]["g"]
        .as_array_mut()
        .unwrap()
        .push(json!({"x": 1, "y": 1}));
    let event = event.to_string();
    let matched = within(Duration::from_secs(10), move || {
        test_event_pattern(&pattern, &event).unwrap()
    });
    assert!(matched);
}

#[test]
fn deeply_nested_arrays_match_within_bounds() {
    // 120 levels of arrays (serde_json refuses more than 128), each level
    // holding the next and a decoy element.
    let mut v = json!({"x": 1, "y": 1});
    for _ in 0..120 {
        v = json!([{"x": 1}, v, {"y": 1}]);
    }
    let event = json!({"a": v}).to_string();
    let matched = within(Duration::from_secs(10), move || {
        let p = EventPattern::parse(r#"{"a": {"x": [1], "y": [1]}}"#).unwrap();
        let event: Value = serde_json::from_str(&event).unwrap();
        p.matches(&event)
    });
    assert!(matched);
}

// ---------------------------------------------------------------------------
// Reference: try every combination.

/// Leaves at `path` with the (array, element) pairs they sit in; an array is
/// named by its address, so every field's walk agrees on the names.
fn leaves(
    value: &Value,
    path: &[&str],
    chain: &mut Vec<(usize, usize)>,
    out: &mut Vec<(Value, Vec<(usize, usize)>)>,
) {
    match value {
        Value::Array(items) => {
            let id = value as *const Value as usize;
            for (i, item) in items.iter().enumerate() {
                chain.push((id, i));
                leaves(item, path, chain, out);
                chain.pop();
            }
        }
        Value::Object(map) => {
            if let Some((first, rest)) = path.split_first()
                && let Some(child) = map.get(*first)
            {
                leaves(child, rest, chain, out);
            }
        }
        leaf => {
            if path.is_empty() {
                out.push((leaf.clone(), chain.clone()));
            }
        }
    }
}

fn consistent(a: &[(usize, usize)], b: &[(usize, usize)]) -> bool {
    a.iter()
        .all(|(arr, i)| b.iter().all(|(arr2, j)| arr != arr2 || i == j))
}

fn pick(options: &[Vec<Vec<(usize, usize)>>], chosen: &mut Vec<Vec<(usize, usize)>>) -> bool {
    let Some((first, rest)) = options.split_first() else {
        return true;
    };
    for c in first {
        if chosen.iter().all(|d| consistent(c, d)) {
            chosen.push(c.clone());
            if pick(rest, chosen) {
                return true;
            }
            chosen.pop();
        }
    }
    false
}

/// Whether one accepted leaf per field can be chosen consistently, by trying
/// every combination.
fn reference(event: &Value, fields: &[(Vec<&str>, Value)]) -> bool {
    let options: Vec<Vec<Vec<(usize, usize)>>> = fields
        .iter()
        .map(|(path, wanted)| {
            let mut out = Vec::new();
            leaves(event, path, &mut Vec::new(), &mut out);
            out.into_iter()
                .filter(|(v, _)| v == wanted)
                .map(|(_, c)| c)
                .collect()
        })
        .collect();
    pick(&options, &mut Vec::new())
}

fn small_event() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec!["a", "b", "c"]);
    let leaf = prop::sample::select(vec![0, 1, 2]).prop_map(Value::from);
    leaf.prop_recursive(4, 40, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..4).prop_map(|kv| Value::Object(
                kv.into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

fn small_fields() -> impl Strategy<Value = Vec<(Vec<&'static str>, Value)>> {
    let path = prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..4);
    prop::collection::btree_map(path, 0..3i64, 1..4).prop_map(|m| {
        m.into_iter()
            .map(|(p, v)| (p, Value::from(v)))
            .collect::<Vec<_>>()
    })
}

/// The pattern for `fields`, nesting objects along each path. Paths that are
/// a prefix of another are skipped (a pattern field cannot be both a value
/// list and an object).
fn pattern_for(fields: &[(Vec<&str>, Value)]) -> Option<String> {
    let mut root = Map::new();
    for (path, value) in fields {
        let mut node = &mut root;
        let (last, init) = path.split_last()?;
        for seg in init {
            let entry = node
                .entry((*seg).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            node = entry.as_object_mut()?;
        }
        if node.contains_key(*last) {
            return None;
        }
        node.insert((*last).to_owned(), json!([value]));
    }
    Some(Value::Object(root).to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn polynomial_search_agrees_with_every_combination(
        event in small_event(),
        fields in small_fields(),
    ) {
        let Some(pattern) = pattern_for(&fields) else { return Ok(()); };
        let Ok(compiled) = EventPattern::parse(&pattern) else { return Ok(()); };
        let event = json!({"a": event.clone(), "b": event});
        prop_assert_eq!(compiled.matches(&event), reference(&event, &fields), "pattern {}", pattern);
    }
}

#[test]
fn too_many_wildcards_are_refused_with_the_reason_aws_gives() {
    let value = "*a".repeat(60);
    let pattern = json!({"detail": {"name": [{"wildcard": value}]}}).to_string();
    let err = EventPattern::parse(&pattern).unwrap_err();
    assert_eq!(err.detail(), eventbus::TOO_COMPLEX_WILDCARDS);
    assert_eq!(
        err.to_string(),
        "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"
    );
    // The same through anything-but, spread over several values.
    let many: Vec<String> = (0..40).map(|i| format!("*x{i}*")).collect();
    let pattern = json!({"detail": {"name": [{"anything-but": {"wildcard": many}}]}}).to_string();
    assert_eq!(
        EventPattern::parse(&pattern).unwrap_err().detail(),
        eventbus::TOO_COMPLEX_WILDCARDS
    );
}

#[test]
fn repeating_sequences_after_a_wildcard_count_against_the_limit() {
    // 10 stars: fine. The same text repeated after one star keeps many
    // positions active at once and is refused.
    let ok = json!({"a": [{"wildcard": "*x*y*z*arn:aws:*:*:*/*.png"}]}).to_string();
    assert!(EventPattern::parse(&ok).is_ok());
    let repeated = format!("*{}", "a".repeat(120));
    let bad = json!({"a": [{"wildcard": repeated}]}).to_string();
    assert_eq!(
        EventPattern::parse(&bad).unwrap_err().detail(),
        eventbus::TOO_COMPLEX_WILDCARDS
    );
}

#[test]
fn a_long_wildcard_against_a_long_value_is_quick() {
    // Wildcards are matched piece by piece (no backtracking): a value of
    // 250,000 characters against the longest wildcard the limit allows.
    let value = format!("*{}*b", "a".repeat(90));
    let pattern = json!({"s": [{"wildcard": value}]}).to_string();
    let event = json!({"s": "a".repeat(250_000)});
    let matched = within(Duration::from_secs(10), move || {
        EventPattern::parse(&pattern).unwrap().matches(&event)
    });
    assert!(!matched);
}
