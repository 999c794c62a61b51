//! A minimal Yjs peer for tests: a yrs document synced over the collaboration socket with
//! the standard y-sync messages, as the `y-websocket` provider does.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::encoding::read::Cursor;
use yrs::sync::{Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, Transact, Update};

use super::common::Ws;

pub struct YClient {
    pub doc: Doc,
    pub ws: Ws,
    outbox: Arc<Mutex<Vec<Vec<u8>>>>,
    pub synced: bool,
    /// Client ids whose presence (awareness) this client has received.
    pub presence_of: Vec<u64>,
}

impl YClient {
    /// The ids of the draft's top-level blocks, in order.
    pub fn block_ids(&self) -> Vec<String> {
        use yrs::{Array, Map, Out, Transact};
        let blocks = self.doc.get_or_insert_array("blocks");
        let txn = self.doc.transact();
        blocks
            .iter(&txn)
            .filter_map(|b| match b {
                Out::YMap(m) => m.get(&txn, "id").map(|v| v.to_string(&txn)),
                _ => None,
            })
            .collect()
    }

    /// Appends a block map (`id`, `type`, `props` with plain values) to the draft's blocks;
    /// `flush` sends it.
    pub fn push_block(&self, id: &str, block_type: &str, props: &[(&str, yrs::Any)]) {
        use yrs::{Any, Array, Map, MapPrelim};
        let blocks = self.doc.get_or_insert_array("blocks");
        let mut txn = self.doc.transact_mut();
        let block = blocks.push_back(
            &mut txn,
            MapPrelim::from([("id", Any::from(id)), ("type", Any::from(block_type))]),
        );
        let props: Vec<(&str, Any)> = props.to_vec();
        block.insert(&mut txn, "props", MapPrelim::from_iter(props));
    }

    /// Joins and waits for the initial sync (the server's SyncStep2).
    pub async fn join(ws: Ws) -> Self {
        let doc = Doc::new();
        let outbox = Arc::new(Mutex::new(Vec::new()));
        let sink = outbox.clone();
        doc.observe_update_v1("test-client", move |txn, e| {
            // Only local changes go out; remote ones arrive with the "remote" origin.
            if txn.origin().is_none_or(|o| o.as_ref() != b"remote") {
                sink.lock().unwrap().push(e.update.clone());
            }
        })
        .expect("observe");
        let mut client = Self {
            doc,
            ws,
            outbox,
            synced: false,
            presence_of: Vec::new(),
        };
        let sv = client.doc.transact().state_vector();
        client
            .send_raw(Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1())
            .await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !client.synced {
            assert!(tokio::time::Instant::now() < deadline, "no initial sync");
            client.pump(Duration::from_millis(100)).await;
        }
        client
    }

    pub async fn send_raw(&mut self, data: Vec<u8>) {
        self.ws
            .send(WsMessage::Binary(data.into()))
            .await
            .expect("send");
    }

    /// Sends local changes made since the last call.
    pub async fn flush(&mut self) {
        let updates: Vec<Vec<u8>> = std::mem::take(&mut *self.outbox.lock().unwrap());
        for u in updates {
            self.send_raw(Message::Sync(SyncMessage::Update(u)).encode_v1())
                .await;
        }
    }

    /// Reads frames for up to `wait`, applying what arrives. Returns false when the socket closed.
    pub async fn pump(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return true;
            }
            match tokio::time::timeout(left, self.ws.next()).await {
                Err(_) => return true,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(WsMessage::Close(_)))) => return false,
                Ok(Some(Ok(WsMessage::Binary(data)))) => self.handle(&data).await,
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    pub async fn handle(&mut self, data: &[u8]) {
        let mut decoder = DecoderV1::new(Cursor::new(data));
        let messages: Vec<Message> = MessageReader::new(&mut decoder)
            .map(|m| m.expect("server sent valid y-sync"))
            .collect();
        for m in messages {
            match m {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let update = self.doc.transact().encode_state_as_update_v1(&sv);
                    self.send_raw(Message::Sync(SyncMessage::SyncStep2(update)).encode_v1())
                        .await;
                }
                Message::Sync(SyncMessage::SyncStep2(u)) => {
                    self.apply_remote(&u);
                    self.synced = true;
                }
                Message::Sync(SyncMessage::Update(u)) => self.apply_remote(&u),
                Message::Awareness(update) => self
                    .presence_of
                    .extend(update.clients.keys().map(|c| c.get())),
                _ => {}
            }
        }
    }

    fn apply_remote(&self, data: &[u8]) {
        let update = Update::decode_v1(data).expect("update");
        self.doc
            .transact_mut_with("remote")
            .apply_update(update)
            .expect("apply");
    }

    /// Waits until the next close frame and returns its code.
    pub async fn close_code(&mut self, wait: Duration) -> Option<u16> {
        close_code(&mut self.ws, wait).await
    }
}

/// Reads until a close frame (code) or the stream ends (None) or `wait` passes (None).
pub async fn close_code(ws: &mut Ws, wait: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(WsMessage::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}
