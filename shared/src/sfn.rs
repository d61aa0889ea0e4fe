//! The Step Functions client of the functions that call Step Functions (the
//! callback completer, the application intake): its configuration from the
//! environment Lambda gives every function (kyc-local gives its functions the
//! same variables), the HTTPS client, and the classification of a failed call.
//! Behind the `sfn` feature, so the functions that never call AWS link none of it.
//!
//! The configuration is `aws-config`'s (`aws_config::defaults`), built without
//! its default features (no SSO, no `credential_process`, no default HTTPS
//! client: [`https_client`] is passed in): region from `AWS_REGION`, the
//! execution role's credentials from `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` (the first provider of its
//! default chain; Lambda developer guide, "Defined runtime environment
//! variables"), the endpoint as every SDK reads it (AWS SDKs and Tools
//! reference guide, "Service-specific endpoints"): `AWS_ENDPOINT_URL_SFN`,
//! else `AWS_ENDPOINT_URL`, both ignored when
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`; unset means the regional
//! AWS endpoint. [`sfn_config`] resolves the region and the credentials once,
//! at init, so a function without them stops there with a message that says so.

use aws_config::default_provider::ignore_configured_endpoint_urls::ignore_configured_endpoint_urls_provider;
use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sfn::config::http::HttpResponse;
use aws_sdk_sfn::config::{HttpClient, ProvideCredentials};
use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_types::service_config::ServiceConfigKey;

/// The client configuration from the environment (`aws-config`, latest
/// behavior version: standard retries, timeouts, identity cache), with
/// [`https_client`]. Fails when no region or no credentials can be found.
pub async fn sfn_config() -> Result<aws_sdk_sfn::Config, ConfigError> {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await;
    if sdk.region().is_none() {
        return Err(ConfigError::NoRegion);
    }
    let credentials = sdk
        .credentials_provider()
        .ok_or_else(|| ConfigError::NoCredentials("no credentials provider".into()))?;
    credentials.provide_credentials().await.map_err(|e| {
        ConfigError::NoCredentials(aws_sdk_sfn::error::DisplayErrorContext(e).to_string())
    })?;
    let mut config = aws_sdk_sfn::config::Builder::from(&sdk);
    config.set_endpoint_url(endpoint_url(&sdk).await);
    Ok(config.build())
}

/// The endpoint aws-config's `SdkConfig` gives the client (`AWS_ENDPOINT_URL_SFN`, else
/// `AWS_ENDPOINT_URL`, from the environment or the profile), with two corrections to
/// aws-config 1.8.13, its last release for the workspace's rust-version (1.89):
/// - `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (read by aws-config) ignores the service's
///   variable too, as the SDKs and Tools reference guide says (awslabs/aws-sdk-rust#1194,
///   fixed by smithy-lang/smithy-rs#4730 in releases that need Rust 1.94);
/// - an empty value counts as unset (aws-config passes it on and the endpoint resolver
///   panics on an empty URL: with `panic = "abort"`, every invocation).
async fn endpoint_url(sdk: &SdkConfig) -> Option<String> {
    if ignore_configured_endpoint_urls_provider(&ProviderConfig::default()).await == Some(true) {
        return None;
    }
    let set = |url: Option<String>| url.filter(|u| !u.trim().is_empty());
    let service = ServiceConfigKey::builder()
        .service_id("SFN")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok();
    set(service.and_then(|key| sdk.service_config()?.load_config(key)))
        .or_else(|| set(sdk.endpoint_url().map(str::to_owned)))
}

/// The environment does not configure the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("no AWS region: the environment variable AWS_REGION is not set")]
    NoRegion,
    #[error("no AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): {0}")]
    NoCredentials(String),
}

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

#[cfg(test)]
mod tests {
    //! `aws-config` reads the process environment (its injectable one is
    //! test-only inside the crate) and the workspace forbids `unsafe`, so
    //! `std::env::set_var` is out: each case runs its test again in a child
    //! process whose environment is exactly Lambda's variables plus the case's.

    use super::*;
    use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextRef;
    use aws_sdk_sfn::config::{ConfigBag, Intercept, RuntimeComponents};
    use aws_sdk_sfn::error::BoxError;
    use pretty_assertions::assert_eq;
    use std::io::{Read, Write};

    /// Set in the child's environment; its lines of output start with it.
    const CHILD: &str = "KYC_SHARED_SFN_TEST_CHILD";
    /// In the child: stop the request before it is sent (an AWS endpoint).
    const STOP: &str = "KYC_SHARED_SFN_TEST_STOP";

    /// What Lambda (and kyc-local) give a function.
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

    /// Prints where a request was going and with which credential scope,
    /// then stops it.
    #[derive(Debug)]
    struct PrintAndStop;

    impl Intercept for PrintAndStop {
        fn name(&self) -> &'static str {
            "PrintAndStop"
        }

