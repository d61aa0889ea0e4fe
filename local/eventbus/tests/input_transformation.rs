//! Target input: whole event, Input, InputPath, InputTransformer.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use eventbus::input::{InputTransformerSpec, JsonPath, RenderError, RuleContext, TargetInput};
use serde_json::{Value, json};

fn event() -> Value {
    json!({
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": "123456789012",
        "time": "2015-11-11T21:29:54Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "count": 3, "tags": ["a", "b"], "meta": {"k": "v"}}
    })
}

fn ctx() -> RuleContext<'static> {
    RuleContext {
        name: "example",
        arn: "arn:aws:events:us-east-2:123456789012:rule/example",
        ingestion_time: Utc.with_ymd_and_hms(2015, 11, 11, 21, 29, 55).unwrap(),
    }
}

fn transformer(paths: &[(&str, &str)], template: &str) -> TargetInput {
    let map: BTreeMap<String, String> = paths
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    TargetInput::from_parts(
        "t1",
        None,
        None,
        Some(&InputTransformerSpec {
            input_paths_map: Some(map),
            input_template: template.into(),
        }),
    )
    .unwrap()
}

fn render(t: &TargetInput) -> String {
    t.render(&event(), &ctx()).unwrap()
}

const DOC_PATHS: &[(&str, &str)] = &[
    ("timestamp", "$.time"),
    ("instance", "$.detail.instance-id"),
    ("state", "$.detail.state"),
];

#[test]
fn whole_event_by_default() {
    let t = TargetInput::from_parts("t1", None, None, None).unwrap();
    assert_eq!(t, TargetInput::Event);
    assert_eq!(render(&t), event().to_string());
}

#[test]
fn constant_input_is_passed_as_given() {
    let t = TargetInput::from_parts("t1", Some("{\"a\": 1}"), None, None).unwrap();
    assert_eq!(render(&t), "{\"a\": 1}");
}

#[test]
fn constant_input_must_be_json() {
    let e = TargetInput::from_parts("t1", Some("not json"), None, None).unwrap_err();
    assert_eq!(e.error_code(), "ValidationException");
}

#[test]
fn input_path_selects_part_of_event() {
    let t = TargetInput::from_parts("t1", None, Some("$.detail"), None).unwrap();
    assert_eq!(render(&t), event()["detail"].to_string());
}

#[test]
fn input_path_to_string_is_json_string() {
    let t = TargetInput::from_parts("t1", None, Some("$.detail.state"), None).unwrap();
    assert_eq!(render(&t), "\"RUNNING\"");
}

#[test]
fn input_path_root() {
    let t = TargetInput::from_parts("t1", None, Some("$"), None).unwrap();
    assert_eq!(render(&t), event().to_string());
}

#[test]
fn input_path_array_index() {
    let t = TargetInput::from_parts("t1", None, Some("$.resources[0]"), None).unwrap();
    assert_eq!(
        render(&t),
        "\"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111\""
    );
}

#[test]
fn input_path_bracket_key() {
    let t = TargetInput::from_parts("t1", None, Some("$['detail']['instance-id']"), None).unwrap();
    assert_eq!(render(&t), "\"i-0123456789\"");
}

#[test]
fn input_path_missing_is_an_error() {
    let t = TargetInput::from_parts("t1", None, Some("$.detail.nothing"), None).unwrap();
    assert_eq!(
        t.render(&event(), &ctx()),
        Err(RenderError::PathNotFound("$.detail.nothing".into()))
    );
}

#[test]
fn input_path_must_start_with_dollar() {
    assert!(TargetInput::from_parts("t1", None, Some("detail"), None).is_err());
}

