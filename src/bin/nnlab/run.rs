//! `nnlab run <lab>`: hands each lab's flags to the lab's own module (`run/`).

mod dogs;
mod mnist;
mod synth;

use crate::{CliError, Lab};

pub fn run_lab(lab: Lab) -> Result<(), CliError> {
    match lab {
        Lab::MnistScaling { sizes, epochs, seed, data, format } => {
            mnist::run(mnist::Args { sizes, epochs, seed }, &data, format)
        }
        Lab::Dogs { cnn, kernels, strides, epochs, lr, stop_thr, seed, stand_in, data, format } => {
            let pair = |v: Vec<usize>, flag: &'static str| <[usize; 2]>::try_from(v).map_err(|_| CliError::Pair(flag));
            let args = dogs::Args {
                cnn,
                kernels: pair(kernels, "kernels")?,
                strides: pair(strides, "strides")?,
                epochs,
                lr,
                stop_thr,
                seed,
                stand_in,
            };
            dogs::run(args, &data, format)
        }
        Lab::Synth { epochs, seed, lr, batch_size, train_size, valid_size, data_seed, stop_thr, format } => {
            let args = synth::Args { epochs, seed, lr, batch_size, train_size, valid_size, data_seed, stop_thr };
            synth::run(args, format)
        }
    }
}
