//! Sets `cfg(wasm_split)` when the admin's wasm is being linked for splitting: `cargo leptos
//! build --split` passes `-Clink-args=--emit-relocs` (what its splitter needs) to the wasm
//! build, and only then may the admin's `#[lazy]` pages become imports of separate modules
//! (see `app/src/admin/mod.rs`). Any other build keeps them in one module.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(wasm_split)");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let wasm =
        std::env::var("CARGO_CFG_TARGET_FAMILY").is_ok_and(|f| f.split(',').any(|f| f == "wasm"));
    if wasm
        && flags
            .split('\x1f')
            .any(|flag| flag.contains("--emit-relocs"))
    {
        println!("cargo::rustc-cfg=wasm_split");
    }
}
