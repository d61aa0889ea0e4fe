//! The wire protocol end to end: awsJson requests over keep-alive HTTP/1.1
//! connections to an in-process stack (SendMessage, PutLogEvents), one client
//! and 16 concurrent clients.
//!
//! `cargo bench -p emulator --bench http`

use std::net::SocketAddr;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use emulator::clock::SystemClock;
use emulator::server::{self, Extensions, ServerConfig, StateLocation};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A minimal keep-alive client: one request at a time on one connection.
struct Client {
    stream: BufReader<TcpStream>,
    addr: SocketAddr,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        // As urllib3 (botocore) and the Rust SDK do.
        stream.set_nodelay(true).expect("nodelay");
        Self {
            stream: BufReader::new(stream),
            addr,
        }
    }

    async fn call(&mut self, target: &str, body: &str) -> u16 {
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        let stream = self.stream.get_mut();
        stream
            .write_all(format!("{head}{body}").as_bytes())
            .await
            .expect("write");
        let mut status = 0;
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            self.stream.read_line(&mut line).await.expect("read");
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some(code) = trimmed.strip_prefix("HTTP/1.1 ") {
                status = code.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            } else if let Some((k, v)) = trimmed.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await.expect("body");
        status
    }
}

fn http(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = std::env::temp_dir().join(format!("kyc-local-http-bench-{}", uuid::Uuid::new_v4()));
    let server = runtime.block_on(async {
        server::start(
            ServerConfig {
                port: 0,
                state: StateLocation::Directory(dir.clone()),
                ..ServerConfig::default()
            },
            Arc::new(SystemClock),
            None,
            |_| Extensions::default(),
        )
        .await
        .expect("server")
    });
    let addr = server.local_addr;
    let url = format!("{}/000000000000/bench", server.endpoint());
    runtime.block_on(async {
        let mut client = Client::connect(addr).await;
        assert_eq!(
            client
                .call("AmazonSQS.CreateQueue", r#"{"QueueName": "bench"}"#)
                .await,
            200
        );
        assert_eq!(
            client
                .call(
                    "Logs_20140328.CreateLogGroup",
                    r#"{"logGroupName": "/bench"}"#
                )
                .await,
            200
        );
        assert_eq!(
            client
                .call(
                    "Logs_20140328.CreateLogStream",
                    r#"{"logGroupName": "/bench", "logStreamName": "s"}"#
                )
                .await,
            200
        );
    });
    let send =
        json!({"QueueUrl": url, "MessageBody": "{\"detail-type\":\"New account approved\"}"})
            .to_string();
    let mut group = c.benchmark_group("http");
    group.throughput(Throughput::Elements(1));
    let mut client = runtime.block_on(Client::connect(addr));
    group.bench_function("send_message_1_client", |b| {
        b.iter(|| {
            runtime.block_on(async {
                assert_eq!(client.call("AmazonSQS.SendMessage", &send).await, 200)
            })
        });
    });
    group.bench_function("put_log_events_1_client", |b| {
        b.iter(|| {
            let put = json!({"logGroupName": "/bench", "logStreamName": "s", "logEvents": [
                {"timestamp": chrono::Utc::now().timestamp_millis(), "message": "one line"}
            ]})
            .to_string();
            runtime.block_on(async {
                assert_eq!(client.call("Logs_20140328.PutLogEvents", &put).await, 200)
            })
        });
    });
    group.finish();

    let mut group = c.benchmark_group("http_concurrent");
    group.throughput(Throughput::Elements(16 * 50));
    let clients: Vec<Client> = runtime.block_on(async {
        let mut v = Vec::new();
        for _ in 0..16 {
            v.push(Client::connect(addr).await);
        }
        v
    });
    let mut clients = Some(clients);
    group.bench_function("send_message_16_clients_x50", |b| {
        b.iter(|| {
            let taken = clients.take().expect("clients");
            let back = runtime.block_on(async {
                let mut tasks = Vec::new();
                for mut client in taken {
                    let send = send.clone();
                    tasks.push(tokio::spawn(async move {
                        for _ in 0..50 {
                            assert_eq!(client.call("AmazonSQS.SendMessage", &send).await, 200);
                        }
                        client
                    }));
                }
                let mut back = Vec::new();
                for task in tasks {
                    back.push(task.await.expect("joined"));
                }
                back
            });
            clients = Some(back);
        });
    });
    group.finish();
    drop(client);
    drop(clients);
    let _ = runtime.block_on(server.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, http);
criterion_main!(benches);
