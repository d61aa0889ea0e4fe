//! CloudWatch Logs records: log groups, streams, events and resource policies. Every SQL statement
//! the Logs service runs is here; the service decides, this module reads and writes.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// A log group row with its stored bytes (the sum over its streams).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// Name (key).
    pub name: String,
    /// Creation time, epoch ms.
    pub created_ms: i64,
    /// Retention in days; `None` keeps events forever.
    pub retention_days: Option<i64>,
    /// Bytes of the events stored in its streams.
    pub stored_bytes: i64,
    /// `kmsKeyId`.
    pub kms_key_id: Option<String>,
    /// `STANDARD`, `INFREQUENT_ACCESS`, `DELIVERY`.
    pub class: String,
}

/// A log stream row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRow {
    /// Name.
    pub name: String,
    /// Creation time, epoch ms.
    pub created_ms: i64,
    /// Timestamp of its earliest event.
    pub first_event_ms: Option<i64>,
    /// Timestamp of its latest event.
    pub last_event_ms: Option<i64>,
    /// When events last arrived.
    pub last_ingestion_ms: Option<i64>,
    /// Uploads so far.
    pub upload_sequence: i64,
}

/// The order of DescribeLogStreams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamOrder {
    /// By name.
    Name,
    /// By the time of the last event (the creation time before any).
    LastEventTime,
}

/// An event row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Insertion id: the tie-break of equal timestamps, and the event id.
    pub id: i64,
    /// Its stream.
    pub stream: String,
    /// Event time, epoch ms.
    pub timestamp: i64,
    /// The message.
    pub message: String,
    /// When it was stored, epoch ms.
    pub ingestion_ms: i64,
}

/// A position in the (timestamp, id) order of events; the row at it is excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Timestamp.
    pub timestamp: i64,
    /// Id.
    pub id: i64,
}

/// Creates `name` if missing; sets its retention when `retention_days` is given.
pub fn ensure_group(
    tx: &Connection,
    name: &str,
    now: i64,
    retention_days: Option<i64>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO log_groups (name, created_ms, retention_days) VALUES (?1, ?2, ?3) \
         ON CONFLICT (name) DO UPDATE SET retention_days = coalesce(?3, retention_days)",
        params![name, now, retention_days],
    )?;
    Ok(())
}

/// Creates the group and the stream when they are missing (writers that create on first use).
pub fn ensure_group_and_stream(
    tx: &Connection,
    group: &str,
    stream: &str,
    now: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT OR IGNORE INTO log_groups (name, created_ms) VALUES (?1, ?2)")?
        .execute(params![group, now])?;
    tx.prepare_cached(
        "INSERT OR IGNORE INTO log_streams (group_name, name, created_ms) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![group, stream, now])?;
    Ok(())
}

/// Creates a group; `false` when it exists.
pub fn create_group(
    tx: &Connection,
    name: &str,
    now: i64,
    kms_key_id: Option<&str>,
    class: &str,
) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "INSERT OR IGNORE INTO log_groups (name, created_ms, kms_key_id, log_group_class) \
         VALUES (?1, ?2, ?3, ?4)",
        params![name, now, kms_key_id, class],
    )? > 0)
}

/// Deletes a group and its events; `false` when there was none.
pub fn delete_group(tx: &Connection, name: &str) -> Result<bool, StoreError> {
    tx.execute("DELETE FROM log_events WHERE group_name = ?1", [name])?;
    Ok(tx.execute("DELETE FROM log_groups WHERE name = ?1", [name])? > 0)
}

/// Sets (or, with `None`, removes) a group's retention; `false` when there is no such group.
pub fn set_retention(tx: &Connection, name: &str, days: Option<i64>) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "UPDATE log_groups SET retention_days = ?2 WHERE name = ?1",
        params![name, days],
    )? > 0)
}

/// `None` when the group does not exist, else its retention.
pub fn group_retention(conn: &Connection, group: &str) -> Result<Option<Option<i64>>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT retention_days FROM log_groups WHERE name = ?1",
            [group],
            |r| r.get::<_, Option<i64>>(0),
        )
        .optional()?)
}

