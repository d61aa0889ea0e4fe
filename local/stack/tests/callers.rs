//! Who may call the stack: loopback Host names, the bound address and `--allowed-host` only;
//! web origins only when `--cors-origin` names them (with their CORS preflights); the control API
//! JSON only. The DNS-rebinding and cross-site cases of the hardening issue are regression tests here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use emulator::assemble::Stack;
use emulator::server::{ServerConfig, StateLocation};
use pretty_assertions::assert_eq;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(allowed_hosts: &[&str], cors_origins: &[&str]) -> Stack {
    common::start_kyc(ServerConfig {
        port: 0,
        state: StateLocation::InMemory,
        allowed_hosts: allowed_hosts.iter().map(|s| s.to_string()).collect(),
        cors_origins: cors_origins.iter().map(|s| s.to_string()).collect(),
        ..ServerConfig::default()
    })
    .await
}

fn addr(stack: &Stack) -> SocketAddr {
    stack
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap()
}

struct Reply {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One HTTP/1.1 request with exactly the given headers (Host included, or not).
async fn send(
    to: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut stream = TcpStream::connect(to).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

const LIST_GROUPS: (&str, &str) = ("x-amz-target", "Logs_20140328.DescribeLogGroups");
const JSON_11: (&str, &str) = ("content-type", "application/x-amz-json-1.1");

#[tokio::test]
async fn loopback_hosts_are_served_and_a_rebound_name_is_refused() {
    let stack = start(&[], &[]).await;
    let to = addr(&stack);
    let port = to.port().to_string();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "localhost".to_owned(),
    ] {
        let r = send(
            to,
            "POST",
            "/",
            &[("Host", &host), LIST_GROUPS, JSON_11],
            "{}",
        )
        .await;
        assert_eq!(r.status, 200, "{host}: {}", r.body);
    }
    // DNS rebinding: the page's own name, resolved to 127.0.0.1, arrives as Host.
    let r = send(
        to,
        "POST",
        "/",
        &[
            ("Host", &format!("attacker.example:{port}")),
            LIST_GROUPS,
            JSON_11,
        ],
        "{}",
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["__type"], "AccessDeniedException");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("--allowed-host"),
        "{}",
        r.body
    );
    // No Host at all (HTTP/1.1 requires one): refused too.
    let r = send(to, "POST", "/", &[LIST_GROUPS, JSON_11], "{}").await;
    assert!(r.status == 400 || r.status == 403, "{}", r.status);
    // Every route is behind the check: the control API and the Lambda API too.
    let r = send(
        to,
        "GET",
        "/_local/faults",
        &[("Host", "attacker.example")],
        "",
    )
    .await;
    assert_eq!(r.status, 403);
    let r = send(
        to,
        "GET",
        "/2015-03-31/functions",
        &[("Host", "attacker.example")],
        "",
    )
    .await;
    assert_eq!(r.status, 403);
    stack.shutdown().await.unwrap();
}

#[tokio::test]
async fn allowed_hosts_are_served() {
    let stack = start(&["kyc.test"], &[]).await;
    let to = addr(&stack);
    let r = send(
        to,
        "POST",
        "/",
        &[("Host", "KYC.test:4566"), LIST_GROUPS, JSON_11],
        "{}",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(
        to,
        "POST",
        "/",
        &[("Host", "other.test"), LIST_GROUPS, JSON_11],
        "{}",
    )
    .await;
    assert_eq!(r.status, 403);
    stack.shutdown().await.unwrap();
}

#[tokio::test]
async fn web_origins_need_cors_origin_and_get_preflights() {
    let stack = start(&[], &["http://localhost:3000"]).await;
    let to = addr(&stack);
    let host = ("Host", "127.0.0.1");
    // A page of another origin: refused, whatever it asks.
    let r = send(
        to,
        "POST",
        "/",
        &[
            host,
            ("Origin", "https://evil.example"),
            LIST_GROUPS,
            JSON_11,
        ],
        "{}",
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(!r.headers.contains_key("access-control-allow-origin"));
    let r = send(
        to,
        "OPTIONS",
        "/",
        &[
            host,
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 403);
    // The allowed origin: a preflight answer, then the call with CORS headers.
    let r = send(
        to,
        "OPTIONS",
        "/",
        &[
            host,
            ("Origin", "http://localhost:3000"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "content-type,x-amz-target,authorization,x-amz-date",
            ),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        r.headers["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(
        r.headers["access-control-allow-headers"],
        "content-type,x-amz-target,authorization,x-amz-date"
    );
    assert!(r.headers["access-control-allow-methods"].contains("POST"));
    let r = send(
        to,
        "POST",
        "/",
        &[
            host,
            ("Origin", "http://localhost:3000"),
            LIST_GROUPS,
            JSON_11,
        ],
        "{}",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.headers["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert!(r.headers["access-control-expose-headers"].contains("x-amzn-requestid"));
    // Without Origin (the CLI, the SDKs): no CORS headers, served as before.
    let r = send(to, "POST", "/", &[host, LIST_GROUPS, JSON_11], "{}").await;
    assert_eq!(r.status, 200);
    assert!(!r.headers.contains_key("access-control-allow-origin"));
    stack.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_control_api_takes_json_only() {
    let stack = start(&[], &[]).await;
    let to = addr(&stack);
    let host = ("Host", "127.0.0.1");
    let plan = r#"{"delays": [{"service": "logs", "ms": 1}]}"#;
    // A cross-site "simple request" (text/plain, no preflight in a browser): refused before it is read.
    let r = send(
        to,
        "POST",
        "/_local/faults",
        &[host, ("Content-Type", "text/plain")],
        plan,
    )
    .await;
    assert_eq!(r.status, 415);
    assert_eq!(r.json()["__type"], "UnsupportedMediaType");
    let r = send(to, "POST", "/_local/faults", &[host], plan).await;
    assert_eq!(r.status, 415);
    assert_eq!(
        stack.faults.list()["delays"],
        serde_json::json!([]),
        "nothing was added"
    );
    let r = send(
        to,
        "POST",
        "/_local/faults",
        &[host, ("Content-Type", "application/json; charset=utf-8")],
        plan,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(stack.faults.list()["delays"].as_array().unwrap().len(), 1);
    stack.shutdown().await.unwrap();
}
