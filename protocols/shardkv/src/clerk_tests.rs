//! The clerk by hand: it learns a configuration before sending, routes by key2shard, tries the
//! group's servers in turn, refreshes on a refusal at most once per `refresh_ms`, and returns
//! once.

use super::*;
use protocol_core::Output;
use shardctrler::{ConfigNum, CtrlerMsg, ShardId, NSHARDS};

const CTRLER: NodeId = NodeId(1);

fn clerk() -> ShardKvClerk {
    ShardKvClerk::new(&ClerkConfig::new(ClientId(9), vec![CTRLER]), NodeId(9)).unwrap()
}

fn step(c: &mut ShardKvClerk, ms: u64, input: Input<ShardKvClerk>) -> Vec<Output<ShardKvClerk>> {
    let mut out = Outbox::new();
    c.handle(Time::from_ms(ms), input, &mut out);
    c.check_invariants();
    out.drain().collect()
}

/// Shards 0..4 on g100 (servers n10, n11), 5..9 on g200 (n20).
fn config(num: u64) -> Config {
    let mut shards = [GroupId(100); NSHARDS];
    for s in shards.iter_mut().skip(5) {
        *s = GroupId(200);
    }
    let groups = [
        (GroupId(100), vec![NodeId(10), NodeId(11)]),
        (GroupId(200), vec![NodeId(20)]),
    ]
    .into();
    Config {
        num: ConfigNum(num),
        shards,
        groups,
    }
}

fn queries(outs: &[Output<ShardKvClerk>]) -> Vec<shardctrler::Command> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Send {
                to: CTRLER,
                msg: ShardKvMsg::Ctrler(CtrlerMsg::Request(c)),
            } => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn requests(outs: &[Output<ShardKvClerk>]) -> Vec<(NodeId, u64)> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Send {
                to,
                msg: ShardKvMsg::Request(c),
            } => Some((*to, c.seq)),
            _ => None,
        })
        .collect()
}

fn answer_query(query: &shardctrler::Command, config: Config) -> Input<ShardKvClerk> {
    let reply = shardctrler::Reply {
        client: query.client,
        seq: query.seq,
        outcome: shardctrler::Outcome::Ok(Answer::Config(config)),
    };
    Input::Message {
        from: CTRLER,
        msg: ShardKvMsg::Ctrler(CtrlerMsg::Reply(reply)),
    }
}

fn reply(from: u32, outcome: Outcome) -> Input<ShardKvClerk> {
    Input::Message {
        from: NodeId(from),
        msg: ShardKvMsg::Reply(Reply {
            client: ClientId(9),
            seq: 1,
            outcome,
        }),
    }
}

#[test]
fn learns_a_configuration_routes_by_shard_and_walks_the_group() {
    let mut c = clerk();
    let get = Op::Get { key: "2".into() }; // shard 0: g100
    assert_eq!(key2shard("2"), ShardId(0));
    let outs = step(&mut c, 0, Input::Request(get));
    assert!(matches!(
        outs[0],
        Output::Emit(ClerkEvent::Invoked { seq: 1, .. })
    ));
    let query = queries(&outs);
    assert_eq!(query.len(), 1, "c9 cfg0: asks for a configuration first");
    assert_eq!(query[0].op, CtrlerOp::Query { num: None });
    let outs = step(&mut c, 1, answer_query(&query[0], config(1)));
    assert_eq!(
        requests(&outs),
        vec![(NodeId(10), 1)],
        "c9 cfg1 s0: to g100's first server"
    );
    let outs = step(
        &mut c,
        2,
        reply(10, Outcome::WrongLeader { leader_hint: None }),
    );
    assert_eq!(
        requests(&outs),
        vec![(NodeId(11), 1)],
        "c9 cfg1 s0: the next server of g100"
    );
    assert!(
        step(&mut c, 3, reply(10, Outcome::WrongGroup)).is_empty(),
        "c9: a refusal from a server no longer asked"
    );
    let outs = step(
        &mut c,
        4,
        reply(11, Outcome::WrongLeader { leader_hint: None }),
    );
    assert!(
        requests(&outs).is_empty(),
        "c9 cfg1: every server of g100 refused"
    );
    assert!(
        queries(&outs).is_empty(),
        "c9: refreshed at 0 ms, so it waits until 100 ms"
    );
    let outs = step(&mut c, 100, Input::Timer(ClerkTimer::Retry));
    let query = queries(&outs);
    assert_eq!(query.len(), 1, "c9: the refresh, after the pause: {outs:?}");
    let outs = step(&mut c, 101, answer_query(&query[0], config(2)));
    assert_eq!(
        requests(&outs),
        vec![(NodeId(10), 1)],
        "c9 cfg2 s0: a new round"
    );
    assert_eq!(c.known_config().num, ConfigNum(2));
    let late = step(&mut c, 102, reply(11, Outcome::Ok { value: "v".into() }));
    assert!(late.iter().any(|o| matches!(o, Output::Emit(ClerkEvent::Returned { seq: 1, value, .. }) if value == "v")), "c9: an Ok is the outcome from any server");
    assert!(!c.is_busy());
    assert!(
        step(&mut c, 103, reply(10, Outcome::Ok { value: "v".into() })).is_empty(),
        "c9: returned once"
    );
}

#[test]
fn a_wrong_group_refreshes_and_a_timeout_moves_on() {
    let mut c = clerk();
    let outs = step(&mut c, 0, Input::Request(Op::Get { key: "9".into() })); // shard 7: g200
    let outs = step(&mut c, 1, answer_query(&queries(&outs)[0], config(1)));
    assert_eq!(
        requests(&outs),
        vec![(NodeId(20), 1)],
        "c9 cfg1 s7: to g200"
    );
    let outs = step(&mut c, 150, reply(20, Outcome::WrongGroup));
    assert_eq!(
        queries(&outs).len(),
        1,
        "c9 cfg1 s7: g200 refused: refresh at once"
    );
    let outs = step(&mut c, 151, answer_query(&queries(&outs)[0], config(1)));
    assert_eq!(
        requests(&outs),
        vec![(NodeId(20), 1)],
        "c9 cfg1 s7: the same configuration: try again"
    );
    let outs = step(&mut c, 351, Input::Timer(ClerkTimer::Retry));
    assert_eq!(
        queries(&outs).len(),
        1,
        "c9 cfg1 s7: the only server timed out: refresh"
    );
}
