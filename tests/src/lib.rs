//! Whole-flow tests of the KYC stack: the harness.
//!
//! The scenarios (`tests/flow.rs`) talk to the stack only through the real AWS SDK clients
//! (`aws-sdk-eventbridge`, `aws-sdk-sfn`, `aws-sdk-cloudwatchlogs`), so the same code runs against
//! two kinds of [`Target`]:
//!
//! - [`Target::local`]: kyc-local started in this process on an ephemeral port of 127.0.0.1, with the
//!   repository's `template.yaml` (parameter overrides per scenario), state in a fresh directory, the
//!   function binaries built once per test run ([`ensure_functions_built`]); the clients use
//!   `endpoint_url` = the stack's endpoint, dummy credentials and region `us-east-1`;
//! - [`Target::deployed`]: a stack deployed with `sam deploy`, named by the environment variables in
//!   [`DEPLOYED_ENV`] (its outputs), with credentials and region from the usual AWS chain.
//!
//! What every scenario checks goes through here: the terminal event of an application in the accounts
//! log group ([`Target::terminal_event`]), its execution's status and the states it visited
//! ([`Target::execution_of`], [`Target::visited_states`]), the status-change logger's lines
//! ([`Target::check_status_logger`]), and the invariants ([`Target::check_invariants`]): every
//! accepted application ends in exactly one terminal event, and none of the personal data the
//! scenario sent (kept in a [`Ledger`]) appears in any log group of the stack.
//!
//! This is test support: it panics, with what it saw, when the stack does not do what a scenario
//! needs. Every wait is bounded ([`WAIT`]) and polls; nothing sleeps in place of an assertion.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_sfn::config::Credentials;
use emulator::assemble::{self, Stack};
use emulator::clock::SystemClock;
use emulator::functions::BinaryLocator;
use emulator::lambda::LambdaConfig;
use emulator::server::{ServerConfig, StateLocation, TemplateSource};
use emulator::template::{DEFAULT_ACCOUNT_ID, DEFAULT_REGION, StackModel, TemplateOptions};
use serde_json::{Value, json};

/// The longest any single wait lasts (an event to show up, an execution to finish).
pub const WAIT: Duration = Duration::from_secs(60);

/// The terminal detail-types: every New account requested ends in exactly one of them.
pub const TERMINAL: [&str; 3] = kyc_local::bench::TERMINAL;

/// Environment variables that select and describe a deployed stack (the stack's outputs), with
/// what each one is. `AWS_REGION` / `AWS_PROFILE` / credentials come from the usual AWS chain.
pub const DEPLOYED_ENV: [(&str, &str); 5] = [
    ("KYC_EVENT_BUS_NAME", "output EventBusName"),
    ("KYC_STATE_MACHINE_ARN", "output StateMachineArn"),
    ("KYC_ACCOUNTS_LOG_GROUP", "output AccountsLogGroupName"),
    (
        "KYC_CUSTOMER_SERVICE_LOG_GROUP",
        "output CustomerServiceLogGroupName",
    ),
    (
        "KYC_STATUS_LOGGER_LOG_GROUP",
        "/aws/lambda/<output StatusChangeLoggerFunctionName>",
    ),
];

/// Optional for a deployed stack: `InstancePrefix` it was deployed with (default `kyc`); the log
/// groups whose name contains `/<prefix>/` or `/<prefix>-` are the stack's.
pub const DEPLOYED_PREFIX_ENV: &str = "KYC_INSTANCE_PREFIX";
/// Optional for a deployed stack: its `ReviewHeartbeatSeconds` (the timeout scenarios need it).
pub const DEPLOYED_HEARTBEAT_ENV: &str = "KYC_REVIEW_HEARTBEAT_SECONDS";
/// Optional for a deployed stack: its `ReviewTimeoutSeconds` (the timeout scenarios need it).
pub const DEPLOYED_TIMEOUT_ENV: &str = "KYC_REVIEW_TIMEOUT_SECONDS";

/// Optional: a directory of prebuilt function binaries; when set, the local tests build nothing.
pub const FUNCTIONS_DIR_ENV: &str = "KYC_FUNCTIONS_DIR";

/// The repository root (`tests/` sits in it).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A unique id for this test run's applications (`flow-<label>-<uuid>`), so tests can share a
/// deployed stack.
pub fn unique_id(label: &str) -> String {
    format!("flow-{label}-{}", uuid::Uuid::new_v4().simple())
}

fn template_path() -> PathBuf {
    repo_root().join("template.yaml")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// Builds the template's function binaries (`cargo build --profile stack --bin ...`) once per test
/// run. nextest runs every test in its own process: the first process of a run builds under a file
/// lock and leaves a stamp named after `NEXTEST_RUN_ID`; the others find the stamp and skip cargo.
/// Without nextest, once per process (cargo itself is quick when nothing changed).
pub fn ensure_functions_built(model: &StackModel) {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let dir = target_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let lock_path = dir.join(".kyc-tests-functions.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| format!("opening {}: {e}", lock_path.display()))?;
        lock.lock()
            .map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
        let stamp = std::env::var("NEXTEST_RUN_ID")
            .ok()
            .map(|run| dir.join(format!(".kyc-tests-functions-built-{run}")));
        if stamp.as_ref().is_some_and(|s| s.exists()) {
            return Ok(());
        }
        assemble::build_functions(&repo_root(), model)?;
        if let Some(stamp) = stamp {
            std::fs::write(&stamp, b"built\n")
                .map_err(|e| format!("writing {}: {e}", stamp.display()))?;
        }
        Ok(())
    });
    if let Err(e) = built {
        panic!("building the function binaries: {e}");
    }
}

