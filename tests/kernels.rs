//! nnlab's CPU training kernels (`nnlab::kernels`) against burn's own: the convolution's
//! and the linear layer's gradients over a grid of shapes, whole DogSet CNN and MLP steps, and the
//! in-place SGD update.
#![cfg(feature = "engine")]

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{LinearConfig, PaddingConfig2d};
use burn::optim::{GradientsParams, SgdConfig};
use burn::prelude::*;
use nnlab::kernels::{self, Sgd};
use nnlab::model::{Init, Net, NetConfig};
use nnlab::train::{CrossEntropy, batch_step};

/// max |a - b| / max |b|: the error relative to the gradient's scale.
/// Fixed pseudo-random values of unit variance (a sum of four uniforms), so every run checks the
/// same numbers: float rounding differs with the summation order, and a test must not pass or
/// fail with the draw.
fn noise<const D: usize>(shape: [usize; D], seed: u64, device: &Device) -> Tensor<D> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let n = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|_| (0..4).map(|_| uniform()).sum::<f32>() * 3f32.sqrt()).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn relative_error(a: Tensor<1>, b: Tensor<1>) -> f32 {
    let scale = b.clone().abs().max().into_scalar::<f32>();
    let diff = (a - b).abs().max().into_scalar::<f32>();
    if scale == 0.0 { diff } else { diff / scale }
}

fn flat<const D: usize>(t: Tensor<D>) -> Tensor<1> {
    let n = t.shape().num_elements();
    t.reshape([n])
}

/// The gradients of x, weight and bias of `sum(conv(x) * probe)`, through nnlab's kernels or
/// burn's own.
fn grads(conv: &Conv2d, x: &Tensor<4>, probe: &Tensor<4>, ours: bool) -> [Tensor<1>; 3] {
    let x = x.clone().require_grad();
    let y = if ours { kernels::conv2d(conv, x.clone()) } else { conv.forward(x.clone()) };
    let g = (y * probe.clone()).sum().backward();
    let bias = conv.bias.as_ref().unwrap();
    [flat(x.grad(&g).unwrap()), flat(conv.weight.val().grad(&g).unwrap()), flat(bias.val().grad(&g).unwrap())]
}

