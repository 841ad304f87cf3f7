//! The crash app's `maybeCrash`, done by the harness: at the start of a third of all tasks
//! a worker is doomed to die, and another third to stall, at a random one of the task's
//! file operations (before it, mid-way through the writes, or between two renames).

use protocol_core::rng::{range_inclusive, Rng};
use protocol_core::NodeId;
use sim::FaultAction;
use std::collections::BTreeMap;

/// A map task makes 21 file operations (a read, 10 writes, 10 renames); a reduce 10.
const MAX_OPS_BEFORE: u64 = 20;
/// The course's crash app sleeps up to 9999 ms.
const MAX_STALL_MS: u64 = 9_999;

#[derive(Clone, Copy, Debug)]
enum Fate {
    Crash,
    Stall { micros: u64 },
}

pub struct Chaos {
    rng: Rng,
    /// Per worker: file operations left before its fate, and the fate.
    doomed: BTreeMap<NodeId, (u64, Fate)>,
    pub crashes: u32,
    pub stalls: u32,
}

impl Chaos {
    pub fn new(rng: Rng) -> Chaos {
        Chaos {
            rng,
            doomed: BTreeMap::new(),
            crashes: 0,
            stalls: 0,
        }
    }

    /// A task started on `worker`: a third crash, a third stall, a third run clean.
    pub fn on_started(&mut self, worker: NodeId) {
        let ops_before = range_inclusive(&mut self.rng, 0, MAX_OPS_BEFORE);
        match range_inclusive(&mut self.rng, 0, 2) {
            0 => {
                self.doomed.insert(worker, (ops_before, Fate::Crash));
            }
            1 => {
                let micros = range_inclusive(&mut self.rng, 0, MAX_STALL_MS) * 1_000;
                self.doomed
                    .insert(worker, (ops_before, Fate::Stall { micros }));
            }
            _ => {
                self.doomed.remove(&worker);
            }
        }
    }

    /// `worker` asks for a file operation: its fate, if this is the one.
    pub fn on_op(&mut self, worker: NodeId) -> Option<FaultAction> {
        let (left, fate) = self.doomed.get_mut(&worker)?;
        if *left > 0 {
            *left -= 1;
            return None;
        }
        let fate = *fate;
        self.doomed.remove(&worker);
        Some(match fate {
            Fate::Crash => {
                self.crashes += 1;
                FaultAction::Crash(worker)
            }
            Fate::Stall { micros } => {
                self.stalls += 1;
                FaultAction::Pause {
                    node: worker,
                    micros,
                }
            }
        })
    }
}
