//! A 2-D convolution's backward pass as matrix products, on plain `f32` slices.
//!
//! burn's CPU backend computes the weight gradient as a convolution whose "kernel" is the whole
//! output gradient plane (60x60 for the DogSet CNN's first layer) and the input gradient as a
//! transposed convolution; both are far from a matrix product. Here each image is unfolded once
//! (im2col: one column per output position, one row per kernel tap) and
//! - the weight gradient is `dY_n · cols_nᵀ`, accumulated over the batch into one buffer;
//! - the input gradient is `Wᵀ · dY_n`, folded back onto the image (col2im);
//! - the bias gradient is the sum of `dY` over the batch and the output plane.
//!
//! The forward pass is the same unfolding: `y_n = W · cols_n + b`.
//!
//! Groups 1 and dilation 1 only (the labs' convolutions); [`ConvShape::new`] says when a
//! convolution is outside that and the caller keeps burn's own kernels.

use super::matmul::{Mat, matmul};

/// The geometry of one convolution: `x [batch, in_c, in_h, in_w]`, `weight [out_c, in_c, k_h,
/// k_w]`, `y [batch, out_c, out_h, out_w]`, all contiguous and row-major.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
    pub batch: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    /// `[h, w]` of the input image.
    pub input: [usize; 2],
    /// `[h, w]` of the kernel.
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    /// Zeros added before the first row and column (those after the last only change the
    /// output size, which `output` already holds).
    pub padding: [usize; 2],
    /// Whether any side is padded, so some taps fall outside the image.
    pub padded: bool,
    /// `[h, w]` of the output plane.
    pub output: [usize; 2],
}

impl ConvShape {
    /// The shape of a convolution, or `None` when it has no output or needs dilation or groups.
    pub fn new(
        x: [usize; 4],
        weight: [usize; 4],
        stride: [usize; 2],
        padding: [(usize, usize); 2],
        dilation: [usize; 2],
        groups: usize,
    ) -> Option<Self> {
        let [batch, in_channels, in_h, in_w] = x;
        let [out_channels, weight_in, k_h, k_w] = weight;
        if groups != 1 || dilation != [1, 1] || weight_in != in_channels || stride.contains(&0) {
            return None;
        }
        let out = |size: usize, (before, after): (usize, usize), k: usize, s: usize| {
            (size + before + after).checked_sub(k).map(|span| span / s + 1)
        };
        let output = [out(in_h, padding[0], k_h, stride[0])?, out(in_w, padding[1], k_w, stride[1])?];
        Some(Self {
            batch,
            in_channels,
            out_channels,
            input: [in_h, in_w],
            kernel: [k_h, k_w],
            stride,
            padding: [padding[0].0, padding[1].0],
            padded: padding != [(0, 0); 2],
            output,
        })
    }

    /// Rows of an unfolded image: one per kernel tap, `in_c * k_h * k_w`.
    pub fn patch(&self) -> usize {
        self.in_channels * self.kernel[0] * self.kernel[1]
    }

    /// Columns of an unfolded image: one per output position.
    pub fn plane(&self) -> usize {
        self.output[0] * self.output[1]
    }

    fn image(&self) -> usize {
        self.in_channels * self.input[0] * self.input[1]
    }

    /// For kernel tap `k` along one axis, the output positions `lo..hi` whose input index
    /// `o * stride + k - padding` falls inside `0..size`.
    fn valid(&self, axis: usize, k: usize) -> (usize, usize) {
        let (size, stride, pad, out) = (self.input[axis], self.stride[axis], self.padding[axis], self.output[axis]);
        let lo = pad.saturating_sub(k).div_ceil(stride).min(out);
        // o * stride + k - pad <= size - 1  <=>  o <= (size - 1 + pad - k) / stride
        let hi = if size + pad > k { ((size - 1 + pad - k) / stride + 1).min(out) } else { 0 };
        (lo, hi.max(lo))
    }

