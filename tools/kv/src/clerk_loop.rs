//! One load clerk: a thread that runs the workload through a `Clerk`, recording both ends of
//! each operation on the load's clock.
//!
//! The Clerk core retries an operation until it is answered; a client of a real service gives
//! up. As in Jepsen, an operation open longer than the operation timeout is abandoned (its
//! outcome unknown: `info`, it may still take effect) and the clerk is replaced by a fresh one,
//! a new process with a new client id that goes on with the next operation. Without this, a
//! clerk cut off with a minority would sit on one write for the whole partition, and the
//! minority's reads that expose a stale leader would never be asked.

use crate::addrs::clerk_node;
use crate::history::{Record, Return};
use crate::workload::Workload;
use kvraft::{Clerk, ClerkConfig, ClerkEvent};
use protocol_core::rng::derive_seed;
use protocol_core::{ClientId, NodeId, Time};
use realnet::{clock, Control, Host, RealConfig, Senders};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Clerks issue operations back to back.
pub const RUN: u8 = 0;
/// No new operations; a clerk stops once its operation returns (or is abandoned).
pub const DRAIN: u8 = 1;
/// Every clerk stops now; an operation still open stays open.
pub const STOP: u8 = 2;

/// Process numbers (and client-id offsets) stay below this.
const MAX_PROCESSES: u64 = 1 << 16;

/// What every clerk of a load shares.
#[derive(Clone)]
pub struct Shared {
    pub phase: Arc<AtomicU8>,
    /// The load's clock: times are nanoseconds since this.
    pub origin: Instant,
    pub op_timeout: Duration,
    pub servers: BTreeMap<NodeId, SocketAddr>,
    /// Clerks running at once; clerk `index`'s `k`th incarnation is process
    /// `index + clients * k`.
    pub clients: u32,
    /// Client ids are `client_base + process`.
    pub client_base: u64,
    pub seed: u64,
}

/// Runs clerk `index`'s incarnations until the phase stops them; returns their records.
pub fn run_clerk(
    shared: &Shared,
    index: u32,
    mut workload: Workload,
) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    for incarnation in 0u64.. {
        let process = u64::from(index) + u64::from(shared.clients) * incarnation;
        if process >= MAX_PROCESSES {
            return Err(format!(
                "clerk {index}: more than {MAX_PROCESSES} processes"
            ));
        }
        let mut host = LoadHost {
            shared,
            process,
            workload: &mut workload,
            records: Vec::new(),
            open: None,
            abandoned: false,
        };
        let (config, real) = clerk_config(shared, index, process);
        let me = real.me;
        realnet::run::<Clerk, _>(&config, real, &mut host)
            .map_err(|error| format!("clerk {me}: {error}"))?;
        let abandoned = host.abandoned;
        records.append(&mut host.records);
        if !abandoned || shared.phase.load(Ordering::SeqCst) != RUN {
            return Ok(records);
        }
    }
    unreachable!("the loop returns")
}

/// Every incarnation of clerk `index` has its node id, so a partition keeps it on its side.
fn clerk_config(shared: &Shared, index: u32, process: u64) -> (ClerkConfig, RealConfig) {
    // Clerks start on different servers, as the course shuffles them.
    let mut order: Vec<NodeId> = shared.servers.keys().copied().collect();
    let len = order.len();
    order.rotate_left(index as usize % len);
    let config = ClerkConfig::new(ClientId(shared.client_base + process), order);
    let real = RealConfig {
        me: clerk_node(index),
        listen: None,
        peers: shared.servers.clone(),
        senders: Senders::Peers,
        disk_dir: None,
        seed: derive_seed(shared.seed, "kv-clerk", process),
    };
    (config, real)
}

/// One clerk incarnation's side of the load.
struct LoadHost<'a> {
    shared: &'a Shared,
    process: u64,
    workload: &'a mut Workload,
    records: Vec<Record>,
    /// The record of the operation under way.
    open: Option<usize>,
    /// Stopped because an operation outlived the timeout.
    abandoned: bool,
}

impl LoadHost<'_> {
    fn now_ns(&self) -> u64 {
        (clock::now() - self.shared.origin).as_nanos() as u64
    }

    fn next(&mut self, now: Time, control: &mut Control<Clerk>) {
        if self.shared.phase.load(Ordering::SeqCst) == RUN {
            control.request(self.workload.next_op());
        } else {
            control.stop_after_ms(now, 0);
        }
    }
}

impl Host<Clerk> for LoadHost<'_> {
    fn on_boot(&mut self, now: Time, control: &mut Control<Clerk>) {
        self.next(now, control);
    }

    fn on_event(&mut self, now: Time, event: ClerkEvent, control: &mut Control<Clerk>) {
        match event {
            ClerkEvent::Invoked { op, .. } => {
                assert!(
                    self.open.is_none(),
                    "process {}: two operations open",
                    self.process
                );
                let call_ns = self.now_ns();
                self.open = Some(self.records.len());
                self.records.push(Record {
                    process: self.process,
                    op,
                    call_ns,
                    ret: None,
                });
            }
            ClerkEvent::Returned { value, .. } => {
                let at_ns = self.now_ns();
                let index = self
                    .open
                    .take()
                    .expect("a clerk returns only what it invoked");
                self.records[index].ret = Some(Return { at_ns, value });
                self.next(now, control);
            }
        }
    }

    fn on_tick(&mut self, now: Time, control: &mut Control<Clerk>) {
        if let Some(index) = self.open {
            let open_ns = self.now_ns().saturating_sub(self.records[index].call_ns);
            if open_ns >= self.shared.op_timeout.as_nanos() as u64 {
                self.abandoned = true;
                control.stop_after_ms(now, 0);
            }
        }
        match self.shared.phase.load(Ordering::SeqCst) {
            DRAIN if self.open.is_none() => control.stop_after_ms(now, 0),
            STOP => control.stop_after_ms(now, 0),
            _ => {}
        }
    }
}
