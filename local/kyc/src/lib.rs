//! `kyc-local`: the KYC onboarding stack on one machine.
//!
//! This crate is the KYC side of the local stack. It knows the application: the scenarios of
//! `events/`, the applicants' expected outcomes, the manual reviewer, the KYC state machine. It
//! drives the generic [`emulator`] (which serves any SAM template and knows nothing of KYC) the way
//! a user's tool would: the library's public API to start the stack, the AWS wire protocols to use
//! it.
//!
//! - [`demo`]: every scenario through the whole stack, with the reviewer played through the APIs.
//! - [`bench`]: N workflows at concurrency C, throughput, latency, memory, the mixed run's checks.
//! - [`hostile`]: hostile requests sent beside a load run, each checked for its answer.
//! - [`graph`]: the state machine as a Mermaid flowchart, an execution's path highlighted.
//! - [`fault`]: the control API's fault injection from the command line.
//! - [`mocks`]: `serve --mock-config` (Step Functions Local's mock configuration file).
//!
//! `src/main.rs` is the `kyc-local` command (serve, demo, bench, fault, graph, check-permissions).
//! Tests: `cargo test -p kyc-local`.

pub mod bench;
pub mod demo;
pub mod fault;
pub mod graph;
pub mod hostile;
pub mod mocks;

/// The stack name `kyc-local` gives the template when samconfig.toml names none (`AWS::StackName`,
/// and the names SAM derives from it).
pub const STACK_NAME: &str = "kyc-local";
