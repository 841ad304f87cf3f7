//! Several roles (servers and clerks, a coordinator and workers) as one node type.
//!
//! A run hosts one [`Node`](crate::Node) type, but a system has roles with their own timers,
//! requests, events and configs. [`roles!`](crate::roles) writes the composite: an enum of the
//! roles, an enum per associated type with one variant per role, and a `Node` impl that boots
//! the role its config names and forwards every input to it, lifting the role's outputs into
//! the composite's outbox in order. All roles share one message type, since any may talk to
//! any. Without it, each system wrote a forwarding enum of a hundred lines by hand.

use crate::node::{Node, Outbox, Output};

/// Moves a role's outputs into the composite's outbox, in order, wrapping its timers and
/// events. Used by the code [`roles!`](crate::roles) writes.
pub fn lift<R, C>(
    inner: &mut Outbox<R>,
    out: &mut Outbox<C>,
    timer: fn(R::Timer) -> C::Timer,
    event: fn(R::Event) -> C::Event,
) where
    R: Node,
    C: Node<Msg = R::Msg>,
{
    for output in inner.drain() {
        out.push(match output {
            Output::Send { to, msg } => Output::Send { to, msg },
            Output::SetTimer { timer: t, at } => Output::SetTimer {
                timer: timer(t),
                at,
            },
            Output::CancelTimer(t) => Output::CancelTimer(timer(t)),
            Output::Persist(write) => Output::Persist(write),
            Output::File(op) => Output::File(op),
            Output::Sync { target, token } => Output::Sync { target, token },
            Output::Halt(reason) => Output::Halt(reason),
            Output::Emit(e) => Output::Emit(event(e)),
        });
    }
}

