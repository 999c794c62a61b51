//! `gallery`: a grid of images.
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
use crate::safe_url::safe_image;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GalleryImage {
    pub src: String,
    pub alt: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GalleryProps {
    pub title: String,
    pub images: Vec<GalleryImage>,
    pub columns: i64,
}

pub const FIELDS: &[F] = &[
    F::new("title", "Title", Text, Str("")).max_len(120),
    F::new("images", "Images", ImageList, EmptyList)
        .required()
        .max_items(24),
    F::new("columns", "Columns", Number, Int(3)).range(2, 4),
];

#[component]
pub fn GalleryBlock(props: GalleryProps) -> impl IntoView {
    let grid = match props.columns {
        2 => "grid grid-cols-1 gap-4 @xl:grid-cols-2",
        4 => "grid grid-cols-2 gap-4 @3xl:grid-cols-4",
        _ => "grid grid-cols-1 gap-4 @xl:grid-cols-2 @3xl:grid-cols-3",
    };
    let images = props
        .images
        .into_iter()
        .filter_map(|img| safe_image(&img.src).map(|src| (src.to_string(), img.alt)))
        .map(|(src, alt)| view! {
            <img src=src alt=alt loading="lazy" class="aspect-[3/2] h-full w-full rounded-theme object-cover shadow-sm transition duration-300 hover:scale-[1.02]" />
        })
        .collect_view();
    view! {
        <div class="mx-auto max-w-6xl">
            {(!props.title.is_empty()).then(|| view! {
                <h2 class="mb-6 font-heading text-3xl font-semibold text-ink">{props.title.clone()}</h2>
            })}
            <div class=grid>{images}</div>
        </div>
    }
}
