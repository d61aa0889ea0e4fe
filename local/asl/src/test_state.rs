//! One state run on its own, as Step Functions' `TestState` API runs it (API reference
//! "TestState", developer guide "Using TestState API to test a state").
//!
//! The state runs through the same [`Execution`] as a workflow: its input and parameter
//! processing, the task's result processing, Retry / Catch and Choice rules are the engine's own.
//! A probe on the execution records each step (`inspectionData`) and ends the run where the
//! state ends:
//!
//! - it moves on (or ends the workflow): `SUCCEEDED`, with `output` and `nextState`;
//! - an error matches a retrier that has attempts left: `RETRIABLE`, with the retrier's index and
//!   back-off (the state is not retried);
//! - an error matches a catcher: `CAUGHT_ERROR`, with the catcher's output and `Next`;
//! - otherwise (a Fail state, an unhandled error): `FAILED`, with `error` and `cause`.
//!
//! ```
//! use asl::test_state::{TestRun, TestStateInput, TestStatus};
//! let mut run = TestRun::start(
//!     TestStateInput::new(r#"{"Type": "Pass", "Parameters": {"x.$": "$.a"}, "Next": "B"}"#)
//!         .with_input(serde_json::json!({"a": 1})),
//!     chrono::Utc::now(),
//! )
//! .unwrap();
//! let out = run.outcome().unwrap();
//! assert_eq!(out.status, TestStatus::Succeeded);
//! assert_eq!(out.output, Some(serde_json::json!({"x": 1})));
//! assert_eq!(out.next_state.as_deref(), Some("B"));
//! ```
//!
//! A Task without a mock hands its [`TaskRequest`] to the host ([`TestRun::pending_task`]),
//! which runs the integration and answers with [`TestRun::task_succeeded`] /
//! [`TestRun::task_failed`]; with a [`Mock`] nothing is called. Wait states do not sleep: the
//! run's clock jumps to the end of the wait.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::definition::{Definition, InvalidDefinition, StateKind};
use crate::errors::StateError;
use crate::execution::{
    Command, Execution, ExecutionContext, ExecutionStatus, Inspection, Integration,
    IntegrationPattern, Probe, ProbeExit, TaskRequest, seed_variables,
};

/// The name a lone state (a `definition` without `stateName`) is given in its one-state machine.
pub const SINGLE_STATE_NAME: &str = "TestState";

/// Turns of the engine a test may take (a state needs a handful: enter, task, result, exit).
const MAX_TURNS: usize = 64;

/// A mocked task (or Map / Parallel) outcome: TestState's `mock.result` / `mock.errorOutput`.
#[derive(Clone, Debug, PartialEq)]
pub enum Mock {
    Result(Value),
    Error(StateError),
}

/// What to test (TestState's request, decoded).
#[derive(Clone, Debug)]
pub struct TestStateInput {
    /// A state's definition, or with `state_name` a whole state machine's.
    pub definition: String,
    pub state_name: Option<String>,
    pub input: Value,
    /// Workflow variables visible to the state.
    pub variables: Map<String, Value>,
    /// Members of the context object `$$` (only with a mock).
    pub context: Option<Value>,
    pub mock: Option<Mock>,
    /// Retries already made by the retrier that matches the (mocked) error.
    pub retrier_retry_count: u64,
    pub role_arn: String,
    /// The state machine and execution the context object names.
    pub state_machine_arn: String,
    pub execution_name: String,
}

impl TestStateInput {
    pub fn new(definition: impl Into<String>) -> Self {
        TestStateInput {
            definition: definition.into(),
            state_name: None,
            input: json!({}),
            variables: Map::new(),
            context: None,
            mock: None,
            retrier_retry_count: 0,
            role_arn: String::new(),
            state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:TestState"
                .into(),
            execution_name: "test-state".into(),
        }
    }

    pub fn with_input(mut self, input: Value) -> Self {
        self.input = input;
        self
    }

    pub fn with_state_name(mut self, name: impl Into<String>) -> Self {
        self.state_name = Some(name.into());
        self
    }

    pub fn with_mock(mut self, mock: Mock) -> Self {
        self.mock = Some(mock);
        self
    }

    pub fn with_variables(mut self, variables: Map<String, Value>) -> Self {
        self.variables = variables;
        self
    }

    pub fn with_context(mut self, context: Value) -> Self {
        self.context = Some(context);
        self
    }

    pub fn with_retrier_retry_count(mut self, n: u64) -> Self {
        self.retrier_retry_count = n;
        self
    }
}

