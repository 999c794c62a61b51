//! `/admin/shops/new`: the configurator. Six steps (basics, theme, pages, navigation,
//! providers, domains) and a summary fill in one [`ShopConfig`]; "Create shop" posts it and
//! goes to the create job's page.
//!
//! Every field shows where it is required for launch (from [`crate::shop_config::FIELDS`])
//! and its problems: checked in the browser on every change ([`checklist`], the same code
//! the server runs) and by the server, whose answer ([`ConfigDraftView`]) decides whether the
//! shop can be created. The configuration is saved as the person's draft half a second after
//! each change and on every step change, so closing the tab loses nothing.

mod basics;
mod domains;
mod field;
mod navigation;
mod pages;
mod preview;
mod providers;
mod summary;
mod theme;

use super::{Brand, api};
use crate::lifecycle::ConfigDraftView;
use crate::shop_config::{
    Check, Environment, MAX_HANDLE_LEN, SecretsPresent, ShopConfig, Step, checklist, validate_step,
};
use leptos::prelude::*;
use std::time::Duration;

/// The draft's API.
const DRAFT_PATH: &str = "/api/v1/configurator/draft";
/// How long after the last change the draft is saved.
const SAVE_DELAY: Duration = Duration::from_millis(500);

/// Where the wizard is: one of the steps, or the summary after them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Step(Step),
    Summary,
}

impl Stage {
    /// Every stage in order.
    pub const ALL: [Stage; 7] = [
        Stage::Step(Step::Basics),
        Stage::Step(Step::Theme),
        Stage::Step(Step::Pages),
        Stage::Step(Step::Navigation),
        Stage::Step(Step::Providers),
        Stage::Step(Step::Domains),
        Stage::Summary,
    ];

    pub fn index(self) -> usize {
        match self {
            Stage::Step(s) => s.number() - 1,
            Stage::Summary => Step::ALL.len(),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Stage::Step(s) => s.title(),
            Stage::Summary => "Summary",
        }
    }

    pub fn next(self) -> Option<Stage> {
        Self::ALL.get(self.index() + 1).copied()
    }

    pub fn previous(self) -> Option<Stage> {
        self.index().checked_sub(1).map(|i| Self::ALL[i])
    }
}

/// The handle the name suggests: its slug, cut to the longest handle allowed.
pub fn handle_from_name(name: &str) -> String {
    let slug = super::dashboard::slugify(name);
    let cut: String = slug.chars().take(MAX_HANDLE_LEN).collect();
    cut.trim_end_matches('-').to_string()
}

/// The host suggested for an environment of the shop `handle` (none for production: that
/// takes a real domain).
pub fn suggested_host(handle: &str, env: Environment) -> Option<String> {
    match env {
        Environment::Dev => Some(format!("{handle}.localhost")),
        Environment::Stage => Some(format!("{handle}-stage.localhost")),
        Environment::Prod => None,
    }
}

/// Sets the handle, and moves the dev and stage hosts along with it while they are still
/// the ones suggested for the old handle (an empty dev list gets the suggestion: a shop
/// cannot be created without a dev host).
pub fn set_handle(config: &mut ShopConfig, handle: String) {
    let old = std::mem::replace(&mut config.basics.handle, handle);
    let new = config.basics.handle.clone();
    for env in [Environment::Dev, Environment::Stage] {
        let (Some(was), Some(now)) = (suggested_host(&old, env), suggested_host(&new, env)) else {
            continue;
        };
        let hosts = config.domains.hosts_mut(env);
        let follows = hosts.len() == 1 && hosts[0] == was;
        let fill = hosts.is_empty() && env == Environment::Dev;
        if follows || fill {
            *hosts = if new.is_empty() { vec![] } else { vec![now] };
        }
    }
}

/// Whether "Next" must wait: the step has a value that is wrong, or one that creating the
/// shop (its `dev` environment) needs is empty, or its handle is taken. A value merely
/// missing for stage or prod does not block: the summary lists it.
pub fn step_blocked(
    config: &ShopConfig,
    step: Step,
    secrets: &SecretsPresent,
    handle_taken: bool,
) -> bool {
    !validate_step(config, step, Environment::Dev, secrets).is_empty()
        || (step == Step::Basics && handle_taken)
}

