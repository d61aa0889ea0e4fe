//! A minimal client of the awsJson protocols, for tools and tests that drive a running stack the
//! way the AWS SDKs do: one POST per operation with `X-Amz-Target` and a JSON body, AWS errors
//! decoded from `__type` and `message`.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The stack could not be reached or answered with something that is not JSON.
    #[error("calling {operation}: {message}")]
    Transport {
        /// `AWSEvents.PutEvents`, ...
        operation: String,
        /// What happened.
        message: String,
    },
    /// The stack answered with an AWS error.
    #[error("{operation} failed: {code}: {message}")]
    Api {
        /// The operation.
        operation: String,
        /// `__type`.
        code: String,
        /// `message`.
        message: String,
    },
}

/// The HTTP/1 client both clients of this crate use.
pub(crate) type Http = Client<HttpConnector, Full<Bytes>>;

/// A client with no connection yet.
pub(crate) fn http() -> Http {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Sends `request` and reads the whole answer: its status and body, or what went wrong on the way.
pub(crate) async fn exchange(
    http: &Http,
    request: hyper::Request<Full<Bytes>>,
) -> Result<(hyper::StatusCode, Bytes), String> {
    let response = http.request(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, bytes))
}

/// A minimal awsJson client: one POST per operation, `X-Amz-Target` and the JSON body.
#[derive(Clone)]
pub struct AwsJsonClient {
    endpoint: String,
    http: Http,
}

impl AwsJsonClient {
    /// A client for `http://127.0.0.1:<port>`.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            http: http(),
        }
    }

    /// The endpoint, `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Calls `target` (e.g. `AWSEvents.PutEvents`) with `body`; an AWS error becomes [`CallError::Api`].
    pub async fn call(&self, target: &str, body: &Value) -> Result<Value, CallError> {
        let transport = |message: String| CallError::Transport {
            operation: target.to_string(),
            message,
        };
        let content_type =
            if target.starts_with("AWSStepFunctions.") || target.starts_with("AmazonSQS.") {
                "application/x-amz-json-1.0"
            } else {
                "application/x-amz-json-1.1"
            };
        let request = hyper::Request::post(&self.endpoint)
            .header("x-amz-target", target)
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| transport(e.to_string()))?;
        let (status, bytes) = exchange(&self.http, request).await.map_err(transport)?;
        let value: Value = if bytes.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&bytes).map_err(|e| transport(format!("not JSON: {e}")))?
        };
        if status.is_success() {
            return Ok(value);
        }
        let code = value["__type"]
            .as_str()
            .unwrap_or("UnknownError")
            .rsplit('#')
            .next()
            .unwrap_or("UnknownError")
            .to_string();
        let message = value["message"]
            .as_str()
            .or_else(|| value["Message"].as_str())
            .unwrap_or("")
            .to_string();
        Err(CallError::Api {
            operation: target.to_string(),
            code,
            message,
        })
    }

    /// Calls `target` with `request` page after page (`nextToken`) and returns the items of every
    /// page under `items` (`events`, `executions`, `logGroups`, ...). Stops when a page has no new
    /// token.
    pub async fn call_all_pages(
        &self,
        target: &str,
        mut request: Value,
        items: &str,
    ) -> Result<Vec<Value>, CallError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            if let Some(t) = &token {
                request["nextToken"] = json!(t);
            }
            let mut page = self.call(target, &request).await?;
            if let Value::Array(page_items) = page[items].take() {
                out.extend(page_items);
            }
            match page["nextToken"].as_str() {
                Some(t) if Some(t) != token.as_deref() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }
}
