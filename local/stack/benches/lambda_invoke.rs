//! Invoke latency and throughput through kyc-local's Lambda service with a
//! real function process (the fixture), warm instances, logs discarded.
//!
//! `CARGO_TARGET_DIR=... cargo bench -p emulator --bench lambda_invoke`
#![allow(clippy::unwrap_used)]

#[path = "../tests/lambda_support/mod.rs"]
mod lambda_support;

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use emulator::lambda::{
    InvocationType, LambdaConfig, LambdaService, LogEvent, LogSink, MemoryDeadLetterSink,
};

struct Discard;
impl LogSink for Discard {
    fn put_log_events(&self, _group: &str, _stream: &str, events: Vec<LogEvent>) {
        std::hint::black_box(events);
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let service = LambdaService::new(
        LambdaConfig::default(),
        Arc::new(Discard),
        Arc::new(MemoryDeadLetterSink::new()),
    );
    service.register(lambda_support::function("bench")).unwrap();
    let mut rt_function = lambda_support::function("bench-rt");
    rt_function.executable = lambda_support::runtime_fixture();
    service.register(rt_function).unwrap();
    let payload = r#"{"applicationId":"app-1","customerName":"masked"}"#;
    // Warm four instances so the concurrent case measures warm invocations.
    rt.block_on(async {
        let calls: Vec<_> = (0..4)
            .map(|_| {
                let s = service.clone();
                tokio::spawn(async move {
                    s.invoke(
                        "bench",
                        r#"{"action":"sleep","ms":200}"#,
                        InvocationType::RequestResponse,
                    )
                    .await
                })
            })
            .collect();
        for c in calls {
            c.await.unwrap().unwrap();
        }
    });

    let mut group = c.benchmark_group("lambda_invoke");
    group.throughput(Throughput::Elements(1));
    group.bench_function("warm_request_response", |b| {
        b.iter(|| {
            rt.block_on(service.invoke("bench", payload, InvocationType::RequestResponse))
                .unwrap()
        });
    });
    rt.block_on(service.invoke("bench-rt", payload, InvocationType::RequestResponse))
        .unwrap();
    group.bench_function("warm_request_response_lambda_runtime", |b| {
        b.iter(|| {
            rt.block_on(service.invoke("bench-rt", payload, InvocationType::RequestResponse))
                .unwrap()
        });
    });
    group.throughput(Throughput::Elements(4));
    group.bench_function("warm_request_response_x4_concurrent", |b| {
        b.iter(|| {
            rt.block_on(async {
                let calls: Vec<_> = (0..4)
                    .map(|_| {
                        let s = service.clone();
                        tokio::spawn(async move {
                            s.invoke("bench", payload, InvocationType::RequestResponse)
                                .await
                        })
                    })
                    .collect();
                for c in calls {
                    c.await.unwrap().unwrap();
                }
            });
        });
    });
    group.finish();
    rt.block_on(service.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
