//! The nemesis's schedule: a pure function of the seed, drawn before the run starts.
//!
//! Two tracks run side by side, so faults of the two sorts overlap: a *process* track (kill
//! and restart on the same disk, pause and resume) and a *network* track (partition, one-way
//! cut, delay, loss), each a sequence of episodes separated by quiet gaps. Everything is healed
//! by the end of the run. Half the episodes are *aimed at the leader*: the servers they hit are
//! drawn from the seed, and when the episode starts the leader of that moment takes the place
//! of the first one (a fault that misses the leader rarely tests much in a leader-based
//! protocol; Jepsen's nemeses target primaries for the same reason). The real run's timing is
//! the machine's; the schedule is the seed's.

use super::fault::{others, Fault, FaultKind};
use protocol_core::rng::{derive_seed, index, range_inclusive, rng_from_seed, shuffle, Rng};
use protocol_core::NodeId;
use std::collections::BTreeSet;

/// Faults start after this, once a leader had time to be elected.
const WARMUP_MS: u64 = 1_500;
const EPISODE_MS: (u64, u64) = (500, 4_000);
const GAP_MS: (u64, u64) = (500, 2_000);

/// A fault from `start_ms` to `end_ms` after the load started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Episode {
    pub start_ms: u64,
    pub end_ms: u64,
    pub fault: Fault,
    /// Hit the leader of the moment too (see the module comment).
    pub at_leader: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Sorted by start time.
    pub episodes: Vec<Episode>,
}

impl Plan {
    /// The schedule for `servers` and `clerks` clerks over `duration_ms`, with `kinds` only.
    pub fn generate(
        seed: u64,
        servers: &[NodeId],
        clerks: u32,
        duration_ms: u64,
        kinds: &BTreeSet<FaultKind>,
    ) -> Plan {
        assert!(servers.len() >= 3, "a nemesis needs at least 3 servers");
        let cast = Cast { servers, clerks };
        let (process, network): (Vec<FaultKind>, Vec<FaultKind>) =
            kinds.iter().partition(|kind| kind.is_process());
        let mut episodes = Vec::new();
        for (label, track) in [("process-track", process), ("network-track", network)] {
            let mut rng = rng_from_seed(derive_seed(seed, label, 0));
            episodes.extend(track_episodes(&mut rng, &track, &cast, duration_ms));
        }
        episodes.sort_by_key(|e| (e.start_ms, e.end_ms));
        Plan { episodes }
    }

    /// Lines of `start - end  fault`, for the run's directory and for humans.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for e in &self.episodes {
            let seconds = |ms: u64| format!("{}.{:03}", ms / 1000, ms % 1000);
            let aim = if e.at_leader {
                "  (and the leader)"
            } else {
                ""
            };
            text.push_str(&format!(
                "{:>8} s - {:>8} s  {}{aim}\n",
                seconds(e.start_ms),
                seconds(e.end_ms),
                e.fault
            ));
        }
        text
    }
}

/// Who faults can hit.
struct Cast<'a> {
    servers: &'a [NodeId],
    clerks: u32,
}

fn track_episodes(
    rng: &mut Rng,
    kinds: &[FaultKind],
    cast: &Cast,
    duration_ms: u64,
) -> Vec<Episode> {
    let mut episodes = Vec::new();
    if kinds.is_empty() {
        return episodes;
    }
    // Partitions are drawn three times as often as each other network fault: they are what
    // exposes a stale leader (a minority must lose a leader it still believes in).
    let weighted: Vec<FaultKind> = kinds
        .iter()
        .flat_map(|&kind| std::iter::repeat_n(kind, weight(kind)))
        .collect();
    let mut t = WARMUP_MS;
    while t + EPISODE_MS.0 <= duration_ms {
        let kind = weighted[index(rng, weighted.len())];
        let length = range_inclusive(rng, EPISODE_MS.0, EPISODE_MS.1).min(duration_ms - t);
        let fault = draw(rng, kind, cast);
        let at_leader = range_inclusive(rng, 0, 1) == 0;
        episodes.push(Episode {
            start_ms: t,
            end_ms: t + length,
            fault,
            at_leader,
        });
        t += length + range_inclusive(rng, GAP_MS.0, GAP_MS.1);
    }
    episodes
}

fn weight(kind: FaultKind) -> usize {
    match kind {
        FaultKind::Partition => 3,
        FaultKind::Kill | FaultKind::Pause | FaultKind::OneWay | FaultKind::Delay => 1,
        FaultKind::Loss => 1,
    }
}

