//! The control API, served on the stack's own port outside the AWS namespaces:
//!
//! | request | does | answers |
//! |---|---|---|
//! | `GET /_local/faults` | lists every fault | 200 `{"lambda": [...], "targets": [...], "delays": [...]}` |
//! | `POST /_local/faults` with a [`FaultPlanDocument`] | adds them, all or none | 200, what was added (same shape, with ids) |
//! | `DELETE /_local/faults` | clears every fault | 200 `{"cleared": "all"}` |
//! | `DELETE /_local/faults/{id}` | clears one | 200 `{"cleared": id}`, 404 when unknown |
//!
//! A refused request gets `{"code": ..., "message": ...}`: 400 `ValidationError` (not JSON, wrong
//! shape, a bad value), 400 `UnknownFunction` / `UnknownRuleTarget`, 404 `FaultNotFound`,
//! 405 `MethodNotAllowed`, 413 `ValidationError` (a body over 2 MiB, refused by the stack's layers through
//! [`ControlFront`]).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::{Value, json};

use super::control::FaultControl;
use super::error::ControlError;
use super::plan::FaultPlanDocument;

/// The path of the control API.
pub const FAULTS_PATH: &str = "/_local/faults";

/// The largest fault plan the control API reads.
pub const MAX_PLAN_BYTES: usize = 2 * 1024 * 1024;

/// The control API as the stack's layers see it (`protocol::middleware`): its body limit, no
/// operation for the permission plane (it is not an AWS API), and its own error shape.
pub struct ControlFront;

impl crate::protocol::middleware::Front for ControlFront {
    fn max_request_bytes(&self, _: &axum::http::request::Parts) -> usize {
        MAX_PLAN_BYTES
    }

    fn too_large(
        &self,
        _: &axum::http::request::Parts,
        limit: usize,
    ) -> crate::protocol::error::AwsError {
        crate::protocol::error::AwsError::client(
            "ValidationError",
            format!("length limit exceeded: the control API reads at most {limit} bytes"),
        )
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    }

    fn operation(
        &self,
        _: &axum::http::request::Parts,
        _: &Bytes,
    ) -> Option<crate::protocol::middleware::NamedOperation> {
        None
    }

    fn error_response(&self, error: crate::protocol::error::AwsError, _: &str) -> Response {
        reply(
            error.status,
            &json!({"code": error.code, "message": error.message.unwrap_or_default()}),
        )
    }
}

/// The routes, to merge into the stack's server.
pub fn router(control: Arc<FaultControl>) -> Router {
    Router::new()
        .route(
            FAULTS_PATH,
            get(list)
                .post(add)
                .delete(clear_all)
                .fallback(method_not_allowed),
        )
        .route(
            "/_local/faults/{id}",
            delete(clear_one).fallback(method_not_allowed),
        )
        .with_state(control)
}

fn reply(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn refuse(error: &ControlError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    reply(status, &error.body())
}

async fn list(State(control): State<Arc<FaultControl>>) -> Response {
    reply(StatusCode::OK, &control.list())
}

async fn add(
    State(control): State<Arc<FaultControl>>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        // Unreadable (the layers refuse a body over MAX_PLAN_BYTES): still a JSON answer.
        Err(rejection) => {
            return reply(
                rejection.status(),
                &json!({"code": "ValidationError", "message": rejection.body_text()}),
            );
        }
    };
    let plan = match FaultPlanDocument::from_slice(&body) {
        Ok(plan) => plan,
        Err(e) => return refuse(&e),
    };
    match control.apply(&plan).await {
        Ok(added) => reply(StatusCode::OK, &added),
        Err(e) => refuse(&e),
    }
}

async fn clear_all(State(control): State<Arc<FaultControl>>) -> Response {
    control.clear_all();
    reply(StatusCode::OK, &json!({"cleared": "all"}))
}

async fn clear_one(State(control): State<Arc<FaultControl>>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return refuse(&ControlError::Validation(format!(
            "fault id \"{id}\" is not a number"
        )));
    };
    match control.clear(id) {
        Ok(()) => reply(StatusCode::OK, &json!({"cleared": id})),
        Err(e) => refuse(&e),
    }
}

async fn method_not_allowed() -> Response {
    reply(
        StatusCode::METHOD_NOT_ALLOWED,
        &json!({"code": "MethodNotAllowed", "message": format!(
            "{FAULTS_PATH} takes GET (list), POST (add a plan) and DELETE (clear all); {FAULTS_PATH}/{{id}} takes DELETE"
        )}),
    )
}
