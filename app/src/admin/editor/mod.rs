//! The page editor at `/admin/pages/{id}`: a canvas that renders the draft with the
//! storefront's own block components, a palette, an inspector generated from field
//! descriptors, presence, undo/redo per person, and publishing. The draft is a yrs document
//! kept in sync with the collaboration hub over y-sync (see `client` and `transport`).

pub mod canvas;
pub mod client;
pub mod dialogs;
pub mod input;
pub mod inspector;
pub mod palette;
pub mod state;
#[cfg(feature = "hydrate")]
pub mod text;
pub mod toast;
pub mod top_bar;
#[cfg(feature = "hydrate")]
pub mod transport;
pub mod tree;

use crate::admin::api;
use crate::api_types::{PageAnswer, Presence};
use crate::blocks::{BlockType, PageType, ValidationError};
use crate::draft::edit::{self, Slot};
use crate::draft::{PageField, PageFields};
use client::Client;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde_json::Value;
use yrs::{Any, ArrayRef, TransactionMut};

/// The connection to the collaboration hub, as the top bar shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conn {
    Connecting,
    Connected,
    Reconnecting,
    Offline,
}

impl Conn {
    pub fn label(self) -> &'static str {
        match self {
            Conn::Connecting => "Connecting…",
            Conn::Connected => "Connected",
            Conn::Reconnecting => "Reconnecting…",
            Conn::Offline => "Offline — edits are kept",
        }
    }
}

/// Canvas widths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Desktop,
    Tablet,
    Mobile,
}

impl Device {
    pub const ALL: [Device; 3] = [Device::Desktop, Device::Tablet, Device::Mobile];
    pub fn label(self) -> &'static str {
        match self {
            Device::Desktop => "Desktop",
            Device::Tablet => "Tablet",
            Device::Mobile => "Mobile",
        }
    }
    pub fn width(self) -> &'static str {
        match self {
            Device::Desktop => "100%",
            Device::Tablet => "768px",
            Device::Mobile => "390px",
        }
    }
}

/// Someone else on the page.
#[derive(Clone, Debug, PartialEq)]
pub struct Peer {
    pub client_id: u64,
    pub name: String,
    pub color: String,
    pub selected: Option<String>,
}

/// What is being dragged.
#[derive(Clone, Debug, PartialEq)]
pub enum Drag {
    New(BlockType),
    Move(String),
}

/// The focused in-place text field and its selection, kept across re-renders.
#[derive(Clone, Debug, PartialEq)]
pub struct Focus {
    pub block: String,
    pub field: String,
    pub start: u32,
    pub end: u32,
}

/// Page facts from `GET /api/v1/pages/{id}`, with the shop's theme ready for the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct PageInfo {
    pub answer: PageAnswer,
    /// The theme's CSS variables, sanitised: the canvas renders blocks as the shop shows them.
    pub theme_css: String,
}

impl PageInfo {
    pub fn new(answer: PageAnswer) -> Self {
        let theme_css = crate::theme::ThemeTokens::from_json(&answer.theme)
            .sanitized()
            .css_variables();
        Self { answer, theme_css }
    }

    pub fn page_type(&self) -> PageType {
        self.answer.page.page_type
    }

    pub fn can_edit(&self) -> bool {
        self.answer.role.can_edit()
    }
}

/// Every piece of editor state, shared by the editor's components (all handles are `Copy`).
#[derive(Clone, Copy)]
pub struct Ed {
    pub page_id: i64,
    pub info: RwSignal<Option<PageInfo>>,
    /// The draft's blocks, block by block (see `state`).
    pub model: StoredValue<state::Model>,
    /// Every validation error of the draft (kept by the model, block by block).
    pub errors: Signal<Vec<ValidationError>>,
    /// The draft's page fields (title, address, search appearance), as the draft has them.
    pub page: RwSignal<PageFields>,
    pub selected: RwSignal<Option<String>>,
    pub status: RwSignal<Conn>,
    pub peers: RwSignal<Vec<Peer>>,
    pub drag: RwSignal<Option<Drag>>,
    /// Set when a publish was refused: invalid blocks are outlined on the canvas.
    pub show_errors: RwSignal<bool>,
    pub can_undo: RwSignal<bool>,
    pub can_redo: RwSignal<bool>,
    pub device: RwSignal<Device>,
    pub toast: RwSignal<Option<(bool, String)>>,
    pub me: RwSignal<(String, String)>,
    /// Plain data, so thread-safe storage: values in local storage that the server's render
    /// creates may be dropped on another thread, which panics.
    pub focus: StoredValue<Option<Focus>>,
    /// The browser's copy of the draft. Browser-only, like the socket: the server's render
    /// has no draft to hold, and a local value it created would be dropped on another thread.
    #[cfg(feature = "hydrate")]
    pub client: StoredValue<Option<Client>, LocalStorage>,
    #[cfg(feature = "hydrate")]
    pub socket: StoredValue<Option<transport::Socket>, LocalStorage>,
    /// A keystroke the browser is typing itself, for the draft to take once it has
    /// (`input::before_input` lets it through, `input::after_input` applies it).
    #[cfg(feature = "hydrate")]
    pub typing: StoredValue<Option<input::Typed>, LocalStorage>,
}

