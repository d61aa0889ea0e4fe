//! Timers, frames and children: what fires when `advance` reaches a deadline, how a frame (the
//! top level, a Parallel branch, a Map iteration) runs until it blocks, and how a finished child
//! hands its result to its Parallel or Map state.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::*;

/// Why an execution ends before its states do.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ending {
    /// StopExecution.
    Stopped,
    /// `TimeoutSeconds` of the state machine ran out.
    TimedOut,
}

impl Execution {
    pub(super) fn fire_timers(&mut self, now: DateTime<Utc>) {
        if let Some(d) = self.st.deadline
            && d <= now
        {
            self.abort_execution(
                Ending::TimedOut,
                Some(errors::TIMEOUT.to_string()),
                Some("The execution timed out".to_string()),
                now,
            );
            return;
        }
        let mut due: Vec<(DateTime<Utc>, u64)> = Vec::new();
        for (id, f) in &self.st.frames {
            match &f.phase {
                Phase::Task {
                    timeout_at,
                    heartbeat_at,
                    outcome: None,
                    ..
                } => {
                    let t = [*timeout_at, *heartbeat_at].into_iter().flatten().min();
                    if let Some(t) = t
                        && t <= now
                    {
                        due.push((t, *id));
                    }
                }
                Phase::RetryWait { until }
                | Phase::Wait {
                    until,
                    fired: false,
                } if *until <= now => {
                    due.push((*until, *id));
                }
                _ => {}
            }
        }
        due.sort();
        for (_, fid) in due {
            let Some(f) = self.st.frames.get_mut(&fid) else {
                continue;
            };
            match &mut f.phase {
                Phase::RetryWait { .. } => {
                    f.phase = Phase::Start;
                    self.st.ready.push_back(fid);
                }
                Phase::Wait { fired, .. } => {
                    *fired = true;
                    self.st.ready.push_back(fid);
                }
                Phase::Task {
                    task_id,
                    token,
                    resource,
                    timeout_at,
                    ..
                } => {
                    let timed_out = timeout_at.is_some_and(|t| t <= now);
                    let error = if timed_out {
                        errors::TIMEOUT
                    } else {
                        errors::HEARTBEAT_TIMEOUT
                    };
                    let (task_id, token, resource) = (*task_id, token.clone(), resource.clone());
                    let last = f.last_event;
                    self.forget_task(task_id);
                    self.st.outbox.push(Command::CancelTask {
                        task_id,
                        task_token: token,
                    });
                    let err = StateError::new(error, "");
                    let (ty, details) = match Integration::of(&resource) {
                        Integration::LambdaFunction => (
                            EventType::LambdaFunctionTimedOut,
                            EventDetails::LambdaFunctionTimedOut(error_details(&err)),
                        ),
                        Integration::Activity => (
                            EventType::ActivityTimedOut,
                            EventDetails::ActivityTimedOut(error_details(&err)),
                        ),
                        _ => {
                            let (rt, r) = resource_names(&resource);
                            (
                                EventType::TaskTimedOut,
                                EventDetails::TaskTimedOut(TaskErrorDetails {
                                    resource_type: rt,
                                    resource: r,
                                    error: Some(error.to_string()),
                                    cause: None,
                                }),
                            )
                        }
                    };
                    let was = self.quiet_for(fid);
                    let id = self.emit(now, ty, last, Some(details));
                    self.quiet = was;
                    if let Some(f) = self.st.frames.get_mut(&fid) {
                        f.last_event = id;
                        if let Phase::Task { outcome, .. } = &mut f.phase {
                            *outcome = Some(TaskOutcome::Failed(err));
                        }
                    }
                    self.st.ready.push_back(fid);
                }
                _ => {}
            }
        }
    }

