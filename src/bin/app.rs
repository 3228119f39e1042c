//! The page's wasm entry point (see `nnlab::web::app`).

fn main() {
    #[cfg(target_arch = "wasm32")]
    nnlab::web::app::mount();
}
