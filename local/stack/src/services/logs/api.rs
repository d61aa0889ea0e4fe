//! The operations of CloudWatch Logs, one type each ([`crate::protocol::operation::Operation`]:
//! typed request, typed response, the operation's logic in its `run`), registered once by name in
//! [`OPERATIONS`]. What they share with the service's internal API (names, event cursors,
//! appending, resource policies) stays in `mod.rs` and `policies.rs`.

use std::sync::{Arc, LazyLock};

use serde::Serialize;
use serde_json::Value;

use super::filter::FilterPattern;
use super::policies::{
    DeleteResourcePolicyRequest, DescribeResourcePoliciesRequest, DescribeResourcePoliciesResponse,
    PutResourcePolicyRequest, PutResourcePolicyResponse, ResourcePolicy, policy_key,
};
use super::{
    CreateLogGroupRequest, Cursor, DESCRIBE, DescribeLogGroupsRequest, DescribeLogGroupsResponse,
    DescribeLogStreamsRequest, DescribeLogStreamsResponse, EVENT_OVERHEAD_BYTES,
    FilterLogEventsRequest, FilterLogEventsResponse, FilteredLogEvent, GetLogEventsRequest,
    GetLogEventsResponse, InputLogEvent, LogGroup, LogGroupRequest, LogStream, LogStreamRequest,
    LogsError, LogsService, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENTS_LIMIT, MAX_FUTURE_MS,
    MAX_PAST_MS, MAX_RESPONSE_BYTES, MAX_SPAN_MS, OutputLogEvent, PutLogEventsRequest,
    PutLogEventsResponse, PutRetentionPolicyRequest, RETENTION_DAYS, RejectedLogEventsInfo,
    SCAN_CHUNK, group_from, group_not_found, group_retention, insert_events, retention_cutoff,
    sequence_token, stream_not_found, validate_group_name, validate_stream_name,
};
use crate::protocol::ServiceFuture;
use crate::protocol::error::AwsError;
use crate::protocol::null_member_message;
use crate::protocol::operation::{Check, ErrorVocabulary, Operation, Operations, Validate};
use crate::store::logs::{self as records, Position, StreamOrder};

fn missing(member: &str) -> AwsError {
    AwsError::client("InvalidParameterException", null_member_message(member))
}

/// CloudWatch Logs' front end: `InvalidParameterException` for every constraint.
pub(super) static ERRORS: ErrorVocabulary = ErrorVocabulary {
    validation: "InvalidParameterException",
    missing,
};

pub(super) fn invalid_token(_: &str) -> AwsError {
    ERRORS.validation("The specified nextToken is invalid.")
}

/// No members.
#[derive(Debug, Serialize)]
pub struct Empty {}

impl Validate for CreateLogGroupRequest {}
impl Validate for LogGroupRequest {}
impl Validate for LogStreamRequest {}
impl Validate for PutRetentionPolicyRequest {}
impl Validate for DescribeLogGroupsRequest {}
impl Validate for DescribeLogStreamsRequest {}
impl Validate for PutLogEventsRequest {}
/// GetLogEvents / FilterLogEvents: `limit` 1..=10,000.
impl Validate for GetLogEventsRequest {
    fn validate(&self, check: &mut Check) {
        check.range("limit", self.limit, 1, MAX_EVENTS_LIMIT);
    }
}
impl Validate for FilterLogEventsRequest {
    fn validate(&self, check: &mut Check) {
        check.range("limit", self.limit, 1, MAX_EVENTS_LIMIT);
    }
}
impl Validate for PutResourcePolicyRequest {}
/// DescribeResourcePolicies: `limit` 1..=50, worded as this operation words it.
impl Validate for DescribeResourcePoliciesRequest {
    fn validate(&self, check: &mut Check) {
        if self.limit.is_some_and(|l| !(1..=50).contains(&l)) {
            check.refuse(LogsError::InvalidParameter(
                "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value between 1 and 50".into(),
            ));
        }
    }
}
impl Validate for DeleteResourcePolicyRequest {}

// ----- log groups, streams and events ------------------------------------------------------

/// `CreateLogGroup`.
pub struct CreateLogGroup;

