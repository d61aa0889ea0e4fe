//! `template.yaml`, `statemachine/kyc.asl.yaml` and `events/` must agree with each other: a placeholder
//! without a substitution, a substitution nobody uses, or a task invoking a function the template does not
//! define only shows up at deploy time on AWS, so it is caught here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;
use sha2::{Digest, Sha256};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository root")
        .to_path_buf()
}

fn read(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn template() -> Yaml {
    serde_yaml::from_str(&read("template.yaml")).expect("template.yaml is YAML")
}

fn resource<'a>(template: &'a Yaml, logical_id: &str) -> &'a Yaml {
    template
        .get("Resources")
        .and_then(|r| r.get(logical_id))
        .unwrap_or_else(|| panic!("template.yaml has no resource {logical_id}"))
}

fn resource_type(template: &Yaml, logical_id: &str) -> String {
    resource(template, logical_id)
        .get("Type")
        .and_then(Yaml::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The state machine resource's DefinitionSubstitutions, with the intrinsic each value uses.
fn substitutions(template: &Yaml) -> BTreeMap<String, Yaml> {
    let props = resource(template, "KycStateMachine")
        .get("Properties")
        .expect("KycStateMachine has Properties");
    let map = props
        .get("DefinitionSubstitutions")
        .and_then(Yaml::as_mapping)
        .expect("KycStateMachine has DefinitionSubstitutions");
    map.iter()
        .map(|(k, v)| (k.as_str().expect("string key").to_string(), v.clone()))
        .collect()
}

fn placeholders(text: &str) -> BTreeSet<String> {
    let re = Regex::new(r"\$\{([A-Za-z0-9_.]+)\}").expect("valid regex");
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

/// The definition with every placeholder replaced, as CloudFormation does before Step Functions parses it.
fn substituted_definition(values: &BTreeMap<&str, &str>) -> Json {
    let mut text = read("statemachine/kyc.asl.yaml");
    for (key, value) in values {
        text = text.replace(&format!("${{{key}}}"), value);
    }
    serde_yaml::from_str(&text).expect("substituted definition is YAML")
}

fn default_substituted_definition() -> Json {
    let values = BTreeMap::from([
        (
            "IdentityCheckFunctionArn",
            "arn:aws:lambda:us-east-1:000000000000:function:kyc-identity-check",
        ),
        (
            "RiskProfileFunctionArn",
            "arn:aws:lambda:us-east-1:000000000000:function:kyc-risk-profile",
        ),
        ("EventBusName", "CentralEventBus"),
        ("ReviewHeartbeatSeconds", "86400"),
        ("ReviewTimeoutSeconds", "604800"),
        ("MaxInvalidReviews", "3"),
    ]);
    substituted_definition(&values)
}

fn states(definition: &Json) -> &serde_json::Map<String, Json> {
    definition["States"]
        .as_object()
        .expect("States is an object")
}

#[test]
fn put_events_is_the_original_samples_file_byte_for_byte() {
    // SHA-256 of the original sample's put_events.json (../shared/reference/put_events.json).
    let bytes =
        std::fs::read(repo_root().join("events/put_events.json")).expect("events/put_events.json");
    let digest = format!("{:x}", Sha256::digest(&bytes));
    assert_eq!(
        digest,
        "9301fb0aa83af63535c30edbecae57f09c03fa4cae86b881545bdeb69762a21d"
    );
}

#[test]
fn asl_file_is_valid_yaml_before_substitution() {
    let text = read("statemachine/kyc.asl.yaml");
    let definition: Json = serde_yaml::from_str(&text).expect("kyc.asl.yaml is YAML");
    assert!(definition["StartAt"].is_string());
    assert!(states(&definition).contains_key(definition["StartAt"].as_str().unwrap_or("")));
}

#[test]
fn every_placeholder_is_a_substitution_and_every_substitution_is_used() {
    let used = placeholders(&read("statemachine/kyc.asl.yaml"));
    let defined: BTreeSet<String> = substitutions(&template()).into_keys().collect();
    let missing: Vec<_> = used.difference(&defined).collect();
    let unused: Vec<_> = defined.difference(&used).collect();
    assert!(
        missing.is_empty(),
        "placeholders without a DefinitionSubstitutions key: {missing:?}"
    );
    assert!(
        unused.is_empty(),
        "DefinitionSubstitutions keys the definition never uses: {unused:?}"
    );
}

#[test]
fn every_invoked_function_exists_in_the_template() {
    let template = template();
    let subs = substitutions(&template);
    let raw: Json = serde_yaml::from_str(&read("statemachine/kyc.asl.yaml")).expect("YAML");
    let mut invoked = Vec::new();
    for (name, state) in states(&raw) {
        if state["Resource"] != "arn:aws:states:::lambda:invoke" {
            continue;
        }
        let function = state["Arguments"]["FunctionName"]
            .as_str()
            .unwrap_or_else(|| panic!("state {name} has a FunctionName"));
        let keys = placeholders(function);
        assert_eq!(
            keys.len(),
            1,
            "state {name}: FunctionName must be one placeholder, got {function}"
        );
        let key = keys.into_iter().next().unwrap_or_default();
        let value = subs
            .get(&key)
            .unwrap_or_else(|| panic!("no substitution {key}"));
        // `!GetAtt Logical.Arn` is a tagged scalar in YAML.
        let Yaml::Tagged(tagged) = value else {
            panic!("substitution {key} must be !GetAtt <Function>.Arn, got {value:?}")
        };
        assert_eq!(tagged.tag.to_string(), "!GetAtt", "substitution {key}");
        let target = tagged.value.as_str().unwrap_or_default();
        let logical = target
            .strip_suffix(".Arn")
            .unwrap_or_else(|| panic!("substitution {key} must end in .Arn: {target}"));
        assert_eq!(
            resource_type(&template, logical),
            "AWS::Serverless::Function",
            "state {name} invokes {logical}, which must be a function of the template"
        );
        invoked.push(logical.to_string());
    }
    invoked.sort();
    assert_eq!(invoked, ["IdentityCheckFunction", "RiskProfileFunction"]);
}

#[test]
fn every_transition_target_exists_and_every_state_is_reachable() {
    let definition = default_substituted_definition();
    let states = states(&definition);
    let mut targets: Vec<(String, String)> = Vec::new();
    for (name, state) in states {
        let mut push = |t: &Json| {
            if let Some(t) = t.as_str() {
                targets.push((name.clone(), t.to_string()));
            }
        };
        push(&state["Next"]);
        push(&state["Default"]);
        for choice in state["Choices"].as_array().into_iter().flatten() {
            push(&choice["Next"]);
        }
        for catcher in state["Catch"].as_array().into_iter().flatten() {
            push(&catcher["Next"]);
        }
    }
    for (from, to) in &targets {
        assert!(states.contains_key(to), "{from} -> {to}: no such state");
    }
    let start = definition["StartAt"].as_str().expect("StartAt");
    let reachable: BTreeSet<&str> = std::iter::once(start)
        .chain(targets.iter().map(|(_, to)| to.as_str()))
        .collect();
    for name in states.keys() {
        assert!(
            reachable.contains(name.as_str()),
            "state {name} is unreachable"
        );
    }
}

#[test]
fn review_wait_is_bounded_by_heartbeat_and_timeout_numbers() {
    let definition = default_substituted_definition();
    let review = &states(&definition)["Request manual review"];
    assert_eq!(
        review["Resource"],
        "arn:aws:states:::events:putEvents.waitForTaskToken"
    );
    // The substituted timeout is a number (the file is YAML so that it is one); the heartbeat is an
    // expression, since CloudFormation cannot compare two parameters and HeartbeatSeconds must be
    // below TimeoutSeconds: a heartbeat that is not is lowered to timeout - 1 (local/asl/tests/kyc.rs
    // runs that case).
    assert_eq!(review["TimeoutSeconds"], serde_json::json!(604800));
    assert_eq!(
        review["HeartbeatSeconds"],
        "{% $min([86400, 604800 - 1]) %}"
    );
    assert_eq!(
        states(&definition)["Invalid reviews left?"]["Choices"][0]["Condition"],
        "{% $reviews.invalid < 3 %}"
    );
    assert_eq!(
        review["Arguments"]["Entries"][0]["Detail"]["taskToken"],
        "{% $states.context.Task.Token %}"
    );
    let catches: Vec<&Json> = review["Catch"].as_array().expect("Catch").iter().collect();
    assert_eq!(
        catches[0]["ErrorEquals"],
        serde_json::json!(["States.Timeout", "States.HeartbeatTimeout"])
    );
    assert_eq!(catches[0]["Next"], "Publish declined review timed out");
}

#[test]
fn template_parameter_defaults_are_the_ones_the_tests_substitute() {
    let template = template();
    let params = template.get("Parameters").expect("Parameters");
    let default = |name: &str| params.get(name).and_then(|p| p.get("Default")).cloned();
    assert_eq!(default("EventBusName"), Some(Yaml::from("CentralEventBus")));
    assert_eq!(default("ReviewHeartbeatSeconds"), Some(Yaml::from(86400)));
    assert_eq!(default("ReviewTimeoutSeconds"), Some(Yaml::from(604800)));
    assert_eq!(default("MaxInvalidReviews"), Some(Yaml::from(3)));
    for required in ["InstancePrefix", "LogRetentionInDays"] {
        assert!(
            default(required).is_some(),
            "parameter {required} has a default"
        );
    }
}

#[test]
fn published_events_follow_the_contract() {
    let definition = default_substituted_definition();
    let application = Regex::new(r"\$application([^A-Za-z0-9_]|$)|\$states\.input").expect("regex");
    let allowed = [
        "Identity check completed",
        "Manual review requested",
        "New account approved",
        "New account declined",
        "KYC processing failed",
    ];
    let mut seen = BTreeSet::new();
    for (name, state) in states(&definition) {
        let resource = state["Resource"].as_str().unwrap_or_default();
        if !resource.starts_with("arn:aws:states:::events:putEvents") {
            continue;
        }
        let entries = state["Arguments"]["Entries"].as_array().expect("Entries");
        assert_eq!(entries.len(), 1, "state {name} publishes one event");
        let entry = &entries[0];
        assert_eq!(entry["Source"], "com.aws.kyc", "state {name}");
        assert_eq!(entry["EventBusName"], "CentralEventBus", "state {name}");
        let detail_type = entry["DetailType"].as_str().expect("DetailType");
        assert!(
            allowed.contains(&detail_type),
            "state {name}: {detail_type}"
        );
        let detail = entry["Detail"].as_object().expect("Detail object");
        assert_eq!(
            detail.get("applicationId"),
            Some(&Json::from("{% $applicationId %}")),
            "state {name}: every event carries the applicationId"
        );
        // No personal data in events: the application itself (the variable $application, or the
        // execution input's detail) is never copied into a detail.
        for (key, value) in detail {
            let expression = value.to_string();
            assert!(
                !application.is_match(&expression),
                "state {name}: detail field {key} copies application data ({expression})"
            );
        }
        seen.insert(detail_type.to_string());
    }
    let expected: BTreeSet<String> = allowed.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen, expected);
}

#[test]
fn terminal_publishers_lead_to_terminal_states() {
    let definition = default_substituted_definition();
    let states = states(&definition);
    for (name, state) in states {
        let detail_type = state["Arguments"]["Entries"][0]["DetailType"].as_str();
        let expected_end = match detail_type {
            Some("New account approved") => "Succeed",
            Some("New account declined") => "Succeed",
            Some("KYC processing failed") => "Fail",
            _ => continue,
        };
        let next = state["Next"].as_str().expect("Next");
        assert_eq!(states[next]["Type"], expected_end, "{name} -> {next}");
    }
}

#[test]
fn scenario_event_files_are_valid_put_events_entries() {
    let dir = repo_root().join("events");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("events/") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).expect("readable");
        let entries: Json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        let entries = entries
            .as_array()
            .unwrap_or_else(|| panic!("{}: put-events entries are an array", path.display()));
        assert!(
            (1..=10).contains(&entries.len()),
            "{}: PutEvents takes 1 to 10 entries",
            path.display()
        );
        for e in entries {
            for field in ["Source", "DetailType", "Detail", "EventBusName"] {
                assert!(
                    e[field].is_string(),
                    "{}: {field} is a string",
                    path.display()
                );
            }
            let detail: Json = serde_json::from_str(e["Detail"].as_str().unwrap_or_default())
                .unwrap_or_else(|err| panic!("{}: Detail is JSON: {err}", path.display()));
            assert!(
                detail.is_object(),
                "{}: Detail is a JSON object",
                path.display()
            );
        }
    }
    assert!(files >= 1, "events/ has put-events files");
}
