//! The Lambda REST API (restJson1) on the one operation shape: Invoke, ListFunctions, GetFunction
//! and GetFunctionConfiguration are [`Operation`]s of the [`LambdaService`] with typed inputs (bound
//! here from the path, the query, the headers and the body, as the API reference places each
//! member), the API reference's constraints ([`Validate`]), typed outputs, and Lambda's errors
//! ([`LambdaError`], encoded as restJson1 errors). ListFunctions pages through a [`Paginator`].
//!
//! The stack's layers (`protocol::middleware`) sit in front: request id, callers, the body limit
//! and the permission check, which find this API by [`PATH_PREFIX`] through [`LambdaFront`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use super::error::LambdaError;
use super::service::LambdaService;
use super::service::{FunctionConfiguration, GetFunctionOutput, InvokeOutcome, InvokeRequest};
use crate::protocol::error::AwsError;
use crate::protocol::middleware::{Front, NamedOperation, RequestId};
use crate::protocol::operation::{
    Check, ErrorVocabulary, Operation, Paginator, Validate, run_checked,
};
use crate::protocol::{Protocol, error_response, null_member_message};

/// The path every route of this API starts with.
pub const PATH_PREFIX: &str = "/2015-03-31/functions";

/// The routes under `/2015-03-31/functions`, to merge into the stack's server.
pub fn router(service: LambdaService) -> Router {
    Router::new()
        .route("/2015-03-31/functions", get(list_functions))
        .route("/2015-03-31/functions/", get(list_functions))
        .route("/2015-03-31/functions/{name}", get(get_function))
        .route(
            "/2015-03-31/functions/{name}/configuration",
            get(get_function_configuration),
        )
        .route("/2015-03-31/functions/{name}/invocations", post(invoke))
        .with_state(Arc::new(service))
}

/// How Lambda's front end words the errors every operation shares.
static ERRORS: ErrorVocabulary = ErrorVocabulary {
    validation: "ValidationException",
    missing: |member| AwsError::from(LambdaError::Validation(null_member_message(member))),
};

fn respond<T>(
    outcome: Result<T, AwsError>,
    request_id: &RequestId,
    ok: impl FnOnce(T) -> Response,
) -> Response {
    match outcome {
        Ok(output) => ok(output),
        Err(error) => error_response(&error, Protocol::RestJson1, request_id.as_str()),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

// --- Invoke ------------------------------------------------------------------------------------

/// `Invoke` (`POST /2015-03-31/functions/{FunctionName}/invocations`).
pub struct Invoke;

impl Validate for InvokeRequest {}

impl Operation<LambdaService> for Invoke {
    const NAME: &'static str = "Invoke";
    type Input = InvokeRequest;
    type Output = InvokeOutcome;

    async fn run(
        service: Arc<LambdaService>,
        input: InvokeRequest,
    ) -> Result<InvokeOutcome, AwsError> {
        Ok(service.invoke_with(input).await?)
    }
}

/// The members of an Invoke request: `FunctionName` in the path, `Qualifier` in the query,
/// `X-Amz-Invocation-Type`, `X-Amz-Log-Type` and `X-Amz-Client-Context` headers, the payload as
/// the body.
fn invoke_request(
    name: String,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    payload: Bytes,
) -> Result<InvokeRequest, AwsError> {
    Ok(InvokeRequest {
        function_name: name,
        qualifier: query.get("Qualifier").cloned(),
        invocation_type: header(headers, "X-Amz-Invocation-Type")
            .unwrap_or("RequestResponse")
            .parse()?,
        log_type: header(headers, "X-Amz-Log-Type")
            .unwrap_or("None")
            .parse()?,
        client_context: header(headers, "X-Amz-Client-Context").map(str::to_owned),
        payload,
    })
}

async fn invoke(
    State(service): State<Arc<LambdaService>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let request_id = RequestId::of(&parts.extensions);
    // The stack's layers have read the body within the limit (`LambdaFront`).
    let payload = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let outcome = match invoke_request(name, &query, &parts.headers, payload) {
        Ok(input) => run_checked::<_, Invoke>(service, input, &ERRORS).await,
        Err(error) => Err(error),
    };
    respond(outcome, &request_id, invoke_response)
}

/// An Invoke's answer: the function's payload (or the event's acceptance), the invocation's
/// request id, and the `X-Amz-*` headers of the API reference.
fn invoke_response(outcome: InvokeOutcome) -> Response {
    let status = StatusCode::from_u16(outcome.status_code).unwrap_or(StatusCode::OK);
    let mut response = if status == StatusCode::OK {
        let mut r = (status, outcome.payload.clone()).into_response();
        r.headers_mut()
            .insert("Content-Type", HeaderValue::from_static("application/json"));
        r
    } else {
        status.into_response()
    };
    let h = response.headers_mut();
    for (name, value) in [
        ("x-amzn-RequestId", Some(outcome.request_id.as_str())),
        (
            "X-Amz-Executed-Version",
            outcome.executed_version.as_deref(),
        ),
        ("X-Amz-Function-Error", outcome.function_error.as_deref()),
        ("X-Amz-Log-Result", outcome.log_result.as_deref()),
    ] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            h.insert(name, v);
        }
    }
    response
}