impl Operation<LogsService> for CreateLogGroup {
    const NAME: &'static str = "CreateLogGroup";
    type Input = CreateLogGroupRequest;
    type Output = Empty;

    async fn run(svc: Arc<LogsService>, req: CreateLogGroupRequest) -> Result<Empty, AwsError> {
        validate_group_name(&req.log_group_name, "logGroupName")?;
        let class = req.log_group_class.unwrap_or_else(|| "STANDARD".into());
        if !matches!(
            class.as_str(),
            "STANDARD" | "INFREQUENT_ACCESS" | "DELIVERY"
        ) {
            return Err(LogsError::InvalidParameter(format!(
                "1 validation error detected: Value '{class}' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]"
            ))
            .into());
        }
        let now = svc.clock.now_millis();
        svc.store
            .write(move |tx| {
                let inserted = records::create_group(
                    tx,
                    &req.log_group_name,
                    now,
                    req.kms_key_id.as_deref(),
                    &class,
                )?;
                if !inserted {
                    return Err(LogsError::ResourceAlreadyExists(
                        "The specified log group already exists".into(),
                    ));
                }
                Ok(())
            })
            .await?;
        Ok(Empty {})
    }
}

/// `DeleteLogGroup`.
pub struct DeleteLogGroup;

impl Operation<LogsService> for DeleteLogGroup {
    const NAME: &'static str = "DeleteLogGroup";
    type Input = LogGroupRequest;
    type Output = Empty;

    async fn run(svc: Arc<LogsService>, req: LogGroupRequest) -> Result<Empty, AwsError> {
        svc.known().clear();
        svc.store
            .write(move |tx| {
                if !records::delete_group(tx, &req.log_group_name)? {
                    return Err(group_not_found());
                }
                Ok(())
            })
            .await?;
        Ok(Empty {})
    }
}

/// `CreateLogStream`.
pub struct CreateLogStream;

impl Operation<LogsService> for CreateLogStream {
    const NAME: &'static str = "CreateLogStream";
    type Input = LogStreamRequest;
    type Output = Empty;

    async fn run(svc: Arc<LogsService>, req: LogStreamRequest) -> Result<Empty, AwsError> {
        validate_stream_name(&req.log_stream_name)?;
        let now = svc.clock.now_millis();
        svc.store
            .write(move |tx| {
                if group_retention(tx, &req.log_group_name)?.is_none() {
                    return Err(group_not_found());
                }
                if !records::create_stream(tx, &req.log_group_name, &req.log_stream_name, now)? {
                    return Err(LogsError::ResourceAlreadyExists(
                        "The specified log stream already exists".into(),
                    ));
                }
                Ok(())
            })
            .await?;
        Ok(Empty {})
    }
}

/// `DeleteLogStream`.
pub struct DeleteLogStream;

impl Operation<LogsService> for DeleteLogStream {
    const NAME: &'static str = "DeleteLogStream";
    type Input = LogStreamRequest;
    type Output = Empty;

    async fn run(svc: Arc<LogsService>, req: LogStreamRequest) -> Result<Empty, AwsError> {
        svc.known().clear();
        svc.store
            .write(move |tx| {
                if group_retention(tx, &req.log_group_name)?.is_none() {
                    return Err(group_not_found());
                }
                if !records::delete_stream(tx, &req.log_group_name, &req.log_stream_name)? {
                    return Err(stream_not_found());
                }
                Ok(())
            })
            .await?;
        Ok(Empty {})
    }
}

/// `PutRetentionPolicy`.
pub struct PutRetentionPolicy;

impl Operation<LogsService> for PutRetentionPolicy {
    const NAME: &'static str = "PutRetentionPolicy";
    type Input = PutRetentionPolicyRequest;
    type Output = Empty;

    async fn run(svc: Arc<LogsService>, req: PutRetentionPolicyRequest) -> Result<Empty, AwsError> {
        if !RETENTION_DAYS.contains(&req.retention_in_days) {
            let allowed: Vec<String> = RETENTION_DAYS.iter().map(i64::to_string).collect();
            return Err(LogsError::InvalidParameter(format!(
                "1 validation error detected: Value '{}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                req.retention_in_days,
                allowed.join(", ")
            ))
            .into());
        }
        svc.store
            .write(move |tx| {
                if !records::set_retention(tx, &req.log_group_name, Some(req.retention_in_days))? {
                    return Err(group_not_found());
                }
                Ok(())
            })
            .await?;
        Ok(Empty {})
    }
}

