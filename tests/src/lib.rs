//! Whole-flow tests of the KYC stack (see `tests/tests/`).
//!
//! `template_consistency` checks that `template.yaml`, `statemachine/kyc.asl.yaml` and `events/` agree with
//! each other without any AWS account.
