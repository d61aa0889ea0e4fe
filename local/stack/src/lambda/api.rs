//! The Lambda REST API (restJson1): Invoke, ListFunctions, GetFunction and
//! GetFunctionConfiguration, decoded into [`LambdaService`] calls.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::error::LambdaError;
use super::service::{InvokeRequest, LambdaService};

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
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(service)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn request_id_header(response: &mut Response, request_id: &str) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
}

async fn invoke(
    State(service): State<LambdaService>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match invoke_inner(&service, name, query, &headers, body).await {
        Ok(response) => response,
        Err(e) => {
            let mut response = e.into_response();
            request_id_header(&mut response, &uuid::Uuid::new_v4().to_string());
            response
        }
    }
}

async fn invoke_inner(
    service: &LambdaService,
    name: String,
    query: HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, LambdaError> {
    let limit = service.config().max_sync_payload;
    let payload = axum::body::to_bytes(body, limit).await.map_err(|_| {
        LambdaError::RequestTooLarge(format!(
            "Request must be smaller than {limit} bytes for the InvokeFunction operation"
        ))
    })?;
    let request = InvokeRequest {
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
    };
    let outcome = service.invoke_with(request).await?;
    let status = StatusCode::from_u16(outcome.status_code).unwrap_or(StatusCode::OK);
    let mut response = if status == StatusCode::OK {
        let mut r = (status, outcome.payload.clone()).into_response();
        r.headers_mut()
            .insert("Content-Type", HeaderValue::from_static("application/json"));
        r
    } else {
        status.into_response()
    };
    request_id_header(&mut response, &outcome.request_id);
    let h = response.headers_mut();
    if let Some(v) = outcome
        .executed_version
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        h.insert("X-Amz-Executed-Version", v);
    }
    if let Some(v) = outcome
        .function_error
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        h.insert("X-Amz-Function-Error", v);
    }
    if let Some(v) = outcome
        .log_result
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        h.insert("X-Amz-Log-Result", v);
    }
    Ok(response)
}

async fn list_functions(
    State(service): State<LambdaService>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let max_items = match query.get("MaxItems") {
        None => 50,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=10_000).contains(&n) => n.min(50),
            _ => {
                return LambdaError::Validation(format!(
                    "1 validation error detected: Value '{raw}' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
                ))
                .into_response();
            }
        },
    };
    let all = service.list_functions();
    let start = match query.get("Marker") {
        None => 0,
        Some(marker) => match crate::protocol::tokens::open("lambda:ListFunctions", marker)
            .and_then(|name| all.iter().position(|f| f.function_name == name))
        {
            Some(i) => i + 1,
            None => {
                return LambdaError::InvalidParameterValue("Invalid marker".into()).into_response();
            }
        },
    };
    let page: Vec<_> = all.iter().skip(start).take(max_items).cloned().collect();
    let mut body = json!({ "Functions": page });
    if let Some(last) = page.last().filter(|_| start + page.len() < all.len()) {
        body["NextMarker"] = json!(crate::protocol::tokens::seal(
            "lambda:ListFunctions",
            &last.function_name
        ));
    }
    axum::Json(body).into_response()
}

async fn get_function(
    State(service): State<LambdaService>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match service.get_function(&name, query.get("Qualifier").map(String::as_str)) {
        Ok(out) => axum::Json(out).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn get_function_configuration(
    State(service): State<LambdaService>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match service.get_function_configuration(&name, query.get("Qualifier").map(String::as_str)) {
        Ok(out) => axum::Json(out).into_response(),
        Err(e) => e.into_response(),
    }
}