/// `DeleteRetentionPolicy`.
pub struct DeleteRetentionPolicy;

impl Operation<LogsService> for DeleteRetentionPolicy {
    const NAME: &'static str = "DeleteRetentionPolicy";
    type Input = LogGroupRequest;
    type Output = Empty;

    async fn run(svc: Arc<LogsService>, req: LogGroupRequest) -> Result<Empty, AwsError> {
        svc.store
            .write(move |tx| {
                if !records::set_retention(tx, &req.log_group_name, None)? {
                    return Err(group_not_found());
                }
                Ok(())
            })
            .await?;
        Ok(Empty {})
    }
}

/// `DescribeLogGroups`.
pub struct DescribeLogGroups;

impl Operation<LogsService> for DescribeLogGroups {
    const NAME: &'static str = "DescribeLogGroups";
    type Input = DescribeLogGroupsRequest;
    type Output = DescribeLogGroupsResponse;

    async fn run(
        svc: Arc<LogsService>,
        req: DescribeLogGroupsRequest,
    ) -> Result<DescribeLogGroupsResponse, AwsError> {
        let request = DESCRIBE.request("groups", req.limit, req.next_token.as_deref(), &ERRORS)?;
        if req.log_group_name_prefix.is_some() && req.log_group_name_pattern.is_some() {
            return Err(LogsError::InvalidParameter(
                "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters."
                    .into(),
            )
            .into());
        }
        let region = svc.region.clone();
        let account = svc.account_id.clone();
        let groups = svc
            .store
            .call(move |conn| {
                let rows = records::list_groups(conn)?;
                let pattern = req.log_group_name_pattern.map(|p| p.to_lowercase());
                let mut matching = Vec::new();
                for row in rows {
                    let records::GroupRow {
                        name,
                        created_ms: created,
                        retention_days: retention,
                        stored_bytes: bytes,
                        kms_key_id: kms,
                        class,
                    } = row;
                    if req
                        .log_group_name_prefix
                        .as_deref()
                        .is_some_and(|p| !name.starts_with(p))
                        || pattern
                            .as_deref()
                            .is_some_and(|p| !name.to_lowercase().contains(p))
                        || req.log_group_class.as_deref().is_some_and(|c| c != class)
                    {
                        continue;
                    }
                    let arn = format!("arn:aws:logs:{region}:{account}:log-group:{name}");
                    matching.push(LogGroup {
                        log_group_name: name,
                        creation_time: created,
                        retention_in_days: retention,
                        metric_filter_count: 0,
                        arn: format!("{arn}:*"),
                        stored_bytes: bytes,
                        kms_key_id: kms,
                        log_group_class: class,
                        log_group_arn: arn,
                    });
                }
                Ok::<_, LogsError>(matching)
            })
            .await?;
        let page = request.page(groups)?;
        Ok(DescribeLogGroupsResponse {
            log_groups: page.items,
            next_token: page.next_token,
        })
    }
}

/// `DescribeLogStreams`.
pub struct DescribeLogStreams;

impl Operation<LogsService> for DescribeLogStreams {
    const NAME: &'static str = "DescribeLogStreams";
    type Input = DescribeLogStreamsRequest;
    type Output = DescribeLogStreamsResponse;

