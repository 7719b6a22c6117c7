//! `kdp-migrate report`: telemetry records in, per API the traffic by entry and the verdict out.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use kdp_migrate_core::Timestamp;

use crate::report::{self, Criteria, Findings, Window};

/// Malformed lines named on stderr before the rest are only counted.
const MALFORMED_NAMED: usize = 100;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Logs holding telemetry records: Kong's or Envoy's error log, Envoy's access log, Kong log
    /// plugin JSON (file-log lines, http-log bodies), JSONL; gzip too; `-` is stdin.
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    from: Vec<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Also write the report as one self-contained HTML page with charts.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Count only records at or after T (RFC 3339, or a UTC date YYYY-MM-DD).
    #[arg(long, value_name = "T", value_parser = parse_time)]
    since: Option<Timestamp>,
    /// Count only records at or before T (RFC 3339, or a UTC date YYYY-MM-DD: its end); also the
    /// end the quiet hours count back from.
    #[arg(long, value_name = "T", value_parser = parse_until)]
    until: Option<Timestamp>,
    /// Ready only when at most this share of an API's requests came through legacy hosts: a
    /// fraction (0.001) or a percentage (0.1%).
    #[arg(long, value_name = "SHARE", default_value = "0", value_parser = parse_share)]
    max_legacy_share: f64,
    /// Ready only when no legacy request came in during these hours before the window's end.
    #[arg(long, value_name = "HOURS", default_value_t = 24.0)]
    quiet_hours: f64,
    /// Also not ready when more than this share of an API's requests ended in 5xx: a fraction or a
    /// percentage (the runbook's health gate before the retirement).
    #[arg(long = "max-5xx-share", value_name = "SHARE", value_parser = parse_share)]
    max_5xx_share: Option<f64>,
    /// Only these APIs (repeat the option); an API named here without records is not ready.
    #[arg(long = "api", value_name = "NAME")]
    apis: Vec<String>,
    /// Show client addresses instead of their hashes.
    #[arg(long)]
    show_clients: bool,
    /// How many clients, user agents and paths the top lists show.
    #[arg(long, value_name = "N", default_value_t = 5)]
    top: usize,
    /// Exit 0 only when every API is ready to retire its legacy host, 1 otherwise.
    #[arg(long)]
    gate: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Table,
    Json,
}

/// `Ok(false)` when `--gate` was asked and some API is not ready.
pub fn run(args: &ReportArgs) -> Result<bool, String> {
    if !(args.quiet_hours.is_finite() && args.quiet_hours >= 0.0) {
        return Err(format!(
            "--quiet-hours {}: not a number of hours ≥ 0",
            args.quiet_hours
        ));
    }
    let window = Window {
        since: args.since,
        until: args.until,
    };
    if let (Some(since), Some(until)) = (window.since, window.until)
        && since > until
    {
        return Err(format!("--since {since} is after --until {until}"));
    }
    let mut named = 0;
    let (tally, input) = report::read(&args.from, window, &mut |malformed| {
        if named < MALFORMED_NAMED {
            eprintln!("{malformed}");
        }
        named += 1;
    })?;
    if named > MALFORMED_NAMED {
        eprintln!("… and {} more malformed lines", named - MALFORMED_NAMED);
    }
    if tally.records + tally.outside_window == 0 {
        return Err(format!(
            "no kdp_migrate telemetry record in {} ({} lines read)",
            input.files.join(", "),
            input.lines
        ));
    }
    let criteria = Criteria {
        max_legacy_share: args.max_legacy_share,
        quiet_hours: args.quiet_hours,
        max_5xx_share: args.max_5xx_share,
        show_clients: args.show_clients,
        apis: args.apis.clone(),
        top: args.top,
    };
    let findings = Findings::new(&tally, &input, &criteria);
    let mut stdout = std::io::stdout().lock();
    let written = match args.format {
        FormatArg::Table => stdout.write_all(report::table::render(&findings).as_bytes()),
        FormatArg::Json => serde_json::to_writer_pretty(&mut stdout, &findings)
            .map_err(std::io::Error::other)
            .and_then(|()| stdout.write_all(b"\n")),
    };
    written.map_err(|error| format!("writing the report: {error}"))?;
    if let Some(path) = &args.html {
        std::fs::write(path, report::html::render(&findings))
            .map_err(|error| format!("--html {}: {error}", path.display()))?;
    }
    Ok(!args.gate || findings.all_ready())
}

fn parse_time(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text)
        .or_else(|| Timestamp::parse(&format!("{text}T00:00:00Z")))
        .ok_or_else(|| format!("{text:?} is neither RFC 3339 nor a date YYYY-MM-DD"))
}

/// A date alone means its last millisecond, so `--until 2026-12-06` includes that day.
fn parse_until(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text)
        .or_else(|| Timestamp::parse(&format!("{text}T23:59:59.999Z")))
        .ok_or_else(|| format!("{text:?} is neither RFC 3339 nor a date YYYY-MM-DD"))
}

fn parse_share(text: &str) -> Result<f64, String> {
    let (number, scale) = match text.strip_suffix('%') {
        Some(number) => (number.trim(), 100.0),
        None => (text, 1.0),
    };
    number
        .parse::<f64>()
        .ok()
        .map(|value| value / scale)
        .filter(|share| (0.0..=1.0).contains(share))
        .ok_or_else(|| format!("{text:?} is not a share between 0 and 1 (or 0% and 100%)"))
}
