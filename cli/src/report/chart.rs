//! The HTML report's charts: inline SVG written here, so the page needs no script, no font and no
//! network. Every chart is an `<svg class="chart" data-chart="…">`; its marks carry `class="bar"`,
//! `class="series"` or `class="point"` and a `<title>` with the exact value (a browser shows it on
//! hover).

use std::collections::BTreeSet;
use std::fmt::Write;

use kdp_migrate_core::Entry;

use super::findings::{ApiFindings, percent};
use super::html::escape;
use super::tally::API_ENTRIES;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// The colour of an entry, the same in every chart and legend.
pub fn entry_colour(entry: Entry) -> &'static str {
    match entry {
        Entry::Short => "#2b6cb0",
        Entry::Long => "#2f855a",
        Entry::Legacy => "#c05621",
        Entry::Unknown => "#718096",
    }
}

/// Colours for lines of several APIs, in turn.
const SERIES_COLOURS: [&str; 8] = [
    "#c05621", "#2b6cb0", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b", "#975a16", "#4a5568",
];

/// The percentiles' shades.
const PERCENTILE_COLOURS: [(&str, &str); 3] =
    [("p50", "#90cdf4"), ("p95", "#3182ce"), ("p99", "#1a365d")];

/// Requests per day, one bar per day, stacked by entry.
pub fn requests_per_day(api: &ApiFindings) -> String {
    let max = api
        .days
        .iter()
        .map(|day| day.by_entry.short + day.by_entry.long + day.by_entry.legacy)
        .max()
        .unwrap_or(0);
    let scale = Scale::new(max as f64);
    let mut svg = open("requests-per-day", &api.api, "requests per day, by entry");
    axis(&mut svg, &scale, |value| format!("{value}"));
    let slots = api.days.len().max(1) as f64;
    let slot = (WIDTH - LEFT - RIGHT) / slots;
    let bar = (slot * 0.7).max(1.0);
    for (index, day) in api.days.iter().enumerate() {
        let x = LEFT + slot * index as f64 + (slot - bar) / 2.0;
        let mut base = 0.0;
        for entry in API_ENTRIES {
            let count = day.by_entry.get(entry).copied().unwrap_or(0);
            if count == 0 {
                continue;
            }
            let top = scale.y(base + count as f64);
            let height = scale.y(base) - top;
            let _ = write!(
                svg,
                r#"<rect class="bar" data-entry="{entry}" data-day="{day}" data-value="{count}" x="{x:.1}" y="{top:.1}" width="{bar:.1}" height="{height:.1}" fill="{colour}"><title>{day} {entry}: {count}</title></rect>"#,
                entry = entry.as_str(),
                day = escape(&day.day),
                colour = entry_colour(entry),
            );
            base += count as f64;
        }
    }
    day_labels(&mut svg, api.days.iter().map(|day| day.day.as_str()), slot);
    legend(
        &mut svg,
        API_ENTRIES
            .iter()
            .map(|entry| (entry.as_str(), entry_colour(*entry))),
    );
    svg.push_str("</svg>");
    svg
}

