//! Every call one service of a template makes to another, as the caller, action, resource and
//! request context AWS evaluates, and the verdict of the template's policies.
//!
//! | integration | caller | action | context |
//! |---|---|---|---|
//! | rule → Lambda function | `events.amazonaws.com` | `lambda:InvokeFunction` | `aws:SourceArn` = rule, `aws:SourceAccount` |
//! | rule → log group | `events.amazonaws.com` | `logs:CreateLogStream` (no source keys), then `logs:PutLogEvents` | PutLogEvents: `aws:SourceArn` = rule, `aws:SourceAccount` |
//! | rule → queue, rule → DLQ | `events.amazonaws.com` | `sqs:SendMessage` | `aws:SourceArn` = rule, `aws:SourceAccount` |
//! | rule → state machine | the target's `RoleArn` | `states:StartExecution` | |
//! | rule → event bus | the target's `RoleArn` | `events:PutEvents` | |
//! | state machine task | the state machine's role | `lambda:InvokeFunction`, `events:PutEvents`, `sqs:SendMessage` | |
//! | state machine logging | the state machine's role | `logs:CreateLogDelivery` (and the other log-delivery actions, on `*`) | |
//! | function → its DLQ | the function's role | `sqs:SendMessage` / `sns:Publish` | |
//! | function → its log group | the function's role | `logs:CreateLogStream`, `logs:PutLogEvents` | |
//!
//! Where the documentation is silent, the recorded behaviour is modelled: EventBridge creates a
//! log-group target's stream without the rule as `aws:SourceArn` (aws-samples/serverless-patterns
//! pull request 618, "The conditional ARN for the Rule only applies to logs:PutLogEvents").

use iam::{Caller, Context, Decision, Request, access_denied_message, evaluate};
use serde_json::{Value, json};

use super::model::PermissionModel;
use crate::arn::{TargetKind, target_kind};
use crate::template::{RuleOrigin, StackModel};

/// One integration and its verdict.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// What calls what (`rule app-app-events-to-accounts → log group /aws/events/app/accounts`).
    pub integration: String,
    pub request: Request,
    pub decision: Decision,
}

impl Verdict {
    pub fn allowed(&self) -> bool {
        self.decision.is_allowed()
    }

    /// `allowed by ...` / `denied: <AccessDenied message>`.
    pub fn explanation(&self) -> String {
        match &self.decision {
            Decision::Allow(d) => format!("allowed by {d}"),
            Decision::ExplicitDeny(d) => format!(
                "denied by {d}: {}",
                access_denied_message(&self.request, &self.decision)
            ),
            Decision::ImplicitDeny => {
                format!(
                    "denied: {}",
                    access_denied_message(&self.request, &self.decision)
                )
            }
        }
    }

    /// The row as JSON (`check-permissions --json`).
    pub fn to_json(&self) -> Value {
        let decided_by = match &self.decision {
            Decision::Allow(d) | Decision::ExplicitDeny(d) => Some(d.to_string()),
            Decision::ImplicitDeny => None,
        };
        json!({
            "integration": self.integration,
            "caller": self.request.caller.display_arn(),
            "action": self.request.action,
            "resource": self.request.resource,
            "verdict": match self.decision {
                Decision::Allow(_) => "allowed",
                Decision::ExplicitDeny(_) => "explicitly denied",
                Decision::ImplicitDeny => "denied",
            },
            "decidedBy": decided_by,
            "message": (!self.allowed()).then(|| access_denied_message(&self.request, &self.decision)),
        })
    }
}

/// The report of a template.
#[derive(Debug, Clone)]
pub struct Report {
    pub verdicts: Vec<Verdict>,
    /// Policies that could not be evaluated, and integrations whose resource is only known at
    /// run time.
    pub notes: Vec<String>,
}

impl Report {
    pub fn denied(&self) -> usize {
        self.verdicts.iter().filter(|v| !v.allowed()).count()
    }
}