// --- ListFunctions -----------------------------------------------------------------------------

/// `ListFunctions` (`GET /2015-03-31/functions/?MaxItems=&Marker=`).
pub struct ListFunctions;

/// ListFunctions' request.
#[derive(Debug, Default)]
pub struct ListFunctionsInput {
    /// `MaxItems` (1-10,000; a page holds at most 50).
    pub max_items: Option<i64>,
    /// `Marker`, a `NextMarker` of an earlier page.
    pub marker: Option<String>,
}

impl Validate for ListFunctionsInput {
    fn validate(&self, check: &mut Check) {
        check.range(FUNCTIONS.size_member, self.max_items, 1, 10_000);
    }
}

/// ListFunctions' response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListFunctionsOutput {
    /// The page.
    pub functions: Vec<FunctionConfiguration>,
    /// The marker of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// ListFunctions' pages: at most 50 functions each (the API reference: "up to 50"), a marker
/// names the last function of its page.
const FUNCTIONS: Paginator = Paginator {
    scope: "lambda:ListFunctions",
    default_size: 50,
    max_size: 50,
    zero_is_default: false,
    size_member: "maxItems",
    invalid_token: |_| AwsError::from(LambdaError::InvalidParameterValue("Invalid marker".into())),
};

impl Operation<LambdaService> for ListFunctions {
    const NAME: &'static str = "ListFunctions";
    type Input = ListFunctionsInput;
    type Output = ListFunctionsOutput;

    async fn run(
        service: Arc<LambdaService>,
        input: ListFunctionsInput,
    ) -> Result<ListFunctionsOutput, AwsError> {
        // MaxItems above 50 is accepted (Validate) and still gives pages of 50.
        let page = FUNCTIONS.request(
            "",
            input.max_items.map(|n| n.min(50)),
            input.marker.as_deref(),
            &ERRORS,
        )?;
        let all = service.list_functions();
        let start = match &page.position {
            None => 0,
            Some(name) => match all.iter().position(|f| &f.function_name == name) {
                Some(i) => i + 1,
                None => return Err((FUNCTIONS.invalid_token)(name)),
            },
        };
        let functions: Vec<_> = all.iter().skip(start).take(page.size).cloned().collect();
        let next_marker = functions
            .last()
            .filter(|_| start + functions.len() < all.len())
            .map(|last| page.next_token(&last.function_name));
        Ok(ListFunctionsOutput {
            functions,
            next_marker,
        })
    }
}

/// `MaxItems` as the query gives it; a value that is not a number is out of range.
fn max_items(query: &HashMap<String, String>) -> Result<Option<i64>, AwsError> {
    match query.get("MaxItems") {
        None => Ok(None),
        Some(raw) => raw.parse::<i64>().map(Some).map_err(|_| {
            ERRORS.validation(format!(
                "1 validation error detected: Value '{raw}' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
            ))
        }),
    }
}

async fn list_functions(
    State(service): State<Arc<LambdaService>>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let request_id = RequestId::of(request.extensions());
    let outcome = match max_items(&query) {
        Ok(max_items) => {
            let input = ListFunctionsInput {
                max_items,
                marker: query.get("Marker").cloned(),
            };
            run_checked::<_, ListFunctions>(service, input, &ERRORS).await
        }
        Err(error) => Err(error),
    };
    respond(outcome, &request_id, |out| axum::Json(out).into_response())
}

// --- GetFunction, GetFunctionConfiguration ------------------------------------------------------

/// A function named in the path, with an optional `Qualifier` in the query.
#[derive(Debug)]
pub struct FunctionInput {
    /// `FunctionName`: a name, a partial ARN or an ARN.
    pub function_name: String,
    /// `Qualifier`: a version or alias.
    pub qualifier: Option<String>,
}

