//! Domain types and event contract of the KYC onboarding workflow.
//!
//! Everything the four Lambdas and the state machine agree on lives here:
//!
//! - [`contract`]: the event bus default, sources, detail-types and the stable
//!   Lambda `errorType` names the state machine's Retry / Catch match on;
//! - [`application`]: the **New account requested** detail and its validation
//!   ([`NewAccountRequested::from_value`], [`ApplicationError`]);
//! - [`identity`] and [`risk`]: the identity-check and risk-profile
//!   inputs / outputs, checks, decisions, risk levels and reasons;
//! - [`review`]: the manual-review events (requested, started, completed)
//!   and the task output the callback completer sends;
//! - [`outcome`]: the terminal events (approved / declined, processing failed);
//! - [`status`]: the *Step Functions Execution Status Change* detail;
//! - [`mask`]: helpers that keep personal data out of logs;
//! - `sfn` (feature `sfn`): the Step Functions client configuration (`aws-config`) and error
//!   classification of the functions that call Step Functions;
//! - [`logging`]: the functions' JSON log lines (`tracing-subscriber`
//!   configured from Lambda's advanced logging controls).
//!
//! All details serialize in camelCase. Enums have stable string forms
//! (`as_str`, `Display`, serde) that never change once published.
//! `Debug` / `Display` of every type that carries personal data print it
//! masked, never in full.

/// Generates the stable string form of a fieldless enum: `as_str`, `ALL`,
/// `Display` and `FromStr` (exact match), so serde and hand-written code
/// can never disagree on a name.
macro_rules! stable_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stable string form (as serialized).
            pub const fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err($crate::UnknownName { kind: stringify!($ty) }),
                }
            }
        }
    };
}
pub(crate) use stable_names;

pub mod application;
pub mod contract;
pub mod identity;
pub mod logging;
pub mod mask;
pub mod outcome;
pub mod review;
pub mod risk;
#[cfg(feature = "sfn")]
pub mod sfn;
pub mod status;

// The lean builds of the SDK, its configuration loader and tracing-subscriber (see the workspace
// Cargo.toml), under their usual names.
#[cfg(feature = "sfn")]
extern crate aws_config_lean as aws_config;
#[cfg(feature = "sfn")]
extern crate aws_sdk_sfn_lean as aws_sdk_sfn;
extern crate tracing_subscriber_lean as tracing_subscriber;

pub use application::{ApplicationError, DocumentType, IdentityDocument, NewAccountRequested};
pub use contract::{DetailType, ErrorType};
pub use identity::{
    CheckStatus, IdentityCheckCompleted, IdentityCheckInput, IdentityCheckResult, IdentityChecks,
    IdentityReason,
};
pub use outcome::{AccountDecision, AccountDecisionDetail, DecidedBy, KycProcessingFailed};
pub use review::{
    ManualReviewCompleted, ManualReviewRequested, ManualReviewStarted, ReviewDecision,
    ReviewEventError, ReviewOutcome,
};
pub use risk::{RiskDecision, RiskLevel, RiskProfileInput, RiskProfileResult, RiskReason};
pub use status::{ExecutionStatus, ExecutionStatusChange};

/// A string that is not one of an enum's stable names. The offending value
/// is deliberately not kept: it may be personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind}")]
pub struct UnknownName {
    /// The enum that was asked for.
    pub kind: &'static str,
}