/// How to start kyc-local for one scenario.
#[derive(Debug, Clone, Default)]
pub struct LocalOptions {
    /// Template parameters (`ReviewHeartbeatSeconds`, `ReviewTimeoutSeconds`, ...).
    pub parameter_overrides: Vec<(String, String)>,
    /// Step Functions Local's mock configuration, as `kyc-local serve --mock-config FILE` reads it.
    /// The function binaries are then not built: the test cases call no function.
    pub mock_config: Option<PathBuf>,
}

impl LocalOptions {
    /// The template's defaults.
    pub fn defaults() -> Self {
        Self::default()
    }

    /// The template's defaults, with the mock configuration `file` (`serve --mock-config`).
    pub fn mocked(file: PathBuf) -> Self {
        Self {
            mock_config: Some(file),
            ..Self::default()
        }
    }

    /// Short review timers, for the timeout and heartbeat scenarios.
    pub fn review_timing(timing: ReviewTiming) -> Self {
        Self {
            mock_config: None,
            parameter_overrides: vec![
                (
                    "ReviewHeartbeatSeconds".to_owned(),
                    timing.heartbeat_seconds.to_string(),
                ),
                (
                    "ReviewTimeoutSeconds".to_owned(),
                    timing.timeout_seconds.to_string(),
                ),
            ],
        }
    }
}

/// `HeartbeatSeconds` / `TimeoutSeconds` of the manual-review task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewTiming {
    /// `ReviewHeartbeatSeconds`.
    pub heartbeat_seconds: u64,
    /// `ReviewTimeoutSeconds`.
    pub timeout_seconds: u64,
}

/// The names of the stack's resources the scenarios use (the template's outputs).
#[derive(Debug, Clone)]
pub struct StackNames {
    /// The custom bus.
    pub event_bus_name: String,
    /// The KYC state machine.
    pub state_machine_arn: String,
    /// Every com.aws.kyc event.
    pub accounts_log_group: String,
    /// Reviews (with task tokens) and outcomes.
    pub customer_service_log_group: String,
    /// `/aws/lambda/<status-change-logger>`.
    pub status_logger_log_group: String,
    /// `/aws/lambda/<callback-completer>`, when known.
    pub callback_completer_log_group: Option<String>,
    /// `InstancePrefix`: which log groups of the account are the stack's.
    pub instance_prefix: String,
}

