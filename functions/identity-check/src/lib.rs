//! identity-check Lambda: verifies a **New account requested** application.
//!
//! Invoked by the state machine (`arn:aws:states:::lambda:invoke`) with
//! `{"applicationId": "...", "application": {...detail...}}`; returns
//! `{applicationId, identityVerified, checks, reasons}` (see CONTRACT.md).
//! The checks are in [`checks`] (table there), the watchlist in
//! [`watchlist`]. A malformed input is an error with the stable
//! `errorType` `InvalidApplication`.
//!
//! Entry point: [`handle`] (pure: the payload and "today" in, a result out).

pub mod checks;
pub mod watchlist;

use chrono::NaiveDate;
use kyc_shared::{
    ApplicationError, ErrorType, IdentityCheckInput, IdentityCheckResult, IdentityChecks,
};
use lambda_runtime_lean::Diagnostic;
use serde_json::Value;

/// Errors of the identity check, with stable error types.
#[derive(Debug, thiserror::Error)]
pub enum IdentityCheckError {
    /// The input or the application is malformed (`InvalidApplication`).
    #[error(transparent)]
    InvalidApplication(#[from] ApplicationError),
}

impl IdentityCheckError {
    /// The Lambda `errorType` the state machine matches on.
    pub fn error_type(&self) -> ErrorType {
        match self {
            IdentityCheckError::InvalidApplication(_) => ErrorType::InvalidApplication,
        }
    }
}

impl From<IdentityCheckError> for Diagnostic {
    fn from(e: IdentityCheckError) -> Self {
        Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}

/// Runs every check on a validated input. Reasons come in check order.
pub fn verify(input: &IdentityCheckInput, today: NaiveDate) -> IdentityCheckResult {
    let app = &input.application;
    let name = checks::check_name(&app.customer_name);
    let address = checks::check_address(&app.customer_address);
    let document = checks::check_document(app.document.as_ref(), today);
    let age = checks::check_age(app.date_of_birth, today);
    let watchlist = checks::check_watchlist(&app.customer_name);
    let checks = IdentityChecks {
        name: name.status,
        address: address.status,
        document: document.status,
        age: age.status,
        watchlist: watchlist.status,
    };
    let reasons = [name, address, document, age, watchlist]
        .into_iter()
        .flat_map(|c| c.reasons)
        .collect();
    IdentityCheckResult {
        application_id: input.application_id.clone(),
        identity_verified: checks.none_failed(),
        checks,
        reasons,
    }
}

/// The Lambda handler: validates the payload and verifies it.
///
/// Logs one event per decision with the application id, the outcome and
/// the reason codes, never the applicant's data.
pub fn handle(
    payload: &Value,
    today: NaiveDate,
) -> Result<IdentityCheckResult, IdentityCheckError> {
    let input = IdentityCheckInput::from_value(payload).inspect_err(|e| {
        tracing::warn!(
            error_type = ErrorType::InvalidApplication.as_str(),
            field = e.field(),
            error = %e,
            "invalid_application"
        );
    })?;
    let result = verify(&input, today);
    let reasons: Vec<&str> = result.reasons.iter().map(|r| r.as_str()).collect();
    tracing::info!(
        application_id = %result.application_id,
        identity_verified = result.identity_verified,
        reasons = %reasons.join(","),
        "identity_checked"
    );
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kyc_shared::{CheckStatus, IdentityReason};
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn fixture(raw: &str) -> Value {
        serde_json::from_str(raw).unwrap()
    }

    fn run(raw: &str) -> Value {
        serde_json::to_value(handle(&fixture(raw), today()).unwrap()).unwrap()
    }

    #[test]
    fn the_original_samples_applicant_is_verified() {
        assert_eq!(
            run(include_str!(
                "../../../events/lambda/identity-check-minimal.json"
            )),
            json!({
                "applicationId": "app-nikki-wolf",
                "identityVerified": true,
                "checks": {"name": "PASSED", "address": "PASSED", "document": "NOT_PROVIDED",
                           "age": "NOT_PROVIDED", "watchlist": "PASSED"},
                "reasons": []
            })
        );
    }

    #[test]
    fn a_complete_application_is_verified() {
        assert_eq!(
            run(include_str!(
                "../../../events/lambda/identity-check-approved.json"
            )),
            json!({
                "applicationId": "app-1001",
                "identityVerified": true,
                "checks": {"name": "PASSED", "address": "PASSED", "document": "PASSED",
                           "age": "PASSED", "watchlist": "PASSED"},
                "reasons": []
            })
        );
    }

    #[test]
    fn the_review_and_risk_decline_applicants_pass_identity() {
        for raw in [
            include_str!("../../../events/lambda/identity-check-review.json"),
            include_str!("../../../events/lambda/identity-check-decline-risk.json"),
        ] {
            let r = handle(&fixture(raw), today()).unwrap();
            assert!(r.identity_verified, "{:?}", r.reasons);
            assert_eq!(r.checks.document, CheckStatus::Passed);
            assert_eq!(r.checks.age, CheckStatus::Passed);
        }
    }

    #[test]
    fn a_watchlisted_applicant_is_not_verified() {
        assert_eq!(
            run(include_str!(
                "../../../events/lambda/identity-check-watchlist.json"
            )),
            json!({
                "applicationId": "app-2002",
                "identityVerified": false,
                "checks": {"name": "PASSED", "address": "PASSED", "document": "PASSED",
                           "age": "PASSED", "watchlist": "FAILED"},
                "reasons": ["WATCHLIST_MATCH"]
            })
        );
    }

    #[test]
    fn an_expired_document_and_a_minor_collect_every_reason() {
        assert_eq!(
            run(include_str!(
                "../../../events/lambda/identity-check-expired-underage.json"
            )),
            json!({
                "applicationId": "app-2003",
                "identityVerified": false,
                "checks": {"name": "PASSED", "address": "PASSED", "document": "FAILED",
                           "age": "FAILED", "watchlist": "PASSED"},
                "reasons": ["DOCUMENT_EXPIRED", "UNDERAGE"]
            })
        );
    }

    #[test]
    fn implausible_name_and_address_fail_their_checks() {
        let r = handle(
            &json!({"applicationId": "a", "application": {"customerName": "R2D2", "customerAddress": "42"}}),
            today(),
        )
        .unwrap();
        assert_eq!(r.checks.name, CheckStatus::Failed);
        assert_eq!(r.checks.address, CheckStatus::Failed);
        assert_eq!(
            r.reasons,
            vec![
                IdentityReason::NameImplausible,
                IdentityReason::AddressImplausible
            ]
        );
        assert!(!r.identity_verified);
    }

    fn invalid(payload: Value) -> Diagnostic {
        handle(&payload, today()).unwrap_err().into()
    }

    #[test]
    fn the_invalid_fixture_is_an_invalid_application() {
        let d = invalid(fixture(include_str!(
            "../../../events/lambda/identity-check-invalid.json"
        )));
        assert_eq!(d.error_type, "InvalidApplication");
        assert_eq!(d.error_message, "customerAddress is required");
    }

    #[test]
    fn every_bad_input_is_an_invalid_application_naming_the_field() {
        let base = json!({"customerName": "Nikki Wolf", "customerAddress": "123 Any Street, Any Town, USA"});
        let with = |k: &str, v: Value| {
            let mut app = base.clone();
            app[k] = v;
            json!({"applicationId": "app-1", "application": app})
        };
        let cases = [
            (
                with("customerName", json!("")),
                "customerName must not be empty",
            ),
            (
                with("customerName", json!("N".repeat(200))),
                "customerName is too long: 200 characters, at most 128 allowed",
            ),
            (
                with("customerAddress", Value::Null),
                "customerAddress is required",
            ),
            (
                with(
                    "document",
                    json!({"type": "library_card", "number": "X1234567", "expiry": "2030-01-01"}),
                ),
                "document.type is not a known document type (expected passport, national_id or driving_licence)",
            ),
            (
                with("dateOfBirth", json!("31/12/1990")),
                "dateOfBirth is not a valid date (expected YYYY-MM-DD)",
            ),
            (
                with(
                    "document",
                    json!({"type": "passport", "number": "X1234567", "expiry": "2030-02-30"}),
                ),
                "document.expiry is not a valid date (expected YYYY-MM-DD)",
            ),
            (
                json!({"applicationId": "app-1", "application": "Nikki Wolf"}),
                "application must be a JSON object, found a string",
            ),
            (
                json!(["not", "an", "object"]),
                "input must be a JSON object, found an array",
            ),
            (json!({"applicationId": "app-1"}), "application is required"),
        ];
        for (payload, message) in cases {
            let d = invalid(payload);
            assert_eq!(d.error_type, "InvalidApplication", "{message}");
            assert_eq!(d.error_message, message);
            assert!(!d.error_message.contains("Nikki"));
        }
    }
}
