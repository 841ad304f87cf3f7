//! One node type for a whole run: the coordinator or a worker, chosen by its config.

use crate::coordinator::Coordinator;
use crate::worker::Worker;

protocol_core::roles! {
    /// The coordinator or a worker, when one node type must host a whole job.
    pub enum MrNode {
        msg: crate::msg::MrMsg,
        #[derive(Clone, Debug)] config: MrNodeConfig,
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)] timer: MrTimer,
        #[derive(Clone, Debug, PartialEq, Eq, Hash)] request: MrRequest,
        #[derive(Clone, Debug, PartialEq, Eq, Hash)] event: MrEvent,
        roles {
            Coordinator(Coordinator) as_coordinator,
            Worker(Worker) as_worker,
        }
    }
}
