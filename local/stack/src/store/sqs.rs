//! SQS records: queues (their settings as JSON text, in the service's `QueueSettings` shape) and
//! messages (body, attributes as JSON text in the API's `MessageAttributes` shape, visibility,
//! receive count, the current receipt handle).
//!
//! Like [`super::stepfunctions`], functions take a `&Connection` and compose inside
//! [`crate::store::Store::write`]: a receive loads the queue, drops expired messages, moves
//! poison messages to their dead-letter queue and marks the rest received in one transaction.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::StoreError;

/// A queue row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRecord {
    /// Name (key).
    pub name: String,
    /// Creation, ms.
    pub created_ms: i64,
    /// Last SetQueueAttributes, ms.
    pub modified_ms: i64,
    /// Settings JSON text.
    pub attributes: String,
    /// Tags JSON text (an object).
    pub tags: String,
}

const QUEUE_COLUMNS: &str = "name, created_ms, modified_ms, attributes, tags";

fn queue_row(r: &Row<'_>) -> rusqlite::Result<QueueRecord> {
    Ok(QueueRecord {
        name: r.get(0)?,
        created_ms: r.get(1)?,
        modified_ms: r.get(2)?,
        attributes: r.get(3)?,
        tags: r.get(4)?,
    })
}

/// One queue.
pub fn get_queue(conn: &Connection, name: &str) -> Result<Option<QueueRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {QUEUE_COLUMNS} FROM sqs_queues WHERE name = ?1"),
            [name],
            queue_row,
        )
        .optional()?)
}

/// Whether a queue of that name exists.
pub fn queue_exists(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn
        .query_row("SELECT 1 FROM sqs_queues WHERE name = ?1", [name], |_| {
            Ok(())
        })
        .optional()?
        .is_some())
}

/// Every queue, by name.
pub fn list_queues(conn: &Connection) -> Result<Vec<QueueRecord>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {QUEUE_COLUMNS} FROM sqs_queues ORDER BY name"
    ))?;
    let rows = stmt.query_map([], queue_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Up to `limit` queue names starting with `prefix` and sorting after `after`, in order.
pub fn queue_names(
    conn: &Connection,
    prefix: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT name FROM sqs_queues WHERE substr(name, 1, length(?1)) = ?1 AND name > ?2 \
         ORDER BY name LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![prefix, after, limit], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Inserts a new queue (`modified_ms` is its creation time).
pub fn insert_queue(conn: &Connection, queue: &QueueRecord) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO sqs_queues (name, created_ms, modified_ms, attributes, tags) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            queue.name,
            queue.created_ms,
            queue.modified_ms,
            queue.attributes,
            queue.tags
        ],
    )?;
    Ok(())
}

/// Replaces a queue's settings; false when there is no such queue.
pub fn set_queue_attributes(
    conn: &Connection,
    name: &str,
    attributes: &str,
    modified_ms: i64,
) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE sqs_queues SET attributes = ?2, modified_ms = ?3 WHERE name = ?1",
        params![name, attributes, modified_ms],
    )? > 0)
}

/// Deletes a queue and its messages; false when there is no such queue.
pub fn delete_queue(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    purge_messages(conn, name)?;
    Ok(conn.execute("DELETE FROM sqs_queues WHERE name = ?1", [name])? > 0)
}

/// A message to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The queue's name.
    pub queue_name: String,
    /// Message id.
    pub message_id: String,
    /// Body.
    pub body: String,
    /// MD5 of the body, hex.
    pub md5_body: String,
    /// User attributes JSON text, when any.
    pub message_attributes: Option<String>,
    /// MD5 of the user attributes, when any.
    pub md5_attributes: Option<String>,
    /// System attributes JSON text, when any.
    pub system_attributes: Option<String>,
    /// Sent, ms.
    pub sent_ms: i64,
    /// First visible (after the delay), ms.
    pub visible_at_ms: i64,
    /// End of the retention period, ms.
    pub expires_at_ms: i64,
}

/// Stores a message.
pub fn insert_message(conn: &Connection, message: &NewMessage) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO sqs_messages (queue_name, message_id, body, md5_body, message_attributes, \
           md5_attributes, system_attributes, sent_ms, visible_at_ms, expires_at_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            message.queue_name,
            message.message_id,
            message.body,
            message.md5_body,
            message.message_attributes,
            message.md5_attributes,
            message.system_attributes,
            message.sent_ms,
            message.visible_at_ms,
            message.expires_at_ms
        ],
    )?;
    Ok(())
}

