//! A tiny Lambda function for kyc-local's Lambda tests, speaking the Runtime
//! API over raw HTTP/1.1 so the tests control every byte (crashes, init
//! errors, partial output). Not shipped: it is an example target.
//!
//! The payload's `action` chooses the behaviour: `echo` (default), `error`,
//! `sleep`, `exit`, `abort`, `print`, `alloc`, `env`, `context`, `pid`, `big`.
//! At init: `FIXTURE_INIT_ERROR=1` posts `/init/error` and exits,
//! `FIXTURE_INIT_PRINT` prints its value, `FIXTURE_INIT_SLEEP_MS` delays init.

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::{Value, json};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn request(api: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(api).unwrap_or_else(|e| {
        eprintln!("fixture: cannot reach the runtime API: {e}");
        std::process::exit(3)
    });
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {api}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut raw = Vec::new();
    let sent = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .and_then(|()| stream.read_to_end(&mut raw));
    if let Err(e) = sent {
        eprintln!("fixture: runtime API request failed: {e}");
        std::process::exit(3);
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw.get(split + 4..).unwrap_or_default().to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body,
    }
}

fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply
        .headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn main() {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_else(|_| {
        eprintln!("fixture: AWS_LAMBDA_RUNTIME_API is not set");
        std::process::exit(2)
    });
    if let Some(ms) = std::env::var("FIXTURE_INIT_SLEEP_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    if let Ok(text) = std::env::var("FIXTURE_INIT_PRINT") {
        println!("{text}");
    }
    if std::env::var("FIXTURE_INIT_ERROR").is_ok() {
        let body = json!({"errorMessage": "configuration missing", "errorType": "InitFailed"});
        request(
            &api,
            "POST",
            "/2018-06-01/runtime/init/error",
            &[("Lambda-Runtime-Function-Error-Type", "InitFailed")],
            body.to_string().as_bytes(),
        );
        std::process::exit(1);
    }
    loop {
        let next = request(&api, "GET", "/2018-06-01/runtime/invocation/next", &[], b"");
        if next.status != 200 {
            eprintln!("fixture: /next answered {}", next.status);
            std::process::exit(4);
        }
        let id = header(&next, "lambda-runtime-aws-request-id")
            .unwrap_or_default()
            .to_owned();
        let event: Value = serde_json::from_slice(&next.body).unwrap_or(Value::Null);
        let action = event["action"].as_str().unwrap_or("echo");
        let mut keep: Vec<u8> = Vec::new();
        let response: Value = match action {
            "error" => {
                let kind = event["type"].as_str().unwrap_or("FixtureError");
                let body = json!({
                    "errorMessage": event["message"].as_str().unwrap_or("fixture failed"),
                    "errorType": kind,
                    "stackTrace": ["at fixture::main"],
                });
                request(
                    &api,
                    "POST",
                    &format!("/2018-06-01/runtime/invocation/{id}/error"),
                    &[("Lambda-Runtime-Function-Error-Type", kind)],
                    body.to_string().as_bytes(),
                );
                continue;
            }
            "sleep" => {
                let ms = event["ms"].as_u64().unwrap_or(0);
                std::thread::sleep(std::time::Duration::from_millis(ms));
                json!({"slept": ms})
            }
            "exit" => {
                println!("exiting now");
                std::process::exit(i32::try_from(event["code"].as_i64().unwrap_or(1)).unwrap_or(1));
            }
            "abort" => std::process::abort(),
            "print" => {
                let mut n = 0;
                for line in event["lines"].as_array().into_iter().flatten() {
                    println!("{}", line.as_str().unwrap_or_default());
                    n += 1;
                }
                for line in event["stderr"].as_array().into_iter().flatten() {
                    eprintln!("{}", line.as_str().unwrap_or_default());
                    n += 1;
                }
                json!({"printed": n})
            }
            "alloc" => {
                let mb = event["mb"].as_u64().unwrap_or(1) as usize;
                keep = vec![0u8; mb * 1024 * 1024];
                // Touch every page so it counts as resident.
                for i in (0..keep.len()).step_by(4096) {
                    keep[i] = 1;
                }
                json!({"allocated": mb, "check": keep.iter().step_by(4096).map(|&b| u64::from(b)).sum::<u64>()})
            }
            "env" => Value::Object(
                std::env::vars()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ),
            "context" => json!({
                "requestId": id,
                "deadlineMs": header(&next, "lambda-runtime-deadline-ms"),
                "functionArn": header(&next, "lambda-runtime-invoked-function-arn"),
                "traceId": header(&next, "lambda-runtime-trace-id"),
                "clientContext": header(&next, "lambda-runtime-client-context"),
                "nowMs": std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0),
            }),
            "pid" => json!({"pid": std::process::id()}),
            "big" => json!({"data": "x".repeat(event["bytes"].as_u64().unwrap_or(0) as usize)}),
            _ => event.clone(),
        };
        let reply = request(
            &api,
            "POST",
            &format!("/2018-06-01/runtime/invocation/{id}/response"),
            &[("Content-Type", "application/json")],
            response.to_string().as_bytes(),
        );
        if reply.status != 202 {
            eprintln!("fixture: /response answered {}", reply.status);
        }
        drop(keep);
    }
}
