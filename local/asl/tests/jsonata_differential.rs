//! JSONata differential test: the engine's JSONata (`asl::jsonata::evaluate_standalone`, the same
//! compilation, limits and Step Functions functions as a state's expressions) against the
//! reference implementation, jsonata-js 2.0.6 (the version Step Functions documents), on a few
//! thousand generated cases.
//!
//! 1. `python3 local/asl/jsonata-diff/gen_cases.py` writes the cases (seeded, deterministic);
//!    `JSONATA_DIFF_CASES=N` asks for exactly N of them instead of the default set;
//!    `JSONATA_DIFF_CASES_FILE=cases.jsonl` runs one's own cases instead.
//! 2. `node local/asl/jsonata-diff/reference.js` evaluates them with jsonata@2.0.6 (needs
//!    `npm ci --prefix local/asl/jsonata-diff`; without it this test fails and says so).
//! 3. Each case is evaluated by the engine on a worker thread, under a per-case deadline.
//! 4. Outcomes are compared: JSON equality with numbers compared numerically (values within
//!    1e-12 relative also agree, and are counted); undefined = undefined; an error on both sides
//!    is agreement on failing (whether the codes are the same is counted apart).
//! 5. Every disagreement must be explained by `local/asl/jsonata-diff/explained.json` (a case's
//!    expression, or a rule on category, outcomes, error codes, reference flags and expression
//!    text). The report goes to `<target>/jsonata-diff/report.md` (with `disagreements.jsonl`);
//!    the test fails on any unexplained disagreement.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Longest one engine evaluation may take before the test fails (the engine's own timeout is
/// [`asl::jsonata::TIMEOUT`]; a debug build is slower than a release one).
const CASE_DEADLINE: Duration = Duration::from_secs(20);
/// Numbers this close (relative) are equal (floating-point summation order, `$power`, ...).
const REL_TOLERANCE: f64 = 1e-12;

struct Case {
    id: u64,
    cat: String,
    expr: String,
    doc: Value,
}

#[derive(Clone, Debug)]
enum Outcome {
    Value(Value),
    Undefined,
    Error { code: String, message: String },
    Timeout,
}

impl Outcome {
    fn kind(&self) -> &'static str {
        match self {
            Outcome::Value(_) => "value",
            Outcome::Undefined => "undefined",
            Outcome::Error { .. } => "error",
            Outcome::Timeout => "timeout",
        }
    }

    fn code(&self) -> Option<&str> {
        match self {
            Outcome::Error { code, .. } => Some(code),
            _ => None,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Outcome::Value(v) => json!({ "result": v }),
            Outcome::Undefined => json!({ "undefined": true }),
            Outcome::Error { code, message } => {
                json!({ "error": { "code": code, "message": message } })
            }
            Outcome::Timeout => json!({ "timeout": true }),
        }
    }

    fn show(&self) -> String {
        match self {
            Outcome::Value(v) => short(&v.to_string(), 200),
            Outcome::Undefined => "undefined".into(),
            Outcome::Error { code, message } => format!("error {code}: {}", short(message, 140)),
            Outcome::Timeout => "timeout".into(),
        }
    }
}

struct Reference {
    outcome: Outcome,
    /// `function`, `nonfinite`, `undefined_in_array`, `utf16`, `internal` (see reference.js).
    flags: Vec<String>,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn diff_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("jsonata-diff")
}

/// `<target>/jsonata-diff`: the test binary is `<target>/<profile>/deps/<name>`.
fn out_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let target = exe
        .ancestors()
        .nth(3)
        .map_or_else(|| repo_root().join("target"), Path::to_path_buf);
    let dir = target.join("jsonata-diff");
    std::fs::create_dir_all(&dir).expect("create <target>/jsonata-diff");
    dir
}

fn generate(out: &Path) -> Vec<Case> {
    if let Ok(own) = std::env::var("JSONATA_DIFF_CASES_FILE") {
        std::fs::copy(&own, out).expect("copy JSONATA_DIFF_CASES_FILE");
        return read_cases(out);
    }
    let mut cmd = Command::new("python3");
    cmd.arg(diff_dir().join("gen_cases.py"))
        .arg("--out")
        .arg(out);
    if let Ok(n) = std::env::var("JSONATA_DIFF_CASES") {
        let n: usize = n
            .trim()
            .parse()
            .expect("JSONATA_DIFF_CASES must be a number");
        cmd.arg("--cases").arg(n.to_string());
    }
    let status = cmd.status().expect("run python3 gen_cases.py");
    assert!(status.success(), "gen_cases.py failed: {status}");
    read_cases(out)
}

