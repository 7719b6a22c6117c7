//! `Plan::new`: what each filter does with a request, for every engine — one row per (roles,
//! engine, decision) that matters, asserting the whole plan; then the properties every
//! combination must have (one owner per answer and per upstream write; the combined filter does
//! what the split chain does).

// Test helpers outside #[test] functions: clippy.toml's allow-*-in-tests does not reach them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_adapter::Roles;
use kdp_migrate_adapter::engine::{Engine, Slot};
use kdp_migrate_adapter::plan::{
    self, DecisionShape, MapFlags, OutcomeShape, Plan, Record, RecordSink, Rewrite, RewriteCounts,
    RewriteFor,
};
use kdp_migrate_core::{ClientFacts, Entry, MigrationMap, TelemetrySink};

const KONG: &Engine = &Engine::KONG;
const NGINX: &Engine = &Engine::NGINX;
const ENVOY: &Engine = &Engine::ENVOY;
const ENGINES: [&Engine; 3] = [KONG, NGINX, ENVOY];

const ROLES: [(&str, Roles); 5] = [
    ("short_domain_router", Roles::ROUTER),
    ("legacy_redirect", Roles::LEGACY_REDIRECT),
    ("host_rewrite", Roles::HOST_REWRITE),
    ("migration_telemetry", Roles::TELEMETRY),
    ("kdp_migrate", Roles::ALL),
];

// What the core decides, by entry (`MigrationMap::decide`; see `summaries_of_real_decisions`).
const SHORT_FORWARD: DecisionShape = DecisionShape {
    entry: Entry::Short,
    outcome: OutcomeShape::Forward {
        path: true,
        forwarded: true,
    },
};
const SHORT_ANSWER: DecisionShape = DecisionShape {
    entry: Entry::Short,
    outcome: OutcomeShape::Reply,
};
/// `unmatched: pass`.
const SHORT_PASS: DecisionShape = DecisionShape {
    entry: Entry::Short,
    outcome: OutcomeShape::Pass,
};
/// Proxy mode, or the proxied share of a canary: a new Host only.
const LEGACY_PROXY: DecisionShape = DecisionShape {
    entry: Entry::Legacy,
    outcome: OutcomeShape::Forward {
        path: false,
        forwarded: false,
    },
};
/// Redirect, 400, 410.
const LEGACY_ANSWER: DecisionShape = DecisionShape {
    entry: Entry::Legacy,
    outcome: OutcomeShape::Reply,
};
/// Observe mode.
const LEGACY_PASS: DecisionShape = DecisionShape {
    entry: Entry::Legacy,
    outcome: OutcomeShape::Pass,
};
const LONG: DecisionShape = DecisionShape {
    entry: Entry::Long,
    outcome: OutcomeShape::Pass,
};
const UNKNOWN: DecisionShape = DecisionShape {
    entry: Entry::Unknown,
    outcome: OutcomeShape::Pass,
};
const SHAPES: [DecisionShape; 8] = [
    SHORT_FORWARD,
    SHORT_ANSWER,
    SHORT_PASS,
    LEGACY_PROXY,
    LEGACY_ANSWER,
    LEGACY_PASS,
    LONG,
    UNKNOWN,
];

const DEFAULTS: MapFlags = MapFlags {
    rewrite_responses: true,
    telemetry: TelemetrySink::Log,
};
const NO_REWRITES: MapFlags = MapFlags {
    rewrite_responses: false,
    telemetry: TelemetrySink::Log,
};
const FILTER_STATE: MapFlags = MapFlags {
    rewrite_responses: true,
    telemetry: TelemetrySink::FilterState,
};
const FLAGS: [MapFlags; 3] = [DEFAULTS, NO_REWRITES, FILTER_STATE];

// Where each engine takes the upstream request's parts.
const KONG_PATH: Slot = Slot::Property("ngx\0upstream_uri");
const KONG_HOST: Slot = Slot::Property("ngx\0upstream_host");
const KONG_FORWARDED: (Slot, Slot) = (
    Slot::Property("ngx\0upstream_x_forwarded_host"),
    Slot::Property("ngx\0upstream_x_forwarded_prefix"),
);
const PATH_HEADER: Slot = Slot::RequestHeader(":path");
const NGINX_HOST: Slot = Slot::RequestHeader("host");
const ENVOY_HOST: Slot = Slot::RequestHeader(":authority");
const FORWARDED_HEADERS: (Slot, Slot) = (
    Slot::RequestHeader("x-forwarded-host"),
    Slot::RequestHeader("x-forwarded-prefix"),
);

