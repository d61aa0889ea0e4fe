//! Array consistency in polynomial time.
//!
//! EventBridge never combines fields across elements of one array: the leaves
//! a pattern matches must, for every array of the event that holds two of
//! them, sit in the same element. Choosing one leaf per field under that rule
//! by trying combinations is exponential (six fields in arrays of fourteen
//! elements are 14⁶ combinations). The structure of JSON makes it a tree
//! problem instead:
//!
//! * the array elements of an event form a tree (an element holds arrays,
//!   whose elements hold arrays, ...), and a leaf sits in one node of it;
//! * a leaf that sits in element `E` and no deeper array is consistent with
//!   every other leaf under `E`;
//! * a field's path is a fixed sequence of keys, so below `E` its leaves lie
//!   under one child array of `E` (the next array on its path).
//!
//! So `sat(E, R)` — can every field of `R` be satisfied inside `E`? — drops
//! the fields with a leaf directly in `E`, groups the rest by their child
//! array, and needs, for each group, one element of that array satisfying the
//! whole group. Every element is visited once: the work is linear in the
//! number of (element, field) pairs.
//!
//! The one exception is an event that spells one path twice, as a dotted key
//! (`"a.b"`) and as nested objects (`"a": {"b": ...}`): a field may then sit
//! under two child arrays. Those fields are assigned to a child array by a
//! search that shares [`STEP_BUDGET`] with the rest; a match it has not found
//! when the budget runs out counts as no match (the work stays bounded).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::flat::{FlatEvent, FlatLeaf};

/// The worst case of array consistency for a search over combinations (the
/// hardening issue's TestEventPattern case at `arrays = 6`): `arrays` fields
/// in arrays of 14 elements each, all matching, and two fields that only ever
/// sit in different elements of one more array, so no choice is consistent.
/// Returns `(pattern, event)`; the event has every field TestEventPattern
/// requires. Used by the tests, the `hostile_arrays` bench and
/// `kyc-local bench --hostile`.
pub fn worst_case(arrays: usize) -> (Value, Value) {
    let mut detail = Map::new();
    let mut pattern = Map::new();
    for a in 0..arrays {
        let elements: Vec<Value> = (0..14).map(|i| json!({"v": i % 2})).collect();
        detail.insert(format!("f{a}"), Value::Array(elements));
        pattern.insert(format!("f{a}"), json!({"v": [0, 1]}));
    }
    let split: Vec<Value> = (0..28)
        .map(|i| {
            if i % 2 == 0 {
                json!({"x": 1})
            } else {
                json!({"y": 1})
            }
        })
        .collect();
    detail.insert("g".into(), Value::Array(split));
    pattern.insert("g".into(), json!({"x": [1], "y": [1]}));
    let event = json!({
        "id": "1", "account": "123456789012", "source": "s", "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1", "resources": [], "detail-type": "t", "detail": detail
    });
    (json!({ "detail": pattern }), event)
}

/// Most `sat` steps one branch may take. Without spelled-twice paths a match
/// takes at most one step per array element, far below this.
pub(crate) const STEP_BUDGET: usize = 200_000;

type Node = usize;
const ROOT: Node = 0;

#[derive(Default)]
struct Tree {
    /// Element node ids by (array id, element index); node 0 is the event root.
    nodes: HashMap<(u32, u32), Node>,
    /// Per node: the arrays directly inside it, in first-seen order.
    child_arrays: Vec<Vec<u32>>,
    /// Per array: its element nodes that hold an accepted leaf.
    elements: HashMap<u32, Vec<Node>>,
    /// (node, field) pairs with a leaf directly in the node.
    direct: HashSet<(Node, usize)>,
    /// (array, field) pairs with a leaf somewhere under the array.
    under: HashSet<(u32, usize)>,
}

impl Tree {
    fn build(candidates: &[Vec<&FlatLeaf<'_>>], flat: &FlatEvent<'_>) -> Tree {
        let mut tree = Tree {
            child_arrays: vec![Vec::new()],
            ..Tree::default()
        };
        for (field, leaves) in candidates.iter().enumerate() {
            for leaf in leaves {
                let mut parent = ROOT;
                for &(array, index) in flat.members(leaf) {
                    if !tree.child_arrays[parent].contains(&array) {
                        tree.child_arrays[parent].push(array);
                    }
                    tree.under.insert((array, field));
                    let node = match tree.nodes.get(&(array, index)) {
                        Some(&n) => n,
                        None => {
                            let n = tree.child_arrays.len();
                            tree.child_arrays.push(Vec::new());
                            tree.nodes.insert((array, index), n);
                            tree.elements.entry(array).or_default().push(n);
                            n
                        }
                    };
                    parent = node;
                }
                tree.direct.insert((parent, field));
            }
        }
        tree
    }
}

struct Search<'t> {
    tree: &'t Tree,
    steps: usize,
}

