//! One client's connection to a room: y-sync frames in, replies and the room's frames out.
//!
//! A frame is decoded whole before any of it is acted on, and every message in it counts
//! against the rate limit. Whatever a frame asks for, it gets at most one document reply
//! and one presence reply, so a frame of many requests costs the server no more than one.
//! Everything a connection holds (its place in the room, its presence, its quota seat) is
//! released when the `Connection` is dropped, so a task that panics or is cancelled cannot
//! leak it.

use super::hub::Seat;
use super::limits::FAULT_TAG;
use super::outbox::{Direct, Work};
use super::presence::Owner;
use super::{Close, Hub, Room};
use std::sync::Arc;
use std::time::Instant;
use yrs::encoding::read::Cursor;
use yrs::sync::{Message, MessageReader, SyncMessage};
use yrs::updates::decoder::DecoderV1;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, StateVector};

pub struct Connection {
    pub id: u64,
    seat: Seat,
    room: Arc<Room>,
    can_edit: bool,
    bucket: TokenBucket,
    /// The awareness client id this connection announced first: the only one it may set.
    presence_id: Option<ClientID>,
}

impl Connection {
    pub(crate) fn new(seat: Seat, room: Arc<Room>, can_edit: bool) -> Self {
        let limits = seat.hub.limits();
        let bucket = TokenBucket::new(limits.messages_per_second, limits.message_burst);
        room.attach(seat.link.clone());
        // The other replicas' presence on the page follows the greeting's.
        room.ask_presence(&seat.hub);
        Self {
            id: seat.link.id,
            seat,
            room,
            can_edit,
            bucket,
            presence_id: None,
        }
    }

    fn hub(&self) -> &Arc<Hub> {
        &self.seat.hub
    }

    pub fn room(&self) -> &Arc<Room> {
        &self.room
    }

    /// What the server says first: its state vector (so the client sends what the server
    /// lacks) and everyone's presence.
    pub async fn greeting(&self) -> Vec<Vec<u8>> {
        let sv = self.room.state_vector().await;
        let mut frames = vec![Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1()];
        frames.extend(self.room.presence());
        frames
    }

    /// A WebSocket control frame (ping, pong) from the client: free of y-sync, but not of
    /// the rate limit.
    pub fn control_frame(&mut self) -> Result<(), Close> {
        if self.bucket.take(1.0) {
            Ok(())
        } else {
            Err(Close::RateLimited)
        }
    }

    /// Handles one binary message; returns the frames to send back to this client only.
    pub async fn receive(&mut self, data: &[u8]) -> Result<Vec<Vec<u8>>, Close> {
        let limits = self.hub().limits().clone();
        if data.len() > limits.max_message_bytes {
            return Err(Close::TooBig);
        }
        let messages = decode_frame(data, limits.max_messages_per_frame)?;
        if !self.bucket.take(messages.len() as f64) {
            return Err(Close::RateLimited);
        }
        self.room.touch();
        // Requests are answered once per frame, after everything in it was applied.
        let mut wants_doc: Option<StateVector> = None;
        let mut wants_presence = false;
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    wants_doc = Some(match wants_doc {
                        None => sv,
                        Some(before) => lowest(&before, &sv),
                    });
                }
                Message::Sync(SyncMessage::SyncStep2(data) | SyncMessage::Update(data)) => {
                    if !self.can_edit {
                        continue;
                    }
                    self.room.accept_update(self.hub(), self.id, &data).await?;
                }
                Message::Awareness(update) => {
                    let member = self.seat.link.member.as_ref();
                    let who = Owner {
                        connection: self.id,
                        user_id: member.map(|m| m.user_id),
                        name: member.map(|m| m.name.as_str()),
                    };
                    self.room
                        .announce(&who, &mut self.presence_id, update, &self.seat.hub)?;
                }
                Message::AwarenessQuery => wants_presence = true,
                Message::Custom(FAULT_TAG, _) if limits.fault_injection => {
                    panic!("fault injection: a panic inside Connection::receive")
                }
                Message::Auth(_) | Message::Custom(..) => {}
            }
        }
        let mut replies = Vec::new();
        if let Some(sv) = wants_doc {
            let update = self.room.diff(&sv).await;
            // The reply may hold updates still being committed: wait for them, so
            // nothing is seen before it is stored.
            self.hub().store().barrier().await;
            // A large reply costs more of the rate limit than a small one.
            self.bucket
                .charge((update.len() / limits.reply_bytes_per_message.max(1)) as f64);
            replies.push(Message::Sync(SyncMessage::SyncStep2(update)).encode_v1());
        }
        if wants_presence {
            replies.push(self.room.presence_always());
        }
        Ok(replies)
    }

    /// The next frame for this client from the room; `Err` when it fell too far behind or
    /// the hub closed it (room dropped, session ended, role changed).
    pub async fn next_broadcast(&mut self) -> Result<bytes::Bytes, Close> {
        self.seat.link.outbox.pop().await
    }

    /// A frame already waiting for this client, without waiting (for drivers that poll).
    pub fn try_next_broadcast(&mut self) -> Option<Result<bytes::Bytes, Close>> {
        self.seat.link.outbox.try_pop()
    }

    /// Lends the transport to the room while this connection's task waits: the room writes
    /// this client's frames to it directly (see `outbox`).
    pub(crate) fn lend_transport(&self, transport: Box<dyn Direct>) {
        self.seat.link.outbox.lend(transport);
    }

    /// Takes the lent transport back.
    pub(crate) fn reclaim_transport(&self) -> Option<Box<dyn Direct>> {
        self.seat.link.outbox.reclaim()
    }

    /// What the task must write itself (the transport could not take it without waiting,
    /// or it was not lent); `Err` when the client fell too far behind or the hub closed it.
    pub(crate) async fn next_work(&self) -> Result<Work, Close> {
        self.seat.link.outbox.work().await
    }
}

