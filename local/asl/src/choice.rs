//! Choice rules: comparison operators, their `...Path` forms, `And` / `Or` / `Not`, and the
//! type tests (`IsPresent`, `IsNull`, ...), evaluated as the States Language specification says
//! (a comparison between values of different types is simply false).

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::eval::Env;
use crate::path::{Path, PathEvalError};
use crate::template::Template;

/// A comparison operator, without its `Path` suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

/// The kind of literal an operator compares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperandKind {
    String,
    Number,
    Boolean,
    Timestamp,
}

pub const OPERATORS: &[(&str, Op)] = &[
    ("StringEquals", Op::StringEquals),
    ("StringLessThan", Op::StringLessThan),
    ("StringGreaterThan", Op::StringGreaterThan),
    ("StringLessThanEquals", Op::StringLessThanEquals),
    ("StringGreaterThanEquals", Op::StringGreaterThanEquals),
    ("StringMatches", Op::StringMatches),
    ("NumericEquals", Op::NumericEquals),
    ("NumericLessThan", Op::NumericLessThan),
    ("NumericGreaterThan", Op::NumericGreaterThan),
    ("NumericLessThanEquals", Op::NumericLessThanEquals),
    ("NumericGreaterThanEquals", Op::NumericGreaterThanEquals),
    ("BooleanEquals", Op::BooleanEquals),
    ("TimestampEquals", Op::TimestampEquals),
    ("TimestampLessThan", Op::TimestampLessThan),
    ("TimestampGreaterThan", Op::TimestampGreaterThan),
    ("TimestampLessThanEquals", Op::TimestampLessThanEquals),
    ("TimestampGreaterThanEquals", Op::TimestampGreaterThanEquals),
    ("IsNull", Op::IsNull),
    ("IsPresent", Op::IsPresent),
    ("IsNumeric", Op::IsNumeric),
    ("IsString", Op::IsString),
    ("IsBoolean", Op::IsBoolean),
    ("IsTimestamp", Op::IsTimestamp),
];

impl Op {
    /// Operand kind; the type tests take a boolean literal.
    pub fn operand_kind(self) -> OperandKind {
        use Op::*;
        match self {
            StringEquals
            | StringLessThan
            | StringGreaterThan
            | StringLessThanEquals
            | StringGreaterThanEquals
            | StringMatches => OperandKind::String,
            NumericEquals
            | NumericLessThan
            | NumericGreaterThan
            | NumericLessThanEquals
            | NumericGreaterThanEquals => OperandKind::Number,
            TimestampEquals
            | TimestampLessThan
            | TimestampGreaterThan
            | TimestampLessThanEquals
            | TimestampGreaterThanEquals => OperandKind::Timestamp,
            BooleanEquals | IsNull | IsPresent | IsNumeric | IsString | IsBoolean | IsTimestamp => {
                OperandKind::Boolean
            }
        }
    }

    /// True for operators that have a `...Path` variant.
    pub fn has_path_form(self) -> bool {
        !matches!(
            self,
            Op::StringMatches
                | Op::IsNull
                | Op::IsPresent
                | Op::IsNumeric
                | Op::IsString
                | Op::IsBoolean
                | Op::IsTimestamp
        )
    }
}

/// The right-hand side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Literal(Value),
    Path(Path),
}

/// A Boolean expression of a Choice rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Compare {
        variable: Path,
        op: Op,
        operand: Operand,
    },
}

/// A top-level Choice rule.
#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceRule {
    pub condition: Condition,
    /// Index of the target state in the enclosing state machine.
    pub next: usize,
    pub assign: Option<Template>,
}

/// A run-time failure while evaluating a rule (`States.Runtime`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Invalid path '{path}': The choice state's condition path references an invalid value.")]
pub struct ChoiceError {
    pub path: String,
}

