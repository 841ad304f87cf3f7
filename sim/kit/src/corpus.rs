//! The regression corpus: seeds that once failed, one per line, replayed in CI.
//!
//! Format: `SCENARIO SEED [# note]`. Blank lines and lines starting with `#` are ignored.

use crate::seeds::parse_seed;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusEntry {
    pub file: PathBuf,
    pub line: usize,
    pub scenario: String,
    pub seed: u64,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for CorpusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for CorpusError {}

/// Reads one corpus file.
pub fn read_file(path: &Path) -> Result<Vec<CorpusEntry>, CorpusError> {
    let text = std::fs::read_to_string(path).map_err(|e| CorpusError {
        file: path.to_path_buf(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    parse(path, &text)
}

/// Reads every `*.txt` file of a corpus directory, in name order.
pub fn read_dir(dir: &Path) -> Result<Vec<CorpusEntry>, CorpusError> {
    let listing = std::fs::read_dir(dir).map_err(|e| CorpusError {
        file: dir.to_path_buf(),
        line: None,
        message: format!("cannot list: {e}"),
    })?;
    let mut files: Vec<PathBuf> = listing
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .collect();
    files.sort();
    let mut entries = Vec::new();
    for file in files {
        entries.extend(read_file(&file)?);
    }
    Ok(entries)
}

pub fn parse(file: &Path, text: &str) -> Result<Vec<CorpusEntry>, CorpusError> {
    let mut entries = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let (content, note) = match raw.split_once('#') {
            Some((content, note)) => (content, note.trim()),
            None => (raw, ""),
        };
        let fields: Vec<&str> = content.split_whitespace().collect();
        let error = |message: String| CorpusError {
            file: file.to_path_buf(),
            line: Some(line),
            message,
        };
        match fields.as_slice() {
            [] => continue,
            [scenario, seed] => {
                let seed = parse_seed(seed).map_err(|e| error(e.to_string()))?;
                entries.push(CorpusEntry {
                    file: file.to_path_buf(),
                    line,
                    scenario: scenario.to_string(),
                    seed,
                    note: note.to_string(),
                });
            }
            _ => {
                return Err(error(format!(
                    "expected 'SCENARIO SEED  # note', found {} field(s): '{}'",
                    fields.len(),
                    content.trim()
                )))
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_comments_and_blank_lines() {
        let text = "# header\n\nraft-election-random 12  # split vote\nraft-2a-reelection 0x10\n";
        let entries = parse(Path::new("seeds/raft.txt"), text).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].seed, 12);
        assert_eq!(entries[0].line, 3);
        assert_eq!(entries[0].note, "split vote");
        assert_eq!(entries[1].seed, 16);
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        let error = parse(Path::new("seeds/raft.txt"), "ok 1\nraft-x 12 extra\n").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(
            error.to_string().starts_with("seeds/raft.txt:2: expected"),
            "{error}"
        );
        let error = parse(Path::new("s.txt"), "raft-x twelve\n").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("s.txt:1: malformed seed 'twelve'"),
            "{error}"
        );
    }
}
