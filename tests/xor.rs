//! HOMEWORK section 7: a network with only linear activations never learns XOR, whatever its
//! depth or seed, while the same shape with ReLU does; the linear one multiplies out to the
//! single map it really is.

use burn::prelude::*;
use nnlab::labs::xor::engine::train_xor;
use nnlab::labs::xor::{Activation, POINTS, XorLab};
use nnlab::train::native::block_on;

#[test]
fn linear_networks_stay_at_most_75_percent_on_xor_while_relu_networks_reach_100() {
    let device = Device::flex().autodiff();
    for hidden in [vec![8], vec![8, 8], vec![8, 8, 8]] {
        for seed in 1..=4 {
            let lab = XorLab { hidden: hidden.clone(), seed, ..XorLab::xor() };
            let linear = block_on(train_xor(&lab, Activation::Linear, &device)).unwrap();
            let relu = block_on(train_xor(&lab, Activation::Relu, &device)).unwrap();
            assert!(linear.accuracy <= 75.0, "linear {hidden:?} seed {seed}: {}%", linear.accuracy);
            assert_eq!(relu.accuracy, 100.0, "ReLU {hidden:?} seed {seed}: outputs {:?}", relu.outputs);
            assert!(relu.losses.last() < relu.losses.first());
            // The multiplied-out map gives the same logits as the trained stack at every point.
            let one = linear.collapsed.expect("a linear network collapses");
            for (x, p) in POINTS.iter().zip(&linear.outputs) {
                let logits = one.apply(x);
                let p_true = 1.0 / (1.0 + (logits[0] - logits[1]).exp());
                assert!((p_true - p).abs() < 1e-4, "{p_true} vs {p}");
            }
            assert!(relu.collapsed.is_none());
        }
    }
}

#[test]
fn a_linearly_separable_function_is_learnt_by_both() {
    let device = Device::flex().autodiff();
    let and = XorLab { truth: [false, false, false, true], ..XorLab::xor() };
    for activation in [Activation::Linear, Activation::Relu] {
        let run = block_on(train_xor(&and, activation, &device)).unwrap();
        assert_eq!(run.accuracy, 100.0, "{activation:?} on AND");
        assert_eq!(run.grid.len(), nnlab::labs::xor::GRID * nnlab::labs::xor::GRID);
    }
}
