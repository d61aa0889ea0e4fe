//! Mocked service integrations: Step Functions Local's mock configuration file.
//!
//! The format is the developer guide's ("Using mocked service integrations for testing in Step
//! Functions Local", "Configuration file for mocked service integrations"):
//!
//! ```json
//! { "StateMachines": { "<state machine name>": { "TestCases": {
//!       "<test case>": { "<Task state name>": "<mocked response name>" } } } },
//!   "MockedResponses": { "<mocked response name>": {
//!       "0": { "Return": <the integration's result> },
//!       "1-2": { "Throw": { "Error": "<error name>", "Cause": "<cause>" } } } } }
//! ```
//!
//! `StartExecution` on `<state machine ARN>#<test case>` runs that test case: each Task state the
//! test case names gets the mocked response of its invocation number (0 for the first invocation of
//! that state in the execution, then 1, 2, ... across retries and re-entries) and calls nothing; every
//! other state runs for real. What the guide says, and what this module enforces when the file is
//! read (a bad file is refused at start-up, with the place and the problem):
//!
//! - the top level has `StateMachines` and `MockedResponses` ("the top-level object fields that you
//!   must define"), a state machine has the single field `TestCases`;
//! - invocation keys are integer strings (`"0"`) or inclusive ranges (`"0-1"`); mocks for retries
//!   carry "consecutive attempt numbers", so the keys of a response must cover 0, 1, 2, ... without
//!   a gap or an overlap;
//! - a response "must contain a single field named `Return` or `Throw`"; `Throw` is "an object
//!   containing an `Error` and `Cause` fields with string values";
//! - a test case must name a mocked response that exists.
//!
//! Past the last invocation a response covers, "the state machine execution will fail": the task
//! fails with `States.Runtime`, which no Retry or Catch handles (the cause text is ours; the guide
//! gives none). Unknown fields anywhere are refused too (the guide lists no others), so a typo does
//! not silently fall back to the real service, and so is a field named twice in one object.
//!
//! The runtime's side is one hook: the task dispatcher asks `mocked` first. The test case of an
//! execution and the invocation number each mocked call got are stored with the execution
//! (`store::stepfunctions_mocks`, migration 10), so a restart resumes a test case where it was and
//! a task dispatched again gets the same response.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

use super::StepFunctionsService;
use super::model::TaskResult;
use crate::store::stepfunctions_mocks as records;

/// Largest mock configuration file read (the JSON text). The guide states no limit; a file of
/// recorded responses for a whole test suite fits easily.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Most state machines, test cases per state machine, mocked responses, and keys of one object.
pub const MAX_ENTRIES: usize = 10_000;
/// Longest name of a state machine, test case, state or mocked response accepted. State machine
/// and state names are at most 80 characters in Step Functions; test case and response names are
/// the file's own and get more room.
pub const MAX_NAME_CHARS: usize = 256;
/// Highest invocation number a key may name: Retry's `MaxAttempts` is at most 99999999, so no
/// state is invoked more often than that in one retry run.
pub const MAX_ATTEMPT: u64 = 99_999_999;
/// The environment variable Step Functions Local reads the file's path from.
pub const ENV_VAR: &str = "SFN_MOCK_CONFIG";

/// A mock configuration that was read and validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MockConfig {
    /// State machine name → test case name → Task state name → mocked response name.
    state_machines: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
    responses: BTreeMap<String, MockedResponse>,
}

/// One mocked response: what each invocation returns or throws, by invocation number.
#[derive(Debug, Clone, PartialEq)]
pub struct MockedResponse {
    /// `(first, last, outcome)`, sorted, covering `0..=last of the last entry` without gaps.
    attempts: Vec<(u64, u64, MockOutcome)>,
}

/// What a mocked invocation does.
#[derive(Debug, Clone, PartialEq)]
pub enum MockOutcome {
    /// The task succeeds with this result (the integration's raw result).
    Return(Value),
    /// The task fails with this error and cause.
    Throw {
        /// Error name (what Retry / Catch match).
        error: String,
        /// Cause text.
        cause: String,
    },
}

/// What a test case does with one invocation of one Task state.
#[derive(Debug, Clone, PartialEq)]
pub enum MockedInvocation {
    /// The test case does not mock this state: it runs for real.
    NotMocked,
    /// The mocked response of this invocation.
    Mocked(MockOutcome),
    /// The state is mocked, but its response covers fewer invocations than this one.
    Exhausted {
        /// The mocked response's name.
        response: String,
        /// How many invocations it covers.
        covered: u64,
    },
}

/// Why a mock configuration was refused: where in the file, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfigError {
    /// The field, as a path of names (`MockedResponses.MockedLambdaRetry.1-2`); empty for the file.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for MockConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            write!(f, "mock configuration: {}", self.message)
        } else {
            write!(f, "mock configuration: {}: {}", self.at, self.message)
        }
    }
}