const NOTHING: Plan = Plan {
    answers: false,
    upstream_path: None,
    upstream_host: None,
    forwarded: None,
    client_scheme: false,
    response_status: false,
    rewrite: None,
    passes_rewrite_counts: false,
    deprecation: false,
    record: None,
};
const REWRITE_SHORT: Option<Rewrite> = Some(Rewrite {
    entry: RewriteFor::Short,
    apply: true,
});
const COUNT_SHORT: Option<Rewrite> = Some(Rewrite {
    entry: RewriteFor::Short,
    apply: false,
});
const REWRITE_LEGACY: Option<Rewrite> = Some(Rewrite {
    entry: RewriteFor::Legacy,
    apply: true,
});
const COUNT_LEGACY: Option<Rewrite> = Some(Rewrite {
    entry: RewriteFor::Legacy,
    apply: false,
});
/// The log line, with the counts of the filter's own response phase.
const LOG: Option<Record> = Some(Record {
    sink: RecordSink::Log,
    rewrite_counts: RewriteCounts::Own,
});
/// The log line, with the counts the rewriting filters left in filter state.
const LOG_PASSED_COUNTS: Option<Record> = Some(Record {
    sink: RecordSink::Log,
    rewrite_counts: RewriteCounts::FilterState,
});

fn rows() -> Vec<(Roles, &'static Engine, DecisionShape, MapFlags, Plan)> {
    vec![
        // short_domain_router: short-host answers and forwards, rewriting their responses. In
        // Envoy its rewrite counts go to filter state: telemetry, first in the chain, sees the
        // response after it.
        (
            Roles::ROUTER,
            KONG,
            SHORT_FORWARD,
            DEFAULTS,
            Plan {
                upstream_path: Some(KONG_PATH),
                upstream_host: Some(KONG_HOST),
                forwarded: Some(KONG_FORWARDED),
                client_scheme: true,
                rewrite: REWRITE_SHORT,
                ..NOTHING
            },
        ),
        (
            Roles::ROUTER,
            NGINX,
            SHORT_FORWARD,
            DEFAULTS,
            Plan {
                upstream_path: Some(PATH_HEADER),
                upstream_host: Some(NGINX_HOST),
                forwarded: Some(FORWARDED_HEADERS),
                client_scheme: true,
                rewrite: REWRITE_SHORT,
                ..NOTHING
            },
        ),
        (
            Roles::ROUTER,
            ENVOY,
            SHORT_FORWARD,
            DEFAULTS,
            Plan {
                upstream_path: Some(PATH_HEADER),
                upstream_host: Some(ENVOY_HOST),
                forwarded: Some(FORWARDED_HEADERS),
                client_scheme: true,
                rewrite: REWRITE_SHORT,
                passes_rewrite_counts: true,
                ..NOTHING
            },
        ),
        (
            Roles::ROUTER,
            ENVOY,
            SHORT_FORWARD,
            NO_REWRITES,
            Plan {
                upstream_path: Some(PATH_HEADER),
                upstream_host: Some(ENVOY_HOST),
                forwarded: Some(FORWARDED_HEADERS),
                ..NOTHING
            },
        ),
        (
            Roles::ROUTER,
            KONG,
            SHORT_ANSWER,
            DEFAULTS,
            Plan {
                answers: true,
                ..NOTHING
            },
        ),
        (
            Roles::ROUTER,
            ENVOY,
            SHORT_ANSWER,
            DEFAULTS,
            Plan {
                answers: true,
                ..NOTHING
            },
        ),
        (Roles::ROUTER, ENVOY, SHORT_PASS, DEFAULTS, NOTHING),
        (Roles::ROUTER, KONG, LEGACY_PROXY, DEFAULTS, NOTHING),
        (Roles::ROUTER, ENVOY, LEGACY_ANSWER, DEFAULTS, NOTHING),
        (Roles::ROUTER, KONG, LONG, DEFAULTS, NOTHING),
        (Roles::ROUTER, ENVOY, UNKNOWN, DEFAULTS, NOTHING),
        // legacy_redirect: legacy answers, and deprecation headers on every other legacy response.
        (
            Roles::LEGACY_REDIRECT,
            KONG,
            LEGACY_ANSWER,
            DEFAULTS,
            Plan {
                answers: true,
                ..NOTHING
            },
        ),
        (
            Roles::LEGACY_REDIRECT,
            ENVOY,
            LEGACY_ANSWER,
            DEFAULTS,
            Plan {
                answers: true,
                ..NOTHING
            },
        ),
        (
            Roles::LEGACY_REDIRECT,
            ENVOY,
            LEGACY_PROXY,
            DEFAULTS,
            Plan {
                deprecation: true,
                ..NOTHING
            },
        ),
        (
            Roles::LEGACY_REDIRECT,
            KONG,
            LEGACY_PASS,
            DEFAULTS,
            Plan {
                deprecation: true,
                ..NOTHING
            },
        ),
        (
            Roles::LEGACY_REDIRECT,
            KONG,
            SHORT_ANSWER,
            DEFAULTS,
            NOTHING,
        ),
        (
            Roles::LEGACY_REDIRECT,
            ENVOY,
            SHORT_FORWARD,
            DEFAULTS,
            NOTHING,
        ),
        (Roles::LEGACY_REDIRECT, KONG, LONG, DEFAULTS, NOTHING),
        // host_rewrite: the Host of legacy forwards, rewriting their responses back to the legacy
        // host; and, in Kong only, the Host of long-host requests (Kong sends the Service's).
        (
            Roles::HOST_REWRITE,
            KONG,
            LEGACY_PROXY,
            DEFAULTS,
            Plan {
                upstream_host: Some(KONG_HOST),
                client_scheme: true,
                rewrite: REWRITE_LEGACY,
                ..NOTHING
            },
        ),
        (
            Roles::HOST_REWRITE,
            NGINX,
            LEGACY_PROXY,
            DEFAULTS,
            Plan {
                upstream_host: Some(NGINX_HOST),
                client_scheme: true,
                rewrite: REWRITE_LEGACY,
                ..NOTHING
            },
        ),
        (
            Roles::HOST_REWRITE,
            ENVOY,
            LEGACY_PROXY,
            DEFAULTS,
            Plan {
                upstream_host: Some(ENVOY_HOST),
                client_scheme: true,
                rewrite: REWRITE_LEGACY,
                passes_rewrite_counts: true,
                ..NOTHING
            },
        ),
        (
            Roles::HOST_REWRITE,
            KONG,
            LEGACY_PROXY,
            NO_REWRITES,
            Plan {
                upstream_host: Some(KONG_HOST),
                ..NOTHING
            },
        ),
        (
            Roles::HOST_REWRITE,
            KONG,
            LONG,
            DEFAULTS,
            Plan {
                upstream_host: Some(KONG_HOST),
                ..NOTHING
            },
        ),
        (Roles::HOST_REWRITE, NGINX, LONG, DEFAULTS, NOTHING),
        (Roles::HOST_REWRITE, ENVOY, LONG, DEFAULTS, NOTHING),
        (Roles::HOST_REWRITE, KONG, LEGACY_ANSWER, DEFAULTS, NOTHING),
        (Roles::HOST_REWRITE, KONG, LEGACY_PASS, DEFAULTS, NOTHING),
        (Roles::HOST_REWRITE, ENVOY, SHORT_FORWARD, DEFAULTS, NOTHING),
        // migration_telemetry: the status, a dry run of the rewrites, the record. In chain order
        // (Kong) the dry run sees the upstream's headers; in reverse order (Envoy) the rewriting
        // filters pass their counts in filter state.
        (
            Roles::TELEMETRY,
            KONG,
            SHORT_FORWARD,
            DEFAULTS,
            Plan {
                response_status: true,
                rewrite: COUNT_SHORT,
                record: LOG,
                ..NOTHING
            },
        ),
        (
            Roles::TELEMETRY,
            NGINX,
            LEGACY_PROXY,
            DEFAULTS,
            Plan {
                response_status: true,
                rewrite: COUNT_LEGACY,
                record: LOG,
                ..NOTHING
            },
        ),
        (
            Roles::TELEMETRY,
            ENVOY,
            SHORT_FORWARD,
            DEFAULTS,
            Plan {
                response_status: true,
                rewrite: COUNT_SHORT,
                record: LOG_PASSED_COUNTS,
                ..NOTHING
            },
        ),
        (
            Roles::TELEMETRY,
            ENVOY,
            SHORT_FORWARD,
            NO_REWRITES,
            Plan {
                response_status: true,
                record: LOG_PASSED_COUNTS,
                ..NOTHING
            },
        ),
        (
            Roles::TELEMETRY,
            ENVOY,
            SHORT_FORWARD,
            FILTER_STATE,
            Plan {
                response_status: true,
                rewrite: COUNT_SHORT,
                record: Some(Record {
                    sink: RecordSink::FilterState,
                    rewrite_counts: RewriteCounts::FilterState,
                }),
                ..NOTHING
            },
        ),
        (
            Roles::TELEMETRY,
            KONG,
            SHORT_FORWARD,
            FILTER_STATE,
            Plan {
                response_status: true,
                rewrite: COUNT_SHORT,
                record: Some(Record {
                    sink: RecordSink::LogWithoutFilterState,
                    rewrite_counts: RewriteCounts::Own,
                }),
                ..NOTHING
            },
        ),
        (
            Roles::TELEMETRY,
            ENVOY,
            LEGACY_ANSWER,
            DEFAULTS,
            Plan {
                response_status: true,
                record: LOG_PASSED_COUNTS,
                ..NOTHING
            },
        ),
        (
            Roles::TELEMETRY,
            KONG,
            LEGACY_PASS,
            DEFAULTS,
            Plan {
                response_status: true,
                record: LOG,
                ..NOTHING
            },
        ),
        (
            Roles::TELEMETRY,
            KONG,
            UNKNOWN,
            DEFAULTS,
            Plan {
                response_status: true,
                record: LOG,
                ..NOTHING
            },
        ),
        // kdp_migrate: all of it, in one filter, which rewrites and records itself (no counts
        // passed in filter state).
        (
            Roles::ALL,
            KONG,
            SHORT_FORWARD,
            DEFAULTS,
            Plan {
                upstream_path: Some(KONG_PATH),
                upstream_host: Some(KONG_HOST),
                forwarded: Some(KONG_FORWARDED),
                client_scheme: true,
                response_status: true,
                rewrite: REWRITE_SHORT,
                record: LOG,
                ..NOTHING
            },
        ),
        (
            Roles::ALL,
            ENVOY,
            SHORT_FORWARD,
            DEFAULTS,
            Plan {
                upstream_path: Some(PATH_HEADER),
                upstream_host: Some(ENVOY_HOST),
                forwarded: Some(FORWARDED_HEADERS),
                client_scheme: true,
                response_status: true,
                rewrite: REWRITE_SHORT,
                record: LOG,
                ..NOTHING
            },
        ),
        (
            Roles::ALL,
            ENVOY,
            SHORT_FORWARD,
            FILTER_STATE,
            Plan {
                upstream_path: Some(PATH_HEADER),
                upstream_host: Some(ENVOY_HOST),
                forwarded: Some(FORWARDED_HEADERS),
                client_scheme: true,
                response_status: true,
                rewrite: REWRITE_SHORT,
                record: Some(Record {
                    sink: RecordSink::FilterState,
                    rewrite_counts: RewriteCounts::Own,
                }),
                ..NOTHING
            },
        ),
        (
            Roles::ALL,
            KONG,
            SHORT_ANSWER,
            DEFAULTS,
            Plan {
                answers: true,
                response_status: true,
                record: LOG,
                ..NOTHING
            },
        ),
        (
            Roles::ALL,
            ENVOY,
            LEGACY_ANSWER,
            DEFAULTS,
            Plan {
                answers: true,
                response_status: true,
                record: LOG,
                ..NOTHING
            },
        ),
        (
            Roles::ALL,
            KONG,
            LEGACY_PROXY,
            DEFAULTS,
            Plan {
                upstream_host: Some(KONG_HOST),
                client_scheme: true,
                response_status: true,
                rewrite: REWRITE_LEGACY,
                deprecation: true,
                record: LOG,
                ..NOTHING
            },
        ),
        (
            Roles::ALL,
            ENVOY,
            LEGACY_PASS,
            DEFAULTS,
            Plan {
                response_status: true,
                deprecation: true,
                record: LOG,
                ..NOTHING
            },
        ),
        (
            Roles::ALL,
            KONG,
            LONG,
            DEFAULTS,
            Plan {
                upstream_host: Some(KONG_HOST),
                response_status: true,
                record: LOG,
                ..NOTHING
            },
        ),
        (
            Roles::ALL,
            ENVOY,
            LONG,
            DEFAULTS,
            Plan {
                response_status: true,
                record: LOG,
                ..NOTHING
            },
        ),
    ]
}

