//! Every Step Functions operation through the Rust SDK (`aws-sdk-sfn`) against kyc-local, as one
//! scenario: state machines, versions and aliases, tags, activities and their worker, executions
//! answered through activity task tokens, redrive, TestState, an Express workflow run
//! synchronously, a Distributed Map's Map Run, and the deletions. `scripts/sfn-operations.py` does
//! the same through boto3.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod stepfunctions_support;

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_sfn::types::{
    ExecutionRedriveFilter, ExecutionStatus, InspectionLevel, MapRunStatus,
    RoutingConfigurationListItem, StateMachineType, SyncExecutionStatus, Tag, TestExecutionStatus,
};
use serde_json::json;
use stepfunctions_support::{Harness, sdk_client};

const ROLE: &str = "arn:aws:iam::000000000000:role/sdk";

#[tokio::test]
async fn the_rust_sdk_drives_every_operation() {
    let h = Harness::kyc(&[]).await;
    let endpoint = h.server.as_ref().unwrap().endpoint().to_owned();
    let sfn = sdk_client(&endpoint, true);
    let mut used: BTreeSet<&str> = BTreeSet::new();

    // Activities and a state machine waiting on one.
    let activity = sfn
        .create_activity()
        .name("sdk-worker")
        .send()
        .await
        .unwrap()
        .activity_arn;
    used.insert("CreateActivity");
    let described = sfn
        .describe_activity()
        .activity_arn(&activity)
        .send()
        .await
        .unwrap();
    assert_eq!(described.name, "sdk-worker");
    used.insert("DescribeActivity");
    assert!(
        sfn.list_activities()
            .send()
            .await
            .unwrap()
            .activities
            .iter()
            .any(|a| a.activity_arn == activity)
    );
    used.insert("ListActivities");

    let mut definition = json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 300, "End": true}}});
    let created = sfn
        .create_state_machine()
        .name("sdk-machine")
        .definition(definition.to_string())
        .role_arn(ROLE)
        .publish(true)
        .version_description("first")
        .tags(Tag::builder().key("team").value("kyc").build())
        .send()
        .await
        .unwrap();
    used.insert("CreateStateMachine");
    let sm = created.state_machine_arn.clone();
    assert_eq!(
        created.state_machine_version_arn.as_deref(),
        Some(format!("{sm}:1").as_str())
    );
    let d = sfn
        .describe_state_machine()
        .state_machine_arn(&sm)
        .send()
        .await
        .unwrap();
    assert_eq!(d.r#type, StateMachineType::Standard);
    used.insert("DescribeStateMachine");
    assert!(
        sfn.list_state_machines()
            .send()
            .await
            .unwrap()
            .state_machines
            .iter()
            .any(|m| m.state_machine_arn == sm)
    );
    used.insert("ListStateMachines");
    definition["Comment"] = json!("second revision");
    let updated = sfn
        .update_state_machine()
        .state_machine_arn(&sm)
        .definition(definition.to_string())
        .send()
        .await
        .unwrap();
    used.insert("UpdateStateMachine");
    let validated = sfn
        .validate_state_machine_definition()
        .definition(definition.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(validated.result.as_str(), "OK");
    used.insert("ValidateStateMachineDefinition");
    let tested = sfn
        .test_state()
        .definition(r#"{"Type": "Pass", "Result": {"ok": true}, "End": true}"#)
        .input("{}")
        .inspection_level(InspectionLevel::Debug)
        .send()
        .await
        .unwrap();
    assert_eq!(tested.status, Some(TestExecutionStatus::Succeeded));
    used.insert("TestState");

    // Tags.
    sfn.tag_resource()
        .resource_arn(&sm)
        .tags(Tag::builder().key("stage").value("test").build())
        .send()
        .await
        .unwrap();
    used.insert("TagResource");
    sfn.untag_resource()
        .resource_arn(&sm)
        .tag_keys("stage")
        .send()
        .await
        .unwrap();
    used.insert("UntagResource");
    let tags = sfn
        .list_tags_for_resource()
        .resource_arn(&sm)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default();
    assert_eq!(tags.len(), 1);
    used.insert("ListTagsForResource");

    // Versions and an alias.
    let version = sfn
        .publish_state_machine_version()
        .state_machine_arn(&sm)
        .set_revision_id(updated.revision_id.clone())
        .description("second")
        .send()
        .await
        .unwrap()
        .state_machine_version_arn;
    assert_eq!(version, format!("{sm}:2"));
    used.insert("PublishStateMachineVersion");
    let versions = sfn
        .list_state_machine_versions()
        .state_machine_arn(&sm)
        .send()
        .await
        .unwrap()
        .state_machine_versions;
    assert_eq!(versions.len(), 2);
    used.insert("ListStateMachineVersions");
    let alias = sfn
        .create_state_machine_alias()
        .name("live")
        .routing_configuration(
            RoutingConfigurationListItem::builder()
                .state_machine_version_arn(&version)
                .weight(100)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .state_machine_alias_arn;
    used.insert("CreateStateMachineAlias");
    let described_alias = sfn
        .describe_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .send()
        .await
        .unwrap();
    assert_eq!(described_alias.name.as_deref(), Some("live"));
    used.insert("DescribeStateMachineAlias");
    sfn.update_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .description("all traffic")
        .send()
        .await
        .unwrap();
    used.insert("UpdateStateMachineAlias");
    assert_eq!(
        sfn.list_state_machine_aliases()
            .state_machine_arn(&sm)
            .send()
            .await
            .unwrap()
            .state_machine_aliases
            .len(),
        1
    );
    used.insert("ListStateMachineAliases");

    // Executions answered by the activity's worker: success, failure, one stopped (one at a time:
    // on the test's clock their tasks would be queued at the same instant).
    let start = |name: &'static str, on: String| {
        let sfn = sfn.clone();
        async move {
            sfn.start_execution()
                .state_machine_arn(on)
                .name(name)
                .input(r#"{"n": 1}"#)
                .send()
                .await
                .unwrap()
                .execution_arn
        }
    };
    let mut executions = vec![start("ok", alias.clone()).await];
    used.insert("StartExecution");
    let task = sfn
        .get_activity_task()
        .activity_arn(&activity)
        .worker_name("sdk")
        .send()
        .await
        .unwrap();
    used.insert("GetActivityTask");
    let token = task.task_token.unwrap();
    sfn.send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .unwrap();
    used.insert("SendTaskHeartbeat");
    sfn.send_task_success()
        .task_token(&token)
        .output(r#"{"done": true}"#)
        .send()
        .await
        .unwrap();
    used.insert("SendTaskSuccess");
    executions.push(start("fails", sm.clone()).await);
    let second = sfn
        .get_activity_task()
        .activity_arn(&activity)
        .worker_name("sdk")
        .send()
        .await
        .unwrap()
        .task_token
        .unwrap();
    sfn.send_task_failure()
        .task_token(&second)
        .error("Declined")
        .cause("by the worker")
        .send()
        .await
        .unwrap();
    used.insert("SendTaskFailure");
    executions.push(start("stopped", sm.clone()).await);
    sfn.stop_execution()
        .execution_arn(&executions[2])
        .error("Stopped")
        .send()
        .await
        .unwrap();
    used.insert("StopExecution");
    let status = |arn: String| {
        let sfn = sfn.clone();
        async move {
            for _ in 0..500 {
                let d = sfn
                    .describe_execution()
                    .execution_arn(&arn)
                    .send()
                    .await
                    .unwrap();
                if d.status != ExecutionStatus::Running {
                    return d;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("{arn} still running");
        }
    };
    let ok = status(executions[0].clone()).await;
    assert_eq!(ok.status, ExecutionStatus::Succeeded);
    assert_eq!(ok.state_machine_alias_arn.as_deref(), Some(alias.as_str()));
    used.insert("DescribeExecution");
    let failed = status(executions[1].clone()).await;
    assert_eq!(failed.status, ExecutionStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("Declined"));
    let listed = sfn
        .list_executions()
        .state_machine_arn(&sm)
        .status_filter(ExecutionStatus::Failed)
        .send()
        .await
        .unwrap()
        .executions;
    assert_eq!(listed.len(), 1);
    used.insert("ListExecutions");
    let history = sfn
        .get_execution_history()
        .execution_arn(&executions[0])
        .reverse_order(true)
        .include_execution_data(false)
        .send()
        .await
        .unwrap()
        .events;
    assert_eq!(
        history.first().map(|e| e.r#type.as_str()),
        Some("ExecutionSucceeded")
    );
    used.insert("GetExecutionHistory");
    let for_execution = sfn
        .describe_state_machine_for_execution()
        .execution_arn(&executions[0])
        .send()
        .await
        .unwrap();
    // The version's definition (the alias routed to version 2, the second revision).
    assert_eq!(for_execution.state_machine_arn, sm);
    assert!(for_execution.definition.contains("second revision"));
    used.insert("DescribeStateMachineForExecution");

    // Redrive the failed execution: the worker succeeds this time.
    let redriven = sfn
        .redrive_execution()
        .execution_arn(&executions[1])
        .send()
        .await
        .unwrap();
    assert!(redriven.redrive_date.secs() > 0);
    used.insert("RedriveExecution");
    let again = sfn
        .get_activity_task()
        .activity_arn(&activity)
        .send()
        .await
        .unwrap()
        .task_token
        .unwrap();
    sfn.send_task_success()
        .task_token(&again)
        .output("{}")
        .send()
        .await
        .unwrap();
    let done = status(executions[1].clone()).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.redrive_count, Some(1));
    let redriven_list = sfn
        .list_executions()
        .state_machine_arn(&sm)
        .redrive_filter(ExecutionRedriveFilter::Redriven)
        .send()
        .await
        .unwrap()
        .executions;
    assert_eq!(redriven_list.len(), 1);

    // An Express workflow, synchronously.
    let express = sfn
        .create_state_machine()
        .name("sdk-express")
        .r#type(StateMachineType::Express)
        .role_arn(ROLE)
        .definition(
            json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "fast", "End": true}}})
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let sync = sfn
        .start_sync_execution()
        .state_machine_arn(&express)
        .send()
        .await
        .unwrap();
    assert_eq!(sync.status, SyncExecutionStatus::Succeeded);
    assert_eq!(sync.output.as_deref(), Some("\"fast\""));
    used.insert("StartSyncExecution");

    // A Distributed Map: its Map Run, changed while it runs.
    let dmap = sfn
        .create_state_machine()
        .name("sdk-map")
        .role_arn(ROLE)
        .definition(
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "MaxConcurrency": 1,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}}}}})
            .to_string(),
        )
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let map_execution = sfn
        .start_execution()
        .state_machine_arn(&dmap)
        .input("[1, 2, 3]")
        .send()
        .await
        .unwrap()
        .execution_arn;
    let runs = sfn
        .list_map_runs()
        .execution_arn(&map_execution)
        .send()
        .await
        .unwrap()
        .map_runs;
    assert_eq!(runs.len(), 1);
    used.insert("ListMapRuns");
    let run = runs[0].map_run_arn.clone();
    sfn.update_map_run()
        .map_run_arn(&run)
        .max_concurrency(3)
        .send()
        .await
        .unwrap();
    used.insert("UpdateMapRun");
    let described_run = sfn
        .describe_map_run()
        .map_run_arn(&run)
        .send()
        .await
        .unwrap();
    assert_eq!(described_run.status, MapRunStatus::Running);
    assert_eq!(described_run.max_concurrency, 3);
    assert_eq!(described_run.item_counts.unwrap().total, 3);
    used.insert("DescribeMapRun");
    h.clock.advance(Duration::from_secs(60));
    assert_eq!(
        status(map_execution).await.status,
        ExecutionStatus::Succeeded
    );

    // Deletions.
    sfn.delete_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .send()
        .await
        .unwrap();
    used.insert("DeleteStateMachineAlias");
    sfn.delete_state_machine_version()
        .state_machine_version_arn(&version)
        .send()
        .await
        .unwrap();
    used.insert("DeleteStateMachineVersion");
    sfn.delete_activity()
        .activity_arn(&activity)
        .send()
        .await
        .unwrap();
    used.insert("DeleteActivity");
    sfn.delete_state_machine()
        .state_machine_arn(&sm)
        .send()
        .await
        .unwrap();
    used.insert("DeleteStateMachine");

    // Every operation kyc-local serves was driven, and it serves all 37 of the service.
    let served: BTreeSet<&str> = emulator::services::stepfunctions::operation_names()
        .into_iter()
        .collect();
    assert_eq!(served.len(), 37);
    assert_eq!(used, served);
}
