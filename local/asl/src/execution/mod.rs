//! The deterministic, sans-IO execution core.
//!
//! An [`Execution`] never sleeps and never does I/O. The host feeds it inputs (task results,
//! heartbeats, stop requests), each stamped with the current time, and calls
//! [`Execution::advance`] to let it run until every branch is blocked; it answers with
//! [`Command`]s (run this task, cancel that one, wake me at T) and appends history events.
//! Timers (Wait, retry back-off, task timeouts and heartbeats, the execution timeout) fire when
//! `advance` is called at or after their deadline.
//!
//! All of its state ([`ExecutionState`]) is serde-serializable, so a host can persist it after
//! every step and resume it after a restart with [`Execution::restore`], including inside
//! Parallel / Map branches and while a task token is outstanding.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::definition::{
    DataPath, Definition, FailText, Jitter, ResultPath, Seconds, State, StateKind, StateMachine,
    Transition, WaitFor,
};
use crate::errors::{self, StateError};
use crate::eval::{Env, Variables};
use crate::history::*;
use crate::intrinsic::{IntrinsicError, splitmix64};
use crate::limits::{self, MAX_VALUE_DEPTH};
use crate::path::{Path, PathEvalError};
use crate::template::{Template, TemplateError};

mod catch;
pub mod distributed;
mod frames;
mod payload;
mod probe;
mod query;
mod states;

pub use probe::{Inspection, InspectionErrorDetails};
pub(crate) use probe::{Probe, ProbeExit, seed_variables};

/// Step Functions' payload quota: 256 KiB for state input / output and task results.
pub const MAX_PAYLOAD_BYTES: usize = 262_144;
/// Standard workflows fail once their history would exceed 25,000 events.
pub const DEFAULT_HISTORY_LIMIT: u64 = 25_000;
/// Concurrent iterations of an inline Map state.
pub const INLINE_MAP_CONCURRENCY: usize = 40;
/// Steps per `advance` call before control returns to the host, so that a
/// loop of cheap states hands back control (and its history is persisted)
/// every few thousand transitions instead of running unseen.
const STEP_BUDGET: u64 = 5_000;
/// Bytes of state output per `advance` call before control returns to the
/// host: a loop over a 256 KiB payload yields every 32 transitions or so.
const TURN_BYTES: usize = 8 << 20;

/// Identity of an execution, supplied by the host at start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionContext {
    /// Execution ARN (`$$.Execution.Id`).
    pub execution_arn: String,
    /// Execution name (`$$.Execution.Name`).
    pub execution_name: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
    pub role_arn: String,
    /// Region reported in TaskScheduled events; taken from the state machine ARN when empty.
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub redrive_count: u32,
    /// Seed of the deterministic random source (task tokens, States.UUID, retry jitter).
    #[serde(default)]
    pub seed: u64,
    /// History event quota (25,000 on AWS for Standard workflows); `None` for no limit.
    #[serde(default = "default_history_limit")]
    pub history_limit: Option<u64>,
}

fn default_history_limit() -> Option<u64> {
    Some(DEFAULT_HISTORY_LIMIT)
}

impl ExecutionContext {
    /// A context for `name` under the state machine `state_machine_arn`, with the execution ARN
    /// derived the way AWS does (`arn:...:execution:<machine>:<name>`).
    pub fn new(state_machine_arn: &str, execution_name: &str, role_arn: &str) -> Self {
        let parts: Vec<&str> = state_machine_arn.splitn(7, ':').collect();
        // A version or alias ARN (`...:stateMachine:Name:3`) still names executions by the machine.
        let machine_name = parts
            .get(6)
            .map(|rest| rest.split(':').next().unwrap_or(rest))
            .unwrap_or("")
            .to_string();
        let execution_arn = if parts.len() == 7 {
            format!(
                "{}:{}:{}:{}:{}:execution:{}:{}",
                parts[0], parts[1], parts[2], parts[3], parts[4], machine_name, execution_name
            )
        } else {
            format!("{state_machine_arn}:{execution_name}")
        };
        ExecutionContext {
            execution_arn,
            execution_name: execution_name.to_string(),
            state_machine_arn: state_machine_arn.to_string(),
            state_machine_name: machine_name,
            role_arn: role_arn.to_string(),
            region: parts.get(3).copied().unwrap_or("").to_string(),
            redrive_count: 0,
            seed: 0,
            history_limit: default_history_limit(),
        }
    }
}

/// `ExecutionStatus` of DescribeExecution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

/// How a task resource is integrated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Integration {
    /// `arn:aws:states:::service:api[.sync|.waitForTaskToken]`.
    Service {
        /// `lambda`, `events`, `aws-sdk:s3`, ... (the event's `resourceType`).
        service: String,
        /// `invoke`, `putEvents.waitForTaskToken`, ... (the event's `resource`).
        api: String,
        pattern: IntegrationPattern,
    },
    /// A Lambda function ARN used directly as the resource.
    LambdaFunction,
    /// An activity ARN.
    Activity,
}

/// Service integration pattern, from the resource suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntegrationPattern {
    RequestResponse,
    /// `.sync` (or `.sync:2`): run a job and wait for it.
    Sync,
    /// `.waitForTaskToken`: wait for SendTaskSuccess / SendTaskFailure with the token.
    WaitForTaskToken,
}