        fn read_before_transmit(
            &self,
            context: &BeforeTransmitInterceptorContextRef<'_>,
            _: &RuntimeComponents,
            _: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            let request = context.request();
            let authorization = request.headers().get("authorization").unwrap_or("-");
            let scope = authorization
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split(',').next())
                .unwrap_or("-");
            println!("{CHILD} uri={} credential={scope}", request.uri());
            Err("stopped before transmit".into())
        }
    }

    /// The child's part: the configuration from its environment, then one
    /// SendTaskHeartbeat through it.
    async fn child() {
        let config = match sfn_config().await {
            Ok(config) => config,
            Err(e) => return println!("{CHILD} error={e}"),
        };
        let mut builder = config.to_builder();
        if std::env::var_os(STOP).is_some() {
            builder = builder.interceptor(PrintAndStop);
        }
        let client = aws_sdk_sfn::Client::from_conf(builder.build());
        let sent = client.send_task_heartbeat().task_token("t").send().await;
        println!("{CHILD} sent={}", sent.is_ok());
    }

    /// Runs the test `name` in a child process with exactly `vars` as its
    /// environment; the child's lines of output.
    fn in_child(name: &str, vars: &[(&str, &str)]) -> Vec<String> {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env_clear()
            .env(CHILD, "1")
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let lines: Vec<String> = stdout
            .lines()
            // libtest writes `test <name> ... ` before the test's own output.
            .filter_map(|l| l.split_once(CHILD))
            .map(|(_, l)| l.trim().to_owned())
            .collect();
        assert!(
            !lines.is_empty(),
            "the child wrote nothing: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        lines
    }

    fn is_child() -> bool {
        std::env::var_os(CHILD).is_some()
    }

    #[tokio::test]
    async fn endpoint_precedence() {
        if is_child() {
            return child().await;
        }
        let name = "sfn::tests::endpoint_precedence";
        let sent_to = |extra: &[(&'static str, &'static str)]| {
            let vars = with(&[extra, &[(STOP, "1")]].concat());
            in_child(name, &vars)[0].clone()
        };
        let credential = "credential=ASIAEXAMPLE/";
        let regional = sent_to(&[]);
        assert!(
            regional
                .starts_with("uri=https://states.eu-west-1.amazonaws.com/ credential=ASIAEXAMPLE/"),
            "{regional}"
        );
        assert!(
            regional.ends_with("/eu-west-1/states/aws4_request"),
            "{regional}"
        );
        let general = sent_to(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")]);
        assert!(
            general.starts_with("uri=http://127.0.0.1:4566/ "),
            "{general}"
        );
        assert!(general.contains(credential), "{general}");
        let specific = sent_to(&[
            ("AWS_ENDPOINT_URL", "http://a.test"),
            ("AWS_ENDPOINT_URL_SFN", "http://b.test"),
        ]);
        assert!(specific.starts_with("uri=http://b.test/ "), "{specific}");
        let ignored = sent_to(&[
            ("AWS_ENDPOINT_URL", "http://a.test"),
            ("AWS_ENDPOINT_URL_SFN", "http://b.test"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        assert!(
            ignored.starts_with("uri=https://states.eu-west-1.amazonaws.com/ "),
            "{ignored}"
        );
        let not_ignored = sent_to(&[
            ("AWS_ENDPOINT_URL", "http://a.test"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"),
        ]);
        assert!(
            not_ignored.starts_with("uri=http://a.test/ "),
            "{not_ignored}"
        );
        // Empty values count as unset.
        let empty = sent_to(&[("AWS_ENDPOINT_URL", ""), ("AWS_ENDPOINT_URL_SFN", " ")]);
        assert!(
            empty.starts_with("uri=https://states.eu-west-1.amazonaws.com/ "),
            "{empty}"
        );
        let empty_specific = sent_to(&[
            ("AWS_ENDPOINT_URL", "http://a.test"),
            ("AWS_ENDPOINT_URL_SFN", ""),
        ]);
        assert!(
            empty_specific.starts_with("uri=http://a.test/ "),
            "{empty_specific}"
        );
    }

    #[tokio::test]
    async fn region_falls_back_to_the_default_region() {
        if is_child() {
            return child().await;
        }
        let vars: Vec<_> = with(&[(STOP, "1")])
            .into_iter()
            .filter(|(k, _)| *k != "AWS_REGION")
            .collect();
        let line = &in_child("sfn::tests::region_falls_back_to_the_default_region", &vars)[0];
        assert!(
            line.starts_with("uri=https://states.eu-west-1.amazonaws.com/ "),
            "{line}"
        );
    }

    /// Without a region or credentials the function stops at init; the
    /// message says what is missing (IMDS, the last provider of both chains,
    /// is switched off here: there is none outside EC2).
    #[tokio::test]
    async fn missing_region_or_credentials_stop_at_init() {
        if is_child() {
            return child().await;
        }
        let name = "sfn::tests::missing_region_or_credentials_stop_at_init";
        let without = |names: &[&str]| {
            let vars: Vec<_> = with(&[("AWS_EC2_METADATA_DISABLED", "true")])
                .into_iter()
                .filter(|(k, _)| !names.contains(k))
                .collect();
            in_child(name, &vars)[0].clone()
        };
        assert_eq!(
            without(&["AWS_REGION", "AWS_DEFAULT_REGION"]),
            "error=no AWS region: the environment variable AWS_REGION is not set"
        );
        let no_key = without(&["AWS_ACCESS_KEY_ID"]);
        assert!(
            no_key.starts_with(
                "error=no AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): "
            ),
            "{no_key}"
        );
        assert!(!no_key.contains("secret/key"), "{no_key}");
    }

    /// A real request through the configured client and [`https_client`]:
    /// it goes to the configured endpoint, signed with the environment's
    /// credentials and session token.
    #[tokio::test]
    async fn client_sends_signed_requests_to_the_endpoint() {
        if is_child() {
            return child().await;
        }
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
        let url: &'static str = Box::leak(url.into_boxed_str());
        let lines = in_child(
            "sfn::tests::client_sends_signed_requests_to_the_endpoint",
            &with(&[("AWS_ENDPOINT_URL_SFN", url)]),
        );
        assert_eq!(lines, ["sent=true"]);
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
