//! HOMEWORK section 7, adversarial examples: the gradient of the loss with respect to the
//! input (not the weights) turns a correctly classified MNIST digit into a misclassified one
//! that looks the same to a person.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use burn::tensor::Transaction;
use burn::tensor::activation::softmax;

use crate::config::TrainConfig;
use crate::data::Dataset;
use crate::data::sample::balanced;
use crate::data::shards::Shard;
use crate::labs::mnist::MnistLab;
use crate::model::{Init, Net, NetConfig};
use crate::run::Attack;
use crate::train::{DeviceData, Driver, TrainError, predict, run_model};

/// Epsilons of the sweep when none are given: 0 (the clean accuracy) to 0.3 in steps of 0.05.
pub const DEFAULT_EPSILONS: [f64; 7] = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3];
/// The scan for the smallest epsilon that flips a prediction: 0 to 0.5 in steps of 0.005.
const FLIP_STEPS: usize = 100;
const FLIP_MAX: f64 = 0.5;

/// The quick model trained on the spot when the MNIST lab's is not at hand: the homework's
/// MLP on 2,000 balanced training images for 15 epochs (a few seconds; about 90% accurate).
pub fn quick_lab(seed: u64) -> (MnistLab, usize) {
    let mut lab = MnistLab::homework();
    lab.seed = seed;
    lab.train = TrainConfig { epochs: 15, seed, ..lab.train };
    (lab, 2_000)
}

/// Trains the quick model on `train` (MNIST shards, pixels 0..255).
pub async fn quick_model(
    train: &Shard,
    class_names: &[String],
    seed: u64,
    device: &Device,
    driver: &mut impl Driver,
) -> Result<Net, TrainError> {
    let (lab, size) = quick_lab(seed);
    let idx = balanced(&train.labels, class_names.len(), size, seed)?;
    let data = DeviceData::upload(&Dataset::from_shard(train, class_names, Some(&idx)), device);
    let net = NetConfig::mnist_mlp().init(Init::PyTorch { seed }, device)?;
    let (net, _) = run_model(net, &data, None, &lab.train, driver, &mut |_| {}).await?;
    Ok(net)
}

/// `[b, 28, 28, 1]` images and their labels on the device.
fn tensors(images: &[f32], labels: &[u8], device: &Device) -> (Tensor<4>, Tensor<1, Int>) {
    let b = labels.len();
    let x = Tensor::from_data(TensorData::new(images.to_vec(), [b, 28, 28, 1]), device);
    let y = Tensor::from_data(TensorData::new(labels.iter().map(|&l| l as i64).collect::<Vec<_>>(), [b]), device);
    (x, y)
}

/// The sign of d(loss of `labels`)/d(input), `[b, 28, 28, 1]`, outside the autodiff graph.
fn input_gradient_sign(net: &Net, x: Tensor<4>, labels: Tensor<1, Int>) -> Tensor<4> {
    let x = x.require_grad();
    let loss = CrossEntropyLossConfig::new().init(&x.device()).forward(net.forward(x.clone()), labels);
    let grads = loss.backward();
    x.grad(&grads).expect("the input takes part in the loss").sign()
}

async fn read(tx: Transaction) -> Result<Vec<Vec<f32>>, TrainError> {
    let data = tx.execute_async().await.map_err(|e| TrainError::Readback(format!("{e:?}")))?;
    data.into_iter()
        .map(|d| d.convert::<f32>().try_to_vec().map_err(|e| TrainError::Readback(format!("{e:?}"))))
        .collect()
}

/// Accuracy (percent) over `data` after a fast-gradient-sign step of each epsilon: one
/// gradient for the whole set, every epsilon evaluated in one batch, one readback.
pub async fn epsilon_sweep(
    net: &Net,
    data: &Dataset,
    epsilons: &[f64],
    device: &Device,
) -> Result<Vec<f64>, TrainError> {
    let (x, y) = tensors(&data.images, &data.labels, device);
    let sign = input_gradient_sign(net, x.clone(), y.clone()).inner(); // [n, 28, 28, 1]
    let model = net.valid();
    let (x, y) = (x.inner(), y.inner());
    let mut tx = Transaction::default();
    for &eps in epsilons {
        let adversarial = (x.clone() + sign.clone().mul_scalar(eps)).clamp(0.0, 1.0);
        let correct = predict(model.forward(adversarial)).equal(y.clone()).int().sum().float();
        tx = tx.register(correct);
    }
    let n = data.len().max(1) as f64;
    Ok(read(tx).await?.iter().map(|c| c[0] as f64 / n * 100.0).collect())
}

/// Class probabilities of `[b, ...]` images, `[b, 10]`, outside the graph.
fn probabilities(net: &Net, x: Tensor<4>) -> Tensor<2> {
    softmax(net.valid().forward(x.inner()), 1)
}

fn argmax(p: &[f32]) -> u8 {
    Attack::predicted(p) as u8
}

/// The untargeted fast gradient sign attack on one image: `x' = clip(x + eps * sign(dL/dx))`,
/// with the smallest epsilon (of a fine scan to 0.5) that changes the prediction.
pub async fn fgsm(net: &Net, image: &[f32], label: u8, epsilon: f64, device: &Device) -> Result<Attack, TrainError> {
    let (x, y) = tensors(image, &[label], device);
    let sign = input_gradient_sign(net, x.clone(), y).inner();
    let x = x.inner();
    let adversarial = (x.clone() + sign.clone().mul_scalar(epsilon)).clamp(0.0, 1.0);
    // Every epsilon of the scan as one batch: [FLIP_STEPS + 1, 28, 28, 1].
    let scan: Vec<Tensor<4>> = (0..=FLIP_STEPS)
        .map(|k| (x.clone() + sign.clone().mul_scalar(FLIP_MAX * k as f64 / FLIP_STEPS as f64)).clamp(0.0, 1.0))
        .collect();
    let tx = Transaction::default()
        .register(probabilities(net, x))
        .register(probabilities(net, adversarial.clone()))
        .register(adversarial)
        .register(probabilities(net, Tensor::cat(scan, 0)));
    let [before, after, adversarial, scan] = <[Vec<f32>; 4]>::try_from(read(tx).await?).expect("four tensors");
    let flips_at = scan.chunks(10).position(|p| argmax(p) != label).map(|k| FLIP_MAX * k as f64 / FLIP_STEPS as f64);
    Ok(Attack::new(image, adversarial, before, after, 1, flips_at))
}

/// The targeted iterative attack: steps of `step` against the gradient of the target's loss
/// until the model outputs `target` or `max_steps` is reached; pixels stay in 0..1.
pub async fn targeted(
    net: &Net,
    image: &[f32],
    target: u8,
    step: f64,
    max_steps: usize,
    device: &Device,
) -> Result<Attack, TrainError> {
    let (x0, y) = tensors(image, &[target], device);
    let mut x = x0.clone().inner();
    let mut steps = 0;
    let before = read(Transaction::default().register(probabilities(net, x0))).await?.remove(0);
    let mut after = before.clone();
    while steps < max_steps && argmax(&after) != target {
        let sign = input_gradient_sign(net, Tensor::from_inner(x.clone()), y.clone()).inner();
        x = (x - sign.mul_scalar(step)).clamp(0.0, 1.0);
        steps += 1;
        // One small readback per step: the loop must know when the target is reached.
        after = read(Transaction::default().register(probabilities(net, x.clone()))).await?.remove(0);
    }
    let adversarial = read(Transaction::default().register(x)).await?.remove(0);
    Ok(Attack::new(image, adversarial, before, after, steps, None))
}
