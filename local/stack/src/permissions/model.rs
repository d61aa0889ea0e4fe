//! Who may do what in a template: every role's identity policies and every resource's policies,
//! parsed for `iam`.
//!
//! Identity policies come from `AWS::IAM::Role` (`Policies`, `ManagedPolicyArns`),
//! `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` (`Roles`), and from the roles SAM generates for
//! functions (AWSLambdaBasicExecutionRole, `Policies`, the `DeadLetterQueue` statement) and state
//! machines (`Policies`). Resource policies come from `AWS::Logs::ResourcePolicy` (account-wide
//! for CloudWatch Logs in the region), `AWS::SQS::QueuePolicy` (`Queues`),
//! `AWS::Lambda::Permission` (rendered as Lambda renders AddPermission: a statement with
//! `ArnLike` `AWS:SourceArn` and `StringEquals` `AWS:SourceAccount` conditions), the permissions SAM
//! generates for function `EventBridgeRule` events, and `AWS::Events::EventBusPolicy`.

use std::collections::BTreeMap;

use iam::{NamedPolicy, PolicyDocument, PolicyKind};
use serde_json::{Map, Value, json};

use super::sam::{self, NamedDocument, Pseudo};
use crate::template::{PolicyResource, RuleOrigin, StackModel};

/// A parsed policy with its report name.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub document: PolicyDocument,
}

/// A resource policy and what it is attached to.
#[derive(Debug, Clone)]
pub struct Attached {
    /// The service that keeps it: `logs`, `sqs`, `events` (set through their APIs at run time
    /// too) or `lambda`.
    pub(crate) service: &'static str,
    /// ARN patterns of the resources it protects (`arn:aws:logs:us-east-1:123:*` for a Logs
    /// resource policy, which covers the account's log groups in the region).
    pub(crate) scope: Vec<String>,
    pub(crate) policy: Policy,
}

impl Attached {
    /// A resource policy from its text, as a service API receives it.
    pub fn parse(
        service: &'static str,
        name: &str,
        scope: Vec<String>,
        text: &str,
    ) -> Result<Self, iam::PolicyError> {
        Ok(Self {
            service,
            scope,
            policy: Policy {
                name: name.to_owned(),
                document: PolicyDocument::parse_str(text, PolicyKind::Resource)?,
            },
        })
    }

    /// Whether it protects `resource_arn`.
    pub fn covers(&self, resource_arn: &str) -> bool {
        self.scope
            .iter()
            .any(|s| iam::glob::arn_matches(s, resource_arn))
    }

    pub fn named(&self) -> NamedPolicy<'_> {
        NamedPolicy {
            name: &self.policy.name,
            document: &self.policy.document,
        }
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.policy.name
    }
}

/// Every policy of a template, parsed.
#[derive(Debug, Clone, Default)]
pub struct PermissionModel {
    pub partition: String,
    pub region: String,
    pub account_id: String,
    roles: BTreeMap<String, Vec<Policy>>,
    resources: Vec<Attached>,
    /// Policies that could not be read or evaluated (an unknown managed policy, a malformed
    /// document), each with where it is.
    pub problems: Vec<String>,
}

