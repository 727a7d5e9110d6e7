//! The Lambda request-rate budget. Lambda's control plane allows 15 requests/s per account and
//! region, shared by every tool and deploy pipeline; a scan must never take all of it.

use std::time::Duration;

use tokio::{sync::Mutex, time::Instant};

/// Spaces calls evenly so that no more than `rps` start in any one second. Every attempt,
/// retries included, takes a slot.
#[derive(Debug)]
pub struct RateBudget {
    interval: Option<Duration>,
    next_slot: Mutex<Instant>,
}

impl RateBudget {
    /// A budget of `rps` requests per second; 0 lifts the budget (benchmarks only).
    pub fn per_second(rps: u32) -> Self {
        // 5% over 1/rps so that network jitter (a new connection's handshake delaying one call's
        // arrival) cannot squeeze rps+1 calls into one second as the server counts them.
        let interval = (rps > 0).then(|| Duration::from_secs_f64(1.05 / f64::from(rps)));
        Self { interval, next_slot: Mutex::new(Instant::now()) }
    }

    /// Waits for the next free slot.
    pub async fn acquire(&self) {
        let Some(interval) = self.interval else { return };
        let slot = {
            let mut next = self.next_slot.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// One rate budget per Lambda quota (per account and region): the shared control plane
/// (15/s), GetFunction (100/s) and GetPolicy (15/s).
#[derive(Clone)]
pub struct Budgets {
    pub control_plane: std::sync::Arc<RateBudget>,
    pub get_function: std::sync::Arc<RateBudget>,
    pub get_policy: std::sync::Arc<RateBudget>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn ten_per_second_spaces_calls_a_tenth_of_a_second_apart() {
        let budget = RateBudget::per_second(10);
        let start = Instant::now();
        for _ in 0..11 {
            budget.acquire().await;
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(1000), "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_lifted_budget_never_waits() {
        let budget = RateBudget::per_second(0);
        let start = Instant::now();
        for _ in 0..1000 {
            budget.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
