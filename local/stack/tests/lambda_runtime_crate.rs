//! kyc-local's Runtime API with a function built on the `lambda_runtime` crate.
#![allow(clippy::unwrap_used)]

mod lambda_support;

use std::time::Duration;

use emulator::lambda::{FunctionConfig, InvocationType};
use lambda_support::{harness, json, runtime_fixture};
use serde_json::json;

fn function(name: &str) -> FunctionConfig {
    let mut f = FunctionConfig::new(name, runtime_fixture());
    f.timeout = Duration::from_secs(60);
    f.memory_mb = 256;
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_runtime_function_round_trip() {
    let h = harness();
    h.service.register(function("rt")).unwrap();
    for n in 0..3 {
        let out = h
            .service
            .invoke(
                "rt",
                json!({"n": n}).to_string(),
                InvocationType::RequestResponse,
            )
            .await
            .unwrap();
        assert_eq!(
            out.function_error,
            None,
            "{:?}",
            String::from_utf8_lossy(&out.payload)
        );
        let body = json(&out.payload);
        assert_eq!(body["echo"], json!({"n": n}));
        assert_eq!(body["requestId"], out.request_id.as_str());
        assert_eq!(
            body["functionArn"],
            "arn:aws:lambda:us-east-1:000000000000:function:rt"
        );
        assert_eq!(body["functionName"], "rt");
        assert_eq!(body["memory"], 256);
        assert!(body["deadline"].as_u64().unwrap() > 0);
    }
    assert_eq!(h.service.function_stats("rt").unwrap().instances_started, 1);
    let logs = h.logs.messages("/aws/lambda/rt");
    let handled = logs.iter().filter(|m| m.starts_with("handling ")).count();
    assert_eq!(handled, 3, "{logs:?}");
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_runtime_diagnostic_becomes_the_error_payload() {
    let h = harness();
    h.service.register(function("rt-err")).unwrap();
    let out = h
        .service
        .invoke(
            "rt-err",
            r#"{"fail":"customerName is required"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json(&out.payload),
        json!({"errorType": "InvalidApplication", "errorMessage": "customerName is required"})
    );
    // The runtime keeps serving after an error.
    let ok = h
        .service
        .invoke("rt-err", r#"{"fine":1}"#, InvocationType::RequestResponse)
        .await
        .unwrap();
    assert_eq!(ok.function_error, None);
    h.service.shutdown().await;
}
