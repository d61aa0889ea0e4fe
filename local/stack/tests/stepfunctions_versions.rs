//! Step Functions versions (PublishStateMachineVersion, ListStateMachineVersions,
//! DeleteStateMachineVersion, `publish` on CreateStateMachine / UpdateStateMachine) and aliases
//! (Create/Describe/Update/Delete/ListStateMachineAliases), executions started on a version or an
//! alias, ListExecutions' filters and GetExecutionHistory's options; over the wire (awsJson1_0
//! through the server), across a restart, and with the real AWS CLI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod stepfunctions_support;

use std::collections::HashMap;

use common::WireError;
use emulator::clock::ManualClock;
use emulator::server::StateLocation;
use serde_json::{Value, json};
use stepfunctions_support::{FakeLambda, Harness, KYC_ARN, START_MS, temp_state_dir};

const ROLE: &str = "arn:aws:iam::000000000000:role/test";
const SM_PREFIX: &str = "arn:aws:states:us-east-1:000000000000:stateMachine:";

/// An error answered on the wire: status, `__type`, the whole body.
async fn wire(h: &Harness, op: &str, input: Value) -> Result<Value, WireError> {
    common::sfn_call(h.server.as_ref().unwrap().local_addr, op, &input).await
}

async fn ok(h: &Harness, op: &str, input: Value) -> Value {
    wire(h, op, input)
        .await
        .unwrap_or_else(|e| panic!("{op} failed: {e:?}"))
}

/// The error `op` answers: its code and HTTP status.
async fn err(h: &Harness, op: &str, input: Value) -> (String, u16, Value) {
    match wire(h, op, input).await {
        Ok(v) => panic!("{op} succeeded: {v}"),
        Err(e) => (e.code, e.status, e.body),
    }
}

async fn error_code(h: &Harness, op: &str, input: Value) -> String {
    err(h, op, input).await.0
}

/// A machine whose executions end at once with `result`.
fn pass_machine(result: &str) -> String {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": true}}})
        .to_string()
}

/// A machine that waits `seconds` on the stack clock, then ends with `result`.
fn wait_machine(seconds: u64, result: &str) -> String {
    json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": seconds, "Next": "P"},
        "P": {"Type": "Pass", "Result": result, "End": true}
    }})
    .to_string()
}

