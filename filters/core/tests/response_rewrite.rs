//! `ResponseRewrite`: upstream `Location`, `Content-Location`, `Refresh` and `Set-Cookie` values
//! rewritten so the client stays on the entry it used (README "Response rewriting"). `None` means "left as it is".

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{BASE, build};
use kdp_migrate_core::{MigrationMap, ResponseRewrite};

/// Which header a row is about.
#[derive(Clone, Copy, Debug)]
enum Header {
    /// `Location` and `Content-Location` (the same rule).
    Url,
    Refresh,
    SetCookie,
}

/// Rows of `(header, upstream value, rewritten value or None)` for one rewrite.
struct RewriteTest<'a> {
    rewrite: ResponseRewrite<'a>,
    cases: &'a [(Header, &'a str, Option<&'a str>)],
}

impl RewriteTest<'_> {
    fn run(self) {
        for &(header, value, expected) in self.cases {
            let got = match header {
                Header::Url => self.rewrite.url(value),
                Header::Refresh => self.rewrite.refresh(value),
                Header::SetCookie => self.rewrite.set_cookie(value),
            };
            assert_eq!(
                got.as_deref(),
                expected,
                "{header:?}: {value:?} ({:?})",
                self.rewrite
            );
        }
    }
}

use Header::{Refresh, SetCookie, Url};

fn api<'m>(map: &'m MigrationMap, name: &str) -> &'m kdp_migrate_core::Api {
    map.apis().iter().find(|api| api.name() == name).unwrap()
}

#[test]
fn short_entry_urls_on_the_long_host_move_under_the_prefix() {
    let map = build(BASE);
    RewriteTest {
        rewrite: ResponseRewrite::short(api(&map, "api01"), map.short_host(), "https"),
        cases: &[
            (
                Url,
                "https://api01.long.test/login?next=/x",
                Some("https://dev-01.test/api01/login?next=/x"),
            ),
            (
                Url,
                "http://api01.long.test/login",
                Some("https://dev-01.test/api01/login"),
            ),
            (
                Url,
                "http://api01.long.test:8080/login",
                Some("https://dev-01.test/api01/login"),
            ),
            (
                Url,
                "https://api01.long.test:443/",
                Some("https://dev-01.test/api01/"),
            ),
            (
                Url,
                "https://api01.long.test",
                Some("https://dev-01.test/api01"),
            ),
            (
                Url,
                "https://api01.long.test?x=1",
                Some("https://dev-01.test/api01?x=1"),
            ),
            (
                Url,
                "https://api01.long.test#top",
                Some("https://dev-01.test/api01#top"),
            ),
            (
                Url,
                "HTTPS://API01.Long.Test/X?Y=Z",
                Some("https://dev-01.test/api01/X?Y=Z"),
            ),
            (
                Url,
                "https://api01.long.test./x",
                Some("https://dev-01.test/api01/x"),
            ),
            (
                Url,
                "https://api01.long.test//evil.test/x",
                Some("https://dev-01.test/api01//evil.test/x"),
            ),
            // Path-absolute: under the prefix.
            (Url, "/login", Some("/api01/login")),
            (Url, "/", Some("/api01/")),
            (Url, "/a/b?c=%20#d", Some("/api01/a/b?c=%20#d")),
            // Protocol-relative on the long host keeps being protocol-relative.
            (Url, "//api01.long.test/x", Some("//dev-01.test/api01/x")),
            (
                Url,
                "//api01.long.test:8443/x",
                Some("//dev-01.test/api01/x"),
            ),
            // Relative references resolve against the client's URL already.
            (Url, "login", None),
            (Url, "../x", None),
            (Url, "?page=2", None),
            (Url, "#top", None),
            (Url, "", None),
            // Other hosts, other schemes, and look-alikes are left alone.
            (Url, "https://other.test/x", None),
            (Url, "https://api02.long.test/x", None),
            (Url, "https://dev-01.test/api01/x", None),
            (Url, "https://api01.long.test.evil.test/x", None),
            (Url, "https://api01.long.test@evil.test/x", None),
            (Url, "https://evil.test@api01.long.test/x", None),
            (Url, "https://api01.long.test:abc/x", None),
            (Url, "https://xapi01.long.test/x", None),
            (Url, "//other.test/x", None),
            (Url, "ftp://api01.long.test/x", None),
            (Url, "mailto:ops@api01.long.test", None),
        ],
    }
    .run();
    RewriteTest {
        rewrite: ResponseRewrite::short(api(&map, "orders-admin"), map.short_host(), "http"),
        cases: &[
            (
                Url,
                "https://orders-admin.long.test/users/7",
                Some("http://dev-01.test/v2/orders/admin/users/7"),
            ),
            (Url, "/users/7", Some("/v2/orders/admin/users/7")),
            (Url, "https://orders.long.test/users/7", None),
        ],
    }
    .run();
}

