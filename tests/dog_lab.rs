//! The DogSet networks train end to end on a small DogSet-shaped set, stop early as
//! configured and are tested once.

use burn::prelude::*;
use nnlab::data::dogs::{DogSplits, IMAGE_SHAPE};
use nnlab::data::shards::Shard;
use nnlab::labs::dogs::engine::{layer_table, look_inside, run_dogs};
use nnlab::labs::dogs::{DogLab, DogModel};
use nnlab::model::Init;
use nnlab::run::StopReason;
use nnlab::train::DeviceData;
use nnlab::train::Event;
use nnlab::train::native::{NativeDriver, block_on};
use rand::{RngExt, SeedableRng, rngs::StdRng};

/// Two classes told apart by the red channel's brightness, with noise in it.
fn splits() -> DogSplits {
    let mut rng = StdRng::seed_from_u64(5);
    let mut shard = |n: usize| {
        let labels: Vec<u8> = (0..n).map(|i| (i % 2) as u8).collect();
        let images = labels
            .iter()
            .flat_map(|&l| {
                let red = if l == 0 { 60 } else { 190 };
                (0..64 * 64).flat_map(|_| [red + rng.random_range(0..40), 90, 128]).collect::<Vec<u8>>()
            })
            .collect();
        Shard { images, labels, image_shape: IMAGE_SHAPE }
    };
    DogSplits { splits: [shard(40), shard(20), shard(10)], class_names: vec!["dark".into(), "bright".into()] }
}

fn lab(model: DogModel, epochs: usize, stop_thr: Option<f64>) -> DogLab {
    let mut lab = DogLab::homework(model);
    lab.train.epochs = epochs;
    lab.train.stop_thr = stop_thr;
    lab.train.lr = 1e-3;
    lab
}

#[test]
fn the_mlp_learns_and_is_tested_once_after_training() {
    let device = Device::flex().autodiff();
    let lab = lab(DogModel::Mlp, 3, None);
    let mut layers = vec![];
    let mut epochs = 0;
    let run =
        block_on(run_dogs(&lab, &splits(), None, &device, &mut NativeDriver::default(), |l| layers = l, &mut |e| {
            epochs += matches!(e, Event::Epoch { .. }) as usize
        }))
        .unwrap();
    assert_eq!((epochs, run.record.summary.stop.clone()), (3, StopReason::Completed));
    assert_eq!(run.record.summary.parameters, 1_581_898);
    assert_eq!(layers.iter().map(|r| r.weights).sum::<usize>(), 1_581_696);
    let (test_loss, test_acc) = run.test.unwrap();
    assert!(test_loss.is_finite());
    assert_eq!(test_acc, 100.0, "the classes differ by 130 levels of red");
    let e = run.evaluation.expect("a tested run has its confusion matrix");
    assert_eq!(e.confusion.accuracy(), test_acc);
    assert_eq!(e.confusion.total() as usize, splits().splits[2].len());
    assert!(e.mistakes.is_empty());
    assert!(run.record.epochs.iter().all(|e| e.valid_loss.is_some() && e.valid_acc.is_some()));
}

#[test]
fn a_large_threshold_stops_the_cnn_after_its_second_epoch() {
    let device = Device::flex().autodiff();
    let lab = lab(DogModel::Cnn { convs: [(5, 1), (3, 2)] }, 10, Some(1e6));
    let run =
        block_on(run_dogs(&lab, &splits(), None, &device, &mut NativeDriver::default(), |_| {}, &mut |_| {})).unwrap();
    assert_eq!(run.record.epochs.len(), 2);
    assert!(matches!(run.record.summary.stop, StopReason::EarlyStop { stop_thr, .. } if stop_thr == 1e6));
    assert!(run.test.is_some());
    let table = layer_table(&lab, &device).unwrap();
    assert_eq!(table, lab.net().shape_table().unwrap());
}

#[test]
fn a_resumed_run_of_either_network_matches_an_uninterrupted_one() {
    for model in [DogModel::Cnn { convs: [(9, 3), (3, 1)] }, DogModel::Mlp] {
        resumed_matches_uninterrupted(lab(model, 3, None));
    }
}

fn resumed_matches_uninterrupted(lab: DogLab) {
    let device = Device::flex().autodiff();
    let data = splits();
    let mut events = vec![];
    let whole =
        block_on(run_dogs(&lab, &data, None, &device, &mut NativeDriver::default(), |_| {}, &mut |e| events.push(e)))
            .unwrap();
    let checkpoint = events
        .iter()
        .find_map(|e| match e {
            Event::Checkpoint(c) if c.epoch == 2 => Some(c.clone()),
            _ => None,
        })
        .expect("both networks checkpoint every epoch");
    let resume = Some((checkpoint, whole.record.epochs[..2].to_vec()));
    let resumed =
        block_on(run_dogs(&lab, &data, resume, &device, &mut NativeDriver::default(), |_| {}, &mut |_| {})).unwrap();
    let losses =
        |r: &nnlab::train::RunRecord| r.epochs.iter().map(|e| (e.train_loss, e.valid_loss)).collect::<Vec<_>>();
    assert_eq!(losses(&resumed.record), losses(&whole.record));
    assert_eq!(resumed.test, whole.test);
}

#[test]
fn a_look_inside_the_cnn_has_every_layer_of_the_layer_table_and_burns_own_first_maps() {
    // The device the worker trains on: autodiff over the CPU backend.
    let device = Device::flex().autodiff();
    let lab = lab(DogModel::Cnn { convs: [(5, 1); 2] }, 1, None);
    let net = lab.net().init(Init::PyTorch { seed: 3 }, &device).unwrap();
    let data = splits();
    let inside = block_on(look_inside(&net, &data, 4, &device)).unwrap();
    // The shapes of the maps and the flattened vector, as the layer table gives them.
    let table = layer_table(&lab, &device).unwrap();
    let traced: Vec<(String, Vec<usize>)> = inside.layers.iter().map(|(n, t)| (n.clone(), t.shape.clone())).collect();
    let expected: Vec<(String, Vec<usize>)> =
        table.iter().filter(|r| r.output_shape.len() == 4).map(|r| (r.layer.clone(), r.output_shape.clone())).collect();
    assert_eq!(traced, expected);
    assert_eq!(traced.len(), 4);
    assert_eq!(inside.shape(0)[0], 16);
    assert_eq!(inside.shape(2)[0], 32);
    let flat = table.iter().find(|r| r.layer == "flatten").unwrap();
    assert_eq!(inside.flat.len(), flat.output_shape[1]);
    assert!((inside.probs.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    assert_eq!(inside.kernels[1].shape, vec![32, 16, 5, 5]);
    assert_eq!(inside.title, "test image 4, a dark");
    // The first block's maps against burn's own convolution on the same standardised image.
    let one = Shard { images: data.splits[2].image(4).to_vec(), labels: vec![0], image_shape: IMAGE_SHAPE };
    let image = DeviceData::upload_bytes(&one, &data.standardise(), &device).slice(0, 1);
    let reference: Vec<f32> = net.first_layer_maps(image).into_data().try_to_vec().unwrap();
    let ours = &inside.layers[0].1.values;
    assert_eq!(ours.len(), reference.len());
    let worst = ours.iter().zip(&reference).map(|(a, b)| (a - b).abs() / b.abs().max(1.0)).fold(0.0, f32::max);
    assert!(worst < 1e-5, "largest difference {worst}");
}
