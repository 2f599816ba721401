//! The sliding-window limit both look-up limits use: how many different keys (receipt
//! numbers for a chat, session and receipt number pairs for a client address) may be
//! counted within a window of time.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Different keys counted in the last window, oldest first.
#[derive(Debug, Clone)]
pub struct DistinctWindow<K> {
    counted: VecDeque<(Instant, K)>,
}

impl<K> Default for DistinctWindow<K> {
    fn default() -> Self {
        DistinctWindow {
            counted: VecDeque::new(),
        }
    }
}

impl<K: PartialEq> DistinctWindow<K> {
    /// Counts `key` at `now` unless it was already counted within `window`; false, and
    /// nothing counted, when `limit` different keys were counted within `window`.
    pub fn allow(&mut self, key: K, limit: usize, window: Duration, now: Instant) -> bool {
        self.expire(window, now);
        if self.counted.iter().any(|(_, k)| *k == key) {
            return true;
        }
        if self.counted.len() >= limit {
            return false;
        }
        self.counted.push_back((now, key));
        true
    }

    /// True when nothing was counted within `window` before `now`.
    pub fn is_idle(&self, window: Duration, now: Instant) -> bool {
        self.counted
            .back()
            .is_none_or(|(at, _)| now.duration_since(*at) > window)
    }

    fn expire(&mut self, window: Duration, now: Instant) {
        while self
            .counted
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > window)
        {
            self.counted.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_different_keys_and_forgets_them_after_the_window() {
        let window = Duration::from_secs(60);
        let start = Instant::now();
        let mut limit = DistinctWindow::default();
        assert!(limit.allow("a", 2, window, start));
        assert!(limit.allow("b", 2, window, start));
        assert!(
            !limit.allow("c", 2, window, start),
            "a third key is over the limit"
        );
        assert!(
            limit.allow("a", 2, window, start),
            "a key already counted stays allowed"
        );
        let later = start + window + Duration::from_secs(1);
        assert!(limit.is_idle(window, later));
        assert!(
            limit.allow("c", 2, window, later),
            "old keys no longer count"
        );
    }
}
