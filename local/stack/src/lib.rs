//! kyc-local (work in progress).
