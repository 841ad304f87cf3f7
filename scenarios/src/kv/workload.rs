//! The course's client loops (`GenericTest`'s `spawn_clients_and_wait`): each client does
//! Appends, Puts and Gets back to back on its own key (or random keys), predicting its Gets.

use kvraft::{ClerkEvent, KvEvent, Op};
use protocol_core::choices::Mark;
use protocol_core::rng::{index, range_inclusive, Rng};
use protocol_core::{NodeId, Time};
use sim::Violation;
use std::collections::BTreeSet;

/// One client loop of a round.
#[derive(Clone, Debug)]
struct ClientLoop {
    clerk: NodeId,
    /// The course's `cli`: its key without random keys, and its tag in appended values.
    cli: usize,
    /// Appends (and Puts) done so far: the course's `j`.
    count: u64,
    /// What a Get of its own key must read (without random keys).
    last: String,
    /// Whether the opening Put of "" went out (without random keys).
    opened: bool,
    running: bool,
    busy: bool,
}

/// The clients of the current round and when each next invokes.
#[derive(Debug, Default)]
pub struct Clients {
    loops: Vec<ClientLoop>,
    random_keys: bool,
    /// The range of keys with random keys: "0".."key_spread-1".
    key_spread: usize,
    /// Pause between one operation's return and the next call, in µs (min, max).
    think_us: (u64, u64),
    wakes: BTreeSet<(Time, usize)>,
}

impl Clients {
    /// Starts one loop per clerk; without random keys each first Puts "" to its key.
    pub fn start_round(
        &mut self,
        clerks: &[NodeId],
        random_keys: bool,
        key_spread: usize,
        think_us: (u64, u64),
        now: Time,
    ) {
        assert!(
            self.loops.iter().all(|c| !c.busy),
            "a round starts after the last ended"
        );
        self.random_keys = random_keys;
        self.key_spread = key_spread.max(1);
        self.think_us = think_us;
        self.loops = clerks
            .iter()
            .enumerate()
            .map(|(cli, &clerk)| ClientLoop {
                clerk,
                cli,
                count: 0,
                last: String::new(),
                opened: false,
                running: true,
                busy: true,
            })
            .collect();
        for i in 0..self.loops.len() {
            self.wakes.insert((now, i));
        }
    }

    /// Tells every loop to stop after its current operation.
    pub fn stop(&mut self) {
        for client in &mut self.loops {
            client.running = false;
        }
        let idle: Vec<(Time, usize)> = self.wakes.iter().copied().collect();
        for (at, i) in idle {
            self.wakes.remove(&(at, i));
            self.loops[i].busy = false;
        }
    }

    pub fn all_idle(&self) -> bool {
        self.loops.iter().all(|c| !c.busy)
    }

    /// Per client: (clerk, appends and puts done).
    pub fn counts(&self) -> Vec<(NodeId, u64)> {
        self.loops.iter().map(|c| (c.clerk, c.count)).collect()
    }

    pub fn next_wake(&self) -> Option<Time> {
        self.wakes.first().map(|&(at, _)| at)
    }

    /// The operations due by `now`, in a fixed order.
    pub fn take_due(&mut self, rng: &mut Rng, now: Time) -> Vec<(NodeId, Op)> {
        let mut due = Vec::new();
        while let Some(&(at, i)) = self.wakes.first() {
            if at > now {
                break;
            }
            self.wakes.remove(&(at, i));
            // A buffer run may end this client here (a shrinker dropping operations).
            if !rng.keep(Mark::Op { client: i as u32 }) {
                self.loops[i].running = false;
                self.loops[i].busy = false;
                continue;
            }
            let op = self.next_op(rng, i);
            due.push((self.loops[i].clerk, op));
        }
        due
    }

    /// A clerk reported an event; a client's return schedules its next operation.
    pub fn on_event(
        &mut self,
        rng: &mut Rng,
        now: Time,
        node: NodeId,
        event: &KvEvent,
    ) -> Result<(), Violation> {
        let KvEvent::Clerk(ClerkEvent::Returned { op, value, .. }) = event else {
            return Ok(());
        };
        let Some(i) = self.loops.iter().position(|c| c.clerk == node && c.busy) else {
            return Ok(()); // the master clerk, or a client of a finished round
        };
        let random_keys = self.random_keys;
        let client = &mut self.loops[i];
        match op {
            Op::Get { key } if !random_keys && *value != client.last => {
                return Err(Violation::new(
                    super::checks::GET_WRONG_VALUE,
                    format!(
                        "get wrong value, key {key:?}, wanted:\n{:?}\n, got\n{value:?}",
                        client.last
                    ),
                ));
            }
            Op::Get { .. } => {}
            Op::Put { value, .. } => client.last = value.clone(),
            Op::Append { value, .. } => client.last.push_str(value),
        }
        if !client.running {
            client.busy = false;
            return Ok(());
        }
        let think = range_inclusive(rng, self.think_us.0, self.think_us.1);
        self.wakes.insert((now.plus_micros(think), i));
        Ok(())
    }

    /// The course's loop body: 50% Append, with random keys 10% of the rest Put, else Get.
    fn next_op(&mut self, rng: &mut Rng, i: usize) -> Op {
        let spread = self.key_spread;
        let random_keys = self.random_keys;
        let client = &mut self.loops[i];
        let key = if random_keys {
            index(rng, spread).to_string()
        } else {
            client.cli.to_string()
        };
        if !random_keys && !client.opened {
            client.opened = true;
            return Op::Put {
                key,
                value: String::new(),
            };
        }
        let value = format!("x {} {} y", client.cli, client.count);
        if range_inclusive(rng, 0, 999) < 500 {
            client.count += 1;
            return Op::Append { key, value };
        }
        if random_keys && range_inclusive(rng, 0, 999) < 100 {
            client.count += 1;
            return Op::Put { key, value };
        }
        Op::Get { key }
    }
}
