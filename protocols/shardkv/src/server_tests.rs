//! One group server (a one-server group) driven by hand-built inputs: it polls the controller
//! for the next configuration, steps into it through its log, rejects keys it does not serve,
//! answers pulls, deletes on notice and says so, and restores all of it from a snapshot.

use crate::msg::{Command, Outcome, PullAnswer, PullShards, Reply, ShardKvMsg, ShardsInstalled};
use crate::node::{ServerEvent, ServerTimer};
use crate::node_config::ServerConfig;
use crate::server::ShardKvServer;
use crate::shard::ShardStatus;
use kvraft::Op;
use protocol_core::instant::InstantDisk;
use protocol_core::{ClientId, Disk, Input, Node, NodeId, Outbox, Output, Time};
use raft::RaftTimer;
use shardctrler::{Answer, Config, ConfigNum, CtrlerMsg, CtrlerOp, GroupId, ShardId, NSHARDS};

const CTRLER: NodeId = NodeId(5);
const CLERK: NodeId = NodeId(9);
const OTHER: NodeId = NodeId(20);
const G: GroupId = GroupId(100);

struct Harness {
    node: ShardKvServer,
    disk: Disk,
    config: ServerConfig,
    now: Time,
    election_at: Option<Time>,
    /// The controller query last sent, not yet answered.
    query: Option<shardctrler::Command>,
}

impl Harness {
    fn new(max_raft_state: Option<usize>) -> Harness {
        let config = ServerConfig::new(
            G,
            raft::Config::new(vec![NodeId(0)]),
            max_raft_state,
            vec![CTRLER],
        );
        let node = ShardKvServer::boot(
            &config,
            NodeId(0),
            &Disk::new(),
            1,
            Time::ZERO,
            &mut Outbox::new(),
        )
        .expect("valid");
        let mut h = Harness {
            node,
            disk: Disk::new(),
            config,
            now: Time::ZERO,
            election_at: None,
            query: None,
        };
        h.reboot();
        h.elect();
        h
    }

    fn reboot(&mut self) -> Vec<Output<ShardKvServer>> {
        let mut out = Outbox::new();
        self.node = ShardKvServer::boot(&self.config, NodeId(0), &self.disk, 2, self.now, &mut out)
            .expect("test disks are valid");
        self.absorb(out)
    }

    fn absorb(&mut self, mut out: Outbox<ShardKvServer>) -> Vec<Output<ShardKvServer>> {
        // A disk durable at once: every sync is answered within the step.
        let mut disk = InstantDisk {
            disk: std::mem::take(&mut self.disk),
        };
        let outs = disk.settle(&mut self.node, self.now, &mut out);
        self.disk = disk.disk;
        for output in &outs {
            match output {
                Output::SetTimer {
                    timer: ServerTimer::Raft(RaftTimer::Election),
                    at,
                } => self.election_at = Some(*at),
                Output::Send {
                    to: CTRLER,
                    msg: ShardKvMsg::Ctrler(CtrlerMsg::Request(command)),
                } => self.query = Some(command.clone()),
                _ => {}
            }
        }
        self.node.check_invariants();
        outs
    }

    fn step(&mut self, input: Input<ShardKvServer>) -> Vec<Output<ShardKvServer>> {
        self.now = self.now.plus_ms(1);
        let mut out = Outbox::new();
        self.node.handle(self.now, input, &mut out);
        self.absorb(out)
    }

    fn elect(&mut self) {
        self.now = self.election_at.expect("an election timer is armed");
        let mut out = Outbox::new();
        self.node.handle(
            self.now,
            Input::Timer(ServerTimer::Raft(RaftTimer::Election)),
            &mut out,
        );
        self.absorb(out);
    }

    fn tick(&mut self) -> Vec<Output<ShardKvServer>> {
        self.now = self.now.plus_ms(100);
        let mut out = Outbox::new();
        self.node
            .handle(self.now, Input::Timer(ServerTimer::Tick), &mut out);
        self.absorb(out)
    }