    /// Ends a running execution early (StopExecution or its timeout): aborts every top-level frame
    /// (and so everything below), records `ExecutionAborted` / `ExecutionTimedOut` with `error` and
    /// `cause`, and ends with the matching status.
    pub(super) fn abort_execution(
        &mut self,
        ending: Ending,
        error: Option<String>,
        cause: Option<String>,
        now: DateTime<Utc>,
    ) {
        let def = Arc::clone(&self.def);
        let roots: Vec<u64> = self
            .st
            .frames
            .iter()
            .filter(|(_, f)| f.parent.is_none())
            .map(|(id, _)| *id)
            .collect();
        if let Some(root) = roots.first().and_then(|id| self.st.frames.get(id)) {
            // A Parallel / Map stopped while running: its branches that finished are kept.
            let children = match &root.phase {
                Phase::Children(ch) if ch.map_run.is_none() => Some(Box::new(DoneChildren {
                    results: ch.results.clone(),
                    succeeded: ch.succeeded.clone(),
                })),
                _ => None,
            };
            self.st.redrive_point = Some(RedrivePoint {
                state: root.state,
                input: root.input.clone(),
                vars: root.vars.clone(),
                children,
            });
        }
        for fid in roots {
            self.abort_frame(&def, fid, now);
        }
        let details = ErrorDetails {
            error: error.clone(),
            cause: cause.clone(),
        };
        let (status, event, details) = match ending {
            Ending::Stopped => (
                ExecutionStatus::Aborted,
                EventType::ExecutionAborted,
                EventDetails::ExecutionAborted(details),
            ),
            Ending::TimedOut => (
                ExecutionStatus::TimedOut,
                EventType::ExecutionTimedOut,
                EventDetails::ExecutionTimedOut(details),
            ),
        };
        let last = self.st.next_event - 1;
        self.emit(now, event, last, Some(details));
        self.end(status, None, error, cause, now);
    }

    /// Removes a frame and everything below it, cancelling tasks and recording Aborted events.
    pub(super) fn abort_frame(&mut self, def: &Definition, fid: u64, now: DateTime<Utc>) {
        let was = self.quiet_for(fid);
        self.abort_frame_quietly(def, fid, now);
        self.quiet = was;
    }

    fn abort_frame_quietly(&mut self, def: &Definition, fid: u64, now: DateTime<Utc>) {
        let Some(frame) = self.st.frames.remove(&fid) else {
            return;
        };
        self.st.ready.retain(|r| *r != fid);
        let name = machine_at(def, &frame.machine)
            .and_then(|m| m.states.get(frame.state))
            .map(|s| (s.name.clone(), s.kind.type_name()));
        let mut aborted_type = None;
        match &frame.phase {
            Phase::Task {
                task_id,
                token,
                outcome,
                ..
            } => {
                if outcome.is_none() {
                    self.forget_task(*task_id);
                    self.st.outbox.push(Command::CancelTask {
                        task_id: *task_id,
                        task_token: token.clone(),
                    });
                }
                aborted_type = Some(EventType::TaskStateAborted);
            }
            Phase::Wait { .. } => aborted_type = Some(EventType::WaitStateAborted),
            Phase::RetryWait { .. } => {
                aborted_type = name.as_ref().and_then(|(_, t)| match *t {
                    "Task" => Some(EventType::TaskStateAborted),
                    "Parallel" => Some(EventType::ParallelStateAborted),
                    "Map" => Some(EventType::MapStateAborted),
                    _ => None,
                });
            }
            Phase::Children(ch) => {
                let running: Vec<u64> = ch.running.iter().copied().collect();
                for c in running {
                    let info = self
                        .st
                        .frames
                        .get(&c)
                        .map(|f| (f.last_event, f.parent.as_ref().map_or(0, |p| p.slot)));
                    self.abort_frame(def, c, now);
                    if ch.map_run.is_some() {
                        continue;
                    }
                    if let (ChildKind::Map, Some((last, index))) = (&ch.kind, info) {
                        let name = name.as_ref().map(|(n, _)| n.clone()).unwrap_or_default();
                        self.emit(
                            now,
                            EventType::MapIterationAborted,
                            last,
                            Some(EventDetails::MapIterationAborted(MapIterationDetails {
                                name,
                                index: index as u64,
                            })),
                        );
                    }
                }
                if ch.map_run.is_some() {
                    let state_name = name.as_ref().map(|(n, _)| n.clone()).unwrap_or_default();
                    self.record_map_run(&frame.phase, &state_name, "ABORTED", now);
                }
                aborted_type = Some(match ch.kind {
                    ChildKind::Parallel => EventType::ParallelStateAborted,
                    ChildKind::Map if ch.map_run.is_some() => EventType::MapRunAborted,
                    ChildKind::Map => EventType::MapStateAborted,
                });
            }
            _ => {}
        }
        if let Some(ty) = aborted_type {
            self.emit(now, ty, frame.last_event, None);
        }
    }

