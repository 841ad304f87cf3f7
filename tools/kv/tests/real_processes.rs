//! The `kv` binary as real processes on loopback: a short nemesis run whose history our
//! checker finds linearizable, and one server that shrugs off bad frames, serves on, and
//! keeps what it acknowledged across a SIGKILL. Wall-clock deadlines bound the processes,
//! but nothing asserts on timing.

use kvraft::{Command as KvCommand, KvMsg, Op};
use linearizability::cli::check_file;
use linearizability::{CheckOptions, Verdict};
use protocol_core::{ClientId, NodeId};
use realnet::encode_frame;
use std::fs;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::Duration;

const KV: &str = env!("CARGO_BIN_EXE_kv");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kv-test-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_short_nemesis_run_is_linearizable() {
    let dir = scratch("nemesis");
    let output = Command::new(KV)
        .args([
            "nemesis",
            "--seconds",
            "5",
            "--servers",
            "3",
            "--clients",
            "3",
        ])
        .args(["--seed", "2", "--drain-secs", "30", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = fs::read_to_string(dir.join("events.log")).unwrap();
    assert!(events.contains(": start "), "no fault injected:\n{events}");
    let options = CheckOptions {
        max_memory_bytes: Some(1 << 30),
        ..CheckOptions::default()
    };
    let report = check_file(&dir.join("history.jsonl"), None, &options, false).unwrap();
    assert_eq!(
        report.verdict,
        Verdict::Linearizable,
        "{:?}",
        report.failure
    );
    let history = fs::read_to_string(dir.join("history.jsonl")).unwrap();
    let ok = history
        .lines()
        .filter(|l| l.contains("\"type\":\"ok\""))
        .count();
    assert!(ok > 0, "no operation completed:\n{stdout}");
    fs::remove_dir_all(&dir).unwrap();
}

/// Kills the server when dropped, so a failing test leaves nothing behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(addr: SocketAddr, data: &PathBuf, log: &PathBuf) -> Server {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = Command::new(KV)
        .args(["server", "--id", "0", "--peers", &format!("0={addr}")])
        .arg("--data")
        .arg(data)
        .args(["--exit-after-secs", "120"])
        .stderr(log)
        .spawn()
        .unwrap();
    Server(child)
}

fn client(addr: SocketAddr, op: &[&str]) -> Output {
    Command::new(KV)
        .args([
            "client",
            "--servers",
            &format!("0={addr}"),
            "--timeout-secs",
            "30",
        ])
        .args(op)
        .stderr(Stdio::inherit())
        .output()
        .unwrap()
}

fn connect(addr: SocketAddr) -> TcpStream {
    for _ in 0..500 {
        if let Ok(stream) = TcpStream::connect(addr) {
            return stream;
        }
        thread::sleep(Duration::from_millis(10));
    }
    panic!("the server never listened on {addr}");
}

fn append_from(from: NodeId, value: &str) -> Vec<u8> {
    let request = KvMsg::Request(KvCommand {
        client: ClientId(77),
        seq: 1,
        op: Op::Append {
            key: "k".into(),
            value: value.into(),
        },
    });
    encode_frame(from, &request)
}

#[test]
fn bad_frames_are_dropped_and_acknowledged_writes_survive_a_kill() {
    let dir = scratch("server");
    let (data, log) = (dir.join("data"), dir.join("n0.log"));
    fs::create_dir_all(&dir).unwrap();
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut server = start_server(addr, &data, &log);
    // Garbage that frames but does not decode: dropped, the connection lives on; then a
    // length no frame may have: the connection is closed.
    let mut garbage = connect(addr);
    garbage.write_all(&[3, 0, 0, 0, 0xff, 0xff, 0xff]).unwrap();
    garbage.write_all(&[0xff, 0xff, 0xff, 0x7f]).unwrap();
    // Well-formed requests from a node that is neither a peer nor a clerk, and from the
    // server itself: cut off, never applied.
    for from in [NodeId(500), NodeId(0)] {
        connect(addr).write_all(&append_from(from, "EVIL")).unwrap();
    }
    let put = client(addr, &["append", "k", "good"]);
    assert!(put.status.success(), "append failed");
    let got = client(addr, &["get", "k"]);
    assert_eq!(String::from_utf8_lossy(&got.stdout).trim(), "good");
    assert!(server.0.try_wait().unwrap().is_none(), "the server died");
    let text = fs::read_to_string(&log).unwrap();
    for expected in [
        "dropped a bad frame",
        "exceeds",
        "unknown n500",
        "unknown n0",
    ] {
        assert!(
            text.contains(expected),
            "no {expected:?} in the log:\n{text}"
        );
    }
    // SIGKILL, restart on the same disk: what was acknowledged is still there.
    drop(server);
    let _server = start_server(addr, &data, &log);
    let got = client(addr, &["get", "k"]);
    assert_eq!(String::from_utf8_lossy(&got.stdout).trim(), "good");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_clerk_without_answers_is_replaced_and_its_operations_stay_open() {
    let dir = scratch("abandon");
    fs::create_dir_all(&dir).unwrap();
    let history = dir.join("history.jsonl");
    // Nothing listens there: every operation times out.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let status = Command::new(KV)
        .args(["load", "--servers", &format!("0={addr}"), "--clients", "2"])
        .args([
            "--seconds",
            "1",
            "--op-timeout-ms",
            "150",
            "--drain-secs",
            "5",
        ])
        .arg("--history")
        .arg(&history)
        .status()
        .unwrap();
    assert!(status.success());
    let text = fs::read_to_string(&history).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |kind: &str| lines.iter().filter(|l| l["type"] == kind).count();
    assert_eq!(count("ok"), 0);
    assert_eq!(count("invoke"), count("info"), "every operation stays open");
    let processes: std::collections::BTreeSet<u64> = lines
        .iter()
        .map(|l| l["process"].as_u64().unwrap())
        .collect();
    // Two clerks, each replaced at least once in a second of 150 ms timeouts.
    assert!(processes.len() >= 4, "processes {processes:?}");
    fs::remove_dir_all(&dir).unwrap();
}
