//! The tester's checks on storage (`checklogs`, challenge 1's budget) and the end of every
//! sharded-KV run: the groups settle and hold only what they serve, Raft's logs match in
//! every cluster, and the whole client history is linearizable.

use super::checks;
use super::harness::ShardKvHarness;
use linearizability::models::kv::KvModel;
use shardkv::watch::check_quiescent;
use shardkv::ShardKvNode;
use sim::NetworkConfig;
use sim_kit::history::{write_history, write_history_files, HistoryCheck};
use sim_kit::{RunReport, Step};

/// After the scenario, the groups have this long to reach the latest configuration and
/// settle on a reliable network.
const SETTLE_BOUND_MS: u64 = 10_000;
/// Room for Raft's state beside its log, with some to spare.
const RAFT_FIXED_STATE_BYTES: usize = 64;

impl ShardKvHarness {
    /// `checklogs`: with snapshots, every group server's Raft state within 8 × maxraftstate;
    /// without, no snapshot anywhere.
    pub fn check_logs(&mut self) -> Step {
        for id in self.group_servers() {
            if self.sim.is_failed(id) {
                continue; // its disk was found corrupt: the server is gone for good
            }
            let disk = self.sim.disk(id);
            // Raft's own account of its log file where the server is up: a misdirected write
            // can leave stray sectors past the file's end, the disk's doing and not Raft's.
            let raft = self.sim.node(id).and_then(ShardKvNode::raft);
            let state = raft.map_or_else(
                || disk.size_of(raft::RAFT_STATE_FILE),
                raft::RaftNode::state_bytes,
            );
            let snapshot = disk.size_of(raft::SNAPSHOT_FILE);
            let problem = match self.max_raft_state {
                Some(max) if state > 8 * max => Some((
                    checks::CHECK_LOGS,
                    format!("{id}: raft state {state} > 8*{max}"),
                )),
                None if snapshot > 0 => Some((
                    checks::CHECK_LOGS,
                    format!("{id}: a {snapshot}-byte snapshot with maxraftstate -1"),
                )),
                Some(_) | None => None,
            };
            if let Some((check, message)) = problem {
                return Err(self.fail(check, message));
            }
        }
        Ok(())
    }

    /// Whether 8 × maxraftstate leaves room for what Raft keeps beside its log (term, vote,
    /// snapshot point: about 15 bytes), so a compacted server passes `checklogs`. Challenge
    /// 1's maxraftstate of 1 does not; the course never runs `checklogs` there either.
    fn log_bound_fits(&self) -> bool {
        self.max_raft_state
            .is_none_or(|max| 8 * max >= RAFT_FIXED_STATE_BYTES)
    }

    /// Raft state plus snapshot bytes over every group server's disk: the files a restart
    /// reads. The temporary files of a rewrite under way are left out: measured between a
    /// new snapshot's write and its rename (as challenge 1 does, when the last read's reply
    /// leaves as the snapshot after its entry starts), a server would count its snapshot
    /// twice, which the course's atomic save never shows.
    pub fn storage_bytes(&self) -> usize {
        let files = [raft::RAFT_STATE_FILE, raft::META_FILE, raft::SNAPSHOT_FILE];
        let servers = self.group_servers();
        servers
            .iter()
            .map(|&id| {
                let disk = self.sim.disk(id);
                files.iter().map(|f| disk.size_of(f)).sum::<usize>()
            })
            .sum()
    }

    /// Every up group server has reached the controller's latest configuration with every
    /// shard settled, within `SETTLE_BOUND_MS` on a reliable network; then none holds data
    /// of a shard it does not serve.
    pub fn settle_and_check_quiescent(&mut self) -> Step {
        let latency = self.sim.network().latency;
        self.sim.set_network(NetworkConfig {
            latency,
            ..NetworkConfig::reliable()
        });
        let servers = self.group_servers();
        let settled = |h: &super::harness::ShardKvKit| {
            let latest = h.sim.observer().ctrler.configs.latest().num;
            servers.iter().all(|&id| {
                let server = h.sim.node(id).and_then(ShardKvNode::as_server);
                server.is_none_or(|s| s.state().config().num == latest && s.state().is_settled())
            })
        };
        let deadline = self.now().plus_ms(SETTLE_BOUND_MS);
        if !self.run_until_done(deadline, settled)? {
            let message = format!(
                "groups not settled at the latest configuration {SETTLE_BOUND_MS} ms after the end"
            );
            return Err(self.fail(checks::LIVENESS, message));
        }
        for id in servers {
            let Some(server) = self.sim.node(id).and_then(ShardKvNode::as_server) else {
                continue;
            };
            if let Err(violation) = check_quiescent(id, server.state()) {
                return Err(self.sim.fail(violation));
            }
        }
        Ok(())
    }