#[test]
fn refresh_urls_follow_the_same_rule() {
    let map = build(BASE);
    RewriteTest {
        rewrite: ResponseRewrite::short(api(&map, "api01"), map.short_host(), "https"),
        cases: &[
            (Refresh, "5; url=/next", Some("5; url=/api01/next")),
            (
                Refresh,
                "0;URL=https://api01.long.test/x?y=1",
                Some("0;URL=https://dev-01.test/api01/x?y=1"),
            ),
            (
                Refresh,
                "0; Url='https://api01.long.test:8443/x'",
                Some("0; Url='https://dev-01.test/api01/x'"),
            ),
            (Refresh, "3; url=\"/x\"", Some("3; url=\"/api01/x\"")),
            (Refresh, "3; url=/x  ", Some("3; url=/api01/x  ")),
            (Refresh, "5", None),
            (Refresh, "5; url=next", None),
            (Refresh, "5; url=https://other.test/", None),
            (Refresh, "", None),
        ],
    }
    .run();
}

#[test]
fn short_entry_cookies_move_under_the_prefix() {
    let map = build(BASE);
    RewriteTest {
        rewrite: ResponseRewrite::short(api(&map, "api01"), map.short_host(), "https"),
        cases: &[
            // Several Set-Cookie headers of one response, each with its own attributes.
            (SetCookie, "sid=abc; Path=/; HttpOnly; Secure", Some("sid=abc; Path=/api01; HttpOnly; Secure")),
            (SetCookie, "pref=1; Path=/app; Max-Age=3600", Some("pref=1; Path=/api01/app; Max-Age=3600")),
            (SetCookie, "theme=dark; SameSite=Lax", Some("theme=dark; SameSite=Lax; Path=/api01")),
            (SetCookie, "a=b", Some("a=b; Path=/api01")),
            (
                SetCookie,
                "id=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Domain=api01.long.test; Path=/; Secure; SameSite=None",
                Some("id=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/api01; Secure; SameSite=None"),
            ),
            (SetCookie, "a=b; Domain=.API01.long.test; path=/x", Some("a=b; path=/api01/x")),
            (SetCookie, "a=b; domain=api01.long.test.", Some("a=b; Path=/api01")),
            (SetCookie, "a=b;Path=/;Secure", Some("a=b;Path=/api01;Secure")),
            (SetCookie, "tok=a=b==; PATH=/x/y/; HttpOnly", Some("tok=a=b==; PATH=/api01/x/y/; HttpOnly")),
            // Other domains are kept byte for byte; only the path moves.
            (SetCookie, "a=b; Domain=long.test; Path=/", Some("a=b; Domain=long.test; Path=/api01")),
            (SetCookie, "a=b; Domain=other.test", Some("a=b; Domain=other.test; Path=/api01")),
            (SetCookie, "a=b; Domain=api02.long.test; Path=/", Some("a=b; Domain=api02.long.test; Path=/api01")),
            (SetCookie, "a=b; x-path=/; Path=/", Some("a=b; x-path=/; Path=/api01")),
        ],
    }
    .run();
    RewriteTest {
        rewrite: ResponseRewrite::short(api(&map, "orders"), map.short_host(), "https"),
        cases: &[
            (SetCookie, "cart=7; Path=/", Some("cart=7; Path=/v2/orders")),
            (
                SetCookie,
                "cart=7; Path=/c",
                Some("cart=7; Path=/v2/orders/c"),
            ),
            (SetCookie, "cart=7", Some("cart=7; Path=/v2/orders")),
        ],
    }
    .run();
}

