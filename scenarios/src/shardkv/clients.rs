//! What runs beside the nodes of a sharded-KV scenario: the clerks' loops (the course's
//! appenders, or random operations) and, in `shardkv-random`, groups joining and leaving at
//! random through the tester's controller clerk. Both are the harness's hooks, interleaved
//! in virtual time.

use super::watch::ShardKvWatch;
use kvraft::Op;
use protocol_core::rng::{index, range_inclusive, Rng};
use protocol_core::{NodeId, Time, Violation};
use shardctrler::{ClerkEvent as CtrlerClerkEvent, CtrlerOp, GroupId, Groups, ShardId, NSHARDS};
use shardkv::{ClerkEvent, ShardKvEvent, ShardKvNode, ShardKvRequest};
use sim::Sim;
use sim_kit::clients::{ClosedLoop, Workload};
use sim_kit::{Hooks, Step};
use std::collections::{BTreeMap, BTreeSet};

/// A value no other operation of the run writes: `[<client>.<n>]`. Unique values that are no
/// prefix of one another let the checker decide a key in polynomial time (and a value say
/// which appends it holds); the brackets keep them apart from the tests' random lowercase
/// values too, which a token starting with a letter could extend (a 1-char "x" before
/// "x 0 1 y" sends the checker to its exponential search).
pub fn token(client: usize, n: u64) -> String {
    format!("[{client}.{n}]")
}

pub enum KvOps {
    /// No clerk runs a loop.
    Idle,
    /// The course's appenders: client i appends to `keys[i]`; `appended[i]` is what its
    /// returned appends added, in order.
    Appenders {
        keys: Vec<String>,
        appended: Vec<String>,
        counts: Vec<u64>,
    },
    /// TestUnreliable3's workers: a random key each time; Append with probability 1/2, else
    /// Put with probability 1/10, else Get.
    Random { keys: Vec<String>, counts: Vec<u64> },
}

impl KvOps {
    pub fn appenders(keys: Vec<String>) -> KvOps {
        let n = keys.len();
        KvOps::Appenders {
            keys,
            appended: vec![String::new(); n],
            counts: vec![0; n],
        }
    }

    pub fn random(keys: Vec<String>, clients: usize) -> KvOps {
        KvOps::Random {
            keys,
            counts: vec![0; clients],
        }
    }

    /// What each appender's key must hold beyond its initial value.
    pub fn appended(&self) -> &[String] {
        match self {
            KvOps::Appenders { appended, .. } => appended,
            KvOps::Idle | KvOps::Random { .. } => &[],
        }
    }
}

impl Workload<ShardKvNode> for KvOps {
    fn next(&mut self, client: usize, rng: &mut Rng) -> Option<ShardKvRequest> {
        let op = match self {
            KvOps::Idle => return None,
            KvOps::Appenders { keys, counts, .. } => {
                counts[client] += 1;
                let (key, value) = (keys[client].clone(), token(client, counts[client]));
                Op::Append { key, value }
            }
            KvOps::Random { keys, counts } => {
                let key = keys[index(rng, keys.len())].clone();
                counts[client] += 1;
                let value = token(client, counts[client]);
                if range_inclusive(rng, 0, 999) < 500 {
                    Op::Append { key, value }
                } else if range_inclusive(rng, 0, 999) < 100 {
                    Op::Put { key, value }
                } else {
                    Op::Get { key }
                }
            }
        };
        Some(ShardKvRequest::Clerk(op))
    }

    fn returned(&mut self, client: usize, event: &ShardKvEvent) -> Result<bool, Violation> {
        let ShardKvEvent::Clerk(ClerkEvent::Returned { op, .. }) = event else {
            return Ok(false);
        };
        if let (KvOps::Appenders { appended, .. }, Op::Append { value, .. }) = (self, op) {
            appended[client].push_str(value);
        }
        Ok(true)
    }
}

/// Groups joining and leaving at random through controller clerk `mck`, one change at a
/// time, at least one group always joined (the service's known limit: data stays with the
/// last group to leave), now and then a shard moved to a joined group or the latest
/// configuration queried.
pub struct Membership {
    pub mck: NodeId,
    groups: Groups,
    joined: BTreeSet<GroupId>,
    gap_ms: (u64, u64),
    next_at: Option<Time>,
    busy: bool,
    running: bool,
    rng: Rng,
    /// Controller operations asked for so far.
    pub changes: u64,
}