    /// The verdict, then (if asked) the groups settled and quiescent and `checklogs` once
    /// more (the course runs it at points of a few tests; a settled group has applied and
    /// compacted everything, so it holds for every scenario's end), log matching over whole
    /// logs in every Raft cluster, and the linearizability of the whole client history; a
    /// failing run writes its history and view where the caller asked.
    pub fn report(&mut self, verdict: Step) -> RunReport {
        let quiescent = self.quiescent_at_end;
        let verdict = verdict
            .and_then(|()| {
                if quiescent {
                    self.settle_and_check_quiescent()
                } else {
                    Ok(())
                }
            })
            .and_then(|()| {
                if quiescent && self.log_bound_fits() {
                    self.check_logs()
                } else {
                    Ok(())
                }
            })
            .and_then(|()| self.check_log_matching_full())
            .and_then(|()| self.check_history());
        if verdict.is_err() {
            self.write_failure_files();
        }
        if let Some(path) = self.options().history_out.clone() {
            if let Err(e) = write_history(self.sim.observer().history(), &path) {
                self.fact("history", format!("not written to {}: {e}", path.display()));
            }
        }
        self.record_metrics();
        let watch = self.sim.observer();
        let (shard_goals, raft_goals) = (watch.goals.reached.clone(), watch.rafts.reached());
        self.reached(&shard_goals);
        self.reached(&raft_goals);
        let kit: &mut super::harness::ShardKvKit = self;
        kit.report(verdict)
    }

    fn record_metrics(&mut self) {
        let watch = self.sim.observer();
        let figures = [
            ("groups", self.groups.len() as u64),
            ("clerks", self.clerks.len() as u64),
            ("operations", watch.operations().len() as u64),
            ("completed", watch.completed() as u64),
            ("configurations", watch.ctrler.configs.len() as u64),
            ("shard-reports", watch.shards.reports()),
            ("leaders-seen", watch.rafts.leaders_seen() as u64),
            ("storage-bytes", self.storage_bytes() as u64),
        ];
        for (name, value) in figures {
            self.metric(name, value);
        }
    }

    fn check_log_matching_full(&mut self) -> Step {
        let sim = &self.sim;
        let raft_of = |id| sim.node(id).and_then(ShardKvNode::raft);
        match sim.observer().rafts.check_log_matching_full(raft_of) {
            Ok(()) => Ok(()),
            Err(violation) => Err(self.sim.fail(violation)),
        }
    }

    /// The whole history against the key/value model, partitioned by key.
    fn check_history(&mut self) -> Step {
        let history = self.sim.observer().history();
        let violation = HistoryCheck::default().run(&KvModel, history).1;
        match violation {
            None => Ok(()),
            Some(violation) => Err(self.sim.fail(violation)),
        }
    }

    fn write_failure_files(&mut self) {
        let Some(dir) = self.artifact_dir() else {
            return;
        };
        // A failure's path: the copy frees `self` for the calls below.
        let history = self.sim.observer().history().clone();
        let (result, _) = HistoryCheck::default().run(&KvModel, &history);
        let title = format!("{} seed {}", self.options().scenario, self.options().seed);
        match write_history_files(&KvModel, &history, &result, &dir, &title) {
            Ok(files) => files
                .into_iter()
                .for_each(|(what, path)| self.artifact(what, path)),
            Err(e) => self.fact("files", format!("not written under {}: {e}", dir.display())),
        }
    }
}
