//! Task integrations, shaped as the Step Functions developer guide documents them:
//! "Invoke an AWS Lambda function with Step Functions", "Add EventBridge events with Step
//! Functions", "Send messages to an Amazon SQS queue with Step Functions".

use std::collections::BTreeMap;

use asl::{Integration, IntegrationPattern, TaskRequest};
use serde_json::{Value, json};

use super::StepFunctionsService;
use super::mocks;
use super::model::TaskResult;
use crate::lambda::{InvocationType, InvokeOutcome, LambdaError};
use crate::services::sqs::MessageAttributeValue;
use crate::store::stepfunctions as records;

/// What a dispatched task produced.
pub(super) enum Outcome {
    /// The task finished (request-response), or failed.
    Done(TaskResult),
    /// A `.waitForTaskToken` request was accepted; the task now waits for its token.
    Submitted(Value),
    /// An activity task was queued for a worker; the task now waits for its token.
    Queued,
}

fn failed(error: impl Into<String>, cause: impl Into<String>) -> Outcome {
    Outcome::Done(TaskResult::Failed {
        error: error.into(),
        cause: cause.into(),
    })
}

/// Runs one task of an execution, with its state machine's role.
pub(super) async fn run(
    svc: &StepFunctionsService,
    task: &TaskRequest,
    execution_arn: &str,
    state_machine_arn: &str,
) -> Outcome {
    // A mocked Task calls nothing, so no permission is evaluated either.
    if let Some(result) = mocks::mocked(svc, task, execution_arn, state_machine_arn).await {
        return Outcome::Done(result);
    }
    let role = svc
        .stack
        .permissions
        .state_machine_role(state_machine_arn)
        .map(str::to_owned);
    run_as(svc, task, execution_arn, state_machine_arn, role.as_deref()).await
}

/// Runs one task with `role` (TestState names its role itself); `None`: no role to evaluate.
pub(super) async fn run_as(
    svc: &StepFunctionsService,
    task: &TaskRequest,
    execution_arn: &str,
    state_machine_arn: &str,
    role: Option<&str>,
) -> Outcome {
    if let Some(denied) = permission_denied(svc, task, role) {
        return denied;
    }
    match &task.integration {
        Integration::LambdaFunction => {
            // A bare function ARN: the output is the function's payload.
            let payload = task.parameters.to_string().into_bytes();
            match invoke(
                svc,
                &task.resource,
                payload,
                InvocationType::RequestResponse,
            )
            .await
            {
                Ok(out) => match function_error(&out) {
                    Some(outcome) => outcome,
                    None => Outcome::Done(TaskResult::Succeeded(payload_value(&out))),
                },
                Err(e) => lambda_api_error(&e),
            }
        }
        Integration::Service {
            service,
            api,
            pattern,
        } => {
            let base = api.split('.').next().unwrap_or("");
            let wait = *pattern == IntegrationPattern::WaitForTaskToken;
            if *pattern == IntegrationPattern::Sync {
                return unsupported(&task.resource);
            }
            let outcome = match (service.as_str(), base) {
                ("lambda", "invoke") => lambda_invoke(svc, &task.parameters).await,
                ("events", "putEvents") => {
                    put_events(svc, task, execution_arn, state_machine_arn).await
                }
                ("sqs", "sendMessage") => send_message(svc, &task.parameters).await,
                _ => return unsupported(&task.resource),
            };
            match outcome {
                Outcome::Done(TaskResult::Succeeded(output)) if wait => Outcome::Submitted(output),
                other => other,
            }
        }
        Integration::Activity => queue_activity_task(svc, task, execution_arn).await,
    }
}