    /// Lets the server's poll find `config`: its query (sent at once when it settled, or on
    /// the tick), answered by the controller.
    fn step_into(&mut self, config: Config) -> Vec<Output<ShardKvServer>> {
        self.tick();
        let query = self
            .query
            .take()
            .expect("a settled leader polls the controller");
        assert_eq!(
            query.op,
            CtrlerOp::Query {
                num: Some(config.num)
            },
            "n0 g100: asks for the next configuration only"
        );
        let reply = shardctrler::Reply {
            client: query.client,
            seq: query.seq,
            outcome: shardctrler::Outcome::Ok(Answer::Config(config)),
        };
        self.step(Input::Message {
            from: CTRLER,
            msg: ShardKvMsg::Ctrler(CtrlerMsg::Reply(reply)),
        })
    }

    fn request(&mut self, seq: u64, op: Op) -> Outcome {
        let outs = self.step(Input::Message {
            from: CLERK,
            msg: ShardKvMsg::Request(Command {
                client: ClientId(9),
                seq,
                op,
            }),
        });
        let replies: Vec<Reply> = outs
            .iter()
            .filter_map(|o| match o {
                Output::Send {
                    to: CLERK,
                    msg: ShardKvMsg::Reply(reply),
                } => Some(reply.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(replies.len(), 1, "one reply: {outs:?}");
        replies[0].outcome.clone()
    }

    fn status(&self, s: u32) -> ShardStatus {
        self.node.state().shard(ShardId(s)).status
    }
}

fn config(num: u64, shards: [u64; NSHARDS]) -> Config {
    let mut groups = shardctrler::Groups::new();
    groups.insert(G, vec![NodeId(0)]);
    groups.insert(GroupId(200), vec![OTHER]);
    groups.retain(|gid, _| shards.contains(&gid.0));
    Config {
        num: ConfigNum(num),
        shards: shards.map(GroupId),
        groups,
    }
}

fn views(outs: &[Output<ShardKvServer>]) -> Vec<(ConfigNum, [ShardStatus; NSHARDS])> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Emit(ServerEvent::Shards { num, status, .. }) => Some((*num, *status)),
            _ => None,
        })
        .collect()
}

/// 'k' is 107: shard 7. '2' is shard 0.
fn put(key: &str, value: &str) -> Op {
    Op::Put {
        key: key.into(),
        value: value.into(),
    }
}

#[test]
fn a_leader_steps_into_the_next_configuration_and_serves_only_its_shards() {
    let mut h = Harness::new(None);
    assert_eq!(
        h.request(1, put("k", "v")),
        Outcome::WrongGroup,
        "n0 g100 cfg0: nothing served yet"
    );
    let outs = h.step_into(config(
        1,
        [100, 100, 100, 100, 100, 200, 200, 200, 200, 200],
    ));
    let reported = views(&outs);
    assert_eq!(
        reported.len(),
        1,
        "n0 g100 cfg1: one view reported: {outs:?}"
    );
    assert_eq!(reported[0].0, ConfigNum(1));
    assert_eq!(h.status(0), ShardStatus::Serving, "n0 g100 cfg1 s0: fresh");
    assert_eq!(
        h.request(2, put("2", "v")),
        Outcome::Ok {
            value: String::new()
        },
        "n0 g100 cfg1 s0"
    );
    assert_eq!(
        h.request(3, put("k", "v")),
        Outcome::WrongGroup,
        "n0 g100 cfg1 s7 is g200's"
    );
}

