//! Helpers for the integration tests: an in-process stack on an ephemeral
//! port, a raw HTTP/1.1 client, and the real AWS CLI when it is installed.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use emulator::clock::SystemClock;
use emulator::server::{
    self, Extensions, RunningServer, ServerConfig, StateLocation, TemplateSource,
};
use emulator::template::TemplateOptions;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub async fn start(state: StateLocation, template: Option<PathBuf>) -> RunningServer {
    let config = ServerConfig {
        port: 0,
        state,
        ..ServerConfig::default()
    };
    let template = template.map(|path| TemplateSource {
        path,
        options: TemplateOptions {
            stack_name: "it".into(),
            ..TemplateOptions::default()
        },
    });
    server::start(config, Arc::new(SystemClock), template, |_| {
        Extensions::default()
    })
    .await
    .expect("server starts")
}

/// The whole stack as `kyc-local serve` assembles it (Step Functions, Lambda, the template-free
/// services) with `config`, and no template.
pub async fn start_kyc(config: ServerConfig) -> emulator::assemble::Stack {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    emulator::assemble::start(
        config,
        Arc::new(SystemClock),
        None,
        &emulator::functions::BinaryLocator::new(&root, &[]),
        emulator::lambda::LambdaConfig::default(),
    )
    .await
    .expect("the stack starts")
}

pub async fn start_in_memory() -> RunningServer {
    start(StateLocation::InMemory, None).await
}

/// A response as the wire carried it.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// Sends one HTTP/1.1 request and reads the whole response (Connection: close).
pub async fn raw(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    // A server may answer (413) before reading everything; ignore write errors then.
    let _ = stream.write_all(body).await;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("read");
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&bytes[..split]).to_string();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let mut headers = BTreeMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let mut body = bytes[split + 4..].to_vec();
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t == "chunked")
    {
        body = dechunk(&body);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

/// An awsJson call: `POST /` with `X-Amz-Target`.
pub async fn call(
    addr: std::net::SocketAddr,
    target: &str,
    content_type: &str,
    body: &str,
) -> RawResponse {
    raw(
        addr,
        "POST",
        "/",
        &[("X-Amz-Target", target), ("Content-Type", content_type)],
        body.as_bytes(),
    )
    .await
}

pub const JSON_10: &str = "application/x-amz-json-1.0";
pub const JSON_11: &str = "application/x-amz-json-1.1";

/// An error a JSON-protocol service answered: HTTP status, `__type`, the whole body.
#[derive(Debug)]
pub struct WireError {
    pub status: u16,
    pub code: String,
    pub body: Value,
}

impl WireError {
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }
}

/// Calls Step Functions' `op` (awsJson1_0) on the server at `addr`: the answer, or the error.
pub async fn sfn_call(
    addr: std::net::SocketAddr,
    op: &str,
    input: &Value,
) -> Result<Value, WireError> {
    let response = call(
        addr,
        &format!("AWSStepFunctions.{op}"),
        JSON_10,
        &input.to_string(),
    )
    .await;
    let body = response.json();
    if response.status == 200 {
        Ok(body)
    } else {
        Err(WireError {
            status: response.status,
            code: body["__type"].as_str().unwrap_or("").to_owned(),
            body,
        })
    }
}

/// The real AWS CLI: `$KYC_AWS_CLI`, else `aws` on PATH (scripts/test-all installs it in `.venv` and
/// puts that on PATH). These tests exist to prove real clients work, so a missing CLI fails them
/// with a clear message instead of skipping.
pub fn aws_cli() -> PathBuf {
    if let Some(path) = std::env::var_os("KYC_AWS_CLI") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("aws"))
        .find(|candidate| candidate.is_file())
        .expect("the AWS CLI (`aws`) must be on PATH or in $KYC_AWS_CLI: run ./scripts/test-all, or `. .venv/bin/activate` after it")
}

/// Output of one `aws` run.
#[derive(Debug)]
pub struct CliOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

/// Runs `aws --endpoint-url <endpoint> <args>` with dummy credentials.
pub async fn aws(cli: &Path, endpoint: &str, args: &[&str]) -> CliOutput {
    let mut command = tokio::process::Command::new(cli);
    command
        .arg("--endpoint-url")
        .arg(endpoint)
        .args(["--output", "json"])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "");
    let output = command.output().await.expect("aws runs");
    CliOutput {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
