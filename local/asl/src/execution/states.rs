//! State behaviour: one step of a frame, entering each kind of state (Pass, Task, Choice, Wait,
//! Succeed, Fail, Parallel, Map), and the task requests a Task state hands to the host.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::*;

impl Execution {
    /// Runs one step of the frame's current state.
    pub(super) fn step(
        &mut self,
        def: &Definition,
        fid: u64,
        frame: &mut Frame,
        state: &State,
        now: DateTime<Utc>,
    ) -> Flow {
        match std::mem::replace(&mut frame.phase, Phase::Start) {
            Phase::Enter => {
                frame.entered_time = now;
                frame.retry_counts = vec![0; state.retry.len()];
                frame.retry_total = 0;
                if self.probed(frame)
                    && let Some(n) = self.probe().map(|p| p.retrier_retry_count)
                {
                    // TestState's retrierRetryCount: the retries already made.
                    frame.retry_counts = vec![n; state.retry.len()];
                    frame.retry_total = n;
                }
                let ty = entered_type(&state.kind);
                let id = self.emit(
                    now,
                    ty,
                    frame.last_event,
                    Some(EventDetails::StateEntered(StateEnteredDetails {
                        name: state.name.clone(),
                        input: Some(
                            frame
                                .input_text
                                .take()
                                .unwrap_or_else(|| json_text(&frame.input)),
                        ),
                        input_details: DataDetails::default(),
                    })),
                );
                frame.entered_event = id;
                frame.last_event = id;
                self.start_state(def, fid, frame, state, now)
            }
            Phase::Start => self.start_state(def, fid, frame, state, now),
            Phase::Task {
                outcome: Some(o), ..
            } => match o {
                TaskOutcome::Succeeded(result) => {
                    self.inspect(|i| i.result = Some(result.clone()));
                    if limits::depth(&result) > MAX_VALUE_DEPTH {
                        return self.handle_error(frame, state, depth_limit(&state.name), now);
                    }
                    if payload_size(&result) > MAX_PAYLOAD_BYTES {
                        let e = data_limit(&state.name);
                        return self.handle_error(frame, state, e, now);
                    }
                    self.finish_with_result(frame, state, result, now)
                }
                TaskOutcome::Failed(e) => self.handle_error(frame, state, e, now),
            },
            p @ Phase::Task { outcome: None, .. } => {
                frame.phase = p;
                Flow::Blocked
            }
            p @ Phase::RetryWait { .. } => {
                frame.phase = p;
                Flow::Blocked
            }
            Phase::Wait { until, fired } => {
                if !fired {
                    frame.phase = Phase::Wait { until, fired };
                    return Flow::Blocked;
                }
                let effective = match self.input_path(frame, state) {
                    Ok(v) => v,
                    Err(e) => return self.handle_error(frame, state, e, now),
                };
                self.finish_passthrough(frame, state, effective, None, now)
            }
            Phase::Children(ch) => {
                if ch.done < ch.results.len() {
                    frame.phase = Phase::Children(ch);
                    return Flow::Blocked;
                }
                let ty = match ch.kind {
                    ChildKind::Parallel => EventType::ParallelStateSucceeded,
                    ChildKind::Map if ch.map_run.is_some() => EventType::MapRunSucceeded,
                    ChildKind::Map => EventType::MapStateSucceeded,
                };
                frame.last_event = self.emit(now, ty, frame.last_event, None);
                self.finish_with_result(frame, state, Value::Array(ch.results), now)
            }
            Phase::ChildrenFailed(e) => {
                frame.last_event = match &state.kind {
                    StateKind::Map(spec) if spec.distributed.is_some() => self.emit(
                        now,
                        EventType::MapRunFailed,
                        frame.last_event,
                        Some(EventDetails::MapRunFailed(error_details(&e))),
                    ),
                    StateKind::Map(_) => {
                        self.emit(now, EventType::MapStateFailed, frame.last_event, None)
                    }
                    _ => self.emit(now, EventType::ParallelStateFailed, frame.last_event, None),
                };
                self.handle_error(frame, state, e, now)
            }
        }
    }

