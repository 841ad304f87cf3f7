//! `kv`: the KV service's cores (`kvraft`) as real processes over TCP, driven by realnet.
//!
//! - `kv server` runs one server (its Raft inside), persisting to a real directory.
//! - `kv client` runs one operation through a clerk.
//! - `kv load` runs clerks in a loop and records a JSON-lines history for `sim check`.
//! - `kv nemesis` starts a loopback cluster behind fault-injecting proxies, runs `kv load`'s
//!   clerks while a seeded schedule kills, pauses and partitions servers, then heals and
//!   writes the history (`tools/scripts/kv-nemesis.sh` checks it).
//!
//! Exit codes: 0 done, 1 a check failed (a server crashed on an assertion, a client got no
//! answer), 2 bad usage, bad input or a harness error.

mod addrs;
mod clerk_loop;
mod client;
mod history;
mod load;
mod nemesis;
mod server;
mod workload;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kv",
    about = "The KV service on Raft as real processes over loopback TCP"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one KV server.
    Server(server::ServerArgs),
    /// Run one Get, Put or Append through a clerk; a Get prints the value.
    Client(client::ClientArgs),
    /// Run clerks in a loop for a while and write their history as JSON lines.
    Load(load::LoadArgs),
    /// Run a loopback cluster under a seeded nemesis and write its history.
    Nemesis(nemesis::NemesisArgs),
}

/// Why a command did not succeed, which decides the exit code.
pub enum Failure {
    /// A check failed: exit 1.
    Check(String),
    /// Bad usage or input, or the harness itself failed: exit 2.
    Usage(String),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Server(args) => server::run(args),
        Command::Client(args) => client::run(args),
        Command::Load(args) => load::run(args),
        Command::Nemesis(args) => nemesis::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Check(reason)) => {
            eprintln!("kv: {reason}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(reason)) => {
            eprintln!("kv: {reason}");
            ExitCode::from(2)
        }
    }
}
