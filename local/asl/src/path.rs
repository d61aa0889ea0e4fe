//! JSONPath as Step Functions evaluates it (Jayway semantics), plus reference paths.
//!
//! A path starts with `$` (the state's data), `$$` (the context object) or `$name` (a workflow
//! variable). A *definite* path (only `.name`, `['name']` and `[n]` steps) selects one value and
//! fails when nothing is there; an *indefinite* path (`*`, `..`, slices, unions, filters)
//! selects a list, which may be empty.
//!
//! Reference paths (used by `ResultPath`) are definite paths on `$` and can also create the
//! fields they name.

use std::fmt;

use serde_json::{Map, Value};

/// What a path is evaluated against.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PathRoot {
    /// `$`: the state's data.
    Data,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    /// `.name` or `['name']`.
    Child(String),
    /// `[n]`; negative counts from the end.
    Index(i64),
    /// `.*` or `[*]`.
    Wildcard,
    /// `..name`.
    DeepChild(String),
    /// `..*`.
    DeepWildcard,
    /// `['a','b']`.
    NameUnion(Vec<String>),
    /// `[0,2]`.
    IndexUnion(Vec<i64>),
    /// `[start:end:step]`.
    Slice(Option<i64>, Option<i64>, Option<i64>),
    /// `[?(...)]`.
    Filter(Box<FilterExpr>),
}

/// A filter expression `?(...)` inside brackets.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterExpr {
    /// `a || b || ...`: a flat list, so a long chain is not a deep tree.
    Or(Vec<FilterExpr>),
    /// `a && b && ...`.
    And(Vec<FilterExpr>),
    Not(Box<FilterExpr>),
    /// `@.x` alone: true when the relative path exists (and is not false/null).
    Exists(Vec<Segment>),
    Compare(Operand, CompareOp, Operand),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Relative(Vec<Segment>),
    Absolute(Vec<Segment>),
    Literal(Value),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Jayway's path functions, allowed as the last step (`$.items.length()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathFunction {
    Length,
    Min,
    Max,
    Avg,
    Sum,
    Stddev,
    First,
    Last,
    Keys,
}

