//! Event flattening: the leaf values of an event at the field paths some
//! pattern names, with the array elements each leaf sits in.
//!
//! EventBridge joins field names with `.`, so a pattern field `a.b` and the
//! nested pattern `{"a": {"b": ...}}` name the same path, and both match an
//! event key `"a.b"` as well as nested keys `a` → `b`. Arrays in the event are
//! "crushed out": their elements are values of the enclosing field.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::Value;

use super::matcher::Leaf;

/// FNV-1a: field names are short, and this lookup runs for every key of
/// every event, where SipHash's DoS resistance buys nothing (the keys of the
/// map come from rule patterns, not from events).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

#[derive(Debug, Default, Clone)]
struct TrieNode {
    children: FnvMap<Box<str>, u32>,
    field: Option<u32>,
}

/// The set of field paths (split on `.`) that patterns look at.
#[derive(Debug, Clone)]
pub(crate) struct PathTrie {
    nodes: Vec<TrieNode>,
    fields: u32,
}

impl Default for PathTrie {
    fn default() -> Self {
        PathTrie {
            nodes: vec![TrieNode::default()],
            fields: 0,
        }
    }
}

impl PathTrie {
    /// Returns the field id of `path`, adding it when new.
    pub(crate) fn insert(&mut self, path: &str) -> u32 {
        let mut node = 0usize;
        for seg in path.split('.') {
            let next = self.nodes[node].children.get(seg).copied();
            node = match next {
                Some(n) => n as usize,
                None => {
                    let id = self.nodes.len();
                    self.nodes.push(TrieNode::default());
                    self.nodes[node].children.insert(seg.into(), id as u32);
                    id
                }
            };
        }
        match self.nodes[node].field {
            Some(f) => f,
            None => {
                let f = self.fields;
                self.fields += 1;
                self.nodes[node].field = Some(f);
                f
            }
        }
    }

    pub(crate) fn field_count(&self) -> usize {
        self.fields as usize
    }

    fn child(&self, node: u32, key: &str) -> Option<u32> {
        let mut n = node;
        for seg in key.split('.') {
            n = *self.nodes.get(n as usize)?.children.get(seg)?;
        }
        Some(n)
    }
}

/// One leaf value of the event and the array elements it is nested in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlatLeaf<'e> {
    pub value: Leaf<'e>,
    field: u32,
    members: (u32, u32),
}

/// The flattened event: leaves grouped by field id of the trie it was built with.
#[derive(Debug)]
pub(crate) struct FlatEvent<'e> {
    /// Leaves sorted by field (stable, so event order within a field).
    leaves: Vec<FlatLeaf<'e>>,
    /// Per field id: (start, len) into `leaves`.
    index: Vec<(u32, u32)>,
    /// (array id, element index) pairs, referenced by leaves.
    members: Vec<(u32, u32)>,
}

impl<'e> FlatEvent<'e> {
    pub(crate) fn build(event: &'e Value, trie: &PathTrie) -> FlatEvent<'e> {
        let mut flat = FlatEvent {
            leaves: Vec::with_capacity(16),
            index: vec![(0, 0); trie.field_count()],
            members: Vec::new(),
        };
        // EventBridge matches only JSON objects; anything else has no fields.
        if event.is_object() {
            let mut stack = Vec::new();
            let mut next_array = 0u32;
            flat.walk(event, 0, trie, &mut stack, &mut next_array);
        }
        flat.leaves.sort_by_key(|l| l.field);
        let mut i = 0;
        while i < flat.leaves.len() {
            let field = flat.leaves[i].field;
            let start = i;
            while i < flat.leaves.len() && flat.leaves[i].field == field {
                i += 1;
            }
            if let Some(slot) = flat.index.get_mut(field as usize) {
                *slot = (start as u32, (i - start) as u32);
            }
        }
        flat
    }

    fn walk(
        &mut self,
        value: &'e Value,
        node: u32,
        trie: &PathTrie,
        stack: &mut Vec<(u32, u32)>,
        next_array: &mut u32,
    ) {
        match value {
            Value::Object(map) => {
                if trie.nodes[node as usize].children.is_empty() {
                    return;
                }
                for (k, v) in map {
                    if let Some(child) = trie.child(node, k) {
                        self.walk(v, child, trie, stack, next_array);
                    }
                }
            }
            Value::Array(items) => {
                let id = *next_array;
                *next_array += 1;
                for (i, item) in items.iter().enumerate() {
                    stack.push((id, i as u32));
                    self.walk(item, node, trie, stack, next_array);
                    stack.pop();
                }
            }
            leaf => {
                let Some(field) = trie.nodes[node as usize].field else {
                    return;
                };
                let value = match leaf {
                    Value::String(s) => Leaf::Str(s),
                    Value::Number(n) => Leaf::Num(n),
                    Value::Bool(b) => Leaf::Bool(*b),
                    _ => Leaf::Null,
                };
                let start = self.members.len() as u32;
                self.members.extend_from_slice(stack);
                self.leaves.push(FlatLeaf {
                    value,
                    field,
                    members: (start, stack.len() as u32),
                });
            }
        }
    }

    pub(crate) fn leaves(&self, field: u32) -> &[FlatLeaf<'e>] {
        match self.index.get(field as usize) {
            Some(&(start, len)) => self
                .leaves
                .get(start as usize..(start + len) as usize)
                .unwrap_or(&[]),
            None => &[],
        }
    }

    pub(crate) fn members(&self, leaf: &FlatLeaf<'e>) -> &[(u32, u32)] {
        let (s, n) = leaf.members;
        self.members
            .get(s as usize..(s + n) as usize)
            .unwrap_or(&[])
    }
}
