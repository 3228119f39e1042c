//! Property tests of every parser of outside bytes: shards and the manifest that lists them,
//! dogs.csv, DogSet .zip archives, image headers, IDX files, shared-link fragments, imported
//! run files and their checkpoints. Each gets random and half-valid input (a real file with
//! bytes changed, a header with huge sizes) and must answer with a value or an error sentence:
//! never a panic, a hang or an allocation the input's size does not justify.
//!
//! `make test` runs [`DEFAULT_CASES`] cases per parser from a fixed seed, so a failure
//! reproduces; `NNLAB_FUZZ_CASES` and `NNLAB_FUZZ_SEED` raise the count and change the seed
//! (`scripts/fuzz.sh` does both in a loop). Failures are not persisted to files: proptest
//! prints the shrunk input, which belongs in a unit test next to the fix.

use std::collections::BTreeMap;
use std::io::Write;

use nnlab::data::dogs::{self, ImageError, MAX_IMAGE_PIXELS, UnzipError};
use nnlab::data::idx::{self, IdxError};
use nnlab::data::manifest::{self, Manifest, ManifestError, ShardEntry};
use nnlab::data::shards::{self, Shard};
use nnlab::run::{Checkpoint, Kernels};
use nnlab::runs::{RUN_FORMAT, SavedRun};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// Cases per parser in `make test`: all ten parsers together take about a second in release.
const DEFAULT_CASES: u32 = 1_000;

