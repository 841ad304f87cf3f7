//! Carrying out the plan: each episode's start and end at its time, on the cluster's
//! processes and the proxies' rules; a log of what was done when; and watch for servers that
//! end on their own.

use super::cluster::Cluster;
use super::fault::{Fault, FaultKind};
use super::leader;
use super::plan::Plan;
use super::signals;
use protocol_core::NodeId;
use realnet::clock;
use realnet::proxy::{Rules, SharedRules};
use std::collections::BTreeMap;
use std::thread;
use std::time::Duration;

/// A server that ended without the nemesis ending it.
pub struct ServerExit {
    /// Rust exits 101 on a panic: one of the core's assertions failed.
    pub panicked: bool,
    pub what: String,
}

pub struct Schedule<'a> {
    pub servers: Vec<NodeId>,
    /// Each clerk's node id, by clerk index.
    pub clerks: Vec<NodeId>,
    pub rules: SharedRules,
    pub cluster: &'a mut Cluster,
    pub injected: BTreeMap<FaultKind, u64>,
    pub exits: Vec<ServerExit>,
    /// Each fault's start and end as carried out, on the wall clock the servers' logs use.
    pub events: String,
    /// The faults under way, as aimed when they started: their end undoes exactly that.
    started: BTreeMap<usize, Fault>,
}

impl<'a> Schedule<'a> {
    pub fn new(
        servers: Vec<NodeId>,
        clerks: Vec<NodeId>,
        rules: SharedRules,
        cluster: &'a mut Cluster,
    ) -> Schedule<'a> {
        Schedule {
            servers,
            clerks,
            rules,
            cluster,
            injected: BTreeMap::new(),
            exits: Vec::new(),
            events: String::new(),
            started: BTreeMap::new(),
        }
    }

    /// Applies each episode's start and end at its time, until `seconds` or an interrupt.
    pub fn drive(&mut self, plan: &Plan, seconds: u64) -> Result<(), String> {
        // (time, is a start, episode): ends first at equal times, so tracks never overlap.
        let mut actions: Vec<(u64, bool, usize)> = Vec::new();
        for (i, e) in plan.episodes.iter().enumerate() {
            actions.push((e.start_ms, true, i));
            actions.push((e.end_ms, false, i));
        }
        actions.sort_unstable();
        let start = clock::now();
        let mut next = 0;
        loop {
            if signals::interrupted() {
                return Err("interrupted".into());
            }
            let elapsed_ms = (clock::now() - start).as_millis() as u64;
            while next < actions.len() && actions[next].0 <= elapsed_ms {
                let (_, is_start, i) = actions[next];
                match is_start {
                    true => self.start(plan, i)?,
                    false => self.end(i)?,
                }
                next += 1;
            }
            if elapsed_ms >= seconds * 1000 {
                return Ok(());
            }
            self.note_exits();
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn start(&mut self, plan: &Plan, i: usize) -> Result<(), String> {
        let episode = &plan.episodes[i];
        let leader = episode.at_leader.then(|| self.leader()).flatten();
        let fault = match leader {
            Some(leader) => episode.fault.aimed_at(leader, &self.servers),
            None => episode.fault.clone(),
        };
        *self.injected.entry(fault.kind()).or_default() += 1;
        self.log("start", &fault);
        match &fault {
            Fault::Kill(nodes) => nodes.iter().for_each(|&n| self.cluster.kill(n)),
            Fault::Pause(nodes) => nodes.iter().for_each(|&n| self.cluster.pause(n)),
            Fault::Partition { .. }
            | Fault::OneWay { .. }
            | Fault::Delay { .. }
            | Fault::Loss { .. } => {
                let rules = fault.rules(&self.servers, &self.clerks);
                self.rules.update(|r| *r = rules);
            }
        }
        self.started.insert(i, fault);
        Ok(())
    }

    fn end(&mut self, i: usize) -> Result<(), String> {
        let fault = self
            .started
            .remove(&i)
            .expect("an episode ends after it starts");
        self.log("end", &fault);
        match &fault {
            Fault::Kill(nodes) => {
                for &n in nodes {
                    self.cluster.restart(n)?;
                }
            }
            Fault::Pause(nodes) => nodes.iter().for_each(|&n| self.cluster.resume(n)),
            Fault::Partition { .. }
            | Fault::OneWay { .. }
            | Fault::Delay { .. }
            | Fault::Loss { .. } => self.rules.update(|r| *r = Rules::default()),
        }
        Ok(())
    }

    /// The leader among the servers serving now, by their logs.
    fn leader(&self) -> Option<NodeId> {
        let logs: Vec<(NodeId, String)> = self
            .cluster
            .serving()
            .into_iter()
            .filter_map(|id| Some((id, std::fs::read_to_string(self.cluster.log_path(id)).ok()?)))
            .collect();
        leader::leader(logs.iter().map(|(id, log)| (*id, log.as_str())))
    }

    fn log(&mut self, what: &str, fault: &Fault) {
        let unix_ms = clock::unix_ms();
        self.events
            .push_str(&format!("at {unix_ms} ms: {what} {fault}\n"));
    }

    /// Resumes, restarts and reconnects everything.
    pub fn heal(&mut self) -> Result<(), String> {
        self.rules.update(|r| *r = Rules::default());
        self.started.clear();
        self.cluster.heal()
    }

    pub fn note_exits(&mut self) {
        for (id, status) in self.cluster.poll_exits() {
            let log = self.cluster.log_path(id);
            self.exits.push(ServerExit {
                panicked: status.code() == Some(101),
                what: format!(
                    "{id} exited by itself with {status} (see {})",
                    log.display()
                ),
            });
        }
    }
}
