//! State machine versions: PublishStateMachineVersion, ListStateMachineVersions,
//! DeleteStateMachineVersion; publishing from CreateStateMachine / UpdateStateMachine
//! (`publish`); and what the other operations share to read a qualified state machine ARN
//! (`stateMachine:NAME:1` a version, `stateMachine:NAME:PROD` an alias).

use std::sync::Arc;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::{
    Empty, StepFunctionsService, listing, load_state_machine, parse_arn, seconds, store_error,
};
use crate::protocol::error::AwsError;
use crate::protocol::operation::{Check, Operation, Paginator, Validate};
use crate::store::StoreError;
use crate::store::stepfunctions::{self as records, StateMachineRecord};
use crate::store::stepfunctions_versions::{self as versions, AliasRecord, VersionRecord};

/// Versions per state machine (API reference, PublishStateMachineVersion: "You can publish up to
/// 1000 versions for each state machine").
pub(super) const MAX_VERSIONS: i64 = 1000;

/// `revisionId` that names the revision of a state machine that has none assigned (API
/// reference, PublishStateMachineVersion).
const INITIAL_REVISION: &str = "INITIAL";

// ----- qualified ARNs -----------------------------------------------------------------------

/// What a state machine ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Qualifier {
    /// `arn:...:stateMachine:NAME`.
    None,
    /// `arn:...:stateMachine:NAME:N`.
    Version(i64),
    /// `arn:...:stateMachine:NAME:ALIAS`.
    Alias(String),
}

/// A state machine ARN read as the unqualified ARN and what qualifies it.
#[derive(Debug, Clone)]
pub(super) struct MachineArn {
    /// `arn:...:stateMachine:NAME`.
    pub base: String,
    pub qualifier: Qualifier,
}

fn invalid_arn(arn: &str) -> AwsError {
    AwsError::client("InvalidArn", format!("Invalid Arn: '{arn}'"))
}

/// Reads a state machine ARN, qualified or not. A Distributed Map ARN
/// (`stateMachine:NAME/label`) is a `ValidationException`, as the API reference says for
/// DescribeStateMachine and StartExecution.
pub(super) fn machine_arn(arn: &str) -> Result<MachineArn, AwsError> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() == 7 || parts.len() < 7 {
        parse_arn(arn, "stateMachine")?;
    } else {
        // Type and prefix as parse_arn words them; the qualifier is checked here.
        parse_arn(&parts[..7].join(":"), "stateMachine")?;
    }
    if parts[6].contains('/') {
        // Not documented word for word: the reference only names the error.
        return Err(super::validation(format!(
            "Map Run state machine ARNs are not supported by this operation: '{arn}'"
        )));
    }
    let base = parts[..7].join(":");
    let qualifier = match parts.get(7) {
        None => Qualifier::None,
        Some(_) if parts.len() > 8 => return Err(invalid_arn(arn)),
        Some(&"") => return Err(invalid_arn(arn)),
        Some(q) if q.bytes().all(|b| b.is_ascii_digit()) => {
            Qualifier::Version(q.parse().map_err(|_| invalid_arn(arn))?)
        }
        Some(q) => Qualifier::Alias((*q).to_owned()),
    };
    Ok(MachineArn { base, qualifier })
}

/// A version ARN (`stateMachine:NAME:N`), or `InvalidArn`.
pub(super) fn version_arn(arn: &str) -> Result<MachineArn, AwsError> {
    let parsed = machine_arn(arn)?;
    match parsed.qualifier {
        Qualifier::Version(_) => Ok(parsed),
        _ => Err(invalid_arn(arn)),
    }
}

/// An alias ARN (`stateMachine:NAME:ALIAS`), or `InvalidArn`.
pub(super) fn alias_arn(arn: &str) -> Result<MachineArn, AwsError> {
    let parsed = machine_arn(arn)?;
    match parsed.qualifier {
        Qualifier::Alias(_) => Ok(parsed),
        _ => Err(invalid_arn(arn)),
    }
}

/// An unqualified state machine ARN, or `InvalidArn`.
pub(super) fn unqualified_arn(arn: &str) -> Result<String, AwsError> {
    let parsed = machine_arn(arn)?;
    match parsed.qualifier {
        Qualifier::None => Ok(parsed.base),
        _ => Err(invalid_arn(arn)),
    }
}