/// Colours given to editors, picked from their user id.
const COLORS: [&str; 8] = [
    "#e11d48", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4d7c0f",
];

pub fn color_for(seed: u64) -> &'static str {
    COLORS[(seed % COLORS.len() as u64) as usize]
}

impl Ed {
    fn new(page_id: i64) -> Self {
        let model = state::Model::new();
        let errors = model.errors().into();
        Self {
            page_id,
            info: RwSignal::new(None),
            model: StoredValue::new(model),
            page: RwSignal::new(PageFields::default()),
            errors,
            selected: RwSignal::new(None),
            status: RwSignal::new(Conn::Connecting),
            peers: RwSignal::new(Vec::new()),
            drag: RwSignal::new(None),
            show_errors: RwSignal::new(false),
            can_undo: RwSignal::new(false),
            can_redo: RwSignal::new(false),
            device: RwSignal::new(Device::Desktop),
            toast: RwSignal::new(None),
            me: RwSignal::new((String::new(), COLORS[0].to_string())),
            focus: StoredValue::new(None),
            #[cfg(feature = "hydrate")]
            client: StoredValue::new_local(None),
            #[cfg(feature = "hydrate")]
            socket: StoredValue::new_local(None),
            #[cfg(feature = "hydrate")]
            typing: StoredValue::new_local(None),
        }
    }

    pub fn can_edit(&self) -> bool {
        self.info
            .with_untracked(|i| i.as_ref().is_some_and(PageInfo::can_edit))
    }

    pub fn page_type(&self) -> PageType {
        self.info
            .with_untracked(|i| i.as_ref().map(PageInfo::page_type))
            .unwrap_or(PageType::Page)
    }

