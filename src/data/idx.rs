//! The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
//! (0, 0, element type, number of dimensions), one big-endian u32 per dimension, then the
//! elements. nnlab reads unsigned-byte files only, as MNIST and Fashion-MNIST are.

use std::io::Read;

/// An IDX file's unsigned bytes and dimensions.
#[derive(Clone, Debug, PartialEq)]
pub struct Idx {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IdxError {
    #[error("not gzip data, or a damaged gzip stream: {0}")]
    Gzip(String),
    #[error("too short for an IDX header ({0} bytes)")]
    TooShort(usize),
    #[error("bad magic number {0:02x?}: an IDX file starts with 00 00")]
    BadMagic([u8; 2]),
    #[error("element type 0x{0:02x} is not unsigned bytes (0x08)")]
    UnsupportedType(u8),
    #[error("the header promises {expected} bytes of data but the file holds {got}")]
    WrongLength { expected: usize, got: usize },
    #[error("the header promises {expected} bytes of data but the file holds more")]
    TooLong { expected: usize },
    #[error(
        "the header's dimensions {dims:?} make more than {limit} bytes, more than nnlab reads from one IDX file: it is not an MNIST-style file, or it is damaged"
    )]
    TooLarge { dims: Vec<usize>, limit: usize },
}

/// The most data bytes one IDX file may declare: MNIST's training images are 47 MB, so four
/// times that. The gzip reader stops here, so no header makes it allocate more.
pub const MAX_DATA: usize = 200_000_000;

/// The header's dimensions, and the data bytes they declare (checked against [`MAX_DATA`]
/// with no overflow: 255 dimensions of 2^32 - 1 would wrap a plain product).
fn header(bytes: &[u8]) -> Result<(usize, Vec<usize>, usize), IdxError> {
    if bytes.len() < 4 {
        return Err(IdxError::TooShort(bytes.len()));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(IdxError::BadMagic([bytes[0], bytes[1]]));
    }
    if bytes[2] != 0x08 {
        return Err(IdxError::UnsupportedType(bytes[2]));
    }
    let ndims = bytes[3] as usize;
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(IdxError::TooShort(bytes.len()));
    }
    let dims: Vec<usize> =
        bytes[4..header].chunks_exact(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize).collect();
    match dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).filter(|&n| n <= MAX_DATA) {
        Some(expected) => Ok((header, dims, expected)),
        None => Err(IdxError::TooLarge { dims, limit: MAX_DATA }),
    }
}

/// Parses an uncompressed IDX file.
pub fn parse(bytes: &[u8]) -> Result<Idx, IdxError> {
    let (header, dims, expected) = header(bytes)?;
    let data = &bytes[header..];
    if data.len() != expected {
        return Err(IdxError::WrongLength { expected, got: data.len() });
    }
    Ok(Idx { dims, data: data.to_vec() })
}

/// Parses a gzip-compressed IDX file (`*-ubyte.gz`), unpacking no more than its header
/// declares (plus one byte, to tell a file that holds more): a small .gz can unpack to
/// gigabytes.
pub fn parse_gz(bytes: &[u8]) -> Result<Idx, IdxError> {
    let gzip = |e: std::io::Error| IdxError::Gzip(e.to_string());
    let mut reader = flate2::read::GzDecoder::new(bytes);
    let mut raw = vec![];
    (&mut reader).take(4).read_to_end(&mut raw).map_err(gzip)?;
    if raw.len() == 4 {
        (&mut reader).take(4 * raw[3] as u64).read_to_end(&mut raw).map_err(gzip)?;
    }
    let (header, _, expected) = header(&raw)?;
    reader.take(expected as u64 + 1).read_to_end(&mut raw).map_err(gzip)?;
    if raw.len() > header + expected {
        return Err(IdxError::TooLong { expected });
    }
    parse(&raw)
}

#[cfg(test)]
pub(crate) fn encode(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        out.extend((d as u32).to_be_bytes());
    }
    out.extend(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn parses_images_and_labels() {
        let images = encode(&[2, 2, 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(parse(&images).unwrap(), Idx { dims: vec![2, 2, 3], data: (1..=12).collect() });
        let labels = encode(&[3], &[7, 0, 9]);
        let mut gz = flate2::write::GzEncoder::new(vec![], flate2::Compression::default());
        gz.write_all(&labels).unwrap();
        assert_eq!(parse_gz(&gz.finish().unwrap()).unwrap().data, vec![7, 0, 9]);
    }

    #[test]
    fn broken_files_say_what_is_wrong() {
        let good = encode(&[2, 3], &[0; 6]);
        assert_eq!(parse(&good[..3]), Err(IdxError::TooShort(3)));
        assert_eq!(parse(&[1, 0, 8, 1, 0, 0, 0, 0]), Err(IdxError::BadMagic([1, 0])));
        assert_eq!(parse(&[0, 0, 0x0D, 1, 0, 0, 0, 0]), Err(IdxError::UnsupportedType(0x0D)));
        assert_eq!(parse(&good[..good.len() - 1]), Err(IdxError::WrongLength { expected: 6, got: 5 }));
        assert_eq!(parse(&good[..9]), Err(IdxError::TooShort(9)));
        assert!(matches!(parse_gz(&good), Err(IdxError::Gzip(_))));
    }

    #[test]
    fn huge_declared_dimensions_are_refused_before_reading_the_data() {
        // 2^64 wraps to 0 in a plain product, which an empty file would have matched.
        let wrapping = encode(&[1 << 16, 1 << 16, 1 << 16, 1 << 16], &[]);
        assert!(matches!(parse(&wrapping), Err(IdxError::TooLarge { .. })));
        // 10^12 declared bytes in a 20-byte file.
        let big = encode(&[1_000_000, 1_000_000], &[0; 8]);
        let err = parse(&big).unwrap_err();
        assert!(err.to_string().contains("[1000000, 1000000]") && err.to_string().contains("200000000"), "{err}");
        let mut gz = flate2::write::GzEncoder::new(vec![], flate2::Compression::best());
        gz.write_all(&encode(&[3], &[0; 1_000_000])).unwrap();
        let err = parse_gz(&gz.finish().unwrap()).unwrap_err();
        assert_eq!(err, IdxError::TooLong { expected: 3 }, "stops one byte past the header's size");
    }
}
