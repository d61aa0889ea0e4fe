//! Step Functions records: state machines, activities, tags, executions, history, task tokens.
//!
//! Functions take a `&Connection` (a `&Transaction` derefs to one) so a service
//! composes several of them into one transaction via [`crate::store::Store::write`].
//! The engine's own state is stored as opaque JSON (`engine_state`), so
//! `asl` can change its serde model without a migration.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::StoreError;

/// The waiting tokens of a finished execution can no longer be answered (nor its activity tasks
/// taken).
pub fn expire_task_tokens(c: &Connection, execution_arn: &str) -> Result<(), StoreError> {
    c.execute(
        "UPDATE task_tokens SET status = 'TIMED_OUT' WHERE execution_arn = ?1 AND status = 'WAITING'",
        [execution_arn],
    )?;
    c.execute(
        "DELETE FROM states_activity_tasks WHERE execution_arn = ?1",
        [execution_arn],
    )?;
    Ok(())
}

/// A state machine row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateMachineRecord {
    /// ARN (key).
    pub arn: String,
    /// Name (unique).
    pub name: String,
    /// `STANDARD` / `EXPRESS`.
    pub kind: String,
    /// ASL JSON text.
    pub definition: String,
    /// Role ARN.
    pub role_arn: String,
    /// Description.
    pub description: Option<String>,
    /// LoggingConfiguration JSON text.
    pub logging_configuration: Option<String>,
    /// TracingConfiguration JSON text.
    pub tracing_configuration: Option<String>,
    /// `ACTIVE` / `DELETING`.
    pub status: String,
    /// Revision id (changes with UpdateStateMachine).
    pub revision_id: Option<String>,
    /// CreationDate, ms.
    pub created_ms: i64,
    /// Last update, ms.
    pub updated_ms: Option<i64>,
    /// `template` or `api`.
    pub origin: String,
}

fn state_machine_row(r: &Row<'_>) -> rusqlite::Result<StateMachineRecord> {
    Ok(StateMachineRecord {
        arn: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        definition: r.get(3)?,
        role_arn: r.get(4)?,
        description: r.get(5)?,
        logging_configuration: r.get(6)?,
        tracing_configuration: r.get(7)?,
        status: r.get(8)?,
        revision_id: r.get(9)?,
        created_ms: r.get(10)?,
        updated_ms: r.get(11)?,
        origin: r.get(12)?,
    })
}

const STATE_MACHINE_COLUMNS: &str = "arn, name, type, definition, role_arn, description, logging_configuration, \
     tracing_configuration, status, revision_id, created_ms, updated_ms, origin";

/// Inserts or replaces a state machine (keyed by ARN).
pub fn upsert_state_machine(conn: &Connection, sm: &StateMachineRecord) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO state_machines ({STATE_MACHINE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
             ON CONFLICT (arn) DO UPDATE SET name = ?2, type = ?3, definition = ?4, role_arn = ?5, description = ?6, \
               logging_configuration = ?7, tracing_configuration = ?8, status = ?9, revision_id = ?10, \
               updated_ms = ?12, origin = ?13"
        ),
        params![
            sm.arn,
            sm.name,
            sm.kind,
            sm.definition,
            sm.role_arn,
            sm.description,
            sm.logging_configuration,
            sm.tracing_configuration,
            sm.status,
            sm.revision_id,
            sm.created_ms,
            sm.updated_ms,
            sm.origin
        ],
    )?;
    Ok(())
}

/// One state machine.
pub fn get_state_machine(
    conn: &Connection,
    arn: &str,
) -> Result<Option<StateMachineRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {STATE_MACHINE_COLUMNS} FROM state_machines WHERE arn = ?1"),
            [arn],
            state_machine_row,
        )
        .optional()?)
}