impl Integration {
    /// Classifies a Task's `Resource`.
    pub fn of(resource: &str) -> Integration {
        let parts: Vec<&str> = resource.splitn(6, ':').collect();
        match (parts.get(2), parts.get(5)) {
            (Some(&"states"), Some(rest))
                if parts.get(3) == Some(&"") && parts.get(4) == Some(&"") =>
            {
                let (service, api) = match rest.rfind(':') {
                    Some(i) if !rest[i + 1..].starts_with(|c: char| c.is_ascii_digit()) => {
                        (rest[..i].to_string(), rest[i + 1..].to_string())
                    }
                    // `.sync:2`: the last colon belongs to the suffix.
                    _ => match rest.find(':') {
                        Some(i) => (rest[..i].to_string(), rest[i + 1..].to_string()),
                        None => (rest.to_string(), String::new()),
                    },
                };
                let pattern = if api.ends_with(".waitForTaskToken") {
                    IntegrationPattern::WaitForTaskToken
                } else if api.ends_with(".sync") || api.contains(".sync:") {
                    IntegrationPattern::Sync
                } else {
                    IntegrationPattern::RequestResponse
                };
                Integration::Service {
                    service,
                    api,
                    pattern,
                }
            }
            (Some(&"states"), Some(rest)) if rest.starts_with("activity:") => Integration::Activity,
            (Some(&"lambda"), _) => Integration::LambdaFunction,
            _ => Integration::Service {
                service: parts.get(2).copied().unwrap_or("").to_string(),
                api: parts.get(5).copied().unwrap_or("").to_string(),
                pattern: IntegrationPattern::RequestResponse,
            },
        }
    }
}

/// A task the host must run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRequest {
    pub task_id: u64,
    pub state_name: String,
    pub resource: String,
    pub integration: Integration,
    /// Effective parameters (after InputPath and Parameters).
    pub parameters: Value,
    /// Set for `.waitForTaskToken` and activities: the token SendTask* will name.
    pub task_token: Option<String>,
    pub timeout_seconds: Option<u64>,
    pub heartbeat_seconds: Option<u64>,
    /// When the engine will time the task out (`States.Timeout`).
    pub timeout_at: Option<DateTime<Utc>>,
    /// When the engine will time the task out for lack of a heartbeat
    /// (`States.HeartbeatTimeout`), unless a heartbeat moves it.
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub credentials: Option<Value>,
}

/// What the engine asks the host to do.
// Commands are few and short-lived; boxing the task request would only add noise for hosts.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    RunTask(TaskRequest),
    /// The task is no longer wanted (timed out, branch failed, execution stopped).
    CancelTask {
        task_id: u64,
        task_token: Option<String>,
    },
    /// Call `advance` again at (or after) this time.
    WakeAt(DateTime<Utc>),
}

/// Why a SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat token was refused (the API's
/// error names).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Never issued by this execution.
    #[error("Invalid Token")]
    InvalidToken,
    /// Issued, but the task is over (answered, timed out, cancelled, execution ended).
    #[error("Task Timed Out: 'Provided task does not exist anymore'")]
    TaskTimedOut,
}

