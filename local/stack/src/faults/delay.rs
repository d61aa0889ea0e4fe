//! Where service delays apply.
//!
//! A delay of a namespace holds every request to it before the operation runs:
//! - over HTTP: the JSON services are registered wrapped in [`DelayedService`] (the wait happens
//!   after the request is read, before the operation), and Lambda's REST routes carry
//!   [`delay_layer`]; so the AWS CLI, the SDKs and the function processes calling back (the callback
//!   completer's `SendTask*`) all see a slower service;
//! - inside the stack, where one service is the client of another as it is on AWS: Step Functions'
//!   `lambda:invoke` ([`DelayedInvoker`]) and `events:putEvents` ([`DelayedPublisher`]), and
//!   EventBridge starting executions for a rule target ([`DelayedStarter`]). These are the calls that
//!   decide how long a workflow takes, so a slow Lambda or EventBridge shows up in the execution.
//!
//! Not delayed: EventBridge's deliveries to Lambda, log-group and queue targets (asynchronous on
//! AWS too; use a rule-target fault to make them fail) and the functions' log output.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use serde_json::Value;

use super::namespace::Namespace;
use super::service_delays::ServiceDelays;
use crate::clock::SharedClock;
use crate::lambda::{InvocationType, InvokeOutcome, LambdaError};
use crate::protocol::error::AwsError;
use crate::protocol::{JsonService, Protocol, ServiceFuture};
use crate::services::bridge::{
    BoxFuture, EventPublisher, ExecutionStarter, PutEventsOutcome, StartedExecution,
};
use crate::services::stepfunctions::FunctionInvoker;

/// A JSON service whose operations wait out their namespace's delay first.
pub struct DelayedService {
    inner: Arc<dyn JsonService>,
    namespace: Option<Namespace>,
    delays: Arc<ServiceDelays>,
    clock: SharedClock,
}

impl DelayedService {
    /// `inner`, delayed by the delay of its namespace (found from its target prefix).
    pub fn wrap(
        inner: Arc<dyn JsonService>,
        delays: &Arc<ServiceDelays>,
        clock: &SharedClock,
    ) -> Arc<dyn JsonService> {
        Arc::new(Self {
            namespace: Namespace::of_target_prefix(inner.target_prefix()),
            inner,
            delays: Arc::clone(delays),
            clock: Arc::clone(clock),
        })
    }
}

impl JsonService for DelayedService {
    fn target_prefix(&self) -> &'static str {
        self.inner.target_prefix()
    }

    fn protocol(&self) -> Protocol {
        self.inner.protocol()
    }

    fn max_request_bytes(&self) -> usize {
        self.inner.max_request_bytes()
    }

    fn call(self: Arc<Self>, operation: String, input: Value) -> ServiceFuture {
        Box::pin(async move {
            if let Some(namespace) = self.namespace {
                self.delays.pause(namespace, &self.clock).await;
            }
            Arc::clone(&self.inner).call(operation, input).await
        })
    }

    fn decorate_error(&self, error: AwsError) -> AwsError {
        self.inner.decorate_error(error)
    }
}

/// `router` (Lambda's REST API) with the delay of `namespace` before every request.
pub fn delay_layer(
    router: Router,
    namespace: Namespace,
    delays: &Arc<ServiceDelays>,
    clock: &SharedClock,
) -> Router {
    let delays = Arc::clone(delays);
    let clock = Arc::clone(clock);
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let delays = Arc::clone(&delays);
            let clock = Arc::clone(&clock);
            async move {
                delays.pause(namespace, &clock).await;
                next.run(request).await
            }
        },
    ))
}

/// Step Functions' Lambda invoker, delayed like the Lambda API.
pub struct DelayedInvoker {
    inner: Arc<dyn FunctionInvoker>,
    delays: Arc<ServiceDelays>,
    clock: SharedClock,
}

impl DelayedInvoker {
    /// Wraps `inner`.
    pub fn new(
        inner: Arc<dyn FunctionInvoker>,
        delays: &Arc<ServiceDelays>,
        clock: &SharedClock,
    ) -> Self {
        Self {
            inner,
            delays: Arc::clone(delays),
            clock: Arc::clone(clock),
        }
    }
}

impl FunctionInvoker for DelayedInvoker {
    fn invoke(
        &self,
        function: String,
        payload: Vec<u8>,
        invocation_type: InvocationType,
    ) -> BoxFuture<'_, Result<InvokeOutcome, LambdaError>> {
        Box::pin(async move {
            self.delays.pause(Namespace::Lambda, &self.clock).await;
            self.inner.invoke(function, payload, invocation_type).await
        })
    }
}

/// Step Functions' PutEvents, delayed like the EventBridge API. Service events (execution status
/// changes) are AWS's own emissions, not API calls, and are not delayed.
pub struct DelayedPublisher {
    inner: Arc<dyn EventPublisher>,
    delays: Arc<ServiceDelays>,
    clock: SharedClock,
}

impl DelayedPublisher {
    /// Wraps `inner`.
    pub fn new(
        inner: Arc<dyn EventPublisher>,
        delays: &Arc<ServiceDelays>,
        clock: &SharedClock,
    ) -> Self {
        Self {
            inner,
            delays: Arc::clone(delays),
            clock: Arc::clone(clock),
        }
    }
}