/// A stored message, as a receive reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// Sequence number (key; the order of sending).
    pub seq: i64,
    /// Message id.
    pub message_id: String,
    /// Body.
    pub body: String,
    /// MD5 of the body, hex.
    pub md5_body: String,
    /// User attributes JSON text, when any.
    pub message_attributes: Option<String>,
    /// System attributes JSON text, when any.
    pub system_attributes: Option<String>,
    /// Sent, ms.
    pub sent_ms: i64,
    /// Receives so far.
    pub receive_count: i64,
    /// First receive, ms.
    pub first_receive_ms: Option<i64>,
}

/// Drops the queue's messages whose retention period has ended.
pub fn delete_expired(conn: &Connection, queue: &str, now_ms: i64) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM sqs_messages WHERE queue_name = ?1 AND expires_at_ms <= ?2",
        params![queue, now_ms],
    )?;
    Ok(())
}

/// Up to `limit` of the queue's messages visible at `now_ms`, oldest first.
pub fn visible_messages(
    conn: &Connection,
    queue: &str,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<MessageRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, message_id, body, md5_body, message_attributes, system_attributes, sent_ms, \
           receive_count, first_receive_ms \
         FROM sqs_messages WHERE queue_name = ?1 AND visible_at_ms <= ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![queue, now_ms, limit], |r| {
        Ok(MessageRecord {
            seq: r.get(0)?,
            message_id: r.get(1)?,
            body: r.get(2)?,
            md5_body: r.get(3)?,
            message_attributes: r.get(4)?,
            system_attributes: r.get(5)?,
            sent_ms: r.get(6)?,
            receive_count: r.get(7)?,
            first_receive_ms: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Moves a message to another queue (redrive), visible there at `now_ms`, with no handle.
pub fn move_message(
    conn: &Connection,
    seq: i64,
    queue: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sqs_messages SET queue_name = ?2, visible_at_ms = ?3, receipt_handle = NULL \
         WHERE seq = ?1",
        params![seq, queue, now_ms],
    )?;
    Ok(())
}

/// Counts a receive: hidden until `visible_at_ms`, with `receipt_handle` the current handle.
pub fn mark_received(
    conn: &Connection,
    seq: i64,
    visible_at_ms: i64,
    first_receive_ms: i64,
    receipt_handle: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sqs_messages SET receive_count = receive_count + 1, visible_at_ms = ?2, \
           first_receive_ms = ?3, receipt_handle = ?4 WHERE seq = ?1",
        params![seq, visible_at_ms, first_receive_ms, receipt_handle],
    )?;
    Ok(())
}

/// Deletes the message when `receipt_handle` is its current handle (an older handle deletes
/// nothing); the number deleted.
pub fn delete_message(
    conn: &Connection,
    seq: i64,
    queue: &str,
    receipt_handle: &str,
) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM sqs_messages WHERE seq = ?1 AND queue_name = ?2 AND receipt_handle = ?3",
        params![seq, queue, receipt_handle],
    )?)
}

/// Makes an in-flight message (current handle, still hidden at `now_ms`) visible at
/// `visible_at_ms`; false when it is not in flight under that handle.
pub fn change_visibility(
    conn: &Connection,
    seq: i64,
    queue: &str,
    receipt_handle: &str,
    visible_at_ms: i64,
    now_ms: i64,
) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE sqs_messages SET visible_at_ms = ?4 \
         WHERE seq = ?1 AND queue_name = ?2 AND receipt_handle = ?3 AND visible_at_ms > ?5",
        params![seq, queue, receipt_handle, visible_at_ms, now_ms],
    )? > 0)
}

/// Deletes every message of the queue.
pub fn purge_messages(conn: &Connection, queue: &str) -> Result<(), StoreError> {
    conn.execute("DELETE FROM sqs_messages WHERE queue_name = ?1", [queue])?;
    Ok(())
}

/// A queue's unexpired messages at one moment (the `ApproximateNumberOf*` attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageCounts {
    /// Visible now.
    pub visible: i64,
    /// Received and hidden (in flight).
    pub in_flight: i64,
    /// Never received and hidden (delayed).
    pub delayed: i64,
}

