//! The Lambda service: [`LambdaService`], the handle every caller (the REST API, Step Functions,
//! EventBridge, the tools) holds. Each job it offers is done elsewhere: the function table in
//! `registry.rs`, one function's instance pool in `function.rs`, Invoke in `invoke.rs` (its request
//! and outcome in `request.rs`), `Event` invocations in `async_invoke.rs`, the API's view of a
//! function in `configuration.rs`.

use std::sync::Arc;

use axum::body::Bytes;

pub use super::configuration::{EnvironmentResponse, FunctionConfiguration, GetFunctionOutput};
pub use super::function::FunctionStats;
pub use super::request::{InvocationType, InvokeOutcome, InvokeRequest, LogType};

use super::async_invoke;
use super::async_queue::AsyncEventStore;
use super::config::{FunctionConfig, LambdaConfig};
use super::dead_letter::DeadLetterSink;
use super::error::LambdaError;
use super::faults::FaultPlan;
use super::invoke;
use super::logs::LogSink;
use super::registry::Registry;

/// The Lambda service of the local stack. Cheap to clone (shared state).
///
/// Dropping the last clone kills every function process; [`LambdaService::shutdown`]
/// does it and waits for the processes to exit.
#[derive(Clone)]
pub struct LambdaService {
    inner: Arc<Registry>,
}

impl std::fmt::Debug for LambdaService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaService")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl LambdaService {
    pub fn new(
        config: LambdaConfig,
        logs: Arc<dyn LogSink>,
        dead_letters: Arc<dyn DeadLetterSink>,
    ) -> Self {
        Self {
            inner: Arc::new(Registry::new(config, logs, dead_letters)),
        }
    }

    /// The service-wide settings.
    pub fn config(&self) -> &LambdaConfig {
        &self.inner.config
    }

    /// Installs the fault plan consulted on every invocation attempt.
    pub fn set_fault_plan(&self, plan: Arc<dyn FaultPlan>) {
        self.inner.set_fault_plan(plan);
    }

    /// Creates a function, or replaces one of the same name. As after
    /// UpdateFunctionCode, invocations in flight finish on the old instances;
    /// the next invocation cold-starts the new configuration, and the old
    /// instances are killed once nothing uses them (dropping an instance kills it).
    pub fn register(&self, config: FunctionConfig) -> Result<(), LambdaError> {
        self.inner.register(config)
    }

    /// Removes a function (DeleteFunction); false when there was none.
    pub fn unregister(&self, name: &str) -> bool {
        self.inner.unregister(name)
    }

    /// The ARN of a registered function.
    pub fn function_arn(&self, name: &str) -> Option<String> {
        self.inner.lookup_name(name).map(|f| f.arn.clone())
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
        invoke::invoke_with(&self.inner, request).await
    }

    /// Keeps accepted asynchronous invocations in `store` until they are done,
    /// so a restart loses none ([`LambdaService::resume_async`] picks them up).
    pub fn set_async_store(&self, store: Arc<dyn AsyncEventStore>) {
        async_invoke::set_store(&self.inner, store);
    }

    /// Re-queues the events the store holds (call once after registering the
    /// functions at start). Returns how many were resumed.
    pub fn resume_async(&self) -> usize {
        async_invoke::resume(&self.inner)
    }

    /// Waits until no asynchronous invocation is queued or running.
    pub async fn wait_async_idle(&self) {
        async_invoke::wait_idle(&self.inner).await;
    }

    /// Every function, sorted by name (ListFunctions).
    pub fn list_functions(&self) -> Vec<FunctionConfiguration> {
        self.inner
            .functions()
            .iter()
            .map(|f| f.configuration())
            .collect()
    }

    /// GetFunction.
    pub fn get_function(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> Result<GetFunctionOutput, LambdaError> {
        Ok(self
            .inner
            .resolve(function_name, qualifier)?
            .get_function_output())
    }

    /// GetFunctionConfiguration.
    pub fn get_function_configuration(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> Result<FunctionConfiguration, LambdaError> {
        Ok(self
            .inner
            .resolve(function_name, qualifier)?
            .configuration())
    }

    /// Counters of a function.
    pub fn function_stats(&self, name: &str) -> Option<FunctionStats> {
        self.inner.lookup_name(name).map(|f| f.stats())
    }

    /// Stops asynchronous work and kills every function process.
    pub async fn shutdown(&self) {
        async_invoke::abort_all(&self.inner);
        for f in self.inner.functions() {
            f.kill_all().await;
        }
    }
}