impl std::error::Error for MockConfigError {}

fn err(at: &str, message: impl Into<String>) -> MockConfigError {
    MockConfigError {
        at: at.to_owned(),
        message: message.into(),
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

impl MockConfig {
    /// Reads and validates the file at `path` (at most [`MAX_FILE_BYTES`]).
    pub fn load(path: &Path) -> Result<Self, MockConfigError> {
        let file = std::fs::File::open(path)
            .map_err(|e| err("", format!("cannot open {}: {e}", path.display())))?;
        let mut text = String::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| err("", format!("cannot read {}: {e}", path.display())))?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(err(
                "",
                format!("{} is larger than {MAX_FILE_BYTES} bytes", path.display()),
            ));
        }
        Self::parse(&text)
    }

    /// Parses and validates a mock configuration document.
    pub fn parse(text: &str) -> Result<Self, MockConfigError> {
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(err(
                "",
                format!("the document is larger than {MAX_FILE_BYTES} bytes"),
            ));
        }
        // serde_json stops at 128 levels of nesting, which bounds the recursion of the parse.
        let StrictJson(root) =
            serde_json::from_str(text).map_err(|e| err("", format!("not valid JSON: {e}")))?;
        let root = object(&root, "")?;
        only_keys(root, "", &["StateMachines", "MockedResponses"])?;
        let responses = object(required(root, "", "MockedResponses")?, "MockedResponses")?;
        let machines = object(required(root, "", "StateMachines")?, "StateMachines")?;
        let mut config = MockConfig::default();
        for (name, value) in entries(responses, "MockedResponses")? {
            let at = join("MockedResponses", name);
            name_ok(name, &at)?;
            config
                .responses
                .insert(name.clone(), parse_response(value, &at)?);
        }
        for (machine, value) in entries(machines, "StateMachines")? {
            let at = join("StateMachines", machine);
            name_ok(machine, &at)?;
            let body = object(value, &at)?;
            only_keys(body, &at, &["TestCases"])?;
            let cases_at = join(&at, "TestCases");
            let cases = object(required(body, &at, "TestCases")?, &cases_at)?;
            let mut parsed = BTreeMap::new();
            for (case, states) in entries(cases, &cases_at)? {
                let case_at = join(&cases_at, case);
                name_ok(case, &case_at)?;
                let mut mocked = BTreeMap::new();
                for (state, response) in entries(object(states, &case_at)?, &case_at)? {
                    let state_at = join(&case_at, state);
                    name_ok(state, &state_at)?;
                    let Some(response) = response.as_str() else {
                        return Err(err(
                            &state_at,
                            "must be the name of a mocked response (a string)",
                        ));
                    };
                    if !config.responses.contains_key(response) {
                        return Err(err(
                            &state_at,
                            format!(
                                "names the mocked response '{response}', which MockedResponses does not define"
                            ),
                        ));
                    }
                    mocked.insert(state.clone(), response.to_owned());
                }
                parsed.insert(case.clone(), mocked);
            }
            config.state_machines.insert(machine.clone(), parsed);
        }
        Ok(config)
    }

    /// True when the configuration defines `test_case` for the state machine named
    /// `state_machine`.
    pub fn has_test_case(&self, state_machine: &str, test_case: &str) -> bool {
        self.state_machines
            .get(state_machine)
            .is_some_and(|cases| cases.contains_key(test_case))
    }

    /// True when the configuration names the state machine `state_machine`.
    pub fn has_state_machine(&self, state_machine: &str) -> bool {
        self.state_machines.contains_key(state_machine)
    }

    /// The names of the state machines the configuration has test cases for.
    pub fn state_machine_names(&self) -> impl Iterator<Item = &str> {
        self.state_machines.keys().map(String::as_str)
    }

    /// The test cases of every state machine, by state machine name.
    pub fn test_cases(&self) -> impl Iterator<Item = (&str, &str)> {
        self.state_machines.iter().flat_map(|(machine, cases)| {
            cases
                .keys()
                .map(move |case| (machine.as_str(), case.as_str()))
        })
    }

    /// Whether `test_case` of `state_machine` mocks the Task state `state`.
    pub fn mocks_state(&self, state_machine: &str, test_case: &str, state: &str) -> bool {
        self.state_machines
            .get(state_machine)
            .and_then(|cases| cases.get(test_case))
            .is_some_and(|states| states.contains_key(state))
    }

    /// What invocation `attempt` (0 for the first) of the Task state `state` does in `test_case`.
    pub fn invocation(
        &self,
        state_machine: &str,
        test_case: &str,
        state: &str,
        attempt: u64,
    ) -> MockedInvocation {
        let Some(name) = self
            .state_machines
            .get(state_machine)
            .and_then(|cases| cases.get(test_case))
            .and_then(|states| states.get(state))
        else {
            return MockedInvocation::NotMocked;
        };
        let Some(response) = self.responses.get(name) else {
            // `parse` refuses a test case naming an unknown response.
            return MockedInvocation::NotMocked;
        };
        match response.outcome(attempt) {
            Some(outcome) => MockedInvocation::Mocked(outcome.clone()),
            None => MockedInvocation::Exhausted {
                response: name.clone(),
                covered: response.covered(),
            },
        }
    }
}

