//! State machines: CreateStateMachine, DescribeStateMachine, ListStateMachines,
//! UpdateStateMachine, DeleteStateMachine, ValidateStateMachineDefinition (their tags: `tags.rs`).

use std::sync::Arc;

use asl::Definition;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::tags::{Tag, check_tag_count, check_tags, tag_pairs};
use super::versions::{self, Resolved};
use super::{
    Empty, StepFunctionsService, check_name, listing, load_state_machine, parse_arn, seconds,
    state_machine_arn, store_error,
};
use crate::protocol::error::AwsError;
use crate::protocol::operation::{Check, Operation, Paginator, Validate};
use crate::store::stepfunctions::{self as records, StateMachineRecord};
use crate::store::stepfunctions_versions as version_records;

const TYPES: &[&str] = &["STANDARD", "EXPRESS"];
const LOG_LEVELS: &[&str] = &["ALL", "ERROR", "FATAL", "OFF"];

fn check_logging(config: Option<&Value>) -> Result<(), AwsError> {
    let Some(config) = config else { return Ok(()) };
    let level = config.get("level").and_then(Value::as_str).unwrap_or("OFF");
    let destinations = config
        .get("destinations")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if level != "OFF" && destinations == 0 {
        return Err(AwsError::client(
            "InvalidLoggingConfiguration",
            "Invalid Logging Configuration: Must specify exactly one Log Destination if LogLevel is not OFF.",
        ));
    }
    if destinations > 1 {
        return Err(AwsError::client(
            "InvalidLoggingConfiguration",
            "Invalid Logging Configuration: Must specify exactly one Log Destination.",
        ));
    }
    Ok(())
}

fn logging_level(config: Option<&Value>) -> Option<&str> {
    config.map(|c| c.get("level").and_then(Value::as_str).unwrap_or("OFF"))
}

fn check_role(role: &str) -> Result<(), AwsError> {
    if role.split(':').count() < 6 || !role.starts_with("arn:") {
        return Err(AwsError::client(
            "InvalidArn",
            format!("Invalid Arn: 'Invalid ARN prefix: {role}'"),
        ));
    }
    Ok(())
}

fn logging_json(sm: &StateMachineRecord) -> Value {
    sm.logging_configuration
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_else(|| json!({ "level": "OFF", "includeExecutionData": false }))
}

fn tracing_json(sm: &StateMachineRecord) -> Value {
    sm.tracing_configuration
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_else(|| json!({ "enabled": false }))
}

/// A state machine's logging and tracing configurations as Describe* answer them.
pub(super) fn configurations(sm: &StateMachineRecord) -> (Value, Value) {
    (logging_json(sm), tracing_json(sm))
}

// ----- CreateStateMachine -------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateStateMachineInput {
    name: String,
    definition: String,
    role_arn: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    logging_configuration: Option<Value>,
    tracing_configuration: Option<Value>,
    tags: Option<Vec<Tag>>,
    publish: Option<bool>,
    version_description: Option<String>,
}

