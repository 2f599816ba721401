//! The re-ranker: a small logistic-regression model, trained on the content's own
//! utterances each time the content is compiled, that puts the matcher's best candidates in
//! a better order.
//!
//! The matcher's overlap score is a good judge of *whether* a message is about something the
//! content covers, but between close neighbours ("how do I create an account" vs "do I need
//! an account") it weighs every shared word the same way for every target. The re-ranker
//! learns, from the examples and questions FAQ authors wrote, which words tell one target
//! from the targets it is confused with: for each utterance, a softmax over its target and
//! its *rivals* (the other targets the matcher ranks highest for it) is fitted by stochastic
//! gradient descent. At match time the same softmax over the matcher's best candidates gives
//! each a probability, and the candidates within `matcher::RERANK_MARGIN` of the best score
//! are ordered by a blend of score and probability ([`blend`]: less of the model for a
//! message of one or two known words, which gives it little to go on). The confidence that
//! decides between answering and falling back stays the matcher's own score of the candidate, so
//! the re-ranker can change which of two near-tied answers is given (or, at the threshold,
//! hold back an answer in favour of a slightly less certain one), but it never makes casebot
//! answer a message the matcher alone would let fall back.
//!
//! Training only ever touches an utterance's rivals, so its cost grows with the number of
//! utterances, not with utterances × targets.

use super::fxhash::FxHashMap;

/// Share of the re-ranker's probability in the ordering key (the rest is the matcher score)
/// for a message with at least [`FULL_EVIDENCE_TERMS`] known terms.
pub const BLEND: f32 = 0.3;
/// How many known terms a message needs for the full [`BLEND`]: with fewer, the model has
/// little to go on and its learned preferences (for "what" + "status", say) would decide
/// alone, so its share shrinks in proportion.
const FULL_EVIDENCE_TERMS: usize = 3;

/// The re-ranker's share in the ordering key for a message with `known_terms` known terms.
pub fn blend(known_terms: usize) -> f32 {
    BLEND * (known_terms.min(FULL_EVIDENCE_TERMS) as f32 / FULL_EVIDENCE_TERMS as f32)
}

/// Passes over the training utterances.
const EPOCHS: usize = 10;
/// Step size of the first pass; it decays as 1 / (1 + pass / 4).
const LEARNING_RATE: f32 = 0.5;
/// L2 shrinkage applied to a weight each time it is updated.
const SHRINK: f32 = 1e-3;
/// Weights smaller than this are dropped after training.
const PRUNE: f32 = 1e-3;

/// One training utterance.
pub struct Sample {
    /// Index of the target the utterance belongs to.
    pub target: u32,
    /// Its distinct term ids.
    pub terms: Vec<u32>,
    /// How much it counts (answer texts count less than questions).
    pub weight: f32,
    /// The targets it must be told apart from (its own target is added if missing).
    pub rivals: Vec<u32>,
}

/// Where one sample's weights live: its classes (own target first) and, from `start` in the
/// slot list, one slot per (class, term), class by class.
struct Layout {
    classes: Vec<u32>,
    start: usize,
}

/// A trained model: per term, the weight it gives each target.
pub struct Reranker {
    /// Term id → (target, weight), sorted by target.
    weights: Vec<Vec<(u32, f32)>>,
    /// Per target: its bias.
    bias: Vec<f32>,
}

impl Reranker {
    /// A model that prefers nothing (every logit zero).
    pub fn empty() -> Reranker {
        Reranker {
            weights: Vec::new(),
            bias: Vec::new(),
        }
    }

