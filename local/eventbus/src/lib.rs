//! kyc-eventbus (work in progress).
