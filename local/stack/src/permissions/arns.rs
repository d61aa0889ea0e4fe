//! The resource ARNs the permission plane evaluates, read from a request's parameters the way the
//! service resolves them (a name or an ARN; the default bus when none is named).

use serde_json::Value;

/// `FunctionName` (a name, `name:qualifier`, a partial ARN `account:function:name` or an ARN) as a
/// function ARN.
pub fn function_arn(function: &str, region: &str, account: &str) -> String {
    if function.starts_with("arn:") {
        function.to_owned()
    } else if let Some((owner, rest)) = function.split_once(":function:") {
        format!("arn:aws:lambda:{region}:{owner}:function:{rest}")
    } else {
        format!("arn:aws:lambda:{region}:{account}:function:{function}")
    }
}

/// The ARN IAM evaluates for a call on `FunctionName` with an optional `Qualifier` (the qualified
/// ARN when a version or alias is named, in either place).
pub fn qualified_function_arn(
    function: &str,
    qualifier: Option<&str>,
    region: &str,
    account: &str,
) -> String {
    let arn = function_arn(function, region, account);
    // arn:aws:lambda:region:account:function:name[:qualifier]
    let qualified = arn.split(':').count() > 7;
    match qualifier {
        Some(q) if !qualified && !q.is_empty() => format!("{arn}:{q}"),
        _ => arn,
    }
}