async fn create(h: &Harness, name: &str, definition: &str) -> String {
    ok(
        h,
        "CreateStateMachine",
        json!({"name": name, "definition": definition, "roleArn": ROLE}),
    )
    .await["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn update(h: &Harness, sm: &str, definition: &str) -> Value {
    ok(
        h,
        "UpdateStateMachine",
        json!({"stateMachineArn": sm, "definition": definition}),
    )
    .await
}

async fn publish(h: &Harness, sm: &str) -> String {
    ok(
        h,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": sm}),
    )
    .await["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn create_alias(h: &Harness, name: &str, routes: &[(&str, i64)]) -> String {
    ok(
        h,
        "CreateStateMachineAlias",
        json!({"name": name, "routingConfiguration": routing(routes)}),
    )
    .await["stateMachineAliasArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn routing(routes: &[(&str, i64)]) -> Value {
    routes
        .iter()
        .map(|(arn, weight)| json!({"stateMachineVersionArn": arn, "weight": weight}))
        .collect()
}

async fn start(h: &Harness, arn: &str, name: &str) -> String {
    ok(
        h,
        "StartExecution",
        json!({"stateMachineArn": arn, "name": name}),
    )
    .await["executionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn arns(list: &Value, member: &str, key: &str) -> Vec<String> {
    list[member]
        .as_array()
        .unwrap_or_else(|| panic!("no {member} in {list}"))
        .iter()
        .map(|v| v[key].as_str().unwrap().to_owned())
        .collect()
}

// ----- versions -----------------------------------------------------------------------------

#[tokio::test]
async fn publish_describe_list_and_delete_versions() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "versioned", &pass_machine("one")).await;
    let described = ok(&h, "DescribeStateMachine", json!({"stateMachineArn": sm})).await;
    let revision = described["revisionId"].as_str().unwrap().to_owned();

    let first = ok(
        &h,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": sm, "description": "first", "revisionId": revision}),
    )
    .await;
    let v1 = first["stateMachineVersionArn"].as_str().unwrap().to_owned();
    assert_eq!(v1, format!("{sm}:1"));
    assert_eq!(first["creationDate"], START_MS as f64 / 1000.0);
    // Publishing an unchanged revision answers the version that holds it.
    h.advance(5).await;
    let again = ok(
        &h,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": sm}),
    )
    .await;
    assert_eq!(again, first);

    let version = ok(&h, "DescribeStateMachine", json!({"stateMachineArn": v1})).await;
    assert_eq!(version["stateMachineArn"], v1.as_str());
    assert_eq!(version["name"], "versioned");
    assert_eq!(version["description"], "first");
    assert_eq!(version["revisionId"], revision.as_str());
    assert_eq!(version["definition"], pass_machine("one").as_str());
    assert_eq!(version["roleArn"], ROLE);
    assert_eq!(version["type"], "STANDARD");
    assert_eq!(version["creationDate"], START_MS as f64 / 1000.0);

    // The machine changes; its version does not.
    let updated = update(&h, &sm, &pass_machine("two")).await;
    let revision2 = updated["revisionId"].as_str().unwrap().to_owned();
    assert_ne!(revision2, revision);
    assert_eq!(
        ok(&h, "DescribeStateMachine", json!({"stateMachineArn": sm})).await["revisionId"],
        revision2.as_str()
    );
    assert_eq!(
        ok(&h, "DescribeStateMachine", json!({"stateMachineArn": v1})).await["definition"],
        pass_machine("one").as_str()
    );
    // The old revision is not the current one: ConflictException, HTTP 409.
    let (code, status, _) = err(
        &h,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": sm, "revisionId": revision}),
    )
    .await;
    assert_eq!((code.as_str(), status), ("ConflictException", 409));
    let v2 = ok(
        &h,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": sm, "revisionId": revision2}),
    )
    .await["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(v2, format!("{sm}:2"));

    // Newest first, a page at a time.
    let listed = ok(
        &h,
        "ListStateMachineVersions",
        json!({"stateMachineArn": sm}),
    )
    .await;
    assert_eq!(
        arns(&listed, "stateMachineVersions", "stateMachineVersionArn"),
        [v2.clone(), v1.clone()]
    );
    assert!(listed.get("nextToken").is_none());
    let page1 = ok(
        &h,
        "ListStateMachineVersions",
        json!({"stateMachineArn": sm, "maxResults": 1}),
    )
    .await;
    assert_eq!(
        arns(&page1, "stateMachineVersions", "stateMachineVersionArn"),
        [v2.as_str()]
    );
    let page2 = ok(
        &h,
        "ListStateMachineVersions",
        json!({"stateMachineArn": sm, "maxResults": 1, "nextToken": page1["nextToken"]}),
    )
    .await;
    assert_eq!(
        arns(&page2, "stateMachineVersions", "stateMachineVersionArn"),
        [v1.as_str()]
    );
    assert!(page2.get("nextToken").is_none());
    assert_eq!(
        error_code(
            &h,
            "ListStateMachineVersions",
            json!({"stateMachineArn": sm, "nextToken": "not-a-token"}),
        )
        .await,
        "InvalidToken"
    );
    let other = create(&h, "other", &pass_machine("x")).await;
    assert_eq!(
        error_code(
            &h,
            "ListStateMachineVersions",
            json!({"stateMachineArn": other, "nextToken": page1["nextToken"]}),
        )
        .await,
        "InvalidToken",
        "a token of another machine's listing"
    );
    assert_eq!(
        error_code(
            &h,
            "ListStateMachineVersions",
            json!({"stateMachineArn": sm, "maxResults": 1001}),
        )
        .await,
        "ValidationException"
    );
    assert_eq!(
        ok(
            &h,
            "ListStateMachineVersions",
            json!({"stateMachineArn": other}),
        )
        .await,
        json!({"stateMachineVersions": []})
    );

    // Deleted versions go; their numbers are not given again.
    assert_eq!(
        ok(
            &h,
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": v2}),
        )
        .await,
        json!({})
    );
    assert_eq!(
        error_code(&h, "DescribeStateMachine", json!({"stateMachineArn": v2})).await,
        "StateMachineDoesNotExist"
    );
    assert_eq!(publish(&h, &sm).await, format!("{sm}:3"));
    // Deleting a version that does not exist succeeds.
    ok(
        &h,
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": format!("{sm}:99")}),
    )
    .await;
    let listed = ok(
        &h,
        "ListStateMachineVersions",
        json!({"stateMachineArn": sm}),
    )
    .await;
    assert_eq!(
        arns(&listed, "stateMachineVersions", "stateMachineVersionArn"),
        [format!("{sm}:3"), v1.clone()]
    );
    h.stop().await;
}

#[tokio::test]
async fn version_errors() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "errors", &pass_machine("one")).await;
    let v1 = publish(&h, &sm).await;
    for (op, input, expected) in [
        (
            "PublishStateMachineVersion",
            json!({"stateMachineArn": format!("{SM_PREFIX}missing")}),
            "StateMachineDoesNotExist",
        ),
        (
            "PublishStateMachineVersion",
            json!({"stateMachineArn": v1}),
            "InvalidArn",
        ),
        (
            "PublishStateMachineVersion",
            json!({"stateMachineArn": "not-an-arn"}),
            "InvalidArn",
        ),
        (
            "PublishStateMachineVersion",
            json!({"stateMachineArn": sm, "description": "d".repeat(257)}),
            "ValidationException",
        ),
        (
            "PublishStateMachineVersion",
            json!({"description": "no machine"}),
            "ValidationException",
        ),
        (
            "ListStateMachineVersions",
            json!({"stateMachineArn": v1}),
            "InvalidArn",
        ),
        (
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": sm}),
            "InvalidArn",
        ),
        (
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": format!("{sm}:PROD")}),
            "InvalidArn",
        ),
        (
            "DescribeStateMachine",
            json!({"stateMachineArn": format!("{sm}:7")}),
            "StateMachineDoesNotExist",
        ),
        (
            "DescribeStateMachine",
            json!({"stateMachineArn": format!("{sm}/mapLabel")}),
            "ValidationException",
        ),
        (
            "DescribeStateMachine",
            json!({"stateMachineArn": format!("{sm}:1:2")}),
            "InvalidArn",
        ),
        (
            "CreateStateMachine",
            json!({"name": "nopublish", "definition": pass_machine("x"), "roleArn": ROLE, "versionDescription": "v"}),
            "ValidationException",
        ),
        (
            "UpdateStateMachine",
            json!({"stateMachineArn": sm, "definition": pass_machine("x"), "versionDescription": "v"}),
            "ValidationException",
        ),
    ] {
        assert_eq!(
            error_code(&h, op, input.clone()).await,
            expected,
            "{op} {input}"
        );
    }
    h.stop().await;
}

#[tokio::test]
async fn a_template_machine_publishes_its_initial_revision() {
    let h = Harness::kyc(&[]).await;
    // A machine of the template has no revision id: INITIAL names its revision.
    let (code, status, _) = err(
        &h,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": KYC_ARN, "revisionId": "some-revision"}),
    )
    .await;
    assert_eq!((code.as_str(), status), ("ConflictException", 409));
    let v1 = ok(
        &h,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": KYC_ARN, "revisionId": "INITIAL"}),
    )
    .await["stateMachineVersionArn"]
        .clone();
    assert_eq!(v1, format!("{KYC_ARN}:1").as_str());
    assert_eq!(publish(&h, KYC_ARN).await, format!("{KYC_ARN}:1"));
    h.stop().await;
}

#[tokio::test]
async fn create_and_update_publish_versions() {
    let h = Harness::kyc(&[]).await;
    let request = json!({"name": "published", "definition": pass_machine("one"), "roleArn": ROLE,
                         "publish": true, "versionDescription": "initial"});
    let created = ok(&h, "CreateStateMachine", request.clone()).await;
    let sm = created["stateMachineArn"].as_str().unwrap().to_owned();
    assert_eq!(
        created["stateMachineVersionArn"],
        format!("{sm}:1").as_str()
    );
    // The same request again is idempotent: the same version.
    assert_eq!(ok(&h, "CreateStateMachine", request).await, created);
    assert_eq!(
        ok(
            &h,
            "DescribeStateMachine",
            json!({"stateMachineArn": format!("{sm}:1")}),
        )
        .await["description"],
        "initial"
    );
    // Without publish, no version.
    let plain = ok(
        &h,
        "CreateStateMachine",
        json!({"name": "plain", "definition": pass_machine("one"), "roleArn": ROLE}),
    )
    .await;
    assert!(plain.get("stateMachineVersionArn").is_none(), "{plain}");

    let updated = ok(
        &h,
        "UpdateStateMachine",
        json!({"stateMachineArn": sm, "definition": pass_machine("two"), "publish": true,
               "versionDescription": "second"}),
    )
    .await;
    assert_eq!(
        updated["stateMachineVersionArn"],
        format!("{sm}:2").as_str()
    );
    let revision = updated["revisionId"].as_str().unwrap().to_owned();
    let v2 = ok(
        &h,
        "DescribeStateMachine",
        json!({"stateMachineArn": format!("{sm}:2")}),
    )
    .await;
    assert_eq!(v2["revisionId"], revision.as_str());
    assert_eq!(v2["description"], "second");
    assert_eq!(v2["definition"], pass_machine("two").as_str());
    // An update that changes nothing keeps the revision: publishing answers the same version.
    let unchanged = ok(
        &h,
        "UpdateStateMachine",
        json!({"stateMachineArn": sm, "definition": pass_machine("two"), "publish": true}),
    )
    .await;
    assert_eq!(unchanged["revisionId"], revision.as_str());
    assert_eq!(
        unchanged["stateMachineVersionArn"],
        format!("{sm}:2").as_str()
    );
    // Without publish, UpdateStateMachine answers no version.
    let quiet = update(&h, &sm, &pass_machine("three")).await;
    assert!(quiet.get("stateMachineVersionArn").is_none(), "{quiet}");
    h.stop().await;
}

#[tokio::test]
async fn a_machine_has_at_most_a_thousand_versions() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "many", &pass_machine("0")).await;
    // In process (the wire is tested above): 1,000 revisions, each published.
    for i in 1..=1000 {
        if i > 1 {
            h.ok(
                "UpdateStateMachine",
                json!({"stateMachineArn": sm, "definition": pass_machine(&i.to_string())}),
            )
            .await;
        }
        let v = h
            .ok("PublishStateMachineVersion", json!({"stateMachineArn": sm}))
            .await;
        assert_eq!(v["stateMachineVersionArn"], format!("{sm}:{i}").as_str());
    }
    update(&h, &sm, &pass_machine("one too many")).await;
    let (code, status, body) = err(
        &h,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": sm}),
    )
    .await;
    assert_eq!(
        (code.as_str(), status),
        ("ServiceQuotaExceededException", 402),
        "{body}"
    );
    let (code, _, _) = err(
        &h,
        "UpdateStateMachine",
        json!({"stateMachineArn": sm, "definition": pass_machine("again"), "publish": true}),
    )
    .await;
    assert_eq!(code, "ServiceQuotaExceededException");
    assert_eq!(
        ok(&h, "DescribeStateMachine", json!({"stateMachineArn": sm})).await["definition"],
        pass_machine("one too many").as_str(),
        "the refused update changed nothing"
    );
    // Deleting one makes room; the number is the next one, not the freed one.
    ok(
        &h,
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": format!("{sm}:1")}),
    )
    .await;
    assert_eq!(publish(&h, &sm).await, format!("{sm}:1001"));
    let listed = ok(
        &h,
        "ListStateMachineVersions",
        json!({"stateMachineArn": sm, "maxResults": 1000}),
    )
    .await;
    assert_eq!(
        listed["stateMachineVersions"].as_array().unwrap().len(),
        1000
    );
    assert!(listed.get("nextToken").is_none());
    h.stop().await;
}

