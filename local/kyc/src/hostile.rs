//! Hostile traffic for `kyc-local bench --hostile`: the hardening issue's
//! requests, sent in a loop beside the load run, each checked for the answer
//! it must get. The load run passes only if every application still ends in
//! its expected terminal event, every hostile request got its answer, and the
//! hostile executions ended as they must (none left running).
//!
//! The rotation: the exponential event-pattern match (TestEventPattern), a
//! rule too complex to accept (PutRule), executions with a 100,000-segment
//! ResultPath, a runaway JSONPath deep scan and an input-wrapping loop, a
//! forged pagination token, and raw HTTP: a DNS-rebinding Host, a cross-site
//! `text/plain` post to the control API, a JSON body nested 100,000 deep, a
//! declared length of 10 GB and bytes that are not HTTP. A few Pass/Choice
//! loops run to the 25,000-event history limit on the engine threads
//! meanwhile.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::demo::{AwsJsonClient, CallError};

/// Pause between two hostile requests.
const PAUSE: Duration = Duration::from_millis(25);
/// Endless loops started per run (each writes 25,000 history events).
const LOOPS: usize = 2;
/// How long the end of the run waits for the hostile executions to end.
const SETTLE: Duration = Duration::from_secs(120);
/// How many unexpected answers the report quotes.
const EXAMPLES: usize = 5;

/// What the hostile traffic saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostileReport {
    /// Requests sent.
    pub sent: usize,
    /// Requests whose answer was not the one they must get.
    pub unexpected: usize,
    /// The first few of those.
    pub examples: Vec<String>,
    /// Hostile executions started.
    pub executions: usize,
    /// Hostile executions that did not end as they must (or were still running).
    pub executions_wrong: usize,
}

impl HostileReport {
    pub fn passed(&self) -> bool {
        self.unexpected == 0 && self.executions_wrong == 0
    }

    fn miss(&mut self, what: String) {
        self.unexpected += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(what);
        }
    }
}

/// The hostile state machines: name, definition, input, expected error.
fn machines() -> Vec<(&'static str, Value, Value, &'static str)> {
    let mut nested = json!(1);
    for _ in 0..100 {
        nested = json!({ "a": nested });
    }
    vec![
        (
            "hostile-deep-result-path",
            json!({"StartAt": "D", "States": {"D": {"Type": "Pass",
                "ResultPath": format!("${}", ".a".repeat(100_000)), "End": true}}}),
            json!({"x": 1}),
            "States.DataLimitExceeded",
        ),
        (
            "hostile-deep-scan",
            json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
                "InputPath": "$..a..a..a..a..a..a..a..a", "End": true}}}),
            nested,
            "States.Runtime",
        ),
        (
            "hostile-wrap-loop",
            json!({"StartAt": "W", "States": {
                "W": {"Type": "Pass", "Parameters": {"a.$": "$"}, "Next": "C"},
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "W"}], "Default": "E"},
                "E": {"Type": "Succeed"}}}),
            json!({}),
            "States.DataLimitExceeded",
        ),
        (
            "hostile-spin",
            json!({"StartAt": "S", "States": {
                "S": {"Type": "Pass", "Next": "C"},
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.big", "IsPresent": true, "Next": "S"}], "Default": "E"},
                "E": {"Type": "Succeed"}}}),
            json!({"big": "x".repeat(2_000)}),
            "States.Runtime",
        ),
    ]
}

fn exponential_match() -> Value {
    let (pattern, event) = eventbus::array_consistency_worst_case(6);
    json!({"EventPattern": pattern.to_string(), "Event": event.to_string()})
}

