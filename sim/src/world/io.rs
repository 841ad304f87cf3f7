//! What happens inside one step: deliveries, timers, a node's outputs carried out in order.

use super::{Event, Frame, Sim, TimerState};
use crate::hash::{checksum, hash_value};
use crate::observer::{NodesView, Observer};
use crate::stats::DropReason;
use crate::trace::TraceRecord;
use protocol_core::rng::{index, range_inclusive};
use protocol_core::{Input, Message as _, Node, NodeId, Outbox, Output, Time};

impl<N: Node, O: Observer<N>> Sim<N, O> {
    pub(super) fn deliver(&mut self, frame: Frame) {
        let to = frame.to;
        let slot = &self.slots[to.index()];
        if !self.is_up(to)
            || slot.incarnation != frame.to_incarnation
            || self.slots[frame.from.index()].incarnation != frame.from_incarnation
        {
            return self.drop_frame(&frame, DropReason::NodeDown);
        }
        if !self.links.is_up(frame.from, to) {
            return self.drop_frame(&frame, DropReason::Partitioned);
        }
        if slot.paused_until > self.now {
            let resume = slot.paused_until;
            self.queue.push(resume, Event::Deliver(frame));
            return;
        }
        if checksum(&frame.bytes) != frame.checksum {
            return self.drop_frame(&frame, DropReason::Corrupt);
        }
        let msg: N::Msg = match postcard::from_bytes(&frame.bytes) {
            Ok(msg) => msg,
            Err(_) => return self.drop_frame(&frame, DropReason::Undecodable),
        };
        self.stats.steps += 1;
        self.stats.count_delivery(frame.kind, to.index());
        let record = TraceRecord::Deliver {
            from: frame.from,
            to,
            kind: frame.kind,
            bytes: frame.bytes.len() as u32,
            sent: frame.sent,
        };
        if self.trace.is_rendering() {
            self.trace.line(
                self.now,
                &[frame.from, to],
                format_args!("{to} recv from {}: {msg:?}", frame.from),
            );
        }
        self.trace.record(self.now, record, frame.checksum);
        self.handle(
            to,
            Input::Message {
                from: frame.from,
                msg,
            },
        );
    }

    pub(super) fn fire(&mut self, node: NodeId, incarnation: u32, timer: N::Timer, at: Time) {
        let slot = &mut self.slots[node.index()];
        if slot.incarnation != incarnation {
            return; // From before a crash.
        }
        let Some(state) = slot.timers.get_mut(&timer) else {
            return;
        }; // Cancelled.
        if state.queued != Some(at) {
            return; // Superseded by an earlier queued event for the same timer.
        }
        let due = slot.clock.global(state.local_at).max(slot.paused_until);
        if due > self.now {
            // Re-armed later, or the node is paused: move the one event forward.
            state.queued = Some(due);
            self.queue.push(
                due,
                Event::Timer {
                    node,
                    incarnation,
                    timer,
                    at: due,
                },
            );
            return;
        }
        slot.timers.remove(&timer);
        self.stats.steps += 1;
        self.stats.timers_fired += 1;
        self.trace
            .line(self.now, &[node], format_args!("{node} timer {timer:?}"));
        self.trace
            .record(self.now, TraceRecord::Timer { node, timer }, 0);
        self.handle(node, Input::Timer(timer));
    }

    pub(super) fn handle(&mut self, id: NodeId, input: Input<N>) {
        let local_now = self.slots[id.index()].clock.local(self.now);
        let mut outbox = std::mem::take(&mut self.outbox);
        let node = self.nodes[id.index()]
            .as_mut()
            .expect("handle: node is up (checked by caller)");
        node.handle(local_now, input, &mut outbox);
        self.finish_step(id, &mut outbox);
        self.outbox = outbox;
    }

