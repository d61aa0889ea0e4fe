//! CloudWatch Logs (`Logs_20140328`, awsJson1_1).
//!
//! Operations (`api.rs`, one type each): CreateLogGroup, DeleteLogGroup, CreateLogStream,
//! DeleteLogStream, DescribeLogGroups, DescribeLogStreams, PutLogEvents,
//! GetLogEvents, FilterLogEvents, PutRetentionPolicy, DeleteRetentionPolicy,
//! PutResourcePolicy, DescribeResourcePolicies, DeleteResourcePolicy.
//! Other services write through [`LogsService::append`], which creates the
//! group and stream on first use, as Lambda and EventBridge do.

mod api;
pub mod filter;

/// The reading operations, for code that runs them directly (`Operation::run`: tests, benches).
pub use api::{FilterLogEvents, GetLogEvents};

use std::sync::Arc;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::SharedClock;
use crate::protocol::{AwsError, JsonService, Protocol, ServiceFuture};
use crate::store::logs as records;
use crate::store::{Store, StoreError};

/// `X-Amz-Target` prefix.
pub const TARGET_PREFIX: &str = "Logs_20140328";

/// PutLogEvents: "The maximum batch size is 1,048,576 bytes. This size is
/// calculated as the sum of all event messages in UTF-8, plus 26 bytes for each log event."
pub const MAX_BATCH_BYTES: usize = 1_048_576;
/// PutLogEvents: "The maximum number of log events in a batch is 10,000."
pub const MAX_BATCH_EVENTS: usize = 10_000;
const EVENT_OVERHEAD_BYTES: usize = 26;
/// "None of the log events in the batch can be more than 2 hours in the future."
const MAX_FUTURE_MS: i64 = 2 * 3_600_000;
/// "None of the log events in the batch can be more than 14 days in the past."
const MAX_PAST_MS: i64 = 14 * 86_400_000;
/// "A batch of log events in a single request cannot span more than 24 hours."
const MAX_SPAN_MS: i64 = 86_400_000;
/// GetLogEvents / FilterLogEvents return at most this many events (and the default).
pub const MAX_EVENTS_LIMIT: i64 = 10_000;
/// Rows FilterLogEvents reads per store job.
const SCAN_CHUNK: usize = 1000;
/// GetLogEvents / FilterLogEvents return at most 1 MB of events.
const MAX_RESPONSE_BYTES: usize = 1_048_576;
pub use crate::template::RETENTION_DAYS;

const GROUP_NAME_PATTERN: &str = r"[\.\-_/#A-Za-z0-9]+";
const STREAM_NAME_PATTERN: &str = "[^:*]*";

/// Errors of the CloudWatch Logs API.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// `ResourceNotFoundException`.
    #[error("{0}")]
    ResourceNotFound(String),
    /// `ResourceAlreadyExistsException`.
    #[error("{0}")]
    ResourceAlreadyExists(String),
    /// `InvalidParameterException`.
    #[error("{0}")]
    InvalidParameter(String),
    /// `LimitExceededException`.
    #[error("{0}")]
    LimitExceeded(String),
    /// The store failed (`ServiceUnavailableException`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for LogsError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(StoreError::Sqlite(e))
    }
}

impl From<LogsError> for AwsError {
    fn from(e: LogsError) -> Self {
        match e {
            LogsError::ResourceNotFound(m) => AwsError::client("ResourceNotFoundException", m),
            LogsError::ResourceAlreadyExists(m) => {
                AwsError::client("ResourceAlreadyExistsException", m)
            }
            LogsError::InvalidParameter(m) => AwsError::client("InvalidParameterException", m),
            LogsError::LimitExceeded(m) => AwsError::client("LimitExceededException", m),
            LogsError::Store(err) => {
                tracing::error!(error = %err, "logs store failure");
                AwsError::client("ServiceUnavailableException", "The service is unavailable.")
                    .with_status(axum::http::StatusCode::SERVICE_UNAVAILABLE)
            }
        }
    }
}

fn group_not_found() -> LogsError {
    LogsError::ResourceNotFound("The specified log group does not exist.".into())
}

fn stream_not_found() -> LogsError {
    LogsError::ResourceNotFound("The specified log stream does not exist.".into())
}

