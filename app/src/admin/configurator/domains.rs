//! Step 6: the host names of each environment: `dev` shows the latest published pages,
//! `stage` and `prod` the release last launched to them.

use super::field::{CARD, Field, ListInput};
use super::{Stage, StepHeading, suggested_host, wizard};
use crate::shop_config::{Environment, Step, field, is_host};
use leptos::prelude::*;

/// A typed host cleaned up: lower case, without scheme, port or path.
pub fn normalize_host(typed: &str) -> String {
    let t = typed.trim().to_ascii_lowercase();
    let t = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .unwrap_or(&t);
    let host = t.split(['/', '?', '#']).next().unwrap_or_default();
    host.split(':').next().unwrap_or_default().to_string()
}

#[component]
pub fn DomainsStep() -> impl IntoView {
    view! {
        <StepHeading stage=Stage::Step(Step::Domains) intro="Where each environment answers. Dev shows your latest published pages; stage and production serve the release you last launched to them. Names ending in .localhost work on this machine without any DNS." />
        <div class=format!("{CARD} space-y-8")>
            {Environment::ALL.into_iter().map(|env| view! { <HostList env=env /> }).collect_view()}
        </div>
    }
}

#[component]
fn HostList(env: Environment) -> impl IntoView {
    let w = wizard();
    let key = field(&format!("domains.{env}")).map_or("domains", |f| f.key);
    let items = Signal::derive(move || w.config.with(|c| c.domains.hosts(env).to_vec()));
    let suggestions = Signal::derive(move || {
        w.config
            .with(|c| suggested_host(&c.basics.handle, env).filter(|_| !c.basics.handle.is_empty()))
            .into_iter()
            .collect::<Vec<_>>()
    });
    let placeholder = match env {
        Environment::Dev => "my-shop.localhost",
        Environment::Stage => "my-shop-stage.localhost",
        Environment::Prod => "shop.example.com",
    };
    view! {
        <Field key=key group=true>
            <ListInput key=key noun="host" placeholder=placeholder items=items valid=is_host
                normalize=normalize_host suggestions=suggestions
                on_change=Callback::new(move |list| w.edit(|c| *c.domains.hosts_mut(env) = list)) />
        </Field>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_hosts_lose_scheme_port_and_path() {
        assert_eq!(normalize_host(" Fern.Localhost "), "fern.localhost");
        assert_eq!(
            normalize_host("https://shop.example.com/"),
            "shop.example.com"
        );
        assert_eq!(
            normalize_host("http://fern-stage.localhost:3000/x?y"),
            "fern-stage.localhost"
        );
        assert!(is_host(&normalize_host("HTTPS://Shop.Example.com:443")));
    }
}
