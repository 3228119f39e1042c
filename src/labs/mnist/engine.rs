//! HOMEWORK section 1: training time and test accuracy against training-set size, one fresh
//! MNIST MLP per size, and the extrapolation of the time to the full 60,000 examples.

use burn::prelude::*;

use super::MnistLab;
use super::scaling::SizeResult;
use crate::config::TrainConfig;
use crate::data::Dataset;
use crate::data::sample::{SampleError, balanced};
use crate::data::shards::Shard;
use crate::model::{Init, NetConfig};
use crate::train::{
    DeviceData, Driver, Event, MEASURE_MAX_BATCHES, TrainError, evaluate_detailed, examples_per_second,
    read_checkpoint, run_model,
};

#[derive(Debug, thiserror::Error)]
pub enum MnistError {
    #[error("{0}")]
    Sample(#[from] SampleError),
    #[error("{0}")]
    Train(#[from] TrainError),
}

/// Automatic's measurement on `device`: the MLP on the first training examples, timed at
/// learning rate 0 ([`examples_per_second`]).
pub async fn speed(
    lab: &MnistLab,
    train: &Shard,
    class_names: &[String],
    device: &Device,
    driver: &mut impl Driver,
) -> Result<Option<f64>, TrainError> {
    let first: Vec<usize> = (0..train.len().min(MEASURE_MAX_BATCHES * lab.train.batch_size.max(1))).collect();
    let data = DeviceData::upload(&Dataset::from_shard(train, class_names, Some(&first)), device);
    let net = NetConfig::mnist_mlp().init(Init::PyTorch { seed: lab.seed }, device).expect("the MLP fits MNIST");
    examples_per_second(net, &data, &lab.train, driver).await
}

/// Trains one MLP per size of `lab.sizes` on balanced samples of `train` and tests each on a
/// balanced sample of `test`. `on_event` receives each size's events.
pub async fn run_scaling(
    lab: &MnistLab,
    train: &Shard,
    test: &Shard,
    class_names: &[String],
    device: &Device,
    driver: &mut impl Driver,
    on_event: &mut impl FnMut(usize, Event),
) -> Result<Vec<SizeResult>, MnistError> {
    let test_idx = balanced(&test.labels, class_names.len(), lab.test_size, lab.seed)?;
    let test_data = DeviceData::upload(&Dataset::from_shard(test, class_names, Some(&test_idx)), device);
    let mut results = vec![];
    for &size in &lab.sizes {
        // The whole split as it is (MNIST's digits are not quite balanced: 5421 fives), else a
        // balanced sample.
        let idx =
            if size >= train.len() { None } else { Some(balanced(&train.labels, class_names.len(), size, lab.seed)?) };
        let data = DeviceData::upload(&Dataset::from_shard(train, class_names, idx.as_deref()), device);
        let net = NetConfig::mnist_mlp().init(Init::PyTorch { seed: lab.seed }, device).expect("the MLP fits MNIST");
        let config = TrainConfig { seed: lab.seed, ..lab.train.clone() };
        let (net, record) = run_model(net, &data, None, &config, driver, &mut |e| on_event(size, e)).await?;
        if record.epochs.is_empty() {
            break; // stopped before one epoch finished
        }
        let (test_loss, test_acc, evaluation) = evaluate_detailed(&net, &test_data, 1000, class_names).await?;
        let evaluation = evaluation.with_images(test.image_shape, |i| test.image(test_idx[i]).to_vec());
        // The final weights, kept with the saved run (109,386 numbers, read back once).
        on_event(size, Event::Checkpoint(read_checkpoint(&net, record.epochs.len()).await?));
        results.push(SizeResult {
            size,
            losses: record.train_loss(),
            train_seconds: record.summary.train_seconds,
            test_acc,
            test_loss,
            epochs_trained: record.summary.epochs_trained,
            evaluation: Some(evaluation),
        });
        if record.summary.stop == crate::run::StopReason::Cancelled {
            break;
        }
    }
    Ok(results)
}