// ----- aliases ------------------------------------------------------------------------------

#[tokio::test]
async fn alias_lifecycle() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "aliased", &pass_machine("one")).await;
    let v1 = publish(&h, &sm).await;
    update(&h, &sm, &pass_machine("two")).await;
    let v2 = publish(&h, &sm).await;

    let request = json!({"name": "PROD", "description": "production",
                         "routingConfiguration": routing(&[(&v1, 100)])});
    let created = ok(&h, "CreateStateMachineAlias", request.clone()).await;
    let prod = created["stateMachineAliasArn"].as_str().unwrap().to_owned();
    assert_eq!(prod, format!("{sm}:PROD"));
    assert_eq!(created["creationDate"], START_MS as f64 / 1000.0);
    // The same request again: the same alias, the same creation date.
    h.advance(3).await;
    assert_eq!(ok(&h, "CreateStateMachineAlias", request).await, created);
    // The same name with another configuration conflicts.
    let (code, status, _) = err(
        &h,
        "CreateStateMachineAlias",
        json!({"name": "PROD", "routingConfiguration": routing(&[(&v2, 100)])}),
    )
    .await;
    assert_eq!((code.as_str(), status), ("ConflictException", 409));

    let described = ok(
        &h,
        "DescribeStateMachineAlias",
        json!({"stateMachineAliasArn": prod}),
    )
    .await;
    assert_eq!(
        described,
        json!({"stateMachineAliasArn": prod, "name": "PROD", "description": "production",
               "routingConfiguration": routing(&[(&v1, 100)]),
               "creationDate": START_MS as f64 / 1000.0, "updateDate": START_MS as f64 / 1000.0})
    );
    // DescribeStateMachine on an alias ARN describes its state machine.
    assert_eq!(
        ok(&h, "DescribeStateMachine", json!({"stateMachineArn": prod})).await["stateMachineArn"],
        sm.as_str()
    );

    h.advance(2).await;
    let beta = create_alias(&h, "beta", &[(&v1, 50), (&v2, 50)]).await;
    let listed = ok(
        &h,
        "ListStateMachineAliases",
        json!({"stateMachineArn": sm}),
    )
    .await;
    assert_eq!(
        arns(&listed, "stateMachineAliases", "stateMachineAliasArn"),
        [beta.clone(), prod.clone()],
        "newest first"
    );
    let page1 = ok(
        &h,
        "ListStateMachineAliases",
        json!({"stateMachineArn": sm, "maxResults": 1}),
    )
    .await;
    assert_eq!(
        arns(&page1, "stateMachineAliases", "stateMachineAliasArn"),
        [beta.as_str()]
    );
    let page2 = ok(
        &h,
        "ListStateMachineAliases",
        json!({"stateMachineArn": sm, "maxResults": 1, "nextToken": page1["nextToken"]}),
    )
    .await;
    assert_eq!(
        arns(&page2, "stateMachineAliases", "stateMachineAliasArn"),
        [prod.as_str()]
    );
    assert!(page2.get("nextToken").is_none());
    // A version ARN lists the aliases that route to it.
    let to_v2 = ok(
        &h,
        "ListStateMachineAliases",
        json!({"stateMachineArn": v2}),
    )
    .await;
    assert_eq!(
        arns(&to_v2, "stateMachineAliases", "stateMachineAliasArn"),
        [beta.as_str()]
    );

    // Update: routing and description.
    h.advance(4).await;
    let updated = ok(
        &h,
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": prod, "routingConfiguration": routing(&[(&v2, 100)])}),
    )
    .await;
    assert_eq!(updated["updateDate"], (START_MS + 9_000) as f64 / 1000.0);
    let after = ok(
        &h,
        "DescribeStateMachineAlias",
        json!({"stateMachineAliasArn": prod}),
    )
    .await;
    assert_eq!(after["routingConfiguration"], routing(&[(&v2, 100)]));
    assert_eq!(after["description"], "production", "kept");
    assert_eq!(after["creationDate"], START_MS as f64 / 1000.0);
    ok(
        &h,
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": prod, "description": "live"}),
    )
    .await;
    assert_eq!(
        ok(
            &h,
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": prod}),
        )
        .await["description"],
        "live"
    );

    // A version an alias routes to cannot be deleted.
    let (code, status, _) = err(
        &h,
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v2}),
    )
    .await;
    assert_eq!((code.as_str(), status), ("ConflictException", 409));
    for alias in [&prod, &beta] {
        assert_eq!(
            ok(
                &h,
                "DeleteStateMachineAlias",
                json!({"stateMachineAliasArn": alias}),
            )
            .await,
            json!({})
        );
    }
    ok(
        &h,
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v2}),
    )
    .await;
    let (code, _, body) = err(
        &h,
        "DescribeStateMachineAlias",
        json!({"stateMachineAliasArn": prod}),
    )
    .await;
    assert_eq!(code, "ResourceNotFound");
    assert_eq!(body["resourceName"], prod.as_str());
    assert_eq!(
        code_of_delete_alias(&h, &prod).await,
        "ResourceNotFound",
        "deleted already"
    );
    assert_eq!(
        ok(
            &h,
            "ListStateMachineAliases",
            json!({"stateMachineArn": sm}),
        )
        .await,
        json!({"stateMachineAliases": []})
    );
    h.stop().await;
}

