//! The checks the simulator itself runs, whatever the protocol.

use protocol_core::CheckId;

/// A core or a check panicked inside a step: an assertion of the protocol's own.
pub const ASSERTION: CheckId = CheckId::new("assertion");
/// A node could not boot from its disk or its config.
pub const BOOT: CheckId = CheckId::new("boot");
/// Virtual time stopped advancing: nodes bounced events at one instant without end.
pub const LIVELOCK: CheckId = CheckId::new("livelock");
/// The run used up its budget of events or of virtual time: a protocol that never settles
/// (messages ping-ponging with no backoff) or a scenario that never ends.
pub const STUCK: CheckId = CheckId::new("stuck");
/// The run used up its wall-clock budget. Unlike every other check this is not a function of
/// the seed (a loaded machine is slower), so sweeps count it apart from failures.
pub const TIMEOUT: CheckId = CheckId::new("timeout");
