//! The API operations: one function per operation, typed request in, JSON response or AWS error out.

use std::sync::Arc;

use eventbus::model::{self, DEFAULT_BUS, PutRuleRequest, RuleState, Target};
use eventbus::put_events::PutEventsRequestEntry;
use serde::Deserialize;
use serde_json::{Value, json};

use super::routing::{self, state_name};
use super::{EventsService, store_error};
use crate::protocol::error::AwsError;
use crate::protocol::{decode, null_member_message};
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

fn seconds(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// `Limit` / `NextToken` paging over an ordered list: the token is the index of the next item.
fn page<T>(
    scope: &str,
    items: Vec<T>,
    limit: Option<i64>,
    token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    if let Some(l) = limit
        && !(1..=100).contains(&l)
    {
        let constraint = if l < 1 {
            "Member must have value greater than or equal to 1"
        } else {
            "Member must have value less than or equal to 100"
        };
        return Err(validation(format!(
            "1 validation error detected: Value '{l}' at 'limit' failed to satisfy constraint: {constraint}"
        )));
    }
    let start = match token {
        None => 0,
        Some(t) => crate::protocol::tokens::open(scope, t)
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|s| *s <= items.len())
            .ok_or_else(|| validation("The NextToken provided is invalid."))?,
    };
    let limit = usize::try_from(limit.unwrap_or(100)).unwrap_or(100);
    let end = start.saturating_add(limit).min(items.len());
    let next = (end < items.len()).then(|| crate::protocol::tokens::seal(scope, &end.to_string()));
    let page = items.into_iter().skip(start).take(end - start).collect();
    Ok((page, next))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutEventsRequest {
    entries: Vec<PutEventsRequestEntry>,
    #[serde(default)]
    #[allow(dead_code)]
    endpoint_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TestEventPatternRequest {
    event_pattern: String,
    event: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NameRequest {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateEventBusRequest {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    event_source_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct PutPermissionRequest {
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
struct RemovePermissionRequest {
    #[serde(default)]
    event_bus_name: Option<String>,
    #[serde(default)]
    statement_id: Option<String>,
    #[serde(default)]
    remove_all_permissions: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct DescribeEventBusRequest {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
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
struct RuleRequest {
    name: String,
    #[serde(default)]
    event_bus_name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    force: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutTargetsRequest {
    rule: String,
    #[serde(default)]
    event_bus_name: Option<String>,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RemoveTargetsRequest {
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
struct ListTargetsByRuleRequest {
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
struct ListRuleNamesByTargetRequest {
    target_arn: String,
    #[serde(default)]
    event_bus_name: Option<String>,
    #[serde(default)]
    next_token: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

fn rule_json(r: &RuleRecord) -> Value {
    let mut out = json!({
        "Name": r.name,
        "Arn": r.arn,
        "State": r.state,
        "EventBusName": r.bus_name,
    });
    let put = |out: &mut Value, key: &str, v: &Option<String>| {
        if let Some(v) = v {
            out[key] = json!(v);
        }
    };
    put(&mut out, "EventPattern", &r.event_pattern);
    put(&mut out, "ScheduleExpression", &r.schedule_expression);
    put(&mut out, "Description", &r.description);
    put(&mut out, "RoleArn", &r.role_arn);
    put(&mut out, "ManagedBy", &r.managed_by);
    out
}

fn bus_json(b: &EventBusRecord) -> Value {
    let mut out = json!({
        "Name": b.name,
        "Arn": b.arn,
        "CreationTime": seconds(b.created_ms),
        "LastModifiedTime": seconds(b.created_ms),
    });
    if let Some(d) = &b.description {
        out["Description"] = json!(d);
    }
    if let Some(p) = &b.policy {
        out["Policy"] = json!(p);
    }
    out
}

impl EventsService {
    pub(super) async fn dispatch(
        self: Arc<Self>,
        operation: &str,
        input: Value,
    ) -> Result<Value, AwsError> {
        self.ensure_loaded().await?;
        match operation {
            "PutEvents" => self.op_put_events(decode(input, missing)?).await,
            "TestEventPattern" => {
                // Matching is CPU work: on an engine thread, off the async workers.
                let req = decode(input, missing)?;
                self.stack
                    .engines
                    .run(move || op_test_event_pattern(req))
                    .await
                    .unwrap_or_else(|| Err(AwsError::internal("the matcher failed")))
            }
            "CreateEventBus" => self.op_create_event_bus(decode(input, missing)?).await,
            "DeleteEventBus" => self.op_delete_event_bus(decode(input, missing)?).await,
            "DescribeEventBus" => self.op_describe_event_bus(decode(input, missing)?).await,
            "PutPermission" => self.op_put_permission(decode(input, missing)?).await,
            "RemovePermission" => self.op_remove_permission(decode(input, missing)?).await,
            "ListEventBuses" => self.op_list_event_buses(decode(input, missing)?).await,
            "PutRule" => self.op_put_rule(decode(input, missing)?).await,
            "DescribeRule" => self.op_describe_rule(decode(input, missing)?).await,
            "ListRules" => self.op_list_rules(decode(input, missing)?).await,
            "EnableRule" => {
                self.op_set_state(decode(input, missing)?, RuleState::Enabled)
                    .await
            }
            "DisableRule" => {
                self.op_set_state(decode(input, missing)?, RuleState::Disabled)
                    .await
            }
            "DeleteRule" => self.op_delete_rule(decode(input, missing)?).await,
            "PutTargets" => self.op_put_targets(decode(input, missing)?).await,
            "RemoveTargets" => self.op_remove_targets(decode(input, missing)?).await,
            "ListTargetsByRule" => self.op_list_targets(decode(input, missing)?).await,
            "ListRuleNamesByTarget" => {
                self.op_list_rule_names_by_target(decode(input, missing)?)
                    .await
            }
            _ => Err(AwsError::unknown_operation()),
        }
    }

    async fn op_put_events(&self, req: PutEventsRequest) -> Result<Value, AwsError> {
        Ok(self.put_entries(req.entries, None).await?.to_json())
    }

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

    async fn op_create_event_bus(&self, req: CreateEventBusRequest) -> Result<Value, AwsError> {
        model::validate_bus_name(&req.name).map_err(api_error)?;
        if req.name == DEFAULT_BUS {
            return Err(validation("Event bus name must not be default."));
        }
        if req.event_source_name.is_some() {
            return Err(validation(
                "Partner event sources are not supported by the local stack.",
            ));
        }
        if let Some(d) = &req.description
            && d.chars().count() > 512
        {
            return Err(validation(format!(
                "1 validation error detected: Value '{d}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 512"
            )));
        }
        let _guard = self.writes.lock().await;
        let record = EventBusRecord {
            name: req.name.clone(),
            arn: model::bus_arn(&self.stack.region, &self.stack.account_id, &req.name),
            description: req.description.clone(),
            policy: None,
            created_ms: self.stack.clock.now_millis(),
            origin: "api".into(),
        };
        let name = req.name.clone();
        let rec = record.clone();
        let created = self
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
        self.routing
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .buses
            .entry(req.name)
            .or_default();
        let mut out = json!({ "EventBusArn": record.arn });
        if let Some(d) = record.description {
            out["Description"] = json!(d);
        }
        Ok(out)
    }

    async fn op_delete_event_bus(&self, req: NameRequest) -> Result<Value, AwsError> {
        if req.name == DEFAULT_BUS {
            return Err(validation("Cannot delete event bus default."));
        }
        model::validate_bus_name(&req.name).map_err(api_error)?;
        let _guard = self.writes.lock().await;
        let name = req.name.clone();
        let has_rules = self
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
        self.routing
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .buses
            .remove(&req.name);
        Ok(json!({}))
    }

    async fn op_describe_event_bus(&self, req: DescribeEventBusRequest) -> Result<Value, AwsError> {
        let bus = self.existing_bus(req.name.as_deref())?;
        let found = self
            .stack
            .store
            .call(move |c| eventbridge::get_event_bus(c, &bus))
            .await
            .map_err(store_error)?;
        match found {
            Some(b) => Ok(bus_json(&b)),
            None => Err(bus_not_found(model::bus_name_of(req.name.as_deref()))),
        }
    }

    /// PutPermission (EventBridge API reference): a whole `Policy`, or one statement — `Sid` =
    /// `StatementId`, the `Principal` account (or `*`) may `events:PutEvents` on the bus, with an
    /// optional `Condition` — added to (or replacing the same `Sid` in) the bus's policy.
    async fn op_put_permission(&self, req: PutPermissionRequest) -> Result<Value, AwsError> {
        let bus = self.existing_bus(req.event_bus_name.as_deref())?;
        let arn = eventbus::model::bus_arn(&self.stack.region, &self.stack.account_id, &bus);
        let current = self.bus_policy(&bus).await?;
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
        self.store_bus_policy(&bus, &arn, Some(policy)).await?;
        Ok(json!({}))
    }

    /// RemovePermission: one statement by `StatementId`, or every one (`RemoveAllPermissions`).
    async fn op_remove_permission(&self, req: RemovePermissionRequest) -> Result<Value, AwsError> {
        let bus = self.existing_bus(req.event_bus_name.as_deref())?;
        let arn = eventbus::model::bus_arn(&self.stack.region, &self.stack.account_id, &bus);
        if req.remove_all_permissions == Some(true) {
            self.store_bus_policy(&bus, &arn, None).await?;
            return Ok(json!({}));
        }
        let sid = req.statement_id.unwrap_or_default();
        let not_found = || {
            AwsError::client(
                "ResourceNotFoundException",
                "Statement with the provided id does not exist.",
            )
        };
        let mut doc = self
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
        self.store_bus_policy(&bus, &arn, policy).await?;
        Ok(json!({}))
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

    async fn op_list_event_buses(&self, req: ListRequest) -> Result<Value, AwsError> {
        let buses = self
            .stack
            .store
            .call(eventbridge::list_event_buses)
            .await
            .map_err(store_error)?;
        let prefix = req.name_prefix.unwrap_or_default();
        let matching: Vec<Value> = buses
            .iter()
            .filter(|b| b.name.starts_with(&prefix))
            .map(bus_json)
            .collect();
        let (items, next) = page(
            "events:ListEventBuses",
            matching,
            req.limit,
            req.next_token.as_deref(),
        )?;
        let mut out = json!({ "EventBuses": items });
        if let Some(t) = next {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }

    async fn op_put_rule(&self, req: PutRuleRequest) -> Result<Value, AwsError> {
        let (rule, _pattern) = model::put_rule(&req).map_err(api_error)?;
        let bus = self.existing_bus(req.event_bus_name.as_deref())?;
        let arn = model::rule_arn(&self.stack.region, &self.stack.account_id, &bus, &rule.name);
        let _guard = self.writes.lock().await;
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
            created_ms: self.stack.clock.now_millis(),
            origin: "api".into(),
        };
        self.stack
            .store
            .write(move |tx| {
                // An update keeps where the rule came from (template or API).
                let origin = eventbridge::get_rule(tx, &record.bus_name, &record.name)?
                    .map_or_else(|| record.origin.clone(), |r| r.origin);
                eventbridge::upsert_rule(tx, &RuleRecord { origin, ..record })
            })
            .await
            .map_err(store_error)?;
        let mut routing = self.routing.write().unwrap_or_else(|e| e.into_inner());
        let targets = routing
            .rule_mut(&bus, &rule.name)
            .map(|r| r.rule.targets.clone())
            .unwrap_or_default();
        routing.put_rule(arn.clone(), model::Rule { targets, ..rule });
        Ok(json!({ "RuleArn": arn }))
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

    async fn op_describe_rule(&self, req: RuleRequest) -> Result<Value, AwsError> {
        model::validate_rule_name(&req.name).map_err(api_error)?;
        let bus = self.existing_bus(req.event_bus_name.as_deref())?;
        let rule = self.stored_rule(&bus, &req.name).await?;
        let mut out = rule_json(&rule);
        out["CreatedBy"] = json!(self.stack.account_id);
        Ok(out)
    }

    async fn op_list_rules(&self, req: ListRequest) -> Result<Value, AwsError> {
        let bus = self.existing_bus(req.event_bus_name.as_deref())?;
        let prefix = req.name_prefix.clone();
        let rules = self
            .stack
            .store
            .call(move |c| eventbridge::list_rules(c, &bus, prefix.as_deref()))
            .await
            .map_err(store_error)?;
        let items: Vec<Value> = rules.iter().map(rule_json).collect();
        let (items, next) = page(
            "events:ListRules",
            items,
            req.limit,
            req.next_token.as_deref(),
        )?;
        let mut out = json!({ "Rules": items });
        if let Some(t) = next {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }

    async fn op_set_state(&self, req: RuleRequest, state: RuleState) -> Result<Value, AwsError> {
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
        Ok(json!({}))
    }

    async fn op_delete_rule(&self, req: RuleRequest) -> Result<Value, AwsError> {
        model::validate_rule_name(&req.name).map_err(api_error)?;
        let bus = self.existing_bus(req.event_bus_name.as_deref())?;
        let _guard = self.writes.lock().await;
        let (b, n) = (bus.clone(), req.name.clone());
        let has_targets = self
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
        self.routing
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove_rule(&bus, &req.name);
        Ok(json!({}))
    }

    async fn op_put_targets(&self, req: PutTargetsRequest) -> Result<Value, AwsError> {
        model::validate_rule_name(&req.rule).map_err(|e| {
            api_error(model::ApiError {
                message: e.message.replace("at 'name'", "at 'rule'"),
                ..e
            })
        })?;
        let bus = self.existing_bus(req.event_bus_name.as_deref())?;
        let _guard = self.writes.lock().await;
        let stored = self.stored_rule(&bus, &req.rule).await?;
        let existing = {
            let (b, n) = (bus.clone(), req.rule.clone());
            self.stack
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
                Err(e) => failed.push(json!({
                    "TargetId": target.id,
                    "ErrorCode": e.code,
                    "ErrorMessage": e.message,
                })),
            }
        }
        if !accepted.is_empty() {
            model::put_targets(&mut rule, &accepted).map_err(api_error)?;
            let records: Vec<_> = accepted
                .iter()
                .map(|t| routing::target_to_record(&bus, &req.rule, t))
                .collect();
            self.stack
                .store
                .write(move |tx| {
                    for r in &records {
                        eventbridge::put_target(tx, r)?;
                    }
                    Ok::<_, StoreError>(())
                })
                .await
                .map_err(store_error)?;
            if let Some(r) = self
                .routing
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .rule_mut(&bus, &req.rule)
            {
                r.rule.targets = rule.targets;
            }
        }
        Ok(json!({ "FailedEntryCount": failed.len(), "FailedEntries": failed }))
    }

    async fn op_remove_targets(&self, req: RemoveTargetsRequest) -> Result<Value, AwsError> {
        if req.ids.is_empty() || req.ids.len() > 100 {
            let constraint = if req.ids.is_empty() {
                "Member must have length greater than or equal to 1"
            } else {
                "Member must have length less than or equal to 100"
            };
            return Err(validation(format!(
                "1 validation error detected: Value at 'ids' failed to satisfy constraint: {constraint}"
            )));
        }
        let bus = self.existing_bus(req.event_bus_name.as_deref())?;
        let _guard = self.writes.lock().await;
        self.stored_rule(&bus, &req.rule).await?;
        let (b, n, ids) = (bus.clone(), req.rule.clone(), req.ids.clone());
        self.stack
            .store
            .write(move |tx| {
                for id in &ids {
                    eventbridge::remove_target(tx, &b, &n, id)?;
                }
                Ok::<_, StoreError>(())
            })
            .await
            .map_err(store_error)?;
        if let Some(r) = self
            .routing
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .rule_mut(&bus, &req.rule)
        {
            r.rule.targets.retain(|t| !req.ids.contains(&t.id));
        }
        // Removing an id the rule does not have is not an error.
        Ok(json!({ "FailedEntryCount": 0, "FailedEntries": [] }))
    }

    async fn op_list_targets(&self, req: ListTargetsByRuleRequest) -> Result<Value, AwsError> {
        let bus = self.existing_bus(req.event_bus_name.as_deref())?;
        self.stored_rule(&bus, &req.rule).await?;
        let (b, n) = (bus, req.rule.clone());
        let targets = self
            .stack
            .store
            .call(move |c| eventbridge::list_targets(c, &b, &n))
            .await
            .map_err(store_error)?;
        let items: Vec<Value> = targets
            .iter()
            .map(|t| serde_json::to_value(routing::target_from_record(t)).unwrap_or(Value::Null))
            .collect();
        let (items, next) = page(
            "events:ListTargetsByRule",
            items,
            req.limit,
            req.next_token.as_deref(),
        )?;
        let mut out = json!({ "Targets": items });
        if let Some(t) = next {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }

    async fn op_list_rule_names_by_target(
        &self,
        req: ListRuleNamesByTargetRequest,
    ) -> Result<Value, AwsError> {
        let bus = self.existing_bus(req.event_bus_name.as_deref())?;
        let names: Vec<String> = {
            let routing = self.routing.read().unwrap_or_else(|e| e.into_inner());
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
        let (items, next) = page(
            "events:ListRuleNamesByTarget",
            names,
            req.limit,
            req.next_token.as_deref(),
        )?;
        let mut out = json!({ "RuleNames": items });
        if let Some(t) = next {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }
}

fn op_test_event_pattern(req: TestEventPatternRequest) -> Result<Value, AwsError> {
    match eventbus::test_event_pattern(&req.event_pattern, &req.event) {
        Ok(result) => Ok(json!({ "Result": result })),
        Err(e) => Err(AwsError::client(e.code, e.message)),
    }
}
