//! The SQLite schema, as an ordered list of migrations.
//!
//! `PRAGMA user_version` records how many migrations a database has applied;
//! opening a database applies the rest, each in its own transaction. Never edit
//! a migration that has shipped: append a new one.

/// Migrations, applied in order; migration `i` moves `user_version` from `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: CloudWatch Logs, SQS, Step Functions, EventBridge, deliveries.
    r#"
    CREATE TABLE log_groups (
        name            TEXT PRIMARY KEY,
        created_ms      INTEGER NOT NULL,
        retention_days  INTEGER,
        kms_key_id      TEXT,
        log_group_class TEXT NOT NULL DEFAULT 'STANDARD',
        stored_bytes    INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE log_streams (
        group_name        TEXT NOT NULL REFERENCES log_groups(name) ON DELETE CASCADE,
        name              TEXT NOT NULL,
        created_ms        INTEGER NOT NULL,
        first_event_ms    INTEGER,
        last_event_ms     INTEGER,
        last_ingestion_ms INTEGER,
        upload_sequence   INTEGER NOT NULL DEFAULT 0,
        stored_bytes      INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (group_name, name)
    ) WITHOUT ROWID;
    CREATE TABLE log_events (
        id           INTEGER PRIMARY KEY,
        group_name   TEXT NOT NULL,
        stream_name  TEXT NOT NULL,
        timestamp    INTEGER NOT NULL,
        ingestion_ms INTEGER NOT NULL,
        message      TEXT NOT NULL
    );
    CREATE INDEX log_events_by_stream ON log_events (group_name, stream_name, timestamp, id);
    CREATE INDEX log_events_by_group ON log_events (group_name, timestamp, id);

    CREATE TABLE sqs_queues (
        name        TEXT PRIMARY KEY,
        created_ms  INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        attributes  TEXT NOT NULL,
        tags        TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE sqs_messages (
        seq                INTEGER PRIMARY KEY,
        queue_name         TEXT NOT NULL REFERENCES sqs_queues(name) ON DELETE CASCADE,
        message_id         TEXT NOT NULL,
        body               TEXT NOT NULL,
        md5_body           TEXT NOT NULL,
        message_attributes TEXT,
        md5_attributes     TEXT,
        system_attributes  TEXT,
        sent_ms            INTEGER NOT NULL,
        visible_at_ms      INTEGER NOT NULL,
        expires_at_ms      INTEGER NOT NULL,
        receive_count      INTEGER NOT NULL DEFAULT 0,
        first_receive_ms   INTEGER,
        receipt_handle     TEXT
    );
    CREATE INDEX sqs_messages_visible ON sqs_messages (queue_name, visible_at_ms, seq);
    CREATE UNIQUE INDEX sqs_messages_receipt ON sqs_messages (receipt_handle);

    CREATE TABLE state_machines (
        arn                   TEXT PRIMARY KEY,
        name                  TEXT NOT NULL UNIQUE,
        type                  TEXT NOT NULL,
        definition            TEXT NOT NULL,
        role_arn              TEXT NOT NULL,
        description           TEXT,
        logging_configuration TEXT,
        tracing_configuration TEXT,
        status                TEXT NOT NULL,
        revision_id           TEXT,
        created_ms            INTEGER NOT NULL,
        updated_ms            INTEGER,
        origin                TEXT NOT NULL DEFAULT 'api'
    );
    CREATE TABLE executions (
        arn               TEXT PRIMARY KEY,
        state_machine_arn TEXT NOT NULL,
        name              TEXT NOT NULL,
        status            TEXT NOT NULL,
        input             TEXT,
        output            TEXT,
        error             TEXT,
        cause             TEXT,
        trace_header      TEXT,
        start_ms          INTEGER NOT NULL,
        stop_ms           INTEGER,
        engine_state      TEXT,
        redrive_count     INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX executions_by_name ON executions (state_machine_arn, name);
    CREATE INDEX executions_by_start ON executions (state_machine_arn, start_ms);
    CREATE INDEX executions_by_status ON executions (status);
    CREATE TABLE history_events (
        execution_arn TEXT NOT NULL,
        id            INTEGER NOT NULL,
        previous_id   INTEGER NOT NULL,
        timestamp_ms  INTEGER NOT NULL,
        type          TEXT NOT NULL,
        details       TEXT NOT NULL,
        PRIMARY KEY (execution_arn, id)
    ) WITHOUT ROWID;
    CREATE TABLE task_tokens (
        token                 TEXT PRIMARY KEY,
        execution_arn         TEXT NOT NULL,
        state_name            TEXT NOT NULL,
        status                TEXT NOT NULL,
        created_ms            INTEGER NOT NULL,
        heartbeat_seconds     INTEGER,
        heartbeat_deadline_ms INTEGER,
        timeout_deadline_ms   INTEGER,
        result                TEXT
    );
    CREATE INDEX task_tokens_by_execution ON task_tokens (execution_arn);

    CREATE TABLE event_buses (
        name        TEXT PRIMARY KEY,
        arn         TEXT NOT NULL,
        description TEXT,
        policy      TEXT,
        created_ms  INTEGER NOT NULL,
        origin      TEXT NOT NULL DEFAULT 'api'
    );
    CREATE TABLE event_rules (
        bus_name            TEXT NOT NULL,
        name                TEXT NOT NULL,
        arn                 TEXT NOT NULL,
        event_pattern       TEXT,
        schedule_expression TEXT,
        state               TEXT NOT NULL,
        description         TEXT,
        role_arn            TEXT,
        managed_by          TEXT,
        created_ms          INTEGER NOT NULL,
        origin              TEXT NOT NULL DEFAULT 'api',
        PRIMARY KEY (bus_name, name)
    ) WITHOUT ROWID;
    CREATE TABLE event_targets (
        bus_name           TEXT NOT NULL,
        rule_name          TEXT NOT NULL,
        id                 TEXT NOT NULL,
        arn                TEXT NOT NULL,
        role_arn           TEXT,
        input              TEXT,
        input_path         TEXT,
        input_transformer  TEXT,
        retry_policy       TEXT,
        dead_letter_config TEXT,
        extra              TEXT,
        PRIMARY KEY (bus_name, rule_name, id)
    ) WITHOUT ROWID;

    CREATE TABLE pending_deliveries (
        id               INTEGER PRIMARY KEY,
        kind             TEXT NOT NULL,
        destination      TEXT NOT NULL,
        payload          TEXT NOT NULL,
        attempts         INTEGER NOT NULL DEFAULT 0,
        due_ms           INTEGER NOT NULL,
        first_attempt_ms INTEGER,
        expires_ms       INTEGER,
        last_error       TEXT,
        created_ms       INTEGER NOT NULL
    );
    CREATE INDEX pending_deliveries_due ON pending_deliveries (due_ms);
    "#,
    // 2: Lambda asynchronous invocations accepted but not finished (survive a restart).
    r#"
    CREATE TABLE lambda_async_events (
        request_id     TEXT PRIMARY KEY,
        function_name  TEXT NOT NULL,
        payload        BLOB NOT NULL,
        enqueued_at_ms INTEGER NOT NULL,
        attempts       INTEGER NOT NULL,
        last_error     BLOB
    );
    CREATE INDEX lambda_async_events_by_age ON lambda_async_events (enqueued_at_ms);
    "#,
    // 3: PutEvents calls made by Step Functions tasks, keyed by (execution ARN, task id), with the
    // answer given. A task re-sent after a crash (its result was not saved yet) gets the stored
    // answer instead of publishing its events a second time. Removed when the execution ends.
    r#"
    CREATE TABLE publish_keys (
        scope   TEXT NOT NULL,
        key     TEXT NOT NULL,
        outcome TEXT NOT NULL,
        PRIMARY KEY (scope, key)
    ) WITHOUT ROWID;
    "#,
    // 4: delivery ids are never reused (AUTOINCREMENT). The id keys the delivery in the worker's
    // in-memory schedule too; with plain rowids, a finished delivery's id went to the next insert,
    // so a late `finish` of the old delivery deleted the new one's row, and a third insert under
    // the same id replaced the second delivery in the schedule: an event that never reached its
    // target (the bench saw 1-3 in 480 workflows).
    r#"
    CREATE TABLE pending_deliveries_v4 (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        kind             TEXT NOT NULL,
        destination      TEXT NOT NULL,
        payload          TEXT NOT NULL,
        attempts         INTEGER NOT NULL DEFAULT 0,
        due_ms           INTEGER NOT NULL,
        first_attempt_ms INTEGER,
        expires_ms       INTEGER,
        last_error       TEXT,
        created_ms       INTEGER NOT NULL
    );
    INSERT INTO pending_deliveries_v4
        (id, kind, destination, payload, attempts, due_ms, first_attempt_ms, expires_ms, last_error, created_ms)
        SELECT id, kind, destination, payload, attempts, due_ms, first_attempt_ms, expires_ms, last_error, created_ms
        FROM pending_deliveries;
    DROP TABLE pending_deliveries;
    ALTER TABLE pending_deliveries_v4 RENAME TO pending_deliveries;
    CREATE INDEX pending_deliveries_due ON pending_deliveries (due_ms);
    "#,
    // 5: CloudWatch Logs resource policies (PutResourcePolicy), which the permission plane
    // evaluates for service principals writing to log groups.
    r#"
    CREATE TABLE logs_resource_policies (
        name       TEXT PRIMARY KEY,
        document   TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 6: Step Functions resource tags (CreateStateMachine `tags`, ListTagsForResource); a
    // state machine's tags go with it.
    r#"
    CREATE TABLE states_tags (
        resource_arn TEXT NOT NULL,
        key          TEXT NOT NULL,
        value        TEXT NOT NULL,
        PRIMARY KEY (resource_arn, key)
    ) WITHOUT ROWID;
    "#,
    // 7: Step Functions activities (CreateActivity, DescribeActivity, ListActivities,
    // DeleteActivity); an activity's tags are in `states_tags` and go with it.
    r#"
    CREATE TABLE states_activities (
        arn        TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 8: activity tasks waiting for a worker (Task states whose Resource is an activity), keyed
    // by their task token; GetActivityTask takes the oldest whose token still waits. A row goes
    // when its token is answered or its execution ends.
    r#"
    CREATE TABLE states_activity_tasks (
        token         TEXT PRIMARY KEY,
        activity_arn  TEXT NOT NULL,
        execution_arn TEXT NOT NULL,
        input         TEXT NOT NULL,
        queued_ms     INTEGER NOT NULL,
        worker_name   TEXT,
        taken_ms      INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX states_activity_tasks_queue ON states_activity_tasks (activity_arn, queued_ms);
    "#,
    // 9: Step Functions versions and aliases. A version is a snapshot of its state machine (the
    // record as JSON) taken by PublishStateMachineVersion; version numbers are never reused while
    // the machine lives (`states_version_counters`). An alias routes StartExecution to one or two
    // versions (`routing`, the API's `routingConfiguration` as JSON). An execution started on a
    // version or an alias keeps the machine it runs (it outlives the version) in
    // `states_execution_machines`. A state machine's versions and aliases go with it.
    r#"
    CREATE TABLE states_versions (
        arn               TEXT PRIMARY KEY,
        state_machine_arn TEXT NOT NULL,
        version           INTEGER NOT NULL,
        revision_id       TEXT,
        description       TEXT,
        machine           TEXT NOT NULL,
        created_ms        INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX states_versions_by_machine ON states_versions (state_machine_arn, version);
    CREATE TABLE states_version_counters (
        state_machine_arn TEXT PRIMARY KEY,
        last_version      INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE states_aliases (
        arn               TEXT PRIMARY KEY,
        state_machine_arn TEXT NOT NULL,
        name              TEXT NOT NULL,
        description       TEXT,
        routing           TEXT NOT NULL,
        created_ms        INTEGER NOT NULL,
        updated_ms        INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX states_aliases_by_machine ON states_aliases (state_machine_arn, created_ms);
    CREATE TABLE states_execution_machines (
        execution_arn     TEXT PRIMARY KEY,
        state_machine_arn TEXT NOT NULL,
        version_arn       TEXT NOT NULL,
        alias_arn         TEXT,
        machine           TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX states_execution_machines_by_machine ON states_execution_machines (state_machine_arn);
    "#,
    // 10: test cases of mocked service integrations (StartExecution on `ARN#TestCase`, `serve
    // --mock-config`): the test case an execution runs, and the invocation number each mocked Task
    // call got, so a restart resumes the test case where it was. Only new tables: this migration
    // could take any place after 8.
    r#"
    CREATE TABLE states_mock_executions (
        execution_arn TEXT PRIMARY KEY,
        test_case     TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE states_mock_attempts (
        execution_arn TEXT NOT NULL,
        task_id       INTEGER NOT NULL,
        state_name    TEXT NOT NULL,
        attempt       INTEGER NOT NULL,
        PRIMARY KEY (execution_arn, task_id)
    ) WITHOUT ROWID;
    CREATE INDEX states_mock_attempts_by_state ON states_mock_attempts (execution_arn, state_name);
    "#,
    // 11: Map Runs of Distributed Map states (DescribeMapRun, ListMapRuns): the engine's record
    // of each run as JSON, written with the execution's state.
    r#"
    CREATE TABLE states_map_runs (
        arn           TEXT PRIMARY KEY,
        execution_arn TEXT NOT NULL,
        start_ms      INTEGER NOT NULL,
        info          TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX states_map_runs_by_execution ON states_map_runs (execution_arn, start_ms);
    "#,
];