fn read_cases(path: &Path) -> Vec<Case> {
    std::fs::read_to_string(path)
        .expect("read cases")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("case line");
            Case {
                id: v["id"].as_u64().expect("id"),
                cat: v["cat"].as_str().expect("cat").to_string(),
                expr: v["expr"].as_str().expect("expr").to_string(),
                doc: v["doc"].clone(),
            }
        })
        .collect()
}

fn reference(cases_file: &Path, out: &Path) -> (BTreeMap<u64, Reference>, String) {
    let dir = diff_dir();
    let installed = dir.join("node_modules/jsonata/package.json");
    let Ok(pkg) = std::fs::read_to_string(&installed) else {
        panic!(
            "the reference implementation is not installed ({} is missing): \
             run `npm ci --prefix local/asl/jsonata-diff` (scripts/test-all does)",
            installed.display()
        );
    };
    let version = serde_json::from_str::<Value>(&pkg).expect("jsonata package.json")["version"]
        .as_str()
        .unwrap_or("?")
        .to_string();
    assert_eq!(
        version, "2.0.6",
        "jsonata {version} installed in local/asl/jsonata-diff/node_modules, 2.0.6 expected: \
         run `npm ci --prefix local/asl/jsonata-diff`"
    );
    let _ = std::fs::remove_file(out);
    let status = Command::new("node")
        .arg(dir.join("reference.js"))
        .arg(cases_file)
        .arg(out)
        .stdin(Stdio::null())
        .status()
        .expect("run node reference.js (is node installed?)");
    assert!(status.success(), "reference.js failed: {status}");
    let text = std::fs::read_to_string(out).expect("read reference.jsonl");
    let recs = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("reference line");
            let id = v["id"].as_u64().expect("id");
            let outcome = if v.get("timeout").is_some() {
                Outcome::Timeout
            } else if let Some(e) = v.get("error") {
                Outcome::Error {
                    code: e["code"].as_str().unwrap_or("").to_string(),
                    message: e["message"].as_str().unwrap_or("").to_string(),
                }
            } else if v.get("undefined").is_some() {
                Outcome::Undefined
            } else {
                Outcome::Value(v["result"].clone())
            };
            let flags = [
                "function",
                "nonfinite",
                "undefined_in_array",
                "utf16",
                "internal",
            ]
            .iter()
            .filter(|f| v.get(**f).is_some())
            .map(|f| (*f).to_string())
            .collect();
            (id, Reference { outcome, flags })
        })
        .collect();
    (recs, version)
}

/// Evaluates every case through the engine, one after another on a worker thread with a large
/// stack; panics when one takes longer than [`CASE_DEADLINE`].
fn engine(cases: &[Case]) -> (BTreeMap<u64, Outcome>, Duration) {
    let work: Vec<(u64, String, Value)> = cases
        .iter()
        .map(|c| (c.id, c.expr.clone(), c.doc.clone()))
        .collect();
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("jsonata-engine".into())
        .stack_size(256 << 20)
        .spawn(move || {
            for (id, expr, doc) in work {
                let t0 = Instant::now();
                let out = match asl::jsonata::evaluate_standalone(&expr, &doc) {
                    Ok(Some(v)) => Outcome::Value(v),
                    Ok(None) => Outcome::Undefined,
                    Err((code, message)) => Outcome::Error { code, message },
                };
                if tx.send((id, out, t0.elapsed())).is_err() {
                    return;
                }
            }
        })
        .expect("spawn engine thread");
    let mut out = BTreeMap::new();
    let mut total = Duration::ZERO;
    for c in cases {
        match rx.recv_timeout(CASE_DEADLINE) {
            Ok((id, o, t)) => {
                total += t;
                out.insert(id, o);
            }
            Err(e) => panic!(
                "engine: no answer for case {} within {CASE_DEADLINE:?} ({e}): {}",
                c.id, c.expr
            ),
        }
    }
    worker.join().expect("engine thread");
    (out, total)
}

// ----- comparison ------------------------------------------------------------------------------

fn num_eq(a: &serde_json::Number, b: &serde_json::Number, close: &mut bool) -> bool {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x == y;
    }
    let (x, y) = (
        a.as_f64().unwrap_or(f64::NAN),
        b.as_f64().unwrap_or(f64::NAN),
    );
    if x == y {
        return true;
    }
    if (x - y).abs() <= REL_TOLERANCE * x.abs().max(y.abs()) {
        *close = true;
        return true;
    }
    false
}

