//! Event patterns: parse once, match many events.
//!
//! ```
//! use eventbus::EventPattern;
//! let p = EventPattern::parse(r#"{"source": ["com.aws.accounts"], "detail": {"amount": [{"numeric": [">", 100]}]}}"#).unwrap();
//! let event = serde_json::json!({"source": "com.aws.accounts", "detail": {"amount": 250}});
//! assert!(p.matches(&event));
//! ```

mod compile;
mod consistency;
pub use consistency::worst_case as array_consistency_worst_case;
pub(crate) mod flat;
mod lexer;
pub(crate) mod matcher;

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

pub use compile::{MAX_BRANCHES, MAX_WILDCARD_COMPLEXITY, TOO_COMPLEX_WILDCARDS};
pub use lexer::Location;

use compile::FieldList;
use flat::{FlatEvent, FlatLeaf, PathTrie};
use lexer::describe_location;
use matcher::Leaf;

/// The error code EventBridge returns for a bad pattern (PutRule, TestEventPattern).
pub const INVALID_EVENT_PATTERN: &str = "InvalidEventPatternException";

/// An invalid event pattern. `Display` renders AWS's message:
/// `Event pattern is not valid. Reason: <reason>[\n at [Source: ...; line: L, column: C]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    detail: String,
    location: Option<Location>,
    full_reason: String,
}

impl PatternError {
    pub(crate) fn located(detail: String, location: Location, src: &str) -> PatternError {
        let full_reason = format!("{detail}\n at {}", describe_location(src, location));
        PatternError {
            detail,
            location: Some(location),
            full_reason,
        }
    }

    pub(crate) fn plain(detail: String) -> PatternError {
        PatternError {
            full_reason: detail.clone(),
            detail,
            location: None,
        }
    }

    /// The reason without the location suffix, e.g. `Empty arrays are not allowed`.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Where the parser was when it gave up, when EventBridge reports a location.
    pub fn location(&self) -> Option<Location> {
        self.location
    }

    /// Everything after `Reason: ` in AWS's message (detail plus location).
    pub fn full_reason(&self) -> String {
        self.full_reason.clone()
    }

    /// The AWS error code: `InvalidEventPatternException`.
    pub fn error_code(&self) -> &'static str {
        INVALID_EVENT_PATTERN
    }

    /// AWS's message, the same as `to_string()`.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Event pattern is not valid. Reason: {}",
            self.full_reason
        )
    }
}

impl std::error::Error for PatternError {}

#[derive(Debug, Clone)]
pub(crate) struct Cond {
    pub field: u32,
    pub list: Arc<FieldList>,
}

#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub conds: Vec<Cond>,
}

/// A compiled event pattern.
#[derive(Debug, Clone)]
pub struct EventPattern {
    text: String,
    branches: Vec<Branch>,
    paths: Vec<String>,
    trie: PathTrie,
}

impl EventPattern {
    /// Parses and validates a pattern as PutRule / TestEventPattern do.
    pub fn parse(text: &str) -> Result<EventPattern, PatternError> {
        let compiled = compile::compile(text)?;
        let lists: Vec<Arc<FieldList>> = compiled.lists.into_iter().map(Arc::new).collect();
        let mut trie = PathTrie::default();
        let mut paths: Vec<String> = Vec::new();
        let mut branches = Vec::with_capacity(compiled.branches.len());
        for spec in compiled.branches {
            let mut conds = Vec::with_capacity(spec.len());
            for (path, idx) in spec {
                let field = trie.insert(&path);
                if field as usize == paths.len() {
                    paths.push(path);
                }
                if let Some(list) = lists.get(idx) {
                    conds.push(Cond {
                        field,
                        list: Arc::clone(list),
                    });
                }
            }
            branches.push(Branch { conds });
        }
        Ok(EventPattern {
            text: text.to_owned(),
            branches,
            paths,
            trie,
        })
    }

    /// The pattern text as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The dotted field paths the pattern looks at.
    pub fn field_paths(&self) -> &[String] {
        &self.paths
    }

    /// Number of `$or` branches after expansion (1 without `$or`).
    pub fn branch_count(&self) -> usize {
        self.branches.len()
    }

    pub(crate) fn branches(&self) -> &[Branch] {
        &self.branches
    }

