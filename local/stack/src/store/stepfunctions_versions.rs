//! Step Functions versions and aliases (migration 9), and the machine an execution started on a
//! version or an alias runs.
//!
//! A version holds its state machine's record as it was when published (JSON of
//! [`StateMachineRecord`]), so a later UpdateStateMachine leaves it unchanged. Functions take a
//! `&Connection` so a service composes them into one transaction with
//! [`crate::store::Store::write`].

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::stepfunctions::StateMachineRecord;

/// A published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRecord {
    /// `<state machine ARN>:<version>` (key).
    pub arn: String,
    /// The (unqualified) state machine.
    pub state_machine_arn: String,
    /// Version number, from 1, never reused while the machine lives.
    pub version: i64,
    /// The revision it was published from.
    pub revision_id: Option<String>,
    /// The version's description (`versionDescription` / `description`).
    pub description: Option<String>,
    /// The state machine as published.
    pub machine: StateMachineRecord,
    /// Published at, ms.
    pub created_ms: i64,
}

fn decode<T: serde::de::DeserializeOwned>(text: &str, index: usize) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::from(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))
}

fn version_row(r: &Row<'_>) -> rusqlite::Result<VersionRecord> {
    let machine: String = r.get(5)?;
    Ok(VersionRecord {
        arn: r.get(0)?,
        state_machine_arn: r.get(1)?,
        version: r.get(2)?,
        revision_id: r.get(3)?,
        description: r.get(4)?,
        machine: decode(&machine, 5)?,
        created_ms: r.get(6)?,
    })
}

const VERSION_COLUMNS: &str =
    "arn, state_machine_arn, version, revision_id, description, machine, created_ms";

/// The next version number of a state machine (1 for its first), counted once taken.
pub fn take_version_number(conn: &Connection, state_machine_arn: &str) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO states_version_counters (state_machine_arn, last_version) VALUES (?1, 1) \
         ON CONFLICT (state_machine_arn) DO UPDATE SET last_version = last_version + 1",
        [state_machine_arn],
    )?;
    Ok(conn.query_row(
        "SELECT last_version FROM states_version_counters WHERE state_machine_arn = ?1",
        [state_machine_arn],
        |r| r.get(0),
    )?)
}

/// Inserts a version.
pub fn insert_version(conn: &Connection, v: &VersionRecord) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO states_versions ({VERSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        ),
        params![
            v.arn,
            v.state_machine_arn,
            v.version,
            v.revision_id,
            v.description,
            encode(&v.machine)?,
            v.created_ms
        ],
    )?;
    Ok(())
}

/// One version.
pub fn get_version(conn: &Connection, arn: &str) -> Result<Option<VersionRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {VERSION_COLUMNS} FROM states_versions WHERE arn = ?1"),
            [arn],
            version_row,
        )
        .optional()?)
}

/// A state machine's versions, newest first (ListStateMachineVersions order).
pub fn list_versions(
    conn: &Connection,
    state_machine_arn: &str,
) -> Result<Vec<VersionRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM states_versions WHERE state_machine_arn = ?1 ORDER BY version DESC"
    ))?;
    let rows = stmt.query_map([state_machine_arn], version_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many versions a state machine has.
pub fn count_versions(conn: &Connection, state_machine_arn: &str) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM states_versions WHERE state_machine_arn = ?1",
        [state_machine_arn],
        |r| r.get(0),
    )?)
}

/// Deletes a version; true when it existed.
pub fn delete_version(conn: &Connection, arn: &str) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM states_versions WHERE arn = ?1", [arn])? > 0)
}

/// One route of an alias (`RoutingConfigurationListItem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// The version ARN.
    pub state_machine_version_arn: String,
    /// Percentage of starts, 0..=100.
    pub weight: i64,
}

