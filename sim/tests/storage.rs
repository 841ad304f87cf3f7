//! The simulated disk as a node sees it: what a sync makes durable, what a crash takes, a
//! crash within a step, failed syncs and halts, the atomic Persist built on temp files, and
//! a node that finds its disk damaged staying down.

use protocol_core::rng::Ratio;
use protocol_core::{
    BootError, Disk, DurableWrite, Input, Message, Node, NodeId, Outbox, SyncTarget, SyncToken,
    Time,
};
use serde::{Deserialize, Serialize};
use sim::network::LatencyModel;
use sim::observer::NodesView;
use sim::{
    FaultAction, NetworkConfig, Observer, Sim, StorageClass, StorageClasses, StorageConfig,
    TraceMode, Violation,
};

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Note(u64);

impl Message for Note {
    fn kind(&self) -> &'static str {
        "Note"
    }
}

/// Appends one byte to its journal every millisecond and syncs it; counts what was synced
/// (what it would have promised). Boots from the journal's length. With `persist_first`, it
/// instead persists its count atomically and then tells node 1 about it.
struct Journal {
    written: u64,
    synced: u64,
    /// The journal's name is durable (its directory synced, or it was there at boot): until
    /// then a crash may take the whole file, so nothing in it counts as synced.
    created: bool,
    booted_with: u64,
    persist_first: bool,
}

/// The token of the directory's sync; a journal sync's token is the length it covers.
const DIRECTORY_SYNC: SyncToken = SyncToken(0);

impl Node for Journal {
    type Msg = Note;
    type Timer = ();
    type Request = ();
    type Event = u64;
    type Config = bool;

    fn boot(
        persist_first: &bool,
        id: NodeId,
        disk: &Disk,
        _: u64,
        now: Time,
        out: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        if disk.read("journal").is_some_and(|j| j.contains(&0xff)) {
            let reason = "journal: damaged".to_string();
            return Err(BootError::CorruptDisk { node: id, reason });
        }
        let len = disk.size_of("journal") as u64;
        out.set_timer((), now.plus_ms(1));
        Ok(Journal {
            written: len,
            synced: len,
            created: disk.contains("journal"),
            booted_with: len,
            persist_first: *persist_first,
        })
    }

    fn handle(&mut self, now: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        match input {
            Input::Timer(()) if self.persist_first => {
                self.written += 1;
                let count = self.written.to_le_bytes().to_vec();
                out.persist(DurableWrite::file("count", count));
                out.send(NodeId(1), Note(self.written));
                out.set_timer((), now.plus_ms(1));
            }
            Input::Timer(()) => {
                out.write("journal", self.written, vec![1]);
                self.written += 1;
                out.sync(SyncTarget::File("journal".into()), SyncToken(self.written));
                if !self.created && self.written == 1 {
                    out.sync(SyncTarget::Directory, DIRECTORY_SYNC);
                }
                out.set_timer((), now.plus_ms(1));
            }
            Input::Synced { token, result } => match result {
                Ok(()) if token == DIRECTORY_SYNC => self.created = true,
                Ok(()) => {
                    self.synced = self.synced.max(token.0);
                    if self.created {
                        out.emit(self.synced);
                    }
                }
                Err(_) => out.halt("the journal's sync failed"),
            },
            Input::Message { .. } | Input::Request(()) => {}
        }
    }
}

/// Records what the nodes promised, crashes within a step, and disk failures.
#[derive(Default)]
struct Watch {
    promised: Vec<u64>,
    within_step: u32,
    failed: Vec<NodeId>,
}

impl Observer<Journal> for Watch {
    fn on_emit(&mut self, _: Time, node: NodeId, synced: &u64) -> Result<(), Violation> {
        self.promised
            .resize(self.promised.len().max(node.index() + 1), 0);
        self.promised[node.index()] = *synced;
        Ok(())
    }

