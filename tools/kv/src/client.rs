//! `kv client`: one operation through one clerk, retried (by the clerk core) until answered or
//! until the timeout.

use crate::addrs::{clerk_node, fresh_client_base, parse_servers};
use crate::Failure;
use kvraft::{Clerk, ClerkConfig, ClerkEvent, Op};
use protocol_core::{ClientId, NodeId, Time};
use realnet::{Control, Host, RealConfig, Senders};
use std::collections::BTreeMap;
use std::net::SocketAddr;

#[derive(clap::Args, Debug)]
pub struct ClientArgs {
    /// The servers: `0=IP:PORT,1=IP:PORT,...`.
    #[arg(long, value_parser = parse_servers)]
    pub servers: BTreeMap<NodeId, SocketAddr>,
    /// Give up (exit 1) without an answer after this many seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
    #[command(subcommand)]
    pub op: ClientOp,
}

#[derive(clap::Subcommand, Debug)]
pub enum ClientOp {
    /// Print the key's value (empty if none).
    Get { key: String },
    /// Set the key's value.
    Put { key: String, value: String },
    /// Append to the key's value.
    Append { key: String, value: String },
}

pub fn run(args: ClientArgs) -> Result<(), Failure> {
    let is_get = matches!(args.op, ClientOp::Get { .. });
    let op = match args.op {
        ClientOp::Get { key } => Op::Get { key },
        ClientOp::Put { key, value } => Op::Put { key, value },
        ClientOp::Append { key, value } => Op::Append { key, value },
    };
    let servers: Vec<NodeId> = args.servers.keys().copied().collect();
    let config = ClerkConfig::new(ClientId(fresh_client_base()), servers);
    let real = RealConfig {
        me: clerk_node(0),
        listen: None,
        peers: args.servers,
        senders: Senders::Peers,
        disk_dir: None,
        seed: u64::from(std::process::id()),
    };
    let mut host = ClientHost {
        op: Some(op),
        deadline: Time::from_ms(args.timeout_secs * 1000),
        answer: None,
    };
    realnet::run::<Clerk, _>(&config, real, &mut host)
        .map_err(|error| Failure::Usage(error.to_string()))?;
    match host.answer {
        Some(value) => {
            if is_get {
                println!("{value}");
            }
            Ok(())
        }
        None => Err(Failure::Check(format!(
            "no answer within {} s (outcome unknown)",
            args.timeout_secs
        ))),
    }
}

struct ClientHost {
    op: Option<Op>,
    deadline: Time,
    answer: Option<String>,
}

impl Host<Clerk> for ClientHost {
    fn on_boot(&mut self, _now: Time, control: &mut Control<Clerk>) {
        let op = self.op.take().expect("booted once");
        control.request(op);
    }

    fn on_event(&mut self, now: Time, event: ClerkEvent, control: &mut Control<Clerk>) {
        match event {
            ClerkEvent::Invoked { .. } => {}
            ClerkEvent::Returned { value, .. } => {
                self.answer = Some(value);
                control.stop_after_ms(now, 0);
            }
        }
    }

    fn on_tick(&mut self, now: Time, control: &mut Control<Clerk>) {
        if now >= self.deadline {
            control.stop_after_ms(now, 0);
        }
    }
}
