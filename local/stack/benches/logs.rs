//! CloudWatch Logs hot paths: matching filter patterns, appending lines
//! (what every Lambda invocation and rule target does), filtering a group.
//!
//! `cargo bench -p emulator --bench logs`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use emulator::clock::SystemClock;
use emulator::protocol::operation::Operation;
use emulator::services::logs::filter::FilterPattern;
use emulator::services::logs::{
    FilterLogEvents, FilterLogEventsRequest, InputLogEvent, LogsService,
};
use emulator::store::Store;

const EVENT: &str = r#"{"version":"0","id":"6a7e8feb","detail-type":"New account approved","source":"com.aws.kyc","account":"000000000000","time":"2026-11-21T10:00:00Z","region":"us-east-1","resources":[],"detail":{"applicationId":"app-42","decision":"APPROVE","riskLevel":"LOW","reasons":[]}}"#;

fn patterns(c: &mut Criterion) {
    let mut group = c.benchmark_group("filter_pattern");
    group.throughput(Throughput::Elements(1));
    for (name, pattern) in [
        ("text", "\"New account\" -declined"),
        (
            "json",
            "{ $.detail.applicationId = \"app-42\" && $.detail.riskLevel != HIGH }",
        ),
        ("regex", "%app-[0-9]+%"),
    ] {
        let compiled = FilterPattern::parse(pattern).expect("valid pattern");
        group.bench_function(name, |b| {
            b.iter(|| black_box(compiled.matches(black_box(EVENT))))
        });
    }
    group.finish();
}

fn append(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = std::env::temp_dir().join(format!("kyc-local-bench-{}", uuid::Uuid::new_v4()));
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(1));
    for (name, store) in [
        ("memory", Store::open_in_memory().expect("store")),
        ("wal_file", Store::open(&dir).expect("store")),
    ] {
        let logs = LogsService::new(store, Arc::new(SystemClock), "us-east-1", "000000000000");
        let mut n = 0_i64;
        group.bench_function(name, |b| {
            b.iter(|| {
                n += 1;
                runtime
                    .block_on(logs.append(
                        "/aws/events/kyc/accounts",
                        "bench",
                        vec![InputLogEvent {
                            timestamp: 1_700_000_000_000 + n,
                            message: EVENT.to_owned(),
                        }],
                    ))
                    .expect("append")
            });
        });
    }
    group.finish();

    // What a busy stack does: many writers at once, committed in groups.
    let mut group = c.benchmark_group("append_concurrent");
    group.throughput(Throughput::Elements(1000));
    for (name, store) in [
        (
            "memory_1000_writers",
            Store::open_in_memory().expect("store"),
        ),
        ("wal_file_1000_writers", Store::open(&dir).expect("store")),
    ] {
        let logs = LogsService::new(store, Arc::new(SystemClock), "us-east-1", "000000000000");
        group.bench_function(name, |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let mut tasks = Vec::with_capacity(1000);
                    for i in 0..1000_i64 {
                        let logs = Arc::clone(&logs);
                        tasks.push(tokio::spawn(async move {
                            logs.append(
                                "/aws/events/kyc/accounts",
                                &format!("stream-{}", i % 16),
                                vec![InputLogEvent {
                                    timestamp: 1_700_000_000_000 + i,
                                    message: EVENT.to_owned(),
                                }],
                            )
                            .await
                        }));
                    }
                    for task in tasks {
                        task.await.expect("joined").expect("append");
                    }
                });
            });
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn filter(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let logs = LogsService::new(
        Store::open_in_memory().expect("store"),
        Arc::new(SystemClock),
        "us-east-1",
        "000000000000",
    );
    let events: Vec<InputLogEvent> = (0..10_000)
        .map(|i| InputLogEvent {
            timestamp: 1_700_000_000_000 + i,
            message: EVENT.replace("app-42", &format!("app-{i}")),
        })
        .collect();
    runtime
        .block_on(logs.append("/g", "s", events))
        .expect("append");
    let mut group = c.benchmark_group("filter_log_events");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("json_one_hit_in_10k", |b| {
        b.iter(|| {
            let out = runtime
                .block_on(FilterLogEvents::run(
                    Arc::clone(&logs),
                    FilterLogEventsRequest {
                        log_group_name: Some("/g".into()),
                        filter_pattern: Some("{ $.detail.applicationId = \"app-9999\" }".into()),
                        ..FilterLogEventsRequest::default()
                    },
                ))
                .expect("filter");
            assert_eq!(out.events.len(), 1);
        });
    });
    group.finish();
}

criterion_group!(benches, patterns, append, filter);
criterion_main!(benches);
