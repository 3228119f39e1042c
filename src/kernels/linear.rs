//! The fully connected layer, `y = x · W + b` for `x [batch, inputs]` and `W [inputs, outputs]`
//! (burn's row layout), and its gradients, as matrix products ([`super::matmul`]).
//!
//! burn's own linear layer is a general matrix product plus a broadcast add. On the DogSet MLP
//! (a 12288 x 128 first layer, batch 10) its weight gradient came from a buffer cleared and then
//! copied into an aligned one every step, and in wasm its product packed the whole 6.3 MB weight
//! in the forward pass; here the forward pass reads the weight in place and the gradient is
//! written once into a fresh buffer ([`super::matmul::product`]).

use super::matmul::{self, Mat};

/// The layer's sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinearShape {
    pub batch: usize,
    pub inputs: usize,
    pub outputs: usize,
}

/// `x · weight + bias`, `[batch, outputs]`.
pub fn forward(s: &LinearShape, x: &[f32], weight: &[f32], bias: &[f32]) -> Vec<f32> {
    let mut y = matmul::product(s.batch, s.outputs, s.inputs, Mat::rows(x, s.inputs), Mat::rows(weight, s.outputs));
    for row in y.chunks_exact_mut(s.outputs) {
        for (v, b) in row.iter_mut().zip(bias) {
            *v += b;
        }
    }
    y
}

/// The input's gradient, `dy · weightᵀ`, `[batch, inputs]`.
pub fn input_grad(s: &LinearShape, weight: &[f32], dy: &[f32]) -> Vec<f32> {
    matmul::product(s.batch, s.inputs, s.outputs, Mat::rows(dy, s.outputs), Mat::transposed(weight, s.outputs))
}

/// The weight's gradient, `xᵀ · dy`, `[inputs, outputs]`.
pub fn weight_grad(s: &LinearShape, x: &[f32], dy: &[f32]) -> Vec<f32> {
    matmul::product(s.inputs, s.outputs, s.batch, Mat::transposed(x, s.inputs), Mat::rows(dy, s.outputs))
}

/// One SGD step of the weight with its gradient folded in: `weight += xᵀ · (-lr · dy)`, one
/// pass over `weight` (reading and writing it) where computing the gradient and then stepping
/// takes three (writing the gradient, reading it back beside the weight, writing the weight).
/// The step size scales `dy`, the small operand (`[batch, outputs]`); scaling `xᵀ` instead
/// gathered the batch's inputs into a copy, 8 % of a browser epoch.
pub fn sgd_step(s: &LinearShape, weight: &mut [f32], x: &[f32], dy: &[f32], lr: f32) {
    let step: Vec<f32> = dy.iter().map(|g| -lr * g).collect();
    let (xt, step) = (Mat::transposed(x, s.inputs), Mat::rows(&step, s.outputs));
    matmul::matmul(s.inputs, s.outputs, s.batch, weight, true, xt, step);
}

/// The bias's gradient: `dy` summed over the batch, `[outputs]`.
pub fn bias_grad(s: &LinearShape, dy: &[f32]) -> Vec<f32> {
    let mut db = vec![0.0; s.outputs];
    for row in dy.chunks_exact(s.outputs) {
        for (d, v) in db.iter_mut().zip(row) {
            *d += v;
        }
    }
    db
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook sums, one element at a time.
    fn naive(s: &LinearShape, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
        let mut y = vec![0.0; s.batch * s.outputs];
        for i in 0..s.batch {
            for j in 0..s.outputs {
                y[i * s.outputs + j] =
                    b[j] + (0..s.inputs).map(|p| x[i * s.inputs + p] * w[p * s.outputs + j]).sum::<f32>();
            }
        }
        y
    }

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * 7919 + seed * 104_729) % 1000) as f32 / 500.0 - 1.0).collect()
    }

    /// A row-major `[rows, cols]` matrix's transpose, row-major.
    fn transpose(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
        (0..cols).flat_map(|j| (0..rows).map(move |i| a[i * cols + j])).collect()
    }

    #[test]
    fn the_forward_pass_and_gradients_are_the_sums_they_stand_for() {
        for (batch, inputs, outputs) in [(1, 1, 1), (3, 5, 2), (10, 300, 17), (4, 1, 9)] {
            let s = LinearShape { batch, inputs, outputs };
            let (x, w, b, dy) = (
                values(batch * inputs, 1),
                values(inputs * outputs, 2),
                values(outputs, 3),
                values(batch * outputs, 4),
            );
            let close = |a: &[f32], e: &[f32]| {
                a.len() == e.len() && a.iter().zip(e).all(|(a, e)| (a - e).abs() <= 1e-4 * (1.0 + e.abs()))
            };
            assert!(close(&forward(&s, &x, &w, &b), &naive(&s, &x, &w, &b)), "{s:?}");
            // dx = dy · Wᵀ: a layer from `outputs` to `inputs` with weight Wᵀ and no bias.
            let back = LinearShape { batch, inputs: outputs, outputs: inputs };
            let dx = naive(&back, &dy, &transpose(&w, inputs, outputs), &vec![0.0; inputs]);
            assert!(close(&input_grad(&s, &w, &dy), &dx), "{s:?}");
            // dW = xᵀ · dy: a "batch" of `inputs` rows of xᵀ through a layer with weight dy.
            let outer = LinearShape { batch: inputs, inputs: batch, outputs };
            let dw = naive(&outer, &transpose(&x, batch, inputs), &dy, &vec![0.0; outputs]);
            assert!(close(&weight_grad(&s, &x, &dy), &dw), "{s:?}");
            let db: Vec<f32> = (0..outputs).map(|j| (0..batch).map(|i| dy[i * outputs + j]).sum()).collect();
            assert!(close(&bias_grad(&s, &dy), &db), "{s:?}");
            let lr = 0.3;
            let mut stepped = w.clone();
            sgd_step(&s, &mut stepped, &x, &dy, lr);
            let want: Vec<f32> = w.iter().zip(&dw).map(|(w, g)| w - lr * g).collect();
            assert!(close(&stepped, &want), "{s:?}");
        }
    }
}
