//! An MLP's first linear layer trained outside the autodiff graph, so that its SGD step is
//! folded into its weight-gradient product (CPU backend, one worker).
//!
//! The DogSet MLP's first layer is a 12288 x 128 matrix (6.3 MB, larger than the cache a core
//! has to itself). Through burn's autodiff and an optimiser, a step streams it five times: the
//! forward product reads it, the weight-gradient product writes a gradient as large, and the
//! SGD step reads both and writes the weight. Here the layer's output is a leaf of the graph
//! instead; the gradient that reaches it, `dy [batch, 128]`, is all the update needs:
//! `W -= lr · xᵀ · dy` is one product that reads and writes `W` once
//! ([`kernels::linear_sgd_step`]), three passes over the matrix in all.
//!
//! Only with one worker: data-parallel runs exchange the gradient itself
//! ([`super::parallel`]). WebGPU keeps burn's own path, where its kernel fusion sees the whole
//! step.

use burn::prelude::*;
use burn::tensor::Gradients;

use crate::kernels::{self, on_cpu};
use crate::model::Net;

/// The first layer's input and its output as a leaf of the autodiff graph, for one batch.
pub(super) struct Detached {
    /// The flattened images `[batch, inputs]`, without autodiff.
    x: Tensor<2>,
    /// The layer's output `[batch, outputs]` (before its ReLU), where the backward pass stops.
    hidden: Tensor<2>,
}

/// Whether a step of `model` on `images` goes through [`Detached`]: an MLP (its first layer
/// sees the images) with a bias in that layer, f32 on the CPU backend.
pub(super) fn applies(model: &Net, images: &Tensor<4>) -> bool {
    let f32 = burn::tensor::DType::F32;
    model.convs.is_empty()
        && model.linears.first().is_some_and(|first| first.bias.is_some() && first.weight.val().dtype() == f32)
        && images.dtype() == f32
        && on_cpu(&images.device())
}

impl Detached {
    /// The logits of `images`, with the first layer computed on the inner backend.
    pub(super) fn forward(model: &Net, images: Tensor<4>) -> (Self, Tensor<2>) {
        let [b, h, w, c] = images.dims();
        let x = images.reshape([b, h * w * c]).inner();
        let hidden = Tensor::from_inner(kernels::linear(&model.linears[0].valid(), x.clone())).require_grad();
        let logits = model.forward_from_first_linear(hidden.clone());
        (Self { x, hidden }, logits)
    }

    /// `model` after the first layer's SGD step of size `lr`, taking the gradient that reached
    /// the layer's output out of `grads` (the other layers' stay for the optimiser).
    pub(super) fn step(self, mut model: Net, grads: &mut Gradients, lr: f64) -> Net {
        let dy = self.hidden.grad_remove(grads).expect("the loss depends on the first layer's output");
        let mut first = model.linears.remove(0);
        let outputs = dy.dims()[1];
        if let Some(bias) = first.bias {
            let db = dy.clone().sum_dim(0).reshape([outputs]);
            first.bias = Some(bias.map(|b| kernels::updated(b, |b| kernels::sgd_step(b, db, lr))));
        }
        first.weight = first.weight.map(|w| kernels::updated(w, |w| kernels::linear_sgd_step(w, self.x, dy, lr)));
        model.linears.insert(0, first);
        model
    }
}
