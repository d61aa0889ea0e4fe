//! CloudFormation intrinsic functions and conditions.
//!
//! Evaluation returns `Ok(None)` for `AWS::NoValue`, which removes the
//! enclosing property or list item, as CloudFormation does.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};

/// What a `Ref` / `Fn::GetAtt` on a resource gives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceValues {
    /// `Ref`.
    pub reference: Value,
    /// `Fn::GetAtt` attributes.
    pub attributes: BTreeMap<String, Value>,
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// It names a resource whose values are not known yet (name resolution retries).
    Pending(String),
    /// It is wrong.
    Invalid(String),
}

/// Everything an expression can refer to.
pub struct Context<'a> {
    /// `AWS::Region`, `AWS::AccountId`, ... (not `AWS::NoValue`).
    pub pseudo: &'a BTreeMap<String, Value>,
    /// Parameter values (strings, or lists for list types).
    pub parameters: &'a BTreeMap<String, Value>,
    /// Evaluated conditions.
    pub conditions: &'a BTreeMap<String, bool>,
    /// `Mappings`.
    pub mappings: &'a Map<String, Value>,
    /// Resources whose values are known.
    pub resources: &'a BTreeMap<String, ResourceValues>,
    /// Every logical id in the template (to tell "unknown" from "not yet known").
    pub logical_ids: &'a [String],
    /// Region, for `Fn::GetAZs`.
    pub region: &'a str,
}

fn invalid(message: impl Into<String>) -> EvalError {
    EvalError::Invalid(message.into())
}

fn as_text(value: &Value, what: &str) -> Result<String, EvalError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(invalid(format!("{what} must be a string, found {other}"))),
    }
}

