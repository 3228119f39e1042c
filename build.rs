//! The page's wasm is linked with its relocations kept (`--emit-relocs`), so that
//! `scripts/postbuild.py` can split it at its `#[lazy]` functions (each lab's panel) with the
//! Rust package registry's `wasm-split-cli`: the first download is then the page's frame, and a
//! lab's code arrives when the lab is first opened. Only the page (the `app` bin on wasm32) needs
//! it; the workers and native builds link as before.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo::rustc-link-arg-bin=app=--emit-relocs");
    }
}
