//! The running stack: one listener, the services behind it, and their shared state.
//!
//! [`start`] binds the listener first (so `--port 0` knows its real port and
//! queue URLs carry it), opens the store, builds the services, applies the
//! template's resources and serves until [`RunningServer::shutdown`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clock::SharedClock;
use crate::protocol::{JsonService, ServiceRegistry};
use crate::services::logs::LogsService;
use crate::services::sqs::SqsService;
use crate::store::{Store, StoreError};
use crate::template::{StackModel, TemplateError, TemplateOptions};

/// Where state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    /// A SQLite file in this directory (`--state-dir`).
    Directory(PathBuf),
    /// Nothing survives the process (`--in-memory`).
    InMemory,
}

/// How to run the stack.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind (`--bind`).
    pub bind: IpAddr,
    /// Port (`--port`; 0 picks a free one).
    pub port: u16,
    /// State storage.
    pub state: StateLocation,
    /// Region in ARNs and URLs.
    pub region: String,
    /// Account in ARNs and URLs.
    pub account_id: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 4566,
            state: StateLocation::InMemory,
            region: crate::template::DEFAULT_REGION.to_owned(),
            account_id: crate::template::DEFAULT_ACCOUNT_ID.to_owned(),
        }
    }
}

/// Why the stack could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listener could not bind.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address tried.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// The state store could not open.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The template cannot be honoured.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A template resource could not be created.
    #[error("cannot create {resource}: {message}")]
    Resource {
        /// Logical id.
        resource: String,
        /// Cause.
        message: String,
    },
}

/// What every service shares: settings, clock, store, and the built-in services.
pub struct Stack {
    /// Region in ARNs.
    pub region: String,
    /// Account in ARNs.
    pub account_id: String,
    /// `http://<addr>:<port>`, what clients use as `--endpoint-url`.
    pub endpoint: String,
    /// The one clock.
    pub clock: SharedClock,
    /// The database.
    pub store: Store,
    /// CloudWatch Logs (also the writer for Lambda output and rule targets).
    pub logs: Arc<LogsService>,
    /// SQS (dead-letter queues, rule targets).
    pub sqs: Arc<SqsService>,
    /// The loaded template, when the stack was started with one.
    pub template: Option<Arc<StackModel>>,
}

/// A template to load once the endpoint (and so queue URLs) is known.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    /// `template.yaml`.
    pub path: PathBuf,
    /// Stack name, parameter overrides, ...; `endpoint` is filled in by [`start`].
    pub options: TemplateOptions,
}

/// Services and routes plugged in beside the built-in ones (Step Functions,
/// EventBridge, Lambda), built once the [`Stack`] exists.
#[derive(Default)]
pub struct Extensions {
    /// More JSON services (by their target prefix).
    pub services: Vec<Arc<dyn JsonService>>,
    /// REST routes (Lambda's `/2015-03-31/functions/...`, the Runtime API).
    pub rest: Option<Router>,
}

/// A stack serving requests.
pub struct RunningServer {
    /// The bound address (the real port when `--port 0`).
    pub local_addr: SocketAddr,
    /// Shared state, for in-process callers and tests.
    pub stack: Arc<Stack>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// `http://<addr>:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.stack.endpoint
    }

    /// Stops accepting, lets in-flight requests finish, and returns.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(join) => Err(std::io::Error::other(join)),
        }
    }

    /// Serves until the process gets SIGINT or SIGTERM, then shuts down.
    pub async fn run_until_signal(self) -> std::io::Result<()> {
        wait_for_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Whether `addr` only accepts connections from this machine.
pub fn is_loopback(addr: IpAddr) -> bool {
    addr.is_loopback()
}

/// Binds, opens the store, creates the template's resources and serves.
pub async fn start(
    config: ServerConfig,
    clock: SharedClock,
    template: Option<TemplateSource>,
    extend: impl FnOnce(&Arc<Stack>) -> Extensions,
) -> Result<RunningServer, ServerError> {
    let addr = SocketAddr::new(config.bind, config.port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })?;
    let store = match &config.state {
        StateLocation::Directory(dir) => {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || Store::open(&dir))
                .await
                .map_err(|e| StoreError::Io {
                    path: PathBuf::new(),
                    source: std::io::Error::other(e),
                })??
        }
        StateLocation::InMemory => Store::open_in_memory()?,
    };
    let host = match local_addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        // 0.0.0.0 is not an address a client can use; loopback always works locally.
        IpAddr::V4(ip) if ip.is_unspecified() => Ipv4Addr::LOCALHOST.to_string(),
        IpAddr::V4(ip) => ip.to_string(),
    };
    let endpoint = format!("http://{host}:{}", local_addr.port());
    let model = match template {
        Some(source) => {
            let options = TemplateOptions {
                endpoint: endpoint.clone(),
                region: config.region.clone(),
                account_id: config.account_id.clone(),
                ..source.options
            };
            let path = source.path;
            let model = tokio::task::spawn_blocking(move || crate::template::load(&path, &options))
                .await
                .map_err(|e| ServerError::Resource {
                    resource: "template".into(),
                    message: e.to_string(),
                })??;
            Some(Arc::new(model))
        }
        None => None,
    };
    let logs = LogsService::new(
        store.clone(),
        Arc::clone(&clock),
        &config.region,
        &config.account_id,
    );
    let sqs = SqsService::new(
        store.clone(),
        Arc::clone(&clock),
        &endpoint,
        &config.region,
        &config.account_id,
    );
    let stack = Arc::new(Stack {
        region: config.region.clone(),
        account_id: config.account_id.clone(),
        endpoint,
        clock,
        store,
        logs: Arc::clone(&logs),
        sqs: Arc::clone(&sqs),
        template: model.clone(),
    });
    if let Some(model) = &model {
        create_template_resources(&stack, model).await?;
    }
    let extensions = extend(&stack);
    let mut registry = ServiceRegistry::new();
    registry.register(logs);
    registry.register(sqs);
    for service in extensions.services {
        registry.register(service);
    }
    let app = crate::protocol::router(registry, extensions.rest);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningServer {
        local_addr,
        stack,
        shutdown: Some(tx),
        task,
    })
}

/// Creates what the template declares that the built-in services own: log
/// groups (with retention) and queues. Re-running against an existing state
/// directory keeps what is there.
pub async fn create_template_resources(
    stack: &Arc<Stack>,
    model: &StackModel,
) -> Result<(), ServerError> {
    for group in &model.log_groups {
        stack
            .logs
            .ensure_log_group(&group.name, group.retention_in_days)
            .await
            .map_err(|e| ServerError::Resource {
                resource: group.logical_id.clone(),
                message: e.to_string(),
            })?;
    }
    for queue in &model.queues {
        stack
            .sqs
            .ensure_queue(&queue.name, queue.attributes.clone())
            .await
            .map_err(|e| ServerError::Resource {
                resource: queue.logical_id.clone(),
                message: e.to_string(),
            })?;
    }
    Ok(())
}