/// One line to write through [`LogsService::append`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputLogEvent {
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    /// The message.
    pub message: String,
}

/// An event as stored and returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputLogEvent {
    /// Event time.
    pub timestamp: i64,
    /// The message.
    pub message: String,
    /// When the stack stored it.
    pub ingestion_time: i64,
}

/// An event returned by FilterLogEvents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilteredLogEvent {
    /// Stream holding the event.
    pub log_stream_name: String,
    /// Event time.
    pub timestamp: i64,
    /// The message.
    pub message: String,
    /// When the stack stored it.
    pub ingestion_time: i64,
    /// Unique id.
    pub event_id: String,
}

// ---- requests -------------------------------------------------------------

/// CreateLogGroup input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLogGroupRequest {
    /// Name.
    pub log_group_name: String,
    /// KMS key (stored, not used).
    pub kms_key_id: Option<String>,
    /// STANDARD / INFREQUENT_ACCESS / DELIVERY.
    pub log_group_class: Option<String>,
}

/// DeleteLogGroup / DeleteRetentionPolicy input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroupRequest {
    /// Name.
    pub log_group_name: String,
}

/// PutRetentionPolicy input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutRetentionPolicyRequest {
    /// Name.
    pub log_group_name: String,
    /// Days.
    pub retention_in_days: i64,
}

/// CreateLogStream / DeleteLogStream input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogStreamRequest {
    /// Group.
    pub log_group_name: String,
    /// Stream.
    pub log_stream_name: String,
}

/// DescribeLogGroups input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogGroupsRequest {
    /// Prefix filter.
    pub log_group_name_prefix: Option<String>,
    /// Case-insensitive substring filter.
    pub log_group_name_pattern: Option<String>,
    /// Page token.
    pub next_token: Option<String>,
    /// 1..=50.
    pub limit: Option<i64>,
    /// Class filter.
    pub log_group_class: Option<String>,
}

/// DescribeLogStreams input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogStreamsRequest {
    /// Group name.
    pub log_group_name: Option<String>,
    /// Group name or ARN.
    pub log_group_identifier: Option<String>,
    /// Prefix filter.
    pub log_stream_name_prefix: Option<String>,
    /// LogStreamName (default) or LastEventTime.
    pub order_by: Option<String>,
    /// Reverse order.
    pub descending: Option<bool>,
    /// Page token.
    pub next_token: Option<String>,
    /// 1..=50.
    pub limit: Option<i64>,
}

/// PutLogEvents input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutLogEventsRequest {
    /// Group.
    pub log_group_name: String,
    /// Stream.
    pub log_stream_name: String,
    /// Events, in chronological order.
    pub log_events: Vec<InputLogEventWire>,
    /// Ignored, as AWS now ignores it.
    pub sequence_token: Option<String>,
}

/// One event of PutLogEvents as sent on the wire (message may be missing).
#[derive(Debug, Deserialize)]
pub struct InputLogEventWire {
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    /// The message.
    pub message: Option<String>,
}

/// GetLogEvents input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetLogEventsRequest {
    /// Group name.
    pub log_group_name: Option<String>,
    /// Group name or ARN.
    pub log_group_identifier: Option<String>,
    /// Stream.
    pub log_stream_name: String,
    /// Inclusive lower bound.
    pub start_time: Option<i64>,
    /// Exclusive upper bound.
    pub end_time: Option<i64>,
    /// `f/...` or `b/...`.
    pub next_token: Option<String>,
    /// 1..=10000.
    pub limit: Option<i64>,
    /// Read from the oldest event instead of the newest.
    pub start_from_head: Option<bool>,
}

/// FilterLogEvents input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterLogEventsRequest {
    /// Group name.
    pub log_group_name: Option<String>,
    /// Group name or ARN.
    pub log_group_identifier: Option<String>,
    /// Only these streams.
    pub log_stream_names: Option<Vec<String>>,
    /// Only streams with this prefix.
    pub log_stream_name_prefix: Option<String>,
    /// Inclusive lower bound.
    pub start_time: Option<i64>,
    /// Inclusive upper bound.
    pub end_time: Option<i64>,
    /// Filter pattern.
    pub filter_pattern: Option<String>,
    /// Page token.
    pub next_token: Option<String>,
    /// 1..=10000.
    pub limit: Option<i64>,
    /// Deprecated; accepted and ignored.
    pub interleaved: Option<bool>,
}

