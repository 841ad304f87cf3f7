//! Leader election: terms, RequestVote, becoming leader or stepping down.

use crate::msg::{RaftMsg, RequestVote, RequestVoteReply};
use crate::mutant::Mutant;
use crate::node::{Progress, RaftNode, RaftTimer, Role};
use crate::types::{LogIndex, Term};
use protocol_core::{NodeId, Outbox, Time};

impl RaftNode {
    /// A message from a later term: adopt it (no vote yet) and follow.
    pub(crate) fn observe_higher_term(
        &mut self,
        now: Time,
        term: Term,
        out: &mut Outbox<RaftNode>,
    ) {
        assert!(
            term > self.durable.term,
            "{}: term {term} is not higher than {}",
            self.id,
            self.durable.term
        );
        self.durable.term = term;
        self.durable.voted_for = None;
        self.v.store.state_dirty = true;
        self.v.leader_hint = None;
        self.become_follower(now, out);
    }

    /// Steps down from candidate or leader; a follower keeps its election deadline.
    pub(crate) fn become_follower(&mut self, now: Time, out: &mut Outbox<RaftNode>) {
        match self.v.role {
            Role::Follower => {}
            Role::Candidate => self.v.role = Role::Follower,
            Role::Leader => {
                self.v.role = Role::Follower;
                self.v.heartbeat_deadline = None;
                out.cancel_timer(RaftTimer::Heartbeat);
                self.reset_election_timer(now, out);
            }
        }
    }

    pub(crate) fn on_election_timeout(&mut self, now: Time, out: &mut Outbox<RaftNode>) {
        assert_ne!(
            self.v.role,
            Role::Leader,
            "{}: election timeout while leading",
            self.id
        );
        self.durable.term = self.durable.term.next();
        self.durable.voted_for = Some(self.id);
        self.v.store.state_dirty = true;
        self.v.role = Role::Candidate;
        self.v.leader_hint = None;
        self.v.votes.clear();
        self.v.votes.insert(self.id);
        self.reset_election_timer(now, out);
        if self.v.votes.len() >= self.config.majority() {
            return self.become_leader(now, out);
        }
        let request = RequestVote {
            term: self.durable.term,
            candidate: self.id,
            last_log_index: self.durable.log.last_index(),
            last_log_term: self.durable.log.last_term(),
        };
        for pos in 0..self.config.peers.len() {
            let peer = self.config.peers[pos];
            if peer != self.id {
                self.send(peer, RaftMsg::RequestVote(request.clone()), out);
            }
        }
    }

    pub(crate) fn on_request_vote(
        &mut self,
        now: Time,
        from: NodeId,
        req: RequestVote,
        out: &mut Outbox<RaftNode>,
    ) {
        let term = self.durable.term;
        assert!(
            req.term <= term,
            "{}: higher term {} not adopted",
            self.id,
            req.term
        );
        let grant = req.term == term && self.can_vote_for(&req);
        if grant {
            self.durable.voted_for = Some(req.candidate);
            self.v.store.state_dirty = true;
            self.reset_election_timer(now, out);
        }
        // `send` persists the vote before the reply leaves.
        let reply = RequestVoteReply {
            term,
            vote_granted: grant,
        };
        self.send(from, RaftMsg::RequestVoteReply(reply), out);
    }

    /// Section 5.4.1: one vote per term, and only for a log at least as up to date as ours.
    fn can_vote_for(&self, req: &RequestVote) -> bool {
        let log = &self.durable.log;
        let up_to_date =
            (req.last_log_term, req.last_log_index) >= (log.last_term(), log.last_index());
        let free = match self.durable.voted_for {
            None => true,
            Some(candidate) => {
                // The mutant's second vote comes from followers only, so candidates and
                // leaders keep their own vote and the damage shows as two leaders in a term.
                let twice =
                    self.config.is_mutant(Mutant::VoteTwiceInTerm) && self.v.role == Role::Follower;
                candidate == req.candidate || twice
            }
        };
        up_to_date && free
    }

