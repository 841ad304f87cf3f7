//! Schedule strategies: how a message's latency, and so the order of deliveries, is chosen.
//!
//! - `random` (the default): each latency is drawn from the network's model, as always.
//! - `pct`: a PCT-style priority schedule. Every node gets a priority from the run's choices;
//!   a message's latency follows its sender's rank (the highest priority is the fastest,
//!   with a little jitter from the usual draw), and at `d` chosen change points the node
//!   that leads the ranking drops to the bottom, as PCT lowers the running thread.
//! - `delay-bound`: latencies as `random`, except that a chosen few messages (one to three
//!   of the first hundred sent) are held back far longer than the rest: a delay bound.
//! - `rotate`: one of the three per seed, chosen from the seed (for sweeps).
//!
//! Every parameter is drawn through the run's choices, so a strategy run is a function of
//! its seed (or buffer) like any other; `random` draws nothing, so its traces are unchanged.

use crate::network::LatencyModel;
use protocol_core::rng::{derive_seed, range_inclusive, shuffle, Rng};
use protocol_core::{NodeId, Time};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strategy {
    #[default]
    Random,
    Pct,
    DelayBound,
    /// One of the others, chosen per seed.
    Rotate,
}

impl Strategy {
    pub const NAMES: [&'static str; 4] = ["random", "pct", "delay-bound", "rotate"];

    pub fn from_name(name: &str) -> Option<Strategy> {
        match name {
            "random" => Some(Strategy::Random),
            "pct" => Some(Strategy::Pct),
            "delay-bound" => Some(Strategy::DelayBound),
            "rotate" => Some(Strategy::Rotate),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::Pct => "pct",
            Strategy::DelayBound => "delay-bound",
            Strategy::Rotate => "rotate",
        }
    }

    /// The strategy a run of `seed` uses: `rotate` picks one of the three from the seed.
    pub fn for_seed(self, seed: u64) -> Strategy {
        match self {
            Strategy::Rotate => [Strategy::Random, Strategy::Pct, Strategy::DelayBound]
                [(derive_seed(seed, "strategy", 0) % 3) as usize],
            other => other,
        }
    }
}

/// Priorities are drawn for this many node ids; larger ids share (id modulo this).
const PRIORITY_SLOTS: usize = 64;

/// A strategy's drawn parameters and state during a run.
#[derive(Clone, Debug, Default)]
pub(crate) enum Scheduler {
    #[default]
    Random,
    Pct {
        /// Higher is faster; changed at each change point.
        priority: Vec<i64>,
        /// Virtual times at which the leading node drops to the bottom, ascending.
        changes: Vec<Time>,
        lowest: i64,
    },
    DelayBound {
        /// Which sends (by count, from zero) are held back, and by how long.
        delayed: Vec<(u64, u64)>,
    },
}

impl Scheduler {
    /// Draws the strategy's parameters from `rng` (nothing for `random`).
    pub(crate) fn draw(strategy: Strategy, rng: &mut Rng) -> Scheduler {
        match strategy {
            Strategy::Random | Strategy::Rotate => Scheduler::Random,
            Strategy::Pct => {
                let mut order: Vec<i64> = (0..PRIORITY_SLOTS as i64).collect();
                shuffle(rng, &mut order);
                let d = range_inclusive(rng, 1, 3);
                let mut changes: Vec<Time> = (0..d)
                    .map(|_| Time(range_inclusive(rng, 0, 20_000_000)))
                    .collect();
                changes.sort();
                Scheduler::Pct {
                    priority: order,
                    changes,
                    lowest: 0,
                }
            }
            Strategy::DelayBound => {
                let k = range_inclusive(rng, 1, 3);
                let delayed = (0..k)
                    .map(|_| {
                        let send = range_inclusive(rng, 0, 100);
                        (send, range_inclusive(rng, 200_000, 2_000_000))
                    })
                    .collect();
                Scheduler::DelayBound { delayed }
            }
        }
    }

    /// The latency of the `sent`-th message, from `from` at `now`, whose drawn latency under
    /// `model` was `drawn`.
    pub(crate) fn latency(
        &mut self,
        now: Time,
        from: NodeId,
        sent: u64,
        drawn: u64,
        model: &LatencyModel,
    ) -> u64 {
        match self {
            Scheduler::Random => drawn,
            Scheduler::Pct {
                priority,
                changes,
                lowest,
            } => {
                while changes.first().is_some_and(|&t| t <= now) {
                    changes.remove(0);
                    let top = (0..priority.len())
                        .max_by_key(|&i| priority[i])
                        .unwrap_or(0);
                    *lowest -= 1;
                    priority[top] = *lowest;
                }
                let mine = priority[from.index() % PRIORITY_SLOTS];
                let rank = priority.iter().filter(|&&p| p > mine).count() as u64;
                let spread = model.max_us.saturating_sub(model.min_us);
                let jitter = drawn.saturating_sub(model.min_us) / 8;
                model.min_us + spread * rank / PRIORITY_SLOTS as u64 + jitter
            }
            Scheduler::DelayBound { delayed } => {
                let extra: u64 = delayed
                    .iter()
                    .filter(|&&(send, _)| send == sent)
                    .map(|&(_, extra)| extra)
                    .sum();
                drawn + extra
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::rng::rng_from_seed;

    #[test]
    fn names_round_trip_and_rotate_uses_all_three() {
        for name in Strategy::NAMES {
            assert_eq!(Strategy::from_name(name).map(Strategy::name), Some(name));
        }
        assert_eq!(Strategy::from_name("fifo"), None);
        let picked: std::collections::BTreeSet<&str> = (0..30)
            .map(|s| Strategy::Rotate.for_seed(s).name())
            .collect();
        assert_eq!(picked.len(), 3, "{picked:?}");
        assert_eq!(Strategy::Pct.for_seed(4), Strategy::Pct);
    }

    #[test]
    fn pct_orders_senders_by_priority_and_delay_bound_holds_back_its_sends() {
        let model = LatencyModel::uniform(100, 10_000);
        let mut pct = Scheduler::draw(Strategy::Pct, &mut rng_from_seed(1));
        let a = pct.latency(Time::ZERO, NodeId(0), 0, 100, &model);
        let b = pct.latency(Time::ZERO, NodeId(1), 1, 100, &model);
        assert_ne!(a, b, "two senders, two ranks");
        let mut bound = Scheduler::draw(Strategy::DelayBound, &mut rng_from_seed(1));
        let held: Vec<u64> = (0..=100)
            .filter(|&sent| bound.latency(Time::ZERO, NodeId(0), sent, 100, &model) > 100)
            .collect();
        assert!((1..=3).contains(&held.len()), "{held:?}");
        let mut random = Scheduler::draw(Strategy::Random, &mut rng_from_seed(1));
        assert_eq!(random.latency(Time::ZERO, NodeId(0), 0, 777, &model), 777);
    }
}
