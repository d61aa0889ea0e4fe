//! The wildcards of IAM policies: `*` (any run of characters, empty included) and `?` (exactly one
//! character), in `Action` / `Resource` / `Principal` values and in the `*Like` and ARN condition
//! operators.
//!
//! Matching is iterative (the classic two-pointer algorithm with one backtrack point): time is at
//! most the product of the two lengths and memory is constant, so a hostile pattern cannot make it
//! recurse or blow up (IAM's own size limits bound both lengths).

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// A character that must be there (a `*` or `?` that came from a policy variable such as
    /// `${*}` is a literal too).
    Lit(char),
    /// `*`: any run of characters, empty included.
    Star,
    /// `?`: exactly one character.
    One,
}

/// The tokens of a pattern as written (every `*` and `?` is a wildcard).
pub fn tokens(pattern: &str) -> Vec<Token> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Token::Star,
            '?' => Token::One,
            c => Token::Lit(c),
        })
        .collect()
}

/// Whether `text` matches `pattern`, comparing characters exactly or ASCII-case-insensitively.
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    matches_tokens(&tokens(pattern), text, ignore_case)
}

/// [`matches`] for a pattern already split into tokens.
pub fn matches_tokens(p: &[Token], text: &str, ignore_case: bool) -> bool {
    let t: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut pi, mut ti) = (0usize, 0usize);
    // The last `*` seen (its index in the pattern) and where in the text it started matching.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Token::Star) => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some(Token::One) => {
                pi += 1;
                ti += 1;
                continue;
            }
            Some(Token::Lit(c)) if same(*c, t[ti]) => {
                pi += 1;
                ti += 1;
                continue;
            }
            _ => {}
        }
        if let Some((spi, sti)) = star {
            // Let the last `*` take one more character and try again from there.
            pi = spi + 1;
            ti = sti + 1;
            star = Some((spi, sti + 1));
        } else {
            return false;
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == Token::Star)
}

/// ARN matching as IAM does it for `Resource` and the ARN condition operators: an ARN has six
/// colon-separated parts (`arn:partition:service:region:account:resource`, the resource part
/// keeping any further colons), and each part of the pattern is matched, with wildcards, against
/// the same part of the ARN. A pattern of `*` alone matches anything.
pub fn arn_matches(pattern: &str, arn: &str) -> bool {
    arn_matches_tokens(&tokens(pattern), arn)
}

/// [`arn_matches`] for a pattern already split into tokens.
pub fn arn_matches_tokens(pattern: &[Token], arn: &str) -> bool {
    if pattern == [Token::Star] {
        return true;
    }
    let Some(a) = arn_parts(arn) else {
        return false;
    };
    // The pattern's parts: split at its first five literal colons.
    let mut parts: Vec<&[Token]> = Vec::with_capacity(6);
    let mut start = 0;
    for (i, t) in pattern.iter().enumerate() {
        if parts.len() == 5 {
            break;
        }
        if *t == Token::Lit(':') {
            parts.push(&pattern[start..i]);
            start = i + 1;
        }
    }
    if parts.len() < 5 {
        return false;
    }
    parts.push(&pattern[start..]);
    parts
        .iter()
        .zip(a.iter())
        .all(|(p, a)| matches_tokens(p, a, false))
}

/// The six parts of an ARN, or `None` when it has fewer.
fn arn_parts(arn: &str) -> Option<[&str; 6]> {
    let mut parts = arn.splitn(6, ':');
    let mut out = [""; 6];
    for slot in &mut out {
        *slot = parts.next()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("*", "", false));
        assert!(matches("*", "anything", false));
        assert!(matches("states:*", "states:StartExecution", false));
        assert!(matches("states:Send*", "states:SendTaskSuccess", false));
        assert!(!matches("states:Send*", "states:StartExecution", false));
        assert!(matches("a?c", "abc", false));
        assert!(!matches("a?c", "ac", false));
        assert!(matches("*a*b*c*", "xxaxxbxxcxx", false));
        assert!(!matches("*a*b*c*", "xxaxxcxxbxx", false));
        assert!(matches("abc", "abc", false));
        assert!(!matches("abc", "abcd", false));
        assert!(!matches("abcd", "abc", false));
    }

    #[test]
    fn case() {
        assert!(!matches(
            "States:startexecution",
            "states:StartExecution",
            false
        ));
        assert!(matches(
            "States:startexecution",
            "states:StartExecution",
            true
        ));
    }

    #[test]
    fn arns_part_by_part() {
        let group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/kyc/accounts";
        let stream =
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/kyc/accounts:log-stream:abc";
        // The resource part keeps its colons, so the ":*" that GetAtt adds covers the streams.
        assert!(arn_matches(&format!("{group}:*"), stream));
        assert!(!arn_matches(&format!("{group}:*"), group));
        assert!(arn_matches(group, group));
        assert!(arn_matches(
            "arn:aws:logs:*:*:log-group:/aws/events/*",
            group
        ));
        // A wildcard does not cross a part: region "*" cannot swallow the service.
        assert!(!arn_matches("arn:aws:*:123456789012:log-group:x", group));
        assert!(arn_matches("*", "not an arn"));
        assert!(!arn_matches("arn:aws:logs", group));
        assert!(!arn_matches(group, "not an arn"));
    }

    #[test]
    fn worst_case_is_quadratic_not_exponential() {
        // A pattern of many stars against a long text that almost matches: exponential backtracking
        // would never finish; the iterative matcher does at most |p| x |t| steps.
        let pattern = format!("{}b", "a*".repeat(2_000));
        let text = "a".repeat(20_000);
        assert!(!matches(&pattern, &text, false));
    }
}
