//! Carries the editor's y-sync frames over a browser WebSocket to
//! `/api/v1/pages/{id}/collab`, reconnecting with backoff, going quiet while the browser is
//! offline and re-syncing (which sends everything edited meanwhile) when it comes back.

use super::{Conn, Ed, api};
use crate::api_types::{CloseCode, SessionAnswer};
use leptos::prelude::*;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// How often presence is re-sent, so peers know this person is still here.
const HEARTBEAT: Duration = Duration::from_secs(10);

pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Sends frames if the socket is open; otherwise they are dropped (the document keeps the
/// changes and the next handshake carries them).
pub fn send_all(ed: Ed, frames: Vec<Vec<u8>>) {
    if frames.is_empty() {
        return;
    }
    ed.socket.with_value(|s| {
        if let Some(s) = s
            && s.ws.ready_state() == WebSocket::OPEN
        {
            for f in &frames {
                let _ = s.ws.send_with_u8_array(f);
            }
        }
    });
}

/// Loads who I am and the page, creates the document and connects.
pub fn start(ed: Ed) {
    ed.client.set_value(Some(super::Client::new()));
    leptos::task::spawn_local(async move {
        if let Ok(me) = api::get_json::<SessionAnswer>("/api/v1/session").await {
            let user = me.user;
            let name = [user.name, user.email]
                .into_iter()
                .find(|n| !n.is_empty())
                .unwrap_or_else(|| "Editor".to_string());
            let seed = u64::try_from(user.id).unwrap_or(0);
            ed.me.set((name, super::color_for(seed).to_string()));
        }
        if let Err(e) = ed.load_info().await {
            ed.notify(false, e.message);
            return;
        }
        connect(ed, 0);
    });
    // The browser says when the network goes and comes back.
    let off = window_event_listener_untyped("offline", move |_| {
        ed.status.set(Conn::Offline);
        ed.socket.set_value(None);
    });
    let on = window_event_listener_untyped("online", move |_| {
        if ed.socket.with_value(Option::is_none) {
            connect(ed, 0);
        }
    });
    let beat = set_interval_with_handle(
        move || {
            ed.announce();
            ed.refresh_peers();
        },
        HEARTBEAT,
    )
    .ok();
    on_cleanup(move || {
        off.remove();
        on.remove();
        if let Some(b) = beat {
            b.clear();
        }
        ed.socket.set_value(None);
    });
}

fn connect(ed: Ed, attempt: u32) {
    if !online() {
        ed.status.set(Conn::Offline);
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().unwrap_or_default();
    let url = format!("{scheme}://{host}/api/v1/pages/{}/collab", ed.page_id);
    let Ok(ws) = WebSocket::new(&url) else {
        retry(ed, attempt);
        return;
    };
    ws.set_binary_type(BinaryType::Arraybuffer);

    let on_open = Closure::<dyn FnMut()>::new(move || {
        ed.status.set(Conn::Connected);
        let hello = ed.with_client(|c| c.hello()).unwrap_or_default();
        send_all(ed, hello);
        ed.announce();
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Ok(buf) = e.data().dyn_into::<js_sys::ArrayBuffer>() else {
            return;
        };
        let data = js_sys::Uint8Array::new(&buf).to_vec();
        receive(ed, &data);
    });
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
        ed.socket.set_value(None);
        if !online() {
            ed.status.set(Conn::Offline);
            return;
        }
        ed.status.set(Conn::Reconnecting);
        match CloseCode::from_code(e.code()) {
            // The session ended (logged out elsewhere, expired, password reset).
            Some(CloseCode::SessionEnded) => {
                if let Some(w) = web_sys::window() {
                    let here = w.location().pathname().unwrap_or_default();
                    let next = js_sys::encode_uri_component(&here);
                    let _ = w
                        .location()
                        .set_href(&format!("{}?next={next}", crate::admin::LOGIN_PATH));
                }
                return;
            }
            // The role changed: re-read it (a viewer's editor turns read-only), then reconnect.
            Some(CloseCode::PermissionChanged) => {
                ed.notify(false, "Your role on this shop changed.");
                ed.reload_info();
            }
            // The draft is over its size limit: resending would be refused again.
            Some(CloseCode::DocumentTooLarge) => {
                ed.notify(
                    false,
                    "This draft is too large to take more edits; restore a revision from History.",
                );
                return;
            }
            // Quotas and limits: the server says which.
            Some(
                CloseCode::Quota | CloseCode::TooBig | CloseCode::Idle | CloseCode::RateLimited,
            ) if !e.reason().is_empty() => {
                ed.notify(false, format!("Disconnected: {}", e.reason()));
            }
            _ => {}
        }
        retry(ed, attempt + 1);
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    ed.socket.set_value(Some(Socket {
        ws,
        _on_open: on_open,
        _on_message: on_message,
        _on_close: on_close,
    }));
}

fn retry(ed: Ed, attempt: u32) {
    // 0.5 s, 1 s, 2 s … at most 10 s.
    let delay = Duration::from_millis((500u64 << attempt.min(5)).min(10_000));
    set_timeout(
        move || {
            if ed.socket.with_value(Option::is_none) && online() {
                connect(ed, attempt);
            }
        },
        delay,
    );
}

/// One frame from the hub: applied, answered, shown. The caret in a focused text field keeps
/// its place in the text around remote edits.
fn receive(ed: Ed, data: &[u8]) {
    let before = ed.focus.get_value().and_then(|f| {
        ed.with_tree(|b| super::tree::prop_text(b, &f.block, &f.field))
            .map(|text| (f, text))
    });
    let mut replies = Vec::new();
    let got = ed.with_client(|c| c.receive(data, &mut replies));
    send_all(ed, replies);
    match got {
        Some(Ok(got)) => {
            if got.doc {
                ed.refresh();
                if let Some((mut f, old)) = before
                    && let Some(new) =
                        ed.with_tree(|b| super::tree::prop_text(b, &f.block, &f.field))
                    && let Some((at, del, ins)) = crate::draft::edit::text_diff(&old, &new)
                {
                    let ins = ins.encode_utf16().count() as u32;
                    let shift = |pos: u32| {
                        if pos <= at {
                            pos
                        } else if pos >= at + del {
                            pos - del + ins
                        } else {
                            at + ins
                        }
                    };
                    f.start = shift(f.start);
                    f.end = shift(f.end);
                    ed.focus.set_value(Some(f));
                }
            }
            if got.presence {
                ed.refresh_peers();
            }
        }
        Some(Err(e)) => leptos::logging::warn!("collaboration: {e}"),
        None => {}
    }
}