async fn code_of_delete_alias(h: &Harness, arn: &str) -> String {
    error_code(
        h,
        "DeleteStateMachineAlias",
        json!({"stateMachineAliasArn": arn}),
    )
    .await
}

#[tokio::test]
async fn alias_errors() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "rules", &pass_machine("one")).await;
    let v1 = publish(&h, &sm).await;
    update(&h, &sm, &pass_machine("two")).await;
    let v2 = publish(&h, &sm).await;
    let other = create(&h, "elsewhere", &pass_machine("x")).await;
    let w1 = publish(&h, &other).await;
    let alias = create_alias(&h, "live", &[(&v1, 100)]).await;

    let create_code = |name: &str, routes: Value| {
        let h = &h;
        let input = json!({"name": name, "routingConfiguration": routes});
        async move { error_code(h, "CreateStateMachineAlias", input).await }
    };
    for (name, routes, expected) in [
        (
            "sum",
            routing(&[(&v1, 60), (&v2, 30)]),
            "ValidationException",
        ),
        ("single", routing(&[(&v1, 90)]), "ValidationException"),
        (
            "three",
            routing(&[(&v1, 50), (&v2, 25), (&v1, 25)]),
            "ValidationException",
        ),
        ("empty", json!([]), "ValidationException"),
        ("heavy", routing(&[(&v1, 101)]), "ValidationException"),
        (
            "negative",
            routing(&[(&v1, -1), (&v2, 101)]),
            "ValidationException",
        ),
        (
            "twice",
            routing(&[(&v1, 50), (&v1, 50)]),
            "ValidationException",
        ),
        (
            "mixed",
            routing(&[(&v1, 50), (&w1, 50)]),
            "ValidationException",
        ),
        (
            "missing",
            routing(&[(&format!("{sm}:9"), 100)]),
            "ResourceNotFound",
        ),
        ("unversioned", routing(&[(&sm, 100)]), "InvalidArn"),
        ("by-alias", routing(&[(&alias, 100)]), "InvalidArn"),
        ("123", routing(&[(&v1, 100)]), "ValidationException"),
        ("has space", routing(&[(&v1, 100)]), "ValidationException"),
        ("a:b", routing(&[(&v1, 100)]), "ValidationException"),
        (
            &"n".repeat(81),
            routing(&[(&v1, 100)]),
            "ValidationException",
        ),
    ] {
        assert_eq!(
            create_code(name, routes.clone()).await,
            expected,
            "{name} {routes}"
        );
    }
    let (_, _, body) = err(
        &h,
        "CreateStateMachineAlias",
        json!({"name": "42", "routingConfiguration": routing(&[(&v1, 100)])}),
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Member must satisfy regular expression pattern"),
        "{body}"
    );
    let (_, _, body) = err(
        &h,
        "CreateStateMachineAlias",
        json!({"name": "weights", "routingConfiguration": routing(&[(&v1, 101)])}),
    )
    .await;
    assert_eq!(
        body["message"],
        "1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100"
    );
    for (op, input, expected) in [
        (
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": v1}),
            "InvalidArn",
        ),
        (
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": sm}),
            "InvalidArn",
        ),
        (
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": format!("{sm}:nope")}),
            "ResourceNotFound",
        ),
        (
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": alias}),
            "ValidationException",
        ),
        (
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": format!("{sm}:nope"), "description": "d"}),
            "ResourceNotFound",
        ),
        (
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": alias, "routingConfiguration": routing(&[(&w1, 100)])}),
            "ValidationException",
        ),
        (
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": alias, "routingConfiguration": routing(&[(&v1, 50), (&v2, 40)])}),
            "ValidationException",
        ),
        (
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": alias, "description": "d".repeat(257)}),
            "ValidationException",
        ),
        (
            "DeleteStateMachineAlias",
            json!({"stateMachineAliasArn": v1}),
            "InvalidArn",
        ),
        (
            "ListStateMachineAliases",
            json!({"stateMachineArn": alias}),
            "InvalidArn",
        ),
        (
            "ListStateMachineAliases",
            json!({"stateMachineArn": format!("{SM_PREFIX}missing")}),
            "StateMachineDoesNotExist",
        ),
        (
            "ListStateMachineAliases",
            json!({"stateMachineArn": format!("{sm}:9")}),
            "ResourceNotFound",
        ),
        (
            "ListStateMachineAliases",
            json!({"stateMachineArn": sm, "nextToken": "bogus"}),
            "InvalidToken",
        ),
    ] {
        assert_eq!(
            error_code(&h, op, input.clone()).await,
            expected,
            "{op} {input}"
        );
    }
    h.stop().await;
}

#[tokio::test]
async fn a_machine_has_at_most_a_hundred_aliases() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "crowded", &pass_machine("one")).await;
    let v1 = publish(&h, &sm).await;
    for i in 0..100 {
        h.ok(
            "CreateStateMachineAlias",
            json!({"name": format!("a{i}"), "routingConfiguration": routing(&[(&v1, 100)])}),
        )
        .await;
    }
    let (code, status, _) = err(
        &h,
        "CreateStateMachineAlias",
        json!({"name": "a100", "routingConfiguration": routing(&[(&v1, 100)])}),
    )
    .await;
    assert_eq!(
        (code.as_str(), status),
        ("ServiceQuotaExceededException", 402)
    );
    // An existing alias asked for again is not a new one.
    ok(
        &h,
        "CreateStateMachineAlias",
        json!({"name": "a7", "routingConfiguration": routing(&[(&v1, 100)])}),
    )
    .await;
    h.stop().await;
}

