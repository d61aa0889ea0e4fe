//! status-change-logger (work in progress).