/// The stage to open a saved draft at: the first step with a wrong value, else the summary.
pub fn resume_stage(config: &ShopConfig, secrets: &SecretsPresent) -> Stage {
    Step::ALL
        .into_iter()
        .find(|s| step_blocked(config, *s, secrets, false))
        .map_or(Stage::Summary, Stage::Step)
}

/// What the "Saved" badge says.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    /// Nothing changed since the draft was loaded.
    Idle,
    /// Changed, waiting for the pause before saving.
    Pending,
    Saving,
    Saved,
    Failed(String),
}

/// The wizard's state, shared by the steps through context.
#[derive(Clone, Copy)]
pub struct Wizard {
    pub config: RwSignal<ShopConfig>,
    /// The server's last answer about the draft.
    pub server: RwSignal<Option<ConfigDraftView>>,
    /// The checklist of each environment, computed here on every change.
    pub local: Memo<Vec<(Environment, Vec<Check>)>>,
    pub stage: RwSignal<Stage>,
    /// The furthest stage reached: the indicator lets you jump back to any up to it.
    pub reached: RwSignal<usize>,
    pub save: RwSignal<SaveState>,
    /// The handle was typed by hand: the name no longer fills it in.
    pub handle_edited: RwSignal<bool>,
    /// Changes made so far, and how many of them the server has.
    edits: StoredValue<u64>,
    saved: StoredValue<u64>,
    in_flight: StoredValue<bool>,
}

/// The wizard of the page being shown.
pub fn wizard() -> Wizard {
    expect_context::<Wizard>()
}

impl Wizard {
    fn new() -> Self {
        let config = RwSignal::new(ShopConfig::default());
        let server = RwSignal::new(None::<ConfigDraftView>);
        let local = Memo::new(move |_| {
            let secrets = server
                .with(|s| s.as_ref().map(|v| v.secrets.clone()))
                .unwrap_or_default();
            config.with(|c| {
                Environment::ALL
                    .into_iter()
                    .map(|env| (env, checklist(c, env, &secrets)))
                    .collect()
            })
        });
        Self {
            config,
            server,
            local,
            stage: RwSignal::new(Stage::Step(Step::Basics)),
            reached: RwSignal::new(0),
            save: RwSignal::new(SaveState::Idle),
            handle_edited: RwSignal::new(false),
            edits: StoredValue::new(0),
            saved: StoredValue::new(0),
            in_flight: StoredValue::new(false),
        }
    }

    /// Changes the configuration and saves it after a pause.
    pub fn edit(self, f: impl FnOnce(&mut ShopConfig)) {
        self.config.update(f);
        self.edits.update_value(|n| *n += 1);
        let at = self.edits.get_value();
        self.save.set(SaveState::Pending);
        set_timeout(
            move || {
                if self.edits.get_value() == at {
                    self.save_now();
                }
            },
            SAVE_DELAY,
        );
    }

    /// The server's secrets (names only), as last reported.
    pub fn secrets(self) -> SecretsPresent {
        self.server
            .with(|s| s.as_ref().map(|v| v.secrets.clone()))
            .unwrap_or_default()
    }

    /// Whether the server said the handle being shown is another shop's.
    pub fn handle_taken(self) -> bool {
        let handle = self.config.with(|c| c.basics.handle.clone());
        self.server.with(|s| {
            s.as_ref()
                .is_some_and(|v| v.handle_taken && v.config.basics.handle == handle)
        })
    }

    /// The server's checks are about exactly what is on screen.
    pub fn in_sync(self) -> bool {
        self.server
            .with(|s| s.as_ref().map(|v| v.config.clone()))
            .is_some_and(|c| self.config.with(|now| *now == c))
    }

