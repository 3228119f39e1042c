//! The training worker's wasm entry point (see `nnlab::web::worker`).

fn main() {
    #[cfg(target_arch = "wasm32")]
    nnlab::web::worker::start();
}
