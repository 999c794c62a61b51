//! The collaboration socket's close codes, and the presence state editors share over it.

use serde_json::{Value, json};

/// Why the server closed a collaboration socket: the WebSocket close code it sends, and the
/// one the editor reads back to decide what to do.
///
/// | code | meaning |
/// |------|---------|
/// | 1001 | server shutting down |
/// | 1007 | not y-sync, or an update that does not decode |
/// | 1008 | a quota: too many connections (user or shop) or rooms (shop) |
/// | 1009 | a message, a frame's message count or a presence state over its limit |
/// | 1011 | the server could not store an update |
/// | 1013 | the client reads too slowly to keep up |
/// | 4401 | the login session ended (logout, expiry, password reset) |
/// | 4403 | the member may no longer edit this page (demoted or removed): reconnect |
/// | 4408 | nothing received for too long |
/// | 4413 | the edit would make the draft larger than its limit |
/// | 4429 | more messages per second than allowed |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseCode {
    /// 1001: the server is shutting down.
    GoingAway,
    /// 1007: a frame that is not y-sync, or an update that does not decode.
    Malformed,
    /// 1008: a per-user or per-shop quota is used up.
    Quota,
    /// 1009: a message, a frame's message count or a presence state over its limit.
    TooBig,
    /// 1011: the server could not store an update.
    Internal,
    /// 1013: the client reads too slowly to keep up with the room.
    TooSlow,
    /// 4401: the login session ended.
    SessionEnded,
    /// 4403: the member's role changed; reconnecting gets what they may now do.
    PermissionChanged,
    /// 4408: nothing received for too long.
    Idle,
    /// 4413: the edit would make the draft larger than its limit.
    DocumentTooLarge,
    /// 4429: more messages than the rate limit allows.
    RateLimited,
}

impl CloseCode {
    /// Every close code the server sends.
    pub const ALL: [CloseCode; 11] = [
        CloseCode::GoingAway,
        CloseCode::Malformed,
        CloseCode::Quota,
        CloseCode::TooBig,
        CloseCode::Internal,
        CloseCode::TooSlow,
        CloseCode::SessionEnded,
        CloseCode::PermissionChanged,
        CloseCode::Idle,
        CloseCode::DocumentTooLarge,
        CloseCode::RateLimited,
    ];

    /// The number in the WebSocket close frame.
    pub const fn code(self) -> u16 {
        match self {
            CloseCode::GoingAway => 1001,
            CloseCode::Malformed => 1007,
            CloseCode::Quota => 1008,
            CloseCode::TooBig => 1009,
            CloseCode::Internal => 1011,
            CloseCode::TooSlow => 1013,
            CloseCode::SessionEnded => 4401,
            CloseCode::PermissionChanged => 4403,
            CloseCode::Idle => 4408,
            CloseCode::DocumentTooLarge => 4413,
            CloseCode::RateLimited => 4429,
        }
    }

    /// The close code a number stands for; `None` for codes the server does not send
    /// (a browser's own 1006 for a dropped connection, say).
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// One person's presence on a page (their Yjs awareness state): who they are and which block
/// they have selected. The editor sends `{"user": {"name", "color"}, "selected"}`; other Yjs
/// clients may send anything, so it is read leniently (a missing or odd field is `None`). The
/// hub replaces `user.name` with the member's own name before relaying it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Presence {
    pub name: Option<String>,
    /// A colour for their cursor and avatar; only `#rrggbb` is taken.
    pub color: Option<String>,
    pub selected: Option<String>,
}

impl Presence {
    pub fn from_json(state: &Value) -> Self {
        let text = |pointer: &str| state.pointer(pointer).and_then(Value::as_str);
        Self {
            name: text("/user/name").map(str::to_string),
            color: text("/user/color")
                .filter(|c| crate::theme::is_hex_color(c))
                .map(str::to_string),
            selected: text("/selected").map(str::to_string),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "user": {"name": self.name, "color": self.color},
            "selected": self.selected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_close_code_reads_back_as_itself() {
        for c in CloseCode::ALL {
            assert_eq!(CloseCode::from_code(c.code()), Some(c));
        }
        assert_eq!(CloseCode::from_code(1006), None);
        assert_eq!(CloseCode::SessionEnded.code(), 4401);
    }

    #[test]
    fn presence_round_trips_and_odd_states_read_as_unknown() {
        let me = super::Presence {
            name: Some("Ann".into()),
            color: Some("#e11d48".into()),
            selected: Some("hero-1".into()),
        };
        assert_eq!(super::Presence::from_json(&me.to_json()), me);
        let odd = serde_json::json!({"user": {"name": 7, "color": "red"}, "selected": ["x"]});
        assert_eq!(super::Presence::from_json(&odd), super::Presence::default());
        assert_eq!(
            super::Presence::from_json(&serde_json::json!(null)),
            super::Presence::default()
        );
    }
}
