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

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Block type names, part of the draft document contract (README, "Collaboration").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockType {
    Hero,
    RichText,
    Image,
    Gallery,
    Button,
    Columns,
    Spacer,
    Divider,
    ProductGrid,
    ProductDetail,
    CartSection,
    CheckoutSection,
}

impl BlockType {
    pub const ALL: [BlockType; 12] = [
        BlockType::Hero,
        BlockType::RichText,
        BlockType::Image,
        BlockType::Gallery,
        BlockType::Button,
        BlockType::Columns,
        BlockType::Spacer,
        BlockType::Divider,
        BlockType::ProductGrid,
        BlockType::ProductDetail,
        BlockType::CartSection,
        BlockType::CheckoutSection,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BlockType::Hero => "hero",
            BlockType::RichText => "rich_text",
            BlockType::Image => "image",
            BlockType::Gallery => "gallery",
            BlockType::Button => "button",
            BlockType::Columns => "columns",
            BlockType::Spacer => "spacer",
            BlockType::Divider => "divider",
            BlockType::ProductGrid => "product_grid",
            BlockType::ProductDetail => "product_detail",
            BlockType::CartSection => "cart_section",
            BlockType::CheckoutSection => "checkout_section",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Name shown in the palette.
    pub fn label(self) -> &'static str {
        match self {
            BlockType::Hero => "Hero",
            BlockType::RichText => "Rich text",
            BlockType::Image => "Image",
            BlockType::Gallery => "Gallery",
            BlockType::Button => "Button",
            BlockType::Columns => "Columns",
            BlockType::Spacer => "Spacer",
            BlockType::Divider => "Divider",
            BlockType::ProductGrid => "Product grid",
            BlockType::ProductDetail => "Product detail",
            BlockType::CartSection => "Cart",
            BlockType::CheckoutSection => "Checkout",
        }
    }

    /// The props this type declares.
    pub fn fields(self) -> &'static [FieldDescriptor] {
        match self {
            BlockType::Hero => hero::FIELDS,
            BlockType::RichText => rich_text::FIELDS,
            BlockType::Image => image::FIELDS,
            BlockType::Gallery => gallery::FIELDS,
            BlockType::Button => button::FIELDS,
            BlockType::Columns => columns::FIELDS,
            BlockType::Spacer => spacer::FIELDS,
            BlockType::Divider => divider::FIELDS,
            BlockType::ProductGrid => product_grid::FIELDS,
            BlockType::ProductDetail => product_detail::FIELDS,
            BlockType::CartSection => cart_section::FIELDS,
            BlockType::CheckoutSection => checkout_section::FIELDS,
        }
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

/// Typed props of a validated block, tagged by type name. Serialises as
/// `{"type": "hero", "props": {…}}` — the same shape as the draft document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "props", rename_all = "snake_case")]
pub enum BlockProps {
    Hero(hero::HeroProps),
    RichText(rich_text::RichTextProps),
    Image(image::ImageProps),
    Gallery(gallery::GalleryProps),
    Button(button::ButtonProps),
    Columns(columns::ColumnsProps),
    Spacer(spacer::SpacerProps),
    Divider(divider::DividerProps),
    ProductGrid(product_grid::ProductGridProps),
    ProductDetail(product_detail::ProductDetailProps),
    CartSection(cart_section::CartSectionProps),
    CheckoutSection(checkout_section::CheckoutSectionProps),
}

impl BlockProps {
    pub fn block_type(&self) -> BlockType {
        match self {
            BlockProps::Hero(_) => BlockType::Hero,
            BlockProps::RichText(_) => BlockType::RichText,
            BlockProps::Image(_) => BlockType::Image,
            BlockProps::Gallery(_) => BlockType::Gallery,
            BlockProps::Button(_) => BlockType::Button,
            BlockProps::Columns(_) => BlockType::Columns,
            BlockProps::Spacer(_) => BlockType::Spacer,
            BlockProps::Divider(_) => BlockType::Divider,
            BlockProps::ProductGrid(_) => BlockType::ProductGrid,
            BlockProps::ProductDetail(_) => BlockType::ProductDetail,
            BlockProps::CartSection(_) => BlockType::CartSection,
            BlockProps::CheckoutSection(_) => BlockType::CheckoutSection,
        }
    }

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

/// The attributes of an in-place editable text field: `data-field`, `contenteditable` and a
/// placeholder — all `None` outside the editor.
pub struct FieldAttrs {
    pub field: Option<&'static str>,
    pub editable: Option<&'static str>,
    pub placeholder: Option<&'static str>,
}

impl FieldAttrs {
    pub fn new(field: &'static str, placeholder: &'static str) -> Self {
        let on = editing();
        Self {
            field: on.then_some(field),
            editable: on.then_some("true"),
            placeholder: on.then_some(placeholder),
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
    let inner = match props {
        BlockProps::Hero(p) => view! { <hero::HeroBlock props=p /> }.into_any(),
        BlockProps::RichText(p) => view! { <rich_text::RichTextBlock props=p /> }.into_any(),
        BlockProps::Image(p) => view! { <image::ImageBlock props=p /> }.into_any(),
        BlockProps::Gallery(p) => view! { <gallery::GalleryBlock props=p /> }.into_any(),
        BlockProps::Button(p) => view! { <button::ButtonBlock props=p /> }.into_any(),
        BlockProps::Columns(p) => {
            view! { <columns::ColumnsBlock props=p children_blocks=children /> }.into_any()
        }
        BlockProps::Spacer(p) => view! { <spacer::SpacerBlock props=p /> }.into_any(),
        BlockProps::Divider(p) => view! { <divider::DividerBlock props=p /> }.into_any(),
        BlockProps::ProductGrid(p) => {
            view! { <product_grid::ProductGridBlock props=p /> }.into_any()
        }
        BlockProps::ProductDetail(p) => {
            view! { <product_detail::ProductDetailBlock props=p /> }.into_any()
        }
        BlockProps::CartSection(p) => {
            view! { <cart_section::CartSectionBlock props=p /> }.into_any()
        }
        BlockProps::CheckoutSection(p) => {
            view! { <checkout_section::CheckoutSectionBlock props=p /> }.into_any()
        }
    };
    view! {
        <div class="vt-block" data-block-id=id data-block-type=type_name>{inner}</div>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod render_tests;
