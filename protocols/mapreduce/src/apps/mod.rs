//! The applications a worker runs: a map and a reduce function behind one trait.
//!
//! Apps are pure and deterministic: what they may know of the world comes in a
//! [`CallContext`] (which worker, what virtual time, how many maps this worker ran). Where a
//! course app slept or used pids and the directory, ours declares a duration (the worker holds
//! its results back that long) and a marker file or a listing (the worker does the file work).

mod probes;
mod text;
mod timing;

pub use probes::{Crash, EarlyExit, JobCount, NoCrash};
pub use text::{Indexer, WordCount};
pub use timing::{max_parallel_workers, rtiming_parallel_lines, MTiming, RTiming, Span};

use protocol_core::{NodeId, Time};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

impl KeyValue {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// What an app may know when it is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallContext {
    pub worker: NodeId,
    /// Virtual time at which this call starts.
    pub now: Time,
    /// How many map calls this worker incarnation made before this one.
    pub invocation: u64,
    /// For a reduce: how many files matched [`App::reduce_listing_prefix`] when the task began.
    pub listed: usize,
}

pub trait App: Sync {
    fn map(&self, ctx: &CallContext, file: &str, contents: &[u8]) -> Vec<KeyValue>;

    /// One output value for `key`; the worker writes the line `"{key} {value}"`.
    fn reduce(&self, ctx: &CallContext, key: &str, values: &[String]) -> String;

    /// Virtual milliseconds this map call takes (the course's sleeps).
    fn map_ms(&self, _ctx: &CallContext, _file: &str) -> u64 {
        0
    }

    /// Virtual milliseconds this reduce call takes.
    fn reduce_ms(&self, _ctx: &CallContext, _key: &str) -> u64 {
        0
    }

    /// A file the worker creates before this map runs (jobcount counts them).
    fn map_marker(&self, _ctx: &CallContext) -> Option<String> {
        None
    }

    /// Files the worker lists before a reduce task; the count reaches `reduce` as `listed`.
    fn reduce_listing_prefix(&self) -> Option<&'static str> {
        None
    }
}

/// The built-in apps, by the course's plugin names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AppKind {
    Wc,
    Indexer,
    MTiming,
    RTiming,
    JobCount,
    EarlyExit,
    Crash,
    NoCrash,
}

impl AppKind {
    pub const ALL: [AppKind; 8] = [
        AppKind::Wc,
        AppKind::Indexer,
        AppKind::MTiming,
        AppKind::RTiming,
        AppKind::JobCount,
        AppKind::EarlyExit,
        AppKind::Crash,
        AppKind::NoCrash,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AppKind::Wc => "wc",
            AppKind::Indexer => "indexer",
            AppKind::MTiming => "mtiming",
            AppKind::RTiming => "rtiming",
            AppKind::JobCount => "jobcount",
            AppKind::EarlyExit => "early_exit",
            AppKind::Crash => "crash",
            AppKind::NoCrash => "nocrash",
        }
    }

    pub fn app(self) -> &'static dyn App {
        match self {
            AppKind::Wc => &WordCount,
            AppKind::Indexer => &Indexer,
            AppKind::MTiming => &MTiming,
            AppKind::RTiming => &RTiming,
            AppKind::JobCount => &JobCount,
            AppKind::EarlyExit => &EarlyExit,
            AppKind::Crash => &Crash,
            AppKind::NoCrash => &NoCrash,
        }
    }
}

impl fmt::Display for AppKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownApp(pub String);

impl fmt::Display for UnknownApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = AppKind::ALL.iter().map(|kind| kind.name()).collect();
        write!(f, "unknown app {:?} (known: {})", self.0, names.join(", "))
    }
}

impl std::error::Error for UnknownApp {}

impl FromStr for AppKind {
    type Err = UnknownApp;

    fn from_str(name: &str) -> Result<AppKind, UnknownApp> {
        // Accept the course's plugin file names too: `wc.so`, `../mrapps/wc.so`.
        let base = name.rsplit('/').next().unwrap_or(name);
        let base = base.strip_suffix(".so").unwrap_or(base);
        AppKind::ALL
            .into_iter()
            .find(|kind| {
                kind.name() == base || (base == "early-exit" && *kind == AppKind::EarlyExit)
            })
            .ok_or_else(|| UnknownApp(name.to_string()))
    }
}

/// FNV-1a over `text`, for apps that need a deterministic "random" choice.
pub(crate) fn fnv64(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
pub(crate) fn ctx(worker: u32, now_ms: u64) -> CallContext {
    CallContext {
        worker: NodeId(worker),
        now: Time::from_ms(now_ms),
        invocation: 0,
        listed: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for kind in AppKind::ALL {
            assert_eq!(kind.name().parse::<AppKind>(), Ok(kind));
        }
        assert_eq!("../mrapps/wc.so".parse::<AppKind>(), Ok(AppKind::Wc));
        assert!("wordcount".parse::<AppKind>().is_err());
    }
}
