//! The `Condition` element ("IAM JSON policy elements: Condition operators", "Condition with
//! multiple context keys or values", "Set operators for multivalued context keys", "Policy
//! variables").
//!
//! A block is `{operator: {key: value-or-values}}`. Every operator must hold (AND); within one,
//! every key must hold (AND); the values of one key are alternatives (OR). Keys are
//! case-insensitive; values compare as each operator says.
//!
//! A key absent from the request: the condition is false, except that a negated operator
//! (`StringNotEquals`, `ArnNotLike`, ...) is true, `...IfExists` is true, `ForAllValues:` is true,
//! and `Null` tests exactly that (the "Important" note of the condition operators page).

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use ipnet::IpNet;
use serde_json::{Map, Value};

use crate::error::PolicyError;
use crate::glob::{self, Token};

/// The request context: condition keys (case-insensitive) and their values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    values: BTreeMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a single-valued key (replacing any value it had).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, vec![value.into()]);
        self
    }

    /// Sets a key's values (a multivalued key has several).
    pub fn insert(&mut self, key: &str, values: Vec<String>) {
        self.values.insert(key.to_ascii_lowercase(), values);
    }

    /// A key's values; `None` when the request has no such key.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values
            .get(&key.to_ascii_lowercase())
            .map(Vec::as_slice)
            .filter(|v| !v.is_empty())
    }

    /// Whether the key is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

/// The comparison an operator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    Arn,
    Null,
}

/// `ForAnyValue:` / `ForAllValues:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOperator {
    Single,
    ForAnyValue,
    ForAllValues,
}

/// One key of one operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator as written (`ForAnyValue:StringLikeIfExists`).
    pub operator: String,
    /// The key as written.
    pub key: String,
    /// The policy's values.
    pub values: Vec<String>,
    base: Base,
    negated: bool,
    if_exists: bool,
    set: SetOperator,
}

fn error(message: impl Into<String>) -> PolicyError {
    PolicyError {
        message: message.into(),
    }
}

/// Parses an operator name into its parts, or `None` when IAM has no such operator.
fn operator(name: &str) -> Option<(SetOperator, Base, bool, bool)> {
    let (set, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (SetOperator::ForAnyValue, r)
    } else if let Some(r) = name.strip_prefix("ForAllValues:") {
        (SetOperator::ForAllValues, r)
    } else {
        (SetOperator::Single, name)
    };
    let (rest, if_exists) = match rest.strip_suffix("IfExists") {
        Some(r) if r != "Null" => (r, true),
        _ => (rest, false),
    };
    let (base, negated) = match rest {
        "StringEquals" => (Base::StringEquals, false),
        "StringNotEquals" => (Base::StringEquals, true),
        "StringEqualsIgnoreCase" => (Base::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Base::StringEqualsIgnoreCase, true),
        "StringLike" => (Base::StringLike, false),
        "StringNotLike" => (Base::StringLike, true),
        "NumericEquals" => (Base::NumericEquals, false),
        "NumericNotEquals" => (Base::NumericEquals, true),
        "NumericLessThan" => (Base::NumericLessThan, false),
        "NumericLessThanEquals" => (Base::NumericLessThanEquals, false),
        "NumericGreaterThan" => (Base::NumericGreaterThan, false),
        "NumericGreaterThanEquals" => (Base::NumericGreaterThanEquals, false),
        "DateEquals" => (Base::DateEquals, false),
        "DateNotEquals" => (Base::DateEquals, true),
        "DateLessThan" => (Base::DateLessThan, false),
        "DateLessThanEquals" => (Base::DateLessThanEquals, false),
        "DateGreaterThan" => (Base::DateGreaterThan, false),
        "DateGreaterThanEquals" => (Base::DateGreaterThanEquals, false),
        "Bool" => (Base::Bool, false),
        "BinaryEquals" => (Base::BinaryEquals, false),
        "IpAddress" => (Base::IpAddress, false),
        "NotIpAddress" => (Base::IpAddress, true),
        // ArnEquals and ArnLike are the same test: both take wildcards in each of the six parts.
        "ArnEquals" | "ArnLike" => (Base::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Base::Arn, true),
        "Null" => (Base::Null, false),
        _ => return None,
    };
    if base == Base::Null && (if_exists || set != SetOperator::Single) {
        return None;
    }
    Some((set, base, negated, if_exists))
}

impl Condition {
    /// Parses a `Condition` block.
    pub fn parse_block(ops: &Map<String, Value>) -> Result<Vec<Condition>, PolicyError> {
        let mut out = Vec::new();
        for (op, keys) in ops {
            let Some((set, base, negated, if_exists)) = operator(op) else {
                return Err(error(format!("Invalid Condition type : {op}.")));
            };
            let Value::Object(keys) = keys else {
                return Err(error("Syntax errors in policy."));
            };
            for (key, values) in keys {
                let values: Vec<String> = match values {
                    Value::Array(items) => items.iter().map(scalar).collect::<Result<_, _>>()?,
                    v => vec![scalar(v)?],
                };
                if values.is_empty() {
                    return Err(error(format!("Condition value for {key} cannot be empty")));
                }
                out.push(Condition {
                    operator: op.clone(),
                    key: key.clone(),
                    values,
                    base,
                    negated,
                    if_exists,
                    set,
                });
            }
        }
        Ok(out)
    }