/// Every group, by name.
pub fn list_groups(conn: &Connection) -> Result<Vec<GroupRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT g.name, g.created_ms, g.retention_days, \
           (SELECT coalesce(sum(s.stored_bytes), 0) FROM log_streams s WHERE s.group_name = g.name), \
           g.kms_key_id, g.log_group_class \
         FROM log_groups g ORDER BY g.name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(GroupRow {
            name: r.get(0)?,
            created_ms: r.get(1)?,
            retention_days: r.get(2)?,
            stored_bytes: r.get(3)?,
            kms_key_id: r.get(4)?,
            class: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Creates a stream; `false` when it exists.
pub fn create_stream(
    tx: &Connection,
    group: &str,
    stream: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(tx.execute(
        "INSERT OR IGNORE INTO log_streams (group_name, name, created_ms) VALUES (?1, ?2, ?3)",
        params![group, stream, now],
    )? > 0)
}

/// Deletes a stream and its events; `false` when there was none.
pub fn delete_stream(tx: &Connection, group: &str, stream: &str) -> Result<bool, StoreError> {
    tx.execute(
        "DELETE FROM log_events WHERE group_name = ?1 AND stream_name = ?2",
        params![group, stream],
    )?;
    Ok(tx.execute(
        "DELETE FROM log_streams WHERE group_name = ?1 AND name = ?2",
        params![group, stream],
    )? > 0)
}

/// Whether the stream exists.
pub fn stream_exists(conn: &Connection, group: &str, stream: &str) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM log_streams WHERE group_name = ?1 AND name = ?2",
            params![group, stream],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .is_some())
}

