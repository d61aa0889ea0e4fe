//! Watchlist screening: a small embedded list matched case- and
//! accent-insensitively, in any word order.
//!
//! A real deployment screens against a sanctions / PEP provider; this list
//! exists so the flow has a deterministic "declined by identity" path.
//! The names are fictitious.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Fictitious watchlist entries (as a screening provider would spell them).
pub const WATCHLIST: &[&str] = &[
    "José Fantasma",
    "Zoë Schattenberg",
    "Émile Faussaire",
    "Łukasz Widmo",
    "Søren Skygge",
];

/// Folds a name for comparison: compatibility decomposition (NFKD), drop
/// combining marks (é → e), fold the Latin letters that do not decompose
/// (ø, ł, ß, æ, ...), lower-case, turn punctuation into spaces, and sort the
/// words so "Fantasma, José" matches "José Fantasma".
pub fn fold_name(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for c in name.nfkd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'ø' | 'Ø' => folded.push('o'),
            'ł' | 'Ł' => folded.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => folded.push('d'),
            'ı' => folded.push('i'),
            'ß' | 'ẞ' => folded.push_str("ss"),
            'æ' | 'Æ' => folded.push_str("ae"),
            'œ' | 'Œ' => folded.push_str("oe"),
            'þ' | 'Þ' => folded.push_str("th"),
            c if c.is_alphanumeric() => folded.extend(c.to_lowercase()),
            _ => folded.push(' '),
        }
    }
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    words.sort_unstable();
    words.join(" ")
}

/// True when `name` is on the watchlist.
pub fn is_listed(name: &str) -> bool {
    let candidate = fold_name(name);
    !candidate.is_empty() && WATCHLIST.iter().any(|entry| fold_name(entry) == candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_accents_punctuation_and_order() {
        assert_eq!(fold_name("José Fantasma"), "fantasma jose");
        assert_eq!(fold_name("FANTASMA, Jose"), "fantasma jose");
        assert_eq!(fold_name("Søren  Skygge"), "skygge soren");
        assert_eq!(fold_name("Łukasz Widmo"), "lukasz widmo");
        assert_eq!(fold_name("Straße"), "strasse");
        assert_eq!(fold_name("Ｚｏë"), "zoe");
        assert_eq!(fold_name("---"), "");
    }

    #[test]
    fn listed_names_match_in_any_spelling() {
        for name in [
            "José Fantasma",
            "jose fantasma",
            "JOSÉ FANTASMA",
            "Fantasma José",
            "Jose\u{301} Fantasma", // decomposed é (NFD input)
            "Zoe Schattenberg",
            "emile faussaire",
            "Lukasz Widmo",
            "Soren Skygge",
        ] {
            assert!(is_listed(name), "{name}");
        }
    }

    #[test]
    fn other_names_do_not_match() {
        for name in [
            "Nikki Wolf",
            "Paulo Santos",
            "José Fantasmagoria",
            "José",
            "Jose Fantasma Junior",
            "",
        ] {
            assert!(!is_listed(name), "{name}");
        }
    }
}
