//! The permission plane at run time: the services ask it before one calls another, and it answers
//! as IAM would, from the template's policies ([`PermissionModel`]).
//!
//! Modes (`serve --iam`): `enforce` (the default) denies what AWS would deny, in the
//! place AWS fails it; `warn` allows it and logs the would-be denial; `off` asks nothing.
//!
//! Scope: the wiring the template declares. A call is evaluated when its caller comes from the
//! template: a rule of the template (EventBridge as `events.amazonaws.com`), or a role of the
//! template (a state machine's, a function's, a rule target's `RoleArn`). Rules, targets and state
//! machines created at run time through the API, with roles the template does not define, are not
//! evaluated: the stack has no IAM API to create roles with, and does not yet read resource
//! policies set at run time. The user's own calls (the AWS CLI from the shell) are never evaluated,
//! as the issue that introduced the plane asks.

use std::sync::atomic::{AtomicU64, Ordering};

use iam::{Caller, Context, Decision, Request, access_denied_message, evaluate};

use super::model::{Attached, PermissionModel};
use crate::arn::{TargetKind, target_kind};
use crate::template::{RuleModel, RuleOrigin, StackModel};

/// How the plane acts on a denial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IamMode {
    /// Deny what AWS would deny.
    #[default]
    Enforce,
    /// Allow, and log each would-be denial.
    Warn,
    /// Evaluate nothing.
    Off,
}

impl IamMode {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "enforce" => Some(Self::Enforce),
            "warn" => Some(Self::Warn),
            "off" => Some(Self::Off),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Enforce => "enforce",
            Self::Warn => "warn",
            Self::Off => "off",
        }
    }
}

/// A denied call: the decision and AWS's AccessDenied message for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub message: String,
    pub decision: Decision,
}

/// The plane: the mode and the template's policies.
#[derive(Debug, Default)]
pub struct PermissionPlane {
    mode: IamMode,
    model: Option<PermissionModel>,
    rules: Vec<RuleModel>,
    state_machines: Vec<(String, String)>,
    stack_name: String,
    /// Access key id of each function's credentials → (function name, role ARN).
    function_keys: std::collections::BTreeMap<String, (String, String)>,
    /// Resource policies the services keep and change at run time (queue policies, CloudWatch
    /// Logs resource policies, event bus policies), by key (`sqs:<queue ARN>`, `logs:<name>`,
    /// `events:<bus ARN>`). The template's own are applied through the same APIs at start.
    live: std::sync::RwLock<std::collections::BTreeMap<String, Attached>>,
    denials: AtomicU64,
    warnings: AtomicU64,
}

