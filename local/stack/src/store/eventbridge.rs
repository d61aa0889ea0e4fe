//! EventBridge records: buses, rules, targets, and pending deliveries
//! (target invocations waiting for their next attempt, so a restart loses none).
//!
//! Like [`super::stepfunctions`], functions take a `&Connection` and compose
//! inside [`crate::store::Store::write`]. Input transformers, retry policies and
//! dead-letter configs are stored as JSON text, in EventBridge's API shape.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::StoreError;

/// Records the answer of an idempotent PutEvents (a task's `events:putEvents`), by scope and key.
pub fn put_publish_key(
    c: &Connection,
    scope: &str,
    key: &str,
    outcome: &str,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT OR REPLACE INTO publish_keys (scope, key, outcome) VALUES (?1, ?2, ?3)",
        [scope, key, outcome],
    )?;
    Ok(())
}

/// The recorded answer of a PutEvents, if any.
pub fn publish_key(c: &Connection, scope: &str, key: &str) -> Result<Option<String>, StoreError> {
    Ok(c.query_row(
        "SELECT outcome FROM publish_keys WHERE scope = ?1 AND key = ?2",
        [scope, key],
        |row| row.get(0),
    )
    .optional()?)
}

/// Forgets every recorded answer of a scope (an execution that ended).
pub fn delete_publish_keys(c: &Connection, scope: &str) -> Result<(), StoreError> {
    c.execute("DELETE FROM publish_keys WHERE scope = ?1", [scope])?;
    Ok(())
}

/// The (bus, name) of every rule a template created.
pub fn template_rules(c: &Connection) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt =
        c.prepare_cached("SELECT bus_name, name FROM event_rules WHERE origin = 'template'")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Removes every target of a rule.
pub fn clear_targets(c: &Connection, bus: &str, rule: &str) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM event_targets WHERE bus_name = ?1 AND rule_name = ?2",
        params![bus, rule],
    )?;
    Ok(())
}

/// An event bus row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBusRecord {
    /// Name (key).
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Description.
    pub description: Option<String>,
    /// Resource policy JSON text.
    pub policy: Option<String>,
    /// Creation, ms.
    pub created_ms: i64,
    /// `template`, `api` or `builtin` (the default bus).
    pub origin: String,
}

/// Inserts a bus, keeping an existing one's creation time.
pub fn upsert_event_bus(conn: &Connection, bus: &EventBusRecord) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO event_buses (name, arn, description, policy, created_ms, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (name) DO UPDATE SET arn = ?2, description = ?3, policy = coalesce(?4, policy), origin = ?6",
        params![bus.name, bus.arn, bus.description, bus.policy, bus.created_ms, bus.origin],
    )?;
    Ok(())
}

/// Sets (or, with `None`, removes) a bus's resource policy; false when there is no such bus.
pub fn set_event_bus_policy(
    conn: &Connection,
    name: &str,
    policy: Option<&str>,
) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE event_buses SET policy = ?2 WHERE name = ?1",
        params![name, policy],
    )? > 0)
}

fn bus_row(r: &Row<'_>) -> rusqlite::Result<EventBusRecord> {
    Ok(EventBusRecord {
        name: r.get(0)?,
        arn: r.get(1)?,
        description: r.get(2)?,
        policy: r.get(3)?,
        created_ms: r.get(4)?,
        origin: r.get(5)?,
    })
}

/// One bus.
pub fn get_event_bus(conn: &Connection, name: &str) -> Result<Option<EventBusRecord>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT name, arn, description, policy, created_ms, origin FROM event_buses WHERE name = ?1",
            [name],
            bus_row,
        )
        .optional()?)
}

