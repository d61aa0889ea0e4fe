//! `kyc-local graph`: a state machine definition drawn as a Mermaid flowchart, with the states an
//! execution entered highlighted (from its GetExecutionHistory).
//!
//! Every transition of the States Language is drawn: `Next`, each Choice rule's `Next` (labelled
//! with the rule's variable and comparison) and `Default`, and each `Catch`'s `Next` (dotted,
//! labelled with its `ErrorEquals`). Parallel branches and Map item processors are subgraphs.
//! State names are unique in a whole state machine (States Language), so a history's
//! `stateEnteredEventDetails.name`s identify the nodes to highlight.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

/// Why a definition could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot draw the definition: {0}")]
pub struct GraphError(pub String);

/// The comparison operators of a Choice rule, for its edge label.
const COMPARISONS: [&str; 40] = [
    "StringEquals",
    "StringEqualsPath",
    "StringLessThan",
    "StringLessThanPath",
    "StringGreaterThan",
    "StringGreaterThanPath",
    "StringLessThanEquals",
    "StringLessThanEqualsPath",
    "StringGreaterThanEquals",
    "StringGreaterThanEqualsPath",
    "StringMatches",
    "NumericEquals",
    "NumericEqualsPath",
    "NumericLessThan",
    "NumericLessThanPath",
    "NumericGreaterThan",
    "NumericGreaterThanPath",
    "NumericLessThanEquals",
    "NumericLessThanEqualsPath",
    "NumericGreaterThanEquals",
    "NumericGreaterThanEqualsPath",
    "BooleanEquals",
    "BooleanEqualsPath",
    "TimestampEquals",
    "TimestampEqualsPath",
    "TimestampLessThan",
    "TimestampLessThanPath",
    "TimestampGreaterThan",
    "TimestampGreaterThanPath",
    "TimestampLessThanEquals",
    "TimestampLessThanEqualsPath",
    "TimestampGreaterThanEquals",
    "TimestampGreaterThanEqualsPath",
    "IsNull",
    "IsPresent",
    "IsNumeric",
    "IsString",
    "IsBoolean",
    "IsTimestamp",
    "Condition",
];

/// Longest edge label, in characters.
const MAX_LABEL: usize = 48;

struct Drawing {
    out: String,
    /// State name → node id.
    ids: BTreeMap<String, String>,
    /// Edges in the order written: (from, to); Mermaid numbers them for `linkStyle`.
    edges: Vec<(String, String)>,
}

/// The Mermaid flowchart of `definition`; the states named in `visited` (and the edges between
/// two of them) are highlighted.
pub fn mermaid(definition: &Value, visited: &[String]) -> Result<String, GraphError> {
    let visited: BTreeSet<String> = visited.iter().cloned().collect();
    let mut d = Drawing {
        out: String::from("flowchart TD\n"),
        ids: BTreeMap::new(),
        edges: Vec::new(),
    };
    name_states(definition, &mut d.ids)?;
    d.out.push_str("  start((start))\n");
    let start = start_at(definition)?;
    let first = d.id(start)?;
    d.edge("start", &first, None, false);
    d.scope(definition, 1)?;
    d.out.push_str(
        "  classDef visited fill:#d8f3dc,stroke:#2d6a4f,stroke-width:2px\n  classDef fail fill:#ffe3e3,stroke:#c92a2a\n",
    );
    let fails: Vec<&String> = all_states(definition)
        .into_iter()
        .filter(|(_, s)| s["Type"] == "Fail")
        .filter_map(|(name, _)| d.ids.get(name))
        .collect();
    if !fails.is_empty() {
        let _ = writeln!(d.out, "  class {} fail", join(&fails));
    }
    // In definition order.
    let seen: Vec<&String> = all_states(definition)
        .into_iter()
        .filter(|(name, _)| visited.contains(*name))
        .filter_map(|(name, _)| d.ids.get(name))
        .collect();
    if !seen.is_empty() {
        let _ = writeln!(d.out, "  class {} visited", join(&seen));
        let visited_ids: BTreeSet<&String> = seen.into_iter().collect();
        let walked: Vec<String> = d
            .edges
            .iter()
            .enumerate()
            .filter(|(_, (from, to))| {
                (from == "start" || visited_ids.contains(from)) && visited_ids.contains(to)
            })
            .map(|(i, _)| i.to_string())
            .collect();
        if !walked.is_empty() {
            let _ = writeln!(
                d.out,
                "  linkStyle {} stroke:#2d6a4f,stroke-width:3px",
                walked.join(",")
            );
        }
    }
    Ok(d.out)
}

