//! The template's functions on the Lambda service ([`crate::lambda`]): which
//! executable each one runs, its settings, and the sinks that connect Lambda
//! to the rest of the stack (CloudWatch Logs for its output, SQS for
//! dead-letter queues and destinations, the store for queued `Event`
//! invocations, so they survive a restart).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::lambda::{
    AsyncEventStore, AsyncInvocationRecord, AsyncInvokeConfig, DeadLetterSink, FunctionConfig,
    LambdaConfig, LambdaService, LogEvent, LogFormat, LogSink, QueuedEvent,
};
use crate::services::context::Context;
use crate::services::logs::{InputLogEvent, LogsService};
use crate::services::sqs::{MessageAttributeValue, SqsService};
use crate::store::Store;
use crate::store::lambda::{self as records, AsyncEventRecord};
use crate::template::FunctionModel;

/// Lambda output → CloudWatch Logs, written (as on AWS) with the function's execution role.
pub struct StackLogSink {
    logs: Arc<LogsService>,
    /// Log group → (function name, role ARN) of the template's functions; the permission plane
    /// decides whether the role may write there.
    writers: Option<(Arc<crate::permissions::PermissionPlane>, LogWriters)>,
}

/// Log group → (function name, role ARN).
type LogWriters = std::collections::BTreeMap<String, (String, String)>;

impl StackLogSink {
    /// A sink writing through `logs`, everything allowed.
    pub fn new(logs: Arc<LogsService>) -> Arc<Self> {
        Arc::new(Self {
            logs,
            writers: None,
        })
    }

    /// A sink that asks `plane` whether each function's role may write its lines (a role without
    /// logs:CreateLogStream / logs:PutLogEvents loses them, as on AWS).
    pub fn with_permissions(
        logs: Arc<LogsService>,
        plane: Arc<crate::permissions::PermissionPlane>,
        writers: LogWriters,
    ) -> Arc<Self> {
        Arc::new(Self {
            logs,
            writers: Some((plane, writers)),
        })
    }

    fn may_write(&self, log_group: &str, log_stream: &str) -> bool {
        let Some((plane, writers)) = &self.writers else {
            return true;
        };
        let Some((function, role)) = writers.get(log_group) else {
            return true;
        };
        let stream = format!(
            "arn:aws:logs:{}:{}:log-group:{log_group}:log-stream:{log_stream}",
            self.logs.region(),
            self.logs.account_id()
        );
        for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
            if let Err(denial) = plane.role_call(role, function, action, &stream) {
                tracing::warn!(function = %function, message = %denial.message, "the function's role may not write its log group; its lines are dropped");
                return false;
            }
        }
        true
    }
}

impl LogSink for StackLogSink {
    fn put_log_events(&self, log_group: &str, log_stream: &str, events: Vec<LogEvent>) {
        if !self.may_write(log_group, log_stream) {
            return;
        }
        let events = events
            .into_iter()
            .map(|e| InputLogEvent {
                timestamp: e.timestamp,
                message: e.message,
            })
            .collect();
        if let Err(e) = self.logs.append_blocking(log_group, log_stream, events) {
            tracing::warn!(log_group, error = %e, "function output not stored");
        }
    }
}

/// Failed (or, for on-success destinations, finished) asynchronous
/// invocations → their SQS dead-letter queue or destination.
pub struct StackDeadLetters {
    sqs: Arc<SqsService>,
    runtime: tokio::runtime::Handle,
    /// Lambda writes a function's dead letters with the function's execution role.
    permissions: Arc<crate::permissions::PermissionPlane>,
    /// Function name → its role ARN (the template's functions).
    roles: std::collections::BTreeMap<String, String>,
}

impl StackDeadLetters {
    /// Sends through `sqs` on `runtime`, each function's messages as its role (checked by
    /// `permissions`).
    pub fn new(
        sqs: Arc<SqsService>,
        runtime: tokio::runtime::Handle,
        permissions: Arc<crate::permissions::PermissionPlane>,
        roles: std::collections::BTreeMap<String, String>,
    ) -> Arc<Self> {
        Arc::new(Self {
            sqs,
            runtime,
            permissions,
            roles,
        })
    }

