//! Intrinsic functions (`States.Format(...)` and friends) in JSONPath payload templates.
//!
//! Parsed once when the definition is loaded (so arity and syntax errors are definition errors),
//! evaluated per state with the argument rules of the Step Functions developer guide; a bad
//! argument at run time is reported as `States.IntrinsicFailure`.

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::path::Path;

/// One intrinsic function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Func {
    fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "States.Format" => Func::Format,
            "States.StringToJson" => Func::StringToJson,
            "States.JsonToString" => Func::JsonToString,
            "States.Array" => Func::Array,
            "States.ArrayPartition" => Func::ArrayPartition,
            "States.ArrayContains" => Func::ArrayContains,
            "States.ArrayRange" => Func::ArrayRange,
            "States.ArrayGetItem" => Func::ArrayGetItem,
            "States.ArrayLength" => Func::ArrayLength,
            "States.ArrayUnique" => Func::ArrayUnique,
            "States.Base64Encode" => Func::Base64Encode,
            "States.Base64Decode" => Func::Base64Decode,
            "States.Hash" => Func::Hash,
            "States.JsonMerge" => Func::JsonMerge,
            "States.MathRandom" => Func::MathRandom,
            "States.MathAdd" => Func::MathAdd,
            "States.StringSplit" => Func::StringSplit,
            "States.UUID" => Func::Uuid,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Func::Format => "States.Format",
            Func::StringToJson => "States.StringToJson",
            Func::JsonToString => "States.JsonToString",
            Func::Array => "States.Array",
            Func::ArrayPartition => "States.ArrayPartition",
            Func::ArrayContains => "States.ArrayContains",
            Func::ArrayRange => "States.ArrayRange",
            Func::ArrayGetItem => "States.ArrayGetItem",
            Func::ArrayLength => "States.ArrayLength",
            Func::ArrayUnique => "States.ArrayUnique",
            Func::Base64Encode => "States.Base64Encode",
            Func::Base64Decode => "States.Base64Decode",
            Func::Hash => "States.Hash",
            Func::JsonMerge => "States.JsonMerge",
            Func::MathRandom => "States.MathRandom",
            Func::MathAdd => "States.MathAdd",
            Func::StringSplit => "States.StringSplit",
            Func::Uuid => "States.UUID",
        }
    }

    /// (min, max) argument count; `None` max means unbounded.
    fn arity(self) -> (usize, Option<usize>) {
        match self {
            Func::Format => (1, None),
            Func::Array => (0, None),
            Func::StringToJson
            | Func::JsonToString
            | Func::ArrayLength
            | Func::ArrayUnique
            | Func::Base64Encode
            | Func::Base64Decode => (1, Some(1)),
            Func::ArrayPartition
            | Func::ArrayContains
            | Func::ArrayGetItem
            | Func::Hash
            | Func::MathAdd
            | Func::StringSplit => (2, Some(2)),
            Func::ArrayRange | Func::JsonMerge => (3, Some(3)),
            Func::MathRandom => (2, Some(3)),
            Func::Uuid => (0, Some(0)),
        }
    }
}

/// An argument of an intrinsic function.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// A quoted string: `decoded` has escapes resolved, `raw` keeps them (States.Format needs
    /// to tell `\{` from `{`).
    Str {
        raw: String,
        decoded: String,
    },
    Literal(Value),
    Path(Path),
    Call(Box<Intrinsic>),
}

/// A parsed intrinsic function call.
#[derive(Clone, Debug, PartialEq)]
pub struct Intrinsic {
    pub func: Func,
    pub args: Vec<Arg>,
    pub text: String,
}

/// Evaluation failures of an intrinsic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntrinsicError {
    /// An argument broke the function's rules (`States.IntrinsicFailure`).
    #[error("{0}")]
    Failure(String),
    /// A path argument selected nothing.
    #[error("{message}")]
    Path { path: String, message: String },
}

/// What an intrinsic needs from its surroundings.
pub trait IntrinsicEnv {
    /// Resolves a path argument.
    fn resolve(&self, path: &Path) -> Result<Value, IntrinsicError>;
    /// Next deterministic pseudo-random number (seeded per execution).
    fn random_u64(&self) -> u64;
}

