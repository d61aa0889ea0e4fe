//! kyc-shared (work in progress).