/// Sends raw bytes and returns the answer's status code (None: closed unanswered).
async fn raw(addr: SocketAddr, bytes: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let _ = stream.write_all(bytes).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

fn request(host: &str, head: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n{head}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn api_code(r: &Result<Value, CallError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(CallError::Api { code, .. }) => code.clone(),
        Err(e) => format!("error {e}"),
    }
}

/// Sends hostile traffic until `stop` turns true, then waits (bounded) for
/// the hostile executions to end and checks how they ended.
pub async fn run(
    client: AwsJsonClient,
    addr: SocketAddr,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> HostileReport {
    let mut report = HostileReport::default();
    let mut arns = Vec::new();
    for (name, definition, _, _) in machines() {
        let r = client
            .call(
                "AWSStepFunctions.CreateStateMachine",
                &json!({"name": name, "definition": definition.to_string(),
                        "roleArn": "arn:aws:iam::000000000000:role/hostile"}),
            )
            .await;
        report.sent += 1;
        match r {
            Ok(v) => arns.push(v["stateMachineArn"].as_str().unwrap_or_default().to_owned()),
            Err(e) => {
                report.miss(format!("CreateStateMachine {name}: {e}"));
                arns.push(String::new());
            }
        }
    }
    let host = addr.to_string();
    let machines = machines();
    let mut round = 0usize;
    let mut loops = 0usize;
    while !*stop.borrow() {
        round += 1;
        report.sent += 1;
        match round % 11 {
            0 => {
                let r = client
                    .call("AWSEvents.TestEventPattern", &exponential_match())
                    .await;
                if !matches!(&r, Ok(v) if v["Result"] == false) {
                    report.miss(format!("TestEventPattern: {}", api_code(&r)));
                }
            }
            1 => {
                let wildcard = format!("*{}", "ab".repeat(200));
                let r = client
                    .call(
                        "AWSEvents.PutRule",
                        &json!({"Name": "hostile-complex",
                                "EventPattern": json!({"detail": {"s": [{"wildcard": wildcard}]}}).to_string()}),
                    )
                    .await;
                if api_code(&r) != "InvalidEventPatternException" {
                    report.miss(format!("PutRule too complex: {}", api_code(&r)));
                }
            }
            k @ 2..=4 => {
                let i = k - 2;
                let r = client
                    .call(
                        "AWSStepFunctions.StartExecution",
                        &json!({"stateMachineArn": arns[i], "input": machines[i].2.to_string()}),
                    )
                    .await;
                report.executions += 1;
                if r.is_err() {
                    report.miss(format!(
                        "StartExecution {}: {}",
                        machines[i].0,
                        api_code(&r)
                    ));
                }
            }
            5 => {
                let r = client
                    .call(
                        "AWSStepFunctions.ListExecutions",
                        &json!({"stateMachineArn": arns[0], "nextToken": "kyc-local:100"}),
                    )
                    .await;
                if api_code(&r) != "InvalidToken" {
                    report.miss(format!("ListExecutions forged token: {}", api_code(&r)));
                }
            }
            6 => {
                let status = raw(
                    addr,
                    &request(
                        "rebound.attacker.example:4566",
                        "X-Amz-Target: AWSStepFunctions.ListExecutions\r\nContent-Type: application/x-amz-json-1.0\r\n",
                        b"{}",
                    ),
                )
                .await;
                if status != Some(403) {
                    report.miss(format!("DNS-rebinding Host: {status:?}"));
                }
            }
            7 => {
                let mut bytes = format!(
                    "POST /_local/faults HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nOrigin: http://evil.example\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n"
                )
                .into_bytes();
                bytes.extend_from_slice(b"{}");
                let status = raw(addr, &bytes).await;
                if status != Some(403) {
                    report.miss(format!("cross-site text/plain control post: {status:?}"));
                }
            }
            8 => {
                let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
                let status = raw(
                    addr,
                    &request(
                        &host,
                        "X-Amz-Target: AWSEvents.PutEvents\r\nContent-Type: application/x-amz-json-1.1\r\n",
                        body.as_bytes(),
                    ),
                )
                .await;
                if status != Some(400) {
                    report.miss(format!("deep JSON body: {status:?}"));
                }
            }
            9 => {
                let bytes = format!(
                    "POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nX-Amz-Target: AWSEvents.PutEvents\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 10000000000\r\n\r\n{{"
                );
                let status = raw(addr, bytes.as_bytes()).await;
                if status != Some(413) {
                    report.miss(format!("10 GB declared length: {status:?}"));
                }
            }
            _ => {
                // Not HTTP at all: answered 400 or closed, never a hang.
                let status = raw(
                    addr,
                    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
                )
                .await;
                if !matches!(status, None | Some(400)) {
                    report.miss(format!("bytes that are not HTTP: {status:?}"));
                }
                if loops < LOOPS {
                    loops += 1;
                    let r = client
                        .call(
                            "AWSStepFunctions.StartExecution",
                            &json!({"stateMachineArn": arns[3], "input": machines[3].2.to_string()}),
                        )
                        .await;
                    report.executions += 1;
                    report.sent += 1;
                    if r.is_err() {
                        report.miss(format!("StartExecution hostile-spin: {}", api_code(&r)));
                    }
                }
            }
        }
        tokio::select! {
            _ = stop.changed() => {}
            () = tokio::time::sleep(PAUSE) => {}
        }
    }
    // Every hostile execution must end, as it must.
    let deadline = tokio::time::Instant::now() + SETTLE;
    for (i, arn) in arns.iter().enumerate() {
        if arn.is_empty() {
            continue;
        }
        let expected = machines[i].3;
        loop {
            let listed = client
                .call_all_pages(
                    "AWSStepFunctions.ListExecutions",
                    json!({"stateMachineArn": arn}),
                    "executions",
                )
                .await
                .unwrap_or_default();
            let running = listed.iter().filter(|e| e["status"] == "RUNNING").count();
            if running == 0 || tokio::time::Instant::now() >= deadline {
                for e in &listed {
                    let Some(execution) = e["executionArn"].as_str() else {
                        continue;
                    };
                    let d = client
                        .call(
                            "AWSStepFunctions.DescribeExecution",
                            &json!({"executionArn": execution}),
                        )
                        .await
                        .unwrap_or_default();
                    if d["status"] != "FAILED" || d["error"] != expected {
                        report.executions_wrong += 1;
                        if report.examples.len() < EXAMPLES {
                            report.examples.push(format!(
                                "{}: {} {} (expected FAILED {expected})",
                                machines[i].0, d["status"], d["error"]
                            ));
                        }
                    }
                }
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    report
}