    fn on_crash_within_step(&mut self, _: Time, _: NodeId) {
        self.within_step += 1;
    }

    fn on_disk_failed(&mut self, _: Time, node: NodeId, _: &str) {
        self.failed.push(node);
    }

    fn after_step(&mut self, _: Time, _: &NodesView<'_, Journal>) -> Result<(), Violation> {
        Ok(())
    }
}

fn world(seed: u64, storage: StorageConfig, persist_first: bool) -> Sim<Journal, Watch> {
    let mut sim = Sim::new(
        seed,
        NetworkConfig::reliable(),
        Watch::default(),
        TraceMode::Hash,
    );
    sim.set_storage(storage);
    sim.add_node(persist_first);
    sim.add_node(persist_first);
    sim
}

fn crashes(classes: StorageClasses) -> StorageConfig {
    StorageConfig {
        classes,
        ..StorageConfig::crashes_only()
    }
}

/// Crashes node 0 after `ms` and boots it again; what it booted with, and what it had synced.
fn crash_and_reboot(sim: &mut Sim<Journal, Watch>, ms: u64) -> (u64, u64) {
    sim.run_until(Time::from_ms(ms)).unwrap();
    let written = sim.node(NodeId(0)).unwrap().written;
    sim.crash(NodeId(0));
    sim.restart(NodeId(0));
    let booted = sim.node(NodeId(0)).unwrap().booted_with;
    assert!(booted <= written);
    (booted, sim.observer().promised[0])
}

#[test]
fn a_crash_keeps_what_was_synced_and_may_lose_the_rest() {
    let mut lost = 0;
    for seed in 0..40 {
        let mut sim = world(seed, crashes(StorageClasses::CRASHES), false);
        let (booted, promised) = crash_and_reboot(&mut sim, 50);
        assert!(
            booted >= promised,
            "seed {seed}: booted {booted} < promised {promised}"
        );
        lost += u64::from(sim.stats().writes_lost > 0);
    }
    assert!(lost > 0, "some crash lost an unsynced write");
    for seed in 0..10 {
        let mut sim = world(seed, crashes(StorageClasses::NONE), false);
        sim.run_until(Time::from_ms(50)).unwrap();
        let written = sim.node(NodeId(0)).unwrap().written;
        sim.crash(NodeId(0));
        sim.restart(NodeId(0));
        assert_eq!(
            sim.node(NodeId(0)).unwrap().booted_with,
            written,
            "no loss without the class"
        );
    }
}

#[test]
fn a_failed_sync_halts_the_node_which_boots_again() {
    let storage = StorageConfig {
        sync_error: Ratio::new(1, 20),
        ..crashes(StorageClasses::CRASHES.with(StorageClass::SyncErrors))
    };
    let mut sim = world(3, storage, false);
    sim.run_until(Time::from_ms(500)).unwrap();
    let stats = sim.stats();
    assert!(stats.sync_failures > 0 && stats.halts > 0, "{stats:?}");
    assert_eq!(stats.crashes, stats.halts, "each halt is a crash");
    // A halted node is back within 50 ms: only the last halts of the run may still be down.
    let down = (0..2).filter(|&i| !sim.is_up(NodeId(i))).count() as u64;
    assert_eq!(stats.restarts + down, stats.halts, "halted nodes come back");
}