/// A group's streams in `order`.
pub fn list_streams(
    conn: &Connection,
    group: &str,
    order: StreamOrder,
    descending: bool,
) -> Result<Vec<StreamRow>, StoreError> {
    let order = match (order, descending) {
        (StreamOrder::Name, false) => "name ASC",
        (StreamOrder::Name, true) => "name DESC",
        (StreamOrder::LastEventTime, false) => "coalesce(last_event_ms, created_ms) ASC, name ASC",
        (StreamOrder::LastEventTime, true) => "coalesce(last_event_ms, created_ms) DESC, name DESC",
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms, upload_sequence \
         FROM log_streams WHERE group_name = ?1 ORDER BY {order}"
    ))?;
    let rows = stmt.query_map([group], |r| {
        Ok(StreamRow {
            name: r.get(0)?,
            created_ms: r.get(1)?,
            first_event_ms: r.get(2)?,
            last_event_ms: r.get(3)?,
            last_ingestion_ms: r.get(4)?,
            upload_sequence: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores `events` (timestamp, message) in a stream and updates its counters; returns the
/// stream's upload sequence after this upload.
pub fn insert_events(
    tx: &Connection,
    group: &str,
    stream: &str,
    events: &[(i64, &str)],
    now: i64,
) -> Result<i64, StoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO log_events (group_name, stream_name, timestamp, ingestion_ms, message) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut bytes = 0_i64;
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for (timestamp, message) in events {
        stmt.execute(params![group, stream, timestamp, now, message])?;
        bytes += i64::try_from(message.len()).unwrap_or(i64::MAX);
        first = first.min(*timestamp);
        last = last.max(*timestamp);
    }
    let sequence: i64 = tx
        .prepare_cached(
            "UPDATE log_streams SET \
               first_event_ms = min(coalesce(first_event_ms, ?3), ?3), \
               last_event_ms = max(coalesce(last_event_ms, ?4), ?4), \
               last_ingestion_ms = ?5, upload_sequence = upload_sequence + 1, \
               stored_bytes = stored_bytes + ?6 \
             WHERE group_name = ?1 AND name = ?2 RETURNING upload_sequence",
        )?
        .query_row(params![group, stream, first, last, now, bytes], |r| {
            r.get(0)
        })?;
    Ok(sequence)
}

/// Counts an upload that stored nothing (every event rejected); returns the new sequence.
pub fn bump_sequence(tx: &Connection, group: &str, stream: &str) -> Result<i64, StoreError> {
    Ok(tx.query_row(
        "UPDATE log_streams SET upload_sequence = upload_sequence + 1 \
         WHERE group_name = ?1 AND name = ?2 RETURNING upload_sequence",
        params![group, stream],
        |r| r.get(0),
    )?)
}

/// Up to `limit` events of one stream with `start <= timestamp < end`, after `from` going
/// forward (ascending) or before it going backward (descending).
pub fn stream_events(
    conn: &Connection,
    group: &str,
    stream: &str,
    (start, end): (i64, i64),
    from: Position,
    forward: bool,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let sql = if forward {
        "SELECT id, timestamp, message, ingestion_ms FROM log_events \
         WHERE group_name = ?1 AND stream_name = ?2 AND timestamp >= ?3 AND timestamp < ?4 \
           AND (timestamp, id) > (?5, ?6) \
         ORDER BY timestamp ASC, id ASC LIMIT ?7"
    } else {
        "SELECT id, timestamp, message, ingestion_ms FROM log_events \
         WHERE group_name = ?1 AND stream_name = ?2 AND timestamp >= ?3 AND timestamp < ?4 \
           AND (timestamp, id) < (?5, ?6) \
         ORDER BY timestamp DESC, id DESC LIMIT ?7"
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(
        params![group, stream, start, end, from.timestamp, from.id, limit],
        |r| {
            Ok(EventRow {
                id: r.get(0)?,
                stream: stream.to_owned(),
                timestamp: r.get(1)?,
                message: r.get(2)?,
                ingestion_ms: r.get(3)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Up to `limit` events of a group with `start <= timestamp <= end` after `after`, ascending
/// (FilterLogEvents reads a bounded chunk at a time).
pub fn group_events_after(
    conn: &Connection,
    group: &str,
    (start, end): (i64, i64),
    after: Position,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, stream_name, timestamp, message, ingestion_ms FROM log_events \
         WHERE group_name = ?1 AND timestamp >= ?2 AND timestamp <= ?3 \
           AND (timestamp, id) > (?4, ?5) \
         ORDER BY timestamp ASC, id ASC LIMIT ?6",
    )?;
    let rows = stmt.query_map(
        params![group, start, end, after.timestamp, after.id, limit],
        |r| {
            Ok(EventRow {
                id: r.get(0)?,
                stream: r.get(1)?,
                timestamp: r.get(2)?,
                message: r.get(3)?,
                ingestion_ms: r.get(4)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ----- resource policies --------------------------------------------------------------------

/// Every resource policy: (name, document, updated ms), by name.
pub fn list_resource_policies(conn: &Connection) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, document, updated_ms FROM logs_resource_policies ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether a policy of that name exists, and how many there are.
pub fn resource_policy_census(conn: &Connection, name: &str) -> Result<(bool, usize), StoreError> {
    let exists = conn
        .query_row(
            "SELECT 1 FROM logs_resource_policies WHERE name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .is_some();
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM logs_resource_policies", [], |r| {
        r.get(0)
    })?;
    Ok((exists, usize::try_from(count).unwrap_or(usize::MAX)))
}

/// Creates or replaces a policy.
pub fn put_resource_policy(
    tx: &Connection,
    name: &str,
    document: &str,
    now: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO logs_resource_policies (name, document, updated_ms) VALUES (?1, ?2, ?3) \
         ON CONFLICT(name) DO UPDATE SET document = excluded.document, updated_ms = excluded.updated_ms",
        params![name, document, now],
    )?;
    Ok(())
}

/// Deletes a policy; `false` when there was none.
pub fn delete_resource_policy(tx: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(tx.execute("DELETE FROM logs_resource_policies WHERE name = ?1", [name])? > 0)
}
