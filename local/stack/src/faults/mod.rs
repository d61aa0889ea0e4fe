//! Fault injection at the platform level: the functions' code and the template stay as they are,
//! the stack itself misbehaves.
//!
//! - **Lambda**: a named function fails with an unhandled error (`errorType`, `errorMessage`), its
//!   process crashes (`Runtime.ExitError`), the invocation times out (`Sandbox.Timedout`) or Invoke is
//!   throttled (`TooManyRequestsException`), for the next `count` attempts or a `rate` of them.
//! - **Rule targets**: a target of a rule fails its delivery attempts (`ERROR_CODE` / `ERROR_MESSAGE`
//!   of your choice, retryable or not), so the rule's retry policy and dead-letter queue take over.
//! - **Service delays**: every request to one API namespace waits a fixed time (plus an optional
//!   uniform jitter) before the operation runs.
//!
//! [`FaultControl`] holds them (in memory: a restart clears every fault) and serves the control API,
//! `/_local/faults` on the stack's own port ([`api`]); `fault ...` ([`cli`]) calls it over HTTP
//! ([`client`]); `serve --faults FILE.json` starts with a plan ([`FaultPlanDocument`], the
//! same JSON as `POST /_local/faults`).

pub mod api;
pub mod client;
mod delay;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::clock::SharedClock;
use crate::lambda::{Fault, FaultPlan, FunctionRef, LambdaService, Trigger};
use crate::services::context::Context;
use crate::services::events::{InjectedError, TargetFault, TargetFaults};
use crate::store::eventbridge;

pub use delay::{DelayedInvoker, DelayedPublisher, DelayedService, DelayedStarter, delay_layer};

/// Longest delay (base plus jitter) the API accepts: five minutes, longer than any SDK's default
/// read timeout, so a delay can make a client time out but never hangs a request for good.
pub const MAX_DELAY_MS: u64 = 300_000;

/// Why a control request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ControlError {
    /// The request is not a valid fault plan (shape, types, values).
    #[error("{0}")]
    Validation(String),
    /// No function of that name, logical id or ARN.
    #[error("{0}")]
    UnknownFunction(String),
    /// No such rule, or no such target on it.
    #[error("{0}")]
    UnknownRuleTarget(String),
    /// No fault with that id.
    #[error("no fault with id {0}")]
    NotFound(u64),
    /// The state store failed while resolving a rule.
    #[error("{0}")]
    Internal(String),
}

impl ControlError {
    /// The `code` of the JSON error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "ValidationError",
            Self::UnknownFunction(_) => "UnknownFunction",
            Self::UnknownRuleTarget(_) => "UnknownRuleTarget",
            Self::NotFound(_) => "FaultNotFound",
            Self::Internal(_) => "InternalError",
        }
    }

    /// HTTP status: 400 for a bad request, 404 for an unknown id, 500 for the store.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound(_) => 404,
            Self::Internal(_) => 500,
            _ => 400,
        }
    }

    /// `{"code": ..., "message": ...}`.
    pub fn body(&self) -> Value {
        json!({"code": self.code(), "message": self.to_string()})
    }
}

fn invalid(message: impl Into<String>) -> ControlError {
    ControlError::Validation(message.into())
}

// ------------------------------------------------------------------------------------------------
// The plan document (request JSON)
// ------------------------------------------------------------------------------------------------

/// A set of faults to add: the body of `POST /_local/faults` and the file of `serve --faults`.
///
/// ```json
/// {"lambda":  [{"function": "IdentityCheckFunction", "fault": "error",
///               "errorType": "Retryable", "errorMessage": "downstream 503", "count": 2}],
///  "targets": [{"rule": "app-app-events-to-accounts", "targetId": "accounts-log-group", "rate": 1.0}],
///  "delays":  [{"service": "stepfunctions", "ms": 200, "jitterMs": 50}]}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FaultPlanDocument {
    /// Function faults.
    pub lambda: Vec<LambdaFaultSpec>,
    /// Rule-target faults.
    pub targets: Vec<TargetFaultSpec>,
    /// Service delays.
    pub delays: Vec<DelaySpec>,
}

