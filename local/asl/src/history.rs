//! Execution history events, shaped like `GetExecutionHistory`'s `HistoryEvent`.
//!
//! Serialized with serde they are exactly the API's JSON: `timestamp` (epoch seconds),
//! `type`, `id`, `previousEventId` and one `...EventDetails` member.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// `HistoryEventType` values the engine emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionAborted,
    ExecutionTimedOut,
    /// RedriveExecution restarted the execution from the state that did not succeed.
    ExecutionRedriven,
    PassStateEntered,
    PassStateExited,
    TaskStateEntered,
    TaskStateExited,
    TaskStateAborted,
    ChoiceStateEntered,
    ChoiceStateExited,
    WaitStateEntered,
    WaitStateExited,
    WaitStateAborted,
    SucceedStateEntered,
    SucceedStateExited,
    FailStateEntered,
    ParallelStateEntered,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    ParallelStateExited,
    MapStateEntered,
    MapStateStarted,
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapStateExited,
    MapIterationStarted,
    MapIterationSucceeded,
    MapIterationFailed,
    MapIterationAborted,
    /// A Distributed Map's Map Run (its iterations are child workflow executions, with their own
    /// histories; the parent records the run).
    MapRunStarted,
    MapRunSucceeded,
    MapRunFailed,
    MapRunAborted,
    TaskScheduled,
    TaskStarted,
    TaskSubmitted,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    LambdaFunctionScheduled,
    LambdaFunctionStarted,
    LambdaFunctionSucceeded,
    LambdaFunctionFailed,
    LambdaFunctionTimedOut,
    ActivityScheduled,
    ActivityStarted,
    ActivitySucceeded,
    ActivityFailed,
    ActivityTimedOut,
    /// A JSONata expression of a state failed (`States.QueryEvaluationError`).
    EvaluationFailed,
}

/// `{"truncated": false}` (the engine never truncates).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataDetails {
    pub truncated: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStartedDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    pub input_details: DataDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_machine_alias_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_machine_version_arn: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    pub output_details: DataDetails,
}

/// `EvaluationFailedEventDetails`: a JSONata expression failed in `state`; `location` names the
/// field (API reference: "This event will only be present in state machines that have
/// QueryLanguage set to JSONata, or individual states set to JSONata").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationFailedDetails {
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// `ExecutionRedrivenEventDetails`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionRedrivenDetails {
    pub redrive_count: u32,
}

