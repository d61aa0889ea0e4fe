//! Compiled value matchers: one per element of a pattern field's array.

use std::net::IpAddr;

use serde_json::Number;

/// One leaf value of an event, as the matchers see it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Leaf<'e> {
    Str(&'e str),
    Num(&'e Number),
    Bool(bool),
    Null,
}

/// Numeric matching is limited to -5.0e9..=+5.0e9 with six digits to the right
/// of the decimal point (EventBridge user guide, "Numeric matching").
pub(crate) const NUMERIC_LIMIT: f64 = 5e9;

/// The reason EventBridge gives for a number outside the numeric range.
pub(crate) const NUMERIC_RANGE_REASON: &str = "Value must be between -5.0E9 and 5.0E9, inclusive";

/// A number scaled to six decimal places, so equal numbers compare equal
/// whatever their spelling (`300`, `300.0`, `3.0e2`).
pub(crate) fn comparable(f: f64) -> Option<i64> {
    if (-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&f) {
        Some((f * 1e6).round() as i64)
    } else {
        None
    }
}

pub(crate) fn comparable_text(text: &str) -> Result<i64, String> {
    text.parse::<f64>()
        .ok()
        .and_then(comparable)
        .ok_or_else(|| NUMERIC_RANGE_REASON.to_owned())
}

fn leaf_comparable(n: &Number) -> Option<i64> {
    n.as_f64().and_then(comparable)
}

/// A wildcard value: literal pieces separated by `*`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wildcard {
    pieces: Vec<String>,
}

