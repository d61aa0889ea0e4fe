#![allow(dead_code)]
//! Helpers shared by the integration tests.

use eventbus::{EventPattern, PatternError};
use serde_json::Value;

/// Parses `pattern` (must be valid) and matches it against the JSON `event`.
pub fn matches(pattern: &str, event: &str) -> bool {
    let p = EventPattern::parse(pattern)
        .unwrap_or_else(|e| panic!("pattern {pattern} should parse: {e}"));
    let ev: Value = serde_json::from_str(event).expect("test event is JSON");
    p.matches(&ev)
}

/// The error for a pattern that must be rejected.
pub fn error(pattern: &str) -> PatternError {
    match EventPattern::parse(pattern) {
        Ok(_) => panic!("pattern {pattern} should be rejected"),
        Err(e) => e,
    }
}

/// The reason without location.
pub fn detail(pattern: &str) -> String {
    error(pattern).detail().to_owned()
}

/// 1-based column of the character right after the first `needle` in a
/// one-line pattern: where the parser stands once it has read `needle`.
pub fn col_after(pattern: &str, needle: &str) -> usize {
    let at = pattern.find(needle).expect("needle in pattern");
    pattern[..at + needle.len()].chars().count() + 1
}

/// Defines one test per `name: pattern, event => expected` line.
#[macro_export]
macro_rules! match_cases {
    ($($name:ident : $pat:expr, $ev:expr => $want:expr;)*) => {
        $(
            #[test]
            fn $name() {
                assert_eq!(common::matches($pat, $ev), $want, "pattern {} event {}", $pat, $ev);
            }
        )*
    };
}

/// Defines one test per `name: pattern => reason detail` line.
#[macro_export]
macro_rules! error_cases {
    ($($name:ident : $pat:expr => $want:expr;)*) => {
        $(
            #[test]
            fn $name() {
                assert_eq!(common::detail($pat), $want, "pattern {}", $pat);
            }
        )*
    };
}
