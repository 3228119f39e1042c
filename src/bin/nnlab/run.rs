//! `nnlab run <lab>`: hands each lab's flags to the lab's own module (`run/`).

mod dogs;
mod mnist;
mod synth;

use nnlab::labs::{dogs::DogLab, mnist::MnistLab, synth::SynthLab};

use crate::{CliError, Lab};

pub fn run_lab(lab: Lab) -> Result<(), CliError> {
    match lab {
        Lab::MnistScaling { settings, data, format } => mnist::run(MnistLab::parse(&settings.form)?, &data, format),
        Lab::Dogs { cnn, settings, stand_in, data, format } => {
            let mut lab = DogLab::parse(&settings.form, cnn)?;
            // On the command line 0 means "never stop early" (the page leaves the field empty).
            lab.train.stop_thr = lab.train.stop_thr.filter(|t| *t > 0.0);
            dogs::run(lab, stand_in, &data, format)
        }
        Lab::Synth { settings, format } => synth::run(SynthLab::parse(&settings.form)?, format),
    }
}
