//! The client side of the control API (`fault ...`, tests).

use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::Value;

use super::api::FAULTS_PATH;

/// Why a control call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The stack could not be reached (not running, wrong endpoint).
    #[error("cannot reach the stack at {endpoint}: {message}")]
    Transport {
        /// `--endpoint-url`.
        endpoint: String,
        /// Cause.
        message: String,
    },
    /// The stack refused the request.
    #[error("{code}: {message} (HTTP {status})")]
    Refused {
        /// HTTP status.
        status: u16,
        /// `code` of the JSON error.
        code: String,
        /// `message` of the JSON error.
        message: String,
    },
}

/// Calls `/_local/faults` on a running stack.
pub struct FaultClient {
    endpoint: String,
    http: crate::client::Http,
}

impl FaultClient {
    /// A client for `endpoint` (`http://127.0.0.1:4566`).
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into().trim_end_matches('/').to_owned(),
            http: crate::client::http(),
        }
    }

    /// `POST /_local/faults`: adds a plan; returns what was added.
    pub async fn add(&self, plan: &Value) -> Result<Value, ClientError> {
        self.send("POST", FAULTS_PATH.to_owned(), Some(plan.to_string()))
            .await
    }

    /// `GET /_local/faults`.
    pub async fn list(&self) -> Result<Value, ClientError> {
        self.send("GET", FAULTS_PATH.to_owned(), None).await
    }

    /// `DELETE /_local/faults` (every fault) or `DELETE /_local/faults/{id}`.
    pub async fn clear(&self, id: Option<u64>) -> Result<Value, ClientError> {
        let path = match id {
            Some(id) => format!("{FAULTS_PATH}/{id}"),
            None => FAULTS_PATH.to_owned(),
        };
        self.send("DELETE", path, None).await
    }

    /// One request; a non-2xx answer becomes [`ClientError::Refused`].
    pub async fn send(
        &self,
        method: &str,
        path: String,
        body: Option<String>,
    ) -> Result<Value, ClientError> {
        let transport = |message: String| ClientError::Transport {
            endpoint: self.endpoint.clone(),
            message,
        };
        let request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.endpoint))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| transport(e.to_string()))?;
        let (status, bytes) = crate::client::exchange(&self.http, request)
            .await
            .map_err(transport)?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| {
            transport(format!(
                "HTTP {status} with a body that is not JSON (is this the local stack?): {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ))
        })?;
        if status.is_success() {
            return Ok(value);
        }
        Err(ClientError::Refused {
            status: status.as_u16(),
            code: value["code"].as_str().unwrap_or("Unknown").to_owned(),
            message: value["message"].as_str().unwrap_or("").to_owned(),
        })
    }
}
