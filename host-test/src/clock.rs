//! The time the host tells the filters.

use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock source for `proxy_get_current_time_nanoseconds` and WASI `clock_time_get`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Clock {
    /// The machine's clock.
    #[default]
    System,
    /// A fixed instant, in nanoseconds since the Unix epoch: tests of deprecation and sunset
    /// dates need one.
    Fixed(u64),
}

impl Clock {
    /// A clock stopped at `seconds` since the Unix epoch.
    pub fn at_unix_seconds(seconds: u64) -> Self {
        Clock::Fixed(seconds.saturating_mul(1_000_000_000))
    }

    /// Nanoseconds since the Unix epoch.
    pub fn now_nanos(self) -> u64 {
        match self {
            Clock::Fixed(nanos) => nanos,
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| {
                    u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
                }),
        }
    }
}
