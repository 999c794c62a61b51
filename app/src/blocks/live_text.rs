//! The text of an in-place field on the editor's canvas. Where a plain `String` view replaces
//! its text node's whole content whenever its value changes (which puts a caret in that node
//! back to its start), `LiveText` compares the new value with what the node *shows* and
//! replaces only the characters that differ. A keystroke the browser has already typed into the
//! node therefore changes nothing, and the caret stays where the browser put it.
//! On the server it renders exactly as a `String`.

use leptos::tachys::{
    html::attribute::any_attribute::AnyAttribute,
    hydration::Cursor,
    renderer::{CastFrom, Rndr, types},
    view::{Mountable, Position, PositionState, Render, RenderHtml},
};

/// A text leaf that patches its DOM node from what the node shows, not from what was last
/// rendered.
pub struct LiveText(pub String);

leptos::tachys::no_attrs!(LiveText);

pub struct LiveTextState {
    node: types::Text,
}

/// Replaces the smallest run of characters that makes `node` show `text`.
fn patch(node: &types::Text, text: &str) {
    let shown = node.data();
    if let Some((at, delete, insert)) = crate::draft::edit::text_diff(&shown, text) {
        let _ = node.replace_data(at, delete, &insert);
    }
}

impl Render for LiveText {
    type State = LiveTextState;

    fn build(self) -> Self::State {
        LiveTextState {
            node: Rndr::create_text_node(&self.0),
        }
    }

    fn rebuild(self, state: &mut Self::State) {
        patch(&state.node, &self.0);
    }
}

impl RenderHtml for LiveText {
    type AsyncOutput = Self;
    type Owned = Self;
    const MIN_LENGTH: usize = 0;

    fn dry_resolve(&mut self) {}

    async fn resolve(self) -> Self::AsyncOutput {
        self
    }

    fn html_len(&self) -> usize {
        self.0.len()
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0
            .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs)
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        // A `String` claims the server's text node and leaves the cursor on it.
        drop(self.0.hydrate::<FROM_SERVER>(cursor, position));
        let node =
            types::Text::cast_from(cursor.current()).unwrap_or_else(|| Rndr::create_text_node(""));
        LiveTextState { node }
    }

    fn into_owned(self) -> Self::Owned {
        self
    }
}

impl Mountable for LiveTextState {
    fn unmount(&mut self) {
        self.node.unmount()
    }

    fn mount(&mut self, parent: &types::Element, marker: Option<&types::Node>) {
        Rndr::insert_node(parent, self.node.as_ref(), marker);
    }

    fn insert_before_this(&self, child: &mut dyn Mountable) -> bool {
        self.node.insert_before_this(child)
    }

    fn elements(&self) -> Vec<types::Element> {
        vec![]
    }
}
