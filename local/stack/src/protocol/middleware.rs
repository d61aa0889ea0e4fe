//! One middleware stack in front of every route: the JSON services, Lambda's REST API and the
//! control API all pass through the same layers, in this order (outermost first):
//!
//! 1. **Request id**: every request gets one ([`RequestId`], in the request's extensions for the
//!    handler), and every response carries it as `x-amzn-RequestId`, refusals of the later layers
//!    included (a handler that answers with its own, as Lambda's Invoke does with the
//!    invocation's, keeps it).
//! 2. **Admission** ([`super::admission`]): at most `--max-in-flight` requests at once, more are
//!    answered `503 ThrottlingException`.
//! 3. **Callers** ([`super::callers`]): Host, Origin and the control API's media type.
//! 4. **The operation boundary** ([`boundary`]): the request is matched to its service's
//!    [`Front`] (by `X-Amz-Target` prefix for JSON services, by path for REST services); the body
//!    is read up to that service's limit (the declared `Content-Length` first, then the bytes as
//!    they come) and refused in that service's words when larger; a request signed with the
//!    credentials the stack gave a function is checked against the function's role by the
//!    permission plane (`AccessDeniedException`, as AWS answers it). The handler gets the body
//!    already read.
//!
//! A service plugs in by being a [`Front`]: its body limit, how it names an operation and the
//! members of the request IAM looks at, and how it encodes an error.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::error::AwsError;
use super::{JsonService, Protocol};
use crate::permissions::PermissionPlane;

/// The id of one request, as the handler finds it in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub Arc<str>);

