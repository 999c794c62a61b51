//! The block library: every block type a page can hold. Each type lives in its own module with
//! its typed props, its field descriptors and its Leptos component; the storefront and the
//! editor render blocks through [`BlockView`] only.

pub mod button;
pub mod cart_section;
pub mod checkout_section;
pub mod columns;
pub mod context;
pub mod descriptor;
pub mod divider;
pub mod gallery;
pub mod hero;
pub mod image;
pub mod live_text;
pub mod product_detail;
pub mod product_grid;
pub mod rich_text;
pub mod rich_text_value;
pub mod spacer;
pub mod validate;

pub use context::{BlockContext, ProductCard, ProductDetail, VariantView};
pub use descriptor::{FieldDefault, FieldDescriptor, FieldKind};
pub use rich_text_value::{RichText, TextRun};
pub use validate::{ValidationError, validate_tree};

use leptos::either::Either;
use leptos::prelude::*;
use rich_text_value::RichTextView;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The one list of block types. Each entry: the variant, its type name (part of the draft
/// document contract, README "Collaboration"), its palette label, its module's props type and
/// component (a container's component also takes its children, under the name given). From
/// it come [`BlockType`], [`BlockProps`] and every `match` over them; adding a block type is
/// one module and one line here.
macro_rules! block_registry {
    ($(
        $variant:ident => $name:literal, $label:literal,
        $module:ident :: $props:ident, $component:ident $(, children = $children:ident)?;
    )*) => {
        /// A block type.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum BlockType {
            $($variant,)*
        }

        impl BlockType {
            pub const ALL: [BlockType; [$($name),*].len()] = [$(BlockType::$variant,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(BlockType::$variant => $name,)*
                }
            }

            /// Name shown in the palette.
            pub fn label(self) -> &'static str {
                match self {
                    $(BlockType::$variant => $label,)*
                }
            }

            /// The props this type declares.
            pub fn fields(self) -> &'static [FieldDescriptor] {
                match self {
                    $(BlockType::$variant => $module::FIELDS,)*
                }
            }
        }

        /// Typed props of a validated block, tagged by type name. Serialises as
        /// `{"type": "hero", "props": {…}}` — the same shape as the draft document.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type", content = "props", rename_all = "snake_case")]
        pub enum BlockProps {
            $($variant($module::$props),)*
        }

        impl BlockProps {
            pub fn block_type(&self) -> BlockType {
                match self {
                    $(BlockProps::$variant(_) => BlockType::$variant,)*
                }
            }

            /// The block's component with these props (and, for a container, its children).
            fn view(self, children: Vec<Block>) -> AnyView {
                // Only containers use their children.
                let _ = &children;
                match self {
                    $(BlockProps::$variant(p) => {
                        block_registry!(@view $module::$component, p, children $(, $children)?)
                    })*
                }
            }

            /// Every type's default props (the registry's own test compares their keys with
            /// the declared fields).
            #[cfg(test)]
            fn defaults() -> Vec<BlockProps> {
                vec![$(BlockProps::$variant($module::$props::default()),)*]
            }
        }
    };
    (@view $module:ident :: $component:ident, $p:ident, $children:ident) => {
        view! { <$module::$component props=$p /> }.into_any()
    };
    (@view $module:ident :: $component:ident, $p:ident, $children:ident, $param:ident) => {
        view! { <$module::$component props=$p $param=$children /> }.into_any()
    };
}

block_registry! {
    Hero => "hero", "Hero", hero::HeroProps, HeroBlock;
    RichText => "rich_text", "Rich text", rich_text::RichTextProps, RichTextBlock;
    Image => "image", "Image", image::ImageProps, ImageBlock;
    Gallery => "gallery", "Gallery", gallery::GalleryProps, GalleryBlock;
    Button => "button", "Button", button::ButtonProps, ButtonBlock;
    Columns => "columns", "Columns", columns::ColumnsProps, ColumnsBlock, children = children_blocks;
    Spacer => "spacer", "Spacer", spacer::SpacerProps, SpacerBlock;
    Divider => "divider", "Divider", divider::DividerProps, DividerBlock;
    ProductGrid => "product_grid", "Product grid", product_grid::ProductGridProps, ProductGridBlock;
    ProductDetail => "product_detail", "Product detail", product_detail::ProductDetailProps, ProductDetailBlock;
    CartSection => "cart_section", "Cart", cart_section::CartSectionProps, CartSectionBlock;
    CheckoutSection => "checkout_section", "Checkout", checkout_section::CheckoutSectionProps, CheckoutSectionBlock;
}

impl BlockType {
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Container blocks hold `children`.
    pub fn is_container(self) -> bool {
        self == BlockType::Columns
    }

    /// System blocks belong to one page type and are hidden from the palette elsewhere.
    pub fn system_page(self) -> Option<PageType> {
        match self {
            BlockType::CartSection => Some(PageType::Cart),
            BlockType::CheckoutSection => Some(PageType::Checkout),
            _ => None,
        }
    }

    /// Whether a block of this type may appear on a page of `page_type`.
    pub fn allowed_on(self, page_type: PageType) -> bool {
        self.system_page().is_none_or(|p| p == page_type)
    }
}

/// Page types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageType {
    Home,
    Page,
    ProductList,
    ProductDetail,
    Cart,
    Checkout,
}

