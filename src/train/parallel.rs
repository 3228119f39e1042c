//! Data-parallel SGD: several workers train one model, each on its share of every batch. Each
//! computes the gradient of its rows' part of the batch's mean loss, the shares' gradients are
//! summed in share order (so the sum is the same on every worker, and the same for a given
//! number of workers every time), and every worker applies that one update: their models stay
//! identical. The sum equals the one-batch gradient up to float rounding (the order of the
//! additions over examples changes), which a test below checks.
//!
//! How the shares meet is the host's: [`Exchange`]. The browser's workers talk over message
//! channels (`web/worker/parallel.rs`); [`Alone`] is the one-worker case, where nothing is
//! exchanged and the training loop keeps its direct path.

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::Transaction;

use super::{TrainError, read_all};
use crate::model::Net;
pub use crate::run::Share;

/// How the shares of one data-parallel run meet.
pub trait Exchange {
    fn share(&self) -> Share;

    /// The sum over all shares of each one's `values`, added in share order; every share gets
    /// the same sum. `None`: the run ended (the leader stopped, or this worker was told to).
    fn all_reduce(&mut self, values: Vec<f32>) -> impl Future<Output = Option<Vec<f32>>>;

    /// The leader ends the run: the others stop at their next exchange.
    fn finish(&mut self);
}

/// One worker: nothing to exchange.
pub struct Alone;

impl Exchange for Alone {
    fn share(&self) -> Share {
        Share::ALONE
    }

    async fn all_reduce(&mut self, values: Vec<f32>) -> Option<Vec<f32>> {
        Some(values)
    }

    fn finish(&mut self) {}
}

/// Each float parameter's id and shape, in the model's visiting order.
#[derive(Default)]
struct Shapes(Vec<(ParamId, Vec<usize>)>);

impl ModuleVisitor for Shapes {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push((param.id, param.val().dims().to_vec()));
    }
}

/// Registers each parameter's gradient (zeros where it has none) for one readback.
struct Collect<'a> {
    grads: &'a GradientsParams,
    tx: Option<Transaction>,
}

impl ModuleVisitor for Collect<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let grad = self.grads.get::<D>(param.id).unwrap_or_else(|| param.val().zeros_like());
        self.tx = self.tx.take().map(|tx| tx.register(grad));
    }
}

/// The number of values in all of `model`'s parameters: the length of its flat gradient.
pub fn gradient_len(model: &Net) -> usize {
    let mut shapes = Shapes::default();
    model.visit(&mut shapes);
    shapes.0.iter().map(|(_, s)| s.iter().product::<usize>()).sum()
}

/// `grads` as one flat vector, parameter after parameter in the model's visiting order.
pub async fn flat_gradients(model: &Net, grads: &GradientsParams) -> Result<Vec<f32>, TrainError> {
    let mut collect = Collect { grads, tx: Some(Transaction::default()) };
    model.visit(&mut collect);
    let read = read_all(collect.tx.expect("kept by every visit")).await?;
    let mut flat = Vec::with_capacity(gradient_len(model));
    for data in read {
        flat.extend(data.iter::<f32>());
    }
    Ok(flat)
}

/// A flat gradient (as [`flat_gradients`] lays it out) as gradients of `model`'s parameters.
pub fn gradients_of(model: &Net, flat: &[f32], device: &Device) -> GradientsParams {
    let mut shapes = Shapes::default();
    model.visit(&mut shapes);
    let mut grads = GradientsParams::new();
    let mut offset = 0;
    for (id, shape) in shapes.0 {
        let n: usize = shape.iter().product();
        let data = TensorData::new(flat[offset..offset + n].to_vec(), shape.clone());
        offset += n;
        match shape.len() {
            1 => grads.register(id, Tensor::<1>::from_data(data, device)),
            2 => grads.register(id, Tensor::<2>::from_data(data, device)),
            4 => grads.register(id, Tensor::<4>::from_data(data, device)),
            rank => unreachable!("nnlab's layers have parameters of rank 1, 2 or 4, not {rank}"),
        }
    }
    grads
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::loss::CrossEntropyLossConfig;
    use std::ops::Range;

    use crate::model::Init;
    use crate::net::NetConfig;

    #[test]
    fn shares_split_a_batch_into_contiguous_near_equal_parts() {
        let parts = |b: usize, count: usize| (0..count).map(|index| Share { index, count }.rows(b)).collect::<Vec<_>>();
        assert_eq!(parts(10, 2), vec![0..5, 5..10]);
        assert_eq!(parts(5, 2), vec![0..2, 2..5]);
        assert_eq!(parts(10, 3), vec![0..3, 3..6, 6..10]);
        assert_eq!(parts(1, 2), vec![0..0, 0..1]);
        assert_eq!(Share::ALONE.rows(7), 0..7);
    }

    /// The gradient of the batch's mean loss, and the sum of the shares' gradients of their
    /// rows' part of it, for the DogSet CNN on 10 random images.
    #[test]
    fn the_shares_gradients_sum_to_the_one_batch_gradient() {
        let device = Device::flex().autodiff();
        let config = NetConfig::dog_cnn(5, 1);
        let net = config.init(Init::PyTorch { seed: 3 }, &device).unwrap();
        let b = 10;
        let mut rng = 7u64;
        let mut next = || {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (rng >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let pixels: Vec<f32> = (0..b * 64 * 64 * 3).map(|_| next()).collect();
        let images = Tensor::<4>::from_data(TensorData::new(pixels, [b, 64, 64, 3]), &device);
        let labels: Vec<i64> = (0..b as i64).map(|i| (i * 7) % 10).collect();
        let targets = Tensor::<1, Int>::from_data(TensorData::new(labels, [b]), &device);
        let loss_fn = CrossEntropyLossConfig::new().init(&device);
        let gradient = |rows: Range<usize>| {
            let n = rows.len();
            let images = images.clone().narrow(0, rows.start, n);
            let targets = targets.clone().narrow(0, rows.start, n);
            let loss = loss_fn.forward(net.forward(images), targets) * (n as f32 / b as f32);
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            crate::train::native::block_on(flat_gradients(&net, &grads)).unwrap()
        };
        let whole = gradient(0..b);
        assert_eq!(whole.len(), gradient_len(&net));
        for count in [2, 3] {
            let mut sum = vec![0f32; whole.len()];
            for index in 0..count {
                for (s, g) in sum.iter_mut().zip(gradient(Share { index, count }.rows(b))) {
                    *s += g;
                }
            }
            let scale = whole.iter().fold(0f32, |m, g| m.max(g.abs()));
            let worst = whole.iter().zip(&sum).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst <= 1e-5 * scale, "{count} shares: worst difference {worst} against {scale}");
        }
        // Laid out again as gradients, the flat vector gives back each parameter's gradient.
        let grads = gradients_of(&net, &whole, &device);
        let again = crate::train::native::block_on(flat_gradients(&net, &grads)).unwrap();
        assert_eq!(again, whole);
    }
}