    pub(super) fn run_frame(
        &mut self,
        def: &Definition,
        fid: u64,
        now: DateTime<Utc>,
        budget: &mut u64,
    ) {
        loop {
            if self.st.status != ExecutionStatus::Running {
                return;
            }
            if self.history_full(now) {
                return;
            }
            if self.turn_bytes > TURN_BYTES {
                *budget = 0;
            }
            if *budget == 0 {
                self.st.ready.push_front(fid);
                return;
            }
            *budget -= 1;
            let Some(mut frame) = self.st.frames.remove(&fid) else {
                return;
            };
            self.quiet = frame.quiet;
            let flow = match machine_at(def, &frame.machine).and_then(|m| m.states.get(frame.state))
            {
                Some(state) => self.step(def, fid, &mut frame, state, now),
                None => Flow::Finished(Err(StateError::new(errors::RUNTIME, "Unknown state"))),
            };
            self.quiet = false;
            match flow {
                Flow::Continue => {
                    self.st.frames.insert(fid, frame);
                }
                Flow::Blocked => {
                    self.st.frames.insert(fid, frame);
                    return;
                }
                Flow::Finished(result) => {
                    self.quiet = frame.quiet;
                    self.frame_finished(def, fid, frame, result, now);
                    self.quiet = false;
                    return;
                }
            }
        }
    }

    pub(super) fn frame_finished(
        &mut self,
        def: &Definition,
        fid: u64,
        frame: Frame,
        result: Result<Value, StateError>,
        now: DateTime<Utc>,
    ) {
        match frame.parent {
            None => match result {
                Ok(output) => {
                    self.emit(
                        now,
                        EventType::ExecutionSucceeded,
                        frame.last_event,
                        Some(EventDetails::ExecutionSucceeded(OutputDetails {
                            output: Some(json_text(&output)),
                            output_details: DataDetails::default(),
                        })),
                    );
                    self.end(ExecutionStatus::Succeeded, Some(output), None, None, now);
                }
                Err(e) => {
                    self.st.redrive_point = Some(RedrivePoint {
                        state: frame.state,
                        input: frame.input,
                        vars: frame.vars,
                        children: frame.redrive_children,
                    });
                    let d = error_details(&e);
                    self.emit(
                        now,
                        EventType::ExecutionFailed,
                        frame.last_event,
                        Some(EventDetails::ExecutionFailed(d.clone())),
                    );
                    self.end(ExecutionStatus::Failed, None, d.error, d.cause, now);
                }
            },
            Some(link) => self.child_finished(def, fid, link, frame.last_event, result, now),
        }
    }

    pub(super) fn child_finished(
        &mut self,
        def: &Definition,
        child_fid: u64,
        link: ParentLink,
        child_last: u64,
        result: Result<Value, StateError>,
        now: DateTime<Utc>,
    ) {
        let was = self.quiet_for(link.frame);
        let map_run = matches!(
            self.st.frames.get(&link.frame).map(|f| &f.phase),
            Some(Phase::Children(ch)) if ch.map_run.is_some()
        );
        if map_run {
            self.map_run_child_finished(def, child_fid, link, result, now);
        } else {
            self.branch_finished(def, child_fid, link, child_last, result, now);
        }
        self.quiet = was;
    }

