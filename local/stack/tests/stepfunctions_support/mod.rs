//! Helpers for the Step Functions tests: the project's template served in-process on a
//! `ManualClock`, a recording EventBridge fake and a scripted Lambda fake.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use emulator::clock::{Clock, ManualClock};
use emulator::lambda::{InvocationType, InvokeOutcome, LambdaError};
use emulator::protocol::JsonService;
use emulator::protocol::error::AwsError;
use emulator::server::{
    self, Extensions, RunningServer, ServerConfig, StateLocation, TemplateSource,
};
use emulator::services::bridge::{BoxFuture, EventPublisher, PutEventsOutcome};
use emulator::services::stepfunctions::{FunctionInvoker, StepFunctionsService};
use emulator::template::TemplateOptions;
use serde_json::{Value, json};

pub const KYC_ARN: &str = "arn:aws:states:us-east-1:000000000000:stateMachine:kyc-onboarding";
pub const START_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// Records what Step Functions puts on the buses.
#[derive(Default)]
pub struct RecordingEvents {
    pub entries: Mutex<Vec<Value>>,
    pub service_events: Mutex<Vec<Value>>,
    /// Detail-types whose entries are rejected (per-entry error, FailedEntryCount > 0).
    pub reject: Mutex<Vec<String>>,
}

impl RecordingEvents {
    pub fn entries(&self) -> Vec<Value> {
        self.entries.lock().unwrap().clone()
    }

    pub fn detail_types(&self) -> Vec<String> {
        self.entries()
            .iter()
            .map(|e| e["DetailType"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// The parsed Detail of the entries with this detail-type.
    pub fn details(&self, detail_type: &str) -> Vec<Value> {
        self.entries()
            .iter()
            .filter(|e| e["DetailType"] == detail_type)
            .map(|e| serde_json::from_str(e["Detail"].as_str().unwrap()).unwrap())
            .collect()
    }

    pub fn service_events(&self) -> Vec<Value> {
        self.service_events.lock().unwrap().clone()
    }
}

impl EventPublisher for RecordingEvents {
    fn put_events(&self, entries: Vec<Value>) -> BoxFuture<'_, Result<PutEventsOutcome, AwsError>> {
        Box::pin(async move {
            let reject = self.reject.lock().unwrap().clone();
            let mut out = Vec::new();
            let mut failed = 0;
            for (i, entry) in entries.into_iter().enumerate() {
                let dt = entry["DetailType"].as_str().unwrap_or("").to_owned();
                if reject.contains(&dt) {
                    failed += 1;
                    out.push(json!({"ErrorCode": "InternalFailure", "ErrorMessage": "rejected by the test"}));
                } else {
                    let n = self.entries.lock().unwrap().len();
                    out.push(json!({"EventId": format!("event-{n}-{i}")}));
                    self.entries.lock().unwrap().push(entry);
                }
            }
            Ok(PutEventsOutcome {
                failed_entry_count: failed,
                entries: out,
            })
        })
    }

    fn put_service_event(&self, event: Value) -> BoxFuture<'_, Result<(), AwsError>> {
        Box::pin(async move {
            self.service_events.lock().unwrap().push(event);
            Ok(())
        })
    }
}

/// What the fake function answers.
pub enum FakeReply {
    Ok(Value),
    FunctionError(Value),
    ApiError(LambdaError),
    /// Never answers.
    Hang,
}

type Script = dyn Fn(&str, &Value) -> FakeReply + Send + Sync;

/// The KYC functions, answering by the application's `scenario` field.
pub struct FakeLambda {
    pub calls: Mutex<Vec<(String, Value)>>,
    script: Box<Script>,
}

impl FakeLambda {
    pub fn new(script: impl Fn(&str, &Value) -> FakeReply + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::new(Vec::new()),
            script: Box::new(script),
        })
    }

    /// identity-check and risk-profile as the scenario says.
    pub fn kyc() -> Arc<Self> {
        Self::new(|function, payload| {
            let scenario = payload["application"]["scenario"]
                .as_str()
                .unwrap_or("approve");
            if function.ends_with(":kyc-identity-check") {
                match scenario {
                    "invalid" => FakeReply::FunctionError(json!({
                        "errorType": "InvalidApplication",
                        "errorMessage": "customerName is missing"
                    })),
                    "identity-decline" => FakeReply::Ok(json!({
                        "applicationId": payload["applicationId"],
                        "identityVerified": false,
                        "checks": {"document": "EXPIRED"},
                        "reasons": ["DocumentExpired"]
                    })),
                    _ => FakeReply::Ok(json!({
                        "applicationId": payload["applicationId"],
                        "identityVerified": true,
                        "checks": {"document": "VALID"},
                        "reasons": []
                    })),
                }
            } else if function.ends_with(":kyc-risk-profile") {
                let (score, level, decision) = match scenario {
                    "risk-decline" => (90, "HIGH", "DECLINE"),
                    "review" => (50, "MEDIUM", "REVIEW"),
                    _ => (10, "LOW", "APPROVE"),
                };
                FakeReply::Ok(json!({
                    "riskScore": score,
                    "riskLevel": level,
                    "decision": decision,
                    "reasons": [format!("score {score}")]
                }))
            } else {
                FakeReply::ApiError(LambdaError::ResourceNotFound {
                    arn: function.to_owned(),
                })
            }
        })
    }

    pub fn calls(&self) -> Vec<(String, Value)> {
        self.calls.lock().unwrap().clone()
    }
}

