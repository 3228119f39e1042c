//! Tests of `protocol.rs`.

use super::*;
use crate::labs::adversarial::LabModel;
use crate::labs::synth::SynthLab;
use crate::labs::xor::{XorLab, XorRun};
use crate::run::{BackendKind, Share, StopReason, SweepGrid, TensorValues};

fn record() -> EpochRecord {
    EpochRecord {
        epoch: 1,
        train_loss: 0.69,
        train_acc: 50.0,
        valid_loss: Some(0.7),
        valid_acc: None,
        seconds: 1.5,
        examples_per_s: 6000.0,
    }
}

#[test]
fn every_message_round_trips() {
    let to = vec![
        ToWorker::Start {
            run: 3,
            backend: BackendChoice::Auto,
            measured: None,
            job: Job::Synth { lab: SynthLab::homework(), resume: None },
        },
        ToWorker::Start {
            run: 4,
            backend: BackendChoice::Cpu,
            measured: None,
            job: Job::Synth {
                lab: SynthLab::homework(),
                resume: Some((
                    Checkpoint { epoch: 1, tensors: vec![TensorValues { shape: vec![2], values: vec![0.5, -1.0] }] },
                    vec![record()],
                )),
            },
        },
        ToWorker::Start {
            run: 4,
            backend: BackendChoice::Cpu,
            measured: None,
            job: Job::Mnist { lab: crate::labs::mnist::MnistLab::homework(), check: true },
        },
        ToWorker::LoadDogs { run: 5, source: DogSource::Auto },
        ToWorker::Start {
            run: 6,
            backend: BackendChoice::Auto,
            measured: None,
            job: Job::Dogs {
                lab: crate::labs::dogs::DogLab {
                    source: DogSource::StandIn,
                    ..crate::labs::dogs::DogLab::homework_cnn()
                },
                resume: None,
                share: Some(Share { index: 1, count: 2 }),
                picks: vec![12, 7],
            },
        },
        ToWorker::Gallery { class: 3, page: 2 },
        ToWorker::ForgetDogs,
        ToWorker::Start { run: 7, backend: BackendChoice::Cpu, measured: None, job: Job::Xor { lab: XorLab::xor() } },
        ToWorker::Start {
            run: 8,
            backend: BackendChoice::Auto,
            measured: None,
            job: Job::Attacks { epsilons: vec![0.0, 0.1], lab_model: None },
        },
        ToWorker::Start {
            run: 9,
            backend: BackendChoice::Cpu,
            measured: None,
            job: Job::Attacks {
                epsilons: vec![0.1],
                lab_model: Some(LabModel {
                    size: 500,
                    weights: Checkpoint {
                        epoch: 3,
                        tensors: vec![TensorValues { shape: vec![1], values: vec![0.25] }],
                    },
                }),
            },
        },
        ToWorker::Attack { run: 8, image: 3, epsilon: 0.1, target: Some(7) },
        ToWorker::Pause { run: 3 },
        ToWorker::Resume { run: 3 },
        ToWorker::Stop { run: 3 },
        ToWorker::Probe { run: 3, image: vec![0.5; 4] },
        ToWorker::Crash,
        ToWorker::LoseGpu,
        ToWorker::ExhaustMemory,
    ];
    for m in to {
        assert_eq!(ToWorker::from_json(&m.to_json()).unwrap(), m);
    }
    let info =
        BackendInfo { kind: BackendKind::Cpu, name: "CPU".into(), note: Some("no adapter".into()), measured: None };
    let from = vec![
        FromWorker::Ready,
        FromWorker::Idle,
        FromWorker::Gpu { adapter: None, reason: Some("requestAdapter returned null".into()) },
        FromWorker::Backend { run: 1, info },
        FromWorker::Status { run: 1, text: "compiling GPU kernels".into() },
        FromWorker::Progress { run: 1, epoch: 2, batch: 3, batches: 200, batches_per_s: Some(41.5) },
        FromWorker::Epoch {
            run: 1,
            record: record(),
            kernels: Kernels { shape: [2, 1, 1, 1], weights: vec![0.1, -0.2], biases: vec![0.0, 1.0] },
        },
        FromWorker::Done {
            run: 1,
            summary: RunSummary {
                epochs_trained: 4,
                stop: StopReason::EarlyStop { improvement: 1e-5, stop_thr: 1e-4 },
                train_seconds: 3.0,
                parameters: 442,
            },
        },
        FromWorker::Checkpoint {
            run: 1,
            checkpoint: Checkpoint {
                epoch: 2,
                tensors: vec![TensorValues { shape: vec![1, 2], values: vec![1.0, 2.0] }],
            },
        },
        FromWorker::Sweep {
            run: 1,
            sweep: ShiftSweep { grids: vec![SweepGrid { class: 0, rows: 1, cols: 2, p_true: vec![0.9, 0.8] }] },
        },
        FromWorker::Probe { run: 1, maps: vec![0.0; 8], map_shape: [2, 2, 2], probs: vec![0.3, 0.7] },
        FromWorker::Error { run: None, message: "boom".into() },
        FromWorker::DogData { run: 5, info: crate::data::dogs::tests_support::info() },
        FromWorker::DogsProgress { done: 3, total: 9 },
        FromWorker::DogLoadFailed {
            message: "no dogs.csv".into(),
            report: LoadReport { problems: vec!["line 2, a.jpg: missing".into()], ..LoadReport::default() },
        },
        FromWorker::Gallery { class: 1, page: 0, pages: 4, indices: vec![3, 9], images: vec![7; 6] },
        FromWorker::Layers { run: 6, layers: crate::net::NetConfig::dog_mlp().shape_table().unwrap() },
        FromWorker::Tested {
            run: 6,
            loss: 1.5,
            accuracy: 41.0,
            evaluation: Some(Evaluation::new(
                &[0.9, 0.1, 0.4, 0.6],
                &[0, 1],
                &[0, 0],
                &["beagle".into(), "poodle".into()],
            )),
        },
        FromWorker::Result {
            run: 7,
            result: LabResult::Xor {
                linear: XorRun {
                    activation: crate::labs::xor::Activation::Linear,
                    losses: vec![0.7, 0.69],
                    outputs: vec![0.5; 4],
                    accuracy: 50.0,
                    grid: vec![0.5; 4],
                    collapsed: Some(crate::labs::xor::Affine {
                        inputs: 2,
                        outputs: 2,
                        w: vec![1.0; 4],
                        b: vec![0.0; 2],
                    }),
                },
                relu: XorRun {
                    activation: crate::labs::xor::Activation::Relu,
                    losses: vec![0.7, 0.1],
                    outputs: vec![0.1, 0.9, 0.9, 0.1],
                    accuracy: 100.0,
                    grid: vec![0.5; 4],
                    collapsed: None,
                },
            },
        },
        FromWorker::AttacksReady {
            run: 8,
            model: "the MNIST lab's model (N = 2000)".into(),
            epsilons: vec![0.0, 0.1],
            accuracies: vec![90.0, 30.0],
            samples: vec![crate::labs::adversarial::Sample { index: 4, label: 0, pixels: vec![0.0; 784] }],
        },
        FromWorker::Attacked {
            run: 8,
            image: 4,
            label: 0,
            target: None,
            epsilon: 0.1,
            attack: Attack::new(&[0.5; 4], vec![0.6; 4], vec![0.9, 0.1], vec![0.2, 0.8], 1, Some(0.05)),
        },
        FromWorker::Crashed { message: "wasm trap".into() },
        FromWorker::EngineProgress { loaded: 1_000, total: 1_250_000, elapsed_ms: 40, cpu_engine: Some(1_150_000) },
        FromWorker::Paused { run: 2, paused: true },
        FromWorker::DataProgress { run: 2, loaded: 10, total: 20, cached_files: 1, files: 7 },
        FromWorker::SizeEpoch { run: 2, size: 500, record: record() },
        FromWorker::SizeDone {
            run: 2,
            result: SizeResult {
                size: 500,
                losses: vec![2.3, 1.0],
                train_seconds: 1.5,
                test_acc: 85.0,
                test_loss: 0.5,
                epochs_trained: 2,
                evaluation: None,
            },
            checkpoint: None,
        },
    ];
    for m in from {
        assert_eq!(FromWorker::from_json(&m.to_json()).unwrap(), m);
    }
}