impl Intrinsic {
    /// Parses `States.Name(args...)`.
    pub fn parse(text: &str) -> Result<Intrinsic, String> {
        let mut p = ArgParser {
            s: text,
            pos: 0,
            depth: 0,
        };
        let call = p.call()?;
        p.ws();
        if p.pos != text.len() {
            return Err("unexpected text after the closing parenthesis".into());
        }
        Ok(call)
    }

    /// Evaluates the call.
    pub fn eval(&self, env: &dyn IntrinsicEnv) -> Result<Value, IntrinsicError> {
        let mut vals = Vec::with_capacity(self.args.len());
        for a in &self.args {
            vals.push(match a {
                Arg::Str { decoded, .. } => Value::String(decoded.clone()),
                Arg::Literal(v) => v.clone(),
                Arg::Path(p) => env.resolve(p)?,
                Arg::Call(c) => c.eval(env)?,
            });
        }
        let fail = |m: String| Err(IntrinsicError::Failure(m));
        let name = self.func.name();
        // `parse` checks arity; this guards hand-built calls too, so indexing below is safe.
        let (min, max) = self.func.arity();
        if vals.len() < min || max.is_some_and(|m| vals.len() > m) {
            return fail(format!("{name} takes {} argument(s)", arity_text(min, max)));
        }
        match self.func {
            Func::Format => {
                let template: String = match &self.args[0] {
                    Arg::Str { raw, .. } => raw.clone(),
                    _ => match &vals[0] {
                        Value::String(s) => s.clone(),
                        _ => return fail(format!("The first argument of {name} must be a string")),
                    },
                };
                format_template(&template, &vals[1..]).map(Value::String)
            }
            Func::StringToJson => match &vals[0] {
                // Recorded against Step Functions: an empty string is `null`.
                Value::String(s) if s.is_empty() => Ok(Value::Null),
                Value::String(s) => serde_json::from_str::<Value>(s).or_else(|_| {
                    fail(format!(
                        "The argument of {name} must be a valid JSON string"
                    ))
                }),
                _ => fail(format!("The argument of {name} must be a string")),
            },
            Func::JsonToString => Ok(Value::String(vals[0].to_string())),
            Func::Array => Ok(Value::Array(vals)),
            Func::ArrayPartition => {
                let arr = as_array(&vals[0], name, 1)?;
                let size = as_int(&vals[1], name, 2)?;
                if size <= 0 {
                    return fail(format!(
                        "The chunk size argument of {name} must be a positive integer"
                    ));
                }
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                Ok(Value::Array(
                    arr.chunks(size).map(|c| Value::Array(c.to_vec())).collect(),
                ))
            }
            Func::ArrayContains => {
                let arr = as_array(&vals[0], name, 1)?;
                Ok(Value::Bool(arr.iter().any(|v| json_eq(v, &vals[1]))))
            }
            Func::ArrayRange => {
                let start = as_int(&vals[0], name, 1)?;
                let end = as_int(&vals[1], name, 2)?;
                let step = as_int(&vals[2], name, 3)?;
                if step == 0 {
                    return fail(format!("The step argument of {name} must not be zero"));
                }
                let mut out = Vec::new();
                let mut i = start;
                while (step > 0 && i <= end) || (step < 0 && i >= end) {
                    // The developer guide caps the generated array at 1,000 items.
                    if out.len() == 1000 {
                        return fail(format!(
                            "The array generated by {name} has more than 1000 items"
                        ));
                    }
                    out.push(Value::from(i));
                    i = match i.checked_add(step) {
                        Some(n) => n,
                        None => break,
                    };
                }
                Ok(Value::Array(out))
            }
            Func::ArrayGetItem => {
                let arr = as_array(&vals[0], name, 1)?;
                let idx = as_int(&vals[1], name, 2)?;
                usize::try_from(idx)
                    .ok()
                    .and_then(|i| arr.get(i))
                    .cloned()
                    .map_or_else(
                        || {
                            fail(format!(
                                "The index argument of {name} is out of bounds of the array"
                            ))
                        },
                        Ok,
                    )
            }
            Func::ArrayLength => Ok(Value::from(as_array(&vals[0], name, 1)?.len())),
            Func::ArrayUnique => {
                let arr = as_array(&vals[0], name, 1)?;
                let mut out: Vec<Value> = Vec::new();
                for v in arr {
                    if !out.iter().any(|o| json_eq(o, v)) {
                        out.push(v.clone());
                    }
                }
                Ok(Value::Array(out))
            }
            Func::Base64Encode => {
                let s = as_str(&vals[0], name, 1)?;
                if s.chars().count() > 10_000 {
                    return fail(format!("The input of {name} exceeds 10000 characters"));
                }
                Ok(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
                ))
            }
            Func::Base64Decode => {
                let s = as_str(&vals[0], name, 1)?;
                if s.chars().count() > 10_000 {
                    return fail(format!("The input of {name} exceeds 10000 characters"));
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(s.as_bytes())
                    .map_err(|_| {
                        IntrinsicError::Failure(format!("The input of {name} is not valid base64"))
                    })?;
                String::from_utf8(bytes)
                    .map(Value::String)
                    .or_else(|_| fail(format!("The decoded data of {name} is not valid UTF-8")))
            }
            Func::Hash => {
                let data = match &vals[0] {
                    Value::String(s) => s.clone(),
                    Value::Null => {
                        return fail(format!("The data argument of {name} must not be null"));
                    }
                    other => other.to_string(),
                };
                if data.chars().count() > 10_000 {
                    return fail(format!(
                        "The data argument of {name} exceeds 10000 characters"
                    ));
                }
                let algo = as_str(&vals[1], name, 2)?;
                let digest = hash_hex(algo, data.as_bytes()).ok_or_else(|| {
                    IntrinsicError::Failure(format!(
                        "The hash algorithm '{algo}' of {name} is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
                    ))
                })?;
                Ok(Value::String(digest))
            }
            Func::JsonMerge => {
                let (Value::Object(a), Value::Object(b)) = (&vals[0], &vals[1]) else {
                    return fail(format!(
                        "The first two arguments of {name} must be JSON objects"
                    ));
                };
                let Value::Bool(deep) = vals[2] else {
                    return fail(format!("The third argument of {name} must be a boolean"));
                };
                let mut out = a.clone();
                merge(&mut out, b, deep);
                Ok(Value::Object(out))
            }
            Func::MathRandom => {
                // Recorded against Step Functions: non-integer bounds are accepted (rounded as
                // States.MathAdd rounds its arguments).
                let start = as_rounded_int(&vals[0], name, 1)?;
                let end = as_rounded_int(&vals[1], name, 2)?;
                if end <= start {
                    return fail(format!(
                        "The end argument of {name} must be greater than the start argument"
                    ));
                }
                let r = match vals.get(2) {
                    Some(seed) => splitmix64(as_int(seed, name, 3)? as u64),
                    None => env.random_u64(),
                };
                let span = (end as i128 - start as i128) as u128;
                let v = start as i128 + (r as u128 % span) as i128;
                Ok(Value::from(v as i64))
            }
            Func::MathAdd => {
                // Recorded against Step Functions: non-integer arguments are accepted, each rounded
                // as Java's Math.round rounds (half up: 1.5 -> 2, -1.5 -> -1) before the sum.
                let a = as_rounded_int(&vals[0], name, 1)?;
                let b = as_rounded_int(&vals[1], name, 2)?;
                a.checked_add(b)
                    .map(Value::from)
                    .map_or_else(|| fail(format!("The result of {name} overflows")), Ok)
            }
            Func::StringSplit => {
                let s = as_str(&vals[0], name, 1)?;
                let d = as_str(&vals[1], name, 2)?;
                let parts: Vec<Value> = if d.is_empty() {
                    vec![Value::String(s.to_string())]
                } else {
                    s.split(|c: char| d.contains(c))
                        .filter(|p| !p.is_empty())
                        .map(|p| Value::String(p.to_string()))
                        .collect()
                };
                Ok(Value::Array(parts))
            }
            Func::Uuid => Ok(Value::String(uuid_v4(env.random_u64(), env.random_u64()))),
        }
    }
}

