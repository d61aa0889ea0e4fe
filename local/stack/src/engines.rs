//! The engines' CPU work, off the async workers that serve the API.
//!
//! An execution's turn (the States Language engine running transitions) and
//! a heavy event-pattern match are CPU work of bounded but real size: a
//! 256 KiB payload through thousands of transitions, or thousands of rules.
//! Run on the async workers, such work stops every request those workers
//! serve. [`EnginePool`] runs it on a few dedicated threads instead:
//!
//! - **threads**: as many as the machine has cores (at least two), so the
//!   engines can use the CPU without taking the API's workers;
//! - **stack**: 16 MiB each, chosen on purpose: the deepest recursion the
//!   engines do is over values at most `asl::limits::MAX_VALUE_DEPTH`
//!   (128) levels deep, built from templates at most as deep (serialising,
//!   cloning, comparing and dropping such a value recurse once per level),
//!   which needs well under 1 MiB; the margin covers debug builds;
//! - **queue**: at most [`MAX_QUEUED`] jobs wait; a caller that would exceed
//!   it waits for room (back-pressure on the execution runners) instead of
//!   the queue growing without end;
//! - **panics** are contained: a job that panics loses its answer (the caller
//!   sees `None` and reports an internal error), and the thread goes on.

use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::{Semaphore, oneshot};

/// Stack size of an engine thread.
pub const ENGINE_STACK_BYTES: usize = 16 << 20;

/// Jobs that may wait for an engine thread at once.
pub const MAX_QUEUED: usize = 1024;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of engine threads fed by a bounded queue.
#[derive(Debug)]
pub struct EnginePool {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    room: Arc<Semaphore>,
    threads: usize,
}

impl EnginePool {
    /// Starts `threads` engine threads (at least one).
    pub fn new(threads: usize) -> EnginePool {
        let threads = threads.max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut started = 0;
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("engine-{i}"))
                .stack_size(ENGINE_STACK_BYTES)
                .spawn(move || {
                    loop {
                        let job = {
                            let guard = match rx.lock() {
                                Ok(g) => g,
                                Err(poisoned) => poisoned.into_inner(),
                            };
                            guard.recv()
                        };
                        let Ok(job) = job else { return };
                        // A panicking job drops its reply sender: the caller
                        // gets `None`. The thread itself carries on.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            if spawned.is_ok() {
                started += 1;
            }
        }
        EnginePool {
            jobs: Mutex::new((started > 0).then_some(tx)),
            room: Arc::new(Semaphore::new(MAX_QUEUED)),
            threads: started,
        }
    }

    /// A pool sized to the machine: one thread per core, at least two.
    pub fn for_this_machine() -> EnginePool {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        EnginePool::new(cores.max(2))
    }

    /// Engine threads running.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `f` on an engine thread and returns its result; `None` when the
    /// job panicked or the pool has no thread. Waits for room in the queue
    /// when [`MAX_QUEUED`] jobs are already waiting.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let permit = Arc::clone(&self.room).acquire_owned().await.ok()?;
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let value = f();
            drop(permit);
            let _ = reply.send(value);
        });
        {
            let jobs = match self.jobs.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            jobs.as_ref()?.send(job).ok()?;
        }
        answer.await.ok()
    }

    /// Stops taking jobs; the threads end once the queue is empty.
    pub fn close(&self) {
        let mut jobs = match self.jobs.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        jobs.take();
    }
}

impl Drop for EnginePool {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn jobs_run_off_the_async_thread_and_panics_are_contained() {
        let pool = EnginePool::new(2);
        let caller = std::thread::current().id();
        let ran_on = pool.run(|| std::thread::current().id()).await;
        assert!(ran_on.is_some_and(|id| id != caller));
        #[allow(clippy::panic)]
        let lost: Option<()> = pool.run(|| panic!("engine job panics")).await;
        assert!(lost.is_none());
        assert_eq!(pool.run(|| 2 + 2).await, Some(4));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_busy_engine_does_not_stop_the_async_thread() {
        let pool = Arc::new(EnginePool::new(1));
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let busy = {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = started_tx.send(());
                    let _ = release_rx.recv();
                })
                .await
            })
        };
        // The engine thread is held; the async thread still runs other work.
        tokio::task::spawn_blocking(move || started_rx.recv())
            .await
            .ok();
        let other = tokio::spawn(async { 40 + 2 }).await.ok();
        assert_eq!(other, Some(42));
        let _ = release_tx.send(());
        assert_eq!(busy.await.ok().flatten(), Some(()));
    }
}
