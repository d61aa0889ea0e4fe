//! # eventbus
//!
//! Amazon EventBridge semantics as a sans-IO library, for `kyc-local`:
//!
//! - [`EventPattern`]: event patterns compiled once (every operator EventBridge
//!   has, validation with AWS's `InvalidEventPatternException` reasons) and
//!   matched against JSON events; [`RuleIndex`] matches one event against many rules.
//! - [`put_events`]: PutEvents entry validation (per-entry `ErrorCode` /
//!   `ErrorMessage`), request limits and the delivered event envelope.
//! - [`input`]: target input (whole event, `Input`, `InputPath`,
//!   `InputTransformer`) with PutTargets validation and rendering.
//! - [`model`]: buses, rules and targets as plain data, with PutRule / PutTargets validation.
//! - [`delivery`]: retry policy, backoff schedule, the delivery loop driven by a
//!   host trait, and the dead-letter message.
//!
//! Behaviour follows the EventBridge user guide and API reference; see the
//! crate README for what is known to differ.

pub mod delivery;
pub mod error;
pub mod index;
pub mod input;
pub mod model;
pub mod pattern;
pub mod put_events;
pub mod retry;

pub use index::RuleIndex;
pub use pattern::{
    EventPattern, MAX_WILDCARD_COMPLEXITY, PatternError, TOO_COMPLEX_WILDCARDS,
    TestEventPatternError, array_consistency_worst_case, test_event_pattern,
};
