//! Notifications.

use super::Ed;
use leptos::prelude::*;

/// The last notification, dismissed after a few seconds.
#[component]
pub fn Toast() -> impl IntoView {
    let ed = expect_context::<Ed>();
    Effect::new(move |_| {
        if ed.toast.get().is_some() {
            set_timeout(
                move || ed.toast.set(None),
                std::time::Duration::from_secs(6),
            );
        }
    });
    view! {
        {move || ed.toast.get().map(|(ok, m)| view! {
            <div class=if ok { "fixed bottom-5 left-1/2 z-50 -translate-x-1/2 rounded-lg bg-slate-900 px-4 py-2.5 text-sm text-white shadow-xl" } else { "fixed bottom-5 left-1/2 z-50 -translate-x-1/2 rounded-lg bg-red-700 px-4 py-2.5 text-sm text-white shadow-xl" }
                role="status" data-testid="toast">{m}</div>
        })}
    }
}
