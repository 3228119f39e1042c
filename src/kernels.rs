//! Training kernels burn's CPU backend (flex) lacks, added through burn's backend-extension API:
//! our own trait [`CpuKernels`], implemented for `Flex` and for its autodiff wrapper (whose
//! custom backward passes run the convolution's and the linear layer's gradients as matrix
//! products, [`conv`], [`linear`](mod@linear)).
//!
//! The model and the training loop call [`conv2d`], [`linear`](fn@linear), [`max_pool`],
//! [`sgd_step`] and [`linear_sgd_step`]; each uses the extension for tensors on the CPU
//! backend and burn's own kernels everywhere else (WebGPU), so the rest of the code never asks
//! which backend it runs on.

mod backward;
pub mod conv;
pub mod linear;
pub mod matmul;
pub mod pool;

use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::ops::{Backward, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::{ConvOptions, FloatTensorOps, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, DType, Dispatch, DispatchDevice, Flex, TensorMetadata, backend_extension};
use burn::module::{ModuleMapper, Param};
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::nn::{Linear, PaddingConfig2d};
use burn::optim::GradientsParams;
use burn::prelude::*;

use backward::{ConvGemmBackward, LinearBackward, MaxPoolBackward, PoolState};
use conv::ConvShape;
use linear::LinearShape;
use std::sync::Arc;

#[backend_extension(Flex, Autodiff)]
pub trait CpuKernels: Backend {
    /// `conv2d(x, weight) + bias` as matrix products ([`conv::forward`]); on the autodiff
    /// backend its backward pass too ([`conv::weight_and_bias_grad`], [`conv::input_grad`]).
    fn conv2d_gemm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;

    /// `x · weight + bias` for `x [batch, inputs]` and `weight [inputs, outputs]`, f32
    /// ([`linear::forward`]); on the autodiff backend its backward pass too.
    fn linear_gemm(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>) -> FloatTensor<Self>;

    /// `weight - lr * grad` (burn's SGD step, same rounding), written over `weight`'s buffer
    /// when nothing else holds it: the DogSet MLP's 6.3 MB first layer is then read and written
    /// once per step instead of being copied into fresh buffers twice.
    fn sgd_step(weight: FloatTensor<Self>, grad: FloatTensor<Self>, lr: f64) -> FloatTensor<Self>;

    /// `weight - lr * xᵀ · dy`: the SGD step of a linear layer's weight (`[inputs, outputs]`)
    /// with its gradient folded in, for the layer's input `x [batch, inputs]` and output
    /// gradient `dy [batch, outputs]` ([`linear::sgd_step`]), over `weight`'s buffer when
    /// nothing else holds it.
    fn linear_sgd_step(
        weight: FloatTensor<Self>,
        x: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        lr: f64,
    ) -> FloatTensor<Self>;

    /// 2x2 max pooling with stride 2, `[batch, c, h, w]` -> `[batch, c, h / 2, w / 2]`
    /// ([`pool::max_pool_2x2`]); the autodiff backend keeps one byte per output for the
    /// backward pass.
    fn max_pool_2x2(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

impl CpuKernels for Flex {
    fn conv2d_gemm(x: FlexTensor, weight: FlexTensor, bias: FlexTensor, options: ConvOptions<2>) -> FlexTensor {
        conv_forward(x, weight, bias, options)
    }

    fn linear_gemm(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        linear_forward(x, weight, bias)
    }

    fn sgd_step(weight: FlexTensor, grad: FlexTensor, lr: f64) -> FlexTensor {
        sgd_in_place(weight, grad, lr)
    }

    fn linear_sgd_step(weight: FlexTensor, x: FlexTensor, dy: FlexTensor, lr: f64) -> FlexTensor {
        linear_sgd_in_place(weight, x, dy, lr)
    }

    fn max_pool_2x2(x: FlexTensor) -> FlexTensor {
        pool_forward(x).0
    }
}

impl<C: CheckpointStrategy> CpuKernels for Autodiff<Flex, C> {
    fn conv2d_gemm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        match ConvGemmBackward.prepare::<C>([x.node(), weight.node(), bias.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&x), prep.checkpoint(&weight), options.clone());
                prep.finish(
                    state,
                    conv_forward(x.into_primitive(), weight.into_primitive(), bias.into_primitive(), options),
                )
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(conv_forward(x.into_primitive(), weight.into_primitive(), bias.into_primitive(), options))
            }
        }
    }

    fn linear_gemm(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>) -> FloatTensor<Self> {
        match LinearBackward.prepare::<C>([x.node(), weight.node(), bias.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&x), prep.checkpoint(&weight));
                prep.finish(state, linear_forward(x.into_primitive(), weight.into_primitive(), bias.into_primitive()))
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(linear_forward(x.into_primitive(), weight.into_primitive(), bias.into_primitive()))
            }
        }
    }

    fn sgd_step(weight: FloatTensor<Self>, grad: FloatTensor<Self>, lr: f64) -> FloatTensor<Self> {
        // Parameters are updated on the inner backend (see [`sgd_step`]); this arm exists because
        // the extension is routed for autodiff tensors too, and computes the same thing.
        Self::float_sub(weight, Self::float_mul_scalar(grad, lr.into()))
    }

    fn linear_sgd_step(
        weight: FloatTensor<Self>,
        x: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        lr: f64,
    ) -> FloatTensor<Self> {
        // As `sgd_step`: parameters are updated on the inner backend.
        let grad = Self::float_matmul(Self::float_transpose(x), dy);
        Self::float_sub(weight, Self::float_mul_scalar(grad, lr.into()))
    }

    fn max_pool_2x2(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match MaxPoolBackward.prepare::<C>([x.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let dims = x.primitive().shape().dims::<4>();
                let (y, winners) = pool_forward(x.into_primitive());
                prep.finish(PoolState { dims, winners: Arc::new(winners) }, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(pool_forward(x.into_primitive()).0),
        }
    }
}

/// Pools a `[batch, c, h, w]` tensor: the output and each output's winner.
fn pool_forward(x: FlexTensor) -> (FlexTensor, pool::Winners) {
    let [b, c, h, w] = x.shape().dims::<4>();
    let x = x.to_contiguous();
    let (y, winners) = pool::max_pool_2x2(values(&x), b * c, h, w);
    (tensor(y, [b, c, h / 2, w / 2]), winners)
}

pub(super) fn linear_shape(x: &FlexTensor, weight: &FlexTensor) -> LinearShape {
    let ([batch, inputs], [rows, outputs]) = (x.shape().dims::<2>(), weight.shape().dims::<2>());
    assert_eq!(inputs, rows, "a linear layer's input has as many features as its weight has rows");
    LinearShape { batch, inputs, outputs }
}

/// `x · weight + bias` ([`linear::forward`]).
fn linear_forward(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
    let s = linear_shape(&x, &weight);
    let (x, weight, bias) = (x.to_contiguous(), weight.to_contiguous(), bias.to_contiguous());
    tensor(linear::forward(&s, values(&x), values(&weight), values(&bias)), [s.batch, s.outputs])
}

/// The convolution's shape when our kernels cover it: f32, groups 1, dilation 1.
pub(super) fn covered(x: &FlexTensor, weight: &FlexTensor, options: &ConvOptions<2>) -> Option<ConvShape> {
    ConvShape::new(
        x.shape().dims(),
        weight.shape().dims(),
        options.stride,
        options.padding,
        options.dilation,
        options.groups,
    )
    .filter(|_| [x.dtype(), weight.dtype()] == [DType::F32; 2])
}

/// `conv2d(x, weight) + bias` as matrix products ([`conv::forward`]); burn's own kernel for
/// shapes ours do not cover.
fn conv_forward(x: FlexTensor, weight: FlexTensor, bias: FlexTensor, options: ConvOptions<2>) -> FlexTensor {
    let Some(s) = covered(&x, &weight, &options).filter(|_| bias.dtype() == DType::F32) else {
        return Flex::conv2d(x, weight, Some(bias), options);
    };
    let (x, weight, bias) = (x.to_contiguous(), weight.to_contiguous(), bias.to_contiguous());
    let y = conv::forward(&s, values(&x), values(&weight), values(&bias));
    tensor(y, [s.batch, s.out_channels, s.output[0], s.output[1]])
}

/// A contiguous f32 tensor's values.
pub(super) fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().expect("a contiguous f32 tensor")
}