    /// This field's checks, one per environment.
    pub fn checks_of(self, key: &str) -> Vec<(Environment, Check)> {
        self.local.with(|all| {
            all.iter()
                .filter_map(|(env, checks)| {
                    checks
                        .iter()
                        .find(|c| c.field == key)
                        .map(|c| (*env, c.clone()))
                })
                .collect()
        })
    }

    /// Saves the draft now, unless the server has it already. One request at a time: changes
    /// made while one is under way are sent when it returns.
    pub fn save_now(self) {
        let at = self.edits.get_value();
        if at == self.saved.get_value() || self.in_flight.get_value() {
            return;
        }
        self.in_flight.set_value(true);
        self.save.set(SaveState::Saving);
        let config = self.config.get_untracked();
        leptos::task::spawn_local(async move {
            let result = put_draft(&config).await;
            self.in_flight.set_value(false);
            match result {
                Ok(view) => {
                    self.saved.set_value(at);
                    self.server.set(Some(view));
                    if self.edits.get_value() == at {
                        self.save.set(SaveState::Saved);
                    } else {
                        self.save_now();
                    }
                }
                Err(e) => self.save.set(SaveState::Failed(e.message)),
            }
        });
    }

    /// Goes to `stage` (saving first), and puts the keyboard focus on `field`'s input, or on
    /// the new step's heading.
    pub fn go(self, stage: Stage, field: Option<&'static str>) {
        self.save_now();
        self.stage.set(stage);
        self.reached.update(|r| *r = (*r).max(stage.index()));
        if stage == Stage::Step(Step::Domains) {
            self.fill_dev_host();
        }
        request_animation_frame(move || match field {
            Some(key) => focus_field(key),
            None => focus_by_id("wizard-heading"),
        });
    }

    /// The dev host a shop cannot do without, suggested when there is none.
    fn fill_dev_host(self) {
        let (handle, empty) = self
            .config
            .with_untracked(|c| (c.basics.handle.clone(), c.domains.dev.is_empty()));
        if empty && crate::shop_config::handle_problem(&handle).is_none() {
            let host = suggested_host(&handle, Environment::Dev);
            self.edit(|c| c.domains.dev.extend(host));
        }
    }
}

async fn put_draft(config: &ShopConfig) -> Result<ConfigDraftView, api::ApiError> {
    let body = serde_json::to_value(config).unwrap_or_default();
    api::decode(api::put(DRAFT_PATH, body).await?)
}

/// The id of a field's first input (also what its label points at).
pub fn input_id(key: &str) -> String {
    format!("cfg-{}", key.replace(['.', '_'], "-"))
}

fn focus_field(key: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let selector = format!(
            "[data-config-field=\"{key}\"] :is(input, select, textarea, button):not([disabled])"
        );
        if let Some(el) = document()
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = key;
}

fn focus_by_id(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// The page at `/admin/shops/new`.
#[component]
pub fn Configurator() -> impl IntoView {
    let w = Wizard::new();
    provide_context(w);
    let loaded = RwSignal::new(None::<Result<(), String>>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            match api::get_json::<ConfigDraftView>(DRAFT_PATH).await {
                Ok(view) => {
                    open_draft(w, view);
                    loaded.set(Some(Ok(())));
                }
                Err(e) => loaded.set(Some(Err(e.message))),
            }
        });
    });
    view! {
        <div class="min-h-screen bg-slate-50">
            <header class="border-b border-slate-200 bg-white">
                <div class="mx-auto flex h-14 max-w-6xl items-center justify-between gap-4 px-4">
                    <div class="flex items-center gap-3">
                        <Brand />
                        <span class="text-slate-300" aria-hidden="true">"/"</span>
                        <span class="text-sm font-medium text-slate-700">"New shop"</span>
                    </div>
                    <SaveBadge />
                </div>
            </header>
            <main class="mx-auto max-w-6xl px-4 py-8">
                {move || match loaded.get() {
                    None => view! { <p class="text-slate-500" role="status">"Loading your draft…"</p> }.into_any(),
                    Some(Err(m)) => view! { <p class="text-red-600" role="alert">{m}</p> }.into_any(),
                    Some(Ok(())) => view! { <WizardBody /> }.into_any(),
                }}
            </main>
        </div>
    }
}

