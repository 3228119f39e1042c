//! What a trained CNN computes for one image, layer by layer (the idea of CNN Explainer, on the
//! student's own model): each conv block's feature maps after ReLU and after pooling, the
//! flattened vector, the class probabilities, and the kernels that made each map. The worker
//! computes them in one pass with one readback; the page draws them.

use serde::{Deserialize, Serialize};

use crate::run::TensorValues;

/// Which image to look inside.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Input {
    /// An image of the loaded DogSet's test partition.
    DogTest(usize),
    /// Pixels as the model takes them, `[h, w, c]` (the synth lab's demo image).
    Pixels(Vec<f32>),
}

/// Everything one image produced in a trained CNN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activations {
    /// What the image is, in words ("test image 12, a beagle").
    pub title: String,
    /// The image as the page draws it: RGBA, `[h, w, 4]`.
    #[serde(with = "crate::confusion::bytes_base64")]
    pub rgba: Vec<u8>,
    pub image_size: [usize; 2],
    /// Per conv block: after ReLU, then after pooling. Each `values` is `[1, c, h, w]`.
    pub layers: Vec<(String, TensorValues)>,
    /// The flattened vector the linear layers see, `[n]`.
    pub flat: Vec<f32>,
    /// Class probabilities.
    pub probs: Vec<f32>,
    pub names: Vec<String>,
    /// Each conv's weight `[out, in, k, k]`, in block order.
    pub kernels: Vec<TensorValues>,
}

impl Activations {
    /// Layer `l`'s shape `[c, h, w]`.
    pub fn shape(&self, l: usize) -> [usize; 3] {
        let s = &self.layers[l].1.shape;
        [s[1], s[2], s[3]]
    }

    /// Map `c` of layer `l`, `[h, w]` row-major.
    pub fn map(&self, l: usize, c: usize) -> &[f32] {
        let [_, h, w] = self.shape(l);
        &self.layers[l].1.values[c * h * w..(c + 1) * h * w]
    }

    /// The largest value of layer `l` (every map of a layer shares one grey scale, so a weak
    /// map looks weak).
    pub fn layer_max(&self, l: usize) -> f32 {
        self.layers[l].1.values.iter().copied().fold(0.0, f32::max)
    }

    /// The kernel that made map `c` of layer `l`: one `[k, k]` slice per input channel (the
    /// pooled maps were made by their block's convolution), with `k`.
    pub fn kernel_of(&self, l: usize, c: usize) -> Option<(Vec<&[f32]>, usize)> {
        let weight = self.kernels.get(l / 2)?;
        let [_, cin, k, _] = <[usize; 4]>::try_from(weight.shape.as_slice()).ok()?;
        let size = cin * k * k;
        let all = weight.values.get(c * size..(c + 1) * size)?;
        Some((all.chunks(k * k).collect(), k))
    }

    /// The `k` largest units of the flattened vector, largest first.
    pub fn top_units(&self, k: usize) -> Vec<(usize, f32)> {
        let mut order: Vec<usize> = (0..self.flat.len()).collect();
        order.sort_by(|&a, &b| self.flat[b].total_cmp(&self.flat[a]).then(a.cmp(&b)));
        order.into_iter().take(k).map(|i| (i, self.flat[i])).collect()
    }

    /// The most probable class.
    pub fn predicted(&self) -> usize {
        crate::run::Attack::predicted(&self.probs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_blocks() -> Activations {
        let maps = |c: usize, h: usize| TensorValues {
            shape: vec![1, c, h, h],
            values: (0..c * h * h).map(|v| v as f32).collect(),
        };
        Activations {
            title: "test image 0".into(),
            rgba: vec![],
            image_size: [8, 8],
            layers: vec![
                ("conv1 + relu".into(), maps(2, 6)),
                ("maxpool1".into(), maps(2, 3)),
                ("conv2 + relu".into(), maps(3, 2)),
                ("maxpool2".into(), maps(3, 1)),
            ],
            flat: vec![0.5, 2.0, 0.0],
            probs: vec![0.2, 0.8],
            names: vec!["a".into(), "b".into()],
            kernels: vec![
                TensorValues { shape: vec![2, 1, 3, 3], values: (0..18).map(|v| v as f32).collect() },
                TensorValues { shape: vec![3, 2, 2, 2], values: (0..24).map(|v| v as f32).collect() },
            ],
        }
    }

    #[test]
    fn maps_kernels_and_top_units_are_found_by_layer_and_channel() {
        let a = two_blocks();
        assert_eq!(a.shape(1), [2, 3, 3]);
        assert_eq!(a.map(1, 1), &[9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0]);
        assert_eq!(a.layer_max(0), 71.0);
        // Map 2 of the second block (after ReLU or after pooling): two 2x2 slices of conv2.
        let (slices, k) = a.kernel_of(3, 2).unwrap();
        assert_eq!(k, 2);
        assert_eq!(slices, vec![&[16.0, 17.0, 18.0, 19.0][..], &[20.0, 21.0, 22.0, 23.0][..]]);
        assert_eq!(a.kernel_of(0, 1).unwrap().0, vec![&[9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0][..]]);
        assert_eq!(a.top_units(2), vec![(1, 2.0), (0, 0.5)]);
        assert_eq!(a.predicted(), 1);
    }
}