fn name(roles: Roles) -> &'static str {
    ROLES
        .iter()
        .find(|(_, r)| *r == roles)
        .map_or("?", |(name, _)| name)
}

#[test]
fn each_filter_plans_its_own_work_on_each_engine() {
    for (roles, engine, shape, flags, expected) in rows() {
        assert_eq!(
            Plan::new(roles, engine, shape, flags),
            expected,
            "{} on {}, {shape:?}, {flags:?}",
            name(roles),
            engine.name
        );
    }
}

/// Every combination the table has no row for.
fn every_case() -> impl Iterator<Item = (&'static Engine, DecisionShape, MapFlags)> {
    ENGINES.into_iter().flat_map(|engine| {
        SHAPES
            .into_iter()
            .flat_map(move |shape| FLAGS.into_iter().map(move |flags| (engine, shape, flags)))
    })
}

const SPLIT: [Roles; 4] = [
    Roles::ROUTER,
    Roles::LEGACY_REDIRECT,
    Roles::HOST_REWRITE,
    Roles::TELEMETRY,
];

#[test]
fn every_answer_and_upstream_write_has_one_owner_in_the_split_chain() {
    for (engine, shape, flags) in every_case() {
        let plans = SPLIT.map(|roles| Plan::new(roles, engine, shape, flags));
        let owners = |part: fn(&Plan) -> bool| plans.iter().filter(|plan| part(plan)).count();
        let case = format!("{} {shape:?} {flags:?}", engine.name);
        let answered = shape.outcome == OutcomeShape::Reply
            && matches!(shape.entry, Entry::Short | Entry::Legacy);
        assert_eq!(owners(|p| p.answers), usize::from(answered), "{case}");
        let forwarded = matches!(shape.outcome, OutcomeShape::Forward { .. });
        let long_host = shape.entry == Entry::Long && !engine.keeps_client_host;
        assert_eq!(
            owners(|p| p.upstream_host.is_some()),
            usize::from(forwarded || long_host),
            "{case}"
        );
        assert!(owners(|p| p.upstream_path.is_some()) <= 1, "{case}");
        assert!(owners(|p| p.forwarded.is_some()) <= 1, "{case}");
        assert!(
            owners(|p| p.rewrite.is_some_and(|rewrite| rewrite.apply)) <= 1,
            "{case}"
        );
        assert_eq!(owners(|p| p.record.is_some()), 1, "{case}");
    }
}

