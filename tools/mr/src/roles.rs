//! The three roles, each a realnet host (or a plain function for the sequential run).

use crate::cli::Command;
use mapreduce::{
    sequential, AppKind, CoordEvent, Coordinator, FsData, FsError, FsOp, FsReply, MrConfig, Worker,
    WorkerEvent,
};
use protocol_core::{NodeId, Time};
use realnet::{run as run_node, Control, Host, RealConfig, Senders};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::time::Duration;

const COORDINATOR: NodeId = NodeId(0);
/// How long the coordinator keeps answering "exit" after the job is done (the course
/// sleeps 1 s); workers that miss it give up after a few unanswered requests.
const EXIT_GRACE_MS: u64 = 1_500;

pub enum Failure {
    Input(String),
    Run(String),
}

pub fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Coordinator {
            addr,
            n_reduce,
            task_timeout_ms,
            files,
        } => {
            for file in &files {
                if !fs::metadata(file).is_ok_and(|m| m.is_file()) {
                    return Err(Failure::Input(format!("{file}: no such input file")));
                }
            }
            let mut config = MrConfig::course(COORDINATOR, files, AppKind::Wc);
            config.n_reduce = n_reduce;
            config.task_timeout_ms = task_timeout_ms;
            let real = real_config(COORDINATOR, Some(addr), BTreeMap::new());
            run_node::<Coordinator, _>(&config, real, &mut CoordinatorHost)
                .map_err(|e| Failure::Run(e.to_string()))
        }
        Command::Worker {
            app,
            addr,
            id,
            slow_ms,
        } => {
            let id = NodeId(id.unwrap_or_else(std::process::id));
            let config = MrConfig::course(COORDINATOR, Vec::new(), app);
            let real = real_config(id, None, BTreeMap::from([(COORDINATOR, addr)]));
            run_node::<Worker, _>(&config, real, &mut WorkerHost { id, slow_ms })
                .map_err(|e| Failure::Run(e.to_string()))
        }
        Command::Sequential { app, stdout, files } => run_sequential(app, stdout, files),
    }
}

fn real_config(
    me: NodeId,
    listen: Option<std::net::SocketAddr>,
    peers: BTreeMap<NodeId, std::net::SocketAddr>,
) -> RealConfig {
    RealConfig {
        me,
        listen,
        peers,
        // The coordinator meets its workers as they dial in; a worker hears only from it.
        senders: Senders::Anyone,
        disk_dir: None,
        seed: u64::from(me.0),
    }
}

fn run_sequential(app: AppKind, stdout: bool, files: Vec<String>) -> Result<(), Failure> {
    let mut inputs = Vec::new();
    for file in files {
        let bytes = fs::read(&file).map_err(|e| Failure::Input(format!("{file}: {e}")))?;
        inputs.push((file, bytes));
    }
    let output = sequential(app.app(), &inputs).map_err(Failure::Input)?;
    if stdout {
        io::stdout()
            .write_all(output.as_bytes())
            .map_err(|e| Failure::Run(format!("stdout: {e}")))
    } else {
        fs::write("mr-out-0", output).map_err(|e| Failure::Run(format!("mr-out-0: {e}")))
    }
}

struct CoordinatorHost;

impl Host<Coordinator> for CoordinatorHost {
    fn on_event(&mut self, now: Time, event: CoordEvent, control: &mut Control<Coordinator>) {
        eprintln!("mr coordinator {now}: {event:?}");
        if event == CoordEvent::JobDone {
            control.stop_after_ms(now, EXIT_GRACE_MS);
        }
    }
}

struct WorkerHost {
    id: NodeId,
    slow_ms: u64,
}

impl Host<Worker> for WorkerHost {
    fn on_event(&mut self, now: Time, event: WorkerEvent, control: &mut Control<Worker>) {
        match event {
            WorkerEvent::Fs { op, request } => {
                if self.slow_ms > 0 {
                    // A test hook standing in for a slow disk; real-process side only.
                    std::thread::sleep(Duration::from_millis(self.slow_ms));
                }
                control.request(FsReply {
                    op,
                    result: apply(&request),
                });
            }
            WorkerEvent::Exited(reason) => {
                eprintln!("mr worker {} {now}: exit ({reason:?})", self.id);
                control.stop_after_ms(now, 0);
            }
            other => eprintln!("mr worker {} {now}: {other:?}", self.id),
        }
    }
}

/// Carries out one file operation in the current directory.
fn apply(request: &FsOp) -> Result<FsData, FsError> {
    let fail = |name: &str, error: io::Error| match error.kind() {
        io::ErrorKind::NotFound => FsError::NotFound {
            name: name.to_string(),
        },
        _ => FsError::Other {
            reason: format!("{name}: {error}"),
        },
    };
    match request {
        FsOp::Read { name } => fs::read(name).map(FsData::Bytes).map_err(|e| fail(name, e)),
        FsOp::WriteTemp { name, bytes } => fs::write(name, bytes)
            .map(|()| FsData::Done)
            .map_err(|e| fail(name, e)),
        FsOp::Sync { name } => fs::File::open(name)
            .and_then(|file| file.sync_all())
            .map(|()| FsData::Done)
            .map_err(|e| fail(name, e)),
        FsOp::Rename { from, to } => fs::rename(from, to)
            .map(|()| FsData::Done)
            .map_err(|e| fail(from, e)),
        FsOp::List { prefix } => {
            let entries = fs::read_dir(".").map_err(|e| fail(".", e))?;
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.file_name().into_string().ok())
                .filter(|name| name.starts_with(prefix.as_str()))
                .collect();
            names.sort();
            Ok(FsData::Names(names))
        }
    }
}
