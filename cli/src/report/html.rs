//! The report as one self-contained HTML page: inline CSS and inline SVG charts ([`super::chart`]),
//! no script, no font file, no request to anywhere, so it can be mailed, archived or opened offline.

use std::fmt::Write;

use super::chart;
use super::findings::{ApiFindings, Findings, TopEntry, percent};
use super::tally::API_ENTRIES;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1a202c;max-width:1400px}\
h1{font-size:22px}h2{font-size:18px;margin-top:32px}h3{font-size:15px}\
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #cbd5e0;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#edf2f7}td.num{text-align:right;font-variant-numeric:tabular-nums}\
.ready{color:#22543d;background:#c6f6d5;font-weight:600}.not-ready{color:#742a2a;background:#fed7d7;font-weight:600}\
.charts{display:flex;flex-wrap:wrap;gap:16px}svg.chart{background:#fff;border:1px solid #e2e8f0}\
svg text{font:11px system-ui,sans-serif;fill:#2d3748}ul{margin:4px 0}";

/// The page.
pub fn render(findings: &Findings) -> String {
    let mut page = String::with_capacity(64 * 1024);
    let window = &findings.window;
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kdp-migrate report</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        page,
        "<h1>kdp-migrate report</h1><p class=\"window\">Window {} … {} (end {}): {} records from {} lines in {}; {} malformed lines, {} records outside the window, {} without a time.</p>",
        escape(
            window
                .since
                .as_deref()
                .or(window.first.as_deref())
                .unwrap_or("-")
        ),
        escape(
            window
                .until
                .as_deref()
                .or(window.last.as_deref())
                .unwrap_or("-")
        ),
        escape(window.end.as_deref().unwrap_or("-")),
        window.records,
        window.lines,
        escape(&window.files.join(", ")),
        findings.malformed,
        window.outside_window,
        window.untimed,
    );
    let _ = write!(
        page,
        "<p>Ready to retire a legacy host: legacy share ≤ {} over the window and no legacy request in the last {} hours before its end.</p>",
        escape(&percent(window.max_legacy_share)),
        window.quiet_hours
    );
    verdicts(&mut page, findings);
    page.push_str("<h2>Legacy share per day</h2><div class=\"charts\">");
    page.push_str(&chart::legacy_share_over_time(&findings.apis));
    page.push_str("</div>");
    for api in &findings.apis {
        api_section(&mut page, api);
    }
    page.push_str("</body></html>\n");
    page
}

fn verdicts(page: &mut String, findings: &Findings) {
    page.push_str("<h2>Verdict</h2><table id=\"verdicts\"><tr><th>API</th><th>verdict</th><th>requests</th><th>legacy share</th><th>legacy clients</th><th>last legacy request</th><th>why</th></tr>");
    for api in &findings.apis {
        let (class, verdict) = if api.ready {
            ("ready", "ready to retire the legacy host")
        } else {
            ("not-ready", "not ready")
        };
        let reasons: String = api
            .reasons
            .iter()
            .map(|reason| format!("<li>{}</li>", escape(reason)))
            .collect();
        let _ = write!(
            page,
            "<tr data-api=\"{name}\"><td>{name}</td><td class=\"{class}\">{verdict}</td><td class=\"num\">{requests}</td><td class=\"num\">{share}</td><td class=\"num\">{clients}</td><td>{last}</td><td><ul>{reasons}</ul></td></tr>",
            name = escape(&api.api),
            requests = api.requests,
            share = escape(&percent(api.legacy_share)),
            clients = api.legacy_clients,
            last = escape(api.last_legacy.as_deref().unwrap_or("none")),
        );
    }
    page.push_str("</table>");
}

fn api_section(page: &mut String, api: &ApiFindings) {
    let _ = write!(
        page,
        "<h2 id=\"api-{name}\">{name}</h2>",
        name = escape(&api.api)
    );
    page.push_str("<table><tr><th>entry</th><th>requests</th><th>proxy</th><th>redirect</th><th>reject</th><th>pass</th><th>4xx</th><th>5xx</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>first seen</th><th>last seen</th></tr>");
    for entry in API_ENTRIES {
        let Some(row) = api.entry_row(entry) else {
            continue;
        };
        let millis = |value: Option<f64>| value.map_or("-".to_owned(), |v| format!("{v:.1}"));
        let _ = write!(
            page,
            "<tr><td>{entry}</td><td class=\"num\">{requests}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            row.actions.proxy,
            row.actions.redirect,
            row.actions.reject,
            row.actions.pass,
            escape(&percent(row.errors.client_rate)),
            escape(&percent(row.errors.server_rate)),
            millis(row.latency.map(|p| p.p50)),
            millis(row.latency.map(|p| p.p95)),
            millis(row.latency.map(|p| p.p99)),
            escape(row.first_seen.unwrap_or("-")),
            escape(row.last_seen.unwrap_or("-")),
            entry = entry.as_str(),
            requests = row.requests,
        );
    }
    page.push_str("</table><div class=\"charts\">");
    page.push_str(&chart::requests_per_day(api));
    page.push_str(&chart::latency_by_entry(api));
    page.push_str("</div>");
    for (title, top) in [
        ("Legacy clients", &api.top_legacy_clients),
        ("Legacy user agents", &api.top_legacy_user_agents),
        ("Legacy paths", &api.top_legacy_paths),
    ] {
        top_list(page, title, top);
    }
}

fn top_list(page: &mut String, title: &str, top: &[TopEntry]) {
    if top.is_empty() {
        return;
    }
    let _ = write!(
        page,
        "<h3>{}</h3><table><tr><th>value</th><th>requests</th></tr>",
        escape(title)
    );
    for entry in top {
        let requests = if entry.overcount == 0 {
            entry.requests.to_string()
        } else {
            format!("{}–{}", entry.requests - entry.overcount, entry.requests)
        };
        let _ = write!(
            page,
            "<tr><td>{}</td><td class=\"num\">{requests}</td></tr>",
            escape(&entry.value)
        );
    }
    page.push_str("</table>");
}

/// Text for HTML content and attribute values: paths, user agents and API names come from clients.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