fn join(ids: &[&String]) -> String {
    ids.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

fn start_at(scope: &Value) -> Result<&str, GraphError> {
    scope["StartAt"]
        .as_str()
        .ok_or_else(|| GraphError("a scope has no StartAt".to_string()))
}

fn states(scope: &Value) -> Result<&serde_json::Map<String, Value>, GraphError> {
    scope["States"]
        .as_object()
        .ok_or_else(|| GraphError("a scope has no States object".to_string()))
}

/// The nested scopes of a state: Parallel branches, a Map's ItemProcessor (or Iterator).
fn nested(state: &Value) -> Vec<&Value> {
    match state["Type"].as_str() {
        Some("Parallel") => state["Branches"]
            .as_array()
            .map(|b| b.iter().collect())
            .unwrap_or_default(),
        Some("Map") => [&state["ItemProcessor"], &state["Iterator"]]
            .into_iter()
            .filter(|s| s.is_object())
            .collect(),
        _ => Vec::new(),
    }
}

/// Every state of the definition, nested ones included.
fn all_states(scope: &Value) -> Vec<(&String, &Value)> {
    let mut out = Vec::new();
    if let Some(states) = scope["States"].as_object() {
        for (name, state) in states {
            out.push((name, state));
            for inner in nested(state) {
                out.extend(all_states(inner));
            }
        }
    }
    out
}

/// Gives every state a node id (`s0`, `s1`, ...) in definition order.
fn name_states(scope: &Value, ids: &mut BTreeMap<String, String>) -> Result<(), GraphError> {
    for (name, state) in states(scope)? {
        let id = format!("s{}", ids.len());
        if ids.insert(name.clone(), id).is_some() {
            return Err(GraphError(format!("the state name {name:?} is used twice")));
        }
        for inner in nested(state) {
            name_states(inner, ids)?;
        }
    }
    Ok(())
}

/// Mermaid text in double quotes: `"` becomes `#quot;`.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "#quot;"))
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_LABEL {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX_LABEL - 1).collect();
        format!("{cut}…")
    }
}

/// A short description of a Choice rule: `$.x StringEquals "A"`, `And (2)`, `Not`.
fn rule_label(rule: &Value) -> String {
    for combinator in ["And", "Or"] {
        if let Some(list) = rule[combinator].as_array() {
            return format!("{combinator} ({})", list.len());
        }
    }
    if rule["Not"].is_object() {
        return format!("Not {}", rule_label(&rule["Not"]));
    }
    // A JSONata rule: its expression, without the `{% %}` around it.
    if let Some(condition) = rule["Condition"].as_str() {
        let inner = condition
            .trim()
            .strip_prefix("{%")
            .and_then(|c| c.strip_suffix("%}"))
            .unwrap_or(condition);
        return inner.trim().to_string();
    }
    let variable = rule["Variable"].as_str().unwrap_or("");
    for op in COMPARISONS {
        if let Some(value) = rule.get(op) {
            let value = match value {
                Value::String(s) => format!("\"{s}\""),
                other => other.to_string(),
            };
            return format!("{variable} {op} {value}").trim().to_string();
        }
    }
    "rule".to_string()
}

impl Drawing {
    fn id(&self, name: &str) -> Result<String, GraphError> {
        self.ids
            .get(name)
            .cloned()
            .ok_or_else(|| GraphError(format!("no state named {name:?}")))
    }

    fn edge(&mut self, from: &str, to: &str, label: Option<&str>, dotted: bool) {
        let arrow = match (label, dotted) {
            (None, false) => " --> ".to_string(),
            (None, true) => " -.-> ".to_string(),
            (Some(l), false) => format!(" -->|{}| ", quoted(&shorten(l))),
            (Some(l), true) => format!(" -.->|{}| ", quoted(&shorten(l))),
        };
        let _ = writeln!(self.out, "  {from}{arrow}{to}");
        self.edges.push((from.to_string(), to.to_string()));
    }

