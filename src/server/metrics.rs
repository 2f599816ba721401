//! Prometheus metrics: the names, the one recorder and its rendering for `GET /metrics`.
//!
//! The recorder belongs to casebot (it is not set as the process-wide `metrics` recorder,
//! so a program embedding casebot keeps its own) and is created once per process; every
//! server in the process counts into it. Each metric is registered once and kept as a
//! handle, so counting a chat message is an atomic add: no lock, no label string built.
//! Label values are bounded: languages, protocol error codes, look-up results, reload
//! outcomes, and for answers only the ids of intents and articles in the live content.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use super::protocol::ErrorCode;
use crate::nlu::{Lang, Nlu};

/// Chat messages answered, by the language of the answer (`lang`).
pub const MESSAGES: &str = "casebot_messages_total";
/// Answers by the intent or article that gave them (`target`), `fallback` for none.
pub const ANSWERS: &str = "casebot_answers_total";
/// Answers that were fallbacks, by language (`lang`).
pub const FALLBACKS: &str = "casebot_fallbacks_total";
/// Case look-ups by `result`: `found`, `not_found`, `refused`, `error`.
pub const CASE_LOOKUPS: &str = "casebot_case_lookups_total";
/// Error frames sent, by protocol error `code`.
pub const ERROR_FRAMES: &str = "casebot_error_frames_total";
/// WebSocket chats open now.
pub const OPEN_CONNECTIONS: &str = "casebot_open_connections";
/// Seconds from a chat message's arrival to its reply frame.
pub const REPLY_SECONDS: &str = "casebot_reply_seconds";
/// Attempts to put edited content live, by `outcome`: `ok`, `refused`.
pub const CONTENT_RELOADS: &str = "casebot_content_reloads_total";

/// Requests for a person, by `result`: `queued` (the chat joined the line) or `no_agent`
/// (no agent online: the person got the contact center's answer).
pub const HANDOFF_REQUESTS: &str = "casebot_handoff_requests_total";
/// Waits in line that ended, by `outcome`: `taken` (an agent took the chat), `expired` (no
/// agent took it in time), `no_agent_left` (the last agent signed out) or `left` (the person
/// left and did not come back within the resume window).
pub const HANDOFF_WAITS: &str = "casebot_handoff_waits_total";
/// Seconds a chat waited in line, however the wait ended.
pub const HANDOFF_WAIT_SECONDS: &str = "casebot_handoff_wait_seconds";
/// Chats waiting in line now.
pub const HANDOFF_WAITING: &str = "casebot_handoff_waiting";
/// Agents signed in now.
pub const AGENTS_ONLINE: &str = "casebot_agents_online";

/// Upper bounds of the queue-wait histogram's buckets, in seconds.
pub const HANDOFF_WAIT_BUCKETS: [f64; 9] =
    [5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0];

/// Upper bounds of the reply-time histogram's buckets, in seconds.
pub const REPLY_BUCKETS: [f64; 11] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// The label of answers that no intent or article gave.
const FALLBACK_TARGET: &str = "fallback";

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// What a case look-up came to, as the server's gate on the store sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupResult {
    /// The store has the case.
    Found,
    /// The store has no such case.
    NotFound,
    /// The per-address look-up limit refused it; the store was not asked.
    Refused,
    /// The store failed or could not be reached.
    Error,
}

impl LookupResult {
    const ALL: [LookupResult; 4] = [
        LookupResult::Found,
        LookupResult::NotFound,
        LookupResult::Refused,
        LookupResult::Error,
    ];

    fn as_str(self) -> &'static str {
        match self {
            LookupResult::Found => "found",
            LookupResult::NotFound => "not_found",
            LookupResult::Refused => "refused",
            LookupResult::Error => "error",
        }
    }
}

/// How a chat's wait in line for an agent ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitEnd {
    /// An agent took the chat.
    Taken,
    /// No agent took it within the configured wait.
    Expired,
    /// The last agent online signed out.
    NoAgentLeft,
    /// The person left and did not come back within the resume window.
    Left,
}

impl WaitEnd {
    const ALL: [WaitEnd; 4] = [
        WaitEnd::Taken,
        WaitEnd::Expired,
        WaitEnd::NoAgentLeft,
        WaitEnd::Left,
    ];

    fn as_str(self) -> &'static str {
        match self {
            WaitEnd::Taken => "taken",
            WaitEnd::Expired => "expired",
            WaitEnd::NoAgentLeft => "no_agent_left",
            WaitEnd::Left => "left",
        }
    }
}

struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    messages: [Counter; Lang::ALL.len()],
    fallbacks: [Counter; Lang::ALL.len()],
    fallback_answers: Counter,
    lookups: [Counter; LookupResult::ALL.len()],
    open: Gauge,
    reply: Histogram,
    reloads_ok: Counter,
    reloads_refused: Counter,
    handoff_queued: Counter,
    handoff_no_agent: Counter,
    waits: [Counter; WaitEnd::ALL.len()],
    wait_seconds: Histogram,
    waiting: Gauge,
    agents: Gauge,
}

impl Metrics {
    fn counter(&self, name: &'static str, label: &'static str, value: &str) -> Counter {
        let key = Key::from_parts(name, vec![Label::new(label, value.to_string())]);
        self.recorder.register_counter(&key, &METADATA)
    }
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REPLY_SECONDS.into()), &REPLY_BUCKETS)
            .expect("the reply buckets are not empty")
            .set_buckets_for_metric(
                Matcher::Full(HANDOFF_WAIT_SECONDS.into()),
                &HANDOFF_WAIT_BUCKETS,
            )
            .expect("the wait buckets are not empty")
            .build_recorder();
        for (name, help) in [
            (MESSAGES, "Chat messages answered, by language."),
            (
                ANSWERS,
                "Answers by the intent or article that gave them; fallback for none.",
            ),
            (FALLBACKS, "Answers that were fallbacks, by language."),
            (
                CASE_LOOKUPS,
                "Case look-ups by result (found, not_found, refused, error).",
            ),
            (
                ERROR_FRAMES,
                "Error frames sent to chat clients, by protocol error code.",
            ),
            (
                CONTENT_RELOADS,
                "Attempts to put edited content live, by outcome (ok, refused).",
            ),
            (
                HANDOFF_REQUESTS,
                "Requests for a person, by result (queued, no_agent).",
            ),
            (
                HANDOFF_WAITS,
                "Waits in line for an agent that ended, by outcome (taken, expired, no_agent_left, left).",
            ),
        ] {
            recorder.describe_counter(KeyName::from_const_str(name), None, help.into());
        }
        for (name, help) in [
            (OPEN_CONNECTIONS, "WebSocket chats open now."),
            (HANDOFF_WAITING, "Chats waiting in line for an agent now."),
            (AGENTS_ONLINE, "Agents signed in now."),
        ] {
            recorder.describe_gauge(KeyName::from_const_str(name), None, help.into());
        }
        recorder.describe_histogram(
            KeyName::from_const_str(REPLY_SECONDS),
            None,
            "Seconds from a chat message's arrival to its reply frame.".into(),
        );
        recorder.describe_histogram(
            KeyName::from_const_str(HANDOFF_WAIT_SECONDS),
            None,
            "Seconds a chat waited in line for an agent, however the wait ended.".into(),
        );
        let static_counter = |name: &'static str, label: &'static str, value: &'static str| {
            let labels = vec![Label::from_static_parts(label, value)];
            recorder.register_counter(&Key::from_parts(name, labels), &METADATA)
        };
        let messages = Lang::ALL.map(|l| static_counter(MESSAGES, "lang", l.code()));
        let fallbacks = Lang::ALL.map(|l| static_counter(FALLBACKS, "lang", l.code()));
        let fallback_answers = static_counter(ANSWERS, "target", FALLBACK_TARGET);
        let lookups = LookupResult::ALL.map(|r| static_counter(CASE_LOOKUPS, "result", r.as_str()));
        let reloads_ok = static_counter(CONTENT_RELOADS, "outcome", "ok");
        let reloads_refused = static_counter(CONTENT_RELOADS, "outcome", "refused");
        let open = recorder.register_gauge(&Key::from_static_name(OPEN_CONNECTIONS), &METADATA);
        let reply = recorder.register_histogram(&Key::from_static_name(REPLY_SECONDS), &METADATA);
        let handoff_queued = static_counter(HANDOFF_REQUESTS, "result", "queued");
        let handoff_no_agent = static_counter(HANDOFF_REQUESTS, "result", "no_agent");
        let waits = WaitEnd::ALL.map(|e| static_counter(HANDOFF_WAITS, "outcome", e.as_str()));
        let wait_seconds =
            recorder.register_histogram(&Key::from_static_name(HANDOFF_WAIT_SECONDS), &METADATA);
        let waiting = recorder.register_gauge(&Key::from_static_name(HANDOFF_WAITING), &METADATA);
        let agents = recorder.register_gauge(&Key::from_static_name(AGENTS_ONLINE), &METADATA);
        Metrics {
            handle: recorder.handle(),
            recorder,
            messages,
            fallbacks,
            fallback_answers,
            lookups,
            open,
            reply,
            reloads_ok,
            reloads_refused,
            handoff_queued,
            handoff_no_agent,
            waits,
            wait_seconds,
            waiting,
            agents,
        }
    })
}

