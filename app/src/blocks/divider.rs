//! `divider`: a horizontal rule in a theme colour.
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DividerProps {
    pub style: String,
    pub color: String,
}

pub const FIELDS: &[F] = &[
    F::new(
        "style",
        "Line",
        Select(&[
            ("solid", "Solid"),
            ("dashed", "Dashed"),
            ("dotted", "Dotted"),
        ]),
        Str("solid"),
    ),
    F::new("color", "Colour", ColorToken, Str("muted")),
];

#[component]
pub fn DividerBlock(props: DividerProps) -> impl IntoView {
    let line = match props.style.as_str() {
        "dashed" => "border-dashed",
        "dotted" => "border-dotted",
        _ => "border-solid",
    };
    let color = match props.color.as_str() {
        "primary" => "border-primary",
        "accent" => "border-accent",
        "background" => "border-background",
        "surface" => "border-surface",
        "text" => "border-ink",
        _ => "border-muted/40",
    };
    let class = format!("mx-auto max-w-6xl border-t-2 {line} {color}");
    view! { <hr class=class /> }
}
