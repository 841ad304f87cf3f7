//! Servers and clerks as one node type, so both live in one simulated run.

use crate::clerk::Clerk;
use crate::server::KvServer;

protocol_core::roles! {
    /// A KV server or a clerk. What the watch of a run sees: `KvEvent::Server` for every
    /// entry or snapshot a server's store ran, `KvEvent::Clerk` for both ends of every
    /// operation (the history).
    pub enum KvNode {
        msg: crate::msg::KvMsg,
        #[derive(Clone, Debug, PartialEq, Eq)] config: KvConfig,
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)] timer: KvTimer,
        #[derive(Clone, Debug, PartialEq, Eq, Hash)] request: KvRequest,
        #[derive(Clone, Debug, PartialEq, Eq, Hash)] event: KvEvent,
        roles {
            Server(KvServer) as_server,
            Clerk(Clerk) as_clerk,
        }
    }
}
