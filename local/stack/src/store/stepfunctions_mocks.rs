//! Step Functions test cases of mocked service integrations (`StartExecution` on `ARN#TestCase`):
//! which test case an execution runs, and the invocation number each of its mocked Task calls got
//! (migration 10). Both are part of the execution's durable state, so an execution resumed after a
//! restart keeps its test case, and a task that is dispatched again gets the response it had.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// Records that `execution_arn` runs `test_case` (in StartExecution's transaction).
pub fn put_test_case(
    conn: &Connection,
    execution_arn: &str,
    test_case: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT OR REPLACE INTO states_mock_executions (execution_arn, test_case) VALUES (?1, ?2)",
        params![execution_arn, test_case],
    )?;
    Ok(())
}

/// The test case `execution_arn` runs, if any.
pub fn test_case(conn: &Connection, execution_arn: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT test_case FROM states_mock_executions WHERE execution_arn = ?1",
            params![execution_arn],
            |r| r.get(0),
        )
        .optional()?)
}

/// The invocation number of task `task_id` (a Task state's call) of `execution_arn`: the one it
/// was given if it was dispatched before (a restart sends in-flight tasks again), else the number
/// of earlier calls of `state_name` in this execution, recorded now.
pub fn claim_attempt(
    conn: &Connection,
    execution_arn: &str,
    task_id: u64,
    state_name: &str,
) -> Result<u64, StoreError> {
    let task = i64::try_from(task_id)
        .map_err(|_| StoreError::Corrupt(format!("task id {task_id} out of range")))?;
    let known: Option<i64> = conn
        .query_row(
            "SELECT attempt FROM states_mock_attempts WHERE execution_arn = ?1 AND task_id = ?2",
            params![execution_arn, task],
            |r| r.get(0),
        )
        .optional()?;
    let attempt = match known {
        Some(a) => a,
        None => {
            let earlier: i64 = conn.query_row(
                "SELECT count(*) FROM states_mock_attempts WHERE execution_arn = ?1 AND state_name = ?2",
                params![execution_arn, state_name],
                |r| r.get(0),
            )?;
            conn.execute(
                "INSERT INTO states_mock_attempts (execution_arn, task_id, state_name, attempt) VALUES (?1, ?2, ?3, ?4)",
                params![execution_arn, task, state_name, earlier],
            )?;
            earlier
        }
    };
    u64::try_from(attempt).map_err(|_| StoreError::Corrupt(format!("attempt {attempt}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::store::Store;

    #[tokio::test]
    async fn attempts_count_per_state_and_are_stable_per_task() {
        let store = Store::open_in_memory().unwrap();
        store
            .write(|c| {
                assert_eq!(test_case(c, "ex")?, None);
                put_test_case(c, "ex", "HappyPath")?;
                assert_eq!(test_case(c, "ex")?.as_deref(), Some("HappyPath"));
                assert_eq!(claim_attempt(c, "ex", 1, "A")?, 0);
                assert_eq!(claim_attempt(c, "ex", 2, "A")?, 1);
                assert_eq!(claim_attempt(c, "ex", 3, "B")?, 0);
                // Task 2 dispatched again (after a restart): same invocation number.
                assert_eq!(claim_attempt(c, "ex", 2, "A")?, 1);
                assert_eq!(claim_attempt(c, "ex", 4, "A")?, 2);
                // Another execution counts on its own.
                assert_eq!(claim_attempt(c, "other", 1, "A")?, 0);
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap();
    }
}
