//! HOMEWORK sections 3 and 5: the fully connected and the convolutional network on the
//! DogSet (or its stand-in), with early stopping on the validation loss and one test
//! evaluation after training.

use burn::prelude::*;

use crate::activations::Activations;
use crate::confusion::{Evaluation, PickVerdict};
use crate::data::dogs::DogSplits;
use crate::data::shards::Shard;
use crate::labs::dogs::DogLab;
use crate::metrics::format_count;
use crate::model::{Init, LayerRow, Net, NoPixels};
use crate::plot::bytes_rgba;
use crate::run::{Checkpoint, EpochRecord};
use crate::train::parallel::{Alone, Exchange};
use crate::train::{
    DeviceData, Driver, EVAL_BATCH, Event, MEASURE_MAX_BATCHES, Resume, RunRecord, TrainError, evaluate_detailed,
    examples_per_second, layer_outputs, per_example, resumed, run_model_shared,
};

/// A finished DogSet run.
#[derive(Clone, Debug)]
pub struct DogRun {
    pub net: Net,
    pub record: RunRecord,
    /// Test loss and accuracy (percent), evaluated once after training; `None` when the run
    /// was stopped before its first epoch ended.
    pub test: Option<(f64, f64)>,
    /// The test set's confusion matrix and most confident mistakes, with `test`.
    pub evaluation: Option<Evaluation>,
}

/// The trained network's verdict on the training images the student marked as hard: each
/// one's prediction, probability of its true class and rank by loss among all the training
/// images (one pass over them, one readback).
pub async fn judge_picks(
    net: &Net,
    data: &DogSplits,
    picks: &[usize],
    device: &Device,
) -> Result<Vec<PickVerdict>, TrainError> {
    let train = DeviceData::upload_bytes(data.train(), &data.standardise(), device);
    let all = per_example(net, &train, EVAL_BATCH).await?;
    let mut verdicts = PickVerdict::judge(&all.losses, &all.probs, &all.predicted, &all.labels, picks);
    for v in &mut verdicts {
        v.pixels = data.train().image(v.index).to_vec();
    }
    Ok(verdicts)
}

/// Every layer's output of the trained CNN for test image `index`, standardised as in training.
pub async fn look_inside(
    net: &Net,
    data: &DogSplits,
    index: usize,
    device: &Device,
) -> Result<Activations, TrainError> {
    let test = &data.splits[2];
    let index = index.min(test.len().saturating_sub(1));
    let one =
        Shard { images: test.image(index).to_vec(), labels: vec![test.labels[index]], image_shape: test.image_shape };
    let image = DeviceData::upload_bytes(&one, &data.standardise(), device).slice(0, 1); // [1, 64, 64, 3]
    let out = layer_outputs(net, image).await?;
    let [h, w, c] = test.image_shape;
    let class = data.class_names.get(test.labels[index] as usize).cloned().unwrap_or_default();
    Ok(Activations {
        title: format!("test image {}, a {class}", format_count(index)),
        rgba: bytes_rgba(&one.images, c),
        image_size: [h, w],
        layers: out.maps,
        flat: out.flat,
        probs: out.probs,
        names: data.class_names.clone(),
        kernels: out.kernels,
    })
}

/// The layer table of the network `lab` builds, from a forward pass of the built model.
pub fn layer_table(lab: &DogLab, device: &Device) -> Result<Vec<LayerRow>, NoPixels> {
    let config = lab.net();
    Ok(config.init(Init::Constant(0.0), device)?.layer_table(config.input, device))
}

/// Uploads the partitions as bytes (standardised per batch with the train partition's
/// statistics), trains a fresh network with early stopping, then tests it once.
/// `on_layers` gets the built model's layer table before the first batch.
pub async fn run_dogs(
    lab: &DogLab,
    data: &DogSplits,
    resume: Option<(Checkpoint, Vec<EpochRecord>)>,
    device: &Device,
    driver: &mut impl Driver,
    on_layers: impl FnOnce(Vec<LayerRow>),
    on_event: &mut impl FnMut(Event),
) -> Result<DogRun, TrainError> {
    run_dogs_shared(lab, data, resume, &mut Alone, device, driver, on_layers, on_event).await
}

/// Automatic's measurement on `device`: the lab's network on the first training images, timed
/// at learning rate 0 ([`examples_per_second`] times at most [`MEASURE_MAX_BATCHES`]; only
/// those are uploaded, not the whole split a second time).
pub async fn speed(
    lab: &DogLab,
    data: &DogSplits,
    device: &Device,
    driver: &mut impl Driver,
) -> Result<Option<f64>, TrainError> {
    let net = lab.net().init(Init::PyTorch { seed: lab.train.seed }, device)?;
    let first = data.splits[0].first(MEASURE_MAX_BATCHES * lab.train.batch_size.max(1));
    let train = DeviceData::upload_bytes(&first, &data.standardise(), device);
    examples_per_second(net, &train, &lab.train, driver).await
}

/// [`run_dogs`] as one share of a data-parallel run (`train::parallel`): the leader reports
/// and tests; the others only train their rows of each batch (`test` is `None` for them).
#[allow(clippy::too_many_arguments)]
pub async fn run_dogs_shared(
    lab: &DogLab,
    data: &DogSplits,
    resume: Option<(Checkpoint, Vec<EpochRecord>)>,
    exchange: &mut impl Exchange,
    device: &Device,
    driver: &mut impl Driver,
    on_layers: impl FnOnce(Vec<LayerRow>),
    on_event: &mut impl FnMut(Event),
) -> Result<DogRun, TrainError> {
    let leader = exchange.share().is_leader();
    let config = lab.net();
    let net = config.init(Init::PyTorch { seed: lab.train.seed }, device)?;
    on_layers(net.layer_table(config.input, device));
    let (net, prior) = resumed(net, resume, device)?;
    // Both networks' parameters are saved every epoch so an interrupted run resumes: 0.27 MB
    // for the CNN, 6.3 MB for the fully connected net (a save per epoch of 15 s or more).
    let resume = Resume { prior, checkpoints: true };
    let standardise = data.standardise();
    let [train, valid, test] = data.splits.each_ref().map(|s| DeviceData::upload_bytes(s, &standardise, device));
    let (net, record) =
        run_model_shared(net, &train, Some(&valid), &lab.train, resume, exchange, driver, on_event).await?;
    let (test, evaluation) = if record.epochs.is_empty() || !leader {
        (None, None)
    } else {
        let (loss, acc, evaluation) = evaluate_detailed(&net, &test, EVAL_BATCH, &data.class_names).await?;
        let shard = &data.splits[2];
        (Some((loss, acc)), Some(evaluation.with_images(shard.image_shape, |i| shard.image(i).to_vec())))
    };
    Ok(DogRun { net, record, test, evaluation })
}
