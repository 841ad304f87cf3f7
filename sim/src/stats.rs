//! Counters of a run: messages by kind, drops by reason, faults, steps.

use std::collections::BTreeMap;

/// Messages and bytes of one message kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindStats {
    pub sent: u64,
    pub bytes: u64,
    pub delivered: u64,
}

/// Why a message did not arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DropReason {
    /// The network lost it (the loss probability).
    Lost,
    /// A link on its way was down, at send or at arrival.
    Partitioned,
    /// Its sender or receiver crashed (or restarted) while it was in flight.
    NodeDown,
    /// Its checksum did not match: corrupted on the wire.
    Corrupt,
    /// It arrived intact but did not decode.
    Undecodable,
}

impl DropReason {
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Lost => "lost",
            DropReason::Partitioned => "partitioned",
            DropReason::NodeDown => "node-down",
            DropReason::Corrupt => "corrupt",
            DropReason::Undecodable => "undecodable",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events taken off the queue (deliveries, timers, faults), stale timers excluded.
    pub steps: u64,
    pub sent: u64,
    pub bytes_sent: u64,
    pub delivered: u64,
    pub duplicated: u64,
    pub dropped: BTreeMap<DropReason, u64>,
    pub by_kind: BTreeMap<&'static str, KindStats>,
    /// Messages delivered to each node (the course's per-server RPC count).
    pub delivered_to: Vec<u64>,
    pub timers_fired: u64,
    pub persists: u64,
    pub bytes_persisted: u64,
    /// File operations carried out, and the bytes they wrote.
    pub writes: u64,
    pub bytes_written: u64,
    pub syncs: u64,
    pub sync_failures: u64,
    /// Unsynced writes a crash or a failed sync lost, and those it kept torn.
    pub writes_lost: u64,
    pub writes_torn: u64,
    pub latent_errors: u64,
    pub misdirected_writes: u64,
    /// Nodes that gave up their volatile state (`Output::Halt`).
    pub halts: u64,
    /// Nodes that found their disk corrupt at boot and stayed down.
    pub disk_failures: u64,
    pub faults: u64,
    pub crashes: u64,
    pub restarts: u64,
}

impl Stats {
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }

    pub fn dropped_for(&self, reason: DropReason) -> u64 {
        self.dropped.get(&reason).copied().unwrap_or(0)
    }

    pub(crate) fn count_drop(&mut self, reason: DropReason) {
        *self.dropped.entry(reason).or_default() += 1;
    }

    pub(crate) fn count_send(&mut self, kind: &'static str, bytes: usize) {
        self.sent += 1;
        self.bytes_sent += bytes as u64;
        let entry = self.by_kind.entry(kind).or_default();
        entry.sent += 1;
        entry.bytes += bytes as u64;
    }

    pub(crate) fn count_delivery(&mut self, kind: &'static str, to: usize) {
        self.delivered += 1;
        if let Some(entry) = self.by_kind.get_mut(kind) {
            entry.delivered += 1;
        }
        if self.delivered_to.len() <= to {
            self.delivered_to.resize(to + 1, 0);
        }
        self.delivered_to[to] += 1;
    }
}