#[tokio::test]
async fn deleting_a_machine_deletes_its_versions_and_aliases() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "doomed", &pass_machine("one")).await;
    let v1 = publish(&h, &sm).await;
    let alias = create_alias(&h, "live", &[(&v1, 100)]).await;
    ok(&h, "DeleteStateMachine", json!({"stateMachineArn": sm})).await;
    assert_eq!(
        error_code(&h, "DescribeStateMachine", json!({"stateMachineArn": v1})).await,
        "StateMachineDoesNotExist"
    );
    assert_eq!(
        error_code(
            &h,
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": alias}),
        )
        .await,
        "ResourceNotFound"
    );
    assert_eq!(
        error_code(&h, "StartExecution", json!({"stateMachineArn": alias})).await,
        "StateMachineDoesNotExist"
    );
    // A machine created again under the name starts from version 1.
    create(&h, "doomed", &pass_machine("again")).await;
    assert_eq!(publish(&h, &sm).await, v1);
    assert_eq!(
        ok(&h, "DescribeStateMachine", json!({"stateMachineArn": v1})).await["definition"],
        pass_machine("again").as_str()
    );
    h.stop().await;
}

// ----- executions on versions and aliases ---------------------------------------------------

#[tokio::test]
async fn executions_run_the_version_they_are_started_on() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "runner", &pass_machine("one")).await;
    let v1 = publish(&h, &sm).await;
    update(&h, &sm, &pass_machine("two")).await;
    let v2 = publish(&h, &sm).await;
    update(&h, &sm, &pass_machine("three")).await;
    let alias = create_alias(&h, "live", &[(&v2, 100)]).await;

    let on_v1 = start(&h, &v1, "on-v1").await;
    let on_alias = start(&h, &alias, "on-alias").await;
    let unqualified = start(&h, &sm, "latest").await;
    assert_eq!(
        on_v1,
        format!("arn:aws:states:us-east-1:000000000000:execution:runner:on-v1")
    );
    let d1 = h.wait_status(&on_v1, "SUCCEEDED").await;
    assert_eq!(d1["output"], "\"one\"");
    assert_eq!(d1["stateMachineArn"], sm.as_str());
    assert_eq!(d1["stateMachineVersionArn"], v1.as_str());
    assert!(d1.get("stateMachineAliasArn").is_none(), "{d1}");
    let d2 = h.wait_status(&on_alias, "SUCCEEDED").await;
    assert_eq!(d2["output"], "\"two\"");
    assert_eq!(d2["stateMachineVersionArn"], v2.as_str());
    assert_eq!(d2["stateMachineAliasArn"], alias.as_str());
    let d3 = h.wait_status(&unqualified, "SUCCEEDED").await;
    assert_eq!(d3["output"], "\"three\"");
    assert!(d3.get("stateMachineVersionArn").is_none(), "{d3}");
    // Over the wire too.
    let described = ok(&h, "DescribeExecution", json!({"executionArn": on_alias})).await;
    assert_eq!(described["stateMachineAliasArn"], alias.as_str());

    // The version's definition, for the execution that ran it.
    let for_execution = ok(
        &h,
        "DescribeStateMachineForExecution",
        json!({"executionArn": on_v1}),
    )
    .await;
    assert_eq!(for_execution["definition"], pass_machine("one").as_str());
    assert_eq!(
        ok(
            &h,
            "DescribeStateMachineForExecution",
            json!({"executionArn": unqualified}),
        )
        .await["definition"],
        pass_machine("three").as_str()
    );
    // ExecutionStarted names them.
    let history = h.history(&on_alias).await;
    assert_eq!(
        history[0]["executionStartedEventDetails"]["stateMachineVersionArn"],
        v2.as_str()
    );
    assert_eq!(
        history[0]["executionStartedEventDetails"]["stateMachineAliasArn"],
        alias.as_str()
    );

    // Listing by the machine lists all three, by a version or an alias only theirs.
    let all = ok(&h, "ListExecutions", json!({"stateMachineArn": sm})).await;
    assert_eq!(all["executions"].as_array().unwrap().len(), 3);
    let by_arn: HashMap<String, Value> = all["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["executionArn"].as_str().unwrap().to_owned(), e.clone()))
        .collect();
    assert_eq!(by_arn[&on_alias]["stateMachineAliasArn"], alias.as_str());
    assert_eq!(by_arn[&on_alias]["stateMachineVersionArn"], v2.as_str());
    assert!(by_arn[&unqualified].get("stateMachineVersionArn").is_none());
    let listed = |arn: String| {
        let h = &h;
        async move {
            arns(
                &ok(h, "ListExecutions", json!({"stateMachineArn": arn})).await,
                "executions",
                "executionArn",
            )
        }
    };
    assert_eq!(listed(v1.clone()).await, [on_v1.as_str()]);
    assert_eq!(listed(v2.clone()).await, [on_alias.as_str()]);
    assert_eq!(listed(alias.clone()).await, [on_alias.as_str()]);

    // A version deleted: nothing starts on it; what ran on it is still described.
    ok(
        &h,
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v1}),
    )
    .await;
    assert_eq!(
        error_code(&h, "StartExecution", json!({"stateMachineArn": v1})).await,
        "StateMachineDoesNotExist"
    );
    assert_eq!(
        ok(
            &h,
            "DescribeStateMachineForExecution",
            json!({"executionArn": on_v1}),
        )
        .await["definition"],
        pass_machine("one").as_str()
    );
    for (arn, expected) in [
        (format!("{sm}:nope"), "StateMachineDoesNotExist"),
        (format!("{sm}:42"), "StateMachineDoesNotExist"),
        (format!("{sm}/mapLabel"), "ValidationException"),
        (format!("{sm}:a:b"), "InvalidArn"),
    ] {
        assert_eq!(
            error_code(&h, "StartExecution", json!({"stateMachineArn": arn})).await,
            expected,
            "{arn}"
        );
    }
    h.stop().await;
}

