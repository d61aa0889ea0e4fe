//! The state machine model and its parser / validator.
//!
//! [`Definition::parse`] checks a definition the way `CreateStateMachine` does and reports
//! every problem it finds (not only the first), each with AWS's diagnostic code and location,
//! rendered like the `InvalidDefinition` exception's message.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use crate::choice::{self, ChoiceRule, Condition, OPERATORS, Op, Operand, OperandKind};
use crate::intrinsic::Intrinsic;
use crate::jsonata::Query;
use crate::path::Path;
use crate::template::Template;

/// Diagnostic codes of `ValidateStateMachineDefinition` / `InvalidDefinition`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DiagnosticCode {
    InvalidJsonDescription,
    MissingDescription,
    SchemaValidationFailed,
    InvalidResource,
    MissingEndState,
    DuplicateStateName,
    InvalidStateName,
    MissingTransitionTarget,
    TooDeeplyNested,
    /// Warning: a field looks like a path or intrinsic but its name lacks `.$`.
    NoDollar,
    /// Warning: a Pass state's `Result` contains paths, which are not evaluated.
    PassResultIsStatic,
}

impl DiagnosticCode {
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticCode::InvalidJsonDescription => "INVALID_JSON_DESCRIPTION",
            DiagnosticCode::MissingDescription => "MISSING_DESCRIPTION",
            DiagnosticCode::SchemaValidationFailed => "SCHEMA_VALIDATION_FAILED",
            DiagnosticCode::InvalidResource => "INVALID_RESOURCE",
            DiagnosticCode::MissingEndState => "MISSING_END_STATE",
            DiagnosticCode::DuplicateStateName => "DUPLICATE_STATE_NAME",
            DiagnosticCode::InvalidStateName => "INVALID_STATE_NAME",
            DiagnosticCode::MissingTransitionTarget => "MISSING_TRANSITION_TARGET",
            DiagnosticCode::TooDeeplyNested => "TOO_DEEPLY_NESTED",
            DiagnosticCode::NoDollar => "NO_DOLLAR",
            DiagnosticCode::PassResultIsStatic => "PASS_RESULT_IS_STATIC",
        }
    }
}

impl fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ERROR` refuses the definition; `WARNING` only informs (ValidateStateMachineDefinition).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

/// One problem in a definition (a `ValidateStateMachineDefinitionDiagnostic`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    pub code: DiagnosticCode,
    pub message: String,
    /// `/States/Foo/Next`; absent for whole-workflow problems such as MISSING_END_STATE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default)]
    pub severity: Severity,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(loc) = &self.location {
            write!(f, " at {loc}")?;
        }
        Ok(())
    }
}

/// A definition AWS would refuse, with every problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidDefinition {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for InvalidDefinition {
    /// Same shape as CreateStateMachine's message:
    /// `Invalid State Machine Definition: 'CODE: message at /loc, CODE: ...'`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Invalid State Machine Definition: '")?;
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("'")
    }
}

impl std::error::Error for InvalidDefinition {}

/// A validated state machine definition.
#[derive(Clone, Debug)]
pub struct Definition {
    pub comment: Option<String>,
    pub version: Option<String>,
    /// Execution-wide `TimeoutSeconds`.
    pub timeout_seconds: Option<u64>,
    pub machine: StateMachine,
    /// WARNING diagnostics (NO_DOLLAR, PASS_RESULT_IS_STATIC) of a valid definition.
    pub warnings: Vec<Diagnostic>,
    source: Value,
}

/// A set of states with a start state: the top level, a Parallel branch or a Map processor.
#[derive(Clone, Debug)]
pub struct StateMachine {
    pub start_at: usize,
    pub states: Vec<State>,
    by_name: HashMap<String, usize>,
}

impl StateMachine {
    pub fn state_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }
}

/// `InputPath` / `OutputPath`.
#[derive(Clone, Debug, PartialEq)]
pub enum DataPath {
    /// Absent (`$`): pass everything.
    Identity,
    /// `null`: an empty object `{}`.
    Discard,
    Path(Path),
}

/// `ResultPath`.
#[derive(Clone, Debug, PartialEq)]
pub enum ResultPath {
    /// Absent or `$`: the result replaces the input.
    Replace,
    /// `null`: the result is discarded and the input passes through.
    Discard,
    /// A reference path into the input.
    Path(Path),
}

/// Where a state goes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    Next(usize),
    End,
    /// Choice, Succeed and Fail decide by themselves.
    None,
}

/// A number given literally or through a reference path (`TimeoutSeconds` / `...Path`).
#[derive(Clone, Debug, PartialEq)]
pub enum Seconds {
    Fixed(u64),
    Path(Path),
}

/// Wait's duration or deadline.
#[derive(Clone, Debug, PartialEq)]
pub enum WaitFor {
    Seconds(u64),
    SecondsPath(Path),
    Timestamp(DateTime<FixedOffset>),
    TimestampPath(Path),
}

/// Fail's `Error` / `Cause` (or their path forms).
#[derive(Clone, Debug, PartialEq)]
pub enum FailText {
    Absent,
    Literal(String),
    Path(Path),
    Call(Box<Intrinsic>),
}

/// `JitterStrategy` of a retrier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    None,
    Full,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: u64,
    pub max_attempts: u64,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u64>,
    pub jitter: Jitter,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: usize,
    pub result_path: ResultPath,
    pub assign: Option<Template>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TaskSpec {
    pub resource: String,
    pub timeout: Option<Seconds>,
    pub heartbeat: Option<Seconds>,
    pub credentials: Option<Value>,
}

#[derive(Clone, Debug)]
pub struct MapSpec {
    pub items_path: Option<Path>,
    pub item_selector: Option<Template>,
    pub processor: Box<StateMachine>,
    /// 0 means no limit.
    pub max_concurrency: Seconds,
    /// `ProcessorConfig.Mode: DISTRIBUTED`: each iteration is a child workflow execution of a
    /// Map Run (developer guide, "Distributed mode").
    pub distributed: Option<Box<DistributedMap>>,
}

/// The fields only a Distributed Map has.
#[derive(Clone, Debug)]
pub struct DistributedMap {
    /// `ProcessorConfig.ExecutionType`: `STANDARD` or `EXPRESS`.
    pub execution_type: String,
    pub label: Option<String>,
    pub batcher: Option<ItemBatcher>,
    pub tolerated_failure_count: Option<Number>,
    pub tolerated_failure_percentage: Option<Number>,
}

/// `ItemBatcher`: items grouped into `{"Items": [...]}` per child execution.
#[derive(Clone, Debug)]
pub struct ItemBatcher {
    pub max_items: Option<Number>,
    pub max_bytes: Option<Number>,
    pub batch_input: Option<BatchInput>,
}

/// `BatchInput`: a payload template (JSONPath) or JSONata.
#[derive(Clone, Debug)]
pub enum BatchInput {
    Template(Template),
    Query(Query),
}

/// A number given literally, by reference path (`...Path`) or by a JSONata expression.
#[derive(Clone, Debug)]
pub enum Number {
    Fixed(f64),
    Path(Path),
    Query(Query),
}

/// The largest batch `MaxInputBytesPerBatch` allows (256 KiB, the payload quota).
pub const MAX_BATCH_BYTES: u64 = 256 * 1024;

#[derive(Clone, Debug)]
pub enum StateKind {
    Pass {
        result: Option<Value>,
    },
    Task(TaskSpec),
    Choice {
        choices: Vec<ChoiceRule>,
        default: Option<usize>,
    },
    Wait(WaitFor),
    Succeed,
    Fail {
        error: FailText,
        cause: FailText,
    },
    Parallel {
        branches: Vec<StateMachine>,
    },
    Map(MapSpec),
}

impl StateKind {
    /// The `Type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass { .. } => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice { .. } => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail { .. } => "Fail",
            StateKind::Parallel { .. } => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

/// One state.
#[derive(Clone, Debug)]
pub struct State {
    pub name: String,
    pub kind: StateKind,
    pub input_path: DataPath,
    pub output_path: DataPath,
    pub result_path: ResultPath,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub assign: Option<Template>,
    pub transition: Transition,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    /// The JSONata fields of a state whose QueryLanguage is JSONata (`None` for JSONPath).
    pub jsonata: Option<Box<JsonataSpec>>,
}

/// The fields of a JSONata state. Each is a [`Query`]: a JSON value whose `{% ... %}` strings are
/// JSONata expressions. The JSONPath fields of such a state are absent (identity), so the
/// execution reads these instead.
#[derive(Clone, Debug, Default)]
pub struct JsonataSpec {
    /// Task / Parallel `Arguments`.
    pub arguments: Option<Query>,
    /// `Output` (all states but Fail).
    pub output: Option<Query>,
    pub assign: Option<Query>,
    /// Task `TimeoutSeconds` / `HeartbeatSeconds`.
    pub timeout: Option<Query>,
    pub heartbeat: Option<Query>,
    /// Wait `Seconds` / `Timestamp`.
    pub seconds: Option<Query>,
    pub timestamp: Option<Query>,
    /// Fail `Error` / `Cause`.
    pub error: Option<Query>,
    pub cause: Option<Query>,
    /// Choice rules (`Condition`, `Next`, `Assign`, `Output`).
    pub choices: Vec<JsonataRule>,
    /// Map `Items`, `ItemSelector`, `MaxConcurrency`.
    pub items: Option<Query>,
    pub item_selector: Option<Query>,
    pub max_concurrency: Option<Query>,
    /// `Output` / `Assign` of each catcher, in the order of [`State::catch`].
    pub catchers: Vec<JsonataCatcher>,
}