/// One function fault as requested.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LambdaFaultSpec {
    /// Function name (`FunctionName`), template logical id, or ARN.
    pub function: String,
    /// `error`, `crash`, `timeout` or `throttle`.
    pub fault: String,
    /// With `error`: the `errorType` the caller sees (e.g. `Retryable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// With `error`: the `errorMessage` (default `Injected fault`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Fail the next `count` attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Fail this share of attempts (0 < rate <= 1), deterministically: attempt k fails when
    /// `floor(k * rate)` grows (0.5 fails every second attempt, 1 every attempt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

/// One rule-target fault as requested.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetFaultSpec {
    /// Event bus of the rule (name); needed only when two buses have a rule of that name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
    /// Rule name or template logical id.
    pub rule: String,
    /// Target `Id`.
    pub target_id: String,
    /// `fail` (the default): delivery attempts fail. `duplicate`: deliveries succeed and the target
    /// gets the event a second time, as EventBridge's at-least-once delivery allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// Fail the next `count` delivery attempts (with `duplicate`: duplicate the next `count` deliveries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Fail each attempt with this probability (0 < rate <= 1; seeded, so runs repeat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// `ERROR_CODE` of the dead-letter message (default `ThrottlingException`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `ERROR_MESSAGE` of the dead-letter message (default `Rate exceeded (injected fault)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Whether the retry policy applies (default `true`); `false` sends the event to the
    /// dead-letter queue at the first failure, as a permissions error does on AWS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
}

/// One service delay as requested.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DelaySpec {
    /// `stepfunctions`, `events`, `logs`, `lambda` or `sqs` (or the `X-Amz-Target` prefix).
    pub service: String,
    /// Added latency in milliseconds.
    pub ms: u64,
    /// Up to this many more milliseconds, uniformly drawn per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<u64>,
}

impl FaultPlanDocument {
    /// Parses a request body. Each entry is read on its own, so an error names where it is
    /// (`lambda[1]: unknown field ...`).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ControlError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| invalid(format!("the body is not valid JSON: {e}")))?;
        Self::from_json(&value)
    }

    /// Parses a JSON value (an object with `lambda`, `targets`, `delays`, each an array; all optional).
    pub fn from_json(value: &Value) -> Result<Self, ControlError> {
        let Value::Object(map) = value else {
            return Err(invalid(
                "a fault plan is a JSON object with \"lambda\", \"targets\" and \"delays\" arrays",
            ));
        };
        if let Some(key) = map
            .keys()
            .find(|k| !matches!(k.as_str(), "lambda" | "targets" | "delays"))
        {
            return Err(invalid(format!(
                "unknown key \"{key}\" (expected \"lambda\", \"targets\" or \"delays\")"
            )));
        }
        fn entries<T: serde::de::DeserializeOwned>(
            map: &serde_json::Map<String, Value>,
            key: &str,
        ) -> Result<Vec<T>, ControlError> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        T::deserialize(item).map_err(|e| invalid(format!("{key}[{i}]: {e}")))
                    })
                    .collect(),
                Some(_) => Err(invalid(format!("\"{key}\" must be an array"))),
            }
        }
        let document = Self {
            lambda: entries(map, "lambda")?,
            targets: entries(map, "targets")?,
            delays: entries(map, "delays")?,
        };
        if document.lambda.is_empty() && document.targets.is_empty() && document.delays.is_empty() {
            return Err(invalid(
                "the plan has no fault: give at least one of \"lambda\", \"targets\", \"delays\"",
            ));
        }
        Ok(document)
    }
}

