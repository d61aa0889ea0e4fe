//! Policy documents: parsing and validation of the IAM JSON policy grammar ("IAM JSON policy
//! element reference", "Grammar of the IAM JSON policy language").
//!
//! A document is an object with an optional `Version` (`2012-10-17` or `2008-10-17`; policy
//! variables such as `${aws:SourceArn}` are substituted only under `2012-10-17`) and a `Statement`
//! (one object or an array). A statement has `Effect`, exactly one of `Action` / `NotAction`, at
//! most one of `Resource` / `NotResource`, at most one of `Principal` / `NotPrincipal`, an optional
//! `Condition` and an optional `Sid`. Identity policies must not name a principal and must name a
//! resource; resource policies must name a principal.

use serde_json::{Map, Value};

use crate::condition::Condition;
pub use crate::error::PolicyError;
use crate::error::error;

/// Most statements one document may hold. IAM's size limits (6,144 characters for a managed
/// policy, 20 KB for an SQS queue policy, ...) keep real documents far below it; the limit bounds
/// the work a document from outside can cause.
pub const MAX_STATEMENTS: usize = 1_000;

/// Longest document text accepted, in bytes (the largest resource-policy limit of the services
/// kyc-local serves is SQS's 20 KB; a template's inline role policies may total 10,240 characters).
pub const MAX_POLICY_BYTES: usize = 131_072;

/// Which grammar applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a role (inline, managed, SAM policy template): no `Principal`.
    Identity,
    /// Attached to a resource (queue policy, log resource policy, Lambda permission, bus policy):
    /// a `Principal` is required.
    Resource,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list element that is either positive or negated (`Action` / `NotAction`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher<T> {
    /// The element as written: applies to what matches.
    Is(T),
    /// Its `Not` form: applies to everything that does not match.
    Not(T),
}

/// One entry of a `Principal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalEntry {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    Anyone,
    /// `{"Service": "events.amazonaws.com"}`.
    Service(String),
    /// `{"AWS": "arn:aws:iam::123456789012:role/name"}` or another IAM / STS ARN.
    Arn(String),
    /// `{"AWS": "123456789012"}` or `arn:aws:iam::123456789012:root`: the account, which delegates
    /// to the identity policies of its principals.
    Account(String),
    /// `Federated` or `CanonicalUser` principals: parsed, never a caller kyc-local has.
    Other(String),
}

/// A parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Matcher<Vec<PrincipalEntry>>>,
    pub action: Matcher<Vec<String>>,
    pub resource: Option<Matcher<Vec<String>>>,
    pub conditions: Vec<Condition>,
}

/// A parsed document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Parses document text.
    pub fn parse_str(text: &str, kind: PolicyKind) -> Result<Self, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(error(format!(
                "The policy is {} bytes; at most {MAX_POLICY_BYTES} are accepted",
                text.len()
            )));
        }
        let value: Value =
            serde_json::from_str(text).map_err(|_| error("Syntax errors in policy."))?;
        Self::parse(&value, kind)
    }

    /// Parses a document already read as JSON (a template's `PolicyDocument` object).
    pub fn parse(value: &Value, kind: PolicyKind) -> Result<Self, PolicyError> {
        let Value::Object(doc) = value else {
            return Err(error("Syntax errors in policy."));
        };
        let mut version = None;
        let mut statements = Vec::new();
        for (key, v) in doc {
            match key.as_str() {
                "Version" => match v.as_str() {
                    Some(s @ ("2012-10-17" | "2008-10-17")) => version = Some(s.to_owned()),
                    _ => return Err(error("The policy failed legacy parsing")),
                },
                "Id" => {}
                "Statement" => {
                    let list: Vec<&Value> = match v {
                        Value::Array(items) => items.iter().collect(),
                        Value::Object(_) => vec![v],
                        _ => return Err(error("Syntax errors in policy.")),
                    };
                    if list.len() > MAX_STATEMENTS {
                        return Err(error(format!(
                            "The policy has {} statements; at most {MAX_STATEMENTS} are accepted",
                            list.len()
                        )));
                    }
                    for s in list {
                        statements.push(Statement::parse(s, kind)?);
                    }
                }
                other => {
                    return Err(error(format!(
                        "Policy document contains unknown field {other}."
                    )));
                }
            }
        }
        if statements.is_empty() {
            return Err(error("Missing required field Statement"));
        }
        Ok(PolicyDocument {
            version,
            statements,
        })
    }

    /// Whether `${...}` policy variables are substituted (only under version `2012-10-17`).
    pub fn substitutes_variables(&self) -> bool {
        self.version.as_deref() == Some("2012-10-17")
    }
}

