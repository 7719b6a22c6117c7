//! The replay's summary: per API, counts by entry × action, then every error.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use kdp_migrate_host_test::ObservedAction;

use super::ReplayRecord;

/// Entries in display order.
const ENTRIES: [&str; 4] = ["short", "long", "legacy", "unknown"];

/// Counts as records come in.
#[derive(Debug, Default)]
pub struct Summary {
    /// (api, entry index) → count per action.
    rows: BTreeMap<(Option<String>, usize), [u64; 5]>,
    errors: Vec<String>,
    requests: u64,
    malformed: usize,
}

impl Summary {
    /// Counts one record.
    pub fn add(&mut self, record: &ReplayRecord) {
        self.requests += 1;
        let entry = ENTRIES
            .iter()
            .position(|entry| *entry == record.entry)
            .unwrap_or(ENTRIES.len());
        let counts = self.rows.entry((record.api.clone(), entry)).or_default();
        let action = ObservedAction::ALL
            .iter()
            .position(|action| *action == record.action);
        if let Some(slot) = action.and_then(|action| counts.get_mut(action)) {
            *slot += 1;
        }
        if let Some(error) = &record.error {
            self.errors.push(format!(
                "#{} {} {}{}: {error}",
                record.n, record.method, record.host, record.path
            ));
        }
    }

    /// Records how many malformed entries were skipped.
    pub fn set_malformed(&mut self, count: usize) {
        self.malformed = count;
    }

    /// Requests that failed.
    pub fn errors(&self) -> usize {
        self.errors.len()
    }

    /// Requests counted.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// The text printed on stderr.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "replayed {} requests: {} errors, {} malformed entries skipped",
            self.requests,
            self.errors.len(),
            self.malformed
        );
        let api_width = self
            .rows
            .keys()
            .map(|(api, _)| api.as_deref().map_or(1, str::len))
            .max()
            .unwrap_or(3)
            .max(3);
        let _ = write!(out, "{:<api_width$}  {:<7}", "api", "entry");
        for action in ObservedAction::ALL {
            let _ = write!(out, "  {:>8}", action.as_str());
        }
        let _ = writeln!(out, "  {:>8}", "total");
        // APIs by name, requests without an API last.
        let mut rows: Vec<_> = self.rows.iter().collect();
        rows.sort_by_key(|((api, entry), _)| (api.is_none(), api.clone(), *entry));
        for ((api, entry), counts) in rows {
            let entry = ENTRIES.get(*entry).copied().unwrap_or("?");
            let _ = write!(
                out,
                "{:<api_width$}  {:<7}",
                api.as_deref().unwrap_or("-"),
                entry
            );
            for count in counts {
                let _ = write!(out, "  {count:>8}");
            }
            let _ = writeln!(out, "  {:>8}", counts.iter().sum::<u64>());
        }
        if !self.errors.is_empty() {
            let _ = writeln!(out, "errors:");
            for error in &self.errors {
                let _ = writeln!(out, "  {error}");
            }
        }
        out
    }
}
