//! The iterative wildcard matcher against a reference written the obvious way (dynamic
//! programming over prefixes), on generated patterns and texts.

use iam::glob;
use proptest::prelude::*;

/// `dp[i][j]`: the first `i` pattern characters match the first `j` text characters.
fn reference(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let mut dp = vec![vec![false; t.len() + 1]; p.len() + 1];
    dp[0][0] = true;
    for i in 1..=p.len() {
        for j in 0..=t.len() {
            dp[i][j] = match p[i - 1] {
                '*' => dp[i - 1][j] || (j > 0 && dp[i][j - 1]),
                '?' => j > 0 && dp[i - 1][j - 1],
                c => j > 0 && dp[i - 1][j - 1] && t[j - 1] == c,
            };
        }
    }
    dp[p.len()][t.len()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn matches_like_the_reference(pattern in "[ab*?:]{0,12}", text in "[ab:]{0,16}") {
        prop_assert_eq!(glob::matches(&pattern, &text, false), reference(&pattern, &text));
    }

    #[test]
    fn arn_matching_is_part_by_part(
        parts in proptest::collection::vec("[ab*]{0,3}", 6),
        arn in proptest::collection::vec("[ab]{0,3}", 6),
    ) {
        let pattern = parts.join(":");
        let arn = arn.join(":");
        let expected = pattern == "*"
            || parts.iter().zip(arn.split(':')).all(|(p, a)| reference(p, a));
        prop_assert_eq!(glob::arn_matches(&pattern, &arn), expected);
    }
}
