//! What one connection, one user and one shop may take from the shared hub, and the close
//! codes a connection gets when it goes over. Every limit here exists because one client (or
//! one member) could otherwise slow down or block every other shop on the server.

use super::room::Rejected;
use app::api_types::CloseCode;
use std::time::Duration;

/// Limits that protect the server from one client, one user and one shop.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest WebSocket message accepted.
    pub max_message_bytes: usize,
    /// y-sync messages one WebSocket frame may carry; a frame with more is refused whole
    /// (without answering any of it): each message can cost a reply or a broadcast.
    pub max_messages_per_frame: usize,
    /// Sustained y-sync messages per second per connection (each message in a frame counts) …
    pub messages_per_second: f64,
    /// … and the burst allowed above that.
    pub message_burst: f64,
    /// A reply (the document sent in answer to a state vector) costs one more message of the
    /// rate limit for every this many bytes, so asking for a large document again and again
    /// runs out of budget sooner than typing does.
    pub reply_bytes_per_message: usize,
    /// Largest presence (awareness) state of one client, in bytes of JSON.
    pub max_presence_bytes: usize,
    /// Bytes of frames waiting to be written to one connection (edits and presence of the
    /// others). A connection that falls further behind is closed (1013); one frame is always
    /// accepted into an empty queue, however large.
    pub max_queued_bytes: usize,
    /// Largest draft document (its encoded state); an edit that would grow it past this is
    /// refused and its connection closed (4413). Server-made changes (restoring a revision)
    /// are exempt, so a draft at the limit can still be reset.
    pub max_document_bytes: usize,
    /// Rooms kept in memory at once, for the whole server.
    pub max_rooms: usize,
    /// Rooms one shop may have open at once.
    pub max_rooms_per_shop: usize,
    /// Open connections per user (all pages, all shops).
    pub max_connections_per_user: usize,
    /// Open connections per shop.
    pub max_connections_per_shop: usize,
    /// A connection that sends nothing for this long is closed (4408). Editors send presence
    /// every 10 s and stock Yjs clients every 15 s, so only abandoned sockets get there.
    pub idle_timeout: Duration,
    /// A write to a client that takes longer than this ends the connection (a client that
    /// stopped reading must not hold its slot forever).
    pub write_timeout: Duration,
    /// How often open connections are checked against the database: a connection whose
    /// session ended is closed (4401), one whose member lost the right to edit or left the
    /// shop is closed (4403). Also how often a preview event stream checks its link.
    pub recheck_every: Duration,
    /// Preview event streams open at once on one page (each holds a connection and checks
    /// its link every [`Limits::recheck_every`]); more get `429`.
    pub max_preview_streams_per_page: usize,
    /// A room with no connections for this long is compacted and unloaded.
    pub idle_unload: Duration,
    /// Compact the log into a snapshot after this many updates.
    pub compact_every: u64,
    /// Test hook: a y-sync message with the custom tag [`FAULT_TAG`] makes
    /// `Connection::receive` panic, to prove a panicking connection still releases what it
    /// held. Off unless a test turns it on.
    pub fault_injection: bool,
}

/// The custom y-sync message tag that panics when [`Limits::fault_injection`] is on.
pub const FAULT_TAG: u8 = 0x7f;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 1024 * 1024,
            max_messages_per_frame: 32,
            messages_per_second: 100.0,
            message_burst: 400.0,
            reply_bytes_per_message: 64 * 1024,
            max_presence_bytes: 8 * 1024,
            max_queued_bytes: 16 * 1024 * 1024,
            max_document_bytes: 8 * 1024 * 1024,
            max_rooms: 1000,
            max_rooms_per_shop: 100,
            max_connections_per_user: 20,
            max_connections_per_shop: 200,
            idle_timeout: Duration::from_secs(120),
            write_timeout: Duration::from_secs(60),
            recheck_every: Duration::from_secs(5),
            max_preview_streams_per_page: 32,
            idle_unload: Duration::from_secs(60),
            compact_every: 500,
            fault_injection: false,
        }
    }
}

