//! One registered function and its instance pool: its concurrency permits, warm instances reused
//! and new ones started (cold starts), `Runtime.InvalidEntrypoint` when its executable cannot
//! start, retiring it when replaced or deleted, and its counters ([`FunctionStats`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Utc;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::config::{FunctionConfig, LambdaConfig, LogFormat};
use super::error::LambdaError;
use super::faults::Fault;
use super::instance::{Instance, InvocationResult, RunOutcome, RunRequest};
use super::logs::{
    LogEvent, LogSink, ReportMetrics, ReportStatus, end_lines, log_stream_name, start_lines,
};
use super::names::function_arn;

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

pub(super) struct Function {
    pub(super) config: FunctionConfig,
    pub(super) arn: String,
    pub(super) permits: Arc<Semaphore>,
    idle: Mutex<Vec<Arc<Instance>>>,
    live: Mutex<HashMap<u64, Arc<Instance>>>,
    pub(super) last_modified: String,
    pub(super) code_sha256: String,
    pub(super) code_size: u64,
    pub(super) revision_id: String,
    instances_started: AtomicU64,
    invocations: AtomicU64,
    /// Replaced or deleted: instances are not kept warm any more.
    retired: Mutex<bool>,
}

impl Function {
    pub(super) fn new(config: FunctionConfig, service: &LambdaConfig) -> Self {
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

    pub(super) fn stats(&self) -> FunctionStats {
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
    pub(super) async fn execute(
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
    pub(super) fn retire(&self) {
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

    pub(super) async fn kill_all(&self) {
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

    /// Invoke's `TooManyRequestsException` for this function: its reserved concurrency, or the
    /// account's, is in use.
    pub(super) fn throttled(&self) -> LambdaError {
        LambdaError::TooManyRequests {
            reason: if self.config.reserved_concurrency.is_some() {
                "ReservedFunctionConcurrentInvocationLimitExceeded".into()
            } else {
                "ConcurrentInvocationLimitExceeded".into()
            },
        }
    }
}
