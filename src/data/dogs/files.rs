//! Finding a DogSet among a folder's or a .zip's files, and loading it from them.

use std::collections::BTreeMap;

use super::pixels::Decoded;
use super::{DogSetBuilder, DogSplits, DogsError, ImageError, LoadFailure, LoadReport, check_csv};

/// Where the folder or archive keeps its DogSet: the folder of the shallowest `dogs.csv`
/// among `paths` (a zip often wraps everything in one top folder), with a trailing `/`.
pub fn find_root<'a>(paths: impl IntoIterator<Item = &'a str>) -> Result<String, DogsError> {
    paths
        .into_iter()
        .filter(|p| *p == "dogs.csv" || p.ends_with("/dogs.csv"))
        .min_by_key(|p| (p.matches('/').count(), p.len()))
        .map(|p| p[..p.len() - "dogs.csv".len()].to_string())
        .ok_or(DogsError::NoCsv)
}

/// The paths, relative to the root, where the image of a row's `file` may be: under
/// `images/` as the DogSet keeps them, or as written when the CSV already includes a folder.
pub fn image_paths(file: &str) -> [String; 2] {
    [format!("images/{file}"), file.to_string()]
}

/// The path of row `file`'s image among the files a host has (`has` says whether a path
/// exists), or a problem naming where it was looked for.
pub fn resolve(root: &str, file: &str, has: impl Fn(&str) -> bool) -> Result<String, ImageError> {
    image_paths(file)
        .into_iter()
        .map(|p| format!("{root}{p}"))
        .find(|p| has(p))
        .ok_or_else(|| ImageError::Missing { root: root.to_string(), file: file.to_string() })
}

/// Why a .zip archive could not be unpacked.
#[cfg(feature = "engine")]
#[derive(Debug, thiserror::Error)]
pub enum UnzipError {
    #[error("the file is not a readable .zip ({0})")]
    Archive(#[source] zip::result::ZipError),
    #[error("entry {index} of the .zip cannot be read ({source})")]
    Entry { index: usize, source: zip::result::ZipError },
    #[error("{name}: cannot be unpacked ({source})")]
    Unpack { name: String, source: std::io::Error },
    #[error(
        "{name}: the .zip says it unpacks to {declared} bytes, more than the {limit} bytes nnlab reads for one file of a DogSet"
    )]
    EntryTooLarge { name: String, declared: u64, limit: u64 },
    #[error(
        "the .zip says its files unpack to {declared} bytes in all, more than the {limit} bytes nnlab reads for a DogSet"
    )]
    TooLarge { declared: u64, limit: u64 },
    #[error("{name}: unpacks to more than the {declared} bytes the .zip says it holds: the .zip is damaged")]
    LyingSize { name: String, declared: u64 },
}

/// The most bytes one file of an unpacked DogSet may have: a dog photo or dogs.csv is far
/// smaller (the course's images are 64x64), and a photo of [`super::MAX_IMAGE_PIXELS`] packs
/// into less.
#[cfg(feature = "engine")]
pub const MAX_ENTRY_BYTES: u64 = 64_000_000;
/// The most bytes a whole unpacked DogSet may have: a few hundred thousand photos, and less
/// than a browser tab's 4 GB of wasm memory.
#[cfg(feature = "engine")]
pub const MAX_UNZIPPED_BYTES: u64 = 2_000_000_000;

/// The files of a .zip archive by path (folders left out).
///
/// The sizes the archive declares are checked against [`MAX_ENTRY_BYTES`] and
/// [`MAX_UNZIPPED_BYTES`] before anything is unpacked, and each file is unpacked no further
/// than its declared size (plus one byte, to catch a file that holds more): a .zip of a few kB
/// can otherwise unpack to gigabytes.
#[cfg(feature = "engine")]
pub fn unzip(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, UnzipError> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(UnzipError::Archive)?;
    let mut declared_total = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|source| UnzipError::Entry { index, source })?;
        let (name, declared) = (entry.name().to_string(), entry.size());
        if declared > MAX_ENTRY_BYTES {
            return Err(UnzipError::EntryTooLarge { name, declared, limit: MAX_ENTRY_BYTES });
        }
        declared_total += declared;
    }
    if declared_total > MAX_UNZIPPED_BYTES {
        return Err(UnzipError::TooLarge { declared: declared_total, limit: MAX_UNZIPPED_BYTES });
    }
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|source| UnzipError::Entry { index, source })?;
        if entry.is_dir() {
            continue;
        }
        let (name, declared) = (entry.name().to_string(), entry.size());
        let mut data = vec![];
        entry
            .take(declared + 1)
            .read_to_end(&mut data)
            .map_err(|source| UnzipError::Unpack { name: name.clone(), source })?;
        if data.len() as u64 > declared {
            return Err(UnzipError::LyingSize { name, declared });
        }
        files.insert(name, data);
    }
    Ok(files)
}

/// Loads a DogSet from its files by path (a folder read into memory, or an unpacked .zip),
/// decoding images with the host's `decode` ([`super::decode_image`] for the CLI).
pub fn load(
    files: &BTreeMap<String, Vec<u8>>,
    mut decode: impl FnMut(&[u8]) -> Result<Decoded, ImageError>,
) -> Result<(DogSplits, LoadReport), Box<LoadFailure>> {
    let fail = |error| Box::new(LoadFailure { error, report: LoadReport::default() });
    let root = find_root(files.keys().map(String::as_str)).map_err(fail)?;
    let csv = String::from_utf8_lossy(&files[&format!("{root}dogs.csv")]).into_owned();
    let mut builder = DogSetBuilder::new(check_csv(&csv).map_err(fail)?);
    for i in 0..builder.rows().len() {
        let image =
            resolve(&root, &builder.rows()[i].file, |p| files.contains_key(p)).and_then(|path| decode(&files[&path]));
        builder.add_image(i, image);
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dogs::tests_support::{GOOD_CSV, image};

    #[test]
    fn the_root_is_the_shallowest_dogs_csv() {
        assert_eq!(find_root(["x/images/a.jpg", "x/dogs.csv"]).unwrap(), "x/");
        assert_eq!(find_root(["dogs.csv", "old/dogs.csv"]).unwrap(), "");
        assert_eq!(find_root(["images/a.jpg", "catdogs.csv"]), Err(DogsError::NoCsv));
        assert_eq!(image_paths("a.jpg"), ["images/a.jpg".to_string(), "a.jpg".to_string()]);
    }

    #[cfg(feature = "engine")]
    #[test]
    fn a_zipped_dogset_in_a_top_folder_loads_and_a_broken_zip_is_named() {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(vec![]));
        let deflated = zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.add_directory("DogSet/", deflated).unwrap();
        zip.start_file("DogSet/dogs.csv", deflated).unwrap();
        zip.write_all(GOOD_CSV.as_bytes()).unwrap();
        for name in ["a.jpg", "b.jpg", "c.jpg", "d.jpg"] {
            zip.start_file(format!("DogSet/images/{name}"), deflated).unwrap();
            zip.write_all(name.as_bytes()).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        let files = unzip(&bytes).unwrap();
        assert_eq!(files.len(), 5, "folders are left out");
        let (sets, report) = load(&files, |b| {
            let grey = b[0];
            Ok(image(64, 64, [grey, grey, grey, 255]))
        })
        .unwrap();
        assert_eq!(report.kept, [2, 1, 1]);
        assert_eq!(report.greyscale, 4);
        assert_eq!(sets.train().images[0], b'a');
        assert!(unzip(&bytes[..bytes.len() / 2]).unwrap_err().to_string().contains("not a readable .zip"));
    }
}
