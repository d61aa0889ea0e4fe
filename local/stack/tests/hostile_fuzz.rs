//! The hostile-input suite: property tests and a committed corpus over the
//! four ways outside input reaches kyc-local's engines, each case held to a
//! deadline and a memory budget, so the suite fails on runaway time and
//! memory, not only on panics:
//!
//! - event patterns × events (PutRule / TestEventPattern / delivery);
//! - state machine definitions × execution inputs (the States Language
//!   engine, run to the end with instant waits and echoing tasks);
//! - JSONPath × documents;
//! - raw HTTP requests against a running stack.
//!
//! The corpus (`tests/hostile_corpus/<family>/*.json`) holds the hardening
//! issue's cases and the worst cases found while fixing them; every file is
//! replayed on every run. Generated cases add to it: the case counts are
//! bounded for the test command and can be raised for a longer run
//! (`HOSTILE_CASES=5000 cargo nextest run -p emulator --test hostile_fuzz`).
//!
//! Time: each case runs on its own thread (2 MiB stack, as a tokio worker's)
//! and fails past [`DEADLINE`], far above what any case needs (milliseconds).
//! Memory: before each case the process's peak RSS is reset
//! (`/proc/self/clear_refs`), and after it the growth of the peak
//! (`VmHWM`) must stay under [`MEMORY_BUDGET`]. nextest runs each test in its
//! own process, so the peak is this test's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use asl::path::Path;
use asl::{Command, Definition, Execution, ExecutionContext, ExecutionStatus};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest any one case may run.
const DEADLINE: Duration = Duration::from_secs(20);
/// Most the process's peak memory may grow during one case.
const MEMORY_BUDGET_KIB: u64 = 512 * 1024;

fn cases(default: u32) -> u32 {
    std::env::var("HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Runs `f` on a 2 MiB-stack thread; fails past the deadline, on a panic, or
/// when the peak memory grew by more than the budget. `what` names the case.
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    reset_peak();
    let before = peak_kib();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    let value = match rx.recv_timeout(DEADLINE) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: not done within {DEADLINE:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    };
    if let (Some(b), Some(a)) = (before, peak_kib()) {
        assert!(
            a.saturating_sub(b) < MEMORY_BUDGET_KIB,
            "{what}: peak memory grew by {} MiB",
            (a - b) / 1024
        );
    }
    value
}

fn corpus(family: &str) -> Vec<(PathBuf, Value)> {
    let dir = FsPath::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hostile_corpus")
        .join(family);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let v = serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, v)
        })
        .collect()
}

/// Expands the corpus's compact notation, so a 200 KB case is a short file:
/// `{"$repeat": [s, n]}` is `s` repeated n times, `{"$nest": [key, n, leaf]}`
/// is `leaf` wrapped n times in `{key: ...}`, `{"$array": [item, n]}` is an
/// array of n copies, `{"$concat": [s, ...]}` joins strings, and
/// `{"$json": v}` is `v` as JSON text.
fn expand(v: &Value) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next().unwrap();
            let a = |i: usize| expand(&arg[i]);
            let n = |i: usize| arg[i].as_u64().unwrap() as usize;
            match k.as_str() {
                "$repeat" => Value::String(a(0).as_str().unwrap().repeat(n(1))),
                "$nest" => {
                    let key = arg[0].as_str().unwrap().to_owned();
                    let mut out = a(2);
                    for _ in 0..n(1) {
                        let mut m = Map::new();
                        m.insert(key.clone(), out);
                        out = Value::Object(m);
                    }
                    out
                }
                "$array" => Value::Array(vec![a(0); n(1)]),
                "$concat" => Value::String(
                    arg.as_array()
                        .unwrap()
                        .iter()
                        .map(|p| expand(p).as_str().unwrap().to_owned())
                        .collect(),
                ),
                "$json" => Value::String(a(0).to_string()),
                _ => Value::Object(m.iter().map(|(k, v)| (k.clone(), expand(v))).collect()),
            }
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), expand(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(expand).collect()),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------
// Patterns × events.

fn check_pattern(what: &str, pattern: String, event: String) {
    bounded(what, move || {
        let _ = eventbus::test_event_pattern(&pattern, &event);
    });
}

