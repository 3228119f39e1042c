//! Each homework lab as one function over the core, shared by the worker and the CLI.

pub mod adversarial;
pub mod dogs;
pub mod mnist;
pub mod synth;
pub mod xor;
