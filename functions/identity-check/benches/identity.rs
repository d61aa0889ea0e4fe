//! Throughput of the identity check on the sample payloads (parse +
//! validate + every check), and of the watchlist folding alone.

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
                "../../../events/lambda/identity-check-minimal.json"
            )),
        ),
        (
            "approved",
            fixture(include_str!(
                "../../../events/lambda/identity-check-approved.json"
            )),
        ),
        (
            "watchlist",
            fixture(include_str!(
                "../../../events/lambda/identity-check-watchlist.json"
            )),
        ),
        (
            "invalid",
            fixture(include_str!(
                "../../../events/lambda/identity-check-invalid.json"
            )),
        ),
    ];
    let mut group = c.benchmark_group("identity_check_handle");
    for (name, payload) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| identity_check::handle(black_box(payload), today))
        });
    }
    group.finish();
    c.bench_function("watchlist_is_listed", |b| {
        b.iter(|| identity_check::watchlist::is_listed(black_box("Zoë Schättenberg-Müller")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
