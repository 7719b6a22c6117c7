//! Counting sightings as they stream by. Memory grows with the number of APIs, days and distinct
//! legacy clients, never with the number of lines.

use std::collections::{BTreeMap, HashSet};

use hdrhistogram::Histogram;
use kdp_migrate_core::{Action, Entry, Timestamp};

use super::record::Sighting;
use super::top::TopValues;

/// The entries an API's requests come in on, in the order every output lists them.
pub const API_ENTRIES: [Entry; 3] = [Entry::Short, Entry::Long, Entry::Legacy];

/// The actions, in output order.
pub const ACTIONS: [Action; 4] = [
    Action::Proxy,
    Action::Redirect,
    Action::Reject,
    Action::Pass,
];

/// How many values each top list keeps counters for (see [`TopValues`] for the bound).
const TOP_COUNTERS: usize = 256;

/// Latencies are kept in microseconds, up to an hour, to two significant digits (HdrHistogram: the
/// buckets are at most 1 % wide), and a percentile is reported as the middle of its bucket: within
/// 0.5 % (+1 µs) of a latency that was recorded.
const LATENCY_MAX_US: u64 = 3_600_000_000;
const LATENCY_DIGITS: u8 = 2;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Which records count: those whose time is in `[since, until]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// The first moment that counts.
    pub since: Option<Timestamp>,
    /// The last moment that counts.
    pub until: Option<Timestamp>,
}

impl Window {
    fn admits(&self, time: Option<Timestamp>) -> bool {
        match time {
            Some(time) => {
                self.since.is_none_or(|since| time >= since)
                    && self.until.is_none_or(|until| time <= until)
            }
            // A record without a time cannot be placed in a bounded window.
            None => self.since.is_none() && self.until.is_none(),
        }
    }
}

/// One entry of one API.
#[derive(Clone, Debug, Default)]
pub struct EntryTally {
    /// Requests.
    pub requests: u64,
    /// Requests per action, in [`ACTIONS`] order.
    pub actions: [u64; 4],
    /// Responses 400–499.
    pub client_errors: u64,
    /// Responses 500–599.
    pub server_errors: u64,
    /// Latencies, when there were any.
    pub latency: Option<Histogram<u64>>,
    /// The earliest request.
    pub first: Option<Timestamp>,
    /// The latest request.
    pub last: Option<Timestamp>,
}

impl EntryTally {
    /// The latency at `quantile` (0–1), in milliseconds.
    pub fn latency_ms(&self, quantile: f64) -> Option<f64> {
        let histogram = self.latency.as_ref().filter(|h| !h.is_empty())?;
        // The middle of the bucket the quantile falls in: within 0.5 % of a recorded latency.
        let micros = histogram.median_equivalent(histogram.value_at_quantile(quantile));
        Some(micros as f64 / 1000.0)
    }
}

/// One day (UTC) of one API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayTally {
    /// Requests per entry, in [`API_ENTRIES`] order.
    pub requests: [u64; 3],
    /// Responses 400–499.
    pub client_errors: u64,
    /// Responses 500–599.
    pub server_errors: u64,
}

/// Everything counted for one API.
#[derive(Clone, Debug)]
pub struct ApiTally {
    /// Per entry, in [`API_ENTRIES`] order.
    pub entries: [EntryTally; 3],
    /// Per day: days since the Unix epoch.
    pub days: BTreeMap<i64, DayTally>,
    /// The distinct legacy clients, by their 64-bit FNV-1a hash (exact: the chance that two of a
    /// million clients share a hash is below 10⁻⁷).
    pub legacy_clients: HashSet<u64>,
    /// The legacy clients that called most.
    pub top_legacy_clients: TopValues,
    /// The legacy user agents seen most.
    pub top_legacy_user_agents: TopValues,
    /// The legacy paths (without the query) asked most.
    pub top_legacy_paths: TopValues,
    /// The latest legacy request.
    pub last_legacy: Option<Timestamp>,
    /// Legacy requests whose time is unknown.
    pub legacy_untimed: u64,
}

impl Default for ApiTally {
    fn default() -> Self {
        ApiTally {
            entries: Default::default(),
            days: BTreeMap::new(),
            legacy_clients: HashSet::new(),
            top_legacy_clients: TopValues::new(TOP_COUNTERS),
            top_legacy_user_agents: TopValues::new(TOP_COUNTERS),
            top_legacy_paths: TopValues::new(TOP_COUNTERS),
            last_legacy: None,
            legacy_untimed: 0,
        }
    }
}

impl ApiTally {
    /// All requests.
    pub fn requests(&self) -> u64 {
        self.entries.iter().map(|entry| entry.requests).sum()
    }

    /// Requests on `entry` (`None` for `unknown`, which has no API).
    pub fn on(&self, entry: Entry) -> Option<&EntryTally> {
        self.entries.get(api_entry_index(entry)?)
    }

    /// Legacy requests.
    pub fn legacy_requests(&self) -> u64 {
        self.on(Entry::Legacy).map_or(0, |legacy| legacy.requests)
    }

    /// The share of requests that came in on a legacy host (0 when there were none at all).
    pub fn legacy_share(&self) -> f64 {
        share(self.legacy_requests(), self.requests())
    }
}

/// `part / whole`, 0 for an empty whole.
pub fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The position of an API's entry in [`API_ENTRIES`]; `None` for `unknown`.
pub fn api_entry_index(entry: Entry) -> Option<usize> {
    match entry {
        Entry::Short => Some(0),
        Entry::Long => Some(1),
        Entry::Legacy => Some(2),
        Entry::Unknown => None,
    }
}

fn action_index(action: Action) -> usize {
    match action {
        Action::Proxy => 0,
        Action::Redirect => 1,
        Action::Reject => 2,
        Action::Pass => 3,
    }
}

/// 64-bit FNV-1a: stable across runs and machines (std's hasher is seeded per process).
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Everything counted.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    window: Window,
    /// Per API, by name.
    pub apis: BTreeMap<String, ApiTally>,
    /// Records without an API (unknown hosts, short-host paths no API owns), per entry: short,
    /// long, legacy, unknown.
    pub unattributed: [u64; 4],
    /// Records counted (in the window).
    pub records: u64,
    /// Records outside the window.
    pub outside_window: u64,
    /// Records counted without a time.
    pub untimed: u64,
    /// The earliest record counted.
    pub first: Option<Timestamp>,
    /// The latest record counted.
    pub last: Option<Timestamp>,
}

impl Tally {
    /// An empty tally of the records in `window`.
    pub fn new(window: Window) -> Self {
        Tally {
            window,
            ..Tally::default()
        }
    }

    /// The window records are counted in.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Counts one record.
    pub fn add(&mut self, sighting: &Sighting<'_>) {
        if !self.window.admits(sighting.time) {
            self.outside_window += 1;
            return;
        }
        self.records += 1;
        match sighting.time {
            Some(time) => {
                self.first = Some(self.first.map_or(time, |first| first.min(time)));
                self.last = Some(self.last.map_or(time, |last| last.max(time)));
            }
            None => self.untimed += 1,
        }
        let (Some(api), Some(index)) = (sighting.api.as_deref(), api_entry_index(sighting.entry))
        else {
            let slot = match sighting.entry {
                Entry::Short => 0,
                Entry::Long => 1,
                Entry::Legacy => 2,
                Entry::Unknown => 3,
            };
            if let Some(count) = self.unattributed.get_mut(slot) {
                *count += 1;
            }
            return;
        };
        if !self.apis.contains_key(api) {
            self.apis.insert(api.to_owned(), ApiTally::default());
        }
        let Some(tally) = self.apis.get_mut(api) else {
            return;
        };
        let client_error = sighting.status.is_some_and(|s| (400..500).contains(&s));
        let server_error = sighting.status.is_some_and(|s| (500..600).contains(&s));
        if let Some(entry) = tally.entries.get_mut(index) {
            entry.requests += 1;
            if let Some(count) = entry.actions.get_mut(action_index(sighting.action)) {
                *count += 1;
            }
            entry.client_errors += u64::from(client_error);
            entry.server_errors += u64::from(server_error);
            if let Some(latency_ms) = sighting.latency_ms {
                if entry.latency.is_none() {
                    entry.latency =
                        Histogram::new_with_bounds(1, LATENCY_MAX_US, LATENCY_DIGITS).ok();
                }
                if let Some(histogram) = entry.latency.as_mut() {
                    histogram.saturating_record((latency_ms * 1000.0).round() as u64);
                }
            }
            if let Some(time) = sighting.time {
                entry.first = Some(entry.first.map_or(time, |first| first.min(time)));
                entry.last = Some(entry.last.map_or(time, |last| last.max(time)));
            }
        }
        if let Some(time) = sighting.time {
            let day = tally
                .days
                .entry(time.unix_ms().div_euclid(DAY_MS))
                .or_default();
            if let Some(count) = day.requests.get_mut(index) {
                *count += 1;
            }
            day.client_errors += u64::from(client_error);
            day.server_errors += u64::from(server_error);
        }
        if sighting.entry != Entry::Legacy {
            return;
        }
        match sighting.time {
            Some(time) => {
                tally.last_legacy = Some(tally.last_legacy.map_or(time, |last| last.max(time)));
            }
            None => tally.legacy_untimed += 1,
        }
        if let Some(client) = sighting.client.as_deref() {
            tally.legacy_clients.insert(fnv1a(client));
            tally.top_legacy_clients.add(client);
        }
        if let Some(agent) = sighting.user_agent.as_deref() {
            tally.top_legacy_user_agents.add(agent);
        }
        if let Some(path) = sighting.path.as_deref() {
            let without_query = path.split_once('?').map_or(path, |(path, _)| path);
            tally.top_legacy_paths.add(without_query);
        }
    }
}
