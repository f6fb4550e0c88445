//! The run loop: a virtual clock that jumps from event to event.
//!
//! Contract:
//! - Time never moves backwards: scheduling before `now` is an error
//!   ([`ScheduleError::InPast`]), and events fire in `(time, seq)` order.
//! - Events at exactly the horizon fire; later ones stay pending, and the clock
//!   ends at the horizon, so a run can be continued with a later horizon.
//! - The handler gets `&mut Scheduler` (clock and queue) and the event payload.
//!   The engine knows nothing about what payloads mean.
//! - Every run is bounded by its horizon and by an event limit; hitting either
//!   is reported in [`RunOutcome`], never a hang.

use super::queue::{EventQueue, TimerKey};
use super::time::{SimDuration, SimTime, TimeError};

/// Why an event could not be scheduled or re-armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The requested instant precedes the current time.
    #[error("cannot schedule at {at}: the clock is already at {now}")]
    InPast {
        /// The requested instant.
        at: SimTime,
        /// The current time.
        now: SimTime,
    },
    /// `now + delay` does not fit in the clock's range.
    #[error("cannot schedule {delay} after {now}: {source}")]
    Overflow {
        /// The current time.
        now: SimTime,
        /// The requested delay.
        delay: SimDuration,
        /// The arithmetic failure.
        source: TimeError,
    },
    /// The timer already fired or was cancelled.
    #[error("timer is no longer pending")]
    NotPending,
}

/// The clock and the pending events, as seen by an event handler.
#[derive(Debug)]
pub struct Scheduler<P> {
    now: SimTime,
    queue: EventQueue<P>,
    stop_requested: bool,
}

impl<P> Scheduler<P> {
    fn new(queue: EventQueue<P>) -> Self {
        Scheduler {
            now: SimTime::ZERO,
            queue,
            stop_requested: false,
        }
    }

    /// The current virtual time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    #[inline]
    fn check(&self, at: SimTime) -> Result<(), ScheduleError> {
        if at < self.now {
            Err(ScheduleError::InPast { at, now: self.now })
        } else {
            Ok(())
        }
    }

    #[inline]
    fn after(&self, delay: SimDuration) -> Result<SimTime, ScheduleError> {
        self.now
            .checked_add(delay)
            .map_err(|source| ScheduleError::Overflow {
                now: self.now,
                delay,
                source,
            })
    }

    /// Schedules an event that will never be cancelled.
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, payload: P) -> Result<(), ScheduleError> {
        self.timer_at(at, payload).map(|_| ())
    }

    /// Schedules an event `delay` from now that will never be cancelled.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, payload: P) -> Result<(), ScheduleError> {
        let at = self.after(delay)?;
        self.schedule_at(at, payload)
    }

    /// Schedules a cancellable event (a timer) at `at`.
    #[inline]
    pub fn timer_at(&mut self, at: SimTime, payload: P) -> Result<TimerKey, ScheduleError> {
        self.check(at)?;
        Ok(self.queue.push(at, payload))
    }

    /// Schedules a cancellable event `delay` from now.
    #[inline]
    pub fn timer_in(&mut self, delay: SimDuration, payload: P) -> Result<TimerKey, ScheduleError> {
        let at = self.after(delay)?;
        self.timer_at(at, payload)
    }

    /// Cancels a pending timer, O(1); returns its payload, or `None` if it
    /// already fired or was cancelled (a harmless no-op).
    #[inline]
    pub fn cancel(&mut self, key: TimerKey) -> Option<P> {
        self.queue.cancel(key)
    }

    /// Moves a pending timer to `at`, O(1) plus one heap insertion; the key stays valid.
    #[inline]
    pub fn rearm_at(&mut self, key: TimerKey, at: SimTime) -> Result<(), ScheduleError> {
        self.check(at)?;
        if self.queue.rearm(key, at) {
            Ok(())
        } else {
            Err(ScheduleError::NotPending)
        }
    }

    /// Moves a pending timer to `delay` from now.
    #[inline]
    pub fn rearm_in(&mut self, key: TimerKey, delay: SimDuration) -> Result<(), ScheduleError> {
        let at = self.after(delay)?;
        self.rearm_at(key, at)
    }

    /// True while the timer is pending.
    pub fn is_pending(&self, key: TimerKey) -> bool {
        self.queue.is_pending(key)
    }

    /// Number of pending events.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// The underlying queue, for inspection (sizes, tests).
    pub fn queue(&self) -> &EventQueue<P> {
        &self.queue
    }

    /// Asks the run loop to return after the current event.
    pub fn request_stop(&mut self) {
        self.stop_requested = true;
    }
}

