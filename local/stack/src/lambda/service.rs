//! The Lambda service: registered functions, their instance pools, and the
//! semantics of Invoke (RequestResponse, Event with retries, DryRun).

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use axum::body::Bytes;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Utc;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::async_queue::{AsyncEventStore, QueuedEvent};
use super::config::{ConcurrencyPolicy, FunctionConfig, LambdaConfig, LogFormat};
use super::dead_letter::{AsyncCondition, AsyncInvocationRecord, DeadLetterSink};
use super::error::LambdaError;
use super::faults::{Fault, FaultPlan, NoFaults};
use super::instance::{Instance, InvocationResult, RunOutcome, RunRequest};
use super::logs::{
    LogEvent, LogSink, ReportMetrics, ReportStatus, end_lines, log_stream_name, start_lines,
};
use super::names::{FunctionRef, function_arn};

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

/// Counters of one function (tests, the demo's progress view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FunctionStats {
    /// Instances started (cold starts).
    pub instances_started: u64,
    /// Instances alive now.
    pub instances_alive: usize,
    /// Invocation attempts that ran on an instance.
    pub invocations: u64,
}

/// `FunctionConfiguration` of the Lambda API (ListFunctions, GetFunction).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionConfiguration {
    pub function_name: String,
    pub function_arn: String,
    pub runtime: String,
    pub role: String,
    pub handler: String,
    pub code_size: u64,
    pub description: String,
    pub timeout: u64,
    pub memory_size: u32,
    pub last_modified: String,
    pub code_sha256: String,
    pub version: String,
    pub environment: EnvironmentResponse,
    pub tracing_config: serde_json::Value,
    pub revision_id: String,
    pub state: String,
    pub last_update_status: String,
    pub package_type: String,
    pub architectures: Vec<String>,
    pub ephemeral_storage: serde_json::Value,
    pub snap_start: serde_json::Value,
    pub logging_config: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentResponse {
    pub variables: BTreeMap<String, String>,
}

/// GetFunction's output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetFunctionOutput {
    pub configuration: FunctionConfiguration,
    pub code: serde_json::Value,
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<serde_json::Value>,
}

struct Function {
    config: FunctionConfig,
    arn: String,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Arc<Instance>>>,
    live: Mutex<HashMap<u64, Arc<Instance>>>,
    last_modified: String,
    code_sha256: String,
    code_size: u64,
    revision_id: String,
    instances_started: AtomicU64,
    invocations: AtomicU64,
    /// Replaced or deleted: instances are not kept warm any more.
    retired: Mutex<bool>,
}

impl Function {
    fn new(config: FunctionConfig, service: &LambdaConfig) -> Self {
        let limit = config
            .reserved_concurrency
            .unwrap_or(service.default_concurrency)
            .max(1);
        let code = std::fs::read(&config.executable).unwrap_or_default();
        Self {
            arn: function_arn(&service.region, &service.account_id, &config.name),
            permits: Arc::new(Semaphore::new(limit as usize)),
            idle: Mutex::new(Vec::new()),
            live: Mutex::new(HashMap::new()),
            last_modified: Utc::now().format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
            code_sha256: BASE64.encode(Sha256::digest(&code)),
            code_size: code.len() as u64,
            revision_id: uuid::Uuid::new_v4().to_string(),
            instances_started: AtomicU64::new(0),
            invocations: AtomicU64::new(0),
            retired: Mutex::new(false),
            config,
        }
    }

