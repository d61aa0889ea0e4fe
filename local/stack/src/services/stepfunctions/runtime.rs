//! The execution runtime: one task per running execution owns its `asl::Execution`.
//!
//! Each turn: advance the engine at the clock's now → persist the new history events, the
//! engine snapshot, the execution row and task-token changes in one transaction → answer the
//! callers waiting on that turn (StopExecution, SendTask*) → dispatch the tasks the engine asked
//! for → sleep until a message or the engine's next timer (on the stack's clock, so a
//! `ManualClock` drives waits, retries, heartbeats and timeouts in tests).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use asl::{Command, Execution, ExecutionState, ExecutionStatus, HistoryEvent, TaskRequest};
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use super::StepFunctionsService;
use super::integrations::{self, Outcome};
use super::model::{
    CallbackAction, ExecutionMeta, RunnerMessage, TaskResult, history_records, status_name,
};
use super::observe;
use crate::protocol::error::AwsError;
use crate::store::StoreError;
use crate::store::stepfunctions::{self as records, ExecutionRecord, TaskTokenRecord};

/// A running execution's channel and task.
pub(super) struct RunnerHandle {
    pub sender: mpsc::UnboundedSender<RunnerMessage>,
    pub task: AbortHandle,
}

enum TokenUpdate {
    Waiting(TaskTokenRecord),
    Submitted(String),
    Complete {
        token: String,
        status: &'static str,
        result: Option<String>,
    },
    Heartbeat(String),
}

enum Reply {
    Callback(oneshot::Sender<Result<(), AwsError>>, Result<(), AwsError>),
    Stop(oneshot::Sender<Result<i64, AwsError>>, i64),
}

struct Runner {
    svc: Arc<StepFunctionsService>,
    ex: Execution,
    meta: ExecutionMeta,
    tx: mpsc::UnboundedSender<RunnerMessage>,
    in_flight: HashMap<u64, AbortHandle>,
    tokens: Vec<TokenUpdate>,
    replies: Vec<Reply>,
    /// The Map Run records as last stored (ARN → JSON): a turn stores only those that changed.
    map_runs_written: HashMap<String, String>,
}

/// A runner that goes away (shutdown, or its execution ended) takes its in-flight task calls with it:
/// nothing keeps running on behalf of an execution this process no longer drives.
impl Drop for Runner {
    fn drop(&mut self) {
        for (_, handle) in self.in_flight.drain() {
            handle.abort();
        }
    }
}

impl StepFunctionsService {
    /// Sends a message to a running execution's runner; false when none runs it here.
    pub(super) fn send_to_runner(&self, execution_arn: &str, message: RunnerMessage) -> bool {
        let sender = self
            .runners
            .lock()
            .ok()
            .and_then(|r| r.get(execution_arn).map(|h| h.sender.clone()));
        sender.is_some_and(|s| s.send(message).is_ok())
    }
}

/// Starts the runner of an execution whose state is already durable.
pub(super) fn launch(
    svc: &StepFunctionsService,
    ex: Execution,
    meta: ExecutionMeta,
    initial: Option<(Vec<HistoryEvent>, Vec<Command>)>,
    redispatch: Vec<TaskRequest>,
) {
    let Some(svc) = svc.arc() else { return };
    let (tx, rx) = mpsc::unbounded_channel();
    let arn = meta.arn.clone();
    let tx_for_map = tx.clone();
    // Registered under the lock before the task can run, so `detach` always finds it.
    let mut runners = match svc.runners.lock() {
        Ok(r) => r,
        Err(poisoned) => poisoned.into_inner(),
    };
    if runners.contains_key(&arn) {
        // Resumed concurrently by someone else: one runner per execution.
        return;
    }
    let runner = Runner {
        svc: Arc::clone(&svc),
        ex,
        meta,
        tx: tx.clone(),
        in_flight: HashMap::new(),
        tokens: Vec::new(),
        replies: Vec::new(),
        map_runs_written: HashMap::new(),
    };
    let task = tokio::spawn(runner.run(rx, initial, redispatch));
    runners.insert(
        arn,
        RunnerHandle {
            sender: tx_for_map,
            task: task.abort_handle(),
        },
    );
}

