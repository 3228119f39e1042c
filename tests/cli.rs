//! The `nnlab` command as a user runs it.
#![cfg(feature = "cli")]

use serde_json::Value;
use std::process::Command;

fn nnlab(args: &[&str]) -> (bool, String, String) {
    // From the repository root, where `data/` is.
    let out = Command::new(env!("CARGO_BIN_EXE_nnlab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("nnlab runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

#[test]
fn run_synth_prints_one_json_object_per_epoch_then_a_summary() {
    let (ok, stdout, stderr) = nnlab(&[
        "run",
        "synth",
        "--epochs",
        "3",
        "--train-size",
        "400",
        "--valid-size",
        "100",
        "--batch-size",
        "20",
        "--lr",
        "0.2",
        "--format",
        "json",
    ]);
    assert!(ok, "{stderr}");
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 4);
    for (i, epoch) in lines[..3].iter().enumerate() {
        assert_eq!(epoch["epoch"], i + 1);
        for key in ["train_loss", "train_acc", "valid_loss", "valid_acc", "seconds"] {
            assert!(epoch[key].is_number(), "{key} in {epoch}");
        }
        let acc = epoch["train_acc"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&acc), "accuracy is a percentage: {acc}");
    }
    let done = &lines[3];
    assert_eq!(done["done"], true);
    assert_eq!(done["backend"], "burn flex (CPU, native, single-threaded)", "which engine trained");
    assert_eq!(done["epochs_trained"], 3);
    assert_eq!(done["parameters"], 442);
    assert!(done["kernels_answer"].as_str().unwrap().starts_with("Kernel 1 "));
    // On the 100 validation images, against the last epoch's validation accuracy.
    assert_confusion(done, 2, 100, lines[2]["valid_acc"].as_f64().unwrap());
}

/// `"confusion"` (rows = true class) sums to the images evaluated, its trace over that is
/// `accuracy`; `"per_class_acc"` has a value per class; `"mistakes"` are wrong, most confident first.
fn assert_confusion(result: &serde_json::Value, classes: usize, images: u64, accuracy: f64) {
    let rows = result["confusion"].as_array().expect("a confusion matrix");
    assert_eq!(rows.len(), classes);
    let cell = |t: usize, p: usize| rows[t][p].as_u64().unwrap();
    let total: u64 = (0..classes).flat_map(|t| (0..classes).map(move |p| (t, p))).map(|(t, p)| cell(t, p)).sum();
    let trace: u64 = (0..classes).map(|i| cell(i, i)).sum();
    assert_eq!(total, images, "{result}");
    assert!((100.0 * trace as f64 / images as f64 - accuracy).abs() < 1e-9, "{trace}/{images} vs {accuracy}");
    assert_eq!(result["per_class_acc"].as_array().unwrap().len(), classes);
    let mistakes = result["mistakes"].as_array().unwrap();
    assert_eq!(mistakes.len() as u64, (images - trace).min(20));
    for pair in mistakes.windows(2) {
        assert!(pair[0]["confidence"].as_f64() >= pair[1]["confidence"].as_f64());
    }
    assert!(mistakes.iter().all(|m| m["label"] != m["predicted"]));
}

#[test]
fn models_prints_every_homework_model_with_computed_counts() {
    let (ok, stdout, _) = nnlab(&["models", "--format", "json"]);
    assert!(ok);
    let models = json_lines(&stdout);
    let params: Vec<u64> = models.iter().map(|m| m["parameters"].as_u64().unwrap()).collect();
    assert_eq!(params, vec![109_386, 1_581_898, 68_138, 442]);
    assert_eq!(models[1]["weights"], 1_581_696);
    assert_eq!(models[2]["weights"], 68_080);
    let (ok, table, _) = nnlab(&["models"]);
    assert!(ok && table.contains("DogSet CNN (5x5, stride 1)") && table.contains("[1, 5408]"), "{table}");
}

#[test]
fn bench_prints_one_json_object_per_workload() {
    let (ok, stdout, stderr) = nnlab(&["bench", "--workloads", "W1,W4", "--repeats", "1", "--format", "json"]);
    assert!(ok, "{stderr}");
    let rows = json_lines(&stdout);
    assert_eq!(rows.iter().map(|r| r["workload"].as_str().unwrap()).collect::<Vec<_>>(), vec!["W1", "W4"]);
    for r in &rows {
        assert!(r["epoch_s"].as_f64().unwrap() > 0.0);
        assert!(r["examples_per_s"].as_f64().unwrap() > 0.0);
        assert!(r["backend"].as_str().unwrap().contains("CPU"));
        assert!(!r["machine"].as_str().unwrap().is_empty());
    }
}

#[test]
fn bench_shows_a_pytorch_reference_only_when_given_one() {
    let dir = std::env::temp_dir().join(format!("nnlab-bench-ref-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reference = dir.join("pytorch.jsonl");
    std::fs::write(&reference, "{\"workload\": \"W1\", \"pytorch_epoch_s\": 0.25, \"threads\": 1}\n").unwrap();
    let args = ["bench", "--workloads", "W1", "--repeats", "1", "--format", "json"];
    let (ok, stdout, stderr) = nnlab(&[&args[..], &["--reference", reference.to_str().unwrap()]].concat());
    assert!(ok, "{stderr}");
    assert_eq!(json_lines(&stdout)[0]["pytorch_reference_epoch_s"], 0.25);
    let (ok, stdout, _) = nnlab(&args);
    assert!(ok && json_lines(&stdout)[0].get("pytorch_reference_epoch_s").is_none());

    std::fs::write(&reference, "W1 0.25\n").unwrap();
    let (ok, _, stderr) = nnlab(&[&args[..], &["--reference", reference.to_str().unwrap()]].concat());
    assert!(!ok && stderr.contains("line 1: not a JSON line of scripts/pytorch-bench.py"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn labs_prints_the_page_s_table_of_labs_with_each_lab_s_settings() {
    let (ok, stdout, stderr) = nnlab(&["labs", "--format", "json"]);
    assert!(ok, "{stderr}");
    let lines = json_lines(&stdout);
    let slugs: Vec<_> = lines.iter().map(|l| l["slug"].as_str().unwrap().to_string()).collect();
    let labs =
        ["synth", "mnist", "dogs", "conv-size", "perceptrons", "perceptron-rule", "linear-xor", "adversarial", "runs"];
    assert_eq!(slugs, labs);
    let synth_flags: Vec<_> = lines[0]["settings"].as_array().unwrap().iter().map(|f| f["flag"].clone()).collect();
    assert!(synth_flags.contains(&"batch-size".into()) && synth_flags.contains(&"stop-thr".into()), "{synth_flags:?}");
}

/// Without the `wgpu` feature (the default build), `--backend wgpu` says how to get it and
/// exits with status 2 before doing anything; with it and no adapter, "no GPU adapter: ...".
#[test]
fn the_gpu_backend_asked_of_a_cpu_only_build_says_how_to_build_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_nnlab"))
        .args(["run", "synth", "--epochs", "1", "--backend", "wgpu"])
        .output()
        .expect("nnlab runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if cfg!(feature = "wgpu") {
        // `make test-gpu` runs this with an adapter (lavapipe): it trains.
        assert!(out.status.success() || stderr.contains("nnlab: no GPU adapter: "), "{stderr}");
    } else {
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(
            stderr.trim(),
            "nnlab: this nnlab was built without GPU support: build it with `cargo build --release --features wgpu`"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn bad_arguments_get_a_clear_error() {
    let (ok, _, stderr) = nnlab(&["run", "synth", "--lr", "0"]);
    assert!(!ok);
    assert!(stderr.contains("learning rate must be a positive number"), "{stderr}");
    // The flags are the page's form fields: the same parser, the same message.
    let (ok, _, stderr) = nnlab(&["run", "dogs", "--cnn", "--conv1-kernel", "five"]);
    assert!(!ok && stderr.contains("kernel size: \"five\" is not a number"), "{stderr}");
    let (ok, _, stderr) = nnlab(&["run", "mnist-scaling", "--sizes", "500,1005"]);
    assert!(!ok && stderr.contains("multiple of 10"), "{stderr}");
    let (ok, _, stderr) = nnlab(&["bench", "--workloads", "W9"]);
    assert!(!ok && stderr.contains("choose from W1, W2, W3, W4"), "{stderr}");
}

#[test]
fn mnist_scaling_prints_epochs_results_and_the_fit() {
    let (ok, stdout, stderr) =
        nnlab(&["run", "mnist-scaling", "--sizes", "100,200", "--epochs", "2", "--format", "json"]);
    assert!(ok, "{stderr}");
    let lines = json_lines(&stdout);
    let epochs: Vec<_> = lines.iter().filter(|l| l.get("epoch").is_some()).collect();
    assert_eq!(epochs.len(), 4);
    assert!(epochs.iter().all(|e| e["size"].is_number() && e["train_loss"].is_number()));
    let results: Vec<_> = lines.iter().filter(|l| l.get("test_acc").is_some()).collect();
    assert_eq!(results.iter().map(|r| r["size"].as_u64().unwrap()).collect::<Vec<_>>(), vec![100, 200]);
    for r in &results {
        assert_confusion(r, 10, 1000, r["test_acc"].as_f64().unwrap());
    }
    let done = lines.last().unwrap();
    assert_eq!(done["done"], true);
    assert_eq!(done["fit"]["full_size"], 60_000);
    assert!(done["time_answer"].as_str().unwrap().contains("least-squares line"));
}

#[test]
fn data_verify_checks_the_committed_shards() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
    let (ok, stdout, stderr) = nnlab(&["data", "verify", "--dir", dir]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("mnist/train: 60000 examples"), "{stdout}");
    let (ok, _, stderr) = nnlab(&["data", "verify", "--dir", "/nonexistent"]);
    assert!(!ok && stderr.contains("nnlab data build"), "{stderr}");
}

#[test]
fn data_verify_parses_every_shard_not_only_its_checksum() {
    use nnlab::data::manifest::{self, DatasetEntry, Manifest};
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("nnlab-verify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (mut split, files) = manifest::shard_split("toy", "train", &[7; 8], &[0, 1], [2, 2, 1]);
    // The shard replaced by a gzip of garbage, with a size and sha256 that match it: only
    // parsing the shard can find that it is not one.
    let mut gz = flate2::write::GzEncoder::new(vec![], flate2::Compression::default());
    gz.write_all(b"\x10\x00\x00\x00\x00\x00\x00\x00not safetensors!").unwrap();
    let garbage = gz.finish().unwrap();
    split.shards[0].bytes = garbage.len() as u64;
    split.shards[0].sha256 = manifest::sha256_hex(&garbage);
    std::fs::create_dir_all(dir.join("toy")).unwrap();
    std::fs::write(dir.join(&files[0].0), &garbage).unwrap();
    let dataset = DatasetEntry {
        title: "Toy".into(),
        licence: "MIT".into(),
        provenance: "made up".into(),
        class_names: vec!["a".into(), "b".into()],
        image_shape: [2, 2, 1],
        splits: [("train".to_string(), split)].into(),
    };
    let manifest =
        Manifest { format_version: manifest::FORMAT_VERSION, datasets: [("toy".to_string(), dataset)].into() };
    std::fs::write(dir.join("manifest.json"), manifest.to_json()).unwrap();
    let (ok, _, stderr) = nnlab(&["data", "verify", "--dir", dir.to_str().unwrap()]);
    assert!(!ok, "a shard of garbage passed verify");
    assert!(stderr.contains("toy/train-00.safetensors.gz: the file is not a readable safetensors file"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A DogSet-like folder: dogs.csv and PNG images, some of them broken on purpose.
fn write_dogset(dir: &std::path::Path) {
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    let mut csv = String::from("filename,numeric_label,semantic_label,partition\n");
    for i in 0..12 {
        let (label, name) = if i % 2 == 0 { (0, "beagle") } else { (1, "poodle") };
        let partition = ["train", "train", "valid", "test"][i % 4];
        csv += &format!("dog{i}.png,{label},{name},{partition}\n");
        let side = if i == 5 { 32 } else { 64 }; // one image of the wrong size
        let image =
            image::RgbImage::from_fn(side, side, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, (i * 20) as u8]));
        image.save(images.join(format!("dog{i}.png"))).unwrap();
    }
    csv += "missing.png,0,beagle,train\nbroken.png,1,poodle,valid\nodd.png,1,beagle,train\nx.png,0,beagle,holdout\n";
    std::fs::write(images.join("broken.png"), b"not a png").unwrap();
    std::fs::write(dir.join("dogs.csv"), csv).unwrap();
}

#[test]
fn data_dogs_converts_a_folder_and_names_every_refused_row() {
    let tmp = std::env::temp_dir().join(format!("nnlab-dogs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let (set, out) = (tmp.join("DogSet"), tmp.join("out"));
    write_dogset(&set);
    let (ok, stdout, stderr) = nnlab(&["data", "dogs", set.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("kept 6 train, 3 valid and 3 test images"), "{stdout}");
    assert!(stdout.contains("1 images were not 64x64 and were resized"), "{stdout}");
    assert!(stdout.contains("refused 4 rows:"), "{stdout}");
    for (line, file, why) in [
        (14, "missing.png", "the image is missing"),
        (15, "broken.png", "does not decode"),
        (16, "odd.png", "this row names it `beagle`"),
        (17, "x.png", "partition `holdout`"),
    ] {
        assert!(stdout.contains(&format!("line {line}, {file}: ")) && stdout.contains(why), "{line} {why}: {stdout}");
    }
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let manifest = nnlab::data::manifest::Manifest::parse(&manifest).unwrap();
    let dogs = &manifest.datasets["dogs"];
    assert_eq!(dogs.class_names, vec!["beagle", "poodle"]);
    assert_eq!(dogs.splits["train"].examples, 6);
    let (ok, _, stderr) = nnlab(&["data", "verify", "--dir", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");

    // A CSV without its label column stops with the columns it has.
    std::fs::write(set.join("dogs.csv"), "filename,partition\na.png,train\n").unwrap();
    let (ok, _, stderr) = nnlab(&["data", "dogs", set.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!ok && stderr.contains("no `numeric_label` column (its header is: filename, partition)"), "{stderr}");
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn run_dogs_trains_the_cnn_on_the_stand_in_with_json_records() {
    let (ok, stdout, stderr) = nnlab(&[
        "run",
        "dogs",
        "--cnn",
        "--conv1-kernel",
        "9",
        "--conv1-stride",
        "3",
        "--epochs",
        "1",
        "--stand-in",
        "--lr",
        "0.001",
        "--format",
        "json",
    ]);
    assert!(ok, "{stderr}");
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 2);
    assert!(lines[0]["valid_loss"].as_f64().unwrap().is_finite());
    assert_eq!(lines[1]["epochs_trained"], 1);
    assert!(lines[1]["test_acc"].as_f64().unwrap() >= 0.0);
    assert!(lines[1]["model"].as_str().unwrap().contains("9x9 stride 3"));
    let rows = lines[1]["confusion"].as_array().unwrap();
    let test_images = rows.iter().flat_map(|r| r.as_array().unwrap()).map(|c| c.as_u64().unwrap()).sum();
    assert_confusion(&lines[1], 10, test_images, lines[1]["test_acc"].as_f64().unwrap());
}

#[test]
fn adversarial_prints_accuracy_per_epsilon_as_json_lines() {
    let (ok, stdout, stderr) = nnlab(&["adversarial", "--epsilons", "0,0.1,0.3", "--format", "json"]);
    assert!(ok, "{stderr}");
    let lines = json_lines(&stdout);
    let eps: Vec<f64> = lines.iter().map(|l| l["epsilon"].as_f64().unwrap()).collect();
    let acc: Vec<f64> = lines.iter().map(|l| l["accuracy"].as_f64().unwrap()).collect();
    assert_eq!(eps, vec![0.0, 0.1, 0.3]);
    assert!(acc[0] > 80.0 && acc[2] < acc[0], "{acc:?}");
    let (ok, _, stderr) = nnlab(&["adversarial", "--epsilons", "2"]);
    assert!(!ok && stderr.contains("outside 0..1"), "{stderr}");
}
