//! State transitions per second: a Pass/Choice loop, and the project's KYC definition with an
//! instant task runner (the sans-IO core driven directly, history events taken and dropped).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use asl::{Command, Definition, Execution, ExecutionContext, ExecutionStatus};
use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

const LOOPS: u64 = 1000;

fn t0() -> DateTime<Utc> {
    "2024-01-01T00:00:00Z".parse().unwrap()
}

fn ctx() -> ExecutionContext {
    let mut c = ExecutionContext::new(
        "arn:aws:states:us-east-1:123456789012:stateMachine:Bench",
        "bench",
        "arn:aws:iam::123456789012:role/R",
    );
    c.history_limit = None;
    c
}

fn loop_definition() -> Arc<Definition> {
    Arc::new(
        Definition::from_value(json!({"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Dec"}], "Default": "Done"},
            "Dec": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, -1)"}, "Next": "Check"},
            "Done": {"Type": "Succeed"}}}))
        .unwrap(),
    )
}

/// The same loop in JSONata: Init, Check, Dec x LOOPS, Done (same number of transitions).
fn jsonata_loop_definition() -> Arc<Definition> {
    Arc::new(
        Definition::from_value(json!({"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Output": {"n": "{% $states.input.n %}"}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 0 %}", "Next": "Dec"}], "Default": "Done"},
            "Dec": {"Type": "Pass", "Output": {"n": "{% $states.input.n - 1 %}"}, "Next": "Check"},
            "Done": {"Type": "Succeed"}}}))
        .unwrap(),
    )
}

fn kyc_definition() -> Arc<Definition> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/kyc.asl.yaml"
    ))
    .unwrap();
    let text = text
        .replace("${EventBusName}", "CentralEventBus")
        .replace(
            "${IdentityCheckFunctionArn}",
            "arn:aws:lambda:us-east-1:123456789012:function:identity",
        )
        .replace(
            "${RiskProfileFunctionArn}",
            "arn:aws:lambda:us-east-1:123456789012:function:risk",
        )
        .replace("${ReviewHeartbeatSeconds}", "600")
        .replace("${ReviewTimeoutSeconds}", "86400")
        .replace("${MaxInvalidReviews}", "3");
    let v: Value = serde_yaml::from_str(&text).unwrap();
    Arc::new(Definition::from_value(v).unwrap())
}

/// Runs an execution with tasks answered at once; returns the number of states entered.
fn run(def: &Arc<Definition>, input: Value, answer: &dyn Fn(&asl::TaskRequest) -> Value) -> u64 {
    let now = t0();
    let mut ex = Execution::start(Arc::clone(def), input, ctx(), now);
    let mut entered = 0u64;
    loop {
        let cmds = ex.advance(now);
        for e in ex.take_events() {
            if format!("{:?}", e.event_type).ends_with("StateEntered") {
                entered += 1;
            }
        }
        if ex.status() != ExecutionStatus::Running {
            break;
        }
        let mut any = false;
        for c in cmds {
            if let Command::RunTask(t) = c {
                let out = answer(&t);
                // The review task answers through its token, like SendTaskSuccess.
                let id = match &t.task_token {
                    Some(tok) => ex.task_for_token(tok).unwrap(),
                    None => t.task_id,
                };
                ex.task_succeeded(id, out, now).unwrap();
                any = true;
            }
        }
        assert!(any, "stuck");
    }
    assert_eq!(ex.status(), ExecutionStatus::Succeeded);
    entered
}

fn kyc_answer(t: &asl::TaskRequest) -> Value {
    if t.resource == "arn:aws:states:::lambda:invoke" {
        let f = t.parameters["FunctionName"].as_str().unwrap_or("");
        if f.ends_with("identity") {
            json!({"Payload": {"applicationId": "app-1", "identityVerified": true, "checks": {"document": "PASS"}, "reasons": []}, "StatusCode": 200})
        } else {
            json!({"Payload": {"riskScore": 40, "riskLevel": "MEDIUM", "decision": "REVIEW", "reasons": ["r"]}, "StatusCode": 200})
        }
    } else if t.task_token.is_some() {
        json!({"decision": "APPROVE", "reviewer": "rev"})
    } else {
        json!({"Entries": [{"EventId": "1"}], "FailedEntryCount": 0})
    }
}

fn bench(c: &mut Criterion) {
    let def = loop_definition();
    let transitions = run(&def, json!({"n": LOOPS}), &|_| Value::Null);
    let mut g = c.benchmark_group("pass_choice_loop");
    g.throughput(Throughput::Elements(transitions));
    g.bench_function(format!("{transitions}_transitions"), |b| {
        b.iter(|| run(&def, json!({"n": LOOPS}), &|_| Value::Null))
    });
    g.finish();

    let def = jsonata_loop_definition();
    let transitions = run(&def, json!({"n": LOOPS}), &|_| Value::Null);
    let mut g = c.benchmark_group("pass_choice_loop_jsonata");
    g.throughput(Throughput::Elements(transitions));
    g.bench_function(format!("{transitions}_transitions"), |b| {
        b.iter(|| run(&def, json!({"n": LOOPS}), &|_| Value::Null))
    });
    g.finish();

    let kyc = kyc_definition();
    let input = json!({"detail-type": "New account requested", "source": "com.aws.accounts",
        "detail": {"customerName": "A", "customerAddress": "B", "applicationId": "app-1"}});
    let transitions = run(&kyc, input.clone(), &kyc_answer);
    let mut g = c.benchmark_group("kyc_review_path");
    g.throughput(Throughput::Elements(transitions));
    g.bench_function(format!("{transitions}_transitions"), |b| {
        b.iter(|| run(&kyc, input.clone(), &kyc_answer))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
