//! One function instance: a runtime process, its Runtime API listener and its
//! log stream (a Lambda execution environment).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use chrono::Utc;
use serde_json::json;
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::config::{FunctionConfig, LambdaConfig, LogFormat};
use super::faults::Fault;
use super::logs::{
    LogPump, LogSink, ReportMetrics, ReportStatus, end_lines, exit_error_lines, init_start_lines,
    log_stream_name, start_lines, timeout_line,
};
use super::runtime_api::{self, Dispatch, RuntimeResult, RuntimeState};

/// How the runtime process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExitInfo {
    Code(i32),
    Signal(i32),
    Unknown,
}

impl ExitInfo {
    fn from_status(status: std::io::Result<std::process::ExitStatus>) -> Self {
        use std::os::unix::process::ExitStatusExt;
        match status {
            Ok(s) => match (s.code(), s.signal()) {
                (Some(code), _) => ExitInfo::Code(code),
                (None, Some(sig)) => ExitInfo::Signal(sig),
                _ => ExitInfo::Unknown,
            },
            Err(_) => ExitInfo::Unknown,
        }
    }

    /// The reason in Lambda's words (it reports the runtime's exit the way Go's
    /// `os/exec` prints it: `exit status 1`, `signal: killed`).
    fn reason(&self) -> String {
        match self {
            ExitInfo::Code(0) | ExitInfo::Unknown => {
                "Runtime exited without providing a reason".to_owned()
            }
            ExitInfo::Code(code) => format!("Runtime exited with error: exit status {code}"),
            ExitInfo::Signal(sig) => {
                let name = match sig {
                    1 => "hangup".to_owned(),
                    2 => "interrupt".to_owned(),
                    4 => "illegal instruction".to_owned(),
                    6 => "aborted".to_owned(),
                    7 => "bus error".to_owned(),
                    8 => "floating point exception".to_owned(),
                    9 => "killed".to_owned(),
                    11 => "segmentation fault".to_owned(),
                    13 => "broken pipe".to_owned(),
                    15 => "terminated".to_owned(),
                    other => format!("signal {other}"),
                };
                format!("Runtime exited with error: signal: {name}")
            }
        }
    }
}

/// What a caller of the instance gets back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InvocationResult {
    Success(Bytes),
    /// A function error (`X-Amz-Function-Error: Unhandled`) with its payload.
    Unhandled(Bytes),
}

pub(crate) struct RunOutcome {
    pub result: InvocationResult,
    /// The invocation's log, `START` to `REPORT` (for `LogType: Tail`).
    pub log: String,
    /// False when the instance is gone (crash, timeout, init failure).
    pub healthy: bool,
}

pub(crate) struct RunRequest {
    pub request_id: String,
    pub payload: Bytes,
    pub invoked_function_arn: String,
    pub client_context: Option<String>,
    pub cognito_identity: Option<String>,
}

/// Settings an instance needs from its function, copied at spawn.
#[derive(Clone)]
struct Limits {
    timeout: Duration,
    init_timeout: Duration,
    memory_mb: u32,
    log_format: LogFormat,
    max_response: usize,
}

pub(crate) struct Instance {
    pub id: u64,
    pub pid: Option<u32>,
    dispatch: mpsc::Sender<Dispatch>,
    runtime: Arc<RuntimeState>,
    pump: Arc<LogPump>,
    exit: watch::Receiver<Option<ExitInfo>>,
    kill: Arc<Notify>,
    spawned_at: Instant,
    cold: AtomicBool,
    server: JoinHandle<()>,
    max_memory_mb: AtomicU64,
    limits: Limits,
}

impl Drop for Instance {
    fn drop(&mut self) {
        // Lambda freezes and eventually discards environments; locally an
        // instance nobody holds is killed so no process outlives the service.
        self.kill.notify_one();
        self.server.abort();
    }
}

/// Why no process could be started.
#[derive(Debug)]
pub(crate) struct SpawnError(pub std::io::Error);

static NEXT_INSTANCE_ID: AtomicU64 = AtomicU64::new(1);