/// Creates the recorder and every metric without labels from content, so a scrape shows
/// them at zero from the start. Calling it again does nothing.
pub fn install() {
    metrics();
}

/// Every metric in the Prometheus text exposition format (version 0.0.4).
pub fn render() -> String {
    metrics().handle.render()
}

/// The `GET /metrics` answer: [`render`] as `text/plain; version=0.0.4`.
pub fn response() -> axum::response::Response {
    use axum::http::header::CONTENT_TYPE;
    use axum::response::IntoResponse;
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    ([(CONTENT_TYPE, content_type)], render()).into_response()
}

/// Drains recorded reply times into the histogram's buckets; run it now and then so they
/// do not pile up between scrapes.
pub fn upkeep() {
    metrics().handle.run_upkeep();
}

/// The answer counters of one content snapshot, one per intent or article id, so counting
/// an answer is a map look-up and an atomic add.
pub struct AnswerCounters(HashMap<String, Counter>);

impl AnswerCounters {
    /// Counters for every intent and article id of `nlu`'s languages.
    pub fn new(nlu: &Nlu) -> Self {
        let m = metrics();
        let mut counters = HashMap::new();
        for language in nlu.languages() {
            for id in language.target_ids() {
                if !counters.contains_key(id) {
                    counters.insert(id.to_string(), m.counter(ANSWERS, "target", id));
                }
            }
        }
        AnswerCounters(counters)
    }

    /// Counts one answered message: its language, the intent or article that gave it
    /// (`None` for a fallback) and how long the reply took. An id this content does not
    /// have (one that a reload removed while the turn ran) is not counted by target.
    pub fn answered(&self, lang: Lang, target: Option<&str>, took: Duration) {
        let m = metrics();
        m.messages[lang.index()].increment(1);
        match target {
            Some(id) => {
                if let Some(counter) = self.0.get(id) {
                    counter.increment(1);
                }
            }
            None => {
                m.fallback_answers.increment(1);
                m.fallbacks[lang.index()].increment(1);
            }
        }
        m.reply.record(took.as_secs_f64());
    }
}

/// Counts one case look-up.
pub fn case_lookup(result: LookupResult) {
    metrics().lookups[result as usize].increment(1);
}

/// Counts one error frame sent. Error frames are rare, so the counter is found by name.
pub fn error_frame(code: ErrorCode) {
    metrics()
        .counter(ERROR_FRAMES, "code", code.as_str())
        .increment(1);
}

/// Counts one reload attempt: `ok` when the edit went live, else refused.
pub fn content_reload(ok: bool) {
    let m = metrics();
    if ok {
        &m.reloads_ok
    } else {
        &m.reloads_refused
    }
    .increment(1);
}

/// Counts a request for a person: `queued` when the chat joined the line, else it got the
/// contact center's answer because no agent was online.
pub fn handoff_requested(queued: bool) {
    let m = metrics();
    if queued {
        m.handoff_queued.increment(1);
        m.waiting.increment(1.0);
    } else {
        m.handoff_no_agent.increment(1);
    }
}

/// Counts a chat leaving the line after `waited`, and how.
pub fn handoff_wait_ended(end: WaitEnd, waited: Duration) {
    let m = metrics();
    m.waits[end as usize].increment(1);
    m.wait_seconds.record(waited.as_secs_f64());
    m.waiting.decrement(1.0);
}

/// Counts an agent signing in (`true`) or out.
pub fn agent_online(online: bool) {
    let agents = &metrics().agents;
    if online {
        agents.increment(1.0);
    } else {
        agents.decrement(1.0);
    }
}

/// Counts an open chat until it is dropped.
pub struct OpenConnection(());

impl OpenConnection {
    /// Counts a chat that just opened.
    pub fn open() -> Self {
        metrics().open.increment(1.0);
        OpenConnection(())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        metrics().open.decrement(1.0);
    }
}
