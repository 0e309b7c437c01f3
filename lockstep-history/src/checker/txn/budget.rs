//! The cycle search's budget: a total deadline and one per component.
//!
//! Kept here, small, until `checker/` has one budget shared by every checker.

use std::time::{Duration, Instant};

/// Deadlines for the cycle search.
pub(crate) struct Budget {
    total: Option<Instant>,
    per_component: Option<Duration>,
}

/// Which deadline passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutOfTime {
    Total,
    Component,
}

impl OutOfTime {
    pub fn reason(self) -> &'static str {
        match self {
            OutOfTime::Total => "the total time limit was reached",
            OutOfTime::Component => "the per-component time limit was reached",
        }
    }
}

impl Budget {
    pub fn new(total: Option<Duration>, per_component: Option<Duration>) -> Budget {
        Budget {
            total: total.map(|d| Instant::now() + d),
            per_component,
        }
    }

    /// A clock for one component, started now.
    pub fn component(&self) -> Clock {
        let own = self.per_component.map(|d| Instant::now() + d);
        Clock {
            total: self.total,
            own,
            ticks: 0,
        }
    }
}

/// Checks the deadlines cheaply: the clock is read once every 1024 ticks.
pub(crate) struct Clock {
    total: Option<Instant>,
    own: Option<Instant>,
    ticks: u32,
}

impl Clock {
    /// Counts one unit of work; `Err` once a deadline has passed.
    pub fn tick(&mut self) -> Result<(), OutOfTime> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(1024) {
            self.check()
        } else {
            Ok(())
        }
    }

    /// Reads the clock now.
    pub fn check(&self) -> Result<(), OutOfTime> {
        let now = Instant::now();
        if self.total.is_some_and(|t| now >= t) {
            return Err(OutOfTime::Total);
        }
        if self.own.is_some_and(|t| now >= t) {
            return Err(OutOfTime::Component);
        }
        Ok(())
    }
}
