//! A shop's lifecycle in the admin: `/admin/jobs/{id}` (a job's steps and events, live),
//! `/admin/shops/{shop}/launch` (health per environment, launch, release history, rollback,
//! recent jobs) and `/admin/operator` (every shop by health, for platform operators). They
//! read the types of [`crate::lifecycle`].

use super::orders::format_datetime;
use super::{Brand, api};
use crate::lifecycle::{
    Health, HealthView, JobKind, JobState, JobView, LaunchRequest, OperatorRow, OperatorView,
    ReleaseState, ReleaseView, RollbackRequest, ShopLifecycle, ShopStatus, StepState,
};
use crate::route::{Route, ShopOrigins};
use crate::shop_config::Environment;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use std::time::Duration;

const CARD: &str = "rounded-xl bg-white shadow-sm ring-1 ring-slate-900/5";
const BUTTON: &str = "rounded-md border border-slate-300 bg-white px-2.5 py-1 text-sm font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50";
const PRIMARY: &str = "rounded-md bg-blue-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-blue-700 disabled:opacity-50";

/// A health badge's colours.
pub fn health_colours(h: Health) -> &'static str {
    match h {
        Health::Healthy => "bg-green-100 text-green-800 ring-green-600/20",
        Health::NeedsAttention => "bg-amber-100 text-amber-800 ring-amber-600/20",
        Health::Broken => "bg-red-100 text-red-800 ring-red-600/20",
        Health::NotLaunched => "bg-slate-100 text-slate-600 ring-slate-500/20",
    }
}

/// A job state's colours.
pub fn job_colours(s: JobState) -> &'static str {
    match s {
        JobState::Queued => "bg-slate-100 text-slate-700",
        JobState::Running => "bg-blue-100 text-blue-800",
        JobState::Succeeded => "bg-green-100 text-green-800",
        JobState::Failed => "bg-red-100 text-red-800",
    }
}

/// What an API error says on these pages (`422` lists the configuration's issues).
pub fn error_text(e: &api::ApiError) -> String {
    let issues: Vec<String> = e
        .issues()
        .into_iter()
        .map(|i| format!("{}: {}", i.field, i.message))
        .collect();
    if issues.is_empty() {
        e.message.clone()
    } else {
        format!("{} — {}", e.message, issues.join("; "))
    }
}

#[component]
fn Frame(children: Children) -> impl IntoView {
    view! {
        <div class="min-h-screen">
            <header class="border-b border-slate-200 bg-white">
                <div class="mx-auto flex h-14 max-w-5xl items-center justify-between px-4">
                    <Brand />
                    <nav class="flex gap-4 text-sm text-slate-600">
                        <a href="/admin/operator" class="hover:text-slate-900">"Operator"</a>
                        <a href="/admin" class="hover:text-slate-900">"Shops and pages"</a>
                    </nav>
                </div>
            </header>
            <main class="mx-auto max-w-5xl px-4 py-8">{children()}</main>
        </div>
    }
}

#[component]
fn HealthBadge(health: Health) -> impl IntoView {
    view! {
        <span
            data-health=format!("{health:?}").to_lowercase()
            class=format!("inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {}", health_colours(health))
        >
            {health.label()}
        </span>
    }
}

#[component]
fn JobBadge(state: JobState) -> impl IntoView {
    view! {
        <span data-job-state=state.as_str() class=format!("inline-block rounded px-1.5 py-0.5 text-xs font-medium {}", job_colours(state))>
            {state.as_str()}
        </span>
    }
}

/// Calls `tick` every second while the page is open, in the browser only (an effect never
/// runs while the server renders, where there are no timers to set).
fn every_second(tick: impl Fn() + Clone + 'static) {
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(tick.clone(), Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    });
}

