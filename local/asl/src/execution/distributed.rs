//! Distributed Map: a Map Run whose iterations are child workflow executions.
//!
//! From the developer guide ("Using Map state in Distributed mode", "ItemBatcher (Map)",
//! "Tolerated failure threshold for Distributed Map state"):
//! - the items (after `ItemSelector`) may be grouped by `ItemBatcher` into batches; a child then
//!   gets `{"Items": [...]}`, with `"BatchInput"` beside them when the batcher has one;
//! - a child that fails or times out does not stop the others; the Map Run fails with
//!   `States.ExceedToleratedFailureThreshold` once the failed items exceed
//!   `ToleratedFailureCount` or `ToleratedFailurePercentage` (both default to zero: any failure);
//! - the parent's history records the run (`MapRunStarted`, `MapRunSucceeded` / `MapRunFailed` /
//!   `MapRunAborted`), not the children's events, which belong to their own executions.
//!
//! Here the children run inside the execution, as frames whose events are not recorded
//! ([`Frame::quiet`]), at most [`INLINE_MAP_CONCURRENCY`] at once. Not documented, and the
//! engine's choice: a failed child's place in the Map's output holds its error output
//! (`{"Error", "Cause"}`); the Map Run ARN is `...:mapRun:<state machine>/<Label or state
//! name>:<id>`; a single item larger than `MaxInputBytesPerBatch` is a batch of its own.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::*;
use crate::definition::{BatchInput, DistributedMap, MAX_BATCH_BYTES, Number};

/// `States.ExceedToleratedFailureThreshold` (developer guide, tolerated failure threshold).
pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";

/// A running Map Run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct MapRun {
    pub(super) arn: String,
    /// Items in each child execution, by child index.
    pub(super) items: Vec<u64>,
    pub(super) total_items: u64,
    pub(super) failed_items: u64,
    pub(super) failed_children: u64,
    pub(super) tolerated_count: Option<u64>,
    pub(super) tolerated_percentage: Option<f64>,
    #[serde(default)]
    pub(super) succeeded_children: u64,
    #[serde(default)]
    pub(super) succeeded_items: u64,
    #[serde(default)]
    pub(super) started_children: u64,
    #[serde(default)]
    pub(super) started_ms: i64,
}

/// What DescribeMapRun tells of a Map Run (`itemCounts` / `executionCounts` members).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunCounts {
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub aborted: u64,
    pub total: u64,
    pub results_written: u64,
    pub failures_not_redrivable: u64,
    pub pending_redrive: u64,
}