impl Validate for FunctionInput {
    fn validate(&self, check: &mut Check) {
        check.length("functionName", Some(&self.function_name), 1, 170);
        check.length("qualifier", self.qualifier.as_deref(), 1, 128);
    }
}

/// `GetFunction` (`GET /2015-03-31/functions/{FunctionName}`).
pub struct GetFunction;

impl Operation<LambdaService> for GetFunction {
    const NAME: &'static str = "GetFunction";
    type Input = FunctionInput;
    type Output = GetFunctionOutput;

    async fn run(
        service: Arc<LambdaService>,
        input: FunctionInput,
    ) -> Result<GetFunctionOutput, AwsError> {
        Ok(service.get_function(&input.function_name, input.qualifier.as_deref())?)
    }
}

/// `GetFunctionConfiguration` (`GET /2015-03-31/functions/{FunctionName}/configuration`).
pub struct GetFunctionConfiguration;

impl Operation<LambdaService> for GetFunctionConfiguration {
    const NAME: &'static str = "GetFunctionConfiguration";
    type Input = FunctionInput;
    type Output = FunctionConfiguration;

    async fn run(
        service: Arc<LambdaService>,
        input: FunctionInput,
    ) -> Result<FunctionConfiguration, AwsError> {
        Ok(service.get_function_configuration(&input.function_name, input.qualifier.as_deref())?)
    }
}

fn function_input(name: String, query: &HashMap<String, String>) -> FunctionInput {
    FunctionInput {
        function_name: name,
        qualifier: query.get("Qualifier").cloned(),
    }
}

async fn get_function(
    State(service): State<Arc<LambdaService>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let request_id = RequestId::of(request.extensions());
    let outcome =
        run_checked::<_, GetFunction>(service, function_input(name, &query), &ERRORS).await;
    respond(outcome, &request_id, |out| axum::Json(out).into_response())
}

async fn get_function_configuration(
    State(service): State<Arc<LambdaService>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let request_id = RequestId::of(request.extensions());
    let outcome =
        run_checked::<_, GetFunctionConfiguration>(service, function_input(name, &query), &ERRORS)
            .await;
    respond(outcome, &request_id, |out| axum::Json(out).into_response())
}

// --- the front ---------------------------------------------------------------------------------

/// What the stack's layers need of this API: Invoke's payload limit (the synchronous one; an
/// `Event` invocation's smaller limit is the service's own check), the operation a path names for
/// the permission plane, and restJson1 errors.
pub struct LambdaFront {
    max_payload: usize,
}

impl LambdaFront {
    /// The front of `service`'s API.
    pub fn of(service: &LambdaService) -> Arc<dyn Front> {
        Arc::new(Self {
            max_payload: service.config().max_sync_payload,
        })
    }
}

impl Front for LambdaFront {
    fn max_request_bytes(&self, _: &Parts) -> usize {
        self.max_payload
    }

    fn too_large(&self, _: &Parts, limit: usize) -> AwsError {
        LambdaError::RequestTooLarge(format!(
            "Request must be smaller than {limit} bytes for the InvokeFunction operation"
        ))
        .into()
    }

    fn access_denied(&self, message: String) -> AwsError {
        // Lambda's REST front end answers an IAM denial with 403.
        AwsError::client("AccessDeniedException", message)
            .with_status(StatusCode::FORBIDDEN)
            .with_member("Type", "User")
    }

    fn operation(&self, parts: &Parts, _: &Bytes) -> Option<NamedOperation> {
        let rest = parts.uri.path().strip_prefix(PATH_PREFIX)?;
        let qualifier = parts.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("Qualifier="))
                .map(str::to_owned)
        });
        let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
        let (operation, name) = match segments.as_slice() {
            [""] => ("ListFunctions", None),
            [name] => ("GetFunction", Some(*name)),
            [name, "configuration"] => ("GetFunctionConfiguration", Some(*name)),
            [name, "invocations"] => ("Invoke", Some(*name)),
            _ => return None,
        };
        let name = name.map(|n| {
            percent_encoding::percent_decode_str(n)
                .decode_utf8_lossy()
                .into_owned()
        });
        Some(NamedOperation {
            prefix: "lambda",
            operation: operation.to_owned(),
            input: json!({ "FunctionName": name, "Qualifier": qualifier }),
        })
    }

    fn error_response(&self, error: AwsError, request_id: &str) -> Response {
        error_response(&error, Protocol::RestJson1, request_id)
    }
}