    /// Calls `f(row, input row offset, output columns lo..hi, first input column)` for every
    /// (channel, tap, output row) whose input row exists: the walk im2col and col2im share.
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize, usize, usize, usize)) {
        let [in_h, in_w] = self.input;
        let [k_h, k_w] = self.kernel;
        let ow = self.output[1];
        for c in 0..self.in_channels {
            for ki in 0..k_h {
                let (oy_lo, oy_hi) = self.valid(0, ki);
                for kj in 0..k_w {
                    let row = (c * k_h + ki) * k_w + kj;
                    let (ox_lo, ox_hi) = self.valid(1, kj);
                    if ox_lo == ox_hi {
                        continue;
                    }
                    for oy in oy_lo..oy_hi {
                        let iy = oy * self.stride[0] + ki - self.padding[0];
                        let ix0 = (ox_lo * self.stride[1] + kj).wrapping_sub(self.padding[1]);
                        f(row, (c * in_h + iy) * in_w, oy * ow, ox_lo, ox_hi, ix0);
                    }
                }
            }
        }
    }
}

/// Unfolds one image `x [in_c, in_h, in_w]` into `cols [patch, plane]`.
pub fn im2col(s: &ConvShape, x: &[f32], cols: &mut [f32]) {
    let plane = s.plane();
    // Positions whose tap falls on the padding stay zero.
    if s.padded {
        cols.fill(0.0);
    }
    let stride = s.stride[1];
    s.for_each_run(|row, in_row, out_row, lo, hi, ix0| {
        let dst = &mut cols[row * plane + out_row + lo..row * plane + out_row + hi];
        let src = &x[in_row + ix0..];
        if stride == 1 {
            dst.copy_from_slice(&src[..hi - lo]);
        } else {
            for (d, s) in dst.iter_mut().zip(src.iter().step_by(stride)) {
                *d = *s;
            }
        }
    });
}

/// Adds unfolded gradients `cols [patch, plane]` back onto the image gradient
/// `dx [in_c, in_h, in_w]` (the transpose of [`im2col`]).
pub fn col2im(s: &ConvShape, cols: &[f32], dx: &mut [f32]) {
    let plane = s.plane();
    let stride = s.stride[1];
    s.for_each_run(|row, in_row, out_row, lo, hi, ix0| {
        let src = &cols[row * plane + out_row + lo..row * plane + out_row + hi];
        let dst = &mut dx[in_row + ix0..];
        if stride == 1 {
            // Two plain slices of one length: the loop vectorises (a stepped iterator does not).
            for (d, s) in dst[..src.len()].iter_mut().zip(src) {
                *d += *s;
            }
        } else {
            for (d, s) in dst.iter_mut().step_by(stride).zip(src) {
                *d += *s;
            }
        }
    });
}

/// The convolution of `x [batch, in_c, in_h, in_w]` with `weight [out_c, patch]`, plus `bias
/// [out_c]`: `y [batch, out_c, out_h, out_w]`, each image as `W · cols_n`.
pub fn forward(s: &ConvShape, x: &[f32], weight: &[f32], bias: &[f32]) -> Vec<f32> {
    let (patch, plane, out_c) = (s.patch(), s.plane(), s.out_channels);
    let mut y = vec![0.0; s.batch * out_c * plane];
    let mut cols = vec![0.0; patch * plane];
    for (n, y_n) in y.chunks_exact_mut(out_c * plane).enumerate() {
        im2col(s, &x[n * s.image()..(n + 1) * s.image()], &mut cols);
        for (row, b) in y_n.chunks_exact_mut(plane).zip(bias) {
            row.fill(*b);
        }
        // y_n [out_c, plane] += W [out_c, patch] · cols_n [patch, plane]
        matmul(out_c, plane, patch, y_n, true, Mat::rows(weight, patch), Mat::rows(&cols, plane));
    }
    y
}