#[test]
fn the_combined_filter_does_what_the_split_chain_does() {
    for (engine, shape, flags) in every_case() {
        let [router, legacy, host, telemetry] =
            SPLIT.map(|roles| Plan::new(roles, engine, shape, flags));
        let all = Plan::new(Roles::ALL, engine, shape, flags);
        let case = format!("{} {shape:?} {flags:?}", engine.name);
        let applied = router.rewrite.or(host.rewrite);
        assert_eq!(
            all,
            Plan {
                answers: router.answers || legacy.answers,
                upstream_path: router.upstream_path.or(host.upstream_path),
                upstream_host: router.upstream_host.or(host.upstream_host),
                forwarded: router.forwarded.or(host.forwarded),
                client_scheme: router.client_scheme || host.client_scheme,
                response_status: telemetry.response_status,
                rewrite: applied.or(telemetry.rewrite),
                // One filter rewrites and records: nothing to pass on.
                passes_rewrite_counts: false,
                deprecation: legacy.deprecation,
                record: telemetry.record.map(|record| Record {
                    rewrite_counts: RewriteCounts::Own,
                    ..record
                }),
            },
            "{case}"
        );
    }
}

#[test]
fn counts_are_passed_in_filter_state_exactly_where_telemetry_reads_them() {
    for (engine, shape, flags) in every_case() {
        let plans = SPLIT.map(|roles| Plan::new(roles, engine, shape, flags));
        let passed = plans.iter().any(|plan| plan.passes_rewrite_counts);
        let read = plans.iter().any(|plan| {
            plan.record
                .is_some_and(|record| record.rewrite_counts == RewriteCounts::FilterState)
        });
        let case = format!("{} {shape:?} {flags:?}", engine.name);
        // Passed only where read; read on such engines whether or not a rewrite happened.
        assert!(!passed || read, "{case}");
        assert_eq!(read, engine.passes_rewrite_counts(), "{case}");
    }
}

