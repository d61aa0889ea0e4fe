//! Masking of personal data for logs, error messages and `Debug`.
//!
//! DESIGN.md: "no document numbers, no dates of birth in events or logs".
//! These helpers keep just enough to correlate a log line with a case
//! (an initial, the last two characters of a document number) and never
//! the whole value. They are total: any input, including empty strings and
//! multi-byte text, gives a masked string.

/// What replaces the hidden part of a value.
pub const MASK: &str = "***";

/// Masks a person's name (or any free text made of words) to the initial
/// of each word: `"Nikki Wolf"` → `"N*** W***"`.
pub fn mask_name(name: &str) -> String {
    let words: Vec<String> = name
        .split_whitespace()
        .map(|w| {
            let initial: String = w.chars().take(1).collect();
            format!("{initial}{MASK}")
        })
        .collect();
    if words.is_empty() {
        String::new()
    } else {
        words.join(" ")
    }
}

/// Masks an address to its word count: addresses are personal data and
/// even initials say little, so nothing of the text is kept.
pub fn mask_address(address: &str) -> String {
    format!("{MASK}({} words)", address.split_whitespace().count())
}

/// Masks a document number to its last two characters, and only when it is
/// long enough (8+) that two characters cannot identify it:
/// `"X12345678"` → `"***78"`, `"AB12"` → `"***"`.
pub fn mask_document_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() >= 8 {
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("{MASK}{tail}")
    } else {
        MASK.to_string()
    }
}

/// Masks a date of birth completely (even the year narrows a person down).
pub fn mask_date_of_birth<T>(_date: T) -> &'static str {
    "****-**-**"
}

/// Masks an e-mail address to the local part's initial and the domain:
/// `"nikki@example.com"` → `"n***@example.com"`. The domain stays because
/// risk decisions (disposable domains) depend on it.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let initial: String = local.chars().take(1).collect();
            format!("{initial}{MASK}@{domain}")
        }
        None => MASK.to_string(),
    }
}

/// Masks a secret such as a Step Functions task token (anyone holding it
/// can complete the task) to its length.
pub fn mask_secret(secret: &str) -> String {
    format!("{MASK}({} chars)", secret.chars().count())
}

/// Masks free text (a reviewer's comment) to its length.
pub fn mask_free_text(text: &str) -> String {
    format!("{MASK}({} chars)", text.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_initials_only() {
        assert_eq!(mask_name("Nikki Wolf"), "N*** W***");
        assert_eq!(mask_name("  Émile   Faussaire-Noir "), "É*** F***");
        assert_eq!(mask_name("Cher"), "C***");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_name("   "), "");
    }

    #[test]
    fn addresses_keep_nothing_but_the_word_count() {
        assert_eq!(
            mask_address("123 Any Street, Any Town, USA"),
            "***(6 words)"
        );
        assert_eq!(mask_address(""), "***(0 words)");
    }

    #[test]
    fn document_numbers_keep_two_characters_when_long() {
        assert_eq!(mask_document_number("X12345678"), "***78");
        assert_eq!(mask_document_number("12345678"), "***78");
        assert_eq!(mask_document_number("1234567"), "***");
        assert_eq!(mask_document_number(""), "***");
        assert_eq!(mask_document_number("ÄÖÜ12345É"), "***5É");
    }

    #[test]
    fn dates_of_birth_emails_secrets_and_text() {
        assert_eq!(mask_date_of_birth("1990-01-31"), "****-**-**");
        assert_eq!(mask_email("nikki.wolf@example.com"), "n***@example.com");
        assert_eq!(mask_email("no-at-sign"), "***");
        assert_eq!(mask_email("@example.com"), "***@example.com");
        assert_eq!(mask_secret("AQB8AAAAKgAAAAMAAAAAAAAA"), "***(24 chars)");
        assert_eq!(mask_free_text("looks fine"), "***(10 chars)");
    }
}