/// An alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRecord {
    /// `<state machine ARN>:<name>` (key).
    pub arn: String,
    /// The (unqualified) state machine.
    pub state_machine_arn: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// One or two routes, weights summing to 100.
    pub routing: Vec<Route>,
    /// Created at, ms.
    pub created_ms: i64,
    /// Last update, ms (the creation date until updated).
    pub updated_ms: i64,
}

fn alias_row(r: &Row<'_>) -> rusqlite::Result<AliasRecord> {
    let routing: String = r.get(4)?;
    Ok(AliasRecord {
        arn: r.get(0)?,
        state_machine_arn: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        routing: decode(&routing, 4)?,
        created_ms: r.get(5)?,
        updated_ms: r.get(6)?,
    })
}

const ALIAS_COLUMNS: &str =
    "arn, state_machine_arn, name, description, routing, created_ms, updated_ms";

/// Inserts or replaces an alias (keyed by ARN).
pub fn put_alias(conn: &Connection, a: &AliasRecord) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO states_aliases ({ALIAS_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (arn) DO UPDATE SET description = ?4, routing = ?5, updated_ms = ?7"
        ),
        params![
            a.arn,
            a.state_machine_arn,
            a.name,
            a.description,
            encode(&a.routing)?,
            a.created_ms,
            a.updated_ms
        ],
    )?;
    Ok(())
}

/// One alias.
pub fn get_alias(conn: &Connection, arn: &str) -> Result<Option<AliasRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {ALIAS_COLUMNS} FROM states_aliases WHERE arn = ?1"),
            [arn],
            alias_row,
        )
        .optional()?)
}

/// A state machine's aliases, newest first (ListStateMachineAliases order).
pub fn list_aliases(
    conn: &Connection,
    state_machine_arn: &str,
) -> Result<Vec<AliasRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ALIAS_COLUMNS} FROM states_aliases WHERE state_machine_arn = ?1 \
         ORDER BY created_ms DESC, arn DESC"
    ))?;
    let rows = stmt.query_map([state_machine_arn], alias_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The aliases that route to a version.
pub fn aliases_routing_to(
    conn: &Connection,
    version: &VersionRecord,
) -> Result<Vec<AliasRecord>, StoreError> {
    Ok(list_aliases(conn, &version.state_machine_arn)?
        .into_iter()
        .filter(|a| {
            a.routing
                .iter()
                .any(|r| r.state_machine_version_arn == version.arn)
        })
        .collect())
}

/// Deletes an alias; true when it existed.
pub fn delete_alias(conn: &Connection, arn: &str) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM states_aliases WHERE arn = ?1", [arn])? > 0)
}

/// Deletes every version and alias of a state machine, and its version count (DeleteStateMachine;
/// a machine created again under the name starts at version 1).
pub fn delete_machine_versions(
    conn: &Connection,
    state_machine_arn: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM states_versions WHERE state_machine_arn = ?1",
        [state_machine_arn],
    )?;
    conn.execute(
        "DELETE FROM states_aliases WHERE state_machine_arn = ?1",
        [state_machine_arn],
    )?;
    conn.execute(
        "DELETE FROM states_version_counters WHERE state_machine_arn = ?1",
        [state_machine_arn],
    )?;
    Ok(())
}

/// What an execution started on a version or an alias runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionMachineRecord {
    /// The execution (key).
    pub execution_arn: String,
    /// Its (unqualified) state machine.
    pub state_machine_arn: String,
    /// The version it runs.
    pub version_arn: String,
    /// The alias it was started on, if any.
    pub alias_arn: Option<String>,
    /// The version's machine (kept when the version is deleted: running executions go on).
    pub machine: StateMachineRecord,
}

fn execution_machine_row(r: &Row<'_>) -> rusqlite::Result<ExecutionMachineRecord> {
    let machine: String = r.get(4)?;
    Ok(ExecutionMachineRecord {
        execution_arn: r.get(0)?,
        state_machine_arn: r.get(1)?,
        version_arn: r.get(2)?,
        alias_arn: r.get(3)?,
        machine: decode(&machine, 4)?,
    })
}

