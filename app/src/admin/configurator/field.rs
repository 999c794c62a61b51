//! What every field of the wizard has: its label and help from the schema, the chips that
//! say in which environments it is required for launch, and its problems under it (red: a
//! wrong value; amber: missing for an environment). Plus the list input that hosts and
//! locales use.

use super::{input_id, wizard};
use crate::shop_config::{Environment, Requirement, ShopConfig, field, requirement};
use leptos::prelude::*;

pub const INPUT: &str = "mt-1.5 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm placeholder:text-slate-400 focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30 focus:outline-none aria-[invalid=true]:border-red-400 aria-[invalid=true]:ring-red-500/20";
pub const CARD: &str = "rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-900/5";
pub const SMALL_BUTTON: &str = "rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 disabled:opacity-50";

/// The id of the paragraph with a field's help.
pub fn help_id(key: &str) -> String {
    format!("{}-help", input_id(key))
}

/// The id of the paragraph with a field's problems.
pub fn problem_id(key: &str) -> String {
    format!("{}-problem", input_id(key))
}

/// What `aria-describedby` of a field's input lists.
pub fn described_by(key: &str) -> String {
    format!("{} {}", help_id(key), problem_id(key))
}

/// Whether the field's value is wrong (in every environment).
pub fn invalid(key: &'static str) -> impl Fn() -> bool + Copy {
    let w = wizard();
    move || {
        let taken = key == "basics.handle" && w.handle_taken();
        taken
            || w.checks_of(key)
                .iter()
                .any(|(_, c)| c.problem.as_deref().is_some_and(|p| !is_missing(p)))
    }
}

const MISSING: &str = "Required for ";

fn is_missing(problem: &str) -> bool {
    problem.starts_with(MISSING)
}

/// The field's problems as shown under it: a wrong value once, and what is missing with the
/// environments it is missing for, e.g. "Required for stage and prod: include this page".
pub fn problem_lines(problems: &[(Environment, String)]) -> (Option<String>, Vec<String>) {
    let wrong = problems
        .iter()
        .find(|(_, p)| !is_missing(p))
        .map(|(_, p)| p.clone());
    let mut missing: Vec<(Vec<Environment>, String)> = Vec::new();
    for (env, p) in problems {
        let Some(what) = p
            .strip_prefix(MISSING)
            .and_then(|rest| rest.split_once(": "))
            .map(|(_, what)| what.to_string())
        else {
            continue;
        };
        match missing.iter_mut().find(|(_, m)| *m == what) {
            Some((envs, _)) => envs.push(*env),
            None => missing.push((vec![*env], what)),
        }
    }
    let missing = missing
        .into_iter()
        .map(|(envs, what)| {
            let names: Vec<&str> = envs.iter().map(|e| e.as_str()).collect();
            let list = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => names.concat(),
            };
            format!("{MISSING}{list}: {what}")
        })
        .collect();
    (wrong, missing)
}

/// "dev · stage · prod", the environments where the field is required highlighted.
#[component]
pub fn RequirementChips(key: &'static str) -> impl IntoView {
    let envs = Environment::ALL.map(|env| (env, requirement(key, env) == Requirement::Required));
    let any = envs.iter().any(|(_, r)| *r);
    let summary = if any {
        let names: Vec<&str> = envs
            .iter()
            .filter(|(_, r)| *r)
            .map(|(e, _)| e.as_str())
            .collect();
        format!("Required for launch in {}", names.join(", "))
    } else {
        "Optional".to_string()
    };
    let title = summary.clone();
    view! {
        <span class="inline-flex shrink-0 items-center gap-1" title=title data-requirement=if any { "required" } else { "optional" }>
            <span class="sr-only">{summary}</span>
            <span class="mr-0.5 text-[11px] font-medium text-slate-500" aria-hidden="true">{if any { "Required" } else { "Optional" }}</span>
            {envs.into_iter().map(|(env, required)| view! {
                <span aria-hidden="true" class=if required {
                    "rounded px-1.5 py-0.5 text-[11px] font-semibold bg-indigo-600 text-white"
                } else {
                    "rounded px-1.5 py-0.5 text-[11px] font-medium text-slate-400 ring-1 ring-slate-200 ring-inset"
                }>{env.as_str()}</span>
            }).collect_view()}
        </span>
    }
}

