//! A run: epochs of SGD until the last, an early stop, a divergence or Stop; each epoch read back
//! once at its end (its training and validation numbers, the first layer's kernels and, where
//! asked, a checkpoint). On WebGPU the kernels are compiled first by a warm-up at rate 0.

use burn::module::Module;
use burn::prelude::*;
use burn::tensor::Transaction;

use crate::config::TrainConfig;
use crate::data::epoch_order;
use crate::kernels::Sgd;
use crate::model::{CheckpointError, Net};
use crate::run::{Checkpoint, EpochRecord, Kernels, RunSummary, StopReason, TensorValues};

use super::parallel::{Alone, Exchange};
use super::stats::{DeviceStats, Sums, finish};
use super::*;

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
        let stats = evaluate_pass(model, v, EVAL_BATCH);
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
        tx = evaluate_pass(&model, valid, EVAL_BATCH).register(tx);
    }
    read_all(register_first_kernels(tx, &model)).await?;
    Ok(model)
}

/// How long Automatic's measurement of one engine may take, in seconds: enough batches for a
/// steady figure, few enough that the student waits a few seconds at most for both engines.
pub const MEASURE_SECONDS: f64 = 1.0;

/// The most batches one engine's measurement times (a lab uploads this many for it).
pub const MEASURE_MAX_BATCHES: usize = 64;

/// Training examples per second of `config`'s steps on the first examples of `train`, at
/// learning rate 0 (the parameters come back bit for bit): after the warm-up on a GPU, groups
/// of 1, 2, 4, ... batches, each read back at its end (so the GPU's queue is drained and the
/// clock is honest), until [`MEASURE_SECONDS`] have passed. `None` when stopped meanwhile.
pub async fn examples_per_second(
    model: Net,
    train: &DeviceData,
    config: &TrainConfig,
    driver: &mut impl Driver,
) -> Result<Option<f64>, TrainError> {
    let still = TrainConfig { lr: 0.0, ..config.clone() };
    let b = config.batch_size.min(train.len).max(1);
    let mut optim = Sgd;
    let mut model = model;
    if !crate::kernels::on_cpu(&train.device()) {
        model = warm_up(model, &mut optim, train, None, &still, driver).await?;
    }
    let (started, mut examples, mut batches) = (driver.now(), 0, 1);
    loop {
        let order: Vec<usize> = (0..(batches * b).min(train.len)).collect();
        let (next, stats) =
            train_pass(model, &mut optim, train, &order, &still, 0, &mut Alone, driver, &mut |_| {}).await?;
        let Some(stats) = stats else { return Ok(None) };
        read_all(stats.register(Transaction::default())).await?;
        model = next;
        examples += order.len();
        let seconds = driver.now() - started;
        if seconds >= MEASURE_SECONDS || batches * b >= train.len.min(MEASURE_MAX_BATCHES * b) {
            return Ok(Some(examples as f64 / seconds.max(1e-9)));
        }
        batches *= 2;
    }
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