/// Evaluates every integration of `model`.
pub fn check(model: &StackModel) -> Report {
    let permissions = PermissionModel::from_stack(model);
    let mut checker = Checker {
        permissions: &permissions,
        model,
        verdicts: Vec::new(),
        notes: permissions.problems.clone(),
    };
    checker.rules();
    checker.state_machines();
    checker.functions();
    Report {
        verdicts: checker.verdicts,
        notes: checker.notes,
    }
}

struct Checker<'a> {
    permissions: &'a PermissionModel,
    model: &'a StackModel,
    verdicts: Vec<Verdict>,
    notes: Vec<String>,
}

fn events_principal() -> Caller {
    Caller::Service("events.amazonaws.com".into())
}

impl Checker<'_> {
    fn decide(&mut self, integration: String, request: Request) {
        let identity = match &request.caller {
            Caller::Role { role_arn, .. } => self.permissions.identity_policies(role_arn),
            Caller::Service(_) => Vec::new(),
        };
        let resource = self.permissions.resource_policies(&request.resource);
        let decision = evaluate(&request, &identity, &resource);
        self.verdicts.push(Verdict {
            integration,
            request,
            decision,
        });
    }

    fn source(&self, rule_arn: &str) -> Context {
        Context::new()
            .with("aws:SourceArn", rule_arn)
            .with("aws:SourceAccount", self.model.account_id.clone())
    }

    fn role(&self, role_arn: &str, session: &str) -> Caller {
        Caller::Role {
            role_arn: role_arn.to_owned(),
            session: session.to_owned(),
        }
    }

    fn stream_arn(&self, group: &str) -> String {
        format!(
            "arn:{}:logs:{}:{}:log-group:{group}:log-stream:{{stream}}",
            self.permissions.partition, self.model.region, self.model.account_id
        )
    }

    fn rules(&mut self) {
        for rule in &self.model.rules {
            for target in &rule.targets {
                let label = |what: &str| format!("rule {} → {what}", rule.name);
                let request =
                    |caller: Caller, action: &str, resource: &str, context: Context| Request {
                        caller,
                        action: action.to_owned(),
                        resource: resource.to_owned(),
                        context,
                    };
                match target_kind(&target.arn) {
                    TargetKind::Lambda => self.decide(
                        label(&format!("function {}", name_of(&target.arn))),
                        request(
                            events_principal(),
                            "lambda:InvokeFunction",
                            &target.arn,
                            self.source(&rule.arn),
                        ),
                    ),
                    TargetKind::LogGroup(group) => {
                        let stream = self.stream_arn(&group);
                        self.decide(
                            label(&format!("log group {group} (create stream)")),
                            request(
                                events_principal(),
                                "logs:CreateLogStream",
                                &stream,
                                Context::new(),
                            ),
                        );
                        self.decide(
                            label(&format!("log group {group}")),
                            request(
                                events_principal(),
                                "logs:PutLogEvents",
                                &stream,
                                self.source(&rule.arn),
                            ),
                        );
                    }
                    TargetKind::Queue => self.decide(
                        label(&format!("queue {}", name_of(&target.arn))),
                        request(
                            events_principal(),
                            "sqs:SendMessage",
                            &target.arn,
                            self.source(&rule.arn),
                        ),
                    ),
                    TargetKind::StateMachine => {
                        let role = match (&target.role_arn, &rule.origin) {
                            (Some(r), _) => Some(r.clone()),
                            (
                                None,
                                RuleOrigin::StateMachineEvent {
                                    state_machine,
                                    event,
                                },
                            ) => Some(self.permissions.sam_event_role_arn(
                                &self.model.stack_name,
                                state_machine,
                                event,
                            )),
                            (None, _) => None,
                        };
                        // A version or alias target is authorized on its state machine.
                        let (machine, qualifier) = super::arns::state_machine_resource(&target.arn);
                        let context = qualifier.map_or_else(Context::new, |q| {
                            Context::new().with("states:StateMachineQualifier", q)
                        });
                        match role {
                            Some(role) => self.decide(
                                label(&format!("state machine {}", name_of(&target.arn))),
                                request(self.role(&role, "events"), "states:StartExecution", &machine, context),
                            ),
                            None => self.notes.push(format!(
                                "rule {} target {}: a state machine target needs a RoleArn (PutTargets refuses it without one)",
                                rule.name, target.id
                            )),
                        }
                    }
                    TargetKind::EventBus(bus) => match &target.role_arn {
                        Some(role) => self.decide(
                            label(&format!("event bus {bus}")),
                            request(
                                self.role(role, "events"),
                                "events:PutEvents",
                                &target.arn,
                                Context::new(),
                            ),
                        ),
                        None => self.notes.push(format!(
                            "rule {} target {}: an event bus target needs a RoleArn",
                            rule.name, target.id
                        )),
                    },
                    TargetKind::Unsupported => self.notes.push(format!(
                        "rule {} target {}: {} is not a target kind the local stack evaluates",
                        rule.name, target.id, target.arn
                    )),
                }
                if let Some(dlq) = &target.dead_letter_arn {
                    self.decide(
                        label(&format!("dead-letter queue {}", name_of(dlq))),
                        request(
                            events_principal(),
                            "sqs:SendMessage",
                            dlq,
                            self.source(&rule.arn),
                        ),
                    );
                }
            }
        }
    }

    fn state_machines(&mut self) {
        for sm in &self.model.state_machines {
            let caller = self.role(&sm.role_arn, "states");
            let mut tasks = Vec::new();
            collect_tasks(&sm.definition, &mut tasks, 0);
            let mut seen = std::collections::BTreeSet::new();
            for (state, resource, parameters) in tasks {
                for (action, arn) in self.task_calls(&resource, &parameters, &state, &sm.name) {
                    if !seen.insert((action.clone(), arn.clone())) {
                        continue;
                    }
                    self.decide(
                        format!(
                            "state machine {} → {} (state \"{state}\")",
                            sm.name,
                            name_of(&arn)
                        ),
                        Request {
                            caller: caller.clone(),
                            action,
                            resource: arn,
                            context: Context::new(),
                        },
                    );
                }
            }
            if sm.logging.as_ref().is_some_and(|l| l.level != "OFF") {
                // Step Functions developer guide, "IAM policies for logging to CloudWatch Logs":
                // log delivery actions support no resource-level permissions.
                self.decide(
                    format!("state machine {} → its execution log", sm.name),
                    Request {
                        caller: caller.clone(),
                        action: "logs:CreateLogDelivery".into(),
                        resource: "*".into(),
                        context: Context::new(),
                    },
                );
            }
        }
    }

    /// The (action, resource) pairs a task's `Resource` and `Parameters` lead to.
    fn task_calls(
        &mut self,
        resource: &str,
        parameters: &Value,
        state: &str,
        machine: &str,
    ) -> Vec<(String, String)> {
        let (p, region, account) = (
            &self.permissions.partition,
            &self.model.region,
            &self.model.account_id,
        );
        let base = resource
            .strip_suffix(".waitForTaskToken")
            .or_else(|| resource.strip_suffix(".sync"))
            .unwrap_or(resource);
        let static_param = |key: &str| {
            parameters
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let dynamic = |key: &str| parameters.get(format!("{key}.$").as_str()).is_some();
        match base {
            "arn:aws:states:::lambda:invoke" => match static_param("FunctionName") {
                Some(f) => {
                    let arn = if f.starts_with("arn:") {
                        f
                    } else {
                        format!("arn:{p}:lambda:{region}:{account}:function:{f}")
                    };
                    vec![("lambda:InvokeFunction".into(), arn)]
                }
                None => {
                    if dynamic("FunctionName") {
                        self.notes.push(format!(
                            "state machine {machine}, state \"{state}\": FunctionName comes from the input; checked at run time only"
                        ));
                    }
                    Vec::new()
                }
            },
            "arn:aws:states:::events:putEvents" => {
                let entries = parameters
                    .get("Entries")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut out = Vec::new();
                for e in entries {
                    match (e.get("EventBusName").and_then(Value::as_str), e.get("EventBusName.$")) {
                        (Some(bus), _) => {
                            let arn = if bus.starts_with("arn:") {
                                bus.to_owned()
                            } else {
                                format!("arn:{p}:events:{region}:{account}:event-bus/{bus}")
                            };
                            out.push(("events:PutEvents".into(), arn));
                        }
                        (None, Some(_)) => self.notes.push(format!(
                            "state machine {machine}, state \"{state}\": EventBusName comes from the input; checked at run time only"
                        )),
                        (None, None) => out.push((
                            "events:PutEvents".into(),
                            format!("arn:{p}:events:{region}:{account}:event-bus/default"),
                        )),
                    }
                }
                out
            }
            "arn:aws:states:::sqs:sendMessage" => match static_param("QueueUrl") {
                Some(url) => {
                    let arn = self.model.queues.iter().find(|q| q.url == url).map_or_else(
                        || {
                            let name = url.rsplit('/').next().unwrap_or(&url);
                            format!("arn:{p}:sqs:{region}:{account}:{name}")
                        },
                        |q| q.arn.clone(),
                    );
                    vec![("sqs:SendMessage".into(), arn)]
                }
                None => Vec::new(),
            },
            r if r.starts_with("arn:aws:lambda:") => {
                vec![("lambda:InvokeFunction".into(), r.to_owned())]
            }
            other => {
                self.notes.push(format!(
                    "state machine {machine}, state \"{state}\": {other} is not an integration the local stack evaluates"
                ));
                Vec::new()
            }
        }
    }

    fn functions(&mut self) {
        for f in &self.model.functions {
            let caller = self.role(&f.role_arn, &f.name);
            if let Some(dlq) = &f.dead_letter_arn {
                let action = if dlq.contains(":sns:") {
                    "sns:Publish"
                } else {
                    "sqs:SendMessage"
                };
                self.decide(
                    format!(
                        "function {} → its dead-letter queue {}",
                        f.name,
                        name_of(dlq)
                    ),
                    Request {
                        caller: caller.clone(),
                        action: action.into(),
                        resource: dlq.clone(),
                        context: Context::new(),
                    },
                );
            }
            let stream = self.stream_arn(&f.log_group);
            for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
                self.decide(
                    format!("function {} → its log group {}", f.name, f.log_group),
                    Request {
                        caller: caller.clone(),
                        action: action.into(),
                        resource: stream.clone(),
                        context: Context::new(),
                    },
                );
            }
        }
    }
}