/// All state machines, by name.
pub fn list_state_machines(conn: &Connection) -> Result<Vec<StateMachineRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {STATE_MACHINE_COLUMNS} FROM state_machines ORDER BY name"
    ))?;
    let rows = stmt.query_map([], state_machine_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes a state machine; true when it existed.
pub fn delete_state_machine(conn: &Connection, arn: &str) -> Result<bool, StoreError> {
    conn.execute("DELETE FROM states_tags WHERE resource_arn = ?1", [arn])?;
    Ok(conn.execute("DELETE FROM state_machines WHERE arn = ?1", [arn])? > 0)
}

/// Sets `tags` (key, value) on a resource, replacing the values of keys it already has.
pub fn put_tags(
    conn: &Connection,
    resource_arn: &str,
    tags: &[(String, String)],
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO states_tags (resource_arn, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value",
    )?;
    for (key, value) in tags {
        insert.execute(rusqlite::params![resource_arn, key, value])?;
    }
    Ok(())
}

/// A resource's tags, by key.
pub fn list_tags(
    conn: &Connection,
    resource_arn: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut select = conn.prepare_cached(
        "SELECT key, value FROM states_tags WHERE resource_arn = ?1 ORDER BY key",
    )?;
    let rows = select.query_map([resource_arn], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Removes the tags with these keys from a resource (keys it does not have are ignored).
pub fn delete_tags(
    conn: &Connection,
    resource_arn: &str,
    keys: &[String],
) -> Result<(), StoreError> {
    let mut delete =
        conn.prepare_cached("DELETE FROM states_tags WHERE resource_arn = ?1 AND key = ?2")?;
    for key in keys {
        delete.execute(params![resource_arn, key])?;
    }
    Ok(())
}

/// An activity row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRecord {
    /// ARN (key).
    pub arn: String,
    /// Name (unique).
    pub name: String,
    /// CreationDate, ms.
    pub created_ms: i64,
}

fn activity_row(r: &Row<'_>) -> rusqlite::Result<ActivityRecord> {
    Ok(ActivityRecord {
        arn: r.get(0)?,
        name: r.get(1)?,
        created_ms: r.get(2)?,
    })
}

/// Inserts an activity; false (and nothing changed) when one with its ARN exists.
pub fn insert_activity(conn: &Connection, a: &ActivityRecord) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "INSERT INTO states_activities (arn, name, created_ms) VALUES (?1, ?2, ?3) \
         ON CONFLICT (arn) DO NOTHING",
        params![a.arn, a.name, a.created_ms],
    )? > 0)
}

/// One activity.
pub fn get_activity(conn: &Connection, arn: &str) -> Result<Option<ActivityRecord>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT arn, name, created_ms FROM states_activities WHERE arn = ?1",
            [arn],
            activity_row,
        )
        .optional()?)
}

/// All activities, by name.
pub fn list_activities(conn: &Connection) -> Result<Vec<ActivityRecord>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT arn, name, created_ms FROM states_activities ORDER BY name")?;
    let rows = stmt.query_map([], activity_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes an activity and its tags; true when it existed.
pub fn delete_activity(conn: &Connection, arn: &str) -> Result<bool, StoreError> {
    conn.execute("DELETE FROM states_tags WHERE resource_arn = ?1", [arn])?;
    Ok(conn.execute("DELETE FROM states_activities WHERE arn = ?1", [arn])? > 0)
}

/// An activity task waiting for a worker (or taken by one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityTaskRecord {
    /// The task token (key).
    pub token: String,
    /// The activity.
    pub activity_arn: String,
    /// The execution whose Task state waits.
    pub execution_arn: String,
    /// The task's input, JSON text.
    pub input: String,
    /// Queued at, ms.
    pub queued_ms: i64,
}

/// Queues an activity task (a task queued already, dispatched again after a restart, stays as
/// it was).
pub fn queue_activity_task(conn: &Connection, t: &ActivityTaskRecord) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO states_activity_tasks (token, activity_arn, execution_arn, input, queued_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (token) DO NOTHING",
        params![
            t.token,
            t.activity_arn,
            t.execution_arn,
            t.input,
            t.queued_ms
        ],
    )?;
    Ok(())
}

/// Takes the oldest task of an activity that no worker has taken and whose token still waits,
/// for `worker_name`.
pub fn take_activity_task(
    conn: &Connection,
    activity_arn: &str,
    worker_name: Option<&str>,
    now_ms: i64,
) -> Result<Option<ActivityTaskRecord>, StoreError> {
    let task = conn
        .query_row(
            "SELECT a.token, a.activity_arn, a.execution_arn, a.input, a.queued_ms \
             FROM states_activity_tasks a JOIN task_tokens t ON t.token = a.token \
             WHERE a.activity_arn = ?1 AND a.taken_ms IS NULL AND t.status = 'WAITING' \
             ORDER BY a.queued_ms, a.token LIMIT 1",
            [activity_arn],
            |r| {
                Ok(ActivityTaskRecord {
                    token: r.get(0)?,
                    activity_arn: r.get(1)?,
                    execution_arn: r.get(2)?,
                    input: r.get(3)?,
                    queued_ms: r.get(4)?,
                })
            },
        )
        .optional()?;
    if let Some(t) = &task {
        conn.execute(
            "UPDATE states_activity_tasks SET taken_ms = ?2, worker_name = ?3 WHERE token = ?1",
            params![t.token, now_ms, worker_name],
        )?;
    }
    Ok(task)
}

