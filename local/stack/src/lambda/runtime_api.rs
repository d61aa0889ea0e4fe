//! The Lambda Runtime API (version 2018-06-01) one function instance talks to:
//! `GET /runtime/invocation/next`, `POST /runtime/invocation/{id}/response`,
//! `POST /runtime/invocation/{id}/error` and `POST /runtime/init/error`.
//! Each instance gets its own listener on 127.0.0.1, as each Lambda execution
//! environment has its own `AWS_LAMBDA_RUNTIME_API`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::json;
use tokio::sync::{mpsc, oneshot, watch};

use super::config::LogFormat;
use super::logs::{LogPump, start_lines};

/// One invocation handed to an instance.
pub(crate) struct Dispatch {
    pub request_id: String,
    pub payload: Bytes,
    pub timeout: Duration,
    pub invoked_function_arn: String,
    pub trace_id: String,
    pub client_context: Option<String>,
    pub cognito_identity: Option<String>,
    /// Told when the runtime picks the invocation up (the invoke phase starts).
    pub started: oneshot::Sender<Instant>,
    pub result: oneshot::Sender<RuntimeResult>,
}

/// What the runtime answered.
#[derive(Debug)]
pub(crate) enum RuntimeResult {
    Response(Bytes),
    /// `/error`: the payload for the caller (`{errorMessage, errorType, stackTrace?}`).
    Error(Bytes),
    /// The response was over the synchronous payload limit.
    ResponseTooLarge,
}

/// The shared state of one instance's Runtime API.
pub(crate) struct RuntimeState {
    dispatch: tokio::sync::Mutex<mpsc::Receiver<Dispatch>>,
    active: Mutex<Option<(String, oneshot::Sender<RuntimeResult>)>>,
    /// When the runtime first called `/next` (the end of the init phase).
    pub first_next: watch::Sender<Option<Instant>>,
    /// The payload the runtime posted to `/init/error`.
    pub init_error: watch::Sender<Option<Bytes>>,
    pump: Arc<LogPump>,
    log_format: LogFormat,
    max_response: usize,
}

impl RuntimeState {
    pub(crate) fn new(
        dispatch: mpsc::Receiver<Dispatch>,
        pump: Arc<LogPump>,
        log_format: LogFormat,
        max_response: usize,
    ) -> Arc<Self> {
        Arc::new(Self {
            dispatch: tokio::sync::Mutex::new(dispatch),
            active: Mutex::new(None),
            first_next: watch::channel(None).0,
            init_error: watch::channel(None).0,
            pump,
            log_format,
            max_response,
        })
    }

    /// Forgets the invocation in flight (after a timeout or a crash).
    pub(crate) fn abandon(&self) {
        if let Ok(mut a) = self.active.lock() {
            *a = None;
        }
    }

    fn take_active(&self, request_id: &str) -> Option<oneshot::Sender<RuntimeResult>> {
        let mut active = self.active.lock().ok()?;
        match active.as_ref() {
            Some((id, _)) if id == request_id => active.take().map(|(_, tx)| tx),
            _ => None,
        }
    }
}

pub(crate) fn router(state: Arc<RuntimeState>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{request_id}/response",
            post(response),
        )
        .route(
            "/2018-06-01/runtime/invocation/{request_id}/error",
            post(error),
        )
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .fallback(|| async { runtime_error(StatusCode::NOT_FOUND, "Unknown resource", "NotFound") })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}

fn runtime_error(status: StatusCode, message: &str, error_type: &str) -> Response {
    (
        status,
        axum::Json(json!({"errorMessage": message, "errorType": error_type})),
    )
        .into_response()
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, axum::Json(json!({"status": "OK"}))).into_response()
}

async fn next(State(state): State<Arc<RuntimeState>>) -> Response {
    state.first_next.send_if_modified(|first| {
        if first.is_none() {
            *first = Some(Instant::now());
            true
        } else {
            false
        }
    });
    let dispatch = {
        let mut rx = state.dispatch.lock().await;
        rx.recv().await
    };
    let Some(d) = dispatch else {
        // The instance is shutting down: Lambda answers 500 and the runtime exits.
        return runtime_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The execution environment is shutting down",
            "Runtime.Shutdown",
        );
    };
    state
        .pump
        .emit(start_lines(state.log_format, &d.request_id), true);
    let deadline_ms = Utc::now().timestamp_millis()
        + i64::try_from(d.timeout.as_millis()).unwrap_or(i64::MAX / 2);
    if let Ok(mut active) = state.active.lock() {
        *active = Some((d.request_id.clone(), d.result));
    }
    let _ = d.started.send(Instant::now());

    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    put("Lambda-Runtime-Aws-Request-Id", &d.request_id);
    put("Lambda-Runtime-Deadline-Ms", &deadline_ms.to_string());
    put(
        "Lambda-Runtime-Invoked-Function-Arn",
        &d.invoked_function_arn,
    );
    put("Lambda-Runtime-Trace-Id", &d.trace_id);
    if let Some(cc) = &d.client_context {
        put("Lambda-Runtime-Client-Context", cc);
    }
    if let Some(ci) = &d.cognito_identity {
        put("Lambda-Runtime-Cognito-Identity", ci);
    }
    put("Content-Type", "application/json");
    (StatusCode::OK, headers, d.payload).into_response()
}

async fn response(
    State(state): State<Arc<RuntimeState>>,
    Path(request_id): Path<String>,
    body: Body,
) -> Response {
    let body = axum::body::to_bytes(body, state.max_response).await;
    let Some(tx) = state.take_active(&request_id) else {
        return runtime_error(
            StatusCode::BAD_REQUEST,
            "Invalid request ID",
            "InvalidRequestID",
        );
    };
    match body {
        Ok(bytes) => {
            let _ = tx.send(RuntimeResult::Response(bytes));
            accepted()
        }
        Err(_) => {
            let _ = tx.send(RuntimeResult::ResponseTooLarge);
            runtime_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "Exceeded maximum allowed payload size ({} bytes).",
                    state.max_response
                ),
                "RequestEntityTooLarge",
            )
        }
    }
}

/// The error payload the caller sees: the runtime's JSON document as posted,
/// or one built from the `Lambda-Runtime-Function-Error-Type` header.
fn error_payload(headers: &HeaderMap, body: &[u8]) -> Bytes {
    if let Ok(serde_json::Value::Object(_)) = serde_json::from_slice::<serde_json::Value>(body) {
        return Bytes::copy_from_slice(body);
    }
    let error_type = headers
        .get("Lambda-Runtime-Function-Error-Type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Runtime.Unknown");
    Bytes::from(
        json!({
            "errorMessage": String::from_utf8_lossy(body),
            "errorType": error_type,
        })
        .to_string(),
    )
}

async fn error(
    State(state): State<Arc<RuntimeState>>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = axum::body::to_bytes(body, state.max_response)
        .await
        .unwrap_or_default();
    let Some(tx) = state.take_active(&request_id) else {
        return runtime_error(
            StatusCode::BAD_REQUEST,
            "Invalid request ID",
            "InvalidRequestID",
        );
    };
    let _ = tx.send(RuntimeResult::Error(error_payload(&headers, &body)));
    accepted()
}

async fn init_error(
    State(state): State<Arc<RuntimeState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = axum::body::to_bytes(body, state.max_response)
        .await
        .unwrap_or_default();
    let payload = error_payload(&headers, &body);
    state.init_error.send_replace(Some(payload));
    accepted()
}
