//! `GET /api/v1/pages/{id}/collab`: y-sync over WebSocket. Authorisation happens before the
//! upgrade (session, membership) and again while the socket is open (see `recheck`); the
//! role decides inside the protocol whether updates count. A quota that is used up is
//! answered after the upgrade with a close frame (1008) so the browser can read why.

use super::{Close, Connection, HubError, Member};
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::time::{Instant, timeout};

pub async fn collab(
    State(state): State<AppState>,
    Path(page_id): Path<i64>,
    user: CurrentUser,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    // Not a member of the page's shop: the page does not exist for this user.
    let (page, role) =
        crate::pages::for_member(&state.db, user.user.id, page_id, Role::Viewer).await?;
    let member = Member {
        user_id: user.user.id,
        session_id: user.session.id().map(|id| id.to_string()),
        name: if user.user.name.trim().is_empty() {
            user.user.email.clone()
        } else {
            user.user.name.clone()
        },
        can_edit: role.can_edit(),
    };
    let joined = match state.hub.join(&page, member).await {
        Ok(connection) => Ok(connection),
        Err(HubError::Quota(why)) => {
            tracing::info!(page_id, user_id = user.user.id, %why, "collaborator refused");
            Err(Close::Quota(why))
        }
        Err(e) => return Err(e.into()),
    };
    if joined.is_ok() {
        tracing::info!(
            page_id,
            user_id = user.user.id,
            role = role.as_str(),
            "collaborator joined"
        );
    }
    let limit = state.hub.limits().max_message_bytes;
    Ok(upgrade
        // The transport's own hard limit sits above ours, so ours answers with a clear close.
        .max_message_size(limit * 2)
        .max_frame_size(limit * 2)
        // tungstenite zero-fills its read buffer up to this size before every read attempt,
        // and each wake of the connection's task (every frame broadcast to it) makes one:
        // at the default 128 KiB that memset was a third of the hub's CPU. A larger message
        // still arrives whole (the buffer grows to its length once its header is read).
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            match joined {
                Ok(connection) => run(socket, connection, state).await,
                Err(why) => {
                    let (mut tx, _) = socket.split();
                    let wait = state.hub.limits().write_timeout;
                    send_close(&mut tx, &why, wait).await;
                }
            }
        }))
}

/// The WebSocket read buffer: y-sync edits and presence are tens of bytes.
const READ_BUFFER_BYTES: usize = 4096;

type Tx = SplitSink<WebSocket, WsMessage>;

/// Writes one message; false when the client is gone or took longer than `wait`.
async fn send(tx: &mut Tx, message: WsMessage, wait: Duration) -> bool {
    matches!(timeout(wait, tx.send(message)).await, Ok(Ok(())))
}

async fn send_close(tx: &mut Tx, why: &Close, wait: Duration) {
    let frame = CloseFrame {
        code: why.code(),
        reason: why.reason().into(),
    };
    let _ = timeout(wait, async {
        let _ = tx.send(WsMessage::Close(Some(frame))).await;
        let _ = tx.close().await;
    })
    .await;
}

/// Writes a frame from the room and whatever else is already waiting, flushing once: one
/// write for a burst. `Err` carries a close the hub asked for.
async fn forward(
    tx: &mut Tx,
    conn: &mut Connection,
    first: bytes::Bytes,
    wait: Duration,
) -> Result<bool, Close> {
    let mut pending = None;
    let written = timeout(wait, async {
        if tx.feed(WsMessage::Binary(first)).await.is_err() {
            return false;
        }
        while let Some(next) = conn.try_next_broadcast() {
            match next {
                Ok(frame) => {
                    if tx.feed(WsMessage::Binary(frame)).await.is_err() {
                        return false;
                    }
                }
                Err(c) => {
                    pending = Some(c);
                    break;
                }
            }
        }
        tx.flush().await.is_ok()
    })
    .await
    .unwrap_or(false);
    match pending {
        Some(c) => Err(c),
        None => Ok(written),
    }
}

/// Drives one connection until either side ends it. Everything the connection holds is
/// released when `conn` is dropped, however this returns (or unwinds).
async fn run(socket: WebSocket, mut conn: Connection, state: AppState) {
    let limits = state.hub.limits().clone();
    let (mut tx, mut rx) = socket.split();
    let stop = state.shutdown.clone();
    let mut close: Option<Close> = None;
    for frame in conn.greeting().await {
        if !send(
            &mut tx,
            WsMessage::Binary(frame.into()),
            limits.write_timeout,
        )
        .await
        {
            return;
        }
    }
    // Only what the client sends counts as activity: its presence heartbeats keep it alive.
    let idle = tokio::time::sleep(limits.idle_timeout);
    tokio::pin!(idle);
    loop {
        tokio::select! {
            incoming = rx.next() => {
                idle.as_mut().reset(Instant::now() + limits.idle_timeout);
                match incoming {
                    Some(Ok(WsMessage::Binary(data))) => match conn.receive(&data).await {
                        Ok(replies) => {
                            let mut failed = false;
                            for reply in replies {
                                failed |= !send(&mut tx, WsMessage::Binary(reply.into()), limits.write_timeout).await;
                            }
                            if failed { break; }
                        }
                        Err(c) => { close = Some(c); break; }
                    },
                    Some(Ok(WsMessage::Text(_))) => { close = Some(Close::Malformed("text frames are not y-sync".into())); break; }
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {
                        if let Err(c) = conn.control_frame() { close = Some(c); break; }
                    }
                    Some(Ok(WsMessage::Close(_))) | None => break,
                    Some(Err(e)) => {
                        // The transport refused the frame (e.g. over its hard size limit).
                        tracing::debug!(error = %e, "websocket read failed");
                        close = Some(Close::TooBig);
                        break;
                    }
                }
            },
            outgoing = conn.next_broadcast() => match outgoing {
                Ok(frame) => match forward(&mut tx, &mut conn, frame, limits.write_timeout).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(c) => { close = Some(c); break; }
                },
                Err(c) => { close = Some(c); break; }
            },
            _ = &mut idle => { close = Some(Close::Idle); break; }
            _ = stop.cancelled() => { close = Some(Close::GoingAway); break; }
        }
    }
    match close {
        Some(c) => {
            tracing::info!(page_id = conn.room().page_id, code = c.code(), reason = %c.reason(), "closing collaborator connection");
            send_close(&mut tx, &c, limits.write_timeout).await;
        }
        None => {
            let _ = timeout(limits.write_timeout, tx.close()).await;
        }
    }
    drop(conn);
}
