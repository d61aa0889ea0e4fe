//! `asl`: an Amazon States Language engine that behaves like AWS Step Functions.
//!
//! - [`Definition::parse`] parses and validates a definition like `CreateStateMachine`,
//!   reporting every problem as an [`InvalidDefinition`] (AWS codes and locations).
//! - [`Execution`] is the deterministic, sans-IO execution core: feed it task results and the
//!   current time, call [`Execution::advance`], act on the returned [`Command`]s and persist
//!   [`Execution::state`] (serde) whenever you like.
//! - [`driver::Driver`] runs an execution end to end over a [`driver::TaskRunner`] and a
//!   [`driver::Clock`] (a [`driver::ManualClock`] makes waits and timeouts instant in tests).
//! - [`history::HistoryEvent`] serializes to `GetExecutionHistory`'s JSON.
//! - [`test_state::TestRun`] runs one state on its own, as the `TestState` API does (status,
//!   next state, inspection data, mocks, Retry / Catch verdicts).
//!
//! Both query languages are implemented: JSONPath (the default) and JSONata
//! (`"QueryLanguage": "JSONata"` at the top level or per state; [`jsonata`] wraps the evaluator).

pub mod choice;
pub mod definition;
pub mod driver;
pub mod errors;
pub mod eval;
pub mod execution;
pub mod history;
pub mod intrinsic;
pub mod jsonata;
pub mod limits;
pub mod path;
pub mod template;
pub mod test_state;

pub use definition::{Definition, Diagnostic, DiagnosticCode, InvalidDefinition, Severity};
pub use errors::StateError;
pub use execution::distributed::{MapRunCounts, MapRunInfo, MapRunUpdateError};
pub use execution::{
    Command, Execution, ExecutionContext, ExecutionState, ExecutionStatus, InputError, Integration,
    IntegrationPattern, RedriveError, TaskRequest, TokenError,
};
pub use history::{EventDetails, EventType, HistoryEvent};
