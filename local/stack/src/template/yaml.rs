//! Reading a CloudFormation / SAM template: YAML (or JSON) into a JSON value,
//! with the short-form tags (`!Ref`, `!GetAtt`, `!Sub`, ...) rewritten into
//! their long forms (`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`, ...).

use serde_json::{Map, Value};
use serde_yaml::value::TaggedValue;

use super::TemplateError;

/// Short-form tags and the long-form key each stands for.
const TAGS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("GetAtt", "Fn::GetAtt"),
    ("Sub", "Fn::Sub"),
    ("Join", "Fn::Join"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("FindInMap", "Fn::FindInMap"),
    ("GetAZs", "Fn::GetAZs"),
    ("Base64", "Fn::Base64"),
    ("ImportValue", "Fn::ImportValue"),
    ("Cidr", "Fn::Cidr"),
    ("ToJsonString", "Fn::ToJsonString"),
    ("Length", "Fn::Length"),
    ("Transform", "Fn::Transform"),
];

/// Parses template text (YAML is a superset of JSON, so both work).
pub fn parse(text: &str) -> Result<Value, TemplateError> {
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| TemplateError::Syntax(e.to_string()))?;
    to_json(yaml, "")
}

fn to_json(value: serde_yaml::Value, path: &str) -> Result<Value, TemplateError> {
    use serde_yaml::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| to_json(v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => {
                        return Err(TemplateError::Syntax(format!(
                            "unsupported mapping key {other:?} at {path}"
                        )));
                    }
                };
                let child = format!("{path}/{key}");
                out.insert(key, to_json(v, &child)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => tagged_to_json(*tagged, path)?,
    })
}

fn tagged_to_json(tagged: TaggedValue, path: &str) -> Result<Value, TemplateError> {
    let tag = tagged.tag.to_string();
    let name = tag.trim_start_matches('!');
    let Some((_, long)) = TAGS.iter().find(|(short, _)| *short == name) else {
        return Err(TemplateError::Syntax(format!(
            "unknown tag !{name} at {path}"
        )));
    };
    let inner = to_json(tagged.value, path)?;
    let inner = match (*long, inner) {
        // `!GetAtt Resource.Attribute` is the string form of `[Resource, Attribute]`.
        ("Fn::GetAtt", Value::String(s)) => match s.split_once('.') {
            Some((resource, attribute)) => Value::Array(vec![
                Value::String(resource.to_owned()),
                Value::String(attribute.to_owned()),
            ]),
            None => {
                return Err(TemplateError::Syntax(format!(
                    "!GetAtt {s} at {path} must be Resource.Attribute"
                )));
            }
        },
        (_, other) => other,
    };
    let mut out = Map::new();
    out.insert((*long).to_owned(), inner);
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_forms_become_long_forms() {
        let text = r#"
A: !Ref Param
B: !GetAtt Fn.Arn
C: !Sub "${AWS::StackName}-x"
D: !Sub
  - "${X}-y"
  - X: !Ref Other
E: !Join [":", [a, !Ref P]]
F: !If [IsProd, 1, !Ref "AWS::NoValue"]
G: !Equals [!Ref Env, prod]
H: !GetAtt [Fn, Arn]
I: { "Fn::Select": [0, !Split [",", "a,b"]] }
"#;
        assert_eq!(
            parse(text).unwrap(),
            json!({
                "A": {"Ref": "Param"},
                "B": {"Fn::GetAtt": ["Fn", "Arn"]},
                "C": {"Fn::Sub": "${AWS::StackName}-x"},
                "D": {"Fn::Sub": ["${X}-y", {"X": {"Ref": "Other"}}]},
                "E": {"Fn::Join": [":", ["a", {"Ref": "P"}]]},
                "F": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]},
                "G": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                "H": {"Fn::GetAtt": ["Fn", "Arn"]},
                "I": {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}
            })
        );
    }

    #[test]
    fn unknown_tags_and_bad_yaml_are_errors() {
        assert!(matches!(parse("A: !Nope x"), Err(TemplateError::Syntax(_))));
        assert!(matches!(
            parse("A: [unclosed"),
            Err(TemplateError::Syntax(_))
        ));
        assert!(matches!(
            parse("A: !GetAtt nodot"),
            Err(TemplateError::Syntax(_))
        ));
    }

    #[test]
    fn json_templates_parse_too() {
        assert_eq!(
            parse(r#"{"A": {"Ref": "B"}, "N": 1.5}"#).unwrap(),
            json!({"A": {"Ref": "B"}, "N": 1.5})
        );
    }
}