impl PageType {
    pub const ALL: [PageType; 6] = [
        PageType::Home,
        PageType::Page,
        PageType::ProductList,
        PageType::ProductDetail,
        PageType::Cart,
        PageType::Checkout,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PageType::Home => "home",
            PageType::Page => "page",
            PageType::ProductList => "product_list",
            PageType::ProductDetail => "product_detail",
            PageType::Cart => "cart",
            PageType::Checkout => "checkout",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A block as it arrives from a draft or a client, before validation: any type name, any props.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockNode {
    pub id: String,
    #[serde(rename = "type")]
    pub block_type: String,
    #[serde(default)]
    pub props: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<BlockNode>,
}

impl BlockProps {
    /// Builds typed props from a type and its normalised props object.
    pub fn from_parts(
        block_type: BlockType,
        props: serde_json::Value,
    ) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "type": block_type.name(), "props": props }))
    }

    /// The props alone, as JSON.
    pub fn props_json(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut map)) => map.remove("props").unwrap_or_default(),
            _ => serde_json::Value::Null,
        }
    }
}

/// A validated block: the typed block tree that publishing stores and pages render.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub id: String,
    #[serde(flatten)]
    pub props: BlockProps,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Block>,
}

impl Block {
    pub fn block_type(&self) -> BlockType {
        self.props.block_type()
    }

    /// This block and all its descendants, parents before children.
    pub fn walk(&self) -> Vec<&Block> {
        let mut out = vec![self];
        for child in &self.children {
            out.extend(child.walk());
        }
        out
    }
}

/// Provided as context when blocks render on the editor's canvas: their text fields become
/// editable in place. Absent on the storefront, which gets none of the attributes below.
#[derive(Clone, Copy, Debug)]
pub struct Editing;

/// Whether blocks are rendering on the editor's canvas.
pub fn editing() -> bool {
    use_context::<Editing>().is_some()
}

/// On the editor's canvas, around each block: the live value of each of its in-place text
/// fields, so typing re-renders only the field's content — the block and the field's element
/// stay as they are. Absent on the storefront.
#[derive(Clone)]
pub struct LiveFields {
    /// A field's value as the canvas shows it ([`validate::preview_value`]).
    pub value: Arc<dyn Fn(&'static str) -> Signal<serde_json::Value> + Send + Sync>,
    /// Called whenever a field's content renders; the DOM changes right after it returns
    /// (the editor queues putting the caret back).
    pub rendered: Arc<dyn Fn() + Send + Sync>,
}

/// An in-place editable text field: its attributes (`data-field`, `contenteditable` and a
/// placeholder — all `None` outside the editor) and its content. Only fields whose descriptor
/// is [`in_place`](FieldDescriptor::in_place) are rendered this way.
pub struct FieldAttrs {
    pub field: Option<&'static str>,
    pub editable: Option<&'static str>,
    pub placeholder: Option<&'static str>,
    name: &'static str,
    live: Option<LiveFields>,
}

impl FieldAttrs {
    pub fn new(field: &'static str, placeholder: &'static str) -> Self {
        let on = editing();
        Self {
            field: on.then_some(field),
            editable: on.then_some("true"),
            placeholder: on.then_some(placeholder),
            name: field,
            live: on.then(use_context::<LiveFields>).flatten(),
        }
    }

    /// A plain-text field's content: `text`, or on the canvas the field's live value.
    pub fn text(&self, text: String) -> impl IntoView + use<> {
        match &self.live {
            Some(live) => {
                let value = (live.value)(self.name);
                let rendered = live.rendered.clone();
                Either::Left(move || {
                    rendered();
                    live_text::LiveText(value.with(|v| v.as_str().unwrap_or_default().to_string()))
                })
            }
            None => Either::Right(text),
        }
    }

    /// A rich-text field's content: `text`, or on the canvas the field's live value.
    pub fn rich(&self, text: RichText) -> impl IntoView + use<> {
        match &self.live {
            Some(live) => {
                let value = (live.value)(self.name);
                let rendered = live.rendered.clone();
                Either::Left(move || {
                    rendered();
                    let text = value.with(|v| RichText::from_value(v).unwrap_or_default());
                    view! { <RichTextView text=text /> }
                })
            }
            None => Either::Right(view! { <RichTextView text=text /> }),
        }
    }
}

/// Renders blocks in order.
#[component]
pub fn BlockList(blocks: Vec<Block>) -> impl IntoView {
    blocks
        .into_iter()
        .map(|block| view! { <BlockView block=block /> })
        .collect_view()
}

/// Renders one block inside a wrapper that carries `data-block-id` and `data-block-type`.
#[component]
pub fn BlockView(block: Block) -> impl IntoView {
    let Block {
        id,
        props,
        children,
    } = block;
    let type_name = props.block_type().name();
    let inner = props.view(children);
    view! {
        <div class="vt-block" data-block-id=id data-block-type=type_name>{inner}</div>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod render_tests;

#[cfg(test)]
mod registry_tests {
    use super::*;

    #[test]
    fn every_blocks_fields_are_its_props_serialised_keys() {
        for props in BlockProps::defaults() {
            let ty = props.block_type();
            let mut keys: Vec<String> = match props.props_json() {
                serde_json::Value::Object(map) => map.keys().cloned().collect(),
                other => panic!("{} props serialise to {other}", ty.name()),
            };
            let mut fields: Vec<String> = ty.fields().iter().map(|f| f.name.to_string()).collect();
            keys.sort();
            fields.sort();
            assert_eq!(fields, keys, "{}: FIELDS and props disagree", ty.name());
        }
        assert_eq!(BlockProps::defaults().len(), BlockType::ALL.len());
    }

    #[test]
    fn type_names_are_the_serialised_names() {
        for ty in BlockType::ALL {
            assert_eq!(serde_json::to_value(ty).unwrap(), ty.name());
            assert_eq!(BlockType::from_name(ty.name()), Some(ty));
        }
    }
}
