//! A lab's flags, built from the same field list as its page form (`labs::<lab>::FIELDS`):
//! each field is a `--flag VALUE` whose text goes through the lab's own form parser, so the
//! CLI and the page accept the same values and refuse bad ones with the same message.

use std::marker::PhantomData;

use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};
use nnlab::form::FormText;
use nnlab::labs::{dogs::DogLab, mnist::MnistLab, synth::SynthLab};

/// A lab whose defaults are the homework's.
pub trait Homework {
    /// The homework's settings as the form shows them.
    fn form() -> FormText;
}

pub struct Synth;
pub struct Mnist;
pub struct Dogs;

impl Homework for Synth {
    fn form() -> FormText {
        SynthLab::homework().form()
    }
}

impl Homework for Mnist {
    fn form() -> FormText {
        MnistLab::homework().form()
    }
}

impl Homework for Dogs {
    fn form() -> FormText {
        DogLab::homework_cnn().form()
    }
}

/// The form of lab `L` as the flags set it: the homework's text for each flag not given.
pub struct Settings<L> {
    pub form: FormText,
    lab: PhantomData<L>,
}

impl<L: Homework> FromArgMatches for Settings<L> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut settings = Self { form: L::form(), lab: PhantomData };
        settings.update_from_arg_matches(matches)?;
        Ok(settings)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for field in self.form.fields() {
            if let Some(text) = matches.get_one::<String>(field.key) {
                self.form.set(field.key, text.clone());
            }
        }
        Ok(())
    }
}

impl<L: Homework> Args for Settings<L> {
    fn augment_args(command: Command) -> Command {
        let form = L::form();
        command.args(form.fields().iter().map(|field| {
            let default = form.get(field.key);
            let default = if default.is_empty() { "none".to_string() } else { default.replace(' ', "") };
            let hint = if field.hint.is_empty() { String::new() } else { format!("; {}", field.hint) };
            Arg::new(field.key)
                .long(field.flag)
                .value_name("VALUE")
                .help(format!("{}{hint} [homework: {default}]", field.label))
        }))
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}
