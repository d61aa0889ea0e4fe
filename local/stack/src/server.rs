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
use crate::services::context::Context;
use crate::services::logs::LogsService;
use crate::services::sqs::SqsService;
use crate::store::eventbridge::{self, EventBusRecord, RuleRecord, TargetRecord};
use crate::store::stepfunctions::{self, StateMachineRecord};
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
    /// The permission plane's mode (`--iam`).
    pub iam: crate::permissions::IamMode,
    /// Host names served besides loopback names and the bound address (`--allowed-host`).
    pub allowed_hosts: Vec<String>,
    /// Web origins whose pages may call the stack (`--cors-origin`).
    pub cors_origins: Vec<String>,
    /// Most connections open at once (`--max-connections`); more are answered 503.
    pub max_connections: usize,
    /// Most requests served at once (`--max-in-flight`); more are answered 503.
    pub max_in_flight: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 4566,
            state: StateLocation::InMemory,
            region: crate::template::DEFAULT_REGION.to_owned(),
            account_id: crate::template::DEFAULT_ACCOUNT_ID.to_owned(),
            iam: crate::permissions::IamMode::default(),
            allowed_hosts: Vec::new(),
            cors_origins: Vec::new(),
            max_connections: crate::protocol::admission::DEFAULT_MAX_CONNECTIONS,
            max_in_flight: crate::protocol::admission::DEFAULT_MAX_IN_FLIGHT,
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

/// A template to load once the endpoint (and so queue URLs) is known.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    /// `template.yaml`.
    pub path: PathBuf,
    /// Stack name, parameter overrides, ...; `endpoint` is filled in by [`start`].
    pub options: TemplateOptions,
}

