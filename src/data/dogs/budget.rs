//! What a DogSet costs the training worker's memory, checked before anything is read or
//! decoded, so a set too large is refused with its size and the limit instead of crashing
//! the worker halfway.

use super::IMAGE_SHAPE;

/// The memory a DogSet may take in the worker. A wasm worker's memory ends at 4 GiB (32-bit
/// addresses), and browsers may give less; half is left to the networks, their gradients,
/// the browser's image decoder and the engine itself.
pub const MEMORY_LIMIT: u64 = 2 << 30;

/// Bytes one loaded image costs: its 64x64x3 pixels kept as bytes (the partitions, the
/// gallery, the cached shard) and once more as standardised 32-bit floats on the device.
pub const BYTES_PER_IMAGE: u64 = (IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2]) as u64 * (1 + 4);

/// A DogSet refused for its size.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "this DogSet needs about {} MB of the training worker's memory ({what}), more than the {} MB a DogSet may take in a browser worker: {advice}",
    mb(*needed), mb(MEMORY_LIMIT)
)]
pub struct TooLarge {
    pub needed: u64,
    /// What the estimate counted, in words.
    pub what: String,
    /// What to do instead.
    pub advice: String,
}

fn mb(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

/// Whether files of `bytes` in all can be held in memory while the set is checked (a .zip
/// twice, packed and unpacked).
pub fn check_files(bytes: u64, zipped: bool) -> Result<(), TooLarge> {
    let needed = if zipped { bytes.saturating_mul(2) } else { bytes };
    if needed <= MEMORY_LIMIT {
        return Ok(());
    }
    let what =
        format!("{} MB of {}", mb(bytes), if zipped { "zipped files, held packed and unpacked" } else { "files" });
    Err(TooLarge { needed, what, advice: "load a smaller DogSet".into() })
}

/// Whether `images` images can be decoded and trained on beside the files (`file_bytes`).
pub fn check_images(images: usize, file_bytes: u64) -> Result<(), TooLarge> {
    let needed = (images as u64).saturating_mul(BYTES_PER_IMAGE).saturating_add(file_bytes);
    if needed <= MEMORY_LIMIT {
        return Ok(());
    }
    let most = MEMORY_LIMIT.saturating_sub(file_bytes) / BYTES_PER_IMAGE;
    let what = format!("{images} images at {} KB each, and {} MB of files", BYTES_PER_IMAGE / 1024, mb(file_bytes));
    Err(TooLarge { needed, what, advice: format!("keep at most {most} rows in dogs.csv") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_homework_dogset_fits_and_a_huge_one_is_refused_with_its_size_and_the_limit() {
        // The homework's DogSet: about 10,000 images in a zip of about 30 MB.
        assert_eq!(check_files(30 << 20, true), Ok(()));
        assert_eq!(check_images(10_000, 60 << 20), Ok(()));
        let e = check_images(100_000, 60 << 20).unwrap_err();
        assert_eq!(
            e.to_string(),
            "this DogSet needs about 5920 MB of the training worker's memory (100000 images at 60 KB each, and 60 MB of files), \
             more than the 2048 MB a DogSet may take in a browser worker: keep at most 33928 rows in dogs.csv"
        );
        let e = check_files(3 << 30, true).unwrap_err();
        assert!(e.to_string().starts_with("this DogSet needs about 6144 MB"), "{e}");
        assert!(e.to_string().ends_with("(3072 MB of zipped files, held packed and unpacked), more than the 2048 MB a DogSet may take in a browser worker: load a smaller DogSet"), "{e}");
        assert_eq!(check_files(u64::MAX, true).unwrap_err().needed, u64::MAX, "no overflow");
    }
}