impl FunctionInvoker for FakeLambda {
    fn invoke(
        &self,
        function: String,
        payload: Vec<u8>,
        _invocation_type: InvocationType,
    ) -> BoxFuture<'_, Result<InvokeOutcome, LambdaError>> {
        Box::pin(async move {
            let payload: Value = serde_json::from_slice(&payload).unwrap();
            self.calls
                .lock()
                .unwrap()
                .push((function.clone(), payload.clone()));
            let outcome = |body: &Value, error: Option<&str>| InvokeOutcome {
                status_code: 200,
                request_id: "req-1".into(),
                payload: Bytes::from(body.to_string()),
                function_error: error.map(str::to_owned),
                log_result: None,
                executed_version: Some("$LATEST".into()),
            };
            match (self.script)(&function, &payload) {
                FakeReply::Ok(v) => Ok(outcome(&v, None)),
                FakeReply::FunctionError(v) => Ok(outcome(&v, Some("Unhandled"))),
                FakeReply::ApiError(e) => Err(e),
                FakeReply::Hang => std::future::pending().await,
            }
        })
    }
}

pub fn project_template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")
}

pub struct Harness {
    pub server: Option<RunningServer>,
    pub svc: Arc<StepFunctionsService>,
    pub events: Arc<RecordingEvents>,
    pub lambda: Arc<FakeLambda>,
    pub clock: Arc<ManualClock>,
}

impl Harness {
    /// The project's template (with `overrides`) on a fresh in-memory stack.
    pub async fn kyc(overrides: &[(&str, &str)]) -> Self {
        Self::start(
            StateLocation::InMemory,
            ManualClock::new(START_MS),
            overrides,
            FakeLambda::kyc(),
        )
        .await
    }

    pub async fn start(
        state: StateLocation,
        clock: Arc<ManualClock>,
        overrides: &[(&str, &str)],
        lambda: Arc<FakeLambda>,
    ) -> Self {
        let invoker: Arc<dyn FunctionInvoker> = lambda.clone();
        Self::start_with_invoker(state, clock, overrides, invoker, lambda).await
    }

    /// Like [`Harness::start`], with any invoker behind `lambda:invoke` (e.g. a real
    /// `LambdaService`); `lambda` is then only a placeholder.
    pub async fn start_with_invoker(
        state: StateLocation,
        clock: Arc<ManualClock>,
        overrides: &[(&str, &str)],
        invoker: Arc<dyn FunctionInvoker>,
        lambda: Arc<FakeLambda>,
    ) -> Self {
        Self::start_inner(state, clock, overrides, invoker, lambda, true, None).await
    }

    /// Like [`Harness::start`] without calling `resume` (a host that forgot it).
    pub async fn start_without_resume(
        state: StateLocation,
        clock: Arc<ManualClock>,
        lambda: Arc<FakeLambda>,
    ) -> Self {
        let invoker: Arc<dyn FunctionInvoker> = lambda.clone();
        Self::start_inner(state, clock, &[], invoker, lambda, false, None).await
    }

    /// Another template (a mutation of the project's) with the permission plane in `iam` mode.
    pub async fn kyc_from(
        template: std::path::PathBuf,
        iam: emulator::permissions::IamMode,
    ) -> Self {
        let lambda = FakeLambda::kyc();
        let invoker: Arc<dyn FunctionInvoker> = lambda.clone();
        Self::start_inner(
            StateLocation::InMemory,
            ManualClock::new(START_MS),
            &[],
            invoker,
            lambda,
            true,
            Some((template, iam)),
        )
        .await
    }

    async fn start_inner(
        state: StateLocation,
        clock: Arc<ManualClock>,
        overrides: &[(&str, &str)],
        invoker: Arc<dyn FunctionInvoker>,
        lambda: Arc<FakeLambda>,
        resume: bool,
        other: Option<(std::path::PathBuf, emulator::permissions::IamMode)>,
    ) -> Self {
        let events = Arc::new(RecordingEvents::default());
        let (path, iam) = other.unwrap_or_else(|| (project_template(), Default::default()));
        let config = ServerConfig {
            port: 0,
            state,
            iam,
            ..ServerConfig::default()
        };
        let template = TemplateSource {
            path,
            options: TemplateOptions {
                stack_name: "kyc".into(),
                parameter_overrides: overrides
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<BTreeMap<_, _>>(),
                ..TemplateOptions::default()
            },
        };
        let built: Arc<Mutex<Option<Arc<StepFunctionsService>>>> = Arc::default();
        let slot = Arc::clone(&built);
        let (ev, la) = (Arc::clone(&events), invoker);
        let shared_clock: Arc<dyn Clock> = clock.clone();
        let server = server::start(config, shared_clock, Some(template), move |stack| {
            let svc = StepFunctionsService::with_invoker(Arc::clone(stack), la, ev);
            *slot.lock().unwrap() = Some(Arc::clone(&svc));
            Extensions {
                services: vec![svc],
                rest: None,
                rest_fronts: Vec::new(),
            }
        })
        .await
        .expect("server starts");
        let svc = built.lock().unwrap().take().unwrap();
        if resume {
            svc.resume().await.unwrap();
        }
        Self {
            server: Some(server),
            svc,
            events,
            lambda,
            clock,
        }
    }