impl Validate for CreateStateMachineInput {
    fn validate(&self, check: &mut Check) {
        check.one_of("type", self.kind.as_deref(), TYPES);
        check.one_of(
            "loggingConfiguration.level",
            logging_level(self.logging_configuration.as_ref()),
            LOG_LEVELS,
        );
        check_tags(check, self.tags.as_deref());
        check.length(
            "versionDescription",
            self.version_description.as_deref(),
            0,
            256,
        );
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateStateMachineOutput {
    state_machine_arn: String,
    creation_date: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_version_arn: Option<String>,
}

/// Why CreateStateMachine created nothing.
enum CreateRefusal {
    Exists,
}

pub struct CreateStateMachine;

impl Operation<StepFunctionsService> for CreateStateMachine {
    const NAME: &'static str = "CreateStateMachine";
    type Input = CreateStateMachineInput;
    type Output = CreateStateMachineOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: CreateStateMachineInput,
    ) -> Result<CreateStateMachineOutput, AwsError> {
        check_name(&input.name)?;
        let kind = input.kind.unwrap_or_else(|| "STANDARD".to_owned());
        check_role(&input.role_arn)?;
        check_logging(input.logging_configuration.as_ref())?;
        versions::check_version_description(input.publish, input.version_description.as_deref())?;
        svc.definition(&input.definition)?;
        if kind == "EXPRESS" {
            let refused = express_diagnostics(&input.definition);
            if !refused.is_empty() {
                let e = asl::InvalidDefinition {
                    diagnostics: refused,
                };
                return Err(AwsError::client("InvalidDefinition", e.to_string()));
            }
        }
        let arn = state_machine_arn(&svc, &input.name);
        let publish = input.publish == Some(true);
        let version_description = input.version_description;
        let tags = tag_pairs(input.tags);
        check_tag_count(tags.len(), &arn)?;
        let now = svc.stack.clock.now_millis();
        let record = StateMachineRecord {
            arn: arn.clone(),
            name: input.name,
            kind,
            definition: input.definition,
            role_arn: input.role_arn,
            description: None,
            logging_configuration: input.logging_configuration.map(|v| v.to_string()),
            tracing_configuration: input.tracing_configuration.map(|v| v.to_string()),
            status: "ACTIVE".into(),
            revision_id: Some(uuid::Uuid::new_v4().to_string()),
            created_ms: now,
            updated_ms: None,
            origin: "api".into(),
        };
        let outcome = svc
            .stack
            .store
            .write(move |c| {
                if let Some(existing) = records::get_state_machine(c, &record.arn)? {
                    // CreateStateMachine is idempotent for the same definition, role and type,
                    // and the same `publish` and `versionDescription`: a repeated publishing
                    // create answers the version the first one published.
                    let same = existing.definition == record.definition
                        && existing.role_arn == record.role_arn
                        && existing.kind == record.kind;
                    if !same {
                        return Ok::<_, versions::PublishingWriteError>(Err(CreateRefusal::Exists));
                    }
                    let version = version_records::list_versions(c, &existing.arn)?
                        .into_iter()
                        .find(|v| {
                            v.revision_id == existing.revision_id
                                && v.description == version_description
                        });
                    return Ok(match (publish, version) {
                        (false, _) => Ok((existing.created_ms, None)),
                        (true, Some(v)) => Ok((existing.created_ms, Some(v.arn))),
                        (true, None) => Err(CreateRefusal::Exists),
                    });
                }
                records::upsert_state_machine(c, &record)?;
                records::put_tags(c, &record.arn, &tags)?;
                let version = if publish {
                    // Version 1 of the first revision.
                    match versions::publish(c, &record, None, version_description, now)? {
                        Ok(v) => Some(v.arn),
                        Err(refusal) => {
                            return Err(versions::PublishingWriteError::Refused(refusal));
                        }
                    }
                } else {
                    None
                };
                Ok(Ok((record.created_ms, version)))
            })
            .await
            .map_err(|e| e.into_error(&arn))?;
        match outcome {
            Ok((created, version)) => Ok(CreateStateMachineOutput {
                state_machine_arn: arn,
                creation_date: seconds(created),
                state_machine_version_arn: version,
            }),
            Err(CreateRefusal::Exists) => Err(AwsError::client(
                "StateMachineAlreadyExists",
                format!("State Machine Already Exists: '{arn}'"),
            )),
        }
    }
}

// ----- DescribeStateMachine -----------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateMachineArnInput {
    state_machine_arn: String,
}

