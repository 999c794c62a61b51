//! Step 4: the links in the shop's header and footer (label and target per row, added from
//! the chosen pages in one click or typed), beside the live preview.

use super::field::{CARD, Field, SMALL_BUTTON, described_by};
use super::pages::page_path;
use super::preview::Preview;
use super::{Stage, StepHeading, wizard};
use crate::shop_config::{Link, MAX_LINK_LABEL_LEN, MAX_LINKS, ShopConfig, Step, is_link_target};
use leptos::prelude::*;

/// Which of the two lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Header,
    Footer,
}

impl Place {
    fn key(self) -> &'static str {
        match self {
            Place::Header => "navigation.header",
            Place::Footer => "navigation.footer",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Place::Header => "Header",
            Place::Footer => "Footer",
        }
    }

    fn links(self, c: &ShopConfig) -> &Vec<Link> {
        match self {
            Place::Header => &c.navigation.header,
            Place::Footer => &c.navigation.footer,
        }
    }

    fn links_mut(self, c: &mut ShopConfig) -> &mut Vec<Link> {
        match self {
            Place::Header => &mut c.navigation.header,
            Place::Footer => &mut c.navigation.footer,
        }
    }
}

/// Links to the chosen pages that a list does not have yet (one click adds one).
pub fn page_links(config: &ShopConfig, have: &[Link]) -> Vec<Link> {
    config
        .pages
        .chosen()
        .filter_map(|t| {
            Some(Link {
                label: t.title.to_string(),
                href: page_path(t)?,
            })
        })
        .filter(|l| !have.iter().any(|h| h.href == l.href))
        .collect()
}

/// Whether one row is fine (what the schema checks for each link).
fn row_ok(l: &Link) -> (bool, bool) {
    let label = !l.label.trim().is_empty() && l.label.chars().count() <= MAX_LINK_LABEL_LEN;
    (label, is_link_target(&l.href))
}

#[component]
pub fn NavigationStep() -> impl IntoView {
    view! {
        <StepHeading stage=Stage::Step(Step::Navigation) intro="The links along the top of every page and in the footer. Leave the header empty to show Home, Shop and your content pages." />
        <div class="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
            <div class=format!("{CARD} space-y-8")>
                <Field key="navigation.header" group=true>
                    <LinkList place=Place::Header />
                </Field>
                <Field key="navigation.footer" group=true>
                    <LinkList place=Place::Footer />
                </Field>
            </div>
            <Preview />
        </div>
    }
}

fn add_link(w: super::Wizard, place: Place, link: Link) {
    w.edit(|c| {
        let list = place.links_mut(c);
        if list.len() < MAX_LINKS {
            list.push(link);
        }
    })
}

#[component]
fn LinkList(place: Place) -> impl IntoView {
    let w = wizard();
    let key = place.key();
    let count = move || w.config.with(|c| place.links(c).len());
    let quick = move || w.config.with(|c| page_links(c, place.links(c)));
    view! {
        <div class="mt-3 space-y-2" data-links=key>
            {move || (count() > 0).then(|| view! {
                <div class="grid grid-cols-[minmax(0,2fr)_minmax(0,3fr)_2rem] gap-2 text-xs font-medium text-slate-500" aria-hidden="true">
                    <span>"Label"</span><span>"Goes to"</span><span></span>
                </div>
            })}
            <For each=move || 0..count() key=|i| *i let:i>
                <LinkRow place=place index=i />
            </For>
            <div class="flex flex-wrap items-center gap-2 pt-1">
                <button type="button" class=SMALL_BUTTON data-testid=format!("add-{}-link", place.noun().to_lowercase())
                    disabled=move || { count() >= MAX_LINKS }
                    on:click=move |_| add_link(w, place, Link { label: String::new(), href: "/".into() })>"+ Add link"</button>
                {move || quick().into_iter().map(|l| {
                    let text = format!("+ {} ({})", l.label, l.href);
                    view! {
                        <button type="button" class="rounded-full border border-dashed border-blue-300 bg-blue-50 px-2.5 py-1 text-xs text-blue-800 hover:bg-blue-100 disabled:opacity-50"
                            disabled=move || { count() >= MAX_LINKS }
                            on:click=move |_| add_link(w, place, l.clone())>{text}</button>
                    }
                }).collect_view()}
            </div>
        </div>
    }
}

#[component]
fn LinkRow(place: Place, index: usize) -> impl IntoView {
    let w = wizard();
    let key = place.key();
    let link = move || {
        w.config
            .with(|c| place.links(c).get(index).cloned())
            .unwrap_or(Link {
                label: String::new(),
                href: String::new(),
            })
    };
    let ok = move || row_ok(&link());
    let n = index + 1;
    let noun = place.noun();
    let input = "block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30 focus:outline-none aria-[invalid=true]:border-red-400 aria-[invalid=true]:bg-red-50";
    view! {
        <div class="grid grid-cols-[minmax(0,2fr)_minmax(0,3fr)_2rem] items-center gap-2" data-link-row=index>
            <input type="text" class=input placeholder="About us" autocomplete="off" maxlength=MAX_LINK_LABEL_LEN.to_string()
                aria-label=format!("{noun} link {n} label") aria-describedby=described_by(key)
                aria-invalid=move || (!ok().0).to_string()
                prop:value=move || link().label
                on:input=move |e| {
                    let v = event_target_value(&e);
                    w.edit(|c| if let Some(l) = place.links_mut(c).get_mut(index) { l.label = v; });
                } />
            <input type="text" class=format!("{input} font-mono") placeholder="/pages/about" autocomplete="off" spellcheck="false"
                aria-label=format!("{noun} link {n} target") aria-describedby=described_by(key)
                aria-invalid=move || (!ok().1).to_string()
                prop:value=move || link().href
                on:input=move |e| {
                    let v = event_target_value(&e).trim().to_string();
                    w.edit(|c| if let Some(l) = place.links_mut(c).get_mut(index) { l.href = v; });
                } />
            <button type="button" class="flex h-8 w-8 items-center justify-center rounded-md text-slate-400 hover:bg-red-50 hover:text-red-700"
                aria-label=format!("Remove {} link {n}", noun.to_lowercase())
                on:click=move |_| w.edit(|c| {
                    let list = place.links_mut(c);
                    if index < list.len() {
                        list.remove(index);
                    }
                })>"✕"</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_click_links_come_from_the_chosen_pages_the_list_lacks() {
        let mut c = ShopConfig::starter("Fern");
        let hrefs = |links: Vec<Link>| links.into_iter().map(|l| l.href).collect::<Vec<_>>();
        assert_eq!(
            hrefs(page_links(&c, &[])),
            ["/", "/products", "/pages/about", "/cart", "/checkout"]
        );
        c.pages.cart = false;
        let have = [Link {
            label: "Start".into(),
            href: "/".into(),
        }];
        assert_eq!(
            hrefs(page_links(&c, &have)),
            ["/products", "/pages/about", "/checkout"]
        );
        // What they add passes the schema's link check.
        assert!(
            page_links(&c, &[])
                .iter()
                .all(|l| row_ok(l) == (true, true))
        );
    }
}