#[tokio::test]
async fn an_alias_splits_starts_by_weight() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "split", &pass_machine("one")).await;
    let v1 = publish(&h, &sm).await;
    update(&h, &sm, &pass_machine("two")).await;
    let v2 = publish(&h, &sm).await;
    let alias = create_alias(&h, "canary", &[(&v1, 80), (&v2, 20)]).await;

    let mut counts: HashMap<String, usize> = HashMap::new();
    for i in 0..400 {
        let started = h
            .ok(
                "StartExecution",
                json!({"stateMachineArn": alias, "name": format!("s{i}")}),
            )
            .await;
        let d = h.describe(started["executionArn"].as_str().unwrap()).await;
        *counts
            .entry(d["stateMachineVersionArn"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    // 400 draws at 80 %: the mean is 320, the standard deviation 8; both routes are taken.
    let first = counts.get(&v1).copied().unwrap_or(0);
    let second = counts.get(&v2).copied().unwrap_or(0);
    assert_eq!(first + second, 400);
    assert!((260..=380).contains(&first), "{counts:?}");
    assert!(second > 0, "{counts:?}");

    // 0 / 100: the first route is never taken.
    ok(
        &h,
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": alias, "routingConfiguration": routing(&[(&v1, 0), (&v2, 100)])}),
    )
    .await;
    for i in 0..200 {
        let started = h
            .ok(
                "StartExecution",
                json!({"stateMachineArn": alias, "name": format!("z{i}")}),
            )
            .await;
        let d = h.describe(started["executionArn"].as_str().unwrap()).await;
        assert_eq!(d["stateMachineVersionArn"], v2.as_str());
    }
    h.stop().await;
}

#[tokio::test]
async fn a_version_execution_resumes_its_version_after_a_restart() {
    let dir = temp_state_dir();
    let clock = ManualClock::new(START_MS);
    let first = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        FakeLambda::kyc(),
    )
    .await;
    let sm = create(&first, "durable", &wait_machine(10, "one")).await;
    let v1 = publish(&first, &sm).await;
    let alias = create_alias(&first, "live", &[(&v1, 100)]).await;
    let arn = start(&first, &alias, "waits").await;
    // The machine changes and the version goes while the execution waits.
    update(&first, &sm, &wait_machine(10, "two")).await;
    ok(
        &first,
        "DeleteStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    )
    .await;
    ok(
        &first,
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v1}),
    )
    .await;
    first.stop().await;

    let second = Harness::start(
        StateLocation::Directory(dir.clone()),
        clock.clone(),
        &[],
        FakeLambda::kyc(),
    )
    .await;
    assert_eq!(second.svc.running_count(), 1);
    let done = second.advance_until_status(&arn, "SUCCEEDED", 5, 5).await;
    assert_eq!(
        done["output"], "\"one\"",
        "it ran the version it started on"
    );
    assert_eq!(done["stateMachineVersionArn"], v1.as_str());
    assert_eq!(done["stateMachineAliasArn"], alias.as_str());
    second.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

// ----- ListExecutions -----------------------------------------------------------------------

#[tokio::test]
async fn list_executions_filters_and_pages() {
    let h = Harness::kyc(&[]).await;
    let sm = create(&h, "mixed", &wait_machine(10, "done")).await;
    let mut all = Vec::new();
    for i in 0..3 {
        all.push(start(&h, &sm, &format!("early{i}")).await);
        h.advance(1).await;
    }
    // The first three finish; two more keep waiting.
    h.advance(10).await;
    for arn in &all {
        h.wait_status(arn, "SUCCEEDED").await;
    }
    for i in 0..2 {
        all.push(start(&h, &sm, &format!("late{i}")).await);
        h.advance(1).await;
    }
    let list = |input: Value| {
        let h = &h;
        async move { ok(h, "ListExecutions", input).await }
    };
    let running = list(json!({"stateMachineArn": sm, "statusFilter": "RUNNING"})).await;
    assert_eq!(
        arns(&running, "executions", "executionArn"),
        [all[4].clone(), all[3].clone()]
    );
    let succeeded = list(json!({"stateMachineArn": sm, "statusFilter": "SUCCEEDED"})).await;
    assert_eq!(succeeded["executions"].as_array().unwrap().len(), 3);
    for e in succeeded["executions"].as_array().unwrap() {
        assert_eq!(e["redriveCount"], 0);
    }
    // Nothing was redriven: NOT_REDRIVEN lists everything, REDRIVEN nothing.
    let not_redriven = list(json!({"stateMachineArn": sm, "redriveFilter": "NOT_REDRIVEN"})).await;
    assert_eq!(not_redriven["executions"].as_array().unwrap().len(), 5);
    assert_eq!(
        list(json!({"stateMachineArn": sm, "redriveFilter": "REDRIVEN"})).await,
        json!({"executions": []})
    );
    // Pages of two, with both filters: the token keeps them.
    let mut seen = Vec::new();
    let mut token: Option<Value> = None;
    loop {
        let mut input = json!({"stateMachineArn": sm, "maxResults": 2,
                               "statusFilter": "SUCCEEDED", "redriveFilter": "NOT_REDRIVEN"});
        if let Some(t) = &token {
            input["nextToken"] = t.clone();
        }
        let page = list(input).await;
        seen.extend(arns(&page, "executions", "executionArn"));
        match page.get("nextToken") {
            Some(t) => token = Some(t.clone()),
            None => break,
        }
        // A token of this listing is refused by a listing with other filters.
        assert_eq!(
            error_code(
                &h,
                "ListExecutions",
                json!({"stateMachineArn": sm, "maxResults": 2, "statusFilter": "RUNNING",
                       "nextToken": token.clone().unwrap()}),
            )
            .await,
            "InvalidToken"
        );
    }
    assert_eq!(seen, [all[2].clone(), all[1].clone(), all[0].clone()]);

    let map_run = "arn:aws:states:us-east-1:000000000000:mapRun:mixed/map:2a7c4e1b-0000-4000-8000-000000000000";
    for (input, expected) in [
        (json!({}), "ValidationException"),
        (
            json!({"stateMachineArn": sm, "mapRunArn": map_run}),
            "ValidationException",
        ),
        (json!({"mapRunArn": map_run}), "ResourceNotFound"),
        (json!({"mapRunArn": sm}), "InvalidArn"),
        (
            json!({"mapRunArn": "arn:aws:states:us-east-1:000000000000:mapRun:nolabel:1"}),
            "InvalidArn",
        ),
        (
            json!({"stateMachineArn": sm, "statusFilter": "PENDING_REDRIVE"}),
            "ValidationException",
        ),
        (
            json!({"stateMachineArn": sm, "redriveFilter": "SOMETIMES"}),
            "ValidationException",
        ),
        (
            json!({"stateMachineArn": sm, "statusFilter": "DONE"}),
            "ValidationException",
        ),
        (
            json!({"stateMachineArn": format!("{SM_PREFIX}missing")}),
            "StateMachineDoesNotExist",
        ),
        (
            json!({"stateMachineArn": format!("{sm}:5")}),
            "StateMachineDoesNotExist",
        ),
        (
            json!({"stateMachineArn": sm, "nextToken": "x".repeat(3097)}),
            "ValidationException",
        ),
    ] {
        assert_eq!(
            error_code(&h, "ListExecutions", input.clone()).await,
            expected,
            "{input}"
        );
    }
    h.stop().await;
}

// ----- GetExecutionHistory ------------------------------------------------------------------

#[tokio::test]
async fn history_pages_in_both_orders_with_or_without_data() {
    let h = Harness::kyc(&[]).await;
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"secret": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Pass", "End": true}
    }})
    .to_string();
    let sm = create(&h, "history", &definition).await;
    let arn = ok(
        &h,
        "StartExecution",
        json!({"stateMachineArn": sm, "name": "h1", "input": "{\"card\":\"4111\"}"}),
    )
    .await["executionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    h.wait_status(&arn, "SUCCEEDED").await;
    let full = ok(&h, "GetExecutionHistory", json!({"executionArn": arn})).await;
    let ids = |page: &Value| -> Vec<i64> {
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let all = ids(&full);
    assert_eq!(all.len(), 8, "{full}");

    for reverse in [false, true] {
        let mut seen = Vec::new();
        let mut token: Option<Value> = None;
        let mut pages = 0;
        loop {
            let mut input = json!({"executionArn": arn, "maxResults": 3, "reverseOrder": reverse});
            if let Some(t) = &token {
                input["nextToken"] = t.clone();
            }
            let page = ok(&h, "GetExecutionHistory", input).await;
            pages += 1;
            seen.extend(ids(&page));
            match page.get("nextToken") {
                Some(t) => {
                    // A token pages the order it came from.
                    let (code, _, _) = err(
                        &h,
                        "GetExecutionHistory",
                        json!({"executionArn": arn, "maxResults": 3, "reverseOrder": !reverse,
                               "nextToken": t}),
                    )
                    .await;
                    assert_eq!(code, "InvalidToken");
                    token = Some(t.clone());
                }
                None => break,
            }
        }
        let mut expected = all.clone();
        if reverse {
            expected.reverse();
        }
        assert_eq!(seen, expected, "reverse {reverse}");
        assert_eq!(pages, 3, "8 events by 3");
    }

    // Without execution data: no input or output, nor their details, anywhere.
    let bare = ok(
        &h,
        "GetExecutionHistory",
        json!({"executionArn": arn, "includeExecutionData": false}),
    )
    .await;
    assert_eq!(ids(&bare), all);
    let text = bare.to_string();
    for hidden in [
        "4111",
        "secret",
        "\"input\"",
        "\"output\"",
        "inputDetails",
        "outputDetails",
    ] {
        assert!(!text.contains(hidden), "{hidden} in {text}");
    }
    assert_eq!(
        bare["events"][0]["executionStartedEventDetails"],
        json!({"roleArn": ROLE})
    );
    assert_eq!(
        bare["events"][1],
        json!({"timestamp": START_MS as f64 / 1000.0, "type": "PassStateEntered", "id": 2,
               "previousEventId": 1, "stateEnteredEventDetails": {"name": "A"}})
    );
    // With it (the default), they are there.
    let with_data = full.to_string();
    for shown in ["4111", "secret", "inputDetails", "outputDetails"] {
        assert!(
            with_data.contains(shown),
            "{shown} missing from {with_data}"
        );
    }
    for (input, expected) in [
        (
            json!({"executionArn": arn, "nextToken": "forged"}),
            "InvalidToken",
        ),
        (
            json!({"executionArn": arn, "maxResults": 1001}),
            "ValidationException",
        ),
        (
            json!({"executionArn": format!("{arn}x")}),
            "ExecutionDoesNotExist",
        ),
    ] {
        assert_eq!(
            error_code(&h, "GetExecutionHistory", input.clone()).await,
            expected,
            "{input}"
        );
    }
    h.stop().await;
}

// ----- the AWS CLI --------------------------------------------------------------------------

#[tokio::test]
async fn the_aws_cli_publishes_routes_and_lists() {
    let cli = common::aws_cli();
    let h = Harness::kyc(&[]).await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let aws = |args: Vec<String>| {
        let cli = cli.clone();
        let endpoint = endpoint.clone();
        async move {
            let args: Vec<&str> = std::iter::once("stepfunctions")
                .chain(args.iter().map(String::as_str))
                .collect();
            common::aws(&cli, &endpoint, &args).await
        }
    };
    let args = |a: &[&str]| -> Vec<String> { a.iter().map(|s| (*s).to_owned()).collect() };

    let created = aws(args(&[
        "create-state-machine",
        "--name",
        "cli-versions",
        "--definition",
        &pass_machine("one"),
        "--role-arn",
        ROLE,
        "--publish",
        "--version-description",
        "first",
    ]))
    .await;
    assert!(created.success, "{}", created.stderr);
    let sm = created.json()["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let v1 = created.json()["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(v1, format!("{sm}:1"));
    let updated = aws(args(&[
        "update-state-machine",
        "--state-machine-arn",
        &sm,
        "--definition",
        &pass_machine("two"),
    ]))
    .await;
    assert!(updated.success, "{}", updated.stderr);
    let revision = updated.json()["revisionId"].as_str().unwrap().to_owned();
    let published = aws(args(&[
        "publish-state-machine-version",
        "--state-machine-arn",
        &sm,
        "--revision-id",
        &revision,
        "--description",
        "second",
    ]))
    .await;
    assert!(published.success, "{}", published.stderr);
    let v2 = published.json()["stateMachineVersionArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let stale = aws(args(&[
        "publish-state-machine-version",
        "--state-machine-arn",
        &sm,
        "--revision-id",
        "stale",
    ]))
    .await;
    assert!(!stale.success);
    assert!(
        stale.stderr.contains("ConflictException"),
        "{}",
        stale.stderr
    );

    // ListStateMachineVersions has no CLI paginator: pages by --max-results / --next-token.
    let page1 = aws(args(&[
        "list-state-machine-versions",
        "--state-machine-arn",
        &sm,
        "--max-results",
        "1",
    ]))
    .await;
    assert!(page1.success, "{}", page1.stderr);
    assert_eq!(
        arns(
            &page1.json(),
            "stateMachineVersions",
            "stateMachineVersionArn"
        ),
        [v2.as_str()]
    );
    let token = page1.json()["nextToken"].as_str().unwrap().to_owned();
    let page2 = aws(args(&[
        "list-state-machine-versions",
        "--state-machine-arn",
        &sm,
        "--max-results",
        "1",
        "--next-token",
        &token,
    ]))
    .await;
    assert!(page2.success, "{}", page2.stderr);
    assert_eq!(
        arns(
            &page2.json(),
            "stateMachineVersions",
            "stateMachineVersionArn"
        ),
        [v1.as_str()]
    );
    assert!(page2.json().get("nextToken").is_none());
    let described = aws(args(&[
        "describe-state-machine",
        "--state-machine-arn",
        &v1,
    ]))
    .await;
    assert!(described.success, "{}", described.stderr);
    assert_eq!(described.json()["description"], "first");

    let routes = routing(&[(&v1, 100)]).to_string();
    let alias = aws(args(&[
        "create-state-machine-alias",
        "--name",
        "PROD",
        "--routing-configuration",
        &routes,
    ]))
    .await;
    assert!(alias.success, "{}", alias.stderr);
    let alias_arn = alias.json()["stateMachineAliasArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let moved = aws(args(&[
        "update-state-machine-alias",
        "--state-machine-alias-arn",
        &alias_arn,
        "--routing-configuration",
        &routing(&[(&v2, 100)]).to_string(),
        "--description",
        "moved",
    ]))
    .await;
    assert!(moved.success, "{}", moved.stderr);
    let shown = aws(args(&[
        "describe-state-machine-alias",
        "--state-machine-alias-arn",
        &alias_arn,
    ]))
    .await;
    assert!(shown.success, "{}", shown.stderr);
    assert_eq!(shown.json()["routingConfiguration"], routing(&[(&v2, 100)]));
    assert_eq!(shown.json()["description"], "moved");
    let aliases = aws(args(&[
        "list-state-machine-aliases",
        "--state-machine-arn",
        &sm,
    ]))
    .await;
    assert!(aliases.success, "{}", aliases.stderr);
    assert_eq!(
        arns(
            &aliases.json(),
            "stateMachineAliases",
            "stateMachineAliasArn"
        ),
        [alias_arn.as_str()]
    );

    let started = aws(args(&[
        "start-execution",
        "--state-machine-arn",
        &alias_arn,
        "--name",
        "cli-run",
    ]))
    .await;
    assert!(started.success, "{}", started.stderr);
    let execution = started.json()["executionArn"].as_str().unwrap().to_owned();
    h.wait_status(&execution, "SUCCEEDED").await;
    let execution_described =
        aws(args(&["describe-execution", "--execution-arn", &execution])).await;
    assert!(
        execution_described.success,
        "{}",
        execution_described.stderr
    );
    let d = execution_described.json();
    assert_eq!(d["stateMachineVersionArn"], v2.as_str());
    assert_eq!(d["stateMachineAliasArn"], alias_arn.as_str());
    assert_eq!(d["output"], "\"two\"");
    let listed = aws(args(&[
        "list-executions",
        "--state-machine-arn",
        &alias_arn,
        "--redrive-filter",
        "NOT_REDRIVEN",
        "--status-filter",
        "SUCCEEDED",
    ]))
    .await;
    assert!(listed.success, "{}", listed.stderr);
    assert_eq!(
        arns(&listed.json(), "executions", "executionArn"),
        [execution.as_str()]
    );
    let history = aws(args(&[
        "get-execution-history",
        "--execution-arn",
        &execution,
        "--reverse-order",
        "--no-include-execution-data",
        "--max-items",
        "2",
    ]))
    .await;
    assert!(history.success, "{}", history.stderr);
    let events = history.json()["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["type"], "ExecutionSucceeded");
    assert!(
        events[0]["executionSucceededEventDetails"]
            .get("output")
            .is_none()
    );

    let blocked = aws(args(&[
        "delete-state-machine-version",
        "--state-machine-version-arn",
        &v2,
    ]))
    .await;
    assert!(!blocked.success);
    assert!(
        blocked.stderr.contains("ConflictException"),
        "{}",
        blocked.stderr
    );
    let deleted = aws(args(&[
        "delete-state-machine-alias",
        "--state-machine-alias-arn",
        &alias_arn,
    ]))
    .await;
    assert!(deleted.success, "{}", deleted.stderr);
    let gone = aws(args(&[
        "describe-state-machine-alias",
        "--state-machine-alias-arn",
        &alias_arn,
    ]))
    .await;
    assert!(!gone.success);
    assert!(gone.stderr.contains("ResourceNotFound"), "{}", gone.stderr);
    let version_deleted = aws(args(&[
        "delete-state-machine-version",
        "--state-machine-version-arn",
        &v2,
    ]))
    .await;
    assert!(version_deleted.success, "{}", version_deleted.stderr);
    h.stop().await;
}

