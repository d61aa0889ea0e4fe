//! Storage: one SQLite database (a file under the state directory, or in memory).
//!
//! All access goes through one dedicated thread that owns the connection:
//! callers send a closure and await its result. The thread runs the closures
//! that are waiting together in one transaction (group commit), each inside
//! its own savepoint: a closure that returns `Err` (or panics) is rolled back
//! alone, and no caller gets its result before the transaction is committed,
//! so a service only acknowledges what is already in the database. WAL mode
//! with `synchronous = NORMAL` keeps every committed transaction across a
//! crash of this process (only an OS crash can lose the last ones).

pub mod eventbridge;
pub mod lambda;
pub mod logs;
pub mod schema;
pub mod sqs;
pub mod stepfunctions;
pub mod stepfunctions_mocks;
pub mod stepfunctions_versions;

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

/// Something went wrong below the services.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database file or its directory could not be created.
    #[error("cannot open state directory {path}: {source}")]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The database was written by a newer the stack.
    #[error("database schema version {found} is newer than this stack understands ({known})")]
    TooNew {
        /// Version found in the file.
        found: i64,
        /// Latest version this build knows.
        known: i64,
    },
    /// Another the stack holds this state directory.
    #[error(
        "another stack is using the state directory {0}; stop it or pass a different --state-dir"
    )]
    Locked(PathBuf),
    /// The store thread has stopped (shutdown, or a bug panicked a job).
    #[error("the store is closed")]
    Closed,
    /// The batch holding this write could not be committed.
    #[error("commit failed: {0}")]
    CommitFailed(String),
    /// A stored value could not be decoded.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

/// What to do once the batch's transaction is over: `Ok` when committed.
type Completion = Box<dyn FnOnce(Result<(), String>) + Send + 'static>;

/// A closure run inside the batch's transaction; `true` when it succeeded
/// (its savepoint is kept), `false` when it must be rolled back.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send + 'static>;

/// What the store thread receives.
enum Message {
    /// Run this closure in the next batch.
    Job(Job),
    /// Commit what came before, then end the thread (closing the database
    /// and releasing the state directory's lock).
    Close,
}

/// Most jobs committed together; bounds a batch's latency.
const MAX_BATCH: usize = 512;

/// A handle to the database thread. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    jobs: mpsc::Sender<Message>,
    location: Option<PathBuf>,
    /// `true` once the store thread has ended: the connection is closed and
    /// the lock released.
    ended: tokio::sync::watch::Receiver<bool>,
}

/// File name of the database inside the state directory.
pub const DATABASE_FILE: &str = "stack.sqlite3";
/// Page cache of a state directory's database, KiB.
pub const FILE_CACHE_KIB: i64 = 64 * 1024;
/// Page cache of the database of a stack without a state directory, KiB.
pub const TEMPORARY_CACHE_KIB: i64 = 64 * 1024;
/// Lock file that keeps a second the stack off the same state directory.
pub const LOCK_FILE: &str = "stack.lock";

