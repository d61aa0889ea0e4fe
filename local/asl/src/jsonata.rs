//! JSONata (`"QueryLanguage": "JSONata"`): the engine's own interface to a JSONata evaluator.
//!
//! Nothing else in the crate knows which library evaluates JSONata: a definition compiles each
//! `{% ... %}` string into a [`JsonataExpr`] (a syntax error is a definition error), and a JSON
//! value holding such strings anywhere inside into a [`Query`]; a state evaluates a query in a
//! [`Scope`] (`$states`, the workflow variables, the execution's clock and random source) and gets
//! a value or a [`QueryError`], which the execution reports as `States.QueryEvaluationError`.
//!
//! From the developer guide ("Transforming data with JSONata in Step Functions"): Step Functions
//! runs JSONata 2.0.6 with every built-in function except `$eval` ("use `$parse` instead"), and
//! adds `$partition`, `$range`, `$hash`, `$random([seed])`, `$uuid` and `$parse`. The operators
//! `??` and `?:` came after 2.0.6 and are refused as syntax errors, as 2.0.6 refuses them.
//!
//! Every evaluation is bounded (hardening policy: nothing from outside runs unbounded or
//! overflows the stack): wall-clock time, recursion depth, steps, and the size of the strings,
//! arrays and results it builds; a result nested deeper than [`MAX_VALUE_DEPTH`] is refused like
//! any other value the engine holds.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jlens_core::ast::{FallbackOp, NodeKind};
use jlens_core::{Bindings, Expression, HostFunction, Options};
use serde_json::{Map, Value};

use crate::eval::Variables;
use crate::intrinsic::{hash_hex, splitmix64, uuid_v4};
use crate::limits::{self, MAX_VALUE_DEPTH};

/// Wall-clock budget of one evaluation.
pub const TIMEOUT: Duration = Duration::from_secs(1);
/// Deepest evaluation (nested calls, recursion) of one expression.
pub const MAX_EVAL_DEPTH: usize = 500;
/// Steps (nodes evaluated, functions called) of one evaluation.
pub const MAX_STEPS: u64 = 2_000_000;
/// Largest string, and largest result (as JSON text), one evaluation may build: a few times the
/// 256 KiB payload quota, so that intermediate values can be larger than what a state keeps.
pub const MAX_BUILD_BYTES: usize = 4 << 20;
/// Largest array one evaluation may build.
pub const MAX_ARRAY_ITEMS: usize = 1 << 20;

/// Error code of the failures raised by the functions Step Functions adds (their message is the
/// whole text).
const HOST_CODE: &str = "States";

/// A compiled JSONata expression (the text between `{%` and `%}`).
#[derive(Clone, Debug)]
pub struct JsonataExpr {
    text: String,
    expr: Expression,
    /// `$name`s the expression mentions (variables, functions, `states`).
    names: BTreeSet<String>,
    /// Whether it may read `$states.context` (conservative).
    reads_context: bool,
}

impl PartialEq for JsonataExpr {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// The expression inside `{% ... %}`, when `s` is exactly of that form.
pub fn expression_text(s: &str) -> Option<&str> {
    s.strip_prefix("{%")?.strip_suffix("%}")
}

/// True for a string that is meant as a JSONata expression but is not exactly `{% ... %}`
/// (leading or trailing blanks, a missing `%}`).
pub fn malformed_expression(s: &str) -> bool {
    expression_text(s).is_none() && s.trim_start().starts_with("{%")
}

impl JsonataExpr {
    /// Compiles the text of an expression (without `{%`/`%}`); the error is `CODE: message`.
    pub fn compile(text: &str) -> Result<JsonataExpr, String> {
        JsonataExpr::compile_coded(text).map_err(|e| format!("{}: {}", e.code(), e.message()))
    }

    /// [`JsonataExpr::compile`] with the error as JSONata's (code and message apart).
    fn compile_coded(text: &str) -> Result<JsonataExpr, jlens_core::Error> {
        let text = text.trim();
        let expr = Expression::compile(text)?;
        let mut names = BTreeSet::new();
        let mut refused: Option<&'static str> = None;
        expr.ast().root.walk(&mut |n| match &n.kind {
            NodeKind::Variable { name } => {
                names.insert(name.clone());
            }
            // JSONata 2.0.6 has neither `??` nor `?:`: it reads the second symbol as a unary
            // operator and fails with S0211.
            NodeKind::Fallback { op, .. } if refused.is_none() => {
                refused = Some(match op {
                    FallbackOp::Coalesce => "?",
                    FallbackOp::Default => ":",
                });
            }
            _ => {}
        });
        if let Some(token) = refused {
            return Err(jlens_core::Error::new("S0211").with("token", token));
        }
        Ok(JsonataExpr {
            reads_context: reads_context(text),
            text: text.to_string(),
            expr,
            names,
        })
    }

