//! Where the built filters are, and whether they still match their sources.
//!
//! Tests run the `.wasm` files `scripts/build-filters.sh` writes to `dist/`, not the sources: after
//! a change to `filters/`, a test run against the old files would pass or fail for the wrong
//! reason. [`fresh_wasm`] refuses a file older than any source it is built from, naming both.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The workspace this crate was built in (its sources, `dist/`, `kong/`).
pub fn workspace() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The shipped filters: `KDP_FILTERS_DIR`, else `<workspace>/dist/kong-filters`.
pub fn filters_dir() -> PathBuf {
    dir_from("KDP_FILTERS_DIR", "dist/kong-filters")
}

/// The test-only filters: `KDP_TEST_FILTERS_DIR`, else `<workspace>/dist/test-filters`.
pub fn test_filters_dir() -> PathBuf {
    dir_from("KDP_TEST_FILTERS_DIR", "dist/test-filters")
}

fn dir_from(variable: &str, default: &str) -> PathBuf {
    std::env::var_os(variable).map_or_else(|| workspace().join(default), PathBuf::from)
}

/// Why a built filter cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArtifactError {
    /// The file does not exist.
    Missing(PathBuf),
    /// The file is older than a source it is built from.
    Stale {
        /// The `.wasm` file.
        wasm: PathBuf,
        /// The newest source, changed after the file was built.
        source: PathBuf,
    },
}

impl fmt::Display for ArtifactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArtifactError::Missing(wasm) => write!(
                f,
                "{} is missing: run scripts/build-filters.sh to build the filters",
                wasm.display()
            ),
            ArtifactError::Stale { wasm, source } => write!(
                f,
                "{} is older than {}: run scripts/build-filters.sh to rebuild the filters",
                wasm.display(),
                source.display()
            ),
        }
    }
}

impl std::error::Error for ArtifactError {}

/// `<dir>/<name>.wasm`, if it exists and is not older than the workspace's filter sources
/// (`filters/**`, the workspace `Cargo.toml` and `Cargo.lock`).
pub fn fresh_wasm(dir: &Path, name: &str) -> Result<PathBuf, ArtifactError> {
    let wasm = dir.join(format!("{name}.wasm"));
    let built = modified(&wasm).ok_or_else(|| ArtifactError::Missing(wasm.clone()))?;
    match newest_source(&workspace()) {
        Some((source, changed)) if changed > built => Err(ArtifactError::Stale { wasm, source }),
        _ => Ok(wasm),
    }
}

/// The most recently changed file the filters are built from, and when.
pub fn newest_source(workspace: &Path) -> Option<(PathBuf, SystemTime)> {
    let mut newest: Option<(PathBuf, SystemTime)> = None;
    let mut consider = |path: PathBuf| {
        if let Some(changed) = modified(&path)
            && newest.as_ref().is_none_or(|(_, time)| changed > *time)
        {
            newest = Some((path, changed));
        }
    };
    consider(workspace.join("Cargo.toml"));
    consider(workspace.join("Cargo.lock"));
    let mut pending = vec![workspace.join("filters")];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                // Build output inside a filter crate is not a source.
                if entry.file_name() != "target" {
                    pending.push(path);
                }
            } else if matches!(
                path.extension().and_then(|extension| extension.to_str()),
                Some("rs" | "toml")
            ) {
                consider(path);
            }
        }
    }
    newest
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_source_is_a_filter_source() {
        let (source, _) = newest_source(&workspace()).unwrap();
        let relative = source.strip_prefix(workspace()).unwrap();
        assert!(
            relative.starts_with("filters")
                || relative.starts_with("Cargo.toml")
                || relative.starts_with("Cargo.lock"),
            "{}",
            source.display()
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = fresh_wasm(Path::new("/nonexistent"), "nothing").unwrap_err();
        assert_eq!(
            error.to_string(),
            "/nonexistent/nothing.wasm is missing: run scripts/build-filters.sh to build the filters"
        );
    }

    #[test]
    fn a_file_older_than_the_sources_is_stale() {
        let dir = std::env::temp_dir().join(format!("kdp-artifacts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let wasm = dir.join("old.wasm");
        std::fs::write(&wasm, b"\0asm").unwrap();
        let file = std::fs::File::options().write(true).open(&wasm).unwrap();
        file.set_modified(SystemTime::UNIX_EPOCH).unwrap();
        let error = fresh_wasm(&dir, "old").unwrap_err();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            matches!(&error, ArtifactError::Stale { wasm: stale, .. } if *stale == wasm),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .ends_with(": run scripts/build-filters.sh to rebuild the filters")
        );
    }
}