fn machine_does_not_exist(arn: &str) -> AwsError {
    AwsError::client(
        "StateMachineDoesNotExist",
        format!("State Machine Does Not Exist: '{arn}'"),
    )
}

/// What a (possibly qualified) state machine ARN resolves to.
#[derive(Debug, Clone)]
pub(super) enum Resolved {
    /// The state machine itself (its current revision).
    Machine(StateMachineRecord),
    /// A version of it.
    Version(VersionRecord),
    /// An alias of it, with the machine.
    Alias(StateMachineRecord, AliasRecord),
}

/// Loads what `arn` names: a state machine, one of its versions or one of its aliases.
/// Anything missing is `StateMachineDoesNotExist` naming the ARN asked for (StartExecution and
/// DescribeStateMachine document no other error for it).
pub(super) async fn resolve(svc: &StepFunctionsService, arn: &str) -> Result<Resolved, AwsError> {
    let parsed = machine_arn(arn)?;
    let sm = load_state_machine(svc, &parsed.base).await.map_err(|e| {
        if e.code == "StateMachineDoesNotExist" {
            machine_does_not_exist(arn)
        } else {
            e
        }
    })?;
    let key = arn.to_owned();
    match parsed.qualifier {
        Qualifier::None => Ok(Resolved::Machine(sm)),
        Qualifier::Version(_) => svc
            .stack
            .store
            .call(move |c| versions::get_version(c, &key))
            .await
            .map_err(store_error)?
            .map(Resolved::Version)
            .ok_or_else(|| machine_does_not_exist(arn)),
        Qualifier::Alias(_) => svc
            .stack
            .store
            .call(move |c| versions::get_alias(c, &key))
            .await
            .map_err(store_error)?
            .map(|a| Resolved::Alias(sm, a))
            .ok_or_else(|| machine_does_not_exist(arn)),
    }
}

// ----- publishing ---------------------------------------------------------------------------

/// Why a version was not published.
#[derive(Debug)]
pub(super) enum PublishRefusal {
    /// `revisionId` is not the machine's current revision.
    RevisionMismatch { given: String, current: String },
    /// The machine has [`MAX_VERSIONS`] versions.
    Quota,
}

impl PublishRefusal {
    pub(super) fn into_error(self, state_machine_arn: &str) -> AwsError {
        match self {
            // Not documented word for word: the reference names ConflictException (HTTP 409).
            PublishRefusal::RevisionMismatch { given, current } => AwsError::client(
                "ConflictException",
                format!(
                    "Failed to publish the State Machine version for revision {given}. The current State Machine revision is {current}."
                ),
            )
            .with_status(axum::http::StatusCode::CONFLICT),
            // Not documented word for word: the reference names the exception (HTTP 402) and
            // the quota of 1,000 versions.
            PublishRefusal::Quota => AwsError::client(
                "ServiceQuotaExceededException",
                format!(
                    "The state machine '{state_machine_arn}' has reached its quota of {MAX_VERSIONS} versions. Delete unused versions with DeleteStateMachineVersion."
                ),
            )
            .with_status(axum::http::StatusCode::PAYMENT_REQUIRED),
        }
    }
}

/// Whether a version holds the machine's current revision: its revision id and its
/// configuration (a machine loaded from a template has no revision id, so the configuration
/// tells its revisions apart).
fn holds_revision(version: &VersionRecord, sm: &StateMachineRecord) -> bool {
    let m = &version.machine;
    version.revision_id == sm.revision_id
        && m.definition == sm.definition
        && m.role_arn == sm.role_arn
        && m.kind == sm.kind
        && m.logging_configuration == sm.logging_configuration
        && m.tracing_configuration == sm.tracing_configuration
}

