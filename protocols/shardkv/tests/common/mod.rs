//! The course's shardkv tester (`config.go`) on the rig: three controller servers and the
//! tester's controller clerk, replica groups 100, 101, 102, and clerks, as nodes of one run.
//! Every event goes through the watches as it is emitted; the clerks' operations are checked
//! with the course's append checks made strict (history.rs).

#![allow(dead_code)] // each test file uses a different part

pub mod churn;
pub mod course;
pub mod history;

pub use history::History;
use kvraft::Op;
use protocol_core::{CheckId, ClientId, NodeId, Time, Violation};
use shardctrler::rig::Rig;
use shardctrler::{
    Answer, ClerkEvent as CtrlerClerkEvent, ConfigWatch, CtrlerOp, GroupId, Groups,
    ServerConfig as CtrlerServerConfig, ServerEvent as CtrlerServerEvent,
};
use shardkv::watch::{check_quiescent, ShardWatch};
use shardkv::{
    ClerkConfig, ClerkEvent, Mutant, ServerConfig, ServerEvent, ShardKvConfig, ShardKvEvent,
    ShardKvNode, ShardKvRequest,
};
use std::collections::BTreeMap;

/// An operation a test waits for completes in time.
pub const COMPLETES: CheckId = CheckId::new("operation-completes");

pub struct Tester {
    pub rig: Rig<ShardKvNode>,
    pub ctrlers: Vec<NodeId>,
    /// The tester's controller clerk.
    pub mck: NodeId,
    pub groups: BTreeMap<GroupId, Vec<NodeId>>,
    pub clerks: Vec<NodeId>,
    pub configs: ConfigWatch,
    pub shards: ShardWatch,
    pub history: History,
    /// Nodes of a second, rogue controller service (TestRejection), checked apart.
    rogue: Vec<NodeId>,
    rogue_configs: ConfigWatch,
    seen: usize,
}

impl Tester {
    /// Controller servers n0..n2, the controller clerk n3, then `groups` of `per_group`
    /// servers each, in order.
    pub fn new(
        seed: u64,
        groups: &[u64],
        per_group: usize,
        max_raft_state: Option<usize>,
        mutant: Option<Mutant>,
    ) -> Tester {
        let mut rig = Rig::new(seed);
        let ctrler =
            CtrlerServerConfig::new(raft::Config::new((0..3).map(NodeId).collect()), Some(4_000));
        let ctrlers: Vec<NodeId> = (0..3)
            .map(|_| rig.add(ShardKvConfig::CtrlerServer(ctrler.clone())))
            .collect();
        let mck = rig.add(ShardKvConfig::CtrlerClerk(shardctrler::ClerkConfig::new(
            ClientId(3),
            ctrlers.clone(),
        )));
        let mut ids = BTreeMap::new();
        for &g in groups {
            let first = rig.len() as u32;
            let peers: Vec<NodeId> = (first..first + per_group as u32).map(NodeId).collect();
            let mut config = ServerConfig::new(
                GroupId(g),
                raft::Config::new(peers.clone()),
                max_raft_state,
                ctrlers.clone(),
            );
            config.mutant = mutant;
            for _ in 0..per_group {
                rig.add(ShardKvConfig::Server(config.clone()));
            }
            ids.insert(GroupId(g), peers);
        }
        Tester {
            rig,
            ctrlers,
            mck,
            groups: ids,
            clerks: Vec::new(),
            configs: ConfigWatch::new(),
            shards: ShardWatch::new(),
            history: History::default(),
            rogue: Vec::new(),
            rogue_configs: ConfigWatch::new(),
            seen: 0,
        }
    }

    /// A clerk asking `ctrlers` (the real controller unless given).
    pub fn add_clerk(&mut self, ctrlers: Option<Vec<NodeId>>) -> usize {
        let client = ClientId(self.rig.len() as u64);
        let config = ClerkConfig::new(client, ctrlers.unwrap_or_else(|| self.ctrlers.clone()));
        self.clerks.push(self.rig.add(ShardKvConfig::Clerk(config)));
        self.clerks.len() - 1
    }

    /// A second controller service of three servers and its clerk (checked on its own).
    pub fn add_rogue_controller(&mut self) -> (Vec<NodeId>, NodeId) {
        let first = self.rig.len() as u32;
        let config = CtrlerServerConfig::new(
            raft::Config::new((first..first + 3).map(NodeId).collect()),
            None,
        );
        let servers: Vec<NodeId> = (0..3)
            .map(|_| self.rig.add(ShardKvConfig::CtrlerServer(config.clone())))
            .collect();
        let client = ClientId(self.rig.len() as u64);
        let mck = self
            .rig
            .add(ShardKvConfig::CtrlerClerk(shardctrler::ClerkConfig::new(
                client,
                servers.clone(),
            )));
        self.rogue.extend(servers.iter().copied());
        (servers, mck)
    }

