//! Queue policies: the `Policy` attribute, checked as IAM parses it and given to the permission
//! plane, and the statements AddPermission / RemovePermission add to it and take from it (the
//! SQS developer guide's "AddPermission" policy shape).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::SqsService;
use super::attributes::{QueueSettings, stored};
use super::error::SqsError;
use crate::permissions::PermissionPlane;
use crate::store::sqs as records;

impl SqsService {
    /// Tells `plane` of every queue policy from now on, and of the ones already stored.
    pub async fn set_permissions(&self, plane: Arc<PermissionPlane>) -> Result<(), SqsError> {
        let _ = self.permissions.set(plane);
        let queues = self
            .store
            .call(|c| records::list_queues(c).map_err(SqsError::from))
            .await?;
        for queue in queues {
            if let Ok(settings) = QueueSettings::parse(&queue.attributes)
                && let Some(policy) = settings.policy
            {
                self.register_policy(&queue.name, Some(policy.as_str()))?;
            }
        }
        Ok(())
    }

    /// A `Policy` attribute: parsed as IAM would (an invalid one is `InvalidAttributeValue`),
    /// then given to the permission plane; an empty one removes the queue's policy.
    pub(super) fn register_policy(
        &self,
        queue: &str,
        policy: Option<&str>,
    ) -> Result<(), SqsError> {
        let key = format!("sqs:{}", self.queue_arn(queue));
        let Some(plane) = self.permissions.get() else {
            return Ok(());
        };
        match policy.filter(|p| !p.trim().is_empty()) {
            None => plane.remove_resource_policy(&key),
            Some(text) => {
                let attached = crate::permissions::model::Attached::parse(
                    "sqs",
                    &format!("queue policy of {queue}"),
                    vec![self.queue_arn(queue)],
                    text,
                )
                .map_err(|_| SqsError::InvalidAttributeValue("Policy".into()))?;
                plane.set_resource_policy(&key, attached);
            }
        }
        Ok(())
    }

    /// The queue's policy document, when it has one.
    pub(super) async fn current_policy(&self, name: &str) -> Result<Option<Value>, SqsError> {
        let name = name.to_owned();
        let (settings, _) = self
            .store
            .call(move |c| stored(records::get_queue(c, &name)?))
            .await?;
        Ok(settings
            .policy
            .filter(|p| !p.trim().is_empty())
            .and_then(|p| serde_json::from_str::<Value>(&p).ok()))
    }
}

/// Checks a `Policy` attribute before it is stored.
pub(super) fn check_policy(attributes: &BTreeMap<String, String>) -> Result<(), SqsError> {
    if let Some(text) = attributes.get("Policy").filter(|p| !p.trim().is_empty()) {
        iam::PolicyDocument::parse_str(text, iam::PolicyKind::Resource)
            .map_err(|_| SqsError::InvalidAttributeValue("Policy".into()))?;
    }
    Ok(())
}

/// A `Label` (AddPermission): 1 to 80 alphanumeric characters, hyphens or underscores.
pub(super) fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 80
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// AddPermission: the queue's policy (or a new one) with a statement `Sid = label` granting the
/// accounts `SQS:<Action>` on the queue; a label already there is refused.
pub(super) fn with_statement(
    policy: Option<Value>,
    queue_arn: &str,
    label: &str,
    accounts: &[String],
    actions: &[String],
) -> Result<Value, SqsError> {
    let mut policy = policy.unwrap_or_else(|| {
        json!({"Version": "2012-10-17", "Id": format!("{queue_arn}/SQSDefaultPolicy"), "Statement": []})
    });
    let mut statements = policy["Statement"].as_array().cloned().unwrap_or_default();
    if statements.iter().any(|s| s["Sid"] == label) {
        return Err(SqsError::InvalidParameterValue(format!(
            "Value {label} for parameter Label is invalid. Reason: Already exists."
        )));
    }
    let principals: Vec<String> = accounts
        .iter()
        .map(|a| format!("arn:aws:iam::{a}:root"))
        .collect();
    let actions: Vec<String> = actions.iter().map(|a| format!("SQS:{a}")).collect();
    statements.push(json!({"Sid": label, "Effect": "Allow",
        "Principal": {"AWS": principals}, "Action": actions, "Resource": queue_arn}));
    policy["Statement"] = Value::Array(statements);
    Ok(policy)
}

/// RemovePermission: the policy text without the statement `Sid = label` (empty when none is
/// left); a label not there is refused.
pub(super) fn without_statement(policy: Option<Value>, label: &str) -> Result<String, SqsError> {
    let not_found = || {
        SqsError::InvalidParameterValue(format!(
            "Value {label} for parameter Label is invalid. Reason: can't find label."
        ))
    };
    let mut policy = policy.ok_or_else(not_found)?;
    let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
    let kept: Vec<Value> = statements
        .iter()
        .filter(|s| s["Sid"] != label)
        .cloned()
        .collect();
    if kept.len() == statements.len() {
        return Err(not_found());
    }
    if kept.is_empty() {
        return Ok(String::new());
    }
    policy["Statement"] = Value::Array(kept);
    Ok(policy.to_string())
}