    pub(crate) fn on_request_vote_reply(
        &mut self,
        now: Time,
        from: NodeId,
        reply: RequestVoteReply,
        out: &mut Outbox<RaftNode>,
    ) {
        // A reply from an earlier term or after the election ended counts for nothing.
        if self.v.role != Role::Candidate || reply.term != self.durable.term || !reply.vote_granted
        {
            return;
        }
        self.v.votes.insert(from);
        if self.v.votes.len() >= self.config.majority() {
            self.become_leader(now, out);
        }
    }

    pub(crate) fn become_leader(&mut self, now: Time, out: &mut Outbox<RaftNode>) {
        assert_eq!(
            self.v.role,
            Role::Candidate,
            "{}: only a candidate becomes leader",
            self.id
        );
        assert_eq!(
            self.durable.voted_for,
            Some(self.id),
            "{}: leader without its own vote",
            self.id
        );
        self.v.role = Role::Leader;
        self.v.leader_hint = Some(self.id);
        self.v.election_deadline = None;
        out.cancel_timer(RaftTimer::Election);
        let next_index = self.durable.log.last_index().next();
        let start = Progress {
            next_index,
            match_index: LogIndex::ZERO,
            probing: true,
            entries_unanswered: false,
        };
        self.v.progress.iter_mut().for_each(|p| *p = start);
        // Assert leadership at once; the heartbeat timer keeps it.
        self.broadcast_append_entries(out);
        self.set_heartbeat_timer(now.plus_ms(self.config.heartbeat_interval_ms), out);
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::msg::{RaftMsg, RequestVote, RequestVoteReply};
    use crate::mutant::Mutant;
    use crate::node::{RaftTimer, Role};
    use crate::test_support::*;
    use crate::types::{LogIndex, Term};
    use protocol_core::{Disk, Input, NodeId, Output, Time};

    fn vote_request(term: u64, candidate: u32, last_index: u64, last_term: u64) -> RaftMsg {
        RaftMsg::RequestVote(RequestVote {
            term: Term(term),
            candidate: NodeId(candidate),
            last_log_index: LogIndex(last_index),
            last_log_term: Term(last_term),
        })
    }

    fn granted(outs: &Outs) -> bool {
        match sends(outs).as_slice() {
            [(_, RaftMsg::RequestVoteReply(r))] => r.vote_granted,
            other => panic!("expected one vote reply, got {other:?}"),
        }
    }

    #[test]
    fn election_timeout_is_randomized_within_bounds() {
        let config = Config::with_size(3);
        let deadlines: Vec<Time> = (0..3)
            .map(|id| boot(3, id).v.election_deadline.unwrap())
            .collect();
        for d in &deadlines {
            assert!((Time::from_ms(config.election_timeout_ms_min)
                ..=Time::from_ms(config.election_timeout_ms_max))
                .contains(d));
        }
        assert!(
            deadlines[0] != deadlines[1] || deadlines[1] != deadlines[2],
            "{deadlines:?}"
        );
    }

    #[test]
    fn timeout_starts_an_election_and_persists_before_requesting_votes() {
        let mut node = boot(3, 0);
        let (_, outs) = fire_election(&mut node);
        assert_eq!(
            (node.term(), node.role(), node.voted_for()),
            (Term(1), Role::Candidate, Some(NodeId(0)))
        );
        let (persist, send) = first_persist_and_send(&outs);
        assert!(persist.unwrap() < send.unwrap(), "{outs:?}");
        let to: Vec<NodeId> = sends(&outs).into_iter().map(|(to, _)| to).collect();
        assert_eq!(to, vec![NodeId(1), NodeId(2)]);
    }

    #[test]
    fn persist_precedes_vote_reply() {
        let mut node = boot(3, 1);
        let outs = deliver(&mut node, Time::from_ms(1), 0, vote_request(1, 0, 0, 0));
        assert!(granted(&outs));
        let (persist, send) = first_persist_and_send(&outs);
        assert!(persist.unwrap() < send.unwrap(), "{outs:?}");
        let mut disk = Disk::new();
        apply_persists(&mut disk, &outs);
        let (rebooted, _) = boot_with(&Config::with_size(3), 1, &disk);
        assert_eq!(
            (rebooted.term(), rebooted.voted_for()),
            (Term(1), Some(NodeId(0)))
        );
    }

    #[test]
    fn one_vote_per_term_unless_mutant() {
        for (mutant, second_granted) in [(None, false), (Some(Mutant::VoteTwiceInTerm), true)] {
            let config = Config::with_size(3).with_mutant(mutant);
            let (mut node, _) = boot_with(&config, 1, &Disk::new());
            assert!(granted(&deliver(
                &mut node,
                Time::from_ms(1),
                0,
                vote_request(1, 0, 0, 0)
            )));
            assert!(
                granted(&deliver(
                    &mut node,
                    Time::from_ms(2),
                    0,
                    vote_request(1, 0, 0, 0)
                )),
                "a repeat is fine"
            );
            let outs = deliver(&mut node, Time::from_ms(3), 2, vote_request(1, 2, 0, 0));
            assert_eq!(granted(&outs), second_granted, "mutant {mutant:?}");
        }
    }

    #[test]
    fn refuses_a_candidate_with_a_stale_log_but_adopts_its_term() {
        let (mut leader, now) = leader(3, 0);
        let mut out = protocol_core::Outbox::new();
        leader.start(now, vec![1], &mut out).unwrap();
        crate::test_support::settle(&mut leader, now, &mut out);
        let outs = deliver(&mut leader, now, 1, vote_request(5, 1, 0, 0));
        assert!(!granted(&outs));
        assert_eq!(
            (leader.term(), leader.role(), leader.voted_for()),
            (Term(5), Role::Follower, None)
        );
        assert!(outs
            .iter()
            .any(|o| matches!(o, Output::CancelTimer(RaftTimer::Heartbeat))));
    }

    #[test]
    fn rejects_vote_request_from_stale_term() {
        let mut node = boot(3, 1);
        deliver(&mut node, Time::from_ms(1), 0, vote_request(3, 0, 0, 0));
        assert!(!granted(&deliver(
            &mut node,
            Time::from_ms(2),
            2,
            vote_request(2, 2, 9, 9)
        )));
    }

    #[test]
    fn majority_makes_a_leader_that_heartbeats_at_once() {
        let mut node = boot(3, 0);
        let (now, _) = fire_election(&mut node);
        let reply = RaftMsg::RequestVoteReply(RequestVoteReply {
            term: Term(1),
            vote_granted: true,
        });
        let outs = deliver(&mut node, now, 2, reply);
        assert!(node.is_leader());
        let appends = sends(&outs)
            .into_iter()
            .filter(|(_, m)| matches!(m, RaftMsg::AppendEntries(_)))
            .count();
        assert_eq!(appends, 2);
        assert!(outs.iter().any(|o| matches!(
            o,
            Output::SetTimer {
                timer: RaftTimer::Heartbeat,
                ..
            }
        )));
        // A late vote from an earlier term changes nothing.
        let stale = RaftMsg::RequestVoteReply(RequestVoteReply {
            term: Term(0),
            vote_granted: true,
        });
        assert!(deliver(&mut node, now, 1, stale).is_empty());
    }

    #[test]
    fn stale_timer_fires_are_ignored() {
        let mut node = boot(3, 0);
        let deadline = node.v.election_deadline.unwrap();
        let outs = step(
            &mut node,
            Time(deadline.0 - 1),
            Input::Timer(RaftTimer::Election),
        );
        assert!(outs.is_empty());
        assert!(step(&mut node, deadline, Input::Timer(RaftTimer::Heartbeat)).is_empty());
        assert_eq!(node.term(), Term(0));
    }

    #[test]
    fn single_node_cluster_elects_itself() {
        let mut node = boot(1, 0);
        fire_election(&mut node);
        assert!(node.is_leader());
    }
}