/// `count` xor `rate`, checked.
fn trigger(where_: &str, count: Option<u32>, rate: Option<f64>) -> Result<Trigger, ControlError> {
    match (count, rate) {
        (Some(_), Some(_)) => Err(invalid(format!("{where_}: give count or rate, not both"))),
        (None, None) => Err(invalid(format!(
            "{where_}: give count (the next N attempts) or rate (a share of attempts; 1 fails every attempt)"
        ))),
        (Some(0), None) => Err(invalid(format!("{where_}: count must be at least 1"))),
        (Some(n), None) => Ok(Trigger::Next(n)),
        (None, Some(r)) if r.is_finite() && r > 0.0 && r <= 1.0 => Ok(Trigger::Rate(r)),
        (None, Some(r)) => Err(invalid(format!(
            "{where_}: rate must be greater than 0 and at most 1 (got {r})"
        ))),
    }
}

/// The API namespaces a delay applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Namespace {
    /// `AWSStepFunctions`.
    StepFunctions,
    /// `AWSEvents`.
    Events,
    /// `Logs_20140328`.
    Logs,
    /// `/2015-03-31/functions/...`.
    Lambda,
    /// `AmazonSQS`.
    Sqs,
}

impl Namespace {
    /// Every namespace.
    pub const ALL: [Namespace; 5] = [
        Self::StepFunctions,
        Self::Events,
        Self::Logs,
        Self::Lambda,
        Self::Sqs,
    ];