impl MockConfig {
    /// The `(test case, state)` pairs of `state_machine` whose state is not a Task state of
    /// `definition` (an ASL document, Parallel branches and Map processors included): mocks that
    /// are never used, most likely a misspelt state name.
    pub fn states_not_in(&self, state_machine: &str, definition: &Value) -> Vec<(String, String)> {
        let tasks = task_state_names(definition);
        self.state_machines
            .get(state_machine)
            .into_iter()
            .flat_map(|cases| cases.iter())
            .flat_map(|(case, states)| {
                states
                    .keys()
                    .filter(|state| !tasks.contains(state.as_str()))
                    .map(move |state| (case.clone(), state.clone()))
            })
            .collect()
    }
}

/// Most state-list objects visited when collecting Task state names (a walk of the definition
/// without recursion, bounded whatever the definition holds).
const MAX_STATE_LISTS: usize = 10_000;

fn task_state_names(definition: &Value) -> std::collections::BTreeSet<&str> {
    let mut names = std::collections::BTreeSet::new();
    let mut pending = vec![definition];
    let mut visited = 0;
    while let Some(machine) = pending.pop() {
        visited += 1;
        if visited > MAX_STATE_LISTS {
            break;
        }
        let Some(states) = machine.get("States").and_then(Value::as_object) else {
            continue;
        };
        for (name, state) in states {
            match state.get("Type").and_then(Value::as_str) {
                Some("Task") => {
                    names.insert(name.as_str());
                }
                Some("Parallel") => {
                    if let Some(branches) = state.get("Branches").and_then(Value::as_array) {
                        pending.extend(branches);
                    }
                }
                Some("Map") => {
                    pending.extend(state.get("ItemProcessor"));
                    pending.extend(state.get("Iterator"));
                }
                _ => {}
            }
        }
    }
    names
}

impl MockedResponse {
    /// The outcome of invocation `attempt`, if the response covers it.
    pub fn outcome(&self, attempt: u64) -> Option<&MockOutcome> {
        // Sorted, non-overlapping ranges: a binary search finds the one holding `attempt`.
        let index = self
            .attempts
            .partition_point(|(_, last, _)| *last < attempt);
        self.attempts
            .get(index)
            .filter(|(first, _, _)| *first <= attempt)
            .map(|(_, _, outcome)| outcome)
    }

    /// How many invocations the response covers (`0..covered`).
    pub fn covered(&self) -> u64 {
        self.attempts.last().map_or(0, |(_, last, _)| last + 1)
    }
}

/// A JSON value, parsed as serde_json parses one except that an object naming the same field twice
/// is refused: serde_json keeps the last, which would hide a second test case or response of the
/// same name ("The name of each test case must be unique per state machine").
struct StrictJson(Value);

impl<'de> serde::Deserialize<'de> for StrictJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictJson)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictJson(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if fields.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "the field '{key}' appears twice in one object"
                )));
            }
            let StrictJson(value) = map.next_value()?;
            fields.insert(key, value);
        }
        Ok(Value::Object(fields))
    }
}

fn object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, MockConfigError> {
    value
        .as_object()
        .ok_or_else(|| err(at, format!("must be a JSON object, not {}", kind(value))))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn required<'a>(
    map: &'a Map<String, Value>,
    at: &str,
    key: &str,
) -> Result<&'a Value, MockConfigError> {
    map.get(key)
        .ok_or_else(|| err(at, format!("the field {key} is missing")))
}

fn only_keys(map: &Map<String, Value>, at: &str, known: &[&str]) -> Result<(), MockConfigError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(err(
            at,
            format!("unknown field '{unknown}' (expected {})", known.join(", ")),
        )),
        None => Ok(()),
    }
}

fn entries<'a>(
    map: &'a Map<String, Value>,
    at: &str,
) -> Result<impl Iterator<Item = (&'a String, &'a Value)>, MockConfigError> {
    if map.len() > MAX_ENTRIES {
        return Err(err(
            at,
            format!("has {} entries, more than {MAX_ENTRIES}", map.len()),
        ));
    }
    Ok(map.iter())
}

fn name_ok(name: &str, at: &str) -> Result<(), MockConfigError> {
    let chars = name.chars().count();
    if chars == 0 {
        return Err(err(at, "a name must not be empty"));
    }
    if chars > MAX_NAME_CHARS {
        return Err(err(
            at,
            format!("the name is {chars} characters long, more than {MAX_NAME_CHARS}"),
        ));
    }
    Ok(())
}

