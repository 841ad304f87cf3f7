//! `kv load`, and the load the nemesis runs: one thread per clerk (`clerk_loop.rs`), each
//! issuing the workload's operations back to back and recording them for the history.
//!
//! A run has three phases, switched from outside: *run* (a clerk issues its next operation as
//! soon as the last returns), *drain* (no new operations; a clerk stops once its operation
//! returns or is abandoned) and *stop* (every clerk stops now; an operation still open stays
//! open, `info`).

use crate::addrs::{fresh_client_base, parse_servers};
use crate::clerk_loop::{run_clerk, Shared, DRAIN, RUN, STOP};
use crate::history::{write_json_lines, Record, Tally};
use crate::workload::Workload;
use crate::Failure;
use protocol_core::NodeId;
use realnet::clock;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// The servers: `0=IP:PORT,1=IP:PORT,...`.
    #[arg(long, value_parser = parse_servers)]
    pub servers: BTreeMap<NodeId, SocketAddr>,
    /// Clerks running at once, each one operation at a time.
    #[arg(long, default_value_t = 5)]
    pub clients: u32,
    /// How long clerks issue operations.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Keys the operations spread over.
    #[arg(long, default_value_t = 5)]
    pub keys: u32,
    /// Seeds the operation mix.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// After the run, how long clerks may take to finish their last operation.
    #[arg(long, default_value_t = 30)]
    pub drain_secs: u64,
    /// An operation open this long is abandoned (`info`) and its clerk replaced.
    #[arg(long, default_value_t = 1000)]
    pub op_timeout_ms: u64,
    /// Where the JSON-lines history goes.
    #[arg(long)]
    pub history: PathBuf,
}

pub fn run(args: LoadArgs) -> Result<(), Failure> {
    let spec = LoadSpec {
        servers: args.servers.clone(),
        clients: args.clients,
        keys: args.keys,
        seed: args.seed,
        op_timeout_ms: args.op_timeout_ms,
    };
    spec.validate().map_err(Failure::Usage)?;
    let load = Load::start(&spec);
    thread::sleep(Duration::from_secs(args.seconds));
    let finished = load.drain_for(Duration::from_secs(args.drain_secs), || false);
    let (records, end_ns) = load.join().map_err(Failure::Usage)?;
    write_history(&args.history, &records, end_ns).map_err(Failure::Usage)?;
    println!("{}", summary(&Tally::of(&records), args.seconds, finished));
    Ok(())
}

/// What a load runs against, and how.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    pub servers: BTreeMap<NodeId, SocketAddr>,
    pub clients: u32,
    pub keys: u32,
    pub seed: u64,
    pub op_timeout_ms: u64,
}

impl LoadSpec {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=256).contains(&self.clients) {
            return Err(format!("--clients {} is not in 1..=256", self.clients));
        }
        if self.keys == 0 {
            return Err("--keys must be at least 1".into());
        }
        if self.op_timeout_ms == 0 {
            return Err("--op-timeout-ms must be positive".into());
        }
        Ok(())
    }
}

/// A load under way.
pub struct Load {
    phase: Arc<AtomicU8>,
    finished: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<Result<Vec<Record>, String>>>,
    origin: Instant,
}

impl Load {
    pub fn start(spec: &LoadSpec) -> Load {
        let phase = Arc::new(AtomicU8::new(RUN));
        let finished = Arc::new(AtomicUsize::new(0));
        let origin = clock::now();
        let client_base = fresh_client_base();
        let run_tag = format!("{:x}", client_base >> 16);
        let shared = Shared {
            phase: phase.clone(),
            origin,
            op_timeout: Duration::from_millis(spec.op_timeout_ms),
            servers: spec.servers.clone(),
            clients: spec.clients,
            client_base,
            seed: spec.seed,
        };
        let threads = (0..spec.clients)
            .map(|index| {
                let workload = Workload::new(spec.seed, u64::from(index), spec.keys, &run_tag);
                let (shared, finished) = (shared.clone(), finished.clone());
                thread::spawn(move || {
                    let records = run_clerk(&shared, index, workload);
                    finished.fetch_add(1, Ordering::SeqCst);
                    records
                })
            })
            .collect();
        Load {
            phase,
            finished,
            threads,
            origin,
        }
    }

    /// No new operations from now on; waits up to `limit` (or until `give_up`) for every clerk
    /// to finish the one it has, then stops them all. True if all finished in time.
    pub fn drain_for(&self, limit: Duration, give_up: impl Fn() -> bool) -> bool {
        self.phase.store(DRAIN, Ordering::SeqCst);
        let deadline = clock::now() + limit;
        while !self.all_finished() && clock::now() < deadline && !give_up() {
            thread::sleep(Duration::from_millis(20));
        }
        let finished = self.all_finished();
        self.phase.store(STOP, Ordering::SeqCst);
        finished
    }

    fn all_finished(&self) -> bool {
        self.finished.load(Ordering::SeqCst) == self.threads.len()
    }

    /// Every clerk's records and the time the last clerk stopped.
    pub fn join(self) -> Result<(Vec<Record>, u64), String> {
        self.phase.store(STOP, Ordering::SeqCst);
        let mut records = Vec::new();
        for thread in self.threads {
            let clerk = thread
                .join()
                .map_err(|_| "a clerk thread panicked".to_string())?;
            records.extend(clerk?);
        }
        let end_ns = (clock::now() - self.origin).as_nanos() as u64;
        Ok((records, end_ns))
    }
}

pub fn write_history(path: &PathBuf, records: &[Record], end_ns: u64) -> Result<(), String> {
    let error = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut out = BufWriter::new(File::create(path).map_err(error)?);
    write_json_lines(records, end_ns, &mut out).map_err(error)?;
    out.flush().map_err(error)
}

/// `operations: 812 (get 330, put 80, append 402): 810 ok, 2 open (info); 80.9 ok/s`.
pub fn summary(tally: &Tally, seconds: u64, drained: bool) -> String {
    let rate = tally.ok as f64 / seconds.max(1) as f64;
    let drained = if drained {
        "every clerk stopped within the drain"
    } else {
        "some clerks were still waiting when the drain ended (their operations left open)"
    };
    format!(
        "operations: {} (get {}, put {}, append {}): {} ok, {} open (info); {rate:.1} ok/s; {drained}",
        tally.total(),
        tally.gets,
        tally.puts,
        tally.appends,
        tally.ok,
        tally.open
    )
}
