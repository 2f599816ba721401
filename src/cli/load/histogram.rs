//! A fixed-size latency histogram in microseconds with under 1% relative error, cheap enough
//! to record every reply and to merge across connections.

/// Exact buckets below this value; above it, each power of two is split into `SUB` buckets.
const SUB: u64 = 128;
const EXACT: u64 = 2 * SUB;
/// Enough buckets for any `u32` microsecond value (over an hour).
const BUCKETS: usize = (EXACT + 25 * SUB) as usize;

/// Counts of latencies, in microseconds.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

fn index(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let shift = 63 - u64::from(v.leading_zeros()) - SUB.trailing_zeros() as u64;
    let i = EXACT + (shift - 1) * SUB + ((v >> shift) - SUB);
    (i as usize).min(BUCKETS - 1)
}

/// The largest value that falls in bucket `i`.
fn upper(i: usize) -> u64 {
    let i = i as u64;
    if i < EXACT {
        return i;
    }
    let shift = (i - EXACT) / SUB + 1;
    let mantissa = (i - EXACT) % SUB + SUB;
    ((mantissa + 1) << shift) - 1
}

impl Histogram {
    /// Records one latency.
    pub fn record(&mut self, micros: u64) {
        let micros = micros.min(u64::from(u32::MAX));
        self.counts[index(micros)] += 1;
        self.total += 1;
        self.max = self.max.max(micros);
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// Number of values recorded.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// The largest value recorded (exact).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value at quantile `q` (0..=1): the upper bound of its bucket, never above the
    /// maximum. Zero when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return upper(i).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_a_uniform_range_are_within_one_percent() {
        let mut h = Histogram::default();
        for v in 1..=100_000u64 {
            h.record(v);
        }
        for (q, want) in [(0.5, 50_000.0), (0.9, 90_000.0), (0.99, 99_000.0)] {
            let got = h.quantile(q) as f64;
            assert!((got - want).abs() / want < 0.01, "q{q}: {got} vs {want}");
        }
        assert_eq!(h.max(), 100_000);
        assert_eq!(h.len(), 100_000);
    }

    #[test]
    fn small_values_are_exact_and_merge_adds_counts() {
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        a.record(7);
        b.record(9);
        b.record(9);
        a.merge(&b);
        assert_eq!(a.quantile(0.0), 7);
        assert_eq!(a.quantile(0.5), 9);
        assert_eq!(a.len(), 3);
    }

    #[test]
    fn every_value_lands_in_a_bucket_that_contains_it() {
        for v in (0..40).flat_map(|s| [1u64 << s, (1u64 << s) + 1, (3u64 << s) / 2]) {
            let v = v.min(u64::from(u32::MAX));
            let i = index(v);
            assert!(upper(i) >= v, "{v} above bucket {i}");
            assert!(i == 0 || upper(i - 1) < v, "{v} below bucket {i}");
        }
    }
}