// ----- the permission plane -----------------------------------------------------------------

/// A call signed with a function's credentials (the access key the stack gave it): its role's
/// permissions decide.
async fn signed(h: &Harness, access_key: &str, op: &str, input: Value) -> (u16, Value) {
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00"
    );
    let response = common::raw(
        h.server.as_ref().unwrap().local_addr,
        "POST",
        "/",
        &[
            ("X-Amz-Target", &format!("AWSStepFunctions.{op}")),
            ("Content-Type", common::JSON_10),
            ("Authorization", &authorization),
        ],
        input.to_string().as_bytes(),
    )
    .await;
    (response.status, response.json())
}

/// StartExecution on a version or an alias is authorized on the state machine's ARN (the
/// intake's StepFunctionsExecutionPolicy names the unqualified machine and lets it start either);
/// the version and alias operations the role has no statement for are denied.
#[tokio::test]
async fn a_function_role_starts_versions_and_aliases_of_its_machine_only() {
    let h = Harness::kyc_from(
        stepfunctions_support::project_template(),
        emulator::permissions::IamMode::Enforce,
    )
    .await;
    let intake = emulator::permissions::plane::function_access_key("kyc-application-intake");
    assert!(
        h.stack().permissions.is_function_key(&intake),
        "the intake's key is one the stack gave it"
    );
    // Unsigned calls (the operator's) are not evaluated.
    let v1 = publish(&h, KYC_ARN).await;
    let alias = create_alias(&h, "live", &[(&v1, 100)]).await;
    let input = json!({"detail": {"applicationId": "app-perm", "customerName": "N",
                                  "customerAddress": "A"}})
    .to_string();
    for (arn, name) in [(&alias, "via-alias"), (&v1, "via-version")] {
        let (status, body) = signed(
            &h,
            &intake,
            "StartExecution",
            json!({"stateMachineArn": arn, "name": name, "input": input}),
        )
        .await;
        assert_eq!(status, 200, "{arn}: {body}");
    }
    for (op, body) in [
        (
            "PublishStateMachineVersion",
            json!({"stateMachineArn": KYC_ARN}),
        ),
        (
            "CreateStateMachineAlias",
            json!({"name": "mine", "routingConfiguration": routing(&[(&v1, 100)])}),
        ),
        (
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": alias}),
        ),
        (
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": v1}),
        ),
        (
            "ListStateMachineVersions",
            json!({"stateMachineArn": KYC_ARN}),
        ),
    ] {
        let (status, answer) = signed(&h, &intake, op, body).await;
        assert_eq!(status, 400, "{op}: {answer}");
        assert_eq!(answer["__type"], "AccessDeniedException", "{op}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(&format!("states:{op}")), "{message}");
        assert!(
            message.contains(&format!("on resource: {KYC_ARN}")),
            "evaluated on the machine: {message}"
        );
    }
    h.stop().await;
}
