//! What the Raft tester sees as the run goes: the cluster-wide invariants after every step,
//! and each server's applied stream, kept the way the course's `cfg.logs` keeps it.

use super::applied::AppliedLog;
use super::checks;
use super::digests::DigestLog;
use super::durable::DurableAcrossRestarts;
use super::goals::RaftGoals;
use protocol_core::{NodeId, Time};
use raft::cluster_check::ClusterCheck;
use raft::{RaftEvent, RaftNode};
use sim::observer::NodesView;
use sim::{Observer, Violation};

/// The tester's value of a command: commands it starts are eight-byte integers; any other
/// command (a 5000-byte string) is known by its checksum.
pub fn command_value(command: &[u8]) -> u64 {
    match <[u8; 8]>::try_from(command) {
        Ok(bytes) => u64::from_le_bytes(bytes),
        Err(_) => sim::hash::checksum(command) | (1 << 63),
    }
}

pub fn command_bytes(value: u64) -> Vec<u8> {
    value.to_le_bytes().to_vec()
}

/// In digest mode, how far back a snapshot fills in a server's view of applied commands.
const SNAPSHOT_WINDOW: u64 = 1_000;

/// The observer of every Raft scenario.
pub struct RaftWatch {
    check: ClusterCheck,
    /// Per server, index -> command value as it applied them; kept across restarts.
    pub(crate) logs: Vec<AppliedLog>,
    /// Per server, the last index applied by its current incarnation.
    pub(crate) last_applied: Vec<u64>,
    pub(crate) max_index: u64,
    /// In snapshot mode, indexes after which the tester must hand Raft a snapshot.
    snapshot_every: Option<u64>,
    pub(crate) snapshots_due: Vec<(NodeId, u64)>,
    restarts: u64,
    durable: DurableAcrossRestarts,
    /// Digest mode (long runs): snapshots are digests and old history is dropped.
    digests: Option<DigestLog>,
    pub(crate) goals: RaftGoals,
}

impl RaftWatch {
    pub fn new(servers: usize, snapshot_every: Option<u64>) -> RaftWatch {
        RaftWatch {
            check: ClusterCheck::new(servers),
            logs: vec![AppliedLog::new(); servers],
            last_applied: vec![0; servers],
            max_index: 0,
            snapshot_every,
            snapshots_due: Vec::new(),
            restarts: 0,
            durable: DurableAcrossRestarts::new(servers),
            digests: None,
            goals: RaftGoals::new(servers),
        }
    }

    /// Digest mode, for long runs: memory stays flat (see `digests.rs`). Needs snapshots.
    pub fn use_digests(&mut self) {
        assert!(self.snapshot_every.is_some(), "digest mode needs snapshots");
        assert_eq!(
            self.max_index, 0,
            "digest mode starts before anything is applied"
        );
        self.digests = Some(DigestLog::new(self.logs.len()));
    }

    /// Commands the tester and the cluster checker remember, over all servers (flat in
    /// digest mode: both forget what every server's snapshot covers).
    pub fn remembered(&self) -> usize {
        self.logs.iter().map(AppliedLog::len).sum::<usize>()
            + self.digests.as_ref().map_or(0, DigestLog::len)
            + self.check.kept_indexes()
    }

    /// Drops every server's applied commands below `floor`.
    fn prune_below(&mut self, floor: u64) {
        for log in &mut self.logs {
            log.drop_below(floor);
        }
    }

    /// Log matching over the whole logs of the servers in `nodes` (`None`: down); the
    /// harness reports it as `log-matching`, the only check this runs.
    pub fn check_log_matching_full(&self, nodes: &[Option<&RaftNode>]) -> Result<(), Violation> {
        self.check.check_log_matching_full(nodes)
    }

    pub fn leaders_seen(&self) -> usize {
        self.check.leaders_seen()
    }

