//! What the controller's concurrent clerks do: the course's per-clerk scripts, or random
//! operations for `ctrler-random`.

use super::harness::{join, leave};
use protocol_core::rng::{index, range_inclusive, Rng};
use protocol_core::Violation;
use shardctrler::{ClerkEvent, ConfigNum, CtrlerEvent, CtrlerNode, CtrlerOp, CtrlerRequest};
use shardctrler::{GroupId, ShardId, NSHARDS};
use sim_kit::clients::Workload;
use std::collections::VecDeque;

pub enum CtrlerOps {
    /// No clerk runs a loop.
    Idle,
    /// Each clerk's own operations, in order.
    Scripts(Vec<VecDeque<CtrlerOp>>),
    /// Joins and leaves of one or two of groups `1..=max_gid`, Moves and Queries.
    Random { max_gid: u64 },
}

impl CtrlerOps {
    pub fn scripts(scripts: Vec<Vec<CtrlerOp>>) -> CtrlerOps {
        CtrlerOps::Scripts(scripts.into_iter().map(VecDeque::from).collect())
    }
}

impl Workload<CtrlerNode> for CtrlerOps {
    fn next(&mut self, client: usize, rng: &mut Rng) -> Option<CtrlerRequest> {
        let op = match self {
            CtrlerOps::Idle => None,
            CtrlerOps::Scripts(scripts) => scripts[client].pop_front(),
            CtrlerOps::Random { max_gid } => Some(random_op(rng, *max_gid)),
        };
        op.map(CtrlerRequest::Clerk)
    }

    fn returned(&mut self, _client: usize, event: &CtrlerEvent) -> Result<bool, Violation> {
        Ok(matches!(
            event,
            CtrlerEvent::Clerk(ClerkEvent::Returned { .. })
        ))
    }
}

/// 20% Join, 20% Leave (one or two groups each), 10% Move, 50% Query (the latest, or an
/// old number). Groups join with one to three servers.
fn random_op(rng: &mut Rng, max_gid: u64) -> CtrlerOp {
    let mut gids = vec![range_inclusive(rng, 1, max_gid)];
    if range_inclusive(rng, 0, 1) == 0 {
        gids.push(range_inclusive(rng, 1, max_gid));
    }
    match range_inclusive(rng, 0, 9) {
        0 | 1 => join(&gids, range_inclusive(rng, 1, 3) as u32),
        2 | 3 => leave(&gids),
        4 => CtrlerOp::Move {
            shard: ShardId(index(rng, NSHARDS) as u32),
            gid: GroupId(gids[0]),
        },
        5 | 6 => CtrlerOp::Query {
            num: Some(ConfigNum(range_inclusive(rng, 0, 40))),
        },
        _ => CtrlerOp::Query { num: None },
    }
}
