//! What the report says: per API the counts, the shares, the latencies and the verdict, built once
//! from the tally and then written as a table, JSON or HTML. The JSON form is this module's types
//! serialized; cli/README.md documents every key.

use std::collections::BTreeMap;

use kdp_migrate_core::{Entry, Timestamp};
use serde::Serialize;

use super::tally::{ApiTally, DAY_MS, EntryTally, Tally, fnv1a, share};
use super::top::TopValues;

/// How the verdict is reached and what is shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Criteria {
    /// The largest share of an API's traffic that may still come through legacy hosts (0–1).
    pub max_legacy_share: f64,
    /// How long before the window's end no legacy request may have come in.
    pub quiet_hours: f64,
    /// When set, also the largest share of an API's requests (all entries) that may end in 5xx:
    /// the health gate of the runbook's phases before the retirement.
    pub max_5xx_share: Option<f64>,
    /// Show client addresses as they are, not hashed.
    pub show_clients: bool,
    /// Only these APIs (all when empty); a named API without records is reported, not ready.
    pub apis: Vec<String>,
    /// How many values each top list shows.
    pub top: usize,
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria {
            max_legacy_share: 0.0,
            quiet_hours: 24.0,
            max_5xx_share: None,
            show_clients: false,
            apis: Vec::new(),
            top: 5,
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Findings {
    /// What was read and which window it covers.
    pub window: WindowFindings,
    /// One object per API, by name.
    pub apis: Vec<ApiFindings>,
    /// Lines that looked like records but could not be read.
    pub malformed: u64,
}

/// The window and the input.
#[derive(Clone, Debug, Serialize)]
pub struct WindowFindings {
    /// `--since`, if given.
    pub since: Option<String>,
    /// `--until`, if given.
    pub until: Option<String>,
    /// The end the quiet hours count back from: `--until`, else the newest record.
    pub end: Option<String>,
    /// The oldest record counted.
    pub first: Option<String>,
    /// The newest record counted.
    pub last: Option<String>,
    /// The files read, in order.
    pub files: Vec<String>,
    /// Lines read.
    pub lines: u64,
    /// Records counted.
    pub records: u64,
    /// Records outside `[since, until]`.
    pub outside_window: u64,
    /// Records counted without a time (no `time` key and no log line time).
    pub untimed: u64,
    /// Records without an API, per entry.
    pub unattributed: BTreeMap<&'static str, u64>,
    /// The verdict's rule: `--max-legacy-share`.
    pub max_legacy_share: f64,
    /// The verdict's rule: `--quiet-hours`.
    pub quiet_hours: f64,
    /// The verdict's rule: `--max-5xx-share`, or `null`.
    pub max_5xx_share: Option<f64>,
}

/// One entry's row of an API's findings, as the table and the page show it.
#[derive(Clone, Copy, Debug)]
pub struct EntryRow<'a> {
    /// Requests through the entry.
    pub requests: u64,
    /// Requests per action.
    pub actions: Actions,
    /// 4xx and 5xx rates.
    pub errors: Errors,
    /// Latency percentiles, when a record carried a latency.
    pub latency: Option<Percentiles>,
    /// The first record's time.
    pub first_seen: Option<&'a str>,
    /// The last record's time.
    pub last_seen: Option<&'a str>,
}

impl ApiFindings {
    /// The row of `entry` (`unknown` has none).
    pub fn entry_row(&self, entry: Entry) -> Option<EntryRow<'_>> {
        Some(EntryRow {
            requests: *self.by_entry.get(entry)?,
            actions: *self.actions.get(entry)?,
            errors: *self.errors.get(entry)?,
            latency: *self.latency_ms.get(entry)?,
            first_seen: self.first_seen.get(entry)?.as_deref(),
            last_seen: self.last_seen.get(entry)?.as_deref(),
        })
    }
}

/// A value per entry of an API.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PerEntry<T> {
    /// The short host.
    pub short: T,
    /// The long host.
    pub long: T,
    /// The legacy hosts.
    pub legacy: T,
}