/// Why a test cannot run (TestState answers these before running anything).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TestStateError {
    /// The definition is not valid ASL (`InvalidDefinition`).
    #[error("{0}")]
    InvalidDefinition(InvalidDefinition),
    /// `stateName` names no state of the definition.
    #[error("State '{0}' does not exist in the state machine definition.")]
    StateNotFound(String),
    /// A mock for a state that calls nothing (API reference: "A mock can only be specified for
    /// Task, Map, or Parallel states").
    #[error("A mock can only be specified for Task, Map, or Parallel states, not for a {0} state.")]
    MockNotAllowed(&'static str),
    /// A state TestState only runs with a mock (API reference: activities, `.sync`,
    /// `.waitForTaskToken`, Parallel and Map).
    #[error("TestState supports {0} only when a mock is specified.")]
    MockRequired(String),
    /// `context` without `mock` (API reference: "This field may only be specified if a mock is
    /// specified in the same request").
    #[error("The context field may only be specified together with a mock.")]
    ContextWithoutMock,
}

/// TestState's `status` (`TestExecutionStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TestStatus {
    Succeeded,
    Failed,
    Retriable,
    CaughtError,
}

/// TestState's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct TestStateOutcome {
    pub status: TestStatus,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub next_state: Option<String>,
    /// Everything the state did with its data (the caller picks what its inspection level shows).
    pub inspection: Inspection,
}

/// A state under test.
#[derive(Debug)]
pub struct TestRun {
    ex: Execution,
    now: DateTime<Utc>,
    mock: Option<Mock>,
    pending: Option<TaskRequest>,
    input: Value,
    variables: Map<String, Value>,
}

impl TestRun {
    /// Validates the request and runs the state as far as it goes without the host: to its end,
    /// or to a task the host must run.
    pub fn start(req: TestStateInput, now: DateTime<Utc>) -> Result<TestRun, TestStateError> {
        if req.context.is_some() && req.mock.is_none() {
            return Err(TestStateError::ContextWithoutMock);
        }
        let (mut def, name) = match &req.state_name {
            Some(name) => {
                let def = Definition::parse(&req.definition)
                    .map_err(TestStateError::InvalidDefinition)?;
                (def, name.clone())
            }
            None => single_state(&req.definition)?,
        };
        let index = def
            .machine
            .state_index(&name)
            .ok_or_else(|| TestStateError::StateNotFound(name.clone()))?;
        let state = &def.machine.states[index];
        check_mock(&state.kind, req.mock.is_some())?;
        def.machine.start_at = index;
        let children_mock = match (&state.kind, &req.mock) {
            (StateKind::Map(_) | StateKind::Parallel { .. }, Some(m)) => Some(match m {
                Mock::Result(v) => Ok(v.clone()),
                Mock::Error(e) => Err(e.clone()),
            }),
            _ => None,
        };
        let context =
            ExecutionContext::new(&req.state_machine_arn, &req.execution_name, &req.role_arn);
        let probe = Probe {
            children_mock,
            context: req.context.clone(),
            retrier_retry_count: req.retrier_retry_count,
            ..Probe::default()
        };
        let mut ex =
            Execution::start(Arc::new(def), req.input.clone(), context, now).with_probe(probe);
        seed_variables(&mut ex, req.variables.clone());
        let mut run = TestRun {
            ex,
            now,
            mock: req.mock,
            pending: None,
            input: req.input,
            variables: req.variables,
        };
        run.drive();
        Ok(run)
    }

    /// The task the host must run (a Task state without a mock), if the run waits for one.
    pub fn pending_task(&self) -> Option<&TaskRequest> {
        self.pending.as_ref()
    }

    /// The pending task's result.
    pub fn task_succeeded(&mut self, output: Value) {
        if let Some(t) = self.pending.take() {
            let _ = self.ex.task_succeeded(t.task_id, output, self.now);
            self.drive();
        }
    }

    /// The pending task's failure.
    pub fn task_failed(&mut self, error: impl Into<String>, cause: impl Into<String>) {
        if let Some(t) = self.pending.take() {
            let _ =
                self.ex
                    .task_failed(t.task_id, Some(error.into()), Some(cause.into()), self.now);
            self.drive();
        }
    }

    /// The answer, once the state has ended (`None` while a task is pending).
    pub fn outcome(&mut self) -> Option<TestStateOutcome> {
        if self.pending.is_some() {
            return None;
        }
        let probe = self.ex.probe()?;
        let mut inspection = probe.seen.clone();
        inspection.input = Some(self.input.clone());
        if inspection.variables.is_none() && !self.variables.is_empty() {
            inspection.variables = Some(Value::Object(self.variables.clone()));
        }
        let caught = inspection
            .error_details
            .as_ref()
            .is_some_and(|d| d.catch_index.is_some());
        let outcome = match probe.exit.clone() {
            Some(ProbeExit::Transition { output, next }) => {
                let caught_error = if caught { probe.caught.clone() } else { None };
                TestStateOutcome {
                    status: if caught {
                        TestStatus::CaughtError
                    } else {
                        TestStatus::Succeeded
                    },
                    output: Some(output),
                    error: caught_error.as_ref().map(|e| e.error.clone()),
                    cause: caught_error.map(|e| e.cause),
                    next_state: next,
                    inspection,
                }
            }
            Some(ProbeExit::Retriable { error }) => TestStateOutcome {
                status: TestStatus::Retriable,
                output: None,
                error: Some(error.error),
                cause: Some(error.cause),
                next_state: None,
                inspection,
            },
            None => {
                let (error, cause) = match self.ex.error() {
                    Some((e, c)) => (e.to_owned(), c.to_owned()),
                    // Not reached: a probed run ends in a transition, a retry or a failure.
                    None => (
                        crate::errors::RUNTIME.to_owned(),
                        "The state did not finish.".to_owned(),
                    ),
                };
                TestStateOutcome {
                    status: TestStatus::Failed,
                    output: None,
                    error: Some(error),
                    cause: Some(cause),
                    next_state: None,
                    inspection,
                }
            }
        };
        Some(outcome)
    }