impl Runner {
    async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<RunnerMessage>,
        initial: Option<(Vec<HistoryEvent>, Vec<Command>)>,
        redispatch: Vec<TaskRequest>,
    ) {
        // A new execution: StartExecution already ran (and saved) its first step at the start
        // time; this turn acts on that step's commands.
        let mut first_commands = None;
        if let Some((events, commands)) = initial {
            observe::log_events(&self.svc, &self.meta, &events).await;
            observe::status_change(&self.svc, &self.meta, &self.ex, true).await;
            first_commands = Some(commands);
        }
        for task in redispatch {
            self.dispatch(task);
        }
        loop {
            let now = self.svc.stack.clock.now();
            let commands = match first_commands.take() {
                Some(commands) => commands,
                None => {
                    // The turn runs on an engine thread, not on the async worker.
                    let svc = Arc::clone(&self.svc);
                    let arn = self.meta.arn.clone();
                    let turn = svc
                        .stack
                        .engines
                        .run(move || {
                            let commands = self.ex.advance(now);
                            (self, commands)
                        })
                        .await;
                    match turn {
                        Some((runner, commands)) => {
                            self = runner;
                            commands
                        }
                        None => {
                            tracing::error!(execution = %arn, "the engine failed on this execution's turn");
                            detach_arn(&svc, &arn);
                            return;
                        }
                    }
                }
            };
            let mut wake: Option<DateTime<Utc>> = None;
            let mut to_run = Vec::new();
            for command in commands {
                match command {
                    Command::RunTask(task) => {
                        if let Some(token) = &task.task_token {
                            self.tokens.push(TokenUpdate::Waiting(token_record(
                                &self.meta.arn,
                                token,
                                &task,
                                now,
                            )));
                        }
                        to_run.push(task);
                    }
                    Command::CancelTask {
                        task_id,
                        task_token,
                    } => {
                        if let Some(handle) = self.in_flight.remove(&task_id) {
                            handle.abort();
                        }
                        if let Some(token) = task_token {
                            // A timed-out or abandoned token: a late SendTask* gets TaskTimedOut.
                            self.tokens.push(TokenUpdate::Complete {
                                token,
                                status: "TIMED_OUT",
                                result: None,
                            });
                        }
                    }
                    Command::WakeAt(t) => wake = Some(wake.map_or(t, |w| w.min(t))),
                }
            }
            let events = self.ex.take_events();
            let persisted = self.persist(&events).await;
            let finished = self.ex.status() != ExecutionStatus::Running;
            self.answer(persisted.as_ref().err());
            if let Err(e) = persisted {
                // Nothing was acknowledged for this turn; stop driving an execution whose
                // state cannot be saved (it resumes from the last saved turn on restart).
                tracing::error!(execution = %self.meta.arn, error = %e, "cannot persist execution");
                self.detach();
                return;
            }
            observe::log_events(&self.svc, &self.meta, &events).await;
            if finished {
                self.detach();
                observe::status_change(&self.svc, &self.meta, &self.ex, false).await;
                return;
            }
            for task in to_run {
                self.dispatch(task);
            }
            let message = match wake {
                Some(at) => {
                    let wait = (at.timestamp_millis() - self.svc.stack.clock.now_millis()).max(0);
                    let sleep = self
                        .svc
                        .stack
                        .clock
                        .sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0)));
                    tokio::select! {
                        m = rx.recv() => m,
                        () = sleep => None,
                    }
                }
                None => rx.recv().await,
            };
            if let Some(message) = message {
                self.handle(message);
                // Take whatever else is queued, so a burst is persisted in one turn.
                while let Ok(more) = rx.try_recv() {
                    self.handle(more);
                }
            }
        }
    }

    fn detach(&self) {
        detach_arn(&self.svc, &self.meta.arn);
        for handle in self.in_flight.values() {
            handle.abort();
        }
    }

    fn handle(&mut self, message: RunnerMessage) {
        let now = self.svc.stack.clock.now();
        match message {
            RunnerMessage::TaskDone { task_id, result } => {
                self.in_flight.remove(&task_id);
                // An error means the task is no longer outstanding (timed out, stopped).
                let _ = match result {
                    TaskResult::Succeeded(v) => self.ex.task_succeeded(task_id, v, now),
                    TaskResult::Failed { error, cause } => {
                        self.ex.task_failed(task_id, Some(error), Some(cause), now)
                    }
                };
            }
            RunnerMessage::Submitted {
                task_id,
                token,
                output,
            } => {
                self.in_flight.remove(&task_id);
                if self.ex.task_submitted(task_id, output, now).is_ok() {
                    self.tokens.push(TokenUpdate::Submitted(token));
                }
            }
            RunnerMessage::Queued { task_id, token } => {
                self.in_flight.remove(&task_id);
                // Unless a worker answered already: the token waits, a restart does not queue
                // the task again.
                if self.ex.task_for_token(&token).is_some() {
                    self.tokens.push(TokenUpdate::Submitted(token));
                }
            }
            RunnerMessage::Callback {
                token,
                action,
                reply,
            } => {
                let Some(task_id) = self.ex.task_for_token(&token) else {
                    let _ = reply.send(Err(AwsError::client(
                        "TaskTimedOut",
                        "Task Timed Out: 'Provided task does not exist anymore'",
                    )));
                    return;
                };
                let outcome = match action {
                    CallbackAction::Success(output) => {
                        let text = output.to_string();
                        self.ex.task_succeeded(task_id, output, now).map(|()| {
                            self.tokens.push(TokenUpdate::Complete {
                                token,
                                status: "SUCCEEDED",
                                result: Some(text),
                            });
                        })
                    }
                    CallbackAction::Failure { error, cause } => {
                        let text =
                            serde_json::json!({ "error": error, "cause": cause }).to_string();
                        self.ex.task_failed(task_id, error, cause, now).map(|()| {
                            self.tokens.push(TokenUpdate::Complete {
                                token,
                                status: "FAILED",
                                result: Some(text),
                            });
                        })
                    }
                    CallbackAction::Heartbeat => self.ex.heartbeat(task_id, now).map(|()| {
                        self.tokens.push(TokenUpdate::Heartbeat(token));
                    }),
                };
                let answer = outcome.map_err(|_| {
                    AwsError::client(
                        "TaskTimedOut",
                        "Task Timed Out: 'Provided task does not exist anymore'",
                    )
                });
                self.replies.push(Reply::Callback(reply, answer));
            }
            RunnerMessage::ActivityStarted { token, worker_name } => {
                // A task the execution no longer waits for (timed out, stopped) records nothing.
                let _ = self.ex.activity_started(&token, worker_name, now);
            }
            RunnerMessage::UpdateMapRun {
                arn,
                max_concurrency,
                tolerated_count,
                tolerated_percentage,
                reply,
            } => {
                let answer = self
                    .ex
                    .update_map_run(
                        &arn,
                        max_concurrency,
                        tolerated_count,
                        tolerated_percentage,
                        now,
                    )
                    .map_err(|e| match e {
                        asl::MapRunUpdateError::NotFound(_)
                        | asl::MapRunUpdateError::NotRunning(_) => AwsError::client(
                            "ResourceNotFound",
                            format!("Resource not found: '{arn}'"),
                        )
                        .with_member("resourceName", arn.clone()),
                    });
                self.replies.push(Reply::Callback(reply, answer));
            }
            RunnerMessage::Stop {
                error,
                cause,
                reply,
            } => {
                let stop_ms = match self.ex.stop(error, cause, now) {
                    Ok(()) => now.timestamp_millis(),
                    Err(_) => self
                        .ex
                        .state()
                        .stop_time
                        .map_or(now.timestamp_millis(), |t| t.timestamp_millis()),
                };
                self.replies.push(Reply::Stop(reply, stop_ms));
            }
        }
    }

    fn answer(&mut self, failure: Option<&StoreError>) {
        for reply in self.replies.drain(..) {
            let failed = || {
                AwsError::internal(format!(
                    "storage failed: {}",
                    failure.map_or_else(String::new, ToString::to_string)
                ))
            };
            match reply {
                Reply::Callback(tx, result) => {
                    let _ = tx.send(if failure.is_some() {
                        Err(failed())
                    } else {
                        result
                    });
                }
                Reply::Stop(tx, ms) => {
                    let _ = tx.send(if failure.is_some() {
                        Err(failed())
                    } else {
                        Ok(ms)
                    });
                }
            }
        }
    }

    async fn persist(&mut self, events: &[HistoryEvent]) -> Result<(), StoreError> {
        if events.is_empty() && self.tokens.is_empty() && self.replies.is_empty() {
            return Ok(());
        }
        let state = self.ex.state();
        let running = state.status == ExecutionStatus::Running;
        // A finished execution runs again only if redriven: its snapshot holds where from.
        let keep = running || self.ex.redrivable();
        let snapshot = serde_json::to_string(state)
            .map_err(|e| StoreError::Corrupt(format!("engine snapshot: {e}")))?;
        let record = ExecutionRecord {
            arn: self.meta.arn.clone(),
            state_machine_arn: self.meta.state_machine_arn.clone(),
            name: self.meta.name.clone(),
            status: status_name(state.status).to_owned(),
            input: None,
            output: state.output.as_ref().map(ToString::to_string),
            error: state.error.clone(),
            cause: state.cause.clone(),
            trace_header: None,
            start_ms: self.meta.start_ms,
            stop_ms: state.stop_time.map(|t| t.timestamp_millis()),
            engine_state: keep.then_some(snapshot),
            redrive_count: self.meta.redrive_count,
        };
        let history = history_records(&self.meta.arn, events);
        let map_runs: Vec<records::MapRunRecord> =
            crate::services::stepfunctions::model::map_run_records(&self.meta.arn, &self.ex)
                .into_iter()
                .filter(|r| self.map_runs_written.get(&r.arn) != Some(&r.info))
                .collect();
        let written = map_runs.clone();
        let tokens = std::mem::take(&mut self.tokens);
        let now_ms = self.svc.stack.clock.now_millis();
        self.svc
            .stack
            .store
            .write(move |c| {
                records::append_history(c, &history)?;
                records::update_execution(c, &record)?;
                records::put_map_runs(c, &map_runs)?;
                for update in &tokens {
                    match update {
                        TokenUpdate::Waiting(t) => records::put_task_token(c, t)?,
                        TokenUpdate::Submitted(t) => {
                            records::mark_task_token_submitted(c, t)?;
                        }
                        TokenUpdate::Complete {
                            token,
                            status,
                            result,
                        } => {
                            records::complete_task_token(c, token, status, result.as_deref())?;
                        }
                        TokenUpdate::Heartbeat(t) => {
                            records::heartbeat_task_token(c, t, now_ms)?;
                        }
                    }
                }
                if !running {
                    // Tokens of a finished execution can no longer be answered.
                    records::expire_task_tokens(c, &record.arn)?;
                    // Its tasks will never be sent again: their PutEvents answers can go.
                    crate::store::eventbridge::delete_publish_keys(c, &record.arn)?;
                }
                Ok::<_, StoreError>(())
            })
            .await?;
        // Written: the next turn writes only the Map Runs that change again.
        for r in written {
            self.map_runs_written.insert(r.arn, r.info);
        }
        Ok(())
    }

    fn dispatch(&mut self, task: TaskRequest) {
        let svc = Arc::clone(&self.svc);
        let tx = self.tx.clone();
        let task_id = task.task_id;
        let execution_arn = self.meta.arn.clone();
        let state_machine_arn = self.meta.state_machine_arn.clone();
        let handle = tokio::spawn(async move {
            let outcome = integrations::run(&svc, &task, &execution_arn, &state_machine_arn).await;
            let message = match (outcome, task.task_token) {
                (Outcome::Submitted(output), Some(token)) => RunnerMessage::Submitted {
                    task_id,
                    token,
                    output,
                },
                (Outcome::Submitted(output), None)
                | (Outcome::Done(TaskResult::Succeeded(output)), _) => RunnerMessage::TaskDone {
                    task_id,
                    result: TaskResult::Succeeded(output),
                },
                (Outcome::Queued, Some(token)) => RunnerMessage::Queued { task_id, token },
                (Outcome::Queued, None) => RunnerMessage::TaskDone {
                    task_id,
                    result: TaskResult::Failed {
                        error: "States.Runtime".into(),
                        cause: "an activity task without a task token".into(),
                    },
                },
                (Outcome::Done(result), _) => RunnerMessage::TaskDone { task_id, result },
            };
            let _ = tx.send(message);
        });
        self.in_flight.insert(task_id, handle.abort_handle());
    }
}

