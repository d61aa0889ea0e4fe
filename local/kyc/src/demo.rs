//! `kyc-local demo`: every scenario of `events/` through the whole stack, over the real AWS wire
//! protocols, with a person's view of it: live progress, then a table of application, path, decision
//! and duration. The reviewer is played through the same APIs a person would use: the task token is
//! read from the customer-service log group and a **Manual review completed** event is put on the bus.
//!
//! This module is only the client side; `main.rs` starts the stack and hands over its endpoint.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use emulator::template::StackModel;
use serde_json::{Value, json};

/// What can go wrong while the demo talks to the stack.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A call to the stack failed (unreachable, not JSON, or an AWS error).
    #[error(transparent)]
    Call(#[from] CallError),
    /// An `events/` file is missing or malformed.
    #[error("{path}: {message}")]
    EventFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

pub use emulator::client::{AwsJsonClient, CallError};

/// The terminal outcome an application is expected to reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// New account approved, decided automatically.
    ApprovedAutomatically,
    /// New account approved by the (simulated) reviewer.
    ApprovedAfterReview,
    /// New account declined by the (simulated) reviewer.
    DeclinedAfterReview,
    /// New account declined by the identity check.
    DeclinedByIdentity,
    /// New account declined by the risk profile.
    DeclinedByRisk,
    /// New account declined because nobody completed the review in time.
    DeclinedReviewTimedOut,
    /// New account declined as a malformed application.
    DeclinedInvalid,
}

impl Expected {
    /// How the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ApprovedAutomatically => "approved automatically",
            Self::ApprovedAfterReview => "approved after review",
            Self::DeclinedAfterReview => "declined after review",
            Self::DeclinedByIdentity => "declined by identity",
            Self::DeclinedByRisk => "declined by risk",
            Self::DeclinedReviewTimedOut => "declined, review timed out",
            Self::DeclinedInvalid => "declined, invalid application",
        }
    }
}

/// How the demo's reviewer treats an application that waits for a manual review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reviewer {
    /// Puts Manual review started, then Manual review completed with APPROVE.
    Approve,
    /// Does nothing: the review times out.
    Ignore,
}

/// One application the demo sends, and what must come of it.
#[derive(Debug, Clone)]
pub struct Application {
    /// The scenario file it comes from.
    pub file: String,
    /// The PutEvents entry.
    pub entry: Value,
    /// Its own `applicationId`, if the request carries one (otherwise the execution name is used).
    pub application_id: Option<String>,
    /// The outcome it must reach.
    pub expected: Expected,
    /// What the reviewer does if it asks for a review.
    pub reviewer: Reviewer,
}

/// The scenarios, read from `events/` (the files users run by hand), with their expected outcomes.
pub fn scenarios(events_dir: &Path) -> Result<(Vec<Application>, Vec<Value>), DemoError> {
    let mut apps = Vec::new();
    let plain: [(&str, Expected); 6] = [
        ("put_events.json", Expected::ApprovedAutomatically),
        ("approved.json", Expected::ApprovedAutomatically),
        ("declined-identity.json", Expected::DeclinedByIdentity),
        ("declined-risk.json", Expected::DeclinedByRisk),
        ("manual-review.json", Expected::ApprovedAfterReview),
        ("invalid-application.json", Expected::DeclinedInvalid),
    ];
    for (file, expected) in plain {
        for entry in read_entries(&events_dir.join(file))? {
            apps.push(application(file, entry, expected, Reviewer::Approve));
        }
    }
    // The same review scenario once more, left alone by the reviewer: it must time out.
    for mut entry in read_entries(&events_dir.join("manual-review.json"))? {
        let detail = entry["Detail"].as_str().unwrap_or("{}").to_string();
        let mut detail: Value = serde_json::from_str(&detail).unwrap_or_else(|_| json!({}));
        detail["applicationId"] = json!("app-3002");
        entry["Detail"] = json!(detail.to_string());
        apps.push(application(
            "manual-review.json (no reviewer)",
            entry,
            Expected::DeclinedReviewTimedOut,
            Reviewer::Ignore,
        ));
    }
    // Mixed good and malformed entries in one call: only the good ones are applications.
    let mixed = read_entries(&events_dir.join("malformed/mixed-entries.json"))?;
    Ok((apps, mixed))
}