    /// Fits the model on `samples`; `terms` and `targets` are the sizes of the id spaces.
    pub fn train(samples: &[Sample], terms: usize, targets: usize) -> Reranker {
        // Each sample only ever reads and updates the weights of its own (term, class)
        // pairs, so they are numbered once and the passes work on plain arrays.
        let mut slot_of: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let mut layouts: Vec<Layout> = Vec::with_capacity(samples.len());
        let mut slots: Vec<u32> = Vec::new();
        for sample in samples {
            let mut classes = vec![sample.target];
            classes.extend(sample.rivals.iter().filter(|r| **r != sample.target));
            let start = slots.len();
            for class in &classes {
                for term in &sample.terms {
                    let slot = *slot_of.entry((*term, *class)).or_insert_with(|| {
                        pairs.push((*term, *class));
                        pairs.len() as u32 - 1
                    });
                    slots.push(slot);
                }
            }
            layouts.push(Layout { classes, start });
        }
        let mut weight = vec![0.0f32; pairs.len()];
        let mut bias = vec![0.0f32; targets];
        let mut order: Vec<usize> = (0..samples.len()).collect();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut probability = Vec::new();
        for epoch in 0..EPOCHS {
            shuffle(&mut order, &mut rng);
            let rate = LEARNING_RATE / (1.0 + epoch as f32 / 4.0);
            let keep = 1.0 - rate * SHRINK;
            for &i in &order {
                let sample = &samples[i];
                let layout = &layouts[i];
                let n = sample.terms.len();
                let class_slots =
                    |k: usize| &slots[layout.start + k * n..layout.start + (k + 1) * n];
                probability.clear();
                probability.extend(layout.classes.iter().enumerate().map(|(k, c)| {
                    bias[*c as usize]
                        + class_slots(k)
                            .iter()
                            .map(|s| weight[*s as usize])
                            .sum::<f32>()
                }));
                softmax(&mut probability);
                for (k, c) in layout.classes.iter().enumerate() {
                    // The gradient of the log-loss: predicted minus wanted probability
                    // (the sample's own target comes first).
                    let wanted = if k == 0 { 1.0 } else { 0.0 };
                    let step = rate * sample.weight * (probability[k] - wanted);
                    bias[*c as usize] -= step;
                    for s in class_slots(k) {
                        let w = &mut weight[*s as usize];
                        *w = *w * keep - step;
                    }
                }
            }
        }
        let mut weights: Vec<Vec<(u32, f32)>> = vec![Vec::new(); terms];
        for ((term, class), w) in pairs.into_iter().zip(weight) {
            if w.abs() >= PRUNE {
                weights[term as usize].push((class, w));
            }
        }
        for list in &mut weights {
            list.sort_unstable_by_key(|(c, _)| *c);
        }
        Reranker { weights, bias }
    }

    /// The model's logit for `target` given the message's term ids.
    pub fn logit(&self, target: u32, terms: &[u32]) -> f32 {
        let bias = self.bias.get(target as usize).copied().unwrap_or(0.0);
        bias + terms
            .iter()
            .filter_map(|t| {
                let list = self.weights.get(*t as usize)?;
                let at = list.binary_search_by_key(&target, |(c, _)| *c).ok()?;
                Some(list[at].1)
            })
            .sum::<f32>()
    }
}

/// Turns logits into probabilities in place.
pub fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in values.iter_mut() {
        *v /= sum;
    }
}

/// A deterministic Fisher-Yates shuffle (xorshift), so every compile trains the same model.
fn shuffle(order: &mut [usize], state: &mut u64) {
    for i in (1..order.len()).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        order.swap(i, (*state % (i as u64 + 1)) as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_which_word_tells_two_targets_apart() {
        // Targets 0 and 1 share term 0; term 1 marks target 0, term 2 marks target 1.
        let samples = vec![
            Sample {
                target: 0,
                terms: vec![0, 1],
                weight: 1.0,
                rivals: vec![1],
            },
            Sample {
                target: 1,
                terms: vec![0, 2],
                weight: 1.0,
                rivals: vec![0],
            },
        ];
        let model = Reranker::train(&samples, 3, 2);
        assert!(model.logit(0, &[1]) > model.logit(1, &[1]));
        assert!(model.logit(1, &[0, 2]) > model.logit(0, &[0, 2]));
    }

    #[test]
    fn short_messages_give_the_model_a_smaller_say() {
        assert_eq!(blend(0), 0.0);
        assert!(blend(1) < blend(2) && blend(2) < blend(3));
        assert_eq!(blend(3), BLEND);
        assert_eq!(blend(12), BLEND);
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut v = [2.0, 0.0, 1.0];
        softmax(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(v[0] > v[2] && v[2] > v[1]);
    }
}
