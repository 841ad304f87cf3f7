//! Word count over the eight inputs with a coordinator and three worker processes, one of
//! them killed mid-task: the sorted union of mr-out-* must equal the sequential output.
//! A real-process test: wall-clock deadlines bound it, but nothing asserts on timing.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const MR: &str = env!("CARGO_BIN_EXE_mr");
const DEADLINE: Duration = Duration::from_secs(60);

/// Kills every child still running when dropped, so a failing test leaves nothing behind.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 8, "the eight course inputs");
    files
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mr-test-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn outputs(dir: &Path) -> String {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("mr-out-")
        })
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect()
}

fn worker(dir: &Path, addr: &str, extra: &[&str]) -> Child {
    Command::new(MR)
        .args(["worker", "--app", "wc", "--addr", addr])
        .args(extra)
        .current_dir(dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `child` to exit, polling against the test's deadline.
fn wait_until_exit(child: &mut Child, start: Instant) -> bool {
    while start.elapsed() < DEADLINE {
        if let Some(status) = child.try_wait().unwrap() {
            return status.success();
        }
        thread::sleep(Duration::from_millis(50));
    }
    panic!("a process did not exit within {DEADLINE:?}");
}

#[test]
fn word_count_survives_a_killed_worker() {
    // A real-process test: the wall clock only bounds how long we wait, never what passes.
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let files = inputs();
    let seq_dir = scratch("seq");
    let status = Command::new(MR)
        .args(["sequential", "--app", "wc"])
        .args(&files)
        .current_dir(&seq_dir)
        .status()
        .unwrap();
    assert!(status.success());
    let expected = sorted_lines(&fs::read_to_string(seq_dir.join("mr-out-0")).unwrap());
    assert_eq!(
        expected.len(),
        22_107,
        "distinct words in the course inputs"
    );

    let dir = scratch("run");
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let coordinator = Command::new(MR)
        .args([
            "coordinator",
            "--addr",
            &addr,
            "--reduce",
            "10",
            "--task-timeout-ms",
            "2000",
        ])
        .args(&files)
        .current_dir(&dir)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut children = Children(vec![coordinator]);
    // The victim is slow (every file operation waits 200 ms), so it is surely mid-task
    // when we kill it; we kill it once it says it started a task.
    let mut victim = worker(&dir, &addr, &["--slow-ms", "200"]);
    let (tx, rx) = mpsc::channel();
    let stderr = victim.stderr.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("Started") {
                let _ = tx.send(line);
            }
        }
    });
    children.0.push(victim);
    let started = rx
        .recv_timeout(DEADLINE)
        .expect("the victim never started a task");
    children.0.push(worker(&dir, &addr, &[]));
    children.0.push(worker(&dir, &addr, &[]));
    children.0[1].kill().unwrap();
    let _ = children.0[1].wait();

    assert!(
        wait_until_exit(&mut children.0[0], start),
        "coordinator failed"
    );
    for index in [2, 3] {
        assert!(
            wait_until_exit(&mut children.0[index], start),
            "worker {index} failed"
        );
    }
    let actual = sorted_lines(&outputs(&dir));
    assert_eq!(
        actual.len(),
        expected.len(),
        "killed worker held: {started}"
    );
    assert!(actual == expected, "output differs from the sequential run");
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_dir_all(&seq_dir);
}
