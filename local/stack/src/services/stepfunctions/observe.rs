//! What an execution tells the outside world besides its history: "Step Functions Execution
//! Status Change" events on the default bus, and execution logs in CloudWatch Logs.

use asl::{EventType, Execution, ExecutionStatus, HistoryEvent};
use serde_json::{Value, json};

use super::StepFunctionsService;
use super::model::{ExecutionMeta, status_name, strip_execution_data};
use crate::services::logs::InputLogEvent;

/// The event's `detail`, as the Step Functions / EventBridge integration documents it.
/// `as_running`: the RUNNING event of an execution whose first step may already have ended it.
pub(super) fn status_detail(meta: &ExecutionMeta, ex: &Execution, as_running: bool) -> Value {
    let state = ex.state();
    let current = if as_running {
        ExecutionStatus::Running
    } else {
        state.status
    };
    let status = status_name(current);
    if as_running {
        return json!({
            "executionArn": meta.arn,
            "stateMachineArn": meta.state_machine_arn,
            "name": meta.name,
            "status": status,
            "startDate": meta.start_ms,
            "stopDate": null,
            "input": meta.input,
            "output": null,
            "inputDetails": { "included": true },
            "outputDetails": null,
            "error": null,
            "cause": null,
            "redriveCount": meta.redrive_count,
            "redriveStatus": "NOT_REDRIVABLE",
            "redriveStatusReason": "Execution is RUNNING and cannot be redriven",
        });
    }
    let (redrive_status, reason) = match current {
        ExecutionStatus::Running | ExecutionStatus::Succeeded => (
            "NOT_REDRIVABLE",
            json!(format!("Execution is {status} and cannot be redriven")),
        ),
        _ => ("REDRIVABLE", Value::Null),
    };
    let output = state.output.as_ref().map(ToString::to_string);
    json!({
        "executionArn": meta.arn,
        "stateMachineArn": meta.state_machine_arn,
        "name": meta.name,
        "status": status,
        "startDate": meta.start_ms,
        "stopDate": state.stop_time.map(|t| t.timestamp_millis()),
        "input": meta.input,
        "output": output,
        "inputDetails": { "included": true },
        "outputDetails": if output.is_some() { json!({ "included": true }) } else { Value::Null },
        "error": state.error,
        "cause": state.cause,
        "redriveCount": meta.redrive_count,
        "redriveStatus": redrive_status,
        "redriveStatusReason": reason,
    })
}

/// Puts the status change event (best effort: the execution's own state is already durable).
pub(super) async fn status_change(
    svc: &StepFunctionsService,
    meta: &ExecutionMeta,
    ex: &Execution,
    as_running: bool,
) {
    let now = svc.stack.clock.now();
    let event = json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": svc.stack.account_id,
        "time": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": svc.stack.region,
        "resources": [meta.arn],
        "detail": status_detail(meta, ex, as_running),
    });
    if let Err(e) = svc.events.put_service_event(event).await {
        tracing::warn!(execution = %meta.arn, error = %e, "status change event not delivered");
    }
}

/// FATAL: the events that end an execution unsuccessfully.
fn is_fatal(t: EventType) -> bool {
    matches!(
        t,
        EventType::ExecutionFailed | EventType::ExecutionAborted | EventType::ExecutionTimedOut
    )
}

/// ERROR: every failure, time-out and abort event (and the FATAL ones).
fn is_error(name: &str) -> bool {
    name.ends_with("Failed") || name.ends_with("TimedOut") || name.ends_with("Aborted")
}

/// One CloudWatch Logs record per history event, in the documented execution-log shape:
/// `id`, `type`, `details`, `previous_event_id`, `event_timestamp` (ms), `execution_arn`,
/// `redrive_count` (all strings but `details`).
pub(super) fn log_record(meta: &ExecutionMeta, event: &HistoryEvent, include_data: bool) -> Value {
    let mut full = serde_json::to_value(event).unwrap_or_else(|_| json!({}));
    if !include_data {
        strip_execution_data(&mut full);
    }
    let details = full
        .as_object()
        .and_then(|o| {
            o.iter()
                .find(|(k, _)| k.ends_with("EventDetails"))
                .map(|(_, v)| v.clone())
        })
        .unwrap_or_else(|| json!({}));
    let kind = full.get("type").cloned().unwrap_or(Value::Null);
    json!({
        "id": event.id.to_string(),
        "type": kind,
        "details": details,
        "previous_event_id": event.previous_event_id.to_string(),
        "event_timestamp": event.timestamp.timestamp_millis().to_string(),
        "execution_arn": meta.arn,
        "redrive_count": meta.redrive_count.to_string(),
    })
}

/// Writes the events the state machine's logging level selects to its log group.
pub(super) async fn log_events(
    svc: &StepFunctionsService,
    meta: &ExecutionMeta,
    events: &[HistoryEvent],
) {
    let Some(logging) = &meta.logging else { return };
    let lines: Vec<InputLogEvent> = events
        .iter()
        .filter(|e| {
            let name = serde_json::to_value(e.event_type)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            match logging.level.as_str() {
                "ALL" => true,
                "ERROR" => is_error(&name),
                "FATAL" => is_fatal(e.event_type),
                _ => false,
            }
        })
        .map(|e| InputLogEvent {
            timestamp: e.timestamp.timestamp_millis(),
            message: log_record(meta, e, logging.include_execution_data).to_string(),
        })
        .collect();
    if lines.is_empty() {
        return;
    }
    if let Err(e) = svc
        .stack
        .logs
        .append(&logging.log_group, &meta.log_stream, lines)
        .await
    {
        tracing::warn!(execution = %meta.arn, error = %e, "execution log not written");
    }
}
