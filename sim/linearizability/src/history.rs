//! What concurrent clients saw: operations with call and return times, or ordered events.

use std::collections::BTreeMap;
use std::fmt;

/// One operation as its client saw it.
///
/// - `ret: Some(t)`, `output: Some(o)`: completed in `[call, t]` with answer `o`.
/// - `ret: None`, `output: None`: outcome unknown (a crashed client, a timed-out request). The
///   operation stays open to the end of the history: it may take effect at any point after its
///   call, or not at all.
/// - `ret: Some(t)`, `output: None`: failed, definitely without effect (a cas that was refused
///   before it ran). It is shown but not checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    pub client: u64,
    pub call: u64,
    pub ret: Option<u64>,
    pub input: I,
    pub output: Option<O>,
}

impl<I, O> Operation<I, O> {
    /// Outcome unknown: open to the end of the history.
    pub fn is_open(&self) -> bool {
        self.ret.is_none()
    }

    /// Ended without effect: left out of the search.
    pub fn is_failed(&self) -> bool {
        self.ret.is_some() && self.output.is_none()
    }
}

/// A history: operations in any order (the checker orders them by time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History<I, O> {
    pub operations: Vec<Operation<I, O>>,
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        History {
            operations: Vec::new(),
        }
    }
}

/// One event of an event-shaped history: a client calls, or its outstanding operation ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<I, O> {
    pub client: u64,
    pub kind: EventKind<I, O>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind<I, O> {
    /// The client invokes an operation; it has at most one outstanding.
    Call(I),
    /// The outstanding operation returned this answer.
    Return(O),
    /// The outstanding operation ended without effect.
    Fail,
    /// The outstanding operation's outcome is unknown; it stays open to the end.
    Unknown,
}

/// An event-shaped history that does not describe operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryError {
    /// Event `index` calls for a client whose operation from event `outstanding` has not ended.
    CallWhileOutstanding {
        index: usize,
        client: u64,
        outstanding: usize,
    },
    /// Event `index` ends an operation of a client that has none outstanding.
    EndWithoutCall { index: usize, client: u64 },
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::CallWhileOutstanding {
                index,
                client,
                outstanding,
            } => write!(
                f,
                "event {index}: client {client} calls while its call of event {outstanding} is outstanding"
            ),
            HistoryError::EndWithoutCall { index, client } => {
                write!(f, "event {index}: client {client} has no operation outstanding")
            }
        }
    }
}

impl std::error::Error for HistoryError {}

impl<I, O> History<I, O> {
    pub fn new(operations: Vec<Operation<I, O>>) -> Self {
        for op in &operations {
            if let Some(ret) = op.ret {
                assert!(
                    ret >= op.call,
                    "client {}: return {ret} before call {}",
                    op.client,
                    op.call
                );
            }
        }
        History { operations }
    }

    /// Builds operations from ordered events; an event's time is its index. Operations still
    /// outstanding at the end stay open.
    pub fn from_events(events: Vec<Event<I, O>>) -> Result<Self, HistoryError> {
        // client -> (index of its outstanding call event, index of its operation)
        let mut outstanding: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
        let mut operations = Vec::new();
        for (index, event) in events.into_iter().enumerate() {
            let client = event.client;
            let time = index as u64;
            if let EventKind::Call(input) = event.kind {
                if let Some(&(call_index, _)) = outstanding.get(&client) {
                    return Err(HistoryError::CallWhileOutstanding {
                        index,
                        client,
                        outstanding: call_index,
                    });
                }
                outstanding.insert(client, (index, operations.len()));
                operations.push(Operation {
                    client,
                    call: time,
                    ret: None,
                    input,
                    output: None,
                });
                continue;
            }
            let Some((_, op_index)) = outstanding.remove(&client) else {
                return Err(HistoryError::EndWithoutCall { index, client });
            };
            let op: &mut Operation<I, O> = &mut operations[op_index];
            match event.kind {
                EventKind::Call(_) => unreachable!("calls handled above"),
                EventKind::Return(output) => {
                    op.ret = Some(time);
                    op.output = Some(output);
                }
                EventKind::Fail => op.ret = Some(time),
                EventKind::Unknown => {}
            }
        }
        Ok(History::new(operations))
    }

    /// How many distinct clients appear.
    pub fn client_count(&self) -> usize {
        let clients: std::collections::BTreeSet<u64> =
            self.operations.iter().map(|op| op.client).collect();
        clients.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(client: u64, input: u32) -> Event<u32, u32> {
        Event {
            client,
            kind: EventKind::Call(input),
        }
    }

    fn end(client: u64, kind: EventKind<u32, u32>) -> Event<u32, u32> {
        Event { client, kind }
    }

    #[test]
    fn events_become_operations_with_index_times() {
        let events = vec![
            call(1, 10),
            call(2, 20),
            end(2, EventKind::Return(21)),
            call(3, 30),
            end(1, EventKind::Unknown),
            end(3, EventKind::Fail),
            call(4, 40),
        ];
        let history = History::from_events(events).unwrap();
        let ops = &history.operations;
        assert_eq!(ops.len(), 4);
        assert_eq!((ops[0].call, ops[0].ret, ops[0].output), (0, None, None));
        assert!(ops[0].is_open());
        assert_eq!(
            (ops[1].call, ops[1].ret, ops[1].output),
            (1, Some(2), Some(21))
        );
        assert!(ops[2].is_failed());
        assert!(
            ops[3].is_open(),
            "an operation outstanding at the end stays open"
        );
        assert_eq!(history.client_count(), 4);
    }

    #[test]
    fn events_that_are_not_operations_are_errors() {
        let double = History::from_events(vec![call(1, 1), call(1, 2)]);
        assert_eq!(
            double,
            Err(HistoryError::CallWhileOutstanding {
                index: 1,
                client: 1,
                outstanding: 0
            })
        );
        let orphan = History::<u32, u32>::from_events(vec![end(5, EventKind::Return(1))]);
        assert_eq!(
            orphan,
            Err(HistoryError::EndWithoutCall {
                index: 0,
                client: 5
            })
        );
    }
}
