//! The **New account requested** detail and its validation.
//!
//! The accounts system puts it on the bus; the original sample's applicants
//! carry only `customerName` and `customerAddress`. Validation turns a raw
//! JSON detail into a [`NewAccountRequested`] or an [`ApplicationError`]
//! whose message names the field and the problem, never the value (the
//! value is personal data). Plausibility (is this a real-looking name?) is
//! the identity check's job, not validation's: validation only rejects what
//! cannot be processed at all.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::mask;

/// Longest accepted `customerName`, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// Longest accepted `customerAddress`, in characters.
pub const MAX_ADDRESS_CHARS: usize = 256;
/// Longest accepted `applicationId`, in characters.
pub const MAX_APPLICATION_ID_CHARS: usize = 128;
/// Longest accepted `email` (RFC 5321 path limit), in characters.
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest accepted `document.number`, in characters (the per-type format
/// is checked by the identity check).
pub const MAX_DOCUMENT_NUMBER_CHARS: usize = 32;

/// Why an application (or a function input) cannot be processed.
///
/// Messages name the field and the problem, never the value. The Lambdas
/// turn every variant into the error type `InvalidApplication`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    #[error("{field} must be a JSON object, found {found}")]
    NotAnObject {
        field: &'static str,
        found: &'static str,
    },
    #[error("{field} is required")]
    Missing { field: &'static str },
    #[error("{field} must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is too long: {len} characters, at most {max} allowed")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error(
        "{field} is not a known document type (expected passport, national_id or driving_licence)"
    )]
    UnknownDocumentType { field: &'static str },
    #[error("{field} is not a valid date (expected YYYY-MM-DD)")]
    MalformedDate { field: &'static str },
    #[error("{field} {problem}")]
    Invalid {
        field: &'static str,
        problem: &'static str,
    },
}

impl ApplicationError {
    /// The JSON field the error is about (`document.expiry`, ...).
    pub fn field(&self) -> &'static str {
        match self {
            ApplicationError::NotAnObject { field, .. }
            | ApplicationError::Missing { field }
            | ApplicationError::WrongType { field, .. }
            | ApplicationError::Empty { field }
            | ApplicationError::TooLong { field, .. }
            | ApplicationError::UnknownDocumentType { field }
            | ApplicationError::MalformedDate { field }
            | ApplicationError::Invalid { field, .. } => field,
        }
    }
}

/// Kinds of identity document the identity check knows how to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    Passport,
    NationalId,
    /// Accepted on input as `driving_licence` or `driving_license`.
    #[serde(alias = "driving_license")]
    DrivingLicence,
}

crate::stable_names!(DocumentType {
    Passport => "passport",
    NationalId => "national_id",
    DrivingLicence => "driving_licence",
});

impl DocumentType {
    /// Lenient parse for input: trimmed, case-insensitive, `-` or `_`,
    /// and the US spelling `driving_license`.
    pub fn parse_lenient(s: &str) -> Option<Self> {
        let normalized = s.trim().to_ascii_lowercase().replace('-', "_");
        match normalized.as_str() {
            "passport" => Some(DocumentType::Passport),
            "national_id" => Some(DocumentType::NationalId),
            "driving_licence" | "driving_license" => Some(DocumentType::DrivingLicence),
            _ => None,
        }
    }
}

/// An identity document as given by the applicant.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityDocument {
    #[serde(rename = "type")]
    pub document_type: DocumentType,
    /// As given, trimmed. Its per-type format is checked by the identity check.
    pub number: String,
    pub expiry: NaiveDate,
}

impl fmt::Debug for IdentityDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityDocument")
            .field("document_type", &self.document_type)
            .field("number", &mask::mask_document_number(&self.number))
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// A validated **New account requested** detail.
///
/// Build it with [`NewAccountRequested::from_value`] (or serde, which goes
/// through the same validation). Strings are trimmed; optional fields that
/// are absent or `null` are `None`; unknown fields are ignored, as
/// EventBridge consumers should.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "Value")]
pub struct NewAccountRequested {
    pub customer_name: String,
    pub customer_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<IdentityDocument>,
}