    fn send(&self, function: &str, arn: &str, body: String, attributes: Vec<(String, String)>) {
        if let Some(role) = self.roles.get(function) {
            let action = crate::permissions::model::destination_action(arn);
            if let Err(denial) = self.permissions.role_call(role, function, action, arn) {
                // On AWS the record is lost and the function's DeadLetterErrors / DestinationDeliveryFailures metric counts it.
                tracing::warn!(function, destination = arn, message = %denial.message, "the function's role may not send there; the record is dropped");
                return;
            }
        }
        let Some(queue) = self.sqs.queue_name_from_arn(arn) else {
            // Lambda, EventBridge and SNS destinations need services this
            // sink does not reach; say so instead of dropping silently.
            tracing::warn!(
                destination = arn,
                "only SQS dead-letter queues and destinations are delivered locally"
            );
            return;
        };
        let attributes = attributes
            .into_iter()
            .map(|(name, value)| {
                (
                    name,
                    MessageAttributeValue {
                        data_type: "String".into(),
                        string_value: Some(value),
                        binary_value: None,
                    },
                )
            })
            .collect();
        let sqs = Arc::clone(&self.sqs);
        self.runtime.spawn(async move {
            if let Err(e) = sqs.send_message_to(&queue, body, attributes).await {
                tracing::error!(queue, error = %e, "dead letter not delivered");
            }
        });
    }
}

impl DeadLetterSink for StackDeadLetters {
    fn on_failure(&self, record: AsyncInvocationRecord) {
        if let Some(arn) = &record.dead_letter_target_arn {
            // DLQ messages carry the event as body and RequestID / ErrorCode /
            // ErrorMessage attributes (only non-empty values are valid SQS attributes).
            let attributes = record
                .dead_letter_attributes()
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .collect();
            self.send(
                &record.function_name,
                arn,
                record.dead_letter_body(),
                attributes,
            );
        }
        if let Some(arn) = &record.destination_arn {
            self.send(
                &record.function_name,
                arn,
                record.destination_record().to_string(),
                Vec::new(),
            );
        }
    }

    fn on_success(&self, record: AsyncInvocationRecord) {
        if let Some(arn) = &record.destination_arn {
            self.send(
                &record.function_name,
                arn,
                record.destination_record().to_string(),
                Vec::new(),
            );
        }
    }
}

/// Queued `Event` invocations in SQLite (`lambda_async_events`).
pub struct StoreAsyncEvents {
    store: Store,
}

impl StoreAsyncEvents {
    /// Events kept in `store`.
    pub fn new(store: Store) -> Arc<Self> {
        Arc::new(Self { store })
    }
}

impl AsyncEventStore for StoreAsyncEvents {
    fn save(&self, event: &QueuedEvent) {
        let event = event.clone();
        let record = AsyncEventRecord {
            request_id: event.request_id,
            function_name: event.function_name,
            payload: event.payload.to_vec(),
            enqueued_at_ms: event.enqueued_at_ms,
            attempts: event.attempts,
            last_error: event.last_error.as_ref().map(|b| b.to_vec()),
        };
        let saved = self
            .store
            .write_blocking(move |c| records::save_async_event(c, &record));
        if let Err(e) = saved {
            tracing::error!(error = %e, "queued invocation not stored");
        }
    }

    fn remove(&self, request_id: &str) {
        let id = request_id.to_owned();
        let removed = self
            .store
            .write_blocking(move |c| records::remove_async_event(c, &id));
        if let Err(e) = removed {
            tracing::error!(error = %e, "finished invocation not removed");
        }
    }

    fn load(&self) -> Vec<QueuedEvent> {
        let loaded = self
            .store
            .call_blocking(records::load_async_events)
            .map(|rows| {
                rows.into_iter()
                    .map(|r| QueuedEvent {
                        request_id: r.request_id,
                        function_name: r.function_name,
                        payload: r.payload.into(),
                        enqueued_at_ms: r.enqueued_at_ms,
                        attempts: r.attempts,
                        last_error: r.last_error.map(Into::into),
                    })
                    .collect()
            });
        loaded.unwrap_or_else(|e| {
            tracing::error!(error = %e, "queued invocations not loaded");
            Vec::new()
        })
    }
}

/// Where the functions' executables are looked for.
#[derive(Debug, Clone, Default)]
pub struct BinaryLocator {
    dirs: Vec<PathBuf>,
}

