//! The DogSet (HOMEWORK sections 2, 3, 5): reading a user's own copy (`dogs.csv` plus
//! `images/`), checking every row and image, and the Fashion-MNIST stand-in used when no
//! DogSet is loaded. This file holds the shapes, names and errors; the work is in `dogs/`.
//!
//! Hosts do the IO: they read `dogs.csv`, decode each image it names to RGBA (the browser
//! with its own decoder, the CLI with the `image` crate) and feed them to a
//! [`DogSetBuilder`]. Every decision about what is kept, converted or refused is made here,
//! once, and tested natively.
//!
//! - `budget.rs`: what a set costs the worker's memory, checked before it is read
//! - `rows.rs`: `dogs.csv` read and each row checked
//! - `files.rs`: finding the set among a folder's or a .zip's files, and loading it from them
//! - `pixels.rs`: a decoded image made 64x64 RGB (resizing, dropped alpha, grey detection)
//! - `standardise.rs`: the per-channel standardisation the labs apply
//! - `builder.rs`: the checked rows and their images built into partitions, with the report
//! - `splits.rs`: the partitions in memory and what the explore view shows of them
//! - `stand_in.rs`: the Fashion-MNIST stand-in made DogSet-shaped

pub mod budget;
mod builder;
mod files;
mod pixels;
mod rows;
mod splits;
mod stand_in;
mod standardise;

pub use builder::{DogSetBuilder, LoadFailure, LoadReport};
#[cfg(feature = "engine")]
pub use files::{MAX_ENTRY_BYTES, MAX_UNZIPPED_BYTES, UnzipError, unzip};
pub use files::{find_root, image_paths, load, resolve};
#[cfg(feature = "cli")]
pub use pixels::decode_image;
pub use pixels::{Conversion, Decoded, palette, resize_bilinear, to_dog_pixels};
pub use rows::{CheckedCsv, Problem, Row, check_csv};
pub use splits::{DogSetInfo, DogSplits, GALLERY_PAGE};
pub use stand_in::{FASHION_CLASSES, STAND_IN_SIZES, stand_in, to_dog_shard};
pub use standardise::Standardise;

/// The DogSet's images are 64x64 RGB (HOMEWORK section 2).
pub const SIDE: usize = 64;
pub const CHANNELS: usize = 3;
pub const IMAGE_SHAPE: [usize; 3] = [SIDE, SIDE, CHANNELS];
/// The partitions `dogs.csv` may name, in the order the labs use them.
pub const PARTITIONS: [&str; 3] = ["train", "valid", "test"];
/// The columns `dogs.csv` must have.
pub const COLUMNS: [&str; 4] = ["filename", "numeric_label", "semantic_label", "partition"];
/// Problems listed one by one before "and N more".
pub const LISTED_PROBLEMS: usize = 20;

/// The manifest's name for a course's own DogSet converted by `nnlab data dogs`.
pub const DOGSET_NAME: &str = "dogs";
/// The manifest's name for the Fashion-MNIST stand-in.
pub const STAND_IN_NAME: &str = "dogs-standin";

/// Why a DogSet cannot be loaded at all (as opposed to a row or an image refused).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DogsError {
    #[error("no dogs.csv found: a DogSet folder holds dogs.csv and an images/ folder")]
    NoCsv,
    #[error(
        "dogs.csv has no `{missing}` column (its header is: {header}); a DogSet's dogs.csv has the columns filename, numeric_label, semantic_label, partition"
    )]
    MissingColumn { missing: &'static str, header: String },
    #[error("dogs.csv cannot be read as CSV: {0}")]
    Csv(String),
    #[error("no usable {partition} images: every row was refused (see the problem list) or none names that partition")]
    EmptyPartition { partition: &'static str },
}

/// Why a row's image is left out; its wording is the problem list's (after `line N, file: `).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImageError {
    #[error("the image is missing: no {root}images/{file} in the DogSet")]
    Missing { root: String, file: String },
    /// The host could not read the file (the browser's File API said why).
    #[error("the image cannot be read ({0})")]
    Unreadable(String),
    /// The host's decoder refused the bytes, in its own words.
    #[error("the image does not decode ({0})")]
    Undecodable(String),
    /// The host's decoding machinery failed before the image was looked at (a browser without
    /// OffscreenCanvas, say), in the host's words.
    #[error("{0}")]
    Host(String),
    #[error("decodes to a {width}x{height} image with no usable pixels")]
    Empty { width: usize, height: usize },
    #[error(
        "the image says it is {width}x{height} pixels, more than the {MAX_IMAGE_PIXELS} pixels nnlab decodes (the labs shrink every image to 64x64): resize it first"
    )]
    TooLarge { width: usize, height: usize },
}

/// The most pixels an image of a DogSet may declare, checked from its header before it is
/// decoded: a 48-megapixel phone photo (8000x6000) fits; a forged header of 100000x100000
/// would otherwise ask for 40 GB of RGBA.
pub const MAX_IMAGE_PIXELS: usize = 48_000_000;

/// Whether an image of `width` x `height` (as its header declares) may be decoded.
pub fn check_dimensions(width: usize, height: usize) -> Result<(), ImageError> {
    match width.checked_mul(height) {
        Some(pixels) if pixels <= MAX_IMAGE_PIXELS => Ok(()),
        _ => Err(ImageError::TooLarge { width, height }),
    }
}

/// Fixtures for this module's and other modules' tests.
#[cfg(test)]
pub mod tests_support {
    use super::*;
    use crate::data::shards::Shard;

    /// A `dogs.csv` with two classes and a row in every partition.
    pub const GOOD_CSV: &str = "filename,numeric_label,semantic_label,partition\n\
        a.jpg,0,beagle,train\nb.jpg,1,poodle,valid\nc.jpg,0,beagle,test\nd.jpg,1,poodle,train\n";

    /// A `w`x`h` image of one colour.
    pub fn image(w: usize, h: usize, rgba: [u8; 4]) -> Decoded {
        Decoded { width: w, height: h, rgba: rgba.repeat(w * h) }
    }

    pub fn info() -> DogSetInfo {
        let shard = |labels: Vec<u8>| Shard {
            images: labels.iter().flat_map(|&l| [l * 100, 5, 9].repeat(64 * 64)).collect(),
            labels,
            image_shape: IMAGE_SHAPE,
        };
        let splits = DogSplits {
            splits: [shard(vec![0, 1, 1]), shard(vec![1]), shard(vec![0])],
            class_names: vec!["beagle".into(), "poodle".into()],
        };
        splits.info(crate::run::DogSource::Uploaded, "DogSet", false)
    }
}
