//! Step 2: the palette (a colour picker and the hex value for each of the six colours, or a
//! preset), the heading and body fonts and the corner radius, beside the live preview.

use super::field::{CARD, Field, described_by, invalid};
use super::preview::Preview;
use super::{Stage, StepHeading, input_id, wizard};
use crate::shop_config::Step;
use crate::theme::{COLOR_TOKENS, FONT_STACKS, ThemeTokens};
use leptos::prelude::*;

/// A colour token of the theme.
pub fn color(t: &ThemeTokens, name: &str) -> String {
    match name {
        "primary" => &t.primary,
        "accent" => &t.accent,
        "background" => &t.background,
        "surface" => &t.surface,
        "text" => &t.text,
        _ => &t.muted,
    }
    .clone()
}

fn color_mut<'a>(t: &'a mut ThemeTokens, name: &str) -> &'a mut String {
    match name {
        "primary" => &mut t.primary,
        "accent" => &mut t.accent,
        "background" => &mut t.background,
        "surface" => &mut t.surface,
        "text" => &mut t.text,
        _ => &mut t.muted,
    }
}

/// What `<input type=color>` can show for a token: `#rrggbb` in lower case (`#rgb` spelled
/// out); black for a value that is not a colour yet.
pub fn picker_value(v: &str) -> String {
    let hex = v.strip_prefix('#').unwrap_or_default().to_ascii_lowercase();
    if !crate::theme::is_hex_color(v) {
        return "#000000".into();
    }
    if hex.len() == 3 {
        hex.chars()
            .flat_map(|c| [c, c])
            .fold("#".to_string(), |mut s, c| {
                s.push(c);
                s
            })
    } else {
        format!("#{hex}")
    }
}

fn color_label(name: &str) -> (&'static str, &'static str) {
    match name {
        "primary" => ("Primary", "Shop name, buttons, footer"),
        "accent" => ("Accent", "Calls to action, highlights"),
        "background" => ("Background", "Behind every page"),
        "surface" => ("Surface", "Cards and panels"),
        "text" => ("Text", "Headings and body text"),
        _ => ("Muted", "Prices, secondary text"),
    }
}

fn font_label(key: &str) -> &'static str {
    match key {
        "sans" => "Sans",
        "serif" => "Serif",
        "rounded" => "Rounded",
        "mono" => "Mono",
        _ => "Humanist",
    }
}

/// Ready-made palettes: primary, accent, background, surface, text, muted.
const PRESETS: &[(&str, [&str; 6])] = &[
    (
        "Harbor",
        [
            "#1f4d3a", "#c9774e", "#f6f1e7", "#ffffff", "#1d2428", "#5b6b73",
        ],
    ),
    (
        "Midnight",
        [
            "#1e3a8a", "#f59e0b", "#f8fafc", "#ffffff", "#0f172a", "#64748b",
        ],
    ),
    (
        "Blossom",
        [
            "#9d174d", "#0d9488", "#fdf2f8", "#ffffff", "#3b0a1e", "#7c6570",
        ],
    ),
    (
        "Graphite",
        [
            "#111827", "#dc2626", "#f4f4f5", "#ffffff", "#18181b", "#6b7280",
        ],
    ),
];

#[component]
pub fn ThemeStep() -> impl IntoView {
    view! {
        <StepHeading stage=Stage::Step(Step::Theme) intro="Colours, fonts and corners. The preview shows the storefront's own header, hero and product cards as you change them." />
        <div class="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
            <div class=format!("{CARD} space-y-7")>
                <Field key="theme.palette" group=true>
                    <Presets />
                    <div class="mt-3 grid gap-3 sm:grid-cols-2">
                        {COLOR_TOKENS.iter().map(|name| view! { <ColorRow name=name /> }).collect_view()}
                    </div>
                </Field>
                <Field key="theme.fonts" group=true>
                    <FontChoice legend="Headings" name="heading-font" get=|t| t.heading_font.clone() set=|t, v| t.heading_font = v />
                    <FontChoice legend="Body text" name="body-font" get=|t| t.body_font.clone() set=|t, v| t.body_font = v />
                </Field>
                <Field key="theme.radius">
                    <Radius />
                </Field>
            </div>
            <Preview />
        </div>
    }
}

