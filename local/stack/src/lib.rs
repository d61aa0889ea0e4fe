//! A local AWS stack for SAM templates: Step Functions, EventBridge, CloudWatch Logs, SQS and
//! Lambda on one machine, behind their real wire protocols, so the AWS CLI and SDKs work against it.
//! It knows nothing of any one application: tools built on it use its public API the way a user's
//! tool would.
//!
//! Layers, top to bottom: [`protocol`] (decode a request, encode a response or an
//! AWS-shaped error) → [`services`] (one module per AWS service) → the engines
//! (`asl`, `eventbus`, `iam`) and [`lambda`] (function processes) → [`store`] (SQLite).
//! [`template`] turns a SAM template into the resources that run; [`server`]
//! wires it all together behind one listener; [`assemble`] starts the whole stack in one call;
//! [`functions`] puts the template's functions on the Lambda service; [`permissions`] evaluates
//! every integration as IAM would. Time comes from [`clock`]. [`faults`] injects faults at the
//! platform level (functions, rule targets, service delays) behind `/_local/faults`. [`client`] is
//! a minimal awsJson client for tools and tests.
//!
//! Tests: `cargo test -p emulator` (unit tests beside the code, integration
//! tests in `tests/` against an in-process server on an ephemeral port, with
//! the real AWS CLI when it is installed).

pub mod arn;
pub mod assemble;
pub mod client;
pub mod clock;
pub mod engines;
pub mod faults;
pub mod functions;
pub mod lambda;
pub mod permissions;
pub mod protocol;
pub mod server;
pub mod services;
pub mod store;
pub mod template;