    pub(super) fn start_state(
        &mut self,
        def: &Definition,
        fid: u64,
        frame: &mut Frame,
        state: &State,
        now: DateTime<Utc>,
    ) -> Flow {
        // Tasks read their effective input by reference (no copy of the state input).
        if let StateKind::Task(task) = &state.kind {
            return self.start_task(fid, frame, state, task, now);
        }
        let effective = match self.input_path(frame, state) {
            Ok(v) => v,
            Err(e) => return self.handle_error(frame, state, e, now),
        };
        if state.jsonata.is_none() {
            self.inspect(|i| i.after_input_path = Some(effective.clone()));
        }
        match &state.kind {
            StateKind::Pass { .. } if state.jsonata.is_some() => {
                self.finish_jsonata(frame, state, None, None, now)
            }
            StateKind::Fail { .. } if state.jsonata.is_some() => {
                let spec = state.jsonata.as_deref().cloned().unwrap_or_default();
                let mut text = |q: Option<&crate::jsonata::Query>, field: &str| match q {
                    None => Ok(String::new()),
                    Some(q) => self.query_string(frame, state, q, field),
                };
                let e = text(spec.error.as_ref(), "Error");
                let c = e.as_ref().ok().map(|_| text(spec.cause.as_ref(), "Cause"));
                match (e, c) {
                    (Ok(e), Some(Ok(c))) => Flow::Finished(Err(StateError::new(e, c))),
                    (Err(x), _) | (_, Some(Err(x))) => Flow::Finished(Err(x)),
                    (Ok(_), None) => Flow::Finished(Err(StateError::new(errors::RUNTIME, ""))),
                }
            }
            StateKind::Choice { default, .. } if state.jsonata.is_some() => {
                let rules = state
                    .jsonata
                    .as_deref()
                    .map(|s| s.choices.as_slice())
                    .unwrap_or_default();
                for (i, rule) in rules.iter().enumerate() {
                    let input = std::mem::take(&mut frame.input);
                    let r = self.eval_query(
                        frame,
                        state,
                        &rule.condition,
                        "Condition",
                        &input,
                        None,
                        None,
                        None,
                    );
                    frame.input = input;
                    match r {
                        Ok(Value::Bool(true)) => {
                            return self.finish_jsonata(
                                frame,
                                state,
                                None,
                                Some((rule.next, Some(rule))),
                                now,
                            );
                        }
                        Ok(Value::Bool(false)) => {}
                        Ok(other) => {
                            return Flow::Finished(Err(self.unexpected_type(
                                state,
                                frame,
                                &format!("Choices[{i}]/Condition"),
                                "a boolean",
                                &other,
                            )));
                        }
                        Err(e) => return Flow::Finished(Err(e)),
                    }
                }
                match default {
                    Some(d) => self.finish_jsonata(frame, state, None, Some((*d, None)), now),
                    None => Flow::Finished(Err(StateError::new(
                        errors::NO_CHOICE_MATCHED,
                        "No Matches!",
                    ))),
                }
            }
            StateKind::Wait(_) if state.jsonata.is_some() => {
                let spec = state.jsonata.as_deref().cloned().unwrap_or_default();
                let until = match (&spec.seconds, &spec.timestamp) {
                    (Some(q), _) => self
                        .query_uint(frame, state, q, "Seconds", 0)
                        .and_then(|s| wait_until(now, s).map_err(|d| runtime(state, frame, &d))),
                    (None, Some(q)) => {
                        self.query_string(frame, state, q, "Timestamp")
                            .and_then(|t| match crate::choice::parse_timestamp(&t) {
                                Some(t) => wait_for_timestamp(now, t.with_timezone(&Utc))
                                    .map_err(|d| runtime(state, frame, &d)),
                                None => Err(self.unexpected_type(
                                    state,
                                    frame,
                                    "Timestamp",
                                    "an RFC3339 timestamp",
                                    &Value::String(t),
                                )),
                            })
                    }
                    (None, None) => Ok(now),
                };
                wait_flow(frame, until, now)
            }
            StateKind::Pass { result } => {
                let r = match (result, &state.parameters) {
                    (Some(r), _) => Ok(r.clone()),
                    (None, Some(t)) => {
                        let r = self.eval_template(frame, state, t, &effective, None);
                        if let Ok(v) = &r {
                            self.inspect(|i| i.after_parameters = Some(v.clone()));
                        }
                        r
                    }
                    (None, None) => Ok(effective),
                };
                match r {
                    Ok(v) => {
                        self.inspect(|i| i.result = Some(v.clone()));
                        self.finish_with_result(frame, state, v, now)
                    }
                    Err(e) => self.handle_error(frame, state, e, now),
                }
            }
            StateKind::Succeed => self.finish_passthrough(frame, state, effective, None, now),
            StateKind::Fail { error, cause } => {
                let e = self.fail_text(frame, state, error, "ErrorPath");
                let c = self.fail_text(frame, state, cause, "CausePath");
                match (e, c) {
                    (Ok(e), Ok(c)) => Flow::Finished(Err(StateError::new(e, c))),
                    (Err(x), _) | (_, Err(x)) => Flow::Finished(Err(x)),
                }
            }
            StateKind::Choice { choices, default } => {
                let ctx_builder =
                    |with_input: bool| self.context_object(frame, state, None, with_input);
                let rng = Cell::new(self.st.rng);
                let vars = ScopeChain {
                    own: &frame.vars,
                    parent: frame.parent.as_ref().map(|p| p.frame),
                    frames: &self.st.frames,
                };
                let env = self.env(frame, &effective, &ctx_builder, &rng, &vars);
                let mut chosen: Option<(usize, Option<&Template>)> = None;
                for rule in choices {
                    match rule.condition.eval(&env) {
                        Ok(true) => {
                            chosen = Some((rule.next, rule.assign.as_ref()));
                            break;
                        }
                        Ok(false) => {}
                        Err(err) => {
                            let e = StateError::new(
                                errors::RUNTIME,
                                runtime_cause(&state.name, frame.entered_event, &err.to_string()),
                            );
                            return Flow::Finished(Err(e));
                        }
                    }
                }
                let (next, assign) = match chosen {
                    Some(c) => c,
                    None => match default {
                        Some(d) => (*d, None),
                        None => {
                            return Flow::Finished(Err(StateError::new(
                                errors::NO_CHOICE_MATCHED,
                                "No Matches!",
                            )));
                        }
                    },
                };
                let assign = assign.cloned();
                self.finish_passthrough(frame, state, effective, Some((next, assign)), now)
            }
            StateKind::Wait(w) => {
                let until = match w {
                    WaitFor::Seconds(s) => {
                        wait_until(now, *s).map_err(|detail| runtime(state, frame, &detail))
                    }
                    WaitFor::Timestamp(t) => wait_for_timestamp(now, t.with_timezone(&Utc))
                        .map_err(|detail| runtime(state, frame, &detail)),
                    WaitFor::SecondsPath(p) => {
                        match self.resolve_path(frame, state, p, &effective) {
                            Ok(v) => wait_seconds(&v, p.text())
                                .and_then(|s| wait_until(now, s))
                                .map_err(|detail| runtime(state, frame, &detail)),
                            Err(PathEvalError::NoResults { .. }) => Err(runtime(
                                state,
                                frame,
                                &format!(
                                    "The SecondsPath parameter does not reference an input value: {}",
                                    p.text()
                                ),
                            )),
                            Err(e) => Err(path_error(&state.name, frame.entered_event, p, e)),
                        }
                    }
                    WaitFor::TimestampPath(p) => {
                        match self.resolve_path(frame, state, p, &effective) {
                            Ok(v) => match v.as_str().and_then(crate::choice::parse_timestamp) {
                                Some(t) => wait_for_timestamp(now, t.with_timezone(&Utc))
                                    .map_err(|detail| runtime(state, frame, &detail)),
                                None => Err(runtime(
                                    state,
                                    frame,
                                    &format!(
                                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                                        p.text(),
                                        java_text(&v)
                                    ),
                                )),
                            },
                            Err(PathEvalError::NoResults { .. }) => Err(runtime(
                                state,
                                frame,
                                &format!(
                                    "The TimestampPath parameter does not reference an input value: {}",
                                    p.text()
                                ),
                            )),
                            Err(e) => Err(path_error(&state.name, frame.entered_event, p, e)),
                        }
                    }
                };
                wait_flow(frame, until, now)
            }
            StateKind::Task(_) => Flow::Blocked, // dispatched above
            StateKind::Parallel { branches } => {
                let arguments = state.jsonata.as_deref().and_then(|j| j.arguments.as_ref());
                let branch_input = match (arguments, &state.parameters) {
                    (Some(q), _) => {
                        match self.eval_query(
                            frame,
                            state,
                            q,
                            "Arguments",
                            &effective,
                            None,
                            None,
                            None,
                        ) {
                            Ok(v) => v,
                            Err(e) => return self.handle_error(frame, state, e, now),
                        }
                    }
                    (None, Some(t)) => {
                        match self.eval_template(frame, state, t, &effective, None) {
                            Ok(v) => v,
                            Err(e) => return self.handle_error(frame, state, e, now),
                        }
                    }
                    (None, None) => effective,
                };
                match (arguments, &state.parameters) {
                    (Some(_), _) => {
                        self.inspect(|i| i.after_arguments = Some(branch_input.clone()))
                    }
                    (None, Some(_)) => {
                        self.inspect(|i| i.after_parameters = Some(branch_input.clone()))
                    }
                    (None, None) => {}
                }
                let started =
                    self.emit(now, EventType::ParallelStateStarted, frame.last_event, None);
                if let Some(mocked) = self.take_children_mock() {
                    return self.finish_mocked(
                        frame,
                        state,
                        EventType::ParallelStateSucceeded,
                        mocked,
                        now,
                    );
                }
                frame.last_event = started;
                // Redriven: the branches that succeeded keep their results and do not run again.
                let done = frame
                    .redrive_children
                    .take()
                    .filter(|d| d.results.len() == branches.len());
                let (results, succeeded) = match done {
                    Some(d) => (d.results, d.succeeded),
                    None => (vec![Value::Null; branches.len()], BTreeSet::new()),
                };
                let mut running = BTreeSet::new();
                for (b, branch) in branches.iter().enumerate() {
                    if succeeded.contains(&b) {
                        continue;
                    }
                    let mut path = frame.machine.clone();
                    path.push((frame.state, b));
                    let child = self.spawn(
                        path,
                        Some(ParentLink {
                            frame: fid,
                            slot: b,
                        }),
                        branch.start_at,
                        branch_input.clone(),
                        started,
                        now,
                    );
                    running.insert(child);
                }
                let all_done = running.is_empty();
                frame.phase = Phase::Children(Children {
                    kind: ChildKind::Parallel,
                    done: succeeded.len(),
                    succeeded,
                    map_run: None,
                    pending: VecDeque::new(),
                    running,
                    results,
                    max_concurrency: 0,
                });
                if all_done {
                    Flow::Continue
                } else {
                    Flow::Blocked
                }
            }
            StateKind::Map(spec) => {
                let jspec = state.jsonata.as_deref();
                let items = match (jspec.and_then(|j| j.items.as_ref()), &spec.items_path) {
                    (Some(q), _) => {
                        match self
                            .eval_query(frame, state, q, "Items", &effective, None, None, None)
                        {
                            Ok(Value::Array(a)) => Value::Array(a),
                            Ok(other) => {
                                let e =
                                    self.unexpected_type(state, frame, "Items", "an array", &other);
                                return self.handle_error(frame, state, e, now);
                            }
                            Err(e) => return self.handle_error(frame, state, e, now),
                        }
                    }
                    (None, None) => effective.clone(),
                    (None, Some(p)) => match self.resolve_path(frame, state, p, &effective) {
                        Ok(v) => v,
                        Err(e) => {
                            return self.handle_error(
                                frame,
                                state,
                                path_error(&state.name, frame.entered_event, p, e),
                                now,
                            );
                        }
                    },
                };
                if spec.items_path.is_some() && jspec.is_none() {
                    self.inspect(|i| i.after_items_path = Some(items.clone()));
                }
                let Value::Array(items) = items else {
                    let e = runtime(
                        state,
                        frame,
                        &format!(
                            "The ItemsPath field references an invalid value. Expected an array but got: {items}"
                        ),
                    );
                    return Flow::Finished(Err(e));
                };
                let jmax = jspec.and_then(|j| j.max_concurrency.as_ref());
                let max_concurrency = match (&spec.max_concurrency, jmax) {
                    (_, Some(q)) => match self.query_uint(frame, state, q, "MaxConcurrency", 0) {
                        Ok(n) => usize::try_from(n).unwrap_or(usize::MAX),
                        Err(e) => return self.handle_error(frame, state, e, now),
                    },
                    (Seconds::Fixed(n), None) => usize::try_from(*n).unwrap_or(usize::MAX),
                    (Seconds::Path(p), None) => {
                        match self.resolve_path(frame, state, p, &effective) {
                            // Recorded against Step Functions: a numeric string is accepted.
                            Ok(v) => match java_text(&v).parse::<u64>() {
                                Ok(n) => usize::try_from(n).unwrap_or(usize::MAX),
                                Err(_) => {
                                    return Flow::Finished(Err(runtime(
                                        state,
                                        frame,
                                        &format!(
                                            "The MaxConcurrencyPath field refers to value \"{}\" which is not a valid integer: {}",
                                            java_text(&v),
                                            p.text()
                                        ),
                                    )));
                                }
                            },
                            Err(e) => {
                                return Flow::Finished(Err(path_error(
                                    &state.name,
                                    frame.entered_event,
                                    p,
                                    e,
                                )));
                            }
                        }
                    }
                };
                let mut inputs = VecDeque::with_capacity(items.len());
                let selector = jspec.and_then(|j| j.item_selector.as_ref());
                // TestState answers the iterations' inputs as one `afterItemSelector` text, a
                // `SensitiveData` of at most 256 KiB: a probed Map stops building them beyond that.
                let probed = self.probed(frame);
                let mut selected_bytes = 0usize;
                for (i, item) in items.into_iter().enumerate() {
                    if probed {
                        if selected_bytes > MAX_PAYLOAD_BYTES {
                            return self.handle_error(frame, state, data_limit(&state.name), now);
                        }
                        if let Some((_, last)) = inputs.back() {
                            selected_bytes += payload_size(last);
                        }
                    }
                    if let Some(q) = selector {
                        let extra = json!({"Item": {"Index": i, "Value": item}});
                        match self.eval_query(
                            frame,
                            state,
                            q,
                            "ItemSelector",
                            &effective,
                            None,
                            None,
                            Some(("Map", extra)),
                        ) {
                            Ok(v) => inputs.push_back((i as u64, v)),
                            Err(e) => return self.handle_error(frame, state, e, now),
                        }
                        continue;
                    }
                    let input = match &spec.item_selector {
                        Some(t) => {
                            let extra = json!({"Item": {"Index": i, "Value": item}});
                            match self.eval_template(
                                frame,
                                state,
                                t,
                                &effective,
                                Some(("Map", extra)),
                            ) {
                                Ok(v) => v,
                                Err(e) => return self.handle_error(frame, state, e, now),
                            }
                        }
                        None => item,
                    };
                    inputs.push_back((i as u64, input));
                }
                if let Some(d) = spec.distributed.as_deref() {
                    return self.start_map_run(
                        def,
                        fid,
                        frame,
                        state,
                        d,
                        inputs,
                        max_concurrency,
                        &effective,
                        now,
                    );
                }
                let n = inputs.len();
                if probed
                    && selected_bytes + inputs.back().map_or(0, |(_, v)| payload_size(v))
                        > MAX_PAYLOAD_BYTES
                {
                    return self.handle_error(frame, state, data_limit(&state.name), now);
                }
                if probed {
                    let selected: Vec<Value> = inputs.iter().map(|(_, v)| v.clone()).collect();
                    let has_selector = selector.is_some() || spec.item_selector.is_some();
                    self.inspect(|i| {
                        if has_selector {
                            i.after_item_selector = Some(Value::Array(selected));
                        }
                        i.max_concurrency = Some(max_concurrency as u64);
                    });
                }
                frame.last_event = self.emit(
                    now,
                    EventType::MapStateStarted,
                    frame.last_event,
                    Some(EventDetails::MapStateStarted(MapStateStartedDetails {
                        length: n as u64,
                    })),
                );
                if let Some(mocked) = self.take_children_mock() {
                    return self.finish_mocked(
                        frame,
                        state,
                        EventType::MapStateSucceeded,
                        mocked,
                        now,
                    );
                }
                if n == 0 {
                    frame.last_event =
                        self.emit(now, EventType::MapStateSucceeded, frame.last_event, None);
                    return self.finish_with_result(frame, state, Value::Array(Vec::new()), now);
                }
                // Inline Map runs at most 40 iterations at once (developer guide, "Inline mode");
                // MaxConcurrency 0 means "as many as possible", i.e. that cap.
                let max_concurrency = if max_concurrency == 0 {
                    INLINE_MAP_CONCURRENCY
                } else {
                    max_concurrency.min(INLINE_MAP_CONCURRENCY)
                };
                // Redriven: the iterations that succeeded keep their results and do not run again.
                let done = frame
                    .redrive_children
                    .take()
                    .filter(|d| d.results.len() == n);
                let (results, succeeded) = match done {
                    Some(d) => (d.results, d.succeeded),
                    None => (vec![Value::Null; n], BTreeSet::new()),
                };
                let mut inputs: VecDeque<(u64, Value)> = inputs
                    .into_iter()
                    .filter(|(i, _)| !succeeded.contains(&(*i as usize)))
                    .collect();
                let first = max_concurrency.min(inputs.len());
                let rest = inputs.split_off(first);
                let all_done = inputs.is_empty();
                frame.phase = Phase::Children(Children {
                    kind: ChildKind::Map,
                    done: succeeded.len(),
                    succeeded,
                    map_run: None,
                    pending: rest,
                    running: BTreeSet::new(),
                    results,
                    max_concurrency,
                });
                if all_done {
                    return Flow::Continue;
                }
                // The frame is out of the map while it steps: put it back so the iterations
                // can register with it.
                let placeholder = frame.clone();
                self.st.frames.insert(fid, placeholder);
                for (index, input) in inputs {
                    self.start_iteration(def, fid, index, input, now);
                }
                if let Some(f) = self.st.frames.remove(&fid) {
                    *frame = f;
                }
                Flow::Blocked
            }
        }
    }

