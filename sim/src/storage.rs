//! How the simulated disks behave and fail: the storage fault classes, one run's storage
//! settings, and the swarm mix that draws them from a seed.
//!
//! A run's disks always keep what a completed sync covered. What else happens is the fault
//! classes': each can be switched off for a run (`--no-storage-faults`, `--storage-faults`),
//! and a random scenario's mix switches each on or off per seed.

use crate::fault::{FaultAction, FaultPlan};
use crate::network::LatencyModel;
use protocol_core::rng::{index, range_inclusive, range_toward_high, shuffle, Choose, Ratio};
use protocol_core::{NodeId, Time};
use std::fmt;

/// One way storage fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StorageClass {
    /// A crash loses writes not yet synced, each wholly or partly, in a seed-chosen order.
    /// Off: every write is durable the instant it is carried out (the course's Persister).
    UnsyncedLoss,
    /// A write a crash interrupts keeps a seed-chosen whole number of its sectors.
    TornWrites,
    /// A crash falls between two outputs of a step (after a send, before the write).
    CrashMidStep,
    /// A sector at rest flips bits.
    LatentErrors,
    /// A write lands some sectors away from where it was aimed.
    MisdirectedWrites,
    /// A sync reports failure; what it covered may be lost.
    SyncErrors,
}

impl StorageClass {
    pub const ALL: [StorageClass; 6] = [
        StorageClass::UnsyncedLoss,
        StorageClass::TornWrites,
        StorageClass::CrashMidStep,
        StorageClass::LatentErrors,
        StorageClass::MisdirectedWrites,
        StorageClass::SyncErrors,
    ];

    pub fn name(self) -> &'static str {
        match self {
            StorageClass::UnsyncedLoss => "unsynced-loss",
            StorageClass::TornWrites => "torn-writes",
            StorageClass::CrashMidStep => "crash-mid-step",
            StorageClass::LatentErrors => "latent-errors",
            StorageClass::MisdirectedWrites => "misdirected-writes",
            StorageClass::SyncErrors => "sync-errors",
        }
    }

    /// Whether the class damages data a node wrote correctly: a node it touched may find its
    /// disk corrupt at boot, and is then down for good.
    pub fn corrupts(self) -> bool {
        matches!(
            self,
            StorageClass::LatentErrors | StorageClass::MisdirectedWrites
        )
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of storage classes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StorageClasses(u8);

impl StorageClasses {
    pub const NONE: StorageClasses = StorageClasses(0);
    pub const ALL: StorageClasses = StorageClasses(0b11_1111);
    /// A real disk that never rots: unsynced writes lost and torn by crashes, nothing else.
    pub const CRASHES: StorageClasses = StorageClasses(0b11);

    /// The set with `class` added, for constants.
    pub const fn with_const(self, class: StorageClass) -> StorageClasses {
        StorageClasses(self.0 | (1 << (class as u8)))
    }

    pub fn of(classes: &[StorageClass]) -> StorageClasses {
        StorageClasses(classes.iter().fold(0, |bits, c| bits | c.bit()))
    }

    pub fn contains(self, class: StorageClass) -> bool {
        self.0 & class.bit() != 0
    }

    pub fn with(self, class: StorageClass) -> StorageClasses {
        StorageClasses(self.0 | class.bit())
    }

    pub fn without(self, class: StorageClass) -> StorageClasses {
        StorageClasses(self.0 & !class.bit())
    }

    pub fn and(self, other: StorageClasses) -> StorageClasses {
        StorageClasses(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = StorageClass> {
        StorageClass::ALL
            .into_iter()
            .filter(move |&c| self.contains(c))
    }

    /// Parses `all`, `none`, or class names separated by commas.
    pub fn parse(text: &str) -> Result<StorageClasses, String> {
        match text {
            "all" => return Ok(StorageClasses::ALL),
            "none" => return Ok(StorageClasses::NONE),
            _ => {}
        }
        let mut set = StorageClasses::NONE;
        for name in text.split(',').map(str::trim) {
            let class = StorageClass::ALL.into_iter().find(|c| c.name() == name);
            let Some(class) = class else {
                let known: Vec<&str> = StorageClass::ALL.iter().map(|c| c.name()).collect();
                return Err(format!(
                    "unknown storage fault class {name:?}; known: all, none, {}",
                    known.join(", ")
                ));
            };
            set = set.with(class);
        }
        Ok(set)
    }
}

impl fmt::Display for StorageClasses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let names: Vec<&str> = self.iter().map(StorageClass::name).collect();
        f.write_str(&names.join(","))
    }
}

impl fmt::Debug for StorageClasses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StorageClasses({self})")
    }
}

