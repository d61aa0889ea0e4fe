//! Persistence seam of the asynchronous invocation queue: an `Event` invoke is
//! acknowledged with 202, so it must survive a restart of the stack until it
//! has run, been handed to its DLQ / destination, or been discarded.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// An asynchronous invocation accepted and not finished yet.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedEvent {
    pub request_id: String,
    pub function_name: String,
    pub payload: Bytes,
    /// When Invoke accepted it, in milliseconds since the epoch (the event's age
    /// counts from here, across restarts).
    pub enqueued_at_ms: i64,
    /// Attempts made so far.
    pub attempts: u32,
    /// The error payload of the last failed attempt.
    pub last_error: Option<Bytes>,
}

/// Where queued events are kept (the stack's SQLite store). Calls are quick
/// and synchronous; the service calls `save` when an event is accepted and
/// after every attempt, and `remove` once the event is done.
pub trait AsyncEventStore: Send + Sync + 'static {
    fn save(&self, event: &QueuedEvent);
    fn remove(&self, request_id: &str);
    /// Every event not removed yet, oldest first.
    fn load(&self) -> Vec<QueuedEvent>;
}

/// A store in memory (tests; a stack started `--in-memory`).
#[derive(Debug, Default)]
pub struct MemoryAsyncEventStore {
    events: Mutex<BTreeMap<String, QueuedEvent>>,
}

impl MemoryAsyncEventStore {
    pub fn new() -> Self {
        Self::default()
    }
}

impl AsyncEventStore for MemoryAsyncEventStore {
    fn save(&self, event: &QueuedEvent) {
        if let Ok(mut events) = self.events.lock() {
            events.insert(event.request_id.clone(), event.clone());
        }
    }

    fn remove(&self, request_id: &str) {
        if let Ok(mut events) = self.events.lock() {
            events.remove(request_id);
        }
    }

    fn load(&self) -> Vec<QueuedEvent> {
        let mut all: Vec<QueuedEvent> = self
            .events
            .lock()
            .map(|e| e.values().cloned().collect())
            .unwrap_or_default();
        all.sort_by_key(|e| e.enqueued_at_ms);
        all
    }
}
