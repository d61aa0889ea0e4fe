//! PutEvents: per-entry validation, request limits, entry size and the envelope.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use eventbus::put_events::{
    EntryTime, MAX_REQUEST_BYTES, PutEventsRequestEntry, build_event, entry_size, put_events,
    validate_entry, validate_request,
};
use serde_json::json;

fn entry(source: &str, detail_type: &str, detail: &str) -> PutEventsRequestEntry {
    PutEventsRequestEntry {
        source: Some(source.into()),
        detail_type: Some(detail_type.into()),
        detail: Some(detail.into()),
        ..Default::default()
    }
}

fn err(e: &PutEventsRequestEntry) -> (String, String) {
    let e = validate_entry(e).unwrap_err();
    (e.code, e.message)
}

#[test]
fn valid_entry() {
    assert_eq!(
        validate_entry(&entry("com.aws.accounts", "New account requested", "{}")),
        Ok(())
    );
}

#[test]
fn missing_source() {
    let mut e = entry("x", "y", "{}");
    e.source = None;
    assert_eq!(
        err(&e),
        (
            "InvalidArgument".into(),
            "Parameter Source is not valid. Reason: Source is a required argument.".into()
        )
    );
}

#[test]
fn empty_source_is_missing() {
    assert_eq!(
        err(&entry("", "y", "{}")).1,
        "Parameter Source is not valid. Reason: Source is a required argument."
    );
}

#[test]
fn missing_detail_type() {
    let mut e = entry("x", "y", "{}");
    e.detail_type = None;
    assert_eq!(
        err(&e),
        (
            "InvalidArgument".into(),
            "Parameter DetailType is not valid. Reason: DetailType is a required argument.".into()
        )
    );
}

#[test]
fn missing_detail() {
    let mut e = entry("x", "y", "{}");
    e.detail = None;
    assert_eq!(
        err(&e),
        (
            "InvalidArgument".into(),
            "Parameter Detail is not valid. Reason: Detail is a required argument.".into()
        )
    );
}

#[test]
fn source_checked_before_detail_type_and_detail() {
    let e = PutEventsRequestEntry::default();
    assert_eq!(
        err(&e).1,
        "Parameter Source is not valid. Reason: Source is a required argument."
    );
    let e = PutEventsRequestEntry {
        source: Some("s".into()),
        ..Default::default()
    };
    assert_eq!(
        err(&e).1,
        "Parameter DetailType is not valid. Reason: DetailType is a required argument."
    );
}

#[test]
fn detail_not_json_is_malformed() {
    assert_eq!(
        err(&entry("x", "y", "{not json")),
        ("MalformedDetail".into(), "Detail is malformed.".into())
    );
}

#[test]
fn detail_array_is_malformed() {
    assert_eq!(
        err(&entry("x", "y", "[1, 2]")),
        ("MalformedDetail".into(), "Detail is malformed.".into())
    );
}

#[test]
fn detail_string_is_malformed() {
    assert_eq!(err(&entry("x", "y", "\"text\"")).0, "MalformedDetail");
}

#[test]
fn detail_number_is_malformed() {
    assert_eq!(err(&entry("x", "y", "42")).0, "MalformedDetail");
}

#[test]
fn detail_null_is_malformed() {
    assert_eq!(err(&entry("x", "y", "null")).0, "MalformedDetail");
}

#[test]
fn detail_with_trailing_garbage_is_malformed() {
    assert_eq!(err(&entry("x", "y", "{} {}")).0, "MalformedDetail");
}

#[test]
fn detail_type_of_128_characters_is_accepted() {
    assert_eq!(validate_entry(&entry("x", &"d".repeat(128), "{}")), Ok(()));
}

#[test]
fn detail_type_over_128_characters_is_rejected() {
    let (code, message) = err(&entry("x", &"d".repeat(129), "{}"));
    assert_eq!(code, "InvalidArgument");
    assert!(
        message.starts_with("Parameter DetailType is not valid."),
        "{message}"
    );
}

#[test]
fn aws_source_is_not_authorized() {
    assert_eq!(
        err(&entry("aws.ec2", "y", "{}")),
        (
            "NotAuthorizedForSourceException".into(),
            "Not authorized for the source.".into()
        )
    );
}

