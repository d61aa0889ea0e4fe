//! Target input: what a rule passes to a target.
//!
//! A target receives one of (PutTargets API reference, "Transforming target input"):
//! - the whole event (no `Input`, `InputPath` or `InputTransformer`);
//! - `Input`: constant JSON text, passed as given;
//! - `InputPath`: the part of the event a JSONPath selects;
//! - `InputTransformer`: variables from `InputPathsMap` (JSONPath each)
//!   substituted into `InputTemplate` as `<name>`, plus the predefined
//!   `<aws.events.rule-arn>`, `<aws.events.rule-name>`, `<aws.events.event>`,
//!   `<aws.events.event.ingestion-time>` and `<aws.events.event.json>`.
//!
//! Quoting follows the guide: a placeholder outside a JSON string is replaced
//! by the value's JSON (strings get quotes); inside a JSON string it is
//! replaced by the bare text, which EventBridge does not escape. A variable
//! whose path is absent from the event is not created and contributes nothing.
//! The JSON passed on is minified.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::put_events::format_event_time;

/// Most variables an `InputPathsMap` may define.
pub const MAX_INPUT_PATHS: usize = 100;
/// Longest `Input` / `InputTemplate` text.
pub const MAX_INPUT_CHARS: usize = 8192;
/// Longest `InputPath` and `InputPathsMap` value.
pub const MAX_PATH_CHARS: usize = 256;

/// The predefined variables; they cannot be redefined in `InputPathsMap`.
pub const PREDEFINED_VARIABLES: [&str; 5] = [
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event",
    "aws.events.event.ingestion-time",
    "aws.events.event.json",
];

/// `InputTransformer` as it comes over the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InputTransformerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_paths_map: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub input_template: String,
}

/// A PutTargets validation failure (`ValidationException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TargetInputError {
    pub message: String,
}

impl TargetInputError {
    /// The AWS error code.
    pub fn error_code(&self) -> &'static str {
        "ValidationException"
    }
}

/// A failure while producing a target's input from an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// `InputPath` selects nothing in this event.
    #[error("InputPath {0} does not match the event")]
    PathNotFound(String),
    /// The rendered input is over [`MAX_RENDERED_BYTES`]: a template can
    /// repeat a placeholder for a large value hundreds of times (8,192
    /// characters of `<v>` over a 256 KB event would be 500 MB).
    #[error("The transformed input is larger than {MAX_RENDERED_BYTES} bytes")]
    TooLarge,
}

/// Largest input a target is given: 256 KB, the largest event EventBridge
/// takes (PutEvents entry size), so a transformer cannot make more of it.
pub const MAX_RENDERED_BYTES: usize = 262_144;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A JSONPath of the subset EventBridge targets use: `$`, `.name`,
/// `['name']` / `["name"]` and `[index]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    steps: Vec<Step>,
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let rest = text
            .strip_prefix('$')
            .ok_or_else(|| format!("{text} is not a valid JSONPath: it must start with $"))?;
        let chars: Vec<char> = rest.chars().collect();
        let mut steps = Vec::new();
        let mut i = 0;
        let invalid = || format!("{text} is not a valid JSONPath");
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    i += 1;
                    let start = i;
                    while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                        i += 1;
                    }
                    if start == i {
                        return Err(invalid());
                    }
                    let name: String = chars[start..i].iter().collect();
                    if name == "*" {
                        return Err(invalid());
                    }
                    steps.push(Step::Key(name));
                }
                '[' => {
                    i += 1;
                    match chars.get(i) {
                        Some(&q) if q == '\'' || q == '"' => {
                            i += 1;
                            let start = i;
                            while i < chars.len() && chars[i] != q {
                                i += 1;
                            }
                            if i >= chars.len() || chars.get(i + 1) != Some(&']') {
                                return Err(invalid());
                            }
                            steps.push(Step::Key(chars[start..i].iter().collect()));
                            i += 2;
                        }
                        _ => {
                            let start = i;
                            while i < chars.len() && chars[i].is_ascii_digit() {
                                i += 1;
                            }
                            if start == i || chars.get(i) != Some(&']') {
                                return Err(invalid());
                            }
                            let digits: String = chars[start..i].iter().collect();
                            let n = digits.parse().map_err(|_| invalid())?;
                            steps.push(Step::Index(n));
                            i += 1;
                        }
                    }
                }
                _ => return Err(invalid()),
            }
        }
        Ok(JsonPath {
            text: text.to_owned(),
            steps,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value the path selects, if present.
    pub fn select<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        let mut cur = value;
        for step in &self.steps {
            cur = match step {
                Step::Key(k) => cur.as_object()?.get(k)?,
                Step::Index(n) => cur.as_array()?.get(*n)?,
            };
        }
        Some(cur)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Var {
    User(String),
    RuleArn,
    RuleName,
    Event,
    IngestionTime,
    EventJson,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Var { var: Var, in_string: bool },
}

/// A validated input transformer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputTransformer {
    paths: Vec<(String, JsonPath)>,
    template: Vec<Segment>,
}

fn predefined(name: &str) -> Option<Var> {
    Some(match name {
        "aws.events.rule-arn" => Var::RuleArn,
        "aws.events.rule-name" => Var::RuleName,
        "aws.events.event" => Var::Event,
        "aws.events.event.ingestion-time" => Var::IngestionTime,
        "aws.events.event.json" => Var::EventJson,
        _ => return None,
    })
}

/// Splits a template into literal text (minified outside strings) and placeholders.
fn compile_template(template: &str, names: &[String]) -> Vec<Segment> {
    let mut segs = Vec::new();
    let mut lit = String::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest.find('>')
        {
            let name = &rest[1..end];
            let var = predefined(name).or_else(|| {
                names
                    .iter()
                    .any(|n| n == name)
                    .then(|| Var::User(name.to_owned()))
            });
            if let Some(var) = var {
                if !lit.is_empty() {
                    segs.push(Segment::Literal(std::mem::take(&mut lit)));
                }
                segs.push(Segment::Var { var, in_string });
                rest = &rest[end + 1..];
                escaped = false;
                continue;
            }
        }
        rest = &rest[c.len_utf8()..];
        if in_string {
            lit.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            lit.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            lit.push(c);
        }
    }
    if !lit.is_empty() {
        segs.push(Segment::Literal(lit));
    }
    segs
}