/// The last part of an ARN, for labels.
fn name_of(arn: &str) -> &str {
    arn.rsplit([':', '/'])
        .find(|s| !s.is_empty() && *s != "*")
        .unwrap_or(arn)
}

/// Most nesting of Parallel / Map states followed (the States Language has no such limit, but a
/// definition from outside must not choose the recursion depth).
const MAX_NESTING: usize = 64;

/// Every Task state of a definition: (state name, Resource, Parameters).
fn collect_tasks(definition: &Value, out: &mut Vec<(String, String, Value)>, depth: usize) {
    if depth > MAX_NESTING {
        return;
    }
    let Some(states) = definition.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        match state.get("Type").and_then(Value::as_str) {
            Some("Task") => {
                if let Some(resource) = state.get("Resource").and_then(Value::as_str) {
                    let parameters = state
                        .get("Parameters")
                        .or_else(|| state.get("Arguments"))
                        .cloned()
                        .unwrap_or(Value::Null);
                    out.push((name.clone(), resource.to_owned(), parameters));
                }
            }
            Some("Parallel") => {
                for branch in state
                    .get("Branches")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    collect_tasks(branch, out, depth + 1);
                }
            }
            Some("Map") => {
                if let Some(inner) = state.get("ItemProcessor").or_else(|| state.get("Iterator")) {
                    collect_tasks(inner, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// The report as text: each integration on its own line, then the call and the verdict's reason
/// indented under it, then the notes and a count.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for v in &report.verdicts {
        let verdict = if v.allowed() { "ALLOWED" } else { "DENIED " };
        out.push_str(&format!(
            "{verdict}  {}
         {} on {}
         {}\n",
            v.integration,
            v.request.action,
            v.request.resource,
            v.explanation()
        ));
    }
    for note in &report.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&format!(
        "{} integrations: {} allowed, {} denied\n",
        report.verdicts.len(),
        report.verdicts.len() - report.denied(),
        report.denied()
    ));
    out
}