/// Misuse of the input API (unknown task, finished execution, ...).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The task is not outstanding any more (finished, timed out, or never existed).
    #[error("Task {0} is not running")]
    UnknownTask(u64),
    /// The execution already ended.
    #[error("Execution is not running")]
    NotRunning,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum TaskOutcome {
    Succeeded(Value),
    Failed(StateError),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum ChildKind {
    Parallel,
    Map,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Children {
    kind: ChildKind,
    /// Slots (branches, iterations) that succeeded.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    succeeded: BTreeSet<usize>,
    /// A Distributed Map's run (its children are child workflow executions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    map_run: Option<Box<distributed::MapRun>>,
    /// Inputs of the iterations not started yet (Map), in order, with their index.
    pending: VecDeque<(u64, Value)>,
    running: BTreeSet<u64>,
    results: Vec<Value>,
    done: usize,
    max_concurrency: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Phase {
    /// About to enter the state (emit the Entered event).
    Enter,
    /// Entered; (re)start the state's work (also after a retry back-off).
    Start,
    Task {
        task_id: u64,
        token: Option<String>,
        resource: String,
        timeout_at: Option<DateTime<Utc>>,
        heartbeat_seconds: Option<u64>,
        heartbeat_at: Option<DateTime<Utc>>,
        outcome: Option<TaskOutcome>,
    },
    RetryWait {
        until: DateTime<Utc>,
    },
    Wait {
        until: DateTime<Utc>,
        fired: bool,
    },
    Children(Children),
    ChildrenFailed(StateError),
}

/// Where a frame hangs in its parent (Parallel branch or Map iteration).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ParentLink {
    frame: u64,
    slot: usize,
}

/// One running "thread": the top level, a Parallel branch or a Map iteration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Frame {
    /// Path to its state machine in the definition: (state index, branch index) per level.
    machine: Vec<(usize, usize)>,
    parent: Option<ParentLink>,
    state: usize,
    /// The raw state input.
    input: Value,
    phase: Phase,
    /// Variables of this scope.
    vars: Map<String, Value>,
    entered_event: u64,
    last_event: u64,
    entered_time: DateTime<Utc>,
    retry_counts: Vec<u64>,
    retry_total: u64,
    /// A frame of a Distributed Map's child execution (its events are not this history's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    quiet: bool,
    /// The Parallel or inline Map state of this frame failed with these branches or iterations
    /// done; a redrive reruns only the others (API reference, RedriveExecution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redrive_children: Option<Box<DoneChildren>>,
    /// JSON text of `input` when it is at hand (the previous state's Exited output), so the
    /// Entered event does not serialize it again. Not persisted.
    #[serde(skip)]
    input_text: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct TaskEntry {
    frame: u64,
    token: Option<String>,
    /// What was asked of the host, so it can re-dispatch in-flight tasks after a restart.
    request: Option<TaskRequest>,
}

/// The complete, serializable state of an execution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutionState {
    pub context: ExecutionContext,
    pub input: Value,
    pub start_time: DateTime<Utc>,
    pub status: ExecutionStatus,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub stop_time: Option<DateTime<Utc>>,
    deadline: Option<DateTime<Utc>>,
    frames: BTreeMap<u64, Frame>,
    next_frame: u64,
    ready: VecDeque<u64>,
    tasks: BTreeMap<u64, TaskEntry>,
    tokens: BTreeMap<String, u64>,
    /// Tokens of tasks that ended (answered, timed out, cancelled): SendTask* with one of them
    /// is `TaskTimedOut`, with an unknown one `InvalidToken`.
    #[serde(default)]
    retired_tokens: BTreeSet<String>,
    next_task: u64,
    next_event: u64,
    rng: u64,
    /// Events not yet taken by the host.
    events: Vec<HistoryEvent>,
    outbox: Vec<Command>,
    /// Where a redrive restarts a failed, aborted or timed-out execution: the top-level state that
    /// did not succeed, with its input and the variables of the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redrive_point: Option<RedrivePoint>,
    /// The Map Runs its Distributed Map states started.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    map_runs: Vec<distributed::MapRunInfo>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct RedrivePoint {
    state: usize,
    input: Value,
    vars: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    children: Option<Box<DoneChildren>>,
}

/// The results of the branches or iterations of a failed Parallel / Map state that succeeded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct DoneChildren {
    results: Vec<Value>,
    succeeded: BTreeSet<usize>,
}

/// Why an execution cannot be redriven (the API's `redriveStatusReason` texts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedriveError {
    #[error("Execution is {0} and cannot be redriven")]
    Status(&'static str),
    /// It ended without a state to restart (the history quota was reached).
    #[error("Execution history event limit exceeded")]
    NoRestartPoint,
}

/// A running (or finished) execution of a definition.
#[derive(Clone, Debug)]
pub struct Execution {
    def: Arc<Definition>,
    st: ExecutionState,
    /// Bytes of state output produced in the current `advance` call.
    turn_bytes: usize,
    /// A JSONata expression that just failed: recorded as `EvaluationFailed` right before the next
    /// event (the state's retry, catch or failure), so that it precedes what the failure caused.
    evaluation_failed: Option<EvaluationFailedDetails>,
    /// Set while the engine works on a frame of a Distributed Map's child execution: its events
    /// belong to the child's own history, not to this one, so they are not recorded.
    quiet: bool,
    /// Set only by [`crate::test_state`]: records the data flow of the one state it runs and
    /// stops at that state's end (its transition, retry or failure). Never persisted.
    probe: Option<Box<Probe>>,
}

/// Result of running a frame for a while.
enum Flow {
    /// The frame moved on to another state: keep running it.
    Continue,
    /// Waiting for a task, a timer or children.
    Blocked,
    /// The frame's state machine ended.
    Finished(Result<Value, StateError>),
}

/// Variables visible from a frame: its own scope, then its ancestors'.
struct ScopeChain<'a> {
    own: &'a Map<String, Value>,
    parent: Option<u64>,
    frames: &'a BTreeMap<u64, Frame>,
}

impl Variables for ScopeChain<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        if let Some(v) = self.own.get(name) {
            return Some(v);
        }
        let mut cur = self.parent;
        while let Some(id) = cur {
            let f = self.frames.get(&id)?;
            if let Some(v) = f.vars.get(name) {
                return Some(v);
            }
            cur = f.parent.as_ref().map(|p| p.frame);
        }
        None
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn machine_at<'d>(def: &'d Definition, path: &[(usize, usize)]) -> Option<&'d StateMachine> {
    let mut m = &def.machine;
    for &(s, b) in path {
        m = match &m.states.get(s)?.kind {
            StateKind::Parallel { branches } => branches.get(b)?,
            StateKind::Map(spec) => &spec.processor,
            _ => return None,
        };
    }
    Some(m)
}

fn runtime_cause(state: &str, entered: u64, detail: &str) -> String {
    format!(
        "An error occurred while executing the state '{state}' (entered at the event id #{entered}). {detail}"
    )
}

