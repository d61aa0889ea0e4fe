//! [`FaultControl`], the façade the control API and `serve --faults` use: it checks a whole plan and
//! resolves its names before anything changes, then adds, lists and clears the Lambda faults,
//! rule-target faults and service delays (in memory: a restart clears every fault).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::error::ControlError;
use super::lambda::{LambdaEntry, LambdaFaults, fault_of, resolve_function};
use super::namespace::Namespace;
use super::plan::{FaultPlanDocument, trigger};
use super::service_delays::{DelayEntry, ServiceDelays, resolve_delay};
use super::targets::{TargetEntry, resolve_target};
use crate::lambda::{Fault, FaultPlan, LambdaService, Trigger};
use crate::services::context::Context;
use crate::services::events::{TargetFault, TargetFaults};

/// Every injected fault of a running stack.
pub struct FaultControl {
    stack: Arc<Context>,
    lambda: LambdaService,
    lambda_faults: Arc<LambdaFaults>,
    targets: Arc<TargetFaults>,
    target_entries: Mutex<Vec<TargetEntry>>,
    delays: Arc<ServiceDelays>,
    next_id: AtomicU64,
    /// Serialises `apply`, so a plan's resolution and insertion are not interleaved with another's.
    applying: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for FaultControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultControl").finish_non_exhaustive()
    }
}

/// A validated plan, ready to insert.
struct Resolved {
    lambda: Vec<(String, Fault, Trigger)>,
    targets: Vec<TargetEntry>,
    delays: Vec<(Namespace, Duration, Duration)>,
}

impl FaultControl {
    /// The control of a stack: installs its Lambda fault plan on `lambda`, sets rule-target faults
    /// in `targets` (the EventBridge service's), and owns `delays` (shared with the wrappers that
    /// apply them, see [`DelayedService`](super::DelayedService)).
    pub fn new(
        stack: Arc<Context>,
        lambda: LambdaService,
        targets: Arc<TargetFaults>,
        delays: Arc<ServiceDelays>,
    ) -> Arc<Self> {
        let lambda_faults = Arc::new(LambdaFaults::default());
        lambda.set_fault_plan(Arc::clone(&lambda_faults) as Arc<dyn FaultPlan>);
        Arc::new(Self {
            stack,
            lambda,
            lambda_faults,
            targets,
            target_entries: Mutex::new(Vec::new()),
            delays,
            next_id: AtomicU64::new(1),
            applying: tokio::sync::Mutex::new(()),
        })
    }

    /// The delays, for the wrappers that apply them.
    pub fn delays(&self) -> &Arc<ServiceDelays> {
        &self.delays
    }

    /// Validates the whole plan, then adds every fault of it (all or nothing). Returns what was
    /// added, in the shape of [`FaultControl::list`].
    pub async fn apply(&self, plan: &FaultPlanDocument) -> Result<Value, ControlError> {
        let _serial = self.applying.lock().await;
        let resolved = self.resolve(plan).await?;
        let mut added = json!({"lambda": [], "targets": [], "delays": []});
        {
            let mut entries = self.lambda_faults.lock();
            for (function, fault, trigger) in resolved.lambda {
                let entry = LambdaEntry {
                    id: self.next_id(),
                    function,
                    fault,
                    trigger,
                    attempts: 0,
                    fired: 0,
                };
                push(&mut added["lambda"], entry.view());
                entries.push(entry);
            }
        }
        let mut target_ids = Vec::new();
        {
            let mut entries = self.lock_targets();
            for mut entry in resolved.targets {
                entry.id = self.next_id();
                target_ids.push(entry.id);
                // One fault per target: a new one replaces the old (as in `TargetFaults`).
                entries.retain(|e| !(e.rule == entry.rule && e.target_id == entry.target_id));
                self.targets
                    .set(&entry.rule, &entry.target_id, entry.fault());
                entries.push(entry);
            }
        }
        for view in self.target_views() {
            if view["id"]
                .as_u64()
                .is_some_and(|id| target_ids.contains(&id))
            {
                push(&mut added["targets"], view);
            }
        }
        {
            let mut delays = self.delays.lock_write();
            for (namespace, base, jitter) in resolved.delays {
                let entry = DelayEntry {
                    id: self.next_id(),
                    base,
                    jitter,
                };
                push(&mut added["delays"], entry.view(namespace));
                delays.insert(namespace, entry);
            }
        }
        Ok(added)
    }

    /// Every fault in force: `{"lambda": [...], "targets": [...], "delays": [...]}` with ids, what
    /// was asked, and what is left (`remaining`; `attempts` / `fired` for functions).
    pub fn list(&self) -> Value {
        let lambda: Vec<Value> = self.lambda_faults.lock().iter().map(|e| e.view()).collect();
        let delays = self.delays.views();
        json!({"lambda": lambda, "targets": self.target_views(), "delays": delays})
    }

    /// Removes every fault.
    pub fn clear_all(&self) {
        self.lambda_faults.lock().clear();
        self.lock_targets().clear();
        self.targets.clear_all();
        self.delays.lock_write().clear();
    }

    /// Removes the fault `id`.
    pub fn clear(&self, id: u64) -> Result<(), ControlError> {
        {
            let mut entries = self.lambda_faults.lock();
            if let Some(at) = entries.iter().position(|e| e.id == id) {
                entries.remove(at);
                return Ok(());
            }
        }
        {
            let mut entries = self.lock_targets();
            if let Some(at) = entries.iter().position(|e| e.id == id) {
                let entry = entries.remove(at);
                self.targets.clear(&entry.rule, &entry.target_id);
                return Ok(());
            }
        }
        let mut delays = self.delays.lock_write();
        let found = delays.iter().find(|(_, e)| e.id == id).map(|(ns, _)| *ns);
        match found {
            Some(ns) => {
                delays.remove(&ns);
                Ok(())
            }
            None => Err(ControlError::NotFound(id)),
        }
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }

    fn lock_targets(&self) -> std::sync::MutexGuard<'_, Vec<TargetEntry>> {
        self.target_entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn target_views(&self) -> Vec<Value> {
        let live: Vec<(String, String, TargetFault)> = self.targets.list();
        self.lock_targets().iter().map(|e| e.view(&live)).collect()
    }
    /// Checks every entry and resolves names (functions, rules) before anything changes.
    async fn resolve(&self, plan: &FaultPlanDocument) -> Result<Resolved, ControlError> {
        let mut lambda = Vec::new();
        for (i, spec) in plan.lambda.iter().enumerate() {
            let at = format!("lambda[{i}]");
            let fault = fault_of(&at, spec)?;
            let trigger = trigger(&at, spec.count, spec.rate)?;
            let function = resolve_function(&self.stack, &self.lambda, &at, &spec.function)?;
            lambda.push((function, fault, trigger));
        }
        let mut targets = Vec::new();
        for (i, spec) in plan.targets.iter().enumerate() {
            targets.push(resolve_target(&self.stack, &format!("targets[{i}]"), spec).await?);
        }
        let mut delays = Vec::new();
        for (i, spec) in plan.delays.iter().enumerate() {
            delays.push(resolve_delay(&format!("delays[{i}]"), spec)?);
        }
        Ok(Resolved {
            lambda,
            targets,
            delays,
        })
    }
}

fn push(list: &mut Value, item: Value) {
    if let Value::Array(items) = list {
        items.push(item);
    }
}
