use super::*;
use crate::apps::AppKind;
use protocol_core::Output;

fn config(n_map: usize, n_reduce: u32, mutant: Option<Mutant>) -> MrConfig {
    let inputs = (0..n_map).map(|i| format!("in{i}")).collect();
    let mut config = MrConfig::course(NodeId(0), inputs, AppKind::Wc);
    config.n_reduce = n_reduce;
    config.mutant = mutant;
    config
}

fn boot(config: &MrConfig) -> Coordinator {
    let mut out = Outbox::new();
    let node = Coordinator::boot(config, NodeId(0), &Disk::new(), 1, Time::ZERO, &mut out)
        .expect("valid config");
    assert!(out.is_empty(), "a coordinator says nothing at boot");
    node
}

/// Feeds one input and returns what came out, checking invariants after the step.
fn step(
    node: &mut Coordinator,
    now_ms: u64,
    input: Input<Coordinator>,
) -> Vec<Output<Coordinator>> {
    let mut out = Outbox::new();
    node.handle(Time::from_ms(now_ms), input, &mut out);
    node.check_invariants();
    out.drain().collect()
}

fn ask(node: &mut Coordinator, now_ms: u64, worker: u32) -> Reply {
    let from = NodeId(worker);
    let outputs = step(
        node,
        now_ms,
        Input::Message {
            from,
            msg: MrMsg::RequestTask {
                seq: 7,
                finished: None,
            },
        },
    );
    let replies: Vec<Reply> = outputs
        .into_iter()
        .filter_map(|output| match output {
            Output::Send {
                to,
                msg: MrMsg::Reply { seq: 7, reply },
            } if to == from => Some(reply),
            _ => None,
        })
        .collect();
    assert_eq!(replies.len(), 1, "exactly one answer per request");
    replies.into_iter().next().expect("checked above")
}

fn assigned(reply: Reply) -> (TaskId, u32) {
    match reply {
        Reply::Assign(task) => (task.id, task.attempt),
        other => panic!("expected an assignment, got {other:?}"),
    }
}

fn done(
    node: &mut Coordinator,
    now_ms: u64,
    worker: u32,
    task: TaskId,
    attempt: u32,
) -> Vec<CoordEvent> {
    let msg = MrMsg::TaskDone { task, attempt };
    events(step(
        node,
        now_ms,
        Input::Message {
            from: NodeId(worker),
            msg,
        },
    ))
}

fn events(outputs: Vec<Output<Coordinator>>) -> Vec<CoordEvent> {
    outputs
        .into_iter()
        .filter_map(|output| match output {
            Output::Emit(event) => Some(event),
            _ => None,
        })
        .collect()
}

fn timeout(node: &mut Coordinator, now_ms: u64, task: TaskId) -> Vec<CoordEvent> {
    events(step(
        node,
        now_ms,
        Input::Timer(CoordTimer::TaskTimeout(task)),
    ))
}

#[test]
fn hands_out_one_map_per_input_then_says_wait() {
    let mut c = boot(&config(2, 1, None));
    assert_eq!(assigned(ask(&mut c, 0, 1)), (TaskId::map(0), 1));
    assert_eq!(assigned(ask(&mut c, 0, 2)), (TaskId::map(1), 1));
    assert_eq!(ask(&mut c, 0, 3), Reply::Wait);
    // A worker that asks while holding a task lost our answer: it gets the same task.
    assert_eq!(assigned(ask(&mut c, 1, 1)), (TaskId::map(0), 1));
}

/// Runs maps with one still in progress and reports whether a reduce was handed out early.
fn reduce_waits_for_every_map(mutant: Option<Mutant>) -> Result<(), String> {
    let mut c = boot(&config(2, 2, mutant));
    let (map0, _) = assigned(ask(&mut c, 0, 1));
    let (map1, _) = assigned(ask(&mut c, 0, 2));
    done(&mut c, 1, 1, map0, 1);
    let early = ask(&mut c, 2, 3);
    if early != Reply::Wait {
        return Err(format!("handed out {early:?} while {map1} was running"));
    }
    let events = done(&mut c, 3, 2, map1, 1);
    if !events.contains(&CoordEvent::MapPhaseDone) {
        return Err(format!("all maps done but no MapPhaseDone: {events:?}"));
    }
    match ask(&mut c, 4, 3) {
        Reply::Assign(task) if task.id == TaskId::reduce(0) => Ok(()),
        other => Err(format!("expected reduce0 after the maps, got {other:?}")),
    }
}

#[test]
fn reduce_phase_starts_only_after_every_map_is_done() {
    assert_eq!(reduce_waits_for_every_map(None), Ok(()));
    assert!(reduce_waits_for_every_map(Some(Mutant::ReduceBeforeMapsDone)).is_err());
}