/// Publishes the current revision of `sm` in the caller's transaction: the version that already
/// holds it when there is one (PublishStateMachineVersion is idempotent per revision), else a new
/// one numbered after every version the machine had.
pub(super) fn publish(
    c: &Connection,
    sm: &StateMachineRecord,
    expected_revision: Option<&str>,
    description: Option<String>,
    now_ms: i64,
) -> Result<Result<VersionRecord, PublishRefusal>, StoreError> {
    if let Some(given) = expected_revision {
        let current = sm.revision_id.as_deref().unwrap_or(INITIAL_REVISION);
        if given != current {
            return Ok(Err(PublishRefusal::RevisionMismatch {
                given: given.to_owned(),
                current: current.to_owned(),
            }));
        }
    }
    if let Some(existing) = versions::list_versions(c, &sm.arn)?
        .into_iter()
        .find(|v| holds_revision(v, sm))
    {
        return Ok(Ok(existing));
    }
    if versions::count_versions(c, &sm.arn)? >= MAX_VERSIONS {
        return Ok(Err(PublishRefusal::Quota));
    }
    let number = versions::take_version_number(c, &sm.arn)?;
    let version = VersionRecord {
        arn: format!("{}:{number}", sm.arn),
        state_machine_arn: sm.arn.clone(),
        version: number,
        revision_id: sm.revision_id.clone(),
        description,
        machine: sm.clone(),
        created_ms: now_ms,
    };
    versions::insert_version(c, &version)?;
    Ok(Ok(version))
}

/// A write that publishes: a refused publication rolls back what the write did before it
/// (CreateStateMachine / UpdateStateMachine with `publish` change nothing when it is refused).
#[derive(Debug)]
pub(super) enum PublishingWriteError {
    Store(StoreError),
    Refused(PublishRefusal),
}

impl From<StoreError> for PublishingWriteError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl PublishingWriteError {
    pub(super) fn into_error(self, state_machine_arn: &str) -> AwsError {
        match self {
            Self::Store(e) => store_error(e),
            Self::Refused(refusal) => refusal.into_error(state_machine_arn),
        }
    }
}

/// `versionDescription` without `publish` (CreateStateMachine, UpdateStateMachine).
pub(super) fn check_version_description(
    publish: Option<bool>,
    description: Option<&str>,
) -> Result<(), AwsError> {
    if description.is_some() && publish != Some(true) {
        // Not documented word for word: the reference describes versionDescription as the
        // description of the version `publish` creates.
        return Err(super::validation(
            "Version description can only be set when publish is true",
        ));
    }
    Ok(())
}

// ----- PublishStateMachineVersion -----------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishInput {
    state_machine_arn: String,
    revision_id: Option<String>,
    description: Option<String>,
}

impl Validate for PublishInput {
    fn validate(&self, check: &mut Check) {
        check.length("stateMachineArn", Some(&self.state_machine_arn), 1, 256);
        check.length("description", self.description.as_deref(), 0, 256);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishOutput {
    creation_date: f64,
    state_machine_version_arn: String,
}

pub struct PublishStateMachineVersion;

impl Operation<StepFunctionsService> for PublishStateMachineVersion {
    const NAME: &'static str = "PublishStateMachineVersion";
    type Input = PublishInput;
    type Output = PublishOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: PublishInput,
    ) -> Result<PublishOutput, AwsError> {
        let arn = unqualified_arn(&input.state_machine_arn)?;
        let sm = load_state_machine(&svc, &arn).await?;
        let now = svc.stack.clock.now_millis();
        let (expected, description) = (input.revision_id, input.description);
        let outcome = svc
            .stack
            .store
            .write(move |c| {
                // The machine as this transaction sees it (an update may have landed since).
                let sm = records::get_state_machine(c, &sm.arn)?.unwrap_or(sm);
                publish(c, &sm, expected.as_deref(), description, now)
            })
            .await
            .map_err(store_error)?;
        let version = outcome.map_err(|refusal| refusal.into_error(&arn))?;
        Ok(PublishOutput {
            creation_date: seconds(version.created_ms),
            state_machine_version_arn: version.arn,
        })
    }
}

// ----- ListStateMachineVersions -------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListVersionsInput {
    state_machine_arn: String,
    next_token: Option<String>,
    max_results: Option<i64>,
}

