//! The session registry: chat sessions by token, live or waiting to be resumed, and who
//! follows which case. Notifications for a session that is away are kept until it resumes.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::protocol::Notification;
use crate::dialog::DialogState;
use crate::nlu::Lang;

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
    /// Any other frame for the person (the live agent hand-off's frames).
    Frame(Box<super::protocol::ServerFrame>),
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
    /// When the session went away and the number of the connection that left, its key in
    /// the detached indexes; `None` while live.
    away: Option<AwayKey>,
    /// The client address that started the session.
    ip: IpAddr,
    missed: Vec<Notification>,
    /// Status and date last told about each followed case, so a change that reaches this
    /// node twice (handed over at a resume and seen by the listener) is told once.
    told: HashMap<String, (String, String)>,
}

/// Orders sessions that are away by when they left; the connection number breaks ties.
type AwayKey = (Instant, u64);

/// Sessions of one client address.
#[derive(Default)]
struct Address {
    /// Sessions started from the address, live and away.
    sessions: usize,
    /// Its sessions that are away, oldest first.
    away: BTreeSet<(AwayKey, String)>,
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
    /// Every session that is away, oldest first: eviction and expiry read from the front.
    away: BTreeSet<(AwayKey, String)>,
    addresses: HashMap<IpAddr, Address>,
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
    /// one for `ip`. A connection still attached to a resumed session is told to close.
    ///
    /// Room for a new session is made from the sessions that are away: the address's own
    /// oldest when it has `per_address` sessions or more, or when the registry is full and
    /// it has one away; else the registry's oldest. So one address cannot push out other
    /// addresses' sessions by starting and dropping many of its own.
    pub fn attach(
        &self,
        token: Option<&str>,
        sender: mpsc::Sender<Outbound>,
        ip: IpAddr,
        per_address: usize,
    ) -> Attached {
        let mut guard = self.inner.lock().expect("registry lock");
        let inner = &mut *guard;
        inner.next_conn += 1;
        let conn = inner.next_conn;
        if let Some(token) = token {
            let now = Instant::now();
            if let Some(entry) = inner.sessions.get_mut(token) {
                let expired = entry
                    .away
                    .is_some_and(|(at, _)| now.duration_since(at) > self.ttl);
                if !expired {
                    if let Some(key) = entry.away.take() {
                        inner.away.remove(&(key, token.to_string()));
                        if let Some(address) = inner.addresses.get_mut(&entry.ip) {
                            address.away.remove(&(key, token.to_string()));
                        }
                    }
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
                remove_locked(inner, token);
            }
        }
        self.make_room_locked(inner, ip, per_address);
        let token = new_token();
        let live = (conn, sender);
        let dialog = insert_live_locked(
            inner,
            &token,
            DialogState::default(),
            HashMap::new(),
            live,
            ip,
        );
        Attached {
            token,
            dialog,
            resumed: false,
            missed: Vec::new(),
            conn,
        }
    }

    /// True when this registry holds the session `token` and it has not expired.
    pub fn holds(&self, token: &str) -> bool {
        let inner = self.inner.lock().expect("registry lock");
        inner
            .sessions
            .get(token)
            .is_some_and(|entry| entry.away.is_none_or(|(at, _)| at.elapsed() <= self.ttl))
    }

    /// Takes in a session another node started (read back from the session store) as a
    /// resumed one, live on this connection, following the cases its state follows. Room
    /// is made as for a new session.
    pub fn adopt(
        &self,
        token: &str,
        dialog: DialogState,
        missed: Vec<Notification>,
        sender: mpsc::Sender<Outbound>,
        ip: IpAddr,
        per_address: usize,
    ) -> Attached {
        let mut guard = self.inner.lock().expect("registry lock");
        let inner = &mut *guard;
        inner.next_conn += 1;
        let conn = inner.next_conn;
        remove_locked(inner, token);
        self.make_room_locked(inner, ip, per_address);
        for rn in &dialog.subscriptions {
            inner
                .followers
                .entry(rn.clone())
                .or_default()
                .insert(token.to_string());
        }
        let told = missed
            .iter()
            .map(|n| {
                (
                    n.receipt_number.clone(),
                    (n.status.clone(), n.updated.clone()),
                )
            })
            .collect();
        let dialog = insert_live_locked(inner, token, dialog, told, (conn, sender), ip);
        Attached {
            token: token.to_string(),
            dialog,
            resumed: true,
            missed,
            conn,
        }
    }

    /// Forgets a session that is away to make room for one from `ip` (see [`attach`](Self::attach)).
    fn make_room_locked(&self, inner: &mut Inner, ip: IpAddr, per_address: usize) {
        let (mine, mine_away) = inner
            .addresses
            .get(&ip)
            .map_or((0, None), |a| (a.sessions, a.away.first().cloned()));
        let victim = if mine >= per_address.max(1) {
            mine_away
        } else if inner.sessions.len() >= self.max_sessions {
            mine_away.or_else(|| inner.away.first().cloned())
        } else {
            None
        };
        if let Some((_, victim)) = victim {
            remove_locked(inner, &victim);
        }
    }

    /// Marks the session as away, unless another connection has taken it over since; true
    /// when it did.
    pub fn detach(&self, token: &str, conn: u64) -> bool {
        let mut guard = self.inner.lock().expect("registry lock");
        let inner = &mut *guard;
        if let Some(entry) = inner.sessions.get_mut(token)
            && entry.live.as_ref().is_some_and(|(c, _)| *c == conn)
        {
            entry.live = None;
            let key = (Instant::now(), conn);
            entry.away = Some(key);
            inner.away.insert((key, token.to_string()));
            inner
                .addresses
                .entry(entry.ip)
                .or_default()
                .away
                .insert((key, token.to_string()));
            return true;
        }
        false
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

    /// True when at least one session follows this case.
    pub fn is_followed(&self, receipt_number: &str) -> bool {
        let inner = self.inner.lock().expect("registry lock");
        inner.followers.contains_key(receipt_number)
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

    /// Delivers a notification to every session following its case, in the session's
    /// language (`in_each` holds one per [`Lang`], by [`Lang::index`]): straight to live
    /// connections, into the missed list of sessions that are away.
    pub fn notify(&self, in_each: &[Notification; crate::nlu::Lang::COUNT]) -> usize {
        let notification = &in_each[Lang::En.index()];
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
            let news = (notification.status.clone(), notification.updated.clone());
            if entry.told.get(&notification.receipt_number) == Some(&news) {
                continue;
            }
            entry.told.insert(notification.receipt_number.clone(), news);
            let lang = entry
                .dialog
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .lang
                .unwrap_or_default();
            let notification = &in_each[lang.index()];
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

    /// Passes `out` to the live connection of session `token`; false when the session is
    /// away, unknown, or its connection's queue is full.
    pub fn push(&self, token: &str, out: Outbound) -> bool {
        let inner = self.inner.lock().expect("registry lock");
        match inner.sessions.get(token).and_then(|e| e.live.as_ref()) {
            Some((_, tx)) => tx.try_send(out).is_ok(),
            None => false,
        }
    }

    /// Drops sessions that have been away longer than the resume window.
    pub fn sweep(&self) -> usize {
        let mut guard = self.inner.lock().expect("registry lock");
        let inner = &mut *guard;
        let now = Instant::now();
        let mut dropped = 0;
        while let Some(((at, _), token)) = inner.away.first().cloned()
            && now.duration_since(at) > self.ttl
        {
            remove_locked(inner, &token);
            dropped += 1;
        }
        dropped
    }

    /// Number of sessions kept (live and away).
    pub fn len(&self) -> usize {
        self.inner.lock().expect("registry lock").sessions.len()
    }

    /// True when no session is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Adds a session that is live on connection `live` from `ip` and counts it against the
/// address; returns its shared dialog state.
fn insert_live_locked(
    inner: &mut Inner,
    token: &str,
    dialog: DialogState,
    told: HashMap<String, (String, String)>,
    live: (u64, mpsc::Sender<Outbound>),
    ip: IpAddr,
) -> Arc<Mutex<DialogState>> {
    let dialog = Arc::new(Mutex::new(dialog));
    inner.sessions.insert(
        token.to_string(),
        Entry {
            dialog: dialog.clone(),
            live: Some(live),
            away: None,
            ip,
            missed: Vec::new(),
            told,
        },
    );
    inner.addresses.entry(ip).or_default().sessions += 1;
    dialog
}

/// Forgets a session: its entry, its place in the detached indexes, its address's count and
/// the cases it follows.
fn remove_locked(inner: &mut Inner, token: &str) {
    let Some(entry) = inner.sessions.remove(token) else {
        return;
    };
    if let Some(key) = entry.away {
        inner.away.remove(&(key, token.to_string()));
    }
    if let Some(address) = inner.addresses.get_mut(&entry.ip) {
        if let Some(key) = entry.away {
            address.away.remove(&(key, token.to_string()));
        }
        address.sessions -= 1;
        if address.sessions == 0 {
            inner.addresses.remove(&entry.ip);
        }
    }
    let followed = entry
        .dialog
        .lock()
        .map(|d| d.subscriptions.clone())
        .unwrap_or_default();
    for rn in followed {
        unfollow_locked(inner, token, &rn);
    }
}

fn unfollow_locked(inner: &mut Inner, token: &str, receipt_number: &str) {
    if let Some(entry) = inner.sessions.get_mut(token) {
        entry.told.remove(receipt_number);
    }
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

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, n])
    }

    /// Starts a session for `from` and lets it go away at once; returns its token.
    fn start_and_leave(reg: &SessionRegistry, from: IpAddr, per_address: usize) -> String {
        let (tx, _rx) = mpsc::channel(1);
        let s = reg.attach(None, tx, from, per_address);
        reg.detach(&s.token, s.conn);
        s.token
    }

    fn resumes(reg: &SessionRegistry, token: &str) -> bool {
        let (tx, _rx) = mpsc::channel(1);
        let back = reg.attach(Some(token), tx, ip(200), 100);
        reg.detach(&back.token, back.conn);
        back.resumed
    }

    #[test]
    fn one_address_cannot_push_out_other_addresses_sessions() {
        // Through the per-address cap, and through a full registry.
        for (max_sessions, per_address) in [(100, 3), (6, 100)] {
            let reg = SessionRegistry::new(Duration::from_secs(60), max_sessions);
            let others: Vec<String> = (2..6)
                .map(|n| start_and_leave(&reg, ip(n), per_address))
                .collect();
            for _ in 0..1000 {
                start_and_leave(&reg, ip(1), per_address);
            }
            assert!(
                reg.len() <= max_sessions.min(4 + per_address),
                "kept {}",
                reg.len()
            );
            for token in &others {
                assert!(
                    resumes(&reg, token),
                    "another address's session was evicted"
                );
            }
        }
    }

    #[test]
    fn a_full_registry_forgets_the_session_away_the_longest() {
        let reg = SessionRegistry::new(Duration::from_secs(60), 3);
        let first = start_and_leave(&reg, ip(1), 100);
        let second = start_and_leave(&reg, ip(2), 100);
        let third = start_and_leave(&reg, ip(3), 100);
        start_and_leave(&reg, ip(4), 100);
        let kept = |token: &str| reg.inner.lock().unwrap().sessions.contains_key(token);
        assert_eq!(reg.len(), 3);
        assert!(!kept(&first));
        assert!(kept(&second) && kept(&third));
    }

    #[test]
    fn sweeping_drops_expired_sessions_and_their_address_counts() {
        let reg = SessionRegistry::new(Duration::from_millis(0), 10);
        for n in 0..5 {
            start_and_leave(&reg, ip(n), 100);
        }
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(reg.sweep(), 5);
        assert!(reg.is_empty());
        let inner = reg.inner.lock().unwrap();
        assert!(inner.addresses.is_empty() && inner.away.is_empty());
    }

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
        let s = reg.attach(None, tx, ip(1), 100);
        reg.follow(&s.token, "EAC2190012345", true);
        s.dialog.lock().unwrap().lang = Some(Lang::Es);
        reg.detach(&s.token, s.conn);
        let in_each = Lang::ALL.map(|lang| Notification {
            lang: lang.code().into(),
            receipt_number: "EAC2190012345".into(),
            status: "Case Was Approved".into(),
            form: "I-130".into(),
            updated: "2026-01-02".into(),
            text: format!("changed ({lang})"),
        });
        assert_eq!(reg.notify(&in_each), 1);
        let (tx, _rx) = mpsc::channel(4);
        let back = reg.attach(Some(&s.token), tx, ip(1), 100);
        assert!(back.resumed);
        assert_eq!(
            back.missed,
            vec![in_each[Lang::Es.index()].clone()],
            "in the chat's language"
        );
    }

    #[test]
    fn the_same_change_reaching_a_session_twice_is_told_once() {
        let reg = SessionRegistry::new(Duration::from_secs(60), 10);
        let (tx, mut rx) = mpsc::channel(4);
        let s = reg.attach(None, tx, ip(1), 100);
        reg.follow(&s.token, "EAC2190012345", true);
        let mut n = Lang::ALL.map(|lang| Notification {
            lang: lang.code().into(),
            receipt_number: "EAC2190012345".into(),
            status: "Case Was Approved".into(),
            form: "I-130".into(),
            updated: "2026-01-02".into(),
            text: "changed".into(),
        });
        assert_eq!(reg.notify(&n), 1);
        assert_eq!(reg.notify(&n), 0, "a repeat is not told again");
        for each in &mut n {
            each.status = "Card Was Mailed To Me".into();
        }
        assert_eq!(reg.notify(&n), 1);
        assert!(rx.try_recv().is_ok() && rx.try_recv().is_ok());
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn expired_or_unknown_tokens_start_a_new_session() {
        let reg = SessionRegistry::new(Duration::from_millis(0), 10);
        let (tx, _rx) = mpsc::channel(4);
        let s = reg.attach(None, tx, ip(1), 100);
        reg.detach(&s.token, s.conn);
        std::thread::sleep(Duration::from_millis(5));
        let (tx, _rx) = mpsc::channel(4);
        let again = reg.attach(Some(&s.token), tx, ip(1), 100);
        assert!(!again.resumed);
        assert_ne!(again.token, s.token);
        let (tx, _rx) = mpsc::channel(4);
        assert!(!reg.attach(Some("nope"), tx, ip(1), 100).resumed);
    }
}
