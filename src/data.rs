//! Datasets in memory, and the order in which an epoch visits them.
//!
//! Images are stored NHWC (`[n, height, width, channels]`, row-major f32), as the course's
//! tests feed them; the models permute to NCHW themselves.

pub mod build;
pub mod dogs;
pub mod idx;
pub mod manifest;
pub mod sample;
pub mod shards;
pub mod synthetic;

use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};

/// A labelled image set.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// `[n, h, w, c]` pixel values.
    pub images: Vec<f32>,
    /// One class index per image.
    pub labels: Vec<u8>,
    /// `[h, w, c]` of one image.
    pub shape: [usize; 3],
    pub class_names: Vec<String>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values in one image.
    pub fn example_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// The pixels of image `i`, `[h, w, c]`.
    pub fn image(&self, i: usize) -> &[f32] {
        let n = self.example_len();
        &self.images[i * n..(i + 1) * n]
    }

    /// A dataset from a decoded shard, pixels scaled from 0..255 to 0..1, keeping the
    /// examples at `indices` (all when `None`).
    pub fn from_shard(shard: &shards::Shard, class_names: &[String], indices: Option<&[usize]>) -> Self {
        let per: usize = shard.image_shape.iter().product();
        let all: Vec<usize>;
        let indices = match indices {
            Some(i) => i,
            None => {
                all = (0..shard.len()).collect();
                &all
            }
        };
        Self {
            images: indices
                .iter()
                .flat_map(|&i| shard.images[i * per..(i + 1) * per].iter().map(|&p| p as f32 / 255.0))
                .collect(),
            labels: indices.iter().map(|&i| shard.labels[i]).collect(),
            shape: shard.image_shape,
            class_names: class_names.to_vec(),
        }
    }

    /// Images per class, in class order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.class_names.len()];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }
}

/// A derived RNG for one purpose of one run: `(seed, stream)` pairs give independent,
/// reproducible sequences (weights, each epoch's shuffle, each generated set).
pub fn rng_for(seed: u64, stream: u64) -> StdRng {
    // SplitMix64-style mixing so nearby seeds and streams do not give related states.
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

/// RNG streams used by the labs, named so no two purposes share one.
pub mod stream {
    pub const WEIGHTS: u64 = 1;
    pub const TRAIN_IMAGES: u64 = 2;
    pub const VALID_IMAGES: u64 = 3;
    pub const SAMPLE: u64 = 4;
    /// The shuffle of epoch `e` uses `SHUFFLE + e`.
    pub const SHUFFLE: u64 = 1 << 32;
}

/// The order in which epoch `epoch` (from 0) visits `n` examples: a fresh permutation per
/// epoch when shuffling, so a run can be resumed at any epoch with identical batches.
pub fn epoch_order(n: usize, shuffle: bool, seed: u64, epoch: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if shuffle {
        order.shuffle(&mut rng_for(seed, stream::SHUFFLE + epoch as u64));
    }
    order
}

/// Number of batches an epoch of `n` examples takes (the last one may be short).
pub fn batch_count(n: usize, batch_size: usize) -> usize {
    n.div_ceil(batch_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_orders_are_permutations_reproducible_and_differ_between_epochs() {
        let a = epoch_order(100, true, 7, 0);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(a, epoch_order(100, true, 7, 0));
        assert_ne!(a, epoch_order(100, true, 7, 1));
        assert_ne!(a, epoch_order(100, true, 8, 0));
        assert_eq!(epoch_order(5, false, 7, 3), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn batch_count_rounds_up() {
        assert_eq!(batch_count(10_000, 50), 200);
        assert_eq!(batch_count(10, 3), 4);
        assert_eq!(batch_count(1, 1), 1);
    }
}
