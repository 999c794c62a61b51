//! Step 3: which core pages to create, each from its template (a card per template).

use super::field::{Problems, RequirementChips, described_by, help_id};
use super::{Stage, StepHeading, input_id, wizard};
use crate::route::Route;
use crate::shop_config::{PAGE_TEMPLATES, PageTemplate, Step, field};
use leptos::prelude::*;

/// Where the storefront serves a template's page (`None`: one page per product).
pub fn page_path(t: &PageTemplate) -> Option<String> {
    Route::of_page_named(t.page_type, t.slug).map(|r| r.path())
}

#[component]
pub fn PagesStep() -> impl IntoView {
    view! {
        <StepHeading stage=Stage::Step(Step::Pages) intro="Each page starts from a template you can change later in the editor. Stage and production need every page a customer goes through to buy." />
        <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {PAGE_TEMPLATES.iter().map(|t| view! { <PageCard template=*t /> }).collect_view()}
        </div>
    }
}

#[component]
fn PageCard(template: PageTemplate) -> impl IntoView {
    let w = wizard();
    let key = field(&format!("pages.{}", template.key)).map_or("pages", |f| f.key);
    let path =
        page_path(&template).unwrap_or_else(|| format!("{}{{product}}", Route::PRODUCTS_PREFIX));
    view! {
        <div data-config-field=key data-template=template.key>
            <label class="flex h-full cursor-pointer gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm transition hover:border-slate-300 has-checked:border-blue-600 has-checked:ring-1 has-checked:ring-blue-600 has-focus-visible:outline-2 has-focus-visible:outline-offset-2 has-focus-visible:outline-blue-600">
                <input id=input_id(key) type="checkbox" class="mt-0.5 h-4 w-4 shrink-0 accent-blue-600"
                    aria-describedby=described_by(key)
                    prop:checked=move || w.config.with(|c| c.pages.get(template.key))
                    on:change=move |e| {
                        let on = event_target_checked(&e);
                        w.edit(|c| c.pages.set(template.key, on));
                    } />
                <span class="flex min-w-0 flex-1 flex-col gap-1">
                    <span class="flex flex-wrap items-baseline justify-between gap-2">
                        <span class="font-medium text-slate-900">{template.title}</span>
                        <RequirementChips key=key />
                    </span>
                    <span id=help_id(key) class="text-sm text-slate-600">{template.description}</span>
                    <span class="font-mono text-xs text-slate-400">{path}</span>
                </span>
            </label>
            <Problems key=key />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_has_a_field_and_a_path_on_the_storefront() {
        for t in PAGE_TEMPLATES {
            assert!(field(&format!("pages.{}", t.key)).is_some(), "{}", t.key);
        }
        let paths: Vec<Option<String>> = PAGE_TEMPLATES.iter().map(page_path).collect();
        assert!(paths.contains(&Some("/pages/about".into())));
        assert!(paths.contains(&Some("/".into())));
    }
}