fn config() -> ProptestConfig {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    ProptestConfig {
        cases: env("NNLAB_FUZZ_CASES").map_or(DEFAULT_CASES, |n| n as u32),
        rng_seed: RngSeed::Fixed(env("NNLAB_FUZZ_SEED").unwrap_or(29)),
        // No proptest-regressions/ folder in the repository: a failure is printed instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// An error a student can read: a sentence, not a blank or a debug dump.
fn is_sentence(message: &str) -> bool {
    message.len() > 10 && message.contains(' ')
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(vec![], flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut out).unwrap();
    out
}

/// A safetensors file as bytes: its 8-byte header length, the header, the data (any of which
/// the strategies below make wrong).
fn safetensors_file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

/// A dimension: mostly small, sometimes zero, sometimes large enough to overflow a product.
fn dim() -> impl Strategy<Value = u64> {
    prop_oneof![4 => 0u64..6, 1 => Just(1u64 << 32), 1 => Just(1u64 << 40), 1 => any::<u64>()]
}

/// A safetensors header naming `images` and `labels` (or other names) with any type, shape and
/// offsets, followed by a few data bytes.
fn safetensors_like() -> impl Strategy<Value = Vec<u8>> {
    let tensor = (
        prop_oneof![Just("images"), Just("labels"), Just("other")],
        prop_oneof![Just("U8"), Just("F32"), Just("I64"), Just("BOOL"), Just("X")],
        prop::collection::vec(dim(), 0..5),
        (0u64..64, prop_oneof![0u64..64, any::<u64>()]),
    );
    (prop::collection::vec(tensor, 0..4), prop::collection::vec(any::<u8>(), 0..64), any::<bool>()).prop_map(
        |(tensors, data, metadata)| {
            let mut fields: Vec<String> = tensors
                .iter()
                .map(|(name, dtype, shape, (start, len))| {
                    let end = start.saturating_add(*len);
                    format!(r#""{name}":{{"dtype":"{dtype}","shape":{shape:?},"data_offsets":[{start},{end}]}}"#)
                })
                .collect();
            if metadata {
                fields.push(r#""__metadata__":{"a":"b"}"#.into());
            }
            safetensors_file(&format!("{{{}}}", fields.join(",")), &data)
        },
    )
}

/// A valid shard of a few images, as its parts.
fn small_shard() -> impl Strategy<Value = Shard> {
    (0usize..4, 1usize..4, 1usize..4, 1usize..4).prop_flat_map(|(n, h, w, c)| {
        (prop::collection::vec(any::<u8>(), n * h * w * c), prop::collection::vec(any::<u8>(), n))
            .prop_map(move |(images, labels)| Shard { images, labels, image_shape: [h, w, c] })
    })
}

/// `bytes` with up to four bytes replaced.
fn mutated(bytes: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = bytes.len().max(1);
    prop::collection::vec((0..len, any::<u8>()), 0..4).prop_map(move |edits| {
        let mut out = bytes.clone();
        for (at, b) in edits {
            if let Some(x) = out.get_mut(at) {
                *x = b;
            }
        }
        out
    })
}

fn shard_entry(bytes: &[u8], examples: usize) -> ShardEntry {
    ShardEntry {
        file: "toy/train-00.safetensors.gz".into(),
        examples,
        bytes: bytes.len() as u64,
        sha256: manifest::sha256_hex(bytes),
        tensors: BTreeMap::new(),
    }
}

proptest! {
    #![proptest_config(config())]

    /// Shard bytes: random bytes, gzip of a random safetensors-like file, and a real shard
    /// with bytes changed before or after compressing.
    #[test]
    fn shard_bytes_decode_or_say_why(
        raw in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256).prop_map(|b| (b, false)),
            safetensors_like().prop_map(|b| (b, true)),
            small_shard().prop_flat_map(|s| mutated(shards::encode(&s))).prop_map(|b| (b, false)),
            small_shard().prop_flat_map(|s| mutated(gunzip(&shards::encode(&s)))).prop_map(|b| (b, true)),
        ]
    ) {
        let (bytes, compress) = raw;
        let bytes = if compress { gzip(&bytes) } else { bytes };
        match shards::decode(&bytes) {
            Ok(shard) => {
                let per_image = shards::image_bytes(shard.image_shape).unwrap();
                prop_assert_eq!(shard.images.len(), shard.len() * per_image);
            }
            Err(e) => prop_assert!(is_sentence(&e.to_string()), "{e}"),
        }
    }

    /// A download whose size and sha256 match its manifest entry, but whose gzip holds
    /// garbage instead of safetensors: the check passes the checksum and fails in the parse,
    /// naming the file.
    #[test]
    fn a_checksummed_shard_of_garbage_fails_in_the_parse(
        garbage in prop_oneof![prop::collection::vec(any::<u8>(), 0..512), safetensors_like()],
        examples in 0usize..5,
    ) {
        let bytes = gzip(&garbage);
        let entry = shard_entry(&bytes, examples);
        match entry.check(&bytes, [1, 1, 1]) {
            Err(ManifestError::Shard { file, source }) => {
                prop_assert_eq!(file, entry.file.clone());
                prop_assert!(is_sentence(&source.to_string()));
            }
            Err(e @ ManifestError::Contents { .. }) => prop_assert!(e.to_string().contains("toy/train-00"), "{e}"),
            Ok(shard) => prop_assert!(shard.len() == examples && shard.image_shape == [1, 1, 1]),
            Err(e) => prop_assert!(false, "the size and sha256 match, yet: {e}"),
        }
    }

    /// Manifest JSON: random text, and a real manifest with its numbers and characters changed.
    #[test]
    fn manifest_json_parses_or_says_why(
        text in prop_oneof![
            ".{0,200}",
            (any::<u32>(), dim(), dim(), dim(), any::<u64>(), 0usize..3).prop_map(|(v, h, w, c, n, examples)| {
                format!(
                    r#"{{"format_version":{v},"datasets":{{"d":{{"title":"t","licence":"l","provenance":"p","class_names":["a"],"image_shape":[{h},{w},{c}],"splits":{{"train":{{"examples":{n},"shards":[{{"file":"d/x","examples":{examples},"bytes":{n},"sha256":"00","tensors":{{}}}}]}}}}}}}}}}"#
                )
            }),
            manifest_text().prop_flat_map(|t| mutated(t.into_bytes())).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ]
    ) {
        match Manifest::parse(&text) {
            Ok(m) => {
                for d in m.datasets.values() {
                    prop_assert!(shards::image_bytes(d.image_shape).is_ok());
                }
            }
            Err(e) => prop_assert!(is_sentence(&e.to_string()), "{e}"),
        }
    }

    /// dogs.csv: random text of the characters CSV cares about, and a good file with rows
    /// changed.
    #[test]
    fn dogs_csv_rows_are_kept_or_refused_by_line(
        text in prop_oneof![
            "[a-z0-9,\"\n\r \\-_.é]{0,300}",
            prop::collection::vec(
                ("[a-z.]{0,6}", prop_oneof![Just("0".to_string()), Just("1".to_string()), "-?[0-9]{1,25}", ".{0,3}"],
                 prop_oneof![Just("beagle"), Just("poodle"), Just("")],
                 prop_oneof![Just("train"), Just("valid"), Just("test"), Just("x")], 0usize..6),
                0..20,
            ).prop_map(|rows| {
                let mut text = String::from("filename,numeric_label,semantic_label,partition\n");
                for (file, label, name, part, fields) in rows {
                    let row = [file, label, name.to_string(), part.to_string(), "extra".into()];
                    text += &row[..fields.min(5)].join(",");
                    text += "\n";
                }
                text
            }),
        ]
    ) {
        match dogs::check_csv(&text) {
            Ok(csv) => {
                let lines = text.split(['\n', '\r']).count() + 1;
                for row in &csv.rows {
                    prop_assert!(row.line >= 2 && row.line <= lines && (row.label as usize) < csv.class_names.len());
                }
                for p in &csv.problems {
                    prop_assert!(p.line >= 2 && is_sentence(&p.message), "{:?}", p);
                }
            }
            Err(e) => prop_assert!(is_sentence(&e.to_string()), "{e}"),
        }
    }

    /// .zip archives: random bytes, a real archive with bytes changed, and a real archive
    /// whose entries declare a size other than their data's (smaller, larger, 4 GiB).
    #[test]
    fn zip_archives_unpack_or_say_why(
        files in prop::collection::vec(("[a-z]{1,8}", prop::collection::vec(any::<u8>(), 0..300), any::<bool>()), 1..4),
        lie in prop_oneof![Just(None), (any::<usize>(), size_lie()).prop_map(Some)],
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        random in prop::collection::vec(any::<u8>(), 0..300),
        use_random in prop::bool::weighted(0.1),
    ) {
        let archive = if use_random { random } else { lying_zip(&files, lie, &edits) };
        match dogs::unzip(&archive) {
            Ok(unpacked) => {
                let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&archive)).unwrap();
                for i in 0..archive.len() {
                    let entry = archive.by_index_raw(i).unwrap();
                    if let Some(data) = unpacked.get(entry.name()) {
                        prop_assert!(data.len() as u64 <= entry.size(), "more bytes than declared");
                    }
                }
            }
            Err(e) => {
                if let Some((_, size)) = lie
                    && size > dogs::MAX_ENTRY_BYTES
                    && edits.is_empty()
                    && !use_random
                {
                    prop_assert!(matches!(e, UnzipError::EntryTooLarge { .. }), "{e}");
                }
                prop_assert!(is_sentence(&e.to_string()), "{e}");
            }
        }
    }

    /// Image headers: random bytes, and PNG and JPEG headers declaring any size up to
    /// 2^32 - 1 on a side, followed by garbage. Sizes over the limit are refused from the
    /// header, before decoding.
    #[test]
    fn image_headers_with_any_size_decode_or_say_why(
        width in prop_oneof![1u32..70, 8_000u32..9_000, any::<u32>()],
        height in prop_oneof![1u32..70, 6_000u32..7_000, any::<u32>()],
        png in any::<bool>(),
        tail in prop::collection::vec(any::<u8>(), 0..64),
        random in prop::bool::weighted(0.2),
    ) {
        let bytes = if random { tail.clone() } else if png { png_header(width, height, &tail) } else { jpeg_header(width, height, &tail) };
        match dogs::decode_image(&bytes) {
            Ok(image) => prop_assert_eq!(image.rgba.len(), image.width * image.height * 4),
            Err(e) => {
                let pixels = width as u64 * height as u64;
                let sane = if png { width < 1 << 31 && height < 1 << 31 } else { width <= 65_535 && height <= 65_535 };
                if !random && sane && pixels > MAX_IMAGE_PIXELS as u64 {
                    prop_assert!(matches!(e, ImageError::TooLarge { .. }), "{e}");
                    prop_assert!(e.to_string().contains(&format!("{width}x{height}")), "{e}");
                }
                prop_assert!(is_sentence(&e.to_string()), "{e}");
            }
        }
    }

    /// IDX files: random bytes, and headers declaring any dimensions (10^12 elements, sizes
    /// whose product overflows) over a short file, plain and gzip.
    #[test]
    fn idx_headers_with_any_dimensions_parse_or_say_why(
        dims in prop::collection::vec(prop_oneof![0u32..8, Just(1_000_000u32), Just(u32::MAX), any::<u32>()], 0..6),
        data in prop::collection::vec(any::<u8>(), 0..64),
        random in prop::bool::weighted(0.1),
        gz in any::<bool>(),
    ) {
        let bytes = if random { data.clone() } else { idx_file(&dims, &data) };
        let result = if gz { idx::parse_gz(&gzip(&bytes)) } else { idx::parse(&bytes) };
        match result {
            Ok(parsed) => prop_assert_eq!(parsed.data.len(), parsed.dims.iter().product::<usize>()),
            Err(e) => {
                let declared = dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d as u64));
                if !random && declared.is_none_or(|n| n > idx::MAX_DATA as u64) {
                    prop_assert!(matches!(e, IdxError::TooLarge { .. }), "{e}");
                }
                prop_assert!(is_sentence(&e.to_string()), "{e}");
            }
        }
    }

    /// Shared-link fragments: any text, and fragments made of a real lab, real and unknown
    /// keys, and values with escapes.
    #[test]
    fn url_fragments_keep_only_short_numeric_settings(
        text in prop_oneof![
            ".{0,80}",
            (prop::sample::select(nnlab::labs::LABS.iter().map(|l| l.slug).collect::<Vec<_>>()),
             prop::collection::vec(("[a-z0-9_]{0,6}", "[0-9a-zA-Z%.,+\\- é<>]{0,12}"), 0..6))
                .prop_map(|(lab, pairs)| {
                    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    format!("#{lab}?{}", query.join("&"))
                }),
            ".{0,20}".prop_map(|s| s.repeat(60)),
        ]
    ) {
        let shared = nnlab::share::decode(&text);
        for (_, value) in &shared.fields {
            prop_assert!(!value.is_empty() && value.len() <= 40, "{value}");
            prop_assert!(value.chars().all(|c| c.is_ascii_digit() || ".-+eE, ".contains(c)), "{value}");
        }
        prop_assert_eq!(shared.notice().is_some(), !shared.dropped.is_empty());
    }

    /// Imported run files: random text, and a real run file with its characters changed or its
    /// checkpoint's base64 of any length.
    #[test]
    fn run_files_load_or_say_why(
        text in prop_oneof![
            ".{0,120}",
            "[A-Za-z0-9+/=]{0,40}".prop_map(|b64| run_text("[1,1,1,1]", &format!("\"{b64}\""))),
            // A convolution's shape with any number of values, as an edited file could have.
            (prop::collection::vec(dim(), 4), prop::collection::vec(-1.0f32..1.0, 0..20))
                .prop_map(|(shape, values)| run_text(&format!("{shape:?}"), &format!("{values:?}"))),
            mutated(run_text("[1,1,1,1]", "\"AACAPw==\"").into_bytes()).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ]
    ) {
        match SavedRun::parse_file(&text) {
            Ok(runs) => {
                for run in runs {
                    // The page restores a run's kernels and draws each one.
                    let restored = run.checkpoint.as_ref().and_then(Kernels::from_checkpoint);
                    for kernels in run.first_kernels().map(|(_, k)| k).into_iter().chain(restored) {
                        let [out, cin, ..] = kernels.shape;
                        for (o, i) in (0..out.min(3)).flat_map(|o| (0..cin.min(3)).map(move |i| (o, i))) {
                            let _ = kernels.kernel(o, i);
                        }
                    }
                    let _ = SavedRun::to_json(&[run.found_on_load()]);
                }
            }
            Err(e) => prop_assert!(is_sentence(&e.to_string()), "{e}"),
        }
    }

    /// A checkpoint's parameters as base64 of any length: whole f32 values or an error.
    #[test]
    fn checkpoint_base64_of_any_length_is_whole_f32s_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..64), junk in "[A-Za-z0-9+/=!]{0,3}") {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes) + &junk;
        let json = format!(r#"{{"epoch":1,"tensors":[{{"shape":[{}],"values":"{b64}"}}]}}"#, bytes.len() / 4);
        match serde_json::from_str::<Checkpoint>(&json) {
            Ok(c) => prop_assert_eq!(c.tensors[0].values.len() * 4, base64::engine::general_purpose::STANDARD.decode(&b64).unwrap().len()),
            Err(e) => {
                prop_assert!(!junk.is_empty() || bytes.len() % 4 != 0, "{e}");
                prop_assert!(is_sentence(&e.to_string()), "{e}");
            }
        }
    }
}

