//! A small async driver over the sans-IO core, for simple hosts and tests.
//!
//! [`Driver::run`] loops `advance` → run the requested tasks through a [`TaskRunner`] → feed the
//! results back, and sleeps on a [`Clock`] until the next timer. With [`ManualClock`] "sleeping"
//! just moves the clock forward, so whole definitions with waits, retries and timeouts run in
//! tests instantly.
//!
//! Tasks are awaited one after another (branches of a Parallel state do not overlap in time
//! here); a host that needs real concurrency drives [`Execution`] itself.

use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::execution::{Command, Execution, ExecutionStatus, TaskRequest};

/// What running a task gave.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskOutcome {
    Succeeded(Value),
    Failed {
        error: String,
        cause: String,
    },
    /// The result will come later from outside (callback pattern with the task token, or an
    /// activity worker): feed it with `Execution::task_succeeded` / `task_failed`.
    Pending,
}

/// Runs tasks for the driver (Lambda, EventBridge, callbacks, ...).
pub trait TaskRunner {
    /// Runs one task: `task.resource` is the ARN (with `.sync` / `.waitForTaskToken`),
    /// `task.parameters` the effective parameters, `task.task_token` the token to hand out.
    fn run(&self, task: &TaskRequest) -> impl Future<Output = TaskOutcome>;

    /// The engine no longer waits for this task (timeout, failed branch, stop).
    fn cancel(&self, _task_id: u64, _task_token: Option<&str>) {}
}

/// The one source of time.
pub trait Clock {
    fn now(&self) -> DateTime<Utc>;
    fn sleep_until(&self, t: DateTime<Utc>) -> impl Future<Output = ()>;
}

/// Wall-clock time with tokio sleeps.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep_until(&self, t: DateTime<Utc>) {
        let d = (t - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(d).await;
    }
}

/// A test clock: sleeping jumps straight to the wake-up time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: chrono::Duration) {
        let mut g = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *g += d;
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn sleep_until(&self, t: DateTime<Utc>) {
        let mut g = self.now.lock().unwrap_or_else(|e| e.into_inner());
        if t > *g {
            *g = t;
        }
    }
}

/// Drives one execution with a runner and a clock.
pub struct Driver<R, C> {
    pub execution: Execution,
    pub runner: R,
    pub clock: C,
}

impl<R: TaskRunner, C: Clock> Driver<R, C> {
    pub fn new(execution: Execution, runner: R, clock: C) -> Self {
        Driver {
            execution,
            runner,
            clock,
        }
    }

    /// Runs until the execution ends, or until it only waits for outside input (a task
    /// token); returns the status then.
    pub async fn run(&mut self) -> ExecutionStatus {
        self.drive(true).await
    }

    /// Runs what can run now without sleeping: returns when the execution ended or waits for
    /// a timer or outside input (for example a task token the test will answer).
    pub async fn run_until_idle(&mut self) -> ExecutionStatus {
        self.drive(false).await
    }

    async fn drive(&mut self, sleep: bool) -> ExecutionStatus {
        loop {
            let commands = self.execution.advance(self.clock.now());
            let mut wake = None;
            let mut delivered = false;
            for c in commands {
                match c {
                    Command::RunTask(task) => {
                        let outcome = self.runner.run(&task).await;
                        let now = self.clock.now();
                        // A task that finished after being cancelled is ignored, as AWS does.
                        let _ = match outcome {
                            TaskOutcome::Succeeded(v) => {
                                self.execution.task_succeeded(task.task_id, v, now)
                            }
                            TaskOutcome::Failed { error, cause } => self.execution.task_failed(
                                task.task_id,
                                Some(error),
                                Some(cause),
                                now,
                            ),
                            TaskOutcome::Pending => Ok(()),
                        };
                        delivered = true;
                    }
                    Command::CancelTask {
                        task_id,
                        task_token,
                    } => {
                        self.runner.cancel(task_id, task_token.as_deref());
                    }
                    Command::WakeAt(t) => wake = Some(t),
                }
            }
            if self.execution.status() != ExecutionStatus::Running {
                return self.execution.status();
            }
            if delivered {
                continue;
            }
            match wake {
                Some(t) if sleep => self.clock.sleep_until(t).await,
                _ => return self.execution.status(),
            }
        }
    }
}
