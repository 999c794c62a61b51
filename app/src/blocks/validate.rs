//! Validation: a raw block tree (from a draft or a client) → the typed block tree, or every
//! problem found, each naming its block and field. Nothing here panics on bad input.

use super::descriptor::{FieldDescriptor, FieldKind};
use super::{Block, BlockNode, BlockProps, BlockType, PageType, RichText};
use crate::safe_url::{safe_image, safe_link};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// How deeply containers may nest.
pub const MAX_DEPTH: usize = 4;
/// How many blocks one page may hold.
pub const MAX_BLOCKS: usize = 1000;
/// Longest block id.
pub const MAX_ID_LEN: usize = 64;

/// One problem with one block. `field` is the prop name, or `type` / `id` / `children` for
/// problems with the block itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationError {
    pub block_id: String,
    pub field: Option<String>,
    pub message: String,
}

impl ValidationError {
    fn new(block_id: &str, field: &str, message: impl Into<String>) -> Self {
        Self {
            block_id: block_id.to_string(),
            field: Some(field.to_string()),
            message: message.into(),
        }
    }
}

/// Validates a page's blocks for a page of `page_type`.
pub fn validate_tree(
    page_type: PageType,
    nodes: &[BlockNode],
) -> Result<Vec<Block>, Vec<ValidationError>> {
    let mut v = Validator {
        page_type,
        errors: Vec::new(),
        page: Some(PageWide::default()),
    };
    let blocks = v.nodes(nodes, 1);
    if v.errors.is_empty() {
        Ok(blocks)
    } else {
        Err(v.errors)
    }
}

/// The errors [`validate_tree`] reports inside one top-level block (its props, type, id's
/// form, children and depth), leaving out the checks that need the whole page: ids used twice
/// and the number of blocks ([`page_wide_errors`]). The editor re-validates only the block
/// that changed: `page_wide_errors` and the `block_errors` of every top-level block together
/// are exactly `validate_tree`'s errors.
pub fn block_errors(page_type: PageType, node: &BlockNode) -> Vec<ValidationError> {
    let mut v = Validator {
        page_type,
        errors: Vec::new(),
        page: None,
    };
    v.node(node, 1);
    v.errors
}

/// The page-wide part of [`validate_tree`]: ids used twice, and blocks past [`MAX_BLOCKS`].
/// `ids` are every block's id in reading order (parents before children), as the validator
/// meets them.
pub fn page_wide_errors<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<ValidationError> {
    let mut page = PageWide::default();
    let mut errors = Vec::new();
    for id in ids {
        errors.extend(page.check(id).0);
    }
    errors
}

struct Validator {
    page_type: PageType,
    errors: Vec<ValidationError>,
    /// `None`: one block on its own ([`block_errors`]).
    page: Option<PageWide>,
}

/// What the page-wide checks remember while walking a page.
#[derive(Default)]
struct PageWide {
    seen: HashSet<String>,
    count: usize,
}

impl PageWide {
    /// Counts one more block; the errors it causes (too many blocks, its id seen before) and
    /// whether its id was seen before.
    fn check(&mut self, id: &str) -> (Vec<ValidationError>, bool) {
        let mut errors = Vec::new();
        self.count += 1;
        if self.count == MAX_BLOCKS + 1 {
            errors.push(ValidationError::new(
                id,
                "id",
                format!("a page holds at most {MAX_BLOCKS} blocks"),
            ));
        }
        // Only well-formed ids are remembered (the others have an error of their own).
        let twice = id_problem(id).is_none() && !self.seen.insert(id.to_string());
        if twice {
            errors.push(ValidationError::new(
                &truncate(id),
                "id",
                format!("block id `{id}` is used twice on this page"),
            ));
        }
        (errors, twice)
    }
}

/// What is wrong with the form of a block id, if anything.
fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        Some("a block needs an id".to_string())
    } else if id.len() > MAX_ID_LEN {
        Some(format!("a block id has at most {MAX_ID_LEN} characters"))
    } else if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
    {
        Some("a block id may use only letters, digits, '-', '_', ':' and '.'".to_string())
    } else {
        None
    }
}

impl Validator {
    fn nodes(&mut self, nodes: &[BlockNode], depth: usize) -> Vec<Block> {
        nodes.iter().filter_map(|n| self.node(n, depth)).collect()
    }

