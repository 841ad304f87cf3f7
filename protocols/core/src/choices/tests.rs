use super::*;
use crate::rng::{index, range_inclusive, Ratio};
use rand_core::RngCore;
use std::collections::BTreeMap;

/// A little of everything a run draws, from two streams of one source.
fn draws(choices: &Choices) -> Vec<u64> {
    let mut a = choices.stream(6, "a", 0);
    let mut b = choices.stream(6, "b", 0);
    let mut out = Vec::new();
    for i in 0..50u64 {
        out.push(range_inclusive(&mut a, 10, 10 + i * 1_000));
        out.push(u64::from(Ratio::percent(30).chance(&mut b)));
        out.push(index(&mut b, 7) as u64);
        out.push(range_inclusive(&mut a, 5, 5));
        out.push(crate::rng::range_toward_high(&mut b, 100, 5_000));
        out.push(a.next_u64() >> 32);
        out.push(choices.node_seed(9, i));
    }
    out
}

#[test]
fn recording_changes_nothing_and_its_buffer_replays_the_same_choices() {
    let seeded = draws(&Choices::seeded());
    let recording = Choices::record();
    assert_eq!(draws(&recording), seeded);
    let buffer = recording.recorded().expect("recorded");
    assert_eq!(draws(&Choices::buffer(buffer.clone())), seeded);
    // Changed bytes are a different run; the original replays again afresh.
    let mut edited = buffer.clone();
    edited.iter_mut().take(8).for_each(|b| *b ^= 0xff);
    assert_ne!(draws(&Choices::buffer(edited)), seeded);
    assert_eq!(draws(&Choices::buffer(buffer).fresh()), seeded);
}

#[test]
fn zeros_are_the_quiet_choice() {
    let empty = Choices::buffer(Vec::new());
    let mut rng = empty.stream(1, "x", 0);
    assert_eq!(range_inclusive(&mut rng, 300, 5_000), 300);
    assert!(!Ratio::new(99, 100).chance(&mut rng));
    assert_eq!(index(&mut rng, 5), 0);
    assert_eq!(crate::rng::range_toward_high(&mut rng, 300, 5_000), 5_000);
    assert_eq!(rng.next_u64(), 0);
    // Node seeds still differ from node to node.
    assert_ne!(empty.node_seed(1, 0), empty.node_seed(1, 1));
    assert_eq!(empty.consumed(), Some(2 + 1 + 1 + 2 + 8 + 16));
}

#[test]
fn a_buffer_byte_reads_as_a_chance_about_as_often_as_the_ratio_says() {
    let hits = (0..=255u8)
        .filter(|&b| chance_from_byte(b, 30, 100))
        .count();
    assert!((70..=85).contains(&hits), "{hits}");
    assert!(chance_from_byte(255, 1, 1000));
    assert!(!chance_from_byte(0, 999, 1000));
    assert_eq!(
        (width(0), width(255), width(256), width(u64::MAX)),
        (0, 1, 2, 8)
    );
}

#[test]
fn keep_marks_draw_nothing_from_a_seed_and_a_buffer_zero_drops() {
    // A seeded stream with marks between its draws gives the draws it gives without.
    let plain: Vec<u64> = {
        let mut rng = Choices::seeded().stream(3, "s", 0);
        (0..20)
            .map(|_| range_inclusive(&mut rng, 0, 1_000))
            .collect()
    };
    let recording = Choices::record();
    let mut rng = recording.stream(3, "s", 0);
    let mut marked = Vec::new();
    for i in 0..20 {
        assert!(rng.keep(Mark::Op { client: i }));
        marked.push(range_inclusive(&mut rng, 0, 1_000));
    }
    assert!(recording.keep(Mark::Fault));
    assert_eq!(marked, plain);
    let bytes = recording.recorded().expect("recorded");
    assert_eq!(bytes[0], 1, "a recording keeps with a 1");
    assert_eq!(bytes.len(), 20 * 3 + 1);
    assert_eq!(recording.run_length(2_000, 20_000), 20_000);
    assert_eq!(Choices::seeded().run_length(2_000, 20_000), 20_000);
    let lengths = Choices::buffer(vec![255, 0, 51]);
    let got: Vec<u64> = (0..4).map(|_| lengths.run_length(0, 1_000)).collect();
    assert_eq!(got, vec![1_000, 0, 200, 0]);
    // A buffer keeps on a nonzero byte and drops on a zero (and past its end).
    let buffer = Choices::buffer(vec![7, 0]);
    assert!(buffer.keep(Mark::Fault));
    assert!(!buffer.keep(Mark::Fault));
    assert!(!buffer.keep(Mark::Fault));
}

