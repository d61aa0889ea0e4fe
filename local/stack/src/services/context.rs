//! What every service shares: the settings, the one clock, the store, the built-in services that
//! others write to (CloudWatch Logs, SQS), the template, the permission plane and the engine
//! threads. Built once by `server::start`; services hold it as `Arc<Context>`.

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::services::logs::LogsService;
use crate::services::sqs::SqsService;
use crate::store::Store;
use crate::template::StackModel;

/// What every service shares: settings, clock, store, and the built-in services.
pub struct Context {
    /// Region in ARNs.
    pub region: String,
    /// Account in ARNs.
    pub account_id: String,
    /// `http://<addr>:<port>`, what clients use as `--endpoint-url`.
    pub endpoint: String,
    /// The one clock.
    pub clock: SharedClock,
    /// The database.
    pub store: Store,
    /// CloudWatch Logs (also the writer for Lambda output and rule targets).
    pub logs: Arc<LogsService>,
    /// SQS (dead-letter queues, rule targets).
    pub sqs: Arc<SqsService>,
    /// The loaded template, when the stack was started with one.
    pub template: Option<Arc<StackModel>>,
    /// The permission plane: the template's policies, asked before one service calls another.
    pub permissions: Arc<crate::permissions::PermissionPlane>,
    /// Threads for the engines' CPU work (execution turns), off the async workers.
    pub engines: Arc<crate::engines::EnginePool>,
    /// Flips to `true` when the stack shuts down (see [`Context::shutdown_signal`]).
    pub(crate) shutting_down: tokio::sync::watch::Sender<bool>,
}

impl Context {
    /// Background loops (delivery retries, timers, schedules) watch this and
    /// stop when it turns `true`: `while !*signal.borrow() { ... }` or
    /// `signal.wait_for(|stop| *stop).await`.
    pub fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutting_down.subscribe()
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        *self.shutting_down.borrow()
    }

    /// Tells every background loop to stop.
    pub(crate) fn begin_shutdown(&self) {
        self.shutting_down.send_replace(true);
    }
}
