//! `GET /api/v1/pages/{id}/collab`: y-sync over WebSocket. Authorisation happens before the
//! upgrade (session, membership) and again while the socket is open (see `recheck`); the
//! role decides inside the protocol whether updates count. A quota that is used up is
//! answered after the upgrade with a close frame (1008) so the browser can read why.

use super::outbox::Direct;
use super::{Close, Connection, HubError, Member};
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use std::any::Any;
use std::task::{Context, Poll, Waker};
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

/// Writes frames the room could not write without waiting, and flushes: false when the
/// client is gone or took longer than `wait`.
async fn write_all(tx: &mut Tx, frames: Vec<bytes::Bytes>, wait: Duration) -> bool {
    let written = timeout(wait, async {
        for frame in frames {
            tx.feed(WsMessage::Binary(frame)).await?;
        }
        tx.flush().await
    })
    .await;
    matches!(written, Ok(Ok(())))
}

/// The socket's sending half, lent to the connection's outbox while its task waits: the room
/// writes the client's frames straight to the socket (see `outbox`).
struct DirectTx(Tx);

impl Direct for DirectTx {
    fn write_now(&mut self, frames: &[bytes::Bytes]) -> (usize, bool) {
        // Polled with a waker that does nothing: whatever would wait goes back to the task,
        // whose own poll registers its waker.
        let mut cx = Context::from_waker(Waker::noop());
        let mut taken = 0;
        for frame in frames {
            if !matches!(self.0.poll_ready_unpin(&mut cx), Poll::Ready(Ok(())))
                || self
                    .0
                    .start_send_unpin(WsMessage::Binary(frame.clone()))
                    .is_err()
            {
                break;
            }
            taken += 1;
        }
        let flushed = matches!(self.0.poll_flush_unpin(&mut cx), Poll::Ready(Ok(())));
        (taken, flushed)
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// The sending half for the task to write with: taken back from the outbox if lent. `None`
/// only if it was lost (then the connection ends).
fn hold<'a>(held: &'a mut Option<Tx>, conn: &Connection) -> Option<&'a mut Tx> {
    if held.is_none() {
        *held = conn.reclaim_transport().and_then(downcast);
    }
    held.as_mut()
}

fn downcast(transport: Box<dyn Direct>) -> Option<Tx> {
    transport
        .into_any()
        .downcast::<DirectTx>()
        .ok()
        .map(|direct| direct.0)
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
    // The sending half while this task writes; otherwise lent to the outbox.
    let mut held = Some(tx);
    // Only what the client sends counts as activity: its presence heartbeats keep it alive.
    let idle = tokio::time::sleep(limits.idle_timeout);
    tokio::pin!(idle);
    loop {
        // While this task waits, the room writes the client's frames itself.
        if let Some(tx) = held.take() {
            conn.lend_transport(Box::new(DirectTx(tx)));
        }
        tokio::select! {
            incoming = rx.next() => {
                idle.as_mut().reset(Instant::now() + limits.idle_timeout);
                match incoming {
                    Some(Ok(WsMessage::Binary(data))) => match conn.receive(&data).await {
                        Ok(replies) if replies.is_empty() => {}
                        Ok(replies) => {
                            let Some(tx) = hold(&mut held, &conn) else { break };
                            let mut failed = false;
                            for reply in replies {
                                failed |= !send(tx, WsMessage::Binary(reply.into()), limits.write_timeout).await;
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
            work = conn.next_work() => match work {
                Ok(work) => {
                    if let Some(transport) = work.transport {
                        held = downcast(transport);
                    }
                    let Some(tx) = hold(&mut held, &conn) else { break };
                    if !write_all(tx, work.frames, limits.write_timeout).await { break; }
                }
                Err(c) => { close = Some(c); break; }
            },
            _ = &mut idle => { close = Some(Close::Idle); break; }
            _ = stop.cancelled() => { close = Some(Close::GoingAway); break; }
        }
    }
    if let Some(tx) = hold(&mut held, &conn) {
        match close {
            Some(c) => {
                tracing::info!(page_id = conn.room().page_id, code = c.code(), reason = %c.reason(), "closing collaborator connection");
                send_close(tx, &c, limits.write_timeout).await;
            }
            None => {
                let _ = timeout(limits.write_timeout, tx.close()).await;
            }
        }
    }
    drop(conn);
}