    /// Whether the event (a JSON object) matches.
    pub fn matches(&self, event: &Value) -> bool {
        let flat = FlatEvent::build(event, &self.trie);
        self.matches_flat(&flat, None)
    }

    /// Matches a pre-flattened event; `remap` translates this pattern's field
    /// ids to the ids of the trie the event was flattened with.
    pub(crate) fn matches_flat(&self, flat: &FlatEvent<'_>, remap: Option<&[u32]>) -> bool {
        self.branches.iter().any(|b| branch_matches(b, flat, remap))
    }
}

fn accepts(list: &FieldList, leaf: Leaf<'_>) -> bool {
    list.exists_true || list.matchers.iter().any(|m| m.matches(leaf))
}

fn field_of(cond: &Cond, remap: Option<&[u32]>) -> u32 {
    match remap {
        Some(r) => r.get(cond.field as usize).copied().unwrap_or(u32::MAX),
        None => cond.field,
    }
}

fn branch_matches(branch: &Branch, flat: &FlatEvent<'_>, remap: Option<&[u32]>) -> bool {
    // Fast pass: every field must have an acceptable leaf (or be absent with
    // `exists: false`). A leaf outside any array never conflicts with another,
    // so only fields whose acceptable leaves all sit inside arrays need the
    // array-consistency search below.
    let mut constrained = 0usize;
    for cond in &branch.conds {
        let leaves = flat.leaves(field_of(cond, remap));
        if leaves.is_empty() {
            if cond.list.exists_false {
                continue;
            }
            return false;
        }
        let mut any = false;
        let mut free = false;
        for leaf in leaves {
            if accepts(&cond.list, leaf.value) {
                any = true;
                if flat.members(leaf).is_empty() {
                    free = true;
                    break;
                }
            }
        }
        if !any {
            return false;
        }
        if !free {
            constrained += 1;
        }
    }
    if constrained <= 1 {
        return true;
    }
    // Slow path: pick one leaf per constrained field so that no two come from
    // different elements of the same array.
    let mut candidates: Vec<Vec<&FlatLeaf<'_>>> = Vec::new();
    for cond in &branch.conds {
        let leaves = flat.leaves(field_of(cond, remap));
        if leaves.is_empty() {
            continue;
        }
        let acc: Vec<&FlatLeaf<'_>> = leaves
            .iter()
            .filter(|l| accepts(&cond.list, l.value))
            .collect();
        if acc.iter().any(|l| flat.members(l).is_empty()) {
            continue;
        }
        candidates.push(acc);
    }
    consistency::consistent_choice(&candidates, flat)
}

/// Fields TestEventPattern requires in the event. The API reference lists `resources` too, but
/// the service matches events without it (recorded against EventBridge); `detail` may be absent.
pub const TEST_EVENT_REQUIRED_FIELDS: [&str; 6] =
    ["id", "account", "source", "time", "region", "detail-type"];

/// Longest `EventPattern` PutRule and TestEventPattern accept.
pub const MAX_EVENT_PATTERN_LENGTH: usize = 4096;

/// A TestEventPattern failure: the AWS error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestEventPatternError {
    pub code: String,
    pub message: String,
}

impl fmt::Display for TestEventPatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for TestEventPatternError {}

/// TestEventPattern: validates the pattern, then the event (JSON object with
/// the mandatory fields), and reports whether the event matches.
pub fn test_event_pattern(pattern: &str, event: &str) -> Result<bool, TestEventPatternError> {
    if pattern.chars().count() > MAX_EVENT_PATTERN_LENGTH {
        return Err(TestEventPatternError {
            code: "ValidationException".into(),
            message: format!(
                "1 validation error detected: Value '{pattern}' at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to {MAX_EVENT_PATTERN_LENGTH}"
            ),
        });
    }
    let compiled = EventPattern::parse(pattern).map_err(|e| TestEventPatternError {
        code: e.error_code().into(),
        message: e.to_string(),
    })?;
    let invalid_event = || TestEventPatternError {
        code: "ValidationException".into(),
        message: "Parameter Event is not valid.".into(),
    };
    let value: Value = serde_json::from_str(event).map_err(|_| invalid_event())?;
    let object = value.as_object().ok_or_else(invalid_event)?;
    if TEST_EVENT_REQUIRED_FIELDS
        .iter()
        .any(|f| !object.contains_key(*f))
    {
        return Err(invalid_event());
    }
    Ok(compiled.matches(&value))
}
