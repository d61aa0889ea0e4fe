//! ARNs as the services read them: what kind of resource a target ARN names. The lowest layer:
//! EventBridge's deliveries and the permission plane both classify targets through it.

/// How a target ARN is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// `arn:aws:states:...:stateMachine:<name>`.
    StateMachine,
    /// `arn:aws:lambda:...:function:<name>[:qualifier]`.
    Lambda,
    /// `arn:aws:logs:...:log-group:<name>[:*]`: the group name.
    LogGroup(String),
    /// `arn:aws:sqs:...:<name>`.
    Queue,
    /// `arn:aws:events:...:event-bus/<name>`: the bus name.
    EventBus(String),
    /// Anything else.
    Unsupported,
}

/// Classifies a target ARN.
pub fn target_kind(arn: &str) -> TargetKind {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, service, _, _, resource] = parts.as_slice() else {
        return TargetKind::Unsupported;
    };
    match *service {
        "states" if resource.starts_with("stateMachine:") => TargetKind::StateMachine,
        "lambda" if resource.starts_with("function:") => TargetKind::Lambda,
        "logs" => match resource.strip_prefix("log-group:") {
            Some(rest) => {
                let name = rest.strip_suffix(":*").unwrap_or(rest);
                TargetKind::LogGroup(name.to_owned())
            }
            None => TargetKind::Unsupported,
        },
        "sqs" => TargetKind::Queue,
        "events" => match resource.strip_prefix("event-bus/") {
            Some(name) => TargetKind::EventBus(name.to_owned()),
            None => TargetKind::Unsupported,
        },
        _ => TargetKind::Unsupported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_kinds_by_arn() {
        assert_eq!(
            target_kind("arn:aws:states:us-east-1:000000000000:stateMachine:app"),
            TargetKind::StateMachine
        );
        assert_eq!(
            target_kind("arn:aws:lambda:us-east-1:000000000000:function:f"),
            TargetKind::Lambda
        );
        assert_eq!(
            target_kind("arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/x:*"),
            TargetKind::LogGroup("/aws/events/x".into())
        );
        assert_eq!(
            target_kind("arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/x"),
            TargetKind::LogGroup("/aws/events/x".into())
        );
        assert_eq!(
            target_kind("arn:aws:sqs:us-east-1:000000000000:q"),
            TargetKind::Queue
        );
        assert_eq!(
            target_kind("arn:aws:events:us-east-1:000000000000:event-bus/b"),
            TargetKind::EventBus("b".into())
        );
        assert_eq!(
            target_kind("arn:aws:sns:us-east-1:000000000000:t"),
            TargetKind::Unsupported
        );
        assert_eq!(target_kind("nonsense"), TargetKind::Unsupported);
    }
}