    /// The expression as written (trimmed), for messages.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// False only when every `$states` in the text is followed by `.input`, `.result` or
/// `.errorOutput`, so the context object need not be built.
fn reads_context(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("$states") {
        let after = &rest[i + "$states".len()..];
        let Some(member) = after.strip_prefix('.') else {
            return true;
        };
        let ident: String = member
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !matches!(ident.as_str(), "input" | "result" | "errorOutput") {
            return true;
        }
        rest = after;
    }
    false
}

/// A JSON value whose strings may be `{% ... %}` expressions, at any depth (`Arguments`,
/// `Output`, `Assign`, `ItemSelector`, `Items`, `Condition`, `Seconds`, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    node: Node,
    names: BTreeSet<String>,
    reads_context: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Literal(Value),
    Expr { field: String, expr: JsonataExpr },
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
}

/// Why a query failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// `States.QueryEvaluationError` with this text (after the state prefix).
    Evaluation(String),
    /// The value is nested deeper than [`MAX_VALUE_DEPTH`] (`States.DataLimitExceeded`).
    TooDeep,
}

impl Query {
    /// Compiles `value`; `field` names it in run-time errors (`Output`, `Choices[0]/Condition`),
    /// `loc` locates it in definition errors. Problems are (location, message) pairs.
    pub fn compile(
        value: &Value,
        field: &str,
        loc: &str,
        problems: &mut Vec<(String, String)>,
    ) -> Query {
        let mut names = BTreeSet::new();
        let mut reads_context = false;
        let node = compile_node(value, field, loc, problems, &mut names, &mut reads_context);
        Query {
            node,
            names,
            reads_context,
        }
    }

    /// The value when it holds no expression.
    pub fn literal(&self) -> Option<&Value> {
        match &self.node {
            Node::Literal(v) => Some(v),
            _ => None,
        }
    }

    /// Whether evaluating it may read `$states.context`.
    pub fn reads_context(&self) -> bool {
        self.reads_context
    }

    /// Evaluates every expression in it; an expression that gives nothing (undefined) is an
    /// error, wherever it is.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<Value, QueryError> {
        if let Node::Literal(v) = &self.node {
            return Ok(v.clone());
        }
        let rng = Arc::new(AtomicU64::new(scope.rng.get()));
        let bindings = self.bindings(scope, &rng);
        let options = options(scope.now_millis, scope.rng.get());
        let out = eval_node(&self.node, &bindings, &options);
        scope.rng.set(rng.load(Ordering::Relaxed));
        let v = out?;
        if limits::depth(&v) > MAX_VALUE_DEPTH {
            limits::drop_deep(v);
            return Err(QueryError::TooDeep);
        }
        Ok(v)
    }

    fn bindings(&self, scope: &Scope<'_>, rng: &Arc<AtomicU64>) -> Bindings {
        let mut b = Bindings::new();
        for name in &self.names {
            if name == "states" {
                continue;
            }
            if let Some(v) = scope.variables.get(name) {
                b = b.var(name.clone(), v.clone());
            }
        }
        b = bind_functions(b, &self.names, rng);
        if self.names.contains("states") {
            let mut states = Map::new();
            states.insert("input".into(), scope.input.clone());
            if let Some(r) = scope.result {
                states.insert("result".into(), r.clone());
            }
            if let Some(e) = scope.error_output {
                states.insert("errorOutput".into(), e.clone());
            }
            if self.reads_context {
                states.insert("context".into(), (scope.context)());
            }
            b = b.var("states", Value::Object(states));
        }
        b
    }
}

/// The limits, clock and seed of one evaluation.
fn options(now_millis: i64, rng: u64) -> Options {
    Options::new()
        .timeout(TIMEOUT)
        .max_depth(MAX_EVAL_DEPTH)
        .max_steps(MAX_STEPS)
        .max_string_length(MAX_BUILD_BYTES)
        .max_array_length(MAX_ARRAY_ITEMS)
        .max_result_size(MAX_BUILD_BYTES)
        .now(now_millis)
        .seed(splitmix64(rng ^ 0x5eed_5eed_5eed_5eed))
}

