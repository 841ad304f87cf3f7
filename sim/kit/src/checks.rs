//! The checks the kit runs for every protocol, beside the simulator's own (`sim::checks`).

use protocol_core::CheckId;

/// The scenario ran past its time limit (the course's 120 s per test).
pub const TIME_LIMIT: CheckId = CheckId::new("time-limit");
/// The client history is not linearizable, or its check could not decide.
pub const LINEARIZABLE: CheckId = CheckId::new("linearizable");
/// The clients' history is malformed: an operation invoked twice or returned twice, a return
/// nobody invoked. A protocol (or its clerk) that reports this is broken, whatever it stored.
pub const HISTORY: CheckId = CheckId::new("history");
