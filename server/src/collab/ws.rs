//! `GET /api/v1/pages/{id}/collab`: y-sync over WebSocket. Authorisation happens before the
//! upgrade (session, membership); the role decides inside the protocol whether updates count.

use super::{Close, Connection, HubError, find_page};
use crate::auth::{CurrentUser, role_in};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};

pub async fn collab(
    State(state): State<AppState>,
    Path(page_id): Path<i64>,
    user: CurrentUser,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let page = find_page(&state.db, page_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Not a member of the page's shop: the page does not exist for this user.
    let role = role_in(&state.db, user.user.id, page.shop_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let room = state.hub.room(&page).await.map_err(|e| match e {
        HubError::NotFound => AppError::NotFound,
        HubError::RoomsFull => AppError::Unavailable(e.to_string()),
        HubError::Db(e) => AppError::Db(e),
    })?;
    let connection = state.hub.connect(room, role.can_edit());
    let limit = state.hub.limits().max_message_bytes;
    tracing::info!(
        page_id,
        user_id = user.user.id,
        role = role.as_str(),
        "collaborator joined"
    );
    Ok(upgrade
        // The transport's own hard limit sits above ours, so ours answers with a clear close.
        .max_message_size(limit * 2)
        .max_frame_size(limit * 2)
        .on_upgrade(move |socket| run(socket, connection, state)))
}

async fn run(socket: WebSocket, mut conn: Connection, state: AppState) {
    let (mut tx, mut rx) = socket.split();
    let mut stop = state.hub.shutdown_signal();
    let mut close: Option<Close> = None;
    for frame in conn.greeting().await {
        if tx.send(WsMessage::Binary(frame.into())).await.is_err() {
            conn.leave().await;
            return;
        }
    }
    loop {
        tokio::select! {
            incoming = rx.next() => match incoming {
                Some(Ok(WsMessage::Binary(data))) => match conn.receive(&data).await {
                    Ok(replies) => {
                        let mut failed = false;
                        for reply in replies {
                            failed |= tx.send(WsMessage::Binary(reply.into())).await.is_err();
                        }
                        if failed { break; }
                    }
                    Err(c) => { close = Some(c); break; }
                },
                Some(Ok(WsMessage::Text(_))) => { close = Some(Close::Malformed("text frames are not y-sync".into())); break; }
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
                Some(Ok(WsMessage::Close(_))) | None => break,
                Some(Err(e)) => {
                    // The transport refused the frame (e.g. over its hard size limit).
                    tracing::debug!(error = %e, "websocket read failed");
                    close = Some(Close::TooBig);
                    break;
                }
            },
            outgoing = conn.next_broadcast() => match outgoing {
                Ok(frame) => {
                    // Queue whatever else is already waiting and flush once: one write for a burst.
                    let mut failed = tx.feed(WsMessage::Binary(frame.as_ref().clone().into())).await.is_err();
                    while !failed && let Some(next) = conn.try_next_broadcast() {
                        match next {
                            Ok(frame) => failed = tx.feed(WsMessage::Binary(frame.as_ref().clone().into())).await.is_err(),
                            Err(c) => { close = Some(c); break; }
                        }
                    }
                    if failed || close.is_some() || tx.flush().await.is_err() { break; }
                }
                Err(c) => { close = Some(c); break; }
            },
            _ = stop.changed() => { close = Some(Close::GoingAway); break; }
        }
    }
    if let Some(c) = close {
        tracing::info!(page_id = conn.room().page_id, code = c.code(), reason = %c.reason(), "closing collaborator connection");
        let _ = tx
            .send(WsMessage::Close(Some(CloseFrame {
                code: c.code(),
                reason: c.reason().into(),
            })))
            .await;
    }
    let _ = tx.close().await;
    conn.leave().await;
}