/// A field's problems, under its input.
#[component]
pub fn Problems(key: &'static str) -> impl IntoView {
    let w = wizard();
    let lines = move || {
        let problems: Vec<(Environment, String)> = w
            .checks_of(key)
            .into_iter()
            .filter_map(|(env, c)| c.problem.map(|p| (env, p)))
            .collect();
        let (mut wrong, missing) = problem_lines(&problems);
        if wrong.is_none() && key == "basics.handle" && w.handle_taken() {
            wrong = Some("This handle is already another shop's: choose another.".into());
        }
        (wrong, missing)
    };
    view! {
        <div id=problem_id(key) class="mt-1.5 space-y-0.5 text-xs" aria-live="polite">
            {move || {
                let (wrong, missing) = lines();
                view! {
                    {wrong.map(|m| view! {
                        <p class="flex gap-1 font-medium text-red-700" data-problem="invalid">
                            <span aria-hidden="true">"⚠"</span>{m}
                        </p>
                    })}
                    {missing.into_iter().map(|m| view! {
                        <p class="text-amber-700" data-problem="missing">{m}</p>
                    }).collect_view()}
                }
            }}
        </div>
    }
}

/// A field: label (pointing at its first input), chips, help, the input(s), its problems.
/// `group` fields (several inputs) become a fieldset with a legend.
#[component]
pub fn Field(
    key: &'static str,
    #[prop(optional)] group: bool,
    #[prop(optional, into)] label: Option<String>,
    children: Children,
) -> impl IntoView {
    let spec = field(key);
    let label = label.unwrap_or_else(|| spec.map(|s| s.label).unwrap_or(key).to_string());
    let help = spec.map(|s| s.help).unwrap_or_default();
    let heading = if group {
        view! { <legend class="float-left text-sm font-medium text-slate-800">{label}</legend> }
            .into_any()
    } else {
        view! { <label for=input_id(key) class="float-left text-sm font-medium text-slate-800">{label}</label> }
            .into_any()
    };
    let body = view! {
        {heading}
        <span class="float-right ml-3"><RequirementChips key=key /></span>
        <p id=help_id(key) class="clear-both pt-0.5 text-xs text-slate-500">{help}</p>
        {children()}
        <Problems key=key />
    };
    if group {
        view! { <fieldset class="min-w-0" data-config-field=key>{body}</fieldset> }.into_any()
    } else {
        view! { <div data-config-field=key>{body}</div> }.into_any()
    }
}

/// A one-line text input bound to one value of the configuration.
#[component]
pub fn TextInput(
    key: &'static str,
    get: fn(&ShopConfig) -> String,
    set: fn(&mut ShopConfig, String),
    #[prop(optional)] placeholder: &'static str,
    /// The id of a `<datalist>` of suggestions.
    #[prop(optional)]
    list: Option<&'static str>,
    #[prop(optional)] mono: bool,
) -> impl IntoView {
    let w = wizard();
    let bad = invalid(key);
    let class = if mono {
        "mt-1.5 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm text-slate-900 shadow-sm placeholder:text-slate-400 focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30 focus:outline-none aria-[invalid=true]:border-red-400 aria-[invalid=true]:ring-red-500/20"
    } else {
        INPUT
    };
    view! {
        <input id=input_id(key) class=class type="text" placeholder=placeholder list=list
            autocomplete="off" spellcheck=(!mono).to_string()
            aria-describedby=described_by(key) aria-invalid=move || bad().to_string()
            prop:value=move || w.config.with(get)
            on:input=move |e| {
                let v = event_target_value(&e);
                w.edit(|c| set(c, v));
            } />
    }
}