fn valid_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl InputTransformer {
    /// Validates an `InputTransformer` as PutTargets does.
    pub fn new(target_id: &str, spec: &InputTransformerSpec) -> Result<Self, TargetInputError> {
        let err = |m: String| TargetInputError { message: m };
        let template = &spec.input_template;
        if template.is_empty() {
            return Err(err(format!(
                "InputTemplate for target {target_id} must not be empty."
            )));
        }
        if template.chars().count() > MAX_INPUT_CHARS {
            return Err(err(format!(
                "InputTemplate for target {target_id} is longer than {MAX_INPUT_CHARS} characters."
            )));
        }
        let map = spec.input_paths_map.clone().unwrap_or_default();
        if map.len() > MAX_INPUT_PATHS {
            return Err(err(format!(
                "InputPathsMap for target {target_id} has more than {MAX_INPUT_PATHS} entries."
            )));
        }
        let mut paths = Vec::with_capacity(map.len());
        for (name, path) in &map {
            if predefined(name).is_some() {
                return Err(err(format!(
                    "InputPathsMap for target {target_id} redefines the predefined variable {name}."
                )));
            }
            if !valid_variable_name(name) {
                return Err(err(format!(
                    "InputPathsMap for target {target_id} has an invalid key {name}: keys match [A-Za-z0-9_-]+."
                )));
            }
            if path.chars().count() > MAX_PATH_CHARS {
                return Err(err(format!(
                    "InputPathsMap value for key {name} of target {target_id} is longer than {MAX_PATH_CHARS} characters."
                )));
            }
            let p = JsonPath::parse(path).map_err(|e| {
                err(format!(
                    "Invalid InputPathsMap for target {target_id}: {e}."
                ))
            })?;
            paths.push((name.clone(), p));
        }
        let names: Vec<String> = paths.iter().map(|(n, _)| n.clone()).collect();
        let segments = compile_template(template, &names);
        // The template must be JSON once placeholders are filled (a string
        // template is a JSON string in quotes).
        let mut probe = String::new();
        for seg in &segments {
            match seg {
                Segment::Literal(l) => probe.push_str(l),
                Segment::Var {
                    in_string: true, ..
                } => {}
                Segment::Var {
                    in_string: false, ..
                } => probe.push_str("null"),
            }
        }
        if serde_json::from_str::<Value>(&probe).is_err() {
            return Err(err(format!(
                "InputTemplate for target {target_id} is not valid JSON once its placeholders are replaced."
            )));
        }
        Ok(InputTransformer {
            paths,
            template: segments,
        })
    }

    /// Fills the template for one event.
    ///
    /// Stops with [`RenderError::TooLarge`] as soon as the text passes
    /// [`MAX_RENDERED_BYTES`], so it never holds more than that plus one value.
    pub fn render(&self, event: &Value, ctx: &RuleContext<'_>) -> Result<String, RenderError> {
        let mut out = String::new();
        for seg in &self.template {
            match seg {
                Segment::Literal(l) => out.push_str(l),
                Segment::Var { var, in_string } => {
                    self.push_var(&mut out, var, *in_string, event, ctx);
                }
            }
            if out.len() > MAX_RENDERED_BYTES {
                return Err(RenderError::TooLarge);
            }
        }
        Ok(out)
    }

    fn push_var(
        &self,
        out: &mut String,
        var: &Var,
        in_string: bool,
        event: &Value,
        ctx: &RuleContext<'_>,
    ) {
        let text_value = |out: &mut String, s: &str| {
            if in_string {
                out.push_str(s);
            } else {
                out.push_str(&Value::String(s.to_owned()).to_string());
            }
        };
        match var {
            Var::User(name) => {
                let value = self
                    .paths
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, p)| p.select(event));
                match value {
                    None => {}
                    Some(Value::String(s)) => text_value(out, s),
                    Some(v) => out.push_str(&v.to_string()),
                }
            }
            Var::RuleArn => text_value(out, ctx.arn),
            Var::RuleName => text_value(out, ctx.name),
            Var::IngestionTime => text_value(out, &format_event_time(ctx.ingestion_time)),
            Var::Event => out.push_str(&event.to_string()),
            Var::EventJson => {
                let json = event.to_string();
                let quoted = Value::String(json).to_string();
                if in_string {
                    // Inside quotes: the escaped text without its own quotes.
                    out.push_str(&quoted[1..quoted.len() - 1]);
                } else {
                    out.push_str(&quoted);
                }
            }
        }
    }
}

