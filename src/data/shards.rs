//! Dataset shards: what `nnlab data build` writes under data/ and the page fetches.
//!
//! A shard is a gzip-compressed safetensors file with two tensors: `images` (U8,
//! `[n, h, w, c]`, pixel values 0..255) and `labels` (U8, `[n]`). data/README.md documents the
//! format for readers in other languages; `data/manifest.json` lists every shard with its
//! size and sha256 ([`super::manifest`]).

use std::io::{Read, Write};

use safetensors::{Dtype, SafeTensors, tensor::TensorView};

/// One shard's contents.
#[derive(Clone, Debug, PartialEq)]
pub struct Shard {
    /// `[n, h, w, c]` pixels, 0..255.
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
    /// `[h, w, c]`
    pub image_shape: [usize; 3],
}

impl Shard {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Image `i`'s `[h, w, c]` bytes.
    pub fn image(&self, i: usize) -> &[u8] {
        let size: usize = self.image_shape.iter().product();
        &self.images[i * size..(i + 1) * size]
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// A shard of the first `n` images (all of them when there are fewer).
    pub fn first(&self, n: usize) -> Shard {
        let n = n.min(self.len());
        let size: usize = self.image_shape.iter().product();
        Shard {
            images: self.images[..n * size].to_vec(),
            labels: self.labels[..n].to_vec(),
            image_shape: self.image_shape,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShardError {
    #[error("the file is not gzip data or is cut short ({0})")]
    Gzip(String),
    #[error("the file is not a readable safetensors file ({0})")]
    Safetensors(String),
    #[error("tensor `{0}` is missing")]
    Missing(&'static str),
    #[error("tensor `{name}` has type {dtype} and shape {shape:?}; expected U8 {expected}")]
    Layout { name: &'static str, dtype: String, shape: Vec<usize>, expected: String },
    #[error("{images} images but {labels} labels")]
    CountMismatch { images: usize, labels: usize },
    #[error(
        "the file unpacks to more than {limit} bytes, the most a shard holds: it is not a shard of nnlab, or it is damaged"
    )]
    TooLarge { limit: usize },
    #[error(
        "its images have shape {shape:?}: one image of that shape does not fit in a shard ({limit} bytes at most, and at least one pixel)"
    )]
    ImageSize { shape: [usize; 3], limit: usize },
}

/// The most bytes a shard may unpack to: twice the most image bytes `nnlab data build` puts in
/// one (`manifest::SHARD_BYTES`, 8 MB), leaving room for the header. A gzip stream can unpack to
/// a thousand times its size, so the limit is applied while unpacking, not after.
pub const MAX_UNPACKED: usize = 16_000_000;

/// Bytes per image of `shape` (`h * w * c`), if one such image can be in a shard.
pub fn image_bytes(shape: [usize; 3]) -> Result<usize, ShardError> {
    let bytes = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    bytes.filter(|&b| (1..=MAX_UNPACKED).contains(&b)).ok_or(ShardError::ImageSize { shape, limit: MAX_UNPACKED })
}

/// gzip(safetensors(images, labels)), byte-for-byte the same for the same shard (the gzip
/// header carries no time stamp or name).
pub fn encode(shard: &Shard) -> Vec<u8> {
    let [h, w, c] = shard.image_shape;
    let views = [
        ("images", TensorView::new(Dtype::U8, vec![shard.len(), h, w, c], &shard.images)),
        ("labels", TensorView::new(Dtype::U8, vec![shard.len()], &shard.labels)),
    ];
    let views = views.map(|(name, view)| (name, view.expect("a shard's tensors match their shapes")));
    let raw = safetensors::serialize(views, None).expect("two small u8 tensors always serialise");
    let mut gz = flate2::GzBuilder::new().mtime(0).write(vec![], flate2::Compression::best());
    gz.write_all(&raw).expect("writing to memory cannot fail");
    gz.finish().expect("writing to memory cannot fail")
}

/// Reads a shard written by [`encode`], checking the tensors' names, types and shapes.
pub fn decode(bytes: &[u8]) -> Result<Shard, ShardError> {
    let mut raw = vec![];
    // One byte past the limit tells a stream at the limit from one beyond it.
    let mut unpacked = flate2::read::GzDecoder::new(bytes).take(MAX_UNPACKED as u64 + 1);
    unpacked.read_to_end(&mut raw).map_err(|e| ShardError::Gzip(e.to_string()))?;
    if raw.len() > MAX_UNPACKED {
        return Err(ShardError::TooLarge { limit: MAX_UNPACKED });
    }
    let tensors = SafeTensors::deserialize(&raw).map_err(|e| ShardError::Safetensors(e.to_string()))?;
    let get = |name: &'static str, rank: usize| {
        let t = tensors.tensor(name).map_err(|_| ShardError::Missing(name))?;
        if t.dtype() != Dtype::U8 || t.shape().len() != rank {
            return Err(ShardError::Layout {
                name,
                dtype: format!("{:?}", t.dtype()),
                shape: t.shape().to_vec(),
                expected: if rank == 4 { "[n, h, w, c]".into() } else { "[n]".into() },
            });
        }
        Ok((t.shape().to_vec(), t.data().to_vec()))
    };
    let (shape, images) = get("images", 4)?;
    let (label_shape, labels) = get("labels", 1)?;
    if shape[0] != label_shape[0] {
        return Err(ShardError::CountMismatch { images: shape[0], labels: label_shape[0] });
    }
    // safetensors checks that the bytes match the shape, but with no images any shape
    // matches: `[0, 2^40, 2^40, 1]` would make every later `h * w * c` overflow.
    let image_shape = [shape[1], shape[2], shape[3]];
    image_bytes(image_shape)?;
    Ok(Shard { images, labels, image_shape })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard() -> Shard {
        Shard { images: (0..24).collect(), labels: vec![3, 1, 4], image_shape: [2, 2, 2] }
    }

    #[test]
    fn the_first_images_keep_their_labels_and_shape() {
        let first = shard().first(2);
        assert_eq!(first, Shard { images: (0..16).collect(), labels: vec![3, 1], image_shape: [2, 2, 2] });
        assert_eq!(shard().first(9), shard(), "all of them when there are fewer");
    }

    #[test]
    fn round_trip_and_deterministic_bytes() {
        let bytes = encode(&shard());
        assert_eq!(decode(&bytes).unwrap(), shard());
        assert_eq!(bytes, encode(&shard()), "same shard, same bytes");
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "no time stamp in the gzip header");
    }