    fn node(&mut self, node: &BlockNode, depth: usize) -> Option<Block> {
        let id = node.id.as_str();
        let mut ok = self.check_id(id);
        let block_type = match BlockType::from_name(&node.block_type) {
            Some(t) => Some(t),
            None => {
                self.errors.push(ValidationError::new(
                    id,
                    "type",
                    format!("unknown block type `{}`", truncate(&node.block_type)),
                ));
                None
            }
        };
        if let Some(t) = block_type {
            if !t.allowed_on(self.page_type) {
                let home = t.system_page().map(PageType::name).unwrap_or_default();
                self.errors.push(ValidationError::new(
                    id,
                    "type",
                    format!(
                        "`{}` is only allowed on {home} pages, not on a {} page",
                        t.name(),
                        self.page_type.name()
                    ),
                ));
                ok = false;
            }
            if !t.is_container() && !node.children.is_empty() {
                self.errors.push(ValidationError::new(
                    id,
                    "children",
                    format!("`{}` blocks cannot hold other blocks", t.name()),
                ));
                ok = false;
            }
        }
        if depth > MAX_DEPTH {
            self.errors.push(ValidationError::new(
                id,
                "children",
                format!("blocks may nest at most {MAX_DEPTH} levels deep"),
            ));
            return None;
        }
        // Children are checked even when the parent is broken, so every error is reported at once.
        let children = self.nodes(&node.children, depth + 1);
        let block_type = block_type?;
        let props = self.props(id, block_type, &node.props)?;
        if !ok {
            return None;
        }
        match BlockProps::from_parts(block_type, Value::Object(props)) {
            Ok(props) => Some(Block {
                id: id.to_string(),
                props,
                children,
            }),
            Err(e) => {
                self.errors.push(ValidationError::new(
                    id,
                    "props",
                    format!("invalid props: {e}"),
                ));
                None
            }
        }
    }

    fn check_id(&mut self, id: &str) -> bool {
        let twice = match &mut self.page {
            Some(page) => {
                let (errors, twice) = page.check(id);
                self.errors.extend(errors);
                twice
            }
            None => false,
        };
        match id_problem(id) {
            Some(message) => {
                self.errors
                    .push(ValidationError::new(&truncate(id), "id", message));
                false
            }
            None => !twice,
        }
    }

    /// Checks every prop against the descriptors and returns them normalised, defaults filled.
    fn props(
        &mut self,
        id: &str,
        block_type: BlockType,
        given: &Map<String, Value>,
    ) -> Option<Map<String, Value>> {
        let fields = block_type.fields();
        let before = self.errors.len();
        for name in given.keys() {
            if !fields.iter().any(|f| f.name == name) {
                self.errors.push(ValidationError::new(
                    id,
                    name,
                    format!(
                        "`{}` has no property `{}`",
                        block_type.name(),
                        truncate(name)
                    ),
                ));
            }
        }
        let mut out = Map::new();
        for field in fields {
            match normalize(field, given.get(field.name)) {
                Ok(value) => {
                    out.insert(field.name.to_string(), value);
                }
                Err(message) => self
                    .errors
                    .push(ValidationError::new(id, field.name, message)),
            }
        }
        (self.errors.len() == before).then_some(out)
    }
}

