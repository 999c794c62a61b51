//! The wasm entry point: hydrates the admin.

// The admin's view types nest deeply; release builds need more room to compute their layout.
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
