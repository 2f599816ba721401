//! The state a running server shares between its connections: configuration, the live
//! content, the case store, the session registry and the limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::ArcSwap;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::connections::ConnectionLimiter;
use super::handoff::Handoff;
use super::lookups::AddressLookups;
use super::metrics::{self, AnswerCounters};
use super::session_store::{LocalSessions, SessionStore};
use super::sessions::SessionRegistry;
use crate::config::ServeConfig;
use crate::dialog::DialogOptions;
use crate::nlu::{Lang, Nlu};
use crate::reload::{LiveContent, ReloadOutcome, ReloadStatus};
use crate::store::{SharedStore, UnansweredLog};

/// Shared state of a running server. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: ServeConfig,
    nlu: ArcSwap<Nlu>,
    store: SharedStore,
    sessions: SessionRegistry,
    session_store: Arc<dyn SessionStore>,
    dialog: DialogOptions,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    connections: ConnectionLimiter,
    lookups: AddressLookups,
    ready: AtomicBool,
    reload: ArcSwap<ReloadStatus>,
    answers: ArcSwap<AnswerCounters>,
    handoff: Handoff,
    unanswered: Option<Arc<dyn UnansweredLog>>,
}

impl AppState {
    /// State for a server with this configuration, compiled content and open store, whose
    /// sessions live on this node only.
    pub fn new(config: ServeConfig, nlu: Nlu, store: SharedStore) -> Self {
        Self::with_session_store(config, nlu, store, Arc::new(LocalSessions))
    }

    /// State whose sessions are also kept in `session_store`, so other nodes can resume them.
    pub fn with_session_store(
        config: ServeConfig,
        nlu: Nlu,
        store: SharedStore,
        session_store: Arc<dyn SessionStore>,
    ) -> Self {
        let sessions =
            SessionRegistry::new(config.limits.session_ttl(), config.limits.max_sessions);
        let connections = ConnectionLimiter::new(
            config.limits.max_connections,
            config.limits.max_connections_per_ip,
        );
        let dialog = DialogOptions::from_limits(&config.limits);
        let lookups = AddressLookups::new(
            config.limits.lookups_per_address,
            crate::dialog::LOOKUP_WINDOW,
        );
        metrics::install();
        let answers = ArcSwap::from_pointee(AnswerCounters::new(&nlu));
        let handoff = Handoff::new(config.agent_token.as_deref().is_some_and(|t| !t.is_empty()));
        let unanswered = store.unanswered();
        AppState(Arc::new(Inner {
            handoff,
            config,
            unanswered,
            answers,
            nlu: ArcSwap::from_pointee(nlu),
            store,
            sessions,
            session_store,
            dialog,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            connections,
            lookups,
            ready: AtomicBool::new(false),
            reload: ArcSwap::from_pointee(ReloadStatus::new(ReloadOutcome::Started, &[])),
        }))
    }

    /// The result of the latest attempt to put edited content live.
    pub fn reload_status(&self) -> Arc<ReloadStatus> {
        self.0.reload.load_full()
    }

    /// The configuration the server runs with.
    pub fn config(&self) -> &ServeConfig {
        &self.0.config
    }

    /// The current content snapshot; keep the `Arc` for a whole turn.
    pub fn nlu(&self) -> Arc<Nlu> {
        self.0.nlu.load_full()
    }

    /// Replaces the content for new messages.
    pub fn swap_nlu(&self, nlu: Nlu) {
        self.0.answers.store(Arc::new(AnswerCounters::new(&nlu)));
        self.0.nlu.store(Arc::new(nlu));
    }

    /// The answer counters of the live content's intents and articles.
    pub fn answer_counters(&self) -> arc_swap::Guard<Arc<AnswerCounters>> {
        self.0.answers.load()
    }

    /// The case store.
    pub fn store(&self) -> &SharedStore {
        &self.0.store
    }

    /// The live agent side: agents, the line, who holds which chat.
    pub fn handoff(&self) -> &Handoff {
        &self.0.handoff
    }

    /// Where what went unanswered is recorded: the case store's own log, when it has one.
    pub fn unanswered(&self) -> Option<&dyn UnansweredLog> {
        self.0.unanswered.as_deref()
    }

    /// The session registry.
    pub fn sessions(&self) -> &SessionRegistry {
        &self.0.sessions
    }

    /// Where sessions are kept for other nodes.
    pub fn session_store(&self) -> &dyn SessionStore {
        self.0.session_store.as_ref()
    }

    /// Dialog options derived from the configuration.
    pub fn dialog_options(&self) -> &DialogOptions {
        &self.0.dialog
    }

    /// The per-address look-up limit.
    pub fn lookups(&self) -> &AddressLookups {
        &self.0.lookups
    }

    /// Cancelled when the server shuts down.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.0.shutdown.clone()
    }

    /// The greeting sent to new sessions in `lang`.
    pub fn greeting(&self, lang: Lang) -> String {
        self.nlu()
            .get(lang)
            .catalog()
            .replies()
            .greeting()
            .to_string()
    }

    /// The greeting sent to resumed sessions in `lang`.
    pub fn welcome_back(&self, lang: Lang) -> String {
        self.nlu()
            .get(lang)
            .catalog()
            .replies()
            .welcome_back()
            .to_string()
    }

    /// Suggested first questions for new sessions in `lang`.
    pub fn starter_questions(&self, lang: Lang) -> Vec<String> {
        self.nlu().get(lang).catalog().replies().starters()
    }

    /// Marks the server as ready for `/healthz`.
    pub(super) fn mark_ready(&self) {
        self.0.ready.store(true, Ordering::Release);
    }

    /// True once serving and until shutdown starts.
    pub fn is_ready(&self) -> bool {
        self.0.ready.load(Ordering::Acquire) && !self.0.shutdown.is_cancelled()
    }

    /// The cap on open chats, in total and per address.
    pub(super) fn connections(&self) -> &ConnectionLimiter {
        &self.0.connections
    }

    /// Tracks the chat tasks, to wait for them at shutdown.
    pub fn tracker(&self) -> &TaskTracker {
        &self.0.tracker
    }
}

impl LiveContent for AppState {
    fn current(&self) -> Arc<Nlu> {
        self.nlu()
    }

    fn swap(&self, nlu: Nlu) {
        self.swap_nlu(nlu);
    }

    fn record(&self, status: ReloadStatus) {
        if status.outcome != ReloadOutcome::Started {
            metrics::content_reload(status.outcome == ReloadOutcome::Ok);
        }
        self.0.reload.store(Arc::new(status));
    }
}
