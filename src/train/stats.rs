//! What a pass measures: every example's logits kept on the device during the pass, its loss
//! sum and correct count computed from them at its one readback, and the predicted class.

use burn::prelude::*;
use burn::tensor::Transaction;
use burn::tensor::activation::log_softmax;

use super::TrainError;
use crate::metrics::accuracy_percent;

/// What a pass has seen, still on the device: every example's logits, written into one buffer
/// as the batches go (one copy per step), and the targets of the examples to come. The loss sum
/// and correct count are computed from them once, when the pass is read back: on WebGPU, where
/// each operation is a dispatch, summing them batch by batch cost 7-8 dispatches a step.
pub(super) struct DeviceStats {
    /// `[capacity, classes]`, rows `0..n` written; made on the first batch (classes known then).
    logits: Option<Tensor<2>>,
    /// `[capacity]`: the targets of the examples in the order they are added.
    targets: Tensor<1, Int>,
    pub n: usize,
}

impl DeviceStats {
    /// A pass over examples whose targets are `targets` `[capacity]`, in the order they come.
    pub fn new(targets: Tensor<1, Int>) -> Self {
        Self { logits: None, targets, n: 0 }
    }

    /// Adds the next batch's `logits` `[b, classes]`.
    pub fn add(&mut self, logits: Tensor<2>) {
        let [b, classes] = logits.dims();
        let capacity = self.targets.dims()[0];
        assert!(self.n + b <= capacity, "a pass adds no more examples than it has targets for");
        let all = self.logits.take().unwrap_or_else(|| Tensor::empty([capacity, classes], &logits.device()));
        self.logits = Some(all.slice_assign([self.n..self.n + b, 0..classes], logits.detach()));
        self.n += b;
    }

    /// The logits of the examples added, `[n, classes]` (`None` before any).
    pub fn logits(&self) -> Option<Tensor<2>> {
        self.logits.as_ref().map(|all| all.clone().narrow(0, 0, self.n))
    }

    /// The cross-entropy loss summed over the examples added `[1]` and how many were predicted
    /// right `[1]`, both on the device, added to `tx`.
    pub fn register(self, tx: Transaction) -> Transaction {
        let Some(logits) = self.logits() else {
            let device = self.targets.device();
            return tx.register(Tensor::<1>::zeros([1], &device)).register(Tensor::<1, Int>::zeros([1], &device));
        };
        let targets = self.targets.narrow(0, 0, self.n); // [n]
        let loss_sum = losses(logits.clone(), targets.clone()).sum(); // [1]
        let correct = predict(logits).equal(targets).int().sum(); // [1]
        tx.register(loss_sum).register(correct)
    }
}

/// Each example's cross-entropy loss `[n]`, from its logits `[n, classes]` and target `[n]`.
pub fn losses(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [n] = targets.dims();
    log_softmax(logits, 1).gather(1, targets.reshape([n, 1])).neg().reshape([n])
}

/// The predicted class of each row of `logits` `[b, classes]`. Exact ties go to the last
/// class: the rule that reproduces the course's reference accuracy (25.0 on its all-ties
/// `evaluate` case, HOMEWORK section 0). burn's argmax returns the first maximum, so take it
/// over the classes in reverse order.
pub fn predict(logits: Tensor<2>) -> Tensor<1, Int> {
    let [b, classes] = logits.dims();
    let from_last = logits.flip([1]).argmax(1).reshape([b]); // [b]
    from_last.neg().add_scalar(classes as i64 - 1)
}

/// A pass's loss sum, correct count and number of examples, read back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Sums {
    pub loss: f64,
    pub correct: usize,
    pub n: usize,
}

impl Sums {
    pub fn read(loss_sum: &TensorData, correct: &TensorData, n: usize) -> Result<Self, TrainError> {
        let loss: f32 = read_scalar(loss_sum)?;
        let correct = read_scalar::<i64>(correct)
            .map(|c| c as usize)
            .or_else(|_| read_scalar::<i32>(correct).map(|c| c as usize))?;
        Ok(Self { loss: loss as f64, correct, n })
    }

    /// Mean loss and accuracy (percent).
    pub fn means(&self) -> (f64, f64) {
        (self.loss / self.n as f64, accuracy_percent(self.correct, self.n))
    }

    /// As values for a data-parallel exchange (counts are exact in f32 below 2^24).
    pub fn to_values(self) -> Vec<f32> {
        vec![self.loss as f32, self.correct as f32, self.n as f32]
    }

    pub fn from_values(values: &[f32]) -> Self {
        Self { loss: values[0] as f64, correct: values[1] as usize, n: values[2] as usize }
    }
}

/// Mean loss and accuracy (percent) from a read-back loss sum and correct count.
pub(super) fn finish(loss_sum: &TensorData, correct: &TensorData, n: usize) -> Result<(f64, f64), TrainError> {
    Ok(Sums::read(loss_sum, correct, n)?.means())
}

fn read_scalar<E: burn::tensor::Element>(data: &TensorData) -> Result<E, TrainError> {
    data.iter::<E>().next().ok_or_else(|| TrainError::Readback("empty result".into()))
}