impl Statement {
    fn parse(value: &Value, kind: PolicyKind) -> Result<Self, PolicyError> {
        let Value::Object(s) = value else {
            return Err(error("Syntax errors in policy."));
        };
        for key in s.keys() {
            if !matches!(
                key.as_str(),
                "Sid"
                    | "Effect"
                    | "Principal"
                    | "NotPrincipal"
                    | "Action"
                    | "NotAction"
                    | "Resource"
                    | "NotResource"
                    | "Condition"
            ) {
                return Err(error(format!("Statement contains unknown field {key}.")));
            }
        }
        let sid = match s.get("Sid") {
            None => None,
            Some(Value::String(v)) => Some(v.clone()),
            Some(_) => return Err(error("Syntax errors in policy.")),
        };
        let effect = match s.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            Some(other) => return Err(error(format!("Invalid effect: {other}"))),
            None => return Err(error("Missing required field Effect")),
        };
        let action = match pair(s, "Action", "NotAction")? {
            Some(m) => m,
            None => return Err(error("Policy statement must contain actions.")),
        };
        for a in list_of(&action) {
            if a != "*" && !a.contains(':') {
                return Err(error(format!(
                    "Actions/Condition can contain only one colon: invalid action {a}"
                )));
            }
        }
        let resource = pair(s, "Resource", "NotResource")?;
        let principal = principal_pair(s)?;
        match kind {
            PolicyKind::Identity => {
                if principal.is_some() {
                    return Err(error("Policy document should not specify a principal."));
                }
                if resource.is_none() {
                    return Err(error("Policy statement must contain resources."));
                }
            }
            PolicyKind::Resource => {
                if principal.is_none() {
                    return Err(error("Statement is missing required element Principal"));
                }
            }
        }
        let conditions = match s.get("Condition") {
            None => Vec::new(),
            Some(Value::Object(ops)) => Condition::parse_block(ops)?,
            Some(_) => return Err(error("Syntax errors in policy.")),
        };
        Ok(Statement {
            sid,
            effect,
            principal,
            action,
            resource,
            conditions,
        })
    }
}

fn list_of<T>(m: &Matcher<Vec<T>>) -> &[T] {
    match m {
        Matcher::Is(v) | Matcher::Not(v) => v,
    }
}

/// `Key` / `NotKey`: at most one of them, each a string or a non-empty array of strings.
fn pair(
    s: &Map<String, Value>,
    key: &str,
    not_key: &str,
) -> Result<Option<Matcher<Vec<String>>>, PolicyError> {
    match (s.get(key), s.get(not_key)) {
        (Some(_), Some(_)) => Err(error(format!(
            "Statement cannot contain both {key} and {not_key}."
        ))),
        (Some(v), None) => strings(v, key).map(|v| Some(Matcher::Is(v))),
        (None, Some(v)) => strings(v, not_key).map(|v| Some(Matcher::Not(v))),
        (None, None) => Ok(None),
    }
}

fn strings(value: &Value, field: &str) -> Result<Vec<String>, PolicyError> {
    let out: Vec<String> = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| error("Syntax errors in policy."))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(error("Syntax errors in policy.")),
    };
    if out.is_empty() {
        return Err(error(format!("Required field {field} cannot be empty")));
    }
    Ok(out)
}

fn principal_pair(
    s: &Map<String, Value>,
) -> Result<Option<Matcher<Vec<PrincipalEntry>>>, PolicyError> {
    match (s.get("Principal"), s.get("NotPrincipal")) {
        (Some(_), Some(_)) => Err(error(
            "Statement cannot contain both Principal and NotPrincipal.",
        )),
        (Some(v), None) => principals(v).map(|p| Some(Matcher::Is(p))),
        (None, Some(v)) => principals(v).map(|p| Some(Matcher::Not(p))),
        (None, None) => Ok(None),
    }
}

fn principals(value: &Value) -> Result<Vec<PrincipalEntry>, PolicyError> {
    match value {
        Value::String(s) if s == "*" => Ok(vec![PrincipalEntry::Anyone]),
        Value::Object(map) if !map.is_empty() => {
            let mut out = Vec::new();
            for (kind, v) in map {
                for entry in strings(v, "Principal")? {
                    out.push(match kind.as_str() {
                        "AWS" => aws_principal(&entry)?,
                        "Service" => PrincipalEntry::Service(entry),
                        "Federated" | "CanonicalUser" => PrincipalEntry::Other(entry),
                        other => {
                            return Err(error(format!(
                                "Invalid principal type in policy: {other}"
                            )));
                        }
                    });
                }
            }
            Ok(out)
        }
        _ => Err(error("Invalid principal in policy")),
    }
}

