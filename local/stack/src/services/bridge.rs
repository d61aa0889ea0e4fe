//! What the services need from each other, as traits, so that each service is testable alone and the
//! wiring lives in one place (`server`).
//!
//! Step Functions publishes events (the `events:putEvents` integration, execution status changes) through
//! [`EventPublisher`]; EventBridge starts executions (state machine rule targets) through
//! [`ExecutionStarter`]. The two services depend on each other, so the wiring builds both with a
//! [`LateBound`] handle and fills it in once both exist.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::protocol::error::AwsError;

/// A boxed, sendable future (the traits here are used as `Arc<dyn ...>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The response of PutEvents, as the API returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct PutEventsOutcome {
    /// `FailedEntryCount`.
    pub failed_entry_count: usize,
    /// `Entries`: one per request entry, in order: `{"EventId": ...}` or `{"ErrorCode": ..., "ErrorMessage": ...}`.
    pub entries: Vec<Value>,
}

impl PutEventsOutcome {
    /// The response body, `{"Entries": [...], "FailedEntryCount": n}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({ "Entries": self.entries, "FailedEntryCount": self.failed_entry_count })
    }

    /// Reads back what [`Self::to_json`] wrote.
    pub fn from_json(value: &Value) -> Option<Self> {
        Some(Self {
            failed_entry_count: usize::try_from(value.get("FailedEntryCount")?.as_u64()?).ok()?,
            entries: value.get("Entries")?.as_array()?.clone(),
        })
    }
}

/// Puts events on buses with EventBridge's semantics.
pub trait EventPublisher: Send + Sync {
    /// PutEvents: `entries` are the request's `Entries` objects (`Source`, `DetailType`, `Detail` as a
    /// string, `EventBusName` name or ARN, `Resources`, `Time`, ...). Accepted entries are durable when this
    /// returns; rejected ones carry their per-entry error, exactly as the API answers.
    fn put_events(&self, entries: Vec<Value>) -> BoxFuture<'_, Result<PutEventsOutcome, AwsError>>;

    /// PutEvents at most once per `(scope, key)`: the first call publishes and records its answer in
    /// the same transaction as the accepted entries; a later call with the same key gets that answer
    /// back and publishes nothing. Step Functions tasks use it (scope = execution ARN, key = task id)
    /// so that a task sent again after a crash does not publish twice. Implementations without
    /// durable state may just publish.
    fn put_events_once(
        &self,
        scope: String,
        key: String,
        entries: Vec<Value>,
    ) -> BoxFuture<'_, Result<PutEventsOutcome, AwsError>> {
        let _ = (scope, key);
        self.put_events(entries)
    }

    /// An event an AWS service emits (source `aws.*`, e.g. Step Functions Execution Status Change):
    /// `event` is the whole envelope (`version`, `id`, `detail-type`, `source`, `account`, `time`,
    /// `region`, `resources`, `detail`), put on the default bus. PutEvents refuses `aws.*` sources, so
    /// services use this instead.
    fn put_service_event(&self, event: Value) -> BoxFuture<'_, Result<(), AwsError>>;
}

/// An execution that StartExecution accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct StartedExecution {
    /// `executionArn`.
    pub execution_arn: String,
    /// `startDate`, epoch seconds with millisecond precision (as the API returns it).
    pub start_date: f64,
}

/// Starts executions with StartExecution's semantics.
pub trait ExecutionStarter: Send + Sync {
    /// `name` defaults to a generated UUID; `input` is the execution input JSON text.
    fn start_execution(
        &self,
        state_machine_arn: &str,
        name: Option<String>,
        input: String,
    ) -> BoxFuture<'_, Result<StartedExecution, AwsError>>;
}

/// A handle to a service that is built after the one holding the handle.
pub struct LateBound<T: ?Sized> {
    inner: OnceLock<Arc<T>>,
}

impl<T: ?Sized> Default for LateBound<T> {
    fn default() -> Self {
        Self {
            inner: OnceLock::new(),
        }
    }
}

impl<T: ?Sized> LateBound<T> {
    /// An empty handle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fills the handle; a second call is ignored (the first binding wins).
    pub fn bind(&self, target: Arc<T>) {
        let _ = self.inner.set(target);
    }

    /// The bound service, if the wiring has run.
    pub fn get(&self) -> Option<&Arc<T>> {
        self.inner.get()
    }
}

fn unbound(what: &str) -> AwsError {
    AwsError::internal(format!("{what} is not wired yet"))
}

impl EventPublisher for LateBound<dyn EventPublisher> {
    fn put_events(&self, entries: Vec<Value>) -> BoxFuture<'_, Result<PutEventsOutcome, AwsError>> {
        match self.get() {
            Some(target) => target.put_events(entries),
            None => Box::pin(async { Err(unbound("EventBridge")) }),
        }
    }

    fn put_events_once(
        &self,
        scope: String,
        key: String,
        entries: Vec<Value>,
    ) -> BoxFuture<'_, Result<PutEventsOutcome, AwsError>> {
        match self.get() {
            Some(target) => target.put_events_once(scope, key, entries),
            None => Box::pin(async { Err(unbound("EventBridge")) }),
        }
    }

    fn put_service_event(&self, event: Value) -> BoxFuture<'_, Result<(), AwsError>> {
        match self.get() {
            Some(target) => target.put_service_event(event),
            None => Box::pin(async { Err(unbound("EventBridge")) }),
        }
    }
}

impl ExecutionStarter for LateBound<dyn ExecutionStarter> {
    fn start_execution(
        &self,
        state_machine_arn: &str,
        name: Option<String>,
        input: String,
    ) -> BoxFuture<'_, Result<StartedExecution, AwsError>> {
        match self.get() {
            Some(target) => target.start_execution(state_machine_arn, name, input),
            None => Box::pin(async { Err(unbound("Step Functions")) }),
        }
    }
}
