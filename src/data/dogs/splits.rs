//! The three partitions in memory, and what the explore view and the gallery show of them.

use super::pixels::palette;
use super::stand_in::to_dog_shard;
use super::{LoadReport, Standardise};
use crate::data::shards::Shard;

/// The three partitions as bytes, ready to shard or train on.
#[derive(Clone, Debug, PartialEq)]
pub struct DogSplits {
    /// In [`PARTITIONS`] order.
    pub splits: [Shard; 3],
    pub class_names: Vec<String>,
}

impl DogSplits {
    pub fn train(&self) -> &Shard {
        &self.splits[0]
    }

    /// The standardisation the labs apply: the train partition's statistics.
    pub fn standardise(&self) -> Standardise {
        Standardise::fit(&self.train().images, self.train().image_shape[2])
    }

    /// Partitions as read from shards (the stand-in's 28x28 grey ones made DogSet-shaped).
    pub fn from_shards(splits: [Shard; 3], class_names: Vec<String>) -> Self {
        Self { splits: splits.each_ref().map(to_dog_shard), class_names }
    }
}

/// What the explore view shows of a loaded set: all computed from its pixels and labels.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DogSetInfo {
    /// Which set this is.
    pub source: crate::run::DogSource,
    pub title: String,
    /// Whether this is the Fashion-MNIST stand-in rather than dogs.
    pub stand_in: bool,
    pub class_names: Vec<String>,
    /// Images per partition, in [`PARTITIONS`] order.
    pub counts: [usize; 3],
    /// Images per class and partition.
    pub class_counts: Vec<[usize; 3]>,
    /// `[h, w, c]` of the images the networks see.
    pub image_shape: [usize; 3],
    pub palette: String,
    /// The standardisation applied to every partition (the train partition's statistics).
    pub standardise: Standardise,
    /// What the checks found, for a set the user loaded.
    pub report: Option<LoadReport>,
    /// The other sources this browser can switch to.
    pub available: Vec<crate::run::DogSource>,
}

impl DogSplits {
    /// The explore view's numbers for this set.
    pub fn info(&self, source: crate::run::DogSource, title: &str, stand_in: bool) -> DogSetInfo {
        let mut class_counts = vec![[0; 3]; self.class_names.len()];
        for (p, split) in self.splits.iter().enumerate() {
            for &l in &split.labels {
                if let Some(c) = class_counts.get_mut(l as usize) {
                    c[p] += 1;
                }
            }
        }
        DogSetInfo {
            source,
            title: title.to_string(),
            stand_in,
            class_names: self.class_names.clone(),
            counts: std::array::from_fn(|p| self.splits[p].len()),
            class_counts,
            image_shape: self.train().image_shape,
            palette: palette(&self.splits.iter().flat_map(|s| s.images.iter().copied()).collect::<Vec<_>>()).into(),
            standardise: self.standardise(),
            report: None,
            available: vec![],
        }
    }

    /// Indices of the training images of `class`, in set order.
    pub fn class_indices(&self, class: u8) -> Vec<usize> {
        self.train().labels.iter().enumerate().filter(|(_, l)| **l == class).map(|(i, _)| i).collect()
    }

    /// Page `page` (from 0) of `per_page` training images of `class`: their indices and bytes,
    /// and the number of pages.
    pub fn gallery(&self, class: u8, page: usize, per_page: usize) -> (Vec<usize>, Vec<u8>, usize) {
        let all = self.class_indices(class);
        let pages = all.len().div_ceil(per_page).max(1);
        let per: usize = self.train().image_shape.iter().product();
        let indices: Vec<usize> = all.into_iter().skip(page * per_page).take(per_page).collect();
        let images =
            indices.iter().flat_map(|&i| self.train().images[i * per..(i + 1) * per].iter().copied()).collect();
        (indices, images, pages)
    }
}

/// Training images per gallery page.
pub const GALLERY_PAGE: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dogs::IMAGE_SHAPE;
    use crate::data::dogs::tests_support;

    #[test]
    fn the_explore_numbers_and_gallery_pages_come_from_the_set() {
        let info = tests_support::info();
        assert_eq!(info.counts, [3, 1, 1]);
        assert_eq!(info.class_counts, vec![[1, 0, 1], [2, 1, 0]]);
        assert_eq!(info.palette, "RGB (colour)");
        let splits = DogSplits {
            splits: std::array::from_fn(|_| Shard {
                images: (0..30u32).flat_map(|i| [i as u8; 64 * 64 * 3]).collect(),
                labels: (0..30).map(|i| (i % 2) as u8).collect(),
                image_shape: IMAGE_SHAPE,
            }),
            class_names: vec!["a".into(), "b".into()],
        };
        let (indices, images, pages) = splits.gallery(1, 1, GALLERY_PAGE);
        assert_eq!(pages, 2, "15 images of class 1, 12 per page");
        assert_eq!(indices, vec![25, 27, 29]);
        assert_eq!((images.len(), images[0]), (3 * 64 * 64 * 3, 25));
        assert_eq!(splits.gallery(1, 5, GALLERY_PAGE).0, Vec::<usize>::new());
    }
}