/// A Choice rule of a JSONata state.
#[derive(Clone, Debug)]
pub struct JsonataRule {
    pub condition: Query,
    pub next: usize,
    pub assign: Option<Query>,
    pub output: Option<Query>,
}

/// A catcher's JSONata fields.
#[derive(Clone, Debug, Default)]
pub struct JsonataCatcher {
    pub output: Option<Query>,
    pub assign: Option<Query>,
}

/// Fields only a JSONPath state has (developer guide, the state pages' "JSONPath only" fields).
const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "ResultPath",
    "Parameters",
    "ResultSelector",
    "Result",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ItemsPath",
    "MaxConcurrencyPath",
    "ErrorPath",
    "CausePath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
];
/// Fields only a JSONata state has.
const JSONATA_ONLY: &[&str] = &["Arguments", "Output", "Items"];

impl Definition {
    /// Parses and validates a JSON definition.
    pub fn parse(json: &str) -> Result<Definition, InvalidDefinition> {
        if json.trim().is_empty() {
            return Err(InvalidDefinition {
                diagnostics: vec![Diagnostic {
                    code: DiagnosticCode::MissingDescription,
                    message: "Received a null or empty workflow input".into(),
                    location: None,
                    severity: Severity::Error,
                }],
            });
        }
        let value: Value = serde_json::from_str(json).map_err(|e| InvalidDefinition {
            diagnostics: vec![Diagnostic {
                code: DiagnosticCode::InvalidJsonDescription,
                message: e.to_string(),
                location: None,
                severity: Severity::Error,
            }],
        })?;
        Definition::from_value(value)
    }

    /// Every diagnostic of a definition, the warnings (NO_DOLLAR, PASS_RESULT_IS_STATIC) of an
    /// invalid one included: ValidateStateMachineDefinition reports both. Errors come first.
    pub fn diagnose(json: &str) -> Vec<Diagnostic> {
        let value = match serde_json::from_str::<Value>(json) {
            Ok(v) if !json.trim().is_empty() => v,
            _ => {
                return Definition::parse(json)
                    .err()
                    .map(|e| e.diagnostics)
                    .unwrap_or_default();
            }
        };
        let mut v = Validator::default();
        let parsed = v.definition(&value);
        if v.diags.is_empty() && parsed.is_none() {
            v.schema("Invalid State Machine Definition", None);
        }
        v.diags.extend(v.warnings);
        v.diags
    }

    /// Validates an already-parsed JSON definition.
    pub fn from_value(value: Value) -> Result<Definition, InvalidDefinition> {
        let mut v = Validator::default();
        let parsed = v.definition(&value);
        if v.diags.is_empty()
            && let Some((machine, comment, version, timeout_seconds)) = parsed
        {
            return Ok(Definition {
                comment,
                version,
                timeout_seconds,
                machine,
                warnings: v.warnings,
                source: value,
            });
        }
        if v.diags.is_empty() {
            v.schema("Invalid State Machine Definition", None);
        }
        Err(InvalidDefinition {
            diagnostics: v.diags,
        })
    }

    /// The definition as it was given.
    pub fn source(&self) -> &Value {
        &self.source
    }
}

impl serde::Serialize for Definition {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.source.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Definition {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Definition::from_value(v).map_err(serde::de::Error::custom)
    }
}

const TOP_FIELDS: &[&str] = &[
    "Comment",
    "StartAt",
    "States",
    "Version",
    "TimeoutSeconds",
    "QueryLanguage",
];
const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

fn allowed_fields(ty: &str) -> &'static [&'static str] {
    match ty {
        "Pass" => &[
            "Next",
            "End",
            "Output",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "Result",
            "Assign",
        ],
        "Task" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Resource",
            "Arguments",
            "Output",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Retry",
            "Catch",
            "Assign",
            "Credentials",
        ],
        "Choice" => &[
            "InputPath",
            "OutputPath",
            "Output",
            "Choices",
            "Default",
            "Assign",
        ],
        "Wait" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Seconds",
            "SecondsPath",
            "Timestamp",
            "TimestampPath",
            "Assign",
            "Output",
        ],
        "Succeed" => &["InputPath", "OutputPath", "Output"],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Branches",
            "Arguments",
            "Output",
            "Retry",
            "Catch",
            "Assign",
        ],
        "Map" => &[
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "ItemsPath",
            "Items",
            "Output",
            "ItemSelector",
            "ItemProcessor",
            "Iterator",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "Retry",
            "Catch",
            "Assign",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "Label",
        ],
        _ => &[],
    }
}

/// The largest value `TimeoutSeconds`, `HeartbeatSeconds`, `Seconds` and friends accept.
const MAX_SECONDS: u64 = 99_999_999;
/// States may nest Parallel / Map this deep (TOO_DEEPLY_NESTED beyond).
const MAX_DEPTH: usize = 40;

#[derive(Default)]
struct Validator {
    diags: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Every state name in the whole definition, to find duplicates across branches.
    seen_names: HashSet<String>,
    /// QueryLanguage of the enclosing state machines (true: JSONata), innermost last.
    lang: Vec<bool>,
}

type Parsed = (StateMachine, Option<String>, Option<String>, Option<u64>);

