//! `/admin/login`: email and password, then back to where the editor was going.

use super::{Brand, api};
use crate::api_types::{LoginRequest, SessionAnswer};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Where to go after logging in: a local admin page only (see [`super::is_safe_next`]).
pub fn safe_next(next: Option<String>) -> String {
    next.filter(|n| super::is_safe_next(n))
        .unwrap_or_else(|| "/admin".to_string())
}

#[component]
pub fn Login() -> impl IntoView {
    let query = use_query_map();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Until the wasm has hydrated the form cannot log in: keep it from submitting natively.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        busy.set(true);
        error.set(None);
        let next = safe_next(query.with_untracked(|q| q.get("next")));
        leptos::task::spawn_local(async move {
            let body = LoginRequest {
                email: email.get_untracked(),
                password: password.get_untracked(),
            };
            match api::post_json::<_, SessionAnswer>("/api/v1/session", &body).await {
                Ok(_) => {
                    // A full load, so the next page starts with the new session cookie.
                    let _ = window().location().set_href(&next);
                }
                Err(e) => {
                    busy.set(false);
                    error.set(Some(match e.status {
                        401 => "That email and password do not match an account.".to_string(),
                        // 429 and 503 say how long to wait ("try again in 2 seconds").
                        _ => e.message,
                    }));
                }
            }
        });
    };
    view! {
        <main class="flex min-h-screen items-center justify-center bg-slate-100 px-4">
            <div class="w-full max-w-sm">
                <div class="mb-6 flex justify-center"><Brand /></div>
                <form method="post" class="rounded-xl bg-white p-6 shadow-lg ring-1 ring-slate-900/5" on:submit=submit>
                    <h1 class="text-lg font-semibold">"Log in to your shops"</h1>
                    <label class="mt-4 block text-sm font-medium text-slate-700" for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required
                        class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 shadow-sm focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30 focus:outline-none"
                        on:input=move |e| email.set(event_target_value(&e)) prop:value=email />
                    <label class="mt-4 block text-sm font-medium text-slate-700" for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required
                        class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 shadow-sm focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30 focus:outline-none"
                        on:input=move |e| password.set(event_target_value(&e)) prop:value=password />
                    {move || error.get().map(|m| view! { <p class="mt-3 text-sm text-red-600" role="alert">{m}</p> })}
                    <button type="submit" disabled=move || busy.get() || !ready.get()
                        class="mt-5 w-full rounded-md bg-blue-600 px-3 py-2 font-semibold text-white shadow-sm hover:bg-blue-700 disabled:opacity-60">
                        {move || if busy.get() { "Logging in…" } else { "Log in" }}
                    </button>
                </form>
            </div>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_admin_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/admin/pages/3".into())), "/admin/pages/3");
        assert_eq!(
            safe_next(Some("https://evil.example/admin".into())),
            "/admin"
        );
        assert_eq!(safe_next(Some("//evil.example".into())), "/admin");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/admin");
        assert_eq!(safe_next(Some("/administrator".into())), "/admin");
        assert_eq!(safe_next(Some("/admin/login".into())), "/admin");
        assert_eq!(safe_next(None), "/admin");
    }
}