/// A local stack and the directory its state lives in.
struct LocalStack {
    stack: Option<Stack>,
    state_dir: PathBuf,
    options: LocalOptions,
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

/// The stack the scenarios run against, and the SDK clients that reach it.
pub struct Target {
    names: StackNames,
    /// EventBridge.
    pub events: aws_sdk_eventbridge::Client,
    /// Step Functions.
    pub sfn: aws_sdk_sfn::Client,
    /// CloudWatch Logs.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    local: Option<LocalStack>,
    review_timing: Option<ReviewTiming>,
    poll: Duration,
    started_ms: i64,
}

/// Start a local stack, or say why not.
async fn start_local(
    state_dir: &Path,
    options: &LocalOptions,
) -> Result<(Stack, StackModel), String> {
    let template_options = TemplateOptions {
        // The template uses no AWS::StackName: kyc-local's default name changes no resource name.
        stack_name: kyc_local::STACK_NAME.to_owned(),
        parameter_overrides: options.parameter_overrides.iter().cloned().collect(),
        ..TemplateOptions::default()
    };
    let model = emulator::template::load(&template_path(), &template_options)
        .unwrap_or_else(|e| panic!("loading template.yaml: {e}"));
    // `KYC_FUNCTIONS_DIR`: function binaries built elsewhere (a CI cache, `sam build` output):
    // used as they are, nothing is built.
    let prebuilt: Vec<PathBuf> = std::env::var_os(FUNCTIONS_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .collect();
    let mock_config = match &options.mock_config {
        Some(file) => Some(kyc_local::mocks::read_mock_config(file)?),
        None => None,
    };
    if prebuilt.is_empty() && mock_config.is_none() {
        ensure_functions_built(&model);
    }
    let config = ServerConfig {
        bind: std::net::Ipv4Addr::LOCALHOST.into(),
        port: 0,
        state: StateLocation::Directory(state_dir.to_path_buf()),
        region: DEFAULT_REGION.to_owned(),
        account_id: DEFAULT_ACCOUNT_ID.to_owned(),
        // The permission plane as `serve` runs it: what AWS would deny fails here too.
        iam: emulator::permissions::IamMode::Enforce,
        allowed_hosts: Vec::new(),
        cors_origins: Vec::new(),
        ..ServerConfig::default()
    };
    let locator = BinaryLocator::new(&repo_root(), &prebuilt);
    let stack = assemble::start_with_options(
        config,
        Arc::new(SystemClock),
        Some(TemplateSource {
            path: template_path(),
            options: template_options,
        }),
        &locator,
        LambdaConfig::default(),
        assemble::StartOptions {
            mock_config,
            ..assemble::StartOptions::default()
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    for note in &stack.notes {
        // Missing function binaries show up here; the scenario then fails with what it saw.
        eprintln!("kyc-local note: {note}");
    }
    Ok((stack, model))
}

async fn local_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(DEFAULT_REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "kyc-tests"))
        .load()
        .await
}

fn output(model: &StackModel, key: &str) -> String {
    model
        .outputs
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("template.yaml has no output {key}"))
}

fn local_names(model: &StackModel) -> StackNames {
    let targets =
        kyc_local::demo::DemoTargets::from_template(model).unwrap_or_else(|e| panic!("{e}"));
    let prefix = model
        .outputs
        .get("StateMachineName")
        .and_then(|v| v.as_str())
        .and_then(|n| n.strip_suffix("-onboarding"))
        .unwrap_or("kyc")
        .to_owned();
    StackNames {
        event_bus_name: targets.event_bus_name,
        state_machine_arn: targets.state_machine_arn,
        accounts_log_group: targets.accounts_log_group,
        customer_service_log_group: targets.customer_service_log_group,
        status_logger_log_group: format!(
            "/aws/lambda/{}",
            output(model, "StatusChangeLoggerFunctionName")
        ),
        callback_completer_log_group: Some(format!(
            "/aws/lambda/{}",
            output(model, "CallbackCompleterFunctionName")
        )),
        instance_prefix: prefix,
    }
}

impl Target {
    /// kyc-local with `template.yaml`, on an ephemeral port, state in a fresh directory.
    pub async fn local(options: LocalOptions) -> Target {
        let state_dir =
            std::env::temp_dir().join(format!("kyc-tests-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&state_dir)
            .unwrap_or_else(|e| panic!("creating {}: {e}", state_dir.display()));
        let (stack, model) = start_local(&state_dir, &options)
            .await
            .unwrap_or_else(|e| panic!("starting kyc-local: {e}"));
        let config = local_config(stack.endpoint()).await;
        let review_timing = review_timing_of(&options);
        Target {
            names: local_names(&model),
            events: aws_sdk_eventbridge::Client::new(&config),
            sfn: aws_sdk_sfn::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            local: Some(LocalStack {
                stack: Some(stack),
                state_dir,
                options,
            }),
            review_timing,
            poll: Duration::from_millis(100),
            started_ms: now_ms(),
        }
    }

    /// The deployed stack the environment names, or why there is none (the missing variables).
    pub async fn deployed() -> Result<Target, String> {
        let missing: Vec<String> = DEPLOYED_ENV
            .iter()
            .filter(|(name, _)| std::env::var(name).map_or(true, |v| v.is_empty()))
            .map(|(name, what)| format!("{name} ({what})"))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "no deployed stack: set {} (see tests/README.md)",
                missing.join(", ")
            ));
        }
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        let seconds = |name: &str| -> Result<Option<u64>, String> {
            match std::env::var(name) {
                Ok(v) if !v.is_empty() => v
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name}={v} is not a number of seconds")),
                _ => Ok(None),
            }
        };
        let review_timing = match (
            seconds(DEPLOYED_HEARTBEAT_ENV)?,
            seconds(DEPLOYED_TIMEOUT_ENV)?,
        ) {
            (Some(heartbeat_seconds), Some(timeout_seconds)) => Some(ReviewTiming {
                heartbeat_seconds,
                timeout_seconds,
            }),
            _ => None,
        };
        let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
        let prefix = std::env::var(DEPLOYED_PREFIX_ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "kyc".to_owned());
        Ok(Target {
            names: StackNames {
                event_bus_name: var("KYC_EVENT_BUS_NAME"),
                state_machine_arn: var("KYC_STATE_MACHINE_ARN"),
                accounts_log_group: var("KYC_ACCOUNTS_LOG_GROUP"),
                customer_service_log_group: var("KYC_CUSTOMER_SERVICE_LOG_GROUP"),
                status_logger_log_group: var("KYC_STATUS_LOGGER_LOG_GROUP"),
                callback_completer_log_group: std::env::var("KYC_CALLBACK_COMPLETER_LOG_GROUP")
                    .ok()
                    .filter(|g| !g.is_empty()),
                instance_prefix: prefix,
            },
            events: aws_sdk_eventbridge::Client::new(&config),
            sfn: aws_sdk_sfn::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            local: None,
            review_timing,
            poll: Duration::from_secs(1),
            started_ms: now_ms(),
        })
    }

    /// [`Target::deployed`], failing the test with the reason when no stack is configured (the
    /// deployed variants are `#[ignore]`d: asked for explicitly, they must not pass without a stack).
    pub async fn deployed_or_fail() -> Target {
        match Target::deployed().await {
            Ok(target) => target,
            Err(reason) => panic!("{reason}"),
        }
    }

    /// The stack's names.
    pub fn names(&self) -> &StackNames {
        &self.names
    }

    /// Whether this is kyc-local.
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    /// The review timers of the stack, when known (always for kyc-local; for a deployed stack,
    /// from [`DEPLOYED_HEARTBEAT_ENV`] / [`DEPLOYED_TIMEOUT_ENV`]).
    pub fn review_timing(&self) -> Option<ReviewTiming> {
        self.review_timing
    }

    /// The pause between two polls.
    pub fn poll_interval(&self) -> Duration {
        self.poll
    }

    /// kyc-local only: stops the stack (state stays in its directory) and starts it again on a new
    /// port with the same state, then points the clients at it.
    pub async fn restart_local(&mut self) {
        let Some(local) = self.local.as_mut() else {
            panic!("restart_local needs kyc-local");
        };
        if let Some(stack) = local.stack.take() {
            stack
                .shutdown()
                .await
                .unwrap_or_else(|e| panic!("stopping kyc-local: {e}"));
        }
        let (stack, _) = start_local(&local.state_dir, &local.options)
            .await
            .unwrap_or_else(|e| {
                panic!("starting kyc-local again on the state directory of the stopped one: {e}")
            });
        let config = local_config(stack.endpoint()).await;
        local.stack = Some(stack);
        self.events = aws_sdk_eventbridge::Client::new(&config);
        self.sfn = aws_sdk_sfn::Client::new(&config);
        self.logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    }

    /// kyc-local only: how many instances of the function `name` started and how many invocations
    /// ran on them (None for a deployed stack or an unknown function).
    pub fn local_function_stats(&self, name: &str) -> Option<emulator::lambda::FunctionStats> {
        self.local
            .as_ref()
            .and_then(|l| l.stack.as_ref())
            .and_then(|s| s.lambda.function_stats(name))
    }

    /// The kyc-local endpoint, when local.
    pub fn local_endpoint(&self) -> Option<String> {
        self.local
            .as_ref()
            .and_then(|l| l.stack.as_ref())
            .map(|s| s.endpoint().to_owned())
    }

    /// Stops kyc-local (a no-op for a deployed stack).
    pub async fn stop(mut self) {
        if let Some(local) = self.local.as_mut()
            && let Some(stack) = local.stack.take()
        {
            let _ = stack.shutdown().await;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Putting events
    // ---------------------------------------------------------------------------------------------

    /// A PutEvents entry for this stack's bus.
    pub fn entry(&self, source: &str, detail_type: &str, detail: &Value) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .source(source)
            .detail_type(detail_type)
            .detail(detail.to_string())
            .event_bus_name(&self.names.event_bus_name)
            .build()
    }

    /// Puts `entries` in one call and returns the SDK's answer.
    pub async fn put_events(
        &self,
        entries: Vec<PutEventsRequestEntry>,
    ) -> aws_sdk_eventbridge::operation::put_events::PutEventsOutput {
        self.events
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutEvents: {}", sdk_error(&e)))
    }

    /// Puts New account requested applications (one call, at most 10), records their personal data
    /// in `ledger`, and returns one [`Submitted`] each. Panics if any entry is refused.
    pub async fn submit(&self, ledger: &Ledger, details: &[Value]) -> Vec<Submitted> {
        let entries = details
            .iter()
            .map(|d| self.entry("com.aws.accounts", "New account requested", d))
            .collect();
        for detail in details {
            ledger.personal_data_of(detail);
        }
        let sent_ms = now_ms();
        let out = self.put_events(entries).await;
        assert_eq!(
            out.failed_entry_count(),
            0,
            "PutEvents refused applications: {:?}",
            out.entries()
        );
        let submitted: Vec<Submitted> = out
            .entries()
            .iter()
            .zip(details)
            .map(|(result, detail)| Submitted {
                event_id: result.event_id().unwrap_or_default().to_owned(),
                application_id: detail["applicationId"].as_str().map(str::to_owned),
                sent_ms,
            })
            .collect();
        for s in &submitted {
            ledger.accepted(s.clone());
        }
        submitted
    }

    /// Puts a reviewer's event (source com.aws.review).
    pub async fn put_review_event(&self, detail_type: &str, detail: Value) {
        let out = self
            .put_events(vec![self.entry("com.aws.review", detail_type, &detail)])
            .await;
        assert_eq!(
            out.failed_entry_count(),
            0,
            "PutEvents refused the {detail_type} event: {:?}",
            out.entries()
        );
    }

    // ---------------------------------------------------------------------------------------------
    // Reading log groups
    // ---------------------------------------------------------------------------------------------

    /// Every event of `group` since `since_ms` (FilterLogEvents, all pages), optionally narrowed by
    /// a filter pattern. A group that does not exist (yet) has no events.
    pub async fn log_events(
        &self,
        group: &str,
        since_ms: i64,
        pattern: Option<&str>,
    ) -> Vec<LogLine> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .logs
                .filter_log_events()
                .log_group_name(group)
                .start_time(since_ms)
                .set_filter_pattern(pattern.map(str::to_owned))
                .set_next_token(token.clone())
                .send()
                .await;
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    let e = e.into_service_error();
                    if e.is_resource_not_found_exception() {
                        break;
                    }
                    panic!("FilterLogEvents {group}: {}", service_error(&e));
                }
            };
            for event in page.events() {
                out.push(LogLine {
                    event_id: event.event_id().unwrap_or_default().to_owned(),
                    timestamp: event.timestamp().unwrap_or_default(),
                    message: event.message().unwrap_or_default().to_owned(),
                });
            }
            match page.next_token() {
                Some(t) if Some(t) != token.as_deref() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        out
    }

    /// The events (parsed JSON messages) of `group` about `application_id`, since the target started.
    pub async fn events_of(&self, group: &str, application_id: &str) -> Vec<Value> {
        let pattern = format!("{{ $.detail.applicationId = \"{application_id}\" }}");
        self.log_events(group, self.window_start(), Some(&pattern))
            .await
            .into_iter()
            .filter_map(|l| serde_json::from_str::<Value>(&l.message).ok())
            .filter(|v| v["detail"]["applicationId"] == application_id)
            .collect()
    }

    /// Log reads start here: when the target started, floored to the second (EventBridge's `time`,
    /// the log events' timestamp, has second precision) with a margin for clock skew.
    fn window_start(&self) -> i64 {
        self.started_ms.div_euclid(1000) * 1000 - 60_000
    }

    /// Polls `probe` every [`Target::poll_interval`] until it returns `Ok`, for at most `limit`;
    /// panics with `what` and the last thing the probe saw.
    pub async fn wait_until<T, F, Fut>(&self, what: &str, limit: Duration, probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, String>>,
    {
        match self.poll_until(limit, probe).await {
            Ok(value) => value,
            Err(seen) => panic!("waited {} s for {what}; last seen: {seen}", limit.as_secs()),
        }
    }

    /// Polls `probe` every [`Target::poll_interval`] until it returns `Ok`, for at most `limit`;
    /// `Err` with the last thing the probe saw.
    async fn poll_until<T, F, Fut>(&self, limit: Duration, mut probe: F) -> Result<T, String>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, String>>,
    {
        let deadline = Instant::now() + limit;
        loop {
            match probe().await {
                Ok(value) => return Ok(value),
                Err(seen) if Instant::now() >= deadline => return Err(seen),
                Err(_) => tokio::time::sleep(self.poll).await,
            }
        }
    }

    /// What the stack says about `application_id`'s executions (status, the last history events),
    /// for the message of a test that waited in vain.
    pub async fn diagnose(&self, application_id: &str) -> String {
        let mut found = Vec::new();
        let Ok(page) = self
            .sfn
            .list_executions()
            .state_machine_arn(&self.names.state_machine_arn)
            .max_results(200)
            .send()
            .await
        else {
            return "ListExecutions failed".to_owned();
        };
        for item in page.executions() {
            let Ok(d) = self
                .sfn
                .describe_execution()
                .execution_arn(item.execution_arn())
                .send()
                .await
            else {
                continue;
            };
            let input: Value = d
                .input()
                .and_then(|i| serde_json::from_str(i).ok())
                .unwrap_or(Value::Null);
            if input["detail"]["applicationId"] != application_id && item.name() != application_id {
                continue;
            }
            let history = self.history(item.execution_arn()).await;
            let tail: Vec<String> = history
                .iter()
                .rev()
                .take(8)
                .rev()
                .map(|e| {
                    let state = e
                        .state_entered_event_details()
                        .map(|s| s.name())
                        .or_else(|| e.state_exited_event_details().map(|s| s.name()))
                        .unwrap_or("");
                    format!("{}:{} {state}", e.id(), e.r#type().as_str())
                })
                .collect();
            found.push(format!(
                "execution {} {} ({} history events; last: {})",
                item.name(),
                d.status().as_str(),
                history.len(),
                tail.join(", ")
            ));
        }
        if found.is_empty() {
            "no execution for it".to_owned()
        } else {
            found.join("; ")
        }
    }

    /// The terminal event of `application_id` in the accounts log group: `(detail-type, detail)`.
    pub async fn terminal_event(&self, application_id: &str) -> (String, Value) {
        let group = self.names.accounts_log_group.clone();
        let found = self
            .poll_until(WAIT, || async {
                let events = self.events_of(&group, application_id).await;
                events
                    .iter()
                    .find(|e| TERMINAL.contains(&e["detail-type"].as_str().unwrap_or_default()))
                    .map(|e| {
                        (
                            e["detail-type"].as_str().unwrap_or_default().to_owned(),
                            e["detail"].clone(),
                        )
                    })
                    .ok_or_else(|| {
                        format!(
                            "{:?}",
                            events
                                .iter()
                                .map(|e| e["detail-type"].clone())
                                .collect::<Vec<_>>()
                        )
                    })
            })
            .await;
        match found {
            Ok(event) => event,
            Err(seen) => {
                let executions = self.diagnose(application_id).await;
                panic!(
                    "waited {} s for the terminal event of {application_id} in {group}; last seen: \
                     {seen}; {executions}",
                    WAIT.as_secs()
                )
            }
        }
    }

    /// The task token of `application_id`'s Manual review requested event, read from the
    /// customer-service log group as a reviewer does; also returns the event's detail.
    pub async fn review_request(&self, application_id: &str) -> (String, Value) {
        self.nth_review_request(application_id, 1).await
    }

    /// The `n`-th (from 1) **Manual review requested** of an application: after an invalid review
    /// the workflow asks again, with a new token.
    pub async fn nth_review_request(&self, application_id: &str, n: usize) -> (String, Value) {
        let group = self.names.customer_service_log_group.clone();
        self.wait_until(
            &format!("Manual review requested #{n} for {application_id} in {group}"),
            WAIT,
            || async {
                let events = self.events_of(&group, application_id).await;
                let mut requests: Vec<&Value> = events
                    .iter()
                    .filter(|e| e["detail-type"] == "Manual review requested")
                    .collect();
                requests.sort_by_key(|e| e["detail"]["invalidReviews"].as_u64().unwrap_or(0));
                requests
                    .get(n.saturating_sub(1))
                    .and_then(|e| {
                        let token = e["detail"]["taskToken"].as_str()?.to_owned();
                        Some((token, e["detail"].clone()))
                    })
                    .ok_or_else(|| {
                        format!(
                            "{:?}",
                            events
                                .iter()
                                .map(|e| e["detail-type"].clone())
                                .collect::<Vec<_>>()
                        )
                    })
            },
        )
        .await
    }

    /// Lines of `group` (since the target started) that contain every one of `needles`.
    pub async fn lines_containing(&self, group: &str, since_ms: i64, needles: &[&str]) -> usize {
        self.log_events(group, since_ms, None)
            .await
            .iter()
            .filter(|l| needles.iter().all(|n| l.message.contains(n)))
            .count()
    }

    // ---------------------------------------------------------------------------------------------
    // Executions
    // ---------------------------------------------------------------------------------------------

    /// The execution started for `submitted` (its input is the event, whose `id` is the PutEvents
    /// EventId), once it has stopped running.
    pub async fn execution_of(&self, submitted: &Submitted) -> Execution {
        let arn = self.execution_arn(submitted).await;
        self.finished_execution(&arn).await
    }

    /// The ARN of the execution started for `submitted`, as soon as it exists.
    pub async fn execution_arn(&self, submitted: &Submitted) -> String {
        self.wait_until(
            &format!("the execution started by event {}", submitted.event_id),
            WAIT,
            || async { self.find_execution(submitted).await },
        )
        .await
    }

    async fn find_execution(&self, submitted: &Submitted) -> Result<String, String> {
        let mut token: Option<String> = None;
        let mut looked = 0;
        loop {
            let page = self
                .sfn
                .list_executions()
                .state_machine_arn(&self.names.state_machine_arn)
                .max_results(100)
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("ListExecutions: {}", sdk_error(&e)));
            for item in page.executions() {
                let started = millis(item.start_date());
                // Newest first: older executions cannot be ours.
                if started < submitted.sent_ms - 60_000 {
                    return Err(format!("{looked} recent executions, none for this event"));
                }
                looked += 1;
                let described = self
                    .sfn
                    .describe_execution()
                    .execution_arn(item.execution_arn())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("DescribeExecution: {}", sdk_error(&e)));
                let input: Value = described
                    .input()
                    .and_then(|i| serde_json::from_str(i).ok())
                    .unwrap_or(Value::Null);
                if input["id"] == submitted.event_id.as_str() {
                    return Ok(item.execution_arn().to_owned());
                }
            }
            match page.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => return Err(format!("{looked} executions, none for this event")),
            }
        }
    }

    /// Waits until `execution_arn` has stopped, then describes it.
    pub async fn finished_execution(&self, execution_arn: &str) -> Execution {
        self.wait_until(
            &format!("execution {execution_arn} to stop"),
            WAIT,
            || async {
                let d = self.describe(execution_arn).await;
                if d.status == "RUNNING" {
                    Err("RUNNING".to_owned())
                } else {
                    Ok(d)
                }
            },
        )
        .await
    }

    /// DescribeExecution.
    pub async fn describe(&self, execution_arn: &str) -> Execution {
        let d = self
            .sfn
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DescribeExecution {execution_arn}: {}", sdk_error(&e)));
        Execution {
            arn: execution_arn.to_owned(),
            name: d.name().unwrap_or_default().to_owned(),
            status: d.status().as_str().to_owned(),
            error: d.error().map(str::to_owned),
            cause: d.cause().map(str::to_owned),
            output: d.output().and_then(|o| serde_json::from_str(o).ok()),
        }
    }

    /// Every history event of `execution_arn`, oldest first (GetExecutionHistory, all pages).
    pub async fn history(&self, execution_arn: &str) -> Vec<aws_sdk_sfn::types::HistoryEvent> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .sfn
                .get_execution_history()
                .execution_arn(execution_arn)
                .max_results(1000)
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("GetExecutionHistory: {}", sdk_error(&e)));
            out.extend(page.events().iter().cloned());
            match page.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        out
    }

    /// The names of the states the execution entered, in order (its `*StateEntered` events).
    pub async fn visited_states(&self, execution_arn: &str) -> Vec<String> {
        self.history(execution_arn)
            .await
            .iter()
            .filter_map(|e| e.state_entered_event_details())
            .map(|d| d.name().to_owned())
            .collect()
    }

    /// Starts an execution directly (StartExecution), recording it in `ledger` as an application
    /// whose applicationId is the execution name.
    pub async fn start_execution(&self, ledger: &Ledger, name: &str, input: &Value) -> String {
        let out = self
            .sfn
            .start_execution()
            .state_machine_arn(&self.names.state_machine_arn)
            .name(name)
            .input(input.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("StartExecution: {}", sdk_error(&e)));
        ledger.accepted_id(name);
        out.execution_arn().to_owned()
    }

    // ---------------------------------------------------------------------------------------------
    // The status-change logger
    // ---------------------------------------------------------------------------------------------

    /// The status-change logger wrote, for `execution`, exactly one `execution_status_change` line
    /// and one EMF record per status in `statuses` (RUNNING, then the final one), and nothing else.
    pub async fn check_status_logger(&self, execution: &Execution, statuses: &[&str]) {
        let group = self.names.status_logger_log_group.clone();
        let arn = execution.arn.clone();
        let expected: BTreeMap<String, usize> =
            statuses.iter().map(|s| ((*s).to_owned(), 1)).collect();
        let (lines, emf) = self
            .wait_until(
                &format!("the status-change logger's records of {arn} in {group}"),
                WAIT,
                || async {
                    let pattern = format!("\"{arn}\"");
                    let records: Vec<Value> = self
                        .log_events(&group, self.window_start(), Some(&pattern))
                        .await
                        .into_iter()
                        .filter_map(|l| serde_json::from_str::<Value>(&l.message).ok())
                        .filter(|v| v["executionArn"] == arn.as_str())
                        .collect();
                    let lines: Vec<Value> = records
                        .iter()
                        .filter(|r| r["message"] == "execution_status_change")
                        .cloned()
                        .collect();
                    let emf: Vec<Value> = records
                        .iter()
                        .filter(|r| r.get("_aws").is_some())
                        .cloned()
                        .collect();
                    let count = |records: &[Value], key: &str| -> BTreeMap<String, usize> {
                        let mut m = BTreeMap::new();
                        for r in records {
                            *m.entry(r[key].as_str().unwrap_or("?").to_owned())
                                .or_insert(0) += 1;
                        }
                        m
                    };
                    if count(&lines, "status") == expected && count(&emf, "Status") == expected {
                        Ok((lines, emf))
                    } else {
                        Err(format!(
                            "lines by status {:?}, EMF records by status {:?}",
                            count(&lines, "status"),
                            count(&emf, "Status")
                        ))
                    }
                },
            )
            .await;
        let final_status = statuses.last().copied().unwrap_or("RUNNING");
        for line in &lines {
            let keys: BTreeSet<&str> = line
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            assert_eq!(
                keys,
                BTreeSet::from([
                    "message",
                    "executionArn",
                    "name",
                    "status",
                    "durationMs",
                    "error",
                    "cause"
                ]),
                "status-change line {line}"
            );
            assert_eq!(line["name"], execution.name.as_str(), "{line}");
            if line["status"] == final_status && final_status != "RUNNING" {
                assert!(line["durationMs"].is_u64(), "duration of {line}");
                assert_eq!(
                    line["error"],
                    json!(execution.error),
                    "error of the final status line {line}"
                );
            } else {
                assert_eq!(line["error"], Value::Null, "{line}");
            }
        }
        for record in &emf {
            let directive = &record["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(directive["Namespace"], "KYC", "{record}");
            assert_eq!(directive["Dimensions"], json!([["Status"]]), "{record}");
            assert!(record["_aws"]["Timestamp"].is_i64(), "{record}");
            assert_eq!(record["ExecutionStatusChange"], 1, "{record}");
            let metrics: Vec<&str> = directive["Metrics"]
                .as_array()
                .map(|m| m.iter().filter_map(|m| m["Name"].as_str()).collect())
                .unwrap_or_default();
            if record["Status"] == final_status && final_status != "RUNNING" {
                assert_eq!(
                    metrics,
                    ["ExecutionStatusChange", "ExecutionDuration"],
                    "{record}"
                );
                assert!(record["ExecutionDuration"].is_u64(), "{record}");
            } else {
                assert_eq!(metrics, ["ExecutionStatusChange"], "{record}");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Invariants
    // ---------------------------------------------------------------------------------------------

    /// The log groups of the stack (DescribeLogGroups, all pages): on kyc-local every group; on a
    /// deployed stack those whose name carries the instance prefix.
    pub async fn stack_log_groups(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .logs
                .describe_log_groups()
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("DescribeLogGroups: {}", sdk_error(&e)));
            for group in page.log_groups() {
                out.push(group.log_group_name().unwrap_or_default().to_owned());
            }
            match page.next_token() {
                Some(t) if Some(t) != token.as_deref() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        if !self.is_local() {
            let prefix = &self.names.instance_prefix;
            out.retain(|g| {
                g.contains(&format!("/{prefix}/")) || g.contains(&format!("/{prefix}-"))
            });
        }
        out
    }

    /// Every accepted application in `ledger` has exactly one terminal event in the accounts log
    /// group, and no personal data the scenario sent appears in any log group of the stack.
    pub async fn check_invariants(&self, ledger: &Ledger) {
        let (ids, personal) = ledger.snapshot();
        for id in &ids {
            // The terminal event is there (waits for it), then count every terminal event of it.
            self.terminal_event(id).await;
            let terminals: Vec<String> = self
                .events_of(&self.names.accounts_log_group, id)
                .await
                .iter()
                .filter_map(|e| e["detail-type"].as_str())
                .filter(|t| TERMINAL.contains(t))
                .map(str::to_owned)
                .collect();
            assert_eq!(
                terminals.len(),
                1,
                "{id} must have exactly one terminal event, found {terminals:?}"
            );
        }
        let groups = self.stack_log_groups().await;
        for required in [
            &self.names.accounts_log_group,
            &self.names.customer_service_log_group,
            &self.names.status_logger_log_group,
        ] {
            assert!(
                groups.contains(required),
                "DescribeLogGroups does not list {required}: {groups:?}"
            );
        }
        let mut read = 0;
        for group in &groups {
            for line in self.log_events(group, self.window_start(), None).await {
                read += 1;
                let lower = line.message.to_lowercase();
                for value in &personal {
                    assert!(
                        !lower.contains(&value.to_lowercase()),
                        "personal data ({}) in log group {group}: {}",
                        mask(value),
                        line.message.replace(value, "<REDACTED>")
                    );
                }
            }
        }
        assert!(read > 0, "no log events in {groups:?}");
    }
}

fn review_timing_of(options: &LocalOptions) -> Option<ReviewTiming> {
    let get = |key: &str, default: u64| -> u64 {
        options
            .parameter_overrides
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(default)
    };
    Some(ReviewTiming {
        heartbeat_seconds: get("ReviewHeartbeatSeconds", 86_400),
        timeout_seconds: get("ReviewTimeoutSeconds", 604_800),
    })
}

fn mask(value: &str) -> String {
    let first: String = value.chars().take(1).collect();
    format!("{first}*** ({} chars)", value.chars().count())
}

fn millis(t: &aws_sdk_sfn::primitives::DateTime) -> i64 {
    t.secs() * 1000 + i64::from(t.subsec_nanos() / 1_000_000)
}

/// An SDK error as `Code: message` (or the transport error).
pub fn sdk_error<E, R>(e: &aws_sdk_sfn::error::SdkError<E, R>) -> String
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e.as_service_error() {
        Some(service) => service_error(service),
        None => format!("{e:?}"),
    }
}

/// A service error as `Code: message`.
pub fn service_error<E: aws_sdk_sfn::error::ProvideErrorMetadata>(e: &E) -> String {
    format!(
        "{}: {}",
        e.code().unwrap_or("(no code)"),
        e.message().unwrap_or("(no message)")
    )
}

/// One log event.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// `eventId`.
    pub event_id: String,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    /// The message (for EventBridge targets, the event JSON).
    pub message: String,
}

/// An accepted New account requested.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// PutEvents' EventId (the `id` of the event, and of the execution's input).
    pub event_id: String,
    /// The request's own applicationId (else the execution name is used).
    pub application_id: Option<String>,
    /// When it was put.
    pub sent_ms: i64,
}

