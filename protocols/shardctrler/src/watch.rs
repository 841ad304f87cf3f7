//! What a tester keeps as a controller run goes: every configuration any replica created
//! (checked against its predecessor and against every other replica's), and every clerk
//! operation (checked against those configurations). Pure bookkeeping, fed the events in
//! emission order; no simulator needed.

use crate::checks::{self, CONFIG_GAP, CONFIG_SAME_ON_REPLICAS};
use crate::config::Config;
use crate::msg::{Answer, CtrlerOp};
use crate::types::ConfigNum;
use protocol_core::{CheckId, ClientId, NodeId, Violation};
use std::collections::BTreeMap;

/// A Query(-1) invoked after a Join, Leave or Move returned sees that operation's
/// configuration or a later one.
pub const QUERY_FRESH: CheckId = CheckId::new("query-fresh");
/// What a Query returns is the configuration of that number the replicas created (and, for a
/// number not past the latest, that number).
pub const QUERY_MATCHES: CheckId = CheckId::new("query-matches-log");
/// Each Join, Leave or Move request creates at most one configuration, however often it is
/// retried.
pub const CONFIG_ONCE_PER_REQUEST: CheckId = CheckId::new("config-once-per-request");
/// A clerk's events make sense: each (client, seq) invoked once and returned at most once.
pub const CLERK_HISTORY: CheckId = CheckId::new("ctrler-clerk-history");

/// Every configuration, by number, as the first replica to create it did; the others must
/// agree.
#[derive(Clone, Debug)]
pub struct ConfigWatch {
    configs: Vec<Config>,
    /// The request that created each configuration past 0.
    creators: BTreeMap<(ClientId, u64), ConfigNum>,
    /// Replica reports, for a report's "n of m replicas".
    reports: u64,
}

impl Default for ConfigWatch {
    fn default() -> ConfigWatch {
        ConfigWatch::new()
    }
}

impl ConfigWatch {
    pub fn new() -> ConfigWatch {
        ConfigWatch {
            configs: vec![Config::initial()],
            creators: BTreeMap::new(),
            reports: 0,
        }
    }

    /// `node` applied request (client, seq), `op`, and created `config`: the same as any
    /// replica's configuration of that number, and (if it is the first) valid, balanced and
    /// minimal after its predecessor, and the first the request created.
    pub fn on_configured(
        &mut self,
        node: NodeId,
        (client, seq): (ClientId, u64),
        op: &CtrlerOp,
        config: &Config,
    ) -> Result<(), Violation> {
        self.reports += 1;
        let num = config.num.0 as usize;
        if let Some(known) = self.configs.get(num) {
            if known != config {
                let message = format!(
                    "{node}: {} is {config:?}, another replica's is {known:?}",
                    config.num
                );
                return Err(Violation::new(CONFIG_SAME_ON_REPLICAS, message).involving([node]));
            }
            return Ok(());
        }
        if num > self.configs.len() {
            let message = format!(
                "{node}: created {} before any replica reported {}",
                config.num,
                ConfigNum(num as u64 - 1)
            );
            return Err(Violation::new(CONFIG_GAP, message).involving([node]));
        }
        let prev = self
            .configs
            .last()
            .expect("configuration 0 is always there");
        checks::check_change(node, prev, op, config)?;
        if let Some(earlier) = self.creators.insert((client, seq), config.num) {
            let message = format!(
                "{node}: {client}#{seq} {op:?} created {earlier} and again {}",
                config.num
            );
            return Err(Violation::new(CONFIG_ONCE_PER_REQUEST, message).involving([node]));
        }
        self.configs.push(config.clone());
        Ok(())
    }

    pub fn config(&self, num: ConfigNum) -> Option<&Config> {
        self.configs.get(num.0 as usize)
    }

    pub fn latest(&self) -> &Config {
        self.configs
            .last()
            .expect("configuration 0 is always there")
    }

