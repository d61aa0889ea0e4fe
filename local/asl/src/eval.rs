//! The data a path or template is evaluated against: `$` (state data), `$$` (context object),
//! `$name` (workflow variables) and the execution's deterministic random source.

use std::cell::Cell;

use serde_json::Value;

use crate::intrinsic::{IntrinsicEnv, IntrinsicError, splitmix64};
use crate::path::{Path, PathEvalError, PathRoot};

/// Looks up workflow variables (innermost scope first).
pub trait Variables {
    fn get(&self, name: &str) -> Option<&Value>;
}

/// No variables at all.
pub struct NoVariables;

impl Variables for NoVariables {
    fn get(&self, _name: &str) -> Option<&Value> {
        None
    }
}

impl Variables for serde_json::Map<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        serde_json::Map::get(self, name)
    }
}

/// Everything a path, template, intrinsic or choice rule can read.
pub struct Env<'a> {
    /// What `$` denotes.
    pub input: &'a Value,
    /// Builds the context object on demand (most states never read `$$`); the flag says
    /// whether `Execution.Input` (possibly large) is needed.
    pub context: &'a dyn Fn(bool) -> Value,
    pub variables: &'a dyn Variables,
    /// Deterministic random state (advanced by States.UUID / States.MathRandom).
    pub rng: &'a Cell<u64>,
}

impl<'a> Env<'a> {
    /// Resolves any path against its root.
    pub fn resolve(&self, path: &Path) -> Result<Value, PathEvalError> {
        match path.root() {
            PathRoot::Data => path.select(self.input),
            PathRoot::Context => path.select(&(self.context)(needs_execution_input(path))),
            PathRoot::Variable(name) => match self.variables.get(name) {
                Some(v) => path.select(v),
                None => Err(PathEvalError::UndefinedVariable { name: name.clone() }),
            },
        }
    }

    /// True when the path selects something (Choice `IsPresent`).
    pub fn exists(&self, path: &Path) -> bool {
        match path.root() {
            PathRoot::Data => path.exists(self.input),
            PathRoot::Context => path.exists(&(self.context)(needs_execution_input(path))),
            PathRoot::Variable(name) => self.variables.get(name).is_some_and(|v| path.exists(v)),
        }
    }

    /// Same environment with another `$`.
    pub fn with_input<'b>(&'b self, input: &'b Value) -> Env<'b> {
        Env {
            input,
            context: self.context,
            variables: self.variables,
            rng: self.rng,
        }
    }
}

/// False when the path certainly does not reach `$$.Execution.Input`.
fn needs_execution_input(path: &Path) -> bool {
    use crate::path::Segment;
    match path.segments() {
        [Segment::Child(a), ..] if a != "Execution" => false,
        [Segment::Child(_), Segment::Child(b), ..] => b == "Input",
        _ => true,
    }
}

impl IntrinsicEnv for Env<'_> {
    fn resolve(&self, path: &Path) -> Result<Value, IntrinsicError> {
        Env::resolve(self, path).map_err(|e| IntrinsicError::Path {
            path: path.text().to_string(),
            message: e.to_string(),
        })
    }

    fn random_u64(&self) -> u64 {
        let next = self.rng.get().wrapping_add(1);
        self.rng.set(next);
        splitmix64(next)
    }
}
