//! Malformed JSON: the pattern parser's own messages, with locations.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::error;

const VALUES: &str = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

fn detail(p: &str) -> String {
    error(p).detail().to_owned()
}

#[test]
fn trailing_comma_in_array() {
    assert_eq!(
        detail(r#"{"a": ["x",]}"#),
        format!("Unexpected character (']' (code 93)): expected a valid value {VALUES}")
    );
}

#[test]
fn trailing_comma_in_object() {
    assert_eq!(
        detail(r#"{"a": ["x"],}"#),
        "Unexpected character ('}' (code 125)): was expecting double-quote to start field name"
    );
}

#[test]
fn unquoted_field_name() {
    assert_eq!(
        detail(r#"{a: ["x"]}"#),
        "Unexpected character ('a' (code 97)): was expecting double-quote to start field name"
    );
}

#[test]
fn missing_colon() {
    assert_eq!(
        detail(r#"{"a" ["x"]}"#),
        "Unexpected character ('[' (code 91)): was expecting a colon to separate field name and value"
    );
}

#[test]
fn missing_comma_in_array() {
    assert_eq!(
        detail(r#"{"a": ["x" "y"]}"#),
        "Unexpected character ('\"' (code 34)): was expecting comma to separate Array entries"
    );
}

#[test]
fn missing_comma_in_object() {
    assert_eq!(
        detail(r#"{"a": ["x"] "b": ["y"]}"#),
        "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries"
    );
}

#[test]
fn unclosed_object() {
    let p = r#"{"a": ["x"]"#;
    assert_eq!(
        detail(p),
        format!(
            "Unexpected end-of-input: expected close marker for Object (start marker at [Source: (String)\"{}\"; line: 1, column: 1])",
            p.replace('"', "\\\"").replace("\\\"", "\"")
        )
    );
}

#[test]
fn unclosed_array() {
    let p = r#"{"a": ["x""#;
    assert_eq!(
        detail(p),
        format!(
            "Unexpected end-of-input: expected close marker for Array (start marker at [Source: (String)\"{p}\"; line: 1, column: 7])"
        )
    );
}

#[test]
fn mismatched_close_marker() {
    let p = r#"{"a": ["x"]]"#;
    assert_eq!(
        detail(p),
        format!(
            "Unexpected close marker ']': expected '}}' (for Object starting at [Source: (String)\"{p}\"; line: 1, column: 1])"
        )
    );
}

#[test]
fn misspelled_literal() {
    assert_eq!(
        detail(r#"{"a": [tru]}"#),
        format!("Unrecognized token 'tru': was expecting {VALUES}")
    );
}

#[test]
fn bare_word() {
    assert_eq!(
        detail(r#"{"a": [abc]}"#),
        format!("Unrecognized token 'abc': was expecting {VALUES}")
    );
}

#[test]
fn literal_with_trailing_letters() {
    assert_eq!(
        detail(r#"{"a": [nullx]}"#),
        format!("Unrecognized token 'nullx': was expecting {VALUES}")
    );
}

#[test]
fn bad_escape() {
    assert_eq!(
        detail(r#"{"a": ["\q"]}"#),
        "Unrecognized character escape 'q' (code 113)"
    );
}

#[test]
fn bad_unicode_escape() {
    assert_eq!(
        detail(r#"{"a": ["\u12G4"]}"#),
        "Unexpected character ('G' (code 71)): expected a hex-digit for character escape sequence"
    );
}

#[test]
fn control_character_in_string() {
    assert_eq!(
        detail("{\"a\": [\"x\ny\"]}"),
        "Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to be included in string value"
    );
}

#[test]
fn leading_zero() {
    assert_eq!(
        detail(r#"{"a": [01]}"#),
        "Invalid numeric value: Leading zeroes not allowed"
    );
}

#[test]
fn minus_without_digit() {
    assert_eq!(
        detail(r#"{"a": [-x]}"#),
        "Unexpected character ('x' (code 120)) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value"
    );
}

#[test]
fn decimal_point_without_digit() {
    assert_eq!(
        detail(r#"{"a": [1.]}"#),
        "Unexpected character (']' (code 93)) in numeric value: Decimal point not followed by a digit"
    );
}

#[test]
fn exponent_without_digit() {
    assert_eq!(
        detail(r#"{"a": [1e]}"#),
        "Unexpected character (']' (code 93)) in numeric value: Exponent indicator not followed by a digit"
    );
}

#[test]
fn unexpected_character_as_value() {
    assert_eq!(
        detail(r#"{"a": [#]}"#),
        format!("Unexpected character ('#' (code 35)): expected a valid value {VALUES}")
    );
}

#[test]
fn non_latin_character_description() {
    assert_eq!(
        detail(r#"{"a": [€]}"#),
        format!("Unexpected character ('€' (code 8364 / 0x20ac)): expected a valid value {VALUES}")
    );
}

#[test]
fn unterminated_string() {
    assert_eq!(
        detail(r#"{"a": ["x"#),
        "Unexpected end-of-input: was expecting closing quote for a string value"
    );
}

#[test]
fn syntax_error_location_is_after_the_offending_character() {
    let p = r#"{"a": ["x" "y"]}"#;
    assert_eq!(error(p).location().map(|l| l.column), Some(13));
}

#[test]
fn unterminated_field_name() {
    assert_eq!(
        detail(r#"{"ab"#),
        "Unexpected end-of-input: was expecting closing '\"' for name"
    );
}

#[test]
fn nesting_deeper_than_1000_is_rejected() {
    let deep = format!("{}{}", r#"{"a":"#.repeat(1001), "}".repeat(1001));
    assert_eq!(
        detail(&deep),
        "Document nesting depth (1001) exceeds the maximum allowed (1000, from `StreamReadConstraints.getMaxNestingDepth()`)"
    );
}

#[test]
fn nesting_of_1000_is_parsed() {
    // 999 objects and the value array: depth 1000, the most allowed.
    let p = format!(
        "{}{}{}",
        r#"{"a":"#.repeat(998),
        r#"{"b":["x"]}"#,
        "}".repeat(998)
    );
    let pattern = eventbus::EventPattern::parse(&p).unwrap();
    assert_eq!(pattern.field_paths()[0].len(), 998 * 2 + 1);
    let one_more = format!(
        "{}{}{}",
        r#"{"a":"#.repeat(999),
        r#"{"b":["x"]}"#,
        "}".repeat(999)
    );
    assert!(detail(&one_more).starts_with("Document nesting depth (1001)"));
}

#[test]
fn close_marker_at_root() {
    assert_eq!(
        detail("]"),
        "Unexpected close marker ']': expected '}' (for root starting at [Source: (String)\"]\"; line: 1, column: 0])"
    );
}