    /// Feeds the events emitted since the last call to the watches.
    pub fn check(&mut self) -> Result<(), Violation> {
        while self.seen < self.rig.events.len() {
            let (_, node, event) = &self.rig.events[self.seen];
            self.seen += 1;
            match event {
                ShardKvEvent::CtrlerServer(CtrlerServerEvent::Configured {
                    client,
                    seq,
                    op,
                    config,
                }) => {
                    let watch = if self.rogue.contains(node) {
                        &mut self.rogue_configs
                    } else {
                        &mut self.configs
                    };
                    watch.on_configured(*node, (*client, *seq), op, config)?
                }
                ShardKvEvent::Server(ServerEvent::Shards {
                    gid,
                    num,
                    status,
                    held,
                }) => self
                    .shards
                    .on_shards(*node, *gid, *num, status, held, &self.configs)?,
                ShardKvEvent::Clerk(ClerkEvent::Invoked { client, seq, op }) => {
                    self.history.invoked(*client, *seq, op)
                }
                ShardKvEvent::Clerk(ClerkEvent::Returned {
                    client, seq, value, ..
                }) => self.history.returned(*client, *seq, value)?,
                ShardKvEvent::CtrlerServer(CtrlerServerEvent::Raft(_))
                | ShardKvEvent::CtrlerClerk(_)
                | ShardKvEvent::Server(ServerEvent::Raft(_)) => {}
            }
        }
        Ok(())
    }

    pub fn run_ms(&mut self, ms: u64) -> Result<(), Violation> {
        self.rig.run_ms(ms);
        self.check()
    }

    /// Runs a controller operation on `mck` to completion.
    pub fn ctrl(&mut self, mck: NodeId, op: CtrlerOp) -> Answer {
        let from = self.rig.events.len();
        self.rig
            .request(mck, ShardKvRequest::CtrlerClerk(op.clone()));
        let done = self.rig.run_until_or(self.rig.now.plus_ms(10_000), |rig| {
            !rig.node(mck)
                .and_then(ShardKvNode::as_ctrler_clerk)
                .expect("a controller clerk")
                .is_busy()
        });
        assert!(done, "t={} {mck}: {op:?} did not complete", self.rig.now);
        let answer = self.rig.events[from..]
            .iter()
            .find_map(|(_, node, event)| match event {
                ShardKvEvent::CtrlerClerk(CtrlerClerkEvent::Returned { answer, .. })
                    if *node == mck =>
                {
                    Some(answer.clone())
                }
                _ => None,
            });
        answer.expect("a returned clerk emitted Returned")
    }

    pub fn join(&mut self, gids: &[u64]) {
        let groups: Groups = gids
            .iter()
            .map(|&g| (GroupId(g), self.groups[&GroupId(g)].clone()))
            .collect();
        self.ctrl(self.mck, CtrlerOp::Join { groups });
    }

    pub fn leave(&mut self, gids: &[u64]) {
        self.ctrl(
            self.mck,
            CtrlerOp::Leave {
                gids: gids.iter().map(|&g| GroupId(g)).collect(),
            },
        );
    }

    pub fn shutdown_group(&mut self, gid: u64) {
        for id in self.groups[&GroupId(gid)].clone() {
            self.rig.crash(id);
        }
    }

    pub fn start_group(&mut self, gid: u64) {
        for id in self.groups[&GroupId(gid)].clone() {
            self.rig.restart(id);
            self.shards.restarted(id);
        }
    }

    pub fn invoke(&mut self, clerk: usize, op: Op) {
        self.rig
            .request(self.clerks[clerk], ShardKvRequest::Clerk(op));
    }

    pub fn busy(&self, clerk: usize) -> bool {
        self.rig
            .node(self.clerks[clerk])
            .and_then(ShardKvNode::as_clerk)
            .expect("a clerk")
            .is_busy()
    }

    /// Runs one operation on `clerk` to completion (within `ms` of virtual time); its value.
    pub fn call(&mut self, clerk: usize, op: Op, ms: u64) -> Result<String, Violation> {
        self.invoke(clerk, op.clone());
        let id = self.clerks[clerk];
        let done = self.rig.run_until_or(self.rig.now.plus_ms(ms), |rig| {
            !rig.node(id)
                .and_then(ShardKvNode::as_clerk)
                .expect("a clerk")
                .is_busy()
        });
        self.check()?;
        if !done {
            return Err(Violation::new(
                COMPLETES,
                format!(
                    "t={} clerk {id}: {op:?} did not complete in {ms} ms",
                    self.rig.now
                ),
            ));
        }
        Ok(self
            .history
            .last_value(ClientId(u64::from(id.0)))
            .expect("a returned clerk returned a value"))
    }

    /// Every up server of every group settled, holding only what it serves.
    pub fn check_quiescent(&self) -> Result<(), Violation> {
        for id in self.groups.values().flatten() {
            if let Some(server) = self.rig.node(*id).and_then(ShardKvNode::as_server) {
                check_quiescent(*id, server.state())?;
            }
        }
        Ok(())
    }

    /// Raft state plus snapshot bytes over every group server's disk.
    pub fn group_storage_bytes(&self) -> usize {
        self.groups
            .values()
            .flatten()
            .map(|&id| self.rig.disk(id).total_bytes())
            .sum()
    }

    pub fn now(&self) -> Time {
        self.rig.now
    }
}