    pub fn stack(&self) -> &Arc<emulator::services::context::Context> {
        &self.server.as_ref().unwrap().stack
    }

    /// Stops the runners and the server (the state directory stays).
    pub async fn stop(mut self) {
        self.svc.shutdown();
        if let Some(server) = self.server.take() {
            server.shutdown().await.unwrap();
        }
    }

    pub async fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        Arc::clone(&self.svc).call(op.to_owned(), input).await
    }

    pub async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input).await {
            Ok(v) => v,
            Err(e) => panic!("{op} failed: {e}"),
        }
    }

    pub async fn err(&self, op: &str, input: Value) -> AwsError {
        match self.call(op, input).await {
            Ok(v) => panic!("{op} succeeded: {v}"),
            Err(e) => e,
        }
    }

    pub async fn start_kyc(&self, name: &str, detail: Value) -> String {
        let out = self
            .ok(
                "StartExecution",
                json!({"stateMachineArn": KYC_ARN, "name": name, "input": json!({"detail": detail}).to_string()}),
            )
            .await;
        out["executionArn"].as_str().unwrap().to_owned()
    }

    pub async fn describe(&self, arn: &str) -> Value {
        self.ok("DescribeExecution", json!({"executionArn": arn}))
            .await
    }

    /// Polls (real time, no clock change) until the execution has `status`.
    pub async fn wait_status(&self, arn: &str, status: &str) -> Value {
        for _ in 0..500 {
            let d = self.describe(arn).await;
            if d["status"] == status {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{arn} never reached {status}: {}", self.describe(arn).await);
    }

    /// Polls until the execution's history holds an event of this type (what a restart resumes
    /// from: a callback token is persisted with `TaskSubmitted`, not when the request goes out).
    pub async fn wait_history_event(&self, arn: &str, event_type: &str) {
        for _ in 0..500 {
            if self
                .history_types(arn)
                .await
                .iter()
                .any(|t| t == event_type)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{arn} never recorded {event_type}");
    }

    /// Polls until an entry with this detail-type was published `count` times.
    pub async fn wait_event(&self, detail_type: &str, count: usize) -> Vec<Value> {
        for _ in 0..500 {
            let d = self.events.details(detail_type);
            if d.len() >= count {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "{detail_type} was not published; got {:?}",
            self.events.detail_types()
        );
    }

    pub async fn history(&self, arn: &str) -> Vec<Value> {
        self.ok(
            "GetExecutionHistory",
            json!({"executionArn": arn, "maxResults": 1000}),
        )
        .await["events"]
            .as_array()
            .unwrap()
            .clone()
    }

    pub async fn history_types(&self, arn: &str) -> Vec<String> {
        self.history(arn)
            .await
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Advances the manual clock and lets the runners react.
    /// Advances the clock `seconds` at a time until the execution has `status` (at most `steps`
    /// times): each retry is scheduled only once the attempt before it has failed, which takes
    /// longer on a loaded machine than one fixed pause.
    pub async fn advance_until_status(
        &self,
        arn: &str,
        status: &str,
        seconds: u64,
        steps: usize,
    ) -> Value {
        for _ in 0..steps {
            let d = self.describe(arn).await;
            if d["status"] == status {
                return d;
            }
            self.advance(seconds).await;
        }
        self.wait_status(arn, status).await
    }

    pub async fn advance(&self, seconds: u64) {
        self.clock.advance(Duration::from_secs(seconds));
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A fresh state directory under the system temp dir.
pub fn temp_state_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kyc-sfn-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// aws-sdk-sfn (1.98) has no setting that turns host prefixes off: this interceptor takes the
/// `sync-` prefix off the request's host before it is sent.
#[derive(Debug)]
pub struct NoHostPrefix;

impl aws_sdk_sfn::config::Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_transmit(
        &self,
        context: &mut aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &aws_sdk_sfn::config::RuntimeComponents,
        _cfg: &mut aws_sdk_sfn::config::ConfigBag,
    ) -> Result<(), aws_sdk_sfn::error::BoxError> {
        let uri = context.request().uri().to_owned();
        if let Some(rest) = uri.strip_prefix("http://sync-") {
            context.request_mut().set_uri(format!("http://{rest}"))?;
        }
        Ok(())
    }
}

pub fn sdk_client(endpoint: &str, strip_prefix: bool) -> aws_sdk_sfn::Client {
    let mut config = aws_sdk_sfn::Config::builder()
        .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
        .region(aws_sdk_sfn::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sfn::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .endpoint_url(endpoint);
    if strip_prefix {
        config = config.interceptor(NoHostPrefix);
    }
    aws_sdk_sfn::Client::from_conf(config.build())
}
