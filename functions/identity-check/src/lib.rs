//! identity-check (work in progress).
