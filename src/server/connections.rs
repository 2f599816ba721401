//! Connection caps: how many sockets are open in total and per client address. A slot is
//! held by a guard for as long as its connection lives.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Caps connections in total and per client address.
pub struct ConnectionLimiter {
    inner: Arc<Mutex<Counts>>,
    max_total: usize,
    max_per_ip: usize,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Holds one connection slot; frees it when dropped.
pub struct ConnectionGuard {
    inner: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl ConnectionLimiter {
    /// A limiter with these caps.
    pub fn new(max_total: usize, max_per_ip: usize) -> Self {
        ConnectionLimiter {
            inner: Arc::default(),
            max_total,
            max_per_ip,
        }
    }

    /// Takes a slot for `ip`, or `None` when a cap is reached.
    pub fn acquire(&self, ip: IpAddr) -> Option<ConnectionGuard> {
        let mut counts = self.inner.lock().expect("limiter lock");
        let mine = counts.per_ip.get(&ip).copied().unwrap_or(0);
        if counts.total >= self.max_total || mine >= self.max_per_ip {
            return None;
        }
        counts.total += 1;
        counts.per_ip.insert(ip, mine + 1);
        Some(ConnectionGuard {
            inner: self.inner.clone(),
            ip,
        })
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut counts = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        counts.total -= 1;
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_ip_and_frees_on_drop() {
        let limiter = ConnectionLimiter::new(10, 2);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a = limiter.acquire(ip).unwrap();
        let _b = limiter.acquire(ip).unwrap();
        assert!(limiter.acquire(ip).is_none());
        drop(a);
        assert!(limiter.acquire(ip).is_some());
    }
}
