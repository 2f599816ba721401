//! The calibrator: turns the evidence about one candidate answer (the classifier's
//! probability, the matcher's overlap score, how far each is ahead of the rest, how much of
//! the message the content knows) into the probability that this candidate is the right
//! answer. That probability is the `confidence` casebot reports and decides by.
//!
//! It is a logistic regression over a handful of such signals, fitted each time the content is
//! compiled on questions the models did not see: examples held out of the classifier's
//! training (and out of the matcher's index), and every example of a few targets held out
//! entirely, which stand for questions the content does not cover. So "0.8" means that, on
//! this content's own held-out questions, about eight in ten answers given with that evidence
//! were right, and the fallback threshold is a probability rather than a constant tuned by
//! hand to one version of the content.

/// Number of signals, the constant term included.
pub const SIGNALS: usize = 17;

/// Gradient-descent passes of the fit.
const PASSES: usize = 300;
/// Step size of the fit.
const STEP: f32 = 2.0;
/// L2 shrinkage of the fit's weights (not the constant term).
const SHRINK: f32 = 1e-3;

/// What is known about one candidate for one message.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evidence {
    /// The classifier's probability of the candidate.
    pub probability: f32,
    /// The best probability of any other candidate.
    pub rival_probability: f32,
    /// The matcher's score of the candidate (0 when it did not rank it).
    pub overlap: f32,
    /// The best matcher score of any other candidate.
    pub rival_overlap: f32,
    /// Share of the message's word weight that the content knows.
    pub known_share: f32,
    /// Number of distinct known words in the message.
    pub known_terms: usize,
}

impl Evidence {
    /// The signals the regression weighs.
    pub fn signals(&self) -> [f32; SIGNALS] {
        let p = self.probability;
        let m = self.overlap;
        [
            1.0,
            p,
            p - self.rival_probability,
            m,
            m - self.rival_overlap,
            self.known_share,
            self.known_terms.min(4) as f32 / 4.0,
            p * m,
            (p + 1e-4).ln() / 10.0,
            step(m, 0.5),
            step(m, 0.65),
            step(m, 0.8),
            step(m, 0.95),
            step(p, 0.3),
            step(p, 0.5),
            step(p, 0.7),
            step(p, 0.9),
        ]
    }
}

/// A fitted calibrator.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibrator {
    weights: [f32; SIGNALS],
}

impl Default for Calibrator {
    /// Until fitted: the overlap score alone, as casebot decided before it learned.
    fn default() -> Self {
        let mut weights = [0.0; SIGNALS];
        // sigmoid(8 · (m − 0.52)): 0.5 at the old answer threshold.
        weights[0] = -4.16;
        weights[3] = 8.0;
        Calibrator { weights }
    }
}

impl Calibrator {
    /// Fits on held-out candidates: each with its evidence, whether it was the right answer,
    /// and how much it counts.
    pub fn fit(rows: &[(Evidence, bool, f32)]) -> Calibrator {
        let positives = rows.iter().filter(|r| r.1).count();
        if positives == 0 || positives == rows.len() {
            return Calibrator::default();
        }
        let xs: Vec<[f32; SIGNALS]> = rows.iter().map(|r| r.0.signals()).collect();
        let total: f32 = rows.iter().map(|r| r.2).sum();
        let mut weights = [0.0f32; SIGNALS];
        // Plain gradient descent converges here: few signals, most of them in [-1, 1].
        for _ in 0..PASSES {
            let mut gradient = [0.0f32; SIGNALS];
            for (x, (_, right, weight)) in xs.iter().zip(rows) {
                let error = sigmoid(dot(&weights, x)) - f32::from(u8::from(*right));
                for (g, v) in gradient.iter_mut().zip(x) {
                    *g += weight * error * v;
                }
            }
            for (i, (w, g)) in weights.iter_mut().zip(gradient).enumerate() {
                let shrink = if i == 0 { 0.0 } else { SHRINK * *w };
                *w -= STEP * (g / total + shrink);
            }
        }
        Calibrator { weights }
    }

    /// The probability that the candidate with this evidence is the right answer.
    pub fn confidence(&self, evidence: &Evidence) -> f32 {
        sigmoid(dot(&self.weights, &evidence.signals()))
    }
}

fn step(x: f32, from: f32) -> f32 {
    f32::from(u8::from(x >= from))
}

fn dot(a: &[f32; SIGNALS], b: &[f32; SIGNALS]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(probability: f32, overlap: f32) -> Evidence {
        Evidence {
            probability,
            rival_probability: 1.0 - probability,
            overlap,
            rival_overlap: 0.2,
            known_share: 1.0,
            known_terms: 3,
        }
    }

    #[test]
    fn confidence_follows_how_often_such_evidence_was_right() {
        // Strong evidence right 9 times in 10, weak evidence right 1 time in 10.
        let mut rows = Vec::new();
        for i in 0..100 {
            rows.push((evidence(0.9, 0.8), i % 10 != 0, 1.0));
            rows.push((evidence(0.2, 0.3), i % 10 == 0, 1.0));
        }
        let calibrator = Calibrator::fit(&rows);
        let strong = calibrator.confidence(&evidence(0.9, 0.8));
        let weak = calibrator.confidence(&evidence(0.2, 0.3));
        assert!((strong - 0.9).abs() < 0.05, "{strong}");
        assert!((weak - 0.1).abs() < 0.05, "{weak}");
    }

    #[test]
    fn without_both_outcomes_it_keeps_the_overlap_rule() {
        let rows = vec![(evidence(0.9, 0.8), true, 1.0)];
        assert_eq!(Calibrator::fit(&rows), Calibrator::default());
        let default = Calibrator::default();
        assert!(default.confidence(&evidence(0.5, 0.6)) > 0.5);
        assert!(default.confidence(&evidence(0.5, 0.4)) < 0.5);
    }
}
