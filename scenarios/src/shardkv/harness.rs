//! The course's shardkv tester (`config.go`) on the kit's harness: three controller servers
//! and the tester's controller clerk `mck`, replica groups 100, 101 and 102 (the course's
//! groups 0, 1 and 2), clerks, `join`/`leave`, `ShutdownServer`/`ShutdownGroup` and their
//! `Start`s, `checklogs`, and the clerks' loops as hooks, all in virtual time. Every event goes
//! through the watch as it is emitted; the whole client history is checked at the end.

use super::checks;
use super::clients::Actors;
use super::watch::ShardKvWatch;
use crate::raft::harness::{reliable_network, unreliable_network};
use kvraft::Op;
use protocol_core::rng::Rng;
use protocol_core::{ClientId, NodeId};
use shardctrler::{Answer, Config, CtrlerOp, GroupId, Groups};
use shardctrler::{ClerkConfig as CtrlerClerkConfig, ServerConfig as CtrlerServerConfig};
use shardkv::{ClerkConfig, ServerConfig, ShardKvConfig, ShardKvNode, ShardKvRequest};
use sim_kit::{Harness, RunOptions, Step};
use std::ops::{Deref, DerefMut};

/// How long one tester call may take before it counts as stuck (the course would hang).
pub const CALL_BOUND_MS: u64 = 30_000;
/// The controller servers snapshot past this much Raft state: every group polls through the
/// controller's log, which would otherwise grow for the whole run (the course's controller
/// servers have a persister too; when they snapshot is theirs to choose).
const CTRLER_MAX_RAFT_STATE: usize = 4_000;
/// The course's maxraftstate in our bytes. The course's values are gob bytes, and gob spends
/// about 2.5 times what postcard does on a shardkv log entry: a Put of a 20-char value is
/// about 60 bytes in gob (the Op's type name, field tags, a 63-bit client id) and 29 in
/// ours. Scaled by 2/5, a threshold holds about as many entries as the course's does, and
/// `checklogs`' 8 × maxraftstate bound is as far from an uncompacted log: with the course's
/// numbers unscaled, a group that never snapshots stays within the bound in TestSnapshot.
pub const fn course_max_raft_state(gob_bytes: usize) -> usize {
    let ours = gob_bytes * 2 / 5;
    if ours == 0 {
        1
    } else {
        ours
    }
}

/// The course's group ids 0, 1, 2 are these.
pub const GIDS: [u64; 3] = [100, 101, 102];

pub type ShardKvKit = Harness<ShardKvNode, ShardKvWatch, Actors>;

/// The kit's harness with the course tester's state; it derefs to the harness beneath.
pub struct ShardKvHarness {
    kit: ShardKvKit,
    pub ctrlers: Vec<NodeId>,
    /// The tester's controller clerk.
    pub mck: NodeId,
    /// Each group's servers, in the course's order (group 0 first).
    pub groups: Vec<(GroupId, Vec<NodeId>)>,
    pub clerks: Vec<NodeId>,
    pub max_raft_state: Option<usize>,
    /// The tester's own random stream (values, sleeps).
    pub rng: Rng,
    /// At the end, let every group settle and check that none holds a shard it handed over.
    pub quiescent_at_end: bool,
}

impl Deref for ShardKvHarness {
    type Target = ShardKvKit;

    fn deref(&self) -> &ShardKvKit {
        &self.kit
    }
}

impl DerefMut for ShardKvHarness {
    fn deref_mut(&mut self) -> &mut ShardKvKit {
        &mut self.kit
    }
}

impl ShardKvHarness {
    /// `make_config(n, unreliable, maxraftstate)`: the controller, its clerk, and groups
    /// 100, 101, 102 of `n` servers each, none joined.
    pub fn new(
        options: &RunOptions,
        n: u32,
        unreliable: bool,
        max_raft_state: Option<usize>,
    ) -> ShardKvHarness {
        Self::with_groups(options, &[n; 3], unreliable, max_raft_state)
    }

