//! Terminal events: **New account approved** / **New account declined**
//! (business outcomes; the execution SUCCEEDS) and **KYC processing
//! failed** (a technical failure; the execution FAILS).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::mask;
use crate::risk::RiskLevel;

/// The final decision on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountDecision {
    Approved,
    Declined,
}

crate::stable_names!(AccountDecision {
    Approved => "APPROVED",
    Declined => "DECLINED",
});

/// Who took the final decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DecidedBy {
    Automatic,
    ManualReview,
}

crate::stable_names!(DecidedBy {
    Automatic => "AUTOMATIC",
    ManualReview => "MANUAL_REVIEW",
});

/// Detail of **New account approved** and **New account declined**.
///
/// `riskLevel`, `riskScore` and `reviewer` are always present and `null`
/// when unknown (identity declines and invalid applications have no risk
/// profile; automatic decisions have no reviewer). `reasons` are stable
/// codes from the identity check, the risk profile, or the state machine
/// (`InvalidApplication`, `ReviewTimedOut`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDecisionDetail {
    pub application_id: String,
    pub decision: AccountDecision,
    pub decided_by: DecidedBy,
    pub reasons: Vec<String>,
    #[serde(default)]
    pub risk_level: Option<RiskLevel>,
    #[serde(default)]
    pub risk_score: Option<u8>,
    #[serde(default)]
    pub reviewer: Option<String>,
}

/// Detail of **New account approved**.
pub type NewAccountApproved = AccountDecisionDetail;
/// Detail of **New account declined**.
pub type NewAccountDeclined = AccountDecisionDetail;

impl fmt::Debug for AccountDecisionDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountDecisionDetail")
            .field("application_id", &self.application_id)
            .field("decision", &self.decision)
            .field("decided_by", &self.decided_by)
            .field("reasons", &self.reasons)
            .field("risk_level", &self.risk_level)
            .field("risk_score", &self.risk_score)
            .field("reviewer", &self.reviewer.as_deref().map(mask::mask_name))
            .finish()
    }
}

/// Detail of **KYC processing failed**: the `Error` and `Cause` the state
/// machine's `Catch` captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KycProcessingFailed {
    pub application_id: String,
    pub error: String,
    /// `Cause` is optional in a Step Functions error output.
    #[serde(default)]
    pub cause: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn decision_details_round_trip_with_nulls() {
        let v = json!({
            "applicationId": "app-1", "decision": "DECLINED", "decidedBy": "AUTOMATIC",
            "reasons": ["WATCHLIST_MATCH"], "riskLevel": null, "riskScore": null, "reviewer": null
        });
        let d: NewAccountDeclined = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(d.decision, AccountDecision::Declined);
        assert_eq!(d.risk_level, None);
        assert_eq!(serde_json::to_value(&d).unwrap(), v);

        let v = json!({
            "applicationId": "app-2", "decision": "APPROVED", "decidedBy": "MANUAL_REVIEW",
            "reasons": ["PO_BOX_ADDRESS"], "riskLevel": "MEDIUM", "riskScore": 50, "reviewer": "Jane Reviewer"
        });
        let d: NewAccountApproved = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(d.decided_by, DecidedBy::ManualReview);
        assert_eq!(serde_json::to_value(&d).unwrap(), v);
        assert!(!format!("{d:?}").contains("Jane"));
    }

    #[test]
    fn processing_failed_round_trips() {
        let v =
            json!({"applicationId": "app-3", "error": "Lambda.ServiceException", "cause": "boom"});
        let f: KycProcessingFailed = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&f).unwrap(), v);
        let f: KycProcessingFailed =
            serde_json::from_value(json!({"applicationId": "a", "error": "States.Timeout"}))
                .unwrap();
        assert_eq!(f.cause, None);
    }

    #[test]
    fn names_are_stable() {
        assert_eq!(AccountDecision::Approved.to_string(), "APPROVED");
        assert_eq!(DecidedBy::ManualReview.to_string(), "MANUAL_REVIEW");
        assert_eq!("DECLINED".parse(), Ok(AccountDecision::Declined));
    }
}
