//! Reading the log files of the gateways, which may hold bytes that are not UTF-8.

use std::path::Path;

/// The whole file, lossily decoded (empty if it cannot be read).
pub fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// The last `lines` lines of the file, labelled with its path.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = read_lossy(path);
    let all: Vec<&str> = text.lines().collect();
    let from = all.len().saturating_sub(lines);
    format!(
        "log {} (last {} lines):\n{}",
        path.display(),
        lines,
        all.get(from..).unwrap_or_default().join("\n")
    )
}