fn reassigns_after_timeout(mutant: Option<Mutant>) -> Result<(), String> {
    let mut c = boot(&config(1, 1, mutant));
    assert_eq!(assigned(ask(&mut c, 0, 1)), (TaskId::map(0), 1));
    // A timer input before the deadline (stale or early) changes nothing.
    if !timeout(&mut c, 9_999, TaskId::map(0)).is_empty() {
        return Err("timed out before the deadline".into());
    }
    if ask(&mut c, 9_999, 2) != Reply::Wait {
        return Err("reassigned before the deadline".into());
    }
    timeout(&mut c, 10_000, TaskId::map(0));
    match ask(&mut c, 10_001, 2) {
        Reply::Assign(task) if (task.id, task.attempt) == (TaskId::map(0), 2) => Ok(()),
        other => Err(format!(
            "expected map0 attempt 2 for the next worker, got {other:?}"
        )),
    }
}

#[test]
fn a_task_is_reassigned_after_its_timeout_and_not_before() {
    assert_eq!(reassigns_after_timeout(None), Ok(()));
    assert!(reassigns_after_timeout(Some(Mutant::NoReassign)).is_err());
}

/// One map, two reduces; a slow worker's late completion and duplicates must be ignored.
fn ignores_late_and_duplicate_completions(
    mutant: Option<Mutant>,
) -> Result<Vec<CoordEvent>, String> {
    let mut c = boot(&config(1, 2, mutant));
    let mut all = Vec::new();
    assign_and_time_out(&mut c, &mut all);
    // Worker 2 got map0 attempt 2; slow worker 1 finishes first (its files are in place).
    all.extend(done(&mut c, 11_000, 1, TaskId::map(0), 1));
    all.extend(done(&mut c, 11_001, 2, TaskId::map(0), 2));
    let (r0, _) = assigned(ask(&mut c, 11_002, 1));
    all.extend(done(&mut c, 11_003, 1, r0, 1));
    all.extend(done(&mut c, 11_004, 1, r0, 1));
    if c.is_done() {
        return Err("a duplicate completion finished the job".into());
    }
    let (r1, _) = assigned(ask(&mut c, 11_005, 2));
    all.extend(done(&mut c, 11_006, 2, r1, 1));
    // After the job: a late map completion and another duplicate.
    all.extend(done(&mut c, 11_007, 3, TaskId::map(0), 1));
    all.extend(done(&mut c, 11_008, 2, r1, 1));
    if !c.is_done() {
        return Err("every reduce done but the job is not".into());
    }
    Ok(all)
}

fn assign_and_time_out(c: &mut Coordinator, all: &mut Vec<CoordEvent>) {
    assigned(ask(c, 0, 1));
    all.extend(timeout(c, 10_000, TaskId::map(0)));
    assert_eq!(assigned(ask(c, 10_000, 2)), (TaskId::map(0), 2));
}

#[test]
fn late_and_duplicate_completions_are_ignored_and_the_job_ends_once() {
    let events = ignores_late_and_duplicate_completions(None).expect("no mutant");
    let ignored = events
        .iter()
        .filter(|e| matches!(e, CoordEvent::IgnoredCompletion { .. }))
        .count();
    assert_eq!(ignored, 4, "{events:?}");
    let job_done = events.iter().filter(|e| **e == CoordEvent::JobDone).count();
    assert_eq!(job_done, 1, "{events:?}");
    assert!(
        ignores_late_and_duplicate_completions(Some(Mutant::CountDuplicateCompletions)).is_err()
    );
}

#[test]
fn exit_is_sent_once_the_job_is_done() {
    let mut c = boot(&config(1, 1, None));
    let (map0, _) = assigned(ask(&mut c, 0, 1));
    assert_ne!(ask(&mut c, 0, 2), Reply::Exit);
    done(&mut c, 1, 1, map0, 1);
    let (r0, _) = assigned(ask(&mut c, 2, 1));
    assert_eq!(
        done(&mut c, 3, 1, r0, 1),
        vec![
            CoordEvent::Completed {
                task: r0,
                attempt: 1,
                worker: NodeId(1)
            },
            CoordEvent::JobDone,
        ]
    );
    assert_eq!(ask(&mut c, 4, 1), Reply::Exit);
    assert_eq!(ask(&mut c, 5, 2), Reply::Exit);
    // A reduce timer still pending when the job ended does nothing.
    assert!(timeout(&mut c, 20_000, r0).is_empty());
}

#[test]
fn completion_of_a_never_assigned_attempt_is_ignored() {
    let mut c = boot(&config(1, 1, None));
    assigned(ask(&mut c, 0, 1));
    let events = done(&mut c, 1, 1, TaskId::map(0), 2);
    assert!(
        matches!(events[..], [CoordEvent::IgnoredCompletion { .. }]),
        "{events:?}"
    );
    assert_eq!(c.phase(), Phase::Map);
}

