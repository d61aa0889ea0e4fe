//! Wire protocol: decode a request, hand it to a service, encode the response
//! or an AWS-shaped error.
//!
//! JSON services (Step Functions, EventBridge, CloudWatch Logs, SQS) are all
//! `POST /` with `X-Amz-Target: <Prefix>.<Operation>`; they are routed here by
//! the target prefix to a [`JsonService`]. REST services (Lambda) bring their
//! own `axum::Router`, merged in front of the JSON dispatcher. Every route is
//! behind the same layers ([`middleware`]): request id, admission, callers, and
//! the operation boundary (each service's body limit, the permission check).

pub mod admission;
pub mod callers;
pub mod error;
pub mod middleware;
pub mod operation;
pub mod tokens;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use error::AwsError;

/// Which awsJson flavour a service speaks; it only changes the content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `application/x-amz-json-1.0` (Step Functions, SQS).
    AwsJson10,
    /// `application/x-amz-json-1.1` (EventBridge, CloudWatch Logs).
    AwsJson11,
    /// restJson1 (Lambda): errors name their code in `x-amzn-errortype`, bodies are plain JSON.
    RestJson1,
}

impl Protocol {
    /// The response `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::AwsJson10 => "application/x-amz-json-1.0",
            Self::AwsJson11 => "application/x-amz-json-1.1",
            Self::RestJson1 => "application/json",
        }
    }
}

/// The future a [`JsonService`] returns.
pub type ServiceFuture = Pin<Box<dyn Future<Output = Result<Value, AwsError>> + Send + 'static>>;

/// One AWS JSON service: an operation name and a JSON object in, a JSON object
/// or an AWS-shaped error out.
pub trait JsonService: Send + Sync + 'static {
    /// The `X-Amz-Target` prefix, e.g. `Logs_20140328`.
    fn target_prefix(&self) -> &'static str;

    /// Content type of responses.
    fn protocol(&self) -> Protocol;

    /// Largest request body accepted, in bytes, before any JSON is parsed.
    fn max_request_bytes(&self) -> usize;

    /// Runs one operation. `input` is always a JSON object.
    fn call(self: Arc<Self>, operation: String, input: Value) -> ServiceFuture;

    /// Adds headers to an error response (SQS adds `x-amzn-query-error`
    /// through [`AwsError::query_error`], so most services need nothing here).
    fn decorate_error(&self, error: AwsError) -> AwsError {
        error
    }
}

/// The JSON services this endpoint serves, by target prefix.
#[derive(Default, Clone)]
pub struct ServiceRegistry {
    services: HashMap<&'static str, Arc<dyn JsonService>>,
}

impl ServiceRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `service` under its target prefix (replacing any previous one).
    pub fn register(&mut self, service: Arc<dyn JsonService>) {
        self.services.insert(service.target_prefix(), service);
    }

    /// The target prefixes served.
    pub fn prefixes(&self) -> Vec<&'static str> {
        let mut prefixes: Vec<_> = self.services.keys().copied().collect();
        prefixes.sort_unstable();
        prefixes
    }

    /// Every service served.
    pub fn services(&self) -> impl Iterator<Item = &Arc<dyn JsonService>> {
        self.services.values()
    }

    fn get(&self, prefix: &str) -> Option<Arc<dyn JsonService>> {
        self.services.get(prefix).cloned()
    }
}

/// The whole HTTP surface: `rest` (Lambda's REST routes, the control API) first, then the JSON
/// dispatcher for everything else. [`middleware::apply`] puts the layers in front.
pub fn router(registry: ServiceRegistry, rest: Option<Router>) -> Router {
    let json = Router::new()
        .route("/_local/health", axum::routing::get(|| async { "ok" }))
        .fallback(dispatch)
        .with_state(Arc::new(registry));
    match rest {
        Some(rest) => rest.merge(json),
        None => json,
    }
}

/// The JSON services' handler. The layers have read the body within the service's limit, checked
/// the caller and its permission, and given the request its id.
async fn dispatch(
    State(registry): State<Arc<ServiceRegistry>>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let request_id = middleware::RequestId::of(&parts.extensions);
    let request_id = request_id.as_str();
    let target = middleware::target(&parts.headers);
    let (prefix, operation) = target.split_once('.').unwrap_or((target, ""));
    let Some(service) = registry.get(prefix) else {
        // Answer in the flavour the client spoke.
        let protocol = match parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        {
            Some(t) if t.starts_with(Protocol::AwsJson10.content_type()) => Protocol::AwsJson10,
            _ => Protocol::AwsJson11,
        };
        return error_response(&AwsError::unknown_operation(), protocol, request_id);
    };
    let protocol = service.protocol();
    let input = match parts.extensions.get::<middleware::ParsedInput>() {
        Some(parsed) => Ok(parsed.0.clone()),
        None => match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => parse_body(&bytes),
            Err(_) => Err(AwsError::too_large(service.max_request_bytes())),
        },
    };
    let input = match input {
        Ok(input) => input,
        Err(err) => {
            let err = service.decorate_error(err);
            return error_response(&err, protocol, request_id);
        }
    };
    if operation.is_empty() {
        let err = service.decorate_error(AwsError::unknown_operation());
        return error_response(&err, protocol, request_id);
    }
    // Run the operation in its own task: a bug that panics becomes a 500 for
    // this request only, and a client hanging up does not cancel a write half way.
    let call = Arc::clone(&service).call(operation.to_owned(), input);
    let outcome = match tokio::spawn(call).await {
        Ok(outcome) => outcome,
        Err(join) => {
            tracing::error!(target = %target, panicked = join.is_panic(), "operation task failed");
            Err(AwsError::internal("An internal error occurred."))
        }
    };
    match outcome {
        Ok(output) => json_response(StatusCode::OK, &output, protocol, request_id, None),
        Err(err) => {
            let err = service.decorate_error(err);
            error_response(&err, protocol, request_id)
        }
    }
}

