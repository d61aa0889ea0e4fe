//! One clock for the whole stack.
//!
//! Every timestamp (log event ingestion, message visibility, execution start)
//! and every wait (long polling, retries, heartbeats, timeouts) goes through a
//! [`Clock`], so tests drive time with a [`ManualClock`] instead of sleeping.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::watch;

/// A future returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The source of "now" and of waits.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;

    /// Completes once the clock has advanced by `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;

    /// The current time as a `DateTime`.
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.now_millis())
            .single()
            .unwrap_or_else(Utc::now)
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// Wall-clock time and tokio timers.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        Utc::now().timestamp_millis()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that only moves when told to; sleepers wake when it passes their deadline.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<i64>,
    tick: watch::Sender<i64>,
}

impl ManualClock {
    /// A clock frozen at `start_millis`.
    pub fn new(start_millis: i64) -> Arc<Self> {
        let (tick, _) = watch::channel(start_millis);
        Arc::new(Self {
            now: Mutex::new(start_millis),
            tick,
        })
    }

    /// Moves the clock forward and wakes every sleeper whose deadline passed.
    pub fn advance(&self, by: Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let now = {
            let mut guard = self.now.lock().unwrap_or_else(|e| e.into_inner());
            *guard = guard.saturating_add(millis);
            *guard
        };
        self.tick.send_replace(now);
    }

    /// Sets the clock to an absolute time (never backwards).
    pub fn set_millis(&self, millis: i64) {
        let now = {
            let mut guard = self.now.lock().unwrap_or_else(|e| e.into_inner());
            *guard = (*guard).max(millis);
            *guard
        };
        self.tick.send_replace(now);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let deadline = self
            .now_millis()
            .saturating_add(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX));
        let mut rx = self.tick.subscribe();
        Box::pin(async move {
            // `wait_for` checks the current value first, so a deadline already
            // passed completes at once.
            let _ = rx.wait_for(|now| *now >= deadline).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_clock_wakes_sleepers_only_past_their_deadline() {
        let clock = ManualClock::new(1_000);
        let sleep = clock.sleep(Duration::from_millis(500));
        let handle = tokio::spawn(sleep);
        clock.advance(Duration::from_millis(499));
        tokio::task::yield_now().await;
        assert!(!handle.is_finished());
        clock.advance(Duration::from_millis(1));
        tokio::time::timeout(Duration::from_secs(5), handle)
            .await
            .expect("woke")
            .expect("joined");
        assert_eq!(clock.now_millis(), 1_500);
    }

    #[test]
    fn manual_clock_never_goes_backwards() {
        let clock = ManualClock::new(10);
        clock.set_millis(5);
        assert_eq!(clock.now_millis(), 10);
        clock.set_millis(20);
        assert_eq!(clock.now().timestamp_millis(), 20);
    }
}
