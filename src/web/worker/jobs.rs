//! The worker's side of a run: each lab's [`Job`] as the worker runs it (opens the device,
//! loads the data, calls the lab's engine, posts what it finds).

use std::collections::HashMap;

use burn::prelude::Device;

use crate::labs::Job;
use crate::labs::mnist::MnistLab;
use crate::labs::mnist::engine::{run_scaling, speed as mnist_speed};
use crate::labs::rule::{self, Outcome, RuleLab};
use crate::labs::synth::SynthLab;
use crate::labs::synth::engine::{evaluate_valid, run_synth, shift_sweep, speed};
use crate::protocol::{FromWorker, LabResult};
use crate::run::{BackendChoice, BackendInfo, BackendKind, EngineMeasure, Resume, RunId, RunSummary, StopReason};
use crate::train::{Driver, Event};

use super::{Poster, WorkerDriver, WorkerError, concepts, dogs, keep_trained, load_mnist, open_measured, post};

/// Runs job `job` as run `run` on `backend`, to its end.
/// `measured`: with Automatic, this browser's earlier measurement of the job's workload.
pub(super) async fn run(
    run: RunId,
    backend: BackendChoice,
    measured: Option<EngineMeasure>,
    job: Job,
) -> Result<(), WorkerError> {
    match job {
        Job::Synth { lab, resume } => synth(run, lab, backend, measured, resume).await,
        Job::Mnist { lab, .. } => mnist(run, lab, backend, measured).await,
        Job::Dogs { lab, resume, share, picks } => dogs::train(run, lab, backend, measured, resume, share, picks).await,
        Job::Xor { lab } => concepts::xor(run, lab, backend).await,
        Job::Attacks { epsilons, lab_model } => concepts::prepare(run, epsilons, backend, lab_model).await,
        Job::Rule { lab } => rule(run, lab).await,
    }
}

/// The perceptron learning rule: plain arithmetic on the worker's thread (no device), each
/// pass posted as an epoch, then the whole run.
async fn rule(run: RunId, lab: RuleLab) -> Result<(), WorkerError> {
    lab.validate()?;
    let info = BackendInfo {
        kind: BackendKind::Cpu,
        name: "CPU (plain Rust: one perceptron needs no tensor library)".into(),
        note: Some("the rule's few numbers are trained on the worker's own thread, whichever backend is chosen".into()),
        measured: None,
    };
    post(&FromWorker::Backend { run, info });
    let mut driver = WorkerDriver::new(run);
    let kernels = crate::run::Kernels::default();
    let result = rule::engine::train(&lab, &mut driver, &mut |record| {
        post(&FromWorker::Epoch { run, record, kernels: kernels.clone() })
    })
    .await;
    let stop = if result.outcome == Outcome::Stopped { StopReason::Cancelled } else { StopReason::Completed };
    let summary = RunSummary {
        epochs_trained: result.passes.len(),
        stop,
        train_seconds: driver.now(),
        parameters: lab.table.inputs + 1,
    };
    post(&FromWorker::Result { run, result: LabResult::Rule(result) });
    post(&FromWorker::Done { run, summary });
    Ok(())
}

async fn synth(
    run: RunId,
    lab: SynthLab,
    choice: BackendChoice,
    measured: Option<EngineMeasure>,
    resume: Option<Resume>,
) -> Result<(), WorkerError> {
    lab.validate()?;
    let time = async |device: &Device| speed(&lab, device, &mut WorkerDriver::new(run)).await;
    let (device, gpu) = open_measured(run, choice, measured, time).await?;
    post(&FromWorker::Status {
        run,
        text: if gpu {
            "Generating the images, then compiling GPU kernels before the first epoch (seconds, once per visit)".into()
        } else {
            "Generating the images".into()
        },
    });
    let mut poster = Poster::new(run);
    let (net, record) = run_synth(&lab, resume, &device, &mut WorkerDriver::new(run), &mut |e| poster.event(e)).await?;
    let trained = !record.epochs.is_empty();
    if trained {
        keep_trained(run, &net, &device);
    }
    if trained {
        let evaluation = evaluate_valid(&lab, &net, &device).await?;
        post(&FromWorker::Evaluated { run, evaluation });
    }
    post(&FromWorker::Done { run, summary: record.summary });
    if trained {
        let sweep = shift_sweep(&net, &device).await?;
        post(&FromWorker::Sweep { run, sweep });
    }
    Ok(())
}

async fn mnist(
    run: RunId,
    lab: MnistLab,
    choice: BackendChoice,
    measured: Option<EngineMeasure>,
) -> Result<(), WorkerError> {
    lab.validate()?;
    let mnist = load_mnist(run).await?;
    let (train, names, test) = &*mnist;
    let time = async |device: &Device| mnist_speed(&lab, train, names, device, &mut WorkerDriver::new(run)).await;
    let (device, _) = open_measured(run, choice, measured, time).await?;
    let mut driver = WorkerDriver::new(run);
    let flags = driver.flags.clone();
    let mut poster = Poster::new(run);
    let mut weights = HashMap::new();
    let results = run_scaling(&lab, train, test, names, &device, &mut driver, &mut |size, event| match event {
        Event::Progress { epoch, batch, batches } => poster.progress(epoch, batch, batches),
        Event::Epoch { record, .. } => post(&FromWorker::SizeEpoch { run, size, record }),
        Event::Checkpoint(checkpoint) => {
            weights.insert(size, checkpoint);
        }
    })
    .await?;
    for result in &results {
        post(&FromWorker::SizeDone { run, result: result.clone(), checkpoint: weights.remove(&result.size) });
    }
    let stop = if flags.stop.get() { StopReason::Cancelled } else { StopReason::Completed };
    let summary = RunSummary {
        epochs_trained: results.iter().map(|r| r.epochs_trained).sum(),
        stop,
        train_seconds: results.iter().map(|r| r.train_seconds).sum(),
        parameters: crate::net::NetConfig::mnist_mlp().parameter_count().unwrap_or(0),
    };
    post(&FromWorker::Done { run, summary });
    Ok(())
}
