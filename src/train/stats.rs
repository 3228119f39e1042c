//! What a pass measures: loss sums and correct counts kept on the device during the pass and
//! read back once, and the predicted class.

use burn::prelude::*;
use burn::tensor::Transaction;

use super::TrainError;
use crate::metrics::accuracy_percent;

/// Loss sum and correct count of a pass, still on the device.
pub(super) struct DeviceStats {
    loss_sum: Tensor<1>,
    correct: Tensor<1, Int>,
    pub n: usize,
}

impl DeviceStats {
    pub fn new(device: &Device) -> Self {
        Self { loss_sum: Tensor::zeros([1], device), correct: Tensor::zeros([1], device), n: 0 }
    }

    /// Adds one batch: `logits` `[b, classes]`, `targets` `[b]`.
    pub fn add(&mut self, loss: Tensor<1>, logits: Tensor<2>, targets: Tensor<1, Int>) {
        let b = targets.dims()[0];
        self.loss_sum = self.loss_sum.clone() + loss.detach() * b as f32;
        let predicted = predict(logits.detach()); // [b]
        self.correct = self.correct.clone() + predicted.equal(targets).int().sum();
        self.n += b;
    }

    pub fn register(self, tx: Transaction) -> Transaction {
        tx.register(self.loss_sum).register(self.correct)
    }
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