/// Compact JSON text of a value (serde's writer is faster than `Display`).
fn json_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Serialized size without building the text.
fn payload_size(v: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

impl Execution {
    /// Starts an execution: records ExecutionStarted; nothing runs until [`advance`](Self::advance).
    pub fn start(
        def: Arc<Definition>,
        input: Value,
        mut context: ExecutionContext,
        now: DateTime<Utc>,
    ) -> Execution {
        if context.region.is_empty() {
            context.region = context
                .state_machine_arn
                .split(':')
                .nth(3)
                .unwrap_or("")
                .to_string();
        }
        let deadline = def.timeout_seconds.map(|s| later(now, secs(s)));
        let seed = context.seed;
        let mut ex = Execution {
            def,
            turn_bytes: 0,
            evaluation_failed: None,
            quiet: false,
            probe: None,
            st: ExecutionState {
                input: input.clone(),
                start_time: now,
                status: ExecutionStatus::Running,
                output: None,
                error: None,
                cause: None,
                stop_time: None,
                deadline,
                frames: BTreeMap::new(),
                next_frame: 1,
                ready: VecDeque::new(),
                tasks: BTreeMap::new(),
                tokens: BTreeMap::new(),
                retired_tokens: BTreeSet::new(),
                next_task: 1,
                next_event: 1,
                rng: seed,
                events: Vec::new(),
                outbox: Vec::new(),
                redrive_point: None,
                map_runs: Vec::new(),
                context,
            },
        };
        let started = ex.emit(
            now,
            EventType::ExecutionStarted,
            0,
            Some(EventDetails::ExecutionStarted(ExecutionStartedDetails {
                input: Some(json_text(&input)),
                role_arn: Some(ex.st.context.role_arn.clone()),
                ..Default::default()
            })),
        );
        let start_at = ex.def.machine.start_at;
        ex.spawn(Vec::new(), None, start_at, input, started, now);
        ex
    }

    /// Rebuilds an execution from a persisted state and its definition.
    pub fn restore(def: Arc<Definition>, state: ExecutionState) -> Execution {
        Execution {
            def,
            st: state,
            turn_bytes: 0,
            evaluation_failed: None,
            quiet: false,
            probe: None,
        }
    }

    /// The serializable state (persist it after every step).
    pub fn state(&self) -> &ExecutionState {
        &self.st
    }

    pub fn definition(&self) -> &Arc<Definition> {
        &self.def
    }

    pub fn status(&self) -> ExecutionStatus {
        self.st.status
    }

    /// Output of a SUCCEEDED execution.
    pub fn output(&self) -> Option<&Value> {
        self.st.output.as_ref()
    }

    /// Error and cause of a FAILED / TIMED_OUT / ABORTED execution.
    pub fn error(&self) -> Option<(&str, &str)> {
        self.st
            .error
            .as_deref()
            .map(|e| (e, self.st.cause.as_deref().unwrap_or("")))
    }

    /// Takes the history events recorded since the last call.
    pub fn take_events(&mut self) -> Vec<HistoryEvent> {
        std::mem::take(&mut self.st.events)
    }

    /// The outstanding task a token belongs to.
    pub fn task_for_token(&self, token: &str) -> Option<u64> {
        self.st.tokens.get(token).copied()
    }

    /// Tasks the engine is waiting for (after a restart, the host re-dispatches or keeps
    /// waiting for their tokens).
    pub fn outstanding_tasks(&self) -> Vec<&TaskRequest> {
        self.st
            .tasks
            .values()
            .filter_map(|t| t.request.as_ref())
            .collect()
    }

    fn token_task(&self, token: &str) -> Result<u64, TokenError> {
        if self.st.status == ExecutionStatus::Running
            && let Some(id) = self.st.tokens.get(token)
        {
            return Ok(*id);
        }
        if self.st.retired_tokens.contains(token) || self.st.status != ExecutionStatus::Running {
            Err(TokenError::TaskTimedOut)
        } else {
            Err(TokenError::InvalidToken)
        }
    }

    /// SendTaskSuccess by token.
    pub fn send_task_success(
        &mut self,
        token: &str,
        output: Value,
        now: DateTime<Utc>,
    ) -> Result<(), TokenError> {
        let id = self.token_task(token)?;
        self.task_succeeded(id, output, now)
            .map_err(|_| TokenError::TaskTimedOut)
    }

    /// SendTaskFailure by token.
    pub fn send_task_failure(
        &mut self,
        token: &str,
        error: Option<String>,
        cause: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), TokenError> {
        let id = self.token_task(token)?;
        self.task_failed(id, error, cause, now)
            .map_err(|_| TokenError::TaskTimedOut)
    }

    /// SendTaskHeartbeat by token.
    pub fn send_task_heartbeat(
        &mut self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), TokenError> {
        let id = self.token_task(token)?;
        self.heartbeat(id, now)
            .map_err(|_| TokenError::TaskTimedOut)
    }

    /// The `detail` of the "Step Functions Execution Status Change" event EventBridge receives
    /// on the default bus for this execution's current status.
    pub fn status_change_detail(&self) -> Value {
        let st = &self.st;
        let c = &st.context;
        let status = serde_json::to_value(st.status).unwrap_or(Value::Null);
        let (output, output_details) = match (&st.status, &st.output) {
            (ExecutionStatus::Succeeded, Some(o)) => {
                (Value::String(json_text(o)), json!({"included": true}))
            }
            _ => (Value::Null, Value::Null),
        };
        json!({
            "executionArn": c.execution_arn,
            "stateMachineArn": c.state_machine_arn,
            "name": c.execution_name,
            "status": status,
            "startDate": st.start_time.timestamp_millis(),
            "stopDate": st.stop_time.map(|t| t.timestamp_millis()),
            "input": json_text(&st.input),
            "output": output,
            "inputDetails": {"included": true},
            "outputDetails": output_details,
            "error": st.error,
            "cause": st.cause,
            "redriveCount": c.redrive_count,
        })
    }

    /// The earliest pending timer, if any.
    pub fn next_wake(&self) -> Option<DateTime<Utc>> {
        if self.st.status != ExecutionStatus::Running {
            return None;
        }
        let mut best = self.st.deadline;
        let mut consider = |t: Option<DateTime<Utc>>| {
            if let Some(t) = t {
                best = Some(best.map_or(t, |b| b.min(t)));
            }
        };
        for f in self.st.frames.values() {
            match &f.phase {
                Phase::Task {
                    timeout_at,
                    heartbeat_at,
                    outcome: None,
                    ..
                } => {
                    consider(*timeout_at);
                    consider(*heartbeat_at);
                }
                Phase::RetryWait { until } => consider(Some(*until)),
                Phase::Wait {
                    until,
                    fired: false,
                } => consider(Some(*until)),
                _ => {}
            }
        }
        best
    }

    /// Runs everything that can run at `now`; returns what the host must do.
    pub fn advance(&mut self, now: DateTime<Utc>) -> Vec<Command> {
        let def = Arc::clone(&self.def);
        let mut budget = STEP_BUDGET;
        self.turn_bytes = 0;
        while self.st.status == ExecutionStatus::Running {
            self.fire_timers(now);
            if self.st.status != ExecutionStatus::Running || self.st.ready.is_empty() {
                break;
            }
            while let Some(fid) = self.st.ready.pop_front() {
                self.run_frame(&def, fid, now, &mut budget);
                if self.st.status != ExecutionStatus::Running {
                    break;
                }
                if budget == 0 {
                    break;
                }
            }
            if budget == 0 {
                self.st.outbox.push(Command::WakeAt(now));
                return std::mem::take(&mut self.st.outbox);
            }
        }
        // A step that blocked (a task scheduled) may have run past the limit.
        self.history_full(now);
        if let Some(t) = self.next_wake() {
            self.st.outbox.push(Command::WakeAt(t));
        }
        std::mem::take(&mut self.st.outbox)
    }

    /// The host's task finished successfully (SendTaskSuccess, or the integration's response).
    pub fn task_succeeded(
        &mut self,
        task_id: u64,
        output: Value,
        now: DateTime<Utc>,
    ) -> Result<(), InputError> {
        self.finish_task(task_id, TaskOutcome::Succeeded(output), now)
    }

    /// The host's task failed (SendTaskFailure, a Lambda error, ...).
    pub fn task_failed(
        &mut self,
        task_id: u64,
        error: Option<String>,
        cause: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), InputError> {
        let err = StateError::new(error.unwrap_or_default(), cause.unwrap_or_default());
        self.finish_task(task_id, TaskOutcome::Failed(err), now)
    }

    /// The integration accepted a `.sync` / `.waitForTaskToken` request (TaskSubmitted).
    pub fn task_submitted(
        &mut self,
        task_id: u64,
        output: Value,
        now: DateTime<Utc>,
    ) -> Result<(), InputError> {
        let (fid, resource) = self.task_frame(task_id)?;
        let last = self.st.frames.get(&fid).map_or(0, |f| f.last_event);
        let (rt, r) = resource_names(&resource);
        let was = self.quiet_for(fid);
        let id = self.emit(
            now,
            EventType::TaskSubmitted,
            last,
            Some(EventDetails::TaskSubmitted(TaskOutputDetails {
                resource_type: rt,
                resource: r,
                output: Some(json_text(&output)),
                output_details: DataDetails::default(),
            })),
        );
        self.quiet = was;
        if let Some(f) = self.st.frames.get_mut(&fid) {
            f.last_event = id;
        }
        Ok(())
    }

    /// SendTaskHeartbeat: pushes the heartbeat deadline of the task out.
    pub fn heartbeat(&mut self, task_id: u64, now: DateTime<Utc>) -> Result<(), InputError> {
        let (fid, _) = self.task_frame(task_id)?;
        if let Some(Frame {
            phase:
                Phase::Task {
                    heartbeat_seconds: Some(hb),
                    heartbeat_at,
                    ..
                },
            ..
        }) = self.st.frames.get_mut(&fid)
        {
            *heartbeat_at = Some(later(now, secs(*hb)));
        }
        Ok(())
    }

    /// StopExecution: aborts whatever runs and ends the execution as ABORTED.
    /// A worker took the activity task of `token` (GetActivityTask): records `ActivityStarted` with
    /// its `workerName`.
    pub fn activity_started(
        &mut self,
        token: &str,
        worker_name: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), InputError> {
        if self.st.status != ExecutionStatus::Running {
            return Err(InputError::NotRunning);
        }
        let task_id = *self
            .st
            .tokens
            .get(token)
            .ok_or(InputError::UnknownTask(0))?;
        let (fid, _) = self.task_frame(task_id)?;
        let last = self.st.frames.get(&fid).map_or(0, |f| f.last_event);
        let was = self.quiet_for(fid);
        let id = self.emit(
            now,
            EventType::ActivityStarted,
            last,
            Some(EventDetails::ActivityStarted(ActivityStartedDetails {
                worker_name,
            })),
        );
        self.quiet = was;
        if let Some(f) = self.st.frames.get_mut(&fid) {
            f.last_event = id;
        }
        Ok(())
    }

    /// True when [`Execution::redrive`] can restart this execution (it ended unsuccessfully, with
    /// a state to restart).
    pub fn redrivable(&self) -> bool {
        matches!(
            self.st.status,
            ExecutionStatus::Failed | ExecutionStatus::Aborted | ExecutionStatus::TimedOut
        ) && self.st.redrive_point.is_some()
    }

    /// RedriveExecution: a failed, aborted or timed-out execution runs again from the top-level
    /// state that did not succeed, with the input it had and the variables of the time; the
    /// states that succeeded are not run again (API reference, RedriveExecution). Records
    /// `ExecutionRedriven` with the new redrive count.
    pub fn redrive(&mut self, now: DateTime<Utc>) -> Result<(), RedriveError> {
        match self.st.status {
            ExecutionStatus::Running => return Err(RedriveError::Status("RUNNING")),
            ExecutionStatus::Succeeded => return Err(RedriveError::Status("SUCCEEDED")),
            ExecutionStatus::Failed | ExecutionStatus::Aborted | ExecutionStatus::TimedOut => {}
        }
        let Some(point) = self.st.redrive_point.take() else {
            return Err(RedriveError::NoRestartPoint);
        };
        self.st.context.redrive_count = self.st.context.redrive_count.saturating_add(1);
        self.st.status = ExecutionStatus::Running;
        self.st.output = None;
        self.st.error = None;
        self.st.cause = None;
        self.st.stop_time = None;
        self.st.deadline = self.def.timeout_seconds.map(|s| later(now, secs(s)));
        let last = self.st.next_event - 1;
        let redriven = self.emit(
            now,
            EventType::ExecutionRedriven,
            last,
            Some(EventDetails::ExecutionRedriven(ExecutionRedrivenDetails {
                redrive_count: self.st.context.redrive_count,
            })),
        );
        let fid = self.spawn(Vec::new(), None, point.state, point.input, redriven, now);
        if let Some(f) = self.st.frames.get_mut(&fid) {
            f.vars = point.vars;
            f.redrive_children = point.children;
        }
        Ok(())
    }

    pub fn stop(
        &mut self,
        error: Option<String>,
        cause: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), InputError> {
        if self.st.status != ExecutionStatus::Running {
            return Err(InputError::NotRunning);
        }
        self.abort_execution(frames::Ending::Stopped, error, cause, now);
        Ok(())
    }

    // ----- internals -------------------------------------------------------------------------

    fn task_frame(&self, task_id: u64) -> Result<(u64, String), InputError> {
        if self.st.status != ExecutionStatus::Running {
            return Err(InputError::NotRunning);
        }
        let entry = self
            .st
            .tasks
            .get(&task_id)
            .ok_or(InputError::UnknownTask(task_id))?;
        match self.st.frames.get(&entry.frame).map(|f| &f.phase) {
            Some(Phase::Task {
                task_id: t,
                resource,
                outcome: None,
                ..
            }) if *t == task_id => Ok((entry.frame, resource.clone())),
            _ => Err(InputError::UnknownTask(task_id)),
        }
    }

    fn finish_task(
        &mut self,
        task_id: u64,
        outcome: TaskOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), InputError> {
        let (fid, resource) = self.task_frame(task_id)?;
        let was = self.quiet_for(fid);
        let r = self.finish_task_of(fid, task_id, &resource, outcome, now);
        self.quiet = was;
        r
    }

    fn finish_task_of(
        &mut self,
        fid: u64,
        task_id: u64,
        resource: &str,
        outcome: TaskOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), InputError> {
        let resource = resource.to_string();
        self.forget_task(task_id);
        let last = self.st.frames.get(&fid).map_or(0, |f| f.last_event);
        let integration = Integration::of(&resource);
        let (ty, details) = match (&outcome, &integration) {
            (TaskOutcome::Succeeded(v), Integration::LambdaFunction) => (
                EventType::LambdaFunctionSucceeded,
                EventDetails::LambdaFunctionSucceeded(OutputDetails {
                    output: Some(json_text(v)),
                    output_details: DataDetails::default(),
                }),
            ),
            (TaskOutcome::Succeeded(v), Integration::Activity) => (
                EventType::ActivitySucceeded,
                EventDetails::ActivitySucceeded(OutputDetails {
                    output: Some(json_text(v)),
                    output_details: DataDetails::default(),
                }),
            ),
            (TaskOutcome::Succeeded(v), _) => {
                let (rt, r) = resource_names(&resource);
                (
                    EventType::TaskSucceeded,
                    EventDetails::TaskSucceeded(TaskOutputDetails {
                        resource_type: rt,
                        resource: r,
                        output: Some(json_text(v)),
                        output_details: DataDetails::default(),
                    }),
                )
            }
            (TaskOutcome::Failed(e), Integration::LambdaFunction) => (
                EventType::LambdaFunctionFailed,
                EventDetails::LambdaFunctionFailed(error_details(e)),
            ),
            (TaskOutcome::Failed(e), Integration::Activity) => (
                EventType::ActivityFailed,
                EventDetails::ActivityFailed(error_details(e)),
            ),
            (TaskOutcome::Failed(e), _) => {
                let (rt, r) = resource_names(&resource);
                let d = error_details(e);
                (
                    EventType::TaskFailed,
                    EventDetails::TaskFailed(TaskErrorDetails {
                        resource_type: rt,
                        resource: r,
                        error: d.error,
                        cause: d.cause,
                    }),
                )
            }
        };
        let id = self.emit(now, ty, last, Some(details));
        if let Some(f) = self.st.frames.get_mut(&fid) {
            f.last_event = id;
            if let Phase::Task { outcome: o, .. } = &mut f.phase {
                *o = Some(outcome);
            }
        }
        self.st.ready.push_back(fid);
        Ok(())
    }

    fn forget_task(&mut self, task_id: u64) {
        if let Some(e) = self.st.tasks.remove(&task_id)
            && let Some(t) = e.token
        {
            self.st.tokens.remove(&t);
            self.st.retired_tokens.insert(t);
        }
    }

    fn next_random(&mut self) -> u64 {
        self.st.rng = self.st.rng.wrapping_add(1);
        splitmix64(self.st.rng)
    }

    /// Ends the execution when its history has reached the limit (25,000
    /// events for a Standard workflow, service quotas): the last event is
    /// `ExecutionFailed`, and the history never holds more than the limit.
    /// A step can emit several events; those past the limit are dropped
    /// before the failure is recorded (they are still in this turn's buffer).
    fn history_full(&mut self, now: DateTime<Utc>) -> bool {
        let Some(limit) = self.st.context.history_limit else {
            return false;
        };
        if self.st.status != ExecutionStatus::Running || self.st.next_event < limit {
            return false;
        }
        self.st.events.retain(|e| e.id < limit);
        self.st.next_event = limit;
        let cause =
            format!("The execution reached the maximum number of history events ({limit}).");
        self.emit(
            now,
            EventType::ExecutionFailed,
            limit - 1,
            Some(EventDetails::ExecutionFailed(ErrorDetails {
                error: Some(errors::RUNTIME.to_string()),
                cause: Some(cause.clone()),
            })),
        );
        self.end(
            ExecutionStatus::Failed,
            None,
            Some(errors::RUNTIME.into()),
            Some(cause),
            now,
        );
        true
    }

    fn emit(
        &mut self,
        now: DateTime<Utc>,
        ty: EventType,
        prev: u64,
        details: Option<EventDetails>,
    ) -> u64 {
        if self.quiet {
            self.evaluation_failed = None;
            return prev;
        }
        let prev = match self.evaluation_failed.take() {
            Some(d) => self.push_event(
                now,
                EventType::EvaluationFailed,
                prev,
                Some(EventDetails::EvaluationFailed(d)),
            ),
            None => prev,
        };
        self.push_event(now, ty, prev, details)
    }

    fn push_event(
        &mut self,
        now: DateTime<Utc>,
        ty: EventType,
        prev: u64,
        details: Option<EventDetails>,
    ) -> u64 {
        let id = self.st.next_event;
        self.st.next_event += 1;
        self.st.events.push(HistoryEvent {
            timestamp: now,
            event_type: ty,
            id,
            previous_event_id: prev,
            details,
        });
        id
    }

    fn spawn(
        &mut self,
        machine: Vec<(usize, usize)>,
        parent: Option<ParentLink>,
        state: usize,
        input: Value,
        last_event: u64,
        now: DateTime<Utc>,
    ) -> u64 {
        let id = self.st.next_frame;
        self.st.next_frame += 1;
        self.st.frames.insert(
            id,
            Frame {
                machine,
                parent,
                state,
                input,
                phase: Phase::Enter,
                vars: Map::new(),
                entered_event: 0,
                last_event,
                entered_time: now,
                retry_counts: Vec::new(),
                retry_total: 0,
                quiet: false,
                redrive_children: None,
                input_text: None,
            },
        );
        self.st.ready.push_back(id);
        id
    }

    /// Records events (or not) for the frame `fid` from now on; gives the previous setting.
    fn quiet_for(&mut self, fid: u64) -> bool {
        let q = self.st.frames.get(&fid).is_some_and(|f| f.quiet);
        std::mem::replace(&mut self.quiet, q)
    }

    fn end(
        &mut self,
        status: ExecutionStatus,
        output: Option<Value>,
        error: Option<String>,
        cause: Option<String>,
        now: DateTime<Utc>,
    ) {
        self.st.status = status;
        self.st.output = output;
        self.st.error = error;
        self.st.cause = cause;
        self.st.stop_time = Some(now);
        self.st.ready.clear();
        let tasks: Vec<(u64, Option<String>)> = self
            .st
            .tasks
            .iter()
            .map(|(id, e)| (*id, e.token.clone()))
            .collect();
        for (task_id, task_token) in tasks {
            self.st.outbox.push(Command::CancelTask {
                task_id,
                task_token,
            });
        }
        let open: Vec<String> = self.st.tokens.keys().cloned().collect();
        self.st.retired_tokens.extend(open);
        self.st.tasks.clear();
        self.st.tokens.clear();
        self.st.frames.clear();
    }
}

/// `now + d`, saturating at the far future instead of overflowing.
fn later(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now.checked_add_signed(d)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn secs(s: u64) -> Duration {
    Duration::seconds(
        i64::try_from(s)
            .unwrap_or(i64::MAX / 1000)
            .min(i64::MAX / 1000),
    )
}

/// Cause of `States.ResultPathMatchFailure`, as AWS words it: the input is quoted as a JSON string.
fn result_path_cause(path: &str, input: &Value) -> String {
    format!(
        "Unable to apply ReferencePath {path} to input {}",
        Value::String(json_text(input))
    )
}

fn data_limit(state: &str) -> StateError {
    StateError::new(
        errors::DATA_LIMIT_EXCEEDED,
        format!(
            "The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit."
        ),
    )
}

/// `States.DataLimitExceeded` for a value nested deeper than [`MAX_VALUE_DEPTH`].
fn depth_limit(state: &str) -> StateError {
    StateError::new(
        errors::DATA_LIMIT_EXCEEDED,
        format!(
            "The state/task '{state}' produced a value nested deeper than the maximum of {MAX_VALUE_DEPTH} levels."
        ),
    )
}

/// Whether placing `value` at `rp` would nest deeper than [`MAX_VALUE_DEPTH`]
/// (checked before the value is built: a 100,000-segment ResultPath must not
/// build 100,000 levels).
fn result_too_deep(rp: &ResultPath, value: &Value) -> bool {
    match rp {
        ResultPath::Path(p) => p.segments().len() + limits::depth(value) > MAX_VALUE_DEPTH,
        ResultPath::Replace | ResultPath::Discard => false,
    }
}

fn runtime(state: &State, frame: &Frame, detail: &str) -> StateError {
    StateError::new(
        errors::RUNTIME,
        runtime_cause(&state.name, frame.entered_event, detail),
    )
}

fn path_error(state: &str, entered: u64, path: &Path, e: PathEvalError) -> StateError {
    let detail = match e {
        PathEvalError::NoResults { normalized } => {
            format!(
                "Invalid path '{}' : No results for path: {normalized}",
                path.text()
            )
        }
        PathEvalError::UndefinedVariable { name } => {
            format!(
                "Invalid path '{}' : The variable '{name}' is not defined",
                path.text()
            )
        }
        PathEvalError::TooExpensive => format!("Invalid path '{}' : {e}", path.text()),
    };
    StateError::new(errors::RUNTIME, runtime_cause(state, entered, &detail))
}

fn template_error(state: &str, entered: u64, e: TemplateError) -> StateError {
    let name = match e {
        TemplateError::Intrinsic { .. } => errors::INTRINSIC_FAILURE,
        _ => errors::RUNTIME,
    };
    StateError::new(name, runtime_cause(state, entered, &e.to_string()))
}

fn apply_result_path(rp: &ResultPath, input: &Value, result: Value) -> Result<Value, String> {
    match rp {
        ResultPath::Replace => Ok(result),
        ResultPath::Discard => Ok(input.clone()),
        ResultPath::Path(p) => {
            let mut out = input.clone();
            p.assign(&mut out, result)
                .map_err(|_| p.text().to_string())?;
            Ok(out)
        }
    }
}

fn error_details(e: &StateError) -> ErrorDetails {
    ErrorDetails {
        error: (!e.error.is_empty()).then(|| e.error.clone()),
        cause: (!e.cause.is_empty()).then(|| e.cause.clone()),
    }
}

/// `resourceType` / `resource` of Task* events: `arn:aws:states:::lambda:invoke` gives
/// (`lambda`, `invoke`).
pub fn resource_names(resource: &str) -> (String, String) {
    match Integration::of(resource) {
        Integration::Service { service, api, .. } => (service, api),
        Integration::LambdaFunction => ("lambda".into(), resource.to_string()),
        Integration::Activity => ("activity".into(), resource.to_string()),
    }
}

fn entered_type(k: &StateKind) -> EventType {
    match k {
        StateKind::Pass { .. } => EventType::PassStateEntered,
        StateKind::Task(_) => EventType::TaskStateEntered,
        StateKind::Choice { .. } => EventType::ChoiceStateEntered,
        StateKind::Wait(_) => EventType::WaitStateEntered,
        StateKind::Succeed => EventType::SucceedStateEntered,
        StateKind::Fail { .. } => EventType::FailStateEntered,
        StateKind::Parallel { .. } => EventType::ParallelStateEntered,
        StateKind::Map(_) => EventType::MapStateEntered,
    }
}

fn exited_type(k: &StateKind) -> EventType {
    match k {
        StateKind::Pass { .. } => EventType::PassStateExited,
        StateKind::Task(_) => EventType::TaskStateExited,
        StateKind::Choice { .. } => EventType::ChoiceStateExited,
        StateKind::Wait(_) => EventType::WaitStateExited,
        StateKind::Succeed | StateKind::Fail { .. } => EventType::SucceedStateExited,
        StateKind::Parallel { .. } => EventType::ParallelStateExited,
        StateKind::Map(_) => EventType::MapStateExited,
    }
}