    /// Runs `f` on the browser's copy of the draft; `None` before it exists (and always
    /// on the server).
    fn with_client<R>(&self, f: impl FnOnce(&mut Client) -> R) -> Option<R> {
        #[cfg(feature = "hydrate")]
        return self
            .client
            .try_update_value(|c| c.as_mut().map(f))
            .flatten();
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = f;
            None
        }
    }

    /// Runs `f` on the draft's block tree as JSON (not reactive).
    pub fn with_tree<R>(&self, f: impl FnOnce(&[Value]) -> R) -> R {
        self.model.with_value(|m| f(m.tree()))
    }

    /// Brings the views up to date with the draft: re-reads only the blocks whose content
    /// changed since the last time (the whole tree when its shape changed) and sets only the
    /// signals whose value changed.
    pub fn refresh(&self) {
        enum Read {
            Tree(Vec<Value>),
            Blocks(Vec<(Vec<u32>, Option<Value>)>),
        }
        let Some((read, undo, redo)) = self.with_client(|c| {
            let changes = c.take_changes();
            let read = if changes.shape {
                Read::Tree(c.read().blocks)
            } else {
                Read::Blocks(
                    changes
                        .blocks
                        .into_iter()
                        .map(|path| {
                            let block = c.read_block(&path);
                            (path, block)
                        })
                        .collect(),
                )
            };
            (read, c.can_undo(), c.can_redo())
        }) else {
            return;
        };
        let whole = match read {
            Read::Tree(tree) => {
                self.model.update_value(|m| m.replace(tree));
                false
            }
            Read::Blocks(blocks) => self
                .model
                .try_update_value(|m| {
                    blocks
                        .into_iter()
                        .any(|(path, block)| !block.is_some_and(|b| m.update(&path, b)))
                })
                .unwrap_or(false),
        };
        if whole && let Some(tree) = self.with_client(|c| c.read().blocks) {
            self.model.update_value(|m| m.replace(tree));
        }
        // The page's own fields: four short strings, read each time.
        if let Some(page) = self.with_client(|c| c.page_fields())
            && self.page.with_untracked(|p| *p != page)
        {
            self.page.set(page);
        }
        if self.can_undo.get_untracked() != undo {
            self.can_undo.set(undo);
        }
        if self.can_redo.get_untracked() != redo {
            self.can_redo.set(redo);
        }
    }

    /// Sends queued local updates (while offline they stay in the document and go out with
    /// the sync handshake on reconnect).
    pub fn flush(&self) {
        let frames = self.with_client(|c| c.take_outgoing()).unwrap_or_default();
        #[cfg(feature = "hydrate")]
        transport::send_all(*self, frames);
        #[cfg(not(feature = "hydrate"))]
        drop(frames);
    }

    /// A change to this person's copy (an edit, undo, redo): made, sent, shown.
    fn change<R>(&self, f: impl FnOnce(&mut Client) -> R) -> Option<R> {
        let out = self.with_client(f);
        self.flush();
        self.refresh();
        out
    }

    /// One local edit, if this person may edit.
    pub fn edit<R>(&self, f: impl FnOnce(&mut TransactionMut, &ArrayRef) -> R) -> Option<R> {
        if !self.can_edit() {
            return None;
        }
        self.change(|c| c.edit(f))
    }

    /// Closes the current undo step (structural edits are each their own step).
    fn step(&self) {
        self.with_client(Client::end_undo_step);
    }

    pub fn insert(&self, block_type: BlockType, slot: Slot) {
        self.step();
        let Some(id) = self.with_client(|c| c.fresh_id(block_type.name())) else {
            return;
        };
        let mut node = edit::new_block(block_type, id.clone());
        if let Some(sample) = sample_text(block_type) {
            node.props.extend(sample);
        }
        if self.edit(|txn, root| edit::insert_at(txn, root, &slot, &node)) == Some(true) {
            self.select(Some(id));
        }
        self.step();
    }

    pub fn move_to(&self, id: &str, slot: Slot) {
        self.step();
        self.edit(|txn, root| edit::move_block(txn, root, id, &slot));
        self.step();
    }

    /// Move up/down (keyboard and toolbar), into and out of columns.
    pub fn step_move(&self, id: &str, up: bool) {
        if let Some(slot) = self.with_tree(|b| tree::step_slot(b, id, up)) {
            self.move_to(id, slot);
        }
    }

    pub fn remove(&self, id: &str) {
        let next = self.with_tree(|b| {
            tree::neighbour(b, id, false)
                .filter(|n| {
                    tree::find(
                        tree::find(b, id).map(tree::children_of).unwrap_or_default(),
                        n,
                    )
                    .is_none()
                })
                .or_else(|| tree::neighbour(b, id, true))
        });
        self.step();
        self.edit(|txn, root| edit::delete_block(txn, root, id));
        self.step();
        self.select(next);
    }

    pub fn duplicate(&self, id: &str) {
        if !self.can_edit() {
            return;
        }
        self.step();
        let new_id = self.change(|c| c.duplicate(id)).flatten();
        self.step();
        if new_id.is_some() {
            self.select(new_id);
        }
    }

    /// Sets one of the page's own fields in the draft (its own undo step).
    pub fn set_page_field(&self, field: PageField, value: &str) {
        if !self.can_edit() {
            return;
        }
        self.step();
        self.change(|c| c.edit_page(|txn, page| edit::set_page_field(txn, page, field, value)));
        self.step();
    }

    pub fn set_prop(&self, id: &str, field: &str, value: Value) {
        self.edit(|txn, root| edit::set_prop(txn, root, id, field, &value));
    }

    /// Replaces `delete` characters at `at` in a text prop with `insert`.
    pub fn splice(&self, id: &str, field: &str, at: u32, delete: u32, insert: &str) {
        self.edit(|txn, root| {
            if let Some(text) = edit::text_prop(txn, root, id, field) {
                edit::splice_text(txn, &text, at, delete, insert);
            }
        });
    }

    /// Toggles a mark on a range of a text prop.
    pub fn format(&self, id: &str, field: &str, at: u32, len: u32, mark: &str, value: Any) {
        self.step();
        self.edit(|txn, root| {
            if let Some(text) = edit::text_prop(txn, root, id, field) {
                edit::format_text(txn, &text, at, len, mark, value);
            }
        });
        self.step();
    }

    pub fn undo(&self) {
        self.change(Client::undo);
    }

    pub fn redo(&self) {
        self.change(Client::redo);
    }

    /// Selects a block (or none) and tells the others.
    pub fn select(&self, id: Option<String>) {
        if self.selected.get_untracked() == id {
            return;
        }
        self.selected.set(id);
        self.announce();
    }

    /// Sends this person's presence: name, colour, selected block.
    pub fn announce(&self) {
        let (name, color) = self.me.get_untracked();
        let state = Presence {
            name: Some(name),
            color: Some(color),
            selected: self.selected.get_untracked(),
        }
        .to_json();
        let frame = self.with_client(|c| c.set_presence(&state)).flatten();
        #[cfg(feature = "hydrate")]
        transport::send_all(*self, frame.into_iter().collect());
        #[cfg(not(feature = "hydrate"))]
        drop(frame);
    }

    /// Re-reads the others' presence.
    pub fn refresh_peers(&self) {
        let peers = self
            .with_client(|c| c.peers(30_000))
            .unwrap_or_default()
            .into_iter()
            .map(|(client_id, state)| {
                let presence = Presence::from_json(&state);
                Peer {
                    client_id,
                    name: presence.name.unwrap_or_else(|| "Someone".into()),
                    color: presence.color.unwrap_or_else(|| "#64748b".into()),
                    selected: presence.selected,
                }
            })
            .collect();
        self.peers.set(peers);
    }

    pub fn notify(&self, ok: bool, message: impl Into<String>) {
        self.toast.set(Some((ok, message.into())));
    }

    /// Reads the page facts (`GET /api/v1/pages/{id}`).
    pub async fn load_info(self) -> Result<(), api::ApiError> {
        let answer = api::get_json(&format!("/api/v1/pages/{}", self.page_id)).await?;
        self.info.set(Some(PageInfo::new(answer)));
        Ok(())
    }

    /// Re-reads the page facts in the background (after publishing, scheduling, renaming).
    pub fn reload_info(&self) {
        let ed = *self;
        leptos::task::spawn_local(async move {
            let _ = ed.load_info().await;
        });
    }
}

