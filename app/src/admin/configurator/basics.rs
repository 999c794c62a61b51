//! Step 1: the shop's name, handle (filled in from the name until it is typed by hand),
//! tagline, locales and currency.

use super::field::{CARD, Field, INPUT, ListInput, TextInput, described_by, invalid};
use super::preview::Preview;
use super::{Stage, StepHeading, handle_from_name, input_id, set_handle, wizard};
use crate::shop_config::{Step, is_locale};
use leptos::prelude::*;

/// Language tags offered while typing (any valid tag is accepted).
const LOCALES: &[&str] = &[
    "en-GB", "en-US", "de-DE", "de-AT", "de-CH", "fr-FR", "nl-NL", "es-ES", "it-IT", "sv-SE",
    "da-DK", "nb-NO", "fi-FI", "pl-PL", "pt-PT", "cs-CZ", "ja-JP",
];

/// Currency codes offered while typing (any ISO 4217 code is accepted).
const CURRENCIES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "SEK", "DKK", "NOK", "PLN", "CZK", "JPY", "CAD", "AUD",
];

#[component]
pub fn BasicsStep() -> impl IntoView {
    let w = wizard();
    let name_bad = invalid("basics.name");
    let handle_bad = invalid("basics.handle");
    let on_name = move |e: leptos::ev::Event| {
        let name = event_target_value(&e);
        let follow = !w.handle_edited.get_untracked();
        w.edit(|c| {
            if follow {
                set_handle(c, handle_from_name(&name));
            }
            c.basics.name = name;
        });
    };
    let on_handle = move |e: leptos::ev::Event| {
        let handle = event_target_value(&e);
        // Emptied: the name fills it in again.
        w.handle_edited.set(!handle.is_empty());
        w.edit(|c| set_handle(c, handle));
    };
    let extra = Signal::derive(move || w.config.with(|c| c.basics.extra_locales.clone()));
    let locale_suggestions = Signal::derive(move || {
        let primary = w.config.with(|c| c.basics.primary_locale.clone());
        LOCALES
            .iter()
            .filter(|l| **l != primary)
            .take(3)
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
    });
    view! {
        <StepHeading stage=Stage::Step(Step::Basics) intro="What the shop is called, the address it goes by, and the language and currency it sells in." />
        <div class="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
            <div class=format!("{CARD} space-y-6")>
                <Field key="basics.name">
                    <input id=input_id("basics.name") class=INPUT type="text" autocomplete="off" placeholder="Fern & Flint"
                        aria-describedby=described_by("basics.name") aria-invalid=move || name_bad().to_string()
                        prop:value=move || w.config.with(|c| c.basics.name.clone()) on:input=on_name />
                </Field>
                <Field key="basics.handle">
                    <input id=input_id("basics.handle") class=INPUT type="text" autocomplete="off" spellcheck="false" placeholder="fern-flint"
                        aria-describedby=described_by("basics.handle") aria-invalid=move || handle_bad().to_string()
                        prop:value=move || w.config.with(|c| c.basics.handle.clone()) on:input=on_handle />
                    {move || (!w.handle_edited.get()).then(|| view! {
                        <p class="mt-1 text-xs text-slate-400">"Filled in from the name until you change it."</p>
                    })}
                </Field>
                <Field key="basics.tagline">
                    <TextInput key="basics.tagline" placeholder="Things made to last"
                        get=|c| c.basics.tagline.clone() set=|c, v| c.basics.tagline = v />
                </Field>
                <div class="grid gap-6 sm:grid-cols-2">
                    <Field key="basics.primary_locale">
                        <TextInput key="basics.primary_locale" list="cfg-locales" mono=true placeholder="en-GB"
                            get=|c| c.basics.primary_locale.clone() set=|c, v| c.basics.primary_locale = v.trim().to_string() />
                    </Field>
                    <Field key="basics.currency">
                        <TextInput key="basics.currency" list="cfg-currencies" mono=true placeholder="EUR"
                            get=|c| c.basics.currency.clone() set=|c, v| c.basics.currency = v.trim().to_uppercase() />
                    </Field>
                </div>
                <Field key="basics.extra_locales" group=true>
                    <ListInput key="basics.extra_locales" noun="locale" placeholder="de-DE"
                        items=extra valid=is_locale normalize=|s| s.trim().to_string()
                        suggestions=locale_suggestions
                        on_change=Callback::new(move |list| w.edit(|c| c.basics.extra_locales = list)) />
                </Field>
                <datalist id="cfg-locales">
                    {LOCALES.iter().map(|l| view! { <option value=*l></option> }).collect_view()}
                </datalist>
                <datalist id="cfg-currencies">
                    {CURRENCIES.iter().map(|c| view! { <option value=*c></option> }).collect_view()}
                </datalist>
            </div>
            <Preview />
        </div>
    }
}
