//! Timeouts, crashes, init errors and injected faults, reported as Lambda
//! reports them; the next invocation gets a fresh instance.
#![allow(clippy::unwrap_used)]

mod lambda_support;

use std::sync::Arc;
use std::time::Duration;

use emulator::lambda::{Fault, FunctionConfig, InvocationType, ScriptedFaults, Trigger};
use lambda_support::{function, harness, json, process_alive};
use serde_json::json;

fn report_lines(logs: &[String]) -> Vec<&String> {
    logs.iter().filter(|m| m.starts_with("REPORT")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_kills_the_instance_and_reports_sandbox_timedout() {
    let h = harness();
    let mut f = function("slow");
    f.timeout = Duration::from_secs(1);
    h.service.register(f).unwrap();
    let before = h
        .service
        .invoke(
            "slow",
            r#"{"action":"pid"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    let old_pid = json(&before.payload)["pid"].as_u64().unwrap();

    let out = h
        .service
        .invoke(
            "slow",
            r#"{"action":"sleep","ms":20000}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json(&out.payload),
        json!({
            "errorType": "Sandbox.Timedout",
            "errorMessage": format!("RequestId: {} Error: Task timed out after 1.00 seconds", out.request_id)
        })
    );
    assert!(!process_alive(old_pid), "the timed-out process is killed");

    let logs = h.logs.messages("/aws/lambda/slow");
    let timed_out = logs.iter().find(|m| m.contains("Task timed out")).unwrap();
    let re = regex::Regex::new(&format!(
        r"^\d{{4}}-\d{{2}}-\d{{2}}T\d{{2}}:\d{{2}}:\d{{2}}\.\d{{3}}Z {} Task timed out after 1\.00 seconds\n$",
        out.request_id
    ))
    .unwrap();
    assert!(re.is_match(timed_out), "{timed_out:?}");
    let report = report_lines(&logs).pop().unwrap().clone();
    assert!(report.starts_with(&format!("REPORT RequestId: {}\t", out.request_id)));
    assert!(report.ends_with("\tStatus: timeout\t\n"), "{report:?}");

    let after = h
        .service
        .invoke(
            "slow",
            r#"{"action":"pid"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_ne!(
        json(&after.payload)["pid"].as_u64().unwrap(),
        old_pid,
        "a fresh instance"
    );
    assert_eq!(
        h.service.function_stats("slow").unwrap().instances_started,
        2
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_during_invocation_is_runtime_exit_error() {
    let h = harness();
    h.service.register(function("crashy")).unwrap();
    let out = h
        .service
        .invoke(
            "crashy",
            r#"{"action":"exit","code":1}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    let message = format!(
        "RequestId: {} Error: Runtime exited with error: exit status 1",
        out.request_id
    );
    assert_eq!(
        json(&out.payload),
        json!({"errorType": "Runtime.ExitError", "errorMessage": message})
    );

    let logs = h.logs.messages("/aws/lambda/crashy");
    let printed = logs.iter().position(|m| m == "exiting now\n").unwrap();
    let error_line = logs
        .iter()
        .position(|m| *m == format!("{message}\n"))
        .unwrap();
    assert_eq!(logs[error_line + 1], "Runtime.ExitError\n");
    assert_eq!(
        logs[error_line + 2],
        format!("END RequestId: {}\n", out.request_id)
    );
    assert!(
        printed < error_line,
        "the function's last line comes before the error"
    );
    assert!(
        logs[error_line + 3].ends_with("\tStatus: error\tError Type: Runtime.ExitError\t\n"),
        "{:?}",
        logs[error_line + 3]
    );

    let next = h
        .service
        .invoke("crashy", r#"{"ok":true}"#, InvocationType::RequestResponse)
        .await
        .unwrap();
    assert_eq!(json(&next.payload), json!({"ok": true}));
    assert_eq!(
        h.service
            .function_stats("crashy")
            .unwrap()
            .instances_started,
        2
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_is_reported_by_name() {
    let h = harness();
    h.service.register(function("aborts")).unwrap();
    let out = h
        .service
        .invoke(
            "aborts",
            r#"{"action":"abort"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(
        json(&out.payload),
        json!({
            "errorType": "Runtime.ExitError",
            "errorMessage": format!("RequestId: {} Error: Runtime exited with error: signal: aborted", out.request_id)
        })
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_error_is_returned_to_the_caller() {
    let h = harness();
    let mut f = function("bad-init");
    f.environment
        .insert("FIXTURE_INIT_ERROR".into(), "1".into());
    h.service.register(f).unwrap();
    let out = h
        .service
        .invoke("bad-init", "{}", InvocationType::RequestResponse)
        .await
        .unwrap();
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json(&out.payload),
        json!({"errorMessage": "configuration missing", "errorType": "InitFailed"})
    );
    let logs = h.logs.messages("/aws/lambda/bad-init");
    assert!(
        logs.iter()
            .any(|m| m.starts_with("INIT_REPORT Init Duration: ")
                && m.ends_with("\tPhase: init\tStatus: error\tError Type: InitFailed\n")),
        "{logs:?}"
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_executable_is_invalid_entrypoint() {
    let h = harness();
    h.service
        .register(FunctionConfig::new("ghost", "/nonexistent/bootstrap"))
        .unwrap();
    let out = h
        .service
        .invoke("ghost", "{}", InvocationType::RequestResponse)
        .await
        .unwrap();
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    let payload = json(&out.payload);
    assert_eq!(payload["errorType"], "Runtime.InvalidEntrypoint");
    assert!(
        payload["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "RequestId: {} Error: Couldn't find valid bootstrap(s): [/nonexistent/bootstrap]",
                out.request_id
            ))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults() {
    let h = harness();
    h.service.register(function("faulty")).unwrap();
    let plan = Arc::new(ScriptedFaults::new());
    h.service.set_fault_plan(plan.clone());

    plan.add(
        "faulty",
        Fault::Error {
            error_type: "Injected".into(),
            error_message: "chaos".into(),
        },
        Trigger::Next(1),
    );
    let out = h
        .service
        .invoke("faulty", r#"{"x":1}"#, InvocationType::RequestResponse)
        .await
        .unwrap();
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json(&out.payload),
        json!({"errorType": "Injected", "errorMessage": "chaos"})
    );

    plan.add("faulty", Fault::Crash, Trigger::Next(1));
    let out = h
        .service
        .invoke("faulty", "{}", InvocationType::RequestResponse)
        .await
        .unwrap();
    assert_eq!(json(&out.payload)["errorType"], "Runtime.ExitError");
    assert_eq!(
        json(&out.payload)["errorMessage"],
        format!(
            "RequestId: {} Error: Runtime exited with error: signal: killed",
            out.request_id
        )
    );

    plan.add("faulty", Fault::Timeout, Trigger::Next(1));
    let out = h
        .service
        .invoke("faulty", "{}", InvocationType::RequestResponse)
        .await
        .unwrap();
    assert_eq!(json(&out.payload)["errorType"], "Sandbox.Timedout");
    assert_eq!(
        json(&out.payload)["errorMessage"],
        format!(
            "RequestId: {} Error: Task timed out after 60.00 seconds",
            out.request_id
        )
    );

    plan.add("faulty", Fault::Throttle, Trigger::Next(1));
    let err = h
        .service
        .invoke("faulty", "{}", InvocationType::RequestResponse)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TooManyRequestsException");

    // The plan is spent: the function works again.
    let out = h
        .service
        .invoke(
            "faulty",
            r#"{"fine":true}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(out.function_error, None);
    assert_eq!(json(&out.payload), json!({"fine": true}));
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_kills_every_process() {
    let h = harness();
    h.service.register(function("a")).unwrap();
    h.service.register(function("b")).unwrap();
    let mut pids = Vec::new();
    for name in ["a", "b"] {
        let out = h
            .service
            .invoke(name, r#"{"action":"pid"}"#, InvocationType::RequestResponse)
            .await
            .unwrap();
        pids.push(json(&out.payload)["pid"].as_u64().unwrap());
    }
    assert!(pids.iter().all(|&p| process_alive(p)));
    h.service.shutdown().await;
    for pid in pids {
        assert!(!process_alive(pid), "{pid} is gone after shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_service_kills_its_processes() {
    let h = harness();
    h.service.register(function("dropped")).unwrap();
    let out = h
        .service
        .invoke(
            "dropped",
            r#"{"action":"pid"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    let pid = json(&out.payload)["pid"].as_u64().unwrap();
    drop(h);
    let mut gone = false;
    for _ in 0..200 {
        if !process_alive(pid) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the process of a dropped service is killed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_a_function_lets_the_invocation_in_flight_finish() {
    let h = harness();
    h.service.register(function("updated")).unwrap();
    let s = h.service.clone();
    let in_flight = tokio::spawn(async move {
        s.invoke(
            "updated",
            r#"{"action":"sleep","ms":1500}"#,
            InvocationType::RequestResponse,
        )
        .await
    });
    for _ in 0..400 {
        if h.logs
            .messages("/aws/lambda/updated")
            .iter()
            .any(|m| m.starts_with("START"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut new = function("updated");
    new.environment.insert("GENERATION".into(), "2".into());
    h.service.register(new).unwrap();
    let old = in_flight.await.unwrap().unwrap();
    assert_eq!(old.function_error, None);
    assert_eq!(json(&old.payload), json!({"slept": 1500}));
    let env = h
        .service
        .invoke(
            "updated",
            r#"{"action":"env"}"#,
            InvocationType::RequestResponse,
        )
        .await
        .unwrap();
    assert_eq!(json(&env.payload)["GENERATION"], "2");

    assert!(h.service.unregister("updated"));
    assert!(!h.service.unregister("updated"));
    let err = h
        .service
        .invoke("updated", "{}", InvocationType::RequestResponse)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ResourceNotFoundException");
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_init_phase_over_its_limit_times_out() {
    let h = lambda_support::harness_with(emulator::lambda::LambdaConfig {
        init_timeout: Duration::from_secs(1),
        ..lambda_support::config()
    });
    let mut f = function("slow-init");
    f.environment
        .insert("FIXTURE_INIT_SLEEP_MS".into(), "20000".into());
    h.service.register(f).unwrap();
    let out = h
        .service
        .invoke("slow-init", "{}", InvocationType::RequestResponse)
        .await
        .unwrap();
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json(&out.payload),
        json!({
            "errorType": "Sandbox.Timedout",
            "errorMessage": format!("RequestId: {} Error: Task timed out after 1.00 seconds", out.request_id)
        })
    );
    let stats = h.service.function_stats("slow-init").unwrap();
    assert_eq!(stats.instances_alive, 0, "the stuck instance is killed");
    h.service.shutdown().await;
}