    /// Configurations created so far, 0 included.
    pub fn len(&self) -> usize {
        self.configs.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// How many `Configured` reports were checked (every replica's, so a check can assert it
    /// had something to check).
    pub fn reports(&self) -> u64 {
        self.reports
    }
}

/// One clerk operation: its op, and what had returned when it was invoked.
#[derive(Clone, Debug)]
struct Pending {
    op: CtrlerOp,
    /// The newest configuration a returned Join, Leave or Move created, at invocation.
    floor: ConfigNum,
    returned: bool,
}

/// The clerks' operations, checked as they return against the configurations the replicas
/// created (feed `ConfigWatch` the servers' events before checking).
#[derive(Clone, Debug, Default)]
pub struct CtrlerHistory {
    ops: BTreeMap<(ClientId, u64), Pending>,
    /// The newest configuration a returned Join, Leave or Move created.
    done: ConfigNum,
    queries_checked: u64,
}

impl CtrlerHistory {
    pub fn new() -> CtrlerHistory {
        CtrlerHistory::default()
    }

    pub fn on_invoked(
        &mut self,
        client: ClientId,
        seq: u64,
        op: &CtrlerOp,
    ) -> Result<(), Violation> {
        let pending = Pending {
            op: op.clone(),
            floor: self.done,
            returned: false,
        };
        if self.ops.insert((client, seq), pending).is_some() {
            return Err(Violation::new(
                CLERK_HISTORY,
                format!("{client} invoked seq {seq} twice"),
            ));
        }
        Ok(())
    }

    pub fn on_returned(
        &mut self,
        client: ClientId,
        seq: u64,
        answer: &Answer,
        configs: &ConfigWatch,
    ) -> Result<(), Violation> {
        let Some(pending) = self.ops.get_mut(&(client, seq)) else {
            return Err(Violation::new(
                CLERK_HISTORY,
                format!("{client} returned seq {seq} never invoked"),
            ));
        };
        if std::mem::replace(&mut pending.returned, true) {
            return Err(Violation::new(
                CLERK_HISTORY,
                format!("{client} seq {seq} returned twice"),
            ));
        }
        let (op, floor) = (pending.op.clone(), pending.floor);
        match answer {
            Answer::Configured(num) => {
                self.done = self.done.max(*num);
                Ok(())
            }
            Answer::Rejected(_) => Ok(()),
            Answer::Config(config) => {
                self.queries_checked += 1;
                check_query(client, seq, &op, floor, config, configs)
            }
        }
    }

    /// Queries whose answers were checked.
    pub fn queries_checked(&self) -> u64 {
        self.queries_checked
    }

    /// The newest configuration a returned Join, Leave or Move created.
    pub fn newest_returned(&self) -> ConfigNum {
        self.done
    }
}

fn check_query(
    client: ClientId,
    seq: u64,
    op: &CtrlerOp,
    floor: ConfigNum,
    config: &Config,
    configs: &ConfigWatch,
) -> Result<(), Violation> {
    let what = |check, text: String| {
        Err(Violation::new(
            check,
            format!("{client}#{seq} {op:?} returned {}: {text}", config.num),
        ))
    };
    if configs.config(config.num) != Some(config) {
        return what(QUERY_MATCHES, format!("no replica created {config:?}"));
    }
    let CtrlerOp::Query { num } = op else {
        return what(
            QUERY_MATCHES,
            "a configuration for a Join, Leave or Move".into(),
        );
    };
    match num {
        Some(asked) if *asked < floor || config.num == *asked => {
            if config.num != *asked {
                return what(QUERY_MATCHES, format!("asked for {asked}"));
            }
            Ok(())
        }
        // The latest, or a number past the latest when the query ran: at least what had
        // returned before it was invoked, and never past what was asked.
        Some(_) | None => {
            if config.num < floor {
                return what(QUERY_FRESH, format!("{floor} had already returned"));
            }
            if num.is_some_and(|asked| config.num > asked) {
                return what(QUERY_MATCHES, "past the number asked for".into());
            }
            Ok(())
        }
    }
}

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