// ---- responses ------------------------------------------------------------

/// A log group as DescribeLogGroups returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroup {
    /// Name.
    pub log_group_name: String,
    /// Creation time, ms.
    pub creation_time: i64,
    /// Retention, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<i64>,
    /// Always 0 (metric filters are not served).
    pub metric_filter_count: i64,
    /// `arn:aws:logs:<region>:<account>:log-group:<name>:*`.
    pub arn: String,
    /// Bytes of messages stored.
    pub stored_bytes: i64,
    /// KMS key, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Class.
    pub log_group_class: String,
    /// ARN without the trailing `:*`.
    pub log_group_arn: String,
}

/// A log stream as DescribeLogStreams returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogStream {
    /// Name.
    pub log_stream_name: String,
    /// Creation time, ms.
    pub creation_time: i64,
    /// Oldest event time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_event_timestamp: Option<i64>,
    /// Newest event time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event_timestamp: Option<i64>,
    /// Last write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ingestion_time: Option<i64>,
    /// Deprecated sequence token.
    pub upload_sequence_token: String,
    /// Stream ARN.
    pub arn: String,
    /// Deprecated; always 0 on AWS.
    pub stored_bytes: i64,
}

/// DescribeLogGroups output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogGroupsResponse {
    /// The page.
    pub log_groups: Vec<LogGroup>,
    /// The next page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// DescribeLogStreams output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogStreamsResponse {
    /// The page.
    pub log_streams: Vec<LogStream>,
    /// The next page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Events rejected by PutLogEvents, by index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedLogEventsInfo {
    /// First index of events too far in the future.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub too_new_log_event_start_index: Option<usize>,
    /// Last index of events older than 14 days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub too_old_log_event_end_index: Option<usize>,
    /// Last index of events older than the retention period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_log_event_end_index: Option<usize>,
}

/// PutLogEvents output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutLogEventsResponse {
    /// Deprecated sequence token.
    pub next_sequence_token: String,
    /// Present when some events were rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_log_events_info: Option<RejectedLogEventsInfo>,
}

/// GetLogEvents output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetLogEventsResponse {
    /// Events, oldest first.
    pub events: Vec<OutputLogEvent>,
    /// Token to read newer events.
    pub next_forward_token: String,
    /// Token to read older events.
    pub next_backward_token: String,
}

/// FilterLogEvents output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterLogEventsResponse {
    /// Matching events, oldest first.
    pub events: Vec<FilteredLogEvent>,
    /// Deprecated; always empty.
    pub searched_log_streams: Vec<Value>,
    /// Present when more events may match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

// ---- service --------------------------------------------------------------

/// The CloudWatch Logs service.
pub struct LogsService {
    store: Store,
    clock: SharedClock,
    region: String,
    account_id: String,
    /// Streams [`LogsService::append`] knows exist, so a busy writer skips
    /// the create-if-missing statements. Cleared by every delete.
    known_streams: std::sync::Mutex<std::collections::HashSet<(String, String)>>,
    /// The permission plane, told of every resource policy.
    permissions: std::sync::OnceLock<Arc<crate::permissions::PermissionPlane>>,
}

/// Token scope of event positions (GetLogEvents, FilterLogEvents).
const CURSOR_SCOPE: &str = "logs:events";
/// DescribeLogGroups / DescribeLogStreams / DescribeResourcePolicies: `limit` 1..=50, 50 when
/// absent; a token is valid for the listing (and group) that issued it.
const DESCRIBE: crate::protocol::operation::Paginator = crate::protocol::operation::Paginator {
    scope: "logs:describe",
    default_size: 50,
    max_size: 50,
    zero_is_default: false,
    size_member: "limit",
    invalid_token: api::invalid_token,
};

/// A position in the (timestamp, id) order of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    timestamp: i64,
    id: i64,
}

impl Cursor {
    /// The position as AWS spells its tokens (direction and 56 digits),
    /// sealed so that only tokens the stack issued are accepted back.
    fn encode(self, direction: char) -> String {
        crate::protocol::tokens::seal(CURSOR_SCOPE, &self.spell(direction))
    }