impl PathFunction {
    fn from_name(n: &str) -> Option<Self> {
        Some(match n {
            "length()" | "size()" => PathFunction::Length,
            "min()" => PathFunction::Min,
            "max()" => PathFunction::Max,
            "avg()" => PathFunction::Avg,
            "sum()" => PathFunction::Sum,
            "stddev()" => PathFunction::Stddev,
            "first()" => PathFunction::First,
            "last()" => PathFunction::Last,
            "keys()" => PathFunction::Keys,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            PathFunction::Length => "length()",
            PathFunction::Min => "min()",
            PathFunction::Max => "max()",
            PathFunction::Avg => "avg()",
            PathFunction::Sum => "sum()",
            PathFunction::Stddev => "stddev()",
            PathFunction::First => "first()",
            PathFunction::Last => "last()",
            PathFunction::Keys => "keys()",
        }
    }

    fn apply(self, v: Value) -> Option<Value> {
        let nums = |v: &Value| -> Option<Vec<f64>> {
            let a = v.as_array()?;
            if a.is_empty() {
                return None;
            }
            a.iter().map(Value::as_f64).collect()
        };
        let num = |f: f64| serde_json::Number::from_f64(f).map(Value::Number);
        match self {
            PathFunction::Length => match &v {
                Value::Array(a) => Some(Value::from(a.len())),
                Value::Object(m) => Some(Value::from(m.len())),
                Value::String(s) => Some(Value::from(s.chars().count())),
                _ => None,
            },
            PathFunction::Min => num(nums(&v)?.into_iter().fold(f64::INFINITY, f64::min)),
            PathFunction::Max => num(nums(&v)?.into_iter().fold(f64::NEG_INFINITY, f64::max)),
            PathFunction::Sum => num(nums(&v)?.into_iter().sum()),
            PathFunction::Avg => {
                let n = nums(&v)?;
                num(n.iter().sum::<f64>() / n.len() as f64)
            }
            PathFunction::Stddev => {
                let n = nums(&v)?;
                let mean = n.iter().sum::<f64>() / n.len() as f64;
                num((n.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n.len() as f64).sqrt())
            }
            PathFunction::First => v.as_array()?.first().cloned(),
            PathFunction::Last => v.as_array()?.last().cloned(),
            PathFunction::Keys => Some(Value::Array(
                v.as_object()?
                    .keys()
                    .map(|k| Value::String(k.clone()))
                    .collect(),
            )),
        }
    }
}

/// A parsed JSONPath.
#[derive(Clone, Debug)]
pub struct Path {
    root: PathRoot,
    segments: Vec<Segment>,
    function: Option<PathFunction>,
    text: String,
    definite: bool,
}

impl PartialEq for Path {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// A path that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath '{path}': {reason}")]
pub struct PathSyntaxError {
    pub path: String,
    pub reason: String,
}

/// A reference path that cannot be applied (a step meets a non-object, or an index is out of
/// range): `States.ResultPathMatchFailure`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Unable to apply ResultPath {0}")]
pub struct ResultPathMismatch(pub String);

/// A path that parsed but selected nothing where something was required.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathEvalError {
    /// Jayway's message: `No results for path: $['a']['b']`.
    #[error("No results for path: {normalized}")]
    NoResults { normalized: String },
    /// A `$name` reference to a variable that was never assigned.
    #[error("Variable '{name}' is not defined")]
    UndefinedVariable { name: String },
    /// The evaluation selected or visited more than the engine's budget
    /// ([`MAX_PATH_RESULTS`], [`MAX_PATH_VISITS`]).
    #[error(
        "The JSONPath evaluation exceeded {MAX_PATH_RESULTS} results or {MAX_PATH_VISITS} visited values"
    )]
    TooExpensive,
}

impl Path {
    /// Parses a path starting with `$`, `$$` or `$name`.
    pub fn parse(text: &str) -> Result<Path, PathSyntaxError> {
        let err = |reason: &str| PathSyntaxError {
            path: text.to_string(),
            reason: reason.to_string(),
        };
        let rest = text
            .strip_prefix('$')
            .ok_or_else(|| err("must start with '$'"))?;
        let (root, rest) = if let Some(r) = rest.strip_prefix('$') {
            (PathRoot::Context, r)
        } else if rest.starts_with(is_ident_start) {
            let end = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
            let name = &rest[..end];
            if name.chars().count() > 80 {
                return Err(err("variable names are at most 80 characters"));
            }
            (PathRoot::Variable(name.to_string()), &rest[end..])
        } else {
            (PathRoot::Data, rest)
        };
        let mut p = Parser::new(rest);
        let mut segments = p.segments(false).map_err(|r| err(&r))?;
        if !p.at_end() {
            return Err(err("unexpected character"));
        }
        let function = match segments.last() {
            Some(Segment::Child(n)) if n.ends_with("()") => match PathFunction::from_name(n) {
                Some(f) => {
                    segments.pop();
                    Some(f)
                }
                None => return Err(err("unknown path function")),
            },
            _ => None,
        };
        let definite = segments
            .iter()
            .all(|s| matches!(s, Segment::Child(_) | Segment::Index(_)));
        Ok(Path {
            root,
            segments,
            function,
            text: text.to_string(),
            definite,
        })
    }

    /// Parses a reference path (`ResultPath`): `$`-rooted and definite.
    pub fn parse_reference(text: &str) -> Result<Path, PathSyntaxError> {
        let p = Path::parse(text)?;
        if p.root != PathRoot::Data || !p.definite || p.function.is_some() {
            return Err(PathSyntaxError {
                path: text.to_string(),
                reason: "a reference path must be a definite path on '$'".to_string(),
            });
        }
        Ok(p)
    }

