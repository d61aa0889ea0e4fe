//! kyc-asl (work in progress).
