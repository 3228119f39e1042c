//! 2x2 max pooling with stride 2 (every pool of the labs' CNNs), forward and backward, on
//! plain `f32` slices.
//!
//! burn's CPU backend runs this as a general 3-D pooling with dilation and padding and 64-bit
//! indices (13 % of a DogSet CNN epoch, measured); here each output remembers which of its four
//! inputs won in one byte, and the backward pass writes each gradient to that input.

/// The winner of each output among its four inputs, 0..4 in row-major order.
pub type Winners = Vec<u8>;

/// `x [planes, h, w]` -> `y [planes, h / 2, w / 2]` (an odd last row or column is dropped, as
/// burn and PyTorch do) and the winners. The first maximum in row-major order wins a tie, and a
/// NaN wins over numbers, as in burn's kernel.
pub fn max_pool_2x2(x: &[f32], planes: usize, h: usize, w: usize) -> (Vec<f32>, Winners) {
    let (oh, ow) = (h / 2, w / 2);
    let mut y = vec![0.0; planes * oh * ow];
    let mut winners = vec![0u8; planes * oh * ow];
    // Output rows zipped with their two input rows: no index is checked inside the loop.
    let out_rows = y.chunks_exact_mut(ow.max(1)).zip(winners.chunks_exact_mut(ow.max(1)));
    let in_rows = x.chunks_exact(h * w).take(planes).flat_map(|plane| plane.chunks_exact(2 * w).take(oh));
    for ((y_row, at_row), pair) in out_rows.zip(in_rows) {
        let (top, bottom) = pair.split_at(w);
        let quads = top.chunks_exact(2).zip(bottom.chunks_exact(2));
        for ((y, at), (t, b)) in y_row.iter_mut().zip(at_row.iter_mut()).zip(quads) {
            let candidates = [t[0], t[1], b[0], b[1]];
            let (mut best, mut won) = (candidates[0], 0u8);
            for (i, &v) in candidates.iter().enumerate().skip(1) {
                if v > best || v.is_nan() {
                    (best, won) = (v, i as u8);
                }
            }
            (*y, *at) = (best, won);
        }
    }
    (y, winners)
}

/// The input gradient `[planes, h, w]` from the output gradient `dy [planes, h / 2, w / 2]`:
/// each output's gradient goes to its winner, every other input gets zero.
pub fn max_pool_2x2_backward(dy: &[f32], winners: &[u8], planes: usize, h: usize, w: usize) -> Vec<f32> {
    let (oh, ow) = (h / 2, w / 2);
    let mut dx = vec![0.0; planes * h * w];
    for (p, plane) in dx.chunks_exact_mut(h * w).enumerate() {
        for oy in 0..oh {
            for ox in 0..ow {
                let o = (p * oh + oy) * ow + ox;
                let k = winners[o] as usize;
                plane[(2 * oy + k / 2) * w + 2 * ox + k % 2] = dy[o];
            }
        }
    }
    dx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_and_routes_gradients_to_the_winners() {
        // One 3x5 plane: the odd last row and column are dropped.
        #[rustfmt::skip]
        let x = [
            1.0, 5.0, 2.0, 2.0, 9.0,
            3.0, 4.0, 2.0, 1.0, 9.0,
            9.0, 9.0, 9.0, 9.0, 9.0,
        ];
        let (y, winners) = max_pool_2x2(&x, 1, 3, 5);
        assert_eq!(y, [5.0, 2.0]);
        // A tie (2.0 at positions 0 and 1) goes to the first.
        assert_eq!(winners, [1, 0]);
        let dx = max_pool_2x2_backward(&[10.0, 20.0], &winners, 1, 3, 5);
        #[rustfmt::skip]
        assert_eq!(dx, [
            0.0, 10.0, 20.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0,
        ]);
    }

    #[test]
    fn a_nan_wins() {
        let (y, winners) = max_pool_2x2(&[1.0, 2.0, f32::NAN, 0.0], 1, 2, 2);
        assert!(y[0].is_nan());
        assert_eq!(winners, [2]);
    }
}
