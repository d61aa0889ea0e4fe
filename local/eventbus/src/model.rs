//! Buses, rules and targets as plain data the host stores, with the
//! validation PutRule and PutTargets apply.
//!
//! Validation failures use the service's JSON error shape: an error code
//! (`ValidationException`, `LimitExceededException`, ...) and a message. Field
//! constraint messages follow the API's standard wording
//! `1 validation error detected: Value '...' at '...' failed to satisfy constraint: ...`.

use serde::{Deserialize, Serialize};

pub use crate::error::ApiError;
use crate::input::{InputTransformerSpec, TargetInput};
use crate::pattern::EventPattern;
use crate::retry::RetryPolicy;

/// Name of the bus every account has.
pub const DEFAULT_BUS: &str = "default";
/// Longest rule name.
pub const MAX_RULE_NAME: usize = 64;
/// Longest rule description.
pub const MAX_DESCRIPTION: usize = 512;
/// Longest event pattern accepted by PutRule.
pub const MAX_EVENT_PATTERN: usize = crate::pattern::MAX_EVENT_PATTERN_LENGTH;
/// Most targets one rule may have.
pub const MAX_TARGETS_PER_RULE: usize = 5;
/// Most targets one PutTargets request may carry.
pub const MAX_TARGETS_PER_REQUEST: usize = 10;
/// Longest target id.
pub const MAX_TARGET_ID: usize = 64;
/// Longest event bus name.
pub const MAX_BUS_NAME: usize = 256;

/// An event bus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventBus {
    pub name: String,
    pub arn: String,
}

impl EventBus {
    pub fn new(name: &str, region: &str, account: &str) -> EventBus {
        EventBus {
            name: name.to_owned(),
            arn: bus_arn(region, account, name),
        }
    }
}

pub fn bus_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:events:{region}:{account}:event-bus/{name}")
}

/// The ARN of a rule: rules on the default bus omit the bus name.
pub fn rule_arn(region: &str, account: &str, bus: &str, rule: &str) -> String {
    if bus == DEFAULT_BUS {
        format!("arn:aws:events:{region}:{account}:rule/{rule}")
    } else {
        format!("arn:aws:events:{region}:{account}:rule/{bus}/{rule}")
    }
}

/// The bus name an `EventBusName` parameter designates (a name or an ARN);
/// absent or empty means the default bus.
pub fn bus_name_of(param: Option<&str>) -> &str {
    match param {
        None | Some("") => DEFAULT_BUS,
        Some(p) => match p.strip_prefix("arn:") {
            Some(_) => p.rsplit_once("event-bus/").map_or(p, |(_, name)| name),
            None => p,
        },
    }
}

/// `ENABLED` or `DISABLED`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleState {
    #[default]
    Enabled,
    Disabled,
    EnabledWithAllCloudtrailManagementEvents,
}

impl RuleState {
    /// Whether events are routed to the rule's targets.
    pub fn is_enabled(self) -> bool {
        !matches!(self, RuleState::Disabled)
    }
}

/// `DeadLetterConfig` of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

/// A target as PutTargets takes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    pub id: String,
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_transformer: Option<InputTransformerSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<DeadLetterConfig>,
}

impl Target {
    /// The retry policy in force (AWS's defaults when none is set).
    pub fn effective_retry_policy(&self) -> RetryPolicy {
        self.retry_policy.unwrap_or_default()
    }

    /// The dead-letter queue ARN, if one is configured.
    pub fn dead_letter_arn(&self) -> Option<&str> {
        self.dead_letter_config
            .as_ref()
            .and_then(|d| d.arn.as_deref())
            .filter(|a| !a.is_empty())
    }

    /// The compiled input settings (validated).
    pub fn target_input(&self) -> Result<TargetInput, ApiError> {
        TargetInput::from_parts(
            &self.id,
            self.input.as_deref(),
            self.input_path.as_deref(),
            self.input_transformer.as_ref(),
        )
        .map_err(|e| ApiError::new(e.error_code(), e.message))
    }
}

/// A rule as the host stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub name: String,
    pub event_bus_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<String>,
    #[serde(default)]
    pub state: RuleState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default)]
    pub targets: Vec<Target>,
}

/// The parameters of a PutRule call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRuleRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_bus_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RuleState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

fn name_chars_ok(name: &str, extra: &[u8]) -> bool {
    name.bytes().all(|b| {
        b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_' || extra.contains(&b)
    })
}

/// Checks a rule name: 1 to 64 of `[.\-_A-Za-z0-9]`.
pub fn validate_rule_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::constraint(
            name,
            "name",
            "Member must have length greater than or equal to 1",
        ));
    }
    if name.chars().count() > MAX_RULE_NAME {
        return Err(ApiError::constraint(
            name,
            "name",
            "Member must have length less than or equal to 64",
        ));
    }
    if !name_chars_ok(name, b"") {
        return Err(ApiError::constraint(
            name,
            "name",
            "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
        ));
    }
    Ok(())
}

