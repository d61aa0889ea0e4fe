use super::*;
use crate::clock::ManualClock;
use pretty_assertions::assert_eq;
use serde_json::json;
use std::time::Duration;

const T0: i64 = 1_700_000_000_000;

fn service() -> (Arc<LogsService>, Arc<ManualClock>) {
    let clock = ManualClock::new(T0);
    let store = Store::open_in_memory().unwrap();
    (
        LogsService::new(store, clock.clone(), "us-east-1", "000000000000"),
        clock,
    )
}

async fn call(svc: &Arc<LogsService>, op: &str, input: Value) -> Result<Value, AwsError> {
    Arc::clone(svc).call(op.into(), input).await
}

async fn setup(svc: &Arc<LogsService>) {
    call(
        svc,
        "CreateLogGroup",
        json!({"logGroupName": "/svc/accounts"}),
    )
    .await
    .unwrap();
    call(
        svc,
        "CreateLogStream",
        json!({"logGroupName": "/svc/accounts", "logStreamName": "s1"}),
    )
    .await
    .unwrap();
}

async fn put(svc: &Arc<LogsService>, stream: &str, events: Value) -> Result<Value, AwsError> {
    call(
        svc,
        "PutLogEvents",
        json!({"logGroupName": "/svc/accounts", "logStreamName": stream, "logEvents": events}),
    )
    .await
}

