//! The course's controller tester (`config.go` and `check`) on the kit's harness: servers and
//! clerks as nodes of one run, `ShutdownServer`/`StartServer`, one clerk's operations run to
//! completion, and concurrent clerks as closed-loop clients, all in virtual time. Every
//! configuration and every answer goes through the watch as it is emitted.

use super::checks;
use super::watch::CtrlerWatch;
use super::workload::CtrlerOps;
use protocol_core::{ClientId, NodeId};
use shardctrler::checks::CONFIG_SAME_ON_REPLICAS;
use shardctrler::{
    Answer, ClerkConfig, Config, ConfigNum, CtrlerConfig, CtrlerNode, CtrlerOp, CtrlerRequest,
    GroupId, Groups, ServerConfig, ShardId,
};
use sim::NetworkConfig;
use sim_kit::clients::ClosedLoop;
use sim_kit::{Harness, RunOptions, RunReport, Step};
use std::ops::{Deref, DerefMut};

/// How long a tester's call may take before it counts as stuck (the course would hang).
pub const CALL_BOUND_MS: u64 = 30_000;

pub type CtrlerKit = Harness<CtrlerNode, CtrlerWatch, ClosedLoop<CtrlerOps>>;

/// The kit's harness with the course tester's state; it derefs to the harness beneath.
pub struct CtrlerHarness {
    kit: CtrlerKit,
    pub servers: Vec<NodeId>,
    clerks: Vec<NodeId>,
}

impl Deref for CtrlerHarness {
    type Target = CtrlerKit;

    fn deref(&self) -> &CtrlerKit {
        &self.kit
    }
}

impl DerefMut for CtrlerHarness {
    fn deref_mut(&mut self) -> &mut CtrlerKit {
        &mut self.kit
    }
}

/// The servers a group joins with. Nothing in a controller run talks to them: they are the
/// course's server names, as ids far above any node of the run.
pub fn group_servers(gid: u64, count: u32) -> Vec<NodeId> {
    (0..count)
        .map(|i| NodeId(1_000_000 + gid as u32 * 8 + i))
        .collect()
}

/// `{gid: servers}` of a Join, each group with `count` servers.
pub fn groups(gids: &[u64], count: u32) -> Groups {
    gids.iter()
        .map(|&g| (GroupId(g), group_servers(g, count)))
        .collect()
}

pub fn join(gids: &[u64], count: u32) -> CtrlerOp {
    CtrlerOp::Join {
        groups: groups(gids, count),
    }
}

pub fn leave(gids: &[u64]) -> CtrlerOp {
    CtrlerOp::Leave {
        gids: gids.iter().map(|&g| GroupId(g)).collect(),
    }
}

impl CtrlerHarness {
    /// `make_config(n)`: `servers` controller servers on `network`, no clerk yet.
    pub fn new(
        options: &RunOptions,
        servers: u32,
        max_raft_state: Option<usize>,
        network: NetworkConfig,
    ) -> CtrlerHarness {
        let ids: Vec<NodeId> = (0..servers).map(NodeId).collect();
        let loops = ClosedLoop::new(CtrlerOps::Idle, Vec::new(), (0, 0), options.rng("clients"));
        let mut kit = Harness::new(options, network, CtrlerWatch::new(&ids), loops);
        let raft = raft::Config::with_size(servers).with_mutant(options.mutant());
        let mut config = ServerConfig::new(raft, max_raft_state);
        config.mutant = options.mutant();
        for _ in 0..servers {
            kit.sim.add_node(CtrlerConfig::Server(config.clone()));
        }
        CtrlerHarness {
            kit,
            servers: ids,
            clerks: Vec::new(),
        }
    }

    /// `makeClient`: a clerk trying the servers in its own rotated order.
    pub fn add_clerk(&mut self) -> NodeId {
        let mut order = self.servers.clone();
        order.rotate_left(self.clerks.len() % self.servers.len());
        let client = ClientId(self.sim.node_count() as u64);
        let config = CtrlerConfig::Clerk(ClerkConfig::new(client, order));
        let id = self.sim.add_node(config);
        self.clerks.push(id);
        id
    }

    /// Runs `op` on `clerk` to completion; its answer.
    pub fn call(&mut self, clerk: NodeId, op: CtrlerOp) -> Step<Answer> {
        let what = format!("{op:?}");
        if !self.sim.request(clerk, CtrlerRequest::Clerk(op)) {
            let failure = self.sim.failure().cloned();
            return Err(failure.unwrap_or_else(|| panic!("{clerk} is down: clerks never crash")));
        }
        let deadline = self.now().plus_ms(CALL_BOUND_MS);
        if !self.run_until_done(deadline, |h| !is_busy(h, clerk))? {
            let message = format!("{clerk}: {what} did not complete in {CALL_BOUND_MS} ms");
            return Err(self.fail(checks::LIVENESS, message));
        }
        let answer = self.sim.observer().answer(clerk).cloned();
        Ok(answer.expect("a clerk that finished returned an answer"))
    }

    /// `Query(num)` (`None`: the course's -1).
    pub fn query(&mut self, clerk: NodeId, num: Option<u64>) -> Step<Config> {
        let num = num.map(ConfigNum);
        match self.call(clerk, CtrlerOp::Query { num })? {
            Answer::Config(config) => Ok(config),
            other => panic!("a Query answered {other:?}"),
        }
    }