/// A Map Run of this execution, as DescribeMapRun / ListMapRuns show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapRunInfo {
    pub map_run_arn: String,
    /// The Distributed Map state that started it.
    pub state_name: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED` or `ABORTED`.
    pub status: String,
    pub start_ms: i64,
    pub stop_ms: Option<i64>,
    pub max_concurrency: u64,
    pub tolerated_failure_count: u64,
    pub tolerated_failure_percentage: f64,
    pub item_counts: MapRunCounts,
    pub execution_counts: MapRunCounts,
}

/// Why UpdateMapRun cannot change a Map Run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapRunUpdateError {
    #[error("Map Run {0} does not exist")]
    NotFound(String),
    #[error("Map Run {0} is not running")]
    NotRunning(String),
}

/// Map Runs kept per execution (the oldest go first beyond this).
const MAX_MAP_RUNS: usize = 1000;

impl MapRun {
    /// True when the failed items exceed a threshold (with neither given, any failure does).
    fn exceeded(&self) -> bool {
        if self.failed_items == 0 {
            return false;
        }
        if self.tolerated_count.is_none() && self.tolerated_percentage.is_none() {
            return true;
        }
        let over_count = self.tolerated_count.is_some_and(|c| self.failed_items > c);
        let percent = self.failed_items as f64 * 100.0 / self.total_items.max(1) as f64;
        let over_percentage = self.tolerated_percentage.is_some_and(|p| percent > p);
        over_count || over_percentage
    }
}

impl Execution {
    /// Starts the Map Run of a Distributed Map over the selected `items`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_map_run(
        &mut self,
        def: &Definition,
        fid: u64,
        frame: &mut Frame,
        state: &State,
        spec: &DistributedMap,
        items: VecDeque<(u64, Value)>,
        max_concurrency: usize,
        effective: &Value,
        now: DateTime<Utc>,
    ) -> Flow {
        let settings = (|| -> Result<_, StateError> {
            let count = match &spec.tolerated_failure_count {
                Some(n) => Some(self.map_number(
                    frame,
                    state,
                    n,
                    effective,
                    "ToleratedFailureCount",
                    0.0,
                    None,
                    true,
                )?),
                None => None,
            };
            let percentage = match &spec.tolerated_failure_percentage {
                Some(n) => Some(self.map_number(
                    frame,
                    state,
                    n,
                    effective,
                    "ToleratedFailurePercentage",
                    0.0,
                    Some(100.0),
                    false,
                )?),
                None => None,
            };
            let batches = match &spec.batcher {
                None => None,
                Some(b) => {
                    let max_items = match &b.max_items {
                        Some(n) => Some(self.map_number(
                            frame,
                            state,
                            n,
                            effective,
                            "MaxItemsPerBatch",
                            1.0,
                            None,
                            true,
                        )? as u64),
                        None => None,
                    };
                    let max_bytes = match &b.max_bytes {
                        Some(n) => Some(self.map_number(
                            frame,
                            state,
                            n,
                            effective,
                            "MaxInputBytesPerBatch",
                            1.0,
                            Some(MAX_BATCH_BYTES as f64),
                            true,
                        )? as u64),
                        None => None,
                    };
                    let batch_input = match &b.batch_input {
                        None => None,
                        Some(BatchInput::Template(t)) => {
                            Some(self.eval_template(frame, state, t, effective, None)?)
                        }
                        Some(BatchInput::Query(q)) => Some(self.eval_query(
                            frame,
                            state,
                            q,
                            "BatchInput",
                            effective,
                            None,
                            None,
                            None,
                        )?),
                    };
                    Some((max_items, max_bytes, batch_input))
                }
            };
            Ok((count.map(|c| c as u64), percentage, batches))
        })();
        let (tolerated_count, tolerated_percentage, batching) = match settings {
            Ok(s) => s,
            Err(e) => return self.handle_error(frame, state, e, now),
        };
        let total_items = items.len() as u64;
        let (inputs, sizes) = match batching {
            None => (items, vec![1; total_items as usize]),
            Some((max_items, max_bytes, batch_input)) => batch(
                items,
                max_items,
                max_bytes.unwrap_or(MAX_BATCH_BYTES),
                batch_input,
            ),
        };
        let arn = self.map_run_arn(state, spec);
        frame.last_event = self.emit(
            now,
            EventType::MapRunStarted,
            frame.last_event,
            Some(EventDetails::MapRunStarted(MapRunStartedDetails {
                map_run_arn: arn.clone(),
            })),
        );
        let n = inputs.len();
        if n == 0 {
            frame.last_event = self.emit(now, EventType::MapRunSucceeded, frame.last_event, None);
            return self.finish_with_result(frame, state, Value::Array(Vec::new()), now);
        }
        let max_concurrency = if max_concurrency == 0 {
            INLINE_MAP_CONCURRENCY
        } else {
            max_concurrency.min(INLINE_MAP_CONCURRENCY)
        };
        let mut inputs = inputs;
        let rest = inputs.split_off(max_concurrency.min(n));
        frame.phase = Phase::Children(Children {
            kind: ChildKind::Map,
            succeeded: BTreeSet::new(),
            map_run: Some(Box::new(MapRun {
                arn,
                items: sizes,
                total_items,
                failed_items: 0,
                failed_children: 0,
                tolerated_count,
                tolerated_percentage,
                succeeded_children: 0,
                succeeded_items: 0,
                started_children: 0,
                started_ms: now.timestamp_millis(),
            })),
            pending: rest,
            running: BTreeSet::new(),
            results: vec![Value::Null; n],
            done: 0,
            max_concurrency,
        });
        let placeholder = frame.clone();
        self.st.frames.insert(fid, placeholder);
        for (index, input) in inputs {
            self.start_iteration(def, fid, index, input, now);
        }
        if let Some(f) = self.st.frames.remove(&fid) {
            *frame = f;
        }
        self.record_map_run(&frame.phase, &state.name, "RUNNING", now);
        Flow::Blocked
    }

    /// Writes the Map Run of `phase` (a Distributed Map's children) into the execution's Map Run
    /// records with `status`.
    pub(super) fn record_map_run(
        &mut self,
        phase: &Phase,
        state_name: &str,
        status: &str,
        now: DateTime<Utc>,
    ) {
        let Phase::Children(ch) = phase else { return };
        let Some(run) = ch.map_run.as_deref() else {
            return;
        };
        let ended = status != "RUNNING";
        let children = ch.results.len() as u64;
        let running = run
            .started_children
            .saturating_sub(run.succeeded_children + run.failed_children);
        let aborted = if status == "RUNNING" || status == "SUCCEEDED" {
            0
        } else {
            children.saturating_sub(run.succeeded_children + run.failed_children)
        };
        let execution_counts = MapRunCounts {
            pending: if ended {
                0
            } else {
                children.saturating_sub(run.started_children)
            },
            running: if ended { 0 } else { running },
            succeeded: run.succeeded_children,
            failed: run.failed_children,
            aborted,
            total: children,
            results_written: run.succeeded_children,
            ..MapRunCounts::default()
        };
        let items_aborted = if aborted == 0 {
            0
        } else {
            run.total_items
                .saturating_sub(run.succeeded_items + run.failed_items)
        };
        let running_items: u64 = if ended {
            0
        } else {
            ch.running
                .iter()
                .filter_map(|c| self.st.frames.get(c))
                .filter_map(|f| f.parent.as_ref())
                .map(|p| run.items.get(p.slot).copied().unwrap_or(1))
                .sum()
        };
        let item_counts = MapRunCounts {
            pending: if ended {
                0
            } else {
                run.total_items
                    .saturating_sub(run.succeeded_items + run.failed_items + running_items)
            },
            running: running_items,
            succeeded: run.succeeded_items,
            failed: run.failed_items,
            aborted: items_aborted,
            total: run.total_items,
            results_written: run.succeeded_items,
            ..MapRunCounts::default()
        };
        let info = MapRunInfo {
            map_run_arn: run.arn.clone(),
            state_name: state_name.to_string(),
            status: status.to_string(),
            start_ms: run.started_ms,
            stop_ms: ended.then(|| now.timestamp_millis()),
            max_concurrency: ch.max_concurrency as u64,
            tolerated_failure_count: run.tolerated_count.unwrap_or(0),
            tolerated_failure_percentage: run.tolerated_percentage.unwrap_or(0.0),
            item_counts,
            execution_counts,
        };
        match self
            .st
            .map_runs
            .iter_mut()
            .find(|m| m.map_run_arn == info.map_run_arn)
        {
            Some(m) => *m = info,
            None => {
                if self.st.map_runs.len() >= MAX_MAP_RUNS {
                    self.st.map_runs.remove(0);
                }
                self.st.map_runs.push(info);
            }
        }
    }

    /// UpdateMapRun: a running Map Run's `MaxConcurrency` and tolerated failures change; more
    /// children start at once when the concurrency allows, and a lowered threshold the failures
    /// already exceed fails the run.
    pub fn update_map_run(
        &mut self,
        arn: &str,
        max_concurrency: Option<u64>,
        tolerated_count: Option<u64>,
        tolerated_percentage: Option<f64>,
        now: DateTime<Utc>,
    ) -> Result<(), MapRunUpdateError> {
        let found = self.st.frames.iter().find_map(|(id, f)| match &f.phase {
            Phase::Children(ch) if ch.map_run.as_ref().is_some_and(|r| r.arn == arn) => Some(*id),
            _ => None,
        });
        let Some(fid) = found else {
            return Err(if self.st.map_runs.iter().any(|m| m.map_run_arn == arn) {
                MapRunUpdateError::NotRunning(arn.to_string())
            } else {
                MapRunUpdateError::NotFound(arn.to_string())
            });
        };
        let def = Arc::clone(&self.def);
        let mut to_start = Vec::new();
        let mut exceeded = false;
        if let Some(Frame {
            phase: Phase::Children(ch),
            ..
        }) = self.st.frames.get_mut(&fid)
        {
            if let Some(m) = max_concurrency {
                let m = usize::try_from(m).unwrap_or(usize::MAX);
                ch.max_concurrency = if m == 0 {
                    INLINE_MAP_CONCURRENCY
                } else {
                    m.min(INLINE_MAP_CONCURRENCY)
                };
            }
            if let Some(run) = ch.map_run.as_deref_mut() {
                if tolerated_count.is_some() {
                    run.tolerated_count = tolerated_count;
                }
                if tolerated_percentage.is_some() {
                    run.tolerated_percentage = tolerated_percentage;
                }
                exceeded = run.exceeded();
            }
            while !exceeded && ch.running.len() + to_start.len() < ch.max_concurrency {
                match ch.pending.pop_front() {
                    Some(next) => to_start.push(next),
                    None => break,
                }
            }
        }
        for (index, input) in to_start {
            self.start_iteration(&def, fid, index, input, now);
        }
        let name = self.map_state_name(&def, fid);
        if exceeded {
            self.fail_map_run(&def, fid, &name, now);
        } else if let Some(phase) = self.st.frames.get(&fid).map(|f| f.phase.clone()) {
            self.record_map_run(&phase, &name, "RUNNING", now);
        }
        Ok(())
    }

    /// The Map Runs of this execution, oldest first.
    pub fn map_runs(&self) -> &[MapRunInfo] {
        &self.st.map_runs
    }

    fn map_state_name(&self, def: &Definition, fid: u64) -> String {
        self.st
            .frames
            .get(&fid)
            .and_then(|f| machine_at(def, &f.machine).and_then(|m| m.states.get(f.state)))
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }

    /// The failures exceed the threshold: the children still running are aborted and the Map
    /// state fails with `States.ExceedToleratedFailureThreshold`.
    fn fail_map_run(&mut self, def: &Definition, fid: u64, name: &str, now: DateTime<Utc>) {
        let running: Vec<u64> = match self.st.frames.get(&fid).map(|f| &f.phase) {
            Some(Phase::Children(ch)) => ch.running.iter().copied().collect(),
            _ => Vec::new(),
        };
        for c in running {
            self.abort_frame(def, c, now);
        }
        if let Some(phase) = self.st.frames.get(&fid).map(|f| f.phase.clone()) {
            self.record_map_run(&phase, name, "FAILED", now);
        }
        if let Some(f) = self.st.frames.get_mut(&fid) {
            f.phase = Phase::ChildrenFailed(StateError::new(
                EXCEED_TOLERATED_FAILURE_THRESHOLD,
                "The specified tolerated failure threshold was exceeded",
            ));
        }
        self.st.ready.push_back(fid);
    }

    /// A child execution of a Map Run ended: its output (or error output) takes its place; a
    /// failure past the threshold fails the run and aborts the children still running.
    pub(super) fn map_run_child_finished(
        &mut self,
        def: &Definition,
        child_fid: u64,
        link: ParentLink,
        result: Result<Value, StateError>,
        now: DateTime<Utc>,
    ) {
        let failed = result.is_err();
        let mut to_start = None;
        let mut all_done = false;
        let mut exceeded = false;
        if let Some(Frame {
            phase: Phase::Children(ch),
            ..
        }) = self.st.frames.get_mut(&link.frame)
        {
            let value = match result {
                Ok(v) => v,
                Err(e) => e.to_output(),
            };
            if let Some(slot) = ch.results.get_mut(link.slot) {
                *slot = value;
            }
            ch.done += 1;
            ch.running.remove(&child_fid);
            if let Some(run) = ch.map_run.as_deref_mut() {
                let items = run.items.get(link.slot).copied().unwrap_or(1);
                if failed {
                    run.failed_children += 1;
                    run.failed_items += items;
                    exceeded = run.exceeded();
                } else {
                    run.succeeded_children += 1;
                    run.succeeded_items += items;
                }
            }
            if !exceeded && (ch.max_concurrency == 0 || ch.running.len() < ch.max_concurrency) {
                to_start = ch.pending.pop_front();
            }
            all_done = ch.done == ch.results.len();
        }
        let name = self.map_state_name(def, link.frame);
        if exceeded {
            self.fail_map_run(def, link.frame, &name, now);
            return;
        }
        if let Some((index, input)) = to_start {
            self.start_iteration(def, link.frame, index, input, now);
        }
        if let Some(phase) = self.st.frames.get(&link.frame).map(|f| f.phase.clone()) {
            let status = if all_done { "SUCCEEDED" } else { "RUNNING" };
            self.record_map_run(&phase, &name, status, now);
        }
        if all_done {
            self.st.ready.push_back(link.frame);
        }
    }

    /// A number of the Map Run's settings: literal, by reference path or by JSONata.
    #[allow(clippy::too_many_arguments)]
    fn map_number(
        &mut self,
        frame: &Frame,
        state: &State,
        n: &Number,
        effective: &Value,
        field: &str,
        min: f64,
        max: Option<f64>,
        integer: bool,
    ) -> Result<f64, StateError> {
        let (v, source) = match n {
            Number::Fixed(x) => return Ok(*x),
            Number::Path(p) => match self.resolve_path(frame, state, p, effective) {
                Ok(v) => (v, format!("{field}Path {}", p.text())),
                Err(e) => return Err(path_error(&state.name, frame.entered_event, p, e)),
            },
            Number::Query(q) => (
                self.eval_query(frame, state, q, field, effective, None, None, None)?,
                field.to_string(),
            ),
        };
        match v
            .as_f64()
            .filter(|x| *x >= min && max.is_none_or(|m| *x <= m) && (!integer || x.fract() == 0.0))
        {
            Some(x) => Ok(x),
            None => {
                let expected = match (integer, max) {
                    (true, Some(m)) => format!("an integer between {min} and {m}"),
                    (true, None) => format!("an integer greater than or equal to {min}"),
                    (false, Some(m)) => format!("a number between {min} and {m}"),
                    (false, None) => format!("a number greater than or equal to {min}"),
                };
                let detail = format!(
                    "The {source} field refers to value {} which is not {expected}",
                    json_text(&v)
                );
                Err(match n {
                    Number::Query(_) => self.unexpected_type(state, frame, field, &expected, &v),
                    _ => runtime(state, frame, &detail),
                })
            }
        }
    }

    /// `arn:<partition>:states:<region>:<account>:mapRun:<state machine>/<label>:<id>`.
    fn map_run_arn(&mut self, state: &State, spec: &DistributedMap) -> String {
        let sm = self.st.context.state_machine_arn.clone();
        let parts: Vec<&str> = sm.splitn(7, ':').collect();
        let (prefix, name) = match parts.as_slice() {
            [a, p, s, r, acct, _, name] => (format!("{a}:{p}:{s}:{r}:{acct}"), *name),
            _ => (
                "arn:aws:states:us-east-1:000000000000".to_string(),
                "stateMachine",
            ),
        };
        // A version or alias ARN (`name:1`) names the state machine before the colon.
        let name = name.split(':').next().unwrap_or(name);
        let label = spec.label.clone().unwrap_or_else(|| state.name.clone());
        let (a, b) = (self.next_random(), self.next_random());
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | (b >> 48 & 0x3fff),
            b & 0xffff_ffff_ffff
        );
        format!("{prefix}:mapRun:{name}/{label}:{id}")
    }
}

/// Groups `items` into child inputs: at most `max_items` items and `max_bytes` bytes of input
/// each; gives the inputs and the number of items in each.
fn batch(
    items: VecDeque<(u64, Value)>,
    max_items: Option<u64>,
    max_bytes: u64,
    batch_input: Option<Value>,
) -> (VecDeque<(u64, Value)>, Vec<u64>) {
    let base = {
        let mut m = Map::new();
        if let Some(b) = &batch_input {
            m.insert("BatchInput".into(), b.clone());
        }
        m.insert("Items".into(), Value::Array(Vec::new()));
        payload_size(&Value::Object(m)) as u64
    };
    let make = |batch: Vec<Value>| {
        let mut m = Map::new();
        if let Some(b) = &batch_input {
            m.insert("BatchInput".into(), b.clone());
        }
        m.insert("Items".into(), Value::Array(batch));
        Value::Object(m)
    };
    let mut out = VecDeque::new();
    let mut sizes = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let mut bytes = base;
    for (_, item) in items {
        // An item and the comma before it.
        let size = payload_size(&item) as u64 + u64::from(!current.is_empty());
        let full = max_items.is_some_and(|m| current.len() as u64 >= m);
        if !current.is_empty() && (full || bytes + size > max_bytes) {
            sizes.push(current.len() as u64);
            out.push_back((out.len() as u64, make(std::mem::take(&mut current))));
            bytes = base;
        }
        bytes += payload_size(&item) as u64 + u64::from(!current.is_empty());
        current.push(item);
    }
    if !current.is_empty() {
        sizes.push(current.len() as u64);
        out.push_back((out.len() as u64, make(current)));
    }
    (out, sizes)
}
