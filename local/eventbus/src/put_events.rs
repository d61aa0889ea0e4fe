//! PutEvents: request limits, per-entry validation and the delivered event envelope.
//!
//! Per-entry failures do not fail the request: they come back in `Entries` with
//! an `ErrorCode` / `ErrorMessage` and count in `FailedEntryCount`, while the
//! other entries are accepted (PutEvents API reference). Request-level limits
//! (1 to 10 entries, total entry size) fail the whole request.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most entries one PutEvents request may carry.
pub const MAX_ENTRIES: usize = 10;

/// Largest total entry size of one request, computed as
/// "Calculating PutEvents event entry size" describes (256 KB).
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

/// Longest `DetailType` EventBridge accepts, in characters.
pub const MAX_DETAIL_TYPE_CHARS: usize = 128;

/// The `Time` of an entry as it came over the wire: epoch seconds (what the
/// AWS CLI and SDKs send with awsJson1_1) or a timestamp string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EntryTime {
    EpochSeconds(f64),
    Text(String),
}

/// One entry of a PutEvents request, with the wire field names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutEventsRequestEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<EntryTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_bus_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_header: Option<String>,
}

/// A per-entry failure: `ErrorCode` and `ErrorMessage` of a PutEvents result entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct EntryError {
    pub code: String,
    pub message: String,
}

impl EntryError {
    fn new(code: &str, message: impl Into<String>) -> EntryError {
        EntryError {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    fn required(field: &str) -> EntryError {
        EntryError::new(
            "InvalidArgument",
            format!("Parameter {field} is not valid. Reason: {field} is a required argument."),
        )
    }
}

/// A failure of the whole request (an AWS error response, HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct RequestError {
    pub code: String,
    pub message: String,
}

/// Size of one entry as EventBridge counts it: 14 bytes for a `Time`, the
/// UTF-8 bytes of `Source`, `DetailType`, `Detail` and each resource.
pub fn entry_size(entry: &PutEventsRequestEntry) -> usize {
    let mut size = 0;
    if entry.time.is_some() {
        size += 14;
    }
    size += entry.source.as_deref().map_or(0, str::len);
    size += entry.detail_type.as_deref().map_or(0, str::len);
    size += entry.detail.as_deref().map_or(0, str::len);
    if let Some(resources) = &entry.resources {
        size += resources.iter().map(String::len).sum::<usize>();
    }
    size
}

/// The pattern `EventBusName` must match (PutEvents API reference).
pub const EVENT_BUS_NAME_PATTERN: &str =
    r"(arn:aws[\w-]*:events:[a-z]{2}-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/\.\-_A-Za-z0-9]+";

fn bus_name_regex() -> Option<&'static regex::Regex> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(&format!("^(?:{EVENT_BUS_NAME_PATTERN})$")).ok())
        .as_ref()
}

/// Whether `value` matches [`EVENT_BUS_NAME_PATTERN`] (whole string).
pub fn is_valid_bus_parameter(value: &str) -> bool {
    bus_name_regex().is_some_and(|re| re.is_match(value))
}

fn constraint(value: &str, at: &str, constraint: &str) -> RequestError {
    RequestError {
        code: "ValidationException".into(),
        message: format!(
            "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: {constraint}"
        ),
    }
}

/// The API's field constraints on one entry (`index` is 1-based): they fail
/// the whole request, unlike the per-entry checks of [`check_entry`].
fn check_entry_constraints(
    entry: &PutEventsRequestEntry,
    index: usize,
) -> Result<(), RequestError> {
    if let Some(bus) = &entry.event_bus_name {
        let at = format!("entries.{index}.member.eventBusName");
        if bus.is_empty() {
            return Err(constraint(
                bus,
                &at,
                "Member must have length greater than or equal to 1",
            ));
        }
        if bus.chars().count() > 1600 {
            return Err(constraint(
                bus,
                &at,
                "Member must have length less than or equal to 1600",
            ));
        }
        if !bus_name_regex().is_some_and(|re| re.is_match(bus)) {
            return Err(constraint(
                bus,
                &at,
                &format!(
                    "Member must satisfy regular expression pattern: {EVENT_BUS_NAME_PATTERN}"
                ),
            ));
        }
    }
    if let Some(trace) = &entry.trace_header {
        let at = format!("entries.{index}.member.traceHeader");
        if trace.is_empty() {
            return Err(constraint(
                trace,
                &at,
                "Member must have length greater than or equal to 1",
            ));
        }
        if trace.chars().count() > 500 {
            return Err(constraint(
                trace,
                &at,
                "Member must have length less than or equal to 500",
            ));
        }
    }
    Ok(())
}

