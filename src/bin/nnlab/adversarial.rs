//! `nnlab adversarial` (HOMEWORK section 7): test accuracy under the fast gradient sign attack
//! for each epsilon, on a quick MNIST model trained on the spot.

use std::path::Path;

use serde_json::json;

use nnlab::data::Dataset;
use nnlab::data::sample::balanced;
use nnlab::labs::adversarial::engine::{epsilon_sweep, quick_lab, quick_model};
use nnlab::train::native::{NativeDriver, block_on};

use crate::data_dir::{load_split, read_manifest};
use crate::{CliError, Format, device};

/// Trains the quick model on `dir`'s MNIST and prints its accuracy under each attack.
pub fn adversarial(epsilons: &[f64], seed: u64, dir: &Path, format: Format) -> Result<(), CliError> {
    if let Some(bad) = epsilons.iter().find(|e| !(e.is_finite() && (0.0..=1.0).contains(*e))) {
        return Err(CliError::Epsilon(*bad));
    }
    let manifest = read_manifest(dir)?;
    let (train, names) = load_split(dir, &manifest, "mnist", "train")?;
    let (test, _) = load_split(dir, &manifest, "mnist", "test")?;
    let lab = quick_lab(seed).0;
    let test_idx = balanced(&test.labels, names.len(), lab.test_size, seed)?;
    let test = Dataset::from_shard(&test, &names, Some(&test_idx));
    let device = device();
    if format == Format::Table {
        outln!("training a quick MNIST model (784-128-64-10, 2000 balanced images, {} epochs)...", lab.train.epochs);
    }
    let net = block_on(quick_model(&train, &names, seed, &device, &mut NativeDriver::default()))?;
    let accuracies = block_on(epsilon_sweep(&net, &test, epsilons, &device))?;
    if format == Format::Table {
        outln!("{:>8} {:>10}", "epsilon", "accuracy");
    }
    for (eps, acc) in epsilons.iter().zip(accuracies) {
        match format {
            Format::Json => outln!("{}", json!({"epsilon": eps, "accuracy": acc})),
            Format::Table => outln!("{eps:>8.3} {acc:>9.1}%"),
        }
    }
    Ok(())
}