/// An execution row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionRecord {
    /// ARN (key).
    pub arn: String,
    /// State machine ARN.
    pub state_machine_arn: String,
    /// Name (unique per state machine).
    pub name: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`.
    pub status: String,
    /// Input JSON text.
    pub input: Option<String>,
    /// Output JSON text.
    pub output: Option<String>,
    /// Error name.
    pub error: Option<String>,
    /// Cause.
    pub cause: Option<String>,
    /// X-Ray trace header.
    pub trace_header: Option<String>,
    /// Start, ms.
    pub start_ms: i64,
    /// Stop, ms.
    pub stop_ms: Option<i64>,
    /// The engine's serialized state, to resume after a restart.
    pub engine_state: Option<String>,
    /// Redrives so far.
    pub redrive_count: i64,
}

const EXECUTION_COLUMNS: &str = "arn, state_machine_arn, name, status, input, output, error, cause, trace_header, \
     start_ms, stop_ms, engine_state, redrive_count";

fn execution_row(r: &Row<'_>) -> rusqlite::Result<ExecutionRecord> {
    Ok(ExecutionRecord {
        arn: r.get(0)?,
        state_machine_arn: r.get(1)?,
        name: r.get(2)?,
        status: r.get(3)?,
        input: r.get(4)?,
        output: r.get(5)?,
        error: r.get(6)?,
        cause: r.get(7)?,
        trace_header: r.get(8)?,
        start_ms: r.get(9)?,
        stop_ms: r.get(10)?,
        engine_state: r.get(11)?,
        redrive_count: r.get(12)?,
    })
}

/// Inserts a new execution; `Ok(false)` when its name is taken on that state machine.
pub fn insert_execution(conn: &Connection, e: &ExecutionRecord) -> Result<bool, StoreError> {
    let inserted = conn.execute(
        &format!(
            "INSERT OR IGNORE INTO executions ({EXECUTION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        ),
        params![
            e.arn,
            e.state_machine_arn,
            e.name,
            e.status,
            e.input,
            e.output,
            e.error,
            e.cause,
            e.trace_header,
            e.start_ms,
            e.stop_ms,
            e.engine_state,
            e.redrive_count
        ],
    )?;
    Ok(inserted > 0)
}

/// Writes the mutable part of an execution (status, result, engine state).
pub fn update_execution(conn: &Connection, e: &ExecutionRecord) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, stop_ms = ?6, \
           engine_state = ?7, redrive_count = ?8 WHERE arn = ?1",
        params![
            e.arn,
            e.status,
            e.output,
            e.error,
            e.cause,
            e.stop_ms,
            e.engine_state,
            e.redrive_count
        ],
    )?;
    Ok(())
}

/// One execution.
pub fn get_execution(conn: &Connection, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?1"),
            [arn],
            execution_row,
        )
        .optional()?)
}

/// Executions of a state machine, newest first (ListExecutions order), optionally by status.
pub fn list_executions(
    conn: &Connection,
    state_machine_arn: &str,
    status: Option<&str>,
) -> Result<Vec<ExecutionRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EXECUTION_COLUMNS} FROM executions WHERE state_machine_arn = ?1 AND (?2 IS NULL OR status = ?2) \
         ORDER BY start_ms DESC, arn DESC"
    ))?;
    let rows = stmt.query_map(params![state_machine_arn, status], execution_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every RUNNING execution (to resume them at start).
pub fn running_executions(conn: &Connection) -> Result<Vec<ExecutionRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EXECUTION_COLUMNS} FROM executions WHERE status = 'RUNNING' ORDER BY start_ms"
    ))?;
    let rows = stmt.query_map([], execution_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One history event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRecord {
    /// Execution ARN.
    pub execution_arn: String,
    /// 1-based id.
    pub id: i64,
    /// Previous event id (0 for the first).
    pub previous_id: i64,
    /// Timestamp, ms.
    pub timestamp_ms: i64,
    /// `ExecutionStarted`, `TaskStateEntered`, ...
    pub kind: String,
    /// The event's details JSON text (as GetExecutionHistory returns them).
    pub details: String,
}

/// Appends history events (ids are the caller's, as the engine numbers them).
pub fn append_history(conn: &Connection, events: &[HistoryRecord]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO history_events (execution_arn, id, previous_id, timestamp_ms, type, details) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for e in events {
        stmt.execute(params![
            e.execution_arn,
            e.id,
            e.previous_id,
            e.timestamp_ms,
            e.kind,
            e.details
        ])?;
    }
    Ok(())
}

/// A Map Run's record (the engine's `MapRunInfo` as JSON).
#[derive(Debug, Clone)]
pub struct MapRunRecord {
    pub arn: String,
    pub execution_arn: String,
    pub start_ms: i64,
    pub info: String,
}

/// Writes (or rewrites) Map Run records.
pub fn put_map_runs(conn: &Connection, runs: &[MapRunRecord]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO states_map_runs (arn, execution_arn, start_ms, info) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (arn) DO UPDATE SET info = excluded.info",
    )?;
    for r in runs {
        stmt.execute(params![r.arn, r.execution_arn, r.start_ms, r.info])?;
    }
    Ok(())
}

pub fn get_map_run(conn: &Connection, arn: &str) -> Result<Option<MapRunRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT arn, execution_arn, start_ms, info FROM states_map_runs WHERE arn = ?1",
    )?;
    let mut rows = stmt.query(params![arn])?;
    Ok(match rows.next()? {
        Some(r) => Some(MapRunRecord {
            arn: r.get(0)?,
            execution_arn: r.get(1)?,
            start_ms: r.get(2)?,
            info: r.get(3)?,
        }),
        None => None,
    })
}

/// The Map Runs of an execution, newest first.
pub fn list_map_runs(
    conn: &Connection,
    execution_arn: &str,
) -> Result<Vec<MapRunRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT arn, execution_arn, start_ms, info FROM states_map_runs WHERE execution_arn = ?1 \
         ORDER BY start_ms DESC, arn",
    )?;
    let rows = stmt.query_map(params![execution_arn], |r| {
        Ok(MapRunRecord {
            arn: r.get(0)?,
            execution_arn: r.get(1)?,
            start_ms: r.get(2)?,
            info: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// When the execution was last redriven (its last `ExecutionRedriven` event), ms.
pub fn last_redrive_ms(conn: &Connection, execution_arn: &str) -> Result<Option<i64>, StoreError> {
    let ms: Option<i64> = conn.query_row(
        "SELECT MAX(timestamp_ms) FROM history_events WHERE execution_arn = ?1 AND type = 'ExecutionRedriven'",
        params![execution_arn],
        |r| r.get(0),
    )?;
    Ok(ms)
}

/// A page of history: events after `after_id` (exclusive), up to `limit`, in
/// id order or reversed.
pub fn history_page(
    conn: &Connection,
    execution_arn: &str,
    after_id: Option<i64>,
    limit: i64,
    reverse: bool,
) -> Result<Vec<HistoryRecord>, StoreError> {
    let sql = if reverse {
        "SELECT execution_arn, id, previous_id, timestamp_ms, type, details FROM history_events \
         WHERE execution_arn = ?1 AND id < coalesce(?2, 9223372036854775807) ORDER BY id DESC LIMIT ?3"
    } else {
        "SELECT execution_arn, id, previous_id, timestamp_ms, type, details FROM history_events \
         WHERE execution_arn = ?1 AND id > coalesce(?2, 0) ORDER BY id ASC LIMIT ?3"
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![execution_arn, after_id, limit], |r| {
        Ok(HistoryRecord {
            execution_arn: r.get(0)?,
            id: r.get(1)?,
            previous_id: r.get(2)?,
            timestamp_ms: r.get(3)?,
            kind: r.get(4)?,
            details: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A task token waiting for SendTaskSuccess / SendTaskFailure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskTokenRecord {
    /// The token (key).
    pub token: String,
    /// Execution ARN.
    pub execution_arn: String,
    /// State waiting on it.
    pub state_name: String,
    /// `WAITING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `CANCELLED`.
    pub status: String,
    /// Issued at, ms.
    pub created_ms: i64,
    /// HeartbeatSeconds, when set.
    pub heartbeat_seconds: Option<i64>,
    /// Next heartbeat deadline, ms.
    pub heartbeat_deadline_ms: Option<i64>,
    /// TimeoutSeconds deadline, ms.
    pub timeout_deadline_ms: Option<i64>,
    /// Output or error JSON text once completed; `SUBMITTED` while waiting once the
    /// integration accepted the request.
    pub result: Option<String>,
}