/// The rule a target belongs to, for the predefined variables.
#[derive(Debug, Clone, Copy)]
pub struct RuleContext<'a> {
    pub name: &'a str,
    pub arn: &'a str,
    /// When EventBridge received the event.
    pub ingestion_time: DateTime<Utc>,
}

/// What a target receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetInput {
    /// The whole event.
    Event,
    /// `Input`: constant JSON text.
    Constant(String),
    /// `InputPath`.
    Path(JsonPath),
    /// `InputTransformer`.
    Transformer(InputTransformer),
}

impl TargetInput {
    /// Validates a target's input settings as PutTargets does: at most one of
    /// `Input`, `InputPath` and `InputTransformer`, each well formed.
    pub fn from_parts(
        target_id: &str,
        input: Option<&str>,
        input_path: Option<&str>,
        transformer: Option<&InputTransformerSpec>,
    ) -> Result<TargetInput, TargetInputError> {
        let err = |m: String| TargetInputError { message: m };
        let given = [input.is_some(), input_path.is_some(), transformer.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if given > 1 {
            return Err(err(format!(
                "Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
            )));
        }
        if let Some(text) = input {
            if text.chars().count() > MAX_INPUT_CHARS {
                return Err(err(format!(
                    "Input for target {target_id} is longer than {MAX_INPUT_CHARS} characters."
                )));
            }
            if serde_json::from_str::<Value>(text).is_err() {
                return Err(err(format!(
                    "Input for target {target_id} must be a valid JSON text."
                )));
            }
            return Ok(TargetInput::Constant(text.to_owned()));
        }
        if let Some(path) = input_path {
            if path.chars().count() > MAX_PATH_CHARS {
                return Err(err(format!(
                    "InputPath for target {target_id} is longer than {MAX_PATH_CHARS} characters."
                )));
            }
            let p = JsonPath::parse(path)
                .map_err(|e| err(format!("Invalid InputPath for target {target_id}: {e}.")))?;
            return Ok(TargetInput::Path(p));
        }
        if let Some(spec) = transformer {
            return Ok(TargetInput::Transformer(InputTransformer::new(
                target_id, spec,
            )?));
        }
        Ok(TargetInput::Event)
    }

    /// The text the target receives for `event`.
    pub fn render(&self, event: &Value, ctx: &RuleContext<'_>) -> Result<String, RenderError> {
        match self {
            TargetInput::Event => Ok(event.to_string()),
            TargetInput::Constant(text) => Ok(text.clone()),
            TargetInput::Path(p) => p
                .select(event)
                .map(Value::to_string)
                .ok_or_else(|| RenderError::PathNotFound(p.as_str().to_owned())),
            TargetInput::Transformer(t) => t.render(event, ctx),
        }
    }
}
