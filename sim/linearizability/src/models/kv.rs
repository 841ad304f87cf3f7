//! A key/value store with get, put and append, partitioned by key (as in the course's kvsrv).

use super::{describe_answer, partition_by_key};
use crate::history::{History, Operation};
use crate::model::{Decision, Model, Partition};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvOp {
    Get,
    Put,
    Append,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KvInput {
    pub op: KvOp,
    pub key: String,
    /// The value put or appended; empty for a get.
    pub value: String,
}

/// What a get read (a missing key reads as `""`); ignored for put and append.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KvOutput {
    pub value: String,
}

/// The value of one key. Partitioned by key, so a state only ever holds one key's value.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvModel;

impl Model for KvModel {
    type State = String;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> String {
        String::new()
    }

    fn step(&self, state: &String, input: &KvInput, output: Option<&KvOutput>) -> Option<String> {
        match input.op {
            KvOp::Get => match output {
                Some(read) if read.value != *state => None,
                Some(_) | None => Some(state.clone()),
            },
            KvOp::Put => Some(input.value.clone()),
            KvOp::Append => {
                let mut appended = String::with_capacity(state.len() + input.value.len());
                appended.push_str(state);
                appended.push_str(&input.value);
                Some(appended)
            }
        }
    }

    fn partition(&self, history: &History<KvInput, KvOutput>) -> Vec<Partition> {
        partition_by_key(history, |input| &input.key)
    }

    /// Keys whose puts and appends write unique values get the polynomial decision.
    fn decide(&self, ops: &[Operation<KvInput, KvOutput>], members: &[usize]) -> Option<Decision> {
        super::kv_unique::decide(ops, members)
    }

    fn describe_operation(&self, input: &KvInput, output: Option<&KvOutput>) -> String {
        let key = &input.key;
        match input.op {
            KvOp::Get => format!(
                "get({key:?}){}",
                describe_answer(output, |read| format!(" -> {:?}", read.value))
            ),
            KvOp::Put => format!("put({key:?}, {:?})", input.value),
            KvOp::Append => format!("append({key:?}, {:?})", input.value),
        }
    }

    fn describe_call(&self, input: &KvInput) -> String {
        match input.op {
            KvOp::Get => format!("get({:?})", input.key),
            KvOp::Put | KvOp::Append => self.describe_operation(input, None),
        }
    }

    fn describe_state(&self, state: &String) -> String {
        format!("{state:?}")
    }

    /// A get never changes the value.
    fn is_read_only(&self, input: &KvInput, _output: Option<&KvOutput>) -> bool {
        input.op == KvOp::Get
    }

    /// A get without copying the value: read-only steps are most of a search's steps.
    fn accepts(&self, state: &String, input: &KvInput, output: Option<&KvOutput>) -> bool {
        match (input.op, output) {
            (KvOp::Get, Some(read)) => read.value == *state,
            (KvOp::Get, None) | (KvOp::Put | KvOp::Append, _) => true,
        }
    }

    fn state_heap_bytes(&self, state: &String) -> usize {
        state.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Operation;

    fn input(op: KvOp, key: &str, value: &str) -> KvInput {
        KvInput {
            op,
            key: key.to_string(),
            value: value.to_string(),
        }
    }

    fn read(value: &str) -> KvOutput {
        KvOutput {
            value: value.to_string(),
        }
    }

    #[test]
    fn get_must_read_the_state_and_a_missing_key_reads_empty() {
        let model = KvModel;
        let get = input(KvOp::Get, "k", "");
        assert_eq!(
            model.step(&model.init(), &get, Some(&read(""))),
            Some(String::new())
        );
        assert_eq!(model.step(&model.init(), &get, Some(&read("x"))), None);
        assert_eq!(
            model.step(&"x".to_string(), &get, None),
            Some("x".to_string())
        );
    }

    #[test]
    fn accepts_what_step_accepts() {
        let model = KvModel;
        let get = input(KvOp::Get, "k", "");
        for (state, value) in [("", ""), ("a", "a"), ("a", ""), ("", "a")] {
            let state = state.to_string();
            let read = Some(read(value));
            let stepped = model.step(&state, &get, read.as_ref()).is_some();
            assert_eq!(model.accepts(&state, &get, read.as_ref()), stepped);
        }
        assert!(model.accepts(&"x".to_string(), &input(KvOp::Append, "k", "y"), None));
    }

    #[test]
    fn put_replaces_and_append_concatenates() {
        let model = KvModel;
        let state = model
            .step(&"a".into(), &input(KvOp::Append, "k", "b"), Some(&read("")))
            .unwrap();
        assert_eq!(state, "ab");
        let state = model
            .step(&state, &input(KvOp::Put, "k", "c"), None)
            .unwrap();
        assert_eq!(state, "c");
    }

    #[test]
    fn partitions_by_key_in_key_order() {
        let op = |key: &str| Operation {
            client: 0,
            call: 0,
            ret: Some(1),
            input: input(KvOp::Put, key, "v"),
            output: Some(read("")),
        };
        let history = History::new(vec![op("b"), op("a"), op("b")]);
        let partitions = KvModel.partition(&history);
        assert_eq!(partitions.len(), 2);
        assert_eq!(
            (partitions[0].label.as_str(), &partitions[0].ops),
            ("key \"a\"", &vec![1])
        );
        assert_eq!(partitions[1].ops, vec![0, 2]);
    }

    #[test]
    fn describes_operations() {
        let get = input(KvOp::Get, "k", "");
        assert_eq!(
            KvModel.describe_operation(&get, Some(&read("v"))),
            "get(\"k\") -> \"v\""
        );
        assert_eq!(KvModel.describe_operation(&get, None), "get(\"k\") -> ?");
    }
}
