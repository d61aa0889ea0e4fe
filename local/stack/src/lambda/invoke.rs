//! The Invoke path: checks a request (payload size and JSON, client context), answers DryRun,
//! queues Event, and runs RequestResponse on an instance within the function's concurrency (waiting
//! or throttled, as the policy says), with the log tail (`X-Amz-Log-Result`) when asked.

use std::sync::Arc;

use axum::body::Bytes;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio::sync::OwnedSemaphorePermit;

use super::async_invoke;
use super::config::ConcurrencyPolicy;
use super::error::LambdaError;
use super::faults::Fault;
use super::function::Function;
use super::instance::{InvocationResult, RunRequest};
use super::registry::Registry;
use super::request::{InvocationType, InvokeOutcome, InvokeRequest, LogType};

/// Invoke with every option of the API.
pub(super) async fn invoke_with(
    registry: &Arc<Registry>,
    request: InvokeRequest,
) -> Result<InvokeOutcome, LambdaError> {
    let function = registry.resolve(&request.function_name, request.qualifier.as_deref())?;
    let limit = match request.invocation_type {
        InvocationType::Event => registry.config.max_async_payload,
        _ => registry.config.max_sync_payload,
    };
    if request.payload.len() > limit {
        return Err(LambdaError::RequestTooLarge(format!(
            "Request must be smaller than {limit} bytes for the InvokeFunction operation"
        )));
    }
    let payload = if request.payload.iter().all(u8::is_ascii_whitespace) {
        // An empty payload reaches the function as an empty JSON object.
        Bytes::from_static(b"{}")
    } else {
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&request.payload) {
            return Err(LambdaError::InvalidRequestContent(format!(
                "Could not parse request body into json: Could not parse payload into json: {e}"
            )));
        }
        request.payload
    };
    let client_context = match request.client_context.as_deref() {
        None | Some("") => None,
        Some(encoded) => {
            let decoded = BASE64
                .decode(encoded)
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .filter(|s| serde_json::from_str::<serde_json::Value>(s).is_ok());
            match decoded {
                Some(s) => Some(s),
                None => {
                    return Err(LambdaError::InvalidParameterValue(
                        "Client context must be a valid Base64-encoded JSON object.".into(),
                    ));
                }
            }
        }
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    match request.invocation_type {
        InvocationType::DryRun => Ok(InvokeOutcome {
            status_code: 204,
            request_id,
            payload: Bytes::new(),
            function_error: None,
            log_result: None,
            executed_version: None,
        }),
        InvocationType::Event => {
            async_invoke::enqueue(registry, function, request_id.clone(), payload);
            Ok(InvokeOutcome {
                status_code: 202,
                request_id,
                payload: Bytes::new(),
                function_error: None,
                log_result: None,
                executed_version: None,
            })
        }
        InvocationType::RequestResponse => {
            let fault = registry.fault_for(&function.config.name);
            if fault == Some(Fault::Throttle) {
                return Err(function.throttled());
            }
            let permit = acquire(registry, &function).await?;
            // The invocation runs in its own task: a caller that goes away
            // (a client disconnecting) does not stop it, as on AWS, and the
            // instance always returns to the pool.
            let inner = Arc::clone(registry);
            let run = RunRequest {
                request_id: request_id.clone(),
                payload,
                invoked_function_arn: function.arn.clone(),
                client_context,
                cognito_identity: None,
            };
            let outcome = tokio::spawn(async move {
                let outcome = function
                    .execute(&inner.config, &inner.logs, run, fault.as_ref())
                    .await;
                drop(permit);
                outcome
            })
            .await
            .map_err(|e| LambdaError::Service(format!("the invocation failed: {e}")))?;
            let log_result = (request.log_type == LogType::Tail).then(|| tail(&outcome.log));
            let (payload, function_error) = match outcome.result {
                InvocationResult::Success(p) => (p, None),
                InvocationResult::Unhandled(p) => (p, Some("Unhandled".to_owned())),
            };
            Ok(InvokeOutcome {
                status_code: 200,
                request_id,
                payload,
                function_error,
                log_result,
                executed_version: Some("$LATEST".into()),
            })
        }
    }
}

async fn acquire(
    registry: &Registry,
    function: &Arc<Function>,
) -> Result<OwnedSemaphorePermit, LambdaError> {
    let permits = Arc::clone(&function.permits);
    match registry.config.concurrency_policy {
        ConcurrencyPolicy::Queue => permits
            .acquire_owned()
            .await
            .map_err(|_| LambdaError::Service("the function is shutting down".into())),
        ConcurrencyPolicy::Throttle => permits
            .try_acquire_owned()
            .map_err(|_| function.throttled()),
    }
}

fn tail(log: &str) -> String {
    // The last 4 KB of the log, as `X-Amz-Log-Result` carries it.
    let bytes = log.as_bytes();
    let from = bytes.len().saturating_sub(4096);
    BASE64.encode(&bytes[from..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_4_kb() {
        let log = format!("{}{}", "a".repeat(5000), "END");
        let decoded = BASE64.decode(tail(&log)).unwrap();
        assert_eq!(decoded.len(), 4096);
        assert!(decoded.ends_with(b"aEND"));
    }
}
