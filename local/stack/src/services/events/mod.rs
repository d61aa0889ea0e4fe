//! EventBridge (`AWSEvents`, awsJson1_1): buses, rules, targets, PutEvents and
//! the delivery of matched events to targets.
//!
//! Semantics come from the `eventbus` engine (patterns, PutEvents entry
//! validation, PutRule / PutTargets validation, input rendering, retry and
//! dead-letter decisions); this module stores buses, rules and targets
//! (`store::eventbridge`), keeps one compiled [`eventbus::RuleIndex`] per bus, and
//! runs deliveries (see [`delivery`]).
//!
//! ```text
//! let events = EventsService::new(stack, lambda, executions);   // Arc<EventsService>
//! registry.register(events.clone());                             // JsonService, prefix AWSEvents
//! events.resume().await?;                                        // load rules, resume pending deliveries, start the worker
//! ```

mod api;
pub mod delivery;
pub mod faults;
pub mod routing;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use eventbus::delivery::{DeliveryResult, NextStep};
use eventbus::put_events::PutEventsRequestEntry;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;
use tokio::sync::{Notify, OnceCell};

use crate::lambda::{InvocationType, LambdaError, LambdaService};
use crate::protocol::error::AwsError;
use crate::protocol::{JsonService, Protocol, ServiceFuture};
use crate::services::bridge::{BoxFuture, EventPublisher, ExecutionStarter, PutEventsOutcome};
use crate::services::context::Context;
use crate::services::logs::{InputLogEvent, LogsError};
use crate::services::sqs::{MessageAttributeValue, SqsError};
use crate::store::StoreError;
use crate::store::eventbridge;

use crate::arn::{TargetKind, target_kind};
use delivery::{Attempted, Destination, Payload, Schedule, Scheduled};
pub use faults::{InjectedError, TargetFault, TargetFaults};
use routing::Routing;

/// Largest PutEvents request body (the entries are limited to 256 KB by the
/// engine; the JSON around them and escaping need some room).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Deliveries running at once.
const MAX_IN_FLIGHT: usize = 64;

/// The EventBridge service.
pub struct EventsService {
    stack: Arc<Context>,
    lambda: LambdaService,
    executions: Arc<dyn ExecutionStarter>,
    routing: RwLock<Routing>,
    loaded: OnceCell<()>,
    /// Serialises writes of buses, rules and targets, so the routing tables
    /// change in the order the store does.
    writes: tokio::sync::Mutex<()>,
    schedule: Mutex<Schedule>,
    wake: Arc<Notify>,
    in_flight: Arc<tokio::sync::Semaphore>,
    rng: Mutex<StdRng>,
    faults: Arc<TargetFaults>,
    worker: Mutex<Option<tokio::task::JoinHandle<()>>>,
    idle: Notify,
    running: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for EventsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsService").finish_non_exhaustive()
    }
}

impl Drop for EventsService {
    fn drop(&mut self) {
        if let Some(worker) = self
            .worker
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            worker.abort();
        }
    }
}

fn store_error(e: StoreError) -> AwsError {
    AwsError::internal(format!("state store failure: {e}"))
}

