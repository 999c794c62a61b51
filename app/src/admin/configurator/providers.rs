//! Step 5: the payment provider, and for each environment whether the server has the
//! secrets it needs. Only the secrets' names are ever shown: their values live in the
//! server's environment and never pass through the wizard.

use super::field::{CARD, Field, Problems, RequirementChips, described_by, help_id};
use super::{Stage, StepHeading, input_id, wizard};
use crate::shop_config::{Environment, PaymentsChoice, Requirement, Step, requirement};
use leptos::prelude::*;

fn choice_text(p: PaymentsChoice) -> (&'static str, &'static str) {
    match p {
        PaymentsChoice::None => (
            "No online payments",
            "Customers can fill their cart; checkout says payments are not available yet.",
        ),
        PaymentsChoice::Stripe => (
            "Stripe-compatible",
            "Card payments through a Stripe-compatible provider. In dev a built-in test provider stands in.",
        ),
    }
}

/// How one environment stands with the chosen provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvStatus {
    /// No provider: nothing to set.
    NotNeeded,
    /// Every secret is set.
    Ready,
    /// Secrets are missing but the environment does without them (dev's test provider).
    StandIn(Vec<String>),
    /// Secrets are missing and a launch there is refused until they are set.
    Missing(Vec<String>),
}

/// The status of `env` for `payments` when the server has `present`.
pub fn env_status(payments: PaymentsChoice, env: Environment, present: &[String]) -> EnvStatus {
    let names = payments.secret_names();
    if names.is_empty() {
        return EnvStatus::NotNeeded;
    }
    let missing: Vec<String> = names
        .iter()
        .filter(|n| !present.iter().any(|p| p == *n))
        .map(|n| n.to_string())
        .collect();
    if missing.is_empty() {
        EnvStatus::Ready
    } else if requirement("providers.secrets", env) == Requirement::Required {
        EnvStatus::Missing(missing)
    } else {
        EnvStatus::StandIn(missing)
    }
}

#[component]
pub fn ProvidersStep() -> impl IntoView {
    let w = wizard();
    view! {
        <StepHeading stage=Stage::Step(Step::Providers) intro="Who takes the shop's payments. Keys are never typed here: they are set in the server's environment, and this step checks they are there." />
        <div class=format!("{CARD} space-y-8")>
            <Field key="providers.payments" group=true>
                <div class="mt-3 grid gap-3 sm:grid-cols-2" aria-describedby=described_by("providers.payments")>
                    {[PaymentsChoice::None, PaymentsChoice::Stripe].into_iter().map(|p| {
                        let (title, text) = choice_text(p);
                        let id = if p == PaymentsChoice::None { input_id("providers.payments") } else { "cfg-providers-payments-stripe".to_string() };
                        let label_for = id.clone();
                        view! {
                            <label for=label_for class="flex cursor-pointer gap-3 rounded-xl border border-slate-200 p-4 hover:border-slate-300 has-checked:border-blue-600 has-checked:bg-blue-50/40 has-checked:ring-1 has-checked:ring-blue-600 has-focus-visible:outline-2 has-focus-visible:outline-offset-2 has-focus-visible:outline-blue-600">
                                <input id=id type="radio" name="payments" class="mt-0.5 h-4 w-4 accent-blue-600"
                                    value=if p == PaymentsChoice::None { "none" } else { "stripe" }
                                    prop:checked=move || w.config.with(|c| c.providers.payments == p)
                                    on:change=move |_| w.edit(|c| c.providers.payments = p) />
                                <span>
                                    <span class="block font-medium text-slate-900">{title}</span>
                                    <span class="mt-0.5 block text-sm text-slate-600">{text}</span>
                                </span>
                            </label>
                        }
                    }).collect_view()}
                </div>
            </Field>
            <Secrets />
        </div>
    }
}