/// Binds the functions Step Functions adds (those the expression names) over JSONata's own.
fn bind_functions(mut b: Bindings, names: &BTreeSet<String>, rng: &Arc<AtomicU64>) -> Bindings {
    let f = functions();
    for (name, func) in [
        ("partition", &f.partition),
        ("range", &f.range),
        ("hash", &f.hash),
        ("parse", &f.parse),
        ("eval", &f.eval),
    ] {
        if names.contains(name) {
            b = b.function(name, func.clone());
        }
    }
    if names.contains("random") {
        b = b.function("random", random_function(Arc::clone(rng)));
    }
    if names.contains("uuid") {
        b = b.function("uuid", uuid_function(Arc::clone(rng)));
    }
    b
}

/// Evaluates one expression (the text between `{%` and `%}`) against `input` as its context
/// (`$`), outside any state: the same compilation (`??`/`?:` refused), limits and functions as
/// a state's expressions, with `$states` and every workflow variable unbound, `$now()` at the
/// current time and a fixed random seed. `Ok(None)` is undefined; an error is JSONata's
/// `(code, message)` (`States` for the functions Step Functions adds, `States.DataLimitExceeded`
/// for a result nested deeper than [`MAX_VALUE_DEPTH`]). For differential tests against the
/// reference implementation.
pub fn evaluate_standalone(expr: &str, input: &Value) -> Result<Option<Value>, (String, String)> {
    let coded = |e: jlens_core::Error| (e.code().to_string(), e.message());
    let compiled = JsonataExpr::compile_coded(expr).map_err(coded)?;
    let seed = 7;
    let rng = Arc::new(AtomicU64::new(seed));
    let bindings = bind_functions(Bindings::new(), &compiled.names, &rng);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let v = compiled
        .expr
        .evaluate_with(Some(input), &bindings, &options(now, seed))
        .map_err(coded)?;
    if let Some(v) = &v
        && limits::depth(v) > MAX_VALUE_DEPTH
    {
        return Err((
            "States.DataLimitExceeded".to_string(),
            format!("The result is nested deeper than {MAX_VALUE_DEPTH} levels"),
        ));
    }
    Ok(v)
}

fn compile_node(
    value: &Value,
    field: &str,
    loc: &str,
    problems: &mut Vec<(String, String)>,
    names: &mut BTreeSet<String>,
    reads_ctx: &mut bool,
) -> Node {
    match value {
        Value::String(s) => {
            if let Some(text) = expression_text(s) {
                match JsonataExpr::compile(text) {
                    Ok(expr) => {
                        names.extend(expr.names.iter().cloned());
                        *reads_ctx |= expr.reads_context;
                        Node::Expr {
                            field: field.to_string(),
                            expr,
                        }
                    }
                    Err(e) => {
                        problems.push((
                            loc.to_string(),
                            format!(
                                "The value for the field '{}' must be a valid JSONata expression: {e}",
                                field_leaf(field)
                            ),
                        ));
                        Node::Literal(Value::Null)
                    }
                }
            } else if malformed_expression(s) {
                problems.push((
                    loc.to_string(),
                    format!(
                        "The value for the field '{}' must be a JSONata expression of the form '{{% expression %}}' (without leading or trailing characters)",
                        field_leaf(field)
                    ),
                ));
                Node::Literal(Value::Null)
            } else {
                Node::Literal(value.clone())
            }
        }
        Value::Object(m) => {
            let fields: Vec<(String, Node)> = m
                .iter()
                .map(|(k, v)| {
                    let child = compile_node(
                        v,
                        &format!("{field}/{k}"),
                        &format!("{loc}/{k}"),
                        problems,
                        names,
                        reads_ctx,
                    );
                    (k.clone(), child)
                })
                .collect();
            if fields.iter().all(|(_, n)| matches!(n, Node::Literal(_))) {
                Node::Literal(value.clone())
            } else {
                Node::Object(fields)
            }
        }
        Value::Array(a) => {
            let items: Vec<Node> = a
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    compile_node(
                        v,
                        &format!("{field}[{i}]"),
                        &format!("{loc}[{i}]"),
                        problems,
                        names,
                        reads_ctx,
                    )
                })
                .collect();
            if items.iter().all(|n| matches!(n, Node::Literal(_))) {
                Node::Literal(value.clone())
            } else {
                Node::Array(items)
            }
        }
        other => Node::Literal(other.clone()),
    }
}

/// `Output/a/b[0]` -> `b[0]`: the key a definition error names.
fn field_leaf(field: &str) -> &str {
    field.rsplit('/').next().unwrap_or(field)
}

