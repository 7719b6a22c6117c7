//! The files a report reads: plain text or gzip (told by the first two bytes, not the name), read line
//! by line into one reused buffer, so memory stays the same whatever the file's size.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

/// Large reads: the report is bound by parsing, and fewer, larger reads keep the system's share small.
const BUFFER_BYTES: usize = 1 << 18;

/// gzip's magic number (RFC 1952 §2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// One input, read as lines.
pub struct LogInput {
    /// The name errors and malformed lines are reported with: the path as given, `-` for stdin.
    pub label: String,
    reader: Box<dyn BufRead>,
    line: Vec<u8>,
    number: usize,
}

impl std::fmt::Debug for LogInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogInput")
            .field("label", &self.label)
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

impl LogInput {
    /// Opens `path` (`-` is stdin); gzip, also several members one after another as `cat a.gz b.gz`
    /// makes them, is decompressed on the way.
    pub fn open(path: &Path) -> io::Result<Self> {
        let label = path.display().to_string();
        let raw: Box<dyn Read> = if label == "-" {
            Box::new(io::stdin().lock())
        } else {
            Box::new(File::open(path)?)
        };
        Self::from_reader(label, raw)
    }

    /// Reads `raw` as a file named `label` would be read.
    pub fn from_reader(label: String, raw: impl Read + 'static) -> io::Result<Self> {
        let mut buffered = BufReader::with_capacity(BUFFER_BYTES, raw);
        let gzip = buffered.fill_buf()?.starts_with(&GZIP_MAGIC);
        let reader: Box<dyn BufRead> = if gzip {
            Box::new(BufReader::with_capacity(
                BUFFER_BYTES,
                MultiGzDecoder::new(buffered),
            ))
        } else {
            Box::new(buffered)
        };
        Ok(LogInput {
            label,
            reader,
            line: Vec::with_capacity(4096),
            number: 0,
        })
    }

    /// The next line without its line ending, and its 1-based number; `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<(usize, &[u8])>> {
        self.line.clear();
        if self.reader.read_until(b'\n', &mut self.line)? == 0 {
            return Ok(None);
        }
        self.number += 1;
        let mut end = self.line.len();
        while end > 0 && matches!(self.line.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        Ok(Some((
            self.number,
            self.line.get(..end).unwrap_or_default(),
        )))
    }
}