#[test]
fn recording_filters_start_the_clock_and_measure_latency_with_it_where_it_is_precise() {
    for (filter, roles) in ROLES {
        // The record's `time`, on every engine.
        assert_eq!(plan::starts_clock(roles), roles.telemetry, "{filter}");
    }
    for engine in ENGINES {
        assert_eq!(
            plan::measures_latency(engine),
            engine.name == "Envoy",
            "{}",
            engine.name
        );
    }
}

#[test]
fn the_log_plugins_sink_is_kongs_and_written_with_the_response() {
    let flags = MapFlags {
        rewrite_responses: true,
        telemetry: TelemetrySink::LogPlugins,
    };
    for (engine, sink, counts) in [
        (KONG, RecordSink::LogPlugins, RewriteCounts::Own),
        (NGINX, RecordSink::LogWithoutLogPlugins, RewriteCounts::Own),
        (
            ENVOY,
            RecordSink::LogWithoutLogPlugins,
            RewriteCounts::FilterState,
        ),
    ] {
        for shape in SHAPES {
            let record = Plan::new(Roles::TELEMETRY, engine, shape, flags).record;
            assert_eq!(
                record,
                Some(Record {
                    sink,
                    rewrite_counts: counts
                }),
                "{} {shape:?}",
                engine.name
            );
            let combined = Plan::new(Roles::ALL, engine, shape, flags).record;
            assert_eq!(combined.map(|record| record.sink), Some(sink));
        }
        assert_eq!(sink.with_response(), engine.name == "Kong");
    }
    for sink in [
        RecordSink::Log,
        RecordSink::FilterState,
        RecordSink::LogWithoutFilterState,
        RecordSink::LogWithoutLogPlugins,
    ] {
        assert!(!sink.with_response(), "{sink:?}");
    }
}

