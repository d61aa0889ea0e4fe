//! IAM policy evaluation for kyc-local, as a sans-IO library: parse identity and resource policies,
//! and decide whether a caller may perform an action on a resource the way IAM does within one
//! account. The permission plane of kyc-local asks it about every call one service makes to
//! another and every call a function makes with its role.
//!
//! Layers, top-down:
//! - [`evaluate`]: the decision ([`evaluate::evaluate`]) for a [`Request`] against the caller's
//!   identity policies and the resource's policies, the deciding statement, and the
//!   AccessDenied message ([`evaluate::access_denied_message`]);
//! - [`policy`]: the policy grammar ([`PolicyDocument::parse`]), with IAM's
//!   `MalformedPolicyDocument` messages;
//! - [`condition`]: condition operators, set operators, `...IfExists`, `Null`, policy variables,
//!   and the request [`Context`];
//! - [`glob`]: `*` / `?` wildcards and ARN matching part by part, iterative and bounded.
//!
//! Tests: `cargo nextest run -p iam` (unit tests next to the code; `tests/evaluation.rs` walks
//! the IAM user guide's evaluation logic case by case).

pub mod condition;
pub mod error;
pub mod evaluate;
pub mod glob;
pub mod policy;

pub use condition::Context;
pub use evaluate::{
    Caller, Decider, Decision, NamedPolicy, Request, Side, access_denied_message, evaluate,
};
pub use policy::{Effect, PolicyDocument, PolicyError, PolicyKind};