    /// Carries out a node's outputs in order, then runs the checks. Once a check has failed
    /// (an emitted event broke a property) the rest of the step is not carried out: the
    /// report shows the world as it was when the check fired.
    pub(super) fn finish_step(&mut self, id: NodeId, outbox: &mut Outbox<N>) {
        let cut = self.mid_step_cut(id, outbox.len());
        for (done, output) in outbox.drain().enumerate() {
            // A halt or an armed crash stops the node: what it asked for after is not done.
            if self.failure.is_some() || !self.is_up(id) || cut == Some(done) {
                break;
            }
            self.carry_out(id, output);
        }
        if cut.is_some() && self.is_up(id) {
            self.observer.on_crash_within_step(self.now, id);
            self.crash(id);
        }
        // The observer's typed checks first: where one of them sees what a node's own
        // assertion would, the report names the property rather than a panic.
        self.after_step(Some(id));
        if let Some(node) = self.nodes[id.index()].as_ref() {
            node.check_invariants();
        }
    }

    /// `stepped`: the one node the step ran (`None`: a fault, which may touch any).
    pub(super) fn after_step(&mut self, stepped: Option<NodeId>) {
        if self.failure.is_some() {
            return;
        }
        let crashed = std::mem::take(&mut self.crash_unseen);
        let view = NodesView {
            nodes: &self.nodes,
            stepped: stepped.filter(|_| !crashed),
        };
        if let Err(violation) = self.observer.after_step(self.now, &view) {
            self.record_failure(violation);
        }
        self.sample_states(stepped);
    }

    fn carry_out(&mut self, id: NodeId, output: Output<N>) {
        match output {
            Output::Send { to, msg } => self.send(id, to, &msg),
            Output::SetTimer { timer, at } => {
                let slot = &mut self.slots[id.index()];
                let deadline = slot.clock.global(at).max(self.now);
                let incarnation = slot.incarnation;
                let state = slot.timers.entry(timer).or_insert(TimerState {
                    local_at: at,
                    queued: None,
                });
                state.local_at = at;
                if state.queued.is_none_or(|queued| queued > deadline) {
                    state.queued = Some(deadline);
                    self.queue.push(
                        deadline,
                        Event::Timer {
                            node: id,
                            incarnation,
                            timer,
                            at: deadline,
                        },
                    );
                }
            }
            Output::CancelTimer(timer) => {
                self.slots[id.index()].timers.remove(&timer);
            }
            Output::Persist(write) => self.persist(id, write),
            Output::File(op) => self.file_op(id, op),
            Output::Sync { target, token } => self.sync(id, target, Some(token)),
            Output::Halt(reason) => self.halt(id, reason),
            Output::Emit(event) => self.emit(id, event),
        }
    }

