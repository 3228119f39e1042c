//! The homework's architectures as plain data: what the page edits and draws (layer tables,
//! collapse checks) without linking burn, and what [`crate::model`] builds.

use serde::{Deserialize, Serialize};

/// One convolution block: Conv(k x k, stride) -> ReLU -> MaxPool 2 (floor, no padding).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvSpec {
    pub out_channels: usize,
    pub kernel: usize,
    pub stride: usize,
}

/// A model of the homework, by architecture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    pub name: String,
    /// `[h, w, c]` of one input image.
    pub input: [usize; 3],
    pub convs: Vec<ConvSpec>,
    /// Widths of the hidden fully connected layers.
    pub hidden: Vec<usize>,
    pub classes: usize,
}

/// Convolutions that leave no image: a kernel larger than what reaches it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "convolution block {block} ({kernel}x{kernel} kernel, stride {stride}) leaves no pixels of a {height}x{width} input"
)]
pub struct NoPixels {
    /// From 1.
    pub block: usize,
    pub kernel: usize,
    pub stride: usize,
    /// The input the block receives.
    pub height: usize,
    pub width: usize,
}

impl NetConfig {
    /// HOMEWORK section 1: 784 -> 128 -> ReLU -> 64 -> ReLU -> 10.
    pub fn mnist_mlp() -> Self {
        Self::mlp("MNIST MLP", [28, 28, 1], vec![128, 64], 10)
    }

    /// HOMEWORK section 3: 12288 -> 128 -> ReLU -> 64 -> ReLU -> 10.
    pub fn dog_mlp() -> Self {
        Self::mlp("DogSet MLP", [64, 64, 3], vec![128, 64], 10)
    }

    /// Any MLP over flattened images.
    pub fn mlp(name: &str, input: [usize; 3], hidden: Vec<usize>, classes: usize) -> Self {
        Self { name: name.into(), input, convs: vec![], hidden, classes }
    }

    /// HOMEWORK section 5: Conv(3->16) and Conv(16->32), both with the same kernel and stride.
    pub fn dog_cnn(kernel: usize, stride: usize) -> Self {
        Self::dog_cnn_with([(kernel, stride); 2])
    }

    /// HOMEWORK section 5 with each conv's `(kernel, stride)` chosen apart.
    pub fn dog_cnn_with(convs: [(usize, usize); 2]) -> Self {
        let [(k1, s1), (k2, s2)] = convs;
        let name = if convs[0] == convs[1] {
            format!("DogSet CNN ({k1}x{k1}, stride {s1})")
        } else {
            format!("DogSet CNN ({k1}x{k1} stride {s1}, {k2}x{k2} stride {s2})")
        };
        Self {
            name,
            input: [64, 64, 3],
            convs: [(16, convs[0]), (32, convs[1])]
                .map(|(out_channels, (kernel, stride))| ConvSpec { out_channels, kernel, stride })
                .to_vec(),
            hidden: vec![],
            classes: 10,
        }
    }

    /// HOMEWORK section 6: Conv 1->2 5x5, 2->4 3x3, 4->8 3x3, then Linear 8->2.
    pub fn synth_cnn() -> Self {
        Self::synth_cnn_with_kernels([5, 3, 3])
    }

    /// The Synth CNN with other kernel sizes (the homework's golden uses all 3x3).
    pub fn synth_cnn_with_kernels(kernels: [usize; 3]) -> Self {
        let outs = [2, 4, 8];
        Self {
            name: "Synth CNN".into(),
            input: [28, 28, 1],
            convs: outs
                .iter()
                .zip(kernels)
                .map(|(&out_channels, kernel)| ConvSpec { out_channels, kernel, stride: 1 })
                .collect(),
            hidden: vec![],
            classes: 2,
        }
    }

