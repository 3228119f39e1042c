//! The command line's GPU backend (`--features wgpu`, run by `make test-gpu`): on burn's wgpu
//! backend, here lavapipe (Debian's software Vulkan) where no GPU is present, one Synth epoch
//! and one DogSet CNN step give the CPU backend's numbers to 1e-4 relative.
#![cfg(feature = "wgpu")]

use std::sync::OnceLock;

use burn::prelude::*;
use nnlab::data::dogs::{DogSplits, IMAGE_SHAPE};
use nnlab::data::shards::Shard;
use nnlab::labs::dogs::DogLab;
use nnlab::labs::dogs::engine::run_dogs;
use nnlab::labs::synth::SynthLab;
use nnlab::labs::synth::engine::run_synth;
use nnlab::model::Init;
use nnlab::run::Checkpoint;
use nnlab::train::native::{NativeDriver, block_on};
use nnlab::train::read_checkpoint;

/// burn's wgpu runtime is opened once per process: the tests share it.
fn gpu() -> Device {
    static GPU: OnceLock<Device> = OnceLock::new();
    GPU.get_or_init(|| {
        Device::wgpu_options().init().expect("a Vulkan adapter: `make test-gpu` installs lavapipe").autodiff()
    })
    .clone()
}

fn cpu() -> Device {
    Device::flex().autodiff()
}

fn close(gpu: f64, cpu: f64, what: &str) {
    assert!((gpu - cpu).abs() <= 1e-4 * cpu.abs(), "{what}: wgpu {gpu} vs CPU {cpu}");
}

#[test]
fn one_synth_epoch_on_wgpu_equals_the_cpu_backend() {
    let mut lab = SynthLab::homework();
    (lab.train_size, lab.valid_size, lab.train.epochs, lab.train.lr) = (500, 100, 1, 0.1);
    let run = |device: &Device| {
        block_on(run_synth(&lab, None, device, &mut NativeDriver::default(), &mut |_| {})).unwrap().1.epochs[0].clone()
    };
    let (g, c) = (run(&gpu()), run(&cpu()));
    close(g.train_loss, c.train_loss, "training loss");
    close(g.valid_loss.unwrap(), c.valid_loss.unwrap(), "validation loss");
    assert_eq!(g.valid_acc, c.valid_acc);
}

/// Ten DogSet-shaped images: one step of batch 10.
fn ten_images() -> DogSplits {
    let shard = |n: usize| Shard {
        images: (0..n * 64 * 64 * 3).map(|i| (i * 37 % 251) as u8).collect(),
        labels: (0..n).map(|i| (i % 2) as u8).collect(),
        image_shape: IMAGE_SHAPE,
    };
    DogSplits { splits: [shard(10), shard(10), shard(10)], class_names: vec!["a".into(), "b".into()] }
}

fn flat(checkpoint: &Checkpoint) -> Vec<f32> {
    checkpoint.tensors.iter().flat_map(|t| t.values.iter().copied()).collect()
}

#[test]
fn one_dogset_cnn_step_on_wgpu_equals_the_cpu_backend() {
    let mut lab = DogLab::homework_cnn();
    (lab.train.epochs, lab.train.lr, lab.train.stop_thr) = (1, 1e-2, None);
    let data = ten_images();
    let start = {
        let net = lab.net().init(Init::PyTorch { seed: lab.train.seed }, &cpu()).unwrap();
        flat(&block_on(read_checkpoint(&net, 0)).unwrap())
    };
    let step = |device: &Device| {
        let run = block_on(run_dogs(&lab, &data, None, device, &mut NativeDriver::default(), |_| {}, &mut |_| {}));
        let run = run.unwrap();
        let after = flat(&block_on(read_checkpoint(&run.net, 1)).unwrap());
        (run.record.epochs[0].train_loss, after.iter().zip(&start).map(|(a, b)| (a - b) as f64).collect::<Vec<_>>())
    };
    let ((gpu_loss, gpu_update), (cpu_loss, cpu_update)) = (step(&gpu()), step(&cpu()));
    close(gpu_loss, cpu_loss, "the step's loss");
    // The update, -lr * gradient, as a whole: its difference against its size.
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let diff: Vec<f64> = gpu_update.iter().zip(&cpu_update).map(|(g, c)| g - c).collect();
    assert!(norm(&cpu_update) > 0.0, "the step changed the parameters");
    let relative = norm(&diff) / norm(&cpu_update);
    assert!(relative <= 1e-4, "the update differs by {relative:e} of its size");
}