/// The legacy share per API and day, one line per API.
pub fn legacy_share_over_time(apis: &[ApiFindings]) -> String {
    let days: Vec<&str> = apis
        .iter()
        .flat_map(|api| api.days.iter().map(|day| day.day.as_str()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let scale = Scale::fixed(1.0);
    let mut svg = open("legacy-share", "", "legacy share per day");
    axis(&mut svg, &scale, percent);
    let slot = (WIDTH - LEFT - RIGHT) / days.len().max(1) as f64;
    let x_of = |day: &str| {
        let index = days.iter().position(|d| *d == day).unwrap_or(0);
        LEFT + slot * index as f64 + slot / 2.0
    };
    for (index, api) in apis.iter().enumerate() {
        let colour = SERIES_COLOURS
            .get(index % SERIES_COLOURS.len())
            .copied()
            .unwrap_or("#000");
        let points: Vec<String> = api
            .days
            .iter()
            .map(|day| format!("{:.1},{:.1}", x_of(&day.day), scale.y(day.legacy_share)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="series" data-api="{name}" points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            name = escape(&api.api),
            points = points.join(" "),
        );
        for day in &api.days {
            let _ = write!(
                svg,
                r#"<circle class="point" data-api="{name}" data-day="{label}" data-value="{share}" cx="{x:.1}" cy="{y:.1}" r="3" fill="{colour}"><title>{name} {label}: {shown}</title></circle>"#,
                name = escape(&api.api),
                label = escape(&day.day),
                share = day.legacy_share,
                x = x_of(&day.day),
                y = scale.y(day.legacy_share),
                shown = percent(day.legacy_share),
            );
        }
    }
    day_labels(&mut svg, days.iter().copied(), slot);
    legend(
        &mut svg,
        apis.iter().enumerate().map(|(index, api)| {
            (
                api.api.as_str(),
                SERIES_COLOURS
                    .get(index % SERIES_COLOURS.len())
                    .copied()
                    .unwrap_or("#000"),
            )
        }),
    );
    svg.push_str("</svg>");
    svg
}

/// p50, p95 and p99 latency of each entry of an API, as grouped bars.
pub fn latency_by_entry(api: &ApiFindings) -> String {
    let groups: Vec<(Entry, [f64; 3])> = API_ENTRIES
        .iter()
        .filter_map(|entry| {
            let p = api.latency_ms.get(*entry).copied().flatten()?;
            Some((*entry, [p.p50, p.p95, p.p99]))
        })
        .collect();
    let max = groups
        .iter()
        .flat_map(|(_, values)| values.iter().copied())
        .fold(0.0, f64::max);
    let scale = Scale::new(max);
    let mut svg = open("latency", &api.api, "latency by entry, ms");
    axis(&mut svg, &scale, |value| format!("{value}"));
    let slot = (WIDTH - LEFT - RIGHT) / groups.len().max(1) as f64;
    let bar = slot * 0.8 / 3.0;
    for (group, (entry, values)) in groups.iter().enumerate() {
        for (index, ((name, colour), value)) in PERCENTILE_COLOURS.iter().zip(values).enumerate() {
            let x = LEFT + slot * group as f64 + slot * 0.1 + bar * index as f64;
            let top = scale.y(*value);
            let _ = write!(
                svg,
                r#"<rect class="bar" data-entry="{entry}" data-percentile="{name}" data-value="{value}" x="{x:.1}" y="{top:.1}" width="{width:.1}" height="{height:.1}" fill="{colour}"><title>{entry} {name}: {value} ms</title></rect>"#,
                entry = entry.as_str(),
                width = (bar - 2.0).max(1.0),
                height = scale.y(0.0) - top,
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" class="label">{entry}</text>"#,
            x = LEFT + slot * (group as f64 + 0.5),
            y = HEIGHT - BOTTOM + 16.0,
            entry = entry.as_str(),
        );
    }
    legend(&mut svg, PERCENTILE_COLOURS.iter().copied());
    svg.push_str("</svg>");
    svg
}

/// The vertical scale: 0 to a round maximum.
struct Scale {
    max: f64,
    step: f64,
}

impl Scale {
    /// A scale whose top is the round number at or above `max` (1, 2 or 5 × 10ⁿ steps, 4 or 5 of
    /// them).
    fn new(max: f64) -> Self {
        if max <= 0.0 || !max.is_finite() {
            return Scale {
                max: 1.0,
                step: 0.25,
            };
        }
        let raw = max / 4.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|factor| factor * magnitude)
            .find(|step| *step >= raw)
            .unwrap_or(10.0 * magnitude);
        Scale {
            max: (max / step).ceil() * step,
            step,
        }
    }

    fn fixed(max: f64) -> Self {
        Scale {
            max,
            step: max / 4.0,
        }
    }

    fn y(&self, value: f64) -> f64 {
        let plot = HEIGHT - TOP - BOTTOM;
        HEIGHT - BOTTOM - plot * (value / self.max).clamp(0.0, 1.0)
    }
}

fn open(kind: &str, api: &str, title: &str) -> String {
    let mut svg = String::with_capacity(4096);
    let _ = write!(
        svg,
        r#"<svg class="chart" data-chart="{kind}" data-api="{api}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{title}"><title>{title}</title>"#,
        api = escape(api),
        title = escape(title),
    );
    svg
}

fn axis(svg: &mut String, scale: &Scale, label: impl Fn(f64) -> String) {
    let mut value = 0.0;
    while value <= scale.max + scale.step / 2.0 {
        let y = scale.y(value);
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{LEFT}" x2="{right}" y1="{y:.1}" y2="{y:.1}" stroke="#e2e8f0"/><text class="tick" x="{x}" y="{ty:.1}" text-anchor="end">{text}</text>"##,
            right = WIDTH - RIGHT,
            x = LEFT - 6.0,
            ty = y + 4.0,
            text = escape(&label(value)),
        );
        value += scale.step;
    }
    let _ = write!(
        svg,
        r##"<line class="axis" x1="{LEFT}" x2="{right}" y1="{y}" y2="{y}" stroke="#4a5568"/>"##,
        right = WIDTH - RIGHT,
        y = HEIGHT - BOTTOM,
    );
}

/// Day labels under the bars, thinned to about ten.
fn day_labels<'a>(svg: &mut String, days: impl Iterator<Item = &'a str>, slot: f64) {
    let days: Vec<&str> = days.collect();
    let every = days.len().div_ceil(10).max(1);
    for (index, day) in days.iter().enumerate() {
        if index % every != 0 {
            continue;
        }
        let _ = write!(
            svg,
            r#"<text class="label" x="{x:.1}" y="{y}" text-anchor="middle">{day}</text>"#,
            x = LEFT + slot * (index as f64 + 0.5),
            y = HEIGHT - BOTTOM + 16.0,
            day = escape(day.get(5..).unwrap_or(day)),
        );
    }
}

fn legend<'a>(svg: &mut String, items: impl Iterator<Item = (&'a str, &'a str)>) {
    let mut x = LEFT;
    let y = HEIGHT - 12.0;
    for (name, colour) in items {
        let _ = write!(
            svg,
            r#"<rect class="key" x="{x:.1}" y="{top:.1}" width="10" height="10" fill="{colour}"/><text class="legend" x="{tx:.1}" y="{y:.1}">{name}</text>"#,
            top = y - 9.0,
            tx = x + 14.0,
            name = escape(name),
        );
        x += 24.0 + 7.0 * name.chars().count() as f64;
    }
}
