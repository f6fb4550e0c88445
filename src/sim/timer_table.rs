//! Which engine timer is armed for each role timer of a node: dense tables
//! per timer space, indexed by the role's own timer index, so that setting,
//! re-arming and cancelling are O(1).

use crate::engine::{Scheduler, TimerKey};
use crate::net::NodeId;
use crate::sip::{TimerId, TimerSpace};

use super::world::Event;

/// The armed timers of one node.
#[derive(Debug, Default)]
pub(super) struct TimerTable {
    tables: [Vec<Option<TimerKey>>; TimerSpace::ALL.len()],
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
        let (space, i) = id.table_index();
        let table = &mut self.tables[space as usize];
        if table.len() <= i {
            table.resize(i + space.slots(), None);
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
        let (space, i) = id.table_index();
        if let Some(k) = self.tables[space as usize]
            .get_mut(i)
            .and_then(Option::take)
        {
            sched.cancel(k);
        }
    }

    /// Disarms every timer of entry `handle` of `space`.
    pub(super) fn clear(&mut self, sched: &mut Scheduler<Event>, space: TimerSpace, handle: u32) {
        let base = space.entry_base(handle);
        let table = &mut self.tables[space as usize];
        for k in table.iter_mut().skip(base).take(space.slots()) {
            if let Some(k) = k.take() {
                sched.cancel(k);
            }
        }
    }

    /// `id` fired: its slot is free.
    pub(super) fn fired(&mut self, id: TimerId) {
        let (space, i) = id.table_index();
        self.tables[space as usize][i] = None;
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
