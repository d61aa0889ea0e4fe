//! The individual checks. Each is a pure function of the validated
//! application and "today", returning a status and the reasons it failed.
//!
//! | check | PASSED when | FAILED reasons |
//! |---|---|---|
//! | name | at least 2 letters; only letters, spaces, `-`, `'`, `’`, `.`; no letter 4 times in a row | `NAME_IMPLAUSIBLE` |
//! | address | at least 2 words, at least 3 letters, no control characters | `ADDRESS_IMPLAUSIBLE` |
//! | document | number matches its type's format (below) and expiry ≥ today | `DOCUMENT_NUMBER_INVALID`, `DOCUMENT_EXPIRED` |
//! | age | 18 ≤ age ≤ 120 on today's date | `UNDERAGE`, `DATE_OF_BIRTH_IMPLAUSIBLE` |
//! | watchlist | the name is not on the watchlist | `WATCHLIST_MATCH` |
//!
//! Document number formats (spaces removed, upper-cased, at least one digit,
//! not one character repeated):
//! passport 6–9 of `A-Z0-9` (ICAO 9303 document number field);
//! national_id 5–18 of `A-Z0-9-`; driving_licence 5–20 of `A-Z0-9-`.

use chrono::{Datelike, NaiveDate};
use kyc_shared::{CheckStatus, DocumentType, IdentityDocument, IdentityReason};
use unicode_normalization::char::is_combining_mark;

/// Age of majority required to open an account.
pub const AGE_OF_MAJORITY: i32 = 18;
/// Oldest plausible applicant.
pub const MAX_PLAUSIBLE_AGE: i32 = 120;

/// Outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub status: CheckStatus,
    pub reasons: Vec<IdentityReason>,
}

impl CheckOutcome {
    fn passed() -> Self {
        CheckOutcome {
            status: CheckStatus::Passed,
            reasons: Vec::new(),
        }
    }
    fn not_provided() -> Self {
        CheckOutcome {
            status: CheckStatus::NotProvided,
            reasons: Vec::new(),
        }
    }
    fn from_reasons(reasons: Vec<IdentityReason>) -> Self {
        if reasons.is_empty() {
            Self::passed()
        } else {
            CheckOutcome {
                status: CheckStatus::Failed,
                reasons,
            }
        }
    }
    fn pass_if(ok: bool, reason: IdentityReason) -> Self {
        Self::from_reasons(if ok { Vec::new() } else { vec![reason] })
    }
}

/// Name plausibility.
pub fn check_name(name: &str) -> CheckOutcome {
    // Combining marks are allowed so a name sent decomposed (e + U+0301)
    // is as plausible as its composed form. (Checking marks instead of
    // composing to NFC keeps the composition tables out of the binary.)
    let allowed = |c: char| {
        c.is_alphabetic() || is_combining_mark(c) || matches!(c, ' ' | '-' | '\'' | '’' | '.')
    };
    let letters = name.chars().filter(|c| c.is_alphabetic()).count();
    CheckOutcome::pass_if(
        letters >= 2 && name.chars().all(allowed) && !has_run_of(name, 4),
        IdentityReason::NameImplausible,
    )
}

/// Address plausibility.
pub fn check_address(address: &str) -> CheckOutcome {
    let words = address
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .count();
    let letters = address.chars().filter(|c| c.is_alphabetic()).count();
    CheckOutcome::pass_if(
        words >= 2 && letters >= 3 && !address.chars().any(char::is_control),
        IdentityReason::AddressImplausible,
    )
}

/// Document format and expiry. An expiry date equal to today is still valid
/// (documents are valid through their expiry date).
pub fn check_document(document: Option<&IdentityDocument>, today: NaiveDate) -> CheckOutcome {
    let Some(doc) = document else {
        return CheckOutcome::not_provided();
    };
    let mut reasons = Vec::new();
    if !document_number_is_valid(doc.document_type, &doc.number) {
        reasons.push(IdentityReason::DocumentNumberInvalid);
    }
    if doc.expiry < today {
        reasons.push(IdentityReason::DocumentExpired);
    }
    CheckOutcome::from_reasons(reasons)
}

