//! `LocalResponse::render` and `deprecation_headers`: the exact status, headers (in order) and
//! JSON body of every response the filters send themselves.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{BASE, Client, Silent, build, map_with};
use kdp_migrate_core::{ClientFacts, LocalResponse, MigrationMap, Outcome, deprecation_headers};
use serde_json::{Value, json};

/// What a rendered response must be: status, headers in order, body as JSON (or none).
struct Expected<'a> {
    status: u16,
    headers: &'a [(&'a str, &'a str)],
    body: Option<Value>,
}

/// Decides, renders and compares; the assertion message prints the request.
fn check(
    map: &MigrationMap,
    host: &str,
    target: &str,
    client: &dyn ClientFacts,
    expected: Expected<'_>,
) {
    let input = format!("Host: {host:?}, target: {target:?}");
    let decision = map.decide(host, target, client);
    let Outcome::Reply(reply) = decision.outcome else {
        panic!("{input}: no local response: {:?}", decision.outcome);
    };
    let response = LocalResponse::render(&decision, &reply, host, target);
    assert_eq!(response.status, expected.status, "{input}");
    let headers: Vec<(&str, &str)> = response
        .headers
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    assert_eq!(headers, expected.headers, "{input}");
    let body = response.body.as_deref().map(|body| {
        assert!(
            !body.contains('\n'),
            "{input}: the body is one line: {body}"
        );
        serde_json::from_str::<Value>(body)
            .unwrap_or_else(|error| panic!("{input}: body is not JSON ({error}): {body}"))
    });
    assert_eq!(body, expected.body, "{input}");
}

const SIGNALS: &str = r#""legacy": {"deprecation": "2026-01-01T00:00:00Z", "sunset": "2027-01-01T00:00:00Z", "deprecation_link": "https://docs.test/migration"}"#;
const SUNSET: i64 = 1_798_761_600;

#[test]
fn unsafe_paths_get_400_with_the_reason() {
    let map = build(BASE);
    for (target, reason, message) in [
        (
            "/api01/../api02",
            "dot_segment",
            "the path has a '.' or '..' segment",
        ),
        (
            "/api01/%2E%2e",
            "dot_segment",
            "the path has a '.' or '..' segment",
        ),
        (
            "/api01/a%2Fb",
            "encoded_slash",
            "the path has an encoded slash (%2F)",
        ),
        (
            "/api01/a%5cb",
            "encoded_backslash",
            "the path has an encoded backslash (%5C)",
        ),
        ("/api01\\x", "backslash", "the path has a backslash"),
        (
            "/api01/%00",
            "encoded_nul",
            "the path has an encoded NUL (%00)",
        ),
        (
            "/api01/a b?q=1",
            "control_character",
            "the request target has a control character or space",
        ),
        ("api01", "not_origin_form", "the path must start with '/'"),
        (
            "/api01/caf\u{e9}",
            "non_ascii",
            "the request target has a byte outside ASCII (percent-encode it)",
        ),
    ] {
        check(
            &map,
            "DEV-01.test:443",
            target,
            &Silent,
            Expected {
                status: 400,
                headers: &[("content-type", "application/json")],
                body: Some(json!({
                    "error": "unsafe_path",
                    "reason": reason,
                    "message": message,
                    "host": "DEV-01.test:443",
                    "path": target,
                })),
            },
        );
    }
}

#[test]
fn unowned_short_paths_get_404_naming_host_and_path() {
    let map = build(BASE);
    for (host, target) in [
        ("dev-01.test", "/nothing?q=1"),
        ("DEV-01.test.:8443", "/api010"),
        ("dev-01.test", "/"),
    ] {
        check(
            &map,
            host,
            target,
            &Silent,
            Expected {
                status: 404,
                headers: &[("content-type", "application/json")],
                body: Some(json!({
                    "error": "no_api",
                    "message": "no API is served under this path",
                    "host": host,
                    "path": target,
                })),
            },
        );
    }
    // A client-supplied value with quotes and backslash-like bytes stays valid JSON.
    let target = "/\"quoted\"?x=%22";
    check(
        &map,
        "dev-01.test",
        target,
        &Silent,
        Expected {
            status: 404,
            headers: &[("content-type", "application/json")],
            body: Some(
                json!({"error": "no_api", "message": "no API is served under this path", "host": "dev-01.test", "path": target}),
            ),
        },
    );
}

