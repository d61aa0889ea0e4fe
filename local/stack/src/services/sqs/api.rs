//! The operations of SQS, one type each ([`crate::protocol::operation::Operation`]: typed request,
//! typed response, SQS's errors), registered once by name in [`OPERATIONS`].
//!
//! SQS's front end answers one parameter at a time, in its own words (`InvalidParameterValue`
//! "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: ...", `MissingParameter`,
//! the batch errors), so the constraints in `impl Validate` are recorded with
//! [`Check::refuse`]: the first one violated is the answer.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::attributes::ATTRIBUTE_NAMES;
use super::error::{SqsError, missing};
use super::messages::{Message, MessageAttributeValue, Receive, SendMessageResponse};
use super::policies::{valid_label, with_statement, without_statement};
use super::{MAX_MESSAGE_BYTES, SqsService};
use crate::protocol::ServiceFuture;
use crate::protocol::error::AwsError;
use crate::protocol::operation::{
    Check, ErrorVocabulary, Operation, Operations, Paginator, Validate,
};

/// SQS's front end: `InvalidParameterValue` and `MissingParameter` (query-compatible codes).
static ERRORS: ErrorVocabulary = ErrorVocabulary {
    validation: "InvalidParameterValue",
    missing,
};

static OPERATIONS: LazyLock<Operations<SqsService>> = LazyLock::new(|| {
    Operations::new(&ERRORS)
        .with::<CreateQueue>()
        .with::<DeleteQueue>()
        .with::<GetQueueUrl>()
        .with::<ListQueues>()
        .with::<GetQueueAttributes>()
        .with::<SetQueueAttributes>()
        .with::<AddPermission>()
        .with::<RemovePermission>()
        .with::<SendMessage>()
        .with::<ReceiveMessage>()
        .with::<DeleteMessage>()
        .with::<ChangeMessageVisibility>()
        .with::<PurgeQueue>()
        .with::<SendMessageBatch>()
        .with::<DeleteMessageBatch>()
});

/// Runs one operation by name.
pub(super) fn call(svc: Arc<SqsService>, operation: &str, input: Value) -> ServiceFuture {
    OPERATIONS.call(svc, operation, input)
}

/// The operations served, by name.
pub(super) fn operation_names() -> Vec<&'static str> {
    OPERATIONS.names()
}

fn invalid_parameter(message: impl Into<String>) -> SqsError {
    SqsError::InvalidParameterValue(message.into())
}

fn invalid_token(_: &str) -> AwsError {
    invalid_parameter("Invalid NextToken value.").into()
}

/// ListQueues: `MaxResults` 1..=1000; without it, up to 1,000 queues and no `NextToken`.
const QUEUES: Paginator = Paginator {
    scope: "sqs:ListQueues",
    default_size: 1000,
    max_size: 1000,
    zero_is_default: false,
    size_member: "MaxResults",
    invalid_token,
};

/// The API reference's "Value N for parameter P is invalid. Reason: R" for a number out of range.
fn range(check: &mut Check, member: &str, value: Option<i64>, min: i64, max: i64, reason: &str) {
    if let Some(value) = value
        && !(min..=max).contains(&value)
    {
        check.refuse(invalid_parameter(format!(
            "Value {value} for parameter {member} is invalid. Reason: {reason}"
        )));
    }
}

/// "Must be >= 0 and <= 43200, if provided." (ReceiveMessage, ChangeMessageVisibility).
fn visibility_timeout(check: &mut Check, value: Option<i64>) {
    range(
        check,
        "VisibilityTimeout",
        value,
        0,
        43_200,
        "Must be >= 0 and <= 43200, if provided.",
    );
}

/// No members.
#[derive(Debug, Serialize)]
pub struct Empty {}

// ----- queues -------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateQueueRequest {
    queue_name: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// The queue name is checked by the operation: a `.fifo` name is `UnsupportedOperation` first.
