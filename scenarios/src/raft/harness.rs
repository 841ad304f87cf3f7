//! The course's Raft tester (`config.go`) on the kit's harness: `one`, `nCommitted`,
//! `checkOneLeader`, `checkTerms`, `checkNoLeader`, `wait`, `crash1`, `start1`, all in
//! virtual time and drawing every random choice from the seed.

use super::checks;
use super::clients::OneActor;
use super::watch::{command_bytes, RaftWatch};
use protocol_core::rng::{range_inclusive, Rng};
use protocol_core::{NodeId, Time};
use raft::{Config, LogIndex, Mutant, RaftNode, Role, Term};
use sim::network::LatencyModel;
use sim::{NetworkConfig, NodeState, Sim};
use sim_kit::actors::{run_actors, run_actors_to_end, Actor};
use sim_kit::{Drive, Harness, Hooks, RunOptions, RunReport};
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};

pub use sim_kit::Step;

/// The course's election timeout unit, used by tests as a sleep length.
pub const ELECTION_TIMEOUT_MS: u64 = 1_000;

/// The course's labrpc reliable network, in our units: a request and its reply each take
/// up to a few milliseconds.
pub fn reliable_network() -> NetworkConfig {
    NetworkConfig {
        latency: LatencyModel::uniform(100, 3_000),
        ..NetworkConfig::reliable()
    }
}

/// The course's unreliable network: up to 27 ms each way, 10% loss. Swarm testing varies
/// loss per seed around the course's rate.
pub fn unreliable_network(rng: &mut Rng) -> NetworkConfig {
    let loss = range_inclusive(rng, 5, 20) as u32;
    NetworkConfig {
        latency: LatencyModel::uniform(100, 27_000),
        loss: protocol_core::rng::Ratio::percent(loss),
        ..NetworkConfig::reliable()
    }
}

/// A Raft server on the failure page's timeline: its role and term.
pub fn describe_raft(raft: &RaftNode) -> NodeState {
    let role = match raft.role() {
        Role::Follower => "follower",
        Role::Candidate => "candidate",
        Role::Leader => "leader",
    };
    NodeState::numbered(role, raft.term().0)
}

/// The service above each server, as the course's `applierSnap`: hands Raft a snapshot
/// whenever the tester's watch says one is due.
pub struct TakeSnapshots;

impl Hooks<RaftNode, RaftWatch> for TakeSnapshots {
    fn on_emit(
        &mut self,
        sim: &mut Sim<RaftNode, RaftWatch>,
        _: NodeId,
        _: raft::RaftEvent,
    ) -> Step {
        let due = std::mem::take(&mut sim.observer_mut().snapshots_due);
        for (node, index) in due {
            let data = sim.observer_mut().snapshot_bytes(node, index);
            sim.call(node, |raft, now, out| {
                raft.snapshot(now, LogIndex(index), data, out)
            });
            if let Err(violation) = sim.observer_mut().snapshot_taken(node, index) {
                return Err(sim.fail(violation));
            }
        }
        Ok(())
    }
}

/// The kit's harness with the course tester's state; it derefs to the harness beneath.
pub struct RaftHarness {
    kit: Harness<RaftNode, RaftWatch, TakeSnapshots>,
    pub servers: usize,
    pub rng: Rng,
    connected: Vec<bool>,
    /// Where `one` resumes its round-robin walk.
    next_start: usize,
}

impl Deref for RaftHarness {
    type Target = Harness<RaftNode, RaftWatch, TakeSnapshots>;

    fn deref(&self) -> &Self::Target {
        &self.kit
    }
}

impl DerefMut for RaftHarness {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.kit
    }
}

impl RaftHarness {
    /// `make_config(n, unreliable, snapshot)`: n servers, all connected.
    pub fn new(options: &RunOptions, servers: usize, unreliable: bool, snapshot: bool) -> Self {
        let mutant = options.mutant::<Mutant>();
        let watch = RaftWatch::new(servers, snapshot.then_some(10));
        let mut kit = Harness::new(options, reliable_network(), watch, TakeSnapshots);
        kit.describe_nodes(describe_raft);
        let mut rng = kit.rng("workload");
        if unreliable {
            let network = unreliable_network(&mut rng);
            kit.sim.set_network(network);
        }
        let config = Config::with_size(servers as u32).with_mutant(mutant);
        for _ in 0..servers {
            kit.sim.add_node(config.clone());
        }
        RaftHarness {
            kit,
            servers,
            rng,
            connected: vec![true; servers],
            next_start: 0,
        }
    }

    pub fn ids(&self) -> Vec<NodeId> {
        (0..self.servers as u32).map(NodeId).collect()
    }

    // ---- actors ----------------------------------------------------------------------

    pub fn run_actors<A: Actor<RaftHarness>>(&mut self, actors: &mut [A], until: Time) -> Step {
        run_actors(self, actors, until)
    }

