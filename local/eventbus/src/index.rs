//! Many compiled patterns, matched against one event at a time.
//!
//! The event is flattened once (only at the paths some rule names), then only
//! candidate rules are evaluated. A rule is filed under the most selective key
//! that every one of its branches requires:
//! 1. exact (`source`, `detail-type`) pairs,
//! 2. else exact `source` values,
//! 3. else exact `detail-type` values,
//! 4. else it is evaluated for every event.
//!
//! With rules spread over sources and detail types, matching cost grows far
//! slower than the number of rules.

use std::collections::HashMap;
use std::hash::Hash;

use serde_json::Value;

use crate::pattern::EventPattern;
use crate::pattern::flat::{FlatEvent, PathTrie};
use crate::pattern::matcher::Leaf;

/// Most (source, detail-type) pairs one rule is filed under; past this the
/// rule is filed by source alone.
const MAX_PAIRS_PER_RULE: usize = 256;

struct Entry<R> {
    id: R,
    pattern: EventPattern,
    remap: Vec<u32>,
    key: IndexKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum IndexKey {
    Pairs(Vec<(String, String)>),
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
    by_pair: HashMap<String, HashMap<String, Vec<usize>>>,
    by_source: HashMap<String, Vec<usize>>,
    by_detail_type: HashMap<String, Vec<usize>>,
    always: Vec<usize>,
}

impl<R: Clone + Eq + Hash> Default for RuleIndex<R> {
    fn default() -> Self {
        Self::new()
    }
}

/// Per branch, the exact string values the branch requires at `path`; `None`
/// if some branch accepts anything else there.
fn exact_values_per_branch(pattern: &EventPattern, path: &str) -> Option<Vec<Vec<String>>> {
    let field = pattern.field_paths().iter().position(|p| p == path)? as u32;
    let mut per_branch = Vec::new();
    for branch in pattern.branches() {
        let cond = branch.conds.iter().find(|c| c.field == field)?;
        if cond.list.exists_true || cond.list.exists_false || cond.list.matchers.is_empty() {
            return None;
        }
        let mut values = Vec::with_capacity(cond.list.matchers.len());
        for m in &cond.list.matchers {
            values.push(m.exact_string()?.to_owned());
        }
        per_branch.push(values);
    }
    Some(per_branch)
}

fn union(per_branch: &[Vec<String>]) -> Vec<String> {
    let mut all: Vec<String> = per_branch.iter().flatten().cloned().collect();
    all.sort();
    all.dedup();
    all
}

fn index_key(pattern: &EventPattern) -> IndexKey {
    let sources = exact_values_per_branch(pattern, "source");
    let types = exact_values_per_branch(pattern, "detail-type");
    if let (Some(s), Some(t)) = (&sources, &types) {
        let mut pairs = Vec::new();
        for (bs, bt) in s.iter().zip(t) {
            for source in bs {
                for dt in bt {
                    pairs.push((source.clone(), dt.clone()));
                }
            }
        }
        pairs.sort();
        pairs.dedup();
        if pairs.len() <= MAX_PAIRS_PER_RULE {
            return IndexKey::Pairs(pairs);
        }
    }
    if let Some(s) = sources {
        return IndexKey::Source(union(&s));
    }
    if let Some(t) = types {
        return IndexKey::DetailType(union(&t));
    }
    IndexKey::Always
}

fn drop_slot<K: Hash + Eq>(map: &mut HashMap<K, Vec<usize>>, key: &K, slot: usize) {
    if let Some(list) = map.get_mut(key) {
        list.retain(|s| *s != slot);
        if list.is_empty() {
            map.remove(key);
        }
    }
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
            by_pair: HashMap::new(),
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
        let key = index_key(&pattern);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.entries.push(None);
                self.entries.len() - 1
            }
        };
        match &key {
            IndexKey::Pairs(pairs) => {
                for (source, dt) in pairs {
                    self.by_pair
                        .entry(source.clone())
                        .or_default()
                        .entry(dt.clone())
                        .or_default()
                        .push(slot);
                }
            }
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
        match &entry.key {
            IndexKey::Pairs(pairs) => {
                for (source, dt) in pairs {
                    if let Some(inner) = self.by_pair.get_mut(source) {
                        drop_slot(inner, dt, slot);
                        if inner.is_empty() {
                            self.by_pair.remove(source);
                        }
                    }
                }
            }
            IndexKey::Source(vs) => {
                for v in vs {
                    drop_slot(&mut self.by_source, v, slot);
                }
            }
            IndexKey::DetailType(vs) => {
                for v in vs {
                    drop_slot(&mut self.by_detail_type, v, slot);
                }
            }
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

    /// The ids of the rules whose pattern matches `event` (in no particular order).
    pub fn matching_rules<'s>(&'s self, event: &Value) -> impl Iterator<Item = &'s R> + 's {
        let flat = FlatEvent::build(event, &self.trie);
        let mut candidates: Vec<usize> = self.always.clone();
        let strings = |field: u32| -> Vec<&str> {
            flat.leaves(field)
                .iter()
                .filter_map(|l| match l.value {
                    Leaf::Str(s) => Some(s),
                    _ => None,
                })
                .collect()
        };
        let sources = strings(self.source_field);
        let types = strings(self.detail_type_field);
        for s in &sources {
            if let Some(slots) = self.by_source.get(*s) {
                candidates.extend_from_slice(slots);
            }
        }
        for t in &types {
            if let Some(slots) = self.by_detail_type.get(*t) {
                candidates.extend_from_slice(slots);
            }
        }
        for s in &sources {
            if let Some(inner) = self.by_pair.get(*s) {
                for t in &types {
                    if let Some(slots) = inner.get(*t) {
                        candidates.extend_from_slice(slots);
                    }
                }
            }
        }
        // A rule appears under several keys only when the event carries
        // several sources or detail types (arrays): drop the repeats.
        if sources.len() > 1 || types.len() > 1 {
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