/// How one run's disks behave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageConfig {
    /// How long a sync takes to complete.
    pub sync_latency: LatencyModel,
    /// The fault classes live in this run.
    pub classes: StorageClasses,
    /// Of the crashes a plan schedules, the share that falls within a step (with
    /// `CrashMidStep`).
    pub mid_step: Ratio,
    /// Per write reaching a victim's disk, the chance it lands elsewhere.
    pub misdirect: Ratio,
    /// Per sync a core asks for, the chance it fails.
    pub sync_error: Ratio,
    /// The nodes whose data may be corrupted (latent errors, misdirected writes): they may
    /// fail for good, so a scenario keeps them to a minority of each group.
    pub victims: Vec<NodeId>,
}

impl StorageConfig {
    /// A disk that loses and tears unsynced writes on a crash, and never rots.
    pub fn crashes_only() -> StorageConfig {
        StorageConfig {
            sync_latency: LatencyModel {
                min_us: 20,
                max_us: 300,
                tail: Ratio::percent(2),
                tail_max_us: 5_000,
            },
            classes: StorageClasses::CRASHES,
            mid_step: Ratio::new(1, 2),
            misdirect: Ratio::NEVER,
            sync_error: Ratio::NEVER,
            victims: Vec::new(),
        }
    }

    /// The same, with only the classes in `allowed` left on.
    pub fn masked(mut self, allowed: StorageClasses) -> StorageConfig {
        self.classes = self.classes.and(allowed);
        self
    }

    pub fn has(&self, class: StorageClass) -> bool {
        self.classes.contains(class)
    }

    pub fn is_victim(&self, node: NodeId) -> bool {
        self.victims.contains(&node)
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig::crashes_only()
    }
}

/// A seed's storage faults, drawn apart from its network and crash faults (from a stream of
/// their own, so a seed's other faults stay as they were).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageMix {
    pub config: StorageConfig,
    /// Mean gap between latent errors, if they are on.
    pub latent_gap_ms: Option<u64>,
}

impl StorageMix {
    /// Draws the mix: each class on with probability one half, with its own rate, then
    /// masked by `allowed` (the draws do not depend on the mask, so switching one class off
    /// leaves a seed's others as they were). Victims are drawn from each group in `groups`
    /// (the servers of one replica group), at most a minority of each.
    pub fn draw(
        rng: &mut impl Choose,
        allowed: StorageClasses,
        groups: &[Vec<NodeId>],
    ) -> StorageMix {
        let coin = Ratio::new(1, 2);
        let mut classes = StorageClasses::NONE;
        for class in StorageClass::ALL {
            if coin.chance(rng) {
                classes = classes.with(class);
            }
        }
        let mut config = StorageConfig::crashes_only();
        config.classes = classes.and(allowed);
        if coin.chance(rng) {
            config.sync_latency.max_us = range_inclusive(rng, 300, 5_000);
            config.sync_latency.tail_max_us = range_inclusive(rng, 5_000, 50_000);
        }
        config.misdirect = Ratio::new(1, range_toward_high(rng, 20, 500) as u32);
        config.sync_error = Ratio::new(1, range_toward_high(rng, 50, 2_000) as u32);
        let latent_gap_ms = range_toward_high(rng, 200, 5_000);
        config.victims = draw_victims(rng, groups);
        let latent_gap_ms = config
            .has(StorageClass::LatentErrors)
            .then_some(latent_gap_ms);
        StorageMix {
            config,
            latent_gap_ms,
        }
    }

    /// A one-line description for run summaries.
    pub fn describe(&self) -> String {
        let config = &self.config;
        let mut parts = vec![format!(
            "storage={} sync<={}us",
            config.classes,
            config
                .sync_latency
                .tail_max_us
                .max(config.sync_latency.max_us)
        )];
        if config.classes.iter().any(StorageClass::corrupts) {
            let victims: Vec<String> = config.victims.iter().map(NodeId::to_string).collect();
            parts.push(format!("victims=[{}]", victims.join(" ")));
        }
        if let Some(gap) = self.latent_gap_ms {
            parts.push(format!("latent~{gap}ms"));
        }
        if config.has(StorageClass::MisdirectedWrites) {
            parts.push(format!("misdirect={}", config.misdirect));
        }
        if config.has(StorageClass::SyncErrors) {
            parts.push(format!("sync-errors={}", config.sync_error));
        }
        parts.join(" ")
    }