fn messages(v: &Value) -> Vec<String> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn create_group_twice_is_already_exists() {
    let (svc, _) = service();
    setup(&svc).await;
    let err = call(
        &svc,
        "CreateLogGroup",
        json!({"logGroupName": "/svc/accounts"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "ResourceAlreadyExistsException");
    assert_eq!(
        err.message.as_deref(),
        Some("The specified log group already exists")
    );
    let err = call(
        &svc,
        "CreateLogStream",
        json!({"logGroupName": "/svc/accounts", "logStreamName": "s1"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "ResourceAlreadyExistsException");
    assert_eq!(
        err.message.as_deref(),
        Some("The specified log stream already exists")
    );
}

#[tokio::test]
async fn validation_errors_name_the_member() {
    let (svc, _) = service();
    let err = call(&svc, "CreateLogGroup", json!({"logGroupName": "bad name"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "InvalidParameterException");
    assert_eq!(
        err.message.as_deref(),
        Some(
            "1 validation error detected: Value 'bad name' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
        )
    );
    let err = call(&svc, "CreateLogGroup", json!({})).await.unwrap_err();
    assert_eq!(err.code, "InvalidParameterException");
    assert_eq!(
        err.message.as_deref(),
        Some(
            "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null"
        )
    );
    let err = call(
        &svc,
        "CreateLogStream",
        json!({"logGroupName": "nope", "logStreamName": "a:b"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterException");
    let err = call(
        &svc,
        "CreateLogStream",
        json!({"logGroupName": "nope", "logStreamName": "s"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException");
    assert_eq!(
        err.message.as_deref(),
        Some("The specified log group does not exist.")
    );
    let err = call(&svc, "NoSuchThing", json!({})).await.unwrap_err();
    assert_eq!(err.code, "UnknownOperationException");
}

#[tokio::test]
async fn describe_log_groups_filters_and_pages() {
    let (svc, _) = service();
    for name in [
        "/aws/lambda/a",
        "/aws/lambda/b",
        "/svc/accounts",
        "/svc/customer-service",
    ] {
        call(&svc, "CreateLogGroup", json!({"logGroupName": name}))
            .await
            .unwrap();
    }
    call(
        &svc,
        "PutRetentionPolicy",
        json!({"logGroupName": "/svc/accounts", "retentionInDays": 7}),
    )
    .await
    .unwrap();
    let out = call(
        &svc,
        "DescribeLogGroups",
        json!({"logGroupNamePrefix": "/svc/"}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({"logGroups": [
            {"logGroupName": "/svc/accounts", "creationTime": T0, "retentionInDays": 7, "metricFilterCount": 0,
             "arn": "arn:aws:logs:us-east-1:000000000000:log-group:/svc/accounts:*", "storedBytes": 0,
             "logGroupClass": "STANDARD", "logGroupArn": "arn:aws:logs:us-east-1:000000000000:log-group:/svc/accounts"},
            {"logGroupName": "/svc/customer-service", "creationTime": T0, "metricFilterCount": 0,
             "arn": "arn:aws:logs:us-east-1:000000000000:log-group:/svc/customer-service:*", "storedBytes": 0,
             "logGroupClass": "STANDARD", "logGroupArn": "arn:aws:logs:us-east-1:000000000000:log-group:/svc/customer-service"}
        ]})
    );
    let first = call(&svc, "DescribeLogGroups", json!({"limit": 3}))
        .await
        .unwrap();
    assert_eq!(first["logGroups"].as_array().unwrap().len(), 3);
    let token = first["nextToken"].as_str().unwrap().to_owned();
    let second = call(
        &svc,
        "DescribeLogGroups",
        json!({"limit": 3, "nextToken": token}),
    )
    .await
    .unwrap();
    assert_eq!(
        second["logGroups"][0]["logGroupName"],
        "/svc/customer-service"
    );
    assert!(second.get("nextToken").is_none());
    let pattern = call(
        &svc,
        "DescribeLogGroups",
        json!({"logGroupNamePattern": "LAMBDA"}),
    )
    .await
    .unwrap();
    assert_eq!(pattern["logGroups"].as_array().unwrap().len(), 2);
    let err = call(&svc, "DescribeLogGroups", json!({"limit": 51}))
        .await
        .unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some(
            "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"
        )
    );
    let err = call(
        &svc,
        "PutRetentionPolicy",
        json!({"logGroupName": "/svc/accounts", "retentionInDays": 2}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterException");
}

#[tokio::test]
async fn put_and_get_log_events_round_trip() {
    let (svc, clock) = service();
    setup(&svc).await;
    let out = put(
        &svc,
        "s1",
        json!([{"timestamp": T0 - 10, "message": "one"}, {"timestamp": T0 - 5, "message": "two"}]),
    )
    .await
    .unwrap();
    assert!(out["nextSequenceToken"].is_string());
    assert!(out.get("rejectedLogEventsInfo").is_none());
    clock.advance(Duration::from_millis(7));
    let got = call(
        &svc,
        "GetLogEvents",
        json!({"logGroupName": "/svc/accounts", "logStreamName": "s1", "startFromHead": true}),
    )
    .await
    .unwrap();
    assert_eq!(
        got["events"],
        json!([
            {"timestamp": T0 - 10, "message": "one", "ingestionTime": T0},
            {"timestamp": T0 - 5, "message": "two", "ingestionTime": T0}
        ])
    );
    let streams = call(
        &svc,
        "DescribeLogStreams",
        json!({"logGroupName": "/svc/accounts"}),
    )
    .await
    .unwrap();
    let stream = &streams["logStreams"][0];
    assert_eq!(stream["logStreamName"], "s1");
    assert_eq!(stream["firstEventTimestamp"], json!(T0 - 10));
    assert_eq!(stream["lastEventTimestamp"], json!(T0 - 5));
    assert_eq!(stream["lastIngestionTime"], json!(T0));
    assert_eq!(
        stream["arn"],
        "arn:aws:logs:us-east-1:000000000000:log-group:/svc/accounts:log-stream:s1"
    );
}

#[tokio::test]
async fn get_log_events_tokens_walk_forward_and_backward() {
    let (svc, _) = service();
    setup(&svc).await;
    let events: Vec<Value> = (0..5)
        .map(|i| json!({"timestamp": T0 + i, "message": format!("m{i}")}))
        .collect();
    put(&svc, "s1", Value::Array(events)).await.unwrap();
    let base = json!({"logGroupName": "/svc/accounts", "logStreamName": "s1", "limit": 2});
    // Without a token and startFromHead false: the newest events.
    let tail = call(&svc, "GetLogEvents", base.clone()).await.unwrap();
    assert_eq!(messages(&tail), ["m3", "m4"]);
    let mut back = base.clone();
    back["nextToken"] = tail["nextBackwardToken"].clone();
    let older = call(&svc, "GetLogEvents", back).await.unwrap();
    assert_eq!(messages(&older), ["m1", "m2"]);
    // Forward from the head, then past the end: the same token comes back.
    let mut head = base.clone();
    head["startFromHead"] = json!(true);
    let page1 = call(&svc, "GetLogEvents", head).await.unwrap();
    assert_eq!(messages(&page1), ["m0", "m1"]);
    let mut fwd = base.clone();
    fwd["nextToken"] = page1["nextForwardToken"].clone();
    let page2 = call(&svc, "GetLogEvents", fwd.clone()).await.unwrap();
    assert_eq!(messages(&page2), ["m2", "m3"]);
    fwd["nextToken"] = page2["nextForwardToken"].clone();
    let page3 = call(&svc, "GetLogEvents", fwd.clone()).await.unwrap();
    assert_eq!(messages(&page3), ["m4"]);
    fwd["nextToken"] = page3["nextForwardToken"].clone();
    let end = call(&svc, "GetLogEvents", fwd.clone()).await.unwrap();
    assert_eq!(messages(&end), Vec::<String>::new());
    assert_eq!(end["nextForwardToken"], page3["nextForwardToken"]);
    // New events show up behind the last forward token.
    put(&svc, "s1", json!([{"timestamp": T0 + 9, "message": "m9"}]))
        .await
        .unwrap();
    let newer = call(&svc, "GetLogEvents", fwd).await.unwrap();
    assert_eq!(messages(&newer), ["m9"]);
    let mut bad = base;
    bad["nextToken"] = json!("x/123");
    let err = call(&svc, "GetLogEvents", bad).await.unwrap_err();
    assert_eq!(err.code, "InvalidParameterException");
}

#[tokio::test]
async fn get_log_events_time_window_is_half_open() {
    let (svc, _) = service();
    setup(&svc).await;
    let events: Vec<Value> = (0..5)
        .map(|i| json!({"timestamp": T0 + i, "message": format!("m{i}")}))
        .collect();
    put(&svc, "s1", Value::Array(events)).await.unwrap();
    let got = call(
        &svc,
        "GetLogEvents",
        json!({"logGroupName": "/svc/accounts", "logStreamName": "s1", "startTime": T0 + 1, "endTime": T0 + 3, "startFromHead": true}),
    )
    .await
    .unwrap();
    assert_eq!(messages(&got), ["m1", "m2"]);
}

#[tokio::test]
async fn put_log_events_rejects_what_aws_rejects() {
    let (svc, _) = service();
    setup(&svc).await;
    let err = put(&svc, "s1", json!([])).await.unwrap_err();
    assert_eq!(err.code, "InvalidParameterException");
    let err = put(
        &svc,
        "s1",
        json!([{"timestamp": T0, "message": "b"}, {"timestamp": T0 - 1, "message": "a"}]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some("Log events in a single PutLogEvents request must be in chronological order.")
    );
    let err = put(
        &svc,
        "s1",
        json!([{"timestamp": T0 - 90_000_000, "message": "a"}, {"timestamp": T0, "message": "b"}]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterException");
    let big = "x".repeat(MAX_BATCH_BYTES);
    let err = put(&svc, "s1", json!([{"timestamp": T0, "message": big}]))
        .await
        .unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some(
            format!(
                "Upload too large: {} bytes exceeds limit of 1048576",
                MAX_BATCH_BYTES + 26
            )
            .as_str()
        )
    );
    let err = put(&svc, "nope", json!([{"timestamp": T0, "message": "a"}]))
        .await
        .unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException");
    assert_eq!(
        err.message.as_deref(),
        Some("The specified log stream does not exist.")
    );
    let err = put(&svc, "s1", json!([{"timestamp": T0}]))
        .await
        .unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some(
            "1 validation error detected: Value null at 'logEvents.1.member.message' failed to satisfy constraint: Member must not be null"
        )
    );
}

#[tokio::test]
async fn put_log_events_reports_too_old_too_new_and_expired() {
    let (svc, _) = service();
    setup(&svc).await;
    let day = 86_400_000_i64;
    let out = put(
        &svc,
        "s1",
        json!([
            {"timestamp": T0 - 15 * day, "message": "ancient"},
            {"timestamp": T0 - 15 * day + day / 2, "message": "ancient too"},
            {"timestamp": T0 - 15 * day + 3 * day / 4, "message": "still old"}
        ]),
    )
    .await
    .unwrap();
    assert_eq!(
        out["rejectedLogEventsInfo"],
        json!({"tooOldLogEventEndIndex": 2})
    );
    call(
        &svc,
        "PutRetentionPolicy",
        json!({"logGroupName": "/svc/accounts", "retentionInDays": 1}),
    )
    .await
    .unwrap();
    let out = put(
        &svc,
        "s1",
        json!([
            {"timestamp": T0 - day - 1000, "message": "expired"},
            {"timestamp": T0 - 1000, "message": "kept"}
        ]),
    )
    .await
    .unwrap();
    assert_eq!(
        out["rejectedLogEventsInfo"],
        json!({"expiredLogEventEndIndex": 0})
    );
    let out = put(
        &svc,
        "s1",
        json!([
            {"timestamp": T0, "message": "now"},
            {"timestamp": T0 + 3 * 3_600_000, "message": "future"}
        ]),
    )
    .await
    .unwrap();
    assert_eq!(
        out["rejectedLogEventsInfo"],
        json!({"tooNewLogEventStartIndex": 1})
    );
    let got = call(
        &svc,
        "GetLogEvents",
        json!({"logGroupName": "/svc/accounts", "logStreamName": "s1", "startFromHead": true}),
    )
    .await
    .unwrap();
    assert_eq!(messages(&got), ["kept", "now"]);
}

#[tokio::test]
async fn filter_log_events_across_streams_with_patterns_and_pages() {
    let (svc, _) = service();
    setup(&svc).await;
    call(
        &svc,
        "CreateLogStream",
        json!({"logGroupName": "/svc/accounts", "logStreamName": "s2"}),
    )
    .await
    .unwrap();
    put(&svc, "s1", json!([
        {"timestamp": T0, "message": r#"{"detail-type":"New account approved","detail":{"applicationId":"a1"}}"#},
        {"timestamp": T0 + 2, "message": "ERROR plain text"}
    ]))
    .await
    .unwrap();
    put(&svc, "s2", json!([
        {"timestamp": T0 + 1, "message": r#"{"detail-type":"New account declined","detail":{"applicationId":"a2"}}"#}
    ]))
    .await
    .unwrap();
    let all = call(
        &svc,
        "FilterLogEvents",
        json!({"logGroupName": "/svc/accounts"}),
    )
    .await
    .unwrap();
    assert_eq!(all["events"].as_array().unwrap().len(), 3);
    assert_eq!(all["events"][1]["logStreamName"], "s2");
    assert_eq!(all["searchedLogStreams"], json!([]));
    assert!(all.get("nextToken").is_none());
    let json_hit = call(
        &svc,
        "FilterLogEvents",
        json!({"logGroupName": "/svc/accounts", "filterPattern": "{ $.detail.applicationId = \"a2\" }"}),
    )
    .await
    .unwrap();
    assert_eq!(messages(&json_hit).len(), 1);
    assert!(messages(&json_hit)[0].contains("declined"));
    let text_hit = call(
        &svc,
        "FilterLogEvents",
        json!({"logGroupName": "/svc/accounts", "filterPattern": "\"New account\" -declined"}),
    )
    .await
    .unwrap();
    assert_eq!(messages(&text_hit).len(), 1);
    assert!(messages(&text_hit)[0].contains("approved"));
    let only_s1 = call(
        &svc,
        "FilterLogEvents",
        json!({"logGroupName": "/svc/accounts", "logStreamNames": ["s1"], "startTime": T0 + 1}),
    )
    .await
    .unwrap();
    assert_eq!(messages(&only_s1), ["ERROR plain text"]);
    // Paging: one at a time.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = json!({"logGroupName": "/svc/accounts", "limit": 1});
        if let Some(t) = &token {
            req["nextToken"] = json!(t);
        }
        let out = call(&svc, "FilterLogEvents", req).await.unwrap();
        seen.extend(messages(&out));
        match out.get("nextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    let err = call(
        &svc,
        "FilterLogEvents",
        json!({"logGroupName": "/svc/accounts", "filterPattern": "{ $.a = "}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterException");
    let err = call(&svc, "FilterLogEvents", json!({"logGroupName": "/nope"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn append_creates_group_and_stream() {
    let (svc, _) = service();
    svc.append(
        "/aws/lambda/app-identity-check",
        "2026/11/21/[$LATEST]abc",
        vec![
            InputLogEvent {
                timestamp: T0 + 1,
                message: "second".into(),
            },
            InputLogEvent {
                timestamp: T0,
                message: "first".into(),
            },
        ],
    )
    .await
    .unwrap();
    let got = call(
        &svc,
        "GetLogEvents",
        json!({"logGroupIdentifier": "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/app-identity-check:*",
               "logStreamName": "2026/11/21/[$LATEST]abc", "startFromHead": true}),
    )
    .await
    .unwrap();
    assert_eq!(messages(&got), ["first", "second"]);
    svc.ensure_log_group("/svc/accounts", Some(7))
        .await
        .unwrap();
    svc.ensure_log_group("/svc/accounts", None).await.unwrap();
    let out = call(
        &svc,
        "DescribeLogGroups",
        json!({"logGroupNamePrefix": "/svc"}),
    )
    .await
    .unwrap();
    assert_eq!(out["logGroups"][0]["retentionInDays"], 7);
}

#[tokio::test]
async fn delete_group_removes_streams_and_events() {
    let (svc, _) = service();
    setup(&svc).await;
    put(&svc, "s1", json!([{"timestamp": T0, "message": "a"}]))
        .await
        .unwrap();
    call(
        &svc,
        "DeleteLogGroup",
        json!({"logGroupName": "/svc/accounts"}),
    )
    .await
    .unwrap();
    let err = call(
        &svc,
        "DescribeLogStreams",
        json!({"logGroupName": "/svc/accounts"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException");
    let err = call(
        &svc,
        "DeleteLogGroup",
        json!({"logGroupName": "/svc/accounts"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn describe_log_streams_orders_by_last_event_time() {
    let (svc, _) = service();
    setup(&svc).await;
    call(
        &svc,
        "CreateLogStream",
        json!({"logGroupName": "/svc/accounts", "logStreamName": "s2"}),
    )
    .await
    .unwrap();
    put(&svc, "s2", json!([{"timestamp": T0 - 100, "message": "a"}]))
        .await
        .unwrap();
    put(&svc, "s1", json!([{"timestamp": T0, "message": "b"}]))
        .await
        .unwrap();
    let out = call(
        &svc,
        "DescribeLogStreams",
        json!({"logGroupName": "/svc/accounts", "orderBy": "LastEventTime", "descending": true}),
    )
    .await
    .unwrap();
    let names: Vec<&str> = out["logStreams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["logStreamName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["s1", "s2"]);
    let err = call(
        &svc,
        "DescribeLogStreams",
        json!({"logGroupName": "/svc/accounts", "orderBy": "LastEventTime", "logStreamNamePrefix": "s"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message.as_deref(),
        Some("Cannot order by LastEventTime with a logStreamNamePrefix.")
    );
}

#[tokio::test]
async fn append_recreates_what_was_deleted() {
    let (svc, _) = service();
    let line = |m: &str| {
        vec![InputLogEvent {
            timestamp: T0,
            message: m.into(),
        }]
    };
    svc.append("/aws/lambda/f", "s", line("one")).await.unwrap();
    svc.append("/aws/lambda/f", "s", line("two")).await.unwrap();
    call(
        &svc,
        "DeleteLogGroup",
        json!({"logGroupName": "/aws/lambda/f"}),
    )
    .await
    .unwrap();
    svc.append("/aws/lambda/f", "s", line("three"))
        .await
        .unwrap();
    let got = call(
        &svc,
        "GetLogEvents",
        json!({"logGroupName": "/aws/lambda/f", "logStreamName": "s", "startFromHead": true}),
    )
    .await
    .unwrap();
    assert_eq!(messages(&got), ["three"]);
    let groups = call(&svc, "DescribeLogGroups", json!({})).await.unwrap();
    assert_eq!(groups["logGroups"][0]["storedBytes"], 5);
}

#[tokio::test]
async fn filter_scans_across_chunks_and_pages() {
    let (svc, _) = service();
    let events: Vec<InputLogEvent> = (0..2500)
        .map(|i| InputLogEvent {
            timestamp: T0 + i,
            message: if i % 1000 == 999 {
                format!("HIT {i}")
            } else {
                format!("miss {i}")
            },
        })
        .collect();
    svc.append("/big", "s", events).await.unwrap();
    let all = call(
        &svc,
        "FilterLogEvents",
        json!({"logGroupName": "/big", "filterPattern": "HIT"}),
    )
    .await
    .unwrap();
    assert_eq!(messages(&all), ["HIT 999", "HIT 1999"]);
    assert!(all.get("nextToken").is_none());
    let first = call(
        &svc,
        "FilterLogEvents",
        json!({"logGroupName": "/big", "filterPattern": "HIT", "limit": 1}),
    )
    .await
    .unwrap();
    assert_eq!(messages(&first), ["HIT 999"]);
    let second = call(
        &svc,
        "FilterLogEvents",
        json!({"logGroupName": "/big", "filterPattern": "HIT", "limit": 1, "nextToken": first["nextToken"]}),
    )
    .await
    .unwrap();
    assert_eq!(messages(&second), ["HIT 1999"]);
    let long = "x".repeat(1025);
    let err = call(
        &svc,
        "FilterLogEvents",
        json!({"logGroupName": "/big", "filterPattern": long}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterException");
}

#[tokio::test]
async fn describe_resource_policies_pages_with_the_describe_tokens() {
    let (svc, _) = service();
    let document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]})
    .to_string();
    for name in ["c", "a", "b"] {
        call(
            &svc,
            "PutResourcePolicy",
            json!({"policyName": name, "policyDocument": document}),
        )
        .await
        .unwrap();
    }
    let names = |page: &Value| -> Vec<String> {
        page["resourcePolicies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["policyName"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = call(&svc, "DescribeResourcePolicies", json!({"limit": 2}))
        .await
        .unwrap();
    assert_eq!(names(&first), ["a", "b"]);
    let token = first["nextToken"].as_str().unwrap().to_owned();
    assert_ne!(
        token, "b",
        "the position is sealed, not the last name sent bare"
    );
    let second = call(
        &svc,
        "DescribeResourcePolicies",
        json!({"limit": 2, "nextToken": token}),
    )
    .await
    .unwrap();
    assert_eq!(names(&second), ["c"]);
    assert!(second.get("nextToken").is_none());
    let all = call(&svc, "DescribeResourcePolicies", json!({}))
        .await
        .unwrap();
    assert_eq!(names(&all), ["a", "b", "c"]);
    assert!(all.get("nextToken").is_none());
    // The limit is worded as before; a token never issued, or issued by another listing, is
    // refused.
    for limit in [0, 51] {
        let err = call(&svc, "DescribeResourcePolicies", json!({"limit": limit}))
            .await
            .unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_deref()),
            (
                "InvalidParameterException",
                Some(
                    "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value between 1 and 50"
                )
            )
        );
    }
    call(&svc, "CreateLogGroup", json!({"logGroupName": "/g1"}))
        .await
        .unwrap();
    call(&svc, "CreateLogGroup", json!({"logGroupName": "/g2"}))
        .await
        .unwrap();
    let groups = call(&svc, "DescribeLogGroups", json!({"limit": 1}))
        .await
        .unwrap();
    let foreign = groups["nextToken"].as_str().unwrap().to_owned();
    for token in ["b", foreign.as_str()] {
        let err = call(
            &svc,
            "DescribeResourcePolicies",
            json!({"nextToken": token}),
        )
        .await
        .unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_deref()),
            (
                "InvalidParameterException",
                Some("The specified nextToken is invalid.")
            )
        );
    }
}
