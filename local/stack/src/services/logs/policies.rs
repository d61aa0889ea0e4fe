//! CloudWatch Logs resource policies (PutResourcePolicy, DescribeResourcePolicies,
//! DeleteResourcePolicy; CloudWatch Logs API reference): account-wide documents that let AWS
//! services (EventBridge, Route 53, ...) write to the account's log groups. Kept in SQLite and
//! given to the permission plane, which evaluates them when EventBridge delivers to a log group.
//! The operations themselves are in `api.rs`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{LogsError, LogsService};
use crate::permissions::PermissionPlane;
use crate::permissions::model::Attached;
use crate::store::logs as records;

/// At most this many resource policies per account and region (CloudWatch Logs quotas).
pub const MAX_RESOURCE_POLICIES: usize = 10;
/// Longest policy document, in characters (PutResourcePolicy: `policyDocument` 1 to 5120).
pub const MAX_POLICY_CHARS: usize = 5120;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutResourcePolicyRequest {
    policy_name: Option<String>,
    policy_document: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeResourcePoliciesRequest {
    pub(super) next_token: Option<String>,
    pub(super) limit: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteResourcePolicyRequest {
    pub(super) policy_name: Option<String>,
}

/// A resource policy as the API answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePolicy {
    pub(super) policy_name: String,
    pub(super) policy_document: String,
    pub(super) last_updated_time: i64,
}

/// PutResourcePolicy output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutResourcePolicyResponse {
    resource_policy: ResourcePolicy,
}

/// DescribeResourcePolicies output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeResourcePoliciesResponse {
    pub(super) resource_policies: Vec<ResourcePolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) next_token: Option<String>,
}

/// The policy's key in the permission plane.
pub(super) fn policy_key(name: &str) -> String {
    format!("logs:{name}")
}

impl LogsService {
    /// Tells `plane` of every resource policy from now on, and of the ones already stored.
    pub async fn set_permissions(&self, plane: Arc<PermissionPlane>) -> Result<(), LogsError> {
        let _ = self.permissions.set(plane);
        for (name, document, _) in self.stored_policies().await? {
            self.register(&name, &document)?;
        }
        Ok(())
    }

    fn scope(&self) -> Vec<String> {
        vec![format!(
            "arn:aws:logs:{}:{}:*",
            self.region, self.account_id
        )]
    }

    fn register(&self, name: &str, document: &str) -> Result<(), LogsError> {
        let attached = Attached::parse("logs", name, self.scope(), document)
            .map_err(|e| LogsError::InvalidParameter(format!("Invalid policy document: {e}")))?;
        if let Some(plane) = self.permissions.get() {
            plane.set_resource_policy(&policy_key(name), attached);
        }
        Ok(())
    }

    /// Every stored policy: name, document, last update, by name.
    pub(super) async fn stored_policies(&self) -> Result<Vec<(String, String, i64)>, LogsError> {
        Ok(self.store.call(records::list_resource_policies).await?)
    }

    /// A template's `AWS::Logs::ResourcePolicy`: PutResourcePolicy under its name.
    pub async fn ensure_resource_policy(
        &self,
        name: &str,
        document: &str,
    ) -> Result<(), LogsError> {
        self.put_resource_policy(PutResourcePolicyRequest {
            policy_name: Some(name.to_owned()),
            policy_document: Some(document.to_owned()),
        })
        .await
        .map(|_| ())
    }

    /// PutResourcePolicy: creates or replaces a policy (the operation, and a template's
    /// `AWS::Logs::ResourcePolicy` through [`LogsService::ensure_resource_policy`]).
    pub(super) async fn put_resource_policy(
        &self,
        req: PutResourcePolicyRequest,
    ) -> Result<PutResourcePolicyResponse, LogsError> {
        let name = req
            .policy_name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| LogsError::InvalidParameter("policyName is required".into()))?;
        let document = req
            .policy_document
            .filter(|d| !d.is_empty())
            .ok_or_else(|| LogsError::InvalidParameter("policyDocument is required".into()))?;
        if document.chars().count() > MAX_POLICY_CHARS {
            return Err(LogsError::InvalidParameter(format!(
                "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must have length less than or equal to {MAX_POLICY_CHARS}"
            )));
        }
        // Parsed before anything is stored: a document IAM would refuse is refused here.
        Attached::parse("logs", &name, self.scope(), &document)
            .map_err(|e| LogsError::InvalidParameter(format!("Invalid policy document: {e}")))?;
        let now = self.clock.now_millis();
        let (n, d) = (name.clone(), document.clone());
        self.store
            .write(move |tx| {
                let (exists, count) = records::resource_policy_census(tx, &n)?;
                if !exists && count >= MAX_RESOURCE_POLICIES {
                    return Err(LogsError::LimitExceeded("Resource limit exceeded.".into()));
                }
                records::put_resource_policy(tx, &n, &d, now)?;
                Ok(())
            })
            .await?;
        self.register(&name, &document)?;
        Ok(PutResourcePolicyResponse {
            resource_policy: ResourcePolicy {
                policy_name: name,
                policy_document: document,
                last_updated_time: now,
            },
        })
    }
}