impl NewAccountRequested {
    /// Validates a raw detail. See [`ApplicationError`] for what is rejected.
    pub fn from_value(value: &Value) -> Result<Self, ApplicationError> {
        Self::from_value_at(value, "application")
    }

    /// As [`from_value`](Self::from_value), naming the detail `field` in
    /// errors about the detail as a whole.
    pub fn from_value_at(value: &Value, field: &'static str) -> Result<Self, ApplicationError> {
        let obj = as_object(value, field)?;
        let customer_name = required_text(obj, "customerName", MAX_NAME_CHARS)?;
        let customer_address = required_text(obj, "customerAddress", MAX_ADDRESS_CHARS)?;
        let application_id = optional_text(obj, "applicationId", MAX_APPLICATION_ID_CHARS)?;
        if let Some(id) = &application_id {
            check_application_id(id, "applicationId")?;
        }
        let date_of_birth = match optional_str(obj, "dateOfBirth")? {
            Some(s) => Some(parse_date(s, "dateOfBirth")?),
            None => None,
        };
        let email = match optional_text(obj, "email", MAX_EMAIL_CHARS)? {
            Some(e) if is_plausible_email(&e) => Some(e),
            Some(_) => {
                return Err(ApplicationError::Invalid {
                    field: "email",
                    problem: "is not a valid e-mail address",
                });
            }
            None => None,
        };
        let nationality = match optional_text(obj, "nationality", 2)? {
            Some(n) if n.len() == 2 && n.bytes().all(|b| b.is_ascii_alphabetic()) => {
                Some(n.to_ascii_uppercase())
            }
            Some(_) => {
                return Err(ApplicationError::Invalid {
                    field: "nationality",
                    problem: "must be an ISO 3166-1 alpha-2 country code",
                });
            }
            None => None,
        };
        let document = match obj.get("document") {
            None | Some(Value::Null) => None,
            Some(doc) => Some(parse_document(doc)?),
        };
        Ok(NewAccountRequested {
            customer_name,
            customer_address,
            application_id,
            date_of_birth,
            email,
            nationality,
            document,
        })
    }
}

impl TryFrom<Value> for NewAccountRequested {
    type Error = ApplicationError;
    fn try_from(value: Value) -> Result<Self, Self::Error> {
        Self::from_value(&value)
    }
}

impl fmt::Debug for NewAccountRequested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccountRequested")
            .field("customer_name", &mask::mask_name(&self.customer_name))
            .field(
                "customer_address",
                &mask::mask_address(&self.customer_address),
            )
            .field("application_id", &self.application_id)
            .field(
                "date_of_birth",
                &self.date_of_birth.map(mask::mask_date_of_birth),
            )
            .field("email", &self.email.as_deref().map(mask::mask_email))
            .field("nationality", &self.nationality)
            .field("document", &self.document)
            .finish()
    }
}

impl fmt::Display for NewAccountRequested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "application {} for {}",
            self.application_id.as_deref().unwrap_or("(no id)"),
            mask::mask_name(&self.customer_name)
        )
    }
}

/// The JSON type name of a value, for error messages.
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `value` as an object, or [`ApplicationError::NotAnObject`].
pub fn as_object<'a>(
    value: &'a Value,
    field: &'static str,
) -> Result<&'a Map<String, Value>, ApplicationError> {
    value.as_object().ok_or(ApplicationError::NotAnObject {
        field,
        found: json_type_name(value),
    })
}

/// Checks an application id: printable, no control characters. Ids travel
/// in events and logs, so they must not be able to forge log lines.
pub fn check_application_id(id: &str, field: &'static str) -> Result<(), ApplicationError> {
    if id.chars().any(char::is_control) {
        return Err(ApplicationError::Invalid {
            field,
            problem: "must not contain control characters",
        });
    }
    Ok(())
}