pub(super) fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// Whether `weight` is a contiguous f32 buffer of exactly its own elements, which an in-place
/// update may write over (when nothing else holds it: `try_storage_mut`).
fn overwritable(weight: &FlexTensor) -> bool {
    weight.dtype() == DType::F32
        && weight.is_contiguous()
        && weight.as_slice::<f32>().is_some_and(|w| w.len() == weight.shape().num_elements())
}

/// `weight - lr * grad` over `weight`'s own buffer where it is the only holder of a contiguous
/// f32 buffer; burn's two element-wise operations otherwise.
fn sgd_in_place(mut weight: FlexTensor, grad: FlexTensor, lr: f64) -> FlexTensor {
    let grad = grad.to_contiguous();
    let fits = overwritable(&weight) && grad.dtype() == DType::F32 && weight.shape() == grad.shape();
    if fits && let Some(w) = weight.try_storage_mut::<f32>() {
        // burn's SGD computes `w - (g * lr)` with lr as an f32 scalar: the same two roundings.
        let lr = lr as f32;
        for (w, g) in w.iter_mut().zip(values(&grad)) {
            *w -= *g * lr;
        }
        return weight;
    }
    Flex::float_sub(weight, Flex::float_mul_scalar(grad, lr.into()))
}

/// `weight - lr * xᵀ · dy` ([`linear::sgd_step`]) over `weight`'s own buffer where it may;
/// otherwise the gradient in a buffer of its own, then [`sgd_in_place`].
fn linear_sgd_in_place(mut weight: FlexTensor, x: FlexTensor, dy: FlexTensor, lr: f64) -> FlexTensor {
    let s = linear_shape(&x, &weight);
    assert_eq!(dy.shape().dims::<2>(), [s.batch, s.outputs], "the gradient has the layer's output shape");
    let (x, dy) = (x.to_contiguous(), dy.to_contiguous());
    if overwritable(&weight)
        && let Some(w) = weight.try_storage_mut::<f32>()
    {
        linear::sgd_step(&s, w, values(&x), values(&dy), lr as f32);
        return weight;
    }
    let grad = tensor(linear::weight_grad(&s, values(&x), values(&dy)), [s.inputs, s.outputs]);
    sgd_in_place(weight, grad, lr)
}