/// The bus ARN of each PutEvents entry (`EventBusName`, a name or an ARN; `default` when absent).
pub fn entry_bus_arns(entries: Option<&Value>, region: &str, account: &str) -> Vec<String> {
    entries
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    let bus = e
                        .get("EventBusName")
                        .and_then(Value::as_str)
                        .unwrap_or("default");
                    if bus.starts_with("arn:") {
                        bus.to_owned()
                    } else {
                        format!("arn:aws:events:{region}:{account}:event-bus/{bus}")
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A queue URL's queue ARN (the queue name is the URL's last segment).
pub fn queue_arn_of_url(url: &str, region: &str, account: &str) -> String {
    let name = url.rsplit('/').next().unwrap_or(url);
    format!("arn:aws:sqs:{region}:{account}:{name}")
}

/// One evaluation of a Step Functions call on a state machine.
#[derive(Debug, Clone, PartialEq)]
pub struct StatesCall {
    /// `states:<Operation>`.
    pub action: String,
    /// The unqualified state machine ARN.
    pub resource: String,
    /// `states:StateMachineQualifier` when a version or an alias is named.
    pub context: iam::Context,
}

/// A state machine ARN as IAM evaluates it: the unqualified ARN, and the version number or alias
/// name that qualifies it. "To authorize a version or an alias to invoke an API action, Step
/// Functions uses the state machine's ARN instead of using the version ARN or alias ARN", with
/// the qualifier in the `states:StateMachineQualifier` context key (Step Functions developer
/// guide, "Authorization for versions and aliases"; the service authorization reference lists
/// `statemachine*` and that key for the version and alias actions).
pub fn state_machine_resource(arn: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() == 8 && parts[5] == "stateMachine" {
        (parts[..7].join(":"), Some(parts[7].to_owned()))
    } else {
        (arn.to_owned(), None)
    }
}

/// The evaluations of a Step Functions call whose resource is a state machine, its version or
/// its alias: StartExecution, StartSyncExecution, DescribeStateMachine, ListExecutions,
/// PublishStateMachineVersion, ListStateMachineVersions, ListStateMachineAliases
/// (`stateMachineArn`), DeleteStateMachineVersion (`stateMachineVersionArn`),
/// Describe/Update/DeleteStateMachineAlias (`stateMachineAliasArn`), CreateStateMachineAlias (the
/// machine of its routed versions, qualified by the alias name); and
/// `states:PublishStateMachineVersion` on the machine for CreateStateMachine / UpdateStateMachine
/// with `publish` (a dependent action: "you also need the ALLOW permission on the
/// PublishStateMachineVersion API action"). `None` for any other operation.
pub fn state_machine_calls(
    operation: &str,
    input: &Value,
    partition: &str,
    region: &str,
    account: &str,
) -> Option<Vec<StatesCall>> {
    let field = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_owned);
    let call = |arn: &str, qualifier: Option<String>, action: &str| {
        let (resource, from_arn) = state_machine_resource(arn);
        let mut context = iam::Context::new();
        if let Some(q) = qualifier.or(from_arn) {
            context = context.with("states:StateMachineQualifier", q);
        }
        StatesCall {
            action: format!("states:{action}"),
            resource,
            context,
        }
    };
    let on_field = |member: &str| {
        Some(
            field(member)
                .map(|arn| call(&arn, None, operation))
                .into_iter()
                .collect(),
        )
    };
    let publishing = input.get("publish").and_then(Value::as_bool) == Some(true);
    match operation {
        "StartExecution"
        | "StartSyncExecution"
        | "DescribeStateMachine"
        | "ListExecutions"
        | "PublishStateMachineVersion"
        | "ListStateMachineVersions"
        | "ListStateMachineAliases" => on_field("stateMachineArn"),
        "DeleteStateMachineVersion" => on_field("stateMachineVersionArn"),
        "DescribeStateMachineAlias" | "UpdateStateMachineAlias" | "DeleteStateMachineAlias" => {
            on_field("stateMachineAliasArn")
        }
        "CreateStateMachineAlias" => Some(
            input
                .get("routingConfiguration")
                .and_then(|r| r.get(0))
                .and_then(|r| r.get("stateMachineVersionArn"))
                .and_then(Value::as_str)
                .map(|version| {
                    let (machine, _) = state_machine_resource(version);
                    call(&machine, field("name"), operation)
                })
                .into_iter()
                .collect(),
        ),
        "UpdateStateMachine" if publishing => Some(
            field("stateMachineArn")
                .map(|arn| call(&arn, None, "PublishStateMachineVersion"))
                .into_iter()
                .collect(),
        ),
        "CreateStateMachine" if publishing => Some(
            field("name")
                .map(|name| {
                    let arn =
                        format!("arn:{partition}:states:{region}:{account}:stateMachine:{name}");
                    call(&arn, None, "PublishStateMachineVersion")
                })
                .into_iter()
                .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn state_machine_calls_name_the_machine_and_the_qualifier() {
        let sm = "arn:aws:states:r:1:stateMachine:app";
        let calls = |op: &str, input: Value| state_machine_calls(op, &input, "aws", "r", "1");
        let start = calls(
            "StartExecution",
            json!({"stateMachineArn": format!("{sm}:PROD")}),
        )
        .unwrap();
        assert_eq!(start.len(), 1);
        assert_eq!(start[0].action, "states:StartExecution");
        assert_eq!(start[0].resource, sm);
        assert_eq!(
            start[0].context,
            iam::Context::new().with("states:StateMachineQualifier", "PROD")
        );
        let plain = calls("DescribeStateMachine", json!({"stateMachineArn": sm})).unwrap();
        assert_eq!(
            (plain[0].resource.as_str(), &plain[0].context),
            (sm, &iam::Context::new())
        );
        let delete = calls(
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": format!("{sm}:3")}),
        )
        .unwrap();
        assert_eq!(
            delete[0].context,
            iam::Context::new().with("states:StateMachineQualifier", "3")
        );
        let alias = calls(
            "CreateStateMachineAlias",
            json!({"name": "live", "routingConfiguration": [{"stateMachineVersionArn": format!("{sm}:1"), "weight": 100}]}),
        )
        .unwrap();
        assert_eq!(alias[0].resource, sm);
        assert_eq!(
            alias[0].context,
            iam::Context::new().with("states:StateMachineQualifier", "live")
        );
        let published = calls(
            "CreateStateMachine",
            json!({"name": "app", "publish": true}),
        )
        .unwrap();
        assert_eq!(
            (published[0].action.as_str(), published[0].resource.as_str()),
            ("states:PublishStateMachineVersion", sm)
        );
        assert!(calls("CreateStateMachine", json!({"name": "app"})).is_none());
        assert!(calls("SendTaskSuccess", json!({})).is_none());
    }

    #[test]
    fn qualified_names() {
        let arn = |f: &str, q: Option<&str>| qualified_function_arn(f, q, "us-east-1", "1");
        assert_eq!(arn("f", None), "arn:aws:lambda:us-east-1:1:function:f");
        assert_eq!(
            arn("f", Some("live")),
            "arn:aws:lambda:us-east-1:1:function:f:live"
        );
        assert_eq!(
            arn("f:live", None),
            "arn:aws:lambda:us-east-1:1:function:f:live"
        );
        assert_eq!(
            arn("2:function:f", Some("3")),
            "arn:aws:lambda:us-east-1:2:function:f:3"
        );
        assert_eq!(
            arn("arn:aws:lambda:eu-west-1:2:function:g:7", Some("8")),
            "arn:aws:lambda:eu-west-1:2:function:g:7"
        );
    }

    #[test]
    fn names_and_arns() {
        assert_eq!(
            function_arn("f", "us-east-1", "1"),
            "arn:aws:lambda:us-east-1:1:function:f"
        );
        assert_eq!(
            function_arn("arn:aws:lambda:eu-west-1:2:function:g", "us-east-1", "1"),
            "arn:aws:lambda:eu-west-1:2:function:g"
        );
        assert_eq!(
            entry_bus_arns(
                Some(
                    &json!([{"EventBusName": "b"}, {}, {"EventBusName": "arn:aws:events:r:2:event-bus/c"}])
                ),
                "r",
                "1"
            ),
            [
                "arn:aws:events:r:1:event-bus/b",
                "arn:aws:events:r:1:event-bus/default",
                "arn:aws:events:r:2:event-bus/c"
            ]
        );
        assert!(entry_bus_arns(None, "r", "1").is_empty());
        assert_eq!(
            queue_arn_of_url("http://127.0.0.1:4566/1/q", "r", "1"),
            "arn:aws:sqs:r:1:q"
        );
    }
}
