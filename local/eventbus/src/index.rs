//! Many compiled patterns, matched against one event at a time.
//!
//! The event is flattened once (only at the paths some rule names), then only
//! the candidate rules are evaluated: rules whose every branch requires exact
//! `source` values are filed under those values, likewise for `detail-type`,
//! and the rest are always evaluated. With rules spread over sources and
//! detail types, matching cost grows far slower than the number of rules.

use std::collections::HashMap;
use std::hash::Hash;

use serde_json::Value;

use crate::pattern::EventPattern;
use crate::pattern::flat::{FlatEvent, PathTrie};
use crate::pattern::matcher::Leaf;

struct Entry<R> {
    id: R,
    pattern: EventPattern,
    remap: Vec<u32>,
    key: IndexKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum IndexKey {
    Source(Vec<String>),
    DetailType(Vec<String>),
    Always,
}

/// A set of rules (by id) and their compiled patterns.
pub struct RuleIndex<R> {
    entries: Vec<Option<Entry<R>>>,
    slots: HashMap<R, usize>,
    free: Vec<usize>,
    trie: PathTrie,
    source_field: u32,
    detail_type_field: u32,
    by_source: HashMap<String, Vec<usize>>,
    by_detail_type: HashMap<String, Vec<usize>>,
    always: Vec<usize>,
}

impl<R: Clone + Eq + Hash> Default for RuleIndex<R> {
    fn default() -> Self {
        Self::new()
    }
}

/// The exact string values every branch requires at `path`, if every branch does.
fn exact_values(pattern: &EventPattern, path: &str) -> Option<Vec<String>> {
    let field = pattern.field_paths().iter().position(|p| p == path)? as u32;
    let mut values = Vec::new();
    for branch in pattern.branches() {
        let cond = branch.conds.iter().find(|c| c.field == field)?;
        if cond.list.exists_true || cond.list.exists_false || cond.list.matchers.is_empty() {
            return None;
        }
        for m in &cond.list.matchers {
            values.push(m.exact_string()?.to_owned());
        }
    }
    values.sort();
    values.dedup();
    Some(values)
}

impl<R: Clone + Eq + Hash> RuleIndex<R> {
    pub fn new() -> Self {
        let mut trie = PathTrie::default();
        let source_field = trie.insert("source");
        let detail_type_field = trie.insert("detail-type");
        RuleIndex {
            entries: Vec::new(),
            slots: HashMap::new(),
            free: Vec::new(),
            trie,
            source_field,
            detail_type_field,
            by_source: HashMap::new(),
            by_detail_type: HashMap::new(),
            always: Vec::new(),
        }
    }

    /// Number of rules in the index.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Adds a rule, replacing any rule with the same id.
    pub fn insert(&mut self, id: R, pattern: EventPattern) {
        self.remove(&id);
        let remap = pattern
            .field_paths()
            .iter()
            .map(|p| self.trie.insert(p))
            .collect();
        let key = if let Some(v) = exact_values(&pattern, "source") {
            IndexKey::Source(v)
        } else if let Some(v) = exact_values(&pattern, "detail-type") {
            IndexKey::DetailType(v)
        } else {
            IndexKey::Always
        };
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.entries.push(None);
                self.entries.len() - 1
            }
        };
        match &key {
            IndexKey::Source(vs) => {
                for v in vs {
                    self.by_source.entry(v.clone()).or_default().push(slot);
                }
            }
            IndexKey::DetailType(vs) => {
                for v in vs {
                    self.by_detail_type.entry(v.clone()).or_default().push(slot);
                }
            }
            IndexKey::Always => self.always.push(slot),
        }
        self.slots.insert(id.clone(), slot);
        if let Some(e) = self.entries.get_mut(slot) {
            *e = Some(Entry {
                id,
                pattern,
                remap,
                key,
            });
        }
    }

    /// Removes a rule; returns its pattern if it was present.
    pub fn remove(&mut self, id: &R) -> Option<EventPattern> {
        let slot = self.slots.remove(id)?;
        let entry = self.entries.get_mut(slot)?.take()?;
        let drop_from = |map: &mut HashMap<String, Vec<usize>>, vs: &[String]| {
            for v in vs {
                if let Some(list) = map.get_mut(v) {
                    list.retain(|s| *s != slot);
                    if list.is_empty() {
                        map.remove(v);
                    }
                }
            }
        };
        match &entry.key {
            IndexKey::Source(vs) => drop_from(&mut self.by_source, vs),
            IndexKey::DetailType(vs) => drop_from(&mut self.by_detail_type, vs),
            IndexKey::Always => self.always.retain(|s| *s != slot),
        }
        self.free.push(slot);
        Some(entry.pattern)
    }

    /// The compiled pattern of a rule.
    pub fn get(&self, id: &R) -> Option<&EventPattern> {
        let slot = *self.slots.get(id)?;
        self.entries.get(slot)?.as_ref().map(|e| &e.pattern)
    }

    /// The ids of the rules whose pattern matches `event`, in insertion-slot order.
    pub fn matching_rules<'s>(&'s self, event: &Value) -> impl Iterator<Item = &'s R> + 's {
        let flat = FlatEvent::build(event, &self.trie);
        let mut candidates: Vec<usize> = self.always.clone();
        let mut lookups = 0;
        for (field, map) in [
            (self.source_field, &self.by_source),
            (self.detail_type_field, &self.by_detail_type),
        ] {
            for leaf in flat.leaves(field) {
                if let Leaf::Str(s) = leaf.value
                    && let Some(slots) = map.get(s)
                {
                    candidates.extend_from_slice(slots);
                    lookups += 1;
                }
            }
        }
        if lookups > 1 || (lookups == 1 && !self.always.is_empty()) {
            candidates.sort_unstable();
            candidates.dedup();
        }
        let matched: Vec<&'s R> = candidates
            .into_iter()
            .filter_map(|slot| self.entries.get(slot)?.as_ref())
            .filter(|e| e.pattern.matches_flat(&flat, Some(&e.remap)))
            .map(|e| &e.id)
            .collect();
        matched.into_iter()
    }
}
