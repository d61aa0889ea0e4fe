//! Limits on the values an execution builds, measured without recursion.
//!
//! Step Functions bounds a payload by size (256 KiB); a value can still be
//! small and very deep (`ResultPath` with 100,000 segments is a 200 KB
//! definition, and a Pass loop wrapping its input one level per turn grows
//! without end). Serialising, cloning, comparing and dropping a
//! `serde_json::Value` recurse once per level, so the engine refuses, with
//! `States.DataLimitExceeded`, any state output, task result, variable or
//! ResultPath placement nested deeper than [`MAX_VALUE_DEPTH`]. Inputs parsed
//! by serde_json are below it already (serde_json refuses more than 127
//! levels), so everything the engine holds, saves and restores stays within a
//! stated depth, and every recursion over a value is bounded by it.

use serde_json::Value;

/// Deepest nesting of arrays and objects an execution may hold.
pub const MAX_VALUE_DEPTH: usize = 128;

/// Nesting depth of `value`: 0 for a scalar, 1 for `{}` or `[1]`, and so on.
/// Iterative: safe on any value.
pub fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(items) => {
                deepest = deepest.max(d + 1);
                stack.extend(items.iter().map(|i| (i, d + 1)));
            }
            Value::Object(map) => {
                deepest = deepest.max(d + 1);
                stack.extend(map.values().map(|i| (i, d + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// Nesting depth of JSON text (brackets outside strings), without parsing it.
/// Used before parsing saved state whose depth a recursive parser must trust.
pub fn text_depth(text: &str) -> usize {
    let mut deepest = 0usize;
    let mut current = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for b in text.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                current += 1;
                deepest = deepest.max(current);
            }
            b']' | b'}' => current = current.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Drops a value of any depth without recursing (serde_json's own drop
/// recurses once per level).
pub fn drop_deep(value: Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_counts_containers() {
        assert_eq!(depth(&json!(1)), 0);
        assert_eq!(depth(&json!({})), 1);
        assert_eq!(depth(&json!({"a": [1, {"b": []}]})), 4);
        assert_eq!(text_depth(r#"{"a": "[[[", "b": [{}]}"#), 3);
        assert_eq!(text_depth(r#""\"[""#), 0);
    }

    #[test]
    fn a_million_levels_are_measured_and_dropped_without_recursion() {
        let mut v = json!(1);
        for _ in 0..1_000_000 {
            v = Value::Array(vec![v]);
        }
        assert_eq!(depth(&v), 1_000_000);
        drop_deep(v);
    }
}
