//! The last stage: a green/red checklist per environment (the server's, which is the one
//! that counts), each red line linking back to its field, and "Create shop", which posts the
//! configuration and goes to the create job's page.

use super::field::CARD;
use super::{Stage, StepHeading, api, wizard};
use crate::lifecycle::JobView;
use crate::shop_config::{Check, Environment, Issue, Requirement, ShopConfig, field};
use crate::theme::COLOR_TOKENS;
use leptos::prelude::*;
use serde::Deserialize;
use serde_json::Value;

/// Where to go once the shop is asked for: the job creating it, or (nothing to do: the shop
/// already matches) the shop's launch page.
pub fn after_create(answer: &Value) -> Option<String> {
    if let Ok(job) = JobView::deserialize(answer) {
        return Some(format!("/admin/jobs/{}", job.id));
    }
    answer
        .get("unchanged")
        .and_then(Value::as_str)
        .map(|handle| format!("/admin/shops/{handle}/launch"))
}

/// The checklist of every environment: the server's when it is about what is on screen,
/// else the one computed here (the same code), marked as not yet confirmed.
fn checklists(w: super::Wizard) -> (Vec<(Environment, Vec<Check>)>, bool) {
    let in_sync = w.in_sync();
    let server = w.server.with(|s| {
        s.as_ref().map(|v| {
            v.checks
                .iter()
                .map(|e| (e.environment, e.checks.clone()))
                .collect::<Vec<_>>()
        })
    });
    match server {
        Some(lists) if in_sync => (lists, true),
        _ => (w.local.get(), false),
    }
}

/// Why "Create shop" is disabled, if it is.
fn create_blocker(w: super::Wizard) -> Option<&'static str> {
    let (lists, confirmed) = checklists(w);
    let dev_ready = lists
        .iter()
        .find(|(env, _)| *env == Environment::Dev)
        .is_some_and(|(_, checks)| checks.iter().all(|c| c.problem.is_none()));
    if w.handle_taken() {
        Some("The handle is already another shop's: choose another in Basics.")
    } else if !dev_ready {
        Some("Fix the red lines under dev to create the shop.")
    } else if !confirmed {
        Some("Checking with the server…")
    } else {
        None
    }
}

#[component]
pub fn Summary() -> impl IntoView {
    let w = wizard();
    let creating = RwSignal::new(false);
    let error = RwSignal::new(None::<(String, Vec<Issue>)>);
    let create = move |_| {
        creating.set(true);
        error.set(None);
        let config = w.config.get_untracked();
        leptos::task::spawn_local(async move {
            let body = serde_json::to_value(&config).unwrap_or_default();
            match api::post("/api/v1/shops", body).await {
                Ok(answer) => match after_create(&answer) {
                    Some(href) => {
                        let _ = window().location().set_href(&href);
                    }
                    None => {
                        creating.set(false);
                        error.set(Some((
                            "The server's answer could not be read.".into(),
                            vec![],
                        )));
                    }
                },
                Err(e) => {
                    creating.set(false);
                    let issues = e.issues();
                    error.set(Some((e.message, issues)));
                    // The server may know something new (a handle taken meanwhile).
                    w.save_now();
                }
            }
        });
    };
    view! {
        <StepHeading stage=Stage::Summary intro="Everything in one place. Dev must be all green to create the shop; stage and production must be green before you launch there." />
        <Overview />
        <div class="mt-6 grid gap-4 lg:grid-cols-3" data-testid="checklist">
            {Environment::ALL.into_iter().map(|env| view! { <EnvChecklist env=env /> }).collect_view()}
        </div>
        <div class=format!("{CARD} mt-6 flex flex-wrap items-center justify-between gap-4")>
            <div class="text-sm text-slate-600">
                {move || match create_blocker(w) {
                    Some(why) => view! { <p class="font-medium text-slate-700" id="create-blocked">{why}</p> }.into_any(),
                    None => view! { <p>"Ready. Creating takes a few seconds; you will see each step as it runs."</p> }.into_any(),
                }}
                {move || error.get().map(|(m, issues)| view! {
                    <div class="mt-2 text-red-700" role="alert">
                        <p class="font-medium">{m}</p>
                        <ul class="mt-1 list-disc pl-5">
                            {issues.into_iter().map(|i| view! { <li>{format!("{}: {}", i.field, i.message)}</li> }).collect_view()}
                        </ul>
                    </div>
                })}
            </div>
            <div class="flex items-center gap-3">
                <button type="button" class="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50"
                    on:click=move |_| if let Some(prev) = Stage::Summary.previous() { w.go(prev, None) }>"← Back"</button>
                <button type="button" data-testid="create-shop"
                    class="rounded-md bg-emerald-600 px-5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-emerald-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-600 disabled:cursor-not-allowed disabled:bg-slate-300"
                    disabled=move || creating.get() || create_blocker(w).is_some()
                    aria-describedby=move || create_blocker(w).map(|_| "create-blocked")
                    on:click=create>
                    {move || if creating.get() { "Creating…" } else { "Create shop" }}
                </button>
            </div>
        </div>
    }
}

