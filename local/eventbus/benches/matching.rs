//! Matching cost against 1, 100 and 10,000 rules.
//!
//! - `indexed`: every rule names an exact `source` (as KYC rules do), so the
//!   index evaluates only the rules filed under the event's source. Throughput
//!   is events per second; it should barely move with the rule count.
//! - `unindexed`: every rule uses a `prefix` on `source`, so every rule is
//!   evaluated for every event. Throughput is event-rule evaluations per second.
//! - `same_source`: rules share one `source` and differ by `detail-type`
//!   (filed by the pair); events per second.
//! - `unindexed_all_match`: as `unindexed`, but every rule matches, so every
//!   field of every rule is evaluated (the worst case for one event).
//! - `single`: one compiled pattern against one event.
//! - `hostile_arrays/N`: the hardening issue's worst case, N arrays of 14
//!   elements plus two fields that only sit in different elements of one more
//!   array (no match). Trying combinations took 35 s at N = 6 (14^6); the
//!   tree search is linear in the elements.
//!
//! Run: `cargo bench -p eventbus --bench matching`.

// A benchmark's fixed inputs are known to be valid.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use eventbus::{EventPattern, RuleIndex};
use serde_json::{Value, json};

const DETAIL_TYPES: [&str; 4] = [
    "New account requested",
    "Identity check completed",
    "New account approved",
    "New account declined",
];

fn indexed_rule(i: usize) -> EventPattern {
    EventPattern::parse(&format!(
        r#"{{"source": ["com.example.src{i}"], "detail-type": ["{}"], "detail": {{"riskLevel": [{{"anything-but": "LOW"}}], "amount": [{{"numeric": [">", {}, "<=", 100000]}}], "country": [{{"prefix": "E"}}]}}}}"#,
        DETAIL_TYPES[i % DETAIL_TYPES.len()],
        i % 1000
    ))
    .unwrap()
}

fn unindexed_rule(i: usize) -> EventPattern {
    EventPattern::parse(&format!(
        r#"{{"source": [{{"prefix": "com.example.src{i}"}}], "detail-type": ["{}"], "detail": {{"riskLevel": [{{"anything-but": "LOW"}}], "amount": [{{"numeric": [">", {}]}}]}}}}"#,
        DETAIL_TYPES[i % DETAIL_TYPES.len()],
        i % 1000
    ))
    .unwrap()
}

fn event(i: usize) -> Value {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": DETAIL_TYPES[i % DETAIL_TYPES.len()],
        "source": format!("com.example.src{i}"),
        "account": "123456789012",
        "time": "2026-11-21T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "applicationId": "app-1",
            "riskLevel": "MEDIUM",
            "amount": 5000,
            "country": "ES",
            "checks": ["name", "address", "document"],
            "reasons": []
        }
    })
}

fn bench_index(c: &mut Criterion) {
    let mut group = c.benchmark_group("indexed");
    for &n in &[1usize, 100, 10_000] {
        let mut index = RuleIndex::new();
        for i in 0..n {
            index.insert(i, indexed_rule(i));
        }
        let events: Vec<Value> = (0..64).map(|k| event((k * 7919) % n)).collect();
        group.throughput(Throughput::Elements(events.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let mut hits = 0usize;
                for ev in &events {
                    hits += index.matching_rules(black_box(ev)).count();
                }
                hits
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("unindexed");
    for &n in &[1usize, 100, 10_000] {
        let mut index = RuleIndex::new();
        for i in 0..n {
            index.insert(i, unindexed_rule(i));
        }
        let ev = event(n / 2);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| index.matching_rules(black_box(&ev)).count())
        });
    }
    group.finish();

    // One source, many detail types: the (source, detail-type) level of the index.
    let mut group = c.benchmark_group("same_source");
    for &n in &[1usize, 100, 10_000] {
        let mut index = RuleIndex::new();
        for i in 0..n {
            let text = format!(
                r#"{{"source": ["com.aws.kyc"], "detail-type": ["type {i}"], "detail": {{"riskLevel": [{{"anything-but": "LOW"}}]}}}}"#
            );
            index.insert(i, EventPattern::parse(&text).unwrap());
        }
        let events: Vec<Value> = (0..64)
            .map(|k| {
                let mut ev = event(0);
                ev["source"] = json!("com.aws.kyc");
                ev["detail-type"] = json!(format!("type {}", (k * 7919) % n));
                ev
            })
            .collect();
        group.throughput(Throughput::Elements(events.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let mut hits = 0usize;
                for ev in &events {
                    hits += index.matching_rules(black_box(ev)).count();
                }
                hits
            })
        });
    }
    group.finish();

    // Every rule matches the event, so every field of every rule is evaluated.
    let mut group = c.benchmark_group("unindexed_all_match");
    for &n in &[1usize, 100, 10_000] {
        let mut index = RuleIndex::new();
        for i in 0..n {
            let text = format!(
                r#"{{"source": [{{"prefix": "com.example."}}], "detail-type": [{{"anything-but": "x{i}"}}], "detail": {{"riskLevel": [{{"anything-but": "LOW"}}], "amount": [{{"numeric": [">", {}]}}], "country": [{{"equals-ignore-case": "es"}}]}}}}"#,
                i % 1000
            );
            index.insert(i, EventPattern::parse(&text).unwrap());
        }
        let ev = event(1);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| index.matching_rules(black_box(&ev)).count())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("single");
    let p = indexed_rule(3);
    let ev = event(3);
    group.throughput(Throughput::Elements(1));
    group.bench_function("matches", |b| b.iter(|| p.matches(black_box(&ev))));
    group.bench_function("parse", |b| {
        let text = p.as_str().to_owned();
        b.iter(|| EventPattern::parse(black_box(&text)).is_ok())
    });
    group.finish();
}

fn hostile_case(arrays: usize) -> (EventPattern, Value) {
    let (pattern, event) = eventbus::array_consistency_worst_case(arrays);
    (EventPattern::parse(&pattern.to_string()).unwrap(), event)
}

fn bench_hostile(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile_arrays");
    for arrays in [6usize, 20, 100] {
        let (pattern, event) = hostile_case(arrays);
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::from_parameter(arrays), |b| {
            b.iter(|| black_box(pattern.matches(black_box(&event))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_index, bench_hostile);
criterion_main!(benches);