    /// Whether the condition holds for `context`; `variables` says whether `${...}` in the
    /// policy's values are substituted (policy version 2012-10-17).
    pub fn holds(&self, context: &Context, variables: bool) -> bool {
        let present = context.get(&self.key);
        if self.base == Base::Null {
            let want_absent = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return want_absent == present.is_none();
        }
        let Some(request_values) = present else {
            return self.if_exists || self.negated || self.set == SetOperator::ForAllValues;
        };
        // One request value against the policy's values: any of them matches (OR); a negated
        // operator holds when none does.
        let one = |value: &str| {
            let any = self
                .values
                .iter()
                .any(|p| self.compare(p, value, context, variables));
            any != self.negated
        };
        match self.set {
            SetOperator::ForAllValues => request_values.iter().all(|v| one(v)),
            SetOperator::ForAnyValue => request_values.iter().any(|v| one(v)),
            SetOperator::Single if self.negated => request_values.iter().all(|v| one(v)),
            SetOperator::Single => request_values.iter().any(|v| one(v)),
        }
    }

    /// The positive comparison of one policy value with one request value.
    fn compare(&self, policy: &str, value: &str, context: &Context, variables: bool) -> bool {
        match self.base {
            Base::StringEquals => {
                substituted_text(policy, context, variables).as_deref() == Some(value)
            }
            Base::StringEqualsIgnoreCase => substituted_text(policy, context, variables)
                .is_some_and(|p| p.eq_ignore_ascii_case(value)),
            Base::StringLike => substitute(policy, context, variables)
                .is_some_and(|p| glob::matches_tokens(&p, value, false)),
            Base::Arn => substitute(policy, context, variables)
                .is_some_and(|p| glob::arn_matches_tokens(&p, value)),
            Base::NumericEquals
            | Base::NumericLessThan
            | Base::NumericLessThanEquals
            | Base::NumericGreaterThan
            | Base::NumericGreaterThanEquals => {
                let (Ok(p), Ok(v)) = (policy.trim().parse::<f64>(), value.trim().parse::<f64>())
                else {
                    return false;
                };
                match self.base {
                    Base::NumericEquals => v == p,
                    Base::NumericLessThan => v < p,
                    Base::NumericLessThanEquals => v <= p,
                    Base::NumericGreaterThan => v > p,
                    _ => v >= p,
                }
            }
            Base::DateEquals
            | Base::DateLessThan
            | Base::DateLessThanEquals
            | Base::DateGreaterThan
            | Base::DateGreaterThanEquals => {
                let (Some(p), Some(v)) = (date(policy), date(value)) else {
                    return false;
                };
                match self.base {
                    Base::DateEquals => v == p,
                    Base::DateLessThan => v < p,
                    Base::DateLessThanEquals => v <= p,
                    Base::DateGreaterThan => v > p,
                    _ => v >= p,
                }
            }
            Base::Bool => policy.eq_ignore_ascii_case(value),
            Base::BinaryEquals => {
                let engine = base64::engine::general_purpose::STANDARD;
                match (engine.decode(policy), engine.decode(value)) {
                    (Ok(p), Ok(v)) => p == v,
                    _ => false,
                }
            }
            Base::IpAddress => {
                let Ok(ip) = value.trim().parse::<IpAddr>() else {
                    return false;
                };
                match policy.trim().parse::<IpNet>() {
                    Ok(net) => net.contains(&ip),
                    Err(_) => policy.trim().parse::<IpAddr>().is_ok_and(|p| p == ip),
                }
            }
            Base::Null => false,
        }
    }
}

/// A condition value's JSON scalar as text (IAM takes `true`, `10` as the strings `"true"`, `"10"`).
fn scalar(v: &Value) -> Result<String, PolicyError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(error("Syntax errors in policy.")),
    }
}

/// ISO 8601 date-time, a date alone, or epoch seconds.
fn date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    text.parse::<i64>()
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
}

/// A policy value with its `${...}` variables replaced, as pattern tokens: the policy's own `*`
/// and `?` stay wildcards, a variable's value is literal, and `${*}`, `${?}`, `${$}` are the literal
/// characters. `None` when a variable has no value in the request and no default
/// (`${aws:username, 'default'}`): such a value matches nothing.
pub fn substitute(policy: &str, context: &Context, variables: bool) -> Option<Vec<Token>> {
    if !variables || !policy.contains("${") {
        return Some(glob::tokens(policy));
    }
    let mut out = Vec::with_capacity(policy.len());
    let mut rest = policy;
    while let Some(start) = rest.find("${") {
        out.extend(glob::tokens(&rest[..start]));
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.extend(glob::tokens(&rest[start..]));
            return Some(out);
        };
        let inner = after[..end].trim();
        match inner {
            "*" | "?" | "$" => out.extend(inner.chars().map(Token::Lit)),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => {
                        let d = d.trim();
                        let d = d
                            .strip_prefix('\'')
                            .and_then(|d| d.strip_suffix('\''))
                            .unwrap_or(d);
                        (k.trim(), Some(d))
                    }
                    None => (inner, None),
                };
                let value = match context.get(key) {
                    Some([one]) => one.as_str(),
                    // A multivalued key is not a policy variable; an absent one takes the default.
                    Some(_) => return None,
                    None => default?,
                };
                out.extend(value.chars().map(Token::Lit));
            }
        }
        rest = &after[end + 1..];
    }
    out.extend(glob::tokens(rest));
    Some(out)
}

/// [`substitute`] as plain text, for the operators that take no wildcards.
fn substituted_text(policy: &str, context: &Context, variables: bool) -> Option<String> {
    if !variables || !policy.contains("${") {
        return Some(policy.to_owned());
    }
    substitute(policy, context, variables).map(|tokens| {
        tokens
            .into_iter()
            .map(|t| match t {
                Token::Lit(c) => c,
                Token::Star => '*',
                Token::One => '?',
            })
            .collect()
    })
}