#[test]
fn gone_after_sunset_gets_410_with_the_successor() {
    let map = map_with(
        r#""legacy": {"deprecation": "2026-01-01T00:00:00Z", "sunset": "2027-01-01T00:00:00Z", "deprecation_link": "https://docs.test/migration", "after_sunset": "gone"}"#,
    );
    check(
        &map,
        "api01.old.test",
        "/x?q=1",
        &Client::at(SUNSET),
        Expected {
            status: 410,
            headers: &[
                ("deprecation", "@1767225600"),
                ("sunset", "Fri, 01 Jan 2027 00:00:00 GMT"),
                (
                    "link",
                    r#"<https://dev-01.test/api01/x?q=1>; rel="successor-version", <https://docs.test/migration>; rel="deprecation""#,
                ),
                ("content-type", "application/json"),
            ],
            body: Some(json!({
                "error": "gone",
                "message": "this entry is past its sunset; use the successor URL",
                "successor": "https://dev-01.test/api01/x?q=1",
            })),
        },
    );
    let to_long = map_with(
        r#""legacy": {"sunset": "2027-01-01T00:00:00Z", "after_sunset": "gone", "target": "long", "action": "proxy"}"#,
    );
    check(
        &to_long,
        "orders.old.test",
        "/17",
        &Client::at(SUNSET + 1),
        Expected {
            status: 410,
            headers: &[
                ("sunset", "Fri, 01 Jan 2027 00:00:00 GMT"),
                (
                    "link",
                    r#"<https://orders.long.test/17>; rel="successor-version""#,
                ),
                ("content-type", "application/json"),
            ],
            body: Some(json!({
                "error": "gone",
                "message": "this entry is past its sunset; use the successor URL",
                "successor": "https://orders.long.test/17",
            })),
        },
    );
}

#[test]
fn legacy_redirects_carry_location_cache_control_and_signals() {
    check(
        &build(BASE),
        "api01.old.test",
        "/x?q=%20",
        &Client::default(),
        Expected {
            status: 308,
            headers: &[
                ("location", "https://dev-01.test/api01/x?q=%20"),
                ("cache-control", "max-age=300"),
            ],
            body: None,
        },
    );
    check(
        &map_with(
            r#""legacy": {"redirect_max_age": 0, "status": 301, "scheme": "http", "target": "long"}"#,
        ),
        "api02.old.test",
        "/",
        &Client::default(),
        Expected {
            status: 301,
            headers: &[
                ("location", "http://api02.long.test/"),
                ("cache-control", "no-store"),
            ],
            body: None,
        },
    );
    check(
        &map_with(r#""legacy": {"redirect_max_age": 31536000, "status": 302}"#),
        "api02.old.test",
        "/a",
        &Client::default(),
        Expected {
            status: 302,
            headers: &[
                ("location", "https://dev-01.test/api02/a"),
                ("cache-control", "max-age=31536000"),
            ],
            body: None,
        },
    );
    check(
        &map_with(SIGNALS),
        "api01.old.test",
        "/x?q=1",
        &Client::at(SUNSET),
        Expected {
            status: 308,
            headers: &[
                ("location", "https://dev-01.test/api01/x?q=1"),
                ("cache-control", "max-age=300"),
                ("deprecation", "@1767225600"),
                ("sunset", "Fri, 01 Jan 2027 00:00:00 GMT"),
                (
                    "link",
                    r#"<https://dev-01.test/api01/x?q=1>; rel="successor-version", <https://docs.test/migration>; rel="deprecation""#,
                ),
            ],
            body: None,
        },
    );
}

#[test]
fn trailing_slash_redirects_are_path_absolute() {
    let map = map_with(r#""trailing_slash": "redirect""#);
    for (target, location) in [
        ("/api01", "/api01/"),
        ("/api01?q=1&r=%20", "/api01/?q=1&r=%20"),
        ("/v2/orders?", "/v2/orders/?"),
    ] {
        check(
            &map,
            "dev-01.test",
            target,
            &Silent,
            Expected {
                status: 308,
                headers: &[("location", location)],
                body: None,
            },
        );
    }
}

/// A legacy 400 is a response to a legacy-entry request: it carries `Deprecation` and `Sunset`,
/// but no successor `Link`: the refused target is never echoed into a header (see
/// `no_header_value_carries_cr_lf_or_nul`); the deprecation link stays.
#[test]
fn legacy_400_carries_the_signals_too() {
    let map = map_with(SIGNALS);
    let target = "/a/../b";
    let decision = map.decide("api01.old.test", target, &Client::at(0));
    let Outcome::Reply(reply) = decision.outcome else {
        panic!("{:?}", decision.outcome)
    };
    let response = LocalResponse::render(&decision, &reply, "api01.old.test", target);
    assert_eq!(response.status, 400);
    let names: Vec<&str> = response.headers.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["deprecation", "sunset", "link", "content-type"]);
    assert_eq!(response.headers[0].1, "@1767225600");
    assert_eq!(response.headers[1].1, "Fri, 01 Jan 2027 00:00:00 GMT");
    assert_eq!(
        response.headers[2].1,
        r#"<https://docs.test/migration>; rel="deprecation""#
    );
    assert_eq!(response.headers[3].1, "application/json");
    let body: Value = serde_json::from_str(response.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "error": "unsafe_path",
            "reason": "dot_segment",
            "message": "the path has a '.' or '..' segment",
            "host": "api01.old.test",
            "path": target,
        })
    );
}