fn draw(rng: &mut Rng, kind: FaultKind, cast: &Cast) -> Fault {
    let servers = cast.servers;
    let n = servers.len() as u64;
    let minority = (n - 1) / 2;
    match kind {
        // Now and then a whole majority dies: recovery from disk alone, no live copy to
        // catch up from.
        FaultKind::Kill if range_inclusive(rng, 0, 5) == 0 => {
            Fault::Kill(pick(rng, servers, minority + 1))
        }
        FaultKind::Kill => Fault::Kill(pick_some(rng, servers, minority)),
        FaultKind::Pause => Fault::Pause(pick_some(rng, servers, minority)),
        FaultKind::Partition => {
            let side = pick_some(rng, servers, minority);
            let coin = |rng: &mut Rng| range_inclusive(rng, 0, 1) == 0;
            let clerks = (0..cast.clerks).filter(|_| coin(rng)).collect();
            Fault::Partition { side, clerks }
        }
        FaultKind::OneWay => {
            let one = pick(rng, servers, 1);
            let rest = others(servers, &one);
            // Either the server cannot speak (but hears), or cannot hear (but speaks).
            match range_inclusive(rng, 0, 1) == 0 {
                true => Fault::OneWay {
                    from: one,
                    to: rest,
                },
                false => Fault::OneWay {
                    from: rest,
                    to: one,
                },
            }
        }
        FaultKind::Delay => Fault::Delay {
            nodes: pick_some(rng, servers, n),
            ms: range_inclusive(rng, 20, 300),
        },
        FaultKind::Loss => Fault::Loss {
            nodes: pick_some(rng, servers, n),
            per_mille: range_inclusive(rng, 50, 400) as u32,
        },
    }
}

/// Between 1 and `most` distinct servers, sorted.
fn pick_some(rng: &mut Rng, servers: &[NodeId], most: u64) -> Vec<NodeId> {
    let count = range_inclusive(rng, 1, most);
    pick(rng, servers, count)
}

/// `count` distinct servers, sorted.
fn pick(rng: &mut Rng, servers: &[NodeId], count: u64) -> Vec<NodeId> {
    let mut shuffled = servers.to_vec();
    shuffle(rng, &mut shuffled);
    shuffled.truncate(count as usize);
    shuffled.sort();
    shuffled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers() -> Vec<NodeId> {
        (0..5).map(NodeId).collect()
    }

    fn all() -> BTreeSet<FaultKind> {
        FaultKind::parse_set("all").unwrap()
    }

    #[test]
    fn a_plan_is_a_function_of_the_seed() {
        let plan = |seed| Plan::generate(seed, &servers(), 5, 60_000, &all());
        assert_eq!(plan(7), plan(7));
        assert_ne!(plan(7), plan(8));
        assert!(plan(7).describe().lines().count() > 10);
    }

    #[test]
    fn episodes_fit_the_run_and_each_track_is_sequential() {
        for seed in 0..50 {
            let plan = Plan::generate(seed, &servers(), 5, 20_000, &all());
            let kinds: BTreeSet<FaultKind> = plan.episodes.iter().map(|e| e.fault.kind()).collect();
            assert!(kinds.len() >= 3, "seed {seed}: only {kinds:?}");
            for process in [true, false] {
                let track: Vec<&Episode> = plan
                    .episodes
                    .iter()
                    .filter(|e| e.fault.kind().is_process() == process)
                    .collect();
                assert!(!track.is_empty(), "seed {seed}: an empty track");
                for pair in track.windows(2) {
                    assert!(pair[0].end_ms < pair[1].start_ms, "seed {seed}: overlap");
                }
                for e in track {
                    assert!(WARMUP_MS <= e.start_ms);
                    assert!(e.start_ms < e.end_ms && e.end_ms <= 20_000);
                }
            }
        }
    }

    #[test]
    fn faults_hit_minorities_except_the_occasional_majority_kill() {
        let servers = servers();
        let (mut majority_kills, mut aimed) = (0, 0);
        for seed in 0..100 {
            for e in Plan::generate(seed, &servers, 5, 60_000, &all()).episodes {
                aimed += usize::from(e.at_leader);
                match &e.fault {
                    Fault::Kill(nodes) if nodes.len() == 3 => majority_kills += 1,
                    Fault::Kill(nodes)
                    | Fault::Pause(nodes)
                    | Fault::Partition { side: nodes, .. } => {
                        assert!((1..=2).contains(&nodes.len()), "{}", e.fault)
                    }
                    Fault::OneWay { from, to } => assert_eq!(from.len() + to.len(), 5),
                    Fault::Delay { nodes, .. } | Fault::Loss { nodes, .. } => {
                        assert!(!nodes.is_empty())
                    }
                }
            }
        }
        assert!(majority_kills > 0);
        assert!(aimed > 0);
    }

    #[test]
    fn kinds_filter_the_plan() {
        let only = FaultKind::parse_set("kill,partition").unwrap();
        let plan = Plan::generate(3, &servers(), 5, 30_000, &only);
        assert!(!plan.episodes.is_empty());
        assert!(plan.episodes.iter().all(|e| only.contains(&e.fault.kind())));
        let none = Plan::generate(3, &servers(), 5, 30_000, &BTreeSet::new());
        assert!(none.episodes.is_empty());
    }
}
