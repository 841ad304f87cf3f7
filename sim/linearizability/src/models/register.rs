//! Registers: the operation types both register models share, and the plain register.

use super::{describe_answer, partition_by_key};
use crate::history::{History, Operation};
use crate::model::{Decision, Model, Partition};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    Read,
    Write(i64),
    /// Compare-and-set: if the register holds `from`, it becomes `to`.
    Cas {
        from: i64,
        to: i64,
    },
}

/// An operation on the register named `key` (empty for a single register, as in etcd's logs).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegisterInput {
    pub key: String,
    pub op: RegisterOp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOutput {
    /// The value read; `None` before any write (`nil`).
    Read(Option<i64>),
    Write,
    /// Whether the compare matched and the set happened.
    Cas {
        ok: bool,
    },
}

/// A register with read and write, one per key. Its histories have no cas: check those with
/// [`super::cas_register::CasRegisterModel`]; the parsers refuse a cas for this model.
#[derive(Clone, Copy, Debug, Default)]
pub struct RegisterModel;

impl Model for RegisterModel {
    type State = Option<i64>;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Option<Option<i64>> {
        match input.op {
            RegisterOp::Read => read_step(*state, output),
            RegisterOp::Write(value) => Some(Some(value)),
            RegisterOp::Cas { .. } => panic!("a plain register has no cas: {input:?}"),
        }
    }

    fn partition(&self, history: &History<RegisterInput, RegisterOutput>) -> Vec<Partition> {
        partition_by_key(history, |input| &input.key)
    }

    /// Keys whose writes write unique values get the polynomial decision.
    fn decide(
        &self,
        ops: &[Operation<RegisterInput, RegisterOutput>],
        members: &[usize],
    ) -> Option<Decision> {
        super::register_unique::decide(ops, members)
    }

    fn describe_operation(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
        describe_register_operation(input, output)
    }

    fn describe_call(&self, input: &RegisterInput) -> String {
        describe_register_call(input)
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        describe_value(*state)
    }

    fn is_read_only(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> bool {
        register_read_only(input, output)
    }
}

/// Reads, and compare-and-sets answered refused, never change the state they step in.
pub(crate) fn register_read_only(input: &RegisterInput, output: Option<&RegisterOutput>) -> bool {
    match input.op {
        RegisterOp::Read => true,
        RegisterOp::Cas { .. } => output == Some(&RegisterOutput::Cas { ok: false }),
        RegisterOp::Write(_) => false,
    }
}

/// A read answered `output` in `state`: possible iff it read the state (or is unknown).
pub(crate) fn read_step(
    state: Option<i64>,
    output: Option<&RegisterOutput>,
) -> Option<Option<i64>> {
    match output {
        None => Some(state),
        Some(RegisterOutput::Read(value)) if *value == state => Some(state),
        Some(RegisterOutput::Read(_) | RegisterOutput::Write | RegisterOutput::Cas { .. }) => None,
    }
}

pub(crate) fn describe_value(value: Option<i64>) -> String {
    value.map_or_else(|| String::from("nil"), |value| value.to_string())
}

pub(crate) fn describe_register_operation(
    input: &RegisterInput,
    output: Option<&RegisterOutput>,
) -> String {
    let answer = |output: &RegisterOutput| match output {
        RegisterOutput::Read(value) => format!(" -> {}", describe_value(*value)),
        RegisterOutput::Write => String::new(),
        RegisterOutput::Cas { ok } => String::from(if *ok { " -> ok" } else { " -> refused" }),
    };
    let call = describe_register_call(input);
    format!("{call}{}", describe_answer(output, answer))
}

/// `read("k")`, `write("k", 3)`, `cas("k", 1, 2)`; without the key when it is empty.
pub(crate) fn describe_register_call(input: &RegisterInput) -> String {
    let target = if input.key.is_empty() {
        String::new()
    } else {
        format!("{:?}, ", input.key)
    };
    match input.op {
        RegisterOp::Read => format!("read({})", target.trim_end_matches(", ")),
        RegisterOp::Write(value) => format!("write({target}{value})"),
        RegisterOp::Cas { from, to } => format!("cas({target}{from}, {to})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(op: RegisterOp) -> RegisterInput {
        RegisterInput {
            key: String::new(),
            op,
        }
    }

    #[test]
    fn reads_see_the_last_write_and_nil_before_any() {
        let model = RegisterModel;
        let read = input(RegisterOp::Read);
        assert_eq!(
            model.step(&None, &read, Some(&RegisterOutput::Read(None))),
            Some(None)
        );
        assert_eq!(
            model.step(&None, &read, Some(&RegisterOutput::Read(Some(0)))),
            None
        );
        let state = model.step(
            &None,
            &input(RegisterOp::Write(4)),
            Some(&RegisterOutput::Write),
        );
        assert_eq!(state, Some(Some(4)));
        assert_eq!(
            model.step(&Some(4), &read, Some(&RegisterOutput::Read(Some(4)))),
            Some(Some(4))
        );
        assert_eq!(
            model.step(&Some(4), &read, None),
            Some(Some(4)),
            "an unknown read reads anything"
        );
    }

    #[test]
    #[should_panic(expected = "no cas")]
    fn a_cas_is_a_programmer_error() {
        RegisterModel.step(&None, &input(RegisterOp::Cas { from: 1, to: 2 }), None);
    }

    #[test]
    fn describes_operations() {
        let keyed = RegisterInput {
            key: "x".into(),
            op: RegisterOp::Write(3),
        };
        assert_eq!(
            describe_register_operation(&keyed, Some(&RegisterOutput::Write)),
            "write(\"x\", 3)"
        );
        let read = input(RegisterOp::Read);
        assert_eq!(
            describe_register_operation(&read, Some(&RegisterOutput::Read(None))),
            "read() -> nil"
        );
        assert_eq!(describe_register_operation(&read, None), "read() -> ?");
    }
}