/// Services and routes plugged in beside the built-in ones (Step Functions,
/// EventBridge, Lambda), built once the shared [`Context`] exists.
#[derive(Default)]
pub struct Extensions {
    /// More JSON services (by their target prefix).
    pub services: Vec<Arc<dyn JsonService>>,
    /// REST routes (Lambda's `/2015-03-31/functions/...`, the control API).
    pub rest: Option<Router>,
    /// The REST services' fronts, by the path their routes start with (the layers find a
    /// request's body limit, operation and error encoding there).
    pub rest_fronts: Vec<(&'static str, Arc<dyn crate::protocol::middleware::Front>)>,
}

/// A stack serving requests.
pub struct RunningServer {
    /// The bound address (the real port when `--port 0`).
    pub local_addr: SocketAddr,
    /// Shared state, for in-process callers and tests.
    pub stack: Arc<Context>,
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
        self.stack.begin_shutdown();
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
    extend: impl FnOnce(&Arc<Context>) -> Extensions,
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
    let stack = Arc::new(Context {
        region: config.region.clone(),
        account_id: config.account_id.clone(),
        endpoint,
        clock,
        store,
        logs: Arc::clone(&logs),
        sqs: Arc::clone(&sqs),
        permissions: Arc::new(crate::permissions::PermissionPlane::new(
            config.iam,
            model.as_deref(),
        )),
        template: model.clone(),
        engines: Arc::new(crate::engines::EnginePool::for_this_machine()),
        shutting_down: tokio::sync::watch::channel(false).0,
    });
    // The services that keep resource policies tell the permission plane of them.
    stack
        .logs
        .set_permissions(Arc::clone(&stack.permissions))
        .await
        .map_err(|e| ServerError::Resource {
            resource: "CloudWatch Logs resource policies".into(),
            message: e.to_string(),
        })?;
    stack
        .sqs
        .set_permissions(Arc::clone(&stack.permissions))
        .await
        .map_err(|e| ServerError::Resource {
            resource: "SQS queue policies".into(),
            message: e.to_string(),
        })?;
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
    let mut fronts = crate::protocol::middleware::Fronts::new();
    fronts.set_permissions(Arc::clone(&stack.permissions));
    for service in registry.services() {
        fronts.json(Arc::clone(service));
    }
    for (path_prefix, front) in extensions.rest_fronts {
        fronts.rest(path_prefix, front);
    }
    // Every route behind one stack of layers: admission, request id, callers (Host, Origin, the
    // control API's media type), the operation boundary (body limit, permissions).
    let callers = Arc::new(crate::protocol::callers::CallerPolicy {
        bind: config.bind,
        allowed_hosts: config
            .allowed_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        cors_origins: config.cors_origins.clone(),
    });
    let app = crate::protocol::middleware::apply(
        crate::protocol::router(registry, extensions.rest),
        crate::protocol::middleware::Layers {
            max_in_flight: config.max_in_flight,
            callers,
            fronts,
        },
    );
    let (tx, rx) = oneshot::channel::<()>();
    // Request/response traffic: the listener sets TCP_NODELAY on every connection.
    let listener =
        crate::protocol::admission::LimitedListener::new(listener, config.max_connections);
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

/// Creates what the template declares: log groups (with retention) and queues
/// through their services; the default and custom event buses, rules, targets
/// and state machines as store records (origin `template`) for the EventBridge
/// and Step Functions services. Re-running against an existing state directory
/// keeps what is there (messages, log events, executions, API-created rules)
/// and brings template records to what the template says now.
pub async fn create_template_resources(
    stack: &Arc<Context>,
    model: &StackModel,
) -> Result<(), ServerError> {
    let records = template_records(stack, model);
    let now = stack.clock.now_millis();
    stack
        .store
        .write(move |tx| seed_template_records(tx, &records, now))
        .await?;
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
    // AWS::Logs::ResourcePolicy is PutResourcePolicy under its PolicyName.
    for p in model
        .policy_resources
        .iter()
        .filter(|p| p.resource_type == "AWS::Logs::ResourcePolicy")
    {
        let name = p
            .properties
            .get("PolicyName")
            .and_then(serde_json::Value::as_str)
            .unwrap_or(&p.logical_id)
            .to_owned();
        let Some(text) = p.properties.get("PolicyDocument").map(policy_text) else {
            continue;
        };
        stack
            .logs
            .ensure_resource_policy(&name, &text)
            .await
            .map_err(|e| ServerError::Resource {
                resource: p.logical_id.clone(),
                message: e.to_string(),
            })?;
    }
    // AWS::SQS::QueuePolicy sets the Policy attribute of its queues, as CloudFormation does.
    for p in model
        .policy_resources
        .iter()
        .filter(|p| p.resource_type == "AWS::SQS::QueuePolicy")
    {
        let Some(text) = p.properties.get("PolicyDocument").map(policy_text) else {
            continue;
        };
        let urls = p
            .properties
            .get("Queues")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        for url in urls.iter().filter_map(serde_json::Value::as_str) {
            let Some(queue) = model.queues.iter().find(|q| q.url == url || q.name == url) else {
                continue;
            };
            stack
                .sqs
                .ensure_queue(
                    &queue.name,
                    std::collections::BTreeMap::from([("Policy".to_owned(), text.clone())]),
                )
                .await
                .map_err(|e| ServerError::Resource {
                    resource: p.logical_id.clone(),
                    message: e.to_string(),
                })?;
        }
    }
    Ok(())
}

/// A template's policy document as the service API takes it: a JSON string as written (`!Sub`
/// text), an object as its JSON text.
fn policy_text(document: &serde_json::Value) -> String {
    match document {
        serde_json::Value::String(t) => t.clone(),
        other => other.to_string(),
    }
}

/// Store records derived from the template.
struct TemplateRecords {
    buses: Vec<EventBusRecord>,
    rules: Vec<(RuleRecord, Vec<TargetRecord>)>,
    state_machines: Vec<StateMachineRecord>,
}

fn template_records(stack: &Context, model: &StackModel) -> TemplateRecords {
    let mut buses = vec![EventBusRecord {
        name: "default".into(),
        arn: format!(
            "arn:aws:events:{}:{}:event-bus/default",
            stack.region, stack.account_id
        ),
        description: None,
        policy: None,
        created_ms: 0,
        origin: "builtin".into(),
    }];
    buses.extend(model.event_buses.iter().map(|b| EventBusRecord {
        name: b.name.clone(),
        arn: b.arn.clone(),
        description: b.description.clone(),
        policy: None,
        created_ms: 0,
        origin: "template".into(),
    }));
    // AWS::Events::EventBusPolicy: a whole `Policy`, or `Statement`s gathered into one document.
    for bus in &mut buses {
        let mut statements = Vec::new();
        for p in model.policy_resources.iter().filter(|p| {
            p.resource_type == "AWS::Events::EventBusPolicy"
                && p.properties
                    .get("EventBusName")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("default")
                    == bus.name
        }) {
            if let Some(policy) = p.properties.get("Policy") {
                bus.policy = Some(policy_text(policy));
            } else if let Some(statement) = p.properties.get("Statement") {
                statements.push(statement.clone());
            }
        }
        if !statements.is_empty() {
            bus.policy = Some(
                serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string(),
            );
        }
    }
    let rules = model
        .rules
        .iter()
        .map(|r| {
            let rule = RuleRecord {
                bus_name: r.event_bus_name.clone(),
                name: r.name.clone(),
                arn: r.arn.clone(),
                event_pattern: r.event_pattern.as_ref().map(ToString::to_string),
                schedule_expression: r.schedule_expression.clone(),
                state: r.state.clone(),
                description: r.description.clone(),
                role_arn: None,
                managed_by: None,
                created_ms: 0,
                origin: "template".into(),
            };
            let targets = r
                .targets
                .iter()
                .map(|t| TargetRecord {
                    bus_name: r.event_bus_name.clone(),
                    rule_name: r.name.clone(),
                    id: t.id.clone(),
                    arn: t.arn.clone(),
                    role_arn: t.role_arn.clone(),
                    input: t.input.clone(),
                    input_path: t.input_path.clone(),
                    input_transformer: t.input_transformer.as_ref().map(|x| {
                        serde_json::json!({"InputPathsMap": x.input_paths_map, "InputTemplate": x.input_template})
                            .to_string()
                    }),
                    retry_policy: t.retry_policy.as_ref().map(|p| {
                        let mut policy = serde_json::Map::new();
                        if let Some(n) = p.maximum_retry_attempts {
                            policy.insert("MaximumRetryAttempts".into(), n.into());
                        }
                        if let Some(n) = p.maximum_event_age_in_seconds {
                            policy.insert("MaximumEventAgeInSeconds".into(), n.into());
                        }
                        serde_json::Value::Object(policy).to_string()
                    }),
                    dead_letter_config: t
                        .dead_letter_arn
                        .as_ref()
                        .map(|arn| serde_json::json!({ "Arn": arn }).to_string()),
                    extra: None,
                })
                .collect();
            (rule, targets)
        })
        .collect();
    let state_machines = model
        .state_machines
        .iter()
        .map(|sm| StateMachineRecord {
            arn: sm.arn.clone(),
            name: sm.name.clone(),
            kind: sm.state_machine_type.clone(),
            definition: sm.definition.to_string(),
            role_arn: sm.role_arn.clone(),
            description: None,
            // DescribeStateMachine's loggingConfiguration shape.
            logging_configuration: sm.logging.as_ref().map(|l| {
                let destinations: Vec<serde_json::Value> = l
                    .log_groups
                    .iter()
                    .map(|g| {
                        serde_json::json!({"cloudWatchLogsLogGroup": {"logGroupArn": format!(
                            "arn:aws:logs:{}:{}:log-group:{g}:*",
                            stack.region, stack.account_id
                        )}})
                    })
                    .collect();
                serde_json::json!({
                    "level": l.level,
                    "includeExecutionData": l.include_execution_data,
                    "destinations": destinations
                })
                .to_string()
            }),
            tracing_configuration: None,
            status: "ACTIVE".into(),
            revision_id: None,
            created_ms: 0,
            updated_ms: None,
            origin: "template".into(),
        })
        .collect();
    TemplateRecords {
        buses,
        rules,
        state_machines,
    }
}

fn seed_template_records(
    tx: &rusqlite::Connection,
    records: &TemplateRecords,
    now: i64,
) -> Result<(), StoreError> {
    // Template records the template no longer declares go away; API-created ones stay.
    let keep_rules: Vec<(String, String)> = records
        .rules
        .iter()
        .map(|(r, _)| (r.bus_name.clone(), r.name.clone()))
        .collect();
    let old_rules = eventbridge::template_rules(tx)?;
    for (bus, name) in old_rules {
        if !keep_rules.contains(&(bus.clone(), name.clone())) {
            eventbridge::delete_rule(tx, &bus, &name)?;
        }
    }
    for bus in &records.buses {
        eventbridge::upsert_event_bus(
            tx,
            &EventBusRecord {
                created_ms: now,
                ..bus.clone()
            },
        )?;
    }
    for (rule, targets) in &records.rules {
        eventbridge::upsert_rule(
            tx,
            &RuleRecord {
                created_ms: now,
                ..rule.clone()
            },
        )?;
        eventbridge::clear_targets(tx, &rule.bus_name, &rule.name)?;
        for target in targets {
            eventbridge::put_target(tx, target)?;
        }
    }
    for sm in &records.state_machines {
        let existing = stepfunctions::get_state_machine(tx, &sm.arn)?;
        let changed = existing
            .as_ref()
            .is_some_and(|e| e.definition != sm.definition);
        stepfunctions::upsert_state_machine(
            tx,
            &StateMachineRecord {
                created_ms: now,
                updated_ms: changed.then_some(now),
                ..sm.clone()
            },
        )?;
    }
    Ok(())
}