/// `{error, cause}` of failed / aborted / timed-out events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateEnteredDetails {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    pub input_details: DataDetails,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateExitedDetails {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    pub output_details: DataDetails,
    /// Variable name → JSON text of the value assigned by this state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_variables: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_variables_details: Option<DataDetails>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskScheduledDetails {
    pub resource_type: String,
    pub resource: String,
    pub region: String,
    /// The effective parameters, as JSON text.
    pub parameters: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_in_seconds: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStartedDetails {
    pub resource_type: String,
    pub resource: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskOutputDetails {
    pub resource_type: String,
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    pub output_details: DataDetails,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskErrorDetails {
    pub resource_type: String,
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaScheduledDetails {
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    pub input_details: DataDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityScheduledDetails {
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    pub input_details: DataDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_in_seconds: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityStartedDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapStateStartedDetails {
    pub length: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunStartedDetails {
    pub map_run_arn: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapIterationDetails {
    pub name: String,
    pub index: u64,
}

/// The one `...EventDetails` member of an event (the key names are the API's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventDetails {
    #[serde(rename = "executionStartedEventDetails")]
    ExecutionStarted(ExecutionStartedDetails),
    #[serde(rename = "executionSucceededEventDetails")]
    ExecutionSucceeded(OutputDetails),
    #[serde(rename = "executionFailedEventDetails")]
    ExecutionFailed(ErrorDetails),
    #[serde(rename = "executionAbortedEventDetails")]
    ExecutionAborted(ErrorDetails),
    #[serde(rename = "executionTimedOutEventDetails")]
    ExecutionTimedOut(ErrorDetails),
    #[serde(rename = "executionRedrivenEventDetails")]
    ExecutionRedriven(ExecutionRedrivenDetails),
    #[serde(rename = "stateEnteredEventDetails")]
    StateEntered(StateEnteredDetails),
    #[serde(rename = "stateExitedEventDetails")]
    StateExited(StateExitedDetails),
    #[serde(rename = "taskScheduledEventDetails")]
    TaskScheduled(TaskScheduledDetails),
    #[serde(rename = "taskStartedEventDetails")]
    TaskStarted(TaskStartedDetails),
    #[serde(rename = "taskSubmittedEventDetails")]
    TaskSubmitted(TaskOutputDetails),
    #[serde(rename = "taskSucceededEventDetails")]
    TaskSucceeded(TaskOutputDetails),
    #[serde(rename = "taskFailedEventDetails")]
    TaskFailed(TaskErrorDetails),
    #[serde(rename = "taskTimedOutEventDetails")]
    TaskTimedOut(TaskErrorDetails),
    #[serde(rename = "lambdaFunctionScheduledEventDetails")]
    LambdaFunctionScheduled(LambdaScheduledDetails),
    #[serde(rename = "lambdaFunctionSucceededEventDetails")]
    LambdaFunctionSucceeded(OutputDetails),
    #[serde(rename = "lambdaFunctionFailedEventDetails")]
    LambdaFunctionFailed(ErrorDetails),
    #[serde(rename = "lambdaFunctionTimedOutEventDetails")]
    LambdaFunctionTimedOut(ErrorDetails),
    #[serde(rename = "activityScheduledEventDetails")]
    ActivityScheduled(ActivityScheduledDetails),
    #[serde(rename = "activityStartedEventDetails")]
    ActivityStarted(ActivityStartedDetails),
    #[serde(rename = "activitySucceededEventDetails")]
    ActivitySucceeded(OutputDetails),
    #[serde(rename = "activityFailedEventDetails")]
    ActivityFailed(ErrorDetails),
    #[serde(rename = "activityTimedOutEventDetails")]
    ActivityTimedOut(ErrorDetails),
    #[serde(rename = "evaluationFailedEventDetails")]
    EvaluationFailed(EvaluationFailedDetails),
    #[serde(rename = "mapStateStartedEventDetails")]
    MapStateStarted(MapStateStartedDetails),
    #[serde(rename = "mapIterationStartedEventDetails")]
    MapIterationStarted(MapIterationDetails),
    #[serde(rename = "mapIterationSucceededEventDetails")]
    MapIterationSucceeded(MapIterationDetails),
    #[serde(rename = "mapIterationFailedEventDetails")]
    MapIterationFailed(MapIterationDetails),
    #[serde(rename = "mapIterationAbortedEventDetails")]
    MapIterationAborted(MapIterationDetails),
    #[serde(rename = "mapRunStartedEventDetails")]
    MapRunStarted(MapRunStartedDetails),
    #[serde(rename = "mapRunFailedEventDetails")]
    MapRunFailed(ErrorDetails),
}

/// One entry of the execution history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEvent {
    #[serde(serialize_with = "ser_epoch", deserialize_with = "de_epoch")]
    pub timestamp: DateTime<Utc>,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub id: u64,
    #[serde(rename = "previousEventId")]
    pub previous_event_id: u64,
    #[serde(flatten, skip_serializing_if = "Option::is_none", default)]
    pub details: Option<EventDetails>,
}

/// The API's timestamps are epoch seconds with millisecond precision.
fn ser_epoch<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(t.timestamp_millis() as f64 / 1000.0)
}

fn de_epoch<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let secs = f64::deserialize(d)?;
    let millis = (secs * 1000.0).round() as i64;
    Utc.timestamp_millis_opt(millis)
        .single()
        .ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
}
