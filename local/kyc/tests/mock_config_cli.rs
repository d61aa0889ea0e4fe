//! `kyc-local serve --mock-config` as the README's "Testing the state machine with mocked
//! integrations" shows it: the commands of that section's block, run as written (the stack on an
//! ephemeral port with state in memory, the endpoint in the `aws` commands pointed at it), with the
//! real AWS CLI; and a mock configuration that is not valid stops `serve` before anything starts,
//! whether given by `--mock-config` or by `SFN_MOCK_CONFIG`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncBufReadExt;

const README_ENDPOINT: &str = "http://127.0.0.1:4566";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The AWS CLI: `$KYC_AWS_CLI`, else `aws` on PATH.
fn aws_cli() -> PathBuf {
    if let Some(path) = std::env::var_os("KYC_AWS_CLI") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("aws"))
        .find(|candidate| candidate.is_file())
        .expect("the AWS CLI (`aws`) must be on PATH or in $KYC_AWS_CLI")
}

/// The commands of the README section's first `sh` block, continuation lines joined.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split("## Testing the state machine with mocked integrations")
        .nth(1)
        .expect("the README has the section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the section has an sh block");
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        let (text, continued) = match line.strip_suffix('\\') {
            Some(head) => (head, true),
            None => (line, false),
        };
        current.push_str(text.trim());
        current.push(' ');
        if !continued {
            commands.push(current.trim().to_owned());
            current.clear();
        }
    }
    commands
}

/// Runs one README `aws` command through `sh`, the endpoint replaced by the running stack's.
async fn run_aws(
    command: &str,
    endpoint: &str,
    env: &[(String, String)],
) -> (bool, String, String) {
    let cli = aws_cli();
    let line = command
        .replacen("aws ", &format!("{} ", cli.display()), 1)
        .replace(README_ENDPOINT, endpoint);
    let mut sh = tokio::process::Command::new("sh");
    sh.args(["-c", &line])
        .current_dir(repo_root())
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "");
    for (k, v) in env {
        sh.env(k, v);
    }
    let out = sh.output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_readme_commands_run_a_test_case() {
    let commands = readme_commands();
    assert_eq!(commands.len(), 5, "{commands:#?}");
    let serve = commands[0]
        .strip_prefix("cargo run --profile stack -p kyc-local -- ")
        .expect("the block starts kyc-local");
    assert_eq!(serve, "serve --mock-config statemachine/kyc.mock.json");
    let env: Vec<(String, String)> = commands[1]
        .strip_prefix("export ")
        .expect("the block exports the credentials")
        .split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kyc-local"))
        .args(serve.split_whitespace())
        .args(["--port", "0", "--in-memory"])
        .current_dir(repo_root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn kyc-local");
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
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
        banner.iter().any(|l| l.contains(
            "state machine kyc-onboarding: test cases Approved, DeclinedByIdentity, DeclinedByRisk"
        )),
        "{banner:#?}"
    );

    let (ok, out, err) = run_aws(&commands[2], &endpoint, &env).await;
    assert!(ok, "{}\n{err}", commands[2]);
    let started: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        started["executionArn"],
        "arn:aws:states:us-east-1:000000000000:execution:kyc-onboarding:review-approved-1"
    );

    let mut described = Value::Null;
    for _ in 0..100 {
        let (ok, out, err) = run_aws(&commands[3], &endpoint, &env).await;
        assert!(ok, "{}\n{err}", commands[3]);
        described = serde_json::from_str(&out).unwrap();
        if described["status"] != "RUNNING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(described["status"], "SUCCEEDED", "{described}");
    let output: Value = serde_json::from_str(described["output"].as_str().unwrap()).unwrap();
    assert_eq!(output["review"]["decision"], "APPROVE");
    assert_eq!(output["review"]["reviewer"], "Mary Major");

    let mut detail_types = Vec::new();
    for _ in 0..100 {
        let (ok, out, err) = run_aws(&commands[4], &endpoint, &env).await;
        assert!(ok, "{}\n{err}", commands[4]);
        let found: Value = serde_json::from_str(&out).unwrap();
        detail_types = found["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let event: Value = serde_json::from_str(e["message"].as_str().unwrap()).unwrap();
                event["detail-type"].as_str().unwrap().to_owned()
            })
            .collect();
        if detail_types.iter().any(|t| t == "New account approved") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The unmocked putEvents states published; the mocked review task did not.
    assert_eq!(
        detail_types,
        ["Identity check completed", "New account approved"],
        "{detail_types:?}"
    );
    child.kill().await.unwrap();
}

async fn serve_refuses(file: &Path, by_env: bool) -> String {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kyc-local"));
    command
        .args(["serve", "--port", "0", "--in-memory"])
        .current_dir(repo_root())
        .env_remove("SFN_MOCK_CONFIG")
        .kill_on_drop(true);
    if by_env {
        command.env("SFN_MOCK_CONFIG", file);
    } else {
        command.arg("--mock-config").arg(file);
    }
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("kyc-local exits")
        .unwrap();
    assert!(!output.status.success(), "{output:?}");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("kyc-local ready"),
        "{output:?}"
    );
    String::from_utf8_lossy(&output.stderr).trim().to_owned()
}

#[tokio::test]
async fn serve_refuses_a_bad_mock_configuration() {
    let dir = std::env::temp_dir().join(format!("kyc-mock-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let both = dir.join("both.json");
    std::fs::write(
        &both,
        r#"{"StateMachines": {}, "MockedResponses": {"R": {"0": {"Return": {}, "Throw": {"Error": "E", "Cause": "c"}}}}}"#,
    )
    .unwrap();
    let stderr = serve_refuses(&both, false).await;
    assert_eq!(
        stderr,
        format!(
            "error: mock configuration: MockedResponses.R.0: has both Return and Throw (a response has a single field, Return or Throw) ({})",
            both.display()
        )
    );
    let overlapping = dir.join("overlap.json");
    std::fs::write(
        &overlapping,
        r#"{"StateMachines": {}, "MockedResponses": {"R": {"0-2": {"Return": 1}, "1": {"Return": 2}}}}"#,
    )
    .unwrap();
    let stderr = serve_refuses(&overlapping, true).await;
    assert!(
        stderr.starts_with("error: mock configuration: MockedResponses.R.1: overlaps"),
        "{stderr}"
    );
    let stderr = serve_refuses(&dir.join("missing.json"), false).await;
    assert!(stderr.contains("cannot open"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
