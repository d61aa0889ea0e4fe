//! Asynchronous invocations (`Event`): queued and kept in the [`AsyncEventStore`] until done,
//! attempted and retried as AWS documents (function errors, throttles), given up after the
//! event's maximum age or retries, then handed to the
//! [`DeadLetterSink`](super::DeadLetterSink) (DLQ or destinations).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::body::Bytes;
use chrono::Utc;

use super::async_queue::{AsyncEventStore, QueuedEvent};
use super::dead_letter::{AsyncCondition, AsyncInvocationRecord};
use super::faults::Fault;
use super::function::Function;
use super::instance::{InvocationResult, RunRequest};
use super::registry::Registry;

/// Keeps accepted asynchronous invocations in `store` until they are done,
/// so a restart loses none ([`resume`] picks them up).
pub(super) fn set_store(registry: &Registry, store: Arc<dyn AsyncEventStore>) {
    if let Ok(mut s) = registry.async_store.write() {
        *s = Some(store);
    }
}

/// Re-queues the events the store holds (call once after registering the
/// functions at start). Returns how many were resumed.
pub(super) fn resume(registry: &Arc<Registry>) -> usize {
    let events = registry.store().map(|s| s.load()).unwrap_or_default();
    let n = events.len();
    for event in events {
        spawn(registry, event);
    }
    n
}

/// Queues an asynchronous invocation: attempts, retries after a function
/// error (AWS: 2 retries, one then two minutes apart), gives up after
/// `MaximumEventAgeInSeconds`, then hands the event on.
pub(super) fn enqueue(
    registry: &Arc<Registry>,
    function: Arc<Function>,
    request_id: String,
    payload: Bytes,
) {
    let event = QueuedEvent {
        request_id,
        function_name: function.config.name.clone(),
        payload,
        enqueued_at_ms: Utc::now().timestamp_millis(),
        attempts: 0,
        last_error: None,
    };
    if let Some(store) = registry.store() {
        store.save(&event);
    }
    spawn(registry, event);
}

fn spawn(registry: &Arc<Registry>, event: QueuedEvent) {
    let weak: Weak<Registry> = Arc::downgrade(registry);
    registry.async_pending.fetch_add(1, Ordering::SeqCst);
    let task = async move {
        run_async(&weak, event).await;
        if let Some(inner) = weak.upgrade()
            && inner
                .async_pending
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    Some(n.saturating_sub(1))
                })
                .unwrap_or(0)
                <= 1
        {
            inner.async_idle.notify_waiters();
        }
    };
    if let Ok(mut tasks) = registry.async_tasks.lock() {
        // Reap finished tasks so the set does not grow without bound.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }
}

/// Waits until no asynchronous invocation is queued or running.
pub(super) async fn wait_idle(registry: &Registry) {
    loop {
        let notified = registry.async_idle.notified();
        if registry.async_pending.load(Ordering::SeqCst) == 0 {
            return;
        }
        notified.await;
    }
}

/// Drops every queued or running asynchronous invocation (shutdown): nobody waits for them any
/// more; the store keeps them for the next start.
pub(super) fn abort_all(registry: &Registry) {
    if let Ok(mut tasks) = registry.async_tasks.lock() {
        tasks.abort_all();
    }
    registry.async_pending.store(0, Ordering::SeqCst);
    registry.async_idle.notify_waiters();
}

/// Backoff for throttled asynchronous events: from 1 second, doubling, up to
/// 5 minutes (AWS's documented range).
fn throttle_backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(9)).min(Duration::from_secs(300))
}