/// A Task state whose `Resource` is an activity: its input is queued for the activity's workers
/// (GetActivityTask hands it out with the task token, SendTask* answers it). An activity that
/// does not exist fails the task (`ActivityDoesNotExist`).
async fn queue_activity_task(
    svc: &StepFunctionsService,
    task: &TaskRequest,
    execution_arn: &str,
) -> Outcome {
    let Some(token) = task.task_token.clone() else {
        return unsupported(&task.resource);
    };
    let record = records::ActivityTaskRecord {
        token,
        activity_arn: task.resource.clone(),
        execution_arn: execution_arn.to_owned(),
        input: task.parameters.to_string(),
        queued_ms: svc.stack.clock.now_millis(),
    };
    let queued = svc
        .stack
        .store
        .write(move |c| {
            if records::get_activity(c, &record.activity_arn)?.is_none() {
                return Ok::<_, crate::store::StoreError>(false);
            }
            records::queue_activity_task(c, &record)?;
            Ok(true)
        })
        .await;
    match queued {
        Ok(true) => {
            svc.activity_tasks.notify_waiters();
            Outcome::Queued
        }
        Ok(false) => failed(
            "ActivityDoesNotExist",
            format!("Activity Does Not Exist: '{}'", task.resource),
        ),
        Err(e) => failed("States.Runtime", format!("storage failed: {e}")),
    }
}

/// The permission plane's verdict on the calls a task makes with the state machine's role. A
/// denial fails the task the way Step Functions reports the service's AccessDeniedException:
/// `<Service>.<SDK exception>` with the service's message and the SDK's request details as the
/// cause (`Lambda.AWSLambdaException`, the error the Lambda integration's documented retrier
/// names; the same naming for EventBridge and SQS).
fn permission_denied(
    svc: &StepFunctionsService,
    task: &TaskRequest,
    role: Option<&str>,
) -> Option<Outcome> {
    let plane = &svc.stack.permissions;
    if plane.mode() == crate::permissions::IamMode::Off {
        return None;
    }
    let role = role?.to_owned();
    let (region, account) = (&svc.stack.region, &svc.stack.account_id);
    use crate::permissions::arns;
    let calls: Vec<(&str, String, String)> = match &task.integration {
        Integration::LambdaFunction => vec![(
            "lambda",
            "lambda:InvokeFunction".into(),
            arns::function_arn(&task.resource, region, account),
        )],
        Integration::Service { service, api, .. } => {
            match (service.as_str(), api.split('.').next().unwrap_or("")) {
                ("lambda", "invoke") => task
                    .parameters
                    .get("FunctionName")
                    .and_then(Value::as_str)
                    .map(|f| {
                        vec![(
                            "lambda",
                            "lambda:InvokeFunction".into(),
                            arns::function_arn(f, region, account),
                        )]
                    })
                    .unwrap_or_default(),
                ("events", "putEvents") => {
                    arns::entry_bus_arns(task.parameters.get("Entries"), region, account)
                        .into_iter()
                        .map(|arn| ("events", "events:PutEvents".to_owned(), arn))
                        .collect()
                }
                ("sqs", "sendMessage") => task
                    .parameters
                    .get("QueueUrl")
                    .and_then(Value::as_str)
                    .map(|url| {
                        vec![(
                            "sqs",
                            "sqs:SendMessage".into(),
                            arns::queue_arn_of_url(url, region, account),
                        )]
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            }
        }
        Integration::Activity => Vec::new(),
    };
    for (service, action, resource) in calls {
        if let Err(denial) = plane.role_call(&role, "states", &action, &resource) {
            let request_id = uuid::Uuid::new_v4();
            let (error, detail) = match service {
                "lambda" => (
                    "Lambda.AWSLambdaException",
                    format!(
                        "Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: {request_id}; Proxy: null"
                    ),
                ),
                "events" => (
                    "EventBridge.AmazonEventBridgeException",
                    format!(
                        "Service: AmazonEventBridge; Status Code: 400; Error Code: AccessDeniedException; Request ID: {request_id}; Proxy: null"
                    ),
                ),
                _ => (
                    "SQS.AmazonSQSException",
                    format!(
                        "Service: AmazonSQS; Status Code: 403; Error Code: AccessDenied; Request ID: {request_id}; Proxy: null"
                    ),
                ),
            };
            return Some(failed(error, format!("{} ({detail})", denial.message)));
        }
    }
    None
}

fn unsupported(resource: &str) -> Outcome {
    failed(
        "States.TaskFailed",
        format!("the local stack does not run the integration '{resource}'"),
    )
}

async fn invoke(
    svc: &StepFunctionsService,
    function: &str,
    payload: Vec<u8>,
    invocation_type: InvocationType,
) -> Result<InvokeOutcome, LambdaError> {
    svc.lambda
        .invoke(function.to_owned(), payload, invocation_type)
        .await
}

fn payload_value(out: &InvokeOutcome) -> Value {
    if out.payload.iter().all(u8::is_ascii_whitespace) {
        return Value::String(String::new());
    }
    serde_json::from_slice(&out.payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out.payload).into_owned()))
}

