//! `sim`: run, sweep, replay and benchmark the seeded scenarios of this repository.
//!
//! The command line is the protocol kit's (`sim_kit::cli`); this binary adds `bench`.
//! Exit codes: 0 every check passed, 1 a check failed, 2 bad usage or input.

use clap::Parser;
use sim_kit::cli::{App, ExtraCommand};
use std::process::ExitCode;

/// A run allocates and frees a buffer or two per simulated message; mimalloc's thread-local
/// free lists do that several times faster than glibc's malloc (see the commit that added it
/// for the sweep figures). Only this binary: the libraries leave the choice to their user.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    scenarios::allocator::keep_freed_memory();
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../seeds");
    let app = App::new(scenarios::registry())
        .corpus_dir(corpus)
        .command(ExtraCommand {
            name: "bench",
            about: "measure the simulator and the suites",
            run: bench,
        });
    sim_kit::cli::main(app)
}

/// Measure the simulator: events/s of a bare queue, postcard round trips/s, delivered
/// messages/s of a Raft cluster with heartbeats, and the Raft suite for one seed.
#[derive(Parser)]
#[command(name = "sim bench")]
struct BenchArgs {
    /// Servers in the Raft cluster.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=9))]
    nodes: u32,
    /// Virtual seconds to simulate.
    #[arg(long, default_value_t = 36_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    virtual_secs: u64,
    /// Instead: a long run with steady client load and snapshots, printing memory as it goes.
    #[arg(long)]
    soak: bool,
    /// Virtual minutes of the soak.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    soak_minutes: u64,
    /// Soak with the course tester's memory (every command kept) instead of digest mode.
    #[arg(long)]
    course_tester: bool,
    /// Measure the KV suite instead: one seed of every scenario, kv-random's operations per
    /// second, and a sweep of this many seeds on two threads.
    #[arg(long, value_name = "SEEDS")]
    kv: Option<u64>,
    /// Measure the controller and sharded KV suites instead: one seed of every scenario,
    /// and a sweep of this many seeds on two threads.
    #[arg(long, value_name = "SEEDS")]
    shards: Option<u64>,
}

fn bench(args: &[String]) -> Result<bool, String> {
    let argv = std::iter::once("bench".to_string()).chain(args.iter().cloned());
    let args = match BenchArgs::try_parse_from(argv) {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            print!("{e}");
            return Ok(true);
        }
        Err(e) => return Err(e.to_string().trim_end().to_string()),
    };
    if let Some(seeds) = args.kv {
        print!("{}", scenarios::kv::bench::run(seeds, 2));
        return Ok(true);
    }
    if let Some(seeds) = args.shards {
        print!("{}", scenarios::shardkv::bench::run(seeds, 2));
        return Ok(true);
    }
    if args.soak {
        let options = scenarios::soak::SoakOptions {
            servers: args.nodes as usize,
            virtual_minutes: args.soak_minutes,
            course_tester: args.course_tester,
        };
        return match scenarios::soak::run(&options) {
            Ok(report) => {
                print!("{}", report.render());
                Ok(true)
            }
            Err(failure) => {
                println!("soak FAILED: {failure}");
                Ok(false)
            }
        };
    }
    let options = scenarios::bench::BenchOptions {
        nodes: args.nodes,
        virtual_secs: args.virtual_secs,
    };
    print!("{}", scenarios::bench::run(&options));
    Ok(true)
}