/// The age of an event accepted at `enqueued_at_ms` (epoch), robust to a restart.
fn event_age(enqueued_at_ms: i64) -> Duration {
    let ms = Utc::now().timestamp_millis().saturating_sub(enqueued_at_ms);
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

async fn run_async(weak: &Weak<Registry>, mut event: QueuedEvent) {
    let mut throttles: u32 = 0;
    loop {
        // The service is gone (shutdown): the event stays in the store.
        let Some(inner) = weak.upgrade() else { return };
        let store = inner.store();
        let done = |store: &Option<Arc<dyn AsyncEventStore>>, id: &str| {
            if let Some(s) = store {
                s.remove(id);
            }
        };
        let Some(function) = inner.lookup_name(&event.function_name) else {
            // The function was deleted: Lambda drops its queued events.
            done(&store, &event.request_id);
            return;
        };
        let async_config = function.config.async_config.clone();
        if event_age(event.enqueued_at_ms) > async_config.maximum_event_age {
            hand_on(&inner, &function, &event, AsyncCondition::EventAgeExceeded);
            done(&store, &event.request_id);
            return;
        }
        let fault = inner.fault_for(&event.function_name);
        if fault == Some(Fault::Throttle) {
            let wait = throttle_backoff(throttles);
            throttles += 1;
            drop((inner, function, store));
            tokio::time::sleep(wait).await;
            continue;
        }
        let permit = Arc::clone(&function.permits).acquire_owned().await;
        event.attempts += 1;
        let outcome = function
            .execute(
                &inner.config,
                &inner.logs,
                RunRequest {
                    request_id: event.request_id.clone(),
                    payload: event.payload.clone(),
                    invoked_function_arn: function.arn.clone(),
                    client_context: None,
                    cognito_identity: None,
                },
                fault.as_ref(),
            )
            .await;
        drop(permit);
        match outcome.result {
            InvocationResult::Success(body) => {
                if let Some(destination) = async_config.on_success_destination.clone() {
                    inner.dead_letters.on_success(AsyncInvocationRecord {
                        request_id: event.request_id.clone(),
                        function_name: event.function_name.clone(),
                        function_arn: function.arn.clone(),
                        timestamp: Utc::now(),
                        condition: AsyncCondition::Success,
                        approximate_invoke_count: event.attempts,
                        request_payload: event.payload.clone(),
                        function_error: None,
                        response_payload: Some(body),
                        dead_letter_target_arn: None,
                        destination_arn: Some(destination),
                    });
                }
                done(&store, &event.request_id);
                return;
            }
            InvocationResult::Unhandled(body) => {
                event.last_error = Some(body);
                if event.attempts > async_config.maximum_retry_attempts {
                    hand_on(&inner, &function, &event, AsyncCondition::RetriesExhausted);
                    done(&store, &event.request_id);
                    return;
                }
                if let Some(s) = &store {
                    s.save(&event);
                }
            }
        }
        let delays = inner.config.async_retry_delays;
        let idx = usize::try_from(event.attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(delays.len() - 1);
        let age_left = async_config
            .maximum_event_age
            .saturating_sub(event_age(event.enqueued_at_ms));
        // An event that would expire before its retry is handed on when it expires.
        let wait = delays[idx].min(age_left + Duration::from_millis(1));
        drop((inner, function, store));
        tokio::time::sleep(wait).await;
    }
}

fn hand_on(
    registry: &Registry,
    function: &Function,
    event: &QueuedEvent,
    condition: AsyncCondition,
) {
    let c = &function.config.async_config;
    if c.dead_letter_target_arn.is_none() && c.on_failure_destination.is_none() {
        // Without a DLQ or destination Lambda discards the event.
        return;
    }
    registry.dead_letters.on_failure(AsyncInvocationRecord {
        request_id: event.request_id.clone(),
        function_name: function.config.name.clone(),
        function_arn: function.arn.clone(),
        timestamp: Utc::now(),
        condition,
        approximate_invoke_count: event.attempts,
        request_payload: event.payload.clone(),
        function_error: event.last_error.as_ref().map(|_| "Unhandled".to_owned()),
        response_payload: event.last_error.clone(),
        dead_letter_target_arn: c.dead_letter_target_arn.clone(),
        destination_arn: c.on_failure_destination.clone(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_backoff_grows_to_five_minutes() {
        assert_eq!(throttle_backoff(0), Duration::from_secs(1));
        assert_eq!(throttle_backoff(3), Duration::from_secs(8));
        assert_eq!(throttle_backoff(8), Duration::from_secs(256));
        assert_eq!(throttle_backoff(20), Duration::from_secs(300));
    }
}