impl Membership {
    /// `joined` are in play already.
    pub fn new(
        mck: NodeId,
        groups: Groups,
        joined: BTreeSet<GroupId>,
        gap_ms: (u64, u64),
        rng: Rng,
    ) -> Membership {
        assert!(!joined.is_empty(), "a group is joined to begin with");
        Membership {
            mck,
            groups,
            joined,
            gap_ms,
            next_at: None,
            busy: false,
            running: false,
            rng,
            changes: 0,
        }
    }

    pub fn start(&mut self, now: Time) {
        self.running = true;
        self.schedule(now);
    }

    /// No change after the one under way, if any.
    pub fn stop(&mut self) {
        self.running = false;
        self.next_at = None;
    }

    pub fn is_idle(&self) -> bool {
        !self.busy
    }

    fn schedule(&mut self, now: Time) {
        let gap = range_inclusive(&mut self.rng, self.gap_ms.0, self.gap_ms.1);
        self.next_at = Some(now.plus_ms(gap));
    }

    /// The next change: join a group not in play, leave one (never the last), or move a
    /// shard to a joined group; now and then a Query instead.
    fn next_op(&mut self) -> CtrlerOp {
        let out: Vec<GroupId> = self
            .groups
            .keys()
            .copied()
            .filter(|g| !self.joined.contains(g))
            .collect();
        let joined: Vec<GroupId> = self.joined.iter().copied().collect();
        let choice = range_inclusive(&mut self.rng, 0, 9);
        if choice == 1 {
            // The tester's own look at the configuration: its answer is checked fresh.
            return CtrlerOp::Query { num: None };
        }
        if choice == 0 || (out.is_empty() && joined.len() == 1) {
            let shard = ShardId(index(&mut self.rng, NSHARDS) as u32);
            let gid = joined[index(&mut self.rng, joined.len())];
            return CtrlerOp::Move { shard, gid };
        }
        if !out.is_empty() && (choice < 5 || joined.len() == 1) {
            let gid = out[index(&mut self.rng, out.len())];
            self.joined.insert(gid);
            let groups = [(gid, self.groups[&gid].clone())].into_iter().collect();
            return CtrlerOp::Join { groups };
        }
        let gid = joined[index(&mut self.rng, joined.len())];
        self.joined.remove(&gid);
        CtrlerOp::Leave {
            gids: [gid].into_iter().collect(),
        }
    }
}

/// The hooks of every sharded-KV scenario.
pub struct Actors {
    pub clients: ClosedLoop<KvOps>,
    pub membership: Option<Membership>,
}

impl Actors {
    pub fn idle(rng: Rng) -> Actors {
        Actors {
            clients: ClosedLoop::new(KvOps::Idle, Vec::new(), (0, 0), rng),
            membership: None,
        }
    }
}

type KvSim = Sim<ShardKvNode, ShardKvWatch>;

impl Hooks<ShardKvNode, ShardKvWatch> for Actors {
    fn on_emit(&mut self, sim: &mut KvSim, node: NodeId, event: ShardKvEvent) -> Step {
        match &mut self.membership {
            Some(m) if m.mck == node => {
                if let ShardKvEvent::CtrlerClerk(CtrlerClerkEvent::Returned { .. }) = event {
                    m.busy = false;
                    if m.running {
                        m.schedule(sim.now());
                    }
                }
                Ok(())
            }
            Some(_) | None => self.clients.on_emit(sim, node, event),
        }
    }

    fn next_wake(&self) -> Option<Time> {
        let membership = self.membership.as_ref().and_then(|m| m.next_at);
        let clients = Hooks::<ShardKvNode, ShardKvWatch>::next_wake(&self.clients);
        match (membership, clients) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn on_wake(&mut self, sim: &mut KvSim) -> Step {
        if let Some(m) = self
            .membership
            .as_mut()
            .filter(|m| m.next_at.is_some_and(|at| at <= sim.now()))
        {
            m.next_at = None;
            let op = m.next_op();
            m.busy = true;
            m.changes += 1;
            sim.request(m.mck, ShardKvRequest::CtrlerClerk(op));
        }
        self.clients.on_wake(sim)
    }
}

/// Keys `"0".."n-1"`: for n = 10, ten distinct shards (the course's keys).
pub fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

/// Per key, the initial value a test wrote and what it appended since: the course's `va`.
pub type Expected = BTreeMap<String, String>;