impl<T> PerEntry<T> {
    fn from_fn(mut value: impl FnMut(Entry) -> T) -> Self {
        PerEntry {
            short: value(Entry::Short),
            long: value(Entry::Long),
            legacy: value(Entry::Legacy),
        }
    }

    /// The value of `entry` (`unknown` has none).
    pub fn get(&self, entry: Entry) -> Option<&T> {
        match entry {
            Entry::Short => Some(&self.short),
            Entry::Long => Some(&self.long),
            Entry::Legacy => Some(&self.legacy),
            Entry::Unknown => None,
        }
    }
}

/// Requests per action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Actions {
    /// Forwarded with a new Host or path.
    pub proxy: u64,
    /// Answered with a redirect.
    pub redirect: u64,
    /// Answered with an error (400, 404, 410).
    pub reject: u64,
    /// Forwarded unchanged.
    pub pass: u64,
}

/// Latency percentiles, milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// Error responses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Errors {
    /// Responses 400–499.
    #[serde(rename = "4xx")]
    pub client: u64,
    /// Responses 500–599.
    #[serde(rename = "5xx")]
    pub server: u64,
    /// `4xx` / requests.
    #[serde(rename = "4xx_rate")]
    pub client_rate: f64,
    /// `5xx` / requests.
    #[serde(rename = "5xx_rate")]
    pub server_rate: f64,
}

/// One value of a top list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TopEntry {
    /// The client (hashed unless `--show-clients`), user agent or path.
    pub value: String,
    /// Requests: at most this many.
    pub requests: u64,
    /// At least `requests - overcount` (0: exact; see cli/README.md).
    pub overcount: u64,
}

/// One day (UTC) of an API.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayFindings {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Requests per entry.
    pub by_entry: PerEntry<u64>,
    /// Legacy requests / requests.
    pub legacy_share: f64,
    /// Responses 400–499.
    #[serde(rename = "4xx")]
    pub client_errors: u64,
    /// Responses 500–599.
    #[serde(rename = "5xx")]
    pub server_errors: u64,
}

/// One API.
#[derive(Clone, Debug, Serialize)]
pub struct ApiFindings {
    /// The API's name in the map.
    pub api: String,
    /// Requests, all entries.
    pub requests: u64,
    /// Requests per entry.
    pub by_entry: PerEntry<u64>,
    /// Requests per entry and action.
    pub actions: PerEntry<Actions>,
    /// Legacy requests / requests.
    pub legacy_share: f64,
    /// Distinct legacy clients.
    pub legacy_clients: u64,
    /// The newest legacy request.
    pub last_legacy: Option<String>,
    /// Legacy requests without a time.
    pub legacy_untimed: u64,
    /// The oldest request per entry.
    pub first_seen: PerEntry<Option<String>>,
    /// The newest request per entry.
    pub last_seen: PerEntry<Option<String>>,
    /// Latency percentiles per entry (`null`: no latency recorded).
    pub latency_ms: PerEntry<Option<Percentiles>>,
    /// Error responses per entry.
    pub errors: PerEntry<Errors>,
    /// The legacy clients that called most.
    pub top_legacy_clients: Vec<TopEntry>,
    /// The legacy user agents seen most.
    pub top_legacy_user_agents: Vec<TopEntry>,
    /// The legacy paths (without query) asked most.
    pub top_legacy_paths: Vec<TopEntry>,
    /// Per day, oldest first.
    pub days: Vec<DayFindings>,
    /// The verdict: the legacy host may be retired.
    pub ready: bool,
    /// Why (one sentence per rule).
    pub reasons: Vec<String>,
}

/// What was read, besides the records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputSummary {
    /// The files, in order.
    pub files: Vec<String>,
    /// Lines read.
    pub lines: u64,
    /// Malformed lines.
    pub malformed: u64,
}