#[test]
fn a_labelled_run_names_the_stream_and_kind_of_every_draw_inside_the_buffer() {
    let recording = Choices::record();
    let mut shape = recording.stream(1, "shape", 0);
    let mut net = recording.stream(1, "network", 0);
    range_inclusive(&mut shape, 0, 70_000);
    recording.keep(Mark::Fault);
    Ratio::percent(40).chance(&mut net);
    recording.node_seed(1, 0);
    let bytes = recording.recorded().expect("recorded");
    let labelled = Choices::labelled(bytes.clone());
    let mut shape = labelled.stream(1, "shape", 0);
    let mut net = labelled.stream(1, "network", 0);
    range_inclusive(&mut shape, 0, 70_000);
    labelled.keep(Mark::Fault);
    Ratio::percent(40).chance(&mut net);
    labelled.node_seed(1, 0);
    range_inclusive(&mut net, 0, 9); // past the end: not labelled
    let labels = labelled.labels().expect("labelled");
    let seen: Vec<(&str, Kind, usize, usize)> = labels
        .spans
        .iter()
        .map(|s| (labels.stream(s), s.kind, s.range().start, s.range().end))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("shape", Kind::Draw, 0, 3),
            ("marks", Kind::Keep(Mark::Fault), 3, 4),
            ("network", Kind::Draw, 4, 5),
            ("node", Kind::NodeSeed, 5, 13),
        ]
    );
    assert_eq!(bytes.len(), 13);
    // A plain buffer run and a recording keep no labels; a fresh labelled run does.
    assert_eq!(Choices::buffer(bytes).labels(), None);
    assert_eq!(recording.labels(), None);
    assert_eq!(labelled.fresh().labels(), Some(Labels::default()));
}

/// A run of two workers: `shape` says how many of ten rounds worker `a` draws in; worker
/// `b` draws in every round, and client 0 and 1 of stream `w` take turns, each operation a
/// keep mark and one draw. Returns every value drawn, by who drew it.
fn workers(choices: &Choices) -> BTreeMap<&'static str, Vec<u64>> {
    let mut out: BTreeMap<&'static str, Vec<u64>> = BTreeMap::new();
    let mut shape = choices.stream(6, "shape", 0);
    let (mut a, mut b) = (choices.stream(6, "a", 0), choices.stream(6, "b", 0));
    let mut w = choices.stream(6, "w", 0);
    let rounds = range_inclusive(&mut shape, 1, 10);
    out.entry("w")
        .or_default()
        .push(range_inclusive(&mut w, 0, 999));
    let mut running = [true, true];
    for round in 0..10u32 {
        if round < rounds as u32 {
            out.entry("a")
                .or_default()
                .push(range_inclusive(&mut a, 0, 999));
        }
        out.entry("b")
            .or_default()
            .push(range_inclusive(&mut b, 0, 70_000));
        let client = round % 2;
        let who = ["client 0", "client 1"][client as usize];
        running[client as usize] &= w.keep(Mark::Op { client });
        if running[client as usize] {
            out.entry(who)
                .or_default()
                .push(range_inclusive(&mut w, 0, 999));
        }
    }
    out
}

