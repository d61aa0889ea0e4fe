//! Lambda records: asynchronous (`Event`) invocations accepted and not yet finished, so a
//! restart retries them. Every SQL statement for them is here.

use rusqlite::{Connection, params};

use super::StoreError;

/// A queued invocation row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncEventRecord {
    /// The invocation's request id (key).
    pub request_id: String,
    /// The function.
    pub function_name: String,
    /// The event payload.
    pub payload: Vec<u8>,
    /// When Invoke accepted it, epoch ms.
    pub enqueued_at_ms: i64,
    /// Attempts so far.
    pub attempts: u32,
    /// The error payload of the last failed attempt.
    pub last_error: Option<Vec<u8>>,
}

/// Saves (or replaces) a queued invocation.
pub fn save_async_event(c: &Connection, event: &AsyncEventRecord) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO lambda_async_events \
         (request_id, function_name, payload, enqueued_at_ms, attempts, last_error) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        event.request_id,
        event.function_name,
        event.payload,
        event.enqueued_at_ms,
        event.attempts,
        event.last_error
    ])?;
    Ok(())
}

/// Forgets a finished invocation.
pub fn remove_async_event(c: &Connection, request_id: &str) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM lambda_async_events WHERE request_id = ?1")?
        .execute([request_id])?;
    Ok(())
}

/// Every queued invocation, oldest first.
pub fn load_async_events(c: &Connection) -> Result<Vec<AsyncEventRecord>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT request_id, function_name, payload, enqueued_at_ms, attempts, last_error \
         FROM lambda_async_events ORDER BY enqueued_at_ms, request_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(AsyncEventRecord {
            request_id: r.get(0)?,
            function_name: r.get(1)?,
            payload: r.get(2)?,
            enqueued_at_ms: r.get(3)?,
            attempts: r.get(4)?,
            last_error: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
