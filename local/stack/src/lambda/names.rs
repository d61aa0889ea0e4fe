//! Function identifiers as Invoke accepts them: a name (`my-function`), a
//! partial ARN (`123456789012:function:my-function`) or a full ARN, each with
//! an optional `:qualifier`.

use std::sync::OnceLock;

use regex::Regex;

use super::error::LambdaError;

/// A parsed `FunctionName` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    pub name: String,
    pub region: Option<String>,
    pub account: Option<String>,
    pub qualifier: Option<String>,
}

/// The pattern of Invoke's `FunctionName` in the API reference.
fn pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        #[allow(clippy::unwrap_used)] // a constant pattern, checked by the tests
        Regex::new(
            r"^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:([a-z]{2}(?:(?:-gov)|(?:-iso[a-z]?))?-[a-z]+-\d{1}):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9\-_\.]+)(?::(\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9\-_]+))?$",
        )
        .unwrap()
    })
}

impl FunctionRef {
    /// Parses `FunctionName`, failing with the ValidationException Lambda raises.
    pub fn parse(input: &str) -> Result<Self, LambdaError> {
        let invalid = || {
            LambdaError::Validation(format!(
                "1 validation error detected: Value '{input}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{{1}}:)?(\\d{{12}}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
            ))
        };
        if input.is_empty() || input.len() > 170 {
            return Err(invalid());
        }
        let caps = pattern().captures(input).ok_or_else(invalid)?;
        // A region needs the `arn:...:lambda:` prefix and an account, as in AWS's pattern use.
        let region = caps.get(1).map(|m| m.as_str().to_owned());
        let account = caps.get(2).map(|m| m.as_str().to_owned());
        let name = caps
            .get(3)
            .map(|m| m.as_str().to_owned())
            .ok_or_else(invalid)?;
        if name.len() > 64 {
            return Err(invalid());
        }
        Ok(Self {
            name,
            region,
            account,
            qualifier: caps.get(4).map(|m| m.as_str().to_owned()),
        })
    }
}

/// `arn:aws:lambda:<region>:<account>:function:<name>`.
pub fn function_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:lambda:{region}:{account}:function:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_forms() {
        let plain = FunctionRef::parse("my-function").unwrap();
        assert_eq!(plain.name, "my-function");
        assert_eq!(plain.account, None);
        assert_eq!(plain.qualifier, None);

        let partial = FunctionRef::parse("123456789012:function:my-function").unwrap();
        assert_eq!(partial.name, "my-function");
        assert_eq!(partial.account.as_deref(), Some("123456789012"));
        assert_eq!(partial.region, None);

        let full =
            FunctionRef::parse("arn:aws:lambda:us-west-2:123456789012:function:my_fn:$LATEST")
                .unwrap();
        assert_eq!(full.name, "my_fn");
        assert_eq!(full.region.as_deref(), Some("us-west-2"));
        assert_eq!(full.account.as_deref(), Some("123456789012"));
        assert_eq!(full.qualifier.as_deref(), Some("$LATEST"));

        let qualified = FunctionRef::parse("my-function:prod").unwrap();
        assert_eq!(qualified.qualifier.as_deref(), Some("prod"));
    }

    #[test]
    fn rejects_names_outside_the_pattern() {
        for bad in [
            "",
            "has space",
            "a/b",
            "arn:aws:s3:::bucket",
            &"x".repeat(65),
        ] {
            let err = FunctionRef::parse(bad).unwrap_err();
            assert_eq!(err.code(), "ValidationException", "{bad}");
            assert!(err.to_string().starts_with(&format!(
                "1 validation error detected: Value '{bad}' at 'functionName'"
            )));
        }
    }
}
