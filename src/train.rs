//! The homework's framework (`run_model.py`, HOMEWORK section 0): `train_one_epoch`,
//! `evaluate` and `run_model`, written once for every backend.
//!
//! The functions are async because a browser can only read GPU results asynchronously. In the
//! hot loop nothing is read back: every example's logits stay on the device, and one
//! transaction per epoch computes the loss sum and correct count from them and brings those
//! (and the first-layer kernels) to the host. The loss's gradient is handed to autodiff in
//! closed form ([`loss`]).

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::Transaction;

use crate::config::TrainConfig;
use crate::data::batch_count;
use crate::kernels::Sgd;
use crate::model::Net;
use crate::run::{Checkpoint, EpochRecord, Kernels};

mod device_data;
mod evaluate;
mod first_layer;
mod loss;
pub mod parallel;
mod run_loop;
mod stats;

pub use device_data::DeviceData;
pub use evaluate::{LayerOutputs, PerExample, evaluate, evaluate_detailed, layer_outputs, per_example};
pub use loss::CrossEntropy;
use parallel::{Alone, Exchange};
pub use run_loop::{
    MEASURE_MAX_BATCHES, MEASURE_SECONDS, Resume, RunRecord, examples_per_second, read_checkpoint, resumed, run_model,
    run_model_from, run_model_shared, stop_rule,
};
pub use stats::predict;
use stats::{DeviceStats, finish};

/// Examples per batch when evaluating: larger than training batches, since no gradients are
/// kept, and the same for every run so results do not depend on the training batch size.
pub const EVAL_BATCH: usize = 250;