fn as_array<'v>(v: &'v Value, f: &str, n: usize) -> Result<&'v Vec<Value>, IntrinsicError> {
    v.as_array()
        .ok_or_else(|| IntrinsicError::Failure(format!("Argument {n} of {f} must be an array")))
}

fn as_str<'v>(v: &'v Value, f: &str, n: usize) -> Result<&'v str, IntrinsicError> {
    v.as_str()
        .ok_or_else(|| IntrinsicError::Failure(format!("Argument {n} of {f} must be a string")))
}

fn as_int(v: &Value, f: &str, n: usize) -> Result<i64, IntrinsicError> {
    let err = || IntrinsicError::Failure(format!("Argument {n} of {f} must be an integer"));
    match v {
        Value::Number(num) => {
            if let Some(i) = num.as_i64() {
                Ok(i)
            } else {
                // 3.0 is an integer value written as a float.
                let f = num.as_f64().ok_or_else(err)?;
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    Ok(f as i64)
                } else {
                    Err(err())
                }
            }
        }
        _ => Err(err()),
    }
}

/// A number rounded as Java's `Math.round(double)` rounds: to the nearest integer, halves up
/// (`floor(x + 0.5)`: 2.5 -> 3, -2.5 -> -2).
fn as_rounded_int(v: &Value, f: &str, n: usize) -> Result<i64, IntrinsicError> {
    let err = || IntrinsicError::Failure(format!("Argument {n} of {f} must be a number"));
    match v {
        Value::Number(num) => match num.as_i64() {
            Some(i) => Ok(i),
            None => {
                let x = num.as_f64().ok_or_else(err)?;
                let r = (x + 0.5).floor();
                // Java saturates at Long's range; beyond it no sum is meaningful.
                if r.abs() < 9.2e18 {
                    Ok(r as i64)
                } else {
                    Err(err())
                }
            }
        },
        _ => Err(err()),
    }
}

