//! Fault injection at the platform level: the functions' code and the template stay as they are,
//! the stack itself misbehaves.
//!
//! - **Lambda**: a named function fails with an unhandled error (`errorType`, `errorMessage`), its
//!   process crashes (`Runtime.ExitError`), the invocation times out (`Sandbox.Timedout`) or Invoke is
//!   throttled (`TooManyRequestsException`), for the next `count` attempts or a `rate` of them.
//! - **Rule targets**: a target of a rule fails its delivery attempts (`ERROR_CODE` / `ERROR_MESSAGE`
//!   of your choice, retryable or not), so the rule's retry policy and dead-letter queue take over.
//! - **Service delays**: every request to one API namespace waits a fixed time (plus an optional
//!   uniform jitter) before the operation runs.
//!
//! [`FaultControl`] holds them (in memory: a restart clears every fault) and serves the control API,
//! `/_local/faults` on the stack's own port ([`api`]); `kyc-local fault ...` calls it over HTTP
//! ([`client`]); `serve --faults FILE.json` starts with a plan ([`FaultPlanDocument`], the
//! same JSON as `POST /_local/faults`).
//!
//! One job a file: the plan a client sends (`plan.rs`: [`FaultPlanDocument`]) and why a request
//! is refused (`error.rs`: [`ControlError`]); the faults in force, each kind with its checks and
//! its listing (`lambda.rs`: [`LambdaFaults`]; `targets.rs`: rule-target faults;
//! `service_delays.rs`: [`ServiceDelays`] by [`Namespace`], `namespace.rs`); the façade over them
//! (`control.rs`: [`FaultControl`]); where delays apply (`delay.rs`); the control API and its
//! client ([`api`], [`client`]).

pub mod api;
pub mod client;
mod control;
mod delay;
mod error;
mod lambda;
mod namespace;
mod plan;
mod service_delays;
mod targets;

pub use control::FaultControl;
pub use delay::{DelayedInvoker, DelayedPublisher, DelayedService, DelayedStarter, delay_layer};
pub use error::ControlError;
pub use lambda::LambdaFaults;
pub use namespace::Namespace;
pub use plan::{DelaySpec, FaultPlanDocument, LambdaFaultSpec, TargetFaultSpec};
pub use service_delays::{MAX_DELAY_MS, ServiceDelays};
