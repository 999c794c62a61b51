//! The schedule dialog: publish the draft at a time, or cancel the schedule.

use super::{BUTTON, Modal, PRIMARY};
use crate::admin::editor::{Ed, api};
use crate::api_types::{PageSummary, ScheduleRequest};
use leptos::prelude::*;

#[component]
pub fn ScheduleDialog(close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let when = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let path = format!("/api/v1/pages/{}/schedule", ed.page_id);
    let set_path = path.clone();
    let schedule = move |_| {
        let path = set_path.clone();
        let local = when.get_untracked();
        leptos::task::spawn_local(async move {
            // The picker gives local time; the API takes RFC 3339.
            let Ok(at) = chrono::DateTime::parse_from_rfc3339(&local_to_rfc3339(&local)) else {
                message.set(Some("Pick a date and a time.".into()));
                return;
            };
            let request = ScheduleRequest {
                publish_at: at.with_timezone(&chrono::Utc),
            };
            match api::put_json::<_, PageSummary>(&path, &request).await {
                Ok(_) => {
                    ed.notify(true, "Publishing is scheduled.");
                    ed.reload_info();
                    close();
                }
                Err(e) => message.set(Some(e.message)),
            }
        });
    };
    let cancel = move |_| {
        let path = path.clone();
        leptos::task::spawn_local(async move {
            match api::delete_json::<PageSummary>(&path).await {
                Ok(_) => {
                    ed.notify(true, "The schedule is cancelled.");
                    ed.reload_info();
                    close();
                }
                Err(e) => message.set(Some(e.message)),
            }
        });
    };
    let current = move || {
        ed.info
            .with(|i| i.as_ref().and_then(|i| i.answer.page.publish_at))
    };
    let problem = move || {
        ed.info.with(|i| {
            i.as_ref()
                .and_then(|i| i.answer.page.schedule_error.clone())
        })
    };
    view! {
        <Modal title="Schedule publishing" close=close>
            {move || current().map(|at| view! {
                <p class="text-sm text-slate-700">"Scheduled for " <strong>{at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)}</strong> " (UTC)."</p>
            })}
            {move || problem().map(|p| view! { <p class="mt-1 text-sm text-red-600">{p}</p> })}
            <label class="mt-3 block text-xs font-medium text-slate-700">"Publish the draft at"
                <input type="datetime-local" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm" on:input=move |e| when.set(event_target_value(&e)) />
            </label>
            <div class="mt-4 flex gap-2">
                <button type="button" class=PRIMARY disabled=move || when.get().is_empty() on:click=schedule>"Schedule"</button>
                {move || current().map(|_| view! { <button type="button" class=BUTTON on:click=cancel.clone()>"Cancel schedule"</button> })}
            </div>
            {move || message.get().map(|m| view! { <p class="mt-2 text-xs text-red-600">{m}</p> })}
        </Modal>
    }
}

/// `YYYY-MM-DDTHH:MM` in the browser's time zone → RFC 3339 in UTC.
fn local_to_rfc3339(local: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local));
        if !d.get_time().is_nan() {
            return String::from(d.to_iso_string());
        }
    }
    local.to_string()
}
