use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/template.yaml")
}

fn load_fixture(overrides: &[(&str, &str)]) -> Result<StackModel, TemplateError> {
    let options = TemplateOptions {
        stack_name: "demo-stack".into(),
        parameter_overrides: overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        endpoint: "http://127.0.0.1:4599".into(),
        ..TemplateOptions::default()
    };
    load(&fixture_path(), &options)
}

fn inline(text: &str) -> Result<StackModel, TemplateError> {
    load_str(text, Path::new("."), &TemplateOptions::default())
}

#[test]
fn fixture_resolves_names_arns_and_globals() {
    let model = load_fixture(&[]).unwrap();
    assert_eq!(model.event_buses.len(), 1);
    assert_eq!(model.event_buses[0].name, "DemoBus");
    assert_eq!(
        model.event_buses[0].arn,
        "arn:aws:events:us-east-1:000000000000:event-bus/DemoBus"
    );

    let worker = model
        .functions
        .iter()
        .find(|f| f.logical_id == "Worker")
        .unwrap();
    assert!(
        worker.name.starts_with("demo-stack-Worker-"),
        "{}",
        worker.name
    );
    assert_eq!(worker.name.len(), "demo-stack-Worker-".len() + 12);
    assert_eq!(
        worker.arn,
        format!(
            "arn:aws:lambda:us-east-1:000000000000:function:{}",
            worker.name
        )
    );
    assert_eq!(worker.binary.as_deref(), Some("worker"));
    assert_eq!(worker.build_method.as_deref(), Some("rust-cargolambda"));
    assert_eq!(worker.memory_mb, 256);
    assert_eq!(worker.timeout_seconds, 10);
    assert_eq!(worker.log_group, format!("/aws/lambda/{}", worker.name));
    assert_eq!(
        worker.environment.get("STAGE").map(String::as_str),
        Some("dev")
    );
    assert_eq!(
        worker.environment.get("SHARED").map(String::as_str),
        Some("from-function")
    );
    assert_eq!(
        worker.environment.get("BUS_ARN").map(String::as_str),
        Some("arn:aws:events:us-east-1:000000000000:event-bus/DemoBus")
    );
    let dlq = model.queues.iter().find(|q| q.logical_id == "Dlq").unwrap();
    assert_eq!(worker.environment.get("QUEUE_URL"), Some(&dlq.url));
    assert_eq!(
        dlq.url,
        format!("http://127.0.0.1:4599/000000000000/{}", dlq.name)
    );
    assert!(
        worker
            .role_arn
            .starts_with("arn:aws:iam::000000000000:role/demo-stack-WorkerRole-")
    );
    assert_eq!(
        worker.event_invoke_config,
        Some(EventInvokeConfigModel {
            maximum_retry_attempts: Some(1),
            maximum_event_age_in_seconds: Some(600),
            on_success: None,
            on_failure: Some(dlq.arn.clone()),
        })
    );
    // Names are stable: same stack, same logical id, same name.
    assert_eq!(
        load_fixture(&[]).unwrap().functions[0].name,
        model.functions[0].name
    );
}

#[test]
fn fixture_conditions_drop_and_keep_resources() {
    let model = load_fixture(&[]).unwrap();
    let names: Vec<&str> = model
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(names, ["Worker", "Named"], "document order");
    let named = &model.functions[1];
    assert_eq!(named.name, "demo-named");
    // SAM merges Globals before CloudFormation evaluates Fn::If, so the
    // resource's Fn::If replaces the global Timeout and AWS::NoValue leaves
    // Lambda's own default of 3 seconds.
    assert_eq!(named.timeout_seconds, 3);
    assert_eq!(model.conditions.get("DevAndA"), Some(&true));

    let prod = load_fixture(&[("Stage", "prod")]).unwrap();
    let names: Vec<&str> = prod
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(names, ["Worker", "ProdOnly"]);
    assert_eq!(prod.functions[0].memory_mb, 1024);
}