/// Whether `device` is burn's CPU backend, with or without autodiff.
pub(crate) fn on_cpu(device: &Device) -> bool {
    matches!(device.clone().inner().as_dispatch(), DispatchDevice::Flex(_))
}

/// `pool.forward(x)` for a 2x2 pool of stride 2 without padding, through
/// [`CpuKernels::max_pool_2x2`] on the CPU backend (f32 only).
pub fn max_pool(pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    let plain = pool.kernel_size == [2, 2]
        && pool.stride == [2, 2]
        && pool.dilation == [1, 1]
        && !pool.ceil_mode
        && matches!(pool.padding, PaddingConfig2d::Valid);
    if !plain || x.dtype() != burn::tensor::DType::F32 || !on_cpu(&x.device()) {
        return pool.forward(x);
    }
    Tensor::from_dispatch(<Dispatch as CpuKernels>::max_pool_2x2(x.into_dispatch()))
}

/// `conv.forward(x)`: `[batch, in_c, h, w]` -> `[batch, out_c, out_h, out_w]`, through
/// [`CpuKernels::conv2d_gemm`] on the CPU backend.
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let padding = match conv.padding {
        PaddingConfig2d::Valid => Some([(0, 0); 2]),
        PaddingConfig2d::Explicit(top, left, bottom, right) => Some([(top, bottom), (left, right)]),
        PaddingConfig2d::Same => None, // depends on the input size; the labs never ask for it
    };
    let (Some(bias), Some(padding)) = (conv.bias.as_ref().filter(|_| on_cpu(&x.device())), padding) else {
        return conv.forward(x);
    };
    let options = ConvOptions::new_with_padding(conv.stride, padding, conv.dilation, conv.groups);
    let y = <Dispatch as CpuKernels>::conv2d_gemm(
        x.into_dispatch(),
        conv.weight.val().into_dispatch(),
        bias.val().into_dispatch(),
        options,
    );
    Tensor::from_dispatch(y)
}

/// `linear.forward(x)` for `x [batch, inputs]`, through [`CpuKernels::linear_gemm`] on the CPU
/// backend (f32, with a bias, burn's row layout).
pub fn linear(linear: &Linear, x: Tensor<2>) -> Tensor<2> {
    let weight = linear.weight.val();
    let fits = on_cpu(&x.device())
        && x.dtype() == burn::tensor::DType::F32
        && weight.dtype() == burn::tensor::DType::F32
        && weight.dims()[0] == x.dims()[1];
    let Some(bias) = linear.bias.as_ref().filter(|_| fits) else {
        return linear.forward(x);
    };
    let y =
        <Dispatch as CpuKernels>::linear_gemm(x.into_dispatch(), weight.into_dispatch(), bias.val().into_dispatch());
    Tensor::from_dispatch(y)
}

