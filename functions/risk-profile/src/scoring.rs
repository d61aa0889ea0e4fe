//! The risk scoring table.
//!
//! Every factor that applies adds its points; the sum, capped at 100, is the
//! `riskScore`. The score's band gives the `riskLevel` and the level the
//! `decision`. `reasons` lists the factors that applied, in table order.
//!
//! | factor | applies when | points | reason |
//! |---|---|---:|---|
//! | identity not verified | the identity check has `identityVerified: false` | 100 | `IDENTITY_NOT_VERIFIED` |
//! | high-risk jurisdiction | `nationality` is KP, IR or MM (FATF "high-risk jurisdictions subject to a call for action") | 70 | `HIGH_RISK_JURISDICTION` |
//! | disposable e-mail | the `email` domain (or a parent domain) is a known disposable-mail provider | 30 | `DISPOSABLE_EMAIL` |
//! | PO box | `customerAddress` is a PO box ("PO Box", "P.O. Box", "Post Office Box") | 20 | `PO_BOX_ADDRESS` |
//! | document expiring soon | the document expires within 30 days (today ≤ expiry ≤ today + 30) | 15 | `DOCUMENT_EXPIRING_SOON` |
//! | no document | no `document` | 10 | `NO_DOCUMENT` |
//! | no date of birth | no `dateOfBirth` | 5 | `NO_DATE_OF_BIRTH` |
//!
//! | riskScore | riskLevel | decision |
//! |---|---|---|
//! | 0–29 | LOW | APPROVE |
//! | 30–69 | MEDIUM | REVIEW (manual review) |
//! | 70–100 | HIGH | DECLINE |
//!
//! The original sample's applicants (name and address only) score 15
//! (no document, no date of birth): LOW, APPROVE.

use chrono::{Days, NaiveDate};
use kyc_shared::risk::MAX_RISK_SCORE;
use kyc_shared::{NewAccountRequested, RiskLevel, RiskReason};

/// ISO 3166-1 alpha-2 codes of the FATF "high-risk jurisdictions subject to
/// a call for action" (DPRK, Iran, Myanmar). Policy data: review it when
/// the FATF updates its public statement.
pub const HIGH_RISK_JURISDICTIONS: &[&str] = &["KP", "IR", "MM"];

/// Disposable e-mail providers (a short, illustrative list).
pub const DISPOSABLE_EMAIL_DOMAINS: &[&str] = &[
    "mailinator.com",
    "guerrillamail.com",
    "10minutemail.com",
    "yopmail.com",
    "trashmail.com",
    "sharklasers.com",
    "temp-mail.org",
    "getnada.com",
    "throwawaymail.com",
    "dispostable.com",
];

/// Days before expiry from which a document counts as expiring soon.
pub const EXPIRING_SOON_DAYS: u64 = 30;

/// Points of a factor (the table above, as code).
pub const fn points(reason: RiskReason) -> u8 {
    match reason {
        RiskReason::IdentityNotVerified => 100,
        RiskReason::HighRiskJurisdiction => 70,
        RiskReason::DisposableEmail => 30,
        RiskReason::PoBoxAddress => 20,
        RiskReason::DocumentExpiringSoon => 15,
        RiskReason::NoDocument => 10,
        RiskReason::NoDateOfBirth => 5,
    }
}

/// A computed risk profile (without the application id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskScore {
    pub score: u8,
    pub level: RiskLevel,
    pub reasons: Vec<RiskReason>,
}

/// Scores an application. Pure and deterministic: the same application,
/// identity result and day always give the same score.
pub fn score(app: &NewAccountRequested, identity_verified: bool, today: NaiveDate) -> RiskScore {
    let mut reasons = Vec::new();
    if !identity_verified {
        reasons.push(RiskReason::IdentityNotVerified);
    }
    if app
        .nationality
        .as_deref()
        .is_some_and(|n| HIGH_RISK_JURISDICTIONS.contains(&n))
    {
        reasons.push(RiskReason::HighRiskJurisdiction);
    }
    if app.email.as_deref().is_some_and(is_disposable_email) {
        reasons.push(RiskReason::DisposableEmail);
    }
    if is_po_box(&app.customer_address) {
        reasons.push(RiskReason::PoBoxAddress);
    }
    match &app.document {
        Some(doc) => {
            let soon = today
                .checked_add_days(Days::new(EXPIRING_SOON_DAYS))
                .unwrap_or(NaiveDate::MAX);
            if doc.expiry >= today && doc.expiry <= soon {
                reasons.push(RiskReason::DocumentExpiringSoon);
            }
        }
        None => reasons.push(RiskReason::NoDocument),
    }
    if app.date_of_birth.is_none() {
        reasons.push(RiskReason::NoDateOfBirth);
    }
    let total: u32 = reasons.iter().map(|r| u32::from(points(*r))).sum();
    let score = u8::try_from(total.min(u32::from(MAX_RISK_SCORE))).unwrap_or(MAX_RISK_SCORE);
    RiskScore {
        score,
        level: RiskLevel::from_score(score),
        reasons,
    }
}

