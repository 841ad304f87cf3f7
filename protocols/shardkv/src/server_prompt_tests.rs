//! Where a new owner's leader sends its pulls and notices: after a change to the old owner's
//! server that last answered, on the tick to every server of it.

use super::*;

#[test]
fn prompts_go_to_the_old_owners_server_that_answered_and_on_the_tick_to_all() {
    let olds = vec![NodeId(20), NodeId(21), NodeId(22)];
    let with_olds = |mut c: Config| {
        c.groups.insert(GroupId(200), olds.clone());
        c
    };
    // Where the outputs send pulls (`pull`) or notices of installed shards (`!pull`).
    let sent_to = |outs: &[Output<ShardKvServer>], pull: bool| -> Vec<NodeId> {
        let to = |o: &Output<ShardKvServer>| match o {
            Output::Send {
                to,
                msg: ShardKvMsg::Pull(_),
            } if pull => Some(*to),
            Output::Send {
                to,
                msg: ShardKvMsg::Installed(_),
            } if !pull => Some(*to),
            _ => None,
        };
        outs.iter().filter_map(to).collect()
    };
    let mut h = Harness::new(None);
    h.step_into(with_olds(config(1, [200; NSHARDS])));
    let mut shards = [200; NSHARDS];
    shards[0] = 100;
    let outs = h.step_into(with_olds(config(2, shards)));
    assert_eq!(
        sent_to(&outs, true).len(),
        1,
        "n0 g100 cfg2: one pull at once"
    );
    assert_eq!(
        sent_to(&h.tick(), true),
        olds,
        "n0 g100 cfg2: the tick asks all"
    );
    let answer = PullAnswer::Shards(vec![(ShardId(0), Default::default())]);
    let (num, from) = (ConfigNum(2), GroupId(200));
    let msg = ShardKvMsg::PullReply(crate::msg::PullReply { num, from, answer });
    let outs = h.step(Input::Message {
        from: NodeId(22),
        msg,
    });
    assert_eq!(h.status(0), ShardStatus::Confirming);
    let notified = sent_to(&outs, false);
    assert_eq!(
        notified,
        [NodeId(22)],
        "n0 g100 cfg2 s0: notice to who answered"
    );
}
