//! The template loader: SAM / CloudFormation `template.yaml` → [`StackModel`].
//!
//! Steps, in CloudFormation's order: parse (short-form tags become long
//! forms), apply SAM `Globals`, resolve parameters (defaults, overrides,
//! constraints), evaluate conditions, drop resources whose condition is false,
//! expand what the SAM transform generates (execution roles, the rules of
//! `Events`, dead-letter queues), give every resource its physical name and
//! ARN (as CloudFormation would: `<stack>-<LogicalId>-<suffix>` when no name is
//! set), then resolve every property into the typed model. Anything the local
//! stack cannot honour is refused with the resource and property named.

pub mod intrinsics;
pub mod model;
mod resources;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub use model::*;

/// Region unless told otherwise.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Account unless told otherwise.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";
/// Stack name unless told otherwise.
pub const DEFAULT_STACK_NAME: &str = "local";

/// Retention values `AWS::Logs::LogGroup` `RetentionInDays` and PutRetentionPolicy accept.
pub const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// A template the local stack cannot honour.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Not YAML / JSON, or an unknown tag.
    #[error("template syntax: {0}")]
    Syntax(String),
    /// A parameter value is missing or breaks its constraints.
    #[error("parameter {name}: {message}")]
    Parameter {
        /// Parameter.
        name: String,
        /// Why.
        message: String,
    },
    /// A condition could not be evaluated.
    #[error("condition {name}: {message}")]
    Condition {
        /// Condition.
        name: String,
        /// Why.
        message: String,
    },
    /// A resource property cannot be honoured.
    #[error("resource {logical_id}, property {property}: {message}")]
    Resource {
        /// Logical id.
        logical_id: String,
        /// Property path (e.g. `Events.Review.Type`).
        property: String,
        /// Why.
        message: String,
    },
}

impl TemplateError {
    pub(crate) fn resource(logical_id: &str, property: &str, message: impl Into<String>) -> Self {
        Self::Resource {
            logical_id: logical_id.to_owned(),
            property: property.to_owned(),
            message: message.into(),
        }
    }
}

/// How to load a template.
#[derive(Debug, Clone)]
pub struct TemplateOptions {
    /// `AWS::StackName`.
    pub stack_name: String,
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account_id: String,
    /// `--parameter-overrides`.
    pub parameter_overrides: BTreeMap<String, String>,
    /// Base of queue URLs (`http://127.0.0.1:<port>`).
    pub endpoint: String,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        Self {
            stack_name: DEFAULT_STACK_NAME.to_owned(),
            region: DEFAULT_REGION.to_owned(),
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            parameter_overrides: BTreeMap::new(),
            endpoint: "http://127.0.0.1:4566".to_owned(),
        }
    }
}

/// Parses `--parameter-overrides` arguments: `Key=Value` pairs, separated by
/// spaces or given as separate arguments, values optionally quoted; the
/// CloudFormation form `ParameterKey=K,ParameterValue=V` is accepted too.
pub fn parse_parameter_overrides(
    args: &[String],
) -> Result<BTreeMap<String, String>, TemplateError> {
    let mut out = BTreeMap::new();
    for arg in args {
        for token in split_words(arg) {
            if let Some(rest) = token.strip_prefix("ParameterKey=") {
                let Some((key, value)) = rest.split_once(",ParameterValue=") else {
                    return Err(TemplateError::Parameter {
                        name: rest.to_owned(),
                        message: "expected ParameterKey=K,ParameterValue=V".into(),
                    });
                };
                out.insert(key.to_owned(), value.to_owned());
                continue;
            }
            let Some((key, value)) = token.split_once('=') else {
                return Err(TemplateError::Parameter {
                    name: token.clone(),
                    message: "expected Key=Value".into(),
                });
            };
            if key.is_empty() {
                return Err(TemplateError::Parameter {
                    name: token.clone(),
                    message: "expected Key=Value".into(),
                });
            }
            out.insert(key.to_owned(), value.to_owned());
        }
    }
    Ok(out)
}

/// Splits on whitespace outside single or double quotes, dropping the quotes.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                    any = false;
                }
            }
            (None, c) => current.push(c),
        }
    }
    if any || !current.is_empty() {
        words.push(current);
    }
    words
}

/// Loads and resolves the template at `path`. Relative paths inside it
/// (`DefinitionUri`, `CodeUri`) are relative to its directory.
pub fn load(path: &Path, options: &TemplateOptions) -> Result<StackModel, TemplateError> {
    let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let base = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    load_str(&text, &base, options)
}

/// Loads template text; `base_dir` anchors relative paths.
pub fn load_str(
    text: &str,
    base_dir: &Path,
    options: &TemplateOptions,
) -> Result<StackModel, TemplateError> {
    let root = yaml::parse(text)?;
    let Value::Object(root) = root else {
        return Err(TemplateError::Syntax("a template is a mapping".into()));
    };
    resources::resolve(&root, base_dir, options)
}

/// The `Transform` declarations of a template.
fn transforms(root: &Map<String, Value>) -> Vec<String> {
    match root.get("Transform") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