/// All buses by name.
pub fn list_event_buses(conn: &Connection) -> Result<Vec<EventBusRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, arn, description, policy, created_ms, origin FROM event_buses ORDER BY name",
    )?;
    let rows = stmt.query_map([], bus_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A rule row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRecord {
    /// Bus name (key part).
    pub bus_name: String,
    /// Rule name (key part).
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Event pattern JSON text.
    pub event_pattern: Option<String>,
    /// Schedule expression.
    pub schedule_expression: Option<String>,
    /// `ENABLED` / `DISABLED`.
    pub state: String,
    /// Description.
    pub description: Option<String>,
    /// Role ARN.
    pub role_arn: Option<String>,
    /// ManagedBy.
    pub managed_by: Option<String>,
    /// Creation, ms.
    pub created_ms: i64,
    /// `template` or `api`.
    pub origin: String,
}

const RULE_COLUMNS: &str = "bus_name, name, arn, event_pattern, schedule_expression, state, description, role_arn, \
     managed_by, created_ms, origin";

fn rule_row(r: &Row<'_>) -> rusqlite::Result<RuleRecord> {
    Ok(RuleRecord {
        bus_name: r.get(0)?,
        name: r.get(1)?,
        arn: r.get(2)?,
        event_pattern: r.get(3)?,
        schedule_expression: r.get(4)?,
        state: r.get(5)?,
        description: r.get(6)?,
        role_arn: r.get(7)?,
        managed_by: r.get(8)?,
        created_ms: r.get(9)?,
        origin: r.get(10)?,
    })
}

/// PutRule semantics: insert or update (keeping the creation time).
pub fn upsert_rule(conn: &Connection, rule: &RuleRecord) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO event_rules ({RULE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
             ON CONFLICT (bus_name, name) DO UPDATE SET arn = ?3, event_pattern = ?4, schedule_expression = ?5, \
               state = ?6, description = ?7, role_arn = ?8, managed_by = ?9, origin = ?11"
        ),
        params![
            rule.bus_name,
            rule.name,
            rule.arn,
            rule.event_pattern,
            rule.schedule_expression,
            rule.state,
            rule.description,
            rule.role_arn,
            rule.managed_by,
            rule.created_ms,
            rule.origin
        ],
    )?;
    Ok(())
}

/// One rule.
pub fn get_rule(
    conn: &Connection,
    bus: &str,
    name: &str,
) -> Result<Option<RuleRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {RULE_COLUMNS} FROM event_rules WHERE bus_name = ?1 AND name = ?2"),
            params![bus, name],
            rule_row,
        )
        .optional()?)
}

/// Rules of a bus by name, optionally with a name prefix.
pub fn list_rules(
    conn: &Connection,
    bus: &str,
    prefix: Option<&str>,
) -> Result<Vec<RuleRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RULE_COLUMNS} FROM event_rules WHERE bus_name = ?1 \
         AND (?2 IS NULL OR substr(name, 1, length(?2)) = ?2) ORDER BY name"
    ))?;
    let rows = stmt.query_map(params![bus, prefix], rule_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes a rule and its targets; true when it existed.
pub fn delete_rule(conn: &Connection, bus: &str, name: &str) -> Result<bool, StoreError> {
    conn.execute(
        "DELETE FROM event_targets WHERE bus_name = ?1 AND rule_name = ?2",
        params![bus, name],
    )?;
    Ok(conn.execute(
        "DELETE FROM event_rules WHERE bus_name = ?1 AND name = ?2",
        params![bus, name],
    )? > 0)
}

/// A target row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRecord {
    /// Bus name.
    pub bus_name: String,
    /// Rule name.
    pub rule_name: String,
    /// Target id.
    pub id: String,
    /// Target ARN.
    pub arn: String,
    /// Role ARN.
    pub role_arn: Option<String>,
    /// Constant input (JSON text).
    pub input: Option<String>,
    /// InputPath.
    pub input_path: Option<String>,
    /// InputTransformer as JSON text (`{"InputPathsMap":..., "InputTemplate":...}`).
    pub input_transformer: Option<String>,
    /// RetryPolicy as JSON text.
    pub retry_policy: Option<String>,
    /// DeadLetterConfig as JSON text.
    pub dead_letter_config: Option<String>,
    /// Other target parameters (SqsParameters, ...) as JSON text.
    pub extra: Option<String>,
}

const TARGET_COLUMNS: &str = "bus_name, rule_name, id, arn, role_arn, input, input_path, input_transformer, \
     retry_policy, dead_letter_config, extra";

/// PutTargets semantics: insert or replace by id.
pub fn put_target(conn: &Connection, t: &TargetRecord) -> Result<(), StoreError> {
    conn.execute(
        &format!("INSERT OR REPLACE INTO event_targets ({TARGET_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        params![
            t.bus_name,
            t.rule_name,
            t.id,
            t.arn,
            t.role_arn,
            t.input,
            t.input_path,
            t.input_transformer,
            t.retry_policy,
            t.dead_letter_config,
            t.extra
        ],
    )?;
    Ok(())
}