#[test]
fn corpus_patterns_and_events() {
    for (path, case) in corpus("patterns") {
        let case = expand(&case);
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        check_pattern(
            &path.display().to_string(),
            text(&case["pattern"]),
            text(&case["event"]),
        );
    }
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0..3i64).prop_map(Value::from),
        prop::sample::select(vec!["a", "ab", "*", "10.0.0.1"]).prop_map(Value::from),
        Just(Value::Null),
    ]
}

/// Events shaped to stress array consistency: nested arrays of objects.
fn arb_event() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec!["a", "b", "c", "d"]);
    arb_leaf().prop_recursive(6, 400, 16, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..16).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..4).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

fn arb_pattern() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec!["a", "b", "c", "d"]);
    let matcher = prop_oneof![
        arb_leaf().prop_map(|l| json!([l])),
        Just(json!([{"exists": true}])),
        Just(json!([{"anything-but": [0]}])),
        Just(json!([{"wildcard": "*a*"}])),
        Just(json!([{"prefix": "a"}])),
        Just(json!([{"numeric": [">=", 0]}])),
    ];
    matcher.prop_recursive(4, 24, 4, move |inner| {
        prop::collection::btree_map(key.clone(), inner, 1..4)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
    })
}

#[test]
fn generated_patterns_and_events() {
    let mut runner = TestRunner::new(Config::with_cases(cases(64)));
    runner
        .run(&(arb_pattern(), arb_event()), |(pattern, event)| {
            let pattern = json!({"detail": pattern}).to_string();
            let event = json!({
                "id": "1", "account": "1", "source": "s", "time": "t", "region": "r",
                "resources": [], "detail-type": "d", "detail": event
            })
            .to_string();
            check_pattern("generated pattern", pattern, event);
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------
// Definitions × inputs.

/// Runs an execution the way the stack's runner does: each turn's history
/// is taken (and here dropped, where the stack persists it), tasks echo their
/// parameters, waits are instant.
fn run_definition(definition: &Value, input: Value) -> Option<ExecutionStatus> {
    let def = Definition::from_value(definition.clone()).ok()?;
    let mut now: chrono::DateTime<chrono::Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let ctx = ExecutionContext::new(
        "arn:aws:states:us-east-1:123456789012:stateMachine:H",
        "h",
        "arn:aws:iam::123456789012:role/r",
    );
    let mut ex = Execution::start(Arc::new(def), input, ctx, now);
    loop {
        let commands = ex.advance(now);
        drop(ex.take_events());
        if ex.status() != ExecutionStatus::Running {
            return Some(ex.status());
        }
        let mut wake = None;
        let mut delivered = false;
        for c in commands {
            match c {
                Command::RunTask(t) => {
                    let _ = ex.task_succeeded(t.task_id, t.parameters.clone(), now);
                    delivered = true;
                }
                Command::WakeAt(t) => wake = Some(t),
                Command::CancelTask { .. } => {}
            }
        }
        if !delivered {
            match wake {
                Some(t) => now = now.max(t),
                None => return Some(ex.status()),
            }
        }
    }
}

fn check_definition(what: &str, definition: Value, input: Value) {
    let status = bounded(what, move || run_definition(&definition, input));
    if let Some(s) = status {
        assert_ne!(s, ExecutionStatus::Running, "{what}: still running");
    }
}

#[test]
fn corpus_definitions_and_inputs() {
    for (path, case) in corpus("definitions") {
        let case = expand(&case);
        let definition = match &case["definition"] {
            Value::String(s) => serde_json::from_str(s).unwrap(),
            v => v.clone(),
        };
        check_definition(
            &path.display().to_string(),
            definition,
            case["input"].clone(),
        );
    }
}

fn arb_path() -> impl Strategy<Value = String> {
    let seg = prop::sample::select(vec![
        ".a",
        "..a",
        ".*",
        "..*",
        "[0]",
        "[-1]",
        "[*]",
        "[0:2]",
        "['a','b']",
        "[?(@.a)]",
        "[?(@.a > 0 && @.b)]",
        ".b",
    ]);
    prop::collection::vec(seg, 0..8).prop_map(|s| format!("${}", s.concat()))
}

fn arb_reference_path() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(vec![".a", ".b", "[0]"]), 0..6)
            .prop_map(|s| format!("${}", s.concat())),
        (1..400usize).prop_map(|n| format!("${}", ".d".repeat(n))),
    ]
}

