//! The WebGPU training worker's wasm entry point: the same engine as `worker`, built with
//! burn's wgpu backend (feature `webgpu`); `public/worker_loader.js` picks one of the two.

fn main() {
    #[cfg(target_arch = "wasm32")]
    nnlab::web::worker::start();
}
