//! The server processes: start, kill, restart on the same disk, pause, resume, and stop them
//! all, whatever happens.
//!
//! Every server is bounded three ways: the nemesis kills it at the end (and in `Drop`, so an
//! error or a panic in the nemesis leaves nothing behind); the kernel kills it if the nemesis
//! dies first (`PR_SET_PDEATHSIG`, which works even on a paused process); and it exits on its
//! own after `--exit-after-secs`. Each runs in its own process group, so a Ctrl-C reaches the
//! nemesis alone, which then cleans up in order.

use protocol_core::NodeId;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};

/// How to start every server.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    /// The `kv` binary.
    pub exe: PathBuf,
    pub dir: PathBuf,
    /// Where each server really listens.
    pub listen: BTreeMap<NodeId, SocketAddr>,
    /// Where servers dial each other: the proxies.
    pub peers: BTreeMap<NodeId, SocketAddr>,
    pub mutant: Option<String>,
    pub exit_after_secs: u64,
    pub seed: u64,
}

struct Server {
    child: Option<Child>,
    paused: bool,
    /// Set when the process ended on its own: it stays down, and the run reports it.
    exited: Option<ExitStatus>,
}

pub struct Cluster {
    spec: ClusterSpec,
    servers: BTreeMap<NodeId, Server>,
    pub restarts: u64,
}

impl Cluster {
    pub fn start(spec: ClusterSpec) -> Result<Cluster, String> {
        let mut cluster = Cluster {
            servers: BTreeMap::new(),
            spec,
            restarts: 0,
        };
        let ids: Vec<NodeId> = cluster.spec.listen.keys().copied().collect();
        for id in ids {
            let child = cluster
                .spawn(id)
                .map_err(|e| format!("starting {id}: {e}"))?;
            let server = Server {
                child: Some(child),
                paused: false,
                exited: None,
            };
            cluster.servers.insert(id, server);
        }
        Ok(cluster)
    }

    pub fn log_path(&self, id: NodeId) -> PathBuf {
        self.spec.dir.join(format!("{id}.log"))
    }

    fn spawn(&self, id: NodeId) -> io::Result<Child> {
        let spec = &self.spec;
        let log: File = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(id))?;
        let mut command = Command::new(&spec.exe);
        command
            .arg("server")
            .args(["--id", &id.0.to_string()])
            .args(["--peers", &crate::addrs::format_servers(&spec.peers)])
            .args(["--listen", &spec.listen[&id].to_string()])
            .arg("--data")
            .arg(spec.dir.join(format!("{id}-data")))
            .args(["--exit-after-secs", &spec.exit_after_secs.to_string()])
            .args(["--seed", &spec.seed.to_string()]);
        if let Some(mutant) = &spec.mutant {
            command.args(["--mutant", mutant]);
        }
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0);
        // SAFETY: between fork and exec the closure makes one async-signal-safe system call.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command.spawn()
    }

    /// SIGKILL; the server stays down until [`Cluster::restart`].
    pub fn kill(&mut self, id: NodeId) {
        let server = self.servers.get_mut(&id).expect("a server of the cluster");
        if let Some(mut child) = server.child.take() {
            let _ = child.kill(); // SIGKILL ends a paused process too
            let _ = child.wait();
        }
        server.paused = false;
    }

    /// Starts a killed server again on its data directory; a no-op if it runs or crashed.
    pub fn restart(&mut self, id: NodeId) -> Result<(), String> {
        let server = &self.servers[&id];
        if server.child.is_some() || server.exited.is_some() {
            return Ok(());
        }
        let child = self
            .spawn(id)
            .map_err(|e| format!("restarting {id}: {e}"))?;
        self.servers.get_mut(&id).expect("listed").child = Some(child);
        self.restarts += 1;
        Ok(())
    }

    pub fn pause(&mut self, id: NodeId) {
        self.signal(id, libc::SIGSTOP, true);
    }

    pub fn resume(&mut self, id: NodeId) {
        self.signal(id, libc::SIGCONT, false);
    }

    fn signal(&mut self, id: NodeId, signal: libc::c_int, paused: bool) {
        let server = self.servers.get_mut(&id).expect("a server of the cluster");
        if let Some(child) = &server.child {
            let pid = child.id() as libc::pid_t;
            // SAFETY: kill(2) on our own child, which we have not reaped (we hold its Child).
            unsafe {
                libc::kill(pid, signal);
            }
            server.paused = paused;
        }
    }

    /// Resumes every paused server and restarts every killed one.
    pub fn heal(&mut self) -> Result<(), String> {
        let ids: Vec<NodeId> = self.servers.keys().copied().collect();
        for id in ids {
            if self.servers[&id].paused {
                self.resume(id);
            }
            self.restart(id)?;
        }
        Ok(())
    }

    /// The servers running and not paused.
    pub fn serving(&self) -> Vec<NodeId> {
        self.servers
            .iter()
            .filter(|(_, s)| s.child.is_some() && !s.paused)
            .map(|(&id, _)| id)
            .collect()
    }

    /// Servers that ended on their own since the last call, with how they ended.
    pub fn poll_exits(&mut self) -> Vec<(NodeId, ExitStatus)> {
        let mut ended = Vec::new();
        for (&id, server) in &mut self.servers {
            let Some(child) = &mut server.child else {
                continue;
            };
            if let Ok(Some(status)) = child.try_wait() {
                server.child = None;
                server.exited = Some(status);
                ended.push((id, status));
            }
        }
        ended
    }

    /// SIGKILL to every server still running, and reap them.
    pub fn shutdown(&mut self) {
        let ids: Vec<NodeId> = self.servers.keys().copied().collect();
        for id in ids {
            self.kill(id);
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}
