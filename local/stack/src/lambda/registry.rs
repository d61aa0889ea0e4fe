//! The state every clone of a [`LambdaService`](super::LambdaService) shares: the function table
//! (register, replace, remove, resolve a `FunctionName` and qualifier), the sinks for logs and
//! failed events, the fault plan, and the bookkeeping of the asynchronous queue.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::Notify;

use super::async_queue::AsyncEventStore;
use super::config::{FunctionConfig, LambdaConfig};
use super::dead_letter::DeadLetterSink;
use super::error::LambdaError;
use super::faults::{Fault, FaultPlan, NoFaults};
use super::function::Function;
use super::logs::LogSink;
use super::names::{FunctionRef, function_arn};

pub(super) struct Registry {
    pub(super) config: LambdaConfig,
    functions: RwLock<BTreeMap<String, Arc<Function>>>,
    pub(super) logs: Arc<dyn LogSink>,
    pub(super) dead_letters: Arc<dyn DeadLetterSink>,
    faults: RwLock<Arc<dyn FaultPlan>>,
    pub(super) async_pending: AtomicUsize,
    pub(super) async_idle: Notify,
    pub(super) async_tasks: Mutex<tokio::task::JoinSet<()>>,
    pub(super) async_store: RwLock<Option<Arc<dyn AsyncEventStore>>>,
}

impl Registry {
    pub(super) fn new(
        config: LambdaConfig,
        logs: Arc<dyn LogSink>,
        dead_letters: Arc<dyn DeadLetterSink>,
    ) -> Self {
        Self {
            config,
            functions: RwLock::new(BTreeMap::new()),
            logs,
            dead_letters,
            faults: RwLock::new(Arc::new(NoFaults)),
            async_pending: AtomicUsize::new(0),
            async_idle: Notify::new(),
            async_tasks: Mutex::new(tokio::task::JoinSet::new()),
            async_store: RwLock::new(None),
        }
    }

    /// The store of accepted asynchronous invocations, if one is set.
    pub(super) fn store(&self) -> Option<Arc<dyn AsyncEventStore>> {
        self.async_store.read().ok().and_then(|s| s.clone())
    }

    /// Installs the fault plan consulted on every invocation attempt.
    pub(super) fn set_fault_plan(&self, plan: Arc<dyn FaultPlan>) {
        if let Ok(mut faults) = self.faults.write() {
            *faults = plan;
        }
    }

    /// The fault of this attempt, if the plan has one for the function.
    pub(super) fn fault_for(&self, name: &str) -> Option<Fault> {
        self.faults
            .read()
            .ok()
            .and_then(|plan| plan.fault_for(name))
    }

    /// Creates a function, or replaces one of the same name. As after
    /// UpdateFunctionCode, invocations in flight finish on the old instances;
    /// the next invocation cold-starts the new configuration, and the old
    /// instances are killed once nothing uses them (dropping an instance kills it).
    pub(super) fn register(&self, config: FunctionConfig) -> Result<(), LambdaError> {
        config.validate()?;
        let function = Arc::new(Function::new(config, &self.config));
        let old = self
            .functions
            .write()
            .map_err(|_| LambdaError::Service("function table poisoned".into()))?
            .insert(function.config.name.clone(), function);
        if let Some(old) = old {
            old.retire();
        }
        Ok(())
    }

    /// Removes a function (DeleteFunction); false when there was none.
    pub(super) fn unregister(&self, name: &str) -> bool {
        let old = self.functions.write().ok().and_then(|mut f| f.remove(name));
        old.map(|f| f.retire()).is_some()
    }

    pub(super) fn lookup_name(&self, name: &str) -> Option<Arc<Function>> {
        self.functions.read().ok()?.get(name).cloned()
    }

    /// Resolves a `FunctionName` (name, partial ARN or ARN) and qualifier.
    pub(super) fn resolve(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> Result<Arc<Function>, LambdaError> {
        let r = FunctionRef::parse(function_name)?;
        let qualifier = match (r.qualifier.as_deref(), qualifier) {
            (Some(a), Some(b)) if a != b => {
                return Err(LambdaError::InvalidParameterValue(
                    "The derived qualifier from the function name does not match the specified qualifier.".into(),
                ));
            }
            (a, b) => a.or(b),
        };
        let c = &self.config;
        let region = r.region.as_deref().unwrap_or(&c.region);
        let account = r.account.as_deref().unwrap_or(&c.account_id);
        let mut arn = function_arn(region, account, &r.name);
        if let Some(q) = qualifier {
            arn.push(':');
            arn.push_str(q);
        }
        let not_found = || LambdaError::ResourceNotFound { arn: arn.clone() };
        if region != c.region || account != c.account_id {
            return Err(not_found());
        }
        // Only `$LATEST` exists locally: no versions or aliases are published.
        if qualifier.is_some_and(|q| q != "$LATEST") {
            return Err(not_found());
        }
        self.lookup_name(&r.name).ok_or_else(not_found)
    }

    /// Every function, sorted by name.
    pub(super) fn functions(&self) -> Vec<Arc<Function>> {
        self.functions
            .read()
            .map(|f| f.values().cloned().collect())
            .unwrap_or_default()
    }
}
