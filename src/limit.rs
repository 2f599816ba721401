//! The sliding-window limit both look-up limits use: how many different keys (receipt
//! numbers for a chat, session and receipt number pairs for a client address) may be
//! counted within a window of time.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// Written as `[[age in milliseconds, key], …]`: an `Instant` means nothing to another
/// process, so each count is kept as how long ago it was made when the state was written.
/// Read back, the counts are as old as they were then (time spent stored does not age
/// them, which only makes the limit stricter).
impl<K: Serialize> Serialize for DistinctWindow<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let now = Instant::now();
        serializer.collect_seq(self.counted.iter().map(|(at, key)| {
            let age = now.saturating_duration_since(*at).as_millis() as u64;
            (age, key)
        }))
    }
}

impl<'de, K: Deserialize<'de>> Deserialize<'de> for DistinctWindow<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let aged: Vec<(u64, K)> = Vec::deserialize(deserializer)?;
        let now = Instant::now();
        let mut counted: Vec<(Instant, K)> = aged
            .into_iter()
            .filter_map(|(age, key)| Some((now.checked_sub(Duration::from_millis(age))?, key)))
            .collect();
        counted.sort_by_key(|(at, _)| *at);
        Ok(DistinctWindow {
            counted: counted.into(),
        })
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

    #[test]
    fn counts_survive_being_written_and_read_back() {
        let window = Duration::from_secs(60);
        let now = Instant::now();
        let mut limit = DistinctWindow::default();
        assert!(limit.allow("EAC2190000001".to_string(), 2, window, now));
        assert!(limit.allow("EAC2190000002".to_string(), 2, window, now));
        let json = serde_json::to_string(&limit).unwrap();
        let mut back: DistinctWindow<String> = serde_json::from_str(&json).unwrap();
        assert!(
            !back.allow("EAC2190000003".to_string(), 2, window, Instant::now()),
            "{json}"
        );
        assert!(back.allow("EAC2190000001".to_string(), 2, window, Instant::now()));
        let old: DistinctWindow<String> =
            serde_json::from_str(r#"[[120000, "EAC2190000001"]]"#).unwrap();
        assert!(
            old.is_idle(window, Instant::now()),
            "a count older than the window is gone"
        );
    }
}
