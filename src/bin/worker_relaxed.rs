//! The CPU training worker for browsers with relaxed SIMD: the same engine as `worker`, its
//! matrix product built with relaxed SIMD's multiply-add (feature `relaxed-simd`);
//! `public/engine.js` picks it where `WebAssembly.validate` accepts that instruction.

fn main() {
    #[cfg(target_arch = "wasm32")]
    nnlab::web::worker::start();
}
