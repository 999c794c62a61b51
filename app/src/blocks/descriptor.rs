//! Field descriptors: each block type declares its props once, and the inspector form,
//! publish validation and defaults are all derived from that declaration.

use serde_json::Value;

/// What kind of value a prop holds and which editor control edits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text (`Y.Text` or a plain string in the draft).
    Text,
    /// Several lines of plain text.
    LongText,
    /// Formatted text: `Y.Text` with `bold` / `italic` / `link` attributes (see [`super::RichText`]).
    RichText,
    /// A number, limited by `min`/`max`.
    Number,
    /// true / false.
    Toggle,
    /// One of a fixed list of `(value, label)` options.
    Select(&'static [(&'static str, &'static str)]),
    /// One of the theme's colour token names (`crate::theme::COLOR_TOKENS`).
    ColorToken,
    /// A link: http(s), relative or mailto.
    Url,
    /// An image source: http(s) or relative.
    Image,
    /// A list of `{src, alt}` images, limited by `max_items`.
    ImageList,
    /// A product handle from the shop's catalogue (empty = the page's own product).
    Product,
}

/// A prop's default value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldDefault {
    Str(&'static str),
    Int(i64),
    Bool(bool),
    EmptyList,
}

impl FieldDefault {
    pub fn to_value(self) -> Value {
        match self {
            FieldDefault::Str(s) => Value::String(s.to_string()),
            FieldDefault::Int(n) => Value::from(n),
            FieldDefault::Bool(b) => Value::Bool(b),
            FieldDefault::EmptyList => Value::Array(Vec::new()),
        }
    }
}

/// One prop of a block type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldDescriptor {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    pub default: FieldDefault,
    /// Maximum characters for text kinds.
    pub max_len: Option<usize>,
    /// Bounds for numbers.
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// Maximum entries for lists.
    pub max_items: Option<usize>,
    /// Edited in place on the editor's canvas: the block's component renders it through
    /// [`FieldAttrs`](super::FieldAttrs) (`data-field`, `contenteditable`, live content).
    pub in_place: bool,
}

impl FieldDescriptor {
    /// A descriptor with no limits; chain the builders below for the rest.
    pub const fn new(
        name: &'static str,
        label: &'static str,
        kind: FieldKind,
        default: FieldDefault,
    ) -> Self {
        Self {
            name,
            label,
            kind,
            required: false,
            default,
            max_len: None,
            min: None,
            max: None,
            max_items: None,
            in_place: false,
        }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn max_len(mut self, n: usize) -> Self {
        self.max_len = Some(n);
        self
    }
    pub const fn range(mut self, min: i64, max: i64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }
    pub const fn in_place(mut self) -> Self {
        self.in_place = true;
        self
    }
    pub const fn max_items(mut self, n: usize) -> Self {
        self.max_items = Some(n);
        self
    }
}