    #[test]
    fn damaged_shards_are_refused_with_the_reason() {
        let bytes = encode(&shard());
        assert!(matches!(decode(&bytes[..bytes.len() / 2]), Err(ShardError::Gzip(_))));
        assert!(matches!(decode(b"not gzip"), Err(ShardError::Gzip(_))));
        let mut flipped = bytes.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0xFF;
        assert!(decode(&flipped).is_err(), "a flipped byte fails the gzip CRC or the parse");
        let mut gz = flate2::write::GzEncoder::new(vec![], flate2::Compression::default());
        gz.write_all(b"\x08\x00\x00\x00\x00\x00\x00\x00{}").unwrap();
        assert!(matches!(decode(&gz.finish().unwrap()), Err(ShardError::Safetensors(_)) | Err(ShardError::Missing(_))));
    }

    #[test]
    fn a_gzip_bomb_and_impossible_image_shapes_are_refused() {
        // 17 MB of zeros pack into about 17 kB: refused while unpacking, at the limit.
        let mut gz = flate2::write::GzEncoder::new(vec![], flate2::Compression::best());
        gz.write_all(&vec![0; MAX_UNPACKED + 1_000_000]).unwrap();
        let err = decode(&gz.finish().unwrap()).unwrap_err();
        assert_eq!(err, ShardError::TooLarge { limit: MAX_UNPACKED });
        assert!(err.to_string().contains("more than 16000000 bytes"), "{err}");
        // No images, so safetensors accepts any shape; a shape whose size overflows is refused.
        let empty = Shard { images: vec![], labels: vec![], image_shape: [1 << 40, 1 << 40, 1] };
        let err = decode(&encode(&empty)).unwrap_err();
        assert!(matches!(err, ShardError::ImageSize { .. }), "{err}");
        let zero = Shard { images: vec![], labels: vec![], image_shape: [0, 2, 2] };
        assert!(matches!(decode(&encode(&zero)), Err(ShardError::ImageSize { .. })));
    }
}
