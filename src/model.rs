//! The homework's models, built from one config shape: convolution blocks (Conv -> ReLU ->
//! MaxPool 2), then fully connected layers with ReLU between them. Inputs are NHWC, as in the
//! course's tests; outputs are logits (no softmax: the loss applies it).

use burn::module::{Initializer, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;
use rand::RngExt;

use crate::data::{rng_for, stream};
use crate::run::TensorValues;
use burn::tensor::Transaction;

pub use crate::net::{ConvSpec, LayerRow, NetConfig, NoPixels};

/// Why saved parameters do not fit a model.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the checkpoint has fewer tensors than the model")]
    TooFew,
    #[error("the checkpoint has more tensors than the model")]
    TooMany,
    #[error("a checkpoint tensor of shape {found:?} where the model has {expected:?}")]
    Shape { found: Vec<usize>, expected: Vec<usize> },
    #[error("the checkpoint is of epoch {checkpoint} but {recorded} epochs are recorded")]
    Epoch { checkpoint: usize, recorded: usize },
}

impl NetConfig {
    /// Builds the model on `device`.
    pub fn init(&self, init: Init, device: &Device) -> Result<Net, NoPixels> {
        let [c, h, w] = self.conv_output()?;
        let mut init = ParamInit::new(init);
        let mut in_channels = self.input[2];
        let convs = self
            .convs
            .iter()
            .map(|spec| {
                let mut conv = Conv2dConfig::new([in_channels, spec.out_channels], [spec.kernel; 2])
                    .with_stride([spec.stride; 2])
                    .with_initializer(Initializer::Zeros)
                    .init(device);
                let fan_in = in_channels * spec.kernel * spec.kernel;
                conv.weight = init.param([spec.out_channels, in_channels, spec.kernel, spec.kernel], fan_in, device);
                conv.bias = Some(init.bias([spec.out_channels], fan_in, device));
                in_channels = spec.out_channels;
                conv
            })
            .collect();
        let widths: Vec<usize> =
            std::iter::once(c * h * w).chain(self.hidden.iter().copied()).chain([self.classes]).collect();
        let linears = widths.windows(2).map(|pair| init.linear(pair[0], pair[1], device)).collect();
        Ok(Net { convs, linears, pool: MaxPool2dConfig::new([2, 2]).init(), relu: Relu::new() })
    }
}

/// How to set the initial parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// As PyTorch does for Linear and Conv2d: weights and biases uniform in
    /// +-1/sqrt(fan_in), drawn from nnlab's seeded RNG so every backend starts from the same
    /// numbers.
    PyTorch { seed: u64 },
    /// Every weight this constant, biases 0 (the course's golden tests).
    Constant(f32),
}

/// Draws parameters in a fixed order (layer by layer, weight then bias).
pub(crate) struct ParamInit {
    init: Init,
    rng: rand::rngs::StdRng,
}

impl ParamInit {
    pub(crate) fn new(init: Init) -> Self {
        let seed = if let Init::PyTorch { seed } = init { seed } else { 0 };
        Self { init, rng: rng_for(seed, stream::WEIGHTS) }
    }

    fn values(&mut self, n: usize, fan_in: usize, constant: f32) -> Vec<f32> {
        match self.init {
            Init::PyTorch { .. } => {
                let bound = 1.0 / (fan_in as f32).sqrt();
                (0..n).map(|_| self.rng.random_range(-bound..bound)).collect()
            }
            Init::Constant(_) => vec![constant; n],
        }
    }

    fn param<const D: usize>(&mut self, shape: [usize; D], fan_in: usize, device: &Device) -> Param<Tensor<D>> {
        let constant = if let Init::Constant(c) = self.init { c } else { 0.0 };
        let values = self.values(shape.iter().product(), fan_in, constant);
        Param::from_data(TensorData::new(values, shape), device)
    }

    /// A fully connected layer, `[inputs, outputs]` weights then biases.
    pub(crate) fn linear(&mut self, inputs: usize, outputs: usize, device: &Device) -> Linear {
        let mut linear = LinearConfig::new(inputs, outputs).with_initializer(Initializer::Zeros).init(device);
        linear.weight = self.param([inputs, outputs], inputs, device);
        linear.bias = Some(self.bias([outputs], inputs, device));
        linear
    }

    fn bias(&mut self, shape: [usize; 1], fan_in: usize, device: &Device) -> Param<Tensor<1>> {
        let values = self.values(shape[0], fan_in, 0.0);
        Param::from_data(TensorData::new(values, shape), device)
    }
}