/// Per-type document number format (see the module table).
pub fn document_number_is_valid(document_type: DocumentType, number: &str) -> bool {
    let normalized: String = number
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let (min, max, hyphen) = match document_type {
        DocumentType::Passport => (6, 9, false),
        DocumentType::NationalId => (5, 18, true),
        DocumentType::DrivingLicence => (5, 20, true),
    };
    let len = normalized.chars().count();
    let charset_ok = normalized
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || (hyphen && c == '-'));
    let first = normalized.chars().next();
    (min..=max).contains(&len)
        && charset_ok
        && normalized.chars().any(|c| c.is_ascii_digit())
        && !normalized.starts_with('-')
        && !normalized.ends_with('-')
        && !normalized.chars().all(|c| Some(c) == first)
}

/// Age of majority and date-of-birth plausibility.
pub fn check_age(date_of_birth: Option<NaiveDate>, today: NaiveDate) -> CheckOutcome {
    let Some(dob) = date_of_birth else {
        return CheckOutcome::not_provided();
    };
    if dob > today {
        return CheckOutcome::from_reasons(vec![IdentityReason::DateOfBirthImplausible]);
    }
    let age = age_on(dob, today);
    if age > MAX_PLAUSIBLE_AGE {
        CheckOutcome::from_reasons(vec![IdentityReason::DateOfBirthImplausible])
    } else {
        CheckOutcome::pass_if(age >= AGE_OF_MAJORITY, IdentityReason::Underage)
    }
}

/// Completed years between `dob` and `today`. Someone born on 29 February
/// has their birthday on 1 March in common years (the day after 28 February).
pub fn age_on(dob: NaiveDate, today: NaiveDate) -> i32 {
    let had_birthday = (today.month(), today.day()) >= (dob.month(), dob.day());
    today.year() - dob.year() - if had_birthday { 0 } else { 1 }
}

/// Watchlist screening of the name.
pub fn check_watchlist(name: &str) -> CheckOutcome {
    CheckOutcome::pass_if(
        !crate::watchlist::is_listed(name),
        IdentityReason::WatchlistMatch,
    )
}