fn token_row(r: &Row<'_>) -> rusqlite::Result<TaskTokenRecord> {
    Ok(TaskTokenRecord {
        token: r.get(0)?,
        execution_arn: r.get(1)?,
        state_name: r.get(2)?,
        status: r.get(3)?,
        created_ms: r.get(4)?,
        heartbeat_seconds: r.get(5)?,
        heartbeat_deadline_ms: r.get(6)?,
        timeout_deadline_ms: r.get(7)?,
        result: r.get(8)?,
    })
}

const TOKEN_COLUMNS: &str = "token, execution_arn, state_name, status, created_ms, heartbeat_seconds, \
     heartbeat_deadline_ms, timeout_deadline_ms, result";

/// Inserts or replaces a token.
pub fn put_task_token(conn: &Connection, t: &TaskTokenRecord) -> Result<(), StoreError> {
    conn.execute(
        &format!("INSERT OR REPLACE INTO task_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![
            t.token,
            t.execution_arn,
            t.state_name,
            t.status,
            t.created_ms,
            t.heartbeat_seconds,
            t.heartbeat_deadline_ms,
            t.timeout_deadline_ms,
            t.result
        ],
    )?;
    Ok(())
}

/// One token.
pub fn get_task_token(
    conn: &Connection,
    token: &str,
) -> Result<Option<TaskTokenRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {TOKEN_COLUMNS} FROM task_tokens WHERE token = ?1"),
            [token],
            token_row,
        )
        .optional()?)
}

