//! Admission: bounded connections and bounded requests in flight.
//!
//! Without a bound, a burst of clients makes the stack hold one task, one
//! buffer and one socket per client, growing without end. Two limits answer
//! a full stack with an AWS-shaped throttle instead, which every AWS SDK
//! retries with back-off:
//!
//! - **connections** ([`LimitedListener`]): at most `max_connections` open at
//!   once. A connection over the limit is accepted, answered
//!   `503 Service Unavailable` with a `ThrottlingException` body and closed
//!   (within one second; at most [`MAX_REFUSALS`] such answers at once, past
//!   which the connection is closed unanswered);
//! - **requests** ([`in_flight`]): at most `max_in_flight` requests being
//!   served at once; one more is answered `503` with `ThrottlingException`
//!   (`x-amzn-ErrorType` header and `__type` body, as the JSON protocols
//!   spell errors), without reading its body.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Default bound on open connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 2048;
/// Default bound on requests served at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;
/// Connections over the limit answered at once; more are closed unanswered.
pub const MAX_REFUSALS: usize = 64;

/// The error message AWS gives with a throttle.
const RATE_EXCEEDED: &str = "Rate exceeded";

fn throttle_body() -> String {
    format!(r#"{{"__type":"ThrottlingException","message":"{RATE_EXCEEDED}"}}"#)
}

/// The answer to a request over the in-flight limit.
pub fn throttled() -> Response {
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, throttle_body()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    headers.insert(
        "x-amzn-errortype",
        HeaderValue::from_static("ThrottlingException"),
    );
    response
}

/// The requests-in-flight bound, as axum middleware state.
#[derive(Debug, Clone)]
pub struct InFlight {
    permits: Arc<Semaphore>,
}

impl InFlight {
    pub fn new(max: usize) -> InFlight {
        InFlight {
            permits: Arc::new(Semaphore::new(max.max(1))),
        }
    }
}

/// Serves the request if a slot is free, else answers the throttle.
pub async fn in_flight(State(limit): State<InFlight>, request: Request, next: Next) -> Response {
    match Arc::clone(&limit.permits).try_acquire_owned() {
        Ok(permit) => {
            let response = next.run(request).await;
            // Held until the body is produced: a streamed body holds no slot.
            drop(permit);
            response
        }
        Err(_) => {
            // Not read: the body is dropped with the request.
            drop::<Body>(request.into_body());
            throttled()
        }
    }
}

/// A TCP listener that keeps at most `max` connections open.
#[derive(Debug)]
pub struct LimitedListener {
    inner: TcpListener,
    open: Arc<Semaphore>,
    refusing: Arc<Semaphore>,
}

impl LimitedListener {
    pub fn new(inner: TcpListener, max: usize) -> LimitedListener {
        LimitedListener {
            inner,
            open: Arc::new(Semaphore::new(max.max(1))),
            refusing: Arc::new(Semaphore::new(MAX_REFUSALS)),
        }
    }

    fn refuse(&self, mut stream: TcpStream) {
        let Ok(permit) = Arc::clone(&self.refusing).try_acquire_owned() else {
            return; // dropped: closed unanswered
        };
        tokio::spawn(async move {
            let body = throttle_body();
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/x-amz-json-1.1\r\nx-amzn-errortype: ThrottlingException\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                stream.write_all(answer.as_bytes()).await?;
                stream.shutdown().await
            })
            .await;
            drop(permit);
        });
    }
}

/// An accepted connection and its slot (freed when the connection closes).
#[derive(Debug)]
pub struct LimitedStream {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
}

impl LimitedStream {
    pub fn tcp(&self) -> &TcpStream {
        &self.stream
    }
}

impl AsyncRead for LimitedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = LimitedStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(_) => {
                    // Out of descriptors or a connection reset before accept:
                    // wait a moment rather than spin (as axum's own listener does).
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            match Arc::clone(&self.open).try_acquire_owned() {
                Ok(slot) => {
                    return (
                        LimitedStream {
                            stream,
                            _slot: slot,
                        },
                        addr,
                    );
                }
                Err(_) => self.refuse(stream),
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}