fn eval_node(node: &Node, bindings: &Bindings, options: &Options) -> Result<Value, QueryError> {
    match node {
        Node::Literal(v) => Ok(v.clone()),
        Node::Object(fields) => {
            let mut out = Map::with_capacity(fields.len());
            for (k, n) in fields {
                out.insert(k.clone(), eval_node(n, bindings, options)?);
            }
            Ok(Value::Object(out))
        }
        Node::Array(items) => items
            .iter()
            .map(|n| eval_node(n, bindings, options))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Node::Expr { field, expr } => {
            match expr.expr.evaluate_with(None, bindings, options) {
                Ok(Some(v)) => Ok(v),
                // Cause recorded from Step Functions (an execution's error output):
                // "The JSONata expression '$states.input.pushLocation' specified for the field
                // 'Arguments/Input/pushLocation' returned nothing (undefined)."
                Ok(None) => Err(QueryError::Evaluation(format!(
                    "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
                    expr.text
                ))),
                Err(e) => {
                    let detail = if e.code() == HOST_CODE {
                        e.message()
                    } else {
                        format!("{}: {}", e.code(), e.message())
                    };
                    // Same sentence as above for a failure; the JSONata error follows as
                    // `CODE: message` (the code and message of jsonata-js).
                    Err(QueryError::Evaluation(format!(
                        "The JSONata expression '{}' specified for the field '{field}' threw an error during evaluation. {detail}",
                        expr.text
                    )))
                }
            }
        }
    }
}

/// What an expression can read.
pub struct Scope<'a> {
    /// `$states.input`: the state's raw input.
    pub input: &'a Value,
    /// `$states.result` (Task, Parallel, Map; in `Output` and `Assign`).
    pub result: Option<&'a Value>,
    /// `$states.errorOutput` (a catcher's `Output` and `Assign`).
    pub error_output: Option<&'a Value>,
    /// Builds `$states.context` when an expression reads it.
    pub context: &'a dyn Fn() -> Value,
    pub variables: &'a dyn Variables,
    /// `$now()` / `$millis()`: the time the state was entered, so a restarted execution
    /// evaluates the same way.
    pub now_millis: i64,
    /// The execution's deterministic random source (`$random()`, `$uuid()`).
    pub rng: &'a Cell<u64>,
}

/// Type of a value in messages, as JSONata's `$type` names it.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

// ----- the functions Step Functions adds -------------------------------------------------------

struct Functions {
    partition: HostFunction,
    range: HostFunction,
    hash: HostFunction,
    parse: HostFunction,
    eval: HostFunction,
}

fn host_error(message: impl Into<String>) -> jlens_core::Error {
    jlens_core::Error::new(HOST_CODE).with("message", message.into())
}

fn functions() -> &'static Functions {
    static F: OnceLock<Functions> = OnceLock::new();
    F.get_or_init(|| Functions {
        partition: signed("<an:a>", partition),
        range: signed("<nnn:a>", range),
        hash: signed("<js:s>", hash),
        parse: signed("<s:j>", parse),
        eval: HostFunction::new(2, |_, _| {
            Err(host_error(
                "The function $eval is not available in Step Functions: use $parse instead",
            ))
        }),
    })
}

type HostResult = jlens_core::Result<Option<Value>>;

fn signed(signature: &str, f: fn(&[Option<Value>]) -> HostResult) -> HostFunction {
    match HostFunction::with_signature(signature, move |args, _| f(args)) {
        Ok(h) => h,
        // The signatures above are constants; a bad one is a programming error caught by tests.
        Err(_) => HostFunction::new(0, |_, _| Err(host_error("invalid function signature"))),
    }
}

fn arg(args: &[Option<Value>], i: usize) -> Option<&Value> {
    args.get(i).and_then(Option::as_ref)
}

/// An integer argument (a number without a fraction).
fn int_arg(
    args: &[Option<Value>],
    i: usize,
    func: &str,
    what: &str,
) -> Result<i64, jlens_core::Error> {
    let n = arg(args, i).and_then(Value::as_f64);
    match n {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(host_error(format!(
            "The {what} argument of ${func} must be an integer"
        ))),
    }
}

/// `$partition(array, size)`: the array cut into arrays of `size` items (the last may be
/// shorter).
fn partition(args: &[Option<Value>]) -> HostResult {
    let items = match arg(args, 0) {
        Some(Value::Array(a)) => a.clone(),
        None => return Ok(None),
        Some(other) => vec![other.clone()],
    };
    let size = int_arg(args, 1, "partition", "size")?;
    if size < 1 {
        return Err(host_error(
            "The size argument of $partition must be a positive integer",
        ));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Some(Value::Array(
        items
            .chunks(size)
            .map(|c| Value::Array(c.to_vec()))
            .collect(),
    )))
}

