//! kyc-tests (work in progress).