    /// A probed Map / Parallel state with a mocked outcome: the mocked result goes through the
    /// state's result processing, the mocked error through its Retry / Catch.
    fn finish_mocked(
        &mut self,
        frame: &mut Frame,
        state: &State,
        succeeded: EventType,
        mocked: Result<Value, StateError>,
        now: DateTime<Utc>,
    ) -> Flow {
        match mocked {
            Ok(result) => {
                frame.last_event = self.emit(now, succeeded, frame.last_event, None);
                self.inspect(|i| i.result = Some(result.clone()));
                self.finish_with_result(frame, state, result, now)
            }
            Err(e) => self.handle_error(frame, state, e, now),
        }
    }

    pub(super) fn fail_text(
        &self,
        frame: &Frame,
        state: &State,
        t: &FailText,
        field: &str,
    ) -> Result<String, StateError> {
        match t {
            FailText::Absent => Ok(String::new()),
            FailText::Literal(s) => Ok(s.clone()),
            FailText::Path(p) => match self.resolve_path(frame, state, p, &frame.input) {
                Ok(Value::String(s)) => Ok(s),
                Ok(other) => Ok(other.to_string()),
                // Recorded against Step Functions.
                Err(PathEvalError::NoResults { .. }) => Err(runtime(
                    state,
                    frame,
                    &format!(
                        "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                        p.text(),
                        json_text(&frame.input)
                    ),
                )),
                Err(e) => Err(path_error(&state.name, frame.entered_event, p, e)),
            },
            FailText::Call(call) => {
                let ctx_builder =
                    |with_input: bool| self.context_object(frame, state, None, with_input);
                let rng = Cell::new(self.st.rng);
                let vars = ScopeChain {
                    own: &frame.vars,
                    parent: frame.parent.as_ref().map(|p| p.frame),
                    frames: &self.st.frames,
                };
                let env = self.env(frame, &frame.input, &ctx_builder, &rng, &vars);
                match call.eval(&env) {
                    Ok(Value::String(s)) => Ok(s),
                    Ok(other) => Ok(other.to_string()),
                    Err(IntrinsicError::Failure(m))
                    | Err(IntrinsicError::Path { message: m, .. }) => Err(StateError::new(
                        errors::INTRINSIC_FAILURE,
                        runtime_cause(&state.name, frame.entered_event, &m),
                    )),
                }
            }
        }
    }

