//! HOMEWORK section 7: the same small network trained on a 2-input function twice, with
//! linear activations and with ReLU, full batch, on the four points of the truth table.

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::Transaction;
use burn::tensor::activation::{relu, softmax};

use crate::labs::xor::{Activation, Affine, GRID, POINTS, XorLab, XorRun, collapse};
use crate::model::{Init, ParamInit};
use crate::train::TrainError;

/// 2 -> hidden... -> 2 logits, with the chosen activation between layers.
#[derive(Module, Debug)]
pub struct XorNet {
    linears: Vec<Linear>,
}

impl XorNet {
    fn new(lab: &XorLab, device: &Device) -> Self {
        let mut init = ParamInit::new(Init::PyTorch { seed: lab.seed });
        let widths: Vec<usize> = std::iter::once(2).chain(lab.hidden.iter().copied()).chain([2]).collect();
        Self { linears: widths.windows(2).map(|w| init.linear(w[0], w[1], device)).collect() }
    }

    /// `[n, 2]` inputs -> `[n, 2]` logits.
    fn forward(&self, x: Tensor<2>, activation: Activation) -> Tensor<2> {
        let last = self.linears.len() - 1;
        self.linears.iter().enumerate().fold(x, |x, (i, l)| {
            let y = l.forward(x);
            if i < last && activation == Activation::Relu { relu(y) } else { y }
        })
    }
}

fn points(inputs: &[[f32; 2]], device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = inputs.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(flat, [inputs.len(), 2]), device)
}

/// Trains one network with `activation` and reads everything back in one transaction:
/// the losses, the outputs at the four points and over the grid, and the weights.
pub async fn train_xor(lab: &XorLab, activation: Activation, device: &Device) -> Result<XorRun, TrainError> {
    let mut net = XorNet::new(lab, device);
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let x = points(&POINTS, device); // [4, 2]
    let labels: Vec<i64> = lab.truth.iter().map(|&t| t as i64).collect();
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [4]), device); // [4]
    let mut losses = Vec::with_capacity(lab.epochs);
    for _ in 0..lab.epochs {
        let loss = loss_fn.forward(net.forward(x.clone(), activation), y.clone()); // [1]
        losses.push(loss.clone().detach());
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(lab.lr, net, grads);
    }
    let grid: Vec<[f32; 2]> = (0..GRID * GRID).map(|i| XorLab::grid_point(i / GRID, i % GRID)).collect();
    // Everything read back leaves the autodiff graph first (a transaction takes one kind).
    let net = net.valid();
    let p_true = |inputs: Tensor<2>| softmax(net.forward(inputs.inner(), activation), 1).narrow(1, 1, 1); // [n, 1]
    let mut tx = Transaction::default()
        .register(Tensor::cat(losses, 0).inner())
        .register(p_true(points(&POINTS, device)))
        .register(p_true(points(&grid, device)));
    for l in &net.linears {
        tx = tx.register(l.weight.val()).register(l.bias.as_ref().expect("every layer has a bias").val());
    }
    let read = tx.execute_async().await.map_err(|e| TrainError::Readback(format!("{e:?}")))?;
    let floats = |i: usize| -> Result<Vec<f32>, TrainError> {
        read[i].clone().convert::<f32>().try_to_vec().map_err(|e| TrainError::Readback(format!("{e:?}")))
    };
    let outputs = floats(1)?;
    let right = crate::labs::xor::right_count(&outputs, lab.truth);
    let layers = (0..net.linears.len())
        .map(|k| {
            let [inputs, outputs] = net.linears[k].weight.val().dims();
            Ok(Affine { inputs, outputs, w: floats(3 + 2 * k)?, b: floats(4 + 2 * k)? })
        })
        .collect::<Result<Vec<_>, TrainError>>()?;
    Ok(XorRun {
        activation,
        losses: floats(0)?.into_iter().map(f64::from).collect(),
        outputs,
        accuracy: crate::metrics::accuracy_percent(right, 4),
        grid: floats(2)?,
        collapsed: if activation == Activation::Linear { collapse(&layers) } else { None },
    })
}