const EXECUTION_MACHINE_COLUMNS: &str =
    "execution_arn, state_machine_arn, version_arn, alias_arn, machine";

/// Records the version (and alias) an execution was started on.
pub fn put_execution_machine(
    conn: &Connection,
    e: &ExecutionMachineRecord,
) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO states_execution_machines ({EXECUTION_MACHINE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (execution_arn) DO NOTHING"
        ),
        params![
            e.execution_arn,
            e.state_machine_arn,
            e.version_arn,
            e.alias_arn,
            encode(&e.machine)?
        ],
    )?;
    Ok(())
}

/// The version (and alias) an execution was started on; `None` for an unqualified start.
pub fn get_execution_machine(
    conn: &Connection,
    execution_arn: &str,
) -> Result<Option<ExecutionMachineRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {EXECUTION_MACHINE_COLUMNS} FROM states_execution_machines WHERE execution_arn = ?1"
            ),
            [execution_arn],
            execution_machine_row,
        )
        .optional()?)
}

/// The version and alias ARNs of a state machine's executions started on one, by execution ARN.
pub fn execution_qualifiers(
    conn: &Connection,
    state_machine_arn: &str,
) -> Result<std::collections::HashMap<String, (String, Option<String>)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT execution_arn, version_arn, alias_arn FROM states_execution_machines \
         WHERE state_machine_arn = ?1",
    )?;
    let rows = stmt.query_map([state_machine_arn], |r| {
        Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?)))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::store::Store;

    fn machine() -> StateMachineRecord {
        StateMachineRecord {
            arn: "arn:sm".into(),
            name: "sm".into(),
            kind: "STANDARD".into(),
            definition: "{}".into(),
            role_arn: "arn:role".into(),
            description: None,
            logging_configuration: None,
            tracing_configuration: None,
            status: "ACTIVE".into(),
            revision_id: Some("r1".into()),
            created_ms: 1,
            updated_ms: None,
            origin: "api".into(),
        }
    }

    #[test]
    fn versions_are_numbered_once_and_go_with_their_machine() {
        let store = Store::open_in_memory().unwrap();
        store
            .write_blocking(|tx| {
                for _ in 0..2 {
                    let n = take_version_number(tx, "arn:sm")?;
                    insert_version(
                        tx,
                        &VersionRecord {
                            arn: format!("arn:sm:{n}"),
                            state_machine_arn: "arn:sm".into(),
                            version: n,
                            revision_id: Some("r1".into()),
                            description: None,
                            machine: machine(),
                            created_ms: n,
                        },
                    )?;
                }
                let listed: Vec<i64> = list_versions(tx, "arn:sm")?
                    .iter()
                    .map(|v| v.version)
                    .collect();
                assert_eq!(listed, [2, 1]);
                assert!(delete_version(tx, "arn:sm:2")?);
                assert_eq!(
                    take_version_number(tx, "arn:sm")?,
                    3,
                    "numbers are not reused"
                );
                put_alias(
                    tx,
                    &AliasRecord {
                        arn: "arn:sm:live".into(),
                        state_machine_arn: "arn:sm".into(),
                        name: "live".into(),
                        description: None,
                        routing: vec![Route {
                            state_machine_version_arn: "arn:sm:1".into(),
                            weight: 100,
                        }],
                        created_ms: 5,
                        updated_ms: 5,
                    },
                )?;
                let v1 = get_version(tx, "arn:sm:1")?.unwrap();
                assert_eq!(v1.machine, machine());
                assert_eq!(aliases_routing_to(tx, &v1)?.len(), 1);
                delete_machine_versions(tx, "arn:sm")?;
                assert_eq!(count_versions(tx, "arn:sm")?, 0);
                assert!(get_alias(tx, "arn:sm:live")?.is_none());
                assert_eq!(take_version_number(tx, "arn:sm")?, 1);
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
}
