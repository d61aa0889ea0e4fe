//! Who may call the stack. the stack has no authentication (a local AWS), so it serves only callers
//! on this machine, and only the web pages the user allows:
//!
//! - **Host**: a loopback name (`localhost`, `*.localhost`, `127.0.0.0/8`, `::1`), the address the
//!   stack is bound to, or a name given with `--allowed-host`, each also with the `sync-` prefix
//!   the SDKs put in front of the host for TestState and StartSyncExecution. Anything else is refused: a web page
//!   that rebinds its own DNS name to 127.0.0.1 still sends its own name as Host, so it cannot read
//!   execution histories or complete reviews through the victim's browser.
//! - **Origin**: a request from a web page carries `Origin`; it is served only when that origin was
//!   given with `--cors-origin` (the AWS SDK for JavaScript in a page of that origin then works),
//!   and CORS preflights are answered for those origins only. Requests without `Origin` (the AWS
//!   CLI, the SDKs, curl) are not affected.
//! - **The control API** (`/_local/...`) takes `application/json` only, so a cross-site form or a
//!   `text/plain` "simple request" cannot reach it even without an Origin check.
//!
//! Refusals are `403` with an AWS-shaped body (`AccessDeniedException`), or `415` for the control
//! API's media type.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What the stack serves (`serve --allowed-host`, `--cors-origin`, `--bind`).
#[derive(Debug, Clone)]
pub struct CallerPolicy {
    /// The address the listener is bound to.
    pub bind: IpAddr,
    /// More Host names to serve (lower case, without port).
    pub allowed_hosts: Vec<String>,
    /// Origins whose pages may call the stack (`http://localhost:3000`), compared case-insensitively.
    pub cors_origins: Vec<String>,
}

impl CallerPolicy {
    /// Whether `host` (a Host header value, with or without port) may be served.
    pub fn host_allowed(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        // The SDKs send TestState and StartSyncExecution to `sync-<endpoint host>` (the
        // operations' `hostPrefix`): a name the user made resolve (`sync-localhost` in
        // /etc/hosts) is served like the name it prefixes.
        let name = match name.strip_prefix("sync-") {
            Some(rest) if !rest.is_empty() => rest.to_owned(),
            _ => name,
        };
        if name == "localhost" || name.ends_with(".localhost") {
            return true;
        }
        if let Ok(ip) = name.parse::<IpAddr>()
            && (ip.is_loopback() || ip == self.bind)
        {
            return true;
        }
        self.allowed_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&name))
    }

    /// Whether a page of `origin` may call the stack.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.cors_origins.iter().any(|o| {
            o.trim_end_matches('/')
                .eq_ignore_ascii_case(origin.trim_end_matches('/'))
        })
    }
}

/// The host part of a Host header: `[::1]:4566` → `::1`, `localhost:4566` → `localhost`.
fn host_name(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        // One colon: name:port. More: a bare IPv6 address without brackets.
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

fn refuse(status: StatusCode, code: &str, message: String) -> Response {
    let body = serde_json::json!({"__type": code, "message": message}).to_string();
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Headers a page's script may read from a response (request ids, Lambda's function error).
const EXPOSED: &str = "x-amzn-requestid, x-amzn-errortype, x-amz-request-id, x-amz-function-error, x-amz-log-result, x-amz-executed-version, x-amzn-query-error, etag";

fn cors_headers(headers: &mut HeaderMap, origin: &HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED),
    );
}

/// The middleware: every route of the stack goes through it.
pub async fn guard(
    State(policy): State<Arc<CallerPolicy>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    match host {
        Some(h) if policy.host_allowed(h) => {}
        Some(h) => {
            return refuse(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                format!(
                    "the stack serves loopback names and the address it is bound to; the Host '{h}' is not one (serve --allowed-host NAME allows it)"
                ),
            );
        }
        None => {
            return refuse(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                "the request has no Host".to_owned(),
            );
        }
    }
    let origin = headers.get(header::ORIGIN).cloned();
    if let Some(o) = &origin {
        let text = o.to_str().unwrap_or("");
        if !policy.origin_allowed(text) {
            return refuse(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                format!(
                    "requests from the web origin '{text}' are not served (serve --cors-origin {text} allows it)"
                ),
            );
        }
        if request.method() == Method::OPTIONS
            && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let h = response.headers_mut();
            cors_headers(h, o);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
            );
            if let Some(requested) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
                h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
            }
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("300"),
            );
            return response;
        }
    }
    if request.uri().path().starts_with("/_local/")
        && matches!(*request.method(), Method::POST | Method::PUT)
    {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|c| c.to_str().ok())
            .and_then(|c| c.split(';').next())
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                "the control API takes Content-Type: application/json only".to_owned(),
            );
        }
    }
    let mut response = next.run(request).await;
    if let Some(o) = &origin {
        cors_headers(response.headers_mut(), o);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> CallerPolicy {
        CallerPolicy {
            bind: "127.0.0.1".parse().unwrap_or(IpAddr::from([127, 0, 0, 1])),
            allowed_hosts: vec!["app.test".into()],
            cors_origins: vec!["http://localhost:3000".into()],
        }
    }

    #[test]
    fn hosts() {
        let p = policy();
        for ok in [
            "localhost",
            "localhost:4566",
            "LOCALHOST:4566",
            "app.localhost:80",
            "127.0.0.1:4566",
            "127.8.9.10",
            "[::1]:4566",
            "::1",
            "app.test:4566",
            "APP.test",
            "sync-localhost:4566",
            "sync-127.0.0.1:4566",
            "sync-app.test",
        ] {
            assert!(p.host_allowed(ok), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:4566",
            "localhost.evil.example",
            "10.0.0.1:4566",
            "[2001:db8::1]:4566",
            "app.test.evil",
            "sync-evil.example",
            "sync-",
            "",
        ] {
            assert!(!p.host_allowed(refused), "{refused}");
        }
        let bound = CallerPolicy {
            bind: IpAddr::from([192, 168, 1, 20]),
            ..policy()
        };
        assert!(bound.host_allowed("192.168.1.20:4566"));
        assert!(!bound.host_allowed("192.168.1.21:4566"));
    }

    #[test]
    fn origins() {
        let p = policy();
        assert!(p.origin_allowed("http://localhost:3000"));
        assert!(p.origin_allowed("HTTP://LOCALHOST:3000/"));
        assert!(!p.origin_allowed("http://localhost:3001"));
        assert!(!p.origin_allowed("null"));
        assert!(!p.origin_allowed("https://evil.example"));
    }
}
