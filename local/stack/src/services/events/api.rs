//! The operations of EventBridge, one type each ([`crate::protocol::operation::Operation`]: typed
//! request, typed response, AWS errors, the operation's logic in its `run`), registered once by
//! name in [`OPERATIONS`]. What several operations share (the bus a request names, a stored rule,
//! bus policies, a rule's state) is in `impl EventsService`.

use std::sync::{Arc, LazyLock};

use eventbus::model::{self, DEFAULT_BUS, PutRuleRequest, RuleState, Target};
use eventbus::put_events::PutEventsRequestEntry;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::routing::{self, state_name};
use super::{EventsService, store_error};
use crate::protocol::ServiceFuture;
use crate::protocol::error::AwsError;
use crate::protocol::null_member_message;
use crate::protocol::operation::{ErrorVocabulary, Operation, Operations, Paginator, Validate};
use crate::store::StoreError;
use crate::store::eventbridge::{self, EventBusRecord, RuleRecord};

fn validation(message: impl Into<String>) -> AwsError {
    AwsError::client("ValidationException", message)
}

/// A member missing: the coral message names it in camelCase (`name`, `eventPattern`).
fn missing(member: &str) -> AwsError {
    let mut chars = member.chars();
    let camel = match chars.next() {
        Some(first) => first.to_lowercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    };
    validation(null_member_message(&camel))
}

/// EventBridge's front end: `ValidationException`, members named in camelCase.
static ERRORS: ErrorVocabulary = ErrorVocabulary {
    validation: "ValidationException",
    missing,
};

fn api_error(e: model::ApiError) -> AwsError {
    AwsError::client(e.code, e.message)
}

fn rule_not_found(rule: &str, bus: &str) -> AwsError {
    AwsError::client(
        "ResourceNotFoundException",
        format!("Rule {rule} does not exist on EventBus {bus}."),
    )
}

