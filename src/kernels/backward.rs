//! The custom backward passes of [`super::CpuKernels`]' autodiff implementation: the max
//! pool's (to each output's winner), the convolution's and the linear layer's (as matrix
//! products, [`super::conv`], [`super::linear`]), each falling back to burn's own where our
//! kernels do not cover the shape.

use std::sync::Arc;

use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::{ConvOptions, ModuleOps};
use burn::backend::{DType, Flex, TensorMetadata};

use super::{conv, covered, linear, linear_shape, pool, tensor, values};

/// What the pooling's backward pass needs: the input's shape and each output's winner.
#[derive(Clone, Debug)]
pub(super) struct PoolState {
    pub(super) dims: [usize; 4],
    pub(super) winners: Arc<pool::Winners>,
}

#[derive(Debug)]
pub(super) struct MaxPoolBackward;

impl Backward<Flex, 1> for MaxPoolBackward {
    type State = PoolState;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [Some(node)] = ops.parents else { return };
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let [b, c, h, w] = ops.state.dims;
        let dx = pool::max_pool_2x2_backward(values(&dy), &ops.state.winners, b * c, h, w);
        grads.register::<Flex>(node.id, tensor(dx, [b, c, h, w]));
    }
}

/// The backward pass of [`CpuKernels::conv2d_gemm`]: the saved input and weight, and the options.
#[derive(Debug)]
pub(super) struct ConvGemmBackward;

impl Backward<Flex, 3> for ConvGemmBackward {
    type State = (NodeId, NodeId, ConvOptions<2>);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [node_x, node_weight, node_bias] = ops.parents;
        let dy: FlexTensor = grads.consume::<Flex>(&ops.node);
        let (x_state, weight_state, options) = ops.state;
        let x: FlexTensor = checkpointer.retrieve_node_output(x_state);
        let weight: FlexTensor = checkpointer.retrieve_node_output(weight_state);
        let shape = covered(&x, &weight, &options).filter(|_| dy.dtype() == DType::F32);
        let Some(s) = shape else {
            // Outside the kernels' shapes (dilation, groups, other dtypes): burn's own.
            let bias_shape = [weight.shape()[0]];
            if let Some(node) = node_x {
                grads.register::<Flex>(
                    node.id,
                    Flex::conv2d_x_backward(x.clone(), weight.clone(), dy.clone(), options.clone()),
                );
            }
            if let Some(node) = node_weight {
                grads.register::<Flex>(node.id, Flex::conv2d_weight_backward(x.clone(), weight, dy.clone(), options));
            }
            if let Some(node) = node_bias {
                let bias = FlexTensor::zeros(bias_shape.into(), DType::F32);
                grads.register::<Flex>(node.id, Flex::conv2d_bias_backward(x, bias, dy));
            }
            return;
        };
        let dy = dy.to_contiguous();
        let dy_values = values(&dy);
        if let Some(node) = node_x {
            let weight = weight.to_contiguous();
            let dx = conv::input_grad(&s, values(&weight), dy_values);
            grads.register::<Flex>(node.id, tensor(dx, [s.batch, s.in_channels, s.input[0], s.input[1]]));
        }
        if node_weight.is_some() || node_bias.is_some() {
            let x = x.to_contiguous();
            let (dw, db) = conv::weight_and_bias_grad(&s, values(&x), dy_values);
            if let Some(node) = node_weight {
                grads.register::<Flex>(node.id, tensor(dw, weight.shape().dims::<4>()));
            }
            if let Some(node) = node_bias {
                grads.register::<Flex>(node.id, tensor(db, [s.out_channels]));
            }
        }
    }
}

/// The backward pass of [`CpuKernels::linear_gemm`]: the saved input and weight.
#[derive(Debug)]
pub(super) struct LinearBackward;

impl Backward<Flex, 3> for LinearBackward {
    type State = (NodeId, NodeId);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [node_x, node_weight, node_bias] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let (x_state, weight_state) = ops.state;
        let x: FlexTensor = checkpointer.retrieve_node_output(x_state);
        let weight: FlexTensor = checkpointer.retrieve_node_output(weight_state);
        let s = linear_shape(&x, &weight);
        if let Some(node) = node_x {
            let weight = weight.to_contiguous();
            grads.register::<Flex>(
                node.id,
                tensor(linear::input_grad(&s, values(&weight), values(&dy)), [s.batch, s.inputs]),
            );
        }
        if let Some(node) = node_weight {
            let x = x.to_contiguous();
            grads.register::<Flex>(
                node.id,
                tensor(linear::weight_grad(&s, values(&x), values(&dy)), [s.inputs, s.outputs]),
            );
        }
        if let Some(node) = node_bias {
            grads.register::<Flex>(node.id, tensor(linear::bias_grad(&s, values(&dy)), [s.outputs]));
        }
    }
}