/// Checks one value against its descriptor; returns the normalised value or a message.
pub fn normalize(field: &FieldDescriptor, value: Option<&Value>) -> Result<Value, String> {
    let value = match value {
        None | Some(Value::Null) => {
            return if field.required {
                Err(format!("{} is required", field.label))
            } else {
                Ok(field.default.to_value())
            };
        }
        Some(v) => v,
    };
    if crate::draft::contains_too_deep(value) {
        // Reading the draft cut the value off where it nested too deeply.
        return Err(format!(
            "{} is nested too deeply (a draft nests at most {} levels)",
            field.label,
            crate::draft::MAX_NESTING
        ));
    }
    if is_html(value) {
        // The server sanitises `{"html": …}` rich text into runs before validating; HTML
        // that reaches this point was never sanitised and is refused, not guessed at.
        return Err(if field.kind == FieldKind::RichText {
            format!(
                "{} is HTML that has not been sanitised; only the server accepts HTML rich text (it converts it when publishing, previewing or reading the draft)",
                field.label
            )
        } else {
            format!("{} takes plain text, not HTML", field.label)
        });
    }
    let normalized = match field.kind {
        FieldKind::Text | FieldKind::LongText => {
            let text = text_value(field, value)?;
            if field.kind == FieldKind::Text && text.contains('\n') {
                return Err(format!("{} must be a single line", field.label));
            }
            Value::String(text)
        }
        FieldKind::RichText => {
            let rich = RichText::from_value(value)
                .ok_or_else(|| format!("{} must be text", field.label))?;
            let len = rich.0.iter().map(|r| r.text.chars().count()).sum::<usize>();
            check_len(field, len)?;
            for run in &rich.0 {
                if let Some(link) = &run.link
                    && safe_link(link).is_none()
                {
                    return Err(format!(
                        "{} has a link that is not http(s), relative or mailto",
                        field.label
                    ));
                }
            }
            if field.required && rich.to_plain().trim().is_empty() {
                return Err(format!("{} is required", field.label));
            }
            serde_json::to_value(rich).map_err(|e| e.to_string())?
        }
        FieldKind::Url => {
            let url = text_value(field, value)?;
            if !url.is_empty() && safe_link(&url).is_none() {
                return Err(format!(
                    "{} must be an http(s), relative or mailto link",
                    field.label
                ));
            }
            Value::String(url.trim().to_string())
        }
        FieldKind::Image => {
            let url = text_value(field, value)?;
            if !url.is_empty() && safe_image(&url).is_none() {
                return Err(format!(
                    "{} must be an http(s) or relative image address",
                    field.label
                ));
            }
            Value::String(url.trim().to_string())
        }
        FieldKind::Product => {
            let handle = text_value(field, value)?;
            if !handle
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(format!("{} must be a product handle", field.label));
            }
            Value::String(handle)
        }
        FieldKind::Select(options) => {
            let choice = value
                .as_str()
                .ok_or_else(|| format!("{} must be one of the listed options", field.label))?;
            if !options.iter().any(|(v, _)| *v == choice) {
                let names: Vec<&str> = options.iter().map(|(v, _)| *v).collect();
                return Err(format!(
                    "{} must be one of: {}",
                    field.label,
                    names.join(", ")
                ));
            }
            Value::String(choice.to_string())
        }
        FieldKind::ColorToken => {
            let token = value.as_str().unwrap_or_default();
            if !crate::theme::COLOR_TOKENS.contains(&token) {
                return Err(format!(
                    "{} must be a theme colour: {}",
                    field.label,
                    crate::theme::COLOR_TOKENS.join(", ")
                ));
            }
            Value::String(token.to_string())
        }
        FieldKind::Number => {
            let n = match value {
                Value::Number(n) => n.as_i64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                        .map(|f| f as i64)
                }),
                _ => None,
            }
            .ok_or_else(|| format!("{} must be a whole number", field.label))?;
            if let (Some(min), Some(max)) = (field.min, field.max)
                && !(min..=max).contains(&n)
            {
                return Err(format!("{} must be between {min} and {max}", field.label));
            }
            Value::from(n)
        }
        FieldKind::Toggle => Value::Bool(
            value
                .as_bool()
                .ok_or_else(|| format!("{} must be true or false", field.label))?,
        ),
        FieldKind::ImageList => {
            let items = value
                .as_array()
                .ok_or_else(|| format!("{} must be a list of images", field.label))?;
            if let Some(max) = field.max_items
                && items.len() > max
            {
                return Err(format!("{} holds at most {max} images", field.label));
            }
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let (src, alt) = match item {
                    Value::String(s) => (s.as_str(), ""),
                    Value::Object(o) => (
                        o.get("src").and_then(Value::as_str).unwrap_or_default(),
                        o.get("alt").and_then(Value::as_str).unwrap_or_default(),
                    ),
                    _ => ("", ""),
                };
                if safe_image(src).is_none() {
                    return Err(format!(
                        "{} has an image that is not an http(s) or relative address",
                        field.label
                    ));
                }
                if alt.chars().count() > 200 {
                    return Err(format!(
                        "{}: alt text has at most 200 characters",
                        field.label
                    ));
                }
                out.push(serde_json::json!({ "src": src.trim(), "alt": alt }));
            }
            Value::Array(out)
        }
    };
    if field.required && is_empty(&normalized) {
        return Err(format!("{} is required", field.label));
    }
    Ok(normalized)
}

/// A value written as `{"html": …}`.
fn is_html(v: &Value) -> bool {
    v.as_object().is_some_and(|o| o.contains_key("html"))
}