fn aws_principal(entry: &str) -> Result<PrincipalEntry, PolicyError> {
    if entry == "*" {
        return Ok(PrincipalEntry::Anyone);
    }
    if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(PrincipalEntry::Account(entry.to_owned()));
    }
    let parts: Vec<&str> = entry.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", account, "root"] => {
            Ok(PrincipalEntry::Account((*account).to_owned()))
        }
        ["arn", _, "iam" | "sts", "", _, _] => Ok(PrincipalEntry::Arn(entry.to_owned())),
        _ => Err(error(format!(
            "Invalid principal in policy: \"AWS\":\"{entry}\""
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value, kind: PolicyKind) -> Result<PolicyDocument, String> {
        PolicyDocument::parse(&v, kind).map_err(|e| e.message)
    }

    #[test]
    fn a_statement_object_or_array() {
        let one = parse(
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}),
            PolicyKind::Identity,
        )
        .unwrap();
        assert_eq!(one.statements.len(), 1);
        assert!(one.substitutes_variables());
        let two = parse(
            json!({"Statement": [
                {"Sid": "a", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"},
                {"Effect": "Deny", "NotAction": "sqs:*", "NotResource": ["arn:aws:sqs:*:*:q"]}]}),
            PolicyKind::Identity,
        )
        .unwrap();
        assert!(!two.substitutes_variables());
        assert_eq!(two.statements[0].sid.as_deref(), Some("a"));
        assert_eq!(
            two.statements[1].action,
            Matcher::Not(vec!["sqs:*".to_owned()])
        );
    }

    #[test]
    fn grammar_errors_name_the_problem() {
        let cases = [
            (json!([]), PolicyKind::Identity, "Syntax errors in policy."),
            (
                json!({"Version": "2012-10-17"}),
                PolicyKind::Identity,
                "Missing required field Statement",
            ),
            (
                json!({"Version": "2020-01-01", "Statement": []}),
                PolicyKind::Identity,
                "The policy failed legacy parsing",
            ),
            (
                json!({"Statement": {"Effect": "Maybe", "Action": "a:b", "Resource": "*"}}),
                PolicyKind::Identity,
                "Invalid effect: Maybe",
            ),
            (
                json!({"Statement": {"Action": "a:b", "Resource": "*"}}),
                PolicyKind::Identity,
                "Missing required field Effect",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Resource": "*"}}),
                PolicyKind::Identity,
                "Policy statement must contain actions.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "a:b"}}),
                PolicyKind::Identity,
                "Policy statement must contain resources.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Principal": "*"}}),
                PolicyKind::Identity,
                "Policy document should not specify a principal.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*"}}),
                PolicyKind::Resource,
                "Statement is missing required element Principal",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "a:b", "NotAction": "c:d", "Resource": "*"}}),
                PolicyKind::Identity,
                "Statement cannot contain both Action and NotAction.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": [], "Resource": "*"}}),
                PolicyKind::Identity,
                "Required field Action cannot be empty",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "ab", "Resource": "*"}}),
                PolicyKind::Identity,
                "Actions/Condition can contain only one colon: invalid action ab",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Extra": 1}}),
                PolicyKind::Identity,
                "Statement contains unknown field Extra.",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "a:b", "Principal": {"Robot": "x"}}}),
                PolicyKind::Resource,
                "Invalid principal type in policy: Robot",
            ),
            (
                json!({"Statement": {"Effect": "Allow", "Action": "a:b", "Principal": {"AWS": "bob"}}}),
                PolicyKind::Resource,
                "Invalid principal in policy: \"AWS\":\"bob\"",
            ),
        ];
        for (doc, kind, message) in cases {
            assert_eq!(parse(doc.clone(), kind).unwrap_err(), message, "{doc}");
        }
    }

    #[test]
    fn principals_of_every_kind() {
        let doc = parse(
            json!({"Statement": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
                "Principal": {"Service": ["events.amazonaws.com"],
                              "AWS": ["123456789012", "arn:aws:iam::123456789012:root",
                                      "arn:aws:iam::123456789012:role/x", "*"],
                              "Federated": "cognito-identity.amazonaws.com"}}}),
            PolicyKind::Resource,
        )
        .unwrap();
        let Some(Matcher::Is(p)) = &doc.statements[0].principal else {
            panic!()
        };
        assert!(p.contains(&PrincipalEntry::Service("events.amazonaws.com".into())));
        assert!(p.contains(&PrincipalEntry::Account("123456789012".into())));
        assert_eq!(
            p.iter()
                .filter(|e| **e == PrincipalEntry::Account("123456789012".into()))
                .count(),
            2
        );
        assert!(p.contains(&PrincipalEntry::Arn(
            "arn:aws:iam::123456789012:role/x".into()
        )));
        assert!(p.contains(&PrincipalEntry::Anyone));
        assert!(p.contains(&PrincipalEntry::Other(
            "cognito-identity.amazonaws.com".into()
        )));
    }

    #[test]
    fn limits_are_refused_not_processed() {
        let many: Vec<Value> = (0..=MAX_STATEMENTS)
            .map(|_| json!({"Effect": "Allow", "Action": "a:b", "Resource": "*"}))
            .collect();
        let e = parse(json!({"Statement": many}), PolicyKind::Identity).unwrap_err();
        assert_eq!(
            e,
            "The policy has 1001 statements; at most 1000 are accepted"
        );
        let text = format!("{{\"Statement\": \"{}\"}}", "x".repeat(MAX_POLICY_BYTES));
        assert!(PolicyDocument::parse_str(&text, PolicyKind::Identity).is_err());
        assert_eq!(
            PolicyDocument::parse_str("{", PolicyKind::Identity)
                .unwrap_err()
                .message,
            "Syntax errors in policy."
        );
    }
}
