//! The probe [`crate::test_state`] puts on an execution: it records what the one state under test
//! does with its data (TestState's `inspectionData`) and ends the run where that state ends (its
//! transition, a retry it would make, or its failure), instead of going on to the next state.
//! An execution without a probe never reaches any of this.

use serde::Serialize;
use serde_json::{Map, Value};

use super::*;

/// TestState's `inspectionData`: the state's data at each step of its processing (API reference,
/// `InspectionData`). Members stay `None` where the state has no such step.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspection {
    /// The raw state input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    /// After `InputPath` (JSONPath states).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_input_path: Option<Value>,
    /// After `Parameters` (JSONPath Task, Pass, Parallel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_parameters: Option<Value>,
    /// After `Arguments` (JSONata Task, Parallel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_arguments: Option<Value>,
    /// The state's raw result (task result, Pass result, Map / Parallel results).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// After `ResultSelector` (JSONPath).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_result_selector: Option<Value>,
    /// After `ResultPath` (JSONPath).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_result_path: Option<Value>,
    /// After `ItemsPath` (JSONPath Map).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_items_path: Option<Value>,
    /// The inputs of the Map's iterations, after `ItemSelector`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_item_selector: Option<Value>,
    /// The Map's effective `MaxConcurrency`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u64>,
    /// The workflow variables after the state (the given ones plus the state's `Assign`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Value>,
    /// Which Retry or Catch handled the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_details: Option<InspectionErrorDetails>,
}

/// `InspectionErrorDetails`: the retrier or catcher that handled an error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InspectionErrorDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catch_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_backoff_interval_seconds: Option<u64>,
}

/// Where the state under test ended.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ProbeExit {
    /// It produced `output` and moves to `next` (`None`: it ends the workflow).
    Transition { output: Value, next: Option<String> },
    /// A retrier matched the error: the state would be run again.
    Retriable { error: StateError },
}

/// What a probed run knows in advance and what it has seen.
#[derive(Clone, Debug, Default)]
pub(crate) struct Probe {
    /// The mocked result of a Map or Parallel state: its branches or iterations are not run.
    pub(crate) children_mock: Option<Result<Value, StateError>>,
    /// Members of the context object (`$$`) that replace the generated ones.
    pub(crate) context: Option<Value>,
    /// Retries already made (TestState's `stateConfiguration.retrierRetryCount`).
    pub(crate) retrier_retry_count: u64,
    pub(crate) seen: Inspection,
    /// The error a catcher handled (CAUGHT_ERROR answers it).
    pub(crate) caught: Option<StateError>,
    pub(crate) exit: Option<ProbeExit>,
}

impl Execution {
    /// An execution that runs its start state only, recording it with `probe`.
    pub(crate) fn with_probe(mut self, probe: Probe) -> Execution {
        self.probe = Some(Box::new(probe));
        self
    }

    pub(crate) fn probe(&self) -> Option<&Probe> {
        self.probe.as_deref()
    }

    pub(crate) fn probe_mut(&mut self) -> Option<&mut Probe> {
        self.probe.as_deref_mut()
    }

    /// Records a step of the state's data flow when probed (`what` only runs then).
    pub(super) fn inspect(&mut self, what: impl FnOnce(&mut Inspection)) {
        if let Some(p) = self.probe.as_deref_mut() {
            what(&mut p.seen);
        }
    }

    /// Whether `frame` is the probed state's (the top level of a probed run).
    pub(super) fn probed(&self, frame: &Frame) -> bool {
        self.probe.is_some() && frame.parent.is_none()
    }

    /// The probed state left with `output` for `next`: record it and end the run there.
    pub(super) fn probe_exit(&mut self, frame: &Frame, output: Value, next: Option<usize>) -> Flow {
        let next_name = next.and_then(|n| {
            machine_at(&self.def, &frame.machine)
                .and_then(|m| m.states.get(n))
                .map(|s| s.name.clone())
        });
        let vars = Value::Object(frame.vars.clone());
        if let Some(p) = self.probe.as_deref_mut() {
            p.seen.variables = Some(vars);
            p.exit = Some(ProbeExit::Transition {
                output: output.clone(),
                next: next_name,
            });
        }
        Flow::Finished(Ok(output))
    }

    /// The mocked outcome of a probed Map / Parallel state, taken once.
    pub(super) fn take_children_mock(&mut self) -> Option<Result<Value, StateError>> {
        self.probe
            .as_deref_mut()
            .and_then(|p| p.children_mock.take())
    }

    /// `$$` as given to TestState: each given top-level member's fields replace the generated
    /// ones (a non-object member replaces the member).
    pub(super) fn probe_context(&self, ctx: &mut Value) {
        let Some(Value::Object(given)) = self.probe.as_deref().and_then(|p| p.context.as_ref())
        else {
            return;
        };
        let Value::Object(out) = ctx else { return };
        for (k, v) in given {
            match (out.get_mut(k), v) {
                (Some(Value::Object(have)), Value::Object(fields)) => {
                    for (fk, fv) in fields {
                        have.insert(fk.clone(), fv.clone());
                    }
                }
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// The variables a probed run starts with.
pub(crate) fn seed_variables(ex: &mut Execution, vars: Map<String, Value>) {
    if let Some(f) = ex.st.frames.values_mut().find(|f| f.parent.is_none()) {
        f.vars = vars;
    }
}
