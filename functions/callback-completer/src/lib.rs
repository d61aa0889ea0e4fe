//! callback-completer (work in progress).
