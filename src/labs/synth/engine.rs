//! HOMEWORK section 6: train the Synth CNN on the synthetic edges, then probe its shift
//! invariance.

use burn::prelude::*;
use burn::tensor::{Transaction, activation::softmax};

use crate::activations::Activations;
use crate::confusion::{Evaluation, Held};
use crate::data::synthetic::{self, Bar, Orientation, PROBE_NOISE_SEED, SIZE, Which};
use crate::labs::synth::SynthLab;
use crate::model::{Init, Net, NetConfig};
use crate::run::{Checkpoint, EpochRecord, ShiftSweep, SweepGrid};
use crate::train::{
    DeviceData, Driver, EVAL_BATCH, Event, MEASURE_MAX_BATCHES, Resume, RunRecord, TrainError, evaluate_detailed,
    examples_per_second, layer_outputs, resumed, run_model_from,
};

/// Generates the lab's data, trains a fresh Synth CNN (or continues `resume`: a checkpoint
/// and the records up to it) and returns it with its records. Emits a checkpoint every epoch:
/// the model is small enough to save whole.
pub async fn run_synth(
    lab: &SynthLab,
    resume: Option<(Checkpoint, Vec<EpochRecord>)>,
    device: &Device,
    driver: &mut impl Driver,
    on_event: &mut impl FnMut(Event),
) -> Result<(Net, RunRecord), TrainError> {
    let train = synthetic::generate(lab.train_size, lab.data_seed, Which::Train);
    let valid = synthetic::generate(lab.valid_size, lab.data_seed, Which::Valid);
    let train = DeviceData::upload(&train.data, device);
    let valid = DeviceData::upload(&valid.data, device);
    let net = NetConfig::synth_cnn()
        .init(Init::PyTorch { seed: lab.train.seed }, device)
        .expect("the Synth CNN fits its 28x28 input");
    let (net, prior) = resumed(net, resume, device)?;
    let resume = Resume { prior, checkpoints: true };
    run_model_from(net, &train, Some(&valid), &lab.train, resume, driver, on_event).await
}

/// Automatic's measurement on `device`: the lab's CNN on its first training images, timed at
/// learning rate 0 ([`examples_per_second`]).
pub async fn speed(lab: &SynthLab, device: &Device, driver: &mut impl Driver) -> Result<Option<f64>, TrainError> {
    let images = lab.train_size.min(MEASURE_MAX_BATCHES * lab.train.batch_size.max(1));
    let train = synthetic::generate(images, lab.data_seed, Which::Train);
    let train = DeviceData::upload(&train.data, device);
    let net = NetConfig::synth_cnn()
        .init(Init::PyTorch { seed: lab.train.seed }, device)
        .expect("the Synth CNN fits its 28x28 input");
    examples_per_second(net, &train, &lab.train, driver).await
}

/// The trained CNN on the lab's validation images in detail: its confusion matrix and most
/// confident mistakes (the homework's synth lab has no test set). The images are generated
/// again from the lab's data seed: the same images the run validated on.
pub async fn evaluate_valid(lab: &SynthLab, net: &Net, device: &Device) -> Result<Evaluation, TrainError> {
    let images = synthetic::generate(lab.valid_size, lab.data_seed, Which::Valid).data;
    let valid = DeviceData::upload(&images, device);
    let (_, _, evaluation) = evaluate_detailed(net, &valid, EVAL_BATCH, &synthetic::class_names()).await?;
    let size: usize = images.shape.iter().product();
    // The generator's pixels are 0..1 (noise may step outside): as bytes, clamped.
    let bytes = |i: usize| {
        images.images[i * size..(i + 1) * size].iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect()
    };
    Ok(Evaluation { held: Held::Valid, ..evaluation.with_images(images.shape, bytes) })
}

/// Every layer's output of the trained CNN for one `[28, 28, 1]` image (the demo's bar).
pub async fn look_inside(net: &Net, image: Vec<f32>, device: &Device) -> Result<Activations, TrainError> {
    let rgba = crate::plot::grey_rgba(&image, 0.0, 1.0);
    let out = layer_outputs(net, images_tensor(image, device)).await?;
    Ok(Activations {
        title: "the demo's image".into(),
        rgba,
        image_size: [SIZE, SIZE],
        layers: out.maps,
        flat: out.flat,
        probs: out.probs,
        names: synthetic::class_names(),
        kernels: out.kernels,
    })
}

/// `[n, 28, 28, 1]` images on the device.
fn images_tensor(images: Vec<f32>, device: &Device) -> Tensor<4> {
    let n = images.len() / (SIZE * SIZE);
    Tensor::from_data(TensorData::new(images, [n, SIZE, SIZE, 1]), device)
}

/// The probability of the true class with the bar at every position it fits, per orientation.
/// One forward pass per orientation and a single readback.
pub async fn shift_sweep(net: &Net, device: &Device) -> Result<ShiftSweep, TrainError> {
    let net = net.valid();
    let mut tx = Transaction::default();
    let mut grids = vec![];
    for orientation in [Orientation::Horizontal, Orientation::Vertical] {
        let (max_r, max_c) = Bar::max_position(orientation);
        let mut images = Vec::with_capacity((max_r + 1) * (max_c + 1) * SIZE * SIZE);
        for row in 0..=max_r {
            for col in 0..=max_c {
                images.extend(synthetic::render(Bar { orientation, row, col }, PROBE_NOISE_SEED));
            }
        }
        let probs = softmax(net.forward(images_tensor(images, device)), 1); // [positions, 2]
        let class = orientation.label();
        tx = tx.register(probs.narrow(1, class as usize, 1)); // [positions, 1]
        grids.push(SweepGrid { class, rows: max_r + 1, cols: max_c + 1, p_true: vec![] });
    }
    let read = tx.execute_async().await.map_err(|e| TrainError::Readback(format!("{e:?}")))?;
    for (grid, data) in grids.iter_mut().zip(read) {
        grid.p_true = data.try_to_vec().map_err(|e| TrainError::Readback(format!("{e:?}")))?;
    }
    Ok(ShiftSweep { grids })
}

/// What the trained model sees in one image: the first layer's feature maps after ReLU
/// (`[channels, h, w]` and that shape) and the class probabilities.
pub async fn probe(
    net: &Net,
    image: Vec<f32>,
    device: &Device,
) -> Result<(Vec<f32>, [usize; 3], Vec<f32>), TrainError> {
    let net = net.valid();
    let x = images_tensor(image, device); // [1, 28, 28, 1]
    let maps = net.first_layer_maps(x.clone()); // [1, c, h, w]
    let [_, c, h, w] = maps.dims();
    let probs = softmax(net.forward(x), 1); // [1, 2]
    let read = Transaction::default()
        .register(maps)
        .register(probs)
        .execute_async()
        .await
        .map_err(|e| TrainError::Readback(format!("{e:?}")))?;
    let vec = |d: &TensorData| d.try_to_vec::<f32>().map_err(|e| TrainError::Readback(format!("{e:?}")));
    Ok((vec(&read[0])?, [c, h, w], vec(&read[1])?))
}