/// `/admin/jobs/{id}`: the job's steps and events, refreshed every second until it ends.
#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).unwrap_or_default();
    let version = RwSignal::new(0u32);
    let job = LocalResource::new(move || {
        version.track();
        let path = format!("/api/v1/jobs/{}", id());
        async move { api::get_json::<JobView>(&path).await }
    });
    every_second(move || {
        // A job still running, or an answer that may come right next time (the connection
        // dropped, the server restarted): ask again. A finished job, or one that is gone or
        // not ours, ends the polling.
        let running = job.get_untracked().is_none_or(|r| match r.as_ref() {
            Ok(j) => !j.state.is_finished(),
            Err(e) => e.status == 0 || e.status >= 500,
        });
        if running {
            version.update(|v| *v += 1);
        }
    });
    view! {
        <Frame>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading the job…"</p> }>
                {move || job.get().map(|r| match r {
                    Err(e) => view! { <p class="text-red-600" role="alert">{e.message}</p> }.into_any(),
                    Ok(j) => view! { <JobDetail job=j on_retry=move || version.update(|v| *v += 1) /> }.into_any(),
                })}
            </Transition>
        </Frame>
    }
}

#[component]
fn JobDetail(job: JobView, on_retry: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let id = job.id;
    let retry = move |_| {
        leptos::task::spawn_local(async move {
            match api::post(&format!("/api/v1/jobs/{id}/retry"), serde_json::json!({})).await {
                Ok(_) => on_retry(),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let title = match job.environment {
        Some(env) => {
            let word = match job.kind {
                JobKind::Launch => "to",
                JobKind::Rollback => "in",
                _ => "on",
            };
            format!("{} · {} {word} {env}", job.kind.label(), job.shop)
        }
        None => format!("{} · {}", job.kind.label(), job.shop),
    };
    let steps = job
        .steps
        .iter()
        .map(|s| {
            let (mark, colour) = match s.state {
                StepState::Pending => ("○", "text-slate-400"),
                StepState::Running => ("◐", "text-blue-600 animate-pulse"),
                StepState::Done => ("✓", "text-green-600"),
                StepState::Failed => ("✕", "text-red-600"),
            };
            let state = format!("{:?}", s.state).to_lowercase();
            view! {
                <li class="flex items-center gap-3 py-1.5" data-step=s.name.clone() data-step-state=state>
                    <span class=format!("w-5 text-center text-lg {colour}") aria-hidden="true">{mark}</span>
                    <span class="font-medium text-slate-800">{s.name.clone()}</span>
                </li>
            }
        })
        .collect_view();
    let events = job
        .events
        .iter()
        .rev()
        .map(|e| {
            let colour = if e.level == "error" { "text-red-700" } else { "text-slate-700" };
            view! {
                <tr class="align-top">
                    <td class="px-3 py-1.5 whitespace-nowrap text-slate-500">{format_datetime(&e.at)}</td>
                    <td class="px-3 py-1.5 font-medium">{e.step.clone()}</td>
                    <td class=format!("px-3 py-1.5 {colour}")>{e.message.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let failed = job.state == JobState::Failed;
    let created_shop = job.kind == JobKind::CreateShop && job.state == JobState::Succeeded;
    let launch_page = format!("/admin/shops/{}/launch", job.shop);
    view! {
        <a href=launch_page.clone() class="text-sm text-blue-700 hover:underline">"← " {job.shop.clone()} " launches"</a>
        <div class="mt-2 flex flex-wrap items-center gap-3">
            <h1 class="text-2xl font-semibold tracking-tight">{title}</h1>
            <JobBadge state=job.state />
        </div>
        <p class="mt-1 text-xs text-slate-500">
            "Job " {job.id} " · started by " {job.created_by.clone().unwrap_or_else(|| "the command line".into())}
            " · " {format_datetime(&job.created_at)} " · operation " <code class="font-mono">{job.operation_id.clone()}</code>
        </p>
        {failed.then(|| view! {
            <div class="mt-4 flex flex-wrap items-center gap-3 rounded-md bg-red-50 px-4 py-3 text-sm text-red-800" role="alert">
                <span>"Failed at " <b>{job.failed_step.clone().unwrap_or_default()}</b> ": " {job.error.clone().unwrap_or_default()}</span>
                <button type="button" class=BUTTON data-action="retry" on:click=retry>"Retry"</button>
            </div>
        })}
        {move || error.get().map(|m| view! { <p class="mt-2 text-sm text-red-600" role="alert">{m}</p> })}
        {created_shop.then(|| view! {
            <div class="mt-4 flex gap-3">
                <a href=launch_page.clone() class=PRIMARY>"Open the launch page"</a>
                <a href="/admin" class=BUTTON>"Edit its pages"</a>
            </div>
        })}
        <div class="mt-6 grid gap-6 md:grid-cols-[14rem_1fr]">
            <section class=format!("p-4 {CARD}")>
                <h2 class="text-sm font-semibold text-slate-500 uppercase">"Steps"</h2>
                <ol class="mt-2" data-testid="job-steps">{steps}</ol>
            </section>
            <section class=format!("overflow-x-auto {CARD}")>
                <table class="w-full text-left text-sm" data-testid="job-events">
                    <thead class="bg-slate-50 text-xs text-slate-500 uppercase">
                        <tr><th class="px-3 py-2">"When"</th><th class="px-3 py-2">"Step"</th><th class="px-3 py-2">"What happened"</th></tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">{events}</tbody>
                </table>
            </section>
        </div>
    }
}

/// Starts a job with `body` at `path` and opens its page; an error is shown in `error`.
fn start_job(path: String, body: serde_json::Value, error: RwSignal<Option<String>>) {
    let navigate = use_navigate();
    leptos::task::spawn_local(async move {
        match api::post(&path, body)
            .await
            .and_then(api::decode::<JobView>)
        {
            Ok(job) => navigate(&format!("/admin/jobs/{}", job.id), Default::default()),
            Err(e) => error.set(Some(error_text(&e))),
        }
    });
}

/// `/admin/shops/{shop}/launch`.
#[component]
pub fn LaunchPage() -> impl IntoView {
    let params = use_params_map();
    let handle = move || params.with(|p| p.get("shop")).unwrap_or_default();
    let data = LocalResource::new(move || {
        let path = format!("/api/v1/shops/{}/lifecycle", handle());
        async move { api::get_json::<ShopLifecycle>(&path).await }
    });
    view! {
        <Frame>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || data.get().map(|r| match r {
                    Err(e) => view! { <p class="text-red-600" role="alert">{e.message}</p> }.into_any(),
                    Ok(life) => view! { <Lifecycle life /> }.into_any(),
                })}
            </Transition>
        </Frame>
    }
}

#[component]
fn Lifecycle(life: ShopLifecycle) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let handle = life.handle.clone();
    let cards = life
        .environments
        .iter()
        .cloned()
        .map(|env| view! { <EnvironmentCard env handle=handle.clone() can_launch=life.can_launch origins=life.origins error /> })
        .collect_view();
    let repair = (life.status == ShopStatus::NeedsRepair).then(|| {
        let job = life.repair_job;
        view! {
            <div class="mt-4 flex items-center gap-3 rounded-md bg-red-50 px-4 py-3 text-sm text-red-800" role="alert" data-testid="needs-repair">
                <span>"This shop needs repair: a job failed part-way."</span>
                {job.map(|id| view! { <a class=BUTTON href=format!("/admin/jobs/{id}")>"Open the job to retry"</a> })}
            </div>
        }
    });
    let releases = Environment::LAUNCHABLE
        .into_iter()
        .map(|env| {
            let list: Vec<ReleaseView> = life.releases.iter().filter(|r| r.environment == env).cloned().collect();
            view! { <ReleaseHistory env list handle=handle.clone() can_launch=life.can_launch origins=life.origins error /> }
        })
        .collect_view();
    let no_jobs = life.jobs.is_empty().then(|| {
        view! { <p class="px-4 pb-4 text-sm text-slate-500">"No jobs yet."</p> }
    });
    let jobs = life
        .jobs
        .iter()
        .map(|j| {
            let what = match j.environment {
                Some(env) => format!("{} · {env}", j.kind.label()),
                None => j.kind.label().to_string(),
            };
            view! {
                <tr>
                    <td class="px-3 py-1.5"><a class="text-blue-700 hover:underline" href=format!("/admin/jobs/{}", j.id)>{format!("#{}", j.id)}</a></td>
                    <td class="px-3 py-1.5">{what}</td>
                    <td class="px-3 py-1.5"><JobBadge state=j.state /></td>
                    <td class="px-3 py-1.5 text-slate-500">{format_datetime(&j.created_at)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <a href=format!("/admin?shop={}", life.handle) class="text-sm text-blue-700 hover:underline">"← " {life.name.clone()} " pages"</a>
        <h1 class="mt-2 text-2xl font-semibold tracking-tight">{life.name.clone()} " · Launches"</h1>
        {repair}
        {move || error.get().map(|m| view! { <p class="mt-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="launch-error">{m}</p> })}
        <div class="mt-6 grid gap-4 md:grid-cols-3">{cards}</div>
        {releases}
        <section class=format!("mt-8 overflow-x-auto {CARD}")>
            <h2 class="px-4 pt-4 text-lg font-semibold">"Recent jobs"</h2>
            {no_jobs}
            <table class="mt-2 w-full text-left text-sm"><tbody class="divide-y divide-slate-100">{jobs}</tbody></table>
        </section>
    }
}

#[component]
fn EnvironmentCard(
    env: HealthView,
    handle: String,
    can_launch: bool,
    origins: ShopOrigins,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let environment = env.environment;
    let launchable = Environment::LAUNCHABLE.contains(&environment);
    let hosts = env
        .hosts
        .iter()
        .map(|h| view! { <li><a class="text-blue-700 hover:underline" href=Route::Home.url(origins, h) target="_blank">{h.clone()}</a></li> })
        .collect_view();
    let reasons = env
        .reasons
        .iter()
        .map(|r| view! { <li>{r.clone()}</li> })
        .collect_view();
    let launch = {
        let handle = handle.clone();
        move |_| {
            start_job(
                format!("/api/v1/shops/{handle}/launches"),
                serde_json::json!(LaunchRequest { environment }),
                error,
            )
        }
    };
    let smoke = move |_| {
        start_job(
            format!("/api/v1/shops/{handle}/smoke"),
            serde_json::json!(LaunchRequest { environment }),
            error,
        )
    };
    view! {
        <section class=format!("p-4 {CARD}") data-environment=environment.as_str()>
            <div class="flex items-center justify-between">
                <h2 class="text-lg font-semibold">{environment.as_str()}</h2>
                <HealthBadge health=env.health />
            </div>
            <p class="mt-1 text-sm text-slate-600">
                {match env.live_release {
                    Some(n) => format!("Release {n} is live"),
                    None if launchable => "Nothing launched yet".to_string(),
                    None => "Shows the latest published pages".to_string(),
                }}
            </p>
            <ul class="mt-2 space-y-0.5 text-sm">{hosts}</ul>
            <ul class="mt-2 list-disc pl-5 text-xs text-slate-500">{reasons}</ul>
            {env.last_smoke_passed_at.map(|t| view! { <p class="mt-2 text-xs text-slate-500">"Smoke passed " {format_datetime(&t)}</p> })}
            {can_launch.then(|| view! {
                <div class="mt-3 flex flex-wrap gap-2">
                    {launchable.then(|| view! { <button type="button" class=PRIMARY on:click=launch.clone()>{format!("Launch to {environment}")}</button> })}
                    {(env.live_release.is_some() || !launchable).then(|| view! { <button type="button" class=BUTTON on:click=smoke.clone()>"Re-run smoke"</button> })}
                </div>
            })}
        </section>
    }
}

#[component]
fn ReleaseHistory(
    env: Environment,
    list: Vec<ReleaseView>,
    handle: String,
    can_launch: bool,
    origins: ShopOrigins,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    if list.is_empty() {
        return ().into_any();
    }
    let confirming = RwSignal::new(None::<i64>);
    let rows = list
        .into_iter()
        .map(|r| {
            let number = r.number;
            let state = match r.state {
                ReleaseState::Launched => "launched",
                ReleaseState::Failed => "smoke failed",
                ReleaseState::Candidate => "candidate",
            };
            let can_roll_back = can_launch && r.state == ReleaseState::Launched && !r.live;
            let output = r.smoke_output.clone();
            view! {
                <tr class="align-top" data-release=number>
                    <td class="px-3 py-2 font-medium">{format!("#{number}")}
                        {r.live.then(|| view! { <span class="ml-2 rounded bg-green-100 px-1.5 py-0.5 text-xs text-green-800">"live"</span> })}
                    </td>
                    <td class="px-3 py-2">{state}</td>
                    <td class="px-3 py-2 text-slate-600">{r.created_by.clone().unwrap_or_else(|| "command line".into())}<br/><span class="text-xs">{format_datetime(&r.created_at)}</span></td>
                    <td class="px-3 py-2">
                        {r.smoke_summary.clone().unwrap_or_else(|| "—".into())}
                        {output.map(|o| view! { <details class="mt-1"><summary class="cursor-pointer text-xs text-blue-700">"output"</summary><pre class="mt-1 max-w-md overflow-x-auto text-xs whitespace-pre-wrap">{o}</pre></details> })}
                    </td>
                    <td class="px-3 py-2 text-slate-600">{r.changes.clone()}<br/><a class="font-mono text-xs text-blue-700 hover:underline" href=Route::Home.url(origins, &r.preview_host) target="_blank">{r.preview_host.clone()}</a></td>
                    <td class="px-3 py-2">
                        {can_roll_back.then(|| view! { <button type="button" class=BUTTON on:click=move |_| confirming.set(Some(number))>"Roll back"</button> })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let confirm = move |_| {
        if let Some(release) = confirming.get_untracked() {
            confirming.set(None);
            start_job(
                format!("/api/v1/shops/{handle}/rollbacks"),
                serde_json::json!(RollbackRequest {
                    environment: env,
                    release
                }),
                error,
            );
        }
    };
    view! {
        <section class=format!("mt-8 overflow-x-auto {CARD}")>
            <h2 class="px-4 pt-4 text-lg font-semibold">{format!("Releases · {env}")}</h2>
            <table class="mt-2 w-full text-left text-sm">
                <thead class="bg-slate-50 text-xs text-slate-500 uppercase">
                    <tr><th class="px-3 py-2">"Release"</th><th class="px-3 py-2">"Status"</th><th class="px-3 py-2">"Who, when"</th><th class="px-3 py-2">"Smoke"</th><th class="px-3 py-2">"Changes"</th><th></th></tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
            <Show when=move || confirming.get().is_some()>
                <div class="fixed inset-0 z-10 flex items-center justify-center bg-slate-900/40" role="dialog" aria-modal="true">
                    <div class=format!("w-96 p-6 {CARD}")>
                        <h3 class="text-lg font-semibold">{move || format!("Make release {} live again?", confirming.get().unwrap_or_default())}</h3>
                        <p class="mt-2 text-sm text-slate-600">"Its smoke suite runs first; if it fails, the current release stays live."</p>
                        <div class="mt-4 flex justify-end gap-2">
                            <button type="button" class=BUTTON on:click=move |_| confirming.set(None)>"Cancel"</button>
                            <button type="button" class=PRIMARY data-action="confirm-rollback" on:click=confirm.clone()>"Roll back"</button>
                        </div>
                    </div>
                </div>
            </Show>
        </section>
    }
    .into_any()
}

/// `/admin/operator`: every shop, worst first.
#[component]
pub fn OperatorPage() -> impl IntoView {
    let data = LocalResource::new(|| api::get_json::<OperatorView>("/api/v1/operator/shops"));
    view! {
        <Frame>
            <h1 class="text-2xl font-semibold tracking-tight">"All shops"</h1>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || data.get().map(|r| match r {
                    Err(e) if e.status == 403 => view! { <p class="mt-4 text-slate-600" role="alert">"Only platform operators can see this."</p> }.into_any(),
                    Err(e) => view! { <p class="mt-4 text-red-600" role="alert">{e.message}</p> }.into_any(),
                    Ok(view) => view! { <OperatorTable view /> }.into_any(),
                })}
            </Transition>
        </Frame>
    }
}

#[component]
fn OperatorTable(view: OperatorView) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let t = view.thresholds;
    let rows = view
        .shops
        .into_iter()
        .map(|row| view! { <OperatorShop row error /> })
        .collect_view();
    view! {
        <p class="mt-1 text-sm text-slate-500">
            {format!(
                "{} jobs waiting or running · smoke is stale after {} h · {} server errors in {} min make a shop broken",
                view.queue_depth, t.smoke_stale_hours, t.broken_errors, t.error_window_minutes
            )}
        </p>
        {move || error.get().map(|m| view! { <p class="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">{m}</p> })}
        <div class=format!("mt-4 overflow-x-auto {CARD}")>
            <table class="w-full text-left text-sm" data-testid="operator-shops">
                <thead class="bg-slate-50 text-xs text-slate-500 uppercase">
                    <tr><th class="px-3 py-2">"Shop"</th><th class="px-3 py-2">"dev"</th><th class="px-3 py-2">"stage"</th><th class="px-3 py-2">"prod"</th><th class="px-3 py-2">"Last job"</th><th class="px-3 py-2">"Actions"</th></tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn OperatorShop(row: OperatorRow, error: RwSignal<Option<String>>) -> impl IntoView {
    let handle = row.handle.clone();
    let launched = row.environments.iter().any(|e| e.live_release.is_some());
    let badges = row
        .environments
        .iter()
        .map(|e| {
            let title = e.reasons.join("; ");
            view! { <td class="px-3 py-2" title=title><HealthBadge health=e.health /></td> }
        })
        .collect_view();
    let smokes = row
        .environments
        .iter()
        .filter(|e| e.health != Health::NotLaunched)
        .map(|e| {
            let (handle, environment) = (handle.clone(), e.environment);
            view! {
                <button type="button" class=BUTTON on:click=move |_| start_job(
                    format!("/api/v1/shops/{handle}/smoke"),
                    serde_json::json!(LaunchRequest { environment }),
                    error,
                )>{format!("Smoke {environment}")}</button>
            }
        })
        .collect_view();
    let last = row.last_job.map(|j| view! {
        <a class="text-blue-700 hover:underline" href=format!("/admin/jobs/{}", j.id)>{j.kind.label()}</a>
        " " <JobBadge state=j.state />
    });
    view! {
        <tr data-shop=row.handle.clone()>
            <td class="px-3 py-2">
                <a class="font-medium text-slate-900 hover:text-blue-700" href=format!("/admin/shops/{}/launch", row.handle)>{row.name.clone()}</a>
                <div class="text-xs text-slate-500">{row.handle.clone()}
                    {(row.status == ShopStatus::NeedsRepair).then(|| view! { <span class="ml-2 rounded bg-red-100 px-1.5 text-red-800">"needs repair"</span> })}
                </div>
            </td>
            {badges}
            <td class="px-3 py-2">{last}</td>
            <td class="px-3 py-2">
                <div class="flex flex-wrap gap-1.5">
                    {row.repair_job.map(|id| view! { <a class=BUTTON href=format!("/admin/jobs/{id}")>"Retry job"</a> })}
                    {smokes}
                    {launched.then(|| view! { <a class=BUTTON href=format!("/admin/shops/{}/launch", row.handle)>"Roll back…"</a> })}
                </div>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_are_listed_after_the_message() {
        let e = api::ApiError {
            status: 422,
            message: "`x` is not ready for stage".into(),
            body: serde_json::json!({
                "error": {"code": "not_ready", "message": "`x` is not ready for stage", "request_id": ""},
                "issues": [crate::shop_config::Issue {
                    step: crate::shop_config::Step::Domains,
                    field: "domains.stage".into(),
                    message: "Required for stage: add a host".into(),
                    invalid: false,
                }],
            }),
        };
        assert_eq!(
            error_text(&e),
            "`x` is not ready for stage — domains.stage: Required for stage: add a host"
        );
    }

    #[test]
    fn every_health_has_its_colour() {
        for h in [
            Health::Healthy,
            Health::NeedsAttention,
            Health::Broken,
            Health::NotLaunched,
        ] {
            assert!(health_colours(h).starts_with("bg-"));
        }
    }
}
