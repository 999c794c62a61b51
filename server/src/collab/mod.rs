//! The collaboration hub: one room per page draft, speaking the y-sync protocol (`yrs::sync`)
//! with any Yjs client. The hub is transport-free (frames in, frames out) so it is tested
//! without sockets; `ws` moves its frames over axum WebSockets.
//!
//! - [`hub`]: rooms in memory, open connections (quotas, permission re-checks), drafts read
//!   without a room, change signals for previews.
//! - [`room`]: one page's document, its connections and their presence; apply → store →
//!   broadcast (each frame with its kind: an update also wakes the page's previews).
//! - [`connection`]: one client: frame budgets, rate limit, release on drop.
//! - [`presence`]: awareness states owned by the connection that set them.
//! - [`outbox`]: frames waiting for one connection, bounded by bytes, written by the room
//!   straight to the socket its task lends it.
//! - [`limits`]: every limit, and why a connection closes (its code is
//!   `app::api_types::CloseCode`, which the editor reads back).
//! - [`recheck`]: sessions and roles re-checked while connections stay open.

pub use app::draft as doc;
pub mod connection;
pub mod hub;
pub mod limits;
pub(crate) mod outbox;
mod presence;
mod recheck;
pub mod replicas;
pub mod room;
pub mod store;
pub mod ws;

pub use app::draft::new_doc;
pub use connection::Connection;
pub use hub::{Hub, HubError, Member, PageSignal};
pub use limits::{Close, Limits};
pub use room::{Rejected, Room};