impl Validate for ListVersionsInput {
    fn validate(&self, check: &mut Check) {
        check.length("stateMachineArn", Some(&self.state_machine_arn), 1, 256);
        check.length("nextToken", self.next_token.as_deref(), 1, 1024);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionListItem {
    state_machine_version_arn: String,
    creation_date: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListVersionsOutput {
    state_machine_versions: Vec<VersionListItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

const VERSIONS: Paginator = listing("states:ListStateMachineVersions");

pub struct ListStateMachineVersions;

impl Operation<StepFunctionsService> for ListStateMachineVersions {
    const NAME: &'static str = "ListStateMachineVersions";
    type Input = ListVersionsInput;
    type Output = ListVersionsOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: ListVersionsInput,
    ) -> Result<ListVersionsOutput, AwsError> {
        let arn = unqualified_arn(&input.state_machine_arn)?;
        let request = VERSIONS.request(
            &arn,
            input.max_results,
            input.next_token.as_deref(),
            &super::ERRORS,
        )?;
        // The reference lists no StateMachineDoesNotExist here: a machine without versions (or
        // none at all) lists none.
        let all = svc
            .stack
            .store
            .call(move |c| versions::list_versions(c, &arn))
            .await
            .map_err(store_error)?;
        let items = all
            .into_iter()
            .map(|v| VersionListItem {
                creation_date: seconds(v.created_ms),
                state_machine_version_arn: v.arn,
            })
            .collect();
        let page = request.page(items)?;
        Ok(ListVersionsOutput {
            state_machine_versions: page.items,
            next_token: page.next_token,
        })
    }
}

// ----- DeleteStateMachineVersion ------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteVersionInput {
    state_machine_version_arn: String,
}

impl Validate for DeleteVersionInput {
    fn validate(&self, check: &mut Check) {
        check.length(
            "stateMachineVersionArn",
            Some(&self.state_machine_version_arn),
            1,
            2000,
        );
    }
}

pub struct DeleteStateMachineVersion;

impl Operation<StepFunctionsService> for DeleteStateMachineVersion {
    const NAME: &'static str = "DeleteStateMachineVersion";
    type Input = DeleteVersionInput;
    type Output = Empty;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: DeleteVersionInput,
    ) -> Result<Empty, AwsError> {
        version_arn(&input.state_machine_version_arn)?;
        let arn = input.state_machine_version_arn;
        // Running executions of the version go on (they keep their machine); a version an alias
        // routes to stays. Deleting a version that does not exist succeeds (the reference lists
        // no error for it).
        let blockers = svc
            .stack
            .store
            .write(move |c| {
                let Some(version) = versions::get_version(c, &arn)? else {
                    return Ok::<_, StoreError>(Vec::new());
                };
                let aliases = versions::aliases_routing_to(c, &version)?;
                if aliases.is_empty() {
                    versions::delete_version(c, &arn)?;
                }
                Ok(aliases.into_iter().map(|a| a.arn).collect())
            })
            .await
            .map_err(store_error)?;
        if !blockers.is_empty() {
            // Not documented word for word: the reference says a version an alias references
            // cannot be deleted, and names ConflictException (HTTP 409).
            return Err(AwsError::client(
                "ConflictException",
                format!(
                    "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [{}]",
                    blockers.join(", ")
                ),
            )
            .with_status(axum::http::StatusCode::CONFLICT));
        }
        Ok(Empty {})
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn qualified_arns() {
        let sm = "arn:aws:states:us-east-1:1:stateMachine:app";
        assert_eq!(machine_arn(sm).unwrap().qualifier, Qualifier::None);
        let v = machine_arn(&format!("{sm}:12")).unwrap();
        assert_eq!((v.base.as_str(), v.qualifier), (sm, Qualifier::Version(12)));
        assert_eq!(
            machine_arn(&format!("{sm}:PROD")).unwrap().qualifier,
            Qualifier::Alias("PROD".into())
        );
        assert_eq!(
            machine_arn(&format!("{sm}:")).unwrap_err().code,
            "InvalidArn"
        );
        assert_eq!(
            machine_arn(&format!("{sm}:1:2")).unwrap_err().code,
            "InvalidArn"
        );
        assert_eq!(
            machine_arn(&format!("{sm}/label")).unwrap_err().code,
            "ValidationException"
        );
        assert_eq!(
            machine_arn("arn:aws:states:us-east-1:1:activity:a:1")
                .unwrap_err()
                .code,
            "InvalidArn"
        );
        assert_eq!(
            version_arn(&format!("{sm}:PROD")).unwrap_err().code,
            "InvalidArn"
        );
        assert_eq!(
            alias_arn(&format!("{sm}:3")).unwrap_err().code,
            "InvalidArn"
        );
        assert_eq!(
            unqualified_arn(&format!("{sm}:3")).unwrap_err().code,
            "InvalidArn"
        );
        // A version number too large for the counter is no version.
        assert_eq!(
            machine_arn(&format!("{sm}:99999999999999999999"))
                .unwrap_err()
                .code,
            "InvalidArn"
        );
    }
}
