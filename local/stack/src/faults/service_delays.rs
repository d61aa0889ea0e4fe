//! Service delays in force: [`ServiceDelays`] (one per [`Namespace`], with a seeded jitter), how a
//! requested delay is checked, and how one is listed. Where they apply is `delay.rs`.

use std::collections::BTreeMap;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::error::{ControlError, invalid};
use super::namespace::Namespace;
use super::plan::DelaySpec;
use crate::clock::SharedClock;

/// Longest delay (base plus jitter) the API accepts: five minutes, longer than any SDK's default
/// read timeout, so a delay can make a client time out but never hangs a request for good.
pub const MAX_DELAY_MS: u64 = 300_000;

#[derive(Debug, Clone, Copy)]
pub(super) struct DelayEntry {
    pub(super) id: u64,
    pub(super) base: Duration,
    pub(super) jitter: Duration,
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

    /// Every delay in force, as the control API lists it.
    pub(super) fn views(&self) -> Vec<Value> {
        self.delays
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(ns, e)| e.view(*ns))
            .collect()
    }

    pub(super) fn lock_write(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, BTreeMap<Namespace, DelayEntry>> {
        self.delays.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl DelayEntry {
    /// The entry as the control API lists it.
    pub(super) fn view(&self, namespace: Namespace) -> Value {
        json!({
            "id": self.id,
            "service": namespace.name(),
            "ms": u64::try_from(self.base.as_millis()).unwrap_or(u64::MAX),
            "jitterMs": u64::try_from(self.jitter.as_millis()).unwrap_or(u64::MAX),
        })
    }
}

/// A requested delay, checked: (namespace, base, jitter).
pub(super) fn resolve_delay(
    at: &str,
    spec: &DelaySpec,
) -> Result<(Namespace, Duration, Duration), ControlError> {
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
    Ok((
        namespace,
        Duration::from_millis(spec.ms),
        Duration::from_millis(jitter),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

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
