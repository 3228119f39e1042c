//! The cross-entropy loss's gradient, handed to autodiff in closed form.
//!
//! Through burn's `CrossEntropyLoss` and autodiff, a DogSet CNN step spent 21 WebGPU
//! dispatches on the loss: log-softmax, gather and mean forward, then each one's backward (a
//! scatter into zeros, fills, scalings and two more reductions). The gradient of the mean
//! cross-entropy with respect to the logits is `(softmax(logits) - onehot(targets)) / b`, so it
//! is computed directly, outside the graph, and given to autodiff as the logits' gradient: the
//! backward pass of `logits * g`, with `g` held constant and started from ones, brings exactly
//! `g` to the logits.
//! The loss's value is not needed per step: a pass's statistics compute it from the logits
//! once, at the end ([`super::stats`]).

use burn::prelude::*;
use burn::tensor::Gradients;
use burn::tensor::activation::softmax;

/// The cross-entropy loss against `classes` classes, on one device.
pub struct CrossEntropy {
    /// `[1, classes]`: 0, 1, ... classes - 1, made once, so a batch's one-hot targets are one
    /// comparison on the device rather than an upload per step.
    columns: Tensor<2, Int>,
}

impl CrossEntropy {
    pub fn new(classes: usize, device: &Device) -> Self {
        Self { columns: Tensor::arange(0..classes as i64, device).reshape([1, classes]) }
    }

    /// The gradients of the mean cross-entropy over `of` examples, of which these are the
    /// rows with logits `[rows, classes]` (from the graph) and `targets` `[rows]`: the whole
    /// batch's when `of` is its size, a share's part of it in a data-parallel step.
    pub fn gradients(&self, logits: Tensor<2>, targets: Tensor<1, Int>, of: usize) -> Gradients {
        let [rows, classes] = logits.dims();
        let probs = softmax(logits.clone().detach(), 1); // [rows, classes]
        let onehot =
            targets.reshape([rows, 1]).expand([rows, classes]).equal(self.columns.clone().expand([rows, classes]));
        let g = (probs - onehot.float()).div_scalar(of as f32); // [rows, classes]
        // The backward pass starts from ones in the root's shape: `g` reaches the logits as it is.
        (logits * g).backward()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::loss::CrossEntropyLossConfig;

    /// The closed form against burn's loss through autodiff, on logits with a wide range, a
    /// batch of 7 against 5 classes (every class a target, one twice), and as a share's part.
    #[test]
    fn the_gradient_equals_burns_cross_entropy_through_autodiff() {
        let device = Device::flex().autodiff();
        let values: Vec<f32> = (0..35).map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.7).collect();
        let logits = Tensor::<2>::from_data(TensorData::new(values, [7, 5]), &device).require_grad();
        let targets = Tensor::<1, Int>::from_data(TensorData::from([0i64, 1, 2, 3, 4, 2, 0]), &device);
        let loss = CrossEntropy::new(5, &device);
        for of in [7, 10] {
            let theirs = CrossEntropyLossConfig::new().init(&device).forward(logits.clone(), targets.clone())
                * (7.0 / of as f32);
            let theirs = logits.grad(&theirs.backward()).unwrap().into_data().try_to_vec::<f32>().unwrap();
            let ours = logits.grad(&loss.gradients(logits.clone(), targets.clone(), of)).unwrap();
            let ours = ours.into_data().try_to_vec::<f32>().unwrap();
            for (a, b) in ours.iter().zip(&theirs) {
                assert!((a - b).abs() <= 1e-6, "over {of}: {ours:?} against {theirs:?}");
            }
        }
    }
}