#[test]
fn input_path_rejects_bad_syntax() {
    for bad in ["$.", "$..a", "$[", "$[x]", "$.a[1", "$a"] {
        assert!(JsonPath::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn only_one_input_kind() {
    let spec = InputTransformerSpec {
        input_paths_map: None,
        input_template: "\"x\"".into(),
    };
    let e = TargetInput::from_parts("t1", Some("{}"), Some("$"), None).unwrap_err();
    assert_eq!(e.error_code(), "ValidationException");
    assert!(TargetInput::from_parts("t1", Some("{}"), None, Some(&spec)).is_err());
    assert!(TargetInput::from_parts("t1", None, Some("$"), Some(&spec)).is_err());
}

#[test]
fn doc_simple_string() {
    let t = transformer(DOC_PATHS, r#""instance <instance> is in <state>""#);
    assert_eq!(render(&t), r#""instance i-0123456789 is in RUNNING""#);
}

#[test]
fn doc_string_with_escaped_quotes() {
    let t = transformer(DOC_PATHS, r#""instance \"<instance>\" is in <state>""#);
    assert_eq!(render(&t), r#""instance \"i-0123456789\" is in RUNNING""#);
}

#[test]
fn doc_simple_json() {
    let t = transformer(
        DOC_PATHS,
        "{\n  \"instance\" : <instance>,\n  \"state\": <state>\n}",
    );
    assert_eq!(
        render(&t),
        r#"{"instance":"i-0123456789","state":"RUNNING"}"#
    );
}

#[test]
fn doc_json_with_strings_and_variables() {
    let t = transformer(
        DOC_PATHS,
        r#"{ "instance" : <instance>, "state": "<state>", "instanceStatus": "instance \"<instance>\" is in <state>" }"#,
    );
    assert_eq!(
        render(&t),
        r#"{"instance":"i-0123456789","state":"RUNNING","instanceStatus":"instance \"i-0123456789\" is in RUNNING"}"#
    );
}

#[test]
fn doc_json_mix_of_variables_and_static() {
    let t = transformer(
        DOC_PATHS,
        r#"{ "instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes" }"#,
    );
    assert_eq!(
        render(&t),
        r#"{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}"#
    );
}

#[test]
fn doc_reserved_variables_in_json() {
    let t = transformer(
        DOC_PATHS,
        r#"{ "instance" : <instance>, "ruleArn" : <aws.events.rule-arn>, "ruleName" : <aws.events.rule-name>, "originalEvent" : <aws.events.event> }"#,
    );
    let out: Value = serde_json::from_str(&render(&t)).unwrap();
    assert_eq!(
        out["ruleArn"],
        json!("arn:aws:events:us-east-2:123456789012:rule/example")
    );
    assert_eq!(out["ruleName"], json!("example"));
    assert_eq!(out["originalEvent"], event());
}

#[test]
fn doc_reserved_variable_in_string() {
    let t = transformer(&[], r#""<aws.events.rule-name> triggered""#);
    assert_eq!(render(&t), r#""example triggered""#);
}

#[test]
fn ingestion_time_variable() {
    let t = transformer(&[], r#"{"at": <aws.events.event.ingestion-time>}"#);
    assert_eq!(render(&t), r#"{"at":"2015-11-11T21:29:55Z"}"#);
}

#[test]
fn event_json_variable_outside_string_is_a_json_string() {
    let t = transformer(&[], r#"{"raw": <aws.events.event.json>}"#);
    let out: Value = serde_json::from_str(&render(&t)).unwrap();
    assert_eq!(out["raw"], Value::String(event().to_string()));
}

#[test]
fn event_json_variable_inside_string_is_escaped() {
    let t = transformer(&[], r#"{"raw": "<aws.events.event.json>"}"#);
    let out: Value = serde_json::from_str(&render(&t)).unwrap();
    assert_eq!(out["raw"], Value::String(event().to_string()));
}

#[test]
fn number_variable_outside_string() {
    let t = transformer(&[("n", "$.detail.count")], r#"{"n": <n>}"#);
    assert_eq!(render(&t), r#"{"n":3}"#);
}

#[test]
fn number_variable_inside_string() {
    let t = transformer(&[("n", "$.detail.count")], r#""count=<n>""#);
    assert_eq!(render(&t), r#""count=3""#);
}

#[test]
fn array_and_object_variables_are_json() {
    let t = transformer(
        &[("tags", "$.detail.tags"), ("meta", "$.detail.meta")],
        r#"{"t": <tags>, "m": <meta>}"#,
    );
    assert_eq!(render(&t), r#"{"t":["a","b"],"m":{"k":"v"}}"#);
}

#[test]
fn string_values_inside_strings_are_not_escaped() {
    let ev = json!({"detail": {"q": "say \"hi\""}});
    let t = transformer(&[("q", "$.detail.q")], r#""<q>""#);
    assert_eq!(t.render(&ev, &ctx()).unwrap(), r#""say "hi"""#);
}

#[test]
fn string_values_outside_strings_are_quoted_and_escaped() {
    let ev = json!({"detail": {"q": "say \"hi\""}});
    let t = transformer(&[("q", "$.detail.q")], r#"{"q": <q>}"#);
    assert_eq!(t.render(&ev, &ctx()).unwrap(), r#"{"q":"say \"hi\""}"#);
}

#[test]
fn missing_path_variable_contributes_nothing() {
    let t = transformer(&[("x", "$.detail.absent")], r#""[<x>]""#);
    assert_eq!(render(&t), r#""[]""#);
}

#[test]
fn unknown_placeholders_are_left_alone() {
    let t = transformer(DOC_PATHS, r#""<b>bold</b> <state>""#);
    assert_eq!(render(&t), r#""<b>bold</b> RUNNING""#);
}

#[test]
fn whitespace_inside_strings_is_kept() {
    let t = transformer(DOC_PATHS, "{ \"a\" : \"  two  spaces \" }");
    assert_eq!(render(&t), r#"{"a":"  two  spaces "}"#);
}

#[test]
fn template_must_not_be_empty() {
    let spec = InputTransformerSpec {
        input_paths_map: None,
        input_template: String::new(),
    };
    assert!(TargetInput::from_parts("t1", None, None, Some(&spec)).is_err());
}

#[test]
fn template_must_be_json_once_filled() {
    let spec = InputTransformerSpec {
        input_paths_map: None,
        input_template: "instance is running".into(),
    };
    let e = TargetInput::from_parts("t1", None, None, Some(&spec)).unwrap_err();
    assert_eq!(e.error_code(), "ValidationException");
}

#[test]
fn at_most_100_variables() {
    let map: BTreeMap<String, String> = (0..101)
        .map(|i| (format!("v{i}"), "$.id".to_string()))
        .collect();
    let spec = InputTransformerSpec {
        input_paths_map: Some(map.clone()),
        input_template: "\"x\"".into(),
    };
    assert!(TargetInput::from_parts("t1", None, None, Some(&spec)).is_err());
    let ok: BTreeMap<String, String> = map.into_iter().take(100).collect();
    let spec = InputTransformerSpec {
        input_paths_map: Some(ok),
        input_template: "\"x\"".into(),
    };
    assert!(TargetInput::from_parts("t1", None, None, Some(&spec)).is_ok());
}

#[test]
fn predefined_names_cannot_be_redefined() {
    let map = BTreeMap::from([("aws.events.rule-name".to_string(), "$.id".to_string())]);
    let spec = InputTransformerSpec {
        input_paths_map: Some(map),
        input_template: "\"x\"".into(),
    };
    assert!(TargetInput::from_parts("t1", None, None, Some(&spec)).is_err());
}

#[test]
fn variable_names_are_restricted() {
    let map = BTreeMap::from([("bad name".to_string(), "$.id".to_string())]);
    let spec = InputTransformerSpec {
        input_paths_map: Some(map),
        input_template: "\"x\"".into(),
    };
    assert!(TargetInput::from_parts("t1", None, None, Some(&spec)).is_err());
}

#[test]
fn paths_map_values_must_be_json_paths() {
    let map = BTreeMap::from([("a".to_string(), "detail.x".to_string())]);
    let spec = InputTransformerSpec {
        input_paths_map: Some(map),
        input_template: "\"<a>\"".into(),
    };
    assert!(TargetInput::from_parts("t1", None, None, Some(&spec)).is_err());
}

#[test]
fn transformer_spec_deserializes_from_wire_shape() {
    let spec: InputTransformerSpec = serde_json::from_value(json!({
        "InputPathsMap": {"state": "$.detail.state"},
        "InputTemplate": "\"<state>\""
    }))
    .unwrap();
    let t = TargetInput::from_parts("t1", None, None, Some(&spec)).unwrap();
    assert_eq!(render(&t), "\"RUNNING\"");
}

/// A template that repeats a placeholder for a large value would multiply
/// the event (2,000 copies of a 100 KB value are 200 MB). Rendering stops
/// once the text passes 256 KB, with an error the delivery reports.
#[test]
fn a_transformer_that_multiplies_the_event_is_capped() {
    let template = format!("[{}]", vec!["<v>"; 2_000].join(","));
    let t = transformer(&[("v", "$.detail.big")], &template);
    let event = json!({"detail": {"big": "x".repeat(100_000)}});
    assert_eq!(t.render(&event, &ctx()), Err(RenderError::TooLarge));
    // Within the cap it renders as before.
    let small = json!({"detail": {"big": "x"}});
    assert_eq!(
        t.render(&small, &ctx()).unwrap().len(),
        2 + 2_000 * 3 + 1_999
    );
}