impl RequestId {
    /// A fresh id.
    pub fn new() -> Self {
        Self(Arc::from(uuid::Uuid::new_v4().to_string()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of `request` (a fresh one when the request did not pass through the stack's
    /// layers: a router served on its own in a unit test).
    pub fn of(extensions: &axum::http::Extensions) -> Self {
        extensions.get::<Self>().cloned().unwrap_or_default()
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

/// The header every response carries.
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// Layer 2: gives the request its id and puts it on the response.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = RequestId::new();
    request.extensions_mut().insert(id.clone());
    let mut response = next.run(request).await;
    if !response.headers().contains_key(REQUEST_ID_HEADER)
        && let Ok(value) = HeaderValue::from_str(id.as_str())
    {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// An operation as the permission plane sees it: the service's prefix (`X-Amz-Target` prefix, or
/// `lambda` for Lambda's REST API), the operation, and the request members it reads resources from.
#[derive(Debug, Clone)]
pub struct NamedOperation {
    /// `AWSStepFunctions`, `AWSEvents`, `Logs_20140328`, `AmazonSQS`, `lambda`.
    pub prefix: &'static str,
    /// The operation's name (`StartExecution`, `Invoke`).
    pub operation: String,
    /// The request as a JSON object (a REST service puts its path and query members here).
    pub input: Value,
}

/// What the operation boundary needs to know of one service.
pub trait Front: Send + Sync + 'static {
    /// The largest body this request may carry.
    fn max_request_bytes(&self, parts: &Parts) -> usize;

    /// The error a larger body gets.
    fn too_large(&self, parts: &Parts, limit: usize) -> AwsError {
        let _ = parts;
        AwsError::too_large(limit)
    }

    /// The refusal of a call the caller's role may not make (the API references' common error:
    /// `AccessDeniedException`, HTTP 400).
    fn access_denied(&self, message: String) -> AwsError {
        AwsError::client("AccessDeniedException", message)
    }

    /// The operation `parts` and `body` ask for, when the permission plane has to decide it.
    fn operation(&self, parts: &Parts, body: &Bytes) -> Option<NamedOperation>;

    /// Encodes an error of this service.
    fn error_response(&self, error: AwsError, request_id: &str) -> Response;
}

/// A JSON service's front: found by its target prefix, its body is the operation's input.
struct JsonFront(Arc<dyn JsonService>);

/// The input parsed for the permission check, kept for the dispatcher (parsed once).
#[derive(Debug, Clone)]
pub struct ParsedInput(pub Value);

impl Front for JsonFront {
    fn max_request_bytes(&self, _: &Parts) -> usize {
        self.0.max_request_bytes()
    }

    fn operation(&self, parts: &Parts, body: &Bytes) -> Option<NamedOperation> {
        let (_, operation) = target(&parts.headers).split_once('.')?;
        let input = super::parse_body(body).ok()?;
        Some(NamedOperation {
            prefix: self.0.target_prefix(),
            operation: operation.to_owned(),
            input,
        })
    }

    fn error_response(&self, error: AwsError, request_id: &str) -> Response {
        super::error_response(&self.0.decorate_error(error), self.0.protocol(), request_id)
    }
}

/// The `X-Amz-Target` header, or "".
pub fn target(headers: &HeaderMap) -> &str {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Largest body read for a route no service claims (the control API, health, an unknown
/// target): enough for any fault plan or error, small enough that a stray upload cannot hurt.
pub const UNCLAIMED_BODY_LIMIT: usize = 1024 * 1024;

/// Every service's front, by how requests find it.
#[derive(Default, Clone)]
pub struct Fronts {
    json: HashMap<&'static str, Arc<dyn Front>>,
    rest: Vec<(&'static str, Arc<dyn Front>)>,
    permissions: Option<Arc<PermissionPlane>>,
}

impl Fronts {
    /// No services yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A JSON service, found by its `X-Amz-Target` prefix.
    pub fn json(&mut self, service: Arc<dyn JsonService>) {
        self.json
            .insert(service.target_prefix(), Arc::new(JsonFront(service)));
    }

    /// A REST service, found by the path its routes start with (`/2015-03-31/functions`).
    pub fn rest(&mut self, path_prefix: &'static str, front: Arc<dyn Front>) {
        self.rest.push((path_prefix, front));
    }

    /// Requests signed with a function's credentials are checked against its role by `plane`.
    pub fn set_permissions(&mut self, plane: Arc<PermissionPlane>) {
        self.permissions = Some(plane);
    }

    fn find(&self, parts: &Parts) -> Option<&Arc<dyn Front>> {
        if let Some((prefix, _)) = target(&parts.headers).split_once('.')
            && let Some(front) = self.json.get(prefix)
        {
            return Some(front);
        }
        let path = parts.uri.path();
        self.rest
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .map(|(_, front)| front)
    }
}

/// Layer 4: the body within the service's limit, then the caller's permission.
pub async fn boundary(State(fronts): State<Arc<Fronts>>, request: Request, next: Next) -> Response {
    let request_id = RequestId::of(request.extensions());
    let (mut parts, body) = request.into_parts();
    let front = fronts.find(&parts).cloned();
    let limit = front
        .as_ref()
        .map_or(UNCLAIMED_BODY_LIMIT, |f| f.max_request_bytes(&parts));
    let too_large = |parts: &Parts| match &front {
        Some(f) => f.error_response(f.too_large(parts, limit), request_id.as_str()),
        None => super::error_response(
            &AwsError::too_large(limit),
            Protocol::AwsJson11,
            request_id.as_str(),
        ),
    };
    let declared = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        // Not read: the connection closes after the answer rather than take the upload.
        return too_large(&parts);
    }
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return too_large(&parts);
    };
    if let (Some(plane), Some(front)) = (&fronts.permissions, &front)
        && let Some(key) = access_key_id(&parts.headers)
        && plane.is_function_key(key)
        && let Some(named) = front.operation(&parts, &bytes)
    {
        // A function's own SDK call, signed with the credentials the stack gave it: its role's
        // permissions decide, as on AWS.
        if let Err(denial) = plane.sdk_call(key, named.prefix, &named.operation, &named.input) {
            let err = front.access_denied(denial.message);
            return front.error_response(err, request_id.as_str());
        }
        parts.extensions.insert(ParsedInput(named.input));
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The access key id of a SigV4 `Authorization` header (`AWS4-HMAC-SHA256 Credential=AKID/date/...`).
pub fn access_key_id(headers: &HeaderMap) -> Option<&str> {
    let auth = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let credential = auth.split("Credential=").nth(1)?;
    credential.split('/').next().filter(|k| !k.is_empty())
}

/// What [`apply`] puts in front of the routes.
pub struct Layers {
    /// Most requests at once.
    pub max_in_flight: usize,
    /// Host, Origin, the control API's media type.
    pub callers: Arc<super::callers::CallerPolicy>,
    /// Every service's front.
    pub fronts: Fronts,
}

/// `router` behind the whole stack of layers, in the order the module comment gives.
pub fn apply(router: axum::Router, layers: Layers) -> axum::Router {
    // `Router::layer` wraps what is there: the last added is the outermost.
    router
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(layers.fronts),
            boundary,
        ))
        .layer(axum::middleware::from_fn_with_state(
            layers.callers,
            super::callers::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            super::admission::InFlight::new(layers.max_in_flight),
            super::admission::in_flight,
        ))
        .layer(axum::middleware::from_fn(request_id))
}
