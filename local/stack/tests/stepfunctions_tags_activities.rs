//! Step Functions tags (TagResource, UntagResource, ListTagsForResource on state machines and
//! activities) and activities (CreateActivity, DescribeActivity, ListActivities, DeleteActivity),
//! over the wire (awsJson1_0 through the server) and with the real AWS CLI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod stepfunctions_support;

use std::time::Duration;

use common::WireError;
use serde_json::{Value, json};
use stepfunctions_support::{Harness, START_MS};

const ROLE: &str = "arn:aws:iam::000000000000:role/test";
const SM_PREFIX: &str = "arn:aws:states:us-east-1:000000000000:stateMachine:";
const ACTIVITY_PREFIX: &str = "arn:aws:states:us-east-1:000000000000:activity:";

async fn wire(h: &Harness, op: &str, input: Value) -> Result<Value, WireError> {
    wire_at(h.server.as_ref().unwrap().local_addr, op, input).await
}

async fn wire_at(addr: std::net::SocketAddr, op: &str, input: Value) -> Result<Value, WireError> {
    common::sfn_call(addr, op, &input).await
}

async fn ok(h: &Harness, op: &str, input: Value) -> Value {
    wire(h, op, input)
        .await
        .unwrap_or_else(|e| panic!("{op} failed: {e:?}"))
}

async fn err(h: &Harness, op: &str, input: Value) -> WireError {
    match wire(h, op, input).await {
        Ok(v) => panic!("{op} succeeded: {v}"),
        Err(e) => {
            assert_eq!(e.status, 400, "{e:?}");
            e
        }
    }
}

fn pass_machine() -> String {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string()
}

async fn create_machine(h: &Harness, name: &str) -> String {
    ok(
        h,
        "CreateStateMachine",
        json!({"name": name, "definition": pass_machine(), "roleArn": ROLE}),
    )
    .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn tags_of(h: &Harness, arn: &str) -> Value {
    ok(h, "ListTagsForResource", json!({"resourceArn": arn})).await["tags"].clone()
}

fn many_tags(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"key": format!("{prefix}{i:02}"), "value": "v"}))
        .collect()
}

#[tokio::test]
async fn tag_and_untag_a_state_machine() {
    let h = Harness::kyc(&[]).await;
    let sm = create_machine(&h, "tagged").await;
    assert_eq!(
        ok(
            &h,
            "TagResource",
            json!({"resourceArn": sm, "tags": [{"key": "team", "value": "kyc"}, {"key": "env", "value": "dev"}]}),
        )
        .await,
        json!({})
    );
    // A key it has gets the new value; a tag without a value has the empty value.
    ok(
        &h,
        "TagResource",
        json!({"resourceArn": sm, "tags": [{"key": "env", "value": "prod"}, {"key": "bare"}]}),
    )
    .await;
    assert_eq!(
        tags_of(&h, &sm).await,
        json!([
            {"key": "bare", "value": ""},
            {"key": "env", "value": "prod"},
            {"key": "team", "value": "kyc"}
        ])
    );
    // Keys it does not have are ignored.
    assert_eq!(
        ok(
            &h,
            "UntagResource",
            json!({"resourceArn": sm, "tagKeys": ["env", "never"]}),
        )
        .await,
        json!({})
    );
    assert_eq!(
        tags_of(&h, &sm).await,
        json!([{"key": "bare", "value": ""}, {"key": "team", "value": "kyc"}])
    );

    // Deleting the machine deletes its tags: a machine of the same name starts with none.
    ok(&h, "DeleteStateMachine", json!({"stateMachineArn": sm})).await;
    for (op, input) in [
        (
            "TagResource",
            json!({"resourceArn": sm, "tags": [{"key": "k", "value": "v"}]}),
        ),
        (
            "UntagResource",
            json!({"resourceArn": sm, "tagKeys": ["team"]}),
        ),
        ("ListTagsForResource", json!({"resourceArn": sm})),
    ] {
        let gone = err(&h, op, input).await;
        assert_eq!(gone.code, "ResourceNotFound", "{op}");
        assert_eq!(gone.message(), format!("Resource not found: '{sm}'"));
    }
    let again = create_machine(&h, "tagged").await;
    assert_eq!(tags_of(&h, &again).await, json!([]));
}