    async fn run(
        svc: Arc<LogsService>,
        req: DescribeLogStreamsRequest,
    ) -> Result<DescribeLogStreamsResponse, AwsError> {
        let group = group_from(req.log_group_name, req.log_group_identifier)?;
        let request = DESCRIBE.request(
            &format!("streams:{group}"),
            req.limit,
            req.next_token.as_deref(),
            &ERRORS,
        )?;
        let by_time = match req.order_by.as_deref() {
            None | Some("LogStreamName") => false,
            Some("LastEventTime") => true,
            Some(other) => {
                return Err(LogsError::InvalidParameter(format!(
                    "1 validation error detected: Value '{other}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"
                ))
                .into());
            }
        };
        if by_time && req.log_stream_name_prefix.is_some() {
            return Err(LogsError::InvalidParameter(
                "Cannot order by LastEventTime with a logStreamNamePrefix.".into(),
            )
            .into());
        }
        let descending = req.descending.unwrap_or(false);
        let stream_arn_prefix = svc.group_arn(&group);
        let streams = svc
            .store
            .write(move |tx| {
                if group_retention(tx, &group)?.is_none() {
                    return Err(group_not_found());
                }
                let order = if by_time {
                    StreamOrder::LastEventTime
                } else {
                    StreamOrder::Name
                };
                let rows = records::list_streams(tx, &group, order, descending)?
                    .into_iter()
                    .map(|r| LogStream {
                        log_stream_name: r.name,
                        creation_time: r.created_ms,
                        first_event_timestamp: r.first_event_ms,
                        last_event_timestamp: r.last_event_ms,
                        last_ingestion_time: r.last_ingestion_ms,
                        upload_sequence_token: sequence_token(r.upload_sequence + 1),
                        arn: String::new(),
                        stored_bytes: 0,
                    });
                let mut matching = Vec::new();
                for mut stream in rows {
                    if req
                        .log_stream_name_prefix
                        .as_deref()
                        .is_some_and(|p| !stream.log_stream_name.starts_with(p))
                    {
                        continue;
                    }
                    stream.arn =
                        format!("{stream_arn_prefix}:log-stream:{}", stream.log_stream_name);
                    matching.push(stream);
                }
                Ok(matching)
            })
            .await?;
        let page = request.page(streams)?;
        Ok(DescribeLogStreamsResponse {
            log_streams: page.items,
            next_token: page.next_token,
        })
    }
}

/// `PutLogEvents`.
pub struct PutLogEvents;

impl Operation<LogsService> for PutLogEvents {
    const NAME: &'static str = "PutLogEvents";
    type Input = PutLogEventsRequest;
    type Output = PutLogEventsResponse;

    async fn run(
        svc: Arc<LogsService>,
        req: PutLogEventsRequest,
    ) -> Result<PutLogEventsResponse, AwsError> {
        let count = req.log_events.len();
        if count == 0 {
            return Err(LogsError::InvalidParameter(
                "1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
            )
            .into());
        }
        if count > MAX_BATCH_EVENTS {
            return Err(LogsError::InvalidParameter(format!(
                "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to {MAX_BATCH_EVENTS}"
            ))
            .into());
        }
        let mut events = Vec::with_capacity(count);
        let mut size = 0usize;
        for (i, wire) in req.log_events.into_iter().enumerate() {
            let member = format!("logEvents.{}", i + 1);
            let timestamp = wire.timestamp.ok_or_else(|| {
                LogsError::InvalidParameter(null_member_message(&format!(
                    "{member}.member.timestamp"
                )))
            })?;
            let message = wire.message.ok_or_else(|| {
                LogsError::InvalidParameter(null_member_message(&format!(
                    "{member}.member.message"
                )))
            })?;
            if message.is_empty() {
                return Err(LogsError::InvalidParameter(format!(
                    "1 validation error detected: Value '' at '{member}.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1"
                ))
                .into());
            }
            size += message.len() + EVENT_OVERHEAD_BYTES;
            events.push(InputLogEvent { timestamp, message });
        }
        if size > MAX_BATCH_BYTES {
            return Err(LogsError::InvalidParameter(format!(
                "Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
            ))
            .into());
        }
        if events.windows(2).any(|w| w[0].timestamp > w[1].timestamp) {
            return Err(LogsError::InvalidParameter(
                "Log events in a single PutLogEvents request must be in chronological order."
                    .into(),
            )
            .into());
        }
        if let (Some(first), Some(last)) = (events.first(), events.last())
            && last.timestamp - first.timestamp > MAX_SPAN_MS
        {
            return Err(LogsError::InvalidParameter(
                "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
                    .into(),
            )
            .into());
        }
        let now = svc.clock.now_millis();
        let group = req.log_group_name;
        let stream = req.log_stream_name;
        svc.store
            .write(move |tx| {
                let Some(retention) = group_retention(tx, &group)? else {
                    return Err(group_not_found());
                };
                if !records::stream_exists(tx, &group, &stream)? {
                    return Err(stream_not_found());
                }
                let mut info = RejectedLogEventsInfo::default();
                let expired_before = retention_cutoff(retention, now);
                let too_old_before = now - MAX_PAST_MS;
                let too_new_after = now + MAX_FUTURE_MS;
                let mut accepted = Vec::with_capacity(events.len());
                for (i, event) in events.into_iter().enumerate() {
                    if event.timestamp > too_new_after {
                        info.too_new_log_event_start_index.get_or_insert(i);
                    } else if event.timestamp < too_old_before {
                        info.too_old_log_event_end_index = Some(i);
                    } else if event.timestamp < expired_before {
                        info.expired_log_event_end_index = Some(i);
                    } else {
                        accepted.push(event);
                    }
                }
                let sequence = if accepted.is_empty() {
                    records::bump_sequence(tx, &group, &stream)?
                } else {
                    insert_events(tx, &group, &stream, &accepted, now)?
                };
                let rejected = info != RejectedLogEventsInfo::default();
                Ok(PutLogEventsResponse {
                    next_sequence_token: sequence_token(sequence + 1),
                    rejected_log_events_info: rejected.then_some(info),
                })
            })
            .await
            .map_err(AwsError::from)
    }
}

