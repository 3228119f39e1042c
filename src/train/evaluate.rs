//! Evaluating a trained model: its loss and accuracy on a set, the detailed evaluation behind a
//! confusion matrix and its mistakes, every example's prediction, and every layer's output for
//! one image. Each reads back once.

use burn::module::Module;
use burn::prelude::*;
use burn::tensor::Transaction;

use crate::confusion::Evaluation;
use crate::model::Net;
use crate::run::TensorValues;

use super::stats::{DeviceStats, finish, losses};
use super::*;

/// The homework's `evaluate` (and `run_model` in test mode): mean loss and accuracy, no update.
pub async fn evaluate(model: &Net, data: &DeviceData, batch_size: usize) -> Result<(f64, f64), TrainError> {
    let stats = evaluate_pass(model, data, batch_size);
    let n = stats.n;
    let read = read_all(stats.register(Transaction::default())).await?;
    finish(&read[0], &read[1], n)
}

/// A test evaluation in full: the mean loss and accuracy of [`evaluate`], with the confusion
/// matrix and the most confident mistakes. The class probabilities `[n, classes]`, the
/// predictions (the rule [`evaluate`] counts with) and the labels come back in the same one
/// readback as the loss and correct count, so the matrix's trace is the reported accuracy.
pub async fn evaluate_detailed(
    model: &Net,
    data: &DeviceData,
    batch_size: usize,
    names: &[String],
) -> Result<(f64, f64, Evaluation), TrainError> {
    let (stats, logits) = all_logits(model, data, batch_size)?; // [n, classes]
    let n = stats.n;
    let tx = stats
        .register(Transaction::default())
        .register(burn::tensor::activation::softmax(logits.clone(), 1))
        .register(predict(logits))
        .register(data.labels.clone());
    let read = read_all(tx).await?;
    let (loss, acc) = finish(&read[0], &read[1], n)?;
    let probs = read_floats(&read[2])?;
    let (predicted, labels) = (read_indices(&read[3])?, read_indices(&read[4])?);
    Ok((loss, acc, Evaluation::new(&probs, &predicted, &labels, names)))
}

/// An evaluation pass and every example's logits `[n, classes]`, on the device.
fn all_logits(model: &Net, data: &DeviceData, batch_size: usize) -> Result<(DeviceStats, Tensor<2>), TrainError> {
    let stats = evaluate_pass(model, data, batch_size);
    let logits = stats.logits().ok_or_else(|| TrainError::Readback("the set to evaluate is empty".into()))?;
    Ok((stats, logits))
}

/// Every example of `data` on its own, read back at once: its cross-entropy loss `[n]`, class
/// probabilities `[n, classes]` (row-major), prediction and label `[n]`.
pub async fn per_example(model: &Net, data: &DeviceData, batch_size: usize) -> Result<PerExample, TrainError> {
    let (_, logits) = all_logits(model, data, batch_size)?; // [n, classes]
    let losses = losses(logits.clone(), data.labels.clone()); // [n]
    let tx = Transaction::default()
        .register(losses)
        .register(burn::tensor::activation::softmax(logits.clone(), 1))
        .register(predict(logits))
        .register(data.labels.clone());
    let read = read_all(tx).await?;
    Ok(PerExample {
        losses: read_floats(&read[0])?,
        probs: read_floats(&read[1])?,
        predicted: read_indices(&read[2])?,
        labels: read_indices(&read[3])?,
    })
}

/// One image through the trained network, read back at once: each conv block's maps after ReLU
/// and after pooling, the flattened vector, the class probabilities and each conv's weight.
pub async fn layer_outputs(net: &Net, image: Tensor<4>) -> Result<LayerOutputs, TrainError> {
    let (maps, flat, logits) = net.valid().activations(image); // [1, c, h, w]..., [1, n], [1, classes]
    let names: Vec<String> = maps.iter().map(|(name, _)| name.clone()).collect();
    let shapes: Vec<Vec<usize>> = maps.iter().map(|(_, m)| m.dims().to_vec()).collect();
    // The weights as the trained model holds them: on an autodiff device a transaction takes
    // only tensors of that device's kind, as the outputs above are.
    let weights: Vec<Tensor<4>> = net.convs.iter().map(|c| c.weight.val()).collect();
    let weight_shapes: Vec<Vec<usize>> = weights.iter().map(|w| w.dims().to_vec()).collect();
    let mut tx = Transaction::default().register(flat).register(burn::tensor::activation::softmax(logits, 1));
    for (_, m) in maps {
        tx = tx.register(m);
    }
    for w in weights {
        tx = tx.register(w);
    }
    let read = read_all(tx).await?;
    let values =
        |i: usize, shape: Vec<usize>| Ok::<_, TrainError>(TensorValues { shape, values: read_floats(&read[i])? });
    let maps = names.into_iter().zip(shapes).enumerate().map(|(i, (name, shape))| Ok((name, values(2 + i, shape)?)));
    let maps = maps.collect::<Result<Vec<_>, TrainError>>()?;
    let first_weight = 2 + maps.len();
    let kernels = weight_shapes.into_iter().enumerate().map(|(i, shape)| values(first_weight + i, shape));
    Ok(LayerOutputs {
        maps,
        flat: read_floats(&read[0])?,
        probs: read_floats(&read[1])?,
        kernels: kernels.collect::<Result<_, _>>()?,
    })
}

/// What [`layer_outputs`] reads back.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerOutputs {
    pub maps: Vec<(String, TensorValues)>,
    pub flat: Vec<f32>,
    pub probs: Vec<f32>,
    pub kernels: Vec<TensorValues>,
}

/// What [`per_example`] reads back.
#[derive(Clone, Debug, PartialEq)]
pub struct PerExample {
    pub losses: Vec<f32>,
    pub probs: Vec<f32>,
    pub predicted: Vec<usize>,
    pub labels: Vec<usize>,
}

fn read_floats(data: &TensorData) -> Result<Vec<f32>, TrainError> {
    data.try_to_vec::<f32>().map_err(|e| TrainError::Readback(format!("{e:?}")))
}

/// Class indices read back from an Int tensor, whichever integer width the backend uses.
fn read_indices(data: &TensorData) -> Result<Vec<usize>, TrainError> {
    let wide = data.try_to_vec::<i64>().map(|v| v.into_iter().map(|i| i as usize).collect());
    wide.or_else(|_| data.try_to_vec::<i32>().map(|v| v.into_iter().map(|i| i as usize).collect()))
        .map_err(|e| TrainError::Readback(format!("{e:?}")))
}