/// A real manifest, as `nnlab data build` writes it, of one small shard.
fn manifest_text() -> impl Strategy<Value = String> {
    small_shard().prop_map(|s| {
        let (entry, _) = manifest::shard_split("toy", "train", &s.images, &s.labels, s.image_shape);
        let dataset = manifest::DatasetEntry {
            title: "Toy".into(),
            licence: "MIT".into(),
            provenance: "made up".into(),
            class_names: vec!["a".into(), "b".into()],
            image_shape: s.image_shape,
            splits: BTreeMap::from([("train".to_string(), entry)]),
        };
        Manifest { format_version: manifest::FORMAT_VERSION, datasets: BTreeMap::from([("toy".to_string(), dataset)]) }
            .to_json()
    })
}

/// The size an entry claims instead of its own: none, one less or more, 4 GiB, anything.
fn size_lie() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(1), Just(299), Just(301), Just(u32::MAX as u64), any::<u32>().prop_map(u64::from)]
}

/// A .zip of `files` (name, data, deflated), with the sizes of one entry (`lie`) rewritten in
/// its local and central headers and a few bytes changed (`edits`).
fn lying_zip(
    files: &[(String, Vec<u8>, bool)],
    lie: Option<(usize, u64)>,
    edits: &[(prop::sample::Index, u8)],
) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(vec![]));
    for (i, (name, data, deflate)) in files.iter().enumerate() {
        let method = if *deflate { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
        zip.start_file(format!("{i}/{name}"), zip::write::FileOptions::default().compression_method(method)).unwrap();
        zip.write_all(data).unwrap();
    }
    let mut bytes = zip.finish().unwrap().into_inner();
    if let Some((which, size)) = lie {
        let size = (size as u32).to_le_bytes();
        let find = |signature: [u8; 4]| -> Vec<usize> {
            bytes.windows(4).enumerate().filter(|(_, w)| *w == signature).map(|(i, _)| i).collect()
        };
        // The uncompressed size is at byte 22 of a local header, 24 of a central one.
        let (locals, centrals) = (find([0x50, 0x4b, 0x03, 0x04]), find([0x50, 0x4b, 0x01, 0x02]));
        if let (Some(&l), Some(&c)) = (locals.get(which % files.len()), centrals.get(which % files.len())) {
            bytes[l + 22..l + 26].copy_from_slice(&size);
            bytes[c + 24..c + 28].copy_from_slice(&size);
        }
    }
    for (at, b) in edits {
        let i = at.index(bytes.len());
        bytes[i] = *b;
    }
    bytes
}

