//! The classifier: a multinomial logistic regression over every intent and article, trained
//! on the content's own utterances each time the content is compiled.
//!
//! The matcher's overlap score says well *whether* the content covers a message, but it
//! weighs a shared word the same for every target. The classifier learns, from every
//! example, question, alternative, tag list and answer text, which words and word pairs tell
//! each target from all the others ("change my name" from "what is my name"). Its input is
//! the message's words after normalization, stop words included (they carry meaning between
//! neighbours: "my" against "your"), as single words and adjacent pairs.
//!
//! Training is averaged stochastic gradient descent with a fixed seed, so the same content
//! always gives the same model: no training step for authors and no model file to ship. Its
//! cost is (utterances × their features × targets) per pass; rows are laid out per feature
//! with one weight per target, so each step is a few contiguous vector updates.

use super::fxhash::FxHashMap;

/// Passes over the training utterances.
const EPOCHS: usize = 20;
/// Step size at the start; it decays as 1 / (1 + pass · [`DECAY`]).
const LEARNING_RATE: f32 = 4.0;
/// How fast the step size decays per pass.
const DECAY: f32 = 0.3;
/// Seed of the order the utterances are visited in, pass by pass.
const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// A token no feature stands for (a word no content uses).
pub const NO_TOKEN: u32 = u32::MAX;

/// Maps token sequences to feature rows: one row per token (tokens are numbered
/// `0..tokens`), then one per adjacent token pair seen in training.
#[derive(Debug, Default, Clone)]
pub struct FeatureSpace {
    tokens: u32,
    pairs: FxHashMap<u64, u32>,
}

impl FeatureSpace {
    /// A space for tokens numbered below `tokens`, with no pairs yet.
    pub fn new(tokens: u32) -> FeatureSpace {
        FeatureSpace {
            tokens,
            pairs: FxHashMap::default(),
        }
    }

    /// Number of feature rows.
    pub fn len(&self) -> usize {
        self.tokens as usize + self.pairs.len()
    }

    /// True when there are no features at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The features of a training utterance (its word sequence and tokens that stand alone),
    /// adding pairs not seen before.
    pub fn learn(&mut self, tokens: &[u32], alone: &[u32]) -> Vec<u32> {
        let mut out = Vec::with_capacity(tokens.len() * 2 + alone.len());
        let (first_pair, pairs) = (self.tokens, &mut self.pairs);
        encode_tokens(tokens, &mut out, |key| {
            let next = first_pair + pairs.len() as u32;
            Some(*pairs.entry(key).or_insert(next))
        });
        alone.iter().for_each(|t| push_unique(&mut out, *t));
        out
    }

    /// The features of a message into `out` (cleared first); pairs never seen in training
    /// have none.
    pub fn encode(&self, tokens: &[u32], alone: &[u32], out: &mut Vec<u32>) {
        out.clear();
        encode_tokens(tokens, out, |key| self.pairs.get(&key).copied());
        alone.iter().for_each(|t| push_unique(out, *t));
    }
}

/// Each distinct token, and each adjacent pair of tokens that `pair` gives a row.
fn encode_tokens(tokens: &[u32], out: &mut Vec<u32>, mut pair: impl FnMut(u64) -> Option<u32>) {
    let mut previous = NO_TOKEN;
    for &token in tokens {
        if token != NO_TOKEN {
            push_unique(out, token);
            if previous != NO_TOKEN
                && let Some(row) = pair(pair_key(previous, token))
            {
                push_unique(out, row);
            }
        }
        previous = token;
    }
}

fn pair_key(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

fn push_unique(out: &mut Vec<u32>, row: u32) {
    if !out.contains(&row) {
        out.push(row);
    }
}

/// One training utterance.
#[derive(Debug, Clone)]
pub struct Example<'a> {
    /// The target it belongs to.
    pub class: u32,
    /// Its distinct feature rows.
    pub features: &'a [u32],
    /// How much it counts (answer texts count less than questions).
    pub weight: f32,
    /// A hash of its text: the order of training follows it, so adding one utterance does
    /// not reshuffle all the others.
    pub key: u64,
}

