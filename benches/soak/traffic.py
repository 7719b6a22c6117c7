"""The soak's request mix: every entry and outcome of the seed map (kong/map.json), with odd headers and paths,
each with what the client must get back and the telemetry record it must leave, per engine.

A request kind is sent as raw HTTP/1.1 bytes (so header values that are not UTF-8 go out as they are). Expected:
the status; for redirects the Location; for forwards what the upstream saw (kdp-e2e-echo answers it in
x-echo-host / x-echo-path); the record's (entry, action), or None where no filter runs (Kong's router answers a
Host no route names with its own 404 before any filter). Expectations that differ by engine are given per
engine ("kong", "envoy").
"""

SHORT = "dev-01.aliyun.cloud.cn.aibang"
LONG1 = "api01.target-team2.dev.aliyun.cloud.cn.aibang"
LONG2 = "api02.target-team2.dev.aliyun.cloud.cn.aibang"
LEGACY1 = "api01.source-team1.dev.aliyun.cloud.cn.aibang"
LEGACY2 = "api02.source-team1.dev.aliyun.cloud.cn.aibang"
OTHER = "unrelated.example.test"


class Expect:
    """What one request kind must get: status, and optionally the Location, the upstream's Host and path, and the
    telemetry record's (entry, action) (None: no filter runs, no record)."""

    def __init__(self, status, record, location=None, upstream_host=None, upstream_path=None):
        self.status, self.record = status, record
        self.location, self.upstream_host, self.upstream_path = location, upstream_host, upstream_path


class Kind:
    def __init__(self, name, weight, method, host, target, expect, headers=(), body=b"", chunked=False):
        self.name, self.weight, self.method, self.host, self.target = name, weight, method, host, target
        self.expect = expect if isinstance(expect, dict) else {"kong": expect, "envoy": expect}
        self.headers, self.body, self.chunked = list(headers), body, chunked

    def request(self, close):
        """The request's bytes; `close` asks the gateway to close the connection after answering."""
        head = [f"{self.method} {self.target} HTTP/1.1".encode(), b"Host: " + self.host.encode()]
        for name, value in self.headers:
            head.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()))
        body = self.body
        if self.chunked:
            head.append(b"Transfer-Encoding: chunked")
            body = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n"
                            for part in (self.body[:100], self.body[100:]) if part) + b"0\r\n\r\n"
        elif body or self.method in ("POST", "PUT"):
            head.append(f"Content-Length: {len(body)}".encode())
        if close:
            head.append(b"Connection: close")
        return b"\r\n".join(head) + b"\r\n\r\n" + body


def forward(api_host, path, status=200):
    return Expect(status, ("short", "proxy"), upstream_host=api_host, upstream_path=path)


LONG_SEGMENT = "/".join(["segment-" + "x" * 40] * 15)  # ~700 bytes: the record still fits an nginx log line
ODD_BYTES = b"\xff\xfe caf\xc3\xa9 \x80"

