//! `kv nemesis`: a loopback cluster under a seeded nemesis, Jepsen-style.
//!
//! It starts N `kv server` processes on 127.0.0.1, each behind a proxy of ours
//! (`realnet::proxy`) through which servers and clerks reach it; runs the load's clerks for
//! the given time while the seed's schedule (`plan.rs`) kills and restarts, pauses and resumes
//! servers and partitions, cuts one way, delays and drops their traffic; then heals everything,
//! lets every clerk finish its last operation (bounded), stops everything it started and writes
//! the history. `tools/scripts/kv-nemesis.sh` checks the history with `sim check`.
//!
//! Exit: 0 the run completed; 1 a server died on its own (a panic is an assertion: a check
//! failed); 2 bad usage, a harness error, or interrupted.

mod cluster;
mod fault;
mod leader;
mod plan;
mod ports;
mod schedule;
mod signals;

use crate::addrs::clerk_node;
use crate::history::{Record, Tally};
use crate::load::{summary, write_history, Load, LoadSpec};
use crate::Failure;
use cluster::{Cluster, ClusterSpec};
use fault::FaultKind;
use plan::Plan;
use protocol_core::rng::derive_seed;
use protocol_core::NodeId;
use realnet::proxy::{self, ProxyStats, SharedRules};
use schedule::{Schedule, ServerExit};
use std::collections::BTreeMap;
use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct NemesisArgs {
    /// How long clerks run and faults are injected.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Seeds the fault schedule and the operation mix.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A fresh (missing or empty) directory for the servers' disks and logs, the schedule and
    /// the history.
    #[arg(long)]
    pub dir: PathBuf,
    /// Servers in the cluster (3 to 9).
    #[arg(long, default_value_t = 5)]
    pub servers: u32,
    /// Clerks running at once, each one operation at a time.
    #[arg(long, default_value_t = 5)]
    pub clients: u32,
    /// Keys the operations spread over.
    #[arg(long, default_value_t = 5)]
    pub keys: u32,
    /// Faults to inject: all, none, or a list of kill, pause, partition, one-way, delay, loss.
    #[arg(long, default_value = "all", value_parser = FaultKind::parse_set)]
    pub faults: std::collections::BTreeSet<FaultKind>,
    /// An operation open this long is abandoned (`info`) and its clerk replaced.
    #[arg(long, default_value_t = 1000)]
    pub op_timeout_ms: u64,
    /// After healing, how long clerks may take to finish their last operation.
    #[arg(long, default_value_t = 60)]
    pub drain_secs: u64,
    /// Run the servers as this deliberately broken variant (e.g. stale-local-read).
    #[arg(long)]
    pub mutant: Option<String>,
}

pub fn run(args: NemesisArgs) -> Result<(), Failure> {
    validate(&args).map_err(Failure::Usage)?;
    let ids = server_ids(&args);
    let duration_ms = args.seconds * 1000;
    let plan = Plan::generate(args.seed, &ids, args.clients, duration_ms, &args.faults);
    prepare_dir(&args.dir).map_err(Failure::Usage)?;
    write_file(&args.dir, "faults.txt", &plan.describe())?;
    signals::install();
    let net = Network::start(&ids, args.seed).map_err(Failure::Usage)?;
    let exe = std::env::current_exe().map_err(|e| Failure::Usage(format!("own path: {e}")))?;
    let spec = ClusterSpec {
        exe,
        dir: args.dir.clone(),
        listen: net.listen.clone(),
        peers: net.proxies.clone(),
        mutant: args.mutant.clone(),
        exit_after_secs: args.seconds + args.drain_secs + 120,
        seed: args.seed,
    };
    println!(
        "kv nemesis: seed {}, {} s, {} servers, {} clerks, {} keys, mutant {}, dir {}",
        args.seed,
        args.seconds,
        args.servers,
        args.clients,
        args.keys,
        args.mutant.as_deref().unwrap_or("none"),
        args.dir.display()
    );
    let mut cluster = Cluster::start(spec).map_err(Failure::Usage)?;
    let ran = exercise(&args, &plan, &net, &mut cluster);
    cluster.shutdown();
    let ran = ran?;
    write_history(&args.dir.join("history.jsonl"), &ran.records, ran.end_ns)
        .map_err(Failure::Usage)?;
    let tally = Tally::of(&ran.records);
    report(&args, &ran, &net.stats, cluster.restarts, &tally);
    verdict(&ran.exits)?;
    if tally.ok == 0 {
        // A history with nothing completed is linearizable and says nothing: no pass.
        let reason = "no operation completed: nothing to check";
        return Err(Failure::Usage(reason.into()));
    }
    Ok(())
}

fn validate(args: &NemesisArgs) -> Result<(), String> {
    if args.seconds == 0 {
        return Err("--seconds must be at least 1".into());
    }
    if !(3..=9).contains(&args.servers) {
        return Err(format!("--servers {} is not in 3..=9", args.servers));
    }
    load_spec(args, BTreeMap::new()).validate()
}

fn server_ids(args: &NemesisArgs) -> Vec<NodeId> {
    (0..args.servers).map(NodeId).collect()
}