impl BinaryLocator {
    /// `explicit` directories first, then `$CARGO_TARGET_DIR` and the
    /// workspace's `target/` beside the template, each in `debug/` and `release/`.
    pub fn new(template_dir: &Path, explicit: &[PathBuf]) -> Self {
        let mut dirs: Vec<PathBuf> = explicit.to_vec();
        let mut targets = Vec::new();
        if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
            targets.push(PathBuf::from(dir));
        }
        targets.push(template_dir.join("target"));
        for target in targets {
            dirs.push(target.join("debug"));
            dirs.push(target.join("release"));
            // `demo` builds the functions with the `stack` profile.
            dirs.push(target.join("stack"));
            dirs.push(target.join("lambda"));
        }
        // Function processes run in their own task root (their working directory): a relative
        // path (`--template template.yaml` gives the template directory `.`) would not name the
        // executable there.
        let dirs = dirs
            .into_iter()
            .map(|d| std::path::absolute(&d).unwrap_or(d))
            .collect();
        Self { dirs }
    }

    /// The directories searched, in order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The newest `<dir>/<binary>` (or cargo-lambda's `<dir>/<binary>/bootstrap`) that this
    /// machine can run: `sam build` leaves arm64 `bootstrap`s in `target/lambda/`, newer than the
    /// host build but not executable here.
    pub fn find(&self, binary: &str) -> Option<PathBuf> {
        self.dirs
            .iter()
            .flat_map(|d| [d.join(binary), d.join(binary).join("bootstrap")])
            .filter(|p| p.is_file() && runs_here(p))
            .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
    }
}

/// Whether `path` is for this machine's architecture: an ELF file's `e_machine` must be the
/// host's; anything else (a script, another format) is left to the OS to judge.
pub fn runs_here(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    if file.read_exact(&mut header).is_err() || &header[..4] != b"\x7fELF" {
        return true;
    }
    // e_machine, at offset 18, in the file's byte order (EI_DATA: 1 little, 2 big endian).
    let machine = match header[5] {
        2 => u16::from_be_bytes([header[18], header[19]]),
        _ => u16::from_le_bytes([header[18], header[19]]),
    };
    let host = match std::env::consts::ARCH {
        "x86_64" => 62,
        "aarch64" => 183,
        "x86" => 3,
        "arm" => 40,
        "riscv64" => 243,
        _ => return true,
    };
    machine == host
}

/// The Lambda settings of a template function, running `executable`.
pub fn function_config(model: &FunctionModel, executable: PathBuf) -> FunctionConfig {
    let mut config = FunctionConfig::new(model.name.clone(), executable);
    config.environment = model.environment.clone();
    config.timeout = Duration::from_secs(u64::from(model.timeout_seconds));
    config.memory_mb = model.memory_mb;
    if let Some(handler) = &model.handler {
        config.handler = handler.clone();
    }
    if let Some(runtime) = &model.runtime {
        config.runtime = runtime.clone();
    }
    config.description = model.description.clone().unwrap_or_default();
    config.role = model.role_arn.clone();
    if let Some(architecture) = model.architectures.first() {
        config.architecture = architecture.clone();
    }
    config.reserved_concurrency = model.reserved_concurrency;
    config.log_format = if model.log_format == "JSON" {
        LogFormat::Json
    } else {
        LogFormat::Text
    };
    config.log_group = Some(model.log_group.clone());
    config.application_log_level = model.application_log_level.clone();
    config.system_log_level = model.system_log_level.clone();
    let mut async_config = AsyncInvokeConfig {
        dead_letter_target_arn: model.dead_letter_arn.clone(),
        ..AsyncInvokeConfig::default()
    };
    if let Some(invoke) = &model.event_invoke_config {
        if let Some(n) = invoke.maximum_retry_attempts {
            async_config.maximum_retry_attempts = n;
        }
        if let Some(age) = invoke.maximum_event_age_in_seconds {
            async_config.maximum_event_age = Duration::from_secs(u64::from(age));
        }
        async_config.on_failure_destination = invoke.on_failure.clone();
        async_config.on_success_destination = invoke.on_success.clone();
    }
    config.async_config = async_config;
    config
}