    /// Advances the engine until the state ends or a task waits for the host; mocked tasks are
    /// answered at once and waits are skipped.
    fn drive(&mut self) {
        for _ in 0..MAX_TURNS {
            let mut wake = None;
            let mut answered = false;
            for cmd in self.ex.advance(self.now) {
                match cmd {
                    Command::RunTask(task) => match &self.mock {
                        Some(Mock::Result(v)) => {
                            let _ = self.ex.task_succeeded(task.task_id, v.clone(), self.now);
                            answered = true;
                        }
                        Some(Mock::Error(e)) => {
                            let _ = self.ex.task_failed(
                                task.task_id,
                                Some(e.error.clone()),
                                Some(e.cause.clone()),
                                self.now,
                            );
                            answered = true;
                        }
                        None => self.pending = Some(task),
                    },
                    Command::WakeAt(t) => wake = Some(wake.map_or(t, |w: DateTime<Utc>| w.min(t))),
                    Command::CancelTask { .. } => {}
                }
            }
            if self.ex.status() != ExecutionStatus::Running || self.pending.is_some() {
                return;
            }
            match wake {
                Some(t) => self.now = self.now.max(t),
                None if answered => {}
                None => return,
            }
        }
    }
}

/// Whether the state may (or must) be tested with a mock.
fn check_mock(kind: &StateKind, mocked: bool) -> Result<(), TestStateError> {
    match kind {
        StateKind::Task(task) if !mocked => match Integration::of(&task.resource) {
            Integration::Activity => Err(TestStateError::MockRequired("Activity tasks".into())),
            Integration::Service {
                pattern: IntegrationPattern::Sync,
                ..
            } => Err(TestStateError::MockRequired(
                "the .sync integration pattern".into(),
            )),
            Integration::Service {
                pattern: IntegrationPattern::WaitForTaskToken,
                ..
            } => Err(TestStateError::MockRequired(
                "the .waitForTaskToken integration pattern".into(),
            )),
            _ => Ok(()),
        },
        StateKind::Map(_) if !mocked => Err(TestStateError::MockRequired("Map states".into())),
        StateKind::Parallel { .. } if !mocked => {
            Err(TestStateError::MockRequired("Parallel states".into()))
        }
        StateKind::Task(_) | StateKind::Map(_) | StateKind::Parallel { .. } => Ok(()),
        other if mocked => Err(TestStateError::MockNotAllowed(other.type_name())),
        _ => Ok(()),
    }
}

/// A lone state's definition as a state machine of that state, with a `Succeed` state standing
/// for each state it can go to (so its `Next`, `Default`, Choice and Catch targets exist).
fn single_state(text: &str) -> Result<(Definition, String), TestStateError> {
    // Parse errors (empty text, bad JSON) are reported as for a whole definition.
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => {
            return Definition::parse(text)
                .map(|d| (d, SINGLE_STATE_NAME.to_owned()))
                .map_err(TestStateError::InvalidDefinition);
        }
    };
    let mut targets: Vec<String> = Vec::new();
    if let Value::Object(state) = &value {
        let mut add = |v: Option<&Value>| {
            if let Some(Value::String(s)) = v {
                targets.push(s.clone());
            }
        };
        add(state.get("Next"));
        add(state.get("Default"));
        for list in ["Choices", "Catch"] {
            if let Some(Value::Array(items)) = state.get(list) {
                for item in items {
                    add(item.get("Next"));
                }
            }
        }
    }
    let mut name = SINGLE_STATE_NAME.to_owned();
    while targets.contains(&name) {
        name.push('_');
    }
    let mut states = Map::new();
    states.insert(name.clone(), value);
    for t in targets {
        states
            .entry(t)
            .or_insert_with(|| json!({ "Type": "Succeed" }));
    }
    let machine = json!({ "StartAt": name, "States": states });
    Definition::from_value(machine)
        .map(|d| (d, name))
        .map_err(TestStateError::InvalidDefinition)
}