impl Wildcard {
    /// Parses a wildcard operand. Errors carry EventBridge's reason; positions
    /// count UTF-8 bytes of the operand wrapped in its JSON quotes, as EventBridge does.
    pub(crate) fn parse(text: &str) -> Result<Wildcard, String> {
        let quoted = format!("\"{text}\"");
        let bytes = quoted.as_bytes();
        let mut pieces = vec![Vec::new()];
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'*' {
                if bytes.get(i + 1) == Some(&b'*') {
                    return Err(format!("Consecutive wildcard characters at pos {i}"));
                }
                pieces.push(Vec::new());
            } else if b == b'\\' {
                match bytes.get(i + 1) {
                    Some(&n) if n == b'*' || n == b'\\' => {
                        if let Some(last) = pieces.last_mut() {
                            last.push(n);
                        }
                        i += 2;
                        continue;
                    }
                    _ => return Err(format!("Invalid escape character at pos {i}")),
                }
            } else if let Some(last) = pieces.last_mut() {
                last.push(b);
            }
            i += 1;
        }
        // Drop the JSON quotes again: they were only there to number positions.
        if let Some(first) = pieces.first_mut() {
            first.remove(0);
        }
        if let Some(last) = pieces.last_mut() {
            last.pop();
        }
        let pieces = pieces
            .into_iter()
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .collect();
        Ok(Wildcard { pieces })
    }

    /// Matcher states this wildcard can keep active at once: for the text
    /// after each `*`, the longest chain of its prefixes that are also
    /// suffixes of one another (KMP borders), plus the `*` itself.
    pub(crate) fn complexity(&self) -> usize {
        self.pieces
            .iter()
            .skip(1)
            .map(|p| border_chain(p.as_bytes()))
            .sum()
    }

    pub(crate) fn matches(&self, s: &str) -> bool {
        let n = self.pieces.len();
        let Some(first) = self.pieces.first() else {
            return false;
        };
        if n == 1 {
            return s == first;
        }
        let Some(rest) = s.strip_prefix(first.as_str()) else {
            return false;
        };
        let last = &self.pieces[n - 1];
        if rest.len() < last.len() || !rest.ends_with(last.as_str()) {
            return false;
        }
        let mut middle = &rest[..rest.len() - last.len()];
        for piece in &self.pieces[1..n - 1] {
            match middle.find(piece.as_str()) {
                Some(at) => middle = &middle[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

/// `1 +` the longest border chain over the prefixes of `text` (1 for empty
/// text): how many positions of `text` an input can be at simultaneously
/// when `text` follows a `*`.
fn border_chain(text: &[u8]) -> usize {
    let n = text.len();
    // fail[k]: length of the longest proper border of text[..k].
    let mut fail = vec![0usize; n + 1];
    let mut k = 0usize;
    for i in 1..n {
        while k > 0 && text[i] != text[k] {
            k = fail[k];
        }
        if text[i] == text[k] {
            k += 1;
        }
        fail[i + 1] = k;
    }
    // chain[k] = 1 + chain[fail[k]], chain[0] = 1.
    let mut chain = vec![1usize; n + 1];
    for k in 1..=n {
        chain[k] = 1 + chain[fail[k]];
    }
    chain.into_iter().max().unwrap_or(1)
}

/// An inclusive range of IP addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpRange {
    v6: bool,
    low: u128,
    high: u128,
}

fn looks_like_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn looks_like_ipv6(s: &str) -> bool {
    s.contains(':') && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
}

/// Parses an IP address literal as EventBridge recognises one; `None` if the
/// string does not look like (or is not) an address.
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    if looks_like_ipv4(s) || looks_like_ipv6(s) {
        s.parse().ok()
    } else {
        None
    }
}

fn ip_bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

impl IpRange {
    pub(crate) fn single(ip: IpAddr) -> IpRange {
        let (v6, bits) = ip_bits(ip);
        IpRange {
            v6,
            low: bits,
            high: bits,
        }
    }

    /// Parses a `cidr` operand with EventBridge's reasons for bad input.
    pub(crate) fn parse_cidr(text: &str) -> Result<IpRange, String> {
        // Split like Java's String.split: trailing empty pieces are dropped.
        let mut parts: Vec<&str> = text.split('/').collect();
        while parts.len() > 1 && parts.last() == Some(&"") {
            parts.pop();
        }
        if parts.len() == 1 && parts[0].is_empty() {
            parts.clear();
        }
        if parts.len() != 2 {
            return Err("Malformed CIDR, one '/' required".into());
        }
        let bits: i32 = parts[1]
            .parse()
            .map_err(|_| "Malformed CIDR, mask bits must be an integer".to_owned())?;
        if bits < 0 {
            return Err("Malformed CIDR, mask bits must not be negative".into());
        }
        let addr = parts[0];
        if !(looks_like_ipv4(addr) || looks_like_ipv6(addr)) {
            return Err(format!("Nonstandard IP address: {addr}"));
        }
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("Invalid IP address: {addr}"))?;
        let (v6, base) = ip_bits(ip);
        let width = if v6 { 128 } else { 32 };
        if !v6 && bits > 31 {
            return Err("IPv4 mask bits must be < 32".into());
        }
        if v6 && bits > 127 {
            return Err("IPv6 mask bits must be < 128".into());
        }
        let host_bits = width - bits as u32;
        let host_mask = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        // EventBridge matches from the address as written (host bits are not
        // cleared) up to the top of the block.
        Ok(IpRange {
            v6,
            low: base,
            high: base | host_mask,
        })
    }

    pub(crate) fn contains_str(&self, s: &str) -> bool {
        match parse_ip(s) {
            Some(ip) => {
                let (v6, bits) = ip_bits(ip);
                v6 == self.v6 && bits >= self.low && bits <= self.high
            }
            None => false,
        }
    }
}

/// Lower-cases for the `equals-ignore-case` family.
pub(crate) fn fold(s: &str) -> String {
    s.to_lowercase()
}

fn eq_fold(a: &str, folded: &str) -> bool {
    if a.is_ascii() && folded.is_ascii() {
        a.eq_ignore_ascii_case(folded)
    } else {
        a.to_lowercase() == folded
    }
}

fn starts_fold(a: &str, folded: &str) -> bool {
    if a.is_ascii() && folded.is_ascii() {
        a.len() >= folded.len()
            && a.as_bytes()[..folded.len()].eq_ignore_ascii_case(folded.as_bytes())
    } else {
        a.to_lowercase().starts_with(folded)
    }
}

fn ends_fold(a: &str, folded: &str) -> bool {
    if a.is_ascii() && folded.is_ascii() {
        a.len() >= folded.len()
            && a.as_bytes()[a.len() - folded.len()..].eq_ignore_ascii_case(folded.as_bytes())
    } else {
        a.to_lowercase().ends_with(folded)
    }
}

/// A numeric bound: scaled value and whether it is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bound {
    pub value: i64,
    pub open: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Matcher {
    /// An exact string; an IP literal also matches the same address spelled differently.
    ExactStr {
        value: String,
        ip: Option<IpRange>,
    },
    /// An exact number: the same spelling, or the same value within the numeric range.
    ExactNum {
        text: String,
        number: Option<Number>,
        key: Option<i64>,
    },
    ExactBool(bool),
    ExactNull,
    Prefix(String),
    PrefixIgnoreCase(String),
    Suffix(String),
    SuffixIgnoreCase(String),
    EqualsIgnoreCase(String),
    Wildcard(Wildcard),
    AnythingButStrings(Vec<String>),
    AnythingButNumbers(Vec<i64>),
    AnythingButPrefix(Vec<String>),
    AnythingButSuffix(Vec<String>),
    AnythingButIgnoreCase(Vec<String>),
    AnythingButWildcard(Vec<Wildcard>),
    Numeric {
        low: Option<Bound>,
        high: Option<Bound>,
    },
    Cidr(IpRange),
}

impl Matcher {
    pub(crate) fn matches(&self, leaf: Leaf<'_>) -> bool {
        match self {
            Matcher::ExactStr { value, ip } => match leaf {
                Leaf::Str(s) => match ip {
                    Some(range) => range.contains_str(s),
                    None => s == value,
                },
                _ => false,
            },
            Matcher::ExactNum { text, number, key } => match leaf {
                Leaf::Num(n) => {
                    if let (Some(k), Some(ek)) = (key, leaf_comparable(n)) {
                        return *k == ek;
                    }
                    match number {
                        Some(p) => p == n || *text == n.to_string(),
                        None => *text == n.to_string(),
                    }
                }
                _ => false,
            },
            Matcher::ExactBool(b) => matches!(leaf, Leaf::Bool(x) if x == *b),
            Matcher::ExactNull => matches!(leaf, Leaf::Null),
            Matcher::Prefix(p) => matches!(leaf, Leaf::Str(s) if s.starts_with(p.as_str())),
            Matcher::PrefixIgnoreCase(p) => matches!(leaf, Leaf::Str(s) if starts_fold(s, p)),
            Matcher::Suffix(p) => matches!(leaf, Leaf::Str(s) if s.ends_with(p.as_str())),
            Matcher::SuffixIgnoreCase(p) => matches!(leaf, Leaf::Str(s) if ends_fold(s, p)),
            Matcher::EqualsIgnoreCase(p) => matches!(leaf, Leaf::Str(s) if eq_fold(s, p)),
            Matcher::Wildcard(w) => matches!(leaf, Leaf::Str(s) if w.matches(s)),
            // anything-but matches every value except the listed ones: values of
            // another type (numbers, booleans, null) are "anything but" a string.
            Matcher::AnythingButStrings(set) => match leaf {
                Leaf::Str(s) => !set.iter().any(|v| v == s),
                _ => true,
            },
            Matcher::AnythingButNumbers(set) => match leaf {
                Leaf::Num(n) => match leaf_comparable(n) {
                    Some(k) => !set.contains(&k),
                    None => true,
                },
                _ => true,
            },
            Matcher::AnythingButPrefix(set) => match leaf {
                Leaf::Str(s) => !set.iter().any(|p| s.starts_with(p.as_str())),
                _ => true,
            },
            Matcher::AnythingButSuffix(set) => match leaf {
                Leaf::Str(s) => !set.iter().any(|p| s.ends_with(p.as_str())),
                _ => true,
            },
            Matcher::AnythingButIgnoreCase(set) => match leaf {
                Leaf::Str(s) => !set.iter().any(|p| eq_fold(s, p)),
                _ => true,
            },
            Matcher::AnythingButWildcard(set) => match leaf {
                Leaf::Str(s) => !set.iter().any(|w| w.matches(s)),
                _ => true,
            },
            Matcher::Numeric { low, high } => match leaf {
                Leaf::Num(n) => match leaf_comparable(n) {
                    Some(k) => {
                        let above = match low {
                            Some(b) if b.open => k > b.value,
                            Some(b) => k >= b.value,
                            None => true,
                        };
                        let below = match high {
                            Some(b) if b.open => k < b.value,
                            Some(b) => k <= b.value,
                            None => true,
                        };
                        above && below
                    }
                    None => false,
                },
                _ => false,
            },
            Matcher::Cidr(range) => matches!(leaf, Leaf::Str(s) if range.contains_str(s)),
        }
    }

    /// The exact string this matcher requires, if it is a plain exact string
    /// (used by the rule index).
    pub(crate) fn exact_string(&self) -> Option<&str> {
        match self {
            Matcher::ExactStr { value, ip: None } => Some(value),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_positions_count_the_opening_quote() {
        assert_eq!(
            Wildcard::parse("abc**def").unwrap_err(),
            "Consecutive wildcard characters at pos 4"
        );
        assert_eq!(
            Wildcard::parse("a*c\\def").unwrap_err(),
            "Invalid escape character at pos 4"
        );
        assert_eq!(
            Wildcard::parse("abc\\").unwrap_err(),
            "Invalid escape character at pos 4"
        );
    }

    #[test]
    fn wildcard_glob() {
        let w = Wildcard::parse("a*b*c").unwrap();
        assert!(w.matches("abc"));
        assert!(w.matches("axxbyyc"));
        assert!(!w.matches("axxbyy"));
        let w = Wildcard::parse("\\*x").unwrap();
        assert!(w.matches("*x"));
        assert!(!w.matches("ax"));
    }

    #[test]
    fn wildcard_complexity_counts_stars_and_repeats() {
        assert_eq!(Wildcard::parse("abc").unwrap().complexity(), 0);
        assert_eq!(Wildcard::parse("abc*").unwrap().complexity(), 1);
        assert_eq!(Wildcard::parse("*c*a*b").unwrap().complexity(), 6);
        assert_eq!(Wildcard::parse("*ababab").unwrap().complexity(), 4);
        assert_eq!(Wildcard::parse("*aaaa").unwrap().complexity(), 5);
    }

    #[test]
    fn comparable_numbers() {
        assert_eq!(comparable(300.0), comparable(3.0e2));
        assert_eq!(comparable(5e9 + 1.0), None);
        assert_eq!(comparable(f64::NAN), None);
    }
}
