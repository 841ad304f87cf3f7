//! Faults: what can go wrong, scripted plans, and random plans drawn from a seed's swarm mix.

use crate::network::{LatencyModel, NetworkConfig};
use protocol_core::rng::{index, range_inclusive, range_toward_high, shuffle, Choose, Ratio};
use protocol_core::{NodeId, Time};
use std::collections::BTreeSet;
use std::fmt;

/// One fault (or the end of one), applied by the simulator at a virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// The node loses its volatile state, timers and in-flight messages.
    Crash(NodeId),
    /// The node boots again from what its disk kept. Does nothing if it is up.
    Restart(NodeId),
    /// Every link into and out of the node goes down (the course's `disconnect`).
    Disconnect(NodeId),
    /// Links to every connected peer come back (the course's `connect`).
    Connect(NodeId),
    /// Groups cut off from each other; nodes not named keep their links.
    Partition(Vec<Vec<NodeId>>),
    /// One direction of one link goes down.
    CutLink {
        from: NodeId,
        to: NodeId,
    },
    /// Every link comes back up.
    HealLinks,
    /// The node stalls: it handles nothing for `micros`, then everything late.
    Pause {
        node: NodeId,
        micros: u64,
    },
    /// The node's clock runs fast (positive) or slow (negative) by this many ppm.
    SetDrift {
        node: NodeId,
        ppm: i32,
    },
    SetNetwork(NetworkConfig),
    /// A sector of one of the node's durable files flips bits (the simulator picks the file,
    /// the sector and the bits from its storage stream).
    LatentError(NodeId),
    /// The heal phase: links up, network reliable, crashed nodes restarted, syncs no longer
    /// fail and writes no longer stray. Pauses end by themselves and drift stays, since
    /// neither stops progress.
    HealAll,
}

impl fmt::Display for FaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultAction::Crash(node) => write!(f, "crash {node}"),
            FaultAction::Restart(node) => write!(f, "restart {node}"),
            FaultAction::Disconnect(node) => write!(f, "disconnect {node}"),
            FaultAction::Connect(node) => write!(f, "connect {node}"),
            FaultAction::Partition(groups) => {
                write!(f, "partition")?;
                for group in groups {
                    let names: Vec<String> = group.iter().map(NodeId::to_string).collect();
                    write!(f, " [{}]", names.join(" "))?;
                }
                Ok(())
            }
            FaultAction::CutLink { from, to } => write!(f, "cut {from}->{to}"),
            FaultAction::HealLinks => write!(f, "heal links"),
            FaultAction::Pause { node, micros } => write!(f, "pause {node} for {}us", micros),
            FaultAction::SetDrift { node, ppm } => write!(f, "drift {node} {ppm}ppm"),
            FaultAction::SetNetwork(config) => write!(
                f,
                "network loss={} dup={} reorder={} corrupt={} latency={}..{}us",
                config.loss,
                config.duplicate,
                config.long_reorder,
                config.corrupt,
                config.latency.min_us,
                config.latency.max_us
            ),
            FaultAction::LatentError(node) => write!(f, "latent error on {node}"),
            FaultAction::HealAll => write!(f, "heal all"),
        }
    }
}

impl FaultAction {
    /// The nodes the action touches; empty when it touches the whole network.
    pub fn nodes(&self) -> Vec<NodeId> {
        match self {
            FaultAction::Crash(node)
            | FaultAction::Restart(node)
            | FaultAction::Disconnect(node)
            | FaultAction::Connect(node)
            | FaultAction::Pause { node, .. }
            | FaultAction::SetDrift { node, .. }
            | FaultAction::LatentError(node) => vec![*node],
            FaultAction::CutLink { from, to } => vec![*from, *to],
            FaultAction::Partition(_)
            | FaultAction::HealLinks
            | FaultAction::SetNetwork(_)
            | FaultAction::HealAll => Vec::new(),
        }
    }

    /// Whether this action injects a fault (as opposed to ending one), for counting.
    pub fn is_fault(&self) -> bool {
        match self {
            FaultAction::Crash(_)
            | FaultAction::Disconnect(_)
            | FaultAction::Partition(_)
            | FaultAction::CutLink { .. }
            | FaultAction::Pause { .. }
            | FaultAction::SetDrift { .. }
            | FaultAction::LatentError(_) => true,
            FaultAction::SetNetwork(config) => !config.is_reliable(),
            FaultAction::Restart(_)
            | FaultAction::Connect(_)
            | FaultAction::HealLinks
            | FaultAction::HealAll => false,
        }
    }
}