impl PermissionPlane {
    /// The plane for a stack started from `template` (none: nothing is evaluated).
    pub fn new(mode: IamMode, template: Option<&StackModel>) -> Self {
        Self {
            mode,
            model: template.map(PermissionModel::from_stack),
            rules: template.map(|t| t.rules.clone()).unwrap_or_default(),
            state_machines: template
                .map(|t| {
                    t.state_machines
                        .iter()
                        .map(|s| (s.arn.clone(), s.role_arn.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            stack_name: template.map(|t| t.stack_name.clone()).unwrap_or_default(),
            function_keys: template
                .map(|t| {
                    t.functions
                        .iter()
                        .map(|f| {
                            (
                                function_access_key(&f.name),
                                (f.name.clone(), f.role_arn.clone()),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            live: Default::default(),
            denials: AtomicU64::new(0),
            warnings: AtomicU64::new(0),
        }
    }

    /// Sets (or replaces) a resource policy a service keeps.
    pub fn set_resource_policy(&self, key: &str, policy: Attached) {
        self.live
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_owned(), policy);
    }

    /// Removes one.
    pub fn remove_resource_policy(&self, key: &str) {
        self.live
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    /// A plane that evaluates nothing.
    pub fn off() -> Self {
        Self::default().with_mode(IamMode::Off)
    }

    fn with_mode(mut self, mode: IamMode) -> Self {
        self.mode = mode;
        self
    }

    pub fn mode(&self) -> IamMode {
        self.mode
    }

    /// Denials enforced and would-be denials warned about, since the start.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.denials.load(Ordering::Relaxed),
            self.warnings.load(Ordering::Relaxed),
        )
    }

    /// EventBridge, delivering for `rule_arn`, calls `action` on `resource`; `source` says whether
    /// the rule is the request's `aws:SourceArn` (every call but a log target's CreateLogStream).
    pub fn events_call(
        &self,
        rule_arn: &str,
        action: &str,
        resource: &str,
        source: bool,
    ) -> Result<(), Denial> {
        if !self.rules.iter().any(|r| r.arn == rule_arn) {
            return Ok(());
        }
        let context = match (&self.model, source) {
            (Some(m), true) => Context::new()
                .with("aws:SourceArn", rule_arn)
                .with("aws:SourceAccount", m.account_id.clone()),
            _ => Context::new(),
        };
        self.decide(Request {
            caller: Caller::Service("events.amazonaws.com".into()),
            action: action.to_owned(),
            resource: resource.to_owned(),
            context,
        })
    }

    /// Whether EventBridge may deliver an event of `rule_arn` to its target `target_id`
    /// (`target_arn`); `event_id` names a log target's stream (asked only for a log group, so
    /// other deliveries do not parse the event). The calls are those of
    /// `permissions::integrations`: InvokeFunction for a function; CreateLogStream (without the
    /// rule as source) then PutLogEvents for a log group; SendMessage for a queue; StartExecution /
    /// PutEvents with the target's role for a state machine / bus.
    pub fn delivery(
        &self,
        rule_arn: &str,
        target_id: &str,
        target_arn: &str,
        event_id: impl FnOnce() -> String,
    ) -> Result<(), Denial> {
        if self.mode == IamMode::Off {
            return Ok(());
        }
        let Some(rule) = self.rules.iter().find(|r| r.arn == rule_arn) else {
            return Ok(());
        };
        let role = || -> Option<String> {
            let target = rule.targets.iter().find(|t| t.id == target_id)?;
            if let Some(role) = &target.role_arn {
                return Some(role.clone());
            }
            match (&rule.origin, &self.model) {
                (
                    RuleOrigin::StateMachineEvent {
                        state_machine,
                        event,
                    },
                    Some(m),
                ) => Some(m.sam_event_role_arn(&self.stack_name, state_machine, event)),
                _ => None,
            }
        };
        match target_kind(target_arn) {
            TargetKind::Lambda => {
                self.events_call(rule_arn, "lambda:InvokeFunction", target_arn, true)
            }
            TargetKind::Queue => self.events_call(rule_arn, "sqs:SendMessage", target_arn, true),
            TargetKind::LogGroup(group) => {
                let stream = match &self.model {
                    Some(m) => format!(
                        "arn:{}:logs:{}:{}:log-group:{group}:log-stream:{}",
                        m.partition,
                        m.region,
                        m.account_id,
                        event_id()
                    ),
                    None => return Ok(()),
                };
                self.events_call(rule_arn, "logs:CreateLogStream", &stream, false)?;
                self.events_call(rule_arn, "logs:PutLogEvents", &stream, true)
            }
            TargetKind::StateMachine => match role() {
                Some(role) => {
                    // A version or alias target is authorized on its state machine.
                    let (machine, qualifier) = super::arns::state_machine_resource(target_arn);
                    let context = qualifier.map_or_else(Context::new, |q| {
                        Context::new().with("states:StateMachineQualifier", q)
                    });
                    self.role_call_in(&role, "events", "states:StartExecution", &machine, context)
                }
                None => Ok(()),
            },
            TargetKind::EventBus(_) => match role() {
                Some(role) => self.role_call(&role, "events", "events:PutEvents", target_arn),
                None => Ok(()),
            },
            TargetKind::Unsupported => Ok(()),
        }
    }

    /// Whether `access_key_id` is one the stack gave a function of the template (its calls are
    /// its role's).
    pub fn is_function_key(&self, access_key_id: &str) -> bool {
        self.mode != IamMode::Off && self.function_keys.contains_key(access_key_id)
    }

    /// A request to the API signed with `access_key_id`: when the key is one the stack gave a
    /// function of the template, the call is the function's role's, and is evaluated. `prefix` is
    /// the `X-Amz-Target` prefix, `input` the request. Only operations whose resource the plane can
    /// read from the request are evaluated (a wrong resource would deny what AWS allows):
    /// Step Functions StartExecution / StartSyncExecution / DescribeStateMachine / ListExecutions
    /// and the versions and aliases operations (the state machine, see
    /// [`super::arns::state_machine_calls`]), DescribeExecution / StopExecution / GetExecutionHistory (the
    /// execution), SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat (`*`: IAM lists no
    /// resource type for them), TagResource / UntagResource / ListTagsForResource (the state
    /// machine or activity), CreateActivity / DescribeActivity / DeleteActivity /
    /// GetActivityTask (the activity); EventBridge PutEvents (each entry's bus); CloudWatch Logs
    /// PutLogEvents / CreateLogStream (the stream / group); SQS SendMessage, SendMessageBatch,
    /// ReceiveMessage, DeleteMessage (the queue); Lambda (`prefix` `lambda`) Invoke
    /// (`lambda:InvokeFunction`), GetFunction, GetFunctionConfiguration (the function, qualified
    /// when a version or alias is named) and ListFunctions (`*`).
    pub fn sdk_call(
        &self,
        access_key_id: &str,
        prefix: &str,
        operation: &str,
        input: &serde_json::Value,
    ) -> Result<(), Denial> {
        if self.mode == IamMode::Off {
            return Ok(());
        }
        let Some((function, role)) = self.function_keys.get(access_key_id) else {
            return Ok(());
        };
        let Some(model) = &self.model else {
            return Ok(());
        };
        let (partition, region, account) = (&model.partition, &model.region, &model.account_id);
        let field = |k: &str| {
            input
                .get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        if prefix == "AWSStepFunctions"
            && let Some(calls) =
                super::arns::state_machine_calls(operation, input, partition, region, account)
        {
            for call in calls {
                self.role_call_in(role, function, &call.action, &call.resource, call.context)?;
            }
            return Ok(());
        }
        let (service, resources): (&str, Vec<String>) = match (prefix, operation) {
            ("AWSStepFunctions", "DescribeExecution" | "StopExecution" | "GetExecutionHistory") => {
                ("states", field("executionArn").into_iter().collect())
            }
            ("AWSStepFunctions", "SendTaskSuccess" | "SendTaskFailure" | "SendTaskHeartbeat") => {
                ("states", vec!["*".to_owned()])
            }
            ("AWSStepFunctions", "TagResource" | "UntagResource" | "ListTagsForResource") => {
                ("states", field("resourceArn").into_iter().collect())
            }
            ("AWSStepFunctions", "DescribeActivity" | "DeleteActivity" | "GetActivityTask") => {
                ("states", field("activityArn").into_iter().collect())
            }
            ("AWSStepFunctions", "CreateActivity") => (
                "states",
                field("name")
                    .map(|name| {
                        format!("arn:{partition}:states:{region}:{account}:activity:{name}")
                    })
                    .into_iter()
                    .collect(),
            ),
            ("AWSEvents", "PutEvents") => (
                "events",
                super::arns::entry_bus_arns(input.get("Entries"), region, account),
            ),
            ("Logs_20140328", "PutLogEvents" | "CreateLogStream") => (
                "logs",
                match (field("logGroupName"), field("logStreamName")) {
                    (Some(g), Some(s)) => vec![format!(
                        "arn:{partition}:logs:{region}:{account}:log-group:{g}:log-stream:{s}"
                    )],
                    _ => Vec::new(),
                },
            ),
            (
                "AmazonSQS",
                "SendMessage" | "SendMessageBatch" | "ReceiveMessage" | "DeleteMessage",
            ) => (
                "sqs",
                field("QueueUrl")
                    .map(|url| super::arns::queue_arn_of_url(&url, region, account))
                    .into_iter()
                    .collect(),
            ),
            ("lambda", "Invoke" | "GetFunction" | "GetFunctionConfiguration") => (
                "lambda",
                field("FunctionName")
                    .map(|f| {
                        super::arns::qualified_function_arn(
                            &f,
                            field("Qualifier").as_deref(),
                            region,
                            account,
                        )
                    })
                    .into_iter()
                    .collect(),
            ),
            ("lambda", "ListFunctions") => ("lambda", vec!["*".to_owned()]),
            _ => return Ok(()),
        };
        // IAM names Invoke's action after the API's old name.
        let operation = match (prefix, operation) {
            ("lambda", "Invoke") => "InvokeFunction",
            _ => operation,
        };
        let action = format!("{service}:{operation}");
        for resource in resources {
            self.role_call(role, function, &action, &resource)?;
        }
        Ok(())
    }

    /// The role of a state machine of the template, by its ARN.
    pub fn state_machine_role(&self, state_machine_arn: &str) -> Option<&str> {
        self.state_machines
            .iter()
            .find(|(arn, _)| arn == state_machine_arn)
            .map(|(_, role)| role.as_str())
    }

    /// A role of the template (`session` names its temporary credentials) calls `action` on
    /// `resource`. Roles the template does not define are not evaluated.
    pub fn role_call(
        &self,
        role_arn: &str,
        session: &str,
        action: &str,
        resource: &str,
    ) -> Result<(), Denial> {
        self.role_call_in(role_arn, session, action, resource, Context::new())
    }

    /// [`PermissionPlane::role_call`] with request context keys (`states:StateMachineQualifier`).
    pub fn role_call_in(
        &self,
        role_arn: &str,
        session: &str,
        action: &str,
        resource: &str,
        context: Context,
    ) -> Result<(), Denial> {
        if !self.model.as_ref().is_some_and(|m| m.has_role(role_arn)) {
            return Ok(());
        }
        self.decide(Request {
            caller: Caller::Role {
                role_arn: role_arn.to_owned(),
                session: session.to_owned(),
            },
            action: action.to_owned(),
            resource: resource.to_owned(),
            context,
        })
    }

    fn decide(&self, request: Request) -> Result<(), Denial> {
        let Some(model) = &self.model else {
            return Ok(());
        };
        if self.mode == IamMode::Off {
            return Ok(());
        }
        let identity = match &request.caller {
            Caller::Role { role_arn, .. } => model.identity_policies(role_arn),
            Caller::Service(_) => Vec::new(),
        };
        // Lambda permissions come from the template; the other services' resource policies are
        // the ones they keep now (the template's, unless changed through the API since).
        let live = self.live.read().unwrap_or_else(|e| e.into_inner());
        let resource: Vec<_> = model
            .attached("lambda")
            .chain(live.values())
            .filter(|a| a.covers(&request.resource))
            .map(Attached::named)
            .collect();
        let decision = evaluate(&request, &identity, &resource);
        if decision.is_allowed() {
            return Ok(());
        }
        let message = access_denied_message(&request, &decision);
        match self.mode {
            IamMode::Warn => {
                self.warnings.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(mode = "warn", %message, "permission plane: AWS would deny this call");
                Ok(())
            }
            _ => {
                self.denials.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%message, "permission plane: denied");
                Err(Denial { message, decision })
            }
        }
    }
}

/// The access key id the stack gives a function's process: `ASIA` and 16 characters derived from
/// the function's name, so that a request signed with it is the function's role's (the form of the
/// temporary credentials Lambda gives a function from its execution role).
pub fn function_access_key(function_name: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(function_name.as_bytes());
    let mut key = String::from("ASIA");
    for byte in &digest[..8] {
        key.push_str(&format!("{byte:02X}"));
    }
    key
}