#[component]
fn Presets() -> impl IntoView {
    let w = wizard();
    view! {
        <div class="mt-2 flex flex-wrap gap-2">
            {PRESETS.iter().map(|(label, colors)| {
                let apply = move |_| w.edit(|c| {
                    for (name, value) in COLOR_TOKENS.iter().zip(colors) {
                        *color_mut(&mut c.theme, name) = value.to_string();
                    }
                });
                view! {
                    <button type="button" on:click=apply
                        class="inline-flex items-center gap-2 rounded-full border border-slate-200 bg-white py-1 pr-3 pl-1 text-xs font-medium text-slate-700 shadow-sm hover:border-slate-300 hover:bg-slate-50">
                        <span class="flex -space-x-1" aria-hidden="true">
                            {colors[..3].iter().map(|c| view! {
                                <span class="h-4 w-4 rounded-full ring-2 ring-white" style=format!("background:{c}")></span>
                            }).collect_view()}
                        </span>
                        {*label}
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn ColorRow(name: &'static str) -> impl IntoView {
    let w = wizard();
    let bad = invalid("theme.palette");
    let (label, hint) = color_label(name);
    // The palette's first input is the one its label and the summary's links focus.
    let id = if name == COLOR_TOKENS[0] {
        input_id("theme.palette")
    } else {
        format!("cfg-theme-{name}")
    };
    let value = move || w.config.with(|c| color(&c.theme, name));
    let set = move |e: leptos::ev::Event| {
        let v = event_target_value(&e).trim().to_string();
        w.edit(|c| *color_mut(&mut c.theme, name) = v);
    };
    view! {
        <div class="flex items-center gap-3 rounded-lg border border-slate-200 p-2" data-color=name>
            <input type="color" class="h-10 w-10 shrink-0 cursor-pointer rounded-md border border-slate-200 bg-white p-0.5"
                aria-label=format!("{label} colour picker")
                prop:value=move || picker_value(&value()) on:input=set />
            <div class="min-w-0 flex-1">
                <label for=id.clone() class="block text-xs font-medium text-slate-700">{label}</label>
                <input id=id type="text" spellcheck="false" autocomplete="off" maxlength="7"
                    class="block w-full rounded border-0 bg-transparent p-0 font-mono text-sm text-slate-900 focus:ring-0 focus:outline-none aria-[invalid=true]:text-red-700"
                    aria-describedby=described_by("theme.palette")
                    aria-invalid=move || (bad() && !crate::theme::is_hex_color(&value())).to_string()
                    title=hint prop:value=value on:input=set />
            </div>
        </div>
    }
}

#[component]
fn FontChoice(
    legend: &'static str,
    name: &'static str,
    get: fn(&ThemeTokens) -> String,
    set: fn(&mut ThemeTokens, String),
) -> impl IntoView {
    let w = wizard();
    view! {
        <fieldset class="mt-3">
            <legend class="text-xs font-medium text-slate-600">{legend}</legend>
            <div class="mt-1.5 grid grid-cols-3 gap-2 sm:grid-cols-5">
                {FONT_STACKS.iter().map(|(key, stack)| {
                    let key = *key;
                    view! {
                        <label class="flex cursor-pointer flex-col items-center gap-0.5 rounded-lg border border-slate-200 bg-white px-2 py-2 text-center hover:border-slate-300 has-checked:border-blue-600 has-checked:bg-blue-50 has-checked:ring-1 has-checked:ring-blue-600 has-focus-visible:outline-2 has-focus-visible:outline-offset-2 has-focus-visible:outline-blue-600">
                            <input type="radio" class="sr-only" name=name value=key
                                prop:checked=move || w.config.with(|c| get(&c.theme) == key)
                                on:change=move |_| w.edit(|c| set(&mut c.theme, key.to_string())) />
                            <span class="text-xl leading-none text-slate-900" style=format!("font-family:{stack}") aria-hidden="true">"Aa"</span>
                            <span class="text-[11px] text-slate-600">{font_label(key)}</span>
                        </label>
                    }
                }).collect_view()}
            </div>
        </fieldset>
    }
}

#[component]
fn Radius() -> impl IntoView {
    let w = wizard();
    let radius = move || w.config.with(|c| c.theme.radius);
    view! {
        <div class="mt-2 flex items-center gap-4">
            <input id=input_id("theme.radius") type="range" min="0" max="32" step="1" class="flex-1 accent-blue-600"
                aria-describedby=described_by("theme.radius")
                aria-valuetext=move || format!("{} pixels", radius())
                prop:value=move || radius().to_string()
                on:input=move |e| {
                    if let Ok(v) = event_target_value(&e).parse::<u8>() {
                        w.edit(|c| c.theme.radius = v.min(32));
                    }
                } />
            <span class="w-12 text-right font-mono text-sm text-slate-700" aria-hidden="true">{move || format!("{}px", radius())}</span>
            <span class="h-10 w-10 border-2 border-slate-400 bg-slate-100" aria-hidden="true"
                style=move || format!("border-radius:{}px", radius())></span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picker_gets_six_digit_colours() {
        assert_eq!(picker_value("#1F4D3A"), "#1f4d3a");
        assert_eq!(picker_value("#abc"), "#aabbcc");
        assert_eq!(picker_value("#12"), "#000000");
        assert_eq!(picker_value("red"), "#000000");
    }

    #[test]
    fn presets_are_complete_valid_palettes_and_the_first_is_the_default() {
        for (name, colors) in PRESETS {
            assert!(
                colors.iter().all(|c| crate::theme::is_hex_color(c)),
                "{name}"
            );
        }
        let d = ThemeTokens::default();
        let first: Vec<String> = COLOR_TOKENS.iter().map(|n| color(&d, n)).collect();
        assert_eq!(first, PRESETS[0].1);
    }
}
