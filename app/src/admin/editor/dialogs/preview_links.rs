//! The preview-link dialog: create a signed link with a lifetime, copy or open it, revoke all.

use super::{BUTTON, Modal, PRIMARY};
use crate::admin::editor::{Ed, api};
use crate::api_types::{NewPreviewLink, PreviewLink, PreviewLinkCount, PreviewLinksRevoked};
use leptos::prelude::*;

#[component]
pub fn PreviewDialog(close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let path = format!("/api/v1/pages/{}/preview-links", ed.page_id);
    let lifetime = RwSignal::new(3600i64);
    let link = RwSignal::new(None::<(String, String)>);
    let active = RwSignal::new(None::<u64>);
    let message = RwSignal::new(None::<String>);
    let count_path = path.clone();
    leptos::task::spawn_local(async move {
        if let Ok(count) = api::get_json::<PreviewLinkCount>(&count_path).await {
            active.set(Some(count.active_links));
        }
    });
    let create_path = path.clone();
    let create = move |_| {
        let path = create_path.clone();
        leptos::task::spawn_local(async move {
            let request = NewPreviewLink {
                ttl_seconds: Some(lifetime.get_untracked()),
            };
            match api::post_json::<_, PreviewLink>(&path, &request).await {
                Ok(made) => {
                    link.set(Some((made.url, made.expires_at)));
                    active.set(Some(made.active_links));
                    message.set(None);
                }
                Err(e) => message.set(Some(e.message)),
            }
        });
    };
    let revoke = move |_| {
        let path = path.clone();
        leptos::task::spawn_local(async move {
            match api::delete_json::<PreviewLinksRevoked>(&path).await {
                Ok(_) => {
                    link.set(None);
                    active.set(Some(0));
                    message.set(Some(
                        "Every preview link of this page stopped working.".into(),
                    ));
                }
                Err(e) => message.set(Some(e.message)),
            }
        });
    };
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some((url, _)) = link.get_untracked() {
            let clipboard = window().navigator().clipboard();
            let _ = clipboard.write_text(&url);
            message.set(Some("Copied to the clipboard.".into()));
        }
    };
    view! {
        <Modal title="Preview link" close=close>
            <p class="text-sm text-slate-600">"Anyone with the link sees the current draft, as customers would — no login needed. It updates as you edit."</p>
            <div class="mt-4 flex items-end gap-2">
                <label class="text-xs font-medium text-slate-700">"Works for"
                    <select class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm" on:change=move |e| lifetime.set(event_target_value(&e).parse().unwrap_or(3600))>
                        <option value="3600">"1 hour"</option>
                        <option value="86400">"1 day"</option>
                        <option value="604800">"7 days"</option>
                    </select>
                </label>
                <button type="button" class=PRIMARY data-testid="create-preview" on:click=create>"Create link"</button>
            </div>
            {move || link.get().map(|(url, expires)| view! {
                <div class="mt-4">
                    <div class="flex gap-2">
                        <input type="text" readonly class="block w-full rounded-md border border-slate-300 bg-slate-50 px-2 py-1.5 font-mono text-xs" prop:value=url.clone() data-testid="preview-url" />
                        <button type="button" class=BUTTON on:click=copy>"Copy"</button>
                        <a href=url target="_blank" rel="noopener" class=BUTTON>"Open"</a>
                    </div>
                    <p class="mt-1 text-xs text-slate-500">"Expires " {expires}</p>
                </div>
            })}
            <div class="mt-5 flex items-center justify-between border-t border-slate-100 pt-4">
                <p class="text-sm text-slate-600" data-testid="active-links">{move || match active.get() {
                    Some(1) => "1 active link".to_string(),
                    Some(n) => format!("{n} active links"),
                    None => String::new(),
                }}</p>
                <button type="button" class="text-sm font-medium text-red-700 hover:underline disabled:opacity-40" disabled=move || active.get() == Some(0) on:click=revoke>"Revoke all"</button>
            </div>
            {move || message.get().map(|m| view! { <p class="mt-2 text-xs text-slate-600">{m}</p> })}
        </Modal>
    }
}