/// JSON equality with numbers compared by value (1 == 1.0).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || x.as_f64().zip(y.as_f64()).is_some_and(|(x, y)| x == y)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>, deep: bool) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) if deep => merge(a, b, true),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A value as Java's `toString` writes the object Step Functions holds for it (recorded against the
/// service: an object argument of States.Format is written `{Arg1=1, Arg2=[]}`, as a `Map`; an
/// array as a `List`, `[1, 2]`; strings inside them without quotes).
fn java_text(v: &Value, out: &mut String) {
    // Iterative: the value's depth comes from the execution's input (bounded by the engine's
    // depth limit, but no recursion on it anyway).
    enum Step<'a> {
        Value(&'a Value),
        Text(&'static str),
        Key(&'a str),
    }
    let mut stack = vec![Step::Value(v)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Text(t) => out.push_str(t),
            Step::Key(k) => {
                out.push_str(k);
                out.push('=');
            }
            Step::Value(Value::String(s)) => out.push_str(s),
            Step::Value(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => {
                let _ = write!(out, "{v}");
            }
            Step::Value(Value::Array(items)) => {
                stack.push(Step::Text("]"));
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push(Step::Value(item));
                    if i > 0 {
                        stack.push(Step::Text(", "));
                    }
                }
                stack.push(Step::Text("["));
            }
            Step::Value(Value::Object(map)) => {
                stack.push(Step::Text("}"));
                let entries: Vec<_> = map.iter().collect();
                for (i, (k, item)) in entries.into_iter().enumerate().rev() {
                    stack.push(Step::Value(item));
                    stack.push(Step::Key(k));
                    if i > 0 {
                        stack.push(Step::Text(", "));
                    }
                }
                stack.push(Step::Text("{"));
            }
        }
    }
}

fn format_template(template: &str, args: &[Value]) -> Result<String, IntrinsicError> {
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => out.push(n),
                None => out.push('\\'),
            },
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let Some(v) = args.get(next) else {
                    return Err(IntrinsicError::Failure(
                        "The number of arguments of States.Format does not match the number of placeholders"
                            .into(),
                    ));
                };
                next += 1;
                java_text(v, &mut out);
            }
            _ => out.push(c),
        }
    }
    if next != args.len() {
        return Err(IntrinsicError::Failure(
            "The number of arguments of States.Format does not match the number of placeholders"
                .into(),
        ));
    }
    Ok(out)
}

