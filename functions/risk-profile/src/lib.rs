//! risk-profile (work in progress).
