//! When a step must be over. SPEC section 5 gives the whole task 45 s (a dynamic secret: its
//! `timeout` + 15 s), however many requests it makes, so every request of a step shares one
//! moment on the host's monotonic clock rather than each getting a budget of its own.

use std::cell::Cell;

/// How long a step may take unless it says otherwise (SPEC section 5).
pub const STEP_TIME_LIMIT_MS: u64 = 45_000;

/// The step's deadline: when it started and how long it may take.
#[derive(Debug)]
pub struct Deadline {
    started_ms: f64,
    limit_ms: Cell<u64>,
}

impl Deadline {
    /// A deadline [`STEP_TIME_LIMIT_MS`] after `now_ms`.
    pub fn starting_at(now_ms: f64) -> Self {
        Deadline {
            started_ms: now_ms,
            limit_ms: Cell::new(STEP_TIME_LIMIT_MS),
        }
    }

    /// Lets the step take `limit_ms` from its start instead.
    pub fn set_limit_ms(&self, limit_ms: u64) {
        self.limit_ms.set(limit_ms);
    }

    /// The moment the step must be over, on the host's monotonic clock.
    pub fn at_ms(&self) -> f64 {
        self.started_ms + self.limit_ms.get() as f64
    }

    /// How long is left at `now_ms`, in whole milliseconds (0 once passed).
    pub fn remaining_ms(&self, now_ms: f64) -> u64 {
        (self.at_ms() - now_ms).max(0.0) as u64
    }

    /// The step's limit in whole seconds, for messages.
    pub fn limit_seconds(&self) -> u64 {
        self.limit_ms.get().div_ceil(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_has_45_seconds_from_its_start() {
        let deadline = Deadline::starting_at(1_000.0);
        assert_eq!(deadline.at_ms(), 46_000.0);
        assert_eq!(deadline.remaining_ms(41_000.0), 5_000);
        assert_eq!(deadline.remaining_ms(50_000.0), 0);
        assert_eq!(deadline.limit_seconds(), 45);
    }

    #[test]
    fn a_step_may_set_its_own_limit_from_its_start() {
        let deadline = Deadline::starting_at(1_000.0);
        deadline.set_limit_ms(16_000);
        assert_eq!(deadline.at_ms(), 17_000.0);
        assert_eq!(deadline.limit_seconds(), 16);
    }
}