/// Checks a custom bus name for CreateEventBus: 1 to 256 of `[/.\-_A-Za-z0-9]`.
pub fn validate_bus_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::constraint(
            name,
            "name",
            "Member must have length greater than or equal to 1",
        ));
    }
    if name.chars().count() > MAX_BUS_NAME {
        return Err(ApiError::constraint(
            name,
            "name",
            "Member must have length less than or equal to 256",
        ));
    }
    if !name_chars_ok(name, b"/") {
        return Err(ApiError::constraint(
            name,
            "name",
            "Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+",
        ));
    }
    Ok(())
}

/// Checks an `EventBusName` parameter (a name or an event bus ARN, 1 to 1600
/// characters); `at` is the member name used in the error.
pub fn validate_bus_parameter(value: &str, at: &str) -> Result<(), ApiError> {
    use crate::put_events::EVENT_BUS_NAME_PATTERN;
    if value.is_empty() {
        return Err(ApiError::constraint(
            value,
            at,
            "Member must have length greater than or equal to 1",
        ));
    }
    if value.chars().count() > 1600 {
        return Err(ApiError::constraint(
            value,
            at,
            "Member must have length less than or equal to 1600",
        ));
    }
    if !crate::put_events::is_valid_bus_parameter(value) {
        return Err(ApiError::constraint(
            value,
            at,
            &format!("Member must satisfy regular expression pattern: {EVENT_BUS_NAME_PATTERN}"),
        ));
    }
    Ok(())
}

/// Validates a PutRule request and returns the rule to store (without
/// targets) and its compiled pattern, if any.
pub fn put_rule(req: &PutRuleRequest) -> Result<(Rule, Option<EventPattern>), ApiError> {
    validate_rule_name(&req.name)?;
    if let Some(d) = &req.description
        && d.chars().count() > MAX_DESCRIPTION
    {
        return Err(ApiError::constraint(
            d,
            "description",
            "Member must have length less than or equal to 512",
        ));
    }
    if let Some(bus) = req.event_bus_name.as_deref() {
        validate_bus_parameter(bus, "eventBusName")?;
    }
    let bus = bus_name_of(req.event_bus_name.as_deref()).to_owned();
    let pattern_text = req.event_pattern.as_deref().filter(|p| !p.is_empty());
    let schedule = req.schedule_expression.as_deref().filter(|s| !s.is_empty());
    if pattern_text.is_none() && schedule.is_none() {
        return Err(ApiError::new(
            "ValidationException",
            "Parameter(s) EventPattern or ScheduleExpression must be specified.",
        ));
    }
    if schedule.is_some() && bus != DEFAULT_BUS {
        return Err(ApiError::new(
            "ValidationException",
            "ScheduleExpression is supported only on the default event bus.",
        ));
    }
    let pattern = match pattern_text {
        Some(text) => {
            if text.chars().count() > MAX_EVENT_PATTERN {
                return Err(ApiError::constraint(
                    text,
                    "eventPattern",
                    "Member must have length less than or equal to 4096",
                ));
            }
            Some(
                EventPattern::parse(text)
                    .map_err(|e| ApiError::new(e.error_code(), e.to_string()))?,
            )
        }
        None => None,
    };
    let rule = Rule {
        name: req.name.clone(),
        event_bus_name: bus,
        event_pattern: pattern_text.map(str::to_owned),
        schedule_expression: schedule.map(str::to_owned),
        state: req.state.unwrap_or_default(),
        description: req.description.clone(),
        role_arn: req.role_arn.clone(),
        targets: Vec::new(),
    };
    Ok((rule, pattern))
}

/// Validates one target of a PutTargets request (its position `index`, 1-based
/// in messages as the API numbers list members).
pub fn validate_target(target: &Target, index: usize) -> Result<TargetInput, ApiError> {
    let at = |field: &str| format!("targets.{index}.member.{field}");
    if target.id.is_empty() {
        return Err(ApiError::constraint(
            &target.id,
            &at("id"),
            "Member must have length greater than or equal to 1",
        ));
    }
    if target.id.chars().count() > MAX_TARGET_ID {
        return Err(ApiError::constraint(
            &target.id,
            &at("id"),
            "Member must have length less than or equal to 64",
        ));
    }
    if !name_chars_ok(&target.id, b"") {
        return Err(ApiError::constraint(
            &target.id,
            &at("id"),
            "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
        ));
    }
    if target.arn.is_empty() {
        return Err(ApiError::constraint(
            &target.arn,
            &at("arn"),
            "Member must have length greater than or equal to 1",
        ));
    }
    if let Some(policy) = &target.retry_policy {
        policy.validate(index)?;
    }
    input_constraints(target, index)?;
    if let Some(arn) = target.dead_letter_arn() {
        if !arn.starts_with("arn:") || !arn.contains(":sqs:") {
            return Err(ApiError::new(
                "ValidationException",
                format!(
                    "The dead-letter queue {arn} of target {} is not an Amazon SQS queue ARN.",
                    target.id
                ),
            ));
        }
        if arn.ends_with(".fifo") {
            return Err(ApiError::new(
                "ValidationException",
                format!(
                    "FIFO queues are not supported as dead-letter queues (target {}).",
                    target.id
                ),
            ));
        }
    }
    target.target_input()
}

