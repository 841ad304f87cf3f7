//! One server driven by hand-built inputs: answers only after apply, duplicates once,
//! wrong leaders, lost leadership, snapshots and restore.

use crate::config::ServerConfig;
use crate::debug::ServerEvent;
use crate::msg::{Command, KvMsg, Op, Outcome, Reply};
use crate::mutant::Mutant;
use crate::node::KvConfig;
use crate::node::{KvEvent, KvNode, KvTimer};
use protocol_core::instant::InstantDisk;
use protocol_core::{ClientId, Disk, Input, Node, NodeId, Outbox, Output, Time};
use raft::msg::{AppendEntries, RequestVoteReply};
use raft::{LogIndex, RaftEvent, RaftMsg, RaftTimer, Term, RAFT_STATE_FILE, SNAPSHOT_FILE};

const CLERK: NodeId = NodeId(9);

struct Harness {
    node: KvNode,
    disk: Disk,
    config: KvConfig,
    now: Time,
    election_at: Option<Time>,
}

impl Harness {
    fn new(servers: u32, max_raft_state: Option<usize>, mutant: Option<Mutant>) -> Harness {
        let mut config = ServerConfig::new(raft::Config::with_size(servers), max_raft_state);
        config.mutant = mutant;
        let config = KvConfig::Server(config);
        let mut h = Harness {
            node: KvNode::boot(
                &config,
                NodeId(0),
                &Disk::new(),
                1,
                Time::ZERO,
                &mut Outbox::new(),
            )
            .expect("a valid config"),
            disk: Disk::new(),
            config,
            now: Time::ZERO,
            election_at: None,
        };
        // Boot armed the election timer; learn its deadline by booting once more.
        h.reboot();
        h
    }

    fn reboot(&mut self) -> Vec<Output<KvNode>> {
        let mut out = Outbox::new();
        self.node = KvNode::boot(&self.config, NodeId(0), &self.disk, 2, self.now, &mut out)
            .expect("test disks are valid");
        self.absorb(out)
    }

    fn absorb(&mut self, mut out: Outbox<KvNode>) -> Vec<Output<KvNode>> {
        // A disk durable at once: every sync is answered within the step.
        let mut disk = InstantDisk {
            disk: std::mem::take(&mut self.disk),
        };
        let outs = disk.settle(&mut self.node, self.now, &mut out);
        self.disk = disk.disk;
        for output in &outs {
            if let Output::SetTimer {
                timer: KvTimer::Server(RaftTimer::Election),
                at,
            } = output
            {
                self.election_at = Some(*at);
            }
        }
        self.node.check_invariants();
        outs
    }

    fn step(&mut self, input: Input<KvNode>) -> Vec<Output<KvNode>> {
        let mut out = Outbox::new();
        self.now = self.now.plus_ms(1);
        self.node.handle(self.now, input, &mut out);
        self.absorb(out)
    }

    /// Fires the election timer; in a one-server cluster that makes it leader.
    fn elect(&mut self) -> Vec<Output<KvNode>> {
        self.now = self.election_at.expect("an election timer is armed");
        let mut out = Outbox::new();
        let timer = Input::Timer(KvTimer::Server(RaftTimer::Election));
        self.node.handle(self.now, timer, &mut out);
        self.absorb(out)
    }

    fn request(&mut self, client: u64, seq: u64, op: Op) -> Vec<Output<KvNode>> {
        let command = Command {
            client: ClientId(client),
            seq,
            op,
        };
        self.step(Input::Message {
            from: CLERK,
            msg: KvMsg::Request(command),
        })
    }

    fn server(&self) -> &crate::server::KvServer {
        self.node.as_server().expect("a server")
    }
}

fn replies(outs: &[Output<KvNode>]) -> Vec<Reply> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Send {
                to,
                msg: KvMsg::Reply(reply),
            } => {
                assert_eq!(*to, CLERK);
                Some(reply.clone())
            }
            _ => None,
        })
        .collect()
}

fn ok(outs: &[Output<KvNode>]) -> String {
    match replies(outs).as_slice() {
        [Reply {
            outcome: Outcome::Ok { value },
            ..
        }] => value.clone(),
        other => panic!("expected one Ok reply, got {other:?}"),
    }
}

fn append(value: &str) -> Op {
    Op::Append {
        key: "k".into(),
        value: value.into(),
    }
}

fn get() -> Op {
    Op::Get { key: "k".into() }
}

#[test]
fn a_leader_answers_after_apply_and_applies_a_retry_once() {
    let mut h = Harness::new(1, None, None);
    h.elect();
    assert!(h.server().raft().is_leader());
    assert_eq!(ok(&h.request(1, 1, append("a"))), "");
    assert_eq!(ok(&h.request(1, 1, append("a"))), "", "a retry is answered");
    assert_eq!(ok(&h.request(1, 2, get())), "a", "and applied once");
    assert_eq!(
        h.server().applied(),
        LogIndex(3),
        "every request went through the log"
    );
}

