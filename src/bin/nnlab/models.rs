//! `nnlab models`: every homework model's layers, output shapes and parameter counts.

use burn::prelude::*;
use serde_json::json;

use nnlab::model::{Init, NetConfig};

use crate::{CliError, Format};

/// Prints each model's layer table, from a forward pass of the built model.
pub fn models(format: Format) -> Result<(), CliError> {
    let device = Device::flex();
    for config in [NetConfig::mnist_mlp(), NetConfig::dog_mlp(), NetConfig::dog_cnn(5, 1), NetConfig::synth_cnn()] {
        let net = config.init(Init::PyTorch { seed: 0 }, &device).map_err(nnlab::train::TrainError::from)?;
        let table = net.layer_table(config.input, &device);
        let weights: usize = table.iter().map(|r| r.weights).sum();
        let biases: usize = table.iter().map(|r| r.biases).sum();
        let params = burn::module::Module::num_params(&net);
        match format {
            Format::Json => outln!(
                "{}",
                json!({"model": config.name, "input": config.input, "layers": table,
                       "weights": weights, "biases": biases, "parameters": params})
            ),
            Format::Table => {
                let [h, w, c] = config.input;
                outln!("{} (input {h}x{w}x{c})", config.name);
                outln!("  {:<20} {:>18} {:>10} {:>8}", "layer", "output shape", "weights", "biases");
                for row in &table {
                    outln!(
                        "  {:<20} {:>18} {:>10} {:>8}",
                        row.layer,
                        format!("{:?}", row.output_shape),
                        row.weights,
                        row.biases
                    );
                }
                outln!("  {:<20} {:>18} {:>10} {:>8}   parameters: {params}\n", "total", "", weights, biases);
            }
        }
    }
    Ok(())
}
