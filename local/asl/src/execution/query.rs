//! JSONata states: evaluating their [`Query`] fields with `$states` and the workflow variables,
//! and leaving such a state (`Assign`, then `Output` or the default output).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::*;
use crate::definition::JsonataRule;
use crate::jsonata::{Query, QueryError, Scope, type_name};

impl Execution {
    /// Evaluates a query of `state` with `$states.input` = `input`; `extra` is added to the
    /// context object (`Task.Token`, `Map.Item`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn eval_query(
        &mut self,
        frame: &Frame,
        state: &State,
        query: &Query,
        field: &str,
        input: &Value,
        result: Option<&Value>,
        error_output: Option<&Value>,
        extra: Option<(&str, Value)>,
    ) -> Result<Value, StateError> {
        if let Some(v) = query.literal() {
            return Ok(v.clone());
        }
        let context = || self.context_object(frame, state, extra.clone(), true);
        let rng = Cell::new(self.st.rng);
        let vars = ScopeChain {
            own: &frame.vars,
            parent: frame.parent.as_ref().map(|p| p.frame),
            frames: &self.st.frames,
        };
        let scope = Scope {
            input,
            result,
            error_output,
            context: &context,
            variables: &vars,
            now_millis: frame.entered_time.timestamp_millis(),
            rng: &rng,
        };
        let r = query.eval(&scope);
        let next = rng.get();
        self.st.rng = next;
        r.map_err(|e| match e {
            QueryError::Evaluation(msg) => self.evaluation_failed(
                state,
                field,
                StateError::new(
                    errors::QUERY_EVALUATION_ERROR,
                    runtime_cause(&state.name, frame.entered_event, &msg),
                ),
            ),
            QueryError::TooDeep => depth_limit(&state.name),
        })
    }

    /// Notes `err` of the JSONata field `field` for the `EvaluationFailed` event (recorded before
    /// whatever the failure leads to) and hands it back.
    pub(super) fn evaluation_failed(
        &mut self,
        state: &State,
        field: &str,
        err: StateError,
    ) -> StateError {
        self.evaluation_failed = Some(EvaluationFailedDetails {
            state: state.name.clone(),
            error: Some(err.error.clone()),
            cause: Some(err.cause.clone()),
            location: Some(field.to_owned()),
        });
        err
    }

    /// A number field (`TimeoutSeconds`, `Seconds`, `MaxConcurrency`): an integer `>= min`.
    pub(super) fn query_uint(
        &mut self,
        frame: &Frame,
        state: &State,
        query: &Query,
        field: &str,
        min: u64,
    ) -> Result<u64, StateError> {
        let v = self.eval_query(frame, state, query, field, &frame.input, None, None, None)?;
        match v.as_u64().filter(|n| *n >= min) {
            Some(n) => Ok(n),
            None => Err(self.unexpected_type(
                state,
                frame,
                field,
                if min > 0 {
                    "a positive integer"
                } else {
                    "a non-negative integer"
                },
                &v,
            )),
        }
    }

    /// A string field (Fail `Error` / `Cause`, Wait `Timestamp`).
    pub(super) fn query_string(
        &mut self,
        frame: &Frame,
        state: &State,
        query: &Query,
        field: &str,
    ) -> Result<String, StateError> {
        match self.eval_query(frame, state, query, field, &frame.input, None, None, None)? {
            Value::String(s) => Ok(s),
            other => Err(self.unexpected_type(state, frame, field, "a string", &other)),
        }
    }

    /// Leaves a JSONata state: `Assign` (the state's and the matched Choice rule's, evaluated
    /// against the variables from before the state), then `Output` (the rule's, else the
    /// state's), else the result (Task, Parallel, Map), else the input.
    pub(super) fn finish_jsonata(
        &mut self,
        frame: &mut Frame,
        state: &State,
        result: Option<Value>,
        choice: Option<(usize, Option<&JsonataRule>)>,
        now: DateTime<Utc>,
    ) -> Flow {
        let catchable = matches!(
            state.kind,
            StateKind::Task(_)
                | StateKind::Parallel { .. }
                | StateKind::Map(_)
                | StateKind::Pass { .. }
        );
        let Some(spec) = state.jsonata.as_deref() else {
            return Flow::Finished(Err(StateError::new(errors::RUNTIME, "Not a JSONata state")));
        };
        let rule = choice.and_then(|(_, r)| r);
        let mut assigned: Option<Map<String, Value>> = None;
        for q in [spec.assign.as_ref(), rule.and_then(|r| r.assign.as_ref())]
            .into_iter()
            .flatten()
        {
            let input = std::mem::take(&mut frame.input);
            let r = self.eval_query(
                frame,
                state,
                q,
                "Assign",
                &input,
                result.as_ref(),
                None,
                None,
            );
            frame.input = input;
            match r {
                Ok(Value::Object(m)) => match &mut assigned {
                    Some(all) => all.extend(m),
                    None => assigned = Some(m),
                },
                Ok(_) => {}
                Err(e) => return self.fail_jsonata(frame, state, e, catchable, now),
            }
        }
        let output_query = rule
            .and_then(|r| r.output.as_ref())
            .or(spec.output.as_ref());
        let output = match output_query {
            Some(q) => {
                let input = std::mem::take(&mut frame.input);
                let r = self.eval_query(
                    frame,
                    state,
                    q,
                    "Output",
                    &input,
                    result.as_ref(),
                    None,
                    None,
                );
                frame.input = input;
                match r {
                    Ok(v) => v,
                    Err(e) => return self.fail_jsonata(frame, state, e, catchable, now),
                }
            }
            None => match result {
                Some(r) => r,
                None => frame.input.clone(),
            },
        };
        let next = match (choice, state.transition) {
            (Some((n, _)), _) => Some(n),
            (None, Transition::Next(n)) => Some(n),
            _ => None,
        };
        match self.exit_state(frame, state, output, assigned.map(Value::Object), next, now) {
            Ok(flow) => flow,
            Err(e) => self.fail_jsonata(frame, state, e, catchable, now),
        }
    }

    fn fail_jsonata(
        &mut self,
        frame: &mut Frame,
        state: &State,
        e: StateError,
        catchable: bool,
        now: DateTime<Utc>,
    ) -> Flow {
        if catchable {
            self.handle_error(frame, state, e, now)
        } else {
            Flow::Finished(Err(e))
        }
    }
}

impl Execution {
    /// `States.QueryEvaluationError` for a value of the wrong type (the error-handling chapter lists
    /// "an incorrectly typed result" among its causes; the wording here is the engine's), noted for
    /// the `EvaluationFailed` event.
    pub(super) fn unexpected_type(
        &mut self,
        state: &State,
        frame: &Frame,
        field: &str,
        expected: &str,
        v: &Value,
    ) -> StateError {
        let err = StateError::new(
            errors::QUERY_EVALUATION_ERROR,
            runtime_cause(
                &state.name,
                frame.entered_event,
                &format!(
                    "The value of the field '{field}' is of an unexpected type: expected {expected}, got {} {}",
                    type_name(v),
                    json_text(v)
                ),
            ),
        );
        self.evaluation_failed(state, field, err)
    }
}
