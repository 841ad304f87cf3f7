//! `lincheck FILE... [--model kv|register|cas-register] [--timeout SECS] [--html OUT.html]`:
//! the checker on its own. Exit 0 if every file is linearizable, 1 if any is not or is
//! unknown, 2 on bad usage or input.

use clap::Parser;
use linearizability::cli::{run, CheckArgs};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "lincheck", about = "Check histories for linearizability")]
struct Cli {
    #[command(flatten)]
    check: CheckArgs,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match run(&cli.check, &mut std::io::stdout().lock()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
    }
}