/// JSON equality, numbers compared numerically; `close` is set when some numbers were only
/// within [`REL_TOLERANCE`].
fn json_eq(a: &Value, b: &Value, close: &mut bool) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_eq(x, y, close),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q, close))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w, close)))
        }
        _ => a == b,
    }
}

/// The `numbers-15-digits` check: the two values, as JSON text, are the same once every number
/// written in them (in strings too) is read as a double and compared to 15 significant digits,
/// the precision at which jsonata-js 2.0.6 writes numbers into strings.
fn same_to_15_digits(a: &Value, b: &Value) -> bool {
    fn tokens(s: &str) -> Vec<Result<f64, String>> {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        let mut text = String::new();
        while i < bytes.len() {
            let c = bytes[i];
            let starts_number = c.is_ascii_digit()
                || (c == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
            if !starts_number {
                let ch = s[i..].chars().next().unwrap_or('\0');
                text.push(ch);
                i += ch.len_utf8();
                continue;
            }
            if !text.is_empty() {
                out.push(Err(std::mem::take(&mut text)));
            }
            let start = i;
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                let mut j = i + 1;
                if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                    j += 1;
                }
                if j < bytes.len() && bytes[j].is_ascii_digit() {
                    i = j;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            out.push(
                s[start..i]
                    .parse::<f64>()
                    .map_err(|_| s[start..i].to_string()),
            );
        }
        if !text.is_empty() {
            out.push(Err(text));
        }
        out
    }
    let (x, y) = (tokens(&a.to_string()), tokens(&b.to_string()));
    x.len() == y.len()
        && x.iter().zip(&y).all(|(p, q)| match (p, q) {
            (Ok(m), Ok(n)) => m == n || (m - n).abs() <= 5e-15 * m.abs().max(n.abs()),
            (Err(s), Err(t)) => s == t,
            _ => false,
        })
}

/// The `reference-exponent-text` check: the reference's value is a string holding JavaScript's
/// exponent notation (`1e+21`), the engine's a string of digits without one.
fn exponent_text(reference: &Value, engine: &Value) -> bool {
    match (reference, engine) {
        (Value::String(r), Value::String(e)) => {
            (r.contains("e+") || r.contains("e-")) && !e.contains('e') && !e.is_empty()
        }
        _ => false,
    }
}

// ----- explanations ----------------------------------------------------------------------------

struct Explanation {
    class: String,
    nature: String,
    reason: String,
    /// Exact expressions this explanation covers (empty: the rule decides).
    exprs: Vec<String>,
    rule: Option<Value>,
}

fn load_explanations() -> Vec<Explanation> {
    let path = diff_dir().join("explained.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("explained.json"))
        .expect("explained.json is JSON");
    v["explained"]
        .as_array()
        .expect("explained: array")
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            let exprs = e["cases"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|c| c["expr"].as_str().expect("cases[].expr").to_string())
                        .collect()
                })
                .unwrap_or_default();
            let rule = e.get("rule").cloned();
            assert!(
                !s("class").is_empty() && !s("reason").is_empty(),
                "every explanation has a class and a reason: {e}"
            );
            assert!(
                rule.is_some() || !e["cases"].is_null(),
                "explanation {} has neither cases nor a rule",
                s("class")
            );
            Explanation {
                class: s("class"),
                nature: s("nature"),
                reason: s("reason"),
                exprs,
                rule,
            }
        })
        .collect()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether `rule` covers this disagreement. Every field present must hold:
/// `cat` (category prefixes), `ref` / `engine` (outcome kinds), `ref_codes` / `engine_codes`,
/// `ref_flags` (all of them set), `expr_contains` (any of them), `check` (a named comparison).
fn rule_matches(rule: &Value, case: &Case, r: &Reference, e: &Outcome) -> bool {
    let field = |k: &str| rule.get(k);
    if let Some(cats) = field("cat")
        && !strs(cats).iter().any(|p| case.cat.starts_with(p))
    {
        return false;
    }
    if let Some(k) = field("ref")
        && !strs(k).contains(&r.outcome.kind())
    {
        return false;
    }
    if let Some(k) = field("engine")
        && !strs(k).contains(&e.kind())
    {
        return false;
    }
    if let Some(codes) = field("ref_codes")
        && !r.outcome.code().is_some_and(|c| strs(codes).contains(&c))
    {
        return false;
    }
    if let Some(codes) = field("engine_codes")
        && !e.code().is_some_and(|c| strs(codes).contains(&c))
    {
        return false;
    }
    if let Some(flags) = field("ref_flags")
        && !strs(flags).iter().all(|f| r.flags.iter().any(|g| g == f))
    {
        return false;
    }
    if let Some(any) = field("expr_contains")
        && !strs(any).iter().any(|s| case.expr.contains(s))
    {
        return false;
    }
    if let Some(check) = field("check") {
        let ok = match (check.as_str(), &r.outcome, e) {
            (Some("numbers-15-digits"), Outcome::Value(a), Outcome::Value(b)) => {
                same_to_15_digits(a, b)
            }
            (Some("reference-exponent-text"), Outcome::Value(a), Outcome::Value(b)) => {
                exponent_text(a, b)
            }
            (Some("numbers-15-digits" | "reference-exponent-text"), _, _) => false,
            (other, _, _) => panic!("explained.json: unknown check {other:?}"),
        };
        if !ok {
            return false;
        }
    }
    true
}

