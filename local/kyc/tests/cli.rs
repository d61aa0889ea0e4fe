//! The `kyc-local` command as a user runs it: `serve` (ready line, banner, SIGTERM, exit codes) and
//! `check-permissions` (table, JSON, exit 1 on a denial, 2 when the template cannot be read).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The generic stack's own test template (parameters `Prefix` and `Stage`).
fn emulator_fixture() -> PathBuf {
    repo_root().join("local/stack/tests/fixtures/template.yaml")
}

/// `GET /_local/health`, the raw answer.
fn health(addr: std::net::SocketAddr) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /_local/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// The binary: prints its endpoint, serves, and exits 0 on SIGTERM.
#[tokio::test]
async fn binary_serves_and_stops_on_sigterm() {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kyc-local"))
        .args(["serve", "--port", "0", "--in-memory", "--template"])
        .arg(emulator_fixture())
        .args(["--parameter-overrides", "Prefix=bin Stage=dev"])
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn kyc-local");
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("ready in time")
        .unwrap()
        .expect("a line");
    let endpoint = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("endpoint="))
        .expect("endpoint printed")
        .to_owned();
    let mut banner = Vec::new();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_millis(300), lines.next_line()).await
    {
        banner.push(line);
    }
    assert!(
        banner
            .iter()
            .any(|l| l
                .contains("logs filter-log-events --log-group-name /aws/vendedlogs/states/bin")),
        "{banner:#?}"
    );
    assert!(
        banner.iter().any(|l| l.contains("AWS_ACCESS_KEY_ID=test")),
        "{banner:#?}"
    );
    let addr: std::net::SocketAddr = endpoint.trim_start_matches("http://").parse().unwrap();
    assert!(health(addr).starts_with("HTTP/1.1 200"));
    let pid = child.id().expect("pid").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stops")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test]
async fn binary_refuses_a_bad_parameter_with_exit_code_2() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kyc-local"))
        .args(["serve", "--port", "0", "--in-memory", "--template"])
        .arg(emulator_fixture())
        .args(["--parameter-overrides", "Stage=qa"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "error: parameter Stage: value 'qa' is not one of the AllowedValues [dev, prod]"
    );
}

#[test]
fn the_command_prints_the_verdicts_and_exits_1_on_a_denial() {
    let binary = env!("CARGO_BIN_EXE_kyc-local");
    let ok = std::process::Command::new(binary)
        .args(["check-permissions", "--template"])
        .arg(repo_root().join("template.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let text = String::from_utf8(ok.stdout).unwrap();
    assert!(
        text.ends_with("29 integrations: 29 allowed, 0 denied\n"),
        "{text}"
    );
    assert!(text.contains("ALLOWED  rule kyc-kyc-events-to-accounts → log group /aws/events/kyc/accounts (create stream)\n         logs:CreateLogStream on arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/kyc/accounts:log-stream:{stream}\n         allowed by EventsToLogGroupsPolicy statement EventBridgeCreatesStreams\n"), "{text}");

    let json = std::process::Command::new(binary)
        .args(["check-permissions", "--json", "--template"])
        .arg(repo_root().join("template.yaml"))
        .args(["--parameter-overrides", "EventBusName=OtherBus"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(0));
    let body: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(body["denied"], 0);
    assert!(
        body["integrations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["resource"] == "arn:aws:events:us-east-1:000000000000:event-bus/OtherBus")
    );

    // A template with a denial: exit 1, and the denial printed.
    let dir = std::env::temp_dir().join(format!("kyc-permissions-cli-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("statemachine")).unwrap();
    std::fs::copy(
        repo_root().join("statemachine/kyc.asl.yaml"),
        dir.join("statemachine/kyc.asl.yaml"),
    )
    .unwrap();
    let text = std::fs::read_to_string(repo_root().join("template.yaml"))
        .unwrap()
        .replace(
            "        - LambdaInvokePolicy:\n            FunctionName: !Ref IdentityCheckFunction\n",
            "",
        );
    std::fs::write(dir.join("template.yaml"), text).unwrap();
    let denied = std::process::Command::new(binary)
        .args(["check-permissions", "--template"])
        .arg(dir.join("template.yaml"))
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(denied.status.code(), Some(1));
    let text = String::from_utf8(denied.stdout).unwrap();
    assert!(
        text.contains(
            "DENIED   state machine kyc-onboarding → kyc-identity-check (state \"Check identity\")"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("29 integrations: 28 allowed, 1 denied\n"),
        "{text}"
    );

    let missing = std::process::Command::new(binary)
        .args([
            "check-permissions",
            "--template",
            "/nonexistent/template.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}