/// Small state machines with loops, templates, paths and Map / Parallel.
fn arb_definition() -> impl Strategy<Value = Value> {
    let state = (
        0..6u8,
        arb_path(),
        arb_reference_path(),
        0..4usize,
        any::<bool>(),
        arb_reference_path(),
    );
    prop::collection::vec(state, 1..5).prop_map(|states| {
        let n = states.len();
        let mut out = Map::new();
        for (i, (kind, path, result_path, next, wrap, items_path)) in states.into_iter().enumerate() {
            let name = format!("S{i}");
            // Every state leads to the next (so all are reachable); Choice
            // states also jump anywhere, loops included.
            let following = if i + 1 < n {
                format!("S{}", i + 1)
            } else {
                "End".to_owned()
            };
            let jump = format!("S{}", next % n);
            let mut s = match kind {
                0 => json!({"Type": "Pass", "InputPath": path}),
                1 => json!({"Type": "Pass", "Parameters": {"v.$": path, "w.$": "$"}}),
                2 => json!({"Type": "Choice",
                    "Choices": [{"Variable": path, "IsPresent": wrap, "Next": jump}],
                    "Default": following.clone()}),
                // ItemsPath is a Reference Path (no `..`, `*` or filters).
                3 => json!({"Type": "Map", "ItemsPath": items_path,
                    "ItemProcessor": {"StartAt": format!("I{i}"),
                        "States": {format!("I{i}"): {"Type": "Pass", "End": true}}}}),
                4 => json!({"Type": "Parallel", "Branches": [
                    {"StartAt": format!("B{i}"), "States": {format!("B{i}"): {"Type": "Pass", "Parameters": {"x.$": "$"}, "End": true}}},
                    {"StartAt": format!("C{i}"), "States": {format!("C{i}"): {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": true}}}
                ]}),
                _ => json!({"Type": "Wait", "Seconds": 1}),
            };
            if kind != 2 {
                // Wait has no ResultPath.
                if kind != 5 {
                    s["ResultPath"] = json!(result_path);
                }
                s["Next"] = json!(following);
            }
            out.insert(name, s);
        }
        out.insert("End".into(), json!({"Type": "Succeed"}));
        json!({"StartAt": "S0", "States": out})
    })
}

#[test]
fn generated_definitions_and_inputs() {
    let valid = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let n = cases(64);
    let mut runner = TestRunner::new(Config::with_cases(n));
    let counted = Arc::clone(&valid);
    runner
        .run(
            &(arb_definition(), arb_event()),
            move |(definition, input)| {
                if Definition::from_value(definition.clone()).is_ok() {
                    counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                check_definition("generated definition", definition, input);
                Ok(())
            },
        )
        .unwrap();
    // The generator writes valid definitions only (unique state names, the
    // fields each type takes); if the engine refused them, the property would
    // test nothing.
    let valid = valid.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(valid, n, "generated definitions the engine refused");
}

// ---------------------------------------------------------------------------
// JSONPath × documents.

fn check_path(what: &str, path: String, document: Value) {
    bounded(what, move || {
        if let Ok(p) = Path::parse(&path) {
            let _ = p.select(&document);
            let _ = p.exists(&document);
        }
        if let Ok(p) = Path::parse_reference(&path) {
            let mut d = document;
            let _ = p.assign(&mut d, json!(1));
            asl::limits::drop_deep(d);
        }
    });
}

#[test]
fn corpus_jsonpath_and_documents() {
    for (path, case) in corpus("jsonpath") {
        let case = expand(&case);
        check_path(
            &path.display().to_string(),
            case["path"].as_str().unwrap().to_owned(),
            case["document"].clone(),
        );
    }
}

#[test]
fn generated_jsonpath_and_documents() {
    let mut runner = TestRunner::new(Config::with_cases(cases(128)));
    runner
        .run(&(arb_path(), arb_event()), |(path, document)| {
            check_path("generated path", path, document);
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------
// Raw HTTP requests.

/// Sends raw bytes and reads until the server answers or closes (within the
/// deadline). Returns the status line's code, if any.
/// `half_close` ends the sending side after the bytes (for requests that
/// declare more body than they send); otherwise the request asks the server
/// to close after answering (hyper drops a pending answer when the client
/// half-closes).
async fn send_raw(addr: SocketAddr, bytes: Vec<u8>, half_close: bool) -> Option<u16> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let _ = stream.write_all(&bytes).await;
    if half_close {
        let _ = stream.shutdown().await;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

fn request_text(method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

async fn stack() -> emulator::assemble::Stack {
    common::start_kyc(emulator::server::ServerConfig {
        port: 0,
        state: emulator::server::StateLocation::InMemory,
        ..Default::default()
    })
    .await
}

fn addr_of(stack: &emulator::assemble::Stack) -> SocketAddr {
    stack
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap()
}

/// After hostile requests the stack still answers a plain one.
async fn still_serving(addr: SocketAddr) {
    let ok = common::call(addr, "AmazonSQS.ListQueues", common::JSON_10, "{}").await;
    assert_eq!(ok.status, 200, "the stack stopped serving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_http_requests() {
    let stack = stack().await;
    let addr = addr_of(&stack);
    for (path, case) in corpus("http") {
        let case = expand(&case);
        let host = addr.to_string();
        let headers: Vec<(String, String)> = case["headers"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").replace("{addr}", &host)))
                    .collect()
            })
            .unwrap_or_default();
        let body = match &case["body"] {
            Value::String(s) => s.clone().into_bytes(),
            Value::Null => Vec::new(),
            v => v.to_string().into_bytes(),
        };
        let bytes = request_text(
            case["method"].as_str().unwrap_or("POST"),
            case["path"].as_str().unwrap_or("/"),
            &headers,
            &body,
        );
        let status = tokio::time::timeout(DEADLINE, send_raw(addr, bytes, false))
            .await
            .unwrap_or_else(|_| panic!("{}: no answer within the deadline", path.display()));
        if let Some(want) = case["expect_status"].as_u64() {
            assert_eq!(status, Some(want as u16), "{}", path.display());
        }
        still_serving(addr).await;
    }
    stack.shutdown().await.unwrap();
}

fn arb_request() -> impl Strategy<Value = (String, String, Vec<(String, String)>, Vec<u8>)> {
    let method = prop::sample::select(vec!["POST", "GET", "PUT", "DELETE", "OPTIONS", "BREW"]);
    let path = prop::sample::select(vec![
        "/",
        "/_local/faults",
        "/2015-03-31/functions/",
        "/2015-03-31/functions/x/invocations",
        "/%ff",
        "/../../etc/passwd",
        "/_local/health",
    ]);
    let target = prop::sample::select(vec![
        "AWSStepFunctions.StartExecution",
        "AWSEvents.PutEvents",
        "AWSEvents.TestEventPattern",
        "Logs_20140328.FilterLogEvents",
        "AmazonSQS.SendMessage",
        "Nope.Nothing",
        "",
    ]);
    let body = prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..256),
        arb_event().prop_map(|v| v.to_string().into_bytes()),
    ];
    (method, path, target, any::<bool>(), body).prop_map(|(m, p, t, declare, body)| {
        // The last header says whether the declared length is the real one.
        let mut headers = vec![
            ("X-Amz-Target".to_owned(), t.to_owned()),
            (
                "Content-Type".to_owned(),
                "application/x-amz-json-1.1".to_owned(),
            ),
        ];
        if declare {
            headers.push(("Content-Length".to_owned(), body.len().to_string()));
        } else {
            // A length that does not match what is sent.
            headers.push((
                "Content-Length".to_owned(),
                (body.len() * 3 + 7).to_string(),
            ));
        }
        (m.to_owned(), p.to_owned(), headers, body)
    })
}

#[test]
fn generated_http_requests() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let stack = rt.block_on(stack());
    let addr = addr_of(&stack);
    let mut runner = TestRunner::new(Config::with_cases(cases(64)));
    runner
        .run(&arb_request(), |(method, path, mut headers, body)| {
            let honest = headers
                .iter()
                .any(|(k, v)| k == "Content-Length" && *v == body.len().to_string());
            headers.push(("Host".to_owned(), addr.to_string()));
            let bytes = request_text(&method, &path, &headers, &body);
            rt.block_on(async {
                // The server may answer anything or close; it must do so in time.
                tokio::time::timeout(DEADLINE, send_raw(addr, bytes, !honest))
                    .await
                    .expect("an answer or a close within the deadline");
            });
            Ok(())
        })
        .unwrap();
    rt.block_on(async {
        still_serving(addr).await;
        stack.shutdown().await.unwrap();
    });
}