fn runtime_environment(
    function: &FunctionConfig,
    service: &LambdaConfig,
    runtime_api: &str,
    log_group: &str,
    log_stream: &str,
    task_root: &Path,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert(
        "PATH".into(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin/:/bin:/opt/bin".into()),
    );
    env.insert("LANG".into(), "en_US.UTF-8".into());
    env.insert("TZ".into(), ":UTC".into());
    env.insert("AWS_ENDPOINT_URL".into(), service.endpoint_url.clone());
    env.extend(function.environment.clone());
    // Lambda's reserved variables come last: the template cannot override them
    // (FunctionConfig::validate rejects reserved keys).
    let task_root = task_root.display().to_string();
    let reserved = [
        ("_HANDLER", function.handler.clone()),
        ("AWS_REGION", service.region.clone()),
        ("AWS_DEFAULT_REGION", service.region.clone()),
        ("AWS_LAMBDA_FUNCTION_NAME", function.name.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            function.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", log_group.to_owned()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", log_stream.to_owned()),
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        // Credentials that name the function, so its SDK calls are its role's (permission plane).
        (
            "AWS_ACCESS_KEY_ID",
            crate::permissions::plane::function_access_key(&function.name),
        ),
        ("AWS_SECRET_ACCESS_KEY", service.secret_access_key.clone()),
        ("AWS_SESSION_TOKEN", service.session_token.clone()),
        ("LAMBDA_TASK_ROOT", task_root.clone()),
        ("LAMBDA_RUNTIME_DIR", task_root),
    ];
    for (k, v) in reserved {
        env.insert(k.to_owned(), v);
    }
    // AWS_EXECUTION_ENV is not defined for the OS-only (`provided`) runtimes.
    if !function.runtime.starts_with("provided") {
        env.insert(
            "AWS_EXECUTION_ENV".into(),
            format!("AWS_Lambda_{}", function.runtime),
        );
    }
    if function.log_format == LogFormat::Json {
        env.insert("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into());
        env.insert(
            "AWS_LAMBDA_LOG_LEVEL".into(),
            function
                .application_log_level
                .clone()
                .unwrap_or_else(|| "INFO".into()),
        );
    }
    env
}

async fn wait_exit(rx: &mut watch::Receiver<Option<ExitInfo>>) -> ExitInfo {
    let info = rx
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|v| v.clone());
    info.unwrap_or(ExitInfo::Unknown)
}

async fn wait_init_error(rx: &mut watch::Receiver<Option<Bytes>>) -> Bytes {
    let payload = rx
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|v| v.clone());
    match payload {
        Some(p) => p,
        None => std::future::pending().await,
    }
}

/// Peak resident memory of the process (`VmHWM`), in MB rounded up.
fn peak_memory_mb(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb.div_ceil(1024))
}

fn error_payload(error_type: &str, message: String) -> Bytes {
    Bytes::from(json!({"errorType": error_type, "errorMessage": message}).to_string())
}

