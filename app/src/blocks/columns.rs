//! `columns`: a container laying its child blocks out side by side (stacked on phones).
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
use super::{Block, BlockList};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ColumnsProps {
    pub columns: i64,
    pub gap: String,
    pub vertical_align: String,
}

pub const FIELDS: &[F] = &[
    F::new("columns", "Columns", Number, Int(2)).range(2, 4),
    F::new(
        "gap",
        "Gap",
        Select(&[("sm", "Small"), ("md", "Medium"), ("lg", "Large")]),
        Str("md"),
    ),
    F::new(
        "vertical_align",
        "Vertical alignment",
        Select(&[("top", "Top"), ("center", "Centre")]),
        Str("top"),
    ),
];

#[component]
pub fn ColumnsBlock(props: ColumnsProps, children_blocks: Vec<Block>) -> impl IntoView {
    let cols = match props.columns {
        3 => "md:grid-cols-3",
        4 => "md:grid-cols-2 lg:grid-cols-4",
        _ => "md:grid-cols-2",
    };
    let gap = match props.gap.as_str() {
        "sm" => "gap-4",
        "lg" => "gap-14",
        _ => "gap-8",
    };
    let align = if props.vertical_align == "center" {
        "items-center"
    } else {
        "items-start"
    };
    let class = format!("mx-auto grid max-w-6xl grid-cols-1 {cols} {gap} {align}");
    view! {
        <div class=class>
            <BlockList blocks=children_blocks />
        </div>
    }
}