#[test]
fn boot_rejects_a_job_with_no_inputs() {
    let config = config(0, 1, None);
    let result = Coordinator::boot(
        &config,
        NodeId(0),
        &Disk::new(),
        1,
        Time::ZERO,
        &mut Outbox::new(),
    );
    assert!(matches!(result, Err(BootError::InvalidConfig { .. })));
}

/// Found by `mr-job-count` seed 1: a worker's next request overtook its `TaskDone`, and the
/// coordinator handed it the finished task to run again (jobcount then counted 9 maps).
#[test]
fn a_request_that_overtakes_its_task_done_does_not_rerun_the_task() {
    let mut c = boot(&config(2, 1, None));
    let (task, attempt) = assigned(ask(&mut c, 0, 1));
    let outputs = step(
        &mut c,
        10,
        Input::Message {
            from: NodeId(1),
            msg: MrMsg::RequestTask {
                seq: 8,
                finished: Some((task, attempt)),
            },
        },
    );
    let next = outputs.iter().find_map(|o| match o {
        Output::Send {
            msg:
                MrMsg::Reply {
                    reply: Reply::Assign(next),
                    ..
                },
            ..
        } => Some(next.id),
        _ => None,
    });
    assert_eq!(next, Some(TaskId::map(1)), "the worker gets the other map");
    let completed = events(outputs)
        .into_iter()
        .any(|e| matches!(e, CoordEvent::Completed { task: t, .. } if t == task));
    assert!(completed, "the finished task counts as done");
    // The late TaskDone is then a duplicate.
    let late = done(&mut c, 11, 1, task, attempt);
    assert!(matches!(late[..], [CoordEvent::IgnoredCompletion { .. }]));
}

/// Sends `worker`'s request naming the task it last finished; returns the answer and events.
fn ask_having_finished(
    node: &mut Coordinator,
    now_ms: u64,
    worker: u32,
    finished: (TaskId, u32),
) -> (Option<Reply>, Vec<CoordEvent>) {
    let msg = MrMsg::RequestTask {
        seq: 9,
        finished: Some(finished),
    };
    let from = NodeId(worker);
    let outputs = step(node, now_ms, Input::Message { from, msg });
    let reply = outputs.iter().find_map(|o| match o {
        Output::Send {
            to,
            msg: MrMsg::Reply { seq: 9, reply },
        } if *to == from => Some(reply.clone()),
        _ => None,
    });
    (reply, events(outputs))
}

/// Found by `mr-random` seed 1816: the last reduce timed out while its slow worker was still
/// running it; the worker's next request (naming the finished attempt) overtook its
/// `TaskDone`, and the coordinator handed the task back to that same worker instead of
/// ending the job, so the worker ran a redundant attempt past the job's end.
#[test]
fn a_finished_note_for_a_timed_out_task_counts_and_the_worker_is_told_to_exit() {
    let mut c = boot(&config(1, 1, None));
    let (map0, _) = assigned(ask(&mut c, 0, 1));
    done(&mut c, 1, 1, map0, 1);
    let (r0, attempt) = assigned(ask(&mut c, 2, 1));
    assert_eq!(timeout(&mut c, 10_002, r0).len(), 1, "the reduce timed out");
    let (reply, events) = ask_having_finished(&mut c, 10_100, 1, (r0, attempt));
    assert_eq!(reply, Some(Reply::Exit), "{events:?}");
    assert_eq!(
        events,
        vec![
            CoordEvent::Completed {
                task: r0,
                attempt,
                worker: NodeId(1)
            },
            CoordEvent::JobDone,
        ]
    );
    // The overtaken TaskDone is then a duplicate.
    let late = done(&mut c, 10_101, 1, r0, attempt);
    assert!(matches!(late[..], [CoordEvent::IgnoredCompletion { .. }]));
}

/// The note repeats a completion the coordinator usually has already: it must change
/// nothing then, nor count an attempt that was never assigned.
#[test]
fn a_finished_note_for_a_done_or_unknown_attempt_changes_nothing() {
    let mut c = boot(&config(2, 1, None));
    let (map0, _) = assigned(ask(&mut c, 0, 1));
    done(&mut c, 1, 1, map0, 1);
    let (reply, events) = ask_having_finished(&mut c, 2, 1, (map0, 1));
    assert!(events
        .iter()
        .all(|e| matches!(e, CoordEvent::Assigned { .. })));
    assert_eq!(reply.map(assigned), Some((TaskId::map(1), 1)));
    let (_, events) = ask_having_finished(&mut c, 3, 2, (TaskId::map(1), 2));
    assert!(events
        .iter()
        .all(|e| matches!(e, CoordEvent::Assigned { .. })));
    assert_eq!(c.phase(), Phase::Map, "map1 attempt 2 was never assigned");
}