/// `$range(start, end, step)`: `start`, `start + step`, ... up to `end` included.
fn range(args: &[Option<Value>]) -> HostResult {
    let start = int_arg(args, 0, "range", "start")?;
    let end = int_arg(args, 1, "range", "end")?;
    let step = int_arg(args, 2, "range", "step")?;
    if step == 0 {
        return Err(host_error("The step argument of $range must not be 0"));
    }
    if (step > 0 && start > end) || (step < 0 && start < end) {
        return Ok(Some(Value::Array(Vec::new())));
    }
    let count = (i128::from(end) - i128::from(start)) / i128::from(step) + 1;
    if count > MAX_ARRAY_ITEMS as i128 {
        return Err(host_error(format!(
            "The result of $range would exceed {MAX_ARRAY_ITEMS} items"
        )));
    }
    Ok(Some(Value::Array(
        (0..count)
            .map(|i| Value::from((i128::from(start) + i * i128::from(step)) as i64))
            .collect(),
    )))
}

/// `$hash(data, algorithm)`: hex digest of the data (its JSON text when not a string).
fn hash(args: &[Option<Value>]) -> HostResult {
    let data = match arg(args, 0) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => {
            return Err(host_error("The data argument of $hash must not be null"));
        }
        Some(other) => other.to_string(),
    };
    let algo = arg(args, 1).and_then(Value::as_str).unwrap_or("");
    match hash_hex(algo, data.as_bytes()) {
        Some(d) => Ok(Some(Value::String(d))),
        None => Err(host_error(format!(
            "The hash algorithm '{algo}' of $hash is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
        ))),
    }
}

/// `$parse(text)`: the JSON value the text holds.
fn parse(args: &[Option<Value>]) -> HostResult {
    let Some(text) = arg(args, 0).and_then(Value::as_str) else {
        return Ok(None);
    };
    if limits::text_depth(text) > MAX_VALUE_DEPTH {
        return Err(host_error(format!(
            "The argument of $parse is nested deeper than {MAX_VALUE_DEPTH} levels"
        )));
    }
    serde_json::from_str::<Value>(text)
        .map(Some)
        .map_err(|e| host_error(format!("The argument of $parse is not valid JSON: {e}")))
}

fn next_random(rng: &AtomicU64) -> u64 {
    splitmix64(rng.fetch_add(1, Ordering::Relaxed).wrapping_add(1))
}

fn unit_float(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// `$random([seed])`: a number in [0, 1); the same seed gives the same number.
fn random_function(rng: Arc<AtomicU64>) -> HostFunction {
    match HostFunction::with_signature("<j?:n>", move |args, _| {
        let x = match arg(args, 0) {
            None => next_random(&rng),
            Some(seed) => {
                // FNV-1a of the seed's JSON text, then one splitmix64 step.
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                for b in seed.to_string().bytes() {
                    h ^= u64::from(b);
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
                splitmix64(h)
            }
        };
        Ok(Some(Value::from(unit_float(x))))
    }) {
        Ok(h) => h,
        Err(_) => HostFunction::new(0, |_, _| Err(host_error("invalid function signature"))),
    }
}

/// `$uuid()`: a version 4 UUID from the execution's random source.
fn uuid_function(rng: Arc<AtomicU64>) -> HostFunction {
    match HostFunction::with_signature("<:s>", move |_, _| {
        let a = next_random(&rng);
        let b = next_random(&rng);
        Ok(Some(Value::String(uuid_v4(a, b))))
    }) {
        Ok(h) => h,
        Err(_) => HostFunction::new(0, |_, _| Err(host_error("invalid function signature"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(text: &str) -> Result<Value, QueryError> {
        let mut problems = Vec::new();
        let q = Query::compile(&json!(text), "Output", "/Output", &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let rng = Cell::new(7);
        let vars = Map::new();
        let scope = Scope {
            input: &json!({"a": 1}),
            result: None,
            error_output: None,
            context: &|| json!({}),
            variables: &vars,
            now_millis: 0,
            rng: &rng,
        };
        q.eval(&scope)
    }

    #[test]
    fn signatures_parse() {
        for s in ["<an:a>", "<nnn:a>", "<js:s>", "<s:j>", "<j?:n>", "<:s>"] {
            assert!(
                HostFunction::with_signature(s, |_, _| Ok(None)).is_ok(),
                "{s}"
            );
        }
    }

    #[test]
    fn basic() {
        assert_eq!(eval("{% $states.input.a + 1 %}"), Ok(json!(2)));
        assert!(eval("{% $nothing %}").is_err());
    }

    #[test]
    fn context_detection() {
        assert!(!reads_context("$states.input.x + $states.result"));
        assert!(reads_context("$states.context.State.Name"));
        assert!(reads_context("$keys($states)"));
    }
}
