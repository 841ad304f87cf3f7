//! Command-line parsing by hand: three subcommands and a few flags.

use mapreduce::AppKind;
use std::net::SocketAddr;

pub const USAGE: &str = "usage:
  mr coordinator [--addr A] [--reduce N] [--task-timeout-ms T] FILES...
  mr worker --app APP [--addr A] [--id N] [--slow-ms N]
  mr sequential --app APP [--stdout] FILES...
apps: wc indexer mtiming rtiming jobcount early_exit crash nocrash";

pub const DEFAULT_ADDR: &str = "127.0.0.1:5840";

#[derive(Debug)]
pub enum Command {
    Coordinator {
        addr: SocketAddr,
        n_reduce: u32,
        task_timeout_ms: u64,
        files: Vec<String>,
    },
    /// `slow_ms` delays every file operation: a test hook to hold a worker mid-task.
    Worker {
        app: AppKind,
        addr: SocketAddr,
        id: Option<u32>,
        slow_ms: u64,
    },
    Sequential {
        app: AppKind,
        stdout: bool,
        files: Vec<String>,
    },
}

/// Parses `args` (without the program name); the error says what is wrong.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let (sub, rest) = args.split_first().ok_or("no subcommand")?;
    let mut flags = Flags::default();
    let mut files = Vec::new();
    let mut iter = rest.iter();
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| iter.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => flags.addr = Some(value("--addr")?),
            "--reduce" => flags.reduce = Some(number(&value("--reduce")?, "--reduce")?),
            "--task-timeout-ms" => {
                flags.timeout = Some(number(&value("--task-timeout-ms")?, "--task-timeout-ms")?)
            }
            "--app" => flags.app = Some(value("--app")?),
            "--id" => flags.id = Some(number(&value("--id")?, "--id")?),
            "--slow-ms" => flags.slow = Some(number(&value("--slow-ms")?, "--slow-ms")?),
            "--stdout" => flags.stdout = true,
            flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}")),
            file => files.push(file.to_string()),
        }
    }
    flags.into_command(sub, files)
}

#[derive(Default)]
struct Flags {
    addr: Option<String>,
    reduce: Option<u64>,
    timeout: Option<u64>,
    app: Option<String>,
    id: Option<u64>,
    slow: Option<u64>,
    stdout: bool,
}

impl Flags {
    fn into_command(self, sub: &str, files: Vec<String>) -> Result<Command, String> {
        let addr = self.addr.as_deref().unwrap_or(DEFAULT_ADDR);
        let addr: SocketAddr = addr
            .parse()
            .map_err(|_| format!("bad address {addr:?} (want IP:PORT)"))?;
        let app = match &self.app {
            Some(name) => Some(name.parse::<AppKind>().map_err(|e| e.to_string())?),
            None => None,
        };
        match sub {
            "coordinator" => {
                let n_reduce =
                    u32::try_from(self.reduce.unwrap_or(10)).map_err(|_| "--reduce too large")?;
                if n_reduce == 0 {
                    return Err("--reduce must be at least 1".into());
                }
                let task_timeout_ms = self.timeout.unwrap_or(10_000);
                if task_timeout_ms == 0 {
                    return Err("--task-timeout-ms must be positive".into());
                }
                if files.is_empty() {
                    return Err("coordinator needs input files".into());
                }
                // Apps put file names in output lines; a newline would break the format.
                if let Some(bad) = files.iter().find(|f| f.contains('\n')) {
                    return Err(format!("input file name {bad:?} holds a newline"));
                }
                Ok(Command::Coordinator {
                    addr,
                    n_reduce,
                    task_timeout_ms,
                    files,
                })
            }
            "worker" => {
                let app = app.ok_or("worker needs --app")?;
                let id = match self.id {
                    Some(0) => return Err("--id 0 is the coordinator's".into()),
                    Some(id) => Some(u32::try_from(id).map_err(|_| "--id too large")?),
                    None => None,
                };
                Ok(Command::Worker {
                    app,
                    addr,
                    id,
                    slow_ms: self.slow.unwrap_or(0),
                })
            }
            "sequential" => {
                let app = app.ok_or("sequential needs --app")?;
                if files.is_empty() {
                    return Err("sequential needs input files".into());
                }
                Ok(Command::Sequential {
                    app,
                    stdout: self.stdout,
                    files,
                })
            }
            other => Err(format!("unknown subcommand {other:?}")),
        }
    }
}

fn number(text: &str, flag: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("{flag}: {text:?} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_each_subcommand_and_rejects_bad_usage() {
        assert!(matches!(
            parse(&args("coordinator --reduce 3 a b")),
            Ok(Command::Coordinator { n_reduce: 3, .. })
        ));
        assert!(matches!(
            parse(&args("worker --app wc")),
            Ok(Command::Worker {
                app: AppKind::Wc,
                ..
            })
        ));
        assert!(matches!(
            parse(&args("sequential --app indexer x")),
            Ok(Command::Sequential { .. })
        ));
        for bad in [
            "",
            "coordinator",
            "worker",
            "worker --app nope",
            "coordinator --reduce x a",
            "coordinator --addr nowhere a",
            "frobnicate",
            "worker --app wc --bogus",
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?} parsed");
        }
    }
}