/// `GetLogEvents`.
pub struct GetLogEvents;

impl Operation<LogsService> for GetLogEvents {
    const NAME: &'static str = "GetLogEvents";
    type Input = GetLogEventsRequest;
    type Output = GetLogEventsResponse;

    async fn run(
        svc: Arc<LogsService>,
        req: GetLogEventsRequest,
    ) -> Result<GetLogEventsResponse, AwsError> {
        let group = group_from(req.log_group_name, req.log_group_identifier)?;
        // `limit` is checked (1..=MAX_EVENTS_LIMIT) with the request (`impl Validate`, above).
        let limit = req.limit.unwrap_or(MAX_EVENTS_LIMIT);
        let token = match req.next_token.as_deref() {
            Some(t) => Some(Cursor::decode(t).ok_or_else(|| invalid_token(t))?),
            None => None,
        };
        let start = req.start_time.unwrap_or(i64::MIN);
        let end = req.end_time.unwrap_or(i64::MAX);
        let from_head = req.start_from_head.unwrap_or(false);
        let stream = req.log_stream_name;
        let now = svc.clock.now_millis();
        svc.store
            .write(move |tx| {
                let Some(retention) = group_retention(tx, &group)? else {
                    return Err(group_not_found());
                };
                if !records::stream_exists(tx, &group, &stream)? {
                    return Err(stream_not_found());
                }
                let start = start.max(retention_cutoff(retention, now));
                let forward = match token {
                    Some((direction, _)) => direction == 'f',
                    None => from_head,
                };
                // The cursor excludes itself; without a token, start from the edge.
                let cursor = token.map(|(_, c)| c);
                let (cts, cid) = match (cursor, forward) {
                    (Some(c), _) => (c.timestamp, c.id),
                    (None, true) => (i64::MIN, i64::MIN),
                    (None, false) => (i64::MAX, i64::MAX),
                };
                let rows = records::stream_events(
                    tx,
                    &group,
                    &stream,
                    (start, end),
                    Position {
                        timestamp: cts,
                        id: cid,
                    },
                    forward,
                    limit,
                )?
                .into_iter()
                .map(|r| {
                    (
                        Cursor {
                            id: r.id,
                            timestamp: r.timestamp,
                        },
                        OutputLogEvent {
                            timestamp: r.timestamp,
                            message: r.message,
                            ingestion_time: r.ingestion_ms,
                        },
                    )
                });
                let mut found = Vec::new();
                let mut bytes = 0usize;
                for (cursor, event) in rows {
                    bytes += event.message.len() + EVENT_OVERHEAD_BYTES;
                    if bytes > MAX_RESPONSE_BYTES && !found.is_empty() {
                        break;
                    }
                    found.push((cursor, event));
                }
                if !forward {
                    found.reverse();
                }
                let (first, last) = match (found.first(), found.last()) {
                    (Some((f, _)), Some((l, _))) => (*f, *l),
                    _ => {
                        let here = cursor.unwrap_or(if forward || from_head {
                            Cursor {
                                timestamp: start.max(0),
                                id: 0,
                            }
                        } else {
                            Cursor {
                                timestamp: end.min(i64::MAX / 2),
                                id: i64::MAX / 2,
                            }
                        });
                        (here, here)
                    }
                };
                Ok(GetLogEventsResponse {
                    events: found.into_iter().map(|(_, e)| e).collect(),
                    next_forward_token: last.encode('f'),
                    next_backward_token: first.encode('b'),
                })
            })
            .await
            .map_err(AwsError::from)
    }
}

