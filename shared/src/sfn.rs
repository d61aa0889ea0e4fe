//! The Step Functions client of the functions that call Step Functions (the
//! callback completer, the application intake): its settings from the
//! environment Lambda gives every function (kyc-local gives its functions the
//! same variables), the HTTPS client, and the classification of a failed call.
//! Behind the `sfn` feature, so the functions that never call AWS link none of it.
//!
//! Why not `aws_config::load_from_env`: its default credential chain (SSO,
//! STS web identity and assume-role, IMDS, ECS, profile files) is most of
//! the SDK code in the binary (measured in the crate README), while a
//! function's credentials are always its execution role's session in
//! `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, next
//! to `AWS_REGION` (Lambda developer guide, "Defined runtime environment
//! variables").
//!
//! Endpoint, as the SDKs read it (AWS SDKs and Tools reference guide,
//! "Service-specific endpoints"): `AWS_ENDPOINT_URL_SFN`, else
//! `AWS_ENDPOINT_URL`, both ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`
//! is `true`; unset means the regional AWS endpoint. Empty values count as
//! unset.

use std::fmt;

use aws_sdk_sfn::config::http::HttpResponse;
use aws_sdk_sfn::config::{BehaviorVersion, Credentials, HttpClient, Region};
use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

use crate::mask::mask_secret;

/// The HTTPS client: rustls on ring (the SDK's default uses aws-lc, which
/// roughly doubles a function's binary; functions/README.md).
pub fn https_client() -> impl HttpClient + 'static {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Error codes AWS uses for throttling (awsJson `__type`).
pub const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "KMS.ThrottlingException",
    "KmsThrottlingException",
];

/// A failed call, classified for a caller that Lambda retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classified<K> {
    /// An error the operation's caller gives its own meaning (for example
    /// `TaskTimedOut` for a callback, `ExecutionAlreadyExists` for a start).
    Known(K),
    /// Transient: throttling, HTTP 429 / 5xx, timeout, connection failure.
    Retryable { code: String },
    /// Permanent for this request: access denied, validation, ...
    Rejected { code: String },
}

/// Classifies an SDK error: `known` first, then throttling codes, 429 and
/// 5xx as retryable, any other service error as rejected; transport
/// failures are retryable, a request that could not be built is rejected.
pub fn classify<E: ProvideErrorMetadata, K>(
    err: SdkError<E, HttpResponse>,
    known: impl Fn(&E) -> Option<K>,
) -> Classified<K> {
    let code = |c: &str| c.to_owned();
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            if let Some(k) = known(e) {
                return Classified::Known(k);
            }
            let status = service.raw().status().as_u16();
            let code = code(e.code().unwrap_or("UnknownError"));
            if status == 429 || status >= 500 || THROTTLING_CODES.contains(&code.as_str()) {
                Classified::Retryable { code }
            } else {
                Classified::Rejected { code }
            }
        }
        SdkError::TimeoutError(_) => Classified::Retryable {
            code: code("TimeoutError"),
        },
        SdkError::DispatchFailure(_) => Classified::Retryable {
            code: code("DispatchFailure"),
        },
        SdkError::ResponseError(_) => Classified::Retryable {
            code: code("ResponseError"),
        },
        SdkError::ConstructionFailure(_) => Classified::Rejected {
            code: code("ConstructionFailure"),
        },
        // SdkError is non-exhaustive: an unknown kind is treated as
        // transient so Lambda's retries and the DLQ keep the event.
        _ => Classified::Retryable {
            code: code("UnknownSdkError"),
        },
    }
}

/// What the client needs, read once in `main`.
#[derive(Clone, PartialEq, Eq)]
pub struct SfnSettings {
    pub region: String,
    pub endpoint_url: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// A required variable is missing; the message names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the environment variable {0} is not set")]
pub struct MissingVariable(pub &'static str);

impl SfnSettings {
    /// From the process environment.
    pub fn from_env() -> Result<Self, MissingVariable> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any variable lookup (`None` when unset).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, MissingVariable> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| get(name).ok_or(MissingVariable(name));
        let region = get("AWS_REGION")
            .or_else(|| get("AWS_DEFAULT_REGION"))
            .ok_or(MissingVariable("AWS_REGION"))?;
        let ignore_endpoints = get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let endpoint_url = if ignore_endpoints {
            None
        } else {
            get("AWS_ENDPOINT_URL_SFN").or_else(|| get("AWS_ENDPOINT_URL"))
        };
        Ok(SfnSettings {
            region,
            endpoint_url,
            access_key_id: required("AWS_ACCESS_KEY_ID")?,
            secret_access_key: required("AWS_SECRET_ACCESS_KEY")?,
            session_token: get("AWS_SESSION_TOKEN"),
        })
    }

    /// The client configuration: these settings, the given HTTP client and
    /// the SDK's defaults of the latest behavior version (standard retries,
    /// timeouts, identity cache).
    pub fn sdk_config(&self, http_client: impl HttpClient + 'static) -> aws_sdk_sfn::Config {
        let credentials = Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            self.session_token.clone(),
            None,
            "Environment",
        );
        let mut builder = aws_sdk_sfn::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .credentials_provider(credentials)
            .http_client(http_client);
        if let Some(url) = &self.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        builder.build()
    }
}