/// A PNG signature and IHDR (with its CRC right) declaring `width` x `height` RGBA, then
/// `tail` as an IDAT chunk.
fn png_header(width: u32, height: u32, tail: &[u8]) -> Vec<u8> {
    let chunk = |kind: &[u8; 4], data: &[u8]| {
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend(kind);
        out.extend(data);
        out.extend(crc.sum().to_be_bytes());
        out
    };
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(b"IDAT", tail));
    out.extend(chunk(b"IEND", &[]));
    out
}

/// A real 8x8 baseline JPEG with its frame header changed to declare `width` x `height`
/// (each cut to the 16 bits a JPEG has) and `tail` spliced into its scan data.
fn jpeg_header(width: u32, height: u32, tail: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    let pixels = image::RgbImage::from_fn(8, 8, |x, y| image::Rgb([x as u8 * 30, y as u8 * 30, 0]));
    image::codecs::jpeg::JpegEncoder::new(&mut out).encode_image(&pixels).unwrap();
    let sof = out.windows(2).position(|w| w == [0xFF, 0xC0]).expect("a baseline JPEG has a SOF0 header");
    let (w, h) = ((width.min(65_535) as u16).to_be_bytes(), (height.min(65_535) as u16).to_be_bytes());
    out[sof + 5..sof + 9].copy_from_slice(&[h[0], h[1], w[0], w[1]]);
    // The scan data runs from after the scan header to the end marker.
    let sos = out.windows(2).position(|w| w == [0xFF, 0xDA]).expect("a JPEG has a scan");
    let scan = sos + 2 + u16::from_be_bytes([out[sos + 2], out[sos + 3]]) as usize;
    let end = out.len() - 2;
    out.splice(scan..scan + tail.len().min(end - scan), tail.iter().copied());
    out
}

