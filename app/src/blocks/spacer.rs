//! `spacer`: vertical white space.
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpacerProps {
    pub size: String,
}

pub const FIELDS: &[F] = &[F::new(
    "size",
    "Size",
    Select(&[
        ("xs", "Extra small"),
        ("sm", "Small"),
        ("md", "Medium"),
        ("lg", "Large"),
        ("xl", "Extra large"),
    ]),
    Str("md"),
)];

#[component]
pub fn SpacerBlock(props: SpacerProps) -> impl IntoView {
    let class = match props.size.as_str() {
        "xs" => "h-2",
        "sm" => "h-6",
        "lg" => "h-20",
        "xl" => "h-32",
        _ => "h-12",
    };
    view! { <div class=class aria-hidden="true"></div> }
}
