use super::*;
use crate::apps::AppKind;
use crate::fs::FsError;
use protocol_core::Output;
use std::collections::BTreeMap;

const COORD: NodeId = NodeId(0);
const ME: NodeId = NodeId(5);

fn config(app: AppKind, mutant: Option<Mutant>) -> MrConfig {
    let mut config = MrConfig::course(COORD, vec!["in0".into(), "in1".into()], app);
    config.n_reduce = 2;
    config.mutant = mutant;
    config
}

/// A worker, booted, with its opening request answered by `reply`.
struct Rig {
    worker: Worker,
    /// A tiny in-memory file system standing in for the driver's.
    files: BTreeMap<String, Vec<u8>>,
    log: Vec<Output<Worker>>,
    now_ms: u64,
}

impl Rig {
    fn new(app: AppKind, mutant: Option<Mutant>) -> Rig {
        let mut out = Outbox::new();
        let worker = Worker::boot(
            &config(app, mutant),
            ME,
            &Disk::new(),
            1,
            Time::ZERO,
            &mut out,
        )
        .expect("valid config");
        let log: Vec<_> = out.drain().collect();
        assert!(matches!(
            log[0],
            Output::Send {
                to: COORD,
                msg: MrMsg::RequestTask { seq: 1, .. }
            }
        ));
        Rig {
            worker,
            files: BTreeMap::new(),
            log,
            now_ms: 0,
        }
    }

    /// Feeds `input`, then answers every file operation from `files` until none is pending.
    fn feed(&mut self, input: Input<Worker>) {
        let mut queue = VecDeque::from([input]);
        while let Some(input) = queue.pop_front() {
            let mut out = Outbox::new();
            self.worker
                .handle(Time::from_ms(self.now_ms), input, &mut out);
            self.worker.check_invariants();
            for output in out.drain() {
                if let Output::Emit(WorkerEvent::Fs { op, request }) = &output {
                    queue.push_back(Input::Request(FsReply {
                        op: *op,
                        result: self.apply(request),
                    }));
                }
                self.log.push(output);
            }
        }
    }

    fn apply(&mut self, request: &FsOp) -> Result<FsData, FsError> {
        let not_found = |name: &String| FsError::NotFound { name: name.clone() };
        match request {
            FsOp::Read { name } => self
                .files
                .get(name)
                .cloned()
                .map(FsData::Bytes)
                .ok_or_else(|| not_found(name)),
            FsOp::WriteTemp { name, bytes } => {
                self.files.insert(name.clone(), bytes.clone());
                Ok(FsData::Done)
            }
            FsOp::Sync { name } => self
                .files
                .get(name)
                .map(|_| FsData::Done)
                .ok_or_else(|| not_found(name)),
            FsOp::Rename { from, to } => {
                let bytes = self.files.remove(from).ok_or_else(|| not_found(from))?;
                self.files.insert(to.clone(), bytes);
                Ok(FsData::Done)
            }
            FsOp::List { prefix } => Ok(FsData::Names(
                self.files
                    .keys()
                    .filter(|n| n.starts_with(prefix))
                    .cloned()
                    .collect(),
            )),
        }
    }

    fn reply(&mut self, seq: u64, reply: Reply) {
        self.feed(Input::Message {
            from: COORD,
            msg: MrMsg::Reply { seq, reply },
        });
    }

    fn last_seq(&self) -> u64 {
        self.log
            .iter()
            .rev()
            .filter_map(|o| match o {
                Output::Send {
                    msg: MrMsg::RequestTask { seq, .. },
                    ..
                } => Some(*seq),
                _ => None,
            })
            .next()
            .expect("the worker asked at least once")
    }

