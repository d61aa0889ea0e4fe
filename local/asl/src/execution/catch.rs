//! Leaving a state: its output, `Assign`, the next state or the end of the frame; and errors:
//! Retry (back-off with jitter, `MaxDelaySeconds`) and Catch (`ResultPath` of the error output).

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::*;

impl Execution {
    pub(super) fn exit_state(
        &mut self,
        frame: &mut Frame,
        state: &State,
        output: Value,
        assigned: Option<Value>,
        next: Option<usize>,
        now: DateTime<Utc>,
    ) -> Result<Flow, StateError> {
        frame.redrive_children = None;
        if limits::depth(&output) > MAX_VALUE_DEPTH {
            return Err(depth_limit(&state.name));
        }
        if let Some(a) = &assigned
            && limits::depth(a) > MAX_VALUE_DEPTH
        {
            return Err(depth_limit(&state.name));
        }
        // The text is needed for the Exited event anyway: measure the payload quota on it.
        let text = json_text(&output);
        self.turn_bytes += text.len();
        if text.len() > MAX_PAYLOAD_BYTES {
            return Err(data_limit(&state.name));
        }
        let assigned_map = match assigned {
            Some(Value::Object(m)) => {
                let mut texts = Map::new();
                let mut total = 0usize;
                for (k, v) in &m {
                    let t = json_text(v);
                    total += t.len();
                    texts.insert(k.clone(), Value::String(t));
                }
                // Quota: the values of one Assign may total at most 256 KiB.
                if total > MAX_PAYLOAD_BYTES {
                    return Err(StateError::new(
                        errors::DATA_LIMIT_EXCEEDED,
                        format!(
                            "The variables assigned by the state '{}' exceed the maximum size of 262144 bytes.",
                            state.name
                        ),
                    ));
                }
                for (k, v) in m {
                    frame.vars.insert(k, v);
                }
                Some(texts)
            }
            _ => None,
        };
        let ty = exited_type(&state.kind);
        let details_assigned = assigned_map.is_some().then(DataDetails::default);
        frame.last_event = self.emit(
            now,
            ty,
            frame.last_event,
            Some(EventDetails::StateExited(StateExitedDetails {
                name: state.name.clone(),
                output: Some(text.clone()),
                output_details: DataDetails::default(),
                assigned_variables: assigned_map,
                assigned_variables_details: details_assigned,
            })),
        );
        if self.probed(frame) {
            return Ok(self.probe_exit(frame, output, next));
        }
        match next {
            Some(n) => {
                frame.state = n;
                frame.input = output;
                frame.input_text = Some(text);
                frame.phase = Phase::Enter;
                Ok(Flow::Continue)
            }
            None => Ok(Flow::Finished(Ok(output))),
        }
    }

    /// Retry, then Catch, then fail the frame.
    pub(super) fn handle_error(
        &mut self,
        frame: &mut Frame,
        state: &State,
        err: StateError,
        now: DateTime<Utc>,
    ) -> Flow {
        if let Some(d) = self.evaluation_failed.take() {
            frame.last_event = self.emit(
                now,
                EventType::EvaluationFailed,
                frame.last_event,
                Some(EventDetails::EvaluationFailed(d)),
            );
        }
        for (i, r) in state.retry.iter().enumerate() {
            if !errors::matches(&r.error_equals, &err.error) {
                continue;
            }
            let count = frame.retry_counts.get(i).copied().unwrap_or(0);
            if count < r.max_attempts {
                let mut delay = r.interval_seconds as f64
                    * r.backoff_rate
                        .powi(i32::try_from(count).unwrap_or(i32::MAX));
                if let Some(max) = r.max_delay_seconds {
                    delay = delay.min(max as f64);
                }
                if r.jitter == Jitter::Full {
                    let rnd = self.next_random() as f64 / u64::MAX as f64;
                    delay *= rnd;
                }
                let delay_ms = (delay * 1000.0).clamp(0.0, 1.0e15) as i64;
                if self.probed(frame) {
                    // TestState does not retry: it reports the retrier and its back-off.
                    let backoff = (delay_ms / 1000).unsigned_abs();
                    if let Some(p) = self.probe_mut() {
                        p.seen.error_details = Some(InspectionErrorDetails {
                            retry_index: Some(i),
                            retry_backoff_interval_seconds: Some(backoff),
                            catch_index: None,
                        });
                        p.exit = Some(ProbeExit::Retriable { error: err.clone() });
                    }
                    return Flow::Finished(Err(err));
                }
                if let Some(c) = frame.retry_counts.get_mut(i) {
                    *c += 1;
                }
                frame.retry_total += 1;
                // A retry reruns the whole state.
                frame.redrive_children = None;
                frame.phase = Phase::RetryWait {
                    until: later(now, Duration::milliseconds(delay_ms)),
                };
                return Flow::Blocked;
            }
            // The first matching retrier decides; an exhausted one falls through to Catch.
            break;
        }
        for (ci, c) in state.catch.iter().enumerate() {
            if !errors::matches(&c.error_equals, &err.error) {
                continue;
            }
            let error_output = err.to_output();
            if let Some(p) = self.probe_mut() {
                p.seen.error_details = Some(InspectionErrorDetails {
                    catch_index: Some(ci),
                    ..InspectionErrorDetails::default()
                });
                p.caught = Some(err.clone());
            }
            if let Some(spec) = state.jsonata.as_deref() {
                // JSONata catcher: `Assign` and `Output` read `$states.errorOutput`; without
                // `Output` the error output is the state's output.
                let jc = spec.catchers.get(ci).cloned().unwrap_or_default();
                let input = std::mem::take(&mut frame.input);
                let assigned = match &jc.assign {
                    Some(q) => self
                        .eval_query(
                            frame,
                            state,
                            q,
                            "Assign",
                            &input,
                            None,
                            Some(&error_output),
                            None,
                        )
                        .map(Some),
                    None => Ok(None),
                };
                let output = match (&assigned, &jc.output) {
                    (Err(_), _) => Ok(Value::Null),
                    (Ok(_), Some(q)) => self.eval_query(
                        frame,
                        state,
                        q,
                        "Output",
                        &input,
                        None,
                        Some(&error_output),
                        None,
                    ),
                    (Ok(_), None) => Ok(error_output),
                };
                frame.input = input;
                let (assigned, output) = match (assigned, output) {
                    (Ok(a), Ok(o)) => (a, o),
                    (Err(e), _) | (_, Err(e)) => return Flow::Finished(Err(e)),
                };
                return self
                    .exit_state(frame, state, output, assigned, Some(c.next), now)
                    .unwrap_or_else(|e| Flow::Finished(Err(e)));
            }
            if result_too_deep(&c.result_path, &error_output) {
                return Flow::Finished(Err(depth_limit(&state.name)));
            }
            let assigned = match &c.assign {
                Some(t) => match self.eval_template(frame, state, t, &error_output, None) {
                    Ok(v) => Some(v),
                    Err(e) => return Flow::Finished(Err(e)),
                },
                None => None,
            };
            let output = match apply_result_path(&c.result_path, &frame.input, error_output) {
                Ok(v) => {
                    self.inspect(|i| i.after_result_path = Some(v.clone()));
                    v
                }
                Err(path) => {
                    return Flow::Finished(Err(StateError::new(
                        errors::RESULT_PATH_MATCH_FAILURE,
                        result_path_cause(&path, &frame.input),
                    )));
                }
            };
            return self
                .exit_state(frame, state, output, assigned, Some(c.next), now)
                .unwrap_or_else(|e| Flow::Finished(Err(e)));
        }
        Flow::Finished(Err(err))
    }
}
