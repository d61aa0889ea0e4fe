//! Shared helpers of the EventBridge tests: an in-process stack (manual clock)
//! with the EventBridge service, a recording `ExecutionStarter`, and calls into
//! the Logs and SQS services to see what targets received.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use emulator::clock::ManualClock;
use emulator::lambda::{LambdaConfig, LambdaService, MemoryDeadLetterSink, MemoryLogSink};
use emulator::protocol::JsonService;
use emulator::protocol::error::AwsError;
use emulator::server::{
    self, Extensions, RunningServer, ServerConfig, StateLocation, TemplateSource,
};
use emulator::services::bridge::{BoxFuture, ExecutionStarter, StartedExecution};
use emulator::services::events::EventsService;
use emulator::template::TemplateOptions;
use serde_json::{Value, json};

/// Start of the manual clock: 2026-01-01T00:00:00Z.
pub const T0: i64 = 1_767_225_600_000;

/// A StartExecution call the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct StartCall {
    pub state_machine_arn: String,
    pub name: Option<String>,
    pub input: String,
}

/// Records StartExecution calls; fails the next `fail_next` calls with `error`.
#[derive(Default)]
pub struct FakeStarter {
    pub calls: Mutex<Vec<StartCall>>,
    pub failures: Mutex<Vec<AwsError>>,
}

impl FakeStarter {
    pub fn calls(&self) -> Vec<StartCall> {
        self.calls.lock().unwrap().clone()
    }

    pub fn fail_next(&self, error: AwsError, times: usize) {
        let mut f = self.failures.lock().unwrap();
        for _ in 0..times {
            f.push(error.clone());
        }
    }
}

impl ExecutionStarter for FakeStarter {
    fn start_execution(
        &self,
        state_machine_arn: &str,
        name: Option<String>,
        input: String,
    ) -> BoxFuture<'_, Result<StartedExecution, AwsError>> {
        let arn = state_machine_arn.to_owned();
        Box::pin(async move {
            if let Some(err) = self.failures.lock().unwrap().pop() {
                return Err(err);
            }
            let mut calls = self.calls.lock().unwrap();
            calls.push(StartCall {
                state_machine_arn: arn.clone(),
                name,
                input,
            });
            Ok(StartedExecution {
                execution_arn: format!("{arn}:exec-{}", calls.len())
                    .replace(":stateMachine:", ":execution:"),
                start_date: 0.0,
            })
        })
    }
}

pub struct Harness {
    pub server: RunningServer,
    pub events: Arc<EventsService>,
    pub starter: Arc<FakeStarter>,
    pub clock: Arc<ManualClock>,
}

/// The project's template (repository root).
pub fn project_template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")
}

/// A file of the project's `events/` folder.
pub fn project_events(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn lambda() -> LambdaService {
    LambdaService::new(
        LambdaConfig::default(),
        Arc::new(MemoryLogSink::new()),
        Arc::new(MemoryDeadLetterSink::new()),
    )
}

/// A stack with the EventBridge service (not resumed: call `resume` to start deliveries).
pub async fn start_with(
    state: StateLocation,
    template: Option<PathBuf>,
    clock: Arc<ManualClock>,
) -> Harness {
    start_with_lambda(state, template, clock, lambda()).await
}

/// Like [`start_with`], with Lambda targets invoked through `lambda`.
pub async fn start_with_lambda(
    state: StateLocation,
    template: Option<PathBuf>,
    clock: Arc<ManualClock>,
    lambda: LambdaService,
) -> Harness {
    let starter = Arc::new(FakeStarter::default());
    let config = ServerConfig {
        port: 0,
        state,
        ..ServerConfig::default()
    };
    let template = template.map(|path| TemplateSource {
        path,
        options: TemplateOptions {
            stack_name: "kyc".into(),
            ..TemplateOptions::default()
        },
    });
    let mut slot = None;
    let starter_dyn: Arc<dyn ExecutionStarter> = starter.clone();
    let server = server::start(config, clock.clone(), template, |stack| {
        let events = EventsService::new(Arc::clone(stack), lambda, starter_dyn);
        slot = Some(Arc::clone(&events));
        Extensions {
            services: vec![events],
            rest: None,
            rest_fronts: Vec::new(),
        }
    })
    .await
    .expect("server starts");
    Harness {
        server,
        events: slot.unwrap(),
        starter,
        clock,
    }
}

/// In memory, resumed, with or without the project's template.
pub async fn start(template: bool) -> Harness {
    let h = start_with(
        StateLocation::InMemory,
        template.then(project_template),
        ManualClock::new(T0),
    )
    .await;
    h.events.resume().await.unwrap();
    h
}

impl Harness {
    /// An EventBridge operation, as the wire would carry it.
    pub async fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        Arc::clone(&self.events).call(op.to_owned(), input).await
    }

    /// An operation that must succeed.
    pub async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input).await {
            Ok(v) => v,
            Err(e) => panic!("{op} failed: {e}"),
        }
    }

    /// An operation that must fail: (code, message).
    pub async fn err(&self, op: &str, input: Value) -> (String, String) {
        match self.call(op, input).await {
            Ok(v) => panic!("{op} succeeded: {v}"),
            Err(e) => (e.code, e.message.unwrap_or_default()),
        }
    }

    /// Lets due deliveries run.
    pub async fn settle(&self) {
        tokio::time::timeout(Duration::from_secs(10), self.events.wait_idle())
            .await
            .expect("deliveries settle");
    }

    /// Moves the clock and lets what came due run.
    pub async fn advance(&self, by: Duration) {
        self.clock.advance(by);
        tokio::task::yield_now().await;
        self.settle().await;
    }

    /// Every log event of a group: (stream, timestamp, message).
    pub async fn log_events(&self, group: &str) -> Vec<(String, i64, String)> {
        let out = Arc::clone(&self.server.stack.logs)
            .call("FilterLogEvents".into(), json!({ "logGroupName": group }))
            .await
            .unwrap();
        out["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["logStreamName"].as_str().unwrap().to_owned(),
                    e["timestamp"].as_i64().unwrap(),
                    e["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// Creates a queue (for DLQs and SQS targets); returns its ARN.
    pub async fn queue(&self, name: &str) -> String {
        self.server
            .stack
            .sqs
            .ensure_queue(name, Default::default())
            .await
            .unwrap();
        self.server.stack.sqs.queue_arn(name)
    }

    /// Receives up to 10 messages of a queue with all their attributes.
    pub async fn receive(&self, name: &str) -> Vec<Value> {
        let url = self.server.stack.sqs.queue_url(name);
        let out = Arc::clone(&self.server.stack.sqs)
            .call(
                "ReceiveMessage".into(),
                json!({ "QueueUrl": url, "MaxNumberOfMessages": 10, "MessageAttributeNames": ["All"] }),
            )
            .await
            .unwrap();
        out.get("Messages")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }
}

/// The string value of a message attribute.
pub fn attribute(message: &Value, name: &str) -> Option<String> {
    message["MessageAttributes"][name]["StringValue"]
        .as_str()
        .map(str::to_owned)
}