/// A recording of [`workers`] whose shape draws many rounds, and its labels.
fn recorded_workers() -> (Vec<u8>, Labels) {
    let recording = Choices::record();
    workers(&recording);
    let bytes = recording.recorded().expect("recorded");
    let labelled = Choices::labelled(bytes.clone());
    workers(&labelled);
    (bytes, labelled.labels().expect("labelled"))
}

#[test]
fn a_realigned_run_with_no_edit_is_the_same_run_and_records_its_buffer() {
    let (bytes, labels) = recorded_workers();
    let realigned = Choices::realigned(Draws::from_labels(&labels, &bytes, &bytes, |_| false));
    assert_eq!(
        workers(&realigned),
        workers(&Choices::buffer(bytes.clone()))
    );
    assert_eq!(realigned.recorded(), Some(bytes.clone()));
    assert_eq!(realigned.labels(), Some(labels));
    // A fresh run of it reads the old draws again from their start.
    assert_eq!(realigned.fresh().recorded(), Some(Vec::new()));
    assert_eq!(
        workers(&realigned.fresh()),
        workers(&Choices::buffer(bytes))
    );
}

#[test]
fn removing_one_streams_draws_leaves_the_other_streams_values() {
    let (bytes, labels) = recorded_workers();
    let before = workers(&Choices::buffer(bytes.clone()));
    assert!(
        before["a"].len() > 2,
        "the recording draws several rounds of a"
    );
    // The edit: the shape draw lowered to zero (one round of `a`).
    let shape = labels.spans[0];
    assert_eq!(labels.stream(&shape), "shape");
    let mut edited = bytes.clone();
    edited[shape.range()].fill(0);
    // In one shared buffer, every later draw of `b` reads other bytes.
    let raw = workers(&Choices::buffer(edited.clone()));
    assert_eq!(raw["a"].len(), 1);
    assert_ne!(raw["b"], before["b"]);
    // Realigned, `b` and the clients draw what they drew, and `a` its first value.
    let realigned = Choices::realigned(Draws::from_labels(&labels, &bytes, &edited, |_| false));
    let after = workers(&realigned);
    assert_eq!(after["a"], before["a"][..1]);
    for who in ["b", "w", "client 0", "client 1"] {
        assert_eq!(after[who], before[who], "{who}");
    }
    // What it recorded is a plain buffer that replays the same run.
    let recorded = realigned.recorded().expect("recorded");
    assert_eq!(workers(&Choices::buffer(recorded)), after);
}

#[test]
fn ending_one_client_leaves_the_other_clients_draws() {
    let (bytes, labels) = recorded_workers();
    let before = workers(&Choices::buffer(bytes.clone()));
    // Client 0's second operation's mark zeroed: it stops after one operation.
    let mark = labels
        .spans
        .iter()
        .filter(|s| s.kind == Kind::Keep(Mark::Op { client: 0 }))
        .nth(1)
        .expect("client 0 has operations");
    let mut edited = bytes.clone();
    edited[mark.range()].fill(0);
    let raw = workers(&Choices::buffer(edited.clone()));
    assert_eq!(raw["client 0"], before["client 0"][..1]);
    let realigned = Choices::realigned(Draws::from_labels(&labels, &bytes, &edited, |_| false));
    let after = workers(&realigned);
    assert_eq!(after["client 0"], before["client 0"][..1]);
    assert_eq!(after["client 1"], before["client 1"]);
    // A deleted draw is skipped: `a`'s first draw gone, it draws the rest one earlier.
    let first_a = labels
        .spans
        .iter()
        .find(|s| labels.stream(s) == "a")
        .copied();
    let dropped = Draws::from_labels(&labels, &bytes, &bytes, |s| Some(*s) == first_a);
    let shifted = workers(&Choices::realigned(dropped));
    assert_eq!(shifted["a"][..before["a"].len() - 1], before["a"][1..]);
    assert_eq!(shifted["b"], before["b"]);
}