    fn configuration(&self) -> FunctionConfiguration {
        let c = &self.config;
        let mut logging = serde_json::json!({
            "LogFormat": c.log_format.as_str(),
            "LogGroup": c.log_group_name(),
        });
        if c.log_format == LogFormat::Json {
            logging["ApplicationLogLevel"] = serde_json::json!(
                c.application_log_level
                    .clone()
                    .unwrap_or_else(|| "INFO".into())
            );
            logging["SystemLogLevel"] =
                serde_json::json!(c.system_log_level.clone().unwrap_or_else(|| "INFO".into()));
        }
        FunctionConfiguration {
            function_name: c.name.clone(),
            function_arn: self.arn.clone(),
            runtime: c.runtime.clone(),
            role: c.role.clone(),
            handler: c.handler.clone(),
            code_size: self.code_size,
            description: c.description.clone(),
            timeout: c.timeout.as_secs(),
            memory_size: c.memory_mb,
            last_modified: self.last_modified.clone(),
            code_sha256: self.code_sha256.clone(),
            version: "$LATEST".into(),
            environment: EnvironmentResponse {
                variables: c.environment.clone(),
            },
            tracing_config: serde_json::json!({"Mode": "PassThrough"}),
            revision_id: self.revision_id.clone(),
            state: "Active".into(),
            last_update_status: "Successful".into(),
            package_type: "Zip".into(),
            architectures: vec![c.architecture.clone()],
            ephemeral_storage: serde_json::json!({"Size": 512}),
            snap_start: serde_json::json!({"ApplyOn": "None", "OptimizationStatus": "Off"}),
            logging_config: logging,
            dead_letter_config: c
                .async_config
                .dead_letter_target_arn
                .as_ref()
                .map(|arn| serde_json::json!({"TargetArn": arn})),
        }
    }

    fn stats(&self) -> FunctionStats {
        FunctionStats {
            instances_started: self.instances_started.load(Ordering::Relaxed),
            instances_alive: self.live.lock().map(|l| l.len()).unwrap_or(0),
            invocations: self.invocations.load(Ordering::Relaxed),
        }
    }

    fn take_idle(&self) -> Option<Arc<Instance>> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(instance) = idle.pop() {
            if instance.is_dead() {
                self.forget(&instance);
            } else {
                return Some(instance);
            }
        }
        None
    }

    fn forget(&self, instance: &Instance) {
        if let Ok(mut live) = self.live.lock() {
            live.remove(&instance.id);
        }
    }

    fn give_back(&self, instance: Arc<Instance>, healthy: bool) {
        let retired = self.retired.lock().map(|r| *r).unwrap_or(true);
        if healthy && !retired && !instance.is_dead() {
            if let Ok(mut idle) = self.idle.lock() {
                idle.push(instance);
            }
        } else {
            self.forget(&instance);
        }
    }

    /// Runs one attempt on a warm instance, or a new one (cold start).
    /// The caller holds a concurrency permit.
    async fn execute(
        &self,
        service: &LambdaConfig,
        logs: &Arc<dyn LogSink>,
        req: RunRequest,
        fault: Option<&Fault>,
    ) -> RunOutcome {
        self.invocations.fetch_add(1, Ordering::Relaxed);
        let instance = match self.take_idle() {
            Some(instance) => instance,
            None => match Instance::spawn(&self.config, service, Arc::clone(logs)).await {
                Ok(instance) => {
                    self.instances_started.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut live) = self.live.lock() {
                        live.insert(instance.id, Arc::clone(&instance));
                    }
                    instance
                }
                Err(e) => return self.entrypoint_missing(logs, &req.request_id, &e.0),
            },
        };
        let outcome = instance.run(req, fault).await;
        self.give_back(instance, outcome.healthy);
        outcome
    }

    /// The executable could not be started: Lambda's `Runtime.InvalidEntrypoint`.
    fn entrypoint_missing(
        &self,
        logs: &Arc<dyn LogSink>,
        request_id: &str,
        error: &std::io::Error,
    ) -> RunOutcome {
        let message = format!(
            "RequestId: {request_id} Error: Couldn't find valid bootstrap(s): [{}] ({error})",
            self.config.executable.display()
        );
        let format = self.config.log_format;
        let mut lines = start_lines(format, request_id);
        if format == LogFormat::Text {
            lines.push(format!("{message}\nRuntime.InvalidEntrypoint\n"));
        }
        let metrics = ReportMetrics {
            duration: Duration::ZERO,
            billed_duration_ms: 1,
            memory_size_mb: self.config.memory_mb,
            max_memory_used_mb: 0,
            init_duration: None,
        };
        lines.extend(end_lines(
            format,
            request_id,
            &metrics,
            &ReportStatus::Error("Runtime.InvalidEntrypoint".into()),
        ));
        let now = Utc::now().timestamp_millis();
        let log: String = lines.concat();
        logs.put_log_events(
            &self.config.log_group_name(),
            &log_stream_name(Utc::now()),
            lines
                .into_iter()
                .map(|message| LogEvent {
                    timestamp: now,
                    message,
                })
                .collect(),
        );
        RunOutcome {
            result: InvocationResult::Unhandled(Bytes::from(
                serde_json::json!({"errorType": "Runtime.InvalidEntrypoint", "errorMessage": message})
                    .to_string(),
            )),
            log,
            healthy: false,
        }
    }

    /// Drops the idle instances of a replaced or deleted function; busy ones
    /// are dropped (and so killed) when their invocation returns them.
    fn retire(&self) {
        let idle: Vec<Arc<Instance>> = self
            .idle
            .lock()
            .map(|mut i| i.drain(..).collect())
            .unwrap_or_default();
        if let Ok(mut live) = self.live.lock() {
            for instance in &idle {
                live.remove(&instance.id);
            }
        }
        if let Ok(mut retired) = self.retired.lock() {
            *retired = true;
        }
    }

    async fn kill_all(&self) {
        let instances: Vec<Arc<Instance>> = self
            .live
            .lock()
            .map(|mut l| l.drain().map(|(_, i)| i).collect())
            .unwrap_or_default();
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
        for instance in instances {
            instance.kill().await;
        }
    }
}