#[test]
fn bad_time_text_is_rejected() {
    let mut e = entry("x", "y", "{}");
    e.time = Some(EntryTime::Text("yesterday".into()));
    assert_eq!(err(&e).0, "InvalidArgument");
}

#[test]
fn non_finite_epoch_is_rejected() {
    let mut e = entry("x", "y", "{}");
    e.time = Some(EntryTime::EpochSeconds(f64::INFINITY));
    assert_eq!(err(&e).0, "InvalidArgument");
}

#[test]
fn entry_deserializes_from_wire_shape() {
    let e: PutEventsRequestEntry = serde_json::from_value(json!({
        "Source": "com.aws.accounts", "DetailType": "New account requested",
        "Detail": "{\"customerName\":\"x\"}", "EventBusName": "CentralEventBus",
        "Resources": ["r1"], "Time": 1700000000.5
    }))
    .unwrap();
    assert_eq!(e.event_bus_name.as_deref(), Some("CentralEventBus"));
    assert_eq!(e.time, Some(EntryTime::EpochSeconds(1700000000.5)));
}

#[test]
fn entry_size_counts_documented_parts() {
    let mut e = entry("abc", "de", "{}");
    assert_eq!(entry_size(&e), 3 + 2 + 2);
    e.time = Some(EntryTime::EpochSeconds(0.0));
    assert_eq!(entry_size(&e), 14 + 7);
    e.resources = Some(vec!["r1".into(), "é".into()]);
    assert_eq!(entry_size(&e), 14 + 7 + 2 + 2);
}

#[test]
fn entry_size_ignores_bus_name_and_trace_header() {
    let mut e = entry("a", "b", "{}");
    e.event_bus_name = Some("long-bus-name".into());
    e.trace_header = Some("Root=1-abc".into());
    assert_eq!(entry_size(&e), 4);
}

#[test]
fn request_needs_an_entry() {
    let e = validate_request(&[]).unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert!(
        e.message
            .contains("Member must have length greater than or equal to 1")
    );
}

#[test]
fn request_of_ten_entries_is_accepted() {
    let entries = vec![entry("a", "b", "{}"); 10];
    assert_eq!(validate_request(&entries), Ok(()));
}

#[test]
fn request_of_eleven_entries_is_rejected() {
    let entries = vec![entry("a", "b", "{}"); 11];
    let e = validate_request(&entries).unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert!(
        e.message
            .contains("Member must have length less than or equal to 10"),
        "{}",
        e.message
    );
}

#[test]
fn request_at_size_limit_is_accepted() {
    let pad = MAX_REQUEST_BYTES - 2 - 8;
    let detail = format!("{{\"p\":\"{}\"}}", "x".repeat(pad));
    let e = entry("a", "b", &detail);
    assert_eq!(entry_size(&e), MAX_REQUEST_BYTES);
    assert_eq!(validate_request(&[e]), Ok(()));
}

#[test]
fn request_over_size_limit_is_rejected() {
    let pad = MAX_REQUEST_BYTES - 2 - 8 + 1;
    let detail = format!("{{\"p\":\"{}\"}}", "x".repeat(pad));
    let e = validate_request(&[entry("a", "b", &detail)]).unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "ValidationException",
            "Total size of the entries in the request is over the limit."
        )
    );
}

#[test]
fn size_limit_is_over_the_whole_request() {
    let half = format!("{{\"p\":\"{}\"}}", "x".repeat(MAX_REQUEST_BYTES / 2));
    let e = validate_request(&[entry("a", "b", &half), entry("a", "b", &half)]).unwrap_err();
    assert_eq!(
        e.message,
        "Total size of the entries in the request is over the limit."
    );
}

#[test]
fn envelope_fields_and_order() {
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 5).unwrap();
    let mut e = entry(
        "com.aws.accounts",
        "New account requested",
        r#"{"b":1,"a":{"c":[true]}}"#,
    );
    e.resources = Some(vec!["arn:aws:x".into()]);
    let ev = build_event(&e, "123456789012", "eu-west-1", "id-1", now).unwrap();
    assert_eq!(
        serde_json::to_string(&ev).unwrap(),
        r#"{"version":"0","id":"id-1","detail-type":"New account requested","source":"com.aws.accounts","account":"123456789012","time":"2026-11-21T10:00:05Z","region":"eu-west-1","resources":["arn:aws:x"],"detail":{"b":1,"a":{"c":[true]}}}"#
    );
}