/// What the editor's canvas shows for a field: its normalised value, or, for text that breaks
/// a limit while someone types it (over the length, a line break in a one-line field), the
/// text as typed, so the canvas never blanks what is being typed (validation reports the
/// problem on the field). Rich text shown this way loses its links; anything else that does
/// not validate shows the field's default.
pub fn preview_value(field: &FieldDescriptor, value: Option<&Value>) -> Value {
    if let Ok(v) = normalize(field, value) {
        return v;
    }
    let as_typed = |v: &Value| {
        Some(v)
            .filter(|v| !is_html(v) && !crate::draft::contains_too_deep(v))
            .and_then(RichText::from_value)
            .and_then(|mut rich| match field.kind {
                FieldKind::Text | FieldKind::LongText => Some(Value::String(rich.to_plain())),
                FieldKind::RichText => {
                    for run in &mut rich.0 {
                        run.link = None;
                    }
                    serde_json::to_value(rich).ok()
                }
                _ => None,
            })
    };
    // The default goes the same way: a required rich text's `""` is shown as empty runs.
    let default = field.default.to_value();
    value
        .and_then(as_typed)
        .or_else(|| as_typed(&default))
        .unwrap_or(default)
}

/// A text kind's value: a string, or formatted text (a `Y.Text` delta) read as plain text.
fn text_value(field: &FieldDescriptor, value: &Value) -> Result<String, String> {
    let text = RichText::from_value(value)
        .ok_or_else(|| format!("{} must be text", field.label))?
        .to_plain();
    check_len(field, text.chars().count())?;
    Ok(text)
}