/// A list of short values (hosts, locales): each a chip with a remove button, and an input
/// that adds one on Enter or with its button. Suggestions are one-click additions.
#[component]
pub fn ListInput(
    key: &'static str,
    /// A name for one item, for the input's label and the buttons ("host", "locale").
    noun: &'static str,
    placeholder: &'static str,
    items: Signal<Vec<String>>,
    /// Whether an item is fine (a bad one is drawn red).
    valid: fn(&str) -> bool,
    /// Cleans what was typed (trimmed, and e.g. lower-cased).
    normalize: fn(&str) -> String,
    on_change: Callback<Vec<String>>,
    #[prop(optional, into)] suggestions: Signal<Vec<String>>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let bad = invalid(key);
    let add = move |value: String| {
        let value = normalize(&value);
        if value.is_empty() {
            return;
        }
        let mut list = items.get_untracked();
        if !list.contains(&value) {
            list.push(value);
            on_change.run(list);
        }
        typed.set(String::new());
    };
    let remove = move |i: usize| {
        let mut list = items.get_untracked();
        if i < list.len() {
            list.remove(i);
            on_change.run(list);
        }
    };
    let count = move || items.with(Vec::len);
    let open_suggestions = move || {
        let have = items.get();
        suggestions
            .get()
            .into_iter()
            .filter(|s| !have.contains(s))
            .collect::<Vec<_>>()
    };
    view! {
        <ul class="mt-2 flex flex-wrap gap-2" aria-label=format!("{noun}s") data-list=key>
            <For each=move || 0..count() key=|i| *i let:i>
                {
                    let item = move || items.with(|l| l.get(i).cloned().unwrap_or_default());
                    let ok = move || valid(&item());
                    view! {
                        <li class=move || if ok() {
                            "inline-flex items-center gap-1 rounded-full bg-slate-100 py-1 pr-1 pl-3 font-mono text-sm text-slate-800 ring-1 ring-slate-200"
                        } else {
                            "inline-flex items-center gap-1 rounded-full bg-red-50 py-1 pr-1 pl-3 font-mono text-sm text-red-800 ring-1 ring-red-300"
                        }>
                            {item}
                            <button type="button" class="flex h-5 w-5 items-center justify-center rounded-full text-slate-500 hover:bg-slate-200 hover:text-slate-800"
                                aria-label=move || format!("Remove {}", item()) on:click=move |_| remove(i)>"×"</button>
                        </li>
                    }
                }
            </For>
        </ul>
        <div class="mt-2 flex gap-2">
            <input id=input_id(key) class=INPUT type="text" placeholder=placeholder autocomplete="off" spellcheck="false"
                aria-describedby=described_by(key) aria-invalid=move || bad().to_string()
                aria-label=format!("Add a {noun}")
                prop:value=typed on:input=move |e| typed.set(event_target_value(&e))
                on:keydown=move |e| {
                    if e.key() == "Enter" {
                        e.prevent_default();
                        add(typed.get_untracked());
                    }
                } />
            <button type="button" class="mt-1.5 shrink-0 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50"
                on:click=move |_| add(typed.get_untracked())>{format!("Add {noun}")}</button>
        </div>
        {move || {
            let open = open_suggestions();
            (!open.is_empty()).then(|| view! {
                <p class="mt-2 flex flex-wrap items-center gap-2 text-xs text-slate-500">
                    "Suggested:"
                    {open.into_iter().map(|s| {
                        let value = s.clone();
                        view! {
                            <button type="button" class="rounded-full border border-dashed border-blue-300 bg-blue-50 px-2.5 py-0.5 font-mono text-xs text-blue-800 hover:bg-blue-100"
                                data-suggestion=s.clone()
                                on:click=move |_| add(value.clone())>{format!("+ {s}")}</button>
                        }
                    }).collect_view()}
                </p>
            })
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_merged_across_environments() {
        let (wrong, missing) = problem_lines(&[
            (
                Environment::Stage,
                "Required for stage: include this page".into(),
            ),
            (
                Environment::Prod,
                "Required for prod: include this page".into(),
            ),
        ]);
        assert_eq!(wrong, None);
        assert_eq!(missing, ["Required for stage and prod: include this page"]);
        let (wrong, missing) = problem_lines(&[
            (Environment::Dev, "`x` is not a host name".into()),
            (Environment::Stage, "`x` is not a host name".into()),
            (
                Environment::Prod,
                "Required for prod: add a host for prod".into(),
            ),
        ]);
        assert_eq!(wrong.as_deref(), Some("`x` is not a host name"));
        assert_eq!(missing, ["Required for prod: add a host for prod"]);
        let (_, missing) = problem_lines(&[
            (
                Environment::Dev,
                "Required for dev: give the shop a name".into(),
            ),
            (
                Environment::Stage,
                "Required for stage: give the shop a name".into(),
            ),
            (
                Environment::Prod,
                "Required for prod: give the shop a name".into(),
            ),
        ]);
        assert_eq!(
            missing,
            ["Required for dev, stage and prod: give the shop a name"]
        );
    }
}
