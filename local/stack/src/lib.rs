//! `kyc-local`: the KYC stack on one machine, behind the real AWS APIs.
//!
//! Layers, top to bottom: [`protocol`] (decode a request, encode a response or an
//! AWS-shaped error) → [`services`] (one module per AWS service) → the engines
//! (`kyc-asl`, `kyc-eventbus`) and [`lambda`] (function processes) → [`store`] (SQLite).
//! [`template`] turns `template.yaml` into the resources that run; [`server`]
//! wires it all together behind one listener; [`functions`] puts the template's
//! functions on the Lambda service. Time comes from [`clock`]. [`faults`] injects faults at the
//! platform level (functions, rule targets, service delays) behind `/_kyc/faults`.
//!
//! Tests: `cargo test -p kyc-local` (unit tests beside the code, integration
//! tests in `tests/` against an in-process server on an ephemeral port, with
//! the real AWS CLI when it is installed).

pub mod assemble;
pub mod bench;
pub mod clock;
pub mod demo;
pub mod engines;
pub mod faults;
pub mod functions;
pub mod graph;
pub mod hostile;
pub mod lambda;
pub mod permissions;
pub mod protocol;
pub mod server;
pub mod services;
pub mod store;
pub mod template;
