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

/// The grid's classes (also used by the editor's canvas, which lays out editable children).
pub fn grid_class(props: &ColumnsProps) -> String {
    let cols = match props.columns {
        3 => "@3xl:grid-cols-3",
        4 => "@3xl:grid-cols-2 @5xl:grid-cols-4",
        _ => "@3xl:grid-cols-2",
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
    format!("mx-auto grid max-w-6xl grid-cols-1 {cols} {gap} {align}")
}

#[component]
pub fn ColumnsBlock(props: ColumnsProps, children_blocks: Vec<Block>) -> impl IntoView {
    let class = grid_class(&props);
    view! {
        <div class=class>
            <BlockList blocks=children_blocks />
        </div>
    }
}