fn parse_response(value: &Value, at: &str) -> Result<MockedResponse, MockConfigError> {
    let map = object(value, at)?;
    if map.is_empty() {
        return Err(err(
            at,
            "defines no invocation (expected keys such as \"0\" or \"0-2\")",
        ));
    }
    let mut attempts = Vec::with_capacity(map.len());
    for (key, body) in entries(map, at)? {
        let key_at = join(at, key);
        let (first, last) = parse_range(key, &key_at)?;
        attempts.push((first, last, parse_outcome(body, &key_at)?));
    }
    attempts.sort_by_key(|(first, last, _)| (*first, *last));
    let mut next = 0u64;
    for (first, last, _) in &attempts {
        let key = if first == last {
            first.to_string()
        } else {
            format!("{first}-{last}")
        };
        if *first < next {
            return Err(err(
                &join(at, &key),
                format!(
                    "overlaps another key of this response (invocation {first} is covered twice)"
                ),
            ));
        }
        if *first > next {
            return Err(err(
                at,
                format!(
                    "invocation {next} has no mocked response: the keys must cover consecutive invocation numbers from 0 (the next key starts at {first})"
                ),
            ));
        }
        next = last + 1;
    }
    Ok(MockedResponse { attempts })
}

/// `"3"` or `"0-2"` (inclusive), decimal digits only.
fn parse_range(key: &str, at: &str) -> Result<(u64, u64), MockConfigError> {
    let number = |text: &str| -> Result<u64, MockConfigError> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 9 {
            return Err(err(
                at,
                "an invocation key is a number (\"3\") or an inclusive range (\"0-2\") of numbers from 0 to 99999999",
            ));
        }
        let n: u64 = text.parse().map_err(|_| err(at, "not a number"))?;
        if n > MAX_ATTEMPT {
            return Err(err(
                at,
                format!("invocation {n} is above the highest, {MAX_ATTEMPT}"),
            ));
        }
        Ok(n)
    };
    match key.split_once('-') {
        None => {
            let n = number(key)?;
            Ok((n, n))
        }
        Some((first, last)) => {
            let (first, last) = (number(first)?, number(last)?);
            if first > last {
                return Err(err(
                    at,
                    format!("the range starts after it ends ({first} > {last})"),
                ));
            }
            Ok((first, last))
        }
    }
}

fn parse_outcome(value: &Value, at: &str) -> Result<MockOutcome, MockConfigError> {
    let map = object(value, at)?;
    only_keys(map, at, &["Return", "Throw"])?;
    match (map.get("Return"), map.get("Throw")) {
        (Some(_), Some(_)) => Err(err(
            at,
            "has both Return and Throw (a response has a single field, Return or Throw)",
        )),
        (None, None) => Err(err(at, "needs a field Return or Throw")),
        (Some(result), None) => Ok(MockOutcome::Return(result.clone())),
        (None, Some(thrown)) => {
            let throw_at = join(at, "Throw");
            let thrown = object(thrown, &throw_at)?;
            only_keys(thrown, &throw_at, &["Error", "Cause"])?;
            let text = |key: &str| -> Result<String, MockConfigError> {
                match required(thrown, &throw_at, key)? {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(err(
                        &join(&throw_at, key),
                        format!("must be a string, not {}", kind(other)),
                    )),
                }
            };
            let error = text("Error")?;
            if error.is_empty() {
                return Err(err(&join(&throw_at, "Error"), "must not be empty"));
            }
            Ok(MockOutcome::Throw {
                error,
                cause: text("Cause")?,
            })
        }
    }
}

/// StartExecution's `stateMachineArn`: with a mock configuration, `ARN#TestCase` is the state
/// machine `ARN` and the test case; without one the ARN is left whole (and refused as an ARN).
pub(super) fn test_case_of<'a>(
    config: Option<&MockConfig>,
    state_machine_arn: &'a str,
) -> (&'a str, Option<&'a str>) {
    match config {
        Some(_) => split_test_case(state_machine_arn),
        None => (state_machine_arn, None),
    }
}

/// StartExecution on `ARN#TestCase` of a state machine the configuration has no such test case
/// for. The developer guide does not say what Step Functions Local answers; a ValidationException
/// naming the test case is our guess.
pub(super) fn check_test_case(
    config: Option<&MockConfig>,
    state_machine_name: &str,
    test_case: &str,
) -> Result<(), crate::protocol::error::AwsError> {
    if config.is_some_and(|c| c.has_test_case(state_machine_name, test_case)) {
        return Ok(());
    }
    Err(crate::protocol::error::AwsError::client(
        "ValidationException",
        format!(
            "Test case '{test_case}' is not defined for state machine '{state_machine_name}' in the mock configuration"
        ),
    ))
}

/// Splits `arn#test_case` (StartExecution's `stateMachineArn` naming a test case).
pub fn split_test_case(state_machine_arn: &str) -> (&str, Option<&str>) {
    match state_machine_arn.split_once('#') {
        Some((arn, case)) => (arn, Some(case)),
        None => (state_machine_arn, None),
    }
}