/// A timeline of faults. Actions at equal times apply in the order listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultPlan {
    pub actions: Vec<(Time, FaultAction)>,
}

impl FaultPlan {
    pub fn push(&mut self, at: Time, action: FaultAction) {
        self.actions.push((at, action));
    }

    /// Adds every action of `other`, keeping time order.
    pub fn merge(&mut self, other: FaultPlan) {
        self.actions.extend(other.actions);
        self.sort();
    }

    /// Sorts by time, keeping the listed order among equal times.
    pub fn sort(&mut self) {
        self.actions.sort_by_key(|(at, _)| *at);
    }

    pub fn fault_count(&self) -> usize {
        self.actions
            .iter()
            .filter(|(_, action)| action.is_fault())
            .count()
    }
}

/// Which faults a seed gets, and how often: swarm testing. Each kind is switched on or off
/// per seed, so some seeds see none of a kind and others a storm of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwarmMix {
    pub network: NetworkConfig,
    /// Mean gap between partition changes, if partitions are on.
    pub partition_gap_ms: Option<u64>,
    /// Whether partitions may be one-way.
    pub one_way_links: bool,
    pub crash_gap_ms: Option<u64>,
    /// How many nodes may be down at once (the plan never exceeds it).
    pub max_crashed: usize,
    pub pause_gap_ms: Option<u64>,
    pub drift_max_ppm: u32,
}

/// Bounds within which a swarm mix is drawn; scenarios narrow them to what they can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwarmLimits {
    pub max_loss_percent: u32,
    pub max_duplicate_percent: u32,
    pub allow_long_reorder: bool,
    pub allow_partitions: bool,
    pub allow_crashes: bool,
    pub max_crashed: usize,
    pub allow_pauses: bool,
    pub max_drift_ppm: u32,
}

impl SwarmLimits {
    pub fn everything(nodes: usize) -> SwarmLimits {
        SwarmLimits {
            max_loss_percent: 30,
            max_duplicate_percent: 10,
            allow_long_reorder: true,
            allow_partitions: true,
            allow_crashes: true,
            max_crashed: nodes,
            allow_pauses: true,
            max_drift_ppm: 100_000,
        }
    }
}

impl SwarmMix {
    /// Draws a mix: each kind of fault is on with probability one half.
    pub fn draw(rng: &mut impl Choose, limits: &SwarmLimits) -> SwarmMix {
        let coin = Ratio::new(1, 2);
        let mut network = NetworkConfig::reliable();
        if coin.chance(rng) {
            network.latency = LatencyModel {
                min_us: 100,
                max_us: range_inclusive(rng, 1_000, 30_000),
                tail: Ratio::percent(range_inclusive(rng, 1, 10) as u32),
                tail_max_us: range_inclusive(rng, 30_000, 500_000),
            };
        }
        if coin.chance(rng) && limits.max_loss_percent > 0 {
            network.loss =
                Ratio::percent(range_inclusive(rng, 1, limits.max_loss_percent.into()) as u32);
        }
        if coin.chance(rng) && limits.max_duplicate_percent > 0 {
            let percent = range_inclusive(rng, 1, limits.max_duplicate_percent.into());
            network.duplicate = Ratio::percent(percent as u32);
        }
        if limits.allow_long_reorder && coin.chance(rng) {
            network.long_reorder = Ratio::percent(range_inclusive(rng, 1, 30) as u32);
        }
        let partition_gap_ms = (limits.allow_partitions && coin.chance(rng))
            .then(|| range_toward_high(rng, 200, 3_000));
        let one_way_links = partition_gap_ms.is_some() && coin.chance(rng);
        let crash_gap_ms = (limits.allow_crashes && limits.max_crashed > 0 && coin.chance(rng))
            .then(|| range_toward_high(rng, 300, 5_000));
        let pause_gap_ms =
            (limits.allow_pauses && coin.chance(rng)).then(|| range_toward_high(rng, 500, 5_000));
        let drift_max_ppm = if limits.max_drift_ppm > 0 && coin.chance(rng) {
            range_inclusive(rng, 1, limits.max_drift_ppm.into()) as u32
        } else {
            0
        };
        SwarmMix {
            network,
            partition_gap_ms,
            one_way_links,
            crash_gap_ms,
            max_crashed: limits.max_crashed,
            pause_gap_ms,
            drift_max_ppm,
        }
    }

