use super::*;
use crate::rng::{index, range_inclusive, Ratio};
use rand_core::RngCore;

/// A little of everything a run draws, from two streams of one source.
fn draws(choices: &Choices) -> Vec<u64> {
    let mut a = choices.stream(9, "a", 0);
    let mut b = choices.stream(9, "b", 0);
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