impl Search<'_> {
    /// Whether every field of `required` can be satisfied inside `node`.
    /// Recursion depth is the event's array nesting, which the JSON parser
    /// bounds (serde_json refuses documents nested deeper than 128).
    fn sat(&mut self, node: Node, required: &[usize]) -> bool {
        self.steps += 1;
        if self.steps > STEP_BUDGET {
            return false;
        }
        let tree = self.tree;
        let mut groups: Vec<(u32, Vec<usize>)> = Vec::new();
        let mut shared: Vec<(usize, Vec<u32>)> = Vec::new();
        for &field in required {
            if tree.direct.contains(&(node, field)) {
                continue;
            }
            let arrays: Vec<u32> = tree.child_arrays[node]
                .iter()
                .copied()
                .filter(|a| tree.under.contains(&(*a, field)))
                .collect();
            match arrays.as_slice() {
                [] => return false,
                [one] => match groups.iter_mut().find(|(a, _)| a == one) {
                    Some((_, fields)) => fields.push(field),
                    None => groups.push((*one, vec![field])),
                },
                _ => shared.push((field, arrays)),
            }
        }
        if shared.is_empty() {
            return groups
                .iter()
                .all(|(array, fields)| self.some_element(*array, fields));
        }
        // Spelled-twice paths: try each assignment of the shared fields, in
        // odometer order, within the step budget.
        let mut choice = vec![0usize; shared.len()];
        loop {
            let mut assigned = groups.clone();
            for ((field, arrays), &pick) in shared.iter().zip(&choice) {
                let array = arrays[pick];
                match assigned.iter_mut().find(|(a, _)| *a == array) {
                    Some((_, fields)) => fields.push(*field),
                    None => assigned.push((array, vec![*field])),
                }
            }
            if assigned
                .iter()
                .all(|(array, fields)| self.some_element(*array, fields))
            {
                return true;
            }
            if self.steps > STEP_BUDGET {
                return false;
            }
            let mut i = 0;
            loop {
                if i == choice.len() {
                    return false;
                }
                choice[i] += 1;
                if choice[i] < shared[i].1.len() {
                    break;
                }
                choice[i] = 0;
                i += 1;
            }
        }
    }

    fn some_element(&mut self, array: u32, fields: &[usize]) -> bool {
        let tree = self.tree;
        let Some(elements) = tree.elements.get(&array) else {
            return false;
        };
        elements.iter().any(|&e| self.sat(e, fields))
    }
}

/// Whether one leaf per field (each field's accepted leaves in `candidates`)
/// can be chosen with no two from different elements of one array.
pub(crate) fn consistent_choice(candidates: &[Vec<&FlatLeaf<'_>>], flat: &FlatEvent<'_>) -> bool {
    if candidates.iter().any(Vec::is_empty) {
        return false;
    }
    let tree = Tree::build(candidates, flat);
    let required: Vec<usize> = (0..candidates.len()).collect();
    Search {
        tree: &tree,
        steps: 0,
    }
    .sat(ROOT, &required)
}

#[cfg(test)]
mod tests {
    use crate::EventPattern;
    use serde_json::json;

    #[test]
    fn fields_must_share_the_array_element() {
        let p = EventPattern::parse(r#"{"a": {"x": [1], "y": [2]}}"#).unwrap();
        assert!(p.matches(&json!({"a": [{"x": 1, "y": 2}]})));
        assert!(!p.matches(&json!({"a": [{"x": 1}, {"y": 2}]})));
        assert!(p.matches(&json!({"a": [{"x": 1}, {"x": 1, "y": 2}]})));
    }

    #[test]
    fn nested_arrays_need_one_element_at_every_level() {
        let p = EventPattern::parse(r#"{"a": {"b": {"x": [1], "y": [2]}, "z": [3]}}"#).unwrap();
        let event = json!({"a": [
            {"b": [{"x": 1}, {"y": 2}], "z": 3},
            {"b": [{"x": 1, "y": 2}], "z": 4}
        ]});
        assert!(!p.matches(&event));
        let event = json!({"a": [
            {"b": [{"x": 1}, {"y": 2}], "z": 3},
            {"b": [{"x": 1, "y": 2}], "z": [4, 3]}
        ]});
        assert!(p.matches(&event));
    }

    #[test]
    fn a_path_spelled_twice_combines_both_spellings() {
        let p = EventPattern::parse(r#"{"a": {"b": {"x": [1], "y": [2]}}}"#).unwrap();
        assert!(p.matches(&json!({"a.b": [{"x": 1}], "a": {"b": [{"y": 2}]}})));
        assert!(!p.matches(&json!({"a.b": [{"x": 1}, {"y": 2}], "a": {"b": [{"z": 2}]}})));
    }
}