/// What DescribeExecution says.
#[derive(Debug, Clone)]
pub struct Execution {
    /// executionArn.
    pub arn: String,
    /// name.
    pub name: String,
    /// status (`SUCCEEDED`, `FAILED`, ...).
    pub status: String,
    /// error, when it failed.
    pub error: Option<String>,
    /// cause, when it failed.
    pub cause: Option<String>,
    /// output, parsed.
    pub output: Option<Value>,
}

/// What a scenario sent: the applications that must each end in one terminal event, and the
/// personal data that must appear in no log group.
#[derive(Debug, Default)]
pub struct Ledger {
    inner: Mutex<LedgerInner>,
    pending: Mutex<Vec<Submitted>>,
}

#[derive(Debug, Default)]
struct LedgerInner {
    ids: BTreeSet<String>,
    personal: BTreeSet<String>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an application by its id.
    pub fn accepted_id(&self, application_id: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.ids.insert(application_id.to_owned());
        }
    }

    fn accepted(&self, submitted: Submitted) {
        match &submitted.application_id {
            Some(id) => self.accepted_id(id),
            None => {
                // Its id is the execution name: [`Ledger::resolve`] learns it once it is known.
                if let Ok(mut pending) = self.pending.lock() {
                    pending.push(submitted);
                }
            }
        }
    }

    /// Records the execution name of a submission that carried no applicationId.
    pub fn resolve(&self, submitted: &Submitted, execution_name: &str) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.retain(|p| p.event_id != submitted.event_id);
        }
        self.accepted_id(execution_name);
    }

    /// Records a personal value (a full name, a document number, a date of birth).
    pub fn personal(&self, value: &str) {
        if value.trim().is_empty() {
            return;
        }
        if let Ok(mut inner) = self.inner.lock() {
            inner.personal.insert(value.to_owned());
        }
    }

    /// Records the personal data of a New account requested detail: the full name, the date of
    /// birth, the document number (as sent and normalised).
    pub fn personal_data_of(&self, detail: &Value) {
        for key in ["customerName", "dateOfBirth"] {
            if let Some(v) = detail[key].as_str() {
                self.personal(v);
            }
        }
        if let Some(number) = detail["document"]["number"].as_str() {
            self.personal(number);
            let normalised: String = number
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .collect();
            self.personal(&normalised.to_uppercase());
        }
    }

    fn snapshot(&self) -> (BTreeSet<String>, BTreeSet<String>) {
        if let Ok(pending) = self.pending.lock() {
            assert!(
                pending.is_empty(),
                "submissions without an applicationId whose execution was never looked up: {:?}",
                pending.iter().map(|p| &p.event_id).collect::<Vec<_>>()
            );
        }
        match self.inner.lock() {
            Ok(inner) => (inner.ids.clone(), inner.personal.clone()),
            Err(_) => panic!("ledger poisoned"),
        }
    }
}