/// Shows the loaded draft: a saved one opens where work is left, with every step reachable.
fn open_draft(w: Wizard, view: ConfigDraftView) {
    let config = view.config.clone();
    let resumed = view.updated_at.is_some();
    w.handle_edited.set(
        !config.basics.handle.is_empty()
            && config.basics.handle != handle_from_name(&config.basics.name),
    );
    if resumed {
        w.reached.set(Stage::Summary.index());
        w.stage.set(resume_stage(&config, &view.secrets));
    }
    w.config.set(config);
    w.server.set(Some(view));
}

#[component]
fn WizardBody() -> impl IntoView {
    let w = wizard();
    let stage_view = move || match w.stage.get() {
        Stage::Step(Step::Basics) => view! { <basics::BasicsStep /> }.into_any(),
        Stage::Step(Step::Theme) => view! { <theme::ThemeStep /> }.into_any(),
        Stage::Step(Step::Pages) => view! { <pages::PagesStep /> }.into_any(),
        Stage::Step(Step::Navigation) => view! { <navigation::NavigationStep /> }.into_any(),
        Stage::Step(Step::Providers) => view! { <providers::ProvidersStep /> }.into_any(),
        Stage::Step(Step::Domains) => view! { <domains::DomainsStep /> }.into_any(),
        Stage::Summary => view! { <summary::Summary /> }.into_any(),
    };
    let next = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let stage = w.stage.get_untracked();
        if let (Stage::Step(step), Some(next)) = (stage, stage.next())
            && !blocked(w, step)
        {
            w.go(next, None);
        }
    };
    view! {
        <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
            <div>
                <h1 class="text-2xl font-semibold tracking-tight text-slate-900">"Create a shop"</h1>
                <p class="mt-1 text-sm text-slate-500">"Six short steps. Your progress is saved as you go."</p>
            </div>
            <RequirementLegend />
        </div>
        <StepIndicator />
        <form class="mt-6" on:submit=next novalidate data-testid="wizard">
            {stage_view}
            <StepActions />
        </form>
    }
}

/// Whether the current step keeps "Next" disabled (tracks the config and the server).
fn blocked(w: Wizard, step: Step) -> bool {
    let secrets = w.secrets();
    let taken = w.handle_taken();
    w.config.with(|c| step_blocked(c, step, &secrets, taken))
}

/// Explains the chips every field carries.
#[component]
fn RequirementLegend() -> impl IntoView {
    view! {
        <p class="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-500">
            <span class="inline-flex items-center gap-1.5">
                <span class="rounded px-1.5 py-0.5 text-[11px] font-semibold bg-indigo-600 text-white">"stage"</span>
                "required for launch there"
            </span>
            <span class="inline-flex items-center gap-1.5">
                <span class="rounded px-1.5 py-0.5 text-[11px] font-medium text-slate-400 ring-1 ring-slate-200 ring-inset">"stage"</span>
                "optional"
            </span>
        </p>
    }
}

#[component]
fn SaveBadge() -> impl IntoView {
    let w = wizard();
    let retry = move |_| w.save_now();
    view! {
        <div class="flex items-center gap-2 text-sm" role="status" aria-live="polite" data-testid="save-state">
            {move || match w.save.get() {
                SaveState::Idle => view! { <span class="text-slate-400">"Draft"</span> }.into_any(),
                SaveState::Pending | SaveState::Saving => view! {
                    <span class="inline-flex items-center gap-1.5 text-slate-500">
                        <span class="h-2 w-2 animate-pulse rounded-full bg-amber-400"></span>"Saving…"
                    </span>
                }.into_any(),
                SaveState::Saved => view! {
                    <span class="inline-flex items-center gap-1.5 text-emerald-700">
                        <span class="h-2 w-2 rounded-full bg-emerald-500"></span>"Saved"
                    </span>
                }.into_any(),
                SaveState::Failed(m) => view! {
                    <span class="text-red-700" title=m>"Not saved"</span>
                    <button type="button" class="rounded-md border border-slate-300 bg-white px-2 py-0.5 text-xs font-medium text-slate-700 hover:bg-slate-50" on:click=retry>"Retry"</button>
                }.into_any(),
            }}
        </div>
    }
}

