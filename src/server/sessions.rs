//! The session registry: chat sessions by token, live or waiting to be resumed, and who
//! follows which case. Notifications for a session that is away are kept until it resumes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::protocol::Notification;
use crate::dialog::DialogState;

/// Most notifications kept for a session that is away.
const MAX_MISSED: usize = 32;

/// Something the server pushes to a live connection from outside its own loop.
#[derive(Debug)]
pub enum Outbound {
    /// A followed case changed. Boxed: every connection's channel preallocates a block of
    /// slots, and a pointer-sized slot keeps that block small.
    Notification(Box<Notification>),
    /// Another connection resumed this session; this one must close.
    Replaced,
}

/// A session token: 128 bits from the operating system's CSPRNG, as 32 hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Entry {
    dialog: Arc<Mutex<DialogState>>,
    /// Sender of the live connection, with a number identifying that connection.
    live: Option<(u64, mpsc::Sender<Outbound>)>,
    detached_at: Instant,
    missed: Vec<Notification>,
}

/// A session handed to a connection.
pub struct Attached {
    /// The session's token.
    pub token: String,
    /// Its dialog state, shared with the registry.
    pub dialog: Arc<Mutex<DialogState>>,
    /// True when an earlier session was resumed.
    pub resumed: bool,
    /// Notifications that arrived while the session was away.
    pub missed: Vec<Notification>,
    /// Number of this connection, to detach the right one.
    pub conn: u64,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Entry>,
    followers: HashMap<String, HashSet<String>>,
    /// Status and date of the last notification sent about each followed case.
    last_sent: HashMap<String, (String, String)>,
    next_conn: u64,
}

/// All sessions of the server.
pub struct SessionRegistry {
    inner: Mutex<Inner>,
    ttl: Duration,
    max_sessions: usize,
}

impl SessionRegistry {
    /// A registry that keeps detached sessions for `ttl` and at most `max_sessions`.
    pub fn new(ttl: Duration, max_sessions: usize) -> Self {
        SessionRegistry {
            inner: Mutex::new(Inner::default()),
            ttl,
            max_sessions: max_sessions.max(1),
        }
    }

    /// Resumes the session `token` if it exists and has not expired; otherwise starts a new
    /// one. A connection still attached to a resumed session is told to close.
    pub fn attach(&self, token: Option<&str>, sender: mpsc::Sender<Outbound>) -> Attached {
        let mut inner = self.inner.lock().expect("registry lock");
        inner.next_conn += 1;
        let conn = inner.next_conn;
        if let Some(token) = token {
            let now = Instant::now();
            let ttl = self.ttl;
            if let Some(entry) = inner.sessions.get_mut(token) {
                let expired = entry.live.is_none() && now.duration_since(entry.detached_at) > ttl;
                if !expired {
                    if let Some((_, old)) = entry.live.replace((conn, sender)) {
                        let _ = old.try_send(Outbound::Replaced);
                    }
                    return Attached {
                        token: token.to_string(),
                        dialog: entry.dialog.clone(),
                        resumed: true,
                        missed: std::mem::take(&mut entry.missed),
                        conn,
                    };
                }
                self.remove_locked(&mut inner, token);
            }
        }
        if inner.sessions.len() >= self.max_sessions {
            self.evict_locked(&mut inner);
        }
        let token = new_token();
        let dialog = Arc::new(Mutex::new(DialogState::default()));
        inner.sessions.insert(
            token.clone(),
            Entry {
                dialog: dialog.clone(),
                live: Some((conn, sender)),
                detached_at: Instant::now(),
                missed: Vec::new(),
            },
        );
        Attached {
            token,
            dialog,
            resumed: false,
            missed: Vec::new(),
            conn,
        }
    }

    /// Marks the session as away, unless another connection has taken it over since.
    pub fn detach(&self, token: &str, conn: u64) {
        let mut inner = self.inner.lock().expect("registry lock");
        if let Some(entry) = inner.sessions.get_mut(token)
            && entry.live.as_ref().is_some_and(|(c, _)| *c == conn)
        {
            entry.live = None;
            entry.detached_at = Instant::now();
        }
    }

    /// Starts or stops delivering changes of `receipt_number` to the session.
    pub fn follow(&self, token: &str, receipt_number: &str, on: bool) {
        let mut inner = self.inner.lock().expect("registry lock");
        if on {
            inner
                .followers
                .entry(receipt_number.to_string())
                .or_default()
                .insert(token.to_string());
        } else {
            unfollow_locked(&mut inner, token, receipt_number);
        }
    }

    /// Receipt numbers that at least one session follows.
    pub fn followed(&self) -> Vec<String> {
        let inner = self.inner.lock().expect("registry lock");
        inner.followers.keys().cloned().collect()
    }

