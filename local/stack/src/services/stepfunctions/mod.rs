//! Step Functions (`AWSStepFunctions`, awsJson1_0): state machines, executions and callbacks.
//!
//! - [`StepFunctionsService::new`] builds the service over the [`Context`], a Lambda invoker and an
//!   [`EventPublisher`]; [`StepFunctionsService::resume`] restarts every RUNNING execution found in
//!   the store (call it once at start-up).
//! - `api/`: one type per operation ([`crate::protocol::operation::Operation`]: typed input,
//!   typed output, AWS-shaped errors), registered once by name.
//! - `model.rs`: what the operations, the runtime and the observers share (runner messages,
//!   execution metadata, wire shapes of history).
//! - `runtime.rs`: every execution is a `asl::Execution` owned by one task that advances it,
//!   persists the snapshot, history and task tokens (before anything depending on them is
//!   acknowledged), dispatches tasks and sleeps on the stack's clock until the next timer.
//! - `integrations.rs`: `lambda:invoke`, a bare Lambda ARN, `events:putEvents`, `sqs:sendMessage`
//!   (with `.waitForTaskToken`).
//! - `mocks.rs`: the mock configuration file of Step Functions Local (`serve --mock-config`):
//!   `StartExecution` on `ARN#TestCase` answers the Task states the test case names with mocked
//!   responses (see [`StepFunctionsService::set_mock_config`]).
//! - `observe.rs`: "Step Functions Execution Status Change" events and execution logging to
//!   CloudWatch Logs.

mod api;
mod integrations;
pub mod mocks;
mod model;
mod observe;
mod runtime;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use asl::Definition;
use serde_json::Value;

use crate::lambda::{InvocationType, InvokeOutcome, LambdaError, LambdaService};
use crate::protocol::error::AwsError;
use crate::protocol::{JsonService, Protocol, ServiceFuture};
use crate::services::bridge::{BoxFuture, EventPublisher, ExecutionStarter, StartedExecution};
use crate::services::context::Context;

pub use api::operation_names;
pub use model::RunnerMessage;

/// Runs Lambda functions for the `lambda:invoke` integration (a trait so tests can fake Lambda).
pub trait FunctionInvoker: Send + Sync {
    /// A synchronous (or `Event`) invoke of `function` (name or ARN) with a JSON `payload`.
    fn invoke(
        &self,
        function: String,
        payload: Vec<u8>,
        invocation_type: InvocationType,
    ) -> BoxFuture<'_, Result<InvokeOutcome, LambdaError>>;
}

impl FunctionInvoker for LambdaService {
    fn invoke(
        &self,
        function: String,
        payload: Vec<u8>,
        invocation_type: InvocationType,
    ) -> BoxFuture<'_, Result<InvokeOutcome, LambdaError>> {
        Box::pin(
            async move { LambdaService::invoke(self, &function, payload, invocation_type).await },
        )
    }
}

/// The Step Functions service.
pub struct StepFunctionsService {
    stack: Arc<Context>,
    lambda: Arc<dyn FunctionInvoker>,
    events: Arc<dyn EventPublisher>,
    /// Running executions: execution ARN → the channel of the task that owns it.
    runners: Mutex<HashMap<String, runtime::RunnerHandle>>,
    /// Held while RUNNING executions are resumed from the store: two callbacks arriving at once for
    /// an execution nobody drives yet must not both restore it (two runners, one of them orphaned).
    resuming: tokio::sync::Mutex<()>,
    /// Parsed definitions by definition text (state machines and their executions share them).
    definitions: Mutex<HashMap<String, Arc<Definition>>>,
    me: Weak<StepFunctionsService>,
    /// Woken when an activity task is queued (GetActivityTask's long poll).
    activity_tasks: tokio::sync::Notify,
    /// The mock configuration (`serve --mock-config`), set once before executions run.
    mocks: std::sync::OnceLock<Arc<mocks::MockConfig>>,
}