    pub fn root(&self) -> &PathRoot {
        &self.root
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when the path selects at most one value (no wildcard, scan, slice, union, filter).
    pub fn is_definite(&self) -> bool {
        self.definite && self.function.is_none()
    }

    /// True for the bare root (`$`, `$$`, `$name`).
    pub fn is_root(&self) -> bool {
        self.segments.is_empty() && self.function.is_none()
    }

    /// Jayway's normalized form, used in AWS's error messages: `$['a'][0]`.
    pub fn normalized(&self) -> String {
        let mut s = match &self.root {
            PathRoot::Data => "$".to_string(),
            PathRoot::Context => "$$".to_string(),
            PathRoot::Variable(n) => format!("${n}"),
        };
        for seg in &self.segments {
            push_normalized(&mut s, seg);
        }
        if let Some(f) = self.function {
            s.push('.');
            s.push_str(f.name());
        }
        s
    }

    /// Evaluates against `root` (the value `$`, `$$` or `$name` denotes).
    ///
    /// Definite paths give the selected value or [`PathEvalError::NoResults`]; indefinite paths
    /// give an array of every match (possibly empty).
    pub fn select(&self, root: &Value) -> Result<Value, PathEvalError> {
        let base = self.select_base(root)?;
        match self.function {
            None => Ok(base),
            Some(f) => f.apply(base).ok_or_else(|| PathEvalError::NoResults {
                normalized: self.normalized(),
            }),
        }
    }

    fn select_base(&self, root: &Value) -> Result<Value, PathEvalError> {
        if self.definite {
            self.select_definite(root)
                .cloned()
                .ok_or_else(|| PathEvalError::NoResults {
                    normalized: self.normalized(),
                })
        } else {
            let out = budgeted(|| {
                let mut out = Vec::new();
                select_all(&self.segments, root, root, &mut out);
                out
            })?;
            Ok(Value::Array(out.into_iter().cloned().collect()))
        }
    }

    /// Definite selection by reference, without cloning.
    pub fn select_definite<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        let mut cur = root;
        for seg in &self.segments {
            cur = match (seg, cur) {
                (Segment::Child(name), Value::Object(m)) => m.get(name)?,
                (Segment::Index(i), Value::Array(a)) => a.get(resolve_index(*i, a.len())?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// True when a definite path names something that exists (used by `IsPresent`).
    pub fn exists(&self, root: &Value) -> bool {
        if self.function.is_some() {
            return self.select(root).is_ok();
        }
        if self.definite {
            self.select_definite(root).is_some()
        } else {
            // Out of budget counts as absent (IsPresent has no error to give).
            budgeted(|| {
                let mut out = Vec::new();
                select_all(&self.segments, root, root, &mut out);
                !out.is_empty()
            })
            .unwrap_or(false)
        }
    }

    /// Writes `value` at this reference path inside `target`, creating missing objects.
    ///
    /// Fails (the caller reports `States.ResultPathMatchFailure`) when a step meets a value
    /// that is not an object (or an array index that is out of range).
    pub fn assign(&self, target: &mut Value, value: Value) -> Result<(), ResultPathMismatch> {
        if self.segments.is_empty() {
            *target = value;
            return Ok(());
        }
        let mut cur = target;
        let last = self.segments.len() - 1;
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Child(name) => {
                    let Value::Object(map) = cur else {
                        return Err(self.mismatch());
                    };
                    if i == last {
                        map.insert(name.clone(), value);
                        return Ok(());
                    }
                    // A missing field is created as an object, which an index step cannot
                    // enter: fail before changing anything (callers rely on a failed
                    // assignment leaving the target untouched).
                    if !map.contains_key(name)
                        && matches!(self.segments.get(i + 1), Some(Segment::Index(_)))
                    {
                        return Err(self.mismatch());
                    }
                    cur = map
                        .entry(name.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
                Segment::Index(idx) => {
                    let Value::Array(arr) = cur else {
                        return Err(self.mismatch());
                    };
                    let Some(pos) = resolve_index(*idx, arr.len()) else {
                        return Err(self.mismatch());
                    };
                    let Some(slot) = arr.get_mut(pos) else {
                        return Err(self.mismatch());
                    };
                    if i == last {
                        *slot = value;
                        return Ok(());
                    }
                    cur = slot;
                }
                _ => return Err(self.mismatch()),
            }
        }
        Ok(())
    }

    fn mismatch(&self) -> ResultPathMismatch {
        ResultPathMismatch(self.text.clone())
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn push_normalized(s: &mut String, seg: &Segment) {
    match seg {
        Segment::Child(n) => {
            s.push_str("['");
            s.push_str(n);
            s.push_str("']");
        }
        Segment::Index(i) => s.push_str(&format!("[{i}]")),
        Segment::Wildcard => s.push_str("[*]"),
        Segment::DeepChild(n) => s.push_str(&format!("..['{n}']")),
        Segment::DeepWildcard => s.push_str("..[*]"),
        Segment::NameUnion(ns) => {
            let parts: Vec<String> = ns.iter().map(|n| format!("'{n}'")).collect();
            s.push_str(&format!("[{}]", parts.join(",")));
        }
        Segment::IndexUnion(is) => {
            let parts: Vec<String> = is.iter().map(|i| i.to_string()).collect();
            s.push_str(&format!("[{}]", parts.join(",")));
        }
        Segment::Slice(a, b, c) => {
            let f = |o: &Option<i64>| o.map(|v| v.to_string()).unwrap_or_default();
            match c {
                Some(_) => s.push_str(&format!("[{}:{}:{}]", f(a), f(b), f(c))),
                None => s.push_str(&format!("[{}:{}]", f(a), f(b))),
            }
        }
        Segment::Filter(_) => s.push_str("[?]"),
    }
}

pub(crate) fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

pub(crate) fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn resolve_index(i: i64, len: usize) -> Option<usize> {
    if i >= 0 {
        let u = usize::try_from(i).ok()?;
        (u < len).then_some(u)
    } else {
        let back = usize::try_from(i.checked_neg()?).ok()?;
        len.checked_sub(back)
    }
}

/// Most values one JSONPath evaluation may select. A larger selection cannot
/// fit a 256 KiB payload (each value takes at least two bytes of a JSON array).
pub const MAX_PATH_RESULTS: usize = 131_072;

/// Most nodes one JSONPath evaluation may visit, filters included. Deep scans
/// chained over deep input (`$..a..a..a`) grow with the product of their
/// matches; past this budget the evaluation stops with an error instead of
/// running for minutes.
pub const MAX_PATH_VISITS: usize = 2_000_000;

thread_local! {
    /// Visits left in the evaluation running on this thread (filters evaluate
    /// nested paths; they share the budget of the path that contains them).
    static VISITS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Whether an evaluation on this thread ran out of budget.
    static EXCEEDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a top-level evaluation with a fresh budget; `Err` when it ran out.
fn budgeted<T>(f: impl FnOnce() -> T) -> Result<T, PathEvalError> {
    let outer = VISITS.with(std::cell::Cell::get);
    let nested = outer > 0;
    if !nested {
        VISITS.with(|v| v.set(MAX_PATH_VISITS));
        EXCEEDED.with(|e| e.set(false));
    }
    let value = f();
    let exceeded = EXCEEDED.with(std::cell::Cell::get);
    if !nested {
        VISITS.with(|v| v.set(0));
        EXCEEDED.with(|e| e.set(false));
    }
    if exceeded {
        Err(PathEvalError::TooExpensive)
    } else {
        Ok(value)
    }
}

/// Takes one visit from the budget; false once it is spent.
fn visit() -> bool {
    VISITS.with(|v| {
        let left = v.get();
        if left <= 1 {
            EXCEEDED.with(|e| e.set(true));
            v.set(1);
            false
        } else {
            v.set(left - 1);
            true
        }
    })
}

/// Every value `segs` selects from `cur`, in document order. Iterative (a
/// path may have any number of segments) and bounded by the visit budget.
fn select_all<'v>(segs: &[Segment], doc_root: &'v Value, cur: &'v Value, out: &mut Vec<&'v Value>) {
    let mut stack: Vec<(usize, &'v Value)> = vec![(0, cur)];
    let mut next: Vec<&'v Value> = Vec::new();
    while let Some((i, cur)) = stack.pop() {
        if !visit() {
            return;
        }
        let Some(seg) = segs.get(i) else {
            if out.len() >= MAX_PATH_RESULTS {
                EXCEEDED.with(|e| e.set(true));
                return;
            }
            out.push(cur);
            continue;
        };
        next.clear();
        match seg {
            Segment::Child(name) => {
                if let Value::Object(m) = cur
                    && let Some(v) = m.get(name)
                {
                    next.push(v);
                }
            }
            Segment::Index(i) => {
                if let Value::Array(a) = cur
                    && let Some(v) = resolve_index(*i, a.len()).and_then(|p| a.get(p))
                {
                    next.push(v);
                }
            }
            Segment::Wildcard => match cur {
                Value::Object(m) => next.extend(m.values()),
                Value::Array(a) => next.extend(a.iter()),
                _ => {}
            },
            Segment::DeepChild(name) => deep_collect(cur, &mut |v| {
                if let Value::Object(m) = v
                    && let Some(x) = m.get(name)
                {
                    next.push(x);
                }
            }),
            Segment::DeepWildcard => deep_collect(cur, &mut |v| match v {
                Value::Object(m) => next.extend(m.values()),
                Value::Array(a) => next.extend(a.iter()),
                _ => {}
            }),
            Segment::NameUnion(names) => {
                if let Value::Object(m) = cur {
                    next.extend(names.iter().filter_map(|n| m.get(n)));
                }
            }
            Segment::IndexUnion(idx) => {
                if let Value::Array(a) = cur {
                    next.extend(
                        idx.iter()
                            .filter_map(|i| resolve_index(*i, a.len()).and_then(|p| a.get(p))),
                    );
                }
            }
            Segment::Slice(start, end, step) => {
                if let Value::Array(a) = cur {
                    next.extend(
                        slice_positions(a.len(), *start, *end, *step)
                            .into_iter()
                            .filter_map(|p| a.get(p)),
                    );
                }
            }
            Segment::Filter(expr) => {
                let items: Vec<&Value> = match cur {
                    Value::Array(a) => a.iter().collect(),
                    Value::Object(m) => m.values().collect(),
                    _ => Vec::new(),
                };
                for v in items {
                    if filter_matches(expr, doc_root, v) {
                        next.push(v);
                    }
                    if EXCEEDED.with(std::cell::Cell::get) {
                        return;
                    }
                }
            }
        }
        // Reversed, so the first match is popped (and reported) first.
        stack.extend(next.drain(..).rev().map(|v| (i + 1, v)));
    }
}

/// Visits `v` and every value below it, parents before children, iteratively
/// and within the visit budget.
fn deep_collect<'v>(v: &'v Value, f: &mut dyn FnMut(&'v Value)) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        if !visit() {
            return;
        }
        f(v);
        match v {
            Value::Object(m) => stack.extend(m.values().rev()),
            Value::Array(a) => stack.extend(a.iter().rev()),
            _ => {}
        }
    }
}

fn slice_positions(
    len: usize,
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
) -> Vec<usize> {
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let step = step.unwrap_or(1);
    if step == 0 {
        return Vec::new();
    }
    let norm = |v: i64| {
        if v < 0 {
            (len_i + v).max(0)
        } else {
            v.min(len_i)
        }
    };
    let mut out = Vec::new();
    if step > 0 {
        let s = norm(start.unwrap_or(0));
        let e = norm(end.unwrap_or(len_i));
        let mut i = s;
        while i < e {
            out.push(i as usize);
            i = i.saturating_add(step);
        }
    } else {
        let s = start.map(norm).unwrap_or(len_i - 1).min(len_i - 1);
        let e = end.map(norm).unwrap_or(-1);
        let mut i = s;
        while i > e && i >= 0 {
            out.push(i as usize);
            i = i.saturating_add(step);
        }
    }
    out
}

fn filter_matches(expr: &FilterExpr, doc_root: &Value, item: &Value) -> bool {
    match expr {
        FilterExpr::Or(terms) => terms.iter().any(|t| filter_matches(t, doc_root, item)),
        FilterExpr::And(terms) => terms.iter().all(|t| filter_matches(t, doc_root, item)),
        FilterExpr::Not(a) => !filter_matches(a, doc_root, item),
        FilterExpr::Exists(segs) => {
            let mut out = Vec::new();
            select_all(segs, doc_root, item, &mut out);
            !out.is_empty()
        }
        FilterExpr::Compare(l, op, r) => {
            let (Some(l), Some(r)) = (
                operand_value(l, doc_root, item),
                operand_value(r, doc_root, item),
            ) else {
                return false;
            };
            compare_values(&l, *op, &r)
        }
    }
}

fn operand_value(o: &Operand, doc_root: &Value, item: &Value) -> Option<Value> {
    let (segs, base) = match o {
        Operand::Literal(v) => return Some(v.clone()),
        Operand::Relative(s) => (s, item),
        Operand::Absolute(s) => (s, doc_root),
    };
    let mut out = Vec::new();
    select_all(segs, doc_root, base, &mut out);
    let definite = segs
        .iter()
        .all(|s| matches!(s, Segment::Child(_) | Segment::Index(_)));
    if definite {
        out.first().map(|v| (*v).clone())
    } else {
        Some(Value::Array(out.into_iter().cloned().collect()))
    }
}

fn compare_values(l: &Value, op: CompareOp, r: &Value) -> bool {
    use std::cmp::Ordering;
    let ord = match (l, r) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ => None,
    };
    match op {
        CompareOp::Eq => ord == Some(Ordering::Equal) || (ord.is_none() && l == r),
        CompareOp::Ne => !(ord == Some(Ordering::Equal) || (ord.is_none() && l == r)),
        CompareOp::Lt => ord == Some(Ordering::Less),
        CompareOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => ord == Some(Ordering::Greater),
        CompareOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    }
}

/// Hand-written recursive-descent parser over the text after the root.
struct Parser<'a> {
    s: &'a str,
    pos: usize,
    /// Nesting of filters / parentheses / negations, bounded so that no input can exhaust the stack.
    depth: usize,
}

const MAX_FILTER_DEPTH: usize = 32;

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Self {
        Parser {
            s,
            pos: 0,
            depth: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    /// Reads segments. In a filter (`in_filter`), names stop at operators and spaces.
    fn segments(&mut self, in_filter: bool) -> Result<Vec<Segment>, String> {
        let mut segs = Vec::new();
        loop {
            match self.peek() {
                Some('.') => {
                    self.pos += 1;
                    if self.eat('.') {
                        if self.eat('*') {
                            segs.push(Segment::DeepWildcard);
                        } else if self.peek() == Some('[') {
                            // `..['name']` / `..[*]`
                            let seg = self.bracket()?;
                            segs.push(match seg {
                                Segment::Child(n) => Segment::DeepChild(n),
                                Segment::Wildcard => Segment::DeepWildcard,
                                _ => return Err("unsupported deep scan".into()),
                            });
                        } else {
                            let name = self.dot_name(in_filter)?;
                            segs.push(Segment::DeepChild(name));
                        }
                    } else if self.eat('*') {
                        segs.push(Segment::Wildcard);
                    } else if self.peek() == Some('[') {
                        // Jayway tolerates `$.[0]` and `$.['a']`.
                        segs.push(self.bracket()?);
                    } else {
                        let name = self.dot_name(in_filter)?;
                        segs.push(Segment::Child(name));
                    }
                }
                Some('[') => {
                    let seg = self.bracket()?;
                    segs.push(seg);
                }
                _ => break,
            }
        }
        Ok(segs)
    }

    fn dot_name(&mut self, in_filter: bool) -> Result<String, String> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            let stop = c == '.'
                || c == '['
                || c == ']'
                || (in_filter
                    && (c.is_whitespace()
                        || matches!(c, ')' | '=' | '!' | '<' | '>' | '&' | '|' | ']')));
            if stop {
                break;
            }
            self.pos += c.len_utf8();
        }
        if self.pos == start {
            return Err("empty field name".into());
        }
        Ok(self.s[start..self.pos].to_string())
    }

    fn bracket(&mut self) -> Result<Segment, String> {
        // at '['
        self.pos += 1;
        self.skip_ws();
        let seg = match self.peek() {
            Some('*') => {
                self.pos += 1;
                Segment::Wildcard
            }
            Some('\'') | Some('"') => {
                let mut names = vec![self.quoted()?];
                self.skip_ws();
                while self.eat(',') {
                    self.skip_ws();
                    names.push(self.quoted()?);
                    self.skip_ws();
                }
                if names.len() == 1 {
                    Segment::Child(names.remove(0))
                } else {
                    Segment::NameUnion(names)
                }
            }
            Some('?') => {
                self.pos += 1;
                self.skip_ws();
                if !self.eat('(') {
                    return Err("expected '(' after '?'".into());
                }
                let e = self.filter_or()?;
                self.skip_ws();
                if !self.eat(')') {
                    return Err("expected ')' closing the filter".into());
                }
                Segment::Filter(Box::new(e))
            }
            Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => self.index_or_slice()?,
            _ => return Err("unexpected character in brackets".into()),
        };
        self.skip_ws();
        if !self.eat(']') {
            return Err("expected ']'".into());
        }
        Ok(seg)
    }

    fn quoted(&mut self) -> Result<String, String> {
        let q = match self.peek() {
            Some(q @ ('\'' | '"')) => q,
            _ => return Err("expected a quoted name".into()),
        };
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err("unterminated quoted name".into());
            };
            self.pos += c.len_utf8();
            if c == '\\' {
                let Some(n) = self.peek() else {
                    return Err("unterminated escape".into());
                };
                self.pos += n.len_utf8();
                out.push(n);
            } else if c == q {
                return Ok(out);
            } else {
                out.push(c);
            }
        }
    }

