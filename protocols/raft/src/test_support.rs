//! Helpers for unit tests that drive one node by hand-built inputs, on a disk that is durable
//! at once: each step's syncs are answered within the step, so a reply that waits for its
//! write shows among the step's outputs, after the write.

use crate::config::Config;
use crate::msg::RaftMsg;
use crate::node::{RaftEvent, RaftNode, RaftTimer};
use protocol_core::instant::InstantDisk;
use protocol_core::{Disk, Input, Node, NodeId, Outbox, Output, Time};

pub type Outs = Vec<Output<RaftNode>>;

pub fn boot_with(config: &Config, id: u32, disk: &Disk) -> (RaftNode, Outs) {
    let mut out = Outbox::new();
    let mut node = RaftNode::boot(
        config,
        NodeId(id),
        disk,
        7 + u64::from(id),
        Time::ZERO,
        &mut out,
    )
    .expect("test disks are valid");
    let outs = InstantDisk::new().settle(&mut node, Time::ZERO, &mut out);
    (node, outs)
}

pub fn boot(n: u32, id: u32) -> RaftNode {
    boot_with(&Config::with_size(n), id, &Disk::new()).0
}

pub fn step(node: &mut RaftNode, now: Time, input: Input<RaftNode>) -> Outs {
    let mut out = Outbox::new();
    node.handle(now, input, &mut out);
    let outs = settle(node, now, &mut out);
    node.check_invariants();
    outs
}

/// Answers the syncs among `out` at once (and those of the answers), returning every output.
pub fn settle(node: &mut RaftNode, now: Time, out: &mut Outbox<RaftNode>) -> Outs {
    InstantDisk::new().settle(node, now, out)
}

pub fn deliver(node: &mut RaftNode, now: Time, from: u32, msg: RaftMsg) -> Outs {
    step(
        node,
        now,
        Input::Message {
            from: NodeId(from),
            msg,
        },
    )
}

/// Fires the node's election timer at its deadline; returns the time and the outputs.
pub fn fire_election(node: &mut RaftNode) -> (Time, Outs) {
    let at = node
        .v
        .election_deadline
        .expect("an election timer is armed");
    (at, step(node, at, Input::Timer(RaftTimer::Election)))
}

pub fn sends(outs: &Outs) -> Vec<(NodeId, RaftMsg)> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Send { to, msg } => Some((*to, msg.clone())),
            _ => None,
        })
        .collect()
}

#[allow(dead_code)] // used by the replication tests
pub fn events(outs: &Outs) -> Vec<RaftEvent> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Emit(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// Position of the first completed write (the first sync answered: what follows may depend
/// on it) and of the first Send, to check their order.
pub fn first_persist_and_send(outs: &Outs) -> (Option<usize>, Option<usize>) {
    let persist = outs.iter().position(|o| matches!(o, Output::Sync { .. }));
    let send = outs.iter().position(|o| matches!(o, Output::Send { .. }));
    (persist, send)
}

/// Carries out the file operations among `outs` on `disk`.
pub fn apply_persists(disk: &mut Disk, outs: &Outs) {
    for o in outs {
        match o {
            Output::File(op) => disk.apply_op(op),
            Output::Persist(write) => disk.apply(write.clone()),
            _ => {}
        }
    }
}

/// Makes node `id` of an `n`-node cluster leader of term 1 by handing it every vote.
pub fn leader(n: u32, id: u32) -> (RaftNode, Time) {
    let mut node = boot(n, id);
    let (now, _) = fire_election(&mut node);
    let term = node.term();
    for peer in (0..n).filter(|&p| p != id) {
        let reply = crate::msg::RequestVoteReply {
            term,
            vote_granted: true,
        };
        deliver(&mut node, now, peer, RaftMsg::RequestVoteReply(reply));
    }
    assert!(node.is_leader());
    (node, now)
}

pub fn entries(terms: &[u64]) -> Vec<crate::log::Entry> {
    terms
        .iter()
        .enumerate()
        .map(|(i, &t)| crate::log::Entry {
            term: crate::Term(t),
            command: vec![i as u8, t as u8],
        })
        .collect()
}

pub fn append(
    term: u64,
    leader: u32,
    prev: u64,
    prev_term: u64,
    terms: &[u64],
    commit: u64,
) -> RaftMsg {
    RaftMsg::AppendEntries(crate::msg::AppendEntries {
        term: crate::Term(term),
        leader: NodeId(leader),
        prev_log_index: crate::LogIndex(prev),
        prev_log_term: crate::Term(prev_term),
        entries: entries(terms),
        leader_commit: crate::LogIndex(commit),
    })
}

pub fn reply_of(outs: &Outs) -> crate::msg::AppendEntriesReply {
    match sends(outs).as_slice() {
        [(_, RaftMsg::AppendEntriesReply(r))] => r.clone(),
        other => panic!("expected one AppendEntriesReply, got {other:?}"),
    }
}

pub fn log_terms(node: &RaftNode) -> Vec<u64> {
    node.log().entries().iter().map(|e| e.term.0).collect()
}

/// Node 0 of an `n`-node cluster as leader of `term`, holding a log with `terms` (crafted:
/// as if it had won an election with that log), every follower probing from its end.
pub fn leader_with_log(config: &Config, terms: &[u64], term: u64) -> RaftNode {
    let (mut node, _) = boot_with(config, 0, &Disk::new());
    fire_election(&mut node);
    node.durable.term = crate::Term(term);
    node.durable.voted_for = Some(NodeId(0));
    node.durable.log = crate::log::Log::new(crate::LogIndex(0), crate::Term(0), entries(terms));
    node.v.store.state_dirty = true;
    node.v.store.log_changed(crate::LogIndex(1));
    let mut out = Outbox::new();
    let now = Time::from_secs(1);
    node.flush(&mut out);
    settle(&mut node, now, &mut out);
    node.become_leader(now, &mut out);
    settle(&mut node, now, &mut out);
    node.check_invariants();
    node
}