    /// The name used in the API and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Self::StepFunctions => "stepfunctions",
            Self::Events => "events",
            Self::Logs => "logs",
            Self::Lambda => "lambda",
            Self::Sqs => "sqs",
        }
    }

    /// A name, an AWS CLI service name or an `X-Amz-Target` prefix, any case.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "stepfunctions" | "step-functions" | "states" | "sfn" | "awsstepfunctions" => {
                Some(Self::StepFunctions)
            }
            "events" | "eventbridge" | "awsevents" => Some(Self::Events),
            "logs" | "cloudwatchlogs" | "logs_20140328" => Some(Self::Logs),
            "lambda" => Some(Self::Lambda),
            "sqs" | "amazonsqs" => Some(Self::Sqs),
            _ => None,
        }
    }

    /// The namespace of a JSON service, by its `X-Amz-Target` prefix.
    pub fn of_target_prefix(prefix: &str) -> Option<Self> {
        match prefix {
            "AWSStepFunctions" => Some(Self::StepFunctions),
            "AWSEvents" => Some(Self::Events),
            "Logs_20140328" => Some(Self::Logs),
            "AmazonSQS" => Some(Self::Sqs),
            _ => None,
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Lambda faults
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct LambdaEntry {
    id: u64,
    function: String,
    fault: Fault,
    trigger: Trigger,
    /// Attempts this entry was consulted on.
    attempts: u64,
    /// Attempts it failed.
    fired: u64,
}

impl LambdaEntry {
    fn exhausted(&self) -> bool {
        matches!(self.trigger, Trigger::Next(n) if self.fired >= u64::from(n))
    }

    fn view(&self) -> Value {
        let mut v = json!({"id": self.id, "function": self.function});
        match &self.fault {
            Fault::Error {
                error_type,
                error_message,
            } => {
                v["fault"] = json!("error");
                v["errorType"] = json!(error_type);
                v["errorMessage"] = json!(error_message);
            }
            Fault::Crash => v["fault"] = json!("crash"),
            Fault::Timeout => v["fault"] = json!("timeout"),
            Fault::Throttle => v["fault"] = json!("throttle"),
        }
        match self.trigger {
            Trigger::Next(n) => {
                v["count"] = json!(n);
                v["remaining"] = json!(u64::from(n).saturating_sub(self.fired));
            }
            Trigger::Rate(r) => v["rate"] = json!(r),
        }
        v["attempts"] = json!(self.attempts);
        v["fired"] = json!(self.fired);
        v
    }
}

/// The [`FaultPlan`] the Lambda service consults on every invocation attempt: the faults of that
/// function in the order they were added; the first that fires wins and the later ones do not see
/// the attempt. A `count` fault fires on the next `count` attempts it sees, then stays listed
/// (`remaining: 0`) until cleared.
#[derive(Debug, Default)]
pub struct LambdaFaults {
    entries: Mutex<Vec<LambdaEntry>>,
}

impl LambdaFaults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LambdaEntry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl FaultPlan for LambdaFaults {
    fn fault_for(&self, function_name: &str) -> Option<Fault> {
        let mut entries = self.lock();
        for entry in entries
            .iter_mut()
            .filter(|e| e.function == function_name && !e.exhausted())
        {
            entry.attempts += 1;
            let fires = match entry.trigger {
                Trigger::Next(_) => true,
                rate @ Trigger::Rate(_) => rate.fires_on(entry.attempts),
            };
            if fires {
                entry.fired += 1;
                return Some(entry.fault.clone());
            }
        }
        None
    }
}

// ------------------------------------------------------------------------------------------------
// Service delays
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct DelayEntry {
    id: u64,
    base: Duration,
    jitter: Duration,
}

/// The delays in force, by namespace (one each; setting one again replaces it).
#[derive(Debug)]
pub struct ServiceDelays {
    delays: RwLock<BTreeMap<Namespace, DelayEntry>>,
    rng: Mutex<StdRng>,
}

impl Default for ServiceDelays {
    fn default() -> Self {
        Self {
            delays: RwLock::new(BTreeMap::new()),
            rng: Mutex::new(StdRng::seed_from_u64(0x6661_756c_7473)),
        }
    }
}

impl ServiceDelays {
    /// The delay of the next request to `namespace`, if one is set.
    pub fn sample(&self, namespace: Namespace) -> Option<Duration> {
        let entry = *self
            .delays
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&namespace)?;
        let jitter_ms = u64::try_from(entry.jitter.as_millis()).unwrap_or(0);
        let extra = if jitter_ms == 0 {
            0
        } else {
            self.rng
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .random_range(0..=jitter_ms)
        };
        Some(entry.base + Duration::from_millis(extra))
    }

    /// Waits out the delay of `namespace` on the stack's clock (nothing when none is set).
    pub async fn pause(&self, namespace: Namespace, clock: &SharedClock) {
        if let Some(delay) = self.sample(namespace)
            && !delay.is_zero()
        {
            clock.sleep(delay).await;
        }
    }

    fn lock_write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<Namespace, DelayEntry>> {
        self.delays.write().unwrap_or_else(|e| e.into_inner())
    }
}

// ------------------------------------------------------------------------------------------------
// Rule-target faults
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct TargetEntry {
    id: u64,
    bus: String,
    rule: String,
    target_id: String,
    count: Option<u32>,
    rate: Option<f64>,
    /// `fault: duplicate` (else attempts fail with `error`).
    duplicate: bool,
    error: InjectedError,
}

// ------------------------------------------------------------------------------------------------
// The control
// ------------------------------------------------------------------------------------------------

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
    /// apply them, see [`DelayedService`]).
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

    /// The routes of the control API (`/_local/faults`).
    pub fn router(self: &Arc<Self>) -> axum::Router {
        api::router(Arc::clone(self))
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
                let fault = match (entry.count, entry.rate) {
                    (Some(n), _) if entry.duplicate => TargetFault::DuplicateNext { remaining: n },
                    (None, rate) if entry.duplicate => TargetFault::DuplicateRate {
                        rate: rate.unwrap_or(1.0),
                    },
                    (Some(n), _) => TargetFault::FailNext {
                        remaining: n,
                        error: entry.error.clone(),
                    },
                    (None, rate) => TargetFault::FailRate {
                        rate: rate.unwrap_or(1.0),
                        error: entry.error.clone(),
                    },
                };
                self.targets.set(&entry.rule, &entry.target_id, fault);
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
                push(&mut added["delays"], delay_view(namespace, &entry));
                delays.insert(namespace, entry);
            }
        }
        Ok(added)
    }

    /// Every fault in force: `{"lambda": [...], "targets": [...], "delays": [...]}` with ids, what
    /// was asked, and what is left (`remaining`; `attempts` / `fired` for functions).
    pub fn list(&self) -> Value {
        let lambda: Vec<Value> = self.lambda_faults.lock().iter().map(|e| e.view()).collect();
        let delays: Vec<Value> = self
            .delays
            .delays
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(ns, e)| delay_view(*ns, e))
            .collect();
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
        self.lock_targets()
            .iter()
            .map(|e| {
                let mut v = json!({
                    "id": e.id,
                    "bus": e.bus,
                    "rule": e.rule,
                    "targetId": e.target_id,
                    "fault": if e.duplicate { "duplicate" } else { "fail" },
                });
                if !e.duplicate {
                    v["errorCode"] = json!(e.error.code);
                    v["errorMessage"] = json!(e.error.message);
                    v["retryable"] = json!(e.error.retryable);
                }
                let current = live
                    .iter()
                    .find(|(r, t, _)| *r == e.rule && *t == e.target_id)
                    .map(|(_, _, f)| f);
                match (e.count, e.rate) {
                    (Some(n), _) => {
                        v["count"] = json!(n);
                        v["remaining"] = json!(match current {
                            Some(TargetFault::FailNext { remaining, .. })
                            | Some(TargetFault::DuplicateNext { remaining }) => *remaining,
                            _ => 0,
                        });
                    }
                    (None, rate) => v["rate"] = json!(rate.unwrap_or(1.0)),
                }
                v
            })
            .collect()
    }

    /// Checks every entry and resolves names (functions, rules) before anything changes.
    async fn resolve(&self, plan: &FaultPlanDocument) -> Result<Resolved, ControlError> {
        let mut lambda = Vec::new();
        for (i, spec) in plan.lambda.iter().enumerate() {
            let at = format!("lambda[{i}]");
            let fault = match spec.fault.as_str() {
                "error" => {
                    let error_type = spec
                        .error_type
                        .clone()
                        .filter(|t| !t.trim().is_empty())
                        .ok_or_else(|| {
                            invalid(format!(
                                "{at}: fault \"error\" needs an errorType (e.g. \"Retryable\")"
                            ))
                        })?;
                    Fault::Error {
                        error_type,
                        error_message: spec
                            .error_message
                            .clone()
                            .unwrap_or_else(|| "Injected fault".to_owned()),
                    }
                }
                other @ ("crash" | "timeout" | "throttle") => {
                    if spec.error_type.is_some() || spec.error_message.is_some() {
                        return Err(invalid(format!(
                            "{at}: errorType and errorMessage go with fault \"error\", not \"{other}\""
                        )));
                    }
                    match other {
                        "crash" => Fault::Crash,
                        "timeout" => Fault::Timeout,
                        _ => Fault::Throttle,
                    }
                }
                other => {
                    return Err(invalid(format!(
                        "{at}: unknown fault \"{other}\" (expected error, crash, timeout or throttle)"
                    )));
                }
            };
            let trigger = trigger(&at, spec.count, spec.rate)?;
            let function = self.resolve_function(&at, &spec.function)?;
            lambda.push((function, fault, trigger));
        }
        let mut targets = Vec::new();
        for (i, spec) in plan.targets.iter().enumerate() {
            let at = format!("targets[{i}]");
            trigger(&at, spec.count, spec.rate)?;
            let duplicate = match spec.fault.as_deref() {
                None | Some("fail") => false,
                Some("duplicate") => {
                    if spec.error_code.is_some()
                        || spec.error_message.is_some()
                        || spec.retryable.is_some()
                    {
                        return Err(invalid(format!(
                            "{at}: errorCode, errorMessage and retryable go with fault \"fail\", not \"duplicate\""
                        )));
                    }
                    true
                }
                Some(other) => {
                    return Err(invalid(format!(
                        "{at}: unknown fault \"{other}\" (expected fail or duplicate)"
                    )));
                }
            };
            if spec
                .error_code
                .as_deref()
                .is_some_and(|c| c.trim().is_empty())
            {
                return Err(invalid(format!("{at}: errorCode must not be empty")));
            }
            let (bus, rule) = self.resolve_rule_target(&at, spec).await?;
            let defaults = InjectedError::throttled();
            targets.push(TargetEntry {
                id: 0,
                bus,
                rule,
                target_id: spec.target_id.clone(),
                count: spec.count,
                rate: spec.rate,
                duplicate,
                error: InjectedError {
                    retryable: spec.retryable.unwrap_or(true),
                    code: spec.error_code.clone().unwrap_or(defaults.code),
                    message: spec.error_message.clone().unwrap_or(defaults.message),
                },
            });
        }
        let mut delays = Vec::new();
        for (i, spec) in plan.delays.iter().enumerate() {
            let at = format!("delays[{i}]");
            let namespace = Namespace::parse(&spec.service).ok_or_else(|| {
                invalid(format!(
                    "{at}: unknown service \"{}\" (expected {})",
                    spec.service,
                    Namespace::ALL.map(Namespace::name).join(", ")
                ))
            })?;
            let jitter = spec.jitter_ms.unwrap_or(0);
            if spec.ms.saturating_add(jitter) > MAX_DELAY_MS {
                return Err(invalid(format!(
                    "{at}: ms + jitterMs must be at most {MAX_DELAY_MS}"
                )));
            }
            delays.push((
                namespace,
                Duration::from_millis(spec.ms),
                Duration::from_millis(jitter),
            ));
        }
        Ok(Resolved {
            lambda,
            targets,
            delays,
        })
    }

    /// A function by `FunctionName`, template logical id or ARN → the name the Lambda service runs.
    fn resolve_function(&self, at: &str, given: &str) -> Result<String, ControlError> {
        if given.trim().is_empty() {
            return Err(invalid(format!("{at}: function must not be empty")));
        }
        if let Some(model) = self.stack.template.as_deref()
            && let Some(f) = model
                .functions
                .iter()
                .find(|f| f.logical_id == given || f.name == given || f.arn == given)
        {
            return Ok(f.name.clone());
        }
        if let Ok(reference) = FunctionRef::parse(given)
            && self.lambda.function_arn(&reference.name).is_some()
        {
            return Ok(reference.name);
        }
        let mut known: Vec<String> = self
            .lambda
            .list_functions()
            .into_iter()
            .map(|f| f.function_name)
            .chain(
                self.stack
                    .template
                    .iter()
                    .flat_map(|m| m.functions.iter().map(|f| f.name.clone())),
            )
            .collect();
        known.sort();
        known.dedup();
        Err(ControlError::UnknownFunction(format!(
            "{at}: no function \"{given}\" (functions: {})",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )))
    }

    /// A rule (name or template logical id, on `bus` if given) that has the target → (bus, rule name).
    async fn resolve_rule_target(
        &self,
        at: &str,
        spec: &TargetFaultSpec,
    ) -> Result<(String, String), ControlError> {
        if spec.rule.trim().is_empty() || spec.target_id.trim().is_empty() {
            return Err(invalid(format!(
                "{at}: rule and targetId must not be empty"
            )));
        }
        // A template logical id names the rule it generated.
        let mut name = spec.rule.clone();
        let mut bus = spec.bus.clone();
        if let Some(model) = self.stack.template.as_deref()
            && let Some(rule) = model.rules.iter().find(|r| r.logical_id == spec.rule)
        {
            name = rule.name.clone();
            bus = bus.or_else(|| Some(rule.event_bus_name.clone()));
        }
        let bus = bus.map(|b| b.rsplit('/').next().unwrap_or(&b).to_owned());
        let lookup = name.clone();
        let found = self
            .stack
            .store
            .call(move |c| {
                let mut found = Vec::new();
                for rule in eventbridge::list_all_rules(c)? {
                    if rule.name == lookup {
                        let targets = eventbridge::list_targets(c, &rule.bus_name, &rule.name)?;
                        found.push((
                            rule.bus_name,
                            targets.into_iter().map(|t| t.id).collect::<Vec<_>>(),
                        ));
                    }
                }
                Ok::<_, crate::store::StoreError>(found)
            })
            .await
            .map_err(|e| ControlError::Internal(format!("reading the rules: {e}")))?;
        let candidates: Vec<&(String, Vec<String>)> = found
            .iter()
            .filter(|(b, _)| bus.as_ref().is_none_or(|want| want == b))
            .collect();
        let (rule_bus, target_ids) = match candidates.as_slice() {
            [] => {
                return Err(ControlError::UnknownRuleTarget(match &bus {
                    Some(bus) => format!("{at}: no rule \"{name}\" on event bus \"{bus}\""),
                    None => format!("{at}: no rule \"{name}\""),
                }));
            }
            [one] => (&one.0, &one.1),
            several => {
                let buses: Vec<&str> = several.iter().map(|(b, _)| b.as_str()).collect();
                return Err(invalid(format!(
                    "{at}: rule \"{name}\" exists on event buses {}; give bus",
                    buses.join(", ")
                )));
            }
        };
        if !target_ids.contains(&spec.target_id) {
            return Err(ControlError::UnknownRuleTarget(format!(
                "{at}: rule \"{name}\" has no target \"{}\" (targets: {})",
                spec.target_id,
                target_ids.join(", ")
            )));
        }
        Ok((rule_bus.clone(), name))
    }
}

