//! Frames on their way to one connection: the others' edits and presence, bounded by bytes.
//!
//! Each connection has its own queue rather than a shared broadcast channel with a frame
//! count: a count does not bound memory (256 frames of 1 MiB each), and a queue of its own
//! lets the hub close one connection (too slow, session ended, role changed) without
//! touching the others.
//!
//! While a connection's task waits for its client, it lends its transport to the outbox
//! ([`Outbox::lend`]): the room then writes queued frames to it directly
//! ([`Outbox::write_queued`]), everything queued in one write, without waking the task. Only
//! what the transport cannot take without waiting goes back to the task, which finishes it
//! (within its write timeout) and lends the transport again.

use super::Close;
use crate::sync::lock;
use bytes::Bytes;
use std::any::Any;
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::Notify;

/// What a queued frame costs beyond its bytes (the queue entry and its share of the bytes),
/// so a flood of tiny frames is bounded too.
const FRAME_OVERHEAD: usize = 64;

/// A connection's transport, lent to its outbox so frames are written without waking the
/// connection's task.
pub(crate) trait Direct: Send {
    /// Writes frames from the front of `frames`, as many as the transport takes without
    /// waiting, and flushes them: how many it took, and whether they are all on the wire.
    fn write_now(&mut self, frames: &[Bytes]) -> (usize, bool);