impl Findings {
    /// The report of `tally` under `criteria`.
    pub fn new(tally: &Tally, input: &InputSummary, criteria: &Criteria) -> Self {
        let window = tally.window();
        let end = window.until.or(tally.last);
        let text = |time: Option<Timestamp>| time.map(|time| time.to_string());
        let empty = ApiTally::default();
        let names: Vec<&str> = if criteria.apis.is_empty() {
            tally.apis.keys().map(String::as_str).collect()
        } else {
            criteria.apis.iter().map(String::as_str).collect()
        };
        let apis = names
            .into_iter()
            .map(|name| {
                let api = tally.apis.get(name).unwrap_or(&empty);
                api_findings(name, api, end, criteria)
            })
            .collect();
        let unattributed = ["short", "long", "legacy", "unknown"]
            .into_iter()
            .zip(tally.unattributed)
            .collect();
        Findings {
            window: WindowFindings {
                since: text(window.since),
                until: text(window.until),
                end: text(end),
                first: text(tally.first),
                last: text(tally.last),
                files: input.files.clone(),
                lines: input.lines,
                records: tally.records,
                outside_window: tally.outside_window,
                untimed: tally.untimed,
                unattributed,
                max_legacy_share: criteria.max_legacy_share,
                quiet_hours: criteria.quiet_hours,
                max_5xx_share: criteria.max_5xx_share,
            },
            apis,
            malformed: input.malformed,
        }
    }

    /// Every API is ready (and there is at least one).
    pub fn all_ready(&self) -> bool {
        !self.apis.is_empty() && self.apis.iter().all(|api| api.ready)
    }
}

fn api_findings(
    name: &str,
    api: &ApiTally,
    end: Option<Timestamp>,
    criteria: &Criteria,
) -> ApiFindings {
    let entry = |entry: Entry| api.on(entry).cloned().unwrap_or_default();
    let requests = api.requests();
    let (ready, reasons) = verdict(api, end, criteria);
    let clients = |top: &TopValues| {
        top_entries(top, criteria.top)
            .into_iter()
            .map(|mut ranked| {
                if !criteria.show_clients {
                    ranked.value = client_label(&ranked.value);
                }
                ranked
            })
            .collect()
    };
    ApiFindings {
        api: name.to_owned(),
        requests,
        by_entry: PerEntry::from_fn(|e| entry(e).requests),
        actions: PerEntry::from_fn(|e| actions(&entry(e))),
        legacy_share: api.legacy_share(),
        legacy_clients: api.legacy_clients.len() as u64,
        last_legacy: api.last_legacy.map(|time| time.to_string()),
        legacy_untimed: api.legacy_untimed,
        first_seen: PerEntry::from_fn(|e| entry(e).first.map(|time| time.to_string())),
        last_seen: PerEntry::from_fn(|e| entry(e).last.map(|time| time.to_string())),
        latency_ms: PerEntry::from_fn(|e| percentiles(&entry(e))),
        errors: PerEntry::from_fn(|e| {
            let tally = entry(e);
            Errors {
                client: tally.client_errors,
                server: tally.server_errors,
                client_rate: share(tally.client_errors, tally.requests),
                server_rate: share(tally.server_errors, tally.requests),
            }
        }),
        top_legacy_clients: clients(&api.top_legacy_clients),
        top_legacy_user_agents: top_entries(&api.top_legacy_user_agents, criteria.top),
        top_legacy_paths: top_entries(&api.top_legacy_paths, criteria.top),
        days: api
            .days
            .iter()
            .map(|(day, tally)| {
                let [short, long, legacy] = tally.requests;
                DayFindings {
                    day: day_label(*day),
                    by_entry: PerEntry {
                        short,
                        long,
                        legacy,
                    },
                    legacy_share: share(legacy, short + long + legacy),
                    client_errors: tally.client_errors,
                    server_errors: tally.server_errors,
                }
            })
            .collect(),
        ready,
        reasons,
    }
}