    /// A one-line description for run summaries.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!(
            "loss={} dup={} reorder={} latency<={}us",
            self.network.loss,
            self.network.duplicate,
            self.network.long_reorder,
            self.network
                .latency
                .tail_max_us
                .max(self.network.latency.max_us)
        )];
        if let Some(gap) = self.partition_gap_ms {
            parts.push(format!(
                "partitions~{gap}ms{}",
                if self.one_way_links { "+one-way" } else { "" }
            ));
        }
        if let Some(gap) = self.crash_gap_ms {
            parts.push(format!("crashes~{gap}ms(max {})", self.max_crashed));
        }
        if let Some(gap) = self.pause_gap_ms {
            parts.push(format!("pauses~{gap}ms"));
        }
        if self.drift_max_ppm > 0 {
            parts.push(format!("drift<={}ppm", self.drift_max_ppm));
        }
        parts.join(" ")
    }

    /// Lays out a random plan over `start..heal_at` for `nodes`, ending with `HealAll`.
    pub fn plan(
        &self,
        rng: &mut impl Choose,
        nodes: &[NodeId],
        start: Time,
        heal_at: Time,
    ) -> FaultPlan {
        assert!(start <= heal_at, "plan ends before it starts");
        assert!(!nodes.is_empty(), "a plan needs nodes");
        let window = Window {
            nodes,
            start,
            heal_at,
        };
        let mut plan = FaultPlan::default();
        plan.push(start, FaultAction::SetNetwork(self.network));
        for &node in nodes {
            if self.drift_max_ppm > 0 {
                let max = i64::from(self.drift_max_ppm);
                let ppm = range_inclusive(rng, 0, 2 * max as u64) as i64 - max;
                plan.push(
                    start,
                    FaultAction::SetDrift {
                        node,
                        ppm: ppm as i32,
                    },
                );
            }
        }
        if let Some(gap) = self.partition_gap_ms {
            window.plan_partitions(rng, gap, self.one_way_links, &mut plan);
        }
        if let Some(gap) = self.crash_gap_ms {
            window.plan_crashes(rng, gap, self.max_crashed, &mut plan);
        }
        if let Some(gap) = self.pause_gap_ms {
            window.plan_pauses(rng, gap, &mut plan);
        }
        plan.push(heal_at, FaultAction::HealAll);
        plan.sort();
        plan
    }
}

/// The nodes and the stretch of time a random plan covers.
struct Window<'a> {
    nodes: &'a [NodeId],
    start: Time,
    heal_at: Time,
}

impl Window<'_> {
    /// The first time of a recurring fault with mean gap `gap_ms`.
    fn first(&self, rng: &mut impl Choose, gap_ms: u64) -> Time {
        self.start.plus_ms(range_toward_high(rng, 0, gap_ms))
    }

    fn plan_partitions(
        &self,
        rng: &mut impl Choose,
        gap_ms: u64,
        one_way: bool,
        plan: &mut FaultPlan,
    ) {
        let mut at = self.first(rng, gap_ms);
        while at < self.heal_at {
            plan.push(at, random_split(rng, self.nodes, one_way));
            at = at.plus_ms(range_toward_high(rng, gap_ms / 4, gap_ms));
            if at < self.heal_at {
                plan.push(at, FaultAction::HealLinks);
            }
            at = at.plus_ms(range_toward_high(rng, gap_ms / 4, gap_ms));
        }
    }

    fn plan_crashes(
        &self,
        rng: &mut impl Choose,
        gap_ms: u64,
        max_crashed: usize,
        plan: &mut FaultPlan,
    ) {
        // When each node comes back, so the plan never has more than max_crashed down.
        let mut down_until: Vec<Time> = vec![Time::ZERO; self.nodes.len()];
        let mut at = self.first(rng, gap_ms);
        while at < self.heal_at {
            let down = down_until.iter().filter(|&&until| until > at).count();
            let victim = index(rng, self.nodes.len());
            if down < max_crashed && down_until[victim] <= at {
                plan.push(at, FaultAction::Crash(self.nodes[victim]));
                let back = at.plus_ms(range_inclusive(rng, 1, 2 * gap_ms));
                down_until[victim] = back;
                if back < self.heal_at {
                    plan.push(back, FaultAction::Restart(self.nodes[victim]));
                }
            }
            at = at.plus_ms(range_toward_high(rng, gap_ms / 2, 2 * gap_ms));
        }
    }

    fn plan_pauses(&self, rng: &mut impl Choose, gap_ms: u64, plan: &mut FaultPlan) {
        let mut at = self.first(rng, gap_ms);
        while at < self.heal_at {
            let node = self.nodes[index(rng, self.nodes.len())];
            // A pause ends by the heal, so the heal phase really has no faults left.
            let micros = range_inclusive(rng, 10_000, 2_000_000).min(self.heal_at.micros_since(at));
            plan.push(at, FaultAction::Pause { node, micros });
            at = at.plus_ms(range_toward_high(rng, gap_ms / 2, 2 * gap_ms));
        }
    }
}

