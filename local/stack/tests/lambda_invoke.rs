//! Invoke through the Rust API: round trips, cold start and warm reuse,
//! function errors, the environment and the Runtime API headers.
#![allow(clippy::unwrap_used)]

mod lambda_support;

use std::time::Duration;

use base64::Engine;
use emulator::lambda::{InvocationType, InvokeRequest, LambdaError, LogType};
use lambda_support::{function, harness, json};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_round_trip() {
    let h = harness();
    h.service.register(function("echo")).unwrap();
    let out = h
        .service
        .invoke(
            "echo",
            r#"{"hello":"world","n":[1,2]}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(out.status_code, 200);
    assert_eq!(json(&out.payload), json!({"hello": "world", "n": [1, 2]}));
    assert_eq!(out.function_error, None);
    assert_eq!(out.executed_version.as_deref(), Some("$LATEST"));
    assert_eq!(out.log_result, None);
    uuid::Uuid::parse_str(&out.request_id).unwrap();
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_start_then_warm_reuse() {
    let h = harness();
    h.service.register(function("warm")).unwrap();
    let pid = |out: &emulator::lambda::InvokeOutcome| json(&out.payload)["pid"].as_u64().unwrap();
    let first = h
        .service
        .invoke(
            "warm",
            r#"{"action":"pid"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    let second = h
        .service
        .invoke(
            "warm",
            r#"{"action":"pid"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(pid(&first), pid(&second), "the warm instance is reused");
    let stats = h.service.function_stats("warm").unwrap();
    assert_eq!(stats.instances_started, 1);
    assert_eq!(stats.instances_alive, 1);
    assert_eq!(stats.invocations, 2);

    let reports: Vec<String> = h
        .logs
        .messages("/aws/lambda/warm")
        .into_iter()
        .filter(|m| m.starts_with("REPORT"))
        .collect();
    assert_eq!(reports.len(), 2);
    assert!(
        reports[0].contains("\tInit Duration: "),
        "cold start reports Init Duration: {}",
        reports[0]
    );
    assert!(
        !reports[1].contains("Init Duration"),
        "warm start does not: {}",
        reports[1]
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_error_is_unhandled_with_the_runtime_payload() {
    let h = harness();
    h.service.register(function("fails")).unwrap();
    let out = h
        .service
        .invoke(
            "fails",
            r#"{"action":"error","type":"InvalidApplication","message":"customerName is missing"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(out.status_code, 200);
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json(&out.payload),
        json!({"errorMessage": "customerName is missing", "errorType": "InvalidApplication", "stackTrace": ["at fixture::main"]})
    );
    // A function error leaves the instance warm.
    let again = h
        .service
        .invoke("fails", "{}", InvocationType::RequestResponse)
        .await
        .unwrap();
    assert_eq!(again.function_error, None);
    assert_eq!(
        h.service.function_stats("fails").unwrap().instances_started,
        1
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_function_and_bad_names() {
    let h = harness();
    let err = h
        .service
        .invoke("nope", "{}", InvocationType::RequestResponse)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        LambdaError::ResourceNotFound {
            arn: "arn:aws:lambda:us-east-1:000000000000:function:nope".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
    );

    h.service.register(function("known")).unwrap();
    let other_account = h
        .service
        .invoke(
            "arn:aws:lambda:us-east-1:111111111111:function:known",
            "{}",
            InvocationType::RequestResponse,
        )
        .await
        .unwrap_err();
    assert_eq!(other_account.code(), "ResourceNotFoundException");
    assert_eq!(
        other_account.to_string(),
        "Function not found: arn:aws:lambda:us-east-1:111111111111:function:known"
    );
    let alias = h
        .service
        .invoke("known:prod", "{}", InvocationType::RequestResponse)
        .await
        .unwrap_err();
    assert_eq!(
        alias.to_string(),
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:known:prod"
    );

    let bad = h
        .service
        .invoke("not a name", "{}", InvocationType::RequestResponse)
        .await
        .unwrap_err();
    assert_eq!(bad.code(), "ValidationException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_arn_and_partial_arn_reach_the_same_function() {
    let h = harness();
    h.service.register(function("forms")).unwrap();
    for name in [
        "forms",
        "forms:$LATEST",
        "000000000000:function:forms",
        "arn:aws:lambda:us-east-1:000000000000:function:forms",
        "arn:aws:lambda:us-east-1:000000000000:function:forms:$LATEST",
    ] {
        let out = h
            .service
            .invoke(name, r#"{"via":1}"#, InvocationType::RequestResponse)
            .await
            .unwrap();
        assert_eq!(json(&out.payload), json!({"via": 1}), "{name}");
    }
    assert_eq!(
        h.service.function_stats("forms").unwrap().instances_started,
        1
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_validates_without_running() {
    let h = harness();
    h.service.register(function("dry")).unwrap();
    let out = h
        .service
        .invoke("dry", "{}", InvocationType::DryRun)
        .await
        .unwrap();
    assert_eq!(out.status_code, 204);
    assert!(out.payload.is_empty());
    assert_eq!(
        h.service.function_stats("dry").unwrap().instances_started,
        0
    );
    let missing = h
        .service
        .invoke("missing", "{}", InvocationType::DryRun)
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payload_limits_and_invalid_json() {
    let h = harness();
    h.service.register(function("limits")).unwrap();
    let big = format!("\"{}\"", "x".repeat(6 * 1024 * 1024));
    let err = h
        .service
        .invoke("limits", big, InvocationType::RequestResponse)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "RequestTooLargeException");
    assert_eq!(err.status().as_u16(), 413);
    assert_eq!(
        err.to_string(),
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    );

    let async_big = format!("\"{}\"", "x".repeat(1024 * 1024));
    let err = h
        .service
        .invoke("limits", async_big, InvocationType::Event)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "RequestTooLargeException");
    assert_eq!(
        err.to_string(),
        "Request must be smaller than 1048576 bytes for the InvokeFunction operation"
    );

    let err = h
        .service
        .invoke("limits", "{not json", InvocationType::RequestResponse)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "InvalidRequestContentException");
    assert!(err.to_string().starts_with(
        "Could not parse request body into json: Could not parse payload into json: "
    ));

    // An empty payload reaches the function as {}.
    let out = h
        .service
        .invoke("limits", "", InvocationType::RequestResponse)
        .await
        .unwrap();
    assert_eq!(json(&out.payload), json!({}));

    // A response over 6 MB is a function error.
    let out = h
        .service
        .invoke(
            "limits",
            r#"{"action":"big","bytes":6300000}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json(&out.payload),
        json!({"errorType": "Function.ResponseSizeTooLarge", "errorMessage": "Response payload size exceeded maximum allowed payload size (6291456 bytes)."})
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_has_template_and_lambda_variables() {
    let h = harness();
    let mut f = function("env-fn");
    f.memory_mb = 256;
    f.environment
        .insert("EVENT_BUS_NAME".into(), "CentralEventBus".into());
    h.service.register(f).unwrap();
    let out = h
        .service
        .invoke(
            "env-fn",
            r#"{"action":"env"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    let env = json(&out.payload);
    assert_eq!(env["EVENT_BUS_NAME"], "CentralEventBus");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "env-fn");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/env-fn");
    assert_eq!(env["AWS_LAMBDA_INITIALIZATION_TYPE"], "on-demand");
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "us-east-1");
    assert_eq!(env["_HANDLER"], "bootstrap");
    assert_eq!(env["TZ"], ":UTC");
    assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:4566");
    // Temporary-credential form, naming the function (the permission plane maps it to its role).
    assert_eq!(
        env["AWS_ACCESS_KEY_ID"],
        emulator::permissions::plane::function_access_key("env-fn")
    );
    assert!(
        env["AWS_ACCESS_KEY_ID"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    assert!(env["AWS_SECRET_ACCESS_KEY"].is_string());
    assert!(env["AWS_SESSION_TOKEN"].is_string());
    assert!(
        env.get("AWS_EXECUTION_ENV").is_none(),
        "not defined for provided runtimes"
    );
    let api = env["AWS_LAMBDA_RUNTIME_API"].as_str().unwrap();
    assert!(
        regex::Regex::new(r"^127\.0\.0\.1:\d+$")
            .unwrap()
            .is_match(api),
        "{api}"
    );
    let stream = env["AWS_LAMBDA_LOG_STREAM_NAME"].as_str().unwrap();
    assert!(
        regex::Regex::new(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")
            .unwrap()
            .is_match(stream),
        "{stream}"
    );
    let root = std::path::Path::new(env["LAMBDA_TASK_ROOT"].as_str().unwrap());
    assert_eq!(root, lambda_support::fixture().parent().unwrap());
    // The stream the function is told about is the one its logs go to.
    assert!(
        h.logs
            .events()
            .iter()
            .any(|(g, s, _)| g == "/aws/lambda/env-fn" && s == stream)
    );
    h.service.shutdown().await;
}

#[tokio::test]
async fn reserved_variables_are_refused() {
    let h = harness();
    let mut f = function("reserved");
    f.environment
        .insert("AWS_REGION".into(), "eu-west-1".into());
    let err = h.service.register(f).unwrap_err();
    assert_eq!(err.code(), "InvalidParameterValueException");
    assert_eq!(
        err.to_string(),
        "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_api_headers_reach_the_function() {
    let h = harness();
    let mut f = function("ctx");
    f.timeout = Duration::from_secs(30);
    h.service.register(f).unwrap();
    let client_context =
        base64::engine::general_purpose::STANDARD.encode(r#"{"custom":{"k":"v"}}"#);
    let out = h
        .service
        .invoke_with(InvokeRequest {
            function_name: "ctx".into(),
            payload: r#"{"action":"context"}"#.into(),
            client_context: Some(client_context),
            log_type: LogType::None,
            ..InvokeRequest::default()
        })
        .await
        .unwrap();
    let ctx = json(&out.payload);
    assert_eq!(ctx["requestId"], out.request_id.as_str());
    assert_eq!(
        ctx["functionArn"],
        "arn:aws:lambda:us-east-1:000000000000:function:ctx"
    );
    assert_eq!(ctx["clientContext"], r#"{"custom":{"k":"v"}}"#);
    let trace = ctx["traceId"].as_str().unwrap();
    assert!(trace.starts_with("Root=1-"), "{trace}");
    let deadline: u64 = ctx["deadlineMs"].as_str().unwrap().parse().unwrap();
    let now = ctx["nowMs"].as_u64().unwrap();
    assert!(
        deadline > now && deadline <= now + 30_000,
        "deadline {deadline} is within the 30 s timeout of {now}"
    );

    let bad = h
        .service
        .invoke_with(InvokeRequest {
            function_name: "ctx".into(),
            client_context: Some("%%%".into()),
            ..InvokeRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), "InvalidParameterValueException");
    h.service.shutdown().await;
}
