//! The course's controller tester (`config.go` plus `check`) on the rig: servers and clerks as
//! nodes of one run, every configuration and every clerk operation fed to the watches.

#![allow(dead_code)] // each test file uses a different part

use protocol_core::{ClientId, NodeId, Time, Violation};
use shardctrler::rig::Rig;
use shardctrler::{
    Answer, ClerkConfig, ClerkEvent, Config, ConfigNum, ConfigWatch, CtrlerConfig, CtrlerEvent,
    CtrlerHistory, CtrlerNode, CtrlerOp, CtrlerRequest, GroupId, Groups, Mutant, ServerConfig,
    ServerEvent,
};

pub struct Tester {
    pub rig: Rig<CtrlerNode>,
    pub servers: Vec<NodeId>,
    pub clerks: Vec<NodeId>,
    pub watch: ConfigWatch,
    pub history: CtrlerHistory,
    /// Events of `rig.events` already fed to the watches.
    seen: usize,
}

impl Tester {
    /// `servers` controller servers (ids 0..), then `clerks` clerks, each trying the servers
    /// in its own rotated order.
    pub fn new(seed: u64, servers: usize, clerks: usize, mutant: Option<Mutant>) -> Tester {
        let mut rig = Rig::new(seed);
        let raft = raft::Config::with_size(servers as u32);
        let mut config = ServerConfig::new(raft, Some(2_000));
        config.mutant = mutant;
        let servers: Vec<NodeId> = (0..servers)
            .map(|_| rig.add(CtrlerConfig::Server(config.clone())))
            .collect();
        let clerks = (0..clerks)
            .map(|c| {
                let mut order = servers.clone();
                order.rotate_left(c % servers.len());
                let client = ClientId(rig.len() as u64);
                rig.add(CtrlerConfig::Clerk(ClerkConfig::new(client, order)))
            })
            .collect();
        Tester {
            rig,
            servers,
            clerks,
            watch: ConfigWatch::new(),
            history: CtrlerHistory::new(),
            seen: 0,
        }
    }

    /// Feeds the events emitted since the last call to the watches.
    pub fn check(&mut self) -> Result<(), Violation> {
        while self.seen < self.rig.events.len() {
            let (_, node, event) = &self.rig.events[self.seen];
            self.seen += 1;
            match event {
                CtrlerEvent::Server(ServerEvent::Configured {
                    client,
                    seq,
                    op,
                    config,
                }) => self
                    .watch
                    .on_configured(*node, (*client, *seq), op, config)?,
                CtrlerEvent::Clerk(ClerkEvent::Invoked { client, seq, op }) => {
                    self.history.on_invoked(*client, *seq, op)?
                }
                CtrlerEvent::Clerk(ClerkEvent::Returned {
                    client,
                    seq,
                    answer,
                    ..
                }) => self
                    .history
                    .on_returned(*client, *seq, answer, &self.watch)?,
                CtrlerEvent::Server(ServerEvent::Raft(_)) => {}
            }
        }
        Ok(())
    }

    pub fn invoke(&mut self, clerk: usize, op: CtrlerOp) {
        self.rig
            .request(self.clerks[clerk], CtrlerRequest::Clerk(op));
    }

    pub fn busy(&self, clerk: usize) -> bool {
        self.rig
            .node(self.clerks[clerk])
            .and_then(CtrlerNode::as_clerk)
            .expect("a clerk")
            .is_busy()
    }

    /// Runs one operation on `clerk` to completion (10 s of virtual time at most).
    pub fn call(&mut self, clerk: usize, op: CtrlerOp) -> Result<Answer, Violation> {
        let from = self.rig.events.len();
        self.invoke(clerk, op.clone());
        let id = self.clerks[clerk];
        let done = self.rig.run_until_or(self.rig.now.plus_ms(10_000), |rig| {
            !rig.node(id)
                .and_then(CtrlerNode::as_clerk)
                .expect("a clerk")
                .is_busy()
        });
        assert!(
            done,
            "t={} clerk {id}: {op:?} did not complete in 10 s",
            self.rig.now
        );
        self.check()?;
        let answer = self.rig.events[from..]
            .iter()
            .find_map(|(_, node, event)| match event {
                CtrlerEvent::Clerk(ClerkEvent::Returned { answer, .. }) if *node == id => {
                    Some(answer.clone())
                }
                _ => None,
            });
        Ok(answer.expect("a returned clerk emitted Returned"))
    }

    pub fn query(&mut self, clerk: usize, num: Option<u64>) -> Result<Config, Violation> {
        match self.call(
            clerk,
            CtrlerOp::Query {
                num: num.map(ConfigNum),
            },
        )? {
            Answer::Config(config) => Ok(config),
            other => panic!("a query answered {other:?}"),
        }
    }

    pub fn run_ms(&mut self, ms: u64) -> Result<(), Violation> {
        self.rig.run_ms(ms);
        self.check()
    }

    /// Runs every clerk's script concurrently, each op invoked when the previous returned.
    pub fn run_scripts(&mut self, scripts: Vec<Vec<CtrlerOp>>) -> Result<(), Violation> {
        let mut next = vec![0; scripts.len()];
        let deadline = self.rig.now.plus_ms(60_000);
        loop {
            for (c, script) in scripts.iter().enumerate() {
                if !self.busy(c) && next[c] < script.len() {
                    self.invoke(c, script[next[c]].clone());
                    next[c] += 1;
                }
            }
            if (0..scripts.len()).all(|c| next[c] == scripts[c].len() && !self.busy(c)) {
                return self.check();
            }
            assert!(
                self.rig.now < deadline,
                "t={}: scripts stuck at {next:?}",
                self.rig.now
            );
            self.run_ms(5)?;
        }
    }

    /// Every up server's configurations: the same list everywhere.
    pub fn check_same_on_servers(&self) {
        let states: Vec<(NodeId, &[Config])> = self
            .servers
            .iter()
            .filter_map(|&id| {
                self.rig
                    .node(id)
                    .and_then(CtrlerNode::as_server)
                    .map(|s| (id, s.state().configs()))
            })
            .collect();
        for (id, configs) in &states[1..] {
            assert!(
                configs == &states[0].1,
                "{id} holds {} configurations, {} holds {}",
                configs.len(),
                states[0].0,
                states[0].1.len()
            );
        }
    }

    pub fn now(&self) -> Time {
        self.rig.now
    }
}

/// `{gid: [servers]}` for the course's `Join`.
pub fn groups(gids: &[u64]) -> Groups {
    gids.iter()
        .map(|&g| {
            (
                GroupId(g),
                vec![NodeId(1_000 + g as u32), NodeId(2_000 + g as u32)],
            )
        })
        .collect()
}

pub fn join(gids: &[u64]) -> CtrlerOp {
    CtrlerOp::Join {
        groups: groups(gids),
    }
}

pub fn leave(gids: &[u64]) -> CtrlerOp {
    CtrlerOp::Leave {
        gids: gids.iter().map(|&g| GroupId(g)).collect(),
    }
}

/// The course's `check(groups)`: exactly these groups, every shard on one, balanced.
pub fn check_groups(config: &Config, gids: &[u64]) {
    let expected: Vec<GroupId> = gids.iter().map(|&g| GroupId(g)).collect();
    let actual: Vec<GroupId> = config.groups.keys().copied().collect();
    assert_eq!(actual, expected, "{}: groups", config.num);
    assert_eq!(config.validate(), Ok(()), "{}", config.num);
    assert!(
        config.is_balanced(),
        "{}: unbalanced {:?}",
        config.num,
        config.shard_counts()
    );
}