/// The configuration at a glance.
#[component]
fn Overview() -> impl IntoView {
    let w = wizard();
    let row = |term: &'static str, value: String| {
        view! {
            <div class="flex gap-3 py-1.5">
                <dt class="w-28 shrink-0 text-slate-500">{term}</dt>
                <dd class="min-w-0 flex-1 text-slate-900">{value}</dd>
            </div>
        }
    };
    move || {
        let c: ShopConfig = w.config.get();
        let pages: Vec<&str> = c.pages.chosen().map(|t| t.title).collect();
        let hosts = |env| {
            let h = c.domains.hosts(env);
            if h.is_empty() {
                "—".to_string()
            } else {
                h.join(", ")
            }
        };
        let locales = std::iter::once(c.basics.primary_locale.clone())
            .chain(c.basics.extra_locales.iter().cloned())
            .collect::<Vec<_>>()
            .join(", ");
        view! {
            <div class=format!("{CARD} grid gap-x-8 text-sm md:grid-cols-2")>
                <dl class="divide-y divide-slate-100">
                    {row("Name", format!("{} ({})", c.basics.name, c.basics.handle))}
                    {row("Languages", locales)}
                    {row("Currency", c.basics.currency.clone())}
                    {row("Pages", pages.join(", "))}
                    {row("Links", format!("{} in the header, {} in the footer", c.navigation.header.len(), c.navigation.footer.len()))}
                </dl>
                <dl class="divide-y divide-slate-100">
                    <div class="flex items-center gap-3 py-1.5">
                        <dt class="w-28 shrink-0 text-slate-500">"Theme"</dt>
                        <dd class="flex items-center gap-1">
                            {COLOR_TOKENS.iter().map(|n| view! {
                                <span class="h-5 w-5 rounded-full ring-1 ring-slate-900/10" title=*n
                                    style=format!("background:{}", super::theme::picker_value(&super::theme::color(&c.theme, n)))></span>
                            }).collect_view()}
                            <span class="ml-2 text-slate-600">{format!("{} / {}, {}px", c.theme.heading_font, c.theme.body_font, c.theme.radius)}</span>
                        </dd>
                    </div>
                    {row("Payments", match c.providers.payments { crate::shop_config::PaymentsChoice::None => "None".to_string(), crate::shop_config::PaymentsChoice::Stripe => "Stripe-compatible".to_string() })}
                    {row("Dev", hosts(Environment::Dev))}
                    {row("Stage", hosts(Environment::Stage))}
                    {row("Production", hosts(Environment::Prod))}
                </dl>
            </div>
        }
    }
}

