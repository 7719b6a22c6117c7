//! One request's pass through a chain: contexts, request headers, the response (local or
//! upstream), response steps, log, and closing the contexts, in each engine's order.

use std::sync::Arc;

use wasmtime::{TypedFunc, WasmParams, WasmResults};

use super::lifecycle::invoke;
use super::observe::{self, local_headers, wire_count};
use super::{Chain, Exchange, ROOT_CONTEXT};
use crate::engine::upstream::upstream_request;
use crate::engine::{Engine, PendingResponse, Phase, Stream};
use crate::observation::{Callback, Observation};
use crate::wasm::abi::FilterAction;
use crate::wasm::entry_points::EntryPoints;

/// The state of one request's pass through a chain.
pub(super) struct Run<'c> {
    chain: &'c mut Chain,
    callbacks: Vec<Callback>,
    /// The request's error: the first failure.
    failure: Option<String>,
    /// Members whose instance failed and must be replaced.
    broken: Vec<usize>,
}

impl<'c> Run<'c> {
    pub(super) fn new(chain: &'c mut Chain) -> Self {
        Run {
            chain,
            callbacks: Vec::new(),
            failure: None,
            broken: Vec::new(),
        }
    }

    fn stream(&mut self) -> &mut Stream {
        &mut self.chain.store.data_mut().stream
    }

    fn engine(&self) -> Engine {
        self.chain.store.data().engine
    }

    fn call<P: WasmParams, R: WasmResults>(
        &mut self,
        index: usize,
        phase: Phase,
        pick: impl Fn(&EntryPoints) -> &TypedFunc<P, R>,
        params: P,
    ) -> Option<R> {
        // Borrow the member and the store side by side: no handle is cloned per call.
        let chain = &mut *self.chain;
        let member = chain.members.get(index)?;
        self.callbacks.push(Callback {
            filter: Arc::clone(&member.module.name),
            phase,
        });
        let result = match &member.entry {
            Some(entry) => invoke(&mut chain.store, index, phase, pick(entry), params),
            None => Err(format!("filter {} is not running", member.module.name)),
        };
        match result {
            Ok(result) => Some(result),
            Err(message) => {
                self.fail(index, message);
                None
            }
        }
    }

    fn fail(&mut self, index: usize, message: String) {
        self.failure.get_or_insert(message);
        self.broken.push(index);
    }

    /// Checks the action a request or response callback returned.
    fn expect_continue(&mut self, index: usize, phase: Phase, code: u32, pause_allowed: bool) {
        let name = self
            .chain
            .members
            .get(index)
            .map_or_else(|| "?".to_owned(), |member| member.module.name.to_string());
        let problem = match FilterAction::from_code(code) {
            Some(FilterAction::Continue) => return,
            Some(FilterAction::Pause) if pause_allowed => return,
            Some(FilterAction::Pause) => format!(
                "filter {name} paused in {} without sending a response (the request would hang)",
                phase.callback()
            ),
            None => format!(
                "filter {name} returned invalid action {code} from {}",
                phase.callback()
            ),
        };
        self.fail(index, problem);
    }

    /// The whole request; returns what was observed and the members whose instance failed and
    /// must be replaced.
    pub(super) fn execute(mut self, exchange: &Exchange<'_>) -> (Observation, Vec<usize>) {
        let now = self.chain.store.data().clock.now_nanos();
        // The logs move into the observation; start each request with room for a few lines.
        self.stream().logs = Vec::with_capacity(8);
        let begun =
            self.stream()
                .begin(exchange.request, exchange.routing, now, exchange.context_id);
        if let Err(invalid) = begun {
            // nginx refuses the request line itself: no filter ever sees it.
            let observation = Observation::engine_response("nginx", 400, invalid.to_string());
            return (observation, Vec::new());
        }
        let context = exchange.context_id;
        self.callbacks.reserve(self.chain.members.len() * 7);
        let created = self.create_contexts(context);
        let mut local = None;
        let mut upstream = None;
        if self.failure.is_none() {
            let (reached, answered) = self.request_headers(context);
            if self.failure.is_none() {
                if answered {
                    local = self.stream().local_response.take();
                    if let Some(pending) = &local {
                        self.respond_locally(pending);
                    }
                } else {
                    upstream = Some(upstream_request(self.stream()));
                    let answer = exchange.upstream;
                    self.stream()
                        .respond(answer.status, &answer.headers, answer.body.clone());
                }
                let order = self.response_order(reached);
                self.response_phases(&order, context, &mut local);
                self.log(context);
            }
        }
        self.close_contexts(created, context);
        let callbacks = std::mem::take(&mut self.callbacks);
        let stream = &mut self.chain.store.data_mut().stream;
        let observation = match self.failure {
            Some(error) => Observation::failed(error, std::mem::take(&mut stream.logs), callbacks),
            None => observe::observe(stream, callbacks, local, upstream),
        };
        (observation, self.broken)
    }