    pub fn move_shard(&mut self, clerk: NodeId, shard: u32, gid: u64) -> Step<Answer> {
        let (shard, gid) = (ShardId(shard), GroupId(gid));
        self.call(clerk, CtrlerOp::Move { shard, gid })
    }

    /// Every clerk of `clerks` runs its script, one operation at a time, all at once.
    pub fn run_scripts(&mut self, clerks: Vec<NodeId>, scripts: Vec<Vec<CtrlerOp>>) -> Step {
        assert_eq!(clerks.len(), scripts.len(), "one script per clerk");
        let ops = CtrlerOps::scripts(scripts);
        let rng = self.rng("scripts");
        self.kit.hooks = ClosedLoop::new(ops, clerks, (0, 0), rng);
        let now = self.now();
        self.kit.hooks.start(now);
        let deadline = now.plus_ms(CALL_BOUND_MS);
        if !self.run_until_done(deadline, |h| h.hooks.all_idle())? {
            let message = format!("concurrent clerks did not finish in {CALL_BOUND_MS} ms");
            return Err(self.fail(checks::LIVENESS, message));
        }
        Ok(())
    }

    /// `ShutdownServer(i)`: cut off and killed; its disk keeps what it persisted.
    pub fn shutdown(&mut self, server: NodeId) {
        self.sim.disconnect(server);
        self.sim.crash_scripted(server);
    }

    /// `StartServer(i)` and `ConnectAll`.
    pub fn start(&mut self, server: NodeId) {
        self.sim.restart(server);
        self.sim.heal_links();
    }

    /// A server that believes it leads, if any.
    pub fn leader(&self) -> Option<NodeId> {
        self.servers.iter().copied().find(|&id| {
            let server = self.sim.node(id).and_then(CtrlerNode::as_server);
            server.is_some_and(|s| s.raft().is_leader())
        })
    }

    /// The configurations each up server holds.
    fn replica_configs(&self) -> Vec<(NodeId, &[Config])> {
        let servers = self.servers.iter().copied();
        servers
            .filter_map(|id| {
                let server = self.sim.node(id).and_then(CtrlerNode::as_server)?;
                Some((id, server.state().configs()))
            })
            .collect()
    }

    /// Every up replica holds the very same configurations, once each has applied what was
    /// committed (within 5 s).
    pub fn check_same_on_replicas(&mut self) -> Step {
        let caught_up = |h: &CtrlerKit| {
            let ids = h.sim.observer().configs.len();
            let lens = replica_lens(h);
            lens.iter().all(|&n| n == ids)
        };
        let deadline = self.now().plus_ms(5_000);
        if !self.run_until_done(deadline, caught_up)? {
            let message = format!(
                "replicas hold {:?} configurations 5 s after the last change, not {}",
                replica_lens(&self.kit),
                self.sim.observer().configs.len()
            );
            return Err(self.fail(checks::LIVENESS, message));
        }
        let replicas = self.replica_configs();
        let Some(&(first, expected)) = replicas.first() else {
            return Ok(());
        };
        let differs = replicas.iter().find(|(_, c)| *c != expected).map(|r| r.0);
        match differs {
            None => Ok(()),
            Some(other) => {
                let message = format!("{other} and {first} hold different configurations");
                Err(self.fail(CONFIG_SAME_ON_REPLICAS, message))
            }
        }
    }

    /// The verdict, then the replicas' agreement and log matching over whole logs.
    pub fn report(&mut self, verdict: Step) -> RunReport {
        let verdict = verdict
            .and_then(|()| self.check_same_on_replicas())
            .and_then(|()| self.check_log_matching_full());
        let watch = self.sim.observer();
        let figures = [
            ("servers", self.servers.len() as u64),
            ("clerks", self.clerks.len() as u64),
            ("operations", watch.operations()),
            ("configurations", watch.configs.len() as u64),
            ("config-reports", watch.configs.reports()),
            ("queries-checked", watch.history.queries_checked()),
            ("leaders-seen", watch.rafts.leaders_seen() as u64),
        ];
        let goals = watch.rafts.reached();
        for (name, value) in figures {
            self.metric(name, value);
        }
        self.reached(&goals);
        self.kit.report(verdict)
    }

    fn check_log_matching_full(&mut self) -> Step {
        let sim = &self.kit.sim;
        let raft_of = |id| {
            sim.node(id)
                .and_then(CtrlerNode::as_server)
                .map(|s| s.raft())
        };
        match sim.observer().rafts.check_log_matching_full(raft_of) {
            Ok(()) => Ok(()),
            Err(violation) => Err(self.sim.fail(violation)),
        }
    }
}

fn is_busy(h: &CtrlerKit, clerk: NodeId) -> bool {
    let node = h.sim.node(clerk).and_then(CtrlerNode::as_clerk);
    node.expect("clerks never crash").is_busy()
}

/// How many configurations each up server holds.
fn replica_lens(h: &CtrlerKit) -> Vec<usize> {
    let watch_servers = 0..h.sim.node_count() as u32;
    watch_servers
        .filter_map(|i| h.sim.node(NodeId(i)).and_then(CtrlerNode::as_server))
        .map(|s| s.state().configs().len())
        .collect()
}
