//! The Lambda REST API (restJson1) over HTTP: Invoke, ListFunctions,
//! GetFunction and AWS-shaped errors.
#![allow(clippy::unwrap_used)]

mod lambda_support;

use base64::Engine;
use lambda_support::{HttpReply, function, harness, http, json};
use serde_json::json;

async fn serve(service: &emulator::lambda::LambdaService) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = emulator::lambda::router(service.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn call(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpReply {
    let (addr, method, path, body) = (
        addr.to_owned(),
        method.to_owned(),
        path.to_owned(),
        body.to_vec(),
    );
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let h: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        http(&addr, &method, &path, &h, &body)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_request_response_over_http() {
    let h = harness();
    h.service.register(function("web")).unwrap();
    let addr = serve(&h.service).await;
    let reply = call(
        &addr,
        "POST",
        "/2015-03-31/functions/web/invocations",
        &[],
        br#"{"a":1}"#,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(json(&reply.body), json!({"a": 1}));
    assert_eq!(reply.header("X-Amz-Executed-Version"), Some("$LATEST"));
    assert_eq!(reply.header("X-Amz-Function-Error"), None);
    assert_eq!(reply.header("Content-Type"), Some("application/json"));
    uuid::Uuid::parse_str(reply.header("x-amzn-RequestId").unwrap()).unwrap();

    // The ARN form, percent-encoded as SDKs send it.
    let reply = call(
        &addr,
        "POST",
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aweb/invocations",
        &[],
        br#"{"b":2}"#,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(json(&reply.body), json!({"b": 2}));
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_error_and_tail_headers() {
    let h = harness();
    h.service.register(function("web-err")).unwrap();
    let addr = serve(&h.service).await;
    let reply = call(
        &addr,
        "POST",
        "/2015-03-31/functions/web-err/invocations",
        &[
            ("X-Amz-Log-Type", "Tail"),
            ("X-Amz-Invocation-Type", "RequestResponse"),
        ],
        br#"{"action":"error","type":"Boom","message":"it broke"}"#,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("X-Amz-Function-Error"), Some("Unhandled"));
    assert_eq!(json(&reply.body)["errorType"], "Boom");
    let request_id = reply.header("x-amzn-RequestId").unwrap();
    let tail = base64::engine::general_purpose::STANDARD
        .decode(reply.header("X-Amz-Log-Result").unwrap())
        .unwrap();
    let tail = String::from_utf8(tail).unwrap();
    assert!(
        tail.contains(&format!("START RequestId: {request_id} Version: $LATEST\n")),
        "{tail}"
    );
    assert!(
        tail.contains(&format!("END RequestId: {request_id}\n")),
        "{tail}"
    );
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_and_dry_run_status_codes() {
    let h = harness();
    h.service.register(function("web-async")).unwrap();
    let addr = serve(&h.service).await;
    let reply = call(
        &addr,
        "POST",
        "/2015-03-31/functions/web-async/invocations",
        &[("X-Amz-Invocation-Type", "Event")],
        b"{}",
    )
    .await;
    assert_eq!(reply.status, 202);
    assert!(reply.body.is_empty());
    let reply = call(
        &addr,
        "POST",
        "/2015-03-31/functions/web-async/invocations",
        &[("X-Amz-Invocation-Type", "DryRun")],
        b"{}",
    )
    .await;
    assert_eq!(reply.status, 204);
    let reply = call(
        &addr,
        "POST",
        "/2015-03-31/functions/web-async/invocations",
        &[("X-Amz-Invocation-Type", "Sometimes")],
        b"{}",
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("ValidationException")
    );
    h.service.wait_async_idle().await;
    h.service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_aws_shaped() {
    let h = harness();
    h.service.register(function("web-limits")).unwrap();
    let addr = serve(&h.service).await;
    let reply = call(
        &addr,
        "POST",
        "/2015-03-31/functions/missing/invocations",
        &[],
        b"{}",
    )
    .await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("ResourceNotFoundException")
    );
    assert_eq!(
        json(&reply.body),
        json!({"Type": "User", "message": "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing"})
    );
    let big = vec![b' '; 6 * 1024 * 1024 + 1];
    let reply = call(
        &addr,
        "POST",
        "/2015-03-31/functions/web-limits/invocations",
        &[],
        &big,
    )
    .await;
    assert_eq!(reply.status, 413);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("RequestTooLargeException")
    );
    assert_eq!(
        json(&reply.body)["message"],
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    );
    let reply = call(
        &addr,
        "POST",
        "/2015-03-31/functions/web-limits/invocations",
        &[],
        b"[1,",
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("InvalidRequestContentException")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_get_functions() {
    let h = harness();
    for name in ["charlie", "alpha", "bravo"] {
        let mut f = function(name);
        f.description = format!("the {name} function");
        f.environment.insert("STAGE".into(), "local".into());
        h.service.register(f).unwrap();
    }
    let addr = serve(&h.service).await;
    let reply = call(&addr, "GET", "/2015-03-31/functions/", &[], b"").await;
    assert_eq!(reply.status, 200);
    let body = json(&reply.body);
    let names: Vec<&str> = body["Functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["FunctionName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "bravo", "charlie"]);
    assert!(body.get("NextMarker").is_none());
    let alpha = &body["Functions"][0];
    assert_eq!(
        alpha["FunctionArn"],
        "arn:aws:lambda:us-east-1:000000000000:function:alpha"
    );
    assert_eq!(alpha["Runtime"], "provided.al2023");
    assert_eq!(alpha["Handler"], "bootstrap");
    assert_eq!(alpha["Timeout"], 60);
    assert_eq!(alpha["MemorySize"], 128);
    assert_eq!(alpha["Version"], "$LATEST");
    assert_eq!(alpha["Description"], "the alpha function");
    assert_eq!(
        alpha["Environment"],
        json!({"Variables": {"STAGE": "local"}})
    );
    assert_eq!(alpha["PackageType"], "Zip");
    assert_eq!(alpha["State"], "Active");
    assert_eq!(
        alpha["LoggingConfig"],
        json!({"LogFormat": "Text", "LogGroup": "/aws/lambda/alpha"})
    );
    let modified = alpha["LastModified"].as_str().unwrap();
    assert!(
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
            .unwrap()
            .is_match(modified),
        "{modified}"
    );
    assert_eq!(
        alpha["CodeSha256"].as_str().unwrap().len(),
        44,
        "base64 of a SHA-256"
    );
    assert!(alpha["CodeSize"].as_u64().unwrap() > 0);

    let page = json(
        &call(&addr, "GET", "/2015-03-31/functions/?MaxItems=2", &[], b"")
            .await
            .body,
    );
    assert_eq!(page["Functions"].as_array().unwrap().len(), 2);
    // The marker is opaque (AWS's is too): it is handed back as given.
    let marker = page["NextMarker"].as_str().unwrap();
    assert_ne!(marker, "bravo");
    let rest = json(
        &call(
            &addr,
            "GET",
            &format!("/2015-03-31/functions/?MaxItems=2&Marker={marker}"),
            &[],
            b"",
        )
        .await
        .body,
    );
    assert_eq!(rest["Functions"][0]["FunctionName"], "charlie");
    assert!(rest.get("NextMarker").is_none());

    let reply = call(&addr, "GET", "/2015-03-31/functions/bravo", &[], b"").await;
    assert_eq!(reply.status, 200);
    let got = json(&reply.body);
    assert_eq!(got["Configuration"]["FunctionName"], "bravo");
    assert_eq!(got["Code"]["RepositoryType"], "S3");
    assert_eq!(got["Tags"], json!({}));
    let reply = call(&addr, "GET", "/2015-03-31/functions/zulu", &[], b"").await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("ResourceNotFoundException")
    );
    let reply = call(
        &addr,
        "GET",
        "/2015-03-31/functions/bravo/configuration",
        &[],
        b"",
    )
    .await;
    assert_eq!(json(&reply.body)["FunctionName"], "bravo");
}
