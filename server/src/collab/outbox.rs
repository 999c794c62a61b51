//! Frames on their way to one connection: the others' edits and presence, bounded by bytes.
//!
//! Each connection has its own queue rather than a shared broadcast channel with a frame
//! count: a count does not bound memory (256 frames of 1 MiB each), and a queue of its own
//! lets the hub close one connection (too slow, session ended, role changed) without
//! touching the others.

use super::Close;
use crate::sync::lock;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::Notify;

/// What a queued frame costs beyond its bytes (the queue entry and its share of the bytes),
/// so a flood of tiny frames is bounded too.
const FRAME_OVERHEAD: usize = 64;

#[derive(Default)]
struct Queue {
    frames: VecDeque<Bytes>,
    bytes: usize,
    closed: Option<Close>,
}

#[derive(Default)]
pub(crate) struct Outbox {
    /// Nothing in here can be left half-done by a panic.
    queue: Mutex<Queue>,
    ready: Notify,
}

impl Outbox {
    /// Queues a frame, or closes the outbox (1013) when it would hold more than `limit`
    /// bytes. A frame always fits into an empty queue.
    pub fn push(&self, frame: Bytes, limit: usize) {
        let mut q = lock(&self.queue);
        if q.closed.is_some() {
            return;
        }
        let cost = frame.len() + FRAME_OVERHEAD;
        if !q.frames.is_empty() && q.bytes + cost > limit {
            q.closed = Some(Close::TooSlow);
            q.frames.clear();
            q.bytes = 0;
        } else {
            q.frames.push_back(frame);
            q.bytes += cost;
        }
        drop(q);
        self.ready.notify_one();
    }

    /// Ends the connection: whatever is still queued is dropped, the reader gets `why`.
    /// The first reason given wins.
    pub fn close(&self, why: Close) {
        let mut q = lock(&self.queue);
        if q.closed.is_none() {
            q.closed = Some(why);
            q.frames.clear();
            q.bytes = 0;
        }
        drop(q);
        self.ready.notify_one();
    }

    pub fn is_closed(&self) -> bool {
        lock(&self.queue).closed.is_some()
    }

    /// The next frame if one is waiting; `Err` once closed.
    pub fn try_pop(&self) -> Option<Result<Bytes, Close>> {
        let mut q = lock(&self.queue);
        if let Some(why) = &q.closed {
            return Some(Err(why.clone()));
        }
        let frame = q.frames.pop_front()?;
        q.bytes -= frame.len() + FRAME_OVERHEAD;
        Some(Ok(frame))
    }

    /// Waits for the next frame (one reader per outbox; cancel-safe).
    pub async fn pop(&self) -> Result<Bytes, Close> {
        loop {
            if let Some(next) = self.try_pop() {
                return next;
            }
            // `notify_one` keeps a permit when nobody waits, so a push between the check
            // above and this wait is not missed.
            self.ready.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_over_its_byte_limit_closes() {
        let out = Outbox::default();
        let frame = Bytes::from(vec![0u8; 1000]);
        // One frame always fits, even over the limit.
        out.push(Bytes::from(vec![0u8; 5000]), 2000);
        assert_eq!(out.try_pop().map(|f| f.map(|f| f.len())), Some(Ok(5000)));
        out.push(frame.clone(), 2500);
        out.push(frame.clone(), 2500);
        assert!(!out.is_closed());
        out.push(frame, 2500);
        assert_eq!(out.try_pop(), Some(Err(Close::TooSlow)));
        out.close(Close::SessionEnded);
        assert_eq!(
            out.try_pop(),
            Some(Err(Close::TooSlow)),
            "the first reason stays"
        );
    }
}
