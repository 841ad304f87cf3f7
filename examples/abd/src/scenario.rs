//! The glue between ABD and the kit: a watch that records the clients' history and checks
//! that no server's tag goes back, closed-loop clients, and a random scenario that runs them
//! under the seed's faults, heals, lets every operation finish and checks linearizability.

use crate::client::{ClientConfig, ClientEvent, Op};
use crate::msg::{Mutant, Tag};
use crate::node::{AbdConfig, AbdEvent, AbdNode, AbdRequest};
use crate::server::ServerEvent;
use linearizability::models::register::{RegisterInput, RegisterModel, RegisterOp, RegisterOutput};
use protocol_core::rng::{index, range_inclusive, Rng};
use protocol_core::{CheckId, ClientId, NodeId, Time, Violation};
use sim::fault::{SwarmLimits, SwarmMix};
use sim::observer::NodesView;
use sim::{NetworkConfig, NodeState, Observer};
use sim_kit::clients::{ClosedLoop, Workload};
use sim_kit::history::{HistoryCheck, HistoryRecorder};
use sim_kit::{Family, Harness, Registry, RunOptions, RunReport, Step};

/// A server holds an older tag than one it acknowledged: it lost a value it promised to keep.
pub const ACKS_KEPT: CheckId = CheckId::new("acks-kept");
/// Operations still pending well after the faults healed.
pub const LIVENESS: CheckId = CheckId::new("liveness");

#[derive(Default)]
pub struct Watch {
    history: HistoryRecorder<RegisterInput, RegisterOutput>,
    /// Per server, the newest tag it acknowledged holding.
    acked: Vec<Tag>,
}

impl Observer<AbdNode> for Watch {
    fn on_emit(&mut self, now: Time, node: NodeId, event: &AbdEvent) -> Result<(), Violation> {
        let client = ClientId(node.0.into());
        let result = match event {
            AbdEvent::Client(ClientEvent::Invoked { seq, op }) => {
                self.history.invoked(now, client, *seq, input(*op))
            }
            AbdEvent::Client(ClientEvent::Returned { seq, op, value }) => {
                let output = match op {
                    Op::Read => RegisterOutput::Read(*value),
                    Op::Write(_) => RegisterOutput::Write,
                };
                self.history.returned(now, client, *seq, output)
            }
            AbdEvent::Server(ServerEvent::Acked(tag)) => {
                if self.acked.len() <= node.index() {
                    self.acked.resize(node.index() + 1, Tag::default());
                }
                let acked = &mut self.acked[node.index()];
                *acked = (*acked).max(*tag);
                return Ok(());
            }
        };
        result.map(drop)
    }

    /// Every server up holds at least the newest tag it acknowledged, across its crashes.
    fn after_step(&mut self, _: Time, nodes: &NodesView<'_, AbdNode>) -> Result<(), Violation> {
        for (id, node) in nodes.iter() {
            let Some(tag) = node.and_then(AbdNode::as_server).map(|s| s.held().0) else {
                continue;
            };
            let acked = self.acked.get(id.index()).copied().unwrap_or_default();
            if tag < acked {
                let message = format!("{id} holds {tag:?}, but acknowledged {acked:?}");
                return Err(Violation::new(ACKS_KEPT, message).involving([id]));
            }
        }
        Ok(())
    }
}

/// An operation as the register model's input (one register: no key).
fn input(op: Op) -> RegisterInput {
    let op = match op {
        Op::Read => RegisterOp::Read,
        Op::Write(value) => RegisterOp::Write(value),
    };
    let key = String::new();
    RegisterInput { key, op }
}

/// Half reads, half writes of values never written before.
#[derive(Default)]
struct Ops {
    written: i64,
}

impl Workload<AbdNode> for Ops {
    fn next(&mut self, _: usize, rng: &mut Rng) -> Option<AbdRequest> {
        if range_inclusive(rng, 0, 1) == 0 {
            return Some(AbdRequest::Client(Op::Read));
        }
        self.written += 1;
        Some(AbdRequest::Client(Op::Write(self.written)))
    }

    fn returned(&mut self, _: usize, event: &AbdEvent) -> Result<bool, Violation> {
        let done = matches!(event, AbdEvent::Client(ClientEvent::Returned { .. }));
        Ok(done)
    }
}

const HEAL_AT: Time = Time::from_secs(10);
const FINISH_MS: u64 = 5_000;

fn random(options: &RunOptions) -> RunReport {
    let mut shape = options.rng("shape");
    let servers = [3, 5][index(&mut shape, 2)];
    let clients = range_inclusive(&mut shape, 2, 4) as u32;
    let server_ids: Vec<NodeId> = (0..servers).map(NodeId).collect();
    let client_ids = (servers..servers + clients).map(NodeId).collect();
    let loops = ClosedLoop::new(Ops::default(), client_ids, (0, 2_000), options.rng("ops"));
    let mut h = Harness::new(options, NetworkConfig::reliable(), Watch::default(), loops);
    h.describe_nodes(describe);
    let mutant = options.mutant::<Mutant>();
    let client = ClientConfig {
        servers: server_ids.clone(),
        retry_ms: 50,
        mutant,
    };
    for _ in 0..servers {
        h.sim.add_node(AbdConfig::Server(mutant));
    }
    for _ in 0..clients {
        h.sim.add_node(AbdConfig::Client(client.clone()));
    }
    let mut faults = options.rng("faults");
    let mix = SwarmMix::draw(&mut faults, &SwarmLimits::everything(server_ids.len()));
    h.sim
        .schedule_plan(&mix.plan(&mut faults, &server_ids, Time::ZERO, HEAL_AT));
    h.fact("mix", mix.describe());
    h.storage_mix(std::slice::from_ref(&server_ids), Time::ZERO, HEAL_AT);
    let verdict = (|| -> Step {
        let now = h.now();
        h.hooks.start(now);
        h.run_until(HEAL_AT)?;
        h.hooks.stop();
        if !h.run_until_done(HEAL_AT.plus_ms(FINISH_MS), |h| h.hooks.all_idle())? {
            return Err(h.fail(LIVENESS, "operations pending 5 s after the heal"));
        }
        let history = h.sim.observer().history.history().clone();
        h.metric("operations", history.operations.len() as u64);
        h.check_history(&RegisterModel, &history, HistoryCheck::default())
    })();
    h.report(verdict)
}

/// A node on the failure page's timeline: a server with its tag's counter, or what a client
/// is doing.
fn describe(node: &AbdNode) -> NodeState {
    match node {
        AbdNode::Server(server) => NodeState::numbered("server", server.held().0.counter),
        AbdNode::Client(client) => NodeState::new(client.activity()),
    }
}

/// The ABD family: one random scenario, three mutants.
pub fn registry() -> Registry {
    let about = "3 or 5 servers, 2-4 clients, the seed's faults; after the heal every \
                 operation finishes and the history is linearizable";
    let family = Family::new("abd")
        .mutants::<Mutant>()
        .scenario("abd-random", about, random);
    Registry::new().family(family)
}