    /// True when the last notification sent about this case had the same status and date.
    pub fn already_sent(&self, notification: &Notification) -> bool {
        let inner = self.inner.lock().expect("registry lock");
        inner
            .last_sent
            .get(&notification.receipt_number)
            .is_some_and(|(status, updated)| {
                *status == notification.status && *updated == notification.updated
            })
    }

    /// Delivers a notification to every session following its case: straight to live
    /// connections, into the missed list of sessions that are away.
    pub fn notify(&self, notification: &Notification) -> usize {
        let mut inner = self.inner.lock().expect("registry lock");
        let Some(tokens) = inner.followers.get(&notification.receipt_number) else {
            return 0;
        };
        let tokens: Vec<String> = tokens.iter().cloned().collect();
        inner.last_sent.insert(
            notification.receipt_number.clone(),
            (notification.status.clone(), notification.updated.clone()),
        );
        let mut delivered = 0;
        for token in tokens {
            let Some(entry) = inner.sessions.get_mut(&token) else {
                continue;
            };
            let queued = match &entry.live {
                Some((_, tx)) => tx
                    .try_send(Outbound::Notification(Box::new(notification.clone())))
                    .is_ok(),
                None => false,
            };
            if !queued {
                if entry.missed.len() >= MAX_MISSED {
                    entry.missed.remove(0);
                }
                entry.missed.push(notification.clone());
            }
            delivered += 1;
        }
        delivered
    }

    /// Drops sessions that have been away longer than the resume window.
    pub fn sweep(&self) -> usize {
        let mut inner = self.inner.lock().expect("registry lock");
        let now = Instant::now();
        let expired: Vec<String> = inner
            .sessions
            .iter()
            .filter(|(_, e)| e.live.is_none() && now.duration_since(e.detached_at) > self.ttl)
            .map(|(t, _)| t.clone())
            .collect();
        for token in &expired {
            self.remove_locked(&mut inner, token);
        }
        expired.len()
    }

    /// Number of sessions kept (live and away).
    pub fn len(&self) -> usize {
        self.inner.lock().expect("registry lock").sessions.len()
    }

    /// True when no session is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn evict_locked(&self, inner: &mut Inner) {
        let oldest = inner
            .sessions
            .iter()
            .filter(|(_, e)| e.live.is_none())
            .min_by_key(|(_, e)| e.detached_at)
            .map(|(t, _)| t.clone());
        if let Some(token) = oldest {
            self.remove_locked(inner, &token);
        }
    }

    fn remove_locked(&self, inner: &mut Inner, token: &str) {
        if let Some(entry) = inner.sessions.remove(token) {
            let followed = entry
                .dialog
                .lock()
                .map(|d| d.subscriptions.clone())
                .unwrap_or_default();
            for rn in followed {
                unfollow_locked(inner, token, &rn);
            }
        }
    }
}

fn unfollow_locked(inner: &mut Inner, token: &str, receipt_number: &str) {
    if let Some(set) = inner.followers.get_mut(receipt_number) {
        set.remove(token);
        if set.is_empty() {
            inner.followers.remove(receipt_number);
            inner.last_sent.remove(receipt_number);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_bit_hex_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn away_sessions_collect_notifications_until_resumed() {
        let reg = SessionRegistry::new(Duration::from_secs(60), 10);
        let (tx, _rx) = mpsc::channel(4);
        let s = reg.attach(None, tx);
        reg.follow(&s.token, "EAC2190012345", true);
        reg.detach(&s.token, s.conn);
        let n = Notification {
            receipt_number: "EAC2190012345".into(),
            status: "Case Was Approved".into(),
            form: "I-130".into(),
            updated: "2026-01-02".into(),
            text: "changed".into(),
        };
        assert_eq!(reg.notify(&n), 1);
        let (tx, _rx) = mpsc::channel(4);
        let back = reg.attach(Some(&s.token), tx);
        assert!(back.resumed);
        assert_eq!(back.missed, vec![n]);
    }

    #[test]
    fn expired_or_unknown_tokens_start_a_new_session() {
        let reg = SessionRegistry::new(Duration::from_millis(0), 10);
        let (tx, _rx) = mpsc::channel(4);
        let s = reg.attach(None, tx);
        reg.detach(&s.token, s.conn);
        std::thread::sleep(Duration::from_millis(5));
        let (tx, _rx) = mpsc::channel(4);
        let again = reg.attach(Some(&s.token), tx);
        assert!(!again.resumed);
        assert_ne!(again.token, s.token);
        let (tx, _rx) = mpsc::channel(4);
        assert!(!reg.attach(Some("nope"), tx).resumed);
    }
}
