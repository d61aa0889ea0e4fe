//! Whole KYC workflows through the Step Functions service: the project's state machine from
//! `template.yaml`, fake Lambdas and EventBridge (so this measures the runtime, the engine and
//! the SQLite store, not function processes), executions started concurrently.
//!
//! `CARGO_TARGET_DIR=... cargo bench -p emulator --bench stepfunctions`
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/stepfunctions_support/mod.rs"]
mod stepfunctions_support;

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use emulator::server::StateLocation;
use serde_json::json;
use stepfunctions_support::{FakeLambda, Harness, KYC_ARN, temp_state_dir};

const WORKFLOWS: u64 = 200;

async fn run_batch(h: &Arc<Harness>, batch: u64) {
    let starts: Vec<_> = (0..WORKFLOWS)
        .map(|i| {
            let h = Arc::clone(h);
            tokio::spawn(async move {
                let input = json!({"detail": {"applicationId": format!("a-{batch}-{i}"),
                    "customerName": "masked", "customerAddress": "masked"}})
                .to_string();
                h.ok(
                    "StartExecution",
                    json!({"stateMachineArn": KYC_ARN, "name": format!("b{batch}-{i}"), "input": input}),
                )
                .await
            })
        })
        .collect();
    for s in starts {
        s.await.unwrap();
    }
    while h.svc.running_count() > 0 {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("stepfunctions_kyc");
    group.throughput(Throughput::Elements(WORKFLOWS));
    group.sample_size(10);
    for (label, state) in [
        ("in_memory", StateLocation::InMemory),
        ("state_dir", StateLocation::Directory(temp_state_dir())),
    ] {
        let h = Arc::new(rt.block_on(Harness::start(
            state,
            emulator::clock::ManualClock::new(stepfunctions_support::START_MS),
            &[],
            FakeLambda::kyc(),
        )));
        let mut batch = 0;
        group.bench_function(format!("{label}/{WORKFLOWS}_approve_workflows"), |b| {
            b.iter(|| {
                batch += 1;
                rt.block_on(run_batch(&h, batch));
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
