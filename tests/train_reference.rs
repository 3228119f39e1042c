//! The homework's framework (HOMEWORK section 0) against independently computed values.
//!
//! Expected numbers come from tests/reference/tiny_mlp.py: the same model, data and SGD
//! written out by hand in float64 Python with no libraries. burn computes in f32, hence the
//! 1e-5 relative tolerance.
#![cfg(feature = "engine")]

use burn::prelude::*;
use nnlab::config::TrainConfig;
use nnlab::data::Dataset;
use nnlab::model::{Init, Net, NetConfig};
use nnlab::run::StopReason;
use nnlab::train::native::{NativeDriver, block_on};
use nnlab::train::{DeviceData, Event, evaluate, evaluate_detailed, run_model, train_one_epoch};

const TRAIN_X: [[f32; 2]; 10] = [
    [0.5, 1.0],
    [-1.0, 0.25],
    [1.5, -0.5],
    [-0.75, -1.25],
    [0.2, 0.3],
    [-0.4, 0.9],
    [1.1, 1.2],
    [-1.3, 0.1],
    [0.6, -1.4],
    [-0.2, -0.3],
];
const VALID_X: [[f32; 2]; 4] = [[0.3, -0.1], [-0.6, -0.2], [0.9, 0.4], [-0.1, 0.7]];

/// Points labelled 1 when x0 + x1 > 0, as in the reference script.
fn points(xs: &[[f32; 2]]) -> Dataset {
    Dataset {
        images: xs.iter().flatten().copied().collect(),
        labels: xs.iter().map(|x| u8::from(x[0] + x[1] > 0.0)).collect(),
        shape: [1, 1, 2],
        class_names: vec!["0".into(), "1".into()],
    }
}

/// The course's test model: Linear(2,4) -> ReLU -> Linear(4,2), every weight `w`, biases 0.
fn tiny(w: f32, device: &Device) -> Net {
    NetConfig::mlp("tiny", [1, 1, 2], vec![4], 2).init(Init::Constant(w), device).unwrap()
}

fn config(lr: f64, epochs: usize) -> TrainConfig {
    TrainConfig { lr, batch_size: 1, epochs, stop_thr: None, shuffle: false, seed: 0 }
}

fn close(got: f64, expected: f64) -> bool {
    ((got - expected) / expected).abs() < 1e-5
}

/// The course's `evaluate` case: four points on which the test model's logits all tie.
fn all_ties() -> Dataset {
    Dataset {
        images: vec![1.0, 1.0, -1.0, 1.0, -1.0, -1.0, 1.0, -1.0],
        labels: vec![1, 0, 0, 0],
        shape: [1, 1, 2],
        class_names: vec!["0".into(), "1".into()],
    }
}

#[test]
fn evaluate_matches_the_course_reference() {
    // HOMEWORK section 0: loss 0.69314718, accuracy 25.0 (every logit ties; ties go to the last class).
    let device = Device::flex();
    let data = DeviceData::upload(&all_ties(), &device);
    let (loss, acc) = block_on(evaluate(&tiny(1.0, &device), &data, 4)).unwrap();
    assert!(close(loss, std::f64::consts::LN_2), "{loss}"); // the course's 0.69314718
    assert_eq!(acc, 25.0);
}

#[test]
fn the_detailed_evaluation_counts_the_same_predictions_as_evaluate() {
    // The course's all-ties case: every image predicted as the last class (1), so the matrix
    // is worked by hand: the one true 1 on the diagonal, the three true 0s taken for 1s.
    let device = Device::flex();
    let data = DeviceData::upload(&all_ties(), &device);
    let (loss, acc, e) = block_on(evaluate_detailed(&tiny(1.0, &device), &data, 3, &data_names())).unwrap();
    assert!(close(loss, std::f64::consts::LN_2), "{loss}");
    assert_eq!(e.confusion.counts, vec![vec![0, 3], vec![0, 1]]);
    assert_eq!((e.confusion.total(), e.confusion.accuracy()), (4, acc));
    assert_eq!(
        e.mistakes.iter().map(|m| (m.index, m.label, m.predicted)).collect::<Vec<_>>(),
        [(1, 0, 1), (2, 0, 1), (3, 0, 1)]
    );
    assert!(e.mistakes.iter().all(|m| m.confidence == 0.5));

    // A trained model on the line data: the matrix's sum is the set's size and its trace the accuracy.
    let device = device.autodiff();
    let train = DeviceData::upload(&points(&TRAIN_X), &device);
    let mut driver = NativeDriver::default();
    let (net, _) =
        block_on(run_model(tiny(0.3, &device), &train, None, &config(0.1, 3), &mut driver, &mut |_| {})).unwrap();
    let valid = DeviceData::upload(&points(&VALID_X), &device);
    let (_, acc) = block_on(evaluate(&net, &valid, 3)).unwrap();
    let (_, acc2, e) = block_on(evaluate_detailed(&net, &valid, 3, &data_names())).unwrap();
    assert_eq!(acc, acc2);
    assert_eq!(e.confusion.total(), 4);
    assert_eq!(e.confusion.accuracy(), acc);
}

fn data_names() -> Vec<String> {
    vec!["0".into(), "1".into()]
}

#[test]
fn train_one_epoch_matches_the_hand_written_reference() {
    let device = Device::flex().autodiff();
    let data = DeviceData::upload(&points(&TRAIN_X), &device);
    let mut optim = nnlab::kernels::Sgd;
    let order: Vec<usize> = (0..10).collect();
    let (_, stats) = block_on(train_one_epoch(
        tiny(0.001, &device),
        &mut optim,
        &data,
        &order,
        &config(0.1, 1),
        &mut NativeDriver::default(),
    ))
    .unwrap();
    let (loss, acc) = stats.unwrap();
    assert!(close(loss, 0.7166553777444946), "{loss}");
    assert_eq!(acc, 30.0);
}

