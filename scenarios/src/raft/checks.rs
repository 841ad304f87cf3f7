//! The checks of the Raft scenarios, each declared once; the cluster-wide invariants come
//! from Raft's own cluster checker.

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
/// A rebooted server lost the term, vote or log its last incarnation held.
pub const DURABLE_ACROSS_RESTART: CheckId = CheckId::new("durable-across-restart");
/// A snapshot's bytes do not decode or do not match its index.
pub const SNAPSHOT_BYTES: CheckId = CheckId::new("snapshot-bytes");
/// A server emitted a snapshot nobody took.
pub const SNAPSHOT: CheckId = CheckId::new("snapshot");
/// The course's `checkLogs`: two servers applied different commands at one index.
pub const STATE_MACHINE_SAFETY: CheckId = CheckId::new("state-machine-safety");
/// A server applied out of order or with a gap.
pub const APPLY_ORDER: CheckId = CheckId::new("apply-order");
/// Raft's cluster checker: at most one leader per term over the whole run.
pub const ELECTION_SAFETY: CheckId = CheckId::new("election-safety");
/// Raft's cluster checker: logs that agree at an index agree on everything before it.
pub const LOG_MATCHING: CheckId = CheckId::new("log-matching");
/// Raft's cluster checker: a leader holds every committed entry.
pub const LEADER_COMPLETENESS: CheckId = CheckId::new("leader-completeness");
/// A cluster-checker message of a kind not named above.
pub const RAFT_INVARIANT: CheckId = CheckId::new("raft-invariant");

/// A cluster-checker message as a violation of the check it names in its leading words
/// ("election safety: ..." is [`ELECTION_SAFETY`]).
pub fn cluster_violation(message: String) -> sim::Violation {
    let named = message
        .split_once(':')
        .map(|(name, _)| name.replace(' ', "-"));
    let check = [
        ELECTION_SAFETY,
        LOG_MATCHING,
        LEADER_COMPLETENESS,
        STATE_MACHINE_SAFETY,
        APPLY_ORDER,
    ]
    .into_iter()
    .find(|check| named.as_deref() == Some(check.name()))
    .unwrap_or(RAFT_INVARIANT);
    sim::Violation::new(check, message)
}