/// The Raft events a step reported (the cluster checker's applied stream).
fn raft_events(outs: &[Output<KvNode>]) -> Vec<RaftEvent> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Emit(KvEvent::Server(ServerEvent(event))) => Some(event.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_applied_entry_and_restored_snapshot_is_reported() {
    let mut h = Harness::new(1, Some(300), None);
    h.elect();
    let mut applied = Vec::new();
    for seq in 1..=40 {
        for event in raft_events(&h.request(1, seq, append("x"))) {
            let RaftEvent::Applied { index, .. } = event else {
                panic!("a running server applies entries: {event:?}");
            };
            applied.push(index.0);
        }
    }
    // Raft adds no entries of its own: request seq i is index i, each reported once.
    assert_eq!(applied, (1..=40).collect::<Vec<u64>>());
    let events = raft_events(&h.reboot());
    let [RaftEvent::Snapshot { index, .. }] = events.as_slice() else {
        panic!("a reboot reports the snapshot it restores: {events:?}");
    };
    assert_eq!(*index, h.server().applied());
    assert!(*index > LogIndex::ZERO);
}

#[test]
fn without_duplicate_detection_a_retry_applies_twice() {
    let mut h = Harness::new(1, None, Some(Mutant::NoDuplicateDetection));
    h.elect();
    h.request(1, 1, append("a"));
    h.request(1, 1, append("a"));
    assert_eq!(ok(&h.request(1, 2, get())), "aa");
}

#[test]
fn a_follower_answers_wrong_leader_with_its_hint() {
    let mut h = Harness::new(3, None, None);
    let heartbeat = RaftMsg::AppendEntries(AppendEntries {
        term: Term(1),
        leader: NodeId(2),
        prev_log_index: LogIndex::ZERO,
        prev_log_term: Term(0),
        entries: Vec::new(),
        leader_commit: LogIndex::ZERO,
    });
    h.step(Input::Message {
        from: NodeId(2),
        msg: KvMsg::Raft(heartbeat),
    });
    let outs = h.request(1, 1, get());
    assert_eq!(
        replies(&outs)[0].outcome,
        Outcome::WrongLeader {
            leader_hint: Some(NodeId(2))
        }
    );
}

#[test]
fn a_waiting_request_is_answered_when_leadership_is_lost() {
    let mut h = Harness::new(3, None, None);
    h.elect();
    let vote = RaftMsg::RequestVoteReply(RequestVoteReply {
        term: Term(1),
        vote_granted: true,
    });
    h.step(Input::Message {
        from: NodeId(1),
        msg: KvMsg::Raft(vote),
    });
    assert!(h.server().raft().is_leader());
    let outs = h.request(1, 1, append("a"));
    assert!(
        replies(&outs).is_empty(),
        "no answer before commit: {outs:?}"
    );
    let newer = RaftMsg::AppendEntries(AppendEntries {
        term: Term(2),
        leader: NodeId(2),
        prev_log_index: LogIndex::ZERO,
        prev_log_term: Term(0),
        entries: Vec::new(),
        leader_commit: LogIndex::ZERO,
    });
    let outs = h.step(Input::Message {
        from: NodeId(2),
        msg: KvMsg::Raft(newer),
    });
    let answered = replies(&outs);
    assert_eq!(answered.len(), 1, "{outs:?}");
    assert!(matches!(answered[0].outcome, Outcome::WrongLeader { .. }));
}

#[test]
fn reply_before_apply_answers_before_commit() {
    let mut h = Harness::new(3, None, Some(Mutant::ReplyBeforeApply));
    h.elect();
    let vote = RaftMsg::RequestVoteReply(RequestVoteReply {
        term: Term(1),
        vote_granted: true,
    });
    h.step(Input::Message {
        from: NodeId(1),
        msg: KvMsg::Raft(vote),
    });
    assert_eq!(ok(&h.request(1, 1, append("a"))), "");
    assert_eq!(h.server().raft().commit_index(), LogIndex(0));
}

#[test]
fn snapshots_bound_the_raft_state_and_restore_store_and_dup_table() {
    let max = 300;
    let mut h = Harness::new(1, Some(max), None);
    h.elect();
    for seq in 1..=60 {
        h.request(1, seq, append("x"));
        assert!(
            h.disk.size_of(RAFT_STATE_FILE) < 2 * max,
            "raft state {} bytes",
            h.disk.size_of(RAFT_STATE_FILE)
        );
    }
    assert!(h.disk.size_of(SNAPSHOT_FILE) > 0, "a snapshot was taken");
    assert_eq!(
        h.server().raft_state_bytes(),
        h.disk.size_of(RAFT_STATE_FILE)
    );
    h.reboot();
    assert!(
        h.server().store().last_seq(ClientId(1)).is_some(),
        "dup table restored"
    );
    h.elect();
    assert_eq!(ok(&h.request(1, 60, append("x"))), "", "an old retry");
    assert_eq!(h.server().store().last_seq(ClientId(1)), Some(60));
    assert_eq!(ok(&h.request(1, 61, get())), "x".repeat(60), "applied once");
}

#[test]
fn corrupt_snapshot_bytes_are_a_boot_error() {
    let mut h = Harness::new(1, Some(100), None);
    h.elect();
    for seq in 1..=20 {
        h.request(1, seq, append("x"));
    }
    // Raft's snapshot file is (index, term, data); keep its frame, garble the store inside.
    let file = h.disk.read(SNAPSHOT_FILE).expect("a snapshot was taken");
    let (index, term, _): (LogIndex, Term, Vec<u8>) = postcard::from_bytes(file).unwrap();
    let garbled = postcard::to_allocvec(&(index, term, vec![0xffu8; 8])).unwrap();
    assert!(h.disk.overwrite(SNAPSHOT_FILE, garbled));
    let booted = KvNode::boot(&h.config, NodeId(0), &h.disk, 4, h.now, &mut Outbox::new());
    assert!(matches!(
        booted,
        Err(protocol_core::BootError::CorruptDisk { .. })
    ));
}