#[tokio::test]
async fn create_state_machine_tags_are_listed() {
    let h = Harness::kyc(&[]).await;
    let sm = ok(
        &h,
        "CreateStateMachine",
        json!({"name": "created-tagged", "definition": pass_machine(), "roleArn": ROLE,
               "tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]}),
    )
    .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        tags_of(&h, &sm).await,
        json!([{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    );
    let too_many = err(
        &h,
        "CreateStateMachine",
        json!({"name": "crowded", "definition": pass_machine(), "roleArn": ROLE,
               "tags": many_tags("k", 51)}),
    )
    .await;
    assert_eq!(too_many.code, "TooManyTags");
    assert_eq!(too_many.body["resourceName"], format!("{SM_PREFIX}crowded"));
    // Nothing was created.
    let missing = err(
        &h,
        "DescribeStateMachine",
        json!({"stateMachineArn": format!("{SM_PREFIX}crowded")}),
    )
    .await;
    assert_eq!(missing.code, "StateMachineDoesNotExist");
}

#[tokio::test]
async fn at_most_fifty_tags() {
    let h = Harness::kyc(&[]).await;
    let sm = create_machine(&h, "crowded").await;
    ok(
        &h,
        "TagResource",
        json!({"resourceArn": sm, "tags": many_tags("a", 40)}),
    )
    .await;
    // 40 + 11 new keys: refused, and none of them is set.
    let refused = err(
        &h,
        "TagResource",
        json!({"resourceArn": sm, "tags": many_tags("b", 11)}),
    )
    .await;
    assert_eq!(refused.code, "TooManyTags");
    assert_eq!(refused.body["resourceName"], sm.as_str());
    assert_eq!(tags_of(&h, &sm).await.as_array().unwrap().len(), 40);
    // Keys it has already do not count twice: 40 + 10 new = 50.
    let mut tags = many_tags("a", 40);
    tags.extend(many_tags("b", 10));
    ok(&h, "TagResource", json!({"resourceArn": sm, "tags": tags})).await;
    assert_eq!(tags_of(&h, &sm).await.as_array().unwrap().len(), 50);
    // 51 in one request, on a resource with none.
    let fresh = create_machine(&h, "fresh").await;
    let refused = err(
        &h,
        "TagResource",
        json!({"resourceArn": fresh, "tags": many_tags("c", 51)}),
    )
    .await;
    assert_eq!(refused.code, "TooManyTags");
    assert_eq!(tags_of(&h, &fresh).await, json!([]));
}

#[tokio::test]
async fn tag_requests_are_checked() {
    let h = Harness::kyc(&[]).await;
    let sm = create_machine(&h, "checked").await;

    let long_key = err(
        &h,
        "TagResource",
        json!({"resourceArn": sm, "tags": [{"key": "k".repeat(129), "value": "v"}, {"key": "ok", "value": "v".repeat(257)}]}),
    )
    .await;
    assert_eq!(long_key.code, "ValidationException");
    assert!(
        long_key
            .message()
            .starts_with("2 validation errors detected: "),
        "{long_key:?}"
    );
    assert!(long_key.message().contains("at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"));
    assert!(long_key.message().contains("at 'tags.2.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"));
    let empty_key = err(
        &h,
        "TagResource",
        json!({"resourceArn": sm, "tags": [{"key": "", "value": "v"}]}),
    )
    .await;
    assert_eq!(
        empty_key.message(),
        "1 validation error detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    // Values of 0 and 256 characters, keys of 1 and 128: accepted.
    ok(
        &h,
        "TagResource",
        json!({"resourceArn": sm, "tags": [{"key": "k", "value": ""}, {"key": "x".repeat(128), "value": "v".repeat(256)}]}),
    )
    .await;
    let long_untag = err(
        &h,
        "UntagResource",
        json!({"resourceArn": sm, "tagKeys": ["k", "y".repeat(129)]}),
    )
    .await;
    assert_eq!(long_untag.code, "ValidationException");
    assert!(
        long_untag.message().contains("at 'tagKeys.2.member'"),
        "{long_untag:?}"
    );

    let missing_tags = err(&h, "TagResource", json!({"resourceArn": sm})).await;
    assert_eq!(
        missing_tags.message(),
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"
    );
    let missing_keys = err(&h, "UntagResource", json!({"resourceArn": sm})).await;
    assert_eq!(missing_keys.code, "ValidationException");
    let long_arn = err(
        &h,
        "TagResource",
        json!({"resourceArn": format!("{SM_PREFIX}{}", "x".repeat(300)), "tags": []}),
    )
    .await;
    assert_eq!(long_arn.code, "ValidationException");

    // Malformed ARNs, and ARNs of resources that cannot be tagged.
    for bad in [
        "not-an-arn",
        "arn:aws:sqs:us-east-1:000000000000:q",
        "arn:aws:states:us-east-1:000000000000:execution:checked:e1",
        "arn:aws:states:us-east-1:000000000000:stateMachine:",
    ] {
        for (op, input) in [
            (
                "TagResource",
                json!({"resourceArn": bad, "tags": [{"key": "k", "value": "v"}]}),
            ),
            (
                "UntagResource",
                json!({"resourceArn": bad, "tagKeys": ["k"]}),
            ),
            ("ListTagsForResource", json!({"resourceArn": bad})),
        ] {
            let invalid = err(&h, op, input).await;
            assert_eq!(invalid.code, "InvalidArn", "{op} {bad}: {invalid:?}");
            assert!(
                invalid.message().starts_with("Invalid Arn: '"),
                "{invalid:?}"
            );
        }
    }
    let unknown = err(
        &h,
        "TagResource",
        json!({"resourceArn": format!("{SM_PREFIX}never"), "tags": [{"key": "k", "value": "v"}]}),
    )
    .await;
    assert_eq!(unknown.code, "ResourceNotFound");
}

#[tokio::test]
async fn activity_lifecycle() {
    let h = Harness::kyc(&[]).await;
    let created = ok(
        &h,
        "CreateActivity",
        json!({"name": "review", "tags": [{"key": "team", "value": "kyc"}]}),
    )
    .await;
    let arn = format!("{ACTIVITY_PREFIX}review");
    let created_at = START_MS as f64 / 1000.0;
    assert_eq!(
        created,
        json!({"activityArn": arn, "creationDate": created_at})
    );
    // Idempotent by name: the same ARN and creation date, later; the new tags are ignored.
    h.clock.advance(Duration::from_secs(60));
    let again = ok(
        &h,
        "CreateActivity",
        json!({"name": "review", "tags": [{"key": "other", "value": "x"}]}),
    )
    .await;
    assert_eq!(again, created);
    assert_eq!(
        ok(&h, "DescribeActivity", json!({"activityArn": arn})).await,
        json!({"activityArn": arn, "name": "review", "creationDate": created_at})
    );
    assert_eq!(
        tags_of(&h, &arn).await,
        json!([{"key": "team", "value": "kyc"}])
    );

    // Activities are tagged as state machines are.
    ok(
        &h,
        "TagResource",
        json!({"resourceArn": arn, "tags": [{"key": "env", "value": "dev"}]}),
    )
    .await;
    ok(
        &h,
        "UntagResource",
        json!({"resourceArn": arn, "tagKeys": ["team"]}),
    )
    .await;
    assert_eq!(
        tags_of(&h, &arn).await,
        json!([{"key": "env", "value": "dev"}])
    );
    let crowded = err(
        &h,
        "TagResource",
        json!({"resourceArn": arn, "tags": many_tags("t", 50)}),
    )
    .await;
    assert_eq!(crowded.code, "TooManyTags");
    assert_eq!(crowded.body["resourceName"], arn.as_str());

    // An activity and a state machine may share a name.
    let sm = create_machine(&h, "review").await;
    assert_eq!(sm, format!("{SM_PREFIX}review"));

    assert_eq!(
        ok(&h, "DeleteActivity", json!({"activityArn": arn})).await,
        json!({})
    );
    let gone = err(&h, "DescribeActivity", json!({"activityArn": arn})).await;
    assert_eq!(gone.code, "ActivityDoesNotExist");
    assert_eq!(gone.message(), format!("Activity Does Not Exist: '{arn}'"));
    let untaggable = err(&h, "ListTagsForResource", json!({"resourceArn": arn})).await;
    assert_eq!(untaggable.code, "ResourceNotFound");
    // Deleting again (or an activity that never was) is no error.
    ok(&h, "DeleteActivity", json!({"activityArn": arn})).await;
    // Created again: a new creation date, and without the old tags.
    let recreated = ok(&h, "CreateActivity", json!({"name": "review"})).await;
    assert_eq!(
        recreated["creationDate"],
        json!((START_MS + 60_000) as f64 / 1000.0)
    );
    assert_eq!(tags_of(&h, &arn).await, json!([]));
}

#[tokio::test]
async fn activity_requests_are_checked() {
    let h = Harness::kyc(&[]).await;
    for bad in ["has space", "a:b", "brace{", "star*", "tab\t", "ctl\u{7}"] {
        let invalid = err(&h, "CreateActivity", json!({"name": bad})).await;
        assert_eq!(invalid.code, "InvalidName", "{bad}");
        assert_eq!(invalid.message(), format!("Invalid Name: '{bad}'"));
    }
    ok(&h, "CreateActivity", json!({"name": "a".repeat(80)})).await;
    let long = err(&h, "CreateActivity", json!({"name": "a".repeat(81)})).await;
    assert_eq!(long.code, "ValidationException");
    assert!(
        long.message()
            .ends_with("at 'name' failed to satisfy constraint: Member must have length less than or equal to 80"),
        "{long:?}"
    );
    let empty = err(&h, "CreateActivity", json!({"name": ""})).await;
    assert_eq!(empty.code, "ValidationException");
    let missing = err(&h, "CreateActivity", json!({})).await;
    assert_eq!(
        missing.message(),
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
    let long_tag = err(
        &h,
        "CreateActivity",
        json!({"name": "tagged", "tags": [{"key": "k".repeat(129)}]}),
    )
    .await;
    assert_eq!(long_tag.code, "ValidationException");
    let too_many = err(
        &h,
        "CreateActivity",
        json!({"name": "crowded", "tags": many_tags("k", 51)}),
    )
    .await;
    assert_eq!(too_many.code, "TooManyTags");
    assert_eq!(
        too_many.body["resourceName"],
        format!("{ACTIVITY_PREFIX}crowded")
    );
    let not_created = err(
        &h,
        "DescribeActivity",
        json!({"activityArn": format!("{ACTIVITY_PREFIX}crowded")}),
    )
    .await;
    assert_eq!(not_created.code, "ActivityDoesNotExist");

    for op in ["DescribeActivity", "DeleteActivity"] {
        for bad in [
            "nope",
            "arn:aws:states:us-east-1:000000000000:stateMachine:kyc-onboarding",
            "arn:aws:states:us-east-1:000000000000:activity:",
        ] {
            let invalid = err(&h, op, json!({"activityArn": bad})).await;
            assert_eq!(invalid.code, "InvalidArn", "{op} {bad}");
        }
        let missing = err(&h, op, json!({})).await;
        assert_eq!(missing.code, "ValidationException");
        let long = err(
            &h,
            op,
            json!({"activityArn": format!("{ACTIVITY_PREFIX}{}", "x".repeat(300))}),
        )
        .await;
        assert_eq!(long.code, "ValidationException");
    }
}

#[tokio::test]
async fn list_activities_pages() {
    let h = Harness::kyc(&[]).await;
    assert_eq!(
        ok(&h, "ListActivities", json!({})).await,
        json!({"activities": []})
    );
    for name in [
        "c-activity",
        "a-activity",
        "e-activity",
        "b-activity",
        "d-activity",
    ] {
        ok(&h, "CreateActivity", json!({"name": name})).await;
    }
    let all = ok(&h, "ListActivities", json!({"maxResults": 0})).await;
    let names: Vec<&str> = all["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "a-activity",
            "b-activity",
            "c-activity",
            "d-activity",
            "e-activity"
        ]
    );
    assert!(all.get("nextToken").is_none());
    assert_eq!(
        all["activities"][0],
        json!({"activityArn": format!("{ACTIVITY_PREFIX}a-activity"), "name": "a-activity",
               "creationDate": START_MS as f64 / 1000.0})
    );

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut input = json!({"maxResults": 2});
        if let Some(t) = &token {
            input["nextToken"] = json!(t);
        }
        let page = ok(&h, "ListActivities", input).await;
        pages += 1;
        let items = page["activities"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|a| a["name"].as_str().unwrap().to_owned()));
        match page.get("nextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, names);

    // A token from another listing, or made up: InvalidToken.
    create_machine(&h, "second-machine").await;
    let machines = ok(&h, "ListStateMachines", json!({"maxResults": 1})).await;
    let other = machines["nextToken"].as_str().unwrap();
    let foreign = err(&h, "ListActivities", json!({"nextToken": other})).await;
    assert_eq!(foreign.code, "InvalidToken");
    let made_up = err(&h, "ListActivities", json!({"nextToken": "made-up"})).await;
    assert_eq!(made_up.code, "InvalidToken");
    assert_eq!(made_up.message(), "Invalid Token: 'made-up'");

    for (max, constraint) in [
        (-1, "Member must have value greater than or equal to 0"),
        (1001, "Member must have value less than or equal to 1000"),
    ] {
        let bad = err(&h, "ListActivities", json!({"maxResults": max})).await;
        assert_eq!(bad.code, "ValidationException");
        assert_eq!(
            bad.message(),
            format!(
                "1 validation error detected: Value '{max}' at 'maxResults' failed to satisfy constraint: {constraint}"
            )
        );
    }
    let thousand = ok(&h, "ListActivities", json!({"maxResults": 1000})).await;
    assert_eq!(thousand["activities"].as_array().unwrap().len(), 5);
    let long_token = err(&h, "ListActivities", json!({"nextToken": "t".repeat(1025)})).await;
    assert_eq!(long_token.code, "ValidationException");
}

#[tokio::test]
async fn the_aws_cli_tags_and_lists_activities() {
    let cli = common::aws_cli();
    let h = Harness::kyc(&[]).await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let aws = |args: Vec<String>| {
        let cli = cli.clone();
        let endpoint = endpoint.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            common::aws(&cli, &endpoint, &args).await
        }
    };
    let args = |a: &[&str]| -> Vec<String> {
        std::iter::once("stepfunctions")
            .chain(a.iter().copied())
            .map(str::to_owned)
            .collect()
    };

    let created = aws(args(&[
        "create-activity",
        "--name",
        "cli-review",
        "--tags",
        "key=team,value=kyc",
    ]))
    .await;
    assert!(created.success, "{}", created.stderr);
    let arn = created.json()["activityArn"].as_str().unwrap().to_owned();
    assert_eq!(arn, format!("{ACTIVITY_PREFIX}cli-review"));
    let described = aws(args(&["describe-activity", "--activity-arn", &arn])).await;
    assert!(described.success, "{}", described.stderr);
    assert_eq!(described.json()["name"], "cli-review");

    for name in ["cli-a", "cli-b"] {
        let out = aws(args(&["create-activity", "--name", name])).await;
        assert!(out.success, "{}", out.stderr);
    }
    // The CLI follows nextToken itself: pages of one, all three.
    let listed = aws(args(&["list-activities", "--page-size", "1"])).await;
    assert!(listed.success, "{}", listed.stderr);
    let names: Vec<String> = listed.json()["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["cli-a", "cli-b", "cli-review"]);

    let tagged = aws(args(&[
        "tag-resource",
        "--resource-arn",
        &arn,
        "--tags",
        "key=env,value=dev",
    ]))
    .await;
    assert!(tagged.success, "{}", tagged.stderr);
    let untagged = aws(args(&[
        "untag-resource",
        "--resource-arn",
        &arn,
        "--tag-keys",
        "team",
    ]))
    .await;
    assert!(untagged.success, "{}", untagged.stderr);
    let tags = aws(args(&["list-tags-for-resource", "--resource-arn", &arn])).await;
    assert!(tags.success, "{}", tags.stderr);
    assert_eq!(
        tags.json(),
        json!({"tags": [{"key": "env", "value": "dev"}]})
    );

    let deleted = aws(args(&["delete-activity", "--activity-arn", &arn])).await;
    assert!(deleted.success, "{}", deleted.stderr);
    let gone = aws(args(&["describe-activity", "--activity-arn", &arn])).await;
    assert!(!gone.success);
    assert!(
        gone.stderr.contains("ActivityDoesNotExist"),
        "{}",
        gone.stderr
    );
    let unknown = aws(args(&[
        "tag-resource",
        "--resource-arn",
        &format!("{SM_PREFIX}never"),
        "--tags",
        "key=k,value=v",
    ]))
    .await;
    assert!(!unknown.success);
    assert!(
        unknown.stderr.contains("ResourceNotFound"),
        "{}",
        unknown.stderr
    );
}

// ----- activity workers ---------------------------------------------------------------------

fn activity_machine(activity: &str) -> String {
    json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 300, "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}
    }})
    .to_string()
}

async fn activity_and_machine(h: &Harness, name: &str) -> (String, String) {
    let activity = ok(h, "CreateActivity", json!({"name": name})).await["activityArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let sm = ok(
        h,
        "CreateStateMachine",
        json!({"name": format!("{name}-machine"), "definition": activity_machine(&activity), "roleArn": ROLE}),
    )
    .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned();
    (activity, sm)
}

async fn start_execution(h: &Harness, sm: &str, name: &str, input: Value) -> String {
    ok(
        h,
        "StartExecution",
        json!({"stateMachineArn": sm, "name": name, "input": input.to_string()}),
    )
    .await["executionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// GetActivityTask until a task is handed out (the execution queues it once its runner turns).
async fn poll_task(h: &Harness, activity: &str, worker: &str) -> Value {
    for _ in 0..200 {
        let addr = h.server.as_ref().unwrap().local_addr;
        let input = json!({"activityArn": activity, "workerName": worker});
        let poll = tokio::spawn(async move { wire_at(addr, "GetActivityTask", input).await });
        // Nothing queued yet: the poll waits; let the clock run out its 60 seconds.
        for _ in 0..100 {
            if poll.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if !poll.is_finished() {
            h.clock.advance(Duration::from_secs(60));
        }
        let got = poll.await.unwrap().unwrap();
        if got.get("taskToken").is_some() {
            return got;
        }
    }
    panic!("no task for {activity}");
}

async fn history_types(h: &Harness, execution: &str) -> Vec<String> {
    ok(h, "GetExecutionHistory", json!({"executionArn": execution})).await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_worker_completes_an_activity_task() {
    let h = Harness::kyc(&[]).await;
    let (activity, sm) = activity_and_machine(&h, "approve").await;
    let execution = start_execution(&h, &sm, "e1", json!({"applicationId": "a-1"})).await;
    let task = poll_task(&h, &activity, "worker-1").await;
    assert_eq!(task["input"], json!({"applicationId": "a-1"}).to_string());
    let token = task["taskToken"].as_str().unwrap().to_owned();

    // Taken: the next poll finds nothing, and answers no token after 60 seconds.
    let addr = h.server.as_ref().unwrap().local_addr;
    let input = json!({"activityArn": activity});
    let again = tokio::spawn(async move { wire_at(addr, "GetActivityTask", input).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!again.is_finished(), "the poll waits");
    h.clock.advance(Duration::from_secs(59));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!again.is_finished(), "for 60 seconds");
    h.clock.advance(Duration::from_secs(1));
    assert_eq!(again.await.unwrap().unwrap(), json!({}));

    assert_eq!(
        ok(&h, "SendTaskHeartbeat", json!({"taskToken": token})).await,
        json!({})
    );
    ok(
        &h,
        "SendTaskSuccess",
        json!({"taskToken": token, "output": json!({"approved": true}).to_string()}),
    )
    .await;
    let done = h.wait_status(&execution, "SUCCEEDED").await;
    assert_eq!(done["output"], json!({"approved": true}).to_string());
    let types = history_types(&h, &execution).await;
    // ActivityStarted when the worker took the task, after ActivityScheduled, with its name.
    let at = |t: &str| {
        types
            .iter()
            .position(|x| x == t)
            .unwrap_or_else(|| panic!("{t} in {types:?}"))
    };
    assert!(at("ActivityScheduled") < at("ActivityStarted"));
    assert!(at("ActivityStarted") < at("ActivitySucceeded"));
    let started = ok(
        &h,
        "GetExecutionHistory",
        json!({"executionArn": execution}),
    )
    .await["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "ActivityStarted")
        .cloned()
        .unwrap();
    assert_eq!(
        started["activityStartedEventDetails"],
        json!({"workerName": "worker-1"})
    );
    let scheduled = ok(
        &h,
        "GetExecutionHistory",
        json!({"executionArn": execution}),
    )
    .await["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "ActivityScheduled")
        .cloned()
        .unwrap();
    assert_eq!(
        scheduled["activityScheduledEventDetails"]["resource"],
        activity.as_str()
    );
    // Answered: the token is spent.
    let late = err(
        &h,
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{}"}),
    )
    .await;
    assert_eq!(late.code, "TaskTimedOut");
}

#[tokio::test]
async fn a_waiting_poll_gets_the_task_queued_while_it_waits() {
    let h = Harness::kyc(&[]).await;
    let (activity, sm) = activity_and_machine(&h, "later").await;
    let addr = h.server.as_ref().unwrap().local_addr;
    let input = json!({"activityArn": activity, "workerName": "early"});
    let poll = tokio::spawn(async move { wire_at(addr, "GetActivityTask", input).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!poll.is_finished());
    let execution = start_execution(&h, &sm, "e1", json!({"n": 1})).await;
    let task = tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .expect("woken by the queued task")
        .unwrap()
        .unwrap();
    assert_eq!(task["input"], json!({"n": 1}).to_string());
    ok(
        &h,
        "SendTaskFailure",
        json!({"taskToken": task["taskToken"], "error": "Rejected", "cause": "not today"}),
    )
    .await;
    let failed = h.wait_status(&execution, "FAILED").await;
    assert_eq!(failed["error"], "Rejected");
    assert_eq!(failed["cause"], "not today");
    assert!(
        history_types(&h, &execution)
            .await
            .iter()
            .any(|t| t == "ActivityFailed")
    );
}

#[tokio::test]
async fn tasks_are_handed_out_oldest_first_and_not_after_their_execution_ends() {
    let h = Harness::kyc(&[]).await;
    let (activity, sm) = activity_and_machine(&h, "queue").await;
    let first = start_execution(&h, &sm, "first", json!({"n": 1})).await;
    h.wait_history_event(&first, "ActivityScheduled").await;
    h.clock.advance(Duration::from_millis(10));
    let second = start_execution(&h, &sm, "second", json!({"n": 2})).await;
    h.wait_history_event(&second, "ActivityScheduled").await;
    h.clock.advance(Duration::from_millis(10));
    let third = start_execution(&h, &sm, "third", json!({"n": 3})).await;
    h.wait_history_event(&third, "ActivityScheduled").await;
    // The second execution stops: its task is no longer handed out.
    ok(&h, "StopExecution", json!({"executionArn": second})).await;
    h.wait_status(&second, "ABORTED").await;
    let one = poll_task(&h, &activity, "w").await;
    assert_eq!(one["input"], json!({"n": 1}).to_string());
    let three = poll_task(&h, &activity, "w").await;
    assert_eq!(three["input"], json!({"n": 3}).to_string());
    for (task, execution) in [(one, &first), (three, &third)] {
        ok(
            &h,
            "SendTaskSuccess",
            json!({"taskToken": task["taskToken"], "output": "{}"}),
        )
        .await;
        h.wait_status(execution, "SUCCEEDED").await;
    }
}

#[tokio::test]
async fn get_activity_task_errors() {
    let h = Harness::kyc(&[]).await;
    let unknown = err(
        &h,
        "GetActivityTask",
        json!({"activityArn": format!("{ACTIVITY_PREFIX}never")}),
    )
    .await;
    assert_eq!(unknown.code, "ActivityDoesNotExist");
    assert_eq!(
        unknown.message(),
        format!("Activity Does Not Exist: '{ACTIVITY_PREFIX}never'")
    );
    let bad = err(
        &h,
        "GetActivityTask",
        json!({"activityArn": format!("{SM_PREFIX}kyc-onboarding")}),
    )
    .await;
    assert_eq!(bad.code, "InvalidArn");
    ok(&h, "CreateActivity", json!({"name": "named"})).await;
    let long_worker = err(
        &h,
        "GetActivityTask",
        json!({"activityArn": format!("{ACTIVITY_PREFIX}named"), "workerName": "w".repeat(81)}),
    )
    .await;
    assert_eq!(long_worker.code, "ValidationException");
    assert!(
        long_worker
            .message()
            .ends_with("at 'workerName' failed to satisfy constraint: Member must have length less than or equal to 80"),
        "{long_worker:?}"
    );
    let missing = err(&h, "GetActivityTask", json!({})).await;
    assert_eq!(missing.code, "ValidationException");

    // A Task state on an activity that does not exist fails.
    let sm = ok(
        &h,
        "CreateStateMachine",
        json!({"name": "orphan", "definition": activity_machine(&format!("{ACTIVITY_PREFIX}never")), "roleArn": ROLE}),
    )
    .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let execution = start_execution(&h, &sm, "e1", json!({})).await;
    let failed = h.wait_status(&execution, "FAILED").await;
    assert_eq!(failed["error"], "ActivityDoesNotExist");
}

#[tokio::test]
async fn the_aws_cli_works_an_activity_task() {
    let cli = common::aws_cli();
    let h = Harness::kyc(&[]).await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let (activity, sm) = activity_and_machine(&h, "cli-worker").await;
    let execution = start_execution(&h, &sm, "cli-e1", json!({"applicationId": "cli"})).await;
    h.wait_history_event(&execution, "ActivityScheduled").await;
    let got = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "get-activity-task",
            "--activity-arn",
            &activity,
            "--worker-name",
            "cli",
        ],
    )
    .await;
    assert!(got.success, "{}", got.stderr);
    let task = got.json();
    assert_eq!(task["input"], json!({"applicationId": "cli"}).to_string());
    let token = task["taskToken"].as_str().unwrap();
    let sent = common::aws(
        &cli,
        &endpoint,
        &[
            "stepfunctions",
            "send-task-success",
            "--task-token",
            token,
            "--task-output",
            r#"{"ok":true}"#,
        ],
    )
    .await;
    assert!(sent.success, "{}", sent.stderr);
    let done = h.wait_status(&execution, "SUCCEEDED").await;
    assert_eq!(done["output"], r#"{"ok":true}"#);
}

#[tokio::test]
async fn a_queued_activity_task_survives_a_restart() {
    use emulator::clock::ManualClock;
    use emulator::server::StateLocation;
    use stepfunctions_support::{FakeLambda, temp_state_dir};

    let dir = temp_state_dir();
    let clock = ManualClock::new(START_MS);
    let first = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        FakeLambda::kyc(),
    )
    .await;
    let (activity, sm) = activity_and_machine(&first, "durable").await;
    let execution = start_execution(&first, &sm, "e1", json!({"n": 7})).await;
    first
        .wait_history_event(&execution, "ActivityScheduled")
        .await;
    first.stop().await;

    let second = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        FakeLambda::kyc(),
    )
    .await;
    let task = poll_task(&second, &activity, "after-restart").await;
    assert_eq!(task["input"], json!({"n": 7}).to_string());
    // Handed out once: the next poll answers no token.
    let addr = second.server.as_ref().unwrap().local_addr;
    let input = json!({"activityArn": activity});
    let again = tokio::spawn(async move { wire_at(addr, "GetActivityTask", input).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    clock.advance(Duration::from_secs(60));
    assert_eq!(again.await.unwrap().unwrap(), json!({}));
    ok(
        &second,
        "SendTaskSuccess",
        json!({"taskToken": task["taskToken"], "output": "{\"n\":8}"}),
    )
    .await;
    let done = second.wait_status(&execution, "SUCCEEDED").await;
    assert_eq!(done["output"], "{\"n\":8}");
    second.stop().await;
    std::fs::remove_dir_all(&dir).ok();
}
