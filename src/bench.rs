//! The homework's four training workloads, timed per epoch (`nnlab bench`, and later the
//! browser's bench page). Inputs are random data of the right shapes: the time of an SGD epoch
//! does not depend on the pixel values.

use burn::prelude::*;
use rand::RngExt;
use serde::Serialize;

use crate::config::TrainConfig;
use crate::data::{Dataset, rng_for};
use crate::model::{Init, NetConfig};
use crate::train::{DeviceData, Driver, TrainError, train_one_epoch};

#[derive(Clone, Debug)]
pub struct Workload {
    pub id: &'static str,
    pub model: NetConfig,
    pub examples: usize,
    pub batch_size: usize,
}

/// W1..W4 of the benchmark (issue #2); `scripts/pytorch-bench.py` defines the same four in
/// PyTorch, the reference `nnlab bench --reference` prints beside them.
pub fn workloads() -> Vec<Workload> {
    vec![
        Workload { id: "W1", model: NetConfig::mnist_mlp(), examples: 2_000, batch_size: 10 },
        Workload { id: "W2", model: NetConfig::dog_mlp(), examples: 7_665, batch_size: 10 },
        Workload { id: "W3", model: NetConfig::dog_cnn(5, 1), examples: 7_665, batch_size: 10 },
        Workload { id: "W4", model: NetConfig::synth_cnn(), examples: 10_000, batch_size: 50 },
    ]
}

#[derive(Clone, Debug, Serialize)]
pub struct BenchResult {
    pub workload: String,
    pub model: String,
    pub examples: usize,
    pub batch_size: usize,
    /// Median over the timed epochs.
    pub epoch_s: f64,
    pub examples_per_s: f64,
    pub epochs_timed: usize,
}

/// Times `repeats` epochs after one warm-up epoch and reports the median.
pub async fn run_workload(
    w: &Workload,
    repeats: usize,
    device: &Device,
    driver: &mut impl Driver,
) -> Result<BenchResult, TrainError> {
    let [h, wd, c] = w.model.input;
    let mut rng = rng_for(0, 0xBE4C);
    let data = Dataset {
        images: (0..w.examples * h * wd * c).map(|_| rng.random::<f32>()).collect(),
        labels: (0..w.examples).map(|_| rng.random_range(0..w.model.classes as u8)).collect(),
        shape: w.model.input,
        class_names: (0..w.model.classes).map(|i| i.to_string()).collect(),
    };
    let data = DeviceData::upload(&data, device);
    let mut model = w.model.init(Init::PyTorch { seed: 0 }, device).expect("workload models fit their inputs");
    let mut optim = crate::kernels::Sgd;
    let config = TrainConfig { lr: 1e-4, batch_size: w.batch_size, epochs: 1, stop_thr: None, shuffle: true, seed: 0 };
    let order = crate::data::epoch_order(w.examples, true, 0, 0);
    let mut times = vec![];
    for i in 0..=repeats {
        let start = driver.now();
        let (next, stats) = train_one_epoch(model, &mut optim, &data, &order, &config, driver).await?;
        model = next;
        if stats.is_none() {
            break;
        }
        if i > 0 {
            times.push(driver.now() - start);
        }
    }
    times.sort_by(f64::total_cmp);
    let epoch_s = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
    Ok(BenchResult {
        workload: w.id.into(),
        model: w.model.name.clone(),
        examples: w.examples,
        batch_size: w.batch_size,
        epoch_s,
        examples_per_s: w.examples as f64 / epoch_s,
        epochs_timed: times.len(),
    })
}