#[component]
fn EnvChecklist(env: Environment) -> impl IntoView {
    let w = wizard();
    let checks = move || {
        checklists(w)
            .0
            .into_iter()
            .find(|(e, _)| *e == env)
            .map(|(_, c)| c)
            .unwrap_or_default()
    };
    view! {
        <section class="rounded-xl bg-white shadow-sm ring-1 ring-slate-900/5" aria-labelledby=format!("checks-{env}") data-env=env.as_str()>
            {move || {
                let all = checks();
                let problems: Vec<Check> = all.iter().filter(|c| c.problem.is_some()).cloned().collect();
                let required_ok: Vec<Check> = all.iter().filter(|c| c.problem.is_none() && c.requirement == Requirement::Required).cloned().collect();
                let optional_ok = all.iter().filter(|c| c.problem.is_none() && c.requirement == Requirement::Optional).count();
                let ready = problems.is_empty();
                let note = match env {
                    Environment::Dev => "Needed to create the shop",
                    Environment::Stage => "Needed to launch to stage",
                    Environment::Prod => "Needed to launch to production",
                };
                view! {
                    <header class="flex items-center justify-between gap-2 border-b border-slate-100 px-4 py-3">
                        <div>
                            <h3 id=format!("checks-{env}") class="font-semibold text-slate-900">{env.as_str()}</h3>
                            <p class="text-xs text-slate-500">{note}</p>
                        </div>
                        {if ready {
                            view! { <span class="rounded-full bg-emerald-100 px-2.5 py-0.5 text-xs font-semibold text-emerald-800" data-ready="true">"Ready"</span> }.into_any()
                        } else {
                            view! { <span class="rounded-full bg-red-100 px-2.5 py-0.5 text-xs font-semibold text-red-800" data-ready="false">{format!("{} to fix", problems.len())}</span> }.into_any()
                        }}
                    </header>
                    <ul class="divide-y divide-slate-100 text-sm">
                        {problems.into_iter().map(|c| view! { <ProblemLine check=c /> }).collect_view()}
                        {required_ok.into_iter().map(|c| view! {
                            <li class="flex items-center gap-2 px-4 py-2 text-slate-700" data-check=c.field.clone() data-ok="true">
                                <span class="flex h-5 w-5 shrink-0 items-center justify-center rounded-full bg-emerald-100 text-xs text-emerald-700" aria-hidden="true">"✓"</span>
                                {c.label}
                            </li>
                        }).collect_view()}
                    </ul>
                    <p class="border-t border-slate-100 px-4 py-2 text-xs text-slate-400">{format!("{optional_ok} optional fields fine")}</p>
                }
            }}
        </section>
    }
}

#[component]
fn ProblemLine(check: Check) -> impl IntoView {
    let w = wizard();
    let key = field(&check.field).map(|f| f.key);
    let step = check.step;
    view! {
        <li class="flex items-start gap-2 px-4 py-2" data-check=check.field.clone() data-ok="false">
            <span class="mt-0.5 flex h-5 w-5 shrink-0 items-center justify-center rounded-full bg-red-100 text-xs text-red-700" aria-hidden="true">"✕"</span>
            <div class="min-w-0 flex-1">
                <p class="font-medium text-slate-900">{check.label}</p>
                <p class="text-xs text-red-700">{check.problem}</p>
            </div>
            <button type="button" class="shrink-0 rounded px-1.5 py-0.5 text-xs font-semibold text-blue-700 hover:bg-blue-50 hover:underline"
                on:click=move |_| w.go(Stage::Step(step), key)>{format!("Fix in {} →", step.title())}</button>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queued_job_leads_to_its_page_and_an_unchanged_shop_to_its_launch_page() {
        let job = serde_json::json!({
            "id": 7, "kind": "create_shop", "state": "queued", "shop": "fern",
            "environment": null, "failed_step": null, "error": null, "steps": [], "events": [],
            "attempts": 0, "operation_id": "op", "created_by": null,
            "created_at": "2026-01-01T00:00:00Z", "finished_at": null, "release": null
        });
        assert_eq!(after_create(&job).as_deref(), Some("/admin/jobs/7"));
        assert_eq!(
            after_create(&serde_json::json!({"unchanged": "fern"})).as_deref(),
            Some("/admin/shops/fern/launch")
        );
        assert_eq!(after_create(&serde_json::json!({"what": 1})), None);
    }
}
