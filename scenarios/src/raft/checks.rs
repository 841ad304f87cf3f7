//! The checks of the Raft scenarios, each declared once; the cluster-wide invariants come
//! from Raft's own cluster checker (`raft::checks`).

use sim::CheckId;

/// `one()`, `wait()`: a command did not reach agreement on enough servers.
pub const AGREEMENT: CheckId = CheckId::new("agreement");
/// A command committed at another index than the test expected.
pub const INDEX: CheckId = CheckId::new("index");
/// `Start()` answered what the test did not expect.
pub const START: CheckId = CheckId::new("start");
/// `checkOneLeader`: two leaders in a term, or none when one was due.
pub const ONE_LEADER: CheckId = CheckId::new("one-leader");
/// `checkNoLeader`: a connected server leads without a majority.
pub const NO_LEADER: CheckId = CheckId::new("no-leader");
/// `checkTerms`: connected servers disagree on the term.
pub const TERMS_AGREE: CheckId = CheckId::new("terms-agree");
/// The term is below what an election must have reached.
pub const TERM: CheckId = CheckId::new("term");
/// The term moved though nothing failed.
pub const STABLE_TERM: CheckId = CheckId::new("stable-term");
/// Something due after a heal did not happen within its bound (a leader, a commit).
pub const LIVENESS: CheckId = CheckId::new("liveness");
/// A command committed without a majority.
pub const NO_MAJORITY: CheckId = CheckId::new("no-majority");
/// TestCount: more RPCs than the bound.
pub const RPC_COUNT: CheckId = CheckId::new("rpc-count");
/// TestRPCBytes: more bytes than the bound.
pub const RPC_BYTES: CheckId = CheckId::new("rpc-bytes");
/// The Raft state on disk outgrew the course's bound despite snapshots.
pub const LOG_SIZE: CheckId = CheckId::new("log-size");
/// A churn client got stuck or never tried.
pub const CLIENT: CheckId = CheckId::new("client");
/// A commit a client saw is missing from the final log.
pub const CLIENT_COMMITS_DURABLE: CheckId = CheckId::new("client-commits-durable");
/// A rebooted server lost the term, vote or log its last incarnation promised (made durable).
pub const DURABLE_ACROSS_RESTART: CheckId = CheckId::new("durable-across-restart");
/// A snapshot's bytes do not decode or do not match its index.
pub const SNAPSHOT_BYTES: CheckId = CheckId::new("snapshot-bytes");
/// A server emitted a snapshot nobody took.
pub const SNAPSHOT: CheckId = CheckId::new("snapshot");
/// The cluster-wide properties, from Raft's own cluster checker (the course's `checkLogs`
/// and apply-order checks report under the same names).
pub use raft::checks::{
    APPLY_ORDER, ELECTION_SAFETY, LEADER_COMPLETENESS, LOG_MATCHING, STATE_MACHINE_SAFETY,
};