    /// The latent errors over `start..heal_at`, on victims only.
    pub fn plan(&self, rng: &mut impl Choose, start: Time, heal_at: Time) -> FaultPlan {
        let mut plan = FaultPlan::default();
        let (Some(gap), false) = (self.latent_gap_ms, self.config.victims.is_empty()) else {
            return plan;
        };
        let mut at = start.plus_ms(range_toward_high(rng, 0, gap));
        while at < heal_at {
            let node = self.config.victims[index(rng, self.config.victims.len())];
            plan.push(at, FaultAction::LatentError(node));
            at = at.plus_ms(range_toward_high(rng, gap / 2, 2 * gap));
        }
        plan
    }
}

/// Up to a minority of each group, at least one where a group has three or more.
fn draw_victims(rng: &mut impl Choose, groups: &[Vec<NodeId>]) -> Vec<NodeId> {
    let mut victims = Vec::new();
    for group in groups {
        let minority = group.len().saturating_sub(1) / 2;
        if minority == 0 {
            continue;
        }
        let count = range_inclusive(rng, 1, minority as u64) as usize;
        let mut shuffled = group.clone();
        shuffle(rng, &mut shuffled);
        victims.extend_from_slice(&shuffled[..count]);
    }
    victims.sort_unstable();
    victims
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::rng::rng_from_seed;

    fn group(n: u32) -> Vec<NodeId> {
        (0..n).map(NodeId).collect()
    }

    #[test]
    fn class_lists_parse_and_print() {
        let set = StorageClasses::parse("torn-writes, sync-errors").unwrap();
        assert!(set.contains(StorageClass::TornWrites) && set.contains(StorageClass::SyncErrors));
        assert!(!set.contains(StorageClass::UnsyncedLoss));
        assert_eq!(set.to_string(), "torn-writes,sync-errors");
        assert_eq!(StorageClasses::parse("none"), Ok(StorageClasses::NONE));
        assert_eq!(StorageClasses::parse("all"), Ok(StorageClasses::ALL));
        let err = StorageClasses::parse("torn").unwrap_err();
        assert!(err.contains("torn-writes"), "{err}");
        assert_eq!(StorageClasses::ALL.iter().count(), StorageClass::ALL.len());
    }

    #[test]
    fn mixes_vary_keep_victims_a_minority_and_ignore_the_mask_when_drawing() {
        let groups = [group(5), (5..8).map(NodeId).collect()];
        let mut seen = StorageClasses::NONE;
        let mut off = StorageClasses::ALL;
        for seed in 0..64 {
            let mix = StorageMix::draw(&mut rng_from_seed(seed), StorageClasses::ALL, &groups);
            seen = StorageClasses(seen.0 | mix.config.classes.0);
            off = StorageClasses(off.0 & mix.config.classes.0);
            let first = mix.config.victims.iter().filter(|v| v.0 < 5).count();
            let second = mix.config.victims.iter().filter(|v| v.0 >= 5).count();
            assert!((1..=2).contains(&first) && second == 1, "{mix:?}");
            let masked = StorageMix::draw(
                &mut rng_from_seed(seed),
                StorageClasses::ALL.without(StorageClass::SyncErrors),
                &groups,
            );
            assert!(!masked.config.has(StorageClass::SyncErrors));
            assert_eq!(masked.config.victims, mix.config.victims);
            assert_eq!(masked.latent_gap_ms, mix.latent_gap_ms);
        }
        assert_eq!(seen, StorageClasses::ALL, "every class is on for some seed");
        assert!(off.is_empty(), "and off for another");
    }

    #[test]
    fn latent_errors_fall_on_victims_before_the_heal() {
        for seed in 0..20 {
            let mut rng = rng_from_seed(seed);
            let mut mix = StorageMix::draw(&mut rng, StorageClasses::ALL, &[group(3)]);
            mix.latent_gap_ms = Some(300);
            let plan = mix.plan(&mut rng, Time::ZERO, Time::from_secs(10));
            assert!(!plan.actions.is_empty());
            for (at, action) in &plan.actions {
                assert!(*at < Time::from_secs(10));
                let FaultAction::LatentError(node) = action else {
                    panic!("{action:?}")
                };
                assert!(mix.config.is_victim(*node));
            }
        }
    }
}
