//! The operations of CloudWatch Logs, one type each ([`crate::protocol::operation::Operation`]),
//! registered once by name; each runs the service method of the same name.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::policies::{
    DeleteResourcePolicyRequest, DescribeResourcePoliciesRequest, DescribeResourcePoliciesResponse,
    PutResourcePolicyRequest, PutResourcePolicyResponse,
};
use super::{
    CreateLogGroupRequest, DescribeLogGroupsRequest, DescribeLogGroupsResponse,
    DescribeLogStreamsRequest, DescribeLogStreamsResponse, FilterLogEventsRequest,
    FilterLogEventsResponse, GetLogEventsRequest, GetLogEventsResponse, LogGroupRequest,
    LogStreamRequest, LogsService, MAX_EVENTS_LIMIT, PutLogEventsRequest, PutLogEventsResponse,
    PutRetentionPolicyRequest,
};
use crate::protocol::ServiceFuture;
use crate::protocol::error::AwsError;
use crate::protocol::null_member_message;
use crate::protocol::operation::{Check, ErrorVocabulary, Validate};

fn missing(member: &str) -> AwsError {
    AwsError::client("InvalidParameterException", null_member_message(member))
}

/// CloudWatch Logs' front end: `InvalidParameterException` for every constraint.
pub(super) static ERRORS: ErrorVocabulary = ErrorVocabulary {
    validation: "InvalidParameterException",
    missing,
};

pub(super) fn invalid_token(_: &str) -> AwsError {
    ERRORS.validation("The specified nextToken is invalid.")
}

/// No members.
#[derive(Debug, Serialize)]
pub struct Empty {}

impl Validate for CreateLogGroupRequest {}
impl Validate for LogGroupRequest {}
impl Validate for LogStreamRequest {}
impl Validate for PutRetentionPolicyRequest {}
impl Validate for DescribeLogGroupsRequest {}
impl Validate for DescribeLogStreamsRequest {}
impl Validate for PutLogEventsRequest {}
/// GetLogEvents / FilterLogEvents: `limit` 1..=10,000.
impl Validate for GetLogEventsRequest {
    fn validate(&self, check: &mut Check) {
        check.range("limit", self.limit, 1, MAX_EVENTS_LIMIT);
    }
}
impl Validate for FilterLogEventsRequest {
    fn validate(&self, check: &mut Check) {
        check.range("limit", self.limit, 1, MAX_EVENTS_LIMIT);
    }
}
impl Validate for PutResourcePolicyRequest {}
impl Validate for DescribeResourcePoliciesRequest {}
impl Validate for DeleteResourcePolicyRequest {}

crate::operations! {
    service LogsService, errors ERRORS, registry OPERATIONS;
    CreateLogGroup(CreateLogGroupRequest) -> Empty = |svc, req| async move {
        svc.create_log_group(req).await?;
        Ok(Empty {})
    };
    DeleteLogGroup(LogGroupRequest) -> Empty = |svc, req| async move {
        svc.delete_log_group(req).await?;
        Ok(Empty {})
    };
    CreateLogStream(LogStreamRequest) -> Empty = |svc, req| async move {
        svc.create_log_stream(req).await?;
        Ok(Empty {})
    };
    DeleteLogStream(LogStreamRequest) -> Empty = |svc, req| async move {
        svc.delete_log_stream(req).await?;
        Ok(Empty {})
    };
    PutRetentionPolicy(PutRetentionPolicyRequest) -> Empty = |svc, req| async move {
        svc.put_retention_policy(req).await?;
        Ok(Empty {})
    };
    DeleteRetentionPolicy(LogGroupRequest) -> Empty = |svc, req| async move {
        svc.delete_retention_policy(req).await?;
        Ok(Empty {})
    };
    DescribeLogGroups(DescribeLogGroupsRequest) -> DescribeLogGroupsResponse =
        |svc, req| svc.describe_log_groups(req);
    DescribeLogStreams(DescribeLogStreamsRequest) -> DescribeLogStreamsResponse =
        |svc, req| svc.describe_log_streams(req);
    PutLogEvents(PutLogEventsRequest) -> PutLogEventsResponse = |svc, req| async move {
        Ok(svc.put_log_events(req).await?)
    };
    GetLogEvents(GetLogEventsRequest) -> GetLogEventsResponse = |svc, req| async move {
        Ok(svc.get_log_events(req).await?)
    };
    FilterLogEvents(FilterLogEventsRequest) -> FilterLogEventsResponse = |svc, req| async move {
        Ok(svc.filter_log_events(req).await?)
    };
    PutResourcePolicy(PutResourcePolicyRequest) -> PutResourcePolicyResponse = |svc, req| async move {
        Ok(svc.put_resource_policy(req).await?)
    };
    DescribeResourcePolicies(DescribeResourcePoliciesRequest) -> DescribeResourcePoliciesResponse =
        |svc, req| async move { Ok(svc.describe_resource_policies(req).await?) };
    DeleteResourcePolicy(DeleteResourcePolicyRequest) -> Empty = |svc, req| async move {
        svc.delete_resource_policy(req).await?;
        Ok(Empty {})
    };
}

/// Runs one operation by name.
pub(super) fn call(svc: Arc<LogsService>, operation: &str, input: Value) -> ServiceFuture {
    OPERATIONS.call(svc, operation, input)
}