#[test]
fn fixture_rules_from_events_and_resources() {
    let model = load_fixture(&[]).unwrap();
    let rule = |id: &str| model.rules.iter().find(|r| r.logical_id == id).unwrap();

    let work = rule("WorkerWork");
    assert_eq!(work.event_bus_name, "DemoBus");
    assert!(work.name.starts_with("demo-stack-WorkerWork-"));
    assert_eq!(
        work.arn,
        format!(
            "arn:aws:events:us-east-1:000000000000:rule/DemoBus/{}",
            work.name
        )
    );
    assert_eq!(work.event_pattern, Some(json!({"source": ["demo.source"]})));
    assert_eq!(
        work.origin,
        RuleOrigin::FunctionEvent {
            function: "Worker".into(),
            event: "Work".into()
        }
    );
    let target = &work.targets[0];
    assert_eq!(target.id, "WorkerWorkLambdaTarget");
    assert_eq!(target.arn, model.functions[0].arn);
    assert_eq!(target.input_path.as_deref(), Some("$.detail"));
    assert_eq!(
        target.retry_policy,
        Some(RetryPolicyModel {
            maximum_retry_attempts: Some(3),
            maximum_event_age_in_seconds: None
        })
    );
    let generated_dlq = model
        .queues
        .iter()
        .find(|q| q.logical_id == "WorkerWorkQueue")
        .unwrap();
    assert_eq!(
        target.dead_letter_arn.as_deref(),
        Some(generated_dlq.arn.as_str())
    );

    let tick = rule("NamedTick");
    assert_eq!(tick.schedule_expression.as_deref(), Some("rate(5 minutes)"));
    assert_eq!(tick.state, "DISABLED");
    assert_eq!(tick.event_bus_name, "default");

    let start = rule("MachineStart");
    assert_eq!(
        start.event_bus_name, "DemoBus",
        "a bus ARN is reduced to its name"
    );
    assert_eq!(start.targets[0].id, "MachineStartStepFunctionsTarget");
    assert_eq!(start.targets[0].arn, model.state_machines[0].arn);
    assert_eq!(
        start.targets[0].input_transformer,
        Some(InputTransformerModel {
            input_paths_map: [("id".to_owned(), "$.id".to_owned())].into_iter().collect(),
            input_template: "{\"id\": <id>}".into(),
        })
    );

    let audit = rule("AuditRule");
    assert_eq!(
        audit.event_pattern,
        Some(json!({"source": [{"prefix": "demo."}]}))
    );
    assert_eq!(audit.targets[0].input.as_deref(), Some("{\"fixed\": true}"));
    let audit_logs = model
        .log_groups
        .iter()
        .find(|g| g.logical_id == "AuditLogs")
        .unwrap();
    assert_eq!(audit.targets[0].arn, audit_logs.arn);
    assert!(audit_logs.name.starts_with("demo-stack-AuditLogs-"));
    assert_eq!(audit.origin, RuleOrigin::Resource);

    let default_rule = rule("DefaultBusRule");
    assert_eq!(default_rule.name, "demo-status-changes");
    assert_eq!(
        default_rule.arn,
        "arn:aws:events:us-east-1:000000000000:rule/demo-status-changes"
    );
    assert_eq!(
        model.outputs.get("RuleRef"),
        Some(&json!(format!("DemoBus|{}", audit.name)))
    );
}