    fn int(&mut self) -> Result<Option<i64>, String> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let t = &self.s[start..self.pos];
        self.skip_ws();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse::<i64>()
            .map(Some)
            .map_err(|_| "invalid integer".into())
    }

    fn index_or_slice(&mut self) -> Result<Segment, String> {
        let first = self.int()?;
        if self.peek() == Some(':') {
            self.pos += 1;
            let end = self.int()?;
            let step = if self.eat(':') { self.int()? } else { None };
            return Ok(Segment::Slice(first, end, step));
        }
        let Some(first) = first else {
            return Err("expected an index".into());
        };
        if self.peek() == Some(',') {
            let mut all = vec![first];
            while self.eat(',') {
                match self.int()? {
                    Some(i) => all.push(i),
                    None => return Err("expected an index".into()),
                }
            }
            return Ok(Segment::IndexUnion(all));
        }
        Ok(Segment::Index(first))
    }

    fn filter_or(&mut self) -> Result<FilterExpr, String> {
        let mut terms = vec![self.filter_and()?];
        loop {
            self.skip_ws();
            if self.s[self.pos..].starts_with("||") {
                self.pos += 2;
                terms.push(self.filter_and()?);
            } else if terms.len() == 1 {
                return Ok(terms.remove(0));
            } else {
                return Ok(FilterExpr::Or(terms));
            }
        }
    }

    fn filter_and(&mut self) -> Result<FilterExpr, String> {
        let mut terms = vec![self.filter_unary()?];
        loop {
            self.skip_ws();
            if self.s[self.pos..].starts_with("&&") {
                self.pos += 2;
                terms.push(self.filter_unary()?);
            } else if terms.len() == 1 {
                return Ok(terms.remove(0));
            } else {
                return Ok(FilterExpr::And(terms));
            }
        }
    }

    fn filter_unary(&mut self) -> Result<FilterExpr, String> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err("filter expression nested too deeply".into());
        }
        let r = self.filter_unary_inner();
        self.depth -= 1;
        r
    }

    fn filter_unary_inner(&mut self) -> Result<FilterExpr, String> {
        self.skip_ws();
        if self.s[self.pos..].starts_with('!') && !self.s[self.pos..].starts_with("!=") {
            self.pos += 1;
            return Ok(FilterExpr::Not(Box::new(self.filter_unary()?)));
        }
        if self.eat('(') {
            let e = self.filter_or()?;
            self.skip_ws();
            if !self.eat(')') {
                return Err("expected ')'".into());
            }
            return Ok(e);
        }
        let left = self.operand()?;
        self.skip_ws();
        let rest = &self.s[self.pos..];
        let op = [
            ("==", CompareOp::Eq),
            ("!=", CompareOp::Ne),
            ("<=", CompareOp::Le),
            (">=", CompareOp::Ge),
            ("<", CompareOp::Lt),
            (">", CompareOp::Gt),
        ]
        .into_iter()
        .find(|(t, _)| rest.starts_with(t));
        match op {
            Some((t, op)) => {
                self.pos += t.len();
                let right = self.operand()?;
                Ok(FilterExpr::Compare(left, op, right))
            }
            None => match left {
                Operand::Relative(s) | Operand::Absolute(s) => Ok(FilterExpr::Exists(s)),
                Operand::Literal(_) => Err("a filter needs a comparison".into()),
            },
        }
    }

    fn operand(&mut self) -> Result<Operand, String> {
        self.skip_ws();
        match self.peek() {
            Some('@') => {
                self.pos += 1;
                Ok(Operand::Relative(self.segments(true)?))
            }
            Some('$') => {
                self.pos += 1;
                Ok(Operand::Absolute(self.segments(true)?))
            }
            Some('\'') | Some('"') => Ok(Operand::Literal(Value::String(self.quoted()?))),
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let start = self.pos;
                self.pos += c.len_utf8();
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
                {
                    self.pos += 1;
                }
                let t = &self.s[start..self.pos];
                serde_json::from_str::<Value>(t)
                    .ok()
                    .filter(Value::is_number)
                    .map(Operand::Literal)
                    .ok_or_else(|| "invalid number".into())
            }
            _ => {
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.s[self.pos..].starts_with(word) {
                        self.pos += word.len();
                        return Ok(Operand::Literal(v));
                    }
                }
                Err("invalid filter operand".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalized_form() {
        let p = Path::parse("$.a.b[0]['c d']").unwrap();
        assert_eq!(p.normalized(), "$['a']['b'][0]['c d']");
    }

    #[test]
    fn slices() {
        let v = json!([0, 1, 2, 3, 4]);
        let p = Path::parse("$[1:3]").unwrap();
        assert_eq!(p.select(&v).unwrap(), json!([1, 2]));
        let p = Path::parse("$[-2:]").unwrap();
        assert_eq!(p.select(&v).unwrap(), json!([3, 4]));
        let p = Path::parse("$[::2]").unwrap();
        assert_eq!(p.select(&v).unwrap(), json!([0, 2, 4]));
    }
}