/// A trained model: one weight per (feature, target) and one bias per target.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    classes: usize,
    /// `rows × classes`, row by row.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Classifier {
    /// Trains on `examples` over `rows` feature rows and `classes` targets. Classes without
    /// examples keep a low bias and are never preferred.
    pub fn train(examples: &[Example<'_>], rows: usize, classes: usize) -> Classifier {
        let mut model = Classifier {
            classes,
            weights: vec![0.0; rows * classes],
            bias: vec![0.0; classes],
        };
        if classes == 0 || examples.is_empty() {
            return model;
        }
        // Averaged SGD: `sum` holds Σ step · update, and the average is w − sum / steps.
        let mut sum_weights = vec![0.0f32; rows * classes];
        let mut sum_bias = vec![0.0f32; classes];
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut probability = vec![0.0f32; classes];
        let mut step = 1.0f32;
        for epoch in 0..EPOCHS {
            let seed = SEED.wrapping_mul(epoch as u64 + 1);
            order.sort_by_key(|i| (mix(examples[*i].key ^ seed), *i));
            let rate = LEARNING_RATE / (1.0 + epoch as f32 * DECAY);
            for &i in &order {
                let example = &examples[i];
                if example.features.is_empty() {
                    continue;
                }
                let value = 1.0 / (example.features.len() as f32).sqrt();
                model.logits(example.features, value, &mut probability);
                softmax(&mut probability);
                probability[example.class as usize] -= 1.0;
                // `probability` now holds the gradient of the loss by logit.
                let scale = -rate * example.weight;
                for (g, (b, s)) in probability
                    .iter()
                    .zip(model.bias.iter_mut().zip(sum_bias.iter_mut()))
                {
                    let delta = scale * g;
                    *b += delta;
                    *s += step * delta;
                }
                for &f in example.features {
                    let at = f as usize * classes;
                    let row = &mut model.weights[at..at + classes];
                    let sum = &mut sum_weights[at..at + classes];
                    for ((w, s), g) in row.iter_mut().zip(sum.iter_mut()).zip(&probability) {
                        let delta = scale * value * g;
                        *w += delta;
                        *s += step * delta;
                    }
                }
                step += 1.0;
            }
        }
        let inv = 1.0 / step;
        for (w, s) in model.weights.iter_mut().zip(&sum_weights) {
            *w -= s * inv;
        }
        for (b, s) in model.bias.iter_mut().zip(&sum_bias) {
            *b -= s * inv;
        }
        model
    }

    /// The probability of every target for a message's features, into `out`.
    pub fn probabilities(&self, features: &[u32], out: &mut Vec<f32>) {
        out.resize(self.classes, 0.0);
        if self.classes == 0 {
            return;
        }
        let value = 1.0 / (features.len().max(1) as f32).sqrt();
        self.logits(features, value, out);
        softmax(out);
    }

    fn logits(&self, features: &[u32], value: f32, out: &mut [f32]) {
        out.copy_from_slice(&self.bias);
        for &f in features {
            let at = f as usize * self.classes;
            if let Some(row) = self.weights.get(at..at + self.classes) {
                for (o, w) in out.iter_mut().zip(row) {
                    *o += value * w;
                }
            }
        }
    }
}

/// Turns logits into probabilities in place.
pub fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0.0;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        total += *v;
    }
    if total > 0.0 {
        values.iter_mut().for_each(|v| *v /= total);
    }
}

/// A fixed bijective mix of 64 bits (splitmix64's finalizer).
pub fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// FNV-1a of a text: the same on every build and platform.
pub fn text_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(data: &[(u32, Vec<u32>)]) -> Vec<Example<'_>> {
        data.iter()
            .enumerate()
            .map(|(i, (class, features))| Example {
                class: *class,
                features,
                weight: 1.0,
                key: i as u64,
            })
            .collect()
    }

    #[test]
    fn learns_which_feature_tells_two_classes_apart() {
        // Feature 0 is shared; 1 says class 0, 2 says class 1.
        let data = vec![(0, vec![0, 1]), (1, vec![0, 2]), (0, vec![1]), (1, vec![2])];
        let model = Classifier::train(&examples(&data), 3, 2);
        let mut p = Vec::new();
        model.probabilities(&[0, 1], &mut p);
        assert!(p[0] > 0.8, "{p:?}");
        model.probabilities(&[2], &mut p);
        assert!(p[1] > 0.8, "{p:?}");
        let telling = p[1];
        model.probabilities(&[0], &mut p);
        let shared = p[0].max(p[1]);
        assert!(
            shared < telling,
            "a feature both classes have says less than one of them alone: {shared} vs {telling}"
        );
    }

    #[test]
    fn training_is_deterministic() {
        let data = vec![(0, vec![0, 1]), (1, vec![0, 2]), (2, vec![3])];
        let a = Classifier::train(&examples(&data), 4, 3);
        let b = Classifier::train(&examples(&data), 4, 3);
        assert_eq!(a.weights, b.weights);
        assert_eq!(a.bias, b.bias);
    }

    #[test]
    fn pairs_are_features_only_where_training_saw_them() {
        let mut space = FeatureSpace::new(5);
        assert_eq!(space.learn(&[1, 2, NO_TOKEN, 3], &[4]), vec![1, 2, 5, 3, 4]);
        let mut out = Vec::new();
        space.encode(&[1, 2, 3], &[], &mut out);
        assert_eq!(out, vec![1, 2, 5, 3], "2-3 was never adjacent in training");
        space.encode(&[2, 1, 2], &[4, 4], &mut out);
        assert_eq!(out, vec![2, 1, 5, 4]);
        assert_eq!(space.len(), 6);
    }
}
