//! Lambda: function processes behind a Lambda Runtime API, and the Invoke API.
//!
//! - [`LambdaService`]: register functions ([`FunctionConfig`]), invoke them
//!   ([`LambdaService::invoke`], [`LambdaService::invoke_with`]), list them,
//!   and serve the REST API ([`api`]: each route an operation on the one
//!   operation shape, behind the stack's layers through [`LambdaFront`]).
//! - Each function instance is a real process started on first use with its own
//!   Runtime API listener (`AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>`), kept warm
//!   and reused; more instances start while all are busy, up to the function's
//!   concurrency. Beyond it a synchronous invoke waits
//!   ([`ConcurrencyPolicy::Queue`], the default) or is throttled with
//!   `TooManyRequestsException` as on AWS ([`ConcurrencyPolicy::Throttle`]).
//! - Output goes to a [`LogSink`] (`/aws/lambda/<name>`), framed by `START`,
//!   `END` and `REPORT` lines or, with the JSON log format, `platform.*` records.
//! - Asynchronous invocations are retried as AWS documents and handed to a
//!   [`DeadLetterSink`] when they fail for good.
//!   Accepted events are kept in an [`AsyncEventStore`] until done, so a
//!   restart loses none.
//! - A [`FaultPlan`] is consulted on every attempt (fault injection).

pub mod api;
mod async_invoke;
mod async_queue;
mod config;
mod configuration;
mod dead_letter;
mod error;
mod faults;
mod function;
mod instance;
mod invoke;
mod logs;
mod names;
mod registry;
mod request;
mod runtime_api;
mod service;

pub use api::{LambdaFront, PATH_PREFIX, router};
pub use async_queue::{AsyncEventStore, MemoryAsyncEventStore, QueuedEvent};
pub use config::{
    ASYNC_PAYLOAD_LIMIT, AsyncInvokeConfig, ConcurrencyPolicy, FunctionConfig, LambdaConfig,
    LogFormat, RESERVED_ENVIRONMENT_KEYS, SYNC_PAYLOAD_LIMIT,
};
pub use dead_letter::{
    AsyncCondition, AsyncInvocationRecord, DeadLetterSink, MemoryDeadLetterSink,
};
pub use error::LambdaError;
pub use faults::{Fault, FaultPlan, NoFaults, ScriptedFaults, Trigger};
pub use logs::{LogEvent, LogSink, MemoryLogSink, log_stream_name};
pub use names::{FunctionRef, function_arn};
pub use service::{
    EnvironmentResponse, FunctionConfiguration, FunctionStats, GetFunctionOutput, InvocationType,
    InvokeOutcome, InvokeRequest, LambdaService, LogType,
};
