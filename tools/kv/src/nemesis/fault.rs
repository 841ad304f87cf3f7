//! The faults the nemesis injects, what each does to the proxies' rules, and how one is aimed
//! at the current leader.

use protocol_core::NodeId;
use realnet::proxy::Rules;
use std::collections::BTreeSet;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    Kill,
    Pause,
    Partition,
    OneWay,
    Delay,
    Loss,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Kill,
        FaultKind::Pause,
        FaultKind::Partition,
        FaultKind::OneWay,
        FaultKind::Delay,
        FaultKind::Loss,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Kill => "kill",
            FaultKind::Pause => "pause",
            FaultKind::Partition => "partition",
            FaultKind::OneWay => "one-way",
            FaultKind::Delay => "delay",
            FaultKind::Loss => "loss",
        }
    }

    /// Process faults act on server processes; the others on the proxies' rules.
    pub fn is_process(self) -> bool {
        match self {
            FaultKind::Kill | FaultKind::Pause => true,
            FaultKind::Partition | FaultKind::OneWay | FaultKind::Delay | FaultKind::Loss => false,
        }
    }

    /// `all`, `none`, or a comma-separated list of names.
    pub fn parse_set(text: &str) -> Result<BTreeSet<FaultKind>, String> {
        match text {
            "all" => return Ok(FaultKind::ALL.into_iter().collect()),
            "none" => return Ok(BTreeSet::new()),
            _ => {}
        }
        text.split(',')
            .map(|name| {
                let name = name.trim();
                FaultKind::ALL
                    .into_iter()
                    .find(|kind| kind.name() == name)
                    .ok_or_else(|| {
                        let known: Vec<&str> = FaultKind::ALL.iter().map(|k| k.name()).collect();
                        let known = known.join(", ");
                        format!("unknown fault {name:?}; known: all, none, {known}")
                    })
            })
            .collect()
    }
}

/// One fault, on servers (and, for a partition, clerks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// SIGKILL, restarted on the same data directory when the episode ends.
    Kill(Vec<NodeId>),
    /// SIGSTOP, SIGCONT when the episode ends.
    Pause(Vec<NodeId>),
    /// These servers, and these clerks (by index), cut off from the other servers and clerks,
    /// both ways: a clerk on the minority's side reaches only the minority, as a client bound
    /// to a node does in Jepsen.
    Partition { side: Vec<NodeId>, clerks: Vec<u32> },
    /// Frames from `from` to `to` are lost; the other way works. One side is one server.
    OneWay { from: Vec<NodeId>, to: Vec<NodeId> },
    /// Every frame to or from these servers (clerks' included) is late.
    Delay { nodes: Vec<NodeId>, ms: u64 },
    /// Some frames to or from these servers (clerks' included) are lost.
    Loss { nodes: Vec<NodeId>, per_mille: u32 },
}

impl Fault {
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Kill(_) => FaultKind::Kill,
            Fault::Pause(_) => FaultKind::Pause,
            Fault::Partition { .. } => FaultKind::Partition,
            Fault::OneWay { .. } => FaultKind::OneWay,
            Fault::Delay { .. } => FaultKind::Delay,
            Fault::Loss { .. } => FaultKind::Loss,
        }
    }

    /// The same fault with `leader` among the servers it hits: the leader takes the place of
    /// the first one drawn, unless it is already hit. (For a one-way cut, the single server.)
    pub fn aimed_at(&self, leader: NodeId, servers: &[NodeId]) -> Fault {
        let aim = |nodes: &[NodeId]| {
            let mut nodes = nodes.to_vec();
            if !nodes.contains(&leader) {
                nodes[0] = leader;
                nodes.sort();
            }
            nodes
        };
        match self {
            Fault::Kill(nodes) => Fault::Kill(aim(nodes)),
            Fault::Pause(nodes) => Fault::Pause(aim(nodes)),
            Fault::Partition { side, clerks } => Fault::Partition {
                side: aim(side),
                clerks: clerks.clone(),
            },
            Fault::OneWay { from, to } if from.len() == 1 => Fault::OneWay {
                from: vec![leader],
                to: others(servers, &[leader]),
            },
            Fault::OneWay { .. } => Fault::OneWay {
                from: others(servers, &[leader]),
                to: vec![leader],
            },
            Fault::Delay { nodes, ms } => Fault::Delay {
                nodes: aim(nodes),
                ms: *ms,
            },
            Fault::Loss { nodes, per_mille } => Fault::Loss {
                nodes: aim(nodes),
                per_mille: *per_mille,
            },
        }
    }

    /// The proxies' rules while this network fault holds; clear for a process fault.
    /// `clerks[k]` is the node id of clerk `k`.
    pub fn rules(&self, servers: &[NodeId], clerks: &[NodeId]) -> Rules {
        let mut rules = Rules::default();
        match self {
            Fault::Kill(_) | Fault::Pause(_) => {}
            Fault::Partition { side, clerks: with } => {
                let mut here = side.clone();
                let mut there = others(servers, side);
                for (k, &clerk) in clerks.iter().enumerate() {
                    match with.contains(&(k as u32)) {
                        true => here.push(clerk),
                        false => there.push(clerk),
                    }
                }
                rules.partition(&here, &there);
            }
            Fault::OneWay { from, to } => rules.cut_one_way(from, to),
            Fault::Delay { nodes, ms } => rules.delay_ms.extend(nodes.iter().map(|&n| (n, *ms))),
            Fault::Loss { nodes, per_mille } => rules
                .loss_per_mille
                .extend(nodes.iter().map(|&n| (n, *per_mille))),
        }
        rules
    }
}

