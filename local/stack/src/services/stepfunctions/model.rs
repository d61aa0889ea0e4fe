//! What the operations, the runtime, the integrations and the observers share: the messages an
//! execution's runner takes, what it knows of its execution, and how executions and their
//! history appear on the wire. The bottom of the Step Functions service: it depends on no
//! sibling.

use asl::{ExecutionStatus, HistoryEvent};
use chrono::Utc;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::protocol::error::AwsError;
use crate::store::stepfunctions::{HistoryRecord, MapRunRecord, StateMachineRecord};

/// What a task ended with.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskResult {
    /// The integration's output.
    Succeeded(Value),
    /// Error name and cause.
    Failed {
        /// Error name (`Lambda.ServiceException`, `InvalidApplication`, ...).
        error: String,
        /// Cause text.
        cause: String,
    },
}

/// A SendTask* call.
#[derive(Debug, Clone, PartialEq)]
pub enum CallbackAction {
    /// SendTaskSuccess.
    Success(Value),
    /// SendTaskFailure.
    Failure {
        /// `error`.
        error: Option<String>,
        /// `cause`.
        cause: Option<String>,
    },
    /// SendTaskHeartbeat.
    Heartbeat,
}

/// Messages to an execution's runner.
#[derive(Debug)]
pub enum RunnerMessage {
    /// A dispatched task finished.
    TaskDone {
        /// Engine task id.
        task_id: u64,
        /// Its result.
        result: TaskResult,
    },
    /// A `.waitForTaskToken` request was accepted by the integration.
    Submitted {
        /// Engine task id.
        task_id: u64,
        /// The token it waits on.
        token: String,
        /// The integration's response (TaskSubmitted output).
        output: Value,
    },
    /// An activity task was queued for a worker (GetActivityTask); it waits for its token.
    Queued {
        /// Engine task id.
        task_id: u64,
        /// The token it waits on.
        token: String,
    },
    /// SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat; answered once persisted.
    Callback {
        /// The token.
        token: String,
        /// What to do.
        action: CallbackAction,
        /// The answer.
        reply: oneshot::Sender<Result<(), AwsError>>,
    },
    /// GetActivityTask handed the task of `token` to a worker (ActivityStarted).
    ActivityStarted {
        /// The task token.
        token: String,
        /// The worker's `workerName`.
        worker_name: Option<String>,
    },
    /// UpdateMapRun; answered once persisted.
    UpdateMapRun {
        /// The Map Run.
        arn: String,
        /// New `MaxConcurrency`.
        max_concurrency: Option<u64>,
        /// New `ToleratedFailureCount`.
        tolerated_count: Option<u64>,
        /// New `ToleratedFailurePercentage`.
        tolerated_percentage: Option<f64>,
        /// The answer.
        reply: oneshot::Sender<Result<(), AwsError>>,
    },
    /// StopExecution; answered with the stop date (ms) once persisted.
    Stop {
        /// `error`.
        error: Option<String>,
        /// `cause`.
        cause: Option<String>,
        /// The answer.
        reply: oneshot::Sender<Result<i64, AwsError>>,
    },
}

/// Execution logging settings of the state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggingSettings {
    pub level: String,
    pub include_execution_data: bool,
    pub log_group: String,
}

/// What the runner knows about its execution besides the engine state.
#[derive(Debug, Clone)]
pub struct ExecutionMeta {
    pub arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub input: String,
    pub start_ms: i64,
    pub redrive_count: i64,
    pub logging: Option<LoggingSettings>,
    /// The execution's log stream (`states/<machine>/<start time>/<id>`).
    pub log_stream: String,
}

impl ExecutionMeta {
    pub fn new(
        sm: &StateMachineRecord,
        arn: &str,
        name: &str,
        input: &str,
        start_ms: i64,
        redrive_count: i64,
    ) -> Self {
        let logging = sm
            .logging_configuration
            .as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .and_then(|cfg| {
                let level = cfg.get("level")?.as_str()?.to_owned();
                if level == "OFF" {
                    return None;
                }
                let group_arn = cfg
                    .get("destinations")?
                    .get(0)?
                    .get("cloudWatchLogsLogGroup")?
                    .get("logGroupArn")?
                    .as_str()?;
                // arn:aws:logs:<region>:<account>:log-group:<name>[:*]
                let group = group_arn.split(':').nth(6)?.to_owned();
                Some(LoggingSettings {
                    level,
                    include_execution_data: cfg
                        .get("includeExecutionData")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    log_group: group,
                })
            });
        let started = chrono::TimeZone::timestamp_millis_opt(&Utc, start_ms)
            .single()
            .unwrap_or_else(Utc::now);
        let digest = {
            use sha2::Digest;
            let hash = sha2::Sha256::digest(arn.as_bytes());
            hash.iter()
                .take(4)
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        Self {
            arn: arn.to_owned(),
            state_machine_arn: sm.arn.clone(),
            name: name.to_owned(),
            input: input.to_owned(),
            start_ms,
            redrive_count,
            logging,
            log_stream: format!(
                "states/{}/{}/{digest}",
                sm.name,
                started.format("%Y-%m-%d-%H-%M")
            ),
        }
    }
}

/// A seed for the engine's random source (task tokens, States.UUID, jitter): tokens must be
/// unguessable and unique across executions.
pub fn random_seed() -> u64 {
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(seed)
}

fn event_type_name(event: &HistoryEvent) -> String {
    serde_json::to_value(event.event_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// History events as store rows (details = the event as GetExecutionHistory returns it).
/// The records of an execution's Map Runs (DescribeMapRun / ListMapRuns read them).
pub fn map_run_records(execution_arn: &str, ex: &asl::Execution) -> Vec<MapRunRecord> {
    ex.map_runs()
        .iter()
        .map(|m| MapRunRecord {
            arn: m.map_run_arn.clone(),
            execution_arn: execution_arn.to_owned(),
            start_ms: m.start_ms,
            info: serde_json::to_string(m).unwrap_or_default(),
        })
        .collect()
}

pub fn history_records(execution_arn: &str, events: &[HistoryEvent]) -> Vec<HistoryRecord> {
    events
        .iter()
        .map(|e| HistoryRecord {
            execution_arn: execution_arn.to_owned(),
            id: e.id as i64,
            previous_id: e.previous_event_id as i64,
            timestamp_ms: e.timestamp.timestamp_millis(),
            kind: event_type_name(e),
            details: serde_json::to_string(e).unwrap_or_else(|_| "{}".into()),
        })
        .collect()
}

pub fn status_name(status: ExecutionStatus) -> &'static str {
    match status {
        ExecutionStatus::Running => "RUNNING",
        ExecutionStatus::Succeeded => "SUCCEEDED",
        ExecutionStatus::Failed => "FAILED",
        ExecutionStatus::TimedOut => "TIMED_OUT",
        ExecutionStatus::Aborted => "ABORTED",
    }
}

/// Input and output members of history event details, removed when `includeExecutionData` is
/// false.
pub fn strip_execution_data(event: &mut Value) {
    if let Some(obj) = event.as_object_mut() {
        for (key, details) in obj.iter_mut() {
            if key.ends_with("EventDetails")
                && let Some(d) = details.as_object_mut()
            {
                // Assigned variables are execution data too (a JSONata state assigns what it
                // reads: the KYC definition's $application holds the applicant).
                for member in ["input", "output", "parameters", "assignedVariables"] {
                    d.remove(member);
                }
            }
        }
    }
}
