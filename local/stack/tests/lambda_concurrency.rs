//! Scale-out while instances are busy, the concurrency limit, and throttling.
#![allow(clippy::unwrap_used)]

mod lambda_support;

use std::collections::BTreeSet;

use emulator::lambda::{ConcurrencyPolicy, InvocationType, LambdaConfig};
use lambda_support::{config, function, harness, harness_with, json};

/// Each invocation sleeps long enough that all three overlap, then reports its pid.
const BUSY: &str = r#"{"action":"sleep","ms":1500}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_instances_scale_out() {
    let h = harness();
    h.service.register(function("wide")).unwrap();
    let calls = (0..3).map(|_| {
        let s = h.service.clone();
        tokio::spawn(async move {
            let out = s
                .invoke("wide", BUSY, InvocationType::RequestResponse)
                .await
                .unwrap();
            assert_eq!(json(&out.payload), serde_json::json!({"slept": 1500}));
            out
        })
    });
    let outs: Vec<_> = futures_join(calls).await;
    let streams: BTreeSet<String> = h.logs.events().into_iter().map(|(_, s, _)| s).collect();
    assert_eq!(outs.len(), 3);
    assert_eq!(
        h.service.function_stats("wide").unwrap().instances_started,
        3
    );
    assert_eq!(streams.len(), 3, "one log stream per instance");

    // All three are now warm: three more overlapping calls start nothing new.
    let again = (0..3).map(|_| {
        let s = h.service.clone();
        tokio::spawn(async move {
            s.invoke("wide", BUSY, InvocationType::RequestResponse)
                .await
                .unwrap()
        })
    });
    futures_join(again).await;
    assert_eq!(
        h.service.function_stats("wide").unwrap().instances_started,
        3
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_limit_invocations_wait() {
    let h = harness();
    let mut f = function("narrow");
    f.reserved_concurrency = Some(1);
    h.service.register(f).unwrap();
    let calls = (0..3).map(|_| {
        let s = h.service.clone();
        tokio::spawn(async move {
            s.invoke(
                "narrow",
                r#"{"action":"sleep","ms":300}"#,
                InvocationType::RequestResponse,
            )
            .await
        })
    });
    for out in futures_join(calls).await {
        assert_eq!(out.unwrap().function_error, None);
    }
    let stats = h.service.function_stats("narrow").unwrap();
    assert_eq!(stats.instances_started, 1);
    assert_eq!(stats.invocations, 3);
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_policy_answers_too_many_requests() {
    let h = harness_with(LambdaConfig {
        concurrency_policy: ConcurrencyPolicy::Throttle,
        ..config()
    });
    let mut f = function("throttled");
    f.reserved_concurrency = Some(1);
    h.service.register(f).unwrap();
    let s = h.service.clone();
    let busy = tokio::spawn(async move {
        s.invoke(
            "throttled",
            r#"{"action":"sleep","ms":3000}"#,
            InvocationType::RequestResponse,
        )
        .await
    });
    // Wait until the first invocation holds the only instance.
    for _ in 0..400 {
        if h.logs
            .messages("/aws/lambda/throttled")
            .iter()
            .any(|m| m.starts_with("START"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let err = h
        .service
        .invoke("throttled", "{}", InvocationType::RequestResponse)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TooManyRequestsException");
    assert_eq!(err.status().as_u16(), 429);
    assert_eq!(
        emulator::protocol::AwsError::from(err).rest_body(),
        serde_json::json!({"Type": "User", "message": "Rate Exceeded.", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"})
    );
    assert_eq!(busy.await.unwrap().unwrap().function_error, None);
    h.service.shutdown().await;
}

async fn futures_join<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_never_cross() {
    let h = harness();
    let mut f = function("many");
    f.reserved_concurrency = Some(6);
    h.service.register(f).unwrap();
    let calls: Vec<_> = (0..120)
        .map(|i| {
            let s = h.service.clone();
            tokio::spawn(async move {
                let payload =
                    serde_json::json!({"action": "print", "lines": [format!("call {i}")]});
                let out = s
                    .invoke("many", payload.to_string(), InvocationType::RequestResponse)
                    .await
                    .unwrap();
                assert_eq!(json(&out.payload), serde_json::json!({"printed": 1}));
                (i, out.request_id)
            })
        })
        .collect();
    let done = futures_join(calls.into_iter()).await;
    assert_eq!(done.len(), 120);
    let stats = h.service.function_stats("many").unwrap();
    assert!(stats.instances_started <= 6, "{stats:?}");
    assert_eq!(stats.invocations, 120);
    // Each invocation's line sits between its own START and END, in its instance's stream.
    let events = h.logs.events();
    for (i, id) in done {
        let start = events
            .iter()
            .position(|(_, _, e)| e.message == format!("START RequestId: {id} Version: $LATEST\n"))
            .unwrap();
        let stream = &events[start].1;
        let own: Vec<&str> = events[start..]
            .iter()
            .filter(|(_, s, _)| s == stream)
            .map(|(_, _, e)| e.message.as_str())
            .take(3)
            .collect();
        assert_eq!(own[1], format!("call {i}\n"));
        assert_eq!(own[2], format!("END RequestId: {id}\n"));
    }
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_call_still_completes_and_frees_its_instance() {
    let h = harness();
    let mut f = function("abandoned");
    f.reserved_concurrency = Some(1);
    h.service.register(f).unwrap();
    let s = h.service.clone();
    let call = tokio::spawn(async move {
        s.invoke(
            "abandoned",
            r#"{"action":"sleep","ms":800}"#,
            InvocationType::RequestResponse,
        )
        .await
    });
    for _ in 0..400 {
        if h.logs
            .messages("/aws/lambda/abandoned")
            .iter()
            .any(|m| m.starts_with("START"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    call.abort();
    // The only instance finishes the abandoned invocation and serves the next one.
    let out = h
        .service
        .invoke(
            "abandoned",
            r#"{"action":"pid"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(out.function_error, None);
    let stats = h.service.function_stats("abandoned").unwrap();
    assert_eq!(stats.instances_started, 1);
    assert_eq!(stats.instances_alive, 1);
    let ends = h
        .logs
        .messages("/aws/lambda/abandoned")
        .iter()
        .filter(|m| m.starts_with("END"))
        .count();
    assert_eq!(ends, 2, "the abandoned invocation ran to its end");
    h.service.shutdown().await;
}
