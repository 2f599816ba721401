//! Where sessions outlive a node: the seam between the in-memory registry (which always
//! holds this node's live sessions) and a store that other nodes can resume them from.
//!
//! [`LocalSessions`] keeps nothing beyond the registry: a session resumes only on the node
//! it started on (the embedded sled setup). `PgSessions` keeps every session in PostgreSQL.

use std::net::IpAddr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};

use crate::dialog::DialogState;
use crate::domain::case::CaseRecord;

/// A session read back from the store by a node that did not hold it.
#[derive(Debug)]
pub struct Resumed {
    /// What the chat remembered at its last turn.
    pub dialog: DialogState,
    /// The address that started it (counts against that address's session cap).
    pub ip: IpAddr,
    /// Followed cases that changed since the session went away, oldest first, as they
    /// are now (the node turns them into notifications in the chat's language).
    pub missed: Vec<CaseRecord>,
}

/// Sessions kept where any node can resume them. Writes never make a chat wait: they are
/// queued and written in the background.
pub trait SessionStore: Send + Sync + 'static {
    /// Records a session's state after a turn, or when it starts.
    fn save(&self, token: &str, ip: IpAddr, dialog: &DialogState);

    /// Records that the session's connection left now.
    fn away(&self, token: &str);

    /// A session this node does not hold, with what it missed; `None` when the token is
    /// unknown, expired, or the store cannot answer in time.
    fn resume<'a>(&'a self, token: &'a str, ttl: Duration) -> BoxFuture<'a, Option<Resumed>>;

    /// Counts a case look-up of `receipt_number` by the session `token` from `ip` where every
    /// node sees it: `Some(false)` when the address already made `limit` different
    /// look-ups (session and number) within `window` and this is not one of them;
    /// `None` when there is nothing shared to ask or it cannot answer, and the node's own
    /// count decides.
    fn allow_lookup<'a>(
        &'a self,
        ip: IpAddr,
        token: &'a str,
        receipt_number: &'a str,
        limit: usize,
        window: Duration,
    ) -> BoxFuture<'a, Option<bool>>;

    /// Forgets sessions away for longer than `ttl`, and look-ups older than `window`.
    fn purge(&self, ttl: Duration, window: Duration) -> BoxFuture<'_, ()>;

    /// Writes what is queued (at shutdown).
    fn flush(&self) -> BoxFuture<'_, ()>;
}

/// No store beyond the registry: sessions live and die with their node.
pub struct LocalSessions;

impl SessionStore for LocalSessions {
    fn save(&self, _: &str, _: IpAddr, _: &DialogState) {}

    fn away(&self, _: &str) {}

    fn resume<'a>(&'a self, _: &'a str, _: Duration) -> BoxFuture<'a, Option<Resumed>> {
        Box::pin(std::future::ready(None))
    }

    fn allow_lookup<'a>(
        &'a self,
        _: IpAddr,
        _: &'a str,
        _: &'a str,
        _: usize,
        _: Duration,
    ) -> BoxFuture<'a, Option<bool>> {
        Box::pin(std::future::ready(None))
    }

    fn purge(&self, _: Duration, _: Duration) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

    fn flush(&self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }
}

/// How a token is kept in a store: SHA-256, as 64 hex digits. A stolen table gives no
/// way into a chat.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_dialog_state_reads_back_and_tolerates_fields_it_does_not_know() {
        let stored = serde_json::json!({
            "memory": {"receipt_number": "EAC2690000001"},
            "pending": {"intent": "case_status", "entity": "receipt_number"},
            "subscriptions": ["EAC2690000001"],
            "turns": 3,
            "lang": "es"
        });
        let state: DialogState = serde_json::from_value(stored).unwrap();
        assert_eq!(
            state.memory.receipt_number.as_deref(),
            Some("EAC2690000001")
        );
        let pending = state.pending.clone().unwrap();
        assert_eq!(
            pending.entity,
            crate::domain::identifiers::EntityKind::ReceiptNumber
        );
        let again: DialogState =
            serde_json::from_value(serde_json::to_value(&state).unwrap()).unwrap();
        assert_eq!(again.subscriptions, state.subscriptions);
        assert_eq!(again.pending, state.pending);
        let empty: DialogState = serde_json::from_str("{}").unwrap();
        assert!(empty.pending.is_none() && empty.subscriptions.is_empty());
    }

    #[test]
    fn tokens_are_kept_as_their_sha256() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
