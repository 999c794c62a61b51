//! `image`: one picture with alt text, an optional caption and link.
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
use crate::safe_url::{safe_image, safe_link};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageProps {
    pub src: String,
    pub alt: String,
    pub caption: String,
    pub link: String,
    pub width: String,
}

pub const FIELDS: &[F] = &[
    F::new("src", "Image", Image, Str(""))
        .required()
        .max_len(2048),
    F::new("alt", "Alt text", Text, Str("")).max_len(200),
    F::new("caption", "Caption", Text, Str("")).max_len(200),
    F::new("link", "Link", Url, Str("")).max_len(2048),
    F::new(
        "width",
        "Width",
        Select(&[("content", "Content"), ("wide", "Wide"), ("full", "Full")]),
        Str("content"),
    ),
];

#[component]
pub fn ImageBlock(props: ImageProps) -> impl IntoView {
    let ImageProps {
        src,
        alt,
        caption,
        link,
        width,
    } = props;
    let src = safe_image(&src).map(str::to_string);
    let figure_class = match width.as_str() {
        "full" => "w-full",
        "wide" => "mx-auto max-w-5xl",
        _ => "mx-auto max-w-3xl",
    };
    let img = src.map(|src| view! {
        <img src=src alt=alt loading="lazy" class="h-auto w-full rounded-theme object-cover shadow-sm" />
    });
    let picture = match safe_link(&link) {
        Some(href) => view! { <a href=href.to_string()>{img}</a> }.into_any(),
        None => img.into_any(),
    };
    view! {
        <figure class=figure_class>
            {picture}
            {(!caption.is_empty()).then(|| view! { <figcaption class="mt-3 text-center text-sm text-muted">{caption}</figcaption> })}
        </figure>
    }
}
