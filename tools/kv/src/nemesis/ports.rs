//! Ports for the servers' real listeners.
//!
//! A killed server comes back on the same port. Ports from the kernel's ephemeral range could
//! be taken in between by any outgoing connection on the machine (ours included), so servers
//! get ports below that range, probed free, from an offset that differs per process so that
//! runs started side by side do not collide. The proxies, which live for the whole run, simply
//! take ephemeral ports.

use std::fs;
use std::net::{SocketAddr, TcpListener};

const LOWEST: u16 = 20_000;

pub fn server_addrs(count: usize) -> Result<Vec<SocketAddr>, String> {
    let ephemeral_low = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    if ephemeral_low <= LOWEST + 1_000 {
        return Err(format!(
            "the ephemeral port range starts at {ephemeral_low}; no room below it"
        ));
    }
    let span = u32::from(ephemeral_low - LOWEST);
    let offset = (std::process::id().wrapping_mul(7_919)) % span;
    let mut addrs = Vec::new();
    for step in 0..span {
        let port = LOWEST + ((offset + step) % span) as u16;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if TcpListener::bind(addr).is_ok() {
            addrs.push(addr);
            if addrs.len() == count {
                return Ok(addrs);
            }
        }
    }
    Err(format!("no {count} free ports below {ephemeral_low}"))
}