#[test]
fn run_model_matches_the_hand_written_reference() {
    let device = Device::flex().autodiff();
    let train = DeviceData::upload(&points(&TRAIN_X), &device);
    let valid = DeviceData::upload(&points(&VALID_X), &device);
    let mut events = vec![];
    let (_, record) = block_on(run_model(
        tiny(0.5, &device),
        &train,
        Some(&valid),
        &config(1e-3, 5),
        &mut NativeDriver::default(),
        &mut |e| events.push(e),
    ))
    .unwrap();
    let expected_train =
        [0.6927828567469384, 0.6911127029549913, 0.6894573348453145, 0.6878164315895708, 0.6861896800909246];
    let expected_valid =
        [0.6916332218327483, 0.690134421918176, 0.6886504451644133, 0.6871809637645843, 0.6857256575559315];
    for (got, want) in record.train_loss().iter().zip(expected_train) {
        assert!(close(*got, want), "train {got} vs {want}");
    }
    for (got, want) in record.valid_loss().iter().zip(expected_valid) {
        assert!(close(*got, want), "valid {got} vs {want}");
    }
    assert_eq!(record.train_acc(), vec![50.0; 5]);
    assert_eq!(record.valid_acc(), vec![100.0; 5]);
    assert_eq!(record.summary.stop, StopReason::Completed);
    let epochs = events.iter().filter(|e| matches!(e, Event::Epoch { .. })).count();
    let progress = events.iter().filter(|e| matches!(e, Event::Progress { .. })).count();
    assert_eq!((epochs, progress), (5, 50), "one epoch event per epoch, one progress event per batch");
}

#[test]
fn run_model_without_a_valid_set_leaves_the_valid_lists_empty() {
    let device = Device::flex().autodiff();
    let train = DeviceData::upload(&points(&TRAIN_X), &device);
    let (_, record) = block_on(run_model(
        tiny(0.5, &device),
        &train,
        None,
        &config(1e-3, 2),
        &mut NativeDriver::default(),
        &mut |_| {},
    ))
    .unwrap();
    assert_eq!(record.train_loss().len(), 2);
    assert!(record.valid_loss().is_empty() && record.valid_acc().is_empty());
}

#[test]
fn early_stopping_when_the_validation_loss_improves_too_little() {
    let device = Device::flex().autodiff();
    let train = DeviceData::upload(&points(&TRAIN_X), &device);
    let valid = DeviceData::upload(&points(&VALID_X), &device);
    // Per the reference the validation loss improves by ~1.5e-3 per epoch: a threshold above
    // that stops after epoch 2, one below it never stops.
    let run = |thr| {
        let cfg = TrainConfig { stop_thr: Some(thr), ..config(1e-3, 5) };
        block_on(run_model(tiny(0.5, &device), &train, Some(&valid), &cfg, &mut NativeDriver::default(), &mut |_| {}))
            .unwrap()
            .1
    };
    let stopped = run(2e-3);
    assert_eq!(stopped.summary.epochs_trained, 2);
    let StopReason::EarlyStop { improvement, .. } = stopped.summary.stop else { panic!("{:?}", stopped.summary.stop) };
    // A difference of two f32 losses: compare absolutely.
    assert!((improvement - (0.6916332218327483 - 0.690134421918176)).abs() < 1e-6, "{improvement}");
    assert_eq!(run(1e-3).summary.epochs_trained, 5);
}

#[test]
fn a_stop_request_ends_the_run_within_one_batch() {
    let device = Device::flex().autodiff();
    let train = DeviceData::upload(&points(&TRAIN_X), &device);
    let mut driver = NativeDriver::stopping_after(23);
    let mut batches = 0;
    let (_, record) = block_on(run_model(tiny(0.5, &device), &train, None, &config(1e-3, 5), &mut driver, &mut |e| {
        if matches!(e, Event::Progress { .. }) {
            batches += 1;
        }
    }))
    .unwrap();
    assert_eq!(batches, 23);
    assert_eq!(record.summary.epochs_trained, 2);
    assert_eq!(record.summary.stop, StopReason::Cancelled);
}

#[test]
fn a_diverging_run_stops_and_says_why() {
    let device = Device::flex().autodiff();
    // Labels by quadrant parity (XOR): no line separates them, so the loss never reaches 0.
    let mut big = points(&TRAIN_X);
    big.labels = TRAIN_X.iter().map(|x| u8::from(x[0] * x[1] > 0.0)).collect();
    big.images.iter_mut().for_each(|v| *v *= 1e4);
    let train = DeviceData::upload(&big, &device);
    // Softmax regression (no hidden layer, so no ReLU can die and freeze it): one step of
    // lr 1e30 on inputs of 1e4 pushes the logits past f32's range.
    let linear = NetConfig::mlp("linear", [1, 1, 2], vec![], 2).init(Init::Constant(0.5), &device).unwrap();
    let (_, record) =
        block_on(run_model(linear, &train, None, &config(1e30, 5), &mut NativeDriver::default(), &mut |_| {})).unwrap();
    assert!(
        matches!(record.summary.stop, StopReason::Diverged { lr: 1e30, .. }),
        "{:?} {:?}",
        record.summary.stop,
        record.train_loss()
    );
    assert!(record.summary.epochs_trained < 5);
    assert!(record.epochs.iter().all(|e| e.train_loss.is_finite()), "no NaN record is kept");
}
