//! The benchmarks' config m: the job with nothing else, in Envoy and in Kong's engine. For the short host,
//! `/<api>/rest` goes upstream as `rest` on `<api>.target-team2…` with X-Forwarded-Host/-Prefix; the legacy host
//! gets a 308 to the short entry (with the same `Cache-Control` as the native route); anything else passes.
//!
//! - Envoy: two header reads (`:authority`, `:path`), four header writes (the ABI has one write per header), or one
//!   local 308.
//! - Kong's engine (told apart once per VM: only there is `ngx.upstream_uri` a property): the `host` header and the
//!   raw target (`request.path`: Kong's `:path` is nginx's normalised `$uri`), four property writes (Kong builds
//!   the upstream request from `$upstream_uri`, `$upstream_host` and `$upstream_x_forwarded_*`), or one local 308.
//!
//! With the `log-line` feature (built as `minimal_log.wasm`, config ml) it also writes one info line per request in
//! `on_log`, as long as kdp_migrate's telemetry record, so ml - m is what a log line costs the engine. The SDK's
//! helpers panic on host errors, which is acceptable for a benchmark reference and nowhere else.

use std::cell::Cell;

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

const SHORT: &str = "dev-01.aliyun.cloud.cn.aibang";
const LONG_SUFFIX: &str = ".target-team2.dev.aliyun.cloud.cn.aibang";
const LEGACY_SUFFIX: &str = ".source-team1.dev.aliyun.cloud.cn.aibang";
const APIS: [&str; 2] = ["api01", "api02"];

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(MinimalRoot) });
}}

thread_local! {
    /// Whether this VM runs in Kong's engine; `None` until the first request asks.
    static KONG: Cell<Option<bool>> = const { Cell::new(None) };
}

struct MinimalRoot;

impl Context for MinimalRoot {}

impl RootContext for MinimalRoot {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(MinimalRewrite::default()))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

#[derive(Default)]
struct MinimalRewrite {
    /// The Host and target, kept for the log line.
    seen: Option<(String, String)>,
}

impl Context for MinimalRewrite {}

impl MinimalRewrite {
    fn kong(&self) -> bool {
        KONG.with(|kong| {
            kong.get().unwrap_or_else(|| {
                let found = self.get_property(vec!["ngx", "upstream_uri"]).is_some();
                kong.set(Some(found));
                found
            })
        })
    }
}

impl HttpContext for MinimalRewrite {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let kong = self.kong();
        let (host, path) = if kong {
            let host = self.get_http_request_header("host").unwrap_or_default();
            let path = self
                .get_property(vec!["request", "path"])
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or_default();
            (host, path)
        } else {
            let host = self
                .get_http_request_header(":authority")
                .unwrap_or_default();
            (host, self.get_http_request_header(":path").unwrap_or_default())
        };
        let mut action = Action::Continue;
        if host == SHORT {
            if let Some((api, rest)) = path.get(1..).and_then(|p| p.split_once('/'))
                && APIS.contains(&api)
            {
                let prefix = format!("/{api}");
                let long = format!("{api}{LONG_SUFFIX}");
                let upstream_path = format!("/{rest}");
                if kong {
                    self.set_property(vec!["ngx", "upstream_host"], Some(long.as_bytes()));
                    self.set_property(vec!["ngx", "upstream_uri"], Some(upstream_path.as_bytes()));
                    self.set_property(
                        vec!["ngx", "upstream_x_forwarded_host"],
                        Some(SHORT.as_bytes()),
                    );
                    self.set_property(
                        vec!["ngx", "upstream_x_forwarded_prefix"],
                        Some(prefix.as_bytes()),
                    );
                } else {
                    self.set_http_request_header(":authority", Some(&long));
                    self.set_http_request_header(":path", Some(&upstream_path));
                    self.set_http_request_header("x-forwarded-host", Some(SHORT));
                    self.set_http_request_header("x-forwarded-prefix", Some(&prefix));
                }
            }
        } else if let Some(api) = host
            .strip_suffix(LEGACY_SUFFIX)
            .filter(|api| APIS.contains(api))
        {
            let location = format!("https://{SHORT}/{api}{path}");
            self.send_http_response(
                308,
                vec![("location", &location), ("cache-control", "max-age=300")],
                None,
            );
            action = Action::Pause;
        }
        if cfg!(feature = "log-line") {
            self.seen = Some((host, path));
        }
        action
    }

    fn on_log(&mut self) {
        if !cfg!(feature = "log-line") {
            return;
        }
        let (host, path) = self.seen.take().unwrap_or_default();
        // The size and shape of kdp_migrate's record for the same request.
        let line = format!(
            "{{\"event\":\"minimal\",\"entry\":\"short\",\"api\":\"api01\",\"action\":\"proxy\",\"method\":\"GET\",\
             \"host\":\"{host}\",\"path\":\"{path}\",\"status\":200,\"latency_ms\":0.0,\"redirect_stage\":null,\
             \"location_rewritten\":0,\"cookies_rewritten\":0,\"reason\":null,\"would_action\":null,\
             \"would_status\":null,\"would_location\":null}}"
        );
        proxy_wasm::hostcalls::log(LogLevel::Info, &line).ok();
    }
}
