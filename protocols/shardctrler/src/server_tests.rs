//! One controller server driven by hand-built inputs: answers after apply, reports each
//! configuration, duplicates once, wrong leaders, the stale-query mutant, snapshots.

use crate::config::Config;
use crate::msg::{Answer, Command, CtrlerMsg, CtrlerOp, Outcome, Reply};
use crate::mutant::Mutant;
use crate::node::ServerEvent;
use crate::node_config::ServerConfig;
use crate::server::CtrlerServer;
use crate::types::{ConfigNum, GroupId};
use protocol_core::instant::InstantDisk;
use protocol_core::{BootError, ClientId, Disk, Input, Node, NodeId, Outbox, Output, Time};
use raft::msg::AppendEntries;
use raft::{LogIndex, RaftMsg, RaftTimer, Term, SNAPSHOT_FILE};

const CLERK: NodeId = NodeId(9);

struct Harness {
    node: CtrlerServer,
    disk: Disk,
    config: ServerConfig,
    now: Time,
    election_at: Option<Time>,
}

impl Harness {
    fn new(servers: u32, max_raft_state: Option<usize>, mutant: Option<Mutant>) -> Harness {
        let mut config = ServerConfig::new(raft::Config::with_size(servers), max_raft_state);
        config.mutant = mutant;
        let node = CtrlerServer::boot(
            &config,
            NodeId(0),
            &Disk::new(),
            1,
            Time::ZERO,
            &mut Outbox::new(),
        )
        .expect("a valid config");
        let mut h = Harness {
            node,
            disk: Disk::new(),
            config,
            now: Time::ZERO,
            election_at: None,
        };
        h.reboot(); // learns the election deadline
        h
    }

    fn reboot(&mut self) -> Vec<Output<CtrlerServer>> {
        let mut out = Outbox::new();
        self.node = CtrlerServer::boot(&self.config, NodeId(0), &self.disk, 2, self.now, &mut out)
            .expect("test disks are valid");
        self.absorb(out)
    }

    fn absorb(&mut self, mut out: Outbox<CtrlerServer>) -> Vec<Output<CtrlerServer>> {
        // A disk durable at once: every sync is answered within the step.
        let mut disk = InstantDisk {
            disk: std::mem::take(&mut self.disk),
        };
        let outs = disk.settle(&mut self.node, self.now, &mut out);
        self.disk = disk.disk;
        for output in &outs {
            if let Output::SetTimer {
                timer: RaftTimer::Election,
                at,
            } = output
            {
                self.election_at = Some(*at);
            }
        }
        self.node.check_invariants();
        outs
    }

    fn step(&mut self, input: Input<CtrlerServer>) -> Vec<Output<CtrlerServer>> {
        let mut out = Outbox::new();
        self.now = self.now.plus_ms(1);
        self.node.handle(self.now, input, &mut out);
        self.absorb(out)
    }

    /// Fires the election timer; in a one-server cluster that makes it leader.
    fn elect(&mut self) {
        self.now = self.election_at.expect("an election timer is armed");
        let mut out = Outbox::new();
        self.node
            .handle(self.now, Input::Timer(RaftTimer::Election), &mut out);
        self.absorb(out);
    }

    fn request(&mut self, client: u64, seq: u64, op: CtrlerOp) -> Vec<Output<CtrlerServer>> {
        let command = Command {
            client: ClientId(client),
            seq,
            op,
        };
        self.step(Input::Message {
            from: CLERK,
            msg: CtrlerMsg::Request(command),
        })
    }

    fn server(&self) -> &CtrlerServer {
        &self.node
    }
}

fn replies(outs: &[Output<CtrlerServer>]) -> Vec<Reply> {
    let reply = |o: &Output<CtrlerServer>| match o {
        Output::Send {
            to,
            msg: CtrlerMsg::Reply(reply),
        } => {
            assert_eq!(*to, CLERK);
            Some(reply.clone())
        }
        _ => None,
    };
    outs.iter().filter_map(reply).collect()
}

fn answer(outs: &[Output<CtrlerServer>]) -> Answer {
    match replies(outs).as_slice() {
        [Reply {
            outcome: Outcome::Ok(answer),
            ..
        }] => answer.clone(),
        other => panic!("expected one Ok reply, got {other:?}"),
    }
}

fn configured(outs: &[Output<CtrlerServer>]) -> Vec<Config> {
    let config = |o: &Output<CtrlerServer>| match o {
        Output::Emit(ServerEvent::Configured { config, .. }) => Some(config.clone()),
        _ => None,
    };
    outs.iter().filter_map(config).collect()
}

