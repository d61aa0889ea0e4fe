//! Activities: CreateActivity, DescribeActivity, ListActivities, DeleteActivity, and their
//! workers' GetActivityTask (Task states whose `Resource` is an activity queue their input for it).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::tags::{Tag, check_tag_count, check_tags, tag_pairs};
use super::{Empty, StepFunctionsService, check_name, listing, parse_arn, seconds, store_error};
use crate::protocol::error::AwsError;
use crate::protocol::operation::{Check, Operation, Paginator, Validate};
use crate::services::stepfunctions::model::RunnerMessage;
use crate::store::StoreError;
use crate::store::stepfunctions::{self as records, ActivityRecord};

fn activity_arn(svc: &StepFunctionsService, name: &str) -> String {
    format!(
        "arn:aws:states:{}:{}:activity:{name}",
        svc.stack.region, svc.stack.account_id
    )
}

// ----- CreateActivity -----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateActivityInput {
    name: String,
    tags: Option<Vec<Tag>>,
}

impl Validate for CreateActivityInput {
    fn validate(&self, check: &mut Check) {
        check.length("name", Some(&self.name), 1, 80);
        check_tags(check, self.tags.as_deref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateActivityOutput {
    activity_arn: String,
    creation_date: f64,
}

/// CreateActivity (API reference): idempotent by name: an activity that exists is answered
/// with its ARN and creation date, and the request's tags are ignored; `InvalidName`,
/// `TooManyTags`.
pub struct CreateActivity;

impl Operation<StepFunctionsService> for CreateActivity {
    const NAME: &'static str = "CreateActivity";
    type Input = CreateActivityInput;
    type Output = CreateActivityOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: CreateActivityInput,
    ) -> Result<CreateActivityOutput, AwsError> {
        check_name(&input.name)?;
        let arn = activity_arn(&svc, &input.name);
        let tags = tag_pairs(input.tags);
        check_tag_count(tags.len(), &arn)?;
        let record = ActivityRecord {
            arn: arn.clone(),
            name: input.name,
            created_ms: svc.stack.clock.now_millis(),
        };
        let created = svc
            .stack
            .store
            .write(move |c| {
                if let Some(existing) = records::get_activity(c, &record.arn)? {
                    return Ok::<_, StoreError>(existing.created_ms);
                }
                records::insert_activity(c, &record)?;
                records::put_tags(c, &record.arn, &tags)?;
                Ok(record.created_ms)
            })
            .await
            .map_err(store_error)?;
        Ok(CreateActivityOutput {
            activity_arn: arn,
            creation_date: seconds(created),
        })
    }
}

// ----- DescribeActivity ---------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityArnInput {
    activity_arn: String,
}

impl Validate for ActivityArnInput {
    fn validate(&self, check: &mut Check) {
        check.length("activityArn", Some(&self.activity_arn), 1, 256);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeActivityOutput {
    activity_arn: String,
    name: String,
    creation_date: f64,
}

/// DescribeActivity (API reference): `ActivityDoesNotExist`, `InvalidArn`.
pub struct DescribeActivity;

impl Operation<StepFunctionsService> for DescribeActivity {
    const NAME: &'static str = "DescribeActivity";
    type Input = ActivityArnInput;
    type Output = DescribeActivityOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: ActivityArnInput,
    ) -> Result<DescribeActivityOutput, AwsError> {
        let arn = input.activity_arn;
        parse_arn(&arn, "activity")?;
        let key = arn.clone();
        let activity = svc
            .stack
            .store
            .call(move |c| records::get_activity(c, &key))
            .await
            .map_err(store_error)?
            .ok_or_else(|| {
                AwsError::client(
                    "ActivityDoesNotExist",
                    format!("Activity Does Not Exist: '{arn}'"),
                )
            })?;
        Ok(DescribeActivityOutput {
            creation_date: seconds(activity.created_ms),
            activity_arn: activity.arn,
            name: activity.name,
        })
    }
}

// ----- ListActivities -----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListActivitiesInput {
    max_results: Option<i64>,
    next_token: Option<String>,
}

impl Validate for ListActivitiesInput {
    fn validate(&self, check: &mut Check) {
        check.range("maxResults", self.max_results, 0, 1000);
        check.length("nextToken", self.next_token.as_deref(), 1, 1024);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityListItem {
    activity_arn: String,
    name: String,
    creation_date: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListActivitiesOutput {
    activities: Vec<ActivityListItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

const ACTIVITIES: Paginator = listing("states:ListActivities");

/// ListActivities (API reference): by name, 100 a page unless `maxResults` says (0: the
/// default); `InvalidToken`.
pub struct ListActivities;

impl Operation<StepFunctionsService> for ListActivities {
    const NAME: &'static str = "ListActivities";
    type Input = ListActivitiesInput;
    type Output = ListActivitiesOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: ListActivitiesInput,
    ) -> Result<ListActivitiesOutput, AwsError> {
        let request = ACTIVITIES.request(
            "",
            input.max_results,
            input.next_token.as_deref(),
            &super::ERRORS,
        )?;
        let all = svc
            .stack
            .store
            .call(records::list_activities)
            .await
            .map_err(store_error)?;
        let items: Vec<ActivityListItem> = all
            .into_iter()
            .map(|a| ActivityListItem {
                creation_date: seconds(a.created_ms),
                activity_arn: a.arn,
                name: a.name,
            })
            .collect();
        let page = request.page(items)?;
        Ok(ListActivitiesOutput {
            activities: page.items,
            next_token: page.next_token,
        })
    }
}

// ----- DeleteActivity -----------------------------------------------------------------------

/// DeleteActivity (API reference): the activity and its tags; an activity that does not exist
/// is no error; `InvalidArn`.
pub struct DeleteActivity;

impl Operation<StepFunctionsService> for DeleteActivity {
    const NAME: &'static str = "DeleteActivity";
    type Input = ActivityArnInput;
    type Output = Empty;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: ActivityArnInput,
    ) -> Result<Empty, AwsError> {
        parse_arn(&input.activity_arn, "activity")?;
        let arn = input.activity_arn;
        svc.stack
            .store
            .write(move |c| records::delete_activity(c, &arn))
            .await
            .map_err(store_error)?;
        Ok(Empty {})
    }
}

// ----- GetActivityTask ----------------------------------------------------------------------

/// How long GetActivityTask waits for a task (API reference: "up to 60 seconds").
const POLL_MS: i64 = 60_000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetActivityTaskInput {
    activity_arn: String,
    worker_name: Option<String>,
}

impl Validate for GetActivityTaskInput {
    fn validate(&self, check: &mut Check) {
        check.length("activityArn", Some(&self.activity_arn), 1, 256);
        check.length("workerName", self.worker_name.as_deref(), 1, 80);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetActivityTaskOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    task_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<String>,
}

/// GetActivityTask (API reference): the oldest task of the activity that no worker has taken,
/// with its token (SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat answer it) and input;
/// waits up to 60 seconds for one, then answers no token. `ActivityDoesNotExist`, `InvalidArn`.
pub struct GetActivityTask;

impl Operation<StepFunctionsService> for GetActivityTask {
    const NAME: &'static str = "GetActivityTask";
    type Input = GetActivityTaskInput;
    type Output = GetActivityTaskOutput;

    async fn run(
        svc: Arc<StepFunctionsService>,
        input: GetActivityTaskInput,
    ) -> Result<GetActivityTaskOutput, AwsError> {
        let arn = input.activity_arn;
        parse_arn(&arn, "activity")?;
        let clock = &svc.stack.clock;
        let deadline = clock.now_millis().saturating_add(POLL_MS);
        loop {
            // Registered before looking, so a task queued in between wakes this poll.
            let queued = svc.activity_tasks.notified();
            tokio::pin!(queued);
            queued.as_mut().enable();
            let (key, worker, now) = (arn.clone(), input.worker_name.clone(), clock.now_millis());
            let taken = svc
                .stack
                .store
                .write(move |c| {
                    if records::get_activity(c, &key)?.is_none() {
                        return Ok::<_, StoreError>(None);
                    }
                    records::take_activity_task(c, &key, worker.as_deref(), now).map(Some)
                })
                .await
                .map_err(store_error)?;
            match taken {
                None => {
                    return Err(AwsError::client(
                        "ActivityDoesNotExist",
                        format!("Activity Does Not Exist: '{arn}'"),
                    ));
                }
                Some(Some(task)) => {
                    // The execution records ActivityStarted with the worker's name.
                    if super::ensure_runner(&svc, &task.execution_arn)
                        .await
                        .is_ok()
                    {
                        svc.send_to_runner(
                            &task.execution_arn,
                            RunnerMessage::ActivityStarted {
                                token: task.token.clone(),
                                worker_name: input.worker_name.clone(),
                            },
                        );
                    }
                    return Ok(GetActivityTaskOutput {
                        task_token: Some(task.token),
                        input: Some(task.input),
                    });
                }
                Some(None) => {}
            }
            let left = deadline.saturating_sub(clock.now_millis());
            if left <= 0 {
                return Ok(GetActivityTaskOutput {
                    task_token: None,
                    input: None,
                });
            }
            tokio::select! {
                () = &mut queued => {}
                () = clock.sleep(Duration::from_millis(u64::try_from(left).unwrap_or(0))) => {}
            }
        }
    }
}
