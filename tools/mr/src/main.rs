//! `mr`: the course's mrcoordinator, mrworker and mrsequential as one binary.
//! Exit codes: 0 done, 1 the run failed, 2 bad usage or input.

mod cli;
mod roles;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") || args.first().is_some_and(|a| a == "help")
    {
        println!("{}", cli::USAGE);
        return ExitCode::SUCCESS;
    }
    let command = match cli::parse(&args) {
        Ok(command) => command,
        Err(reason) => {
            eprintln!("mr: {reason}\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    match roles::run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(roles::Failure::Input(reason)) => {
            eprintln!("mr: {reason}");
            ExitCode::from(2)
        }
        Err(roles::Failure::Run(reason)) => {
            eprintln!("mr: {reason}");
            ExitCode::from(1)
        }
    }
}
