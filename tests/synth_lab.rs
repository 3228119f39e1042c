//! The synthetic-edges lab end to end on the CPU backend: it learns, it is reproducible, and
//! the shift sweep and probe describe the trained model.
#![cfg(feature = "engine")]

use burn::prelude::*;
use nnlab::labs::synth::SynthLab;
use nnlab::labs::synth::engine::{probe, run_synth, shift_sweep};
use nnlab::run::StopReason;
use nnlab::train::native::{NativeDriver, block_on};
use nnlab::train::{Event, RunRecord};

fn small_lab(seed: u64) -> SynthLab {
    let mut lab = SynthLab::homework();
    lab.train_size = 2_000;
    lab.valid_size = 400;
    lab.train.lr = 0.1;
    lab.train.epochs = 4;
    lab.train.seed = seed;
    lab
}

fn train(lab: &SynthLab, device: &Device) -> (nnlab::model::Net, RunRecord, Vec<Event>) {
    let mut events = vec![];
    let (net, record) =
        block_on(run_synth(lab, None, device, &mut NativeDriver::default(), &mut |e| events.push(e))).unwrap();
    (net, record, events)
}

#[test]
fn the_synth_cnn_learns_the_orientation_and_reports_kernels_every_epoch() {
    let device = Device::flex().autodiff();
    let (net, record, events) = train(&small_lab(1), &device);
    assert_eq!(record.summary.stop, StopReason::Completed);
    assert_eq!(record.summary.parameters, 442);
    let first = &record.epochs[0];
    let last = record.epochs.last().unwrap();
    assert!(last.train_loss < first.train_loss, "{:?}", record.train_loss());
    assert!(last.valid_acc.unwrap() > 75.0, "valid accuracy {:?}", record.valid_acc());
    let kernels: Vec<_> = events
        .iter()
        .filter_map(|e| if let Event::Epoch { kernels, .. } = e { kernels.clone() } else { None })
        .collect();
    assert_eq!(kernels.len(), 4);
    assert_eq!(kernels[0].shape, [2, 1, 5, 5]);
    assert_eq!((kernels[0].weights.len(), kernels[0].biases.len()), (50, 2));
    assert_ne!(kernels[0].weights, kernels[3].weights, "kernels change as the model learns");

    let sweep = block_on(shift_sweep(&net, &device)).unwrap();
    assert_eq!(sweep.grids.len(), 2);
    assert_eq!((sweep.grids[0].rows, sweep.grids[0].cols), (27, 17));
    assert_eq!(sweep.grids[0].p_true.len(), 27 * 17);
    let mean: f32 = sweep.grids.iter().flat_map(|g| &g.p_true).sum::<f32>() / (2.0 * 459.0);
    assert!(mean > 0.6, "a trained model puts the true class above chance: {mean}");

    let image = nnlab::data::synthetic::render(
        nnlab::data::synthetic::Bar::centred(nnlab::data::synthetic::Orientation::Vertical),
        0,
    );
    let (maps, shape, probs) = block_on(probe(&net, image, &device)).unwrap();
    assert_eq!(shape, [2, 24, 24]);
    assert_eq!(maps.len(), 2 * 24 * 24);
    assert!(maps.iter().all(|&v| v >= 0.0), "maps are after ReLU");
    assert!((probs.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let device = Device::flex().autodiff();
    let mut lab = small_lab(7);
    lab.train.epochs = 2;
    let (_, a, _) = train(&lab, &device);
    let (_, b, _) = train(&lab, &device);
    assert_eq!(a.train_loss(), b.train_loss());
    assert_eq!(a.valid_acc(), b.valid_acc());
    lab.train.seed = 8;
    let (_, c, _) = train(&lab, &device);
    assert_ne!(a.train_loss(), c.train_loss());
}

/// A run stopped after epoch 2 and resumed from its checkpoint gives the very records of an
/// uninterrupted run (HOMEWORK runs must survive a closed tab).
#[test]
fn a_resumed_run_matches_an_uninterrupted_one() {
    let device = Device::flex().autodiff();
    let lab = small_lab(3);
    let (_, whole, events) = train(&lab, &device);
    let checkpoints: Vec<_> =
        events.iter().filter_map(|e| if let Event::Checkpoint(c) = e { Some(c.clone()) } else { None }).collect();
    assert_eq!(checkpoints.iter().map(|c| c.epoch).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(checkpoints[0].tensors.iter().map(|t| t.values.len()).sum::<usize>(), 442);

    let resume = Some((checkpoints[1].clone(), whole.epochs[..2].to_vec()));
    let mut later = vec![];
    let (_, resumed) =
        block_on(run_synth(&lab, resume, &device, &mut NativeDriver::default(), &mut |e| later.push(e))).unwrap();
    let losses =
        |r: &RunRecord| r.epochs.iter().map(|e| (e.epoch, e.train_loss, e.valid_loss, e.valid_acc)).collect::<Vec<_>>();
    assert_eq!(losses(&resumed), losses(&whole));
    assert_eq!(later.iter().filter(|e| matches!(e, Event::Epoch { .. })).count(), 2, "only epochs 3 and 4 run again");
    assert_eq!(resumed.summary.epochs_trained, 4);

    let mut wrong = checkpoints[1].clone();
    wrong.tensors.pop();
    let err = block_on(run_synth(
        &lab,
        Some((wrong, whole.epochs[..2].to_vec())),
        &device,
        &mut NativeDriver::default(),
        &mut |_| {},
    ));
    assert!(err.unwrap_err().to_string().contains("fewer tensors"));
}