/// An IDX file of unsigned bytes with `dims` in its header and `data` after it.
fn idx_file(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend(data);
    out
}

/// A saved run file of this format with a checkpoint whose first tensor has `shape` and
/// `values` (JSON).
fn run_text(shape: &str, values: &str) -> String {
    format!(
        r#"[{{"format":{RUN_FORMAT},"written_by":"nnlab test","key":"k","name":"n","lab":"synth","config":{{}},"backend":null,"created":0,
        "status":"Interrupted","epochs":[],"summary":null,"test":null,"evaluation":null,
        "checkpoint":{{"epoch":0,"tensors":[{{"shape":{shape},"values":{values}}},{{"shape":[1],"values":[0.5]}}]}},"error":null}}]"#
    )
}

/// The limits the properties above probe, each once with the sentence it gives.
#[test]
fn forged_sizes_are_refused_naming_the_size_and_the_limit() {
    let files = [("dogs.csv".to_string(), b"filename\n".to_vec(), true)];
    let four_gib = lying_zip(&files, Some((0, u32::MAX as u64)), &[]);
    let err = dogs::unzip(&four_gib).unwrap_err();
    assert!(err.to_string().contains("4294967295 bytes, more than the 64000000 bytes"), "{err}");
    let short = lying_zip(&files, Some((0, 3)), &[]);
    let err = dogs::unzip(&short).unwrap_err();
    assert!(matches!(err, UnzipError::LyingSize { declared: 3, .. }), "{err}");

    let err = dogs::decode_image(&png_header(100_000, 100_000, &[])).unwrap_err();
    assert!(err.to_string().contains("100000x100000 pixels, more than the 48000000 pixels"), "{err}");
    let err = dogs::decode_image(&jpeg_header(65_535, 65_535, &[])).unwrap_err();
    assert!(matches!(err, ImageError::TooLarge { width: 65_535, height: 65_535 }), "{err}");

    let err = idx::parse(&idx_file(&[1_000_000, 1_000_000], &[0; 16])).unwrap_err();
    assert!(err.to_string().contains("[1000000, 1000000] make more than 200000000 bytes"), "{err}");
}

/// What the run-file property found: kernels drawn from values that do not fill their shape.
#[test]
fn checkpoints_whose_values_do_not_fill_their_shape_give_no_kernels() {
    for shape in ["[1, 1, 2, 3]", "[1, 4294967296, 1, 4294967296]", "[1099511627776, 0, 1, 1]"] {
        let runs = SavedRun::parse_file(&run_text(shape, "[]")).unwrap();
        assert_eq!(runs[0].first_kernels(), None, "{shape}");
        assert_eq!(runs[0].checkpoint.as_ref().and_then(Kernels::from_checkpoint), None, "{shape}");
    }
    let runs = SavedRun::parse_file(&run_text("[1, 1, 1, 2]", "[0.25, -0.25]")).unwrap();
    assert_eq!(runs[0].first_kernels().unwrap().1.kernel(0, 0), &[0.25, -0.25]);
}