    /// `[c, h, w]` after the convolution blocks (the input itself when there are none), or
    /// an error naming the block that shrinks the image to nothing.
    pub fn conv_output(&self) -> Result<[usize; 3], NoPixels> {
        let [mut h, mut w, mut c] = self.input;
        for (i, conv) in self.convs.iter().enumerate() {
            let out =
                |size: usize| (size >= conv.kernel).then(|| (size - conv.kernel) / conv.stride + 1).map(|s| s / 2);
            match (out(h), out(w)) {
                (Some(nh), Some(nw)) if nh > 0 && nw > 0 => (h, w) = (nh, nw),
                _ => {
                    return Err(NoPixels {
                        block: i + 1,
                        kernel: conv.kernel,
                        stride: conv.stride,
                        height: h,
                        width: w,
                    });
                }
            }
            c = conv.out_channels;
        }
        Ok([c, h, w])
    }

    /// Weights and biases in all, from the shapes alone.
    pub fn parameter_count(&self) -> Result<usize, NoPixels> {
        Ok(self.shape_table()?.iter().map(|r| r.weights + r.biases).sum())
    }

    /// The layer table worked out from the shapes alone: what the page shows while the
    /// student edits (tested equal to [`crate::model::Net::layer_table`], which traces a
    /// forward pass of the built model).
    pub fn shape_table(&self) -> Result<Vec<LayerRow>, NoPixels> {
        self.conv_output()?;
        let [mut h, mut w, mut c] = self.input;
        let mut rows = vec![];
        for (i, conv) in self.convs.iter().enumerate() {
            (h, w) = ((h - conv.kernel) / conv.stride + 1, (w - conv.kernel) / conv.stride + 1);
            let weights = conv.out_channels * c * conv.kernel * conv.kernel;
            c = conv.out_channels;
            rows.push(LayerRow {
                layer: format!("conv{} + relu", i + 1),
                output_shape: vec![1, c, h, w],
                weights,
                biases: c,
            });
            (h, w) = (h / 2, w / 2);
            rows.push(LayerRow {
                layer: format!("maxpool{}", i + 1),
                output_shape: vec![1, c, h, w],
                weights: 0,
                biases: 0,
            });
        }
        let flat = c * h * w;
        rows.push(LayerRow { layer: "flatten".into(), output_shape: vec![1, flat], weights: 0, biases: 0 });
        let widths: Vec<usize> =
            std::iter::once(flat).chain(self.hidden.iter().copied()).chain([self.classes]).collect();
        let last = widths.len() - 2;
        for (i, pair) in widths.windows(2).enumerate() {
            let layer = if i < last { format!("linear{} + relu", i + 1) } else { format!("linear{} (logits)", i + 1) };
            rows.push(LayerRow { layer, output_shape: vec![1, pair[1]], weights: pair[0] * pair[1], biases: pair[1] });
        }
        Ok(rows)
    }
}

/// One row of a model's layer table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerRow {
    pub layer: String,
    /// Output shape for one example, batch first.
    pub output_shape: Vec<usize>,
    pub weights: usize,
    pub biases: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dog_cnn_table_has_the_homeworks_sizes() {
        let table = NetConfig::dog_cnn(5, 1).shape_table().unwrap();
        let flatten = table.iter().find(|r| r.layer == "flatten").unwrap();
        assert_eq!(flatten.output_shape, vec![1, 5408]);
        let weights: usize = table.iter().map(|r| r.weights).sum();
        let biases: usize = table.iter().map(|r| r.biases).sum();
        assert_eq!((weights, weights + biases), (68_080, 68_138));
        let mlp = NetConfig::dog_mlp().shape_table().unwrap();
        assert_eq!(mlp.iter().map(|r| r.weights).sum::<usize>(), 1_581_696);
        assert!(NetConfig::dog_cnn(40, 1).shape_table().unwrap_err().to_string().contains("block 2"));
        assert_eq!(NetConfig::mnist_mlp().parameter_count(), Ok(109_386));
    }
}
