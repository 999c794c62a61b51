//! `rich_text`: formatted paragraphs (bold, italic, links) with an optional heading.
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind, FieldKind::*};
use super::rich_text_value::RichText;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RichTextProps {
    pub heading: String,
    pub body: RichText,
    pub width: String,
    pub align: String,
}

pub const FIELDS: &[F] = &[
    F::new("heading", "Heading", Text, Str(""))
        .max_len(120)
        .in_place(),
    F::new("body", "Text", FieldKind::RichText, Str(""))
        .required()
        .max_len(20_000)
        .in_place(),
    F::new(
        "width",
        "Width",
        Select(&[("narrow", "Narrow"), ("wide", "Wide")]),
        Str("narrow"),
    ),
    F::new(
        "align",
        "Alignment",
        Select(&[("left", "Left"), ("center", "Centre")]),
        Str("left"),
    ),
];

#[component]
pub fn RichTextBlock(props: RichTextProps) -> impl IntoView {
    let width = if props.width == "wide" {
        "max-w-5xl"
    } else {
        "max-w-2xl"
    };
    let align = if props.align == "center" {
        "text-center"
    } else {
        "text-left"
    };
    let class = format!("mx-auto {width} {align} px-2");
    let editing = super::editing();
    let body = super::FieldAttrs::new("body", "Write something…");
    view! {
        <div class=class>
            {(editing || !props.heading.is_empty()).then(|| {
                let f = super::FieldAttrs::new("heading", "Heading (optional)");
                view! {
                    <h2 class="mb-4 font-heading text-3xl font-semibold text-ink" data-field=f.field contenteditable=f.editable data-placeholder=f.placeholder>{f.text(props.heading.clone())}</h2>
                }
            })}
            <div class="space-y-4 text-lg leading-relaxed text-ink/85" data-field=body.field contenteditable=body.editable data-placeholder=body.placeholder>
                {body.rich(props.body)}
            </div>
        </div>
    }
}
