//! nnlab: an introductory course's neural-network homework as a browser lab.
//!
//! Three faces share this core (see docs/architecture.md):
//! - the page (`src/web/app*` and each lab's `page.rs`, bin `app`): a leptos CSR app that
//!   draws, never trains;
//! - the training worker (`src/web/worker.rs`, bin `worker`): runs [`train`] on WebGPU or on
//!   burn's CPU backend;
//! - the native command `nnlab` (bin `nnlab`): runs the same labs headless and benchmarks.
//!
//! Each lab has one home, `labs/<lab>.rs`, with its burn part and its panel beside it. Everything
//! but the browser glue builds and is tested natively; the modules that need burn sit behind the
//! `engine` feature so the page's bundle stays small.

pub mod activations;
pub mod config;
pub mod confusion;
pub mod data;
pub mod form;
pub mod labs;
pub mod metrics;
pub mod net;
pub mod plot;
pub mod protocol;
pub mod report;
pub mod run;
pub mod run_view;
pub mod runs;
pub mod session;
pub mod share;
pub mod verdict;

#[cfg(feature = "engine")]
pub mod bench;
#[cfg(feature = "engine")]
pub mod kernels;
#[cfg(feature = "engine")]
pub mod model;
#[cfg(feature = "engine")]
pub mod train;

#[cfg(target_arch = "wasm32")]
pub mod web;