    /// Back to the concrete transport (its task downcasts it).
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

#[derive(Default)]
struct Queue {
    frames: VecDeque<Bytes>,
    bytes: usize,
    closed: Option<Close>,
    /// The transport, lent by the connection's task.
    lent: Option<Box<dyn Direct>>,
    /// The transport given back: it could not take everything without waiting.
    returned: Option<Box<dyn Direct>>,
}

impl Queue {
    /// Writes what is queued to the lent transport; gives it back to the task (true: wake
    /// it) when the transport could not take it all without waiting.
    fn write_lent(&mut self) -> bool {
        if self.closed.is_some() || self.frames.is_empty() {
            return false;
        }
        let Some(direct) = self.lent.as_mut() else {
            return false;
        };
        let (taken, flushed) = direct.write_now(self.frames.make_contiguous());
        for frame in self.frames.drain(..taken) {
            self.bytes -= frame.len() + FRAME_OVERHEAD;
        }
        if flushed && self.frames.is_empty() {
            return false;
        }
        self.returned = self.lent.take();
        true
    }
}

/// What a connection's task has to do for its outbox (see [`Outbox::work`]).
pub(crate) struct Work {
    /// The transport, given back with a write unfinished (flush it).
    pub transport: Option<Box<dyn Direct>>,
    /// Frames to write, in order.
    pub frames: Vec<Bytes>,
}

#[derive(Default)]
pub(crate) struct Outbox {
    /// Nothing in here can be left half-done by a panic.
    queue: Mutex<Queue>,
    ready: Notify,
}

impl Outbox {
    /// Queues a frame, or closes the outbox (1013) when it would hold more than `limit`
    /// bytes. A frame always fits into an empty queue. With a transport lent, the frame
    /// waits for [`Outbox::write_queued`] (the room's next write); otherwise the task is
    /// woken to send it.
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
            if q.lent.is_some() {
                return;
            }
        }
        drop(q);
        self.ready.notify_one();
    }

    /// Writes the queued frames to the lent transport, if any, as one write.
    pub fn write_queued(&self) {
        let wake = lock(&self.queue).write_lent();
        if wake {
            self.ready.notify_one();
        }
    }

    /// The connection's task lends its transport while it does not need it; what is queued
    /// is written at once.
    pub fn lend(&self, transport: Box<dyn Direct>) {
        let mut q = lock(&self.queue);
        q.lent = Some(transport);
        if q.closed.is_some() {
            // The task is woken anyway (the close); it takes the transport back to say why.
            return;
        }
        let wake = q.write_lent();
        drop(q);
        if wake {
            self.ready.notify_one();
        }
    }

    /// The transport back from the outbox (to write replies, or the close frame).
    pub fn reclaim(&self) -> Option<Box<dyn Direct>> {
        let mut q = lock(&self.queue);
        q.lent.take().or_else(|| q.returned.take())
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

    /// The next frame if one is waiting; `Err` once closed. (For drivers that lend no
    /// transport.)
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

    /// What the task must do itself, if anything: frames queued while it held its
    /// transport, or a write the transport could not finish without waiting. `Err` once
    /// closed.
    fn try_work(&self) -> Option<Result<Work, Close>> {
        let mut q = lock(&self.queue);
        if let Some(why) = &q.closed {
            return Some(Err(why.clone()));
        }
        let transport = q.returned.take();
        if transport.is_none() && (q.lent.is_some() || q.frames.is_empty()) {
            return None;
        }
        q.bytes = 0;
        let frames = q.frames.drain(..).collect();
        Some(Ok(Work { transport, frames }))
    }

    /// Waits until the task has something to do (one reader per outbox; cancel-safe).
    pub async fn work(&self) -> Result<Work, Close> {
        loop {
            if let Some(next) = self.try_work() {
                return next;
            }
            self.ready.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

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

    /// Each write a fake transport made: the frames it took.
    type Writes = Arc<Mutex<Vec<Vec<Bytes>>>>;

    /// A transport that records each write and takes at most `room` frames without
    /// waiting.
    struct Fake {
        writes: Writes,
        room: usize,
        flushes: bool,
    }

    impl Direct for Fake {
        fn write_now(&mut self, frames: &[Bytes]) -> (usize, bool) {
            let taken = frames.len().min(self.room);
            self.room -= taken;
            if taken > 0 {
                lock(&self.writes).push(frames[..taken].to_vec());
            }
            (taken, self.flushes && taken == frames.len())
        }

        fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
            self
        }
    }

    fn fake(room: usize, flushes: bool) -> (Box<Fake>, Writes) {
        let writes = Arc::new(Mutex::new(Vec::new()));
        let fake = Fake {
            writes: writes.clone(),
            room,
            flushes,
        };
        (Box::new(fake), writes)
    }

    fn frame(n: u8) -> Bytes {
        Bytes::from(vec![n])
    }

    #[test]
    fn frames_queued_meanwhile_reach_a_lent_transport_in_order_as_one_write() {
        let out = Outbox::default();
        let (transport, writes) = fake(usize::MAX, true);
        out.lend(transport);
        for n in 1..=3 {
            out.push(frame(n), 10_000);
        }
        assert!(
            lock(&writes).is_empty(),
            "nothing is written before the room asks"
        );
        out.write_queued();
        assert_eq!(*lock(&writes), vec![vec![frame(1), frame(2), frame(3)]]);
        assert!(out.try_work().is_none(), "the task has nothing to do");
        out.push(frame(4), 10_000);
        out.write_queued();
        assert_eq!(lock(&writes).len(), 2);
        assert_eq!(lock(&writes)[1], vec![frame(4)]);
    }

    #[test]
    fn what_a_lent_transport_cannot_take_goes_back_to_the_task_in_order() {
        let out = Outbox::default();
        let (transport, writes) = fake(1, true);
        out.lend(transport);
        for n in 1..=3 {
            out.push(frame(n), 10_000);
        }
        out.write_queued();
        assert_eq!(*lock(&writes), vec![vec![frame(1)]]);
        let work = out.try_work().expect("work").expect("open");
        assert!(work.transport.is_some(), "the transport came back");
        assert_eq!(work.frames, vec![frame(2), frame(3)]);
        // Until it is lent again, frames wait for the task.
        out.push(frame(4), 10_000);
        let work = out.try_work().expect("work").expect("open");
        assert!(work.transport.is_none());
        assert_eq!(work.frames, vec![frame(4)]);
    }

    #[test]
    fn an_unfinished_flush_goes_back_to_the_task_and_the_byte_limit_still_holds() {
        let out = Outbox::default();
        let (transport, _writes) = fake(usize::MAX, false);
        out.lend(transport);
        // Each one-byte frame costs 65 bytes of the limit.
        out.push(frame(1), 100);
        out.write_queued();
        let work = out.try_work().expect("work").expect("open");
        assert!(work.transport.is_some() && work.frames.is_empty());
        // The task holds the transport (a slow client): frames queue up to the limit.
        out.push(frame(2), 100);
        out.push(frame(3), 100);
        assert_eq!(out.try_pop(), Some(Err(Close::TooSlow)));
    }

    #[test]
    fn a_closed_outbox_keeps_the_transport_for_the_close_frame() {
        let out = Outbox::default();
        let (transport, writes) = fake(usize::MAX, true);
        out.lend(transport);
        out.push(frame(1), 10_000);
        out.close(Close::SessionEnded);
        out.write_queued();
        assert!(lock(&writes).is_empty(), "nothing is written once closed");
        assert!(matches!(out.try_work(), Some(Err(Close::SessionEnded))));
        assert!(out.reclaim().is_some());
        assert!(out.reclaim().is_none());
    }
}
