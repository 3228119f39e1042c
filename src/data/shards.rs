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
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut raw).map_err(|e| ShardError::Gzip(e.to_string()))?;
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
    Ok(Shard { images, labels, image_shape: [shape[1], shape[2], shape[3]] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard() -> Shard {
        Shard { images: (0..24).collect(), labels: vec![3, 1, 4], image_shape: [2, 2, 2] }
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
}