pub(crate) fn hash_hex(algo: &str, data: &[u8]) -> Option<String> {
    use sha2::Digest as _;
    let bytes: Vec<u8> = match algo {
        "MD5" => md5::Md5::digest(data).to_vec(),
        "SHA-1" => sha1::Sha1::digest(data).to_vec(),
        "SHA-256" => sha2::Sha256::digest(data).to_vec(),
        "SHA-384" => sha2::Sha384::digest(data).to_vec(),
        "SHA-512" => sha2::Sha512::digest(data).to_vec(),
        _ => return None,
    };
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    Some(s)
}

/// splitmix64: a tiny, well-distributed PRNG step (deterministic, no dependency).
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) fn uuid_v4(a: u64, b: u64) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

struct ArgParser<'a> {
    s: &'a str,
    pos: usize,
    /// Nesting of calls, bounded so that no input can exhaust the stack.
    depth: usize,
}

const MAX_CALL_DEPTH: usize = 32;

impl ArgParser<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn call(&mut self) -> Result<Intrinsic, String> {
        self.depth += 1;
        if self.depth > MAX_CALL_DEPTH {
            return Err("intrinsic functions nested too deeply".into());
        }
        let r = self.call_inner();
        self.depth -= 1;
        r
    }

    fn call_inner(&mut self) -> Result<Intrinsic, String> {
        let start = self.pos;
        let open = self.s[self.pos..]
            .find('(')
            .map(|i| i + self.pos)
            .ok_or("expected '('")?;
        let name = self.s[self.pos..open].trim();
        let func =
            Func::from_name(name).ok_or_else(|| format!("unknown intrinsic function '{name}'"))?;
        self.pos = open + 1;
        let mut args = Vec::new();
        self.ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.ws();
                args.push(self.arg()?);
                self.ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err("expected ',' or ')'".into()),
                }
            }
        }
        let (min, max) = func.arity();
        if args.len() < min || max.is_some_and(|m| args.len() > m) {
            return Err(format!(
                "{} takes {} argument(s), got {}",
                func.name(),
                arity_text(min, max),
                args.len()
            ));
        }
        Ok(Intrinsic {
            func,
            args,
            text: self.s[start..self.pos].to_string(),
        })
    }

    fn arg(&mut self) -> Result<Arg, String> {
        match self.peek() {
            Some('\'') => {
                self.pos += 1;
                let mut raw = String::new();
                let mut decoded = String::new();
                loop {
                    let c = self.peek().ok_or("unterminated string")?;
                    self.pos += c.len_utf8();
                    if c == '\\' {
                        let n = self.peek().ok_or("unterminated escape")?;
                        self.pos += n.len_utf8();
                        raw.push('\\');
                        raw.push(n);
                        decoded.push(n);
                    } else if c == '\'' {
                        return Ok(Arg::Str { raw, decoded });
                    } else {
                        raw.push(c);
                        decoded.push(c);
                    }
                }
            }
            Some('$') => {
                let start = self.pos;
                let mut depth = 0i32;
                let mut quote: Option<char> = None;
                while let Some(c) = self.peek() {
                    if let Some(q) = quote {
                        if c == q {
                            quote = None;
                        }
                    } else {
                        match c {
                            '\'' | '"' => quote = Some(c),
                            '[' | '(' => depth += 1,
                            ']' => depth -= 1,
                            ')' if depth == 0 => break,
                            ')' => depth -= 1,
                            ',' if depth == 0 => break,
                            _ => {}
                        }
                    }
                    self.pos += c.len_utf8();
                }
                let text = self.s[start..self.pos].trim_end();
                Path::parse(text).map(Arg::Path).map_err(|e| e.to_string())
            }
            Some('S') if self.s[self.pos..].starts_with("States.") => {
                Ok(Arg::Call(Box::new(self.call()?)))
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                {
                    self.pos += 1;
                }
                serde_json::from_str::<Value>(&self.s[start..self.pos])
                    .ok()
                    .filter(Value::is_number)
                    .map(Arg::Literal)
                    .ok_or_else(|| "invalid number".into())
            }
            _ => {
                for (w, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.s[self.pos..].starts_with(w) {
                        self.pos += w.len();
                        return Ok(Arg::Literal(v));
                    }
                }
                Err("invalid argument".into())
            }
        }
    }
}

fn arity_text(min: usize, max: Option<usize>) -> String {
    match max {
        Some(m) if m == min => m.to_string(),
        Some(m) => format!("{min} to {m}"),
        None => format!("at least {min}"),
    }
}
