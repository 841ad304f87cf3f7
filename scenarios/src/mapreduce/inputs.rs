//! The course's eight input texts, read once per process, and the sequential references.
//!
//! A sweep runs thousands of seeds in one process; reading 3.3 MB and running the whole
//! sequential job for every one would dominate it, so both are computed once and shared.
//! Neither depends on the seed, so sharing them keeps every run a function of its seed.

use mapreduce::{sequential, AppKind};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The inputs in the course's order (the sorted `pg*txt` glob).
pub const INPUT_NAMES: [&str; 8] = [
    "pg-being_ernest.txt",
    "pg-dorian_gray.txt",
    "pg-frankenstein.txt",
    "pg-grimm.txt",
    "pg-huckleberry_finn.txt",
    "pg-metamorphosis.txt",
    "pg-sherlock_holmes.txt",
    "pg-tom_sawyer.txt",
];

pub type Inputs = Vec<(String, Vec<u8>)>;

static INPUTS: OnceLock<Result<Inputs, String>> = OnceLock::new();
static SEQUENTIAL: [OnceLock<Vec<String>>; AppKind::ALL.len()] =
    [const { OnceLock::new() }; AppKind::ALL.len()];

pub fn input_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/mr/inputs")
}

/// All eight texts, or why they could not be read (a clear failure, not a panic).
pub fn course_inputs() -> Result<&'static Inputs, String> {
    INPUTS
        .get_or_init(|| {
            let dir = input_dir();
            INPUT_NAMES
                .iter()
                .map(|name| {
                    let path = dir.join(name);
                    std::fs::read(&path)
                        .map(|bytes| (name.to_string(), bytes))
                        .map_err(|error| format!("cannot read input {}: {error}", path.display()))
                })
                .collect::<Result<Inputs, String>>()
                .and_then(check_digest)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The digest of the eight texts as committed. Runs draw slices of them from the seed, so
/// other bytes (a line-ending conversion on checkout, an edited file) would replay other runs.
const INPUTS_DIGEST: u64 = 0x5a68_95d2_1cff_7e5a;

fn inputs_digest(inputs: &Inputs) -> u64 {
    let mut hasher = sim::hash::Hasher64::new();
    for (name, bytes) in inputs {
        hasher.write_str(name);
        hasher.write_bytes(bytes);
    }
    hasher.finish()
}

fn check_digest(inputs: Inputs) -> Result<Inputs, String> {
    let digest = inputs_digest(&inputs);
    if digest != INPUTS_DIGEST {
        return Err(format!(
            "the input texts in {} are not the committed ones (digest {digest:016x}, expected {INPUTS_DIGEST:016x}): \
             restore them with `git checkout -- tools/mr/inputs`",
            input_dir().display()
        ));
    }
    Ok(inputs)
}

/// `mrsequential` of `app` over all eight inputs, as sorted non-empty lines.
pub fn course_sequential(app: AppKind) -> Result<&'static [String], String> {
    let inputs = course_inputs()?;
    let slot = AppKind::ALL
        .iter()
        .position(|kind| *kind == app)
        .expect("AppKind::ALL lists every app");
    Ok(SEQUENTIAL[slot]
        .get_or_init(|| {
            // The course's input names hold no newline, the one thing sequential rejects.
            let text = sequential(app.app(), inputs).expect("course inputs reduce to lines");
            super::fs::sorted_lines(&text)
        })
        .as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inputs_are_the_course_texts() {
        let inputs = course_inputs().expect("tools/mr/inputs is in the repository");
        let bytes: usize = inputs.iter().map(|(_, b)| b.len()).sum();
        assert_eq!(bytes, 3_301_104);
        let wc = course_sequential(AppKind::Wc).unwrap();
        assert_eq!(wc.len(), 22_107);
        assert!(wc.iter().any(|line| line == "the 29748"));
    }
}
