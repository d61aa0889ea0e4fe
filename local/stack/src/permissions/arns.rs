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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
