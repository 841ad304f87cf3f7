//! Calls and returns of one partition in time order, as the search walks and edits them.

use crate::history::Operation;

/// Calls and returns in time order, as a doubly linked list over indices with two sentinels.
pub(crate) struct EntryList {
    pub next: Vec<u32>,
    prev: Vec<u32>,
    /// The local operation of each entry.
    pub op: Vec<u32>,
    pub is_call: Vec<bool>,
    /// The return entry of each call entry (and the call of each return).
    partner: Vec<u32>,
    head: u32,
    pub tail: u32,
}

impl EntryList {
    /// Entries for `ops` (none failed); an open operation returns after everything else.
    pub fn new<I, O>(ops: &[&Operation<I, O>]) -> EntryList {
        // (time, returns after calls at equal times, op, is_call): equal times overlap.
        let mut order: Vec<(u64, bool, u32, bool)> = Vec::with_capacity(ops.len() * 2);
        for (local, op) in ops.iter().enumerate() {
            assert!(!op.is_failed(), "failed operations are not searched");
            order.push((op.call, false, local as u32, true));
            order.push((op.ret.unwrap_or(u64::MAX), true, local as u32, false));
        }
        order.sort_unstable();
        let count = order.len() as u32;
        let (head, tail) = (count, count + 1);
        // Entries 0..count in order, then the head and tail sentinels.
        let mut next: Vec<u32> = (1..=count).collect();
        next.extend([if count == 0 { tail } else { 0 }, tail]);
        let mut prev: Vec<u32> = [head]
            .into_iter()
            .chain(0..count.saturating_sub(1))
            .collect();
        prev.truncate(count as usize);
        prev.extend([head, if count == 0 { head } else { count - 1 }]);
        if let Some(last) = count.checked_sub(1) {
            next[last as usize] = tail;
        }
        let mut list = EntryList {
            next,
            prev,
            op: order.iter().map(|entry| entry.2).collect(),
            is_call: order.iter().map(|entry| entry.3).collect(),
            partner: vec![0; count as usize],
            head,
            tail,
        };
        let mut call_of_op = vec![u32::MAX; ops.len()];
        for entry in 0..count {
            let op = list.op[entry as usize] as usize;
            if list.is_call[entry as usize] {
                call_of_op[op] = entry;
            } else {
                let call = call_of_op[op];
                assert!(call != u32::MAX, "op {op}: return before call");
                list.partner[call as usize] = entry;
                list.partner[entry as usize] = call;
            }
        }
        list
    }

    pub fn first(&self) -> u32 {
        self.next[self.head as usize]
    }

    pub fn is_empty(&self) -> bool {
        self.first() == self.tail
    }

    fn unlink(&mut self, entry: u32) {
        let (prev, next) = (self.prev[entry as usize], self.next[entry as usize]);
        self.next[prev as usize] = next;
        self.prev[next as usize] = prev;
    }

    fn relink(&mut self, entry: u32) {
        let (prev, next) = (self.prev[entry as usize], self.next[entry as usize]);
        self.next[prev as usize] = entry;
        self.prev[next as usize] = entry;
    }

    /// Takes a call and its return out of the list.
    pub fn lift(&mut self, call: u32) {
        assert!(self.is_call[call as usize]);
        self.unlink(call);
        self.unlink(self.partner[call as usize]);
    }

    /// Puts them back, in the reverse order of `lift`.
    pub fn unlift(&mut self, call: u32) {
        self.relink(self.partner[call as usize]);
        self.relink(call);
    }
}
