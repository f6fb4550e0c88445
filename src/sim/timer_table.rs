//! Which engine timer is armed for each role timer of a node: dense tables
//! per timer space, indexed by the role's own timer index, so that setting,
//! re-arming and cancelling are O(1).

use crate::engine::{Scheduler, TimerKey};
use crate::net::NodeId;
use crate::sip::TimerId;
use crate::sip::timer::TimerOwner;

use super::world::Event;

/// The armed timers of one node.
#[derive(Debug, Default)]
pub(super) struct TimerTable {
    tables: [Vec<Option<TimerKey>>; TimerOwner::SLOTS.len()],
}

impl TimerTable {
    /// Arms `id` of `node` at `at`: re-arms the pending engine timer if it is
    /// this very timer, otherwise cancels what shares its slot and arms anew.
    pub(super) fn set(
        &mut self,
        sched: &mut Scheduler<Event>,
        node: NodeId,
        id: TimerId,
        at: crate::engine::SimTime,
    ) {
        let (t, i) = id.table_index();
        let table = &mut self.tables[t];
        if table.len() <= i {
            table.resize(i + TimerOwner::SLOTS[t], None);
        }
        match table[i] {
            Some(key) if same_timer(sched, key, node, id) => {
                sched
                    .rearm_at(key, at)
                    .expect("timers are set in the future");
            }
            old => {
                if let Some(k) = old {
                    sched.cancel(k);
                }
                table[i] = Some(
                    sched
                        .timer_at(at, Event::Timer { node, id })
                        .expect("timers are set in the future"),
                );
            }
        }
    }

    /// Disarms `id` if armed.
    pub(super) fn cancel(&mut self, sched: &mut Scheduler<Event>, id: TimerId) {
        let (t, i) = id.table_index();
        if let Some(k) = self.tables[t].get_mut(i).and_then(Option::take) {
            sched.cancel(k);
        }
    }

    /// Disarms every timer of `owner`.
    pub(super) fn clear(&mut self, sched: &mut Scheduler<Event>, owner: TimerOwner) {
        let (t, base) = owner.table_base();
        let table = &mut self.tables[t];
        for k in table.iter_mut().skip(base).take(TimerOwner::SLOTS[t]) {
            if let Some(k) = k.take() {
                sched.cancel(k);
            }
        }
    }

    /// `id` fired: its slot is free.
    pub(super) fn fired(&mut self, id: TimerId) {
        let (t, i) = id.table_index();
        self.tables[t][i] = None;
    }

    /// Disarms every timer (the node crashed).
    pub(super) fn clear_all(&mut self, sched: &mut Scheduler<Event>) {
        for table in &mut self.tables {
            for k in table.iter_mut().filter_map(Option::take) {
                sched.cancel(k);
            }
        }
    }
}

/// True if `key` is the pending engine timer for `(node, id)`.
fn same_timer(sched: &Scheduler<Event>, key: TimerKey, node: NodeId, id: TimerId) -> bool {
    matches!(
        sched.queue().get(key),
        Some(Event::Timer { node: n, id: i }) if *n == node && *i == id
    )
}