    pub fn run_actors_to_end<A: Actor<RaftHarness>>(&mut self, actors: &mut [A]) -> Step {
        run_actors_to_end(self, actors)
    }

    // ---- connectivity and crashes --------------------------------------------------

    pub fn disconnect(&mut self, i: usize) {
        self.connected[i] = false;
        self.sim.disconnect(NodeId(i as u32));
    }

    pub fn connect(&mut self, i: usize) {
        self.connected[i] = true;
        self.sim.connect(NodeId(i as u32));
    }

    pub fn is_connected(&self, i: usize) -> bool {
        self.connected[i]
    }

    /// `crash1`: disconnect and kill; the disk keeps what was persisted.
    pub fn crash1(&mut self, i: usize) {
        self.disconnect(i);
        self.sim.crash_scripted(NodeId(i as u32));
    }

    /// `start1`: a fresh incarnation from the disk, not yet connected.
    pub fn start1(&mut self, i: usize) {
        self.crash1(i);
        self.sim.restart(NodeId(i as u32));
    }

    // ---- queries -------------------------------------------------------------------

    fn raft(&self, i: usize) -> Option<&RaftNode> {
        self.sim.node(NodeId(i as u32))
    }

    /// `GetState`: (term, is leader), or None if the server is dead.
    pub fn state(&self, i: usize) -> Option<(Term, bool)> {
        self.raft(i).map(|r| (r.term(), r.is_leader()))
    }

    /// `Start(cmd)` on server i: Some((index, term)) if it is the leader.
    pub fn start(&mut self, i: usize, command: Vec<u8>) -> Option<(u64, Term)> {
        self.sim
            .call(NodeId(i as u32), |raft, now, out| {
                raft.start(now, command, out)
            })
            .and_then(|r| r.ok())
            .map(|(index, term)| (index.0, term))
    }

    /// `checkOneLeader`: up to ten rounds of 450–549 ms; two leaders in a term is fatal.
    pub fn check_one_leader(&mut self) -> Step<usize> {
        for _ in 0..10 {
            let ms = range_inclusive(&mut self.rng, 450, 549);
            self.sleep_ms(ms)?;
            let mut leaders: BTreeMap<Term, Vec<usize>> = BTreeMap::new();
            for i in 0..self.servers {
                if let (true, Some((term, true))) = (self.connected[i], self.state(i)) {
                    leaders.entry(term).or_default().push(i);
                }
            }
            if let Some((term, ids)) = leaders.iter().find(|(_, ids)| ids.len() > 1) {
                let message = format!("term {term} has {} (>1) leaders: {ids:?}", ids.len());
                return Err(self.fail(checks::ONE_LEADER, message));
            }
            if let Some((_, ids)) = leaders.iter().next_back() {
                return Ok(ids[0]);
            }
        }
        Err(self.fail(checks::ONE_LEADER, "expected one leader, got none"))
    }

    /// `checkTerms`: every connected server reports the same term.
    pub fn check_terms(&mut self) -> Step<Term> {
        let mut agreed: Option<Term> = None;
        for i in 0..self.servers {
            let Some((term, _)) = self.state(i).filter(|_| self.connected[i]) else {
                continue;
            };
            match agreed {
                None => agreed = Some(term),
                Some(t) if t != term => {
                    let message = format!("servers disagree on term: {t} vs {term}");
                    return Err(self.fail(checks::TERMS_AGREE, message));
                }
                Some(_) => {}
            }
        }
        agreed.ok_or_else(|| self.fail(checks::TERMS_AGREE, "no connected server to ask"))
    }

    /// `checkNoLeader`: no connected server claims leadership.
    pub fn check_no_leader(&mut self) -> Step {
        for i in 0..self.servers {
            if self.connected[i] && self.state(i).is_some_and(|(_, leader)| leader) {
                let message = format!(
                    "expected no leader among connected servers, but n{i} claims to be leader"
                );
                return Err(self.fail(checks::NO_LEADER, message));
            }
        }
        Ok(())
    }

    /// `nCommitted(index)`: how many servers applied `index`, and the value they agree on.
    pub fn n_committed(&self, index: u64) -> (usize, Option<u64>) {
        let logs = &self.sim.observer().logs;
        let mut count = 0;
        let mut value = None;
        for log in logs {
            if let Some(v) = log.get(index) {
                count += 1;
                value = Some(v);
            }
        }
        (count, value)
    }

    /// `one(cmd, expectedServers, retry)`: gets `command` committed on at least `expected`
    /// servers within 10 s, returning its index.
    pub fn one(&mut self, command: Vec<u8>, expected: usize, retry: bool) -> Step<u64> {
        let mut actor = [OneActor::new(self, command, expected, retry)];
        self.run_actors_to_end(&mut actor)?;
        Ok(actor[0].index.expect("a finished one() has its index"))
    }

