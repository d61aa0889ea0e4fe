//! Tags of state machines and activities: TagResource, UntagResource, ListTagsForResource, and
//! the tag checks CreateStateMachine and CreateActivity share.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::{Empty, StepFunctionsService, parse_arn, store_error};
use crate::protocol::error::AwsError;
use crate::protocol::operation::{Check, Operation, Validate};
use crate::store::StoreError;
use crate::store::stepfunctions as records;

/// Tags a resource may have (Step Functions quotas: 50 tags per resource).
const MAX_TAGS: usize = 50;

/// A tag as the API shapes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tag {
    key: String,
    value: Option<String>,
}

/// The `Tag` constraints of the API reference: key 1..=128 characters, value 0..=256.
pub(super) fn check_tags(check: &mut Check, tags: Option<&[Tag]>) {
    for (i, tag) in tags.unwrap_or_default().iter().enumerate() {
        let n = i + 1;
        check.length(&format!("tags.{n}.member.key"), Some(&tag.key), 1, 128);
        check.length(
            &format!("tags.{n}.member.value"),
            tag.value.as_deref(),
            0,
            256,
        );
    }
}

/// The tags of a request as (key, value), one per key (a later value of a key wins), by key.
pub(super) fn tag_pairs(tags: Option<Vec<Tag>>) -> Vec<(String, String)> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value.unwrap_or_default()))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect()
}

/// `TooManyTags` with the resource it names, when `count` tags are more than a resource may have.
pub(super) fn check_tag_count(count: usize, resource: &str) -> Result<(), AwsError> {
    if count <= MAX_TAGS {
        return Ok(());
    }
    Err(AwsError::client(
        "TooManyTags",
        format!(
            "Too many tags: a resource can have at most {MAX_TAGS} tags; '{resource}' would have {count}"
        ),
    )
    .with_member("resourceName", resource))
}

/// The kind of a taggable ARN (`stateMachine` or `activity`), or `InvalidArn`.
fn taggable(arn: &str) -> Result<&'static str, AwsError> {
    let kind = if arn.split(':').nth(5) == Some("activity") {
        "activity"
    } else {
        "stateMachine"
    };
    parse_arn(arn, kind)?;
    Ok(kind)
}

fn exists(c: &Connection, kind: &str, arn: &str) -> Result<bool, StoreError> {
    Ok(if kind == "activity" {
        records::get_activity(c, arn)?.is_some()
    } else {
        records::get_state_machine(c, arn)?.is_some_and(|sm| sm.status == "ACTIVE")
    })
}

fn not_found(arn: &str) -> AwsError {
    AwsError::client("ResourceNotFound", format!("Resource not found: '{arn}'"))
}

// ----- TagResource --------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResourceInput {
    resource_arn: String,
    tags: Vec<Tag>,
}

impl Validate for TagResourceInput {
    fn validate(&self, check: &mut Check) {
        check.length("resourceArn", Some(&self.resource_arn), 1, 256);
        check_tags(check, Some(&self.tags));
    }
}

/// TagResource (API reference): adds tags to a state machine or an activity, replacing the
/// values of keys it has; `ResourceNotFound`, `InvalidArn`, `TooManyTags` (more than 50 in all).
pub struct TagResource;

impl Operation<StepFunctionsService> for TagResource {
    const NAME: &'static str = "TagResource";
    type Input = TagResourceInput;
    type Output = Empty;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: TagResourceInput,
    ) -> Result<Empty, AwsError> {
        let arn = input.resource_arn;
        let kind = taggable(&arn)?;
        let tags = tag_pairs(Some(input.tags));
        check_tag_count(tags.len(), &arn)?;
        let key = arn.clone();
        let outcome = svc
            .stack
            .store
            .write(move |c| {
                if !exists(c, kind, &key)? {
                    return Ok::<_, StoreError>(Err(None));
                }
                let mut keys: Vec<String> = records::list_tags(c, &key)?
                    .into_iter()
                    .map(|(k, _)| k)
                    .collect();
                keys.extend(tags.iter().map(|(k, _)| k.clone()));
                keys.sort();
                keys.dedup();
                if keys.len() > MAX_TAGS {
                    return Ok(Err(Some(keys.len())));
                }
                records::put_tags(c, &key, &tags)?;
                Ok(Ok(()))
            })
            .await
            .map_err(store_error)?;
        match outcome {
            Ok(()) => Ok(Empty {}),
            Err(None) => Err(not_found(&arn)),
            Err(Some(count)) => Err(check_tag_count(count, &arn)
                .err()
                .unwrap_or_else(|| not_found(&arn))),
        }
    }
}

// ----- UntagResource ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntagResourceInput {
    resource_arn: String,
    tag_keys: Vec<String>,
}

impl Validate for UntagResourceInput {
    fn validate(&self, check: &mut Check) {
        check.length("resourceArn", Some(&self.resource_arn), 1, 256);
        for (i, key) in self.tag_keys.iter().enumerate() {
            check.length(&format!("tagKeys.{}.member", i + 1), Some(key), 1, 128);
        }
    }
}

/// UntagResource (API reference): removes tags by key from a state machine or an activity (keys
/// it does not have are ignored); `ResourceNotFound`, `InvalidArn`.
pub struct UntagResource;

impl Operation<StepFunctionsService> for UntagResource {
    const NAME: &'static str = "UntagResource";
    type Input = UntagResourceInput;
    type Output = Empty;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: UntagResourceInput,
    ) -> Result<Empty, AwsError> {
        let arn = input.resource_arn;
        let kind = taggable(&arn)?;
        let key = arn.clone();
        let keys = input.tag_keys;
        let found = svc
            .stack
            .store
            .write(move |c| {
                if !exists(c, kind, &key)? {
                    return Ok::<_, StoreError>(false);
                }
                records::delete_tags(c, &key, &keys)?;
                Ok(true)
            })
            .await
            .map_err(store_error)?;
        if found {
            Ok(Empty {})
        } else {
            Err(not_found(&arn))
        }
    }
}

// ----- ListTagsForResource ------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsInput {
    resource_arn: String,
}

impl Validate for ListTagsInput {
    fn validate(&self, check: &mut Check) {
        check.length("resourceArn", Some(&self.resource_arn), 1, 256);
    }
}

#[derive(Debug, Serialize)]
pub struct ListTagsOutput {
    tags: Vec<Tag>,
}

/// ListTagsForResource (API reference): the tags of a state machine or an activity, by key; a
/// resource that does not exist is `ResourceNotFound`.
pub struct ListTagsForResource;

impl Operation<StepFunctionsService> for ListTagsForResource {
    const NAME: &'static str = "ListTagsForResource";
    type Input = ListTagsInput;
    type Output = ListTagsOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: ListTagsInput,
    ) -> Result<ListTagsOutput, AwsError> {
        let arn = input.resource_arn;
        let kind = taggable(&arn)?;
        let key = arn.clone();
        let found = svc
            .stack
            .store
            .call(move |c| {
                exists(c, kind, &key)?
                    .then(|| records::list_tags(c, &key))
                    .transpose()
            })
            .await
            .map_err(store_error)?;
        let Some(tags) = found else {
            return Err(not_found(&arn));
        };
        Ok(ListTagsOutput {
            tags: tags
                .into_iter()
                .map(|(key, value)| Tag {
                    key,
                    value: Some(value),
                })
                .collect(),
        })
    }
}