/// The secrets check: which names the server has, and what that means per environment.
#[component]
fn Secrets() -> impl IntoView {
    let w = wizard();
    let key = "providers.secrets";
    let payments = move || w.config.with(|c| c.providers.payments);
    let present = move || w.secrets().present;
    view! {
        <fieldset data-config-field=key>
            <legend class="float-left text-sm font-medium text-slate-800">"Payment provider secrets"</legend>
            <span class="float-right ml-3"><RequirementChips key=key /></span>
            <p id=help_id(key) class="clear-both pt-0.5 text-xs text-slate-500">
                {crate::shop_config::field(key).map(|f| f.help)}
            </p>
            {move || {
                let names = payments().secret_names();
                (!names.is_empty()).then(|| {
                    let have = present();
                    view! {
                        <ul class="mt-3 flex flex-wrap gap-2" aria-label="Secrets on the server">
                            {names.iter().map(|n| {
                                let set = have.iter().any(|p| p == n);
                                view! {
                                    <li class=if set { "inline-flex items-center gap-1.5 rounded-md bg-emerald-50 px-2 py-1 font-mono text-xs text-emerald-800 ring-1 ring-emerald-200" } else { "inline-flex items-center gap-1.5 rounded-md bg-red-50 px-2 py-1 font-mono text-xs text-red-800 ring-1 ring-red-200" }
                                        data-secret=*n data-present=set.to_string()>
                                        <span aria-hidden="true">{if set { "✓" } else { "✕" }}</span>
                                        {*n}
                                        <span class="font-sans">{if set { " is set" } else { " is not set" }}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                })
            }}
            <div class="mt-3 grid gap-3 sm:grid-cols-3">
                {Environment::ALL.into_iter().map(|env| view! { <EnvCard env=env /> }).collect_view()}
            </div>
            <Problems key=key />
        </fieldset>
    }
}

#[component]
fn EnvCard(env: Environment) -> impl IntoView {
    let w = wizard();
    let status = move || {
        let present = w.secrets().present;
        w.config
            .with(|c| env_status(c.providers.payments, env, &present))
    };
    view! {
        <div class="rounded-lg border border-slate-200 p-3" data-env=env.as_str()>
            {move || {
                let (badge, class, text) = match status() {
                    EnvStatus::NotNeeded => ("Nothing to set", "rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-600", "No provider, no secrets.".to_string()),
                    EnvStatus::Ready => ("Ready", "rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800", "The server has every secret.".to_string()),
                    EnvStatus::StandIn(missing) => ("Test provider", "rounded-full bg-blue-100 px-2 py-0.5 text-xs font-medium text-blue-800", format!("Without {} the built-in test provider takes payments.", missing.join(" and "))),
                    EnvStatus::Missing(missing) => ("Missing", "rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800", format!("Set {} in the server's environment before launching here.", missing.join(" and "))),
                };
                view! {
                    <div class="flex items-center justify-between gap-2">
                        <span class="text-sm font-semibold text-slate-800">{env.as_str()}</span>
                        <span class=class data-status=badge>{badge}</span>
                    </div>
                    <p class="mt-1.5 text-xs text-slate-600">{text}</p>
                }
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_environment_says_what_it_lacks() {
        let none: Vec<String> = vec![];
        let half = vec!["STRIPE_SECRET_KEY".to_string()];
        assert_eq!(
            env_status(PaymentsChoice::None, Environment::Prod, &none),
            EnvStatus::NotNeeded
        );
        assert_eq!(
            env_status(PaymentsChoice::Stripe, Environment::Dev, &half),
            EnvStatus::StandIn(vec!["STRIPE_WEBHOOK_SECRET".into()])
        );
        assert_eq!(
            env_status(PaymentsChoice::Stripe, Environment::Stage, &half),
            EnvStatus::Missing(vec!["STRIPE_WEBHOOK_SECRET".into()])
        );
        let all = vec![
            "STRIPE_SECRET_KEY".to_string(),
            "STRIPE_WEBHOOK_SECRET".to_string(),
        ];
        assert_eq!(
            env_status(PaymentsChoice::Stripe, Environment::Prod, &all),
            EnvStatus::Ready
        );
    }
}