    pub(super) fn start_task(
        &mut self,
        fid: u64,
        frame: &mut Frame,
        state: &State,
        task: &crate::definition::TaskSpec,
        now: DateTime<Utc>,
    ) -> Flow {
        let selected;
        let effective: &Value = match &state.input_path {
            DataPath::Identity => &frame.input,
            _ => match self.input_path(frame, state) {
                Ok(v) => {
                    selected = v;
                    &selected
                }
                Err(e) => return self.handle_error(frame, state, e, now),
            },
        };
        if state.jsonata.is_none() && self.probe().is_some() {
            let v = effective.clone();
            self.inspect(|i| i.after_input_path = Some(v));
        }
        let integration = Integration::of(&task.resource);
        let wants_token = matches!(
            integration,
            Integration::Activity
                | Integration::Service {
                    pattern: IntegrationPattern::WaitForTaskToken,
                    ..
                }
        );
        let task_id = self.st.next_task;
        self.st.next_task += 1;
        let token = {
            let a = self.next_random();
            let b = self.next_random();
            let c = self.next_random();
            format!("AQ{task_id:08x}{a:016x}{b:016x}{c:016x}")
        };
        let jsonata = state.jsonata.as_deref();
        let timeout = self.task_seconds(
            frame,
            state,
            jsonata.map(|j| j.timeout.as_ref()),
            task.timeout.as_ref(),
            effective,
            ("TimeoutSeconds", "TimeoutSecondsPath"),
        );
        let timeout = match timeout {
            Ok(t) => t,
            Err(e) => return self.handle_error(frame, state, e, now),
        };
        let heartbeat = self.task_seconds(
            frame,
            state,
            jsonata.map(|j| j.heartbeat.as_ref()),
            task.heartbeat.as_ref(),
            effective,
            ("HeartbeatSeconds", "HeartbeatSecondsPath"),
        );
        let heartbeat = match heartbeat {
            Ok(t) => t,
            Err(e) => return self.handle_error(frame, state, e, now),
        };
        let arguments = state.jsonata.as_deref().and_then(|j| j.arguments.as_ref());
        if let Some(q) = arguments {
            let extra = Some(("Task", json!({ "Token": token })));
            let input = std::mem::take(&mut frame.input);
            let r = self.eval_query(frame, state, q, "Arguments", &input, None, None, extra);
            frame.input = input;
            match r {
                Ok(v) => {
                    self.inspect(|i| i.after_arguments = Some(v.clone()));
                    return self.dispatch_task(
                        fid,
                        frame,
                        state,
                        task,
                        v,
                        timeout,
                        heartbeat,
                        token,
                        task_id,
                        wants_token,
                        integration,
                        now,
                    );
                }
                Err(e) => return self.handle_error(frame, state, e, now),
            }
        }
        let params = match &state.parameters {
            Some(t) => {
                let extra = Some(("Task", json!({ "Token": token })));
                match self.eval_template(frame, state, t, effective, extra) {
                    Ok(v) => {
                        self.inspect(|i| i.after_parameters = Some(v.clone()));
                        v
                    }
                    Err(e) => return self.handle_error(frame, state, e, now),
                }
            }
            None => effective.clone(),
        };
        self.dispatch_task(
            fid,
            frame,
            state,
            task,
            params,
            timeout,
            heartbeat,
            token,
            task_id,
            wants_token,
            integration,
            now,
        )
    }