impl EventsService {
    /// The service over `stack`'s store; Lambda targets are invoked through
    /// `lambda`, state machine targets started through `executions`. Nothing
    /// runs until [`EventsService::resume`] (the buses and rules are loaded
    /// lazily by the first call either way).
    pub fn new(
        stack: Arc<Context>,
        lambda: LambdaService,
        executions: Arc<dyn ExecutionStarter>,
    ) -> Arc<Self> {
        Arc::new(Self {
            stack,
            lambda,
            executions,
            routing: RwLock::new(Routing::default()),
            loaded: OnceCell::new(),
            writes: tokio::sync::Mutex::new(()),
            schedule: Mutex::new(Schedule::default()),
            wake: Arc::new(Notify::new()),
            in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            rng: Mutex::new(StdRng::from_os_rng()),
            faults: Arc::new(TargetFaults::default()),
            worker: Mutex::new(None),
            idle: Notify::new(),
            running: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// The fault-injection seam: faults set here apply to the next delivery attempts.
    pub fn faults(&self) -> &Arc<TargetFaults> {
        &self.faults
    }

    /// Seeds the backoff jitter (reproducible retry times in tests and benchmarks).
    pub fn set_backoff_seed(&self, seed: u64) {
        *self.rng.lock().unwrap_or_else(|e| e.into_inner()) = StdRng::seed_from_u64(seed);
    }

    /// The stack this service runs on.
    pub fn stack(&self) -> &Arc<Context> {
        &self.stack
    }

    /// Loads buses and rules, picks up every pending delivery left in the
    /// store (a previous run's, after a restart) and starts the delivery
    /// worker. Returns how many deliveries were resumed. Call once.
    pub async fn resume(self: &Arc<Self>) -> Result<usize, AwsError> {
        self.ensure_loaded().await?;
        let rows = self
            .stack
            .store
            .call(|c| eventbridge::pending_deliveries_of_kind(c, delivery::KIND))
            .await
            .map_err(store_error)?;
        let mut resumed = 0;
        {
            let mut schedule = self.lock_schedule();
            for row in &rows {
                match Scheduled::from_row(row) {
                    Some(job) => {
                        schedule.push(job);
                        resumed += 1;
                    }
                    None => tracing::warn!(id = row.id, "unreadable pending delivery left alone"),
                }
            }
        }
        let mut worker = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        if worker.is_none() {
            let weak = Arc::downgrade(self);
            *worker = Some(tokio::spawn(run_worker(weak)));
        }
        self.wake.notify_one();
        Ok(resumed)
    }

    /// Stops the delivery worker (pending deliveries stay in the store).
    pub fn stop(&self) {
        if let Some(worker) = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            worker.abort();
        }
    }

    /// Deliveries waiting for an attempt (due now or later) plus those running.
    pub fn pending_deliveries(&self) -> usize {
        self.lock_schedule().len() + self.running.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until no delivery is due at the clock's current time and none is running
    /// (retries scheduled later may remain). For tests and the demo.
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            let now = self.stack.clock.now_millis();
            let due_now = self.lock_schedule().next_due().is_some_and(|d| d <= now);
            let running = self.running.load(std::sync::atomic::Ordering::SeqCst);
            if !due_now && running == 0 {
                return;
            }
            self.wake.notify_one();
            let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
        }
    }

    fn lock_schedule(&self) -> std::sync::MutexGuard<'_, Schedule> {
        self.schedule.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Builds the routing tables from the store once (the default bus is created if missing).
    async fn ensure_loaded(&self) -> Result<(), AwsError> {
        self.loaded
            .get_or_try_init(|| async {
                let default = eventbridge::EventBusRecord {
                    name: eventbus::model::DEFAULT_BUS.to_owned(),
                    arn: eventbus::model::bus_arn(
                        &self.stack.region,
                        &self.stack.account_id,
                        eventbus::model::DEFAULT_BUS,
                    ),
                    description: None,
                    policy: None,
                    created_ms: self.stack.clock.now_millis(),
                    origin: "builtin".into(),
                };
                let (buses, rules) = self
                    .stack
                    .store
                    .write(move |tx| {
                        if eventbridge::get_event_bus(tx, &default.name)?.is_none() {
                            eventbridge::upsert_event_bus(tx, &default)?;
                        }
                        let buses = eventbridge::list_event_buses(tx)?;
                        let mut rules = Vec::new();
                        for rule in eventbridge::list_all_rules(tx)? {
                            let targets = eventbridge::list_targets(tx, &rule.bus_name, &rule.name)?;
                            rules.push((rule, targets));
                        }
                        Ok::<_, StoreError>((buses, rules))
                    })
                    .await
                    .map_err(store_error)?;
                // Bus policies (PutPermission, the template's EventBusPolicy) to the permission plane.
                for bus in &buses {
                    if let Some(text) = &bus.policy
                        && let Ok(a) = crate::permissions::model::Attached::parse(
                            "events",
                            &format!("event bus policy of {}", bus.name),
                            vec![bus.arn.clone()],
                            text,
                        )
                    {
                        self.stack
                            .permissions
                            .set_resource_policy(&format!("events:{}", bus.arn), a);
                    }
                }
                let mut routing = self.routing.write().unwrap_or_else(|e| e.into_inner());
                for bus in buses {
                    routing.buses.entry(bus.name).or_default();
                }
                for (rule, targets) in rules {
                    if let Some(p) = &rule.event_pattern
                        && let Err(e) = eventbus::EventPattern::parse(p)
                    {
                        tracing::warn!(rule = %rule.name, error = %e, "rule pattern does not compile; the rule matches nothing");
                    }
                    let engine_rule = routing::rule_from_record(&rule, &targets);
                    routing.put_rule(rule.arn.clone(), engine_rule);
                }
                Ok::<_, AwsError>(())
            })
            .await
            .map(|_| ())
    }

    /// PutEvents over decoded entries: validation by the engine, then for each
    /// accepted entry the delivery rows of every matching enabled rule,
    /// committed before this returns.
    async fn put_entries(
        &self,
        entries: Vec<PutEventsRequestEntry>,
        once: Option<(String, String)>,
    ) -> Result<PutEventsOutcome, AwsError> {
        self.ensure_loaded().await?;
        let now = self.stack.clock.now();
        let outcome = eventbus::put_events::put_events(
            &entries,
            &self.stack.account_id,
            &self.stack.region,
            now,
            || uuid::Uuid::new_v4().to_string(),
        )
        .map_err(|e| AwsError::client(e.code, e.message))?;
        let results: Vec<Value> = outcome
            .entries
            .iter()
            .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
            .collect();
        let failed = outcome.failed_entry_count;
        let mut routed = Vec::new();
        {
            let routing = self.routing.read().unwrap_or_else(|e| e.into_inner());
            for accepted in &outcome.accepted {
                let bus = eventbus::model::bus_name_of(accepted.event_bus_name.as_deref());
                if !routing.buses.contains_key(bus) {
                    // AWS accepts an entry for a bus that does not exist (it
                    // answers with an EventId and routes nothing; reported on
                    // aws/aws-cli#9186 and aws/aws-sdk#186). Same here, but not silently.
                    tracing::warn!(bus = %bus, "PutEvents entry for an event bus that does not exist: accepted and dropped, as AWS does");
                    continue;
                }
                routed.push((bus.to_owned(), accepted.event.clone()));
            }
        }
        let outcome = PutEventsOutcome {
            failed_entry_count: failed,
            entries: results,
        };
        let record = once.map(|(scope, key)| (scope, key, outcome.to_json().to_string()));
        self.route_recorded(routed, now, record).await?;
        Ok(outcome)
    }

    /// Matches events on their buses and stores (then schedules) their deliveries.
    async fn route(
        &self,
        events: Vec<(String, Value)>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), AwsError> {
        self.route_recorded(events, now, None).await
    }

    /// [`Self::route`], recording `(scope, key, answer)` of a [`EventPublisher::put_events_once`]
    /// call in the transaction that stores the deliveries.
    async fn route_recorded(
        &self,
        events: Vec<(String, Value)>,
        now: chrono::DateTime<chrono::Utc>,
        record: Option<(String, String, String)>,
    ) -> Result<(), AwsError> {
        let now_ms = now.timestamp_millis();
        let mut rows: Vec<(Destination, Payload)> = Vec::new();
        {
            let routing = self.routing.read().unwrap_or_else(|e| e.into_inner());
            for (bus, event) in &events {
                for (rule, target_id, job) in routing.jobs_for_event(bus, event, now) {
                    let Some(route) = routing.buses.get(bus).and_then(|b| b.rules.get(&rule))
                    else {
                        continue;
                    };
                    let Some(target) = route.rule.targets.iter().find(|t| t.id == target_id) else {
                        continue;
                    };
                    let destination = Destination {
                        bus: bus.clone(),
                        rule: rule.clone(),
                        rule_arn: route.arn.clone(),
                        target_id: target_id.clone(),
                        target_arn: target.arn.clone(),
                        retry_policy: target.effective_retry_policy(),
                        dead_letter_arn: target.dead_letter_arn().map(str::to_owned),
                    };
                    let payload = match job {
                        Ok(job) => Payload {
                            input: Some(job.input),
                            event: job.event,
                            ingestion_ms: now_ms,
                            render_error: None,
                        },
                        Err(e) => Payload {
                            input: None,
                            event: event.to_string(),
                            ingestion_ms: now_ms,
                            render_error: Some((e.code, e.message)),
                        },
                    };
                    rows.push((destination, payload));
                }
            }
        }
        if rows.is_empty() && record.is_none() {
            return Ok(());
        }
        let encoded: Vec<(String, String, i64)> = rows
            .iter()
            .map(|(d, p)| {
                let expires = now_ms + i64::from(d.retry_policy.maximum_event_age_seconds) * 1000;
                (
                    serde_json::to_string(d).unwrap_or_default(),
                    serde_json::to_string(p).unwrap_or_default(),
                    expires,
                )
            })
            .collect();
        let ids = self
            .stack
            .store
            .write(move |tx| {
                if let Some((scope, key, outcome)) = &record {
                    eventbridge::put_publish_key(tx, scope, key, outcome)?;
                }
                let mut ids = Vec::with_capacity(encoded.len());
                for (destination, payload, expires) in &encoded {
                    ids.push(eventbridge::enqueue_delivery(
                        tx,
                        delivery::KIND,
                        destination,
                        payload,
                        now_ms,
                        Some(*expires),
                        now_ms,
                    )?);
                }
                Ok::<_, StoreError>(ids)
            })
            .await
            .map_err(store_error)?;
        {
            let mut schedule = self.lock_schedule();
            for (id, (destination, payload)) in ids.into_iter().zip(rows) {
                schedule.push(Scheduled {
                    id,
                    due_ms: now_ms,
                    attempts: 0,
                    last_error: None,
                    destination,
                    payload,
                });
            }
        }
        self.wake.notify_one();
        Ok(())
    }

    /// One attempt to reach a target.
    async fn attempt(&self, job: &Scheduled) -> DeliveryResult {
        if let Some((code, message)) = &job.payload.render_error {
            return DeliveryResult::NonRetryable {
                code: code.clone(),
                message: message.clone(),
            };
        }
        if let Some(injected) = self
            .faults
            .check(&job.destination.rule, &job.destination.target_id)
        {
            return injected;
        }
        // The permission plane: a call AWS would deny fails here, as on AWS, without retries
        // ("errors that result from missing permissions to a target ... EventBridge sends these
        // events directly to the DLQ"), with the DLQ error code NO_PERMISSIONS.
        if let Err(denial) = self.stack.permissions.delivery(
            &job.destination.rule_arn,
            &job.destination.target_id,
            &job.destination.target_arn,
            || {
                serde_json::from_str::<Value>(&job.payload.event)
                    .ok()
                    .and_then(|e| e.get("id").and_then(Value::as_str).map(str::to_owned))
                    .unwrap_or_else(|| job.id.to_string())
            },
        ) {
            return DeliveryResult::NonRetryable {
                code: "NO_PERMISSIONS".into(),
                message: denial.message,
            };
        }
        let result = self.deliver_once(job, false).await;
        if result == DeliveryResult::Delivered
            && self
                .faults
                .take_duplicate(&job.destination.rule, &job.destination.target_id)
        {
            // At-least-once delivery, injected: the target gets the same event again. What the
            // second delivery answers does not change the first one's outcome.
            let again = self.deliver_once(job, true).await;
            tracing::info!(rule = %job.destination.rule, target = %job.destination.target_id, result = ?again, "delivered twice (injected duplicate)");
        }
        result
    }

    /// One delivery to the target; `duplicate` marks the second delivery of an injected duplicate.
    async fn deliver_once(&self, job: &Scheduled, duplicate: bool) -> DeliveryResult {
        let input = job.payload.input.clone().unwrap_or_default();
        let arn = &job.destination.target_arn;
        match target_kind(arn) {
            TargetKind::StateMachine => {
                // A delivery whose start committed but whose row was not finished yet (a crash in
                // between) is attempted again after a restart. A name derived from the delivery
                // makes that attempt idempotent: StartExecution returns the running execution of
                // the same name and input, and ExecutionAlreadyExists means it already ran.
                // A duplicated delivery is another delivery on AWS, which names its executions
                // itself: it gets a name of its own.
                let mut name = execution_name(job);
                if duplicate {
                    name.push_str("-duplicate");
                }
                match self
                    .executions
                    .start_execution(arn, Some(name), input)
                    .await
                {
                    Ok(_) => DeliveryResult::Delivered,
                    Err(e) if e.code == "ExecutionAlreadyExists" => DeliveryResult::Delivered,
                    Err(e) => classify_aws_error(&e),
                }
            }
            TargetKind::Lambda => match self
                .lambda
                .invoke(arn, input.into_bytes(), InvocationType::Event)
                .await
            {
                Ok(_) => DeliveryResult::Delivered,
                Err(e) => classify_lambda_error(&e),
            },
            TargetKind::LogGroup(group) => self.deliver_to_log_group(&group, job, &input).await,
            TargetKind::Queue => match self.stack.sqs.queue_name_from_arn(arn) {
                Some(queue) => match self
                    .stack
                    .sqs
                    .send_message_to(&queue, input, BTreeMap::new())
                    .await
                {
                    Ok(_) => DeliveryResult::Delivered,
                    Err(e) => classify_sqs_error(&e),
                },
                None => DeliveryResult::NonRetryable {
                    code: "ResourceNotFoundException".into(),
                    message: format!("Queue {arn} does not exist."),
                },
            },
            TargetKind::EventBus(bus) => {
                // Bus-to-bus: the event itself (not the rendered input) goes on the target bus.
                match serde_json::from_str::<Value>(&job.payload.event) {
                    Ok(event) => {
                        let exists = self
                            .routing
                            .read()
                            .unwrap_or_else(|e| e.into_inner())
                            .buses
                            .contains_key(&bus);
                        if !exists {
                            return DeliveryResult::NonRetryable {
                                code: "ResourceNotFoundException".into(),
                                message: format!("Event bus {bus} does not exist."),
                            };
                        }
                        match self.route(vec![(bus, event)], self.stack.clock.now()).await {
                            Ok(()) => DeliveryResult::Delivered,
                            Err(e) => classify_aws_error(&e),
                        }
                    }
                    Err(e) => DeliveryResult::NonRetryable {
                        code: "INVALID_PARAMETER".into(),
                        message: e.to_string(),
                    },
                }
            }
            TargetKind::Unsupported => DeliveryResult::NonRetryable {
                code: "UnsupportedTarget".into(),
                message: format!("the local stack cannot deliver to target {arn}"),
            },
        }
    }

    /// A CloudWatch Logs target: one log event per delivery, in a stream
    /// named after the event id; the message is the rendered input (the whole
    /// event JSON by default), timestamped with the event's `time`. An input
    /// of the documented `{"timestamp": ..., "message": ...}` form (what an
    /// input transformer for a log group produces) is unpacked.
    async fn deliver_to_log_group(
        &self,
        group: &str,
        job: &Scheduled,
        input: &str,
    ) -> DeliveryResult {
        let event: Value = serde_json::from_str(&job.payload.event).unwrap_or(Value::Null);
        let stream = event
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(|| job.id.to_string(), str::to_owned);
        let event_time = event
            .get("time")
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or(job.payload.ingestion_ms, |t| t.timestamp_millis());
        let (timestamp, message) = log_record(input, event_time);
        // The log event and the end of the delivery row in one transaction: a crash cannot leave
        // an event written and its delivery pending (which the restart would write again).
        let id = job.id;
        match self
            .stack
            .logs
            .append_then(
                group,
                &stream,
                vec![InputLogEvent { timestamp, message }],
                move |tx| eventbridge::finish_delivery(tx, id).map(|_| ()),
            )
            .await
        {
            Ok(()) => DeliveryResult::Delivered,
            Err(e) => classify_logs_error(&e),
        }
    }

    /// Runs one due delivery to its next step.
    async fn run_delivery(self: Arc<Self>, job: Scheduled) {
        let now = self.stack.clock.now();
        let mut engine_job = job.job();
        let result = if job.expired(now) {
            None
        } else {
            Some(self.attempt(&job).await)
        };
        let last_error = match &result {
            Some(DeliveryResult::Retryable { code, message })
            | Some(DeliveryResult::NonRetryable { code, message }) => format!("{code}: {message}"),
            _ => String::new(),
        };
        let now = self.stack.clock.now();
        let step = {
            let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            eventbus::delivery::deliver(&mut Attempted(result), &mut engine_job, now, &mut *rng)
        };
        let id = job.id;
        let outcome = match step {
            NextStep::Delivered => self.finish(id).await,
            NextStep::RetryAt(at) => {
                tracing::warn!(rule = %job.destination.rule, target = %job.destination.target_id, attempts = engine_job.attempts, error = %last_error, retry_at = %at, "delivery failed; retrying");
                let due = at.timestamp_millis();
                let now_ms = now.timestamp_millis();
                let stored = self
                    .stack
                    .store
                    .write(move |tx| {
                        eventbridge::reschedule_delivery(tx, id, due, &last_error, now_ms)
                    })
                    .await;
                if stored.is_ok() {
                    let mut next = job.clone();
                    next.due_ms = due;
                    next.attempts = engine_job.attempts;
                    next.last_error = engine_job.last_error.clone();
                    self.lock_schedule().push(next);
                    self.wake.notify_one();
                }
                stored
            }
            NextStep::DeadLetter(message) => {
                let attributes: BTreeMap<String, MessageAttributeValue> = message
                    .attributes
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            MessageAttributeValue {
                                data_type: "String".into(),
                                string_value: Some(v.clone()),
                                binary_value: None,
                            },
                        )
                    })
                    .collect();
                let allowed = self.stack.permissions.events_call(
                    &job.destination.rule_arn,
                    "sqs:SendMessage",
                    &message.queue_arn,
                    true,
                );
                match self.stack.sqs.queue_name_from_arn(&message.queue_arn) {
                    // On AWS the event is lost (metric InvocationsFailedToBeSentToDLQ).
                    Some(_) if allowed.is_err() => {
                        let message = allowed.err().map(|d| d.message).unwrap_or_default();
                        tracing::warn!(rule = %job.destination.rule, target = %job.destination.target_id, %message, "the dead-letter queue's policy denies EventBridge; event dropped");
                    }
                    Some(queue) => {
                        if let Err(e) = self
                            .stack
                            .sqs
                            .send_message_to(&queue, message.body.clone(), attributes)
                            .await
                        {
                            tracing::warn!(rule = %job.destination.rule, target = %job.destination.target_id, error = %e, "dead-letter queue refused the event; dropped");
                        }
                    }
                    None => {
                        tracing::warn!(queue = %message.queue_arn, "dead-letter queue is not a local queue; event dropped")
                    }
                }
                self.finish(id).await
            }
            NextStep::Dropped {
                code, exhausted, ..
            } => {
                tracing::warn!(rule = %job.destination.rule, target = %job.destination.target_id, code = %code, exhausted = ?exhausted.map(|c| c.as_str()), "event dropped: delivery failed and the target has no dead-letter queue");
                self.finish(id).await
            }
        };
        if let Err(e) = outcome {
            // The row stays in the store; the next start resumes it.
            tracing::error!(id, error = %e, "cannot record a delivery outcome");
        }
    }

    async fn finish(&self, id: i64) -> Result<(), StoreError> {
        self.stack
            .store
            .write(move |tx| eventbridge::finish_delivery(tx, id).map(|_| ()))
            .await
    }
}