    fn spell(self, direction: char) -> String {
        // 56 digits, like AWS's tokens: 20 for the timestamp, 36 for the id.
        format!(
            "{direction}/{:020}{:036}",
            self.timestamp.max(0),
            self.id.max(0)
        )
    }

    fn decode(token: &str) -> Option<(char, Self)> {
        let token = crate::protocol::tokens::open(CURSOR_SCOPE, token)?;
        let (direction, digits) = token.split_once('/')?;
        let direction = match direction {
            "f" => 'f',
            "b" => 'b',
            _ => return None,
        };
        if digits.len() != 56 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let timestamp = digits.get(..20)?.parse().ok()?;
        let id = digits.get(20..)?.parse().ok()?;
        Some((direction, Self { timestamp, id }))
    }
}

fn validate_group_name(name: &str, member: &str) -> Result<(), LogsError> {
    if name.is_empty() || name.chars().count() > 512 {
        return Err(LogsError::InvalidParameter(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to 512 and greater than or equal to 1"
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#'))
    {
        return Err(LogsError::InvalidParameter(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {GROUP_NAME_PATTERN}"
        )));
    }
    Ok(())
}

fn validate_stream_name(name: &str) -> Result<(), LogsError> {
    if name.is_empty() || name.chars().count() > 512 {
        return Err(LogsError::InvalidParameter(format!(
            "1 validation error detected: Value '{name}' at 'logStreamName' failed to satisfy constraint: Member must have length less than or equal to 512 and greater than or equal to 1"
        )));
    }
    if name.contains([':', '*']) {
        return Err(LogsError::InvalidParameter(format!(
            "1 validation error detected: Value '{name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: {STREAM_NAME_PATTERN}"
        )));
    }
    Ok(())
}

/// Resolves `logGroupName` / `logGroupIdentifier` (a name or an ARN).
fn group_from(name: Option<String>, identifier: Option<String>) -> Result<String, LogsError> {
    match (name, identifier) {
        (Some(_), Some(_)) => Err(LogsError::InvalidParameter(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.".into(),
        )),
        (Some(name), None) => Ok(name),
        (None, Some(identifier)) => Ok(group_name_from_identifier(&identifier)),
        (None, None) => Err(LogsError::InvalidParameter(
            "Either logGroupName or logGroupIdentifier must be specified.".into(),
        )),
    }
}

fn group_name_from_identifier(identifier: &str) -> String {
    if let Some((_, after)) = identifier
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":log-group:"))
    {
        return after.strip_suffix(":*").unwrap_or(after).to_owned();
    }
    identifier.to_owned()
}

fn group_retention(tx: &Connection, group: &str) -> Result<Option<Option<i64>>, LogsError> {
    Ok(records::group_retention(tx, group)?)
}

/// Events older than the group's retention are gone, as on AWS.
fn retention_cutoff(retention_days: Option<i64>, now: i64) -> i64 {
    retention_days.map_or(i64::MIN, |days| {
        now.saturating_sub(days.saturating_mul(86_400_000))
    })
}

fn insert_events(
    tx: &Connection,
    group: &str,
    stream: &str,
    events: &[InputLogEvent],
    now: i64,
) -> Result<i64, LogsError> {
    let rows: Vec<(i64, &str)> = events
        .iter()
        .map(|e| (e.timestamp, e.message.as_str()))
        .collect();
    Ok(records::insert_events(tx, group, stream, &rows, now)?)
}

fn sequence_token(sequence: i64) -> String {
    format!("{:056}", sequence.max(0))
}

impl LogsService {
    /// A service over `store`, naming ARNs in `region` / `account_id`.
    pub fn new(store: Store, clock: SharedClock, region: &str, account_id: &str) -> Arc<Self> {
        Arc::new(Self {
            store,
            clock,
            region: region.to_owned(),
            account_id: account_id.to_owned(),
            known_streams: std::sync::Mutex::new(std::collections::HashSet::new()),
            permissions: std::sync::OnceLock::new(),
        })
    }