impl Validate for CreateQueueRequest {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueUrlResponse {
    queue_url: String,
}

/// `CreateQueue`.
pub struct CreateQueue;

impl Operation<SqsService> for CreateQueue {
    const NAME: &'static str = "CreateQueue";
    type Input = CreateQueueRequest;
    type Output = QueueUrlResponse;
    async fn run(
        svc: Arc<SqsService>,
        req: CreateQueueRequest,
    ) -> Result<QueueUrlResponse, AwsError> {
        let queue_url = svc
            .create_queue(&req.queue_name, req.attributes, req.tags)
            .await?;
        Ok(QueueUrlResponse { queue_url })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueUrlRequest {
    queue_url: String,
}

impl Validate for QueueUrlRequest {}

/// `DeleteQueue`.
pub struct DeleteQueue;

impl Operation<SqsService> for DeleteQueue {
    const NAME: &'static str = "DeleteQueue";
    type Input = QueueUrlRequest;
    type Output = Empty;
    async fn run(svc: Arc<SqsService>, req: QueueUrlRequest) -> Result<Empty, AwsError> {
        let name = svc.queue_name_from_url(&req.queue_url)?;
        svc.delete_queue(name).await?;
        Ok(Empty {})
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueUrlRequest {
    queue_name: String,
    #[serde(rename = "QueueOwnerAWSAccountId")]
    queue_owner_aws_account_id: Option<String>,
}

impl Validate for GetQueueUrlRequest {}

/// `GetQueueUrl`.
pub struct GetQueueUrl;

impl Operation<SqsService> for GetQueueUrl {
    const NAME: &'static str = "GetQueueUrl";
    type Input = GetQueueUrlRequest;
    type Output = QueueUrlResponse;
    async fn run(
        svc: Arc<SqsService>,
        req: GetQueueUrlRequest,
    ) -> Result<QueueUrlResponse, AwsError> {
        if req
            .queue_owner_aws_account_id
            .as_deref()
            .is_some_and(|a| a != svc.account_id)
        {
            return Err(SqsError::QueueDoesNotExist.into());
        }
        if !svc.queue_exists(&req.queue_name).await? {
            return Err(SqsError::QueueDoesNotExist.into());
        }
        Ok(QueueUrlResponse {
            queue_url: svc.queue_url(&req.queue_name),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQueuesRequest {
    queue_name_prefix: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

impl Validate for ListQueuesRequest {
    fn validate(&self, check: &mut Check) {
        range(
            check,
            "MaxResults",
            self.max_results,
            1,
            1000,
            "MaxResults must be an integer between 1 and 1000.",
        );
        if self.next_token.is_some() && self.max_results.is_none() {
            check.refuse(invalid_parameter(
                "MaxResults is a mandatory parameter when you provide a value for NextToken.",
            ));
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQueuesResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    queue_urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// `ListQueues`: by name; the token is the last name of the page, sealed.
pub struct ListQueues;

impl Operation<SqsService> for ListQueues {
    const NAME: &'static str = "ListQueues";
    type Input = ListQueuesRequest;
    type Output = ListQueuesResponse;
    async fn run(
        svc: Arc<SqsService>,
        req: ListQueuesRequest,
    ) -> Result<ListQueuesResponse, AwsError> {
        let request = QUEUES.request("", req.max_results, req.next_token.as_deref(), &ERRORS)?;
        let limit = request.size;
        let mut names = svc
            .queue_names(
                req.queue_name_prefix.unwrap_or_default(),
                request.position.clone().unwrap_or_default(),
                i64::try_from(limit).unwrap_or(1000) + 1,
            )
            .await?;
        let more = names.len() > limit;
        names.truncate(limit);
        // Without MaxResults the listing is one page: AWS sends no NextToken.
        let next_token = names
            .last()
            .filter(|_| more && req.max_results.is_some())
            .map(|last| request.next_token(last));
        Ok(ListQueuesResponse {
            queue_urls: names.iter().map(|n| svc.queue_url(n)).collect(),
            next_token,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueAttributesRequest {
    queue_url: String,
    #[serde(default)]
    attribute_names: Vec<String>,
}

impl Validate for GetQueueAttributesRequest {
    fn validate(&self, check: &mut Check) {
        if let Some(unknown) = self
            .attribute_names
            .iter()
            .find(|n| !ATTRIBUTE_NAMES.contains(&n.as_str()))
        {
            check.refuse(SqsError::InvalidAttributeName(unknown.clone()));
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueAttributesResponse {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attributes: BTreeMap<String, String>,
}

/// `GetQueueAttributes`.
pub struct GetQueueAttributes;

impl Operation<SqsService> for GetQueueAttributes {
    const NAME: &'static str = "GetQueueAttributes";
    type Input = GetQueueAttributesRequest;
    type Output = GetQueueAttributesResponse;
    async fn run(
        svc: Arc<SqsService>,
        req: GetQueueAttributesRequest,
    ) -> Result<GetQueueAttributesResponse, AwsError> {
        let name = svc.queue_name_from_url(&req.queue_url)?;
        let attributes = svc.queue_attributes(name, req.attribute_names).await?;
        Ok(GetQueueAttributesResponse { attributes })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetQueueAttributesRequest {
    queue_url: String,
    attributes: BTreeMap<String, String>,
}

/// Each attribute's range is checked as it is applied (as CreateQueue and template queues are).
impl Validate for SetQueueAttributesRequest {}

/// `SetQueueAttributes`.
pub struct SetQueueAttributes;

impl Operation<SqsService> for SetQueueAttributes {
    const NAME: &'static str = "SetQueueAttributes";
    type Input = SetQueueAttributesRequest;
    type Output = Empty;
    async fn run(svc: Arc<SqsService>, req: SetQueueAttributesRequest) -> Result<Empty, AwsError> {
        let name = svc.queue_name_from_url(&req.queue_url)?;
        svc.set_queue_attributes(name, req.attributes).await?;
        Ok(Empty {})
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddPermissionRequest {
    queue_url: String,
    label: String,
    #[serde(rename = "AWSAccountIds")]
    aws_account_ids: Vec<String>,
    actions: Vec<String>,
}

impl Validate for AddPermissionRequest {
    fn validate(&self, check: &mut Check) {
        if !valid_label(&self.label) {
            check.refuse(invalid_parameter(format!(
                "Value {} for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.",
                self.label
            )));
        }
        if self.aws_account_ids.is_empty() {
            check.refuse(SqsError::MissingParameter("AWSAccountIds".into()));
        }
        if self.actions.is_empty() {
            check.refuse(SqsError::MissingParameter("Actions".into()));
        }
    }
}

/// `AddPermission`: a statement `Sid = Label` added to the queue's policy.
pub struct AddPermission;

impl Operation<SqsService> for AddPermission {
    const NAME: &'static str = "AddPermission";
    type Input = AddPermissionRequest;
    type Output = Empty;
    async fn run(svc: Arc<SqsService>, req: AddPermissionRequest) -> Result<Empty, AwsError> {
        let name = svc.queue_name_from_url(&req.queue_url)?;
        let policy = with_statement(
            svc.current_policy(&name).await?,
            &svc.queue_arn(&name),
            &req.label,
            &req.aws_account_ids,
            &req.actions,
        )?;
        let attributes = BTreeMap::from([("Policy".to_owned(), policy.to_string())]);
        svc.set_queue_attributes(name, attributes).await?;
        Ok(Empty {})
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemovePermissionRequest {
    queue_url: String,
    label: String,
}

impl Validate for RemovePermissionRequest {}

/// `RemovePermission`: the statement `Sid = Label` taken from the queue's policy.
pub struct RemovePermission;

impl Operation<SqsService> for RemovePermission {
    const NAME: &'static str = "RemovePermission";
    type Input = RemovePermissionRequest;
    type Output = Empty;
    async fn run(svc: Arc<SqsService>, req: RemovePermissionRequest) -> Result<Empty, AwsError> {
        let name = svc.queue_name_from_url(&req.queue_url)?;
        let text = without_statement(svc.current_policy(&name).await?, &req.label)?;
        let attributes = BTreeMap::from([("Policy".to_owned(), text)]);
        svc.set_queue_attributes(name, attributes).await?;
        Ok(Empty {})
    }
}

/// `PurgeQueue`.
pub struct PurgeQueue;

impl Operation<SqsService> for PurgeQueue {
    const NAME: &'static str = "PurgeQueue";
    type Input = QueueUrlRequest;
    type Output = Empty;
    async fn run(svc: Arc<SqsService>, req: QueueUrlRequest) -> Result<Empty, AwsError> {
        let name = svc.queue_name_from_url(&req.queue_url)?;
        svc.purge(name).await?;
        Ok(Empty {})
    }
}

// ----- messages -----------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageRequest {
    queue_url: String,
    message_body: String,
    delay_seconds: Option<i64>,
    #[serde(default)]
    message_attributes: BTreeMap<String, MessageAttributeValue>,
    /// `AWSTraceHeader`.
    #[serde(default)]
    message_system_attributes: BTreeMap<String, MessageAttributeValue>,
    /// FIFO only.
    message_group_id: Option<String>,
    /// FIFO only.
    message_deduplication_id: Option<String>,
}

/// The body, `DelaySeconds` and the attributes are checked as the message is sent (as each
/// entry of a batch is, failing alone).
impl Validate for SendMessageRequest {}

/// `SendMessage`.
pub struct SendMessage;

impl Operation<SqsService> for SendMessage {
    const NAME: &'static str = "SendMessage";
    type Input = SendMessageRequest;
    type Output = SendMessageResponse;
    async fn run(
        svc: Arc<SqsService>,
        req: SendMessageRequest,
    ) -> Result<SendMessageResponse, AwsError> {
        let queue = svc.queue_name_from_url(&req.queue_url)?;
        if req.message_group_id.is_some() || req.message_deduplication_id.is_some() {
            return Err(invalid_parameter(
                "The request include parameter that is not valid for this queue type",
            )
            .into());
        }
        Ok(svc
            .send(
                queue,
                req.message_body,
                req.delay_seconds,
                req.message_attributes,
                req.message_system_attributes,
            )
            .await?)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiveMessageRequest {
    queue_url: String,
    max_number_of_messages: Option<i64>,
    visibility_timeout: Option<i64>,
    wait_time_seconds: Option<i64>,
    /// Deprecated name of `MessageSystemAttributeNames`.
    #[serde(default)]
    attribute_names: Vec<String>,
    #[serde(default)]
    message_system_attribute_names: Vec<String>,
    #[serde(default)]
    message_attribute_names: Vec<String>,
    /// FIFO only.
    #[allow(dead_code)]
    receive_request_attempt_id: Option<String>,
}

impl Validate for ReceiveMessageRequest {
    fn validate(&self, check: &mut Check) {
        range(
            check,
            "MaxNumberOfMessages",
            Some(self.max_number_of_messages.unwrap_or(1)),
            1,
            10,
            "Must be between 1 and 10, if provided.",
        );
        range(
            check,
            "WaitTimeSeconds",
            self.wait_time_seconds,
            0,
            20,
            "Must be >= 0 and <= 20, if provided.",
        );
        visibility_timeout(check, self.visibility_timeout);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiveMessageResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<Message>,
}

/// `ReceiveMessage`, long polling up to `WaitTimeSeconds`.
pub struct ReceiveMessage;

impl Operation<SqsService> for ReceiveMessage {
    const NAME: &'static str = "ReceiveMessage";
    type Input = ReceiveMessageRequest;
    type Output = ReceiveMessageResponse;
    async fn run(
        svc: Arc<SqsService>,
        req: ReceiveMessageRequest,
    ) -> Result<ReceiveMessageResponse, AwsError> {
        let queue = svc.queue_name_from_url(&req.queue_url)?;
        let mut system_names = req.attribute_names;
        system_names.extend(req.message_system_attribute_names);
        let messages = svc
            .receive(Receive {
                queue,
                max: req.max_number_of_messages.unwrap_or(1),
                visibility_timeout: req.visibility_timeout,
                wait_time_seconds: req.wait_time_seconds,
                system_names,
                attribute_names: req.message_attribute_names,
            })
            .await?;
        Ok(ReceiveMessageResponse { messages })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageRequest {
    queue_url: String,
    receipt_handle: String,
}

impl Validate for DeleteMessageRequest {}

/// One DeleteMessage (also each entry of a DeleteMessageBatch).
async fn delete_message(
    svc: &SqsService,
    queue_url: &str,
    receipt_handle: String,
) -> Result<(), SqsError> {
    let queue = svc.queue_name_from_url(queue_url)?;
    svc.delete_message(queue, receipt_handle).await
}

/// `DeleteMessage`.
pub struct DeleteMessage;

impl Operation<SqsService> for DeleteMessage {
    const NAME: &'static str = "DeleteMessage";
    type Input = DeleteMessageRequest;
    type Output = Empty;
    async fn run(svc: Arc<SqsService>, req: DeleteMessageRequest) -> Result<Empty, AwsError> {
        delete_message(&svc, &req.queue_url, req.receipt_handle).await?;
        Ok(Empty {})
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeMessageVisibilityRequest {
    queue_url: String,
    receipt_handle: String,
    visibility_timeout: i64,
}

impl Validate for ChangeMessageVisibilityRequest {
    fn validate(&self, check: &mut Check) {
        visibility_timeout(check, Some(self.visibility_timeout));
    }
}

/// `ChangeMessageVisibility`.
pub struct ChangeMessageVisibility;

impl Operation<SqsService> for ChangeMessageVisibility {
    const NAME: &'static str = "ChangeMessageVisibility";
    type Input = ChangeMessageVisibilityRequest;
    type Output = Empty;
    async fn run(
        svc: Arc<SqsService>,
        req: ChangeMessageVisibilityRequest,
    ) -> Result<Empty, AwsError> {
        let queue = svc.queue_name_from_url(&req.queue_url)?;
        svc.change_visibility(queue, req.receipt_handle, req.visibility_timeout)
            .await?;
        Ok(Empty {})
    }
}

// ----- batches ------------------------------------------------------------------------------

/// Batch entry ids: 1 to 10 entries; "alphanumeric characters, hyphens and underscores, up to
/// 80", distinct within the request.
fn batch_ids<'a>(
    check: &mut Check,
    ids: impl ExactSizeIterator<Item = &'a str>,
    entry: &'static str,
) {
    let count = ids.len();
    if count == 0 {
        return check.refuse(SqsError::EmptyBatchRequest(entry));
    }
    if count > 10 {
        return check.refuse(SqsError::TooManyEntriesInBatchRequest(count));
    }
    let mut seen = BTreeSet::new();
    for id in ids {
        if id.is_empty()
            || id.len() > 80
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return check.refuse(SqsError::InvalidBatchEntryId);
        }
        if !seen.insert(id) {
            return check.refuse(SqsError::BatchEntryIdsNotDistinct(id.to_owned()));
        }
    }
}

/// A failed entry (`BatchResultErrorEntry`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchResultErrorEntry {
    id: String,
    sender_fault: bool,
    code: String,
    message: String,
}

impl BatchResultErrorEntry {
    fn new(id: String, error: SqsError) -> Self {
        let aws: AwsError = error.into();
        Self {
            id,
            sender_fault: !aws.status.is_server_error(),
            code: aws.code,
            message: aws.message.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchEntry {
    id: String,
    message_body: String,
    delay_seconds: Option<i64>,
    #[serde(default)]
    message_attributes: BTreeMap<String, MessageAttributeValue>,
    #[serde(default)]
    message_system_attributes: BTreeMap<String, MessageAttributeValue>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchRequest {
    queue_url: String,
    entries: Vec<SendMessageBatchEntry>,
}

impl Validate for SendMessageBatchRequest {
    fn validate(&self, check: &mut Check) {
        batch_ids(
            check,
            self.entries.iter().map(|e| e.id.as_str()),
            "SendMessageBatchRequestEntry",
        );
        let total: usize = self.entries.iter().map(|e| e.message_body.len()).sum();
        if i64::try_from(total).unwrap_or(i64::MAX) > MAX_MESSAGE_BYTES {
            check.refuse(SqsError::BatchRequestTooLong(total));
        }
    }
}

/// A sent entry (`SendMessageBatchResultEntry`).
#[derive(Debug, Serialize)]
pub struct SendMessageBatchResultEntry {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "MessageId")]
    message_id: String,
    #[serde(rename = "MD5OfMessageBody")]
    md5_of_message_body: String,
    #[serde(
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    md5_of_message_attributes: Option<String>,
    #[serde(
        rename = "MD5OfMessageSystemAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    md5_of_message_system_attributes: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchResponse {
    successful: Vec<SendMessageBatchResultEntry>,
    failed: Vec<BatchResultErrorEntry>,
}

/// `SendMessageBatch`: each entry sent or failed alone; a missing queue fails the request.
pub struct SendMessageBatch;

impl Operation<SqsService> for SendMessageBatch {
    const NAME: &'static str = "SendMessageBatch";
    type Input = SendMessageBatchRequest;
    type Output = SendMessageBatchResponse;
    async fn run(
        svc: Arc<SqsService>,
        req: SendMessageBatchRequest,
    ) -> Result<SendMessageBatchResponse, AwsError> {
        let queue = svc.queue_name_from_url(&req.queue_url)?;
        let mut successful = Vec::new();
        let mut failed = Vec::new();
        for entry in req.entries {
            match svc
                .send(
                    queue.clone(),
                    entry.message_body,
                    entry.delay_seconds,
                    entry.message_attributes,
                    entry.message_system_attributes,
                )
                .await
            {
                Ok(sent) => successful.push(SendMessageBatchResultEntry {
                    id: entry.id,
                    message_id: sent.message_id,
                    md5_of_message_body: sent.md5_of_message_body,
                    md5_of_message_attributes: sent.md5_of_message_attributes,
                    md5_of_message_system_attributes: sent.md5_of_message_system_attributes,
                }),
                // A missing queue fails the whole request, as AWS does.
                Err(SqsError::QueueDoesNotExist) => return Err(SqsError::QueueDoesNotExist.into()),
                Err(e) => failed.push(BatchResultErrorEntry::new(entry.id, e)),
            }
        }
        Ok(SendMessageBatchResponse { successful, failed })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageBatchEntry {
    id: String,
    receipt_handle: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageBatchRequest {
    queue_url: String,
    entries: Vec<DeleteMessageBatchEntry>,
}

impl Validate for DeleteMessageBatchRequest {
    fn validate(&self, check: &mut Check) {
        batch_ids(
            check,
            self.entries.iter().map(|e| e.id.as_str()),
            "DeleteMessageBatchRequestEntry",
        );
    }
}

/// A deleted entry (`DeleteMessageBatchResultEntry`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageBatchResultEntry {
    id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageBatchResponse {
    successful: Vec<DeleteMessageBatchResultEntry>,
    failed: Vec<BatchResultErrorEntry>,
}

/// `DeleteMessageBatch`: each entry deleted or failed alone; a missing queue fails the request.
pub struct DeleteMessageBatch;

impl Operation<SqsService> for DeleteMessageBatch {
    const NAME: &'static str = "DeleteMessageBatch";
    type Input = DeleteMessageBatchRequest;
    type Output = DeleteMessageBatchResponse;
    async fn run(
        svc: Arc<SqsService>,
        req: DeleteMessageBatchRequest,
    ) -> Result<DeleteMessageBatchResponse, AwsError> {
        let mut successful = Vec::new();
        let mut failed = Vec::new();
        for entry in req.entries {
            match delete_message(&svc, &req.queue_url, entry.receipt_handle).await {
                Ok(()) => successful.push(DeleteMessageBatchResultEntry { id: entry.id }),
                Err(SqsError::QueueDoesNotExist) => return Err(SqsError::QueueDoesNotExist.into()),
                Err(e) => failed.push(BatchResultErrorEntry::new(entry.id, e)),
            }
        }
        Ok(DeleteMessageBatchResponse { successful, failed })
    }
}
