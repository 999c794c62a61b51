//! The editor's dialogs, one module each, and the modal frame and button styles they share.

mod history;
mod preview_links;
mod schedule;

pub use history::HistoryPanel;
pub use preview_links::PreviewDialog;
pub use schedule::ScheduleDialog;

use leptos::prelude::*;

/// A secondary button of the editor's chrome.
pub const BUTTON: &str = "inline-flex items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 disabled:cursor-not-allowed disabled:opacity-50";
/// The primary action of the editor's chrome.
pub const PRIMARY: &str = "inline-flex items-center gap-1.5 rounded-md bg-blue-600 px-3.5 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-blue-700 disabled:cursor-not-allowed disabled:opacity-50";

/// A modal panel.
#[component]
fn Modal(
    title: &'static str,
    close: impl Fn() + Copy + Send + Sync + 'static,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="fixed inset-0 z-50 flex items-start justify-center bg-slate-900/40 p-4 pt-24" on:click=move |_| close()>
            <div class="w-full max-w-lg rounded-xl bg-white p-5 shadow-2xl" role="dialog" aria-modal="true" aria-label=title on:click=|e| e.stop_propagation()>
                <div class="flex items-center justify-between">
                    <h2 class="text-base font-semibold text-slate-900">{title}</h2>
                    <button type="button" class="text-slate-400 hover:text-slate-700" aria-label="Close" on:click=move |_| close()>"✕"</button>
                </div>
                <div class="mt-4">{children()}</div>
            </div>
        </div>
    }
}
