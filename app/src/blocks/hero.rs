//! `hero`: a large heading over an optional background image, with a call to action.
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
use crate::safe_url::{safe_image, safe_link};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeroProps {
    pub heading: String,
    pub subheading: String,
    pub image: String,
    pub cta_label: String,
    pub cta_url: String,
    pub align: String,
}

pub const FIELDS: &[F] = &[
    F::new("heading", "Heading", Text, Str(""))
        .required()
        .max_len(120)
        .in_place(),
    F::new("subheading", "Subheading", LongText, Str(""))
        .max_len(300)
        .in_place(),
    F::new("image", "Background image", Image, Str("")).max_len(2048),
    F::new("cta_label", "Button label", Text, Str(""))
        .max_len(40)
        .in_place(),
    F::new("cta_url", "Button link", Url, Str("")).max_len(2048),
    F::new(
        "align",
        "Alignment",
        Select(&[("left", "Left"), ("center", "Centre")]),
        Str("left"),
    ),
];

#[component]
pub fn HeroBlock(props: HeroProps) -> impl IntoView {
    let HeroProps {
        heading,
        subheading,
        image,
        cta_label,
        cta_url,
        align,
    } = props;
    let bg = safe_image(&image).map(|src| {
        format!(
            "background-image:url(\"{}\")",
            crate::theme::css_string(src)
        )
    });
    let has_image = bg.is_some();
    let centered = align == "center";
    let section_class = if has_image {
        "relative overflow-hidden rounded-theme bg-primary bg-cover bg-center text-white"
    } else {
        "relative overflow-hidden rounded-theme bg-primary text-white"
    };
    let inner_class = if centered {
        "relative mx-auto flex min-h-[26rem] max-w-3xl flex-col items-center justify-center gap-5 px-6 py-20 text-center"
    } else {
        "relative flex min-h-[26rem] max-w-2xl flex-col justify-center gap-5 px-8 py-20 @xl:px-14"
    };
    let editing = super::editing();
    let cta = (editing || (!cta_label.is_empty() && safe_link(&cta_url).is_some())).then(|| {
        let href = safe_link(&cta_url).map(str::to_string);
        let f = super::FieldAttrs::new("cta_label", "Button label");
        view! {
            <a href=href class="inline-flex w-fit items-center gap-2 rounded-theme bg-accent px-6 py-3 font-semibold text-white shadow-lg shadow-black/20 transition hover:brightness-110">
                <span data-field=f.field contenteditable=f.editable data-placeholder=f.placeholder>{f.text(cta_label)}</span>
                <span aria-hidden="true">"→"</span>
            </a>
        }
    });
    let heading_attrs = super::FieldAttrs::new("heading", "Heading");
    view! {
        <section class=section_class style=bg>
            {has_image.then(|| view! { <div class="absolute inset-0 bg-gradient-to-r from-black/55 via-black/30 to-transparent"></div> })}
            <div class=inner_class>
                <h1 class="font-heading text-4xl leading-tight font-semibold tracking-tight drop-shadow-sm @xl:text-6xl" data-field=heading_attrs.field contenteditable=heading_attrs.editable data-placeholder=heading_attrs.placeholder>{heading_attrs.text(heading)}</h1>
                {(editing || !subheading.is_empty()).then(|| {
                    let f = super::FieldAttrs::new("subheading", "Subheading");
                    view! { <p class="max-w-xl text-lg text-white/90 @xl:text-xl" data-field=f.field contenteditable=f.editable data-placeholder=f.placeholder>{f.text(subheading)}</p> }
                })}
                {cta}
            </div>
        </section>
    }
}
