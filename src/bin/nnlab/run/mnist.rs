//! `nnlab run mnist-scaling` (HOMEWORK section 1): MNIST training time and accuracy against
//! training-set size, with the least-squares extrapolation.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use nnlab::labs::mnist::MnistLab;
use nnlab::labs::mnist::engine::run_scaling;
use nnlab::labs::mnist::scaling::{answers, summarise};
use nnlab::train::Event;
use nnlab::train::native::{NativeDriver, block_on};

use crate::data_dir::{load_split, read_manifest};
use crate::{CliError, Format, device};

/// Trains one MLP per size of `lab` on `dir`'s MNIST, printing each epoch, then the results
/// and answers.
pub fn run(lab: MnistLab, dir: &Path, format: Format) -> Result<(), CliError> {
    let manifest = read_manifest(dir)?;
    let (train, names) = load_split(dir, &manifest, "mnist", "train")?;
    let (test, _) = load_split(dir, &manifest, "mnist", "test")?;
    let bar = ProgressBar::new((lab.sizes.len() * lab.train.epochs) as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>14} [{bar:30}] {pos}/{len} epochs, {eta} left")
            .expect("the progress template is valid")
            .progress_chars("=> "),
    );
    if format == Format::Table {
        bar.println(format!(
            "MNIST MLP 784-128-64-10, SGD lr {}, batch {}, {} epochs per size, seed {}; test: {} balanced test images",
            lab.train.lr, lab.train.batch_size, lab.train.epochs, lab.seed, lab.test_size
        ));
    }
    let device = device();
    let results = block_on(run_scaling(
        &lab,
        &train,
        &test,
        &names,
        &device,
        &mut NativeDriver::default(),
        &mut |size, event| {
            if let Event::Epoch { record: r, .. } = event {
                bar.inc(1);
                bar.set_message(format!("N = {size}"));
                if format == Format::Json {
                    outln!(
                        "{}",
                        json!({"size": size, "epoch": r.epoch, "train_loss": r.train_loss, "train_acc": r.train_acc, "seconds": r.seconds})
                    );
                }
            }
        },
    ))?;
    bar.finish_and_clear();
    let summary = summarise(&results);
    let (time_answer, acc_answer) = answers(&results, summary.as_ref());
    match format {
        Format::Json => {
            for r in &results {
                let mut line = json!({"size": r.size, "test_acc": r.test_acc, "train_seconds": r.train_seconds, "epochs_trained": r.epochs_trained});
                if let (Some(e), Some(fields)) = (&r.evaluation, line.as_object_mut()) {
                    fields.extend(e.json_fields());
                }
                outln!("{line}");
            }
            outln!(
                "{}",
                json!({"done": true, "backend": crate::device_name(), "fit": summary, "time_answer": time_answer, "accuracy_answer": acc_answer})
            );
        }
        Format::Table => {
            outln!("{:>6} {:>12} {:>10} {:>10}", "size", "train time s", "last loss", "test acc");
            for r in &results {
                outln!(
                    "{:>6} {:>12.2} {:>10.4} {:>9.1}%",
                    r.size,
                    r.train_seconds,
                    r.losses.last().unwrap_or(&f64::NAN),
                    r.test_acc
                );
            }
            outln!("\nTime: {time_answer}\nAccuracy: {acc_answer}");
        }
    }
    Ok(())
}