/// `FilterLogEvents`.
pub struct FilterLogEvents;

impl Operation<LogsService> for FilterLogEvents {
    const NAME: &'static str = "FilterLogEvents";
    type Input = FilterLogEventsRequest;
    type Output = FilterLogEventsResponse;

    async fn run(
        svc: Arc<LogsService>,
        req: FilterLogEventsRequest,
    ) -> Result<FilterLogEventsResponse, AwsError> {
        let group = group_from(req.log_group_name, req.log_group_identifier)?;
        let limit = usize::try_from(req.limit.unwrap_or(MAX_EVENTS_LIMIT)).unwrap_or(usize::MAX);
        if req.log_stream_names.is_some() && req.log_stream_name_prefix.is_some() {
            return Err(LogsError::InvalidParameter(
                "You cannot specify both LogStreamNames and LogStreamNamePrefix".into(),
            )
            .into());
        }
        let pattern_text = req.filter_pattern.as_deref().unwrap_or("");
        if pattern_text.chars().count() > 1024 {
            return Err(LogsError::InvalidParameter(
                "1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024".into(),
            )
            .into());
        }
        let pattern = FilterPattern::parse(pattern_text)
            .map_err(|e| LogsError::InvalidParameter(e.to_string()))?;
        let cursor = match req.next_token.as_deref() {
            Some(t) => match Cursor::decode(t) {
                Some(('f', c)) => Some(c),
                _ => return Err(invalid_token(t)),
            },
            None => None,
        };
        let start = req.start_time.unwrap_or(i64::MIN);
        let end = req.end_time.unwrap_or(i64::MAX);
        let streams = req.log_stream_names;
        let prefix = req.log_stream_name_prefix;
        let now = svc.clock.now_millis();
        let lookup = group.clone();
        let retention = svc
            .store
            .call(move |c| group_retention(c, &lookup))
            .await?
            .ok_or_else(group_not_found)?;
        let start = start.max(retention_cutoff(retention, now));
        let (mut cts, mut cid) = cursor.map_or((i64::MIN, i64::MIN), |c| (c.timestamp, c.id));
        let mut events = Vec::new();
        let mut bytes = 0usize;
        loop {
            // One bounded chunk per store job, so a long scan never holds the
            // store thread for long; the pattern is matched here, off that thread.
            let chunk_group = group.clone();
            let rows = svc
                .store
                .call(move |c| {
                    records::group_events_after(
                        c,
                        &chunk_group,
                        (start, end),
                        Position {
                            timestamp: cts,
                            id: cid,
                        },
                        SCAN_CHUNK as i64,
                    )
                })
                .await
                .map_err(LogsError::from)?;
            let exhausted = rows.len() < SCAN_CHUNK;
            for records::EventRow {
                id,
                stream,
                timestamp,
                message,
                ingestion_ms: ingestion,
            } in rows
            {
                cts = timestamp;
                cid = id;
                if streams.as_ref().is_some_and(|s| !s.contains(&stream))
                    || prefix.as_deref().is_some_and(|p| !stream.starts_with(p))
                    || !pattern.matches(&message)
                {
                    continue;
                }
                bytes += message.len() + EVENT_OVERHEAD_BYTES;
                events.push(FilteredLogEvent {
                    log_stream_name: stream,
                    timestamp,
                    message,
                    ingestion_time: ingestion,
                    event_id: format!("{id:056}"),
                });
                if events.len() >= limit || bytes >= MAX_RESPONSE_BYTES {
                    return Ok(FilterLogEventsResponse {
                        events,
                        searched_log_streams: Vec::new(),
                        next_token: Some(
                            Cursor {
                                timestamp: cts,
                                id: cid,
                            }
                            .encode('f'),
                        ),
                    });
                }
            }
            if exhausted {
                return Ok(FilterLogEventsResponse {
                    events,
                    searched_log_streams: Vec::new(),
                    next_token: None,
                });
            }
        }
    }
}