fn optional_str<'a>(
    obj: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, ApplicationError> {
    match obj.get(field.rsplit('.').next().unwrap_or(field)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ApplicationError::WrongType {
            field,
            expected: "a string",
        }),
    }
}

/// An optional string field, trimmed; empty after trimming is an error
/// (an empty optional field is a sender bug worth reporting, not absence).
pub(crate) fn optional_text(
    obj: &Map<String, Value>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, ApplicationError> {
    match optional_str(obj, field)? {
        None => Ok(None),
        Some(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Err(ApplicationError::Empty { field });
            }
            let len = s.chars().count();
            if len > max {
                return Err(ApplicationError::TooLong { field, len, max });
            }
            Ok(Some(s.to_string()))
        }
    }
}

pub(crate) fn required_text(
    obj: &Map<String, Value>,
    field: &'static str,
    max: usize,
) -> Result<String, ApplicationError> {
    optional_text(obj, field, max)?.ok_or(ApplicationError::Missing { field })
}

/// Parses a strict ISO 8601 calendar date `YYYY-MM-DD` (no time, no
/// single-digit month or day), rejecting impossible dates (`2023-02-30`).
pub fn parse_date(s: &str, field: &'static str) -> Result<NaiveDate, ApplicationError> {
    let b = s.trim().as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(ApplicationError::MalformedDate { field });
    }
    let num = |r: std::ops::Range<usize>| -> u32 {
        b[r].iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let year = i32::try_from(num(0..4)).map_err(|_| ApplicationError::MalformedDate { field })?;
    NaiveDate::from_ymd_opt(year, num(5..7), num(8..10))
        .ok_or(ApplicationError::MalformedDate { field })
}

fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn parse_document(value: &Value) -> Result<IdentityDocument, ApplicationError> {
    let obj = as_object(value, "document")?;
    let document_type = match optional_str(obj, "document.type")? {
        None => {
            return Err(ApplicationError::Missing {
                field: "document.type",
            });
        }
        Some(t) => DocumentType::parse_lenient(t).ok_or(ApplicationError::UnknownDocumentType {
            field: "document.type",
        })?,
    };
    let number = required_text(obj, "document.number", MAX_DOCUMENT_NUMBER_CHARS)?;
    let expiry = match optional_str(obj, "document.expiry")? {
        None => {
            return Err(ApplicationError::Missing {
                field: "document.expiry",
            });
        }
        Some(s) => parse_date(s, "document.expiry")?,
    };
    Ok(IdentityDocument {
        document_type,
        number,
        expiry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn full() -> Value {
        json!({
            "applicationId": "app-1001",
            "customerName": "  Nikki Wolf ",
            "customerAddress": "123 Any Street, Any Town, USA",
            "dateOfBirth": "1990-04-12",
            "email": "nikki.wolf@example.com",
            "nationality": "us",
            "document": {"type": "Passport", "number": "X12345678", "expiry": "2031-05-31"},
            "somethingElse": true
        })
    }

    fn err(v: Value) -> ApplicationError {
        NewAccountRequested::from_value(&v).unwrap_err()
    }

    #[test]
    fn the_original_samples_applicants_are_valid() {
        let raw = include_str!("../../events/lambda/new-account-requested-detail.json");
        let v: Value = serde_json::from_str(raw).unwrap();
        let app = NewAccountRequested::from_value(&v).unwrap();
        assert_eq!(app.customer_name, "Nikki Wolf");
        assert_eq!(app.customer_address, "123 Any Street, Any Town, USA");
        assert_eq!(app.application_id, None);
        assert_eq!(app.document, None);
        assert_eq!(app.date_of_birth, None);
    }

    #[test]
    fn a_full_application_is_normalized() {
        let app = NewAccountRequested::from_value(&full()).unwrap();
        assert_eq!(app.customer_name, "Nikki Wolf");
        assert_eq!(app.nationality.as_deref(), Some("US"));
        assert_eq!(
            app.date_of_birth,
            Some(NaiveDate::from_ymd_opt(1990, 4, 12).unwrap())
        );
        let doc = app.document.unwrap();
        assert_eq!(doc.document_type, DocumentType::Passport);
        assert_eq!(doc.number, "X12345678");
        assert_eq!(doc.expiry, NaiveDate::from_ymd_opt(2031, 5, 31).unwrap());
    }

    #[test]
    fn round_trips_through_serde_in_camel_case() {
        let app = NewAccountRequested::from_value(&full()).unwrap();
        let out = serde_json::to_value(&app).unwrap();
        assert_eq!(
            out,
            json!({
                "customerName": "Nikki Wolf",
                "customerAddress": "123 Any Street, Any Town, USA",
                "applicationId": "app-1001",
                "dateOfBirth": "1990-04-12",
                "email": "nikki.wolf@example.com",
                "nationality": "US",
                "document": {"type": "passport", "number": "X12345678", "expiry": "2031-05-31"}
            })
        );
        let back: NewAccountRequested = serde_json::from_value(out).unwrap();
        assert_eq!(back, app);
    }

    #[test]
    fn serde_deserialization_validates_too() {
        let e = serde_json::from_value::<NewAccountRequested>(json!({"customerName": "A B"}))
            .unwrap_err();
        assert_eq!(e.to_string(), "customerAddress is required");
    }

    #[test]
    fn empty_and_oversized_names_are_rejected() {
        let mut v = full();
        v["customerName"] = json!("   ");
        assert_eq!(
            err(v.clone()),
            ApplicationError::Empty {
                field: "customerName"
            }
        );
        assert_eq!(err(v).to_string(), "customerName must not be empty");
        let mut v = full();
        v["customerName"] = json!("é".repeat(129));
        let e = err(v);
        assert_eq!(
            e,
            ApplicationError::TooLong {
                field: "customerName",
                len: 129,
                max: 128
            }
        );
        assert_eq!(
            e.to_string(),
            "customerName is too long: 129 characters, at most 128 allowed"
        );
        let mut v = full();
        v["customerName"] = json!("é".repeat(128));
        assert!(NewAccountRequested::from_value(&v).is_ok());
    }

    #[test]
    fn missing_or_mistyped_required_fields_are_rejected() {
        let mut v = full();
        v.as_object_mut().unwrap().remove("customerAddress");
        assert_eq!(err(v).to_string(), "customerAddress is required");
        let mut v = full();
        v["customerAddress"] = Value::Null;
        assert_eq!(err(v).to_string(), "customerAddress is required");
        let mut v = full();
        v["customerName"] = json!(42);
        assert_eq!(err(v).to_string(), "customerName must be a string");
        let mut v = full();
        v["customerAddress"] = json!("x".repeat(257));
        assert_eq!(
            err(v).to_string(),
            "customerAddress is too long: 257 characters, at most 256 allowed"
        );
    }

    #[test]
    fn non_object_details_are_rejected() {
        assert_eq!(
            err(json!("Nikki Wolf")).to_string(),
            "application must be a JSON object, found a string"
        );
        assert_eq!(
            err(json!([1])),
            ApplicationError::NotAnObject {
                field: "application",
                found: "an array"
            }
        );
        assert_eq!(
            err(Value::Null).to_string(),
            "application must be a JSON object, found null"
        );
        let mut v = full();
        v["document"] = json!("X12345678");
        assert_eq!(
            err(v).to_string(),
            "document must be a JSON object, found a string"
        );
    }

    #[test]
    fn document_types_are_checked() {
        let mut v = full();
        v["document"]["type"] = json!("library_card");
        let e = err(v);
        assert_eq!(
            e,
            ApplicationError::UnknownDocumentType {
                field: "document.type"
            }
        );
        assert_eq!(
            e.to_string(),
            "document.type is not a known document type (expected passport, national_id or driving_licence)"
        );
        for (given, expected) in [
            ("passport", DocumentType::Passport),
            ("NATIONAL-ID", DocumentType::NationalId),
            ("driving_license", DocumentType::DrivingLicence),
            (" driving_licence ", DocumentType::DrivingLicence),
        ] {
            let mut v = full();
            v["document"]["type"] = json!(given);
            let app = NewAccountRequested::from_value(&v).unwrap();
            assert_eq!(app.document.unwrap().document_type, expected, "{given}");
        }
        let mut v = full();
        v["document"].as_object_mut().unwrap().remove("type");
        assert_eq!(err(v).to_string(), "document.type is required");
        let mut v = full();
        v["document"].as_object_mut().unwrap().remove("expiry");
        assert_eq!(err(v).to_string(), "document.expiry is required");
        let mut v = full();
        v["document"]["number"] = json!("");
        assert_eq!(err(v).to_string(), "document.number must not be empty");
        let mut v = full();
        v["document"]["number"] = json!(12345678);
        assert_eq!(err(v).to_string(), "document.number must be a string");
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for bad in [
            "12/04/1990",
            "1990-4-12",
            "1990-02-30",
            "1990-13-01",
            "1990-04-12T00:00:00Z",
            "",
            "19900412",
            "１９９０-04-12",
        ] {
            let mut v = full();
            v["dateOfBirth"] = json!(bad);
            assert_eq!(
                err(v),
                ApplicationError::MalformedDate {
                    field: "dateOfBirth"
                },
                "{bad}"
            );
            let mut v = full();
            v["document"]["expiry"] = json!(bad);
            assert_eq!(
                err(v).to_string(),
                "document.expiry is not a valid date (expected YYYY-MM-DD)",
                "{bad}"
            );
        }
        let mut v = full();
        v["dateOfBirth"] = json!("2000-02-29");
        assert!(NewAccountRequested::from_value(&v).is_ok());
    }

    #[test]
    fn optional_fields_are_checked_when_present() {
        let mut v = full();
        v["email"] = json!("not-an-email");
        assert_eq!(err(v).to_string(), "email is not a valid e-mail address");
        let mut v = full();
        v["nationality"] = json!("USA");
        assert_eq!(
            err(v).to_string(),
            "nationality is too long: 3 characters, at most 2 allowed"
        );
        let mut v = full();
        v["nationality"] = json!("1A");
        assert_eq!(
            err(v).to_string(),
            "nationality must be an ISO 3166-1 alpha-2 country code"
        );
        let mut v = full();
        v["applicationId"] = json!("app\n1");
        assert_eq!(
            err(v).to_string(),
            "applicationId must not contain control characters"
        );
        let mut v = full();
        for k in [
            "applicationId",
            "dateOfBirth",
            "email",
            "nationality",
            "document",
        ] {
            v[k] = Value::Null;
        }
        let app = NewAccountRequested::from_value(&v).unwrap();
        assert_eq!(app.email, None);
        assert_eq!(app.document, None);
    }

    #[test]
    fn error_messages_never_contain_the_value() {
        let mut v = full();
        v["dateOfBirth"] = json!("1990-02-30");
        v["customerName"] = json!("Secretname Person");
        let msg = err(v).to_string();
        assert!(!msg.contains("1990"), "{msg}");
        let mut v = full();
        v["document"]["type"] = json!("Secretname");
        assert!(!err(v).to_string().contains("Secretname"));
    }

    #[test]
    fn debug_and_display_mask_personal_data() {
        let app = NewAccountRequested::from_value(&full()).unwrap();
        let debug = format!("{app:?}");
        let display = app.to_string();
        for secret in [
            "Nikki",
            "Wolf",
            "Any Street",
            "1990",
            "04-12",
            "nikki.wolf",
            "X12345678",
            "123456",
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
            assert!(!display.contains(secret), "{secret} in {display}");
        }
        assert_eq!(display, "application app-1001 for N*** W***");
        assert!(debug.contains("N*** W***"), "{debug}");
        assert!(debug.contains("***78"), "{debug}");
        assert!(debug.contains("n***@example.com"), "{debug}");
        assert!(debug.contains("****-**-**"), "{debug}");
    }
}
