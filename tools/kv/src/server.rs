//! `kv server`: one KV server (its Raft inside) as a process.

use crate::addrs::{parse_servers, FIRST_CLERK};
use crate::Failure;
use kvraft::{KvServer, ServerConfig, ServerEvent};
use protocol_core::mutant::Mutant as _;
use protocol_core::rng::derive_seed;
use protocol_core::{NodeId, Time};
use realnet::{Control, Host, RealConfig, Senders};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ServerArgs {
    /// This server's id: one of the ids in --peers.
    #[arg(long)]
    pub id: u32,
    /// Every server of the cluster, this one included: `0=IP:PORT,1=IP:PORT,...`. Peers are
    /// dialled at these addresses (a proxy's, under the nemesis).
    #[arg(long, value_parser = parse_servers)]
    pub peers: std::collections::BTreeMap<NodeId, SocketAddr>,
    /// Listen here instead of at this server's own --peers address.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// The server's disk: created if missing; a restart on the same directory recovers.
    #[arg(long)]
    pub data: PathBuf,
    /// Snapshot when Raft's durable state reaches this many bytes.
    #[arg(long, default_value_t = 8192)]
    pub max_raft_state: usize,
    /// A deliberately broken variant (a kv or raft mutant, e.g. stale-local-read).
    #[arg(long)]
    pub mutant: Option<String>,
    /// Exit after this many seconds, whatever happens: a bound for harnesses.
    #[arg(long)]
    pub exit_after_secs: Option<u64>,
    /// Seeds the server's randomness (mixed with the process id: each incarnation differs).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

pub fn run(args: ServerArgs) -> Result<(), Failure> {
    let me = NodeId(args.id);
    let listen = match (args.listen, args.peers.get(&me)) {
        (Some(addr), _) | (None, Some(&addr)) => addr,
        (None, None) => return Err(Failure::Usage(format!("--id {me} is not in --peers"))),
    };
    let config = server_config(&args)?;
    let real = RealConfig {
        me,
        listen: Some(listen),
        peers: args.peers.clone(),
        senders: Senders::PeersAndFrom(FIRST_CLERK),
        disk_dir: Some(args.data.clone()),
        seed: derive_seed(args.seed, "kv-server", u64::from(std::process::id())),
    };
    eprintln!(
        "kv {me}: pid {}, listening on {listen}, disk {}{}",
        std::process::id(),
        args.data.display(),
        args.mutant
            .as_deref()
            .map_or(String::new(), |m| format!(", mutant {m}"))
    );
    let mut host = ServerHost {
        me,
        exit_at: args.exit_after_secs.map(|s| Time::from_ms(s * 1000)),
        role: None,
    };
    realnet::run::<KvServer, _>(&config, real, &mut host)
        .map_err(|error| Failure::Usage(format!("{me}: {error}")))
}

fn server_config(args: &ServerArgs) -> Result<ServerConfig, Failure> {
    let peers: Vec<NodeId> = args.peers.keys().copied().collect();
    let mut config = ServerConfig::new(raft::Config::new(peers), Some(args.max_raft_state));
    if let Some(name) = &args.mutant {
        if let Some(mutant) = kvraft::Mutant::from_name(name) {
            config.mutant = Some(mutant);
        } else if let Some(mutant) = raft::Mutant::from_name(name) {
            config.raft = config.raft.with_mutant(Some(mutant));
        } else {
            let known: Vec<&str> = kvraft::Mutant::ALL
                .iter()
                .map(|m| m.name())
                .chain(raft::Mutant::ALL.iter().map(|m| m.name()))
                .collect();
            let known = known.join(", ");
            return Err(Failure::Usage(format!(
                "unknown mutant {name:?}; known: {known}"
            )));
        }
    }
    config
        .raft
        .validate(NodeId(args.id))
        .map_err(Failure::Usage)?;
    Ok(config)
}

/// A server needs nothing from its host but a bound on its life; the host logs its role
/// changes, stamped with the wall clock so that several servers' logs line up with the
/// nemesis's.
struct ServerHost {
    me: NodeId,
    exit_at: Option<Time>,
    /// (leads, term) as last logged.
    role: Option<(bool, u64)>,
}

impl Host<KvServer> for ServerHost {
    /// The store already ran it; the simulator's cluster checks read these, we need not.
    fn on_event(&mut self, _now: Time, _event: ServerEvent, _control: &mut Control<KvServer>) {}

    fn on_tick(&mut self, now: Time, control: &mut Control<KvServer>) {
        if self.exit_at.is_some_and(|at| now >= at) {
            control.stop_after_ms(now, 0);
        }
    }

    fn after_step(&mut self, _now: Time, server: &KvServer) {
        let raft = server.raft();
        let role = (raft.is_leader(), raft.term().0);
        if self.role != Some(role) {
            let what = if role.0 { "leads" } else { "follows" };
            let unix_ms = realnet::clock::unix_ms();
            eprintln!("kv {}: at {unix_ms} ms {what} in term {}", self.me, role.1);
            self.role = Some(role);
        }
    }
}
