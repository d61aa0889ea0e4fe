//! Shared helpers of the Lambda tests: the fixture function and a service
//! wired to in-memory sinks.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use emulator::lambda::{
    FunctionConfig, LambdaConfig, LambdaService, MemoryDeadLetterSink, MemoryLogSink,
};

/// An example binary of this crate. `cargo test` builds examples; when the
/// binary is missing or older than its source (a filtered run does not build
/// examples), it is built into a separate target directory so this never
/// waits on the outer cargo's lock.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let built = profile_dir.join("examples").join(name);
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.rs"));
    let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(bin), Some(src)) = (modified(&built), modified(&source))
        && bin >= src
    {
        return built;
    }
    let target = profile_dir.parent().unwrap().join("lambda-fixture");
    let status = std::process::Command::new(option_env!("CARGO").unwrap_or("cargo"))
        .args(["build", "-p", "kyc-local", "--example", name])
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .unwrap();
    assert!(status.success(), "building the {name} example failed");
    target.join("debug").join("examples").join(name)
}

/// The fixture function (`examples/lambda_fixture.rs`).
pub fn fixture() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| example("lambda_fixture")).clone()
}

/// The fixture written with `lambda_runtime` (`examples/lambda_runtime_fixture.rs`).
pub fn runtime_fixture() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| example("lambda_runtime_fixture"))
        .clone()
}

pub struct Harness {
    pub service: LambdaService,
    pub logs: Arc<MemoryLogSink>,
    pub dead_letters: Arc<MemoryDeadLetterSink>,
}

pub fn config() -> LambdaConfig {
    LambdaConfig {
        endpoint_url: "http://127.0.0.1:4566".into(),
        ..LambdaConfig::default()
    }
}

pub fn harness_with(config: LambdaConfig) -> Harness {
    let logs = Arc::new(MemoryLogSink::new());
    let dead_letters = Arc::new(MemoryDeadLetterSink::new());
    let service = LambdaService::new(config, logs.clone(), dead_letters.clone());
    Harness {
        service,
        logs,
        dead_letters,
    }
}

pub fn harness() -> Harness {
    harness_with(config())
}

/// A fixture function with a generous timeout (tests never depend on speed).
pub fn function(name: &str) -> FunctionConfig {
    let mut f = FunctionConfig::new(name, fixture());
    f.timeout = Duration::from_secs(60);
    f
}

pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

/// True while a process with this pid exists (and is not a zombie).
pub fn process_alive(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Ok(status) => !status
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z')),
        Err(_) => false,
    }
}

/// A minimal HTTP/1.1 client for the REST API tests.
pub struct HttpReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpReply {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    HttpReply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}