impl Validate for StateMachineArnInput {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeStateMachineInput {
    state_machine_arn: String,
    included_data: Option<String>,
}

impl Validate for DescribeStateMachineInput {
    fn validate(&self, check: &mut Check) {
        check.one_of(
            "includedData",
            self.included_data.as_deref(),
            &["ALL_DATA", "METADATA_ONLY"],
        );
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeStateMachineOutput {
    state_machine_arn: String,
    name: String,
    status: String,
    definition: String,
    role_arn: String,
    #[serde(rename = "type")]
    kind: String,
    creation_date: f64,
    logging_configuration: Value,
    tracing_configuration: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

pub struct DescribeStateMachine;

impl Operation<StepFunctionsService> for DescribeStateMachine {
    const NAME: &'static str = "DescribeStateMachine";
    type Input = DescribeStateMachineInput;
    type Output = DescribeStateMachineOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: DescribeStateMachineInput,
    ) -> Result<DescribeStateMachineOutput, AwsError> {
        // A version ARN describes the version: its ARN, creation date, description and the
        // machine as published (API reference). An alias ARN describes the state machine it
        // belongs to (not documented: the reference only says an alias ARN is accepted).
        let (arn, sm, created_ms, description) =
            match versions::resolve(&svc, &input.state_machine_arn).await? {
                Resolved::Machine(sm) | Resolved::Alias(sm, _) => {
                    (sm.arn.clone(), sm.clone(), sm.created_ms, sm.description)
                }
                Resolved::Version(v) => (v.arn, v.machine, v.created_ms, v.description),
            };
        let definition = if input.included_data.as_deref() == Some("METADATA_ONLY") {
            // API reference: "If called with includedData = METADATA_ONLY, the returned
            // definition will be {}".
            "{}".to_owned()
        } else {
            sm.definition.clone()
        };
        Ok(DescribeStateMachineOutput {
            logging_configuration: logging_json(&sm),
            tracing_configuration: tracing_json(&sm),
            creation_date: seconds(created_ms),
            state_machine_arn: arn,
            name: sm.name,
            status: sm.status,
            definition,
            role_arn: sm.role_arn,
            kind: sm.kind,
            revision_id: sm.revision_id,
            description,
        })
    }
}

// ----- ListStateMachines --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    max_results: Option<i64>,
    next_token: Option<String>,
}

impl Validate for ListInput {
    fn validate(&self, check: &mut Check) {
        check.length("nextToken", self.next_token.as_deref(), 1, 1024);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateMachineListItem {
    state_machine_arn: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    creation_date: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListStateMachinesOutput {
    state_machines: Vec<StateMachineListItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

const STATE_MACHINES: Paginator = listing("states:ListStateMachines");

pub struct ListStateMachines;

impl Operation<StepFunctionsService> for ListStateMachines {
    const NAME: &'static str = "ListStateMachines";
    type Input = ListInput;
    type Output = ListStateMachinesOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: ListInput,
    ) -> Result<ListStateMachinesOutput, AwsError> {
        // The arguments are checked before anything is read.
        let request = STATE_MACHINES.request(
            "",
            input.max_results,
            input.next_token.as_deref(),
            &super::ERRORS,
        )?;
        let all = svc
            .stack
            .store
            .call(records::list_state_machines)
            .await
            .map_err(store_error)?;
        let items: Vec<StateMachineListItem> = all
            .into_iter()
            .filter(|sm| sm.status == "ACTIVE")
            .map(|sm| StateMachineListItem {
                creation_date: seconds(sm.created_ms),
                state_machine_arn: sm.arn,
                name: sm.name,
                kind: sm.kind,
            })
            .collect();
        let page = request.page(items)?;
        Ok(ListStateMachinesOutput {
            state_machines: page.items,
            next_token: page.next_token,
        })
    }
}

// ----- UpdateStateMachine -------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStateMachineInput {
    state_machine_arn: String,
    definition: Option<String>,
    role_arn: Option<String>,
    logging_configuration: Option<Value>,
    tracing_configuration: Option<Value>,
    publish: Option<bool>,
    version_description: Option<String>,
}

impl Validate for UpdateStateMachineInput {
    fn validate(&self, check: &mut Check) {
        check.one_of(
            "loggingConfiguration.level",
            logging_level(self.logging_configuration.as_ref()),
            LOG_LEVELS,
        );
        check.length(
            "versionDescription",
            self.version_description.as_deref(),
            0,
            256,
        );
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStateMachineOutput {
    update_date: f64,
    revision_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_version_arn: Option<String>,
}

pub struct UpdateStateMachine;

impl Operation<StepFunctionsService> for UpdateStateMachine {
    const NAME: &'static str = "UpdateStateMachine";
    type Input = UpdateStateMachineInput;
    type Output = UpdateStateMachineOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: UpdateStateMachineInput,
    ) -> Result<UpdateStateMachineOutput, AwsError> {
        if input.definition.is_none()
            && input.role_arn.is_none()
            && input.logging_configuration.is_none()
            && input.tracing_configuration.is_none()
        {
            parse_arn(&input.state_machine_arn, "stateMachine")?;
            return Err(AwsError::client(
                "MissingRequiredParameter",
                "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
            ));
        }
        versions::check_version_description(input.publish, input.version_description.as_deref())?;
        let mut sm = load_state_machine(&svc, &input.state_machine_arn).await?;
        let before = sm.clone();
        if let Some(def) = input.definition {
            svc.definition(&def)?;
            sm.definition = def;
        }
        if let Some(role) = input.role_arn {
            check_role(&role)?;
            sm.role_arn = role;
        }
        if let Some(logging) = input.logging_configuration {
            check_logging(Some(&logging))?;
            sm.logging_configuration = Some(logging.to_string());
        }
        if let Some(tracing) = input.tracing_configuration {
            sm.tracing_configuration = Some(tracing.to_string());
        }
        let now = svc.stack.clock.now_millis();
        // A revision is a snapshot of the definition and configuration: an update that changes
        // none of them keeps the revision (so publishing it again answers the same version).
        let unchanged = sm.definition == before.definition
            && sm.role_arn == before.role_arn
            && sm.logging_configuration == before.logging_configuration
            && sm.tracing_configuration == before.tracing_configuration;
        if !unchanged || sm.revision_id.is_none() {
            sm.revision_id = Some(uuid::Uuid::new_v4().to_string());
        }
        let revision = sm.revision_id.clone().unwrap_or_default();
        sm.updated_ms = Some(now);
        let publish = input.publish == Some(true);
        let version_description = input.version_description;
        let arn = sm.arn.clone();
        let published = svc
            .stack
            .store
            .write(move |c| {
                records::upsert_state_machine(c, &sm)?;
                if !publish {
                    return Ok::<_, versions::PublishingWriteError>(None);
                }
                match versions::publish(c, &sm, None, version_description, now)? {
                    Ok(v) => Ok(Some(v.arn)),
                    Err(refusal) => Err(versions::PublishingWriteError::Refused(refusal)),
                }
            })
            .await
            .map_err(|e| e.into_error(&arn))?;
        Ok(UpdateStateMachineOutput {
            update_date: seconds(now),
            revision_id: revision,
            state_machine_version_arn: published,
        })
    }
}

// ----- DeleteStateMachine -------------------------------------------------------------------

pub struct DeleteStateMachine;

impl Operation<StepFunctionsService> for DeleteStateMachine {
    const NAME: &'static str = "DeleteStateMachine";
    type Input = StateMachineArnInput;
    type Output = Empty;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: StateMachineArnInput,
    ) -> Result<Empty, AwsError> {
        parse_arn(&input.state_machine_arn, "stateMachine")?;
        // Running executions keep running to completion, as on AWS; only the machine goes away.
        let arn = input.state_machine_arn;
        // Its versions and aliases go with it (API reference, DeleteStateMachine).
        svc.stack
            .store
            .write(move |c| {
                version_records::delete_machine_versions(c, &arn)?;
                records::delete_state_machine(c, &arn)
            })
            .await
            .map_err(store_error)?;
        Ok(Empty {})
    }
}

// ----- ValidateStateMachineDefinition -------------------------------------------------------

const SEVERITIES: &[&str] = &["ERROR", "WARNING"];
/// `maxResults`: "The default and maximum value is 100. Setting the value to 0 will also use the
/// default of 100."
const MAX_DIAGNOSTICS: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateInput {
    definition: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    severity: Option<String>,
    max_results: Option<i64>,
}

impl Validate for ValidateInput {
    fn validate(&self, check: &mut Check) {
        check.secret_length("definition", Some(&self.definition), 1, 1_048_576);
        check.one_of("type", self.kind.as_deref(), TYPES);
        check.one_of("severity", self.severity.as_deref(), SEVERITIES);
        check.range("maxResults", self.max_results, 0, MAX_DIAGNOSTICS as i64);
    }
}

#[derive(Debug, Serialize)]
pub struct Diagnostic {
    severity: &'static str,
    code: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ValidateOutput {
    result: &'static str,
    diagnostics: Vec<Diagnostic>,
    truncated: bool,
}

pub struct ValidateStateMachineDefinition;

impl Operation<StepFunctionsService> for ValidateStateMachineDefinition {
    const NAME: &'static str = "ValidateStateMachineDefinition";
    type Input = ValidateInput;
    type Output = ValidateOutput;

    async fn run(
        _svc: Arc<StepFunctionsService>,
        input: ValidateInput,
    ) -> Result<ValidateOutput, AwsError> {
        let mut found = Definition::diagnose(&input.definition);
        if input.kind.as_deref() == Some("EXPRESS") && !found.iter().any(is_error) {
            found.splice(0..0, express_diagnostics(&input.definition));
        }
        // Warnings never fail a definition: "the result value could be OK even when warning
        // diagnostics are present in the response".
        let result = if found.iter().any(is_error) {
            "FAIL"
        } else {
            "OK"
        };
        // `severity`: ERROR (the default) returns errors only, WARNING both.
        let with_warnings = input.severity.as_deref() == Some("WARNING");
        let mut shown: Vec<Diagnostic> = found
            .into_iter()
            .filter(|d| with_warnings || is_error(d))
            .map(|d| Diagnostic {
                severity: match d.severity {
                    asl::Severity::Error => "ERROR",
                    asl::Severity::Warning => "WARNING",
                },
                code: d.code.as_str().to_owned(),
                message: d.message,
                location: d.location,
            })
            .collect();
        let max = match input.max_results {
            None | Some(0) => MAX_DIAGNOSTICS,
            Some(n) => usize::try_from(n).unwrap_or(MAX_DIAGNOSTICS),
        };
        let truncated = shown.len() > max;
        shown.truncate(max);
        Ok(ValidateOutput {
            result,
            diagnostics: shown,
            truncated,
        })
    }
}

fn is_error(d: &asl::Diagnostic) -> bool {
    d.severity == asl::Severity::Error
}

/// "Express Workflows only support Request Response integrations" (developer guide, "Integrating
/// optimized services"): a `.sync` or `.waitForTaskToken` resource in an Express definition is an
/// error. Code and location follow the other diagnostics; the wording is not documented. Only
/// called on a definition the engine accepted (so at most 40 levels of nesting to walk).
pub(super) fn express_diagnostics(definition: &str) -> Vec<asl::Diagnostic> {
    fn walk(states: &Value, at: &str, out: &mut Vec<asl::Diagnostic>) {
        let Some(states) = states.as_object() else {
            return;
        };
        for (name, state) in states {
            let here = format!("{at}/States/{name}");
            if let Some(resource) = state.get("Resource").and_then(Value::as_str) {
                let pattern = if resource.ends_with(".waitForTaskToken") {
                    Some(".waitForTaskToken")
                } else if resource.ends_with(".sync") || resource.contains(".sync:") {
                    Some(".sync")
                } else {
                    None
                };
                if let Some(pattern) = pattern {
                    out.push(asl::Diagnostic {
                        code: asl::DiagnosticCode::SchemaValidationFailed,
                        message: format!(
                            "Express state machines do not support the {pattern} integration pattern: {resource}"
                        ),
                        location: Some(format!("{here}/Resource")),
                        severity: asl::Severity::Error,
                    });
                }
            }
            if let Some(branches) = state.get("Branches").and_then(Value::as_array) {
                for (i, b) in branches.iter().enumerate() {
                    walk(&b["States"], &format!("{here}/Branches[{i}]"), out);
                }
            }
            for key in ["ItemProcessor", "Iterator"] {
                if let Some(p) = state.get(key) {
                    walk(&p["States"], &format!("{here}/{key}"), out);
                }
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<Value>(definition) {
        walk(&v["States"], "", &mut out);
    }
    out
}