struct NoClient;

impl ClientFacts for NoClient {
    fn header(&self, _: &str) -> Option<String> {
        None
    }
    fn peer_address(&self) -> Option<String> {
        None
    }
    fn now_unix(&self) -> i64 {
        0
    }
}

#[test]
fn summaries_of_real_decisions() {
    let map = MigrationMap::from_json(
        br#"{
            "short_host": "short.example",
            "long_host": "{api}.long.example",
            "legacy_hosts": ["{api}.old.example"],
            "apis": [
                { "name": "api01" },
                { "name": "api02", "legacy": { "action": "proxy" } },
                { "name": "api03", "legacy": { "action": "observe" } }
            ]
        }"#,
    )
    .unwrap();
    let cases = [
        ("short.example", "/api01/x?y=1", SHORT_FORWARD),
        ("short.example", "/nope", SHORT_ANSWER),
        ("short.example", "/api01/%2e%2e/x", SHORT_ANSWER),
        ("api01.old.example", "/x", LEGACY_ANSWER),
        ("api02.old.example", "/x", LEGACY_PROXY),
        ("api03.old.example", "/x", LEGACY_PASS),
        ("api01.long.example", "/x", LONG),
        ("elsewhere.example", "/x", UNKNOWN),
    ];
    for (host, target, expected) in cases {
        let decision = map.decide(host, target, &NoClient);
        assert_eq!(DecisionShape::of(&decision), expected, "{host}{target}");
    }
    let pass = MigrationMap::from_json(
        br#"{ "short_host": "short.example", "long_host": "{api}.long.example",
              "apis": [{ "name": "api01" }], "unmatched": "pass" }"#,
    )
    .unwrap();
    assert_eq!(
        DecisionShape::of(&pass.decide("short.example", "/nope", &NoClient)),
        SHORT_PASS
    );
}

#[test]
fn map_flags_are_the_maps() {
    let map = MigrationMap::from_json(
        br#"{ "short_host": "short.example", "long_host": "{api}.long.example",
              "apis": [{ "name": "api01" }], "rewrite_responses": false,
              "telemetry": "filter_state" }"#,
    )
    .unwrap();
    assert_eq!(
        MapFlags::of(&map),
        MapFlags {
            rewrite_responses: false,
            telemetry: TelemetrySink::FilterState,
        }
    );
    let defaults = MigrationMap::from_json(
        br#"{ "short_host": "short.example", "long_host": "{api}.long.example",
              "apis": [{ "name": "api01" }] }"#,
    )
    .unwrap();
    assert_eq!(MapFlags::of(&defaults), DEFAULTS);
}