impl Inner {
    fn store(&self) -> Option<Arc<dyn AsyncEventStore>> {
        self.async_store.read().ok().and_then(|s| s.clone())
    }
}

struct Inner {
    config: LambdaConfig,
    functions: RwLock<BTreeMap<String, Arc<Function>>>,
    logs: Arc<dyn LogSink>,
    dead_letters: Arc<dyn DeadLetterSink>,
    faults: RwLock<Arc<dyn FaultPlan>>,
    async_pending: AtomicUsize,
    async_idle: Notify,
    async_tasks: Mutex<tokio::task::JoinSet<()>>,
    async_store: RwLock<Option<Arc<dyn AsyncEventStore>>>,
}

/// The Lambda service of the local stack. Cheap to clone (shared state).
///
/// Dropping the last clone kills every function process; [`LambdaService::shutdown`]
/// does it and waits for the processes to exit.
#[derive(Clone)]
pub struct LambdaService {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LambdaService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaService")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

fn tail(log: &str) -> String {
    // The last 4 KB of the log, as `X-Amz-Log-Result` carries it.
    let bytes = log.as_bytes();
    let from = bytes.len().saturating_sub(4096);
    BASE64.encode(&bytes[from..])
}

impl LambdaService {
    pub fn new(
        config: LambdaConfig,
        logs: Arc<dyn LogSink>,
        dead_letters: Arc<dyn DeadLetterSink>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                functions: RwLock::new(BTreeMap::new()),
                logs,
                dead_letters,
                faults: RwLock::new(Arc::new(NoFaults)),
                async_pending: AtomicUsize::new(0),
                async_idle: Notify::new(),
                async_tasks: Mutex::new(tokio::task::JoinSet::new()),
                async_store: RwLock::new(None),
            }),
        }
    }

    /// The service-wide settings.
    pub fn config(&self) -> &LambdaConfig {
        &self.inner.config
    }

    /// Installs the fault plan consulted on every invocation attempt.
    pub fn set_fault_plan(&self, plan: Arc<dyn FaultPlan>) {
        if let Ok(mut faults) = self.inner.faults.write() {
            *faults = plan;
        }
    }

    fn fault_for(&self, name: &str) -> Option<Fault> {
        self.inner
            .faults
            .read()
            .ok()
            .and_then(|plan| plan.fault_for(name))
    }

    /// Creates a function, or replaces one of the same name. As after
    /// UpdateFunctionCode, invocations in flight finish on the old instances;
    /// the next invocation cold-starts the new configuration, and the old
    /// instances are killed once nothing uses them (dropping an instance kills it).
    pub fn register(&self, config: FunctionConfig) -> Result<(), LambdaError> {
        config.validate()?;
        let function = Arc::new(Function::new(config, &self.inner.config));
        let old = self
            .inner
            .functions
            .write()
            .map_err(|_| LambdaError::Service("function table poisoned".into()))?
            .insert(function.config.name.clone(), function);
        if let Some(old) = old {
            old.retire();
        }
        Ok(())
    }

    /// Removes a function (DeleteFunction); false when there was none.
    pub fn unregister(&self, name: &str) -> bool {
        let old = self
            .inner
            .functions
            .write()
            .ok()
            .and_then(|mut f| f.remove(name));
        old.map(|f| f.retire()).is_some()
    }

    /// The ARN of a registered function.
    pub fn function_arn(&self, name: &str) -> Option<String> {
        self.lookup_name(name).map(|f| f.arn.clone())
    }

    fn lookup_name(&self, name: &str) -> Option<Arc<Function>> {
        self.inner.functions.read().ok()?.get(name).cloned()
    }

    /// Resolves a `FunctionName` (name, partial ARN or ARN) and qualifier.
    fn resolve(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> Result<Arc<Function>, LambdaError> {
        let r = FunctionRef::parse(function_name)?;
        let qualifier = match (r.qualifier.as_deref(), qualifier) {
            (Some(a), Some(b)) if a != b => {
                return Err(LambdaError::InvalidParameterValue(
                    "The derived qualifier from the function name does not match the specified qualifier.".into(),
                ));
            }
            (a, b) => a.or(b),
        };
        let c = &self.inner.config;
        let region = r.region.as_deref().unwrap_or(&c.region);
        let account = r.account.as_deref().unwrap_or(&c.account_id);
        let mut arn = function_arn(region, account, &r.name);
        if let Some(q) = qualifier {
            arn.push(':');
            arn.push_str(q);
        }
        let not_found = || LambdaError::ResourceNotFound { arn: arn.clone() };
        if region != c.region || account != c.account_id {
            return Err(not_found());
        }
        // Only `$LATEST` exists locally: no versions or aliases are published.
        if qualifier.is_some_and(|q| q != "$LATEST") {
            return Err(not_found());
        }
        self.lookup_name(&r.name).ok_or_else(not_found)
    }

    /// Invoke with the common options: RequestResponse / Event / DryRun.
    pub async fn invoke(
        &self,
        function_name: &str,
        payload: impl Into<Bytes>,
        invocation_type: InvocationType,
    ) -> Result<InvokeOutcome, LambdaError> {
        self.invoke_with(InvokeRequest {
            function_name: function_name.to_owned(),
            invocation_type,
            payload: payload.into(),
            ..InvokeRequest::default()
        })
        .await
    }

    /// Invoke with every option of the API.
    pub async fn invoke_with(&self, request: InvokeRequest) -> Result<InvokeOutcome, LambdaError> {
        let function = self.resolve(&request.function_name, request.qualifier.as_deref())?;
        let limit = match request.invocation_type {
            InvocationType::Event => self.inner.config.max_async_payload,
            _ => self.inner.config.max_sync_payload,
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
                self.enqueue(function, request_id.clone(), payload);
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
                let fault = self.fault_for(&function.config.name);
                if fault == Some(Fault::Throttle) {
                    return Err(throttled(&function));
                }
                let permit = self.acquire(&function).await?;
                // The invocation runs in its own task: a caller that goes away
                // (a client disconnecting) does not stop it, as on AWS, and the
                // instance always returns to the pool.
                let inner = Arc::clone(&self.inner);
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

    async fn acquire(&self, function: &Arc<Function>) -> Result<OwnedSemaphorePermit, LambdaError> {
        let permits = Arc::clone(&function.permits);
        match self.inner.config.concurrency_policy {
            ConcurrencyPolicy::Queue => permits
                .acquire_owned()
                .await
                .map_err(|_| LambdaError::Service("the function is shutting down".into())),
            ConcurrencyPolicy::Throttle => {
                permits.try_acquire_owned().map_err(|_| throttled(function))
            }
        }
    }

    /// Keeps accepted asynchronous invocations in `store` until they are done,
    /// so a restart loses none ([`LambdaService::resume_async`] picks them up).
    pub fn set_async_store(&self, store: Arc<dyn AsyncEventStore>) {
        if let Ok(mut s) = self.inner.async_store.write() {
            *s = Some(store);
        }
    }

    /// Re-queues the events the store holds (call once after registering the
    /// functions at start). Returns how many were resumed.
    pub fn resume_async(&self) -> usize {
        let events = self.inner.store().map(|s| s.load()).unwrap_or_default();
        let n = events.len();
        for event in events {
            self.spawn_async(event);
        }
        n
    }

    /// Queues an asynchronous invocation: attempts, retries after a function
    /// error (AWS: 2 retries, one then two minutes apart), gives up after
    /// `MaximumEventAgeInSeconds`, then hands the event on.
    fn enqueue(&self, function: Arc<Function>, request_id: String, payload: Bytes) {
        let event = QueuedEvent {
            request_id,
            function_name: function.config.name.clone(),
            payload,
            enqueued_at_ms: Utc::now().timestamp_millis(),
            attempts: 0,
            last_error: None,
        };
        if let Some(store) = self.inner.store() {
            store.save(&event);
        }
        self.spawn_async(event);
    }

    fn spawn_async(&self, event: QueuedEvent) {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        self.inner.async_pending.fetch_add(1, Ordering::SeqCst);
        let task = async move {
            run_async(&weak, event).await;
            if let Some(inner) = weak.upgrade()
                && inner
                    .async_pending
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                        Some(n.saturating_sub(1))
                    })
                    .unwrap_or(0)
                    <= 1
            {
                inner.async_idle.notify_waiters();
            }
        };
        if let Ok(mut tasks) = self.inner.async_tasks.lock() {
            // Reap finished tasks so the set does not grow without bound.
            while tasks.try_join_next().is_some() {}
            tasks.spawn(task);
        }
    }

    /// Waits until no asynchronous invocation is queued or running.
    pub async fn wait_async_idle(&self) {
        loop {
            let notified = self.inner.async_idle.notified();
            if self.inner.async_pending.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Every function, sorted by name (ListFunctions).
    pub fn list_functions(&self) -> Vec<FunctionConfiguration> {
        self.inner
            .functions
            .read()
            .map(|f| f.values().map(|f| f.configuration()).collect())
            .unwrap_or_default()
    }

    /// GetFunction.
    pub fn get_function(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> Result<GetFunctionOutput, LambdaError> {
        let f = self.resolve(function_name, qualifier)?;
        Ok(GetFunctionOutput {
            configuration: f.configuration(),
            code: serde_json::json!({
                "RepositoryType": "S3",
                "Location": format!("file://{}", f.config.executable.display()),
            }),
            tags: f.config.tags.clone(),
            concurrency: f
                .config
                .reserved_concurrency
                .map(|n| serde_json::json!({"ReservedConcurrentExecutions": n})),
        })
    }

    /// GetFunctionConfiguration.
    pub fn get_function_configuration(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> Result<FunctionConfiguration, LambdaError> {
        Ok(self.resolve(function_name, qualifier)?.configuration())
    }

    /// Counters of a function.
    pub fn function_stats(&self, name: &str) -> Option<FunctionStats> {
        self.lookup_name(name).map(|f| f.stats())
    }

    /// Stops asynchronous work and kills every function process.
    pub async fn shutdown(&self) {
        if let Ok(mut tasks) = self.inner.async_tasks.lock() {
            tasks.abort_all();
        }
        // Aborted events are dropped: nobody waits for them any more.
        self.inner.async_pending.store(0, Ordering::SeqCst);
        self.inner.async_idle.notify_waiters();
        let functions: Vec<Arc<Function>> = self
            .inner
            .functions
            .read()
            .map(|f| f.values().cloned().collect())
            .unwrap_or_default();
        for f in functions {
            f.kill_all().await;
        }
    }
}

fn throttled(function: &Function) -> LambdaError {
    LambdaError::TooManyRequests {
        reason: if function.config.reserved_concurrency.is_some() {
            "ReservedFunctionConcurrentInvocationLimitExceeded".into()
        } else {
            "ConcurrentInvocationLimitExceeded".into()
        },
    }
}

/// Backoff for throttled asynchronous events: from 1 second, doubling, up to
/// 5 minutes (AWS's documented range).
fn throttle_backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(9)).min(Duration::from_secs(300))
}

/// The age of an event accepted at `enqueued_at_ms` (epoch), robust to a restart.
fn event_age(enqueued_at_ms: i64) -> Duration {
    let ms = Utc::now().timestamp_millis().saturating_sub(enqueued_at_ms);
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

async fn run_async(weak: &Weak<Inner>, mut event: QueuedEvent) {
    let mut throttles: u32 = 0;
    loop {
        // The service is gone (shutdown): the event stays in the store.
        let Some(inner) = weak.upgrade() else { return };
        let service = LambdaService { inner };
        let store = service.inner.store();
        let done = |store: &Option<Arc<dyn AsyncEventStore>>, id: &str| {
            if let Some(s) = store {
                s.remove(id);
            }
        };
        let Some(function) = service.lookup_name(&event.function_name) else {
            // The function was deleted: Lambda drops its queued events.
            done(&store, &event.request_id);
            return;
        };
        let async_config = function.config.async_config.clone();
        if event_age(event.enqueued_at_ms) > async_config.maximum_event_age {
            hand_on(
                &service,
                &function,
                &event,
                AsyncCondition::EventAgeExceeded,
            );
            done(&store, &event.request_id);
            return;
        }
        let fault = service.fault_for(&event.function_name);
        if fault == Some(Fault::Throttle) {
            let wait = throttle_backoff(throttles);
            throttles += 1;
            drop((service, function, store));
            tokio::time::sleep(wait).await;
            continue;
        }
        let permit = Arc::clone(&function.permits).acquire_owned().await;
        event.attempts += 1;
        let outcome = function
            .execute(
                &service.inner.config,
                &service.inner.logs,
                RunRequest {
                    request_id: event.request_id.clone(),
                    payload: event.payload.clone(),
                    invoked_function_arn: function.arn.clone(),
                    client_context: None,
                    cognito_identity: None,
                },
                fault.as_ref(),
            )
            .await;
        drop(permit);
        match outcome.result {
            InvocationResult::Success(body) => {
                if let Some(destination) = async_config.on_success_destination.clone() {
                    service
                        .inner
                        .dead_letters
                        .on_success(AsyncInvocationRecord {
                            request_id: event.request_id.clone(),
                            function_name: event.function_name.clone(),
                            function_arn: function.arn.clone(),
                            timestamp: Utc::now(),
                            condition: AsyncCondition::Success,
                            approximate_invoke_count: event.attempts,
                            request_payload: event.payload.clone(),
                            function_error: None,
                            response_payload: Some(body),
                            dead_letter_target_arn: None,
                            destination_arn: Some(destination),
                        });
                }
                done(&store, &event.request_id);
                return;
            }
            InvocationResult::Unhandled(body) => {
                event.last_error = Some(body);
                if event.attempts > async_config.maximum_retry_attempts {
                    hand_on(
                        &service,
                        &function,
                        &event,
                        AsyncCondition::RetriesExhausted,
                    );
                    done(&store, &event.request_id);
                    return;
                }
                if let Some(s) = &store {
                    s.save(&event);
                }
            }
        }
        let delays = service.inner.config.async_retry_delays;
        let idx = usize::try_from(event.attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(delays.len() - 1);
        let age_left = async_config
            .maximum_event_age
            .saturating_sub(event_age(event.enqueued_at_ms));
        // An event that would expire before its retry is handed on when it expires.
        let wait = delays[idx].min(age_left + Duration::from_millis(1));
        drop((service, function, store));
        tokio::time::sleep(wait).await;
    }
}

fn hand_on(
    service: &LambdaService,
    function: &Function,
    event: &QueuedEvent,
    condition: AsyncCondition,
) {
    let c = &function.config.async_config;
    if c.dead_letter_target_arn.is_none() && c.on_failure_destination.is_none() {
        // Without a DLQ or destination Lambda discards the event.
        return;
    }
    service
        .inner
        .dead_letters
        .on_failure(AsyncInvocationRecord {
            request_id: event.request_id.clone(),
            function_name: function.config.name.clone(),
            function_arn: function.arn.clone(),
            timestamp: Utc::now(),
            condition,
            approximate_invoke_count: event.attempts,
            request_payload: event.payload.clone(),
            function_error: event.last_error.as_ref().map(|_| "Unhandled".to_owned()),
            response_payload: event.last_error.clone(),
            dead_letter_target_arn: c.dead_letter_target_arn.clone(),
            destination_arn: c.on_failure_destination.clone(),
        });
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

    #[test]
    fn tail_keeps_the_last_4_kb() {
        let log = format!("{}{}", "a".repeat(5000), "END");
        let decoded = BASE64.decode(tail(&log)).unwrap();
        assert_eq!(decoded.len(), 4096);
        assert!(decoded.ends_with(b"aEND"));
    }

    #[test]
    fn throttle_backoff_grows_to_five_minutes() {
        assert_eq!(throttle_backoff(0), Duration::from_secs(1));
        assert_eq!(throttle_backoff(3), Duration::from_secs(8));
        assert_eq!(throttle_backoff(8), Duration::from_secs(256));
        assert_eq!(throttle_backoff(20), Duration::from_secs(300));
    }
}