impl PermissionModel {
    /// Reads every policy of `model`.
    pub fn from_stack(model: &StackModel) -> Self {
        let mut m = PermissionModel {
            partition: "aws".into(),
            region: model.region.clone(),
            account_id: model.account_id.clone(),
            ..Self::default()
        };
        let pseudo = Pseudo {
            partition: m.partition.clone(),
            region: m.region.clone(),
            account_id: m.account_id.clone(),
        };
        let generated = |logical_id: &str| {
            model.policy_resources.iter().any(|p| {
                p.logical_id == logical_id
                    && p.resource_type == "AWS::IAM::Role"
                    && p.properties.is_empty()
            })
        };

        // Roles SAM generates.
        for f in &model.functions {
            if !generated(&format!("{}Role", f.logical_id)) {
                continue;
            }
            let owner = format!("{}Role", f.logical_id);
            let mut docs = vec![NamedDocument {
                name: format!("{owner} AWSLambdaBasicExecutionRole"),
                document: sam::managed_document("AWSLambdaBasicExecutionRole")
                    .unwrap_or(Value::Null),
            }];
            let (expanded, problems) = sam::expand_policies(&owner, f.policies.as_ref(), &pseudo);
            docs.extend(expanded);
            m.problems.extend(problems);
            if let Some(dlq) = &f.dead_letter_arn {
                // SAM: "DeadLetterQueue ... AWS SAM adds the sqs:SendMessage (or sns:Publish)
                // permission to the function's execution role".
                let action = if dlq.contains(":sns:") {
                    "sns:Publish"
                } else {
                    "sqs:SendMessage"
                };
                docs.push(NamedDocument {
                    name: format!("{owner} DeadLetterQueue"),
                    document: json!({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": action, "Resource": dlq}]}),
                });
            }
            // EventInvokeConfig destinations: "AWS SAM automatically adds the necessary
            // permissions to the function's execution role" for a destination of a given Type.
            let destinations = f.event_invoke_config.iter().flat_map(|c| {
                [c.on_success.as_ref(), c.on_failure.as_ref()]
                    .into_iter()
                    .flatten()
            });
            for (i, arn) in destinations.enumerate() {
                let action = destination_action(arn);
                docs.push(NamedDocument {
                    name: format!("{owner} EventInvokeConfig destination {i}"),
                    document: json!({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": action, "Resource": arn}]}),
                });
            }
            m.add_role_documents(&f.role_arn, docs);
        }
        for s in &model.state_machines {
            let owner = format!("{}Role", s.logical_id);
            if !generated(&owner) {
                continue;
            }
            let (docs, problems) = sam::expand_policies(&owner, s.policies.as_ref(), &pseudo);
            m.problems.extend(problems);
            m.add_role_documents(&s.role_arn, docs);
        }
        // SAM's roles behind state machine events: StartExecution on their state machine.
        for rule in &model.rules {
            if let RuleOrigin::StateMachineEvent {
                state_machine,
                event,
            } = &rule.origin
                && let Some(sm) = model
                    .state_machines
                    .iter()
                    .find(|s| &s.logical_id == state_machine)
            {
                let role = m.sam_event_role_arn(&model.stack_name, state_machine, event);
                m.add_role_documents(
                    &role,
                    vec![NamedDocument {
                        name: format!("{state_machine}{event}Role StartExecution"),
                        document: json!({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "states:StartExecution", "Resource": sm.arn}]}),
                    }],
                );
            }
        }

        // Declared roles and policies.
        for p in &model.policy_resources {
            match p.resource_type.as_str() {
                "AWS::IAM::Role" => m.declared_role(p),
                "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => m.declared_policy(p, model),
                "AWS::Logs::ResourcePolicy" => {
                    let scope = vec![format!(
                        "arn:{}:logs:{}:{}:*",
                        m.partition, m.region, m.account_id
                    )];
                    let document = match p.properties.get("PolicyDocument") {
                        Some(Value::String(text)) => {
                            serde_json::from_str(text).unwrap_or(Value::Null)
                        }
                        Some(v) => v.clone(),
                        None => Value::Null,
                    };
                    m.attach("logs", &p.logical_id, scope, &document);
                }
                "AWS::SQS::QueuePolicy" => {
                    let urls: Vec<&str> = match p.properties.get("Queues") {
                        Some(Value::Array(items)) => {
                            items.iter().filter_map(Value::as_str).collect()
                        }
                        _ => Vec::new(),
                    };
                    let scope: Vec<String> = urls
                        .iter()
                        .map(|url| {
                            model
                                .queues
                                .iter()
                                .find(|q| q.url == *url || q.name == *url)
                                .map_or_else(|| (*url).to_owned(), |q| q.arn.clone())
                        })
                        .collect();
                    let document = p
                        .properties
                        .get("PolicyDocument")
                        .cloned()
                        .unwrap_or(Value::Null);
                    m.attach("sqs", &p.logical_id, scope, &document);
                }
                "AWS::Lambda::Permission" => m.lambda_permission(p, model),
                "AWS::Events::EventBusPolicy" => m.bus_policy(p, model),
                _ => {}
            }
        }
        // The permissions SAM generates for function EventBridgeRule events.
        for rule in &model.rules {
            if let RuleOrigin::FunctionEvent { function, event } = &rule.origin
                && let Some(f) = model.functions.iter().find(|f| &f.logical_id == function)
            {
                let document = json!({"Version": "2012-10-17", "Statement": [{
                    "Sid": format!("{function}{event}Permission"),
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "lambda:InvokeFunction",
                    "Resource": f.arn,
                    "Condition": {"ArnLike": {"AWS:SourceArn": rule.arn}}}]});
                m.attach(
                    "lambda",
                    &format!("{function}{event}Permission (generated by SAM)"),
                    vec![f.arn.clone()],
                    &document,
                );
            }
        }
        m
    }

    /// The ARN of the role SAM generates for a state machine's event rule.
    pub fn sam_event_role_arn(&self, stack: &str, state_machine: &str, event: &str) -> String {
        format!(
            "arn:{}:iam::{}:role/{stack}-{state_machine}{event}Role",
            self.partition, self.account_id
        )
    }

    fn add_role_documents(&mut self, role_arn: &str, docs: Vec<NamedDocument>) {
        for d in docs {
            match PolicyDocument::parse(&d.document, PolicyKind::Identity) {
                Ok(document) => self
                    .roles
                    .entry(role_arn.to_owned())
                    .or_default()
                    .push(Policy {
                        name: d.name,
                        document,
                    }),
                Err(e) => self
                    .problems
                    .push(format!("{}: MalformedPolicyDocument: {e}", d.name)),
            }
        }
        self.roles.entry(role_arn.to_owned()).or_default();
    }

    fn declared_role(&mut self, p: &PolicyResource) {
        let Some(arn) = p.arn.clone() else {
            return;
        };
        let mut docs = Vec::new();
        if let Some(Value::Array(policies)) = p.properties.get("Policies") {
            for (i, policy) in policies.iter().enumerate() {
                let name = policy
                    .get("PolicyName")
                    .and_then(Value::as_str)
                    .map_or_else(
                        || format!("{} Policies[{i}]", p.logical_id),
                        |n| format!("{} {n}", p.logical_id),
                    );
                docs.push(NamedDocument {
                    name,
                    document: policy.get("PolicyDocument").cloned().unwrap_or(Value::Null),
                });
            }
        }
        if let Some(Value::Array(arns)) = p.properties.get("ManagedPolicyArns") {
            for a in arns.iter().filter_map(Value::as_str) {
                match sam::managed_document(a) {
                    Some(document) => docs.push(NamedDocument {
                        name: format!("{} {}", p.logical_id, sam::managed_name(a)),
                        document,
                    }),
                    None => self.problems.push(format!(
                        "{}: managed policy {a} is not known to the local stack; its permissions are not evaluated",
                        p.logical_id
                    )),
                }
            }
        }
        self.add_role_documents(&arn, docs);
    }

    fn declared_policy(&mut self, p: &PolicyResource, model: &StackModel) {
        let roles: Vec<String> = match p.properties.get("Roles") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let document = p
            .properties
            .get("PolicyDocument")
            .cloned()
            .unwrap_or(Value::Null);
        for role in roles {
            // Roles are given by name; find the role's ARN among the template's roles.
            let arn = model
                .policy_resources
                .iter()
                .filter(|r| r.resource_type == "AWS::IAM::Role")
                .find(|r| r.physical_id == role)
                .and_then(|r| r.arn.clone())
                .unwrap_or_else(|| {
                    format!(
                        "arn:{}:iam::{}:role/{role}",
                        self.partition, self.account_id
                    )
                });
            self.add_role_documents(
                &arn,
                vec![NamedDocument {
                    name: p.logical_id.clone(),
                    document: document.clone(),
                }],
            );
        }
    }

    fn lambda_permission(&mut self, p: &PolicyResource, model: &StackModel) {
        let get = |k: &str| {
            p.properties
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let Some(function) = get("FunctionName") else {
            return;
        };
        let arn = model
            .functions
            .iter()
            .find(|f| f.name == function || f.arn == function)
            .map_or(function, |f| f.arn.clone());
        let principal = get("Principal").unwrap_or_default();
        let principal = if principal.ends_with(".amazonaws.com") {
            json!({"Service": principal})
        } else {
            json!({"AWS": principal})
        };
        let mut condition = Map::new();
        if let Some(source) = get("SourceArn") {
            condition.insert("ArnLike".into(), json!({"AWS:SourceArn": source}));
        }
        if let Some(account) = get("SourceAccount") {
            condition.insert("StringEquals".into(), json!({"AWS:SourceAccount": account}));
        }
        let mut statement = json!({"Sid": p.logical_id, "Effect": "Allow", "Principal": principal,
            "Action": get("Action").unwrap_or_default(), "Resource": arn});
        if !condition.is_empty() {
            statement["Condition"] = Value::Object(condition);
        }
        let document = json!({"Version": "2012-10-17", "Statement": [statement]});
        self.attach("lambda", &p.logical_id, vec![arn], &document);
    }

    fn bus_policy(&mut self, p: &PolicyResource, model: &StackModel) {
        let bus = p
            .properties
            .get("EventBusName")
            .and_then(Value::as_str)
            .unwrap_or("default");
        let arn = model
            .event_buses
            .iter()
            .find(|b| b.name == bus || b.arn == bus)
            .map_or_else(
                || {
                    format!(
                        "arn:{}:events:{}:{}:event-bus/{bus}",
                        self.partition, self.region, self.account_id
                    )
                },
                |b| b.arn.clone(),
            );
        let document = match (p.properties.get("Policy"), p.properties.get("Statement")) {
            (Some(policy), _) => policy.clone(),
            (None, Some(statement)) => json!({"Version": "2012-10-17", "Statement": [statement]}),
            (None, None) => Value::Null,
        };
        self.attach("events", &p.logical_id, vec![arn], &document);
    }

    fn attach(&mut self, service: &'static str, name: &str, scope: Vec<String>, document: &Value) {
        match PolicyDocument::parse(document, PolicyKind::Resource) {
            Ok(document) => self.resources.push(Attached {
                service,
                scope,
                policy: Policy {
                    name: name.to_owned(),
                    document,
                },
            }),
            Err(e) => self
                .problems
                .push(format!("{name}: MalformedPolicyDocument: {e}")),
        }
    }

    /// Whether the template defines (or SAM generates) this role.
    pub fn has_role(&self, role_arn: &str) -> bool {
        self.roles.contains_key(role_arn)
    }

    /// A role's identity policies.
    pub fn identity_policies(&self, role_arn: &str) -> Vec<NamedPolicy<'_>> {
        self.roles
            .get(role_arn)
            .map(|ps| {
                ps.iter()
                    .map(|p| NamedPolicy {
                        name: &p.name,
                        document: &p.document,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The policies attached to a resource (by its ARN).
    pub fn resource_policies(&self, resource_arn: &str) -> Vec<NamedPolicy<'_>> {
        self.resources
            .iter()
            .filter(|a| a.covers(resource_arn))
            .map(Attached::named)
            .collect()
    }

    /// The template's resource policies of one service (what `serve` applies through that
    /// service's API at start).
    pub fn attached(&self, service: &str) -> impl Iterator<Item = &Attached> {
        self.resources.iter().filter(move |a| a.service == service)
    }
}

/// The action a function's role needs to send to an asynchronous-invocation destination or DLQ.
pub fn destination_action(arn: &str) -> &'static str {
    if arn.contains(":sns:") {
        "sns:Publish"
    } else if arn.contains(":lambda:") {
        "lambda:InvokeFunction"
    } else if arn.contains(":events:") {
        "events:PutEvents"
    } else {
        "sqs:SendMessage"
    }
}
