//! `--trace [FILE]` and `--trace-format`: every event as text lines, to stdout or a file, or
//! the run's recording as a Chrome trace-event file.

use crate::chrome;
use crate::cli::InputError;
use crate::report::RunReport;
use clap::ValueEnum;
use sim::TraceMode;
use std::io::Write;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TraceFormat {
    Text,
    Chrome,
}

/// Where `--trace` goes, in which format.
pub(crate) struct TraceOut {
    pub(crate) format: TraceFormat,
    /// `None`: no trace; `-`: standard output.
    path: Option<PathBuf>,
}

impl TraceOut {
    pub(crate) fn new(format: TraceFormat, path: Option<PathBuf>) -> Result<TraceOut, InputError> {
        let out = TraceOut { format, path };
        let to_stdout = out.path.as_deref().is_none_or(|p| p.as_os_str() == "-");
        if out.format == TraceFormat::Chrome && to_stdout {
            return Err(InputError(
                "--trace-format chrome writes a file: give --trace FILE".into(),
            ));
        }
        Ok(out)
    }

    pub(crate) fn mode(&self) -> TraceMode {
        match (self.format, &self.path) {
            (TraceFormat::Text, Some(_)) => TraceMode::Full,
            (TraceFormat::Text, None) | (TraceFormat::Chrome, _) => TraceMode::Hash,
        }
    }

    /// Writes the run's trace where it was asked for (text lines to stdout go first, above
    /// the summary, as they always did).
    pub(crate) fn write(
        &self,
        report: &mut RunReport,
        out: &mut impl Write,
    ) -> Result<(), InputError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let cannot =
            |e: std::io::Error| InputError(format!("cannot write {}: {e}", path.display()));
        match self.format {
            TraceFormat::Text => {
                let lines = report.trace_lines.take().unwrap_or_default();
                if path.as_os_str() == "-" {
                    for line in &lines {
                        writeln!(out, "{line}")?;
                    }
                    writeln!(out)?;
                } else {
                    std::fs::write(path, lines.join("\n") + "\n").map_err(cannot)?;
                }
            }
            TraceFormat::Chrome => {
                let recording = report.recording.take().unwrap_or_default();
                let title = format!("{} seed {}", report.scenario, report.seed);
                let file = std::fs::File::create(path).map_err(cannot)?;
                let mut file = std::io::BufWriter::new(file);
                chrome::write(&recording, &title, &mut file).map_err(cannot)?;
                file.flush().map_err(cannot)?;
                writeln!(out, "chrome trace: {}", path.display())?;
            }
        }
        Ok(())
    }
}
