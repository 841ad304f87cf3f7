//! Static configuration of controller servers and clerks: the types every Raft-backed
//! service shares (`protocol_core::service`), with the controller's mutants.

use crate::mutant::Mutant;

pub use protocol_core::service::ClerkConfig;

pub type ServerConfig = protocol_core::service::ServerConfig<raft::Config, Mutant>;