fn bus_not_found(bus: &str) -> AwsError {
    AwsError::client(
        "ResourceNotFoundException",
        format!("Event bus {bus} does not exist."),
    )
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn invalid_token(_: &str) -> AwsError {
    validation("The NextToken provided is invalid.")
}

/// EventBridge's listings: `Limit` 1..=100 (100 when absent), an invalid `NextToken` is a
/// `ValidationException` (API reference, ListRules / ListTargetsByRule / ListEventBuses /
/// ListRuleNamesByTarget).
const fn listing(scope: &'static str) -> Paginator {
    Paginator {
        scope,
        default_size: 100,
        max_size: 100,
        zero_is_default: false,
        size_member: "limit",
        invalid_token,
    }
}

const EVENT_BUSES: Paginator = listing("events:ListEventBuses");
const RULES: Paginator = listing("events:ListRules");
const TARGETS: Paginator = listing("events:ListTargetsByRule");
const RULE_NAMES: Paginator = listing("events:ListRuleNamesByTarget");

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutEventsRequest {
    entries: Vec<PutEventsRequestEntry>,
    #[serde(default)]
    #[allow(dead_code)]
    endpoint_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestEventPatternRequest {
    event_pattern: String,
    event: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameRequest {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateEventBusRequest {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    event_source_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PutPermissionRequest {
    #[serde(default)]
    event_bus_name: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    principal: Option<String>,
    #[serde(default)]
    statement_id: Option<String>,
    #[serde(default)]
    condition: Option<Value>,
    #[serde(default)]
    policy: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct RemovePermissionRequest {
    #[serde(default)]
    event_bus_name: Option<String>,
    #[serde(default)]
    statement_id: Option<String>,
    #[serde(default)]
    remove_all_permissions: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeEventBusRequest {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ListRequest {
    #[serde(default)]
    name_prefix: Option<String>,
    #[serde(default)]
    event_bus_name: Option<String>,
    #[serde(default)]
    next_token: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleRequest {
    name: String,
    #[serde(default)]
    event_bus_name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    force: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutTargetsRequest {
    rule: String,
    #[serde(default)]
    event_bus_name: Option<String>,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveTargetsRequest {
    rule: String,
    #[serde(default)]
    event_bus_name: Option<String>,
    ids: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    force: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTargetsByRuleRequest {
    rule: String,
    #[serde(default)]
    event_bus_name: Option<String>,
    #[serde(default)]
    next_token: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRuleNamesByTargetRequest {
    target_arn: String,
    #[serde(default)]
    event_bus_name: Option<String>,
    #[serde(default)]
    next_token: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

impl Validate for PutEventsRequest {}
impl Validate for TestEventPatternRequest {}
impl Validate for NameRequest {}
impl Validate for CreateEventBusRequest {
    fn validate(&self, check: &mut crate::protocol::operation::Check) {
        check.length("description", self.description.as_deref(), 0, 512);
    }
}
impl Validate for PutPermissionRequest {}
impl Validate for RemovePermissionRequest {}
impl Validate for DescribeEventBusRequest {}
impl Validate for ListRequest {}
impl Validate for RuleRequest {}
impl Validate for PutTargetsRequest {}
impl Validate for RemoveTargetsRequest {
    fn validate(&self, check: &mut crate::protocol::operation::Check) {
        check.list_length("ids", Some(self.ids.len()), 1, 100);
    }
}
impl Validate for ListTargetsByRuleRequest {}
impl Validate for ListRuleNamesByTargetRequest {}
impl Validate for PutRuleRequest {}

/// No members.
#[derive(Debug, Serialize)]
pub struct Empty {}

/// A rule as DescribeRule and ListRules answer it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleOut {
    name: String,
    arn: String,
    state: String,
    event_bus_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    managed_by: Option<String>,
}

impl From<RuleRecord> for RuleOut {
    fn from(r: RuleRecord) -> Self {
        Self {
            name: r.name,
            arn: r.arn,
            state: r.state,
            event_bus_name: r.bus_name,
            event_pattern: r.event_pattern,
            schedule_expression: r.schedule_expression,
            description: r.description,
            role_arn: r.role_arn,
            managed_by: r.managed_by,
        }
    }
}

/// An event bus as DescribeEventBus and ListEventBuses answer it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventBusOut {
    name: String,
    arn: String,
    creation_time: f64,
    last_modified_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<String>,
}

impl From<EventBusRecord> for EventBusOut {
    fn from(b: EventBusRecord) -> Self {
        Self {
            creation_time: seconds(b.created_ms),
            last_modified_time: seconds(b.created_ms),
            name: b.name,
            arn: b.arn,
            description: b.description,
            policy: b.policy,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutEventsOutput {
    entries: Vec<Value>,
    failed_entry_count: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestEventPatternOutput {
    result: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateEventBusOutput {
    event_bus_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListEventBusesOutput {
    event_buses: Vec<EventBusOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRuleOutput {
    rule_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeRuleOutput {
    #[serde(flatten)]
    rule: RuleOut,
    created_by: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRulesOutput {
    rules: Vec<RuleOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// A target PutTargets could not use.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FailedEntry {
    target_id: String,
    error_code: String,
    error_message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetsOutput {
    failed_entry_count: usize,
    failed_entries: Vec<FailedEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTargetsOutput {
    targets: Vec<Target>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRuleNamesOutput {
    rule_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// What several operations share.
impl EventsService {
    /// The bus a parameter names, which must exist.
    fn existing_bus(&self, param: Option<&str>) -> Result<String, AwsError> {
        if let Some(p) = param {
            model::validate_bus_parameter(p, "eventBusName").map_err(api_error)?;
        }
        let bus = model::bus_name_of(param).to_owned();
        let exists = self
            .routing
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .buses
            .contains_key(&bus);
        if exists {
            Ok(bus)
        } else {
            Err(bus_not_found(&bus))
        }
    }

    async fn bus_policy(&self, bus: &str) -> Result<Option<String>, AwsError> {
        let name = bus.to_owned();
        Ok(self
            .stack
            .store
            .call(move |c| eventbridge::get_event_bus(c, &name))
            .await
            .map_err(store_error)?
            .and_then(|b| b.policy))
    }

    /// Stores a bus policy (checked as IAM parses it first) and tells the permission plane.
    async fn store_bus_policy(
        &self,
        bus: &str,
        arn: &str,
        policy: Option<String>,
    ) -> Result<(), AwsError> {
        let attached = match &policy {
            Some(text) => Some(
                crate::permissions::model::Attached::parse(
                    "events",
                    &format!("event bus policy of {bus}"),
                    vec![arn.to_owned()],
                    text,
                )
                .map_err(|e| {
                    AwsError::client("ValidationException", format!("Invalid policy: {e}"))
                })?,
            ),
            None => None,
        };
        let name = bus.to_owned();
        self.stack
            .store
            .write(move |tx| eventbridge::set_event_bus_policy(tx, &name, policy.as_deref()))
            .await
            .map_err(store_error)?;
        let key = format!("events:{arn}");
        match attached {
            Some(a) => self.stack.permissions.set_resource_policy(&key, a),
            None => self.stack.permissions.remove_resource_policy(&key),
        }
        Ok(())
    }

    async fn stored_rule(&self, bus: &str, name: &str) -> Result<RuleRecord, AwsError> {
        let (b, n) = (bus.to_owned(), name.to_owned());
        self.stack
            .store
            .call(move |c| eventbridge::get_rule(c, &b, &n))
            .await
            .map_err(store_error)?
            .ok_or_else(|| rule_not_found(name, bus))
    }

    /// EnableRule / DisableRule: the rule's state, stored and routed.
    async fn set_state(&self, req: RuleRequest, state: RuleState) -> Result<Empty, AwsError> {
        model::validate_rule_name(&req.name).map_err(api_error)?;
        let bus = self.existing_bus(req.event_bus_name.as_deref())?;
        let _guard = self.writes.lock().await;
        let rule = self.stored_rule(&bus, &req.name).await?;
        let updated = RuleRecord {
            state: state_name(state),
            ..rule
        };
        self.stack
            .store
            .write(move |tx| eventbridge::upsert_rule(tx, &updated))
            .await
            .map_err(store_error)?;
        if let Some(r) = self
            .routing
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .rule_mut(&bus, &req.name)
        {
            r.rule.state = state;
        }
        Ok(Empty {})
    }
}

// ----- the operations -----------------------------------------------------------------------

/// `PutEvents`.
pub struct PutEvents;

impl Operation<EventsService> for PutEvents {
    const NAME: &'static str = "PutEvents";
    type Input = PutEventsRequest;
    type Output = PutEventsOutput;

    async fn run(
        svc: Arc<EventsService>,
        req: PutEventsRequest,
    ) -> Result<PutEventsOutput, AwsError> {
        let outcome = svc.put_entries(req.entries, None).await?;
        Ok(PutEventsOutput {
            entries: outcome.entries,
            failed_entry_count: outcome.failed_entry_count,
        })
    }
}

/// `CreateEventBus`.
pub struct CreateEventBus;

impl Operation<EventsService> for CreateEventBus {
    const NAME: &'static str = "CreateEventBus";
    type Input = CreateEventBusRequest;
    type Output = CreateEventBusOutput;

    async fn run(
        svc: Arc<EventsService>,
        req: CreateEventBusRequest,
    ) -> Result<CreateEventBusOutput, AwsError> {
        model::validate_bus_name(&req.name).map_err(api_error)?;
        if req.name == DEFAULT_BUS {
            return Err(validation("Event bus name must not be default."));
        }
        if req.event_source_name.is_some() {
            return Err(validation(
                "Partner event sources are not supported by the local stack.",
            ));
        }
        let _guard = svc.writes.lock().await;
        let record = EventBusRecord {
            name: req.name.clone(),
            arn: model::bus_arn(&svc.stack.region, &svc.stack.account_id, &req.name),
            description: req.description.clone(),
            policy: None,
            created_ms: svc.stack.clock.now_millis(),
            origin: "api".into(),
        };
        let name = req.name.clone();
        let rec = record.clone();
        let created = svc
            .stack
            .store
            .write(move |tx| {
                if eventbridge::get_event_bus(tx, &name)?.is_some() {
                    return Ok::<_, StoreError>(false);
                }
                eventbridge::upsert_event_bus(tx, &rec)?;
                Ok(true)
            })
            .await
            .map_err(store_error)?;
        if !created {
            return Err(AwsError::client(
                "ResourceAlreadyExistsException",
                format!("Event bus {} already exists.", req.name),
            ));
        }
        svc.routing
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .buses
            .entry(req.name)
            .or_default();
        Ok(CreateEventBusOutput {
            event_bus_arn: record.arn,
            description: record.description,
        })
    }
}

/// `DeleteEventBus`.
pub struct DeleteEventBus;

impl Operation<EventsService> for DeleteEventBus {
    const NAME: &'static str = "DeleteEventBus";
    type Input = NameRequest;
    type Output = Empty;

    async fn run(svc: Arc<EventsService>, req: NameRequest) -> Result<Empty, AwsError> {
        if req.name == DEFAULT_BUS {
            return Err(validation("Cannot delete event bus default."));
        }
        model::validate_bus_name(&req.name).map_err(api_error)?;
        let _guard = svc.writes.lock().await;
        let name = req.name.clone();
        let has_rules = svc
            .stack
            .store
            .write(move |tx| {
                if !eventbridge::list_rules(tx, &name, None)?.is_empty() {
                    return Ok::<_, StoreError>(true);
                }
                eventbridge::delete_event_bus(tx, &name)?;
                Ok(false)
            })
            .await
            .map_err(store_error)?;
        if has_rules {
            return Err(validation(format!(
                "Cannot delete event bus {} because it still has rules.",
                req.name
            )));
        }
        // Deleting a bus that does not exist succeeds, as on AWS.
        svc.routing
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .buses
            .remove(&req.name);
        Ok(Empty {})
    }
}

/// `DescribeEventBus`.
pub struct DescribeEventBus;

impl Operation<EventsService> for DescribeEventBus {
    const NAME: &'static str = "DescribeEventBus";
    type Input = DescribeEventBusRequest;
    type Output = EventBusOut;

    async fn run(
        svc: Arc<EventsService>,
        req: DescribeEventBusRequest,
    ) -> Result<EventBusOut, AwsError> {
        let bus = svc.existing_bus(req.name.as_deref())?;
        let found = svc
            .stack
            .store
            .call(move |c| eventbridge::get_event_bus(c, &bus))
            .await
            .map_err(store_error)?;
        match found {
            Some(b) => Ok(b.into()),
            None => Err(bus_not_found(model::bus_name_of(req.name.as_deref()))),
        }
    }
}

/// PutPermission (EventBridge API reference): a whole `Policy`, or one statement — `Sid` =
/// `StatementId`, the `Principal` account (or `*`) may `events:PutEvents` on the bus, with an
/// optional `Condition` — added to (or replacing the same `Sid` in) the bus's policy.
pub struct PutPermission;

impl Operation<EventsService> for PutPermission {
    const NAME: &'static str = "PutPermission";
    type Input = PutPermissionRequest;
    type Output = Empty;

    async fn run(svc: Arc<EventsService>, req: PutPermissionRequest) -> Result<Empty, AwsError> {
        let bus = svc.existing_bus(req.event_bus_name.as_deref())?;
        let arn = eventbus::model::bus_arn(&svc.stack.region, &svc.stack.account_id, &bus);
        let current = svc.bus_policy(&bus).await?;
        let policy = match req.policy {
            Some(policy) => {
                if req.statement_id.is_some() || req.principal.is_some() || req.action.is_some() {
                    return Err(AwsError::client(
                        "ValidationException",
                        "Policy cannot be combined with Action, Principal, StatementId or Condition.",
                    ));
                }
                policy
            }
            None => {
                let sid = req.statement_id.unwrap_or_default();
                let valid_sid = (1..=64).contains(&sid.len())
                    && sid
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !valid_sid {
                    return Err(AwsError::client(
                        "ValidationException",
                        "StatementId must be 1 to 64 characters of a-z, A-Z, 0-9, - and _.",
                    ));
                }
                if req.action.as_deref() != Some("events:PutEvents") {
                    return Err(AwsError::client(
                        "ValidationException",
                        "Provided value in parameter 'action' is not supported.",
                    ));
                }
                let principal = match req.principal.as_deref() {
                    Some("*") => json!("*"),
                    Some(a) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => {
                        json!({"AWS": format!("arn:aws:iam::{a}:root")})
                    }
                    _ => {
                        return Err(AwsError::client(
                            "ValidationException",
                            "Principal must be a 12-digit account id or *.",
                        ));
                    }
                };
                let mut statement = json!({"Sid": sid, "Effect": "Allow", "Principal": principal,
                    "Action": "events:PutEvents", "Resource": arn});
                if let Some(c) = &req.condition {
                    let (Some(t), Some(k), Some(v)) = (
                        c.get("Type").and_then(Value::as_str),
                        c.get("Key").and_then(Value::as_str),
                        c.get("Value").and_then(Value::as_str),
                    ) else {
                        return Err(AwsError::client(
                            "ValidationException",
                            "Condition needs Type, Key and Value.",
                        ));
                    };
                    statement["Condition"] = json!({ t: { k: v } });
                }
                let mut doc = current
                    .as_deref()
                    .and_then(|p| serde_json::from_str::<Value>(p).ok())
                    .unwrap_or_else(|| json!({"Version": "2012-10-17", "Statement": []}));
                let mut statements: Vec<Value> = doc["Statement"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|s| s["Sid"] != statement["Sid"])
                    .collect();
                statements.push(statement);
                doc["Statement"] = Value::Array(statements);
                doc.to_string()
            }
        };
        svc.store_bus_policy(&bus, &arn, Some(policy)).await?;
        Ok(Empty {})
    }
}

/// RemovePermission: one statement by `StatementId`, or every one (`RemoveAllPermissions`).
pub struct RemovePermission;

impl Operation<EventsService> for RemovePermission {
    const NAME: &'static str = "RemovePermission";
    type Input = RemovePermissionRequest;
    type Output = Empty;

    async fn run(svc: Arc<EventsService>, req: RemovePermissionRequest) -> Result<Empty, AwsError> {
        let bus = svc.existing_bus(req.event_bus_name.as_deref())?;
        let arn = eventbus::model::bus_arn(&svc.stack.region, &svc.stack.account_id, &bus);
        if req.remove_all_permissions == Some(true) {
            svc.store_bus_policy(&bus, &arn, None).await?;
            return Ok(Empty {});
        }
        let sid = req.statement_id.unwrap_or_default();
        let not_found = || {
            AwsError::client(
                "ResourceNotFoundException",
                "Statement with the provided id does not exist.",
            )
        };
        let mut doc = svc
            .bus_policy(&bus)
            .await?
            .and_then(|p| serde_json::from_str::<Value>(&p).ok())
            .ok_or_else(not_found)?;
        let statements = doc["Statement"].as_array().cloned().unwrap_or_default();
        let kept: Vec<Value> = statements
            .iter()
            .filter(|s| s["Sid"] != sid.as_str())
            .cloned()
            .collect();
        if kept.len() == statements.len() {
            return Err(not_found());
        }
        let policy = if kept.is_empty() {
            None
        } else {
            doc["Statement"] = Value::Array(kept);
            Some(doc.to_string())
        };
        svc.store_bus_policy(&bus, &arn, policy).await?;
        Ok(Empty {})
    }
}

/// `ListEventBuses`.
pub struct ListEventBuses;

impl Operation<EventsService> for ListEventBuses {
    const NAME: &'static str = "ListEventBuses";
    type Input = ListRequest;
    type Output = ListEventBusesOutput;

    async fn run(
        svc: Arc<EventsService>,
        req: ListRequest,
    ) -> Result<ListEventBusesOutput, AwsError> {
        let prefix = req.name_prefix.unwrap_or_default();
        let request =
            EVENT_BUSES.request(&prefix, req.limit, req.next_token.as_deref(), &ERRORS)?;
        let buses = svc
            .stack
            .store
            .call(eventbridge::list_event_buses)
            .await
            .map_err(store_error)?;
        let matching: Vec<EventBusOut> = buses
            .into_iter()
            .filter(|b| b.name.starts_with(&prefix))
            .map(EventBusOut::from)
            .collect();
        let page = request.page(matching)?;
        Ok(ListEventBusesOutput {
            event_buses: page.items,
            next_token: page.next_token,
        })
    }
}

/// `PutRule`.
pub struct PutRule;

impl Operation<EventsService> for PutRule {
    const NAME: &'static str = "PutRule";
    type Input = PutRuleRequest;
    type Output = PutRuleOutput;

    async fn run(svc: Arc<EventsService>, req: PutRuleRequest) -> Result<PutRuleOutput, AwsError> {
        let (rule, _pattern) = model::put_rule(&req).map_err(api_error)?;
        let bus = svc.existing_bus(req.event_bus_name.as_deref())?;
        let arn = model::rule_arn(&svc.stack.region, &svc.stack.account_id, &bus, &rule.name);
        let _guard = svc.writes.lock().await;
        let record = RuleRecord {
            bus_name: bus.clone(),
            name: rule.name.clone(),
            arn: arn.clone(),
            event_pattern: rule.event_pattern.clone(),
            schedule_expression: rule.schedule_expression.clone(),
            state: state_name(rule.state),
            description: rule.description.clone(),
            role_arn: rule.role_arn.clone(),
            managed_by: None,
            created_ms: svc.stack.clock.now_millis(),
            origin: "api".into(),
        };
        svc.stack
            .store
            .write(move |tx| {
                // An update keeps where the rule came from (template or API).
                let origin = eventbridge::get_rule(tx, &record.bus_name, &record.name)?
                    .map_or_else(|| record.origin.clone(), |r| r.origin);
                eventbridge::upsert_rule(tx, &RuleRecord { origin, ..record })
            })
            .await
            .map_err(store_error)?;
        let mut routing = svc.routing.write().unwrap_or_else(|e| e.into_inner());
        let targets = routing
            .rule_mut(&bus, &rule.name)
            .map(|r| r.rule.targets.clone())
            .unwrap_or_default();
        routing.put_rule(arn.clone(), model::Rule { targets, ..rule });
        Ok(PutRuleOutput { rule_arn: arn })
    }
}

/// `DescribeRule`.
pub struct DescribeRule;

impl Operation<EventsService> for DescribeRule {
    const NAME: &'static str = "DescribeRule";
    type Input = RuleRequest;
    type Output = DescribeRuleOutput;

    async fn run(
        svc: Arc<EventsService>,
        req: RuleRequest,
    ) -> Result<DescribeRuleOutput, AwsError> {
        model::validate_rule_name(&req.name).map_err(api_error)?;
        let bus = svc.existing_bus(req.event_bus_name.as_deref())?;
        let rule = svc.stored_rule(&bus, &req.name).await?;
        Ok(DescribeRuleOutput {
            rule: rule.into(),
            created_by: svc.stack.account_id.clone(),
        })
    }
}

/// `ListRules`.
pub struct ListRules;

impl Operation<EventsService> for ListRules {
    const NAME: &'static str = "ListRules";
    type Input = ListRequest;
    type Output = ListRulesOutput;

    async fn run(svc: Arc<EventsService>, req: ListRequest) -> Result<ListRulesOutput, AwsError> {
        let within = format!(
            "{}:{}",
            model::bus_name_of(req.event_bus_name.as_deref()),
            req.name_prefix.as_deref().unwrap_or("")
        );
        let request = RULES.request(&within, req.limit, req.next_token.as_deref(), &ERRORS)?;
        let bus = svc.existing_bus(req.event_bus_name.as_deref())?;
        let prefix = req.name_prefix.clone();
        let rules = svc
            .stack
            .store
            .call(move |c| eventbridge::list_rules(c, &bus, prefix.as_deref()))
            .await
            .map_err(store_error)?;
        let items: Vec<RuleOut> = rules.into_iter().map(RuleOut::from).collect();
        let page = request.page(items)?;
        Ok(ListRulesOutput {
            rules: page.items,
            next_token: page.next_token,
        })
    }
}

/// `DeleteRule`.
pub struct DeleteRule;

impl Operation<EventsService> for DeleteRule {
    const NAME: &'static str = "DeleteRule";
    type Input = RuleRequest;
    type Output = Empty;

    async fn run(svc: Arc<EventsService>, req: RuleRequest) -> Result<Empty, AwsError> {
        model::validate_rule_name(&req.name).map_err(api_error)?;
        let bus = svc.existing_bus(req.event_bus_name.as_deref())?;
        let _guard = svc.writes.lock().await;
        let (b, n) = (bus.clone(), req.name.clone());
        let has_targets = svc
            .stack
            .store
            .write(move |tx| {
                if !eventbridge::list_targets(tx, &b, &n)?.is_empty() {
                    return Ok::<_, StoreError>(true);
                }
                eventbridge::delete_rule(tx, &b, &n)?;
                Ok(false)
            })
            .await
            .map_err(store_error)?;
        if has_targets {
            return Err(validation("Rule can't be deleted since it has targets."));
        }
        // Deleting a rule that does not exist succeeds, as on AWS.
        svc.routing
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove_rule(&bus, &req.name);
        Ok(Empty {})
    }
}

/// `PutTargets`.
pub struct PutTargets;

impl Operation<EventsService> for PutTargets {
    const NAME: &'static str = "PutTargets";
    type Input = PutTargetsRequest;
    type Output = TargetsOutput;

    async fn run(
        svc: Arc<EventsService>,
        req: PutTargetsRequest,
    ) -> Result<TargetsOutput, AwsError> {
        model::validate_rule_name(&req.rule).map_err(|e| {
            api_error(model::ApiError {
                message: e.message.replace("at 'name'", "at 'rule'"),
                ..e
            })
        })?;
        let bus = svc.existing_bus(req.event_bus_name.as_deref())?;
        let _guard = svc.writes.lock().await;
        let stored = svc.stored_rule(&bus, &req.rule).await?;
        let existing = {
            let (b, n) = (bus.clone(), req.rule.clone());
            svc.stack
                .store
                .call(move |c| eventbridge::list_targets(c, &b, &n))
                .await
                .map_err(store_error)?
        };
        let mut rule = routing::rule_from_record(&stored, &existing);
        if req.targets.is_empty() || req.targets.len() > model::MAX_TARGETS_PER_REQUEST {
            // The engine words the request-level count errors.
            model::put_targets(&mut rule, &req.targets).map_err(api_error)?;
        }
        // Field constraints fail the request; a target whose settings cannot
        // be used fails alone, in FailedEntries.
        let mut accepted = Vec::new();
        let mut failed = Vec::new();
        for (i, target) in req.targets.iter().enumerate() {
            match model::validate_target(target, i + 1) {
                Ok(_) => accepted.push(target.clone()),
                Err(e) if e.message.starts_with("1 validation error detected") => {
                    return Err(api_error(e));
                }
                Err(e) => failed.push(FailedEntry {
                    target_id: target.id.clone(),
                    error_code: e.code,
                    error_message: e.message,
                }),
            }
        }
        if !accepted.is_empty() {
            model::put_targets(&mut rule, &accepted).map_err(api_error)?;
            let records: Vec<_> = accepted
                .iter()
                .map(|t| routing::target_to_record(&bus, &req.rule, t))
                .collect();
            svc.stack
                .store
                .write(move |tx| {
                    for r in &records {
                        eventbridge::put_target(tx, r)?;
                    }
                    Ok::<_, StoreError>(())
                })
                .await
                .map_err(store_error)?;
            if let Some(r) = svc
                .routing
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .rule_mut(&bus, &req.rule)
            {
                r.rule.targets = rule.targets;
            }
        }
        Ok(TargetsOutput {
            failed_entry_count: failed.len(),
            failed_entries: failed,
        })
    }
}

/// `RemoveTargets`.
pub struct RemoveTargets;

impl Operation<EventsService> for RemoveTargets {
    const NAME: &'static str = "RemoveTargets";
    type Input = RemoveTargetsRequest;
    type Output = TargetsOutput;

    async fn run(
        svc: Arc<EventsService>,
        req: RemoveTargetsRequest,
    ) -> Result<TargetsOutput, AwsError> {
        let bus = svc.existing_bus(req.event_bus_name.as_deref())?;
        let _guard = svc.writes.lock().await;
        svc.stored_rule(&bus, &req.rule).await?;
        let (b, n, ids) = (bus.clone(), req.rule.clone(), req.ids.clone());
        svc.stack
            .store
            .write(move |tx| {
                for id in &ids {
                    eventbridge::remove_target(tx, &b, &n, id)?;
                }
                Ok::<_, StoreError>(())
            })
            .await
            .map_err(store_error)?;
        if let Some(r) = svc
            .routing
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .rule_mut(&bus, &req.rule)
        {
            r.rule.targets.retain(|t| !req.ids.contains(&t.id));
        }
        // Removing an id the rule does not have is not an error.
        Ok(TargetsOutput {
            failed_entry_count: 0,
            failed_entries: Vec::new(),
        })
    }
}

/// `ListTargetsByRule`.
pub struct ListTargetsByRule;

impl Operation<EventsService> for ListTargetsByRule {
    const NAME: &'static str = "ListTargetsByRule";
    type Input = ListTargetsByRuleRequest;
    type Output = ListTargetsOutput;

    async fn run(
        svc: Arc<EventsService>,
        req: ListTargetsByRuleRequest,
    ) -> Result<ListTargetsOutput, AwsError> {
        let within = format!(
            "{}:{}",
            model::bus_name_of(req.event_bus_name.as_deref()),
            req.rule
        );
        let request = TARGETS.request(&within, req.limit, req.next_token.as_deref(), &ERRORS)?;
        let bus = svc.existing_bus(req.event_bus_name.as_deref())?;
        svc.stored_rule(&bus, &req.rule).await?;
        let (b, n) = (bus, req.rule.clone());
        let targets = svc
            .stack
            .store
            .call(move |c| eventbridge::list_targets(c, &b, &n))
            .await
            .map_err(store_error)?;
        let items: Vec<Target> = targets.iter().map(routing::target_from_record).collect();
        let page = request.page(items)?;
        Ok(ListTargetsOutput {
            targets: page.items,
            next_token: page.next_token,
        })
    }
}

/// `ListRuleNamesByTarget`.
pub struct ListRuleNamesByTarget;

impl Operation<EventsService> for ListRuleNamesByTarget {
    const NAME: &'static str = "ListRuleNamesByTarget";
    type Input = ListRuleNamesByTargetRequest;
    type Output = ListRuleNamesOutput;

    async fn run(
        svc: Arc<EventsService>,
        req: ListRuleNamesByTargetRequest,
    ) -> Result<ListRuleNamesOutput, AwsError> {
        let within = format!(
            "{}:{}",
            model::bus_name_of(req.event_bus_name.as_deref()),
            req.target_arn
        );
        let request = RULE_NAMES.request(&within, req.limit, req.next_token.as_deref(), &ERRORS)?;
        let bus = svc.existing_bus(req.event_bus_name.as_deref())?;
        let names: Vec<String> = {
            let routing = svc.routing.read().unwrap_or_else(|e| e.into_inner());
            let mut names: Vec<String> = routing
                .buses
                .get(&bus)
                .map(|b| {
                    b.rules
                        .values()
                        .filter(|r| r.rule.targets.iter().any(|t| t.arn == req.target_arn))
                        .map(|r| r.rule.name.clone())
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            names
        };
        let page = request.page(names)?;
        Ok(ListRuleNamesOutput {
            rule_names: page.items,
            next_token: page.next_token,
        })
    }
}

/// `TestEventPattern`: whether the pattern matches the event.
pub struct TestEventPattern;

impl Operation<EventsService> for TestEventPattern {
    const NAME: &'static str = "TestEventPattern";
    type Input = TestEventPatternRequest;
    type Output = TestEventPatternOutput;

    async fn run(
        svc: Arc<EventsService>,
        req: TestEventPatternRequest,
    ) -> Result<TestEventPatternOutput, AwsError> {
        // Matching is CPU work: on an engine thread, off the async workers.
        svc.stack
            .engines
            .run(
                move || match eventbus::test_event_pattern(&req.event_pattern, &req.event) {
                    Ok(result) => Ok(TestEventPatternOutput { result }),
                    Err(e) => Err(AwsError::client(e.code, e.message)),
                },
            )
            .await
            .unwrap_or_else(|| Err(AwsError::internal("the matcher failed")))
    }
}

/// `EnableRule`.
pub struct EnableRule;

impl Operation<EventsService> for EnableRule {
    const NAME: &'static str = "EnableRule";
    type Input = RuleRequest;
    type Output = Empty;

    async fn run(svc: Arc<EventsService>, req: RuleRequest) -> Result<Empty, AwsError> {
        svc.set_state(req, RuleState::Enabled).await
    }
}

/// `DisableRule`.
pub struct DisableRule;

impl Operation<EventsService> for DisableRule {
    const NAME: &'static str = "DisableRule";
    type Input = RuleRequest;
    type Output = Empty;

    async fn run(svc: Arc<EventsService>, req: RuleRequest) -> Result<Empty, AwsError> {
        svc.set_state(req, RuleState::Disabled).await
    }
}

// ----- the registry -------------------------------------------------------------------------

static OPERATIONS: LazyLock<Operations<EventsService>> = LazyLock::new(|| {
    Operations::new(&ERRORS)
        .with::<PutEvents>()
        .with::<TestEventPattern>()
        .with::<CreateEventBus>()
        .with::<DeleteEventBus>()
        .with::<DescribeEventBus>()
        .with::<PutPermission>()
        .with::<RemovePermission>()
        .with::<ListEventBuses>()
        .with::<PutRule>()
        .with::<DescribeRule>()
        .with::<ListRules>()
        .with::<EnableRule>()
        .with::<DisableRule>()
        .with::<DeleteRule>()
        .with::<PutTargets>()
        .with::<RemoveTargets>()
        .with::<ListTargetsByRule>()
        .with::<ListRuleNamesByTarget>()
});

/// Runs one operation by name, once the service's state is loaded.
pub(super) fn call(svc: Arc<EventsService>, operation: String, input: Value) -> ServiceFuture {
    Box::pin(async move {
        svc.ensure_loaded().await?;
        OPERATIONS.call(svc, &operation, input).await
    })
}