impl Drop for Connection {
    /// This client's presence is removed and announced and its place in the room freed; the
    /// seat (quotas, re-checks) is released right after, when its field is dropped.
    fn drop(&mut self) {
        self.room.detach(&self.seat.hub, self.id);
    }
}

/// The messages of one frame, refusing the frame whole when it holds more than `max`.
fn decode_frame(data: &[u8], max: usize) -> Result<Vec<Message>, Close> {
    // yrs asserts (in debug builds) on a client id beyond 53 bits instead of refusing it:
    // such a frame is malformed, not a reason to unwind through the connection.
    std::panic::catch_unwind(|| read_frame(data, max))
        .unwrap_or_else(|_| Err(Close::Malformed("undecodable client id".into())))
}

fn read_frame(data: &[u8], max: usize) -> Result<Vec<Message>, Close> {
    let mut decoder = DecoderV1::new(Cursor::new(data));
    let mut messages = Vec::new();
    for message in MessageReader::new(&mut decoder) {
        if messages.len() == max {
            return Err(Close::OverBudget(format!(
                "more than {max} y-sync messages in one frame"
            )));
        }
        messages.push(message.map_err(|e| Close::Malformed(e.to_string()))?);
    }
    if messages.is_empty() {
        return Err(Close::Malformed("empty message".into()));
    }
    Ok(messages)
}

/// The state vector that knows only what both know: the answer to it covers both requests.
fn lowest(a: &StateVector, b: &StateVector) -> StateVector {
    a.iter()
        .map(|(client, clock)| (*client, (*clock).min(b.get(client))))
        .filter(|(_, clock)| *clock > 0)
        .collect()
}

/// Allows `rate` messages per second with bursts up to `burst`.
struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    fn new(rate: f64, burst: f64) -> Self {
        Self {
            rate,
            burst,
            tokens: burst,
            at: Instant::now(),
        }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.burst);
        self.at = now;
    }

    /// Takes `n` tokens if there are that many.
    fn take(&mut self, n: f64) -> bool {
        self.refill();
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }

    /// Takes `n` tokens after the fact, into debt if need be: the next messages wait.
    fn charge(&mut self, n: f64) {
        self.refill();
        self.tokens -= n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_over_the_message_budget_are_refused_whole() {
        assert!(matches!(
            decode_frame(&[3u8; 33], 32),
            Err(Close::OverBudget(_))
        ));
        assert_eq!(decode_frame(&[3u8; 32], 32).map(|m| m.len()), Ok(32));
        assert!(matches!(decode_frame(&[], 32), Err(Close::Malformed(_))));
    }

    #[test]
    fn the_lowest_state_vector_covers_both() {
        let a: StateVector = [(ClientID::new(1), 5), (ClientID::new(2), 3)]
            .into_iter()
            .collect();
        let b: StateVector = [(ClientID::new(1), 2), (ClientID::new(3), 9)]
            .into_iter()
            .collect();
        let low = lowest(&a, &b);
        assert_eq!(low.get(&ClientID::new(1)), 2);
        assert_eq!(low.get(&ClientID::new(2)), 0);
        assert_eq!(low.get(&ClientID::new(3)), 0);
    }

    #[test]
    fn each_message_costs_a_token_and_replies_can_go_into_debt() {
        let mut b = TokenBucket::new(0.0, 10.0);
        assert!(b.take(8.0));
        assert!(!b.take(3.0));
        b.charge(5.0);
        assert!(!b.take(1.0));
    }
}