impl Store {
    /// Opens (creating if needed) the database in `state_dir`.
    pub fn open(state_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(state_dir).map_err(|source| StoreError::Io {
            path: state_dir.to_path_buf(),
            source,
        })?;
        // One the stack per state directory: two would both resume the same
        // executions and deliveries. The lock lives as long as the store thread.
        let lock_path = state_dir.join(LOCK_FILE);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| StoreError::Io {
                path: lock_path.clone(),
                source,
            })?;
        // A stack restarted in the same process releases the lock when its
        // store thread ends, a moment after the last handle is dropped: wait a little.
        let mut attempts = 0;
        while lock.try_lock().is_err() {
            attempts += 1;
            if attempts >= 50 {
                return Err(StoreError::Locked(state_dir.to_path_buf()));
            }
            std::thread::sleep(std::time::Duration::from_millis(40));
        }
        let path = state_dir.join(DATABASE_FILE);
        let conn = Connection::open(&path)?;
        Self::start(conn, Some(path), Some(lock), FILE_CACHE_KIB)
    }

    /// A database that lives as long as this handle (tests, `--in-memory`).
    ///
    /// SQLite's private temporary database (the empty file name): pages live
    /// in the page cache ([`TEMPORARY_CACHE_KIB`]) and spill to an unnamed
    /// temporary file past it, which is deleted when the store closes. So a
    /// stack without a state directory keeps bounded memory however much it
    /// holds (25,000 history events of 256 KiB are 6 GiB), where a pure
    /// `:memory:` database would hold it all in RAM.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open("")?;
        // Past the cache, pages go to the temporary file instead of growing the process. Measured
        // (the 2,000-workflow mixed load run): 64 MiB ran 155 workflows/s, 256 MiB only
        // 57 (a large cache over a temporary database is slower, not faster).
        Self::start(conn, None, None, TEMPORARY_CACHE_KIB)
    }

    /// The database file, if any.
    pub fn location(&self) -> Option<&Path> {
        self.location.as_deref()
    }

    fn start(
        mut conn: Connection,
        location: Option<PathBuf>,
        lock: Option<std::fs::File>,
        cache_kib: i64,
    ) -> Result<Self, StoreError> {
        configure(&conn, cache_kib)?;
        migrate(&mut conn)?;
        let (jobs, rx) = mpsc::channel::<Message>();
        let (ended_tx, ended) = tokio::sync::watch::channel(false);
        std::thread::Builder::new()
            .name("stack-store".into())
            .spawn(move || {
                run_batches(&conn, &rx);
                // Jobs still queued behind a Close are dropped unanswered: their
                // callers get `Closed`, and nothing of theirs was written.
                drop(rx);
                drop(conn);
                drop(lock);
                ended_tx.send_replace(true);
            })
            .map_err(|source| StoreError::Io {
                path: location.clone().unwrap_or_default(),
                source,
            })?;
        Ok(Self {
            jobs,
            location,
            ended,
        })
    }

    /// Commits what was sent before this call, then closes the database and
    /// releases the state directory: when this returns, another stack can
    /// open the same directory. Every later call on any handle of this store
    /// gets [`StoreError::Closed`].
    pub async fn close(&self) {
        // A send that fails means the thread has already gone.
        let _ = self.jobs.send(Message::Close);
        let mut ended = self.ended.clone();
        // An error means the thread dropped its sender: it has ended too.
        let _ = ended.wait_for(|ended| *ended).await;
    }

    fn submit<T, E, F>(
        &self,
        f: F,
        done: impl FnOnce(Result<T, E>) + Send + 'static,
    ) -> Result<(), StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let job: Job = Box::new(move |conn| {
            let outcome = f(conn);
            let ok = outcome.is_ok();
            let completion: Completion = Box::new(move |committed| match (outcome, committed) {
                (Ok(value), Ok(())) => done(Ok(value)),
                (Ok(_), Err(message)) => done(Err(StoreError::CommitFailed(message).into())),
                (Err(e), _) => done(Err(e)),
            });
            (ok, completion)
        });
        self.jobs
            .send(Message::Job(job))
            .map_err(|_| StoreError::Closed)
    }

    /// Runs `f` on the database thread inside a transaction: its changes are
    /// committed before this future resolves when it returns `Ok`, and rolled
    /// back (alone) when it returns `Err`.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.submit(f, move |result| {
            let _ = tx.send(result);
        })?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Reads (or writes) through the database thread; the same as [`Store::write`].
    pub async fn call<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.write(f).await
    }

    /// Like [`Store::write`], blocking the current thread (startup, non-async code).
    /// Never call it from inside a tokio runtime thread.
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.submit(f, move |result| {
            let _ = tx.send(result);
        })?;
        rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// Like [`Store::call`], blocking.
    pub fn call_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.write_blocking(f)
    }
}

