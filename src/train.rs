//! The homework's framework (`run_model.py`, HOMEWORK section 0): `train_one_epoch`,
//! `evaluate` and `run_model`, written once for every backend.
//!
//! The functions are async because a browser can only read GPU results asynchronously. In the
//! hot loop nothing is read back: loss sums and correct counts accumulate on the device and
//! one transaction per epoch brings them (and the first-layer kernels) to the host.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::Transaction;

use crate::config::TrainConfig;
use crate::confusion::Evaluation;
use crate::data::{batch_count, epoch_order};
use crate::kernels::Sgd;
use crate::model::{CheckpointError, Net};
use crate::run::{Checkpoint, EpochRecord, Kernels, RunSummary, StopReason, TensorValues};

mod device_data;
mod first_layer;
pub mod parallel;
mod stats;

pub use device_data::DeviceData;
use parallel::{Alone, Exchange};
pub use stats::predict;
use stats::{DeviceStats, Sums, finish};

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
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let len = order.len();
    let order: Vec<i64> = order.iter().map(|&i| i as i64).collect();
    let order = Tensor::<1, Int>::from_data(TensorData::new(order, [len]), &device); // [len]
    let mut stats = DeviceStats::new(&device);
    let batches = batch_count(len, batch_size);
    let share = exchange.share();
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
            let (next, loss, logits) = batch_step(model, optim, images, targets.clone(), lr);
            stats.add(loss, logits, targets);
            model = next;
        } else {
            let grads = share_rows.map(|(images, targets)| {
                let logits = model.forward(images); // [rows, classes]
                let loss = loss_fn.forward(logits.clone(), targets.clone()); // [1], mean over the rows
                stats.add(loss.clone(), logits, targets);
                // This share's part of the batch's mean loss.
                let part = loss * (rows.len() as f32 / b as f32);
                GradientsParams::from_grads(part.backward(), &model)
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

/// One worker's SGD step on a whole batch: the model after it, the batch's mean loss `[1]` and
/// its logits `[rows, classes]`, both left on the device. An MLP on the CPU backend trains its
/// first layer outside the autodiff graph ([`first_layer`]); the update is the same to float
/// rounding.
pub fn batch_step(
    model: Net,
    optim: &mut Sgd,
    images: Tensor<4>,
    targets: Tensor<1, Int>,
    lr: f64,
) -> (Net, Tensor<1>, Tensor<2>) {
    let loss_fn = CrossEntropyLossConfig::new().init(&images.device());
    let (first, logits) = if first_layer::applies(&model, &images) {
        let (first, logits) = first_layer::Detached::forward(&model, images);
        (Some(first), logits)
    } else {
        (None, model.forward(images))
    };
    let loss = loss_fn.forward(logits.clone(), targets);
    let mut grads = loss.backward();
    let model = match first {
        Some(first) => first.step(model, &mut grads, lr),
        None => model,
    };
    let grads = GradientsParams::from_grads(grads, &model);
    (optim.step(lr, model, grads), loss, logits)
}

/// A pass without weight updates, statistics left on the device; `keep` sees each batch's
/// logits `[b, classes]`.
fn evaluate_pass(model: &Net, data: &DeviceData, batch_size: usize, mut keep: impl FnMut(Tensor<2>)) -> DeviceStats {
    let device = data.device();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let model = model.valid();
    let mut stats = DeviceStats::new(&device);
    for start in (0..data.len).step_by(batch_size) {
        let end = (start + batch_size).min(data.len);
        let images = data.slice(start, end - start); // [b, h, w, c]
        let targets = data.labels.clone().narrow(0, start, end - start); // [b]
        let logits = model.forward(images);
        let loss = loss_fn.forward(logits.clone(), targets.clone());
        keep(logits.clone());
        stats.add(loss, logits, targets);
    }
    stats
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

/// The homework's `evaluate` (and `run_model` in test mode): mean loss and accuracy, no update.
pub async fn evaluate(model: &Net, data: &DeviceData, batch_size: usize) -> Result<(f64, f64), TrainError> {
    let stats = evaluate_pass(model, data, batch_size, |_| {});
    let n = stats.n;
    let read = read_all(stats.register(Transaction::default())).await?;
    finish(&read[0], &read[1], n)
}

/// A test evaluation in full: the mean loss and accuracy of [`evaluate`], with the confusion
/// matrix and the most confident mistakes. The class probabilities `[n, classes]`, the
/// predictions (the rule [`evaluate`] counts with) and the labels come back in the same one
/// readback as the loss and correct count, so the matrix's trace is the reported accuracy.
pub async fn evaluate_detailed(
    model: &Net,
    data: &DeviceData,
    batch_size: usize,
    names: &[String],
) -> Result<(f64, f64, Evaluation), TrainError> {
    let (stats, logits) = all_logits(model, data, batch_size)?; // [n, classes]
    let n = stats.n;
    let tx = stats
        .register(Transaction::default())
        .register(burn::tensor::activation::softmax(logits.clone(), 1))
        .register(predict(logits))
        .register(data.labels.clone());
    let read = read_all(tx).await?;
    let (loss, acc) = finish(&read[0], &read[1], n)?;
    let probs = read_floats(&read[2])?;
    let (predicted, labels) = (read_indices(&read[3])?, read_indices(&read[4])?);
    Ok((loss, acc, Evaluation::new(&probs, &predicted, &labels, names)))
}

/// An evaluation pass that also keeps every batch's logits, joined: `[n, classes]`, on the device.
fn all_logits(model: &Net, data: &DeviceData, batch_size: usize) -> Result<(DeviceStats, Tensor<2>), TrainError> {
    let mut logits = vec![];
    let stats = evaluate_pass(model, data, batch_size, |l| logits.push(l));
    if logits.is_empty() {
        return Err(TrainError::Readback("the set to evaluate is empty".into()));
    }
    Ok((stats, Tensor::cat(logits, 0)))
}

/// Every example of `data` on its own, read back at once: its cross-entropy loss `[n]`, class
/// probabilities `[n, classes]` (row-major), prediction and label `[n]`.
pub async fn per_example(model: &Net, data: &DeviceData, batch_size: usize) -> Result<PerExample, TrainError> {
    let (_, logits) = all_logits(model, data, batch_size)?; // [n, classes]
    let n = logits.dims()[0];
    let targets = data.labels.clone().reshape([n, 1]); // [n, 1]
    let losses = burn::tensor::activation::log_softmax(logits.clone(), 1).gather(1, targets).neg().reshape([n]); // [n]
    let tx = Transaction::default()
        .register(losses)
        .register(burn::tensor::activation::softmax(logits.clone(), 1))
        .register(predict(logits))
        .register(data.labels.clone());
    let read = read_all(tx).await?;
    Ok(PerExample {
        losses: read_floats(&read[0])?,
        probs: read_floats(&read[1])?,
        predicted: read_indices(&read[2])?,
        labels: read_indices(&read[3])?,
    })
}

/// One image through the trained network, read back at once: each conv block's maps after ReLU
/// and after pooling, the flattened vector, the class probabilities and each conv's weight.
pub async fn layer_outputs(net: &Net, image: Tensor<4>) -> Result<LayerOutputs, TrainError> {
    let (maps, flat, logits) = net.valid().activations(image); // [1, c, h, w]..., [1, n], [1, classes]
    let names: Vec<String> = maps.iter().map(|(name, _)| name.clone()).collect();
    let shapes: Vec<Vec<usize>> = maps.iter().map(|(_, m)| m.dims().to_vec()).collect();
    // The weights as the trained model holds them: on an autodiff device a transaction takes
    // only tensors of that device's kind, as the outputs above are.
    let weights: Vec<Tensor<4>> = net.convs.iter().map(|c| c.weight.val()).collect();
    let weight_shapes: Vec<Vec<usize>> = weights.iter().map(|w| w.dims().to_vec()).collect();
    let mut tx = Transaction::default().register(flat).register(burn::tensor::activation::softmax(logits, 1));
    for (_, m) in maps {
        tx = tx.register(m);
    }
    for w in weights {
        tx = tx.register(w);
    }
    let read = read_all(tx).await?;
    let values =
        |i: usize, shape: Vec<usize>| Ok::<_, TrainError>(TensorValues { shape, values: read_floats(&read[i])? });
    let maps = names.into_iter().zip(shapes).enumerate().map(|(i, (name, shape))| Ok((name, values(2 + i, shape)?)));
    let maps = maps.collect::<Result<Vec<_>, TrainError>>()?;
    let first_weight = 2 + maps.len();
    let kernels = weight_shapes.into_iter().enumerate().map(|(i, shape)| values(first_weight + i, shape));
    Ok(LayerOutputs {
        maps,
        flat: read_floats(&read[0])?,
        probs: read_floats(&read[1])?,
        kernels: kernels.collect::<Result<_, _>>()?,
    })
}

/// What [`layer_outputs`] reads back.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerOutputs {
    pub maps: Vec<(String, TensorValues)>,
    pub flat: Vec<f32>,
    pub probs: Vec<f32>,
    pub kernels: Vec<TensorValues>,
}

/// What [`per_example`] reads back.
#[derive(Clone, Debug, PartialEq)]
pub struct PerExample {
    pub losses: Vec<f32>,
    pub probs: Vec<f32>,
    pub predicted: Vec<usize>,
    pub labels: Vec<usize>,
}

fn read_floats(data: &TensorData) -> Result<Vec<f32>, TrainError> {
    data.try_to_vec::<f32>().map_err(|e| TrainError::Readback(format!("{e:?}")))
}

/// Class indices read back from an Int tensor, whichever integer width the backend uses.
fn read_indices(data: &TensorData) -> Result<Vec<usize>, TrainError> {
    let wide = data.try_to_vec::<i64>().map(|v| v.into_iter().map(|i| i as usize).collect());
    wide.or_else(|_| data.try_to_vec::<i32>().map(|v| v.into_iter().map(|i| i as usize).collect()))
        .map_err(|e| TrainError::Readback(format!("{e:?}")))
}

async fn read_all(tx: Transaction) -> Result<Vec<TensorData>, TrainError> {
    tx.execute_async().await.map_err(|e| TrainError::Readback(format!("{e:?}")))
}

/// The homework's per-epoch lists (`loss{train, valid}`, `acc{train, valid}`) and how the
/// run ended.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub epochs: Vec<EpochRecord>,
    pub summary: RunSummary,
}

impl RunRecord {
    pub fn train_loss(&self) -> Vec<f64> {
        self.epochs.iter().map(|e| e.train_loss).collect()
    }
    pub fn valid_loss(&self) -> Vec<f64> {
        self.epochs.iter().filter_map(|e| e.valid_loss).collect()
    }
    pub fn train_acc(&self) -> Vec<f64> {
        self.epochs.iter().map(|e| e.train_acc).collect()
    }
    pub fn valid_acc(&self) -> Vec<f64> {
        self.epochs.iter().filter_map(|e| e.valid_acc).collect()
    }
}

/// The homework's `run_model` in train mode: SGD for up to `config.epochs` epochs, stopping
/// early when the validation loss improves by less than `config.stop_thr`, when the loss
/// diverges, or when the driver says stop. Reads back from the device once per epoch.
pub async fn run_model(
    model: Net,
    train: &DeviceData,
    valid: Option<&DeviceData>,
    config: &TrainConfig,
    driver: &mut impl Driver,
    on_event: &mut impl FnMut(Event),
) -> Result<(Net, RunRecord), TrainError> {
    run_model_from(model, train, valid, config, Resume::default(), driver, on_event).await
}

/// Where a run starts: after the epochs of `prior` (their records count towards early
/// stopping and the training time), and whether to emit a [`Event::Checkpoint`] each epoch.
#[derive(Clone, Debug, Default)]
pub struct Resume {
    pub prior: Vec<EpochRecord>,
    pub checkpoints: bool,
}

/// `net` with a saved run's parameters, and the epochs recorded before them; a fresh `net`
/// without a resume. A checkpoint must be of the last recorded epoch.
pub fn resumed(
    net: Net,
    resume: Option<(Checkpoint, Vec<EpochRecord>)>,
    device: &Device,
) -> Result<(Net, Vec<EpochRecord>), TrainError> {
    match resume {
        None => Ok((net, vec![])),
        Some((checkpoint, prior)) if checkpoint.epoch == prior.len() => {
            Ok((net.with_parameters(&checkpoint.tensors, device)?, prior))
        }
        Some((checkpoint, prior)) => {
            Err(CheckpointError::Epoch { checkpoint: checkpoint.epoch, recorded: prior.len() }.into())
        }
    }
}

/// [`run_model`] continued after `resume.prior` with `model` holding the parameters those
/// epochs left. SGD keeps no state between steps and every epoch's shuffle comes from
/// (seed, epoch), so a resumed run gives exactly the records of an uninterrupted one.
pub async fn run_model_from(
    model: Net,
    train: &DeviceData,
    valid: Option<&DeviceData>,
    config: &TrainConfig,
    resume: Resume,
    driver: &mut impl Driver,
    on_event: &mut impl FnMut(Event),
) -> Result<(Net, RunRecord), TrainError> {
    run_model_shared(model, train, valid, config, resume, &mut Alone, driver, on_event).await
}

/// [`run_model_from`] as one share of a data-parallel run ([`parallel`]). Every share trains
/// on its rows of each batch and gets the same summed gradient; the leader (share 0) also
/// evaluates, reads checkpoints back, reports and decides when to stop, and the others stop
/// with it. The epoch's training loss and accuracy are summed over the shares.
#[allow(clippy::too_many_arguments)]
pub async fn run_model_shared(
    model: Net,
    train: &DeviceData,
    valid: Option<&DeviceData>,
    config: &TrainConfig,
    resume: Resume,
    exchange: &mut impl Exchange,
    driver: &mut impl Driver,
    on_event: &mut impl FnMut(Event),
) -> Result<(Net, RunRecord), TrainError> {
    let leader = exchange.share().is_leader();
    let valid = valid.filter(|_| leader);
    let parameters = model.num_params();
    let mut optim = Sgd;
    let mut model = model;
    let first = resume.prior.len() + 1;
    if first <= config.epochs && !crate::kernels::on_cpu(&train.device()) {
        model = warm_up(model, &mut optim, train, valid, config, driver).await?;
    }
    let mut train_seconds: f64 = resume.prior.iter().map(|e| e.seconds).sum();
    let mut epochs: Vec<EpochRecord> = resume.prior;
    let mut stop = StopReason::Completed;
    for epoch in first..=config.epochs {
        let started = driver.now();
        let order = epoch_order(train.len, config.shuffle, config.seed, epoch - 1);
        let (next, stats) =
            train_pass(model, &mut optim, train, &order, config, epoch, exchange, driver, on_event).await?;
        model = next;
        let checkpoints = resume.checkpoints && leader;
        let read = match stats {
            Some(stats) => read_epoch(&model, stats, valid, epoch, checkpoints, exchange).await?,
            None => None,
        };
        let Some(read) = read else {
            stop = StopReason::Cancelled;
            break;
        };
        let (train_loss, train_acc) = read.sums.means();
        // A diverged epoch is not recorded.
        if !train_loss.is_finite() {
            stop = StopReason::Diverged { epoch, lr: config.lr };
            break;
        }
        let seconds = driver.now() - started;
        train_seconds += seconds;
        let record = EpochRecord {
            epoch,
            train_loss,
            train_acc,
            valid_loss: read.valid.map(|v| v.0),
            valid_acc: read.valid.map(|v| v.1),
            seconds,
            examples_per_s: read.sums.n as f64 / seconds.max(1e-9),
        };
        epochs.push(record.clone());
        on_event(Event::Epoch { record, kernels: read.kernels });
        if let Some(checkpoint) = read.checkpoint {
            on_event(Event::Checkpoint(checkpoint));
        }
        if let Some(reason) = stop_rule(&epochs, config) {
            stop = reason;
            break;
        }
    }
    exchange.finish();
    let summary = RunSummary { epochs_trained: epochs.len(), stop, train_seconds, parameters };
    Ok((model, RunRecord { epochs, summary }))
}

/// Why a run stops after its latest epoch, if it does: its validation loss improved by less
/// than `stop_thr` (early stopping), or is no number (diverged).
pub fn stop_rule(epochs: &[EpochRecord], config: &TrainConfig) -> Option<StopReason> {
    let valid_losses: Vec<f64> = epochs.iter().filter_map(|e| e.valid_loss).collect();
    if let Some(thr) = config.stop_thr
        && let Some(improvement) = crate::metrics::early_stop(&valid_losses, thr)
    {
        return Some(StopReason::EarlyStop { improvement, stop_thr: thr });
    }
    let last = epochs.last()?;
    last.valid_loss.is_some_and(|l| !l.is_finite()).then_some(StopReason::Diverged { epoch: last.epoch, lr: config.lr })
}

/// What an epoch's one readback brings: the training sums of every share, the validation loss
/// and accuracy, the first layer's kernels and, where asked, every parameter.
struct EpochRead {
    sums: Sums,
    valid: Option<(f64, f64)>,
    kernels: Option<Kernels>,
    checkpoint: Option<Checkpoint>,
}

/// The end of epoch `epoch`: the validation pass, then one transaction reading back the
/// training statistics, the validation's, the first layer's kernels and (with `checkpoints`)
/// every parameter; the shares' sums are added up. `None` when the run stopped meanwhile.
async fn read_epoch(
    model: &Net,
    stats: DeviceStats,
    valid: Option<&DeviceData>,
    epoch: usize,
    checkpoints: bool,
    exchange: &mut impl Exchange,
) -> Result<Option<EpochRead>, TrainError> {
    let n = stats.n;
    let mut tx = stats.register(Transaction::default());
    let mut valid_n = None;
    if let Some(v) = valid {
        let stats = evaluate_pass(model, v, EVAL_BATCH, |_| {});
        valid_n = Some(stats.n);
        tx = stats.register(tx);
    }
    tx = register_first_kernels(tx, model);
    let shapes = if checkpoints {
        let (with_params, shapes) = model.register_parameters(tx);
        tx = with_params;
        shapes
    } else {
        vec![]
    };
    let read = read_all(tx).await?;
    let mut sums = Sums::read(&read[0], &read[1], n)?;
    if exchange.share().count > 1 {
        // Every share's loss sum, correct count and examples, added up.
        let Some(all) = exchange.all_reduce(sums.to_values()).await else { return Ok(None) };
        sums = Sums::from_values(&all);
    }
    let valid = match valid_n {
        Some(vn) => Some(finish(&read[2], &read[3], vn)?),
        None => None,
    };
    let kernels = model.convs.first().map(|conv| {
        let k = if valid_n.is_some() { 4 } else { 2 };
        Kernels {
            shape: conv.weight.val().dims(),
            weights: read[k].try_to_vec().unwrap_or_default(),
            biases: read.get(k + 1).map(|d| d.try_to_vec().unwrap_or_default()).unwrap_or_default(),
        }
    });
    let checkpoint = (!shapes.is_empty()).then(|| {
        let n = shapes.len();
        checkpoint_of(epoch, shapes, &read[read.len() - n..])
    });
    Ok(Some(EpochRead { sums, valid, kernels, checkpoint }))
}

/// Compiles the device's kernels for this run's shapes before the first timed epoch (WebGPU
/// compiles each kernel on its first use: seconds under a software renderer, and every visit
/// in a browser, which has no compile cache). The training pass itself on the first two batches
/// (and a last, partial one where the epoch has one) at learning rate 0, so the parameters come
/// back unchanged, bit for bit (`w - 0 * g`), then the epoch's end: an evaluation pass and the
/// first layer's kernels. All of it is read back (one readback, before any epoch) and dropped.
///
/// The real pass, not a copy of its operations: burn's kernel fusion compiles a kernel for each
/// new sequence of operations it meets, and a look-alike forward and backward pass on one batch
/// left twelve kernels to the first epoch's first two steps (the update's among them) and three
/// to its end, which made it 0.6-0.8 s slower than the next on SwiftShader.
async fn warm_up(
    model: Net,
    optim: &mut Sgd,
    train: &DeviceData,
    valid: Option<&DeviceData>,
    config: &TrainConfig,
    driver: &mut impl Driver,
) -> Result<Net, TrainError> {
    let b = config.batch_size.min(train.len).max(1);
    let order: Vec<usize> = (0..(2 * b + train.len % b).min(train.len)).collect();
    let still = TrainConfig { lr: 0.0, ..config.clone() };
    let (model, stats) = train_pass(model, optim, train, &order, &still, 0, &mut Alone, driver, &mut |_| {}).await?;
    // Stopped during the warm-up: the first epoch's checkpoint stops the run.
    let Some(stats) = stats else { return Ok(model) };
    // The epoch's end as well: the evaluation pass and the first layer's kernels.
    let mut tx = stats.register(Transaction::default());
    if let Some(valid) = valid {
        tx = evaluate_pass(&model, valid, EVAL_BATCH, |_| {}).register(tx);
    }
    read_all(register_first_kernels(tx, &model)).await?;
    Ok(model)
}

/// The first convolution's weights and bias (the page draws them), added to a readback.
fn register_first_kernels(mut tx: Transaction, model: &Net) -> Transaction {
    if let Some(conv) = model.convs.first() {
        tx = tx.register(conv.weight.val());
        if let Some(bias) = &conv.bias {
            tx = tx.register(bias.val());
        }
    }
    tx
}

/// Parameters read back in [`Net::register_parameters`]'s order, as a checkpoint.
fn checkpoint_of(epoch: usize, shapes: Vec<Vec<usize>>, data: &[TensorData]) -> Checkpoint {
    let tensors = shapes
        .into_iter()
        .zip(data)
        .map(|(shape, data)| TensorValues { shape, values: data.try_to_vec::<f32>().unwrap_or_default() })
        .collect();
    Checkpoint { epoch, tensors }
}

/// Every parameter of `net` in one readback (a trained model's final weights).
pub async fn read_checkpoint(net: &Net, epoch: usize) -> Result<Checkpoint, TrainError> {
    let (tx, shapes) = net.register_parameters(Transaction::default());
    let read = read_all(tx).await?;
    Ok(checkpoint_of(epoch, shapes, &read))
}

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(epoch: usize, valid_loss: f64) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss: 0.5,
            train_acc: 80.0,
            valid_loss: Some(valid_loss),
            valid_acc: Some(75.0),
            seconds: 1.0,
            examples_per_s: 100.0,
        }
    }

    #[test]
    fn the_stop_rule_stops_early_on_a_small_improvement_and_on_a_loss_that_is_no_number() {
        let config = TrainConfig { stop_thr: Some(0.01), ..crate::labs::dogs::DogLab::homework_cnn().train };
        assert_eq!(stop_rule(&[epoch(1, 0.9)], &config), None);
        assert_eq!(stop_rule(&[epoch(1, 0.9), epoch(2, 0.8)], &config), None);
        let Some(StopReason::EarlyStop { stop_thr, .. }) = stop_rule(&[epoch(1, 0.9), epoch(2, 0.895)], &config) else {
            panic!("an improvement of 0.005 is under the threshold of 0.01")
        };
        assert_eq!(stop_thr, 0.01);
        let never = TrainConfig { stop_thr: None, ..config.clone() };
        assert_eq!(stop_rule(&[epoch(1, 0.9), epoch(2, 0.9)], &never), None);
        assert_eq!(
            stop_rule(&[epoch(1, 0.9), epoch(2, f64::NAN)], &never),
            Some(StopReason::Diverged { epoch: 2, lr: never.lr })
        );
    }
}