#[test]
fn envelope_has_empty_resources_by_default() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let ev = build_event(&entry("s", "d", "{}"), "1", "r", "i", now).unwrap();
    assert_eq!(ev["resources"], json!([]));
}

#[test]
fn envelope_time_from_entry_without_fraction() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut e = entry("s", "d", "{}");
    e.time = Some(EntryTime::EpochSeconds(1_700_000_000.75));
    let ev = build_event(&e, "1", "r", "i", now).unwrap();
    assert_eq!(ev["time"], json!("2023-11-14T22:13:20Z"));
}

#[test]
fn envelope_time_from_rfc3339_entry_in_utc() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut e = entry("s", "d", "{}");
    e.time = Some(EntryTime::Text("2026-03-01T12:30:45.123+02:00".into()));
    let ev = build_event(&e, "1", "r", "i", now).unwrap();
    assert_eq!(ev["time"], json!("2026-03-01T10:30:45Z"));
}

#[test]
fn envelope_time_now_drops_fraction() {
    let now = Utc.timestamp_opt(1_800_000_000, 999_000_000).unwrap();
    let ev = build_event(&entry("s", "d", "{}"), "1", "r", "i", now).unwrap();
    assert_eq!(ev["time"], json!("2027-01-15T08:00:00Z"));
}

#[test]
fn build_event_rejects_invalid_entry() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let e = build_event(&entry("s", "d", "[]"), "1", "r", "i", now).unwrap_err();
    assert_eq!(e.code, "MalformedDetail");
}

#[test]
fn put_events_reports_each_entry() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut with_bus = entry("a", "b", "{}");
    with_bus.event_bus_name = Some("CentralEventBus".into());
    let entries = vec![
        with_bus,
        entry("a", "b", "nope"),
        entry("c", "d", "{\"x\":1}"),
    ];
    let mut n = 0;
    let out = put_events(&entries, "123456789012", "us-east-1", now, || {
        n += 1;
        format!("id-{n}")
    })
    .unwrap();
    assert_eq!(out.failed_entry_count, 1);
    assert_eq!(
        serde_json::to_value(&out.entries).unwrap(),
        json!([
            {"EventId": "id-1"},
            {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
            {"EventId": "id-2"}
        ])
    );
    assert_eq!(out.accepted.len(), 2);
    assert_eq!(
        out.accepted[0].event_bus_name.as_deref(),
        Some("CentralEventBus")
    );
    assert_eq!(out.accepted[1].index, 2);
    assert_eq!(out.accepted[1].event["detail"], json!({"x": 1}));
}

#[test]
fn put_events_fails_whole_request_over_ten_entries() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let entries = vec![entry("a", "b", "{}"); 11];
    let e = put_events(&entries, "1", "r", now, String::new).unwrap_err();
    assert_eq!(e.code, "ValidationException");
}

#[test]
fn bus_name_constraint_fails_the_request() {
    let mut e = entry("a", "b", "{}");
    e.event_bus_name = Some("bad bus".into());
    let err = validate_request(&[entry("a", "b", "{}"), e]).unwrap_err();
    assert_eq!(err.code, "ValidationException");
    assert_eq!(
        err.message,
        "1 validation error detected: Value 'bad bus' at 'entries.2.member.eventBusName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+"
    );
}

#[test]
fn bus_name_and_arn_are_accepted() {
    let mut a = entry("a", "b", "{}");
    a.event_bus_name = Some("CentralEventBus".into());
    let mut b = entry("a", "b", "{}");
    b.event_bus_name =
        Some("arn:aws:events:us-east-1:123456789012:event-bus/CentralEventBus".into());
    assert_eq!(validate_request(&[a, b]), Ok(()));
}

#[test]
fn empty_bus_name_fails_the_request() {
    let mut e = entry("a", "b", "{}");
    e.event_bus_name = Some(String::new());
    let err = validate_request(&[e]).unwrap_err();
    assert!(
        err.message
            .ends_with("Member must have length greater than or equal to 1")
    );
}

#[test]
fn trace_header_length() {
    let mut e = entry("a", "b", "{}");
    e.trace_header = Some("t".repeat(501));
    let err = validate_request(&[e]).unwrap_err();
    assert!(err.message.contains("'entries.1.member.traceHeader'"));
}