/// Targets of a rule by id.
pub fn list_targets(
    conn: &Connection,
    bus: &str,
    rule: &str,
) -> Result<Vec<TargetRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TARGET_COLUMNS} FROM event_targets WHERE bus_name = ?1 AND rule_name = ?2 ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![bus, rule], |r| {
        Ok(TargetRecord {
            bus_name: r.get(0)?,
            rule_name: r.get(1)?,
            id: r.get(2)?,
            arn: r.get(3)?,
            role_arn: r.get(4)?,
            input: r.get(5)?,
            input_path: r.get(6)?,
            input_transformer: r.get(7)?,
            retry_policy: r.get(8)?,
            dead_letter_config: r.get(9)?,
            extra: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// RemoveTargets: true when the target existed.
pub fn remove_target(
    conn: &Connection,
    bus: &str,
    rule: &str,
    id: &str,
) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "DELETE FROM event_targets WHERE bus_name = ?1 AND rule_name = ?2 AND id = ?3",
        params![bus, rule, id],
    )? > 0)
}

/// A delivery waiting for its (next) attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDelivery {
    /// Row id (assigned on enqueue).
    pub id: i64,
    /// What kind of delivery (`rule-target`, `lambda-async`, ...).
    pub kind: String,
    /// Where it goes, JSON text (target, function, ...).
    pub destination: String,
    /// What is delivered, JSON text.
    pub payload: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due, ms.
    pub due_ms: i64,
    /// First attempt, ms.
    pub first_attempt_ms: Option<i64>,
    /// Give up after, ms (MaximumEventAgeInSeconds).
    pub expires_ms: Option<i64>,
    /// Last failure.
    pub last_error: Option<String>,
    /// Enqueued at, ms.
    pub created_ms: i64,
}

