//! risk-profile Lambda: a deterministic, documented risk score for a
//! verified application.
//!
//! Invoked by the state machine with
//! `{"applicationId", "application": {...detail...}, "identity": {...identity-check output...}}`;
//! returns `{applicationId, riskScore, riskLevel, decision, reasons}`.
//! The scoring table is in [`scoring`] (and the crate README). A malformed
//! input is an error with the stable `errorType` `InvalidApplication`.
//!
//! Entry point: [`handle`] (pure: the payload and "today" in, a result out).

pub mod scoring;

use chrono::NaiveDate;
use kyc_shared::{ApplicationError, ErrorType, RiskProfileInput, RiskProfileResult};
use lambda_runtime_lean::Diagnostic;
use serde_json::Value;

/// Errors of the risk profile, with stable error types.
#[derive(Debug, thiserror::Error)]
pub enum RiskProfileError {
    /// The input or the application is malformed (`InvalidApplication`).
    #[error(transparent)]
    InvalidApplication(#[from] ApplicationError),
}

impl RiskProfileError {
    /// The Lambda `errorType` the state machine matches on.
    pub fn error_type(&self) -> ErrorType {
        match self {
            RiskProfileError::InvalidApplication(_) => ErrorType::InvalidApplication,
        }
    }
}

impl From<RiskProfileError> for Diagnostic {
    fn from(e: RiskProfileError) -> Self {
        Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}

/// Profiles a validated input.
pub fn profile(input: &RiskProfileInput, today: NaiveDate) -> RiskProfileResult {
    let s = scoring::score(&input.application, input.identity.identity_verified, today);
    RiskProfileResult {
        application_id: input.application_id.clone(),
        risk_score: s.score,
        risk_level: s.level,
        decision: s.level.decision(),
        reasons: s.reasons,
    }
}

/// The Lambda handler: validates the payload and profiles it. Logs one
/// event per decision (id, score, level, decision, reason codes).
pub fn handle(payload: &Value, today: NaiveDate) -> Result<RiskProfileResult, RiskProfileError> {
    let input = RiskProfileInput::from_value(payload).inspect_err(|e| {
        tracing::warn!(
            error_type = ErrorType::InvalidApplication.as_str(),
            field = e.field(),
            error = %e,
            "invalid_application"
        );
    })?;
    let result = profile(&input, today);
    let reasons: Vec<&str> = result.reasons.iter().map(|r| r.as_str()).collect();
    tracing::info!(
        application_id = %result.application_id,
        risk_score = result.risk_score,
        risk_level = result.risk_level.as_str(),
        decision = result.decision.as_str(),
        reasons = %reasons.join(","),
        "risk_profiled"
    );
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn run(raw: &str) -> Value {
        let payload: Value = serde_json::from_str(raw).unwrap();
        serde_json::to_value(handle(&payload, today()).unwrap()).unwrap()
    }

    #[test]
    fn the_original_samples_applicant_is_approved_low() {
        assert_eq!(
            run(include_str!(
                "../../../events/lambda/risk-profile-minimal.json"
            )),
            json!({"applicationId": "app-nikki-wolf", "riskScore": 15, "riskLevel": "LOW",
                   "decision": "APPROVE", "reasons": ["NO_DOCUMENT", "NO_DATE_OF_BIRTH"]})
        );
    }

    #[test]
    fn a_complete_clean_application_is_approved() {
        assert_eq!(
            run(include_str!(
                "../../../events/lambda/risk-profile-approve.json"
            )),
            json!({"applicationId": "app-1001", "riskScore": 0, "riskLevel": "LOW",
                   "decision": "APPROVE", "reasons": []})
        );
    }

    #[test]
    fn a_disposable_email_and_a_po_box_go_to_review() {
        assert_eq!(
            run(include_str!(
                "../../../events/lambda/risk-profile-review.json"
            )),
            json!({"applicationId": "app-3001", "riskScore": 50, "riskLevel": "MEDIUM",
                   "decision": "REVIEW", "reasons": ["DISPOSABLE_EMAIL", "PO_BOX_ADDRESS"]})
        );
    }

    #[test]
    fn a_high_risk_jurisdiction_is_declined() {
        assert_eq!(
            run(include_str!(
                "../../../events/lambda/risk-profile-decline.json"
            )),
            json!({"applicationId": "app-4001", "riskScore": 70, "riskLevel": "HIGH",
                   "decision": "DECLINE", "reasons": ["HIGH_RISK_JURISDICTION"]})
        );
    }

    #[test]
    fn an_unverified_identity_is_declined() {
        let payload = json!({
            "applicationId": "app-2002",
            "application": {"customerName": "Jose Fantasma", "customerAddress": "742 Evergreen Terrace, Springfield, USA"},
            "identity": {"applicationId": "app-2002", "identityVerified": false,
                "checks": {"name": "PASSED", "address": "PASSED", "document": "NOT_PROVIDED", "age": "NOT_PROVIDED", "watchlist": "FAILED"},
                "reasons": ["WATCHLIST_MATCH"]}
        });
        let r = handle(&payload, today()).unwrap();
        assert_eq!(r.risk_score, 100);
        assert_eq!(r.decision, kyc_shared::RiskDecision::Decline);
    }

    #[test]
    fn bad_inputs_are_invalid_applications() {
        let identity = json!({"applicationId": "a", "identityVerified": true,
            "checks": {"name": "PASSED", "address": "PASSED", "document": "NOT_PROVIDED", "age": "NOT_PROVIDED", "watchlist": "PASSED"},
            "reasons": []});
        let cases = [
            (json!("text"), "input must be a JSON object, found a string"),
            (
                json!({"applicationId": "a", "application": 5, "identity": identity}),
                "application must be a JSON object, found a number",
            ),
            (
                json!({"applicationId": "a", "application": {"customerName": "Nikki Wolf"}, "identity": identity}),
                "customerAddress is required",
            ),
            (
                json!({"applicationId": "a", "application": {"customerName": "Nikki Wolf", "customerAddress": "1 Main St"}}),
                "identity is required",
            ),
            (
                json!({"applicationId": "a", "application": {"customerName": "Nikki Wolf", "customerAddress": "1 Main St",
                       "dateOfBirth": "1990-13-01"}, "identity": identity}),
                "dateOfBirth is not a valid date (expected YYYY-MM-DD)",
            ),
        ];
        for (payload, message) in cases {
            let d: Diagnostic = handle(&payload, today()).unwrap_err().into();
            assert_eq!(d.error_type, "InvalidApplication");
            assert_eq!(d.error_message, message);
        }
    }
}