    /// Nodes and edges of one scope; nested scopes become subgraphs.
    fn scope(&mut self, scope: &Value, depth: usize) -> Result<(), GraphError> {
        let indent = "  ".repeat(depth);
        for (name, state) in states(scope)? {
            let id = self.id(name)?;
            let kind = state["Type"].as_str().unwrap_or("?");
            let label = quoted(name);
            let inner = nested(state);
            if inner.is_empty() {
                let node = match kind {
                    "Choice" => format!("{id}{{{label}}}"),
                    "Succeed" | "Fail" => format!("{id}([{label}])"),
                    "Wait" => format!("{id}[/{label}/]"),
                    "Pass" => format!("{id}({label})"),
                    _ => format!("{id}[{label}]"),
                };
                let _ = writeln!(self.out, "{indent}{node}");
            } else {
                // The state is a subgraph holding its branches; edges to and from it attach to
                // the subgraph.
                let _ = writeln!(self.out, "{indent}subgraph {id} [{label}]");
                for (b, branch) in inner.into_iter().enumerate() {
                    let first = self.id(start_at(branch)?)?;
                    let entry = format!("{id}_b{b}");
                    let what = if kind == "Map" {
                        "each item".to_string()
                    } else {
                        format!("branch {}", b + 1)
                    };
                    let _ = writeln!(self.out, "{indent}  {entry}(({}))", quoted(&what));
                    self.edge(&entry, &first, None, false);
                    self.scope(branch, depth + 1)?;
                }
                let _ = writeln!(self.out, "{indent}end");
            }
            if let Some(next) = state["Next"].as_str() {
                let to = self.id(next)?;
                self.edge(&id, &to, None, false);
            }
            if kind == "Choice" {
                for rule in state["Choices"].as_array().into_iter().flatten() {
                    if let Some(next) = rule["Next"].as_str() {
                        let to = self.id(next)?;
                        self.edge(&id, &to, Some(&rule_label(rule)), false);
                    }
                }
                if let Some(default) = state["Default"].as_str() {
                    let to = self.id(default)?;
                    self.edge(&id, &to, Some("Default"), false);
                }
            }
            for catcher in state["Catch"].as_array().into_iter().flatten() {
                if let Some(next) = catcher["Next"].as_str() {
                    let errors: Vec<&str> = catcher["ErrorEquals"]
                        .as_array()
                        .map(|e| e.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    let to = self.id(next)?;
                    self.edge(
                        &id,
                        &to,
                        Some(&format!("catch {}", errors.join(", "))),
                        true,
                    );
                }
            }
        }
        Ok(())
    }
}

/// The names of the states an execution entered, oldest first, from GetExecutionHistory events.
pub fn entered_states(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| e["stateEnteredEventDetails"]["name"].as_str())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition() -> Value {
        json!({
            "StartAt": "Check",
            "States": {
                "Check": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                          "Next": "Decide",
                          "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}]},
                "Decide": {"Type": "Choice",
                           "Choices": [
                               {"Variable": "$.decision", "StringEquals": "APPROVE", "Next": "Approved"},
                               {"And": [{"Variable": "$.a", "IsPresent": true},
                                        {"Variable": "$.b", "NumericGreaterThan": 3}], "Next": "Both"}
                           ],
                           "Default": "Failed"},
                "Both": {"Type": "Parallel", "Next": "Approved",
                         "Branches": [
                             {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": true}}},
                             {"StartAt": "Right", "States": {"Right": {"Type": "Wait", "Seconds": 1, "End": true}}}
                         ]},
                "Approved": {"Type": "Succeed"},
                "Failed": {"Type": "Fail", "Error": "E"}
            }
        })
    }

    #[test]
    fn every_transition_is_drawn() {
        let text = mermaid(&definition(), &[]).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "flowchart TD");
        for expected in [
            "  start --> s0",
            "  s0[\"Check\"]",
            "  s0 --> s1",
            "  s0 -.->|\"catch States.ALL\"| s6",
            "  s1{\"Decide\"}",
            "  s1 -->|\"$.decision StringEquals #quot;APPROVE#quot;\"| s5",
            "  s1 -->|\"And (2)\"| s2",
            "  s1 -->|\"Default\"| s6",
            "  subgraph s2 [\"Both\"]",
            "    s2_b0((\"branch 1\"))",
            "  s2_b0 --> s3",
            "    s3(\"Left\")",
            "  s2_b1 --> s4",
            "    s4[/\"Right\"/]",
            "  s2 --> s5",
            "  s5([\"Approved\"])",
            "  s6([\"Failed\"])",
            "  class s6 fail",
        ] {
            assert!(lines.contains(&expected), "missing {expected:?} in\n{text}");
        }
        assert!(!text.contains("class s0"), "{text}");
        assert!(!text.contains("linkStyle"), "{text}");
    }