// ----- the test --------------------------------------------------------------------------------

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "\\n").replace('`', "'")
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

#[test]
fn jsonata_agrees_with_reference_2_0_6() {
    let out = out_dir();
    let cases_file = out.join("cases.jsonl");
    let t0 = Instant::now();
    let cases = generate(&cases_file);
    let (refs, ref_version) = reference(&cases_file, &out.join("reference.jsonl"));
    let ref_time = t0.elapsed();
    let (engine_out, engine_time) = engine(&cases);
    let explanations = load_explanations();

    let mut agree_value = 0;
    let mut agree_undefined = 0;
    let mut agree_close = 0;
    let mut both_fail = 0;
    let mut both_fail_internal = 0;
    let mut same_code = 0;
    let mut code_pairs: BTreeMap<(String, String), usize> = BTreeMap::new();
    // class -> (count, first example)
    let mut explained: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut unexplained = Vec::new();
    let mut raw_classes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut dis_lines = String::new();

    for c in &cases {
        let r = refs
            .get(&c.id)
            .unwrap_or_else(|| panic!("no reference record for case {}", c.id));
        let e = &engine_out[&c.id];
        let mut close = false;
        let raw = match (&r.outcome, e) {
            (Outcome::Value(a), Outcome::Value(b)) if json_eq(a, b, &mut close) => None,
            (Outcome::Undefined, Outcome::Undefined) => None,
            (Outcome::Error { code: a, .. }, Outcome::Error { code: b, .. }) => {
                both_fail += 1;
                if r.flags.iter().any(|f| f == "internal") {
                    // A JavaScript error of jsonata-js itself: no JSONata code to compare.
                    both_fail_internal += 1;
                } else if a == b {
                    same_code += 1;
                } else {
                    *code_pairs.entry((a.clone(), b.clone())).or_default() += 1;
                }
                None
            }
            (Outcome::Timeout, _) => Some("reference-timeout"),
            (Outcome::Error { .. }, _) => Some("success-where-reference-errors"),
            (_, Outcome::Error { .. }) => Some("error-where-reference-succeeds"),
            (Outcome::Value(_), Outcome::Undefined) => Some("undefined-where-reference-has-value"),
            (Outcome::Undefined, Outcome::Value(_)) => Some("value-where-reference-undefined"),
            _ => Some("wrong-value"),
        };
        let Some(raw) = raw else {
            match e {
                Outcome::Value(_) => {
                    agree_value += 1;
                    agree_close += usize::from(close);
                }
                Outcome::Undefined => agree_undefined += 1,
                _ => {}
            }
            continue;
        };
        *raw_classes.entry(raw).or_default() += 1;
        let found = explanations.iter().find(|x| {
            x.exprs.contains(&c.expr)
                || x.rule
                    .as_ref()
                    .is_some_and(|rule| rule_matches(rule, c, r, e))
        });
        let line = json!({
            "id": c.id, "cat": c.cat, "expr": c.expr, "doc": c.doc, "class": raw,
            "explained": found.map(|x| x.class.clone()),
            "reference": r.outcome.to_json(), "reference_flags": r.flags, "engine": e.to_json(),
        });
        dis_lines.push_str(&line.to_string());
        dis_lines.push('\n');
        let example = format!(
            "`{}` → reference {}{}; engine {}",
            md(&short(&c.expr, 80)),
            md(&r.outcome.show()),
            if r.flags.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.flags.join(", "))
            },
            md(&e.show())
        );
        match found {
            Some(x) => {
                explained.entry(x.class.clone()).or_insert((0, example)).0 += 1;
            }
            None => unexplained.push((c, raw, example)),
        }
    }

    let n = cases.len();
    let agreements = agree_value + agree_undefined + both_fail;
    let disagreements = n - agreements;
    let jlens = std::fs::read_to_string(repo_root().join("Cargo.lock"))
        .ok()
        .and_then(|lock| {
            let i = lock.find("name = \"jlens-core\"")?;
            let rest = &lock[i..];
            let v = rest.find("version = \"")? + "version = \"".len();
            Some(rest[v..v + rest[v..].find('"')?].to_string())
        })
        .unwrap_or_else(|| "?".into());

    let mut rep = String::new();
    let w = &mut rep;
    writeln!(
        w,
        "# JSONata differential test: asl vs jsonata-js {ref_version}\n"
    )
    .unwrap();
    writeln!(
        w,
        "Engine: `asl::jsonata::evaluate_standalone` (jlens-core {jlens}, the wrapper's limits and \
         Step Functions functions). Reference: jsonata {ref_version} (npm) in a Node child process, 2 s per case. \
         Cases: `gen_cases.py`{}.\n",
        std::env::var("JSONATA_DIFF_CASES")
            .map(|v| format!(" --cases {v}"))
            .unwrap_or_default()
    )
    .unwrap();
    writeln!(w, "| | count | % |\n|---|---|---|").unwrap();
    writeln!(w, "| cases | {n} | |").unwrap();
    writeln!(
        w,
        "| agreements | {agreements} | {:.2} |",
        pct(agreements, n)
    )
    .unwrap();
    writeln!(
        w,
        "| — same value | {agree_value} | (of which {agree_close} only within 1e-12 relative) |"
    )
    .unwrap();
    writeln!(w, "| — both undefined | {agree_undefined} | |").unwrap();
    let coded = both_fail - both_fail_internal;
    writeln!(
        w,
        "| — both fail | {both_fail} | same error code: {same_code} of {coded} ({:.2} %); \
         {both_fail_internal} more where jsonata-js threw a JavaScript error (no code) |",
        pct(same_code, coded)
    )
    .unwrap();
    writeln!(
        w,
        "| disagreements | {disagreements} | {:.2} |",
        pct(disagreements, n)
    )
    .unwrap();
    writeln!(
        w,
        "| — explained (explained.json) | {} | |",
        disagreements - unexplained.len()
    )
    .unwrap();
    writeln!(w, "| — unexplained | {} | |", unexplained.len()).unwrap();
    writeln!(
        w,
        "\nTime: reference (generation + node) {:.1} s; engine {:.2} s in all, {:.0} µs per case on average \
         (this build's profile).\n",
        ref_time.as_secs_f64(),
        engine_time.as_secs_f64(),
        engine_time.as_secs_f64() * 1e6 / n.max(1) as f64
    )
    .unwrap();
    writeln!(
        w,
        "## Disagreements by outcome\n\n| outcome | cases |\n|---|---|"
    )
    .unwrap();
    for (k, v) in &raw_classes {
        writeln!(w, "| {k} | {v} |").unwrap();
    }
    writeln!(
        w,
        "\n## Explained disagreements\n\n| class | nature | cases | reason | example |\n|---|---|---|---|---|"
    )
    .unwrap();
    for x in &explanations {
        let (count, example) = explained
            .get(&x.class)
            .map_or((0, "—".to_string()), |(k, ex)| (*k, ex.clone()));
        writeln!(
            w,
            "| {} | {} | {count} | {} | {example} |",
            x.class,
            x.nature,
            md(&x.reason)
        )
        .unwrap();
    }
    if !code_pairs.is_empty() {
        writeln!(
            w,
            "\n## Both fail, different codes\n\n| reference | engine | cases |\n|---|---|---|"
        )
        .unwrap();
        for ((a, b), k) in &code_pairs {
            writeln!(w, "| {a} | {b} | {k} |").unwrap();
        }
    }
    writeln!(
        w,
        "\n## Unexplained disagreements ({})\n",
        unexplained.len()
    )
    .unwrap();
    for (c, raw, example) in &unexplained {
        writeln!(
            w,
            "- case {} ({}, {raw}): {example}; doc `{}`",
            c.id,
            c.cat,
            md(&short(&c.doc.to_string(), 160))
        )
        .unwrap();
    }
    std::fs::write(out.join("report.md"), &rep).expect("write report.md");
    std::fs::write(out.join("disagreements.jsonl"), &dis_lines).expect("write disagreements");
    println!("{rep}");
    println!("report: {}", out.join("report.md").display());

    assert!(
        unexplained.is_empty(),
        "{} unexplained disagreements with jsonata-js {ref_version} (see {}):\n{}",
        unexplained.len(),
        out.join("report.md").display(),
        unexplained
            .iter()
            .take(30)
            .map(|(c, raw, ex)| format!("  case {} ({}, {raw}): {ex}", c.id, c.cat))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