/// True when the domain of `email`, or one of its parent domains, is a
/// disposable-mail provider (case-insensitive).
pub fn is_disposable_email(email: &str) -> bool {
    let Some((_, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    DISPOSABLE_EMAIL_DOMAINS.iter().any(|d| {
        domain == *d
            || domain
                .strip_suffix(d)
                .is_some_and(|prefix| prefix.ends_with('.'))
    })
}

/// True when the address is a PO box: the words "po box", "p o box",
/// "pobox" or "post office box", in any case and with or without dots.
pub fn is_po_box(address: &str) -> bool {
    let lowered = address.to_lowercase();
    let words: Vec<&str> = lowered
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let patterns: [&[&str]; 4] = [
        &["po", "box"],
        &["p", "o", "box"],
        &["pobox"],
        &["post", "office", "box"],
    ];
    patterns
        .iter()
        .any(|p| words.windows(p.len()).any(|w| w == *p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn app(extra: serde_json::Value) -> NewAccountRequested {
        let mut v = json!({"customerName": "Nikki Wolf", "customerAddress": "123 Any Street, Any Town, USA"});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        NewAccountRequested::from_value(&v).unwrap()
    }

    fn complete() -> serde_json::Value {
        json!({"dateOfBirth": "1988-03-14", "email": "a@example.com", "nationality": "US",
               "document": {"type": "passport", "number": "P8812345", "expiry": "2032-06-30"}})
    }

    #[test]
    fn name_and_address_only_is_low() {
        assert_eq!(
            score(&app(json!({})), true, today()),
            RiskScore {
                score: 15,
                level: RiskLevel::Low,
                reasons: vec![RiskReason::NoDocument, RiskReason::NoDateOfBirth]
            }
        );
    }

    #[test]
    fn a_complete_clean_application_scores_zero() {
        assert_eq!(
            score(&app(complete()), true, today()),
            RiskScore {
                score: 0,
                level: RiskLevel::Low,
                reasons: vec![]
            }
        );
    }

    #[test]
    fn each_factor_adds_its_points() {
        let mut c = complete();
        c["nationality"] = json!("KP");
        assert_eq!(score(&app(c), true, today()).score, 70);
        let mut c = complete();
        c["email"] = json!("x@MAILINATOR.com");
        assert_eq!(score(&app(c), true, today()).score, 30);
        let mut c = complete();
        c["email"] = json!("x@eu.yopmail.com");
        assert_eq!(score(&app(c), true, today()).score, 30);
        let mut c = complete();
        c["email"] = json!("x@notmailinator.com");
        assert_eq!(score(&app(c), true, today()).score, 0);
        let mut c = complete();
        c["customerAddress"] = json!("P.O. Box 123, Anytown, USA");
        assert_eq!(score(&app(c), true, today()).score, 20);
        let mut c = complete();
        c["document"]["expiry"] = json!("2026-12-21");
        assert_eq!(
            score(&app(c), true, today()).reasons,
            vec![RiskReason::DocumentExpiringSoon]
        );
        let mut c = complete();
        c["document"]["expiry"] = json!("2026-12-22");
        assert_eq!(score(&app(c), true, today()).score, 0);
        assert_eq!(score(&app(complete()), false, today()).score, 100);
    }

    #[test]
    fn the_sum_is_capped_at_100_and_banded() {
        let s = score(
            &app(
                json!({"nationality": "IR", "email": "x@yopmail.com", "customerAddress": "PO Box 1, Town"}),
            ),
            false,
            today(),
        );
        assert_eq!(s.score, 100);
        assert_eq!(s.level, RiskLevel::High);
        assert_eq!(
            s.reasons,
            vec![
                RiskReason::IdentityNotVerified,
                RiskReason::HighRiskJurisdiction,
                RiskReason::DisposableEmail,
                RiskReason::PoBoxAddress,
                RiskReason::NoDocument,
                RiskReason::NoDateOfBirth
            ]
        );
    }

    #[test]
    fn po_boxes() {
        for yes in [
            "PO Box 4521, Springfield, USA",
            "p.o. box 1",
            "P O BOX 9",
            "POBox 12",
            "Post Office Box 7, Town",
        ] {
            assert!(is_po_box(yes), "{yes}");
        }
        for no in ["123 Any Street", "12 Boxwood Lane, Pottstown", "Pobox"] {
            assert_eq!(is_po_box(no), no == "Pobox", "{no}");
        }
    }
}
