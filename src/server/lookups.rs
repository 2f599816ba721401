//! The per-address case look-up limit: how many different receipt numbers one client
//! address may look up per window, across all its sessions. It stops a client from
//! scraping statuses by guessing numbers from many fresh sessions; the per-session limit
//! lives in the dialog.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::dialog::CaseLookup;
use crate::store::{CaseRecord, CaseStore, StoreFuture};

/// Recent look-ups per client address.
pub struct AddressLookups {
    recent: Mutex<HashMap<IpAddr, VecDeque<(Instant, String)>>>,
    limit: usize,
    window: Duration,
}

impl AddressLookups {
    /// A limiter allowing `limit` different receipt numbers per address per `window`.
    pub fn new(limit: usize, window: Duration) -> Self {
        AddressLookups {
            recent: Mutex::default(),
            limit,
            window,
        }
    }

    /// Counts a look-up of `receipt_number` by `ip`; false when over the limit. Looking up
    /// a number already looked up in the window is always allowed.
    pub fn allow(&self, ip: IpAddr, receipt_number: &str) -> bool {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let list = recent.entry(ip).or_default();
        while list
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > self.window)
        {
            list.pop_front();
        }
        if list.iter().any(|(_, rn)| rn == receipt_number) {
            return true;
        }
        if list.len() >= self.limit {
            return false;
        }
        list.push_back((now, receipt_number.to_string()));
        true
    }

    /// Forgets addresses with no look-up in the window.
    pub fn sweep(&self) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        recent.retain(|_, list| {
            list.back()
                .is_some_and(|(at, _)| now.duration_since(*at) <= self.window)
        });
    }
}

/// The case store as one client address sees it: reads gated by [`AddressLookups`].
pub struct GatedCases<'a> {
    /// The store.
    pub store: &'a dyn CaseStore,
    /// The client's address.
    pub ip: IpAddr,
    /// The shared limiter.
    pub limiter: &'a AddressLookups,
}

impl CaseLookup for GatedCases<'_> {
    fn lookup<'a>(&'a self, receipt_number: &'a str) -> StoreFuture<'a, Option<CaseRecord>> {
        self.store.get(receipt_number)
    }

    fn allow(&self, receipt_number: &str) -> bool {
        self.limiter.allow(self.ip, receipt_number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_distinct_numbers_per_address() {
        let limiter = AddressLookups::new(2, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.allow(a, "EAC2190000001"));
        assert!(limiter.allow(a, "EAC2190000002"));
        assert!(!limiter.allow(a, "EAC2190000003"));
        assert!(
            limiter.allow(a, "EAC2190000001"),
            "a number already looked up stays allowed"
        );
        assert!(
            limiter.allow(b, "EAC2190000003"),
            "other addresses are not affected"
        );
    }
}
