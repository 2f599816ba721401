//! The per-address case look-up limit: how many look-ups one client address may make per
//! window, across all its sessions. It stops a client from scraping statuses by guessing
//! numbers from many fresh sessions; the per-session limit lives in the dialog. With
//! sessions kept in PostgreSQL (several nodes), the count every node sees decides too
//! (`address_lookups`), so spreading chats over nodes does not multiply the limit; when the
//! database cannot answer within half a second, the node's own count decides.
//!
//! Each session's look-ups are counted on their own: a number that another session on the
//! same address looked up costs a slot like any other, and once the address is over the
//! limit a session is answered only about numbers it looked up itself. Either way, what a
//! session is answered does not depend on which numbers other sessions looked up, so it
//! cannot learn them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use super::metrics::{self, LookupResult};
use super::session_store::SessionStore;
use crate::dialog::CaseLookup;
use crate::limit::DistinctWindow;
use crate::store::{CaseRecord, CaseStore, StoreFuture};

/// Recent look-ups per client address: (session, receipt number) pairs.
pub struct AddressLookups {
    recent: Mutex<HashMap<IpAddr, DistinctWindow<(String, String)>>>,
    limit: usize,
    window: Duration,
}

impl AddressLookups {
    /// A limiter allowing `limit` different look-ups per address per `window`.
    pub fn new(limit: usize, window: Duration) -> Self {
        AddressLookups {
            recent: Mutex::default(),
            limit,
            window,
        }
    }

    /// Counts a look-up of `receipt_number` by `session` from `ip`; false when over the
    /// limit. A number this session already looked up in the window is always allowed.
    pub fn allow(&self, ip: IpAddr, session: &str, receipt_number: &str) -> bool {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let key = (session.to_string(), receipt_number.to_string());
        recent
            .entry(ip)
            .or_default()
            .allow(key, self.limit, self.window, Instant::now())
    }

    /// Different look-ups an address may make per window.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The window of the limit.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Forgets addresses with no look-up in the window.
    pub fn sweep(&self) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        recent.retain(|_, counted| !counted.is_idle(self.window, now));
    }
}

/// The case store as one client address sees it: reads gated by [`AddressLookups`] on this
/// node and, where sessions are shared between nodes, by the count every node sees.
pub struct GatedCases<'a> {
    /// The store.
    pub store: &'a dyn CaseStore,
    /// The client's address.
    pub ip: IpAddr,
    /// This node's limiter.
    pub limiter: &'a AddressLookups,
    /// Where the count every node sees is kept (nothing for a single node).
    pub shared: &'a dyn SessionStore,
    /// The session's token: look-ups are counted per session within the address.
    pub session: &'a str,
}

impl CaseLookup for GatedCases<'_> {
    fn lookup<'a>(&'a self, receipt_number: &'a str) -> StoreFuture<'a, Option<CaseRecord>> {
        Box::pin(async move {
            let found = self.store.get(receipt_number).await;
            metrics::case_lookup(match &found {
                Ok(Some(_)) => LookupResult::Found,
                Ok(None) => LookupResult::NotFound,
                Err(_) => LookupResult::Error,
            });
            found
        })
    }

    fn allow<'a>(&'a self, receipt_number: &'a str) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let allowed = self.limiter.allow(self.ip, self.session, receipt_number) && {
                let (limit, window) = (self.limiter.limit(), self.limiter.window());
                self.shared
                    .allow_lookup(self.ip, self.session, receipt_number, limit, window)
                    .await
                    .unwrap_or(true)
            };
            if !allowed {
                metrics::case_lookup(LookupResult::Refused);
            }
            allowed
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_look_ups_per_address() {
        let limiter = AddressLookups::new(2, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.allow(a, "s1", "EAC2190000001"));
        assert!(limiter.allow(a, "s1", "EAC2190000002"));
        assert!(!limiter.allow(a, "s1", "EAC2190000003"));
        assert!(
            limiter.allow(a, "s1", "EAC2190000001"),
            "a number the session already looked up stays allowed"
        );
        assert!(
            limiter.allow(b, "s3", "EAC2190000003"),
            "other addresses are not affected"
        );
    }

    #[test]
    fn answers_do_not_reveal_other_sessions_look_ups() {
        let limiter = AddressLookups::new(2, Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limiter.allow(ip, "victim", "EAC2190000001"));
        assert!(limiter.allow(ip, "prober", "EAC2190000009"));
        // Over the limit, the victim's number is refused like any other.
        assert!(!limiter.allow(ip, "prober", "EAC2190000001"));
        assert!(!limiter.allow(ip, "prober", "EAC2190000002"));
        assert!(limiter.allow(ip, "victim", "EAC2190000001"));
    }

    #[test]
    fn another_sessions_number_costs_a_slot_like_any_other() {
        // Were it free, whether the next new number is allowed would tell the prober.
        let limiter = AddressLookups::new(3, Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limiter.allow(ip, "victim", "EAC2190000001"));
        assert!(limiter.allow(ip, "prober", "EAC2190000001"));
        assert!(limiter.allow(ip, "prober", "EAC2190000002"));
        assert!(!limiter.allow(ip, "prober", "EAC2190000003"));
    }
}