    /// A Parallel branch or an inline Map iteration ended.
    fn branch_finished(
        &mut self,
        def: &Definition,
        child_fid: u64,
        link: ParentLink,
        child_last: u64,
        result: Result<Value, StateError>,
        now: DateTime<Utc>,
    ) {
        let Some(parent) = self.st.frames.get(&link.frame) else {
            return;
        };
        let map_name = machine_at(def, &parent.machine)
            .and_then(|m| m.states.get(parent.state))
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let Phase::Children(ch) = &parent.phase else {
            return;
        };
        let is_map = ch.kind == ChildKind::Map;
        match result {
            Ok(v) => {
                let mut iteration_event = None;
                if is_map {
                    iteration_event = Some(self.emit(
                        now,
                        EventType::MapIterationSucceeded,
                        child_last,
                        Some(EventDetails::MapIterationSucceeded(MapIterationDetails {
                            name: map_name.clone(),
                            index: link.slot as u64,
                        })),
                    ));
                }
                let mut to_start = None;
                let mut all_done = false;
                if let Some(Frame {
                    phase: Phase::Children(ch),
                    last_event,
                    ..
                }) = self.st.frames.get_mut(&link.frame)
                {
                    if let Some(slot) = ch.results.get_mut(link.slot) {
                        *slot = v;
                    }
                    ch.succeeded.insert(link.slot);
                    ch.done += 1;
                    ch.running.remove(&child_fid);
                    if let Some(id) = iteration_event {
                        *last_event = id;
                    }
                    if ch.max_concurrency == 0 || ch.running.len() < ch.max_concurrency {
                        to_start = ch.pending.pop_front();
                    }
                    all_done = ch.done == ch.results.len();
                }
                if let Some((index, input)) = to_start {
                    self.start_iteration(def, link.frame, index, input, now);
                }
                if all_done {
                    self.st.ready.push_back(link.frame);
                }
            }
            Err(e) => {
                if is_map {
                    self.emit(
                        now,
                        EventType::MapIterationFailed,
                        child_last,
                        Some(EventDetails::MapIterationFailed(MapIterationDetails {
                            name: map_name.clone(),
                            index: link.slot as u64,
                        })),
                    );
                }
                let running: Vec<u64> = match self.st.frames.get(&link.frame).map(|f| &f.phase) {
                    Some(Phase::Children(ch)) => ch
                        .running
                        .iter()
                        .copied()
                        .filter(|c| self.st.frames.contains_key(c))
                        .collect(),
                    _ => Vec::new(),
                };
                for c in running {
                    let index = self
                        .st
                        .frames
                        .get(&c)
                        .and_then(|f| f.parent.as_ref())
                        .map_or(0, |p| p.slot);
                    let last = self.st.frames.get(&c).map_or(0, |f| f.last_event);
                    self.abort_frame(def, c, now);
                    if is_map {
                        self.emit(
                            now,
                            EventType::MapIterationAborted,
                            last,
                            Some(EventDetails::MapIterationAborted(MapIterationDetails {
                                name: map_name.clone(),
                                index: index as u64,
                            })),
                        );
                    }
                }
                if let Some(f) = self.st.frames.get_mut(&link.frame) {
                    if let Phase::Children(ch) = &f.phase {
                        f.redrive_children = Some(Box::new(DoneChildren {
                            results: ch.results.clone(),
                            succeeded: ch.succeeded.clone(),
                        }));
                    }
                    f.phase = Phase::ChildrenFailed(e);
                }
                self.st.ready.push_back(link.frame);
            }
        }
    }

    pub(super) fn start_iteration(
        &mut self,
        def: &Definition,
        parent: u64,
        index: u64,
        input: Value,
        now: DateTime<Utc>,
    ) {
        let Some(p) = self.st.frames.get(&parent) else {
            return;
        };
        let (state_idx, mut machine_path, last) = (p.state, p.machine.clone(), p.last_event);
        let Some(StateKind::Map(spec)) = machine_at(def, &machine_path)
            .and_then(|m| m.states.get(state_idx))
            .map(|s| &s.kind)
        else {
            return;
        };
        let name = machine_at(def, &machine_path)
            .and_then(|m| m.states.get(state_idx))
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let start_at = spec.processor.start_at;
        // A Distributed Map's iterations are child executions: no iteration events here.
        let map_run = matches!(&p.phase, Phase::Children(ch) if ch.map_run.is_some());
        let started = if map_run {
            last
        } else {
            self.emit(
                now,
                EventType::MapIterationStarted,
                last,
                Some(EventDetails::MapIterationStarted(MapIterationDetails {
                    name,
                    index,
                })),
            )
        };
        machine_path.push((state_idx, 0));
        let slot = usize::try_from(index).unwrap_or(usize::MAX);
        let child = self.spawn(
            machine_path,
            Some(ParentLink {
                frame: parent,
                slot,
            }),
            start_at,
            input,
            started,
            now,
        );
        if map_run && let Some(f) = self.st.frames.get_mut(&child) {
            f.quiet = true;
        }
        if map_run
            && let Some(Frame {
                phase: Phase::Children(ch),
                ..
            }) = self.st.frames.get_mut(&parent)
            && let Some(run) = ch.map_run.as_deref_mut()
        {
            run.started_children += 1;
        }
        if let Some(Frame {
            phase: Phase::Children(ch),
            last_event,
            ..
        }) = self.st.frames.get_mut(&parent)
        {
            ch.running.insert(child);
            *last_event = started;
        }
    }
}