impl Condition {
    /// Evaluates the condition.
    pub fn eval(&self, env: &Env<'_>) -> Result<bool, ChoiceError> {
        match self {
            Condition::And(cs) => {
                for c in cs {
                    if !c.eval(env)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Condition::Or(cs) => {
                for c in cs {
                    if c.eval(env)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Condition::Not(c) => Ok(!c.eval(env)?),
            Condition::Compare {
                variable,
                op,
                operand,
            } => {
                if *op == Op::IsPresent {
                    let want = operand_bool(operand);
                    return Ok(env.exists(variable) == want);
                }
                let value = match env.resolve(variable) {
                    Ok(v) => v,
                    Err(
                        PathEvalError::NoResults { .. }
                        | PathEvalError::UndefinedVariable { .. }
                        | PathEvalError::TooExpensive,
                    ) => {
                        return Err(ChoiceError {
                            path: variable.text().to_string(),
                        });
                    }
                };
                let rhs = match operand {
                    Operand::Literal(v) => v.clone(),
                    Operand::Path(p) => env.resolve(p).map_err(|_| ChoiceError {
                        path: p.text().to_string(),
                    })?,
                };
                Ok(compare(*op, &value, &rhs))
            }
        }
    }
}

fn operand_bool(o: &Operand) -> bool {
    matches!(o, Operand::Literal(Value::Bool(true)))
}

/// Applies one operator.
pub fn compare(op: Op, value: &Value, rhs: &Value) -> bool {
    use Op::*;
    let want = rhs.as_bool() == Some(true);
    match op {
        IsNull => value.is_null() == want,
        IsNumeric => value.is_number() == want,
        IsString => value.is_string() == want,
        IsBoolean => value.is_boolean() == want,
        IsTimestamp => value.as_str().and_then(parse_timestamp).is_some() == want,
        IsPresent => want,
        StringMatches => match (value.as_str(), rhs.as_str()) {
            (Some(v), Some(p)) => string_matches(v, p),
            _ => false,
        },
        StringEquals
        | StringLessThan
        | StringGreaterThan
        | StringLessThanEquals
        | StringGreaterThanEquals => match (value.as_str(), rhs.as_str()) {
            (Some(a), Some(b)) => ordering_holds(op, utf16_cmp(a, b)),
            _ => false,
        },
        NumericEquals
        | NumericLessThan
        | NumericGreaterThan
        | NumericLessThanEquals
        | NumericGreaterThanEquals => match (value, rhs) {
            (Value::Number(a), Value::Number(b)) => {
                let ord = match (a.as_i64(), b.as_i64()) {
                    (Some(x), Some(y)) => Some(x.cmp(&y)),
                    _ => a
                        .as_f64()
                        .zip(b.as_f64())
                        .and_then(|(x, y)| x.partial_cmp(&y)),
                };
                ord.is_some_and(|o| ordering_holds(op, o))
            }
            _ => false,
        },
        BooleanEquals => match (value, rhs) {
            (Value::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        },
        TimestampEquals
        | TimestampLessThan
        | TimestampGreaterThan
        | TimestampLessThanEquals
        | TimestampGreaterThanEquals => {
            match (
                value.as_str().and_then(parse_timestamp),
                rhs.as_str().and_then(parse_timestamp),
            ) {
                (Some(a), Some(b)) => ordering_holds(op, a.cmp(&b)),
                _ => false,
            }
        }
    }
}

fn ordering_holds(op: Op, o: Ordering) -> bool {
    use Op::*;
    match op {
        StringEquals | NumericEquals | TimestampEquals => o == Ordering::Equal,
        StringLessThan | NumericLessThan | TimestampLessThan => o == Ordering::Less,
        StringGreaterThan | NumericGreaterThan | TimestampGreaterThan => o == Ordering::Greater,
        StringLessThanEquals | NumericLessThanEquals | TimestampLessThanEquals => {
            o != Ordering::Greater
        }
        StringGreaterThanEquals | NumericGreaterThanEquals | TimestampGreaterThanEquals => {
            o != Ordering::Less
        }
        _ => false,
    }
}

/// Java's `String.compareTo` order (UTF-16 code units), which Step Functions uses.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Parses a timestamp as the spec requires: RFC 3339 with an uppercase `T` separator and an
/// uppercase `Z` or a numeric offset.
pub fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    let bytes = s.as_bytes();
    if bytes.len() < 20 || bytes.get(10) != Some(&b'T') || s.contains('z') || s.contains('t') {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literal.
pub fn string_matches(value: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Ch(char),
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(n) => toks.push(Tok::Ch(n)),
                None => toks.push(Tok::Ch('\\')),
            },
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Ch(c)),
        }
    }
    let v: Vec<char> = value.chars().collect();
    // Iterative wildcard match with backtracking to the last star.
    let (mut vi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match toks.get(ti) {
            Some(Tok::Ch(c)) if *c == v[vi] => {
                vi += 1;
                ti += 1;
            }
            Some(Tok::Star) => {
                star = Some((ti, vi));
                ti += 1;
            }
            _ => match star {
                Some((st, sv)) => {
                    ti = st + 1;
                    vi = sv + 1;
                    star = Some((st, sv + 1));
                }
                None => return false,
            },
        }
    }
    while toks.get(ti) == Some(&Tok::Star) {
        ti += 1;
    }
    ti == toks.len()
}
