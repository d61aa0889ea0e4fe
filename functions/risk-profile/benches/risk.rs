//! Throughput of the risk profile on the sample payloads (parse + validate
//! + score).

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;

fn fixture(raw: &str) -> Value {
    serde_json::from_str(raw).expect("fixture is JSON")
}

fn bench(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("valid date");
    let cases = [
        (
            "minimal",
            fixture(include_str!(
                "../../../events/lambda/risk-profile-minimal.json"
            )),
        ),
        (
            "review",
            fixture(include_str!(
                "../../../events/lambda/risk-profile-review.json"
            )),
        ),
        (
            "decline",
            fixture(include_str!(
                "../../../events/lambda/risk-profile-decline.json"
            )),
        ),
    ];
    let mut group = c.benchmark_group("risk_profile_handle");
    for (name, payload) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| risk_profile::handle(black_box(payload), today))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