/// The queue's message counts at `now_ms`.
pub fn count_messages(
    conn: &Connection,
    queue: &str,
    now_ms: i64,
) -> Result<MessageCounts, StoreError> {
    let count = |sql: &str| -> Result<i64, StoreError> {
        Ok(conn.query_row(sql, params![queue, now_ms], |r| r.get(0))?)
    };
    Ok(MessageCounts {
        visible: count(
            "SELECT count(*) FROM sqs_messages WHERE queue_name = ?1 AND visible_at_ms <= ?2 \
             AND expires_at_ms > ?2",
        )?,
        in_flight: count(
            "SELECT count(*) FROM sqs_messages WHERE queue_name = ?1 AND visible_at_ms > ?2 \
             AND receive_count > 0 AND expires_at_ms > ?2",
        )?,
        delayed: count(
            "SELECT count(*) FROM sqs_messages WHERE queue_name = ?1 AND visible_at_ms > ?2 \
             AND receive_count = 0 AND expires_at_ms > ?2",
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in super::super::schema::MIGRATIONS {
            let tx = conn.transaction().unwrap();
            tx.execute_batch(sql).unwrap();
            tx.commit().unwrap();
        }
        conn
    }

    fn queue(name: &str) -> QueueRecord {
        QueueRecord {
            name: name.into(),
            created_ms: 1,
            modified_ms: 1,
            attributes: "{}".into(),
            tags: "{}".into(),
        }
    }

    fn message(queue: &str, id: &str, visible_at_ms: i64) -> NewMessage {
        NewMessage {
            queue_name: queue.into(),
            message_id: id.into(),
            body: format!("body of {id}"),
            md5_body: "md5".into(),
            message_attributes: None,
            md5_attributes: None,
            system_attributes: None,
            sent_ms: 1,
            visible_at_ms,
            expires_at_ms: 1_000,
        }
    }

    #[test]
    fn queues_round_trip_and_list_by_prefix() {
        let c = conn();
        for name in ["app-b", "app-a", "other"] {
            insert_queue(&c, &queue(name)).unwrap();
        }
        assert_eq!(get_queue(&c, "app-a").unwrap(), Some(queue("app-a")));
        assert!(queue_exists(&c, "other").unwrap());
        assert!(!queue_exists(&c, "nope").unwrap());
        assert_eq!(queue_names(&c, "app", "", 10).unwrap(), ["app-a", "app-b"]);
        assert_eq!(queue_names(&c, "", "app-a", 1).unwrap(), ["app-b"]);
        assert!(set_queue_attributes(&c, "other", "{\"x\":1}", 5).unwrap());
        assert!(!set_queue_attributes(&c, "nope", "{}", 5).unwrap());
        let other = get_queue(&c, "other").unwrap().unwrap();
        assert_eq!(
            (other.attributes.as_str(), other.modified_ms),
            ("{\"x\":1}", 5)
        );
        assert_eq!(list_queues(&c).unwrap().len(), 3);
        insert_message(&c, &message("other", "m", 0)).unwrap();
        assert!(delete_queue(&c, "other").unwrap());
        assert!(!delete_queue(&c, "other").unwrap());
    }

    #[test]
    fn messages_are_received_moved_and_deleted_by_current_handle() {
        let c = conn();
        insert_queue(&c, &queue("q")).unwrap();
        insert_queue(&c, &queue("dlq")).unwrap();
        insert_message(&c, &message("q", "a", 0)).unwrap();
        insert_message(&c, &message("q", "b", 0)).unwrap();
        insert_message(&c, &message("q", "late", 50)).unwrap();
        let visible = visible_messages(&c, "q", 10, 10).unwrap();
        assert_eq!(visible.len(), 2);
        let (a, b) = (&visible[0], &visible[1]);
        assert_eq!((a.message_id.as_str(), a.receive_count), ("a", 0));
        mark_received(&c, a.seq, 40, 10, "h1").unwrap();
        let counts = count_messages(&c, "q", 10).unwrap();
        assert_eq!(
            counts,
            MessageCounts {
                visible: 1,
                in_flight: 1,
                delayed: 1
            }
        );
        assert!(change_visibility(&c, a.seq, "q", "h1", 20, 10).unwrap());
        assert!(!change_visibility(&c, a.seq, "q", "h0", 20, 10).unwrap());
        assert_eq!(delete_message(&c, a.seq, "q", "h0").unwrap(), 0);
        assert_eq!(delete_message(&c, a.seq, "q", "h1").unwrap(), 1);
        move_message(&c, b.seq, "dlq", 10).unwrap();
        assert_eq!(
            visible_messages(&c, "dlq", 10, 10).unwrap()[0].message_id,
            "b"
        );
        delete_expired(&c, "q", 1_000).unwrap();
        assert!(visible_messages(&c, "q", 2_000, 10).unwrap().is_empty());
        purge_messages(&c, "dlq").unwrap();
        assert_eq!(count_messages(&c, "dlq", 10).unwrap().visible, 0);
    }
}