fn token_record(
    execution_arn: &str,
    token: &str,
    task: &TaskRequest,
    now: DateTime<Utc>,
) -> TaskTokenRecord {
    let now_ms = now.timestamp_millis();
    TaskTokenRecord {
        token: token.to_owned(),
        execution_arn: execution_arn.to_owned(),
        state_name: task.state_name.clone(),
        status: "WAITING".into(),
        created_ms: now_ms,
        heartbeat_seconds: task.heartbeat_seconds.and_then(|h| i64::try_from(h).ok()),
        heartbeat_deadline_ms: task
            .heartbeat_seconds
            .and_then(|h| i64::try_from(h).ok())
            .map(|h| now_ms.saturating_add(h.saturating_mul(1000))),
        timeout_deadline_ms: task.timeout_at.map(|t| t.timestamp_millis()),
        result: None,
    }
}

/// Restarts every RUNNING execution in the store that no runner drives yet.
pub(super) async fn resume_all(svc: &StepFunctionsService) -> Result<usize, AwsError> {
    let _one_at_a_time = svc.resuming.lock().await;
    let running = svc
        .stack
        .store
        .call(records::running_executions)
        .await
        .map_err(|e| AwsError::internal(format!("storage failed: {e}")))?;
    let mut resumed = 0;
    for record in running {
        let already = svc
            .runners
            .lock()
            .map(|r| r.contains_key(&record.arn))
            .unwrap_or(true);
        if already {
            continue;
        }
        match restore(svc, &record).await {
            Ok((ex, meta, redispatch)) => {
                launch(svc, ex, meta, None, redispatch);
                resumed += 1;
            }
            Err(e) => {
                tracing::error!(execution = %record.arn, error = %e, "cannot resume execution");
            }
        }
    }
    Ok(resumed)
}