fn application(file: &str, entry: Value, expected: Expected, reviewer: Reviewer) -> Application {
    let application_id = entry["Detail"]
        .as_str()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .and_then(|d| d["applicationId"].as_str().map(str::to_string));
    Application {
        file: file.to_string(),
        entry,
        application_id,
        expected,
        reviewer,
    }
}

fn read_entries(path: &Path) -> Result<Vec<Value>, DemoError> {
    let bad = |message: String| DemoError::EventFile {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    match value {
        Value::Array(entries) => Ok(entries),
        _ => Err(bad("expected an array of PutEvents entries".to_string())),
    }
}

/// Names the demo needs from the loaded template.
#[derive(Debug, Clone)]
pub struct DemoTargets {
    /// `/aws/events/<prefix>/accounts`: every KYC event.
    pub accounts_log_group: String,
    /// `/aws/events/<prefix>/customer-service`: reviews (with their tokens) and outcomes.
    pub customer_service_log_group: String,
    /// The KYC state machine.
    pub state_machine_arn: String,
    /// The custom bus (`CentralEventBus`).
    pub event_bus_name: String,
}

impl DemoTargets {
    /// The names the demo reads from the template's outputs.
    pub fn from_template(model: &StackModel) -> Result<Self, String> {
        let output = |key: &str| -> Result<String, String> {
            model
                .outputs
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("the template has no output {key}"))
        };
        Ok(Self {
            accounts_log_group: output("AccountsLogGroupName")?,
            customer_service_log_group: output("CustomerServiceLogGroupName")?,
            state_machine_arn: output("StateMachineArn")?,
            event_bus_name: output("EventBusName")?,
        })
    }
}

/// One row of the final table.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// applicationId (the execution name when the request had none).
    pub application_id: String,
    /// The scenario file.
    pub file: String,
    /// What had to happen.
    pub expected: Expected,
    /// The terminal event's detail-type, if one arrived.
    pub terminal: Option<String>,
    /// The terminal event's detail.
    pub detail: Value,
    /// From PutEvents to the terminal event in the log group.
    pub duration: Option<Duration>,
    /// The execution's status.
    pub execution_status: Option<String>,
    /// Whether the outcome is the expected one.
    pub ok: bool,
}

/// Everything the demo saw.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// One row per application.
    pub outcomes: Vec<Outcome>,
    /// `FailedEntryCount` of the mixed PutEvents call, and its per-entry error codes.
    pub rejected_entries: Vec<String>,
    /// Whether the rejected entries are exactly the malformed ones.
    pub rejections_ok: bool,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

impl DemoReport {
    /// True when every application reached its expected terminal event and the malformed entries were refused.
    pub fn passed(&self) -> bool {
        self.rejections_ok && self.outcomes.iter().all(|o| o.ok)
    }

    /// The table printed at the end.
    pub fn table(&self) -> String {
        let mut rows = vec![[
            "application".to_string(),
            "scenario".to_string(),
            "path".to_string(),
            "decision".to_string(),
            "execution".to_string(),
            "duration".to_string(),
            String::new(),
        ]];
        for o in &self.outcomes {
            rows.push([
                o.application_id.clone(),
                o.file.clone(),
                path_of(o),
                o.terminal.clone().unwrap_or_else(|| "(none)".to_string()),
                o.execution_status
                    .clone()
                    .unwrap_or_else(|| "?".to_string()),
                o.duration
                    .map(|d| format!("{} ms", d.as_millis()))
                    .unwrap_or_else(|| "-".to_string()),
                if o.ok { "ok" } else { "UNEXPECTED" }.to_string(),
            ]);
        }
        let widths: Vec<usize> = (0..7)
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for (n, row) in rows.iter().enumerate() {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            out.push_str(line.join("  ").trim_end());
            out.push('\n');
            if n == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                out.push_str(rule.join("  ").trim_end());
                out.push('\n');
            }
        }
        out
    }
}

