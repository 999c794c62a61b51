//! `button`: a call-to-action link styled as a button.
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
use crate::safe_url::safe_link;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ButtonProps {
    pub label: String,
    pub url: String,
    pub style: String,
    pub align: String,
}

pub const FIELDS: &[F] = &[
    F::new("label", "Label", Text, Str(""))
        .required()
        .max_len(60)
        .in_place(),
    F::new("url", "Link", Url, Str("")).required().max_len(2048),
    F::new(
        "style",
        "Style",
        Select(&[
            ("primary", "Primary"),
            ("secondary", "Secondary"),
            ("outline", "Outline"),
        ]),
        Str("primary"),
    ),
    F::new(
        "align",
        "Alignment",
        Select(&[("left", "Left"), ("center", "Centre"), ("right", "Right")]),
        Str("center"),
    ),
];

#[component]
pub fn ButtonBlock(props: ButtonProps) -> impl IntoView {
    let wrap = match props.align.as_str() {
        "left" => "flex justify-start",
        "right" => "flex justify-end",
        _ => "flex justify-center",
    };
    let class = match props.style.as_str() {
        "secondary" => {
            "inline-flex items-center rounded-theme bg-accent px-7 py-3 text-base font-semibold text-white shadow-sm transition hover:brightness-110"
        }
        "outline" => {
            "inline-flex items-center rounded-theme border-2 border-primary px-7 py-3 text-base font-semibold text-primary transition hover:bg-primary hover:text-white"
        }
        _ => {
            "inline-flex items-center rounded-theme bg-primary px-7 py-3 text-base font-semibold text-white shadow-sm transition hover:brightness-125"
        }
    };
    // An unsafe URL renders the button without a destination rather than a dangerous one.
    let href = safe_link(&props.url).map(str::to_string);
    let f = super::FieldAttrs::new("label", "Button label");
    view! {
        <div class=wrap>
            <a href=href class=class data-field=f.field contenteditable=f.editable data-placeholder=f.placeholder>{f.text(props.label)}</a>
        </div>
    }
}