/// The servers not in `side`.
pub fn others(servers: &[NodeId], side: &[NodeId]) -> Vec<NodeId> {
    servers
        .iter()
        .copied()
        .filter(|s| !side.contains(s))
        .collect()
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |nodes: &[NodeId]| {
            let names: Vec<String> = nodes.iter().map(NodeId::to_string).collect();
            names.join(" ")
        };
        match self {
            Fault::Kill(nodes) => write!(f, "kill {}", list(nodes)),
            Fault::Pause(nodes) => write!(f, "pause {}", list(nodes)),
            Fault::Partition { side, clerks } => {
                let clerks: Vec<String> = clerks.iter().map(|k| format!(" c{k}")).collect();
                write!(f, "partition {}{} | rest", list(side), clerks.concat())
            }
            Fault::OneWay { from, to } => write!(f, "one-way {} -> {}", list(from), list(to)),
            Fault::Delay { nodes, ms } => write!(f, "delay {ms} ms {}", list(nodes)),
            Fault::Loss { nodes, per_mille } => {
                let (whole, tenth) = (per_mille / 10, per_mille % 10);
                write!(f, "loss {whole}.{tenth}% {}", list(nodes))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers() -> Vec<NodeId> {
        (0..5).map(NodeId).collect()
    }

    #[test]
    fn a_partition_cuts_servers_and_clerks_on_each_side_both_ways() {
        let partition = Fault::Partition {
            side: vec![NodeId(1)],
            clerks: vec![1],
        };
        assert_eq!(partition.to_string(), "partition n1 c1 | rest");
        let rules = partition.rules(&servers(), &[NodeId(1000), NodeId(1001)]);
        // n1 and clerk 1 against 4 servers and clerk 0, both ways.
        assert_eq!(rules.cut.len(), 2 * 2 * 5);
        assert!(rules.cut.contains(&(NodeId(1001), NodeId(0))));
        assert!(rules.cut.contains(&(NodeId(1000), NodeId(1))));
        assert!(!rules.cut.contains(&(NodeId(1001), NodeId(1))));
        assert!(Fault::Kill(vec![NodeId(0)])
            .rules(&servers(), &[])
            .is_clear());
    }

    #[test]
    fn aiming_puts_the_leader_among_the_servers_hit() {
        let leader = NodeId(3);
        let kill = Fault::Kill(vec![NodeId(0), NodeId(1)]);
        assert_eq!(
            kill.aimed_at(leader, &servers()),
            Fault::Kill(vec![NodeId(1), NodeId(3)])
        );
        let already = Fault::Pause(vec![NodeId(3)]);
        assert_eq!(already.aimed_at(leader, &servers()), already);
        let deaf = Fault::OneWay {
            from: vec![NodeId(0), NodeId(1), NodeId(2), NodeId(4)],
            to: vec![NodeId(3)],
        };
        assert_eq!(deaf.aimed_at(leader, &servers()), deaf);
        let mute = Fault::OneWay {
            from: vec![NodeId(0)],
            to: vec![NodeId(1), NodeId(2), NodeId(3), NodeId(4)],
        };
        let aimed = mute.aimed_at(leader, &servers());
        assert_eq!(aimed.to_string(), "one-way n3 -> n0 n1 n2 n4");
    }

    #[test]
    fn fault_sets_parse_and_bad_names_are_errors() {
        assert_eq!(FaultKind::parse_set("all").unwrap().len(), 6);
        assert!(FaultKind::parse_set("none").unwrap().is_empty());
        let two = FaultKind::parse_set("kill, one-way").unwrap();
        assert_eq!(
            two.into_iter().collect::<Vec<_>>(),
            vec![FaultKind::Kill, FaultKind::OneWay]
        );
        let error = FaultKind::parse_set("kill,frobnicate").unwrap_err();
        assert!(error.contains("\"frobnicate\""), "{error}");
    }
}