// ----- resource policies ----------------------------------------------------------------------

/// `PutResourcePolicy`: creates or replaces a policy.
pub struct PutResourcePolicy;

impl Operation<LogsService> for PutResourcePolicy {
    const NAME: &'static str = "PutResourcePolicy";
    type Input = PutResourcePolicyRequest;
    type Output = PutResourcePolicyResponse;

    async fn run(
        svc: Arc<LogsService>,
        req: PutResourcePolicyRequest,
    ) -> Result<PutResourcePolicyResponse, AwsError> {
        // A service method: a template's `AWS::Logs::ResourcePolicy` is put by the same logic
        // (`LogsService::ensure_resource_policy`, at start-up).
        Ok(svc.put_resource_policy(req).await?)
    }
}

/// `DescribeResourcePolicies`: every policy, by name, a page at a time (`limit` 1 to 50, checked
/// by its `impl Validate`).
pub struct DescribeResourcePolicies;

impl Operation<LogsService> for DescribeResourcePolicies {
    const NAME: &'static str = "DescribeResourcePolicies";
    type Input = DescribeResourcePoliciesRequest;
    type Output = DescribeResourcePoliciesResponse;

    async fn run(
        svc: Arc<LogsService>,
        req: DescribeResourcePoliciesRequest,
    ) -> Result<DescribeResourcePoliciesResponse, AwsError> {
        let request =
            DESCRIBE.request("policies", req.limit, req.next_token.as_deref(), &ERRORS)?;
        let all = svc.stored_policies().await?;
        let page = request.page(all)?;
        Ok(DescribeResourcePoliciesResponse {
            resource_policies: page
                .items
                .into_iter()
                .map(
                    |(policy_name, policy_document, last_updated_time)| ResourcePolicy {
                        policy_name,
                        policy_document,
                        last_updated_time,
                    },
                )
                .collect(),
            next_token: page.next_token,
        })
    }
}

/// `DeleteResourcePolicy`.
pub struct DeleteResourcePolicy;

impl Operation<LogsService> for DeleteResourcePolicy {
    const NAME: &'static str = "DeleteResourcePolicy";
    type Input = DeleteResourcePolicyRequest;
    type Output = Empty;

    async fn run(
        svc: Arc<LogsService>,
        req: DeleteResourcePolicyRequest,
    ) -> Result<Empty, AwsError> {
        let name = req
            .policy_name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| LogsError::InvalidParameter("policyName is required".into()))?;
        let n = name.clone();
        let deleted = svc
            .store
            .write(move |tx| records::delete_resource_policy(tx, &n))
            .await
            .map_err(LogsError::from)?;
        if !deleted {
            return Err(LogsError::ResourceNotFound(format!(
                "Policy with name [{name}] does not exist"
            ))
            .into());
        }
        if let Some(plane) = svc.permissions.get() {
            plane.remove_resource_policy(&policy_key(&name));
        }
        Ok(Empty {})
    }
}

// ----- the registry -------------------------------------------------------------------------

static OPERATIONS: LazyLock<Operations<LogsService>> = LazyLock::new(|| {
    Operations::new(&ERRORS)
        .with::<CreateLogGroup>()
        .with::<DeleteLogGroup>()
        .with::<CreateLogStream>()
        .with::<DeleteLogStream>()
        .with::<PutRetentionPolicy>()
        .with::<DeleteRetentionPolicy>()
        .with::<DescribeLogGroups>()
        .with::<DescribeLogStreams>()
        .with::<PutLogEvents>()
        .with::<GetLogEvents>()
        .with::<FilterLogEvents>()
        .with::<PutResourcePolicy>()
        .with::<DescribeResourcePolicies>()
        .with::<DeleteResourcePolicy>()
});

/// Runs one operation by name.
pub(super) fn call(svc: Arc<LogsService>, operation: &str, input: Value) -> ServiceFuture {
    OPERATIONS.call(svc, operation, input)
}