    /// The region in ARNs.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The account in ARNs.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    fn group_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{name}",
            self.region, self.account_id
        )
    }

    // ---- internal API ---------------------------------------------------

    /// Creates the group if it does not exist (template log groups, Lambda's
    /// `/aws/lambda/<name>`); sets its retention when given.
    pub async fn ensure_log_group(
        &self,
        name: &str,
        retention_in_days: Option<i64>,
    ) -> Result<(), LogsError> {
        validate_group_name(name, "logGroupName")?;
        let name = name.to_owned();
        let now = self.clock.now_millis();
        self.store
            .write(move |tx| Ok(records::ensure_group(tx, &name, now, retention_in_days)?))
            .await
    }

    /// Appends events to `group`/`stream`, creating both when missing, with
    /// no age checks: this is how Lambda output, execution logs and rule
    /// targets reach CloudWatch Logs. Events are sorted by timestamp first.
    pub async fn append(
        &self,
        group: &str,
        stream: &str,
        events: Vec<InputLogEvent>,
    ) -> Result<(), LogsError> {
        let Some((job, key, known)) = self.append_job(group, stream, events)? else {
            return Ok(());
        };
        self.store.write(job).await?;
        self.remember(key, known);
        Ok(())
    }

    /// [`LogsService::append`], running `then` in the same transaction: both are committed or
    /// neither is (an EventBridge delivery to a log group finishes its delivery row with the log
    /// event, so a crash in between cannot write the event twice).
    pub async fn append_then<F>(
        &self,
        group: &str,
        stream: &str,
        events: Vec<InputLogEvent>,
        then: F,
    ) -> Result<(), LogsError>
    where
        F: FnOnce(&Connection) -> Result<(), StoreError> + Send + 'static,
    {
        let Some((job, key, known)) = self.append_job(group, stream, events)? else {
            return self
                .store
                .write(move |tx| then(tx).map_err(LogsError::from))
                .await;
        };
        self.store
            .write(move |tx| {
                job(tx)?;
                then(tx).map_err(LogsError::from)
            })
            .await?;
        self.remember(key, known);
        Ok(())
    }

    /// [`LogsService::append`] for threads outside the async runtime (Lambda's
    /// output pumps): blocks until the events are committed.
    pub fn append_blocking(
        &self,
        group: &str,
        stream: &str,
        events: Vec<InputLogEvent>,
    ) -> Result<(), LogsError> {
        let Some((job, key, known)) = self.append_job(group, stream, events)? else {
            return Ok(());
        };
        self.store.write_blocking(job)?;
        self.remember(key, known);
        Ok(())
    }

    #[allow(clippy::type_complexity)]
    fn append_job(
        &self,
        group: &str,
        stream: &str,
        mut events: Vec<InputLogEvent>,
    ) -> Result<
        Option<(
            impl FnOnce(&Connection) -> Result<(), LogsError> + Send + 'static,
            (String, String),
            bool,
        )>,
        LogsError,
    > {
        validate_group_name(group, "logGroupName")?;
        validate_stream_name(stream)?;
        if events.is_empty() {
            return Ok(None);
        }
        events.sort_by_key(|e| e.timestamp);
        let key = (group.to_owned(), stream.to_owned());
        let known = self.known().contains(&key);
        let (group, stream) = key.clone();
        let now = self.clock.now_millis();
        let job = move |tx: &Connection| {
            if !known {
                records::ensure_group_and_stream(tx, &group, &stream, now)?;
            }
            insert_events(tx, &group, &stream, &events, now)?;
            Ok(())
        };
        Ok(Some((job, key, known)))
    }

    fn remember(&self, key: (String, String), known: bool) {
        if !known {
            self.known().insert(key);
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<(String, String)>> {
        self.known_streams.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl JsonService for LogsService {
    fn target_prefix(&self) -> &'static str {
        TARGET_PREFIX
    }

    fn protocol(&self) -> Protocol {
        Protocol::AwsJson11
    }

    fn max_request_bytes(&self) -> usize {
        // A full PutLogEvents batch (1 MiB of messages) plus its JSON framing
        // and escapes; the batch limit itself is checked on the decoded events.
        4 * MAX_BATCH_BYTES
    }

    fn call(self: Arc<Self>, operation: String, input: Value) -> ServiceFuture {
        api::call(self, &operation, input)
    }
}

mod policies;

#[cfg(test)]
mod tests;