    /// One round of `one`'s walk: `Start` on each connected server in turn, resuming where
    /// the last round stopped, until one accepts; the index it gave.
    pub fn start_round_robin(&mut self, command: &[u8]) -> Option<u64> {
        for _ in 0..self.servers {
            let i = self.next_start;
            self.next_start = (self.next_start + 1) % self.servers;
            if self.connected[i] {
                if let Some((at, _)) = self.start(i, command.to_vec()) {
                    return Some(at);
                }
            }
        }
        None
    }

    /// A random command value, as the course's `rand.Int()` (below the bit that marks
    /// checksummed commands).
    pub fn rand_value(&mut self) -> u64 {
        range_inclusive(&mut self.rng, 0, (1 << 62) - 1)
    }

    /// `cfg.setunreliable(unreliable)`, with the seed's rates.
    pub fn set_unreliable(&mut self, unreliable: bool) {
        let network = if unreliable {
            unreliable_network(&mut self.rng)
        } else {
            reliable_network()
        };
        self.sim.set_network(network);
    }

    pub fn is_up(&self, i: usize) -> bool {
        self.sim.is_up(NodeId(i as u32))
    }

    /// Servers not down for good (a storage fault may leave a minority with a corrupt disk).
    pub fn alive_servers(&self) -> usize {
        self.servers - self.sim.failed_nodes().len()
    }

    /// `one` with an integer command, the common case.
    pub fn one_value(&mut self, value: u64, expected: usize, retry: bool) -> Step<u64> {
        self.one(command_bytes(value), expected, retry)
    }

    /// `wait(index, n, startTerm)`: polls with doubling sleeps until `n` servers committed
    /// `index`; None if some server moved past `start_term`.
    pub fn wait(&mut self, index: u64, n: usize, start_term: Option<Term>) -> Step<Option<u64>> {
        let mut sleep_ms = 10;
        for _ in 0..30 {
            if self.n_committed(index).0 >= n {
                break;
            }
            self.sleep_ms(sleep_ms)?;
            sleep_ms = (sleep_ms * 2).min(1_000);
            if let Some(start) = start_term {
                if (0..self.servers).any(|i| self.state(i).is_some_and(|(term, _)| term > start)) {
                    return Ok(None);
                }
            }
        }
        let (count, value) = self.n_committed(index);
        if count < n {
            let message = format!("only {count} decided for index {index}; wanted {n}");
            return Err(self.fail(checks::AGREEMENT, message));
        }
        Ok(value)
    }

    /// RPCs dispatched to servers so far: the course's per-server `rpcCount` summed over
    /// servers. A course RPC is one request and its reply; here they are two messages, so
    /// only requests (RequestVote, AppendEntries, InstallSnapshot) delivered are counted.
    pub fn rpcs_delivered(&self) -> u64 {
        let by_kind = &self.sim.stats().by_kind;
        ["RequestVote", "AppendEntries", "InstallSnapshot"]
            .iter()
            .filter_map(|kind| by_kind.get(kind))
            .map(|k| k.delivered)
            .sum()
    }

    /// Messages sent so far (the course's `rpcTotal`).
    pub fn rpc_total(&self) -> u64 {
        self.sim.stats().sent
    }

    /// Bytes sent so far (the course's `bytesTotal`).
    pub fn bytes_total(&self) -> u64 {
        self.sim.stats().bytes_sent
    }

    /// The largest Raft state on any disk (the course's `LogSize`).
    pub fn log_size(&self) -> usize {
        (0..self.servers)
            .filter(|&i| !self.sim.is_failed(NodeId(i as u32)))
            .map(|i| {
                self.sim
                    .disk(NodeId(i as u32))
                    .size_of(raft::RAFT_STATE_FILE)
            })
            .max()
            .unwrap_or(0)
    }

    fn check_log_matching_full(&mut self) -> Step {
        let ids = self.sim.node_ids();
        let views: Vec<Option<&RaftNode>> = ids.iter().map(|&id| self.sim.node(id)).collect();
        let result = self.sim.observer().check_log_matching_full(&views);
        result.map_err(|violation| self.sim.fail(violation))
    }

    /// The report of a finished run. A passing verdict also needs the whole logs of the
    /// servers up now to match.
    pub fn report(&mut self, verdict: Step) -> RunReport {
        let verdict = verdict.and_then(|()| self.check_log_matching_full());
        let watch = self.sim.observer();
        let (leaders, commands) = (watch.leaders_seen() as u64, watch.max_index);
        let goals = watch.goals.reached.clone();
        self.reached(&goals);
        let servers = self.servers as u64;
        self.metric("servers", servers);
        self.metric("leaders-seen", leaders);
        self.metric("commands-agreed", commands);
        self.kit.report(verdict)
    }
}

impl Drive for RaftHarness {
    fn now(&self) -> Time {
        self.kit.now()
    }

    fn run_until(&mut self, deadline: Time) -> Step {
        self.kit.run_until(deadline)
    }
}