/// The gradients of the weight `[out_c, patch]` and the bias `[out_c]` from the input
/// `x [batch, in_c, in_h, in_w]` and the output gradient `dy [batch, out_c, out_h, out_w]`.
pub fn weight_and_bias_grad(s: &ConvShape, x: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let (patch, plane, out_c) = (s.patch(), s.plane(), s.out_channels);
    // Accumulated transposed, `dWᵀ [patch, out_c]`, so the unfolded image (the big operand)
    // is the left one, read row by row in place, and the small `dY_n` is the one packed.
    let mut dw_t = vec![0.0; patch * out_c];
    let mut db = vec![0.0; out_c];
    let mut cols = vec![0.0; patch * plane];
    for n in 0..s.batch {
        im2col(s, &x[n * s.image()..(n + 1) * s.image()], &mut cols);
        let dy_n = &dy[n * out_c * plane..(n + 1) * out_c * plane];
        // dWᵀ [patch, out_c] += cols_n [patch, plane] · dY_nᵀ [plane, out_c]
        matmul(patch, out_c, plane, &mut dw_t, n > 0, Mat::rows(&cols, plane), Mat::transposed(dy_n, plane));
        for (b, row) in db.iter_mut().zip(dy_n.chunks_exact(plane)) {
            *b += row.iter().sum::<f32>();
        }
    }
    let dw = (0..out_c * patch).map(|i| dw_t[(i % patch) * out_c + i / patch]).collect();
    (dw, db)
}