fn path_of(o: &Outcome) -> String {
    let reasons: Vec<&str> = o.detail["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match (o.terminal.as_deref(), o.detail["decidedBy"].as_str()) {
        (Some("KYC processing failed"), _) => {
            format!("failed: {}", o.detail["error"].as_str().unwrap_or("?"))
        }
        (Some(_), Some("MANUAL_REVIEW")) => format!("manual review ({})", reasons.join(", ")),
        (Some(_), _) if reasons.is_empty() => "automatic".to_string(),
        (Some(_), _) => format!("automatic ({})", reasons.join(", ")),
        (None, _) => "no terminal event".to_string(),
    }
}

/// Whether a terminal event (its detail-type and detail) is the outcome `expected`.
pub fn matches_expectation(expected: Expected, detail_type: &str, detail: &Value) -> bool {
    let reasons: BTreeSet<&str> = detail["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let decided_by = detail["decidedBy"].as_str().unwrap_or_default();
    match expected {
        Expected::ApprovedAutomatically => {
            detail_type == "New account approved" && decided_by == "AUTOMATIC"
        }
        Expected::ApprovedAfterReview => {
            detail_type == "New account approved" && decided_by == "MANUAL_REVIEW"
        }
        Expected::DeclinedAfterReview => {
            detail_type == "New account declined" && decided_by == "MANUAL_REVIEW"
        }
        Expected::DeclinedByIdentity => {
            detail_type == "New account declined"
                && decided_by == "AUTOMATIC"
                && detail["riskLevel"].is_null()
                && !reasons.contains("InvalidApplication")
                && !reasons.is_empty()
        }
        Expected::DeclinedByRisk => {
            detail_type == "New account declined"
                && decided_by == "AUTOMATIC"
                && detail["riskLevel"] == "HIGH"
        }
        Expected::DeclinedReviewTimedOut => {
            detail_type == "New account declined" && reasons.contains("ReviewTimedOut")
        }
        Expected::DeclinedInvalid => {
            detail_type == "New account declined" && reasons.contains("InvalidApplication")
        }
    }
}

const TERMINAL: [&str; 3] = [
    "New account approved",
    "New account declined",
    "KYC processing failed",
];

/// Runs every scenario against the stack at `client`, printing progress through `progress`.
pub async fn run(
    client: &AwsJsonClient,
    targets: &DemoTargets,
    events_dir: &Path,
    timeout: Duration,
    mut progress: impl FnMut(&str),
) -> Result<DemoReport, DemoError> {
    let started = Instant::now();
    let (apps, mixed) = scenarios(events_dir)?;

    // 1. Put every application, one PutEvents call per scenario file as a user would.
    let mut by_event_id: BTreeMap<String, (usize, Instant)> = BTreeMap::new();
    let mut files: Vec<&str> = apps.iter().map(|a| a.file.as_str()).collect();
    files.dedup();
    for file in files {
        let batch: Vec<(usize, &Application)> = apps
            .iter()
            .enumerate()
            .filter(|(_, a)| a.file == file)
            .collect();
        let entries: Vec<Value> = batch.iter().map(|(_, a)| a.entry.clone()).collect();
        let sent = Instant::now();
        let response = client
            .call("AWSEvents.PutEvents", &json!({ "Entries": entries }))
            .await?;
        let results = response["Entries"].as_array().cloned().unwrap_or_default();
        for ((index, _), result) in batch.iter().zip(results) {
            if let Some(id) = result["EventId"].as_str() {
                by_event_id.insert(id.to_string(), (*index, sent));
            }
        }
        progress(&format!(
            "put {file}: {} entr{} accepted",
            batch.len(),
            if batch.len() == 1 { "y" } else { "ies" }
        ));
    }

    // 2. The mixed call: the good entries are applications too, the bad ones must be refused.
    let mut mixed_apps: Vec<Application> = Vec::new();
    let sent = Instant::now();
    let response = client
        .call("AWSEvents.PutEvents", &json!({ "Entries": mixed }))
        .await?;
    let results = response["Entries"].as_array().cloned().unwrap_or_default();
    let mut rejected = Vec::new();
    for (entry, result) in mixed.iter().zip(&results) {
        match result["EventId"].as_str() {
            Some(id) => {
                let app = application(
                    "malformed/mixed-entries.json",
                    entry.clone(),
                    Expected::ApprovedAutomatically,
                    Reviewer::Approve,
                );
                by_event_id.insert(id.to_string(), (apps.len() + mixed_apps.len(), sent));
                mixed_apps.push(app);
            }
            None => rejected.push(result["ErrorCode"].as_str().unwrap_or("?").to_string()),
        }
    }
    let rejections_ok = rejected.len() == 3 && mixed_apps.len() == 2;
    progress(&format!(
        "put malformed/mixed-entries.json: {} accepted, {} refused per entry ({})",
        mixed_apps.len(),
        rejected.len(),
        rejected.join(", ")
    ));
    let apps: Vec<Application> = apps.into_iter().chain(mixed_apps).collect();

    // 3. Watch the accounts log group for terminal events; play the reviewer from the
    //    customer-service log group.
    let mut outcomes: BTreeMap<usize, (String, Value, Duration)> = BTreeMap::new();
    let mut reviewed: BTreeSet<String> = BTreeSet::new();
    let mut names: BTreeMap<usize, String> = BTreeMap::new();
    // Executions already described: each is described once while polling, not on every poll.
    let mut described: BTreeSet<String> = BTreeSet::new();
    let deadline = Instant::now() + timeout;
    while outcomes.len() < apps.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Executions started for the events we put: the execution input is the event, so its `id`
        // ties an execution (and its name, the fallback applicationId) to our PutEvents entry.
        if names.len() < apps.len() {
            for execution in
                describe_executions(client, &targets.state_machine_arn, &described).await?
            {
                described.insert(execution.arn);
                let index = execution.event_id.and_then(|id| by_event_id.get(&id));
                if let Some((index, _)) = index {
                    names.entry(*index).or_insert(execution.name);
                }
            }
        }
        let id_of = |index: usize| -> Option<String> {
            apps[index]
                .application_id
                .clone()
                .or_else(|| names.get(&index).cloned())
        };
        for message in log_messages(client, &targets.customer_service_log_group).await? {
            if message["detail-type"] != "Manual review requested" {
                continue;
            }
            let application_id = message["detail"]["applicationId"]
                .as_str()
                .unwrap_or_default();
            let token = message["detail"]["taskToken"].as_str().unwrap_or_default();
            let Some(index) =
                (0..apps.len()).find(|i| id_of(*i).as_deref() == Some(application_id))
            else {
                continue;
            };
            if apps[index].reviewer == Reviewer::Ignore
                || !reviewed.insert(application_id.to_string())
            {
                continue;
            }
            progress(&format!(
                "reviewer: {application_id} is waiting for a review; starting it, then approving"
            ));
            for (detail_type, detail) in [
                (
                    "Manual review started",
                    json!({"taskToken": token, "reviewer": "demo-reviewer"}),
                ),
                (
                    "Manual review completed",
                    json!({"taskToken": token, "decision": "APPROVE", "reviewer": "demo-reviewer",
                           "comment": "Documents checked by the kyc-local demo"}),
                ),
            ] {
                client
                    .call(
                        "AWSEvents.PutEvents",
                        &json!({"Entries": [{
                            "Source": "com.aws.review",
                            "DetailType": detail_type,
                            "Detail": detail.to_string(),
                            "EventBusName": targets.event_bus_name,
                        }]}),
                    )
                    .await?;
            }
        }
        for message in log_messages(client, &targets.accounts_log_group).await? {
            let detail_type = message["detail-type"].as_str().unwrap_or_default();
            if !TERMINAL.contains(&detail_type) {
                continue;
            }
            let application_id = message["detail"]["applicationId"]
                .as_str()
                .unwrap_or_default();
            let Some(index) =
                (0..apps.len()).find(|i| id_of(*i).as_deref() == Some(application_id))
            else {
                continue;
            };
            if outcomes.contains_key(&index) {
                continue;
            }
            let sent = by_event_id
                .values()
                .find(|(i, _)| *i == index)
                .map(|(_, t)| *t)
                .unwrap_or(started);
            let elapsed = sent.elapsed();
            progress(&format!(
                "{application_id}: {detail_type} after {} ms",
                elapsed.as_millis()
            ));
            outcomes.insert(
                index,
                (detail_type.to_string(), message["detail"].clone(), elapsed),
            );
        }
    }

    // 4. Every execution's status, then the table.
    let statuses: BTreeMap<String, String> =
        describe_executions(client, &targets.state_machine_arn, &BTreeSet::new())
            .await?
            .into_iter()
            .map(|e| (e.application_id, e.status))
            .collect();
    let mut rows = Vec::new();
    for (index, app) in apps.iter().enumerate() {
        let application_id = app
            .application_id
            .clone()
            .or_else(|| names.get(&index).cloned())
            .unwrap_or_else(|| "(unknown)".to_string());
        let (terminal, detail, duration) = match outcomes.get(&index) {
            Some((t, d, e)) => (Some(t.clone()), d.clone(), Some(*e)),
            None => (None, Value::Null, None),
        };
        let execution_status = statuses.get(&application_id).cloned();
        let ok = terminal
            .as_deref()
            .is_some_and(|t| matches_expectation(app.expected, t, &detail))
            && execution_status.as_deref() == Some("SUCCEEDED");
        rows.push(Outcome {
            application_id,
            file: app.file.clone(),
            expected: app.expected,
            terminal,
            detail,
            duration,
            execution_status,
            ok,
        });
    }
    for row in rows.iter().filter(|r| !r.ok) {
        progress(&format!(
            "{}: expected {}, got {} (execution {})",
            row.application_id,
            row.expected.label(),
            row.terminal.as_deref().unwrap_or("no terminal event"),
            row.execution_status.as_deref().unwrap_or("unknown"),
        ));
    }
    Ok(DemoReport {
        outcomes: rows,
        rejected_entries: rejected,
        rejections_ok,
        elapsed: started.elapsed(),
    })
}

