//! A register with read, write and compare-and-set, one per key (etcd under Jepsen).

use super::partition_by_key;
use super::register::{
    describe_register_call, describe_register_operation, describe_value, read_step,
    register_read_only, RegisterInput, RegisterOp, RegisterOutput,
};
use crate::history::{History, Operation};
use crate::model::{Decision, Model, Partition};

#[derive(Clone, Copy, Debug, Default)]
pub struct CasRegisterModel;

impl Model for CasRegisterModel {
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
            RegisterOp::Cas { from, to } => {
                let matches = *state == Some(from);
                let after = if matches { Some(to) } else { *state };
                match output {
                    None => Some(after),
                    Some(RegisterOutput::Cas { ok }) if *ok == matches => Some(after),
                    Some(
                        RegisterOutput::Cas { .. }
                        | RegisterOutput::Read(_)
                        | RegisterOutput::Write,
                    ) => None,
                }
            }
        }
    }

    fn partition(&self, history: &History<RegisterInput, RegisterOutput>) -> Vec<Partition> {
        partition_by_key(history, |input| &input.key)
    }

    /// Keys whose writes and compare-and-sets write unique values get the polynomial decision.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cas(from: i64, to: i64) -> RegisterInput {
        RegisterInput {
            key: String::new(),
            op: RegisterOp::Cas { from, to },
        }
    }

    #[test]
    fn cas_sets_only_when_the_value_matches() {
        let model = CasRegisterModel;
        let ok = RegisterOutput::Cas { ok: true };
        let refused = RegisterOutput::Cas { ok: false };
        assert_eq!(model.step(&Some(1), &cas(1, 2), Some(&ok)), Some(Some(2)));
        assert_eq!(model.step(&Some(3), &cas(1, 2), Some(&ok)), None);
        assert_eq!(
            model.step(&None, &cas(1, 2), Some(&ok)),
            None,
            "nil matches no value"
        );
        assert_eq!(
            model.step(&Some(3), &cas(1, 2), Some(&refused)),
            Some(Some(3))
        );
        assert_eq!(model.step(&Some(1), &cas(1, 2), Some(&refused)), None);
    }

    #[test]
    fn an_unknown_cas_takes_effect_if_it_matches() {
        let model = CasRegisterModel;
        assert_eq!(model.step(&Some(1), &cas(1, 2), None), Some(Some(2)));
        assert_eq!(model.step(&Some(5), &cas(1, 2), None), Some(Some(5)));
    }

    #[test]
    fn reads_and_writes_as_a_plain_register() {
        let model = CasRegisterModel;
        let write = RegisterInput {
            key: String::new(),
            op: RegisterOp::Write(7),
        };
        let state = model
            .step(&None, &write, Some(&RegisterOutput::Write))
            .unwrap();
        let read = RegisterInput {
            key: String::new(),
            op: RegisterOp::Read,
        };
        assert_eq!(
            model.step(&state, &read, Some(&RegisterOutput::Read(Some(7)))),
            Some(Some(7))
        );
        assert_eq!(
            model.step(&state, &read, Some(&RegisterOutput::Read(None))),
            None
        );
    }
}