/// The API's length and pattern constraints on a target's input settings.
fn input_constraints(target: &Target, index: usize) -> Result<(), ApiError> {
    use crate::input::{MAX_INPUT_CHARS, MAX_INPUT_PATHS, MAX_PATH_CHARS};
    let at = |field: &str| format!("targets.{index}.member.{field}");
    let too_long = |value: &str, field: &str, max: usize| {
        ApiError::constraint(
            value,
            &at(field),
            &format!("Member must have length less than or equal to {max}"),
        )
    };
    if let Some(input) = &target.input
        && input.chars().count() > MAX_INPUT_CHARS
    {
        return Err(too_long(input, "input", MAX_INPUT_CHARS));
    }
    if let Some(path) = &target.input_path
        && path.chars().count() > MAX_PATH_CHARS
    {
        return Err(too_long(path, "inputPath", MAX_PATH_CHARS));
    }
    if let Some(t) = &target.input_transformer {
        let template = &t.input_template;
        if template.is_empty() {
            return Err(ApiError::constraint(
                template,
                &at("inputTransformer.inputTemplate"),
                "Member must have length greater than or equal to 1",
            ));
        }
        if template.chars().count() > MAX_INPUT_CHARS {
            return Err(too_long(
                template,
                "inputTransformer.inputTemplate",
                MAX_INPUT_CHARS,
            ));
        }
        if let Some(map) = &t.input_paths_map {
            // Rendered as the service renders a map value: {k=v, k2=v2}.
            let shown = || {
                let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{{{}}}", parts.join(", "))
            };
            if map.len() > MAX_INPUT_PATHS {
                return Err(ApiError::constraint(
                    &shown(),
                    &at("inputTransformer.inputPathsMap"),
                    &format!("Member must have length less than or equal to {MAX_INPUT_PATHS}"),
                ));
            }
            for (key, value) in map {
                let key_ok = !key.is_empty()
                    && key.len() <= 256
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !key_ok {
                    return Err(ApiError::constraint(
                        &shown(),
                        &at("inputTransformer.inputPathsMap"),
                        "Map keys must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [A-Za-z0-9\\_\\-]+]",
                    ));
                }
                if value.chars().count() > MAX_PATH_CHARS {
                    return Err(ApiError::constraint(
                        &shown(),
                        &at("inputTransformer.inputPathsMap"),
                        "Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Applies PutTargets to a rule: each target is validated, then added or
/// replaced by id. Fails as a whole when the rule would exceed its target limit.
pub fn put_targets(rule: &mut Rule, targets: &[Target]) -> Result<Vec<TargetInput>, ApiError> {
    if targets.is_empty() {
        return Err(ApiError::constraint(
            "[]",
            "targets",
            "Member must have length greater than or equal to 1",
        ));
    }
    if targets.len() > MAX_TARGETS_PER_REQUEST {
        return Err(ApiError::new(
            "ValidationException",
            "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to 10",
        ));
    }
    let mut inputs = Vec::with_capacity(targets.len());
    for (i, t) in targets.iter().enumerate() {
        inputs.push(validate_target(t, i + 1)?);
    }
    let mut ids: Vec<&str> = rule.targets.iter().map(|t| t.id.as_str()).collect();
    for t in targets {
        if !ids.contains(&t.id.as_str()) {
            ids.push(&t.id);
        }
    }
    if ids.len() > MAX_TARGETS_PER_RULE {
        return Err(ApiError::new(
            "LimitExceededException",
            format!(
                "The requested resource exceeds the maximum number allowed. Rule {} can have at most {MAX_TARGETS_PER_RULE} targets.",
                rule.name
            ),
        ));
    }
    for t in targets {
        match rule.targets.iter_mut().find(|x| x.id == t.id) {
            Some(slot) => *slot = t.clone(),
            None => rule.targets.push(t.clone()),
        }
    }
    Ok(inputs)
}