/// The gradient of the input `[batch, in_c, in_h, in_w]` from the weight `[out_c, patch]` and
/// the output gradient `dy [batch, out_c, out_h, out_w]`.
pub fn input_grad(s: &ConvShape, weight: &[f32], dy: &[f32]) -> Vec<f32> {
    let (patch, plane, out_c) = (s.patch(), s.plane(), s.out_channels);
    let mut dx = vec![0.0; s.batch * s.image()];
    let mut cols = vec![0.0; patch * plane];
    for n in 0..s.batch {
        // dcols [patch, plane] = Wᵀ [patch, out_c] · dY_n [out_c, plane]
        matmul(
            patch,
            plane,
            out_c,
            &mut cols,
            false,
            Mat::transposed(weight, patch),
            Mat::rows(&dy[n * out_c * plane..(n + 1) * out_c * plane], plane),
        );
        col2im(s, &cols, &mut dx[n * s.image()..(n + 1) * s.image()]);
    }
    dx
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The convolution by its definition, for checking the unfolded forms.
    fn direct(s: &ConvShape, x: &[f32], w: &[f32]) -> Vec<f32> {
        let mut y = vec![0.0f64; s.batch * s.out_channels * s.plane()];
        for n in 0..s.batch {
            for o in 0..s.out_channels {
                for oy in 0..s.output[0] {
                    for ox in 0..s.output[1] {
                        let mut sum = 0.0f64;
                        for c in 0..s.in_channels {
                            for ki in 0..s.kernel[0] {
                                for kj in 0..s.kernel[1] {
                                    let iy = (oy * s.stride[0] + ki) as isize - s.padding[0] as isize;
                                    let ix = (ox * s.stride[1] + kj) as isize - s.padding[1] as isize;
                                    if iy < 0 || ix < 0 || iy >= s.input[0] as isize || ix >= s.input[1] as isize {
                                        continue;
                                    }
                                    let xi =
                                        ((n * s.in_channels + c) * s.input[0] + iy as usize) * s.input[1] + ix as usize;
                                    let wi = ((o * s.in_channels + c) * s.kernel[0] + ki) * s.kernel[1] + kj;
                                    sum += x[xi] as f64 * w[wi] as f64;
                                }
                            }
                        }
                        y[((n * s.out_channels + o) * s.output[0] + oy) * s.output[1] + ox] = sum;
                    }
                }
            }
        }
        y.into_iter().map(|v| v as f32).collect()
    }

    #[test]
    fn im2col_then_weights_is_the_convolution() {
        let s = ConvShape::new([2, 3, 7, 5], [4, 3, 3, 2], [2, 1], [(1, 1), (2, 0)], [1, 1], 1).unwrap();
        let x: Vec<f32> = (0..2 * 3 * 7 * 5).map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0).collect();
        let w: Vec<f32> = (0..4 * 3 * 3 * 2).map(|i| ((i * 13 % 17) as f32 - 8.0) / 5.0).collect();
        let expected = direct(&s, &x, &w);
        let mut cols = vec![0.0; s.patch() * s.plane()];
        for n in 0..2 {
            im2col(&s, &x[n * s.image()..(n + 1) * s.image()], &mut cols);
            let mut y = vec![0.0; 4 * s.plane()];
            let lhs = Mat::rows(&w, s.patch());
            matmul(4, s.plane(), s.patch(), &mut y, false, lhs, Mat::rows(&cols, s.plane()));
            let want = &expected[n * 4 * s.plane()..(n + 1) * 4 * s.plane()];
            for (a, b) in y.iter().zip(want) {
                assert!((a - b).abs() < 1e-4, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn the_forward_pass_adds_the_bias() {
        let s = ConvShape::new([2, 2, 5, 6], [3, 2, 2, 3], [1, 2], [(0, 1), (1, 0)], [1, 1], 1).unwrap();
        let x: Vec<f32> = (0..2 * s.image()).map(|i| ((i * 7 % 11) as f32 - 5.0) / 3.0).collect();
        let w: Vec<f32> = (0..3 * s.patch()).map(|i| ((i * 5 % 9) as f32 - 4.0) / 2.0).collect();
        let y = forward(&s, &x, &w, &[1.0, -2.0, 0.5]);
        let expected = direct(&s, &x, &w);
        for (i, (a, b)) in y.iter().zip(&expected).enumerate() {
            let bias = [1.0, -2.0, 0.5][i / s.plane() % 3];
            assert!((a - (b + bias)).abs() < 1e-4, "{a} vs {b} + {bias}");
        }
    }

    #[test]
    fn col2im_is_the_transpose_of_im2col() {
        // <im2col(x), c> == <x, col2im(c)> for any x and c.
        let s = ConvShape::new([1, 2, 6, 9], [1, 2, 4, 3], [3, 2], [(2, 1), (0, 2)], [1, 1], 1).unwrap();
        let x: Vec<f32> = (0..s.image()).map(|i| (i % 7) as f32 - 3.0).collect();
        let c: Vec<f32> = (0..s.patch() * s.plane()).map(|i| (i % 5) as f32 - 2.0).collect();
        let mut cols = vec![0.0; c.len()];
        im2col(&s, &x, &mut cols);
        let mut dx = vec![0.0; x.len()];
        col2im(&s, &c, &mut dx);
        let lhs: f32 = cols.iter().zip(&c).map(|(a, b)| a * b).sum();
        let rhs: f32 = x.iter().zip(&dx).map(|(a, b)| a * b).sum();
        assert_eq!(lhs, rhs);
    }

    #[test]
    fn shapes_outside_the_kernels_are_refused() {
        assert_eq!(ConvShape::new([1, 1, 4, 4], [1, 1, 5, 5], [1, 1], [(0, 0); 2], [1, 1], 1), None);
        assert_eq!(ConvShape::new([1, 2, 8, 8], [2, 1, 3, 3], [1, 1], [(0, 0); 2], [1, 1], 2), None);
        assert_eq!(ConvShape::new([1, 1, 8, 8], [1, 1, 3, 3], [1, 1], [(0, 0); 2], [2, 2], 1), None);
        let s = ConvShape::new([10, 3, 64, 64], [16, 3, 5, 5], [1, 1], [(0, 0); 2], [1, 1], 1).unwrap();
        assert_eq!((s.output, s.patch(), s.plane()), ([60, 60], 75, 3600));
    }
}