    /// The course's `checkLogs`: no other server applied a different command at `index`.
    fn check_logs(&self, node: NodeId, index: u64, value: u64) -> Result<(), Violation> {
        for (other, log) in self.logs.iter().enumerate() {
            if let Some(theirs) = log.get(index) {
                if theirs != value {
                    return Err(Violation::new(
                        checks::STATE_MACHINE_SAFETY,
                        format!("commit index={index} server={node} {value:#x} != server=n{other} {theirs:#x}"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn on_applied(&mut self, node: NodeId, index: u64, value: u64) -> Result<(), Violation> {
        let i = node.index();
        self.check_logs(node, index, value)?;
        if self.snapshot_every.is_some() {
            if index != self.last_applied[i] + 1 {
                return Err(Violation::new(
                    checks::APPLY_ORDER,
                    format!(
                        "{node} apply out of order: expected index {}, got {index}",
                        self.last_applied[i] + 1
                    ),
                ));
            }
        } else if index > 1 && !self.logs[i].contains(index - 1) {
            return Err(Violation::new(
                checks::APPLY_ORDER,
                format!("{node} apply out of order at index {index}"),
            ));
        }
        if let Some(digests) = self.digests.as_mut() {
            digests
                .applied(i, index, value)
                .map_err(|m| Violation::new(checks::STATE_MACHINE_SAFETY, m))?;
        }
        self.logs[i].insert(index, value);
        self.last_applied[i] = index;
        self.max_index = self.max_index.max(index);
        if self
            .snapshot_every
            .is_some_and(|every| (index + 1).is_multiple_of(every))
        {
            self.snapshots_due.push((node, index));
        }
        Ok(())
    }

    /// A snapshot's bytes are the tester's own encoding of its log view (index, commands).
    fn on_snapshot(&mut self, node: NodeId, index: u64, data: &[u8]) -> Result<(), Violation> {
        if self.digests.is_some() {
            return self.on_snapshot_digest(node, index, data);
        }
        let (encoded_index, commands): (u64, Vec<u64>) =
            postcard::from_bytes(data).map_err(|e| {
                Violation::new(
                    checks::SNAPSHOT_BYTES,
                    format!("{node}: snapshot does not decode: {e}"),
                )
            })?;
        if encoded_index != index {
            return Err(Violation::new(
                checks::SNAPSHOT_BYTES,
                format!("{node}: snapshot doesn't match SnapshotIndex: {encoded_index} != {index}"),
            ));
        }
        let i = node.index();
        // The server's view becomes exactly the snapshot's commands 1..=index. Edited in
        // place: a command the view already holds was checked against every server when it
        // went in (and every later insertion elsewhere was checked against it), so only new
        // or different ones need checking.
        for (j, &value) in commands.iter().enumerate() {
            let at = j as u64 + 1;
            if self.logs[i].get(at) != Some(value) {
                self.logs[i].remove(at); // compared with the others, not with itself
                self.check_logs(node, at, value)?;
                self.logs[i].insert(at, value);
            }
        }
        let len = commands.len() as u64;
        self.logs[i].drop_above(len);
        self.last_applied[i] = index;
        Ok(())
    }

    fn on_snapshot_digest(
        &mut self,
        node: NodeId,
        index: u64,
        data: &[u8],
    ) -> Result<(), Violation> {
        let i = node.index();
        let digests = self.digests.as_mut().expect("digest mode");
        let floor = digests
            .snapshot(i, index, data)
            .map_err(|m| Violation::new(checks::SNAPSHOT_BYTES, m))?;
        // What the snapshot covers counts as applied here, as the course's tester counts it.
        let start = self.last_applied[i].max(index.saturating_sub(SNAPSHOT_WINDOW)) + 1;
        for at in start..=index {
            let known = self.logs.iter().find_map(|log| log.get(at));
            if let Some(value) = known {
                self.logs[i].insert(at, value);
            }
        }
        self.last_applied[i] = index;
        if let Some(floor) = floor {
            self.prune_below(floor);
        }
        Ok(())
    }

    /// The harness handed server `node` a snapshot at `index`.
    pub(crate) fn snapshot_taken(&mut self, node: NodeId, index: u64) -> Result<(), Violation> {
        let Some(digests) = self.digests.as_mut() else {
            return Ok(());
        };
        let data = digests.snapshot_bytes(index);
        let floor = digests
            .snapshot(node.index(), index, &data)
            .map_err(|m| Violation::new(checks::SNAPSHOT_BYTES, m))?;
        if let Some(floor) = floor {
            self.prune_below(floor);
        }
        Ok(())
    }

    /// The tester's snapshot of server `node` up to `index`: (index, commands 1..=index), or
    /// (index, digest) in digest mode.
    pub fn snapshot_bytes(&mut self, node: NodeId, index: u64) -> Vec<u8> {
        if let Some(digests) = &self.digests {
            return digests.snapshot_bytes(index);
        }
        self.logs[node.index()].snapshot_bytes(index)
    }

    pub fn restarts(&self) -> u64 {
        self.restarts
    }
}

impl Observer<RaftNode> for RaftWatch {
    fn on_emit(&mut self, _now: Time, node: NodeId, event: &RaftEvent) -> Result<(), Violation> {
        self.check.applied(node, event)?;
        self.goals.on_event(node, event);
        match event {
            RaftEvent::Applied { index, command, .. } => {
                self.on_applied(node, index.0, command_value(command))
            }
            RaftEvent::Snapshot { index, data, .. } if self.snapshot_every.is_some() => {
                self.on_snapshot(node, index.0, data)
            }
            RaftEvent::Snapshot { index, .. } => Err(Violation::new(
                checks::SNAPSHOT,
                format!("{node} emitted a snapshot at {index} but none was taken"),
            )),
            RaftEvent::Started(_) => Ok(()),
        }
    }

    fn on_crash(&mut self, _now: Time, node: NodeId) {
        self.last_applied[node.index()] = 0;
    }

    fn on_crash_within_step(&mut self, _now: Time, node: NodeId) {
        self.durable.crashed_within_step(node);
    }

    fn on_restart(&mut self, _now: Time, node: NodeId) {
        self.restarts += 1;
        self.goals.restarted(node);
        self.check.restarted(node);
        self.last_applied[node.index()] = 0;
        self.durable.restarted(node);
        if let Some(digests) = self.digests.as_mut() {
            digests.restarted(node.index());
        }
    }

    fn after_step(&mut self, _now: Time, nodes: &NodesView<'_, RaftNode>) -> Result<(), Violation> {
        let view: Vec<Option<&RaftNode>> = nodes.iter().map(|(_, node)| node).collect();
        self.goals.after_step(&view, nodes.stepped());
        self.durable.after_step_of(&view, nodes.stepped())?;
        self.check.after_step_of(&view, nodes.stepped())
    }
}