/// The numbered steps across the top; every step reached so far can be opened again.
#[component]
fn StepIndicator() -> impl IntoView {
    let w = wizard();
    view! {
        <nav aria-label="Steps">
            <ol class="grid grid-cols-2 gap-2 sm:grid-cols-4 lg:grid-cols-7">
                {Stage::ALL.into_iter().map(|stage| {
                    let i = stage.index();
                    let current = move || w.stage.get() == stage;
                    let reachable = move || i <= w.reached.get();
                    let trouble = move || match stage {
                        Stage::Step(step) => reachable() && !current() && blocked(w, step),
                        Stage::Summary => false,
                    };
                    let class = move || {
                        if current() {
                            "flex w-full items-center gap-2 rounded-lg bg-white px-3 py-2 text-left text-sm font-semibold text-slate-900 shadow-sm ring-2 ring-blue-600"
                        } else if reachable() {
                            "flex w-full items-center gap-2 rounded-lg bg-white px-3 py-2 text-left text-sm font-medium text-slate-700 shadow-sm ring-1 ring-slate-200 hover:ring-slate-300"
                        } else {
                            "flex w-full cursor-not-allowed items-center gap-2 rounded-lg px-3 py-2 text-left text-sm font-medium text-slate-400 ring-1 ring-slate-200 ring-dashed"
                        }
                    };
                    let badge = move || {
                        if trouble() {
                            ("flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-red-100 text-xs font-bold text-red-700", "!".to_string())
                        } else if current() {
                            ("flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-blue-600 text-xs font-bold text-white", (i + 1).to_string())
                        } else if i < w.reached.get() {
                            ("flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-emerald-100 text-xs font-bold text-emerald-700", "✓".to_string())
                        } else {
                            ("flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-slate-100 text-xs font-bold text-slate-500", (i + 1).to_string())
                        }
                    };
                    view! {
                        <li>
                            <button type="button" class=class disabled=move || !reachable()
                                aria-current=move || current().then_some("step")
                                data-stage=stage.title()
                                on:click=move |_| w.go(stage, None)>
                                <span class=move || badge().0 aria-hidden="true">{move || badge().1}</span>
                                <span class="truncate">{stage.title()}</span>
                                {move || trouble().then(|| view! { <span class="sr-only">" (has errors)"</span> })}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </nav>
    }
}

/// Back and Next under a step.
#[component]
fn StepActions() -> impl IntoView {
    let w = wizard();
    let back = move |_| {
        if let Some(prev) = w.stage.get_untracked().previous() {
            w.go(prev, None);
        }
    };
    let next_blocked = move || match w.stage.get() {
        Stage::Step(step) => blocked(w, step),
        Stage::Summary => true,
    };
    view! {
        {move || (w.stage.get() != Stage::Summary).then(|| view! {
            <div class="mt-6 flex items-center justify-between gap-4 border-t border-slate-200 pt-5">
                <button type="button" class="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 disabled:invisible"
                    disabled=move || w.stage.get().previous().is_none() on:click=back>"← Back"</button>
                <div class="flex items-center gap-3">
                    {move || next_blocked().then(|| view! {
                        <p class="text-sm text-red-700" id="next-blocked">"Fix the errors marked in red to continue."</p>
                    })}
                    <button type="submit" data-testid="next"
                        class="rounded-md bg-blue-600 px-5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-blue-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600 disabled:cursor-not-allowed disabled:bg-slate-300"
                        disabled=next_blocked
                        aria-describedby=move || next_blocked().then_some("next-blocked")>
                        {move || match w.stage.get().next() {
                            Some(Stage::Summary) => "Review →".to_string(),
                            Some(next) => format!("Next: {} →", next.title()),
                            None => String::new(),
                        }}
                    </button>
                </div>
            </div>
        })}
    }
}

/// A step's heading and introduction (the heading takes the focus when the step opens).
#[component]
fn StepHeading(stage: Stage, intro: &'static str) -> impl IntoView {
    view! {
        <div class="mb-6">
            <p class="text-xs font-semibold tracking-wider text-blue-700 uppercase">
                {match stage {
                    Stage::Step(s) => format!("Step {} of {}", s.number(), Step::ALL.len()),
                    Stage::Summary => "Last step".to_string(),
                }}
            </p>
            <h2 id="wizard-heading" tabindex="-1" class="mt-1 text-xl font-semibold tracking-tight text-slate-900 focus:outline-none">{stage.title()}</h2>
            <p class="mt-1 max-w-2xl text-sm text-slate-600">{intro}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handle_follows_the_name_within_the_handle_limit() {
        assert_eq!(handle_from_name("Fern & Flint"), "fern-flint");
        let long = handle_from_name(&"word ".repeat(20));
        assert!(long.len() <= MAX_HANDLE_LEN, "{long}");
        assert!(!long.ends_with('-'), "{long}");
        assert_eq!(crate::shop_config::handle_problem(&long), None);
    }

    #[test]
    fn suggested_hosts_move_with_the_handle_and_typed_ones_stay() {
        let mut c = ShopConfig::default();
        set_handle(&mut c, "fern".into());
        assert_eq!(c.domains.dev, ["fern.localhost"]);
        assert!(c.domains.stage.is_empty());
        c.domains.stage = vec!["fern-stage.localhost".into()];
        c.domains.prod = vec!["fern.example".into()];
        set_handle(&mut c, "fern-flint".into());
        assert_eq!(c.domains.dev, ["fern-flint.localhost"]);
        assert_eq!(c.domains.stage, ["fern-flint-stage.localhost"]);
        assert_eq!(c.domains.prod, ["fern.example"]);
        c.domains.dev = vec!["shop.test".into()];
        set_handle(&mut c, "other".into());
        assert_eq!(c.domains.dev, ["shop.test"]);
        assert_eq!(c.domains.stage, ["other-stage.localhost"]);
        // A cleared handle takes its suggestions with it.
        set_handle(&mut c, String::new());
        assert!(c.domains.stage.is_empty());
    }

    #[test]
    fn next_waits_for_wrong_values_and_what_creating_needs() {
        let none = SecretsPresent::default();
        let mut c = ShopConfig::starter("Fern");
        assert!(!step_blocked(&c, Step::Basics, &none, false));
        assert!(step_blocked(&c, Step::Basics, &none, true));
        // Missing stage hosts do not block; a host that is no host does.
        assert!(!step_blocked(&c, Step::Domains, &none, false));
        c.domains.stage = vec!["Not A Host".into()];
        assert!(step_blocked(&c, Step::Domains, &none, false));
        // Creating the shop needs a name.
        c.basics.name.clear();
        assert!(step_blocked(&c, Step::Basics, &none, false));
        assert_eq!(resume_stage(&c, &none), Stage::Step(Step::Basics));
        c.basics.name = "Fern".into();
        c.theme.primary = "green".into();
        assert!(step_blocked(&c, Step::Theme, &none, false));
        assert_eq!(resume_stage(&c, &none), Stage::Step(Step::Theme));
        assert_eq!(
            resume_stage(&ShopConfig::starter("Fern"), &none),
            Stage::Summary
        );
    }

    #[test]
    fn stages_run_from_basics_to_the_summary() {
        assert_eq!(Stage::ALL[0].previous(), None);
        assert_eq!(Stage::Summary.next(), None);
        for pair in Stage::ALL.windows(2) {
            assert_eq!(pair[0].next(), Some(pair[1]));
            assert_eq!(pair[1].previous(), Some(pair[0]));
        }
        assert_eq!(
            input_id("basics.primary_locale"),
            "cfg-basics-primary-locale"
        );
    }
}