#[test]
fn legacy_entry_moves_long_host_urls_to_the_legacy_host() {
    let map = build(BASE);
    RewriteTest {
        rewrite: ResponseRewrite::legacy(api(&map, "api01"), "api01.old.test", "https"),
        cases: &[
            (
                Url,
                "https://api01.long.test/x?y=1",
                Some("https://api01.old.test/x?y=1"),
            ),
            (
                Url,
                "http://API01.long.test:8080/x",
                Some("https://api01.old.test/x"),
            ),
            (
                Url,
                "https://api01.long.test",
                Some("https://api01.old.test"),
            ),
            (Url, "//api01.long.test/x", Some("//api01.old.test/x")),
            // The path is the same on the legacy host: path-absolute and relative stay.
            (Url, "/x", None),
            (Url, "x", None),
            (Url, "https://other.test/x", None),
            (Url, "https://dev-01.test/api01/x", None),
            (
                Refresh,
                "1; url=https://api01.long.test/y",
                Some("1; url=https://api01.old.test/y"),
            ),
            (Refresh, "1; url=/y", None),
            // Cookies: only a Domain naming the long host goes; Path stays.
            (
                SetCookie,
                "a=b; Domain=api01.long.test; Path=/",
                Some("a=b; Path=/"),
            ),
            (
                SetCookie,
                "a=b; Path=/; Domain=.api01.long.test; Secure",
                Some("a=b; Path=/; Secure"),
            ),
            (SetCookie, "a=b; Path=/", None),
            (SetCookie, "a=b", None),
            (SetCookie, "a=b; Domain=long.test", None),
            (SetCookie, "a=b; Domain=other.test; Path=/x", None),
        ],
    }
    .run();
    RewriteTest {
        rewrite: ResponseRewrite::legacy(api(&map, "api01"), "api01.old.test", "http"),
        cases: &[(
            Url,
            "https://api01.long.test/x",
            Some("http://api01.old.test/x"),
        )],
    }
    .run();
}

/// An upstream path whose dot segments climb above its root would, behind the API prefix, take
/// the client out of the API (`/api01/../x` is `/x` to a browser): it is resolved at the root
/// first, as the upstream meant it. `\` is a separator and `%2e` a dot to a browser, so to us.
#[test]
fn short_entry_urls_never_climb_out_of_the_prefix() {
    let map = build(BASE);
    RewriteTest {
        rewrite: ResponseRewrite::short(api(&map, "api01"), map.short_host(), "https"),
        cases: &[
            (Url, "/../x", Some("/api01/x")),
            (Url, "/a/../../x?q=/../y#f", Some("/api01/x?q=/../y#f")),
            (Url, "/..", Some("/api01/")),
            (Url, "/a/..%2F..", Some("/api01/a/..%2F..")),
            (Url, "/%2E%2e/x", Some("/api01/x")),
            (Url, "/a\\..\\..\\x", Some("/api01/x")),
            (Url, "/.././", Some("/api01/")),
            (Url, "/a/b/../../c", Some("/api01/a/b/../../c")),
            (
                Url,
                "https://api01.long.test/../admin",
                Some("https://dev-01.test/api01/admin"),
            ),
            (
                Url,
                "//api01.long.test/%2e%2e/%2e%2e/admin?x",
                Some("//dev-01.test/api01/admin?x"),
            ),
            (Refresh, "0; url=/../x", Some("0; url=/api01/x")),
        ],
    }
    .run();
    // The legacy entry puts no prefix in front: the upstream's path is kept as it is.
    let legacy = ResponseRewrite::legacy(api(&map, "api01"), "api01.old.test", "https");
    assert_eq!(
        legacy.url("https://api01.long.test/../x").as_deref(),
        Some("https://api01.old.test/../x")
    );
}