/// A layer's output as [`Net`]'s forward pass shows it to a trace.
pub enum Traced<'a> {
    /// Feature maps `[batch, c, h, w]`.
    Maps(&'a Tensor<4>),
    /// A vector per image `[batch, n]`.
    Vector(&'a Tensor<2>),
}

impl Traced<'_> {
    pub fn dims(&self) -> Vec<usize> {
        match self {
            Traced::Maps(x) => x.dims().to_vec(),
            Traced::Vector(x) => x.dims().to_vec(),
        }
    }
}

#[derive(Module, Debug)]
pub struct Net {
    pub convs: Vec<Conv2d>,
    pub linears: Vec<Linear>,
    pool: MaxPool2d,
    relu: Relu,
}

impl Net {
    /// How many classes the logits score.
    pub fn classes(&self) -> usize {
        self.linears.last().map_or(0, |last| last.weight.val().dims()[1])
    }

    /// `[batch, h, w, c]` images -> `[batch, classes]` logits.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward_traced(images, &mut |_, _| {})
    }

    /// Every layer's output for `images` `[1, h, w, c]`: each conv block's feature maps after
    /// ReLU and after pooling (`[1, c, h, w]`), the flattened vector `[1, n]` and the logits
    /// `[1, classes]`, all left on the device.
    pub fn activations(&self, images: Tensor<4>) -> (Vec<(String, Tensor<4>)>, Tensor<2>, Tensor<2>) {
        let (mut maps, mut flat) = (vec![], None);
        let logits = self.forward_traced(images, &mut |name, out| match out {
            Traced::Maps(x) => maps.push((name, x.clone())),
            Traced::Vector(x) if flat.is_none() => flat = Some(x.clone()),
            Traced::Vector(_) => {}
        });
        (maps, flat.expect("every forward pass flattens"), logits)
    }

    /// The forward pass, showing `trace` every layer's output (by reference: tracing keeps no
    /// tensor alive unless it clones it).
    fn forward_traced(&self, images: Tensor<4>, trace: &mut impl FnMut(String, Traced<'_>)) -> Tensor<2> {
        let [b, h, w, c] = images.dims();
        let mut x: Tensor<2> = if self.convs.is_empty() {
            images.reshape([b, h * w * c]) // [batch, h*w*c]
        } else {
            let mut x = images.permute([0, 3, 1, 2]); // [batch, c, h, w]
            for (i, conv) in self.convs.iter().enumerate() {
                x = self.relu.forward(crate::kernels::conv2d(conv, x));
                trace(format!("conv{} + relu", i + 1), Traced::Maps(&x));
                x = crate::kernels::max_pool(&self.pool, x);
                trace(format!("maxpool{}", i + 1), Traced::Maps(&x));
            }
            let [b, c, h, w] = x.dims();
            x.reshape([b, c * h * w]) // [batch, c*h*w], PyTorch's flatten order
        };
        trace("flatten".into(), Traced::Vector(&x));
        for (i, linear) in self.linears.iter().enumerate() {
            x = self.activate(i, crate::kernels::linear(linear, x));
            let name = if i + 1 < self.linears.len() {
                format!("linear{} + relu", i + 1)
            } else {
                format!("linear{} (logits)", i + 1)
            };
            trace(name, Traced::Vector(&x));
        }
        x
    }

    /// Linear layer `i`'s output after its activation: ReLU, except on the logits.
    fn activate(&self, i: usize, x: Tensor<2>) -> Tensor<2> {
        if i + 1 < self.linears.len() { self.relu.forward(x) } else { x }
    }

    /// The logits from the first linear layer's output (before its ReLU), for a network without
    /// convolutions: the rest of [`Net::forward`]. The CPU training step runs that first layer
    /// outside the autodiff graph (`train::first_layer`).
    pub(crate) fn forward_from_first_linear(&self, hidden: Tensor<2>) -> Tensor<2> {
        debug_assert!(self.convs.is_empty(), "an MLP's first layer sees the images");
        let mut x = self.activate(0, hidden);
        for (i, linear) in self.linears.iter().enumerate().skip(1) {
            x = self.activate(i, crate::kernels::linear(linear, x));
        }
        x
    }

    /// Registers every parameter (layer by layer, weight then bias) for one readback; returns
    /// the transaction and the shapes in registration order.
    pub fn register_parameters(&self, mut tx: Transaction) -> (Transaction, Vec<Vec<usize>>) {
        let mut shapes = vec![];
        for conv in &self.convs {
            shapes.push(conv.weight.val().dims().to_vec());
            tx = tx.register(conv.weight.val());
            if let Some(b) = &conv.bias {
                shapes.push(b.val().dims().to_vec());
                tx = tx.register(b.val());
            }
        }
        for linear in &self.linears {
            shapes.push(linear.weight.val().dims().to_vec());
            tx = tx.register(linear.weight.val());
            if let Some(b) = &linear.bias {
                shapes.push(b.val().dims().to_vec());
                tx = tx.register(b.val());
            }
        }
        (tx, shapes)
    }

    /// This model with the parameters of `tensors` (in [`Net::register_parameters`]'s order),
    /// or why they do not fit.
    pub fn with_parameters(mut self, tensors: &[TensorValues], device: &Device) -> Result<Net, CheckpointError> {
        let mut next = tensors.iter();
        let mut take = |expected: Vec<usize>| -> Result<TensorData, CheckpointError> {
            let t = next.next().ok_or(CheckpointError::TooFew)?;
            if t.shape != expected || t.values.len() != expected.iter().product::<usize>() {
                return Err(CheckpointError::Shape { found: t.shape.clone(), expected });
            }
            Ok(TensorData::new(t.values.clone(), t.shape.clone()))
        };
        for conv in &mut self.convs {
            conv.weight = Param::from_data(take(conv.weight.val().dims().to_vec())?, device);
            if let Some(b) = conv.bias.take() {
                conv.bias = Some(Param::from_data(take(b.val().dims().to_vec())?, device));
            }
        }
        for linear in &mut self.linears {
            linear.weight = Param::from_data(take(linear.weight.val().dims().to_vec())?, device);
            if let Some(b) = linear.bias.take() {
                linear.bias = Some(Param::from_data(take(b.val().dims().to_vec())?, device));
            }
        }
        if next.next().is_some() {
            return Err(CheckpointError::TooMany);
        }
        Ok(self)
    }

    /// First convolution's output after ReLU: `[batch, c, h, w]` feature maps.
    pub fn first_layer_maps(&self, images: Tensor<4>) -> Tensor<4> {
        let conv = self.convs.first().expect("first_layer_maps needs a convolutional model");
        self.relu.forward(conv.forward(images.permute([0, 3, 1, 2])))
    }

    /// The layer table, with shapes from a forward pass of one zero image.
    pub fn layer_table(&self, input: [usize; 3], device: &Device) -> Vec<LayerRow> {
        let mut shapes = vec![];
        let [h, w, c] = input;
        self.forward_traced(Tensor::zeros([1, h, w, c], device), &mut |name, out| shapes.push((name, out.dims())));
        let mut params =
            self.convs
                .iter()
                .map(|l| (l.weight.val().dims().iter().product(), l.bias.as_ref().map_or(0, |b| b.val().dims()[0])))
                .chain(self.linears.iter().map(|l| {
                    (l.weight.val().dims().iter().product(), l.bias.as_ref().map_or(0, |b| b.val().dims()[0]))
                }));
        shapes
            .into_iter()
            .map(|(layer, output_shape)| {
                let owns_params = layer.starts_with("conv") || layer.starts_with("linear");
                let (weights, biases) = if owns_params { params.next().unwrap_or((0, 0)) } else { (0, 0) };
                LayerRow { layer, output_shape, weights, biases }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_output(config: NetConfig, input_value: f32, weight: f32) -> f32 {
        let device = Device::flex();
        let net = config.init(Init::Constant(weight), &device).unwrap();
        let [h, w, c] = config.input;
        let out = net.forward(Tensor::full([1, h, w, c], input_value, &device));
        out.mean().into_scalar::<f32>()
    }

    /// HOMEWORK section 0, model-output goldens (every weight one constant, biases 0).
    #[test]
    fn model_output_goldens() {
        let cases = [
            (NetConfig::mnist_mlp(), 0.01, 0.01, 0.064225264),
            (NetConfig::dog_cnn(5, 1), 0.1, 0.01, 16.224094),
            (NetConfig::synth_cnn_with_kernels([3, 3, 3]), 1.0, 0.1, 4.6656017),
        ];
        for (config, input, weight, expected) in cases {
            let got = mean_output(config.clone(), input, weight);
            // f32 sums over up to 784 terms differ from the reference by ~1e-5 relative; a wrong
            // layer size, pooling or activation changes the result by far more.
            assert!(((got - expected) / expected).abs() < 5e-5, "{}: {got} vs {expected}", config.name);
        }
    }

    /// HOMEWORK sections 1, 3, 5, 6 (the answer key's 533,120 and 99,744 were wrong).
    #[test]
    fn parameter_counts() {
        let device = Device::flex();
        let count = |c: NetConfig| c.init(Init::PyTorch { seed: 1 }, &device).unwrap().num_params();
        assert_eq!(count(NetConfig::mnist_mlp()), 109_386);
        assert_eq!(count(NetConfig::dog_mlp()), 1_581_898);
        assert_eq!(count(NetConfig::dog_cnn(5, 1)), 68_138);
        assert_eq!(count(NetConfig::synth_cnn()), 442);
    }

    #[test]
    fn layer_table_shapes_come_from_the_forward_pass() {
        let device = Device::flex();
        let config = NetConfig::dog_cnn(5, 1);
        let table = config.init(Init::Constant(0.0), &device).unwrap().layer_table(config.input, &device);
        let flatten = table.iter().find(|r| r.layer == "flatten").unwrap();
        assert_eq!(flatten.output_shape, vec![1, 5408]); // 32 * 13 * 13
        let weights: usize = table.iter().map(|r| r.weights).sum();
        let biases: usize = table.iter().map(|r| r.biases).sum();
        assert_eq!((weights, weights + biases), (68_080, 68_138));
        assert_eq!(table.last().unwrap().output_shape, vec![1, 10]);
        assert_eq!(config.conv_output(), Ok([32, 13, 13]));
    }

    #[test]
    fn the_shape_table_agrees_with_the_built_models_forward_pass() {
        let device = Device::flex();
        for config in [
            NetConfig::mnist_mlp(),
            NetConfig::dog_mlp(),
            NetConfig::dog_cnn(5, 1),
            NetConfig::dog_cnn_with([(7, 2), (3, 1)]),
            NetConfig::synth_cnn(),
        ] {
            let net = config.init(Init::Constant(0.0), &device).unwrap();
            assert_eq!(config.shape_table().unwrap(), net.layer_table(config.input, &device), "{}", config.name);
        }
    }

    #[test]
    fn settings_that_collapse_the_image_are_refused() {
        let err = NetConfig::dog_cnn(40, 1).conv_output().unwrap_err();
        assert_eq!((err.block, err.kernel, err.height), (2, 40, 12), "{err}");
        assert!(err.to_string().contains("block 2"), "{err}");
        assert!(NetConfig::dog_cnn(40, 1).init(Init::Constant(0.0), &Device::flex()).is_err());
    }

    /// The calculator (crate::conv_size) against the shape burn's own convolution produces.
    #[test]
    fn the_output_size_calculator_agrees_with_burn() {
        use crate::labs::conv_size::{ConvQuery, conv_output};
        use burn::nn::PaddingConfig2d;
        let device = Device::flex();
        let mut checked = 0;
        for size in [[7, 9], [32, 32], [13, 5]] {
            for kernel in [[1, 1], [3, 2], [5, 5], [8, 4]] {
                for stride in [[1, 1], [2, 3]] {
                    for padding in [[0, 0], [1, 2], [4, 8]] {
                        for dilation in [[1, 1], [2, 1]] {
                            let q = ConvQuery {
                                batch: 2,
                                in_channels: 3,
                                out_channels: 4,
                                size,
                                padding,
                                kernel,
                                stride,
                                dilation,
                            };
                            let Ok((shape, _)) = conv_output(&q) else { continue };
                            let conv = Conv2dConfig::new([3, 4], kernel)
                                .with_stride(stride)
                                .with_dilation(dilation)
                                .with_padding(PaddingConfig2d::Explicit(padding[0], padding[1], padding[0], padding[1]))
                                .init(&device);
                            let out = conv.forward(Tensor::zeros([2, 3, size[0], size[1]], &device));
                            assert_eq!(out.dims(), shape, "{q:?}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 100, "{checked} settings compared");
    }

    #[test]
    fn pytorch_init_is_seeded_and_bounded_by_fan_in() {
        let device = Device::flex();
        let weights = |seed| {
            let net = NetConfig::synth_cnn().init(Init::PyTorch { seed }, &device).unwrap();
            net.convs[0].weight.val().into_data().try_to_vec::<f32>().unwrap()
        };
        let a = weights(1);
        assert_eq!(a, weights(1));
        assert_ne!(a, weights(2));
        // fan_in of the first conv is 1 * 5 * 5, so the bound is 1/5.
        assert!(a.iter().all(|w| w.abs() <= 0.2));
        assert!(a.iter().any(|w| w.abs() > 0.15), "values spread over the whole range");
    }
}
