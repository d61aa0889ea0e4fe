//! Names of the event contract: bus, sources, detail-types, error types.
//!
//! They follow the original sample (aws-samples `app-kyc-with-eventbridge`)
//! so its `put_events.json` works unchanged.

/// Default name of the custom event bus (template parameter `EventBusName`).
pub const DEFAULT_EVENT_BUS_NAME: &str = "CentralEventBus";

/// Source of **New account requested** (the accounts system).
pub const SOURCE_ACCOUNTS: &str = "com.aws.accounts";
/// Source of every event the KYC state machine publishes.
pub const SOURCE_KYC: &str = "com.aws.kyc";
/// Source of the events reviewers put (case tool or AWS CLI).
pub const SOURCE_REVIEW: &str = "com.aws.review";
/// Source of Step Functions' own events on the default bus.
pub const SOURCE_STATES: &str = "aws.states";

/// Every detail-type of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetailType {
    NewAccountRequested,
    IdentityCheckCompleted,
    ManualReviewRequested,
    ManualReviewStarted,
    ManualReviewCompleted,
    NewAccountApproved,
    NewAccountDeclined,
    KycProcessingFailed,
    /// Emitted by Step Functions itself (source `aws.states`) on the default bus.
    ExecutionStatusChange,
}

crate::stable_names!(DetailType {
    NewAccountRequested => "New account requested",
    IdentityCheckCompleted => "Identity check completed",
    ManualReviewRequested => "Manual review requested",
    ManualReviewStarted => "Manual review started",
    ManualReviewCompleted => "Manual review completed",
    NewAccountApproved => "New account approved",
    NewAccountDeclined => "New account declined",
    KycProcessingFailed => "KYC processing failed",
    ExecutionStatusChange => "Step Functions Execution Status Change",
});

impl DetailType {
    /// The `source` an event of this detail-type carries.
    pub const fn source(self) -> &'static str {
        match self {
            DetailType::NewAccountRequested => SOURCE_ACCOUNTS,
            DetailType::ManualReviewStarted | DetailType::ManualReviewCompleted => SOURCE_REVIEW,
            DetailType::ExecutionStatusChange => SOURCE_STATES,
            DetailType::IdentityCheckCompleted
            | DetailType::ManualReviewRequested
            | DetailType::NewAccountApproved
            | DetailType::NewAccountDeclined
            | DetailType::KycProcessingFailed => SOURCE_KYC,
        }
    }
}

/// Stable Lambda `errorType` names (and task-failure error names) that the
/// state machine's Retry / Catch match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// The application (or the function input) is malformed: not retried,
    /// ends in **New account declined** with reason `InvalidApplication`.
    InvalidApplication,
    /// A transient failure (throttling, 5xx): retried.
    Retryable,
    /// A reviewer's **Manual review completed** is invalid; sent with
    /// `SendTaskFailure` so the waiting task fails with this error.
    ReviewInvalid,
    /// The manual review did not complete within `TimeoutSeconds` /
    /// `HeartbeatSeconds` (used as a decline reason by the state machine).
    ReviewTimedOut,
    /// A Step Functions call was rejected for a reason retrying cannot fix
    /// (access denied, invalid output...): a technical failure.
    CallbackRejected,
    /// Writing a log record failed.
    LogWriteFailed,
    /// Step Functions refused to start the workflow for a reason retrying
    /// cannot fix (access denied, no such state machine, invalid input).
    StartRejected,
}

crate::stable_names!(ErrorType {
    InvalidApplication => "InvalidApplication",
    Retryable => "Retryable",
    ReviewInvalid => "ReviewInvalid",
    ReviewTimedOut => "ReviewTimedOut",
    CallbackRejected => "CallbackRejected",
    LogWriteFailed => "LogWriteFailed",
    StartRejected => "StartRejected",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_types_have_the_contract_names_and_sources() {
        let pairs: Vec<(&str, &str)> = DetailType::ALL
            .iter()
            .map(|d| (d.as_str(), d.source()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("New account requested", "com.aws.accounts"),
                ("Identity check completed", "com.aws.kyc"),
                ("Manual review requested", "com.aws.kyc"),
                ("Manual review started", "com.aws.review"),
                ("Manual review completed", "com.aws.review"),
                ("New account approved", "com.aws.kyc"),
                ("New account declined", "com.aws.kyc"),
                ("KYC processing failed", "com.aws.kyc"),
                ("Step Functions Execution Status Change", "aws.states"),
            ]
        );
    }

    #[test]
    fn names_parse_back_exactly() {
        for d in DetailType::ALL {
            assert_eq!(d.as_str().parse::<DetailType>(), Ok(*d));
        }
        for e in ErrorType::ALL {
            assert_eq!(e.to_string().parse::<ErrorType>(), Ok(*e));
        }
        assert!("new account requested".parse::<DetailType>().is_err());
        assert_eq!(
            "Nope".parse::<ErrorType>().unwrap_err().to_string(),
            "not a valid ErrorType"
        );
    }
}