/// A function error (`X-Amz-Function-Error`): the task fails with the function's `errorType` and
/// the error document as the cause.
fn function_error(out: &InvokeOutcome) -> Option<Outcome> {
    out.function_error.as_ref()?;
    let text = String::from_utf8_lossy(&out.payload).into_owned();
    let error = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("errorType")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "Lambda.Unknown".to_owned());
    Some(failed(error, text))
}

/// A Lambda API error: `Lambda.<Exception>` with the SDK's cause text.
fn lambda_api_error(e: &LambdaError) -> Outcome {
    failed(
        format!("Lambda.{}", e.code()),
        format!(
            "{e} (Service: AWSLambda; Status Code: {}; Error Code: {}; Request ID: {}; Proxy: null)",
            e.status().as_u16(),
            e.code(),
            uuid::Uuid::new_v4()
        ),
    )
}

fn sdk_metadata(request_id: &str, status: u16, extra: &[(&str, String)]) -> (Value, Value) {
    let mut headers = serde_json::Map::new();
    let mut all = serde_json::Map::new();
    let mut put = |k: &str, v: String| {
        headers.insert(k.to_owned(), json!(v));
        all.insert(k.to_owned(), json!([v]));
    };
    put("Connection", "keep-alive".into());
    put("Content-Type", "application/json".into());
    put(
        "Date",
        chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string(),
    );
    put("x-amzn-RequestId", request_id.to_owned());
    for (k, v) in extra {
        put(k, v.clone());
    }
    (
        json!({ "AllHttpHeaders": all, "HttpHeaders": headers, "HttpStatusCode": status }),
        json!({ "RequestId": request_id }),
    )
}

async fn lambda_invoke(svc: &StepFunctionsService, params: &Value) -> Outcome {
    let Some(function) = params.get("FunctionName").and_then(Value::as_str) else {
        return failed(
            "States.Runtime",
            "The field 'FunctionName' is required for arn:aws:states:::lambda:invoke",
        );
    };
    let invocation_type = match params.get("InvocationType").and_then(Value::as_str) {
        None | Some("RequestResponse") => InvocationType::RequestResponse,
        Some("Event") => InvocationType::Event,
        Some("DryRun") => InvocationType::DryRun,
        Some(other) => {
            return lambda_api_error(&LambdaError::Validation(format!(
                "1 validation error detected: Value '{other}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
            )));
        }
    };
    let payload = match params.get("Payload") {
        None => b"{}".to_vec(),
        Some(v) => v.to_string().into_bytes(),
    };
    let out = match invoke(svc, function, payload, invocation_type).await {
        Ok(out) => out,
        Err(e) => return lambda_api_error(&e),
    };
    if let Some(outcome) = function_error(&out) {
        return outcome;
    }
    let version = out
        .executed_version
        .clone()
        .unwrap_or_else(|| "$LATEST".to_owned());
    let (http, response) = sdk_metadata(
        &out.request_id,
        out.status_code,
        &[
            ("X-Amz-Executed-Version", version.clone()),
            ("Content-Length", out.payload.len().to_string()),
        ],
    );
    Outcome::Done(TaskResult::Succeeded(json!({
        "ExecutedVersion": version,
        "Payload": payload_value(&out),
        "SdkHttpMetadata": http,
        "SdkResponseMetadata": response,
        "StatusCode": out.status_code,
    })))
}