/// Every message of a log group, parsed as JSON (EventBridge writes the event JSON as the message).
async fn log_messages(client: &AwsJsonClient, group: &str) -> Result<Vec<Value>, DemoError> {
    let events = match client
        .call_all_pages(
            "Logs_20140328.FilterLogEvents",
            json!({ "logGroupName": group }),
            "events",
        )
        .await
    {
        Ok(events) => events,
        // The group exists from the template, but be tolerant of a stack that has not written
        // anything yet.
        Err(CallError::Api { code, .. }) if code == "ResourceNotFoundException" => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(events
        .iter()
        .filter_map(|e| e["message"].as_str())
        .filter_map(|m| serde_json::from_str::<Value>(m).ok())
        .collect())
}

/// What DescribeExecution tells the demo about one execution.
struct DescribedExecution {
    arn: String,
    /// `id` of the event the execution was started with (its input is the event).
    event_id: Option<String>,
    name: String,
    /// The request's `applicationId`, else the execution name (as the state machine does).
    application_id: String,
    status: String,
}

/// Describes every execution of the state machine whose ARN is not in `skip`.
async fn describe_executions(
    client: &AwsJsonClient,
    state_machine_arn: &str,
    skip: &BTreeSet<String>,
) -> Result<Vec<DescribedExecution>, DemoError> {
    let mut out = Vec::new();
    for execution in list_executions(client, state_machine_arn).await? {
        let arn = execution["executionArn"].as_str().unwrap_or_default();
        if skip.contains(arn) {
            continue;
        }
        let described = client
            .call(
                "AWSStepFunctions.DescribeExecution",
                &json!({ "executionArn": arn }),
            )
            .await?;
        let input: Value = described["input"]
            .as_str()
            .and_then(|i| serde_json::from_str(i).ok())
            .unwrap_or(Value::Null);
        let name = described["name"].as_str().unwrap_or_default().to_string();
        out.push(DescribedExecution {
            arn: arn.to_string(),
            event_id: input["id"].as_str().map(str::to_string),
            application_id: input["detail"]["applicationId"]
                .as_str()
                .unwrap_or(&name)
                .to_string(),
            name,
            status: described["status"].as_str().unwrap_or("?").to_string(),
        });
    }
    Ok(out)
}

/// Every execution of the state machine, newest first (ListExecutions, every page).
pub(crate) async fn list_executions(
    client: &AwsJsonClient,
    state_machine_arn: &str,
) -> Result<Vec<Value>, DemoError> {
    client
        .call_all_pages(
            "AWSStepFunctions.ListExecutions",
            json!({ "stateMachineArn": state_machine_arn, "maxResults": 1000 }),
            "executions",
        )
        .await
        .map_err(DemoError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
    }

    #[test]
    fn scenarios_cover_every_file_with_an_expectation() {
        let (apps, mixed) = scenarios(&events_dir()).unwrap();
        let ids: Vec<Option<&str>> = apps.iter().map(|a| a.application_id.as_deref()).collect();
        // The original sample's two applicants carry no applicationId.
        assert_eq!(ids.iter().filter(|i| i.is_none()).count(), 2);
        for id in [
            "app-1001", "app-2002", "app-2003", "app-4001", "app-3001", "app-3002",
        ] {
            assert!(ids.contains(&Some(id)), "{id} is a scenario");
        }
        for id in ["app-5001", "app-5002", "app-5003", "app-5004"] {
            let app = apps
                .iter()
                .find(|a| a.application_id.as_deref() == Some(id))
                .unwrap();
            assert_eq!(app.expected, Expected::DeclinedInvalid);
        }
        let timed_out = apps
            .iter()
            .find(|a| a.application_id.as_deref() == Some("app-3002"))
            .unwrap();
        assert_eq!(timed_out.reviewer, Reviewer::Ignore);
        assert_eq!(timed_out.expected, Expected::DeclinedReviewTimedOut);
        assert_eq!(mixed.len(), 5);
    }

    #[test]
    fn expectations_read_the_terminal_detail() {
        let approved = json!({"decidedBy": "AUTOMATIC", "reasons": ["NO_DOCUMENT"]});
        assert!(matches_expectation(
            Expected::ApprovedAutomatically,
            "New account approved",
            &approved
        ));
        assert!(!matches_expectation(
            Expected::ApprovedAfterReview,
            "New account approved",
            &approved
        ));
        let timed_out = json!({"decidedBy": "MANUAL_REVIEW", "reasons": ["ReviewTimedOut"]});
        assert!(matches_expectation(
            Expected::DeclinedReviewTimedOut,
            "New account declined",
            &timed_out
        ));
        assert!(!matches_expectation(
            Expected::DeclinedReviewTimedOut,
            "KYC processing failed",
            &timed_out
        ));
        let identity =
            json!({"decidedBy": "AUTOMATIC", "reasons": ["WATCHLIST_MATCH"], "riskLevel": null});
        assert!(matches_expectation(
            Expected::DeclinedByIdentity,
            "New account declined",
            &identity
        ));
        let invalid =
            json!({"decidedBy": "AUTOMATIC", "reasons": ["InvalidApplication"], "riskLevel": null});
        assert!(!matches_expectation(
            Expected::DeclinedByIdentity,
            "New account declined",
            &invalid
        ));
        assert!(matches_expectation(
            Expected::DeclinedInvalid,
            "New account declined",
            &invalid
        ));
    }

    #[test]
    fn table_lists_every_application_and_flags_the_unexpected() {
        let report = DemoReport {
            outcomes: vec![
                Outcome {
                    application_id: "app-1001".into(),
                    file: "approved.json".into(),
                    expected: Expected::ApprovedAutomatically,
                    terminal: Some("New account approved".into()),
                    detail: json!({"decidedBy": "AUTOMATIC", "reasons": []}),
                    duration: Some(Duration::from_millis(42)),
                    execution_status: Some("SUCCEEDED".into()),
                    ok: true,
                },
                Outcome {
                    application_id: "app-3002".into(),
                    file: "manual-review.json".into(),
                    expected: Expected::DeclinedReviewTimedOut,
                    terminal: None,
                    detail: Value::Null,
                    duration: None,
                    execution_status: Some("RUNNING".into()),
                    ok: false,
                },
            ],
            rejected_entries: vec![],
            rejections_ok: true,
            elapsed: Duration::from_secs(1),
        };
        let table = report.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[2].starts_with("app-1001"));
        assert!(lines[2].contains("automatic") && lines[2].contains("42 ms"));
        assert!(lines[3].contains("no terminal event") && lines[3].ends_with("UNEXPECTED"));
        assert!(!report.passed());
    }
}