/// Starter text for new blocks, so a fresh block looks like something and is easy to type over.
fn sample_text(block_type: BlockType) -> Option<Vec<(String, Value)>> {
    let pairs: &[(&str, &str)] = match block_type {
        BlockType::Hero => &[
            ("heading", "A new heading"),
            ("subheading", "Say something about it."),
        ],
        BlockType::RichText => &[("body", "Write something here.")],
        BlockType::Button => &[("label", "Learn more"), ("url", "/")],
        _ => return None,
    };
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect(),
    )
}

#[component]
pub fn EditorPage() -> impl IntoView {
    let params = use_params_map();
    let page_id = params
        .with_untracked(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()))
        .unwrap_or_default();
    let ed = Ed::new(page_id);
    provide_context(ed);

    // Blocks are validated for the page's type.
    Effect::new(move || {
        let page_type = ed
            .info
            .with(|i| i.as_ref().map(PageInfo::page_type))
            .unwrap_or(PageType::Page);
        ed.model.update_value(|m| m.set_page_type(page_type));
    });
    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            transport::start(ed);
            input::install_keys(ed);
        }
    });

    let loaded = move || ed.info.with(Option::is_some);
    view! {
        <div class="flex h-screen flex-col overflow-hidden bg-slate-100">
            <top_bar::TopBar />
            <Show
                when=loaded
                fallback=move || view! {
                    <div class="flex flex-1 items-center justify-center text-slate-500" data-testid="editor-loading">
                        {move || match ed.status.get() {
                            Conn::Offline => "Offline: the editor opens when the connection returns.",
                            _ => "Opening the page…",
                        }}
                    </div>
                }
            >
                <div class="flex min-h-0 flex-1">
                    <palette::Palette />
                    <canvas::Canvas />
                    <inspector::Inspector />
                </div>
            </Show>
            <toast::Toast />
        </div>
    }
}