/// Only the authority of a rewritten URL changes (and the prefix goes in front of the path):
/// what follows is the upstream's, byte for byte, including what a URL parser would normalise
/// (an empty path, dot segments, `\`, and the bytes WHATWG percent-encodes). Every mismatch is
/// listed, not only the first.
#[test]
fn rewritten_urls_keep_the_bytes_after_the_authority() {
    let map = build(BASE);
    let short = ResponseRewrite::short(api(&map, "api01"), map.short_host(), "https");
    let legacy = ResponseRewrite::legacy(api(&map, "api01"), "api01.old.test", "https");
    let rows: &[(&ResponseRewrite<'_>, &str, Option<&str>)] = &[
        (
            &short,
            "https://api01.long.test",
            Some("https://dev-01.test/api01"),
        ),
        (
            &short,
            "https://api01.long.test?x=1",
            Some("https://dev-01.test/api01?x=1"),
        ),
        (
            &short,
            "https://api01.long.test#top",
            Some("https://dev-01.test/api01#top"),
        ),
        (
            &legacy,
            "https://api01.long.test",
            Some("https://api01.old.test"),
        ),
        (
            &short,
            "https://api01.long.test/a/./b/../c",
            Some("https://dev-01.test/api01/a/./b/../c"),
        ),
        (
            &short,
            "https://api01.long.test/a/%2e%2e/c",
            Some("https://dev-01.test/api01/a/%2e%2e/c"),
        ),
        (
            &short,
            "https://api01.long.test/a\\b",
            Some("https://dev-01.test/api01/a\\b"),
        ),
        (
            &short,
            "https://api01.long.test/a b",
            Some("https://dev-01.test/api01/a b"),
        ),
        (
            &short,
            "https://api01.long.test/x/{id}",
            Some("https://dev-01.test/api01/x/{id}"),
        ),
        (
            &short,
            "https://api01.long.test/\"q\"<b>`c`^",
            Some("https://dev-01.test/api01/\"q\"<b>`c`^"),
        ),
        (
            &short,
            "https://api01.long.test/caf\u{e9}",
            Some("https://dev-01.test/api01/caf\u{e9}"),
        ),
        (
            &short,
            "https://api01.long.test/x?q='a'",
            Some("https://dev-01.test/api01/x?q='a'"),
        ),
        (
            &short,
            "https://api01.long.test/x?q=\"a\"&r=<b>",
            Some("https://dev-01.test/api01/x?q=\"a\"&r=<b>"),
        ),
        (
            &short,
            "https://api01.long.test/x?q=a b",
            Some("https://dev-01.test/api01/x?q=a b"),
        ),
        (
            &short,
            "https://api01.long.test/x#a b",
            Some("https://dev-01.test/api01/x#a b"),
        ),
        (
            &short,
            "https://api01.long.test/a\tb",
            Some("https://dev-01.test/api01/a\tb"),
        ),
        (
            &legacy,
            "https://api01.long.test/a/../b?q='a'",
            Some("https://api01.old.test/a/../b?q='a'"),
        ),
        // Authorities a URL parser reads differently from the text: left alone.
        (&short, "https:api01.long.test/x", None),
        (&short, "https:///api01.long.test/x", None),
        (&short, "https://api01%2elong.test/x", None),
    ];
    let mismatches: Vec<String> = rows
        .iter()
        .filter_map(|&(rewrite, value, expected)| {
            let got = rewrite.url(value);
            (got.as_deref() != expected).then(|| format!("{value:?}: got {got:?}"))
        })
        .collect();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}