/// The verdict and its reasons: ready when the legacy share is at most the allowed one and no legacy
/// request came in during the quiet hours before the window's end.
fn verdict(api: &ApiTally, end: Option<Timestamp>, criteria: &Criteria) -> (bool, Vec<String>) {
    let requests = api.requests();
    if requests == 0 {
        return (
            false,
            vec!["no record of this API in the window".to_owned()],
        );
    }
    let mut reasons = Vec::new();
    let mut ready = true;
    let legacy = api.legacy_requests();
    let legacy_share = api.legacy_share();
    let allowed = percent(criteria.max_legacy_share);
    if legacy_share > criteria.max_legacy_share {
        ready = false;
        reasons.push(format!(
            "legacy share {} ({legacy} of {requests}) is above the allowed {allowed}",
            percent(legacy_share)
        ));
    } else {
        reasons.push(format!(
            "legacy share {} ({legacy} of {requests}) is within the allowed {allowed}",
            percent(legacy_share)
        ));
    }
    if api.legacy_untimed > 0 {
        ready = false;
        reasons.push(format!(
            "{} legacy requests have no time: how recent they are is unknown",
            api.legacy_untimed
        ));
    }
    let quiet_ms = (criteria.quiet_hours * 3_600_000.0).round() as i64;
    match (api.last_legacy, end) {
        (None, _) => reasons.push("no legacy request in the window".to_owned()),
        (Some(last), Some(end)) => {
            let before_end = end.unix_ms() - last.unix_ms();
            let hours = before_end as f64 / 3_600_000.0;
            if before_end < quiet_ms {
                ready = false;
                reasons.push(format!(
                    "last legacy request at {last}, {hours:.1} h before the window's end {end}: within the {} quiet hours",
                    criteria.quiet_hours
                ));
            } else {
                reasons.push(format!(
                    "last legacy request at {last}, {hours:.1} h before the window's end {end}: quiet for the {} hours asked",
                    criteria.quiet_hours
                ));
            }
        }
        (Some(_), None) => {
            ready = false;
            reasons.push("the window has no end to count the quiet hours back from".to_owned());
        }
    }
    if let Some(allowed) = criteria.max_5xx_share {
        let server_errors: u64 = api.entries.iter().map(|entry| entry.server_errors).sum();
        let errors_share = share(server_errors, requests);
        let verb = if errors_share > allowed {
            ready = false;
            "is above"
        } else {
            "is within"
        };
        reasons.push(format!(
            "5xx share {} ({server_errors} of {requests}) {verb} the allowed {}",
            percent(errors_share),
            percent(allowed)
        ));
    }
    (ready, reasons)
}

fn actions(tally: &EntryTally) -> Actions {
    let [proxy, redirect, reject, pass] = tally.actions;
    Actions {
        proxy,
        redirect,
        reject,
        pass,
    }
}

fn percentiles(tally: &EntryTally) -> Option<Percentiles> {
    Some(Percentiles {
        p50: tally.latency_ms(0.50)?,
        p95: tally.latency_ms(0.95)?,
        p99: tally.latency_ms(0.99)?,
    })
}

fn top_entries(top: &TopValues, n: usize) -> Vec<TopEntry> {
    top.top(n)
        .into_iter()
        .map(|ranked| TopEntry {
            value: ranked.value,
            requests: ranked.count,
            overcount: ranked.overcount,
        })
        .collect()
}

/// A client as the report shows it without `--show-clients`: `client-` and 12 hex digits of its
/// FNV-1a hash, the same in every report, so runs can be compared. It hides addresses from a
/// reader, not from someone willing to hash every IPv4 address.
pub fn client_label(client: &str) -> String {
    format!("client-{:012x}", fnv1a(client) >> 16)
}

/// `YYYY-MM-DD` of a day number (days since the Unix epoch).
pub fn day_label(day: i64) -> String {
    Timestamp::from_unix_ms(day * DAY_MS)
        .map(|time| time.to_string())
        .and_then(|text| text.get(..10).map(str::to_owned))
        .unwrap_or_default()
}

/// A share as a percentage with up to two decimals: `0 %`, `12.5 %`, `0.01 %`.
pub fn percent(share: f64) -> String {
    let text = format!("{:.2}", share * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} %")
}
