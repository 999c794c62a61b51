# Sourced by the scripts: puts the npm tools (tailwindcss, wasm-opt, playwright) on PATH.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export LEPTOS_TAILWIND_VERSION="${LEPTOS_TAILWIND_VERSION:-v4.3.5}"