/// Composes role types (each a [`Node`](crate::Node) with the same `Msg`) into one node type.
///
/// ```ignore
/// protocol_core::roles! {
///     /// A KV server or a clerk.
///     pub enum KvNode {
///         msg: KvMsg,
///         #[derive(Clone, Debug)] config: KvConfig,
///         #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)] timer: KvTimer,
///         #[derive(Clone, Debug, Hash)] request: KvRequest,
///         #[derive(Clone, Debug, PartialEq, Eq, Hash)] event: KvEvent,
///         roles {
///             Server(KvServer) as_server,
///             Clerk(Clerk) as_clerk,
///         }
///     }
/// }
/// ```
/// writes `enum KvNode { Server(KvServer), Clerk(Clerk) }`, `enum KvConfig { Server(..),
/// Clerk(..) }` (and the same for timers, requests and events, each variant holding that
/// role's type), `as_server(&self) -> Option<&KvServer>` and `impl Node for KvNode`. The
/// config variant decides which role a node boots as. A timer or request of one role handed
/// to another is a driver bug and panics, naming both.
#[macro_export]
macro_rules! roles {
    (
        $(#[$meta:meta])*
        $vis:vis enum $node:ident {
            msg: $msg:ty,
            $(#[$cmeta:meta])* config: $config:ident,
            $(#[$tmeta:meta])* timer: $timer:ident,
            $(#[$rmeta:meta])* request: $request:ident,
            $(#[$emeta:meta])* event: $event:ident,
            roles {
                $( $role:ident($ty:ty) $accessor:ident, )+
            }
        }
    ) => {
        $(#[$meta])*
        #[allow(clippy::large_enum_variant)] // one value per node; boxing buys nothing
        $vis enum $node {
            $( $role($ty), )+
        }

        $(#[$cmeta])*
        $vis enum $config {
            $( $role(<$ty as $crate::Node>::Config), )+
        }

        $(#[$tmeta])*
        $vis enum $timer {
            $( $role(<$ty as $crate::Node>::Timer), )+
        }

        $(#[$rmeta])*
        $vis enum $request {
            $( $role(<$ty as $crate::Node>::Request), )+
        }

        $(#[$emeta])*
        $vis enum $event {
            $( $role(<$ty as $crate::Node>::Event), )+
        }

        impl $node {
            /// The role's name, for messages: `"Server"`.
            pub fn role_name(&self) -> &'static str {
                match self { $( $node::$role(_) => stringify!($role), )+ }
            }

            $(
                pub fn $accessor(&self) -> Option<&$ty> {
                    #[allow(irrefutable_let_patterns)]
                    if let $node::$role(inner) = self { Some(inner) } else { None }
                }
            )+
        }

        impl $crate::Node for $node {
            type Msg = $msg;
            type Timer = $timer;
            type Request = $request;
            type Event = $event;
            type Config = $config;

            fn boot(
                config: &$config,
                id: $crate::NodeId,
                disk: &$crate::Disk,
                seed: u64,
                now: $crate::Time,
                out: &mut $crate::Outbox<$node>,
            ) -> Result<$node, $crate::BootError> {
                match config {
                    $(
                        $config::$role(config) => {
                            let mut inner = $crate::Outbox::new();
                            let node = <$ty as $crate::Node>::boot(config, id, disk, seed, now, &mut inner)?;
                            $crate::roles::lift(&mut inner, out, $timer::$role, $event::$role);
                            Ok($node::$role(node))
                        }
                    )+
                }
            }

            fn handle(
                &mut self,
                now: $crate::Time,
                input: $crate::Input<$node>,
                out: &mut $crate::Outbox<$node>,
            ) {
                let role = self.role_name();
                match self {
                    $(
                        $node::$role(node) => {
                            let input = match input {
                                $crate::Input::Message { from, msg } => $crate::Input::Message { from, msg },
                                $crate::Input::Synced { token, result } => $crate::Input::Synced { token, result },
                                #[allow(unreachable_patterns)]
                                $crate::Input::Timer($timer::$role(timer)) => $crate::Input::Timer(timer),
                                #[allow(unreachable_patterns)]
                                $crate::Input::Request($request::$role(request)) => $crate::Input::Request(request),
                                #[allow(unreachable_patterns)]
                                other => panic!("{} got {:?}, which belongs to another role: driver bug", role, other),
                            };
                            let mut inner = $crate::Outbox::new();
                            node.handle(now, input, &mut inner);
                            $crate::roles::lift(&mut inner, out, $timer::$role, $event::$role);
                        }
                    )+
                }
            }

            fn check_invariants(&self) {
                match self { $( $node::$role(node) => node.check_invariants(), )+ }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::{BootError, Disk, Input, Message, Node, NodeId, Outbox, Output, Time};
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, Serialize, Deserialize)]
    struct Hello(u32);

    impl Message for Hello {
        fn kind(&self) -> &'static str {
            "Hello"
        }
    }

    /// Greets node 0 on boot and emits every greeting it gets.
    struct Greeter;

    impl Node for Greeter {
        type Msg = Hello;
        type Timer = u8;
        type Request = ();
        type Event = u32;
        type Config = ();

        fn boot(
            _: &(),
            id: NodeId,
            _: &Disk,
            _: u64,
            now: Time,
            out: &mut Outbox<Self>,
        ) -> Result<Self, BootError> {
            out.send(NodeId(0), Hello(id.0));
            out.set_timer(7, now.plus_ms(1));
            Ok(Greeter)
        }

        fn handle(&mut self, _: Time, input: Input<Self>, out: &mut Outbox<Self>) {
            if let Input::Message { msg: Hello(n), .. } = input {
                out.emit(n);
            }
        }
    }

    /// Counts what it is asked to count.
    struct Counter(u64);

    impl Node for Counter {
        type Msg = Hello;
        type Timer = ();
        type Request = u64;
        type Event = u64;
        type Config = u64;

        fn boot(
            start: &u64,
            _: NodeId,
            _: &Disk,
            _: u64,
            _: Time,
            _: &mut Outbox<Self>,
        ) -> Result<Self, BootError> {
            Ok(Counter(*start))
        }

        fn handle(&mut self, _: Time, input: Input<Self>, out: &mut Outbox<Self>) {
            if let Input::Request(n) = input {
                self.0 += n;
                out.emit(self.0);
            }
        }
    }

    crate::roles! {
        enum Both {
            msg: Hello,
            #[derive(Clone, Debug)] config: BothConfig,
            #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)] timer: BothTimer,
            #[derive(Clone, Debug, Hash)] #[allow(dead_code)] request: BothRequest,
            #[derive(Clone, Debug, PartialEq, Eq, Hash)] event: BothEvent,
            roles {
                Greeter(Greeter) as_greeter,
                Counter(Counter) as_counter,
            }
        }
    }

    #[test]
    fn the_config_picks_the_role_and_outputs_are_lifted_in_order() {
        let mut out = Outbox::<Both>::new();
        let disk = Disk::new();
        let now = Time::ZERO;
        let greeter = Both::boot(&BothConfig::Greeter(()), NodeId(3), &disk, 0, now, &mut out);
        let mut greeter = greeter.expect("boots");
        assert!(greeter.as_greeter().is_some() && greeter.as_counter().is_none());
        assert_eq!(greeter.role_name(), "Greeter");
        let outputs: Vec<String> = out.drain().map(|o| format!("{o:?}")).collect();
        assert_eq!(
            outputs,
            ["Send to n0: Hello(3)", "SetTimer Greeter(7) at 1.000ms"]
        );
        let hello = Input::Message {
            from: NodeId(1),
            msg: Hello(9),
        };
        greeter.handle(now, hello, &mut out);
        assert!(matches!(
            out.outputs(),
            [Output::Emit(BothEvent::Greeter(9))]
        ));
        out.drain().for_each(drop);

        let counter = Both::boot(&BothConfig::Counter(5), NodeId(4), &disk, 0, now, &mut out);
        let mut counter = counter.expect("boots");
        counter.handle(now, Input::Request(BothRequest::Counter(2)), &mut out);
        assert!(matches!(
            out.outputs(),
            [Output::Emit(BothEvent::Counter(7))]
        ));
    }

    #[test]
    #[should_panic(expected = "Counter got Timer Greeter(7), which belongs to another role")]
    fn a_timer_of_another_role_is_a_driver_bug() {
        let mut out = Outbox::<Both>::new();
        let mut counter = Both::boot(
            &BothConfig::Counter(0),
            NodeId(0),
            &Disk::new(),
            0,
            Time::ZERO,
            &mut out,
        )
        .expect("boots");
        counter.handle(Time::ZERO, Input::Timer(BothTimer::Greeter(7)), &mut out);
    }
}