#[test]
fn convolution_gradients_equal_burns_over_a_grid_of_shapes() {
    let device = Device::flex().autodiff();
    let mut checked = 0;
    for batch in [1, 10] {
        for channels in [1, 3, 16] {
            for kernel in 1..=7 {
                for stride in 1..=3 {
                    // Non-square inputs; some convolutions padded.
                    let (h, w) = (9 + kernel, 12 + 2 * stride);
                    let padding = if (kernel + stride) % 3 == 0 { 1 } else { 0 };
                    let out_channels = if channels == 16 { 4 } else { 5 };
                    let conv = Conv2dConfig::new([channels, out_channels], [kernel, kernel])
                        .with_stride([stride, stride])
                        .with_padding(PaddingConfig2d::Explicit(padding, padding, padding, padding))
                        .init(&device);
                    let x = noise([batch, channels, h, w], 1, &device);
                    let out_shape = conv.forward(x.clone()).dims();
                    let probe = noise(out_shape, 2, &device);
                    let ours = grads(&conv, &x, &probe, true);
                    let burns = grads(&conv, &x, &probe, false);
                    for (name, (a, b)) in ["input", "weight", "bias"].iter().zip(ours.into_iter().zip(burns)) {
                        let err = relative_error(a, b);
                        assert!(
                            err < 1e-5,
                            "{name} gradient, batch {batch}, channels {channels}, kernel {kernel}, stride {stride}, padding {padding}: relative error {err}"
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * 3 * 7 * 3);
}

#[test]
fn max_pooling_and_its_gradient_equal_burns() {
    let device = Device::flex().autodiff();
    let pool = burn::nn::pool::MaxPool2dConfig::new([2, 2]).init();
    for (h, w) in [(60, 60), (26, 26), (7, 5), (2, 3)] {
        let x = noise([3, 4, h, w], 3, &device).require_grad();
        let ours = kernels::max_pool(&pool, x.clone());
        let burns = pool.forward(x.clone());
        assert_eq!(ours.clone().inner().into_data(), burns.clone().inner().into_data(), "{h}x{w}");
        let probe = noise(ours.dims(), 4, &device);
        let g_ours = (ours * probe.clone()).sum().backward();
        let g_burns = (burns * probe).sum().backward();
        assert_eq!(x.grad(&g_ours).unwrap().into_data(), x.grad(&g_burns).unwrap().into_data(), "{h}x{w}");
    }
}

#[test]
fn the_forward_pass_equals_burns() {
    let device = Device::flex();
    for (c_in, c_out, k, stride) in [(3, 16, 5, 1), (16, 32, 5, 1), (3, 16, 3, 2), (1, 2, 1, 1)] {
        let conv = Conv2dConfig::new([c_in, c_out], [k, k]).with_stride([stride, stride]).init(&device);
        let x = noise([2, c_in, 30, 26], 5, &device);
        let err = relative_error(flat(kernels::conv2d(&conv, x.clone())), flat(conv.forward(x)));
        assert!(err < 1e-5, "{c_in}->{c_out}, {k}x{k}, stride {stride}: relative error {err}");
    }
}

/// A network's forward pass written with burn's own convolution, pooling and linear layers.
fn burn_forward(net: &Net, images: Tensor<4>) -> Tensor<2> {
    let [b, h, w, c] = images.dims();
    let mut x = if net.convs.is_empty() {
        images.reshape([b, h * w * c])
    } else {
        let mut x = images.permute([0, 3, 1, 2]);
        for conv in &net.convs {
            x = burn::tensor::activation::relu(conv.forward(x));
            x = burn::nn::pool::MaxPool2dConfig::new([2, 2]).init().forward(x);
        }
        let [b, c, h, w] = x.dims();
        x.reshape([b, c * h * w])
    };
    let last = net.linears.len() - 1;
    for (i, linear) in net.linears.iter().enumerate() {
        x = linear.forward(x);
        if i < last {
            x = burn::tensor::activation::relu(x);
        }
    }
    x
}

fn parameters(net: &Net) -> Vec<Tensor<1>> {
    let mut out = vec![];
    for conv in &net.convs {
        out.push(flat(conv.weight.val()));
        out.push(flat(conv.bias.as_ref().unwrap().val()));
    }
    for linear in &net.linears {
        out.push(flat(linear.weight.val()));
        out.push(flat(linear.bias.as_ref().unwrap().val()));
    }
    out
}

fn loss(logits: Tensor<2>, labels: &Tensor<1, Int>) -> Tensor<1> {
    burn::nn::loss::CrossEntropyLossConfig::new().init(&logits.device()).forward(logits, labels.clone())
}

#[test]
fn linear_gradients_equal_burns() {
    let device = Device::flex().autodiff();
    for (batch, inputs, outputs) in [(1, 1, 1), (10, 12288, 128), (10, 128, 64), (3, 7, 10), (50, 64, 1)] {
        let layer = LinearConfig::new(inputs, outputs).init(&device);
        let x = noise([batch, inputs], 8, &device);
        let probe = noise([batch, outputs], 9, &device);
        let grads = |ours: bool| {
            let x = x.clone().require_grad();
            let y = if ours { kernels::linear(&layer, x.clone()) } else { layer.forward(x.clone()) };
            let g = (y.clone() * probe.clone()).sum().backward();
            let bias = layer.bias.as_ref().unwrap();
            [
                flat(y),
                flat(x.grad(&g).unwrap()),
                flat(layer.weight.val().grad(&g).unwrap()),
                flat(bias.val().grad(&g).unwrap()),
            ]
        };
        for (what, (a, b)) in
            ["output", "input grad", "weight grad", "bias grad"].iter().zip(grads(true).into_iter().zip(grads(false)))
        {
            let err = relative_error(a, b);
            assert!(err < 1e-5, "{batch}x{inputs}->{outputs}, {what}: relative error {err}");
        }
    }
}

/// One SGD step of size `lr` on 10 fixed dog-sized images, through the training loop's step
/// (nnlab's kernels; an MLP's first layer outside the graph, its update folded into its
/// gradient) and through burn's own layers and SGD: each parameter tensor's relative error
/// between the two, and how far ours moved the first one. `net` makes the same network each
/// time, so that ours holds its weights alone and may update them in place.
fn one_step_both_ways(net: impl Fn() -> Net, seed: u64, lr: f64) -> (Vec<f32>, f32) {
    let start = net();
    let device = start.devices()[0].clone();
    let images = noise([10, 64, 64, 3], seed, &device);
    let labels = Tensor::<1, Int>::from_data(TensorData::from([0i64, 1, 2, 3, 4, 5, 6, 7, 8, 9]), &device);
    let theirs = {
        let g = GradientsParams::from_grads(loss(burn_forward(&start, images.clone()), &labels).backward(), &start);
        SgdConfig::new().init().step(lr, start.clone(), g)
    };
    let ours = batch_step(net(), &mut Sgd, images, labels, &CrossEntropy::new(10, &device), lr).0;
    let errors = parameters(&ours).into_iter().zip(parameters(&theirs)).map(|(a, b)| relative_error(a, b)).collect();
    (errors, relative_error(parameters(&ours)[0].clone(), parameters(&start)[0].clone()))
}

#[test]
fn a_dogset_mlp_step_gives_burns_parameters() {
    let net = || NetConfig::dog_mlp().init(Init::PyTorch { seed: 5 }, &Device::flex().autodiff()).unwrap();
    let (errors, moved) = one_step_both_ways(net, 10, 0.01);
    for (i, err) in errors.into_iter().enumerate() {
        assert!(err < 1e-6, "parameter tensor {i}: relative error {err}");
    }
    assert!(moved > 1e-6, "the step moved the first layer's weights ({moved})");
}

#[test]
fn a_dogset_cnn_step_gives_burns_parameters() {
    let net = || NetConfig::dog_cnn(5, 1).init(Init::PyTorch { seed: 7 }, &Device::flex().autodiff()).unwrap();
    // lr large enough that the update shows in every parameter.
    let (errors, moved) = one_step_both_ways(net, 6, 0.01);
    for (i, err) in errors.into_iter().enumerate() {
        assert!(err < 1e-5, "parameter tensor {i}: relative error {err}");
    }
    assert!(moved > 1e-4, "the step moved the first convolution's weights ({moved})");
}

#[test]
fn the_in_place_sgd_step_equals_burns_sgd() {
    let device = Device::flex().autodiff();
    let net = NetConfig::mlp("m", [8, 8, 3], vec![32, 16], 10).init(Init::PyTorch { seed: 3 }, &device).unwrap();
    let images = noise([10, 8, 8, 3], 7, &device);
    let labels = Tensor::<1, Int>::from_data(TensorData::from([1i64, 2, 3, 4, 5, 6, 7, 8, 9, 0]), &device);
    let (mut ours, mut theirs) = (net.clone(), net);
    let mut burn_sgd = SgdConfig::new().init();
    for _ in 0..3 {
        // The training loop's step: the first layer's update folded into its gradient, written
        // over its buffer from the second step on (the first shares it with `theirs`).
        ours = batch_step(ours, &mut Sgd, images.clone(), labels.clone(), &CrossEntropy::new(10, &device), 0.05).0;
        let g = GradientsParams::from_grads(loss(theirs.forward(images.clone()), &labels).backward(), &theirs);
        theirs = burn_sgd.step(0.05, theirs, g);
    }
    for (a, b) in parameters(&ours).into_iter().zip(parameters(&theirs)) {
        assert!(relative_error(a, b) < 1e-6);
    }
    // Still trainable: the updated parameters require gradients.
    assert!(ours.linears[0].weight.val().is_require_grad());
}
