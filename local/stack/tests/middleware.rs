//! One stack of layers in front of every route (`protocol::middleware`): each response carries its
//! own request id, whoever answered it (a JSON service, Lambda's REST API, the control API, a
//! refusal of the callers check, the body limit); the body limit of the service a request is for;
//! and a function's own calls checked against its role on every service, Lambda's REST API
//! included.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use common::{JSON_10, JSON_11, RawResponse, raw};
use emulator::assemble::Stack;
use emulator::clock::SystemClock;
use emulator::permissions::IamMode;
use emulator::permissions::plane::function_access_key;
use emulator::server::{ServerConfig, StateLocation, TemplateSource};
use emulator::template::TemplateOptions;
use pretty_assertions::assert_eq;

/// The project's template, its functions registered (not built: no test here invokes one that
/// would run).
async fn start() -> Stack {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    emulator::assemble::start(
        ServerConfig {
            port: 0,
            state: StateLocation::InMemory,
            iam: IamMode::Enforce,
            ..ServerConfig::default()
        },
        Arc::new(SystemClock),
        Some(TemplateSource {
            path: root.join("template.yaml"),
            options: TemplateOptions {
                stack_name: "layers".into(),
                ..TemplateOptions::default()
            },
        }),
        &emulator::functions::BinaryLocator::new(&root, &[]),
        emulator::lambda::LambdaConfig::default(),
    )
    .await
    .expect("the stack starts")
}

fn addr(stack: &Stack) -> SocketAddr {
    stack
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap()
}

fn request_id(r: &RawResponse) -> String {
    let id = r
        .header("x-amzn-requestid")
        .unwrap_or_else(|| panic!("no request id: {r:?}"))
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    id
}

/// A SigV4 Authorization header with `key` (the stack does not check signatures; the key says
/// whose credentials signed).
fn signed_by(key: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={key}/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00"
    )
}

#[tokio::test]
async fn every_answer_carries_its_own_request_id() {
    let stack = start().await;
    let to = addr(&stack);
    let mut answers = Vec::new();
    // A JSON service, its success and its error.
    let r = common::call(to, "Logs_20140328.DescribeLogGroups", JSON_11, "{}").await;
    assert_eq!(r.status, 200);
    answers.push(r);
    let r = common::call(to, "AWSStepFunctions.NoSuchOperation", JSON_10, "{}").await;
    assert_eq!(r.status, 400);
    answers.push(r);
    // A target no service claims.
    let r = common::call(to, "Nobody.Anything", JSON_11, "{}").await;
    assert_eq!(r.status, 400);
    answers.push(r);
    // Lambda's REST API, a listing and a missing function.
    let r = raw(to, "GET", "/2015-03-31/functions/", &[], b"").await;
    assert_eq!(r.status, 200, "{r:?}");
    answers.push(r);
    let r = raw(
        to,
        "GET",
        "/2015-03-31/functions/no-such-function",
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("ResourceNotFoundException")
    );
    answers.push(r);
    // The control API and the health check.
    let r = raw(to, "GET", "/_local/health", &[], b"").await;
    assert_eq!(r.status, 200);
    answers.push(r);
    let r = raw(to, "GET", "/_local/faults", &[], b"").await;
    assert_eq!(r.status, 200, "{r:?}");
    answers.push(r);
    // A refusal of the callers check (a web origin not allowed).
    let r = raw(
        to,
        "GET",
        "/2015-03-31/functions/",
        &[("Origin", "http://evil.example")],
        b"",
    )
    .await;
    assert_eq!(r.status, 403);
    answers.push(r);
    let ids: BTreeSet<String> = answers.iter().map(request_id).collect();
    assert_eq!(ids.len(), answers.len(), "every answer its own id");
    stack.shutdown().await.unwrap();
}

#[tokio::test]
async fn each_service_s_body_limit_and_words() {
    let stack = start().await;
    let to = addr(&stack);
    // Lambda: Invoke's synchronous payload limit, refused from the declared length, in restJson1.
    let limit = emulator::lambda::LambdaConfig::default().max_sync_payload;
    let payload = vec![b' '; limit + 1];
    let r = raw(
        to,
        "POST",
        "/2015-03-31/functions/any/invocations",
        &[],
        &payload,
    )
    .await;
    assert_eq!(r.status, 413, "{r:?}");
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("RequestTooLargeException")
    );
    assert_eq!(
        r.json()["message"],
        format!("Request must be smaller than {limit} bytes for the InvokeFunction operation")
    );
    request_id(&r);
    // A JSON service: its own limit, its own error shape (SQS adds its query error header).
    // SQS takes 8 MiB (a 1 MiB message JSON-escaped).
    let big = vec![b' '; 8 * 1024 * 1024 + 1];
    let r = raw(
        to,
        "POST",
        "/",
        &[
            ("X-Amz-Target", "AmazonSQS.ListQueues"),
            ("Content-Type", JSON_10),
        ],
        &big,
    )
    .await;
    assert_eq!(r.status, 413, "{r:?}");
    assert!(r.header("x-amzn-query-error").is_some(), "{r:?}");
    request_id(&r);
    stack.shutdown().await.unwrap();
}

/// A function's own calls to Lambda's REST API are its role's, as on AWS: the KYC functions' roles
/// grant no Lambda action, so ListFunctions, GetFunction and Invoke signed with a function's
/// credentials are refused (403 AccessDeniedException naming the action IAM evaluates:
/// `lambda:InvokeFunction` for Invoke); the same requests unsigned, or signed by a caller that is
/// not a function, are served.
#[tokio::test]
async fn a_function_s_lambda_calls_are_its_role_s() {
    let stack = start().await;
    let to = addr(&stack);
    let model = stack.template().unwrap().clone();
    let identity = model
        .functions
        .iter()
        .find(|f| f.logical_id == "IdentityCheckFunction")
        .expect("the identity check function");
    let auth = signed_by(&function_access_key(&identity.name));
    let signed = [("Authorization", auth.as_str())];

    let r = raw(to, "GET", "/2015-03-31/functions/", &signed, b"").await;
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(r.header("x-amzn-errortype"), Some("AccessDeniedException"));
    let message = r.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("lambda:ListFunctions"), "{message}");
    request_id(&r);

    let path = format!("/2015-03-31/functions/{}", identity.name);
    let r = raw(to, "GET", &path, &signed, b"").await;
    assert_eq!(r.status, 403, "{r:?}");
    let message = r.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("lambda:GetFunction"), "{message}");
    assert!(
        message.contains(&format!("function:{}", identity.name)),
        "{message}"
    );

    let invoke = format!("/2015-03-31/functions/{}/invocations", identity.name);
    let r = raw(to, "POST", &invoke, &signed, b"{}").await;
    assert_eq!(r.status, 403, "{r:?}");
    let message = r.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("lambda:InvokeFunction"), "{message}");

    // Not a function's credentials: served as before.
    let other = signed_by("AKIAIOSFODNN7EXAMPLE");
    let r = raw(to, "GET", &path, &[("Authorization", other.as_str())], b"").await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = raw(to, "GET", &path, &[], b"").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(stack.running.stack.permissions.counts().0, 3);
    stack.shutdown().await.unwrap();
}
