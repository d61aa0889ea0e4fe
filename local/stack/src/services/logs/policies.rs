//! CloudWatch Logs resource policies (PutResourcePolicy, DescribeResourcePolicies,
//! DeleteResourcePolicy; CloudWatch Logs API reference): account-wide documents that let AWS
//! services (EventBridge, Route 53, ...) write to the account's log groups. Kept in SQLite and
//! given to the permission plane, which evaluates them when EventBridge delivers to a log group.

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
    next_token: Option<String>,
    limit: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteResourcePolicyRequest {
    policy_name: Option<String>,
}

/// A resource policy as the API answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePolicy {
    policy_name: String,
    policy_document: String,
    last_updated_time: i64,
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
    resource_policies: Vec<ResourcePolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

fn key(name: &str) -> String {
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
            plane.set_resource_policy(&key(name), attached);
        }
        Ok(())
    }

    async fn stored_policies(&self) -> Result<Vec<(String, String, i64)>, LogsError> {
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

    /// PutResourcePolicy: creates or replaces a policy.
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

    /// DescribeResourcePolicies: every policy, by name; `limit` 1 to 50.
    pub(super) async fn describe_resource_policies(
        &self,
        req: DescribeResourcePoliciesRequest,
    ) -> Result<DescribeResourcePoliciesResponse, LogsError> {
        let limit = match req.limit {
            None => 50,
            Some(l @ 1..=50) => l as usize,
            Some(_) => {
                return Err(LogsError::InvalidParameter(
                    "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value between 1 and 50".into(),
                ));
            }
        };
        let all = self.stored_policies().await?;
        let start = match &req.next_token {
            None => 0,
            Some(token) => all
                .iter()
                .position(|(name, _, _)| name > token)
                .filter(|_| all.iter().any(|(n, _, _)| n == token))
                .ok_or_else(|| {
                    LogsError::InvalidParameter("The specified nextToken is invalid.".into())
                })?,
        };
        let next_token = all
            .get(start + limit - 1)
            .filter(|_| start + limit < all.len())
            .map(|(last, _, _)| last.clone());
        let resource_policies = all
            .into_iter()
            .skip(start)
            .take(limit)
            .map(
                |(policy_name, policy_document, last_updated_time)| ResourcePolicy {
                    policy_name,
                    policy_document,
                    last_updated_time,
                },
            )
            .collect();
        Ok(DescribeResourcePoliciesResponse {
            resource_policies,
            next_token,
        })
    }

    /// DeleteResourcePolicy.
    pub(super) async fn delete_resource_policy(
        &self,
        req: DeleteResourcePolicyRequest,
    ) -> Result<(), LogsError> {
        let name = req
            .policy_name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| LogsError::InvalidParameter("policyName is required".into()))?;
        let n = name.clone();
        let deleted = self
            .store
            .write(move |tx| records::delete_resource_policy(tx, &n))
            .await?;
        if !deleted {
            return Err(LogsError::ResourceNotFound(format!(
                "Policy with name [{name}] does not exist"
            )));
        }
        if let Some(plane) = self.permissions.get() {
            plane.remove_resource_policy(&key(&name));
        }
        Ok(())
    }
}