/// The worker's loader script writes this JSON by hand (public/worker_loader.js).
#[test]
fn the_loader_scripts_crash_message_parses() {
    let m = FromWorker::from_json(r#"{"Crashed":{"message":"could not load"}}"#).unwrap();
    assert_eq!(m, FromWorker::Crashed { message: "could not load".into() });
    let m = FromWorker::from_json(r#"{"EngineProgress":{"loaded":12000,"total":1254832}}"#).unwrap();
    assert_eq!(m, FromWorker::EngineProgress { loaded: 12_000, total: 1_254_832, elapsed_ms: 0, cpu_engine: None });
    let m = FromWorker::from_json(
        r#"{"EngineProgress":{"loaded":52000,"total":6100000,"elapsed_ms":260,"cpu_engine":1150000}}"#,
    )
    .unwrap();
    assert_eq!(
        m,
        FromWorker::EngineProgress { loaded: 52_000, total: 6_100_000, elapsed_ms: 260, cpu_engine: Some(1_150_000) }
    );
    // And the worker's allocator's out-of-memory note (src/web/worker/memory.rs).
    let m = FromWorker::from_json(
        r#"{"Crashed":{"message":"the training worker ran out of memory (it asked for 64 MB more with 4050 MB in use)"}}"#,
    );
    assert!(matches!(m, Ok(FromWorker::Crashed { message }) if message.starts_with(crate::run::OUT_OF_MEMORY)));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(ToWorker::from_json("{\"Train\":{}}").is_err());
    assert!(FromWorker::from_json("not json").is_err());
}

#[test]
fn kernels_index_by_output_and_input_channel() {
    let k = Kernels { shape: [2, 1, 2, 2], weights: (0..8).map(|v| v as f32).collect(), biases: vec![0.0; 2] };
    assert_eq!(k.kernel(1, 0), &[4.0, 5.0, 6.0, 7.0]);
}

#[test]
fn a_diverged_run_names_the_likely_cause() {
    let text = StopReason::Diverged { epoch: 2, lr: 5.0 }.describe();
    assert!(text.contains("learning rate 5"), "{text}");
}