/// The safety rule "no header value a filter writes contains CR, LF or NUL". The successor `Link` is
/// built from the raw request target even when the path check refused it, so a target with raw
/// control characters ends up inside the `Link` of the 400 (and, in observe or proxy mode, of the
/// forwarded response the adapter decorates with `deprecation_headers`).
#[test]
fn no_header_value_carries_cr_lf_or_nul() {
    let targets = [
        "/x?q=\r\nSet-Cookie:%20a=b",
        "/x\r\nX-Injected: 1",
        "/x?\0",
        "/a\nb",
    ];
    let mut failures = Vec::new();
    for action in ["redirect", "proxy", "observe"] {
        let map = map_with(&format!(
            r#""legacy": {{"action": "{action}", "deprecation": "2026-01-01T00:00:00Z", "deprecation_link": "https://docs.test/m"}}"#
        ));
        for target in targets {
            let decision = map.decide("api01.old.test", target, &Client::default());
            // A local response carries the signals itself; a forwarded one gets them from the adapter.
            let headers = match decision.outcome {
                Outcome::Reply(reply) => {
                    LocalResponse::render(&decision, &reply, "api01.old.test", target).headers
                }
                _ => deprecation_headers(&decision),
            };
            for (name, value) in headers {
                if value.contains(['\r', '\n', '\0']) {
                    failures.push(format!(
                        "action {action}, target {target:?}: {name}: {value:?}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "header values with CR, LF or NUL:\n{}",
        failures.join("\n")
    );
}

#[test]
fn deprecation_headers_follow_the_configured_fields() {
    // (fields of `legacy` besides `action`, expected headers in every action)
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("", &[]),
        (r#", "deprecation_link": "https://docs.test/m""#, &[]),
        (
            r#", "deprecation": "2026-01-01T00:00:00Z""#,
            &[
                ("deprecation", "@1767225600"),
                (
                    "link",
                    r#"<https://dev-01.test/api01/x?q=1>; rel="successor-version""#,
                ),
            ],
        ),
        (
            r#", "sunset": "2027-01-01T00:00:00Z""#,
            &[
                ("sunset", "Fri, 01 Jan 2027 00:00:00 GMT"),
                (
                    "link",
                    r#"<https://dev-01.test/api01/x?q=1>; rel="successor-version""#,
                ),
            ],
        ),
        (
            r#", "deprecation": "2026-01-01T00:00:00Z", "target": "long", "scheme": "http", "deprecation_link": "http://docs.test/a?b=c""#,
            &[
                ("deprecation", "@1767225600"),
                (
                    "link",
                    r#"<http://api01.long.test/x?q=1>; rel="successor-version", <http://docs.test/a?b=c>; rel="deprecation""#,
                ),
            ],
        ),
    ];
    for (fields, expected) in cases {
        for action in ["redirect", "proxy", "observe"] {
            let map = map_with(&format!(r#""legacy": {{"action": "{action}"{fields}}}"#));
            let decision = map.decide("api01.old.test", "/x?q=1", &Client::default());
            let headers = deprecation_headers(&decision);
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            assert_eq!(headers, *expected, "{fields} in {action} mode");
            // Only legacy requests are decorated.
            for (host, target) in [
                ("dev-01.test", "/api01/x"),
                ("api01.long.test", "/x"),
                ("other.test", "/x"),
            ] {
                let decision = map.decide(host, target, &Silent);
                assert_eq!(
                    deprecation_headers(&decision),
                    vec![],
                    "{fields}: {host}{target}"
                );
            }
        }
    }
}

#[test]
fn signals_are_per_api() {
    let map = build(
        r#"{"short_host": "dev-01.test", "long_host": "{api}.long.test", "legacy_hosts": ["{api}.old.test"],
            "apis": [{"name": "api01"}, {"name": "api02", "legacy": {"sunset": "2027-01-01T00:00:00Z"}}]}"#,
    );
    assert_eq!(
        deprecation_headers(&map.decide("api01.old.test", "/x", &Client::default())),
        vec![]
    );
    let headers = deprecation_headers(&map.decide("api02.old.test", "/x", &Client::default()));
    assert_eq!(
        headers,
        vec![
            ("sunset", "Fri, 01 Jan 2027 00:00:00 GMT".to_owned()),
            (
                "link",
                r#"<https://dev-01.test/api02/x>; rel="successor-version""#.to_owned()
            )
        ]
    );
}

/// `Deprecation: @<unix seconds>` (RFC 9745) and `Sunset: <IMF-fixdate>` (RFC 8594, RFC 9110 §5.6.7)
/// for instants across the calendar, offsets, fractions and the leap second.
#[test]
fn timestamps_render_as_unix_seconds_and_imf_fixdate() {
    for (written, unix, imf) in [
        (
            "2026-01-01T00:00:00Z",
            "@1767225600",
            "Thu, 01 Jan 2026 00:00:00 GMT",
        ),
        (
            "2027-01-01T00:00:00Z",
            "@1798761600",
            "Fri, 01 Jan 2027 00:00:00 GMT",
        ),
        (
            "2027-01-01T08:00:00+08:00",
            "@1798761600",
            "Fri, 01 Jan 2027 00:00:00 GMT",
        ),
        (
            "2026-06-30T19:30:00-05:30",
            "@1782867600",
            "Wed, 01 Jul 2026 01:00:00 GMT",
        ),
        (
            "2028-02-29T12:34:56Z",
            "@1835440496",
            "Tue, 29 Feb 2028 12:34:56 GMT",
        ),
        (
            "2026-12-31T23:59:60Z",
            "@1798761600",
            "Fri, 01 Jan 2027 00:00:00 GMT",
        ),
        (
            "2026-01-01T00:00:00.999Z",
            "@1767225600",
            "Thu, 01 Jan 2026 00:00:00 GMT",
        ),
        (
            "2026-01-01t00:00:00z",
            "@1767225600",
            "Thu, 01 Jan 2026 00:00:00 GMT",
        ),
        (
            "1970-01-01T00:00:00Z",
            "@0",
            "Thu, 01 Jan 1970 00:00:00 GMT",
        ),
        (
            "1969-12-31T23:59:59Z",
            "@-1",
            "Wed, 31 Dec 1969 23:59:59 GMT",
        ),
        (
            "2038-01-19T03:14:08Z",
            "@2147483648",
            "Tue, 19 Jan 2038 03:14:08 GMT",
        ),
        (
            "2100-03-01T00:00:00Z",
            "@4107542400",
            "Mon, 01 Mar 2100 00:00:00 GMT",
        ),
        (
            "9999-12-31T23:59:59Z",
            "@253402300799",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ),
    ] {
        let map = map_with(&format!(
            r#""legacy": {{"deprecation": "{written}", "sunset": "{written}"}}"#
        ));
        let headers = deprecation_headers(&map.decide("api01.old.test", "/", &Client::default()));
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        assert_eq!(
            headers,
            [
                ("deprecation", unix),
                ("sunset", imf),
                (
                    "link",
                    r#"<https://dev-01.test/api01/>; rel="successor-version""#
                )
            ],
            "{written}"
        );
    }
}