    #[test]
    fn the_path_of_an_execution_is_highlighted() {
        let history = vec![
            json!({"type": "ExecutionStarted", "id": 1}),
            json!({"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Check"}}),
            json!({"type": "TaskStateExited", "stateExitedEventDetails": {"name": "Check"}}),
            json!({"type": "ChoiceStateEntered", "stateEnteredEventDetails": {"name": "Decide"}}),
            json!({"type": "SucceedStateEntered", "stateEnteredEventDetails": {"name": "Approved"}}),
        ];
        let visited = entered_states(&history);
        assert_eq!(visited, ["Check", "Decide", "Approved"]);
        let text = mermaid(&definition(), &visited).unwrap();
        assert!(text.contains("  class s0,s1,s5 visited\n"), "{text}");
        // Edges 0 (start → Check), 1 (Check → Decide) and 3 (Decide → Approved) were walked.
        assert!(
            text.contains("  linkStyle 0,1,3 stroke:#2d6a4f,stroke-width:3px\n"),
            "{text}"
        );
    }

    #[test]
    fn a_broken_definition_is_an_error_not_a_panic() {
        assert_eq!(
            mermaid(&json!({"States": {}}), &[]).unwrap_err(),
            GraphError("a scope has no StartAt".into())
        );
        let err = mermaid(
            &json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}),
            &[],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot draw the definition: no state named \"Nowhere\""
        );
        let err = mermaid(
            &json!({"StartAt": "A", "States": {"A": {"Type": "Parallel", "End": true,
                "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}]}}}),
            &[],
        )
        .unwrap_err();
        assert_eq!(err.0, "the state name \"A\" is used twice");
        assert!(mermaid(&json!("not an object"), &[]).is_err());
    }

    #[test]
    fn long_labels_are_cut() {
        let rule = json!({"Variable": "$.a.very.long.path.to.somewhere", "StringEquals": "a long value indeed"});
        let label = shorten(&rule_label(&rule));
        assert_eq!(label.chars().count(), MAX_LABEL);
        assert!(label.ends_with('…'));
        assert_eq!(
            rule_label(&json!({"Not": {"Variable": "$.x", "IsNull": true}})),
            "Not $.x IsNull true"
        );
    }

    #[test]
    fn a_jsonata_rule_shows_its_expression() {
        assert_eq!(
            rule_label(&json!({"Condition": "{% $risk.decision = 'APPROVE' %}", "Next": "A"})),
            "$risk.decision = 'APPROVE'"
        );
        assert_eq!(rule_label(&json!({"Condition": "{% true %}"})), "true");
    }

    /// The project's own state machine draws, with every state once.
    #[test]
    fn the_kyc_state_machine_draws() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
        let model =
            emulator::template::load(&path, &emulator::template::TemplateOptions::default())
                .unwrap();
        let machine = &model.state_machines[0];
        let text = mermaid(&machine.definition, &[]).unwrap();
        for name in all_states(&machine.definition).into_iter().map(|(n, _)| n) {
            let shown = format!("\"{name}\"");
            assert_eq!(text.matches(&shown).count(), 1, "{name} in\n{text}");
        }
    }
}
