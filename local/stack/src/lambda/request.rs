//! What Invoke takes and returns: [`InvokeRequest`] with its [`InvocationType`] and [`LogType`]
//! (parsed from the API's headers), and [`InvokeOutcome`].

use std::str::FromStr;

use axum::body::Bytes;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::error::LambdaError;

/// `X-Amz-Invocation-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvocationType {
    #[default]
    RequestResponse,
    Event,
    DryRun,
}

impl FromStr for InvocationType {
    type Err = LambdaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RequestResponse" => Ok(Self::RequestResponse),
            "Event" => Ok(Self::Event),
            "DryRun" => Ok(Self::DryRun),
            other => Err(LambdaError::Validation(format!(
                "1 validation error detected: Value '{other}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
            ))),
        }
    }
}

/// `X-Amz-Log-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogType {
    #[default]
    None,
    Tail,
}

impl FromStr for LogType {
    type Err = LambdaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "None" => Ok(Self::None),
            "Tail" => Ok(Self::Tail),
            other => Err(LambdaError::Validation(format!(
                "1 validation error detected: Value '{other}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]"
            ))),
        }
    }
}

/// Everything Invoke takes.
#[derive(Debug, Clone, Default)]
pub struct InvokeRequest {
    /// Name, partial ARN or ARN, optionally with `:qualifier`.
    pub function_name: String,
    /// The `Qualifier` query parameter.
    pub qualifier: Option<String>,
    pub invocation_type: InvocationType,
    pub log_type: LogType,
    /// `X-Amz-Client-Context`: base64 of a JSON document.
    pub client_context: Option<String>,
    pub payload: Bytes,
}

/// What Invoke returns.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeOutcome {
    /// 200 (RequestResponse), 202 (Event) or 204 (DryRun).
    pub status_code: u16,
    pub request_id: String,
    /// The response, or the error document when `function_error` is set.
    pub payload: Bytes,
    /// `X-Amz-Function-Error`: `Unhandled` for a function error.
    pub function_error: Option<String>,
    /// `X-Amz-Log-Result`: base64 of the last 4 KB of the log (`LogType: Tail`).
    pub log_result: Option<String>,
    /// `X-Amz-Executed-Version`.
    pub executed_version: Option<String>,
}

impl InvokeOutcome {
    /// The decoded `X-Amz-Log-Result`.
    pub fn log_tail(&self) -> Option<String> {
        let raw = BASE64.decode(self.log_result.as_deref()?).ok()?;
        Some(String::from_utf8_lossy(&raw).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocation_type_parses_the_documented_values() {
        assert_eq!(
            "Event".parse::<InvocationType>().unwrap(),
            InvocationType::Event
        );
        assert_eq!(
            "DryRun".parse::<InvocationType>().unwrap(),
            InvocationType::DryRun
        );
        let err = "Async".parse::<InvocationType>().unwrap_err();
        assert_eq!(err.code(), "ValidationException");
        assert_eq!(
            err.to_string(),
            "1 validation error detected: Value 'Async' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
        );
    }
}
