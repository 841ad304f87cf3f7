//! Choice buffers on disk: what `--input FILE` reads and `shrink` writes.
//!
//! A file written here is text, so a person can read which run it is:
//!
//! ```text
//! dst-choices 1
//! scenario raft-election-random
//! mutant vote-twice-in-term
//! storage-faults torn-writes
//! hex 00ff03...
//! ```
//!
//! Settings other than the defaults (storage fault classes, strategy, budgets; see
//! [`RunSettings`]) are written too, so the file replays as it was shrunk with no flags.
//!
//! Any other file is taken as raw bytes (a fuzzer's crash input), and then the scenario
//! must be named on the command line.

use crate::run_settings::RunSettings;
use std::path::Path;

const MAGIC: &str = "dst-choices 1";

/// A choice buffer and, if the file says, the run it belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChoiceFile {
    pub scenario: Option<String>,
    pub mutant: Option<String>,
    pub settings: RunSettings,
    pub bytes: Vec<u8>,
}

impl ChoiceFile {
    pub fn read(path: &Path) -> Result<ChoiceFile, String> {
        let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        ChoiceFile::parse(&raw).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A file of ours, or raw bytes.
    pub fn parse(raw: &[u8]) -> Result<ChoiceFile, String> {
        let Some(text) = std::str::from_utf8(raw)
            .ok()
            .filter(|t| t.starts_with(MAGIC))
        else {
            return Ok(ChoiceFile {
                bytes: raw.to_vec(),
                ..ChoiceFile::default()
            });
        };
        let mut file = ChoiceFile::default();
        for (n, line) in text.lines().enumerate().skip(1) {
            let line = line.trim();
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            match key {
                "" => {}
                "scenario" => file.scenario = Some(value.to_string()),
                "mutant" => file.mutant = Some(value.to_string()),
                "hex" => {
                    file.bytes = parse_hex(value).map_err(|e| format!("line {}: {e}", n + 1))?
                }
                other => {
                    let known = file
                        .settings
                        .read_line(other, value)
                        .map_err(|e| format!("line {}: {e}", n + 1))?;
                    if !known {
                        return Err(format!("line {}: unknown field '{other}'", n + 1));
                    }
                }
            }
        }
        Ok(file)
    }

    pub fn render(&self) -> String {
        let mut out = format!("{MAGIC}\n");
        if let Some(scenario) = &self.scenario {
            out.push_str(&format!("scenario {scenario}\n"));
        }
        if let Some(mutant) = &self.mutant {
            out.push_str(&format!("mutant {mutant}\n"));
        }
        for line in self.settings.lines() {
            out.push_str(&line);
            out.push('\n');
        }
        let hex: String = self.bytes.iter().map(|b| format!("{b:02x}")).collect();
        out.push_str(&format!("hex {hex}\n"));
        out
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, self.render()).map_err(|e| format!("{}: {e}", path.display()))
    }
}

fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| format!("bad hex at {i}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_reads_back_and_raw_bytes_are_a_buffer() {
        let file = ChoiceFile {
            scenario: Some("raft-random".into()),
            mutant: Some("skip-truncation".into()),
            settings: RunSettings {
                strategy: Some(sim::Strategy::Pct),
                max_events: Some(20),
                ..RunSettings::default()
            },
            bytes: vec![0, 255, 7],
        };
        assert_eq!(ChoiceFile::parse(file.render().as_bytes()), Ok(file));
        let raw = ChoiceFile::parse(&[1, 2, 3]).expect("raw");
        assert_eq!((raw.scenario, raw.bytes), (None, vec![1, 2, 3]));
        let bad = format!("{MAGIC}\nhex 0g\n");
        assert!(ChoiceFile::parse(bad.as_bytes()).is_err());
        let bad = format!("{MAGIC}\ncolour blue\n");
        assert!(ChoiceFile::parse(bad.as_bytes()).is_err());
        let bad = format!("{MAGIC}\nscenario raft-random\nstrategy fastest\n");
        let error = ChoiceFile::parse(bad.as_bytes()).unwrap_err();
        assert!(error.starts_with("line 3: unknown strategy"), "{error}");
    }
}