/// Forgets the runner of `arn` (it stopped).
fn detach_arn(svc: &StepFunctionsService, arn: &str) {
    if let Ok(mut runners) = svc.runners.lock() {
        runners.remove(arn);
    }
}

/// Deepest saved engine state accepted: values are at most
/// `MAX_VALUE_DEPTH` deep (task parameters, a template around such a value,
/// at most twice that), inside a few levels of the state's own structure.
const MAX_SNAPSHOT_DEPTH: usize = 2 * asl::limits::MAX_VALUE_DEPTH + 32;

/// Parses a saved engine state. serde_json's default limit (127 levels) is
/// below what the engine may hold, so the limit is lifted for this parse,
/// after a non-recursive scan has checked the depth against
/// [`MAX_SNAPSHOT_DEPTH`]; parsing recursion stays bounded.
fn parse_snapshot(text: &str) -> Result<ExecutionState, AwsError> {
    use serde::Deserialize;
    if asl::limits::text_depth(text) > MAX_SNAPSHOT_DEPTH {
        return Err(AwsError::internal(
            "corrupt engine snapshot: nested deeper than any state the engine saves",
        ));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    ExecutionState::deserialize(&mut de)
        .map_err(|e| AwsError::internal(format!("corrupt engine snapshot: {e}")))
}

pub(super) async fn restore(
    svc: &StepFunctionsService,
    record: &ExecutionRecord,
) -> Result<(Execution, ExecutionMeta, Vec<TaskRequest>), AwsError> {
    let sm_arn = record.state_machine_arn.clone();
    let execution_arn = record.arn.clone();
    // An execution started on a version (or an alias) runs that version's machine, which it
    // keeps when the version is deleted or the state machine updated.
    let sm = svc
        .stack
        .store
        .call(move |c| {
            if let Some(on) =
                crate::store::stepfunctions_versions::get_execution_machine(c, &execution_arn)?
            {
                return Ok(Some(on.machine));
            }
            records::get_state_machine(c, &sm_arn)
        })
        .await
        .map_err(|e| AwsError::internal(format!("storage failed: {e}")))?
        .ok_or_else(|| AwsError::internal("its state machine no longer exists"))?;
    let def = svc.definition(&sm.definition)?;
    let state: ExecutionState = record
        .engine_state
        .as_deref()
        .ok_or_else(|| AwsError::internal("no engine snapshot"))
        .and_then(parse_snapshot)?;
    let ex = Execution::restore(def, state);
    let tasks: Vec<TaskRequest> = ex.outstanding_tasks().into_iter().cloned().collect();
    let mut redispatch = Vec::new();
    for task in tasks {
        // A token whose request the integration already accepted keeps waiting; anything else
        // (a Lambda call in flight, a putEvents not yet confirmed) is sent again.
        let submitted = match &task.task_token {
            Some(token) => {
                let key = token.clone();
                svc.stack
                    .store
                    .call(move |c| records::get_task_token(c, &key))
                    .await
                    .map_err(|e| AwsError::internal(format!("storage failed: {e}")))?
                    .is_some_and(|t| {
                        t.status == "WAITING" && t.result.as_deref() == Some("SUBMITTED")
                    })
            }
            None => false,
        };
        if !submitted {
            redispatch.push(task);
        }
    }
    let meta = ExecutionMeta::new(
        &sm,
        &record.arn,
        &record.name,
        record.input.as_deref().unwrap_or("{}"),
        record.start_ms,
        record.redrive_count,
    );
    Ok((ex, meta, redispatch))
}
