//! `nnlab run dogs` (HOMEWORK sections 3 and 5): the DogSet's fully connected or convolutional
//! network with early stopping, on the stand-in unless data/ has a DogSet.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use nnlab::data::dogs::{self, DogSplits};
use nnlab::labs::dogs::DogLab;
use nnlab::labs::dogs::answers::curve_answer;
use nnlab::labs::dogs::engine::run_dogs;
use nnlab::train::Event;
use nnlab::train::native::{NativeDriver, block_on};

use crate::data_dir::{load_split, read_manifest};
use crate::{CliError, Format, device};

/// Trains the network of `lab` with early stopping on the DogSet in `data` (or the stand-in),
/// printing each epoch, then the test and the answer.
pub fn run(lab: DogLab, stand_in: bool, data: &Path, format: Format) -> Result<(), CliError> {
    let (splits, title) = load_dogs(data, stand_in)?;
    let bar = ProgressBar::new(lab.train.epochs as u64);
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] epoch {pos}/{len}, {msg}")
            .expect("the progress template is valid")
            .progress_chars("=> "),
    );
    let net = lab.net();
    if format == Format::Table {
        let [train, valid, test] = splits.splits.each_ref().map(|s| s.len());
        bar.suspend(|| outln!(
            "{}: {title}, {train}/{valid}/{test} images; SGD lr {}, batch {}, up to {} epochs, stop threshold {:?}, seed {}",
            net.name, lab.train.lr, lab.train.batch_size, lab.train.epochs, lab.train.stop_thr, lab.train.seed
        ));
        bar.println(format!(
            "{:>5} {:>10} {:>10} {:>9} {:>9} {:>8}",
            "epoch", "train loss", "valid loss", "train acc", "valid acc", "seconds"
        ));
    }
    let device = device();
    let run = block_on(run_dogs(&lab, &splits, None, &device, &mut NativeDriver::default(), |_| {}, &mut |event| {
        if let Event::Epoch { record: r, .. } = event {
            bar.inc(1);
            bar.set_message(format!("{:.1} s/epoch", r.seconds));
            let (vl, va) = (r.valid_loss.unwrap_or(f64::NAN), r.valid_acc.unwrap_or(f64::NAN));
            match format {
                Format::Json => outln!(
                    "{}",
                    json!({"epoch": r.epoch, "train_loss": r.train_loss, "valid_loss": vl, "train_acc": r.train_acc, "valid_acc": va, "seconds": r.seconds})
                ),
                Format::Table => bar.suspend(|| {
                    outln!(
                        "{:>5} {:>10.4} {:>10.4} {:>8.1}% {:>8.1}% {:>8.2}",
                        r.epoch,
                        r.train_loss,
                        vl,
                        r.train_acc,
                        va,
                        r.seconds
                    )
                }),
            }
        }
    }))?;
    bar.finish_and_clear();
    let summary = &run.record.summary;
    let answer = curve_answer(&run.record.epochs, summary, run.test.map(|t| t.1));
    match format {
        Format::Json => {
            let mut done = json!({"done": true, "backend": crate::device_name(), "model": net.name, "epochs_trained": summary.epochs_trained, "stop": summary.stop.describe(), "train_seconds": summary.train_seconds, "parameters": summary.parameters, "test_loss": run.test.map(|t| t.0), "test_acc": run.test.map(|t| t.1), "answer": answer});
            if let (Some(e), Some(fields)) = (&run.evaluation, done.as_object_mut()) {
                fields.extend(e.json_fields());
            }
            outln!("{done}")
        }
        Format::Table => {
            outln!("{} epochs in {:.1} s: {}", summary.epochs_trained, summary.train_seconds, summary.stop.describe());
            if let Some((loss, acc)) = run.test {
                outln!("test: loss {loss:.4}, accuracy {acc:.1}% ({} parameters)", summary.parameters);
            }
            outln!("\n{answer}");
        }
    }
    Ok(())
}

/// The DogSet when `data` has one (from `nnlab data dogs`), else the stand-in.
fn load_dogs(data: &Path, stand_in: bool) -> Result<(DogSplits, String), CliError> {
    let manifest = read_manifest(data)?;
    let name = if !stand_in && manifest.datasets.contains_key(dogs::DOGSET_NAME) {
        dogs::DOGSET_NAME
    } else {
        dogs::STAND_IN_NAME
    };
    let title = manifest.datasets.get(name).map(|d| d.title.clone()).unwrap_or_default();
    let mut names = vec![];
    let mut parts = vec![];
    for split in dogs::PARTITIONS {
        let (shard, class_names) = load_split(data, &manifest, name, split)?;
        names = class_names;
        parts.push(shard);
    }
    let parts: [_; 3] = parts.try_into().expect("three partitions");
    Ok((DogSplits::from_shards(parts, names), title))
}
