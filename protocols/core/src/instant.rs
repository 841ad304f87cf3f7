//! Storage that is durable at once, for test rigs and simple drivers: every file operation
//! lands on an in-memory [`Disk`] as it is carried out, and every sync is answered right away.

use crate::disk::{Disk, SyncToken};
use crate::node::{Input, Node, Outbox, Output};
use crate::time::Time;

/// A node's disk in a rig that needs no storage faults.
#[derive(Clone, Debug, Default)]
pub struct InstantDisk {
    pub disk: Disk,
}

impl InstantDisk {
    pub fn new() -> InstantDisk {
        InstantDisk::default()
    }

    /// Carries out the storage outputs in `out` on the disk and answers each `Sync` by handing
    /// `node` its `Input::Synced` (and settling what that produces, in turn). Returns every
    /// output, storage ones included, in the order they were carried out, so the caller
    /// can go on with the sends, timers and events.
    pub fn settle<N: Node>(
        &mut self,
        node: &mut N,
        now: Time,
        out: &mut Outbox<N>,
    ) -> Vec<Output<N>> {
        let mut done = Vec::new();
        let mut pending: Vec<Output<N>> = out.drain().collect();
        loop {
            let mut synced: Vec<SyncToken> = Vec::new();
            for output in pending.drain(..) {
                match &output {
                    Output::Persist(write) => self.disk.apply(write.clone()),
                    Output::File(op) => self.disk.apply_op(op),
                    Output::Sync { token, .. } => synced.push(*token),
                    Output::Halt(reason) => {
                        panic!("a node halted ({reason}) on storage that never fails")
                    }
                    Output::Send { .. }
                    | Output::SetTimer { .. }
                    | Output::CancelTimer(_)
                    | Output::Emit(_) => {}
                }
                done.push(output);
            }
            if synced.is_empty() {
                return done;
            }
            let mut more = Outbox::new();
            for token in synced {
                let result = Ok(());
                node.handle(now, Input::Synced { token, result }, &mut more);
            }
            pending = more.drain().collect();
        }
    }
}