/// The Lambda service for `stack`, with every template function registered
/// and the `Event` invocations a previous run left queued resumed. Returns the
/// service and what the user should know (functions whose binary is missing).
pub fn start_lambda(
    stack: &Arc<Context>,
    locator: &BinaryLocator,
    config: LambdaConfig,
) -> (LambdaService, Vec<String>) {
    let config = LambdaConfig {
        region: stack.region.clone(),
        account_id: stack.account_id.clone(),
        endpoint_url: stack.endpoint.clone(),
        ..config
    };
    let service = LambdaService::new(
        config,
        StackLogSink::with_permissions(
            Arc::clone(&stack.logs),
            Arc::clone(&stack.permissions),
            stack
                .template
                .iter()
                .flat_map(|t| t.functions.iter())
                .map(|f| (f.log_group.clone(), (f.name.clone(), f.role_arn.clone())))
                .collect(),
        ),
        StackDeadLetters::new(
            Arc::clone(&stack.sqs),
            tokio::runtime::Handle::current(),
            Arc::clone(&stack.permissions),
            stack
                .template
                .iter()
                .flat_map(|t| t.functions.iter())
                .map(|f| (f.name.clone(), f.role_arn.clone()))
                .collect(),
        ),
    );
    let mut notes = Vec::new();
    if let Some(model) = &stack.template {
        for function in &model.functions {
            let binary = function
                .binary
                .clone()
                .unwrap_or_else(|| function.logical_id.clone());
            let executable = match locator.find(&binary) {
                Some(path) => path,
                None => {
                    notes.push(format!(
                        "function {} ({}): no executable `{binary}` yet (cargo build --bin {binary}); invocations fail until it exists",
                        function.name, function.logical_id
                    ));
                    locator
                        .dirs()
                        .first()
                        .map_or_else(|| PathBuf::from(&binary), |d| d.join(&binary))
                }
            };
            if let Err(e) = service.register(function_config(function, executable)) {
                notes.push(format!("function {}: {e}", function.name));
            }
        }
    }
    service.set_async_store(StoreAsyncEvents::new(stack.store.clone()));
    let resumed = service.resume_async();
    if resumed > 0 {
        notes.push(format!("resumed {resumed} queued asynchronous invocations"));
    }
    (service, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::operation::Operation;
    use crate::services::logs::GetLogEvents;
    use crate::template::{EventInvokeConfigModel, FunctionModel};
    use std::collections::BTreeMap;

    fn model() -> FunctionModel {
        FunctionModel {
            logical_id: "IdentityCheckFunction".into(),
            name: "app-identity-check".into(),
            arn: "arn:aws:lambda:us-east-1:000000000000:function:app-identity-check".into(),
            handler: Some("bootstrap".into()),
            runtime: Some("provided.al2023".into()),
            code_uri: Some(".".into()),
            build_method: Some("rust-cargolambda".into()),
            binary: Some("identity-check".into()),
            environment: BTreeMap::from([("A".to_owned(), "1".to_owned())]),
            timeout_seconds: 10,
            memory_mb: 256,
            architectures: vec!["arm64".into()],
            log_group: "/aws/lambda/app-identity-check".into(),
            log_format: "JSON".into(),
            application_log_level: Some("INFO".into()),
            system_log_level: Some("WARN".into()),
            description: Some("checks".into()),
            reserved_concurrency: Some(5),
            event_invoke_config: Some(EventInvokeConfigModel {
                maximum_retry_attempts: Some(1),
                maximum_event_age_in_seconds: Some(3600),
                on_success: None,
                on_failure: Some("arn:aws:sqs:us-east-1:000000000000:dlq".into()),
            }),
            dead_letter_arn: Some("arn:aws:sqs:us-east-1:000000000000:function-dlq".into()),
            role_arn: "arn:aws:iam::000000000000:role/r".into(),
            policies: None,
        }
    }

    #[test]
    fn function_config_carries_the_template_settings() {
        let config = function_config(&model(), PathBuf::from("/bin/identity-check"));
        assert_eq!(config.name, "app-identity-check");
        assert_eq!(config.executable, PathBuf::from("/bin/identity-check"));
        assert_eq!(config.timeout, Duration::from_secs(10));
        assert_eq!(config.memory_mb, 256);
        assert_eq!(config.architecture, "arm64");
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.log_group_name(), "/aws/lambda/app-identity-check");
        assert_eq!(config.application_log_level.as_deref(), Some("INFO"));
        assert_eq!(config.reserved_concurrency, Some(5));
        assert_eq!(config.environment.get("A").map(String::as_str), Some("1"));
        assert_eq!(config.async_config.maximum_retry_attempts, 1);
        assert_eq!(
            config.async_config.maximum_event_age,
            Duration::from_secs(3600)
        );
        assert_eq!(
            config.async_config.dead_letter_target_arn.as_deref(),
            Some("arn:aws:sqs:us-east-1:000000000000:function-dlq")
        );
        assert_eq!(
            config.async_config.on_failure_destination.as_deref(),
            Some("arn:aws:sqs:us-east-1:000000000000:dlq")
        );
        assert!(config.validate().is_ok());
    }

    #[test]
    fn locator_prefers_the_newest_build() {
        let root = std::env::temp_dir().join(format!("stack-bins-{}", uuid::Uuid::new_v4()));
        let explicit = root.join("explicit");
        let lambda = root.join("target/lambda/risk-profile");
        std::fs::create_dir_all(&explicit).unwrap();
        std::fs::create_dir_all(&lambda).unwrap();
        std::fs::write(explicit.join("risk-profile"), b"old").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(lambda.join("bootstrap"), b"new").unwrap();
        let locator = BinaryLocator::new(&root, std::slice::from_ref(&explicit));
        assert_eq!(locator.find("risk-profile"), Some(lambda.join("bootstrap")));
        assert_eq!(locator.find("missing"), None);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn executables_of_another_architecture_are_skipped() {
        let root = std::env::temp_dir().join(format!("stack-arch-{}", uuid::Uuid::new_v4()));
        let host = root.join("target/stack");
        let lambda = root.join("target/lambda/risk-profile");
        std::fs::create_dir_all(&host).unwrap();
        std::fs::create_dir_all(&lambda).unwrap();
        // This test binary is an executable of the host.
        let me = std::env::current_exe().unwrap();
        std::fs::copy(&me, host.join("risk-profile")).unwrap();
        assert!(runs_here(&host.join("risk-profile")));
        std::thread::sleep(Duration::from_millis(20));
        // A newer ELF header of another machine (what `sam build --arm64` leaves on x86_64, and
        // the reverse on arm64).
        let mut elf = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
        elf.resize(18, 0);
        let other: u16 = if std::env::consts::ARCH == "aarch64" {
            62
        } else {
            183
        };
        elf.extend_from_slice(&other.to_le_bytes());
        elf.resize(64, 0);
        std::fs::write(lambda.join("bootstrap"), &elf).unwrap();
        assert!(!runs_here(&lambda.join("bootstrap")));
        let locator = BinaryLocator::new(&root, &[]);
        assert_eq!(
            locator.find("risk-profile"),
            Some(host.join("risk-profile"))
        );
        // A script is left to the OS.
        std::fs::write(root.join("script"), b"#!/bin/sh\n").unwrap();
        assert!(runs_here(&root.join("script")));
        assert!(!runs_here(&root.join("missing")));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_relative_template_directory_gives_absolute_executables() {
        // `demo` / `bench` run with `--template template.yaml`: the template directory is
        // `.`, and the function processes start in their own task root.
        let locator = BinaryLocator::new(Path::new("."), &[PathBuf::from("bin")]);
        assert!(
            locator.dirs().iter().all(|d| d.is_absolute()),
            "{:?}",
            locator.dirs()
        );
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(locator.dirs()[0], cwd.join("bin"));
        assert!(locator.dirs().contains(&cwd.join("target").join("stack")));
    }

    #[tokio::test]
    async fn queued_invocations_survive_in_the_store() {
        let store = Store::open_in_memory().unwrap();
        let events = StoreAsyncEvents::new(store.clone());
        let event = |id: &str, at: i64| QueuedEvent {
            request_id: id.into(),
            function_name: "f".into(),
            payload: b"{\"a\":1}".to_vec().into(),
            enqueued_at_ms: at,
            attempts: 0,
            last_error: None,
        };
        let store_events = Arc::clone(&events);
        tokio::task::spawn_blocking(move || {
            store_events.save(&event("b", 2));
            store_events.save(&event("a", 1));
            let mut retried = event("b", 2);
            retried.attempts = 1;
            retried.last_error = Some(b"{\"errorType\":\"Boom\"}".to_vec().into());
            store_events.save(&retried);
            store_events.remove("a");
            let loaded = store_events.load();
            assert_eq!(loaded.len(), 1);
            assert_eq!(loaded[0].request_id, "b");
            assert_eq!(loaded[0].attempts, 1);
            assert_eq!(loaded[0].payload.as_ref(), b"{\"a\":1}");
            assert_eq!(
                loaded[0].last_error.as_deref(),
                Some(&b"{\"errorType\":\"Boom\"}"[..])
            );
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn log_sink_writes_to_cloudwatch_logs() {
        let store = Store::open_in_memory().unwrap();
        let logs = LogsService::new(
            store,
            Arc::new(crate::clock::SystemClock),
            "us-east-1",
            "000000000000",
        );
        let sink = StackLogSink::new(Arc::clone(&logs));
        tokio::task::spawn_blocking(move || {
            sink.put_log_events(
                "/aws/lambda/f",
                "2026/11/21/[$LATEST]abc",
                vec![LogEvent {
                    timestamp: 1,
                    message: "START RequestId: x Version: $LATEST".into(),
                }],
            );
        })
        .await
        .unwrap();
        let out = GetLogEvents::run(
            Arc::clone(&logs),
            crate::services::logs::GetLogEventsRequest {
                log_group_name: Some("/aws/lambda/f".into()),
                log_stream_name: "2026/11/21/[$LATEST]abc".into(),
                start_from_head: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(out.events[0].message, "START RequestId: x Version: $LATEST");
    }
}