    /// `on_context_create` for every filter; how many succeeded.
    fn create_contexts(&mut self, context: u32) -> usize {
        let count = self.chain.members.len();
        for index in 0..count {
            let created = self.call(
                index,
                Phase::Create,
                |entry| &entry.on_context_create,
                (context, ROOT_CONTEXT),
            );
            if created.is_none() {
                return index;
            }
        }
        count
    }

    /// `on_request_headers` in chain order until a filter answers locally (or fails): how many
    /// filters it reached, and whether one answered.
    fn request_headers(&mut self, context: u32) -> (usize, bool) {
        // Kong's engine always says "more to come" in header steps; Envoy knows a GET has no body.
        let end_of_stream = u32::from(self.engine() == Engine::Envoy);
        let count = self.chain.members.len();
        for index in 0..count {
            let headers = wire_count(self.stream().request_headers.len());
            let Some(code) = self.call(
                index,
                Phase::RequestHeaders,
                |entry| &entry.on_request_headers,
                (context, headers, end_of_stream),
            ) else {
                return (index + 1, false);
            };
            if self.stream().local_response.is_some() {
                return (index + 1, true);
            }
            self.expect_continue(index, Phase::RequestHeaders, code, false);
            if self.failure.is_some() {
                return (index + 1, false);
            }
        }
        (count, false)
    }

    fn respond_locally(&mut self, pending: &PendingResponse) {
        let body = self.engine().local_response_body(&pending.body);
        let headers = local_headers(pending, body.len());
        self.stream().respond(pending.status, &headers, body);
    }

    /// Kong runs every filter's response steps in chain order; Envoy encodes in reverse order
    /// through the filters whose request step ran.
    fn response_order(&self, reached: usize) -> Vec<usize> {
        match self.engine() {
            Engine::Kong => (0..self.chain.members.len()).collect(),
            Engine::Envoy => (0..reached).rev().collect(),
        }
    }

    /// `on_log` for every filter, in chain order, in both engines.
    fn log(&mut self, context: u32) {
        if self.failure.is_some() {
            return;
        }
        for index in 0..self.chain.members.len() {
            if self
                .call(index, Phase::Log, |entry| &entry.on_log, context)
                .is_none()
            {
                return;
            }
        }
    }

    /// Closes every context that was opened, except in instances that failed (they are
    /// replaced). A failure here is an error too; the first one is the request's.
    fn close_contexts(&mut self, created: usize, context: u32) {
        for index in 0..created {
            if self.broken.contains(&index) {
                continue;
            }
            if self
                .call(index, Phase::Done, |entry| &entry.on_done, context)
                .is_some()
            {
                let _ = self.call(index, Phase::Done, |entry| &entry.on_delete, context);
            }
        }
    }

    fn response_phases(
        &mut self,
        order: &[usize],
        context: u32,
        local: &mut Option<PendingResponse>,
    ) {
        let engine = self.engine();
        for &index in order {
            let stream = self.stream();
            let headers = wire_count(stream.response_headers.len());
            let end_of_stream =
                u32::from(engine == Engine::Envoy && stream.response_body.is_empty());
            let Some(code) = self.call(
                index,
                Phase::ResponseHeaders,
                |entry| &entry.on_response_headers,
                (context, headers, end_of_stream),
            ) else {
                return;
            };
            // A local response from a response step replaces the response (Kong turns a 406
            // from the upstream into the filter's 403).
            if let Some(pending) = self.stream().local_response.take() {
                self.respond_locally(&pending);
                *local = Some(pending);
            }
            self.expect_continue(index, Phase::ResponseHeaders, code, false);
            if self.failure.is_some() {
                return;
            }
        }
        if self.stream().response_body.is_empty() {
            return;
        }
        for &index in order {
            let size = wire_count(self.stream().response_body.len());
            let Some(code) = self.call(
                index,
                Phase::ResponseBody,
                |entry| &entry.on_response_body,
                (context, size, 1),
            ) else {
                return;
            };
            // The whole body is one chunk with end-of-stream set: pausing to buffer is fine.
            self.expect_continue(index, Phase::ResponseBody, code, true);
            if self.failure.is_some() {
                return;
            }
        }
    }
}