/// An empty body is an empty input, as AWS treats it; anything else must be a JSON object.
pub(crate) fn parse_body(bytes: &[u8]) -> Result<Value, AwsError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(AwsError::serialization(
            "Start of structure or map expected, found a different JSON value.",
        )),
        Err(e) => Err(AwsError::serialization(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

fn json_response(
    status: StatusCode,
    body: &Value,
    protocol: Protocol,
    request_id: &str,
    query_error: Option<&str>,
) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = (status, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(protocol.content_type()),
    );
    // Empty when the caller leaves the id to the layers (`middleware::request_id`).
    if !request_id.is_empty()
        && let Ok(id) = HeaderValue::from_str(request_id)
    {
        headers.insert(middleware::REQUEST_ID_HEADER, id);
    }
    if let Some(query_error) = query_error.and_then(|q| HeaderValue::from_str(q).ok()) {
        headers.insert("x-amzn-query-error", query_error);
    }
    response
}

/// Encodes an [`AwsError`] as awsJson clients expect it.
pub fn error_response(error: &AwsError, protocol: Protocol, request_id: &str) -> Response {
    if error.status.is_server_error() {
        tracing::warn!(code = %error.code, "request failed on the server side");
    }
    let body = match protocol {
        Protocol::RestJson1 => error.rest_body(),
        Protocol::AwsJson10 | Protocol::AwsJson11 => error.body(),
    };
    let mut response = json_response(
        error.status,
        &body,
        protocol,
        request_id,
        error.query_error.as_deref(),
    );
    let headers = response.headers_mut();
    if protocol == Protocol::RestJson1
        && let Ok(code) = HeaderValue::from_str(&error.code)
    {
        headers.insert("x-amzn-errortype", code);
    }
    for (name, value) in error.headers() {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(*name, value);
        }
    }
    response
}

/// Decodes an operation's input into its typed request.
///
/// A member missing that the operation requires becomes `missing(member)` (each
/// service words its validation error itself); a member of the wrong JSON type
/// becomes `SerializationException`, as AWS's JSON front end reports it.
pub fn decode<T: DeserializeOwned>(
    input: Value,
    missing: impl FnOnce(&str) -> AwsError,
) -> Result<T, AwsError> {
    serde_json::from_value(input).map_err(|e| {
        let text = e.to_string();
        match text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(member) => missing(member),
            None => AwsError::serialization(text),
        }
    })
}

/// Encodes a typed response.
pub fn encode<T: Serialize>(output: &T) -> Result<Value, AwsError> {
    serde_json::to_value(output).map_err(|e| AwsError::internal(format!("encoding failed: {e}")))
}

/// The standard coral validation message for a missing member.
pub fn null_member_message(member: &str) -> String {
    format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Req {
        log_group_name: String,
        #[allow(dead_code)]
        limit: Option<u32>,
    }

    fn missing(member: &str) -> AwsError {
        AwsError::client("InvalidParameterException", null_member_message(member))
    }

    #[test]
    fn decode_reports_missing_members_with_the_service_error() {
        let err = decode::<Req>(json!({}), missing).unwrap_err();
        assert_eq!(err.code, "InvalidParameterException");
        assert_eq!(
            err.message.as_deref(),
            Some(
                "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null"
            )
        );
    }

    #[test]
    fn decode_reports_wrong_types_as_serialization_errors() {
        let err = decode::<Req>(json!({"logGroupName": "g", "limit": "ten"}), missing).unwrap_err();
        assert_eq!(err.code, "SerializationException");
        let ok: Req = decode(json!({"logGroupName": "g"}), missing).unwrap();
        assert_eq!(ok.log_group_name, "g");
    }

    #[test]
    fn bodies_must_be_objects() {
        assert_eq!(parse_body(b"").unwrap(), json!({}));
        assert_eq!(parse_body(b" \n").unwrap(), json!({}));
        assert_eq!(parse_body(b"{\"a\":1}").unwrap(), json!({"a": 1}));
        assert_eq!(
            parse_body(b"[1]").unwrap_err().code,
            "SerializationException"
        );
        assert_eq!(
            parse_body(b"{nope").unwrap_err().code,
            "SerializationException"
        );
    }
}
