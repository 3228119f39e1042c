//! The browser side: the page (leptos app, behind `csr`) and the training worker (behind
//! `engine`). Thin by design: decisions are made in the core and tested natively.

#[cfg(feature = "csr")]
pub mod app;
#[cfg(feature = "csr")]
pub mod bridge;
#[cfg(feature = "engine")]
pub mod fetch;
pub mod js;
#[cfg(feature = "csr")]
pub mod kit;
#[cfg(feature = "csr")]
pub mod store;
#[cfg(feature = "csr")]
pub mod tabs;
#[cfg(feature = "engine")]
pub mod worker;
