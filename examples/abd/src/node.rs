//! Servers and clients as one node type, so both live in one simulated run.

use crate::client::Client;
use crate::server::Server;

protocol_core::roles! {
    pub enum AbdNode {
        msg: crate::msg::AbdMsg,
        #[derive(Clone, Debug)] config: AbdConfig,
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)] timer: AbdTimer,
        #[derive(Clone, Debug, Hash)] request: AbdRequest,
        #[derive(Clone, Debug, Hash)] event: AbdEvent,
        roles {
            Server(Server) as_server,
            Client(Client) as_client,
        }
    }
}
