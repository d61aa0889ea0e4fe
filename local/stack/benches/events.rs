//! EventBridge hot path: PutEvents of 10 entries on the project's bus, each
//! matched by a rule with a CloudWatch Logs target, until every delivery is
//! written (store commit of the delivery rows, the log append, the row removal).
//!
//! `cargo bench -p emulator --bench events`

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use emulator::clock::SystemClock;
use emulator::lambda::{LambdaConfig, LambdaService, MemoryDeadLetterSink, MemoryLogSink};
use emulator::protocol::JsonService;
use emulator::protocol::error::AwsError;
use emulator::server::{self, Extensions, ServerConfig, StateLocation};
use emulator::services::bridge::{BoxFuture, ExecutionStarter, StartedExecution};
use emulator::services::events::EventsService;
use serde_json::json;

struct NoExecutions;

impl ExecutionStarter for NoExecutions {
    fn start_execution(
        &self,
        _arn: &str,
        _name: Option<String>,
        _input: String,
    ) -> BoxFuture<'_, Result<StartedExecution, AwsError>> {
        Box::pin(async { Err(AwsError::internal("not in this benchmark")) })
    }
}

fn put_and_deliver(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = std::env::temp_dir().join(format!("kyc-local-bench-{}", uuid::Uuid::new_v4()));
    let events = runtime.block_on(async {
        let mut slot = None;
        let config = ServerConfig {
            port: 0,
            state: StateLocation::Directory(dir.clone()),
            ..ServerConfig::default()
        };
        let server = server::start(config, Arc::new(SystemClock), None, |stack| {
            let lambda = LambdaService::new(
                LambdaConfig::default(),
                Arc::new(MemoryLogSink::new()),
                Arc::new(MemoryDeadLetterSink::new()),
            );
            let events = EventsService::new(Arc::clone(stack), lambda, Arc::new(NoExecutions));
            slot = Some(Arc::clone(&events));
            Extensions {
                services: vec![events],
                rest: None,
                rest_fronts: Vec::new(),
            }
        })
        .await
        .expect("server");
        let events = slot.expect("service");
        events.resume().await.expect("resume");
        let call = |op: &str, input| Arc::clone(&events).call(op.to_owned(), input);
        call("CreateEventBus", json!({"Name": "CentralEventBus"})).await.expect("bus");
        call(
            "PutRule",
            json!({"Name": "to-logs", "EventBusName": "CentralEventBus", "EventPattern": "{\"source\":[\"com.aws.kyc\"]}"}),
        )
        .await
        .expect("rule");
        call(
            "PutTargets",
            json!({"Rule": "to-logs", "EventBusName": "CentralEventBus", "Targets": [{"Id": "logs", "Arn": "arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/bench:*"}]}),
        )
        .await
        .expect("target");
        std::mem::forget(server);
        events
    });
    let entries: Vec<_> = (0..10)
        .map(|i| json!({"Source": "com.aws.kyc", "DetailType": "New account approved", "Detail": json!({"applicationId": format!("app-{i}"), "decision": "APPROVE"}).to_string(), "EventBusName": "CentralEventBus"}))
        .collect();
    let mut group = c.benchmark_group("events");
    group.throughput(Throughput::Elements(10));
    group.bench_function("put_events_10_to_log_group", |b| {
        b.iter(|| {
            runtime.block_on(async {
                Arc::clone(&events)
                    .call("PutEvents".into(), json!({ "Entries": entries }))
                    .await
                    .expect("put");
                events.wait_idle().await;
            })
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, put_and_deliver);
criterion_main!(benches);
