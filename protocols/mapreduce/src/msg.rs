//! What workers and the coordinator say to each other.

use crate::task::{Task, TaskId};
use protocol_core::Message;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MrMsg {
    /// Worker to coordinator: give me work. `seq` tags the request so that a late answer
    /// to an earlier request is recognised and ignored. `finished` repeats the task the
    /// worker last reported done until an answer comes: the network may deliver this request
    /// before that `TaskDone`, and the coordinator must not hand the task back to run again.
    RequestTask {
        seq: u64,
        finished: Option<(TaskId, u32)>,
    },
    /// Coordinator to worker: the answer to request `seq`.
    Reply { seq: u64, reply: Reply },
    /// Worker to coordinator: the task's outputs are renamed into place.
    TaskDone { task: TaskId, attempt: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Assign(Task),
    /// Every task of the current phase is handed out; ask again later.
    Wait,
    /// The job is done: exit.
    Exit,
}

impl Message for MrMsg {
    fn kind(&self) -> &'static str {
        match self {
            MrMsg::RequestTask { .. } => "RequestTask",
            MrMsg::Reply {
                reply: Reply::Assign(_),
                ..
            } => "Assign",
            MrMsg::Reply {
                reply: Reply::Wait, ..
            } => "Wait",
            MrMsg::Reply {
                reply: Reply::Exit, ..
            } => "Exit",
            MrMsg::TaskDone { .. } => "TaskDone",
        }
    }
}