async fn put_events(
    svc: &StepFunctionsService,
    task: &TaskRequest,
    execution_arn: &str,
    state_machine_arn: &str,
) -> Outcome {
    let params = &task.parameters;
    let Some(entries) = params.get("Entries").and_then(Value::as_array) else {
        return failed(
            "States.Runtime",
            "The field 'Entries' is required for arn:aws:states:::events:putEvents",
        );
    };
    let entries: Vec<Value> = entries
        .iter()
        .map(|entry| {
            let mut entry = entry.clone();
            if let Some(obj) = entry.as_object_mut() {
                // Detail given as JSON is sent as its text, as the integration does.
                if let Some(detail) = obj.get("Detail")
                    && !detail.is_string()
                {
                    let text = detail.to_string();
                    obj.insert("Detail".into(), Value::String(text));
                }
                // "The execution ARN and the state machine ARN are automatically appended to
                // the Resources field of each PutEventsRequestEntry."
                let mut resources: Vec<Value> = obj
                    .get("Resources")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                resources.push(json!(execution_arn));
                resources.push(json!(state_machine_arn));
                obj.insert("Resources".into(), Value::Array(resources));
            }
            entry
        })
        .collect();
    // At most once per task: a task sent again after a crash (its answer not saved yet) gets the
    // first call's answer instead of publishing again; Standard workflows run a task once.
    match svc
        .events
        .put_events_once(execution_arn.to_owned(), task.task_id.to_string(), entries)
        .await
    {
        Ok(outcome) if outcome.failed_entry_count > 0 => failed(
            "EventBridge.FailedEntry",
            format!(
                "At least one entry could not be added to the event bus: {}",
                outcome.to_json()
            ),
        ),
        Ok(outcome) => Outcome::Done(TaskResult::Succeeded(outcome.to_json())),
        Err(e) => failed(
            format!("EventBridge.{}", e.code),
            format!(
                "{} (Service: EventBridge; Status Code: {}; Error Code: {}; Request ID: {}; Proxy: null)",
                e.message.clone().unwrap_or_default(),
                e.status.as_u16(),
                e.code,
                uuid::Uuid::new_v4()
            ),
        ),
    }
}

async fn send_message(svc: &StepFunctionsService, params: &Value) -> Outcome {
    let Some(url) = params.get("QueueUrl").and_then(Value::as_str) else {
        return failed(
            "States.Runtime",
            "The field 'QueueUrl' is required for arn:aws:states:::sqs:sendMessage",
        );
    };
    let body = match params.get("MessageBody") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => {
            return failed(
                "States.Runtime",
                "The field 'MessageBody' is required for arn:aws:states:::sqs:sendMessage",
            );
        }
    };
    let attributes: BTreeMap<String, MessageAttributeValue> = match params
        .get("MessageAttributes")
        .map(|v| serde_json::from_value(v.clone()))
    {
        None => BTreeMap::new(),
        Some(Ok(a)) => a,
        Some(Err(e)) => {
            return failed(
                "SQS.InvalidParameterValueException",
                format!("MessageAttributes are not valid: {e}"),
            );
        }
    };
    let queue = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_owned();
    match svc
        .stack
        .sqs
        .send_message_to(&queue, body, attributes)
        .await
    {
        Ok(sent) => {
            let request_id = uuid::Uuid::new_v4().to_string();
            let (http, response) = sdk_metadata(&request_id, 200, &[]);
            let mut out = serde_json::to_value(&sent).unwrap_or_else(|_| json!({}));
            out["SdkHttpMetadata"] = http;
            out["SdkResponseMetadata"] = response;
            Outcome::Done(TaskResult::Succeeded(out))
        }
        Err(e) => {
            let e = crate::protocol::error::AwsError::from(e);
            failed(
                format!("SQS.{}", e.code),
                format!(
                    "{} (Service: AmazonSQS; Status Code: {}; Error Code: {}; Request ID: {}; Proxy: null)",
                    e.message.clone().unwrap_or_default(),
                    e.status.as_u16(),
                    e.code,
                    uuid::Uuid::new_v4()
                ),
            )
        }
    }
}