/// The store thread: take what is waiting (up to [`MAX_BATCH`]), run it in one
/// transaction with a savepoint per job, commit, then answer everyone.
/// Returns when every handle is gone or a [`Message::Close`] came.
fn run_batches(conn: &Connection, rx: &mpsc::Receiver<Message>) {
    let mut closing = false;
    while !closing {
        let Ok(Message::Job(first)) = rx.recv() else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Message::Job(job)) => batch.push(job),
                Ok(Message::Close) => {
                    closing = true;
                    break;
                }
                Err(_) => break,
            }
        }
        let exec = |sql: &str| {
            conn.prepare_cached(sql)
                .and_then(|mut stmt| stmt.execute([]))
        };
        let began = exec("BEGIN IMMEDIATE");
        let mut completions = Vec::with_capacity(batch.len());
        for job in batch {
            if exec("SAVEPOINT job").is_err() {
                tracing::error!("cannot open a savepoint");
            }
            // A panicking job must not take the store down with it.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn)));
            match outcome {
                Ok((true, completion)) => {
                    let _ = exec("RELEASE job");
                    completions.push(completion);
                }
                Ok((false, completion)) => {
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                    completions.push(completion);
                }
                Err(_) => {
                    tracing::error!("a store job panicked; its changes are rolled back");
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                }
            }
        }
        let committed = match began {
            Ok(_) => exec("COMMIT").map(|_| ()).map_err(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                e.to_string()
            }),
            Err(e) => Err(e.to_string()),
        };
        if let Err(message) = &committed {
            tracing::error!(error = %message, "a store batch failed to commit");
        }
        for completion in completions {
            completion(committed.clone());
        }
    }
}

fn configure(conn: &Connection, cache_kib: i64) -> Result<(), StoreError> {
    // WAL: readers never block the writer and a commit is one append.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Checkpoints are where WAL mode syncs to disk: fewer, larger ones keep
    // commits cheap under load (the WAL may grow to ~40 MB between them).
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Every service keeps its hot statements prepared; the default (16) is too few for all of them.
    conn.set_prepared_statement_cache_capacity(256);
    Ok(())
}

