//! `kdp-migrate report --html`: one self-contained page (no script, no external resource), opened in
//! a real headless Chromium (Debian's `chromium`, installed by scripts/setup-report-tools.sh): the DOM
//! it built holds the charts and the verdict table, and its screenshot is not blank and shows the
//! charts' colours.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod report_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;
use report_support::{fixture, report, scratch, stderr};

/// Chromium from `CHROMIUM_BIN`, else `chromium` on the `PATH`.
fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM_BIN")
        .filter(|path| !path.is_empty())
        .map_or_else(|| PathBuf::from("chromium"), PathBuf::from)
}

/// Runs headless Chromium on `page` with `args`, in a fresh profile; its stdout. Killed after two
/// minutes (a hung browser must not hang the suite).
fn headless(dir: &Path, page: &Path, args: &[&str]) -> String {
    let profile = dir.join(format!("profile-{}", args.len()));
    let _ = std::fs::remove_dir_all(&profile);
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "{}: {error}; install it with scripts/setup-report-tools.sh",
                chromium().display()
            )
        });
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish in two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn html_report(dir: &Path) -> PathBuf {
    let page = dir.join("report.html");
    let mut args = vec!["--from".to_owned()];
    for name in [
        "kong-error.log",
        "envoy.log",
        "envoy-access.log",
        "kong-file-log.jsonl",
        "kong-http-log.jsonl",
    ] {
        args.push(fixture(name).display().to_string());
    }
    args.extend(["--html".to_owned(), page.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = report(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    page
}

#[test]
fn the_page_needs_nothing_from_outside() {
    let dir = scratch("html-self-contained");
    let page = std::fs::read_to_string(html_report(&dir)).unwrap();
    for forbidden in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        " src=",
        " href=",
        "url(",
        "@import",
        "@font-face",
    ] {
        assert!(!page.contains(forbidden), "{forbidden} in the page");
    }
    // The only URL is SVG's namespace name, which nothing fetches.
    let urls: Vec<&str> = Regex::new(r#"https?://[^"' <>]*"#)
        .unwrap()
        .find_iter(&page)
        .map(|url| url.as_str())
        .collect();
    assert!(
        urls.iter().all(|url| *url == "http://www.w3.org/2000/svg"),
        "{urls:?}"
    );
}

#[test]
fn chromium_renders_the_charts_and_the_verdicts() {
    let dir = scratch("html-chromium");
    let page = html_report(&dir);
    let dom = headless(&dir, &page, &["--dump-dom"]);
    for chart in [
        r#"data-chart="legacy-share""#,
        r#"data-chart="requests-per-day" data-api="api01""#,
        r#"data-chart="requests-per-day" data-api="api02""#,
        r#"data-chart="latency" data-api="api01""#,
    ] {
        assert!(
            dom.contains(chart),
            "{chart} missing from the DOM Chromium built"
        );
    }
    // api01: three days, two entries each (short and legacy), stacked.
    let api01_bars = dom
        .matches(r#"<rect class="bar" data-entry="legacy" data-day="2026-12-0"#)
        .count();
    assert_eq!(
        api01_bars, 4,
        "legacy bars: api01's three days and api02's first"
    );
    assert_eq!(dom.matches(r#"<polyline class="series""#).count(), 2);
    assert!(
        dom.contains(r#"<tr data-api="api01"><td>api01</td><td class="not-ready">not ready</td>"#)
    );
    assert!(dom.contains(r#"data-percentile="p99""#));

    let shot = dir.join("report.png");
    headless(
        &dir,
        &page,
        &[
            "--window-size=1280,2400",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height), (1280, 2400));
    let channels = frame.color_type.samples();
    let rgb: Vec<[u8; 3]> = pixels[..frame.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    let not_white = rgb.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(
        not_white * 50 > rgb.len(),
        "{not_white} of {} pixels are not white",
        rgb.len()
    );
    // The charts' colours are on screen: the legacy bars and lines, the short bars.
    for (name, colour) in [
        ("legacy", [0xc0, 0x56, 0x21]),
        ("short", [0x2b, 0x6c, 0xb0]),
    ] {
        let painted = rgb.iter().filter(|p| **p == colour).count();
        assert!(painted > 2000, "{name} colour: {painted} pixels");
    }
}