// ----- Runtime: the task dispatcher's hook ---------------------------------------------------

/// What the store says about one task of an execution.
enum Claim {
    /// Not a test-case execution, or its test case does not mock this state.
    Real,
    /// The state's mocked invocation `attempt`.
    Mocked {
        machine: String,
        case: String,
        attempt: u64,
    },
    /// The execution's test case is not in the configuration kyc-local runs with now.
    Gone { machine: String, case: String },
}

/// The result of a Task state that the execution's test case mocks (`ARN#TestCase` with a mock
/// configuration), by the state's invocation number in the execution; None when the task runs for
/// real. "A mocked Task will never call the service endpoint", and a `.waitForTaskToken` one
/// finishes with its mocked response without waiting for a callback (the developer guide's
/// "Configuring mocked service integrations").
pub(super) async fn mocked(
    svc: &StepFunctionsService,
    task: &asl::TaskRequest,
    execution_arn: &str,
    state_machine_arn: &str,
) -> Option<TaskResult> {
    let config = std::sync::Arc::clone(svc.mocks.get()?);
    let machine = state_machine_arn.rsplit(':').next()?.to_owned();
    let (arn, task_id, state) = (
        execution_arn.to_owned(),
        task.task_id,
        task.state_name.clone(),
    );
    let lookup = std::sync::Arc::clone(&config);
    let claimed = svc
        .stack
        .store
        .write(move |c| {
            let Some(case) = records::test_case(c, &arn)? else {
                return Ok::<_, crate::store::StoreError>(Claim::Real);
            };
            if !lookup.has_test_case(&machine, &case) {
                return Ok(Claim::Gone { machine, case });
            }
            if !lookup.mocks_state(&machine, &case, &state) {
                return Ok(Claim::Real);
            }
            let attempt = records::claim_attempt(c, &arn, task_id, &state)?;
            Ok(Claim::Mocked {
                machine,
                case,
                attempt,
            })
        })
        .await;
    let (machine, case, attempt) = match claimed {
        Ok(Claim::Real) => return None,
        Ok(Claim::Mocked {
            machine,
            case,
            attempt,
        }) => (machine, case, attempt),
        // kyc-local restarted with another mock configuration: the test case cannot go on, and
        // running its states for real instead would not be the test that was started.
        Ok(Claim::Gone { machine, case }) => {
            return Some(TaskResult::Failed {
                error: asl::errors::RUNTIME.to_owned(),
                cause: format!(
                    "The execution runs test case '{case}' of state machine '{machine}', which the mock configuration no longer defines"
                ),
            });
        }
        Err(e) => {
            return Some(TaskResult::Failed {
                error: asl::errors::RUNTIME.to_owned(),
                cause: format!("storage failed: {e}"),
            });
        }
    };
    match config.invocation(&machine, &case, &task.state_name, attempt) {
        MockedInvocation::NotMocked => None,
        MockedInvocation::Mocked(MockOutcome::Return(result)) => {
            Some(TaskResult::Succeeded(result))
        }
        MockedInvocation::Mocked(MockOutcome::Throw { error, cause }) => {
            Some(TaskResult::Failed { error, cause })
        }
        // "If you do not specify a mocked response for a specific retry attempt ... the state
        // machine execution will fail": States.Runtime, which no Retry or Catch handles. The
        // cause text is ours (not documented).
        MockedInvocation::Exhausted { response, covered } => Some(TaskResult::Failed {
            error: asl::errors::RUNTIME.to_owned(),
            cause: format!(
                "Test case '{case}' has no mocked response for invocation {attempt} of state '{}': mocked response '{response}' covers invocations 0 to {}",
                task.state_name,
                covered.saturating_sub(1)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    /// The developer guide's example file.
    const GUIDE_EXAMPLE: &str = r#"{
      "StateMachines":{
        "LambdaSQSIntegration":{
          "TestCases":{
            "HappyPath":{ "LambdaState":"MockedLambdaSuccess", "SQSState":"MockedSQSSuccess" },
            "RetryPath":{ "LambdaState":"MockedLambdaRetry", "SQSState":"MockedSQSSuccess" },
            "HybridPath":{ "LambdaState":"MockedLambdaSuccess" }
          }
        }
      },
      "MockedResponses":{
        "MockedLambdaSuccess":{ "0":{ "Return":{ "StatusCode":200, "Payload":{ "StatusCode":200, "body":"Hello from Lambda!" } } } },
        "LambdaMockedResourceNotReady":{ "0":{ "Throw":{ "Error":"Lambda.ResourceNotReadyException", "Cause":"Lambda resource is not ready." } } },
        "MockedSQSSuccess":{ "0":{ "Return":{ "MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51", "MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51" } } },
        "MockedLambdaRetry":{
          "0":{ "Throw":{ "Error":"Lambda.ResourceNotReadyException", "Cause":"Lambda resource is not ready." } },
          "1-2":{ "Throw":{ "Error":"Lambda.TimeoutException", "Cause":"Lambda timed out." } },
          "3":{ "Return":{ "StatusCode":200, "Payload":{ "StatusCode":200, "body":"Hello from Lambda!" } } }
        }
      }
    }"#;

    fn refused(doc: Value) -> MockConfigError {
        MockConfig::parse(&doc.to_string()).unwrap_err()
    }

    fn with_response(response: Value) -> Value {
        json!({"StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}},
               "MockedResponses": {"R": response}})
    }

    #[test]
    fn the_guide_example_parses_and_answers_by_invocation() {
        let config = MockConfig::parse(GUIDE_EXAMPLE).unwrap();
        assert!(config.has_test_case("LambdaSQSIntegration", "RetryPath"));
        assert!(!config.has_test_case("LambdaSQSIntegration", "SadPath"));
        assert!(!config.has_test_case("Other", "RetryPath"));
        let at = |attempt| {
            config.invocation("LambdaSQSIntegration", "RetryPath", "LambdaState", attempt)
        };
        let throw = |error: &str, cause: &str| {
            MockedInvocation::Mocked(MockOutcome::Throw {
                error: error.into(),
                cause: cause.into(),
            })
        };
        assert_eq!(
            at(0),
            throw(
                "Lambda.ResourceNotReadyException",
                "Lambda resource is not ready."
            )
        );
        assert_eq!(at(1), throw("Lambda.TimeoutException", "Lambda timed out."));
        assert_eq!(at(2), throw("Lambda.TimeoutException", "Lambda timed out."));
        assert_eq!(
            at(3),
            MockedInvocation::Mocked(MockOutcome::Return(
                json!({"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}})
            ))
        );
        assert_eq!(
            at(4),
            MockedInvocation::Exhausted {
                response: "MockedLambdaRetry".into(),
                covered: 4
            }
        );
        // HybridPath mocks LambdaState only: SQSState runs for real.
        assert_eq!(
            config.invocation("LambdaSQSIntegration", "HybridPath", "SQSState", 0),
            MockedInvocation::NotMocked
        );
        assert!(config.mocks_state("LambdaSQSIntegration", "HybridPath", "LambdaState"));
        assert_eq!(config.test_cases().count(), 3);
    }

    #[test]
    fn ranges_are_inclusive_and_searched_at_their_edges() {
        let config = MockConfig::parse(
            &with_response(json!({
                "0-2": {"Throw": {"Error": "E", "Cause": "c"}},
                "3": {"Return": 1},
                "4-99999999": {"Return": 2}
            }))
            .to_string(),
        )
        .unwrap();
        let at = |n| config.invocation("M", "T", "S", n);
        for n in 0..=2 {
            assert!(matches!(
                at(n),
                MockedInvocation::Mocked(MockOutcome::Throw { .. })
            ));
        }
        assert_eq!(
            at(3),
            MockedInvocation::Mocked(MockOutcome::Return(json!(1)))
        );
        assert_eq!(
            at(4),
            MockedInvocation::Mocked(MockOutcome::Return(json!(2)))
        );
        assert_eq!(
            at(MAX_ATTEMPT),
            MockedInvocation::Mocked(MockOutcome::Return(json!(2)))
        );
        assert!(matches!(
            at(MAX_ATTEMPT + 1),
            MockedInvocation::Exhausted { covered, .. } if covered == MAX_ATTEMPT + 1
        ));
    }

    #[test]
    fn keys_must_be_numbers_or_ordered_ranges() {
        for key in [
            "",
            "a",
            "-1",
            "1-",
            "-",
            "1-2-3",
            " 1",
            "+1",
            "1.0",
            "3-1",
            "100000000",
            "0-1000000000",
        ] {
            let e = refused(with_response(json!({ key: {"Return": 1} })));
            assert_eq!(e.at, format!("MockedResponses.R.{key}"), "{key}: {e}");
        }
    }

    #[test]
    fn overlapping_ranges_are_refused() {
        let e = refused(with_response(json!({
            "0-2": {"Return": 1}, "2-3": {"Return": 2}
        })));
        assert_eq!(e.at, "MockedResponses.R.2-3");
        assert!(e.message.contains("overlaps"), "{e}");
        let e = refused(with_response(
            json!({"0": {"Return": 1}, "0-1": {"Return": 2}}),
        ));
        assert!(e.message.contains("overlaps"), "{e}");
    }

    #[test]
    fn gaps_and_a_late_start_are_refused() {
        let e = refused(with_response(
            json!({"0": {"Return": 1}, "2": {"Return": 2}}),
        ));
        assert_eq!(e.at, "MockedResponses.R");
        assert!(
            e.message.contains("invocation 1 has no mocked response"),
            "{e}"
        );
        let e = refused(with_response(json!({"1": {"Return": 1}})));
        assert!(
            e.message.contains("invocation 0 has no mocked response"),
            "{e}"
        );
        let e = refused(with_response(json!({})));
        assert!(e.message.contains("defines no invocation"), "{e}");
    }

    #[test]
    fn a_response_has_return_or_throw_never_both() {
        let e = refused(with_response(
            json!({"0": {"Return": 1, "Throw": {"Error": "E", "Cause": "c"}}}),
        ));
        assert_eq!(e.at, "MockedResponses.R.0");
        assert!(e.message.contains("both Return and Throw"), "{e}");
        let e = refused(with_response(json!({"0": {}})));
        assert!(e.message.contains("needs a field Return or Throw"), "{e}");
        let e = refused(with_response(json!({"0": {"Retrun": 1}})));
        assert!(e.message.contains("unknown field 'Retrun'"), "{e}");
        // `Return` may be any JSON value, null included.
        assert!(
            MockConfig::parse(&with_response(json!({"0": {"Return": null}})).to_string()).is_ok()
        );
    }

    #[test]
    fn throw_needs_string_error_and_cause() {
        for (thrown, at) in [
            (json!({"Error": "E"}), "MockedResponses.R.0.Throw"),
            (json!({"Cause": "c"}), "MockedResponses.R.0.Throw"),
            (
                json!({"Error": 1, "Cause": "c"}),
                "MockedResponses.R.0.Throw.Error",
            ),
            (
                json!({"Error": "E", "Cause": null}),
                "MockedResponses.R.0.Throw.Cause",
            ),
            (
                json!({"Error": "", "Cause": "c"}),
                "MockedResponses.R.0.Throw.Error",
            ),
            (
                json!({"Error": "E", "Cause": "c", "Extra": 1}),
                "MockedResponses.R.0.Throw",
            ),
            (json!("Lambda.Unknown"), "MockedResponses.R.0.Throw"),
        ] {
            let e = refused(with_response(json!({"0": {"Throw": thrown}})));
            assert_eq!(e.at, at, "{thrown}: {e}");
        }
    }

    #[test]
    fn structure_errors_name_the_place() {
        let e = refused(json!({"StateMachines": {}}));
        assert_eq!(
            e.to_string(),
            "mock configuration: the field MockedResponses is missing"
        );
        let e = refused(json!({"MockedResponses": {}}));
        assert!(e.message.contains("StateMachines is missing"), "{e}");
        let e = refused(json!({"StateMachines": {}, "MockedResponses": {}, "MockedResponse": {}}));
        assert!(e.message.contains("unknown field 'MockedResponse'"), "{e}");
        let e = refused(
            json!({"StateMachines": {"M": {"TestCases": {}, "Cases": {}}}, "MockedResponses": {}}),
        );
        assert_eq!(e.at, "StateMachines.M");
        let e = refused(json!({"StateMachines": {"M": {}}, "MockedResponses": {}}));
        assert!(e.message.contains("TestCases is missing"), "{e}");
        let e = refused(
            json!({"StateMachines": {"M": {"TestCases": {"T": {"S": 3}}}}, "MockedResponses": {}}),
        );
        assert_eq!(e.at, "StateMachines.M.TestCases.T.S");
        let e = refused(json!({"StateMachines": [], "MockedResponses": {}}));
        assert_eq!(
            e.to_string(),
            "mock configuration: StateMachines: must be a JSON object, not an array"
        );
        let e = MockConfig::parse("{\"StateMachines\": ").unwrap_err();
        assert!(e.message.starts_with("not valid JSON"), "{e}");
    }

    #[test]
    fn a_name_given_twice_is_refused() {
        let twice = r#"{"StateMachines": {"M": {"TestCases": {
            "HappyPath": {"S": "R"},
            "HappyPath": {}}}},
          "MockedResponses": {"R": {"0": {"Return": 1}}}}"#;
        let e = MockConfig::parse(twice).unwrap_err();
        assert_eq!(
            e.to_string(),
            "mock configuration: not valid JSON: the field 'HappyPath' appears twice in one object at line 3 column 23"
        );
        let twice = r#"{"StateMachines": {}, "MockedResponses": {"R": {"0": {"Return": 1}}, "R": {"0": {"Return": 2}}}}"#;
        assert!(
            MockConfig::parse(twice)
                .unwrap_err()
                .message
                .contains("'R' appears twice")
        );
        // Values keep their JSON types through the strict parse.
        let config = MockConfig::parse(
            r#"{"StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}},
                "MockedResponses": {"R": {"0": {"Return": {"a": [1, -2, 2.5, true, null, "x"]}}}}}"#,
        )
        .unwrap();
        assert_eq!(
            config.invocation("M", "T", "S", 0),
            MockedInvocation::Mocked(MockOutcome::Return(
                json!({"a": [1, -2, 2.5, true, null, "x"]})
            ))
        );
    }

    #[test]
    fn a_test_case_naming_an_unknown_response_is_refused() {
        let e = refused(
            json!({"StateMachines": {"M": {"TestCases": {"T": {"S": "Nope"}}}},
                               "MockedResponses": {"R": {"0": {"Return": 1}}}}),
        );
        assert_eq!(e.at, "StateMachines.M.TestCases.T.S");
        assert!(e.message.contains("'Nope'"), "{e}");
    }

    #[test]
    fn names_are_bounded() {
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        let e = refused(
            json!({"StateMachines": {}, "MockedResponses": {long.clone(): {"0": {"Return": 1}}}}),
        );
        assert!(e.message.contains("more than 256"), "{e}");
        let e = refused(
            json!({"StateMachines": {"M": {"TestCases": {"": {}}}}, "MockedResponses": {}}),
        );
        assert!(e.message.contains("must not be empty"), "{e}");
    }

    #[test]
    fn size_and_depth_are_bounded() {
        let big = format!(
            "{{\"StateMachines\":{{}},\"MockedResponses\":{{\"R\":{{\"0\":{{\"Return\":\"{}\"}}}}}}}}",
            "a".repeat(usize::try_from(MAX_FILE_BYTES).unwrap())
        );
        let started = std::time::Instant::now();
        let e = MockConfig::parse(&big).unwrap_err();
        assert!(e.message.contains("larger than"), "{e}");
        // Deeply nested Return values stop at serde_json's depth limit, quickly.
        let deep = format!(
            "{{\"StateMachines\":{{}},\"MockedResponses\":{{\"R\":{{\"0\":{{\"Return\":{}{}}}}}}}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let e = MockConfig::parse(&deep).unwrap_err();
        assert!(e.message.contains("recursion limit"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Too many keys in one object.
        let mut many = Map::new();
        for i in 0..=MAX_ENTRIES {
            many.insert(format!("R{i}"), json!({"0": {"Return": 1}}));
        }
        let e = refused(json!({"StateMachines": {}, "MockedResponses": many}));
        assert!(e.message.contains("more than 10000"), "{e}");
    }

    #[test]
    fn load_reads_a_file_and_bounds_its_size() {
        let dir = std::env::temp_dir().join(format!("mocks-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("MockConfigFile.json");
        std::fs::write(&good, GUIDE_EXAMPLE).unwrap();
        assert!(
            MockConfig::load(&good)
                .unwrap()
                .has_test_case("LambdaSQSIntegration", "HappyPath")
        );
        let big = dir.join("big.json");
        std::fs::write(
            &big,
            vec![b' '; usize::try_from(MAX_FILE_BYTES).unwrap() + 1],
        )
        .unwrap();
        let e = MockConfig::load(&big).unwrap_err();
        assert!(e.message.contains("larger than"), "{e}");
        let e = MockConfig::load(&dir.join("missing.json")).unwrap_err();
        assert!(e.message.contains("cannot open"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn states_not_in_names_mocks_of_states_the_definition_lacks() {
        let config = MockConfig::parse(
            &json!({"StateMachines": {"M": {"TestCases": {
                        "T": {"Top": "R", "InBranch": "R", "InMap": "R", "InIterator": "R", "Choose": "R", "Typo": "R"}}}},
                    "MockedResponses": {"R": {"0": {"Return": 1}}}})
            .to_string(),
        )
        .unwrap();
        let definition = json!({"StartAt": "Top", "States": {
            "Top": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Par"},
            "Par": {"Type": "Parallel", "Branches": [{"StartAt": "InBranch", "States": {
                "InBranch": {"Type": "Task", "Resource": "x", "End": true}}}], "Next": "Each"},
            "Each": {"Type": "Map", "ItemProcessor": {"StartAt": "InMap", "States": {
                "InMap": {"Type": "Task", "Resource": "x", "End": true}}}, "Next": "Old"},
            "Old": {"Type": "Map", "Iterator": {"StartAt": "InIterator", "States": {
                "InIterator": {"Type": "Task", "Resource": "x", "End": true}}}, "Next": "Choose"},
            "Choose": {"Type": "Choice", "Choices": [], "Default": "Top"}}});
        assert_eq!(
            config.states_not_in("M", &definition),
            vec![
                ("T".to_owned(), "Choose".to_owned()),
                ("T".to_owned(), "Typo".to_owned())
            ]
        );
        assert!(config.states_not_in("Other", &definition).is_empty());
    }

    #[test]
    fn split_test_case_takes_the_suffix_after_the_first_hash() {
        let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:LambdaSQSIntegration";
        assert_eq!(split_test_case(arn), (arn, None));
        assert_eq!(
            split_test_case(&format!("{arn}#HappyPath")),
            (arn, Some("HappyPath"))
        );
        assert_eq!(split_test_case(&format!("{arn}#")), (arn, Some("")));
    }
}