/// The schema version this build writes.
pub fn schema_version() -> i64 {
    i64::try_from(schema::MIGRATIONS.len()).unwrap_or(i64::MAX)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let known = schema_version();
    if current > known {
        return Err(StoreError::TooNew {
            found: current,
            known,
        });
    }
    for (index, sql) in schema::MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(current).unwrap_or(0))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(index + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    enum TestError {
        Store(#[allow(dead_code)] StoreError),
        Rejected,
    }
    impl From<StoreError> for TestError {
        fn from(e: StoreError) -> Self {
            Self::Store(e)
        }
    }

    #[tokio::test]
    async fn in_memory_store_has_the_schema() {
        let store = Store::open_in_memory().unwrap();
        let version: i64 = store
            .call(|c| {
                Ok::<_, StoreError>(c.pragma_query_value(None, "user_version", |r| r.get(0))?)
            })
            .await
            .unwrap();
        assert_eq!(version, schema_version());
        let tables: i64 = store
            .call(|c| {
                Ok::<_, StoreError>(c.query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN \
                     ('log_groups','log_streams','log_events','sqs_queues','sqs_messages', \
                      'state_machines','executions','history_events','task_tokens', \
                      'event_buses','event_rules','event_targets','pending_deliveries')",
                    [],
                    |r| r.get(0),
                )?)
            })
            .await
            .unwrap();
        assert_eq!(tables, 13);
    }

    #[tokio::test]
    async fn failed_writes_roll_back() {
        let store = Store::open_in_memory().unwrap();
        let result: Result<(), TestError> = store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO log_groups (name, created_ms) VALUES ('g', 1)",
                    [],
                )
                .map_err(StoreError::from)?;
                Err(TestError::Rejected)
            })
            .await;
        assert!(matches!(result, Err(TestError::Rejected)));
        let count: i64 = store
            .call(|c| {
                Ok::<_, StoreError>(
                    c.query_row("SELECT count(*) FROM log_groups", [], |r| r.get(0))?,
                )
            })
            .await
            .unwrap();
        assert_eq!(count, 0);
    }

    /// The names in `log_groups`, sorted.
    async fn log_group_names(store: &Store) -> Vec<String> {
        store
            .call(|c| {
                let mut stmt = c.prepare("SELECT name FROM log_groups ORDER BY name")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                Ok::<_, StoreError>(rows.collect::<Result<_, _>>()?)
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_batch_rolls_back_only_the_failing_jobs() {
        let store = Store::open_in_memory().unwrap();
        // Hold the store thread so the next jobs queue up and run as one batch.
        let holder = store.write(|_| {
            std::thread::sleep(std::time::Duration::from_millis(200));
            Ok::<_, StoreError>(())
        });
        let insert = |name: &'static str| {
            move |c: &Connection| {
                c.execute(
                    "INSERT INTO log_groups (name, created_ms) VALUES (?1, 1)",
                    [name],
                )
                .map_err(StoreError::from)
            }
        };
        let s = store.clone();
        let ok1 = tokio::spawn(async move { s.write(insert("a")).await });
        let s = store.clone();
        let failing = tokio::spawn(async move {
            s.write(move |c: &Connection| -> Result<(), TestError> {
                insert("b")(c)?;
                Err(TestError::Rejected)
            })
            .await
        });
        let s = store.clone();
        let panicking = tokio::spawn(async move {
            s.write(move |c: &Connection| -> Result<(), StoreError> {
                insert("c")(c)?;
                panic!("bug in a job")
            })
            .await
        });
        let s = store.clone();
        let ok2 = tokio::spawn(async move { s.write(insert("d")).await });
        holder.await.unwrap();
        assert_eq!(ok1.await.unwrap().unwrap(), 1);
        assert!(matches!(failing.await.unwrap(), Err(TestError::Rejected)));
        assert!(matches!(panicking.await.unwrap(), Err(StoreError::Closed)));
        assert_eq!(ok2.await.unwrap().unwrap(), 1);
        assert_eq!(log_group_names(&store).await, ["a", "d"]);
    }

    #[test]
    fn file_store_uses_wal_and_keeps_committed_writes() {
        let dir = std::env::temp_dir().join(format!("stack-store-{}", uuid::Uuid::new_v4()));
        {
            let store = Store::open(&dir).unwrap();
            store
                .write_blocking(|tx| {
                    tx.execute(
                        "INSERT INTO log_groups (name, created_ms) VALUES ('kept', 1)",
                        [],
                    )
                    .map_err(StoreError::from)
                })
                .unwrap();
            let mode: String = store
                .call_blocking(|c| {
                    Ok::<_, StoreError>(c.pragma_query_value(None, "journal_mode", |r| r.get(0))?)
                })
                .unwrap();
            assert_eq!(mode, "wal");
        }
        let reopened = Store::open(&dir).unwrap();
        let name: String = reopened
            .call_blocking(|c| {
                Ok::<_, StoreError>(c.query_row("SELECT name FROM log_groups", [], |r| r.get(0))?)
            })
            .unwrap();
        assert_eq!(name, "kept");
        drop(reopened);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_state_directory_serves_one_stack_at_a_time() {
        let dir = std::env::temp_dir().join(format!("stack-store-{}", uuid::Uuid::new_v4()));
        let first = Store::open(&dir).unwrap();
        let err = Store::open(&dir).unwrap_err();
        assert!(matches!(err, StoreError::Locked(_)), "{err}");
        drop(first);
        // The lock goes with the store thread, once every handle is gone.
        let reopened = Store::open(&dir);
        assert!(reopened.is_ok());
        drop(reopened);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn close_commits_what_came_before_and_releases_the_directory() {
        let dir = std::env::temp_dir().join(format!("stack-store-{}", uuid::Uuid::new_v4()));
        let store = Store::open(&dir).unwrap();
        // A handle that outlives the close (a task not yet aborted, say).
        let straggler = store.clone();
        let written = store.write(|c| {
            c.execute(
                "INSERT INTO log_groups (name, created_ms) VALUES ('before-close', 1)",
                [],
            )
            .map_err(StoreError::from)
        });
        let (written, ()) = tokio::join!(written, store.close());
        assert_eq!(written.unwrap(), 1);
        // The lock is free at once, with a handle still alive: no waiting on the retry loop.
        let reopened = tokio::task::spawn_blocking({
            let dir = dir.clone();
            move || Store::open(&dir)
        })
        .await
        .unwrap()
        .unwrap();
        let late = straggler
            .write(|c| {
                c.execute(
                    "INSERT INTO log_groups (name, created_ms) VALUES ('after-close', 1)",
                    [],
                )
                .map_err(StoreError::from)
            })
            .await;
        assert!(matches!(late, Err(StoreError::Closed)), "{late:?}");
        // Closing twice is harmless.
        straggler.close().await;
        assert_eq!(log_group_names(&reopened).await, ["before-close"]);
        reopened.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = std::env::temp_dir().join(format!("stack-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        {
            let conn = Connection::open(dir.join(DATABASE_FILE)).unwrap();
            conn.pragma_update(None, "user_version", 999).unwrap();
        }
        let err = Store::open(&dir).unwrap_err();
        assert!(
            matches!(err, StoreError::TooNew { found: 999, .. }),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