/// Moves a WAITING token to `status` with `result`; false when it was not waiting
/// (already completed, timed out, or unknown), which is how a second
/// SendTaskSuccess learns it lost the race.
pub fn complete_task_token(
    conn: &Connection,
    token: &str,
    status: &str,
    result: Option<&str>,
) -> Result<bool, StoreError> {
    let moved = conn.execute(
        "UPDATE task_tokens SET status = ?2, result = ?3 WHERE token = ?1 AND status = 'WAITING'",
        params![token, status, result],
    )? > 0;
    if moved {
        // An activity task answered (or timed out) is no longer for a worker.
        conn.execute(
            "DELETE FROM states_activity_tasks WHERE token = ?1",
            [token],
        )?;
    }
    Ok(moved)
}

/// Marks a WAITING token's request as accepted by the integration (`result` = `SUBMITTED` while
/// the token waits), so a restart keeps waiting instead of sending the request again.
pub fn mark_task_token_submitted(conn: &Connection, token: &str) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE task_tokens SET result = 'SUBMITTED' WHERE token = ?1 AND status = 'WAITING'",
        [token],
    )? > 0)
}

/// Pushes a WAITING token's heartbeat deadline; false when it is not waiting.
pub fn heartbeat_task_token(
    conn: &Connection,
    token: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE task_tokens SET heartbeat_deadline_ms = ?2 + heartbeat_seconds * 1000 \
         WHERE token = ?1 AND status = 'WAITING'",
        params![token, now_ms],
    )? > 0)
}

