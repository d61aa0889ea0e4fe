//! Function logs: order and format of START / END / REPORT, the log stream,
//! `LogType: Tail`, the JSON log format and Max Memory Used.
#![allow(clippy::unwrap_used)]

mod lambda_support;

use emulator::lambda::{InvocationType, InvokeRequest, LogFormat, LogType};
use lambda_support::{function, harness, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_are_framed_by_start_end_report_in_order() {
    let h = harness();
    let mut f = function("printer");
    f.memory_mb = 512;
    f.environment
        .insert("FIXTURE_INIT_PRINT".into(), "init says hi".into());
    h.service.register(f).unwrap();
    let out = h
        .service
        .invoke(
            "printer",
            r#"{"action":"print","lines":["one","two"],"stderr":["three"]}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    let id = &out.request_id;
    let events = h.logs.events();
    assert!(events.iter().all(|(g, _, _)| g == "/aws/lambda/printer"));
    let streams: std::collections::BTreeSet<&String> = events.iter().map(|(_, s, _)| s).collect();
    assert_eq!(streams.len(), 1, "one instance, one stream");
    let messages: Vec<&str> = events.iter().map(|(_, _, e)| e.message.as_str()).collect();
    assert_eq!(messages.len(), 8, "{messages:?}");
    assert_eq!(
        messages[0],
        "INIT_START Runtime Version: provided:al2023.local\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:local-stack\n"
    );
    assert_eq!(messages[1], "init says hi\n");
    assert_eq!(
        messages[2],
        format!("START RequestId: {id} Version: $LATEST\n")
    );
    assert_eq!(&messages[3..6], ["one\n", "two\n", "three\n"]);
    assert_eq!(messages[6], format!("END RequestId: {id}\n"));
    let report = regex::Regex::new(&format!(
        r"^REPORT RequestId: {id}\tDuration: \d+\.\d{{2}} ms\tBilled Duration: \d+ ms\tMemory Size: 512 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{{2}} ms\t\n$"
    ))
    .unwrap();
    assert!(report.is_match(messages[7]), "{:?}", messages[7]);
    let timestamps: Vec<i64> = events.iter().map(|(_, _, e)| e.timestamp).collect();
    assert!(
        timestamps.windows(2).all(|w| w[0] <= w[1]),
        "timestamps never go back"
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billed_duration_covers_duration_and_init() {
    let h = harness();
    h.service.register(function("billing")).unwrap();
    h.service
        .invoke(
            "billing",
            r#"{"action":"sleep","ms":30}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    let logs = h.logs.messages("/aws/lambda/billing");
    let report = logs.iter().find(|m| m.starts_with("REPORT")).unwrap();
    let field = |name: &str| -> f64 {
        let re = regex::Regex::new(&format!(r"{name}: ([\d.]+) ms")).unwrap();
        re.captures(report).unwrap()[1].parse().unwrap()
    };
    let (duration, billed, init) = (
        field("\tDuration"),
        field("Billed Duration"),
        field("Init Duration"),
    );
    assert!(duration >= 30.0, "{report}");
    // Billed = Duration + Init Duration rounded up to the millisecond; the printed
    // figures are rounded to 0.01 ms, so allow that much either way.
    let exact = duration + init;
    assert!(
        billed == (exact - 0.011).ceil() || billed == (exact + 0.011).ceil(),
        "{report}"
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_returns_the_invocation_log() {
    let h = harness();
    h.service.register(function("tail")).unwrap();
    let out = h
        .service
        .invoke_with(InvokeRequest {
            function_name: "tail".into(),
            payload: r#"{"action":"print","lines":["visible in tail"]}"#.into(),
            log_type: LogType::Tail,
            ..InvokeRequest::default()
        })
        .await
        .unwrap();
    let tail = out.log_tail().unwrap();
    let id = &out.request_id;
    assert!(tail.starts_with("INIT_START Runtime Version: "), "{tail}");
    assert!(tail.contains(&format!("START RequestId: {id} Version: $LATEST\nvisible in tail\nEND RequestId: {id}\nREPORT RequestId: {id}\t")), "{tail}");
    assert!(tail.ends_with("\t\n"));

    // Only the last 4 KB of a long log.
    let lines: Vec<String> = (0..200)
        .map(|i| format!("line {i:03} {}", "z".repeat(40)))
        .collect();
    let payload = serde_json::json!({"action": "print", "lines": lines}).to_string();
    let out = h
        .service
        .invoke_with(InvokeRequest {
            function_name: "tail".into(),
            payload: payload.into(),
            log_type: LogType::Tail,
            ..InvokeRequest::default()
        })
        .await
        .unwrap();
    let tail = out.log_tail().unwrap();
    assert_eq!(tail.len(), 4096);
    assert!(tail.contains("line 199 "));
    assert!(!tail.contains("line 000 "));
    assert!(
        !tail.contains("INIT_START"),
        "a warm invocation has no init lines"
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_format_writes_platform_records() {
    let h = harness();
    let mut f = function("jsonlog");
    f.log_format = LogFormat::Json;
    h.service.register(f).unwrap();
    let env = h
        .service
        .invoke(
            "jsonlog",
            r#"{"action":"env"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(json(&env.payload)["AWS_LAMBDA_LOG_FORMAT"], "JSON");
    assert_eq!(json(&env.payload)["AWS_LAMBDA_LOG_LEVEL"], "INFO");
    let logs = h.logs.messages("/aws/lambda/jsonlog");
    assert!(
        !logs
            .iter()
            .any(|m| m.starts_with("START") || m.starts_with("REPORT"))
    );
    let records: Vec<serde_json::Value> = logs
        .iter()
        .map(|m| serde_json::from_str(m).unwrap())
        .collect();
    let types: Vec<&str> = records
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["platform.initStart", "platform.start", "platform.report"]
    );
    assert_eq!(records[0]["record"]["functionName"], "jsonlog");
    assert_eq!(records[0]["record"]["initializationType"], "on-demand");
    assert_eq!(
        records[1]["record"],
        serde_json::json!({"requestId": env.request_id, "version": "$LATEST"})
    );
    let report = &records[2]["record"];
    assert_eq!(report["requestId"], env.request_id.as_str());
    assert_eq!(report["status"], "success");
    assert_eq!(report["metrics"]["memorySizeMB"], 128);
    for key in [
        "durationMs",
        "billedDurationMs",
        "maxMemoryUsedMB",
        "initDurationMs",
    ] {
        assert!(report["metrics"][key].is_number(), "{key} in {report}");
    }
    let time = records[2]["time"].as_str().unwrap();
    assert!(
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
            .unwrap()
            .is_match(time)
    );

    let failed = h
        .service
        .invoke(
            "jsonlog",
            r#"{"action":"exit","code":2}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    let last: serde_json::Value =
        serde_json::from_str(h.logs.messages("/aws/lambda/jsonlog").last().unwrap()).unwrap();
    assert_eq!(last["type"], "platform.report");
    assert_eq!(last["record"]["requestId"], failed.request_id.as_str());
    assert_eq!(last["record"]["status"], "error");
    assert_eq!(last["record"]["errorType"], "Runtime.ExitError");
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_memory_used_follows_the_process_peak() {
    let h = harness();
    let mut f = function("hungry");
    f.memory_mb = 1024;
    h.service.register(f).unwrap();
    h.service
        .invoke(
            "hungry",
            r#"{"action":"alloc","mb":64}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    let logs = h.logs.messages("/aws/lambda/hungry");
    let report = logs.iter().find(|m| m.starts_with("REPORT")).unwrap();
    let used: u64 = regex::Regex::new(r"Max Memory Used: (\d+) MB")
        .unwrap()
        .captures(report)
        .unwrap()[1]
        .parse()
        .unwrap();
    assert!((64..1024).contains(&used), "{report}");
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_format_reports_a_timeout_status() {
    let h = harness();
    let mut f = function("jsonslow");
    f.log_format = LogFormat::Json;
    f.timeout = std::time::Duration::from_secs(1);
    h.service.register(f).unwrap();
    let out = h
        .service
        .invoke(
            "jsonslow",
            r#"{"action":"sleep","ms":20000}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(json(&out.payload)["errorType"], "Sandbox.Timedout");
    let logs = h.logs.messages("/aws/lambda/jsonslow");
    let last: serde_json::Value = serde_json::from_str(logs.last().unwrap()).unwrap();
    assert_eq!(last["type"], "platform.report");
    assert_eq!(last["record"]["requestId"], out.request_id.as_str());
    assert_eq!(last["record"]["status"], "timeout");
    let duration = last["record"]["metrics"]["durationMs"].as_f64().unwrap();
    assert!(duration >= 1000.0, "{duration}");
    h.service.shutdown().await;
}