fn check_len(field: &FieldDescriptor, len: usize) -> Result<(), String> {
    match field.max_len {
        Some(max) if len > max => Err(format!("{} has at most {max} characters", field.label)),
        _ => Ok(()),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Shortens user-supplied names quoted in messages.
fn truncate(s: &str) -> String {
    s.chars().take(MAX_ID_LEN).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(v: Value) -> BlockNode {
        serde_json::from_value(v).expect("test node")
    }

    /// `page_wide_errors` + each top-level block's `block_errors`, sorted, against
    /// `validate_tree`'s errors, sorted.
    fn assert_split_matches(nodes: &[BlockNode]) {
        fn ids<'a>(list: &'a [BlockNode], out: &mut Vec<&'a str>) {
            for n in list {
                out.push(&n.id);
                ids(&n.children, out);
            }
        }
        let mut all = Vec::new();
        ids(nodes, &mut all);
        let mut split = page_wide_errors(all);
        for n in nodes {
            split.extend(block_errors(PageType::Page, n));
        }
        let mut whole = validate_tree(PageType::Page, nodes)
            .err()
            .unwrap_or_default();
        let key = |e: &ValidationError| (e.block_id.clone(), e.field.clone(), e.message.clone());
        split.sort_by_key(key);
        whole.sort_by_key(key);
        assert_eq!(split, whole);
    }

    #[test]
    fn per_block_and_page_wide_errors_are_together_the_whole_pages() {
        // Ids used twice across blocks, inside one container, and in a child and a page
        // block; malformed ids; a bad prop; a container nested too deeply.
        let mut deep = json!({"id": "d5", "type": "spacer", "props": {}});
        for level in (1..5).rev() {
            deep = json!({"id": format!("d{level}"), "type": "columns", "props": {}, "children": [deep]});
        }
        let nodes: Vec<BlockNode> = serde_json::from_value(json!([
            {"id": "a", "type": "spacer", "props": {}},
            {"id": "a", "type": "divider", "props": {}},
            {"id": "c", "type": "columns", "props": {"columns": 99}, "children": [
                {"id": "x", "type": "divider", "props": {}},
                {"id": "x", "type": "divider", "props": {}},
                {"id": "b", "type": "divider", "props": {}},
                {"id": "", "type": "divider", "props": {}}
            ]},
            {"id": "b", "type": "hero", "props": {"nope": 1}},
            {"id": "bad id!", "type": "spacer", "props": {}},
            {"id": "bad id!", "type": "what", "props": {}},
            deep,
        ]))
        .unwrap();
        assert_split_matches(&nodes);
        assert!(
            page_wide_errors(["a", "a", "", "", "b"])
                .iter()
                .all(|e| e.block_id == "a"),
            "only well-formed ids count as used twice"
        );
        // One block past the page's limit: the error names the first one over.
        let many: Vec<BlockNode> = (0..=MAX_BLOCKS)
            .map(|i| node(json!({"id": format!("s{i}"), "type": "spacer", "props": {}})))
            .collect();
        assert_split_matches(&many);
        let over = page_wide_errors(many.iter().map(|n| n.id.as_str()));
        assert_eq!(over.len(), 1);
        assert_eq!(over[0].block_id, format!("s{MAX_BLOCKS}"));
        // A valid page has none.
        assert_split_matches(&many[..3]);
        assert!(validate_tree(PageType::Page, &many[..3]).is_ok());
    }

    #[test]
    fn every_type_validates_with_required_fields_and_defaults() {
        for t in BlockType::ALL {
            let mut props = Map::new();
            for f in t.fields().iter().filter(|f| f.required) {
                let v = match f.kind {
                    FieldKind::ImageList => json!([{"src": "/a.svg", "alt": "a"}]),
                    FieldKind::Url => json!("/x"),
                    FieldKind::Image => json!("/a.svg"),
                    _ => json!("x"),
                };
                props.insert(f.name.into(), v);
            }
            let page = t.system_page().unwrap_or(PageType::Page);
            let n = BlockNode {
                id: "b1".into(),
                block_type: t.name().into(),
                props,
                children: vec![],
            };
            let blocks =
                validate_tree(page, &[n]).unwrap_or_else(|e| panic!("{}: {e:?}", t.name()));
            assert_eq!(blocks[0].block_type(), t);
            // Round trip through JSON keeps the typed tree.
            let json = serde_json::to_value(&blocks).unwrap();
            let back: Vec<Block> = serde_json::from_value(json).unwrap();
            assert_eq!(back, blocks);
        }
    }

    #[test]
    fn names_block_and_field_for_each_problem() {
        let nodes = vec![
            node(json!({"id": "a", "type": "cart_section", "props": {}})),
            node(json!({"id": "b", "type": "marquee", "props": {}})),
            node(json!({"id": "c", "type": "button", "props": {"url": "/x"}})),
            node(
                json!({"id": "d", "type": "button", "props": {"label": "Go", "url": "javascript:alert(1)"}}),
            ),
            node(json!({"id": "e", "type": "spacer", "props": {"size": "huge", "colour": 1}})),
            node(json!({"id": "e", "type": "divider"})),
            node(
                json!({"id": "f", "type": "columns", "props": {"columns": 9}, "children": [
                    {"id": "g", "type": "hero", "props": {"heading": 5}}
                ]}),
            ),
        ];
        let errors = validate_tree(PageType::Page, &nodes).unwrap_err();
        let has = |b: &str, f: &str| {
            errors
                .iter()
                .any(|e| e.block_id == b && e.field.as_deref() == Some(f))
        };
        assert!(has("a", "type"), "{errors:?}");
        assert!(has("b", "type"));
        assert!(has("c", "label"));
        assert!(has("d", "url"));
        assert!(has("e", "size"));
        assert!(has("e", "colour"));
        assert!(has("e", "id"), "duplicate id");
        assert!(has("f", "columns"));
        assert!(has("g", "heading"));
    }

    #[test]
    fn system_blocks_allowed_on_their_page() {
        let n = node(json!({"id": "a", "type": "cart_section"}));
        assert!(validate_tree(PageType::Cart, std::slice::from_ref(&n)).is_ok());
        assert!(validate_tree(PageType::Checkout, &[n]).is_err());
    }

    #[test]
    fn accepts_ytext_deltas_for_text_fields() {
        let n = node(
            json!({"id": "h", "type": "hero", "props": {"heading": [{"insert": "Hel"}, {"insert": "lo", "attributes": {"bold": true}}]}}),
        );
        let blocks = validate_tree(PageType::Home, &[n]).unwrap();
        match &blocks[0].props {
            BlockProps::Hero(h) => assert_eq!(h.heading, "Hello"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unconverted_html_is_refused_with_a_clear_message() {
        let n = node(json!({"id": "r", "type": "rich_text", "props": {
            "heading": {"html": "<b>x</b>"},
            "body": {"html": "<p>Hi</p>"}
        }}));
        let errors = validate_tree(PageType::Page, &[n]).unwrap_err();
        let message = |field: &str| {
            errors
                .iter()
                .find(|e| e.field.as_deref() == Some(field))
                .map(|e| e.message.clone())
                .unwrap_or_default()
        };
        assert!(message("body").contains("not been sanitised"), "{errors:?}");
        assert!(
            message("heading").contains("plain text, not HTML"),
            "{errors:?}"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let mut v = json!({"id": "leaf", "type": "spacer"});
        for i in 0..6 {
            v = json!({"id": format!("c{i}"), "type": "columns", "children": [v]});
        }
        let errors = validate_tree(PageType::Page, &[node(v)]).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.field.as_deref() == Some("children"))
        );
    }
}
