//! Risk profile: input, score, level, decision, reasons, output.
//!
//! The scoring table itself lives in the `risk-profile` crate; the bands
//! that map a score to a level and a level to a decision live here because
//! the state machine and the events depend on them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::application::{ApplicationError, NewAccountRequested, as_object};
use crate::identity::{IdentityCheckResult, parse_envelope};

/// Highest risk score.
pub const MAX_RISK_SCORE: u8 = 100;
/// Lowest score of the MEDIUM band.
pub const MEDIUM_RISK_FROM: u8 = 30;
/// Lowest score of the HIGH band.
pub const HIGH_RISK_FROM: u8 = 70;

/// Risk band of a score: LOW 0–29, MEDIUM 30–69, HIGH 70–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

crate::stable_names!(RiskLevel {
    Low => "LOW",
    Medium => "MEDIUM",
    High => "HIGH",
});

impl RiskLevel {
    /// The band a score falls in (scores above 100 count as 100).
    pub const fn from_score(score: u8) -> Self {
        if score >= HIGH_RISK_FROM {
            RiskLevel::High
        } else if score >= MEDIUM_RISK_FROM {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        }
    }

    /// The automatic decision for this level.
    pub const fn decision(self) -> RiskDecision {
        match self {
            RiskLevel::Low => RiskDecision::Approve,
            RiskLevel::Medium => RiskDecision::Review,
            RiskLevel::High => RiskDecision::Decline,
        }
    }
}

/// What the risk profile recommends: approve, send to manual review, decline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RiskDecision {
    Approve,
    Review,
    Decline,
}

crate::stable_names!(RiskDecision {
    Approve => "APPROVE",
    Review => "REVIEW",
    Decline => "DECLINE",
});

/// A risk factor that added points to the score. Stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RiskReason {
    IdentityNotVerified,
    HighRiskJurisdiction,
    DisposableEmail,
    PoBoxAddress,
    DocumentExpiringSoon,
    NoDocument,
    NoDateOfBirth,
}

crate::stable_names!(RiskReason {
    IdentityNotVerified => "IDENTITY_NOT_VERIFIED",
    HighRiskJurisdiction => "HIGH_RISK_JURISDICTION",
    DisposableEmail => "DISPOSABLE_EMAIL",
    PoBoxAddress => "PO_BOX_ADDRESS",
    DocumentExpiringSoon => "DOCUMENT_EXPIRING_SOON",
    NoDocument => "NO_DOCUMENT",
    NoDateOfBirth => "NO_DATE_OF_BIRTH",
});

/// Input of the risk-profile Lambda:
/// `{"applicationId", "application": {...detail...}, "identity": {...identity-check output...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskProfileInput {
    pub application_id: String,
    pub application: NewAccountRequested,
    pub identity: IdentityCheckResult,
}

impl RiskProfileInput {
    /// Validates a raw input (same application rules as the identity check;
    /// `identity` must be an identity-check output).
    pub fn from_value(value: &Value) -> Result<Self, ApplicationError> {
        let (application_id, application) = parse_envelope(value)?;
        let raw_identity = as_object(value, "input")?
            .get("identity")
            .ok_or(ApplicationError::Missing { field: "identity" })?;
        as_object(raw_identity, "identity")?;
        let identity: IdentityCheckResult =
            serde_json::from_value(raw_identity.clone()).map_err(|_| {
                ApplicationError::Invalid {
                    field: "identity",
                    problem: "is not an identity-check result",
                }
            })?;
        Ok(RiskProfileInput {
            application_id,
            application,
            identity,
        })
    }
}

/// Output of the risk-profile Lambda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskProfileResult {
    pub application_id: String,
    /// 0–100.
    pub risk_score: u8,
    pub risk_level: RiskLevel,
    pub decision: RiskDecision,
    /// Every factor that added points, in table order.
    pub reasons: Vec<RiskReason>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn bands_and_decisions() {
        let cases = [
            (0, RiskLevel::Low, RiskDecision::Approve),
            (29, RiskLevel::Low, RiskDecision::Approve),
            (30, RiskLevel::Medium, RiskDecision::Review),
            (69, RiskLevel::Medium, RiskDecision::Review),
            (70, RiskLevel::High, RiskDecision::Decline),
            (100, RiskLevel::High, RiskDecision::Decline),
            (255, RiskLevel::High, RiskDecision::Decline),
        ];
        for (score, level, decision) in cases {
            assert_eq!(RiskLevel::from_score(score), level, "{score}");
            assert_eq!(level.decision(), decision, "{score}");
        }
    }

    #[test]
    fn result_round_trips() {
        let r = RiskProfileResult {
            application_id: "app-1".into(),
            risk_score: 50,
            risk_level: RiskLevel::Medium,
            decision: RiskDecision::Review,
            reasons: vec![RiskReason::DisposableEmail, RiskReason::PoBoxAddress],
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            json!({"applicationId": "app-1", "riskScore": 50, "riskLevel": "MEDIUM",
                   "decision": "REVIEW", "reasons": ["DISPOSABLE_EMAIL", "PO_BOX_ADDRESS"]})
        );
        assert_eq!(serde_json::from_value::<RiskProfileResult>(v).unwrap(), r);
        for reason in RiskReason::ALL {
            assert_eq!(
                serde_json::to_value(reason).unwrap(),
                json!(reason.as_str())
            );
        }
    }

    #[test]
    fn input_requires_an_identity_result() {
        let app = json!({"customerName": "A B", "customerAddress": "1 Main St"});
        let e = RiskProfileInput::from_value(&json!({"applicationId": "a", "application": app}))
            .unwrap_err();
        assert_eq!(e.to_string(), "identity is required");
        let e = RiskProfileInput::from_value(
            &json!({"applicationId": "a", "application": app, "identity": 3}),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "identity must be a JSON object, found a number"
        );
        let e = RiskProfileInput::from_value(
            &json!({"applicationId": "a", "application": app, "identity": {"identityVerified": "yes"}}),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "identity is not an identity-check result");
    }
}