fn error_type_of(payload: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| {
            v.get("errorType")
                .and_then(|t| t.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "Runtime.Unknown".to_owned())
}

impl Instance {
    /// Starts a runtime process for `function` (a cold start).
    pub(crate) async fn spawn(
        function: &FunctionConfig,
        service: &LambdaConfig,
        sink: Arc<dyn LogSink>,
    ) -> Result<Arc<Self>, SpawnError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(SpawnError)?;
        let port = listener.local_addr().map_err(SpawnError)?.port();
        let runtime_api = format!("127.0.0.1:{port}");
        let log_group = function.log_group_name();
        let log_stream = log_stream_name(Utc::now());

        let (reader, writer) = std::io::pipe().map_err(SpawnError)?;
        let stdout = writer.try_clone().map_err(SpawnError)?;
        let stderr = writer.try_clone().map_err(SpawnError)?;
        let pump = LogPump::start(reader, writer, sink, log_group.clone(), log_stream.clone())
            .map_err(SpawnError)?;
        pump.emit(
            init_start_lines(
                function.log_format,
                &function.name,
                &function.runtime,
                &service.region,
            ),
            true,
        );

        let limits = Limits {
            timeout: function.timeout,
            init_timeout: service.init_timeout,
            memory_mb: function.memory_mb,
            log_format: function.log_format,
            max_response: service.max_sync_payload,
        };
        let (dispatch_tx, dispatch_rx) = mpsc::channel(1);
        let runtime = RuntimeState::new(
            dispatch_rx,
            Arc::clone(&pump),
            function.log_format,
            service.max_sync_payload,
        );
        let app = runtime_api::router(Arc::clone(&runtime));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let task_root = function
            .executable
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let env = runtime_environment(
            function,
            service,
            &runtime_api,
            &log_group,
            &log_stream,
            &task_root,
        );
        let mut command = tokio::process::Command::new(&function.executable);
        command
            .args(&function.args)
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .kill_on_drop(true);
        if task_root.is_dir() {
            command.current_dir(&task_root);
        }
        let spawned_at = Instant::now();
        let spawned = command.spawn();
        // The command holds copies of the pipe's write end: drop them so the
        // log reader sees the end of the stream once the process is gone.
        drop(command);
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                server.abort();
                return Err(SpawnError(e));
            }
        };
        let pid = child.id();
        let kill = Arc::new(Notify::new());
        let (exit_tx, exit_rx) = watch::channel(None);
        let waiter_kill = Arc::clone(&kill);
        tokio::spawn(async move {
            let status = tokio::select! {
                status = child.wait() => status,
                () = waiter_kill.notified() => {
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            let _ = exit_tx.send(Some(ExitInfo::from_status(status)));
        });

        Ok(Arc::new(Self {
            id: NEXT_INSTANCE_ID.fetch_add(1, Ordering::Relaxed),
            pid,
            dispatch: dispatch_tx,
            runtime,
            pump,
            exit: exit_rx,
            kill,
            spawned_at,
            cold: AtomicBool::new(true),
            server,
            max_memory_mb: AtomicU64::new(0),
            limits,
        }))
    }

    /// True once the process has exited.
    pub(crate) fn is_dead(&self) -> bool {
        self.exit.borrow().is_some()
    }

    /// Kills the process and waits (bounded) for it to go.
    pub(crate) async fn kill(&self) {
        self.kill.notify_one();
        let mut exit = self.exit.clone();
        let _ = tokio::time::timeout(Duration::from_secs(5), wait_exit(&mut exit)).await;
    }

    fn sample_memory(&self) -> u64 {
        if let Some(mb) = peak_memory_mb(self.pid) {
            self.max_memory_mb.fetch_max(mb, Ordering::Relaxed);
        }
        self.max_memory_mb.load(Ordering::Relaxed)
    }

    /// Runs one invocation on this instance.
    pub(crate) async fn run(&self, req: RunRequest, fault: Option<&Fault>) -> RunOutcome {
        let cold = self.cold.swap(false, Ordering::SeqCst);
        let (started_tx, started_rx) = oneshot::channel();
        let (result_tx, mut result_rx) = oneshot::channel();
        let request_id = req.request_id.clone();
        let dispatch = Dispatch {
            request_id: req.request_id,
            payload: req.payload,
            timeout: self.limits.timeout,
            invoked_function_arn: req.invoked_function_arn,
            trace_id: trace_id(),
            client_context: req.client_context,
            cognito_identity: req.cognito_identity,
            started: started_tx,
            result: result_tx,
        };
        let mut exit = self.exit.clone();
        let mut init_error = self.runtime.init_error.subscribe();

        // Phase 1: the runtime picks the invocation up with `/next`; on a cold
        // start that ends the init phase.
        let pickup_limit = if cold {
            self.limits.init_timeout
        } else {
            self.limits.timeout
        };
        let waited_from = Instant::now();
        let picked = if self.dispatch.send(dispatch).await.is_err() {
            Err(Failure::Exited(wait_exit(&mut exit).await))
        } else {
            tokio::select! {
                biased;
                started = started_rx => match started {
                    Ok(at) => Ok(at),
                    Err(_) => Err(Failure::Exited(wait_exit(&mut exit).await)),
                },
                // Before the exit: a runtime posts /init/error and then exits.
                payload = wait_init_error(&mut init_error) => Err(Failure::InitError(payload)),
                info = wait_exit(&mut exit) => Err(Failure::Exited(info)),
                () = tokio::time::sleep(pickup_limit) => Err(Failure::TimedOut(pickup_limit)),
            }
        };
        let init_duration = if cold {
            Some(
                self.runtime
                    .first_next
                    .borrow()
                    .map_or_else(|| self.spawned_at.elapsed(), |t| t - self.spawned_at),
            )
        } else {
            None
        };
        let started = match picked {
            Ok(at) => at,
            Err(failure) => {
                // `/next` was never answered, so no START line was written yet.
                self.pump
                    .emit(start_lines(self.limits.log_format, &request_id), true);
                return self
                    .fail(&request_id, failure, waited_from, init_duration)
                    .await;
            }
        };
        // Phase 2: the invoke phase, bounded by the function's timeout.
        let deadline = tokio::time::Instant::from_std(started + self.limits.timeout);
        let answered = match fault {
            Some(Fault::Crash) => {
                // Whatever the runtime answers, the process dies during the invocation.
                self.kill.notify_one();
                Err(Failure::Exited(wait_exit(&mut exit).await))
            }
            // Whatever the runtime answers, the invocation times out.
            Some(Fault::Timeout) => Err(Failure::TimedOut(self.limits.timeout)),
            _ => tokio::select! {
                biased;
                result = &mut result_rx => match result {
                    Ok(r) => Ok(r),
                    Err(_) => Err(Failure::Exited(wait_exit(&mut exit).await)),
                },
                info = wait_exit(&mut exit) => Err(Failure::Exited(info)),
                () = tokio::time::sleep_until(deadline) => Err(Failure::TimedOut(self.limits.timeout)),
            },
        };
        let result = match answered {
            Ok(r) => r,
            Err(failure) => {
                return self
                    .fail(&request_id, failure, started, init_duration)
                    .await;
            }
        };
        let duration = started.elapsed();
        let (result, status) = match result {
            RuntimeResult::Response(body) => match fault {
                Some(Fault::Error {
                    error_type,
                    error_message,
                }) => (
                    InvocationResult::Unhandled(error_payload(error_type, error_message.clone())),
                    ReportStatus::FunctionError,
                ),
                _ => (InvocationResult::Success(body), ReportStatus::Success),
            },
            RuntimeResult::Error(payload) => (
                InvocationResult::Unhandled(payload),
                ReportStatus::FunctionError,
            ),
            RuntimeResult::ResponseTooLarge => (
                InvocationResult::Unhandled(error_payload(
                    "Function.ResponseSizeTooLarge",
                    format!(
                        "Response payload size exceeded maximum allowed payload size ({} bytes).",
                        self.limits.max_response
                    ),
                )),
                ReportStatus::FunctionError,
            ),
        };
        let metrics = self.metrics(duration, init_duration);
        let log = self
            .pump
            .finish(end_lines(
                self.limits.log_format,
                &request_id,
                &metrics,
                &status,
            ))
            .await
            .unwrap_or_default();
        RunOutcome {
            result,
            log,
            healthy: true,
        }
    }

    fn metrics(&self, duration: Duration, init_duration: Option<Duration>) -> ReportMetrics {
        ReportMetrics {
            duration,
            billed_duration_ms: ReportMetrics::billed_ms(duration, init_duration),
            memory_size_mb: self.limits.memory_mb,
            max_memory_used_mb: self.sample_memory(),
            init_duration,
        }
    }

    /// Ends an invocation the runtime did not answer: the process is killed
    /// (it may already be gone) and the error is reported as Lambda does.
    async fn fail(
        &self,
        request_id: &str,
        failure: Failure,
        since: Instant,
        init_duration: Option<Duration>,
    ) -> RunOutcome {
        let memory = self.sample_memory();
        let duration = since.elapsed();
        self.kill().await;
        self.runtime.abandon();
        let mut lines = Vec::new();
        let text = self.limits.log_format == LogFormat::Text;
        let (payload, status) = match failure {
            Failure::TimedOut(limit) => {
                if text {
                    lines.push(timeout_line(request_id, limit));
                }
                (
                    error_payload(
                        "Sandbox.Timedout",
                        format!(
                            "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                            limit.as_secs_f64()
                        ),
                    ),
                    ReportStatus::Timeout,
                )
            }
            Failure::Exited(info) => {
                let message = format!("RequestId: {request_id} Error: {}", info.reason());
                if text {
                    lines.extend(exit_error_lines(&message, "Runtime.ExitError"));
                }
                (
                    error_payload("Runtime.ExitError", message),
                    ReportStatus::Error("Runtime.ExitError".into()),
                )
            }
            Failure::InitError(payload) => {
                let kind = error_type_of(&payload);
                if text {
                    lines.push(format!(
                        "INIT_REPORT Init Duration: {:.2} ms\tPhase: init\tStatus: error\tError Type: {kind}\n",
                        init_duration.unwrap_or_default().as_secs_f64() * 1000.0
                    ));
                }
                (payload, ReportStatus::Error(kind))
            }
        };
        let metrics = ReportMetrics {
            duration,
            billed_duration_ms: ReportMetrics::billed_ms(duration, init_duration),
            memory_size_mb: self.limits.memory_mb,
            max_memory_used_mb: memory,
            init_duration,
        };
        lines.extend(end_lines(
            self.limits.log_format,
            request_id,
            &metrics,
            &status,
        ));
        let log = self.pump.finish(lines).await.unwrap_or_default();
        RunOutcome {
            result: InvocationResult::Unhandled(payload),
            log,
            healthy: false,
        }
    }
}

enum Failure {
    TimedOut(Duration),
    Exited(ExitInfo),
    InitError(Bytes),
}

/// An X-Ray trace header as Lambda passes it (`Root=1-<time>-<24 hex>;...`).
fn trace_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let parent = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        Utc::now().timestamp(),
        &id[..24],
        &parent[..16]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_reasons_read_as_lambda_reports_them() {
        assert_eq!(
            ExitInfo::Code(1).reason(),
            "Runtime exited with error: exit status 1"
        );
        assert_eq!(
            ExitInfo::Signal(9).reason(),
            "Runtime exited with error: signal: killed"
        );
        assert_eq!(
            ExitInfo::Signal(11).reason(),
            "Runtime exited with error: signal: segmentation fault"
        );
        assert_eq!(
            ExitInfo::Code(0).reason(),
            "Runtime exited without providing a reason"
        );
    }

    #[test]
    fn trace_header_shape() {
        let re =
            regex::Regex::new(r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$")
                .unwrap();
        assert!(re.is_match(&trace_id()));
    }
}