fn load_spec(args: &NemesisArgs, servers: BTreeMap<NodeId, SocketAddr>) -> LoadSpec {
    LoadSpec {
        servers,
        clients: args.clients,
        keys: args.keys,
        seed: args.seed,
        op_timeout_ms: args.op_timeout_ms,
    }
}

fn write_file(dir: &Path, name: &str, text: &str) -> Result<(), Failure> {
    fs::write(dir.join(name), text).map_err(|e| Failure::Usage(format!("{name}: {e}")))
}

/// What a run produced.
struct Ran {
    records: Vec<Record>,
    end_ns: u64,
    injected: BTreeMap<FaultKind, u64>,
    exits: Vec<ServerExit>,
    /// Every clerk finished its last operation after the heal.
    drained: bool,
}

/// The load under the schedule, then the heal and the drain; writes `events.log`.
fn exercise(
    args: &NemesisArgs,
    plan: &Plan,
    net: &Network,
    cluster: &mut Cluster,
) -> Result<Ran, Failure> {
    let load = Load::start(&load_spec(args, net.proxies.clone()));
    let clerks = (0..args.clients).map(clerk_node).collect();
    let mut schedule = Schedule::new(server_ids(args), clerks, net.rules.clone(), cluster);
    let driven = schedule.drive(plan, args.seconds);
    let healed = if driven.is_ok() {
        schedule.heal()
    } else {
        Ok(())
    };
    let drained = load.drain_for(Duration::from_secs(args.drain_secs), signals::interrupted);
    schedule.note_exits();
    let joined = load.join();
    write_file(&args.dir, "events.log", &schedule.events)?;
    driven.and(healed).map_err(Failure::Usage)?;
    let (records, end_ns) = joined.map_err(Failure::Usage)?;
    Ok(Ran {
        records,
        end_ns,
        injected: schedule.injected,
        exits: schedule.exits,
        drained,
    })
}

/// The proxies in front of every server, and where servers really listen.
struct Network {
    listen: BTreeMap<NodeId, SocketAddr>,
    proxies: BTreeMap<NodeId, SocketAddr>,
    rules: SharedRules,
    stats: Vec<Arc<ProxyStats>>,
}

impl Network {
    fn start(ids: &[NodeId], seed: u64) -> Result<Network, String> {
        let addrs = ports::server_addrs(ids.len())?;
        let rules = SharedRules::default();
        let (mut listen, mut proxies, mut stats) = (BTreeMap::new(), BTreeMap::new(), Vec::new());
        for (&id, &addr) in ids.iter().zip(&addrs) {
            let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("proxy: {e}"))?;
            let proxy_addr = listener.local_addr().map_err(|e| format!("proxy: {e}"))?;
            let seed = derive_seed(seed, "proxy", u64::from(id.0));
            stats.push(proxy::start(listener, id, addr, rules.clone(), seed));
            listen.insert(id, addr);
            proxies.insert(id, proxy_addr);
        }
        Ok(Network {
            listen,
            proxies,
            rules,
            stats,
        })
    }
}

fn prepare_dir(dir: &Path) -> Result<(), String> {
    let error = |e: std::io::Error| format!("{}: {e}", dir.display());
    if dir.exists() && fs::read_dir(dir).map_err(error)?.next().is_some() {
        return Err(format!(
            "{}: not empty; give a fresh directory",
            dir.display()
        ));
    }
    fs::create_dir_all(dir).map_err(error)
}

fn report(args: &NemesisArgs, ran: &Ran, stats: &[Arc<ProxyStats>], restarts: u64, tally: &Tally) {
    let total: u64 = ran.injected.values().sum();
    let kinds: Vec<String> = ran
        .injected
        .iter()
        .map(|(k, n)| format!("{} {n}", k.name()))
        .collect();
    let kinds = match kinds.is_empty() {
        true => String::new(),
        false => format!(" ({})", kinds.join(", ")),
    };
    println!(
        "faults: {total} injected{kinds}; {restarts} server restarts; schedule in {}",
        args.dir.join("faults.txt").display()
    );
    let sum = |field: fn(&ProxyStats) -> u64| stats.iter().map(|s| field(s)).sum::<u64>();
    println!(
        "network: {} frames through the proxies, {} dropped by the nemesis, {} by full queues",
        sum(|s| s.forwarded.load(Ordering::Relaxed)),
        sum(|s| s.dropped_by_rule.load(Ordering::Relaxed)),
        sum(|s| s.dropped_queue_full.load(Ordering::Relaxed)),
    );
    println!("{}", summary(tally, args.seconds, ran.drained));
    println!("history: {}", args.dir.join("history.jsonl").display());
}

/// A server that panicked failed a check (its core asserts); one that ended otherwise could
/// not run (say, its port was taken), a harness error. Either way the run says so.
fn verdict(exits: &[ServerExit]) -> Result<(), Failure> {
    for exit in exits {
        println!("server: {}", exit.what);
    }
    let panics = exits.iter().filter(|e| e.panicked).count();
    if panics > 0 {
        return Err(Failure::Check(format!(
            "{panics} server(s) panicked: an assertion failed"
        )));
    }
    if !exits.is_empty() {
        return Err(Failure::Usage(format!(
            "{} server(s) could not run",
            exits.len()
        )));
    }
    Ok(())
}