/// What the host does between batches.
pub trait Driver {
    /// Called before every batch. The worker yields to its event loop here, so Stop and
    /// Pause messages arrive within one batch, and waits while paused.
    fn checkpoint(&mut self) -> impl Future<Output = Flow>;
    /// Seconds since any fixed origin (the clock is the host's, so tests can pass their own).
    fn now(&self) -> f64;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// What a run reports as it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `batch` of `batches` of epoch `epoch` (from 1) has been queued.
    Progress { epoch: usize, batch: usize, batches: usize },
    /// An epoch finished; `kernels` are the first convolution's, if the model has one.
    Epoch { record: EpochRecord, kernels: Option<Kernels> },
    /// Every parameter after an epoch, when the run was asked for checkpoints.
    Checkpoint(Checkpoint),
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("reading results back from the device failed: {0}")]
    Readback(String),
    #[error(transparent)]
    Net(#[from] crate::net::NoPixels),
    #[error(transparent)]
    Checkpoint(#[from] crate::model::CheckpointError),
    #[error(transparent)]
    Sample(#[from] crate::data::sample::SampleError),
}

/// One pass over `order` with SGD, leaving the statistics (of this share's rows) on the
/// device. Returns `None` when the driver asked to stop or the exchange ended the run.
#[allow(clippy::too_many_arguments)]
async fn train_pass(
    mut model: Net,
    optim: &mut Sgd,
    data: &DeviceData,
    order: &[usize],
    config: &TrainConfig,
    epoch: usize,
    exchange: &mut impl Exchange,
    driver: &mut impl Driver,
    on_event: &mut impl FnMut(Event),
) -> Result<(Net, Option<DeviceStats>), TrainError> {
    let (batch_size, lr) = (config.batch_size, config.lr);
    let device = data.device();
    let loss = CrossEntropy::new(model.classes(), &device);
    let len = order.len();
    let order: Vec<i64> = order.iter().map(|&i| i as i64).collect();
    let batches = batch_count(len, batch_size);
    let share = exchange.share();
    // The targets of this share's rows, batch after batch, for the pass's statistics.
    let mine: Vec<i64> = (0..batches)
        .flat_map(|batch| {
            let start = batch * batch_size;
            share.rows(batch_size.min(len - start)).map(move |row| start + row)
        })
        .map(|i| order[i])
        .collect();
    let mut stats = DeviceStats::new(data.labels.clone().select(0, index_tensor(mine, &device)));
    let order = index_tensor(order, &device); // [len]
    for batch in 0..batches {
        if driver.checkpoint().await == Flow::Stop {
            exchange.finish();
            return Ok((model, None));
        }
        let start = batch * batch_size;
        let b = batch_size.min(len - start);
        let rows = share.rows(b);
        // This share's images `[rows, h, w, c]` and labels `[rows]`.
        let share_rows = (!rows.is_empty()).then(|| {
            let idx = order.clone().narrow(0, start + rows.start, rows.len()); // [rows]
            (data.select(idx.clone()), data.labels.clone().select(0, idx))
        });
        if share.count == 1 {
            let (images, targets) = share_rows.expect("one worker takes every row");
            let (next, logits) = batch_step(model, optim, images, targets, &loss, lr);
            stats.add(logits);
            model = next;
        } else {
            let grads = share_rows.map(|(images, targets)| {
                let logits = model.forward(images); // [rows, classes]
                stats.add(logits.clone());
                // The gradient of this share's part of the batch's mean loss.
                GradientsParams::from_grads(loss.gradients(logits, targets, b), &model)
            });
            let flat = match &grads {
                Some(grads) => parallel::flat_gradients(&model, grads).await?,
                None => vec![0.0; parallel::gradient_len(&model)],
            };
            let Some(sum) = exchange.all_reduce(flat).await else { return Ok((model, None)) };
            let grads = parallel::gradients_of(&model, &sum, &device);
            model = optim.step(lr, model, grads);
        }
        on_event(Event::Progress { epoch, batch: batch + 1, batches });
    }
    Ok((model, Some(stats)))
}

/// One worker's SGD step on a whole batch, of the mean cross-entropy `loss` against `targets`
/// `[rows]`: the model after it and the batch's logits `[rows, classes]`, left on the device.
/// An MLP on the CPU backend trains its first layer outside the autodiff graph
/// ([`first_layer`]); the update is the same to float rounding.
pub fn batch_step(
    model: Net,
    optim: &mut Sgd,
    images: Tensor<4>,
    targets: Tensor<1, Int>,
    loss: &CrossEntropy,
    lr: f64,
) -> (Net, Tensor<2>) {
    let b = targets.dims()[0];
    let (first, logits) = if first_layer::applies(&model, &images) {
        let (first, logits) = first_layer::Detached::forward(&model, images);
        (Some(first), logits)
    } else {
        (None, model.forward(images))
    };
    let mut grads = loss.gradients(logits.clone(), targets, b);
    let model = match first {
        Some(first) => first.step(model, &mut grads, lr),
        None => model,
    };
    let grads = GradientsParams::from_grads(grads, &model);
    (optim.step(lr, model, grads), logits)
}

/// A pass without weight updates, its statistics (and every example's logits) left on the
/// device.
fn evaluate_pass(model: &Net, data: &DeviceData, batch_size: usize) -> DeviceStats {
    let model = model.valid();
    let mut stats = DeviceStats::new(data.labels.clone());
    for start in (0..data.len).step_by(batch_size) {
        let end = (start + batch_size).min(data.len);
        stats.add(model.forward(data.slice(start, end - start)));
    }
    stats
}

/// Row indices `[n]` on `device`.
fn index_tensor(indices: Vec<i64>, device: &Device) -> Tensor<1, Int> {
    let n = indices.len();
    Tensor::from_data(TensorData::new(indices, [n]), device)
}

/// The homework's `train_one_epoch`: one SGD pass over `data` in the given order.
/// Returns the updated model, the mean loss over examples and the accuracy in percent, or
/// `None` in place of the statistics when the driver stopped it.
pub async fn train_one_epoch(
    model: Net,
    optim: &mut Sgd,
    data: &DeviceData,
    order: &[usize],
    config: &TrainConfig,
    driver: &mut impl Driver,
) -> Result<(Net, Option<(f64, f64)>), TrainError> {
    let (model, stats) = train_pass(model, optim, data, order, config, 1, &mut Alone, driver, &mut |_| {}).await?;
    let Some(stats) = stats else { return Ok((model, None)) };
    let n = stats.n;
    let read = read_all(stats.register(Transaction::default())).await?;
    Ok((model, Some(finish(&read[0], &read[1], n)?)))
}

async fn read_all(tx: Transaction) -> Result<Vec<TensorData>, TrainError> {
    tx.execute_async().await.map_err(|e| TrainError::Readback(format!("{e:?}")))
}

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