    fn events(&self) -> Vec<&WorkerEvent> {
        self.log
            .iter()
            .filter_map(|o| match o {
                Output::Emit(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    fn position(&self, wanted: impl Fn(&Output<Worker>) -> bool) -> Option<usize> {
        self.log.iter().position(wanted)
    }
}

fn map_task(index: u32) -> Task {
    Task {
        id: TaskId::map(index),
        attempt: 1,
        input: Some(format!("in{index}")),
        n_map: 2,
        n_reduce: 2,
    }
}

fn reduce_task(index: u32) -> Task {
    Task {
        id: TaskId::reduce(index),
        attempt: 1,
        input: None,
        n_map: 2,
        n_reduce: 2,
    }
}

fn sends_done(output: &Output<Worker>) -> bool {
    matches!(
        output,
        Output::Send {
            to: COORD,
            msg: MrMsg::TaskDone { .. }
        }
    )
}

#[test]
fn a_map_writes_every_bucket_by_rename_then_reports_done_and_asks_again() {
    let mut rig = Rig::new(AppKind::Wc, None);
    rig.files.insert("in0".into(), b"a b a".to_vec());
    rig.reply(1, Reply::Assign(map_task(0)));
    let mut pairs = Vec::new();
    for y in 0..2 {
        let bytes = &rig.files[&intermediate_name(0, y)];
        pairs.extend(decode_intermediate(bytes).expect("our own encoding"));
    }
    assert_eq!(pairs.len(), 3);
    assert!(
        rig.files.keys().all(|name| !name.starts_with("mr-tmp")),
        "{:?}",
        rig.files.keys()
    );
    let done = rig.position(sends_done).expect("reported done");
    let last_rename = rig.position(|o| {
        matches!(
            o,
            Output::Emit(WorkerEvent::Fs {
                request: FsOp::Rename { .. },
                ..
            })
        )
    });
    assert!(last_rename.is_some_and(|r| r < done));
    assert_eq!(rig.last_seq(), 2, "asks for the next task after reporting");
}

#[test]
fn a_reduce_reads_every_map_output_and_renames_its_output_into_place() {
    let mut rig = Rig::new(AppKind::Wc, None);
    rig.files.insert("in0".into(), b"x y x".to_vec());
    rig.files.insert("in1".into(), b"x z".to_vec());
    rig.reply(1, Reply::Assign(map_task(0)));
    rig.reply(2, Reply::Assign(map_task(1)));
    rig.reply(3, Reply::Assign(reduce_task(0)));
    rig.reply(4, Reply::Assign(reduce_task(1)));
    let mut lines: Vec<String> = (0..2)
        .map(|y| String::from_utf8(rig.files[&output_name(y)].clone()).expect("utf8"))
        .collect::<String>()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    assert_eq!(lines, ["x 3", "y 1", "z 1"]);
}

#[test]
fn a_failed_file_operation_abandons_the_task_without_reporting_it() {
    let mut rig = Rig::new(AppKind::Wc, None);
    rig.reply(1, Reply::Assign(map_task(0))); // in0 does not exist
    assert!(rig
        .events()
        .iter()
        .any(|e| matches!(e, WorkerEvent::Abandoned { .. })));
    assert!(rig.position(sends_done).is_none());
    assert_eq!(rig.last_seq(), 2);
}

#[test]
fn late_or_duplicate_replies_are_ignored() {
    let mut rig = Rig::new(AppKind::Wc, None);
    rig.reply(1, Reply::Wait);
    let before = rig.log.len();
    rig.reply(1, Reply::Assign(map_task(0))); // an answer to a request already answered
    assert_eq!(rig.log.len(), before);
}

#[test]
fn wait_then_ask_again_and_exit_when_told() {
    let mut rig = Rig::new(AppKind::Wc, None);
    rig.reply(1, Reply::Wait);
    assert!(
        matches!(rig.log.last(), Some(Output::SetTimer { timer: WorkerTimer::Ask, at }) if *at == Time::from_ms(500))
    );
    rig.now_ms = 500;
    rig.feed(Input::Timer(WorkerTimer::Ask));
    assert_eq!(rig.last_seq(), 2);
    rig.reply(2, Reply::Exit);
    assert_eq!(
        rig.events().last(),
        Some(&&WorkerEvent::Exited(ExitReason::JobDone))
    );
    assert!(rig.worker.has_exited());
    let before = rig.log.len();
    rig.feed(Input::Timer(WorkerTimer::Ask)); // stale
    assert_eq!(rig.log.len(), before);
}

#[test]
fn gives_up_after_unanswered_requests() {
    let mut rig = Rig::new(AppKind::Wc, None);
    for _ in 0..3 {
        assert!(!rig.worker.has_exited());
        rig.now_ms += 1_000;
        rig.feed(Input::Timer(WorkerTimer::Ask));
    }
    assert_eq!(
        rig.events().last(),
        Some(&&WorkerEvent::Exited(ExitReason::CoordinatorGone))
    );
    assert_eq!(rig.last_seq(), 3, "asked three times in all, then gave up");
}

#[test]
fn a_timed_app_holds_its_results_for_the_declared_duration() {
    let mut rig = Rig::new(AppKind::MTiming, None);
    rig.files.insert("in0".into(), Vec::new());
    rig.reply(1, Reply::Assign(map_task(0)));
    assert!(
        rig.files.keys().all(|n| !n.starts_with("mr-")),
        "wrote before its time"
    );
    assert!(
        matches!(rig.log.last(), Some(Output::SetTimer { timer: WorkerTimer::Work, at }) if *at == Time::from_ms(1_000))
    );
    rig.now_ms = 1_000;
    rig.feed(Input::Timer(WorkerTimer::Work));
    assert!(rig.files.contains_key("mr-0-1") && rig.position(sends_done).is_some());
}

#[test]
fn jobcount_marks_each_map_and_its_reduce_counts_the_marks() {
    let mut rig = Rig::new(AppKind::JobCount, None);
    rig.files.insert("in0".into(), Vec::new());
    rig.files.insert("in1".into(), Vec::new());
    for (seq, index) in [(1, 0), (2, 1)] {
        rig.reply(seq, Reply::Assign(map_task(index)));
        rig.now_ms += 5_000;
        rig.feed(Input::Timer(WorkerTimer::Work));
    }
    let markers = rig
        .files
        .keys()
        .filter(|n| n.starts_with("mr-worker-jobcount"))
        .count();
    assert_eq!(markers, 2);
    let bucket = crate::task::ihash("a") % 2;
    rig.reply(3, Reply::Assign(reduce_task(bucket)));
    assert_eq!(rig.files[&output_name(bucket)], b"a 2\n");
}

/// True if no file with a final name (`mr-X-Y`, `mr-out-Y`) was ever written directly: a
/// crash mid-write must not leave a partial final file.
fn final_names_only_appear_by_rename(mutant: Option<Mutant>) -> bool {
    let mut rig = Rig::new(AppKind::Wc, mutant);
    rig.files.insert("in0".into(), b"a b".to_vec());
    rig.reply(1, Reply::Assign(map_task(0)));
    let mut renames = 0;
    for output in &rig.log {
        match output {
            Output::Emit(WorkerEvent::Fs {
                request: FsOp::WriteTemp { name, .. },
                ..
            }) if !name.starts_with("mr-tmp") => return false,
            Output::Emit(WorkerEvent::Fs {
                request: FsOp::Rename { .. },
                ..
            }) => renames += 1,
            _ => {}
        }
    }
    assert_eq!(renames, 2, "one rename per bucket");
    true
}

#[test]
fn outputs_are_written_to_a_temp_file_and_renamed() {
    assert!(final_names_only_appear_by_rename(None));
    assert!(!final_names_only_appear_by_rename(Some(
        Mutant::WriteInPlace
    )));
}
