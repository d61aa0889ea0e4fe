//! The real AWS CLI against the Lambda REST API: invoke (success, function
//! error with Tail, unknown function), list-functions, get-function.
//! Needs `aws` on PATH (scripts/test-all puts the test venv's there).
#![allow(clippy::unwrap_used)]

mod lambda_support;

use lambda_support::{function, harness, json};
use serde_json::json;

struct Cli {
    status: i32,
    stdout: String,
    stderr: String,
}

async fn aws(endpoint: &str, args: &[&str]) -> Cli {
    let mut command = std::process::Command::new("aws");
    command
        .args(args)
        .args([
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("the AWS CLI (`aws`) must be on PATH: scripts/test-all installs it in .venv");
    Cli {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn serve(service: &emulator::lambda::LambdaService) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = emulator::lambda::router(service.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_invoke_list_and_get() {
    let h = harness();
    h.service.register(function("cli-fn")).unwrap();
    let endpoint = serve(&h.service).await;
    let dir = std::env::temp_dir().join(format!("kyc-lambda-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_file = dir.join("out.json");
    let out_path = out_file.to_str().unwrap();

    let ok = aws(
        &endpoint,
        &[
            "lambda",
            "invoke",
            "--function-name",
            "cli-fn",
            "--payload",
            r#"{"a":1}"#,
            out_path,
        ],
    )
    .await;
    assert_eq!(ok.status, 0, "{}", ok.stderr);
    assert_eq!(
        json(ok.stdout.as_bytes()),
        json!({"StatusCode": 200, "ExecutedVersion": "$LATEST"})
    );
    assert_eq!(json(&std::fs::read(&out_file).unwrap()), json!({"a": 1}));

    let failed = aws(
        &endpoint,
        &[
            "lambda",
            "invoke",
            "--function-name",
            "arn:aws:lambda:us-east-1:000000000000:function:cli-fn",
            "--log-type",
            "Tail",
            "--payload",
            r#"{"action":"error","type":"Declined","message":"no"}"#,
            out_path,
        ],
    )
    .await;
    assert_eq!(failed.status, 0, "{}", failed.stderr);
    let meta = json(failed.stdout.as_bytes());
    assert_eq!(meta["StatusCode"], 200);
    assert_eq!(meta["FunctionError"], "Unhandled");
    use base64::Engine;
    let tail = base64::engine::general_purpose::STANDARD
        .decode(meta["LogResult"].as_str().unwrap())
        .unwrap();
    assert!(String::from_utf8(tail).unwrap().contains("END RequestId: "));
    assert_eq!(
        json(&std::fs::read(&out_file).unwrap())["errorType"],
        "Declined"
    );

    let missing = aws(
        &endpoint,
        &["lambda", "invoke", "--function-name", "nope", out_path],
    )
    .await;
    assert_eq!(missing.status, 255);
    assert!(
        missing.stderr.contains(
            "An error occurred (ResourceNotFoundException) when calling the Invoke operation: Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
        ),
        "{}",
        missing.stderr
    );

    let listed = aws(&endpoint, &["lambda", "list-functions"]).await;
    assert_eq!(listed.status, 0, "{}", listed.stderr);
    let listed = json(listed.stdout.as_bytes());
    assert_eq!(listed["Functions"][0]["FunctionName"], "cli-fn");
    assert_eq!(
        listed["Functions"][0]["FunctionArn"],
        "arn:aws:lambda:us-east-1:000000000000:function:cli-fn"
    );

    let got = aws(
        &endpoint,
        &["lambda", "get-function", "--function-name", "cli-fn"],
    )
    .await;
    assert_eq!(got.status, 0, "{}", got.stderr);
    assert_eq!(json(got.stdout.as_bytes())["Configuration"]["Timeout"], 60);

    let _ = std::fs::remove_dir_all(&dir);
    h.service.shutdown().await;
}
