//! The replicated state machine: every configuration so far and the duplicate table, which
//! travel together in every snapshot.

use crate::config::Config;
use crate::msg::{Answer, Command, CtrlerOp};
use crate::rebalance;
use crate::types::{ConfigNum, GroupId};
use protocol_core::rng::{self, Rng};
use protocol_core::ClientId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How Join and Leave rebalance: honestly, or as one of the rebalancing mutants.
pub enum Rebalancer<'a> {
    Minimal,
    /// Ties broken in an order drawn from the replica's own randomness, as iterating a Go map
    /// does: every replica computes a balanced, minimal, but different configuration.
    LocalOrder(&'a mut Rng),
    /// Shards dealt round-robin over the groups, wherever they were.
    FromScratch,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtrlerState {
    /// Configuration n at position n; configuration 0 is always there.
    configs: Vec<Config>,
    /// Per client, its last applied Join, Leave or Move and what it answered. A clerk has one
    /// request outstanding at a time, so anything at or below it is a retry or a straggler.
    last: BTreeMap<ClientId, (u64, Answer)>,
}

impl Default for CtrlerState {
    fn default() -> CtrlerState {
        CtrlerState {
            configs: vec![Config::initial()],
            last: BTreeMap::new(),
        }
    }
}

impl CtrlerState {
    pub fn latest(&self) -> &Config {
        self.configs
            .last()
            .expect("configuration 0 is always there")
    }

    /// What Query(`num`) reads: configuration `num`, or the latest for `None` or a number
    /// past it.
    pub fn query(&self, num: Option<ConfigNum>) -> &Config {
        match num {
            Some(num) if (num.0 as usize) < self.configs.len() => &self.configs[num.0 as usize],
            Some(_) | None => self.latest(),
        }
    }

    pub fn configs(&self) -> &[Config] {
        &self.configs
    }

    /// The last Join, Leave or Move applied for `client`.
    pub fn last_seq(&self, client: ClientId) -> Option<u64> {
        self.last.get(&client).map(|(seq, _)| *seq)
    }

    /// Applies `command` and returns its answer. `detect_duplicates` off (a mutant) applies
    /// a retried Join, Leave or Move again.
    pub fn apply(
        &mut self,
        command: &Command,
        rebalancer: Rebalancer<'_>,
        detect_duplicates: bool,
    ) -> Answer {
        if let CtrlerOp::Query { num } = &command.op {
            return Answer::Config(self.query(*num).clone());
        }
        if let Some((seq, answer)) = self.last.get(&command.client) {
            if detect_duplicates && *seq >= command.seq {
                if *seq == command.seq {
                    return answer.clone();
                }
                return Answer::Rejected(format!("seq {} is older than {seq}", command.seq));
            }
        }
        let answer = match validate(self.latest(), &command.op) {
            Err(reason) => Answer::Rejected(reason),
            Ok(()) => {
                let next = change(self.latest(), &command.op, rebalancer);
                assert_eq!(
                    next.num,
                    self.latest().num.next(),
                    "configurations are numbered in order"
                );
                let num = next.num;
                self.configs.push(next);
                Answer::Configured(num)
            }
        };
        self.last
            .insert(command.client, (command.seq, answer.clone()));
        answer
    }

    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("encoding to a Vec cannot fail")
    }

    /// Rebuilds the state from snapshot bytes; `Err` says what is wrong with them.
    pub fn decode(bytes: &[u8]) -> Result<CtrlerState, String> {
        let state = match postcard::take_from_bytes::<CtrlerState>(bytes) {
            Ok((state, [])) => state,
            Ok((_, rest)) => return Err(format!("{} trailing bytes after the state", rest.len())),
            Err(e) => return Err(format!("undecodable controller snapshot: {e}")),
        };
        for (n, config) in state.configs.iter().enumerate() {
            if config.num != ConfigNum(n as u64) {
                return Err(format!("configuration at {n} is numbered {}", config.num));
            }
            config.validate()?;
        }
        if state.configs.first() != Some(&Config::initial()) {
            return Err("configuration 0 is not the empty one".into());
        }
        Ok(state)
    }
}

/// Why `op` cannot apply to `latest`, if it cannot.
fn validate(latest: &Config, op: &CtrlerOp) -> Result<(), String> {
    match op {
        CtrlerOp::Join { groups } => {
            if groups.is_empty() {
                return Err("a Join of no groups".into());
            }
            if groups.contains_key(&GroupId::NONE) {
                return Err("group 0 cannot join".into());
            }
            if let Some((gid, _)) = groups.iter().find(|(_, s)| s.is_empty()) {
                return Err(format!("{gid} joins without servers"));
            }
            Ok(())
        }
        CtrlerOp::Leave { gids } if gids.is_empty() => Err("a Leave of no groups".into()),
        CtrlerOp::Leave { .. } => Ok(()),
        CtrlerOp::Move { shard, gid } => {
            if !shard.is_valid() {
                return Err(format!("no shard {}", shard.0));
            }
            if !latest.groups.contains_key(gid) {
                return Err(format!("{gid} is not in play in {}", latest.num));
            }
            Ok(())
        }
        CtrlerOp::Query { .. } => Ok(()),
    }
}

/// The configuration after the (valid) `op`.
fn change(latest: &Config, op: &CtrlerOp, rebalancer: Rebalancer<'_>) -> Config {
    let mut next = match op {
        CtrlerOp::Join { groups } => rebalance::join(latest, groups),
        CtrlerOp::Leave { gids } => rebalance::leave(latest, gids),
        CtrlerOp::Move { shard, gid } => return rebalance::move_shard(latest, *shard, *gid),
        CtrlerOp::Query { .. } => unreachable!("a Query changes nothing"),
    };
    let in_play: BTreeSet<GroupId> = next.groups.keys().copied().collect();
    match rebalancer {
        Rebalancer::Minimal => {}
        Rebalancer::LocalOrder(rng) => {
            let mut order: Vec<GroupId> = in_play.iter().copied().collect();
            rng::shuffle(rng, &mut order);
            next.shards = rebalance::rebalance_in_order(&latest.shards, &order);
        }
        Rebalancer::FromScratch => next.shards = rebalance::deal_from_scratch(&in_play),
    }
    next
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