/// One SGD step of a parameter (no momentum, no weight decay: the homework's optimiser), on
/// the inner backend: `weight - lr * grad`.
pub fn sgd_step<const D: usize>(weight: Tensor<D>, grad: Tensor<D>, lr: f64) -> Tensor<D> {
    if !on_cpu(&weight.device()) {
        return weight - grad.mul_scalar(lr);
    }
    Tensor::from_dispatch(<Dispatch as CpuKernels>::sgd_step(weight.into_dispatch(), grad.into_dispatch(), lr))
}

/// One SGD step of a linear layer's weight `[inputs, outputs]` with its gradient folded in:
/// `weight - lr * xᵀ · dy` for the layer's input `x [batch, inputs]` and the gradient `dy` of
/// its output, on the inner backend. On the CPU backend (f32) through
/// [`CpuKernels::linear_sgd_step`], which writes over the weight's buffer when it may.
pub fn linear_sgd_step(weight: Tensor<2>, x: Tensor<2>, dy: Tensor<2>, lr: f64) -> Tensor<2> {
    let f32s = [&weight, &x, &dy].iter().all(|t| t.dtype() == burn::tensor::DType::F32);
    if !on_cpu(&weight.device()) || !f32s {
        return weight - x.transpose().matmul(dy).mul_scalar(lr);
    }
    let step =
        <Dispatch as CpuKernels>::linear_sgd_step(weight.into_dispatch(), x.into_dispatch(), dy.into_dispatch(), lr);
    Tensor::from_dispatch(step)
}

/// The homework's optimiser: plain SGD (no momentum, no weight decay), the same update as
/// burn's `SgdConfig::new().init()`, through [`sgd_step`] so the CPU backend updates each
/// parameter in place.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sgd;

impl Sgd {
    /// `module` after one step of size `lr` along `grads` (parameters without a gradient stay).
    pub fn step<M: Module>(&mut self, lr: f64, module: M, mut grads: GradientsParams) -> M {
        module.map(&mut SgdMapper { grads: &mut grads, lr })
    }
}

struct SgdMapper<'a> {
    grads: &'a mut GradientsParams,
    lr: f64,
}

impl ModuleMapper for SgdMapper<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let tensor = match self.grads.remove::<D>(id) {
            Some(grad) => updated(tensor, |t| sgd_step(t, grad, self.lr)),
            None => tensor,
        };
        Param::from_mapped_value(id, tensor, mapper)
    }
}

/// A parameter after `step`, which maps its value on the inner backend: still trainable if it was.
pub(crate) fn updated<const D: usize>(param: Tensor<D>, step: impl FnOnce(Tensor<D>) -> Tensor<D>) -> Tensor<D> {
    let require_grad = param.is_require_grad();
    let value = Tensor::from_inner(step(param.inner()));
    if require_grad { value.require_grad() } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folded_linear_step_writes_over_a_weight_nothing_else_holds() {
        let (batch, inputs, outputs, lr) = (2, 4, 3, 0.5);
        let w0: Vec<f32> = (0..inputs * outputs).map(|i| i as f32).collect();
        let xs = [1.0, 2.0, 3.0, 4.0, 0.5, 0.0, -1.0, 2.0];
        let dys = [1.0, 0.0, -1.0, 2.0, 1.0, 0.0];
        // w - lr · xᵀ·dy, by hand (every value exact in f32).
        let want: Vec<f32> = (0..inputs * outputs)
            .map(|e| {
                let (i, j) = (e / outputs, e % outputs);
                w0[e] - lr * (0..batch).map(|b| xs[b * inputs + i] * dys[b * outputs + j]).sum::<f32>()
            })
            .collect();
        let (x, dy) = (tensor(xs.to_vec(), [batch, inputs]), tensor(dys.to_vec(), [batch, outputs]));
        let weight = tensor(w0, [inputs, outputs]);
        let buffer = values(&weight).as_ptr();
        let stepped = linear_sgd_in_place(weight, x.clone(), dy.clone(), lr.into());
        assert_eq!(values(&stepped), want);
        assert_eq!(values(&stepped).as_ptr(), buffer, "the step wrote over the weight's own buffer");
        // Held elsewhere too (a checkpoint, another model), the weight is left as it was.
        let held = stepped.clone();
        let again = linear_sgd_in_place(stepped, x, dy, 0.0);
        assert_eq!(values(&held), want);
        assert_ne!(values(&again).as_ptr(), buffer);
        assert_eq!(values(&again), want);
    }
}
