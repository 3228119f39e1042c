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
}

/// The files of a .zip archive by path (folders left out).
#[cfg(feature = "engine")]
pub fn unzip(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, UnzipError> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(UnzipError::Archive)?;
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|source| UnzipError::Entry { index, source })?;
        if entry.is_dir() {
            continue;
        }
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut data).map_err(|source| UnzipError::Unpack { name: entry.name().to_string(), source })?;
        files.insert(entry.name().to_string(), data);
    }
    Ok(files)
}

/// Loads a DogSet from its files by path (a folder read into memory, or an unpacked .zip),
/// decoding images with the host's `decode` (whose error is shown as the decoder's words).
pub fn load<E: std::fmt::Display>(
    files: &BTreeMap<String, Vec<u8>>,
    mut decode: impl FnMut(&[u8]) -> Result<Decoded, E>,
) -> Result<(DogSplits, LoadReport), Box<LoadFailure>> {
    let fail = |error| Box::new(LoadFailure { error, report: LoadReport::default() });
    let root = find_root(files.keys().map(String::as_str)).map_err(fail)?;
    let csv = String::from_utf8_lossy(&files[&format!("{root}dogs.csv")]).into_owned();
    let mut builder = DogSetBuilder::new(check_csv(&csv).map_err(fail)?);
    for i in 0..builder.rows().len() {
        let image = resolve(&root, &builder.rows()[i].file, |p| files.contains_key(p)).and_then(|path| {
            // The decoder's own error types differ by host; the student reads its message.
            decode(&files[&path]).map_err(|e| ImageError::Undecodable(e.to_string()))
        });
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
            Ok::<_, String>(image(64, 64, [grey, grey, grey, 255]))
        })
        .unwrap();
        assert_eq!(report.kept, [2, 1, 1]);
        assert_eq!(report.greyscale, 4);
        assert_eq!(sets.train().images[0], b'a');
        assert!(unzip(&bytes[..bytes.len() / 2]).unwrap_err().to_string().contains("not a readable .zip"));
    }
}
