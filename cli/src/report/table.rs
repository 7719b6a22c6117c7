//! The report for a terminal: per API its entries, then the verdict, the legacy callers, and the
//! days.

use std::fmt::Write;

use kdp_migrate_core::Entry;

use super::findings::{ApiFindings, Findings, TopEntry, percent};
use super::tally::API_ENTRIES;

/// The whole report as text.
pub fn render(findings: &Findings) -> String {
    let mut out = String::new();
    let window = &findings.window;
    let _ = writeln!(
        out,
        "window {} … {} (end {}): {} records from {} lines in {} files, {} malformed, {} outside the window, {} without a time",
        window
            .since
            .as_deref()
            .or(window.first.as_deref())
            .unwrap_or("-"),
        window
            .until
            .as_deref()
            .or(window.last.as_deref())
            .unwrap_or("-"),
        window.end.as_deref().unwrap_or("-"),
        window.records,
        window.lines,
        window.files.len(),
        findings.malformed,
        window.outside_window,
        window.untimed,
    );
    let unattributed: Vec<String> = window
        .unattributed
        .iter()
        .filter(|(_, count)| **count > 0)
        .map(|(entry, count)| format!("{entry} {count}"))
        .collect();
    if !unattributed.is_empty() {
        let _ = writeln!(out, "requests without an API: {}", unattributed.join(", "));
    }
    let _ = writeln!(
        out,
        "ready to retire a legacy host: legacy share ≤ {} and no legacy request in the last {} h\n",
        percent(window.max_legacy_share),
        window.quiet_hours
    );
    let _ = writeln!(
        out,
        "{:<16} {:<7} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6} {:>9} {:>9} {:>9}  {:<24} {:<24}",
        "api",
        "entry",
        "requests",
        "proxy",
        "redirect",
        "reject",
        "pass",
        "4xx",
        "5xx",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "first seen",
        "last seen"
    );
    for api in &findings.apis {
        for entry in API_ENTRIES {
            entry_row(&mut out, api, entry);
        }
    }
    for api in &findings.apis {
        verdict(&mut out, api);
    }
    days(&mut out, findings);
    out
}

fn entry_row(out: &mut String, api: &ApiFindings, entry: Entry) {
    let Some(row) = api.entry_row(entry).filter(|row| row.requests > 0) else {
        return;
    };
    let millis = |value: Option<f64>| value.map_or("-".to_owned(), |v| format!("{v:.1}"));
    let _ = writeln!(
        out,
        "{:<16} {:<7} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6} {:>9} {:>9} {:>9}  {:<24} {:<24}",
        api.api,
        entry.as_str(),
        row.requests,
        row.actions.proxy,
        row.actions.redirect,
        row.actions.reject,
        row.actions.pass,
        percent(row.errors.client_rate),
        percent(row.errors.server_rate),
        millis(row.latency.map(|p| p.p50)),
        millis(row.latency.map(|p| p.p95)),
        millis(row.latency.map(|p| p.p99)),
        row.first_seen.unwrap_or("-"),
        row.last_seen.unwrap_or("-"),
    );
}

fn verdict(out: &mut String, api: &ApiFindings) {
    let _ = writeln!(
        out,
        "\n{}: {} — legacy share {}, {} distinct legacy clients, last legacy request {}",
        api.api,
        if api.ready {
            "READY to retire the legacy host"
        } else {
            "NOT READY"
        },
        percent(api.legacy_share),
        api.legacy_clients,
        api.last_legacy.as_deref().unwrap_or("none"),
    );
    for reason in &api.reasons {
        let _ = writeln!(out, "  - {reason}");
    }
    for (title, top) in [
        ("legacy clients", &api.top_legacy_clients),
        ("legacy user agents", &api.top_legacy_user_agents),
        ("legacy paths", &api.top_legacy_paths),
    ] {
        if !top.is_empty() {
            let _ = writeln!(out, "  top {title}: {}", listed(top));
        }
    }
}

fn listed(top: &[TopEntry]) -> String {
    top.iter()
        .map(|entry| {
            if entry.overcount == 0 {
                format!("{} ({})", entry.value, entry.requests)
            } else {
                format!(
                    "{} ({}–{})",
                    entry.value,
                    entry.requests - entry.overcount,
                    entry.requests
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn days(out: &mut String, findings: &Findings) {
    if findings.apis.iter().all(|api| api.days.is_empty()) {
        return;
    }
    let _ = writeln!(
        out,
        "\n{:<10}  {:<16} {:>9} {:>9} {:>9} {:>13} {:>7} {:>7}",
        "day", "api", "short", "long", "legacy", "legacy share", "4xx", "5xx"
    );
    for api in &findings.apis {
        for day in &api.days {
            let _ = writeln!(
                out,
                "{:<10}  {:<16} {:>9} {:>9} {:>9} {:>13} {:>7} {:>7}",
                day.day,
                api.api,
                day.by_entry.short,
                day.by_entry.long,
                day.by_entry.legacy,
                percent(day.legacy_share),
                day.client_errors,
                day.server_errors,
            );
        }
    }
}