/// Why a run returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The next pending event lies beyond the horizon (or nothing is pending and
    /// the clock was advanced to the horizon).
    Horizon,
    /// The event limit was reached with events still pending at or before the horizon.
    EventLimit,
    /// A handler called [`Scheduler::request_stop`].
    Requested,
}

/// What a call to [`Simulation::run_until`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOutcome {
    /// Events handled during this call.
    pub events: u64,
    /// The clock when the call returned.
    pub now: SimTime,
    /// Why it returned.
    pub stop: StopReason,
}

/// A discrete-event simulation over payloads of type `P`.
#[derive(Debug)]
pub struct Simulation<P> {
    sched: Scheduler<P>,
    events: u64,
    max_events: u64,
}

impl<P> Default for Simulation<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> Simulation<P> {
    /// A simulation at time zero with no event limit.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// A simulation whose queue has room for `n` pending events.
    pub fn with_capacity(n: usize) -> Self {
        Simulation {
            sched: Scheduler::new(EventQueue::with_capacity(n)),
            events: 0,
            max_events: u64::MAX,
        }
    }

    /// Bounds the total number of events over the simulation's life.
    pub fn with_event_limit(mut self, max_events: u64) -> Self {
        self.max_events = max_events;
        self
    }

    /// The scheduler, for seeding initial events or inspecting state between runs.
    pub fn scheduler(&mut self) -> &mut Scheduler<P> {
        &mut self.sched
    }

    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.sched.now
    }

    /// Time of the next pending event (it readies the event set: a run that
    /// calls this before timing its loop measures the loop alone).
    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.sched.queue.peek_time()
    }

    /// Events handled since the simulation was created.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Handles the next event if it is due at or before `horizon`; returns
    /// whether one was handled. Does not move the clock otherwise.
    pub fn step<F>(&mut self, horizon: SimTime, handler: &mut F) -> bool
    where
        F: FnMut(&mut Scheduler<P>, P),
    {
        let Some((t, payload)) = self.sched.queue.pop_due(horizon) else {
            return false;
        };
        debug_assert!(t >= self.sched.now, "time moved backwards");
        self.sched.now = t;
        self.events += 1;
        handler(&mut self.sched, payload);
        true
    }

    /// Runs events in order until the next one lies after `horizon`, the event
    /// limit is reached, or a handler requests a stop.
    pub fn run_until<F>(&mut self, horizon: SimTime, mut handler: F) -> RunOutcome
    where
        F: FnMut(&mut Scheduler<P>, P),
    {
        let start_events = self.events;
        self.sched.stop_requested = false;
        let stop = loop {
            let due = if self.events >= self.max_events {
                // Out of budget: it only counts as a limit stop if work was left.
                if self.sched.queue.peek_time().is_some_and(|t| t <= horizon) {
                    break StopReason::EventLimit;
                }
                false
            } else {
                self.step(horizon, &mut handler)
            };
            if !due {
                self.sched.now = self.sched.now.max(horizon);
                break StopReason::Horizon;
            }
            if self.sched.stop_requested {
                break StopReason::Requested;
            }
        };
        RunOutcome {
            events: self.events - start_events,
            now: self.sched.now,
            stop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduling_in_the_past_is_an_error() {
        let mut sim: Simulation<u8> = Simulation::new();
        sim.scheduler()
            .schedule_at(SimTime::from_secs(5), 0)
            .unwrap();
        let mut err = None;
        sim.run_until(SimTime::from_secs(10), |s, _| {
            err = s.schedule_at(SimTime::from_secs(1), 1).err();
        });
        assert_eq!(
            err,
            Some(ScheduleError::InPast {
                at: SimTime::from_secs(1),
                now: SimTime::from_secs(5)
            })
        );
    }

    #[test]
    fn overflowing_delay_is_reported() {
        let mut sim: Simulation<u8> = Simulation::new();
        sim.scheduler().schedule_at(SimTime::MAX, 0).unwrap();
        let mut err = None;
        sim.run_until(SimTime::MAX, |s, _| {
            err = s.schedule_in(SimDuration::from_nanos(1), 1).err();
        });
        assert!(matches!(
            err,
            Some(ScheduleError::Overflow {
                source: TimeError::Overflow,
                ..
            })
        ));
    }

    #[test]
    fn horizon_is_inclusive_and_clock_ends_there() {
        let mut sim: Simulation<u32> = Simulation::new();
        for s in [1, 10, 11] {
            sim.scheduler()
                .schedule_at(SimTime::from_secs(s), s)
                .unwrap();
        }
        let mut seen = Vec::new();
        let out = sim.run_until(SimTime::from_secs(10), |_, p| seen.push(p));
        assert_eq!(seen, vec![1, 10]);
        assert_eq!(out.stop, StopReason::Horizon);
        assert_eq!(out.now, SimTime::from_secs(10));
        let out = sim.run_until(SimTime::from_secs(20), |_, p| seen.push(p));
        assert_eq!(seen, vec![1, 10, 11]);
        assert_eq!(out.events, 1);
        assert_eq!(out.now, SimTime::from_secs(20));
    }

    #[test]
    fn event_limit_bounds_a_livelock() {
        let mut sim: Simulation<()> = Simulation::new().with_event_limit(1000);
        sim.scheduler().schedule_at(SimTime::ZERO, ()).unwrap();
        // A handler that reschedules itself at the same instant forever.
        let out = sim.run_until(SimTime::from_secs(1), |s, ()| {
            s.schedule_in(SimDuration::ZERO, ()).unwrap();
        });
        assert_eq!(out.stop, StopReason::EventLimit);
        assert_eq!(out.events, 1000);
        assert_eq!(out.now, SimTime::ZERO);
    }

    #[test]
    fn reaching_the_limit_with_nothing_left_due_is_a_horizon_stop() {
        let mut sim: Simulation<u8> = Simulation::new().with_event_limit(2);
        for s in [1, 2, 30] {
            sim.scheduler()
                .schedule_at(SimTime::from_secs(s), 0)
                .unwrap();
        }
        let out = sim.run_until(SimTime::from_secs(10), |_, _| {});
        assert_eq!(
            (out.stop, out.events, out.now),
            (StopReason::Horizon, 2, SimTime::from_secs(10))
        );
        let out = sim.run_until(SimTime::from_secs(40), |_, _| {});
        assert_eq!(
            (out.stop, out.events, out.now),
            (StopReason::EventLimit, 0, SimTime::from_secs(10))
        );
    }

    #[test]
    fn requested_stop_returns_after_the_current_event() {
        let mut sim: Simulation<u32> = Simulation::new();
        for i in 0..5 {
            sim.scheduler()
                .schedule_at(SimTime::from_secs(i), i)
                .unwrap();
        }
        let out = sim.run_until(SimTime::from_secs(100), |s, p| {
            if p == 2 {
                s.request_stop();
            }
        });
        assert_eq!(
            (out.stop, out.events, out.now),
            (StopReason::Requested, 3, SimTime::from_secs(2))
        );
    }
}