/// The log event of a log-group delivery: `(timestamp ms, message)`.
fn log_record(input: &str, event_time_ms: i64) -> (i64, String) {
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(input)
        && map.len() <= 2
        && let Some(message) = map.get("message")
        && (map.len() == 1 || map.contains_key("timestamp"))
    {
        let timestamp = match map.get("timestamp") {
            Some(Value::Number(n)) => n.as_i64().unwrap_or(event_time_ms),
            Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.timestamp_millis())
                .or_else(|_| s.parse::<i64>())
                .unwrap_or(event_time_ms),
            _ => event_time_ms,
        };
        let text = match message {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return (timestamp, text);
    }
    (event_time_ms, input.to_owned())
}

/// The execution name of a state machine delivery: a UUID (as the names of rule-started executions
/// are) derived from the rule, the target and the event id, so the same delivery always gets the same name.
fn execution_name(job: &Scheduled) -> String {
    use sha2::Digest;
    let event: Value = serde_json::from_str(&job.payload.event).unwrap_or(Value::Null);
    let event_id = event
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or(&job.payload.event);
    let digest = sha2::Sha256::new()
        .chain_update(job.destination.rule_arn.as_bytes())
        .chain_update(b"\n")
        .chain_update(job.destination.target_id.as_bytes())
        .chain_update(b"\n")
        .chain_update(event_id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Throttling and server faults are worth retrying; the rest is not.
fn classify_aws_error(e: &AwsError) -> DeliveryResult {
    let retryable = e.status.is_server_error()
        || matches!(
            e.code.as_str(),
            "ThrottlingException" | "ExecutionLimitExceeded" | "TooManyRequestsException"
        );
    let message = e.message.clone().unwrap_or_default();
    if retryable {
        DeliveryResult::Retryable {
            code: e.code.clone(),
            message,
        }
    } else {
        DeliveryResult::NonRetryable {
            code: e.code.clone(),
            message,
        }
    }
}

fn classify_lambda_error(e: &LambdaError) -> DeliveryResult {
    let code = e.code().to_owned();
    let message = e.to_string();
    match e {
        LambdaError::TooManyRequests { .. } | LambdaError::Service(_) => {
            DeliveryResult::Retryable { code, message }
        }
        _ => DeliveryResult::NonRetryable { code, message },
    }
}

fn classify_logs_error(e: &LogsError) -> DeliveryResult {
    match e {
        LogsError::ResourceNotFound(m) => DeliveryResult::NonRetryable {
            code: "ResourceNotFoundException".into(),
            message: m.clone(),
        },
        LogsError::InvalidParameter(m) => DeliveryResult::NonRetryable {
            code: "InvalidParameterException".into(),
            message: m.clone(),
        },
        other => DeliveryResult::Retryable {
            code: "ServiceUnavailableException".into(),
            message: other.to_string(),
        },
    }
}

fn classify_sqs_error(e: &SqsError) -> DeliveryResult {
    match e {
        SqsError::QueueDoesNotExist => DeliveryResult::NonRetryable {
            code: "QueueDoesNotExist".into(),
            message: e.to_string(),
        },
        SqsError::InvalidMessageContents | SqsError::InvalidParameterValue(_) => {
            DeliveryResult::NonRetryable {
                code: "InvalidParameterValue".into(),
                message: e.to_string(),
            }
        }
        _ => DeliveryResult::Retryable {
            code: "InternalFailure".into(),
            message: e.to_string(),
        },
    }
}

/// The worker: runs due deliveries (up to [`MAX_IN_FLIGHT`] at once) and
/// sleeps on the stack's clock until the next one is due or a new one arrives.
async fn run_worker(service: Weak<EventsService>) {
    let Some(wake_handle) = service.upgrade().map(|s| Arc::clone(&s.wake)) else {
        return;
    };
    loop {
        let Some(this) = service.upgrade() else {
            return;
        };
        let now = this.stack.clock.now_millis();
        let due = this.lock_schedule().take_due(now);
        for job in due {
            let permit = match Arc::clone(&this.in_flight).acquire_owned().await {
                Ok(p) => p,
                Err(_) => return,
            };
            this.running
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let svc = Arc::clone(&this);
            tokio::spawn(async move {
                Arc::clone(&svc).run_delivery(job).await;
                svc.running
                    .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                drop(permit);
                svc.idle.notify_waiters();
                svc.wake.notify_one();
            });
        }
        let next = this.lock_schedule().next_due();
        let clock = Arc::clone(&this.stack.clock);
        let wake = wake_handle.notified();
        this.idle.notify_waiters();
        drop(this);
        match next {
            Some(at) if at <= now => continue,
            Some(at) => {
                let wait = Duration::from_millis(u64::try_from(at - now).unwrap_or(0));
                tokio::select! {
                    () = wake => {}
                    () = clock.sleep(wait) => {}
                }
            }
            None => wake.await,
        }
    }
}

impl JsonService for EventsService {
    fn target_prefix(&self) -> &'static str {
        "AWSEvents"
    }

    fn protocol(&self) -> Protocol {
        Protocol::AwsJson11
    }

    fn max_request_bytes(&self) -> usize {
        MAX_REQUEST_BYTES
    }

    fn call(self: Arc<Self>, operation: String, input: Value) -> ServiceFuture {
        api::call(self, operation, input)
    }
}

/// The request's `Entries` objects as the engine takes them.
fn decode_entries(entries: Vec<Value>) -> Result<Vec<PutEventsRequestEntry>, AwsError> {
    entries
        .into_iter()
        .map(|e| {
            serde_json::from_value::<PutEventsRequestEntry>(e)
                .map_err(|e| AwsError::serialization(e.to_string()))
        })
        .collect()
}

impl EventPublisher for EventsService {
    fn put_events(&self, entries: Vec<Value>) -> BoxFuture<'_, Result<PutEventsOutcome, AwsError>> {
        Box::pin(async move {
            let decoded = decode_entries(entries)?;
            self.put_entries(decoded, None).await
        })
    }

    fn put_events_once(
        &self,
        scope: String,
        key: String,
        entries: Vec<Value>,
    ) -> BoxFuture<'_, Result<PutEventsOutcome, AwsError>> {
        Box::pin(async move {
            let (s, k) = (scope.clone(), key.clone());
            let recorded: Option<String> = self
                .stack
                .store
                .call(move |c| eventbridge::publish_key(c, &s, &k))
                .await
                .map_err(|e| AwsError::internal(format!("storage failed: {e}")))?;
            if let Some(outcome) = recorded
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
                .and_then(|value| PutEventsOutcome::from_json(&value))
            {
                return Ok(outcome);
            }
            let decoded = decode_entries(entries)?;
            self.put_entries(decoded, Some((scope, key))).await
        })
    }

    fn put_service_event(&self, event: Value) -> BoxFuture<'_, Result<(), AwsError>> {
        Box::pin(async move {
            self.ensure_loaded().await?;
            if !event.is_object() {
                return Err(AwsError::internal("a service event must be a JSON object"));
            }
            self.route(
                vec![(eventbus::model::DEFAULT_BUS.to_owned(), event)],
                self.stack.clock.now(),
            )
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_records_take_the_event_or_an_unpacked_timestamp_and_message() {
        assert_eq!(
            log_record("{\"id\":\"e\",\"detail\":{}}", 5),
            (5, "{\"id\":\"e\",\"detail\":{}}".to_owned())
        );
        assert_eq!(
            log_record(
                "{\"timestamp\":\"1970-01-01T00:00:01Z\",\"message\":\"hi\"}",
                5
            ),
            (1000, "hi".to_owned())
        );
        assert_eq!(
            log_record("{\"message\":{\"a\":1}}", 5),
            (5, "{\"a\":1}".to_owned())
        );
        assert_eq!(log_record("\"plain\"", 9), (9, "\"plain\"".to_owned()));
    }
}