/// Enqueues a delivery; returns its id.
pub fn enqueue_delivery(
    conn: &Connection,
    kind: &str,
    destination: &str,
    payload: &str,
    due_ms: i64,
    expires_ms: Option<i64>,
    now_ms: i64,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO pending_deliveries (kind, destination, payload, due_ms, expires_ms, created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![kind, destination, payload, due_ms, expires_ms, now_ms],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Deliveries due at or before `now_ms`, oldest due first.
pub fn due_deliveries(
    conn: &Connection,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<PendingDelivery>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, destination, payload, attempts, due_ms, first_attempt_ms, expires_ms, last_error, created_ms \
         FROM pending_deliveries WHERE due_ms <= ?1 ORDER BY due_ms, id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![now_ms, limit], |r| {
        Ok(PendingDelivery {
            id: r.get(0)?,
            kind: r.get(1)?,
            destination: r.get(2)?,
            payload: r.get(3)?,
            attempts: r.get(4)?,
            due_ms: r.get(5)?,
            first_attempt_ms: r.get(6)?,
            expires_ms: r.get(7)?,
            last_error: r.get(8)?,
            created_ms: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every delivery of one kind, oldest due first (to resume them after a restart).
pub fn pending_deliveries_of_kind(
    conn: &Connection,
    kind: &str,
) -> Result<Vec<PendingDelivery>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, destination, payload, attempts, due_ms, first_attempt_ms, expires_ms, last_error, created_ms \
         FROM pending_deliveries WHERE kind = ?1 ORDER BY due_ms, id",
    )?;
    let rows = stmt.query_map([kind], |r| {
        Ok(PendingDelivery {
            id: r.get(0)?,
            kind: r.get(1)?,
            destination: r.get(2)?,
            payload: r.get(3)?,
            attempts: r.get(4)?,
            due_ms: r.get(5)?,
            first_attempt_ms: r.get(6)?,
            expires_ms: r.get(7)?,
            last_error: r.get(8)?,
            created_ms: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes a bus record; true when it existed.
pub fn delete_event_bus(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM event_buses WHERE name = ?1", [name])? > 0)
}

/// Rules of every bus (to build the routing tables at start).
pub fn list_all_rules(conn: &Connection) -> Result<Vec<RuleRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RULE_COLUMNS} FROM event_rules ORDER BY bus_name, name"
    ))?;
    let rows = stmt.query_map([], rule_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The earliest due time, to know how long to sleep.
pub fn next_delivery_due(conn: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(
        conn.query_row("SELECT min(due_ms) FROM pending_deliveries", [], |r| {
            r.get(0)
        })?,
    )
}

/// Records a failed attempt and when to try again.
pub fn reschedule_delivery(
    conn: &Connection,
    id: i64,
    next_due_ms: i64,
    error: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE pending_deliveries SET attempts = attempts + 1, due_ms = ?2, last_error = ?3, \
           first_attempt_ms = coalesce(first_attempt_ms, ?4) WHERE id = ?1",
        params![id, next_due_ms, error, now_ms],
    )?;
    Ok(())
}

/// Removes a delivery (delivered, or handed to its dead-letter queue).
pub fn finish_delivery(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM pending_deliveries WHERE id = ?1", [id])? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// The id of a finished delivery is never given to a new one: the id keys the delivery in the
    /// worker's schedule too, and a late `finish` of the old one must not delete the new one.
    #[test]
    fn delivery_ids_are_never_reused() {
        let store = Store::open_in_memory().unwrap();
        store
            .write_blocking(|tx| {
                let enqueue = |tx: &Connection| enqueue_delivery(tx, "k", "{}", "{}", 1, None, 1);
                let first = enqueue(tx)?;
                let newest = enqueue(tx)?;
                assert!(finish_delivery(tx, newest)?);
                let next = enqueue(tx)?;
                assert!(next > newest, "{next} reuses {newest}");
                // Finishing the old one again is a no-op that leaves the new one alone.
                assert!(!finish_delivery(tx, newest)?);
                assert_eq!(due_deliveries(tx, 10, 10)?.len(), 2);
                assert!(finish_delivery(tx, first)?);
                assert!(finish_delivery(tx, next)?);
                assert!(enqueue(tx)? > next);
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    #[test]
    fn rules_and_targets() {
        let store = Store::open_in_memory().unwrap();
        store
            .write_blocking(|tx| {
                upsert_event_bus(
                    tx,
                    &EventBusRecord {
                        name: "Central".into(),
                        arn: "arn:bus".into(),
                        description: None,
                        policy: None,
                        created_ms: 1,
                        origin: "template".into(),
                    },
                )?;
                assert_eq!(get_event_bus(tx, "Central")?.unwrap().arn, "arn:bus");
                let rule = RuleRecord {
                    bus_name: "Central".into(),
                    name: "to-logs".into(),
                    arn: "arn:rule".into(),
                    event_pattern: Some("{\"source\":[\"x\"]}".into()),
                    schedule_expression: None,
                    state: "ENABLED".into(),
                    description: None,
                    role_arn: None,
                    managed_by: None,
                    created_ms: 1,
                    origin: "api".into(),
                };
                upsert_rule(tx, &rule)?;
                upsert_rule(
                    tx,
                    &RuleRecord {
                        state: "DISABLED".into(),
                        created_ms: 5,
                        ..rule.clone()
                    },
                )?;
                let got = get_rule(tx, "Central", "to-logs")?.unwrap();
                assert_eq!((got.state.as_str(), got.created_ms), ("DISABLED", 1));
                assert_eq!(list_rules(tx, "Central", Some("to"))?.len(), 1);
                assert!(list_rules(tx, "Central", Some("zz"))?.is_empty());
                let target = TargetRecord {
                    bus_name: "Central".into(),
                    rule_name: "to-logs".into(),
                    id: "t1".into(),
                    arn: "arn:logs".into(),
                    role_arn: None,
                    input: None,
                    input_path: Some("$.detail".into()),
                    input_transformer: None,
                    retry_policy: Some("{\"MaximumRetryAttempts\":3}".into()),
                    dead_letter_config: None,
                    extra: None,
                };
                put_target(tx, &target)?;
                put_target(
                    tx,
                    &TargetRecord {
                        arn: "arn:logs2".into(),
                        ..target.clone()
                    },
                )?;
                let targets = list_targets(tx, "Central", "to-logs")?;
                assert_eq!(targets.len(), 1);
                assert_eq!(targets[0].arn, "arn:logs2");
                assert!(remove_target(tx, "Central", "to-logs", "t1")?);
                put_target(tx, &target)?;
                assert!(delete_rule(tx, "Central", "to-logs")?);
                assert!(list_targets(tx, "Central", "to-logs")?.is_empty());
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    #[test]
    fn deliveries_come_due_and_are_rescheduled() {
        let store = Store::open_in_memory().unwrap();
        store
            .write_blocking(|tx| {
                let a = enqueue_delivery(tx, "rule-target", "{}", "{\"n\":1}", 100, Some(1000), 0)?;
                let b = enqueue_delivery(tx, "rule-target", "{}", "{\"n\":2}", 50, None, 0)?;
                assert_eq!(next_delivery_due(tx)?, Some(50));
                let due: Vec<i64> = due_deliveries(tx, 100, 10)?.iter().map(|d| d.id).collect();
                assert_eq!(due, [b, a]);
                reschedule_delivery(tx, a, 500, "throttled", 100)?;
                let later = due_deliveries(tx, 500, 10)?;
                let again = later.iter().find(|d| d.id == a).unwrap();
                assert_eq!(
                    (
                        again.attempts,
                        again.first_attempt_ms,
                        again.last_error.as_deref()
                    ),
                    (1, Some(100), Some("throttled"))
                );
                assert!(finish_delivery(tx, a)?);
                assert!(finish_delivery(tx, b)?);
                assert_eq!(next_delivery_due(tx)?, None);
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
}