impl StepFunctionsService {
    /// The service, with Lambda processes behind `lambda:invoke`.
    pub fn new(
        stack: Arc<Context>,
        lambda: LambdaService,
        events: Arc<dyn EventPublisher>,
    ) -> Arc<Self> {
        Self::with_invoker(stack, Arc::new(lambda), events)
    }

    /// The service with any [`FunctionInvoker`] (tests use a fake).
    pub fn with_invoker(
        stack: Arc<Context>,
        lambda: Arc<dyn FunctionInvoker>,
        events: Arc<dyn EventPublisher>,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            stack,
            lambda,
            events,
            runners: Mutex::new(HashMap::new()),
            resuming: tokio::sync::Mutex::new(()),
            definitions: Mutex::new(HashMap::new()),
            me: me.clone(),
            activity_tasks: tokio::sync::Notify::new(),
            mocks: std::sync::OnceLock::new(),
        })
    }

    /// Serves the test cases of a mock configuration: `StartExecution` on `ARN#TestCase`. Set it
    /// before any execution resumes (the stack's assembly does); false when one was set already.
    pub fn set_mock_config(&self, config: mocks::MockConfig) -> bool {
        self.mocks.set(Arc::new(config)).is_ok()
    }

    /// Restarts every RUNNING execution from the store: tasks that were in flight are
    /// dispatched again, token waits keep waiting, timers are re-armed. Returns how many resumed.
    pub async fn resume(&self) -> Result<usize, AwsError> {
        runtime::resume_all(self).await
    }

    /// Stops driving every execution in this process (their state stays in the store, so a new
    /// service on the same store resumes them). Used at shutdown and by restart tests.
    pub fn shutdown(&self) {
        let handles: Vec<runtime::RunnerHandle> = self
            .runners
            .lock()
            .map(|mut r| r.drain().map(|(_, h)| h).collect())
            .unwrap_or_default();
        for handle in handles {
            handle.task.abort();
        }
    }

    /// How many executions are running in this process (tests, progress views).
    pub fn running_count(&self) -> usize {
        self.runners.lock().map_or(0, |r| r.len())
    }

    fn arc(&self) -> Option<Arc<Self>> {
        self.me.upgrade()
    }

    /// Parses (or reuses) a definition.
    fn definition(&self, text: &str) -> Result<Arc<Definition>, AwsError> {
        if let Some(def) = self
            .definitions
            .lock()
            .ok()
            .and_then(|d| d.get(text).cloned())
        {
            return Ok(def);
        }
        let def = Arc::new(
            Definition::parse(text)
                .map_err(|e| AwsError::client("InvalidDefinition", e.to_string()))?,
        );
        if let Ok(mut d) = self.definitions.lock() {
            d.insert(text.to_owned(), Arc::clone(&def));
        }
        Ok(def)
    }
}

impl JsonService for StepFunctionsService {
    fn target_prefix(&self) -> &'static str {
        "AWSStepFunctions"
    }

    fn protocol(&self) -> Protocol {
        Protocol::AwsJson10
    }

    fn max_request_bytes(&self) -> usize {
        // Executions take 256 KiB of input; leave room for the envelope (as AWS's front end does).
        1024 * 1024
    }

    fn call(self: Arc<Self>, operation: String, input: Value) -> ServiceFuture {
        api::call(self, &operation, input)
    }
}

impl ExecutionStarter for StepFunctionsService {
    fn start_execution(
        &self,
        state_machine_arn: &str,
        name: Option<String>,
        input: String,
    ) -> BoxFuture<'_, Result<StartedExecution, AwsError>> {
        let arn = state_machine_arn.to_owned();
        Box::pin(async move {
            let out = api::start_execution_parts(self, &arn, name, Some(input), None).await?;
            Ok(StartedExecution {
                execution_arn: out.0,
                start_date: out.1 as f64 / 1000.0,
            })
        })
    }
}
