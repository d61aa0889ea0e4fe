//! Identity check: input, per-check results, reasons, output.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::application::{
    ApplicationError, MAX_APPLICATION_ID_CHARS, NewAccountRequested, as_object,
    check_application_id, optional_text,
};

/// Result of one check. `NOT_PROVIDED` means the applicant gave nothing to
/// check (no document, no date of birth); it does not fail the identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckStatus {
    Passed,
    Failed,
    NotProvided,
}

crate::stable_names!(CheckStatus {
    Passed => "PASSED",
    Failed => "FAILED",
    NotProvided => "NOT_PROVIDED",
});

/// Why a check failed. Stable UPPER_SNAKE codes, published in events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdentityReason {
    NameImplausible,
    AddressImplausible,
    DocumentNumberInvalid,
    DocumentExpired,
    Underage,
    DateOfBirthImplausible,
    WatchlistMatch,
}

crate::stable_names!(IdentityReason {
    NameImplausible => "NAME_IMPLAUSIBLE",
    AddressImplausible => "ADDRESS_IMPLAUSIBLE",
    DocumentNumberInvalid => "DOCUMENT_NUMBER_INVALID",
    DocumentExpired => "DOCUMENT_EXPIRED",
    Underage => "UNDERAGE",
    DateOfBirthImplausible => "DATE_OF_BIRTH_IMPLAUSIBLE",
    WatchlistMatch => "WATCHLIST_MATCH",
});

/// The five checks of the identity check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityChecks {
    pub name: CheckStatus,
    pub address: CheckStatus,
    pub document: CheckStatus,
    pub age: CheckStatus,
    pub watchlist: CheckStatus,
}

impl IdentityChecks {
    /// True when no check failed.
    pub fn none_failed(&self) -> bool {
        [
            self.name,
            self.address,
            self.document,
            self.age,
            self.watchlist,
        ]
        .iter()
        .all(|c| *c != CheckStatus::Failed)
    }
}

/// Input of the identity-check Lambda (`Payload` of `lambda:invoke`):
/// `{"applicationId": "...", "application": {...New account requested detail...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityCheckInput {
    pub application_id: String,
    pub application: NewAccountRequested,
}

impl IdentityCheckInput {
    /// Validates a raw input: an object with an `application` object that
    /// is a valid application. `applicationId` comes from the input (the
    /// state machine falls back to the execution name), else from the
    /// application itself.
    pub fn from_value(value: &Value) -> Result<Self, ApplicationError> {
        let (application_id, application) = parse_envelope(value)?;
        Ok(IdentityCheckInput {
            application_id,
            application,
        })
    }
}

/// Parses the common `{applicationId, application}` envelope.
pub(crate) fn parse_envelope(
    value: &Value,
) -> Result<(String, NewAccountRequested), ApplicationError> {
    let obj = as_object(value, "input")?;
    let raw_application = obj.get("application").ok_or(ApplicationError::Missing {
        field: "application",
    })?;
    let application = NewAccountRequested::from_value_at(raw_application, "application")?;
    let application_id = match optional_text(obj, "applicationId", MAX_APPLICATION_ID_CHARS)? {
        Some(id) => id,
        None => application
            .application_id
            .clone()
            .ok_or(ApplicationError::Missing {
                field: "applicationId",
            })?,
    };
    check_application_id(&application_id, "applicationId")?;
    Ok((application_id, application))
}

/// Output of the identity-check Lambda; also the detail of **Identity check
/// completed** ([`IdentityCheckCompleted`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityCheckResult {
    pub application_id: String,
    /// True when no check FAILED.
    pub identity_verified: bool,
    pub checks: IdentityChecks,
    /// One code per failure, in check order; empty when verified.
    pub reasons: Vec<IdentityReason>,
}

/// Detail of **Identity check completed**: the state machine publishes the
/// identity check's output as is.
pub type IdentityCheckCompleted = IdentityCheckResult;

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn result_serializes_as_in_the_contract() {
        let r = IdentityCheckResult {
            application_id: "app-123".into(),
            identity_verified: false,
            checks: IdentityChecks {
                name: CheckStatus::Passed,
                address: CheckStatus::Passed,
                document: CheckStatus::NotProvided,
                age: CheckStatus::Failed,
                watchlist: CheckStatus::Passed,
            },
            reasons: vec![IdentityReason::Underage],
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            json!({
                "applicationId": "app-123",
                "identityVerified": false,
                "checks": {"name": "PASSED", "address": "PASSED", "document": "NOT_PROVIDED",
                           "age": "FAILED", "watchlist": "PASSED"},
                "reasons": ["UNDERAGE"]
            })
        );
        let back: IdentityCheckCompleted = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
        assert!(!r.checks.none_failed());
    }

    #[test]
    fn reason_names_are_stable() {
        let names: Vec<String> = IdentityReason::ALL
            .iter()
            .map(|r| {
                serde_json::to_value(r)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let as_str: Vec<&str> = IdentityReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(names, as_str);
        assert_eq!(
            as_str,
            [
                "NAME_IMPLAUSIBLE",
                "ADDRESS_IMPLAUSIBLE",
                "DOCUMENT_NUMBER_INVALID",
                "DOCUMENT_EXPIRED",
                "UNDERAGE",
                "DATE_OF_BIRTH_IMPLAUSIBLE",
                "WATCHLIST_MATCH"
            ]
        );
    }

    #[test]
    fn input_takes_the_id_from_the_input_then_the_application() {
        let i = IdentityCheckInput::from_value(&json!({
            "applicationId": "exec-1",
            "application": {"customerName": "A B", "customerAddress": "1 Main St", "applicationId": "app-9"}
        }))
        .unwrap();
        assert_eq!(i.application_id, "exec-1");
        let i = IdentityCheckInput::from_value(&json!({
            "application": {"customerName": "A B", "customerAddress": "1 Main St", "applicationId": "app-9"}
        }))
        .unwrap();
        assert_eq!(i.application_id, "app-9");
        let e = IdentityCheckInput::from_value(&json!({
            "application": {"customerName": "A B", "customerAddress": "1 Main St"}
        }))
        .unwrap_err();
        assert_eq!(e.to_string(), "applicationId is required");
    }

    #[test]
    fn input_debug_masks_the_application() {
        let i = IdentityCheckInput::from_value(&json!({
            "applicationId": "app-1",
            "application": {"customerName": "Nikki Wolf", "customerAddress": "123 Any Street",
                            "dateOfBirth": "1990-04-12",
                            "document": {"type": "passport", "number": "X12345678", "expiry": "2031-05-31"}}
        }))
        .unwrap();
        let debug = format!("{i:?}");
        for secret in ["Nikki", "Wolf", "Any Street", "1990-04-12", "X12345678"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("app-1"));
    }

    #[test]
    fn input_envelope_errors() {
        assert_eq!(
            IdentityCheckInput::from_value(&json!([]))
                .unwrap_err()
                .to_string(),
            "input must be a JSON object, found an array"
        );
        assert_eq!(
            IdentityCheckInput::from_value(&json!({"applicationId": "a"}))
                .unwrap_err()
                .to_string(),
            "application is required"
        );
        assert_eq!(
            IdentityCheckInput::from_value(&json!({"applicationId": "a", "application": "x"}))
                .unwrap_err()
                .to_string(),
            "application must be a JSON object, found a string"
        );
        assert_eq!(
            IdentityCheckInput::from_value(&json!({"applicationId": 7, "application": {}}))
                .unwrap_err()
                .to_string(),
            "customerName is required"
        );
    }
}