/// Never prints the secret key or the session token.
impl fmt::Debug for SfnSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SfnSettings")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &mask_secret(&self.secret_access_key))
            .field(
                "session_token",
                &self.session_token.as_deref().map(mask_secret),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<SfnSettings, MissingVariable> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SfnSettings::from_lookup(|name| vars.get(name).cloned())
    }

    const LAMBDA: [(&str, &str); 5] = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret/key"),
        ("AWS_SESSION_TOKEN", "token"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        LAMBDA.iter().chain(extra).copied().collect()
    }

    #[test]
    fn lambda_environment() {
        assert_eq!(
            settings(&LAMBDA).unwrap(),
            SfnSettings {
                region: "eu-west-1".into(),
                endpoint_url: None,
                access_key_id: "ASIAEXAMPLE".into(),
                secret_access_key: "secret/key".into(),
                session_token: Some("token".into()),
            }
        );
    }

    #[test]
    fn endpoint_precedence() {
        let url =
            |vars: &[(&'static str, &'static str)]| settings(&with(vars)).unwrap().endpoint_url;
        assert_eq!(
            url(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")]).as_deref(),
            Some("http://127.0.0.1:4566")
        );
        assert_eq!(
            url(&[
                ("AWS_ENDPOINT_URL", "http://a"),
                ("AWS_ENDPOINT_URL_SFN", "http://b")
            ])
            .as_deref(),
            Some("http://b")
        );
        assert_eq!(
            url(&[
                ("AWS_ENDPOINT_URL", "http://a"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE")
            ]),
            None
        );
        assert_eq!(
            url(&[
                ("AWS_ENDPOINT_URL", "http://a"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")
            ])
            .as_deref(),
            Some("http://a")
        );
        assert_eq!(url(&[("AWS_ENDPOINT_URL", "")]), None);
    }

    #[test]
    fn region_falls_back_to_the_default_region() {
        let s = settings(&[
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "a"),
            ("AWS_SECRET_ACCESS_KEY", "b"),
        ])
        .unwrap();
        assert_eq!(s.region, "us-east-1");
        assert_eq!(s.session_token, None);
    }

    #[test]
    fn missing_variables_are_named() {
        let without = |name: &str| {
            let vars: Vec<_> = LAMBDA.iter().filter(|(k, _)| *k != name).copied().collect();
            settings(&vars).unwrap_err().to_string()
        };
        assert_eq!(
            without("AWS_ACCESS_KEY_ID"),
            "the environment variable AWS_ACCESS_KEY_ID is not set"
        );
        assert_eq!(
            without("AWS_SECRET_ACCESS_KEY"),
            "the environment variable AWS_SECRET_ACCESS_KEY is not set"
        );
        assert_eq!(settings(&[]).unwrap_err(), MissingVariable("AWS_REGION"));
    }

    #[test]
    fn debug_masks_the_secrets() {
        let shown = format!("{:?}", settings(&LAMBDA).unwrap());
        assert!(!shown.contains("secret/key"), "{shown}");
        assert!(!shown.contains("\"token\""), "{shown}");
        assert!(shown.contains("ASIAEXAMPLE"));
    }

    /// A real request through the configured client: it goes to the
    /// configured endpoint, signed with the environment's credentials.
    #[tokio::test]
    async fn client_sends_signed_requests_to_the_endpoint() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then the (small) JSON body.
            while !String::from_utf8_lossy(&request).contains("\r\n\r\n{") {
                let n = stream.read(&mut buf).unwrap();
                request.extend_from_slice(&buf[..n]);
            }
            let body = "{}";
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).unwrap();
            String::from_utf8(request).unwrap().to_ascii_lowercase()
        });
        let s = SfnSettings {
            endpoint_url: Some(url),
            ..settings(&LAMBDA).unwrap()
        };
        let client = aws_sdk_sfn::Client::from_conf(s.sdk_config(https_client()));
        client
            .send_task_heartbeat()
            .task_token("t")
            .send()
            .await
            .unwrap();
        let request = server.join().unwrap();
        assert!(request.starts_with("post / http/1.1\r\n"), "{request}");
        assert!(
            request.contains("x-amz-target: awsstepfunctions.sendtaskheartbeat\r\n"),
            "{request}"
        );
        assert!(request.contains("credential=asiaexample/"), "{request}");
        assert!(
            request.contains("/eu-west-1/states/aws4_request"),
            "{request}"
        );
        assert!(
            request.contains("x-amz-security-token: token\r\n"),
            "{request}"
        );
    }
}
