//! State machine aliases: CreateStateMachineAlias, DescribeStateMachineAlias,
//! UpdateStateMachineAlias, DeleteStateMachineAlias, ListStateMachineAliases; and the weighted
//! choice of a version when an execution starts on an alias.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::versions::{Qualifier, alias_arn, machine_arn, version_arn};
use super::{Empty, StepFunctionsService, listing, load_state_machine, seconds, store_error};
use crate::protocol::error::AwsError;
use crate::protocol::operation::{Check, Operation, Paginator, Validate};
use crate::store::StoreError;
use crate::store::stepfunctions_versions::{self as versions, AliasRecord, Route};

/// Aliases per state machine (API reference, CreateStateMachineAlias: "You can create up to 100
/// aliases for each state machine").
const MAX_ALIASES: usize = 100;

/// The `name` pattern of the API model (`CharacterRestrictedName`), as the message quotes it.
const NAME_PATTERN: &str = r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$";

/// Letters, digits, `_`, `-`, `.`, and not only digits (so that no alias ARN reads as a version
/// ARN): the model's pattern, checked without a look-ahead.
fn name_matches(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        && !name.chars().all(|c| c.is_ascii_digit())
}

fn resource_not_found(arn: &str) -> AwsError {
    // Not documented word for word: the reference names ResourceNotFound and its
    // `resourceName` member.
    AwsError::client("ResourceNotFound", format!("Resource not found: '{arn}'"))
        .with_member("resourceName", arn)
}

fn check_routing(check: &mut Check, routing: Option<&[Route]>) {
    let Some(routing) = routing else { return };
    check.list_length("routingConfiguration", Some(routing.len()), 1, 2);
    for (i, route) in routing.iter().enumerate() {
        let member = format!("routingConfiguration.{}.member", i + 1);
        check.length(
            &format!("{member}.stateMachineVersionArn"),
            Some(&route.state_machine_version_arn),
            1,
            256,
        );
        check.range(&format!("{member}.weight"), Some(route.weight), 0, 100);
    }
}

/// The state machine a routing configuration's versions belong to, once its rules hold: version
/// ARNs, one machine, two different versions, weights summing to 100. Then every version must
/// exist (`ResourceNotFound`).
async fn routed_machine(svc: &StepFunctionsService, routing: &[Route]) -> Result<String, AwsError> {
    let mut machine: Option<String> = None;
    for route in routing {
        let parsed = version_arn(&route.state_machine_version_arn)?;
        match &machine {
            Some(m) if *m != parsed.base => {
                // Not documented word for word: the reference says a second version "must
                // belong to the same state machine as the first version".
                return Err(super::validation(
                    "Routing configuration must contain versions of the same state machine",
                ));
            }
            _ => machine = Some(parsed.base),
        }
    }
    if let [a, b] = routing
        && a.state_machine_version_arn == b.state_machine_version_arn
    {
        // Not documented word for word.
        return Err(super::validation(
            "Routing configuration must contain distinct state machine versions",
        ));
    }
    if routing.iter().map(|r| r.weight).sum::<i64>() != 100 {
        // Not documented word for word: the reference says the weights must sum to 100.
        return Err(super::validation(
            "Sum of routing configuration weights must be equal to 100",
        ));
    }
    let machine = machine.ok_or_else(|| super::validation("Routing configuration is empty"))?;
    let arns: Vec<String> = routing
        .iter()
        .map(|r| r.state_machine_version_arn.clone())
        .collect();
    let missing = svc
        .stack
        .store
        .call(move |c| {
            for arn in &arns {
                if versions::get_version(c, arn)?.is_none() {
                    return Ok::<_, StoreError>(Some(arn.clone()));
                }
            }
            Ok(None)
        })
        .await
        .map_err(store_error)?;
    if let Some(arn) = missing {
        return Err(resource_not_found(&arn));
    }
    Ok(machine)
}