fn push(list: &mut Value, item: Value) {
    if let Value::Array(items) = list {
        items.push(item);
    }
}

fn delay_view(namespace: Namespace, entry: &DelayEntry) -> Value {
    json!({
        "id": entry.id,
        "service": namespace.name(),
        "ms": u64::try_from(entry.base.as_millis()).unwrap_or(u64::MAX),
        "jitterMs": u64::try_from(entry.jitter.as_millis()).unwrap_or(u64::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_parse_and_name_the_bad_entry() {
        let doc = FaultPlanDocument::from_slice(
            br#"{"lambda": [{"function": "f", "fault": "crash", "count": 2}],
                 "delays": [{"service": "sqs", "ms": 5}]}"#,
        )
        .unwrap();
        assert_eq!(doc.lambda[0].count, Some(2));
        assert_eq!(doc.delays[0].service, "sqs");
        assert!(doc.targets.is_empty());

        let err = FaultPlanDocument::from_slice(
            br#"{"lambda": [{"function": "f", "fault": "crash", "count": 1},
                            {"function": "f", "fault": "crash", "cont": 1}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), "ValidationError");
        assert!(
            err.to_string()
                .starts_with("lambda[1]: unknown field `cont`"),
            "{err}"
        );
        assert_eq!(
            FaultPlanDocument::from_slice(b"[1]").unwrap_err(),
            invalid(
                "a fault plan is a JSON object with \"lambda\", \"targets\" and \"delays\" arrays"
            )
        );
        assert_eq!(
            FaultPlanDocument::from_slice(br#"{"lambdas": []}"#).unwrap_err(),
            invalid("unknown key \"lambdas\" (expected \"lambda\", \"targets\" or \"delays\")")
        );
        assert_eq!(
            FaultPlanDocument::from_slice(br#"{"delays": {}}"#).unwrap_err(),
            invalid("\"delays\" must be an array")
        );
        assert_eq!(
            FaultPlanDocument::from_slice(br#"{}"#).unwrap_err(),
            invalid(
                "the plan has no fault: give at least one of \"lambda\", \"targets\", \"delays\""
            )
        );
        let err = FaultPlanDocument::from_slice(
            br#"{"lambda": [{"function": "f", "fault": "crash", "count": -1}]}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("lambda[0]: invalid value: integer `-1`"),
            "{err}"
        );
        assert!(
            FaultPlanDocument::from_slice(b"{nope")
                .unwrap_err()
                .to_string()
                .starts_with("the body is not valid JSON: ")
        );
    }

    #[test]
    fn triggers_need_exactly_one_of_count_and_rate() {
        assert_eq!(trigger("x", Some(3), None), Ok(Trigger::Next(3)));
        assert_eq!(trigger("x", None, Some(0.5)), Ok(Trigger::Rate(0.5)));
        assert_eq!(trigger("x", None, Some(1.0)), Ok(Trigger::Rate(1.0)));
        assert_eq!(
            trigger("x", Some(1), Some(0.5)),
            Err(invalid("x: give count or rate, not both"))
        );
        assert_eq!(
            trigger("x", Some(0), None),
            Err(invalid("x: count must be at least 1"))
        );
        assert_eq!(
            trigger("x", None, Some(1.5)),
            Err(invalid(
                "x: rate must be greater than 0 and at most 1 (got 1.5)"
            ))
        );
        assert_eq!(
            trigger("x", None, Some(0.0)),
            Err(invalid(
                "x: rate must be greater than 0 and at most 1 (got 0)"
            ))
        );
        assert!(trigger("x", None, None).is_err());
    }

    #[test]
    fn lambda_faults_fire_in_order_and_count_down() {
        let plan = LambdaFaults::default();
        plan.lock().push(LambdaEntry {
            id: 1,
            function: "f".into(),
            fault: Fault::Crash,
            trigger: Trigger::Next(2),
            attempts: 0,
            fired: 0,
        });
        plan.lock().push(LambdaEntry {
            id: 2,
            function: "f".into(),
            fault: Fault::Timeout,
            trigger: Trigger::Rate(0.5),
            attempts: 0,
            fired: 0,
        });
        let seen: Vec<Option<Fault>> = (0..6).map(|_| plan.fault_for("f")).collect();
        assert_eq!(
            seen,
            [
                Some(Fault::Crash),
                Some(Fault::Crash),
                None,
                Some(Fault::Timeout),
                None,
                Some(Fault::Timeout)
            ]
        );
        assert_eq!(plan.fault_for("g"), None);
        let views: Vec<Value> = plan.lock().iter().map(LambdaEntry::view).collect();
        assert_eq!(
            views[0],
            json!({"id": 1, "function": "f", "fault": "crash", "count": 2, "remaining": 0, "attempts": 2, "fired": 2})
        );
        assert_eq!(
            views[1],
            json!({"id": 2, "function": "f", "fault": "timeout", "rate": 0.5, "attempts": 4, "fired": 2})
        );
    }

    #[test]
    fn namespaces_by_name_alias_and_prefix() {
        for ns in Namespace::ALL {
            assert_eq!(Namespace::parse(ns.name()), Some(ns));
        }
        assert_eq!(
            Namespace::parse("AWSStepFunctions"),
            Some(Namespace::StepFunctions)
        );
        assert_eq!(Namespace::parse("EventBridge"), Some(Namespace::Events));
        assert_eq!(Namespace::parse("s3"), None);
        assert_eq!(
            Namespace::of_target_prefix("Logs_20140328"),
            Some(Namespace::Logs)
        );
        assert_eq!(Namespace::of_target_prefix("Nope"), None);
    }

    #[test]
    fn delays_add_bounded_jitter() {
        let delays = ServiceDelays::default();
        assert_eq!(delays.sample(Namespace::Sqs), None);
        delays.lock_write().insert(
            Namespace::Sqs,
            DelayEntry {
                id: 1,
                base: Duration::from_millis(100),
                jitter: Duration::from_millis(20),
            },
        );
        for _ in 0..200 {
            let d = delays.sample(Namespace::Sqs).unwrap();
            assert!(
                d >= Duration::from_millis(100) && d <= Duration::from_millis(120),
                "{d:?}"
            );
        }
        assert_eq!(delays.sample(Namespace::Logs), None);
    }
}
