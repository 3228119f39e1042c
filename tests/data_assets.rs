//! The committed data/ folder: the manifest parses, every shard matches it, and the MNIST lab
//! learns from the real shards.
#![cfg(feature = "engine")]

use burn::prelude::*;
use nnlab::data::manifest::{self, Manifest};
use nnlab::data::shards::Shard;
use nnlab::labs::mnist::MnistLab;
use nnlab::labs::mnist::engine::run_scaling;
use nnlab::train::native::{NativeDriver, block_on};

fn data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

fn load(split: &str) -> (Shard, Vec<String>) {
    let manifest = Manifest::parse(&std::fs::read_to_string(data_dir().join("manifest.json")).unwrap()).unwrap();
    let entry = &manifest.datasets["mnist"];
    let shards = entry.splits[split]
        .shards
        .iter()
        .map(|s| s.check(&std::fs::read(data_dir().join(&s.file)).unwrap(), entry.image_shape).unwrap())
        .collect();
    (manifest::join(shards), entry.class_names.clone())
}

#[test]
fn every_shard_matches_the_manifest_and_mnist_has_its_known_counts() {
    let (train, names) = load("train");
    let (test, _) = load("test");
    assert_eq!((train.len(), test.len()), (60_000, 10_000));
    assert_eq!(names.len(), 10);
    // MNIST's known class sizes (LeCun et al.): 5923 zeros in train, 980 in test.
    assert_eq!(train.labels.iter().filter(|&&l| l == 0).count(), 5923);
    assert_eq!(test.labels.iter().filter(|&&l| l == 0).count(), 980);
}

#[test]
fn a_short_mnist_scaling_run_is_far_above_chance() {
    let (train, names) = load("train");
    let (test, _) = load("test");
    let mut lab = MnistLab::homework();
    // The homework's lr 0.01 with batch 10 starts slowly (PyTorch-style small initial weights):
    // 500 and 1000 SGD steps are enough to be far above chance.
    lab.sizes = vec![500, 1000];
    lab.train.epochs = 10;
    let device = Device::flex().autodiff();
    let results =
        block_on(run_scaling(&lab, &train, &test, &names, &device, &mut NativeDriver::default(), &mut |_, _| {}))
            .unwrap();
    assert_eq!(results.len(), 2);
    for r in &results {
        assert_eq!(r.losses.len(), 10);
        assert!(r.test_acc > 30.0, "chance is 10%: {r:?}");
        assert!(r.losses[9] < r.losses[0]);
    }
}
