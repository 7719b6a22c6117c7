//! `kdp-migrate report`: the telemetry records, read back from wherever they landed (Kong's and
//! Envoy's logs, Envoy's access log, Kong's log plugins, JSONL; gzip too), counted per API and entry
//! in one streaming pass, and the answer to "who still calls the legacy host, and may we retire
//! it?" as a table, JSON or an HTML page with charts.
//!
//! [`input`] opens and reads lines, [`line`] finds records in them, [`record`] parses one,
//! [`tally`] counts, [`findings`] turns the counts into the report and the verdict, [`table`] and
//! [`html`] (with [`chart`]) write it.

pub mod chart;
pub mod findings;
pub mod html;
pub mod input;
pub mod line;
pub mod record;
pub mod table;
pub mod tally;
pub mod top;

use std::path::PathBuf;

pub use findings::{Criteria, Findings, InputSummary};
pub use tally::{Tally, Window};

use input::LogInput;
use line::LineReader;

/// Reads every file in order and counts its records. `on_malformed` gets `file:line: reason` for
/// each line that looked like a record and could not be read; such lines never stop the reading.
/// A file that cannot be opened or read is an error.
pub fn read(
    paths: &[PathBuf],
    window: Window,
    on_malformed: &mut dyn FnMut(&str),
) -> Result<(Tally, InputSummary), String> {
    let mut inputs = Vec::with_capacity(paths.len());
    for path in paths {
        inputs.push(LogInput::open(path).map_err(|error| format!("{}: {error}", path.display()))?);
    }
    read_inputs(inputs, window, on_malformed)
}

/// [`read`] over inputs already open (a benchmark feeds generated text).
pub fn read_inputs(
    inputs: Vec<LogInput>,
    window: Window,
    on_malformed: &mut dyn FnMut(&str),
) -> Result<(Tally, InputSummary), String> {
    let mut tally = Tally::new(window);
    let mut summary = InputSummary::default();
    let reader = LineReader::default();
    for mut input in inputs {
        let label = input.label.clone();
        summary.files.push(label.clone());
        loop {
            let (number, line) = match input.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(error) => return Err(format!("{label}: {error}")),
            };
            summary.lines += 1;
            let outcome = reader.read(line, &mut |sighting| tally.add(&sighting));
            if let Some(reason) = outcome.malformed {
                summary.malformed += 1;
                on_malformed(&format!("{label}:{number}: {reason}"));
            }
        }
    }
    Ok((tally, summary))
}
