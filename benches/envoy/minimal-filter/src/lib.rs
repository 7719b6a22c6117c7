//! The benchmark's config m: the job with nothing else. For the short host, `/<api>/rest` goes upstream as
//! `rest` on `<api>.target-team2…` with X-Forwarded-Host/-Prefix; the legacy host gets a 308 to the short
//! entry (with the same `Cache-Control` as the native route); anything else passes. Six hostcalls for a
//! rewrite (two reads, four writes: the ABI has one write per header), three for a redirect. The SDK's helpers
//! panic on host errors, which is acceptable for a benchmark reference and nowhere else.

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType};

const SHORT: &str = "dev-01.aliyun.cloud.cn.aibang";
const LONG_SUFFIX: &str = ".target-team2.dev.aliyun.cloud.cn.aibang";
const LEGACY_SUFFIX: &str = ".source-team1.dev.aliyun.cloud.cn.aibang";
const APIS: [&str; 2] = ["api01", "api02"];

proxy_wasm::main! {{
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(MinimalRoot) });
}}

struct MinimalRoot;

impl Context for MinimalRoot {}

impl RootContext for MinimalRoot {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(MinimalRewrite))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct MinimalRewrite;

impl Context for MinimalRewrite {}

impl HttpContext for MinimalRewrite {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let host = self
            .get_http_request_header(":authority")
            .unwrap_or_default();
        let path = self.get_http_request_header(":path").unwrap_or_default();
        if host == SHORT {
            let Some((api, rest)) = path.get(1..).and_then(|p| p.split_once('/')) else {
                return Action::Continue;
            };
            if APIS.contains(&api) {
                let prefix = format!("/{api}");
                self.set_http_request_header(":authority", Some(&format!("{api}{LONG_SUFFIX}")));
                self.set_http_request_header(":path", Some(&format!("/{rest}")));
                self.set_http_request_header("x-forwarded-host", Some(SHORT));
                self.set_http_request_header("x-forwarded-prefix", Some(&prefix));
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
            return Action::Pause;
        }
        Action::Continue
    }
}