/// The route an execution started on `alias` takes, for a `draw` in `0..100`: the first route
/// takes draws below its weight, the second the rest (a weight of 0 is never taken, 100 always).
pub(super) fn choose_route(alias: &AliasRecord, draw: u64) -> Option<&Route> {
    let draw = i64::try_from(draw % 100).unwrap_or(0);
    match alias.routing.as_slice() {
        [only] => Some(only),
        [first, second] => Some(if draw < first.weight { first } else { second }),
        _ => None,
    }
}

async fn load_alias(svc: &StepFunctionsService, arn: &str) -> Result<AliasRecord, AwsError> {
    alias_arn(arn)?;
    let key = arn.to_owned();
    svc.stack
        .store
        .call(move |c| versions::get_alias(c, &key))
        .await
        .map_err(store_error)?
        .ok_or_else(|| resource_not_found(arn))
}

// ----- CreateStateMachineAlias --------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAliasInput {
    description: Option<String>,
    name: String,
    routing_configuration: Vec<Route>,
}

impl Validate for CreateAliasInput {
    fn validate(&self, check: &mut Check) {
        check.length("description", self.description.as_deref(), 0, 256);
        check.length("name", Some(&self.name), 1, 80);
        if !name_matches(&self.name) && self.name.chars().count() <= 80 {
            check.refuse(super::validation(format!(
                "1 validation error detected: Value '{}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}",
                self.name
            )));
        }
        check_routing(check, Some(&self.routing_configuration));
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAliasOutput {
    state_machine_alias_arn: String,
    creation_date: f64,
}

pub struct CreateStateMachineAlias;

impl Operation<StepFunctionsService> for CreateStateMachineAlias {
    const NAME: &'static str = "CreateStateMachineAlias";
    type Input = CreateAliasInput;
    type Output = CreateAliasOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: CreateAliasInput,
    ) -> Result<CreateAliasOutput, AwsError> {
        let machine = routed_machine(&svc, &input.routing_configuration).await?;
        load_state_machine(&svc, &machine).await?;
        let now = svc.stack.clock.now_millis();
        let alias = AliasRecord {
            arn: format!("{machine}:{}", input.name),
            state_machine_arn: machine,
            name: input.name,
            description: input.description,
            routing: input.routing_configuration,
            created_ms: now,
            updated_ms: now,
        };
        let arn = alias.arn.clone();
        let outcome = svc
            .stack
            .store
            .write(move |c| {
                if let Some(existing) = versions::get_alias(c, &alias.arn)? {
                    // Idempotent on the same name, description and routing configuration.
                    let same = existing.description == alias.description
                        && existing.routing == alias.routing;
                    return Ok::<_, StoreError>(if same {
                        Ok(existing.created_ms)
                    } else {
                        Err(true)
                    });
                }
                if versions::list_aliases(c, &alias.state_machine_arn)?.len() >= MAX_ALIASES {
                    return Ok(Err(false));
                }
                versions::put_alias(c, &alias)?;
                Ok(Ok(alias.created_ms))
            })
            .await
            .map_err(store_error)?;
        match outcome {
            Ok(created) => Ok(CreateAliasOutput {
                state_machine_alias_arn: arn,
                creation_date: seconds(created),
            }),
            // Not documented word for word: the reference names ConflictException for an
            // alias that exists with another configuration.
            Err(true) => Err(AwsError::client(
                "ConflictException",
                format!("Failed to create alias because an alias with the same name and a different routing configuration already exists: '{arn}'"),
            )
            .with_status(axum::http::StatusCode::CONFLICT)),
            // Not documented word for word: the reference names the exception and the quota.
            Err(false) => Err(AwsError::client(
                "ServiceQuotaExceededException",
                format!(
                    "The state machine has reached its quota of {MAX_ALIASES} aliases: cannot create '{arn}'"
                ),
            )
            .with_status(axum::http::StatusCode::PAYMENT_REQUIRED)),
        }
    }
}

// ----- DescribeStateMachineAlias ------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasArnInput {
    state_machine_alias_arn: String,
}