KINDS = [
    # The short domain: forwards, the prefix on a segment boundary, the query byte for byte.
    Kind("short forward", 20, "GET", SHORT, "/api01/v1/items?id=7", forward(LONG1, "/v1/items?id=7")),
    Kind("short forward, api02, deep path, odd query", 6, "GET", SHORT, "/api02/a/b/c/d?x=%20y&z=&&w=%ZZ",
         forward(LONG2, "/a/b/c/d?x=%20y&z=&&w=%ZZ")),
    Kind("short, the prefix alone", 3, "GET", SHORT, "/api01", forward(LONG1, "/")),
    Kind("short, the prefix and a query", 2, "GET", SHORT, "/api01?q=1", forward(LONG1, "/?q=1")),
    Kind("short, ~700-byte path", 2, "GET", SHORT, "/api01/" + LONG_SEGMENT, forward(LONG1, "/" + LONG_SEGMENT)),
    Kind("short, Host with a port", 2, "GET", SHORT + ":8443", "/api01/p", forward(LONG1, "/p")),
    Kind("short, forged X-Forwarded-*", 2, "GET", SHORT, "/api02/f",
         forward(LONG2, "/f"),
         headers=[("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Prefix", "/evil"),
                  ("X-Forwarded-For", "203.0.113.9, 198.51.100.1"), ("X-Forwarded-Proto", "https")]),
    Kind("short, header values that are not UTF-8", 2, "GET", SHORT, "/api01/bytes",
         forward(LONG1, "/bytes"), headers=[("X-Odd", ODD_BYTES), ("User-Agent", ODD_BYTES)]),
    # A control character in a header value: nginx takes it; Envoy's codec answers 400 itself before the request
    # reaches the filter, whose log phase still runs and records an unknown entry without request facts.
    Kind("short, a control character in a header value", 1, "GET", SHORT, "/api01/ctl",
         {"kong": forward(LONG1, "/ctl"), "envoy": Expect(400, ("unknown", "pass"))},
         headers=[("X-Ctl", b"a\x01b")]),
    Kind("short, 40 extra headers", 2, "GET", SHORT, "/api01/many",
         forward(LONG1, "/many"), headers=[(f"X-Extra-{i}", "v" * (i + 1)) for i in range(40)]),
    Kind("short POST with a 1 KiB body", 3, "POST", SHORT, "/api01/orders", forward(LONG1, "/orders"),
         headers=[("Content-Type", "application/json")], body=b'{"x":"' + b"y" * 1010 + b'"}'),
    Kind("short POST, chunked body", 1, "POST", SHORT, "/api02/upload", forward(LONG2, "/upload"),
         body=b"z" * 300, chunked=True),
    Kind("short DELETE", 1, "DELETE", SHORT, "/api01/items/7", forward(LONG1, "/items/7")),
    # The upstream answers a redirect and cookies for its long host: the client gets them for the short entry.
    Kind("short, upstream Location and Set-Cookie rewritten", 3, "GET", SHORT, "/api01/login",
         Expect(302, ("short", "proxy"), location=f"http://{SHORT}/api01/home", upstream_host=LONG1,
                upstream_path="/login"),
         headers=[("x-echo-status", "302"), ("x-echo-respond-location", f"https://{LONG1}/home"),
                  ("x-echo-respond-set-cookie", f"sid=1; Path=/; Domain={LONG1}"),
                  ("x-echo-respond-set-cookie", "theme=dark; Path=/settings")]),
    # The short domain's refusals.
    Kind("short, no API owns the prefix", 4, "GET", SHORT, "/nope/x", Expect(404, ("short", "reject"))),
    Kind("short, prefix without a segment boundary", 2, "GET", SHORT, "/api010/x", Expect(404, ("short", "reject"))),
    Kind("short, dot segment", 2, "GET", SHORT, "/api01/a/../b", Expect(400, ("short", "reject"))),
    Kind("short, encoded dot segment", 1, "GET", SHORT, "/api01/%2e%2e/api02/x", Expect(400, ("short", "reject"))),
    Kind("short, encoded slash", 2, "GET", SHORT, "/api01/a%2Fb", Expect(400, ("short", "reject"))),
    Kind("short, encoded backslash", 1, "GET", SHORT, "/api01/a%5cb", Expect(400, ("short", "reject"))),
    # Legacy hosts: redirects to the short entry, with the path and query as sent.
    Kind("legacy redirect", 12, "GET", LEGACY1, "/v1/items?id=7",
         Expect(308, ("legacy", "redirect"), location=f"https://{SHORT}/api01/v1/items?id=7")),
    Kind("legacy redirect, api02, odd query", 4, "GET", LEGACY2, "/deep/x?a=%2F&b",
         Expect(308, ("legacy", "redirect"), location=f"https://{SHORT}/api02/deep/x?a=%2F&b")),
    Kind("legacy redirect, HEAD", 2, "HEAD", LEGACY1, "/h",
         Expect(308, ("legacy", "redirect"), location=f"https://{SHORT}/api01/h")),
    Kind("legacy redirect, POST", 1, "POST", LEGACY2, "/submit", Expect(308, ("legacy", "redirect"),
                                                                       location=f"https://{SHORT}/api02/submit"),
         body=b"a=1"),
    Kind("legacy, dot segment", 1, "GET", LEGACY1, "/a/%2e%2e/b", Expect(400, ("legacy", "reject"))),
    # Long hosts pass through (kdp_migrate sets the API's long host in Kong; the chain leaves the Host as sent).
    Kind("long pass", 10, "GET", LONG1, "/v1/items?id=7",
         Expect(200, ("long", "pass"), upstream_host=LONG1, upstream_path="/v1/items?id=7")),
    Kind("long pass, api02", 3, "GET", LONG2, "/x/y", Expect(200, ("long", "pass"), upstream_path="/x/y")),
    # Hosts Kong routes by the Host as sent (case-sensitive) and Envoy compares lowercased; an unknown host.
    Kind("short host in capitals", 1, "GET", SHORT.upper(), "/api01/c",
         {"kong": Expect(404, None), "envoy": forward(LONG1, "/c")}),
    Kind("unknown host", 2, "GET", OTHER, "/anything",
         {"kong": Expect(404, None), "envoy": Expect(200, ("unknown", "pass"), upstream_host=OTHER,
                                                     upstream_path="/anything")}),
]
