//! A realigned run (see [`super::Choices::realigned`]): each draw is answered from the
//! old run's draws of the same *lane* (its stream, by name, and what it was for), in their
//! own order, so that removing some draws (a client that ends early, a node no longer made)
//! shifts no other stream's values, as it would in one shared buffer.

use super::labels::{Kind, Labels, Mark, Span};
use std::collections::{BTreeMap, VecDeque};

/// What a draw of one stream was for, finer than [`Kind`]: a client's operation marks are
/// one lane per client, and a stream's typed draws go to the lane of the client whose kept
/// operation mark the stream read last (the draws of that operation), or to `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Lane {
    Draw { client: Option<u32> },
    NodeSeed,
    Fault,
    Op { client: u32 },
    Length,
}

impl Lane {
    fn of(kind: Kind, client: Option<u32>) -> Lane {
        match kind {
            Kind::Draw => Lane::Draw { client },
            Kind::NodeSeed => Lane::NodeSeed,
            Kind::Keep(Mark::Fault) => Lane::Fault,
            Kind::Keep(Mark::Op { client }) => Lane::Op { client },
            Kind::Length => Lane::Length,
        }
    }
}

/// One stream's old draws, by lane, and which client's operation it last kept.
#[derive(Clone, Debug, Default)]
struct StreamDraws {
    lanes: BTreeMap<Lane, VecDeque<Vec<u8>>>,
    last_op: Option<u32>,
}

impl StreamDraws {
    /// The lane of a draw of `kind` made now; a kept operation mark (`value` nonzero)
    /// becomes the owner of the draws that follow it.
    fn lane(&mut self, kind: Kind, value: &[u8]) -> Lane {
        let lane = Lane::of(kind, self.last_op);
        if let Kind::Keep(Mark::Op { client }) = kind {
            if value.iter().any(|&b| b != 0) {
                self.last_op = Some(client);
            }
        }
        lane
    }
}

/// The draws of an old run, by stream name and lane: what a realigned run answers from.
#[derive(Clone, Debug, Default)]
pub struct Draws {
    streams: BTreeMap<String, StreamDraws>,
}

impl Draws {
    /// The draws a labelled run of `old` made (`labels`), with the values of `edited` (the
    /// same length as `old`: marks zeroed, draws lowered), leaving out the spans `deleted`
    /// says. Lanes follow the old run (which operations it kept), as the draws were made.
    pub fn from_labels(
        labels: &Labels,
        old: &[u8],
        edited: &[u8],
        deleted: impl Fn(&Span) -> bool,
    ) -> Draws {
        assert_eq!(old.len(), edited.len(), "an edit keeps every byte in place");
        let mut draws = Draws::default();
        for span in &labels.spans {
            let range = span.range();
            if range.end > old.len() {
                continue; // read past the end: zeros, which an exhausted lane answers too
            }
            let stream = draws
                .streams
                .entry(labels.stream(span).to_string())
                .or_default();
            let lane = stream.lane(span.kind, &old[range.clone()]);
            if !deleted(span) {
                let queue = stream.lanes.entry(lane).or_default();
                queue.push_back(edited[range].to_vec());
            }
        }
        draws
    }

    /// A live copy of stream `name`'s old draws, for one run (empty if it drew none).
    pub(super) fn stream(&self, name: &str) -> StreamQueue {
        let lanes = self.streams.get(name).map(|s| s.lanes.clone());
        StreamQueue(StreamDraws {
            lanes: lanes.unwrap_or_default(),
            last_op: None, // the run starts afresh
        })
    }
}

/// The old draws of one stream of a live realigned run.
#[derive(Clone, Debug, Default)]
pub(super) struct StreamQueue(StreamDraws);

impl StreamQueue {
    /// Answers a draw of `kind` into `out`: the lane's next old draw if it is as wide,
    /// zeros if the lane is exhausted or the draw's width differs (it is used up either way).
    pub(super) fn answer(&mut self, kind: Kind, out: &mut [u8]) {
        if out.is_empty() {
            return; // a range of one value reads nothing, and was not labelled either
        }
        let lane = Lane::of(kind, self.0.last_op);
        let next = self.0.lanes.get_mut(&lane).and_then(VecDeque::pop_front);
        match next {
            Some(old) if old.len() == out.len() => out.copy_from_slice(&old),
            _ => out.fill(0),
        }
        let _ = self.0.lane(kind, out);
    }
}