impl Context<'_> {
    /// Evaluates every intrinsic in `value`.
    pub fn eval(&self, value: &Value) -> Result<Option<Value>, EvalError> {
        match value {
            Value::Object(map) if map.len() == 1 => {
                let (key, arg) = map
                    .iter()
                    .next()
                    .map_or(("", &Value::Null), |(k, v)| (k.as_str(), v));
                match key {
                    "Ref" => self.reference(arg),
                    "Fn::GetAtt" => self.get_att(arg).map(Some),
                    "Fn::Sub" => self.sub(arg).map(|s| Some(Value::String(s))),
                    "Fn::Join" => self.join(arg).map(|s| Some(Value::String(s))),
                    "Fn::If" => self.if_(arg),
                    "Fn::Select" => self.select(arg),
                    "Fn::Split" => self.split(arg).map(Some),
                    "Fn::FindInMap" => self.find_in_map(arg).map(Some),
                    "Fn::GetAZs" => Ok(Some(Value::Array(
                        ["a", "b", "c"]
                            .iter()
                            .map(|z| Value::String(format!("{}{z}", self.region)))
                            .collect(),
                    ))),
                    "Fn::Base64" => {
                        let text = self.eval_text(arg, "Fn::Base64")?;
                        Ok(Some(Value::String(
                            base64::engine::general_purpose::STANDARD.encode(text),
                        )))
                    }
                    "Fn::ToJsonString" => {
                        let resolved = self.eval(arg)?.unwrap_or(Value::Null);
                        Ok(Some(Value::String(resolved.to_string())))
                    }
                    "Fn::Length" => match self.eval(arg)? {
                        Some(Value::Array(items)) => Ok(Some(Value::from(items.len()))),
                        _ => Err(invalid("Fn::Length needs a list")),
                    },
                    "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => {
                        self.condition(value).map(|b| Some(Value::Bool(b)))
                    }
                    "Fn::ImportValue" | "Fn::Cidr" | "Fn::Transform" => Err(invalid(format!(
                        "{key} is not supported by the local stack (there are no other stacks, VPCs or macros locally)"
                    ))),
                    _ => self.eval_object(map),
                }
            }
            Value::Object(map) => self.eval_object(map),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(v) = self.eval(item)? {
                        out.push(v);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    fn eval_object(&self, map: &Map<String, Value>) -> Result<Option<Value>, EvalError> {
        let mut out = Map::new();
        for (k, v) in map {
            if let Some(v) = self.eval(v)? {
                out.insert(k.clone(), v);
            }
        }
        Ok(Some(Value::Object(out)))
    }

    /// Evaluates to a string (numbers and booleans are spelled out).
    pub fn eval_text(&self, value: &Value, what: &str) -> Result<String, EvalError> {
        match self.eval(value)? {
            Some(v) => as_text(&v, what),
            None => Err(invalid(format!("{what} cannot be AWS::NoValue"))),
        }
    }

    fn reference(&self, arg: &Value) -> Result<Option<Value>, EvalError> {
        let name = match arg {
            Value::String(s) => s.as_str(),
            _ => return Err(invalid("Ref needs a name")),
        };
        if name == "AWS::NoValue" {
            return Ok(None);
        }
        if let Some(v) = self.pseudo.get(name) {
            return Ok(Some(v.clone()));
        }
        if let Some(v) = self.parameters.get(name) {
            return Ok(Some(v.clone()));
        }
        if let Some(r) = self.resources.get(name) {
            return Ok(Some(r.reference.clone()));
        }
        if self.logical_ids.iter().any(|id| id == name) {
            return Err(EvalError::Pending(name.to_owned()));
        }
        Err(invalid(format!(
            "Ref {name}: no parameter, pseudo parameter or resource has this name"
        )))
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<Value, EvalError> {
        match self.resources.get(resource) {
            Some(r) => r.attributes.get(attribute).cloned().ok_or_else(|| {
                invalid(format!(
                    "Fn::GetAtt {resource}.{attribute}: the resource has no attribute {attribute} locally"
                ))
            }),
            None if self.logical_ids.iter().any(|id| id == resource) => {
                Err(EvalError::Pending(resource.to_owned()))
            }
            None => Err(invalid(format!(
                "Fn::GetAtt {resource}.{attribute}: no resource {resource}"
            ))),
        }
    }

    fn get_att(&self, arg: &Value) -> Result<Value, EvalError> {
        match arg {
            Value::Array(parts) if parts.len() == 2 => {
                let resource = as_text(&parts[0], "Fn::GetAtt resource")?;
                let attribute = self.eval_text(&parts[1], "Fn::GetAtt attribute")?;
                self.attribute(&resource, &attribute)
            }
            Value::String(s) => match s.split_once('.') {
                Some((resource, attribute)) => self.attribute(resource, attribute),
                None => Err(invalid(format!(
                    "Fn::GetAtt {s} must be Resource.Attribute"
                ))),
            },
            _ => Err(invalid("Fn::GetAtt needs [Resource, Attribute]")),
        }
    }

    fn sub(&self, arg: &Value) -> Result<String, EvalError> {
        let (template, vars) = match arg {
            Value::String(s) => (s.clone(), BTreeMap::new()),
            Value::Array(parts) if parts.len() == 2 => {
                let template = as_text(&parts[0], "Fn::Sub string")?;
                let Value::Object(map) = &parts[1] else {
                    return Err(invalid("Fn::Sub variables must be a map"));
                };
                let mut vars = BTreeMap::new();
                for (k, v) in map {
                    vars.insert(
                        k.clone(),
                        self.eval_text(v, &format!("Fn::Sub variable {k}"))?,
                    );
                }
                (template, vars)
            }
            _ => return Err(invalid("Fn::Sub needs a string or [string, {variables}]")),
        };
        let mut out = String::with_capacity(template.len());
        let mut rest = template.as_str();
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            let Some(end) = after.find('}') else {
                return Err(invalid(format!("Fn::Sub: unclosed ${{ in {template:?}")));
            };
            let name = after[..end].trim();
            if let Some(literal) = name.strip_prefix('!') {
                // `${!Literal}` writes `${Literal}`.
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.get(name) {
                out.push_str(v);
            } else if self.pseudo.contains_key(name)
                || self.parameters.contains_key(name)
                || !name.contains('.')
            {
                let value = self
                    .reference(&Value::String(name.to_owned()))?
                    .ok_or_else(|| invalid("Fn::Sub cannot use AWS::NoValue"))?;
                out.push_str(&as_text(&value, &format!("${{{name}}}"))?);
            } else {
                let (resource, attribute) = name.split_once('.').unwrap_or((name, ""));
                out.push_str(&as_text(&self.attribute(resource, attribute)?, name)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn join(&self, arg: &Value) -> Result<String, EvalError> {
        let Value::Array(parts) = arg else {
            return Err(invalid("Fn::Join needs [delimiter, [values]]"));
        };
        let [delimiter, list] = parts.as_slice() else {
            return Err(invalid("Fn::Join needs [delimiter, [values]]"));
        };
        let delimiter = as_text(delimiter, "Fn::Join delimiter")?;
        let Some(Value::Array(items)) = self.eval(list)? else {
            return Err(invalid("Fn::Join needs a list of values"));
        };
        let texts = items
            .iter()
            .map(|v| as_text(v, "Fn::Join item"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(texts.join(&delimiter))
    }

    fn if_(&self, arg: &Value) -> Result<Option<Value>, EvalError> {
        let Value::Array(parts) = arg else {
            return Err(invalid("Fn::If needs [condition, then, else]"));
        };
        let [name, yes, no] = parts.as_slice() else {
            return Err(invalid("Fn::If needs [condition, then, else]"));
        };
        let name = as_text(name, "Fn::If condition")?;
        let holds = self
            .conditions
            .get(&name)
            .copied()
            .ok_or_else(|| invalid(format!("Fn::If: no condition {name}")))?;
        self.eval(if holds { yes } else { no })
    }

    fn select(&self, arg: &Value) -> Result<Option<Value>, EvalError> {
        let Value::Array(parts) = arg else {
            return Err(invalid("Fn::Select needs [index, list]"));
        };
        let [index, list] = parts.as_slice() else {
            return Err(invalid("Fn::Select needs [index, list]"));
        };
        let index: usize = self
            .eval_text(index, "Fn::Select index")?
            .parse()
            .map_err(|_| invalid("Fn::Select index must be a number"))?;
        match self.eval(list)? {
            Some(Value::Array(items)) => items
                .get(index)
                .cloned()
                .map(Some)
                .ok_or_else(|| invalid(format!("Fn::Select index {index} is out of range"))),
            _ => Err(invalid("Fn::Select needs a list")),
        }
    }

    fn split(&self, arg: &Value) -> Result<Value, EvalError> {
        let Value::Array(parts) = arg else {
            return Err(invalid("Fn::Split needs [delimiter, string]"));
        };
        let [delimiter, text] = parts.as_slice() else {
            return Err(invalid("Fn::Split needs [delimiter, string]"));
        };
        let delimiter = as_text(delimiter, "Fn::Split delimiter")?;
        if delimiter.is_empty() {
            return Err(invalid("Fn::Split delimiter cannot be empty"));
        }
        let text = self.eval_text(text, "Fn::Split string")?;
        Ok(Value::Array(
            text.split(delimiter.as_str())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ))
    }

    fn find_in_map(&self, arg: &Value) -> Result<Value, EvalError> {
        let Value::Array(parts) = arg else {
            return Err(invalid("Fn::FindInMap needs [map, key, key]"));
        };
        let [map, top, second] = parts.as_slice() else {
            return Err(invalid("Fn::FindInMap needs [map, key, key]"));
        };
        let map = self.eval_text(map, "Fn::FindInMap map")?;
        let top = self.eval_text(top, "Fn::FindInMap key")?;
        let second = self.eval_text(second, "Fn::FindInMap key")?;
        self.mappings
            .get(&map)
            .and_then(|m| m.get(&top))
            .and_then(|m| m.get(&second))
            .cloned()
            .ok_or_else(|| {
                invalid(format!(
                    "Fn::FindInMap: {map}.{top}.{second} does not exist"
                ))
            })
    }

    /// Evaluates a condition expression.
    pub fn condition(&self, value: &Value) -> Result<bool, EvalError> {
        let Value::Object(map) = value else {
            return match value {
                Value::Bool(b) => Ok(*b),
                Value::String(s) if s == "true" => Ok(true),
                Value::String(s) if s == "false" => Ok(false),
                _ => Err(invalid(format!("{value} is not a condition"))),
            };
        };
        let Some((key, arg)) = map.iter().next().filter(|_| map.len() == 1) else {
            return Err(invalid("a condition is a single function"));
        };
        let list = |n: usize| -> Result<&Vec<Value>, EvalError> {
            match arg {
                Value::Array(items) if items.len() >= n => Ok(items),
                _ => Err(invalid(format!("{key} needs a list"))),
            }
        };
        match key.as_str() {
            "Condition" => {
                let name = as_text(arg, "Condition")?;
                self.conditions
                    .get(&name)
                    .copied()
                    .ok_or_else(|| EvalError::Pending(format!("Condition {name}")))
            }
            "Fn::Equals" => {
                let items = list(2)?;
                if items.len() != 2 {
                    return Err(invalid("Fn::Equals needs two values"));
                }
                let a = self.eval(&items[0])?.unwrap_or(Value::Null);
                let b = self.eval(&items[1])?.unwrap_or(Value::Null);
                Ok(match (as_text(&a, "value"), as_text(&b, "value")) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => a == b,
                })
            }
            "Fn::Not" => {
                let items = list(1)?;
                Ok(!self.condition(&items[0])?)
            }
            "Fn::And" => {
                let items = list(2)?;
                for item in items {
                    if !self.condition(item)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            "Fn::Or" => {
                let items = list(2)?;
                for item in items {
                    if self.condition(item)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            other => Err(invalid(format!("{other} cannot be used in a condition"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Fixture {
        pseudo: BTreeMap<String, Value>,
        parameters: BTreeMap<String, Value>,
        conditions: BTreeMap<String, bool>,
        mappings: Map<String, Value>,
        resources: BTreeMap<String, ResourceValues>,
        ids: Vec<String>,
    }

    impl Fixture {
        fn new() -> Self {
            let mut pseudo = BTreeMap::new();
            pseudo.insert("AWS::Region".into(), json!("us-east-1"));
            pseudo.insert("AWS::StackName".into(), json!("app"));
            let mut parameters = BTreeMap::new();
            parameters.insert("Env".into(), json!("dev"));
            parameters.insert("Names".into(), json!(["a", "b"]));
            let mut conditions = BTreeMap::new();
            conditions.insert("IsProd".into(), false);
            let mut resources = BTreeMap::new();
            resources.insert(
                "Bus".into(),
                ResourceValues {
                    reference: json!("CentralEventBus"),
                    attributes: [(
                        "Arn".to_owned(),
                        json!("arn:aws:events:us-east-1:000000000000:event-bus/CentralEventBus"),
                    )]
                    .into_iter()
                    .collect(),
                },
            );
            let mappings = json!({"Sizes": {"dev": {"Memory": 128}}})
                .as_object()
                .unwrap()
                .clone();
            Self {
                pseudo,
                parameters,
                conditions,
                mappings,
                resources,
                ids: vec!["Bus".into(), "Later".into()],
            }
        }

        fn ctx(&self) -> Context<'_> {
            Context {
                pseudo: &self.pseudo,
                parameters: &self.parameters,
                conditions: &self.conditions,
                mappings: &self.mappings,
                resources: &self.resources,
                logical_ids: &self.ids,
                region: "us-east-1",
            }
        }
    }

    #[test]
    fn refs_subs_and_joins() {
        let f = Fixture::new();
        let ctx = f.ctx();
        assert_eq!(
            ctx.eval(&json!({"Ref": "Env"})).unwrap(),
            Some(json!("dev"))
        );
        assert_eq!(
            ctx.eval(&json!({"Ref": "Bus"})).unwrap(),
            Some(json!("CentralEventBus"))
        );
        assert_eq!(
            ctx.eval(&json!({"Fn::Sub": "${AWS::StackName}-${Env}-${Bus.Arn}-${!Literal}"}))
                .unwrap(),
            Some(json!(
                "app-dev-arn:aws:events:us-east-1:000000000000:event-bus/CentralEventBus-${Literal}"
            ))
        );
        assert_eq!(
            ctx.eval(&json!({"Fn::Sub": ["${X}/${Env}", {"X": {"Ref": "Bus"}}]}))
                .unwrap(),
            Some(json!("CentralEventBus/dev"))
        );
        assert_eq!(
            ctx.eval(&json!({"Fn::Join": ["-", ["x", {"Ref": "Env"}, 3]]}))
                .unwrap(),
            Some(json!("x-dev-3"))
        );
        assert_eq!(
            ctx.eval(&json!({"Fn::Join": [",", {"Ref": "Names"}]}))
                .unwrap(),
            Some(json!("a,b"))
        );
    }

    #[test]
    fn conditions_if_and_no_value() {
        let f = Fixture::new();
        let ctx = f.ctx();
        assert_eq!(
            ctx.eval(&json!({"A": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}, "B": [1, {"Ref": "AWS::NoValue"}]})).unwrap(),
            Some(json!({"B": [1]}))
        );
        assert!(
            ctx.condition(&json!({"Fn::Equals": [{"Ref": "Env"}, "dev"]}))
                .unwrap()
        );
        assert!(
            ctx.condition(&json!({"Fn::Not": [{"Condition": "IsProd"}]}))
                .unwrap()
        );
        assert!(
            !ctx.condition(&json!({"Fn::And": [{"Condition": "IsProd"}, true]}))
                .unwrap()
        );
        assert!(
            ctx.condition(&json!({"Fn::Or": [{"Condition": "IsProd"}, {"Fn::Equals": ["1", 1]}]}))
                .unwrap()
        );
    }

    #[test]
    fn select_split_find_in_map_getazs() {
        let f = Fixture::new();
        let ctx = f.ctx();
        assert_eq!(
            ctx.eval(&json!({"Fn::Select": ["1", {"Fn::Split": [",", "a,b,c"]}]}))
                .unwrap(),
            Some(json!("b"))
        );
        assert_eq!(
            ctx.eval(&json!({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]}))
                .unwrap(),
            Some(json!(128))
        );
        assert_eq!(
            ctx.eval(&json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]}))
                .unwrap(),
            Some(json!("us-east-1a"))
        );
        assert!(matches!(
            ctx.eval(&json!({"Fn::Select": [5, ["a"]]})),
            Err(EvalError::Invalid(_))
        ));
    }

    #[test]
    fn unknown_and_pending_names() {
        let f = Fixture::new();
        let ctx = f.ctx();
        assert_eq!(
            ctx.eval(&json!({"Ref": "Later"})),
            Err(EvalError::Pending("Later".into()))
        );
        assert_eq!(
            ctx.eval(&json!({"Fn::GetAtt": ["Later", "Arn"]})),
            Err(EvalError::Pending("Later".into()))
        );
        assert!(matches!(
            ctx.eval(&json!({"Ref": "Nope"})),
            Err(EvalError::Invalid(_))
        ));
        assert!(matches!(
            ctx.eval(&json!({"Fn::GetAtt": ["Bus", "Nope"]})),
            Err(EvalError::Invalid(_))
        ));
        assert!(matches!(
            ctx.eval(&json!({"Fn::ImportValue": "x"})),
            Err(EvalError::Invalid(_))
        ));
        assert!(matches!(
            ctx.eval(&json!({"Fn::Sub": "${unclosed"})),
            Err(EvalError::Invalid(_))
        ));
    }
}