#[test]
fn an_old_owner_answers_pulls_deletes_on_notice_and_says_so() {
    let mut h = Harness::new(None);
    h.step_into(config(1, [100; NSHARDS]));
    h.request(1, put("k", "v"));
    h.step_into(config(
        2,
        [100, 100, 100, 100, 100, 200, 200, 200, 200, 200],
    ));
    assert_eq!(h.status(7), ShardStatus::Sending, "n0 g100 cfg2 s7");
    let pull = Input::Message {
        from: OTHER,
        msg: ShardKvMsg::Pull(PullShards {
            num: ConfigNum(2),
            shards: vec![ShardId(7)],
        }),
    };
    let outs = h.step(pull);
    let sent = outs.iter().find_map(|o| match o {
        Output::Send {
            to: OTHER,
            msg: ShardKvMsg::PullReply(reply),
        } => Some(reply.clone()),
        _ => None,
    });
    let Some(PullAnswer::Shards(shards)) = sent.map(|r| r.answer) else {
        panic!("n0 g100 cfg2 s7: the pull is answered: {outs:?}")
    };
    assert_eq!(shards[0].1.read("k"), "v", "n0 g100 cfg2 s7: the data");
    let notice = ShardsInstalled {
        num: ConfigNum(2),
        shards: vec![ShardId(7)],
    };
    let outs = h.step(Input::Message {
        from: OTHER,
        msg: ShardKvMsg::Installed(notice.clone()),
    });
    let told = outs.iter().any(
        |o| matches!(o, Output::Send { to: OTHER, msg: ShardKvMsg::Deleted(d) } if *d == notice),
    );
    assert!(
        told,
        "n0 g100 cfg2 s7: deleted through the log and told at once: {outs:?}"
    );
    assert_eq!(h.status(7), ShardStatus::Absent, "n0 g100 cfg2 s7");
    assert!(
        h.node.state().shard(ShardId(7)).data.is_empty(),
        "n0 g100 cfg2 s7: nothing kept"
    );
}

#[test]
fn a_new_owner_pulls_from_the_old_one_and_restores_everything_from_a_snapshot() {
    let mut h = Harness::new(Some(200));
    h.step_into(config(1, [200; NSHARDS]));
    let outs = h.step_into(config(
        2,
        [100, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ));
    let pulled = outs.iter().any(|o| matches!(o, Output::Send { to: OTHER, msg: ShardKvMsg::Pull(p) } if p.shards == vec![ShardId(0)]));
    assert!(
        pulled,
        "n0 g100 cfg2 s0: pulled at once from g200: {outs:?}"
    );
    assert_eq!(
        h.request(1, put("2", "x")),
        Outcome::WrongGroup,
        "n0 g100 cfg2 s0: not arrived"
    );
    let mut data = crate::shard::ShardData::default();
    data.apply(ClientId(9), 1, &put("2", "from-g200"), true);
    let reply = crate::msg::PullReply {
        num: ConfigNum(2),
        from: GroupId(200),
        answer: PullAnswer::Shards(vec![(ShardId(0), data)]),
    };
    let outs = h.step(Input::Message {
        from: OTHER,
        msg: ShardKvMsg::PullReply(reply),
    });
    assert!(
        outs.iter().any(|o| matches!(
            o,
            Output::Send {
                to: OTHER,
                msg: ShardKvMsg::Installed(_)
            }
        )),
        "n0 g100 cfg2 s0: tells g200"
    );
    assert_eq!(h.status(0), ShardStatus::Confirming);
    assert_eq!(
        h.request(1, put("2", "x")),
        Outcome::Ok {
            value: String::new()
        },
        "n0 g100 cfg2 s0: c9#1 applied at g200"
    );
    for seq in 2..30 {
        h.request(
            seq,
            Op::Append {
                key: "2".into(),
                value: "y".into(),
            },
        );
    }
    let before = h.node.state().clone();
    assert!(
        h.disk.size_of(raft::SNAPSHOT_FILE) > 0,
        "n0 g100 cfg2: snapshotted"
    );
    h.reboot();
    // No client asks anything: the new leader's own first entry commits the log past the
    // snapshot (a group with no clients and a stale view would otherwise stay stale).
    h.elect();
    let state = h.node.state();
    assert!(
        state == &before,
        "n0 g100 cfg2: snapshot and log rebuild the same state, {:?}",
        state.statuses()
    );
}

#[path = "server_prompt_tests.rs"]
mod prompts;