/// Request-level checks: 1 to 10 entries, field constraints, and a total
/// size within the limit.
pub fn validate_request(entries: &[PutEventsRequestEntry]) -> Result<(), RequestError> {
    if entries.is_empty() {
        return Err(RequestError {
            code: "ValidationException".into(),
            message: "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        });
    }
    if entries.len() > MAX_ENTRIES {
        return Err(RequestError {
            code: "ValidationException".into(),
            message: format!(
                "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to {MAX_ENTRIES}"
            ),
        });
    }
    for (i, entry) in entries.iter().enumerate() {
        check_entry_constraints(entry, i + 1)?;
    }
    let total: usize = entries.iter().map(entry_size).sum();
    if total > MAX_REQUEST_BYTES {
        return Err(RequestError {
            code: "ValidationException".into(),
            message: "Total size of the entries in the request is over the limit.".into(),
        });
    }
    Ok(())
}

fn parse_time(time: &EntryTime) -> Result<DateTime<Utc>, EntryError> {
    let bad = || {
        EntryError::new(
            "InvalidArgument",
            "Parameter Time is not valid. Reason: Time is not a valid timestamp.",
        )
    };
    match time {
        EntryTime::EpochSeconds(secs) => {
            if !secs.is_finite() {
                return Err(bad());
            }
            let whole = secs.floor();
            if !(-62_135_596_800.0..=253_402_300_799.0).contains(&whole) {
                return Err(bad());
            }
            let nanos = ((secs - whole) * 1e9).round().clamp(0.0, 999_999_999.0) as u32;
            Utc.timestamp_opt(whole as i64, nanos)
                .single()
                .ok_or_else(bad)
        }
        EntryTime::Text(text) => {
            if let Ok(t) = DateTime::parse_from_rfc3339(text) {
                return Ok(t.with_timezone(&Utc));
            }
            match text.parse::<f64>() {
                Ok(secs) => parse_time(&EntryTime::EpochSeconds(secs)),
                Err(_) => Err(bad()),
            }
        }
    }
}

/// A validated entry: the parsed detail and time.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidEntry {
    pub source: String,
    pub detail_type: String,
    pub detail: Map<String, Value>,
    pub resources: Vec<String>,
    pub time: Option<DateTime<Utc>>,
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// Validates one entry as PutEvents does, returning its parsed parts.
pub fn check_entry(entry: &PutEventsRequestEntry) -> Result<ValidEntry, EntryError> {
    let source = present(&entry.source).ok_or_else(|| EntryError::required("Source"))?;
    let detail_type =
        present(&entry.detail_type).ok_or_else(|| EntryError::required("DetailType"))?;
    let detail_text = present(&entry.detail).ok_or_else(|| EntryError::required("Detail"))?;
    if detail_type.chars().count() > MAX_DETAIL_TYPE_CHARS {
        return Err(EntryError::new(
            "InvalidArgument",
            format!(
                "Parameter DetailType is not valid. Reason: DetailType is longer than {MAX_DETAIL_TYPE_CHARS} characters."
            ),
        ));
    }
    // Events with an `aws.` source come only from AWS services.
    if source.starts_with("aws.") {
        return Err(EntryError::new(
            "NotAuthorizedForSourceException",
            "Not authorized for the source.",
        ));
    }
    let detail = match serde_json::from_str::<Value>(detail_text) {
        Ok(Value::Object(map)) => map,
        _ => return Err(EntryError::new("MalformedDetail", "Detail is malformed.")),
    };
    let time = entry.time.as_ref().map(parse_time).transpose()?;
    Ok(ValidEntry {
        source: source.to_owned(),
        detail_type: detail_type.to_owned(),
        detail,
        resources: entry.resources.clone().unwrap_or_default(),
        time,
    })
}

/// Validates one entry as PutEvents does.
pub fn validate_entry(entry: &PutEventsRequestEntry) -> Result<(), EntryError> {
    check_entry(entry).map(|_| ())
}

/// Formats an event time as EventBridge emits it: RFC 3339, whole seconds, `Z`.
pub fn format_event_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The envelope EventBridge delivers for an accepted entry.
pub fn envelope(
    entry: &ValidEntry,
    account: &str,
    region: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Value {
    let mut event = Map::new();
    event.insert("version".into(), Value::String("0".into()));
    event.insert("id".into(), Value::String(id.into()));
    event.insert(
        "detail-type".into(),
        Value::String(entry.detail_type.clone()),
    );
    event.insert("source".into(), Value::String(entry.source.clone()));
    event.insert("account".into(), Value::String(account.into()));
    event.insert(
        "time".into(),
        Value::String(format_event_time(entry.time.unwrap_or(now))),
    );
    event.insert("region".into(), Value::String(region.into()));
    event.insert(
        "resources".into(),
        Value::Array(
            entry
                .resources
                .iter()
                .map(|r| Value::String(r.clone()))
                .collect(),
        ),
    );
    event.insert("detail".into(), Value::Object(entry.detail.clone()));
    Value::Object(event)
}

/// Validates `entry` and builds the delivered event (`version`, `id`,
/// `detail-type`, `source`, `account`, `time`, `region`, `resources`, `detail`).
pub fn build_event(
    entry: &PutEventsRequestEntry,
    account: &str,
    region: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Value, EntryError> {
    let valid = check_entry(entry)?;
    Ok(envelope(&valid, account, region, id, now))
}

/// One entry of the PutEvents response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutEventsResultEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// An accepted entry, ready for routing on its bus.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedEvent {
    /// Position of the entry in the request.
    pub index: usize,
    /// `EventBusName` as given (name or ARN); `None` means the default bus.
    pub event_bus_name: Option<String>,
    pub event: Value,
}

/// The PutEvents response plus the events to route.
#[derive(Debug, Clone, PartialEq)]
pub struct PutEventsOutcome {
    pub failed_entry_count: usize,
    pub entries: Vec<PutEventsResultEntry>,
    pub accepted: Vec<AcceptedEvent>,
}

/// Runs PutEvents over a request: request limits, then each entry in order.
/// `next_id` supplies event ids (UUIDs on AWS).
pub fn put_events(
    entries: &[PutEventsRequestEntry],
    account: &str,
    region: &str,
    now: DateTime<Utc>,
    mut next_id: impl FnMut() -> String,
) -> Result<PutEventsOutcome, RequestError> {
    validate_request(entries)?;
    let mut out = PutEventsOutcome {
        failed_entry_count: 0,
        entries: Vec::with_capacity(entries.len()),
        accepted: Vec::new(),
    };
    for (index, entry) in entries.iter().enumerate() {
        match check_entry(entry) {
            Ok(valid) => {
                let id = next_id();
                out.accepted.push(AcceptedEvent {
                    index,
                    event_bus_name: entry.event_bus_name.clone().filter(|s| !s.is_empty()),
                    event: envelope(&valid, account, region, &id, now),
                });
                out.entries.push(PutEventsResultEntry {
                    event_id: Some(id),
                    error_code: None,
                    error_message: None,
                });
            }
            Err(e) => {
                out.failed_entry_count += 1;
                out.entries.push(PutEventsResultEntry {
                    event_id: None,
                    error_code: Some(e.code),
                    error_message: Some(e.message),
                });
            }
        }
    }
    Ok(out)
}