/// WAITING tokens whose heartbeat or timeout deadline is at or before `now_ms`.
pub fn expired_task_tokens(
    conn: &Connection,
    now_ms: i64,
) -> Result<Vec<TaskTokenRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TOKEN_COLUMNS} FROM task_tokens WHERE status = 'WAITING' AND \
         (heartbeat_deadline_ms <= ?1 OR timeout_deadline_ms <= ?1)"
    ))?;
    let rows = stmt.query_map([now_ms], token_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn execution(arn: &str, start: i64, status: &str) -> ExecutionRecord {
        ExecutionRecord {
            arn: arn.into(),
            state_machine_arn: "arn:sm".into(),
            name: arn.rsplit(':').next().unwrap().into(),
            status: status.into(),
            input: Some("{}".into()),
            output: None,
            error: None,
            cause: None,
            trace_header: None,
            start_ms: start,
            stop_ms: None,
            engine_state: None,
            redrive_count: 0,
        }
    }

    #[test]
    fn executions_insert_once_list_newest_first_and_resume() {
        let store = Store::open_in_memory().unwrap();
        store
            .write_blocking(|tx| {
                assert!(insert_execution(tx, &execution("arn:x:a", 1, "RUNNING"))?);
                assert!(insert_execution(tx, &execution("arn:x:b", 2, "SUCCEEDED"))?);
                assert!(
                    !insert_execution(tx, &execution("arn:x:a", 3, "RUNNING"))?,
                    "names are unique"
                );
                let mut done = execution("arn:x:a", 1, "FAILED");
                done.error = Some("States.Timeout".into());
                done.stop_ms = Some(9);
                update_execution(tx, &done)?;
                let all = list_executions(tx, "arn:sm", None)?;
                assert_eq!(
                    all.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
                    ["b", "a"]
                );
                assert_eq!(
                    list_executions(tx, "arn:sm", Some("FAILED"))?[0]
                        .error
                        .as_deref(),
                    Some("States.Timeout")
                );
                assert!(running_executions(tx)?.is_empty());
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    #[test]
    fn history_pages_forward_and_backward() {
        let store = Store::open_in_memory().unwrap();
        store
            .write_blocking(|tx| {
                let events: Vec<HistoryRecord> = (1..=5)
                    .map(|id| HistoryRecord {
                        execution_arn: "e".into(),
                        id,
                        previous_id: id - 1,
                        timestamp_ms: id * 10,
                        kind: "PassStateEntered".into(),
                        details: "{}".into(),
                    })
                    .collect();
                append_history(tx, &events)?;
                let ids =
                    |page: Vec<HistoryRecord>| page.into_iter().map(|e| e.id).collect::<Vec<_>>();
                assert_eq!(ids(history_page(tx, "e", None, 2, false)?), [1, 2]);
                assert_eq!(ids(history_page(tx, "e", Some(2), 10, false)?), [3, 4, 5]);
                assert_eq!(ids(history_page(tx, "e", None, 2, true)?), [5, 4]);
                assert_eq!(ids(history_page(tx, "e", Some(4), 10, true)?), [3, 2, 1]);
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    #[test]
    fn task_tokens_complete_once_and_expire() {
        let store = Store::open_in_memory().unwrap();
        store
            .write_blocking(|tx| {
                let token = TaskTokenRecord {
                    token: "t1".into(),
                    execution_arn: "e".into(),
                    state_name: "Wait for review".into(),
                    status: "WAITING".into(),
                    created_ms: 0,
                    heartbeat_seconds: Some(10),
                    heartbeat_deadline_ms: Some(10_000),
                    timeout_deadline_ms: Some(60_000),
                    result: None,
                };
                put_task_token(tx, &token)?;
                assert!(mark_task_token_submitted(tx, "t1")?);
                assert_eq!(
                    get_task_token(tx, "t1")?.unwrap().result.as_deref(),
                    Some("SUBMITTED")
                );
                assert!(!mark_task_token_submitted(tx, "nope")?);
                assert!(expired_task_tokens(tx, 9_999)?.is_empty());
                assert!(heartbeat_task_token(tx, "t1", 5_000)?);
                assert!(
                    expired_task_tokens(tx, 10_000)?.is_empty(),
                    "the heartbeat moved the deadline"
                );
                assert_eq!(expired_task_tokens(tx, 15_000)?.len(), 1);
                assert!(complete_task_token(
                    tx,
                    "t1",
                    "SUCCEEDED",
                    Some("{\"ok\":true}")
                )?);
                assert!(!complete_task_token(tx, "t1", "FAILED", None)?, "only once");
                assert!(!heartbeat_task_token(tx, "t1", 20_000)?);
                assert_eq!(get_task_token(tx, "t1")?.unwrap().status, "SUCCEEDED");
                assert!(get_task_token(tx, "nope")?.is_none());
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    #[test]
    fn state_machines_upsert_and_delete() {
        let store = Store::open_in_memory().unwrap();
        store
            .write_blocking(|tx| {
                let mut sm = StateMachineRecord {
                    arn: "arn:sm".into(),
                    name: "app".into(),
                    kind: "STANDARD".into(),
                    definition: "{}".into(),
                    role_arn: "arn:role".into(),
                    description: None,
                    logging_configuration: None,
                    tracing_configuration: None,
                    status: "ACTIVE".into(),
                    revision_id: None,
                    created_ms: 1,
                    updated_ms: None,
                    origin: "template".into(),
                };
                upsert_state_machine(tx, &sm)?;
                sm.definition = "{\"StartAt\":\"A\"}".into();
                sm.updated_ms = Some(2);
                upsert_state_machine(tx, &sm)?;
                let got = get_state_machine(tx, "arn:sm")?.unwrap();
                assert_eq!(got.definition, "{\"StartAt\":\"A\"}");
                assert_eq!(got.created_ms, 1, "creation date is kept");
                assert_eq!(list_state_machines(tx)?.len(), 1);
                assert!(delete_state_machine(tx, "arn:sm")?);
                assert!(!delete_state_machine(tx, "arn:sm")?);
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
}