    /// As `new`, with one group per entry of `sizes` (gids 100, 101, ...).
    pub fn with_groups(
        options: &RunOptions,
        sizes: &[u32],
        unreliable: bool,
        max_raft_state: Option<usize>,
    ) -> ShardKvHarness {
        let mut rng = options.rng("tester");
        let network = if unreliable {
            unreliable_network(&mut rng)
        } else {
            reliable_network()
        };
        let actors = Actors::idle(options.rng("clients"));
        let mut kit = Harness::new(options, network, ShardKvWatch::new(), actors);
        let ctrlers = add_controller(&mut kit, options, 3);
        // A client id is its node's id, for every clerk of the run.
        let client = ClientId(kit.sim.node_count() as u64);
        let mck_config = CtrlerClerkConfig::new(client, ctrlers.clone());
        let mck = kit.sim.add_node(ShardKvConfig::CtrlerClerk(mck_config));
        let mut groups = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            let gid = GroupId(GIDS[0] + i as u64);
            let first = kit.sim.node_count() as u32;
            let peers: Vec<NodeId> = (first..first + size).map(NodeId).collect();
            kit.sim.observer_mut().rafts.add(&peers);
            let raft = raft::Config::new(peers.clone()).with_mutant(options.mutant());
            let mut config = ServerConfig::new(gid, raft, max_raft_state, ctrlers.clone());
            config.mutant = options.mutant();
            for _ in 0..size {
                kit.sim.add_node(ShardKvConfig::Server(config.clone()));
            }
            groups.push((gid, peers));
        }
        ShardKvHarness {
            kit,
            ctrlers,
            mck,
            groups,
            clerks: Vec::new(),
            max_raft_state,
            rng,
            quiescent_at_end: true,
        }
    }

    /// A second controller service of three servers and its clerk (TestRejection), checked
    /// on its own.
    pub fn add_rogue_controller(&mut self) -> (Vec<NodeId>, NodeId) {
        let first = self.sim.node_count() as u32;
        let ids: Vec<NodeId> = (first..first + 4).map(NodeId).collect();
        self.sim.observer_mut().add_rogue(&ids);
        let options = self.options().clone();
        let servers = add_controller(&mut self.kit, &options, 3);
        let client = ClientId(u64::from(first + 3));
        let clerk = CtrlerClerkConfig::new(client, servers.clone());
        let mck = self.sim.add_node(ShardKvConfig::CtrlerClerk(clerk));
        (servers, mck)
    }

    /// The servers of the course's group `i`.
    pub fn group(&self, i: usize) -> &[NodeId] {
        &self.groups[i].1
    }

    pub fn gid(&self, i: usize) -> GroupId {
        self.groups[i].0
    }

    pub fn group_servers(&self) -> Vec<NodeId> {
        self.groups
            .iter()
            .flat_map(|(_, s)| s.iter().copied())
            .collect()
    }

    // ---- the controller --------------------------------------------------------------

    /// Runs `op` on controller clerk `mck` to completion; its answer.
    pub fn ctrl(&mut self, mck: NodeId, op: CtrlerOp) -> Step<Answer> {
        let what = format!("{op:?}");
        self.request(mck, ShardKvRequest::CtrlerClerk(op))?;
        let deadline = self.now().plus_ms(CALL_BOUND_MS);
        let idle = |h: &ShardKvKit| {
            let clerk = h.sim.node(mck).and_then(ShardKvNode::as_ctrler_clerk);
            !clerk.expect("controller clerks never crash").is_busy()
        };
        if !self.run_until_done(deadline, idle)? {
            let message = format!("{mck}: {what} did not complete in {CALL_BOUND_MS} ms");
            return Err(self.fail(checks::LIVENESS, message));
        }
        let answer = self.sim.observer().answer(mck).cloned();
        Ok(answer.expect("a controller clerk that finished returned an answer"))
    }

    /// The controller's latest configuration, asked through `mck`.
    pub fn query(&mut self) -> Step<Config> {
        match self.ctrl(self.mck, CtrlerOp::Query { num: None })? {
            Answer::Config(config) => Ok(config),
            other => panic!("a Query answered {other:?}"),
        }
    }

    fn groups_of(&self, which: &[usize]) -> Groups {
        which
            .iter()
            .map(|&i| (self.gid(i), self.group(i).to_vec()))
            .collect()
    }

    /// `joinm(which)`: the course's groups `which` join in one operation.
    pub fn joinm(&mut self, which: &[usize]) -> Step {
        let groups = self.groups_of(which);
        self.ctrl(self.mck, CtrlerOp::Join { groups }).map(drop)
    }

    /// `leavem(which)`.
    pub fn leavem(&mut self, which: &[usize]) -> Step {
        let gids = which.iter().map(|&i| self.gid(i)).collect();
        self.ctrl(self.mck, CtrlerOp::Leave { gids }).map(drop)
    }

    pub fn join(&mut self, i: usize) -> Step {
        self.joinm(&[i])
    }

    pub fn leave(&mut self, i: usize) -> Step {
        self.leavem(&[i])
    }

    // ---- servers ---------------------------------------------------------------------

    /// `ShutdownServer(g, i)`: killed; messages to and from it are lost; its disk stays.
    pub fn shutdown_server(&mut self, g: usize, i: usize) {
        let id = self.group(g)[i];
        self.sim.crash_scripted(id);
    }

    /// `StartServer(g, i)`: boots again from its disk.
    pub fn start_server(&mut self, g: usize, i: usize) {
        let id = self.group(g)[i];
        self.sim.restart(id);
    }

    pub fn shutdown_group(&mut self, g: usize) {
        for i in 0..self.group(g).len() {
            self.shutdown_server(g, i);
        }
    }

    pub fn start_group(&mut self, g: usize) {
        for i in 0..self.group(g).len() {
            self.start_server(g, i);
        }
    }

    // ---- clerks ----------------------------------------------------------------------

    /// `makeClient`: a clerk asking the controller `ctrlers` (the real one unless given).
    pub fn add_clerk_of(&mut self, ctrlers: Vec<NodeId>) -> NodeId {
        let client = ClientId(self.sim.node_count() as u64);
        let id = self
            .sim
            .add_node(ShardKvConfig::Clerk(ClerkConfig::new(client, ctrlers)));
        self.clerks.push(id);
        id
    }

    pub fn add_clerk(&mut self) -> NodeId {
        self.add_clerk_of(self.ctrlers.clone())
    }

    /// Hands a request to a clerk; a run that already failed takes none.
    fn request(&mut self, node: NodeId, request: ShardKvRequest) -> Step {
        if self.sim.request(node, request) {
            return Ok(());
        }
        let failure = self.sim.failure().cloned();
        Err(failure.unwrap_or_else(|| panic!("{node} is down: clerks never crash")))
    }

    /// Starts `op` on `clerk`; the operation's index in the history.
    pub fn invoke(&mut self, clerk: NodeId, op: Op) -> Step<usize> {
        self.request(clerk, ShardKvRequest::Clerk(op))?;
        let index = self.sim.observer().latest(ClientId(u64::from(clerk.0)));
        Ok(index.expect("the clerk reported its invocation"))
    }

    /// Whether operation `index` has returned, and what.
    pub fn returned(&self, index: usize) -> Option<String> {
        let op = self.sim.observer().operation(index);
        op.ret.map(|_| {
            op.output
                .as_ref()
                .expect("returned with an output")
                .value
                .clone()
        })
    }

    /// Waits up to `within_ms` for operation `index`; its value if it returned.
    pub fn wait_op(&mut self, index: usize, within_ms: u64) -> Step<Option<String>> {
        let deadline = self.now().plus_ms(within_ms);
        self.run_until_done(deadline, |h| {
            h.sim.observer().operation(index).ret.is_some()
        })?;
        Ok(self.returned(index))
    }

    /// The course's `Get`/`Put`/`Append`: the operation completes within `CALL_BOUND_MS`.
    pub fn op(&mut self, clerk: NodeId, op: Op) -> Step<String> {
        let what = format!("{op:?}");
        let index = self.invoke(clerk, op)?;
        match self.wait_op(index, CALL_BOUND_MS)? {
            Some(value) => Ok(value),
            None => {
                let message = format!("{clerk}: {what} did not complete in {CALL_BOUND_MS} ms");
                Err(self.fail(checks::LIVENESS, message))
            }
        }
    }

    pub fn put(&mut self, clerk: NodeId, key: &str, value: &str) -> Step {
        let (key, value) = (key.into(), value.into());
        self.op(clerk, Op::Put { key, value }).map(drop)
    }

    pub fn append(&mut self, clerk: NodeId, key: &str, value: &str) -> Step {
        let (key, value) = (key.into(), value.into());
        self.op(clerk, Op::Append { key, value }).map(drop)
    }

    /// The course's `check(ck, key, value)`.
    pub fn check(&mut self, clerk: NodeId, key: &str, expected: &str) -> Step {
        let value = self.op(clerk, Op::Get { key: key.into() })?;
        if value != expected {
            let message = format!("Get({key:?}): expected:\n{expected:?}\nreceived:\n{value:?}");
            return Err(self.fail(checks::GET_VALUE, message));
        }
        Ok(())
    }
}

/// Three controller servers (their own Raft cluster) added to `kit`.
fn add_controller(kit: &mut ShardKvKit, options: &RunOptions, n: u32) -> Vec<NodeId> {
    let first = kit.sim.node_count() as u32;
    let ids: Vec<NodeId> = (first..first + n).map(NodeId).collect();
    kit.sim.observer_mut().rafts.add(&ids);
    let raft = raft::Config::new(ids.clone()).with_mutant(options.mutant());
    let mut config = CtrlerServerConfig::new(raft, Some(CTRLER_MAX_RAFT_STATE));
    config.mutant = options.mutant();
    for _ in 0..n {
        kit.sim
            .add_node(ShardKvConfig::CtrlerServer(config.clone()));
    }
    ids
}
