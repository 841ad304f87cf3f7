//! Who is who: server lists on the command line, and the id ranges of servers and clerks.

use protocol_core::NodeId;
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// Clerks take node ids from here up, so a server admits them and tells them from peers.
pub const FIRST_CLERK: NodeId = NodeId(1_000);

/// The node id of this process's `index`th clerk. Servers answer a clerk on the connection
/// its id last dialled in on, so two processes must not share ids: the process id is in it.
pub fn clerk_node(index: u32) -> NodeId {
    assert!(index < 256, "at most 256 clerks per process");
    NodeId(FIRST_CLERK.0 + ((std::process::id() & 0xf_ffff) << 8) + index)
}

/// Parses `0=127.0.0.1:7000,1=127.0.0.1:7001,...`: every server's id and address. Ids must be
/// distinct and below the clerks' range.
pub fn parse_servers(text: &str) -> Result<BTreeMap<NodeId, SocketAddr>, String> {
    let mut servers = BTreeMap::new();
    for item in text.split(',').filter(|item| !item.trim().is_empty()) {
        let (id, addr) = item
            .split_once('=')
            .ok_or_else(|| format!("expected ID=IP:PORT, found {item:?}"))?;
        let id: u32 = id
            .trim()
            .parse()
            .map_err(|_| format!("expected a server id, found {id:?} in {item:?}"))?;
        if NodeId(id) >= FIRST_CLERK {
            return Err(format!(
                "server id {id} is in the clerks' range (from {FIRST_CLERK})"
            ));
        }
        let addr: SocketAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("expected IP:PORT, found {addr:?} in {item:?}"))?;
        if servers.insert(NodeId(id), addr).is_some() {
            return Err(format!("server {id} is listed twice"));
        }
    }
    if servers.is_empty() {
        return Err(format!("expected ID=IP:PORT,..., found {text:?}"));
    }
    Ok(servers)
}

/// The inverse of [`parse_servers`].
pub fn format_servers(servers: &BTreeMap<NodeId, SocketAddr>) -> String {
    let items: Vec<String> = servers
        .iter()
        .map(|(id, addr)| format!("{}={addr}", id.0))
        .collect();
    items.join(",")
}

/// A client-id base no earlier run used: the duplicate table remembers every client id a
/// cluster ever saw, so a new clerk reusing an old id would have its first requests taken for
/// retries of old ones and silently skipped. Seconds since the epoch, then the low 16 bits of
/// the process id (two runs started in the same second), then room for 65 536 clerks.
pub fn fresh_client_base() -> u64 {
    let seconds = realnet::clock::unix_ms() / 1000;
    (seconds << 32) | (u64::from(std::process::id() & 0xffff) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_lists_parse_round_trip_and_reject_bad_input() {
        let servers = parse_servers("0=127.0.0.1:7000, 2=127.0.0.1:7002").unwrap();
        assert_eq!(servers.len(), 2);
        assert_eq!(
            servers[&NodeId(2)],
            "127.0.0.1:7002".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(parse_servers(&format_servers(&servers)).unwrap(), servers);
        for bad in [
            "",
            "0",
            "x=127.0.0.1:1",
            "0=localhost",
            "0=127.0.0.1:1,0=127.0.0.1:2",
            "1000=127.0.0.1:1",
        ] {
            assert!(parse_servers(bad).is_err(), "{bad:?} parsed");
        }
    }
}
