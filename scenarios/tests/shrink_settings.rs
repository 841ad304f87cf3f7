//! A file `shrink` writes carries the settings the run failed under (budgets, storage fault
//! classes, strategy), so `--input FILE` replays it with no flags; flags given with it win.

use std::process::Command;

/// Runs `sim` with `args`: its exit code, standard output and standard error.
fn sim(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

#[test]
fn a_shrunk_file_replays_under_the_settings_it_failed_under() {
    let dir = std::env::temp_dir().join(format!("dst-shrink-settings-{}", std::process::id()));
    let out = dir.join("stuck.choices");
    let out_arg = out.to_str().unwrap();
    // An honest run fails only because its event budget is tiny: without the budget in the
    // file, the file would replay as a pass.
    let (code, text, _) = sim(&[
        "shrink",
        "--seed",
        "1",
        "--scenario",
        "raft-election-random",
        "--max-events",
        "20",
        "--strategy",
        "pct",
        "--storage-faults",
        "torn-writes",
        "--max-runs",
        "40",
        "--out",
        out_arg,
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("shrank check 'stuck'"), "{text}");
    let file = std::fs::read_to_string(&out).unwrap();
    for line in [
        "max-events 20",
        "strategy pct",
        "storage-faults torn-writes",
    ] {
        assert!(
            file.lines().any(|l| l == line),
            "{line} missing from\n{file}"
        );
    }
    let (code, text, _) = sim(&["--input", out_arg]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("stuck"), "{text}");
    let replay = text.lines().find(|l| l.contains("--input")).unwrap_or("");
    for flag in [
        "--max-events 20",
        "--strategy pct",
        "--storage-faults torn-writes",
    ] {
        assert!(
            replay.contains(flag),
            "{flag} missing from the replay command:\n{text}"
        );
    }
    // A flag on the command line wins over the file's setting.
    let (code, text, _) = sim(&["--input", out_arg, "--max-events", "100000"]);
    assert_eq!(code, Some(0), "{text}");
    // A setting the file gets wrong is bad input naming the file and the line.
    let bad = dir.join("bad.choices");
    std::fs::write(
        &bad,
        "dst-choices 1\nscenario raft-election-random\nstrategy fastest\nhex \n",
    )
    .unwrap();
    let (code, _, error) = sim(&["--input", bad.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{error}");
    assert!(
        error.contains("bad.choices: line 3: unknown strategy 'fastest'"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
