//! `kyc-local`: the KYC stack on one machine, behind the real AWS APIs.
//!
//! Layers, top to bottom: `protocol` (decode a request, encode a response or an
//! AWS-shaped error) → `services` (one module per AWS service) → the engines
//! (`kyc-asl`, `kyc-eventbus`) and `lambda` (function processes) → `store` (SQLite).

pub mod lambda;
