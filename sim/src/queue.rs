//! The event queue: earliest time first, and insertion order among equal times.

use protocol_core::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A priority queue keyed by `(time, seq)`. `seq` is a counter, so two events at the same
/// virtual time come out in the order they went in, independent of anything else.
///
/// The heap orders small keys; the events themselves (messages with their bytes, faults)
/// sit still in a slab while the heap sifts, so a push or pop moves 24-byte keys instead of
/// whole events.
pub struct EventQueue<E> {
    heap: BinaryHeap<Key>,
    slots: Vec<Option<E>>,
    /// Slots whose events were popped, for reuse.
    free: Vec<u32>,
    next_seq: u64,
}

struct Key {
    time: Time,
    seq: u64,
    slot: u32,
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    /// Reversed, so the max-heap yields the earliest `(time, seq)`.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, time: Time, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 queued events")
            }
        };
        self.heap.push(Key { time, seq, slot });
    }

    pub fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|key| key.time)
    }

    pub fn pop(&mut self) -> Option<(Time, E)> {
        let key = self.heap.pop()?;
        let event = self.slots[key.slot as usize]
            .take()
            .expect("a queued key names a full slot");
        self.free.push(key.slot);
        Some((key.time, event))
    }

    /// Every queued event with its time, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Time, &E)> {
        self.heap.iter().map(|key| {
            let event = self.slots[key.slot as usize].as_ref();
            (key.time, event.expect("a queued key names a full slot"))
        })
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_then_insertion_order() {
        let mut queue = EventQueue::new();
        queue.push(Time(5), "late");
        queue.push(Time(1), "first");
        queue.push(Time(1), "second");
        queue.push(Time(3), "middle");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, vec!["first", "second", "middle", "late"]);
        assert!(queue.is_empty());
    }

    #[test]
    fn reused_slots_keep_the_order() {
        let mut queue = EventQueue::new();
        queue.push(Time(2), 'a');
        queue.push(Time(1), 'b');
        assert_eq!(queue.pop(), Some((Time(1), 'b')));
        // 'c' takes b's slot; order is still by (time, insertion).
        queue.push(Time(2), 'c');
        queue.push(Time(0), 'd');
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(order, vec![(Time(0), 'd'), (Time(2), 'a'), (Time(2), 'c')]);
        assert_eq!(queue.slots.len(), 3, "popped slots are reused");
    }
}
