//! `nnlab run synth` (HOMEWORK section 6): the Synth CNN on synthetic edges, with the answers
//! about its training, kernels and shift invariance.

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use nnlab::labs::synth::SynthLab;
use nnlab::labs::synth::answers as synth_answers;
use nnlab::labs::synth::engine::{evaluate_valid, run_synth, shift_sweep};
use nnlab::metrics::format_duration;
use nnlab::run::{EpochRecord, Kernels};
use nnlab::train::Event;
use nnlab::train::native::{NativeDriver, block_on};

use crate::{CliError, Format, device};

/// Trains the Synth CNN of `config`, printing each epoch, then the answers.
pub fn run(config: SynthLab, format: Format) -> Result<(), CliError> {
    let bar = ProgressBar::new(config.train.epochs as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] epoch {pos}/{len}, {eta} left")
            .expect("the progress template is valid")
            .progress_chars("=> "),
    );
    if format == Format::Table {
        print_header(&bar, &config);
    }
    let device = device();
    let mut last_kernels: Option<Kernels> = None;
    let (net, record) =
        block_on(run_synth(&config, None, &device, &mut NativeDriver::default(), &mut |event| match event {
            Event::Progress { batch, batches, .. } => bar.set_message(format!("{batch}/{batches}")),
            Event::Epoch { record, kernels } => {
                bar.inc(1);
                last_kernels = kernels;
                print_epoch(&bar, &record, format);
            }
            Event::Checkpoint(_) => {}
        }))?;
    bar.finish_and_clear();
    let sweep = block_on(shift_sweep(&net, &device))?;
    let evaluation = block_on(evaluate_valid(&config, &net, &device))?;
    let verdict = synth_answers::verdict(&record.epochs);
    let kernels_answer = last_kernels.as_ref().map(|k| synth_answers::kernels_answer(k, verdict)).unwrap_or_default();
    let shift_answer = synth_answers::shift_answer(&sweep, verdict);
    let s = &record.summary;
    let last = record.epochs.last();
    match format {
        Format::Json => {
            let mut done = json!({"done": true, "backend": crate::device_name(), "epochs_trained": s.epochs_trained, "stop": s.stop.describe(),
                   "train_seconds": s.train_seconds, "parameters": s.parameters,
                   "final_train_acc": last.map(|r| r.train_acc), "final_valid_acc": last.and_then(|r| r.valid_acc),
                   "learned": !verdict.at_chance(),
                   "kernels": last_kernels, "kernels_answer": kernels_answer, "shift_answer": shift_answer});
            // On the validation images: the synth lab has no test set.
            if let Some(fields) = done.as_object_mut() {
                fields.extend(evaluation.json_fields());
            }
            outln!("{done}")
        }
        Format::Table => {
            outln!(
                "\n{} epochs in {} ({}); {} parameters.",
                s.epochs_trained,
                format_duration(s.train_seconds),
                s.stop.describe(),
                s.parameters
            );
            outln!("Training: {}", synth_answers::training_answer(&record.epochs, &config));
            outln!("Kernels: {kernels_answer}");
            outln!("Shift invariance: {shift_answer}");
        }
    }
    Ok(())
}

/// The run's settings and the epoch table's header, above the progress bar.
fn print_header(bar: &ProgressBar, config: &SynthLab) {
    bar.println(format!(
        "Synth CNN, {} training / {} validation images, SGD lr {}, batch {}, up to {} epochs, seed {}",
        config.train_size,
        config.valid_size,
        config.train.lr,
        config.train.batch_size,
        config.train.epochs,
        config.train.seed
    ));
    bar.println(format!(
        "{:>5} {:>10} {:>9} {:>10} {:>9} {:>8}",
        "epoch", "train loss", "train acc", "valid loss", "valid acc", "seconds"
    ));
}

/// One epoch: a JSON line, or a row of the table above the progress bar.
fn print_epoch(bar: &ProgressBar, r: &EpochRecord, format: Format) {
    match format {
        Format::Json => outln!(
            "{}",
            json!({"epoch": r.epoch, "train_loss": r.train_loss, "train_acc": r.train_acc,
               "valid_loss": r.valid_loss, "valid_acc": r.valid_acc, "seconds": r.seconds})
        ),
        Format::Table => bar.println(format!(
            "{:>5} {:>10.4} {:>8.1}% {:>10.4} {:>8.1}% {:>8.2}",
            r.epoch,
            r.train_loss,
            r.train_acc,
            r.valid_loss.unwrap_or(f64::NAN),
            r.valid_acc.unwrap_or(f64::NAN),
            r.seconds
        )),
    }
}