/// A random split: isolate one node, a majority/minority cut, or (if allowed) one-way cuts.
fn random_split(rng: &mut impl Choose, nodes: &[NodeId], one_way: bool) -> FaultAction {
    let choices = if one_way { 3 } else { 2 };
    match range_inclusive(rng, 0, choices - 1) {
        0 => {
            let node = nodes[index(rng, nodes.len())];
            let rest: Vec<NodeId> = nodes.iter().copied().filter(|&n| n != node).collect();
            FaultAction::Partition(vec![vec![node], rest])
        }
        1 => {
            let mut shuffled = nodes.to_vec();
            shuffle(rng, &mut shuffled);
            let cut = range_inclusive(rng, 1, (nodes.len().max(2) - 1) as u64) as usize;
            let cut = cut.min(shuffled.len());
            let (a, b) = shuffled.split_at(cut);
            let mut groups = vec![sorted(a), sorted(b)];
            groups.retain(|g| !g.is_empty());
            FaultAction::Partition(groups)
        }
        _ => {
            let from = nodes[index(rng, nodes.len())];
            let to = nodes[index(rng, nodes.len())];
            FaultAction::CutLink { from, to }
        }
    }
}

fn sorted(nodes: &[NodeId]) -> Vec<NodeId> {
    nodes
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::rng::rng_from_seed;

    fn nodes(n: u32) -> Vec<NodeId> {
        (0..n).map(NodeId).collect()
    }

    #[test]
    fn mixes_differ_across_seeds_and_repeat_for_one() {
        let limits = SwarmLimits::everything(5);
        let a = SwarmMix::draw(&mut rng_from_seed(1), &limits);
        let b = SwarmMix::draw(&mut rng_from_seed(1), &limits);
        assert_eq!(a, b);
        let distinct: BTreeSet<String> = (0..20)
            .map(|s| SwarmMix::draw(&mut rng_from_seed(s), &limits).describe())
            .collect();
        assert!(distinct.len() > 10, "swarm mixes barely vary: {distinct:?}");
        let calm = (0..50)
            .filter(|&s| {
                SwarmMix::draw(&mut rng_from_seed(s), &limits)
                    .crash_gap_ms
                    .is_none()
            })
            .count();
        assert!(
            calm > 0 && calm < 50,
            "crashes should be on for some seeds and off for others"
        );
    }

    #[test]
    fn plan_ends_with_heal_all_and_respects_max_crashed() {
        let limits = SwarmLimits {
            max_crashed: 1,
            ..SwarmLimits::everything(5)
        };
        for seed in 0..50 {
            let mut rng = rng_from_seed(seed);
            let mut mix = SwarmMix::draw(&mut rng, &limits);
            mix.crash_gap_ms = Some(300);
            let plan = mix.plan(&mut rng, &nodes(5), Time::ZERO, Time::from_secs(20));
            assert_eq!(
                plan.actions.last().map(|(_, a)| a),
                Some(&FaultAction::HealAll)
            );
            assert!(
                plan.actions.windows(2).all(|w| w[0].0 <= w[1].0),
                "plan out of order"
            );
            let mut down = BTreeSet::new();
            for (_, action) in &plan.actions {
                match action {
                    FaultAction::Crash(n) => assert!(down.insert(*n)),
                    FaultAction::Restart(n) => assert!(down.remove(n)),
                    _ => {}
                }
                assert!(down.len() <= 1, "seed {seed}: more than one node down");
            }
        }
    }

    #[test]
    fn splits_cover_every_node_once() {
        let mut rng = rng_from_seed(3);
        for _ in 0..200 {
            if let FaultAction::Partition(groups) = random_split(&mut rng, &nodes(5), false) {
                let all: Vec<NodeId> = groups.iter().flatten().copied().collect();
                assert_eq!(all.len(), 5);
                assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 5);
            } else {
                panic!("two-way splits only");
            }
        }
    }
}