impl Validator {
    fn push(&mut self, code: DiagnosticCode, message: impl Into<String>, loc: Option<&str>) {
        self.diags.push(Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            location: loc.map(|l| {
                if l.is_empty() {
                    "/".to_string()
                } else {
                    l.to_string()
                }
            }),
        });
    }

    fn schema(&mut self, message: impl Into<String>, loc: Option<&str>) {
        self.push(DiagnosticCode::SchemaValidationFailed, message, loc);
    }

    fn definition(&mut self, value: &Value) -> Option<Parsed> {
        let Some(top) = value.as_object() else {
            self.schema(
                "The state machine definition must be a JSON object",
                Some(""),
            );
            return None;
        };
        self.unknown_fields(top, TOP_FIELDS, "");
        let comment = self.opt_str(top, "Comment", "").map(str::to_string);
        let version = self.opt_str(top, "Version", "").map(str::to_string);
        if let Some(ver) = &version
            && ver != "1.0"
        {
            self.schema(
                "The value for the field 'Version' must be '1.0'",
                Some("/Version"),
            );
        }
        let timeout_seconds = self.opt_uint(top, "TimeoutSeconds", "", 1, MAX_SECONDS);
        let machine = self.machine(top, "", 0);
        machine.map(|m| (m, comment, version, timeout_seconds))
    }

    /// `QueryLanguage` of a machine or state: `Some(true)` for JSONata. Where the enclosing state
    /// machine is JSONata, `JSONPath` is refused: the developer guide lets a state opt into
    /// JSONata in a JSONPath state machine, not the other way round ("If JSONata is specified at
    /// the top level, JSONPath cannot be used in the state machine definition").
    fn query_language(&mut self, m: &Map<String, Value>, loc: &str) -> Option<bool> {
        let q = self.opt_str(m, "QueryLanguage", loc)?;
        let jsonata = match q {
            "JSONPath" => false,
            "JSONata" => true,
            _ => {
                self.schema(
                    "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]",
                    Some(&format!("{loc}/QueryLanguage")),
                );
                return None;
            }
        };
        if !jsonata && self.lang.last() == Some(&true) {
            self.schema(
                "The QueryLanguage 'JSONPath' cannot be used inside a state machine whose QueryLanguage is 'JSONata'",
                Some(&format!("{loc}/QueryLanguage")),
            );
        }
        Some(jsonata)
    }

    /// Parses `StartAt` + `States` of a machine located at `loc` ("" for the top level); its
    /// `QueryLanguage` (or the enclosing one) is the default of its states.
    fn machine(&mut self, m: &Map<String, Value>, loc: &str, depth: usize) -> Option<StateMachine> {
        let inherited = self.lang.last().copied().unwrap_or(false);
        let own = self.query_language(m, loc);
        self.lang.push(own.unwrap_or(inherited));
        let r = self.machine_states(m, loc, depth);
        self.lang.pop();
        r
    }

    fn machine_states(
        &mut self,
        m: &Map<String, Value>,
        loc: &str,
        depth: usize,
    ) -> Option<StateMachine> {
        if depth > MAX_DEPTH {
            self.push(
                DiagnosticCode::TooDeeplyNested,
                "The states are too deeply nested",
                Some(loc),
            );
            return None;
        }
        let mut missing = Vec::new();
        if !m.contains_key("StartAt") {
            missing.push("StartAt");
        }
        if !m.contains_key("States") {
            missing.push("States");
        }
        if !missing.is_empty() {
            self.schema(
                format!("These fields are required: [{}]", missing.join(", ")),
                Some(loc),
            );
        }
        let start_name = self.opt_str(m, "StartAt", loc).map(str::to_string);
        let states_obj = match m.get("States") {
            Some(Value::Object(s)) => Some(s),
            Some(_) => {
                self.schema(
                    "The value for the field 'States' must be an OBJECT",
                    Some(&format!("{loc}/States")),
                );
                None
            }
            None => None,
        };
        let states_obj = states_obj?;
        let names: Vec<String> = states_obj.keys().cloned().collect();
        let by_name: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let mut states = Vec::with_capacity(names.len());
        let mut ok = true;
        for (name, sv) in states_obj {
            let sloc = format!("{loc}/States/{name}");
            if !self.seen_names.insert(name.clone()) {
                self.push(
                    DiagnosticCode::DuplicateStateName,
                    format!("Duplicate State name: {name}"),
                    Some(&sloc),
                );
            }
            if name.is_empty() || name.chars().count() > 80 {
                self.push(
                    DiagnosticCode::InvalidStateName,
                    format!("State name '{name}' must be between 1 and 80 characters long"),
                    Some(&sloc),
                );
            }
            match self.state(name, sv, &sloc, &by_name, depth) {
                Some(s) => states.push(s),
                None => ok = false,
            }
        }
        let start_at = match start_name {
            Some(n) => match by_name.get(&n) {
                Some(i) => Some(*i),
                None => {
                    self.push(
                        DiagnosticCode::MissingTransitionTarget,
                        format!("Missing 'Next' target: {n}"),
                        Some(&format!("{loc}/StartAt")),
                    );
                    None
                }
            },
            None => None,
        };
        if !ok {
            return None;
        }
        let start_at = start_at?;
        self.reachability(&states, start_at, loc);
        Some(StateMachine {
            start_at,
            states,
            by_name,
        })
    }

    fn reachability(&mut self, states: &[State], start: usize, loc: &str) {
        let terminal = states.iter().any(|s| {
            s.transition == Transition::End
                || matches!(s.kind, StateKind::Succeed | StateKind::Fail { .. })
        });
        if !terminal {
            self.push(
                DiagnosticCode::MissingEndState,
                "Workflow has no terminal state",
                None,
            );
            return;
        }
        let mut seen = vec![false; states.len()];
        let mut queue = VecDeque::from([start]);
        while let Some(i) = queue.pop_front() {
            let Some(s) = states.get(i) else { continue };
            if seen[i] {
                continue;
            }
            seen[i] = true;
            let mut targets = Vec::new();
            if let Transition::Next(n) = s.transition {
                targets.push(n);
            }
            if let StateKind::Choice { choices, default } = &s.kind {
                targets.extend(choices.iter().map(|c| c.next));
                targets.extend(default.iter().copied());
            }
            if let Some(j) = &s.jsonata {
                targets.extend(j.choices.iter().map(|c| c.next));
            }
            targets.extend(s.catch.iter().map(|c| c.next));
            queue.extend(targets.into_iter().filter(|t| *t < states.len()));
        }
        for (i, s) in states.iter().enumerate() {
            if !seen[i] {
                self.push(
                    DiagnosticCode::MissingTransitionTarget,
                    format!("State \"{}\" is not reachable.", s.name),
                    Some(&format!("{loc}/States/{}", s.name)),
                );
            }
        }
    }

    fn unknown_fields(&mut self, m: &Map<String, Value>, allowed: &[&str], loc: &str) {
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                self.schema(format!("Field '{k}' is not supported"), Some(loc));
            }
        }
    }

    fn opt_str<'v>(&mut self, m: &'v Map<String, Value>, key: &str, loc: &str) -> Option<&'v str> {
        match m.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.schema(
                    format!("The value for the field '{key}' must be a STRING"),
                    Some(&format!("{loc}/{key}")),
                );
                None
            }
        }
    }

    fn opt_uint(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        loc: &str,
        min: u64,
        max: u64,
    ) -> Option<u64> {
        let v = m.get(key)?;
        match v.as_u64() {
            Some(n) if n >= min && n <= max => Some(n),
            _ => {
                let what = if min == 0 {
                    "a non-negative integer".to_string()
                } else {
                    "a positive integer".to_string()
                };
                self.schema(
                    format!(
                        "The value for the field '{key}' must be {what} between {min} and {max}"
                    ),
                    Some(&format!("{loc}/{key}")),
                );
                None
            }
        }
    }

    fn data_path(&mut self, m: &Map<String, Value>, key: &str, loc: &str) -> DataPath {
        match m.get(key) {
            None => DataPath::Identity,
            Some(Value::Null) => DataPath::Discard,
            Some(Value::String(s)) => match Path::parse(s) {
                Ok(p) if p.is_root() && *p.root() == crate::path::PathRoot::Data => {
                    DataPath::Identity
                }
                Ok(p) => DataPath::Path(p),
                Err(_) => {
                    self.invalid_path(key, loc);
                    DataPath::Identity
                }
            },
            Some(_) => {
                self.invalid_path(key, loc);
                DataPath::Identity
            }
        }
    }

    fn invalid_path(&mut self, key: &str, loc: &str) {
        self.schema(
            format!("The value for the field '{key}' must be a valid JSONPath"),
            Some(&format!("{loc}/{key}")),
        );
    }

    fn reference_path_field(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        loc: &str,
    ) -> Option<Path> {
        match m.get(key)? {
            Value::String(s) => match Path::parse(s) {
                Ok(p) if p.is_definite() => Some(p),
                _ => {
                    self.schema(
                        format!("The value for the field '{key}' must be a valid ReferencePath"),
                        Some(&format!("{loc}/{key}")),
                    );
                    None
                }
            },
            _ => {
                self.schema(
                    format!("The value for the field '{key}' must be a valid ReferencePath"),
                    Some(&format!("{loc}/{key}")),
                );
                None
            }
        }
    }

    fn result_path(&mut self, m: &Map<String, Value>, loc: &str) -> ResultPath {
        match m.get("ResultPath") {
            None => ResultPath::Replace,
            Some(Value::Null) => ResultPath::Discard,
            Some(Value::String(s)) => match Path::parse_reference(s) {
                Ok(p) if p.is_root() => ResultPath::Replace,
                Ok(p) => ResultPath::Path(p),
                Err(_) => {
                    self.schema(
                        "The value for the field 'ResultPath' must be a valid ReferencePath",
                        Some(&format!("{loc}/ResultPath")),
                    );
                    ResultPath::Replace
                }
            },
            Some(_) => {
                self.schema(
                    "The value for the field 'ResultPath' must be a valid ReferencePath",
                    Some(&format!("{loc}/ResultPath")),
                );
                ResultPath::Replace
            }
        }
    }

    fn template(&mut self, m: &Map<String, Value>, key: &str, loc: &str) -> Option<Template> {
        let v = m.get(key)?;
        let floc = format!("{loc}/{key}");
        if key != "Parameters" && !v.is_object() {
            self.schema(
                format!("The value for the field '{key}' must be an OBJECT"),
                Some(&floc),
            );
            return None;
        }
        let mut problems = Vec::new();
        let t = Template::compile(v, &floc, &mut problems);
        for (l, msg) in problems {
            self.schema(msg, Some(&l));
        }
        self.no_dollar(v, &floc);
        Some(t)
    }

    fn warn(&mut self, code: DiagnosticCode, message: String, loc: &str) {
        self.warnings.push(Diagnostic {
            code,
            message,
            location: Some(loc.to_string()),
            severity: Severity::Warning,
        });
    }

    /// NO_DOLLAR: `"key": "$.path"` (no `.$`) is sent as the literal text.
    fn no_dollar(&mut self, v: &Value, loc: &str) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let cloc = format!("{loc}/{k}");
                    if !k.ends_with(".$")
                        && let Some(text) = child.as_str()
                        && (text.starts_with("$.")
                            || text.starts_with("$$.")
                            || text.starts_with("States."))
                    {
                        self.warn(
                            DiagnosticCode::NoDollar,
                            format!("The value of the field '{k}' looks like a JSONPath or an intrinsic function, but the field name does not end with '.$'"),
                            &cloc,
                        );
                    }
                    self.no_dollar(child, &cloc);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    self.no_dollar(child, &format!("{loc}[{i}]"));
                }
            }
            _ => {}
        }
    }

    /// PASS_RESULT_IS_STATIC: paths inside a Pass state's Result are not evaluated.
    fn pass_result_static(v: &Value) -> bool {
        match v {
            Value::Object(m) => m
                .iter()
                .any(|(k, c)| k.ends_with(".$") || Self::pass_result_static(c)),
            Value::Array(a) => a.iter().any(Self::pass_result_static),
            Value::String(t) => {
                t.starts_with("$.") || t.starts_with("$$.") || t.starts_with("States.")
            }
            _ => false,
        }
    }

    fn assign(&mut self, m: &Map<String, Value>, loc: &str) -> Option<Template> {
        let v = m.get("Assign")?;
        let floc = format!("{loc}/Assign");
        let Some(obj) = v.as_object() else {
            self.schema(
                "The value for the field 'Assign' must be an OBJECT",
                Some(&floc),
            );
            return None;
        };
        for k in obj.keys() {
            let name = k.strip_suffix(".$").unwrap_or(k);
            let valid = name.chars().next().is_some_and(crate::path::is_ident_start)
                && name.chars().all(crate::path::is_ident_char)
                && name.chars().count() <= 80;
            if !valid || name == "states" {
                self.schema(
                    format!("The variable name '{name}' is invalid: it must start with a letter or '_', contain only letters, digits and '_', be at most 80 characters and not be 'states'"),
                    Some(&format!("{floc}/{k}")),
                );
            }
        }
        self.template(m, "Assign", loc)
    }

    fn target(&mut self, name: &str, by_name: &HashMap<String, usize>, loc: &str) -> usize {
        match by_name.get(name) {
            Some(i) => *i,
            None => {
                self.push(
                    DiagnosticCode::MissingTransitionTarget,
                    format!("Missing 'Next' target: {name}"),
                    Some(loc),
                );
                usize::MAX
            }
        }
    }

    fn state(
        &mut self,
        name: &str,
        value: &Value,
        loc: &str,
        by_name: &HashMap<String, usize>,
        depth: usize,
    ) -> Option<State> {
        let Some(m) = value.as_object() else {
            self.schema("The value of a state must be an OBJECT", Some(loc));
            return None;
        };
        let ty = match m.get("Type") {
            None => {
                self.schema("These fields are required: [Type]", Some(loc));
                return None;
            }
            Some(Value::String(t)) => t.as_str(),
            Some(_) => {
                self.schema(
                    "The value for the field 'Type' must be a STRING",
                    Some(&format!("{loc}/Type")),
                );
                return None;
            }
        };
        let allowed = allowed_fields(ty);
        if allowed.is_empty() {
            self.schema(
                format!("The value for the field 'Type' must be one of [Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map], got '{ty}'"),
                Some(&format!("{loc}/Type")),
            );
            return None;
        }
        for k in m.keys() {
            if !COMMON.contains(&k.as_str()) && !allowed.contains(&k.as_str()) {
                self.schema(format!("Field '{k}' is not supported"), Some(loc));
            }
        }
        self.opt_str(m, "Comment", loc);
        let own_lang = self.query_language(m, loc);
        let jsonata = own_lang.unwrap_or(self.lang.last().copied().unwrap_or(false));
        let (refused, lang) = if jsonata {
            (JSONPATH_ONLY, "JSONata")
        } else {
            (JSONATA_ONLY, "JSONPath")
        };
        for k in m.keys() {
            if refused.contains(&k.as_str()) && allowed.contains(&k.as_str()) {
                self.schema(
                    format!("Field '{k}' is not supported when the QueryLanguage is {lang}"),
                    Some(loc),
                );
            }
        }
        // A JSONata state's fields are read into a JsonataSpec; the JSONPath parsers below see
        // the state without the fields whose JSONata form they would misread.
        let original = m;
        let stripped;
        let m = if jsonata {
            let mut c = m.clone();
            for k in [
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Seconds",
                "Timestamp",
                "Error",
                "Cause",
                "ItemSelector",
                "MaxConcurrency",
                "Assign",
                "Catch",
                "Choices",
                "ItemBatcher",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
            ] {
                c.remove(k);
            }
            if ty == "Wait" {
                c.insert("Seconds".into(), Value::from(0));
            }
            stripped = c;
            &stripped
        } else {
            m
        };

        // Next / End: exactly one for the states that continue.
        let transition = if matches!(ty, "Choice" | "Succeed" | "Fail") {
            Transition::None
        } else {
            let next = self.opt_str(m, "Next", loc).map(str::to_string);
            let end = match m.get("End") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => {
                    self.schema(
                        "The value for the field 'End' must be a BOOLEAN",
                        Some(&format!("{loc}/End")),
                    );
                    false
                }
            };
            match (next, end) {
                (Some(_), true) => {
                    self.schema(
                        "Exactly one of the fields 'Next' or 'End' is required, not both",
                        Some(loc),
                    );
                    Transition::End
                }
                (Some(n), false) => {
                    Transition::Next(self.target(&n, by_name, &format!("{loc}/Next")))
                }
                (None, true) => Transition::End,
                (None, false) => {
                    if !m.contains_key("Next") {
                        self.schema(
                            "Exactly one of the fields 'Next' or 'End' is required",
                            Some(loc),
                        );
                    }
                    Transition::End
                }
            }
        };

        let input_path = self.data_path(m, "InputPath", loc);
        let output_path = self.data_path(m, "OutputPath", loc);
        let result_path = if allowed.contains(&"ResultPath") {
            self.result_path(m, loc)
        } else {
            ResultPath::Replace
        };
        let parameters = if allowed.contains(&"Parameters") {
            self.template(m, "Parameters", loc)
        } else {
            None
        };
        let result_selector = if allowed.contains(&"ResultSelector") {
            self.template(m, "ResultSelector", loc)
        } else {
            None
        };
        let assign = if allowed.contains(&"Assign") {
            self.assign(m, loc)
        } else {
            None
        };
        let retry = if allowed.contains(&"Retry") {
            self.retriers(m, loc)
        } else {
            Vec::new()
        };
        let (catch, jsonata_catchers) = if allowed.contains(&"Catch") {
            self.catchers(original, loc, by_name, jsonata)
        } else {
            (Vec::new(), Vec::new())
        };
        let spec = if jsonata {
            let mut spec = self.jsonata_spec(ty, original, loc, by_name);
            spec.catchers = jsonata_catchers;
            Some(Box::new(spec))
        } else {
            None
        };

        let kind = match ty {
            "Pass" => {
                if let Some(r) = m.get("Result")
                    && Self::pass_result_static(r)
                {
                    self.warn(
                        DiagnosticCode::PassResultIsStatic,
                        "The Result of a Pass state is static: paths and '.$' fields in it are not evaluated (use Parameters)".into(),
                        &format!("{loc}/Result"),
                    );
                }
                StateKind::Pass {
                    result: m.get("Result").cloned(),
                }
            }
            "Task" => StateKind::Task(self.task(m, loc)?),
            "Choice" if jsonata => StateKind::Choice {
                choices: Vec::new(),
                default: self.choice_default(m, loc, by_name),
            },
            "Choice" => self.choice_state(m, loc, by_name)?,
            "Wait" => StateKind::Wait(self.wait(m, loc)?),
            "Succeed" => StateKind::Succeed,
            "Fail" => self.fail(m, loc),
            "Parallel" => self.parallel(m, loc, depth)?,
            "Map" => {
                if m.contains_key("Parameters") && m.contains_key("ItemSelector") {
                    self.schema(
                        "The fields 'Parameters' and 'ItemSelector' are mutually exclusive",
                        Some(loc),
                    );
                }
                self.map(m, original, jsonata, loc, depth)?
            }
            _ => return None,
        };
        // For Map, Parameters is the legacy name of ItemSelector.
        let (parameters, kind) = match kind {
            StateKind::Map(mut spec) => {
                if spec.item_selector.is_none() {
                    spec.item_selector = parameters;
                }
                (None, StateKind::Map(spec))
            }
            k => (parameters, k),
        };
        Some(State {
            name: name.to_string(),
            kind,
            input_path,
            output_path,
            result_path,
            parameters,
            result_selector,
            assign,
            transition,
            retry,
            catch,
            jsonata: spec,
        })
    }

    fn error_equals(&mut self, m: &Map<String, Value>, loc: &str) -> Vec<String> {
        let floc = format!("{loc}/ErrorEquals");
        match m.get("ErrorEquals") {
            None => {
                self.schema("These fields are required: [ErrorEquals]", Some(loc));
                Vec::new()
            }
            Some(Value::Array(a)) if !a.is_empty() => {
                let mut out = Vec::new();
                for v in a {
                    match v.as_str() {
                        Some(s) => out.push(s.to_string()),
                        None => self.schema(
                            "The values of the field 'ErrorEquals' must be STRINGs",
                            Some(&floc),
                        ),
                    }
                }
                if out.len() > 1 && out.iter().any(|e| e == crate::errors::ALL) {
                    self.schema(
                        "The value 'States.ALL' must appear alone in 'ErrorEquals'",
                        Some(&floc),
                    );
                }
                out
            }
            Some(_) => {
                self.schema(
                    "The value for the field 'ErrorEquals' must be a non-empty ARRAY",
                    Some(&floc),
                );
                Vec::new()
            }
        }
    }

    fn retriers(&mut self, m: &Map<String, Value>, loc: &str) -> Vec<Retrier> {
        let Some(v) = m.get("Retry") else {
            return Vec::new();
        };
        let Some(arr) = v.as_array() else {
            self.schema(
                "The value for the field 'Retry' must be an ARRAY",
                Some(&format!("{loc}/Retry")),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, r) in arr.iter().enumerate() {
            let rloc = format!("{loc}/Retry[{i}]");
            let Some(rm) = r.as_object() else {
                self.schema("A retrier must be an OBJECT", Some(&rloc));
                continue;
            };
            self.unknown_fields(
                rm,
                &[
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                ],
                &rloc,
            );
            let error_equals = self.error_equals(rm, &rloc);
            if error_equals.iter().any(|e| e == crate::errors::ALL) && i + 1 != arr.len() {
                self.schema(
                    "A retrier with 'States.ALL' in 'ErrorEquals' must be the last retrier",
                    Some(&format!("{rloc}/ErrorEquals")),
                );
            }
            let interval_seconds = self
                .opt_uint(rm, "IntervalSeconds", &rloc, 1, MAX_SECONDS)
                .unwrap_or(1);
            let max_attempts = self
                .opt_uint(rm, "MaxAttempts", &rloc, 0, MAX_SECONDS)
                .unwrap_or(3);
            let backoff_rate = match rm.get("BackoffRate") {
                None => 2.0,
                Some(b) => match b.as_f64() {
                    Some(f) if f >= 1.0 => f,
                    _ => {
                        self.schema(
                            "The value for the field 'BackoffRate' must be a number greater than or equal to 1.0",
                            Some(&format!("{rloc}/BackoffRate")),
                        );
                        2.0
                    }
                },
            };
            let max_delay_seconds = self.opt_uint(rm, "MaxDelaySeconds", &rloc, 1, 31_622_400);
            let jitter = match self.opt_str(rm, "JitterStrategy", &rloc) {
                None | Some("NONE") => Jitter::None,
                Some("FULL") => Jitter::Full,
                Some(_) => {
                    self.schema(
                        "The value for the field 'JitterStrategy' must be one of [FULL, NONE]",
                        Some(&format!("{rloc}/JitterStrategy")),
                    );
                    Jitter::None
                }
            };
            out.push(Retrier {
                error_equals,
                interval_seconds,
                max_attempts,
                backoff_rate,
                max_delay_seconds,
                jitter,
            });
        }
        out
    }

    fn catchers(
        &mut self,
        m: &Map<String, Value>,
        loc: &str,
        by_name: &HashMap<String, usize>,
        jsonata: bool,
    ) -> (Vec<Catcher>, Vec<JsonataCatcher>) {
        let Some(v) = m.get("Catch") else {
            return (Vec::new(), Vec::new());
        };
        let Some(arr) = v.as_array() else {
            self.schema(
                "The value for the field 'Catch' must be an ARRAY",
                Some(&format!("{loc}/Catch")),
            );
            return (Vec::new(), Vec::new());
        };
        let mut out = Vec::new();
        let mut jout = Vec::new();
        for (i, c) in arr.iter().enumerate() {
            let cloc = format!("{loc}/Catch[{i}]");
            let Some(cm) = c.as_object() else {
                self.schema("A catcher must be an OBJECT", Some(&cloc));
                continue;
            };
            self.unknown_fields(
                cm,
                &[
                    "ErrorEquals",
                    "Next",
                    "ResultPath",
                    "Output",
                    "Assign",
                    "Comment",
                ],
                &cloc,
            );
            let refused = if jsonata { "ResultPath" } else { "Output" };
            if cm.contains_key(refused) {
                let lang = if jsonata { "JSONata" } else { "JSONPath" };
                self.schema(
                    format!("Field '{refused}' is not supported when the QueryLanguage is {lang}"),
                    Some(&cloc),
                );
            }
            let error_equals = self.error_equals(cm, &cloc);
            if error_equals.iter().any(|e| e == crate::errors::ALL) && i + 1 != arr.len() {
                self.schema(
                    "A catcher with 'States.ALL' in 'ErrorEquals' must be the last catcher",
                    Some(&format!("{cloc}/ErrorEquals")),
                );
            }
            let next = match self.opt_str(cm, "Next", &cloc) {
                Some(n) => self.target(n, by_name, &format!("{cloc}/Next")),
                None => {
                    if !cm.contains_key("Next") {
                        self.schema("These fields are required: [Next]", Some(&cloc));
                    }
                    usize::MAX
                }
            };
            let (result_path, assign) = if jsonata {
                let field = format!("Catch[{i}]");
                jout.push(JsonataCatcher {
                    output: self.query(cm, "Output", &format!("{field}/Output"), &cloc),
                    assign: self.jsonata_assign(cm, &format!("{field}/Assign"), &cloc),
                });
                (ResultPath::Replace, None)
            } else {
                (self.result_path(cm, &cloc), self.assign(cm, &cloc))
            };
            out.push(Catcher {
                error_equals,
                next,
                result_path,
                assign,
            });
        }
        (out, jout)
    }

    fn seconds(&mut self, m: &Map<String, Value>, key: &str, loc: &str) -> Option<Seconds> {
        let path_key = format!("{key}Path");
        match (m.contains_key(key), m.contains_key(&path_key)) {
            (true, true) => {
                self.schema(
                    format!("The fields '{key}' and '{path_key}' are mutually exclusive"),
                    Some(loc),
                );
                None
            }
            (true, false) => self
                .opt_uint(m, key, loc, 1, MAX_SECONDS)
                .map(Seconds::Fixed),
            (false, true) => self
                .reference_path_field(m, &path_key, loc)
                .map(Seconds::Path),
            (false, false) => None,
        }
    }

    fn task(&mut self, m: &Map<String, Value>, loc: &str) -> Option<TaskSpec> {
        let resource = match m.get("Resource") {
            None => {
                self.schema("These fields are required: [Resource]", Some(loc));
                None
            }
            Some(Value::String(r)) => {
                if !is_arn(r) {
                    self.schema(
                        "Value is not a valid resource ARN",
                        Some(&format!("{loc}/Resource")),
                    );
                }
                Some(r.clone())
            }
            Some(_) => {
                self.schema(
                    "The value for the field 'Resource' must be a STRING",
                    Some(&format!("{loc}/Resource")),
                );
                None
            }
        };
        let timeout = self.seconds(m, "TimeoutSeconds", loc);
        let heartbeat = self.seconds(m, "HeartbeatSeconds", loc);
        if let (Some(Seconds::Fixed(t)), Some(Seconds::Fixed(h))) = (&timeout, &heartbeat)
            && h >= t
        {
            self.schema(
                "The value for the field 'HeartbeatSeconds' must be smaller than the value for the field 'TimeoutSeconds'",
                Some(&format!("{loc}/HeartbeatSeconds")),
            );
        }
        if let Some(c) = m.get("Credentials")
            && !c.is_object()
        {
            self.schema(
                "The value for the field 'Credentials' must be an OBJECT",
                Some(&format!("{loc}/Credentials")),
            );
        }
        Some(TaskSpec {
            resource: resource?,
            timeout,
            heartbeat,
            credentials: m.get("Credentials").cloned(),
        })
    }

    fn wait(&mut self, m: &Map<String, Value>, loc: &str) -> Option<WaitFor> {
        let present: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .into_iter()
            .filter(|k| m.contains_key(*k))
            .collect();
        if present.len() != 1 {
            self.schema(
                "Exactly one of the fields 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath' is required",
                Some(loc),
            );
            return None;
        }
        match present[0] {
            "Seconds" => self
                .opt_uint(m, "Seconds", loc, 0, MAX_SECONDS)
                .map(WaitFor::Seconds),
            "SecondsPath" => self
                .reference_path_field(m, "SecondsPath", loc)
                .map(WaitFor::SecondsPath),
            "Timestamp" => match m
                .get("Timestamp")
                .and_then(Value::as_str)
                .and_then(choice::parse_timestamp)
            {
                Some(t) => Some(WaitFor::Timestamp(t)),
                None => {
                    self.schema(
                        "The value for the field 'Timestamp' must be a valid RFC3339 timestamp",
                        Some(&format!("{loc}/Timestamp")),
                    );
                    None
                }
            },
            _ => self
                .reference_path_field(m, "TimestampPath", loc)
                .map(WaitFor::TimestampPath),
        }
    }

    fn fail_text(&mut self, m: &Map<String, Value>, key: &str, loc: &str) -> FailText {
        let path_key = format!("{key}Path");
        match (m.get(key), m.get(&path_key)) {
            (Some(_), Some(_)) => {
                self.schema(
                    format!("The fields '{key}' and '{path_key}' are mutually exclusive"),
                    Some(loc),
                );
                FailText::Absent
            }
            (Some(Value::String(s)), None) => FailText::Literal(s.clone()),
            (Some(_), None) => {
                self.schema(
                    format!("The value for the field '{key}' must be a STRING"),
                    Some(&format!("{loc}/{key}")),
                );
                FailText::Absent
            }
            (None, Some(Value::String(s))) => {
                let parsed = if s.starts_with("States.") {
                    Intrinsic::parse(s)
                        .ok()
                        .map(|c| FailText::Call(Box::new(c)))
                } else {
                    Path::parse(s)
                        .ok()
                        .filter(Path::is_definite)
                        .map(FailText::Path)
                };
                parsed.unwrap_or_else(|| {
                    self.schema(
                        format!("The value for the field '{path_key}' must be a valid ReferencePath or a valid intrinsic function call"),
                        Some(&format!("{loc}/{path_key}")),
                    );
                    FailText::Absent
                })
            }
            (None, Some(_)) => {
                self.schema(
                    format!("The value for the field '{path_key}' must be a STRING"),
                    Some(&format!("{loc}/{path_key}")),
                );
                FailText::Absent
            }
            (None, None) => FailText::Absent,
        }
    }

    fn fail(&mut self, m: &Map<String, Value>, loc: &str) -> StateKind {
        StateKind::Fail {
            error: self.fail_text(m, "Error", loc),
            cause: self.fail_text(m, "Cause", loc),
        }
    }

    fn choice_state(
        &mut self,
        m: &Map<String, Value>,
        loc: &str,
        by_name: &HashMap<String, usize>,
    ) -> Option<StateKind> {
        let choices = match m.get("Choices") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            Some(_) => {
                self.schema(
                    "The value for the field 'Choices' must be a non-empty ARRAY",
                    Some(&format!("{loc}/Choices")),
                );
                return None;
            }
            None => {
                self.schema("These fields are required: [Choices]", Some(loc));
                return None;
            }
        };
        let mut rules = Vec::new();
        let mut ok = true;
        for (i, c) in choices.iter().enumerate() {
            let cloc = format!("{loc}/Choices[{i}]");
            let Some(cm) = c.as_object() else {
                self.schema("A choice rule must be an OBJECT", Some(&cloc));
                ok = false;
                continue;
            };
            let next = match cm.get("Next") {
                Some(Value::String(n)) => self.target(n, by_name, &format!("{cloc}/Next")),
                Some(_) => {
                    self.schema(
                        "The value for the field 'Next' must be a STRING",
                        Some(&format!("{cloc}/Next")),
                    );
                    usize::MAX
                }
                None => {
                    self.schema("These fields are required: [Next]", Some(&cloc));
                    usize::MAX
                }
            };
            let assign = self.assign(cm, &cloc);
            match self.condition(cm, &cloc, true) {
                Some(condition) => rules.push(ChoiceRule {
                    condition,
                    next,
                    assign,
                }),
                None => ok = false,
            }
        }
        let default = self.choice_default(m, loc, by_name);
        ok.then_some(StateKind::Choice {
            choices: rules,
            default,
        })
    }

    /// Parses a Boolean expression; `top` allows `Next`, `Assign` and `Comment` beside it.
    fn condition(&mut self, m: &Map<String, Value>, loc: &str, top: bool) -> Option<Condition> {
        let mut ops: Vec<&str> = Vec::new();
        for k in m.keys() {
            let k = k.as_str();
            let known_op = matches!(k, "And" | "Or" | "Not")
                || OPERATORS.iter().any(|(n, op)| {
                    *n == k || (op.has_path_form() && k.strip_suffix("Path") == Some(*n))
                });
            if known_op {
                ops.push(k);
            } else if k == "Variable" || k == "Comment" || (top && (k == "Next" || k == "Assign")) {
            } else {
                let msg = if top && matches!(k, "Condition" | "Output") {
                    format!("Field '{k}' is not supported when the QueryLanguage is JSONPath")
                } else {
                    format!("Field '{k}' is not supported")
                };
                self.schema(msg, Some(loc));
                return None;
            }
        }
        if ops.len() != 1 {
            self.schema(
                "A choice rule must have exactly one comparison operator or one of 'And', 'Or', 'Not'",
                Some(loc),
            );
            return None;
        }
        let op_name = ops[0];
        let val = m.get(op_name)?;
        let oloc = format!("{loc}/{op_name}");
        match op_name {
            "And" | "Or" => {
                if m.contains_key("Variable") {
                    self.schema("Field 'Variable' is not supported", Some(loc));
                }
                let Some(arr) = val.as_array().filter(|a| !a.is_empty()) else {
                    self.schema(
                        format!("The value for the field '{op_name}' must be a non-empty ARRAY"),
                        Some(&oloc),
                    );
                    return None;
                };
                let mut subs = Vec::new();
                for (i, s) in arr.iter().enumerate() {
                    let sloc = format!("{oloc}[{i}]");
                    let Some(sm) = s.as_object() else {
                        self.schema("A choice rule must be an OBJECT", Some(&sloc));
                        return None;
                    };
                    subs.push(self.condition(sm, &sloc, false)?);
                }
                Some(if op_name == "And" {
                    Condition::And(subs)
                } else {
                    Condition::Or(subs)
                })
            }
            "Not" => {
                if m.contains_key("Variable") {
                    self.schema("Field 'Variable' is not supported", Some(loc));
                }
                let Some(sm) = val.as_object() else {
                    self.schema(
                        "The value for the field 'Not' must be an OBJECT",
                        Some(&oloc),
                    );
                    return None;
                };
                Some(Condition::Not(Box::new(self.condition(sm, &oloc, false)?)))
            }
            _ => {
                let variable = match m.get("Variable") {
                    None => {
                        self.schema("These fields are required: [Variable]", Some(loc));
                        return None;
                    }
                    Some(Value::String(s)) => match Path::parse(s) {
                        Ok(p) => p,
                        Err(_) => {
                            self.schema(
                                "The value for the field 'Variable' must be a valid JSONPath",
                                Some(&format!("{loc}/Variable")),
                            );
                            return None;
                        }
                    },
                    Some(_) => {
                        self.schema(
                            "The value for the field 'Variable' must be a valid JSONPath",
                            Some(&format!("{loc}/Variable")),
                        );
                        return None;
                    }
                };
                let (base, is_path) = match OPERATORS.iter().find(|(n, _)| *n == op_name) {
                    Some((_, op)) => (*op, false),
                    None => {
                        let stripped = op_name.strip_suffix("Path").unwrap_or(op_name);
                        let op = OPERATORS
                            .iter()
                            .find(|(n, _)| *n == stripped)
                            .map(|(_, o)| *o)?;
                        (op, true)
                    }
                };
                let operand = if is_path {
                    match val.as_str().map(Path::parse) {
                        Some(Ok(p)) => Operand::Path(p),
                        _ => {
                            self.schema(
                                format!(
                                    "The value for the field '{op_name}' must be a valid JSONPath"
                                ),
                                Some(&oloc),
                            );
                            return None;
                        }
                    }
                } else {
                    let ok = match base.operand_kind() {
                        OperandKind::String => val.is_string(),
                        OperandKind::Number => val.is_number(),
                        OperandKind::Boolean => val.is_boolean(),
                        OperandKind::Timestamp => {
                            val.as_str().and_then(choice::parse_timestamp).is_some()
                        }
                    };
                    if !ok {
                        let what = match base.operand_kind() {
                            OperandKind::String => "a STRING",
                            OperandKind::Number => "a NUMBER",
                            OperandKind::Boolean => "a BOOLEAN",
                            OperandKind::Timestamp => "a valid RFC3339 timestamp",
                        };
                        self.schema(
                            format!("The value for the field '{op_name}' must be {what}"),
                            Some(&oloc),
                        );
                        return None;
                    }
                    Operand::Literal(val.clone())
                };
                if base == Op::IsPresent
                    && let Operand::Literal(_) = operand
                {
                    // IsPresent on an indefinite path still makes sense; nothing more to check.
                }
                Some(Condition::Compare {
                    variable,
                    op: base,
                    operand,
                })
            }
        }
    }

    fn choice_default(
        &mut self,
        m: &Map<String, Value>,
        loc: &str,
        by_name: &HashMap<String, usize>,
    ) -> Option<usize> {
        match m.get("Default") {
            None => None,
            Some(Value::String(d)) => Some(self.target(d, by_name, &format!("{loc}/Default"))),
            Some(_) => {
                self.schema(
                    "The value for the field 'Default' must be a STRING",
                    Some(&format!("{loc}/Default")),
                );
                None
            }
        }
    }

    /// Compiles `m[key]` of a JSONata state as a [`Query`] named `field` in run-time errors.
    fn query(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        field: &str,
        loc: &str,
    ) -> Option<Query> {
        let v = m.get(key)?;
        let floc = format!("{loc}/{key}");
        self.no_dollar_keys(v, &floc);
        let mut problems = Vec::new();
        let q = Query::compile(v, field, &floc, &mut problems);
        for (l, msg) in problems {
            self.schema(msg, Some(&l));
        }
        Some(q)
    }

    /// JSONata states do not use `.$` keys (paths and intrinsic functions are JSONPath).
    fn no_dollar_keys(&mut self, v: &Value, loc: &str) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let cloc = format!("{loc}/{k}");
                    if k.ends_with(".$") && c.is_string() {
                        self.schema(
                            format!("The field '{k}' is not supported when the QueryLanguage is JSONata: JSONata fields do not end with '.$' (use a '{{% ... %}}' expression)"),
                            Some(&cloc),
                        );
                    }
                    self.no_dollar_keys(c, &cloc);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    self.no_dollar_keys(c, &format!("{loc}[{i}]"));
                }
            }
            _ => {}
        }
    }

    /// `Assign` of a JSONata state, rule or catcher: an object of variable names.
    fn jsonata_assign(&mut self, m: &Map<String, Value>, field: &str, loc: &str) -> Option<Query> {
        let v = m.get("Assign")?;
        let floc = format!("{loc}/Assign");
        let Some(obj) = v.as_object() else {
            self.schema(
                "The value for the field 'Assign' must be an OBJECT",
                Some(&floc),
            );
            return None;
        };
        for k in obj.keys() {
            let valid = k.chars().next().is_some_and(crate::path::is_ident_start)
                && k.chars().all(crate::path::is_ident_char)
                && k.chars().count() <= 80;
            if !valid || k == "states" {
                self.schema(
                    format!("The variable name '{k}' is invalid: it must start with a letter or '_', contain only letters, digits and '_', be at most 80 characters and not be 'states'"),
                    Some(&format!("{floc}/{k}")),
                );
            }
        }
        self.query(m, "Assign", field, loc)
    }

    /// A number field of a JSONata state: a literal integer in `min..=max`, or an expression.
    fn jsonata_number(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        loc: &str,
        min: u64,
        max: u64,
    ) -> Option<Query> {
        match m.get(key)? {
            Value::String(_) => self.query(m, key, key, loc),
            Value::Number(_) => {
                self.opt_uint(m, key, loc, min, max)?;
                self.query(m, key, key, loc)
            }
            _ => {
                self.schema(
                    format!(
                        "The value for the field '{key}' must be an integer or a JSONata expression"
                    ),
                    Some(&format!("{loc}/{key}")),
                );
                None
            }
        }
    }

    /// A string field of a JSONata state: a literal or an expression.
    fn jsonata_string(&mut self, m: &Map<String, Value>, key: &str, loc: &str) -> Option<Query> {
        match m.get(key)? {
            Value::String(_) => self.query(m, key, key, loc),
            _ => {
                self.schema(
                    format!("The value for the field '{key}' must be a STRING"),
                    Some(&format!("{loc}/{key}")),
                );
                None
            }
        }
    }

    /// The JSONata fields of a state of type `ty`.
    fn jsonata_spec(
        &mut self,
        ty: &str,
        m: &Map<String, Value>,
        loc: &str,
        by_name: &HashMap<String, usize>,
    ) -> JsonataSpec {
        let mut spec = JsonataSpec {
            arguments: self.query(m, "Arguments", "Arguments", loc),
            output: self.query(m, "Output", "Output", loc),
            assign: self.jsonata_assign(m, "Assign", loc),
            ..JsonataSpec::default()
        };
        match ty {
            "Task" => {
                spec.timeout = self.jsonata_number(m, "TimeoutSeconds", loc, 1, MAX_SECONDS);
                spec.heartbeat = self.jsonata_number(m, "HeartbeatSeconds", loc, 1, MAX_SECONDS);
                if let (Some(t), Some(h)) = (
                    spec.timeout.as_ref().and_then(|q| q.literal()?.as_u64()),
                    spec.heartbeat.as_ref().and_then(|q| q.literal()?.as_u64()),
                ) && h >= t
                {
                    self.schema(
                        "The value for the field 'HeartbeatSeconds' must be smaller than the value for the field 'TimeoutSeconds'",
                        Some(&format!("{loc}/HeartbeatSeconds")),
                    );
                }
            }
            "Wait" => {
                let present: Vec<&str> = ["Seconds", "Timestamp"]
                    .into_iter()
                    .filter(|k| m.contains_key(*k))
                    .collect();
                if present.len() != 1 {
                    self.schema(
                        "Exactly one of the fields 'Seconds' or 'Timestamp' is required",
                        Some(loc),
                    );
                }
                spec.seconds = self.jsonata_number(m, "Seconds", loc, 0, MAX_SECONDS);
                spec.timestamp = self.jsonata_string(m, "Timestamp", loc);
                if let Some(Value::String(t)) = spec.timestamp.as_ref().and_then(Query::literal)
                    && choice::parse_timestamp(t).is_none()
                {
                    self.schema(
                        "The value for the field 'Timestamp' must be a valid RFC3339 timestamp",
                        Some(&format!("{loc}/Timestamp")),
                    );
                }
            }
            "Fail" => {
                spec.error = self.jsonata_string(m, "Error", loc);
                spec.cause = self.jsonata_string(m, "Cause", loc);
            }
            "Map" => {
                spec.items = self.query(m, "Items", "Items", loc);
                if let Some(v) = spec.items.as_ref().and_then(Query::literal)
                    && !v.is_array()
                {
                    self.schema(
                        "The value for the field 'Items' must be an ARRAY or a JSONata expression",
                        Some(&format!("{loc}/Items")),
                    );
                }
                spec.item_selector = self.query(m, "ItemSelector", "ItemSelector", loc);
                spec.max_concurrency =
                    self.jsonata_number(m, "MaxConcurrency", loc, 0, MAX_SECONDS);
            }
            "Choice" => spec.choices = self.jsonata_rules(m, loc, by_name),
            _ => {}
        }
        spec
    }

    /// Choice rules of a JSONata state: `Condition` (a Boolean expression), `Next`, and their own
    /// `Assign` and `Output`.
    fn jsonata_rules(
        &mut self,
        m: &Map<String, Value>,
        loc: &str,
        by_name: &HashMap<String, usize>,
    ) -> Vec<JsonataRule> {
        let choices = match m.get("Choices") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            Some(_) => {
                self.schema(
                    "The value for the field 'Choices' must be a non-empty ARRAY",
                    Some(&format!("{loc}/Choices")),
                );
                return Vec::new();
            }
            None => {
                self.schema("These fields are required: [Choices]", Some(loc));
                return Vec::new();
            }
        };
        let mut rules = Vec::new();
        for (i, c) in choices.iter().enumerate() {
            let cloc = format!("{loc}/Choices[{i}]");
            let field = format!("Choices[{i}]");
            let Some(cm) = c.as_object() else {
                self.schema("A choice rule must be an OBJECT", Some(&cloc));
                continue;
            };
            for k in cm.keys() {
                if !matches!(
                    k.as_str(),
                    "Condition" | "Next" | "Assign" | "Output" | "Comment"
                ) {
                    let known = k == "Variable"
                        || matches!(k.as_str(), "And" | "Or" | "Not")
                        || OPERATORS
                            .iter()
                            .any(|(n, _)| *n == k.as_str() || k.strip_suffix("Path") == Some(*n));
                    let msg = if known {
                        format!("Field '{k}' is not supported when the QueryLanguage is JSONata")
                    } else {
                        format!("Field '{k}' is not supported")
                    };
                    self.schema(msg, Some(&cloc));
                }
            }
            let next = match cm.get("Next") {
                Some(Value::String(n)) => self.target(n, by_name, &format!("{cloc}/Next")),
                Some(_) => {
                    self.schema(
                        "The value for the field 'Next' must be a STRING",
                        Some(&format!("{cloc}/Next")),
                    );
                    usize::MAX
                }
                None => {
                    self.schema("These fields are required: [Next]", Some(&cloc));
                    usize::MAX
                }
            };
            let condition = match cm.get("Condition") {
                Some(Value::String(_) | Value::Bool(_)) => {
                    self.query(cm, "Condition", &format!("{field}/Condition"), &cloc)
                }
                Some(_) => {
                    self.schema(
                        "The value for the field 'Condition' must be a BOOLEAN or a JSONata expression",
                        Some(&format!("{cloc}/Condition")),
                    );
                    None
                }
                None => {
                    self.schema("These fields are required: [Condition]", Some(&cloc));
                    None
                }
            };
            let assign = self.jsonata_assign(cm, &format!("{field}/Assign"), &cloc);
            let output = self.query(cm, "Output", &format!("{field}/Output"), &cloc);
            if let Some(condition) = condition {
                rules.push(JsonataRule {
                    condition,
                    next,
                    assign,
                    output,
                });
            }
        }
        rules
    }

    fn parallel(&mut self, m: &Map<String, Value>, loc: &str, depth: usize) -> Option<StateKind> {
        let Some(arr) = m
            .get("Branches")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
        else {
            if m.contains_key("Branches") {
                self.schema(
                    "The value for the field 'Branches' must be a non-empty ARRAY",
                    Some(&format!("{loc}/Branches")),
                );
            } else {
                self.schema("These fields are required: [Branches]", Some(loc));
            }
            return None;
        };
        let mut branches = Vec::new();
        let mut ok = true;
        for (i, b) in arr.iter().enumerate() {
            let bloc = format!("{loc}/Branches[{i}]");
            let Some(bm) = b.as_object() else {
                self.schema("A branch must be an OBJECT", Some(&bloc));
                ok = false;
                continue;
            };
            self.unknown_fields(
                bm,
                &[
                    "StartAt",
                    "States",
                    "Comment",
                    "ProcessorConfig",
                    "QueryLanguage",
                ],
                &bloc,
            );
            match self.machine(bm, &bloc, depth + 1) {
                Some(sm) => branches.push(sm),
                None => ok = false,
            }
        }
        ok.then_some(StateKind::Parallel { branches })
    }

    fn map(
        &mut self,
        m: &Map<String, Value>,
        original: &Map<String, Value>,
        jsonata: bool,
        loc: &str,
        depth: usize,
    ) -> Option<StateKind> {
        let (key, proc_value) = match (m.get("ItemProcessor"), m.get("Iterator")) {
            (Some(_), Some(_)) => {
                self.schema(
                    "The fields 'ItemProcessor' and 'Iterator' are mutually exclusive",
                    Some(loc),
                );
                return None;
            }
            (Some(p), None) => ("ItemProcessor", p),
            (None, Some(p)) => ("Iterator", p),
            (None, None) => {
                self.schema("These fields are required: [ItemProcessor]", Some(loc));
                return None;
            }
        };
        let ploc = format!("{loc}/{key}");
        let Some(pm) = proc_value.as_object() else {
            self.schema(
                format!("The value for the field '{key}' must be an OBJECT"),
                Some(&ploc),
            );
            return None;
        };
        self.unknown_fields(
            pm,
            &[
                "StartAt",
                "States",
                "Comment",
                "ProcessorConfig",
                "QueryLanguage",
            ],
            &ploc,
        );
        let mut mode_distributed = false;
        let mut execution_type = "STANDARD".to_string();
        if let Some(cfg) = pm.get("ProcessorConfig") {
            let Some(cm) = cfg.as_object() else {
                self.schema(
                    "The value for the field 'ProcessorConfig' must be an OBJECT",
                    Some(&format!("{ploc}/ProcessorConfig")),
                );
                return None;
            };
            let cloc = format!("{ploc}/ProcessorConfig");
            self.unknown_fields(cm, &["Mode", "ExecutionType"], &cloc);
            match self.opt_str(cm, "Mode", &cloc) {
                None | Some("INLINE") => {}
                Some("DISTRIBUTED") => mode_distributed = true,
                Some(_) => self.schema(
                    "The value for the field 'Mode' must be one of [INLINE, DISTRIBUTED]",
                    Some(&format!("{cloc}/Mode")),
                ),
            }
            match self.opt_str(cm, "ExecutionType", &cloc) {
                None => {}
                Some(t @ ("STANDARD" | "EXPRESS")) => execution_type = t.to_string(),
                Some(_) => self.schema(
                    "The value for the field 'ExecutionType' must be one of [STANDARD, EXPRESS]",
                    Some(&format!("{cloc}/ExecutionType")),
                ),
            }
        }
        let processor = self.machine(pm, &ploc, depth + 1);
        let items_path = match self.data_path(m, "ItemsPath", loc) {
            DataPath::Path(p) => Some(p),
            DataPath::Identity => None,
            DataPath::Discard => {
                self.invalid_path("ItemsPath", loc);
                None
            }
        };
        let item_selector = self.template(m, "ItemSelector", loc);
        let max_concurrency = match (
            m.contains_key("MaxConcurrency"),
            m.contains_key("MaxConcurrencyPath"),
        ) {
            (true, true) => {
                self.schema(
                    "The fields 'MaxConcurrency' and 'MaxConcurrencyPath' are mutually exclusive",
                    Some(loc),
                );
                Seconds::Fixed(0)
            }
            (true, false) => Seconds::Fixed(
                self.opt_uint(m, "MaxConcurrency", loc, 0, MAX_SECONDS)
                    .unwrap_or(0),
            ),
            (false, true) => self
                .reference_path_field(m, "MaxConcurrencyPath", loc)
                .map_or(Seconds::Fixed(0), Seconds::Path),
            (false, false) => Seconds::Fixed(0),
        };
        let distributed =
            self.distributed_map(original, jsonata, mode_distributed, execution_type, loc);
        Some(StateKind::Map(MapSpec {
            items_path,
            item_selector,
            processor: Box::new(processor?),
            max_concurrency,
            distributed: distributed.map(Box::new),
        }))
    }

    /// The Distributed Map fields (`Label`, `ItemBatcher`, `ToleratedFailure*`), refused on an
    /// inline Map; `ItemReader` / `ResultWriter` read from and write to Amazon S3, which kyc-local
    /// does not serve, so they are refused with that reason.
    fn distributed_map(
        &mut self,
        m: &Map<String, Value>,
        jsonata: bool,
        distributed: bool,
        execution_type: String,
        loc: &str,
    ) -> Option<DistributedMap> {
        for k in ["ItemReader", "ResultWriter"] {
            if m.contains_key(k) {
                self.schema(
                    format!("Field '{k}' is not supported by kyc-local: it reads or writes Amazon S3, which kyc-local does not serve (give the items in the state input with ItemsPath or Items)"),
                    Some(&format!("{loc}/{k}")),
                );
            }
        }
        const ONLY_DISTRIBUTED: [&str; 6] = [
            "Label",
            "ItemBatcher",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
        ];
        if !distributed {
            for k in ONLY_DISTRIBUTED {
                if m.contains_key(k) {
                    self.schema(
                        format!("Field '{k}' is only supported by a Map state in DISTRIBUTED mode (ItemProcessor.ProcessorConfig.Mode)"),
                        Some(&format!("{loc}/{k}")),
                    );
                }
            }
            return None;
        }
        let label = match m.get("Label") {
            None => None,
            Some(Value::String(l)) if valid_label(l) => Some(l.clone()),
            Some(_) => {
                self.schema(
                    "The value for the field 'Label' must be a STRING of at most 40 characters without white space, brackets, wildcards, special characters or control characters",
                    Some(&format!("{loc}/Label")),
                );
                None
            }
        };
        let batcher = match m.get("ItemBatcher") {
            None => None,
            Some(Value::Object(b)) => self.item_batcher(b, jsonata, &format!("{loc}/ItemBatcher")),
            Some(_) => {
                self.schema(
                    "The value for the field 'ItemBatcher' must be an OBJECT",
                    Some(&format!("{loc}/ItemBatcher")),
                );
                None
            }
        };
        let tolerated_failure_count =
            self.number_field(m, "ToleratedFailureCount", jsonata, loc, 0.0, None, true);
        let tolerated_failure_percentage = self.number_field(
            m,
            "ToleratedFailurePercentage",
            jsonata,
            loc,
            0.0,
            Some(100.0),
            false,
        );
        Some(DistributedMap {
            execution_type,
            label,
            batcher,
            tolerated_failure_count,
            tolerated_failure_percentage,
        })
    }

    fn item_batcher(
        &mut self,
        b: &Map<String, Value>,
        jsonata: bool,
        loc: &str,
    ) -> Option<ItemBatcher> {
        let allowed: &[&str] = if jsonata {
            &["MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"]
        } else {
            &[
                "MaxItemsPerBatch",
                "MaxItemsPerBatchPath",
                "MaxInputBytesPerBatch",
                "MaxInputBytesPerBatchPath",
                "BatchInput",
            ]
        };
        self.unknown_fields(b, allowed, loc);
        let max_items = self.number_field(b, "MaxItemsPerBatch", jsonata, loc, 1.0, None, true);
        let max_bytes = self.number_field(
            b,
            "MaxInputBytesPerBatch",
            jsonata,
            loc,
            1.0,
            Some(MAX_BATCH_BYTES as f64),
            true,
        );
        if max_items.is_none()
            && max_bytes.is_none()
            && !b.contains_key("MaxItemsPerBatch")
            && !b.contains_key("MaxItemsPerBatchPath")
            && !b.contains_key("MaxInputBytesPerBatch")
            && !b.contains_key("MaxInputBytesPerBatchPath")
        {
            self.schema(
                "An ItemBatcher must specify at least one of MaxItemsPerBatch, MaxItemsPerBatchPath, MaxInputBytesPerBatch or MaxInputBytesPerBatchPath",
                Some(loc),
            );
        }
        let batch_input = match b.get("BatchInput") {
            None => None,
            Some(_) if jsonata => self
                .query(b, "BatchInput", "BatchInput", loc)
                .map(BatchInput::Query),
            Some(_) => self
                .template(b, "BatchInput", loc)
                .map(BatchInput::Template),
        };
        Some(ItemBatcher {
            max_items,
            max_bytes,
            batch_input,
        })
    }

    /// `key` (a number in `min..=max`, an integer when `integer`; a JSONata expression in a
    /// JSONata state) or `keyPath` (a reference path, JSONPath only); not both.
    #[allow(clippy::too_many_arguments)]
    fn number_field(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        jsonata: bool,
        loc: &str,
        min: f64,
        max: Option<f64>,
        integer: bool,
    ) -> Option<Number> {
        let path_key = format!("{key}Path");
        if m.contains_key(key) && m.contains_key(&path_key) {
            self.schema(
                format!("The fields '{key}' and '{path_key}' are mutually exclusive"),
                Some(loc),
            );
            return None;
        }
        if m.contains_key(&path_key) {
            return self
                .reference_path_field(m, &path_key, loc)
                .map(Number::Path);
        }
        let v = m.get(key)?;
        if jsonata && v.is_string() {
            return self.query(m, key, key, loc).map(Number::Query);
        }
        let n = v
            .as_f64()
            .filter(|n| *n >= min && max.is_none_or(|x| *n <= x) && (!integer || n.fract() == 0.0));
        match n {
            Some(n) => Some(Number::Fixed(n)),
            None => {
                let kind = if integer { "an integer" } else { "a number" };
                let range = match max {
                    Some(x) => format!("between {min} and {x}"),
                    None => format!("greater than or equal to {min}"),
                };
                self.schema(
                    format!("The value for the field '{key}' must be {kind} {range}"),
                    Some(&format!("{loc}/{key}")),
                );
                None
            }
        }
    }
}

/// A Distributed Map `Label`: at most 40 characters, none of the characters a name may not
/// have (developer guide, Distributed Map fields: "Label").
fn valid_label(l: &str) -> bool {
    let bad =
        |c: char| c.is_whitespace() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c) || c.is_control();
    let n = l.chars().count();
    (1..=40).contains(&n) && !l.chars().any(bad)
}

/// `arn:partition:service:region:account:resource` (region/account may be empty).
fn is_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty()
}
