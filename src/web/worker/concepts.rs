//! The worker's side of the concept labs (HOMEWORK section 7): the linear-vs-ReLU XOR
//! networks, and adversarial examples against a quick MNIST model.

use std::rc::Rc;

use crate::data::Dataset;
use crate::data::sample::balanced;
use crate::labs::adversarial::LabModel;
use crate::labs::adversarial::Sample;
use crate::labs::adversarial::engine::{epsilon_sweep, fgsm, quick_lab, quick_model, targeted};
use crate::labs::xor::engine::train_xor;
use crate::labs::xor::{Activation, XorLab};
use crate::model::{Init, NetConfig};
use crate::protocol::{FromWorker, LabResult};
use crate::run::{BackendChoice, RunId};
use crate::train::TrainError;

use super::{STATE, WorkerDriver, WorkerError, fail, load_mnist, open_device, post};

/// The targeted attack's step size and step limit.
const TARGET_STEP: f64 = 0.01;
const TARGET_MAX_STEPS: usize = 300;

pub async fn xor(run: RunId, lab: XorLab, choice: BackendChoice) -> Result<(), WorkerError> {
    lab.validate()?;
    let (device, _) = open_device(run, choice).await?;
    let linear = train_xor(&lab, Activation::Linear, &device).await?;
    let relu = train_xor(&lab, Activation::Relu, &device).await?;
    post(&FromWorker::Result { run, result: LabResult::Xor { linear, relu } });
    Ok(())
}

/// Loads MNIST, takes the MNIST lab's model the page sent (`lab_model`) or trains the quick one,
/// sweeps epsilon over 1,000 balanced test images and keeps the model for single attacks.
pub async fn prepare(
    run: RunId,
    epsilons: Vec<f64>,
    choice: BackendChoice,
    lab_model: Option<LabModel>,
) -> Result<(), WorkerError> {
    if epsilons.is_empty() || epsilons.iter().any(|e| !(e.is_finite() && (0.0..=1.0).contains(e))) {
        return Err(WorkerError::Epsilons);
    }
    let (device, _) = open_device(run, choice).await?;
    let mnist = load_mnist(run).await?;
    let (train, names, test) = &*mnist;
    let (lab, _) = quick_lab(1);
    let idx = balanced(&test.labels, names.len(), lab.test_size, lab.seed)?;
    let test = Dataset::from_shard(test, names, Some(&idx));
    let (net, model) = if let Some(LabModel { size, weights }) = lab_model {
        let net = NetConfig::mnist_mlp()
            .init(Init::Constant(0.0), &device)
            .map_err(TrainError::from)
            .and_then(|net| Ok(net.with_parameters(&weights.tensors, &device)?))?;
        (net, format!("the MNIST lab's model (N = {size}, {} epochs)", weights.epoch))
    } else {
        let net = quick_model(train, names, lab.seed, &device, &mut WorkerDriver::new(run)).await?;
        (net, format!("a quick model (2,000 images, {} epochs)", lab.train.epochs))
    };
    let accuracies = epsilon_sweep(&net, &test, &epsilons, &device).await?;
    let samples = (0..10u8)
        .filter_map(|d| test.labels.iter().position(|&l| l == d))
        .map(|index| Sample { index, label: test.labels[index], pixels: test.image(index).to_vec() })
        .collect();
    STATE.with_borrow_mut(|s| s.adversary = Some((net, Rc::new(test), device)));
    post(&FromWorker::AttacksReady { run, model, epsilons, accuracies, samples });
    Ok(())
}

pub async fn attack(run: RunId, image: usize, epsilon: f64, target: Option<u8>) {
    let Some((net, test, device)) = STATE.with_borrow(|s| s.adversary.clone()) else {
        return fail(Some(run), WorkerError::NoAdversary);
    };
    if image >= test.len() || !(0.0..=1.0).contains(&epsilon) || target.is_some_and(|t| t > 9) {
        return fail(Some(run), WorkerError::AttackRange);
    }
    let (pixels, label) = (test.image(image), test.labels[image]);
    let result = match target {
        Some(t) => targeted(&net, pixels, t, TARGET_STEP, TARGET_MAX_STEPS, &device).await,
        None => fgsm(&net, pixels, label, epsilon, &device).await,
    };
    match result {
        Ok(attack) => post(&FromWorker::Attacked { run, image, label, target, epsilon, attack }),
        Err(e) => fail(Some(run), e.into()),
    }
}
