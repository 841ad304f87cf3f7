//! The lossy churn run the fault tests and the mutant tests share.

use super::history::token;
use super::{Tester, COMPLETES};
use kvraft::Op;
use protocol_core::rng::{self, Ratio};
use protocol_core::Violation;

fn keys() -> Vec<String> {
    (0..10).map(|i| i.to_string()).collect()
}

/// Appenders on ten keys while groups join and leave at random (one always stays), servers
/// and whole groups crash and restart, and 5% of messages are lost; then everything heals.
pub fn churn(seed: u64, mutant: Option<shardkv::Mutant>) -> Result<Tester, Violation> {
    let mut t = Tester::new(seed, &[100, 101, 102], 3, Some(1_000), mutant);
    let clerks: Vec<usize> = (0..5).map(|_| t.add_clerk(None)).collect();
    t.join(&[100]);
    let mut rng = rng::rng_from_seed(seed);
    t.rig.loss = Ratio::percent(5);
    let mut joined = vec![100u64];
    let mut n = 0;
    let deadline = t.now().plus_ms(15_000);
    while t.now() < deadline {
        for &c in &clerks {
            if !t.busy(c) {
                let key = keys()[rng::index(&mut rng, 10)].clone();
                n += 1;
                let op = if rng::range_inclusive(&mut rng, 0, 3) == 0 {
                    Op::Get { key: key.clone() }
                } else {
                    Op::Append {
                        key: key.clone(),
                        value: token(c, n),
                    }
                };
                t.invoke(c, op);
            }
        }
        match rng::range_inclusive(&mut rng, 0, 299) {
            0 | 1 => {
                let gid = [100, 101, 102][rng::index(&mut rng, 3)];
                if joined.contains(&gid) && joined.len() > 1 {
                    joined.retain(|&g| g != gid);
                    t.leave(&[gid]);
                } else if !joined.contains(&gid) {
                    joined.push(gid);
                    t.join(&[gid]);
                }
            }
            2 => {
                let servers: Vec<_> = t.groups.values().flatten().copied().collect();
                let id = servers[rng::index(&mut rng, servers.len())];
                t.rig.restart(id);
                t.shards.restarted(id);
            }
            3 => {
                let gid = [100, 101, 102][rng::index(&mut rng, 3)];
                t.shutdown_group(gid);
                t.run_ms(rng::range_inclusive(&mut rng, 0, 500))?;
                t.start_group(gid);
            }
            _ => {}
        }
        t.run_ms(10)?;
    }
    t.rig.loss = Ratio::NEVER;
    t.run_ms(5_000)?;
    if let Some(c) = clerks.iter().find(|&&c| t.busy(c)) {
        return Err(Violation::new(
            COMPLETES,
            format!(
                "seed {seed}: clerk {} still busy 5 s after healing",
                t.clerks[*c]
            ),
        ));
    }
    t.check_quiescent()?;
    let reader = t.add_clerk(None);
    for key in keys() {
        let value = t.call(reader, Op::Get { key: key.clone() }, 5_000)?;
        t.history.check_final(&key, &value)?;
    }
    Ok(t)
}