fn join(gid: u64) -> CtrlerOp {
    CtrlerOp::Join {
        groups: [(GroupId(gid), vec![NodeId(20 + gid as u32)])].into(),
    }
}

const LATEST: CtrlerOp = CtrlerOp::Query { num: None };

#[test]
fn a_leader_answers_after_apply_reports_the_configuration_and_applies_a_retry_once() {
    let mut h = Harness::new(1, None, None);
    h.elect();
    let outs = h.request(1, 1, join(1));
    assert_eq!(answer(&outs), Answer::Configured(ConfigNum(1)));
    let created = configured(&outs);
    assert_eq!(created.len(), 1, "one Configured event for cfg1: {outs:?}");
    assert_eq!(created[0].shards, [GroupId(1); 10], "cfg1");
    let retry = h.request(1, 1, join(1));
    assert_eq!(
        answer(&retry),
        Answer::Configured(ConfigNum(1)),
        "the retry is told cfg1"
    );
    assert!(configured(&retry).is_empty(), "and creates nothing");
    let Answer::Config(latest) = answer(&h.request(2, 1, LATEST)) else {
        panic!("a query answers a config")
    };
    assert_eq!(latest, created[0]);
    // The new leader's no-op, the Join, its retry, and the Query.
    assert_eq!(
        h.server().applied(),
        LogIndex(4),
        "the query went through the log too"
    );
}

fn heartbeat_from(leader: u32) -> Input<CtrlerServer> {
    let append = AppendEntries {
        term: Term(1),
        leader: NodeId(leader),
        prev_log_index: LogIndex::ZERO,
        prev_log_term: Term(0),
        entries: Vec::new(),
        leader_commit: LogIndex::ZERO,
    };
    Input::Message {
        from: NodeId(leader),
        msg: CtrlerMsg::Raft(RaftMsg::AppendEntries(append)),
    }
}

#[test]
fn a_follower_answers_wrong_leader_and_only_the_stale_query_mutant_answers_from_its_state() {
    for (mutant, stale) in [(None, false), (Some(Mutant::StaleQuery), true)] {
        let mut h = Harness::new(3, None, mutant);
        h.step(heartbeat_from(2));
        let outs = h.request(1, 1, LATEST);
        let expected = if stale {
            Outcome::Ok(Answer::Config(Config::initial()))
        } else {
            Outcome::WrongLeader {
                leader_hint: Some(NodeId(2)),
            }
        };
        assert_eq!(
            replies(&outs)[0].outcome,
            expected,
            "n0 follower, mutant {mutant:?}"
        );
        let join = h.request(1, 2, join(1));
        assert!(
            matches!(replies(&join)[0].outcome, Outcome::WrongLeader { .. }),
            "n0: a Join is never answered locally"
        );
    }
}

#[test]
fn snapshots_restore_configurations_and_the_duplicate_table() {
    let mut h = Harness::new(1, Some(120), None);
    h.elect();
    for seq in 1..=30 {
        h.request(1, seq, join(seq % 7 + 1));
    }
    assert!(h.disk.size_of(SNAPSHOT_FILE) > 0, "a snapshot was taken");
    let before = h.server().state().clone();
    h.reboot();
    let restored = h.server().state().latest().num;
    assert!(
        restored > ConfigNum(0),
        "n0: the snapshot restored configurations up to {restored}"
    );
    h.elect();
    // An old retry: its entry, in the new term, commits the log past the snapshot too.
    let retry = h.request(1, 30, join(30 % 7 + 1));
    assert_eq!(
        answer(&retry),
        Answer::Configured(ConfigNum(30)),
        "n0: the retry after the restart"
    );
    let state = h.server().state();
    assert!(
        state == &before,
        "n0: the snapshot and the log rebuilt {} configurations, not {}",
        state.configs().len(),
        before.configs().len()
    );
}

#[test]
fn corrupt_snapshot_bytes_are_a_boot_error() {
    let mut h = Harness::new(1, Some(100), None);
    h.elect();
    for seq in 1..=30 {
        h.request(1, seq, join(seq));
    }
    // Raft's snapshot file is (index, term, data); keep its frame, garble the state inside.
    let file = h.disk.read(SNAPSHOT_FILE).expect("a snapshot was taken");
    let (index, term, _): (LogIndex, Term, Vec<u8>) = postcard::from_bytes(file).unwrap();
    let garbled = postcard::to_allocvec(&(index, term, vec![0xffu8; 8])).unwrap();
    assert!(h.disk.overwrite(SNAPSHOT_FILE, garbled));
    let booted = CtrlerServer::boot(&h.config, NodeId(0), &h.disk, 4, h.now, &mut Outbox::new());
    assert!(matches!(booted, Err(BootError::CorruptDisk { .. })));
}