#[test]
fn fixture_state_machine_definition_is_substituted() {
    let model = load_fixture(&[("TimeoutSeconds", "90"), ("Prefix", "other")]).unwrap();
    let machine = &model.state_machines[0];
    assert!(machine.name.starts_with("Machine-"), "{}", machine.name);
    assert_eq!(
        machine.arn,
        format!(
            "arn:aws:states:us-east-1:000000000000:stateMachine:{}",
            machine.name
        )
    );
    assert_eq!(machine.definition_source, "statemachine/machine.asl.json");
    assert_eq!(machine.state_machine_type, "STANDARD");
    let worker_arn = &model
        .functions
        .iter()
        .find(|f| f.logical_id == "Worker")
        .unwrap()
        .arn;
    assert_eq!(
        machine.definition["States"]["Work"]["Parameters"]["FunctionName"],
        json!(worker_arn)
    );
    assert_eq!(
        machine.definition["States"]["Work"]["TimeoutSeconds"],
        json!(90)
    );
    assert_eq!(
        machine.definition["States"]["Publish"]["Parameters"]["Entries"][0]["EventBusName"],
        json!("DemoBus")
    );
    assert_eq!(
        machine.logging,
        Some(LoggingModel {
            level: "ALL".into(),
            include_execution_data: true,
            log_groups: vec!["/aws/vendedlogs/states/other".into()]
        })
    );
    assert_eq!(model.outputs.get("MachineArn"), Some(&json!(machine.arn)));
    assert_eq!(
        model.outputs.get("Azs"),
        Some(&json!("us-east-1a,us-east-1b,us-east-1c"))
    );
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

#[test]
fn fixture_reports_what_does_not_run() {
    let model = load_fixture(&[]).unwrap();
    let not_run: Vec<(&str, &str)> = model
        .not_run
        .iter()
        .map(|n| (n.logical_id.as_str(), n.resource_type.as_str()))
        .collect();
    assert!(not_run.contains(&("WorkerPermission", "AWS::Lambda::Permission")));
    assert!(not_run.contains(&("WorkerRole", "AWS::IAM::Role")));
    assert!(not_run.contains(&("MachineRole", "AWS::IAM::Role")));
}

#[test]
fn parameter_errors_name_the_parameter() {
    let err = load_fixture(&[("Stage", "qa")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter Stage: value 'qa' is not one of the AllowedValues [dev, prod]"
    );
    let err = load_fixture(&[("Prefix", "Bad_Prefix")]).unwrap_err();
    assert!(
        matches!(err, TemplateError::Parameter { ref name, .. } if name == "Prefix"),
        "{err}"
    );
    let err = load_fixture(&[("TimeoutSeconds", "0")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter TimeoutSeconds: value 0 is below MinValue 1"
    );
    let err = load_fixture(&[("Nope", "1")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter Nope: is not declared in the template's Parameters"
    );
    let err = inline("Parameters:\n  Need:\n    Type: String\nResources: {}\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter Need: has no Default; give it with --parameter-overrides"
    );
}

#[test]
fn unsupported_things_are_refused_with_resource_and_property() {
    let sam = "Transform: AWS::Serverless-2016-10-31\nResources:\n";
    let cases = [
        (
            format!("{sam}  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n      Events:\n        Api:\n          Type: Api\n          Properties:\n            Path: /\n"),
            "F",
            "Events.Api.Type",
        ),
        (
            format!("{sam}  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n      Layers: [arn:aws:lambda:us-east-1:1:layer:x:1]\n"),
            "F",
            "Layers",
        ),
        (
            format!("{sam}  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n      FunctionUrlConfig:\n        AuthType: NONE\n"),
            "F",
            "FunctionUrlConfig",
        ),
        ("Resources:\n  T:\n    Type: AWS::SNS::Topic\n".to_owned(), "T", "Type"),
        ("Resources:\n  F:\n    Type: AWS::Serverless::Function\n".to_owned(), "F", "Type"),
        (
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      FifoQueue: true\n".to_owned(),
            "Q",
            "FifoQueue",
        ),
        (
            format!("{sam}  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri:\n        Bucket: b\n        Key: k\n"),
            "M",
            "DefinitionUri",
        ),
        ("Resources:\n  B:\n    Type: AWS::Events::EventBus\n".to_owned(), "B", "Name"),
        (
            "Resources:\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: {source: [x]}\n      Targets:\n        - Id: a\n          Arn: arn:aws:sqs:us-east-1:000000000000:q\n          RetryPolicy:\n            MaximumRetryAttempts: 186\n".to_owned(),
            "R",
            "Targets[0].RetryPolicy.MaximumRetryAttempts",
        ),
        (
            "Resources:\n  G:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      RetentionInDays: 2\n".to_owned(),
            "G",
            "RetentionInDays",
        ),
        (
            "Resources:\n  G:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      LogGroupName: !ImportValue other\n".to_owned(),
            "G",
            "LogGroupName",
        ),
    ];
    for (text, resource, property) in cases {
        match inline(&text) {
            Err(TemplateError::Resource {
                logical_id,
                property: p,
                ..
            }) => {
                assert_eq!(
                    (logical_id.as_str(), p.as_str()),
                    (resource, property),
                    "{text}"
                );
            }
            other => panic!("expected a refusal of {resource}.{property}, got {other:?}\n{text}"),
        }
    }
}

#[test]
fn ref_to_unknown_names_is_refused() {
    let err = inline("Resources:\n  G:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      LogGroupName: !Ref Missing\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "resource G, property LogGroupName: Ref Missing: no parameter, pseudo parameter or resource has this name"
    );
    let err = inline("Conditions:\n  A: !Condition B\nResources: {}\n").unwrap_err();
    assert!(matches!(err, TemplateError::Condition { .. }), "{err}");
}

#[test]
fn parameter_overrides_parse_like_sam() {
    let parsed = parse_parameter_overrides(&[
        "InstancePrefix=\"app\" EventBusName=Central".to_owned(),
        "ReviewTimeoutSeconds=30".to_owned(),
        "ParameterKey=Stage,ParameterValue=prod".to_owned(),
        "Note='two words'".to_owned(),
    ])
    .unwrap();
    let expected: BTreeMap<String, String> = [
        ("InstancePrefix", "app"),
        ("EventBusName", "Central"),
        ("ReviewTimeoutSeconds", "30"),
        ("Stage", "prod"),
        ("Note", "two words"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(parsed, expected);
    assert!(parse_parameter_overrides(&["novalue".to_owned()]).is_err());
    assert!(parse_parameter_overrides(&["=x".to_owned()]).is_err());
}

/// The project's own template must load, and every rule target must point at
/// something the local stack runs.
#[test]
fn project_template_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    if !path.exists() {
        eprintln!("skipped: {} does not exist yet", path.display());
        return;
    }
    let model = load(&path, &TemplateOptions::default()).unwrap();
    let mut known: Vec<&str> = Vec::new();
    known.extend(model.functions.iter().map(|f| f.arn.as_str()));
    known.extend(model.state_machines.iter().map(|s| s.arn.as_str()));
    known.extend(model.log_groups.iter().map(|g| g.arn.as_str()));
    // A log group target names the group without the ":*" GetAtt adds (EventBridge user guide).
    known.extend(
        model
            .log_groups
            .iter()
            .filter_map(|g| g.arn.strip_suffix(":*")),
    );
    known.extend(model.queues.iter().map(|q| q.arn.as_str()));
    known.extend(model.event_buses.iter().map(|b| b.arn.as_str()));
    assert!(!model.rules.is_empty());
    for rule in &model.rules {
        for target in &rule.targets {
            assert!(
                known.contains(&target.arn.as_str()),
                "rule {} targets unknown {}",
                rule.logical_id,
                target.arn
            );
            if let Some(dlq) = &target.dead_letter_arn {
                assert!(
                    model.queues.iter().any(|q| &q.arn == dlq),
                    "rule {} has unknown DLQ {dlq}",
                    rule.logical_id
                );
            }
        }
    }
    for machine in &model.state_machines {
        assert!(
            machine.definition.get("StartAt").is_some(),
            "{}",
            machine.logical_id
        );
    }
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}