fn has_run_of(s: &str, n: usize) -> bool {
    let mut run = 0;
    let mut prev: Option<char> = None;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphabetic() && Some(c) == prev {
            run += 1;
        } else {
            run = 1;
        }
        if c.is_alphabetic() && run >= n {
            return true;
        }
        prev = Some(c);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const TODAY: (i32, u32, u32) = (2026, 11, 21);
    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    #[test]
    fn plausible_names() {
        for name in [
            "Nikki Wolf",
            "Paulo Santos",
            "Seán O'Brien",
            "Anne-Marie Dupont",
            "José Álvarez",
            "Jose\u{301} A\u{301}lvarez",
            "J. R. Smith",
            "Zhāng Wěi",
            "Nguyễn Thị Minh Khai",
            "Ng",
        ] {
            assert_eq!(check_name(name).status, CheckStatus::Passed, "{name}");
        }
    }

    #[test]
    fn implausible_names() {
        for name in [
            "R2D2",
            "x",
            "Nikki Wolf!",
            "robert@example.com",
            "Aaaa Smith",
            "--",
            "Nikki\tWolf",
            "🙂 Smile",
        ] {
            assert_eq!(
                check_name(name),
                CheckOutcome {
                    status: CheckStatus::Failed,
                    reasons: vec![IdentityReason::NameImplausible]
                },
                "{name}"
            );
        }
    }

    #[test]
    fn addresses() {
        for ok in [
            "123 Any Street, Any Town, USA",
            "100 Main Street, Anytown, USA",
            "Rosebank Cottage,Kent",
        ] {
            assert_eq!(check_address(ok).status, CheckStatus::Passed, "{ok}");
        }
        for bad in ["123", "12 34", "Main", "!!! ???", "1 Main\u{7}Street"] {
            assert_eq!(
                check_address(bad).reasons,
                vec![IdentityReason::AddressImplausible],
                "{bad}"
            );
        }
    }

    #[test]
    fn document_number_formats() {
        use DocumentType::*;
        let valid = [
            (Passport, "X1234567"),
            (Passport, "123456789"),
            (Passport, "c03005988"),
            (Passport, "X12 345 67"),
            (NationalId, "12345"),
            (NationalId, "AB-123456-C"),
            (DrivingLicence, "WOLF9804129NK9AB"),
            (DrivingLicence, "D123-4567-8901"),
        ];
        for (t, n) in valid {
            assert!(document_number_is_valid(t, n), "{t} {n}");
        }
        let invalid = [
            (Passport, "X1234"),       // too short
            (Passport, "X1234567890"), // too long
            (Passport, "X123-4567"),   // hyphen not allowed in passports
            (Passport, "ABCDEFGH"),    // no digit
            (Passport, "000000000"),   // placeholder
            (NationalId, "-12345"),
            (NationalId, "12345678901234567890"),
            (DrivingLicence, "12_345"),
            (DrivingLicence, "ÄB12345"),
        ];
        for (t, n) in invalid {
            assert!(!document_number_is_valid(t, n), "{t} {n}");
        }
    }

    #[test]
    fn document_expiry_and_format_together() {
        let doc = |number: &str, expiry| IdentityDocument {
            document_type: DocumentType::Passport,
            number: number.into(),
            expiry,
        };
        assert_eq!(
            check_document(None, today()).status,
            CheckStatus::NotProvided
        );
        assert_eq!(
            check_document(Some(&doc("X1234567", today())), today()).status,
            CheckStatus::Passed
        );
        assert_eq!(
            check_document(Some(&doc("X1234567", d(2026, 11, 20))), today()).reasons,
            vec![IdentityReason::DocumentExpired]
        );
        assert_eq!(
            check_document(Some(&doc("??", d(2020, 1, 1))), today()).reasons,
            vec![
                IdentityReason::DocumentNumberInvalid,
                IdentityReason::DocumentExpired
            ]
        );
    }

    #[test]
    fn age_of_majority() {
        assert_eq!(check_age(None, today()).status, CheckStatus::NotProvided);
        // 18 today: passes; 18 tomorrow: underage.
        assert_eq!(
            check_age(Some(d(2008, 11, 21)), today()).status,
            CheckStatus::Passed
        );
        assert_eq!(
            check_age(Some(d(2008, 11, 22)), today()).reasons,
            vec![IdentityReason::Underage]
        );
        assert_eq!(
            check_age(Some(d(2026, 11, 22)), today()).reasons,
            vec![IdentityReason::DateOfBirthImplausible]
        );
        assert_eq!(
            check_age(Some(d(1900, 1, 1)), today()).reasons,
            vec![IdentityReason::DateOfBirthImplausible]
        );
        assert_eq!(
            check_age(Some(d(1906, 11, 21)), today()).status,
            CheckStatus::Passed
        );
    }

    #[test]
    fn leap_day_birthdays() {
        let dob = d(2008, 2, 29);
        assert_eq!(age_on(dob, d(2026, 2, 28)), 17);
        assert_eq!(age_on(dob, d(2026, 3, 1)), 18);
        assert_eq!(age_on(dob, d(2028, 2, 29)), 20);
    }

    #[test]
    fn watchlist_check() {
        assert_eq!(check_watchlist("Nikki Wolf").status, CheckStatus::Passed);
        assert_eq!(
            check_watchlist("JOSE FANTASMA").reasons,
            vec![IdentityReason::WatchlistMatch]
        );
    }
}