impl Validate for AliasArnInput {
    fn validate(&self, check: &mut Check) {
        check.length(
            "stateMachineAliasArn",
            Some(&self.state_machine_alias_arn),
            1,
            256,
        );
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeAliasOutput {
    state_machine_alias_arn: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    routing_configuration: Vec<Route>,
    creation_date: f64,
    update_date: f64,
}

pub struct DescribeStateMachineAlias;

impl Operation<StepFunctionsService> for DescribeStateMachineAlias {
    const NAME: &'static str = "DescribeStateMachineAlias";
    type Input = AliasArnInput;
    type Output = DescribeAliasOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: AliasArnInput,
    ) -> Result<DescribeAliasOutput, AwsError> {
        let alias = load_alias(&svc, &input.state_machine_alias_arn).await?;
        Ok(DescribeAliasOutput {
            creation_date: seconds(alias.created_ms),
            update_date: seconds(alias.updated_ms),
            state_machine_alias_arn: alias.arn,
            name: alias.name,
            description: alias.description,
            routing_configuration: alias.routing,
        })
    }
}

// ----- UpdateStateMachineAlias --------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAliasInput {
    state_machine_alias_arn: String,
    description: Option<String>,
    routing_configuration: Option<Vec<Route>>,
}

impl Validate for UpdateAliasInput {
    fn validate(&self, check: &mut Check) {
        check.length(
            "stateMachineAliasArn",
            Some(&self.state_machine_alias_arn),
            1,
            256,
        );
        check.length("description", self.description.as_deref(), 0, 256);
        check_routing(check, self.routing_configuration.as_deref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAliasOutput {
    update_date: f64,
}

pub struct UpdateStateMachineAlias;

impl Operation<StepFunctionsService> for UpdateStateMachineAlias {
    const NAME: &'static str = "UpdateStateMachineAlias";
    type Input = UpdateAliasInput;
    type Output = UpdateAliasOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: UpdateAliasInput,
    ) -> Result<UpdateAliasOutput, AwsError> {
        alias_arn(&input.state_machine_alias_arn)?;
        if input.description.is_none() && input.routing_configuration.is_none() {
            // Not documented word for word: the reference says at least one of them must be
            // given.
            return Err(super::validation(
                "Either the description or the routingConfiguration must be specified",
            ));
        }
        let mut alias = load_alias(&svc, &input.state_machine_alias_arn).await?;
        if let Some(routing) = input.routing_configuration {
            let machine = routed_machine(&svc, &routing).await?;
            if machine != alias.state_machine_arn {
                return Err(super::validation(
                    "Routing configuration must contain versions of the alias's state machine",
                ));
            }
            alias.routing = routing;
        }
        if let Some(description) = input.description {
            alias.description = Some(description);
        }
        alias.updated_ms = svc.stack.clock.now_millis();
        let updated = alias.updated_ms;
        let arn = alias.arn.clone();
        let found = svc
            .stack
            .store
            .write(move |c| {
                // Deleted meanwhile: not brought back.
                if versions::get_alias(c, &alias.arn)?.is_none() {
                    return Ok::<_, StoreError>(false);
                }
                versions::put_alias(c, &alias)?;
                Ok(true)
            })
            .await
            .map_err(store_error)?;
        if !found {
            return Err(resource_not_found(&arn));
        }
        Ok(UpdateAliasOutput {
            update_date: seconds(updated),
        })
    }
}

// ----- DeleteStateMachineAlias --------------------------------------------------------------

pub struct DeleteStateMachineAlias;

impl Operation<StepFunctionsService> for DeleteStateMachineAlias {
    const NAME: &'static str = "DeleteStateMachineAlias";
    type Input = AliasArnInput;
    type Output = Empty;

    async fn run(svc: Arc<StepFunctionsService>, input: AliasArnInput) -> Result<Empty, AwsError> {
        alias_arn(&input.state_machine_alias_arn)?;
        let arn = input.state_machine_alias_arn;
        let key = arn.clone();
        let deleted = svc
            .stack
            .store
            .write(move |c| versions::delete_alias(c, &key))
            .await
            .map_err(store_error)?;
        if !deleted {
            return Err(resource_not_found(&arn));
        }
        Ok(Empty {})
    }
}

// ----- ListStateMachineAliases --------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAliasesInput {
    state_machine_arn: String,
    next_token: Option<String>,
    max_results: Option<i64>,
}

impl Validate for ListAliasesInput {
    fn validate(&self, check: &mut Check) {
        check.length("stateMachineArn", Some(&self.state_machine_arn), 1, 256);
        check.length("nextToken", self.next_token.as_deref(), 1, 1024);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasListItem {
    state_machine_alias_arn: String,
    creation_date: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAliasesOutput {
    state_machine_aliases: Vec<AliasListItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

const ALIASES: Paginator = listing("states:ListStateMachineAliases");

pub struct ListStateMachineAliases;

impl Operation<StepFunctionsService> for ListStateMachineAliases {
    const NAME: &'static str = "ListStateMachineAliases";
    type Input = ListAliasesInput;
    type Output = ListAliasesOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: ListAliasesInput,
    ) -> Result<ListAliasesOutput, AwsError> {
        let parsed = machine_arn(&input.state_machine_arn)?;
        if let Qualifier::Alias(_) = parsed.qualifier {
            return Err(AwsError::client(
                "InvalidArn",
                format!("Invalid Arn: '{}'", input.state_machine_arn),
            ));
        }
        let request = ALIASES.request(
            &input.state_machine_arn,
            input.max_results,
            input.next_token.as_deref(),
            &super::ERRORS,
        )?;
        load_state_machine(&svc, &parsed.base).await?;
        let arn = input.state_machine_arn.clone();
        let version = matches!(parsed.qualifier, Qualifier::Version(_));
        // A version ARN lists the aliases that route to that version (API reference).
        let all = svc
            .stack
            .store
            .call(move |c| {
                if version {
                    return match versions::get_version(c, &arn)? {
                        Some(v) => Ok::<_, StoreError>(Some(versions::aliases_routing_to(c, &v)?)),
                        None => Ok(None),
                    };
                }
                Ok(Some(versions::list_aliases(c, &arn)?))
            })
            .await
            .map_err(store_error)?
            .ok_or_else(|| resource_not_found(&input.state_machine_arn))?;
        let items = all
            .into_iter()
            .map(|a| AliasListItem {
                creation_date: seconds(a.created_ms),
                state_machine_alias_arn: a.arn,
            })
            .collect();
        let page = request.page(items)?;
        Ok(ListAliasesOutput {
            state_machine_aliases: page.items,
            next_token: page.next_token,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn alias(weights: &[i64]) -> AliasRecord {
        AliasRecord {
            arn: "arn:sm:live".into(),
            state_machine_arn: "arn:sm".into(),
            name: "live".into(),
            description: None,
            routing: weights
                .iter()
                .enumerate()
                .map(|(i, w)| Route {
                    state_machine_version_arn: format!("arn:sm:{}", i + 1),
                    weight: *w,
                })
                .collect(),
            created_ms: 0,
            updated_ms: 0,
        }
    }

    fn taken(a: &AliasRecord, draw: u64) -> String {
        choose_route(a, draw)
            .unwrap()
            .state_machine_version_arn
            .clone()
    }

    #[test]
    fn routes_by_weight() {
        let split = alias(&[80, 20]);
        let first = (0..100).filter(|d| taken(&split, *d) == "arn:sm:1").count();
        assert_eq!(first, 80, "every draw in 0..100 counted once");
        let never_first = alias(&[0, 100]);
        assert!((0..1000).all(|d| taken(&never_first, d) == "arn:sm:2"));
        let always_first = alias(&[100, 0]);
        assert!((0..1000).all(|d| taken(&always_first, d) == "arn:sm:1"));
        assert_eq!(taken(&alias(&[100]), u64::MAX), "arn:sm:1");
    }

    #[test]
    fn alias_names() {
        for good in ["PROD", "v2", "a.b-c_d", "1a", "_"] {
            assert!(name_matches(good), "{good}");
        }
        for bad in ["", "12", "a b", "a:b", "a/b", "é"] {
            assert!(!name_matches(bad), "{bad}");
        }
    }
}
