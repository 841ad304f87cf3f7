//! The course's goroutines of the Raft tests as the kit's virtual-time actors: `one` calls
//! that run concurrently, and churn clients.

use super::checks;
use super::harness::{RaftHarness, Step};
use super::watch::command_value;
use protocol_core::choices::Mark;
use protocol_core::rng::{range_inclusive, Rng};
use protocol_core::Time;
use sim_kit::actors::Actor;

enum OneState {
    /// Looking for a leader to accept the command.
    Seek(Time),
    /// Accepted at `index`; polling until `until`.
    Wait {
        index: u64,
        until: Time,
        next: Time,
    },
    Done,
}

/// The course's `one(cmd, expectedServers, retry)`: within 10 s, some leader accepts the
/// command and at least `expected` servers commit it at that index (polling every 20 ms for
/// up to 2 s per attempt; 50 ms between rounds in which nobody accepted).
pub struct OneActor {
    command: Vec<u8>,
    expected: usize,
    retry: bool,
    give_up: Time,
    state: OneState,
    /// The index it committed at, once done.
    pub index: Option<u64>,
}

impl OneActor {
    pub fn new(h: &RaftHarness, command: Vec<u8>, expected: usize, retry: bool) -> OneActor {
        let now = h.now();
        OneActor {
            command,
            expected,
            retry,
            give_up: now.plus_ms(10_000),
            state: OneState::Seek(now),
            index: None,
        }
    }

    fn failed(&self, h: &mut RaftHarness) -> Step {
        let value = command_value(&self.command);
        Err(h.fail(
            checks::AGREEMENT,
            format!("one({value}) failed to reach agreement"),
        ))
    }
}

impl Actor<RaftHarness> for OneActor {
    fn wake_at(&self) -> Option<Time> {
        match self.state {
            OneState::Seek(at) => Some(at),
            OneState::Wait { next, .. } => Some(next),
            OneState::Done => None,
        }
    }

    fn step(&mut self, h: &mut RaftHarness) -> Step {
        let now = h.now();
        if let OneState::Seek(_) = self.state {
            if now >= self.give_up {
                return self.failed(h);
            }
            match h.start_round_robin(&self.command) {
                Some(index) => {
                    let until = now.plus_ms(2_000);
                    self.state = OneState::Wait {
                        index,
                        until,
                        next: now,
                    };
                }
                None => {
                    self.state = OneState::Seek(now.plus_ms(50));
                    return Ok(());
                }
            }
        }
        let OneState::Wait { index, until, .. } = self.state else {
            return Ok(());
        };
        let (count, value) = h.n_committed(index);
        if count >= self.expected && value == Some(command_value(&self.command)) {
            self.index = Some(index);
            self.state = OneState::Done;
        } else if now < until {
            self.state = OneState::Wait {
                index,
                until,
                next: now.plus_ms(20),
            };
        } else if self.retry && now < self.give_up {
            self.state = OneState::Seek(now);
        } else {
            return self.failed(h);
        }
        Ok(())
    }
}

enum ChurnState {
    Idle(Time),
    /// Started `value` at `index`; `polls` of the five done.
    Polling {
        index: u64,
        value: u64,
        polls: usize,
        next: Time,
    },
    Stopped,
}

/// The course's churn client goroutine: start a random value on every live server; if one
/// accepted, poll `nCommitted` after 0, 10, 20, 50, 100, 200 ms and remember the value if it
/// committed; else sleep 79 + 17 × id ms. Stops at its next idle point once told to.
pub struct ChurnClient {
    id: u64,
    rng: Rng,
    state: ChurnState,
    stopping: bool,
    /// Values this client saw committed.
    pub values: Vec<u64>,
    pub attempts: u64,
}

const POLL_SLEEPS_MS: [u64; 5] = [10, 20, 50, 100, 200];

impl ChurnClient {
    pub fn new(h: &RaftHarness, id: u64) -> ChurnClient {
        ChurnClient {
            id,
            rng: h.sim.derive_rng(&format!("client-{id}")),
            state: ChurnState::Idle(h.sim.now()),
            stopping: false,
            values: Vec::new(),
            attempts: 0,
        }
    }

    pub fn stop(&mut self) {
        self.stopping = true;
    }

    fn start_one(&mut self, h: &mut RaftHarness, now: Time) {
        let value = range_inclusive(&mut self.rng, 0, (1 << 62) - 1);
        self.attempts += 1;
        let mut accepted = None;
        for i in 0..h.servers {
            if let Some((index, _)) = h.start(i, super::watch::command_bytes(value)) {
                accepted = Some(index);
            }
        }
        self.state = match accepted {
            Some(index) => ChurnState::Polling {
                index,
                value,
                polls: 0,
                next: now,
            },
            None => ChurnState::Idle(now.plus_ms(79 + 17 * self.id)),
        };
    }
}

impl Actor<RaftHarness> for ChurnClient {
    fn wake_at(&self) -> Option<Time> {
        match self.state {
            ChurnState::Idle(at) => Some(at),
            ChurnState::Polling { next, .. } => Some(next),
            ChurnState::Stopped => None,
        }
    }

    fn step(&mut self, h: &mut RaftHarness) -> Step {
        let now = h.now();
        if let ChurnState::Idle(_) = self.state {
            // A buffer run may end this client here (a shrinker dropping operations).
            if self.stopping
                || !self.rng.keep(Mark::Op {
                    client: self.id as u32,
                })
            {
                self.state = ChurnState::Stopped;
                return Ok(());
            }
            self.start_one(h, now);
        }
        let ChurnState::Polling {
            index,
            value,
            polls,
            ..
        } = self.state
        else {
            return Ok(());
        };
        if polls == POLL_SLEEPS_MS.len() {
            self.state = ChurnState::Idle(now);
            return Ok(());
        }
        let (count, committed) = h.n_committed(index);
        if count > 0 {
            if committed == Some(value) {
                self.values.push(value);
            }
            self.state = ChurnState::Idle(now);
        } else {
            let next = now.plus_ms(POLL_SLEEPS_MS[polls]);
            self.state = ChurnState::Polling {
                index,
                value,
                polls: polls + 1,
                next,
            };
        }
        Ok(())
    }
}
