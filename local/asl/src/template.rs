//! Payload templates: `Parameters`, `ResultSelector`, `ItemSelector` and `Assign`.
//!
//! A key ending in `.$` takes its value from a path or an intrinsic function; the `.$` is
//! dropped from the output key. Everything else is copied as is, recursing into objects and
//! arrays.

use serde_json::{Map, Value};

use crate::eval::Env;
use crate::intrinsic::{Intrinsic, IntrinsicError};
use crate::path::{Path, PathEvalError};

/// A compiled payload template.
#[derive(Clone, Debug, PartialEq)]
pub enum Template {
    /// A subtree without any `.$` key, copied as is.
    Literal(Value),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
    /// `"key.$": "$.path"`; `field` is the original key (with `.$`) for error messages.
    Path {
        field: String,
        path: Path,
    },
    /// `"key.$": "States.Fn(...)"`.
    Call {
        field: String,
        call: Box<Intrinsic>,
    },
}

/// Why a template could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A path selected nothing: AWS reports this as `States.Runtime` with this message.
    #[error(
        "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{input}'"
    )]
    PathNotFound {
        field: String,
        path: String,
        input: String,
    },
    /// A variable was referenced before it was assigned.
    #[error("The variable '{name}' specified for the field '{field}' is not defined")]
    UndefinedVariable { field: String, name: String },
    /// A path ran past the evaluation budget (`States.Runtime`).
    #[error(
        "The JSONPath '{path}' specified for the field '{field}' exceeded {} results or {} visited values",
        crate::path::MAX_PATH_RESULTS,
        crate::path::MAX_PATH_VISITS
    )]
    PathTooExpensive { field: String, path: String },
    /// An intrinsic function failed (`States.IntrinsicFailure`).
    #[error("The function '{call}' specified for the field '{field}' failed: {message}")]
    Intrinsic {
        field: String,
        call: String,
        message: String,
    },
}

impl Template {
    /// Compiles a template; problems are returned as (relative location, message) pairs.
    pub fn compile(value: &Value, loc: &str, problems: &mut Vec<(String, String)>) -> Template {
        match value {
            Value::Object(map) => {
                if !has_dynamic(value) {
                    return Template::Literal(value.clone());
                }
                let mut fields = Vec::with_capacity(map.len());
                for (k, v) in map {
                    let child_loc = format!("{loc}/{k}");
                    if let Some(stripped) = k.strip_suffix(".$") {
                        let t = match v.as_str() {
                            Some(s) if s.starts_with("States.") => match Intrinsic::parse(s) {
                                Ok(call) => Template::Call {
                                    field: k.clone(),
                                    call: Box::new(call),
                                },
                                Err(_) => {
                                    problems.push((child_loc, invalid_dynamic(k)));
                                    Template::Literal(Value::Null)
                                }
                            },
                            Some(s) => match Path::parse(s) {
                                Ok(path) => Template::Path {
                                    field: k.clone(),
                                    path,
                                },
                                Err(_) => {
                                    problems.push((child_loc, invalid_dynamic(k)));
                                    Template::Literal(Value::Null)
                                }
                            },
                            None => {
                                problems.push((child_loc, invalid_dynamic(k)));
                                Template::Literal(Value::Null)
                            }
                        };
                        fields.push((stripped.to_string(), t));
                    } else {
                        fields.push((k.clone(), Template::compile(v, &child_loc, problems)));
                    }
                }
                Template::Object(fields)
            }
            Value::Array(items) => {
                if !has_dynamic(value) {
                    return Template::Literal(value.clone());
                }
                Template::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| Template::compile(v, &format!("{loc}[{i}]"), problems))
                        .collect(),
                )
            }
            other => Template::Literal(other.clone()),
        }
    }

    /// Evaluates against the environment.
    pub fn eval(&self, env: &Env<'_>) -> Result<Value, TemplateError> {
        match self {
            Template::Literal(v) => Ok(v.clone()),
            Template::Object(fields) => {
                let mut out = Map::with_capacity(fields.len());
                for (k, t) in fields {
                    out.insert(k.clone(), t.eval(env)?);
                }
                Ok(Value::Object(out))
            }
            Template::Array(items) => items
                .iter()
                .map(|t| t.eval(env))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Template::Path { field, path } => env.resolve(path).map_err(|e| match e {
                PathEvalError::TooExpensive => TemplateError::PathTooExpensive {
                    field: field.clone(),
                    path: path.text().to_string(),
                },
                PathEvalError::UndefinedVariable { name } => TemplateError::UndefinedVariable {
                    field: field.clone(),
                    name,
                },
                PathEvalError::NoResults { .. } => TemplateError::PathNotFound {
                    field: field.clone(),
                    path: path.text().to_string(),
                    input: match path.root() {
                        crate::path::PathRoot::Context => (env.context)(true).to_string(),
                        _ => env.input.to_string(),
                    },
                },
            }),
            Template::Call { field, call } => call.eval(env).map_err(|e| match e {
                IntrinsicError::Path { path, .. } => TemplateError::PathNotFound {
                    field: field.clone(),
                    path,
                    input: env.input.to_string(),
                },
                IntrinsicError::Failure(message) => TemplateError::Intrinsic {
                    field: field.clone(),
                    call: call.text.clone(),
                    message,
                },
            }),
        }
    }

    /// True when any part reads the context object (`$$`).
    pub fn is_literal(&self) -> bool {
        matches!(self, Template::Literal(_))
    }
}

fn invalid_dynamic(key: &str) -> String {
    format!(
        "The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"
    )
}

fn has_dynamic(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| k.ends_with(".$") || has_dynamic(v)),
        Value::Array(a) => a.iter().any(has_dynamic),
        _ => false,
    }
}
