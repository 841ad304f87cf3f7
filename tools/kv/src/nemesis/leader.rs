//! Who leads now, as the servers' own logs say: each server logs its role changes
//! (`kv n2: at 1718000000123 ms leads in term 5`, see `server.rs`), and the leader is the
//! serving server whose last line says it leads, in the highest such term.

use protocol_core::NodeId;

/// A server's role as its last role line says: (leads, term).
pub fn last_role(log: &str) -> Option<(bool, u64)> {
    log.lines().rev().find_map(parse_role)
}

fn parse_role(line: &str) -> Option<(bool, u64)> {
    let (leads, term) = if let Some((_, term)) = line.split_once(" leads in term ") {
        (true, term)
    } else {
        (false, line.split_once(" follows in term ")?.1)
    };
    Some((leads, term.trim().parse().ok()?))
}

/// Among `(server, its log)` of the servers serving now, the one that leads the highest term.
pub fn leader<'a>(logs: impl IntoIterator<Item = (NodeId, &'a str)>) -> Option<NodeId> {
    logs.into_iter()
        .filter_map(|(id, log)| match last_role(log)? {
            (true, term) => Some((term, id)),
            (false, _) => None,
        })
        .max()
        .map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leader_is_the_last_word_of_the_highest_term() {
        let n0 = "kv n0: pid 1\nkv n0: at 5 ms leads in term 2\nrealnet n0: noise\n";
        let n1 = "kv n1: at 3 ms follows in term 1\nkv n1: at 9 ms leads in term 3\n";
        let n2 = "kv n2: at 1 ms leads in term 4\nkv n2: at 8 ms follows in term 5\n";
        assert_eq!(last_role(n0), Some((true, 2)));
        assert_eq!(last_role(n2), Some((false, 5)));
        assert_eq!(last_role("kv n3: pid 7\n"), None);
        let logs = [(NodeId(0), n0), (NodeId(1), n1), (NodeId(2), n2)];
        assert_eq!(leader(logs), Some(NodeId(1)));
        assert_eq!(leader([(NodeId(2), n2)]), None);
        assert_eq!(parse_role("x leads in term notanumber"), None);
    }
}