    /// Records the task's events and hands it to the host.
    #[allow(clippy::too_many_arguments)]
    fn dispatch_task(
        &mut self,
        fid: u64,
        frame: &mut Frame,
        state: &State,
        task: &crate::definition::TaskSpec,
        params: Value,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
        token: String,
        task_id: u64,
        wants_token: bool,
        integration: Integration,
        now: DateTime<Utc>,
    ) -> Flow {
        let params_text = json_text(&params);
        if params_text.len() > MAX_PAYLOAD_BYTES {
            return self.handle_error(frame, state, data_limit(&state.name), now);
        }
        // Without TimeoutSeconds a task may run for the default 99999999 seconds.
        let timeout_at = timeout.map(|t| later(now, secs(t)));
        let heartbeat_at = heartbeat.map(|h| later(now, secs(h)));
        let token_opt = wants_token.then(|| token.clone());
        self.st.tasks.insert(
            task_id,
            TaskEntry {
                frame: fid,
                token: Some(token.clone()),
                request: None,
            },
        );
        self.st.tokens.insert(token.clone(), task_id);
        let (sched_ty, sched, started_ty, started) = match &integration {
            Integration::LambdaFunction => (
                EventType::LambdaFunctionScheduled,
                EventDetails::LambdaFunctionScheduled(LambdaScheduledDetails {
                    resource: task.resource.clone(),
                    input: Some(params_text.clone()),
                    input_details: DataDetails::default(),
                    timeout_in_seconds: timeout,
                }),
                EventType::LambdaFunctionStarted,
                None,
            ),
            Integration::Activity => (
                EventType::ActivityScheduled,
                EventDetails::ActivityScheduled(ActivityScheduledDetails {
                    resource: task.resource.clone(),
                    input: Some(params_text.clone()),
                    input_details: DataDetails::default(),
                    timeout_in_seconds: timeout,
                    heartbeat_in_seconds: heartbeat,
                }),
                // Started when a worker takes the task (`Execution::activity_started`).
                EventType::ActivityStarted,
                None,
            ),
            Integration::Service { .. } => {
                let (rt, r) = resource_names(&task.resource);
                (
                    EventType::TaskScheduled,
                    EventDetails::TaskScheduled(TaskScheduledDetails {
                        resource_type: rt.clone(),
                        resource: r.clone(),
                        region: self.st.context.region.clone(),
                        parameters: params_text,
                        timeout_in_seconds: timeout,
                        heartbeat_in_seconds: heartbeat,
                    }),
                    EventType::TaskStarted,
                    Some(EventDetails::TaskStarted(TaskStartedDetails {
                        resource_type: rt,
                        resource: r,
                    })),
                )
            }
        };
        let s = self.emit(now, sched_ty, frame.last_event, Some(sched));
        frame.last_event = if integration == Integration::Activity {
            s
        } else {
            self.emit(now, started_ty, s, started)
        };
        let request = TaskRequest {
            task_id,
            state_name: state.name.clone(),
            resource: task.resource.clone(),
            integration,
            parameters: params,
            task_token: token_opt,
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
            timeout_at,
            heartbeat_at,
            credentials: task.credentials.clone(),
        };
        if let Some(entry) = self.st.tasks.get_mut(&task_id) {
            entry.request = Some(request.clone());
        }
        self.st.outbox.push(Command::RunTask(request));
        frame.phase = Phase::Task {
            task_id,
            token: Some(token),
            resource: task.resource.clone(),
            timeout_at,
            heartbeat_seconds: heartbeat,
            heartbeat_at,
            outcome: None,
        };
        Flow::Blocked
    }

