//! The API namespaces a service delay applies to ([`Namespace`]), by name, CLI alias or
//! `X-Amz-Target` prefix.

/// The API namespaces a delay applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Namespace {
    /// `AWSStepFunctions`.
    StepFunctions,
    /// `AWSEvents`.
    Events,
    /// `Logs_20140328`.
    Logs,
    /// `/2015-03-31/functions/...`.
    Lambda,
    /// `AmazonSQS`.
    Sqs,
}

impl Namespace {
    /// Every namespace.
    pub const ALL: [Namespace; 5] = [
        Self::StepFunctions,
        Self::Events,
        Self::Logs,
        Self::Lambda,
        Self::Sqs,
    ];

    /// The name used in the API and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Self::StepFunctions => "stepfunctions",
            Self::Events => "events",
            Self::Logs => "logs",
            Self::Lambda => "lambda",
            Self::Sqs => "sqs",
        }
    }

    /// A name, an AWS CLI service name or an `X-Amz-Target` prefix, any case.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "stepfunctions" | "step-functions" | "states" | "sfn" | "awsstepfunctions" => {
                Some(Self::StepFunctions)
            }
            "events" | "eventbridge" | "awsevents" => Some(Self::Events),
            "logs" | "cloudwatchlogs" | "logs_20140328" => Some(Self::Logs),
            "lambda" => Some(Self::Lambda),
            "sqs" | "amazonsqs" => Some(Self::Sqs),
            _ => None,
        }
    }

    /// The namespace of a JSON service, by its `X-Amz-Target` prefix.
    pub fn of_target_prefix(prefix: &str) -> Option<Self> {
        match prefix {
            "AWSStepFunctions" => Some(Self::StepFunctions),
            "AWSEvents" => Some(Self::Events),
            "Logs_20140328" => Some(Self::Logs),
            "AmazonSQS" => Some(Self::Sqs),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_by_name_alias_and_prefix() {
        for ns in Namespace::ALL {
            assert_eq!(Namespace::parse(ns.name()), Some(ns));
        }
        assert_eq!(
            Namespace::parse("AWSStepFunctions"),
            Some(Namespace::StepFunctions)
        );
        assert_eq!(Namespace::parse("EventBridge"), Some(Namespace::Events));
        assert_eq!(Namespace::parse("s3"), None);
        assert_eq!(
            Namespace::of_target_prefix("Logs_20140328"),
            Some(Namespace::Logs)
        );
        assert_eq!(Namespace::of_target_prefix("Nope"), None);
    }
}