#[test]
fn a_crash_within_a_step_carries_out_only_part_of_it() {
    // Syncs take 100 µs, so half a millisecond past a tick every sync has answered and the
    // next step of node 0 is its timer's (write, sync, timer).
    let storage = StorageConfig {
        mid_step: Ratio::ALWAYS,
        sync_latency: LatencyModel {
            min_us: 100,
            max_us: 100,
            tail: Ratio::NEVER,
            tail_max_us: 100,
        },
        ..crashes(StorageClasses::NONE.with(StorageClass::CrashMidStep))
    };
    let mut parts = std::collections::BTreeSet::new();
    for seed in 0..30 {
        let mut sim = world(seed, storage.clone(), false);
        sim.run_until(Time::from_ms(20).plus_micros(500)).unwrap();
        let before = sim.disk(NodeId(0)).size_of("journal");
        sim.apply(FaultAction::Crash(NodeId(0)));
        assert!(
            sim.is_up(NodeId(0)),
            "armed: the crash falls within the next step"
        );
        sim.run_until(Time::from_ms(22)).unwrap();
        assert!(!sim.is_up(NodeId(0)));
        assert_eq!(sim.observer().within_step, 1);
        sim.restart(NodeId(0));
        parts.insert(sim.disk(NodeId(0)).size_of("journal") - before);
    }
    // The step (write, sync, timer) crashed before the write, or after it.
    assert_eq!(parts, [0, 1].into(), "{parts:?}");
}

#[test]
fn a_persist_holds_back_later_sends_until_durable_and_stays_atomic() {
    for seed in 0..20 {
        let mut sim = world(seed, crashes(StorageClasses::CRASHES), true);
        sim.run_until(Time::from_ms(30)).unwrap();
        let sent = sim.stats().sent;
        let delivered = sim.stats().delivered;
        assert!(sent > 0 && delivered > 0);
        sim.crash(NodeId(0));
        sim.restart(NodeId(0));
        let count = sim.disk(NodeId(0)).read("count").map(|b| b.len());
        assert_eq!(
            count,
            Some(8),
            "seed {seed}: the count is whole, old or new"
        );
        assert!(sim
            .disk(NodeId(0))
            .names()
            .all(|n| n == "count" || n == "count.tmp"));
    }
}

#[test]
fn a_damaged_disk_fails_its_node_for_good_and_the_heal_leaves_it_down() {
    let mut sim = world(5, crashes(StorageClasses::CRASHES), false);
    sim.run_until(Time::from_ms(20)).unwrap();
    sim.crash(NodeId(0));
    assert!(sim.damage_file(NodeId(0), "journal", |bytes| bytes[0] = 0xff));
    sim.restart(NodeId(0));
    sim.apply(FaultAction::HealAll);
    sim.run_until(Time::from_ms(40)).unwrap();
    assert!(!sim.is_up(NodeId(0)) && sim.is_failed(NodeId(0)));
    assert_eq!(sim.observer().failed, vec![NodeId(0)]);
    assert!(sim.is_up(NodeId(1)));
}

#[test]
fn latent_errors_fall_on_victims_only() {
    let storage = StorageConfig {
        victims: vec![NodeId(1)],
        ..crashes(StorageClasses::CRASHES.with(StorageClass::LatentErrors))
    };
    let mut sim = world(9, storage, false);
    sim.run_until(Time::from_ms(20)).unwrap();
    sim.apply(FaultAction::LatentError(NodeId(0)));
    assert_eq!(sim.stats().latent_errors, 0, "n0 is no victim");
    sim.apply(FaultAction::LatentError(NodeId(1)));
    sim.apply(FaultAction::LatentError(NodeId(1)));
    assert_eq!(sim.stats().latent_errors, 1, "one corruption per boot");
}

#[test]
fn storage_choices_come_from_the_seed() {
    let run = |seed| {
        let storage = StorageConfig {
            sync_error: Ratio::new(1, 30),
            mid_step: Ratio::new(1, 2),
            ..crashes(StorageClasses::ALL)
        };
        let mut sim = world(seed, storage, false);
        for ms in (10..200).step_by(37) {
            sim.schedule(Time::from_ms(ms), FaultAction::Crash(NodeId(0)));
            sim.schedule(Time::from_ms(ms + 5), FaultAction::Restart(NodeId(0)));
        }
        sim.run_until(Time::from_ms(250)).unwrap();
        sim.trace_hash()
    };
    assert_eq!(run(4), run(4));
    assert_ne!(run(4), run(5));
}
