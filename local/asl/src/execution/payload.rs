//! Paths and payloads: the evaluation environment (input, context object, variables), InputPath,
//! Parameters / ResultSelector templates, ResultPath placement and OutputPath, each held to the
//! payload and depth limits.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::*;

impl Execution {
    pub(super) fn env<'a>(
        &'a self,
        frame: &'a Frame,
        input: &'a Value,
        context: &'a dyn Fn(bool) -> Value,
        rng: &'a Cell<u64>,
        vars: &'a ScopeChain<'a>,
    ) -> Env<'a> {
        let _ = frame;
        Env {
            input,
            context,
            variables: vars,
            rng,
        }
    }

    pub(super) fn context_object(
        &self,
        frame: &Frame,
        state: &State,
        extra: Option<(&str, Value)>,
        with_input: bool,
    ) -> Value {
        let c = &self.st.context;
        let mut ctx = json!({
            "Execution": {
                "Id": c.execution_arn,
                "Input": if with_input { self.st.input.clone() } else { Value::Null },
                "Name": c.execution_name,
                "RoleArn": c.role_arn,
                "StartTime": iso(self.st.start_time),
                "RedriveCount": c.redrive_count,
            },
            "State": {
                "EnteredTime": iso(frame.entered_time),
                "Name": state.name,
                "RetryCount": frame.retry_total,
            },
            "StateMachine": {
                "Id": c.state_machine_arn,
                "Name": c.state_machine_name,
            },
        });
        // Only the states that can retry (Task, Parallel, Map) count retries; recorded against
        // Step Functions: a Pass state's context object has exactly `Execution`, `StateMachine`
        // and `State {Name, EnteredTime}`.
        if !matches!(
            state.kind,
            StateKind::Task(_) | StateKind::Parallel { .. } | StateKind::Map(_)
        ) && let Some(Value::Object(s)) = ctx.get_mut("State")
        {
            s.remove("RetryCount");
        }
        if let (Some((k, v)), Value::Object(m)) = (extra, &mut ctx) {
            m.insert(k.to_string(), v);
        }
        self.probe_context(&mut ctx);
        ctx
    }

    /// Evaluates a template with `$` = `input`; errors become AWS-shaped state errors.
    pub(super) fn eval_template(
        &mut self,
        frame: &Frame,
        state: &State,
        template: &Template,
        input: &Value,
        extra: Option<(&str, Value)>,
    ) -> Result<Value, StateError> {
        let ctx_builder =
            |with_input: bool| self.context_object(frame, state, extra.clone(), with_input);
        let rng = Cell::new(self.st.rng);
        let vars = ScopeChain {
            own: &frame.vars,
            parent: frame.parent.as_ref().map(|p| p.frame),
            frames: &self.st.frames,
        };
        let env = self.env(frame, input, &ctx_builder, &rng, &vars);
        let r = template.eval(&env);
        let new_rng = rng.get();
        self.st.rng = new_rng;
        r.map_err(|e| template_error(&state.name, frame.entered_event, e))
    }

    pub(super) fn resolve_path(
        &self,
        frame: &Frame,
        state: &State,
        path: &Path,
        input: &Value,
    ) -> Result<Value, PathEvalError> {
        let ctx_builder = |with_input: bool| self.context_object(frame, state, None, with_input);
        let rng = Cell::new(self.st.rng);
        let vars = ScopeChain {
            own: &frame.vars,
            parent: frame.parent.as_ref().map(|p| p.frame),
            frames: &self.st.frames,
        };
        let env = self.env(frame, input, &ctx_builder, &rng, &vars);
        env.resolve(path)
    }

    pub(super) fn input_path(&self, frame: &Frame, state: &State) -> Result<Value, StateError> {
        match &state.input_path {
            DataPath::Identity => Ok(frame.input.clone()),
            DataPath::Discard => Ok(json!({})),
            DataPath::Path(p) => self
                .resolve_path(frame, state, p, &frame.input)
                .map_err(|e| path_error(&state.name, frame.entered_event, p, e)),
        }
    }

    /// ResultSelector (when a task-like state produced `result`), Assign, ResultPath,
    /// OutputPath, Exited event, transition.
    pub(super) fn finish_with_result(
        &mut self,
        frame: &mut Frame,
        state: &State,
        result: Value,
        now: DateTime<Utc>,
    ) -> Flow {
        if state.jsonata.is_some() {
            return self.finish_jsonata(frame, state, Some(result), None, now);
        }
        let selected = match &state.result_selector {
            Some(t) => match self.eval_template(frame, state, t, &result, None) {
                Ok(v) => v,
                Err(e) => return self.handle_error(frame, state, e, now),
            },
            None => result,
        };
        if state.result_selector.is_some() {
            self.inspect(|i| i.after_result_selector = Some(selected.clone()));
        }
        let assigned = match &state.assign {
            Some(t) => match self.eval_template(frame, state, t, &selected, None) {
                Ok(v) => Some(v),
                Err(e) => return self.handle_error(frame, state, e, now),
            },
            None => None,
        };
        // After ResultPath only States.DataLimitExceeded (caught or retried by name only) can
        // still need the raw input; otherwise it is moved instead of copied.
        let keep_input = state
            .retry
            .iter()
            .map(|r| &r.error_equals)
            .chain(state.catch.iter().map(|c| &c.error_equals))
            .any(|e| errors::matches(e, errors::DATA_LIMIT_EXCEEDED));
        if result_too_deep(&state.result_path, &selected) {
            return self.handle_error(frame, state, depth_limit(&state.name), now);
        }
        let combined = if keep_input {
            apply_result_path(&state.result_path, &frame.input, selected)
        } else {
            match &state.result_path {
                ResultPath::Replace => Ok(selected),
                ResultPath::Discard => Ok(std::mem::take(&mut frame.input)),
                ResultPath::Path(p) => {
                    let mut base = std::mem::take(&mut frame.input);
                    match p.assign(&mut base, selected) {
                        Ok(()) => Ok(base),
                        Err(_) => {
                            // A failed assignment changes nothing: give the input back.
                            frame.input = base;
                            Err(p.text().to_string())
                        }
                    }
                }
            }
        };
        let combined = match combined {
            Ok(v) => {
                self.inspect(|i| i.after_result_path = Some(v.clone()));
                v
            }
            Err(path) => {
                let e = StateError::new(
                    errors::RESULT_PATH_MATCH_FAILURE,
                    result_path_cause(&path, &frame.input),
                );
                return self.handle_error(frame, state, e, now);
            }
        };
        let output = match self.output_path(frame, state, combined) {
            Ok(v) => v,
            Err(e) => return self.handle_error(frame, state, e, now),
        };
        let next = match state.transition {
            Transition::Next(n) => Some(n),
            _ => None,
        };
        match self.exit_state(frame, state, output, assigned, next, now) {
            Ok(flow) => flow,
            Err(e) => self.handle_error(frame, state, e, now),
        }
    }

    /// For Choice / Wait / Succeed: output = OutputPath(effective input).
    pub(super) fn finish_passthrough(
        &mut self,
        frame: &mut Frame,
        state: &State,
        effective: Value,
        choice: Option<(usize, Option<Template>)>,
        now: DateTime<Utc>,
    ) -> Flow {
        if state.jsonata.is_some() {
            return self.finish_jsonata(frame, state, None, None, now);
        }
        // The state-level Assign always applies; a matched Choice rule's Assign is added on
        // top of it (developer guide, Choice state: "Assign field (Optional)").
        let mut assigned: Option<Value> = None;
        let rule_assign = choice.as_ref().and_then(|(_, a)| a.as_ref());
        for t in [state.assign.as_ref(), rule_assign].into_iter().flatten() {
            match self.eval_template(frame, state, t, &effective, None) {
                Ok(Value::Object(m)) => match &mut assigned {
                    Some(Value::Object(all)) => all.extend(m),
                    _ => assigned = Some(Value::Object(m)),
                },
                Ok(_) => {}
                Err(e) => return Flow::Finished(Err(e)),
            }
        }
        let output = match self.output_path(frame, state, effective) {
            Ok(v) => v,
            Err(e) => return Flow::Finished(Err(e)),
        };
        let next = match (&choice, state.transition) {
            (Some((n, _)), _) => Some(*n),
            (None, Transition::Next(n)) => Some(n),
            _ => None,
        };
        self.exit_state(frame, state, output, assigned, next, now)
            .unwrap_or_else(|e| Flow::Finished(Err(e)))
    }

    pub(super) fn output_path(
        &self,
        frame: &Frame,
        state: &State,
        combined: Value,
    ) -> Result<Value, StateError> {
        match &state.output_path {
            DataPath::Identity => Ok(combined),
            DataPath::Discard => Ok(json!({})),
            DataPath::Path(p) => self
                .resolve_path(frame, state, p, &combined)
                .map_err(|e| path_error(&state.name, frame.entered_event, p, e)),
        }
    }
}
