//! `abd`: the kit's command line over ABD's scenarios (`abd --seed 1`, `abd sweep ...`).

fn main() -> std::process::ExitCode {
    sim_kit::cli::main(sim_kit::cli::App::new(abd::registry()))
}