impl EventPublisher for DelayedPublisher {
    fn put_events(&self, entries: Vec<Value>) -> BoxFuture<'_, Result<PutEventsOutcome, AwsError>> {
        Box::pin(async move {
            self.delays.pause(Namespace::Events, &self.clock).await;
            self.inner.put_events(entries).await
        })
    }

    fn put_service_event(&self, event: Value) -> BoxFuture<'_, Result<(), AwsError>> {
        self.inner.put_service_event(event)
    }
}

/// EventBridge's StartExecution (state machine targets), delayed like the Step Functions API.
pub struct DelayedStarter {
    inner: Arc<dyn ExecutionStarter>,
    delays: Arc<ServiceDelays>,
    clock: SharedClock,
}

impl DelayedStarter {
    /// Wraps `inner`.
    pub fn new(
        inner: Arc<dyn ExecutionStarter>,
        delays: &Arc<ServiceDelays>,
        clock: &SharedClock,
    ) -> Self {
        Self {
            inner,
            delays: Arc::clone(delays),
            clock: Arc::clone(clock),
        }
    }
}

impl ExecutionStarter for DelayedStarter {
    fn start_execution(
        &self,
        state_machine_arn: &str,
        name: Option<String>,
        input: String,
    ) -> BoxFuture<'_, Result<StartedExecution, AwsError>> {
        let arn = state_machine_arn.to_owned();
        Box::pin(async move {
            self.delays
                .pause(Namespace::StepFunctions, &self.clock)
                .await;
            self.inner.start_execution(&arn, name, input).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Mutex;
    use std::time::Duration;

    /// Records what reached it; answers at once.
    #[derive(Default)]
    struct Inner {
        calls: Mutex<Vec<&'static str>>,
    }

    impl FunctionInvoker for Inner {
        fn invoke(
            &self,
            _function: String,
            _payload: Vec<u8>,
            _invocation_type: InvocationType,
        ) -> BoxFuture<'_, Result<InvokeOutcome, LambdaError>> {
            self.calls.lock().unwrap().push("invoke");
            Box::pin(async { Err(LambdaError::Service("fake".into())) })
        }
    }

    impl EventPublisher for Inner {
        fn put_events(
            &self,
            _entries: Vec<Value>,
        ) -> BoxFuture<'_, Result<PutEventsOutcome, AwsError>> {
            self.calls.lock().unwrap().push("put_events");
            Box::pin(async {
                Ok(PutEventsOutcome {
                    failed_entry_count: 0,
                    entries: Vec::new(),
                })
            })
        }

        fn put_service_event(&self, _event: Value) -> BoxFuture<'_, Result<(), AwsError>> {
            self.calls.lock().unwrap().push("put_service_event");
            Box::pin(async { Ok(()) })
        }
    }

    impl ExecutionStarter for Inner {
        fn start_execution(
            &self,
            _state_machine_arn: &str,
            _name: Option<String>,
            _input: String,
        ) -> BoxFuture<'_, Result<StartedExecution, AwsError>> {
            self.calls.lock().unwrap().push("start_execution");
            Box::pin(async {
                Ok(StartedExecution {
                    execution_arn: "arn".into(),
                    start_date: 0.0,
                })
            })
        }
    }

    fn delays(namespace: Namespace) -> Arc<ServiceDelays> {
        let delays = Arc::new(ServiceDelays::default());
        delays.lock_write().insert(
            namespace,
            super::super::service_delays::DelayEntry {
                id: 1,
                base: Duration::from_secs(10),
                jitter: Duration::ZERO,
            },
        );
        delays
    }

    /// The calls a wrapper makes wait for the clock; the inner service sees them only afterwards.
    #[tokio::test]
    async fn internal_calls_wait_for_their_namespace_delay() {
        let clock = ManualClock::new(0);
        let shared: SharedClock = clock.clone();
        let inner = Arc::new(Inner::default());

        let invoker = Arc::new(DelayedInvoker::new(
            Arc::clone(&inner) as Arc<dyn FunctionInvoker>,
            &delays(Namespace::Lambda),
            &shared,
        ));
        let publisher = Arc::new(DelayedPublisher::new(
            Arc::clone(&inner) as Arc<dyn EventPublisher>,
            &delays(Namespace::Events),
            &shared,
        ));
        let starter = Arc::new(DelayedStarter::new(
            Arc::clone(&inner) as Arc<dyn ExecutionStarter>,
            &delays(Namespace::StepFunctions),
            &shared,
        ));
        // Service events are not API calls: not delayed.
        publisher.put_service_event(Value::Null).await.unwrap();
        let tasks = vec![
            tokio::spawn({
                let invoker = Arc::clone(&invoker);
                async move {
                    let _ = invoker
                        .invoke("f".into(), Vec::new(), InvocationType::RequestResponse)
                        .await;
                }
            }),
            tokio::spawn({
                let publisher = Arc::clone(&publisher);
                async move {
                    let _ = publisher.put_events(Vec::new()).await;
                }
            }),
            tokio::spawn({
                let starter = Arc::clone(&starter);
                async move {
                    let _ = starter.start_execution("sm", None, "{}".into()).await;
                }
            }),
        ];
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(*inner.calls.lock().unwrap(), ["put_service_event"]);
        clock.advance(Duration::from_secs(10));
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .unwrap()
                .unwrap();
        }
        let mut calls = inner.calls.lock().unwrap().clone();
        calls.sort_unstable();
        assert_eq!(
            calls,
            [
                "invoke",
                "put_events",
                "put_service_event",
                "start_execution"
            ]
        );
    }
}