    /// A Task's `TimeoutSeconds` / `HeartbeatSeconds`: the JSONata expression of a JSONata state
    /// (`jsonata` is `Some`), else the JSONPath number or path.
    fn task_seconds(
        &mut self,
        frame: &Frame,
        state: &State,
        jsonata: Option<Option<&crate::jsonata::Query>>,
        jsonpath: Option<&Seconds>,
        effective: &Value,
        (field, path_field): (&str, &str),
    ) -> Result<Option<u64>, StateError> {
        match jsonata {
            Some(Some(q)) => self.query_uint(frame, state, q, field, 1).map(Some),
            Some(None) => Ok(None),
            None => self.seconds_value(frame, state, jsonpath, effective, path_field),
        }
    }

    pub(super) fn seconds_value(
        &self,
        frame: &Frame,
        state: &State,
        s: Option<&Seconds>,
        input: &Value,
        field: &str,
    ) -> Result<Option<u64>, StateError> {
        match s {
            None => Ok(None),
            Some(Seconds::Fixed(n)) => Ok(Some(*n)),
            Some(Seconds::Path(p)) => match self.resolve_path(frame, state, p, input) {
                Ok(v) => match v.as_u64().filter(|n| *n > 0) {
                    Some(n) => Ok(Some(n)),
                    None => Err(runtime(
                        state,
                        frame,
                        &format!(
                            "The {field} field references an invalid value: {v}. It must be a positive integer."
                        ),
                    )),
                },
                Err(e) => Err(path_error(&state.name, frame.entered_event, p, e)),
            },
        }
    }
}