/// Why a connection is closed, with the reason sent along. The close code comes from
/// [`CloseCode`], which the editor reads back too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Close {
    /// 1009: a message over [`Limits::max_message_bytes`].
    TooBig,
    /// 1009: a frame with too many messages, or a presence state too large.
    OverBudget(String),
    /// 1007: a frame that is not a y-sync message, or an update that does not decode.
    Malformed(String),
    /// 1008: a per-user or per-shop quota is used up.
    Quota(String),
    /// 4429: more messages than [`Limits::messages_per_second`] allows.
    RateLimited,
    /// 1011: the server could not store an update (the update was not applied).
    Internal,
    /// 1001: the server is shutting down.
    GoingAway,
    /// 1013: the client reads too slowly to keep up with the room.
    TooSlow,
    /// 4401: the session the connection was opened with has ended.
    SessionEnded,
    /// 4403: the member's role changed so that this connection may no longer do what it did.
    PermissionChanged,
    /// 4408: nothing received for [`Limits::idle_timeout`].
    Idle,
    /// 4413: the update would make the draft larger than [`Limits::max_document_bytes`].
    DocumentTooLarge,
}

impl Close {
    /// What the client is told this close means.
    pub fn kind(&self) -> CloseCode {
        match self {
            Close::TooBig | Close::OverBudget(_) => CloseCode::TooBig,
            Close::Malformed(_) => CloseCode::Malformed,
            Close::Quota(_) => CloseCode::Quota,
            Close::RateLimited => CloseCode::RateLimited,
            Close::Internal => CloseCode::Internal,
            Close::GoingAway => CloseCode::GoingAway,
            Close::TooSlow => CloseCode::TooSlow,
            Close::SessionEnded => CloseCode::SessionEnded,
            Close::PermissionChanged => CloseCode::PermissionChanged,
            Close::Idle => CloseCode::Idle,
            Close::DocumentTooLarge => CloseCode::DocumentTooLarge,
        }
    }

    /// The WebSocket close code.
    pub fn code(&self) -> u16 {
        self.kind().code()
    }

    /// The close frame's reason: at most 123 bytes, as the protocol allows.
    pub fn reason(&self) -> String {
        let reason = match self {
            Close::TooBig => "message too big".into(),
            Close::OverBudget(why) => why.clone(),
            Close::Malformed(why) => format!("malformed message: {why}"),
            Close::Quota(why) => why.clone(),
            Close::RateLimited => "too many messages".into(),
            Close::Internal => "could not store the update".into(),
            Close::GoingAway => "server shutting down".into(),
            Close::TooSlow => "client too slow".into(),
            Close::SessionEnded => "session ended; log in again".into(),
            Close::PermissionChanged => "your role on this page changed; reconnect".into(),
            Close::Idle => "idle for too long".into(),
            Close::DocumentTooLarge => "the draft would be too large".into(),
        };
        truncate(reason, 123)
    }
}

/// The socket's answer to an update the room did not take.
impl From<Rejected> for Close {
    fn from(why: Rejected) -> Self {
        match why {
            Rejected::Closed => Close::GoingAway,
            Rejected::Malformed(why) => Close::Malformed(why),
            Rejected::TooLarge => Close::DocumentTooLarge,
            Rejected::NotStored => Close::Internal,
        }
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut at = max;
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        s.truncate(at);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_fit_a_close_frame() {
        let long = Close::Malformed("é".repeat(200));
        assert!(long.reason().len() <= 123);
        assert!(long.reason().starts_with("malformed message: é"));
        assert_eq!(Close::Idle.code(), 4408);
    }

    #[test]
    fn a_refused_update_closes_its_connection_with_the_matching_code() {
        let codes = [
            Rejected::Closed,
            Rejected::Malformed("x".into()),
            Rejected::TooLarge,
            Rejected::NotStored,
        ]
        .map(|why| Close::from(why).code());
        assert_eq!(codes, [1001, 1007, 4413, 1011]);
    }
}
