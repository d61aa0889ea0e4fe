//! Shared helpers for the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::sync::Arc;

use asl::driver::{Driver, ManualClock, TaskOutcome, TaskRunner};
use asl::{Definition, Execution, ExecutionContext, ExecutionStatus, HistoryEvent, TaskRequest};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

pub fn t0() -> DateTime<Utc> {
    "2024-01-01T00:00:00Z".parse().unwrap()
}

pub fn ctx() -> ExecutionContext {
    ExecutionContext::new(
        "arn:aws:states:us-east-1:123456789012:stateMachine:Test",
        "exec-1",
        "arn:aws:iam::123456789012:role/StepFunctionsRole",
    )
}

pub fn def(v: Value) -> Arc<Definition> {
    match Definition::from_value(v) {
        Ok(d) => Arc::new(d),
        Err(e) => panic!("definition should be valid: {e}"),
    }
}

pub fn invalid(v: Value) -> String {
    match Definition::from_value(v) {
        Ok(_) => panic!("definition should be invalid"),
        Err(e) => e.to_string(),
    }
}

/// What an execution ended with.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExecutionStatus,
    pub output: Option<Value>,
    pub error: Option<(String, String)>,
    pub events: Vec<HistoryEvent>,
    pub tasks: Vec<TaskRequest>,
    pub end_time: DateTime<Utc>,
}

impl Outcome {
    pub fn ok(&self) -> Value {
        assert_eq!(
            self.status,
            ExecutionStatus::Succeeded,
            "execution did not succeed: {:?}",
            self.error
        );
        self.output.clone().unwrap()
    }

    pub fn failed(&self) -> (String, String) {
        assert_eq!(
            self.status,
            ExecutionStatus::Failed,
            "execution did not fail: {:?}",
            self.output
        );
        self.error.clone().unwrap()
    }

    pub fn types(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| {
                serde_json::to_value(e.event_type)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }
}

/// A runner answering with a closure; records every request.
pub struct Scripted<F: Fn(&TaskRequest, usize) -> TaskOutcome> {
    pub f: F,
    pub calls: RefCell<Vec<TaskRequest>>,
}

impl<F: Fn(&TaskRequest, usize) -> TaskOutcome> TaskRunner for Scripted<F> {
    async fn run(&self, task: &TaskRequest) -> TaskOutcome {
        let n = self.calls.borrow().len();
        self.calls.borrow_mut().push(task.clone());
        (self.f)(task, n)
    }
}

pub fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Runs a definition end to end; `f(task, call_index)` answers tasks.
pub fn run_with(
    definition: Value,
    input: Value,
    f: impl Fn(&TaskRequest, usize) -> TaskOutcome,
) -> Outcome {
    let d = def(definition);
    let clock = ManualClock::new(t0());
    let ex = Execution::start(d, input, ctx(), t0());
    let runner = Scripted {
        f,
        calls: RefCell::new(Vec::new()),
    };
    let mut driver = Driver::new(ex, runner, clock.clone());
    let status = block_on(driver.run());
    let events = driver.execution.take_events();
    Outcome {
        status,
        output: driver.execution.output().cloned(),
        error: driver
            .execution
            .error()
            .map(|(e, c)| (e.to_string(), c.to_string())),
        events,
        tasks: driver.runner.calls.borrow().clone(),
        end_time: asl::driver::Clock::now(&clock),
    }
}

/// Runs a definition whose tasks echo their parameters.
pub fn run(definition: Value, input: Value) -> Outcome {
    run_with(definition, input, |t, _| {
        TaskOutcome::Succeeded(t.parameters.clone())
    })
}

/// One Pass state with extra fields; returns output or (error, cause).
pub fn pass(fields: Value, input: Value) -> Result<Value, (String, String)> {
    let mut state = json!({"Type": "Pass", "End": true});
    for (k, v) in fields.as_object().unwrap() {
        state[k] = v.clone();
    }
    let o = run(json!({"StartAt": "P", "States": {"P": state}}), input);
    match o.status {
        ExecutionStatus::Succeeded => Ok(o.output.unwrap()),
        _ => Err(o.error.unwrap()),
    }
}

/// One Task state (result = `result`) with extra fields; returns output or (error, cause).
pub fn task(fields: Value, input: Value, result: Value) -> Result<Value, (String, String)> {
    let mut state =
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true});
    for (k, v) in fields.as_object().unwrap() {
        state[k] = v.clone();
    }
    let o = run_with(
        json!({"StartAt": "T", "States": {"T": state}}),
        input,
        move |_, _| TaskOutcome::Succeeded(result.clone()),
    );
    match o.status {
        ExecutionStatus::Succeeded => Ok(o.output.unwrap()),
        _ => Err(o.error.unwrap()),
    }
}

pub fn ok(v: Value) -> TaskOutcome {
    TaskOutcome::Succeeded(v)
}

pub fn fail(error: &str, cause: &str) -> TaskOutcome {
    TaskOutcome::Failed {
        error: error.into(),
        cause: cause.into(),
    }
}