/// The longest wait the service schedules: a delay must fit Java's `int` seconds (recorded against
/// Step Functions: a timestamp decades ahead fails with States.Runtime "Wait state delay is too
/// long.").
const MAX_WAIT_SECONDS: i64 = i32::MAX as i64;

const WAIT_TOO_LONG: &str = "Wait state delay is too long.";

/// A value as the service reads it as text (Jackson's `asText`): a string without quotes, anything
/// else as its JSON.
fn java_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// SecondsPath's value as the service reads it: the value's text parsed as a `long` (so `10` and
/// `"10"` wait ten seconds, `1.5` is refused), never negative. Causes recorded against Step
/// Functions: "The SecondsPath parameter references a negative value: $.path == -1", "The
/// SecondsPath parameter cannot be parsed as a long value: $.path == 1.5".
fn wait_seconds(v: &Value, path: &str) -> Result<u64, String> {
    let text = java_text(v);
    match text.parse::<i64>() {
        Ok(n) if n < 0 => Err(format!(
            "The SecondsPath parameter references a negative value: {path} == {text}"
        )),
        Ok(n) => Ok(n.unsigned_abs()),
        Err(_) => Err(format!(
            "The SecondsPath parameter cannot be parsed as a long value: {path} == {text}"
        )),
    }
}

fn wait_for_timestamp(now: DateTime<Utc>, t: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if (t - now).num_seconds() > MAX_WAIT_SECONDS {
        return Err(WAIT_TOO_LONG.to_owned());
    }
    Ok(t)
}

fn wait_until(now: DateTime<Utc>, seconds: u64) -> Result<DateTime<Utc>, String> {
    if seconds > MAX_WAIT_SECONDS.unsigned_abs() {
        return Err(WAIT_TOO_LONG.to_owned());
    }
    Ok(later(now, secs(seconds)))
}

/// A Wait state's deadline set on its frame (or its failure): blocked until then, or on at once
/// when it has passed.
fn wait_flow(
    frame: &mut Frame,
    until: Result<DateTime<Utc>, StateError>,
    now: DateTime<Utc>,
) -> Flow {
    match until {
        Ok(until) => {
            frame.phase = Phase::Wait {
                until,
                fired: until <= now,
            };
            if until <= now {
                Flow::Continue
            } else {
                Flow::Blocked
            }
        }
        Err(e) => Flow::Finished(Err(e)),
    }
}