    fn emit(&mut self, id: NodeId, event: N::Event) {
        if self.trace.is_rendering() {
            self.trace
                .line(self.now, &[id], format_args!("{id} emit {event:?}"));
        }
        let content = hash_value(&event);
        self.trace
            .record(self.now, TraceRecord::Emit { node: id }, content);
        if let Err(violation) = self.observer.on_emit(self.now, id, &event) {
            self.record_failure(violation);
        }
        if self.capture_emits {
            self.emitted.push_back((self.now, id, event));
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: &N::Msg) {
        assert!(
            to.index() < self.nodes.len(),
            "{from} sends to unknown node {to}"
        );
        // Encoded into a buffer kept between sends, then copied out at its exact length: one
        // allocation per frame, where encoding into a fresh Vec grew it a few times.
        let mut scratch = std::mem::take(&mut self.encode_scratch);
        scratch.clear();
        // Encoding a derived serde type into a Vec cannot fail.
        let scratch = postcard::to_extend(msg, scratch).expect("postcard encodes derived types");
        let bytes = scratch.clone();
        self.encode_scratch = scratch;
        let kind = msg.kind();
        self.stats.count_send(kind, bytes.len());
        if self.trace.is_rendering() {
            self.trace.line(
                self.now,
                &[from, to],
                format_args!("{from} send to {to}: {msg:?}"),
            );
        }
        let frame = Frame {
            from,
            from_incarnation: self.slots[from.index()].incarnation,
            to,
            to_incarnation: self.slots[to.index()].incarnation,
            kind,
            checksum: checksum(&bytes),
            bytes,
            sent: self.now,
        };
        if self.slots[from.index()].chain.busy() {
            // A `Persist` is not yet durable: the send leaves once it is.
            return self.slots[from.index()].held.push_back(frame);
        }
        self.transmit(frame);
    }

    /// Puts a sent frame on the network: partitions, loss and duplication first.
    pub(super) fn transmit(&mut self, frame: Frame) {
        let (from, to, kind) = (frame.from, frame.to, frame.kind);
        if !self.links.is_up(from, to) {
            return self.drop_frame(&frame, DropReason::Partitioned);
        }
        if self.network.loss.chance(&mut self.network_rng) {
            return self.drop_frame(&frame, DropReason::Lost);
        }
        if self.network.duplicate.chance(&mut self.network_rng) {
            self.stats.duplicated += 1;
            if self.trace.is_rendering() {
                let text = format_args!("duplicate {kind} {from}->{to}: two copies in flight");
                self.trace.line(self.now, &[from, to], text);
            }
            self.trace.record(
                self.now,
                TraceRecord::Duplicate { from, to, kind },
                frame.checksum,
            );
            let copy = Frame {
                bytes: frame.bytes.clone(),
                ..frame
            };
            self.launch(copy);
        }
        self.launch(frame);
    }

    /// Puts a frame on the wire with its latency, reordering and corruption drawn.
    fn launch(&mut self, mut frame: Frame) {
        let network = self.network;
        let drawn = network.latency.sample(&mut self.network_rng);
        // This message's number among all sent, from zero (it was counted when sent).
        let sent = self.stats.sent.saturating_sub(1);
        let mut latency =
            self.scheduler
                .latency(self.now, frame.from, sent, drawn, &network.latency);
        let rng = &mut self.network_rng;
        if network.long_reorder.chance(rng) {
            latency += range_inclusive(
                rng,
                network.long_reorder_min_us,
                network.long_reorder_max_us,
            );
        }
        if network.corrupt.chance(rng) && !frame.bytes.is_empty() {
            let at = index(rng, frame.bytes.len());
            let bit = range_inclusive(rng, 0, 7);
            frame.bytes[at] ^= 1 << bit;
        }
        self.queue
            .push(self.now.plus_micros(latency), Event::Deliver(frame));
    }

    fn drop_frame(&mut self, frame: &Frame, reason: DropReason) {
        self.stats.count_drop(reason);
        let record = TraceRecord::Drop {
            from: frame.from,
            to: frame.to,
            kind: frame.kind,
            reason,
            sent: frame.sent,
        };
        if self.trace.is_rendering() {
            self.line_for_drop(frame, reason);
        }
        self.trace.record(self.now, record, frame.checksum);
    }

    pub(super) fn boot(&mut self, id: NodeId) {
        self.slots[id.index()].disk.corrupted_since_boot = false;
        let slot = &self.slots[id.index()];
        let node_seed = self.choices.node_seed(
            self.seed,
            (u64::from(id.0) << 32) | u64::from(slot.incarnation),
        );
        let local_now = slot.clock.local(self.now);
        let mut outbox = std::mem::take(&mut self.outbox);
        match N::boot(
            &slot.config,
            id,
            slot.disk.view(),
            node_seed,
            local_now,
            &mut outbox,
        ) {
            Ok(node) => {
                self.nodes[id.index()] = Some(node);
                self.finish_step(id, &mut outbox);
            }
            Err(error) => {
                outbox.drain().for_each(drop);
                self.boot_failed(id, error);
            }
        }
        self.outbox = outbox;
    }

    /// A dropped frame's line, with its contents where they still decode.
    fn line_for_drop(&mut self, frame: &Frame, reason: DropReason) {
        let (from, to) = (frame.from, frame.to);
        let msg = match reason {
            DropReason::Corrupt | DropReason::Undecodable => None,
            _ => postcard::from_bytes::<N::Msg>(&frame.bytes).ok(),
        };
        let text = match msg {
            Some(msg) => format!("drop {from}->{to} {}: {msg:?}", reason.name()),
            None => format!("drop {} {from}->{to} {}", frame.kind, reason.name()),
        };
        self.trace.line(self.now, &[from, to], text);
    }
}
